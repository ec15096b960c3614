// Random symmetric crystal structures from Wyckoff positions (physics.md 7.2). Given a composition, a
// number of formula units, a space group and a volume, this draws
//   1. a Wyckoff assignment: for each species a multiset of Wyckoff positions whose multiplicities sum
//      to its atom count (positions without free parameters used at most once over all species). Only
//      "faithful" assignments are used: those whose generic realisation has no more symmetry than the
//      group (one atom in P1 is always P-1; S on 1a with H on 3c of P23 is always Pm-3m). With few
//      assignments in all they are enumerated and one is picked uniformly; otherwise a randomized
//      depth-first search that never dead-ends (exact feasibility memo) draws one;
//   2. a lattice of the crystal system (length ratios in [1/2, 2], angles in [60°, 120°]) scaled to the
//      volume;
//   3. free parameters uniform in [0, 1), orbit by orbit, each orbit redrawn up to 10 times until the
//      per-pair minimum distances hold (periodic images included);
// and keeps the result only if its full symmetry group is exactly the intended one: a draw whose free
// parameters or lattice land within `symmetryTolerance` of a higher symmetry is rejected and redrawn.
// That check works in the Niggli-reduced primitive cell: no pure translation besides the lattice, and
// no lattice rotation outside the group's point group (lattice point group by search over short
// lattice vectors) may map the atoms onto themselves. The group's own operations hold by construction,
// so the full symmetry group is then the group itself.
//
// Every random number comes from the seeded Philox generator passed in (same seed → same structure).
// Runs in browsers: moyo is only used through its registered handle for the Wyckoff tables.
import { covalentRadius, hasCovalentRadius, isElement } from '../structure/elements.js';
import { det3, inv3, mul3 } from '../structure/mat3.js';
import { niggliReduce } from '../structure/niggli.js';
import { cellFromParameters, ISOTOPES, Structure } from '../structure/structure.js';
import type { Rng } from '../random/rng.js';
import type { MoyoHandle } from '../symmetry/moyo.js';
import { evaluateMap, spaceGroupWyckoff, type SpaceGroupWyckoff, type WyckoffPosition } from './wyckoff.js';
import { cbrt, cosDeg, exp, hypot3, sinDeg } from '../numeric/detmath.js';

export class RandomStructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RandomStructureError';
  }
}

export type CellChoice = 'primitive' | 'conventional' | 'reduced';

export interface RandomStructureOptions {
  /** Atoms per formula unit, e.g. { H: 3, S: 1 }. Species are element symbols (or D, T). */
  composition: Record<string, number>;
  /** Formula units per primitive cell (default 1). */
  formulaUnits?: number;
  /** ITA space-group number 1..230 (standard setting). */
  spaceGroup: number;
  /** Volume (Å³) of the primitive cell, i.e. of composition × formulaUnits atoms. */
  volume: number;
  /**
   * Minimum distances (Å) per species pair, keys "A-B" in either order ("H-S", "H-H"). Pairs not given
   * use distanceFactor·(r_A + r_B) with covalent radii (physics.md 7.1).
   */
  minDistances?: Record<string, number>;
  /** Factor f of the default minimum distance f·(r_A + r_B); default 0.7. */
  distanceFactor?: number;
  /** Seeded Philox generator; every draw comes from it. */
  rng: Rng;
  /** Structure draws (lattice + all orbits) before giving up and returning null; default 100. */
  maxAttempts?: number;
  /** Cell of the result: primitive of the centering (default), conventional, or Niggli-reduced primitive. */
  cell?: CellChoice;
  /** Structures within this distance (Å) of a higher symmetry are rejected; default 0.02. */
  symmetryTolerance?: number;
  /** moyo handle for the Wyckoff tables; default: the registered one. */
  moyo?: MoyoHandle;
  /** Filled with counters of this call when given (for diagnostics and benchmarks). */
  stats?: RandomStructureStats;
}

export interface RandomStructureStats {
  /** Structure draws made (each: one lattice and all orbits). */
  attempts: number;
  /** Wyckoff assignments drawn. */
  assignments: number;
  /** Draws rejected because an orbit could not be placed within the distance constraints. */
  distanceRejections: number;
  /** Draws rejected because the structure had more symmetry than intended. */
  symmetryRejections: number;
}

/** One occupied Wyckoff orbit of a generated structure. */
export interface WyckoffSite {
  species: string;
  letter: string;
  /** Multiplicity in the conventional cell. */
  multiplicity: number;
  /** Free parameters (x, y, z) drawn; unused ones are still listed (they have no effect). */
  parameters: [number, number, number];
}

export interface RandomStructure {
  structure: Structure;
  spaceGroup: number;
  hallNumber: number;
  /** Hermann–Mauguin symbol ("F d -3 m"). */
  symbol: string;
  /** Which cell `structure` is. */
  cell: CellChoice;
  /** Wyckoff letter of every atom of `structure` (in the intended group's standard setting). */
  wyckoffs: string[];
  /** The occupied orbits, in the order their atoms appear in `structure`. */
  sites: WyckoffSite[];
  /** Structure draws this call needed. */
  attempts: number;
}

// ------------------------------------------------------------------------------------------------
// Composition checks.

interface SpeciesCount {
  species: string;
  /** Atoms per primitive cell. */
  count: number;
}

