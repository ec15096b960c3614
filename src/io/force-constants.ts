// phonopy FORCE_CONSTANTS files (eV/Å²), written from phonopy's documentation of the format and checked
// against files written by phonopy itself (test/fixtures/fc/README.md):
//
//   line 1         "N N"  (full: every supercell atom i) or "n N" (compact: the n atoms of the
//                  primitive cell only); very old files have a single "N"
//   then per pair  "i j"   (1-based supercell indices; in the compact form i is the supercell index of
//                  the primitive atom, phonopy's p2s map + 1)
//                  3 rows of 3 numbers: Φ_{iα, jβ}, row α, column β
//
// The supercell atom order is phonopy's: for diag(n1, n2, n3) the atoms of the unit cell one after the
// other, each repeated over the lattice points with l1 fastest:
//     phonopy index p = κ·N + (l3·n2 + l2)·n1 + l1.
// Other orders (e.g. a user's own supercell file) can be given as an explicit map from positions.
//
// Isomorphic: strings in, strings out.
import { ForceConstants } from '../phonons/force-constants-model.js';
import type { Structure } from '../structure/structure.js';
import { StructureError } from '../structure/structure.js';
import { ParseError, parseFailer, parseInteger, parseReal, quoteLine, splitLines, type ParseFail } from './errors.js';
import { hypot3 } from '../numeric/detmath.js';

/** A FORCE_CONSTANTS file as read. */
export interface PhonopyForceConstants {
  /** Number of rows (atoms i): N for the full form, n for the compact form. */
  rows: number;
  /** Number of supercell atoms N. */
  natSupercell: number;
  /** Supercell index (0-based) of each row atom: 0…N−1 for the full form, phonopy's p2s map for the compact form. */
  rowAtoms: Int32Array;
  /** Φ, rows × N × 3 × 3: fc[((r·N + j)·3 + α)·3 + β] (eV/Å²). */
  fc: Float64Array;
  compact: boolean;
}

