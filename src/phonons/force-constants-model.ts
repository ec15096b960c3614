// Real-space harmonic force constants of a crystal on a supercell (physics.md 2).
//
// One container for every producer (finite displacements, phonopy FORCE_CONSTANTS, QE dynamical-matrix
// sets) and consumer (dynamical matrices, writers). It holds the primitive structure, the supercell
// (matrix M, atom order and the maps prim[i] = κ, lat[i] ≡ L, see structure/supercell.ts) and the force
// constants in one of two representations, the other derived on first use:
//
// - blocks: the translation-invariant blocks Φ(κ, 0; κ', L_c) (eV/Å²) for every pair of primitive atoms
//   κ, κ' and every cell c of the supercell (L_c = supercell.cells[c]), stored as the 3n × 3N row-major
//   matrix
//       blocks[(3κ + α)·3N + 3(c·n + κ') + β] = Φ_{κα, κ'β}(0, L_c),
//   i.e. the rows of the home-cell atoms (L = 0) of the full supercell matrix;
// - phi: the full 3N × 3N supercell matrix Φ_ij (eV/Å²) in the supercell atom order i = c·n + κ.
//
// From blocks, phi is the expansion Φ_ij = Φ(κ_i, 0; κ_j, L_j − L_i). From phi (e.g. finite
// differences, translation invariant up to rounding), blocks are its home-cell rows, copied. Fill the
// given (or zero) representation in place right after construction, before the other is first read.
import type { Structure } from '../structure/structure.js';
import { StructureError } from '../structure/structure.js';
import { cellIndexer, makeSupercell, type Supercell } from '../structure/supercell.js';

/** A supercell matrix: 3 numbers for diag(n1, n2, n3), 9 row-major, or 3×3 nested. */
export type SupercellMatrix = ArrayLike<number> | readonly (readonly number[])[];

export interface ForceConstantsData {
  /** 3n × 3N translation-invariant blocks (see the file header). */
  blocks?: Float64Array;
  /** 3N × 3N full supercell matrix. */
  phi?: Float64Array;
}

export class ForceConstants {
  /** The primitive structure: its atoms are the κ of Φ(κ, 0; κ', L). */
  readonly primitive: Structure;
  /** The supercell with its maps prim[i] = κ, lat[i] and the cells L_c. */
  readonly supercell: Supercell;
  /** Number of cells N = |det M|. */
  readonly ncells: number;
  /** L_c, 3 integers per cell (= supercell.cells). */
  readonly cells: Int32Array;
  private blocksData?: Float64Array;
  private phiData?: Float64Array;
  private indexer?: (l1: number, l2: number, l3: number) => number;

  /**
   * Force constants of `primitive` on the supercell `supercell` (a Supercell of `primitive` from
   * makeSupercell, or its matrix). Without data the blocks start at zero, to be filled in place.
   */
  constructor(primitive: Structure, supercell: Supercell | SupercellMatrix, data: ForceConstantsData = {}) {
    this.primitive = primitive;
    this.supercell = isSupercell(supercell) ? supercell : makeSupercell(primitive, checkMatrix(supercell));
    this.ncells = this.supercell.ncells;
    this.cells = this.supercell.cells;
    if (this.supercell.prim.length !== this.natSupercell)
      throw new StructureError(`supercell has ${this.supercell.prim.length} atoms, expected ${this.natSupercell} (${this.nat} × ${this.ncells} cells)`);
    const nb = 9 * this.nat * this.natSupercell;
    const np = 9 * this.natSupercell * this.natSupercell;
    if (data.blocks && data.blocks.length !== nb)
      throw new StructureError(`force constants: expected ${nb} numbers (3n × 3N), got ${data.blocks.length}`);
    if (data.phi && data.phi.length !== np)
      throw new StructureError(`force constants: expected ${np} numbers for ${this.natSupercell} supercell atoms (3N × 3N), got ${data.phi.length}`);
    this.phiData = data.phi;
    this.blocksData = data.blocks ?? (data.phi ? undefined : new Float64Array(nb));
  }

  /** From a full 3N × 3N supercell matrix in the atom order of `supercell` (kept as given). */
  static fromSupercellMatrix(primitive: Structure, supercell: Supercell | SupercellMatrix, phi: ArrayLike<number>): ForceConstants {
    return new ForceConstants(primitive, supercell, { phi: Float64Array.from(phi) });
  }

  /** Number of primitive atoms n. */
  get nat(): number {
    return this.primitive.natoms;
  }

  /** Number of supercell atoms N·n. */
  get natSupercell(): number {
    return this.ncells * this.primitive.natoms;
  }

