// Real-space harmonic force constants of a crystal on a diagonal supercell (physics.md 2).
//
// Holds the primitive structure, the supercell multiplicity (n1, n2, n3) and the translation-
// invariant blocks Φ(κ, 0; κ', L) (eV/Å²) for every pair of primitive atoms κ, κ' and every lattice
// translation L of the supercell. The cells L are those of supercellLatticePoints([n1, n2, n3]) in
// the same order (l1 slowest, l3 fastest: c = (l1·n2 + l2)·n3 + l3), and the supercell atom order is
// makeSupercell's: atom i = c·n + κ. Storage is the 3n × 3N row-major matrix
//     blocks[(3κ + α)·3N + 3(c·n + κ') + β] = Φ_{κα, κ'β}(0, L_c),
// i.e. the first 3n rows of the full supercell matrix.
import type { Structure } from '../structure/structure.js';
import { StructureError } from '../structure/structure.js';
import { makeSupercell, supercellLatticePoints, type Supercell } from '../structure/supercell.js';

export class RealSpaceForceConstants {
  readonly primitive: Structure;
  /** Supercell multiplicity (diagonal supercell matrix). */
  readonly supercell: readonly [number, number, number];
  /** Number of cells N = n1·n2·n3. */
  readonly ncells: number;
  /** L_c, 3 integers per cell. */
  readonly cells: Int32Array;
  /** 3n × 3N row-major, eV/Å² (see file header). */
  readonly blocks: Float64Array;

  constructor(primitive: Structure, supercell: readonly number[], blocks?: Float64Array) {
    if (supercell.length !== 3 || supercell.some((n) => !Number.isInteger(n) || n < 1))
      throw new StructureError(`supercell must be three positive integers, got ${supercell.join(' ')}`);
    this.primitive = primitive;
    this.supercell = [supercell[0], supercell[1], supercell[2]];
    this.ncells = supercell[0] * supercell[1] * supercell[2];
    this.cells = supercellLatticePoints(this.supercell);
    const size = 9 * primitive.natoms * primitive.natoms * this.ncells;
    if (blocks && blocks.length !== size)
      throw new StructureError(`force constants: expected ${size} numbers (3n × 3N), got ${blocks.length}`);
    this.blocks = blocks ?? new Float64Array(size);
  }

  get nat(): number {
    return this.primitive.natoms;
  }

  /** Number of supercell atoms N·n. */
  get natSupercell(): number {
    return this.ncells * this.primitive.natoms;
  }

  /** Index c of the cell with translation (l1, l2, l3), taken modulo the supercell. */
  cellIndex(l1: number, l2: number, l3: number): number {
    const [n1, n2, n3] = this.supercell;
    const m = (x: number, n: number) => ((x % n) + n) % n;
    return (m(l1, n1) * n2 + m(l2, n2)) * n3 + m(l3, n3);
  }

  /** Flat index of Φ_{κα, κ'β}(0, L_c) in `blocks`. */
  index(kappa: number, alpha: number, kappa2: number, c: number, beta: number): number {
    const cols = 3 * this.natSupercell;
    return (3 * kappa + alpha) * cols + 3 * (c * this.nat + kappa2) + beta;
  }

  /** The 3×3 block Φ(κ, 0; κ', L_c), row-major. */
  block(kappa: number, kappa2: number, c: number): Float64Array {
    const out = new Float64Array(9);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) out[3 * a + b] = this.blocks[this.index(kappa, a, kappa2, c, b)];
    return out;
  }

  /**
   * The same force constants for the primitive structure with fractional coordinates wrapped into
   * [0, 1): atom κ moves by the lattice vector −s_κ (s_κ = ⌊frac_κ⌋), so
   * Φ'(κ,0;κ',L) = Φ(κ,0;κ',L − s_κ' + s_κ).
   */
  wrapped(): RealSpaceForceConstants {
    const n = this.nat;
    const t = new Int32Array(3 * n); // s_κ
    const frac = new Float64Array(3 * n);
    for (let i = 0; i < 3 * n; i++) {
      let s = Math.floor(this.primitive.frac[i]);
      let f = this.primitive.frac[i] - s;
      if (f >= 1) {
        f = 0;
        s += 1;
      }
      t[i] = s;
      frac[i] = f;
    }
    const out = new RealSpaceForceConstants(this.primitive.with({ frac }), this.supercell);
    const cells = this.cells;
    for (let k = 0; k < n; k++)
      for (let k2 = 0; k2 < n; k2++)
        for (let c = 0; c < this.ncells; c++) {
          const old = this.cellIndex(
            cells[3 * c] - t[3 * k2] + t[3 * k],
            cells[3 * c + 1] - t[3 * k2 + 1] + t[3 * k + 1],
            cells[3 * c + 2] - t[3 * k2 + 2] + t[3 * k + 2],
          );
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) out.blocks[out.index(k, a, k2, c, b)] = this.blocks[this.index(k, a, k2, old, b)];
        }
    return out;
  }

  /** The supercell of the primitive structure in the atom order used here. */
  makeSupercell(): Supercell {
    return makeSupercell(this.primitive, this.supercell, { wrap: false });
  }

  /** Full 3N × 3N supercell matrix Φ_ij = Φ(κ_i, 0; κ_j, L_j − L_i). */
  toSupercellMatrix(): Float64Array {
    const n = this.nat;
    const N = this.natSupercell;
    const out = new Float64Array(9 * N * N);
    const cells = this.cells;
    for (let ci = 0; ci < this.ncells; ci++)
      for (let cj = 0; cj < this.ncells; cj++) {
        const c = this.cellIndex(cells[3 * cj] - cells[3 * ci], cells[3 * cj + 1] - cells[3 * ci + 1], cells[3 * cj + 2] - cells[3 * ci + 2]);
        for (let k = 0; k < n; k++)
          for (let k2 = 0; k2 < n; k2++)
            for (let a = 0; a < 3; a++)
              for (let b = 0; b < 3; b++)
                out[(3 * (ci * n + k) + a) * 3 * N + 3 * (cj * n + k2) + b] = this.blocks[this.index(k, a, k2, c, b)];
      }
    return out;
  }

  /**
   * From a full 3N × 3N supercell matrix in this class's atom order, averaging each block over the N
   * equivalent pairs (exact when the matrix is translation invariant).
   */
  static fromSupercellMatrix(primitive: Structure, supercell: readonly number[], full: ArrayLike<number>): RealSpaceForceConstants {
    const fc = new RealSpaceForceConstants(primitive, supercell);
    const n = fc.nat;
    const N = fc.natSupercell;
    if (full.length !== 9 * N * N) throw new StructureError(`supercell matrix: expected ${9 * N * N} numbers, got ${full.length}`);
    const cells = fc.cells;
    for (let ci = 0; ci < fc.ncells; ci++)
      for (let cj = 0; cj < fc.ncells; cj++) {
        const c = fc.cellIndex(cells[3 * cj] - cells[3 * ci], cells[3 * cj + 1] - cells[3 * ci + 1], cells[3 * cj + 2] - cells[3 * ci + 2]);
        for (let k = 0; k < n; k++)
          for (let k2 = 0; k2 < n; k2++)
            for (let a = 0; a < 3; a++)
              for (let b = 0; b < 3; b++)
                fc.blocks[fc.index(k, a, k2, c, b)] += full[(3 * (ci * n + k) + a) * 3 * N + 3 * (cj * n + k2) + b] / fc.ncells;
      }
    return fc;
  }
}
