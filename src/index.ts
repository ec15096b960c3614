// Library entry of anharmonic-csp (isomorphic: runs in Node and in browsers). Node-only adapters
// (reading files, the kernel module and moyo from disk, run folders) are in 'anharmonic-csp/node'.
export * from './wasm/kernels.js';
export * from './linalg/eigh.js';
export * from './linalg/hermitian.js';
export * from './linalg/gemm.js';
export * from './linalg/cholesky.js';
export * from './linalg/matfun.js';
export * from './random/rng.js';
export * from './numeric/detmath.js';
export * from './structure/structure.js';
export * from './structure/elements.js';
export * from './structure/supercell.js';
export * from './structure/niggli.js';
export * from './io/index.js';
export * from './symmetry/index.js';
export * from './calculators/calculator.js';
export * from './calculators/builtin.js';
export * from './phonons/index.js';
export * from './relax/index.js';
export * from './sscha/index.js';
export * from './engines/ipi-protocol.js';
export * from './engines/client-commands.js';
export * from './calculators/onnx.js';
export * from './mlip/index.js';
export * from './parallel/index.js';
export { runHarmonicJob, runSschaJob, type HarmonicInputs, type SschaInputs as SschaJobInputs, type HarmonicResult, type SschaJobResult, type PipelineHost, type JobProgress } from './web/pipeline.js';
export * from './search/index.js';
