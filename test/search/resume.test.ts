// The run folder: a search interrupted (AbortSignal) and run again on the same storage ends with exactly
// the ranking of an uninterrupted run, without relaxing the journalled batches again; a torn last
// journal line is ignored; a folder holding another run is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalcOptions, CalcResult, Calculator } from '../../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { MemoryStorage, SearchRunError } from '../../src/search/journal.js';
import { runSearch, SearchError, type SearchOptions, type SearchResult } from '../../src/search/search.js';
import { symmetricGenerator } from '../../src/search/symmetric-generator.js';
import type { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { AR } from '../fixtures/relax/helpers.js';

let k: Kernels;
beforeAll(async () => {
  loadMoyo();
  k = await loadKernels();
});

const OPTIONS: SearchOptions = {
  formula: 'Ar',
  pressures: [1, 3],
  formulaUnits: [1, 3],
  seed: 3,
  populationSize: 10,
  maxGenerations: 3,
  relax: { fmax: 1e-3, smax: 1e-2 },
  batchSize: 3,
};

/** Counts the configurations the engine really evaluates. */
class Counting implements Calculator {
  readonly name = 'lennard-jones';
  evaluated = 0;
  constructor(readonly inner: Calculator) {}
  async compute(s: readonly Structure[], o?: CalcOptions): Promise<CalcResult[]> {
    this.evaluated += s.length;
    return this.inner.compute(s, o);
  }
}

const ranking = (r: SearchResult) =>
  r.pressures.map((p) => ({ history: p.bestHistory, generations: p.generations, top: p.ranking.map((x) => [x.id, x.enthalpyPerAtom, x.volumePerAtom, x.spaceGroup?.number]) }));

describe('search run folder', () => {
  it('resumes after an interruption with the same final ranking and without redoing journalled relaxations', async () => {
    const full = new Counting(new LennardJonesCalculator(k, AR, 'ar'));
    const ref = await runSearch(OPTIONS, { kernels: k, calculator: full, generator: symmetricGenerator(), storage: new MemoryStorage() });

    const storage = new MemoryStorage();
    const ctl = new AbortController();
    const first = new Counting(new LennardJonesCalculator(k, AR, 'ar'));
    // stop in the middle of the second pressure
    const stopAt = ref.pressures[0].relaxations + 7;
    await expect(
      runSearch(OPTIONS, {
        kernels: k,
        calculator: first,
        generator: symmetricGenerator(),
        storage,
        signal: ctl.signal,
        onRelaxed: (_ind, st) => {
          if (st.pressure === 3 && st.relaxations >= 7) ctl.abort();
        },
      }),
    ).rejects.toThrow(SearchError);
    expect(storage.read('results.json')).toBeNull();
    // a torn line at the end of the journal (killed while appending)
    storage.append('journal.jsonl', '{"t":"relax","p":1,"g":');

    const second = new Counting(new LennardJonesCalculator(k, AR, 'ar'));
    const res = await runSearch(OPTIONS, { kernels: k, calculator: second, generator: symmetricGenerator(), storage });
    expect(ranking(res)).toEqual(ranking(ref));
    expect(res.resumedRelaxations).toBeGreaterThanOrEqual(stopAt - 3);
    // the rerun evaluated only what was missing (together the two runs did about as much as one)
    expect(second.evaluated).toBeLessThan(full.evaluated * 0.7);
    expect(Math.abs(first.evaluated + second.evaluated - full.evaluated)).toBeLessThan(full.evaluated * 0.2);
    // the results of the run folder
    const json = JSON.parse(new TextDecoder().decode(storage.read('results.json')!));
    expect(json.pressures[0].ranking[0].enthalpyPerAtom).toBe(ref.pressures[0].ranking[0].enthalpyPerAtom);
    const files = json.pressures[1].ranking[0].files;
    expect(new TextDecoder().decode(storage.read(files.cif)!)).toMatch(/^data_/m);
    expect(new TextDecoder().decode(storage.read(files.poscar)!)).toMatch(/Direct/);
    expect(new TextDecoder().decode(storage.read('best-enthalpy.svg')!)).toMatch(/^<svg/);
    // a third run replays everything from the journal
    const third = new Counting(new LennardJonesCalculator(k, AR, 'ar'));
    const again = await runSearch(OPTIONS, { kernels: k, calculator: third, generator: symmetricGenerator(), storage });
    expect(third.evaluated).toBe(0);
    expect(ranking(again)).toEqual(ranking(ref));
  });

  it('refuses a folder that holds another search', async () => {
    const storage = new MemoryStorage();
    const calc = new LennardJonesCalculator(k, AR, 'ar');
    await runSearch({ ...OPTIONS, pressures: [1], maxGenerations: 1 }, { kernels: k, calculator: calc, generator: symmetricGenerator(), storage });
    await expect(runSearch({ ...OPTIONS, pressures: [1], maxGenerations: 1, seed: 4 }, { kernels: k, calculator: calc, generator: symmetricGenerator(), storage })).rejects.toThrow(
      SearchRunError,
    );
    await expect(runSearch({ ...OPTIONS, pressures: [1], maxGenerations: 1, seed: 4 }, { kernels: k, calculator: calc, generator: symmetricGenerator(), storage })).rejects.toThrow(
      /holds a different search \(seed: "3" there, "4" now\)/,
    );
  });
});
