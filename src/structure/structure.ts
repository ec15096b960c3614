// The structure model: a periodic cell (rows = lattice vectors, Å), one chemical element per atom,
// fractional positions, and masses in amu (standard atomic weights unless overridden, e.g. by
// isotopes such as D). Immutable by convention: operations return new structures.
import { elementMass, isElement } from './elements.js';
import { det3, inv3, type Mat3, vecMul3 } from './mat3.js';
import { acos, cosDeg, hypot3, sinDeg } from '../numeric/detmath.js';

/** Isotope labels accepted wherever a species is read: label → (element, mass in amu). */
export const ISOTOPES: Record<string, { element: string; mass: number }> = {
  D: { element: 'H', mass: 2.014101778 },
  T: { element: 'H', mass: 3.01604928 },
};

export class StructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructureError';
  }
}

export interface StructureInit {
  /** 9 numbers, rows = lattice vectors a1, a2, a3 (Å). */
  cell: Mat3;
  /** Element symbol per atom (isotope labels such as "D" are accepted and mapped to the element). */
  species: string[];
  /** Fractional coordinates, 3 per atom. Give either `frac` or `cartesian`. */
  frac?: ArrayLike<number>;
  /** Cartesian coordinates (Å), 3 per atom. */
  cartesian?: ArrayLike<number>;
  /** Masses (amu) per atom; defaults to standard atomic weights (or the isotope's mass). */
  masses?: ArrayLike<number>;
  /** Optional per-atom labels (kept through I/O where the format allows). */
  labels?: string[];
}

export class Structure {
  readonly cell: Float64Array;
  readonly species: readonly string[];
  readonly frac: Float64Array;
  readonly masses: Float64Array;
  readonly labels: readonly string[] | undefined;

  constructor(init: StructureInit) {
    const cell = Float64Array.from(init.cell as ArrayLike<number>);
    if (cell.length !== 9) throw new StructureError(`cell must have 9 numbers, got ${cell.length}`);
    if (!cell.every(Number.isFinite)) throw new StructureError('cell contains NaN or Inf');
    const vol = det3(cell);
    if (!(Math.abs(vol) > 1e-8)) throw new StructureError(`cell is degenerate (volume ${vol} Å³)`);
    const n = init.species.length;
    if (n === 0) throw new StructureError('structure has no atoms');
    const species: string[] = [];
    const masses = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = init.species[i];
      const iso = ISOTOPES[s];
      if (iso) {
        species.push(iso.element);
        masses[i] = iso.mass;
      } else if (isElement(s)) {
        species.push(s);
        masses[i] = elementMass(s);
      } else {
        throw new StructureError(`unknown species "${s}" (atom ${i + 1})`);
      }
    }
    if (init.masses) {
      if (init.masses.length !== n) throw new StructureError(`masses: expected ${n} values, got ${init.masses.length}`);
      for (let i = 0; i < n; i++) {
        const m = init.masses[i];
        if (!(m > 0) || !Number.isFinite(m)) throw new StructureError(`mass of atom ${i + 1} must be positive, got ${m}`);
        masses[i] = m;
      }
    }
    let frac: Float64Array;
    if (init.frac) {
      frac = Float64Array.from(init.frac);
    } else if (init.cartesian) {
      const inv = inv3(cell);
      frac = new Float64Array(3 * n);
      for (let i = 0; i < n; i++) vecMul3(init.cartesian, inv, frac, 3 * i, 3 * i);
    } else {
      throw new StructureError('positions missing: give frac or cartesian');
    }
    if (frac.length !== 3 * n) throw new StructureError(`positions: expected ${3 * n} numbers for ${n} atoms, got ${frac.length}`);
    if (!frac.every(Number.isFinite)) throw new StructureError('positions contain NaN or Inf');
    if (init.labels && init.labels.length !== n) throw new StructureError(`labels: expected ${n}, got ${init.labels.length}`);
    this.cell = cell;
    this.species = species;
    this.frac = frac;
    this.masses = masses;
    this.labels = init.labels ? [...init.labels] : undefined;
  }

  get natoms(): number {
    return this.species.length;
  }

  /** Cell volume (Å³), positive for a right-handed cell. */
  get volume(): number {
    return Math.abs(det3(this.cell));
  }

  /** Cartesian positions (Å), 3 per atom. */
  cartesian(): Float64Array {
    const out = new Float64Array(3 * this.natoms);
    for (let i = 0; i < this.natoms; i++) vecMul3(this.frac, this.cell, out, 3 * i, 3 * i);
    return out;
  }

  /** Lattice parameters a, b, c (Å) and α, β, γ (degrees). */
  lattice(): { a: number; b: number; c: number; alpha: number; beta: number; gamma: number } {
    const c = this.cell;
    const len = (i: number) => hypot3(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
    const dot = (i: number, j: number) => c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2];
    const a = len(0), b = len(1), cc = len(2);
    const ang = (i: number, j: number, li: number, lj: number) => (acos(Math.max(-1, Math.min(1, dot(i, j) / (li * lj)))) * 180) / Math.PI;
    return { a, b, c: cc, alpha: ang(1, 2, b, cc), beta: ang(0, 2, a, cc), gamma: ang(0, 1, a, b) };
  }

  /** Chemical formula in order of first appearance, e.g. "H3S" → counts per element. */
  composition(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.species) m.set(s, (m.get(s) ?? 0) + 1);
    return m;
  }

  /** Chemical formula of the cell in order of first appearance, e.g. "SH3", "Si2". */
  formula(): string {
    let f = '';
    for (const [el, n] of this.composition()) f += n > 1 ? `${el}${n}` : el;
    return f;
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<StructureInit>): Structure {
    const base: StructureInit = {
      cell: this.cell,
      species: [...this.species],
      frac: this.frac,
      masses: this.masses,
      labels: this.labels ? [...this.labels] : undefined,
    };
    const next = { ...base, ...changes };
    if (changes.cartesian) delete next.frac;
    return new Structure(next);
  }

  /** Fractional coordinates wrapped into [0, 1). */
  wrapped(): Structure {
    const f = this.frac.map((x) => {
      const y = x - Math.floor(x);
      return y >= 1 ? 0 : y;
    });
    return this.with({ frac: f });
  }
}

