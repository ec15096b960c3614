// The GPAW reference engine of `anharm run --reference gpaw` (src/node/gpaw-reference.ts): it starts
// scripts/gpaw_ipi_client.py itself, one client per species order and k-grid. On a 2-atom silicon
// cell its free energy, forces and stress must equal GPAW run directly by ASE with the same settings
// (plane waves 200 eV, PBE, Fermi-Dirac 0.1 eV, the k-grid of the spacing, symmetry off); and a client
// that dies (here: SIGKILLed between two calls) is replaced, so the next call still answers.
// Fails (never skips) without GPAW.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpawReference, kpointGrid } from '../../src/node/gpaw-reference.js';
import { Structure } from '../../src/structure/structure.js';
import { PYTHON, requirePython } from '../helpers/processes.js';

const INSTALL_HINT = 'The GPAW reference test needs Debian packages gpaw and gpaw-data: apt-get install -y --no-install-recommends gpaw gpaw-data python3-ase';

function silicon(shift: number[]): Structure {
  const a = 5.3;
  const s = new Structure({ cell: [0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0], species: ['Si', 'Si'], frac: [0, 0, 0, 0.25, 0.25, 0.25] });
  const x = s.cartesian();
  for (let c = 0; c < 3; c++) x[3 + c] += shift[c];
  return s.with({ cartesian: x });
}

/** GPAW run directly by ASE: free energy, forces, stress (ASE's sign = ours, tensile-positive; Voigt). */
function direct(s: Structure, kpts: number[]): { energy: number; forces: number[]; stress: number[] } {
  const script = `
import json, sys
from ase import Atoms
from gpaw import GPAW, PW, FermiDirac
d = json.loads(sys.argv[1])
at = Atoms(d['symbols'], positions=d['positions'], cell=d['cell'], pbc=True)
at.calc = GPAW(mode=PW(200), xc='PBE', kpts=tuple(d['kpts']), occupations=FermiDirac(0.1), symmetry='off', txt=None)
e = at.get_potential_energy(force_consistent=True)
print(json.dumps({'energy': e, 'forces': at.get_forces().ravel().tolist(), 'stress': at.get_stress().tolist()}))
`;
  const x = s.cartesian();
  const arg = JSON.stringify({ symbols: s.species, cell: [0, 1, 2].map((i) => Array.from(s.cell.slice(3 * i, 3 * i + 3))), positions: [0, 1].map((i) => Array.from(x.slice(3 * i, 3 * i + 3))), kpts });
  return JSON.parse(execFileSync(PYTHON, ['-c', script, arg], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } }).trim().split('\n').pop()!);
}

describe('the GPAW reference engine of the loop', () => {
  it('equals GPAW run directly, and replaces a client that died', async () => {
    requirePython(['ase', 'gpaw', 'numpy'], INSTALL_HINT);
    const settings = { cutoff: 200, kspacing: 1.0, smearing: 0.1, clients: 1 };
    const ref = await gpawReference(settings, { workdir: mkdtempSync(join(tmpdir(), 'anharm-gpaw-ref-')) });
    try {
      const s1 = silicon([0.08, -0.05, 0.03]);
      const kpts = kpointGrid(s1.cell, settings.kspacing);
      const [r1] = await ref.compute([s1], { stress: true });
      const d1 = direct(s1, kpts);
      // ASE stress in Voigt order xx yy zz yz xz xy; ours 3×3 row-major
      const voigt = [r1.stress![0], r1.stress![4], r1.stress![8], r1.stress![5], r1.stress![2], r1.stress![1]];
      console.log(`Si2 (k ${kpts.join('×')}): E ${r1.energy} (reference engine) vs ${d1.energy} (direct)`);
      expect(Math.abs(r1.energy - d1.energy)).toBeLessThan(1e-6);
      for (let q = 0; q < 6; q++) expect(Math.abs(r1.forces[q] - d1.forces[q])).toBeLessThan(1e-5);
      for (let q = 0; q < 6; q++) expect(Math.abs(voigt[q] - d1.stress[q])).toBeLessThan(1e-6);

      // the client of this group dies; the next call restarts it and answers
      const killed = spawnSync('pkill', ['-KILL', '-f', `gpaw_ipi_client.py --unix anharm-gpaw-${process.pid}-`]);
      expect(killed.status).toBe(0);
      const s2 = silicon([-0.04, 0.06, 0.02]);
      const [r2] = await ref.compute([s2], { stress: true });
      const d2 = direct(s2, kpts);
      expect(Math.abs(r2.energy - d2.energy)).toBeLessThan(1e-6);
    } finally {
      await ref.dispose?.();
    }
  }, 180_000);
});
