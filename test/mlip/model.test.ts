// Model files (round trip, malformed files), the MLIP as a Calculator, data files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeExtxyz } from '../../src/io/extxyz.js';
import { DatasetError, readDataset } from '../../src/mlip/dataset.js';
import { MODEL_FORMAT, ModelFileError, MtpModel, registerBasis } from '../../src/mlip/model.js';
import { holdoutSplit, trainModel } from '../../src/mlip/train.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMlipModel, modelFileText, readDatasetFile, saveMlipModel } from '../../src/node/mlip.js';
import { loadPotential } from '../../src/node/potentials.js';
import { PotentialError } from '../../src/calculators/builtin.js';
import { CalculatorError } from '../../src/calculators/calculator.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { ChebyshevPairBasis } from './pair-basis.js';
import { rattledCubic } from './structures.js';

let k: Kernels;
const dir = mkdtempSync(join(tmpdir(), 'mlip-model-'));
beforeAll(async () => {
  k = await loadKernels();
});

registerBasis('test-chebyshev-pair', (_k, spec, fail) => {
  if (!Array.isArray(spec.species)) fail('species', 'must be an array');
  if (typeof spec.size !== 'number') fail('size', 'must be a number');
  return new ChebyshevPairBasis({ species: spec.species as string[], size: spec.size as number, rmin: spec.rmin as number, rcut: spec.rcut as number });
});

const basis = new ChebyshevPairBasis({ species: ['Ar', 'Kr'], size: 5, rmin: 1.5, rcut: 5.0 });
const truth = new ChebyshevPairBasis({ species: ['Ar', 'Kr'], size: 8, rmin: 1.5, rcut: 5.0 });
const thetaTrue = Float64Array.from({ length: truth.nParams }, (_, j) => (j < 2 ? -2 : 0.02 * Math.cos(3 * j)));

function data(count: number, seed: number) {
  return Array.from({ length: count }, (_, c) => {
    const s = rattledCubic({ seed: seed * 100 + c, n: 2, a: 2.7, species: ['Ar', 'Kr'], randomSpecies: true });
    const e = truth.evaluate(s, thetaTrue);
    return { structure: s, energy: e.energy, energyKey: 'energy' as const, forces: e.forces, stress: e.stress, source: `t#${c}` };
  });
}

function trained() {
  const all = data(20, 1);
  const { train, test } = holdoutSplit(k, all.length, 0.2, 3);
  return trainModel(k, basis, train.map((i) => all[i]), test.map((i) => all[i]), { seed: 3, provenance: { files: [{ name: 'gen', configs: 20 }] } });
}

