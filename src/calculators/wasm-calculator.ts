// Shared machinery of the built-in potentials: species → type mapping, WebAssembly buffers, the
// Verlet neighbour list, kernel status handling, result validation, and the JSON parameter checks
// used by every potential file reader.
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { KernelError } from '../wasm/kernels.js';
import { NeighborList } from '../neighbors/neighbor-list.js';
import type { F64Buffer, I32Buffer } from '../wasm/kernels.js';
import { type CalcOptions, type CalcResult, type Calculator, CalculatorError, validateResult } from './calculator.js';

/** A malformed potential file or parameter object. */
export class PotentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PotentialError';
  }
}

/** Kernel status codes used by the potential kernels (assembly/potentials/common.ts). */
export const ST_OVERLAP = 6;

// ---------------------------------------------------------------------------------------------
// Parameter validation helpers: every message names the file and the JSON path of the field.

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A required finite number (optionally > 0 or >= 0). */
export function num(obj: Json, key: string, where: string, opts: { positive?: boolean; nonNegative?: boolean } = {}): number {
  const v = obj[key];
  if (v === undefined || v === null) throw new PotentialError(`${where}.${key} is missing`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PotentialError(`${where}.${key} must be a finite number, got ${JSON.stringify(v)}`);
  if (opts.positive && !(v > 0)) throw new PotentialError(`${where}.${key} must be > 0, got ${v}`);
  if (opts.nonNegative && !(v >= 0)) throw new PotentialError(`${where}.${key} must be >= 0, got ${v}`);
  return v;
}

/** An optional number with a default. */
export function optNum(obj: Json, key: string, where: string, dflt: number, opts: { positive?: boolean; nonNegative?: boolean } = {}): number {
  return obj[key] === undefined ? dflt : num(obj, key, where, opts);
}

/** A required array of `len` species symbols. */
export function speciesTuple(obj: Json, where: string, len: number): string[] {
  const v = obj.species;
  if (v === undefined) throw new PotentialError(`${where}.species is missing`);
  if (!Array.isArray(v) || v.length !== len || !v.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new PotentialError(`${where}.species must be an array of ${len} element symbols, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

/** A required non-empty array field. */
export function arrayField(obj: Json, key: string, where: string): unknown[] {
  const v = obj[key];
  if (v === undefined) throw new PotentialError(`${where}: ${key} is missing`);
  if (!Array.isArray(v) || v.length === 0) throw new PotentialError(`${where}: ${key} must be a non-empty array`);
  return v;
}

/** Check the `type` tag of a potential object. */
export function checkType(obj: unknown, type: string, source: string): Json {
  if (!isObject(obj)) throw new PotentialError(`${source}: a potential must be a JSON object`);
  if (obj.type !== type) throw new PotentialError(`${source}: type must be "${type}", got ${JSON.stringify(obj.type)}`);
  return obj;
}

/** Reject keys we do not know (typos such as "sigam" must not be silently ignored). */
export function noExtraKeys(obj: Json, allowed: string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new PotentialError(`${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Species → type index, with a readable error for species the potential does not know. */
export class SpeciesMap {
  readonly index = new Map<string, number>();
  constructor(readonly species: readonly string[]) {
    species.forEach((s, i) => this.index.set(s, i));
  }
  get size(): number {
    return this.species.length;
  }
  typeOf(s: string, engine: string, atom: number, config: number): number {
    const t = this.index.get(s);
    if (t === undefined) {
      throw new CalculatorError(
        `${engine}: species "${s}" (atom ${atom + 1} of configuration ${config}) has no parameters in the potential (known: ${this.species.join(', ')})`,
        config,
      );
    }
    return t;
  }
}

/** Result of one kernel call in WebAssembly memory. */
export interface KernelOutput {
  energy: number;
  forces: Float64Array;
  stress: Float64Array;
}

/**
 * Base class of the neighbour-list potentials: subclasses supply the kernel call.
 * Buffers and the Verlet list persist across calls and configurations.
 */
export abstract class NeighborListCalculator implements Calculator {
  abstract readonly name: string;
  protected readonly k: Kernels;
  protected readonly nl: NeighborList;
  protected readonly species: SpeciesMap;
  private typesBuf: I32Buffer | null = null;
  private typesFor: readonly string[] | null = null;
  private fextBuf: F64Buffer | null = null;
  private forcesBuf: F64Buffer | null = null;
  protected readonly outBuf: F64Buffer;
  protected readonly infoBuf: I32Buffer;
  private disposed = false;

  protected constructor(k: Kernels, species: readonly string[], cutoff: number, skin: number, full: boolean) {
    this.k = k;
    this.species = new SpeciesMap(species);
    this.nl = new NeighborList(k, { cutoff, skin, full });
    this.outBuf = k.f64(10, undefined, { owned: true });
    this.infoBuf = k.i32(2, undefined, { owned: true });
  }

  /** Run the kernel on the current neighbour list; returns its status. */
  protected abstract kernel(types: number, fext: number, forces: number, volume: number): number;

  /** Number of neighbour-list builds so far (reuse diagnostics). */
  get listBuilds(): number {
    return this.nl.builds;
  }

  private types(s: Structure, index: number): number {
    const n = s.natoms;
    if (!this.typesBuf || this.typesBuf.length < n) {
      this.typesBuf?.free();
      this.typesBuf = this.k.i32(Math.max(n, 1), undefined, { owned: true });
      this.typesFor = null;
    }
    // Structures made by `with()` carry a new species array with the same symbols: compare the
    // symbols (cheap) before mapping them again (a Map lookup per atom).
    if (this.typesFor !== s.species && !sameSymbols(this.typesFor, s.species)) {
      this.typesFor = null; // a throw below leaves the buffer half-written
      const v = this.typesBuf.view;
      for (let a = 0; a < n; a++) v[a] = this.species.typeOf(s.species[a], this.name, a, index);
    }
    this.typesFor = s.species;
    return this.typesBuf.ptr;
  }

  private ensure(n: number): void {
    const nExt = this.nl.nExt;
    if (!this.fextBuf || this.fextBuf.length < 3 * nExt) {
      this.fextBuf?.free();
      this.fextBuf = this.k.f64(3 * Math.max(nExt, 1), undefined, { owned: true });
    }
    if (!this.forcesBuf || this.forcesBuf.length < 3 * n) {
      this.forcesBuf?.free();
      this.forcesBuf = this.k.f64(3 * Math.max(n, 1), undefined, { owned: true });
    }
  }

  /** Energy, forces and stress of one structure. */
  computeOne(s: Structure, index = 0): KernelOutput {
    if (this.disposed) throw new CalculatorError(`${this.name}: used after dispose`, index);
    const n = s.natoms;
    const types = this.types(s, index);
    try {
      this.nl.update(s.cell, s.frac);
    } catch (e) {
      if (e instanceof KernelError) throw new CalculatorError(`${this.name}: configuration ${index}: ${e.message}`, index);
      throw e;
    }
    this.ensure(n);
    const st = this.kernel(types, this.fextBuf!.ptr, this.forcesBuf!.ptr, s.volume);
    if (st === ST_OVERLAP) {
      const info = this.infoBuf.view;
      throw new CalculatorError(
        `${this.name}: atoms ${info[0] + 1} and ${info[1] + 1} of configuration ${index} overlap (distance < 1e-8 Å); energy and forces are undefined`,
        index,
      );
    }
    if (st !== 0) {
      try {
        this.k.check(this.name, st);
      } catch (e) {
        throw new CalculatorError(`${this.name}: configuration ${index}: ${(e as Error).message}`, index);
      }
    }
    const out = this.outBuf.view;
    return { energy: out[0], forces: this.forcesBuf!.view.slice(0, 3 * n), stress: out.slice(1, 10) };
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    return runBatch(this.name, structures, options, (s, i) => this.computeOne(s, i));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.nl.dispose();
    this.typesBuf?.free();
    this.fextBuf?.free();
    this.forcesBuf?.free();
    this.outBuf.free();
    this.infoBuf.free();
  }
}

function sameSymbols(a: readonly string[] | null, b: readonly string[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return false;
  return true;
}

/** The batch loop shared by the built-in calculators: progress, abort, validation. */
export function runBatch(
  name: string,
  structures: readonly Structure[],
  options: CalcOptions,
  one: (s: Structure, index: number) => KernelOutput,
): CalcResult[] {
  const results: CalcResult[] = [];
  for (let c = 0; c < structures.length; c++) {
    if (options.signal?.aborted) throw new CalculatorError(`${name}: batch aborted after ${c} of ${structures.length} configurations`, c);
    const s = structures[c];
    const r = one(s, c);
    const res: CalcResult = { energy: r.energy, forces: r.forces };
    if (options.stress) res.stress = r.stress;
    validateResult(res, s.natoms, c, name);
    results.push(res);
    options.onProgress?.(c + 1, structures.length);
  }
  return results;
}
