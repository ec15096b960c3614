// `anharm search --formula H3S --pressure 150 --potential FILE --out DIR`: the evolutionary crystal-
// structure search (physics.md 7, src/search) with a built-in potential, in a run folder that is
// journalled as it goes: running the same command again after a crash or Ctrl-C resumes it without
// redoing finished relaxations, and ends with the same results as an uninterrupted run.
//
// Everything the user gives is checked before any work starts (exit code 2, one line): the formula
// (unknown elements), the pressures (GPa: "150", "150GPa", lists "150,200" or repeated --pressure),
// formula units, the potential file and whether it has parameters for every element of the formula
// (one probe evaluation), the composition against the options.
// Progress: one line per generation on stderr (--json: JSON lines on stdout, the result object last).
// Output in DIR: results.json, structures/<P>GPa/NN-<formula>-<group>.{cif,vasp}, best-enthalpy.svg,
// manifest.json and journal.jsonl (docs/search.md).
// Exit codes: 0 done, 1 interrupted (resume by rerunning), 2 a user mistake.
//
// Testing aid (environment): ANHARM_SEARCH_ABORT_AFTER=N interrupts the run after N relaxations as
// Ctrl-C would (for tests of the resume path).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PotentialError } from '../calculators/builtin.js';
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { loadKernels } from '../node/kernels.js';
import { loadMoyo } from '../node/moyo.js';
import { loadPotential } from '../node/potentials.js';
import { openSearchRunDir } from '../node/search-store.js';
import { parseFormula, SearchInputError, type Composition } from '../search/composition.js';
import { SearchRunError } from '../search/journal.js';
import { resolveSearchOptions, resultJson, runSearch, SearchError, type GenerationInfo, type SearchOptions } from '../search/search.js';
import { symmetricGenerator } from '../search/symmetric-generator.js';
import { Structure } from '../structure/structure.js';
import { intOption, numberOption, seedOption, UserError } from './errors.js';
import { requireFiles } from './inputs.js';

export interface SearchCliOptions {
  formula?: string;
  pressure?: string[];
  potential?: string;
  out?: string;
  formulaUnits: string;
  generations: string;
  population?: string;
  seed: string;
  volume?: string;
  fmax: string;
  smax: string;
  steps: string;
  batch: string;
  keep: string;
  minDistanceFactor: string;
  json?: boolean;
}

/** Pressures in GPa from "150", "150GPa", "150,200" (repeatable option); junk is a UserError. */
export function parsePressures(values: string[] | undefined): number[] {
  if (!values || values.length === 0) throw new UserError('option --pressure <GPa> is required (e.g. --pressure 150 or --pressure 150,200)');
  const out: number[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim();
      const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(gpa)?$/i.exec(t);
      if (!m) throw new UserError(`option --pressure: "${part}" is not a pressure in GPa (write e.g. 150 or 150GPa; lists as 150,200)`);
      const p = Number(m[1]);
      if (!Number.isFinite(p)) throw new UserError(`option --pressure: "${part}" is not a finite number of GPa`);
      if (out.includes(p)) throw new UserError(`option --pressure: ${p} GPa is given twice`);
      out.push(p);
    }
  }
  return out;
}

/** "1-2" or "2" → [lo, hi]. */
export function parseFormulaUnits(v: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(v);
  if (!m) throw new UserError(`option --formula-units: expected N or LO-HI (e.g. 1-2), got "${v}"`);
  const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi < lo) throw new UserError(`option --formula-units: expected 1 ≤ LO ≤ HI, got "${v}"`);
  return [lo, hi];
}

/** Evaluate one configuration with every element of the formula: a potential without one of them fails here. */
export async function probeSpecies(calc: Calculator, c: Composition, file: string): Promise<void> {
  const n = c.species.length;
  const L = 6 * Math.max(2, n);
  const frac: number[] = [];
  for (let i = 0; i < n; i++) frac.push((i + 0.5) / n, (i + 0.5) / n, (i + 0.5) / n);
  const s = new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: c.species, frac });
  try {
    await calc.compute([s], { stress: true });
  } catch (e) {
    if (e instanceof CalculatorError) {
      const m = /species "([^"]+)".*\(known: ([^)]*)\)/.exec(e.message);
      throw new UserError(m ? `${file}: the potential has no parameters for ${m[1]} (it knows ${m[2]}), which the formula needs` : `${file}: ${e.message}`);
    }
    throw e;
  }
}