/** Read a FORCE_CONSTANTS file (full or compact). `fileName` is used in error messages. */
export function readForceConstants(text: string, fileName = 'FORCE_CONSTANTS'): PhonopyForceConstants {
  const lines = splitLines(text);
  const fail: ParseFail = parseFailer(fileName);
  if (lines.length === 0 || lines.every((l) => l.trim() === '')) fail(undefined, 'file is empty');
  const head = lines[0].trim().split(/\s+/).map(parseInteger);
  if (!(head.length === 1 || head.length === 2) || head.some((x) => !(x >= 1)))
    fail(1, `expected "N N" or "n N" (positive integers), got ${quoteLine(lines[0])}`);
  const rows = head[0];
  const N = head.length === 2 ? head[1] : head[0];
  if (rows > N) fail(1, `the first number (${rows}) cannot exceed the number of supercell atoms (${N})`);
  const compact = rows !== N;
  const fc = new Float64Array(rows * N * 9);
  const rowAtoms = new Int32Array(rows).fill(-1);
  let li = 1;
  for (let r = 0; r < rows; r++) {
    const seen = new Uint8Array(N);
    for (let j = 0; j < N; j++) {
      if (li >= lines.length) fail(lines.length + 1, `unexpected end of file: expected block "i j" number ${r * N + j + 1} of ${rows * N}`);
      const hl = lines[li++];
      const t = hl.trim().split(/\s+/).map(parseInteger);
      if (t.length !== 2 || t.some(Number.isNaN)) fail(li, `expected a block header "i j" (two atom indices), got ${quoteLine(hl)}`);
      const [i1, j1] = t;
      if (i1 < 1 || i1 > N || j1 < 1 || j1 > N) fail(li, `block "${i1} ${j1}": atom index outside 1…${N}`);
      if (rowAtoms[r] < 0) {
        if (!compact && i1 !== r + 1) fail(li, `block "${i1} ${j1}": expected first index ${r + 1} (full form, rows in order)`);
        if (r > 0 && i1 - 1 <= rowAtoms[r - 1]) fail(li, `block "${i1} ${j1}": row atoms must increase`);
        rowAtoms[r] = i1 - 1;
      } else if (i1 - 1 !== rowAtoms[r]) fail(li, `block "${i1} ${j1}": expected first index ${rowAtoms[r] + 1} (${N} blocks per row atom)`);
      if (seen[j1 - 1]) fail(li, `block "${i1} ${j1}" appears twice`);
      seen[j1 - 1] = 1;
      for (let a = 0; a < 3; a++) {
        if (li >= lines.length) fail(lines.length + 1, `unexpected end of file: expected row ${a + 1} of block "${i1} ${j1}"`);
        const l = lines[li++];
        const toks = l.trim().split(/\s+/);
        const v = toks.map(parseReal);
        if (toks.length !== 3 || v.some(Number.isNaN)) fail(li, `expected 3 numbers (row ${a + 1} of block "${i1} ${j1}"), got ${quoteLine(l)}`);
        for (let b = 0; b < 3; b++) fc[((r * N + (j1 - 1)) * 3 + a) * 3 + b] = v[b];
      }
    }
  }
  for (let k = li; k < lines.length; k++) if (lines[k].trim() !== '') fail(k + 1, `unexpected text after the last block: ${quoteLine(lines[k])}`);
  return { rows, natSupercell: N, rowAtoms, fc, compact };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot write non-finite number ${x}`);
  // Same as phonopy's "%22.15f" (tiny negatives keep their sign: "-0.000000000000000").
  return ((Object.is(x, -0) ? '-' : '') + x.toFixed(15)).padStart(22);
}

/** Write a FORCE_CONSTANTS file (full form unless `compact` and the data has fewer rows). */
export function writeForceConstants(data: PhonopyForceConstants): string {
  const { rows, natSupercell: N, rowAtoms, fc } = data;
  const out: string[] = [`${String(rows).padStart(4)} ${String(N).padStart(4)}`];
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < N; j++) {
      out.push(`${rowAtoms[r] + 1} ${j + 1}`);
      for (let a = 0; a < 3; a++) out.push([0, 1, 2].map((b) => fmt(fc[((r * N + j) * 3 + a) * 3 + b])).join(''));
    }
  // phonopy ends the file without a newline after the last row; so do we (byte-identical output).
  return out.join('\n');
}

/**
 * Map of phonopy supercell indices to this toolkit's: map[p] = c·n + κ (makeSupercell order) for the
 * diagonal supercell (n1, n2, n3) of a cell with n atoms.
 */
export function phonopySupercellOrder(nat: number, supercell: readonly number[]): Int32Array {
  const [n1, n2, n3] = supercell;
  const N = n1 * n2 * n3;
  const map = new Int32Array(nat * N);
  for (let k = 0; k < nat; k++)
    for (let l3 = 0; l3 < n3; l3++)
      for (let l2 = 0; l2 < n2; l2++)
        for (let l1 = 0; l1 < n1; l1++) {
          const p = k * N + (l3 * n2 + l2) * n1 + l1;
          const c = (l1 * n2 + l2) * n3 + l3;
          map[p] = c * nat + k;
        }
  return map;
}

/**
 * Map the atoms of an explicit supercell structure (any order) to this toolkit's order:
 * map[p] = c·n + κ, matching x_p = x_κ + L_c·cell modulo the supercell within `tol` (Å).
 */
export function supercellOrderFromStructure(primitive: Structure, supercell: readonly number[], sc: Structure, tol = 1e-3): Int32Array {
  const [n1, n2, n3] = supercell;
  const nat = primitive.natoms;
  const N = n1 * n2 * n3;
  if (sc.natoms !== nat * N) throw new StructureError(`supercell structure has ${sc.natoms} atoms, expected ${nat * N} (${nat} × ${n1}×${n2}×${n3})`);
  const pc = primitive.cell;
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      if (Math.abs(sc.cell[3 * r + c] - supercell[r] * pc[3 * r + c]) > tol)
        throw new StructureError(`supercell structure's cell is not diag(${n1}, ${n2}, ${n3}) × the primitive cell`);
  const map = new Int32Array(sc.natoms).fill(-1);
  const used = new Uint8Array(sc.natoms);
  const cart = sc.cartesian();
  // Primitive fractional coordinates of supercell atom p: x_p · cell⁻¹.
  const inv = invRows(pc);
  for (let p = 0; p < sc.natoms; p++) {
    const f = [0, 1, 2].map((k) => cart[3 * p] * inv[k] + cart[3 * p + 1] * inv[3 + k] + cart[3 * p + 2] * inv[6 + k]);
    let found = -1;
    for (let k = 0; k < nat && found < 0; k++) {
      if (primitive.species[k] !== sc.species[p]) continue;
      const d = f.map((x, a) => x - primitive.frac[3 * k + a]);
      const l = d.map(Math.round);
      const r = d.map((x, a) => x - l[a]);
      const dx = [0, 1, 2].map((c) => r[0] * pc[c] + r[1] * pc[3 + c] + r[2] * pc[6 + c]);
      if (hypot3(dx[0], dx[1], dx[2]) > tol) continue;
      const lm = [((l[0] % n1) + n1) % n1, ((l[1] % n2) + n2) % n2, ((l[2] % n3) + n3) % n3];
      found = ((lm[0] * n2 + lm[1]) * n3 + lm[2]) * nat + k;
    }
    if (found < 0) throw new StructureError(`supercell atom ${p + 1} (${sc.species[p]}) is not an image of any primitive atom`);
    if (used[found]) throw new StructureError(`supercell atoms map twice onto the same site (atom ${p + 1})`);
    used[found] = 1;
    map[p] = found;
  }
  return map;
}

function invRows(m: ArrayLike<number>): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m);
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return Float64Array.of(
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  );
}

