/**
 * The service facade: everything the CLI, the Electron shell and the browser-mode server can ask
 * of the engine. It owns the store, the devices and the orchestrator, and nothing else.
 */
import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { StudioError } from '../common/errors.js'
import type { DeviceInfo, InspectResult, RunRecord } from '../common/types.js'
import { DeviceRegistry, LOCAL_DEVICE, type DeviceFactory } from './bench/device-registry.js'
import { Orchestrator } from './bench/orchestrator.js'
import type { RunSpec } from './bench/run-spec.js'
import { silentLogger, type Logger } from './log.js'
import { MemorySecretStore, type SecretStore } from './secrets/secret-store.js'
import { findCard, listCards, sha256File, type ModelCard } from './model-card.js'
import { inspectModel } from './model/inspect.js'
import { deriveStored, recordVariant, variantPath, type DeriveRequest } from './compress/variants.js'
import { checkLineage, linkVariant } from './compress/lineage.js'
import { deriveVariant as deriveFile } from './compress/derive.js'
import { runSweep, type SweepOptions, type SweepResult } from './compress/sweep.js'
import type { VariantReport } from './compress/derive.js'
import type { Recipe } from './compress/recipe.js'
import { defaultDbPath, resourcesDir } from './paths.js'
import { Store, type DeviceKind, type ModelRow } from './store/store.js'

export interface StudioOptions {
  dbPath?: string
  logger?: Logger
  /** Where device passwords/passphrases live; default: memory, for this process only. */
  secrets?: SecretStore
  /** Device kinds beyond `local`, or replacements (tests). */
  deviceFactories?: Partial<Record<DeviceKind, DeviceFactory>>
}

export class Studio {
  readonly store: Store
  readonly devices: DeviceRegistry
  readonly runs: Orchestrator

  private constructor(
    store: Store,
    readonly logger: Logger,
    readonly dataDir: string,
    deviceFactories: Partial<Record<DeviceKind, DeviceFactory>>,
    readonly secrets: SecretStore,
  ) {
    this.store = store
    this.devices = new DeviceRegistry({ store, logger, dataDir, secrets }, deviceFactories)
    this.runs = new Orchestrator(store, this.devices, logger)
  }

  static open(opts: StudioOptions = {}): Studio {
    const dbPath = resolve(opts.dbPath ?? defaultDbPath())
    const store = Store.open(dbPath)
    return new Studio(
      store,
      opts.logger ?? silentLogger,
      dirname(dbPath),
      opts.deviceFactories ?? {},
      opts.secrets ?? new MemorySecretStore(),
    )
  }

  /** Adds a model file to the store (same bytes → same record). Its card is used when it matches. */
  async importModel(path: string, opts: { card?: ModelCard | null } = {}): Promise<ModelRow> {
    const abs = resolve(path)
    if (!existsSync(abs)) {
      throw new StudioError('FILE_NOT_FOUND', `Model file not found: ${path}. Check the path and try again.`)
    }
    const sha256 = await sha256File(abs)
    const card = opts.card !== undefined ? opts.card : await findCard(abs, sha256)
    const existing = this.store.getModelBySha(sha256)
    if (existing) return existing
    return this.store.upsertModel({
      name: card?.name ?? basename(abs, '.onnx'),
      path: abs,
      sha256,
      family: card?.family ?? null,
      kind: 'fp32',
      card: card ?? null,
    })
  }

  /** The bundled zoo, imported on first use; a card naming a `parent` makes its model that parent's variant. */
  async ensureZoo(): Promise<ModelRow[]> {
    const dir = join(resourcesDir(), 'models')
    const rows: ModelRow[] = []
    const cards = await listCards(dir)
    for (const { card, modelPath } of cards) rows.push(await this.importModel(modelPath, { card }))
    return rows.map((row, i) => {
      const card = cards[i]?.card
      const parent = typeof card?.parent === 'string' ? rows.find((r) => r.name === card.parent) : undefined
      if (!parent || row.parentId === parent.id) return row
      return linkVariant(this.store, row, parent, typeof card?.recipe === 'string' ? card.recipe : 'made outside the studio (see its model card)')
    })
  }

  /** A stored model by id or name, or a model file (imported if it is not stored yet). */
  async findModel(ref: string): Promise<ModelRow> {
    const byId = /^\d+$/.test(ref) ? this.store.getModel(Number(ref)) : null
    const found = byId ?? this.store.listModels().find((m) => m.name === ref)
    if (found) return found
    if (existsSync(resolve(ref))) return this.importModel(ref)
    throw new StudioError('NOT_FOUND', `No stored model named '${ref}' and no such file. Give a model id, a stored model's name or an .onnx path.`)
  }

