/**
 * The only door from the renderer to the engine. In Electron the preload exposes `window.studio`;
 * in a browser the WebSocket bridge stands in for it. Stores call {@link request}, which unwraps an
 * ApiResult into a value or throws an {@link ApiError} carrying the code and message to show.
 */
import type {
  ApiChannel,
  ApiEventName,
  ApiEvents,
  ApiValue,
  PayloadArgs,
  ReportFile,
  StudioBridge,
} from '../../../common/api.js'
import type { ErrorInfo } from '../../../common/errors.js'
import { createBrowserBridge, takeToken } from './browser-bridge.js'

export class ApiError extends Error {
  readonly code: ErrorInfo['code']
  constructor(info: ErrorInfo) {
    super(info.message)
    this.name = 'ApiError'
    this.code = info.code
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message }
  }
}

/** Any thrown value as something a view can show: code + message. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof ApiError) return e.toInfo()
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
}

let bridge: StudioBridge | null = null

/** Tests and the mock host install their own bridge. */
export function setBridge(b: StudioBridge | null): void {
  bridge = b
}

export function getBridge(): StudioBridge {
  if (!bridge) bridge = window.studio ?? createBrowserBridge(takeToken())
  return bridge
}

export async function request<C extends ApiChannel>(
  channel: C,
  ...args: PayloadArgs<C>
): Promise<ApiValue<C>> {
  const result = await getBridge().invoke(channel, ...args)
  if (!result.ok) throw new ApiError(result.error)
  return result.value
}

export function onEvent<E extends ApiEventName>(
  event: E,
  listener: (payload: ApiEvents[E]) => void,
): () => void {
  return getBridge().on(event, listener)
}

/** Hands a file the engine made (text, or base64 bytes) to the user as a download; answers its size. */
export function downloadFile(file: ReportFile): number {
  const body = file.encoding === 'base64' ? Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0)) : file.content
  const blob = new Blob([body], { type: file.mimeType })
  downloadBlob(file.fileName, blob)
  return blob.size
}

/** Hands bytes to the user as a file (a browser download; the desktop app has native dialogs). */
export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** File bytes as base64 for 'models:importBytes', in chunks (String.fromCharCode has an arg limit). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}
