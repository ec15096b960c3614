import { CalculatorError, validateResult } from '../calculators/calculator.js';
import { checkStructure } from '../structure/structure.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { symmetrizeStructure } from '../symmetry/idealize.js';
import { Symmetrizer } from '../symmetry/symmetrize.js';
import { CellCoordinates } from './coordinates.js';
import { Fire, Lbfgs } from './optimizers.js';
import { hypot3 } from '../numeric/detmath.js';
/** 1 eV/Å³ in GPa (physics.md 1.2). */
export const EV_A3_TO_GPA = 160.2176634;
export class RelaxError extends Error {
    kind;
    result;
    constructor(kind, message, 
    /** What was reached before the failure. */
    result) {
        super(message);
        this.kind = kind;
        this.result = result;
        this.name = 'RelaxError';
    }
}
function resolve(o) {
    const pos = (name, v, d) => {
        const x = v ?? d;
        if (!(x > 0) || !Number.isFinite(x))
            throw new RangeError(`relax: ${name} must be a positive number, got ${v}`);
        return x;
    };
    const pressureGPa = o.pressure ?? 0;
    if (!Number.isFinite(pressureGPa))
        throw new RangeError(`relax: pressure must be a finite number (GPa), got ${o.pressure}`);
    const method = o.method ?? 'lbfgs';
    if (method !== 'fire' && method !== 'lbfgs')
        throw new RangeError(`relax: method must be "fire" or "lbfgs", got ${JSON.stringify(method)}`);
    const cell = o.cell ?? 'full';
    if (cell !== 'full' && cell !== 'isotropic' && cell !== 'fixed')
        throw new RangeError(`relax: cell must be "full", "isotropic" or "fixed", got ${JSON.stringify(cell)}`);
    const maxSteps = o.maxSteps ?? 500;
    if (!Number.isInteger(maxSteps) || maxSteps < 0)
        throw new RangeError(`relax: maxSteps must be a non-negative integer, got ${o.maxSteps}`);
    const t = o.trajectory;
    const trajEvery = t === true ? 1 : typeof t === 'number' && t > 0 ? Math.floor(t) : 0;
    const maxVolumeFactor = pos('maxVolumeFactor', o.maxVolumeFactor, 4);
    if (!(maxVolumeFactor > 1))
        throw new RangeError('relax: maxVolumeFactor must be > 1');
    return {
        pressure: pressureGPa / EV_A3_TO_GPA,
        pressureGPa,
        fmax: pos('fmax', o.fmax, 0.02),
        smax: pos('smax', o.smax, 0.5),
        maxSteps,
        method,
        cell,
        keepSymmetry: !!o.keepSymmetry,
        symprec: pos('symprec', o.symprec, 1e-3),
        detect: o.detectSymmetry ?? !!o.keepSymmetry,
        maxStep: pos('maxStep', o.maxStep, 0.2),
        cellFactor: o.cellFactor === undefined ? undefined : pos('cellFactor', o.cellFactor, 1),
        maxVolumeFactor,
        minDistance: o.minDistance ?? 0.5,
        trajEvery,
        symmetrizeAfter: o.symmetrizeAfter === undefined ? 0 : pos('symmetrizeAfter', o.symmetrizeAfter, 0.1),
    };
}
/**
 * Whether any two atoms (or an atom and its own image) are closer than dmin (Å). Allocation-free
 * version of the scan in checkStructure (same image range), run at every step; checkStructure is
 * called only to word the message.
 */
