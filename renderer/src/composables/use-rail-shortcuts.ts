import { onScopeDispose } from 'vue'
import type { Router } from 'vue-router'
import { RAIL } from '../router.js'

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}

/** The number keys open the rail's views (not while typing in a field). Removed with the calling scope. */
export function useRailShortcuts(router: Router): { dispose: () => void } {
  const onKey = (e: KeyboardEvent): void => {
    if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return
    const n = Number(e.key)
    const item = Number.isInteger(n) ? RAIL[n - 1] : undefined
    if (!item) return
    e.preventDefault()
    void router.push(item.path)
  }
  window.addEventListener('keydown', onKey)
  const dispose = (): void => window.removeEventListener('keydown', onKey)
  onScopeDispose(dispose)
  return { dispose }
}
