// What the web page computes, as isomorphic functions on plain inputs: the page runs them in a Web
// Worker (src/web/driver-worker.ts), the tests run the very same functions in Node, so the numbers
// can be compared bit for bit. Both mirror the command line (`anharm phonons`, `anharm sscha`):
// harmonic force constants by symmetry-reduced finite displacements, band structure on the standard
// path, DOS on a Γ-centred mesh; SSCHA from the harmonic start (made positive definite if needed),
// symmetrised, then harmonic and auxiliary dispersions. Results are plain data (structured-clonable).
// moyo must be initialised by the host (loadMoyo() in Node, initMoyo(url, module) in a browser).
import type { Calculator } from '../calculators/calculator.js';
import { readStructure } from '../io/index.js';
import { bandStructure, type BandStructure } from '../phonons/band-path.js';
import { standardBandPath } from '../phonons/band-path.js';
import { DynamicalMatrix } from '../phonons/dynamical-matrix.js';
import { computeForceConstants } from '../phonons/force-constants.js';
import { densityOfStates, meshModes, thermalProperties } from '../phonons/mesh.js';
import type { CalculatorSpec } from '../parallel/spec.js';
import { structureToData, type StructureData } from '../parallel/spec.js';
import { phononSet } from '../sscha/report.js';
import { auxiliaryModes, positiveDefiniteStart } from '../sscha/modes.js';
import { runSscha, type SschaProgress } from '../sscha/run.js';
import type { StepRecord } from '../sscha/minimize.js';
import type { Structure } from '../structure/structure.js';
import { makeSupercell } from '../structure/supercell.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { supercellOperations } from '../symmetry/operations.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import type { Kernels } from '../wasm/kernels.js';

export interface StructureInput {
  /** File contents and name (the name selects the reader: POSCAR/CONTCAR/.vasp, .cif, .xyz). */
  text: string;
  fileName: string;
}

export interface HarmonicInputs {
  structure: StructureInput;
  /** The engine (e.g. { kind: 'builtin', potential: {...} }); the pipeline adds the reference structure. */
  potential: CalculatorSpec;
  supercell: [number, number, number];
  /** q points per band-path segment (default 41). */
  points?: number;
  /** Γ-centred DOS mesh (default ≈ 40 Å/|a_k| divisions). */
  mesh?: [number, number, number];
  /** Displacement amplitude (Å, default 0.01). */
  amplitude?: number;
  symprec?: number;
}

export interface SschaInputs extends HarmonicInputs {
  temperature: number;
  /** Configurations per population (even). */
  configs: number;
  seed: number;
  maxPopulations?: number;
  maxSteps?: number;
  /** Lowest |ω| (cm⁻¹) of a positive-definite start when the harmonic Φ has imaginary modes (default 50). */
  floorCm?: number;
}

export type JobProgress =
  | { phase: 'structure'; message: string }
  | { phase: 'displacements'; done: number; total: number }
  | { phase: 'population'; population: number; done: number; total: number }
  | { phase: 'step'; record: SschaProgress }
  | { phase: 'bands'; message: string };

/** How the host provides kernels and engines (a ParallelCalculator in the page). */
export interface PipelineHost {
  kernels: Kernels;
  calculator(spec: CalculatorSpec): Promise<Calculator>;
  onProgress?: (p: JobProgress) => void;
}

export interface CrystalInfo {
  formula: string;
  natoms: number;
  spaceGroup: { number: number; symbol: string };
  lattice: string;
  structure: StructureData;
}

export interface HarmonicResult {
  crystal: CrystalInfo;
  supercell: [number, number, number];
  displacements: number;
  bands: BandStructure;
  dos: { frequencies: Float64Array; dos: Float64Array; sigma: number };
  mesh: [number, number, number];
  /** Zero-point energy and F at 300 K (eV per cell, NaN with imaginary modes). */
  zeroPointEnergy: number;
  freeEnergy300: number;
  lowestFrequency: number;
}

