// Random numbers: 10^6 standard normals (and uniforms) from our Philox4x32-10 kernels, against
// numpy's default_rng() (PCG64 + ziggurat, a separate Python process) and plain-JS Box-Muller on
// Math.random measured in the same run.
// Run: npx tsc -p . && node dist/bench/random.bench.js    (env RNG_WASM=path to test another module)
import { loadKernels } from '../src/node/kernels.js';
import { Rng } from '../src/random/rng.js';
import { measure, report, runBenchmark, runNumpyPeer, type ResultRow } from './lib.js';

const N = 1_000_000;

const NUMPY_SCRIPT = `
import json, time, numpy as np
g = np.random.default_rng(12345)
def med(f, reps=41):
    for _ in range(5): f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2] * 1e3
print(json.dumps({'normal': med(lambda: g.standard_normal(${N})), 'uniform': med(lambda: g.random(${N})), 'version': np.__version__}))
`;

/** Plain-JS Box-Muller on Math.random (both outputs used), into a preallocated array. */
function jsBoxMuller(out: Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    let u1 = Math.random();
    while (u1 === 0) u1 = Math.random();
    const u2 = Math.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
}

function jsUniform(out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.random();
}

async function main(): Promise<void> {
  const k = await loadKernels(process.env.RNG_WASM);
  const rng = new Rng(k, 12345, 0);
  const buf = k.f64(N);
  const js = new Float64Array(N);
  const opts = { minTimeMs: 1500, minIterations: 20, warmupIterations: 5 };

  let off = 0n;
  const tFill = await measure(() => {
    rng.fillNormal(buf, off);
    off += BigInt(N);
  }, opts);
  const tNormal = await measure(() => rng.normal(N), opts);
  const tFillU = await measure(() => rng.fillUniform(buf, 0), opts);
  const tJs = await measure(() => jsBoxMuller(js), opts);
  const tJsU = await measure(() => jsUniform(js), opts);
  buf.free();

  const np = runNumpyPeer(NUMPY_SCRIPT) as { normal: number; uniform: number; version: string } | null;
  const mps = (ms: number) => Math.round((N / ms / 1e3) * 10) / 10;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const rows: ResultRow[] = [];
  const row = (what: string, impl: string, ms: number | null, ref: number | null) =>
    rows.push({
      what,
      impl,
      ms: ms === null ? null : r3(ms),
      M_per_s: ms === null ? null : mps(ms),
      ours_speedup: ms === null || ref === null ? null : Math.round((ms / ref) * 100) / 100,
    });
  row('1e6 normals', 'ours: Philox4x32-10 + Box-Muller (fillNormal, kernel memory)', tFill.ms, tFill.ms);
  row('1e6 normals', 'ours: rng.normal(n) (copied out to a Float64Array)', tNormal.ms, tFill.ms);
  row('1e6 normals', 'numpy default_rng().standard_normal (PCG64, ziggurat)', np ? np.normal : null, tFill.ms);
  row('1e6 normals', 'plain JS Box-Muller on Math.random', tJs.ms, tFill.ms);
  row('1e6 uniforms', 'ours: Philox4x32-10 (fillUniform)', tFillU.ms, tFillU.ms);
  row('1e6 uniforms', 'numpy default_rng().random', np ? np.uniform : null, tFillU.ms);
  row('1e6 uniforms', 'plain JS Math.random', tJsU.ms, tFillU.ms);

  const notes = [
    'ours_speedup = time of that row / time of ours (kernel-memory variant) for the same kind: > 1 means ours is faster',
    'ours: counter-based, reproducible bit for bit across machines and chunkings; Math.random is neither seedable nor reproducible',
    np ? `numpy ${np.version}, one process, OPENBLAS_NUM_THREADS=1 (irrelevant for RNG)` : 'numpy peer unavailable',
  ];
  report('random', rows, notes);
}

runBenchmark(main);
