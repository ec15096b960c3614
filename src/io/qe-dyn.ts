// Quantum ESPRESSO dynamical-matrix files (ph.x "fildyn" sets, also written by python-sscha and
// CellConstructor), written from the format description in physics.md 4.5 and from real example
// files (test/fixtures/dyn/README.md). A set is an index file PREFIX0 and one file PREFIXk per
// irreducible q point, k = 1 … nqirr:
//
//   PREFIX0        n1 n2 n3                    the q grid
//                  nqirr
//                  nqirr lines: q (Cartesian, units 2π/alat), the first q of each star
//
//   PREFIXk        "Dynamical matrix file"
//                  title line
//                  ntyp nat ibrav celldm(1..6)            celldm(1) = alat in bohr
//                  [ibrav 0: "Basis vectors" + 3 rows, lattice vectors in units of alat]
//                  ntyp lines: type index, 'label', mass in Rydberg mass units (m_e = ½)
//                  nat lines:  atom index, type index, Cartesian position in units of alat
//                  for each q of the star (and of the star of −q when −q is not in it):
//                      "Dynamical  Matrix in cartesian axes"
//                      "q = ( qx qy qz )"                  Cartesian, units 2π/alat
//                      nat² blocks: "i j" + 3 rows of 3 (re, im) pairs: Φ_{iα,jβ}(q), Ry/bohr²,
//                      not divided by the masses; row α, column β
//                  [q = 0 only: "Dielectric Tensor:" (3 rows), "Effective Charges E-U" and/or
//                   "Effective Charges U-E" ("atom # i" + 3 rows per atom)]
//                  "Diagonalizing the dynamical matrix", q, a line of '*', then per mode
//                  "freq (  ν) = f [THz] = f [cm-1]" (older files: "omega( ν) = …") followed by nat
//                  lines "( x re, x im, y re, y im, z re, z im )": the displacement pattern
//                  e_ν/√M normalised to 1 over the cell; a closing line of '*'.
//
// Units inside the toolkit (physics.md 1.2): Φ[eV/Å²] = Φ[Ry/bohr²] × 48.5868121,
// M[amu] = M[Ry] / 911.4442431, lengths × alat × 0.529177210903. Φ(q) follows the phase convention of
// physics.md 4.1, Φ(q)_{κκ'} = Σ_L Φ(κ,0;κ',L) exp(+2πi q·R_L), with no basis-position phase; the
// files use the same convention (test/io/qe-dyn.test.ts checks it on the PbTe example: the Pb–Te
// force constants come out on the nearest-neighbour bonds).
//
// Isomorphic: strings in, strings out; src/cli/convert.ts reads and writes the files.
import { eighHermitian } from '../linalg/hermitian.js';
import { ForceConstants } from '../phonons/force-constants-model.js';
import { isElement } from '../structure/elements.js';
import { det3, inv3 } from '../structure/mat3.js';
import { ISOTOPES, Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { formatReal, ParseError, parseFailer, parseInteger, parseReal, quoteLine, splitLines, type ParseFail } from './errors.js';
import { cos2pi, hypot3, sin2pi } from '../numeric/detmath.js';

// ------------------------------------------------------------------------------------------------
// Constants (physics.md 1.2, exact literals).

/** 1 Ry/bohr² in eV/Å². */
export const RY_BOHR2_TO_EV_A2 = 48.5868121;
/** 1 amu in Rydberg mass units. */
export const AMU_TO_RY_MASS = 911.4442431;
/** 1 bohr in Å. */
export const BOHR_TO_ANGSTROM = 0.529177210903;
/** 1 Ry in cm⁻¹. */
export const RY_TO_CM = 109737.3157;
/** ω (τ⁻¹) → ν (THz). */
export const TAU_INV_TO_THZ = 15.6333042;
/** ω (τ⁻¹) → cm⁻¹. */
export const TAU_INV_TO_CM = 521.470898;

// ------------------------------------------------------------------------------------------------
// Bravais lattices of pw.x (ibrav, celldm), from the pw.x input description.

/**
 * Lattice vectors (rows) in units of alat = celldm(1) for a pw.x Bravais-lattice index. celldm(2) =
 * b/a, celldm(3) = c/a; celldm(4..6) are cosines: ibrav 5/-5: cos γ (angle between any two vectors);
 * 12, 13: cos(a,b); -12, -13: cos(a,c); 14: cos(b,c), cos(a,c), cos(a,b). Throws Error for ibrav
 * values not listed in physics.md 4.5 (plus -3, -5, -9, 91, 13, -13).
 */
export function ibravLattice(ibrav: number, celldm: ArrayLike<number>): Float64Array {
  const ba = celldm[1];
  const ca = celldm[2];
  const c4 = celldm[3];
  const c5 = celldm[4];
  const c6 = celldm[5];
  const need = (name: string, v: number, ok: boolean) => {
    if (!ok || !Number.isFinite(v)) throw new Error(`ibrav ${ibrav} needs ${name}, got ${v}`);
  };
  const h = 0.5;
  switch (ibrav) {
    case 1:
      return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    case 2:
      return Float64Array.of(-h, 0, h, 0, h, h, -h, h, 0);
    case 3:
      return Float64Array.of(h, h, h, -h, h, h, -h, -h, h);
    case -3:
      return Float64Array.of(-h, h, h, h, -h, h, h, h, -h);
    case 4:
      need('celldm(3) = c/a > 0', ca, ca > 0);
      return Float64Array.of(1, 0, 0, -h, Math.sqrt(3) / 2, 0, 0, 0, ca);
    case 5:
    case -5: {
      need('celldm(4) = cos(γ) in (-½, 1)', c4, c4 > -0.5 && c4 < 1);
      const tx = Math.sqrt((1 - c4) / 2);
      const ty = Math.sqrt((1 - c4) / 6);
      const tz = Math.sqrt((1 + 2 * c4) / 3);
      if (ibrav === 5) return Float64Array.of(tx, -ty, tz, 0, 2 * ty, tz, -tx, -ty, tz);
      const s = 1 / Math.sqrt(3);
      const u = (tz - 2 * Math.SQRT2 * ty) * s;
      const v = (tz + Math.SQRT2 * ty) * s;
      return Float64Array.of(u, v, v, v, u, v, v, v, u);
    }
    case 6:
      need('celldm(3) = c/a > 0', ca, ca > 0);
      return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, ca);
    case 7:
      need('celldm(3) = c/a > 0', ca, ca > 0);
      return Float64Array.of(h, -h, ca / 2, h, h, ca / 2, -h, -h, ca / 2);
    case 8:
    case 9:
    case -9:
    case 91:
    case 10:
    case 11: {
      need('celldm(2) = b/a > 0', ba, ba > 0);
      need('celldm(3) = c/a > 0', ca, ca > 0);
      if (ibrav === 8) return Float64Array.of(1, 0, 0, 0, ba, 0, 0, 0, ca);
      if (ibrav === 9) return Float64Array.of(h, ba / 2, 0, -h, ba / 2, 0, 0, 0, ca);
      if (ibrav === -9) return Float64Array.of(h, -ba / 2, 0, h, ba / 2, 0, 0, 0, ca);
      if (ibrav === 91) return Float64Array.of(1, 0, 0, 0, ba / 2, -ca / 2, 0, ba / 2, ca / 2);
      if (ibrav === 10) return Float64Array.of(h, 0, ca / 2, h, ba / 2, 0, 0, ba / 2, ca / 2);
      return Float64Array.of(h, ba / 2, ca / 2, -h, ba / 2, ca / 2, -h, -ba / 2, ca / 2);
    }
    case 12:
    case 13: {
      need('celldm(2) = b/a > 0', ba, ba > 0);
      need('celldm(3) = c/a > 0', ca, ca > 0);
      need('celldm(4) = cos(ab) in (-1, 1)', c4, Math.abs(c4) < 1);
      const s = Math.sqrt(1 - c4 * c4);
      if (ibrav === 12) return Float64Array.of(1, 0, 0, ba * c4, ba * s, 0, 0, 0, ca);
      return Float64Array.of(h, 0, -ca / 2, ba * c4, ba * s, 0, h, 0, ca / 2);
    }
    case -12:
    case -13: {
      need('celldm(2) = b/a > 0', ba, ba > 0);
      need('celldm(3) = c/a > 0', ca, ca > 0);
      need('celldm(5) = cos(ac) in (-1, 1)', c5, Math.abs(c5) < 1);
      const s = Math.sqrt(1 - c5 * c5);
      if (ibrav === -12) return Float64Array.of(1, 0, 0, 0, ba, 0, ca * c5, 0, ca * s);
      return Float64Array.of(h, ba / 2, 0, -h, ba / 2, 0, ca * c5, 0, ca * s);
    }
    case 14: {
      need('celldm(2) = b/a > 0', ba, ba > 0);
      need('celldm(3) = c/a > 0', ca, ca > 0);
      const cbc = c4;
      const cac = c5;
      const cab = c6;
      need('celldm(6) = cos(ab) in (-1, 1)', cab, Math.abs(cab) < 1);
      const sab = Math.sqrt(1 - cab * cab);
      const z2 = 1 + 2 * cbc * cac * cab - cbc * cbc - cac * cac - cab * cab;
      need('celldm(4..6) forming a cell', z2, z2 > 0);
      return Float64Array.of(1, 0, 0, ba * cab, ba * sab, 0, ca * cac, (ca * (cbc - cac * cab)) / sab, (ca * Math.sqrt(z2)) / sab);
    }
    default:
      throw new Error(`ibrav ${ibrav} is not supported (supported: 0, ±1…14 as in pw.x except -1, -2, -4, -6, -7, -8, -10, -11, -14)`);
  }
}

