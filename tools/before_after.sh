#!/usr/bin/env bash
# Same seeds, same numbers: runs the commands whose outputs must not change across a refactor
# (issue 11) with one calogen binary and keeps their outputs, or compares two such runs.
#
#   tools/before_after.sh record BIN DIR       # e.g. a release build of the old commit, then the new
#   tools/before_after.sh compare DIR_A DIR_B  # every HDF5 dataset bit for bit, calibrate's JSON and numbers
#
# HDF5 files may differ in object timestamps, so `compare` checks the datasets (with h5py when
# python3 has it, else the files byte for byte, which is stricter).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fx=$here/fixtures
case "${1:-}" in
record)
    bin=$2 out=$3
    mkdir -p "$out"
    export CI=1
    # CaloClouds II from explicit conditions, points and cells.
    "$bin" generate --energy 10GeV..90GeV --n 200 --out "$out/cc2.h5" --format both --seed 1 >"$out/cc2.txt"
    # CaloClouds3 (official weights) for the incidents of the angular fixture, Geant4 profiles.
    "$bin" generate --model caloclouds3 --geometry ild-ecal-wide \
        --like "$fx/ild_photons_angular_small.h5" --like-showers 20..40 \
        --profiles "$fx/ild_photons_angular_small.h5" --profiles-showers 0..20 \
        --seed 3 --out "$out/cc3_like.h5" >"$out/cc3_like.txt"
    # CaloClouds II's occupancy calibration against the photon fixture.
    "$bin" calibrate --data "$fx/ild_photons_small.h5" --n 100 --seed 2 \
        --out "$out/calibration.json" | sed "s|$out|OUT|g" >"$out/calibrate.txt"
    ls -l "$out"
    ;;
compare)
    a=$2 b=$3 status=0
    for f in cc2.h5 cc2_cells.h5 cc3_like.h5; do
        if cmp -s "$a/$f" "$b/$f"; then
            echo "$f: identical bytes"
        elif python3 -c 'import h5py' 2>/dev/null; then
            python3 - "$a/$f" "$b/$f" <<'PY' || status=1
import sys, h5py
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o.shape, o[()].tobytes()))
                     if isinstance(o, h5py.Dataset) else None)
    return out
a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
bad = [n for n in sorted(set(a) | set(b)) if a.get(n) != b.get(n)]
name = sys.argv[1].rsplit("/", 1)[-1]
print(f"{name}: {len(a)} datasets, " + ("all identical" if not bad else f"DIFFER: {bad}"))
sys.exit(1 if bad else 0)
PY
        else
            echo "$f: bytes differ (no h5py to compare datasets)"; status=1
        fi
    done
    for f in calibration.json calibrate.txt; do
        if cmp -s "$a/$f" "$b/$f"; then echo "$f: identical"; else echo "$f: DIFFERS"; diff "$a/$f" "$b/$f" || true; status=1; fi
    done
    exit $status
    ;;
*)
    sed -n 2,9p "$0"; exit 2
    ;;
esac
