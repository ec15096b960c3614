// docs/embedding.md's two examples, run exactly as written (extracted from the file): the library
// through the package's own name, and the raw kernels with plain WebAssembly.instantiate and no
// project code (eigenpairs of a matrix with a closed form, Random123's published Philox answer,
// standard normal moments). Needs the build (dist/, build/anharmonic.wasm).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(ROOT, 'docs/embedding.md'), 'utf8');

function example(marker: string): string {
  const block = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith(`// ${marker}`));
  if (!block) throw new Error(`docs/embedding.md: no js block starting with "// ${marker}"`);
  return block;
}

/** Run a module inside the package folder (so 'anharmonic-csp' resolves to this package). */
function run(name: string, code: string): { status: number | null; stdout: string; stderr: string } {
  const dir = join(ROOT, '.tmp', 'embedding');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, code);
  return spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('docs/embedding.md examples', () => {
  test('raw kernels: plain WebAssembly, no project code', () => {
    const code = example('raw kernels example');
    expect(code).not.toMatch(/from '\.|anharmonic-csp'/); // nothing of ours is imported
    const r = run('raw.mjs', code.replace("'node_modules/anharmonic-csp/build/anharmonic.wasm'", JSON.stringify(join(ROOT, 'build/anharmonic.wasm'))));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.philox).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    expect(out.values[1]).toBe(2);
  });

  test('library: structure, Calculator (1 thread and a 2-thread pool), phonons, SSCHA, relax', () => {
    const r = run('library.mjs', example('library example'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.converged).toBe(true);
    expect(out.relaxed).toBe(true);
  });
});
