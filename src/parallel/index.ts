// Multi-core evaluation of Calculator batches, bit-identical to one thread (src/parallel/pool.ts).
export * from './spec.js';
export type { MlipSpec, OnnxSpec } from './kinds.js';
export * from './pool.js';
export type { WasmInput, ToWorker, FromWorker, WireResult, Endpoint } from './evaluator.js';
export { serveEvaluator } from './evaluator.js';
