// One interface for everything that gives energies, forces and stresses: built-in potentials,
// the MLIP, ONNX models and remote engines over the i-PI socket. The SSCHA and the search only
// ever call `compute` with a batch of configurations.
import type { Structure } from '../structure/structure.js';

/** Result for one configuration, in the public units. */
export interface CalcResult {
  /** Total energy of the cell (eV). */
  energy: number;
  /** Forces, 3 per atom (eV/Å), f = −∂E/∂x. */
  forces: Float64Array;
  /** Stress, 3×3 row-major, tensile-positive σ = (1/Ω)∂E/∂ε (eV/Å³); absent if not computed. */
  stress?: Float64Array;
  /** Per-engine extras (provenance, timings, uncertainty grades...). */
  info?: Record<string, unknown>;
}

export interface CalcOptions {
  /** Ask for the stress tensor too (some engines charge extra for it). */
  stress?: boolean;
  /** Called after each finished configuration (index in the batch). */
  onProgress?: (done: number, total: number) => void;
  /** Abort a long batch. */
  signal?: AbortSignal;
}

export interface Calculator {
  /** Human-readable name (shown in logs and provenance). */
  readonly name: string;
  /** Energies, forces (and stresses) of many configurations; results in input order. */
  compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]>;
  /** Release sockets, workers, WebAssembly memory. */
  dispose?(): Promise<void> | void;
}

/** Raised when an engine returns NaN/Inf or otherwise unusable results. */
export class CalculatorError extends Error {
  constructor(
    message: string,
    /** Index of the configuration in the batch, when known. */
    readonly index?: number,
  ) {
    super(message);
    this.name = 'CalculatorError';
  }
}

/** Check a result for NaN/Inf and shape errors; throws CalculatorError naming the configuration. */
export function validateResult(r: CalcResult, natoms: number, index: number, engine: string): void {
  if (!Number.isFinite(r.energy)) throw new CalculatorError(`${engine}: energy of configuration ${index} is ${r.energy}`, index);
  if (r.forces.length !== 3 * natoms) {
    throw new CalculatorError(`${engine}: configuration ${index} has ${r.forces.length / 3} force vectors for ${natoms} atoms`, index);
  }
  for (let i = 0; i < r.forces.length; i++) {
    if (!Number.isFinite(r.forces[i])) {
      throw new CalculatorError(`${engine}: force on atom ${Math.floor(i / 3) + 1} of configuration ${index} is ${r.forces[i]}`, index);
    }
  }
  if (r.stress) {
    if (r.stress.length !== 9) throw new CalculatorError(`${engine}: stress of configuration ${index} must have 9 components`, index);
    if (!r.stress.every(Number.isFinite)) throw new CalculatorError(`${engine}: stress of configuration ${index} is not finite`, index);
  }
}
