// MaxVol active set and extrapolation grade (physics.md 6.6): brute force on small matrices, grades of
// training rows, rank-deficient data, selection from a pool, JSON round trip.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActiveSet, buildActiveSet, collectRows, luInverse, maxvol, MAXVOL_TOLERANCE, selectCandidates,
} from '../../src/mlip/active-set.js';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { eye, matmul, maxAbsDiff } from '../helpers/arrays.js';
import { mulberry32 } from '../helpers/random.js';
import { ChebyshevPairBasis } from './pair-basis.js';
import { rattledCubic } from './structures.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

/** Determinant by Laplace/Gaussian elimination in plain JS (independent of invert). */
function det(a: number[], n: number): number {
  const b = [...a];
  let d = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(b[r * n + c]) > Math.abs(b[p * n + c])) p = r;
    if (b[p * n + c] === 0) return 0;
    if (p !== c) {
      for (let j = 0; j < n; j++) [b[c * n + j], b[p * n + j]] = [b[p * n + j], b[c * n + j]];
      d = -d;
    }
    d *= b[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = b[r * n + c] / b[c * n + c];
      for (let j = c; j < n; j++) b[r * n + j] -= f * b[c * n + j];
    }
  }
  return d;
}

const sub = (x: Float64Array, idx: ArrayLike<number>, m: number) => Array.from(idx).flatMap((i) => Array.from(x.subarray(i * m, i * m + m)));

function* combinations(n: number, m: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === m) {
    yield prefix;
    return;
  }
  for (let i = start; i < n; i++) yield* combinations(n, m, i + 1, [...prefix, i]);
}

describe('dense helpers', () => {
  it('invert gives A A⁻¹ = I', () => {
    const r = mulberry32(1);
    const n = 7;
    const a = Float64Array.from({ length: n * n }, () => r() - 0.5);
    expect(maxAbsDiff(matmul(a, luInverse(a, n), n, n, n), eye(n))).toBeLessThan(1e-12);
    expect(() => luInverse([1, 2, 2, 4], 2)).toThrow(/singular/);
  });
});

describe('maxvol against brute force', () => {
  it('ends with |C| ≤ 1 + 1e-3, no single swap increases |det A|, and |det A| is close to the global maximum', () => {
    let globalHits = 0;
    const trials = 30;
    for (let seed = 1; seed <= trials; seed++) {
      const r = mulberry32(seed);
      const n = 10, m = 3 + (seed % 2);
      const x = Float64Array.from({ length: n * m }, () => r() - 0.5);
      const res = maxvol(k, x, n, m, Array.from({ length: m }, (_, j) => j));
      expect(res.maxC).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
      const c = matmul(x, res.inverse, n, m, m);
      for (const v of c) expect(Math.abs(v)).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE + 1e-12);
      const d = Math.abs(det(sub(x, res.active, m), m));
      // Every single swap (row j of A replaced by any other row i).
      for (let j = 0; j < m; j++)
        for (let i = 0; i < n; i++) {
          if (Array.from(res.active).includes(i)) continue;
          const idx = Array.from(res.active);
          idx[j] = i;
          expect(Math.abs(det(sub(x, idx, m), m))).toBeLessThanOrEqual(d * (1 + MAXVOL_TOLERANCE) + 1e-14);
        }
      let best = 0;
      for (const idx of combinations(n, m)) best = Math.max(best, Math.abs(det(sub(x, idx, m), m)));
      // A dominant submatrix has at least 1/m^(m/2) of the largest volume (Goreinov & Tyrtyshnikov).
      expect(d).toBeGreaterThanOrEqual(best / m ** (m / 2));
      if (d >= best * (1 - 1e-12)) globalHits++;
    }
    // On such small random problems the local optimum is mostly the global one.
    expect(globalHits).toBeGreaterThan(trials / 2);
  });
});

const basis = new ChebyshevPairBasis({ species: ['Ar', 'Kr'], size: 6, rmin: 1.5, rcut: 5.0 });
const configs = (count: number, seed: number, opts: { a?: number; rattle?: number } = {}) =>
  Array.from({ length: count }, (_, c) =>
    rattledCubic({ seed: seed * 1000 + c, n: 2, a: opts.a ?? 2.7, species: ['Ar', 'Kr'], randomSpecies: true, rattle: opts.rattle ?? 0.15 }),
  );

