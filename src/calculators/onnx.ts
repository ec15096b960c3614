// ONNX models as force engines (docs/onnx.md). An `OnnxCalculator` feeds a model the structure and
// its neighbour pairs (our own neighbour list) and reads back the energy, forces and stress.
//
// Contract (T = float32 or float64, one type for every float input and output):
//   inputs   numbers      int64 [n_atoms]          atomic numbers
//            positions    T     [n_atoms, 3]       Cartesian positions (Å), as in the structure (not wrapped)
//            cell         T     [3, 3]             rows = lattice vectors a1, a2, a3 (Å)
//            edge_index   int64 [2, n_edges]       full list: row 0 = i, row 1 = j, both directions
//            unit_shifts  T     [n_edges, 3]       integer lattice shift S: r_ij = x_j + S·cell − x_i
//   outputs  energy          T [] or [1]           total energy (eV)                       required
//            forces          T [n_atoms, 3]        −∂E/∂x (eV/Å)                           or edge_gradients
//            stress          T [3, 3]              (1/Ω) ∂E/∂ε, tensile-positive (eV/Å³)  optional
//            edge_gradients  T [n_edges, 3]        ∂E/∂r_e for each edge vector (eV/Å)     optional
//   metadata_props  cutoff (Å, required unless given as an option), species (comma-separated
//                   symbols the model knows; optional, other species are rejected before a run).
// With edge_gradients and no forces/stress output, forces and stress are reduced here:
// F_i += g_e, F_j −= g_e and σ = sym(Σ_e g_e ⊗ r_e)/Ω (exact for any E that depends on the
// positions and the cell only through the edge vectors — every message-passing MLIP).
//
// The runtime is injected (`OnnxRuntime`): by default onnxruntime-web (WebAssembly, one thread),
// which gives bit-identical results in Node and browsers; the Node adapter (src/node/onnx.ts) also
// offers onnxruntime-node. This module never imports a runtime statically, so the library entry
// loads without one.
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import type { Structure } from '../structure/structure.js';
import { atomicNumber } from '../structure/elements.js';
import type { Kernels } from '../wasm/kernels.js';
import { KernelError } from '../wasm/kernels.js';
import { NeighborList } from '../neighbors/neighbor-list.js';
import { type CalcOptions, type CalcResult, type Calculator, CalculatorError, validateResult } from './calculator.js';
import { type OnnxModelInfo, type OnnxValueInfo, readOnnxModel } from './onnx-model.js';
import { PotentialError } from './wasm-calculator.js';

export { readOnnxModel, type OnnxModelInfo, type OnnxValueInfo, OnnxFormatError } from './onnx-model.js';

/** The version of onnxruntime-web this package pins (package.json). */
export const ONNXRUNTIME_WEB_VERSION = '1.30.0';

/** Input names of the contract, in the order documented. */
export const ONNX_INPUTS = ['numbers', 'positions', 'cell', 'edge_index', 'unit_shifts'] as const;
/** Output names the contract knows. */
export const ONNX_OUTPUTS = ['energy', 'forces', 'stress', 'edge_gradients'] as const;

/** What the calculator needs of an ONNX runtime module (onnxruntime-web and onnxruntime-node both fit). */
export interface OnnxRuntime {
  /** Shown in provenance, e.g. "onnxruntime-web 1.30.0 (wasm, 1 thread)". */
  readonly name: string;
  readonly InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  readonly Tensor: typeof Tensor;
  /** Session options of this backend (execution providers, threads). */
  readonly sessionOptions: InferenceSession.SessionOptions;
}

/** The subset of an `onnxruntime-*` module used here. */
export interface OrtModule {
  InferenceSession: OnnxRuntime['InferenceSession'];
  Tensor: typeof Tensor;
  env: { wasm?: { numThreads?: number; wasmPaths?: unknown }; versions?: Record<string, string | undefined>; logLevel?: string };
}

export interface OnnxWebOptions {
  /** WebAssembly threads (default 1: deterministic and identical in Node and browsers). */
  threads?: number;
  /** Where the browser finds ort-wasm-*.wasm (a URL prefix); Node finds them in node_modules. */
  wasmPaths?: string;
  /** An already imported onnxruntime-web module (bundlers; pages without an import map). */
  module?: OrtModule;
}

let webRuntime: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-web on its WebAssembly backend. Imported on first use (`import('onnxruntime-web')`:
 * in a browser without a bundler, map the bare name with an import map, see docs/onnx.md).
 * Threads and wasm paths are global settings of onnxruntime-web, applied before its first session.
 */
