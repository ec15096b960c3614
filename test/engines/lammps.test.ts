// IpiServer with Debian's LAMMPS (`lmp`, `fix ipi`) as the i-PI client: pair_style lj/cut +
// pair_modify shift yes (argon, 32 atoms, restricted-triclinic cells) against our built-in
// energy-shifted Lennard-Jones on the same structures. Fails (never skips) without LAMMPS.
//
// What LAMMPS' fix ipi does (src/MISC/fix_ipi.cpp, LAMMPS 29 Sep 2021):
// - one configuration per MD step: initial_integrate reads POSDATA, resets the box to the received
//   cell (a1 along x, a2 in the xy plane: LAMMPS' restricted triclinic form, so our cells must be
//   lower-triangular) and the positions (by atom ID), final_integrate answers GETFORCE;
// - it converts with its own 8-digit constants: 1 bohr = 0.52917721 Å (ours 0.529177210903,
//   −1.7e-9 relative) and 1 Ha = boltz/3.1668152e-6 = 8.617343e-5/3.1668152e-6 = 27.2113857 eV
//   (ours 27.211386246, −1.83e-8 relative) — so the energies we read are (1 + 1.83e-8) × LAMMPS'
//   (plus the effect of the 1.7e-9 scaling of all positions);
// - it sends only the upper triangle of the virial (xx yy zz xy xz yz at row-major indices
//   0 4 8 1 2 5; indices 3 6 7 are 0): the server mirrors it, so all nine stress components are
//   compared;
// - on EXIT it stops with `ERROR on proc 0: Got EXIT message from i-PI. Now leaving!` (error->one,
//   i.e. an MPI abort, non-zero exit status): that is its normal end, not a failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalcResult, Calculator } from '../../src/calculators/calculator.js';
import { clientCommands, type IpiTarget } from '../../src/engines/client-commands.js';
import { IpiServer } from '../../src/node/ipi-server.js';
import { loadPotential } from '../../src/node/potentials.js';
import { Structure } from '../../src/structure/structure.js';
import { AR_LJ, AR_LJ_FILE, TMP, within } from './helpers.js';

const LMP = process.env.LMP ?? (existsSync('/usr/bin/lmp') ? '/usr/bin/lmp' : 'lmp');
const INSTALL_HINT = 'The LAMMPS i-PI test needs Debian package lammps: apt-get install -y --no-install-recommends lammps (or set LMP to an lmp binary)';

/** Throw (the test FAILS, never skips) unless LMP runs; returns its version line. */
function requireLammps(): string {
  const r = spawnSync(LMP, ['-h'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) throw new Error(`cannot run ${LMP} (${r.error ? String(r.error) : `exit status ${r.status}`}). ${INSTALL_HINT}`);
  return r.stdout.split('\n').find((l) => l.includes('Simulator'))?.replace('Large-scale Atomic/Molecular Massively Parallel Simulator', 'LAMMPS').trim() ?? 'LAMMPS';
}

/** Deterministic [0, 1) numbers. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 2×2×2 fcc argon supercell (32 atoms, a ≈ 5.3 Å) in LAMMPS' restricted triclinic form:
 * rows a1 = (lx, 0, 0), a2 = (xy, ly, 0), a3 = (xz, yz, lz), random strain and tilts (|tilt| ≤ 0.1 l),
 * atoms displaced by up to ±0.15 Å.
 */
function argon(seed: number): Structure {
  const r = mulberry32(seed);
  const L = 2 * 5.3;
  const d = () => 1 + 0.08 * (r() - 0.5);
  const t = () => 0.2 * L * (r() - 0.5);
  const lx = L * d(), ly = L * d(), lz = L * d();
  const cell = [lx, 0, 0, t(), ly, 0, t(), t(), lz];
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const frac: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) for (const b of basis) frac.push((i + b[0]) / 2, (j + b[1]) / 2, (k + b[2]) / 2);
  const s0 = new Structure({ cell, species: Array.from({ length: 32 }, () => 'Ar'), frac });
  return s0.with({ cartesian: s0.cartesian().map((v) => v + 0.3 * (r() - 0.5)) });
}

/** LAMMPS data file with the atoms of `s` (IDs 1…N in our order, type 1 = Ar); fix ipi replaces box and positions anyway. */
function dataFile(s: Structure): string {
  const c = s.cell;
  const x = s.wrapped().cartesian();
  const lines = ['LAMMPS data written by test/engines/lammps.test.ts', '', `${s.natoms} atoms`, '1 atom types', '',
    `0.0 ${c[0]} xlo xhi`, `0.0 ${c[4]} ylo yhi`, `0.0 ${c[8]} zlo zhi`, `${c[3]} ${c[6]} ${c[7]} xy xz yz`, '', 'Masses', '', '1 39.948', '', 'Atoms # atomic', ''];
  for (let i = 0; i < s.natoms; i++) lines.push(`${i + 1} 1 ${x[3 * i]} ${x[3 * i + 1]} ${x[3 * i + 2]}`);
  return lines.join('\n') + '\n';
}