export interface SschaJobResult {
  crystal: CrystalInfo;
  supercell: [number, number, number];
  temperature: number;
  configs: number;
  seed: number;
  converged: boolean;
  reason: string;
  populations: number;
  /** Free energy per primitive cell (eV) and its error; per atom. */
  FperCell: number;
  FperCellErr: number;
  FperAtom: number;
  FperAtomErr: number;
  /** Supercell auxiliary frequencies (cm⁻¹, ascending, translations excluded) and errors. */
  frequenciesCm: Float64Array;
  frequencyErrCm: Float64Array;
  history: StepRecord[];
  natomsSupercell: number;
  /** Start: non-positive harmonic modes flipped / raised. */
  start: { flipped: number; raised: number };
  harmonicBands: BandStructure;
  auxiliaryBands: BandStructure;
}

function crystalInfo(s: Structure, symprec: number): { info: CrystalInfo; dataset: ReturnType<typeof analyzeSymmetry> } {
  const dataset = analyzeSymmetry(s, symprec);
  const path = standardBandPath(s, { dataset });
  return {
    info: { formula: s.formula(), natoms: s.natoms, spaceGroup: { number: dataset.number, symbol: dataset.internationalShort }, lattice: path.kind, structure: structureToData(s) },
    dataset,
  };
}

/** Read and check the structure file (throws the reader's one-line error). */
export function readInputStructure(input: StructureInput): Structure {
  return readStructure(input.text, input.fileName);
}

function checkSupercell(sc: readonly number[]): [number, number, number] {
  if (sc.length !== 3 || !sc.every((x) => Number.isInteger(x) && x >= 1 && x <= 20)) throw new RangeError(`supercell must be three integers in 1..20, got ${JSON.stringify(sc)}`);
  return [sc[0], sc[1], sc[2]];
}

function defaultMesh(s: Structure): [number, number, number] {
  const lat = s.lattice();
  return [lat.a, lat.b, lat.c].map((l) => Math.max(1, Math.min(24, Math.ceil(40 / l)))) as [number, number, number];
}

/** Harmonic phonons: force constants, bands on the standard path, DOS. */
export async function runHarmonicJob(host: PipelineHost, inputs: HarmonicInputs): Promise<HarmonicResult> {
  const k = host.kernels;
  const unit = readInputStructure(inputs.structure);
  const supercell = checkSupercell(inputs.supercell);
  const symprec = inputs.symprec ?? 1e-3;
  const { info, dataset } = crystalInfo(unit, symprec);
  host.onProgress?.({ phase: 'structure', message: `${info.formula}, ${info.spaceGroup.symbol} (${info.spaceGroup.number})` });
  const path = standardBandPath(unit, { dataset });
  // the undisplaced supercell: the structures the engine sees (bond-network builds its bonds in it)
  const calc = await host.calculator({ ...inputs.potential, reference: structureToData(makeSupercell(unit, supercell).structure) });
  try {
    const fc = await computeForceConstants(calc, unit, supercell, {
      amplitude: inputs.amplitude ?? 0.01,
      symmetry: symprec,
      calc: { onProgress: (done, total) => host.onProgress?.({ phase: 'displacements', done, total }) },
    });
    host.onProgress?.({ phase: 'bands', message: 'bands and DOS' });
    const dm = new DynamicalMatrix(k, fc);
    const bands = bandStructure(dm, path, { pointsPerSegment: inputs.points ?? 41 });
    const mesh = inputs.mesh ?? defaultMesh(unit);
    const modes = meshModes(dm, mesh);
    const dos = densityOfStates(modes);
    let lowest = Infinity;
    for (const f of modes.frequencies) lowest = Math.min(lowest, f);
    let zpe = NaN, f300 = NaN;
    if (lowest > -1e-3) {
      const th = thermalProperties(modes, [300], { skipImaginary: true });
      zpe = th.zeroPointEnergy;
      f300 = th.freeEnergy[0];
    }
    return {
      crystal: info, supercell, displacements: fc.plan.displacements.length, bands,
      dos: { frequencies: dos.frequencies, dos: dos.dos, sigma: dos.sigma }, mesh, zeroPointEnergy: zpe, freeEnergy300: f300, lowestFrequency: lowest,
    };
  } finally {
    await calc.dispose?.();
  }
}

