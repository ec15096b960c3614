// Energy + forces (+ stress) of large systems: our WebAssembly Lennard-Jones (fcc argon, cutoff 8.5 Å)
// and Stillinger-Weber (diamond Si, LAMMPS' Si.sw) against serial LAMMPS on the same configuration.
// Run: npx tsc -p . && node dist/bench/potentials.bench.js      (env BENCH_QUICK=1: 10^4 atoms only)
//
// Timings per energy+force+virial evaluation:
// - ours "list reused": repeated calls on the same configuration; the Verlet list (skin 0.5 Å) is only
//   checked (nl_refresh), never rebuilt. "list rebuilt": alternating two cells that differ by a 1e-9
//   relative scaling, which forces a full rebuild (cell list, ghost atoms, pair list) on every call.
// - LAMMPS: `run N` without any integrator fix (atoms do not move, forces are recomputed every step),
//   with `thermo 1` asking for pe and press at every step so that energy and virial are computed
//   (eflag/vflag) like ours. "reused": neigh_modify every 1 delay 0 check yes (no atom moves, so no
//   rebuild); "rebuilt": check no (a rebuild on every step). Reported: the loop time per step (what a
//   step costs in total: Pair + Neigh + Comm + Output + Other) and the Pair time per step alone; the
//   ratio ours/LAMMPS uses the loop time. Same neighbour skin (0.5 Å, `neighbor 0.5 bin`).
// LAMMPS is Debian's `lammps` package (binary lmp or lmp_serial), one MPI rank, OMP_NUM_THREADS=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LennardJonesCalculator } from '../src/calculators/lennard-jones.js';
import { StillingerWeberCalculator } from '../src/calculators/stillinger-weber.js';
import type { NeighborListCalculator } from '../src/calculators/wasm-calculator.js';
import { loadKernels } from '../src/node/kernels.js';
import { Structure } from '../src/structure/structure.js';
import { lcg, measure, report, type ResultRow } from './lib.js';
import { fileReader } from '../src/node/potentials.js';

const QUICK = !!process.env.BENCH_QUICK;
const POT_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../test/fixtures/potentials/' : '../test/fixtures/potentials/', import.meta.url));

const FCC = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
const DIAMOND = [...FCC, ...FCC.map((p) => p.map((x) => x + 0.25))];

/** n×n×n cubic supercell with deterministic displacements (≤ 0.05 Å per component). */
function crystal(basis: number[][], a: number, n: number, species: string, seed: number): Structure {
  const frac: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) for (const b of basis) frac.push((b[0] + i) / n, (b[1] + j) / n, (b[2] + k) / n);
  const L = a * n;
  const r = lcg(seed);
  const s = new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: Array(frac.length / 3).fill(species), frac });
  return s.with({ cartesian: s.cartesian().map((x) => x + 0.1 * r()) });
}

// ------------------------------------------------------------------------------------------------
// LAMMPS peer

function findLammps(): { bin?: string; reason?: string } {
  const which = (b: string) => spawnSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' }).stdout.trim();
  let bin = which('lmp_serial') || which('lmp');
  if (!bin) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) return { reason: 'LAMMPS (lmp or lmp_serial) is not installed and we are not root to apt-get install lammps' };
    try {
      console.log('# installing Debian lammps for the LAMMPS peer');
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lammps'], { stdio: 'inherit' });
    } catch {
      /* reported below */
    }
    bin = which('lmp_serial') || which('lmp');
    if (!bin) return { reason: 'apt-get install lammps failed' };
  }
  return { bin };
}

