// Factory for the built-in potentials from a JSON potential file or object.
// Schemas: the header comments of lennard-jones.ts, morse.ts, stillinger-weber.ts and bond-network.ts
// (summary in test/fixtures/potentials/README.md). Errors name the file and the field
// ("potential.json: pairs[1].sigma is missing"); unknown fields are rejected.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { loadKernels } from '../node/kernels.js';
import type { Calculator } from './calculator.js';
import { BondNetworkCalculator } from './bond-network.js';
import { LennardJonesCalculator } from './lennard-jones.js';
import { MorseCalculator } from './morse.js';
import { StillingerWeberCalculator } from './stillinger-weber.js';
import { PotentialError, isObject } from './wasm-calculator.js';

export { PotentialError } from './wasm-calculator.js';

export const BUILTIN_TYPES = ['lennard-jones', 'morse', 'stillinger-weber', 'bond-network'] as const;

export interface BuiltinOptions {
  /** Kernel module (default: the package's build via loadKernels()). */
  kernels?: Kernels;
  /** Reference structure (required by "bond-network", which builds its bonds from it). */
  reference?: Structure;
  /** Name used in error messages (default: the file's base name, or "potential"). */
  source?: string;
  /** Directory against which relative paths inside the potential resolve. */
  baseDir?: string;
}

/** A calculator from an already parsed potential object. */
export function builtinCalculator(k: Kernels, obj: unknown, opts: Omit<BuiltinOptions, 'kernels'> = {}): Calculator {
  const source = opts.source ?? 'potential';
  if (!isObject(obj)) throw new PotentialError(`${source}: a potential must be a JSON object`);
  switch (obj.type) {
    case 'lennard-jones':
      return new LennardJonesCalculator(k, obj, source);
    case 'morse':
      return new MorseCalculator(k, obj, source);
    case 'stillinger-weber':
      return new StillingerWeberCalculator(k, obj, source, opts.baseDir);
    case 'bond-network':
      if (!opts.reference) throw new PotentialError(`${source}: a bond-network potential needs the reference structure`);
      return new BondNetworkCalculator(k, obj, opts.reference, source);
    case undefined:
      throw new PotentialError(`${source}: type is missing (one of ${BUILTIN_TYPES.join(', ')})`);
    default:
      throw new PotentialError(`${source}: unknown potential type ${JSON.stringify(obj.type)} (one of ${BUILTIN_TYPES.join(', ')})`);
  }
}

/** Read a JSON potential file and build its calculator. */
export async function loadPotential(path: string, opts: BuiltinOptions = {}): Promise<Calculator> {
  const source = opts.source ?? basename(path);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PotentialError(`${source}: ${(e as Error).message}`);
  }
  const k = opts.kernels ?? (await loadKernels());
  return builtinCalculator(k, obj, { ...opts, source, baseDir: opts.baseDir ?? dirname(path) });
}
