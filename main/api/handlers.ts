/**
 * Every channel of the API contract, implemented once on top of the Studio and shared by the
 * Electron IPC handlers and the browser-mode server. Payloads are parsed with the contract's zod
 * schemas before anything runs; every answer is an ApiResult, so nothing is thrown across a
 * process or network boundary. Events from the orchestrator (already throttled to ≤ 10/s per run)
 * fan out to every subscriber.
 */
import { z } from 'zod'
import { importExtras, isApiChannel, parsePayload } from '../../common/api-schemas.js'
import type {
  ApiChannel,
  ApiPayload,
  ApiResult,
  ApiValue,
  HostMode,
  ModelInfo,
} from '../../common/api.js'
import { StudioError, toStudioError, type ErrorInfo } from '../../common/errors.js'
import type { RunRecord } from '../../common/types.js'
import { HostKeyUnknownError } from '../../devices/ssh/connection.js'
import { runSpec } from '../bench/run-spec.js'
import { listPorts } from '../../devices/serial/ports.js'
import { ortVersion } from '../../devices/local/probe.js'
import { addSshDevice, removeDevice } from '../bench/ssh-boards.js'
import { listDatasets } from '../data/datasets.js'
import { addSerialDevice } from '../serial-setup.js'
import { resourcesDir } from '../paths.js'
import { toolVersion } from '../report/tool-version.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import { compressImpls } from './compress.js'
import { earlyExitImpls } from './early-exit.js'
import { createEventHub, type EventHub, type EventListener } from './events.js'
import { createJobRunner, type JobRunner } from './jobs.js'
import { explorePoints, newestTop1, toDeviceSummary, toModelInfo, toRunSummary } from './views.js'
import { compareRuns } from './compare-runs.js'
import { defaultImportDir, importModelBytes, importModelStream } from './import-bytes.js'
import { exportReport } from './report-export.js'
import { recommendImpls } from './recommend-channels.js'
import type { PdfRenderer } from '../report/pdf.js'

import type { ChannelImpl, ChannelImpls } from './channel.js'

export type { ChannelImpl, ChannelImpls } from './channel.js'

export interface HandlerOptions {
  /** 'desktop' when the Electron shell hosts the UI, else 'browser'. */
  mode: HostMode
  /** The desktop shell's native-dialog channels; without them those channels answer BAD_INPUT. */
  desktop?: Partial<Pick<ChannelImpls, 'models:openDialog' | 'reports:saveDialog'>>
  /** How HTML reports become PDF here (the desktop app: Electron's printToPDF); default Chromium. */
  pdf?: PdfRenderer
  /** Where dropped models are kept; default: 'imported/' beside the database. */
  importDir?: string
  now?: () => Date
}

export type { EventListener } from './events.js'

export interface ApiHandlers {
  /** Validates and runs one request from an untrusted caller. Never throws. */
  call(channel: unknown, payload: unknown): Promise<ApiResult<unknown>>
  /** The same, typed, for callers inside main. */
  invoke<C extends ApiChannel>(channel: C, payload: ApiPayload<C>): Promise<ApiResult<ApiValue<C>>>
  /**
   * 'models:importBytes' with the bytes as a stream (an HTTP upload body), spooled to disk rather
   * than held in memory. Never throws.
   */
  importStream(fileName: unknown, chunks: AsyncIterable<Uint8Array>, extras?: unknown): Promise<ApiResult<ModelInfo>>
  /** Subscribes to every pushed event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void
  /** Stops listening to the studio (the studio itself stays open). */
  dispose(): void
}

export function errorInfo(e: unknown): ErrorInfo {
  const err = toStudioError(e)
  return { code: err.code, message: err.message }
}

/** Models are inspected when stored (import, derive); this is the fresh row as the API shows it. */
function modelInfo(studio: Studio, row: ModelRow): ModelInfo {
  return toModelInfo(studio.store.getModel(row.id) ?? row, studio.store)
}

/** A dropped file's name as an upload carries it (the JSON form's schema says the same). */
const uploadName = z.string().min(1).max(255)

