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

  /** The bundled zoo, imported on first use. */
  async ensureZoo(): Promise<ModelRow[]> {
    const dir = join(resourcesDir(), 'models')
    const rows: ModelRow[] = []
    for (const { card, modelPath } of await listCards(dir)) {
      rows.push(await this.importModel(modelPath, { card }))
    }
    return rows
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
