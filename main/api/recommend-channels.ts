/**
 * The recommendation channels: 'recommend:query' answers from stored runs at once;
 * 'recommend:fill' checks what it can up front (device, models, grid), then measures the gaps as a
 * job on the JobRunner (progress, cancel) and answers the recommendation in 'job:finished'.
 */
import type { RecommendRequests } from '../../common/api.js'
import { requireDevice } from '../recommend/recommend.js'
import type { Studio } from '../studio.js'
import type { ChannelImpl } from './channel.js'
import type { JobRunner } from './jobs.js'
import { fillAndRecommend, gridFrom, recommendFor } from './recommend.js'

export type RecommendImpls = { [C in keyof RecommendRequests]: ChannelImpl<C> }

export function recommendImpls(studio: Studio, jobs: JobRunner): RecommendImpls {
  return {
    'recommend:query': async (req) => recommendFor(studio, req),
    'recommend:fill': async (req) => {
      requireDevice(studio.store, req.device)
      gridFrom(req.fill?.grid)
      const jobId = jobs.start('fill', (signal, onProgress) => fillAndRecommend(studio, req, signal, onProgress))
      return { jobId }
    },
  }
}
