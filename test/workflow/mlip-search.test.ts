// The search continued with the MLIP (physics.md 8 step 4), on a model system: the reference is the
// He/Ne Lennard-Jones binary of examples/lj-ab, the explorer a deliberately wrong copy of it (He-Ne
// well 0.06 instead of 0.15 eV), so its enthalpies are far off. The MLIP, trained on the explorer's
// candidates and learning on every relaxation step of its own search, must rank by the reference's
// enthalpies: its best structure, relaxed with the reference, is as low as the best of a search run
// with the reference itself, and the MLIP's enthalpy of it agrees with the reference's. An interrupted
// loop (aborted in the middle of that search) resumes to the same candidates with the same labels.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Calculator } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { loadPotential } from '../../src/node/potentials.js';
import { DirStorage } from '../../src/node/sscha-store.js';
import { relax } from '../../src/relax/relax.js';
import { runSearch } from '../../src/search/search.js';
import { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { parseRunConfig } from '../../src/workflow/config.js';
import { MtpModel } from '../../src/mlip/model.js';
import { EV_PER_A3_IN_GPA } from '../../src/mlip/train.js';
import { runLoop, type LoopEnvironment, type SschaOutcome } from '../../src/workflow/loop.js';

const EX = resolve('examples/lj-ab');

const CONFIG = parseRunConfig({
  formula: 'HeNe', pressures: [1], formulaUnits: [1, 2], seed: 5,
  explore: { potential: 'explorer.json', generations: 2, population: 6 },
  reference: { engine: 'potential', potential: 'potential.json' },
  mlip: { level: 12, rcut: 4.5, rmin: 0.8, maxLabels: 24, ensemble: 8, searchGenerations: 3 },
  sscha: { supercell: [2, 2, 2], configs: 32, phases: 2, maxRounds: 1, spotCheck: 0 },
});

let k: Kernels;
let reference: Calculator;
let explorer: Calculator;

beforeAll(async () => {
  loadMoyo();
  k = await loadKernels();
  reference = await loadPotential(join(EX, 'potential.json'));
  const wrong = JSON.parse(readFileSync(join(EX, 'potential.json'), 'utf8'));
  wrong.pairs[1].epsilon = 0.06;
  const dir = mkdtempSync(join(tmpdir(), 'anharm-mlsearch-pot-'));
  writeFileSync(join(dir, 'explorer.json'), JSON.stringify(wrong));
  explorer = await loadPotential(join(dir, 'explorer.json'));
});

/** The SSCHA is not what is tested here: a stand-in that reports the static structure as converged. */
const noSscha = async (): Promise<SschaOutcome> => ({ g: 0, gError: 1e-4, f: 0, fError: 1e-4, volumePerAtom: 1, lowestHessian: null, converged: true, spaceGroup: '', configurations: [] });

function environment(dir: string, signal?: AbortSignal, onEvent?: LoopEnvironment['onEvent']): LoopEnvironment {
  return { kernels: k, storage: new DirStorage(dir), explorer, reference, initialData: [], initialModel: null, include: {}, sscha: noSscha, signal, onEvent };
}

type CandidateRecord = { phase: string; above: number; structure: { cell: number[]; species: string[]; frac: number[] } };
const journalValue = (dir: string, key: string) => {
  let v: unknown;
  for (const line of readFileSync(join(dir, 'loop.jsonl'), 'utf8').split('\n')) if (line.trim()) {
    const e = JSON.parse(line);
    if (e.key === key) v = e.value;
  }
  return v;
};

describe('the search continued with the MLIP and active learning', () => {
  it('ranks by the reference, not by the explorer, and resumes after an abort to the same result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anharm-mlsearch-'));
    await runLoop(CONFIG, environment(dir));
    const found = journalValue(dir, 'candidates-mlip') as CandidateRecord[];
    const explored = journalValue(dir, 'candidates') as CandidateRecord[];
    const labels = readFileSync(join(dir, 'labels', 'labelled.extxyz'), 'utf8');
    const searchLabels = (labels.match(/stage="search"/g) ?? []).length;
    expect(searchLabels).toBeGreaterThan(0);

    // the reference's own search, same size: its best enthalpy per atom at 1 GPa
    const refSearch = await runSearch({ formula: 'HeNe', pressures: [1], formulaUnits: [1, 2], seed: 9, populationSize: 6, maxGenerations: 5 }, { kernels: k, calculator: reference });
    const hRef = refSearch.pressures[0].ranking[0].enthalpyPerAtom;

    const atRef = async (c: CandidateRecord) => {
      const s = new Structure({ cell: c.structure.cell, species: c.structure.species, frac: c.structure.frac });
      const r = await relax(reference, s, { pressure: 1 });
      return r.enthalpy / r.structure.natoms;
    };
    const hMlipBest = await atRef(found[0]);
    const hExplorerBest = await atRef(explored[0]);
    console.log(`H(1 GPa) relaxed with the reference: MLIP search best ${hMlipBest.toFixed(5)}, explorer's best ${hExplorerBest.toFixed(5)}, reference search best ${hRef.toFixed(5)} eV/atom; ${searchLabels} search labels`);
    // as low as the reference search's best (within 2 meV/atom; lower is fine)
    expect(hMlipBest).toBeLessThan(hRef + 0.002);

    // the MLIP's enthalpies are the reference's: at the best structure of its search, the newest model
    // against the reference (the explorer is ~0.4 eV/atom off there)
    const latest = journalValue(dir, 'model-latest') as { name: string };
    const model = MtpModel.fromJSON(k, JSON.parse(readFileSync(join(dir, 'models', `${latest.name}.json`), 'utf8')), 'model');
    const s = new Structure({ cell: found[0].structure.cell, species: found[0].structure.species, frac: found[0].structure.frac });
    const perAtom = async (c: Calculator) => {
      const [r] = await c.compute([s], { stress: true });
      return (r.energy + s.volume / EV_PER_A3_IN_GPA) / s.natoms;
    };
    const [hM, hR, hE] = [await perAtom(model.calculator(k)), await perAtom(reference), await perAtom(explorer)];
    console.log(`at the MLIP search's best: MLIP ${hM.toFixed(5)}, reference ${hR.toFixed(5)}, explorer ${hE.toFixed(5)} eV/atom`);
    expect(Math.abs(hM - hR)).toBeLessThan(0.005);
    expect(Math.abs(hE - hR)).toBeGreaterThan(0.05);

    // interrupted in the middle of the MLIP search (after its first generation), then resumed
    const dir2 = mkdtempSync(join(tmpdir(), 'anharm-mlsearch-'));
    const stop = new AbortController();
    await expect(
      runLoop(CONFIG, environment(dir2, stop.signal, (e) => {
        if (e.stage === 'explore' && /^MLIP search .* generation 0/.test(e.message)) stop.abort();
      })),
    ).rejects.toThrow();
    expect(journalValue(dir2, 'candidates-mlip')).toBeUndefined();
    await runLoop(CONFIG, environment(dir2));
    expect(journalValue(dir2, 'candidates-mlip')).toEqual(found);
    expect(readFileSync(join(dir2, 'labels', 'labelled.extxyz'), 'utf8')).toBe(labels);
  }, 240_000);
});
