// Extended XYZ reader and writer, written from the extended-XYZ description of libAtoms/QUIP
// (https://github.com/libAtoms/extxyz, README "Extended XYZ format") and checked against files that ASE
// writes. Each frame:
//   line 1: number of atoms
//   line 2: key=value pairs: Lattice="a1x a1y a1z a2x … a3z" (rows = lattice vectors, Å),
//           Properties=name:type:ncols:… (types S string, R real, I integer, L logical), pbc="T T T",
//           energy=… (eV), stress="9 numbers" (eV/Å³, tensile-positive, row-major 3×3; 6 numbers in Voigt
//           order xx yy zz yz xz xy are accepted on reading), any other key → frame.info.
//           Values may be bare, "double-quoted" (\" and \\ escapes), {braced} or [bracketed]; a bare key
//           without "=" means true.
//   then one line per atom with the columns given by Properties (species, pos, forces, masses, …).
// ASE 3.22 writes stress as 9 numbers and refuses 6 on reading; this writer writes 9.
// Isomorphic: strings in, strings out.
import { atomicNumber, elementMass, symbolOf } from '../structure/elements.js';
import { ISOTOPES, Structure, StructureError } from '../structure/structure.js';
import { formatReal, ParseError, parseInteger, parseReal, quoteLine, splitLines } from './errors.js';

export type InfoValue = string | number | boolean | number[] | boolean[];

export type ColumnType = 'S' | 'R' | 'I' | 'L';

/** A per-atom property other than species/pos/forces: `values` holds natoms × ncols entries, atom-major. */
export interface PerAtomArray {
  type: ColumnType;
  ncols: number;
  values: Array<string | number | boolean>;
}

export interface ExtxyzFrame {
  structure: Structure;
  /** Total energy (eV). */
  energy?: number;
  /** Forces (eV/Å), 3 per atom. */
  forces?: Float64Array;
  /** Stress (eV/Å³, tensile-positive as ASE uses), 3×3 row-major, 9 numbers. */
  stress?: Float64Array;
  /** Periodic boundary flags (default all true). */
  pbc?: [boolean, boolean, boolean];
  /** Every other key=value pair of the comment line, in file order. */
  info: Map<string, InfoValue>;
  /**
   * Keys of `info` whose numbers are integers in the file. The writer writes these without a decimal
   * point; other numbers are written as reals. If absent, integral numbers are written as integers.
   */
  integerKeys?: Set<string>;
  /** Per-atom columns other than species, pos, forces and masses, in file order. */
  arrays: Map<string, PerAtomArray>;
}

// ------------------------------------------------------------------------------------------------
// Comment-line key=value parsing.

interface RawPair {
  key: string;
  /** Raw value text (without quotes/brackets); undefined for a bare key. */
  value?: string;
  /** Value was quoted or bracketed (may hold several tokens). */
  grouped: boolean;
}

function parseKeyValueLine(line: string, fail: (reason: string) => never): RawPair[] {
  const out: RawPair[] = [];
  const n = line.length;
  let i = 0;
  const ws = (c: string) => c === ' ' || c === '\t';
  const readQuoted = (): string => {
    // line[i] is '"'.
    let s = '';
    i++;
    while (i < n && line[i] !== '"') {
      if (line[i] === '\\' && i + 1 < n) {
        const e = line[i + 1];
        s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        i += 2;
      } else s += line[i++];
    }
    if (i >= n) fail(`unterminated double-quoted string in ${quoteLine(line)}`);
    i++;
    return s;
  };
  while (i < n) {
    while (i < n && ws(line[i])) i++;
    if (i >= n) break;
    let key: string;
    if (line[i] === '"') key = readQuoted();
    else {
      const start = i;
      while (i < n && !ws(line[i]) && line[i] !== '=') i++;
      key = line.slice(start, i);
    }
    if (key === '') fail(`empty key in ${quoteLine(line)}`);
    let j = i;
    while (j < n && ws(line[j])) j++;
    if (j < n && line[j] === '=') {
      i = j + 1;
      while (i < n && ws(line[i])) i++;
      if (i >= n) fail(`key "${key}" has "=" but no value`);
      const c = line[i];
      if (c === '"') out.push({ key, value: readQuoted(), grouped: true });
      else if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        const end = line.indexOf(close, i + 1);
        if (end < 0) fail(`unterminated "${c}" in the value of key "${key}"`);
        out.push({ key, value: line.slice(i + 1, end).replace(/,/g, ' '), grouped: true });
        i = end + 1;
      } else {
        const start = i;
        while (i < n && !ws(line[i])) i++;
        out.push({ key, value: line.slice(start, i), grouped: false });
      }
    } else {
      out.push({ key, grouped: false });
    }
  }
  return out;
}