// ------------------------------------------------------------------------------------------------
// Data types.

/** The dielectric tensor and Born effective charges of a q = 0 file (as in the file, no unit change). */
export interface DynDielectric {
  /** ε∞, 3×3 row-major. */
  epsilon: Float64Array;
  /** "Effective Charges E-U: Z_{alpha}{s,beta}", 9 per atom (row α, column β), or undefined. */
  zeu?: Float64Array;
  /** "Effective Charges U-E: Z_{s,alpha}{beta}", 9 per atom, or undefined. */
  zue?: Float64Array;
}

/** The diagonalisation section of a file, as printed. */
export interface DynPrintedModes {
  /** q (Cartesian, 2π/alat) printed in the section. */
  q: Float64Array;
  thz: number[];
  cm: number[];
  /** Per mode, the normalised displacement pattern: nat × 3 complex numbers, interleaved (re, im). */
  patterns: Float64Array[];
  /** 1-based line of the section header. */
  line: number;
}

/** One q point of one file, raw units. */
export interface DynFileQPoint {
  /** Cartesian q in units of 2π/alat, as printed. */
  q: Float64Array;
  /** Φ(q), 3nat × 3nat interleaved complex (row-major), Ry/bohr². */
  phiRy: Float64Array;
  /** 1-based line of the "q = (…)" line. */
  line: number;
}

/** One dynamical-matrix file, in the file's own units. */
export interface QeDynFile {
  fileName: string;
  title: string;
  ntyp: number;
  nat: number;
  ibrav: number;
  celldm: number[];
  /** Lattice vectors (rows) in units of alat: read for ibrav 0, built from celldm otherwise. */
  lattice: Float64Array;
  /** Species: label as written (trimmed) and mass in Rydberg mass units. */
  types: { label: string; massRy: number }[];
  /** Type index (0-based) per atom. */
  atomTypes: Int32Array;
  /** Cartesian positions in units of alat, 3 per atom. */
  positions: Float64Array;
  qpoints: DynFileQPoint[];
  dielectric?: DynDielectric;
  modes?: DynPrintedModes;
}

/** The index file PREFIX0. */
export interface QeDynIndex {
  grid: [number, number, number];
  /** Cartesian q (2π/alat) of each irreducible point. */
  qpoints: Float64Array[];
}

/** A q point of a set, toolkit units. */
export interface DynQPoint {
  /** Cartesian q in units of 2π/alat (as printed when read). */
  q: Float64Array;
  /** Grid coordinates m (0 ≤ m_k < n_k): q ≡ Σ_k (m_k / n_k) b_k. */
  m: [number, number, number];
  /** Φ(q), 3n × 3n interleaved complex (row-major), eV/Å², not mass-divided. */
  phi: Float64Array;
}

/** One file of a set: a star of q (plus the star of −q when needed). */
export interface DynStar {
  points: DynQPoint[];
  /** Name of the file it was read from (undefined for sets built here). */
  file?: string;
  /** The diagonalisation section as printed in the file (when read). */
  printed?: DynPrintedModes;
}

