// Persistence and restart of SSCHA runs (physics.md 5.13). Isomorphic: everything goes through a small
// synchronous byte storage (`SschaStorage`); src/node/sscha-store.ts maps it onto a folder, and
// `MemoryStorage` keeps it in memory (tests, browsers).
//
// Layout inside the storage (names are relative paths):
//
//   manifest.json                 run description (written by the caller, e.g. the CLI)
//   populations/pop-PPP.bin       population header arrays, Float64 little-endian:
//                                 R₀ (3N) | Φ₀ (3N·3N) | ξ (N_c·M) | positions (N_c·3N)
//   populations/pop-PPP.json      population header (index, RNG algorithm/seed/stream, sizes, cell,
//                                 species, masses, T₀, engine, timestamps, byte length and FNV-1a
//                                 checksum of the .bin, record layout). Written after the .bin, each
//                                 atomically; a population counts as sampled once both are valid.
//   populations/pop-PPP.res       append-only results, one fixed-size Float64 record per configuration:
//                                 [i, E (eV), time (ms since 1970), hasStress, f (3N, eV/Å), σ (9, eV/Å³
//                                 or NaN), checksum] with checksum = FNV-1a-32 of the preceding bytes.
//                                 Records are appended as the engine returns them, in configuration order;
//                                 loading stops at the first incomplete/corrupt/out-of-order record (a
//                                 truncated last record is ignored, and cut off before the next append).
//   populations/final-PPP.*       the same for a final (e.g. Hessian) ensemble, RNG stream FINAL_STREAM + P
//   history.jsonl                 one JSON line per accepted minimisation step (StepRecord + time); a
//                                 partial last line is ignored
//   state.json, state.bin         after every population's minimisation: population, λ, representation,
//                                 reason; state.bin = R (3N) | Φ (3N·3N) [| cell (9) | strain (9) for a
//                                 variable-cell run: the cell the run continues in; state.json has
//                                 "cell": true and the bulk modulus of the cell steps]
//   cells.jsonl                   variable-cell runs: one JSON line per population (CellStepRecord:
//                                 cell, strain, volume, pressure tensor ± errors, F, G, the cell step
//                                 that followed...); a partial last line is ignored. The headers of
//                                 variable-cell populations also carry info.strain and info.volume.
//   result.json, *.svg            written at the end by the caller
//
// Resume: `runSschaWithStore` loads the saved populations and passes them to runSscha
// (SschaOptions.resume), which reuses them after checking them against a regeneration from seed +
// stream, evaluates only the missing configurations and replays the (deterministic) minimisation:
// the final numbers are bit-identical to an uninterrupted run. `runSschaVariableCellWithStore` does the
// same for constant-pressure runs (src/sscha/variable-cell.ts), whose cell steps are replayed too.
import type { Population } from './ensemble.js';
import type { StepRecord } from './minimize.js';
import { SschaError } from './modes.js';
import { runSscha, type SschaOptions, type SschaPartial, type SschaResult, type SschaState } from './run.js';
import { runSschaVariableCell, type CellStepRecord, type VariableCellOptions, type VariableCellPartial, type VariableCellResult } from './variable-cell.js';

