// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DeviceSummary, ModelInfo, RunSummary } from '../../common/api.js'
import type { EvalResult, BenchResult, RunRecord } from '../../common/types.js'
import { setBridge } from '../../renderer/src/api/index.js'
import { useDevicesStore } from '../../renderer/src/stores/devices.js'
import { useLiveSamplesStore } from '../../renderer/src/stores/live-samples.js'
import { useExploreStore } from '../../renderer/src/stores/explore.js'
import { buildModelTree, useModelsStore } from '../../renderer/src/stores/models.js'
import { estimateRemainingMs, useRunsStore } from '../../renderer/src/stores/runs.js'
import { useSelectionStore } from '../../renderer/src/stores/selection.js'
import { fakeBridge, syntheticPoints } from './fake-bridge.js'

function model(id: number, parentId: number | null, kind = 'fp32'): ModelInfo {
  return {
    id,
    name: `m${id}`,
    path: `/m${id}.onnx`,
    sha256: String(id),
    family: 'mobilenet',
    kind,
    parentId,
    recipe: null,
    card: null,
    createdAt: '',
    params: 1,
    macs: 2,
    fileBytes: 3,
  }
}
function summary(id: number, status: RunSummary['status']): RunSummary {
  return {
    id,
    kind: 'bench',
    modelId: 1,
    modelName: 'm1',
    deviceName: 'local',
    status,
    spec: {},
    env: null,
    error: null,
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    p50Us: null,
    p90Us: null,
    top1: null,
    partial: false,
  }
}

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => setBridge(null))

describe('models store', () => {
  it('puts variants under their parent, and orphans at the top', () => {
    const tree = buildModelTree([model(1, null), model(2, 1, 'int8'), model(3, 1, 'fp16'), model(4, 99)])
    expect(tree.map((n) => n.model.id)).toEqual([1, 4])
    expect(tree[0]?.children.map((n) => n.model.kind)).toEqual(['int8', 'fp16'])
  })

  it('imports dropped files as bytes and keeps each failure with its file name and code', async () => {
    const bridge = fakeBridge({
      'models:importBytes': (p) => {
        const { fileName, dataBase64 } = p as { fileName: string; dataBase64: string }
        if (fileName === 'bad.onnx')
          throw Object.assign(new Error('Error loading ONNX model: truncated'), { code: 'MODEL_INVALID' })
        expect(atob(dataBase64)).toBe('ONNX')
        return model(7, null)
      },
    })
    setBridge(bridge)
    const store = useModelsStore()
    const added = await store.importFiles([
      new File(['ONNX'], 'good.onnx'),
      new File(['x'], 'bad.onnx'),
      new File(['x'], 'notes.txt'),
    ])
    expect(added.map((m) => m.id)).toEqual([7])
    expect(store.models.map((m) => m.id)).toEqual([7])
    expect(store.importErrors.map((e) => [e.fileName, e.error.code])).toEqual([
      ['bad.onnx', 'MODEL_INVALID'],
      ['notes.txt', 'MODEL_INVALID'],
    ])
    expect(bridge.calls.filter((c) => c.channel === 'models:importBytes')).toHaveLength(2)
  })

  it('shows a failed list with the code and message of the error', async () => {
    setBridge(
      fakeBridge({
        'models:list': () =>
          Promise.reject(Object.assign(new Error('database is locked'), { code: 'STORE_ERROR' })),
      }),
    )
    const store = useModelsStore()
    await store.load()
    expect(store.error).toEqual({ code: 'STORE_ERROR', message: 'database is locked' })
  })
})

