// `anharm relax STRUCTURE --potential FILE`: local relaxation at pressure (physics.md 7.3) with the
// built-in potentials. Progress on stderr (one line per step, only on a terminal); a summary or
// --json on stdout; the relaxed structure written to --out (format from the extension).
import type { Command } from 'commander';
import { PotentialError } from '../calculators/builtin.js';
import { loadPotential } from '../node/potentials.js';
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { formatFromName } from '../io/index.js';
import { loadMoyo } from '../node/moyo.js';
import { writeFramesFile, writeStructureFile } from '../node/files.js';
import { EV_A3_TO_GPA, RelaxError, relax, type RelaxMethod, type CellMode, type RelaxResult, type StepInfo } from '../relax/index.js';
import type { Structure } from '../structure/structure.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { SymmetryError } from '../symmetry/moyo.js';
import { intOption, numberOption, UserError } from './errors.js';
import { readInputStructure, requireFiles } from './inputs.js';

export interface RelaxCliOptions {
  potential?: string;
  pressure: string;
  fmax: string;
  smax: string;
  steps: string;
  method: string;
  cell: string;
  keepSymmetry?: boolean;
  symprec: string;
  out?: string;
  trajectory?: string;
  json?: boolean;
}

function spaceGroup(s: Structure, symprec: number): { number: number; symbol: string } | null {
  try {
    const d = analyzeSymmetry(s, symprec);
    return { number: d.number, symbol: d.internationalShort };
  } catch {
    return null;
  }
}

const round = (x: number, d = 10) => (Number.isFinite(x) ? Number(x.toPrecision(d)) : null);