export async function onnxRuntimeWeb(opts: OnnxWebOptions = {}): Promise<OnnxRuntime> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`onnxruntime-web: threads must be a positive integer, got ${threads}`);
  const make = async (): Promise<OnnxRuntime> => {
    let ort = opts.module;
    if (!ort) {
      try {
        ort = (await import('onnxruntime-web')) as unknown as OrtModule;
      } catch (e) {
        throw new Error(
          `cannot import onnxruntime-web (${errorText(e)}); in a browser without a bundler map the name with an import map ` +
            `to node_modules/onnxruntime-web/dist/ort.wasm.min.mjs, or pass { runtime: await onnxRuntimeWeb({ module }) } (docs/onnx.md)`,
        );
      }
    }
    if (ort.env.wasm) {
      ort.env.wasm.numThreads = threads;
      if (opts.wasmPaths !== undefined) ort.env.wasm.wasmPaths = opts.wasmPaths;
    }
    const version = ort.env.versions?.web ?? ort.env.versions?.common ?? '?';
    return {
      name: `onnxruntime-web ${version} (wasm, ${threads} thread${threads > 1 ? 's' : ''})`,
      InferenceSession: ort.InferenceSession,
      Tensor: ort.Tensor,
      sessionOptions: { executionProviders: ['wasm'] },
    };
  };
  if (opts.module || opts.threads !== undefined || opts.wasmPaths !== undefined) return make();
  webRuntime ??= make().catch((e) => {
    webRuntime = undefined;
    throw e;
  });
  return webRuntime;
}

export interface OnnxOptions {
  /** The runtime (default: onnxruntime-web, one thread). */
  runtime?: OnnxRuntime;
  /** Name used in errors and provenance (default "model.onnx"). */
  source?: string;
  /** Cutoff (Å) for a model without "cutoff" metadata (with metadata, both must be equal). */
  cutoff?: number;
  /** Species the model accepts when it has no "species" metadata. */
  species?: string[];
  /** Verlet skin (Å) of the neighbour list kept between calls (default 0.5). */
  skin?: number;
}

type FloatType = 'float32' | 'float64';

const EXPECTED: Record<string, { types: readonly string[]; rank: number; fixed: Record<number, number> }> = {
  numbers: { types: ['int64'], rank: 1, fixed: {} },
  positions: { types: ['float32', 'float64'], rank: 2, fixed: { 1: 3 } },
  cell: { types: ['float32', 'float64'], rank: 2, fixed: { 0: 3, 1: 3 } },
  edge_index: { types: ['int64'], rank: 2, fixed: { 0: 2 } },
  unit_shifts: { types: ['float32', 'float64'], rank: 2, fixed: { 1: 3 } },
  forces: { types: ['float32', 'float64'], rank: 2, fixed: { 1: 3 } },
  stress: { types: ['float32', 'float64'], rank: 2, fixed: { 0: 3, 1: 3 } },
  edge_gradients: { types: ['float32', 'float64'], rank: 2, fixed: { 1: 3 } },
};

const SHAPES: Record<string, string> = {
  numbers: 'int64 [n_atoms]', positions: 'T [n_atoms, 3]', cell: 'T [3, 3]', edge_index: 'int64 [2, n_edges]',
  unit_shifts: 'T [n_edges, 3]', energy: 'T [] or [1]', forces: 'T [n_atoms, 3]', stress: 'T [3, 3]', edge_gradients: 'T [n_edges, 3]',
};

/** What a model provides, after checking it against the contract. */
export interface OnnxContract {
  dtype: FloatType;
  cutoff: number;
  /** Species the model accepts (undefined: any). */
  species?: readonly string[];
  outputs: { forces: boolean; stress: boolean; edgeGradients: boolean };
  /** Stress can be given (a stress output, or reduced from edge_gradients). */
  hasStress: boolean;
  info: OnnxModelInfo;
}

