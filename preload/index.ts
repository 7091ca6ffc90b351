/**
 * The bridge between the sandboxed renderer and main: `window.studio` with `invoke` (one typed
 * call per contract channel) and `on` (pushed events). ipcRenderer itself is never exposed, and
 * only contract channels can be invoked. It imports only 'electron' and the contract (types and
 * two constant lists), so it bundles into one CommonJS script for the sandbox.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { API_CHANNELS, API_EVENTS } from '../common/api.js'
import type {
  ApiChannel,
  ApiEventMessage,
  ApiEventName,
  ApiEvents,
  ApiResult,
  ApiValue,
  IpcEventChannel,
  PayloadArgs,
  StudioBridge,
} from '../common/api.js'

const EVENT_CHANNEL: IpcEventChannel = 'studio:event'

// The contract's own lists (plain constants, inlined by the bundler); the checks below fail to
// compile if a channel or event is missing from them.
const CHANNELS = API_CHANNELS
const EVENTS = API_EVENTS

type Exhaustive<Missing extends never> = Missing
export type ChannelsCovered = Exhaustive<Exclude<ApiChannel, (typeof CHANNELS)[number]>>
export type EventsCovered = Exhaustive<Exclude<ApiEventName, (typeof EVENTS)[number]>>

const channelSet: ReadonlySet<string> = new Set(CHANNELS)
const eventSet: ReadonlySet<string> = new Set(EVENTS)

const bridge: StudioBridge = {
  mode: 'desktop',
  async invoke<C extends ApiChannel>(channel: C, ...args: PayloadArgs<C>): Promise<ApiResult<ApiValue<C>>> {
    if (!channelSet.has(channel)) {
      return { ok: false, error: { code: 'BAD_INPUT', message: `Unknown request '${String(channel)}'.` } }
    }
    return (await ipcRenderer.invoke(channel, args[0])) as ApiResult<ApiValue<C>>
  },
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    if (!eventSet.has(event)) return () => undefined
    // The IpcRendererEvent stays here: handing it on would give the page `sender` (ipcRenderer).
    const relay = (_e: IpcRendererEvent, message: ApiEventMessage): void => {
      if (message.event === event) listener(message.payload as ApiEvents[E])
    }
    ipcRenderer.on(EVENT_CHANNEL, relay)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, relay)
    }
  },
}

contextBridge.exposeInMainWorld('studio', bridge)
