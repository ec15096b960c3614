// Pick the search endpoints worth labelling (physics.md 8 stage B, 6.6): from the journals of
// `anharm search` runs driven by an MLIP model, (1) the lowest-enthalpy unique structures per pressure
// (Oganov-Valle duplicates removed), (2) up to --cap more chosen by MaxVol against the model's active set
// (highest grade first), (3) up to --failed failed relaxations; all only among structures whose
// shortest H-H, S-H, S-S are >= --hhmin, --shmin, --ssmin Å (closer contacts overlap the PAW spheres). Writes them as extended XYZ with a unique `key` (PREFIX-p<P>-<id>) and prints a table of
// every endpoint (pressure, id, status, H/atom, grade, shortest H-H / S-H).
//
//   node data/h3s-pbe/small/select.mjs MODEL.json OUT.extxyz SEARCHDIR... [--prefix r1] [--low 3]
//        [--cap 8] [--failed 3] [--hhmin 0.5] [--shmin 0.85] [--ssmin 1.3] [--vmin 2.7]
// A selected structure collapsed below --vmin Å³/atom (thousands of GPa in DFT: useless labels that would
// dominate the least squares) is scaled up to --vmin before labelling (kind ...-rescaled).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { loadKernels } = await import(join(root, 'dist/src/node/kernels.js'));
const { loadMlipModel } = await import(join(root, 'dist/src/node/mlip.js'));
const { fingerprint, isDuplicate } = await import(join(root, 'dist/src/search/fingerprint.js'));
const { writeExtxyz } = await import(join(root, 'dist/src/io/extxyz.js'));
const { Structure } = await import(join(root, 'dist/src/structure/structure.js'));

const args = process.argv.slice(2);
const flags = new Map();
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) flags.set(args[i].slice(2), args[++i]);
  else pos.push(args[i]);
}
const [modelPath, out, ...dirs] = pos;
const prefix = flags.get('prefix') ?? 'r1';
const nLow = Number(flags.get('low') ?? 3);
const cap = Number(flags.get('cap') ?? 8);
const nFailed = Number(flags.get('failed') ?? 3);
const hhmin = Number(flags.get('hhmin') ?? 0.5);
const shmin = Number(flags.get('shmin') ?? 0.85);
const vmin = Number(flags.get('vmin') ?? 2.7);
const ssmin = Number(flags.get('ssmin') ?? 1.3);
const physical = (x) => x.hh >= hhmin && x.sh >= shmin && x.ss >= ssmin;

const k = await loadKernels();
const model = await loadMlipModel(modelPath, { kernels: k });

function shortest(s) {
  // shortest H-H and S-H distances with periodic images (cells here are small: images within ±2)
  const cart = s.cartesian();
  const c = s.cell;
  let hh = Infinity, sh = Infinity, ss = Infinity, any = Infinity;
  for (let i = 0; i < s.natoms; i++)
    for (let j = i; j < s.natoms; j++)
      for (let a = -2; a <= 2; a++)
        for (let b = -2; b <= 2; b++)
          for (let e = -2; e <= 2; e++) {
            if (i === j && a === 0 && b === 0 && e === 0) continue;
            let r2 = 0;
            for (let q = 0; q < 3; q++) {
              const d = cart[3 * j + q] + a * c[q] + b * c[3 + q] + e * c[6 + q] - cart[3 * i + q];
              r2 += d * d;
            }
            const r = Math.sqrt(r2);
            const pair = [s.species[i], s.species[j]].sort().join('-');
            if (pair === 'H-H') hh = Math.min(hh, r);
            else if (pair === 'H-S') sh = Math.min(sh, r);
            else if (pair === 'S-S') ss = Math.min(ss, r);
            any = Math.min(any, r);
          }
  return { hh, sh, ss, any };
}

const ends = [];
for (const dir of dirs) {
  for (const line of readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (r.t !== 'relax') continue;
    const s = new Structure({ cell: r.cell, species: r.species, frac: r.frac });
    const d = shortest(s);
    let grade = Infinity;
    try {
      grade = model.grade(k, s).grade;
    } catch (e) {
      grade = Infinity;
    }
    ends.push({ dir, p: r.p, id: r.id, status: r.status, failure: r.failure, H: r.H === null ? NaN : r.H / s.natoms, s, grade, ...d });
  }
}
const chosen = new Map();
const key = (x) => `${prefix}-p${x.p}-${x.id}`;
// (1) lowest unique per pressure
for (const p of [...new Set(ends.map((x) => x.p))]) {
  const ok = ends.filter((x) => x.p === p && x.status !== 'failed' && Number.isFinite(x.H) && physical(x)).sort((a, b) => a.H - b.H);
  const uniq = [];
  for (const x of ok) {
    x.fp = fingerprint(x.s);
    if (uniq.some((u) => isDuplicate({ fp: u.fp, enthalpyPerAtom: u.H }, { fp: x.fp, enthalpyPerAtom: x.H }))) continue;
    uniq.push(x);
    if (uniq.length >= nLow) break;
  }
  for (const x of uniq) chosen.set(key(x), { ...x, why: 'low' });
}
// (2) MaxVol selection among the rest that the model can evaluate
const pool = ends.filter((x) => !chosen.has(key(x)) && Number.isFinite(x.grade) && physical(x));
if (pool.length && cap > 0) {
  const sel = model.select(k, pool.map((x) => x.s), { cap, minGrade: 1.0 });
  for (const i of sel.selected) chosen.set(key(pool[i]), { ...pool[i], why: 'maxvol' });
}
// (3) failed relaxations, physical enough to label
const failed = ends.filter((x) => x.status === 'failed' && !chosen.has(key(x)) && physical(x)).slice(0, nFailed);
for (const x of failed) chosen.set(key(x), { ...x, why: 'failed' });

const fmt = (v, n = 3) => (Number.isFinite(v) ? v.toFixed(n) : String(v));
for (const x of ends.sort((a, b) => a.p - b.p || a.H - b.H)) {
  const c = chosen.get(key(x));
  console.log(`${x.p} ${x.id} ${x.status}${x.failure ? ` (${x.failure.slice(0, 60)})` : ''} H=${fmt(x.H, 4)} grade=${fmt(x.grade, 1)} HH=${fmt(x.hh)} SH=${fmt(x.sh)} n=${x.s.natoms}${c ? ` <- ${c.why}` : ''}`);
}
const { scaleToVolume } = await import(join(root, 'dist/src/search/constraints.js'));
const frames = [...chosen.entries()].map(([kk, x]) => ({
  structure: x.s.volume / x.s.natoms < vmin ? scaleToVolume(x.s, vmin * x.s.natoms) : x.s,
  info: { key: kk, kind: x.s.volume / x.s.natoms < vmin ? `${x.why}-rescaled` : x.why, pressure: x.p, status: x.status, mlip_h: Number.isFinite(x.H) ? x.H : -1, grade: Number.isFinite(x.grade) ? x.grade : -1 },
}));
writeFileSync(out, writeExtxyz(frames));
console.error(`${ends.length} endpoints, ${frames.length} selected -> ${out}`);
