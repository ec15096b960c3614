// The linear machine-learning interatomic potential (physics.md 6): descriptors behind the
// LinearBasis interface, training data, least-squares training, active learning, model files.
export * from './linear-basis.js';
export * from './dataset.js';
export * from './train.js';
export * from './active-set.js';
export * from './model.js';
export * from './mtp.js';
export * from './mtp-basis.js';
