/**
 * API contract shapes for adding boards: serial ports and MLPerf Tiny boards, SSH boards with
 * host-key trust. Part of common/api.ts (which re-exports everything here).
 */
import type { DeviceSummary } from './api.js'
import type { ErrorInfo } from './errors.js'

/** A serial port present on the engine's machine. */
export interface SerialPortInfo {
  path: string
  manufacturer: string | null
  serialNumber: string | null
  vendorId: string | null
  productId: string | null
}

/** The serial ports found, and how: serialport's list, or a scan of /dev names after it failed. */
export interface PortListing {
  ports: SerialPortInfo[]
  source: 'serialport' | 'scan'
  /** Why the scan was used, when it was. A path can always be typed by hand. */
  note: string | null
}

/** Registers a board running MLPerf Tiny runner firmware (`edgebench device add serial`). */
export interface AddSerialRequest {
  name: string
  path: string
  /** Default 115200, 8 data bits, no parity, 1 stop bit. */
  baudRate?: number
  dataBits?: 5 | 6 | 7 | 8
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space'
  stopBits?: 1 | 1.5 | 2
  /** The studio model the firmware's model is (size, MACs, preprocessing). */
  modelId?: number
  /** Dataset for accuracy runs, e.g. 'fashion-mnist'. */
  dataset?: string
  /** Performance-mode window; MLPerf Tiny's rule is 10 s. */
  windowSeconds?: number
}

/** The saved device; `probeError` when the board did not answer (the record is kept). */
export interface AddSerialResult {
  device: DeviceSummary
  probeError: ErrorInfo | null
}

/**
 * A Linux board to add over SSH. The password or passphrase travels only in this request; the
 * studio keeps it encrypted (desktop, Electron safeStorage) or in memory for the session (browser).
 */
export interface AddSshDeviceRequest {
  name: string
  host: string
  /** Default 22. */
  port?: number
  user: string
  auth: 'key' | 'agent' | 'password'
  /** Private key file on the engine's machine (auth 'key'). */
  keyPath?: string
  /** Studio folder on the board; default ~/.edgebench. */
  remoteDir?: string
  password?: string
  passphrase?: string
  /**
   * The SHA256 fingerprint the user confirmed. An unknown host key is trusted only when the board
   * presents exactly this key; a changed key is always refused (HOST_KEY_MISMATCH).
   */
  trustFingerprint?: string
}

/** Where an added board's secret went: encrypted on disk, memory for this session, or none given. */
export type SecretKeeping = 'encrypted' | 'session' | 'none'

/**
 * 'devices:addSsh' answers `added`, or `needs-trust` when the board's host key is not known yet:
 * show the fingerprint, and send the request again with `trustFingerprint` if the user confirms.
 */
export type AddSshDeviceResult =
  | { kind: 'added'; device: DeviceSummary; secrets: SecretKeeping }
  | { kind: 'needs-trust'; host: string; port: number; fingerprint: string }
