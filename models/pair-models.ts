// The project's own ONNX models: Lennard-Jones and Morse pair potentials written as explicit
// analytic graphs that follow the OnnxCalculator contract (docs/onnx.md): inputs numbers,
// positions, cell, edge_index, unit_shifts; outputs energy plus forces/stress (Lennard-Jones) or
// edge_gradients (Morse, so the calculator's own reduction to forces and stress is exercised).
// They use the same formulas as the built-in kernels (assembly/potentials/pair.ts).
import { type DType, GraphBuilder } from './onnx-writer.js';

export type FloatType = 'float32' | 'float64';

/** Which outputs to write. */
export interface Outputs {
  forces?: boolean;
  stress?: boolean;
  edgeGradients?: boolean;
}

/** The five contract inputs and the edge vectors d_e = x_j + S_e·cell − x_i with r² = |d_e|². */
function edgeGeometry(g: GraphBuilder, T: FloatType) {
  const numbers = g.input('numbers', 'int64', ['n_atoms']);
  const positions = g.input('positions', T, ['n_atoms', 3]);
  const cell = g.input('cell', T, [3, 3]);
  const edgeIndex = g.input('edge_index', 'int64', [2, 'n_edges']);
  const unitShifts = g.input('unit_shifts', T, ['n_edges', 3]);
  const i = g.op('Gather', [edgeIndex, g.scalar('int64', 0)], { axis: { int: 0 } });
  const j = g.op('Gather', [edgeIndex, g.scalar('int64', 1)], { axis: { int: 0 } });
  const xi = g.op('Gather', [positions, i], { axis: { int: 0 } });
  const xj = g.op('Gather', [positions, j], { axis: { int: 0 } });
  const d = g.op('Sub', [g.op('Add', [xj, g.op('MatMul', [unitShifts, cell])]), xi]);
  const r2 = g.op('ReduceSum', [g.op('Mul', [d, d]), g.constant('int64', [1], [1])], { keepdims: { int: 0 } });
  return { numbers, positions, cell, i, j, d, r2 };
}

/**
 * From per-edge energies u_e and coefficients c_e (∂E/∂d_e = c_e d_e, the ½ of the full list
 * included): energy, and the requested forces, stress and edge gradients, as graph outputs.
 */
function finish(
  g: GraphBuilder, T: FloatType, geo: ReturnType<typeof edgeGeometry>, u: string, c: string, rc2: string, outputs: Outputs,
): void {
  const zero = g.scalar(T, 0);
  const inside = g.op('Less', [geo.r2, rc2]);
  const ue = g.op('Where', [inside, u, zero]);
  const energy = g.op('Mul', [g.scalar(T, 0.5), g.op('ReduceSum', [ue], { keepdims: { int: 0 } })]);
  g.output('energy', energy, T, []);
  const ce = g.op('Where', [inside, c, zero]);
  const grad = g.op('Mul', [g.op('Unsqueeze', [ce, g.constant('int64', [1], [1])]), geo.d]); // ∂E/∂d_e
  if (outputs.forces) {
    // F_k = Σ_{e: i_e = k} ∂E/∂d_e − Σ_{e: j_e = k} ∂E/∂d_e
    const zeros = g.op('ConstantOfShape', [g.op('Shape', [geo.positions])], { value: { tensor: { dtype: T, dims: [1], values: [0] } } });
    const axis1 = g.constant('int64', [1], [1]);
    const fi = g.op('ScatterND', [zeros, g.op('Unsqueeze', [geo.i, axis1]), grad], { reduction: { string: 'add' } });
    const f = g.op('ScatterND', [fi, g.op('Unsqueeze', [geo.j, axis1]), g.op('Neg', [grad])], { reduction: { string: 'add' } });
    g.output('forces', f, T, ['n_atoms', 3]);
  }
  if (outputs.stress) {
    // σ_ab = (1/Ω) Σ_e (∂E/∂d_e)_a d_e,b with Ω = |a1 · (a2 × a3)|
    const w = g.op('MatMul', [g.op('Transpose', [grad], { perm: { ints: [1, 0] } }), geo.d]);
    const row = (k: number) => g.op('Gather', [geo.cell, g.scalar('int64', k)], { axis: { int: 0 } });
    const [a1, a2, a3] = [row(0), row(1), row(2)];
    const p120 = g.constant('int64', [3], [1, 2, 0]), p201 = g.constant('int64', [3], [2, 0, 1]);
    const take = (v: string, p: string) => g.op('Gather', [v, p], { axis: { int: 0 } });
    const cross = g.op('Sub', [g.op('Mul', [take(a2, p120), take(a3, p201)]), g.op('Mul', [take(a2, p201), take(a3, p120)])]);
    const volume = g.op('Abs', [g.op('ReduceSum', [g.op('Mul', [a1, cross])], { keepdims: { int: 0 } })]);
    g.output('stress', g.op('Div', [w, volume]), T, [3, 3]);
  }
  if (outputs.edgeGradients) g.output('edge_gradients', grad, T, ['n_edges', 3]);
}

export interface LennardJonesModel {
  species: string;
  epsilon: number;
  sigma: number;
  cutoff: number;
  dtype?: FloatType;
  outputs?: Outputs;
}

