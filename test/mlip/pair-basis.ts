// A small linear basis for the tests of training and active learning, independent of the moment-tensor
// descriptors: Chebyshev pair terms per unordered species pair, plain TypeScript, brute-force periodic
// images. E = Σ_i θ₀(z_i) + Σ_i Σ_{p,β} θ_{pβ} B_{pβ}(i),  B_{pβ}(i) = ½ Σ_{j: pair(z_i,z_j)=p} Q_β(r_ij),
// Q_β(r) = T_β(s)(R_cut − r)², s = (2r − R_min − R_cut)/(R_cut − R_min)  (physics.md 6.2).
import type { DesignRequest, DesignRows, LinearBasis, LinearEvaluation } from '../../src/mlip/linear-basis.js';
import type { Structure } from '../../src/structure/structure.js';

export interface PairBasisSpec {
  type: 'test-chebyshev-pair';
  species: string[];
  size: number;
  rmin: number;
  rcut: number;
}

export class ChebyshevPairBasis implements LinearBasis {
  readonly species: readonly string[];
  readonly nParams: number;
  private readonly pairIndex: number[][];

  constructor(readonly spec: Omit<PairBasisSpec, 'type'>) {
    this.species = [...spec.species];
    const ns = spec.species.length;
    this.pairIndex = Array.from({ length: ns }, () => new Array<number>(ns).fill(0));
    let p = 0;
    for (let a = 0; a < ns; a++) for (let b = a; b < ns; b++) this.pairIndex[a][b] = this.pairIndex[b][a] = p++;
    this.nParams = ns + p * spec.size;
  }

  toJSON(): PairBasisSpec {
    return { type: 'test-chebyshev-pair', ...this.spec, species: [...this.species] };
  }

  /** Q_β and dQ_β/dr for β < size. */
  private radial(r: number, q: Float64Array, dq: Float64Array): void {
    const { rmin, rcut, size } = this.spec;
    const s = (2 * r - rmin - rcut) / (rcut - rmin);
    const ds = 2 / (rcut - rmin);
    const c = (rcut - r) ** 2, dc = -2 * (rcut - r);
    let t0 = 1, t1 = s, d0 = 0, d1 = 1;
    for (let b = 0; b < size; b++) {
      const t = b === 0 ? t0 : t1, dt = b === 0 ? d0 : d1;
      q[b] = t * c;
      dq[b] = dt * ds * c + t * dc;
      if (b >= 1) {
        const t2 = 2 * s * t1 - t0, d2 = 2 * t1 + 2 * s * d1 - d0;
        t0 = t1; t1 = t2; d0 = d1; d1 = d2;
      }
    }
  }

  /** Calls fn(i, j, rvec, r) for every ordered pair within R_cut (periodic images, brute force). */
  private pairs(s: Structure, fn: (i: number, j: number, rv: number[], r: number) => void): void {
    const { rcut } = this.spec;
    const c = s.cell;
    const row = (k: number) => [c[3 * k], c[3 * k + 1], c[3 * k + 2]];
    const cross = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    const a = [row(0), row(1), row(2)];
    const vol = s.volume;
    const n = [0, 1, 2].map((k) => {
      const x = cross(a[(k + 1) % 3], a[(k + 2) % 3]);
      return Math.ceil(rcut / (vol / Math.hypot(x[0], x[1], x[2]))) + 1;
    });
    const N = s.natoms;
    const f = s.frac;
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) {
        const df = [0, 1, 2].map((k) => f[3 * j + k] - f[3 * i + k] - Math.round(f[3 * j + k] - f[3 * i + k]));
        for (let u = -n[0]; u <= n[0]; u++)
          for (let v = -n[1]; v <= n[1]; v++)
            for (let w = -n[2]; w <= n[2]; w++) {
              const g = [df[0] + u, df[1] + v, df[2] + w];
              const rv = [0, 1, 2].map((x) => g[0] * a[0][x] + g[1] * a[1][x] + g[2] * a[2][x]);
              const r = Math.hypot(rv[0], rv[1], rv[2]);
              if (r < 1e-9 || r >= rcut) continue;
              fn(i, j, rv, r);
            }
      }
  }

  private index(s: Structure, i: number): number {
    const z = this.species.indexOf(s.species[i]);
    if (z < 0) throw new Error(`species ${s.species[i]} not in the basis`);
    return z;
  }

  design(s: Structure, req: DesignRequest = {}): DesignRows {
    const m = this.nParams, N = s.natoms, ns = this.species.length, nb = this.spec.size;
    const energy = new Float64Array(m);
    const forces = req.forces ? new Float64Array(3 * N * m) : undefined;
    const stress = req.stress ? new Float64Array(6 * m) : undefined;
    const atoms = req.atoms ? new Float64Array(N * m) : undefined;
    const zi = Array.from({ length: N }, (_, i) => this.index(s, i));
    for (let i = 0; i < N; i++) {
      energy[zi[i]] += 1;
      if (atoms) atoms[i * m + zi[i]] = 1;
    }
    const q = new Float64Array(nb), dq = new Float64Array(nb);
    const vol = s.volume;
    const voigt = [[0, 0], [1, 1], [2, 2], [1, 2], [0, 2], [0, 1]];
    this.pairs(s, (i, j, rv, r) => {
      this.radial(r, q, dq);
      const col0 = ns + this.pairIndex[zi[i]][zi[j]] * nb;
      for (let b = 0; b < nb; b++) {
        const col = col0 + b;
        energy[col] += 0.5 * q[b];
        if (atoms) atoms[i * m + col] += 0.5 * q[b];
        const gs = (0.5 * dq[b]) / r; // g = gs · rvec = ∂(½Q)/∂rvec
        if (forces) {
          for (let x = 0; x < 3; x++) {
            forces[(3 * j + x) * m + col] -= gs * rv[x];
            forces[(3 * i + x) * m + col] += gs * rv[x];
          }
        }
        if (stress) for (let v = 0; v < 6; v++) stress[v * m + col] += (rv[voigt[v][0]] * gs * rv[voigt[v][1]]) / vol;
      }
    });
    return { natoms: N, energy, forces, stress, atoms };
  }

  evaluate(s: Structure, theta: Float64Array): LinearEvaluation {
    const m = this.nParams, N = s.natoms;
    const d = this.design(s, { forces: true, stress: true });
    let energy = 0;
    for (let j = 0; j < m; j++) energy += d.energy[j] * theta[j];
    const forces = new Float64Array(3 * N);
    for (let i = 0; i < 3 * N; i++) {
      let f = 0;
      for (let j = 0; j < m; j++) f += d.forces![i * m + j] * theta[j];
      forces[i] = f;
    }
    const v = new Float64Array(6);
    for (let r = 0; r < 6; r++) for (let j = 0; j < m; j++) v[r] += d.stress![r * m + j] * theta[j];
    const stress = Float64Array.of(v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2]);
    return { energy, forces, stress };
  }
}
