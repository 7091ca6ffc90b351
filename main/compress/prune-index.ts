/** The pruning engine's public surface: what the CLI, sweeps and the UI call. */
export type { PruneReport } from './prune-common.js'
export { pruneUnstructured, type UnstructuredOptions } from './prune-unstructured.js'
export { planStructured, pruneStructured, type StructuredOptions } from './prune-structured.js'
export type { Criterion, PrunePlan } from './prune-plan.js'
