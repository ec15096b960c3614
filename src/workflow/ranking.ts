// Ranking phases by Gibbs free energy with error bars (physics.md 8, outputs): per pressure the phases
// in order of G, the probability that one phase lies below another, and the transition pressures
// where G curves cross, with their uncertainty. Errors are treated as independent Gaussians: the
// stochastic (SSCHA) error of each phase and a model (MLIP) error per phase.
import { exp, hypot2 } from '../numeric/detmath.js';

/** One phase at one pressure; energies per atom (eV/atom). */
export interface PhasePoint {
  phase: string;
  /** Pressure (GPa). */
  pressure: number;
  /** Gibbs free energy per atom (eV/atom). */
  g: number;
  /** Stochastic standard error of g (eV/atom). */
  gError: number;
  /** Model (MLIP) error of g (eV/atom), independent of the stochastic one; 0 when exact. */
  modelError?: number;
  /** Static-lattice enthalpy per atom (eV/atom), if computed. */
  hStatic?: number;
}

/** Combined standard error of one point. */
export function totalError(p: PhasePoint): number {
  return hypot2(p.gError, p.modelError ?? 0);
}

/** erfc(x) for real x, relative accuracy ~1e-14: Taylor series of erf for |x| < 1, Lentz continued
 *  fraction (Laplace's) for the tail. Pure arithmetic, so identical in every host. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1) {
    // erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x > 27) return 0;
  // erfc x = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated by modified Lentz
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 20000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Standard normal cumulative distribution Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Probability that phase a has the lower G (independent Gaussian errors). */
export function probabilityBelow(a: PhasePoint, b: PhasePoint): number {
  const s = hypot2(totalError(a), totalError(b));
  const d = b.g - a.g;
  if (s === 0) return d > 0 ? 1 : d < 0 ? 0 : 0.5;
  return normalCdf(d / s);
}

export interface RankedPhase extends PhasePoint {
  /** g − g of the most stable phase at this pressure (eV/atom). */
  gRelative: number;
  /** Probability that this phase is below the next one in the ranking (null for the last). */
  pBelowNext: number | null;
}

/** Phases at one pressure, most stable first. */
export function rankAtPressure(points: readonly PhasePoint[]): RankedPhase[] {
  const sorted = [...points].sort((x, y) => x.g - y.g || x.phase.localeCompare(y.phase));
  return sorted.map((p, i) => ({
    ...p,
    gRelative: p.g - sorted[0].g,
    pBelowNext: i + 1 < sorted.length ? probabilityBelow(p, sorted[i + 1]) : null,
  }));
}

export interface Transition {
  /** Stable below the transition pressure. */
  below: string;
  /** Stable above it. */
  above: string;
  /** Pressure where the two G curves cross (GPa), linear in ΔG between the bracketing pressures. */
  pressure: number;
  /** Standard error of the crossing pressure (GPa): σ(ΔG) at the crossing over |dΔG/dP|. */
  error: number;
}

/**
 * Crossings of ΔG(P) = G_a − G_b for every pair of phases computed at the same pressures. Between two
 * neighbouring pressures ΔG is interpolated linearly; its error at the crossing is interpolated the same
 * way (errors at different pressures are taken as fully correlated, the conservative choice for a model
 * error shared by neighbouring volumes).
 */
export function transitions(points: readonly PhasePoint[]): Transition[] {
  const phases = [...new Set(points.map((p) => p.phase))].sort();
  const at = new Map(points.map((p) => [`${p.phase}@${p.pressure}`, p]));
  const out: Transition[] = [];
  for (let i = 0; i < phases.length; i++) {
    for (let j = i + 1; j < phases.length; j++) {
      const a = phases[i];
      const b = phases[j];
      const common = [...new Set(points.filter((p) => p.phase === a && at.has(`${b}@${p.pressure}`)).map((p) => p.pressure))].sort((x, y) => x - y);
      for (let k = 0; k + 1 < common.length; k++) {
        const [p0, p1] = [common[k], common[k + 1]];
        const a0 = at.get(`${a}@${p0}`)!;
        const b0 = at.get(`${b}@${p0}`)!;
        const a1 = at.get(`${a}@${p1}`)!;
        const b1 = at.get(`${b}@${p1}`)!;
        const d0 = a0.g - b0.g;
        const d1 = a1.g - b1.g;
        if (d0 === 0 || Math.sign(d0) === Math.sign(d1)) continue;
        const t = d0 / (d0 - d1);
        const pressure = p0 + t * (p1 - p0);
        const slope = (d1 - d0) / (p1 - p0);
        const s0 = hypot2(totalError(a0), totalError(b0));
        const s1 = hypot2(totalError(a1), totalError(b1));
        const sigma = s0 + t * (s1 - s0);
        // below the crossing the phase with the lower G at p0 is stable
        out.push({ below: d0 < 0 ? a : b, above: d0 < 0 ? b : a, pressure, error: sigma / Math.abs(slope) });
      }
    }
  }
  return out.sort((x, y) => x.pressure - y.pressure);
}
