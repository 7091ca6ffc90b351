/**
 * Where the desktop app finds what it ships, in development (the repository) and packaged
 * (electron-builder.yml): the model zoo and dataset (extraResources → resources/resources/) and
 * the SQLite binding built for Electron (resources/native/). The scripts it forks are found from
 * the bundle's own location (devices/local/child-entry.ts). Pure, so a test can check the packaged
 * answers without Electron.
 */
import { join } from 'node:path'

export interface AppLocation {
  /** Electron's app.isPackaged. */
  isPackaged: boolean
  /** process.resourcesPath: the folder holding app.asar in a packaged app. */
  resourcesPath: string
  /** The repository root (development). */
  appRoot: string
}

export interface AppPaths {
  /** The folder with models/ and datasets/ (EDGEBENCH_RESOURCES for the engine and its children). */
  resources: string
  /** better-sqlite3's binding for Electron's ABI. */
  sqliteBinding: string
}

export function appPaths(at: AppLocation): AppPaths {
  if (at.isPackaged) {
    return {
      resources: join(at.resourcesPath, 'resources'),
      sqliteBinding: join(at.resourcesPath, 'native', 'better_sqlite3.node'),
    }
  }
  return {
    resources: join(at.appRoot, 'resources'),
    sqliteBinding: join(at.appRoot, 'build', 'electron-native', 'better_sqlite3.node'),
  }
}