function describe(v: OnnxValueInfo): string {
  return `${v.type} [${(v.shape ?? ['?']).map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

/** Check a model's inputs, outputs and metadata against the contract; PotentialError names the problem. */
export function checkOnnxContract(info: OnnxModelInfo, source: string, opts: Pick<OnnxOptions, 'cutoff' | 'species'> = {}): OnnxContract {
  const fail = (m: string): never => {
    throw new PotentialError(`${source}: ${m} (contract: docs/onnx.md)`);
  };
  const inputs = new Map(info.inputs.map((v) => [v.name, v]));
  const outputs = new Map(info.outputs.map((v) => [v.name, v]));
  for (const name of ONNX_INPUTS) if (!inputs.has(name)) fail(`the model has no input "${name}" (${SHAPES[name]}); its inputs are ${[...inputs.keys()].join(', ') || 'none'}`);
  for (const name of inputs.keys()) {
    if (!(ONNX_INPUTS as readonly string[]).includes(name)) fail(`the model has an input "${name}" that the contract does not provide (inputs: ${ONNX_INPUTS.join(', ')})`);
  }
  if (!outputs.has('energy')) fail(`the model has no output "energy" (${SHAPES.energy}); its outputs are ${[...outputs.keys()].join(', ') || 'none'}`);
  if (!outputs.has('forces') && !outputs.has('edge_gradients')) {
    fail(`the model has neither a "forces" (${SHAPES.forces}) nor an "edge_gradients" (${SHAPES.edge_gradients}) output; its outputs are ${[...outputs.keys()].join(', ')}`);
  }
  const pos = inputs.get('positions')!;
  if (pos.type !== 'float32' && pos.type !== 'float64') fail(`input "positions" is ${pos.type}; expected float32 or float64`);
  const T = pos.type as FloatType;
  const check = (v: OnnxValueInfo, kind: string) => {
    const e = EXPECTED[v.name];
    const types = e ? (e.types.length > 1 ? [T] : e.types) : [T];
    if (!types.includes(v.type)) {
      fail(`${kind} "${v.name}" is ${v.type}; expected ${types.join(' or ')}${e?.types.length !== 1 ? ` (positions is ${T}: every float input and output must be ${T})` : ''}`);
    }
    if (v.shape === undefined) return; // rank not declared: checked at run time
    if (v.name === 'energy') {
      if (v.shape.length > 1 || (v.shape.length === 1 && typeof v.shape[0] === 'number' && v.shape[0] !== 1)) {
        fail(`output "energy" has shape ${describe(v)}; expected ${SHAPES.energy}`);
      }
      return;
    }
    if (!e) return;
    const badRank = v.shape.length !== e.rank;
    const badDim = !badRank && Object.entries(e.fixed).some(([ax, n]) => typeof v.shape![+ax] === 'number' && v.shape![+ax] !== n);
    if (badRank || badDim) fail(`${kind} "${v.name}" has shape ${describe(v)}; expected ${SHAPES[v.name]}`);
  };
  for (const v of info.inputs) check(v, 'input');
  for (const name of ONNX_OUTPUTS) if (outputs.has(name)) check(outputs.get(name)!, 'output');

  let cutoff = opts.cutoff;
  const meta = info.metadata.cutoff;
  if (meta !== undefined) {
    const c = Number(meta.trim());
    if (!(c > 0) || !Number.isFinite(c) || meta.trim() === '') fail(`metadata "cutoff" must be a positive number of Å, got "${meta}"`);
    if (cutoff !== undefined && cutoff !== c) fail(`the cutoff option (${cutoff} Å) differs from the model's "cutoff" metadata (${c} Å)`);
    cutoff = c;
  }
  if (cutoff === undefined) fail('the model has no "cutoff" metadata_props entry; add one (Å) or pass the cutoff option');
  if (!(cutoff! > 0) || !Number.isFinite(cutoff)) fail(`cutoff must be a positive number of Å, got ${cutoff}`);

  let species = opts.species;
  if (info.metadata.species !== undefined) {
    species = info.metadata.species.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (species.length === 0) fail('metadata "species" is empty');
  }
  if (species) {
    for (const s of species) {
      try {
        atomicNumber(s);
      } catch {
        fail(`species "${s}" (metadata or option) is not an element symbol`);
      }
    }
  }
  const has = { forces: outputs.has('forces'), stress: outputs.has('stress'), edgeGradients: outputs.has('edge_gradients') };
  return { dtype: T, cutoff: cutoff!, species, outputs: has, hasStress: has.stress || has.edgeGradients, info };
}

/** A Calculator running an ONNX model that follows the contract above. */
export class OnnxCalculator implements Calculator {
  readonly name: string;
  private readonly nl: NeighborList;
  private readonly known: Set<string> | undefined;
  private disposed = false;

  private constructor(
    readonly contract: OnnxContract,
    private readonly session: InferenceSession,
    readonly runtime: OnnxRuntime,
    private readonly k: Kernels,
    readonly source: string,
    skin: number,
  ) {
    this.name = `onnx:${source}`;
    this.nl = new NeighborList(k, { cutoff: contract.cutoff, skin, full: true });
    this.known = contract.species ? new Set(contract.species) : undefined;
  }

