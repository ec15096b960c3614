// The enumerated MTP basis: the level-8 example of physics.md 6.3, completeness against a brute-force
// evaluation of every contraction graph, reproducible enumeration, JSON round trip, the R_min domain
// error, unknown species, and the Calculator wrapper.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { MtpBasis, MtpDomainError, MtpSpecError, mtpCalculator } from '../../src/mlip/mtp.js';
import { CalculatorError } from '../../src/calculators/calculator.js';
import { Structure } from '../../src/structure/structure.js';
import { mulberry32 } from '../helpers/random.js';
import { balancedTheta, h3sCell } from './mtp-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

/** Numerical rank of the columns of an m × n row-major matrix (modified Gram-Schmidt, columns normalised). */
function rank(a: Float64Array, m: number, n: number, tol = 1e-8): number {
  const kept: Float64Array[] = [];
  for (let c = 0; c < n; c++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = a[i * n + c];
    let nv = Math.hypot(...v);
    if (!(nv > 0)) continue;
    v.forEach((x, i) => (v[i] = x / nv));
    for (let pass = 0; pass < 2; pass++) {
      for (const u of kept) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= d * u[i];
      }
    }
    nv = Math.hypot(...v);
    if (nv > tol) kept.push(v.map((x) => x / nv));
  }
  return kept.length;
}

