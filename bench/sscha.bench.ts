// SSCHA at the size of the performance target, against python-sscha in the same run: the rock-salt
// "HS" bond-network crystal of test/fixtures/sscha (the model of bench/sscha-python.py and
// test/fixtures/scripts/sscha_reference.py: a = 3 Å, H at 0, S at ½, the three anharmonic bond types),
// 4×4×4 supercell of the primitive cell (128 atoms, M = 381 modes), 1000 configurations, T = 300 K.
//
// Ours (one thread, WebAssembly):
// - sampling: samplePopulation (modes of Φ₀, ξ from Philox, U = (Ξ·diag A)·Ẽ);
// - sampling + evaluation: the same plus evaluatePopulation with our bond-network engine;
// - one minimisation step: what python-sscha's SSCHA_Minimizer.run() does for one step (max_ka = 1):
//   update (R, Φ) → symmetrise → new modes → re-weight → F, gradients, errors, symmetrise + ASR
//   (stepParameters + EnsembleWorkspace.averages at the new point); also "init" (the workspace and the
//   averages at the generating point, python's minim.init());
// - static-bubble Hessian: staticBubbleHessian with the primitive rows + supercell translations, then
//   Symmetrizer.forceConstants with ASR (sschaHessian of src/sscha/report.ts).
// Peer: bench/sscha-python.py (python-sscha + CellConstructor oracle build, PYTHONPATH=/work/oracles/site,
// one BLAS/OpenMP thread) with --skip-hessian; its Hessian (minutes) only with --with-python-hessian.
// python-sscha's "evaluate" uses the Python bond network of the fixture scripts (numpy), i.e. it compares
// engines, not SSCHA implementations; it is listed for completeness.
// Memory (measured first, before any timing or the Hessian touches kernel memory): for 1000, 2000,
// 4000 configurations, the WebAssembly memory and the process RSS after sampling + evaluation +
// workspace + averages (kernel memory is reused and never returned, so the sizes run in increasing
// order; each workspace is freed before the next, populations are kept alive).
//
// Run: npx tsc -p . && node dist/bench/sscha.bench.js [--with-python-hessian] [--configs 1000] [--quick]
// --quick: no python-sscha peer, no memory scan, no Hessian (for iterating on the step time); the
// step's parts (update, modes, precision ratio, ssAverages kernel, G symmetrisation) are printed in
// every mode.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BondNetworkCalculator } from '../src/calculators/bond-network.js';
import { loadKernels } from '../src/node/kernels.js';
import { loadMoyo } from '../src/node/moyo.js';
import { computeForceConstants } from '../src/phonons/force-constants.js';
import { EnsembleWorkspace, evaluatePopulation, projectPhi, samplePopulation, stepParameters, type Population, type SschaSymmetry } from '../src/sscha/index.js';
import { sschaHessian } from '../src/sscha/report.js';
import { Structure } from '../src/structure/structure.js';
import { makeSupercell } from '../src/structure/supercell.js';
import { analyzeSymmetry } from '../src/symmetry/analyze.js';
import { supercellOperations } from '../src/symmetry/operations.js';
import { Symmetrizer } from '../src/symmetry/symmetrize.js';
import { measure, report, runBenchmark, type ResultRow } from './lib.js';

const args = process.argv.slice(2);
const WITH_PY_HESSIAN = args.includes('--with-python-hessian');
const QUICK = args.includes('--quick');
const NC = Number(args[args.indexOf('--configs') + 1] ?? 1000) || 1000;
const SUPER = 4;
const T = 300;
const SEED = 7;
const ORACLE = process.env.SSCHA_ORACLE_SITE ?? '/work/oracles/site';
const PY = '/usr/bin/python3';
const PEER = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../bench/sscha-python.py' : './sscha-python.py', import.meta.url));

/** The model of sscha_reference.py: model('rs-hs'). */
const A = 3.0;
const POTENTIAL = {
  type: 'bond-network',
  tolerance: 0.1,
  bonds: [
    { species: ['H', 'S'], d0: A / 2, k2: 12.0, k3: -60.0, k4: 1500.0 },
    { species: ['H', 'H'], d0: A / Math.SQRT2, k2: 1.5, k3: -6.0, k4: 150.0 },
    { species: ['S', 'S'], d0: A / Math.SQRT2, k2: 3.0, k3: -6.0, k4: 300.0 },
  ],
};

