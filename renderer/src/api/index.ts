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
  ModelInfo,
  PayloadArgs,
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

/** Hands text to the user as a file: a native dialog in Electron is a separate channel. */
export function downloadText(fileName: string, mimeType: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mimeType }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Imports a dropped model file: streamed in browser mode, as base64 'models:importBytes' over IPC. */
export async function importModelFile(file: File): Promise<ModelInfo> {
  const b = getBridge()
  const result = b.importModelFile
    ? await b.importModelFile(file, file.name)
    : await b.invoke('models:importBytes', { fileName: file.name, dataBase64: await fileToBase64(file) })
  if (!result.ok) throw new ApiError(result.error)
  return result.value
}

/** File bytes as base64 for 'models:importBytes', in chunks (String.fromCharCode has an arg limit). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}
