/**
 * Serial ports present on this machine: serialport's list (udev on Linux), or — when that fails,
 * e.g. in a container without udevadm — a scan of the usual device names. A manual path is always
 * allowed; this list only helps pick one.
 */
import { readdir } from 'node:fs/promises'
import { SerialPort } from 'serialport'

export interface PortEntry {
  path: string
  manufacturer: string | null
  serialNumber: string | null
  vendorId: string | null
  productId: string | null
}

export interface PortList {
  ports: PortEntry[]
  /** 'serialport' (full details) or 'scan' (names only, after the list failed). */
  source: 'serialport' | 'scan'
  /** Why the fallback was used, when it was. */
  note: string | null
}

const SCAN: { dir: string; prefix: RegExp }[] = [{ dir: '/dev', prefix: /^(ttyUSB|ttyACM|tty\.usb|cu\.usb)/ }]

async function scan(): Promise<PortEntry[]> {
  const out: PortEntry[] = []
  for (const { dir, prefix } of SCAN) {
    let names: string[] = []
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    for (const n of names.filter((x) => prefix.test(x)).sort()) {
      out.push({
        path: `${dir}/${n}`,
        manufacturer: null,
        serialNumber: null,
        vendorId: null,
        productId: null,
      })
    }
  }
  return out
}

export async function listPorts(list: () => Promise<unknown[]> = () => SerialPort.list()): Promise<PortList> {
  try {
    const raw = (await list()) as Record<string, unknown>[]
    const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
    const ports = raw
      .map((p) => ({
        path: s(p.path) ?? '',
        manufacturer: s(p.manufacturer),
        serialNumber: s(p.serialNumber),
        vendorId: s(p.vendorId),
        productId: s(p.productId),
      }))
      .filter((p) => p.path !== '')
    return { ports, source: 'serialport', note: null }
  } catch (e) {
    return {
      ports: await scan(),
      source: 'scan',
      note: `Listing ports with serialport failed (${e instanceof Error ? e.message : String(e)}); scanned /dev/ttyUSB*, /dev/ttyACM*, /dev/tty.usb* instead. A port path can always be typed by hand.`,
    }
  }
}
