// Symmetric eigendecomposition (values + vectors): our WebAssembly kernel vs ml-matrix (plain JS)
// vs numpy.linalg.eigh on OpenBLAS pinned to one thread. Also the time split of our kernel:
// Householder reduction, tridiagonal divide and conquer, back-transformation.
// Build with `npx tsc -p .`, run `node dist/bench/eigh.bench.js [sizes...]`.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { eigh, eighInPlace } from '../src/linalg/eigh.js';
import { loadKernels } from '../src/node/kernels.js';
import { measure, randomSymmetric, report, runBenchmark, runNumpyPeer, type ResultRow } from './lib.js';

type Fn = (...args: number[]) => number;

function residual(a: Float64Array, n: number, w: Float64Array, v: Float64Array): number {
  let worst = 0;
  let amax = 0;
  for (const x of a) amax = Math.max(amax, Math.abs(x));
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let t = 0; t < n; t++) {
      const x = a[i * n + t];
      for (let j = 0; j < n; j++) row[j] += x * v[t * n + j];
    }
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(row[j] - v[i * n + j] * w[j]));
  }
  return worst / amax;
}

const NUMPY_SCRIPT = (sizes: number[]) => `
import json, time, numpy as np
out = {}
rng = np.random.default_rng(1)
for n in ${JSON.stringify(sizes)}:
    a = rng.standard_normal((n, n)); a = (a + a.T) / 2
    for _ in range(3): np.linalg.eigh(a)
    reps = max(3, min(50, int(2.0 / max(1e-4, n ** 3 * 1e-10))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); np.linalg.eigh(a); ts.append(time.perf_counter() - t0)
    ts.sort()
    out[str(n)] = ts[len(ts) // 2] * 1e3
cfg = ''
try:
    import numpy.__config__ as c
    cfg = str(c.CONFIG.get('Build Dependencies', {}).get('lapack', {}).get('name', ''))
except Exception:
    pass
out['numpy'] = np.__version__
out['lapack'] = cfg
print(json.dumps(out))
`;

async function main(): Promise<void> {
  const args = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const sizes = args.length ? args : [96, 384, 768];
  const k = await loadKernels();
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const peer = runNumpyPeer(NUMPY_SCRIPT(sizes));
  if (peer) notes.push(`numpy ${peer.numpy} (${peer.lapack || 'LAPACK'}) eigh, OPENBLAS_NUM_THREADS=1, median of repeated calls`);

  const tridiag = k.fn<Fn>('eighTridiagonalize');
  const dc = k.fn<Fn>('tridiagEig');
  const back = k.fn<Fn>('eighBackTransform');

  for (const n of sizes) {
    const a = randomSymmetric(n, 1234 + n);
    const quick = n <= 200;
    const opts = { minTimeMs: quick ? 1000 : 2000, minIterations: 7, warmupIterations: 6 };

    // ours through the copying wrapper (validation + copy in/out included)
    const tWrap = await measure(() => eigh(k, a, n), opts);
    // ours in place (data already in wasm memory; the input is re-copied because it is overwritten)
    const A = k.f64(n * n);
    const w = k.f64(n);
    const v = k.f64(n * n);
    const tIn = await measure(() => {
      A.set(a);
      eighInPlace(k, A, n, w, v);
    }, opts);
    const res = residual(a, n, w.toArray(), v.toArray());

    // time split
    const d = k.f64(n);
    const e = k.f64(n);
    const tau = k.f64(n);
    const dSave = new Float64Array(n);
    const eSave = new Float64Array(n);
    const tRed = await measure(() => {
      A.set(a);
      tridiag(n, A.ptr, n, d.ptr, e.ptr, tau.ptr);
    }, opts);
    dSave.set(d.view);
    eSave.set(e.view);
    const tDc = await measure(() => {
      d.set(dSave);
      e.set(eSave);
      k.check('tridiagEig', dc(n, d.ptr, e.ptr, v.ptr, n));
    }, opts);
    const merges = k.fn<() => number>('tridiagEigLastMerges')();
    const vSave = v.toArray();
    const tBack = await measure(() => {
      v.set(vSave);
      back(n, A.ptr, n, tau.ptr, v.ptr, n);
    }, opts);
    for (const b of [A, w, v, d, e, tau]) b.free();

    // ml-matrix (plain JS): slow, so few samples at the big sizes
    const mm = new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n))));
    const tMl = await measure(() => new EigenvalueDecomposition(mm, { assumeSymmetric: true }), {
      minTimeMs: n >= 500 ? 0 : 1000,
      minIterations: n >= 500 ? 2 : 5,
      warmupIterations: n >= 500 ? 1 : 2,
    });
    const npMs = peer ? Number(peer[String(n)]) : null;
    rows.push({
      n,
      ours_ms: +tWrap.ms.toFixed(2),
      ours_inplace_ms: +tIn.ms.toFixed(2),
      reduce_ms: +tRed.ms.toFixed(2),
      dc_ms: +tDc.ms.toFixed(2),
      back_ms: +tBack.ms.toFixed(2),
      dc_merges: merges,
      numpy_ms: npMs === null ? null : +npMs.toFixed(2),
      mlmatrix_ms: +tMl.ms.toFixed(1),
      ours_over_numpy: npMs === null ? null : +(tWrap.ms / npMs).toFixed(2),
      mlmatrix_over_ours: +(tMl.ms / tWrap.ms).toFixed(1),
      residual: +res.toExponential(2),
    });
  }
  notes.push('ours_ms: eigh() wrapper (validation, copy in/out, kernel); ours_inplace_ms: eighInPlace on wasm buffers (input re-copied each call)');
  notes.push('split: reduce = blocked Householder tridiagonalisation, dc = tridiagonal divide and conquer, back = compact-WY back-transformation');
  notes.push('residual = max|AV - VL| / max|A| of our result');
  report('eigh', rows, notes);
}

runBenchmark(main);
