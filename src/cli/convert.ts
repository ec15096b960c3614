// `anharm convert IN OUT`: structures (POSCAR, CIF, extended XYZ) and force constants (Quantum ESPRESSO
// dynamical-matrix sets ↔ phonopy FORCE_CONSTANTS). Formats come from the file names unless --from/--to
// say otherwise. User mistakes end as one-line UserErrors (exit code 2).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ParseError } from '../io/errors.js';
import {
  forceConstantsFromRealSpace,
  forceConstantsToRealSpace,
  readForceConstants,
  supercellOrderFromStructure,
  writeForceConstants,
} from '../io/force-constants.js';
import { formatFromName, type StructureFormat } from '../io/index.js';
import { dynSetFromRealSpace, dynSetToRealSpace, readQeDynSet, writeQeDynSet, type QeDynSet } from '../io/qe-dyn.js';
import { readStructureFile, writeStructureFile } from '../node/files.js';
import { loadKernels } from '../node/kernels.js';
import type { ForceConstants } from '../phonons/force-constants-model.js';
import { StructureError } from '../structure/structure.js';
import { KernelError } from '../wasm/kernels.js';
import { UserError } from './errors.js';

export type ConvertFormat = StructureFormat | 'qe-dyn' | 'phonopy-fc';
const FORMATS: ConvertFormat[] = ['poscar', 'cif', 'extxyz', 'qe-dyn', 'phonopy-fc'];
const STRUCTURE_FORMATS: ConvertFormat[] = ['poscar', 'cif', 'extxyz'];

export interface ConvertOptions {
  from?: string;
  to?: string;
  structure?: string;
  supercell?: string;
  supercellStructure?: string;
  compact?: boolean;
  writeStructure?: string;
  frame?: string;
}

function parseFormat(name: string, value: string): ConvertFormat {
  const v = value.toLowerCase();
  const alias: Record<string, ConvertFormat> = { vasp: 'poscar', xyz: 'extxyz', dyn: 'qe-dyn', qe: 'qe-dyn', phonopy: 'phonopy-fc', force_constants: 'phonopy-fc', fc: 'phonopy-fc' };
  const f = (FORMATS as string[]).includes(v) ? (v as ConvertFormat) : alias[v];
  if (!f) throw new UserError(`option ${name}: unknown format "${value}" (expected one of ${FORMATS.join(', ')})`);
  return f;
}

/** Prefix of a QE dynamical-matrix set given as PREFIX or as the index file PREFIX0, or undefined. */
function dynPrefix(path: string): string | undefined {
  if (existsSync(path + '0') && existsSync(path + '1')) return path;
  if (path.endsWith('0') && existsSync(path) && existsSync(path.slice(0, -1) + '1')) return path.slice(0, -1);
  return undefined;
}

function guessFormat(path: string, input: boolean): ConvertFormat | undefined {
  const base = path.split(/[\\/]/).pop() ?? path;
  if (/force_constants/i.test(base)) return 'phonopy-fc';
  if (input && dynPrefix(path)) return 'qe-dyn';
  if (/dyn/i.test(base) && !/\.(cif|xyz|extxyz|vasp|poscar)$/i.test(base)) return 'qe-dyn';
  return formatFromName(path);
}

