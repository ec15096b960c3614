#!/usr/bin/python3
"""Shared pieces for the static R3m -> Im-3m study of H3S with GPAW (PBE).

Structures: the 4-atom primitive cell of bcc H3S (S at the origin, H at a/2 along
each cubic axis). R3m keeps the 3-fold axis along [111] and the mirrors through it:
H1 = (a/2 + u, v, v) and its images under the 3-fold rotation; u is the shift along
the S-H-S bond (delta of generate.py), v the A1 component perpendicular to it.
"""
import io, json, os, time
import numpy as np
from ase import Atoms
from ase.io import write
from ase.units import GPa
from ase.calculators.singlepoint import SinglePointCalculator

HERE = os.path.dirname(os.path.abspath(__file__))

# 'train': the settings of the training data (generate.py: PW 400, FD 0.1, MP 3x3x3 on
# the 2x2x2 supercell = Gamma-centred 6x6x6 on the primitive cell);
# the others: converged candidates (see README).
SETTINGS = {
    'train': dict(ecut=400, smearing=('fermi-dirac', 0.1), k=6),
}


def make_settings(ecut, smearing, k):
    return dict(ecut=ecut, smearing=smearing, k=k)


def label(s):
    name, width = s['smearing']
    return f"GPAW 22.8.0 PW({s['ecut']}) PBE {name}({width}) k {s['k']}x{s['k']}x{s['k']} gamma-centred (4-atom cell) symmetry on"


def calculator(s, txt=None):
    from gpaw import GPAW, PW
    name, width = s['smearing']
    occ = {'name': name, 'width': width}
    if name == 'methfessel-paxton':
        occ['order'] = 1
    return GPAW(mode=PW(s['ecut']), xc='PBE', kpts={'size': (s['k'],) * 3, 'gamma': True},
                occupations=occ, convergence={'energy': 1e-6, 'density': 1e-5},
                txt=txt)


def primitive(a, u=0.0, v=0.0):
    cell = 0.5 * a * np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]], float)
    pos = np.array([[0, 0, 0], [a / 2 + u, v, v], [v, a / 2 + u, v], [v, v, a / 2 + u]], float)
    return Atoms('SH3', positions=pos, cell=cell, pbc=True)


def sh_bonds(atoms):
    """Short and long S-H bond (A) of each H: its two nearest S (minimum image over 27 cells)."""
    cell = atoms.cell.array
    s = atoms.positions[0]
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]) @ cell
    out = []
    for h in atoms.positions[1:]:
        d = np.sort(np.linalg.norm(h - (s + shifts), axis=1))
        out.append((d[0], d[1]))
    out = np.array(out)
    return float(out[:, 0].mean()), float(out[:, 1].mean())


def save_frame(path, atoms, calc_results, info):
    """Append one labelled frame (free_energy, energy, forces, stress as GPAW computed them,
    before any symmetry constraint) to an extended XYZ file, in one write."""
    fr = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions.copy(),
               cell=atoms.cell.array.copy(), pbc=True)
    fr.info.update(info)
    fr.calc = SinglePointCalculator(fr, energy=calc_results['energy'],
                                    free_energy=calc_results['free_energy'],
                                    forces=calc_results['forces'].copy(),
                                    stress=calc_results['stress'].copy())
    buf = io.StringIO()
    write(buf, fr, format='extxyz')
    with open(path, 'a') as f:
        f.write(buf.getvalue())


def append_result(path, record):
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')


def read_results(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]
