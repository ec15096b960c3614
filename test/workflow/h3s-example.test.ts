// The bundled H3S example (examples/h3s, the README's main job) in small: its run.json with fewer
// pressures, generations and configurations. The shipped H-S model is the reference too, so nothing
// may be labelled; the search and the SSCHA must run through; and the model's static Im-3m at 150 GPa
// must have the lattice constant that GPAW-PBE itself gives with the training settings (the oracle in
// data/h3s-pbe/static/results.json, computed by data/h3s-pbe/static/run.py).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';

const EX = resolve('examples/h3s');

describe('the bundled H3S example', () => {
  it('runs search, SSCHA and report with the shipped model, labels nothing, and has the PBE Im-3m lattice at 150 GPa', () => {
    const config = JSON.parse(readFileSync(join(EX, 'run.json'), 'utf8'));
    const abs = (p: string) => resolve(EX, p);
    config.pressures = [150];
    config.explore = { ...config.explore, potential: abs(config.explore.potential), generations: 1, population: 4 };
    config.reference = { ...config.reference, potential: abs(config.reference.potential) };
    config.mlip = { ...config.mlip, model: abs(config.mlip.model), data: config.mlip.data.map(abs) };
    config.sscha = { ...config.sscha, configs: 32, phases: 0, include: { 'Im-3m': abs(config.sscha.include['Im-3m']) }, maxRounds: 1 };
    const dir = mkdtempSync(join(tmpdir(), 'anharm-h3s-'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify(config));
    const r = runCli('run', dir, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));
    expect(res.referenceIsModel).toBe(true);
    expect(Object.values(res.referenceCalls as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(0);
    expect(existsSync(join(dir, 'run', 'labels', 'labelled.extxyz'))).toBe(false);
    expect(existsSync(join(dir, 'run', 'report.html'))).toBe(true);
    const im3m = res.ranking[0].phases.find((x: { phase: string }) => x.phase === 'Im-3m');
    expect(Number.isFinite(im3m.g)).toBe(true);
    expect(im3m.spaceGroup).toMatch(/Im-3m/);

    // static Im-3m at 150 GPa: conventional a from the model's relaxed cell (4-atom primitive: V = a³/2)
    const s = res.structures['Im-3m@150'];
    const c = s.cell as number[];
    const volume = Math.abs(c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]));
    const aModel = Math.cbrt((2 * volume * 4) / s.species.length);
    const oracle = JSON.parse(readFileSync(resolve('data/h3s-pbe/static/results.json'), 'utf8'));
    const aPbe = oracle.settings['pw400-fd0.1-k6'].stiffness.find((x: { P: number }) => x.P === 150).a;
    console.log(`Im-3m at 150 GPa: a = ${aModel.toFixed(4)} Å (model), ${aPbe} Å (GPAW PBE, training settings)`);
    expect(Math.abs(aModel - aPbe) / aPbe).toBeLessThan(0.005);
  }, 300_000);
});
