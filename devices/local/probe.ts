/**
 * What "this computer" is: the facts recorded with every local run (DeviceInfo). Every source is
 * optional except what Node itself knows; unreadable files give null, never an error.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import type { DeviceInfo } from '../../common/types.js'

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readText('/proc/cpuinfo') ?? '')
  return (m?.[1] ?? os.cpus()[0]?.model ?? 'unknown CPU').trim()
}

function osName(): string {
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readText('/etc/os-release') ?? '')?.[1]
  const kernel = `${os.type()} ${os.release()}`
  return pretty ? `${pretty} (${kernel})` : kernel
}

/** The ORT version actually installed, from its package.json (no native load in the parent). */
export function ortVersion(): string {
  try {
    const req = createRequire(import.meta.url)
    const pkg = JSON.parse(readFileSync(req.resolve('onnxruntime-node/package.json'), 'utf8')) as {
      version?: unknown
    }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

function governor(): string | null {
  return readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor')?.trim() || null
}

function loadAverage(): number[] | null {
  // Windows reports [0, 0, 0]: not a measurement.
  return process.platform === 'win32' ? null : os.loadavg()
}

/** The hottest readable thermal zone, °C (the one that throttles first). */
function temperatureC(): number | null {
  let zones: string[]
  try {
    zones = readdirSync('/sys/class/thermal').filter((z) => z.startsWith('thermal_zone'))
  } catch {
    return null
  }
  let hottest: number | null = null
  for (const z of zones) {
    const milli = Number(readText(`/sys/class/thermal/${z}/temp`)?.trim())
    if (!Number.isFinite(milli) || milli <= 0) continue
    const c = milli / 1000
    if (hottest === null || c > hottest) hottest = c
  }
  return hottest
}

export function probeLocal(name: string): DeviceInfo {
  return {
    kind: 'local',
    name,
    arch: os.arch(),
    os: osName(),
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    runtime: 'onnxruntime-node',
    runtimeVersion: ortVersion(),
    governor: governor(),
    loadAverage: loadAverage(),
    temperatureC: temperatureC(),
    hostname: os.hostname(),
    nodeVersion: process.versions.node,
  }
}
