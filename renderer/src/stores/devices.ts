import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  AddSerialRequest,
  AddSerialResult,
  AddSshDeviceRequest,
  AddSshDeviceResult,
  DeviceStatus,
  DeviceSummary,
  PortListing,
} from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { onEvent, request, toErrorInfo } from '../api/index.js'

/** The name the engine gives this computer; always listed, even before the first probe. */
export const LOCAL_DEVICE_NAME = 'local'

export const useDevicesStore = defineStore('devices', () => {
  const devices = ref<DeviceSummary[]>([])
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const probing = ref(new Set<string>())
  const probeErrors = ref(new Map<string, ErrorInfo>())

  /** This computer first, then the rest by name. */
  const sorted = computed(() =>
    [...devices.value].sort(
      (a, b) => Number(b.kind === 'local') - Number(a.kind === 'local') || a.name.localeCompare(b.name),
    ),
  )

  async function load(): Promise<void> {
    try {
      devices.value = await request('devices:list')
      error.value = null
      loaded.value = true
    } catch (e) {
      error.value = toErrorInfo(e)
    }
  }

  function setStatus(name: string, status: DeviceStatus): void {
    const d = devices.value.find((x) => x.name === name)
    if (d) d.status = status
  }

  async function probe(name: string): Promise<void> {
    probing.value.add(name)
    probeErrors.value.delete(name)
    try {
      const info = await request('devices:probe', { name })
      const d = devices.value.find((x) => x.name === name)
      if (d) {
        d.info = info
        d.status = { state: 'online', since: new Date().toISOString() }
      }
    } catch (e) {
      const err = toErrorInfo(e)
      probeErrors.value.set(name, err)
      setStatus(name, { state: 'error', error: err })
    } finally {
      probing.value.delete(name)
    }
  }

  /** Serial ports present on the engine's machine (the "Add serial board" picker). */
  async function listPorts(): Promise<PortListing> {
    return request('ports:list')
  }

  /** Saves a serial board and probes it; the new device joins the list either way. */
  async function addSerial(req: AddSerialRequest): Promise<AddSerialResult> {
    const r = await request('devices:add-serial', req)
    upsert(r.device)
    return r
  }

  /** Connects to an SSH board (host key checked); the device joins the list once added. */
  async function addSsh(req: AddSshDeviceRequest): Promise<AddSshDeviceResult> {
    const r = await request('devices:addSsh', req)
    if (r.kind === 'added') upsert(r.device)
    return r
  }

  function upsert(d: DeviceSummary): void {
    const i = devices.value.findIndex((x) => x.name === d.name)
    if (i >= 0) devices.value.splice(i, 1, d)
    else devices.value.push(d)
  }

  /** Follows 'device:status' events; returns the unsubscribe function. */
  function subscribe(): () => void {
    return onEvent('device:status', ({ name, status }) => {
      if (!devices.value.some((d) => d.name === name)) void load()
      else setStatus(name, status)
    })
  }

  return { devices, sorted, loaded, error, probing, probeErrors, load, probe, setStatus, subscribe, listPorts, addSerial, addSsh }
})
