/**
 * The one interface every dataset reader implements (IDX, CIFAR-10 binary, ImageFolder).
 * Evaluation streams: it asks for one range of samples at a time, so a reader never needs to hold
 * decoded images it was not asked for.
 */
import type { ResizeMethod, ResizeMode } from '../../common/preprocessing.js'

/** Raw pixels of one sample: uint8, height × width × channels, channels interleaved (HWC). */
export interface RawImage {
  data: Uint8Array
  height: number
  width: number
  channels: number
}

/** The size a reader should deliver images at when it has to decode them anyway (ImageFolder). */
export interface ImageSize {
  height: number
  width: number
  channels: 1 | 3
  /** How to get there (the preprocessing's resize); default bilinear stretch. */
  method?: ResizeMethod
  mode?: ResizeMode
}

export type DatasetFormat = 'idx' | 'cifar10' | 'imagefolder'

export interface ReadOptions {
  /** Preferred output size; readers that decode files resize there, in-memory readers ignore it. */
  size?: ImageSize
  signal?: AbortSignal
}

export interface Dataset {
  /** Name shown with every accuracy figure ("fashion-mnist", or the folder name). */
  readonly name: string
  readonly split: string
  readonly format: DatasetFormat
  /** Where the samples come from (a folder or file), for messages. */
  readonly source: string
  readonly count: number
  /** Native image size; for ImageFolder, the size of the first image (`fixedSize` false). */
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  /** Whether every sample has the native size above (false: ImageFolder, sizes vary). */
  readonly fixedSize: boolean
  /** Class names in label order. */
  readonly classes: string[]
  /** Label of sample i (0-based index into `classes`). */
  label(i: number): number
  /**
   * Raw HWC pixels of samples [start, start + count). In-memory readers return views (no copy)
   * valid until the dataset is dropped; decoding readers decode just these, with bounded concurrency.
   */
  read(start: number, count: number, opts?: ReadOptions): Promise<RawImage[]>
}

/** One entry of resources/datasets/index.json, as `listDatasets()` gives it to the app. */
export interface DatasetSummary {
  name: string
  title: string
  format: DatasetFormat
  height: number
  width: number
  channels: 1 | 3
  classes: string[]
  splits: { name: string; count: number }[]
  license?: string
  citation?: string
}
