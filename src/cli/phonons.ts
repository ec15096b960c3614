// `anharm phonons STRUCTURE --potential FILE --supercell N N N`: harmonic phonons by finite
// displacements reduced by symmetry. Prints the frequencies at the special points of the band path and
// the harmonic thermodynamics (or --json with everything), and writes band.svg, dos.svg and
// phonons.json to --out DIR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PotentialError } from '../calculators/builtin.js';
import { loadPotential } from '../node/potentials.js';
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { loadKernels } from '../node/kernels.js';
import { loadMoyo } from '../node/moyo.js';
import {
  bandPathFromString, bandStructure, bandStructureSvg, computeForceConstants, densityOfStates, dosSvg, DynamicalMatrix, meshModes, PhononError,
  standardBandPath, temperatureRange, thermalProperties, THZ_TO_CM, type BandPath,
} from '../phonons/index.js';
import { StructureError, type Structure } from '../structure/structure.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { SymmetryError } from '../symmetry/moyo.js';
import { intOption, numberOption, UserError } from './errors.js';
import { readInputStructure, requireFiles } from './inputs.js';

export interface PhononsCliOptions {
  potential?: string;
  supercell?: string[];
  mesh?: string[];
  path: string;
  points: string;
  tmin: string;
  tmax: string;
  tstep: string;
  sigma?: string;
  amplitude: string;
  symprec: string;
  skipImaginary?: boolean;
  out?: string;
  json?: boolean;
}

export interface PhononsRun {
  /** What goes to stdout (text table or one JSON document). */
  stdout: string;
  /** The JSON report (also written to DIR/phonons.json with --out). */
  report: Record<string, unknown>;
  files: string[];
}

function triple(name: string, values: string[] | undefined): [number, number, number] | undefined {
  if (!values) return undefined;
  const parts = values.flatMap((v) => v.split(/[\s,x×]+/)).filter((v) => v !== '');
  if (parts.length === 1) parts.push(parts[0], parts[0]);
  if (parts.length !== 3) throw new UserError(`option ${name}: expected three integers (e.g. ${name} 3 3 3), got "${values.join(' ')}"`);
  return parts.map((p) => intOption(name, p, 1, 1000)) as [number, number, number];
}

/** Turn library errors that describe bad input into one-line UserErrors. */
function asUserError(e: unknown): never {
  if (e instanceof UserError) throw e;
  if (e instanceof PhononError || e instanceof PotentialError || e instanceof StructureError || e instanceof SymmetryError || e instanceof CalculatorError) {
    throw new UserError(e.message.split('\n')[0]);
  }
  throw e;
}

const r6 = (x: number) => Number(x.toPrecision(10));
const arr = (a: ArrayLike<number>) => Array.from(a, r6);

/** Default mesh: about 50 Å / |a_k| divisions along each reciprocal axis (at least 1). */
function defaultMesh(s: Structure): [number, number, number] {
  const lat = s.lattice();
  return [lat.a, lat.b, lat.c].map((l) => Math.max(1, Math.ceil(50 / l))) as [number, number, number];
}