describe('runs store', () => {
  it('follows progress, status and finished events into the queue and the finished list', async () => {
    const bridge = fakeBridge({
      'runs:list': () => [summary(2, 'queued'), summary(1, 'running')],
      'runs:start': () => ({ runId: 3 }),
    })
    setBridge(bridge)
    const runs = useRunsStore()
    await runs.load()
    const off = runs.subscribe()
    expect(runs.queue.map((r) => r.id)).toEqual([1, 2])
    expect([runs.runningCount, runs.queuedCount]).toEqual([1, 1])

    bridge.emit('run:progress', {
      runId: 1,
      progress: { phase: 'latency', done: 50, total: 100, fraction: 0.5 },
    })
    expect(runs.progress.get(1)?.fraction).toBe(0.5)
    bridge.emit('run:status', { runId: 2, status: 'running' })
    expect(runs.runningCount).toBe(2)

    const record: RunRecord = {
      ...summary(1, 'finished'),
      result: { latencyUs: { p50: 812, p90: 900 } } as unknown as BenchResult,
    }
    delete (record as Partial<RunSummary>).p50Us
    bridge.emit('run:finished', { run: record })
    expect(runs.queue.map((r) => r.id)).toEqual([2])
    expect(runs.done[0]).toMatchObject({ id: 1, status: 'finished', p50Us: 812, p90Us: 900 })
    expect(runs.progress.has(1)).toBe(false)
    off()
  })

  it('starts one run per request and keeps a refused start visible', async () => {
    let n = 0
    const bridge = fakeBridge({
      'runs:start': () => {
        if (++n === 2) throw Object.assign(new Error('No device named rpi'), { code: 'NOT_FOUND' })
        return { runId: n, run: summary(n, 'queued') }
      },
      'runs:list': () => [],
    })
    setBridge(bridge)
    const runs = useRunsStore()
    const ids = await runs.start([
      { kind: 'bench', modelId: 1, deviceName: 'local' },
      { kind: 'bench', modelId: 1, deviceName: 'rpi' },
    ])
    expect(ids).toEqual([1])
    expect(runs.startError?.code).toBe('NOT_FOUND')
    // The answer is upserted: the queue shows the run without reloading the list.
    expect(runs.queue.map((r) => r.id)).toEqual([1])
    expect(bridge.calls.filter((c) => c.channel === 'runs:list')).toHaveLength(0)
  })

  it('keeps a status event that overtook the start answer', async () => {
    const bridge = fakeBridge({ 'runs:list': () => [] })
    setBridge(bridge)
    const runs = useRunsStore()
    const off = runs.subscribe()
    bridge.emit('run:status', { runId: 7, status: 'running' })
    const late = fakeBridge({ 'runs:start': () => ({ runId: 7, run: summary(7, 'queued') }), 'runs:list': () => [] })
    Object.assign(bridge, { invoke: late.invoke })
    await runs.start([{ kind: 'bench', modelId: 1, deviceName: 'local' }])
    expect(runs.queue[0]).toMatchObject({ id: 7, status: 'running' })
    off()
  })

  it('marks the figure of a run that did not finish as partial', async () => {
    const bridge = fakeBridge({ 'runs:list': () => [] })
    setBridge(bridge)
    const runs = useRunsStore()
    const off = runs.subscribe()
    const record: RunRecord = {
      ...summary(3, 'interrupted'),
      kind: 'eval',
      result: { top1: 0.85, partialOf: 1000 } as unknown as EvalResult,
    }
    bridge.emit('run:finished', { run: record })
    expect(runs.done[0]).toMatchObject({ id: 3, top1: 0.85, partial: true })
    off()
  })

  it('estimates the remaining time from the fraction done', () => {
    expect(estimateRemainingMs(10_000, 0.25)).toBe(30_000)
    expect(estimateRemainingMs(1000, 0)).toBeNull()
    expect(estimateRemainingMs(1000, 1)).toBe(0)
  })
})

