// Local relaxation at pressure (physics.md 7.3): FIRE and L-BFGS over positions and cell, single and
// lock-step batch drivers.
export * from './coordinates.js';
export * from './optimizers.js';
export * from './relax.js';
