#!/bin/sh
# Train and evaluate the moment-tensor potential on the PBE H3S configurations of this folder.
#
#   sh data/h3s-pbe/train.sh [LEVEL=14] [RCUT=3.5]      (from the repository root, after npm run build)
#
# Every complete frame of chunk-seed*.extxyz is used (a chunk still being written may end in a
# partial frame, which is dropped); the frames with generator index ≡ 4 (mod 5) are held out. The model
# is trained on the rest (5-fold cross-validation of λ inside) and evaluated on the held-out frames.
# Reports stay here: fit/train.txt, fit/evaluate.txt, parity plots fit/{energy,forces,stress}.svg and
# fit/errors.json. The splits and the model file (several MB: θ and the active set) go to $WORK
# (default /tmp/h3s-pbe-fit): they are regenerated from the data by this script.
set -eu
LEVEL=${1:-14}
RCUT=${2:-3.5}
HERE=$(dirname "$0")
OUT="$HERE/fit"
WORK=${WORK:-/tmp/h3s-pbe-fit}
mkdir -p "$OUT" "$WORK"
: > "$WORK/train.extxyz"
: > "$WORK/test.extxyz"
for f in "$HERE"/chunk-seed*.extxyz; do cat "$f"; done | awk -v train="$WORK/train.extxyz" -v test="$WORK/test.extxyz" '
  # one frame: count line, comment line, count atom lines; written only when complete
  # held out: the frames whose generator index (index= on the comment line) is 4 mod 5, so the split
  # does not change as the chunks grow
  function flush() { if (have == need && need > 0) { dest = (idx % 5 == 4) ? test : train; printf "%s", buf >> dest } }
  {
    if (need == 0 || have == need) {
      flush(); buf = ""; have = 0; idx = -1
      if ($0 ~ /^[ \t]*[0-9]+[ \t]*$/) { need = $1 + 2 } else { need = 0; next }
    }
    if (have == 1 && match($0, /(^|[ \t])index=[0-9]+/)) { s = substr($0, RSTART, RLENGTH); sub(/.*index=/, "", s); idx = s + 0 }
    buf = buf $0 "\n"; have++
  }
  END { flush() }
'
echo "frames: $(grep -c Lattice "$WORK/train.extxyz") training, $(grep -c Lattice "$WORK/test.extxyz") held out"
node "$HERE/../../dist/bin/anharm.js" train "$WORK/train.extxyz" --out "$WORK/model.json" \
  --level "$LEVEL" --rcut "$RCUT" --rmin 0.5 --holdout 0 --seed 1 | tee "$OUT/train.txt"
node "$HERE/../../dist/bin/anharm.js" evaluate "$WORK/model.json" "$WORK/test.extxyz" --out "$OUT" | tee "$OUT/evaluate.txt"
