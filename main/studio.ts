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
import { detectPreprocessing, type DetectOptions, type DetectionResult } from './bench/detect.js'
import type { RunSpec } from './bench/run-spec.js'
import { silentLogger, type Logger } from './log.js'
import { MemorySecretStore, type SecretStore } from './secrets/secret-store.js'
import { listCards, sha256File } from './model-card.js'
import { checkOverride, feedOf } from './model-feed.js'
import { draftImport, fillMissingFigures, importModelFile, setPreprocessing, storeDraft, type ImportOptions, type ModelHost } from './models.js'
import type { PreprocessingRequest } from '../common/preprocessing.js'
import { inspectModel } from './model/inspect.js'
import { deriveFor, deriveStored, recordVariant, type DeriveRequest } from './compress/variants.js'
import { checkLineage, linkVariant } from './compress/lineage.js'
import { runSweep, type SweepOptions, type SweepResult } from './compress/sweep.js'
import type { VariantReport } from './compress/derive.js'
import type { Recipe } from './compress/recipe.js'
import { defaultDbPath, resourcesDir } from './paths.js'
import type { EarlyExitResult } from '../common/early-exit.js'
import { measureEarlyExit, sweepSettings, type EarlyExitHooks, type EarlyExitRequest } from './early-exit/measure.js'
import { addOperatingPoints } from './early-exit/variants.js'
import { Store, type DeviceKind, type ModelRow } from './store/store.js'

export interface StudioOptions {
  dbPath?: string
  logger?: Logger
  /** Where device passwords/passphrases live; default: memory, for this process only. */
  secrets?: SecretStore
  /** The better-sqlite3 binding built for Electron (the desktop app passes it; see store/sqlite-binding.ts). */
  sqliteBinding?: string
  /** Device kinds beyond `local`, or replacements (tests). */
  deviceFactories?: Partial<Record<DeviceKind, DeviceFactory>>
}

export class Studio {
  readonly store: Store
  readonly devices: DeviceRegistry
  readonly runs: Orchestrator
  private figures: Promise<number> | null = null

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
    const store = Store.open(dbPath, opts.sqliteBinding ? { electronBinding: opts.sqliteBinding } : {})
    return new Studio(
      store,
      opts.logger ?? silentLogger,
      dirname(dbPath),
      opts.deviceFactories ?? {},
      opts.secrets ?? new MemorySecretStore(),
    )
  }

  /**
   * Adds a model file to the store (same bytes → same record) with its figures, and how to feed it:
   * from `opts.set`, else its card (given, or `<name>.json` beside it), else its ONNX metadata.
   */
  async importModel(path: string, opts: ImportOptions = {}): Promise<ModelRow> {
    return importModelFile(this.modelHost(), path, opts)
  }

  /** Changes a model's preprocessing, labels or dataset (checked against the model first). */
  async setPreprocessing(modelId: number, req: PreprocessingRequest): Promise<ModelRow> {
    return setPreprocessing(this.modelHost(), modelId, req)
  }

  /** Auto-detect: the presets × layouts × channel orders tried on 200 samples, best first (a guess). */
  async detectPreprocessing(modelId: number, opts: DetectOptions = {}): Promise<DetectionResult> {
    const model = this.store.getModel(modelId)
    if (!model) throw new StudioError('NOT_FOUND', `No model with id ${modelId}.`)
    if (!model.inspect) await this.inspect(modelId)
    return detectPreprocessing(this.store, this.store.getModel(modelId) ?? model, opts)
  }

  /** Checks per-run preprocessing flags against the model before any run is created. */
  async checkRunPreprocessing(modelId: number, override: PreprocessingRequest): Promise<void> {
    const model = this.store.getModel(modelId)
    if (!model) throw new StudioError('NOT_FOUND', `No model with id ${modelId}.`)
    // A model that cannot be inspected fails in its run, which then records why.
    const io = model.inspect ?? (model.kind === 'firmware' ? null : await this.inspect(modelId).catch(() => null))
    if (io) checkOverride(io, feedOf(this.store, model), override)
  }

  /**
   * Figures for the models that have none (rows from older builds), once per process; lists that
   * show sizes and MACs (models, Explore) wait for it.
   */
  ensureFigures(): Promise<number> {
    this.figures ??= fillMissingFigures(this.modelHost()).catch((e: unknown) => {
      this.logger.warn(`filling model figures: ${e instanceof Error ? e.message : String(e)}`)
      this.figures = null
      return 0
    })
    return this.figures
  }

  private modelHost(): ModelHost {
    return { store: this.store, warn: (m) => this.logger.warn(m), info: (m) => this.logger.info(m) }
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
    const d = await draftImport(this.modelHost(), path)
    if ('existing' in d) {
      const parent = await this.importModel(path)
      if (req.preprocessing) await this.checkRunPreprocessing(parent.id, req.preprocessing)
      return deriveStored(this, parent.id, recipe, req)
    }
    const draft = d.draft
    if (req.preprocessing && draft.inspect) checkOverride(draft.inspect, feedOf(this.store, draft), req.preprocessing)
    const derived = await deriveFor(this, draft, recipe, req)
    return { model: recordVariant(this, storeDraft(this.modelHost(), draft), recipe, derived), report: derived.report }
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

  /**
   * Early exit of a stored model on a device (main/early-exit): queued with the device's runs so
   * nothing else disturbs its timing, then stored. Bad settings fail before anything is queued.
   */
  async earlyExit(req: EarlyExitRequest, hooks: EarlyExitHooks = {}): Promise<EarlyExitResult> {
    const model = this.store.getModel(req.modelId)
    if (!model) throw new StudioError('NOT_FOUND', `No model with id ${req.modelId}.`)
    sweepSettings(req)
    if (!this.store.getDevice(req.deviceName)) {
      throw new StudioError('NOT_FOUND', `No device named '${req.deviceName}'. See 'edgebench device list'.`)
    }
    const host = {
      devices: this.devices,
      dataDir: this.dataDir,
      feedOf: (m: ModelRow) => feedOf(this.store, m),
      deviceDataset: (name: string) => {
        const d = this.store.getDevice(name)?.config.dataset
        return typeof d === 'string' ? d : undefined
      },
    }
    const m = await this.runs.exclusive(req.deviceName, () => measureEarlyExit(host, model, req, hooks))
    return { ...m.result, id: this.store.saveEarlyExit(m.result, m.samplesUs) }
  }

  /** Chosen thresholds of a stored early-exit sweep as variants with their measured runs (Explore). */
  async addEarlyExitPoints(sweepId: number, thresholds: number[]): Promise<ModelRow[]> {
    return addOperatingPoints({ store: this.store, dataDir: this.dataDir }, sweepId, thresholds)
  }

  async close(): Promise<void> {
    this.runs.cancelAll()
    await this.figures
    await this.devices.closeAll()
    this.store.close()
  }
}
