// ONNX models as force engines: milliseconds per configuration of 108 argon atoms with the shipped
// models/lj-argon.onnx, against the built-in Lennard-Jones of the same parameters (the peer, same run).
// Run: npx tsc -p . && node dist/bench/onnx.bench.js   (env BENCH_QUICK=1: fewer repeats)
//
// Engines: the built-in WebAssembly kernel; the ONNX model on onnxruntime-web (wasm, one thread —
// the default, bit-identical to browsers), with and without stress; models/morse-cu-ag.onnx
// (edge gradients, forces and stress reduced in JS) on a 108-atom Cu/Ag cell against the built-in
// Morse; and onnxruntime-node (native CPU, one thread) when it can be imported — it is not a
// dependency: install it elsewhere and point ONNXRUNTIME_NODE at its package folder, e.g.
//   (cd /tmp/ortnode && npm i onnxruntime-node@1.30.0) ; ONNXRUNTIME_NODE=/tmp/ortnode/node_modules/onnxruntime-node node dist/bench/onnx.bench.js
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Calculator } from '../src/calculators/calculator.js';
import { LennardJonesCalculator } from '../src/calculators/lennard-jones.js';
import { MorseCalculator } from '../src/calculators/morse.js';
import type { OnnxRuntime, OrtModule } from '../src/calculators/onnx.js';
import { loadKernels } from '../src/node/kernels.js';
import { loadOnnxModel, onnxRuntimeNode } from '../src/node/onnx.js';
import { Structure } from '../src/structure/structure.js';
import { lcg, report, runBenchmark, type ResultRow } from './lib.js';

const QUICK = !!process.env.BENCH_QUICK;
const M = QUICK ? 20 : 50; // configurations per batch
const R = QUICK ? 3 : 7; // timed batches
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** fcc, 3×3×3 conventional cells (108 atoms), atoms displaced by up to ±0.1 Å. */
function fcc108(a: number, species: (q: number) => string, seed: number): Structure {
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const frac: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) for (const b of basis) frac.push((b[0] + i) / 3, (b[1] + j) / 3, (b[2] + k) / 3);
  const s = new Structure({ cell: [3 * a, 0, 0, 0, 3 * a, 0, 0, 0, 3 * a], species: Array.from({ length: 108 }, (_, q) => species(q)), frac });
  const r = lcg(seed);
  return s.with({ cartesian: s.cartesian().map((x) => x + 0.2 * r()) });
}

/** Median ms per configuration over R batches of M configurations, after a warm-up batch. */
async function perConfig(calc: Calculator, configs: Structure[], stress: boolean): Promise<number> {
  await calc.compute(configs, { stress }); // warm-up: JIT tier-up, session buffers
  const times: number[] = [];
  for (let r = 0; r < R; r++) {
    const t0 = performance.now();
    await calc.compute(configs, { stress });
    times.push((performance.now() - t0) / configs.length);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** onnxruntime-node from $ONNXRUNTIME_NODE or the project's node_modules, if present. */
async function nativeRuntime(): Promise<OnnxRuntime | undefined> {
  const dir = process.env.ONNXRUNTIME_NODE;
  try {
    if (!dir) return await onnxRuntimeNode();
    const module = (await import(pathToFileURL(createRequire(join(dir, 'package.json')).resolve(dir)).href)) as OrtModule;
    return await onnxRuntimeNode({ module });
  } catch {
    return undefined;
  }
}

runBenchmark(async () => {
  const k = await loadKernels();
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const argon = Array.from({ length: M }, (_, q) => fcc108(5.3, () => 'Ar', 100 + q));
  const cuag = Array.from({ length: M }, (_, q) => fcc108(3.85, (i) => (i % 3 === 0 ? 'Ag' : 'Cu'), 200 + q));

  const lj = new LennardJonesCalculator(k, { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] });
  const morse = new MorseCalculator(k, {
    type: 'morse',
    pairs: [
      { species: ['Cu', 'Cu'], D: 0.3429, a: 1.3588, r0: 2.866, cutoff: 6.0 },
      { species: ['Ag', 'Ag'], D: 0.3323, a: 1.369, r0: 3.115, cutoff: 6.5 },
      { species: ['Cu', 'Ag'], D: 0.3376, a: 1.3639, r0: 2.99, cutoff: 6.2 },
    ],
  });
  const ljWeb = await loadOnnxModel(join(ROOT, 'models/lj-argon.onnx'), { kernels: k, backend: 'web' });
  const morseWeb = await loadOnnxModel(join(ROOT, 'models/morse-cu-ag.onnx'), { kernels: k, backend: 'web' });

  const base = await perConfig(lj, argon, true);
  rows.push({ system: 'Ar 108, LJ 8.5 Å', engine: 'built-in wasm kernel (peer)', stress: true, ms_per_config: +base.toFixed(3), ratio: 1 });
  for (const stress of [true, false]) {
    const t = await perConfig(ljWeb, argon, stress);
    rows.push({ system: 'Ar 108, LJ 8.5 Å', engine: ljWeb.runtime.name, stress, ms_per_config: +t.toFixed(3), ratio: +(t / base).toFixed(1) });
  }
  const runtime = await nativeRuntime();
  if (runtime) {
    const native = await loadOnnxModel(join(ROOT, 'models/lj-argon.onnx'), { kernels: k, runtime });
    const t = await perConfig(native, argon, true);
    rows.push({ system: 'Ar 108, LJ 8.5 Å', engine: native.runtime.name, stress: true, ms_per_config: +t.toFixed(3), ratio: +(t / base).toFixed(1) });
    await native.dispose();
  } else notes.push('onnxruntime-node not found (set ONNXRUNTIME_NODE to its package folder): native row omitted');

  const mbase = await perConfig(morse, cuag, true);
  rows.push({ system: 'CuAg 108, Morse 6–6.5 Å', engine: 'built-in wasm kernel (peer)', stress: true, ms_per_config: +mbase.toFixed(3), ratio: 1 });
  const tm = await perConfig(morseWeb, cuag, true);
  rows.push({ system: 'CuAg 108, Morse 6–6.5 Å', engine: `${morseWeb.runtime.name}, edge gradients`, stress: true, ms_per_config: +tm.toFixed(3), ratio: +(tm / mbase).toFixed(1) });

  notes.push(`${M} configurations per batch, median of ${R} batches; the ONNX times include our neighbour list, the tensors and the session run`);
  report('onnx', rows, notes);
  for (const c of [ljWeb, morseWeb]) await c.dispose();
  lj.dispose();
  morse.dispose();
});