const BOOL_TRUE = new Set(['T', 'True', 'true', 'TRUE']);
const BOOL_FALSE = new Set(['F', 'False', 'false', 'FALSE']);
const isBool = (t: string) => BOOL_TRUE.has(t) || BOOL_FALSE.has(t);

/** Interpret a raw value: numbers, booleans or arrays of them, else the string. */
function interpret(p: RawPair): { value: InfoValue; integer: boolean } {
  if (p.value === undefined) return { value: true, integer: false };
  const toks = p.grouped ? p.value.trim().split(/\s+/).filter((t) => t !== '') : [p.value];
  if (toks.length === 0) return { value: p.value, integer: false };
  if (toks.every((t) => !Number.isNaN(parseInteger(t)))) {
    const v = toks.map(Number);
    return { value: toks.length === 1 ? v[0] : v, integer: true };
  }
  if (toks.every((t) => !Number.isNaN(parseReal(t)))) {
    const v = toks.map(parseReal);
    return { value: toks.length === 1 ? v[0] : v, integer: false };
  }
  if (toks.every(isBool)) {
    const v = toks.map((t) => BOOL_TRUE.has(t));
    return { value: toks.length === 1 ? v[0] : v, integer: false };
  }
  return { value: p.value, integer: false };
}

interface Column {
  name: string;
  type: ColumnType;
  ncols: number;
}

function parseProperties(s: string, fail: (reason: string) => never): Column[] {
  const f = s.split(':');
  if (f.length % 3 !== 0 || f.length === 0) fail(`Properties=${s}: expected name:type:ncols triples`);
  const cols: Column[] = [];
  for (let k = 0; k < f.length; k += 3) {
    const name = f[k];
    const type = f[k + 1].toUpperCase();
    const ncols = parseInteger(f[k + 2]);
    if (!name) fail(`Properties=${s}: empty property name`);
    if (!['S', 'R', 'I', 'L'].includes(type)) fail(`Properties=${s}: property "${name}" has unknown type "${f[k + 1]}" (S, R, I or L)`);
    if (!(ncols >= 1)) fail(`Properties=${s}: property "${name}" has bad column count "${f[k + 2]}"`);
    cols.push({ name, type: type as ColumnType, ncols });
  }
  return cols;
}

// ------------------------------------------------------------------------------------------------
// Reader.

/** Read all frames of an extended XYZ text. `fileName` is used in error messages only. */
export function readExtxyz(text: string, fileName = 'input.xyz'): ExtxyzFrame[] {
  const lines = splitLines(text);
  const frames: ExtxyzFrame[] = [];
  let li = 0;
  while (li < lines.length) {
    if (lines[li].trim() === '') {
      // Blank lines are allowed only at the end of the file.
      let k = li;
      while (k < lines.length && lines[k].trim() === '') k++;
      if (k === lines.length) break;
      throw new ParseError(fileName, li + 1, `blank line where the atom count of frame ${frames.length + 1} was expected`);
    }
    const frame = readFrame(lines, li, fileName, frames.length + 1);
    frames.push(frame.frame);
    li = frame.next;
  }
  if (frames.length === 0) throw new ParseError(fileName, undefined, 'file has no frames');
  return frames;
}

