// The CLI as a user runs it (the compiled dist/bin/anharm.js, built by `npm test`).
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';

describe('anharm demo', () => {
  it('reproduces the diatomic chain phonons and prints digests', () => {
    const r = runCli('demo', '--size', '64', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    // Closed-form ω²(q) of the ring versus the WebAssembly eigensolver.
    expect(out.chain.maxRelErrorOmega2).toBeLessThan(1e-13);
    expect(out.chain.maxAbsErrorThz).toBeLessThan(1e-9);
    expect(Object.keys(out.selfCheck.digests)).toHaveLength(4);
  });

  it('is deterministic: the same seed gives the same digests, another seed others', () => {
    const a = JSON.parse(runCli('demo', '--size', '32', '--json').stdout).selfCheck.digests;
    const b = JSON.parse(runCli('demo', '--size', '32', '--json').stdout).selfCheck.digests;
    const c = JSON.parse(runCli('demo', '--size', '32', '--seed', '7', '--json').stdout).selfCheck.digests;
    expect(a).toEqual(b);
    expect(c.normals).not.toBe(a.normals);
  });

  it('refuses a bad option with one line and exit code 2, no stack trace', () => {
    const r = runCli('demo', '--size', 'abc');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('anharm: option --size: expected an integer in [1, 2048], got "abc"');
    expect(r.stderr).not.toMatch(/at .*\.js/);
  });
});
