/** `model set | show` and `models list`: how each stored model is fed, and its figures. */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ModelInfo } from '../../common/api.js'
import { StudioError } from '../../common/errors.js'
import { formatBytes, formatCount } from '../../common/format.js'
import { SOURCE_LABELS, type PreprocessingRequest } from '../../common/preprocessing.js'
import { toModelInfo } from '../api/views.js'
import { parseCard } from '../data/feed-sources.js'
import { sha256File } from '../model-card.js'
import type { ModelRow } from '../store/store.js'
import type { Studio } from '../studio.js'
import { openStudio } from './context.js'
import { printJson, printLine, table } from './output.js'
import { addPreprocessFlags, preprocessFromFlags, type PreprocessFlags } from './preprocess-flags.js'

/** A stored model by id or name; anything else is a file path, imported (with `set`, checked first). */
export async function modelRef(studio: Studio, ref: string, set?: PreprocessingRequest): Promise<ModelRow> {
  const byId = /^\d+$/.test(ref) ? studio.store.getModel(Number(ref)) : null
  const named = byId ? [byId] : studio.store.listModels().filter((m) => m.name === ref)
  if (named.length > 1) {
    throw new StudioError('BAD_INPUT', `${named.length} models are named '${ref}' (ids ${named.map((m) => m.id).join(', ')}); give the id.`)
  }
  const found = named[0]
  if (found) return set ? studio.setPreprocessing(found.id, set) : found
  if (/^\d+$/.test(ref)) throw new StudioError('NOT_FOUND', `No model with id ${ref}; see 'edgebench models list'.`)
  return studio.importModel(ref, set ? { set } : {})
}

function info(studio: Studio, row: ModelRow): ModelInfo {
  return toModelInfo(studio.store.getModel(row.id) ?? row, studio.store)
}

function printModel(m: ModelInfo, parent: string | null): void {
  const p = m.preprocessing
  printLine(`${m.name} (id ${m.id}, ${m.kind}${parent ? `, variant of ${parent}` : ''})`)
  printLine(`  ${formatCount(m.params)} params, ${formatCount(m.macs)} MACs, file ${formatBytes(m.fileBytes)}`)
  if (!p) return
  const from = p.inheritedFrom ? `inherited from ${p.inheritedFrom}, ` : ''
  printLine(`  preprocessing: ${p.summary} (${from}${SOURCE_LABELS[p.source]})`)
  if (p.problem && p.spec === null) printLine(`  needs: ${p.problem}`)
  printLine(`  labels: ${p.labels ? `${p.labels.names.length} names from ${p.labels.source} (${p.labels.names.slice(0, 5).join(', ')}${p.labels.names.length > 5 ? ', …' : ''})` : 'none (dataset classes in output order)'}`)
  printLine(`  dataset: ${p.dataset ?? 'not set'}`)
  if (m.softmaxOutputs?.length) printLine(`  outputs already softmax: ${m.softmaxOutputs.join(', ')}`)
}

type SetFlags = Omit<PreprocessFlags, 'labels'> & { card?: string; dataset?: string; clear?: boolean; labels?: string | boolean; json?: boolean }

/** The change `model set`'s flags ask for (a card file read and checked against the model). */
async function setRequest(studio: Studio, ref: string, o: SetFlags): Promise<PreprocessingRequest> {
  // --labels <file> and --no-labels share one key: a string is a file, false removes.
  const req: PreprocessingRequest = (await preprocessFromFlags({ ...o, labels: typeof o.labels === 'string' ? o.labels : undefined })) ?? {}
  if (o.labels === false) req.labels = null
  if (o.dataset !== undefined) req.dataset = o.dataset
  if (o.clear) req.replace = true
  if (o.card !== undefined) {
    const text = await readFile(o.card, 'utf8').catch((e: unknown) => {
      throw new StudioError('FILE_NOT_FOUND', `Model card ${o.card} cannot be read; check the path.`, { cause: e })
    })
    const target = /^\d+$/.test(ref) ? studio.store.getModel(Number(ref)) : studio.store.listModels().find((m) => m.name === ref)
    const sha = target?.sha256 ?? (await sha256File(ref).catch(() => ''))
    const parsed = parseCard(text, sha, `Model card ${o.card}`, true)
    if (parsed) req.card = parsed.card
  }
  if (Object.keys(req).length === 0) {
    throw new StudioError('BAD_INPUT', "Nothing to set: give --preset, --mean/--std/--scale, --layout, --channel-order, --resize, --labels, --card or --dataset (see 'edgebench model set --help').")
  }
  return req
}

function show(studio: Studio, m: ModelInfo, json: boolean | undefined): void {
  if (json) return printJson(m)
  printModel(m, m.parentId === null ? null : (studio.store.getModel(m.parentId)?.name ?? null))
}

function listTable(rows: readonly ModelRow[], list: readonly ModelInfo[]): string {
  const names = new Map(rows.map((r) => [r.id, r.name]))
  const pp = (m: ModelInfo): string => {
    const p = m.preprocessing
    if (!p) return '—'
    return `${p.spec ? p.summary.split(' · ')[0] : `needs ${p.problem}`} · ${SOURCE_LABELS[p.source]}`
  }
  return table(
    ['id', 'name', 'kind', 'parent', 'params', 'MACs', 'file', 'preprocessing'],
    list.map((m) => [
      String(m.id),
      m.name,
      m.kind,
      m.parentId === null ? '—' : (names.get(m.parentId) ?? `#${m.parentId}`),
      formatCount(m.params),
      formatCount(m.macs),
      formatBytes(m.fileBytes),
      pp(m),
    ]),
  )
}

export function registerModels(program: Command): void {
  const model = program.command('model').description("a stored model's preprocessing, labels and dataset")
  addPreprocessFlags(
    model
      .command('set <model>')
      .description('store how a model is fed (its variants inherit it); <model> is an id, a stored name or an .onnx file (imported)'),
    'to store',
  )
    .option('--card <file>', 'a model card (<model>.json, the zoo format): its preprocessing, labels and dataset')
    .option('--dataset <name|path>', 'the dataset the model was trained for (evaluation and calibration default)')
    .option('--clear', "forget the preprocessing set before (back to the model's card or ONNX metadata, else the defaults)")
    .option('--no-labels', "remove the model's own label file")
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: SetFlags, cmd: Command) => {
      const studio = openStudio(cmd)
      const row = await modelRef(studio, ref, await setRequest(studio, ref, o))
      show(studio, info(studio, row), o.json)
    })

  model
    .command('show <model>')
    .description('how a stored model is fed, and its figures')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: { json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      show(studio, info(studio, await modelRef(studio, ref)), o.json)
    })

  program
    .command('models')
    .description('stored models')
    .command('list')
    .description('every model and variant: params, MACs, file size, parent and preprocessing')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      await studio.ensureFigures()
      const rows = studio.store.listModels()
      const list = rows.map((r) => toModelInfo(r, studio.store))
      if (o.json) return printJson(list)
      if (list.length === 0) return printLine("No models yet. Import one with 'edgebench model set <model.onnx> …' or run 'edgebench eval <model.onnx>'.")
      printLine(listTable(rows, list))
    })
}
