// The learning loop on a model system whose reference is a built-in potential (binary Lennard-Jones,
// He/Ne, CsCl vs NaCl at 1 and 3 GPa): the MLIP-driven loop must recover the reference's own phase
// ordering and, after the spot-check correction, the free energy of an SSCHA driven by the reference
// itself ("naive": every configuration labelled), with far fewer reference calls.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';

const EX = resolve('examples/lj-ab');

describe('anharm run on a model system', () => {
  it('recovers the reference ordering and free energy with fewer reference calls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anharm-loop-'));
    const config = {
      formula: 'HeNe', pressures: [1, 3], formulaUnits: [1], seed: 3,
      explore: { potential: join(EX, 'potential.json'), generations: 1, population: 4 },
      reference: { engine: 'potential', potential: join(EX, 'potential.json') },
      mlip: { level: 12, rcut: 4.5, rmin: 0.8, maxLabels: 24, ensemble: 12 },
      sscha: { supercell: [2, 2, 2], configs: 64, phases: 0, include: { CsCl: join(EX, 'CsCl.vasp'), NaCl: join(EX, 'NaCl.vasp') }, maxRounds: 3, spotCheck: 16 },
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(config));
    const r = runCli('run', dir, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));
    expect(res.converged).toBe(true);
    for (const p of res.ranking) expect(p.phases.map((x: { phase: string }) => x.phase)).toEqual(['CsCl', 'NaCl']);

    // naive: the SSCHA of CsCl at 1 GPa with the reference potential, from the loop's structure
    const naive = runCli('sscha', join(dir, 'run', 'sscha', 'CsCl@1', 'round-0', 'input.vasp'), '--potential', join(EX, 'potential.json'),
      '--supercell', '2', '2', '2', '--temperature', '0', '--configs', '64', '--seed', '11', '--pressure', '1', '--symprec', '0.01', '--json');
    expect(naive.status).toBe(0);
    const nv = JSON.parse(naive.stdout.trim().split('\n').pop()!);
    const loop = res.ranking[0].phases.find((x: { phase: string }) => x.phase === 'CsCl');
    const sigma = Math.hypot(loop.gError, loop.modelError, nv.gibbs.perAtomErr);
    expect(Math.abs(loop.g - nv.gibbs.perAtom)).toBeLessThan(3 * sigma);
    const calls = Object.values(res.referenceCalls as Record<string, number>).reduce((a, b) => a + b, 0);
    // every SSCHA of the loop (2 phases × 2 pressures) would cost at least what this one did
    console.log(`CsCl at 1 GPa: loop G = ${loop.g.toFixed(6)} ± ${loop.gError.toExponential(1)} (stochastic) ± ${loop.modelError.toExponential(1)} (model) eV/atom; ` +
      `reference SSCHA ${nv.gibbs.perAtom.toFixed(6)} ± ${nv.gibbs.perAtomErr.toExponential(1)}; ${calls} reference calls in the loop, ${nv.evaluationsThisRun} in one reference SSCHA`);
    expect(calls).toBeLessThan(4 * nv.evaluationsThisRun);
  });
});