export function hasOverlap(s, dmin) {
    const c = s.cell, f = s.frac, n = s.natoms;
    const vol = s.volume;
    const cr = (i, j) => hypot3(c[3 * i + 1] * c[3 * j + 2] - c[3 * i + 2] * c[3 * j + 1], c[3 * i + 2] * c[3 * j] - c[3 * i] * c[3 * j + 2], c[3 * i] * c[3 * j + 1] - c[3 * i + 1] * c[3 * j]);
    const r0 = Math.ceil(0.5 + dmin / (vol / cr(1, 2))), r1 = Math.ceil(0.5 + dmin / (vol / cr(2, 0))), r2 = Math.ceil(0.5 + dmin / (vol / cr(0, 1)));
    const T = [];
    for (let a = -r0; a <= r0; a++)
        for (let b = -r1; b <= r1; b++)
            for (let g = -r2; g <= r2; g++) {
                if (a === 0 && b === 0 && g === 0)
                    continue;
                T.push(a * c[0] + b * c[3] + g * c[6], a * c[1] + b * c[4] + g * c[7], a * c[2] + b * c[5] + g * c[8]);
            }
    const d2 = dmin * dmin;
    const nt = T.length;
    for (let i = 0; i < n; i++) {
        // own images
        for (let m = 0; m < nt; m += 3)
            if (T[m] * T[m] + T[m + 1] * T[m + 1] + T[m + 2] * T[m + 2] < d2)
                return true;
        for (let j = i + 1; j < n; j++) {
            let u = f[3 * j] - f[3 * i], v = f[3 * j + 1] - f[3 * i + 1], w = f[3 * j + 2] - f[3 * i + 2];
            u -= Math.round(u);
            v -= Math.round(v);
            w -= Math.round(w);
            const x = u * c[0] + v * c[3] + w * c[6], y = u * c[1] + v * c[4] + w * c[7], z = u * c[2] + v * c[5] + w * c[8];
            if (x * x + y * y + z * z < d2)
                return true;
            for (let m = 0; m < nt; m += 3) {
                const p = x + T[m], q = y + T[m + 1], r = z + T[m + 2];
                if (p * p + q * q + r * r < d2)
                    return true;
            }
        }
    }
    return false;
}
function spaceGroupOf(s, symprec) {
    try {
        return analyzeSymmetry(s, symprec).number;
    }
    catch {
        return null;
    }
}
/** One relaxation's state. */
class Job {
    index;
    o;
    coords;
    min;
    sym;
    v0;
    steps = 0;
    forceCalls = 0;
    done = false;
    status = 'max-steps';
    failure;
    /** Last accepted evaluation. */
    best = null;
    trajectory;
    spaceGroupBefore = null;
    gbuf;
    fbuf;
    constructor(index, start, o, opts) {
        this.index = index;
        this.o = o;
        let s = start;
        let sym = null;
        if (o.detect)
            this.spaceGroupBefore = spaceGroupOf(start, o.symprec);
        if (o.keepSymmetry) {
            const r = symmetrizeStructure(start, o.symprec);
            s = r.structure;
            this.spaceGroupBefore = r.dataset.number;
            sym = r.dataset.operations.length > 1 ? new Symmetrizer(s.cell, r.dataset) : null;
        }
        this.sym = sym;
        this.coords = new CellCoordinates(s, o.cell, o.cellFactor ?? Math.max(1, s.natoms));
        this.v0 = s.volume;
        const ctl = { stepLength: (d) => this.coords.stepLength(d), maxStep: o.maxStep };
        if (sym)
            ctl.project = (d) => this.symmetrizeVector(d);
        const x0 = this.coords.initial();
        this.min = o.method === 'fire' ? new Fire(x0, ctl, opts.fire) : new Lbfgs(x0, ctl, opts.lbfgs);
        this.gbuf = new Float64Array(this.coords.size);
        this.fbuf = new Float64Array(3 * s.natoms);
        if (o.trajEvery)
            this.trajectory = [];
    }
    /** Symmetrise a vector of generalised coordinates in place (reference-frame operations). */
    symmetrizeVector(d) {
        const sym = this.sym;
        const n3 = 3 * this.coords.natoms;
        d.set(sym.vector(d.subarray(0, n3)), 0);
        if (this.coords.mode === 'full')
            d.set(sym.tensor(d.subarray(n3, n3 + 9)), n3);
    }
    /** The structure to evaluate next, or a failure before evaluating it. */
    next() {
        const s = this.coords.structure(this.min.trial);
        const v = s.volume;
        const f = this.o.maxVolumeFactor;
        if (v < this.v0 / f)
            return this.fail('cell-collapse', `volume fell from ${this.v0.toFixed(3)} to ${v.toFixed(3)} Å³ (more than a factor ${f})`);
        if (v > this.v0 * f)
            return this.fail('cell-explosion', `volume grew from ${this.v0.toFixed(3)} to ${v.toFixed(3)} Å³ (more than a factor ${f})`);
        // O(N²) scan: every evaluation for small cells, every 10th above 256 atoms
        const check = s.natoms <= 256 || this.forceCalls % 10 === 0;
        if (this.o.minDistance > 0 && check && hasOverlap(s, this.o.minDistance)) {
            const c = checkStructure(s, this.o.minDistance);
            if (!c.ok)
                return this.fail('overlap', `atoms collapsed onto each other: ${c.messages[0]}${c.messages.length > 1 ? ` (and ${c.messages.length - 1} more pairs)` : ''}`);
        }
        return s;
    }
    fail(kind, message) {
        this.done = true;
        this.status = 'failed';
        this.failure = { kind, message: `structure ${this.index}: ${message}${this.steps ? ` at step ${this.steps}` : ''}` };
        return null;
    }
    /** Consume the evaluation of the last structure from next(). */
    take(s, r, onStep) {
        this.forceCalls++;
        const o = this.o;
        const n = s.natoms;
        const vol = s.volume;
        const forces = this.fbuf;
        if (this.sym)
            this.sym.vector(r.forces, forces);
        else
            forces.set(r.forces);
        let stress;
        if (r.stress) {
            stress = this.sym ? this.sym.tensor(r.stress) : Float64Array.from(r.stress);
            // σ is symmetric; remove round-off asymmetry
            for (const [a, b] of [[1, 3], [2, 6], [5, 7]])
                stress[a] = stress[b] = 0.5 * (stress[a] + stress[b]);
        }
        const h = r.energy + o.pressure * vol;
        const g = this.coords.gradient(this.min.trial, forces, stress, o.pressure, vol, this.gbuf);
        if (this.sym)
            this.symmetrizeVector(g);
        const accepted = this.min.tell(h, g);
        if (!accepted) {
            if (this.forceCalls >= 3 * o.maxSteps + 10) {
                this.done = true;
                this.status = 'max-steps';
            }
            return;
        }
        let fm = 0;
        for (let i = 0; i < n; i++)
            fm = Math.max(fm, hypot3(forces[3 * i], forces[3 * i + 1], forces[3 * i + 2]));
        let sm = 0;
        if (stress && o.cell === 'full') {
            for (let k = 0; k < 9; k++)
                sm = Math.max(sm, Math.abs(stress[k] + (k % 4 === 0 ? o.pressure : 0)));
        }
        else if (stress && o.cell === 'isotropic') {
            sm = Math.abs((stress[0] + stress[4] + stress[8]) / 3 + o.pressure);
        }
        sm *= EV_A3_TO_GPA;
        this.best = { structure: s, r, h, forces: Float64Array.from(forces), stress: stress && stress.map((x) => x * EV_A3_TO_GPA), maxForce: fm, maxStress: sm };
        const converged = fm < o.fmax && sm < o.smax;
        if (this.trajectory && (this.steps % o.trajEvery === 0 || converged || this.steps === o.maxSteps))
            this.snapshot();
        onStep?.({
            index: this.index,
            step: this.steps,
            forceCalls: this.forceCalls,
            energy: r.energy,
            enthalpy: h,
            volume: vol,
            maxForce: fm,
            maxStress: sm,
            pressure: stress ? (-(stress[0] + stress[4] + stress[8]) / 3) * EV_A3_TO_GPA : NaN,
        });
        if (converged) {
            this.done = true;
            this.status = 'converged';
            return;
        }
        if (this.steps >= o.maxSteps) {
            this.done = true;
            this.status = 'max-steps';
            return;
        }
        this.steps++;
    }
    /** Replace the final state by an idealised structure and its evaluation (symmetrizeAfter). */
    replaceFinal(s, r) {
        const o = this.o;
        this.forceCalls++;
        const stress = r.stress ? Float64Array.from(r.stress, (x) => x * EV_A3_TO_GPA) : undefined;
        let fm = 0;
        for (let i = 0; i < s.natoms; i++)
            fm = Math.max(fm, hypot3(r.forces[3 * i], r.forces[3 * i + 1], r.forces[3 * i + 2]));
        let sm = 0;
        if (stress && o.cell === 'full')
            for (let q = 0; q < 9; q++)
                sm = Math.max(sm, Math.abs(stress[q] + (q % 4 === 0 ? o.pressureGPa : 0)));
        else if (stress && o.cell === 'isotropic')
            sm = Math.abs((stress[0] + stress[4] + stress[8]) / 3 + o.pressureGPa);
        this.best = { structure: s, r, h: r.energy + o.pressure * s.volume, forces: Float64Array.from(r.forces), stress, maxForce: fm, maxStress: sm };
    }
    snapshot() {
        const b = this.best;
        const last = this.trajectory[this.trajectory.length - 1];
        if (last && last.step === this.steps)
            return;
        this.trajectory.push({ step: this.steps, structure: b.structure, energy: b.r.energy, enthalpy: b.h, forces: b.forces, stress: b.stress });
    }
    result() {
        const o = this.o;
        const b = this.best;
        const base = {
            status: this.status,
            converged: this.status === 'converged',
            targetPressure: o.pressureGPa,
            steps: this.steps,
            forceCalls: this.forceCalls,
            method: o.method,
            cell: o.cell,
            failure: this.failure,
            trajectory: this.trajectory,
        };
        if (!b) {
            const s = this.coords.reference;
            return {
                ...base,
                structure: s,
                energy: NaN,
                enthalpy: NaN,
                volume: s.volume,
                pressure: NaN,
                forces: new Float64Array(3 * s.natoms).fill(NaN),
                maxForce: NaN,
                maxStress: NaN,
                spaceGroup: o.detect ? { before: this.spaceGroupBefore, after: null, symprec: o.symprec } : undefined,
            };
        }
        const structure = b.structure.wrapped();
        const st = b.stress;
        return {
            ...base,
            structure,
            energy: b.r.energy,
            enthalpy: b.h,
            volume: structure.volume,
            stress: st,
            pressure: st ? -(st[0] + st[4] + st[8]) / 3 : NaN,
            forces: b.forces,
            maxForce: b.maxForce,
            maxStress: b.maxStress,
            spaceGroup: o.detect ? { before: this.spaceGroupBefore, after: spaceGroupOf(structure, o.symprec), symprec: o.symprec } : undefined,
        };
    }
}
/** Evaluate a batch; a failing configuration is isolated and reported, the others are evaluated. */
async function evaluate(calc, structures, requireStress, signal) {
    const out = new Array(structures.length);
    let idx = structures.map((_, i) => i);
    while (idx.length > 0) {
        const batch = idx.map((i) => structures[i]);
        try {
            const res = await calc.compute(batch, { stress: true, signal });
            if (res.length !== batch.length)
                throw new CalculatorError(`${calc.name}: returned ${res.length} results for ${batch.length} configurations`);
            for (let k = 0; k < res.length; k++) {
                try {
                    validateResult(res[k], batch[k].natoms, k, calc.name);
                    if (requireStress && !res[k].stress)
                        throw new CalculatorError(`${calc.name}: no stress for configuration ${k} (a variable-cell relaxation needs it)`, k);
                }
                catch (e) {
                    out[idx[k]] = e;
                    continue;
                }
                out[idx[k]] = res[k];
            }
            return out;
        }
        catch (e) {
            if (signal?.aborted)
                throw e;
            const k = e instanceof CalculatorError ? e.index : undefined;
            if (k !== undefined && k >= 0 && k < idx.length) {
                // the engine named the culprit: drop it and redo the others
                out[idx[k]] = e;
                idx = idx.filter((_, q) => q !== k);
                continue;
            }
            if (idx.length === 1) {
                out[idx[0]] = e;
                return out;
            }
            // unattributed failure: evaluate one by one
            for (const i of idx) {
                const r = await evaluate(calc, [structures[i]], requireStress, signal);
                out[i] = r[0];
            }
            return out;
        }
    }
    return out;
}
/**
 * Relax many structures in lock-step: at every step one `compute` call with every unfinished
 * relaxation's next configuration. Never throws for the failure of one structure (see `failure`).
 */
