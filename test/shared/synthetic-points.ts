/** Synthetic Explore points for component tests and `npm run bench:ui` (no DOM, no Node). */
import type { ExplorePoint } from '../../common/api.js'

const METHODS: Record<string, { method: string; recipe: string } | undefined> = {
  int8: { method: 'int8-static', recipe: 'INT8 static · minmax · per-channel · uint8 · 500 samples' },
  fp16: { method: 'fp16', recipe: 'FP16' },
  pruned: { method: 'prune-structured', recipe: 'Structured pruning · 25 % · l1' },
}

/**
 * n points over devices × families × variants, with plausible figures: every fourth point is an
 * original (fp32) and the next three its int8, fp16 and pruned variants on the same device.
 */
export function syntheticPoints(
  n: number,
  devices = ['local', 'rpi4', 'stm32h7'],
  families = ['mobilenet', 'resnet', 'squeezenet', 'shufflenet'],
  seed = 42,
): ExplorePoint[] {
  const variants = ['fp32', 'int8', 'fp16', 'pruned']
  const out: ExplorePoint[] = []
  let s = seed
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / 4)
    const m = i % 4
    const device = devices[g % devices.length] ?? 'local'
    const family = families[Math.floor(g / devices.length) % families.length] ?? null
    const parent = m === 0 ? undefined : out[i - m]
    const p50 = parent?.latencyP50Us ? parent.latencyP50Us * (0.5 + rnd() * 0.6) : 100 + rnd() * 20_000
    const top1 = parent?.top1 ? parent.top1 - rnd() * 0.05 : 0.6 + rnd() * 0.35
    const recipe = METHODS[variants[m] ?? '']
    out.push({
      key: `${i}:${device}`,
      modelId: i,
      model: `${family}-${i}`,
      family,
      variant: variants[m] ?? 'fp32',
      device,
      latencyP50Us: p50,
      latencyP90Us: p50 * 1.1,
      cv: rnd() * 0.2,
      peakRssBytes: 1e6 + rnd() * 5e7,
      fileBytes: 1e5 + rnd() * 2e7,
      macs: 1e6 + rnd() * 6e8,
      params: 1e4 + rnd() * 5e6,
      top1,
      top5: Math.min(1, top1 + 0.05),
      parentModelId: parent ? i - m : null,
      parentKey: parent ? parent.key : null,
      top1Delta: parent?.top1 ? top1 - parent.top1 : null,
      method: recipe?.method ?? null,
      recipe: recipe?.recipe ?? null,
      dataset: 'fashion-mnist',
      split: 'test',
      count: 10000,
      benchRunId: 2 * i + 1,
      evalRunId: 2 * i + 2,
    })
  }
  return out
}
