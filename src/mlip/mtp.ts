// The moment-tensor basis of the linear MLIP (physics.md 6.1-6.4) behind the LinearBasis interface
// (src/mlip/linear-basis.ts), and a Calculator on its fast path. Enumeration: src/mlip/mtp-basis.ts;
// kernels: assembly/mlip/mtp.ts. See docs/mlip-descriptors.md.
//
// Parameters θ (nParams = nS + nS·nBasis): one constant per species, then one block of nBasis
// coefficients per *central* species. Neighbour species enter through the moment channels:
// channel 0 sums over all neighbours, channel s ≥ 1 over the neighbours of species s (its moments
// cost `speciesPenalty` extra levels). Two-body functions Σ_j Q_μ(r_ij) for every μ < pairRadial
// complete the radial freedom of the pair part (src/mlip/mtp-basis.ts).
import type { Structure } from '../structure/structure.js';
import type { Kernels, F64Buffer, I32Buffer } from '../wasm/kernels.js';
import { NeighborList } from '../neighbors/neighbor-list.js';
import { type CalcOptions, type CalcResult, type Calculator, CalculatorError } from '../calculators/calculator.js';
import { runBatch } from '../calculators/wasm-calculator.js';
import type { DesignRequest, DesignRows, LinearBasis, LinearEvaluation } from './linear-basis.js';
import { enumerateMtpBasis, monoIndex, monomials, ncompUpTo, type MtpDag } from './mtp-basis.js';

export interface MtpSpec {
  /** Species symbols (order fixes the parameter layout). */
  species: string[];
  /** Maximum level L_max (even, ≥ 2). */
  level: number;
  /** Number of Chebyshev radial functions N_β (default 8). */
  radialSize?: number;
  /** Cutoff radius R_cut (Å). */
  rcut: number;
  /** Minimum distance R_min (Å): closer pairs are outside the model's domain. */
  rmin: number;
  /** Extra level of a species-resolved moment (default 2; 0 = full species resolution). */
  speciesPenalty?: number;
  /**
   * Two-body functions Σ_j Q_μ(r_ij) per neighbour channel for every μ < pairRadial, whatever their
   * level (default radialSize; 0 = none beyond the level rule, the basis of model files without
   * this field). At most radialSize.
   */
  pairRadial?: number;
}

/** A configuration outside the model's domain (a pair closer than R_min). */
export class MtpDomainError extends Error {
  constructor(
    message: string,
    readonly atoms: [number, number],
    readonly distance: number,
  ) {
    super(message);
    this.name = 'MtpDomainError';
  }
}

/** Malformed MTP basis JSON or spec. */
export class MtpSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MtpSpecError';
  }
}

const ST_RMIN = 9;
const JSON_TYPE = 'mtp-basis';
const JSON_VERSION = 1;
const HEADER = 20;
const DEFAULT_SKIN = 0.3;

type EvaluateFn = (
  bi: number, bf: number, theta: number, rcut: number, rmin: number,
  n: number, nExt: number, extPos: number, owner: number, types: number, first: number, nbr: number,
  fext: number, forces: number, volume: number, out: number, atomE: number, info: number,
) => number;
type DesignFn = (
  bi: number, bf: number, rcut: number, rmin: number,
  n: number, extPos: number, owner: number, types: number, first: number, nbr: number, volume: number,
  energyRow: number, forceRows: number, stressRows: number, atomRows: number, info: number,
) => number;

