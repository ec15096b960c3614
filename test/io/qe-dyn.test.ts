// Quantum ESPRESSO dynamical-matrix sets: real example files (test/fixtures/dyn/README.md), their own
// printed frequencies as the reference, the Rydberg-unit route against the eV/Å² route, ibrav cells
// against ASE, the real-space round trip and error messages.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eighHermitian } from '../../src/linalg/hermitian.js';
import { loadKernels } from '../../src/node/kernels.js';
import {
  AMU_TO_RY_MASS,
  BOHR_TO_ANGSTROM,
  dynModes,
  dynSetFromRealSpace,
  dynSetToRealSpace,
  gridPhi,
  ibravLattice,
  parseQeDynFile,
  parseQeDynIndex,
  phiAtGridPoint,
  readQeDynSet,
  RY_BOHR2_TO_EV_A2,
  RY_TO_CM,
  writeQeDynSet,
  type QeDynSet,
} from '../../src/io/qe-dyn.js';
import { fixturePath } from '../helpers/fixtures.js';
import { expectParseErrorMessage } from '../helpers/expect.js';

const FIX = fixturePath('dyn/');
const read = (p: string) => ({ name: FIX + p, text: readFileSync(FIX + p, 'utf8') });

interface Example {
  name: string;
  index: string;
  files: string[];
  ibrav: number;
  nat: number;
  grid: number[];
  /** false: the files disagree with their own index (1T-TiSe2: celldm(3) does not match the q points). */
  set: boolean;
}
const EXAMPLES: Example[] = [
  { name: 'H3S Im-3m, ibrav 0 (python-sscha tutorial)', index: 'h3s-ibrav0/matdyn0', files: [1, 2, 3].map((k) => `h3s-ibrav0/matdyn${k}`), ibrav: 0, nat: 4, grid: [2, 2, 2], set: true },
  { name: 'H3S Im-3m, ibrav 3 (CellConstructor test)', index: 'h3s-ibrav3/dynq0', files: [1, 2, 3].map((k) => `h3s-ibrav3/dynq${k}`), ibrav: 3, nat: 4, grid: [2, 2, 2], set: true },
  { name: 'PbTe toy model 4×4×4, ibrav 0 with Z* and ε (python-sscha tutorial)', index: 'pbte-4x4x4/PbTe.4x4x4.dyn0', files: [1, 2, 3, 4, 5, 6, 7, 8].map((k) => `pbte-4x4x4/PbTe.4x4x4.dyn${k}`), ibrav: 0, nat: 2, grid: [4, 4, 4], set: true },
  { name: '1T-TiSe2, ibrav 4 (CellConstructor test)', index: 'tise2-ibrav4/1T_TiSe2_0', files: [1, 2, 3, 4].map((k) => `tise2-ibrav4/1T_TiSe2_${k}`), ibrav: 4, nat: 3, grid: [2, 2, 2], set: false },
];

const loadSet = (ex: Example): QeDynSet => readQeDynSet(read(ex.index), ex.files.map(read));
const SETS = EXAMPLES.filter((e) => e.set);

/** Half a unit in the last printed place of the Φ entries of a file (Ry/bohr²). */
function printedHalfUlp(text: string): number {
  const m = /^\s+1\s+1\s*\n\s*(\S+)/m.exec(text.split(/Dynamical\s+Matrix in cartesian axes/)[1]);
  const dec = m![1].split('.')[1]?.replace(/[eE].*/, '').length ?? 0;
  return 0.5 * 10 ** -dec;
}