  /**
   * Imports a model made outside the studio (e.g. pruned and fine-tuned in the user's training
   * code) as a variant of `parentRef`, with `text` as its recipe. Checked before anything is stored.
   */
  async importVariant(path: string, parentRef: string, text: string, name?: string): Promise<ModelRow> {
    const abs = resolve(path)
    if (!existsSync(abs)) throw new StudioError('FILE_NOT_FOUND', `Model file not found: ${path}. Check the path and try again.`)
    const sha256 = await sha256File(abs)
    const info = await inspectModel(abs)
    const parent = await this.findModel(parentRef)
    const childName = name ?? basename(abs, '.onnx')
    const stored = this.store.getModelBySha(sha256)
    checkLineage(this.store, { ...(stored ? { id: stored.id } : {}), name: childName, sha256 }, parent, text, { child: info, parent: await this.inspect(parent.id) })
    const row = stored ?? (await this.importModel(abs, { card: null }))
    const child = this.store.upsertModel({ ...row, name: childName, inspect: info })
    return linkVariant(this.store, child, parent, text)
  }

  /** Records a stored model as a variant of another, made as `text` says (the Models view's "Set parent"). */
  async setLineage(modelId: number, parentId: number, text: string): Promise<ModelRow> {
    const child = this.store.getModel(modelId)
    const parent = this.store.getModel(parentId)
    if (!child || !parent) throw new StudioError('NOT_FOUND', `No model with id ${child ? parentId : modelId}. Reload the model list.`)
    checkLineage(this.store, child, parent, text, { child: await this.inspect(modelId), parent: await this.inspect(parentId) })
    return linkVariant(this.store, child, parent, text)
  }

  /** Inspection of a stored model, cached in the store after the first time. */
  async inspect(modelId: number): Promise<InspectResult> {
    const model = this.store.getModel(modelId)
    if (!model) throw new StudioError('NOT_FOUND', `No model with id ${modelId}.`)
    if (model.inspect) return model.inspect as InspectResult
    const result = await inspectModel(model.path)
    this.store.setModelInspect(modelId, result)
    return result
  }

  async probe(deviceName = LOCAL_DEVICE, signal?: AbortSignal): Promise<DeviceInfo> {
    const info = await this.devices.get(deviceName).probe(signal)
    const row = this.store.getDevice(deviceName)
    if (row) this.store.upsertDevice({ name: row.name, kind: row.kind, info })
    return info
  }

  startRun(spec: RunSpec): number {
    return this.runs.enqueue(spec)
  }

  /** Queues a run and waits for its end; aborting `signal` cancels it (what it measured stays). */
  async runAndWait(spec: RunSpec, signal?: AbortSignal): Promise<RunRecord> {
    const id = this.runs.enqueue(spec)
    const cancel = (): void => {
      this.runs.cancel(id)
    }
    if (signal?.aborted) cancel()
    signal?.addEventListener('abort', cancel, { once: true })
    try {
      return await this.runs.wait(id)
    } finally {
      signal?.removeEventListener('abort', cancel)
    }
  }

  /** Derives a compressed variant of a stored model and stores it with its lineage. */
  async deriveVariant(parentId: number, recipe: Recipe, req: DeriveRequest = {}): Promise<{ model: ModelRow; report: VariantReport }> {
    return deriveStored(this, parentId, recipe, req)
  }

  /**
   * Derives a variant of a model file. A file not stored yet is stored (with the variant) only
   * when the derivation succeeds, so a refused recipe leaves the store as it was.
   */
  async deriveFromFile(path: string, recipe: Recipe, req: DeriveRequest = {}): Promise<{ model: ModelRow; report: VariantReport }> {
    const abs = resolve(path)
    if (!existsSync(abs)) throw new StudioError('FILE_NOT_FOUND', `Model file not found: ${path}. Check the path and try again.`)
    const sha256 = await sha256File(abs)
    const stored = this.store.getModelBySha(sha256)
    if (stored) return deriveStored(this, stored.id, recipe, req)
    const card = await findCard(abs, sha256)
    const report = await deriveFile(abs, recipe, await variantPath(this, card?.name ?? basename(abs, '.onnx'), recipe, req), {
      card,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    })
    const parent = await this.importModel(abs, { card })
    return { model: await recordVariant(this, parent, recipe, report), report }
  }

  /** Derives a grid of variants and measures them all (see compress/sweep.ts). */
  async sweep(parentId: number, opts: SweepOptions): Promise<SweepResult> {
    const parent = this.store.getModel(parentId)
    if (!parent) throw new StudioError('NOT_FOUND', `No model with id ${parentId}.`)
    if (!parent.inspect) await this.inspect(parentId)
    // The sweep's signal also cancels the run in progress, not only the steps after it.
    const host = { store: this.store, dataDir: this.dataDir, runAndWait: (spec: RunSpec) => this.runAndWait(spec, opts.signal) }
    return runSweep(host, this.store.getModel(parentId) ?? parent, opts)
  }

  async close(): Promise<void> {
    this.runs.cancelAll()
    await this.devices.closeAll()
    this.store.close()
  }
}
