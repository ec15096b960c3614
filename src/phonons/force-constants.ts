// Harmonic force constants by finite displacements reduced by symmetry (physics.md 3, 4).
//
// Plan. The space group of the unit cell (moyo) is carried to the supercell (supercellOperations:
// point operations × primitive translations). Only one atom per orbit of the unit cell is displaced
// (in the cell L = 0 of the supercell). For such an atom a with site group S_a = {g : π_g(a) = a} the
// displacement directions are chosen greedily from a fixed list of lattice directions [uvw] of the
// SUPERCELL (Cartesian direction u·A₁ + v·A₂ + w·A₃, A = rows of M·cell; the same convention as
// phonopy, so both codes displace along the same directions): at each step the candidate whose images {R_g d}
// raise the rank of the span the most is taken, until the images span 3D (one direction suffices for
// most sites of cubic and hexagonal crystals). Each direction d is used with +d, and with −d as well
// unless a site operation already maps d to −d ("auto", the default), so every force constant is a
// central difference. Amplitude 0.01 Å by default.
//
// Reconstruction. Displacing a by u gives forces F_j = −Φ_{ja} u (+ O(u²), cancelled by the ± pairs).
// A site operation g turns the pair (u, F) into (R_g u, F'_{π_g(j)} = R_g F_j). Collecting all such
// columns, Φ_{ja} = −F_j Uᵀ (U Uᵀ)⁻¹ (least squares, exact when the forces are linear). The columns of
// the other atoms follow from Φ_{π_g(j) π_g(a)} = R_g Φ_{ja} R_gᵀ with one operation g per atom. The
// result is symmetrised over the supercell group (Symmetrizer.forceConstants: Φ = Φᵀ, space group) and
// the acoustic sum rule Φ ← PΦP is applied (physics.md 3.2, 3.3).
import type { Calculator, CalcOptions } from '../calculators/calculator.js';
import { makeSupercell, type Supercell } from '../structure/supercell.js';
import type { Structure } from '../structure/structure.js';
import { analyzeSymmetry, type AnalyzeOptions, type SymmetryDataset } from '../symmetry/analyze.js';
import { cartesianRotations, supercellOperations, type OperationSet } from '../symmetry/operations.js';
import { symEig3 } from '../symmetry/linalg3.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import { ForceConstants } from './force-constants-model.js';
import { hypot, hypot3 } from '../numeric/detmath.js';

export class PhononError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhononError';
  }
}

export interface Displacement {
  /** Supercell atom displaced. */
  atom: number;
  /** Cartesian displacement (Å). */
  vector: Float64Array;
}

export interface DisplacementPlan {
  unitCell: Structure;
  supercell: Supercell;
  /** Operations and atom maps of the supercell. */
  operations: OperationSet;
  symmetry: SymmetryDataset;
  /** Displaced atoms (one per orbit of the unit cell). */
  representatives: Int32Array;
  displacements: Displacement[];
  /** The displaced supercells, in the order of `displacements`. */
  structures: Structure[];
  amplitude: number;
}

export interface DisplacementOptions {
  /** Displacement length (Å), default 0.01. */
  amplitude?: number;
  /** 'auto' (default): −d only when no site operation maps d to −d; 'always': every ±d; 'plus': +d only. */
  plusMinus?: 'auto' | 'always' | 'plus';
  /** Symmetry detection options (symprec in Å, default 1e-3). */
  symmetry?: AnalyzeOptions | number;
}

/** Lattice directions tried, in this order (components along the supercell vectors). */
const CANDIDATES: readonly (readonly [number, number, number])[] = [
  [1, 0, 0], [0, 1, 0], [0, 0, 1],
  [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, -1, 0], [1, 0, -1], [0, 1, -1],
  [1, 1, 1], [1, 1, -1], [1, -1, 1], [-1, 1, 1],
];

function toIntDiag(matrix: ArrayLike<number> | readonly (readonly number[])[]): number[] {
  const first = (matrix as ArrayLike<unknown>)[0];
  const flat = Array.isArray(first) ? (matrix as readonly (readonly number[])[]).flat() : Array.from(matrix as ArrayLike<number>);
  if (flat.length === 3) return [flat[0], 0, 0, 0, flat[1], 0, 0, 0, flat[2]];
  if (flat.length === 9) return flat;
  throw new PhononError(`supercell matrix must have 3 (diagonal) or 9 entries, got ${flat.length}`);
}

