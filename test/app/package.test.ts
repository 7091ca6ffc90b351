/**
 * The desktop app as it is built and packaged, as far as a machine without Electron's runtime
 * can check it: `electron-vite build` (the main bundle never loads onnxruntime-node; the scripts it
 * forks are built beside it), then electron-builder's unpacked Linux build (`--dir`) against a
 * stand-in Electron distribution made here: the asar/unpacked layout, the zoo, dataset and SQLite
 * binding as extra resources, the forked scripts resolved to app.asar.unpacked — and those
 * scripts actually run from the unpacked tree under plain Node, where nothing inside app.asar can
 * be read. Slow (a full build and a package): minutes on a loaded 2-core machine.
 */
import { spawn } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SESSION_OPTIONS } from '../../common/types.js'
import { childEntry } from '../../devices/local/child-entry.js'
import { RunnerProcess } from '../../devices/local/runner-process.js'
import { encodeModel, loadModel } from '../../main/model/onnx-io.js'
import { EngineProcess } from '../../main/worker/engine.js'
import { renderIcon } from '../../tools/build/icon.js'

const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; name: string }
const asar = require('@electron/asar') as { listPackage(path: string, o?: object): string[]; extractFile(archive: string, file: string): Buffer }
// electron-builder's own YAML reader (a dependency of it), to check the configuration it reads.
const yaml = require(require.resolve('js-yaml', { paths: [dirname(require.resolve('app-builder-lib/package.json'))] })) as { load(text: string): unknown }

