// ONNX models as force engines (src/calculators/onnx.ts) on onnxruntime-web in Node: the shipped
// models (models/) equal the built-in potentials of the same parameters; the contract's errors are
// clear; NaN results become CalculatorErrors; `--potential model.onnx` loads through loadPotential.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lennardJonesModel, morseModel } from '../../models/pair-models.js';
import { ARGON, CU_AG, SHIPPED_MODELS } from '../../models/shipped.js';
import { GraphBuilder, type DType } from '../../models/onnx-writer.js';
import { CalculatorError } from '../../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { MorseCalculator } from '../../src/calculators/morse.js';
import { OnnxCalculator, readOnnxModel } from '../../src/calculators/onnx.js';
import { PotentialError } from '../../src/calculators/wasm-calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadOnnxModel, onnxBackend, onnxRuntimeNode } from '../../src/node/onnx.js';
import { loadPotential } from '../../src/node/potentials.js';
import { neighborPairs } from '../../src/neighbors/neighbor-list.js';
import { Structure } from '../../src/structure/structure.js';
import { maxAbs, maxAbsDiff } from '../helpers/arrays.js';
import { FCC, randomCrystal } from './helpers.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const model = (name: string) => new Uint8Array(readFileSync(MODELS + name));

/** Test cells: triclinic supercells whose images interact, one-atom cells (self-images only). */
function argonCells(): Structure[] {
  const oneAtom = new Structure({ cell: [0.1, 2.63, 2.71, 2.6, -0.05, 2.66, 2.58, 2.69, 0.12], species: ['Ar'], frac: [0.3, 0.2, 0.1] });
  const twoAtoms = new Structure({
    cell: [3.9, 0.2, 0.1, 0.5, 4.1, 0.3, -0.4, 0.6, 4.3], species: ['Ar', 'Ar'], frac: [0, 0, 0, 0.48, 0.53, 0.46],
  });
  return [
    randomCrystal(FCC, 5.26, 2, () => 'Ar', 11),
    randomCrystal(FCC, 5.1, 3, () => 'Ar', 12, 0.2, 0.15),
    oneAtom,
    twoAtoms,
  ];
}

function cuAgCells(): Structure[] {
  const two = new Structure({ cell: [2.6, 0.1, 0.2, 0.3, 2.7, -0.1, 0.2, 0.1, 2.9], species: ['Cu', 'Ag'], frac: [0, 0, 0, 0.5, 0.45, 0.55] });
  return [
    randomCrystal(FCC, 3.8, 2, (q) => (q % 3 === 0 ? 'Ag' : 'Cu'), 21),
    randomCrystal(FCC, 3.9, 3, (q) => (q % 2 === 0 ? 'Ag' : 'Cu'), 22, 0.15, 0.12),
    two,
  ];
}

/**
 * Worst differences of energy, forces, stress relative to the largest reference value; forces that
 * vanish by symmetry (one-atom cells) are compared on the scale 1e-3 eV/Å instead.
 */
function compare(a: { energy: number; forces: Float64Array; stress?: Float64Array }, b: typeof a) {
  const d = {
    energy: Math.abs(a.energy - b.energy) / Math.abs(b.energy),
    forces: maxAbsDiff(a.forces, b.forces) / Math.max(maxAbs(b.forces), 1e-3),
    stress: a.stress ? maxAbsDiff(a.stress, b.stress!) / maxAbs(b.stress!) : 0,
  };
  if (process.env.ONNX_TEST_VERBOSE) console.log(JSON.stringify(d));
  return d;
}