/** Rank of a set of 3-vectors (relative tolerance 1e-6 on the Gram matrix). */
function rank(vectors: number[][]): number {
  const G = new Float64Array(9);
  for (const v of vectors) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) G[3 * a + b] += v[a] * v[b];
  const ev = symEig3(G).values;
  const max = Math.max(...Array.from(ev, Math.abs));
  if (max === 0) return 0;
  return Array.from(ev).filter((x) => x > 1e-6 * max).length;
}

function rotate(R: ArrayLike<number>, v: ArrayLike<number>, o = 0): number[] {
  return [
    R[0] * v[o] + R[1] * v[o + 1] + R[2] * v[o + 2],
    R[3] * v[o] + R[4] * v[o + 1] + R[5] * v[o + 2],
    R[6] * v[o] + R[7] * v[o + 1] + R[8] * v[o + 2],
  ];
}

/** Index of the supercell atom with prim = κ and lat = (0, 0, 0). */
export function homeAtom(sc: Supercell, kappa: number): number {
  for (let i = 0; i < sc.prim.length; i++)
    if (sc.prim[i] === kappa && sc.lat[3 * i] === 0 && sc.lat[3 * i + 1] === 0 && sc.lat[3 * i + 2] === 0) return i;
  throw new PhononError(`internal error: unit-cell atom ${kappa} has no image in the home cell of the supercell`);
}

/**
 * The symmetry-reduced set of displaced supercells for `unitCell` repeated by `supercellMatrix`
 * (3 numbers for a diagonal matrix or 9 row-major; supercell rows = M · unit-cell rows).
 */
export function planDisplacements(
  unitCell: Structure,
  supercellMatrix: ArrayLike<number> | readonly (readonly number[])[],
  options: DisplacementOptions = {},
): DisplacementPlan {
  const amplitude = options.amplitude ?? 0.01;
  if (!(amplitude > 0) || !Number.isFinite(amplitude)) throw new PhononError(`displacement amplitude must be positive (Å), got ${amplitude}`);
  const pm = options.plusMinus ?? 'auto';
  if (!['auto', 'always', 'plus'].includes(pm)) throw new PhononError(`plusMinus must be 'auto', 'always' or 'plus', got ${String(pm)}`);
  const M = toIntDiag(supercellMatrix);
  const symmetry = analyzeSymmetry(unitCell, options.symmetry ?? {});
  const supercell = makeSupercell(unitCell, M);
  const ops = supercellOperations(supercell.structure, symmetry.operations, M, symmetry.mapTolerance);
  const R = cartesianRotations(supercell.structure.cell, ops.operations);
  const reps: number[] = [];
  for (let k = 0; k < unitCell.natoms; k++) if (symmetry.equivalentAtoms[k] === k) reps.push(homeAtom(supercell, k));

  const displacements: Displacement[] = [];
  for (const a of reps) {
    const site = ops.atomMaps.map((p, g) => (p[a] === a ? g : -1)).filter((g) => g >= 0);
    const chosen: number[][] = [];
    const images: number[][] = [];
    let r = 0;
    while (r < 3) {
      let best: number[] | undefined;
      let bestRank = r;
      for (const c of CANDIDATES) {
        const A = supercell.structure.cell;
        const d = [0, 1, 2].map((k) => c[0] * A[k] + c[1] * A[3 + k] + c[2] * A[6 + k]);
        const nd = hypot3(d[0], d[1], d[2]);
        const u = d.map((x) => (x / nd) * amplitude);
        const imgs = site.map((g) => rotate(R.subarray(9 * g, 9 * g + 9), u));
        const rk = rank([...images, ...imgs]);
        if (rk > bestRank) {
          bestRank = rk;
          best = u;
        }
      }
      if (!best) throw new PhononError(`internal error: no displacement direction completes the span for atom ${a}`);
      chosen.push(best);
      images.push(...site.map((g) => rotate(R.subarray(9 * g, 9 * g + 9), best!)));
      r = bestRank;
    }
    for (const u of chosen) {
      displacements.push({ atom: a, vector: Float64Array.from(u) });
      if (pm === 'plus') continue;
      const minusByOp =
        pm === 'auto' &&
        site.some((g) => {
          const v = rotate(R.subarray(9 * g, 9 * g + 9), u);
          return Math.abs(v[0] + u[0]) + Math.abs(v[1] + u[1]) + Math.abs(v[2] + u[2]) < 1e-9 * amplitude;
        });
      if (!minusByOp) displacements.push({ atom: a, vector: Float64Array.from(u, (x) => -x) });
    }
  }
  const base = supercell.structure.cartesian();
  const structures = displacements.map((d) => {
    const x = Float64Array.from(base);
    for (let k = 0; k < 3; k++) x[3 * d.atom + k] += d.vector[k];
    return supercell.structure.with({ cartesian: x });
  });
  return {
    unitCell,
    supercell,
    operations: { operations: ops.operations, atomMaps: ops.atomMaps },
    symmetry,
    representatives: Int32Array.from(reps),
    displacements,
    structures,
    amplitude,
  };
}

