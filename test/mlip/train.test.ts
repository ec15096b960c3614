// Training by weighted linear least squares: exact recovery of a representable model, weights,
// determinism, hold-out split, enthalpy weights, and the fit errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { enthalpyWeights, type LabelledConfig } from '../../src/mlip/dataset.js';
import { evaluateErrors, holdoutSplit, trainLinear, STRESS_VOIGT } from '../../src/mlip/train.js';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { maxAbs } from '../helpers/arrays.js';
import { mulberry32 } from '../helpers/random.js';
import { ChebyshevPairBasis } from './pair-basis.js';
import { rattledCubic } from './structures.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const basis = new ChebyshevPairBasis({ species: ['Ar', 'Kr'], size: 5, rmin: 1.5, rcut: 5.0 });

/** A known θ (in a natural range) and configurations labelled by it. */
function labelled(theta: Float64Array, count: number, seed: number, noise = 0): LabelledConfig[] {
  const r = mulberry32(seed * 7919);
  return Array.from({ length: count }, (_, c) => {
    const s = rattledCubic({ seed: seed * 1000 + c, n: 2, a: 2.6 + 0.2 * r(), species: ['Ar', 'Kr'], randomSpecies: true, rattle: 0.15 });
    const e = basis.evaluate(s, theta);
    const forces = e.forces.map((f) => f + noise * (2 * r() - 1));
    return { structure: s, energy: e.energy + noise * (2 * r() - 1), energyKey: 'energy' as const, forces, stress: e.stress, source: `gen#${c + 1}` };
  });
}

function knownTheta(): Float64Array {
  const r = mulberry32(42);
  return Float64Array.from({ length: basis.nParams }, (_, j) => (j < 2 ? -3 - j : 0.05 * (2 * r() - 1)));
}

describe('test basis', () => {
  it('forces and stress are derivatives of its energy (central differences)', () => {
    const theta = knownTheta();
    const s = rattledCubic({ seed: 3, n: 2, a: 2.7, species: ['Ar', 'Kr'] });
    const e = basis.evaluate(s, theta);
    const x = s.cartesian();
    const h = 1e-5;
    for (const i of [0, 4, 13, 20]) {
      const p = Float64Array.from(x), m = Float64Array.from(x);
      p[i] += h;
      m[i] -= h;
      const fd = -(basis.evaluate(s.with({ cartesian: p }), theta).energy - basis.evaluate(s.with({ cartesian: m }), theta).energy) / (2 * h);
      expect(e.forces[i]).toBeCloseTo(fd, 7);
    }
    // σ_αβ = (1/Ω) ∂E/∂ε_αβ with positions scaled along.
    for (const [a, b] of [[0, 0], [1, 2], [2, 0]]) {
      const strained = (eps: number) => {
        const c = Float64Array.from(s.cell);
        for (let r = 0; r < 3; r++) c[3 * r + b] += eps * s.cell[3 * r + a];
        return basis.evaluate(new Structure0(c, s), theta).energy;
      };
      const fd = (strained(h) - strained(-h)) / (2 * h) / s.volume;
      expect(e.stress[3 * a + b]).toBeCloseTo(fd, 7);
    }
  });
});

/** The same fractional positions in a new cell. */
function Structure0(cell: Float64Array, s: ReturnType<typeof rattledCubic>) {
  return s.with({ cell });
}