/** A whole dynamical-matrix set in toolkit units (eV/Å², amu, Å). */
export interface QeDynSet {
  /** Primitive structure: cell and positions in Å, masses in amu; labels keep non-element type names. */
  structure: Structure;
  /** alat (bohr), the unit of the file's lengths. */
  alat: number;
  ibrav: number;
  /** celldm(1..6) as in the files (celldm(1) = alat). */
  celldm: number[];
  grid: [number, number, number];
  stars: DynStar[];
  title: string;
  dielectric?: DynDielectric;
}

// ------------------------------------------------------------------------------------------------
// Reading.

const FLOAT_RE = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?/g;

/** Element of a QE species label ("S", "H1", "Fe_up", "D"): Structure species name, or undefined. */
function elementOfLabel(label: string): string | undefined {
  if (isElement(label) || label in ISOTOPES) return label;
  const m = /^([A-Za-z])([a-z]?)/.exec(label);
  if (!m) return undefined;
  const two = m[1].toUpperCase() + m[2];
  if (m[2] && isElement(two)) return two;
  const one = m[1].toUpperCase();
  if (isElement(one) || one in ISOTOPES) return one;
  return undefined;
}

/** Parse one file PREFIXk. `fileName` is used in error messages. */
export function parseQeDynFile(text: string, fileName = 'dyn'): QeDynFile {
  const lines = splitLines(text);
  const fail: ParseFail = parseFailer(fileName);
  let li = 0;
  const get = (what: string): string => {
    if (li >= lines.length) fail(lines.length + 1, `unexpected end of file: expected ${what}`);
    return lines[li++];
  };
  const numbers = (line: string, count: number, lineNo: number, what: string): number[] => {
    const toks = line.trim().split(/\s+/).filter((t) => t !== '');
    const vals = toks.slice(0, count).map(parseReal);
    if (toks.length < count || vals.some(Number.isNaN)) fail(lineNo, `expected ${count} numbers (${what}), got ${quoteLine(line)}`);
    return vals;
  };
  if (lines.length === 0) fail(undefined, 'file is empty');
  if (!/dynamical\s+matrix\s+file/i.test(lines[0])) fail(1, `expected "Dynamical matrix file", got ${quoteLine(lines[0])}`);
  li = 1;
  const title = get('the title line').trim();

  // Header: ntyp nat ibrav celldm(1..6).
  const hLine = get('"ntyp nat ibrav celldm(1..6)"');
  const hNo = li;
  const htoks = hLine.trim().split(/\s+/);
  const ntyp = parseInteger(htoks[0] ?? '');
  const nat = parseInteger(htoks[1] ?? '');
  const ibrav = parseInteger(htoks[2] ?? '');
  const celldm = htoks.slice(3, 9).map(parseReal);
  if (htoks.length < 9 || [ntyp, nat, ibrav, ...celldm].some(Number.isNaN))
    fail(hNo, `expected "ntyp nat ibrav celldm(1) … celldm(6)" (3 integers, 6 numbers), got ${quoteLine(hLine)}`);
  if (ntyp < 1 || nat < 1 || ntyp > nat) fail(hNo, `need 1 ≤ ntyp ≤ nat, got ntyp = ${ntyp}, nat = ${nat}`);
  if (!(celldm[0] > 0)) fail(hNo, `celldm(1) (alat, bohr) must be positive, got ${celldm[0]}`);

  let lattice: Float64Array;
  if (ibrav === 0) {
    let l = get('"Basis vectors" (ibrav = 0)');
    if (/^\s*basis\s+vectors/i.test(l)) l = get('lattice vector 1');
    lattice = new Float64Array(9);
    for (let r = 0; r < 3; r++) {
      if (r > 0) l = get(`lattice vector ${r + 1}`);
      lattice.set(numbers(l, 3, li, `lattice vector ${r + 1} in units of alat`), 3 * r);
    }
    if (!(Math.abs(det3(lattice)) > 1e-12)) fail(li, 'lattice vectors are degenerate');
  } else {
    try {
      lattice = ibravLattice(ibrav, celldm);
    } catch (e) {
      return fail(hNo, (e as Error).message);
    }
  }

  // Species.
  const types: { label: string; massRy: number }[] = [];
  for (let t = 0; t < ntyp; t++) {
    const l = get(`species line ${t + 1} of ${ntyp}`);
    const m = /^\s*(\d+)\s+'([^']*)'\s+(\S+)\s*$/.exec(l);
    if (!m) fail(li, `expected a species line "index 'label' mass", got ${quoteLine(l)}`);
    const idx = Number(m![1]);
    const mass = parseReal(m![3]);
    if (idx !== t + 1) fail(li, `species index ${idx} out of order (expected ${t + 1})`);
    if (!(mass > 0)) fail(li, `species mass must be a positive number (Rydberg mass units), got "${m![3]}"`);
    const label = m![2].trim();
    if (!elementOfLabel(label)) fail(li, `cannot tell the chemical element of species '${label}'`);
    types.push({ label, massRy: mass });
  }

  // Atoms.
  const atomTypes = new Int32Array(nat);
  const positions = new Float64Array(3 * nat);
  for (let a = 0; a < nat; a++) {
    const l = get(`atom line ${a + 1} of ${nat}`);
    const toks = l.trim().split(/\s+/);
    const idx = parseInteger(toks[0] ?? '');
    const ty = parseInteger(toks[1] ?? '');
    const xyz = toks.slice(2, 5).map(parseReal);
    if (toks.length < 5 || Number.isNaN(idx) || Number.isNaN(ty) || xyz.some(Number.isNaN))
      fail(li, `expected an atom line "index type x y z", got ${quoteLine(l)}`);
    if (idx !== a + 1) fail(li, `atom index ${idx} out of order (expected ${a + 1})`);
    if (ty < 1 || ty > ntyp) fail(li, `atom ${idx}: species index ${ty} is not in 1…${ntyp}`);
    atomTypes[a] = ty - 1;
    positions.set(xyz, 3 * a);
  }

  const n3 = 3 * nat;
  const qpoints: DynFileQPoint[] = [];
  let dielectric: DynDielectric | undefined;
  let modes: DynPrintedModes | undefined;

  const parseQ = (l: string, lineNo: number): Float64Array => {
    const m = /q\s*=\s*\(\s*(.*?)\s*\)/i.exec(l);
    const vals = m ? (m[1].match(FLOAT_RE) ?? []).map(parseReal) : [];
    if (!m || vals.length !== 3 || vals.some(Number.isNaN)) fail(lineNo, `expected "q = ( qx qy qz )", got ${quoteLine(l)}`);
    return Float64Array.from(vals);
  };
  const nextNonBlank = (): number => {
    while (li < lines.length && lines[li].trim() === '') li++;
    return li;
  };
  const matrix3 = (what: string): Float64Array => {
    const out = new Float64Array(9);
    for (let r = 0; r < 3; r++) out.set(numbers(get(what), 3, li, what), 3 * r);
    return out;
  };
  const perAtomTensors = (what: string): Float64Array => {
    const out = new Float64Array(9 * nat);
    for (let a = 0; a < nat; a++) {
      nextNonBlank();
      const l = get(`"atom # ${a + 1}" (${what})`);
      const m = /atom\s*#\s*(\d+)/i.exec(l);
      if (!m || Number(m[1]) !== a + 1) fail(li, `expected "atom # ${a + 1}" (${what}), got ${quoteLine(l)}`);
      out.set(matrix3(`${what} of atom ${a + 1}`), 9 * a);
    }
    return out;
  };

  for (;;) {
    if (nextNonBlank() >= lines.length) break;
    const l = lines[li];
    const no = li + 1;
    if (/dynamical\s+matrix\s+in\s+cartesian\s+axes/i.test(l)) {
      li++;
      nextNonBlank();
      const qLine = get('"q = ( … )"');
      const q = parseQ(qLine, li);
      const qNo = li;
      const phi = new Float64Array(2 * n3 * n3);
      const seen = new Uint8Array(nat * nat);
      for (let b = 0; b < nat * nat; b++) {
        nextNonBlank();
        const pl = get(`block header "i j" (${b + 1} of ${nat * nat}) for q on line ${qNo}`);
        const toks = pl.trim().split(/\s+/);
        const i = parseInteger(toks[0] ?? '');
        const j = parseInteger(toks[1] ?? '');
        if (toks.length !== 2 || Number.isNaN(i) || Number.isNaN(j))
          fail(li, `expected a block header "i j" (atom indices), got ${quoteLine(pl)}`);
        if (i < 1 || i > nat || j < 1 || j > nat) fail(li, `block "${i} ${j}": atom index outside 1…${nat}`);
        if (seen[(i - 1) * nat + (j - 1)]) fail(li, `block "${i} ${j}" appears twice for the q point on line ${qNo}`);
        seen[(i - 1) * nat + (j - 1)] = 1;
        for (let a = 0; a < 3; a++) {
          const row = numbers(get(`row ${a + 1} of block "${i} ${j}"`), 6, li, `3 complex numbers (re im) of row ${a + 1} of block "${i} ${j}"`);
          for (let b2 = 0; b2 < 3; b2++) {
            const k = (3 * (i - 1) + a) * n3 + 3 * (j - 1) + b2;
            phi[2 * k] = row[2 * b2];
            phi[2 * k + 1] = row[2 * b2 + 1];
          }
        }
      }
      qpoints.push({ q, phiRy: phi, line: qNo });
    } else if (/dielectric\s+tensor/i.test(l)) {
      li++;
      nextNonBlank();
      dielectric = { ...(dielectric ?? {}), epsilon: matrix3('dielectric tensor row') };
    } else if (/effective\s+charges\s+e-u/i.test(l)) {
      li++;
      const zeu = perAtomTensors('effective charges E-U');
      dielectric = { epsilon: dielectric?.epsilon ?? new Float64Array(9), ...dielectric, zeu };
    } else if (/effective\s+charges\s+u-e/i.test(l)) {
      li++;
      const zue = perAtomTensors('effective charges U-E');
      dielectric = { epsilon: dielectric?.epsilon ?? new Float64Array(9), ...dielectric, zue };
    } else if (/diagonalizing\s+the\s+dynamical\s+matrix/i.test(l)) {
      li++;
      nextNonBlank();
      const qLine = get('"q = ( … )" of the diagonalisation section');
      const q = parseQ(qLine, li);
      nextNonBlank();
      const star = get('a line of "*"');
      if (!/^\s*\*+\s*$/.test(star)) fail(li, `expected a line of "*", got ${quoteLine(star)}`);
      const thz: number[] = [];
      const cm: number[] = [];
      const patterns: Float64Array[] = [];
      for (let v = 0; v < n3; v++) {
        nextNonBlank();
        const fl = get(`frequency line of mode ${v + 1}`);
        const m = /(?:freq|omega)\s*\(\s*(\d+)\s*\)\s*=\s*(\S+)\s*\[THz\]\s*=\s*(\S+)\s*\[cm-1\]/i.exec(fl);
        if (!m) fail(li, `expected "freq (${v + 1}) = … [THz] = … [cm-1]", got ${quoteLine(fl)}`);
        if (Number(m![1]) !== v + 1) fail(li, `mode ${m![1]} out of order (expected ${v + 1})`);
        const f1 = parseReal(m![2]);
        const f2 = parseReal(m![3]);
        if (Number.isNaN(f1) || Number.isNaN(f2)) fail(li, `frequencies are not numbers in ${quoteLine(fl)}`);
        thz.push(f1);
        cm.push(f2);
        const pat = new Float64Array(6 * nat);
        for (let a = 0; a < nat; a++) {
          const pl = get(`displacement of atom ${a + 1} in mode ${v + 1}`);
          const mm = /^\s*\((.*)\)\s*$/.exec(pl);
          const vals = mm ? (mm[1].match(FLOAT_RE) ?? []).map(parseReal) : [];
          if (!mm || vals.length !== 6) fail(li, `expected "( 6 numbers )" (displacement of atom ${a + 1}), got ${quoteLine(pl)}`);
          pat.set(vals, 6 * a);
        }
        patterns.push(pat);
      }
      nextNonBlank();
      if (li < lines.length && /^\s*\*+\s*$/.test(lines[li])) li++;
      modes = { q, thz, cm, patterns, line: no };
    } else {
      fail(no, `unexpected line ${quoteLine(l)} (expected "Dynamical Matrix in cartesian axes", the dielectric section or "Diagonalizing the dynamical matrix")`);
    }
  }
  if (qpoints.length === 0) fail(undefined, 'no "Dynamical Matrix in cartesian axes" block in the file');
  return { fileName, title, ntyp, nat, ibrav, celldm, lattice, types, atomTypes, positions, qpoints, dielectric, modes };
}

