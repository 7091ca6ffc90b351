/**
 * The one place that checks IPC: every contract channel gets an `ipcMain.handle` that refuses
 * frames other than the app's own page, then calls the shared handlers, which validate the payload
 * with the contract's zod schema before anything runs. Pushed events go to the app's windows on one channel.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { API_CHANNELS, type ApiChannel, type ApiResult, type IpcEventChannel } from '../../common/api.js'
import { errorInfo, type ApiHandlers } from '../api/handlers.js'

/** The channel pushed events travel on (the preload listens to it). */
export const EVENT_CHANNEL: IpcEventChannel = 'studio:event'

function refused(): ApiResult<never> {
  return {
    ok: false,
    error: { code: 'AUTH_FAILED', message: 'Refused: the request did not come from the studio window.' },
  }
}

/** Registers every channel; returns the function that removes them again. */
export function registerIpc(ipcMain: IpcMain, handlers: ApiHandlers, isTrustedUrl: (url: string) => boolean): () => void {
  const handle = (channel: ApiChannel) => async (event: IpcMainInvokeEvent, payload: unknown): Promise<ApiResult<unknown>> => {
    try {
      // senderFrame throws once the frame is gone (a reload mid-request): answered, not thrown.
      const frame = event.senderFrame
      // A subframe (an iframe the page somehow got) is refused even when its URL looks like ours.
      if (!frame || frame.parent !== null || !isTrustedUrl(frame.url)) return refused()
      // handlers.call validates the payload with the contract's schema (the one place that does).
      return await handlers.call(channel, payload)
    } catch (e) {
      return { ok: false, error: errorInfo(e) }
    }
  }
  for (const channel of API_CHANNELS) ipcMain.handle(channel, handle(channel))
  return () => {
    for (const channel of API_CHANNELS) ipcMain.removeHandler(channel)
  }
}

/** Forwards every pushed event to the given windows' pages; returns the unsubscribe. */
export function forwardEvents(handlers: ApiHandlers, targets: () => WebContents[]): () => void {
  return handlers.subscribe((message) => {
    for (const contents of targets()) {
      if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, message)
    }
  })
}
