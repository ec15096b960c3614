// MLIP energy, forces and stress (eV, eV/Å, eV/Å³ as Voigt xx yy zz yz xz xy) of every frame of an
// extended XYZ file, as one JSON array on stdout (used by compare.py).
//   node data/h3s-pbe/small/predict.mjs MODEL.json FILE.extxyz
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { loadKernels } = await import(join(root, 'dist/src/node/kernels.js'));
const { loadMlipModel } = await import(join(root, 'dist/src/node/mlip.js'));
const { readExtxyz } = await import(join(root, 'dist/src/io/extxyz.js'));
const [modelPath, file] = process.argv.slice(2);
const k = await loadKernels();
const model = await loadMlipModel(modelPath, { kernels: k });
const calc = model.calculator(k, { grade: false });
const frames = readExtxyz(readFileSync(file, 'utf8'), file);
const res = await calc.compute(frames.map((f) => f.structure));
const out = res.map((r) => {
  const s = r.stress;
  return { energy: r.energy, forces: Array.from(r.forces), stress: [s[0], s[4], s[8], s[5], s[2], s[1]] };
});
process.stdout.write(JSON.stringify(out));
