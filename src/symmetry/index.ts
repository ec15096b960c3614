// Crystal symmetry: detection (moyo), operations and atom maps, supercell operations,
// symmetrisers and the acoustic sum rule, idealisation. See physics.md section 3.
export * from './moyo.js';
export * from './operations.js';
export * from './analyze.js';
export * from './symmetrize.js';
export * from './idealize.js';
export { symEig3, symFunc3 } from './linalg3.js';
