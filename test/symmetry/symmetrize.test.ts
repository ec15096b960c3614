// Symmetrisers (physics.md 3.2) and the acoustic sum rule (3.3). Invariance is checked with spglib's
// operations and atom maps from the fixtures (not with the code under test), and against quantities
// that are symmetric by construction (a central pair potential evaluated on the ideal structure).
import { beforeAll, describe, expect, test } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { inv3, mul3, transpose3 } from '../../src/structure/mat3.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry, applyAcousticSumRule, isIdentityRotation, supercellOperations, Symmetrizer } from '../../src/symmetry/index.js';
import { maxAbs, maxAbsDiff } from '../helpers/arrays.js';
import { centered, mulberry32 } from '../helpers/random.js';
import { readFixtureJson } from '../helpers/fixtures.js';

interface FxCase {
  name: string;
  cell: number[][];
  species: string[];
  frac: number[][];
  results: { rotations?: number[][][]; translations?: number[][]; atom_maps?: number[][] }[];
}
const FX: { cases: FxCase[] } = readFixtureJson('symmetry/spglib_reference.json');
const byName = (n: string) => FX.cases.find((c) => c.name === n)!;
const structureOf = (c: FxCase) => new Structure({ cell: c.cell.flat(), species: c.species, frac: c.frac.flat() });

// --- independent helpers -------------------------------------------------------------------------

const rng = (seed: number) => centered(mulberry32(seed));
const randomArray = (n: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, r);
};

/** spglib operations of a fixture as Cartesian rotations (R = Aᵀ W A⁻ᵀ) with spglib's atom maps. */
function spglibOps(c: FxCase) {
  const r = c.results[0];
  const A = c.cell.flat();
  const At = transpose3(A);
  const Ati = inv3(At);
  return r.rotations!.map((W, k) => ({ R: mul3(mul3(At, W.flat()), Ati), perm: r.atom_maps![k] }));
}

/** max_ij |R Φ[π⁻¹i, π⁻¹j] Rᵀ − Φ[i, j]| over the given operations (naive loops). */
function fcInvarianceError(phi: Float64Array, n: number, ops: { R: ArrayLike<number>; perm: ArrayLike<number> }[]) {
  const n3 = 3 * n;
  let worst = 0;
  for (const { R, perm } of ops) {
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        const i = perm[a], j = perm[b];
        for (let al = 0; al < 3; al++)
          for (let be = 0; be < 3; be++) {
            let s = 0;
            for (let g = 0; g < 3; g++) for (let d = 0; d < 3; d++) s += R[3 * al + g] * phi[(3 * a + g) * n3 + 3 * b + d] * R[3 * be + d];
            worst = Math.max(worst, Math.abs(s - phi[(3 * i + al) * n3 + 3 * j + be]));
          }
      }
  }
  return worst;
}

function vecInvarianceError(v: Float64Array, ops: { R: ArrayLike<number>; perm: ArrayLike<number> }[]) {
  let worst = 0;
  const n = v.length / 3;
  for (const { R, perm } of ops)
    for (let a = 0; a < n; a++)
      for (let al = 0; al < 3; al++) {
        const s = R[3 * al] * v[3 * a] + R[3 * al + 1] * v[3 * a + 1] + R[3 * al + 2] * v[3 * a + 2];
        worst = Math.max(worst, Math.abs(s - v[3 * perm[a] + al]));
      }
  return worst;
}

/** Plain definition: (1/|G|) Σ_g R_g Φ̃[π_g⁻¹(i), π_g⁻¹(j)] R_gᵀ with Φ̃ = (Φ + Φᵀ)/2. */
function naiveFcSymmetrize(phi: Float64Array, n: number, ops: { R: ArrayLike<number>; perm: ArrayLike<number> }[]) {
  const n3 = 3 * n;
  const sym = new Float64Array(n3 * n3);
  for (let r = 0; r < n3; r++) for (let c = 0; c < n3; c++) sym[r * n3 + c] = 0.5 * (phi[r * n3 + c] + phi[c * n3 + r]);
  const out = new Float64Array(n3 * n3);
  for (const { R, perm } of ops)
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        const i = perm[a], j = perm[b];
        for (let al = 0; al < 3; al++)
          for (let be = 0; be < 3; be++) {
            let s = 0;
            for (let g = 0; g < 3; g++) for (let d = 0; d < 3; d++) s += R[3 * al + g] * sym[(3 * a + g) * n3 + 3 * b + d] * R[3 * be + d];
            out[(3 * i + al) * n3 + 3 * j + be] += s / ops.length;
          }
      }
  return out;
}

