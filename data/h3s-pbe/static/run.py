#!/usr/bin/python3
"""Static R3m -> Im-3m symmetrisation of H3S with GPAW (PBE), one settings set per call.

Stages (each result appended to runs.jsonl as it comes; rerunning skips what is there):
  eos     Im-3m (delta = 0) single points on a grid of the cubic edge a: P(a) from the stress
  hess    at a(P) of each pressure: the Im-3m point (enthalpy) and two displaced points
          (u = h, then v = h) whose forces give the 2x2 stiffness matrix of the R3m (A1)
          distortion at fixed cubic cell; its lowest eigenvalue < 0 means the
          symmetric structure is unstable (static R3m)
  relax   R3m relaxed at pressure P (cell and positions, R3m kept by FixSymmetry), from
          u = 0.1 A at a(P): S-H bonds and H(R3m) - H(Im-3m)
Every SCF (including each relaxation step) is appended as a labelled frame to
frames-<settings>.extxyz.

Usage: run.py SETTINGS --stages eos,hess,relax --pressures 120,150,180,210
SETTINGS like pw400-fd0.1-k6 (training settings) or pw700-fd0.03-k16 or pw700-mp0.05-k16.
Run with OMP_NUM_THREADS=1.
"""
import argparse, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h3s_static import HERE, calculator, primitive, sh_bonds, save_frame, append_result, read_results, label
from ase.units import GPa

RUNS = os.path.join(HERE, 'runs.jsonl')
A_GRID = [2.96, 3.00, 3.04, 3.08, 3.12, 3.16, 3.20, 3.24]
H_DISP = 0.01  # A, finite displacement for the stiffness matrix
A_FROM = {}  # settings -> settings whose Im-3m P(a) gives a(P) (k-point checks at the same cell)


def parse(name):
    pw, sm, k = name.split('-')
    kind = {'fd': 'fermi-dirac', 'mp': 'methfessel-paxton'}[sm[:2]]
    return dict(ecut=int(pw[2:]), smearing=(kind, float(sm[2:])), k=int(k[1:]))


class Point:
    """One SCF with the given settings; the frame is saved and the numbers returned."""
    def __init__(self, name):
        self.name, self.s = name, parse(name)
        self.frames = os.path.join(HERE, f'frames-{name}.extxyz')

    def __call__(self, atoms, **info):
        t = time.time()
        atoms.calc = calculator(self.s)
        atoms.get_forces(); atoms.get_stress()
        res = dict(atoms.calc.results)
        sec = round(time.time() - t, 1)
        save_frame(self.frames, atoms, res, dict(info, dft=label(self.s), seconds=sec))
        return res, sec


def done(kind, name, **keys):
    for r in read_results(RUNS):
        if r['kind'] == kind and r['settings'] == name and all(abs(r[k] - v) < 1e-9 for k, v in keys.items()):
            return r
    return None


def eos(name, point, grid=A_GRID):
    for a in grid:
        if done('eos', name, a=a):
            continue
        at = primitive(a)
        res, sec = point(at, stage='eos', a_conv=a, delta=0.0)
        p = -res['stress'][:3].mean() / GPa
        append_result(RUNS, dict(kind='eos', settings=name, a=a, volume=at.get_volume(),
                                 free_energy=res['free_energy'], energy=res['energy'],
                                 pressure=p, seconds=sec))
        print(f'eos {name} a={a} P={p:.2f} GPa F={res["free_energy"]:.6f} {sec} s', flush=True)


def a_of_p(name, p):
    name = A_FROM.get(name, name)
    rs = [r for r in read_results(RUNS) if r['kind'] == 'eos' and r['settings'] == name]
    ps, a = np.array([r['pressure'] for r in rs]), np.array([r['a'] for r in rs])
    # ln a is smooth in P over 90-300 GPa: a cubic polynomial interpolates to < 1e-4 A
    return float(np.exp(np.polyval(np.polyfit(ps, np.log(a), 3), p)))


def generalized_forces(f):
    """(F_u, F_v) per cell: sum over the 3 H of the force along their own bond axis (u),
    and of the two components perpendicular to it (v)."""
    fu = sum(f[1 + i][i] for i in range(3))
    fv = sum(f[1 + i][j] for i in range(3) for j in range(3) if j != i)
    return fu, fv


