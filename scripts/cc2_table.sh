#!/bin/bash
# CaloClouds II, paper 000 Tables 1 and 2: the EDM teacher (Heun, 13 steps = 25 network
# evaluations) and the one-step consistency model against the 500 Geant4 showers held back from
# training (ild_photons_train.h5, showers 3000..3500), with the paper's own numbers beside ours
# in each report.md. docs/results.md's CaloClouds II table comes from this.
# Usage: scripts/cc2_table.sh [MODEL_DIR] [OUT_DIR]
#   MODEL_DIR: a `calogen train` output or crates/models/assets/caloclouds2 (default: the latter;
#   it holds pointwise.safetensors = consistency model and teacher_edm.safetensors = EDM teacher).
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-crates/models/assets/caloclouds2}
OUT=${2:-out/cc2_table}
D=${CALOGEN_SHARED:-../shared/data}/ild_photons_train.h5
cargo build --release -q -p calogen-cli
B=target/release/calogen
export RAYON_NUM_THREADS=1
mkdir -p "$OUT"
TEACHER=$M/teacher_edm.safetensors
[ -f "$TEACHER" ] || TEACHER=$M/pointwise_net_ema.safetensors
gen() { local name=$1; shift; echo "== generate $name"; /usr/bin/time -f "$name: %U s CPU" "$B" generate --model "$M" --energy 10GeV..90GeV --n 1000 --seed 7 --out "$OUT/$name.h5" "$@"; }
gen cm
gen edm --net "$TEACHER"
for name in cm edm; do
  echo "== evaluate $name"
  "$B" evaluate --protocol caloclouds --reference "$D" --reference-showers 3000..3500 \
    --generated "$OUT/$name.h5" --geometry ild-ecal --out "$OUT/eval_$name" --no-plots  # prints report.md

done