function readFrame(lines: string[], li: number, file: string, index: number): { frame: ExtxyzFrame; next: number } {
  const countLine = lines[li];
  const nat = parseInteger(countLine.trim());
  if (Number.isNaN(nat) || nat < 0)
    throw new ParseError(file, li + 1, `expected the number of atoms of frame ${index}, got ${quoteLine(countLine)}`);
  if (li + 1 >= lines.length) throw new ParseError(file, li + 2, `unexpected end of file: expected the comment line of frame ${index}`);
  const cln = li + 2;
  const failC = (reason: string): never => {
    throw new ParseError(file, cln, reason);
  };
  const pairs = parseKeyValueLine(lines[li + 1], failC);
  let cell: Float64Array | undefined;
  let cols: Column[] = [
    { name: 'species', type: 'S', ncols: 1 },
    { name: 'pos', type: 'R', ncols: 3 },
  ];
  let pbc: [boolean, boolean, boolean] | undefined;
  let energy: number | undefined;
  let stress: Float64Array | undefined;
  const info = new Map<string, InfoValue>();
  const integerKeys = new Set<string>();
  for (const p of pairs) {
    const lk = p.key.toLowerCase();
    if (lk === 'lattice') {
      const v = interpret(p).value;
      if (!Array.isArray(v) || v.length !== 9 || typeof v[0] !== 'number') failC(`Lattice must have 9 numbers, got ${JSON.stringify(p.value ?? '')}`);
      cell = Float64Array.from(v as number[]);
    } else if (lk === 'properties') {
      if (p.value === undefined) failC('Properties has no value');
      cols = parseProperties(p.value!, failC);
    } else if (lk === 'pbc') {
      const v = interpret(p).value;
      if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'boolean') failC(`pbc must be 3 flags T/F, got ${JSON.stringify(p.value ?? '')}`);
      pbc = v as [boolean, boolean, boolean];
    } else if (p.key === 'energy') {
      const v = interpret(p).value;
      if (typeof v !== 'number') failC(`energy must be a number, got ${JSON.stringify(p.value ?? '')}`);
      energy = v as number;
    } else if (p.key === 'stress') {
      const v = interpret(p).value;
      if (!Array.isArray(v) || typeof v[0] !== 'number' || (v.length !== 9 && v.length !== 6))
        failC(`stress must have 9 numbers (3×3) or 6 (Voigt xx yy zz yz xz xy), got ${JSON.stringify(p.value ?? '')}`);
      const a = v as number[];
      stress = a.length === 9 ? Float64Array.from(a) : Float64Array.of(a[0], a[5], a[4], a[5], a[1], a[3], a[4], a[3], a[2]);
    } else {
      if (info.has(p.key)) failC(`key "${p.key}" appears twice`);
      const { value, integer } = interpret(p);
      info.set(p.key, value);
      if (integer) integerKeys.add(p.key);
    }
  }
  if (!cell) failC(`frame ${index} has no Lattice= (non-periodic frames are not supported)`);
  if (pbc && !pbc.every((b) => b)) failC(`frame ${index}: pbc="${pbc.map((b) => (b ? 'T' : 'F')).join(' ')}": non-periodic directions are not supported (crystals only)`);
  const names = new Set<string>();
  for (const c of cols) {
    if (names.has(c.name)) failC(`property "${c.name}" listed twice in Properties`);
    names.add(c.name);
  }
  const posCol = cols.find((c) => c.name === 'pos');
  if (!posCol || posCol.type !== 'R' || posCol.ncols !== 3) failC('Properties must contain pos:R:3');
  const spCol = cols.find((c) => c.name === 'species') ?? cols.find((c) => c.name === 'Z');
  if (!spCol) failC('Properties must contain species:S:1 (or Z:I:1)');
  const forceCol = cols.find((c) => c.name === 'forces');
  if (forceCol && (forceCol.type !== 'R' || forceCol.ncols !== 3)) failC(`forces must be R:3, got ${forceCol.type}:${forceCol.ncols}`);
  const massCol = cols.find((c) => c.name === 'masses');
  const totalCols = cols.reduce((a, c) => a + c.ncols, 0);
  const colDesc = cols.map((c) => `${c.name}:${c.type}:${c.ncols}`).join(' ');

  const species: string[] = [];
  const pos = new Float64Array(3 * nat);
  const forces = forceCol ? new Float64Array(3 * nat) : undefined;
  const masses = massCol ? new Float64Array(nat) : undefined;
  const arrays = new Map<string, PerAtomArray>();
  for (const c of cols)
    if (!['species', 'pos', 'forces', 'masses'].includes(c.name) && !(c === spCol))
      arrays.set(c.name, { type: c.type, ncols: c.ncols, values: [] });
  for (let i = 0; i < nat; i++) {
    const ln = li + 3 + i;
    if (ln > lines.length) throw new ParseError(file, ln, `unexpected end of file: expected ${nat} atom lines in frame ${index}, got ${i}`);
    const line = lines[ln - 1];
    const toks = line.trim().split(/\s+/).filter((t) => t !== '');
    if (toks.length !== totalCols)
      throw new ParseError(file, ln, `expected ${totalCols} columns (${colDesc}), got ${toks.length}: ${quoteLine(line)}`);
    let k = 0;
    for (const c of cols) {
      for (let m = 0; m < c.ncols; m++, k++) {
        const t = toks[k];
        let v: string | number | boolean = t;
        if (c.type === 'R') {
          v = parseReal(t);
          if (Number.isNaN(v)) throw new ParseError(file, ln, `column ${k + 1} (${c.name}): expected a real number, got ${JSON.stringify(t)}`);
        } else if (c.type === 'I') {
          v = parseInteger(t);
          if (Number.isNaN(v)) throw new ParseError(file, ln, `column ${k + 1} (${c.name}): expected an integer, got ${JSON.stringify(t)}`);
        } else if (c.type === 'L') {
          if (!isBool(t)) throw new ParseError(file, ln, `column ${k + 1} (${c.name}): expected T or F, got ${JSON.stringify(t)}`);
          v = BOOL_TRUE.has(t);
        }
        if (c === spCol) {
          let sp: string;
          if (c.name === 'Z') {
            try {
              sp = symbolOf(v as number);
            } catch {
              throw new ParseError(file, ln, `column ${k + 1} (Z): no element with atomic number ${t}`);
            }
          } else sp = t;
          if (!(sp in ISOTOPES)) {
            try {
              atomicNumber(sp);
            } catch {
              throw new ParseError(file, ln, `unknown species ${JSON.stringify(sp)} (atom ${i + 1} of frame ${index})`);
            }
          }
          species.push(sp);
        } else if (c === posCol) pos[3 * i + m] = v as number;
        else if (c === forceCol) forces![3 * i + m] = v as number;
        else if (c === massCol) masses![i] = v as number;
        else arrays.get(c.name)!.values.push(v);
      }
    }
  }
  let structure: Structure;
  try {
    structure = new Structure({ cell: cell!, species, cartesian: pos, masses });
  } catch (e) {
    if (e instanceof StructureError) throw new ParseError(file, cln, `frame ${index}: ${e.message}`);
    throw e;
  }
  const frame: ExtxyzFrame = { structure, info, integerKeys, arrays };
  if (energy !== undefined) frame.energy = energy;
  if (forces) frame.forces = forces;
  if (stress) frame.stress = stress;
  if (pbc) frame.pbc = pbc;
  return { frame, next: li + 2 + nat };
}

