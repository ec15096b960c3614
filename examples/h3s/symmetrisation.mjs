#!/usr/bin/env node
// Hydrogen-bond symmetrisation of H3S, static against quantum (SSCHA, T = 0), with an H-S model:
// at each pressure, R3m.vasp is relaxed with the model keeping R3m (the static structure), and a
// variable-cell SSCHA of that structure (2×2×2, T = 0) gives the quantum centroids. The SSCHA's symmetry
// tolerance is 1e-3 Å, so that it keeps R3m (exact in the relaxed structure) and is free to end
// symmetric or not; at 0.01 Å a nearly symmetric static structure would be forced into Im-3m.
// The two S-H distances of each H (short / long) say whether the bond is symmetric (Im-3m) or not
// (R3m). Also the static enthalpy of each phase file (--phases, default Im-3m, R3m and Cccm when
// present) relaxed keeping its symmetry, against Im-3m. Writes symmetrisation.json, symmetrisation.svg
// and enthalpy.svg into --out and prints tables.
//
//   npm run build
//   node examples/h3s/symmetrisation.mjs [--model examples/h3s/h3s-pbe-mtp.json] [--pressures 80,100,...]
//        [--configs 100] [--out examples/h3s/symmetrisation] [--plot-only]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linePlot } from '../../dist/src/plot/svg.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../../dist/bin/anharm.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const model = resolve(opt('model', join(HERE, 'h3s-pbe-mtp.json')));
const pressures = opt('pressures', '80,100,120,140,160,180,200').split(',').map(Number);
const configs = opt('configs', '100');
const out = resolve(opt('out', join(HERE, 'symmetrisation')));
mkdirSync(out, { recursive: true });

const anharm = (...a) => execFileSync(process.execPath, [BIN, ...a], { encoding: 'utf8', maxBuffer: 1 << 28 });

/** Short and long S-H distance of every H (cell rows in Å, fractional positions). */
function bonds(cell, species, frac) {
  const cart = (f) => [0, 1, 2].map((c) => f[0] * cell[0][c] + f[1] * cell[1][c] + f[2] * cell[2][c]);
  const out = [];
  for (let i = 0; i < species.length; i++) {
    if (species[i] !== 'H') continue;
    const d = [];
    for (let j = 0; j < species.length; j++) {
      if (species[j] !== 'S') continue;
      for (let a = -2; a <= 2; a++) for (let b = -2; b <= 2; b++) for (let c = -2; c <= 2; c++) {
        const df = [frac[3 * j] - frac[3 * i] + a, frac[3 * j + 1] - frac[3 * i + 1] + b, frac[3 * j + 2] - frac[3 * i + 2] + c];
        const v = cart(df);
        d.push(Math.hypot(v[0], v[1], v[2]));
      }
    }
    d.sort((x, y) => x - y);
    out.push([d[0], d[1]]);
  }
  return out;
}

function readPoscar(path) {
  const l = readFileSync(path, 'utf8').split('\n');
  const scale = Number(l[1]);
  const cell = [2, 3, 4].map((i) => l[i].trim().split(/\s+/).map((x) => scale * Number(x)));
  const names = l[5].trim().split(/\s+/);
  const counts = l[6].trim().split(/\s+/).map(Number);
  const species = names.flatMap((n, i) => Array(counts[i]).fill(n));
  const frac = [];
  for (let i = 0; i < species.length; i++) frac.push(...l[8 + i].trim().split(/\s+/).slice(0, 3).map(Number));
  return { cell, species, frac };
}

// --plot-only: redraw the figures from symmetrisation.json in --out
const plotOnly = args.includes('--plot-only');
const saved = plotOnly ? JSON.parse(readFileSync(join(out, 'symmetrisation.json'), 'utf8')) : null;

// static enthalpy of every phase file (relaxed keeping its symmetry) against Im-3m, at each pressure
const phaseFiles = opt('phases', ['Im-3m.vasp', 'R3m.vasp', 'Cccm.vasp'].map((f) => join(HERE, f)).filter((f) => existsSync(f)).join(',')).split(',');
const enthalpies = saved?.enthalpies ?? [];
for (const P of plotOnly ? [] : pressures) {
  const row = { pressure: P };
  for (const f of phaseFiles) {
    const name = basename(f).replace(/\.[^.]*$/, '');
    const r = JSON.parse(anharm('relax', f, '--potential', model, '--pressure', String(P), '--keep-symmetry', '--fmax', '0.005', '--smax', '0.1', '--json', '--out', join(out, `static-${name}-${P}.vasp`)));
    row[name] = r.enthalpyPerAtom;
  }
  enthalpies.push(row);
  console.log(`${P} GPa: ` + phaseFiles.map((f) => basename(f).replace(/\.[^.]*$/, '')).map((n) => `${n} ${(1000 * (row[n] - row['Im-3m'])).toFixed(2)}`).join(', ') + ' meV/atom (H − H(Im-3m))');
}

