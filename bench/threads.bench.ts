// Multi-core: the SSCHA ensemble evaluation (one Calculator batch) and a whole SSCHA run on 2 worker
// threads against 1, in Node (worker_threads) and in headless Chromium (Web Workers, the page of
// src/web/ driven as a user would). The peer of each 2-thread time is the 1-thread time of the same
// run; results are bit-identical (test/parallel/, test/browser/web.test.ts), only the time differs.
// Run: npm run build && node dist/bench/threads.bench.js
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadKernels } from '../src/node/kernels.js';
import { loadMoyo } from '../src/node/moyo.js';
import { nodeParallelCalculator } from '../src/node/workers.js';
import type { CalculatorSpec } from '../src/parallel/spec.js';
import { readStructure } from '../src/io/index.js';
import { makeSupercell } from '../src/structure/supercell.js';
import { runSschaJob, type SschaInputs } from '../src/web/pipeline.js';
import { report, runBenchmark, type ResultRow } from './lib.js';

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const SW: CalculatorSpec = { kind: 'builtin', source: 'sw', potential: { type: 'stillinger-weber' } };
const SI = 'Si diamond\n5.431\n0.0 0.5 0.5\n0.5 0.0 0.5\n0.5 0.5 0.0\nSi\n2\nDirect\n0 0 0\n0.25 0.25 0.25\n';
const NACL = readFileSync(join(ROOT, 'test/fixtures/sscha-cli/rocksalt.vasp'), 'utf8');
const BOND = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sscha-cli/bond-network.json'), 'utf8'));
const NCONF = 800;

function ensemble() {
  const sc = makeSupercell(readStructure(SI, 'POSCAR'), [4, 4, 4]).structure; // 128 atoms
  const x0 = sc.cartesian();
  return Array.from({ length: NCONF }, (_, c) => sc.with({ cartesian: x0.map((v, i) => v + 0.08 * Math.sin(1.7 * i + 0.31 * c * c)) }));
}

async function nodeEnsemble(threads: number, configs: ReturnType<typeof ensemble>, reps = 5): Promise<number> {
  const pc = await nodeParallelCalculator(SW, threads);
  await pc.compute(configs.slice(0, 40)); // warm-up
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await pc.compute(configs);
    ts.push(performance.now() - t0);
  }
  await pc.dispose();
  return ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)];
}

const SSCHA: SschaInputs = {
  structure: { text: NACL, fileName: 'rocksalt.vasp' },
  potential: { kind: 'builtin', potential: BOND },
  supercell: [3, 3, 3], temperature: 300, configs: 2000, seed: 3, maxPopulations: 4,
};

