// Minimisers written as ask/tell state machines, so that many relaxations can advance in lock-step
// with one batch evaluation per step: `trial` is the point to evaluate next, `tell(h, g)` feeds its
// value and gradient back and says whether the trial became the new current point (an iteration).
//
// - FIRE: Bitzek, Koskinen, Gähler, Moseler & Gumbsch, PRL 97, 170201 (2006), with the FIRE 2.0
//   modifications of Guénolé et al., Comput. Mater. Sci. 175, 109584 (2020): semi-implicit Euler with
//   the velocity mixing inside the MD step, a half step back on uphill motion, an initial delay
//   before the time step may shrink. Unit masses.
// - L-BFGS: Nocedal, Math. Comp. 35, 773 (1980); Liu & Nocedal, Math. Prog. 45, 503 (1989): two-loop
//   recursion with H0 = γ𝟙, γ = sᵀy/yᵀy of the newest pair, a cap on the step length, and a
//   backtracking (Armijo) line search by safeguarded quadratic interpolation; pairs with sᵀy ≤ 0 are
//   skipped, and the memory is reset when the direction is not downhill or the search stalls.
function dot(a, b) {
    let s = 0;
    for (let i = 0; i < a.length; i++)
        s += a[i] * b[i];
    return s;
}
/** Scale d so that its length is at most maxStep; returns the factor applied. */
function capStep(d, ctl) {
    const l = ctl.stepLength(d);
    if (l > ctl.maxStep && l > 0) {
        const f = ctl.maxStep / l;
        for (let i = 0; i < d.length; i++)
            d[i] *= f;
        return f;
    }
    return 1;
}
export const FIRE_DEFAULTS = { dt: 0.1, dtMax: 1.0, dtMin: 0.002, nDelay: 5, fInc: 1.1, fDec: 0.5, alphaStart: 0.25, fAlpha: 0.99 };
export class Fire {
    ctl;
    x;
    g;
    trial;
    h = NaN;
    v;
    p;
    dt;
    alpha;
    nPos = 0;
    iter = 0;
    started = false;
    constructor(x0, ctl, params = {}) {
        this.ctl = ctl;
        this.p = { ...FIRE_DEFAULTS, ...params };
        this.x = Float64Array.from(x0);
        this.trial = Float64Array.from(x0);
        this.g = new Float64Array(x0.length);
        this.v = new Float64Array(x0.length);
        this.dt = this.p.dt;
        this.alpha = this.p.alphaStart;
    }
    tell(h, g) {
        const { x, v, p } = this;
        x.set(this.trial);
        this.g.set(g);
        this.h = h;
        const n = x.length;
        // P = F·v with F = −g
        const P = this.started ? -dot(g, v) : 0;
        if (P > 0) {
            this.nPos++;
            if (this.nPos > p.nDelay) {
                this.dt = Math.min(this.dt * p.fInc, p.dtMax);
                this.alpha *= p.fAlpha;
            }
        }
        else if (this.started) {
            this.nPos = 0;
            if (this.iter >= p.nDelay && this.dt * p.fDec >= p.dtMin)
                this.dt *= p.fDec;
            this.alpha = p.alphaStart;
            // half step back: the trial is built from here (x itself stays the evaluated point)
            for (let i = 0; i < n; i++)
                this.trial[i] = x[i] - 0.5 * this.dt * v[i];
            v.fill(0);
        }
        this.started = true;
        this.iter++;
        const base = P > 0 || this.iter === 1 ? x : this.trial;
        // semi-implicit Euler with mixing: v ← v + dt F; v ← (1−α)v + α|v|F̂
        const dt = this.dt;
        for (let i = 0; i < n; i++)
            v[i] -= dt * g[i];
        const gn = Math.sqrt(dot(g, g));
        if (gn > 0) {
            const vn = Math.sqrt(dot(v, v));
            const a = this.alpha;
            for (let i = 0; i < n; i++)
                v[i] = (1 - a) * v[i] - (a * vn * g[i]) / gn;
        }
        this.ctl.project?.(v);
        const d = new Float64Array(n);
        for (let i = 0; i < n; i++)
            d[i] = dt * v[i];
        const f = capStep(d, this.ctl);
        if (f < 1)
            for (let i = 0; i < n; i++)
                v[i] *= f; // keep v consistent with the step taken
        const next = new Float64Array(n);
        for (let i = 0; i < n; i++)
            next[i] = base[i] + d[i];
        this.trial.set(next);
        return true;
    }
}
export const LBFGS_DEFAULTS = { memory: 20, alpha0: 10, c1: 1e-4, maxBacktracks: 6 };
export class Lbfgs {
    ctl;
    x;
    g;
    trial;
    h = NaN;
    p;
    S = [];
    Y = [];
    R = [];
    d;
    q;
    al;
    gd = 0;
    step = 1;
    backtracks = 0;
    started = false;
    /** Number of memory resets (diagnostics). */
    resets = 0;
    constructor(x0, ctl, params = {}) {
        this.ctl = ctl;
        this.p = { ...LBFGS_DEFAULTS, ...params };
        this.x = Float64Array.from(x0);
        this.trial = Float64Array.from(x0);
        this.g = new Float64Array(x0.length);
        this.d = new Float64Array(x0.length);
        this.q = new Float64Array(x0.length);
        this.al = new Float64Array(this.p.memory + 1);
    }
    reset() {
        this.S.length = 0;
        this.Y.length = 0;
        this.R.length = 0;
        this.resets++;
    }
    /** Two-loop recursion: d = −H g. */
    direction() {
        const { g, d, S, Y, R } = this;
        const m = S.length;
        const q = this.q;
        q.set(g);
        const al = this.al;
        for (let k = m - 1; k >= 0; k--) {
            al[k] = R[k] * dot(S[k], q);
            const y = Y[k];
            for (let i = 0; i < q.length; i++)
                q[i] -= al[k] * y[i];
        }
        const gamma = m > 0 ? dot(S[m - 1], Y[m - 1]) / dot(Y[m - 1], Y[m - 1]) : 1 / this.p.alpha0;
        for (let i = 0; i < q.length; i++)
            q[i] *= gamma;
        for (let k = 0; k < m; k++) {
            const b = R[k] * dot(Y[k], q);
            const s = S[k];
            for (let i = 0; i < q.length; i++)
                q[i] += s[i] * (al[k] - b);
        }
        for (let i = 0; i < q.length; i++)
            d[i] = -q[i];
    }
    propose() {
        const { d, g } = this;
        this.direction();
        this.ctl.project?.(d);
        let gd = dot(g, d);
        if (!(gd < 0)) {
            this.reset();
            for (let i = 0; i < d.length; i++)
                d[i] = -g[i] / this.p.alpha0;
            this.ctl.project?.(d);
            gd = dot(g, d);
        }
        gd *= capStep(d, this.ctl);
        this.gd = gd;
        this.step = 1;
        this.backtracks = 0;
        this.setTrial();
    }
    setTrial() {
        const { x, d, trial, step } = this;
        for (let i = 0; i < x.length; i++)
            trial[i] = x[i] + step * d[i];
    }
    tell(h, g) {
        if (!this.started) {
            this.started = true;
            this.h = h;
            this.g.set(g);
            this.propose();
            return true;
        }
        const tol = 1e-12 * Math.max(1, Math.abs(this.h));
        const a = this.step;
        if (h <= this.h + this.p.c1 * a * this.gd + tol) {
            // accept; update the memory
            const s = new Float64Array(g.length), y = new Float64Array(g.length);
            for (let i = 0; i < g.length; i++) {
                s[i] = this.trial[i] - this.x[i];
                y[i] = g[i] - this.g[i];
            }
            const sy = dot(s, y);
            if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)) && sy > 0) {
                this.S.push(s);
                this.Y.push(y);
                this.R.push(1 / sy);
                if (this.S.length > this.p.memory) {
                    this.S.shift();
                    this.Y.shift();
                    this.R.shift();
                }
            }
            this.x.set(this.trial);
            this.g.set(g);
            this.h = h;
            this.propose();
            return true;
        }
        // backtrack by safeguarded quadratic interpolation of H along d
        this.backtracks++;
        if (this.backtracks > this.p.maxBacktracks) {
            // the quasi-Newton model is bad: forget it and take a short steepest-descent step
            this.reset();
            const d = this.d;
            for (let i = 0; i < d.length; i++)
                d[i] = -this.g[i] / this.p.alpha0;
            this.ctl.project?.(d);
            this.gd = dot(this.g, d) * capStep(d, this.ctl);
            this.step = 0.1;
            this.backtracks = 0;
            this.setTrial();
            return false;
        }
        const denom = 2 * (h - this.h - a * this.gd);
        let an = denom > 0 ? (-this.gd * a * a) / denom : 0.5 * a;
        if (!Number.isFinite(an))
            an = 0.5 * a;
        this.step = Math.min(0.5 * a, Math.max(0.1 * a, an));
        this.setTrial();
        return false;
    }
}