describe('QE dynamical-matrix sets: real example files', () => {
  for (const ex of SETS) {
    it(`${ex.name}: reads the set and covers the grid`, () => {
      const set = loadSet(ex);
      expect(set.ibrav).toBe(ex.ibrav);
      expect(set.structure.natoms).toBe(ex.nat);
      expect(set.grid).toEqual(ex.grid);
      const nq = set.stars.reduce((s, st) => s + st.points.length, 0);
      expect(nq).toBeGreaterThanOrEqual(ex.grid[0] * ex.grid[1] * ex.grid[2] - set.stars.length);
      expect(gridPhi(set)).toHaveLength(ex.grid[0] * ex.grid[1] * ex.grid[2]);
      // Hermitian to the printed precision.
      const eps = printedHalfUlp(read(ex.files[0]).text) * RY_BOHR2_TO_EV_A2;
      for (const st of set.stars)
        for (const p of st.points) {
          const n3 = 3 * ex.nat;
          for (let i = 0; i < n3; i++)
            for (let j = 0; j < n3; j++) {
              expect(Math.abs(p.phi[2 * (i * n3 + j)] - p.phi[2 * (j * n3 + i)])).toBeLessThanOrEqual(2.01 * eps);
              expect(Math.abs(p.phi[2 * (i * n3 + j) + 1] + p.phi[2 * (j * n3 + i) + 1])).toBeLessThanOrEqual(2.01 * eps);
            }
        }
    });

  }
  for (const ex of EXAMPLES) {
    it(`${ex.name}: frequencies equal those printed in each file's diagonalisation section`, async () => {
      const k = await loadKernels();
      const halfUlp = printedHalfUlp(read(ex.files[0]).text) * RY_BOHR2_TO_EV_A2;
      let worstThz = 0;
      for (const name of ex.files) {
        const f = parseQeDynFile(read(name).text, name);
        const masses = Array.from(f.atomTypes, (t) => f.types[t].massRy / AMU_TO_RY_MASS);
        const pr = f.modes!;
        expect(pr).toBeDefined();
        const p = f.qpoints.find((x) => x.q.every((v, c) => Math.abs(v - pr.q[c]) < 1e-6))!;
        expect(p).toBeDefined();
        const modes = dynModes(k, p.phiRy.map((x) => x * RY_BOHR2_TO_EV_A2), masses);
        // Weyl: |Δω²| ≤ ‖ΔD‖_F with ΔD from rounding Φ to the printed digits (re and im of each entry).
        let fro = 0;
        for (let i = 0; i < 3 * ex.nat; i++)
          for (let j = 0; j < 3 * ex.nat; j++) fro += (2 * halfUlp * halfUlp) / (masses[Math.floor(i / 3)] * masses[Math.floor(j / 3)]);
        const dOmega2 = Math.sqrt(fro); // τ⁻²
        const thzPerTau = 15.6333042;
        for (let v = 0; v < modes.thz.length; v++) {
          const printed = pr.thz[v];
          // Compare ω² (THz²): printed value rounded to 6 decimals, plus the Weyl bound.
          const w2Printed = Math.sign(printed) * printed * printed;
          const w2Ours = Math.sign(modes.thz[v]) * modes.thz[v] ** 2;
          const tol = 2 * Math.abs(printed) * 0.5e-6 + 0.25e-12 + dOmega2 * thzPerTau ** 2 + 1e-9 * Math.abs(w2Printed);
          expect(Math.abs(w2Ours - w2Printed)).toBeLessThanOrEqual(tol);
          // Away from zero, the frequencies themselves (both printed columns).
          if (Math.abs(printed) > 1) {
            worstThz = Math.max(worstThz, Math.abs(modes.thz[v] - printed));
            expect(Math.abs(modes.cm[v] - pr.cm[v])).toBeLessThanOrEqual(Math.abs(pr.cm[v]) * 2e-6 + 1e-5);
          }
        }
      }
      expect(worstThz).toBeLessThan(1e-4);
    });
  }

  it('1T-TiSe2: the reader refuses a set whose celldm(3) does not match its own q points, naming file and line', () => {
    const ex = EXAMPLES[3];
    expect(() => loadSet(ex)).toThrow(/1T_TiSe2_2:12: q = \(0, 0, -0\.266568057\) is not on the 2×2×2 grid/);
  });

  it('the Rydberg route (Φ in Ry/bohr², M in Ry mass units) and the eV/Å²–amu route agree to 1e-6 relative', async () => {
    const k = await loadKernels();
    for (const ex of SETS) {
      const f = parseQeDynFile(read(ex.files[1]).text, ex.files[1]);
      const set = loadSet(ex);
      const n3 = 3 * f.nat;
      const mRy = Array.from(f.atomTypes, (t) => f.types[t].massRy);
      for (const [iq, qp] of f.qpoints.entries()) {
        const d = new Float64Array(2 * n3 * n3);
        for (let i = 0; i < n3; i++)
          for (let j = 0; j < n3; j++) {
            const s = 1 / Math.sqrt(mRy[Math.floor(i / 3)] * mRy[Math.floor(j / 3)]);
            d[2 * (i * n3 + j)] = qp.phiRy[2 * (i * n3 + j)] * s;
            d[2 * (i * n3 + j) + 1] = qp.phiRy[2 * (i * n3 + j) + 1] * s;
          }
        const ry = eighHermitian(k, d, n3).values;
        const cmRy = Array.from(ry, (w2) => Math.sign(w2) * Math.sqrt(Math.abs(w2)) * RY_TO_CM);
        const ev = dynModes(k, set.stars[1].points[iq].phi, set.structure.masses).cm;
        const scale = Math.max(...cmRy.map(Math.abs));
        for (let v = 0; v < n3; v++) {
          // Relative where the frequency is well defined; near-zero acoustic modes relative to the top mode.
          const rel = Math.abs(ev[v] - cmRy[v]) / Math.max(Math.abs(cmRy[v]), 1e-3 * scale);
          expect(rel).toBeLessThan(1e-6);
        }
      }
    }
  });
});