/**
 * LAMMPS input: metal units, lj/cut + shift with the AR_LJ parameters, then the `fix ipi` lines that
 * `anharm engines clients` prints for this server (so the printed lines are tested with LAMMPS).
 */
function inputFile(target: IpiTarget): string {
  const p = AR_LJ.pairs[0];
  const printed = clientCommands(target).lammps.split('\n').filter((l) => !l.startsWith('#'));
  expect(printed[0]).toMatch(/^fix 1 all ipi /);
  return [
    'units metal', 'atom_style atomic', 'boundary p p p', 'read_data data.lmp',
    `pair_style lj/cut ${p.cutoff}`, `pair_coeff 1 1 ${p.epsilon} ${p.sigma}`, 'pair_modify shift yes',
    'neighbor 1.0 bin',
    'thermo 1', 'thermo_style custom step pe press',
    ...printed, // fix ipi; neigh_modify every 1 delay 0 check no (unrelated configurations); run until EXIT
    '',
  ].join('\n');
}

/** Start `lmp` in its own temp dir (data + input files), stdout/stderr collected. */
function startLammps(name: string, s: Structure, target: IpiTarget) {
  const dir = join(TMP, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.lmp'), dataFile(s));
  writeFileSync(join(dir, 'in.lmp'), inputFile(target));
  const p = spawn(LMP, ['-in', 'in.lmp', '-log', 'log.lammps'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
  return { p, out: () => out, exited, log: () => (existsSync(join(dir, 'log.lammps')) ? readFileSync(join(dir, 'log.lammps'), 'utf8') : '') };
}

// the components LAMMPS sends (row-major indices of xx yy zz xy xz yz); 3 6 7 arrive as 0
const UPPER = [0, 1, 2, 3, 4, 5, 6, 7, 8]; // all components (the server mirrors LAMMPS' upper triangle)
const MIRROR: [number, number][] = [[1, 3], [2, 6], [5, 7]];

function compare(got: CalcResult[], ref: CalcResult[]) {
  const w = { energy: 0, forces: 0, stress: 0 };
  got.forEach((g, i) => {
    const r = ref[i];
    w.energy = Math.max(w.energy, Math.abs(g.energy - r.energy) / Math.abs(r.energy));
    const fs = Math.max(...Array.from(r.forces, Math.abs));
    for (let k = 0; k < r.forces.length; k++) w.forces = Math.max(w.forces, Math.abs(g.forces[k] - r.forces[k]) / fs);
    const ss = Math.max(...Array.from(r.stress!, Math.abs));
    for (const k of UPPER) w.stress = Math.max(w.stress, Math.abs(g.stress![k] - r.stress![k]) / ss);
  });
  return w;
}

let lj: Calculator;
let version = '';
beforeAll(async () => {
  lj = await loadPotential(AR_LJ_FILE);
});

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(report.join('\n'));
});

async function runWithLammps(kind: 'tcp' | 'unix', n: number, seed0: number) {
  version ||= requireLammps();
  const unixName = `anharm-lmp-${process.pid}`;
  const server = await IpiServer.listen(kind === 'tcp' ? { port: 0, timeout: 30 } : { unix: unixName, timeout: 30 });
  const structures = Array.from({ length: n }, (_, i) => argon(seed0 + i));
  const t0 = performance.now();
  const target: IpiTarget = kind === 'tcp' ? { host: '127.0.0.1', port: server.port! } : { unix: unixName };
  const lmp = startLammps(`${kind}-${seed0}`, structures[0], target);
  let got: CalcResult[];
  try {
    await within(Promise.race([server.waitForClients(1, 30), lmp.exited.then((c) => { throw new Error(`lmp exited (${c}) before connecting:\n${lmp.out()}`); })]), 30_000, 'LAMMPS connecting');
    got = await within(server.compute(structures, { stress: true }), 60_000, 'compute');
  } finally {
    await server.close(); // sends EXIT
    const timer = setTimeout(() => lmp.p.kill('SIGKILL'), 15_000); // never leave lmp behind
    await lmp.exited;
    clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const code = await lmp.exited;
  // LAMMPS' normal end on EXIT: an error->one with this message (non-zero exit status)
  expect(lmp.out() + lmp.log(), `lmp output:\n${lmp.out()}`).toMatch(/Got EXIT message from i-PI/);
  const ref = await lj.compute(structures, { stress: true });
  return { got, ref, seconds, code, structures };
}

// LAMMPS' constants (fix_ipi.cpp) and ours (physics.md 1.2)
const BOHR_LMP = 0.52917721, HA_LMP = 8.617343e-5 / 3.1668152e-6; // boltz (metal) / k_B in Ha/K
const BOHR = 0.529177210903, HA = 27.211386246;
const S = BOHR_LMP / BOHR; // LAMMPS evaluates the structure scaled by S = 1 − 1.7e-9
const H = HA / HA_LMP; // and we read its eV as H = 1 + 1.83e-8 of ours

/**
 * What the server must report for LAMMPS' numbers, predicted from the built-in potential: LAMMPS
 * sees positions and cell × S; we get E·H, F·H·S, and σ = −W/Ω with W·H and our volume (= its / S³).
 */
async function predicted(structures: Structure[]): Promise<CalcResult[]> {
  const scaled = structures.map((s) => s.with({ cell: s.cell.map((v) => v * S) }));
  const r = await lj.compute(scaled, { stress: true });
  return r.map((x) => ({ ...x, energy: x.energy * H, forces: x.forces.map((v) => v * H * S), stress: x.stress!.map((v) => v * H * S ** 3) }));
}

describe('IpiServer with LAMMPS (fix ipi, pair_style lj/cut + pair_modify shift yes)', () => {
  it('TCP: energies, forces and stresses of 12 triclinic argon cells equal our built-in Lennard-Jones (exactly, once LAMMPS\' 8-digit unit constants are applied)', async () => {
    const { got, ref, seconds, code, structures } = await runWithLammps('tcp', 12, 300);
    expect(got).toHaveLength(structures.length);
    for (const g of got) {
      expect(g.info?.engine).toBe('i-pi');
      expect(g.info?.client).toMatch(/^#\d+ \(127\.0\.0\.1:\d+\)$/);
      expect(g.info?.extra).toBeUndefined(); // LAMMPS sends an empty extra string
    }
    const raw = compare(got, ref);
    const exact = compare(got, await predicted(structures));
    let asym = 0;
    let offdiag = 0;
    for (const g of got)
      for (const [u, l] of MIRROR) {
        asym = Math.max(asym, Math.abs(g.stress![u] - g.stress![l]));
        offdiag = Math.max(offdiag, Math.abs(g.stress![u]));
      }
    expect(asym).toBe(0); // symmetric stress, lower triangle mirrored from what LAMMPS sends
    expect(offdiag).toBeGreaterThan(0); // the cells are sheared: the off-diagonal terms are real
    report.push(
      `${version}, fix ipi over TCP, ${structures.length} configurations in ${seconds.toFixed(2)} s (lmp exit status ${code}):\n` +
        `  vs built-in:                      E ${raw.energy.toExponential(2)}, F ${raw.forces.toExponential(2)}, σ ${raw.stress.toExponential(2)}\n` +
        `  vs built-in with LAMMPS' constants: E ${exact.energy.toExponential(2)}, F ${exact.forces.toExponential(2)}, σ ${exact.stress.toExponential(2)}\n` +
        `  σ off-diagonal up to ${offdiag.toExponential(2)} eV/Å³, lower triangle mirrored (LAMMPS sends the upper triangle only)`,
    );
    // 1. With LAMMPS' constants applied to the built-in potential, only floating-point summation
    //    order is left.
    expect(exact.energy).toBeLessThan(1e-12);
    expect(exact.forces).toBeLessThan(1e-11);
    expect(exact.stress).toBeLessThan(1e-11);
    // 2. Against the built-in potential itself (what a user sees): the energy is off by the Hartree
    //    ratio H − 1 = 1.83e-8 plus the 1.7e-9 scaling of all positions times 3PV/E (seen: 1.9e-8);
    //    forces and stresses by H − 1 plus that scaling amplified by (force constants × distance) /
    //    force and (elastic constants) / stress — large for these near-equilibrium cells
    //    (seen: F 4.6e-8, σ 2.9e-7). Bounds with headroom; the exact check above is the real test.
    expect(raw.energy).toBeLessThan(5e-8);
    expect(raw.forces).toBeLessThan(5e-7);
    expect(raw.stress).toBeLessThan(5e-6);
  }, 120_000);

  it('UNIX socket (fix ipi NAME PORT unix): same results', async () => {
    const { got, structures, seconds } = await runWithLammps('unix', 4, 400);
    for (const g of got) expect(g.info?.client).toMatch(/unix/);
    const exact = compare(got, await predicted(structures));
    report.push(`fix ipi over a UNIX socket, 4 configurations in ${seconds.toFixed(2)} s, vs built-in with LAMMPS' constants: E ${exact.energy.toExponential(2)}, F ${exact.forces.toExponential(2)}, σ ${exact.stress.toExponential(2)}`);
    expect(exact.energy).toBeLessThan(1e-12);
    expect(exact.forces).toBeLessThan(1e-11);
    expect(exact.stress).toBeLessThan(1e-11);
  }, 120_000);
});
