// A Calculator described as plain data (structured-clonable), so that every worker of a pool, and
// the single-threaded path, can build the same engine from it. Kinds are registered by name:
// "builtin" (the JSON potentials of src/calculators/builtin.ts) is here; the MLIP (src/mlip/) and
// ONNX (src/calculators/onnx.ts) engineers add theirs with registerCalculatorKind in their own module
// and one import line in src/parallel/kinds.ts, after which the pool, the web page (which picks the
// kind from the file a user loads, src/web/potentials.ts) and embedders can use them.
//
// Determinism contract (why ParallelCalculator is bit-identical to one thread): an engine built from
// a spec with `independent: true` must give results for a configuration that do not depend on which
// configurations it computed before. The neighbour-list potentials keep a Verlet list between
// configurations (a list built at other positions sums the same pairs in another order), so for them
// the skin is set to 0: the list is rebuilt for every configuration, from that configuration alone.
import { builtinCalculator, PotentialError } from '../calculators/builtin.js';
import type { Calculator } from '../calculators/calculator.js';
import { isObject } from '../calculators/wasm-calculator.js';
import { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';

/** A structure as plain data (what crosses a worker boundary). */
export interface StructureData {
  cell: ArrayLike<number>;
  species: string[];
  frac: ArrayLike<number>;
  masses: ArrayLike<number>;
}

export function structureToData(s: Structure): StructureData {
  return { cell: Float64Array.from(s.cell), species: [...s.species], frac: Float64Array.from(s.frac), masses: Float64Array.from(s.masses) };
}

export function structureFromData(d: StructureData): Structure {
  return new Structure({ cell: Array.from(d.cell), species: d.species, frac: d.frac, masses: d.masses });
}

/** An engine as data. `kind` selects the factory; the other fields are the factory's. */
export interface CalculatorSpec {
  kind: string;
  /** Name used in error messages (e.g. the file the user loaded). */
  source?: string;
  [field: string]: unknown;
}

/** The built-in potentials: the parsed JSON object of a potential file, plus what it refers to. */
export interface BuiltinSpec extends CalculatorSpec {
  kind: 'builtin';
  potential: unknown;
  /** Files the potential names (e.g. a LAMMPS .sw file), by the path written in it. */
  files?: Record<string, string>;
  /** Reference structure (bond-network builds its bonds from it). */
  reference?: StructureData;
}

export interface CreateOptions {
  /**
   * Results must not depend on previously computed configurations (see the header). Default true:
   * the pool and its single-thread equivalent always set it.
   */
  independent?: boolean;
}

export type CalculatorFactory = (k: Kernels, spec: CalculatorSpec, options: Required<CreateOptions>) => Calculator | Promise<Calculator>;

const factories = new Map<string, CalculatorFactory>();

/** Register (or replace) the factory of a kind. */
export function registerCalculatorKind(kind: string, factory: CalculatorFactory): void {
  factories.set(kind, factory);
}

/** Kinds known in this JavaScript realm (each worker imports the same registrations). */
export function calculatorKinds(): string[] {
  return [...factories.keys()];
}

/** Build the engine of a spec on a kernel module. */
export async function createCalculator(k: Kernels, spec: CalculatorSpec, options: CreateOptions = {}): Promise<Calculator> {
  if (!isObject(spec) || typeof spec.kind !== 'string') throw new PotentialError('calculator spec: "kind" is missing');
  const f = factories.get(spec.kind);
  if (!f) throw new PotentialError(`${spec.source ?? 'calculator spec'}: unknown calculator kind "${spec.kind}" (known here: ${calculatorKinds().join(', ')})`);
  return f(k, spec, { independent: options.independent ?? true });
}

const VERLET = new Set(['lennard-jones', 'morse', 'stillinger-weber']);

registerCalculatorKind('builtin', (k, spec, { independent }) => {
  const s = spec as BuiltinSpec;
  let obj = s.potential;
  if (independent && isObject(obj) && typeof obj.type === 'string' && VERLET.has(obj.type)) obj = { ...obj, skin: 0 };
  const files = s.files ?? {};
  return builtinCalculator(k, obj, {
    source: s.source,
    reference: s.reference ? structureFromData(s.reference) : undefined,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`not provided (load it together with the potential file)`);
      return text;
    },
  });
});