describe('QE dynamical-matrix sets: structure and units', () => {
  it('H3S (ibrav 3): cell, masses (Ry mass → amu) and positions (alat → Å)', () => {
    const set = loadSet(EXAMPLES[1]);
    const a = 6.0074 * BOHR_TO_ANGSTROM;
    const c = set.structure.cell;
    expect(Array.from(c).map((x) => x / (a / 2))).toEqual([1, 1, 1, -1, 1, 1, -1, -1, 1].map((x) => expect.closeTo(x, 12)));
    expect(set.structure.species).toEqual(['S', 'H', 'H', 'H']);
    expect(set.structure.masses[0]).toBeCloseTo(29226.371068213499 / AMU_TO_RY_MASS, 12);
    expect(set.structure.masses[0]).toBeCloseTo(32.066, 2);
    expect(set.structure.masses[1]).toBeCloseTo(1.008, 2);
    const cart = set.structure.cartesian();
    expect(cart[3 * 1 + 2]).toBeCloseTo(0.5 * a, 12);
  });

  it('ibrav cells equal ASE’s ibrav_to_cell (fixture from test/fixtures/scripts/dyn_ibrav_cells.py)', () => {
    const ref = JSON.parse(readFileSync(FIX + 'ibrav_cells_ase.json', 'utf8')) as { cases: { ibrav: number; celldm: number[]; cell: number[][] }[] };
    expect(ref.cases.length).toBeGreaterThanOrEqual(17);
    for (const cs of ref.cases) {
      const lat = ibravLattice(cs.ibrav, cs.celldm);
      const a = cs.celldm[0] * BOHR_TO_ANGSTROM;
      for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) expect(lat[3 * r + k] * a).toBeCloseTo(cs.cell[r][k], 7);
    }
  });

  it('ibrav 11, 91 and -13 follow the pw.x documentation formulas', () => {
    const [ba, ca, cosb] = [1.21, 1.37, -0.31];
    const s = Math.sqrt(1 - cosb * cosb);
    const close = (x: Float64Array, y: number[]) => y.forEach((v, i) => expect(x[i]).toBeCloseTo(v, 14));
    close(ibravLattice(11, [7.3, ba, ca, 0, 0, 0]), [0.5, ba / 2, ca / 2, -0.5, ba / 2, ca / 2, -0.5, -ba / 2, ca / 2]);
    close(ibravLattice(91, [7.3, ba, ca, 0, 0, 0]), [1, 0, 0, 0, ba / 2, -ca / 2, 0, ba / 2, ca / 2]);
    close(ibravLattice(-13, [7.3, ba, ca, 0, cosb, 0]), [0.5, ba / 2, 0, -0.5, ba / 2, 0, ca * cosb, 0, ca * s]);
  });
});