const rows = saved?.rows ?? [];
for (const P of plotOnly ? [] : pressures) {
  const staticFile = join(out, `static-${P}.vasp`);
  const r = JSON.parse(anharm('relax', join(HERE, 'R3m.vasp'), '--potential', model, '--pressure', String(P), '--keep-symmetry', '--fmax', '0.005', '--smax', '0.1', '--json', '--out', staticFile));
  const st = readPoscar(staticFile);
  const sb = bonds(st.cell, st.species, st.frac);
  const folder = join(out, `sscha-${P}`);
  let res = null, failure = null;
  try {
    const lines = anharm('sscha', staticFile, '--potential', model, '--supercell', '2', '2', '2', '--temperature', '0', '--configs', configs, '--pressure', String(P),
      '--symprec', '0.001', '--seed', '1', '--out', folder, '--json').trim().split('\n');
    res = JSON.parse(lines[lines.length - 1]);
  } catch (e) {
    failure = String(e.stderr ?? e.message).trim().split('\n').pop();
  }
  const qb = res ? bonds(res.cell, st.species, res.centroids.primitiveFrac) : [[null, null]];
  const row = {
    pressure: P, staticShort: sb[0][0], staticLong: sb[0][1], staticEnthalpyPerAtom: r.enthalpyPerAtom,
    ssChaShort: qb[0][0], ssChaLong: qb[0][1], gibbsPerAtom: res?.gibbs.perAtom ?? null, gibbsError: res?.gibbs.perAtomErr ?? null, converged: res?.converged ?? false, failure,
  };
  rows.push(row);
  const q = res ? `SSCHA ${row.ssChaShort.toFixed(3)} / ${row.ssChaLong.toFixed(3)} Å${res.converged ? '' : ' (SSCHA not converged)'}` : `SSCHA failed: ${failure}`;
  console.log(`${P} GPa: static S-H ${row.staticShort.toFixed(3)} / ${row.staticLong.toFixed(3)} Å; ${q}`);
}
const ok = rows.filter((r) => r.ssChaShort !== null);
if (!plotOnly) writeFileSync(join(out, 'symmetrisation.json'), JSON.stringify({ model, configs: Number(configs), rows, enthalpies }, null, 1) + '\n');
// GPAW-PBE run directly (data/h3s-pbe/static, training settings): relaxed R3m, as markers
const oracleFile = resolve(HERE, '../../data/h3s-pbe/static/results.json');
const dft = existsSync(oracleFile) ? JSON.parse(readFileSync(oracleFile, 'utf8')).settings['pw400-fd0.1-k6'].relaxed : [];
const names = phaseFiles.map((f) => basename(f).replace(/\.[^.]*$/, ''));
writeFileSync(join(out, 'enthalpy.svg'), linePlot({
  title: 'H3S: static enthalpy per atom relative to Im-3m (model)',
  xLabel: 'pressure (GPa)', yLabel: 'H − H(Im-3m) (meV/atom)',
  series: names.map((n) => ({ x: enthalpies.map((r) => r.pressure), y: enthalpies.map((r) => 1000 * (r[n] - r['Im-3m'])), label: n })),
  hLines: [{ y: 0 }],
}));
const x = rows.map((r) => r.pressure);
writeFileSync(join(out, 'symmetrisation.svg'), linePlot({
  title: 'H3S: S-H distances of the hydrogen bond, static vs quantum (SSCHA, T = 0)',
  xLabel: 'pressure (GPa)', yLabel: 'S-H distance (Å)',
  series: [
    { x, y: rows.map((r) => r.staticLong), label: 'static (MLIP), long', color: '#d62728' },
    { x, y: rows.map((r) => r.staticShort), label: 'static (MLIP), short', color: '#d62728', dash: '5,4' },
    { x: ok.map((r) => r.pressure), y: ok.map((r) => r.ssChaLong), label: 'SSCHA (MLIP), long', color: '#1f77b4' },
    { x: ok.map((r) => r.pressure), y: ok.map((r) => r.ssChaShort), label: 'SSCHA (MLIP), short', color: '#1f77b4', dash: '5,4' },
    ...(dft.length ? [
      { x: dft.map((r) => r.P), y: dft.map((r) => r.sh_long), label: 'static, GPAW-PBE (long, short)', color: '#2ca02c', marker: 4 },
      { x: dft.map((r) => r.P), y: dft.map((r) => r.sh_short), color: '#2ca02c', marker: 4 },
    ] : []),
  ],
}));
console.log(`written: ${join(out, 'symmetrisation.json')}, ${join(out, 'symmetrisation.svg')}, ${join(out, 'enthalpy.svg')}`);