function desktopOnly(channel: string): never {
  throw new StudioError('BAD_INPUT', `${channel} needs the desktop app; in a browser, drop the file on the window or use Export.`)
}

/** Every channel's implementation; the desktop dialogs come from the shell when it has them. */
function buildImpls(studio: Studio, opts: HandlerOptions, hub: EventHub, jobs: JobRunner, now: () => Date): ChannelImpls {
  const getRun = (runId: number): RunRecord => {
    const run = studio.store.getRun(runId)
    if (!run) throw new StudioError('NOT_FOUND', `No run with id ${runId}.`)
    return run
  }

  const withFigures = (row: ModelRow): Promise<ModelInfo> => Promise.resolve(modelInfo(studio, row))

  const impl: ChannelImpls = {
    'app:info': async () => ({
      name: 'EdgeBench Studio',
      version: toolVersion(),
      mode: opts.mode,
      dbPath: studio.store.path,
      platform: process.platform,
      onnxRuntime: ortVersion(),
    }),
    'models:list': async () => {
      await studio.ensureFigures()
      return studio.store.listModels().map((m) => toModelInfo(m, studio.store))
    },
    'models:import': async ({ path, preprocessing }) =>
      withFigures(await studio.importModel(path, preprocessing ? { set: preprocessing } : {})),
    'models:importBytes': async (p) =>
      withFigures(await importModelBytes(studio, p, opts.importDir ?? defaultImportDir(studio.store.path))),
    'models:setPreprocessing': async ({ modelId, request }) => withFigures(await studio.setPreprocessing(modelId, request)),
    'models:inspect': async ({ modelId }) => studio.inspect(modelId),
    'models:variants': async ({ modelId }) => {
      if (!studio.store.getModel(modelId)) throw new StudioError('NOT_FOUND', `No model with id ${modelId}.`)
      return studio.store.variantsOf(modelId).map((m) => toModelInfo(m, studio.store))
    },
    'models:setLineage': async ({ modelId, parentId, recipe }) => withFigures(await studio.setLineage(modelId, parentId, recipe)),
    'models:openDialog': opts.desktop?.['models:openDialog'] ?? (async () => desktopOnly('models:openDialog')),
    ...compressImpls(studio, jobs, withFigures),
    ...earlyExitImpls(studio, jobs, async (row) => toModelInfo(row)),
    'devices:list': async () => studio.store.listDevices().map((d) => toDeviceSummary(d, hub.statusOf(d.name, d.kind))),
    'devices:probe': async ({ name }) => {
      try {
        const info = await studio.probe(name)
        hub.setDeviceStatus(name, { state: 'online', since: now().toISOString() })
        return info
      } catch (e) {
        const error = errorInfo(e)
        if (studio.store.getDevice(name)) hub.setDeviceStatus(name, { state: 'error', error })
        throw e
      }
    },
    'ports:list': async () => listPorts(),
    'devices:add-serial': async (p) => {
      const r = await addSerialDevice(studio, p)
      if (r.info) hub.setDeviceStatus(p.name, { state: 'online', since: now().toISOString() })
      else if (r.probeError) hub.setDeviceStatus(p.name, { state: 'error', error: r.probeError })
      return { device: toDeviceSummary(r.device, hub.statusOf(r.device.name, r.device.kind)), probeError: r.probeError }
    },
    'devices:addSsh': async (p) => {
      const { trustFingerprint, ...rest } = p
      try {
        const row = await addSshDevice(studio, { ...rest, ...(trustFingerprint ? { trustNewHostKey: trustFingerprint } : {}) })
        hub.setDeviceStatus(row.name, { state: 'online', since: now().toISOString() })
        const secret = p.password !== undefined || p.passphrase !== undefined
        return {
          kind: 'added' as const,
          device: toDeviceSummary(row, hub.statusOf(row.name, row.kind)),
          secrets: !secret ? ('none' as const) : studio.secrets.persistent ? ('encrypted' as const) : ('session' as const),
        }
      } catch (e) {
        if (e instanceof HostKeyUnknownError) {
          return { kind: 'needs-trust' as const, host: p.host, port: p.port ?? 22, fingerprint: e.fingerprint }
        }
        throw e
      }
    },
    'devices:remove': async ({ name }) => {
      await removeDevice(studio, name)
      return { removed: name }
    },
    'datasets:list': async () => listDatasets(resourcesDir()),
    'runs:start': async (p) => {
      if (!studio.store.getModel(p.modelId)) throw new StudioError('NOT_FOUND', `No model with id ${p.modelId}.`)
      const runId = studio.startRun(runSpec(p))
      return { runId, run: toRunSummary(getRun(runId)) }
    },
    'runs:cancel': async ({ runId }) => ({ cancelled: studio.runs.cancel(runId) }),
    'runs:list': async (filter) => studio.store.listRuns(filter ?? {}).map(toRunSummary),
    'runs:get': async ({ runId }) => getRun(runId),
    'runs:samples': async ({ runId }) => {
      getRun(runId)
      return Array.from(studio.store.getSamples(runId))
    },
    'runs:compare': async (req) => compareRuns(studio, req),
    'explore:points': async (pair) => {
      // Size and MACs axes must not drop models stored before figures were taken at creation.
      await studio.ensureFigures()
      return explorePoints(
        studio.store.listRuns({ status: 'finished', ...(pair ?? {}) }),
        (id) => studio.store.getModel(id),
        (parentId, device) => newestTop1(studio.store.listRuns({ status: 'finished', kind: 'eval', modelId: parentId }), device),
      )
    },
    'reports:export': async ({ runIds, format }) =>
      exportReport(studio, runIds, format, { now: now(), ...(opts.pdf ? { pdf: opts.pdf } : {}) }),
    'reports:saveDialog': opts.desktop?.['reports:saveDialog'] ?? (async () => desktopOnly('reports:saveDialog')),
    ...recommendImpls(studio, jobs),
  }

  return impl
}

