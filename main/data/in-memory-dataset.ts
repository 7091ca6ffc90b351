import { StudioError } from '../../common/errors.js'
import type { Dataset, DatasetFormat, RawImage } from './dataset.js'

export interface InMemoryParts {
  name: string
  split: string
  format: DatasetFormat
  source: string
  height: number
  width: number
  channels: 1 | 3
  classes: string[]
  /** All images back to back, each height × width × channels bytes, HWC. */
  pixels: Uint8Array
  labels: Uint8Array
}

/** Throws a RangeError-like StudioError when [start, start+count) is outside [0, total). */
export function checkRange(start: number, count: number, total: number, source: string): void {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(count) ||
    start < 0 ||
    count < 0 ||
    start + count > total
  ) {
    throw new StudioError(
      'BAD_INPUT',
      `Samples ${start}..${start + count - 1} are outside ${source}, which has ${total} samples.`,
    )
  }
}

/**
 * A dataset whose pixels are already in one buffer (IDX and CIFAR-10 are small enough: the whole
 * Fashion-MNIST test split is 7.8 MB). `read` hands out views, so batching copies each pixel once.
 */
export class InMemoryDataset implements Dataset {
  readonly name: string
  readonly split: string
  readonly format: DatasetFormat
  readonly source: string
  readonly count: number
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly fixedSize = true
  readonly classes: string[]
  private readonly pixels: Uint8Array
  private readonly labels: Uint8Array
  private readonly stride: number

  constructor(parts: InMemoryParts) {
    this.name = parts.name
    this.split = parts.split
    this.format = parts.format
    this.source = parts.source
    this.height = parts.height
    this.width = parts.width
    this.channels = parts.channels
    this.classes = parts.classes
    this.pixels = parts.pixels
    this.labels = parts.labels
    this.stride = parts.height * parts.width * parts.channels
    this.count = parts.labels.length
    if (this.pixels.length !== this.count * this.stride) {
      throw new StudioError(
        'DATASET_INVALID',
        `${parts.source}: ${this.count} labels but ${this.pixels.length / this.stride} images; ` +
          'the image and label files must come from the same split.',
      )
    }
    const bad = this.labels.findIndex((l) => l >= this.classes.length)
    if (bad >= 0) {
      throw new StudioError(
        'DATASET_INVALID',
        `${parts.source}: sample ${bad} has label ${this.labels[bad]}, but only ${this.classes.length} ` +
          'classes are named; check the class list or the label file.',
      )
    }
  }

  label(i: number): number {
    const l = this.labels[i]
    if (l === undefined) checkRange(i, 1, this.count, this.source)
    return l as number
  }

  read(start: number, count: number): Promise<RawImage[]> {
    checkRange(start, count, this.count, this.source)
    const out: RawImage[] = new Array<RawImage>(count)
    for (let i = 0; i < count; i++) {
      const at = (start + i) * this.stride
      out[i] = {
        data: this.pixels.subarray(at, at + this.stride),
        height: this.height,
        width: this.width,
        channels: this.channels,
      }
    }
    return Promise.resolve(out)
  }
}
