import type { ApiChannel, ApiPayload, ApiValue } from '../../common/api.js'

/** The implementation of one channel: a parsed payload in, the contract's value out. */
export type ChannelImpl<C extends ApiChannel> = (payload: ApiPayload<C>) => Promise<ApiValue<C>>
export type ChannelImpls = { [C in ApiChannel]: ChannelImpl<C> }