/** Synchronous byte storage addressed by relative names ("populations/pop-000.bin"). */
export interface SschaStorage {
  /** Where it lives (a folder path, "memory"), for messages. */
  readonly location: string;
  /** Contents, or null when missing. */
  read(name: string): Uint8Array | null;
  /** Replace the contents atomically (a reader sees the old or the new file, never a mix). */
  write(name: string, data: Uint8Array | string): void;
  /** Append to the end (creating the file). */
  append(name: string, data: Uint8Array | string): void;
  /** Cut the file to `length` bytes. */
  truncate(name: string, length: number): void;
  /** Size in bytes, or −1 when missing. */
  size(name: string): number;
  /** Names of the files directly inside `dir` (not recursive), or [] when missing. */
  list(dir: string): string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (d: Uint8Array | string) => (typeof d === 'string' ? enc.encode(d) : d);

/** In-memory storage (tests, browsers). */
export class MemoryStorage implements SschaStorage {
  readonly location = 'memory';
  readonly files = new Map<string, Uint8Array>();
  read(name: string): Uint8Array | null {
    const f = this.files.get(name);
    return f ? f.slice() : null;
  }
  write(name: string, data: Uint8Array | string): void {
    this.files.set(name, bytes(data).slice());
  }
  append(name: string, data: Uint8Array | string): void {
    const a = this.files.get(name) ?? new Uint8Array(0);
    const b = bytes(data);
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    this.files.set(name, out);
  }
  truncate(name: string, length: number): void {
    const a = this.files.get(name);
    if (a) this.files.set(name, a.slice(0, length));
  }
  size(name: string): number {
    return this.files.get(name)?.length ?? -1;
  }
  list(dir: string): string[] {
    const pre = dir.endsWith('/') ? dir : dir + '/';
    const out: string[] = [];
    for (const k of this.files.keys()) if (k.startsWith(pre) && !k.slice(pre.length).includes('/')) out.push(k.slice(pre.length));
    return out.sort();
  }
}

// ------------------------------------------------------------------------------------------------
// Encoding

/** FNV-1a 32-bit hash of bytes. */
export function fnv1a(b: Uint8Array, start = 0, end = b.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function f64Bytes(parts: ArrayLike<number>[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(8 * n);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++, o += 8) dv.setFloat64(o, p[i], true);
  return out;
}

function readF64(b: Uint8Array, offset: number, count: number): Float64Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getFloat64(offset + 8 * i, true);
  return out;
}

export const STORE_FORMAT = 'anharm-sscha-population';
export const STORE_VERSION = 1;
/** RNG stream offset of final ensembles (disjoint from the SSCHA populations 0, 1, ...). */
export const FINAL_STREAM = 1_000_000;

export type PopulationKind = 'sscha' | 'final';

/** Contents of populations/<name>.json. */
export interface PopulationHeader {
  format: typeof STORE_FORMAT;
  version: number;
  kind: PopulationKind;
  index: number;
  rng: string;
  seed: string;
  stream: number;
  nConfigs: number;
  nAtoms: number;
  nTranslations: number;
  nModes: number;
  cell: number[];
  species: string[];
  masses: number[];
  temperature: number;
  engine?: string;
  sampledAt: string;
  /** Bytes and FNV-1a checksum of the .bin (R₀ | Φ₀ | ξ | positions). */
  binBytes: number;
  binChecksum: number;
  /** Float64 values per record of the .res file: 4 + 3N + 9 + 1. */
  recordValues: number;
  /** Extra information from the caller (e.g. which (R, Φ) a final ensemble was drawn at). */
  info?: Record<string, unknown>;
}

/** Float64 values per result record for N atoms. */
export const recordValues = (nAtoms: number) => 4 + 3 * nAtoms + 9 + 1;

/** One result record (configuration i of `pop`). */
export function encodeRecord(pop: Population, i: number, timeMs = Date.now()): Uint8Array {
  const n3 = 3 * pop.nAtoms;
  const hasStress = pop.stresses !== null && Number.isFinite(pop.stresses[9 * i]);
  const stress = hasStress ? pop.stresses!.subarray(9 * i, 9 * i + 9) : new Float64Array(9).fill(NaN);
  const out = f64Bytes([[i, pop.energies[i], timeMs, hasStress ? 1 : 0], pop.forces.subarray(i * n3, (i + 1) * n3), stress, [0]]);
  new DataView(out.buffer).setFloat64(out.length - 8, fnv1a(out, 0, out.length - 8), true);
  return out;
}

/** Valid leading records of a .res file: count, byte length, and their contents. */
export function decodeRecords(b: Uint8Array | null, nAtoms: number, nConfigs: number): { count: number; bytes: number; energies: Float64Array; forces: Float64Array; stresses: (Float64Array | null)[]; times: Float64Array } {
  const nv = recordValues(nAtoms), rb = 8 * nv, n3 = 3 * nAtoms;
  const energies = new Float64Array(nConfigs).fill(NaN);
  const forces = new Float64Array(nConfigs * n3).fill(NaN);
  const stresses: (Float64Array | null)[] = [];
  const times = new Float64Array(nConfigs).fill(NaN);
  let count = 0;
  if (b) {
    while ((count + 1) * rb <= b.length && count < nConfigs) {
      const o = count * rb;
      const v = readF64(b, o, nv);
      if (v[nv - 1] !== fnv1a(b, o, o + rb - 8) || v[0] !== count) break;
      energies[count] = v[1];
      times[count] = v[2];
      forces.set(v.subarray(4, 4 + n3), count * n3);
      stresses.push(v[3] === 1 ? v.slice(4 + n3, 4 + n3 + 9) : null);
      count++;
    }
  }
  return { count, bytes: count * rb, energies, forces, stresses, times };
}

function popName(kind: PopulationKind, index: number): string {
  return `populations/${kind === 'sscha' ? 'pop' : 'final'}-${String(index).padStart(3, '0')}`;
}

function atomicJson(storage: SschaStorage, name: string, obj: unknown): void {
  storage.write(name, JSON.stringify(obj, null, 1) + '\n');
}

function parseJson<T>(storage: SschaStorage, name: string): T | null {
  const b = storage.read(name);
  if (!b) return null;
  try {
    return JSON.parse(dec.decode(b)) as T;
  } catch {
    return null;
  }
}

/** A population as stored: the Population plus what the store knows about it. */
export interface StoredPopulation {
  kind: PopulationKind;
  header: PopulationHeader;
  population: Population;
  /** Per-configuration timestamps (ms since 1970; NaN when not evaluated). */
  times: Float64Array;
}

/** Saved state after a population's minimisation (state.json + state.bin). */
export interface StoredState extends SschaState {
  time: string;
  /** Variable-cell runs: the cell (rows, Å) and strain the run continues in, and the step bulk modulus (GPa). */
  cell?: Float64Array;
  strain?: Float64Array;
  bulkModulus?: number;
}

/** A cell-history record as stored in cells.jsonl (typed arrays as plain arrays). */
export type StoredCellStep = { [K in keyof CellStepRecord]: CellStepRecord[K] extends Float64Array ? number[] : CellStepRecord[K] extends Float64Array | null ? number[] | null : CellStepRecord[K] } & { time?: string };

function plainArrays(rec: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(rec)) out[key] = v instanceof Float64Array ? Array.from(v) : v;
  return out;
}