describe('MTP basis enumeration', () => {
  it('single species, two radial channels, level 8: the 9 functions of physics.md 6.3', () => {
    const b = MtpBasis.create(k, { species: ['Si'], level: 8, radialSize: 2, rcut: 5, rmin: 1 });
    expect(b.nBasis).toBe(9);
    expect(b.nParams).toBe(10);
    // M00, M10, M00², M01·M01, M02:M02, M00M10, M00³, M00(M01·M01), M00⁴ (levels 2 6 4 6 8 8 6 8 8)
    expect([...b.dag.outputLevels].sort((p, q) => p - q)).toEqual([2, 4, 6, 6, 6, 8, 8, 8, 8]);
    const names = new Set(b.dag.outputNames);
    for (const n of ['M0,0', 'M1,0', '(M0,1·M0,1)', '(M0,2:M0,2)', '(M0,0×M1,0)']) expect(names.has(n)).toBe(true);
    b.dispose();
  });

  it('spans every contraction graph of the moments (single species, level 12, brute force)', () => {
    const L = 12, rc = 4.0, rmin = 0.1;
    const b = MtpBasis.create(k, { species: ['Si'], level: L, radialSize: 3, rcut: rc, rmin });
    // moments (μ, ν) of level ≤ L − 2 (a scalar alone, M_{μ,0}, may reach L)
    const moments: [number, number][] = [];
    for (let mu = 0; 2 + 4 * mu <= L; mu++) for (let nu = 0; 2 + 4 * mu + nu <= L; nu++) moments.push([mu, nu]);
    const lev = ([mu, nu]: [number, number]) => 2 + 4 * mu + nu;
    // graphs: a multiset of moments (non-decreasing indices) and edge multiplicities e_ab (a < b)
    type Graph = { f: [number, number][]; e: number[][] };
    const graphs: Graph[] = [];
    const edges = (deg: number[]): number[][][] => {
      const k2 = deg.length;
      const out: number[][][] = [];
      const e = deg.map(() => new Array(k2).fill(0));
      const rest = [...deg];
      const rec = (a: number, bb: number) => {
        if (a === k2) { if (rest.every((x) => x === 0)) out.push(e.map((r) => [...r])); return; }
        if (bb === k2) { if (rest[a] === 0) rec(a + 1, a + 2); return; }
        for (let m = 0; m <= Math.min(rest[a], rest[bb]); m++) {
          e[a][bb] = e[bb][a] = m; rest[a] -= m; rest[bb] -= m;
          rec(a, bb + 1);
          rest[a] += m; rest[bb] += m; e[a][bb] = e[bb][a] = 0;
        }
      };
      rec(0, 1);
      return out;
    };
    const multisets = (start: number, left: number, cur: number[]) => {
      if (cur.length) {
        const f = cur.map((q) => moments[q]);
        for (const e of edges(f.map((m) => m[1]))) graphs.push({ f, e });
      }
      for (let q = start; q < moments.length; q++) if (lev(moments[q]) <= left) multisets(q, left - lev(moments[q]), [...cur, q]);
    };
    multisets(0, L, []);
    // environments: one centre atom in a big box, 7 neighbours at random distances in (rmin, rc)
    const r = mulberry32(77);
    const nEnv = 2 * b.nBasis + 20, NB = 6;
    const B = new Float64Array(nEnv * b.nBasis), G = new Float64Array(nEnv * graphs.length);
    const Q = (mu: number, d: number) => {
      const s = (2 * d - rmin - rc) / (rc - rmin);
      const T = [1, s];
      for (let q = 2; q <= mu; q++) T.push(2 * s * T[q - 1] - T[q - 2]);
      return T[mu] * (rc - d) ** 2;
    };
    for (let env = 0; env < nEnv; env++) {
      let pos: number[] = [15, 15, 15];
      let u: number[][] = [], dist: number[] = [];
      for (let j = 0; j < NB; j++) {
        if (j === 0) { pos = [15, 15, 15]; u = []; dist = []; }
        let v = [r() - 0.5, r() - 0.5, r() - 0.5];
        const nv = Math.hypot(...v);
        v = v.map((x) => x / nv);
        const d = 1.3 + 2.6 * r(); // 1.3-3.9 Å from the centre (only the centre's row is used)
        const p = [15 + d * v[0], 15 + d * v[1], 15 + d * v[2]];
        // keep the neighbours apart (> 0.2 Å), else draw this one again
        let close = false;
        for (let q = 0; q < pos.length; q += 3) if (Math.hypot(p[0] - pos[q], p[1] - pos[q + 1], p[2] - pos[q + 2]) < 0.2) close = true;
        if (close) { j--; continue; }
        u.push(v);
        dist.push(d);
        pos.push(...p);
      }
      const s = new Structure({ cell: [30, 0, 0, 0, 30, 0, 0, 0, 30], species: Array(NB + 1).fill('Si'), cartesian: pos });
      const rows = b.design(s, { atoms: true }).atoms!;
      for (let a = 0; a < b.nBasis; a++) B[env * b.nBasis + a] = rows[b.column(0, a)];
      graphs.forEach((g, gi) => {
        // Σ over neighbour tuples of Π Q_μ(r_j) Π (r̂_ja · r̂_jb)^e_ab
        const kf = g.f.length;
        const idx = new Array(kf).fill(0);
        let total = 0;
        for (;;) {
          let p = 1;
          for (let a = 0; a < kf; a++) p *= Q(g.f[a][0], dist[idx[a]]);
          for (let a = 0; a < kf; a++) for (let c = a + 1; c < kf; c++) {
            if (!g.e[a][c]) continue;
            const ua = u[idx[a]], uc = u[idx[c]];
            p *= (ua[0] * uc[0] + ua[1] * uc[1] + ua[2] * uc[2]) ** g.e[a][c];
          }
          total += p;
          let q = 0;
          while (q < kf && ++idx[q] === NB) idx[q++] = 0;
          if (q === kf) break;
        }
        G[env * graphs.length + gi] = total;
      });
    }
    const nb = b.nBasis, ng = graphs.length;
    const both = new Float64Array(nEnv * (nb + ng));
    for (let e = 0; e < nEnv; e++) {
      both.set(B.subarray(e * nb, e * nb + nb), e * (nb + ng));
      both.set(G.subarray(e * ng, e * ng + ng), e * (nb + ng) + nb);
    }
    expect(ng).toBeGreaterThanOrEqual(nb);
    expect(rank(B, nEnv, nb)).toBe(nb); // independent
    expect(rank(G, nEnv, ng)).toBe(nb); // the graphs span exactly as much...
    expect(rank(both, nEnv, nb + ng)).toBe(nb); // ...and the same space
    b.dispose();
  });

  it('enumeration is reproducible and the JSON round trip rebuilds the same basis', () => {
    const spec = { species: ['H', 'S'], level: 12, rcut: 4.0, rmin: 0.5 };
    const a = MtpBasis.create(k, spec);
    const json = JSON.parse(JSON.stringify(a.toJSON()));
    const b = MtpBasis.fromJSON(k, json, { verify: true });
    expect(b.nParams).toBe(a.nParams);
    const s = h3sCell(41);
    const th = balancedTheta(a, s, 1);
    const ea = a.evaluate(s, th), eb = b.evaluate(s, th);
    expect(eb.energy).toBe(ea.energy);
    expect(Array.from(eb.forces)).toEqual(Array.from(ea.forces));
    // a tampered DAG is caught by verification, a malformed one by validation
    const bad = JSON.parse(JSON.stringify(json));
    bad.dag.coefs[3] *= 1.5;
    expect(() => MtpBasis.fromJSON(k, bad, { verify: true })).toThrow(/differs from the enumeration/);
    const bad2 = JSON.parse(JSON.stringify(json));
    bad2.dag.terms[bad2.dag.terms.length - 1] = 0;
    expect(() => MtpBasis.fromJSON(k, bad2)).toThrow(MtpSpecError);
    expect(() => MtpBasis.fromJSON(k, { ...json, version: 99 })).toThrow(/version/);
    a.dispose();
    b.dispose();
  });

  it('species-resolved counts: penalty 0 resolves every factor, the default penalty 2 fewer', () => {
    const full = MtpBasis.create(k, { species: ['H', 'S'], level: 8, radialSize: 2, rcut: 4, rmin: 0.5, speciesPenalty: 0 });
    // each of the 9 single-species functions with f factors gives f + 1 species combinations
    // (products of equal-rank factors) or more (distinct factors): M00 → 2, M00² → 3, M01·M01 → 3,
    // M02:M02 → 3, M10 → 2, M00M10 → 4, M00³ → 4, M00(M01·M01) → 6, M00⁴ → 5
    expect(full.nBasis).toBe(2 + 3 + 3 + 3 + 2 + 4 + 4 + 6 + 5);
    const pen = MtpBasis.create(k, { species: ['H', 'S'], level: 8, radialSize: 2, rcut: 4, rmin: 0.5 });
    expect(pen.nBasis).toBeLessThan(full.nBasis);
    expect(pen.nBasis).toBeGreaterThan(9);
    full.dispose();
    pen.dispose();
  });
});

