/**
 * The simulator launcher's process handling: waiting for `sim-dut ready` must not take away the
 * exit listener of a later stop(), even when the process writes to stderr while it stops (a sim
 * that crashed as its port vanished did, and the stop then waited forever).
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { stop, whenReady } from '../../../devices/sim/launch.js'

describe('simulator launcher', () => {
  it('stop() sees the exit of a process that writes to stderr as it stops', async () => {
    // The handler goes in before 'ready' is announced, or a fast stop() kills the script by signal.
    const script = [
      "process.on('SIGTERM', () => { process.stderr.write('late diagnostics\\n'); setTimeout(() => process.exit(1), 100) })",
      "process.stderr.write('sim-dut ready\\n')",
      'setInterval(() => undefined, 1000)',
    ].join(';')
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    const seen: string[] = []
    await whenReady(child, (s) => seen.push(s), 10_000)
    const t = performance.now()
    // A grace longer than the test: only the exit event can end this stop().
    await stop(child, 60_000)
    expect(performance.now() - t).toBeLessThan(5_000)
    expect(child.exitCode).toBe(1)
    expect(seen.join('')).toContain('late diagnostics')
  }, 20_000)

  it('whenReady rejects with the output when the process exits before it is ready', async () => {
    const child = spawn(
      process.execPath,
      ['-e', "process.stderr.write('no model here\\n'); process.exit(3)"],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    await expect(whenReady(child, undefined, 10_000)).rejects.toThrow(/exited \(3\): no model here/)
  })
})
