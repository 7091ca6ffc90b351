import { describe, expect, it } from 'vitest'
import { StudioError } from '../../common/errors.js'
import { describePreprocessing, parseLabelText, presetById, presetOf } from '../../common/preprocessing.js'
import type { TensorInfo } from '../../common/types.js'
import type { Dataset } from '../../main/data/dataset.js'
import { hintsFromMetadata } from '../../main/data/feed-sources.js'
import { chooseOutput, matchLabels } from '../../main/data/model-input.js'
import { resolveSpec } from '../../main/data/preprocess-settings.js'

const t = (name: string, shape: (number | string)[], dtype: TensorInfo['dtype'] = 'float32'): TensorInfo => ({ name, dtype, shape })

function refusal(fn: () => unknown): StudioError {
  try {
    fn()
  } catch (e) {
    if (e instanceof StudioError) return e
    throw e
  }
  throw new Error('expected a refusal')
}

const fmnistLike = { name: 'fashion-mnist', classes: ['T-shirt/top', 'Trouser', 'Pullover'] } as unknown as Dataset

describe('resolveSpec: settings over what the input says', () => {
  it('fills layout, channels, size and dtype from the input, [0, 1] by default', () => {
    const s = resolveSpec(t('x', ['N', 3, 224, 224]), {}, 'default')
    expect(s).toMatchObject({ layout: 'NCHW', channels: 3, height: 224, width: 224, scale: 1 / 255, mean: [0], std: [1], channelOrder: 'rgb', dtype: 'float32' })
    expect(resolveSpec(t('x', ['N', 28, 28, 1]), {}, 'default')).toMatchObject({ layout: 'NHWC', channels: 1, channelOrder: 'gray' })
  })

  it('refuses mean/std whose count is neither 1 nor the channel count, naming both', () => {
    const e = refusal(() => resolveSpec(t('input', ['N', 1, 28, 28]), { mean: [0.1, 0.2, 0.3] }, 'user'))
    expect(e.code).toBe('BAD_INPUT')
    expect(e.message).toBe("mean has 3 values but input 'input' [N, 1, 28, 28] takes 1 channel: give 1 value.")
    expect(refusal(() => resolveSpec(t('x', ['N', 3, 8, 8]), { std: [1, 2] }, 'user')).message).toContain('give 1 or 3 values')
  })

  it('refuses NHWC on an NCHW model whose last dimension is not a channel count', () => {
    const e = refusal(() => resolveSpec(t('input', ['N', 3, 224, 224]), { layout: 'NHWC' }, 'user'))
    expect(e.code).toBe('BAD_INPUT')
    expect(e.message).toContain('Layout NHWC does not fit')
    expect(e.message).toContain('224, not 1 or 3')
  })

  it('takes NHWC where it fits, and checks the channel order against the channels', () => {
    expect(resolveSpec(t('x', ['N', 3, 3, 3]), { layout: 'NHWC' }, 'user').layout).toBe('NHWC')
    expect(refusal(() => resolveSpec(t('x', ['N', 3, 8, 8]), { channelOrder: 'gray' }, 'user')).message).toContain('needs a 1-channel input')
    expect(refusal(() => resolveSpec(t('x', ['N', 1, 8, 8]), { channelOrder: 'bgr' }, 'user')).message).toContain('needs a 3-channel input')
  })

  it('refuses a dynamic image size without a size, and takes one that is given', () => {
    const input = t('input', ['N', 3, 'height', 'width'])
    const e = refusal(() => resolveSpec(input, {}, 'default'))
    expect(e.code).toBe('BAD_INPUT')
    expect(e.message).toContain('dynamic image size')
    expect(resolveSpec(input, { height: 96, width: 128 }, 'user')).toMatchObject({ height: 96, width: 128 })
    expect(refusal(() => resolveSpec(t('x', ['N', 3, 32, 32]), { height: 64, width: 64 }, 'user')).message).toContain('does not fit')
  })

  it('feeds uint8 inputs raw bytes and refuses scale/mean/std on them', () => {
    expect(resolveSpec(t('x', ['N', 28, 28, 1], 'uint8'), {}, 'default')).toMatchObject({ dtype: 'uint8', scale: 1, mean: [0], std: [1] })
    expect(refusal(() => resolveSpec(t('x', ['N', 28, 28, 1], 'uint8'), { mean: [0.5] }, 'user')).message).toContain('raw uint8 bytes')
    expect(refusal(() => resolveSpec(t('x', ['N', 1, 8, 8]), { dtype: 'uint8' }, 'user')).message).toContain('takes float32')
  })
})

