// Wyckoff tables (src/search/wyckoff.ts, read from moyo) against spglib (Debian python3-spglib):
// test/fixtures/search/wyckoff_spglib.json, made by test/fixtures/scripts/wyckoff_spglib.py, gives for
// every space group points of the 1/24 grid with the Wyckoff letter, multiplicity and site symmetry
// that spglib assigns to them. Here each point is located in our tables (the position of smallest
// multiplicity whose orbit contains it) and must have spglib's multiplicity and site symmetry.
import { beforeAll, describe, expect, test } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { parseCoordinate, parseTriplet, spaceGroupWyckoff, type WyckoffPosition } from '../../src/search/wyckoff.js';
import { readFixtureJson } from '../helpers/fixtures.js';

interface FxPosition {
  letter: string;
  multiplicity: number;
  site_symmetry: string;
  point_24ths: [number, number, number];
}
interface FxGroup {
  number: number;
  hall_number: number;
  n_operations: number;
  positions: FxPosition[];
}
const FX: { spglib_version: string; grid: number; groups: FxGroup[] } = readFixtureJson('search/wyckoff_spglib.json');

beforeAll(() => {
  loadMoyo();
});

describe('coordinate parsing', () => {
  test('affine expressions of x, y, z', () => {
    expect(parseCoordinate('x')).toEqual({ coef: [1, 0, 0], constant: 0 });
    expect(parseCoordinate('-y+1/4')).toEqual({ coef: [0, -1, 0], constant: 0.25 });
    expect(parseCoordinate('2x')).toEqual({ coef: [2, 0, 0], constant: 0 });
    expect(parseCoordinate('x-y')).toEqual({ coef: [1, -1, 0], constant: 0 });
    expect(parseCoordinate('7/8')).toEqual({ coef: [0, 0, 0], constant: 0.875 });
    expect(parseCoordinate('1/2+z')).toEqual({ coef: [0, 0, 1], constant: 0.5 });
    expect(() => parseCoordinate('x*2')).toThrow(/cannot parse Wyckoff coordinate "x\*2"/);
    const t = parseTriplet('x,2x,1/4');
    expect(Array.from(t.linear)).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0]);
    expect(Array.from(t.constant)).toEqual([0, 0, 0.25]);
    expect(() => parseTriplet('x,y')).toThrow(/does not have 3 coordinates/);
  });
});

describe('tables of the 230 groups', () => {
  test('1731 Wyckoff positions in all (International Tables A), general position first', () => {
    let total = 0;
    for (let n = 1; n <= 230; n++) {
      const g = spaceGroupWyckoff(n);
      total += g.positions.length;
      const general = g.positions[0];
      expect(general.dof).toBe(3);
      expect(general.multiplicity).toBe(g.operations.length);
      // Multiplicity × order of the site-symmetry group = order of the group (conventional cell):
      // the orbit of a generic point of each position has exactly `multiplicity` distinct points.
      for (const p of g.positions) {
        const params = [0.1234, 0.3456, 0.5678];
        const pts = new Set<string>();
        for (const op of g.operations) {
          const x = [0, 1, 2].map((i) => {
            let v = op.translation[i];
            for (let j = 0; j < 3; j++) {
              const s = p.representative.linear[3 * j] * params[0] + p.representative.linear[3 * j + 1] * params[1] + p.representative.linear[3 * j + 2] * params[2] + p.representative.constant[j];
              v += op.rotation[3 * i + j] * s;
            }
            v -= Math.floor(v);
            return Math.round(v * 1e6) % 1e6;
          });
          pts.add(x.join(','));
        }
        expect(pts.size, `${n} ${p.multiplicity}${p.letter}`).toBe(p.multiplicity);
        expect(p.primitiveOrbit.length * g.centeringVectors.length).toBe(p.multiplicity);
      }
    }
    expect(total).toBe(1731);
  });

  test('centering translations by Bravais lattice', () => {
    const count = (n: number) => spaceGroupWyckoff(n).centeringVectors.length;
    expect([count(1), count(12), count(38), count(139), count(166), count(225), count(229)]).toEqual([1, 2, 2, 2, 3, 4, 2]);
    expect(spaceGroupWyckoff(38).centering).toBe('A');
    expect(spaceGroupWyckoff(166).rhombohedral).toBe(true);
    expect(spaceGroupWyckoff(166).crystalSystem).toBe('trigonal');
  });

  test('bad group numbers', () => {
    expect(() => spaceGroupWyckoff(0)).toThrow(/space group must be an integer in 1\.\.230, got 0/);
    expect(() => spaceGroupWyckoff(2.5)).toThrow(/space group must be an integer/);
  });
});

/**
 * Whether the fractional point q (conventional cell) lies on the orbit of position w for some real
 * parameters: L p = q − c + n with n integer, for one orbit image (L, c). With S an invertible block of
 * `dof` rows of L (|det S| = D), p follows from those rows for n_S in {0..D−1}^dof (larger n_S only add
 * integer vectors to p), and the other rows must then hold up to an integer.
 */
