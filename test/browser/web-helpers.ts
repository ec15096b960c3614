// Shared by the web page tests: the build they need, and a bit-exact digest of float arrays.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

export function requireBuild(): void {
  for (const f of ['build/anharmonic.wasm', 'dist/src/web/app.js', 'dist/src/web/driver-worker.js', 'dist/src/parallel/browser-worker.js', 'dist/src/node/worker-thread.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run "npm run build" first`);
  }
}

/** The IEEE-754 bits of the values as hex (the same function runs inside the page). */
export function hexBits(a: ArrayLike<number>): string {
  const f = Float64Array.from(a);
  return Array.from(new Uint32Array(f.buffer), (w) => w.toString(16).padStart(8, '0')).join('');
}
