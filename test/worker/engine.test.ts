/**
 * The engine worker: derivations and the runtime shape pass run in a child process, stream
 * progress, survive that child crashing (the job fails, the studio goes on) and cancel by ending
 * it. Real zoo models, real ONNX Runtime, a real SQLite file.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Progress } from '../../common/types.js'
import { parseRecipe } from '../../main/compress/recipe.js'
import type { ModelRow } from '../../main/store/store.js'
import { Studio } from '../../main/studio.js'

const root = resolve(import.meta.dirname, '../..')
let dir: string
let studio: Studio
let resnet8: ModelRow

/** Pids of this process's children whose command line names the engine worker. */
function engineWorkers(): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('engine-worker')) out.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-engine-'))
  studio = Studio.open({ dbPath: join(dir, 'studio.db') })
  const zoo = await studio.ensureZoo()
  const found = zoo.find((m) => m.name === 'resnet8')
  if (!found) throw new Error('resnet8 missing from the zoo')
  resnet8 = found
}, 120_000)

afterAll(async () => {
  await studio?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the engine worker', () => {
  it('derives an INT8 variant in a child process, streams its progress and stores its inspection', async () => {
    const seen: Progress[] = []
    let pidsDuring: number[] = []
    const { model, report } = await studio.deriveVariant(resnet8.id, parseRecipe({ method: 'int8-static', samples: 100 }), {
      onProgress: (p) => {
        seen.push(p)
        if (p.phase === 'calibrate' && pidsDuring.length === 0) pidsDuring = engineWorkers()
      },
    })
    expect(pidsDuring).toHaveLength(1)
    expect(pidsDuring[0]).not.toBe(process.pid)
    expect(seen.some((p) => p.phase === 'calibrate' && p.done === 100)).toBe(true)
    expect(seen.at(-1)?.phase).toBe('done')
    expect(report.quantization?.calibration?.samples).toBe(100)
    expect(model.inspect?.fileBytes).toBe(report.fileBytes)
    expect(model.inspect?.sha256).toBe(model.sha256)
    // The worker is gone once the job is over.
    await expect.poll(() => engineWorkers(), { timeout: 10_000 }).toEqual([])
  }, 240_000)

  it('fails only the job when its worker crashes; the studio goes on', async () => {
    const out = join(dir, 'crashed.onnx')
    let killed = 0
    const job = studio.deriveVariant(resnet8.id, parseRecipe({ method: 'int8-static', samples: 500 }), {
      outPath: out,
      onProgress: (p) => {
        if (p.phase !== 'calibrate' || killed) return
        const [pid] = engineWorkers()
        if (pid) {
          killed = pid
          process.kill(pid, 'SIGKILL')
        }
      },
    })
    await expect(job).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/int8-minmax variant failed: The compression engine process was killed by signal SIGKILL.*No variant was written/s),
    })
    expect(killed).toBeGreaterThan(0)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((n) => n.startsWith('crashed.onnx'))).toEqual([])
    // Same studio, next job: works.
    const next = await studio.deriveVariant(resnet8.id, parseRecipe({ method: 'fp16' }))
    expect(existsSync(next.report.file)).toBe(true)
    expect(studio.store.getModel(next.model.id)?.parentId).toBe(resnet8.id)
  }, 240_000)

  it('cancels a calibration by ending its worker', async () => {
    const out = join(dir, 'cancelled.onnx')
    const ac = new AbortController()
    let worker = 0
    const job = studio.deriveVariant(resnet8.id, parseRecipe({ method: 'int8-static', samples: 500, calibrator: 'entropy' }), {
      outPath: out,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'calibrate' && !ac.signal.aborted) {
          worker = engineWorkers()[0] ?? 0
          ac.abort()
        }
      },
    })
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED', message: 'Cancelled; no variant was written.' })
    expect(worker).toBeGreaterThan(0)
    expect(alive(worker)).toBe(false)
    expect(existsSync(out)).toBe(false)
  }, 240_000)
})

describe('the process that owns the studio', () => {
  it('never loads ONNX Runtime for a derivation or a runtime shape pass', () => {
    // A fresh Node process (what the CLI and the Electron main are): after a quantization and an
    // inspection with the runtime pass, its own memory map holds no ONNX Runtime library.
    const script = `
      import { readFileSync } from 'node:fs'
      import { Studio } from ${JSON.stringify(join(root, 'main/studio.ts'))}
      import { inspectModel } from ${JSON.stringify(join(root, 'main/model/inspect.ts'))}
      import { parseRecipe } from ${JSON.stringify(join(root, 'main/compress/recipe.ts'))}
      const studio = Studio.open({ dbPath: ${JSON.stringify(join(dir, 'fresh.db'))} })
      const [m] = (await studio.ensureZoo()).filter((r) => r.name === 'resnet8')
      const d = await studio.deriveVariant(m.id, parseRecipe({ method: 'int8-dynamic' }))
      const i = await inspectModel(d.report.file, { runtime: 'always' })
      await studio.close()
      const maps = readFileSync('/proc/self/maps', 'utf8')
      process.stdout.write(JSON.stringify({ source: i.shapeSource, ort: /onnxruntime/.test(maps) }))
    `
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({ source: 'static+runtime', ort: false })
  }, 300_000)
})
