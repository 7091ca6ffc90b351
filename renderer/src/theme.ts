/**
 * The studio's PrimeVue theme: Aura with a blue primary dark enough for white text (WCAG AA: the
 * stock emerald #10b981 under white was 2.5:1; primary.500 here is 6.0:1) and light enough in dark
 * mode for dark text (primary.400, ≈ 7:1).
 */
import { definePreset } from '@primeuix/themes'
import Aura from '@primeuix/themes/aura'

export const StudioPreset = definePreset(Aura, {
  semantic: {
    primary: {
      50: '#eef6fc',
      100: '#d5e9f7',
      200: '#aed3ef',
      300: '#86c3ec',
      400: '#56a9df',
      500: '#0a66a8',
      600: '#09598f',
      700: '#084b78',
      800: '#063c61',
      900: '#052f4c',
      950: '#031e31',
    },
  },
})
