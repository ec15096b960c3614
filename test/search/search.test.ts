// The search driver: a small Lennard-Jones search finds fcc (checked against the analytic lattice sum),
// the run is a pure function of the seed, failed relaxations are recorded without stopping the run,
// and bad options are refused before any work.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalcOptions, CalcResult, Calculator } from '../../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { SearchInputError } from '../../src/search/composition.js';
import { resolveSearchOptions, runSearch, type SearchOptions } from '../../src/search/search.js';
import { symmetricGenerator } from '../../src/search/symmetric-generator.js';
import { Structure as StructureClass, type Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { AR, EV_A3_TO_GPA, ljFccLatticeConstant, ljFccSum } from '../fixtures/relax/helpers.js';

let k: Kernels;
beforeAll(async () => {
  loadMoyo();
  k = await loadKernels();
});

const P = 1; // GPa
const OPTIONS: SearchOptions = {
  formula: 'Ar',
  pressures: [P],
  formulaUnits: [2, 4],
  seed: 7,
  populationSize: 10,
  maxGenerations: 4,
  // argon's forces are small (ε/σ ≈ 0.003 eV/Å): tight tolerances so that relaxed copies are duplicates
  relax: { fmax: 2e-4, smax: 2e-3 },
  batchSize: 4,
};

/** H/atom of fcc argon at P from the lattice sum of test/fixtures/relax (independent of src/). */
function fccEnthalpy(pGPa: number): number {
  const a = ljFccLatticeConstant(pGPa);
  const { e } = ljFccSum(a, 0.0104, 3.4, 8.5);
  return e + (pGPa / EV_A3_TO_GPA) * (a ** 3 / 4);
}

describe('evolutionary search', () => {
  it('finds fcc argon at 1 GPa with 2-4 atoms per cell: H/atom equals the lattice sum, space group Fm-3m', async () => {
    const calc = new LennardJonesCalculator(k, AR, 'ar');
    const res = await runSearch(OPTIONS, { kernels: k, calculator: calc, generator: symmetricGenerator() });
    const pr = res.pressures[0];
    const best = pr.ranking[0];
    expect(best.enthalpyPerAtom).toBeCloseTo(fccEnthalpy(P), 5);
    expect(best.spaceGroup?.number).toBe(225);
    expect(best.volumePerAtom).toBeCloseTo(ljFccLatticeConstant(P) ** 3 / 4, 2);
    // ranked by enthalpy, without duplicates
    for (let i = 1; i < pr.ranking.length; i++) expect(pr.ranking[i].enthalpyPerAtom).toBeGreaterThanOrEqual(pr.ranking[i - 1].enthalpyPerAtom);
    expect(pr.bestHistory.length).toBe(pr.generations);
    expect(pr.relaxations).toBe(pr.individuals.length);
    // every generation after the first has offspring of the operators, not only random structures
    const ops = new Set(pr.individuals.filter((x) => x.generation > 0).map((x) => x.operator));
    expect(ops.has('heredity') || ops.has('lattice') || ops.has('soft')).toBe(true);
  });

  it('is a pure function of the seed: same seed same individuals, another seed other ones', async () => {
    const calc = new LennardJonesCalculator(k, AR, 'ar');
    const o = { ...OPTIONS, maxGenerations: 2 };
    const a = await runSearch(o, { kernels: k, calculator: calc, generator: symmetricGenerator() });
    const b = await runSearch(o, { kernels: k, calculator: calc, generator: symmetricGenerator() });
    const c = await runSearch({ ...o, seed: 8 }, { kernels: k, calculator: calc, generator: symmetricGenerator() });
    const h = (r: typeof a) => r.pressures[0].individuals.map((x) => x.enthalpy);
    expect(h(a)).toEqual(h(b));
    expect(h(a)).not.toEqual(h(c));
  });

  it('records failed relaxations (an engine that returns NaN now and then) and carries on', async () => {
    const inner = new LennardJonesCalculator(k, AR, 'ar');
    let calls = 0;
    const flaky: Calculator = {
      name: 'flaky',
      async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
        const r = await inner.compute(structures, options);
        if (++calls % 7 === 3) r[0] = { ...r[0], energy: NaN };
        return r;
      },
    };
    const res = await runSearch({ ...OPTIONS, maxGenerations: 2 }, { kernels: k, calculator: flaky, generator: symmetricGenerator() });
    const pr = res.pressures[0];
    const failed = pr.individuals.filter((x) => x.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(pr.failed).toBe(failed.length);
    expect(failed[0].failure).toMatch(/calculator/);
    expect(pr.ranking.length).toBeGreaterThan(0);
    expect(pr.ranking.every((x) => Number.isFinite(x.enthalpyPerAtom))).toBe(true);
  });

  it('several pressures in one run: each ranked on its own, the denser structure at the higher pressure', async () => {
    const calc = new LennardJonesCalculator(k, AR, 'ar');
    const res = await runSearch({ ...OPTIONS, pressures: [0.5, 2], maxGenerations: 2, formulaUnits: [1, 2] }, { kernels: k, calculator: calc, generator: symmetricGenerator() });
    expect(res.pressures.map((p) => p.pressure)).toEqual([0.5, 2]);
    const [lo, hi] = res.pressures.map((p) => p.ranking[0]);
    expect(hi.volumePerAtom).toBeLessThan(lo.volumePerAtom);
    expect(lo.enthalpyPerAtom).toBeCloseTo(fccEnthalpy(0.5), 4);
    expect(hi.enthalpyPerAtom).toBeCloseTo(fccEnthalpy(2), 4);
  });

  it('refuses bad options before any work', () => {
    const bad = (o: Partial<SearchOptions>) => () => resolveSearchOptions({ ...OPTIONS, ...o });
    expect(bad({ formula: 'Xy2' })).toThrow(SearchInputError);
    expect(bad({ pressures: [] })).toThrow(/at least one pressure/);
    expect(bad({ pressures: [NaN] })).toThrow(/finite/);
    expect(bad({ formulaUnits: [3, 2] })).toThrow(/formula units/);
    expect(bad({ formula: 'H3S', formulaUnits: [1, 60] })).toThrow(/at most 200/);
    expect(bad({ volumePerAtom: 1 })).toThrow(/too small for the minimum distances/);
    expect(bad({ fractions: { mutate: 1 } as never })).toThrow(/unknown operator "mutate"/);
    // defaults of physics.md 7.6: population 2 × atoms rounded to 10, in [10, 60]; S = max(10, atoms)
    const d = resolveSearchOptions({ formula: 'H3S', pressures: [150], formulaUnits: [1, 4], seed: 1 });
    expect(d.popSize).toBe(30);
    expect(d.stall).toBe(16);
    expect(resolveSearchOptions({ formula: 'Si', pressures: [0], formulaUnits: [40, 40], seed: 1 }).popSize).toBe(60);
    expect(resolveSearchOptions({ formula: 'Ar', pressures: [0], seed: 1 }).popSize).toBe(10);
  });
  it('opens the first generation with given structures (operator "given")', async () => {
    const calc = new LennardJonesCalculator(k, AR, 'ar');
    // fcc argon at 1 GPa from the lattice sum, as a 4-atom cubic cell
    const a = ljFccLatticeConstant(P);
    const fcc = new StructureClass({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: ['Ar', 'Ar', 'Ar', 'Ar'], frac: [0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0] });
    const r = await runSearch({ ...OPTIONS, maxGenerations: 1, given: [{ pressure: P, structure: fcc }] }, { kernels: k, calculator: calc });
    const pr = r.pressures[0];
    const given = pr.individuals.filter((x) => x.operator === 'given');
    expect(given).toHaveLength(1);
    expect(given[0].enthalpyPerAtom).toBeCloseTo(fccEnthalpy(P), 4);
    // a cell that is not whole formula units, or a pressure the search does not run, is refused
    const half = new StructureClass({ cell: [3, 0, 0, 0, 3, 0, 0, 0, 3], species: ['Ar'], frac: [0, 0, 0] });
    expect(() => resolveSearchOptions({ ...OPTIONS, formula: 'Ar2', given: [{ pressure: P, structure: half }] })).toThrow(/given structure 1 .*whole formula units/);
    expect(() => resolveSearchOptions({ ...OPTIONS, given: [{ pressure: 5, structure: fcc }] })).toThrow(/given structure 1: its pressure 5 GPa/);
  });
});
