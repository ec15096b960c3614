// High-symmetry points and band paths (Setyawan & Curtarolo, Comput. Mater. Sci. 49, 299 (2010)).
//
// Lattice types (from the space-group number and the centring letter of the standardised setting):
//   CUB (P cubic), FCC, BCC, TET (P tetragonal), BCT1 (I tetragonal, c < a), BCT2 (c > a),
//   ORC (P orthorhombic), HEX (P hexagonal and P trigonal), RHL1 (rhombohedral, α < 90°), RHL2 (α > 90°).
//   Other lattices (C/A/F/I orthorhombic, monoclinic, triclinic) get a generic path Γ-X|Y-Γ-Z through
//   the face centres X, Y, Z = ½b₁, ½b₂, ½b₃ of the standardised primitive reciprocal cell (kind
//   "generic"); give an explicit path for those.
//
// Table conventions. The points below are Setyawan-Curtarolo's coordinates k in the reciprocal basis of
// their primitive vectors p_i = Σ_j C_ij c_j (C, rows, in units of the conventional vectors c_j). With
// m the reduced coordinates in the conventional reciprocal basis, k = C m, so m = C⁻¹ k. moyo's
// conventional cell of the input relates fractional coordinates as s_conv = P s_in + p, hence the
// input's reduced q is q_in = Pᵀ m (q·s is invariant). For rhombohedral lattices the conventional cell
// is the hexagonal (obverse) one and C holds the rhombohedral vectors (2/3,1/3,1/3), (−1/3,1/3,1/3),
// (−1/3,−2/3,1/3); any permutation of those is a lattice symmetry, so the labels carry over.
// Orthorhombic X, Y, Z follow the axes of the standardised cell (no a < b < c reordering).
import { inv3, mul3, reciprocal3 } from '../structure/mat3.js';
import type { Structure } from '../structure/structure.js';
import { analyzeSymmetry, type AnalyzeOptions, type SymmetryDataset } from '../symmetry/analyze.js';
import type { DynamicalMatrix } from './dynamical-matrix.js';
import { PhononError } from './force-constants.js';
import { hypot3 } from '../numeric/detmath.js';

export interface BandPath {
  /** Lattice kind ("FCC", "HEX", … or "generic" / "custom"). */
  kind: string;
  /** Special points: label → reduced q in the reciprocal basis of the input cell. */
  points: Record<string, [number, number, number]>;
  /** Continuous runs of labels; a new run starts after a break ("|"). */
  segments: string[][];
}

type Table = { C: number[]; points: Record<string, number[]>; path: string };

const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const FC = [0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0];
const BC = [-0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0.5, 0.5, -0.5];
const RH = [2 / 3, 1 / 3, 1 / 3, -1 / 3, 1 / 3, 1 / 3, -1 / 3, -2 / 3, 1 / 3];
const G = 'Γ';

