// Harmonic phonons: finite-displacement force constants reduced by symmetry, Fourier-interpolated
// dynamical matrices, band structures along standard paths, DOS and harmonic thermodynamics.
export * from './units.js';
export * from './force-constants-model.js';
export * from './force-constants.js';
export * from './dynamical-matrix.js';
export * from './band-path.js';
export * from './mesh.js';
export * from './harmonic-calculator.js';
export * from './plots.js';
