/**
 * Which better-sqlite3 native binding this process loads. better-sqlite3 is not N-API: its
 * binding is compiled for one Node ABI. `npm install` builds it for the system Node (the CLI,
 * the tests, browser mode); Electron embeds another Node ABI, so the desktop app loads a second
 * copy built for Electron (`npm run prepare:electron` → build/electron-native/, shipped in
 * installers as resources/native/) through better-sqlite3's `nativeBinding` option. The choice
 * is made here, from `process.versions.electron`, so plain Node never even looks for that copy.
 */
import { existsSync } from 'node:fs'
import { StudioError } from '../../common/errors.js'

/** better-sqlite3's options for the binding: empty under plain Node (the package's own build). */
export function sqliteBindingOptions(
  electronBinding: string | undefined,
  versions: NodeJS.ProcessVersions = process.versions,
): { nativeBinding?: string } {
  if (!versions.electron) return {}
  if (!electronBinding || !existsSync(electronBinding)) {
    throw new StudioError(
      'STORE_ERROR',
      `The SQLite binding built for Electron ${versions.electron} is missing` +
        (electronBinding ? ` (${electronBinding})` : '') +
        '. Run `npm run prepare:electron` once with internet access (or `npm start`, which does it), or reinstall the app.',
    )
  }
  return { nativeBinding: electronBinding }
}
