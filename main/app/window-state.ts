/**
 * The main window's size and position, remembered between starts (window-state.json in the user
 * data folder). A remembered position is used only if the window would still be visible on one
 * of the displays attached now (a monitor unplugged since must not leave it off-screen), and its
 * size never exceeds the largest display.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface WindowState {
  /** Absent: let the OS place (centre) the window. */
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
}

export const DEFAULT_WINDOW: WindowState = { width: 1400, height: 900, maximized: false }
export const MIN_SIZE = { width: 960, height: 600 }
/** How much of the window must show on a display for its remembered position to count. */
const VISIBLE = { width: 120, height: 60 }

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null)

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  }
}

/** A usable state from whatever was saved (or nothing), for the displays' work areas now. */
export function restoreWindowState(saved: unknown, workAreas: readonly Rect[]): WindowState {
  const s = (typeof saved === 'object' && saved !== null ? saved : {}) as Record<string, unknown>
  const maxW = Math.max(MIN_SIZE.width, ...workAreas.map((a) => a.width))
  const maxH = Math.max(MIN_SIZE.height, ...workAreas.map((a) => a.height))
  const width = Math.min(maxW, Math.max(MIN_SIZE.width, num(s.width) ?? DEFAULT_WINDOW.width))
  const height = Math.min(maxH, Math.max(MIN_SIZE.height, num(s.height) ?? DEFAULT_WINDOW.height))
  const state: WindowState = { width, height, maximized: s.maximized === true }
  const x = num(s.x)
  const y = num(s.y)
  if (x !== null && y !== null) {
    const rect = { x, y, width, height }
    const visible = workAreas.some((a) => {
      const o = overlap(rect, a)
      return o.width >= VISIBLE.width && o.height >= VISIBLE.height
    })
    if (visible) Object.assign(state, { x, y })
  }
  return state
}

export function loadWindowState(file: string, workAreas: readonly Rect[]): WindowState {
  let saved: unknown = null
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    // First start, or a damaged file: the defaults.
  }
  return restoreWindowState(saved, workAreas)
}

export function saveWindowState(file: string, bounds: Rect, maximized: boolean): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify({ ...bounds, maximized })}\n`)
}

/** What the shell needs of a BrowserWindow to follow its state (a subset, so tests can fake it). */
export interface TrackedWindow {
  on(event: 'resize' | 'move' | 'close', listener: () => void): unknown
  getNormalBounds(): Rect
  isMaximized(): boolean
  isDestroyed(): boolean
}

/** Saves the window's state shortly after it moves or resizes, and when it closes. */
export function trackWindowState(win: TrackedWindow, file: string, delayMs = 400): void {
  let timer: ReturnType<typeof setTimeout> | null = null
  const save = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
    if (!win.isDestroyed()) saveWindowState(file, win.getNormalBounds(), win.isMaximized())
  }
  const later = (): void => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(save, delayMs)
  }
  win.on('resize', later)
  win.on('move', later)
  win.on('close', save)
}
