// The evaluation pool (src/parallel/, Node worker_threads via src/node/workers.ts): results are
// bit-identical for 0 (in this thread), 1 and 2 workers and for any chunking, equal to a fresh engine
// per configuration, and errors name the same configuration whatever the timing — for the built-in
// potentials, an MLIP model file (an MTP trained here on Lennard-Jones labels) and an ONNX model
// (models/lj-argon.onnx). Needs the build (the worker script is dist/src/node/worker-thread.js).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { builtinCalculator, PotentialError } from '../../src/calculators/builtin.js';
import { CalculatorError, type CalcResult } from '../../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../../src/calculators/lennard-jones.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { nodeParallelCalculator } from '../../src/node/workers.js';
import type { CalculatorSpec } from '../../src/parallel/spec.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { runSschaJob, type SschaInputs } from '../../src/web/pipeline.js';
import { OnnxCalculator } from '../../src/calculators/onnx.js';
import { MtpModel } from '../../src/mlip/model.js';
import { MtpBasis } from '../../src/mlip/mtp.js';
import type { MlipSpec, OnnxSpec } from '../../src/parallel/kinds.js';
import { centered, mulberry32 } from '../helpers/random.js';
import { trainArgonMtp } from './argon-mtp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LJ = JSON.parse(readFileSync(ROOT + 'examples/argon/lj.json', 'utf8'));
const SPEC: CalculatorSpec = { kind: 'builtin', source: 'lj.json', potential: LJ };

let k: Kernels;
let configs: Structure[];

beforeAll(async () => {
  if (!existsSync(ROOT + 'dist/src/node/worker-thread.js')) throw new Error('dist/src/node/worker-thread.js is missing: run "npm run build" first');
  k = await loadKernels();
  const unit = new Structure({ cell: [0, 2.63, 2.63, 2.63, 0, 2.63, 2.63, 2.63, 0], species: ['Ar'], frac: [0, 0, 0] });
  const sc = makeSupercell(unit, [3, 3, 3]).structure;
  const r = centered(mulberry32(20250601));
  const x0 = sc.cartesian();
  // small displacements: a Verlet list built at one of them stays valid for the others
  configs = Array.from({ length: 24 }, () => sc.with({ cartesian: x0.map((v) => v + 0.12 * r()) }));
});

function bits(results: CalcResult[]): string {
  const all: number[] = [];
  for (const r of results) all.push(r.energy, ...r.forces, ...(r.stress ?? []));
  return Buffer.from(Float64Array.from(all).buffer).toString('hex');
}