export async function runPhonons(file: string, o: PhononsCliOptions): Promise<PhononsRun> {
  if (!o.potential) throw new UserError('option --potential <file> is required (a JSON potential file)');
  const supercell = triple('--supercell', o.supercell);
  if (!supercell) throw new UserError('option --supercell N N N is required (e.g. --supercell 3 3 3)');
  const amplitude = numberOption('--amplitude', o.amplitude, { positive: true });
  const symprec = numberOption('--symprec', o.symprec, { positive: true });
  const tmin = numberOption('--tmin', o.tmin, { nonNegative: true });
  const tmax = numberOption('--tmax', o.tmax, { nonNegative: true });
  const tstep = numberOption('--tstep', o.tstep, { positive: true });
  const sigma = o.sigma !== undefined ? numberOption('--sigma', o.sigma, { positive: true }) : undefined;
  const points = intOption('--points', o.points, 2, 10000);
  requireFiles(file, o.potential);
  const structure = await readInputStructure(file);
  const mesh = triple('--mesh', o.mesh) ?? defaultMesh(structure);
  let temps: Float64Array;
  try {
    temps = temperatureRange(tmin, tmax, tstep);
  } catch (e) {
    asUserError(e);
  }
  let calc: Calculator;
  try {
    calc = await loadPotential(o.potential, { reference: structure });
  } catch (e) {
    asUserError(e);
  }
  loadMoyo();
  const k = await loadKernels();
  try {
    const dataset = analyzeSymmetry(structure, symprec);
    // path first, so that a bad label fails before any force evaluation
    const auto = standardBandPath(structure, { dataset });
    const path: BandPath = o.path === 'auto' ? auto : bandPathFromString(o.path, auto);
    const fc = await computeForceConstants(calc, structure, supercell, { amplitude, symmetry: symprec });
    const dm = new DynamicalMatrix(k, fc);
    const bands = bandStructure(dm, path, { pointsPerSegment: points });
    const labels = [...new Set(path.segments.flat())];
    const special = labels.map((l) => ({ label: l, q: path.points[l], frequencies: dm.frequencies(path.points[l]) }));
    const modes = meshModes(dm, mesh);
    const dos = densityOfStates(modes, { sigma });
    const thermal = thermalProperties(modes, temps, { skipImaginary: !!o.skipImaginary });
    let lowest = Infinity;
    for (const f of modes.frequencies) lowest = Math.min(lowest, f);

    const report: Record<string, unknown> = {
      units: { frequency: 'THz', wavenumber: 'cm^-1', q: 'reduced coordinates of the reciprocal basis of the input cell', pathLength: '1/Å (without 2π)', freeEnergy: 'eV per input cell', entropy: 'J/(K mol of cells)', heatCapacity: 'J/(K mol of cells)', dos: 'states/THz per cell' },
      structure: { file, natoms: structure.natoms, species: [...structure.species], cell: arr(structure.cell), frac: arr(structure.frac), masses: arr(structure.masses) },
      symmetry: { spaceGroup: dataset.number, symbol: dataset.internationalShort, lattice: auto.kind },
      supercell,
      displacements: fc.plan.displacements.map((d) => ({ atom: d.atom, vector: arr(d.vector) })),
      amplitude,
      path: { kind: path.kind, segments: path.segments.map((s) => s.join('-')), points: path.points },
      special: special.map((s) => ({ label: s.label, q: s.q, frequencies: arr(s.frequencies), wavenumbers: arr(s.frequencies.map((f) => f * THZ_TO_CM)) })),
      bands: {
        ticks: bands.ticks.map((t) => ({ distance: r6(t.distance), label: t.label })),
        segments: bands.segments.map((s) => ({ from: s.from, to: s.to, qpoints: arr(s.qpoints), distances: arr(s.distances), frequencies: arr(s.frequencies) })),
        nbands: bands.nbands,
      },
      mesh: { divisions: mesh, gammaCentred: true, lowestFrequency: r6(lowest), highestFrequency: r6(Math.max(...modes.frequencies)) },
      dos: { sigma: r6(dos.sigma), frequencies: arr(dos.frequencies), dos: arr(dos.dos) },
      thermal: {
        temperatures: arr(thermal.temperatures),
        freeEnergy: arr(thermal.freeEnergy),
        freeEnergyKJmol: arr(thermal.freeEnergyKJmol),
        entropy: arr(thermal.entropyJmolK),
        heatCapacity: arr(thermal.heatCapacityJmolK),
        zeroPointEnergy: r6(thermal.zeroPointEnergy),
        skippedModes: thermal.skipped,
      },
    };
    const files: string[] = [];
    if (o.out) {
      mkdirSync(o.out, { recursive: true });
      const title = `${structure.formula()}: ${dataset.internationalShort}, supercell ${supercell.join('×')}`;
      const write = (name: string, text: string) => {
        const p = join(o.out!, name);
        writeFileSync(p, text);
        files.push(p);
      };
      write('band.svg', bandStructureSvg(bands, { title: `Phonon bands — ${title}` }));
      write('dos.svg', dosSvg(dos, { title: `Phonon DOS — ${title}, mesh ${mesh.join('×')}` }));
      report.files = [join(o.out, 'band.svg'), join(o.out, 'dos.svg'), join(o.out, 'phonons.json')];
      write('phonons.json', JSON.stringify(report) + '\n');
    }
    if (o.json) return { stdout: JSON.stringify(report) + '\n', report, files };

    const lines: string[] = [];
    lines.push(`Harmonic phonons of ${file}: ${structure.natoms} atom${structure.natoms === 1 ? '' : 's'}, ${dataset.internationalShort} (${dataset.number}), ${auto.kind} lattice`);
    lines.push(`supercell ${supercell.join('×')} (${fc.supercell.structure.natoms} atoms), ${fc.plan.displacements.length} displaced configuration${fc.plan.displacements.length === 1 ? '' : 's'} of ${amplitude} Å`);
    lines.push('');
    lines.push('Frequencies at special points (THz; negative = imaginary)');
    const wl = Math.max(5, ...special.map((s) => s.label.length));
    for (const s of special) {
      const q = s.q.map((x) => x.toFixed(4).padStart(7)).join(' ');
      lines.push(`  ${s.label.padEnd(wl)}  [${q}]  ${Array.from(s.frequencies, (f) => f.toFixed(4).padStart(9)).join(' ')}`);
    }
    lines.push('');
    lines.push(`Thermodynamics per cell on a ${mesh.join('×')} Γ-centred mesh (zero-point energy ${thermal.zeroPointEnergy.toFixed(6)} eV)` + (thermal.skipped ? `, ${thermal.skipped} imaginary modes skipped` : ''));
    lines.push('     T (K)      F (eV)    F (kJ/mol)   S (J/K/mol)  Cv (J/K/mol)');
    for (let i = 0; i < thermal.temperatures.length; i++) {
      lines.push(
        `  ${thermal.temperatures[i].toFixed(1).padStart(8)}  ${thermal.freeEnergy[i].toFixed(6).padStart(10)}  ${thermal.freeEnergyKJmol[i].toFixed(4).padStart(12)}  ${thermal.entropyJmolK[i].toFixed(4).padStart(12)}  ${thermal.heatCapacityJmolK[i].toFixed(4).padStart(12)}`,
      );
    }
    if (files.length) {
      lines.push('');
      lines.push(`wrote ${files.join(', ')}`);
    }
    return { stdout: lines.join('\n') + '\n', report, files };
  } catch (e) {
    return asUserError(e);
  } finally {
    await calc.dispose?.();
  }
}