describe('MTP two-body functions (pairRadial)', () => {
  const rc = 4.0, rmin = 0.5;
  /** Q_μ(r) = T_μ(s)(R_cut − r)², from the definition (physics.md 6.2). */
  const Q = (mu: number, d: number) => {
    const s = (2 * d - rmin - rc) / (rc - rmin);
    const T = [1, s];
    for (let q = 2; q <= mu; q++) T.push(2 * s * T[q - 1] - T[q - 2]);
    return d < rc ? T[mu] * (rc - d) ** 2 : 0;
  };

  it('adds Σ_j Q_μ(r_ij) per neighbour channel for every μ < pairRadial that the level rule leaves out', () => {
    const spec = { species: ['H', 'S'], level: 10, radialSize: 12, rcut: rc, rmin };
    const old = MtpBasis.create(k, { ...spec, pairRadial: 0 });
    const b = MtpBasis.create(k, spec); // pairRadial defaults to radialSize
    expect(b.spec.pairRadial).toBe(12);
    // level 10, Δ = 2: channel 0 has M_{μ,0} for μ ≤ 2, channel S for μ ≤ 1 (2 + 4μ + 2 ≤ 10)
    expect(b.nBasis).toBe(old.nBasis + (12 - 3) + (12 - 2));
    expect(b.dag.outputNames.slice(0, old.nBasis)).toEqual(old.dag.outputNames); // the many-body part is unchanged
    for (let mu = 0; mu < 12; mu++) for (const ch of ['*', '1']) expect(b.dag.outputNames).toContain(`M${mu},0[${ch}]`);
    // values on an isolated cluster: an H centre with H and S neighbours (some beyond R_cut)
    const r = mulberry32(5);
    const pos = [15, 15, 15];
    const species = ['H'];
    const dist: number[] = [];
    for (let j = 0; j < 14; j++) {
      let v = [r() - 0.5, r() - 0.5, r() - 0.5];
      const nv = Math.hypot(...v);
      const d = 0.9 + 3.6 * r();
      v = v.map((x) => (d * x) / nv);
      if (pos.some((_, q) => q % 3 === 0 && Math.hypot(15 + v[0] - pos[q], 15 + v[1] - pos[q + 1], 15 + v[2] - pos[q + 2]) < 0.6)) { j--; continue; }
      pos.push(15 + v[0], 15 + v[1], 15 + v[2]);
      species.push(j % 3 === 0 ? 'S' : 'H');
      dist.push(d);
    }
    expect(dist.some((d) => d > rc)).toBe(true);
    const s = new Structure({ cell: [30, 0, 0, 0, 30, 0, 0, 0, 30], species, cartesian: pos });
    const row = b.design(s, { atoms: true }).atoms!; // atom 0's row first
    for (let mu = 0; mu < 12; mu++) {
      let all = 0, sulfur = 0;
      dist.forEach((d, j) => {
        all += Q(mu, d);
        if (species[j + 1] === 'S') sulfur += Q(mu, d);
      });
      const got = (name: string) => row[b.column(0, b.dag.outputNames.indexOf(name))];
      expect(Math.abs(got(`M${mu},0[*]`) - all)).toBeLessThan(1e-12 * (1 + Math.abs(all)));
      expect(Math.abs(got(`M${mu},0[1]`) - sulfur)).toBeLessThan(1e-12 * (1 + Math.abs(sulfur)));
    }
    old.dispose();
    b.dispose();
  });

  it('JSON: pairRadial is stored; a basis file without it (older files) loads unchanged, without the extras', () => {
    const spec = { species: ['H', 'S'], level: 12, rcut: rc, rmin };
    const b = MtpBasis.create(k, spec);
    const json = JSON.parse(JSON.stringify(b.toJSON()));
    expect(json.pairRadial).toBe(8);
    const again = MtpBasis.fromJSON(k, json, { verify: true });
    expect(again.nBasis).toBe(b.nBasis);
    const old = MtpBasis.create(k, { ...spec, pairRadial: 0 });
    const legacy = JSON.parse(JSON.stringify(old.toJSON()));
    delete legacy.pairRadial;
    const loaded = MtpBasis.fromJSON(k, legacy, { verify: true }); // re-enumerates with pairRadial 0
    expect(loaded.spec.pairRadial).toBe(0);
    expect(loaded.nBasis).toBe(old.nBasis);
    expect(loaded.nBasis).toBeLessThan(b.nBasis);
    // a file claiming the extras with the DAG of the old basis is caught by verification
    expect(() => MtpBasis.fromJSON(k, { ...legacy, pairRadial: 8 }, { verify: true })).toThrow(/differs from the enumeration/);
    expect(() => MtpBasis.create(k, { ...spec, radialSize: 6, pairRadial: 7 })).toThrow(/pairRadial must be an integer in \[0, radialSize = 6\]/);
    for (const x of [b, again, old, loaded]) x.dispose();
  });
});