describe('QE dynamical-matrix sets: real space', () => {
  it('Fourier sign (physics.md 4.1): PbTe Pb–Te force constants sit on the nearest-neighbour bonds', () => {
    const set = loadSet(EXAMPLES[2]);
    const { fc, maxImaginary } = dynSetToRealSpace(set);
    expect(maxImaginary).toBeLessThan(1e-6);
    const s = set.structure;
    const cart = s.cartesian();
    const a0 = 12.215 * BOHR_TO_ANGSTROM; // cubic lattice constant (alat)
    // Largest Pb–Te block and its bond length |R_L + τ_Te − τ_Pb| (minimum image in the supercell).
    let best = 0;
    let bestLen = 0;
    for (let c = 0; c < fc.ncells; c++) {
      const b = fc.block(0, 1, c);
      const norm = Math.hypot(...b);
      if (norm <= best) continue;
      best = norm;
      let len = Infinity;
      const L = [fc.cells[3 * c], fc.cells[3 * c + 1], fc.cells[3 * c + 2]];
      for (let t1 = -1; t1 <= 1; t1++)
        for (let t2 = -1; t2 <= 1; t2++)
          for (let t3 = -1; t3 <= 1; t3++) {
            const l = [L[0] + 4 * t1, L[1] + 4 * t2, L[2] + 4 * t3];
            const d = [0, 1, 2].map((k) => l[0] * s.cell[k] + l[1] * s.cell[3 + k] + l[2] * s.cell[6 + k] + cart[3 + k] - cart[k]);
            len = Math.min(len, Math.hypot(d[0], d[1], d[2]));
          }
      bestLen = len;
    }
    expect(bestLen).toBeCloseTo(a0 / 2, 6);
  });

  it('acoustic sum rule of the real-space force constants (H3S, to the printed precision)', () => {
    const set = loadSet(EXAMPLES[1]);
    const { fc } = dynSetToRealSpace(set);
    const n = fc.nat;
    let worst = 0;
    for (let k = 0; k < n; k++)
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          let s = 0;
          for (let c = 0; c < fc.ncells; c++) for (let k2 = 0; k2 < n; k2++) s += fc.blocks[fc.index(k, a, k2, c, b)];
          worst = Math.max(worst, Math.abs(s));
        }
    expect(worst).toBeLessThan(1e-5);
  });

  for (const ex of SETS) {
    it(`${ex.name}: dyn → real space → dyn returns the same Φ(q) for every q of every star`, async () => {
      const k = await loadKernels();
      const set = loadSet(ex);
      const { fc } = dynSetToRealSpace(set);
      const again = dynSetFromRealSpace(fc, {
        stars: set.stars.map((st) => st.points.map((p) => ({ m: p.m, q: p.q }))),
        ibrav: set.ibrav,
        celldm: set.celldm,
        title: set.title,
        dielectric: set.dielectric,
      });
      expect(again.ibrav).toBe(set.ibrav);
      const tolPhi = 2.01 * printedHalfUlp(read(ex.files[0]).text) * RY_BOHR2_TO_EV_A2;
      for (const [s, st] of set.stars.entries())
        for (const [i, p] of st.points.entries()) {
          const q = again.stars[s].points[i];
          for (let j = 0; j < p.phi.length; j++) expect(Math.abs(q.phi[j] - p.phi[j])).toBeLessThanOrEqual(tolPhi);
        }
      // Written and read back: identical numbers to ~1e-14 relative, same layout and structure.
      const texts = writeQeDynSet(again, k);
      const back = readQeDynSet({ name: 'out0', text: texts.index }, texts.files.map((t, j) => ({ name: `out${j + 1}`, text: t })));
      expect(back.grid).toEqual(set.grid);
      expect(back.ibrav).toBe(set.ibrav);
      expect(back.structure.species).toEqual(set.structure.species);
      for (let j = 0; j < 9; j++) expect(back.structure.cell[j]).toBeCloseTo(set.structure.cell[j], 12);
      for (let j = 0; j < back.structure.natoms; j++) expect(back.structure.masses[j]).toBeCloseTo(set.structure.masses[j], 10);
      for (const [s, st] of again.stars.entries())
        for (const [i, p] of st.points.entries()) {
          const q = back.stars[s].points[i];
          expect(q.m).toEqual(p.m);
          for (let j = 0; j < p.phi.length; j++) expect(Math.abs(q.phi[j] - p.phi[j])).toBeLessThanOrEqual(1e-13 * (1 + Math.abs(p.phi[j])));
        }
      if (set.dielectric) {
        expect(back.dielectric?.zeu).toBeDefined();
        for (let j = 0; j < 9; j++) expect(back.dielectric!.epsilon[j]).toBeCloseTo(set.dielectric.epsilon[j], 10);
      }
      // Our own diagonalisation section agrees with the original file's.
      for (const [s, st] of back.stars.entries()) {
        const orig = set.stars[s].printed!;
        const mine = st.printed!;
        for (let v = 0; v < mine.thz.length; v++)
          if (Math.abs(orig.thz[v]) > 1) expect(mine.thz[v]).toBeCloseTo(orig.thz[v], 4);
      }
    });
  }

  it('forward transform at a grid point equals the stored Φ(q) (PbTe, complex q)', () => {
    const set = loadSet(EXAMPLES[2]);
    const { fc } = dynSetToRealSpace(set);
    const p = set.stars[1].points[0];
    const phi = phiAtGridPoint(fc, p.m);
    let diff = 0;
    let imag = 0;
    for (let j = 0; j < phi.length; j++) {
      diff = Math.max(diff, Math.abs(phi[j] - p.phi[j]));
      if (j % 2) imag = Math.max(imag, Math.abs(p.phi[j]));
    }
    expect(imag).toBeGreaterThan(0.1); // a genuinely complex Φ(q)
    expect(diff).toBeLessThan(1e-6);
  });

  it('default layout (pairs q, −q) writes a readable set with the whole grid', async () => {
    const k = await loadKernels();
    const set = loadSet(EXAMPLES[2]);
    const { fc } = dynSetToRealSpace(set);
    const fresh = dynSetFromRealSpace(fc);
    expect(fresh.ibrav).toBe(0);
    const texts = writeQeDynSet(fresh, k);
    const back = readQeDynSet({ name: 'x0', text: texts.index }, texts.files.map((t, j) => ({ name: `x${j + 1}`, text: t })));
    const g1 = gridPhi(back);
    const g0 = gridPhi(set);
    for (let q = 0; q < g0.length; q++) for (let j = 0; j < g0[q].length; j++) expect(Math.abs(g1[q][j] - g0[q][j])).toBeLessThan(1e-6);
  });
});