export function registerPhonons(program: Command): void {
  program
    .command('phonons')
    .description('harmonic phonons by symmetry-reduced finite displacements: band structure, DOS, F/S/Cv')
    .argument('<structure>', 'structure file (POSCAR, CIF, extxyz); give it before the options')
    .option('--potential <file>', 'potential file: a built-in potential (JSON), an MLIP model (anharm train) or an ONNX model')
    .option('--supercell <n...>', 'supercell multiplicities along a1 a2 a3, e.g. --supercell 3 3 3')
    .option('--mesh <n...>', 'q-mesh for DOS and thermodynamics (Γ-centred); default ≈ 50 Å/|a_k|')
    .option('--path <spec>', 'band path: auto, or labels like "G-X-W|L-G" ("|" breaks the path)', 'auto')
    .option('--points <n>', 'q-points per path segment', '51')
    .option('--tmin <K>', 'lowest temperature', '0')
    .option('--tmax <K>', 'highest temperature', '1000')
    .option('--tstep <K>', 'temperature step', '50')
    .option('--sigma <THz>', 'Gaussian smearing of the DOS (standard deviation); default 1/40 of the highest frequency')
    .option('--amplitude <Å>', 'displacement amplitude', '0.01')
    .option('--symprec <Å>', 'symmetry tolerance', '1e-3')
    .option('--skip-imaginary', 'drop imaginary modes from the thermodynamics instead of failing')
    .option('--out <dir>', 'write band.svg, dos.svg and phonons.json here')
    .option('--json', 'print one JSON document with everything instead of tables')
    .action(async (file: string, opts: PhononsCliOptions) => {
      const r = await runPhonons(file, opts);
      process.stdout.write(r.stdout);
    });
}
