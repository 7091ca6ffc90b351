import { createPinia } from 'pinia'
import PrimeVue from 'primevue/config'
import ToastService from 'primevue/toastservice'
import Tooltip from 'primevue/tooltip'
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { StudioPreset } from './theme.js'
import 'primeicons/primeicons.css'
import './styles.css'

const app = createApp(App)
app.use(createPinia())
app.use(router)
// Light/dark follows the OS: Aura's dark tokens apply under prefers-color-scheme: dark.
app.use(PrimeVue, { theme: { preset: StudioPreset, options: { darkModeSelector: 'system', cssLayer: false } } })
app.use(ToastService)
app.directive('tooltip', Tooltip)
app.mount('#app')