describe('trainLinear', () => {
  it('recovers the θ that generated exact data to round-off', () => {
    const theta = knownTheta();
    const data = labelled(theta, 12, 1);
    const r = trainLinear(k, basis, data, { seed: 5 });
    let rel = 0;
    for (let j = 0; j < theta.length; j++) rel = Math.max(rel, Math.abs(r.theta[j] - theta[j]) / Math.max(...theta.map(Math.abs)));
    console.log('exact recovery: max relative error of θ', rel, 'λ', r.lambda);
    expect(rel).toBeLessThan(1e-8);
    const err = evaluateErrors(basis, r.theta, data);
    expect(err.energyRmse).toBeLessThan(1e-8); // meV/atom
    expect(err.forceRmse).toBeLessThan(1e-9);
    expect(err.stressRmse).toBeLessThan(1e-8);
    expect(r.rows).toEqual({ energy: 12, forces: 12 * 24, stress: 72 });
    expect(r.folds).toBe(5);
    expect(r.cv.length).toBe(13);
  });

  it('recovers θ from forces alone up to the per-species constants, and from energies alone', () => {
    const theta = knownTheta();
    const data = labelled(theta, 30, 2);
    const fOnly = trainLinear(k, basis, data, { weights: { energy: 0, stress: 0 }, lambdas: [1e-14] });
    // Forces do not see the constants: those columns are zero and stay 0.
    expect(fOnly.theta[0]).toBe(0);
    expect(fOnly.theta[1]).toBe(0);
    expect(maxAbs(fOnly.theta.slice(2).map((v, j) => v - theta[j + 2]))).toBeLessThan(1e-9);
    const eOnly = trainLinear(k, basis, data, { weights: { forces: 0, stress: 0 }, lambdas: [1e-14] });
    expect(maxAbs(eOnly.theta.map((v, j) => v - theta[j]))).toBeLessThan(1e-6);
    expect(eOnly.rows.forces).toBe(0);
  });

  it('is deterministic and cross-validation prefers more regularisation on noisy, scarce data', () => {
    const theta = knownTheta();
    const data = labelled(theta, 10, 3, 0.05);
    const a = trainLinear(k, basis, data, { seed: 9 });
    const b = trainLinear(k, basis, data, { seed: 9 });
    expect(Array.from(a.theta)).toEqual(Array.from(b.theta));
    expect(a.cv.map((p) => p.loss)).toEqual(b.cv.map((p) => p.loss));
    const best = Math.min(...a.cv.map((p) => p.loss));
    expect(a.cv.find((p) => p.lambda === a.lambda)!.loss).toBe(best);
    const exact = trainLinear(k, basis, labelled(theta, 10, 3), { seed: 9 });
    expect(a.lambda).toBeGreaterThan(exact.lambda);
  });

  it('a per-configuration energy weight pulls the fit towards that configuration', () => {
    // Energies from θ plus a configuration-dependent offset the pair basis cannot represent.
    const theta = knownTheta();
    const data = labelled(theta, 12, 4).map((c, i) => ({ ...c, energy: c.energy + 0.3 * Math.sin(3 * i) }));
    const plain = trainLinear(k, basis, data, { weights: { forces: 0, stress: 0 }, lambdas: [1e-10] });
    const w = data.map((_, i) => (i === 5 ? 1000 : 1));
    const weighted = trainLinear(k, basis, data, { weights: { forces: 0, stress: 0 }, lambdas: [1e-10], configWeights: w });
    const err = (t: Float64Array) => Math.abs(basis.evaluate(data[5].structure, t).energy - data[5].energy);
    expect(err(weighted.theta)).toBeLessThan(0.1 * err(plain.theta));
  });

  it('refuses species outside the basis, bad weights and empty data', () => {
    const s = rattledCubic({ seed: 1, n: 2, a: 2.7, species: ['Xe'] });
    const bad: LabelledConfig = { structure: s, energy: 0, energyKey: 'energy', source: 'x.xyz#3' };
    expect(() => trainLinear(k, basis, [bad])).toThrow(/x\.xyz#3: species Xe is not in the basis/);
    expect(() => trainLinear(k, basis, [])).toThrow(/no training configurations/);
    const ok = labelled(knownTheta(), 2, 1);
    expect(() => trainLinear(k, basis, ok, { weights: { forces: -1 } })).toThrow(/weight forces/);
    expect(() => trainLinear(k, basis, ok, { configWeights: [1] })).toThrow(/configWeights has 1 values for 2/);
  });
});

describe('helpers', () => {
  it('holdoutSplit is a seeded partition', () => {
    const a = holdoutSplit(k, 50, 0.2, 7);
    expect(a.test.length).toBe(10);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(holdoutSplit(k, 50, 0.2, 7)).toEqual(a);
    expect(holdoutSplit(k, 50, 0.2, 8).test).not.toEqual(a.test);
  });

  it('enthalpyWeights: w0 for the lowest enthalpy, 1 at the mean', () => {
    const h = [-1.0, -0.9, -0.8, -0.5];
    const w = enthalpyWeights(h, 10);
    const mean = h.reduce((a, b) => a + b) / h.length;
    expect(w[0]).toBeCloseTo(10, 12);
    expect(enthalpyWeights([h[0], mean, h[3]].concat([h[1], h[2]]), 10)[1]).not.toBeNaN();
    // A configuration exactly at the mean enthalpy gets weight 1.
    const h2 = [-1, 0, 1];
    expect(enthalpyWeights(h2, 10)[1]).toBeCloseTo(1, 12);
    expect(enthalpyWeights(h2, 10)[2]).toBeCloseTo(0.1, 12);
    expect(enthalpyWeights([2, 2], 10)).toEqual([1, 1]);
  });

  it('STRESS_VOIGT picks xx yy zz yz xz xy from a row-major 3×3', () => {
    expect(STRESS_VOIGT.map((i) => [Math.floor(i / 3), i % 3])).toEqual([[0, 0], [1, 1], [2, 2], [1, 2], [0, 2], [0, 1]]);
  });
});