export async function runSearchCommand(o: SearchCliOptions): Promise<void> {
  // ---- everything the user gave, before any work
  if (!o.formula) throw new UserError('option --formula <formula> is required (e.g. --formula H3S)');
  const pressures = parsePressures(o.pressure);
  if (!o.potential) throw new UserError('option --potential <file> is required (a JSON potential file)');
  if (!o.out) throw new UserError('option --out <dir> is required (the run folder; rerun the same command to resume)');
  let composition: Composition;
  try {
    composition = parseFormula(o.formula);
  } catch (e) {
    if (e instanceof SearchInputError) throw new UserError(`option --formula: ${e.message}`);
    throw e;
  }
  const options: SearchOptions = {
    formula: composition,
    pressures,
    formulaUnits: parseFormulaUnits(o.formulaUnits),
    seed: seedOption('--seed', o.seed),
    maxGenerations: intOption('--generations', o.generations, 1, 100_000),
    populationSize: o.population === undefined ? undefined : intOption('--population', o.population, 2, 10_000),
    volumePerAtom: o.volume === undefined ? undefined : numberOption('--volume', o.volume, { positive: true }),
    minDistanceFactor: numberOption('--min-distance-factor', o.minDistanceFactor, { positive: true }),
    relax: {
      fmax: numberOption('--fmax', o.fmax, { positive: true }),
      smax: numberOption('--smax', o.smax, { positive: true }),
      maxSteps: intOption('--steps', o.steps, 1, 1_000_000),
    },
    batchSize: intOption('--batch', o.batch, 1, 100_000),
    keep: intOption('--keep', o.keep, 1, 10_000),
  };
  try {
    resolveSearchOptions(options);
  } catch (e) {
    if (e instanceof SearchInputError) throw new UserError(e.message);
    throw e;
  }
  requireFiles(o.potential);
  let calc: Calculator;
  const kernels = await loadKernels();
  try {
    calc = await loadPotential(o.potential, { kernels });
  } catch (e) {
    if (e instanceof PotentialError) {
      throw new UserError(/needs the reference structure/.test(e.message) ? `${e.message} (bond-network potentials describe one structure and cannot drive a search)` : e.message);
    }
    throw e;
  }
  await probeSpecies(calc, composition, o.potential);
  loadMoyo();

  // ---- the run
  const ctl = new AbortController();
  const abortAfter = process.env.ANHARM_SEARCH_ABORT_AFTER ? Number(process.env.ANHARM_SEARCH_ABORT_AFTER) : Infinity;
  let relaxed = 0;
  const onSigint = () => ctl.abort();
  process.once('SIGINT', onSigint);
  const json = !!o.json;
  const progress = (g: GenerationInfo) => {
    if (json) {
      process.stdout.write(
        JSON.stringify({
          event: 'generation',
          pressure: g.pressure,
          generation: g.generation,
          relaxations: g.relaxations,
          failed: g.failed,
          resumed: g.resumed,
          unique: g.unique,
          volumePerAtom: g.volumePerAtom,
          best: g.best ? { id: g.best.id, enthalpyPerAtom: g.best.enthalpyPerAtom, spaceGroup: g.best.spaceGroup } : null,
          operators: g.operators,
        }) + '\n',
      );
      return;
    }
    const b = g.best;
    process.stderr.write(
      `${g.pressure} GPa  generation ${String(g.generation).padStart(3)}  relaxed ${String(g.relaxations).padStart(5)}` +
        `${g.failed ? ` (${g.failed} failed)` : ''}${g.resumed ? ` (${g.resumed} from the journal)` : ''}  unique ${g.unique}  ` +
        (b ? `best ${b.enthalpyPerAtom.toFixed(6)} eV/atom ${b.spaceGroup ? `${b.spaceGroup.symbol} (${b.spaceGroup.number})` : 'P1?'} ${b.natoms} atoms` : 'best —') +
        `  V₀ ${g.volumePerAtom.toFixed(3)} Å³/atom\n`,
    );
  };
  const storage = openSearchRunDir(o.out);
  const potentialHash = createHash('sha256').update(readFileSync(o.potential)).digest('hex');
  let result;
  try {
    result = await runSearch(options, {
      kernels,
      calculator: calc,
      storage,
      generator: symmetricGenerator(),
      generatorName: 'random-symmetric',
      manifest: { potential: potentialHash },
      signal: ctl.signal,
      onGeneration: progress,
      onRelaxed: () => {
        if (++relaxed >= abortAfter) ctl.abort();
      },
    });
  } catch (e) {
    if (e instanceof SearchRunError) throw new UserError(e.message);
    if (e instanceof SearchInputError) throw new UserError(e.message);
    if (e instanceof SearchError && ctl.signal.aborted) {
      process.stderr.write(`anharm: search interrupted; finished relaxations are journalled in ${o.out}: run the same command again to resume\n`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof SearchError) {
      process.stderr.write(`anharm: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await calc.dispose?.();
  }

  if (json) {
    process.stdout.write(JSON.stringify({ event: 'result', out: o.out, ...resultJson(result.formula, result) }) + '\n');
    return;
  }
  const lines: string[] = [];
  for (const pr of result.pressures) {
    lines.push(
      `${result.formula} at ${pr.pressure} GPa: ${pr.generations} generations, ${pr.relaxations} relaxations (${pr.failed} failed), stopped: ${pr.stopReason}`,
    );
    lines.push('  rank  H (eV/atom)    ΔH (meV/atom)  space group         V (Å³/atom)  atoms  file');
    const h0 = pr.ranking[0]?.enthalpyPerAtom ?? 0;
    for (const x of pr.ranking) {
      const sg = x.spaceGroup ? `${x.spaceGroup.symbol} (${x.spaceGroup.number})` : '—';
      lines.push(
        `  ${String(x.rank).padStart(4)}  ${x.enthalpyPerAtom.toFixed(6).padStart(12)}  ${((x.enthalpyPerAtom - h0) * 1000).toFixed(2).padStart(13)}  ${sg.padEnd(18)}  ${x.volumePerAtom.toFixed(3).padStart(11)}  ${String(x.natoms).padStart(5)}  ${x.files?.cif ?? ''}`,
      );
    }
  }
  if (result.resumedRelaxations) lines.push(`(${result.resumedRelaxations} relaxations taken from the journal)`);
  lines.push(`results in ${o.out}: results.json, structures/, best-enthalpy.svg`);
  process.stdout.write(lines.join('\n') + '\n');
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Register `anharm search` on the program. */
export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('evolutionary crystal-structure search at one or more pressures with a potential file; journalled run folder (rerun to resume)')
    .option('--formula <formula>', 'composition per formula unit, e.g. H3S')
    .option('--pressure <GPa>', 'target pressure in GPa; repeat or give a list (150,200)', collect)
    .option('--potential <file>', 'potential file: a built-in potential (JSON), an MLIP model (anharm train) or an ONNX model')
    .option('--out <dir>', 'run folder (journal, results.json, structures/, best-enthalpy.svg)')
    .option('--formula-units <n|lo-hi>', 'formula units per cell', '1-2')
    .option('--generations <n>', 'largest number of generations', '30')
    .option('--population <n>', 'population size (default: 2 × atoms per cell rounded to 10, 10..60)')
    .option('--seed <s>', 'seed of the random generator', '1')
    .option('--volume <Å³>', 'start volume per atom (default: estimated from a few relaxed random structures)')
    .option('--fmax <eV/Å>', 'relaxation force tolerance', '0.02')
    .option('--smax <GPa>', 'relaxation stress tolerance on |σ + P|', '0.5')
    .option('--steps <n>', 'largest number of relaxation steps', '500')
    .option('--batch <n>', 'relaxations per engine batch (and per journal write)', '8')
    .option('--keep <n>', 'structures written per pressure', '10')
    .option('--min-distance-factor <f>', 'minimum distances f·(r_A + r_B) with covalent radii', '0.7')
    .option('--json', 'JSON lines on stdout: one per generation, the result last')
    .action(async (opts: SearchCliOptions) => {
      await runSearchCommand(opts);
    });
}
