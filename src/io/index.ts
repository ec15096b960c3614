// Structure file formats: detection by file name and content, and format-independent read/write.
// Isomorphic: works on strings; src/node/files.ts adds file access for Node.
import { Structure } from '../structure/structure.js';
import { readCif, writeCif, type CifReadOptions, type CifWriteOptions } from './cif.js';
import { ParseError } from './errors.js';
import { readExtxyz, writeExtxyz, type ExtxyzFrame } from './extxyz.js';
import { readPoscar, writePoscar, type PoscarReadOptions, type PoscarWriteOptions } from './poscar.js';

export * from './errors.js';
export * from './poscar.js';
export * from './cif.js';
export * from './extxyz.js';

export type StructureFormat = 'poscar' | 'cif' | 'extxyz';

/** Format from the file name alone, or undefined when the name says nothing. */
export function formatFromName(fileName: string): StructureFormat | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const lower = base.toLowerCase();
  if (lower.endsWith('.cif') || lower.endsWith('.mcif')) return 'cif';
  if (lower.endsWith('.xyz') || lower.endsWith('.extxyz') || lower.endsWith('.exyz')) return 'extxyz';
  if (lower.endsWith('.vasp') || lower.endsWith('.poscar') || /^(poscar|contcar)/.test(lower)) return 'poscar';
  return undefined;
}

/** Format from the content: CIF (data_ block), extended XYZ (atom count + Lattice=), else POSCAR-like. */
export function formatFromContent(text: string): StructureFormat | undefined {
  const lines = text.split(/\r\n|\r|\n/, 8);
  const meaningful = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (meaningful.length > 0 && /^data_/i.test(meaningful[0].trim())) return 'cif';
  if (/^\s*\d+\s*$/.test(lines[0] ?? '') && /(^|\s)(Lattice|Properties)\s*=/i.test(lines[1] ?? '')) return 'extxyz';
  const nums = (l: string | undefined, n: number) => {
    const t = (l ?? '').trim().split(/\s+/);
    return t.length >= n && t.slice(0, n).every((x) => /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/.test(x));
  };
  if (nums(lines[1], 1) && nums(lines[2], 3) && nums(lines[3], 3) && nums(lines[4], 3)) return 'poscar';
  return undefined;
}

/** Format by name first, then by content; throws a ParseError naming the file if neither tells. */
export function detectFormat(fileName: string, text?: string): StructureFormat {
  const byName = formatFromName(fileName);
  if (byName) return byName;
  const byContent = text === undefined ? undefined : formatFromContent(text);
  if (byContent) return byContent;
  throw new ParseError(
    fileName,
    undefined,
    'cannot tell the file format from the name (.cif, .xyz/.extxyz, POSCAR/CONTCAR/.vasp) or the content; give the format explicitly',
  );
}

export interface ReadOptions {
  format?: StructureFormat;
  /** POSCAR (VASP 4): species names per type. */
  species?: PoscarReadOptions['species'];
  /** CIF: data block and merge tolerance. */
  cif?: CifReadOptions;
  /** extxyz: frame index (default 0; negative counts from the end). */
  frame?: number;
}

/** Read one structure from text in any supported format. */
export function readStructure(text: string, fileName: string, options: ReadOptions = {}): Structure {
  const format = options.format ?? detectFormat(fileName, text);
  switch (format) {
    case 'poscar':
      return readPoscar(text, fileName, { species: options.species }).structure;
    case 'cif':
      return readCif(text, fileName, options.cif).structure;
    case 'extxyz': {
      const frames = readExtxyz(text, fileName);
      const k = options.frame ?? 0;
      const f = frames[k < 0 ? frames.length + k : k];
      if (!f) throw new ParseError(fileName, undefined, `frame ${k} requested but the file has ${frames.length} frames`);
      return f.structure;
    }
  }
}

/** Read all frames (extxyz) or the single structure (other formats) as frames. */
export function readFrames(text: string, fileName: string, options: ReadOptions = {}): ExtxyzFrame[] {
  const format = options.format ?? detectFormat(fileName, text);
  if (format === 'extxyz') return readExtxyz(text, fileName);
  return [{ structure: readStructure(text, fileName, { ...options, format }), info: new Map(), arrays: new Map() }];
}

export interface WriteOptions {
  poscar?: PoscarWriteOptions;
  cif?: CifWriteOptions;
}

/** Write one structure in the given format. */
export function writeStructure(s: Structure, format: StructureFormat, options: WriteOptions = {}): string {
  switch (format) {
    case 'poscar':
      return writePoscar(s, options.poscar);
    case 'cif':
      return writeCif(s, options.cif);
    case 'extxyz':
      return writeExtxyz({ structure: s });
  }
}
