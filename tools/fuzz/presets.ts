import type { PreprocessSpec } from '../../common/types.js'

/** What an evaluation of a 1×28×28 grey model feeds: the resize and scaling every path exercises. */
export const DEFAULT_PREPROCESS_SPEC_FOR_TESTS: PreprocessSpec = {
  layout: 'NCHW',
  channels: 1,
  height: 28,
  width: 28,
  scale: 1 / 255,
  mean: [0],
  std: [1],
}
