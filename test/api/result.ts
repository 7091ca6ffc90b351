/** Unwrapping an ApiResult in tests: the value (or a thrown error naming the code), or the error. */
import type { ApiResult } from '../../common/api.js'

export function value<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value
}

export function error(r: ApiResult<unknown>): { code: string; message: string } {
  if (r.ok) throw new Error('expected an error')
  return r.error
}