export function createHandlers(studio: Studio, opts: HandlerOptions): ApiHandlers {
  const now = opts.now ?? ((): Date => new Date())
  const hub = createEventHub(studio, now)
  const jobs = createJobRunner(hub, studio.logger)
  const impl = buildImpls(studio, opts, hub, jobs, now)

  async function run<C extends ApiChannel>(channel: C, payload: unknown): Promise<ApiResult<ApiValue<C>>> {
    try {
      const parsed = parsePayload(channel, payload)
      const fn = impl[channel] as ChannelImpl<C>
      return { ok: true, value: await fn(parsed) }
    } catch (e) {
      return { ok: false, error: errorInfo(e) }
    }
  }

  return {
    async call(channel, payload) {
      if (!isApiChannel(channel)) {
        const name = typeof channel === 'string' ? channel.slice(0, 80) : `(a ${typeof channel}, not a channel name)`
        return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown request '${name}'.` } }
      }
      return run(channel, payload)
    },
    invoke: (channel, payload) => run(channel, payload),
    async importStream(fileName, chunks, extras) {
      try {
        const parsed = uploadName.safeParse(fileName)
        if (!parsed.success) throw new StudioError('BAD_INPUT', 'Name the uploaded file (1–255 characters) in the X-EdgeBench-File-Name header.')
        const name = parsed.data
        const more = importExtras.safeParse(extras === undefined ? {} : extras)
        if (!more.success) throw new StudioError('BAD_INPUT', `Invalid X-EdgeBench-Import header: ${more.error.issues[0]?.message ?? 'not the import options'}.`)
        const { cardJson, preprocessing } = more.data
        const row = await importModelStream(studio, name, chunks, opts.importDir ?? defaultImportDir(studio.store.path), {
          ...(cardJson !== undefined ? { cardJson } : {}),
          ...(preprocessing ? { preprocessing } : {}),
        })
        return { ok: true, value: modelInfo(studio, row) }
      } catch (e) {
        return { ok: false, error: errorInfo(e) }
      }
    },
    subscribe: (listener) => hub.subscribe(listener),
    dispose: () => {
      jobs.dispose()
      hub.dispose()
    },
  }
}