describe('model files', () => {
  it('round-trip: same θ, active set, report; same energies, forces, stresses and grades', async () => {
    const { model, report } = trained();
    expect(report.test!.configs).toBe(4);
    expect(report.train!.configs).toBe(16);
    const path = join(dir, 'model.json');
    saveMlipModel(path, model);
    const back = await loadMlipModel(path, { kernels: k });
    expect(Array.from(back.theta)).toEqual(Array.from(model.theta));
    expect(back.training!.files).toEqual([{ name: 'gen', configs: 20 }]);
    expect(back.fitReport!.test!.forceRmse).toBe(report.test!.forceRmse);
    expect(modelFileText(back)).toBe(modelFileText(model));
    const s = rattledCubic({ seed: 999, n: 2, a: 2.6, species: ['Kr', 'Ar'] });
    const a = model.evaluate(s), b = back.evaluate(s);
    expect(b.energy).toBe(a.energy);
    expect(Array.from(b.forces)).toEqual(Array.from(a.forces));
    expect(back.grade(k, s).grade).toBe(model.grade(k, s).grade);
    const o = JSON.parse(modelFileText(model));
    expect(o.format).toBe(MODEL_FORMAT);
    expect(o.version).toBe(1);
    expect(o.species).toEqual(['Ar', 'Kr']);
  });

  it('malformed files name the file and the field', async () => {
    const { model } = trained();
    const good = JSON.parse(modelFileText(model));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, format: 'something' }, /bad\.json: format: expected "anharmonic-csp\/mlip"/],
      [{ ...good, version: 7 }, /bad\.json: version: this program reads version 1, the file has 7 \(written by a newer version\)/],
      [{ ...good, theta: good.theta.slice(1) }, /bad\.json: theta: must be an array of 17 numbers/],
      [{ ...good, theta: [...good.theta.slice(1), 'x'] }, /bad\.json: theta\[16\]: must be a finite number, got "x"/],
      [{ ...good, basis: { ...good.basis, type: 'nope' } }, /bad\.json: basis\.type: unknown basis type "nope"/],
      [{ ...good, basis: { ...good.basis, size: 'x' } }, /bad\.json: basis\.size: must be a number/],
      [{ ...good, species: ['Kr', 'Ar'] }, /bad\.json: species: Kr Ar differs from the basis's Ar Kr/],
      [{ ...good, activeSet: { ...good.activeSet, sources: [] } }, /bad\.json: activeSet\.sources: must be an array of 17/],
      [{ ...good, extra: 1 }, /bad\.json: extra: unknown field/],
    ];
    for (const [obj, re] of cases) {
      const p = join(dir, 'bad.json');
      writeFileSync(p, JSON.stringify(obj));
      await expect(loadMlipModel(p, { kernels: k })).rejects.toThrow(re);
      await expect(loadMlipModel(p, { kernels: k })).rejects.toBeInstanceOf(ModelFileError);
    }
    writeFileSync(join(dir, 'broken.json'), '{"format": ');
    await expect(loadMlipModel(join(dir, 'broken.json'), { kernels: k })).rejects.toThrow(/^broken\.json: /);
    await expect(loadMlipModel(join(dir, 'missing.json'), { kernels: k })).rejects.toThrow(/missing\.json: no such file/);
  });

  it('select: new configurations from a pool, not the training ones', () => {
    const all = data(20, 1);
    const { model } = trainModel(k, basis, all.slice(0, 10), [], { seed: 1 });
    const fresh = Array.from({ length: 4 }, (_, i) => rattledCubic({ seed: 700 + i, n: 2, a: 2.4, species: ['Ar', 'Kr'], randomSpecies: true, rattle: 0.3 }));
    const sel = model.select(k, [all[0].structure, ...fresh, all[3].structure], { cap: 3 });
    expect(sel.grades.length).toBe(6);
    expect(sel.selected.length).toBeGreaterThan(0);
    expect(sel.selected.length).toBeLessThanOrEqual(3);
    expect(sel.selected).not.toContain(0);
    expect(sel.selected).not.toContain(5);
  });

  it('without an active set the file says null and the grade is refused', () => {
    const all = data(6, 2);
    const { model } = trainModel(k, basis, all, [], { activeSet: 'none' });
    const o = JSON.parse(modelFileText(model));
    expect(o.activeSet).toBeNull();
    const back = MtpModel.fromJSON(k, o, 'x.json');
    expect(back.activeSet).toBeUndefined();
    expect(() => back.grade(k, all[0].structure)).toThrow(/no active set/);
  });
});

describe('the MLIP as a Calculator', () => {
  it('gives the basis evaluation, the grade in info, stress always; through loadPotential too', async () => {
    const { model } = trained();
    const path = join(dir, 'pot.json');
    saveMlipModel(path, model);
    const calc = await loadPotential(path, { kernels: k });
    const near = rattledCubic({ seed: 104, n: 2, a: 2.7, species: ['Ar', 'Kr'], randomSpecies: true });
    const far = rattledCubic({ seed: 5, n: 2, a: 2.2, species: ['Ar', 'Kr'], randomSpecies: true });
    const r = await calc.compute([near, far], { stress: true });
    const e = model.evaluate(near);
    expect(r[0].energy).toBe(e.energy);
    expect(Array.from(r[0].forces)).toEqual(Array.from(e.forces));
    expect(Array.from(r[0].stress!)).toEqual(Array.from(e.stress));
    expect(r[1].info!.grade as number).toBeGreaterThan(r[0].info!.grade as number);
    expect(r[1].info!.extrapolating).toBe(true);
    const strict = model.calculator(k, { maxGrade: 10 });
    await expect(strict.compute([near, far])).rejects.toThrow(/configuration 1 has extrapolation grade .* > 10/);
    const xe = rattledCubic({ seed: 1, n: 2, a: 3, species: ['Xe'] });
    await expect(calc.compute([near, xe])).rejects.toThrow(/configuration 1 has species Xe \(atom 1\); the model knows Ar Kr/);
    await expect(calc.compute([xe])).rejects.toBeInstanceOf(CalculatorError);
    writeFileSync(join(dir, 'badpot.json'), JSON.stringify({ format: MODEL_FORMAT, version: 1 }));
    await expect(loadPotential(join(dir, 'badpot.json'), { kernels: k })).rejects.toBeInstanceOf(PotentialError);
    await expect(loadPotential(join(dir, 'badpot.json'), { kernels: k })).rejects.toThrow(/badpot\.json: species: must be a non-empty array/);
  });
});

