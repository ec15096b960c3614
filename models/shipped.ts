// The shipped models and their parameters (one place, used by make-models.ts and the tests).
import { lennardJonesModel, morseModel, type MorsePairParams } from './pair-models.js';

/** Argon, the parameters of examples/argon/lj.json. */
export const ARGON = { species: 'Ar', epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 };

/** Copper, silver and their cross pair (Girifalco–Weizer-like values; a test system, not a fit). */
export const CU_AG: MorsePairParams[] = [
  { species: ['Cu', 'Cu'], D: 0.3429, a: 1.3588, r0: 2.866, cutoff: 6.0 },
  { species: ['Ag', 'Ag'], D: 0.3323, a: 1.369, r0: 3.115, cutoff: 6.5 },
  { species: ['Cu', 'Ag'], D: 0.3376, a: 1.3639, r0: 2.99, cutoff: 6.2 },
];

export const SHIPPED_MODELS: Record<string, () => Uint8Array> = {
  'lj-argon.onnx': () => lennardJonesModel({ ...ARGON, outputs: { forces: true, stress: true } }),
  'morse-cu-ag.onnx': () => morseModel(CU_AG, { outputs: { edgeGradients: true } }),
};
