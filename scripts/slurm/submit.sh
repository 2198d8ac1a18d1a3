#!/usr/bin/env bash
# Submits a sharded calogen run to Slurm: an array of SHARDS generate tasks, then the merge as a
# job that depends on the whole array (afterok). Prints the two job ids.
#
#   scripts/slurm/submit.sh 4 runs/cc3 runs/cc3.h5 --model caloclouds3 --energy 10GeV..90GeV --n 4000 --seed 7
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 SHARDS OUT_DIR MERGED.h5 CALOGEN_GENERATE_ARGS..." >&2
  exit 2
fi
shards=$1 out=$2 merged=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
export SHARDS=$shards OUT=$out MERGED=$merged CALOGEN_ARGS="$*"
array=$(sbatch --parsable --array=0-$((shards - 1)) --export=ALL "$here/generate_array.sh")
array=${array%%;*}
# A failed shard cancels the merge instead of leaving it pending forever.
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes --export=ALL "$here/merge.sh")
echo "array $array merge ${merge%%;*}"
