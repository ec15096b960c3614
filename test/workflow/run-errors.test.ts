// `anharm run` reports user mistakes in one line before any work starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';

describe('anharm run: mistakes before any work', () => {
  const write = (config: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'anharm-run-err-'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify(config));
    return dir;
  };
  it('a potential without an element of the formula', () => {
    const dir = write({ formula: 'H3S', pressures: [150], explore: { potential: resolve('examples/lj-ab/potential.json') } });
    const r = runCli('run', dir);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/explore\.potential .*potential\.json: the potential has no parameters for H \(it knows He, Ne\)/);
  });
  it('a field of the wrong kind', () => {
    const dir = write({ formula: 'HeNe', pressures: ['1 GPa'], explore: { potential: resolve('examples/lj-ab/potential.json') } });
    const r = runCli('run', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/pressures\[0\] must be a pressure in GPa/);
  });
});
