#!/usr/bin/env bash
# Timing before/after a refactor (issue 11): two release binaries, the CaloChallenge timing protocol
# for each family, alternated ROUNDS times so that drifts in machine load hit both alike; prints the
# median generate ms/shower of each binary and their ratio (after / before).
#
#   tools/bench_before_after.sh BIN_BEFORE BIN_AFTER [ROUNDS]
set -euo pipefail
before=$1 after=$2 rounds=${3:-3}
out=$(mktemp -d)
export CI=1
for r in $(seq 1 "$rounds"); do
    for fam in caloclouds2 caloclouds3; do
        for side in before after; do
            bin=$before; [ "$side" = after ] && bin=$after
            "$bin" bench --model "$fam" --batch 1,100 --threads 1 --repeats 5 \
                --json "$out/$fam.$side.$r.json" >/dev/null
        done
    done
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics as st
out, rounds = sys.argv[1], int(sys.argv[2])
for fam in ["caloclouds2", "caloclouds3"]:
    for row in (0, 1):
        med = {}
        for side in ["before", "after"]:
            v = [json.load(open(f"{out}/{fam}.{side}.{r}.json"))["rows"][row]["generate_ms_per_shower"]["median"]
                 for r in range(1, rounds + 1)]
            med[side] = st.median(v)
        batch = json.load(open(f"{out}/{fam}.before.1.json"))["rows"][row]["batch"]
        print(f"{fam} batch {batch}: generate ms/shower before {med['before']:.3f}, after {med['after']:.3f}, "
              f"ratio {med['after'] / med['before']:.3f}")
PY
