#!/usr/bin/env bash
# The merge of a sharded run, submitted by submit.sh with --dependency=afterok:<array job>, so it
# runs only once every shard task has succeeded. `calogen merge` checks that the files belong
# together (model, seed, n, every shard once) and writes MERGED atomically.
#SBATCH --job-name=calogen-merge
#SBATCH --ntasks=1
#SBATCH --output=calogen-merge-%j.out
set -euo pipefail
: "${SHARDS:?}" "${OUT:?}" "${MERGED:?MERGED=the merged file}"
CALOGEN=${CALOGEN:-calogen}
files=()
for ((i = 0; i < SHARDS; i++)); do files+=("$OUT/shard_$i.h5"); done
exec "$CALOGEN" merge "$MERGED" "${files[@]}"