/**
 * The persistent record of one SSCHA run on a storage. Every write is either atomic (headers, state,
 * JSON files) or an append of complete records that loading validates.
 */
export class SschaRunStore {
  /** Records already in each .res file (by population file name). */
  private readonly written = new Map<string, number>();

  constructor(readonly storage: SschaStorage) {}

  // -- generic JSON / text files
  readJson<T>(name: string): T | null {
    return parseJson<T>(this.storage, name);
  }
  writeJson(name: string, obj: unknown): void {
    atomicJson(this.storage, name, obj);
  }
  writeText(name: string, text: string): void {
    this.storage.write(name, text);
  }

  // -- populations
  /** Write the header of a freshly sampled population (and an empty results file). */
  savePopulationHeader(pop: Population, kind: PopulationKind = 'sscha', info?: Record<string, unknown>): void {
    const name = popName(kind, kind === 'sscha' ? pop.index : pop.index - FINAL_STREAM);
    const bin = f64Bytes([pop.centroids, pop.phi, pop.xi, pop.positions]);
    const header: PopulationHeader = {
      format: STORE_FORMAT,
      version: STORE_VERSION,
      kind,
      index: pop.index,
      rng: pop.rng,
      seed: pop.seed,
      stream: pop.stream,
      nConfigs: pop.nConfigs,
      nAtoms: pop.nAtoms,
      nTranslations: pop.nTranslations,
      nModes: pop.nModes,
      cell: Array.from(pop.cell),
      species: [...pop.species],
      masses: Array.from(pop.masses),
      temperature: pop.temperature,
      engine: pop.engine,
      sampledAt: new Date().toISOString(),
      binBytes: bin.length,
      binChecksum: fnv1a(bin),
      recordValues: recordValues(pop.nAtoms),
      info,
    };
    this.storage.write(name + '.bin', bin);
    this.storage.write(name + '.res', new Uint8Array(0));
    atomicJson(this.storage, name + '.json', header);
    this.written.set(name, 0);
    if (pop.evaluated > 0) this.saveResults(pop, kind);
  }