describe('active set of training data', () => {
  it('neighbourhood mode: every training atom has γ ≤ 1 + 1e-3, active rows γ = 1', () => {
    const train = configs(8, 1);
    const { rows, sources } = collectRows(basis, train, 'neighbourhood');
    const { activeSet } = buildActiveSet(k, 'neighbourhood', rows, sources, basis.nParams);
    expect(activeSet.virtualRows).toBe(0);
    const g = activeSet.gradeRows(k, rows, sources.length);
    expect(Math.max(...g)).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
    for (const s of activeSet.sources) {
      const i = sources.findIndex((t) => t.config === s.config && t.atom === s.atom);
      expect(g[i]).toBeCloseTo(1, 9);
    }
    for (const s of train) expect(activeSet.grade(k, basis, s).grade).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
    // A configuration far outside (compressed by 20 %) extrapolates.
    const squeezed = rattledCubic({ seed: 77, n: 2, a: 2.1, species: ['Ar', 'Kr'], randomSpecies: true });
    const out = activeSet.grade(k, basis, squeezed);
    expect(out.grade).toBeGreaterThan(2);
    expect(out.atoms!.length).toBe(8);
    expect(Math.max(...out.atoms!)).toBe(out.grade);
  });

  it('the grade does not depend on the units of the columns', () => {
    const train = configs(6, 2);
    const { rows, sources } = collectRows(basis, train, 'neighbourhood');
    const m = basis.nParams;
    const d = Float64Array.from({ length: m }, (_, j) => 10 ** ((j % 5) - 2));
    const scaled = rows.map((v, t) => v * d[t % m]);
    const a = buildActiveSet(k, 'neighbourhood', rows, sources, m).activeSet;
    const b = buildActiveSet(k, 'neighbourhood', scaled, sources, m).activeSet;
    const probe = collectRows(basis, configs(2, 3, { rattle: 0.4 }), 'neighbourhood');
    const ga = a.gradeRows(k, probe.rows, probe.sources.length);
    const gb = b.gradeRows(k, probe.rows.map((v, t) => v * d[t % m]), probe.sources.length);
    for (let i = 0; i < ga.length; i++) expect(gb[i]).toBeCloseTo(ga[i], 6);
  });

  it('configuration mode with fewer configurations than parameters: virtual rows, training γ ≤ 1, new configurations extrapolate', () => {
    const train = configs(5, 4);
    const { rows, sources } = collectRows(basis, train, 'configuration');
    const { activeSet } = buildActiveSet(k, 'configuration', rows, sources, basis.nParams);
    expect(activeSet.virtualRows).toBe(basis.nParams - 5);
    for (const s of train) expect(activeSet.grade(k, basis, s).grade).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
    expect(activeSet.grade(k, basis, configs(1, 5)[0]).grade).toBeGreaterThan(1e3);
  });
});

describe('selection from a pool', () => {
  it('skips known configurations, takes one of two identical new ones, respects the cap', () => {
    const train = configs(6, 6);
    const { rows, sources } = collectRows(basis, train, 'neighbourhood');
    const { activeSet } = buildActiveSet(k, 'neighbourhood', rows, sources, basis.nParams);
    const fresh = configs(6, 7, { a: 2.35, rattle: 0.3 });
    const pool = [train[0], fresh[0], train[3], fresh[0], ...fresh.slice(1)];
    const cand = pool.map((s) => activeSet.configRows(basis, s));
    const sel = selectCandidates(k, activeSet, cand, { cap: 20 });
    expect(sel.grades[0]).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
    expect(sel.grades[2]).toBeLessThanOrEqual(1 + MAXVOL_TOLERANCE);
    expect(sel.selected).not.toContain(0);
    expect(sel.selected).not.toContain(2);
    expect(sel.selected.length).toBeGreaterThan(0);
    // The two copies of fresh[0] cannot both own rows of the new active set (identical rows).
    expect(sel.selected.includes(1) && sel.selected.includes(3)).toBe(false);
    // Sorted by decreasing grade; the cap keeps the highest.
    for (let i = 1; i < sel.selected.length; i++) expect(sel.grades[sel.selected[i - 1]]).toBeGreaterThanOrEqual(sel.grades[sel.selected[i]]);
    const capped = selectCandidates(k, activeSet, cand, { cap: 2 });
    expect(capped.selected).toEqual(sel.selected.slice(0, 2));
  });
});

describe('JSON', () => {
  it('round-trips exactly and reports malformed fields', () => {
    const { rows, sources } = collectRows(basis, configs(4, 8), 'neighbourhood');
    const { activeSet } = buildActiveSet(k, 'neighbourhood', rows, sources, basis.nParams);
    const back = ActiveSet.fromJSON(JSON.parse(JSON.stringify(activeSet)), basis.nParams);
    expect(Array.from(back.inverse)).toEqual(Array.from(activeSet.inverse));
    expect(back.sources).toEqual(activeSet.sources);
    // Rows as nested arrays are read too.
    const m = basis.nParams;
    const j = JSON.parse(JSON.stringify(activeSet));
    expect(typeof j.rows).toBe('string');
    j.rows = Array.from({ length: m }, (_, r) => Array.from(activeSet.rows.subarray(r * m, r * m + m)));
    expect(Array.from(ActiveSet.fromJSON(j, m).inverse)).toEqual(Array.from(activeSet.inverse));
    j.rows[3] = j.rows[3].slice(1);
    expect(() => ActiveSet.fromJSON(j, m)).toThrow(/activeSet\.rows\[3\]: must be an array of 20 finite numbers/);
    j.rows[3] = j.rows[2];
    expect(() => ActiveSet.fromJSON(j, m)).toThrow(/activeSet\.rows: the active set matrix is singular/);
    expect(() => ActiveSet.fromJSON({ ...j, rows: 'AAAA' }, m)).toThrow(/activeSet\.rows: must encode 20×20 float64 values in base64/);
    expect(() => ActiveSet.fromJSON({ ...j, rows: '#!' }, m)).toThrow(/activeSet\.rows: must encode/);
    expect(() => ActiveSet.fromJSON({ ...j, mode: 'atoms' }, basis.nParams)).toThrow(/activeSet\.mode/);
  });
});
