// Factory for the built-in potentials from a parsed JSON potential (isomorphic; reading the file
// from disk is the Node adapter's job: src/node/potentials.ts).
// Schemas: the header comments of lennard-jones.ts, morse.ts, stillinger-weber.ts and bond-network.ts
// (summary in docs/potentials.md). Errors name the file and the field
// ("potential.json: pairs[1].sigma is missing"); unknown fields are rejected.
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import type { Calculator } from './calculator.js';
import { BondNetworkCalculator } from './bond-network.js';
import { LennardJonesCalculator } from './lennard-jones.js';
import { MorseCalculator } from './morse.js';
import { StillingerWeberCalculator, type ReadPotentialFile } from './stillinger-weber.js';
import { PotentialError, isObject } from './wasm-calculator.js';

export { PotentialError } from './wasm-calculator.js';

export const BUILTIN_TYPES = ['lennard-jones', 'morse', 'stillinger-weber', 'bond-network'] as const;

export interface BuiltinOptions {
  /** Kernel module (loadPotential: default module from defaultKernels()). */
  kernels?: Kernels;
  /** Reference structure (required by "bond-network", which builds its bonds from it). */
  reference?: Structure;
  /** Name used in error messages (default: the file's base name, or "potential"). */
  source?: string;
  /** Reads files the potential refers to (paths relative to the potential file). */
  readFile?: ReadPotentialFile;
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
      return new StillingerWeberCalculator(k, obj, source, opts.readFile);
    case 'bond-network':
      if (!opts.reference) throw new PotentialError(`${source}: a bond-network potential needs the reference structure`);
      return new BondNetworkCalculator(k, obj, opts.reference, source);
    case undefined:
      throw new PotentialError(`${source}: type is missing (one of ${BUILTIN_TYPES.join(', ')})`);
    default:
      throw new PotentialError(`${source}: unknown potential type ${JSON.stringify(obj.type)} (one of ${BUILTIN_TYPES.join(', ')})`);
  }
}