export interface ReconstructOptions {
  /** Apply the acoustic sum rule after symmetrisation (default true). */
  asr?: boolean;
  /** Symmetrise over the supercell space group (default true). */
  symmetrize?: boolean;
}

/** Inverse of a 3×3 matrix (row-major); throws if singular. */
function inv3x3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!(Math.abs(det) > 1e-300)) throw new PhononError('internal error: displacements do not span 3D');
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/**
 * Force constants from the forces (eV/Å, 3N numbers each) of the displaced supercells of `plan`, in
 * the same order. Forces of the undisplaced supercell are not needed (they vanish by symmetry and
 * cancel in ± pairs).
 */
export function forceConstantsFromForces(plan: DisplacementPlan, forces: readonly ArrayLike<number>[], options: ReconstructOptions = {}): ForceConstants {
  const sc = plan.supercell;
  const n = sc.structure.natoms;
  const n3 = 3 * n;
  if (forces.length !== plan.displacements.length) throw new PhononError(`expected ${plan.displacements.length} force sets, got ${forces.length}`);
  forces.forEach((f, k) => {
    if (f.length !== n3) throw new PhononError(`force set ${k}: expected ${n3} numbers, got ${f.length}`);
  });
  const { operations, atomMaps } = plan.operations;
  const R = cartesianRotations(sc.structure.cell, operations);
  const phi = new Float64Array(n3 * n3);
  const done = new Uint8Array(n);
  // columns of the displaced atoms
  for (const a of plan.representatives) {
    const site = atomMaps.map((p, g) => (p[a] === a ? g : -1)).filter((g) => g >= 0);
    const mine = plan.displacements.map((d, k) => (d.atom === a ? k : -1)).filter((k) => k >= 0);
    // U Uᵀ and, per atom j, F_j Uᵀ accumulated over (displacement, site op)
    const UUt = new Array(9).fill(0);
    const FUt = new Float64Array(9 * n);
    for (const k of mine) {
      const u = plan.displacements[k].vector;
      const f = forces[k];
      for (const g of site) {
        const Rg = R.subarray(9 * g, 9 * g + 9);
        const ru = rotate(Rg, u);
        for (let x = 0; x < 3; x++) for (let y = 0; y < 3; y++) UUt[3 * x + y] += ru[x] * ru[y];
        const p = atomMaps[g];
        for (let j = 0; j < n; j++) {
          const rf = rotate(Rg, f, 3 * j);
          const o = 9 * p[j];
          for (let x = 0; x < 3; x++) for (let y = 0; y < 3; y++) FUt[o + 3 * x + y] += rf[x] * ru[y];
        }
      }
    }
    const inv = inv3x3(UUt);
    for (let j = 0; j < n; j++) {
      const o = 9 * j;
      for (let x = 0; x < 3; x++)
        for (let y = 0; y < 3; y++) {
          let s = 0;
          for (let z = 0; z < 3; z++) s += FUt[o + 3 * x + z] * inv[3 * z + y];
          phi[(3 * j + x) * n3 + 3 * a + y] = -s;
        }
    }
    done[a] = 1;
  }
  // the other columns by symmetry: Φ[π(j), π(a)] = R Φ[j, a] Rᵀ
  const blk = new Float64Array(9);
  for (let g = 0; g < operations.length; g++) {
    const p = atomMaps[g];
    const Rg = R.subarray(9 * g, 9 * g + 9);
    for (const a of plan.representatives) {
      const b = p[a];
      if (done[b]) continue;
      for (let j = 0; j < n; j++) {
        for (let x = 0; x < 3; x++) for (let y = 0; y < 3; y++) blk[3 * x + y] = phi[(3 * j + x) * n3 + 3 * a + y];
        // R B Rᵀ
        for (let x = 0; x < 3; x++)
          for (let y = 0; y < 3; y++) {
            let s = 0;
            for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) s += Rg[3 * x + u] * blk[3 * u + v] * Rg[3 * y + v];
            phi[(3 * p[j] + x) * n3 + 3 * b + y] = s;
          }
      }
      done[b] = 1;
    }
  }
  const missing = done.indexOf(0);
  if (missing >= 0) throw new PhononError(`internal error: supercell atom ${missing} is not reached by any operation from a displaced atom`);
  if (options.symmetrize ?? true) {
    const sym = new Symmetrizer(sc.structure.cell, plan.operations);
    sym.forceConstants(phi, { asr: options.asr ?? true, out: phi });
  } else {
    for (let i = 0; i < n3; i++)
      for (let j = i + 1; j < n3; j++) {
        const v = 0.5 * (phi[i * n3 + j] + phi[j * n3 + i]);
        phi[i * n3 + j] = v;
        phi[j * n3 + i] = v;
      }
  }
  return new ForceConstants(plan.unitCell, sc, { phi });
}