describe('ParallelCalculator', () => {
  test('0, 1 and 2 workers and any chunking: the same bits, equal to a fresh engine per configuration', async () => {
    const out: Record<string, string> = {};
    for (const [name, threads, chunk] of [['local', 0, undefined], ['1 worker', 1, undefined], ['2 workers', 2, undefined], ['2 workers, chunk 1', 2, 1], ['2 workers, chunk 5', 2, 5]] as const) {
      const pc = await nodeParallelCalculator(SPEC, threads, { kernels: k, chunk });
      const done: number[] = [];
      out[name] = bits(await pc.compute(configs, { stress: true, onProgress: (d) => done.push(d) }));
      expect(done[done.length - 1], name).toBe(configs.length);
      expect(done.every((d, i) => i === 0 || d > done[i - 1]), name).toBe(true);
      await pc.dispose();
    }
    // reference: a new engine for every configuration (its list is built from that configuration only,
    // with the spec's skin 0: a list with a skin holds more pairs, summed in another order)
    const fresh: CalcResult[] = [];
    for (const s of configs) {
      const c = builtinCalculator(k, { ...LJ, skin: 0 });
      fresh.push(...(await c.compute([s], { stress: true })));
      c.dispose?.();
    }
    for (const name of Object.keys(out)) expect(out[name], name).toBe(bits(fresh));
    // why the spec rebuilds lists: the default engine reuses one Verlet list across these configurations
    const reused = new LennardJonesCalculator(k, LJ);
    await reused.compute(configs);
    expect(reused.listBuilds).toBeLessThan(configs.length);
    reused.dispose();
  });

  test('an engine error names the same configuration with 0 and 2 workers', async () => {
    const bad = configs.slice(0, 10);
    const cart = bad[7].cartesian();
    cart.set(cart.subarray(0, 3), 3); // atom 2 on top of atom 1
    bad[7] = bad[7].with({ cartesian: cart });
    const messages: string[] = [];
    for (const threads of [0, 2]) {
      const pc = await nodeParallelCalculator(SPEC, threads, { kernels: k, chunk: 2 });
      const e = await pc.compute(bad).catch((x) => x);
      expect(e, `threads ${threads}`).toBeInstanceOf(CalculatorError);
      expect((e as CalculatorError).index).toBe(7);
      messages.push((e as Error).message);
      await pc.dispose();
    }
    expect(messages[1], messages.join(" / ")).toBe(messages[0]);
    expect(messages[0]).toMatch(/atoms 1 and 2 of configuration 7 overlap/);
  });

  test('a bad potential is refused when the pool starts, as a PotentialError naming the file', async () => {
    for (const threads of [0, 2]) {
      const e = await nodeParallelCalculator({ kind: 'builtin', source: 'bad.json', potential: { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.01, cutoff: 8 }] } }, threads, { kernels: k }).catch((x) => x);
      expect(e).toBeInstanceOf(PotentialError);
      expect((e as Error).message).toBe('bad.json: pairs[0].sigma is missing');
    }
    const e = await nodeParallelCalculator({ kind: 'quantum-magic', source: 'model.qm' }, 1).catch((x) => x);
    expect((e as Error).message).toMatch(/^model\.qm: unknown calculator kind "quantum-magic" \(known here: builtin, mlip, onnx\)$/);
  });

  test('a whole SSCHA: 2 workers give the bits of 1 worker', async () => {
    loadMoyo();
    const inputs: SschaInputs = {
      structure: { text: readFileSync(ROOT + 'test/fixtures/sscha-cli/rocksalt.vasp', 'utf8'), fileName: 'rocksalt.vasp' },
      potential: { kind: 'builtin', potential: JSON.parse(readFileSync(ROOT + 'test/fixtures/sscha-cli/bond-network.json', 'utf8')) },
      supercell: [2, 2, 2], temperature: 100, configs: 60, seed: 11, maxPopulations: 4,
    };
    const run = (threads: number) => runSschaJob({ kernels: k, calculator: (spec) => nodeParallelCalculator(spec, threads) }, inputs);
    const one = await run(1);
    const two = await run(2);
    const digest = (r: typeof one) => Buffer.from(Float64Array.from([r.FperCell, r.FperCellErr, ...r.frequenciesCm, ...r.frequencyErrCm, ...r.history.flatMap((h) => [h.F, h.Ferr, h.GNorm])]).buffer).toString('hex');
    expect(one.history.length).toBeGreaterThan(1);
    expect(Number.isFinite(one.FperCell) && one.FperCellErr > 0).toBe(true);
    expect(digest(two)).toBe(digest(one));
  });
});

/** Results of every pool layout (in-thread, 1 and 2 workers, chunks of 1 and 5) as bits, and their info. */
async function layouts(spec: CalculatorSpec, structures: Structure[]): Promise<Record<string, { bits: string; info: unknown[] }>> {
  const out: Record<string, { bits: string; info: unknown[] }> = {};
  for (const [name, threads, chunk] of [['local', 0, undefined], ['1 worker', 1, undefined], ['2 workers', 2, undefined], ['2 workers, chunk 1', 2, 1], ['2 workers, chunk 5', 2, 5]] as const) {
    const pc = await nodeParallelCalculator(spec, threads, { kernels: k, chunk });
    const r = await pc.compute(structures, { stress: true });
    out[name] = { bits: bits(r), info: r.map((x) => x.info) };
    await pc.dispose();
  }
  return out;
}

