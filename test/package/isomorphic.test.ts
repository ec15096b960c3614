// The computing core must run in a browser: no Node built-ins outside the adapters (src/node/) and
// the command line (src/cli/). The browser tests load dist/src/index.js in Chromium as well.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('isomorphic core', () => {
  it('no module outside src/node and src/cli imports a Node built-in or a Node adapter', () => {
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      const rel = relative(SRC, f);
      if (rel.startsWith('node/') || rel.startsWith('cli/')) continue;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        if (m[1].startsWith('node:') || /(^|\/)node\//.test(m[1])) offenders.push(`${rel}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