function checkSpec(spec: MtpSpec): Required<MtpSpec> {
  const where = 'MTP spec';
  if (!Array.isArray(spec.species) || spec.species.length === 0 || !spec.species.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new MtpSpecError(`${where}: species must be a non-empty array of element symbols`);
  }
  if (new Set(spec.species).size !== spec.species.length) throw new MtpSpecError(`${where}: species has duplicates (${spec.species.join(', ')})`);
  const radialSize = spec.radialSize ?? 8;
  const speciesPenalty = spec.speciesPenalty ?? 2;
  if (!Number.isInteger(spec.level) || spec.level < 2 || spec.level > 28) throw new MtpSpecError(`${where}: level must be an integer in [2, 28], got ${spec.level}`);
  if (!Number.isInteger(radialSize) || radialSize < 1 || radialSize > 16) throw new MtpSpecError(`${where}: radialSize must be an integer in [1, 16], got ${radialSize}`);
  if (!Number.isInteger(speciesPenalty) || speciesPenalty < 0) throw new MtpSpecError(`${where}: speciesPenalty must be an integer >= 0, got ${speciesPenalty}`);
  const pairRadial = spec.pairRadial ?? radialSize;
  if (!Number.isInteger(pairRadial) || pairRadial < 0 || pairRadial > radialSize) throw new MtpSpecError(`${where}: pairRadial must be an integer in [0, radialSize = ${radialSize}], got ${pairRadial}`);
  if (!(spec.rcut > 0) || !Number.isFinite(spec.rcut)) throw new MtpSpecError(`${where}: rcut must be a positive number (Å), got ${spec.rcut}`);
  if (!(spec.rmin >= 0) || !(spec.rmin < spec.rcut)) throw new MtpSpecError(`${where}: rmin must be in [0, rcut), got ${spec.rmin}`);
  return { species: [...spec.species], level: spec.level, radialSize, rcut: spec.rcut, rmin: spec.rmin, speciesPenalty, pairRadial };
}

/** Cones (terms and leaves each output depends on) and the monomial tables: the kernel's i32 blob. */
function buildBlobs(dag: MtpDag): { ints: Int32Array; floats: Float64Array } {
  const nS = dag.nSpecies, nMu = dag.nMu, lps = dag.leavesPerSpecies;
  const nuTop = Math.max(0, ...dag.nuMax);
  const nc = ncompUpTo(nuTop);
  const nTerms = dag.coefs.length, nBasis = dag.outputs.length, nLeaves = nS * lps;
  // monomial tables (graded order)
  const ex: [number, number, number][] = [];
  for (let d = 0; d <= nuTop; d++) ex.push(...monomials(d));
  const gidx = (p: number, q: number, r: number) => ncompUpTo(p + q + r - 1) + monoIndex(p, q, r);
  const parent = new Int32Array(nc), axis = new Int32Array(nc), gradP = new Int32Array(3 * nc);
  const gradF = new Float64Array(3 * nc);
  ex.forEach(([p, q, r], c) => {
    if (c > 0) {
      if (p > 0) { parent[c] = gidx(p - 1, q, r); axis[c] = 0; }
      else if (q > 0) { parent[c] = gidx(p, q - 1, r); axis[c] = 1; }
      else { parent[c] = gidx(p, q, r - 1); axis[c] = 2; }
    }
    if (p > 0) { gradP[3 * c] = gidx(p - 1, q, r); gradF[3 * c] = p; }
    if (q > 0) { gradP[3 * c + 1] = gidx(p, q - 1, r); gradF[3 * c + 1] = q; }
    if (r > 0) { gradP[3 * c + 2] = gidx(p, q, r - 1); gradF[3 * c + 2] = r; }
  });
  const ncMu = Int32Array.from(dag.nuMax.map((nu) => ncompUpTo(nu)));
  const leafMu = new Int32Array(lps), leafC = new Int32Array(lps);
  for (let mu = 0; mu < nMu; mu++) for (let c = 0; c < ncMu[mu]; c++) { leafMu[dag.leafOffset[mu] + c] = mu; leafC[dag.leafOffset[mu] + c] = c; }
  // cones
  const termsOf: number[][] = Array.from({ length: dag.nNodes }, () => []);
  for (let t = 0; t < nTerms; t++) termsOf[dag.terms[3 * t + 2]].push(t);
  const seen = new Int32Array(dag.nNodes).fill(-1);
  const coneT: number[] = [0], coneTi: number[] = [], coneL: number[] = [0], coneLi: number[] = [];
  for (let a = 0; a < nBasis; a++) {
    const stack = [dag.outputs[a]];
    seen[dag.outputs[a]] = a;
    const ts: number[] = [], ls: number[] = [];
    while (stack.length) {
      const v = stack.pop()!;
      if (v < nLeaves) ls.push(v);
      for (const t of termsOf[v]) {
        ts.push(t);
        for (const w of [dag.terms[3 * t], dag.terms[3 * t + 1]]) {
          if (seen[w] !== a) { seen[w] = a; stack.push(w); }
        }
      }
    }
    ts.sort((p, q) => p - q);
    ls.sort((p, q) => p - q);
    coneTi.push(...ts);
    coneLi.push(...ls);
    coneT.push(coneTi.length);
    coneL.push(coneLi.length);
  }
  const parts: [number, ArrayLike<number>][] = [
    [7, ncMu], [8, dag.leafOffset], [9, parent], [10, axis], [11, gradP], [12, dag.terms], [13, dag.outputs],
    [14, coneT], [15, coneTi], [16, coneL], [17, coneLi], [18, leafMu], [19, leafC],
  ];
  let size = HEADER;
  for (const [, arr] of parts) size += arr.length;
  const ints = new Int32Array(size);
  ints.set([nS, nMu, nc, lps, dag.nNodes, nTerms, nBasis]);
  let at = HEADER;
  for (const [slot, arr] of parts) {
    ints[slot] = at;
    ints.set(arr, at);
    at += arr.length;
  }
  const floats = new Float64Array(nTerms + 3 * nc);
  floats.set(dag.coefs);
  floats.set(gradF, nTerms);
  return { ints, floats };
}

