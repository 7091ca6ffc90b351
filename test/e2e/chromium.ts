/** Where the e2e suite finds a browser: Debian's Chromium, driven by playwright-core. */
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

export const CHROMIUM_PATH = process.env.EDGEBENCH_CHROMIUM ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]

/**
 * 'ok' when Chromium is there; 'fail' in CI (a missing browser must not pass silently); 'skip'
 * on a developer machine, after saying loudly what to install.
 */
export function chromiumPolicy(): 'ok' | 'fail' | 'skip' {
  if (existsSync(CHROMIUM_PATH)) return 'ok'
  if (process.env.CI === 'true' || process.env.CI === '1') return 'fail'
  process.stderr.write(
    `\n*** e2e SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install it with \`sudo apt-get install chromium\` ` +
      `(or set EDGEBENCH_CHROMIUM). In CI this fails the suite. ***\n\n`,
  )
  return 'skip'
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}
