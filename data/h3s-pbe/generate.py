#!/usr/bin/python3
"""PBE (GPAW) labels for H3S training configurations.

Each configuration is a 32-atom 2x2x2 supercell of the 4-atom primitive cell of
Im-3m H3S (or its R3m distortion), strained and with SSCHA-like Gaussian
displacements, labelled with:
  plane waves 400 eV, PBE, Fermi-Dirac 0.1 eV, Monkhorst-Pack 3x3x3 k-points,
  symmetry off (displaced configurations have none).
Written one configuration at a time (appended, flushed) to an extended XYZ file:
the Mermin free energy (ASE's `free_energy`, what forces and stress derive
from) is `free_energy`, the zero-smearing extrapolation is `energy`.

Run with OMP_NUM_THREADS=1 (one process per core).
Usage: generate.py OUT.extxyz --seed S --count N
The configuration drawn for (seed, index) depends only on those two numbers,
so chunks can run in parallel and a killed chunk restarts where it stopped.
"""
import argparse, io, os, sys, time
import numpy as np
from ase import Atoms
from ase.io import read, write
from ase.calculators.singlepoint import SinglePointCalculator
from gpaw import GPAW, PW, FermiDirac

SETTINGS = dict(mode=PW(400), xc='PBE', kpts=(3, 3, 3),
                occupations=FermiDirac(0.1), symmetry='off',
                convergence={'energy': 1e-6, 'density': 1e-5})


def primitive(a, delta, phase):
    """4-atom primitive cell of bcc H3S with conventional cubic edge a (A).
    R3m: each H shifted by delta (A) along its own S-H-S bond, the three
    shifts related by the 3-fold axis along [111] (one short, one long S-H bond)."""
    cell = 0.5 * a * np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]], float)
    pos = np.array([[0, 0, 0], [a / 2, 0, 0], [0, a / 2, 0], [0, 0, a / 2]], float)
    if phase == 'R3m':
        pos[1:] += delta * np.eye(3)
    return Atoms('SH3', positions=pos, cell=cell, pbc=True)


def draw(seed, index):
    rng = np.random.default_rng([seed, index])
    phase = 'Im-3m' if rng.random() < 0.5 else 'R3m'
    # a = 3.0-3.3 A spans roughly 250-100 GPa for PBE H3S
    a = rng.uniform(3.0, 3.3)
    delta = rng.uniform(0.03, 0.15) if phase == 'R3m' else 0.0
    atoms = primitive(a, delta, phase).repeat((2, 2, 2))
    if phase == 'R3m':
        # rhombohedral strain along [111] (R3m keeps the 3-fold axis, not the cubic cell)
        n = np.ones(3) / np.sqrt(3)
        eps_r = rng.uniform(-0.02, 0.02)
        atoms.set_cell(atoms.cell @ (np.eye(3) + eps_r * np.outer(n, n)), scale_atoms=True)
    # symmetric random strain up to 2 %
    e = rng.uniform(-0.02, 0.02, (3, 3))
    atoms.set_cell(atoms.cell @ (np.eye(3) + 0.5 * (e + e.T)), scale_atoms=True)
    # SSCHA-like displacements: H rms per component 0.05-0.15 A, S about 1/4 of it
    sigma_h = rng.uniform(0.05, 0.15)
    sig = np.where(np.array(atoms.get_chemical_symbols()) == 'H', sigma_h, 0.25 * sigma_h)
    atoms.positions += rng.normal(size=(len(atoms), 3)) * sig[:, None]
    atoms.info.update(phase=phase, a_conv=a, delta=delta, sigma_h=sigma_h,
                      seed=seed, index=index)
    return atoms


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--start', type=int, default=0)
    args = p.parse_args()
    done = set()
    if os.path.exists(args.out) and os.path.getsize(args.out) > 0:
        done = {int(at.info['index']) for at in read(args.out, ':')}
    for index in range(args.start, args.start + args.count):
        if index in done:
            continue
        atoms = draw(args.seed, index)
        t0 = time.time()
        atoms.calc = GPAW(**SETTINGS, txt=None)
        free = atoms.get_potential_energy(force_consistent=True)
        e0 = atoms.get_potential_energy()
        forces = atoms.get_forces()
        stress = atoms.get_stress()  # Voigt xx yy zz yz xz xy (ASE sign)
        labelled = atoms.copy()
        labelled.info.update(dft='GPAW 22.8.0 PW(400) PBE FermiDirac(0.1) MP 3x3x3 symmetry off',
                             seconds=round(time.time() - t0, 1))
        labelled.calc = SinglePointCalculator(labelled, energy=e0, free_energy=free,
                                              forces=forces, stress=stress)
        buf = io.StringIO()
        write(buf, labelled, format='extxyz')
        with open(args.out, 'a') as f:  # one write per configuration: a kill never leaves half a frame
            f.write(buf.getvalue())
        print(f'{index} {atoms.info["phase"]} {free:.6f} eV  {time.time() - t0:.0f} s', flush=True)


if __name__ == '__main__':
    main()
