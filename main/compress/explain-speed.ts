/**
 * "Why is my INT8 model not faster?" from figures already measured: pure, no ONNX Runtime, so the
 * sweep can explain speed-ups in the process that owns the UI (see main/worker).
 */

/** What explainSpeed needs to know about a quantized variant. */
export interface SpeedFacts {
  speedup: number
  fallback: { op: string }[]
  boundaries: number
  activationType?: 'uint8' | 'int8' | undefined
  dynamic: boolean
  /** Transposes ORT added (optimised variant minus the parent's own). */
  addedTransposes: number
  /** Share of the parent's MACs in depthwise convolutions. */
  depthwiseMacShare: number
  fp32P50Us: number
}

/**
 * Why an INT8 variant is not (much) faster: the measured causes, most important first. Empty when
 * the speed-up is 1.2× or more.
 */
export function explainSpeed(f: SpeedFacts): string[] {
  if (f.speedup >= 1.2) return []
  const why: string[] = []
  if (f.activationType === 'int8') {
    why.push('int8 activations (S8S8): on x86, ONNX Runtime\'s uint8-activation kernels (U8S8) are the fast path; int8 activations measured 1.2–1.36× slower than FP32 here. Quantize with uint8 activations.')
  }
  if (f.dynamic) {
    why.push('dynamic quantization re-quantizes every activation at run time (DynamicQuantizeLinear before each Conv/MatMul) and keeps everything between them in float.')
  }
  if (f.fallback.length > 0) {
    const ops = new Map<string, number>()
    for (const n of f.fallback) ops.set(n.op, (ops.get(n.op) ?? 0) + 1)
    const list = [...ops].map(([op, k]) => `${op} ×${k}`).join(', ')
    why.push(`${f.fallback.length} arithmetic nodes still run in float (${list}); each is wrapped in Dequantize/Quantize.`)
  }
  if (f.boundaries > 2) why.push(`${f.boundaries} float↔int8 conversions per inference remain in ONNX Runtime's optimised graph.`)
  if (f.addedTransposes > 0) {
    why.push(`ONNX Runtime runs QLinearConv in NHWC and added ${f.addedTransposes} layout Transposes (around Reshape/Transpose channel shuffles or float nodes).`)
  }
  if (f.depthwiseMacShare > 0.2) {
    why.push(`${Math.round(f.depthwiseMacShare * 100)} % of the MACs are depthwise convolutions, which are memory-bound: int8 kernels gain little over float there.`)
  }
  if (f.fp32P50Us < 150) {
    why.push(`the FP32 model already runs in ${Math.round(f.fp32P50Us)} µs: fixed per-node costs (Quantize at the input, Dequantize at the output, kernel launch) weigh more than the arithmetic saved.`)
  }
  if (why.length === 0) why.push('no structural cause found: every node runs int8 with no extra conversions; the gain is limited by this CPU\'s int8 throughput for these layer shapes.')
  return why
}