/**
 * Force constants and forces of a central pair potential V_{st}(r) (species-dependent), summed over
 * periodic images within the cutoff: symmetric under every operation of the structure by construction
 * and translation invariant (Φ_ii = −Σ_{j≠i} Φ_ij).
 */
function pairModel(s: Structure, cutoff: number) {
  const n = s.natoms, n3 = 3 * n;
  const x = s.cartesian();
  const A = s.cell;
  const pairK = (a: string, b: string) => (a === b ? (a === 'S' ? 0.7 : 1.3) : 2.1);
  // V(r) = k exp(-r)/r ... any smooth function: use V'(r) and V''(r) of V = k e^{-r} (1 + r²)
  const d1 = (k: number, r: number) => k * Math.exp(-r) * (2 * r - 1 - r * r);
  const d2 = (k: number, r: number) => k * Math.exp(-r) * (r * r - 4 * r + 3);
  const phi = new Float64Array(n3 * n3);
  const force = new Float64Array(n3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let t0 = -3; t0 <= 3; t0++)
        for (let t1 = -3; t1 <= 3; t1++)
          for (let t2 = -3; t2 <= 3; t2++) {
            if (i === j && t0 === 0 && t1 === 0 && t2 === 0) continue;
            const r = [0, 1, 2].map((k) => x[3 * j + k] + t0 * A[k] + t1 * A[3 + k] + t2 * A[6 + k] - x[3 * i + k]);
            const d = Math.hypot(r[0], r[1], r[2]);
            if (d > cutoff) continue;
            const k = pairK(s.species[i], s.species[j]);
            const u = r.map((v) => v / d);
            for (let a = 0; a < 3; a++) force[3 * i + a] += d1(k, d) * u[a];
            if (i === j) continue; // self-images: constant energy, no contribution
            for (let a = 0; a < 3; a++)
              for (let b = 0; b < 3; b++) {
                const h = d2(k, d) * u[a] * u[b] + (d1(k, d) / d) * ((a === b ? 1 : 0) - u[a] * u[b]);
                phi[(3 * i + a) * n3 + 3 * j + b] -= h;
                phi[(3 * i + a) * n3 + 3 * i + b] += h;
              }
          }
  return { phi, force };
}

function rowSumError(phi: Float64Array, n: number) {
  const n3 = 3 * n;
  let worst = 0;
  for (let r = 0; r < n3; r++)
    for (let be = 0; be < 3; be++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += phi[r * n3 + 3 * j + be];
      worst = Math.max(worst, Math.abs(s));
    }
  return worst;
}

const transposeError = (phi: Float64Array, n3: number) => {
  let w = 0;
  for (let i = 0; i < n3; i++) for (let j = 0; j < n3; j++) w = Math.max(w, Math.abs(phi[i * n3 + j] - phi[j * n3 + i]));
  return w;
};

// --- tests ------------------------------------------------------------------------------------------