export interface ComputeForceConstantsOptions extends DisplacementOptions, ReconstructOptions {
  /** Passed to the calculator's batch call. */
  calc?: CalcOptions;
}

/**
 * Finite-displacement force constants of `unitCell` in the supercell `supercellMatrix`, with the
 * forces of all displaced supercells from one batch call of `calculator`.
 */
export async function computeForceConstants(
  calculator: Calculator,
  unitCell: Structure,
  supercellMatrix: ArrayLike<number> | readonly (readonly number[])[],
  options: ComputeForceConstantsOptions = {},
): Promise<ForceConstants & { plan: DisplacementPlan }> {
  const plan = planDisplacements(unitCell, supercellMatrix, options);
  const results = await calculator.compute(plan.structures, options.calc);
  if (results.length !== plan.structures.length) throw new PhononError(`${calculator.name} returned ${results.length} results for ${plan.structures.length} structures`);
  const fc = forceConstantsFromForces(
    plan,
    results.map((r) => r.forces),
    options,
  );
  return Object.assign(fc, { plan });
}

/**
 * Force constants from a full supercell matrix given in another atom order (e.g. phonopy's):
 * `positions` are the fractional coordinates of that order in the supercell of `supercell`, and
 * `phi` is 3N × 3N in that order. Atoms are matched by position (tolerance in Å).
 */
export function reorderForceConstants(
  unitCell: Structure,
  supercellMatrix: ArrayLike<number> | readonly (readonly number[])[],
  positions: ArrayLike<number>,
  phi: ArrayLike<number>,
  tolerance = 1e-4,
): ForceConstants {
  const sc = makeSupercell(unitCell, toIntDiag(supercellMatrix));
  const n = sc.structure.natoms;
  const n3 = 3 * n;
  if (positions.length !== 3 * n || phi.length !== n3 * n3) throw new PhononError(`expected ${n} positions and a ${n3}×${n3} matrix`);
  const c = sc.structure.cell;
  const map = new Int32Array(n).fill(-1); // map[other] = ours
  for (let o = 0; o < n; o++) {
    for (let i = 0; i < n; i++) {
      const d = [0, 1, 2].map((k) => {
        const x = positions[3 * o + k] - sc.structure.frac[3 * i + k];
        return x - Math.round(x);
      });
      const r = hypot(...[0, 1, 2].map((k) => d[0] * c[k] + d[1] * c[3 + k] + d[2] * c[6 + k]));
      if (r < tolerance) {
        map[o] = i;
        break;
      }
    }
    if (map[o] < 0) throw new PhononError(`atom ${o} of the given order is not an atom of the supercell`);
  }
  const out = new Float64Array(n3 * n3);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let x = 0; x < 3; x++)
        for (let y = 0; y < 3; y++) out[(3 * map[a] + x) * n3 + 3 * map[b] + y] = phi[(3 * a + x) * n3 + 3 * b + y];
  return new ForceConstants(unitCell, sc, { phi: out });
}