describe('training data files', () => {
  const s = rattledCubic({ seed: 1, n: 2, a: 2.7, species: ['Ar'] });
  const forces = new Float64Array(24).map((_, i) => 0.01 * i);
  const stress = Float64Array.of(0.1, 0.01, 0.02, 0.01, 0.2, 0.03, 0.02, 0.03, 0.3);

  it('prefers free_energy, keeps forces and stress (ASE sign convention = ours)', () => {
    const text = writeExtxyz([
      { structure: s, energy: -10, forces, stress, info: new Map([['free_energy', -10.05]]) },
      { structure: s, energy: -11, forces, info: new Map() },
    ]);
    const d = readDataset(text, 'd.xyz');
    expect(d[0].energy).toBe(-10.05);
    expect(d[0].energyKey).toBe('free_energy');
    expect(d[1].energy).toBe(-11);
    expect(d[1].energyKey).toBe('energy');
    expect(Array.from(d[0].stress!)).toEqual(Array.from(stress));
    expect(d[1].stress).toBeUndefined();
    expect(d[0].source).toBe('d.xyz#1');
    expect(readDataset(text, 'd.xyz', { energyKey: 'energy' })[0].energy).toBe(-10);
  });

  it('reads a file written by ASE with its keys (free_energy, 9-component stress)', () => {
    // As ASE 3.22 writes a SinglePointCalculator with energy, free_energy, forces, stress.
    const text = [
      '2',
      'Lattice="3.0 0.0 0.0 0.0 3.0 0.0 0.0 0.0 3.0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-7.5 free_energy=-7.52 stress="0.01 0.0 0.0 0.0 0.02 0.0 0.0 0.0 0.03" pbc="T T T"',
      'Si 0.0 0.0 0.0 0.1 0.0 0.0',
      'Si 1.5 1.5 1.5 -0.1 0.0 0.0',
      '',
    ].join('\n');
    const d = readDataset(text, 'ase.xyz');
    expect(d[0].energy).toBe(-7.52);
    expect(Array.from(d[0].forces!)).toEqual([0.1, 0, 0, -0.1, 0, 0]);
    expect(d[0].stress![8]).toBe(0.03);
  });

  it('errors name the file and the frame', () => {
    const noEnergy = writeExtxyz([{ structure: s, energy: -1, info: new Map() }, { structure: s, info: new Map() }]);
    expect(() => readDataset(noEnergy, 'a.xyz')).toThrow(/^a\.xyz: frame 2: no energy \(neither free_energy= nor energy=/);
    expect(() => readDataset(noEnergy, 'a.xyz', { energyKey: 'free_energy' })).toThrow(/^a\.xyz: frame 1: no free_energy=/);
    expect(() => readDataset(noEnergy, 'a.xyz', { requireForces: true })).toThrow(/^a\.xyz: frame 1: no forces/);
    const badFree = writeExtxyz([{ structure: s, energy: -1, info: new Map([['free_energy', 'abc']]) }]);
    expect(() => readDataset(badFree, 'b.xyz')).toThrow(/^b\.xyz: frame 1: free_energy must be a number/);
    expect(() => readDataset('2\nLattice="1 0 0 0 1 0 0 0 1"\nSi 0 0\n', 'c.xyz')).toThrow(DatasetError);
    expect(() => readDataset('2\nLattice="1 0 0 0 1 0 0 0 1"\nSi 0 0\n', 'c.xyz')).toThrow(/^c\.xyz:3: /);
    expect(() => readDatasetFile(join(dir, 'nothing.xyz'))).toThrow(/nothing\.xyz: no such file/);
  });
});
