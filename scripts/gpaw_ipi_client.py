#!/usr/bin/env python3
"""GPAW (PBE, plane waves) as an i-PI client: the reference engine of `anharm run --reference gpaw`.

The toolkit starts this script (Debian: gpaw, gpaw-data, python3-ase) and sends it configurations
through its i-PI server; i-PI does not carry species, so each client serves one species sequence
(--symbols) and one k-point grid (--kpts, from the cell the toolkit expects; the cell may change).
Settings follow physics.md 6.5 / issue 6: plane waves, PBE, Fermi-Dirac smearing, symmetry off; the
energy sent back is the Mermin free energy (ASE's `free_energy`), of which forces and stress are
derivatives (ASE's socket client would send the zero-smearing extrapolation `energy`).

usage: gpaw_ipi_client.py (--unix NAME | --port P [--host H]) --symbols H,H,H,S
                          [--ecut 400] [--kpts 3,3,3] [--smearing 0.1] [--txt FILE]
"""
import argparse
import types

import numpy as np
import ase.calculators.socketio as sio
from ase import Atoms
from ase.calculators.socketio import SocketClient
from gpaw import GPAW, PW, FermiDirac

p = argparse.ArgumentParser()
p.add_argument('--host', default='127.0.0.1')
p.add_argument('--port', type=int)
p.add_argument('--unix')
p.add_argument('--symbols', required=True)
p.add_argument('--ecut', type=float, default=400.0)
p.add_argument('--kpts', default='3,3,3')
p.add_argument('--smearing', type=float, default=0.1)
p.add_argument('--txt', default=None)
a = p.parse_args()

# the toolkit's constants (physics.md 1.2) on the wire, not ASE 3.22's CODATA 2014 ones
sio.units = types.SimpleNamespace(Bohr=0.529177210903, Ha=27.211386246)

symbols = a.symbols.split(',')
atoms = Atoms(symbols, positions=np.zeros((len(symbols), 3)), cell=np.eye(3) * 10.0, pbc=True)
atoms.calc = GPAW(mode=PW(a.ecut), xc='PBE', kpts=tuple(int(x) for x in a.kpts.split(',')),
                  occupations=FermiDirac(a.smearing), symmetry='off', txt=a.txt)
# the socket client asks atoms.get_potential_energy(): answer with the force-consistent free energy
atoms.get_potential_energy = lambda *args, **kw: Atoms.get_potential_energy(atoms, force_consistent=True)
# no timeout: a group's client waits as long as the toolkit works on other groups (a 32-atom label can
# take longer than any fixed limit); it ends when the toolkit closes the socket or exits
client = SocketClient(host=a.host, port=a.port, unixsocket=a.unix, timeout=None)
client.run(atoms, use_stress=True)
client.close()