  /** Check `model` (the .onnx file's bytes) against the contract and open a session on it. */
  static async create(k: Kernels, model: Uint8Array, opts: OnnxOptions = {}): Promise<OnnxCalculator> {
    const source = opts.source ?? 'model.onnx';
    let info: OnnxModelInfo;
    try {
      info = readOnnxModel(model);
    } catch (e) {
      throw new PotentialError(`${source}: not a readable ONNX model (${(e as Error).message})`);
    }
    const contract = checkOnnxContract(info, source, opts);
    const skin = opts.skin ?? 0.5;
    if (!(skin >= 0) || !Number.isFinite(skin)) throw new PotentialError(`${source}: skin must be >= 0, got ${skin}`);
    const runtime = opts.runtime ?? (await onnxRuntimeWeb());
    let session: InferenceSession;
    try {
      session = await runtime.InferenceSession.create(model, { logSeverityLevel: 3, ...runtime.sessionOptions });
    } catch (e) {
      throw new PotentialError(`${source}: ${runtime.name} cannot load the model: ${errorText(e)}`);
    }
    return new OnnxCalculator(contract, session, runtime, k, source, skin);
  }

  /** True when `compute(…, { stress: true })` can give the stress. */
  get hasStress(): boolean {
    return this.contract.hasStress;
  }

  /** The feeds of one structure, and the edge vectors (Å) for the reduction of edge_gradients. */
  private feeds(s: Structure, index: number): { feeds: Record<string, Tensor>; vectors: Float64Array; i: Int32Array; j: Int32Array } {
    const n = s.natoms;
    const numbers = new BigInt64Array(n);
    const lo = new Int32Array(numbers.buffer); // little-endian int64 from non-negative int32s
    for (let a = 0; a < n; a++) {
      const sp = s.species[a];
      if (this.known && !this.known.has(sp)) {
        throw new CalculatorError(
          `${this.name}: species "${sp}" (atom ${a + 1} of configuration ${index}) is not known to the model (known: ${[...this.known].join(', ')})`,
          index,
        );
      }
      lo[2 * a] = atomicNumber(sp);
    }
    try {
      this.nl.update(s.cell, s.frac);
    } catch (e) {
      if (e instanceof KernelError) throw new CalculatorError(`${this.name}: configuration ${index}: ${e.message}`, index);
      throw e;
    }
    const { i, j, shift, vectors } = this.edges();
    const m = i.length;
    const edges = new BigInt64Array(2 * m);
    const e32 = new Int32Array(edges.buffer);
    for (let q = 0; q < m; q++) {
      e32[2 * q] = i[q];
      e32[2 * (m + q)] = j[q];
    }
    const F = this.contract.dtype === 'float64' ? Float64Array : Float32Array;
    const T = this.runtime.Tensor;
    const feeds: Record<string, Tensor> = {
      numbers: new T('int64', numbers, [n]),
      positions: new T(this.contract.dtype, F.from(s.cartesian()), [n, 3]),
      cell: new T(this.contract.dtype, F.from(s.cell), [3, 3]),
      edge_index: new T('int64', edges, [2, m]),
      unit_shifts: new T(this.contract.dtype, F.from(shift), [m, 3]),
    };
    return { feeds, vectors, i, j };
  }

  /**
   * The full list's pairs closer than the cutoff, in list order — what `NeighborList.pairs()` gives
   * for a full list, read straight from WebAssembly memory into typed arrays (pairs() builds JS
   * arrays and took half of the time per configuration of the shipped model).
   */
  private edges(): { i: Int32Array; j: Int32Array; shift: Int32Array; vectors: Float64Array } {
    const nl = this.nl;
    const buf = this.k.memory.buffer;
    const p = nl.ptrs;
    const n = nl.n, nExt = nl.nExt;
    const first = new Int32Array(buf, p.first, n + 1);
    const nbr = new Int32Array(buf, p.nbr, first[n]);
    const owner = new Int32Array(buf, p.owner, nExt);
    const img = new Int32Array(buf, p.img, 3 * nExt);
    const x = new Float64Array(buf, p.extPos, 3 * nExt);
    const cap = first[n];
    const I = new Int32Array(cap), J = new Int32Array(cap), S = new Int32Array(3 * cap), V = new Float64Array(3 * cap);
    const rc2 = nl.cutoff * nl.cutoff;
    let m = 0;
    for (let a = 0; a < n; a++) {
      for (let q = first[a]; q < first[a + 1]; q++) {
        const e = nbr[q];
        const dx = x[3 * e] - x[3 * a], dy = x[3 * e + 1] - x[3 * a + 1], dz = x[3 * e + 2] - x[3 * a + 2];
        if (dx * dx + dy * dy + dz * dz >= rc2) continue;
        I[m] = a;
        J[m] = owner[e];
        S[3 * m] = img[3 * e] - img[3 * a];
        S[3 * m + 1] = img[3 * e + 1] - img[3 * a + 1];
        S[3 * m + 2] = img[3 * e + 2] - img[3 * a + 2];
        V[3 * m] = dx;
        V[3 * m + 1] = dy;
        V[3 * m + 2] = dz;
        m++;
      }
    }
    return { i: I.subarray(0, m), j: J.subarray(0, m), shift: S.subarray(0, 3 * m), vectors: V.subarray(0, 3 * m) };
  }

