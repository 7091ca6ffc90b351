import { onScopeDispose, ref, type Ref } from 'vue'

/** A clock ticking every `everyMs` for elapsed/remaining times; stopped with the calling scope. */
export function useNow(everyMs = 1000): Ref<number> {
  const now = ref(Date.now())
  const timer = setInterval(() => (now.value = Date.now()), everyMs)
  onScopeDispose(() => clearInterval(timer))
  return now
}