function writeData(path: string, s: Structure, mass: number): void {
  const L = s.cell[0];
  const x = s.cartesian();
  const lines = [`# ${s.natoms} atoms written by bench/potentials.bench.ts`, '', `${s.natoms} atoms`, '1 atom types', '',
    `0 ${L} xlo xhi`, `0 ${L} ylo yhi`, `0 ${L} zlo zhi`, '', 'Masses', '', `1 ${mass}`, '', 'Atoms # atomic', ''];
  for (let i = 0; i < s.natoms; i++) {
    const w = (v: number) => ((v % L) + L) % L;
    lines.push(`${i + 1} 1 ${w(x[3 * i])} ${w(x[3 * i + 1])} ${w(x[3 * i + 2])}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

interface LammpsTiming {
  loopMs: number;
  pairMs: number;
  neighMs: number;
  /** Energy of the configuration (eV) as LAMMPS reports it at step 0. */
  pe: number;
  version: string;
}

function runLammps(bin: string, dir: string, pair: string[], steps: number, rebuild: boolean): LammpsTiming {
  const input = [
    'units metal', 'atom_style atomic', 'boundary p p p', 'read_data data.lmp',
    ...pair,
    'neighbor 0.5 bin', `neigh_modify every 1 delay 0 check ${rebuild ? 'no' : 'yes'}`,
    'thermo_style custom step pe press', 'thermo_modify flush no format float %.12g', 'thermo 1',
    'run 0', `run ${steps}`,
  ];
  writeFileSync(join(dir, 'in.bench'), input.join('\n') + '\n');
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  const r = spawnSync(bin, ['-in', 'in.bench', '-log', 'log.lammps', '-screen', 'none', '-nocite'], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`LAMMPS failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  const log = readFileSync(join(dir, 'log.lammps'), 'utf8');
  const version = /LAMMPS \(([^)]+)\)/.exec(log)?.[1] ?? 'unknown';
  // the last run's timing block
  const loops = [...log.matchAll(/Loop time of ([\d.eE+-]+) on (\d+) procs for (\d+) steps/g)];
  const last = loops[loops.length - 1];
  const loop = Number(last[1]);
  const n = Number(last[3]);
  const tail = log.slice(last.index!);
  const row = (name: string) => Number(new RegExp(`^${name}\\s*\\|\\s*([\\d.eE+-]+)\\s*\\|\\s*([\\d.eE+-]+)`, 'm').exec(tail)?.[2] ?? NaN);
  const pe = Number(/^\s*Step\s+PotEng\s+Press\s*\n\s*0\s+(\S+)/m.exec(log)?.[1] ?? NaN);
  return { loopMs: (loop / n) * 1e3, pairMs: (row('Pair') / n) * 1e3, neighMs: (row('Neigh') / n) * 1e3, pe, version };
}

// ------------------------------------------------------------------------------------------------

interface System {
  name: string;
  structure: Structure;
  calc: NeighborListCalculator;
  lammpsPair: string[];
  mass: number;
  files?: string[];
}

async function main(): Promise<void> {
  const k = await loadKernels();
  const lmp = findLammps();
  if (!lmp.bin) console.log(`# LAMMPS peer skipped: ${lmp.reason}`);
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  let version = '';

  const systems: System[] = [];
  const ljSizes = QUICK ? [14] : [14, 29]; // 10 976 and 97 556 atoms
  const swSizes = QUICK ? [11] : [11, 23]; // 10 648 and 97 336 atoms
  for (const n of ljSizes) {
    systems.push({
      name: 'LJ fcc Ar',
      structure: crystal(FCC, 5.26, n, 'Ar', 7 + n),
      calc: new LennardJonesCalculator(k, { type: 'lennard-jones', skin: 0.5, pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] }),
      lammpsPair: ['pair_style lj/cut 8.5', 'pair_coeff 1 1 0.0104 3.4', 'pair_modify shift yes'],
      mass: 39.948,
    });
  }
  for (const n of swSizes) {
    systems.push({
      name: 'SW diamond Si',
      structure: crystal(DIAMOND, 5.431, n, 'Si', 11 + n),
      calc: new StillingerWeberCalculator(k, { type: 'stillinger-weber', file: 'Si.sw', skin: 0.5 }, 'bench', fileReader(POT_DIR)),
      lammpsPair: ['pair_style sw', 'pair_coeff * * Si.sw Si'],
      mass: 28.0855,
      files: ['Si.sw'],
    });
  }

  for (const sys of systems) {
    const s = sys.structure;
    const natoms = s.natoms;
    // a second cell 1e-9 larger: alternating forces a rebuild on every call
    const s2 = s.with({ cell: s.cell.map((x) => x * (1 + 1e-9)) });
    const e0 = sys.calc.computeOne(s).energy;
    const b0 = sys.calc.listBuilds;
    const reused = await measure(() => sys.calc.computeOne(s), { minTimeMs: 1500, minIterations: 5 });
    const rebuildsWhileReused = sys.calc.listBuilds - b0;
    let flip = false;
    const rebuilt = await measure(() => {
      flip = !flip;
      return sys.calc.computeOne(flip ? s2 : s);
    }, { minTimeMs: 1500, minIterations: 5 });

    let lr: LammpsTiming | null = null, lb: LammpsTiming | null = null;
    if (lmp.bin) {
      const dir = mkdtempSync(join(tmpdir(), 'lmp-bench-'));
      try {
        writeData(join(dir, 'data.lmp'), s, sys.mass);
        for (const f of sys.files ?? []) copyFileSync(join(POT_DIR, f), join(dir, f));
        const steps = Math.max(5, Math.round((QUICK ? 5e5 : 1.5e6) / natoms));
        lr = runLammps(lmp.bin, dir, sys.lammpsPair, steps, false);
        lb = runLammps(lmp.bin, dir, sys.lammpsPair, steps, true);
        version = lr.version;
        notes.push(`${sys.name} ${natoms} atoms: E ours ${e0.toFixed(6)} eV, LAMMPS ${lr.pe} eV (|ΔE|/N = ${(Math.abs(e0 - lr.pe) / natoms).toExponential(1)} eV); LAMMPS ${steps} steps per run`);
      } catch (e) {
        console.log(`# LAMMPS peer failed for ${sys.name}: ${(e as Error).message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    for (const [mode, ours, peer] of [['list reused', reused, lr], ['list rebuilt', rebuilt, lb]] as const) {
      rows.push({
        system: sys.name,
        atoms: natoms,
        list: mode,
        'ours ms': r3(ours.ms),
        'ours µs/atom': r3((ours.ms * 1e3) / natoms),
        'LAMMPS loop ms': peer ? r3(peer.loopMs) : null,
        'LAMMPS pair ms': peer ? r3(peer.pairMs) : null,
        'LAMMPS neigh ms': peer ? r3(peer.neighMs) : null,
        'ours/LAMMPS': peer ? r2(ours.ms / peer.loopMs) : null,
        'ours/LAMMPS pair': peer ? r2(ours.ms / peer.pairMs) : null,
      });
    }
    if (rebuildsWhileReused !== 0) notes.push(`warning: ${sys.name} ${natoms}: ${rebuildsWhileReused} rebuilds in the reused case`);
    sys.calc.dispose();
  }
  notes.unshift(
    'per energy+forces+virial evaluation; ours: median of repeated computeOne calls (WebAssembly, one thread)',
    'ours/LAMMPS: against the LAMMPS loop time per step of `run N` without integrator (thermo 1: pe and press every step); "pair" column: Pair time only',
    'list rebuilt: ours alternates two cells 1e-9 apart (full rebuild each call); LAMMPS neigh_modify check no (rebuild every step)',
    `LAMMPS ${version || 'not run'}, serial (one rank, OMP_NUM_THREADS=1), neighbor 0.5 bin; target ours/LAMMPS <= 1.5`,
  );
  report('potentials', rows, notes);
}

await main();