describe('MTP domain and errors', () => {
  let basis: MtpBasis;
  beforeAll(() => {
    basis = MtpBasis.create(k, { species: ['H', 'S'], level: 10, rcut: 4.0, rmin: 0.8 });
  });
  afterAll(() => basis.dispose());

  it('a pair closer than R_min is an error naming the atoms', () => {
    const s = h3sCell(5);
    const x = s.cartesian();
    // move atom 4 to 0.6 Å from atom 3
    for (let c = 0; c < 3; c++) x[9 + c] = x[6 + c] + (c === 0 ? 0.6 : 0);
    const bad = s.with({ cartesian: x });
    const th = new Float64Array(basis.nParams).fill(0.1);
    expect(() => basis.evaluate(bad, th)).toThrow(MtpDomainError);
    expect(() => basis.evaluate(bad, th)).toThrow(/atoms [34] \(H\) and [34] \(H\) are 0\.6000 Å apart, closer than R_min = 0\.8 Å/);
    expect(() => basis.design(bad, { forces: true })).toThrow(MtpDomainError);
  });

  it('unknown species and wrong θ length are clear errors', () => {
    const s = new Structure({ cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], species: ['H', 'Se'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    expect(() => basis.design(s)).toThrow(/species "Se" of atom 2 is not in the model/);
    expect(() => basis.evaluate(h3sCell(1), new Float64Array(3))).toThrow(/θ has 3 values/);
    expect(() => MtpBasis.create(k, { species: ['H'], level: 8, rcut: 3, rmin: 3.5 })).toThrow(/rmin/);
  });

  it('the Calculator wrapper returns the fast-path results and reports R_min violations per configuration', async () => {
    const s = h3sCell(8);
    const th = balancedTheta(basis, s, 3);
    const calc = mtpCalculator(basis, th);
    const [r] = await calc.compute([s], { stress: true });
    const ev = basis.evaluate(s, th);
    expect(r.energy).toBe(ev.energy);
    expect(Array.from(r.forces)).toEqual(Array.from(ev.forces));
    expect(Array.from(r.stress!)).toEqual(Array.from(ev.stress));
    const x = s.cartesian();
    x[0] = x[3] + 0.3; x[1] = x[4]; x[2] = x[5];
    const err = await calc.compute([s, s.with({ cartesian: x })]).catch((e) => e);
    expect(err).toBeInstanceOf(CalculatorError);
    expect((err as CalculatorError).index).toBe(1);
    expect((err as Error).message).toMatch(/configuration 1: .*atoms [12] \(S\) and [12] \(S\) are 0\.3000 Å apart/);
    calc.dispose();
  });
});