export interface ToRealSpaceOptions {
  /** map[p] = c·n + κ for phonopy index p (default phonopySupercellOrder). */
  order?: Int32Array;
  fileName?: string;
}

/**
 * Real-space force constants from a FORCE_CONSTANTS file for the primitive structure and diagonal
 * supercell it refers to. Blocks are averaged over the rows available (all N·n rows in the full form,
 * one per primitive atom in the compact form); `maxTranslationDeviation` = max over entries of
 * (max − min)/2 among the equivalent rows: how far the full form departs from translation invariance
 * (eV/Å²).
 */
export function forceConstantsToRealSpace(
  data: PhonopyForceConstants,
  primitive: Structure,
  supercell: readonly number[],
  options: ToRealSpaceOptions = {},
): { fc: ForceConstants; maxTranslationDeviation: number } {
  const fileName = options.fileName ?? 'FORCE_CONSTANTS';
  const fc = new ForceConstants(primitive, supercell);
  const nat = fc.nat;
  const N = fc.natSupercell;
  if (data.natSupercell !== N)
    throw new ParseError(fileName, 1, `the file is for ${data.natSupercell} supercell atoms, but ${nat} atoms × ${supercell.join('×')} = ${N}`);
  const order = options.order ?? phonopySupercellOrder(nat, supercell);
  if (order.length !== N) throw new StructureError(`supercell order map has ${order.length} entries, expected ${N}`);
  const cells = fc.cells;
  const sum = new Float64Array(fc.blocks.length);
  const lo = new Float64Array(fc.blocks.length).fill(Infinity);
  const hi = new Float64Array(fc.blocks.length).fill(-Infinity);
  const count = new Float64Array(nat);
  for (let r = 0; r < data.rows; r++) {
    const ti = order[data.rowAtoms[r]];
    const ci = Math.floor(ti / nat);
    const k = ti % nat;
    count[k]++;
    for (let j = 0; j < N; j++) {
      const tj = order[j];
      const cj = Math.floor(tj / nat);
      const k2 = tj % nat;
      const c = fc.cellIndex(cells[3 * cj] - cells[3 * ci], cells[3 * cj + 1] - cells[3 * ci + 1], cells[3 * cj + 2] - cells[3 * ci + 2]);
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          const v = data.fc[((r * N + j) * 3 + a) * 3 + b];
          const idx = fc.index(k, a, k2, c, b);
          sum[idx] += v;
          lo[idx] = Math.min(lo[idx], v);
          hi[idx] = Math.max(hi[idx], v);
        }
    }
  }
  for (let k = 0; k < nat; k++)
    if (count[k] === 0) throw new ParseError(fileName, undefined, `no row for primitive atom ${k + 1}: the compact file does not match the structure/supercell`);
  let dev = 0;
  for (let k = 0; k < nat; k++)
    for (let a = 0; a < 3; a++) {
      const row = fc.index(k, a, 0, 0, 0);
      for (let col = 0; col < 3 * N; col++) {
        const idx = row + col;
        fc.blocks[idx] = sum[idx] / count[k];
        dev = Math.max(dev, 0.5 * (hi[idx] - lo[idx]));
      }
    }
  return { fc, maxTranslationDeviation: dev };
}

/**
 * FORCE_CONSTANTS data (phonopy order) from real-space force constants: the full N × N form, or the
 * compact n × N form whose rows are the atoms of the first cell (phonopy's p2s map: κ·N).
 */
export function forceConstantsFromRealSpace(fc: ForceConstants, options: { compact?: boolean; order?: Int32Array } = {}): PhonopyForceConstants {
  const nat = fc.nat;
  const N = fc.natSupercell;
  const order = options.order ?? phonopySupercellOrder(nat, fc.grid);
  const cells = fc.cells;
  const rowAtoms = options.compact
    ? Int32Array.from({ length: nat }, (_, k) => order.indexOf(k))
    : Int32Array.from({ length: N }, (_, p) => p);
  const rows = rowAtoms.length;
  if (options.compact) {
    const sorted = [...rowAtoms].sort((x, y) => x - y);
    rowAtoms.set(sorted);
  }
  const out = new Float64Array(rows * N * 9);
  for (let r = 0; r < rows; r++) {
    const ti = order[rowAtoms[r]];
    const ci = Math.floor(ti / nat);
    const k = ti % nat;
    for (let j = 0; j < N; j++) {
      const tj = order[j];
      const cj = Math.floor(tj / nat);
      const k2 = tj % nat;
      const c = fc.cellIndex(cells[3 * cj] - cells[3 * ci], cells[3 * cj + 1] - cells[3 * ci + 1], cells[3 * cj + 2] - cells[3 * ci + 2]);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) out[((r * N + j) * 3 + a) * 3 + b] = fc.blocks[fc.index(k, a, k2, c, b)];
    }
  }
  return { rows, natSupercell: N, rowAtoms, fc: out, compact: rows !== N };
}