/** The moment-tensor basis: descriptors, design rows and the fast energy/force/stress path. */
export class MtpBasis implements LinearBasis {
  readonly species: readonly string[];
  readonly nParams: number;
  readonly spec: Required<MtpSpec>;
  readonly dag: MtpDag;
  private readonly k: Kernels;
  private readonly bi: I32Buffer;
  private readonly bf: F64Buffer;
  private readonly nl: NeighborList;
  private readonly evalFn: EvaluateFn;
  private readonly designFn: DesignFn;
  private readonly index = new Map<string, number>();
  private readonly work: { types: I32Buffer | null; fext: F64Buffer | null; forces: F64Buffer | null; atomE: F64Buffer | null; out: F64Buffer | null } = {
    types: null, fext: null, forces: null, atomE: null, out: null,
  };
  private disposed = false;

  private constructor(k: Kernels, spec: Required<MtpSpec>, dag: MtpDag, skin = DEFAULT_SKIN) {
    this.k = k;
    this.spec = spec;
    this.dag = dag;
    this.species = spec.species;
    spec.species.forEach((s, q) => this.index.set(s, q));
    this.nParams = spec.species.length * (1 + dag.outputs.length);
    this.evalFn = k.fn<EvaluateFn>('mtp_evaluate');
    this.designFn = k.fn<DesignFn>('mtp_design');
    const { ints, floats } = buildBlobs(dag);
    this.bi = k.i32(ints.length, ints, { owned: true });
    this.bf = k.f64(floats.length, floats, { owned: true });
    this.nl = new NeighborList(k, { cutoff: spec.rcut, skin, full: true });
  }

  /** Enumerate the basis of a spec (deterministic: the same spec gives the same basis). */
  static create(k: Kernels, spec: MtpSpec): MtpBasis {
    const s = checkSpec(spec);
    const dag = enumerate(k, s);
    return new MtpBasis(k, s, dag);
  }

  /** Number of basis functions B_α (per central species). */
  get nBasis(): number {
    return this.dag.outputs.length;
  }

  /** Column of θ for basis function α of central species s (constants are columns 0..nS−1). */
  column(species: number, alpha: number): number {
    return this.species.length + species * this.nBasis + alpha;
  }

  private types(s: Structure): Int32Array {
    const t = new Int32Array(s.natoms);
    for (let a = 0; a < s.natoms; a++) {
      const q = this.index.get(s.species[a]);
      if (q === undefined) throw new MtpSpecError(`MTP: species "${s.species[a]}" of atom ${a + 1} is not in the model (species: ${this.species.join(', ')})`);
      t[a] = q;
    }
    return t;
  }

  private domainError(s: Structure, info: Float64Array): MtpDomainError {
    const i = info[0], j = info[1], r = info[2];
    return new MtpDomainError(
      `MTP: atoms ${i + 1} (${s.species[i]}) and ${j + 1} (${s.species[j]}) are ${r.toFixed(4)} Å apart, closer than R_min = ${this.spec.rmin} Å: the configuration is outside the model's domain`,
      [i, j],
      r,
    );
  }