function onPosition(q: number[], w: WyckoffPosition): boolean {
  const cols = w.freeParameters.map((x) => 'xyz'.indexOf(x));
  const dof = cols.length;
  const isInt = (v: number) => Math.abs(v - Math.round(v)) < 1e-7;
  for (const img of w.orbit) {
    const B = [0, 1, 2].map((i) => cols.map((j) => img.linear[3 * i + j]));
    const rhs = [0, 1, 2].map((i) => q[i] - img.constant[i]);
    if (dof === 0) {
      if (rhs.every(isInt)) return true;
      continue;
    }
    // choose dof rows with an invertible block
    const rowSets = dof === 1 ? [[0], [1], [2]] : dof === 2 ? [[0, 1], [0, 2], [1, 2]] : [[0, 1, 2]];
    for (const rows of rowSets) {
      const S = rows.map((r) => B[r]);
      const det = dof === 1 ? S[0][0] : dof === 2 ? S[0][0] * S[1][1] - S[0][1] * S[1][0] : S[0][0] * (S[1][1] * S[2][2] - S[1][2] * S[2][1]) - S[0][1] * (S[1][0] * S[2][2] - S[1][2] * S[2][0]) + S[0][2] * (S[1][0] * S[2][1] - S[1][1] * S[2][0]);
      if (Math.abs(det) < 1e-9) continue;
      if (dof === 3) return true; // the general position contains every point
      const D = Math.round(Math.abs(det));
      const shifts = dof === 1 ? Array.from({ length: D }, (_, a) => [a]) : Array.from({ length: D * D }, (_, a) => [a % D, Math.floor(a / D)]);
      for (const nS of shifts) {
        const b = rows.map((r, t) => rhs[r] + nS[t]);
        const p = dof === 1 ? [b[0] / S[0][0]] : [(b[0] * S[1][1] - S[0][1] * b[1]) / det, (S[0][0] * b[1] - S[1][0] * b[0]) / det];
        const others = [0, 1, 2].filter((r) => !rows.includes(r));
        if (others.every((r) => isInt(B[r].reduce((s, v, t) => s + v * p[t], 0) - rhs[r]))) return true;
      }
      break;
    }
  }
  return false;
}

describe(`Wyckoff positions vs spglib ${FX.spglib_version}`, () => {
  test('fixture covers all 230 groups in the same (standard) settings', () => {
    expect(FX.groups.map((g) => g.number)).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
    for (const fg of FX.groups) {
      const g = spaceGroupWyckoff(fg.number);
      expect(g.hallNumber, `group ${fg.number}`).toBe(fg.hall_number);
      expect(g.operations.length, `group ${fg.number}`).toBe(fg.n_operations);
    }
  });

  test("every spglib point lies on one of our positions with spglib's multiplicity and site symmetry", () => {
    const problems: string[] = [];
    let points = 0, sameLetter = 0, covered = 0;
    for (const fg of FX.groups) {
      const g = spaceGroupWyckoff(fg.number);
      const seen = new Set<string>();
      for (const fx of fg.positions) {
        const q = fx.point_24ths.map((v) => v / FX.grid);
        const containing = g.positions.filter((w) => onPosition(q, w));
        const own = containing.reduce<WyckoffPosition | undefined>((a, w) => (!a || w.multiplicity < a.multiplicity ? w : a), undefined);
        points++;
        if (!own) {
          problems.push(`${fg.number}: point ${q} on no position`);
          continue;
        }
        if (own.multiplicity !== fx.multiplicity || own.siteSymmetry !== fx.site_symmetry) {
          problems.push(`${fg.number}: point ${fx.point_24ths}/24 is ${own.multiplicity}${own.letter} ${own.siteSymmetry}, spglib ${fx.multiplicity}${fx.letter} ${fx.site_symmetry}`);
        }
        // spglib's letter (it may pick another origin of the normalizer) must name a position of
        // the same multiplicity and site symmetry in our table.
        const named = g.positions.find((w) => w.letter === fx.letter);
        if (!named || named.multiplicity !== fx.multiplicity || named.siteSymmetry !== fx.site_symmetry) {
          problems.push(`${fg.number}: spglib letter ${fx.letter} (${fx.multiplicity}, ${fx.site_symmetry}) is ${named ? `${named.multiplicity}${named.letter} ${named.siteSymmetry}` : 'missing'} here`);
        }
        if (own.letter === fx.letter) sameLetter++;
        seen.add(fx.letter);
      }
      covered += seen.size;
    }
    expect(problems).toEqual([]);
    // Most points get the very same letter (1689 of 1731 with spglib 2.0.2); the rest differ by an
    // origin choice of the normalizer, which the checks above allow.
    expect(sameLetter / points).toBeGreaterThan(0.95);
    // The 1/24 grid reaches every one of the 1731 positions, each under its own letter.
    expect(covered).toBe(1731);
  });
});
