// Shared helpers for the benchmarks: timing with tinybench, peers in Python (numpy on OpenBLAS
// pinned to one thread), and a result file per benchmark under bench/results/.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
/** Median time of `fn` after a warm-up (the first calls run before tier-up). */
export async function measure(fn, opts = {}) {
    const bench = new Bench({
        time: opts.minTimeMs ?? 1000,
        iterations: opts.minIterations ?? 5,
        warmup: true,
        warmupIterations: opts.warmupIterations ?? 2,
        warmupTime: 0,
    });
    bench.add('x', () => {
        fn();
    });
    await bench.run();
    const r = bench.tasks[0].result;
    if (r?.error)
        throw r.error;
    const lat = r.latency;
    return { ms: lat.p50, samples: lat.samplesCount ?? lat.samples?.length ?? 0 };
}
const PY = '/usr/bin/python3';
function hasNumpy() {
    return spawnSync(PY, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}
function hasOpenblas() {
    const r = spawnSync(PY, ['-c', 'import numpy; c=numpy.show_config(mode="dicts"); print(c)'], {
        encoding: 'utf8',
    });
    return /openblas/i.test(r.stdout ?? '') || existsOpenblasLib();
}
function existsOpenblasLib() {
    return spawnSync('sh', ['-c', 'ls /usr/lib/*/libopenblas*.so* >/dev/null 2>&1']).status === 0;
}
let peerState = null;
/** Make sure Debian's numpy with OpenBLAS is there (installing it if we are root); say why not. */
export function ensureNumpyPeer() {
    if (peerState)
        return peerState;
    if (!hasNumpy() || !existsOpenblasLib()) {
        const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
        if (isRoot) {
            try {
                console.log('# installing python3-numpy and libopenblas0-pthread for the numpy peer');
                execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-numpy libopenblas0-pthread'], {
                    stdio: 'inherit',
                });
            }
            catch {
                /* reported below */
            }
        }
    }
    if (!hasNumpy())
        peerState = { ok: false, reason: 'python3-numpy is not installed and could not be installed' };
    else if (!hasOpenblas())
        peerState = { ok: false, reason: 'numpy is not linked to OpenBLAS (libopenblas0-pthread missing)' };
    else
        peerState = { ok: true };
    return peerState;
}
/**
 * Run a Python peer script with numpy on one OpenBLAS thread; it must print one JSON object on
 * its last line. Returns null (with a message printed) when the peer is unavailable.
 */
export function runNumpyPeer(script) {
    const state = ensureNumpyPeer();
    if (!state.ok) {
        console.log(`# numpy peer skipped: ${state.reason}`);
        return null;
    }
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    // Older OpenBLAS needed these on some CPUs; they slow a current build (see the env notes).
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const r = spawnSync(PY, ['-c', script], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
        console.log(`# numpy peer failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
        return null;
    }
    const lines = r.stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
}
/** Print a table and write bench/results/<name>.json with machine information. */
export function report(name, rows, notes = []) {
    console.log(`\n== ${name} ==`);
    console.table(rows);
    for (const n of notes)
        console.log(`# ${n}`);
    const dir = new URL('./results/', import.meta.url.includes('/dist/') ? new URL('../../bench/', import.meta.url) : import.meta.url);
    mkdirSync(dir, { recursive: true });
    const out = {
        name,
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        rows,
        notes,
    };
    writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(out, null, 2) + '\n');
}
/** Deterministic pseudo-random numbers for building test matrices in benchmarks (not physics). */
export function lcg(seed) {
    let s = BigInt(seed) | 1n;
    return () => {
        s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
        return Number(s >> 11n) / 2 ** 53 - 0.5;
    };
}
/** n × n row-major matrix of lcg(seed) numbers in [−½, ½). */
export function randomMatrix(n, seed) {
    const r = lcg(seed);
    const a = new Float64Array(n * n);
    for (let i = 0; i < a.length; i++)
        a[i] = r();
    return a;
}
/** Symmetric n × n row-major matrix of lcg(seed) numbers in [−½, ½) (lower triangle drawn row by row). */
export function randomSymmetric(n, seed) {
    const r = lcg(seed);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
            const x = r();
            a[i * n + j] = x;
            a[j * n + i] = x;
        }
    }
    return a;
}
/** Run a benchmark's main; an error is printed and ends the process with exit code 1. */
export function runBenchmark(main) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