  /** Append the results of the configurations evaluated since the last call (idempotent). */
  saveResults(pop: Population, kind: PopulationKind = 'sscha'): void {
    const name = popName(kind, kind === 'sscha' ? pop.index : pop.index - FINAL_STREAM);
    let done = this.written.get(name);
    if (done === undefined) {
      // first write in this session: validate the file and cut off a torn tail
      const r = decodeRecords(this.storage.read(name + '.res'), pop.nAtoms, pop.nConfigs);
      if (this.storage.size(name + '.res') !== r.bytes) this.storage.truncate(name + '.res', r.bytes);
      done = r.count;
    }
    if (pop.evaluated <= done) return;
    const parts: Uint8Array[] = [];
    const now = Date.now();
    for (let i = done; i < pop.evaluated; i++) parts.push(encodeRecord(pop, i, now));
    let total = 0;
    for (const p of parts) total += p.length;
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    this.storage.append(name + '.res', all);
    this.written.set(name, pop.evaluated);
  }

  /** Load one population (null when its header is missing or inconsistent). Cuts a torn results tail. */
  loadPopulation(kind: PopulationKind, index: number): StoredPopulation | null {
    const name = popName(kind, index);
    const h = parseJson<PopulationHeader>(this.storage, name + '.json');
    if (!h || h.format !== STORE_FORMAT || h.version !== STORE_VERSION) return null;
    const bin = this.storage.read(name + '.bin');
    if (!bin || bin.length !== h.binBytes || fnv1a(bin) !== h.binChecksum) return null;
    const n3 = 3 * h.nAtoms, nc = h.nConfigs, m = h.nModes;
    if (bin.length !== 8 * (n3 + n3 * n3 + nc * m + nc * n3)) return null;
    let o = 0;
    const take = (c: number) => {
      const v = readF64(bin, o, c);
      o += 8 * c;
      return v;
    };
    const centroids = take(n3), phi = take(n3 * n3), xi = take(nc * m), positions = take(nc * n3);
    const resName = name + '.res';
    const r = decodeRecords(this.storage.read(resName), h.nAtoms, nc);
    if (this.storage.size(resName) > r.bytes) this.storage.truncate(resName, r.bytes);
    this.written.set(name, r.count);
    let stresses: Float64Array | null = null;
    if (r.count > 0 && r.stresses.every((s) => s !== null)) {
      stresses = new Float64Array(nc * 9).fill(NaN);
      r.stresses.forEach((s, i) => stresses!.set(s!, 9 * i));
    }
    const population: Population = {
      index: h.index,
      rng: h.rng,
      seed: h.seed,
      stream: h.stream,
      nConfigs: nc,
      nAtoms: h.nAtoms,
      nTranslations: h.nTranslations,
      nModes: m,
      cell: Float64Array.from(h.cell),
      species: [...h.species],
      masses: Float64Array.from(h.masses),
      centroids,
      phi,
      temperature: h.temperature,
      xi,
      positions,
      energies: r.energies,
      forces: r.forces,
      stresses,
      evaluated: r.count,
      engine: h.engine,
    };
    return { kind, header: h, population, times: r.times };
  }