interface PeerOut {
  seconds: Record<string, number>;
  natoms: number;
  configs: number;
  free_energy_eV_per_cell: number;
  free_energy_err_eV_per_cell: number;
  python_sscha_commit?: string | null;
}

/** bench/sscha-python.py; null (with the reason printed) when the oracle is missing or fails. */
function runPeer(extra: string[]): PeerOut | null {
  if (!existsSync(`${ORACLE}/sscha`)) {
    console.log(`# python-sscha peer skipped: no oracle build at ${ORACLE} (test/fixtures/scripts/sscha_oracle_build.sh)`);
    return null;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: ORACLE, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const t0 = performance.now();
  const r = spawnSync(PY, [PEER, '--configs', String(NC), '--T', String(T), '--supercell', String(SUPER), '--seed', String(SEED), '--threads', '1', ...extra], {
    env, encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) {
    console.log(`# python-sscha peer failed (${r.status}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
  const lines = r.stdout.trim().split('\n');
  console.log(`# python-sscha peer ${extra.join(' ') || '(with Hessian)'}: ${((performance.now() - t0) / 1000).toFixed(1)} s wall`);
  return JSON.parse(lines[lines.length - 1]) as PeerOut;
}

const MB = 2 ** 20;
const fmt = (x: number, d = 1) => Number(x.toFixed(d));

async function main(): Promise<void> {
  const k = await loadKernels();
  loadMoyo();
  const unit = new Structure({ cell: [0, A / 2, A / 2, A / 2, 0, A / 2, A / 2, A / 2, 0], species: ['H', 'S'], frac: [0, 0, 0, 0.5, 0.5, 0.5], masses: [1.008, 32.06] });
  const sc = makeSupercell(unit, [SUPER, SUPER, SUPER]);
  const s = sc.structure;
  const ds = analyzeSymmetry(unit);
  const sym: SschaSymmetry = {
    symmetrizer: new Symmetrizer(s.cell, supercellOperations(s, ds.operations, Array.from(sc.matrix), ds.mapTolerance)),
    nTranslations: 3,
  };
  const calc = new BondNetworkCalculator(k, POTENTIAL as never, s);
  const tSetup0 = performance.now();
  const fc = await computeForceConstants(calc, unit, [SUPER, SUPER, SUPER]);
  const phi = projectPhi(fc.phi, sym);
  const tSetup = performance.now() - tSetup0;
  const R = s.cartesian();
  const n3 = 3 * s.natoms;
  console.log(`# ${s.natoms} atoms (M = ${n3 - 3} modes), ${NC} configurations, T = ${T} K, symmetry order ${sym.symmetrizer!.order}`);

  // memory baseline before any population exists
  const rss0 = process.memoryUsage().rss;
  const wasm0 = k.memory.buffer.byteLength;

  const sampleInput = (nc: number, index = 0) => ({ structure: s, centroids: R, phi, temperature: T, nConfigs: nc, seed: SEED, index });

  // memory vs ensemble size (sample + evaluate + workspace + averages, kept alive together)
  const memRows: ResultRow[] = [];
  const keep: Population[] = [];
  for (const nc of QUICK ? [] : [1000, 2000, 4000]) {
    const p = samplePopulation(k, sampleInput(nc, 10 + nc));
    await evaluatePopulation(p, calc, s, { stress: false });
    const w = new EnsembleWorkspace(k, p, sym);
    w.averages(R, phi, T);
    const popBytes = [p.xi, p.positions, p.forces, p.energies].reduce((x, b) => x + b.byteLength, 0);
    const wasm = k.memory.buffer.byteLength;
    global.gc?.();
    const rss = process.memoryUsage().rss;
    memRows.push({
      item: `memory, ${nc} configurations`,
      'population arrays (MB)': fmt(popBytes / MB),
      'WASM memory (MB)': fmt(wasm / MB),
      'WASM growth since start (MB)': fmt((wasm - wasm0) / MB),
      'RSS (MB)': fmt(rss / MB),
      'RSS growth since start (MB)': fmt((rss - rss0) / MB),
    });
    w.free();
    keep.push(p);
  }
  keep.length = 0;


  const tSample = await measure(() => samplePopulation(k, sampleInput(NC)), { minTimeMs: 2000, minIterations: 5 });
  // sampling + evaluation is asynchronous (Calculator.compute): median of 5 awaited calls
  const evalTimes: number[] = [];
  const sampleEvalTimes: number[] = [];
  let pop!: Population;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    pop = samplePopulation(k, sampleInput(NC));
    const t1 = performance.now();
    await evaluatePopulation(pop, calc, s, { stress: false });
    const t2 = performance.now();
    evalTimes.push(t2 - t1);
    sampleEvalTimes.push(t2 - t0);
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  const tEval = median(evalTimes);
  const tSampleEval = { ms: median(sampleEvalTimes) };

  let ws!: EnsembleWorkspace;
  const tInit = await measure(() => {
    ws?.free();
    ws = new EnsembleWorkspace(k, pop, sym);
    ws.averages(R, phi, T);
  }, { minTimeMs: 2000, minIterations: 5 });
  const a0 = ws.averages(R, phi, T);
  const tStep = await measure(() => {
    const next = stepParameters(k, R, phi, a0, 0.5, { reference: R, symmetry: sym });
    ws.averages(next.R, next.phi, T);
  }, { minTimeMs: 3000, minIterations: 5 });
  // parts of the step (same trial point): the update (Φ, R and their symmetrisation), the modes of the
  // new Φ, the precision ratio, the ensemble kernel, the symmetrisation + ASR of G
  const next = stepParameters(k, R, phi, a0, 0.5, { reference: R, symmetry: sym });
  const aNext = ws.averages(next.R, next.phi, T);
  const wsi = ws as unknown as { table: { ptr: number }; paired: boolean; antitheticPositions: boolean; volume: number; nc: number; n3: number; m: number };
  const avgKernel = k.fn<(...x: number[]) => number>('ssAverages');
  const flags = (wsi.paired ? 1 : 0) | (wsi.antitheticPositions ? 2 : 0);
  const part = async (f: () => unknown) => (await measure(f, { minTimeMs: 1000, minIterations: 5 })).ms;
  const parts = {
    update: await part(() => stepParameters(k, R, phi, a0, 0.5, { reference: R, symmetry: sym })),
    modes: await part(() => ws.modes.compute(next.phi, T)),
    precisionRatio: await part(() => ws.precisionRatio()),
    ssAverages: await part(() => avgKernel(wsi.nc, wsi.n3, wsi.m, 0, wsi.volume, wsi.table.ptr, flags)),
    symmetriseG: await part(() => sym.symmetrizer!.forceConstants(aNext.G, { asr: true })),
  };
  ws.averages(next.R, next.phi, T); // leave the workspace consistent
  console.log(
    `# one step ${tStep.ms.toFixed(1)} ms: update ${parts.update.toFixed(1)}, modes ${parts.modes.toFixed(1)}, precision ratio ${parts.precisionRatio.toFixed(1)}, ` +
      `ssAverages kernel ${parts.ssAverages.toFixed(1)} (antithetic positions: ${wsi.antitheticPositions}), G symmetrisation + ASR ${parts.symmetriseG.toFixed(1)} ms`,
  );
  ws.free();
  if (QUICK) {
    console.log(`# --quick: sampling ${tSample.ms.toFixed(1)} ms, init ${tInit.ms.toFixed(1)} ms, one minimisation step ${tStep.ms.toFixed(1)} ms (python-sscha: 2360–2620 ms in earlier runs; not run)`);
    return;
  }
  const tHess = await measure(() => sschaHessian(k, pop, sc, sym, R, phi, T), { minTimeMs: 3000, minIterations: 3, warmupIterations: 1 });
  const a = (() => {
    const w = new EnsembleWorkspace(k, pop, sym);
    try {
      return w.averages(R, phi, T);
    } finally {
      w.free();
    }
  })();

  // peer
  const py = runPeer(['--skip-hessian']);
  const pyH = WITH_PY_HESSIAN ? runPeer([]) : null;
  const ps = (key: string, src: PeerOut | null = py) => (src?.seconds[key] !== undefined ? src.seconds[key] * 1000 : null);
  const row = (item: string, ours: number, peer: number | null, note = ''): ResultRow => ({
    item,
    'ours (ms)': fmt(ours, 2),
    'python-sscha (ms)': peer === null ? null : fmt(peer, 1),
    'speed-up': peer === null ? null : fmt(peer / ours, 1),
    note,
  });
  const pyGen = ps('generate');
  const pyEval = ps('evaluate_bond_network');
  const rows: ResultRow[] = [
    row('setup: harmonic Φ (ours finite differences; python analytic + dyn. matrices)', tSetup, ps('setup')),
    row(`ensemble generation (sampling), ${NC} configs`, tSample.ms, pyGen, 'target ≥ 20×'),
    row(`evaluation (bond network engine), ${NC} configs`, tEval, pyEval, 'engines (WASM vs numpy), not SSCHA'),
    row(`sampling + evaluation, ${NC} configs`, tSampleEval.ms, pyGen !== null && pyEval !== null ? pyGen + pyEval : null),
    row('minimiser init (workspace + averages at the generating point)', tInit.ms, ps('minim_init')),
    row('one minimisation step (update, symmetrise, re-weight, F, gradients)', tStep.ms, ps('minim_one_step'), 'target ≥ 20×'),
    row(`static-bubble Hessian, ${NC} configs (primitive rows, symmetrised + ASR)`, tHess.ms, pyH ? ps('hessian_no_v4', pyH) : null, pyH ? '' : 'python Hessian skipped (pass --with-python-hessian)'),
    ...memRows,
  ];
  const notes: string[] = [
    `${s.natoms} atoms, M = ${n3 - 3}, ${NC} configurations, T = ${T} K, Node ${process.version}, one thread; python-sscha one BLAS/OpenMP thread`,
    `ours F = ${(a.F / sc.ncells).toFixed(6)} ± ${(a.Ferr / sc.ncells).toExponential(2)} eV/cell at the harmonic start` +
      (py ? `; python-sscha after its one step ${py.free_energy_eV_per_cell.toFixed(6)} ± ${py.free_energy_err_eV_per_cell.toExponential(2)} (different seeds/streams)` : ''),
    'timings are medians of repeated calls (tinybench; sampling + evaluation: median of 5 awaited calls); the peer runs once, timed by its own perf_counter',
    'memory: WASM memory never shrinks; sizes run in increasing order, so the growth from 1000 → 4000 is the cost of the larger ensemble',
  ];
  if (!WITH_PY_HESSIAN) notes.push('python-sscha Hessian not run (minutes): pass --with-python-hessian; no earlier result is reused');
  if (py) {
    const sG = pyGen !== null ? pyGen / tSample.ms : NaN;
    const sS = ps('minim_one_step')! / tStep.ms;
    notes.push(`speed-up vs python-sscha: ensemble generation ${sG.toFixed(1)}×, one minimisation step ${sS.toFixed(1)}× (targets ≥ 20×: ${sG >= 20 && sS >= 20 ? 'met' : 'NOT met'})`);
  }
  notes.push(`one step split: update ${parts.update.toFixed(1)} ms, modes ${parts.modes.toFixed(1)} ms, precision ratio ${parts.precisionRatio.toFixed(1)} ms, ssAverages kernel ${parts.ssAverages.toFixed(1)} ms, G symmetrisation ${parts.symmetriseG.toFixed(1)} ms`);
  const m1 = memRows[0], m4 = memRows[2];
  const g1 = Number(m1['WASM growth since start (MB)']), g4 = Number(m4['WASM growth since start (MB)']);
  notes.push(`WASM growth 1000 → 4000 configurations: ${g1} → ${g4} MB (×${(g4 / Math.max(g1, 1e-9)).toFixed(2)} for ×4 configurations)`);
  report('sscha', rows, notes);
}

runBenchmark(main);