function parseSupercell(value: string | undefined): [number, number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.trim().split(/[\sx×,]+/i);
  const n = parts.map(Number);
  if (n.length !== 3 || n.some((x) => !Number.isInteger(x) || x < 1 || x > 100))
    throw new UserError(`option --supercell: expected three positive integers such as 4x4x4, got "${value}"`);
  return [n[0], n[1], n[2]];
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Read a QE dynamical-matrix set from PREFIX0 … PREFIXn (PREFIX or PREFIX0 accepted). */
export async function readQeDynSetFiles(path: string): Promise<QeDynSet> {
  const prefix = dynPrefix(path) ?? (existsSync(path + '0') ? path : undefined);
  if (!prefix) throw new UserError(`cannot find a dynamical-matrix set ${path}0, ${path}1, … (give the prefix or the index file PREFIX0)`);
  const indexName = prefix + '0';
  const indexText = await readText(indexName);
  const nq = Number((indexText.split(/\r?\n/)[1] ?? '').trim());
  if (!Number.isInteger(nq) || nq < 1) throw new UserError(`${indexName}:2: expected the number of irreducible q points`);
  const files = [];
  for (let k = 1; k <= nq; k++) files.push({ name: prefix + k, text: await readText(prefix + k) });
  return readQeDynSet({ name: indexName, text: indexText }, files);
}

/** Write a set as PREFIX0 … PREFIXn. Returns the file names. */
export async function writeQeDynSetFiles(prefix: string, set: QeDynSet): Promise<string[]> {
  const k = await loadKernels();
  const texts = writeQeDynSet(set, k);
  const names = [prefix + '0'];
  await writeFile(prefix + '0', texts.index, 'utf8');
  for (const [i, t] of texts.files.entries()) {
    await writeFile(prefix + (i + 1), t, 'utf8');
    names.push(prefix + (i + 1));
  }
  return names;
}

async function loadForceConstants(input: string, from: ConvertFormat, opts: ConvertOptions): Promise<{ fc: ForceConstants; set?: QeDynSet; note: string }> {
  if (from === 'qe-dyn') {
    const set = await readQeDynSetFiles(input);
    const { fc, maxImaginary } = dynSetToRealSpace(set);
    return { fc, set, note: maxImaginary > 1e-6 ? ` (dropped imaginary parts up to ${maxImaginary.toExponential(2)} eV/Å²: the input breaks Φ(−q) = Φ(q)*)` : '' };
  }
  if (!opts.structure) throw new UserError(`reading ${input} (phonopy FORCE_CONSTANTS) needs --structure FILE (the unit cell) and --supercell N1xN2xN3`);
  const supercell = parseSupercell(opts.supercell);
  if (!supercell) throw new UserError(`reading ${input} (phonopy FORCE_CONSTANTS) needs --supercell N1xN2xN3 (phonopy's DIM)`);
  const prim = await readStructureFile(opts.structure);
  const data = readForceConstants(await readText(input), input);
  let order: Int32Array | undefined;
  if (opts.supercellStructure) order = supercellOrderFromStructure(prim, supercell, await readStructureFile(opts.supercellStructure));
  const { fc, maxTranslationDeviation } = forceConstantsToRealSpace(data, prim, supercell, { order, fileName: input });
  return { fc, note: maxTranslationDeviation > 1e-6 ? ` (rows differ from translation invariance by up to ${maxTranslationDeviation.toExponential(2)} eV/Å²; averaged)` : '' };
}

export async function runConvert(input: string, output: string, opts: ConvertOptions): Promise<string> {
  const from = opts.from ? parseFormat('--from', opts.from) : guessFormat(input, true);
  if (!from) throw new UserError(`cannot tell the format of ${input} from its name; give --from (${FORMATS.join(', ')})`);
  const to = opts.to ? parseFormat('--to', opts.to) : guessFormat(output, false);
  if (!to) throw new UserError(`cannot tell the format of ${output} from its name; give --to (${FORMATS.join(', ')})`);

  if (STRUCTURE_FORMATS.includes(from)) {
    if (!STRUCTURE_FORMATS.includes(to)) throw new UserError(`cannot convert a structure (${from}) to force constants (${to})`);
    const frame = opts.frame === undefined ? undefined : Number(opts.frame);
    if (frame !== undefined && !Number.isInteger(frame)) throw new UserError(`option --frame: expected an integer, got "${opts.frame}"`);
    if (!existsSync(input)) throw new UserError(`cannot read ${input}: no such file`);
    const s = await readStructureFile(input, { format: from as StructureFormat, frame });
    await writeStructureFile(output, s, to as StructureFormat);
    return `wrote ${output} (${to}, ${s.natoms} atoms)`;
  }

  // Force constants in.
  if (STRUCTURE_FORMATS.includes(to)) {
    if (from !== 'qe-dyn') throw new UserError(`a FORCE_CONSTANTS file holds no structure; nothing to write to ${output}`);
    const set = await readQeDynSetFiles(input);
    await writeStructureFile(output, set.structure, to as StructureFormat);
    return `wrote ${output} (${to}, the ${set.structure.natoms}-atom cell of the dynamical matrices)`;
  }
  const { fc, set, note } = await loadForceConstants(input, from, opts);
  const lines: string[] = [];
  let fcOut = fc;
  if (to === 'phonopy-fc') {
    // phonopy users expect a unit cell with positions in [0, 1): relabel the blocks accordingly.
    fcOut = fc.wrapped();
    const data = forceConstantsFromRealSpace(fcOut, { compact: opts.compact });
    await writeFile(output, writeForceConstants(data), 'utf8');
    lines.push(
      `wrote ${output}: ${data.compact ? 'compact' : 'full'} FORCE_CONSTANTS (eV/Å²) of the ${fc.grid.join('×')} supercell ` +
        `(${fc.natSupercell} atoms, phonopy order; phonopy DIM = ${fc.grid.join(' ')})${note}`,
    );
  } else {
    const out = dynSetFromRealSpace(fc, set ? { stars: set.stars.map((st) => st.points.map((p) => ({ m: p.m, q: p.q }))), ibrav: set.ibrav, celldm: set.celldm, title: set.title, dielectric: set.dielectric } : {});
    const names = await writeQeDynSetFiles(output, out);
    lines.push(`wrote ${names[0]} … ${names[names.length - 1]}: ${out.stars.length} q-point files on the ${out.grid.join('×')} grid (Ry/bohr²)${note}`);
  }
  if (opts.writeStructure) {
    await writeStructureFile(opts.writeStructure, fcOut.primitive);
    lines.push(`wrote ${opts.writeStructure} (the ${fc.nat}-atom unit cell)`);
  }
  return lines.join('\n');
}

/** Register `anharm convert`. */
export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description(
      'convert structures (poscar, cif, extxyz) and force constants (qe-dyn: Quantum ESPRESSO dynamical-matrix set PREFIX0…PREFIXn; ' +
        'phonopy-fc: phonopy FORCE_CONSTANTS). Formats come from the file names unless given',
    )
    .argument('<in>', 'input file (for qe-dyn: the prefix or the index file PREFIX0)')
    .argument('<out>', 'output file (for qe-dyn: the prefix; writes PREFIX0, PREFIX1, …)')
    .option('--from <fmt>', `input format: ${FORMATS.join(', ')}`)
    .option('--to <fmt>', `output format: ${FORMATS.join(', ')}`)
    .option('--structure <file>', 'unit cell that a FORCE_CONSTANTS input refers to (POSCAR, CIF or extxyz)')
    .option('--supercell <n1xn2xn3>', 'supercell of a FORCE_CONSTANTS input (phonopy DIM), e.g. 4x4x4')
    .option('--supercell-structure <file>', "supercell structure giving the atom order of a FORCE_CONSTANTS input (default: phonopy's order)")
    .option('--compact', 'write the compact (n × N) FORCE_CONSTANTS form')
    .option('--write-structure <file>', 'also write the unit cell (format from the name), e.g. for phonopy')
    .option('--frame <k>', 'extxyz input: frame index (negative counts from the end)')
    .action(async (input: string, output: string, opts: ConvertOptions) => {
      try {
        process.stdout.write((await runConvert(input, output, opts)) + '\n');
      } catch (e) {
        if (e instanceof ParseError || e instanceof StructureError || e instanceof KernelError) throw new UserError(e.message);
        throw e;
      }
    });
}