// ------------------------------------------------------------------------------------------------
// Writer.

const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_\-.]*$/;
const RESERVED = new Set(['lattice', 'properties', 'pbc']);

function quoteString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

function formatInfo(key: string, v: InfoValue, integer: boolean | undefined): string {
  const num = (x: number) => {
    if (!Number.isFinite(x)) throw new StructureError(`info "${key}": cannot write non-finite number ${x}`);
    return (integer ?? Number.isInteger(x)) && Number.isInteger(x) ? String(x) : formatReal(x);
  };
  if (typeof v === 'string') {
    // A string that would read back as a number or boolean cannot be kept as a string by the format.
    return quoteString(v);
  }
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (Array.isArray(v)) {
    if (v.length === 0) throw new StructureError(`info "${key}": cannot write an empty array`);
    if (v.every((x) => typeof x === 'number')) return '"' + (v as number[]).map(num).join(' ') + '"';
    if (v.every((x) => typeof x === 'boolean')) return '"' + (v as boolean[]).map((b) => (b ? 'T' : 'F')).join(' ') + '"';
  }
  throw new StructureError(`info "${key}": unsupported value ${JSON.stringify(v)}`);
}

export interface ExtxyzFrameInput {
  structure: Structure;
  energy?: number;
  forces?: ArrayLike<number>;
  stress?: ArrayLike<number>;
  pbc?: [boolean, boolean, boolean];
  info?: Map<string, InfoValue> | Record<string, InfoValue>;
  integerKeys?: Set<string>;
  arrays?: Map<string, PerAtomArray>;
}