/** A model whose outputs are simple functions of the positions, with chosen inputs and outputs. */
function stubModel(o: {
  inputs?: [string, DType, (number | string)[]][];
  outputs?: string[];
  forces?: 'zero' | 'nan' | 'one-row';
  metadata?: [string, string][];
}): Uint8Array {
  const g = new GraphBuilder('stub');
  const ins = o.inputs ?? [
    ['numbers', 'int64', ['n']], ['positions', 'float64', ['n', 3]], ['cell', 'float64', [3, 3]],
    ['edge_index', 'int64', [2, 'p']], ['unit_shifts', 'float64', ['p', 3]],
  ];
  for (const [name, t, dims] of ins) g.input(name, t, dims);
  const T = (ins.find((x) => x[0] === 'positions')?.[1] ?? 'float64') as DType;
  const zero = g.scalar(T, 0);
  const outs = o.outputs ?? ['energy', 'forces'];
  if (outs.includes('energy')) g.output('energy', g.op('ReduceSum', [g.op('Mul', ['positions', zero])], { keepdims: { int: 0 } }), T, []);
  if (outs.includes('forces')) {
    const kind = o.forces ?? 'zero';
    const f =
      kind === 'one-row'
        ? g.op('Gather', ['positions', g.constant('int64', [1], [0])], { axis: { int: 0 } })
        : g.op('Mul', ['positions', kind === 'nan' ? g.scalar(T, NaN) : zero]);
    g.output('forces', f, T, ['n', 3]);
  }
  return g.model({ metadata: o.metadata ?? [['cutoff', '4.0']] });
}

