// One real DFT path end to end: GPAW (Debian gpaw + gpaw-data, PBE, plane waves 200 eV, 2×2×2 k)
// on a 2-atom silicon cell, driven by ASE's SocketClient as an i-PI client of our IpiServer. The
// energies, forces and stresses that arrive through the server (Hartree, bohr, virial on the wire;
// eV, Å, tensile-positive stress in our API) must equal the same GPAW calculations run directly by
// ASE afterwards in the same Python process from scratch (test/fixtures/scripts/ipi_gpaw_client.py),
// and the numbers GPAW computed inside the socket client; the cell and positions that arrived at
// the engine must equal what the server sent.
// Fails (never skips) without GPAW.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpiServer } from '../../src/node/ipi-server.js';
import { Structure } from '../../src/structure/structure.js';
import { fixturePath } from '../helpers/fixtures.js';
import { PYTHON, requirePython } from '../helpers/processes.js';
import { TMP, within } from './helpers.js';

const INSTALL_HINT = 'The GPAW i-PI test needs Debian packages gpaw and gpaw-data: apt-get install -y --no-install-recommends gpaw gpaw-data python3-ase';

/**
 * Diamond Si primitive cell at a = 5.30 Å (compressed: PBE's a ≈ 5.47 Å), sheared by a small
 * general strain, second atom displaced: non-zero forces, a full and compressive stress.
 */
function silicon(strain: number[], shift: number[]): Structure {
  const a = 5.3;
  const fcc = [[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]];
  const F = [[1 + strain[0], strain[3], strain[4]], [0, 1 + strain[1], strain[5]], [0, 0, 1 + strain[2]]];
  const cell = fcc.flatMap((r) => [0, 1, 2].map((j) => r[0] * F[0][j] + r[1] * F[1][j] + r[2] * F[2][j]));
  const s = new Structure({ cell, species: ['Si', 'Si'], frac: [0, 0, 0, 0.25, 0.25, 0.25] });
  const x = s.cartesian();
  for (let c = 0; c < 3; c++) x[3 + c] += shift[c];
  return s.with({ cartesian: x });
}

describe('IpiServer with GPAW through ASE SocketClient (one real PBE DFT single point)', () => {
  it('energy, forces and stress through the server equal GPAW run directly; compressed cell → compressive stress', async () => {
    requirePython(['ase', 'gpaw', 'numpy'], INSTALL_HINT);
    const structures = [silicon([0.01, -0.02, 0, 0.02, 0, 0.01], [0.08, -0.05, 0.03])];
    const file = join(TMP, 'gpaw-structures.json');
    const rows = (v: ArrayLike<number>) => [0, 1, 2].map((i) => [v[3 * i], v[3 * i + 1], v[3 * i + 2]]);
    writeFileSync(file, JSON.stringify(structures.map((s) => ({
      symbols: s.species,
      cell: rows(s.cell),
      positions: Array.from({ length: s.natoms }, (_, i) => Array.from(s.cartesian().subarray(3 * i, 3 * i + 3))),
    }))));

    const server = await IpiServer.listen({ port: 0, timeout: 60 });
    const py = spawn(PYTHON, [fixturePath('scripts/ipi_gpaw_client.py'), '--port', String(server.port), '--structures', file, '--ecut', '200', '--kpts', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    let out = '', err = '';
    py.stdout.on('data', (d) => (out += d));
    py.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => py.on('exit', r));
    let got;
    try {
      await within(Promise.race([server.waitForClients(1, 60), exited.then(() => { throw new Error(`GPAW client exited early: ${err}`); })]), 60_000, 'GPAW client');
      got = await within(server.compute(structures, { stress: true }), 90_000, 'GPAW compute');
    } finally {
      await server.close();
    }
    expect(await within(exited, 90_000, 'GPAW direct run'), err).toBe(0);
    const ref = JSON.parse(out.trim().split('\n').pop()!) as {
      configurations: number; gpaw: string; ase: string; socket_seconds: number; direct_seconds: number;
      received: { cell: number[][]; positions: number[][]; energy: number; forces: number[][]; stress: number[][] }[];
      direct: { energy: number; forces: number[][]; stress: number[][] }[];
    };
    expect(ref.configurations).toBe(structures.length);

    let dE = 0, dF = 0, dS = 0, dX = 0;
    got.forEach((g, k) => {
      // POSDATA: the engine got our cell (rows = lattice vectors) and Cartesian positions, in Å
      const rcv = ref.received[k], s = structures[k], x = s.cartesian();
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) dX = Math.max(dX, Math.abs(rcv.cell[i][j] - s.cell[3 * i + j]));
      for (let i = 0; i < s.natoms; i++) for (let c = 0; c < 3; c++) dX = Math.max(dX, Math.abs(rcv.positions[i][c] - x[3 * i + c]));
      // FORCEREADY: what arrived equals what GPAW computed in the engine and in a fresh direct run
      expect(g.info?.engine).toBe('i-pi');
      for (const d of [rcv, ref.direct[k]]) {
        dE = Math.max(dE, Math.abs(g.energy - d.energy));
        for (let i = 0; i < 2; i++) for (let c = 0; c < 3; c++) dF = Math.max(dF, Math.abs(g.forces[3 * i + c] - d.forces[i][c]));
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) dS = Math.max(dS, Math.abs(g.stress![3 * i + j] - d.stress[i][j]));
      }
      // the DFT numbers are real ones: a PBE Si₂ energy (GPAW's reference: isolated atoms), forces
      // of ~1 eV/Å from the 0.1 Å displacement, summing to zero; a compressed cell pushes outwards
      // (tensile-positive convention: negative trace, about −15 GPa here)
      expect(g.energy).toBeGreaterThan(-12);
      expect(g.energy).toBeLessThan(-8);
      expect(Math.max(...Array.from(g.forces, Math.abs))).toBeGreaterThan(0.3);
      for (let c = 0; c < 3; c++) expect(Math.abs(g.forces[c] + g.forces[3 + c])).toBeLessThan(1e-3);
      const trace = g.stress![0] + g.stress![4] + g.stress![8];
      expect(trace).toBeLessThan(-0.1);
      expect(Math.abs(g.stress![1] - g.stress![3])).toBeLessThan(1e-6);
    });
    const fmt = (x: number) => x.toExponential(1);
    console.log(
      `GPAW ${ref.gpaw} (ASE ${ref.ase}) through IpiServer vs direct: |Δx| ${fmt(dX)} Å, |ΔE| ${fmt(dE)} eV, |ΔF| ${fmt(dF)} eV/Å, |Δσ| ${fmt(dS)} eV/Å³; ` +
        `E = ${got.map((g) => g.energy.toFixed(6)).join(', ')} eV; socket ${ref.socket_seconds.toFixed(1)} s, direct ${ref.direct_seconds.toFixed(1)} s`,
    );
    // a unit slip of ASE's CODATA 2014 size (8e-9 relative: 8e-8 eV here) or a sign error fails these
    expect(dX).toBeLessThan(1e-13);
    expect(dE).toBeLessThan(1e-9);
    expect(dF).toBeLessThan(1e-8);
    expect(dS).toBeLessThan(1e-9);
  });
});