describe('QE dynamical-matrix files: malformed input names file and line', () => {
  const good = read(EXAMPLES[1].files[0]).text;
  const lines = good.split('\n');
  const broken = (lineNo: number, replacement: string) => {
    const l = [...lines];
    l[lineNo - 1] = replacement;
    return l.join('\n');
  };
  const expectError = (text: string, line: number | undefined, pattern: RegExp) =>
    expectParseErrorMessage(() => parseQeDynFile(text, 'bad.dyn1'), 'bad.dyn1', line, pattern);
  it('reports the offending line', () => {
    expectError(broken(1, 'Something else'), 1, /Dynamical matrix file/);
    expectError(broken(3, '  2    4  3  6.0074000  0.0000000'), 3, /ntyp nat ibrav celldm/);
    expectError(broken(3, '  2    4  17  6.0074 0 0 0 0 0'), 3, /ibrav 17 is not supported/);
    expectError(broken(4, "           1  S    29226.37"), 4, /species line/);
    expectError(broken(5, "           2  'Xx  '    918.68"), 5, /chemical element of species 'Xx'/);
    expectError(broken(7, '    2    5      0.0000000000      0.0000000000      0.5000000000'), 7, /species index 5/);
    expectError(broken(13, '     q = (    0.000000000   0.000000000 ) '), 13, /q = \( qx qy qz \)/);
    expectError(broken(17, '  0.22068246  0.00000000    0.00000000  0.00000000   -0.00000000'), 17, /3 complex numbers/);
    expectError(broken(15, '    1    7'), 15, /outside 1…4/);
    expectError(broken(19, '    1    1'), 19, /appears twice/);
    expectError(lines.slice(0, 30).join('\n'), 31, /unexpected end of file/);
    expectError(broken(80, '  garbage here'), 80, /unexpected line/);
  });
  it('index file and set consistency', () => {
    expect(() => parseQeDynIndex('2 2\n3\n', 'x0')).toThrow(/x0:1: expected the grid/);
    expect(() => parseQeDynIndex('2 2 2\n3\n0 0 0\n0 0.5\n', 'x0')).toThrow(/x0:4: expected 3 numbers/);
    const ex = EXAMPLES[1];
    // Too few files.
    expect(() => readQeDynSet(read(ex.index), ex.files.slice(0, 2).map(read))).toThrow(/lists 3 irreducible q points but 2 files/);
    // Off-grid q.
    const off = read(ex.files[1]);
    off.text = off.text.replace(/q = \(\s+0\.000000000\s+0\.500000000\s+-0\.500000000 \)/, 'q = (    0.000000000   0.300000000  -0.500000000 )');
    expect(() => readQeDynSet(read(ex.index), [read(ex.files[0]), off, read(ex.files[2])])).toThrow(/:\d+: q = \(0, 0\.3, -0\.5\) is not on the 2×2×2 grid/);
    // Files of different crystals.
    const other = read(ex.files[2]);
    other.text = other.text.replace('6.0074000', '6.1074000');
    expect(() => readQeDynSet(read(ex.index), [read(ex.files[0]), read(ex.files[1]), other])).toThrow(/dynq3:3: celldm differs/);
  });
});