function table(kind: string, conv: Structure): Table {
  const lat = conv.lattice();
  switch (kind) {
    case 'CUB':
      return { C: I3, points: { [G]: [0, 0, 0], M: [0.5, 0.5, 0], R: [0.5, 0.5, 0.5], X: [0, 0.5, 0] }, path: 'Γ-X-M-Γ-R-X|M-R' };
    case 'FCC':
      return {
        C: FC,
        points: { [G]: [0, 0, 0], K: [3 / 8, 3 / 8, 3 / 4], L: [0.5, 0.5, 0.5], U: [5 / 8, 1 / 4, 5 / 8], W: [0.5, 0.25, 0.75], X: [0.5, 0, 0.5] },
        path: 'Γ-X-W-K-Γ-L-U-W-L-K|U-X',
      };
    case 'BCC':
      return { C: BC, points: { [G]: [0, 0, 0], H: [0.5, -0.5, 0.5], N: [0, 0, 0.5], P: [0.25, 0.25, 0.25] }, path: 'Γ-H-N-Γ-P-H|P-N' };
    case 'TET':
      return {
        C: I3,
        points: { [G]: [0, 0, 0], A: [0.5, 0.5, 0.5], M: [0.5, 0.5, 0], R: [0, 0.5, 0.5], X: [0, 0.5, 0], Z: [0, 0, 0.5] },
        path: 'Γ-X-M-Γ-Z-R-A-Z|X-R|M-A',
      };
    case 'BCT1': {
      const e = (1 + (lat.c * lat.c) / (lat.a * lat.a)) / 4;
      return {
        C: BC,
        points: { [G]: [0, 0, 0], M: [-0.5, 0.5, 0.5], N: [0, 0.5, 0], P: [0.25, 0.25, 0.25], X: [0, 0, 0.5], Z: [e, e, -e], Z1: [-e, 1 - e, e] },
        path: 'Γ-X-M-Γ-Z-P-N-Z1-M|X-P',
      };
    }
    case 'BCT2': {
      const e = (1 + (lat.a * lat.a) / (lat.c * lat.c)) / 4;
      const z = (lat.a * lat.a) / (2 * lat.c * lat.c);
      return {
        C: BC,
        points: {
          [G]: [0, 0, 0], N: [0, 0.5, 0], P: [0.25, 0.25, 0.25], Σ: [-e, e, e], Σ1: [e, 1 - e, -e], X: [0, 0, 0.5], Y: [-z, z, 0.5], Y1: [0.5, 0.5, -z], Z: [0.5, 0.5, -0.5],
        },
        path: 'Γ-X-Y-Σ-Γ-Z-Σ1-N-P-Y1-Z|X-P',
      };
    }
    case 'ORC':
      return {
        C: I3,
        points: { [G]: [0, 0, 0], R: [0.5, 0.5, 0.5], S: [0.5, 0.5, 0], T: [0, 0.5, 0.5], U: [0.5, 0, 0.5], X: [0.5, 0, 0], Y: [0, 0.5, 0], Z: [0, 0, 0.5] },
        path: 'Γ-X-S-Y-Γ-Z-U-R-T-Z|Y-T|U-X|S-R',
      };
    case 'HEX':
      return {
        C: I3,
        points: { [G]: [0, 0, 0], A: [0, 0, 0.5], H: [1 / 3, 1 / 3, 0.5], K: [1 / 3, 1 / 3, 0], L: [0.5, 0, 0.5], M: [0.5, 0, 0] },
        path: 'Γ-M-K-Γ-A-L-H-A|L-M|K-H',
      };
    case 'RHL1':
    case 'RHL2': {
      const ca = rhombohedralCosine(conv); // cos α
      if (kind === 'RHL1') {
        const e = (1 + 4 * ca) / (2 + 4 * ca);
        const v = 0.75 - e / 2;
        return {
          C: RH,
          points: {
            [G]: [0, 0, 0], B: [e, 0.5, 1 - e], B1: [0.5, 1 - e, e - 1], F: [0.5, 0.5, 0], L: [0.5, 0, 0], L1: [0, 0, -0.5], P: [e, v, v], P1: [1 - v, 1 - v, 1 - e],
            P2: [v, v, e - 1], Q: [1 - v, v, 0], X: [v, 0, -v], Z: [0.5, 0.5, 0.5],
          },
          path: 'Γ-L-B1|B-Z-Γ-X|Q-F-P1-Z|L-P',
        };
      }
      const e = (1 + ca) / (2 * (1 - ca)); // 1/(2 tan²(α/2))
      const v = 0.75 - e / 2;
      return {
        C: RH,
        points: { [G]: [0, 0, 0], F: [0.5, -0.5, 0], L: [0.5, 0, 0], P: [1 - v, -v, 1 - v], P1: [v, v - 1, v - 1], Q: [e, e, e], Q1: [1 - e, -e, -e], Z: [0.5, -0.5, 0.5] },
        path: 'Γ-P-Z-Q-Γ-F-P1-Q1-L-Z',
      };
    }
    default:
      throw new PhononError(`internal error: no table for lattice ${kind}`);
  }
}

/** cos α, α the angle between the rhombohedral primitive vectors of a hexagonal-setting R cell. */
function rhombohedralCosine(conv: Structure): number {
  const p = mul3(RH, conv.cell);
  const v = (i: number) => [p[3 * i], p[3 * i + 1], p[3 * i + 2]];
  const a = v(0), b = v(1);
  return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (hypot3(a[0], a[1], a[2]) * hypot3(b[0], b[1], b[2]));
}