describe('symmetrisers', () => {
  beforeAll(() => {
    loadMoyo();
  });
  const report: string[] = [];

  test('force constants, 2×2×2 H3S Im-3m supercell (32 atoms, 384 operations)', () => {
    const c = byName('H3S_Im-3m_prim_222');
    const s = structureOf(c);
    const n = s.natoms, n3 = 3 * n;
    const sym = Symmetrizer.of(s, analyzeSymmetry(s));
    expect(sym.order).toBe(384);
    expect(sym.factorised).toBe(true);
    expect(sym.referenceAtoms.length).toBe(4);
    expect(sym.orthogonalityError).toBeLessThan(1e-14);
    const ops = spglibOps(c);
    const phi = randomArray(n3 * n3, 7);
    const ps = sym.forceConstants(phi);
    const scale = maxAbs(ps);
    const inv = fcInvarianceError(ps, n, ops) / scale;
    const naive = maxAbsDiff(ps, naiveFcSymmetrize(phi, n, ops)) / scale;
    const idem = maxAbsDiff(sym.forceConstants(ps), ps) / scale;
    const tr = transposeError(ps, n3);
    expect(inv).toBeLessThan(1e-12);
    expect(naive).toBeLessThan(1e-12);
    expect(idem).toBeLessThan(1e-12);
    expect(tr).toBe(0);
    // the random input was far from symmetric
    expect(fcInvarianceError(phi, n, ops.slice(1, 5)) / maxAbs(phi)).toBeGreaterThan(0.1);

    // on-site blocks: S (m-3m) isotropic c·𝟙; H (4/mmm) diagonal with two equal entries
    let sIso = 0;
    let hTet = 0;
    for (let i = 0; i < n; i++) {
      const b = [0, 1, 2].flatMap((al) => [0, 1, 2].map((be) => ps[(3 * i + al) * n3 + 3 * i + be]));
      const off = Math.max(Math.abs(b[1]), Math.abs(b[2]), Math.abs(b[3]), Math.abs(b[5]), Math.abs(b[6]), Math.abs(b[7]));
      const d = [b[0], b[4], b[8]].sort((u, v) => u - v);
      if (s.species[i] === 'S') sIso = Math.max(sIso, off, Math.abs(b[0] - b[4]), Math.abs(b[0] - b[8]));
      else hTet = Math.max(hTet, off, Math.min(Math.abs(d[0] - d[1]), Math.abs(d[1] - d[2])));
    }
    expect(sIso / scale).toBeLessThan(1e-12);
    expect(hTet / scale).toBeLessThan(1e-12);

    // ASR: rows sum to zero, still invariant and symmetric, idempotent, equals P Φ P with explicit P
    const pa = applyAcousticSumRule(ps, n);
    const rs = rowSumError(pa, n) / scale;
    const invA = fcInvarianceError(pa, n, ops) / scale;
    const idemA = maxAbsDiff(applyAcousticSumRule(pa, n), pa) / scale;
    expect(rs).toBeLessThan(1e-12);
    expect(invA).toBeLessThan(1e-12);
    expect(idemA).toBeLessThan(1e-12);
    expect(transposeError(pa, n3) / scale).toBeLessThan(1e-14);
    const P = new Float64Array(n3 * n3);
    for (let r = 0; r < n3; r++) for (let q = 0; q < n3; q++) P[r * n3 + q] = (r === q ? 1 : 0) - (r % 3 === q % 3 ? 1 / n : 0);
    const mm = (X: Float64Array, Y: Float64Array) => {
      const Z = new Float64Array(n3 * n3);
      for (let i = 0; i < n3; i++) for (let k = 0; k < n3; k++) for (let j = 0; j < n3; j++) Z[i * n3 + j] += X[i * n3 + k] * Y[k * n3 + j];
      return Z;
    };
    const explicit = maxAbsDiff(mm(mm(P, ps), P), pa) / scale;
    expect(explicit).toBeLessThan(1e-12);
    // forceConstants(..., { asr: true }) is the same as symmetrise then ASR
    expect(maxAbsDiff(sym.forceConstants(phi, { asr: true }), pa) / scale).toBeLessThan(1e-14);

    // a quantity symmetric by construction is left unchanged (and already obeys the ASR)
    const { phi: pp } = pairModel(s, 3.6);
    const ppScale = maxAbs(pp);
    const unchanged = maxAbsDiff(sym.forceConstants(pp), pp) / ppScale;
    expect(unchanged).toBeLessThan(1e-12);
    expect(maxAbsDiff(applyAcousticSumRule(pp, n), pp) / ppScale).toBeLessThan(1e-12);
    expect(fcInvarianceError(pp, n, ops) / ppScale).toBeLessThan(1e-12);

    report.push(
      `FC 32 atoms: invariance ${inv.toExponential(2)}, vs naive ${naive.toExponential(2)}, idempotence ${idem.toExponential(2)}, ` +
        `|Φ−Φᵀ| ${tr}, S-block anisotropy ${(sIso / scale).toExponential(2)}, H-block ${(hTet / scale).toExponential(2)}; ` +
        `ASR row sums ${rs.toExponential(2)}, invariance after ASR ${invA.toExponential(2)}, ASR idempotence ${idemA.toExponential(2)}, ` +
        `vs explicit PΦP ${explicit.toExponential(2)}; pair-potential Φ changed by ${unchanged.toExponential(2)} (relative to max |Φ|)`,
    );
  });

  test('vectors and positions, H3S R3m (12 operations, polar)', () => {
    const c = byName('H3S_R3m_conv');
    const s = structureOf(c);
    const ds = analyzeSymmetry(s);
    const sym = Symmetrizer.of(s, ds);
    const ops = spglibOps(c);
    const v = randomArray(3 * s.natoms, 11);
    const vs = sym.vector(v);
    const inv = vecInvarianceError(vs, ops) / maxAbs(vs);
    const idem = maxAbsDiff(sym.vector(vs), vs) / maxAbs(vs);
    expect(maxAbs(vs)).toBeGreaterThan(0.05); // polar group: symmetric vectors need not vanish
    expect(inv).toBeLessThan(1e-14);
    expect(idem).toBeLessThan(1e-14);
    // S sits on the 3-fold axis along [111] (the cell is strained along [111] only): force ∥ (1,1,1)
    for (let i = 0; i < s.natoms; i++) {
      if (s.species[i] !== 'S') continue;
      expect(Math.abs(vs[3 * i] - vs[3 * i + 1]) + Math.abs(vs[3 * i] - vs[3 * i + 2])).toBeLessThan(1e-14);
    }
    // pair-potential forces are symmetric by construction
    const { force } = pairModel(s, 3.6);
    const fUnchanged = maxAbsDiff(sym.vector(force), force) / maxAbs(force);
    expect(maxAbs(force)).toBeGreaterThan(1e-3);
    expect(fUnchanged).toBeLessThan(1e-12);

    // positions: symmetrise displacements from the reference, never absolute coordinates
    const du = randomArray(3 * s.natoms, 5).map((x) => 0.02 * x);
    const frac = s.frac.map((x, k) => x + du[k] + (k % 5 === 0 ? 1 : k % 7 === 0 ? -1 : 0)); // some atoms wrapped
    const moved = s.with({ frac });
    expect(analyzeSymmetry(moved, 1e-3).number).toBe(1);
    const fixed = sym.positions(moved, s);
    const back = analyzeSymmetry(fixed, 1e-8);
    expect(back.number).toBe(160);
    // the wrapping of the input is kept: result − input is small for every coordinate
    let jump = 0;
    for (let k = 0; k < frac.length; k++) jump = Math.max(jump, Math.abs(fixed.frac[k] - frac[k]));
    expect(jump).toBeLessThan(0.1);
    // symmetrising again changes nothing
    expect(maxAbsDiff(sym.positions(fixed, s).frac, fixed.frac)).toBeLessThan(1e-15);
    report.push(
      `vector R3m: invariance ${inv.toExponential(2)}, idempotence ${idem.toExponential(2)}, pair forces changed by ${fUnchanged.toExponential(2)}; ` +
        `positions with 0.02 displacements → space group ${back.number} at symprec 1e-8`,
    );
  });

  test('force constants with non-cubic rotations (hexagonal and rhombohedral cells)', () => {
    for (const name of ['Mg_hcp', 'ZnO_wurtzite', 'H3S_R3m_conv']) {
      const c = byName(name);
      const s = structureOf(c);
      const n = s.natoms, n3 = 3 * n;
      const sym = Symmetrizer.of(s, analyzeSymmetry(s));
      const ops = spglibOps(c);
      const phi = randomArray(n3 * n3, 21);
      const ps = sym.forceConstants(phi, { asr: true });
      const scale = maxAbs(ps);
      const inv = fcInvarianceError(ps, n, ops) / scale;
      const naive = maxAbsDiff(sym.forceConstants(phi), naiveFcSymmetrize(phi, n, ops)) / scale;
      const idem = maxAbsDiff(sym.forceConstants(ps, { asr: true }), ps) / scale;
      const { phi: pp } = pairModel(s, 3.6);
      const unchanged = maxAbsDiff(sym.forceConstants(pp, { asr: true }), pp) / maxAbs(pp);
      expect(inv, name).toBeLessThan(1e-12);
      expect(naive, name).toBeLessThan(1e-12);
      expect(idem, name).toBeLessThan(1e-12);
      expect(unchanged, name).toBeLessThan(1e-12);
      expect(rowSumError(ps, n) / scale).toBeLessThan(1e-12);
      report.push(
        `FC ${name}: invariance ${inv.toExponential(2)}, vs naive ${naive.toExponential(2)}, idempotence ${idem.toExponential(2)}, pair-potential Φ changed by ${unchanged.toExponential(2)}`,
      );
    }
  });

  test('vectors vanish where every site is centrosymmetric (Im-3m)', () => {
    const s = structureOf(byName('H3S_Im-3m_conv'));
    const sym = Symmetrizer.of(s, analyzeSymmetry(s));
    const vs = sym.vector(randomArray(3 * s.natoms, 3));
    expect(maxAbs(vs)).toBeLessThan(1e-16);
  });

  test('stress-like tensors: isotropic for cubic, uniaxial for hexagonal', () => {
    const t = Float64Array.of(1.3, 0.2, -0.4, 0.2, -0.7, 0.5, -0.4, 0.5, 2.1);
    const cub = structureOf(byName('H3S_Im-3m_conv'));
    const tc = Symmetrizer.of(cub, analyzeSymmetry(cub)).tensor(t);
    const p = (t[0] + t[4] + t[8]) / 3;
    expect(maxAbsDiff(tc, [p, 0, 0, 0, p, 0, 0, 0, p])).toBeLessThan(1e-15);
    const hcp = structureOf(byName('Mg_hcp'));
    const th = Symmetrizer.of(hcp, analyzeSymmetry(hcp)).tensor(t);
    const q = (t[0] + t[4]) / 2;
    expect(maxAbsDiff(th, [q, 0, 0, 0, q, 0, 0, 0, t[8]])).toBeLessThan(1e-15);
    report.push(`tensor: cubic → ${tc[0].toFixed(6)}·𝟙 (tr/3 = ${p.toFixed(6)}), hcp → diag(${th[0].toFixed(4)}, ${th[4].toFixed(4)}, ${th[8].toFixed(4)})`);
  });

  test('256-atom 4×4×4 supercell with 3072 operations: speed and invariance', () => {
    const s = structureOf(byName('H3S_Im-3m_prim_444'));
    const n = s.natoms, n3 = 3 * n;
    const t0 = performance.now();
    const ds = analyzeSymmetry(s);
    const t1 = performance.now();
    const sym = Symmetrizer.of(s, ds);
    const t2 = performance.now();
    const phi = randomArray(n3 * n3, 99);
    const ps = sym.forceConstants(phi);
    const t3 = performance.now();
    sym.forceConstants(phi, { out: ps, asr: true });
    const t4 = performance.now();
    const vs = sym.vector(randomArray(n3, 4));
    const t5 = performance.now();
    expect(sym.order).toBe(3072);
    expect(sym.representativeOps.length).toBe(48);
    expect(sym.translationOps.length).toBe(64);

    // invariance under generators of G: the 48 point operations with zero translation and the three
    // primitive translations (checked with the operations of the primitive cell mapped to the supercell)
    const prim = structureOf(byName('H3S_Im-3m_prim'));
    const primDs = analyzeSymmetry(prim);
    const M = [4, 0, 0, 0, 4, 0, 0, 0, 4];
    const sc = supercellOperations(s, primDs.operations, M);
    const A = s.cell, At = transpose3(A), Ati = inv3(At);
    const gens = sc.operations
      .map((op, g) => ({ op, perm: sc.atomMaps[g], R: mul3(mul3(At, Array.from(op.rotation)), Ati) }))
      .filter(({ op }, g) => g % 64 === 0 || (isIdentityRotation(op.rotation) && isPrimitiveTranslation(op.translation)));
    expect(gens.length).toBe(48 + 3);
    const scale = maxAbs(ps);
    const inv = fcInvarianceError(ps, n, gens) / scale;
    expect(inv).toBeLessThan(1e-12);
    expect(rowSumError(ps, n) / scale).toBeLessThan(1e-12);
    expect(transposeError(ps, n3)).toBe(0);
    // the symmetriser built from supercellOperations gives the same matrix
    const ps2 = new Symmetrizer(s.cell, sc).forceConstants(phi, { asr: true });
    expect(maxAbsDiff(ps2, ps) / scale).toBeLessThan(1e-13);
    expect(maxAbs(vs)).toBeLessThan(1e-16);
    report.push(
      `256 atoms: analyse ${(t1 - t0).toFixed(0)} ms, Symmetrizer ${(t2 - t1).toFixed(0)} ms, Φ symmetrise ${(t3 - t2).toFixed(0)} ms, ` +
        `Φ symmetrise+ASR ${(t4 - t3).toFixed(0)} ms, vector ${(t5 - t4).toFixed(1)} ms; invariance under generators ${inv.toExponential(2)}`,
    );
    expect(t3 - t2).toBeLessThan(5000);
  });

  test('report', () => {
    console.log(report.join('\n'));
  });
});

/** Supercell translation by one primitive lattice vector (1/4 along one axis of the 4×4×4 cell). */
function isPrimitiveTranslation(t: ArrayLike<number>): boolean {
  const nz = [0, 1, 2].filter((k) => Math.abs(t[k]) > 1e-12);
  return nz.length === 1 && Math.abs(t[nz[0]] - 0.25) < 1e-12;
}
