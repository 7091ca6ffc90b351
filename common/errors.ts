/**
 * The one error type of the studio. Every failure a user can see carries a code from a closed
 * union and a message that says what went wrong and what to do about it.
 */
export const ERROR_CODES = [
  'MODEL_INVALID',
  'MODEL_UNSUPPORTED',
  'FILE_NOT_FOUND',
  'DATASET_MISMATCH',
  'DATASET_INVALID',
  'DEVICE_UNREACHABLE',
  'DEVICE_BUSY',
  'DEVICE_ERROR',
  'AUTH_FAILED',
  'HOST_KEY_MISMATCH',
  'HOST_KEY_UNKNOWN',
  'TIMEOUT',
  'CANCELLED',
  'INTERRUPTED',
  'STORE_ERROR',
  'BAD_INPUT',
  'NOT_FOUND',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value)
}

export class StudioError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StudioError'
    this.code = code
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message }
  }
}

/** Serialisable form of an error, as it crosses IPC, HTTP or a child-process boundary. */
export interface ErrorInfo {
  code: ErrorCode
  message: string
}

export function isStudioError(e: unknown): e is StudioError {
  return e instanceof StudioError
}

/** Wraps any thrown value into a StudioError, keeping StudioErrors as they are. */
export function toStudioError(e: unknown, fallback: ErrorCode = 'INTERNAL'): StudioError {
  if (e instanceof StudioError) return e
  if (e instanceof Error) return new StudioError(fallback, e.message, { cause: e })
  return new StudioError(fallback, String(e))
}

export function fromErrorInfo(info: ErrorInfo): StudioError {
  return new StudioError(info.code, info.message)
}

/** CLI exit statuses: 0 ok, 1 failure, 2 bad input, 130 cancelled. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'CANCELLED':
      return 130
    case 'MODEL_INVALID':
    case 'MODEL_UNSUPPORTED':
    case 'FILE_NOT_FOUND':
    case 'DATASET_MISMATCH':
    case 'DATASET_INVALID':
    case 'BAD_INPUT':
    case 'NOT_FOUND':
    case 'STORE_ERROR':
    case 'HOST_KEY_MISMATCH':
    case 'HOST_KEY_UNKNOWN':
      return 2
    default:
      return 1
  }
}