def hess(name, point, pressures):
    for p in pressures:
        if done('hess', name, P=p):
            continue
        a = a_of_p(name, p)
        t0 = time.time()
        at = primitive(a)
        r0, s0 = point(at, stage='hess', a_conv=a, delta=0.0, P_target=p)
        p0 = -r0['stress'][:3].mean() / GPa
        rows, secs = [], [s0]
        for du, dv in ((H_DISP, 0.0), (0.0, H_DISP)):
            res, sec = point(primitive(a, du, dv), stage='hess', a_conv=a, delta=du, v=dv, P_target=p)
            rows.append(generalized_forces(res['forces'])); secs.append(sec)
        k = -np.array(rows).T / H_DISP  # K[i][j] = -dF_i/dx_j, i,j in (u, v); eV/A^2 per cell
        ks = 0.5 * (k + k.T)
        w, vec = np.linalg.eigh(ks)
        vol = at.get_volume()
        rec = dict(kind='hess', settings=name, P=p, a=a, volume=vol, pressure_check=p0,
                   free_energy=r0['free_energy'], energy=r0['energy'],
                   H_free=r0['free_energy'] + p * GPa * vol, H_energy=r0['energy'] + p * GPa * vol,
                   K=k.tolist(), K_asym=float(k[0, 1] - k[1, 0]), k_min=float(w[0]),
                   soft_mode_uv=vec[:, 0].tolist(), seconds=secs)
        append_result(RUNS, rec)
        print(f'hess {name} P={p} a={a:.4f} (P check {p0:.2f}) K_min={w[0]:.4f} eV/A^2 '
              f'mode(u,v)={vec[:, 0].round(3)} {time.time() - t0:.0f} s', flush=True)


def relax(name, point, pressures, fmax, u0):
    from ase.constraints import ExpCellFilter
    from ase.spacegroup.symmetrize import FixSymmetry
    from ase.optimize import BFGS
    for p in pressures:
        if done('relax', name, P=p):
            continue
        h = done('hess', name, P=p)
        if h is None:
            hess(name, point, [p]); h = done('hess', name, P=p)
        a = h['a']
        at = primitive(a, u0, 0.0)
        at.calc = calculator(point.s)
        at.set_constraint(FixSymmetry(at))
        t0 = time.time(); nsteps = [0]; last = [time.time()]

        def save():
            c = at.calc
            ref = c.atoms  # the structure the results belong to
            save_frame(point.frames, ref, c.results,
                       dict(stage='relax', P_target=p, step=nsteps[0], dft=label(point.s),
                            seconds=round(time.time() - last[0], 1)))
            nsteps[0] += 1; last[0] = time.time()

        ecf = ExpCellFilter(at, scalar_pressure=p * GPa)
        opt = BFGS(ecf, maxstep=0.05, logfile=None)
        opt.attach(save)
        conv = opt.run(fmax=fmax, steps=200)
        res = at.calc.results
        vol = at.get_volume()
        short, long_ = sh_bonds(at)
        hf = res['free_energy'] + p * GPa * vol
        he = res['energy'] + p * GPa * vol
        cellpar = at.cell.cellpar()
        rec = dict(kind='relax', settings=name, P=p, converged=bool(conv), steps=nsteps[0],
                   fmax=fmax, u0=u0, seconds=round(time.time() - t0, 1),
                   volume=vol, cellpar=cellpar.tolist(), positions=at.positions.tolist(),
                   cell=at.cell.array.tolist(), sh_short=short, sh_long=long_,
                   pressure_check=float(-res['stress'][:3].mean() / GPa),
                   H_free=hf, H_energy=he,
                   dH_free_meV_atom=(hf - h['H_free']) / 4 * 1000,
                   dH_energy_meV_atom=(he - h['H_energy']) / 4 * 1000)
        append_result(RUNS, rec)
        print(f'relax {name} P={p} S-H {short:.4f}/{long_:.4f} dH={rec["dH_free_meV_atom"]:.3f} meV/atom '
              f'({rec["dH_energy_meV_atom"]:.3f} from E0) steps={nsteps[0]} {rec["seconds"]:.0f} s', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('settings')
    ap.add_argument('--stages', default='eos,hess,relax')
    ap.add_argument('--pressures', default='120,150,180,210')
    ap.add_argument('--fmax', type=float, default=0.005)
    ap.add_argument('--u0', type=float, default=0.1)
    ap.add_argument('--agrid', default=','.join(map(str, A_GRID)), help='cubic edges (A) of the eos stage')
    ap.add_argument('--a-from', default=None, help='take a(P) from the eos of these settings')
    args = ap.parse_args()
    if args.a_from:
        A_FROM[args.settings] = args.a_from
    ps = [float(x) for x in args.pressures.split(',')]
    point = Point(args.settings)
    st = args.stages.split(',')
    if 'eos' in st: eos(args.settings, point, [float(x) for x in args.agrid.split(',')])
    if 'hess' in st: hess(args.settings, point, ps)
    if 'relax' in st: relax(args.settings, point, ps, args.fmax, args.u0)


if __name__ == '__main__':
    main()
