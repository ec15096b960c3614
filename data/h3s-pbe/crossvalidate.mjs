// K-fold cross-validated errors of the moment-tensor potential on the PBE H3S configurations, over a
// grid of levels, radial sizes and cutoffs: every configuration is predicted once by a model that did
// not see it (folds by a seeded permutation). With few configurations this is a steadier estimate
// than one held-out split, and it is how the defaults of train.sh are chosen.
//
//   node data/h3s-pbe/crossvalidate.mjs [--levels 12,14,16] [--radial 8] [--pair R] [--rcut 4.0] [--folds 5] [--all] [--out FILE]
//   [--species-penalty 2] [--weights 1,0.1,0.03]
//   (after npm run build; --radial, --pair (two-body radial functions, default = radial) and --rcut
//   take comma-separated lists too)
//
// Reads every complete frame of chunk-seed*.extxyz (a partial last frame of a chunk still being
// written is dropped). Only the training split of train.sh is used (generator index not ≡ 4 mod 5),
// so that the held-out frames stay unseen by the choice of settings; --all uses every frame. Prints
// one line per setting and writes fit/crossvalidation.json.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../../dist/src/');
const { loadKernels } = await import(join(dist, 'node/kernels.js'));
const { readDataset } = await import(join(dist, 'mlip/dataset.js'));
const { MtpBasis } = await import(join(dist, 'mlip/mtp.js'));
const { trainLinear, parityData, fitErrors, seededPermutation } = await import(join(dist, 'mlip/train.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const list = (s) => s.split(',').map(Number);
const levels = list(arg('--levels', '12,14,16'));
const radials = list(arg('--radial', '8'));
const pairArg = arg('--pair', undefined);
const rcuts = list(arg('--rcut', '4.0'));
const K = Number(arg('--folds', '5'));
const all = process.argv.includes('--all');
const penalties = list(arg('--species-penalty', '2'));
const wl = list(arg('--weights', '1,0.1,0.03'));
const weights = { energy: wl[0], forces: wl[1], stress: wl[2] };

/** Complete frames only: a frame is a count line, a comment line and that many atom lines. */
function completeFrames(text) {
  const lines = text.split('\n');
  let i = 0, end = 0;
  while (i < lines.length && /^\s*\d+\s*$/.test(lines[i])) {
    const n = Number(lines[i]);
    // complete only if a newline follows its last atom line (split then yields one more element)
    if (i + 2 + n >= lines.length) break;
    i += 2 + n;
    end = i;
  }
  return lines.slice(0, end).join('\n') + '\n';
}

const files = readdirSync(here).filter((f) => /^chunk-seed.*\.extxyz$/.test(f)).sort();
/** The frames of an extended XYZ text (each with its trailing newline). */
function frames(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length && /^\s*\d+\s*$/.test(lines[i]); ) {
    const n = Number(lines[i]);
    out.push(lines.slice(i, i + 2 + n).join('\n') + '\n');
    i += 2 + n;
  }
  return out;
}
const heldOut = (frame) => Number(frame.split('\n')[1].match(/(?:^|\s)index=(\d+)/)?.[1] ?? -1) % 5 === 4;
const data = files.flatMap((f) => {
  const kept = frames(completeFrames(readFileSync(join(here, f), 'utf8'))).filter((fr) => all || !heldOut(fr));
  return kept.length ? readDataset(kept.join(''), f) : [];
});
const k = await loadKernels();
const fold = new Int32Array(data.length);
seededPermutation(k, data.length, 1, 5).forEach((c, rank) => (fold[c] = rank % K));
console.log(`${data.length} configurations (${all ? 'all frames' : 'training split'} of ${files.join(', ')}), ${K}-fold cross-validation`);

const results = [];
for (const rcut of rcuts) for (const radialSize of radials) for (const speciesPenalty of penalties) for (const level of levels) {
  const pairRadial = pairArg === undefined ? radialSize : Number(pairArg);
  const basis = MtpBasis.create(k, { species: ['S', 'H'], level, rcut, rmin: 0.5, radialSize, pairRadial, speciesPenalty });
  const pooled = { energy: { ref: [], pred: [] }, forces: { ref: [], pred: [] }, stress: { ref: [], pred: [] } };
  const t0 = performance.now();
  for (let f = 0; f < K; f++) {
    const train = data.filter((_, c) => fold[c] !== f);
    const test = data.filter((_, c) => fold[c] === f);
    const fit = trainLinear(k, basis, train, { seed: 1, weights });
    const p = parityData(basis, fit.theta, test);
    for (const key of ['energy', 'forces', 'stress']) {
      pooled[key].ref.push(...p[key].ref);
      pooled[key].pred.push(...p[key].pred);
    }
  }
  const e = fitErrors(pooled, data.reduce((a, c) => a + c.structure.natoms, 0));
  results.push({ level, radialSize, pairRadial, speciesPenalty, weights, nParams: basis.nParams, rcut, folds: K, configs: data.length, split: all ? 'all' : 'training', errors: e, seconds: (performance.now() - t0) / 1000 });
  console.log(
    `level ${level}, radial ${radialSize}/${pairRadial}, Δ ${speciesPenalty}, R_cut ${rcut} (${basis.nParams} parameters): E ${e.energyRmse.toFixed(2)} meV/atom, F ${e.forceRmse.toFixed(3)} eV/Å ` +
      `(${((100 * e.forceRmse) / e.forceRms).toFixed(1)} % of ${e.forceRms.toFixed(2)}), σ ${e.stressRmse.toFixed(2)} GPa  [${((performance.now() - t0) / 1000).toFixed(0)} s]`,
  );
  basis.dispose();
}
mkdirSync(join(here, 'fit'), { recursive: true });
writeFileSync(arg('--out', join(here, 'fit/crossvalidation.json')), JSON.stringify({ files, results }, null, 1) + '\n');