let stage = ''
let app = '' // dist/linux-unpacked
let res = '' // its resources/

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`))))
  })
}

/** A copy of the project as `npm run dist` sees it, with a stand-in Electron and SQLite binding. */
async function stageProject(): Promise<void> {
  stage = mkdtempSync(join(root, '.tmp', 'package-test-'))
  await run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', join(stage, 'out'), '--logLevel', 'warn'], root)
  for (const f of ['package.json', 'electron-builder.yml']) copyFileSync(join(root, f), join(stage, f))
  // A hard-linked copy, not a symlink: through a symlinked node_modules, `npm list` (electron-builder's
  // dependency collector) calls the packages extraneous after a clean `npm ci`, and the app would
  // ship without serialport's and sharp's binaries — which `npm run dist` from the repository does not.
  await run('cp', ['-al', join(root, 'node_modules'), join(stage, 'node_modules')], root)
  symlinkSync(join(root, 'resources'), join(stage, 'resources'))
  await renderIcon(root, join(stage, 'build', 'icon.png'))
  // Stand-ins for what needs Electron's downloads: its binding (npm run prepare:electron) and runtime.
  mkdirSync(join(stage, 'build', 'electron-native'), { recursive: true })
  copyFileSync(join(dirname(require.resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node'), join(stage, 'build/electron-native/better_sqlite3.node'))
  const dist = join(stage, 'electron-dist')
  mkdirSync(dist)
  writeFileSync(join(dist, 'electron'), '#!/bin/sh\necho "stand-in Electron: $@"\n')
  chmodSync(join(dist, 'electron'), 0o755)
  writeFileSync(join(dist, 'version'), `v${JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version}`)
}

beforeAll(async () => {
  mkdirSync(join(root, '.tmp'), { recursive: true })
  await stageProject()
  await run(
    process.execPath,
    [join(root, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', '--projectDir', stage, `-c.electronDist=${join(stage, 'electron-dist')}`, `-c.directories.output=${join(stage, 'dist')}`],
    stage,
  )
  app = join(stage, 'dist', 'linux-unpacked')
  res = join(app, 'resources')
}, 1_800_000)

afterAll(() => {
  if (stage) rmSync(stage, { recursive: true, force: true })
})

/** Every module the file imports statically or dynamically, or requires. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8')
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm
  return [...src.matchAll(re)].map((m) => m[1] ?? '')
}

describe('the built app (electron-vite build)', () => {
  it('main bundle: never loads onnxruntime-node; the scripts it forks do, beside it', () => {
    const main = join(stage, 'out', 'main')
    const files = readdirSync(main)
    expect(files).toEqual(expect.arrayContaining(['index.js', 'runner.js', 'runner-worker.js', 'engine-worker.js', 'agent.cjs']))
    const forked = new Set(['runner.js', 'runner-worker.js', 'engine-worker.js', 'agent.cjs'])
    // The main process loads index.js and whatever chunks it has; none may import ORT.
    for (const f of files.filter((f) => f.endsWith('.js') && !forked.has(f))) {
      expect(importsOf(join(main, f)), f).not.toContain('onnxruntime-node')
      expect(importsOf(join(main, f)).some((m) => /runner|engine-worker/.test(m)), f).toBe(false)
    }
    expect(importsOf(join(main, 'engine-worker.js'))).toContain('onnxruntime-node')
    expect(importsOf(join(main, 'runner-worker.js'))).toContain('onnxruntime-node')
    // Self-contained: only Node built-ins and the native packages electron-builder unpacks.
    for (const f of ['runner.js', 'runner-worker.js', 'engine-worker.js']) {
      const bare = importsOf(join(main, f)).filter((m) => !m.startsWith('node:') && !m.startsWith('.'))
      const allowed = (m: string): boolean => builtinModules.includes(m) || ['onnxruntime-node', 'sharp'].some((p) => m === p || m.startsWith(`${p}/`))
      expect(bare.filter((m) => !allowed(m)), f).toEqual([])
    }
  })
})

describe('the packaged app (electron-builder --dir, Linux)', () => {
  it('is named, versioned and laid out as electron-builder.yml says', () => {
    expect(existsSync(join(app, 'edgebench-studio'))).toBe(true)
    const packed = JSON.parse(asar.extractFile(join(res, 'app.asar'), 'package.json').toString('utf8')) as { version?: string; main?: string }
    expect(packed.version).toBe(pkg.version)
    expect(packed.main).toBe('out/main/index.js')
    const list = asar.listPackage(join(res, 'app.asar'))
    for (const f of ['/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/out/main/agent.cjs', '/node_modules/better-sqlite3/lib/index.js']) {
      expect(list, f).toContain(f)
    }
    // The renderer's packages are bundled into out/renderer; the system-Node SQLite build stays out.
    expect(list.some((p) => p.startsWith('/node_modules/vue/'))).toBe(false)
    expect(list.some((p) => p.startsWith('/node_modules/better-sqlite3/build/'))).toBe(false)
    // ONNX Runtime: this OS's binaries (and linux/arm64 for SSH boards), not the other OSes'.
    const ortBin = join(res, 'app.asar.unpacked/node_modules/onnxruntime-node/bin/napi-v6')
    expect(readdirSync(ortBin).sort()).toEqual(['linux'])
    expect(readdirSync(join(ortBin, 'linux')).sort()).toEqual(['arm64', 'x64'])
  })

  it('unpacks every native binary and the scripts main forks', () => {
    const unpacked = join(res, 'app.asar.unpacked')
    const natives = asar.listPackage(join(res, 'app.asar')).filter((p) => p.endsWith('.node'))
    // The ones the app cannot run without (ssh2's crypto and cpu-features are optional builds that may be absent).
    for (const needed of ['onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node', '@serialport/bindings-cpp/prebuilds/linux-x64/', 'sharp-linux-x64.node']) {
      expect(natives.some((p) => p.includes(needed)), `${needed} among ${natives.join(', ')}`).toBe(true)
    }
    for (const n of natives) expect(existsSync(join(unpacked, n)), n).toBe(true)
    for (const f of ['runner.js', 'runner-worker.js', 'engine-worker.js']) expect(existsSync(join(unpacked, 'out/main', f)), f).toBe(true)
  })

  it('ships the zoo, the dataset and the SQLite binding for Electron as extra resources', () => {
    const models = readdirSync(join(res, 'resources/models')).filter((f) => f.endsWith('.onnx'))
    expect(models.length).toBe(readdirSync(join(root, 'resources/models')).filter((f) => f.endsWith('.onnx')).length)
    expect(existsSync(join(res, 'resources/datasets/index.json'))).toBe(true)
    expect(existsSync(join(res, 'native/better_sqlite3.node'))).toBe(true)
  })

  it('resolves the forked scripts from the packaged main bundle to app.asar.unpacked', () => {
    // The packaged app knows no prebuilt-children folder (the suite's global setup sets one).
    delete process.env.EDGEBENCH_CHILD_DIR
    const bundle = pathToFileURL(join(res, 'app.asar', 'out', 'main', 'index.js'))
    for (const name of ['runner', 'engine-worker']) {
      // What runner-process.ts / engine.ts compute inside the bundle (their .ts sources are not there).
      const entry = childEntry(new URL(`./${name}.ts`, bundle), new URL(`./${name}.js`, bundle))
      expect(entry).toEqual({ file: join(res, 'app.asar.unpacked', 'out', 'main', `${name}.js`), execArgv: [] })
      expect(existsSync(entry.file)).toBe(true)
    }
  })

  it('runs the unpacked runner and engine worker with nothing from app.asar (plain Node cannot read it)', async () => {
    const unpackedMain = join(res, 'app.asar.unpacked', 'out', 'main')
    const runner = await RunnerProcess.start(undefined, { file: join(unpackedMain, 'runner.js'), execArgv: [] })
    try {
      const loaded = await runner.request({ op: 'load', modelPath: join(res, 'resources/models/resnet8.onnx'), session: DEFAULT_SESSION_OPTIONS })
      expect(loaded.outputs.map((o) => o.name)).toContain('logits')
    } finally {
      await runner.close()
    }
    const engine = await EngineProcess.start(undefined, { file: join(unpackedMain, 'engine-worker.js'), execArgv: [] })
    try {
      const model = await loadModel(join(res, 'resources/models/resnet8.onnx'))
      const r = await engine.request({ type: 'runtimeShapes', model: encodeModel(model), names: ['logits'], inputs: new Map([['input', { dtype: 1, shape: [1, 1, 28, 28] }]]), dtypes: new Map() })
      expect(r).toMatchObject({ type: 'shapes' })
      if (r.type === 'shapes') expect(r.value.get('logits')?.shape).toEqual([1, 10])
    } finally {
      await engine.close()
    }
  }, 300_000)
})

describe('the installer configuration', () => {
  it('builds AppImage + deb, dmg and NSIS under one app id, name and icon', () => {
    const c = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<string, Record<string, unknown> & { target?: unknown }>
    expect(c.appId).toBe('org.edgebench.studio')
    expect(c.productName).toBe('EdgeBench Studio')
    expect(c.linux?.target).toEqual(['AppImage', 'deb'])
    expect(c.mac?.target).toBe('dmg')
    expect(c.win?.target).toBe('nsis')
    expect(c.npmRebuild).toBe(false)
    expect(c.icon).toBe('build/icon.png')
    expect(existsSync(join(root, 'resources', 'icon.svg'))).toBe(true)
  })
})