async function nodeSscha(threads: number): Promise<number> {
  const k = await loadKernels();
  const t0 = performance.now();
  await runSschaJob({ kernels: k, calculator: (spec) => nodeParallelCalculator(spec, threads) }, SSCHA);
  return performance.now() - t0;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

async function chromiumRuns(): Promise<{ ensemble: Record<number, number>; sscha: Record<number, number> } | string> {
  if (!existsSync('/usr/bin/chromium')) return 'Debian chromium is not installed';
  const server = createServer((req, res) => {
    const file = join(ROOT, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!file.startsWith(ROOT) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/src/web/index.html`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    // the ensemble evaluation alone, with the page's modules
    const ens = (await page.evaluate(
      async ({ si, n }) => {
        const base = '/dist/src/';
        const { ParallelCalculator, browserWorker } = await import(base + 'parallel/pool.js');
        const { readStructure } = await import(base + 'io/index.js');
        const { makeSupercell } = await import(base + 'structure/supercell.js');
        const { Kernels } = await import(base + 'wasm/kernels.js');
        const module = await WebAssembly.compile(await (await fetch('/build/anharmonic.wasm')).arrayBuffer());
        const sc = makeSupercell(readStructure(si, 'POSCAR'), [4, 4, 4]).structure;
        const x0: Float64Array = sc.cartesian();
        const configs = Array.from({ length: n }, (_, c) => sc.with({ cartesian: x0.map((v, i) => v + 0.08 * Math.sin(1.7 * i + 0.31 * c * c)) }));
        const out: Record<number, number> = {};
        for (const threads of [0, 1, 2]) {
          const pc =
            threads === 0
              ? await ParallelCalculator.create({ spec: { kind: 'builtin', potential: { type: 'stillinger-weber' } }, threads: 0, kernels: await Kernels.instantiate(module) })
              : await ParallelCalculator.create({
                  spec: { kind: 'builtin', potential: { type: 'stillinger-weber' } }, threads, wasm: module,
                  spawn: () => browserWorker(new Worker('/dist/src/parallel/browser-worker.js', { type: 'module' })),
                });
          await pc.compute(configs.slice(0, 40));
          const ts: number[] = [];
          for (let r = 0; r < 5; r++) {
            const t0 = performance.now();
            await pc.compute(configs);
            ts.push(performance.now() - t0);
          }
          await pc.dispose();
          out[threads] = ts.sort((a, b) => a - b)[2];
        }
        return out;
      },
      { si: SI, n: NCONF },
    )) as Record<number, number>;
    // the whole SSCHA through the page, as a user runs it
    const sscha: Record<number, number> = {};
    await page.click('#use-example');
    await page.selectOption('#potential', 'nacl-bond-network');
    for (const [id, v] of Object.entries({ sc1: '3', sc2: '3', sc3: '3', temperature: '300', configs: String(SSCHA.configs), seed: '3', 'max-populations': '4' })) await page.fill(`#${id}`, v);
    for (const threads of [1, 2]) {
      await page.fill('#threads', String(threads));
      await page.click('#run-sscha');
      await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 600_000 });
      sscha[threads] = await page.evaluate(() => (window as unknown as { anharm: { last: { ms: number } } }).anharm.last.ms);
    }
    return { ensemble: ens, sscha };
  } finally {
    await browser.close();
    server.close();
  }
}

async function main(): Promise<void> {
  loadMoyo();
  const configs = ensemble();
  const load0 = loadavg()[0];
  const rows: ResultRow[] = [];
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const e0 = await nodeEnsemble(0, configs), e1 = await nodeEnsemble(1, configs), e2 = await nodeEnsemble(2, configs);
  rows.push({ host: 'Node 20', work: `ensemble: ${NCONF} configs, Si 128 atoms, Stillinger-Weber`, 'in-thread ms': +e0.toFixed(1), '1 worker ms': +e1.toFixed(1), '2 workers ms': +e2.toFixed(1), 'speed-up 2 vs 1': ratio(e1, e2) });
  const s1 = await nodeSscha(1), s2 = await nodeSscha(2);
  rows.push({ host: 'Node 20', work: `SSCHA job: NaCl 3×3×3 (54 atoms), ${SSCHA.configs} configs/pop`, 'in-thread ms': null, '1 worker ms': +s1.toFixed(0), '2 workers ms': +s2.toFixed(0), 'speed-up 2 vs 1': ratio(s1, s2) });
  const c = await chromiumRuns();
  const notes = [
    `${cpus().length} logical CPUs (${cpus()[0]?.model ?? '?'}), shared with other jobs: load average ${load0.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; 2 workers cannot beat 2× and lose to any other load`,
    'results are bit-identical for 0, 1 and 2 workers (test/parallel/pool.test.ts, test/browser/web.test.ts); only the time differs',
  ];
  if (typeof c === 'string') notes.push(`Chromium not measured: ${c}`);
  else {
    rows.push({ host: 'Chromium', work: `ensemble: ${NCONF} configs, Si 128 atoms, Stillinger-Weber`, 'in-thread ms': +c.ensemble[0].toFixed(1), '1 worker ms': +c.ensemble[1].toFixed(1), '2 workers ms': +c.ensemble[2].toFixed(1), 'speed-up 2 vs 1': ratio(c.ensemble[1], c.ensemble[2]) });
    rows.push({ host: 'Chromium', work: `SSCHA job (the page): NaCl 3×3×3, ${SSCHA.configs} configs/pop`, 'in-thread ms': null, '1 worker ms': +c.sscha[1].toFixed(0), '2 workers ms': +c.sscha[2].toFixed(0), 'speed-up 2 vs 1': ratio(c.sscha[1], c.sscha[2]) });
  }
  report('threads', rows, notes);
}

runBenchmark(main);