/** Lattice kind for the path table from a symmetry dataset. */
export function latticeKind(ds: SymmetryDataset): string {
  const n = ds.number;
  const centring = ds.internationalShort[0];
  const lat = ds.conventional.structure.lattice();
  if (n >= 195) return centring === 'F' ? 'FCC' : centring === 'I' ? 'BCC' : 'CUB';
  if (n >= 143) return centring === 'R' ? (rhombohedralCosine(ds.conventional.structure) > 0 ? 'RHL1' : 'RHL2') : 'HEX';
  if (n >= 75) return centring === 'I' ? (lat.c < lat.a ? 'BCT1' : 'BCT2') : 'TET';
  if (n >= 16 && centring === 'P') return 'ORC';
  return 'generic';
}

/** The standard path for `structure` (reduced q in the reciprocal basis of `structure`'s own cell). */
export function standardBandPath(structure: Structure, options: { symmetry?: AnalyzeOptions | number; dataset?: SymmetryDataset } = {}): BandPath {
  const ds = options.dataset ?? analyzeSymmetry(structure, options.symmetry ?? {});
  const kind = latticeKind(ds);
  const points: Record<string, [number, number, number]> = {};
  const toInput = (P: ArrayLike<number>, m: number[]): [number, number, number] => {
    // q_in = Pᵀ m
    const r = [0, 1, 2].map((k) => P[k] * m[0] + P[3 + k] * m[1] + P[6 + k] * m[2]);
    return r.map((x) => (Math.abs(x) < 1e-14 ? 0 : x)) as [number, number, number];
  };
  if (kind === 'generic') {
    const P = ds.primitive.transformationMatrix;
    const pts: Record<string, number[]> = { [G]: [0, 0, 0], X: [0.5, 0, 0], Y: [0, 0.5, 0], Z: [0, 0, 0.5] };
    for (const [l, k] of Object.entries(pts)) points[l] = toInput(P, k);
    return { kind, points, segments: parsePathSegments('Γ-X|Y-Γ-Z') };
  }
  const t = table(kind, ds.conventional.structure);
  const Ci = inv3(t.C);
  const P = ds.conventional.transformationMatrix;
  for (const [l, k] of Object.entries(t.points)) {
    const m = [0, 1, 2].map((r) => Ci[3 * r] * k[0] + Ci[3 * r + 1] * k[1] + Ci[3 * r + 2] * k[2]);
    points[l] = toInput(P, m);
  }
  return { kind, points, segments: parsePathSegments(t.path) };
}

const GAMMA_ALIASES = new Set(['G', 'Γ', 'GAMMA', 'Gamma', 'gamma', '\\Gamma']);
const SIGMA_ALIASES: Record<string, string> = { SIGMA: 'Σ', Sigma: 'Σ', SIGMA1: 'Σ1', Sigma1: 'Σ1', S1: 'Σ1' };

/** Split "G-X-M|R-G" (breaks: "|" or ",") into runs of labels (aliases not yet resolved). */
export function parsePathSegments(spec: string): string[][] {
  const runs = spec
    .split(/[|,]/)
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
    .map((r) => r.split('-').map((x) => x.trim()));
  if (runs.length === 0) throw new PhononError(`band path "${spec}" is empty`);
  for (const r of runs) {
    if (r.length < 2) throw new PhononError(`band path "${spec}": every run needs at least two points, got "${r.join('-')}"`);
    if (r.some((x) => x === '')) throw new PhononError(`band path "${spec}": empty label (doubled "-"?)`);
  }
  return runs;
}

/**
 * A path from a user string ("G-X-W|L-G") over the special points of `base` (e.g. standardBandPath).
 * Γ may be written G, Γ or Gamma; Σ as SIGMA. Unknown labels raise a PhononError listing the known ones.
 */
