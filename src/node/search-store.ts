// Node storage of search runs: the run folder of src/search/journal.ts on disk (the same atomic-write
// folder storage as SSCHA runs, src/node/sscha-store.ts).
import type { SearchStorage } from '../search/journal.js';
import { DirStorage, type DirStorageOptions } from './sscha-store.js';

/** The storage of the search run folder `dir` (created when missing). */
export function openSearchRunDir(dir: string, options: DirStorageOptions = {}): SearchStorage {
  return new DirStorage(dir, options);
}
