// `anharm demo`: the kernels on a fixed workload, and a physical check anyone can read: the
// phonons of a periodic 1-D diatomic chain against their closed form.
import { loadKernels } from '../node/kernels.js';
import { runSelfCheck } from '../wasm/selfcheck.js';
import type { Kernels } from '../wasm/kernels.js';
import { intOption, seedOption } from './errors.js';

/** ω in τ⁻¹ (τ = Å·√(amu/eV)) to THz: physics.md 1.2. */
const TAU_INV_TO_THZ = 15.6333042;

export interface ChainCheck {
  cells: number;
  /** max |ω² − ω²_exact| / max ω² over all modes. */
  maxRelErrorOmega2: number;
  /** max |ν − ν_exact| (THz) over the modes with ν_exact > 0.1 THz (√ amplifies noise near zero). */
  maxAbsErrorThz: number;
  highestThz: number;
}

/**
 * Longitudinal phonons of a ring of `cells` unit cells, each with masses m1, m2 (amu) joined by
 * springs k (eV/Å²). The mass-weighted force-constant matrix of the whole ring is diagonalised by
 * the WebAssembly eigensolver and compared with ω²(q) = k(1/m1+1/m2) ± k√((1/m1+1/m2)² − 4sin²(πq)/(m1m2)).
 */
export function diatomicChainCheck(k: Kernels, cells = 64, m1 = 32.06, m2 = 1.008, spring = 10): ChainCheck {
  const n = 2 * cells;
  const eighSym = k.fn<(n: number, a: number, lda: number, w: number, v: number, ldv: number) => number>('eighSym');
  return k.scope(() => {
    const a = k.f64(n * n).set(new Float64Array(n * n));
    const v = a.view;
    const mass = (i: number) => (i % 2 === 0 ? m1 : m2);
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const c = -spring / Math.sqrt(mass(i) * mass(j));
      v[i * n + i] += spring / mass(i);
      v[j * n + j] += spring / mass(j);
      v[i * n + j] += c;
      v[j * n + i] += c;
    }
    const w = k.f64(n);
    const vec = k.f64(n * n);
    k.check('eighSym', eighSym(n, a.ptr, n, w.ptr, vec.ptr, n));
    const computed = Array.from(w.view);
    const s = 1 / m1 + 1 / m2;
    const exact: number[] = [];
    for (let m = 0; m < cells; m++) {
      const sin2 = Math.sin((Math.PI * m) / cells) ** 2;
      const root = Math.sqrt(Math.max(0, s * s - (4 * sin2) / (m1 * m2)));
      exact.push(Math.max(0, spring * (s - root)));
      exact.push(spring * (s + root));
    }
    exact.sort((x, y) => x - y);
    const thz = (w2: number) => Math.sign(w2) * Math.sqrt(Math.abs(w2)) * TAU_INV_TO_THZ;
    let err2 = 0;
    let errNu = 0;
    for (let i = 0; i < n; i++) {
      err2 = Math.max(err2, Math.abs(computed[i] - exact[i]) / exact[n - 1]);
      if (thz(exact[i]) > 0.1) errNu = Math.max(errNu, Math.abs(thz(computed[i]) - thz(exact[i])));
    }
    return { cells, maxRelErrorOmega2: err2, maxAbsErrorThz: errNu, highestThz: thz(exact[n - 1]) };
  });
}

export async function runDemo(opts: { size: string; seed: string; json?: boolean }): Promise<void> {
  const size = intOption('--size', opts.size, 1, 2048);
  const seed = seedOption('--seed', opts.seed);
  const k = await loadKernels();
  const t0 = performance.now();
  const check = runSelfCheck(k, { eighN: size, seed, now: () => performance.now() });
  const chain = diatomicChainCheck(k);
  const total = performance.now() - t0;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ selfCheck: check, chain, totalMs: total }) + '\n');
    return;
  }
  const out: string[] = [];
  out.push('anharmonic-csp kernel demonstration');
  out.push(`  10^5 normal deviates      ${check.timings.normals.toFixed(1).padStart(8)} ms   digest ${check.digests.normals}`);
  out.push(`  GEMM 128x128 (x2)         ${check.timings.gemm.toFixed(1).padStart(8)} ms   digest ${check.digests.gemm}`);
  out.push(`  eigh ${String(size).padEnd(4)} values+vectors ${check.timings.eigh.toFixed(1).padStart(8)} ms   digest ${check.digests.eigenvectors}`);
  out.push(
    `  diatomic chain (${chain.cells} cells) against the closed form: max |Δω²|/ω²_max = ${chain.maxRelErrorOmega2.toExponential(2)},` +
      ` max |Δν| = ${chain.maxAbsErrorThz.toExponential(2)} THz (optical branch top ${chain.highestThz.toFixed(3)} THz)`,
  );
  out.push('  the same digests come out in any browser running build/anharmonic.wasm with the same seed');
  process.stdout.write(out.join('\n') + '\n');
}