function speciesCounts(composition: Record<string, number>, formulaUnits: number): SpeciesCount[] {
  if (composition === null || typeof composition !== 'object') throw new RandomStructureError('composition must be an object such as { H: 3, S: 1 }');
  if (!Number.isInteger(formulaUnits) || formulaUnits < 1) throw new RandomStructureError(`formula units must be a positive integer, got ${formulaUnits}`);
  const out: SpeciesCount[] = [];
  for (const [species, n] of Object.entries(composition)) {
    if (!isElement(species) && !ISOTOPES[species]) throw new RandomStructureError(`unknown element "${species}" in the composition`);
    if (!Number.isInteger(n) || n < 0) throw new RandomStructureError(`count of ${species} must be a non-negative integer, got ${n}`);
    if (n > 0) out.push({ species, count: n * formulaUnits });
  }
  if (out.length === 0) throw new RandomStructureError('composition has no atoms');
  return out;
}

// ------------------------------------------------------------------------------------------------
// Wyckoff assignment: exact feasibility, memoised.

/** Multiplicity data of a group: free positions (reusable) and fixed points (used at most once). */
interface GroupSlots {
  /** Primitive multiplicities of the positions with free parameters, distinct, descending. */
  freeMults: number[];
  /** Fixed positions grouped by primitive multiplicity. */
  fixedClasses: { mult: number; count: number }[];
}

const slotCache = new Map<number, GroupSlots>();

/** Cheap summary from moyo's table alone (no orbits), for admissibility. */
function groupSlots(number: number, moyo?: MoyoHandle): GroupSlots {
  const hit = slotCache.get(number);
  if (hit) return hit;
  const g = spaceGroupWyckoff(number, moyo);
  const free = new Set<number>();
  const fixed = new Map<number, number>();
  for (const p of g.positions) {
    if (p.dof > 0) free.add(p.primitiveMultiplicity);
    else fixed.set(p.primitiveMultiplicity, (fixed.get(p.primitiveMultiplicity) ?? 0) + 1);
  }
  const slots: GroupSlots = {
    freeMults: [...free].sort((a, b) => b - a),
    fixedClasses: [...fixed].sort((a, b) => b[0] - a[0]).map(([mult, count]) => ({ mult, count })),
  };
  slotCache.set(number, slots);
  return slots;
}

/**
 * Exact feasibility of filling species k.. with `rem` atoms still to place for species k and `pool`
 * fixed points left per class. Memoised per (group, counts) since it is a pure function.
 */
class AssignmentSolver {
  private memo = new Map<string, boolean>();
  constructor(
    readonly slots: GroupSlots,
    readonly counts: number[],
  ) {}

