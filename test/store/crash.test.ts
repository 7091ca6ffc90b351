/**
 * A real crash: a child process opens the store, starts a run, appends three chunks of samples
 * and is SIGKILLed. Reopening must find the run interrupted and every committed chunk intact.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { INTERRUPTED_MESSAGE, Store } from '../../main/store/store.js'
import { tempDir } from './fixtures.js'

let dir: string
let cleanup: () => void
let child: ChildProcess | undefined

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  cleanup()
})

const CHUNKS = [
  [100, 101, 102, 103],
  [200, 201, 202],
  [300, 301, 302, 303, 304],
]

function childScript(dbPath: string): string {
  const storeUrl = pathToFileURL(resolve('main/store/store.ts')).href
  return `
import { Store } from ${JSON.stringify(storeUrl)}
const store = Store.open(${JSON.stringify(dbPath)})
const model = store.upsertModel({ name: 'resnet8', path: '/m.onnx', sha256: 'c'.repeat(64) })
const device = store.upsertDevice({ name: 'this-computer', kind: 'local' })
const id = store.createRun({ kind: 'bench', modelId: model.id, deviceId: device.id, spec: {} })
store.startRun(id, null)
for (const chunk of ${JSON.stringify(CHUNKS)}) store.appendSamples(id, chunk)
process.stdout.write('chunks=3 run=' + id + '\\n')
// Keep the process (and its open database) alive until the test kills it.
setInterval(() => {}, 1000)
`
}

/** Resolves with the child's first stdout line that matches, rejecting if it exits first. */
function waitForLine(proc: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolveLine, reject) => {
    let out = ''
    let err = ''
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = out.match(pattern)
      if (m) resolveLine(m)
    })
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    proc.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}): ${err}`)))
  })
}

it('a killed process loses no committed chunk, and its run becomes interrupted', async () => {
  const dbPath = join(dir, 'studio.db')
  const script = join(dir, 'crash-child.ts')
  writeFileSync(script, childScript(dbPath))
  child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const match = await waitForLine(child, /chunks=3 run=(\d+)/)
  const runId = Number(match[1])
  const exited = new Promise<NodeJS.Signals | null>((r) => child?.on('exit', (_c, s) => r(s)))
  child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')

  const store = Store.open(dbPath)
  try {
    expect(store.recoveredRuns).toBe(1)
    const run = store.getRun(runId)
    expect(run).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED', message: INTERRUPTED_MESSAGE } })
    expect(run?.finishedAt).not.toBeNull()
    expect(Array.from(store.getSamples(runId))).toEqual(CHUNKS.flat())
  } finally {
    store.close()
  }
  // Recovery happens once: the next open finds nothing left to recover.
  const again = Store.open(dbPath)
  expect(again.recoveredRuns).toBe(0)
  again.close()
})