/** SSCHA at fixed cell from the harmonic start (as `anharm sscha` without --out/--pressure/Hessian). */
export async function runSschaJob(host: PipelineHost, inputs: SschaInputs, signal?: AbortSignal): Promise<SschaJobResult> {
  const k = host.kernels;
  const unit = readInputStructure(inputs.structure);
  const supercell = checkSupercell(inputs.supercell);
  const symprec = inputs.symprec ?? 1e-3;
  const { info, dataset } = crystalInfo(unit, symprec);
  host.onProgress?.({ phase: 'structure', message: `${info.formula}, ${info.spaceGroup.symbol} (${info.spaceGroup.number})` });
  const path = standardBandPath(unit, { dataset });
  const sc = makeSupercell(unit, supercell);
  const ops = supercellOperations(sc.structure, dataset.operations, Array.from(sc.matrix), dataset.mapTolerance);
  const symmetrizer = new Symmetrizer(sc.structure.cell, ops);
  const calc = await host.calculator({ ...inputs.potential, reference: structureToData(sc.structure) });
  try {
    const fc = await computeForceConstants(calc, unit, supercell, {
      amplitude: inputs.amplitude ?? 0.01,
      symmetry: symprec,
      calc: { onProgress: (done, total) => host.onProgress?.({ phase: 'displacements', done, total }) },
    });
    const phiHarm = symmetrizer.forceConstants(fc.phi, { asr: true });
    let phi0 = phiHarm;
    const start = { flipped: 0, raised: 0 };
    if (auxiliaryModes(k, phiHarm, sc.structure.masses, inputs.temperature, { allowNonPositive: true }).nonPositive > 0) {
      const pd = positiveDefiniteStart(k, phiHarm, sc.structure.masses, { floorCm: inputs.floorCm ?? 50, symmetrizer });
      phi0 = pd.phi;
      start.flipped = pd.flipped;
      start.raised = pd.raised;
    }
    let populations = 0;
    const res = await runSscha({
      kernels: k,
      calculator: {
        name: calc.name,
        // per-configuration progress of each population
        compute: (structures, options) =>
          calc.compute(structures, { ...options, onProgress: (done, total) => host.onProgress?.({ phase: 'population', population: populations, done, total }) }),
      },
      supercell: sc,
      symmetry: symmetrizer,
      phi0,
      T: inputs.temperature,
      nConfigs: inputs.configs,
      seed: inputs.seed,
      maxPopulations: inputs.maxPopulations ?? 10,
      minimize: { maxSteps: inputs.maxSteps ?? 200 },
      signal,
      onPopulation: (pop, stage) => {
        if (stage === 'sampled') populations = pop.index + 1;
      },
      onStep: (record) => host.onProgress?.({ phase: 'step', record }),
    });
    host.onProgress?.({ phase: 'bands', message: 'dispersions' });
    const points = inputs.points ?? 41;
    const harm = phononSet(k, 'harmonic', unit, sc, phiHarm, supercell, path, points);
    const aux = phononSet(k, 'SSCHA auxiliary', unit, sc, res.phi, supercell, path, points);
    return {
      crystal: info, supercell, temperature: inputs.temperature, configs: inputs.configs, seed: inputs.seed,
      converged: res.converged, reason: res.reason, populations: res.populations.length,
      FperCell: res.FperCell, FperCellErr: res.FperCellErr, FperAtom: res.FperAtom, FperAtomErr: res.FperAtomErr,
      frequenciesCm: res.frequenciesCm, frequencyErrCm: res.frequencyErrCm, history: res.history, natomsSupercell: sc.structure.natoms,
      start, harmonicBands: harm.bands!, auxiliaryBands: aux.bands!,
    };
  } finally {
    await calc.dispose?.();
  }
}
