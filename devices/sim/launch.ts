/**
 * Starting the pieces of a simulated serial board: a pty pair made by socat, and the simulator
 * process on one end. Used by the demo, the benchmark script and the integration tests.
 * `startSimulatorOnPty` instead lets socat make one pty and hand its master to the simulator
 * (`EXEC:…,nofork`): no relay process, as with a real USB-serial port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StudioError } from '../../common/errors.js'

export interface PtyPair {
  /** The end the studio (host) opens. */
  host: string
  /** The end the simulator serves. */
  device: string
  close(): Promise<void>
}

const SOCAT_MISSING =
  "socat is not installed; the serial simulator needs it to make a pty pair. Install the 'socat' package (apt-get install socat)."

export function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** `socat -d -d pty,raw,echo=0 pty,raw,echo=0`; the two pty paths come from its stderr. */
export async function openPtyPair(timeoutMs = 10_000): Promise<PtyPair> {
  if (!hasSocat()) throw new StudioError('DEVICE_UNREACHABLE', SOCAT_MISSING)
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let text = ''
  const paths = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StudioError('TIMEOUT', `socat printed no pty paths within ${timeoutMs} ms: ${text}`)),
      timeoutMs,
    )
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(new StudioError('DEVICE_UNREACHABLE', `socat did not start: ${e.message}`, { cause: e }))
    })
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString()
      const found = [...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1] as string)
      if (found.length >= 2) {
        clearTimeout(timer)
        resolve(found)
      }
    })
  })
  child.stderr?.resume()
  return { host: paths[0] as string, device: paths[1] as string, close: () => stop(child) }
}

export interface SimulatorOptions {
  port: string
  model: string
  usPerInference?: number
  faults?: string[]
  name?: string
  modelId?: string
  clockStartUs?: number
  /** Where the simulator's stderr goes (default: dropped). */
  onStderr?: (text: string) => void
}

export interface RunningSimulator {
  process: ChildProcess
  stop(): Promise<void>
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url))

function simArgs(o: Omit<SimulatorOptions, 'port'>): string[] {
  const args = ['--import', 'tsx', MAIN, '--model', o.model]
  if (o.usPerInference !== undefined) args.push('--us-per-inference', String(o.usPerInference))
  for (const f of o.faults ?? []) args.push('--fault', f)
  if (o.name !== undefined) args.push('--name', o.name)
  if (o.modelId !== undefined) args.push('--model-id', o.modelId)
  if (o.clockStartUs !== undefined) args.push('--clock-start', String(o.clockStartUs))
  return args
}

/**
 * Resolves once the child prints `sim-dut ready` on stderr; rejects if it exits first. Later stderr
 * still goes to `onStderr`, and only this wait's own listeners are removed: a stop() waiting for
 * the exit keeps its own.
 */
export function whenReady(
  child: ChildProcess,
  onStderr: ((s: string) => void) | undefined,
  timeoutMs: number,
): Promise<void> {
  let text = ''
  return new Promise<void>((resolve, reject) => {
    let waiting = true
    const settle = (err: StudioError | null): void => {
      if (!waiting) return
      waiting = false
      clearTimeout(timer)
      child.off('error', onError)
      child.off('exit', onExit)
      if (err) reject(err)
      else resolve()
    }
    const timer = setTimeout(
      () => settle(new StudioError('TIMEOUT', `The simulator did not start within ${timeoutMs} ms: ${text}`)),
      timeoutMs,
    )
    const onError = (e: Error): void =>
      settle(new StudioError('DEVICE_UNREACHABLE', `The simulator did not start: ${e.message}`, { cause: e }))
    const onExit = (code: number | null): void =>
      settle(new StudioError('DEVICE_ERROR', `The simulator exited (${code}): ${text.trim()}`))
    child.once('error', onError)
    child.once('exit', onExit)
    child.stderr?.on('data', (d: Buffer) => {
      const s = d.toString()
      onStderr?.(s)
      if (!waiting) return
      text += s
      if (text.includes('sim-dut ready')) settle(null)
    })
  })
}

/** Starts `devices/sim/main.ts` and resolves once it serves the port. */
export async function startSimulator(o: SimulatorOptions, timeoutMs = 30_000): Promise<RunningSimulator> {
  const child = spawn(process.execPath, [...simArgs(o), '--port', o.port], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  await whenReady(child, o.onStderr, timeoutMs)
  return { process: child, stop: () => stop(child) }
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`

/**
 * One pty whose master the simulator holds: `socat PTY,raw,echo=0,link=<dir>/dut
 * EXEC:<dir>/sim.sh,nofork`. The wrapper script carries the arguments, so no path has to survive
 * socat's address syntax. Resolves with the slave path the host opens.
 */
export async function startSimulatorOnPty(
  o: Omit<SimulatorOptions, 'port'>,
  timeoutMs = 30_000,
): Promise<RunningSimulator & { path: string }> {
  if (!hasSocat()) throw new StudioError('DEVICE_UNREACHABLE', SOCAT_MISSING)
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-sim-'))
  if (!/^[\w./-]+$/.test(dir)) {
    rmSync(dir, { recursive: true, force: true })
    throw new StudioError(
      'BAD_INPUT',
      `The temp directory ${dir} has characters socat cannot take; set TMPDIR to a plain path.`,
    )
  }
  const script = join(dir, 'sim.sh')
  const argv = [process.execPath, ...simArgs(o), '--stdio'].map(shellQuote).join(' ')
  writeFileSync(script, `#!/bin/sh\nexec ${argv}\n`)
  chmodSync(script, 0o700)
  const path = join(dir, 'dut')
  const child = spawn('socat', ['-d', '-d', `PTY,raw,echo=0,link=${path}`, `EXEC:${script},nofork`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  try {
    await whenReady(child, o.onStderr, timeoutMs)
  } catch (e) {
    await stop(child)
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return {
    process: child,
    path,
    stop: async () => {
      await stop(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
