/**
 * The store's schema as an ordered list of migrations. Migration `i` takes the database from
 * `PRAGMA user_version = i` to `i + 1`; a shipped migration is never edited, only appended to,
 * because databases in the field have already run it.
 */
import type Database from 'better-sqlite3'
import { StudioError } from '../../common/errors.js'

/** 'EBNC': marks a SQLite file as ours, so `--db` pointed at another app's database is refused. */
export const APPLICATION_ID = 0x45424e43

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL UNIQUE,
    family     TEXT,
    kind       TEXT NOT NULL DEFAULT 'fp32',
    parent_id  INTEGER REFERENCES models(id) ON DELETE SET NULL,
    recipe     TEXT,
    card       TEXT,
    inspect    TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX models_parent ON models(parent_id);

  CREATE TABLE devices (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('local', 'ssh', 'serial')),
    config     TEXT NOT NULL DEFAULT '{}',
    info       TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  -- device_name is a snapshot so a run keeps its history after its device is removed.
  -- owner is 'hostname:pid' of the process driving the run, so recovery on open leaves
  -- runs of another live studio process alone.
  CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('bench', 'eval')),
    model_id    INTEGER NOT NULL REFERENCES models(id),
    device_id   INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    device_name TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN
                  ('queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted')),
    spec        TEXT NOT NULL DEFAULT '{}',
    env         TEXT,
    result      TEXT,
    error       TEXT,
    owner       TEXT,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT
  );
  CREATE INDEX runs_status ON runs(status);
  CREATE INDEX runs_model ON runs(model_id);

  CREATE TABLE samples (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    value_us REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX metrics_key ON metrics(key, value);
  `,
  // Per-sample predictions of eval runs, written as they arrive, so an evaluation that stops
  // early (a board unplugged at sample 700 of 1,000) keeps and can report what it measured.
  `
  CREATE TABLE predictions (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    scores BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  `,
  // How each model wants its input, stored per model and inherited by variants that have none of
  // their own: preprocessing settings, a label file, the dataset it was trained for. Models with a
  // card get the card's values. (Figures missing from older rows need the ONNX files, so
  // Studio.ensureFigures() fills those once after this migration; SQL cannot read a model.)
  `
  ALTER TABLE models ADD COLUMN preprocess TEXT;
  ALTER TABLE models ADD COLUMN labels TEXT;
  ALTER TABLE models ADD COLUMN dataset TEXT;
  UPDATE models SET
    preprocess = json_object('source', 'card', 'settings', json(json_extract(card, '$.preprocessing'))),
    dataset = CASE WHEN json_type(card, '$.dataset') = 'text' THEN json_extract(card, '$.dataset') END
  WHERE card IS NOT NULL AND json_valid(card) AND json_type(card, '$.preprocessing') = 'object'
    AND json_type(card, '$.derivedFrom') IS NULL;
  `,
  // Early-exit sweeps (main/early-exit): the result as JSON, the timed samples of every
  // configuration as one float32 blob. IF NOT EXISTS: tolerant of a database that has the table.
  `
  CREATE TABLE IF NOT EXISTS early_exit_sweeps (
    id          INTEGER PRIMARY KEY,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    device_name TEXT NOT NULL,
    result      TEXT NOT NULL,
    samples     BLOB NOT NULL,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS early_exit_sweeps_model ON early_exit_sweeps(model_id);
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * Refuses files that are SQLite but not ours, or ours from a newer build. Reading the header is
 * also the first thing that fails on a file that is not SQLite at all (SQLITE_NOTADB).
 */
export function checkIdentity(db: Database.Database, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number
  const version = db.pragma('user_version', { simple: true }) as number
  if (appId !== APPLICATION_ID) {
    const objects = db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number
    if (appId !== 0 || objects > 0 || version !== 0) {
      throw new StudioError(
        'STORE_ERROR',
        `${path} is not an EdgeBench database (a SQLite file of another application). ` +
          'Move it away or pass another --db.',
      )
    }
  }
  if (version > SCHEMA_VERSION) {
    throw new StudioError(
      'STORE_ERROR',
      `${path} was created by a newer EdgeBench (schema version ${version}, this build knows ` +
        `up to ${SCHEMA_VERSION}); upgrade EdgeBench or pass another --db.`,
    )
  }
}

/** Applies the missing migrations in one write transaction; returns the version reached. */
export function migrate(db: Database.Database, path: string): number {
  const apply = db.transaction((): number => {
    // Re-read inside the write lock: another process may have migrated since checkIdentity.
    checkIdentity(db, path)
    const from = db.pragma('user_version', { simple: true }) as number
    for (let v = from; v < SCHEMA_VERSION; v++) {
      const sql = MIGRATIONS[v]
      if (sql === undefined) break
      db.exec(sql)
    }
    if (from < SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    }
    return SCHEMA_VERSION
  })
  return apply.immediate()
}
