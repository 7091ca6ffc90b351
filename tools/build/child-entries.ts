/**
 * The scripts the desktop app forks or uploads, built beside the main bundle (out/main): the local
 * runner and its inference thread, the engine worker, and the SSH board agent. Each is one
 * self-contained file — only the native packages (onnxruntime-node, sharp) stay external — so a
 * packaged app can run them from app.asar.unpacked with nothing else unpacked but those packages
 * (see electron-builder.yml and devices/local/child-entry.ts).
 */
import { build, type BuildOptions } from 'esbuild'
import { join } from 'node:path'

/** Native packages the children import at run time; electron-builder unpacks them whole. */
export const CHILD_EXTERNALS = ['onnxruntime-node', 'sharp']

/** Entry (repository-relative) → output file name in out/main. */
export const CHILD_ENTRIES: Record<string, string> = {
  'devices/local/runner.ts': 'runner.js',
  'devices/local/runner-worker.ts': 'runner-worker.js',
  'main/worker/engine-worker.ts': 'engine-worker.js',
}

// Bundled CommonJS dependencies (protobufjs, …) call require(); an ES module has none of its own.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

export async function buildChildEntries(root: string, outDir: string): Promise<string[]> {
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: root,
  }
  const written: string[] = []
  for (const [entry, name] of Object.entries(CHILD_ENTRIES)) {
    const outfile = join(outDir, name)
    await build({ ...common, entryPoints: [entry], outfile, format: 'esm', external: CHILD_EXTERNALS, banner: { js: REQUIRE_SHIM } })
    written.push(outfile)
  }
  // The board agent: CommonJS for the board's Node ≥ 18, as devices/ssh/agent-bundle.ts builds it
  // from the sources; a build ships it prebuilt under the name that module looks for.
  const agent = join(outDir, 'agent.cjs')
  await build({ ...common, entryPoints: ['devices/agent/agent.ts'], outfile: agent, format: 'cjs', target: 'node18', external: ['onnxruntime-node'] })
  written.push(agent)
  return written
}
