// An exactly harmonic "potential": E = ½ uᵀΦu, F = −Φu for displacements u from a reference structure
// (minimum-image fractional differences, same cell and atom order). Useful as a model with known force
// constants (tests, toy models, checks of finite-displacement pipelines).
import type { CalcOptions, CalcResult, Calculator } from '../calculators/calculator.js';
import type { Structure } from '../structure/structure.js';
import { PhononError } from './force-constants.js';

export class HarmonicCalculator implements Calculator {
  readonly name = 'harmonic';
  private readonly n3: number;

  /** `phi`: 3N × 3N row-major (eV/Å²), symmetric. */
  constructor(
    readonly reference: Structure,
    readonly phi: ArrayLike<number>,
  ) {
    this.n3 = 3 * reference.natoms;
    if (phi.length !== this.n3 * this.n3) throw new PhononError(`harmonic calculator: Φ must be ${this.n3}×${this.n3}`);
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const out: CalcResult[] = [];
    const c = this.reference.cell;
    structures.forEach((s, idx) => {
      if (s.natoms !== this.reference.natoms) throw new PhononError(`harmonic calculator: structure ${idx} has ${s.natoms} atoms, expected ${this.reference.natoms}`);
      const n3 = this.n3;
      const u = new Float64Array(n3);
      for (let i = 0; i < s.natoms; i++) {
        const d = [0, 1, 2].map((k) => {
          const x = s.frac[3 * i + k] - this.reference.frac[3 * i + k];
          return x - Math.round(x);
        });
        for (let k = 0; k < 3; k++) u[3 * i + k] = d[0] * c[k] + d[1] * c[3 + k] + d[2] * c[6 + k];
      }
      const f = new Float64Array(n3);
      let e = 0;
      for (let r = 0; r < n3; r++) {
        let acc = 0;
        for (let q = 0; q < n3; q++) acc += this.phi[r * n3 + q] * u[q];
        f[r] = -acc;
        e += 0.5 * u[r] * acc;
      }
      out.push({ energy: e, forces: f });
      options.onProgress?.(idx + 1, structures.length);
    });
    return out;
  }
}
