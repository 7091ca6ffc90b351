/** Pruning, as the rest of the studio sees it (the engine is in prune-*.ts). */
export { pruneStructured } from './prune-structured.js'
export { pruneUnstructured } from './prune-unstructured.js'
export type { PruneReport } from './prune-common.js'
