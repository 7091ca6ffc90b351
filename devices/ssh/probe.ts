/**
 * What an SSH board is: one constant shell script (no user text in it) prints sections the pure
 * parser below turns into DeviceInfo. Every section is optional except what makes a board usable:
 * a readable architecture. Node.js is checked here too, with a message saying what to install.
 */
import { StudioError } from '../../common/errors.js'
import type { DeviceInfo } from '../../common/types.js'

export const MIN_NODE_MAJOR = 18

/** Printed sections start with `@@name`. `command -v node` finds node as a non-login shell would. */
export const PROBE_SCRIPT = [
  "echo @@node; command -v node >/dev/null 2>&1 && node -p \"process.versions.node+' '+process.platform+' '+process.arch\"",
  'echo @@uname; uname -srm',
  'echo @@os-release; cat /etc/os-release 2>/dev/null',
  'echo @@cpuinfo; cat /proc/cpuinfo 2>/dev/null',
  'echo @@nproc; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN',
  'echo @@meminfo; cat /proc/meminfo 2>/dev/null',
  'echo @@governor; cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null',
  'echo @@thermal; cat /sys/class/thermal/thermal_zone*/temp 2>/dev/null',
  'echo @@loadavg; cat /proc/loadavg 2>/dev/null',
  'echo @@hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname',
  'echo @@end',
].join('\n')

export interface BoardProbe {
  /** Facts for DeviceInfo (kind and name are added by the device). */
  info: Omit<DeviceInfo, 'kind' | 'name' | 'runtime' | 'runtimeVersion'>
  /** Node.js on the board, or null when absent. */
  node: { version: string; platform: string; arch: string } | null
}

export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let name: string | null = null
  let lines: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const m = /^@@([a-z-]+)$/.exec(line.trim())
    if (m) {
      if (name) out.set(name, lines.join('\n').trim())
      name = m[1] ?? null
      lines = []
    } else if (name) {
      lines.push(line)
    }
  }
  if (name) out.set(name, lines.join('\n').trim())
  return out
}

const NODE_ARCH: Record<string, string> = {
  x86_64: 'x64',
  aarch64: 'arm64',
  armv7l: 'arm',
  armv6l: 'arm',
  i686: 'ia32',
}

function cpuModel(cpuinfo: string): string {
  for (const key of ['model name', 'Model', 'Hardware', 'cpu model', 'Processor']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'mi').exec(cpuinfo)
    if (m?.[1]) return m[1].trim()
  }
  const part = /^CPU part\s*:\s*(\S+)/m.exec(cpuinfo)?.[1]
  return part ? `ARM CPU part ${part}` : 'unknown CPU'
}

/** Parses the probe script's output. Pure. */
export function parseProbe(text: string): BoardProbe {
  const s = splitSections(text)
  const uname = (s.get('uname') ?? '').split(/\s+/)
  const machine = uname[2] ?? ''
  const nodeLine = (s.get('node') ?? '').split('\n').pop()?.trim() ?? ''
  const nm = /^(\d+\.\d+\.\d+)\s+(\S+)\s+(\S+)$/.exec(nodeLine)
  const node = nm ? { version: nm[1] as string, platform: nm[2] as string, arch: nm[3] as string } : null
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(s.get('os-release') ?? '')?.[1]
  const kernel = uname.slice(0, 2).join(' ')
  const cpuinfo = s.get('cpuinfo') ?? ''
  const nproc = Number.parseInt(s.get('nproc') ?? '', 10)
  const processors = (cpuinfo.match(/^processor\s*:/gm) ?? []).length
  const memKb = Number(/^MemTotal:\s+(\d+)\s+kB/m.exec(s.get('meminfo') ?? '')?.[1] ?? NaN)
  const temps = (s.get('thermal') ?? '')
    .split('\n')
    .map((t) => Number(t.trim()) / 1000)
    .filter((c) => Number.isFinite(c) && c > 0)
  const load = (s.get('loadavg') ?? '').split(/\s+/).slice(0, 3).map(Number)
  return {
    info: {
      arch: node?.arch ?? NODE_ARCH[machine] ?? (machine || 'unknown'),
      os: pretty ? `${pretty} (${kernel})` : kernel || 'unknown',
      cpuModel: cpuModel(cpuinfo),
      cores: nproc > 0 ? nproc : processors > 0 ? processors : 1,
      ramBytes: Number.isFinite(memKb) ? memKb * 1024 : 0,
      governor: s.get('governor')?.split('\n')[0]?.trim() || null,
      loadAverage: load.length === 3 && load.every(Number.isFinite) ? load : null,
      temperatureC: temps.length > 0 ? Math.max(...temps) : null,
      hostname: s.get('hostname')?.split('\n')[0]?.trim() || undefined,
      ...(node ? { nodeVersion: node.version } : {}),
    },
    node,
  }
}

/** Throws with what to install when the board has no usable Node.js. */
export function checkNode(probe: BoardProbe, board: string): NonNullable<BoardProbe['node']> {
  const how =
    `Install Node.js ${MIN_NODE_MAJOR} or newer on the board (Debian/Ubuntu/Raspberry Pi OS 12+: \`sudo apt install nodejs\`; ` +
    'older releases: the NodeSource packages or a binary from https://nodejs.org/en/download). It must be on the PATH of ' +
    'a non-interactive SSH login (e.g. /usr/bin or /usr/local/bin, not only via nvm in ~/.bashrc).'
  if (!probe.node) throw new StudioError('DEVICE_ERROR', `Node.js was not found on ${board}. ${how}`)
  const major = Number.parseInt(probe.node.version, 10)
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new StudioError(
      'DEVICE_ERROR',
      `${board} has Node.js ${probe.node.version}, too old for the agent. ${how}`,
    )
  }
  return probe.node
}