/**
 * Write frames in extended XYZ as ASE reads it: Lattice, Properties (species:S:1:pos:R:3, then masses:R:1
 * if any mass differs from the element's standard weight, forces:R:3 if given, then extra arrays),
 * energy, stress (9 numbers), info keys, pbc. All reals use the shortest round-trip representation.
 */
export function writeExtxyz(frames: ExtxyzFrameInput | ExtxyzFrameInput[]): string {
  const list = Array.isArray(frames) ? frames : [frames];
  const out: string[] = [];
  for (const [fi, f] of list.entries()) {
    const s = f.structure;
    const n = s.natoms;
    if (f.forces && f.forces.length !== 3 * n) throw new StructureError(`frame ${fi + 1}: forces must have ${3 * n} numbers, got ${f.forces.length}`);
    let stress = f.stress ? Array.from(f.stress) : undefined;
    if (stress && stress.length === 6) stress = [stress[0], stress[5], stress[4], stress[5], stress[1], stress[3], stress[4], stress[3], stress[2]];
    if (stress && stress.length !== 9) throw new StructureError(`frame ${fi + 1}: stress must have 9 (or 6 Voigt) numbers, got ${stress.length}`);
    const customMass = Array.from(s.masses).some((m, i) => m !== elementMass(s.species[i]));
    const extra = f.arrays ? [...f.arrays] : [];
    const cols = ['species:S:1', 'pos:R:3'];
    if (customMass) cols.push('masses:R:1');
    if (f.forces) cols.push('forces:R:3');
    for (const [name, a] of extra) {
      if (!SAFE_KEY.test(name) || ['species', 'pos', 'forces', 'masses'].includes(name))
        throw new StructureError(`frame ${fi + 1}: per-atom array name "${name}" is not allowed`);
      if (a.values.length !== n * a.ncols)
        throw new StructureError(`frame ${fi + 1}: array "${name}" must have ${n * a.ncols} values, got ${a.values.length}`);
      cols.push(`${name}:${a.type}:${a.ncols}`);
    }
    const head: string[] = [];
    head.push(`Lattice="${Array.from(s.cell, formatReal).join(' ')}"`);
    head.push(`Properties=${cols.join(':')}`);
    if (f.energy !== undefined) head.push(`energy=${formatReal(f.energy)}`);
    if (stress) head.push(`stress="${stress.map(formatReal).join(' ')}"`);
    const info = f.info instanceof Map ? f.info : new Map(Object.entries(f.info ?? {}));
    for (const [k, v] of info) {
      if (!SAFE_KEY.test(k)) throw new StructureError(`frame ${fi + 1}: info key "${k}" cannot be written (letters, digits, _ - . only)`);
      if (RESERVED.has(k.toLowerCase())) continue;
      if ((k === 'energy' && f.energy !== undefined) || (k === 'stress' && stress)) continue;
      head.push(`${k}=${formatInfo(k, v, f.integerKeys ? f.integerKeys.has(k) : undefined)}`);
    }
    const pbc = f.pbc ?? [true, true, true];
    head.push(`pbc="${pbc.map((b) => (b ? 'T' : 'F')).join(' ')}"`);
    out.push(String(n), head.join(' '));
    const x = s.cartesian();
    for (let i = 0; i < n; i++) {
      const row = [s.species[i].padEnd(2), formatReal(x[3 * i]), formatReal(x[3 * i + 1]), formatReal(x[3 * i + 2])];
      if (customMass) row.push(formatReal(s.masses[i]));
      if (f.forces) for (let k = 0; k < 3; k++) row.push(formatReal(f.forces[3 * i + k]));
      for (const [name, a] of extra)
        for (let m = 0; m < a.ncols; m++) {
          const v = a.values[i * a.ncols + m];
          if (a.type === 'R') row.push(formatReal(v as number));
          else if (a.type === 'I') row.push(String(v));
          else if (a.type === 'L') row.push(v ? 'T' : 'F');
          else {
            const t = String(v);
            if (t === '' || /\s/.test(t)) throw new StructureError(`frame ${fi + 1}: string in array "${name}" must be one non-empty token, got ${JSON.stringify(t)}`);
            row.push(t);
          }
        }
      out.push(row.join(' '));
    }
  }
  return out.join('\n') + '\n';
}
