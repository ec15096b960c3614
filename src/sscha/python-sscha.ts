// Export of a population in the file layout python-sscha's `Ensemble.load(data_dir, population, N)`
// reads (sscha.Ensemble, load_displacements=True): per configuration i = 1 … N
//   u_population{P}_{i}.dat         displacements x_i − R₀, one atom per row (bohr)
//   forces_population{P}_{i}.dat    forces, one atom per row (Ry/bohr)
//   pressures_population{P}_{i}.dat (with stresses) P = −σ, 3×3 (Ry/bohr³; python-sscha keeps −σ_ASE)
// and energies_supercell_population{P}.dat (Ry, one per line). The generating Φ₀ goes with it as a QE
// dynamical-matrix set (report.ts qeDynTexts; python-sscha builds the Ensemble from it: Ensemble(dyn₀,
// T₀, supercell) and then load()). Atom order: ours (src/structure/supercell.ts, cell-major); for a
// diagonal supercell it is CellConstructor's generate_supercell order (checked on the 2×2×2 rock salt
// of test/sscha/python-sscha*.test.ts). Units with physics.md's literals: python-sscha reads them with
// its own constants (bohr 0.52917720859 Å, Ry 13.6056930122 eV), a mismatch of ≤ 1e-8 relative.
//
// python-sscha's temperature enters through its own k_B (K_to_Ry = 6.336857346553283e-6 Ry/K,
// 8.62173e-5 eV/K, 0.05 % above CODATA): to describe OUR ensemble at T₀ it must be given
// `pythonSschaTemperature(T₀)` = T₀·k_B/k_B,py (see test/sscha/python-sscha.test.ts).
import { BOHR_TO_ANGSTROM } from '../io/qe-dyn.js';
import { KB } from '../phonons/units.js';
import type { Population } from './ensemble.js';
import { SschaError } from './modes.js';

/** 1 Ry in eV (physics.md 1.2). */
export const RY_TO_EV = 13.605693123;
/** python-sscha's Boltzmann constant: K_to_Ry (Ry/K) × CellConstructor's RY_TO_EV (eV/Ry). */
export const KB_PYTHON_SSCHA = 6.336857346553283e-6 * 13.605693012183622;

/** The temperature to give python-sscha for an ensemble that is at T (K) with our k_B. */
export function pythonSschaTemperature(T: number): number {
  return (T * KB) / KB_PYTHON_SSCHA;
}

const fmt = (x: number) => {
  if (!Number.isFinite(x)) throw new SschaError(`python-sscha export: non-finite value ${x}`);
  return x.toExponential(16);
};

function rows3(v: ArrayLike<number>, off: number, nAtoms: number, scale: number): string {
  let s = '';
  for (let a = 0; a < nAtoms; a++) s += `${fmt(v[off + 3 * a] * scale)} ${fmt(v[off + 3 * a + 1] * scale)} ${fmt(v[off + 3 * a + 2] * scale)}\n`;
  return s;
}

/**
 * The text files of python-sscha's Ensemble.load for an evaluated population, keyed by file name
 * (write them into one folder). `population` is python-sscha's population number P (default 1).
 */
export function pythonSschaEnsembleFiles(pop: Population, options: { population?: number } = {}): Record<string, string> {
  const P = options.population ?? 1;
  if (!Number.isInteger(P) || P < 0) throw new SschaError(`python-sscha export: population must be a non-negative integer, got ${P}`);
  if (pop.evaluated !== pop.nConfigs) throw new SschaError(`python-sscha export: population ${pop.index} has ${pop.evaluated} of ${pop.nConfigs} configurations evaluated`);
  const n = pop.nAtoms, n3 = 3 * n;
  const A_TO_BOHR = 1 / BOHR_TO_ANGSTROM;
  const EV_A_TO_RY_BOHR = BOHR_TO_ANGSTROM / RY_TO_EV;
  const EV_A3_TO_RY_BOHR3 = (BOHR_TO_ANGSTROM * BOHR_TO_ANGSTROM * BOHR_TO_ANGSTROM) / RY_TO_EV;
  const files: Record<string, string> = {};
  const u = new Float64Array(n3);
  let energies = '';
  for (let i = 0; i < pop.nConfigs; i++) {
    for (let c = 0; c < n3; c++) u[c] = pop.positions[i * n3 + c] - pop.centroids[c];
    files[`u_population${P}_${i + 1}.dat`] = rows3(u, 0, n, A_TO_BOHR);
    files[`forces_population${P}_${i + 1}.dat`] = rows3(pop.forces, i * n3, n, EV_A_TO_RY_BOHR);
    if (pop.stresses) {
      const s = pop.stresses.subarray(9 * i, 9 * i + 9);
      let t = '';
      for (let a = 0; a < 3; a++) t += `${fmt(-s[3 * a] * EV_A3_TO_RY_BOHR3)} ${fmt(-s[3 * a + 1] * EV_A3_TO_RY_BOHR3)} ${fmt(-s[3 * a + 2] * EV_A3_TO_RY_BOHR3)}\n`;
      files[`pressures_population${P}_${i + 1}.dat`] = t;
    }
    energies += `${fmt(pop.energies[i] / RY_TO_EV)}\n`;
  }
  files[`energies_supercell_population${P}.dat`] = energies;
  return files;
}