export async function relaxBatch(calc, structures, options = {}) {
    const o = resolve(options);
    const jobs = [];
    for (let i = 0; i < structures.length; i++) {
        try {
            jobs.push(new Job(i, structures[i], o, options));
        }
        catch (e) {
            // symmetry set-up failed: report like the other failures
            const j = new Job(i, structures[i], { ...o, keepSymmetry: false, detect: false }, options);
            j.fail('symmetry', e.message);
            jobs.push(j);
        }
    }
    const needStress = o.cell !== 'fixed';
    while (true) {
        if (options.signal?.aborted) {
            for (const j of jobs)
                if (!j.done)
                    j.fail('aborted', 'relaxation aborted');
            break;
        }
        const active = [];
        const batch = [];
        for (const j of jobs) {
            if (j.done)
                continue;
            const s = j.next();
            if (s) {
                active.push(j);
                batch.push(s);
            }
        }
        if (active.length === 0)
            break;
        let res;
        try {
            res = await evaluate(calc, batch, needStress, options.signal);
        }
        catch (e) {
            if (!options.signal?.aborted)
                throw e;
            for (const j of jobs)
                if (!j.done)
                    j.fail('aborted', 'relaxation aborted');
            break;
        }
        for (let k = 0; k < active.length; k++) {
            const r = res[k];
            const j = active[k];
            if (r instanceof Error) {
                j.forceCalls++;
                j.fail('calculator', `${r.name === 'CalculatorError' ? '' : `${r.name}: `}${r.message}`);
            }
            else {
                j.take(batch[k], r, options.onStep);
            }
        }
    }
    if (o.symmetrizeAfter > 0) {
        const todo = [];
        const ideal = [];
        for (const j of jobs) {
            if (j.status !== 'converged' || !j.best)
                continue;
            try {
                ideal.push(symmetrizeStructure(j.best.structure, o.symmetrizeAfter).structure);
                todo.push(j);
            }
            catch {
                /* no consistent symmetry at this tolerance: keep the relaxed structure */
            }
        }
        if (todo.length) {
            const res = await evaluate(calc, ideal, needStress, options.signal);
            res.forEach((r, q) => {
                if (!(r instanceof Error))
                    todo[q].replaceFinal(ideal[q], r);
            });
        }
    }
    return jobs.map((j) => j.result());
}
/**
 * Relax one structure. Throws RelaxError (kind and message; `result` holds the last accepted state)
 * when the relaxation fails; returns with `converged: false` when it ran out of steps.
 */
export async function relax(calc, structure, options = {}) {
    const [r] = await relaxBatch(calc, [structure], options);
    if (r.status === 'failed') {
        const f = r.failure;
        throw new RelaxError(f.kind, `relaxation failed (${f.kind}): ${f.message.replace(/^structure 0: /, '')}`, r);
    }
    return r;
}