describe('ONNX models on onnxruntime-web in Node', async () => {
  const k = await loadKernels();

  it('the committed model files are exactly what models/make-models.ts writes', () => {
    for (const [name, make] of Object.entries(SHIPPED_MODELS)) expect(Buffer.from(model(name)).equals(Buffer.from(make())), name).toBe(true);
    const info = readOnnxModel(model('lj-argon.onnx'));
    expect(info.inputs.map((v) => `${v.name}:${v.type}`)).toEqual([
      'numbers:int64', 'positions:float64', 'cell:float64', 'edge_index:int64', 'unit_shifts:float64',
    ]);
    expect(info.outputs.map((v) => v.name)).toEqual(['energy', 'forces', 'stress']);
    expect(info.metadata).toEqual({ cutoff: '8.5', species: 'Ar' });
    expect(info.inputs[1].shape).toEqual(['n_atoms', 3]);
  });

  it('lj-argon.onnx (energy, forces, stress in the graph) equals the built-in Lennard-Jones to round-off', async () => {
    const onnx = await OnnxCalculator.create(k, model('lj-argon.onnx'), { source: 'lj-argon.onnx' });
    const lj = new LennardJonesCalculator(k, { type: 'lennard-jones', pairs: [{ ...ARGON, species: ['Ar', 'Ar'] }] });
    const cells = argonCells();
    const a = await onnx.compute(cells, { stress: true });
    const b = await lj.compute(cells, { stress: true });
    for (let c = 0; c < cells.length; c++) {
      const d = compare(a[c], b[c]);
      expect(d.energy, `cell ${c} energy`).toBeLessThan(1e-13);
      expect(d.forces, `cell ${c} forces`).toBeLessThan(1e-12);
      expect(d.stress, `cell ${c} stress`).toBeLessThan(1e-12);
      if (cells[c].natoms > 1) expect(maxAbs(b[c].forces)).toBeGreaterThan(1e-4); // not a comparison of zeros
    }
    expect(onnx.hasStress).toBe(true);
    lj.dispose();
    await onnx.dispose();
  });

  it('morse-cu-ag.onnx (energy and edge gradients; forces and stress reduced here) equals the built-in Morse', async () => {
    const onnx = await OnnxCalculator.create(k, model('morse-cu-ag.onnx'));
    expect(onnx.contract.outputs).toEqual({ forces: false, stress: false, edgeGradients: true });
    const morse = new MorseCalculator(k, { type: 'morse', pairs: CU_AG });
    const cells = cuAgCells();
    const a = await onnx.compute(cells, { stress: true });
    const b = await morse.compute(cells, { stress: true });
    for (let c = 0; c < cells.length; c++) {
      const d = compare(a[c], b[c]);
      expect(d.energy, `cell ${c} energy`).toBeLessThan(1e-13);
      expect(d.forces, `cell ${c} forces`).toBeLessThan(1e-12);
      expect(d.stress, `cell ${c} stress`).toBeLessThan(1e-12);
      expect(maxAbs(b[c].forces)).toBeGreaterThan(1e-3);
    }
    // without stress, the result has none (and forces are unchanged)
    const [r] = await onnx.compute([cells[0]]);
    expect(r.stress).toBeUndefined();
    expect(r.forces).toEqual(a[0].forces);
    morse.dispose();
    await onnx.dispose();
  });

  it('a float32 model agrees to single precision; a model with forces but no stress says so', async () => {
    const f32 = await OnnxCalculator.create(k, lennardJonesModel({ ...ARGON, dtype: 'float32' }));
    const f64 = await OnnxCalculator.create(k, model('lj-argon.onnx'));
    const cells = argonCells().slice(0, 2);
    const a = await f32.compute(cells, { stress: true });
    const b = await f64.compute(cells, { stress: true });
    for (let c = 0; c < cells.length; c++) {
      const d = compare(a[c], b[c]);
      expect(d.energy).toBeLessThan(1e-5);
      expect(d.forces).toBeLessThan(1e-4);
      expect(d.energy + d.forces).toBeGreaterThan(1e-10); // really computed in float32
    }
    const noStress = await OnnxCalculator.create(k, lennardJonesModel({ ...ARGON, outputs: { forces: true } }), { source: 'nostress.onnx' });
    expect(noStress.hasStress).toBe(false);
    await expect(noStress.compute(cells)).resolves.toHaveLength(2);
    await expect(noStress.compute(cells, { stress: true })).rejects.toThrow(
      'onnx:nostress.onnx: the model gives no stress (it has neither a "stress" nor an "edge_gradients" output)',
    );
    for (const c of [f32, f64, noStress]) await c.dispose();
  });

  it('the edges fed to the model are the full neighbour list of NeighborList.pairs() (i, j, S and vectors)', async () => {
    const onnx = await OnnxCalculator.create(k, model('morse-cu-ag.onnx'));
    for (const s of cuAgCells()) {
      await onnx.compute([s]);
      const e = (onnx as unknown as { edges(): { i: Int32Array; j: Int32Array; shift: Int32Array; vectors: Float64Array } }).edges();
      const p = neighborPairs(k, s.cell, s.frac, 6.5, { full: true });
      const key = (i: number, j: number, S: ArrayLike<number>, q: number) => `${i} ${j} ${S[3 * q]} ${S[3 * q + 1]} ${S[3 * q + 2]}`;
      const mine = Array.from(e.i, (i, q) => key(i, e.j[q], e.shift, q));
      expect(mine.length).toBeGreaterThan(10 * s.natoms);
      expect(mine).toEqual(Array.from(p.i, (i, q) => key(i, p.j[q], p.shift, q)));
      expect(Array.from(e.vectors)).toEqual(Array.from(p.vectors));
    }
    await onnx.dispose();
  });

  it('an isolated atom (no pairs at all) has zero energy and forces', async () => {
    const onnx = await OnnxCalculator.create(k, model('morse-cu-ag.onnx'));
    const s = new Structure({ cell: [20, 0, 0, 0, 21, 0, 0, 0, 22], species: ['Cu'], frac: [0.1, 0.2, 0.3] });
    const [r] = await onnx.compute([s], { stress: true });
    expect(r.energy).toBe(0);
    expect(Array.from(r.forces)).toEqual([0, 0, 0]);
    expect(Array.from(r.stress!)).toEqual(new Array(9).fill(0));
    await onnx.dispose();
  });

  it('batches report progress and can be aborted', async () => {
    const onnx = await OnnxCalculator.create(k, model('lj-argon.onnx'));
    const cells = argonCells();
    const seen: number[] = [];
    const all = await onnx.compute(cells, { onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([1, 2, 3, 4]);
    const one = await onnx.compute([cells[2]]);
    expect(one[0].forces).toEqual(all[2].forces);
    const ac = new AbortController();
    ac.abort();
    await expect(onnx.compute(cells, { signal: ac.signal })).rejects.toThrow(/batch aborted after 0 of 4/);
    await onnx.dispose();
    await expect(onnx.compute(cells)).rejects.toThrow('used after dispose');
  });
});

describe('the contract is checked with clear errors', async () => {
  const k = await loadKernels();
  const create = (bytes: Uint8Array, name = 'bad.onnx', opts = {}) => OnnxCalculator.create(k, bytes, { source: name, ...opts });

  it('a missing or unexpected input names it and the contract', async () => {
    const noCell = stubModel({
      inputs: [['numbers', 'int64', ['n']], ['positions', 'float64', ['n', 3]], ['edge_index', 'int64', [2, 'p']], ['unit_shifts', 'float64', ['p', 3]]],
    });
    await expect(create(noCell)).rejects.toThrow(
      'bad.onnx: the model has no input "cell" (T [3, 3]); its inputs are numbers, positions, edge_index, unit_shifts (contract: docs/onnx.md)',
    );
    await expect(create(noCell)).rejects.toBeInstanceOf(PotentialError);
    const extra = stubModel({
      inputs: [
        ['numbers', 'int64', ['n']], ['positions', 'float64', ['n', 3]], ['cell', 'float64', [3, 3]], ['edge_index', 'int64', [2, 'p']],
        ['unit_shifts', 'float64', ['p', 3]], ['node_attrs', 'float64', ['n', 4]],
      ],
    });
    await expect(create(extra)).rejects.toThrow('bad.onnx: the model has an input "node_attrs" that the contract does not provide');
  });

  it('a missing output names it', async () => {
    await expect(create(stubModel({ outputs: ['forces'] }))).rejects.toThrow('bad.onnx: the model has no output "energy" (T [] or [1]); its outputs are forces');
    await expect(create(lennardJonesModel({ ...ARGON, outputs: { stress: true } }))).rejects.toThrow(
      'bad.onnx: the model has neither a "forces" (T [n_atoms, 3]) nor an "edge_gradients" (T [n_edges, 3]) output; its outputs are energy, stress',
    );
  });

  it('wrong dtypes and shapes name the value and what is expected', async () => {
    const std: [string, DType, (number | string)[]][] = [
      ['numbers', 'int64', ['n']], ['positions', 'float64', ['n', 3]], ['cell', 'float64', [3, 3]],
      ['edge_index', 'int64', [2, 'p']], ['unit_shifts', 'float64', ['p', 3]],
    ];
    const with_ = (name: string, t: DType, dims?: (number | string)[]) => std.map((x) => (x[0] === name ? [name, t, dims ?? x[2]] : x)) as typeof std;
    await expect(create(stubModel({ inputs: with_('cell', 'float32') }))).rejects.toThrow(
      'bad.onnx: input "cell" is float32; expected float64 (positions is float64: every float input and output must be float64)',
    );
    await expect(create(stubModel({ inputs: with_('edge_index', 'int32') }))).rejects.toThrow('bad.onnx: input "edge_index" is int32; expected int64');
    await expect(create(stubModel({ inputs: with_('numbers', 'float64') }))).rejects.toThrow('input "numbers" is float64; expected int64');
    await expect(create(stubModel({ inputs: with_('positions', 'int32') }))).rejects.toThrow('input "positions" is int32; expected float32 or float64');
    await expect(create(stubModel({ inputs: with_('edge_index', 'int64', [3, 'p']) }))).rejects.toThrow(
      'input "edge_index" has shape int64 [3, p]; expected int64 [2, n_edges]',
    );
  });

  it('metadata: a missing cutoff asks for one; bad species symbols are named', async () => {
    await expect(create(stubModel({ metadata: [] }))).rejects.toThrow('bad.onnx: the model has no "cutoff" metadata_props entry; add one (Å) or pass the cutoff option');
    const c = await create(stubModel({ metadata: [] }), 'm.onnx', { cutoff: 3 });
    expect(c.contract.cutoff).toBe(3);
    await c.dispose();
    await expect(create(model('lj-argon.onnx'), 'lj.onnx', { cutoff: 5 })).rejects.toThrow(
      'lj.onnx: the cutoff option (5 Å) differs from the model\'s "cutoff" metadata (8.5 Å)',
    );
    await expect(create(stubModel({ metadata: [['cutoff', 'big']] }))).rejects.toThrow('metadata "cutoff" must be a positive number of Å, got "big"');
    await expect(create(stubModel({ metadata: [['cutoff', '4'], ['species', 'Cu,Xx']] }))).rejects.toThrow('species "Xx" (metadata or option) is not an element symbol');
    await expect(create(new TextEncoder().encode('{"type": "lennard-jones"}'))).rejects.toThrow(/^bad.onnx: not a readable ONNX model/);
  });

  it('a species the model does not know is a CalculatorError naming the atom', async () => {
    const onnx = await create(model('lj-argon.onnx'), 'lj-argon.onnx');
    const s = new Structure({ cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], species: ['Ar', 'Kr'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    const err = await onnx.compute([s, s]).catch((e) => e);
    expect(err).toBeInstanceOf(CalculatorError);
    expect(err.message).toBe('onnx:lj-argon.onnx: species "Kr" (atom 2 of configuration 0) is not known to the model (known: Ar)');
    expect(err.index).toBe(0);
    await onnx.dispose();
  });

  it('NaN forces, overlapping atoms and wrongly shaped outputs become CalculatorErrors', async () => {
    const s = new Structure({ cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], species: ['Ar', 'Ar'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    const nan = await create(stubModel({ forces: 'nan' }), 'nan.onnx');
    const e1 = await nan.compute([s]).catch((e) => e);
    expect(e1).toBeInstanceOf(CalculatorError);
    expect(e1.message).toBe('onnx:nan.onnx: force on atom 1 of configuration 0 is NaN');
    const lj = await create(model('lj-argon.onnx'), 'lj-argon.onnx');
    const overlap = s.with({ frac: [0, 0, 0, 0, 0, 0] });
    const e2 = await lj.compute([s, overlap]).catch((e) => e);
    expect(e2).toBeInstanceOf(CalculatorError);
    expect(e2.index).toBe(1);
    expect(e2.message).toMatch(/^onnx:lj-argon.onnx: energy of configuration 1 is (NaN|Infinity)/);
    const row = await create(stubModel({ forces: 'one-row' }), 'row.onnx');
    await expect(row.compute([s])).rejects.toThrow('onnx:row.onnx: configuration 0: output "forces" has shape [1, 3]; expected [2, 3] (n_atoms, 3)');
    for (const c of [nan, lj, row]) await c.dispose();
  });
});

describe('Node adapter and --potential model.onnx', async () => {
  const k = await loadKernels();

  it('loadPotential reads an .onnx file like a potential file', async () => {
    const calc = await loadPotential(MODELS + 'lj-argon.onnx', { kernels: k });
    expect(calc).toBeInstanceOf(OnnxCalculator);
    expect(calc.name).toBe('onnx:lj-argon.onnx');
    const s = argonCells()[3];
    const [r] = await calc.compute([s]);
    const lj = new LennardJonesCalculator(k, { type: 'lennard-jones', pairs: [{ ...ARGON, species: ['Ar', 'Ar'] }] });
    const [q] = await lj.compute([s]);
    expect(Math.abs(r.energy - q.energy)).toBeLessThan(1e-15);
    await expect(loadPotential(MODELS + 'missing.onnx', { kernels: k })).rejects.toThrow('missing.onnx: cannot read');
    lj.dispose();
    await calc.dispose?.();
  });

  it('the backend is web unless asked; "node" without onnxruntime-node explains how to install it', async () => {
    expect(onnxBackend()).toBe(process.env.ANHARM_ONNX_BACKEND ?? 'web');
    expect(() => onnxBackend('gpu')).toThrow('ONNX backend must be "web" or "node", got "gpu"');
    let installed = true;
    try {
      createRequire(import.meta.url).resolve('onnxruntime-node');
    } catch {
      installed = false;
    }
    if (installed) {
      // an optional package a user added: it must load and agree with the web backend closely
      const calc = await loadOnnxModel(MODELS + 'lj-argon.onnx', { kernels: k, backend: 'node' });
      const web = await loadOnnxModel(MODELS + 'lj-argon.onnx', { kernels: k, backend: 'web' });
      const s = argonCells();
      const a = await calc.compute(s, { stress: true });
      const b = await web.compute(s, { stress: true });
      for (let c = 0; c < s.length; c++) expect(compare(a[c], b[c]).forces).toBeLessThan(1e-12);
    } else {
      await expect(onnxRuntimeNode()).rejects.toThrow(
        /needs the optional package onnxruntime-node, which is not installed: run "npm install --save-exact onnxruntime-node@1.30.0"/,
      );
      await expect(loadOnnxModel(MODELS + 'lj-argon.onnx', { kernels: k, backend: 'node' })).rejects.toBeInstanceOf(PotentialError);
    }
  });

  it('morseModel writes per-pair cutoffs into the metadata as the largest one', () => {
    expect(readOnnxModel(morseModel(CU_AG)).metadata).toEqual({ cutoff: '6.5', species: 'Cu,Ag' });
  });
});
