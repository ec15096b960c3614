// Random symmetric H3S structures of 1 and 2 formula units from the search's own generator
// (src/search: symmetricGenerator + randomChild, minimum distances 0.7·(r_A + r_B)), at volumes per
// atom drawn uniformly in [vmin, vmax] Å³, plus rattled and strained copies of some of them; written as
// extended XYZ with a unique `key` per frame (round-0 input of label.py).
//
//   node data/h3s-pbe/small/random-structures.mjs OUT.extxyz [--seed 1] [--count 24] [--rattled 8]
//        [--vmin 3.0] [--vmax 4.6] [--prefix r0]
// Needs the build (dist/). Deterministic: every draw comes from the Philox generator (seed, stream).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { loadKernels } = await import(join(root, 'dist/src/node/kernels.js'));
const { loadMoyo } = await import(join(root, 'dist/src/node/moyo.js'));
const { Draws } = await import(join(root, 'dist/src/search/draws.js'));
const { MinDistances, cellSpecies, parseFormula } = await import(join(root, 'dist/src/search/composition.js'));
const { randomChild } = await import(join(root, 'dist/src/search/operators.js'));
const { symmetricGenerator } = await import(join(root, 'dist/src/search/symmetric-generator.js'));
const { writeExtxyz } = await import(join(root, 'dist/src/io/extxyz.js'));
const { Structure } = await import(join(root, 'dist/src/structure/structure.js'));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const out = args[0];
const seed = Number(opt('seed', 1));
const count = Number(opt('count', 24));
const nRattled = Number(opt('rattled', 8));
const vmin = Number(opt('vmin', 3.0));
const vmax = Number(opt('vmax', 4.6));
const prefix = opt('prefix', 'r0');

const kernels = await loadKernels();
loadMoyo();
const composition = parseFormula('H3S');
const md = new MinDistances(composition.species, 0.7);
const gen = symmetricGenerator();
const frames = [];
const made = [];
for (let i = 0; i < count; i++) {
  const d = new Draws(kernels, seed, i);
  const units = 1 + (i % 2); // alternate 1 and 2 formula units
  const species = cellSpecies(composition, units);
  const v = vmin + (vmax - vmin) * d.uniform();
  const s = randomChild(gen, d, species, { minDistances: md, volumePerAtom: v });
  if (!s) {
    console.error(`${prefix}-s${seed}-${i}: no structure`);
    continue;
  }
  made.push({ i, s });
  frames.push({ structure: s, info: { key: `${prefix}-s${seed}-${i}`, kind: 'random', vpa: s.volume / s.natoms, units } });
}
// rattled copies (physics.md 8 stage B: 0.05 Å positions, 2-5 % strain) of the first nRattled structures
for (let j = 0; j < Math.min(nRattled, made.length); j++) {
  const { i, s } = made[j];
  const d = new Draws(kernels, seed, 1_000_000 + i);
  const e = [];
  for (let q = 0; q < 9; q++) e.push(0.035 * (2 * d.uniform() - 1));
  const eps = [0, 1, 2].map((a) => [0, 1, 2].map((b) => (a === b ? 1 : 0) + 0.5 * (e[3 * a + b] + e[3 * b + a])));
  const cell = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) cell[3 * a + b] += s.cell[3 * a + c] * eps[c][b];
  const strained = s.with({ cell, frac: s.frac });
  const cart = strained.cartesian();
  for (let q = 0; q < cart.length; q++) cart[q] += 0.07 * d.normal();
  const r = new Structure({ cell, species: s.species, cartesian: cart });
  frames.push({ structure: r, info: { key: `${prefix}-s${seed}-${i}-rattled`, kind: 'rattled', vpa: r.volume / r.natoms, units: s.natoms / 4 } });
}
writeFileSync(out, writeExtxyz(frames));
console.error(`${frames.length} structures -> ${out}`);