describe('presets and descriptions', () => {
  it('knows the presets by name and alias, and recognises their values', () => {
    expect(presetById('[-1, 1]')?.id).toBe('symmetric')
    expect(presetById('ImageNet')?.id).toBe('imagenet')
    expect(presetById('nonsense')).toBeNull()
    const spec = resolveSpec(t('x', ['N', 3, 8, 8]), { ...presetById('imagenet')?.values }, 'user')
    expect(presetOf(spec)?.label).toBe('ImageNet mean/std')
    expect(describePreprocessing(spec)).toContain('ImageNet mean/std (scale 1/255, mean 0.485, 0.456, 0.406')
  })

  it('reads label files as lines or a JSON array', () => {
    expect(parseLabelText('cat\r\n\ndog\n')).toEqual(['cat', 'dog'])
    expect(parseLabelText('["a", "b"]')).toEqual(['a', 'b'])
  })
})

describe('ONNX metadata', () => {
  it('reads the studio keys, Windows ML image keys and Ultralytics-style names', () => {
    const h = hintsFromMetadata({
      'edgebench.preprocessing': '{"mean":[0.5],"std":[0.5],"layout":"NCHW"}',
      'Image.BitmapPixelFormat': 'Bgr8',
      names: "{0: 'cat', 1: 'dog'}",
      'edgebench.dataset': 'cifar10',
    })
    expect(h.settings).toMatchObject({ mean: [0.5], std: [0.5], layout: 'NCHW', channelOrder: 'bgr' })
    expect(h.labels).toEqual(['cat', 'dog'])
    expect(h.dataset).toBe('cifar10')
    expect(refusal(() => hintsFromMetadata({ 'edgebench.preprocessing': '{"mean": "x"}' })).code).toBe('BAD_INPUT')
  })
})

describe('labels and outputs', () => {
  const scores = t('scores', ['N', 3])

  it('matches dataset classes to outputs by name, whatever the order', () => {
    const m = matchLabels(['pullover', 'T-shirt/top', 'trouser'], scores, fmnistLike)
    expect(m).toEqual({ by: 'name', outputs: [1, 2, 0] })
  })

  it('refuses a label file whose count differs from the output, and names it', () => {
    const e = refusal(() => matchLabels(['a', 'b'], scores, fmnistLike))
    expect(e.code).toBe('DATASET_MISMATCH')
    expect(e.message).toContain('label file has 2 names')
    expect(e.message).toContain('3 scores')
  })

  it('refuses labels that miss dataset classes, naming them', () => {
    const e = refusal(() => matchLabels(['T-shirt/top', 'Trouser', 'Boot'], scores, fmnistLike))
    expect(e.message).toContain('Pullover')
  })

  it('picks the classifier output: named, else the one shaped [N, classes]', () => {
    const outs = [t('embedding', ['N', 16]), t('scores', ['N', 10]), t('aux', ['N', 10, 4, 4])]
    expect(chooseOutput(outs, undefined, 10).name).toBe('scores')
    expect(chooseOutput(outs, 'aux').name).toBe('aux')
    expect(refusal(() => chooseOutput(outs, 'nope')).message).toContain('embedding [N, 16]')
  })
})