  /** Saved SSCHA populations 0, 1, ... (contiguous; stops at the first missing one). */
  loadPopulations(): StoredPopulation[] {
    const out: StoredPopulation[] = [];
    for (let p = 0; ; p++) {
      const s = this.loadPopulation('sscha', p);
      if (!s) break;
      out.push(s);
    }
    return out;
  }

  /** Number of configurations with results per saved population file name. */
  evaluatedCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.storage.list('populations')) {
      if (!f.endsWith('.json')) continue;
      const base = f.slice(0, -5);
      const h = parseJson<PopulationHeader>(this.storage, `populations/${f}`);
      if (!h) continue;
      out[base] = decodeRecords(this.storage.read(`populations/${base}.res`), h.nAtoms, h.nConfigs).count;
    }
    return out;
  }

  // -- minimiser history and state
  resetHistory(): void {
    this.storage.write('history.jsonl', '');
  }
  appendHistory(rec: StepRecord & { populations?: number }): void {
    this.storage.append('history.jsonl', JSON.stringify({ ...rec, time: new Date().toISOString() }) + '\n');
  }
  loadHistory(): (StepRecord & { time?: string })[] {
    return this.readJsonLines('history.jsonl');
  }

  /** The records of an append-only JSON-lines file, up to a torn last line. */
  private readJsonLines<T>(name: string): T[] {
    const b = this.storage.read(name);
    if (!b) return [];
    const out: T[] = [];
    for (const line of dec.decode(b).split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        break; // a torn last line
      }
    }
    return out;
  }

  /** Write state.bin then state.json (a variable-cell state also stores its cell and strain). */
  saveState(s: SschaState & { cell?: ArrayLike<number>; strain?: ArrayLike<number>; bulkModulus?: number }): void {
    const withCell = s.cell !== undefined && s.strain !== undefined;
    const bin = f64Bytes(withCell ? [s.R, s.phi, s.cell!, s.strain!] : [s.R, s.phi]);
    this.storage.write('state.bin', bin);
    atomicJson(this.storage, 'state.json', {
      population: s.population, lambda: s.lambda, representation: s.representation, reason: s.reason, converged: s.converged,
      ...(withCell ? { cell: true, bulkModulus: s.bulkModulus } : {}),
      n3: s.R.length, binBytes: bin.length, binChecksum: fnv1a(bin), time: new Date().toISOString(),
    });
  }
  loadState(): StoredState | null {
    const j = parseJson<Omit<StoredState, 'R' | 'phi' | 'cell'> & { n3: number; binBytes: number; binChecksum: number; cell?: boolean }>(this.storage, 'state.json');
    const bin = this.storage.read('state.bin');
    if (!j || !bin || bin.length !== j.binBytes || fnv1a(bin) !== j.binChecksum) return null;
    const n3 = j.n3;
    const o = 8 * (n3 + n3 * n3);
    if (bin.length !== o + (j.cell ? 8 * 18 : 0)) return null;
    return {
      population: j.population, lambda: j.lambda, representation: j.representation, reason: j.reason, converged: j.converged, time: j.time,
      R: readF64(bin, 0, n3), phi: readF64(bin, 8 * n3, n3 * n3),
      ...(j.cell ? { cell: readF64(bin, o, 9), strain: readF64(bin, o + 72, 9), bulkModulus: j.bulkModulus } : {}),
    };
  }

  // -- cell history of variable-cell runs
  resetCellHistory(): void {
    this.storage.write('cells.jsonl', '');
  }
  appendCellStep(rec: CellStepRecord): void {
    this.storage.append('cells.jsonl', JSON.stringify({ ...plainArrays(rec), time: new Date().toISOString() }) + '\n');
  }
  loadCellHistory(): StoredCellStep[] {
    return this.readJsonLines('cells.jsonl');
  }

  /** Write what an interrupted run computed (the configurations evaluated before the failure). */
  savePartial(partial: Pick<SschaPartial, 'populations'>): void {
    for (const pop of partial.populations) {
      const name = popName('sscha', pop.index);
      if (this.storage.size(name + '.json') < 0) this.savePopulationHeader(pop, 'sscha');
      else this.saveResults(pop, 'sscha');
    }
  }
}

