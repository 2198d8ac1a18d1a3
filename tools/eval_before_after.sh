#!/usr/bin/env bash
# The three `calogen evaluate` protocols on the committed fixtures' halves, fixed seed, so that a
# refactoring of crates/eval can show it changed no number:
#
#   tools/eval_before_after.sh run CALOGEN OUT_DIR   # OUT_DIR/{caloclouds,calochallenge,calohadronic}/
#   tools/eval_before_after.sh diff BEFORE AFTER     # diff of metrics.json, report.md and the plots,
#                                                    # timing ("seconds", "N.N s") masked
#
# CALOGEN is a built binary (e.g. target/debug/calogen of each commit). The protocols run with
# their default settings (classifiers, PRDC, plots) except --resnet-epochs (off by default).
# Exit status of `diff`: 0 when the outputs agree.
set -euo pipefail

fixtures="$(cd "$(dirname "$0")/../fixtures" && pwd)"
seed=7

run() {
    local bin="$1" out="$2"
    mkdir -p "$out"
    local f="$fixtures/ild_photons_small.h5"
    "$bin" evaluate --protocol caloclouds --geometry ild-ecal --seed "$seed" \
        --reference "$f" --reference-showers 0..20 --generated "$f" --generated-showers 20..40 \
        --out "$out/caloclouds" >/dev/null
    f="$fixtures/par04_electrons_small.h5"
    "$bin" evaluate --protocol calochallenge --geometry calochallenge-ds2 --seed "$seed" \
        --reference "$f" --reference-showers 0..20 --generated "$f" --generated-showers 20..40 \
        --out "$out/calochallenge" >/dev/null
    f="$fixtures/pions_small.h5"
    "$bin" evaluate --protocol calohadronic --geometry ild-ecal-hcal --seed "$seed" \
        --reference "$f" --reference-showers 0..12 --generated "$f" --generated-showers 12..25 \
        --out "$out/calohadronic" >/dev/null
}

# The timing masked: metrics.json's "seconds", report.md's and report.html's ", N.N s".
mask() {
    sed -E -e 's/"seconds": [0-9.eE+-]+/"seconds": (masked)/' \
        -e 's/, [0-9]+\.[0-9] s(<|$)/, (masked) s\1/' "$1"
}

compare() {
    local a="$1" b="$2" status=0
    for p in caloclouds calochallenge calohadronic; do
        for f in metrics.json report.md report.html; do
            if ! diff -u --label "$a/$p/$f" --label "$b/$p/$f" \
                <(mask "$a/$p/$f") <(mask "$b/$p/$f"); then
                status=1
            fi
        done
        # The plots: the same files with the same bytes.
        if ! diff <(cd "$a/$p/plots" && sha256sum -- *.png) \
            <(cd "$b/$p/plots" && sha256sum -- *.png); then
            echo "$p/plots differ" >&2
            status=1
        fi
    done
    [ "$status" = 0 ] && echo "identical (timing masked): metrics.json, report.md, report.html, plots/*.png"
    return "$status"
}

case "${1:-}" in
    run) run "$2" "$3" ;;
    diff) compare "$2" "$3" ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
