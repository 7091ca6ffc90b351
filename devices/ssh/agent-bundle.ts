/**
 * What the board needs to run the agent: the agent itself (devices/agent bundled by esbuild into
 * one CommonJS file, onnxruntime-node left external) and the studio's own onnxruntime-node for the
 * board's OS/arch — its JS, onnxruntime-common, and the native binding files from
 * `bin/napi-v6/<os>/<arch>/`. Laid out as a tiny node_modules tree, so `require('onnxruntime-node')`
 * resolves on the board, and named by one hash over every file, so it is uploaded once.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StudioError } from '../../common/errors.js'

export interface BundleFile {
  /** Path inside the runtime folder, '/'-separated. */
  path: string
  content: Buffer
  sha256: string
}

export interface AgentBundle {
  /** SHA-256 over every file's path and hash: the runtime folder's name on the board. */
  id: string
  files: BundleFile[]
  /** Path of the agent script inside the folder. */
  entry: string
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

function walk(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p, keep))
    else if (keep(e.name)) out.push(p)
  }
  return out.sort()
}

let agentScript: Promise<Buffer> | null = null

/**
 * The agent as one CommonJS file: built from devices/agent with esbuild (once per process, a
 * fraction of a second) when the sources are here (CLI, dev, tests); a compiled build may ship it
 * prebuilt as `agent.cjs` beside this module instead.
 */
export function buildAgentScript(): Promise<Buffer> {
  agentScript ??= (async (): Promise<Buffer> => {
    const entry = fileURLToPath(new URL('../agent/agent.ts', import.meta.url))
    const prebuilt = fileURLToPath(new URL('./agent.cjs', import.meta.url))
    if (!existsSync(entry) && existsSync(prebuilt)) return readFileSync(prebuilt)
    let esbuild: typeof import('esbuild')
    try {
      esbuild = await import('esbuild')
    } catch (e) {
      throw new StudioError(
        'INTERNAL',
        'This installation has neither the agent sources with esbuild nor a prebuilt agent.cjs; reinstall the studio.',
        { cause: e },
      )
    }
    const r = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'cjs',
      external: ['onnxruntime-node'],
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    })
    const file = r.outputFiles[0]
    if (!file) throw new StudioError('INTERNAL', 'esbuild produced no agent script')
    return Buffer.from(file.contents)
  })()
  agentScript.catch(() => {
    agentScript = null
  })
  return agentScript
}

/** The folder of an installed package: up from its main file to its package.json (exports may hide it). */
function packageDir(name: string, from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(createRequire(from).resolve(name))
  while (dirname(dir) !== dir) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === name)
      return dir
    dir = dirname(dir)
  }
  throw new StudioError('INTERNAL', `Cannot find the installed package ${name}`)
}

/** The runtime for a board reporting `platform`/`arch` as Node names them (linux/arm64, …). */
export async function agentBundle(platform: string, arch: string): Promise<AgentBundle> {
  const ortDir = packageDir('onnxruntime-node')
  const commonDir = packageDir('onnxruntime-common', join(ortDir, 'package.json'))
  const binDir = join(ortDir, 'bin', 'napi-v6', platform, arch)
  if (!existsSync(binDir)) {
    const have = readdirSync(join(ortDir, 'bin', 'napi-v6')).flatMap((os) =>
      readdirSync(join(ortDir, 'bin', 'napi-v6', os)).map((a) => `${os}/${a}`),
    )
    throw new StudioError(
      'MODEL_UNSUPPORTED',
      `This studio's onnxruntime-node has no build for ${platform}/${arch} boards (it has ${have.join(', ')}); such a board cannot run the agent.`,
    )
  }
  const files: BundleFile[] = []
  const add = (path: string, content: Buffer): void => {
    files.push({ path, content, sha256: sha256(content) })
  }
  const addTree = (base: string, dir: string, under: string, keep: (name: string) => boolean): void => {
    for (const p of walk(dir, keep))
      add(`${under}/${relative(base, p).split('\\').join('/')}`, readFileSync(p))
  }
  const js = (n: string): boolean => n.endsWith('.js') || n === 'package.json'
  add('agent.cjs', await buildAgentScript())
  add('node_modules/onnxruntime-node/package.json', readFileSync(join(ortDir, 'package.json')))
  addTree(ortDir, join(ortDir, 'dist'), 'node_modules/onnxruntime-node', js)
  addTree(ortDir, binDir, 'node_modules/onnxruntime-node', () => true)
  add('node_modules/onnxruntime-common/package.json', readFileSync(join(commonDir, 'package.json')))
  addTree(commonDir, join(commonDir, 'dist', 'cjs'), 'node_modules/onnxruntime-common', js)
  const id = sha256(Buffer.from(files.map((f) => `${f.path}\0${f.sha256}\n`).join('')))
  return { id, files, entry: 'agent.cjs' }
}