/** What resuming found in the store. */
export interface ResumeInfo {
  /** Populations found (the last may be partly evaluated). */
  populations: number;
  /** Configurations with results found in them. */
  configurations: number;
}

/**
 * runSscha with every population, configuration result, accepted step and (R, Φ) after each
 * population written to `store` as they are computed; resumes from what the store holds. The
 * caller's hooks in `opts` are still called. On an engine failure the results computed so far are
 * saved before the error is rethrown (with `error.partial`).
 */
export async function runSschaWithStore(store: SschaRunStore, opts: SschaOptions, onResume?: (info: ResumeInfo) => void): Promise<SschaResult> {
  const saved = store.loadPopulations();
  if (opts.resume) throw new SschaError('runSschaWithStore: give the saved populations through the store, not opts.resume');
  onResume?.({ populations: saved.length, configurations: saved.reduce((s, p) => s + p.population.evaluated, 0) });
  store.resetHistory(); // the replay re-emits every step
  try {
    return await runSscha({
      ...opts,
      resume: saved.map((s) => s.population),
      onPopulation: (pop, stage) => {
        if (stage === 'sampled') store.savePopulationHeader(pop);
        else store.saveResults(pop);
        opts.onPopulation?.(pop, stage);
      },
      onEvaluated: (pop) => {
        store.saveResults(pop);
        opts.onEvaluated?.(pop);
      },
      onStep: (rec, avg) => {
        store.appendHistory(rec);
        opts.onStep?.(rec, avg);
      },
      onMinimized: (s) => {
        store.saveState(s);
        opts.onMinimized?.(s);
      },
    });
  } catch (e) {
    const partial = (e as { partial?: SschaPartial }).partial;
    if (partial) store.savePartial(partial);
    throw e;
  }
}

/**
 * runSschaVariableCell (src/sscha/variable-cell.ts) with every population (header with its strain and
 * volume), configuration result, accepted step, cell-history record (cells.jsonl) and (cell, R, Φ)
 * after each population written to `store` as they are computed; resumes from what the store holds
 * (saved populations are reused, the minimisations and cell steps replayed: bit-identical numbers).
 * The caller's hooks in `opts` are still called. On a failure with partial results (engine death,
 * impossible pressure) the configurations computed so far are saved before the error is rethrown.
 */
export async function runSschaVariableCellWithStore(store: SschaRunStore, opts: VariableCellOptions, onResume?: (info: ResumeInfo) => void): Promise<VariableCellResult> {
  const saved = store.loadPopulations();
  if (opts.resume) throw new SschaError('runSschaVariableCellWithStore: give the saved populations through the store, not opts.resume');
  onResume?.({ populations: saved.length, configurations: saved.reduce((s, p) => s + p.population.evaluated, 0) });
  store.resetHistory(); // the replay re-emits every step and cell record
  store.resetCellHistory();
  try {
    return await runSschaVariableCell({
      ...opts,
      resume: saved.map((s) => s.population),
      onPopulation: (pop, stage, cell) => {
        if (stage === 'sampled') store.savePopulationHeader(pop, 'sscha', { variableCell: true, strain: Array.from(cell.strain), volume: cell.volume });
        else store.saveResults(pop);
        opts.onPopulation?.(pop, stage, cell);
      },
      onEvaluated: (pop) => {
        store.saveResults(pop);
        opts.onEvaluated?.(pop);
      },
      onStep: (rec, avg) => {
        store.appendHistory(rec);
        opts.onStep?.(rec, avg);
      },
      onCellStep: (progress) => {
        store.appendCellStep(progress.record);
        opts.onCellStep?.(progress);
      },
      onMinimized: (s) => {
        store.saveState(s);
        opts.onMinimized?.(s);
      },
    });
  } catch (e) {
    const partial = (e as { partial?: VariableCellPartial }).partial;
    if (partial) store.savePartial(partial);
    throw e;
  }
}