/** One-species Lennard-Jones with the energy shifted to zero at the cutoff ("shift" mode). */
export function lennardJonesModel(p: LennardJonesModel): Uint8Array {
  const T = p.dtype ?? 'float64';
  const g = new GraphBuilder('lennard_jones');
  const geo = edgeGeometry(g, T);
  // the built-in potential's coefficients (src/calculators/lennard-jones.ts), products only
  const s = p.sigma, s6 = s * s * (s * s) * (s * s);
  const c12 = 4 * p.epsilon * s6 * s6, c6 = 4 * p.epsilon * s6;
  const irc2 = 1 / (p.cutoff * p.cutoff), irc6 = irc2 * irc2 * irc2;
  const shift = c12 * irc6 * irc6 - c6 * irc6;
  const ir2 = g.op('Div', [g.scalar(T, 1), geo.r2]);
  const ir6 = g.op('Mul', [g.op('Mul', [ir2, ir2]), ir2]);
  const a12 = g.op('Mul', [g.op('Mul', [g.scalar(T, c12), ir6]), ir6]);
  const a6 = g.op('Mul', [g.scalar(T, c6), ir6]);
  const u = g.op('Sub', [g.op('Sub', [a12, a6]), g.scalar(T, shift)]);
  // ½ (dφ/dr)/r = ½ (6 a6 − 12 a12)/r² = (3 a6 − 6 a12)/r²
  const c = g.op('Mul', [g.op('Sub', [g.op('Mul', [g.scalar(T, 3), a6]), g.op('Mul', [g.scalar(T, 6), a12])]), ir2]);
  finish(g, T, geo, u, c, g.scalar(T, p.cutoff * p.cutoff), p.outputs ?? { forces: true, stress: true });
  return g.model({
    doc: `Lennard-Jones ${p.species}: epsilon ${p.epsilon} eV, sigma ${p.sigma} Å, cutoff ${p.cutoff} Å (energy shifted to 0 at the cutoff)`,
    metadata: [['cutoff', String(p.cutoff)], ['species', p.species]],
  });
}

export interface MorsePairParams {
  species: [string, string];
  D: number;
  a: number;
  r0: number;
  cutoff: number;
}

/** Atomic numbers of the symbols the shipped models use (the script's own small table). */
const Z: Record<string, number> = { Ar: 18, Cu: 29, Ag: 47, Na: 11, Cl: 17, Si: 14 };

/** Multi-species Morse, energy shifted to zero at each pair's cutoff; parameters gathered by species. */
export function morseModel(pairs: MorsePairParams[], opts: { dtype?: FloatType; outputs?: Outputs } = {}): Uint8Array {
  const T = opts.dtype ?? 'float64';
  const species: string[] = [];
  for (const p of pairs) for (const s of p.species) if (!species.includes(s)) species.push(s);
  const nt = species.length;
  const table = (f: (p: MorsePairParams) => number) => {
    const v = new Array<number>(nt * nt).fill(0);
    for (const p of pairs) {
      const a = species.indexOf(p.species[0]), b = species.indexOf(p.species[1]);
      v[a * nt + b] = v[b * nt + a] = f(p);
    }
    return v;
  };
  const g = new GraphBuilder('morse');
  const geo = edgeGeometry(g, T);
  // atomic number → type index (unknown numbers are rejected by the calculator from the metadata)
  const zType = new Array<number>(119).fill(0);
  species.forEach((s, t) => {
    if (!(s in Z)) throw new Error(`morseModel: no atomic number for ${s}`);
    zType[Z[s]] = t;
  });
  const types = g.op('Gather', [g.constant('int64', [119], zType), geo.numbers], { axis: { int: 0 } });
  const ti = g.op('Gather', [types, geo.i], { axis: { int: 0 } });
  const tj = g.op('Gather', [types, geo.j], { axis: { int: 0 } });
  const pair = g.op('Add', [g.op('Mul', [ti, g.scalar('int64', nt)]), tj]);
  const param = (f: (p: MorsePairParams) => number) => g.op('Gather', [g.constant(T, [nt * nt], table(f)), pair], { axis: { int: 0 } });
  const D = param((p) => p.D), al = param((p) => p.a), r0 = param((p) => p.r0), rc2 = param((p) => p.cutoff * p.cutoff);
  const eshift = param((p) => {
    const ex = Math.exp(-p.a * (p.cutoff - p.r0));
    return p.D * ex * (ex - 2);
  });
  const r = g.op('Sqrt', [geo.r2]);
  const ex = g.op('Exp', [g.op('Neg', [g.op('Mul', [al, g.op('Sub', [r, r0])])])]);
  // u = D ex (ex − 2) − eshift;  ½ (dE/dr)/r = −D a ex (ex − 1)/r
  const u = g.op('Sub', [g.op('Mul', [g.op('Mul', [D, ex]), g.op('Sub', [ex, g.scalar(T, 2)])]), eshift]);
  const c = g.op('Div', [g.op('Neg', [g.op('Mul', [g.op('Mul', [g.op('Mul', [D, al]), ex]), g.op('Sub', [ex, g.scalar(T, 1)])])]), r]);
  finish(g, T, geo, u, c, rc2, opts.outputs ?? { edgeGradients: true });
  const rcMax = Math.max(...pairs.map((p) => p.cutoff));
  return g.model({
    doc: `Morse pairs ${pairs.map((p) => `${p.species.join('-')}: D ${p.D} eV, a ${p.a} 1/Å, r0 ${p.r0} Å, cutoff ${p.cutoff} Å`).join('; ')}`,
    metadata: [['cutoff', String(rcMax)], ['species', species.join(',')]],
  });
}

export type { DType };
