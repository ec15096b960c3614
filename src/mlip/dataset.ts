// Training data of the linear MLIP: labelled configurations read from extended XYZ (physics.md 6.5).
// Energy: ASE's `free_energy` (the Mermin free energy, of which forces and stress are derivatives with
// smeared DFT) when a frame has it, else `energy`. Forces eV/Å; stress eV/Å³, tensile-positive: ASE's
// sign convention is ours (σ = (1/Ω) ∂E/∂ε, pressure = −tr σ / 3), so numbers are taken as they are.
// Isomorphic: text in; the Node adapter reads files.
import { readExtxyz } from '../io/extxyz.js';
import { exp, log } from '../numeric/detmath.js';
import { StructureError, type Structure } from '../structure/structure.js';

/** A malformed or incomplete training file: the message names the file and the frame. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface LabelledConfig {
  structure: Structure;
  /** Total (free) energy of the cell, eV. */
  energy: number;
  /** Which key the energy came from. */
  energyKey: 'free_energy' | 'energy';
  /** Forces, 3 per atom (eV/Å). */
  forces?: Float64Array;
  /** Stress 3×3 row-major (eV/Å³, tensile-positive). */
  stress?: Float64Array;
  /** Where it came from: "file.extxyz#frame" (1-based frame). */
  source: string;
}

export interface ReadDatasetOptions {
  /** Which energy to fit: 'auto' (free_energy if present, else energy; default), or one key only. */
  energyKey?: 'auto' | 'free_energy' | 'energy';
  /** Refuse frames without forces (default false: such frames give energy (and stress) rows only). */
  requireForces?: boolean;
}

/** Labelled configurations of an extended XYZ text; every frame must carry an energy. */
export function readDataset(text: string, fileName: string, opts: ReadDatasetOptions = {}): LabelledConfig[] {
  const mode = opts.energyKey ?? 'auto';
  let frames;
  try {
    frames = readExtxyz(text, fileName);
  } catch (e) {
    if (e instanceof StructureError) throw new DatasetError(e.message.split('\n')[0]);
    throw e;
  }
  return frames.map((f, k) => {
    const where = `${fileName}: frame ${k + 1}`;
    const free = f.info.get('free_energy');
    if (free !== undefined && typeof free !== 'number') throw new DatasetError(`${where}: free_energy must be a number, got ${JSON.stringify(free)}`);
    let energy: number | undefined;
    let energyKey: 'free_energy' | 'energy';
    if (mode === 'energy' || (mode === 'auto' && free === undefined)) {
      energy = f.energy;
      energyKey = 'energy';
    } else {
      energy = free as number | undefined;
      energyKey = 'free_energy';
    }
    if (energy === undefined) {
      throw new DatasetError(
        mode === 'auto' ? `${where}: no energy (neither free_energy= nor energy= on the comment line)` : `${where}: no ${mode}= on the comment line`,
      );
    }
    if (!Number.isFinite(energy)) throw new DatasetError(`${where}: ${energyKey} is ${energy}`);
    if (!f.forces && opts.requireForces) throw new DatasetError(`${where}: no forces (Properties has no forces:R:3)`);
    if (f.forces) {
      for (let i = 0; i < f.forces.length; i++)
        if (!Number.isFinite(f.forces[i])) throw new DatasetError(`${where}: force on atom ${Math.floor(i / 3) + 1} is not finite`);
    }
    if (f.stress && !f.stress.every(Number.isFinite)) throw new DatasetError(`${where}: stress is not finite`);
    return { structure: f.structure, energy, energyKey, forces: f.forces, stress: f.stress, source: `${fileName}#${k + 1}` };
  });
}

/** Species present in a data set, in order of first appearance. */
export function datasetSpecies(data: readonly LabelledConfig[]): string[] {
  const seen = new Set<string>();
  for (const c of data) for (const s of c.structure.species) seen.add(s);
  return [...seen];
}

/**
 * The CSP enthalpy weighting of physics.md 6.5: w = w₀ exp(ln w₀ (H − H_min)/(H_min − H_mean)), so the
 * lowest enthalpy (per atom) gets w₀ and the mean gets 1. Equal enthalpies give weight 1 everywhere.
 */
export function enthalpyWeights(enthalpyPerAtom: readonly number[], w0 = 10): number[] {
  if (!(w0 > 0)) throw new RangeError(`enthalpyWeights: w0 must be positive, got ${w0}`);
  const n = enthalpyPerAtom.length;
  if (n === 0) return [];
  const hMin = Math.min(...enthalpyPerAtom);
  const hMean = enthalpyPerAtom.reduce((a, b) => a + b, 0) / n;
  if (!(hMean > hMin)) return enthalpyPerAtom.map(() => 1);
  const l = log(w0);
  return enthalpyPerAtom.map((h) => w0 * exp((l * (h - hMin)) / (hMin - hMean)));
}