  /** Energy, forces (and stress) of one structure. */
  async computeOne(s: Structure, index = 0, stress = false): Promise<CalcResult> {
    if (this.disposed) throw new CalculatorError(`${this.name}: used after dispose`, index);
    if (stress && !this.hasStress) {
      throw new CalculatorError(`${this.name}: the model gives no stress (it has neither a "stress" nor an "edge_gradients" output)`, index);
    }
    const n = s.natoms;
    const { feeds, vectors, i, j } = this.feeds(s, index);
    const o = this.contract.outputs;
    const fetch = ['energy'];
    const useEdges = (!o.forces || (stress && !o.stress)) && o.edgeGradients;
    if (o.forces) fetch.push('forces');
    if (stress && o.stress) fetch.push('stress');
    if (useEdges) fetch.push('edge_gradients');
    let out: Record<string, Tensor>;
    try {
      out = (await this.session.run(feeds, fetch)) as Record<string, Tensor>;
    } catch (e) {
      throw new CalculatorError(`${this.name}: configuration ${index}: the model failed: ${errorText(e)}`, index);
    }
    const get = (name: string, size: number, what: string): Float64Array => {
      const t = out[name];
      if (!t) throw new CalculatorError(`${this.name}: the model did not return "${name}"`, index);
      if (t.type !== this.contract.dtype) throw new CalculatorError(`${this.name}: output "${name}" is ${t.type}, expected ${this.contract.dtype}`, index);
      const d = t.data as Float64Array | Float32Array;
      if (d.length !== size) {
        throw new CalculatorError(`${this.name}: configuration ${index}: output "${name}" has shape [${t.dims.join(', ')}]; expected ${what}`, index);
      }
      return d instanceof Float64Array ? d : Float64Array.from(d);
    };
    const m = i.length;
    const res: CalcResult = { energy: get('energy', 1, '[] or [1]')[0], forces: new Float64Array(0) };
    const g = useEdges ? get('edge_gradients', 3 * m, `[${m}, 3] (n_edges, 3)`) : undefined;
    if (o.forces) res.forces = get('forces', 3 * n, `[${n}, 3] (n_atoms, 3)`).slice();
    else {
      const f = new Float64Array(3 * n);
      for (let q = 0; q < m; q++) {
        for (let c = 0; c < 3; c++) {
          f[3 * i[q] + c] += g![3 * q + c];
          f[3 * j[q] + c] -= g![3 * q + c];
        }
      }
      res.forces = f;
    }
    if (stress) {
      if (o.stress) res.stress = get('stress', 9, '[3, 3]').slice();
      else {
        // σ_ab = (1/Ω) Σ_e ½ (g_a r_b + g_b r_a)
        const w = new Float64Array(9);
        for (let q = 0; q < m; q++) {
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) w[3 * a + b] += g![3 * q + a] * vectors[3 * q + b];
        }
        const vol = s.volume;
        const st = new Float64Array(9);
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) st[3 * a + b] = (0.5 * (w[3 * a + b] + w[3 * b + a])) / vol;
        res.stress = st;
      }
    }
    validateResult(res, n, index, this.name);
    return res;
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const results: CalcResult[] = [];
    for (let c = 0; c < structures.length; c++) {
      if (options.signal?.aborted) throw new CalculatorError(`${this.name}: batch aborted after ${c} of ${structures.length} configurations`, c);
      results.push(await this.computeOne(structures[c], c, !!options.stress));
      options.onProgress?.(c + 1, structures.length);
    }
    return results;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.nl.dispose();
    await this.session.release();
  }
}

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0];
}
