// Node file-system storage for SSCHA runs (src/sscha/persistence.ts): a run folder. Replacements are
// atomic (write a temporary file in the same folder, then rename); appends go straight to the end of
// the file. With `fsync: true` every write is also flushed to the disk (survives a power cut, not
// only a killed process; slower).
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SschaRunStore, type SschaStorage } from '../sscha/persistence.js';

export interface DirStorageOptions {
  /** fsync after every write (default false: a killed process loses nothing already written). */
  fsync?: boolean;
}

export class DirStorage implements SschaStorage {
  readonly location: string;
  private tmp = 0;

  constructor(
    readonly root: string,
    readonly options: DirStorageOptions = {},
  ) {
    this.location = root;
    mkdirSync(root, { recursive: true });
  }

  private path(name: string): string {
    if (name.split('/').some((p) => p === '..' || p === '')) throw new Error(`invalid storage name ${name}`);
    return join(this.root, ...name.split('/'));
  }

  read(name: string): Uint8Array | null {
    const p = this.path(name);
    if (!existsSync(p)) return null;
    return new Uint8Array(readFileSync(p));
  }

  write(name: string, data: Uint8Array | string): void {
    const p = this.path(name);
    mkdirSync(dirname(p), { recursive: true });
    const t = `${p}.tmp-${process.pid}-${this.tmp++}`;
    const fd = openSync(t, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (this.options.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(t, p);
  }

  append(name: string, data: Uint8Array | string): void {
    const p = this.path(name);
    mkdirSync(dirname(p), { recursive: true });
    if (!this.options.fsync) {
      appendFileSync(p, data);
      return;
    }
    const fd = openSync(p, 'a');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  truncate(name: string, length: number): void {
    const p = this.path(name);
    if (existsSync(p)) truncateSync(p, length);
  }

  size(name: string): number {
    const p = this.path(name);
    return existsSync(p) ? statSync(p).size : -1;
  }

  list(dir: string): string[] {
    const p = this.path(dir);
    if (!existsSync(p)) return [];
    return readdirSync(p).filter((f) => !f.includes('.tmp-')).sort();
  }
}

/** The run store of the folder `dir` (created when missing). */
export function openSschaRunDir(dir: string, options: DirStorageOptions = {}): SschaRunStore {
  return new SschaRunStore(new DirStorage(dir, options));
}
