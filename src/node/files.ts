// Node adapter for structure files: reads/writes files and hands strings to the isomorphic parsers in
// src/io (error messages name the path given here).
import { readFile, writeFile } from 'node:fs/promises';
import {
  detectFormat,
  formatFromName,
  readFrames,
  readStructure,
  writeExtxyz,
  writeStructure,
  type ExtxyzFrameInput,
  type ReadOptions,
  type StructureFormat,
  type WriteOptions,
} from '../io/index.js';
import type { ExtxyzFrame } from '../io/extxyz.js';
import type { Structure } from '../structure/structure.js';

/** Read one structure from a file (format from the name, else the content, unless given). */
export async function readStructureFile(path: string, options: ReadOptions = {}): Promise<Structure> {
  const text = await readFile(path, 'utf8');
  return readStructure(text, path, options);
}

/** Read all frames of a file (extxyz: every frame; other formats: one). */
export async function readFramesFile(path: string, options: ReadOptions = {}): Promise<ExtxyzFrame[]> {
  const text = await readFile(path, 'utf8');
  return readFrames(text, path, options);
}

/** Write one structure; the format comes from the file name unless given. */
export async function writeStructureFile(
  path: string,
  s: Structure,
  format?: StructureFormat,
  options: WriteOptions = {},
): Promise<void> {
  const f = format ?? formatFromName(path) ?? detectFormat(path);
  await writeFile(path, writeStructure(s, f, options), 'utf8');
}

/** Write frames (with energy, forces, stress, info) as extended XYZ. */
export async function writeFramesFile(path: string, frames: ExtxyzFrameInput | ExtxyzFrameInput[]): Promise<void> {
  await writeFile(path, writeExtxyz(frames), 'utf8');
}
