/**
 * The local runner: a child process forked by LocalDevice, so a crashing or runaway model never
 * takes the app down and peak RSS is measured on a process that does nothing but inference.
 *
 * This main thread only relays messages between the parent (IPC) and the inference thread
 * (runner-worker.ts). Because ORT's `session.run` blocks the thread that calls it, keeping it off
 * this thread lets the next evaluation batch arrive and be decoded while the current one infers.
 */
import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

if (!process.send) {
  process.stderr.write('runner.ts is a child process of LocalDevice; it cannot run on its own\n')
  process.exit(2)
}

function startWorker(): Worker {
  const ts = new URL('./runner-worker.ts', import.meta.url)
  if (!existsSync(ts)) return new Worker(new URL('./runner-worker.js', import.meta.url))
  // Node 20 does not pass --import hooks on to workers; register tsx inside the worker first.
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}) })`
  return new Worker(boot, { eval: true })
}

const worker = startWorker()
worker.on('message', (m: unknown) => process.send?.(m))
worker.on('error', (e: Error) => {
  process.stderr.write(`local runner: inference thread failed: ${e.stack ?? e.message}\n`)
  process.exit(70)
})
worker.on('exit', (code) => process.exit(code === 0 ? 70 : code))
process.on('message', (raw: unknown) => {
  // No transfer list: Node's IPC deserializer may back the batch's typed array with its own read
  // buffer, which must not be detached. The copy postMessage makes is a plain memcpy.
  worker.postMessage(raw)
})
// The parent went away (closed, crashed, killed): never linger as an orphan. A reply that was
// still being written then fails with EPIPE, which is no longer anyone's concern.
process.on('disconnect', () => process.exit(0))
process.on('error', () => process.exit(0))
