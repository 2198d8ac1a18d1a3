#!/usr/bin/env bash
# One shard of a sharded `calogen generate` run, as a Slurm job-array task: task i of an array
# 0..n-1 makes shard i/n (the showers of global indices i·N/n .. (i+1)·N/n, identical to those of
# the single run with the same seed). Submit with submit.sh, which adds the dependent merge.
#
#   sbatch --array=0-3 --export=ALL,SHARDS=4,OUT=runs/cc3,CALOGEN_ARGS="--model caloclouds3 --energy 10GeV..90GeV --n 4000 --seed 7" scripts/slurm/generate_array.sh
#SBATCH --job-name=calogen-shard
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output=calogen-shard-%A_%a.out
set -euo pipefail
: "${SLURM_ARRAY_TASK_ID:?run as an array task, sbatch --array=0-N}"
: "${SHARDS:?SHARDS=n, the size of the array}"
: "${OUT:?OUT=folder of the shard files}"
CALOGEN=${CALOGEN:-calogen}
mkdir -p "$OUT"
# shellcheck disable=SC2086 # CALOGEN_ARGS is a list of arguments
exec "$CALOGEN" generate $CALOGEN_ARGS --threads "${SLURM_CPUS_PER_TASK:-1}" \
  --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" --out "$OUT/shard_$SLURM_ARRAY_TASK_ID.h5"
