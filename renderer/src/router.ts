import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { useExploreStore } from './stores/explore.js'

/** The rail, in order; the index + 1 is the keyboard shortcut. */
export const RAIL: readonly { name: string; path: string; label: string; icon: string }[] = [
  { name: 'devices', path: '/devices', label: 'Devices', icon: 'pi pi-server' },
  { name: 'models', path: '/models', label: 'Models', icon: 'pi pi-sitemap' },
  { name: 'benchmarks', path: '/benchmarks', label: 'Benchmarks', icon: 'pi pi-stopwatch' },
  { name: 'explore', path: '/explore', label: 'Explore', icon: 'pi pi-chart-scatter' },
  { name: 'compare', path: '/compare', label: 'Compare', icon: 'pi pi-arrows-h' },
  { name: 'reports', path: '/reports', label: 'Reports', icon: 'pi pi-file-export' },
  { name: 'recommend', path: '/recommend', label: 'Recommend', icon: 'pi pi-check-circle' },
]

/**
 * Explore is the view users come for: its chunk (Chart.js, the zoom plugin) and its points load once
 * the app is idle (one explore:points request; finished runs then keep them current through the
 * store's run:finished subscription, as they do once Explore has been opened).
 */
const loadExplore = (): Promise<typeof import('./views/ExploreView.vue')> => import('./views/ExploreView.vue')

export function prefetchExplore(): void {
  const idle = (cb: () => void): void => {
    if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(cb, { timeout: 3000 })
    else setTimeout(cb, 1500)
  }
  idle(() => {
    void loadExplore().catch(() => undefined)
    startExploreLoad()
  })
}

/** The points, unless they are here: a navigation to Explore starts them if the idle time has not. */
function startExploreLoad(): void {
  const explore = useExploreStore()
  if (!explore.loaded) void explore.load()
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/models' },
  { name: 'devices', path: '/devices', component: () => import('./views/DevicesView.vue') },
  { name: 'models', path: '/models', component: () => import('./views/ModelsView.vue') },
  { name: 'benchmarks', path: '/benchmarks', component: () => import('./views/BenchmarksView.vue') },
  // The points are asked for as the navigation starts, so they travel while the view mounts.
  { name: 'explore', path: '/explore', component: loadExplore, beforeEnter: startExploreLoad },
  { name: 'compare', path: '/compare', component: () => import('./views/CompareView.vue') },
  { name: 'reports', path: '/reports', component: () => import('./views/ReportsView.vue') },
  { name: 'recommend', path: '/recommend', component: () => import('./views/RecommendView.vue') },
  { path: '/:rest(.*)*', redirect: '/models' },
]

// Hash history: works from file:// in Electron and under any path in browser mode.
export const router = createRouter({ history: createWebHashHistory(), routes })
