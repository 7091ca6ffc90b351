/** Where things live: bundled resources and the user's data directory. */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository/app root: the folder holding package.json and resources/. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'resources')) && existsSync(join(dir, 'package.json'))) return dir
    dir = dirname(dir)
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..')
}

export function resourcesDir(): string {
  return process.env.EDGEBENCH_RESOURCES ?? join(appRoot(), 'resources')
}

/** The user's data directory, per platform conventions. */
export function userDataDir(): string {
  if (process.env.EDGEBENCH_HOME) return process.env.EDGEBENCH_HOME
  const home = homedir()
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'EdgeBench')
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'EdgeBench')
  return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'edgebench')
}

export function defaultDbPath(): string {
  return join(userDataDir(), 'studio.db')
}