describe('devices store', () => {
  it('lists this computer first and follows status events', async () => {
    const dev = (name: string, kind: DeviceSummary['kind']): DeviceSummary => ({
      id: 1,
      name,
      kind,
      config: {},
      info: null,
      status: { state: 'unknown' },
      createdAt: '',
      updatedAt: '',
    })
    const bridge = fakeBridge({ 'devices:list': () => [dev('a-board', 'ssh'), dev('local', 'local')] })
    setBridge(bridge)
    const devices = useDevicesStore()
    await devices.load()
    const off = devices.subscribe()
    expect(devices.sorted.map((d) => d.name)).toEqual(['local', 'a-board'])
    bridge.emit('device:status', { name: 'a-board', status: { state: 'busy', runId: 4 } })
    expect(devices.devices.find((d) => d.name === 'a-board')?.status).toEqual({ state: 'busy', runId: 4 })
    off()
  })
})

describe('explore store', () => {
  it('filters by device, family and variant, with counts over all points', () => {
    const explore = useExploreStore()
    explore.setPoints(syntheticPoints(120))
    expect(explore.visible).toHaveLength(120)
    explore.toggle('devices', 'rpi4')
    expect(explore.visible.every((p) => p.device !== 'rpi4')).toBe(true)
    explore.toggle('variants', 'int8')
    expect(explore.visible.every((p) => p.variant !== 'int8')).toBe(true)
    expect(explore.deviceCounts.find((c) => c.value === 'rpi4')?.count).toBe(40)
    explore.toggle('devices', 'rpi4')
    explore.clearFilters()
    expect(explore.visible).toHaveLength(120)
  })
})

describe('selection store', () => {
  it('keeps the order of picking (the first is the Compare baseline)', () => {
    const s = useSelectionStore()
    s.toggle(5)
    s.add([3, 5, 9])
    expect(s.runIds).toEqual([5, 3, 9])
    s.toggle(3)
    expect(s.runIds).toEqual([5, 9])
  })
})

describe('live samples store', () => {
  it('reads the stored samples once, then appends pushed batches (overlap skipped, a gap reloads)', async () => {
    let stored = [1, 2, 3]
    const bridge = fakeBridge({ 'runs:samples': () => stored })
    setBridge(bridge)
    const live = useLiveSamplesStore()
    const stop = live.follow(9)
    // A batch pushed while the stored samples are on their way waits for them.
    bridge.emit('run:samples', { runId: 9, offset: 3, samples: [4, 5] })
    await vi.waitFor(() => expect(live.samplesOf(9)).toEqual([1, 2, 3, 4, 5]))
    bridge.emit('run:samples', { runId: 9, offset: 4, samples: [5, 6] })
    expect(live.samplesOf(9)).toEqual([1, 2, 3, 4, 5, 6])
    bridge.emit('run:samples', { runId: 8, offset: 0, samples: [99] })
    expect(live.samplesOf(8)).toEqual([])
    stored = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    bridge.emit('run:samples', { runId: 9, offset: 10, samples: [11] })
    await vi.waitFor(() => expect(live.samplesOf(9)).toHaveLength(11))
    expect(bridge.calls.filter((c) => c.channel === 'runs:samples')).toHaveLength(2)
    stop()
    expect(live.samplesOf(9)).toEqual([])
  })
})

describe('explore store after a run', () => {
  it('asks for the finished run’s pair only and upserts it', async () => {
    const points = syntheticPoints(6)
    const fresh = { ...points[0]!, top1: 0.99 }
    const bridge = fakeBridge({
      'explore:points': (p) => (p ? [fresh] : points),
    })
    setBridge(bridge)
    const explore = useExploreStore()
    const off = explore.subscribe()
    await explore.load()
    const run = { id: 5, kind: 'eval', modelId: fresh.modelId, deviceName: fresh.device, status: 'finished' } as RunRecord
    bridge.emit('run:finished', { run })
    await vi.waitFor(() => expect(explore.points.find((p) => p.key === fresh.key)?.top1).toBe(0.99))
    expect(explore.points).toHaveLength(6)
    expect(bridge.calls.filter((c) => c.channel === 'explore:points').map((c) => c.payload)).toEqual([
      undefined,
      { modelId: fresh.modelId, deviceName: fresh.device },
    ])
    off()
  })
})
