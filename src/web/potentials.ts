// The potentials the page offers, and how a potential file a user loads becomes a CalculatorSpec.
// Built-in presets are the repository's examples (examples/argon, examples/silicon, and the bond
// network of test/fixtures/sscha-cli), each with a matching example crystal.
//
// Model files: an MLIP model file (JSON with "format": "anharmonic-csp/mlip") becomes
// { kind: 'mlip', model } and a .onnx file { kind: 'onnx', model: bytes }; the workers build them
// through the calculator registry (src/parallel/kinds.ts). The ONNX runtime's module URL is added by
// the compute worker (driver-worker.ts), since workers have no import maps.
import { BUILTIN_TYPES } from '../calculators/builtin.js';
import { isMlipModelJson } from '../mlip/model.js';
import type { CalculatorSpec } from '../parallel/spec.js';

export interface Preset {
  id: string;
  label: string;
  potential: Record<string, unknown>;
  example: { fileName: string; text: string };
  supercell: [number, number, number];
}

export const PRESETS: Preset[] = [
  {
    id: 'nacl-bond-network',
    label: 'NaCl — anharmonic bond network (k3, k4 on Na–Cl)',
    potential: {
      type: 'bond-network',
      tolerance: 0.1,
      bonds: [
        { species: ['Na', 'Cl'], d0: 2.82, k2: 2.0, k3: -8.0, k4: 60.0 },
        { species: ['Na', 'Na'], d0: 3.9880822458921275, k2: 0.3 },
        { species: ['Cl', 'Cl'], d0: 3.9880822458921275, k2: 0.3 },
      ],
    },
    example: {
      fileName: 'rocksalt.vasp',
      text: 'NaCl rock salt, primitive fcc cell (a = 5.64 Å)\n1.0\n0.0 2.82 2.82\n2.82 0.0 2.82\n2.82 2.82 0.0\nNa Cl\n1 1\nDirect\n0.0 0.0 0.0\n0.5 0.5 0.5\n',
    },
    supercell: [2, 2, 2],
  },
  {
    id: 'ar-lj',
    label: 'Ar — Lennard-Jones (ε = 10.4 meV, σ = 3.40 Å)',
    potential: { type: 'lennard-jones', cutoffMode: 'shift', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] },
    example: { fileName: 'POSCAR', text: 'Ar fcc (primitive cell)\n1.0\n0.0 2.63 2.63\n2.63 0.0 2.63\n2.63 2.63 0.0\nAr\n1\nDirect\n0 0 0\n' },
    supercell: [3, 3, 3],
  },
  {
    id: 'si-sw',
    label: 'Si — Stillinger–Weber (original parameters)',
    potential: { type: 'stillinger-weber' },
    example: { fileName: 'POSCAR', text: 'Si diamond\n5.431\n0.0 0.5 0.5\n0.5 0.0 0.5\n0.5 0.5 0.0\nSi\n2\nDirect\n0 0 0\n0.25 0.25 0.25\n' },
    supercell: [2, 2, 2],
  },
];

export function presetSpec(p: Preset): CalculatorSpec {
  return { kind: 'builtin', source: p.id, potential: p.potential };
}

/** A potential file → spec. `extra` are other files loaded with it (e.g. a LAMMPS .sw file it names). */
export function specFromFile(name: string, data: ArrayBuffer, extra: Record<string, string> = {}): CalculatorSpec {
  const lower = name.toLowerCase();
  if (lower.endsWith('.onnx')) return { kind: 'onnx', source: name, model: data };
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    throw new Error(`${name}: not a JSON potential file (${(e as Error).message}); expected .json (built-in potential or MLIP) or .onnx`);
  }
  if (isMlipModelJson(obj)) return { kind: 'mlip', source: name, model: obj };
  const type = (obj as { type?: unknown })?.type;
  if (typeof type === 'string' && (BUILTIN_TYPES as readonly string[]).includes(type)) return { kind: 'builtin', source: name, potential: obj, files: extra };
  const what = typeof type === 'string' ? `unknown potential type ${JSON.stringify(type)}` : '"type" is missing';
  throw new Error(`${name}: ${what} (a built-in potential has "type" one of ${BUILTIN_TYPES.join(', ')}; an MLIP model file has "format": "anharmonic-csp/mlip")`);
}