// ------------------------------------------------------------------------------------------------
// Cell parameters and overlap checks.

/** cos and sin of an angle in degrees, exact for the multiples of 30° and 45° that crystallography uses. */
function cosSinDeg(deg: number): [number, number] {
  const exact: Record<number, [number, number]> = {
    90: [0, 1],
    60: [0.5, Math.sqrt(3) / 2],
    120: [-0.5, Math.sqrt(3) / 2],
    30: [Math.sqrt(3) / 2, 0.5],
    150: [-Math.sqrt(3) / 2, 0.5],
    45: [Math.SQRT1_2, Math.SQRT1_2],
    135: [-Math.SQRT1_2, Math.SQRT1_2],
  };
  if (exact[deg]) return exact[deg];
  return [cosDeg(deg), sinDeg(deg)];
}

/**
 * Cell matrix (rows = lattice vectors, Å) from lattice parameters a, b, c (Å) and α, β, γ (degrees)
 * in the standard orientation: a₁ along x, a₂ in the xy plane, a₃ with positive z.
 */
export function cellFromParameters(a: number, b: number, c: number, alpha: number, beta: number, gamma: number): Float64Array {
  for (const [name, v] of [['a', a], ['b', b], ['c', c]] as const)
    if (!(v > 0) || !Number.isFinite(v)) throw new StructureError(`cell length ${name} must be positive, got ${v}`);
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['gamma', gamma]] as const)
    if (!(v > 0 && v < 180)) throw new StructureError(`cell angle ${name} must be in (0, 180) degrees, got ${v}`);
  const [ca, ] = cosSinDeg(alpha);
  const [cb, ] = cosSinDeg(beta);
  const [cg, sg] = cosSinDeg(gamma);
  const cy = (ca - cb * cg) / sg;
  const cz2 = 1 - cb * cb - cy * cy;
  if (!(cz2 > 1e-12)) throw new StructureError(`cell angles α=${alpha}°, β=${beta}°, γ=${gamma}° do not form a cell`);
  return Float64Array.of(a, 0, 0, b * cg, b * sg, 0, c * cb, c * cy, c * Math.sqrt(cz2));
}

