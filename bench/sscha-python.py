#!/usr/bin/env python3
"""Peer timing: python-sscha (oracle build, see test/fixtures/scripts/sscha_oracle_build.sh) on the
rock-salt H-S bond-network model of test/fixtures/sscha (4x4x4 supercell of the 2-atom primitive cell,
128 atoms), N configurations at T.

Times (seconds, wall clock): setup (harmonic dynamical matrices from the analytic bond-network force
constants), ensemble generation, energy/force evaluation with the Python bond network (the calculator, not
python-sscha), one minimisation step (SSCHA_Minimizer.init + one step: weights, free energy, gradients),
and the free-energy Hessian (Ensemble.get_free_energy_hessian(include_v4=False): static bubble, no fourth
order). Prints ONE JSON line on stdout (python-sscha's own chatter goes to stderr).

Usage: PYTHONPATH=/work/oracles/site /usr/bin/python3 bench/sscha-python.py [--configs 1000] [--T 300]
       [--supercell 4] [--seed 7] [--threads 1] [--skip-hessian]
Thread count: --threads sets OMP/OPENBLAS/MKL_NUM_THREADS before numpy is imported.
"""
import argparse
import contextlib
import json
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--configs", type=int, default=1000)
ap.add_argument("--T", type=float, default=300.0)
ap.add_argument("--supercell", type=int, default=4)
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--skip-hessian", action="store_true")
ap.add_argument("--oracle", default=os.environ.get("SSCHA_ORACLE_SITE", "/work/oracles/site"))
args = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = str(args.threads)
sys.path.insert(0, args.oracle)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures", "scripts"))

# python-sscha and its Fortran modules print a lot, also straight to file descriptor 1: send fd 1 to
# stderr and keep a private copy of the original stdout for the JSON line.
sys.stdout.flush()
real_stdout = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)

import numpy as np  # noqa: E402
import sscha_reference as R  # noqa: E402  (model, converters; imports python-sscha)
import sscha.Ensemble  # noqa: E402
import sscha.SchaMinimizer  # noqa: E402


def main():
    t = {}
    sc = (args.supercell,) * 3
    m = R.model("rs-hs")
    t0 = time.perf_counter()
    calc, ref_sc = R.make_calculator(m, sc)
    dyn0, _ = R.harmonic_dyn(m, sc, calc)
    t["setup"] = time.perf_counter() - t0

    np.random.seed(args.seed)
    ens = sscha.Ensemble.Ensemble(dyn0, args.T, sc)
    t0 = time.perf_counter()
    ens.generate(args.configs)
    t["generate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ens.compute_ensemble(calc, compute_stress=False)
    t["evaluate_bond_network"] = time.perf_counter() - t0

    minim = sscha.SchaMinimizer.SSCHA_Minimizer(ens)
    minim.min_step_dyn = 0.5
    minim.min_step_struc = 0.5
    minim.kong_liu_ratio = 0.5
    minim.meaningful_factor = 1e-12  # never stop on the gradient test
    minim.max_ka = 1
    t0 = time.perf_counter()
    minim.init()
    t["minim_init"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    minim.run()
    t["minim_one_step"] = time.perf_counter() - t0
    F, Ferr = minim.get_free_energy(return_error=True)

    if not args.skip_hessian:
        t0 = time.perf_counter()
        ens.get_free_energy_hessian(include_v4=False)
        t["hessian_no_v4"] = time.perf_counter() - t0

    out = {
        "peer": "python-sscha",
        "python_sscha_commit": _commit("python-sscha"),
        "cellconstructor_commit": _commit("cellconstructor"),
        "natoms": int(np.prod(sc)) * 2, "supercell": list(sc), "configs": args.configs, "T": args.T,
        "threads": args.threads, "numpy": np.__version__,
        "seconds": {k: round(v, 4) for k, v in t.items()},
        "free_energy_eV_per_cell": float(F * R.CC_RY_TO_EV),
        "free_energy_err_eV_per_cell": float(Ferr * R.CC_RY_TO_EV),
    }
    real_stdout.write(json.dumps(out) + "\n")
    real_stdout.flush()


def _commit(name):
    p = os.path.join(os.path.dirname(os.path.realpath(os.path.join(args.oracle, "sscha"))), "..", name, ".oracle-commit")
    for cand in (p, os.path.join(args.oracle, "..", name, ".oracle-commit")):
        with contextlib.suppress(OSError):
            return open(cand).read().strip()
    return None


if __name__ == "__main__":
    main()
