// Runs every benchmark in turn (each prints its own table and writes bench/results/<name>.json).
// Usage: npm run bench [-- eigh gemm random]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ALL = ['gemm', 'random', 'eigh', 'sscha', 'ipi', 'mlip', 'threads'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
let failed = 0;
for (const name of wanted) {
  if (!ALL.includes(name)) {
    console.error(`bench: unknown benchmark "${name}" (known: ${ALL.join(', ')})`);
    process.exit(2);
  }
  const file = fileURLToPath(new URL(`./${name}.bench.js`, import.meta.url));
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
