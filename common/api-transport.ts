/** How the API contract travels: Electron IPC in the desktop app, HTTP + WebSocket in browser mode. */

// ---- desktop transport ---------------------------------------------------------------------

/** Electron: each request channel is an `ipcMain.handle` channel of the same name; events come on this one. */
export type IpcEventChannel = 'studio:event'

// ---- browser transport -----------------------------------------------------------------------

/**
 * HTTP upload of a model ('models:importBytes' without base64): `POST ${API_HTTP_PREFIX}models:importBytes`
 * with `Content-Type: application/octet-stream`, the file's bytes as the body and its name,
 * URI-encoded, in this header. The server streams the body to disk; answers an ApiResult<ModelInfo>.
 */
export const API_UPLOAD_NAME_HEADER = 'x-edgebench-file-name'
/** The upload's ImportExtras (card text, preprocessing) as URI-encoded JSON, when it has any. */
export const API_UPLOAD_EXTRAS_HEADER = 'x-edgebench-import'
/** Longest extras header a client sends (Node refuses requests whose headers pass 16 KiB); beyond it, the JSON form. */
export const MAX_UPLOAD_EXTRAS_CHARS = 8 * 1024

/** HTTP: `POST ${API_HTTP_PREFIX}<channel>` with the JSON payload as the body, answers an ApiResult. */
export const API_HTTP_PREFIX = '/api/'
/** The WebSocket path: pushed events only (requests go over HTTP). */
export const API_WS_PATH = '/ws'

