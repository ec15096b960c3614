// The search's random operator on top of the random symmetric generator (random-structure.ts,
// physics.md 7.2): a space group drawn uniformly among those whose Wyckoff positions admit the cell's
// composition, then a structure of exactly that group. Groups that gave no structure for a
// composition three times (every Wyckoff assignment has a higher symmetry, or the distances do not fit
// the volume) are remembered and not drawn again by this generator; that memory evolves identically
// when a run is replayed, so resumes stay deterministic.
import type { MoyoHandle } from '../symmetry/moyo.js';
import type { MinDistances } from './composition.js';
import type { Draws } from './draws.js';
import type { RandomGenerator } from './operators.js';
import { admissibleSpaceGroups, randomSymmetricStructure } from './random-structure.js';

export interface SymmetricGeneratorOptions {
  /** Allowed space groups (default 2–230, physics.md 7.2: P1 only when nothing else fits). */
  spaceGroups?: number[];
  /** Groups tried per call before giving up (default 20). */
  groupsPerCall?: number;
  /** Structure draws per group (default 20). */
  attemptsPerGroup?: number;
  moyo?: MoyoHandle;
}

export function symmetricGenerator(options: SymmetricGeneratorOptions = {}): RandomGenerator {
  const admissible = new Map<string, number[]>();
  const strikes = new Map<string, number>();
  const allowed = options.spaceGroups ? new Set(options.spaceGroups) : null;
  return (d: Draws, species: readonly string[], volume: number, md: MinDistances) => {
    const composition: Record<string, number> = {};
    for (const s of species) composition[s] = (composition[s] ?? 0) + 1;
    const key = Object.entries(composition).map(([s, n]) => `${s}${n}`).join('');
    let groups = admissible.get(key);
    if (!groups) {
      const all = admissibleSpaceGroups(composition, 1, options.moyo);
      groups = all.filter((g) => (allowed ? allowed.has(g) : g >= 2));
      if (groups.length === 0) groups = all.filter((g) => !allowed || allowed.has(g));
      admissible.set(key, groups);
    }
    const minDistances = md.toJSON();
    for (let t = 0; t < (options.groupsPerCall ?? 20); t++) {
      const live = groups.filter((g) => (strikes.get(`${key}/${g}`) ?? 0) < 3);
      if (live.length === 0) return null;
      const g = live[d.int(live.length)];
      const r = randomSymmetricStructure({
        composition,
        formulaUnits: 1,
        spaceGroup: g,
        volume,
        minDistances,
        rng: d.rng,
        maxAttempts: options.attemptsPerGroup ?? 20,
        moyo: options.moyo,
      });
      if (r) return r.structure;
      strikes.set(`${key}/${g}`, (strikes.get(`${key}/${g}`) ?? 0) + 1);
    }
    return null;
  };
}