/** Parse the index file PREFIX0. */
export function parseQeDynIndex(text: string, fileName = 'dyn0'): QeDynIndex {
  const lines = splitLines(text);
  const fail: ParseFail = parseFailer(fileName);
  if (lines.length === 0) fail(undefined, 'file is empty');
  const g = lines[0].trim().split(/\s+/).map(parseInteger);
  if (g.length !== 3 || g.some((x) => !(x >= 1))) fail(1, `expected the grid "n1 n2 n3" (positive integers), got ${quoteLine(lines[0])}`);
  const nq = parseInteger((lines[1] ?? '').trim());
  if (!(nq >= 1)) fail(2, `expected the number of irreducible q points, got ${quoteLine(lines[1] ?? '')}`);
  const qpoints: Float64Array[] = [];
  for (let k = 0; k < nq; k++) {
    const l = lines[2 + k];
    if (l === undefined) fail(3 + k, `unexpected end of file: expected q point ${k + 1} of ${nq}`);
    const v = l.trim().split(/\s+/).map(parseReal);
    if (v.length < 3 || v.slice(0, 3).some(Number.isNaN)) fail(3 + k, `expected 3 numbers (q point ${k + 1}), got ${quoteLine(l)}`);
    qpoints.push(Float64Array.from(v.slice(0, 3)));
  }
  return { grid: [g[0], g[1], g[2]], qpoints };
}

