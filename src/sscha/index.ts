// Stochastic self-consistent harmonic approximation (physics.md 5; layout in docs/sscha.md).
export * from './modes.js';
export * from './ensemble.js';
export * from './averages.js';
export * from './minimize.js';
export * from './run.js';
export * from './variable-cell.js';