  /** The multiplicity (n1, n2, n3) of a diagonal supercell (the commensurate q-grid); throws otherwise. */
  get grid(): [number, number, number] {
    const m = this.supercell.matrix;
    if (m[1] !== 0 || m[2] !== 0 || m[3] !== 0 || m[5] !== 0 || m[6] !== 0 || m[7] !== 0 || !(m[0] > 0 && m[4] > 0 && m[8] > 0))
      throw new StructureError(`this needs a diagonal supercell with positive entries, got the matrix [${Array.from(m).join(' ')}]`);
    return [m[0], m[4], m[8]];
  }

  /** 3n × 3N translation-invariant blocks (see the file header). */
  get blocks(): Float64Array {
    if (!this.blocksData) {
      const rows = 3 * this.nat * 3 * this.natSupercell;
      const start = 3 * this.homeCell() * this.nat * 3 * this.natSupercell;
      this.blocksData = this.phiData!.slice(start, start + rows);
    }
    return this.blocksData;
  }

  /** Full 3N × 3N supercell matrix Φ_ij = Φ(κ_i, 0; κ_j, L_j − L_i), supercell atom order. */
  get phi(): Float64Array {
    if (!this.phiData) {
      const n = this.nat;
      const N = this.natSupercell;
      const out = new Float64Array(9 * N * N);
      const cells = this.cells;
      const blocks = this.blocks;
      for (let ci = 0; ci < this.ncells; ci++)
        for (let cj = 0; cj < this.ncells; cj++) {
          const c = this.cellIndex(cells[3 * cj] - cells[3 * ci], cells[3 * cj + 1] - cells[3 * ci + 1], cells[3 * cj + 2] - cells[3 * ci + 2]);
          for (let k = 0; k < n; k++)
            for (let k2 = 0; k2 < n; k2++)
              for (let a = 0; a < 3; a++)
                for (let b = 0; b < 3; b++)
                  out[(3 * (ci * n + k) + a) * 3 * N + 3 * (cj * n + k2) + b] = blocks[this.index(k, a, k2, c, b)];
        }
      this.phiData = out;
    }
    return this.phiData;
  }

  /** Index c of the cell with L_c ≡ (l1, l2, l3) modulo the supercell lattice. */
  cellIndex(l1: number, l2: number, l3: number): number {
    this.indexer ??= cellIndexer(this.supercell.matrix);
    return this.indexer(l1, l2, l3);
  }

  /** The cell with L_c = 0. */
  homeCell(): number {
    return this.cellIndex(0, 0, 0);
  }

  /** Flat index of Φ_{κα, κ'β}(0, L_c) in `blocks`. */
  index(kappa: number, alpha: number, kappa2: number, c: number, beta: number): number {
    const cols = 3 * this.natSupercell;
    return (3 * kappa + alpha) * cols + 3 * (c * this.nat + kappa2) + beta;
  }

  /** The 3×3 block Φ(κ, 0; κ', L_c), row-major. */
  block(kappa: number, kappa2: number, c: number): Float64Array {
    const out = new Float64Array(9);
    const blocks = this.blocks;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) out[3 * a + b] = blocks[this.index(kappa, a, kappa2, c, b)];
    return out;
  }

  /**
   * The same force constants for the primitive structure with fractional coordinates wrapped into
   * [0, 1): atom κ moves by the lattice vector −s_κ (s_κ = ⌊frac_κ⌋), so
   * Φ'(κ,0;κ',L) = Φ(κ,0;κ',L − s_κ' + s_κ).
   */
  wrapped(): ForceConstants {
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
    const out = new ForceConstants(this.primitive.with({ frac }), this.supercell.matrix);
    const cells = this.cells;
    const blocks = this.blocks;
    for (let k = 0; k < n; k++)
      for (let k2 = 0; k2 < n; k2++)
        for (let c = 0; c < this.ncells; c++) {
          const old = this.cellIndex(
            cells[3 * c] - t[3 * k2] + t[3 * k],
            cells[3 * c + 1] - t[3 * k2 + 1] + t[3 * k + 1],
            cells[3 * c + 2] - t[3 * k2 + 2] + t[3 * k + 2],
          );
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) out.blocks[out.index(k, a, k2, c, b)] = blocks[this.index(k, a, k2, old, b)];
        }
    return out;
  }
}

function isSupercell(x: Supercell | SupercellMatrix): x is Supercell {
  return (x as Supercell).structure !== undefined && (x as Supercell).prim !== undefined;
}

/** Keep the old message for a 3-number multiplicity that is not three positive integers. */
function checkMatrix(m: SupercellMatrix): SupercellMatrix {
  const first = (m as ArrayLike<unknown>)[0];
  if (!Array.isArray(first) && m.length === 3) {
    const d = Array.from(m as ArrayLike<number>);
    if (d.some((x) => !Number.isInteger(x) || x < 1)) throw new StructureError(`supercell must be three positive integers, got ${d.join(' ')}`);
  }
  return m;
}