/** Reciprocal vectors (rows) without 2π of a lattice given by rows: b_i · a_j = δ_ij. */
function reciprocalRows(lattice: ArrayLike<number>): Float64Array {
  const inv = inv3(Array.from(lattice));
  // (A⁻¹)ᵀ rows = columns of A⁻¹.
  return Float64Array.of(inv[0], inv[3], inv[6], inv[1], inv[4], inv[7], inv[2], inv[5], inv[8]);
}

/** Grid coordinates of q (Cartesian, units of the lattice's reciprocal), or undefined if off-grid. */
function gridCoordinates(q: ArrayLike<number>, lattice: ArrayLike<number>, grid: readonly number[], tol = 1e-4): [number, number, number] | undefined {
  const m: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const f = (q[0] * lattice[3 * k] + q[1] * lattice[3 * k + 1] + q[2] * lattice[3 * k + 2]) * grid[k];
    const r = Math.round(f);
    if (Math.abs(f - r) > tol) return undefined;
    m[k] = ((r % grid[k]) + grid[k]) % grid[k];
  }
  return m;
}

/** Build the toolkit Structure of a parsed file (Å, amu). */
function structureOfFile(f: QeDynFile): Structure {
  const s = f.celldm[0] * BOHR_TO_ANGSTROM;
  const cell = f.lattice.map((x) => x * s);
  const cart = f.positions.map((x) => x * s);
  const species: string[] = [];
  const masses: number[] = [];
  const labels: string[] = [];
  let anyLabel = false;
  for (let a = 0; a < f.nat; a++) {
    const t = f.types[f.atomTypes[a]];
    const el = elementOfLabel(t.label)!;
    species.push(el);
    masses.push(t.massRy / AMU_TO_RY_MASS);
    labels.push(t.label);
    if (t.label !== el) anyLabel = true;
  }
  return new Structure({ cell, species, cartesian: cart, masses, labels: anyLabel ? labels : undefined });
}

export interface DynFileText {
  name: string;
  text: string;
}

/**
 * Read a set: the index file and the nqirr files PREFIX1 … (in order). Checks that every file
 * describes the same crystal and that every q lies on the grid; converts to eV/Å², amu, Å.
 */
export function readQeDynSet(index: DynFileText, files: DynFileText[]): QeDynSet {
  const idx = parseQeDynIndex(index.text, index.name);
  if (files.length !== idx.qpoints.length)
    throw new ParseError(index.name, 2, `the index lists ${idx.qpoints.length} irreducible q points but ${files.length} files were given`);
  const parsed = files.map((f) => parseQeDynFile(f.text, f.name));
  const first = parsed[0];
  const structure = structureOfFile(first);
  const grid = idx.grid;
  for (const f of parsed.slice(1)) {
    const fail = (reason: string): never => {
      throw new ParseError(f.fileName, 3, `${reason} differs from ${first.fileName}`);
    };
    if (f.nat !== first.nat || f.ntyp !== first.ntyp) fail('the number of atoms or species');
    if (f.ibrav !== first.ibrav) fail('ibrav');
    if (f.celldm.some((x, k) => Math.abs(x - first.celldm[k]) > 1e-6 * Math.max(1, Math.abs(x)))) fail('celldm');
    if (f.lattice.some((x, k) => Math.abs(x - first.lattice[k]) > 1e-6)) fail('the lattice');
    if (f.types.some((t, k) => t.label !== first.types[k].label || Math.abs(t.massRy - first.types[k].massRy) > 1e-6 * t.massRy)) fail('a species or mass');
    if (f.atomTypes.some((t, k) => t !== first.atomTypes[k]) || f.positions.some((x, k) => Math.abs(x - first.positions[k]) > 1e-6))
      fail('an atom position or species');
  }
  const stars: DynStar[] = [];
  parsed.forEach((f, k) => {
    const points: DynQPoint[] = f.qpoints.map((qp) => {
      const m = gridCoordinates(qp.q, first.lattice, grid);
      if (!m)
        throw new ParseError(f.fileName, qp.line, `q = (${Array.from(qp.q).join(', ')}) is not on the ${grid.join('×')} grid of ${index.name}`);
      return { q: qp.q, m, phi: qp.phiRy.map((x) => x * RY_BOHR2_TO_EV_A2) };
    });
    const iq = idx.qpoints[k];
    const mi = gridCoordinates(iq, first.lattice, grid);
    if (!mi) throw new ParseError(index.name, 3 + k, `q point ${k + 1} is not on the ${grid.join('×')} grid`);
    if (!points.some((p) => p.m.every((x, c) => x === mi[c])))
      throw new ParseError(f.fileName, undefined, `does not contain q point ${k + 1} of ${index.name} (${Array.from(iq).join(', ')}): files out of order?`);
    stars.push({ points, file: f.fileName, printed: f.modes });
  });
  const dielectric = parsed.find((f) => f.dielectric)?.dielectric;
  return { structure, alat: first.celldm[0], ibrav: first.ibrav, celldm: [...first.celldm], grid: [...grid], stars, title: first.title, dielectric };
}

// ------------------------------------------------------------------------------------------------
// Grid, Fourier transforms, real space.

