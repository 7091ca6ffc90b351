/** `edgebench import <file> --parent <model> --recipe "<text>"`: a variant made elsewhere, with its lineage. */
import type { Command } from 'commander'
import { describeRecipe } from '../../common/compress.js'
import { openStudio } from './context.js'
import { printJson, printLine } from './output.js'

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description('import a variant made outside the studio (e.g. pruned and fine-tuned in your own training code) under its parent')
    .requiredOption('--parent <model>', 'the model it was derived from: a stored model id or name, or an .onnx file')
    .requiredOption('--recipe <text>', 'how it was made, e.g. "pruned 50 % by L1, fine-tuned 3 epochs on the train split"')
    .option('--name <name>', 'the name to store it under (default: the file name)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { parent: string; recipe: string; name?: string; json?: boolean }, cmd: Command) => {
      const studio = openStudio(cmd)
      const row = await studio.importVariant(file, o.parent, o.recipe, o.name)
      const parent = row.parentId === null ? null : studio.store.getModel(row.parentId)
      if (o.json) return printJson({ modelId: row.id, name: row.name, path: row.path, kind: row.kind, parentId: row.parentId, parent: parent?.name ?? null, recipe: row.recipe })
      printLine(`${row.name} (id ${row.id}) stored as a variant of ${parent?.name ?? '?'}: ${describeRecipe(row.recipe)}`)
    })
}
