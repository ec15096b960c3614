// The contract between a linear MLIP's descriptors and its training / active learning.
// Every target (energy, force component, stress component) of a linear model is a dot product of
// the parameter vector θ with a "design row"; training stacks rows, active learning compares them.
// The moment-tensor basis (src/mlip/mtp.ts) implements this; so can any other linear basis
// (physics.md 6.7).
import type { Structure } from '../structure/structure.js';

/** Design rows of one configuration; all row-major with `nParams` columns. */
export interface DesignRows {
  natoms: number;
  /** ∂E/∂θ (length nParams): species counts for the per-species constants, then Σ_i B_α(i). */
  energy: Float64Array;
  /** ∂f/∂θ, 3N rows (atom-major: x0 y0 z0 x1 ...), so that forces = rows · θ (eV/Å). */
  forces?: Float64Array;
  /** ∂σ/∂θ, 6 rows in Voigt order xx yy zz yz xz xy (eV/Å³, tensile-positive, σ = −W/Ω). */
  stress?: Float64Array;
  /** ∂E_i/∂θ, N rows: the per-atom rows of the neighbourhood extrapolation grade. */
  atoms?: Float64Array;
}

export interface DesignRequest {
  forces?: boolean;
  stress?: boolean;
  atoms?: boolean;
}

/** Energy, forces, stress of a configuration for given θ (the fast path used as a Calculator). */
export interface LinearEvaluation {
  energy: number;
  forces: Float64Array;
  /** 3×3 row-major, eV/Å³, tensile-positive. */
  stress: Float64Array;
}

export interface LinearBasis {
  /** Species the basis knows (symbols); a configuration with another species is an error. */
  readonly species: readonly string[];
  /** Number of parameters θ (per-species constants included). */
  readonly nParams: number;
  /** Design rows of one configuration. */
  design(structure: Structure, request?: DesignRequest): DesignRows;
  /** E, f, σ for parameters θ without building the full force rows. */
  evaluate(structure: Structure, theta: Float64Array): LinearEvaluation;
  /** JSON-serialisable description that, with the kernels, rebuilds the same basis. */
  toJSON(): unknown;
  /** Release WebAssembly memory. */
  dispose?(): void;
}