describe('ParallelCalculator with model files', () => {
  let mlip: MlipSpec;

  beforeAll(async () => {
    const { model, report } = await trainArgonMtp(k);
    expect(report.test!.forceRmse).toBeLessThan(0.25 * report.test!.forceRms); // it is a model of LJ argon
    // what a worker receives: the model file's JSON, as a page or a program would read it
    mlip = { kind: 'mlip', source: 'ar-mtp.json', model: JSON.parse(JSON.stringify(model.toJSON())) };
    model.basis.dispose?.();
  });

  test('MLIP model file: 0, 1 and 2 workers and any chunking give the same bits and grades, equal to a fresh model per configuration', async () => {
    const out = await layouts(mlip, configs);
    const json = mlip.model as { basis: unknown };
    const loaded = MtpModel.fromJSON(k, json, 'ar-mtp.json');
    const fresh: CalcResult[] = [];
    for (const s of configs) {
      // a new basis per configuration, its neighbour list built from that configuration only (skin 0)
      const m = new MtpModel(MtpBasis.fromJSON(k, json.basis, { skin: 0 }), loaded.theta, loaded.activeSet);
      const c = m.calculator(k);
      fresh.push(...(await c.compute([s], { stress: true })));
      c.dispose();
    }
    loaded.basis.dispose?.();
    expect(fresh[3].forces.some((f) => Math.abs(f) > 1e-3)).toBe(true);
    for (const name of Object.keys(out)) {
      expect(out[name].bits, name).toBe(bits(fresh));
      // the extrapolation grade travels back from the workers
      expect(out[name].info, name).toEqual(fresh.map((r) => r.info));
    }
    expect(fresh.every((r) => typeof r.info?.grade === 'number' && (r.info.grade as number) > 0)).toBe(true);
  });

  test('ONNX model (its bytes sent to each worker): 0, 1 and 2 workers and any chunking give the same bits, equal to a fresh engine per configuration', async () => {
    const bytes = readFileSync(ROOT + 'models/lj-argon.onnx');
    const spec: OnnxSpec = { kind: 'onnx', source: 'lj-argon.onnx', model: Uint8Array.from(bytes) };
    const some = configs.slice(0, 12);
    const out = await layouts(spec, some);
    const fresh: CalcResult[] = [];
    for (const s of some) {
      const c = await OnnxCalculator.create(k, bytes, { source: 'lj-argon.onnx', skin: 0 });
      fresh.push(...(await c.compute([s], { stress: true })));
      await c.dispose();
    }
    for (const name of Object.keys(out)) expect(out[name].bits, name).toBe(bits(fresh));
    // the model is Lennard-Jones argon: close to the built-in potential
    const lj = await builtinCalculator(k, LJ).compute(some, { stress: true });
    expect(Math.abs(fresh[0].energy - lj[0].energy)).toBeLessThan(1e-10);
  });

  test('a broken model file is refused at start naming the file and field; a configuration outside the MTP domain is named alike with 0 and 2 workers', async () => {
    const model = mlip.model as Record<string, unknown>;
    for (const threads of [0, 2]) {
      const e = await nodeParallelCalculator({ ...mlip, model: { ...model, theta: (model.theta as number[]).slice(1) } }, threads, { kernels: k }).catch((x) => x);
      expect(e, `threads ${threads}`).toBeInstanceOf(PotentialError);
      expect((e as Error).message).toBe(`ar-mtp.json: theta: must be an array of ${(model.theta as number[]).length} numbers`);
      const onnx = await nodeParallelCalculator({ kind: 'onnx', source: 'bad.onnx', model: new Uint8Array([1, 2, 3]) }, threads, { kernels: k }).catch((x) => x);
      expect(onnx).toBeInstanceOf(PotentialError);
      expect((onnx as Error).message).toMatch(/^bad\.onnx: not a readable ONNX model/);
    }
    const bad = configs.slice(0, 10);
    const cart = bad[6].cartesian();
    cart[3] = cart[0] + 1.5; // atom 2 at 1.5 Å from atom 1, inside R_min = 2.5 Å
    cart[4] = cart[1];
    cart[5] = cart[2];
    bad[6] = bad[6].with({ cartesian: cart });
    const messages: string[] = [];
    for (const threads of [0, 2]) {
      const pc = await nodeParallelCalculator(mlip, threads, { kernels: k, chunk: 2 });
      const e = await pc.compute(bad).catch((x) => x);
      expect(e, `threads ${threads}`).toBeInstanceOf(CalculatorError);
      expect((e as CalculatorError).index).toBe(6);
      messages.push((e as Error).message);
      await pc.dispose();
    }
    expect(messages[1]).toBe(messages[0]);
    expect(messages[0]).toMatch(/configuration 6: MTP: atoms 1 \(Ar\) and 2 \(Ar\) are 1\.5000 Å apart, closer than R_min = 2\.5 Å/);
  });
});
