// Failures are reported with a reason (batch) or a clear RelaxError (single), never as crashes; the
// batch driver advances all relaxations in lock-step with one `compute` per step.
import { describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { type CalcOptions, type CalcResult, type Calculator, CalculatorError } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { RelaxError, relax, relaxBatch } from '../../src/relax/index.js';
import { Structure } from '../../src/structure/structure.js';
import { AR, DIAMOND, FCC, cubic, distort } from '../fixtures/relax/helpers.js';

/** Wraps a calculator: records batch sizes and spoils chosen configurations. */
class Wrapper implements Calculator {
  readonly name = 'wrapper';
  readonly batches: number[] = [];
  constructor(
    private readonly inner: Calculator,
    private readonly spoil: (s: Structure, r: CalcResult) => 'nan' | 'throw' | 'throw-plain' | null = () => null,
  ) {}
  async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
    this.batches.push(structures.length);
    const res = await this.inner.compute(structures, options);
    res.forEach((r, i) => {
      const what = this.spoil(structures[i], r);
      if (what === 'nan') r.forces[1] = NaN;
      if (what === 'throw') throw new CalculatorError(`wrapper: configuration ${i} made the engine give up`, i);
      if (what === 'throw-plain') throw new Error('engine crashed without saying which configuration');
    });
    return res;
  }
}

/** Pure attraction: E = ½ k Σ_{i<j} |d_ij|² (minimum-image vectors); atoms fall onto each other. */
class Attraction implements Calculator {
  readonly name = 'attraction';
  async compute(structures: readonly Structure[]): Promise<CalcResult[]> {
    return structures.map((s) => {
      const n = s.natoms, x = s.cartesian(), f = new Float64Array(3 * n);
      let e = 0;
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) {
          const d = [0, 1, 2].map((q) => {
            const t = s.frac[3 * j + q] - s.frac[3 * i + q];
            return t - Math.round(t);
          });
          const v = [0, 1, 2].map((a) => d[0] * s.cell[a] + d[1] * s.cell[3 + a] + d[2] * s.cell[6 + a]);
          for (let a = 0; a < 3; a++) {
            e += 0.5 * v[a] * v[a];
            f[3 * i + a] += v[a];
            f[3 * j + a] -= v[a];
          }
        }
      void x;
      return { energy: e, forces: f, stress: new Float64Array(9) };
    });
  }
}