  private prepare(s: Structure): Int32Array {
    if (this.disposed) throw new Error('MTP basis used after dispose');
    const t = this.types(s);
    this.nl.update(s.cell, s.frac);
    return t;
  }

  design(s: Structure, request: DesignRequest = {}): DesignRows {
    const types = this.prepare(s);
    const n = s.natoms, nP = this.nParams;
    const k = this.k;
    return k.scope(() => {
      const tb = k.i32(n, types);
      const er = k.f64(nP);
      const fr = request.forces ? k.f64(3 * n * nP) : null;
      const sr = request.stress ? k.f64(6 * nP) : null;
      const ar = request.atoms ? k.f64(n * nP) : null;
      const info = k.f64(3);
      const p = this.nl.ptrs;
      const st = this.designFn(this.bi.ptr, this.bf.ptr, this.spec.rcut, this.spec.rmin, n, p.extPos, p.owner, tb.ptr, p.first, p.nbr,
        s.volume, er.ptr, fr?.ptr ?? 0, sr?.ptr ?? 0, ar?.ptr ?? 0, info.ptr);
      if (st === ST_RMIN) throw this.domainError(s, info.toArray());
      k.check('mtp_design', st);
      const rows: DesignRows = { natoms: n, energy: er.toArray() };
      if (fr) rows.forces = fr.toArray();
      if (sr) rows.stress = sr.toArray();
      if (ar) rows.atoms = ar.toArray();
      return rows;
    });
  }

  evaluate(s: Structure, theta: Float64Array): LinearEvaluation {
    if (theta.length !== this.nParams) throw new RangeError(`MTP: θ has ${theta.length} values, the basis has ${this.nParams} parameters`);
    return this.k.scope(() => {
      const th = this.k.f64(theta.length, theta);
      return this.evaluateAt(s, th.ptr, false);
    });
  }

  /** Fast path with θ already in kernel memory; optionally per-atom energies. @internal */
  evaluateAt(s: Structure, thetaPtr: number, perAtom: boolean): LinearEvaluation & { atomEnergies?: Float64Array } {
    const types = this.prepare(s);
    const n = s.natoms;
    const k = this.k;
    // buffers kept across calls (the fast path is called millions of times)
    const w = this.work;
    const need = (b: F64Buffer | I32Buffer | null, len: number) => !b || b.length < len;
    if (need(w.types, n)) { w.types?.free(); w.types = k.i32(Math.max(n, 1), undefined, { owned: true }); }
    if (need(w.fext, 3 * this.nl.nExt)) { w.fext?.free(); w.fext = k.f64(3 * Math.max(this.nl.nExt, 1), undefined, { owned: true }); }
    if (need(w.forces, 3 * n)) { w.forces?.free(); w.forces = k.f64(3 * Math.max(n, 1), undefined, { owned: true }); }
    if (perAtom && need(w.atomE, n)) { w.atomE?.free(); w.atomE = k.f64(Math.max(n, 1), undefined, { owned: true }); }
    if (!w.out) w.out = k.f64(13, undefined, { owned: true });
    w.types!.view.set(types);
    const p = this.nl.ptrs;
    const out = w.out;
    const st = this.evalFn(this.bi.ptr, this.bf.ptr, thetaPtr, this.spec.rcut, this.spec.rmin, n, this.nl.nExt, p.extPos, p.owner, w.types!.ptr,
      p.first, p.nbr, w.fext!.ptr, w.forces!.ptr, s.volume, out.ptr, perAtom ? w.atomE!.ptr : 0, out.ptr + 80);
    if (st === ST_RMIN) throw this.domainError(s, out.view.slice(10, 13));
    k.check('mtp_evaluate', st);
    const o = out.view;
    const r: LinearEvaluation & { atomEnergies?: Float64Array } = { energy: o[0], forces: w.forces!.view.slice(0, 3 * n), stress: o.slice(1, 10) };
    if (perAtom) r.atomEnergies = w.atomE!.view.slice(0, n);
    return r;
  }