  canFill(k: number, rem: number, pool: number[]): boolean {
    if (rem === 0) {
      if (k === this.counts.length - 1) return true;
      return this.canFill(k + 1, this.counts[k + 1], pool);
    }
    const key = `${k}|${rem}|${pool.join(',')}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let ok = false;
    for (const m of this.slots.freeMults) {
      if (m <= rem && this.canFill(k, rem - m, pool)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      const cls = this.slots.fixedClasses;
      for (let c = 0; c < cls.length && !ok; c++) {
        if (pool[c] > 0 && cls[c].mult <= rem) {
          pool[c]--;
          ok = this.canFill(k, rem - cls[c].mult, pool);
          pool[c]++;
        }
      }
    }
    this.memo.set(key, ok);
    return ok;
  }

  feasible(): boolean {
    return this.canFill(0, this.counts[0], this.slots.fixedClasses.map((c) => c.count));
  }
}

const solverCache = new Map<string, AssignmentSolver>();

function solverFor(group: number, counts: number[], moyo?: MoyoHandle): AssignmentSolver {
  const key = `${group}:${counts.join(',')}`;
  let s = solverCache.get(key);
  if (!s) {
    if (solverCache.size > 20000) solverCache.clear();
    s = new AssignmentSolver(groupSlots(group, moyo), counts);
    solverCache.set(key, s);
  }
  return s;
}

/** Species counts in a canonical order (descending) for the solver; ties keep input order. */
function sortedCounts(sc: SpeciesCount[]): SpeciesCount[] {
  return [...sc].sort((a, b) => b.count - a.count);
}

/**
 * Whether `composition` × `formulaUnits` atoms per primitive cell can be distributed over the Wyckoff
 * positions of `spaceGroup` at all (free positions reusable, fixed points at most once). Exact
 * (memoised dynamic programming over multiplicities).
 */
export function hasWyckoffAssignment(spaceGroup: number, composition: Record<string, number>, formulaUnits = 1, moyo?: MoyoHandle): boolean {
  const counts = sortedCounts(speciesCounts(composition, formulaUnits)).map((s) => s.count);
  spaceGroupWyckoff(spaceGroup, moyo); // validates the number
  return solverFor(spaceGroup, counts, moyo).feasible();
}

/**
 * Whether a structure of exactly `spaceGroup` exists with this composition: some Wyckoff assignment
 * whose generic realisation (generic lattice of the crystal system, generic free parameters) has no
 * more symmetry than the group. Assignments that only give supergroups (a single atom in P1 is P-1;
 * S at 1a and H at 3c of P23 is Pm-3m) do not count. Memoised per (group, counts).
 */
export function isRealizable(spaceGroup: number, composition: Record<string, number>, formulaUnits = 1, moyo?: MoyoHandle): boolean {
  const sc = speciesCounts(composition, formulaUnits);
  return realizable(spaceGroupWyckoff(spaceGroup, moyo), sortedCounts(sc).map((s) => s.count), moyo);
}

/**
 * Space groups (1..230, ascending) for which `randomSymmetricStructure` can make a structure of
 * exactly that group with `composition` × `formulaUnits` atoms per primitive cell: a Wyckoff
 * assignment exists and at least one assignment is not forced into a supergroup (see isRealizable).
 * Exact; the first call loads the Wyckoff tables (about 0.5 s), later calls are memoised.
 */
export function admissibleSpaceGroups(composition: Record<string, number>, formulaUnits = 1, moyo?: MoyoHandle): number[] {
  const counts = sortedCounts(speciesCounts(composition, formulaUnits)).map((s) => s.count);
  const out: number[] = [];
  for (let g = 1; g <= 230; g++) if (realizable(spaceGroupWyckoff(g, moyo), counts, moyo)) out.push(g);
  return out;
}

const realizableCache = new Map<string, boolean>();
/**
 * Bound on the assignments tried per (group, counts). The largest number any of the tested
 * compositions needs is about 3000 (NaCl × 4 in P312, which has no faithful one); beyond the bound a
 * pair counts as not realizable.
 */
const MAX_ENUMERATED = 50000;

function realizable(g: SpaceGroupWyckoff, counts: number[], moyo?: MoyoHandle): boolean {
  const key = `${g.number}:${counts.join(',')}`;
  const hit = realizableCache.get(key);
  if (hit !== undefined) return hit;
  const solver = solverFor(g.number, counts, moyo);
  let ok = false;
  let tried = 0;
  if (solver.feasible()) {
    const species = counts.map((_, i) => i);
    for (const a of enumerateAssignments(g, solver, counts, species)) {
      if (++tried > MAX_ENUMERATED) break;
      if (assignmentFaithful(g, a)) {
        ok = true;
        break;
      }
    }
  }
  realizableCache.set(key, ok);
  return ok;
}

/**
 * Every assignment (multisets of positions per species, in the order of `counts`), general positions
 * first, as lists of sites. Species k gets type speciesIndex[k].
 */
function* enumerateAssignments(g: SpaceGroupWyckoff, solver: AssignmentSolver, counts: number[], speciesIndex: number[]): Generator<ChosenSite[]> {
  const classOf = g.positions.map((p) => solver.slots.fixedClasses.findIndex((c) => c.mult === p.primitiveMultiplicity));
  const pool = solver.slots.fixedClasses.map((c) => c.count);
  const used = new Uint8Array(g.positions.length);
  const sites: ChosenSite[] = [];
  function* rec(k: number, rem: number, from: number): Generator<ChosenSite[]> {
    if (rem === 0) {
      if (k === counts.length - 1) {
        yield sites.slice();
        return;
      }
      yield* rec(k + 1, counts[k + 1], 0);
      return;
    }
    for (let i = from; i < g.positions.length; i++) {
      const p = g.positions[i];
      const m = p.primitiveMultiplicity;
      if (m > rem) continue;
      const fixed = p.dof === 0;
      if (fixed && used[i]) continue;
      if (fixed) {
        used[i] = 1;
        pool[classOf[i]]--;
      }
      if (solver.canFill(k, rem - m, pool)) {
        sites.push({ species: speciesIndex[k], position: p });
        yield* rec(k, rem - m, fixed ? i + 1 : i);
        sites.pop();
      }
      if (fixed) {
        used[i] = 0;
        pool[classOf[i]]++;
      }
    }
  }
  yield* rec(0, counts[0], 0);
}

const faithfulCache = new Map<string, boolean>();

/** Generic lattice parameters per crystal system: no accidental metric symmetry. */
function genericConventionalCell(g: SpaceGroupWyckoff): Float64Array {
  switch (g.crystalSystem) {
    case 'triclinic':
      return cellFromParameters(1, 1.1373, 1.2791, 81.37, 97.73, 104.91);
    case 'monoclinic':
      return cellFromParameters(1, 1.1373, 1.2791, 90, 103.57, 90);
    case 'orthorhombic':
      return cellFromParameters(1, 1.1373, 1.2791, 90, 90, 90);
    case 'tetragonal':
      return cellFromParameters(1, 1, 1.2791, 90, 90, 90);
    case 'trigonal':
    case 'hexagonal':
      return cellFromParameters(1, 1, 1.2791, 90, 90, 120);
    case 'cubic':
      return cellFromParameters(1, 1, 1, 90, 90, 90);
  }
}

/**
 * A fixed "generic" number in (0, 1) for index i (murmur3 finaliser of i): a deterministic witness
 * point for the genericity test, not a random draw of any result. (A Weyl sequence would not do: an
 * arithmetic progression of points is centrosymmetric.)
 */
function genericNumber(i: number): number {
  let x = Math.imul(i + 1, 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return ((x >>> 0) + 0.5) / 4294967296;
}

/**
 * Whether a generic realisation of the assignment has exactly the group's symmetry: every orbit at
 * its own generic parameters (genericNumber), generic lattice, then the
 * operation count. Memoised (a pure function of the group and the assignment).
 */
function assignmentFaithful(g: SpaceGroupWyckoff, sites: ChosenSite[]): boolean {
  const key = g.number + '|' + sites.map((s) => `${s.species}:${s.position.letter}`).sort().join(',');
  const hit = faithfulCache.get(key);
  if (hit !== undefined) return hit;
  const conv = genericConventionalCell(g);
  for (let i = 0; i < 9; i++) conv[i] *= 10;
  const prim = mul3(g.primitiveBasis, conv);
  const fr = reducedFrame(prim);
  const n = sites.reduce((s, x) => s + x.position.primitiveMultiplicity, 0);
  const red = new Float64Array(3 * n);
  const types = new Int32Array(n);
  const pt = new Float64Array(3);
  let a = 0;
  sites.forEach((s, j) => {
    const p = [0, 1, 2].map((c) => genericNumber(3 * j + c));
    for (const m of s.position.primitiveOrbit) {
      evaluateMap(m, p, pt);
      const R = fr.toReduced;
      for (let c = 0; c < 3; c++) red[3 * a + c] = pt[0] * R[c] + pt[1] * R[3 + c] + pt[2] * R[6 + c];
      types[a++] = s.species;
    }
  });
  const ok = hasNoExtraSymmetry(fr, red, types, g, 1e-3, 1e-6);
  if (faithfulCache.size > 100000) faithfulCache.clear();
  faithfulCache.set(key, ok);
  return ok;
}

// ------------------------------------------------------------------------------------------------
// Random numbers: Philox uniforms fetched in blocks (one kernel call per block).

class Uniforms {
  private buf: Float64Array = new Float64Array(0);
  private i = 0;
  constructor(
    private readonly rng: Rng,
    private readonly block = 256,
  ) {}
  next(): number {
    if (this.i >= this.buf.length) {
      this.buf = this.rng.uniform(this.block);
      this.i = 0;
    }
    return this.buf[this.i++];
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
}

interface ChosenSite {
  species: number;
  position: WyckoffPosition;
}

/** Draw one assignment by randomized DFS; the memo guarantees every step keeps a completion. */
function drawAssignment(g: SpaceGroupWyckoff, solver: AssignmentSolver, order: SpeciesCount[], speciesIndex: number[], u: Uniforms): ChosenSite[] {
  const classOf = (p: WyckoffPosition) => solver.slots.fixedClasses.findIndex((c) => c.mult === p.primitiveMultiplicity);
  const pool = solver.slots.fixedClasses.map((c) => c.count);
  const used = new Set<WyckoffPosition>();
  const sites: ChosenSite[] = [];
  for (let k = 0; k < order.length; k++) {
    let rem = order[k].count;
    while (rem > 0) {
      const options: WyckoffPosition[] = [];
      for (const p of g.positions) {
        const m = p.primitiveMultiplicity;
        if (m > rem) continue;
        if (p.dof > 0) {
          if (solver.canFill(k, rem - m, pool)) options.push(p);
        } else if (!used.has(p)) {
          const c = classOf(p);
          pool[c]--;
          if (solver.canFill(k, rem - m, pool)) options.push(p);
          pool[c]++;
        }
      }
      if (options.length === 0) throw new Error('internal error: Wyckoff assignment dead end');
      const p = options[u.int(options.length)];
      if (p.dof === 0) {
        used.add(p);
        pool[classOf(p)]--;
      }
      sites.push({ species: speciesIndex[k], position: p });
      rem -= p.primitiveMultiplicity;
    }
  }
  return sites;
}

/** Per (group, counts): every faithful assignment when there are few assignments in all, else null. */
const smallCaseCache = new Map<string, ChosenSite[][] | null>();
const SMALL_CASE = 2000;

function faithfulAssignmentsIfFew(g: SpaceGroupWyckoff, solver: AssignmentSolver, counts: number[]): ChosenSite[][] | null {
  const key = `${g.number}:${counts.join(',')}`;
  const hit = smallCaseCache.get(key);
  if (hit !== undefined) return hit;
  const all: ChosenSite[][] = [];
  let n = 0;
  let list: ChosenSite[][] | null = all;
  for (const a of enumerateAssignments(g, solver, counts, counts.map((_, i) => i))) {
    if (++n > SMALL_CASE) {
      list = null;
      break;
    }
    if (assignmentFaithful(g, a)) all.push(a);
  }
  if (smallCaseCache.size > 20000) smallCaseCache.clear();
  smallCaseCache.set(key, list);
  return list;
}

/**
 * A random assignment whose generic realisation has exactly the group's symmetry. With few
 * assignments in all (≤ 2000), uniform among the faithful ones; otherwise randomized DFS, redrawn
 * when forced into a supergroup, and after 50 such draws uniform among the first 500 faithful
 * assignments of the enumeration (they exist: the pair was checked realizable).
 */
function drawFaithfulAssignment(g: SpaceGroupWyckoff, solver: AssignmentSolver, order: SpeciesCount[], speciesIndex: number[], u: Uniforms): ChosenSite[] {
  const counts = order.map((o) => o.count);
  const few = faithfulAssignmentsIfFew(g, solver, counts);
  if (few) {
    if (few.length === 0) throw new Error('internal error: realizable group without a faithful assignment');
    return few[u.int(few.length)].map((s) => ({ species: speciesIndex[s.species], position: s.position }));
  }
  for (let i = 0; i < 50; i++) {
    const a = drawAssignment(g, solver, order, speciesIndex, u);
    if (assignmentFaithful(g, a)) return a;
  }
  const faithful: ChosenSite[][] = [];
  for (const a of enumerateAssignments(g, solver, counts, speciesIndex)) {
    if (assignmentFaithful(g, a)) faithful.push(a);
    if (faithful.length >= 500) break;
  }
  if (faithful.length === 0) throw new Error('internal error: realizable group without a faithful assignment');
  return faithful[u.int(faithful.length)];
}

// ------------------------------------------------------------------------------------------------
// Lattices.

/** Cell rows from parameters (a along x, b in the xy plane), exact for 90° and 120°. */
function cellOf(a: number, b: number, c: number, al: number, be: number, ga: number): Float64Array {
  const cs = (x: number): [number, number] => (x === 90 ? [0, 1] : x === 120 ? [-0.5, Math.sqrt(3) / 2] : [cosDeg(x), sinDeg(x)]);
  const [ca] = cs(al);
  const [cb] = cs(be);
  const [cg, sg] = cs(ga);
  const cy = (ca - cb * cg) / sg;
  const cz = Math.sqrt(Math.max(0, 1 - cb * cb - cy * cy));
  return Float64Array.of(a, 0, 0, b * cg, b * sg, 0, c * cb, c * cy, c * cz);
}

/** Conventional cell (rows, Å) of the group's crystal system with the given volume. */
function drawConventionalCell(g: SpaceGroupWyckoff, volume: number, u: Uniforms): Float64Array {
  const ratio = () => exp((u.next() * 2 - 1) * Math.LN2); // log-uniform in [1/2, 2]
  const angle = () => 60 + 60 * u.next();
  let a = 1, b = 1, c = 1, al = 90, be = 90, ga = 90;
  switch (g.crystalSystem) {
    case 'triclinic':
      for (;;) {
        b = ratio();
        c = ratio();
        al = angle();
        be = angle();
        ga = angle();
        const [ca, cb, cg] = [al, be, ga].map((x) => cosDeg(x));
        // Volume factor √(1 − cos²α − cos²β − cos²γ + 2 cosα cosβ cosγ): keep cells far from flat.
        if (1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg > 0.25) break;
      }
      break;
    case 'monoclinic':
      b = ratio();
      c = ratio();
      be = angle();
      break;
    case 'orthorhombic':
      b = ratio();
      c = ratio();
      break;
    case 'tetragonal':
      c = ratio();
      break;
    case 'trigonal':
    case 'hexagonal':
      c = ratio();
      ga = 120;
      break;
    case 'cubic':
      break;
  }
  const cell = cellOf(a, b, c, al, be, ga);
  const s = cbrt(volume / Math.abs(det3(cell)));
  for (let i = 0; i < 9; i++) cell[i] *= s;
  return cell;
}

// ------------------------------------------------------------------------------------------------
// Distances in any cell (periodic images by plane spacings), symmetry in the Niggli-reduced cell.

/** Plane spacings h_k = V / |a_i × a_j| of a cell (rows). */
function planeSpacings(cell: Float64Array): Float64Array {
  const vol = Math.abs(det3(cell));
  const crossLen = (i: number, j: number) => {
    const x = cell[3 * i + 1] * cell[3 * j + 2] - cell[3 * i + 2] * cell[3 * j + 1];
    const y = cell[3 * i + 2] * cell[3 * j] - cell[3 * i] * cell[3 * j + 2];
    const z = cell[3 * i] * cell[3 * j + 1] - cell[3 * i + 1] * cell[3 * j];
    return hypot3(x, y, z);
  };
  return Float64Array.of(vol / crossLen(1, 2), vol / crossLen(2, 0), vol / crossLen(0, 1));
}

/**
 * Whether atoms i and j (fractional f in `cell`) are closer than dmin, periodic images included. An
 * image within dmin has |Δs_k + n_k| ≤ dmin / h_k along every axis, so only those n are tried (exact
 * in any cell, however skewed).
 */
function tooClose(cell: Float64Array, h: Float64Array, f: Float64Array, i: number, j: number, dmin: number): boolean {
  let d0 = f[3 * j] - f[3 * i], d1 = f[3 * j + 1] - f[3 * i + 1], d2 = f[3 * j + 2] - f[3 * i + 2];
  d0 -= Math.round(d0);
  d1 -= Math.round(d1);
  d2 -= Math.round(d2);
  const e0 = dmin / h[0], e1 = dmin / h[1], e2 = dmin / h[2];
  const lo0 = Math.ceil(-e0 - d0), hi0 = Math.floor(e0 - d0);
  const lo1 = Math.ceil(-e1 - d1), hi1 = Math.floor(e1 - d1);
  const lo2 = Math.ceil(-e2 - d2), hi2 = Math.floor(e2 - d2);
  const d2min = dmin * dmin;
  for (let n0 = lo0; n0 <= hi0; n0++)
    for (let n1 = lo1; n1 <= hi1; n1++)
      for (let n2 = lo2; n2 <= hi2; n2++) {
        if (i === j && n0 === 0 && n1 === 0 && n2 === 0) continue;
        const a = d0 + n0, b = d1 + n1, c = d2 + n2;
        const x = a * cell[0] + b * cell[3] + c * cell[6];
        const y = a * cell[1] + b * cell[4] + c * cell[7];
        const z = a * cell[2] + b * cell[5] + c * cell[8];
        if (x * x + y * y + z * z < d2min) return true;
      }
  return false;
}

interface ReducedFrame {
  /** Niggli-reduced primitive cell (rows, Å). */
  cell: Float64Array;
  /** Metric tensor of the reduced cell. */
  metric: Float64Array;
  /** Niggli transformation T (reduced = T·primitive); s_red = s_prim·T⁻¹ for row vectors. */
  transform: Int32Array;
  toReduced: Float64Array;
}

function reducedFrame(primCell: Float64Array): ReducedFrame {
  const red = niggliReduce(primCell);
  const cell = red.cell;
  const metric = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) metric[3 * i + j] = cell[3 * i] * cell[3 * j] + cell[3 * i + 1] * cell[3 * j + 1] + cell[3 * i + 2] * cell[3 * j + 2];
  return { cell, metric, transform: red.transform, toReduced: inv3(Array.from(red.transform)) };
}

/** Integer vectors with coefficients in −2..2 (a reduced basis maps onto such vectors). */
const SHORT_VECTORS: Int32Array[] = [];
for (let a = -2; a <= 2; a++) for (let b = -2; b <= 2; b++) for (let c = -2; c <= 2; c++) if (a || b || c) SHORT_VECTORS.push(Int32Array.of(a, b, c));

/**
 * Lattice point group of a reduced cell: integer matrices N (rows = images of the basis vectors, in
 * the basis) with N G Nᵀ = G within relTol·max(G_ii). Their action on fractional columns is Nᵀ.
 */
function latticePointGroup(G: Float64Array, relTol: number): Int32Array[] {
  const nv = SHORT_VECTORS.length;
  const gv = new Float64Array(3 * nv);
  const norm = new Float64Array(nv);
  for (let k = 0; k < nv; k++) {
    const v = SHORT_VECTORS[k];
    for (let i = 0; i < 3; i++) gv[3 * k + i] = G[3 * i] * v[0] + G[3 * i + 1] * v[1] + G[3 * i + 2] * v[2];
    norm[k] = v[0] * gv[3 * k] + v[1] * gv[3 * k + 1] + v[2] * gv[3 * k + 2];
  }
  const tol = relTol * Math.max(G[0], G[4], G[8]);
  const cand = [0, 1, 2].map((i) => {
    const out: number[] = [];
    for (let k = 0; k < nv; k++) if (Math.abs(norm[k] - G[4 * i]) <= tol) out.push(k);
    return out;
  });
  const dot = (a: number, b: number) => {
    const u = SHORT_VECTORS[a];
    return u[0] * gv[3 * b] + u[1] * gv[3 * b + 1] + u[2] * gv[3 * b + 2];
  };
  const out: Int32Array[] = [];
  for (const a of cand[0])
    for (const b of cand[1]) {
      if (Math.abs(dot(a, b) - G[1]) > tol) continue;
      for (const c of cand[2]) {
        if (Math.abs(dot(a, c) - G[2]) > tol || Math.abs(dot(b, c) - G[5]) > tol) continue;
        const u = SHORT_VECTORS[a], v = SHORT_VECTORS[b], w = SHORT_VECTORS[c];
        const det = u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
        if (Math.abs(det) === 1) out.push(Int32Array.of(u[0], u[1], u[2], v[0], v[1], v[2], w[0], w[1], w[2]));
      }
    }
  return out;
}

/** Integer key of a 3×3 integer matrix with entries in −3..3 (rotations in any reduced basis). */
function rotationKey(R: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < 9; i++) k = k * 7 + (Math.round(R[i]) + 3);
  return k;
}

const primitiveRotationCache = new Map<number, Set<number>>();

/** Keys of the point group of g as rotations on fractional columns of the primitive cell: M⁻ᵀ W Mᵀ. */
function primitiveRotationKeys(g: SpaceGroupWyckoff): Set<number> {
  let hit = primitiveRotationCache.get(g.number);
  if (hit) return hit;
  const M = g.primitiveBasis;
  const Mt = Float64Array.of(M[0], M[3], M[6], M[1], M[4], M[7], M[2], M[5], M[8]);
  const MinvT = inv3(Mt);
  hit = new Set(g.operations.map((op) => rotationKey(mul3(mul3(MinvT, Array.from(op.rotation)), Mt))));
  primitiveRotationCache.set(g.number, hit);
  return hit;
}

/**
 * Whether the atoms (reduced fractional f, species types) have no symmetry beyond the group g: no
 * pure translation other than the lattice, and no lattice rotation outside g's point group that maps
 * the atoms onto themselves with some translation (within `tol` Å). Since g's operations are
 * symmetries by construction, this means the full symmetry group is g itself. Checking only the
 * candidates that must fail keeps the cost low (a failing candidate usually stops at the first atom).
 */
function hasNoExtraSymmetry(fr: ReducedFrame, f: Float64Array, types: Int32Array, g: SpaceGroupWyckoff, tol: number, metricTol: number): boolean {
  const n = types.length;
  const G = fr.metric;
  const freq = new Map<number, number>();
  for (const t of types) freq.set(t, (freq.get(t) ?? 0) + 1);
  let base = 0;
  for (let i = 1; i < n; i++) if (freq.get(types[i])! < freq.get(types[base])!) base = i;
  const tol2 = tol * tol;
  const img = new Float64Array(3 * n);
  // Does (R, t) with t = f_j − R f_base map every atom onto an atom of its species?
  const maps = (j: number): boolean => {
    const t0 = f[3 * j] - img[3 * base], t1 = f[3 * j + 1] - img[3 * base + 1], t2 = f[3 * j + 2] - img[3 * base + 2];
    for (let i = 0; i < n; i++) {
      const y0 = img[3 * i] + t0, y1 = img[3 * i + 1] + t1, y2 = img[3 * i + 2] + t2;
      let found = false;
      for (let k = 0; k < n && !found; k++) {
        if (types[k] !== types[i]) continue;
        let d0 = y0 - f[3 * k], d1 = y1 - f[3 * k + 1], d2 = y2 - f[3 * k + 2];
        d0 -= Math.round(d0);
        d1 -= Math.round(d1);
        d2 -= Math.round(d2);
        found = d0 * (G[0] * d0 + G[1] * d1 + G[2] * d2) + d1 * (G[3] * d0 + G[4] * d1 + G[5] * d2) + d2 * (G[6] * d0 + G[7] * d1 + G[8] * d2) < tol2;
      }
      if (!found) return false;
    }
    return true;
  };
  // 1. Pure translations: only the lattice.
  img.set(f);
  for (let j = 0; j < n; j++) if (j !== base && types[j] === types[base] && maps(j)) return false;
  // 2. Rotations of the lattice that are not in g's point group (compared in the primitive basis).
  const own = primitiveRotationKeys(g);
  const lattice = latticePointGroup(G, metricTol);
  // g's point group is a subgroup of the lattice's: equal orders mean no rotation is left to try.
  if (lattice.length === own.size) return true;
  // R_prim = Tᵀ R_red T⁻ᵀ with R_red = Nᵀ, i.e. R_prim = (T⁻¹ N T)ᵀ.
  const T = Float64Array.from(fr.transform), Ti = fr.toReduced;
  const Rp = new Float64Array(9);
  for (const N of lattice) {
    const A = mul3(mul3(Ti, Float64Array.from(N)), T);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Rp[3 * a + b] = A[3 * b + a];
    if (own.has(rotationKey(Rp))) continue;
    for (let i = 0; i < n; i++) {
      const x = f[3 * i], y = f[3 * i + 1], z = f[3 * i + 2];
      img[3 * i] = N[0] * x + N[3] * y + N[6] * z;
      img[3 * i + 1] = N[1] * x + N[4] * y + N[7] * z;
      img[3 * i + 2] = N[2] * x + N[5] * y + N[8] * z;
    }
    for (let j = 0; j < n; j++) if (types[j] === types[base] && maps(j)) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// The generator.

function pairKey(a: string, b: string): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

function minDistanceMatrix(species: string[], options: RandomStructureOptions): Float64Array {
  const n = species.length;
  const f = options.distanceFactor ?? 0.7;
  if (!(f > 0) || !Number.isFinite(f)) throw new RandomStructureError(`distanceFactor must be a positive number, got ${f}`);
  const given = new Map<string, number>();
  for (const [k, v] of Object.entries(options.minDistances ?? {})) {
    const parts = k.split('-').map((s) => s.trim());
    if (parts.length !== 2 || !parts.every((p) => species.includes(p))) {
      throw new RandomStructureError(`minDistances key "${k}" must be "A-B" with A and B in the composition (${species.join(', ')})`);
    }
    if (!(v > 0) || !Number.isFinite(v)) throw new RandomStructureError(`minDistances["${k}"] must be a positive distance in Å, got ${v}`);
    given.set(pairKey(parts[0], parts[1]), v);
  }
  const radii = new Map<string, number>();
  const radius = (s: string) => {
    let r = radii.get(s);
    if (r === undefined) {
      const el = ISOTOPES[s]?.element ?? s;
      if (!hasCovalentRadius(el)) throw new RandomStructureError(`no covalent radius for ${s}: give minDistances for its pairs`);
      r = covalentRadius(el);
      radii.set(s, r);
    }
    return r;
  };
  const d = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      const k = pairKey(species[a], species[b]);
      d[a * n + b] = given.get(k) ?? f * (radius(species[a]) + radius(species[b]));
    }
  return d;
}

interface Placed {
  /** Reduced fractional coordinates, 3 per atom. */
  red: Float64Array;
  /** Primitive fractional coordinates, 3 per atom. */
  prim: Float64Array;
  types: Int32Array;
  /** Site index of every atom. */
  site: Int32Array;
  n: number;
}

/**
 * A random structure of exactly space group `spaceGroup` with the given composition, or null when no
 * draw met the minimum distances within `maxAttempts` draws (volume too small for the distances).
 * Throws RandomStructureError for bad input and for a (group, composition) pair outside
 * `admissibleSpaceGroups` (no Wyckoff assignment, or only assignments with a higher symmetry), and
 * WyckoffError for a group number outside 1..230.
 */
export function randomSymmetricStructure(options: RandomStructureOptions): RandomStructure | null {
  const formulaUnits = options.formulaUnits ?? 1;
  const sc = speciesCounts(options.composition, formulaUnits);
  const g = spaceGroupWyckoff(options.spaceGroup, options.moyo);
  const volume = options.volume;
  if (!(volume > 0) || !Number.isFinite(volume)) throw new RandomStructureError(`volume must be a positive number of Å³, got ${volume}`);
  const cellChoice = options.cell ?? 'primitive';
  if (!['primitive', 'conventional', 'reduced'].includes(cellChoice)) throw new RandomStructureError(`cell must be 'primitive', 'conventional' or 'reduced', got ${cellChoice}`);
  const maxAttempts = options.maxAttempts ?? 100;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RandomStructureError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const symTol = options.symmetryTolerance ?? 0.02;
  if (!(symTol > 0)) throw new RandomStructureError(`symmetryTolerance must be positive (Å), got ${symTol}`);
  const species = sc.map((s) => s.species);
  const dmin = minDistanceMatrix(species, options);
  const ns = species.length;

  const order = sortedCounts(sc);
  const speciesIndex = order.map((o) => species.indexOf(o.species));
  const solver = solverFor(g.number, order.map((o) => o.count), options.moyo);
  const formula = sc.map((s) => `${s.species}${s.count}`).join('');
  if (!solver.feasible()) {
    throw new RandomStructureError(`composition ${formula} (per primitive cell) admits no Wyckoff assignment in space group ${g.number} (${g.symbol})`);
  }
  if (!realizable(g, order.map((o) => o.count), options.moyo)) {
    throw new RandomStructureError(
      `composition ${formula} (per primitive cell) has no structure of exactly space group ${g.number} (${g.symbol}): every Wyckoff assignment has a higher symmetry`,
    );
  }

  const u = new Uniforms(options.rng);
  const stats: RandomStructureStats = { attempts: 0, assignments: 0, distanceRejections: 0, symmetryRejections: 0 };
  const nCent = g.centeringVectors.length;
  const M = g.primitiveBasis;
  const natoms = sc.reduce((s, x) => s + x.count, 0);
  const placed: Placed = {
    red: new Float64Array(3 * natoms),
    prim: new Float64Array(3 * natoms),
    types: new Int32Array(natoms),
    site: new Int32Array(natoms),
    n: 0,
  };
  const ORBIT_TRIES = 10;
  const DRAWS_PER_ASSIGNMENT = 10;
  const SYMMETRY_FAILS_PER_ASSIGNMENT = 3;

  let sites: ChosenSite[] = [];
  let params: [number, number, number][] = [];
  let drawsOnAssignment = DRAWS_PER_ASSIGNMENT;
  let symFailsOnAssignment = 0;
  const pt = new Float64Array(3);
  let result: RandomStructure | null = null;

  while (stats.attempts < maxAttempts) {
    if (drawsOnAssignment >= DRAWS_PER_ASSIGNMENT || symFailsOnAssignment >= SYMMETRY_FAILS_PER_ASSIGNMENT) {
      sites = drawFaithfulAssignment(g, solver, order, speciesIndex, u);
      // Fixed points first (they constrain the lattice), then by decreasing multiplicity.
      sites.sort((a, b) => Number(a.position.dof > 0) - Number(b.position.dof > 0) || b.position.multiplicity - a.position.multiplicity);
      stats.assignments++;
      drawsOnAssignment = 0;
      symFailsOnAssignment = 0;
    }
    stats.attempts++;
    drawsOnAssignment++;
    const conv = drawConventionalCell(g, volume * nCent, u);
    const prim = mul3(M, conv);
    const h = planeSpacings(prim);
    placed.n = 0;
    params = [];
    let ok = true;
    for (let s = 0; s < sites.length && ok; s++) {
      const { species: t, position } = sites[s];
      const orbit = position.primitiveOrbit;
      const start = placed.n;
      let placedOrbit = false;
      for (let tries = 0; tries < (position.dof > 0 ? ORBIT_TRIES : 1) && !placedOrbit; tries++) {
        const p: [number, number, number] = position.dof > 0 ? [u.next(), u.next(), u.next()] : [0, 0, 0];
        placed.n = start;
        let clash = false;
        for (let k = 0; k < orbit.length && !clash; k++) {
          const a = placed.n;
          evaluateMap(orbit[k], p, pt);
          for (let c = 0; c < 3; c++) placed.prim[3 * a + c] = pt[c] - Math.floor(pt[c]);
          placed.types[a] = t;
          placed.site[a] = s;
          // Against every atom placed so far and its own periodic images (b = a).
          for (let b = 0; b <= a && !clash; b++) clash = tooClose(prim, h, placed.prim, b, a, dmin[placed.types[b] * ns + t]);
          placed.n++;
        }
        if (!clash) {
          placedOrbit = true;
          params.push(p);
        }
      }
      if (!placedOrbit) ok = false;
    }
    if (!ok) {
      stats.distanceRejections++;
      continue;
    }
    // Symmetry check in the Niggli-reduced cell: s_red = s_prim · T⁻¹ (row vectors).
    const fr = reducedFrame(prim);
    const R = fr.toReduced;
    for (let a = 0; a < natoms; a++) {
      const x = placed.prim[3 * a], y = placed.prim[3 * a + 1], z = placed.prim[3 * a + 2];
      for (let c = 0; c < 3; c++) placed.red[3 * a + c] = x * R[c] + y * R[3 + c] + z * R[6 + c];
    }
    if (!hasNoExtraSymmetry(fr, placed.red, placed.types, g, symTol, 0.01)) {
      stats.symmetryRejections++;
      symFailsOnAssignment++;
      continue;
    }
    result = buildResult(g, cellChoice, conv, prim, fr, placed, sites, params, species, stats.attempts);
    break;
  }
  if (options.stats) Object.assign(options.stats, stats);
  return result;
}

function buildResult(
  g: SpaceGroupWyckoff,
  cellChoice: CellChoice,
  conv: Float64Array,
  prim: Float64Array,
  fr: ReducedFrame,
  placed: Placed,
  sites: ChosenSite[],
  params: [number, number, number][],
  species: string[],
  attempts: number,
): RandomStructure {
  // Atoms grouped by species in composition order, orbits in placement order within a species.
  const siteOrder = sites.map((_, i) => i).sort((a, b) => sites[a].species - sites[b].species || a - b);
  const outSpecies: string[] = [];
  const wyckoffs: string[] = [];
  const frac: number[] = [];
  let cell: Float64Array;
  if (cellChoice === 'conventional') {
    cell = conv;
    const pt = new Float64Array(3);
    for (const s of siteOrder) {
      for (const m of sites[s].position.orbit) {
        evaluateMap(m, params[s], pt);
        for (let c = 0; c < 3; c++) frac.push(pt[c] - Math.floor(pt[c]));
        outSpecies.push(species[sites[s].species]);
        wyckoffs.push(sites[s].position.letter);
      }
    }
  } else {
    cell = cellChoice === 'reduced' ? fr.cell : prim;
    const src = cellChoice === 'reduced' ? placed.red : placed.prim;
    for (const s of siteOrder)
      for (let a = 0; a < placed.n; a++) {
        if (placed.site[a] !== s) continue;
        for (let c = 0; c < 3; c++) frac.push(src[3 * a + c] - Math.floor(src[3 * a + c]));
        outSpecies.push(species[sites[s].species]);
        wyckoffs.push(sites[s].position.letter);
      }
  }
  for (let i = 0; i < frac.length; i++) if (frac[i] >= 1) frac[i] = 0;
  return {
    structure: new Structure({ cell, species: outSpecies, frac }),
    spaceGroup: g.number,
    hallNumber: g.hallNumber,
    symbol: g.symbol,
    cell: cellChoice,
    wyckoffs,
    sites: siteOrder.map((s) => ({
      species: species[sites[s].species],
      letter: sites[s].position.letter,
      multiplicity: sites[s].position.multiplicity,
      parameters: params[s],
    })),
    attempts,
  };
}