export function bandPathFromString(spec: string, base: BandPath): BandPath {
  const runs = parsePathSegments(spec);
  const resolve = (l: string): string => {
    if (GAMMA_ALIASES.has(l)) return G;
    if (SIGMA_ALIASES[l]) return SIGMA_ALIASES[l];
    if (l in base.points) return l;
    const ci = Object.keys(base.points).find((k) => k.toLowerCase() === l.toLowerCase());
    if (ci) return ci;
    throw new PhononError(
      `unknown special point "${l}" in band path "${spec}" for the ${base.kind} lattice; known points: ${Object.keys(base.points)
        .map((k) => (k === G ? 'G (Γ)' : k))
        .join(', ')}`,
    );
  };
  return { kind: base.kind, points: base.points, segments: runs.map((r) => r.map(resolve)) };
}

/** A custom path from explicit points (reduced q of the input cell) and runs of labels. */
export function customBandPath(points: Record<string, ArrayLike<number>>, segments: string[][]): BandPath {
  const pts: Record<string, [number, number, number]> = {};
  for (const [l, q] of Object.entries(points)) {
    if (q.length !== 3 || !Array.from(q).every(Number.isFinite)) throw new PhononError(`special point ${l}: expected 3 finite numbers`);
    pts[l] = [q[0], q[1], q[2]];
  }
  for (const r of segments) {
    if (r.length < 2) throw new PhononError('every run of a band path needs at least two points');
    for (const l of r) if (!(l in pts)) throw new PhononError(`band path uses "${l}", which is not among the given points (${Object.keys(pts).join(', ')})`);
  }
  return { kind: 'custom', points: pts, segments: segments.map((r) => [...r]) };
}

export interface BandSegment {
  from: string;
  to: string;
  /** Reduced q, 3 per point (endpoints included). */
  qpoints: Float64Array;
  /** Cumulative path length (Å⁻¹, reciprocal vectors without 2π). */
  distances: Float64Array;
  /** ν (THz), nbands per point. */
  frequencies: Float64Array;
}

export interface BandStructure {
  kind: string;
  nbands: number;
  segments: BandSegment[];
  /** Tick marks: path length and label ("X|U" where the path jumps). */
  ticks: { distance: number; label: string }[];
}

/** Frequencies along a path, `pointsPerSegment` (default 51) points per segment, endpoints included. */
export function bandStructure(dm: DynamicalMatrix, path: BandPath, options: { pointsPerSegment?: number } = {}): BandStructure {
  const np = options.pointsPerSegment ?? 51;
  if (!Number.isInteger(np) || np < 2) throw new PhononError(`pointsPerSegment must be an integer ≥ 2, got ${np}`);
  const B = reciprocal3(dm.forceConstants.primitive.cell);
  const nb = 3 * dm.natoms;
  const segments: BandSegment[] = [];
  const ticks: { distance: number; label: string }[] = [];
  let x = 0;
  path.segments.forEach((run, r) => {
    if (r > 0) ticks[ticks.length - 1].label += `|${run[0]}`;
    else ticks.push({ distance: 0, label: run[0] });
    for (let s = 0; s + 1 < run.length; s++) {
      const qa = path.points[run[s]], qb = path.points[run[s + 1]];
      if (!qa || !qb) throw new PhononError(`band path: unknown point ${qa ? run[s + 1] : run[s]}`);
      const dq = [0, 1, 2].map((k) => qb[k] - qa[k]);
      const dc = [0, 1, 2].map((k) => dq[0] * B[k] + dq[1] * B[3 + k] + dq[2] * B[6 + k]);
      const len = hypot3(dc[0], dc[1], dc[2]);
      const qpoints = new Float64Array(3 * np);
      const distances = new Float64Array(np);
      const frequencies = new Float64Array(np * nb);
      for (let i = 0; i < np; i++) {
        const t = i / (np - 1);
        for (let k = 0; k < 3; k++) qpoints[3 * i + k] = qa[k] + t * dq[k];
        distances[i] = x + t * len;
        frequencies.set(dm.frequencies(qpoints.subarray(3 * i, 3 * i + 3)), i * nb);
      }
      x += len;
      segments.push({ from: run[s], to: run[s + 1], qpoints, distances, frequencies });
      ticks.push({ distance: x, label: run[s + 1] });
    }
  });
  return { kind: path.kind, nbands: nb, segments, ticks };
}
