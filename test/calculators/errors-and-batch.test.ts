// Bad input gives clear errors; a batch equals single calls; the Verlet list is reused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { builtinCalculator, PotentialError } from '../../src/calculators/builtin.js';
import { loadPotential } from '../../src/node/potentials.js';
import { CalculatorError } from '../../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { StillingerWeberCalculator, parseSwFile } from '../../src/calculators/stillinger-weber.js';
import { Structure } from '../../src/structure/structure.js';
import { DIAMOND, FCC, randomCrystal } from './helpers.js';

const LJ = {
  type: 'lennard-jones',
  pairs: [
    { species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 },
    { species: ['Ar', 'Kr'], epsilon: 0.0123, sigma: 3.57, cutoff: 8.9 },
    { species: ['Kr', 'Kr'], epsilon: 0.014, sigma: 3.65, cutoff: 9.1 },
  ],
};

describe('bad input', async () => {
  const k = await loadKernels();
  const dir = mkdtempSync(join(tmpdir(), 'pot-'));

  it('a missing parameter in the potential file names the file and the field', async () => {
    const bad = structuredClone(LJ) as { pairs: Record<string, unknown>[] };
    delete bad.pairs[1].sigma;
    const path = join(dir, 'potential.json');
    writeFileSync(path, JSON.stringify(bad));
    await expect(loadPotential(path, { kernels: k })).rejects.toThrow('potential.json: pairs[1].sigma is missing');
    await expect(loadPotential(path, { kernels: k })).rejects.toBeInstanceOf(PotentialError);
    expect(() => builtinCalculator(k, { type: 'morse', pairs: [{ species: ['Cu', 'Cu'], D: 1, r0: 2.5, cutoff: 6 }] }, { source: 'm.json' })).toThrow(
      'm.json: pairs[0].a is missing',
    );
    expect(() => builtinCalculator(k, { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 1, sigma: 3, cutof: 8 }] }, { source: 'x.json' })).toThrow(
      /x.json: pairs\[0\]: unknown field "cutof"/,
    );
    expect(() => builtinCalculator(k, { ...LJ, pairs: LJ.pairs.slice(0, 2) }, { source: 'p.json' })).toThrow('p.json: no parameters for the pair Kr-Kr');
    expect(() => builtinCalculator(k, { type: 'stillinger-weber', entries: [{ species: ['Si', 'Si', 'Si'], epsilon: 2.1683 }] }, { source: 's.json' })).toThrow(
      's.json: entries[0].sigma is missing',
    );
    expect(() => builtinCalculator(k, { type: 'bond-network', bonds: [{ species: ['Si', 'Si'], d0: 2.35 }] }, { source: 'b.json' })).toThrow(
      /b.json: a bond-network potential needs the reference structure/,
    );
    expect(() => builtinCalculator(k, { pairs: [] }, { source: 'q.json' })).toThrow('q.json: type is missing');
    expect(() => parseSwFile('Si Si Si 2.1683 2.0951 1.80 21.0 1.20 -0.3333 7.05 0.60 4.0 0.0', 'Si.sw')).toThrow(/Si.sw: expected 14 fields/);
  });

  it('an unknown species at compute time is a clear error', async () => {
    const calc = new LennardJonesCalculator(k, LJ);
    const s = randomCrystal(FCC, 5.3, 1, (q) => (q === 2 ? 'Xe' : 'Ar'), 1);
    await expect(calc.compute([s])).rejects.toThrow(/lennard-jones: species "Xe" \(atom 3 of configuration 0\) has no parameters in the potential/);
    await expect(calc.compute([s])).rejects.toBeInstanceOf(CalculatorError);
    calc.dispose();
  });

  it('overlapping atoms give a clear error, not NaN (pair, three-body and bond kernels)', async () => {
    const L = 6;
    const s = new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: ['Si', 'Si', 'Si'], cartesian: [1, 1, 1, 1, 1, 1, 3, 3, 3] });
    const lj = new LennardJonesCalculator(k, { type: 'lennard-jones', pairs: [{ species: ['Si', 'Si'], epsilon: 0.1, sigma: 2, cutoff: 5 }] });
    await expect(lj.compute([s])).rejects.toThrow('lennard-jones: atoms 1 and 2 of configuration 0 overlap');
    const sw = new StillingerWeberCalculator(k);
    await expect(sw.compute([s])).rejects.toThrow('stillinger-weber: atoms 1 and 2 of configuration 0 overlap');
    // an atom on its own periodic image is impossible; an atom on another's image is caught too
    const s2 = new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: ['Si', 'Si'], frac: [0.1, 0.2, 0.3, 1.1, 0.2, -0.7] });
    await expect(sw.compute([s2])).rejects.toThrow(/atoms 1 and 2 of configuration 0 overlap/);
    lj.dispose();
    sw.dispose();
  });
});

describe('batches', async () => {
  const k = await loadKernels();

  it('a batch over many configurations equals single calls (LJ, SW), with the Verlet list reused', async () => {
    const base = randomCrystal(FCC, 5.3, 2, (q) => (q % 4 ? 'Ar' : 'Kr'), 3, 0.1, 0);
    const configs = Array.from({ length: 12 }, (_, c) => randomCrystal(FCC, 5.3, 2, (q) => (q % 4 ? 'Ar' : 'Kr'), 100 + c, 0.1, 0.08)).map((s) =>
      s.with({ cell: base.cell }),
    );
    const batchCalc = new LennardJonesCalculator(k, { ...LJ, skin: 1.0 });
    const progress: number[] = [];
    const batch = await batchCalc.compute(configs, { stress: true, onProgress: (d) => progress.push(d) });
    expect(progress).toEqual(configs.map((_, c) => c + 1));
    expect(batchCalc.listBuilds).toBeLessThan(configs.length); // reused at least once
    for (let c = 0; c < configs.length; c++) {
      const single = new LennardJonesCalculator(k, { ...LJ, skin: 0 });
      const [r] = await single.compute([configs[c]], { stress: true });
      expect(Math.abs(batch[c].energy - r.energy)).toBeLessThan(1e-12 * Math.abs(r.energy));
      for (let q = 0; q < r.forces.length; q++) expect(Math.abs(batch[c].forces[q] - r.forces[q])).toBeLessThan(1e-13);
      for (let q = 0; q < 9; q++) expect(Math.abs(batch[c].stress![q] - r.stress![q])).toBeLessThan(1e-14);
      single.dispose();
    }
    batchCalc.dispose();

    const sw = new StillingerWeberCalculator(k);
    const si = Array.from({ length: 6 }, (_, c) => randomCrystal(DIAMOND, 5.431, 2, () => 'Si', 200 + c, 0.05, 0.1));
    const sb = await sw.compute(si);
    for (let c = 0; c < si.length; c++) {
      const one = new StillingerWeberCalculator(k);
      const [r] = await one.compute([si[c]]);
      expect(sb[c].energy).toBe(r.energy);
      expect(Array.from(sb[c].forces)).toEqual(Array.from(r.forces));
      expect(sb[c].stress).toBeUndefined();
      one.dispose();
    }
    sw.dispose();
  });

  it('an aborted batch stops with a clear error', async () => {
    const sw = new StillingerWeberCalculator(k);
    const ac = new AbortController();
    ac.abort();
    await expect(sw.compute([randomCrystal(DIAMOND, 5.431, 1, () => 'Si', 1)], { signal: ac.signal })).rejects.toThrow(/aborted/);
    sw.dispose();
  });
});