  toJSON(): MtpBasisJson {
    const d = this.dag;
    return {
      type: JSON_TYPE,
      version: JSON_VERSION,
      ...this.spec,
      nBasis: d.outputs.length,
      dag: {
        nMu: d.nMu,
        nuMax: [...d.nuMax],
        leavesPerSpecies: d.leavesPerSpecies,
        leafOffset: [...d.leafOffset],
        nNodes: d.nNodes,
        terms: Array.from(d.terms),
        coefs: Array.from(d.coefs),
        outputs: Array.from(d.outputs),
        outputLevels: Array.from(d.outputLevels),
        outputNames: [...d.outputNames],
        rankTest: { ...d.rankTest },
      },
    };
  }

  /**
   * Rebuild a basis from `toJSON()` output. The stored DAG is used as is (no re-enumeration);
   * `verify: true` also re-enumerates from the spec and checks that the DAG is identical.
   * `skin` (Å, default 0.3) is the Verlet skin of the neighbour list; 0 rebuilds it for every
   * configuration, so results do not depend on the configurations evaluated before (src/parallel/spec.ts).
   */
  static fromJSON(k: Kernels, json: unknown, opts: { verify?: boolean; source?: string; skin?: number } = {}): MtpBasis {
    const src = opts.source ?? 'MTP basis';
    const o = json as Partial<MtpBasisJson>;
    if (typeof o !== 'object' || o === null) throw new MtpSpecError(`${src}: must be a JSON object`);
    if (o.type !== JSON_TYPE) throw new MtpSpecError(`${src}: type must be "${JSON_TYPE}", got ${JSON.stringify(o.type)}`);
    if (o.version !== JSON_VERSION) throw new MtpSpecError(`${src}: unsupported version ${JSON.stringify(o.version)} (this code reads ${JSON_VERSION})`);
    // files written before pairRadial existed have no two-body extras
    const spec = checkSpec({ ...(o as MtpSpec), pairRadial: o.pairRadial ?? 0 });
    const d = o.dag;
    if (!d || typeof d !== 'object') throw new MtpSpecError(`${src}: dag is missing`);
    const dag = dagFromJson(d, spec.species.length, src);
    if (o.nBasis !== dag.outputs.length) throw new MtpSpecError(`${src}: nBasis ${o.nBasis} does not match the ${dag.outputs.length} outputs of the DAG`);
    if (opts.verify) {
      const again = enumerate(k, spec);
      if (!sameDag(again, dag)) throw new MtpSpecError(`${src}: the stored DAG differs from the enumeration of its spec`);
    }
    return new MtpBasis(k, spec, dag, opts.skin);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.nl.dispose();
    for (const b of Object.values(this.work)) b?.free();
    this.bi.free();
    this.bf.free();
  }
}

export interface MtpBasisJson extends Required<MtpSpec> {
  type: typeof JSON_TYPE;
  version: number;
  nBasis: number;
  dag: {
    nMu: number;
    nuMax: number[];
    leavesPerSpecies: number;
    leafOffset: number[];
    nNodes: number;
    terms: number[];
    coefs: number[];
    outputs: number[];
    outputLevels: number[];
    outputNames: string[];
    rankTest: MtpDag['rankTest'];
  };
}

/** Enumerate, doubling the environments until the largest independent group is well below their number. */
function enumerate(k: Kernels, spec: Required<MtpSpec>): MtpDag {
  let E = 320;
  for (;;) {
    const dag = enumerateMtpBasis(k, {
      nSpecies: spec.species.length, level: spec.level, radialSize: spec.radialSize, speciesPenalty: spec.speciesPenalty, pairRadial: spec.pairRadial,
      environments: E,
    });
    if (2 * dag.rankTest.maxGroup <= E) return dag;
    E *= 2;
  }
}

function sameDag(a: MtpDag, b: MtpDag): boolean {
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.prototype.every.call(x, (v: number, q: number) => v === y[q]);
  return a.nMu === b.nMu && a.nNodes === b.nNodes && a.leavesPerSpecies === b.leavesPerSpecies && eq(a.nuMax, b.nuMax) && eq(a.leafOffset, b.leafOffset)
    && eq(a.terms, b.terms) && eq(a.coefs, b.coefs) && eq(a.outputs, b.outputs);
}