/** Linear index of grid point m: (m1·n2 + m2)·n3 + m3. */
export function gridIndex(m: readonly number[], grid: readonly number[]): number {
  return (m[0] * grid[1] + m[1]) * grid[2] + m[2];
}

/**
 * Φ(q) at every grid point (index gridIndex(m)), from the stars of a set. A point missing from the
 * files is taken from its time-reversed partner, Φ(−q) = Φ(q)*; a point missing with its partner is
 * an error naming the first file. Where a point appears more than once, the first occurrence is used.
 */
export function gridPhi(set: QeDynSet): Float64Array[] {
  const [n1, n2, n3] = set.grid;
  const N = n1 * n2 * n3;
  const out: (Float64Array | undefined)[] = new Array(N).fill(undefined);
  for (const s of set.stars) for (const p of s.points) out[gridIndex(p.m, set.grid)] ??= p.phi;
  const missing: string[] = [];
  for (let m1 = 0; m1 < n1; m1++)
    for (let m2 = 0; m2 < n2; m2++)
      for (let m3 = 0; m3 < n3; m3++) {
        const k = gridIndex([m1, m2, m3], set.grid);
        if (out[k]) continue;
        const partner = out[gridIndex([(n1 - m1) % n1, (n2 - m2) % n2, (n3 - m3) % n3], set.grid)];
        if (partner) {
          const c = partner.slice();
          for (let i = 1; i < c.length; i += 2) c[i] = -c[i];
          out[k] = c;
        } else missing.push(`(${m1}/${n1}, ${m2}/${n2}, ${m3}/${n3})`);
      }
  if (missing.length > 0)
    throw new ParseError(set.stars[0]?.file ?? 'dyn', undefined, `the set does not cover the ${set.grid.join('×')} grid: missing q (reduced) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  return out as Float64Array[];
}

export interface RealSpaceResult {
  fc: ForceConstants;
  /** max |Im Φ(κ,0;κ',L)| (eV/Å²) dropped by the transform: nonzero when the input violates Φ(−q) = Φ(q)*. */
  maxImaginary: number;
}

/**
 * Real-space force constants Φ(κ,0;κ',L) = (1/N) Σ_q Φ(q) exp(−2πi q·R_L) (physics.md 4.1) on the
 * supercell diag(n1, n2, n3) of the set's grid.
 */
export function dynSetToRealSpace(set: QeDynSet): RealSpaceResult {
  const phis = gridPhi(set);
  const [n1, n2, n3] = set.grid;
  const fc = new ForceConstants(set.structure, set.grid);
  const n = set.structure.natoms;
  const n3n = 3 * n;
  const N = fc.ncells;
  const cells = fc.cells;
  let maxIm = 0;
  for (let c = 0; c < N; c++) {
    const l = [cells[3 * c], cells[3 * c + 1], cells[3 * c + 2]];
    const acc = new Float64Array(2 * n3n * n3n);
    for (let m1 = 0; m1 < n1; m1++)
      for (let m2 = 0; m2 < n2; m2++)
        for (let m3 = 0; m3 < n3; m3++) {
          const turns = -((m1 * l[0]) / n1 + (m2 * l[1]) / n2 + (m3 * l[2]) / n3); // phase / 2π
          const cr = cos2pi(turns);
          const ci = sin2pi(turns);
          const p = phis[gridIndex([m1, m2, m3], set.grid)];
          for (let k = 0; k < n3n * n3n; k++) {
            const re = p[2 * k];
            const im = p[2 * k + 1];
            acc[2 * k] += re * cr - im * ci;
            acc[2 * k + 1] += re * ci + im * cr;
          }
        }
    for (let r = 0; r < n3n; r++)
      for (let col = 0; col < n3n; col++) {
        const k = r * n3n + col;
        const kap = Math.floor(r / 3);
        const kap2 = Math.floor(col / 3);
        fc.blocks[fc.index(kap, r % 3, kap2, c, col % 3)] = acc[2 * k] / N;
        maxIm = Math.max(maxIm, Math.abs(acc[2 * k + 1] / N));
      }
  }
  return { fc, maxImaginary: maxIm };
}

/**
 * Φ(q) = Σ_L Φ(κ,0;κ',L) exp(+2πi q·R_L) (physics.md 4.1) at the commensurate q with grid
 * coordinates m (q = Σ_k (m_k/n_k) b_k), 3n × 3n interleaved complex, eV/Å².
 */
export function phiAtGridPoint(fc: ForceConstants, m: readonly number[]): Float64Array {
  const [n1, n2, n3] = fc.grid;
  const n = fc.nat;
  const n3n = 3 * n;
  const out = new Float64Array(2 * n3n * n3n);
  const cells = fc.cells;
  for (let c = 0; c < fc.ncells; c++) {
    const turns = (m[0] * cells[3 * c]) / n1 + (m[1] * cells[3 * c + 1]) / n2 + (m[2] * cells[3 * c + 2]) / n3; // phase / 2π
    const cr = cos2pi(turns);
    const ci = sin2pi(turns);
    for (let r = 0; r < n3n; r++)
      for (let col = 0; col < n3n; col++) {
        const v = fc.blocks[fc.index(Math.floor(r / 3), r % 3, Math.floor(col / 3), c, col % 3)];
        const k = r * n3n + col;
        out[2 * k] += v * cr;
        out[2 * k + 1] += v * ci;
      }
  }
  return out;
}

export interface DynSetOptions {
  /**
   * File layout: a list of stars, each a list of grid points (m, and optionally the Cartesian q in
   * 2π/alat to print). Default: one file per pair {q, −q} (q alone when q ≡ −q), in grid order.
   * Give the stars of a set read from files to write the same layout back.
   */
  stars?: { m: readonly number[]; q?: ArrayLike<number> }[][];
  /** alat in bohr (default: the length of a₁). Ignored when `ibrav`/`celldm` are given. */
  alat?: number;
  /** pw.x lattice description to write; used only if it reproduces the structure's cell. */
  ibrav?: number;
  celldm?: number[];
  title?: string;
  dielectric?: DynDielectric;
}

/** Cartesian q (2π/alat) of grid point m, choosing the representative m_k in (−n_k/2, n_k/2]. */
function qOfGridPoint(m: readonly number[], grid: readonly number[], latticeAlat: ArrayLike<number>): Float64Array {
  const b = reciprocalRows(latticeAlat);
  const q = new Float64Array(3);
  for (let k = 0; k < 3; k++) {
    let mk = m[k] % grid[k];
    if (2 * mk > grid[k]) mk -= grid[k];
    for (let c = 0; c < 3; c++) q[c] += (mk / grid[k]) * b[3 * k + c];
  }
  return q;
}

/** Build a set (Φ(q) on the grid of the supercell) from real-space force constants. */
export function dynSetFromRealSpace(fc: ForceConstants, options: DynSetOptions = {}): QeDynSet {
  const s = fc.primitive;
  const grid = fc.grid;
  const cellBohr = s.cell.map((x) => x / BOHR_TO_ANGSTROM);
  let ibrav = 0;
  let alat = options.alat ?? hypot3(cellBohr[0], cellBohr[1], cellBohr[2]);
  let celldm = [alat, 0, 0, 0, 0, 0];
  if (options.ibrav !== undefined && options.ibrav !== 0 && options.celldm) {
    try {
      const lat = ibravLattice(options.ibrav, options.celldm);
      const a = options.celldm[0];
      if (lat.every((x, k) => Math.abs(x * a - cellBohr[k]) <= 1e-8 * a)) {
        ibrav = options.ibrav;
        alat = a;
        celldm = [...options.celldm];
      }
    } catch {
      // fall back to ibrav 0
    }
  } else if (options.ibrav === 0 && options.celldm) {
    alat = options.celldm[0];
    celldm = [alat, 0, 0, 0, 0, 0];
  }
  const latticeAlat = cellBohr.map((x) => x / alat);
  let layout = options.stars;
  if (!layout) {
    layout = [];
    const done = new Set<number>();
    for (let m1 = 0; m1 < grid[0]; m1++)
      for (let m2 = 0; m2 < grid[1]; m2++)
        for (let m3 = 0; m3 < grid[2]; m3++) {
          const k = gridIndex([m1, m2, m3], grid);
          if (done.has(k)) continue;
          const mm = [(grid[0] - m1) % grid[0], (grid[1] - m2) % grid[1], (grid[2] - m3) % grid[2]];
          const km = gridIndex(mm, grid);
          done.add(k);
          const star = [{ m: [m1, m2, m3] }];
          if (km !== k) {
            done.add(km);
            star.push({ m: mm });
          }
          layout.push(star);
        }
  }
  const covered = new Set<number>();
  const stars: DynStar[] = layout.map((st) => ({
    points: st.map((p) => {
      const m: [number, number, number] = [0, 1, 2].map((k) => ((Math.round(p.m[k]) % grid[k]) + grid[k]) % grid[k]) as [number, number, number];
      covered.add(gridIndex(m, grid));
      return { q: p.q ? Float64Array.from(p.q) : qOfGridPoint(m, grid, latticeAlat), m, phi: phiAtGridPoint(fc, m) };
    }),
  }));
  for (let k = 0; k < fc.ncells; k++) {
    const m = [Math.floor(k / (grid[1] * grid[2])), Math.floor(k / grid[2]) % grid[1], k % grid[2]];
    const km = gridIndex(m.map((x, c) => (grid[c] - x) % grid[c]), grid);
    if (!covered.has(k) && !covered.has(km)) throw new Error(`star layout does not cover grid point (${m.join(', ')}) or its opposite`);
  }
  return { structure: s, alat, ibrav, celldm, grid, stars, title: options.title ?? '', dielectric: options.dielectric };
}

// ------------------------------------------------------------------------------------------------
// Modes.

export interface DynModes {
  /** Eigenvalues of D = M^{-1/2} Φ M^{-1/2} (τ⁻²), ascending. */
  omega2: Float64Array;
  /** Signed frequencies (negative for ω² < 0), THz and cm⁻¹. */
  thz: Float64Array;
  cm: Float64Array;
  /** Eigenvectors of D as columns (interleaved complex, 3n × 3n row-major), orthonormal. */
  vectors: Float64Array;
  /** Per mode, the displacement pattern e/√M normalised to 1: 3n complex numbers interleaved. */
  patterns: Float64Array[];
}

/** Diagonalise D(q) = M^{-1/2} Φ(q) M^{-1/2} (Φ in eV/Å², masses in amu per atom). */
export function dynModes(kernels: Kernels, phi: ArrayLike<number>, masses: ArrayLike<number>): DynModes {
  const n = masses.length;
  const n3 = 3 * n;
  if (phi.length !== 2 * n3 * n3) throw new Error(`dynModes: Φ(q) needs ${2 * n3 * n3} numbers for ${n} atoms, got ${phi.length}`);
  const d = new Float64Array(2 * n3 * n3);
  for (let i = 0; i < n3; i++)
    for (let j = 0; j < n3; j++) {
      const k = i * n3 + j;
      const f = 1 / Math.sqrt(masses[Math.floor(i / 3)] * masses[Math.floor(j / 3)]);
      // Hermitian part (the kernel reads the lower triangle only).
      const kt = j * n3 + i;
      d[2 * k] = 0.5 * (phi[2 * k] + phi[2 * kt]) * f;
      d[2 * k + 1] = 0.5 * (phi[2 * k + 1] - phi[2 * kt + 1]) * f;
    }
  const eig = eighHermitian(kernels, d, n3);
  const thz = new Float64Array(n3);
  const cm = new Float64Array(n3);
  const patterns: Float64Array[] = [];
  for (let v = 0; v < n3; v++) {
    const w2 = eig.values[v];
    const w = Math.sign(w2) * Math.sqrt(Math.abs(w2));
    thz[v] = w * TAU_INV_TO_THZ;
    cm[v] = w * TAU_INV_TO_CM;
    const p = new Float64Array(2 * n3);
    let norm = 0;
    for (let i = 0; i < n3; i++) {
      const s = 1 / Math.sqrt(masses[Math.floor(i / 3)]);
      p[2 * i] = eig.vectors[2 * (i * n3 + v)] * s;
      p[2 * i + 1] = eig.vectors[2 * (i * n3 + v) + 1] * s;
      norm += p[2 * i] ** 2 + p[2 * i + 1] ** 2;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < 2 * n3; i++) p[i] *= inv;
    patterns.push(p);
  }
  return { omega2: eig.values, thz, cm, vectors: eig.vectors, patterns };
}

// ------------------------------------------------------------------------------------------------
// Writing.

/** Fortran-style E format with `d` decimals and a two-digit exponent: " 1.23450000E-01". */
function fmtE(x: number, d: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot write non-finite number ${x}`);
  if (x === 0) x = 0; // no "-0"
  const [mant, exp] = x.toExponential(d).split('e');
  const e = Number(exp);
  return `${mant}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function fmtF(x: number, w: number, d: number): string {
  let s = x.toFixed(d);
  if (/^-0\.0*$/.test(s)) s = s.slice(1);
  return s.padStart(w);
}

/** Species types of a structure for the file: (label, mass) in order of first appearance. */
function typesOf(s: Structure): { labels: string[]; massesRy: number[]; atomType: number[] } {
  const labels: string[] = [];
  const massesRy: number[] = [];
  const atomType: number[] = [];
  for (let a = 0; a < s.natoms; a++) {
    const label = s.labels?.[a] && elementOfLabel(s.labels[a]) ? s.labels[a] : s.species[a];
    const m = s.masses[a] * AMU_TO_RY_MASS;
    let t = labels.findIndex((l, k) => l === label && massesRy[k] === m);
    if (t < 0) {
      t = labels.length;
      labels.push(label);
      massesRy.push(m);
    }
    atomType.push(t);
  }
  return { labels, massesRy, atomType };
}

/** Text of one file PREFIXk for a star. Needs the kernels for the diagonalisation section. */
export function writeQeDynFile(set: QeDynSet, star: DynStar, kernels: Kernels): string {
  const s = set.structure;
  const nat = s.natoms;
  const n3 = 3 * nat;
  const alatA = set.alat * BOHR_TO_ANGSTROM;
  const { labels, massesRy, atomType } = typesOf(s);
  const out: string[] = [];
  out.push('Dynamical matrix file');
  out.push(set.title.replace(/[\r\n]/g, ' '));
  const celldm = set.ibrav === 0 ? [set.alat, 0, 0, 0, 0, 0] : set.celldm;
  out.push(`${String(labels.length).padStart(3)}${String(nat).padStart(5)}${String(set.ibrav).padStart(4)} ${celldm.map((x) => formatReal(x)).join(' ')}`);
  if (set.ibrav === 0) {
    out.push('Basis vectors');
    for (let r = 0; r < 3; r++) out.push([0, 1, 2].map((c) => fmtF(s.cell[3 * r + c] / alatA, 24, 16)).join(''));
  }
  labels.forEach((l, t) => out.push(`${String(t + 1).padStart(12)}  '${l.padEnd(4)}'    ${formatReal(massesRy[t])}`));
  const cart = s.cartesian();
  for (let a = 0; a < nat; a++)
    out.push(`${String(a + 1).padStart(5)}${String(atomType[a] + 1).padStart(5)}${[0, 1, 2].map((c) => fmtF(cart[3 * a + c] / alatA, 24, 16)).join('')}`);
  const qLine = (q: ArrayLike<number>) => `     q = ( ${[0, 1, 2].map((c) => fmtF(q[c], 14, 9)).join('')} ) `;
  for (const p of star.points) {
    out.push('');
    out.push('     Dynamical  Matrix in cartesian axes');
    out.push('');
    out.push(qLine(p.q));
    out.push('');
    for (let i = 0; i < nat; i++)
      for (let j = 0; j < nat; j++) {
        out.push(`${String(i + 1).padStart(5)}${String(j + 1).padStart(5)}`);
        for (let a = 0; a < 3; a++) {
          const parts: string[] = [];
          for (let b = 0; b < 3; b++) {
            const k = (3 * i + a) * n3 + 3 * j + b;
            parts.push(`${fmtE(p.phi[2 * k] / RY_BOHR2_TO_EV_A2, 15).padStart(23)}${fmtE(p.phi[2 * k + 1] / RY_BOHR2_TO_EV_A2, 15).padStart(23)}`);
          }
          out.push(parts.join('  '));
        }
      }
  }
  const isGamma = star.points.some((p) => p.m.every((x) => x === 0));
  if (isGamma && set.dielectric) {
    const d = set.dielectric;
    const row = (v: ArrayLike<number>, o: number) => [0, 1, 2].map((c) => fmtF(v[o + c], 24, 12)).join('');
    out.push('');
    out.push('     Dielectric Tensor:');
    out.push('');
    for (let r = 0; r < 3; r++) out.push(row(d.epsilon, 3 * r));
    for (const [name, z] of [['Effective Charges E-U: Z_{alpha}{s,beta}', d.zeu], ['Effective Charges U-E: Z_{s,alpha}{beta}', d.zue]] as const) {
      if (!z) continue;
      out.push('');
      out.push(`     ${name}`);
      out.push('');
      for (let a = 0; a < nat; a++) {
        out.push(`     atom # ${String(a + 1).padStart(4)}`);
        for (let r = 0; r < 3; r++) out.push(row(z, 9 * a + 3 * r));
      }
    }
  }
  // Diagonalisation of the first q of the star.
  const p0 = star.points[0];
  const modes = dynModes(kernels, p0.phi, s.masses);
  out.push('');
  out.push('     Diagonalizing the dynamical matrix');
  out.push('');
  out.push(qLine(p0.q));
  out.push('');
  out.push(' ' + '*'.repeat(74));
  for (let v = 0; v < n3; v++) {
    out.push(`     freq (${String(v + 1).padStart(5)}) =${fmtF(modes.thz[v], 15, 6)} [THz] =${fmtF(modes.cm[v], 15, 6)} [cm-1]`);
    const pat = modes.patterns[v];
    for (let a = 0; a < nat; a++) out.push(` (${Array.from(pat.subarray(6 * a, 6 * a + 6), (x) => fmtF(x, 10, 6)).join('')} ) `);
  }
  out.push(' ' + '*'.repeat(74));
  return out.join('\n') + '\n';
}

/** Text of the index file PREFIX0. */
export function writeQeDynIndex(set: QeDynSet): string {
  const out: string[] = [];
  out.push(set.grid.map((n) => String(n).padStart(4)).join(''));
  out.push(String(set.stars.length).padStart(4));
  for (const st of set.stars) out.push(Array.from(st.points[0].q, (x) => fmtE(x, 15).padStart(24)).join(''));
  return out.join('\n') + '\n';
}

/** All texts of a set: `index` (PREFIX0) and `files[k]` (PREFIX(k+1)). */
export function writeQeDynSet(set: QeDynSet, kernels: Kernels): { index: string; files: string[] } {
  return { index: writeQeDynIndex(set), files: set.stars.map((st) => writeQeDynFile(set, st, kernels)) };
}