export async function runRelax(file: string, o: RelaxCliOptions): Promise<void> {
  // ---- options (user mistakes: UserError, exit code 2)
  if (!o.potential) throw new UserError('option --potential <file> is required (a JSON potential file)');
  const pressure = numberOption('--pressure', o.pressure);
  const fmax = numberOption('--fmax', o.fmax, { positive: true });
  const smax = numberOption('--smax', o.smax, { positive: true });
  const symprec = numberOption('--symprec', o.symprec, { positive: true });
  const steps = intOption('--steps', o.steps, 0, 1_000_000);
  if (o.method !== 'fire' && o.method !== 'lbfgs') throw new UserError(`option --method: expected "fire" or "lbfgs", got "${o.method}"`);
  if (o.cell !== 'full' && o.cell !== 'isotropic' && o.cell !== 'fixed') {
    throw new UserError(`option --cell: expected "full", "isotropic" or "fixed", got "${o.cell}"`);
  }
  if (o.out && !formatFromName(o.out)) {
    throw new UserError(`option --out: cannot tell the format from "${o.out}" (use .cif, .xyz/.extxyz, .vasp or a POSCAR/CONTCAR name)`);
  }
  requireFiles(file, o.potential);
  const structure = await readInputStructure(file);
  let calc: Calculator;
  try {
    calc = await loadPotential(o.potential, { reference: structure });
  } catch (e) {
    if (e instanceof PotentialError) throw new UserError(e.message);
    throw e;
  }
  loadMoyo();
  const before = spaceGroup(structure, symprec);

  const tty = !o.json && process.stderr.isTTY;
  const progress = (i: StepInfo) => {
    process.stderr.write(
      `step ${String(i.step).padStart(4)}  H ${i.enthalpy.toFixed(6)} eV  E ${i.energy.toFixed(6)} eV  V ${i.volume.toFixed(3)} Å³  ` +
        `fmax ${i.maxForce.toExponential(2)} eV/Å  |σ+P| ${i.maxStress.toExponential(2)} GPa  P ${i.pressure.toFixed(3)} GPa\n`,
    );
  };

  let r: RelaxResult;
  try {
    r = await relax(calc, structure, {
      pressure,
      fmax,
      smax,
      maxSteps: steps,
      method: o.method as RelaxMethod,
      cell: o.cell as CellMode,
      keepSymmetry: !!o.keepSymmetry,
      symprec,
      trajectory: !!o.trajectory,
      onStep: tty ? progress : undefined,
    });
  } catch (e) {
    if (e instanceof RelaxError) {
      // a failed relaxation is not a crash: one line, exit code 1
      process.stderr.write(`anharm: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof SymmetryError) throw new UserError(`--keep-symmetry: ${e.message}`);
    if (e instanceof CalculatorError) throw new UserError(e.message);
    throw e;
  } finally {
    await calc.dispose?.();
  }

  if (o.out) await writeStructureFile(o.out, r.structure);
  if (o.trajectory && r.trajectory) {
    await writeFramesFile(
      o.trajectory,
      r.trajectory.map((t) => ({
        structure: t.structure,
        energy: t.energy,
        forces: t.forces,
        stress: t.stress?.map((x) => x / EV_A3_TO_GPA),
        info: { step: t.step, enthalpy: t.enthalpy },
        integerKeys: new Set(['step']),
      })),
    );
  }
  const after = spaceGroup(r.structure, symprec);
  const natoms = r.structure.natoms;

  if (o.json) {
    const st = r.stress;
    const out = {
      status: r.status,
      converged: r.converged,
      method: r.method,
      cell: r.cell,
      steps: r.steps,
      forceCalls: r.forceCalls,
      natoms,
      energy: r.energy,
      energyPerAtom: r.energy / natoms,
      enthalpy: r.enthalpy,
      enthalpyPerAtom: r.enthalpy / natoms,
      volume: r.volume,
      targetPressure: r.targetPressure,
      pressure: r.pressure,
      // pressure tensor P_αβ = −σ_αβ (GPa, compression-positive)
      pressureTensor: st ? [0, 1, 2].map((a) => [0, 1, 2].map((b) => round(-st[3 * a + b]))) : null,
      stress: st ? [0, 1, 2].map((a) => [0, 1, 2].map((b) => round(st[3 * a + b]))) : null,
      maxForce: r.maxForce,
      maxStress: r.maxStress,
      fmax,
      smax,
      symprec,
      spaceGroup: { before, after },
      lattice: r.structure.lattice(),
      out: o.out ?? null,
      structure: { cell: Array.from(r.structure.cell), species: r.structure.species, frac: Array.from(r.structure.frac) },
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } else {
    const l = r.structure.lattice();
    const lines = [
      `relaxation ${r.converged ? 'converged' : `did NOT converge in ${r.steps} steps`} (${r.method}, ${r.cell} cell, P = ${pressure} GPa): ${r.steps} steps, ${r.forceCalls} force calls`,
      `  E = ${r.energy.toFixed(6)} eV (${(r.energy / natoms).toFixed(6)} eV/atom)   H = ${r.enthalpy.toFixed(6)} eV (${(r.enthalpy / natoms).toFixed(6)} eV/atom)`,
      `  V = ${r.volume.toFixed(4)} Å³   P = ${r.pressure.toFixed(4)} GPa   max |f| = ${r.maxForce.toExponential(2)} eV/Å   max |σ+P| = ${r.maxStress.toExponential(2)} GPa`,
      `  a b c = ${l.a.toFixed(5)} ${l.b.toFixed(5)} ${l.c.toFixed(5)} Å   α β γ = ${l.alpha.toFixed(3)} ${l.beta.toFixed(3)} ${l.gamma.toFixed(3)}°`,
    ];
    if (before || after) {
      const f = (g: typeof before) => (g ? `${g.symbol} (${g.number})` : 'unknown');
      lines.push(`  space group (symprec ${symprec} Å): ${f(before)} -> ${f(after)}`);
    }
    if (o.out) lines.push(`  relaxed structure written to ${o.out}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (!r.converged) {
    process.stderr.write(`anharm: relaxation did not converge in ${r.steps} steps (max |f| ${r.maxForce.toExponential(2)} eV/Å, max |σ+P| ${r.maxStress.toExponential(2)} GPa)\n`);
    process.exitCode = 1;
  }
}

/** Register `anharm relax` on the program. */
export function registerRelax(program: Command): void {
  program
    .command('relax')
    .description('relax a structure at a target pressure (positions and cell) with a potential file; writes the relaxed structure')
    .argument('<structure>', 'structure file (POSCAR/CONTCAR/.vasp, .cif, .xyz/.extxyz)')
    .option('--potential <file>', 'potential file: a built-in potential (JSON), an MLIP model (anharm train) or an ONNX model')
    .option('--pressure <GPa>', 'target pressure in GPa', '0')
    .option('--fmax <eV/Å>', 'force tolerance', '0.02')
    .option('--smax <GPa>', 'stress tolerance on |σ + P|', '0.5')
    .option('--steps <n>', 'largest number of steps', '500')
    .option('--method <name>', 'fire or lbfgs', 'lbfgs')
    .option('--cell <mode>', 'cell degrees of freedom: full, isotropic or fixed', 'full')
    .option('--keep-symmetry', 'keep the space group of the start (symmetrised forces, stress and steps)')
    .option('--symprec <Å>', 'symmetry tolerance (keep-symmetry and reported space groups)', '0.01')
    .option('--out <file>', 'write the relaxed structure (format from the extension)')
    .option('--trajectory <file>', 'write every step as extended XYZ (energy, forces, stress)')
    .option('--json', 'print one JSON object instead of text')
    .action(async (file: string, opts: RelaxCliOptions) => {
      await runRelax(file, opts);
    });
}
