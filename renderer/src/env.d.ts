/// <reference types="vite/client" />
import type { StudioBridge } from '../../common/api.js'

declare global {
  interface Window {
    /** Present in Electron (the preload's contextBridge); absent in a browser. */
    studio?: StudioBridge
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

export {}
