#!/usr/bin/python3
"""PBE (GPAW) labels for small H3S cells (1-2 formula units) of the search-driven data set.

Same DFT settings as ../generate.py (plane waves 400 eV, PBE, Fermi-Dirac 0.1 eV, symmetry off,
convergence energy 1e-6 eV, density 1e-5), except the k-point grid, which is chosen per cell by a
reciprocal spacing: n_i = max(1, ceil(|b_i| / DK)) with |b_i| the length of reciprocal vector i
including 2*pi, DK = 0.49 1/A (Monkhorst-Pack, Gamma not forced). The 32-atom frames of ../ have
MP 3x3x3 on 2x2x2 bcc cells of a = 3.0-3.3 A, i.e. a spacing 0.449-0.494 1/A; 0.49 is as dense as the
coarsest of them and gives the 4-atom bcc primitive cell (a = 2.97-3.6 A) exactly the 6x6x6 grid that
the 32-atom cells sample, so bcc-like small cells are labelled consistently with the old data.
(k-convergence at 0.1 eV smearing, bcc a = 3.1 A rattled: 6^3 -3.8, 7^3 -8.2 meV/atom from 10^3.)

Usage: label.py IN.extxyz OUT.extxyz [--keys k1,k2,...] [--limit N]
Every frame of IN carries a unique info key `key`; frames whose key is already in OUT are skipped,
so a killed job restarts where it stopped (one append per labelled frame).
Run with OMP_NUM_THREADS=1.
"""
import argparse, io, os, sys, time
import numpy as np
from ase.io import read, write
from ase.calculators.singlepoint import SinglePointCalculator
from gpaw import GPAW, PW, FermiDirac

DK = 0.49


def kgrid(atoms, dk=DK):
    b = 2 * np.pi * np.linalg.norm(atoms.cell.reciprocal(), axis=1)
    return tuple(int(max(1, np.ceil(x / dk))) for x in b)


def settings(kpts):
    return dict(mode=PW(400), xc='PBE', kpts=kpts, occupations=FermiDirac(0.1), symmetry='off',
                convergence={'energy': 1e-6, 'density': 1e-5})


def done_keys(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return set()
    return {str(a.info['key']) for a in read(path, ':')}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('inp')
    p.add_argument('out')
    p.add_argument('--keys', default=None, help='comma-separated subset of keys to label (in this order)')
    p.add_argument('--limit', type=int, default=None)
    args = p.parse_args()
    frames = read(args.inp, ':')
    by_key = {str(a.info['key']): a for a in frames}
    order = args.keys.split(',') if args.keys else list(by_key)
    done = done_keys(args.out)
    n = 0
    for key in order:
        if key in done:
            continue
        if args.limit is not None and n >= args.limit:
            break
        atoms = by_key[key].copy()
        atoms.calc = None
        kpts = kgrid(atoms)
        t0 = time.time()
        atoms.calc = GPAW(**settings(kpts), txt=None)
        try:
            free = atoms.get_potential_energy(force_consistent=True)
            e0 = atoms.get_potential_energy()
            forces = atoms.get_forces()
            stress = atoms.get_stress()
        except Exception as e:  # SCF failure: record it and go on
            print(f'{key} FAILED {e}', flush=True)
            continue
        sec = round(time.time() - t0, 1)
        lab = atoms.copy()
        lab.calc = None
        for k in ('energy', 'free_energy', 'stress'):
            lab.info.pop(k, None)
        lab.info.update(key=key, dft=f'GPAW 22.8.0 PW(400) PBE FermiDirac(0.1) MP {kpts[0]}x{kpts[1]}x{kpts[2]} symmetry off',
                        kspacing=DK, seconds=sec)
        lab.calc = SinglePointCalculator(lab, energy=e0, free_energy=free, forces=forces, stress=stress)
        buf = io.StringIO()
        write(buf, lab, format='extxyz')
        with open(args.out, 'a') as f:  # one write per frame: a kill never leaves half a frame
            f.write(buf.getvalue())
        n += 1
        print(f'{key} {len(atoms)} atoms k={kpts} F={free / len(atoms):.5f} eV/atom fmax={np.abs(forces).max():.2f} '
              f'P={-stress[:3].mean() * 160.21766:.0f} GPa {sec:.0f} s', flush=True)


if __name__ == '__main__':
    main()
