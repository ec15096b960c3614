// GEMM throughput: our SIMD WebAssembly dgemm against ml-matrix (plain JS, same process) and
// numpy `a @ b` on OpenBLAS pinned to one thread (a separate Python process).
// Run: npx tsc -p . && node dist/bench/gemm.bench.js    (env GEMM_WASM=path to test another module)
import { Matrix } from 'ml-matrix';
import { gemmBuffers } from '../src/linalg/gemm.js';
import { loadKernels } from '../src/node/kernels.js';
import { measure, randomMatrix, report, runBenchmark, runNumpyPeer, type ResultRow } from './lib.js';

const SIZES = [128, 256, 512, 1024];
type Variant = 'NN' | 'TN' | 'NT';
const VARIANTS: Variant[] = ['NN', 'TN', 'NT'];

const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const NUMPY_SCRIPT = `
import json, time, numpy as np
def med(f, reps):
    f(); f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2] * 1e3
out = {}
rng = np.random.default_rng(1)
for n in ${JSON.stringify(SIZES)}:
    a = rng.standard_normal((n, n)); b = rng.standard_normal((n, n))
    reps = max(5, int(2e9 / (2 * n**3)))
    out[str(n)] = {'NN': med(lambda: a @ b, reps), 'TN': med(lambda: a.T @ b, reps), 'NT': med(lambda: a @ b.T, reps)}
cfg = ''
try:
    # The BLAS actually loaded (Debian's numpy goes through the libblas.so.3 alternative).
    with open('/proc/self/maps') as f:
        libs = sorted({l.split()[-1] for l in f if 'blas' in l.lower() and '/' in l})
    cfg = ', '.join(libs)
except Exception:
    pass
out['_blas'] = cfg
out['_version'] = np.__version__
print(json.dumps(out))
`;

async function main(): Promise<void> {
  const k = await loadKernels(process.env.GEMM_WASM);
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const ours: Record<string, number> = {};
  const ml: Record<string, number> = {};

  for (const n of SIZES) {
    const A = randomMatrix(n, 11 + n);
    const B = randomMatrix(n, 17 + n);
    const a = k.f64(n * n, A);
    const b = k.f64(n * n, B);
    const c = k.f64(n * n);
    const M = { rows: n, cols: n };
    const big = n >= 1024;
    for (const v of VARIANTS) {
      const flags = { transA: v[0] === 'T', transB: v[1] === 'T' };
      const t = await measure(() => gemmBuffers(k, { buf: a, ...M }, { buf: b, ...M }, { buf: c, ...M }, flags), {
        minTimeMs: big ? 2000 : 1000,
        minIterations: 5,
        warmupIterations: 3,
      });
      ours[`${n}${v}`] = t.ms;
    }
    // ml-matrix: mmul on Matrix objects; a transposed operand is materialised with transpose(),
    // which is what a user of its API would write.
    const ma = Matrix.from1DArray(n, n, A);
    const mb = Matrix.from1DArray(n, n, B);
    for (const v of VARIANTS) {
      const f = v === 'NN' ? () => ma.mmul(mb) : v === 'TN' ? () => ma.transpose().mmul(mb) : () => ma.mmul(mb.transpose());
      const t = await measure(f, { minTimeMs: big ? 0 : 500, minIterations: big ? 2 : 3, warmupIterations: 1 });
      ml[`${n}${v}`] = t.ms;
    }
    // Cross-check: our NN product against ml-matrix's.
    gemmBuffers(k, { buf: a, ...M }, { buf: b, ...M }, { buf: c, ...M });
    const ref = ma.mmul(mb).to1DArray();
    let diff = 0;
    const cv = c.view;
    for (let i = 0; i < n * n; i++) diff = Math.max(diff, Math.abs(cv[i] - ref[i]));
    notes.push(`n=${n}: max |ours - ml-matrix| = ${diff.toExponential(2)}`);
    a.free();
    b.free();
    c.free();
    console.log(`# n=${n} done: ours NN ${round(gflops(n, ours[`${n}NN`]))} GFLOP/s, ml-matrix ${round(gflops(n, ml[`${n}NN`]))}`);
  }

  const np = runNumpyPeer(NUMPY_SCRIPT) as Record<string, Record<Variant, number>> | null;
  if (np) notes.push(`numpy ${String(np._version)}, BLAS loaded: ${String(np._blas) || 'unknown'}; OPENBLAS_NUM_THREADS=1`);
  else notes.push('numpy peer unavailable: its columns are null');

  for (const n of SIZES) {
    for (const v of VARIANTS) {
      const o = gflops(n, ours[`${n}${v}`]);
      const m = gflops(n, ml[`${n}${v}`]);
      const p = np ? gflops(n, np[String(n)][v]) : null;
      rows.push({
        n,
        op: v === 'NN' ? 'A*B' : v === 'TN' ? 'A^T*B' : 'A*B^T',
        ours_ms: round(ours[`${n}${v}`], 3),
        ours_gflops: round(o),
        mlmatrix_gflops: round(m),
        numpy_gflops: p === null ? null : round(p),
        ours_over_mlmatrix: round(o / m, 1),
        ours_over_numpy: p === null ? null : round(o / p, 2),
      });
    }
  }
  notes.push('ours: dgemm on kernel memory (gemmBuffers, no copies), median time; single thread, f64x2 SIMD, no FMA');
  notes.push('ml-matrix: Matrix#mmul (transposed variants include transpose())');
  notes.push('numpy: a @ b, a.T @ b, a @ b.T (BLAS handles the transposes without copies)');
  report('gemm', rows, notes);
}

runBenchmark(main);
