// Evolutionary crystal-structure search (physics.md 7): compositions and constraints, variation
// operators, fingerprints, the search driver and its journalled run folder.
export * from './draws.js';
export * from './composition.js';
export * from './constraints.js';
export * from './random-p1.js';
export * from './operators.js';
export * from './fingerprint.js';
export * from './journal.js';
export * from './search.js';
export * from './symmetric-generator.js';
