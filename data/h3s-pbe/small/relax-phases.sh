#!/bin/sh
# Relax given structures with an MLIP model at several pressures (anharm relax) and collect the relaxed
# cells with a key <name>-<P> in one extended XYZ (input of label.py; compare.py compares the model with
# DFT single points at those geometries).
#
#   sh data/h3s-pbe/small/relax-phases.sh MODEL.json OUT.extxyz "100 150 200" STRUCTURE...
set -eu
MODEL=$1; OUT=$2; PRESSURES=$3; shift 3
HERE=$(dirname "$0")
TMP=$(mktemp -d)
for s in "$@"; do
  name=$(basename "$s" | sed 's/\.[^.]*$//')
  for p in $PRESSURES; do
    node "$HERE/../../../dist/bin/anharm.js" relax "$s" --potential "$MODEL" --pressure "$p" --fmax 0.005 --smax 0.1 \
      --steps 1000 --out "$TMP/$name-$p.extxyz" --json > "$TMP/$name-$p.json" || echo "relax $name at $p GPa failed" >&2
  done
done
/usr/bin/python3 - "$TMP" "$OUT" <<'PY'
import glob, os, sys
from ase.io import read, write
tmp, out = sys.argv[1:]
frames = []
for f in sorted(glob.glob(os.path.join(tmp, '*.extxyz'))):
    a = read(f)
    a.calc = None
    key = os.path.basename(f)[:-7]
    a.info = {'key': key, 'kind': 'phase', 'pressure': float(key.rsplit('-', 1)[1])}
    frames.append(a)
write(out, frames, format='extxyz')
print(f'{len(frames)} relaxed structures -> {out}')
PY
rm -rf "$TMP"