describe('failures', async () => {
  const k = await loadKernels();
  const lj = builtinCalculator(k, AR);
  const sw = builtinCalculator(k, { type: 'stillinger-weber' });
  const ar = distort(cubic(FCC, 5.2, 'Ar'), 1, 0.03, 0.05);

  it('NaN forces from the calculator: a clear RelaxError in single mode', async () => {
    const bad = new Wrapper(lj, () => 'nan');
    const e = await relax(bad, ar).catch((x) => x);
    expect(e).toBeInstanceOf(RelaxError);
    expect(e.kind).toBe('calculator');
    expect(e.message).toMatch(/relaxation failed \(calculator\): .*force on atom 1 of configuration 0 is NaN/);
  });

  it('NaN only after some steps: the step is named and the last good state is kept', async () => {
    let calls = 0;
    const bad = new Wrapper(lj, () => (++calls > 4 ? 'nan' : null));
    const e = (await relax(bad, ar, { method: 'fire' }).catch((x) => x)) as RelaxError;
    expect(e.kind).toBe('calculator');
    expect(e.message).toMatch(/at step 4$/);
    expect(e.result!.steps).toBe(4);
    expect(Number.isFinite(e.result!.energy)).toBe(true);
  });

  it('atoms collapsing onto each other are detected (overlap), not left to the engine', async () => {
    const s = distort(cubic(FCC, 5.2, 'Ar'), 2, 0, 0.3);
    const e = (await relax(new Attraction(), s, { cell: 'fixed', method: 'fire', maxStep: 0.3 }).catch((x) => x)) as RelaxError;
    expect(e).toBeInstanceOf(RelaxError);
    expect(e.kind).toBe('overlap');
    expect(e.message).toMatch(/atoms collapsed onto each other: atoms \d+ \(Ar\) and \d+ \(Ar\) are 0\.\d+ Å apart/);
  });

  it('cell explosion under tension beyond the spinodal, cell collapse under absurd pressure', async () => {
    const e1 = (await relax(lj, ar, { pressure: -3 }).catch((x) => x)) as RelaxError;
    expect(e1.kind).toBe('cell-explosion');
    expect(e1.message).toMatch(/volume grew from .* Å³ \(more than a factor 4\) at step \d+/);
    const e2 = (await relax(lj, ar, { pressure: 2e5, maxVolumeFactor: 2 }).catch((x) => x)) as RelaxError;
    expect(e2.kind).toBe('cell-collapse');
  });

  it('batch mode: failures are results with a reason; the good relaxations converge; one compute per step', async () => {
    const starts = [
      ar,
      distort(cubic(DIAMOND, 5.431, 'Si'), 5, 0.04, 0.1), // species unknown to LJ -> engine error for this one only
      distort(cubic(FCC, 5.3, 'Ar'), 9, 0.02, 0.05),
      new Structure({ cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], species: ['Ar', 'Ar', 'Ar'], frac: [0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0] }), // NaN
      new Structure({ cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], species: ['Ar', 'Ar'], frac: [0, 0, 0, 0.05, 0, 0] }), // overlap at the start
    ];
    const calc = new Wrapper(lj, (s) => (s.natoms === 3 ? 'nan' : null));
    const rs = await relaxBatch(calc, starts, { trajectory: true });
    expect(rs.map((r) => r.status)).toEqual(['converged', 'failed', 'converged', 'failed', 'failed']);
    expect(rs[1].failure!.kind).toBe('calculator');
    expect(rs[1].failure!.message).toMatch(/species "Si"/);
    expect(rs[3].failure!.message).toMatch(/is NaN/);
    expect(rs[4].failure!.kind).toBe('overlap');
    expect(rs[4].forceCalls).toBe(0);
    // lock-step: every compute call carries all unfinished relaxations
    const maxCalls = Math.max(...rs.map((r) => r.forceCalls));
    const ok = rs.filter((r) => r.status === 'converged');
    expect(calc.batches.filter((b) => b >= 2).length).toBeGreaterThanOrEqual(Math.min(...ok.map((r) => r.forceCalls)));
    expect(calc.batches.length).toBeLessThanOrEqual(maxCalls + 3); // + re-evaluations after an engine error
    // the same minima as alone
    for (const i of [0, 2]) {
      const single = await relax(lj, starts[i]);
      expect(rs[i].enthalpy).toBeCloseTo(single.enthalpy, 10);
      expect(rs[i].steps).toBe(single.steps);
      const t = rs[i].trajectory!;
      expect(t.length).toBe(rs[i].steps + 1);
      expect(t[t.length - 1].enthalpy).toBe(rs[i].enthalpy);
    }
  });

  it('an engine error without a configuration index is isolated by evaluating one by one', async () => {
    const calc = new Wrapper(sw, (s) => (s.volume < 150 ? 'throw-plain' : null));
    const starts = [distort(cubic(DIAMOND, 5.431, 'Si'), 1, 0.02, 0.05), cubic(DIAMOND, 5.2, 'Si')];
    const rs = await relaxBatch(calc, starts, { fmax: 1e-3 });
    expect(rs[0].converged).toBe(true);
    expect(rs[1].status).toBe('failed');
    expect(rs[1].failure!.message).toMatch(/Error: engine crashed/);
    const calc2 = new Wrapper(sw, (s) => (s.volume < 150 ? 'throw' : null));
    const rs2 = await relaxBatch(calc2, starts, { fmax: 1e-3 });
    expect(rs2[0].converged).toBe(true);
    expect(rs2[1].failure!.message).toMatch(/made the engine give up/);
  });

  it('abort stops every relaxation with a reason', async () => {
    const ac = new AbortController();
    const rs = await relaxBatch(lj, [ar, ar], { onStep: (i) => i.step === 2 && ac.abort(), signal: ac.signal, fmax: 1e-8 });
    expect(rs.every((r) => r.status === 'failed' && r.failure!.kind === 'aborted')).toBe(true);
  });

  it('not converged within maxSteps is a result, not an error', async () => {
    const r = await relax(lj, ar, { maxSteps: 3, fmax: 1e-8 });
    expect(r.status).toBe('max-steps');
    expect(r.converged).toBe(false);
    expect(r.steps).toBe(3);
  });

  it('bad options are RangeErrors', async () => {
    await expect(relax(lj, ar, { fmax: -1 })).rejects.toThrow('relax: fmax must be a positive number, got -1');
    await expect(relax(lj, ar, { method: 'bfgs' as 'fire' })).rejects.toThrow(/method must be "fire" or "lbfgs"/);
  });
});
