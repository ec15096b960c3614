// A small MLIP for the pool and web-page tests (not a test file itself): an MTP (level 10, 18
// parameters) fitted to Lennard-Jones argon (examples/argon/lj.json) on rattled 3×3×3 fcc cells.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import type { LabelledConfig } from '../../src/mlip/dataset.js';
import type { FitReport, MtpModel } from '../../src/mlip/model.js';
import { MtpBasis } from '../../src/mlip/mtp.js';
import { trainModel } from '../../src/mlip/train.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { centered, mulberry32 } from '../helpers/random.js';

export const LJ_ARGON = JSON.parse(readFileSync(fileURLToPath(new URL('../../examples/argon/lj.json', import.meta.url)), 'utf8'));

/** fcc argon, primitive cell (a = 5.26 Å), as examples/argon/POSCAR. */
export const ARGON_UNIT = new Structure({ cell: [0, 2.63, 2.63, 2.63, 0, 2.63, 2.63, 2.63, 0], species: ['Ar'], frac: [0, 0, 0] });

/** 12 rattled 3×3×3 cells (±0.15 Å) labelled by Lennard-Jones; 9 to train, 3 held out. */
export async function trainArgonMtp(k: Kernels, seed = 7): Promise<{ model: MtpModel; report: FitReport }> {
  const sc = makeSupercell(ARGON_UNIT, [3, 3, 3]).structure;
  const r = centered(mulberry32(seed));
  const x0 = sc.cartesian();
  const cells = Array.from({ length: 12 }, () => sc.with({ cartesian: x0.map((v) => v + 0.15 * r()) }));
  const lj = builtinCalculator(k, LJ_ARGON);
  const labels = await lj.compute(cells, { stress: true });
  lj.dispose?.();
  const data: LabelledConfig[] = cells.map((s, i) => ({ structure: s, energy: labels[i].energy, energyKey: 'energy', forces: labels[i].forces, stress: labels[i].stress, source: `lj#${i}` }));
  const basis = MtpBasis.create(k, { species: ['Ar'], level: 10, radialSize: 4, rcut: 6, rmin: 2.5 });
  const { model, report } = trainModel(k, basis, data.slice(0, 9), data.slice(9), { seed: 1, provenance: { files: [{ name: 'lj.json labels', configs: 12 }] } });
  return { model, report };
}