function dagFromJson(d: MtpBasisJson['dag'], nS: number, src: string): MtpDag {
  const intArr = (v: unknown, name: string, lo: number, hi: number): number[] => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= lo && x < hi)) throw new MtpSpecError(`${src}: dag.${name} must be an array of integers in [${lo}, ${hi})`);
    return v as number[];
  };
  const int = (v: unknown, name: string, lo: number, hi: number): number => {
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) >= hi) throw new MtpSpecError(`${src}: dag.${name} must be an integer in [${lo}, ${hi})`);
    return v as number;
  };
  const nMu = int(d.nMu, 'nMu', 1, 17);
  const nuMax = intArr(d.nuMax, 'nuMax', 0, 64);
  if (nuMax.length !== nMu) throw new MtpSpecError(`${src}: dag.nuMax must have nMu = ${nMu} entries`);
  const lps = int(d.leavesPerSpecies, 'leavesPerSpecies', 1, 1 << 24);
  const leafOffset = intArr(d.leafOffset, 'leafOffset', 0, lps);
  let off = 0;
  for (let mu = 0; mu < nMu; mu++) {
    if (leafOffset[mu] !== off) throw new MtpSpecError(`${src}: dag.leafOffset is inconsistent with dag.nuMax`);
    off += ncompUpTo(nuMax[mu]);
  }
  if (off !== lps) throw new MtpSpecError(`${src}: dag.leavesPerSpecies is inconsistent with dag.nuMax`);
  const nNodes = int(d.nNodes, 'nNodes', nS * lps, 1 << 26);
  const terms = intArr(d.terms, 'terms', 0, nNodes);
  if (terms.length % 3 !== 0) throw new MtpSpecError(`${src}: dag.terms must hold 3 numbers per term`);
  const nT = terms.length / 3;
  // topological: inputs before targets, targets are not leaves
  for (let t = 0; t < nT; t++) {
    const z = terms[3 * t + 2];
    if (z < nS * lps || terms[3 * t] >= z || terms[3 * t + 1] >= z) throw new MtpSpecError(`${src}: dag.terms[${t}] is not in topological order`);
  }
  if (!Array.isArray(d.coefs) || d.coefs.length !== nT || !d.coefs.every(Number.isFinite)) throw new MtpSpecError(`${src}: dag.coefs must hold ${nT} finite numbers`);
  const outputs = intArr(d.outputs, 'outputs', 0, nNodes);
  const levels = intArr(d.outputLevels, 'outputLevels', 0, 1000);
  if (levels.length !== outputs.length) throw new MtpSpecError(`${src}: dag.outputLevels must match dag.outputs`);
  const names = Array.isArray(d.outputNames) && d.outputNames.length === outputs.length ? d.outputNames.map(String) : outputs.map((_, q) => `B${q}`);
  return {
    nSpecies: nS,
    nMu,
    nuMax,
    leavesPerSpecies: lps,
    leafOffset,
    nNodes,
    terms: Int32Array.from(terms),
    coefs: Float64Array.from(d.coefs),
    outputs: Int32Array.from(outputs),
    outputLevels: Int32Array.from(levels),
    outputNames: names,
    rankTest: { ...(d.rankTest ?? { minKept: NaN, maxRejected: NaN, environments: 0, candidates: 0, maxGroup: 0 }) },
  };
}

/**
 * A Calculator on the basis' fast path for fixed parameters θ (copied). Results are validated
 * (NaN/Inf, shapes) like the built-in potentials'; a pair closer than R_min is a CalculatorError
 * naming the atoms.
 */
export function mtpCalculator(basis: MtpBasis, theta: ArrayLike<number>, name = 'mtp'): Calculator & { dispose(): void } {
  if (theta.length !== basis.nParams) throw new RangeError(`${name}: θ has ${theta.length} values, the basis has ${basis.nParams} parameters`);
  if (!Array.prototype.every.call(theta, Number.isFinite)) throw new RangeError(`${name}: θ contains NaN or Inf`);
  const k = (basis as unknown as { k: Kernels }).k;
  const th = k.f64(theta.length, theta, { owned: true });
  let disposed = false;
  return {
    name,
    async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
      if (disposed) throw new CalculatorError(`${name}: used after dispose`);
      return runBatch(name, structures, options, (s, index) => {
        try {
          return basis.evaluateAt(s, th.ptr, false);
        } catch (e) {
          if (e instanceof CalculatorError) throw e;
          throw new CalculatorError(`${name}: configuration ${index}: ${(e as Error).message}`, index);
        }
      });
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      th.free();
    },
  };
}
