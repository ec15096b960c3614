// Input files of the commands (relax, phonons, …): existence checks and structure files as one-line UserErrors.
import { existsSync } from 'node:fs';
import { readStructureFile } from '../node/files.js';
import { StructureError, type Structure } from '../structure/structure.js';
import { UserError } from './errors.js';

/** Every file must exist (a UserError naming the first missing one). */
export function requireFiles(...files: string[]): void {
  for (const f of files) if (!existsSync(f)) throw new UserError(`${f}: no such file`);
}

/** Read a structure file (format from its name or content); a malformed file is a one-line UserError. */
export async function readInputStructure(file: string): Promise<Structure> {
  try {
    return await readStructureFile(file);
  } catch (e) {
    if (e instanceof StructureError) throw new UserError(e.message.split('\n')[0]);
    throw e;
  }
}
