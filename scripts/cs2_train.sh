#!/bin/bash
# CaloScore v2 (paper "CaloScore v2") on the dataset-2-format electrons, the whole chain:
#   1. train both networks on par04_electrons_train.h5 + par04_electrons_train_2.h5, the last 500
#      showers of each held back (RUN/cs2/heldout.h5, 1 000 showers) — 64 DDIM steps;
#   2. distil the voxel network 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1 steps (one folder per level,
#      RUN/cs2_distil/steps_N, each a model folder);
#   3. generate the 1 000 held-back incident energies with every level (and the 64-step teacher)
#      and evaluate each against the held-back Geant4 showers with the CaloChallenge protocol.
# Every step resumes: a killed training continues from its checkpoint, finished levels and
# existing outputs are kept. Steps 3 need the inference side of issue 13 (`calogen generate` of
# a caloscore2 model folder).
# Usage: scripts/cs2_train.sh [RUN_DIR] [OUT_DIR]
# env: CS2_CONFIG, CS2_DISTIL_CONFIG, CS2_TO (last level, default 1), CS2_TRAIN_STEPS and
# CS2_DISTIL_STEPS (override the configs' steps; per level for the distillation), CS2_EVAL_N
# (held-back showers generated and evaluated, default all 1 000), CS2_THREADS (generation and
# evaluation threads, default 1; the showers do not depend on it), CS2_LEVELS (the step counts
# to generate and evaluate, default all: "64 32 16 8 4 2 1"), CS2_EVAL_ARGS (extra `evaluate`
# options, e.g. "--fpd-kpd-sizes scaled").
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/cs2}
OUT=${2:-out/cs2}
S=${CALOGEN_SHARED:-../shared/data}
D=(--data "$S/par04_electrons_train.h5" --data "$S/par04_electrons_train_2.h5")
CFG=${CS2_CONFIG:-crates/train/configs/caloscore2/default.toml}
DCFG=${CS2_DISTIL_CONFIG:-crates/train/configs/caloscore2/distil.toml}
TO=${CS2_TO:-1}
TRAIN_STEPS=(); [ -n "${CS2_TRAIN_STEPS:-}" ] && TRAIN_STEPS=(--steps "$CS2_TRAIN_STEPS")
DISTIL_STEPS=(); [ -n "${CS2_DISTIL_STEPS:-}" ] && DISTIL_STEPS=(--steps "$CS2_DISTIL_STEPS")
EVAL_N=${CS2_EVAL_N:-1000}
THREADS=${CS2_THREADS:-1}
LEVELS=" ${CS2_LEVELS:-64 32 16 8 4 2 1} "
read -r -a EVAL_ARGS <<< "${CS2_EVAL_ARGS:-}"
cargo build --release -q -p calogen-cli
B=target/release/calogen
# One thread: burn's Flex backend and the evaluation (the training is seeded; same bytes on any
# thread count).
export RAYON_NUM_THREADS=1
mkdir -p "$RUN" "$OUT"
t() { /usr/bin/time -f "$1: %e s wall, %U s CPU" "${@:2}"; }
t train "$B" train caloscore2 "${D[@]}" --out "$RUN/cs2" --config "$CFG" "${TRAIN_STEPS[@]}" | tail -3
t distil "$B" train caloscore2-distil "${D[@]}" --teacher "$RUN/cs2" --out "$RUN/cs2_distil" \
    --to-steps "$TO" --config "$DCFG" "${DISTIL_STEPS[@]}" | tail -8
HELD=$RUN/cs2/heldout.h5
# Geant4 against Geant4 at the same sample size (the floor): the first 1 000 training showers of
# the second file against the held-back ones.
if [ ! -f "$OUT/eval_g4.txt" ]; then
    "$B" evaluate --protocol calochallenge --geometry calochallenge-ds2 --reference "$HELD" \
        --reference-showers "0..$EVAL_N" --generated "$S/par04_electrons_train_2.h5" \
        --generated-showers "0..$EVAL_N" "${EVAL_ARGS[@]}" --out "$OUT/eval_g4" > "$OUT/eval_g4.txt"
fi
models=("64:$RUN/cs2")
for d in "$RUN"/cs2_distil/steps_*; do
    [ -f "$d/caloscore2.safetensors" ] && models+=("${d##*steps_}:$d")
done
for m in "${models[@]}"; do
    n=${m%%:*}
    dir=${m#*:}
    [[ "$LEVELS" == *" $n "* ]] || continue
    gen=$OUT/gen_$n.h5
    if [ ! -f "$gen" ]; then
        t "generate $n steps" "$B" generate --model "$dir" --like "$HELD" --like-showers "0..$EVAL_N" \
            --geometry calochallenge-ds2 --seed 1 --threads "$THREADS" --out "$gen"
    fi
    if [ ! -f "$OUT/eval_$n.txt" ]; then
        "$B" evaluate --protocol calochallenge --geometry calochallenge-ds2 --reference "$HELD" \
            --reference-showers "0..$EVAL_N" --generated "$gen" "${EVAL_ARGS[@]}" \
            --out "$OUT/eval_$n" > "$OUT/eval_$n.txt"
    fi
done
echo "held-out losses: $RUN/cs2/heldout_loss.tsv, $RUN/cs2_distil/distil_loss.tsv; evaluations: $OUT/eval_*.txt"
