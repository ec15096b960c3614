#!/bin/sh
# The converged-settings chain, one GPAW process at a time (one core): training settings
# -> denser k -> higher cutoff -> smaller smearing -> k-point check.
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1
G=2.96,3.0,3.04,3.08,3.12
for S in pw400-fd0.1-k16 pw700-fd0.1-k16 pw700-fd0.03-k16; do
  /usr/bin/python3 run.py $S --stages eos,hess --agrid $G --pressures 150,170,190 || exit 1
done
/usr/bin/python3 run.py pw700-fd0.03-k24 --stages hess --a-from pw700-fd0.03-k16 --pressures 170
/usr/bin/python3 run.py pw400-fd0.1-k6 --stages relax --pressures 135,160,170
/usr/bin/python3 check_supercell.py
# not run (replaced by queue-c.sh / queue-d.sh: k-points mattered more): /usr/bin/python3 run.py pw900-fd0.03-k16 --stages eos,hess --agrid 2.96,3.0,3.04,3.08,3.12 --pressures 170,190
# not run (replaced by queue-c.sh / queue-d.sh: k-points mattered more): /usr/bin/python3 run.py pw700-fd0.03-k16 --stages hess --pressures 180
# not run (replaced by queue-c.sh / queue-d.sh: k-points mattered more): /usr/bin/python3 run.py pw700-fd0.03-k16 --stages relax --pressures 150,170,160
