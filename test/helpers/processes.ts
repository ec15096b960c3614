// Running the compiled CLI and the Python reference tools from tests.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled CLI (dist/bin/anharm.js; build with `npx tsc -p .` or `npm run build`). */
export const BIN = fileURLToPath(new URL('../../dist/bin/anharm.js', import.meta.url));

/** Run `anharm ARGS…` as a user would (node dist/bin/anharm.js), capturing stdout and stderr. */
export function runCli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

/** The Python of the reference scripts: $PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
export const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const importable = new Set<string>();

/**
 * Throw (the tests FAIL rather than skip) with `installHint` unless PYTHON can import all `modules`.
 * Checked once per set of modules.
 */
export function requirePython(modules: string[], installHint: string): void {
  const key = modules.join(',');
  if (importable.has(key)) return;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `${PYTHON} cannot import ${modules.join(', ')} (${(r.stderr || (r.error ? String(r.error) : `exit status ${r.status}`)).trim().split('\n').pop()}). ` +
        `${installHint} (set PYTHON to use another python)`,
    );
  importable.add(key);
}
