/**
 * A cheap look at a file's top-level protobuf framing before it is read whole: tags and lengths
 * only, skipping every payload. A file of zeros, text or random bytes fails within its first
 * bytes, so a 2 GB file that is not a model is refused without 2 GB of memory. A file that
 * passes is decoded and validated as usual (onnx-io.ts); this check only refuses early.
 */
import type { FileHandle } from 'node:fs/promises'

/** ModelProto's fields and their wire types (0 varint, 2 length-delimited). */
const MODEL_FIELDS: Readonly<Record<number, number>> = {
  1: 0, // ir_version
  2: 2, // producer_name
  3: 2, // producer_version
  4: 2, // domain
  5: 0, // model_version
  6: 2, // doc_string
  7: 2, // graph
  8: 2, // opset_import
  14: 2, // metadata_props
  20: 2, // training_info
  25: 2, // functions
}
const GRAPH_FIELD = 7
/** Real models have a dozen top-level fields; past this many the decoder takes over. */
const MAX_FIELDS = 100_000
const WINDOW = 64 * 1024

/** Reads varints and skips payloads through a small window over the file. */
class Cursor {
  private buf = Buffer.alloc(0)
  private start = 0
  pos = 0

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async byteAt(at: number): Promise<number> {
    if (at < this.start || at >= this.start + this.buf.length) {
      const buf = Buffer.allocUnsafe(Math.min(WINDOW, this.size - at))
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, at)
      this.buf = buf.subarray(0, bytesRead)
      this.start = at
      if (bytesRead === 0) throw new Error(`the file ends at byte ${at}`)
    }
    return this.buf[at - this.start] as number
  }

  async varint(): Promise<number> {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.size) throw new Error(`the file ends inside a number at byte ${this.pos}`)
      const b = await this.byteAt(this.pos++)
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return value
      scale *= 128
    }
    throw new Error(`a malformed number at byte ${this.pos}`)
  }

  skip(n: number, what: string): void {
    if (this.pos + n > this.size) throw new Error(`${what} at byte ${this.pos} runs ${this.pos + n - this.size} bytes past the end (truncated?)`)
    this.pos += n
  }
}

/**
 * Throws an Error whose message is the problem (e.g. "field 0 at byte 0") when the file's top
 * level cannot be an ONNX ModelProto; returns when it may be one.
 */
export async function checkModelFraming(fh: FileHandle, size: number): Promise<void> {
  const c = new Cursor(fh, size)
  let graph = false
  for (let fields = 0; c.pos < size; fields++) {
    if (fields >= MAX_FIELDS) return
    const at = c.pos
    const tag = await c.varint()
    const field = Math.floor(tag / 8)
    const wire = tag % 8
    if (field === 0) throw new Error(`byte ${at} starts no protobuf field (field number 0)`)
    const expected = MODEL_FIELDS[field]
    if (expected !== undefined && expected !== wire) {
      throw new Error(`field ${field} at byte ${at} has wire type ${wire}, not ${expected}`)
    }
    if (field === GRAPH_FIELD) graph = true
    if (wire === 0) await c.varint()
    else if (wire === 1) c.skip(8, `a 64-bit field ${field}`)
    else if (wire === 5) c.skip(4, `a 32-bit field ${field}`)
    else if (wire === 2) c.skip(await c.varint(), `field ${field}`)
    else throw new Error(`field ${field} at byte ${at} has wire type ${wire}, which no ONNX file uses`)
  }
  if (!graph) throw new Error('it holds no graph')
}
