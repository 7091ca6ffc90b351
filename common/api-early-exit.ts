/**
 * API contract for early exit (docs/measurement.md § Early exit): which outputs of a model are
 * exits, a measured threshold sweep run as a job, stored sweeps, and chosen operating points
 * added to Explore as variants. Part of common/api.ts (which re-exports everything here).
 */
import type { ModelInfo } from './api.js'
import type { EarlyExitResult, ExitRule } from './early-exit.js'
import type { LatencySpec, SessionOptions } from './types.js'

/** A model's exits as the studio recognises them (each exit's MACs when a sample stops there). */
export interface EarlyExitPlanInfo {
  final: string
  exits: { name: string; macs: number }[]
  fullMacs: number
  classes: number
}

export interface StartEarlyExitRequest {
  modelId: number
  /** The device to measure on: this computer or an SSH board. */
  device: string
  /** Default: the model card's dataset. */
  dataset?: string
  split?: string
  limit?: number
  /** Exit outputs to use; default every [N, classes] output named exit*. */
  exits?: string[]
  /** Fractions in [0, 1]; default 0.5, 0.55, …, 1. */
  thresholds?: number[]
  rule?: ExitRule
  session?: Partial<SessionOptions>
  latency?: Partial<LatencySpec>
}

export interface EarlyExitRequests {
  /** The exits of a model, or null when it has none (one output, no output named exit*). */
  'earlyExit:plan': { payload: { modelId: number }; result: EarlyExitPlanInfo | null }
  /** Measures a threshold sweep as a job ('job:finished' carries the EarlyExitResult). */
  'earlyExit:start': { payload: StartEarlyExitRequest; result: { jobId: number } }
  /** Stored sweeps of a model, newest first. */
  'earlyExit:list': { payload: { modelId: number }; result: EarlyExitResult[] }
  /** Chosen thresholds of a sweep as variants (`resnet8-ee @ t=0.8`) with their measured runs. */
  'earlyExit:addToExplore': { payload: { sweepId: number; thresholds: number[] }; result: ModelInfo[] }
}

export const EARLY_EXIT_CHANNELS = [
  'earlyExit:plan',
  'earlyExit:start',
  'earlyExit:list',
  'earlyExit:addToExplore',
] as const satisfies readonly (keyof EarlyExitRequests)[]