export interface Overlap {
  /** 0-based atom indices, i ≤ j (i = j: an atom too close to its own periodic image). */
  i: number;
  j: number;
  /** Shortest distance (Å) between atom i and any periodic image of atom j. */
  distance: number;
  /** Lattice translation n (integers) of atom j's image: x_j + n·cell − x_i is the shortest vector. */
  image: [number, number, number];
}

export interface StructureCheck {
  ok: boolean;
  overlaps: Overlap[];
  /** Human-readable lines, one per overlap, with 1-based atom numbers. */
  messages: string[];
}

/**
 * Find pairs of atoms closer than `minDistance` (Å), periodic images included. O(N²) over pairs; for each
 * pair the fractional difference is wrapped into [−½, ½) and every lattice image that can lie within
 * `minDistance` is tried (the search range follows from the cell's plane spacings, so it is exact for
 * skewed cells too).
 */
export function checkStructure(s: Structure, minDistance = 0.5): StructureCheck {
  const c = s.cell;
  const vol = Math.abs(det3(c));
  // Plane spacing h_k = V / |a_i × a_j|.
  const cross = (i: number, j: number) => {
    const x = c[3 * i + 1] * c[3 * j + 2] - c[3 * i + 2] * c[3 * j + 1];
    const y = c[3 * i + 2] * c[3 * j] - c[3 * i] * c[3 * j + 2];
    const z = c[3 * i] * c[3 * j + 1] - c[3 * i + 1] * c[3 * j];
    return hypot3(x, y, z);
  };
  const h = [vol / cross(1, 2), vol / cross(2, 0), vol / cross(0, 1)];
  const range = h.map((hk) => Math.ceil(0.5 + minDistance / hk));
  const n = s.natoms;
  const f = s.frac;
  const overlaps: Overlap[] = [];
  const d = [0, 0, 0];
  const v = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const shift = [0, 0, 0];
      for (let k = 0; k < 3; k++) {
        const t = f[3 * j + k] - f[3 * i + k];
        shift[k] = -Math.round(t);
        d[k] = t + shift[k];
      }
      let best = Infinity;
      let bestImg: [number, number, number] = [0, 0, 0];
      for (let n1 = -range[0]; n1 <= range[0]; n1++)
        for (let n2 = -range[1]; n2 <= range[1]; n2++)
          for (let n3 = -range[2]; n3 <= range[2]; n3++) {
            if (i === j && n1 === 0 && n2 === 0 && n3 === 0) continue;
            vecMul3([d[0] + n1, d[1] + n2, d[2] + n3], c, v);
            const r = hypot3(v[0], v[1], v[2]);
            if (r < best) {
              best = r;
              bestImg = [shift[0] + n1, shift[1] + n2, shift[2] + n3];
            }
          }
      if (best < minDistance) overlaps.push({ i, j, distance: best, image: bestImg });
    }
  }
  const messages = overlaps.map((o) =>
    o.i === o.j
      ? `atom ${o.i + 1} (${s.species[o.i]}) is ${o.distance.toFixed(4)} Å from its own periodic image [${o.image.join(' ')}]`
      : `atoms ${o.i + 1} (${s.species[o.i]}) and ${o.j + 1} (${s.species[o.j]}) are ${o.distance.toFixed(4)} Å apart` +
        (o.image.some((x) => x !== 0) ? ` (image [${o.image.join(' ')}] of atom ${o.j + 1})` : ''),
  );
  return { ok: overlaps.length === 0, overlaps, messages };
}

/** Throw a StructureError listing every overlapping pair closer than `minDistance` (Å). */
export function assertNoOverlaps(s: Structure, minDistance = 0.5): void {
  const r = checkStructure(s, minDistance);
  if (!r.ok) throw new StructureError(`atoms closer than ${minDistance} Å:\n  ${r.messages.join('\n  ')}`);
}
