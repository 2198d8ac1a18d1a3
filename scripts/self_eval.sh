#!/bin/bash
# Geant4 against itself: one half of each file in ../shared/data against the other half, with the
# protocol that fits it. docs/results.md's "Evaluation: Geant4 against itself" table comes from this.
# Usage: scripts/self_eval.sh [OUT_DIR]   (builds the release binary first; one thread)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/self_eval}
D=${CALOGEN_SHARED:-../shared/data}
cargo build --release -q -p calogen-cli
B=target/release/calogen
export RAYON_NUM_THREADS=1
mkdir -p "$OUT"
run() { local name=$1; shift; echo "== $name: calogen evaluate $*"; /usr/bin/time -f "$name: %U s CPU, %M KB peak" "$B" evaluate "$@" --out "$OUT/$name"; }
run ild_photons --reference $D/ild_photons_train.h5 --reference-showers 0..1750 --generated $D/ild_photons_train.h5 --generated-showers 1750..3500 --geometry ild-ecal
run angular --reference $D/ild_photons_angular_train.h5 --reference-showers 0..600 --generated $D/ild_photons_angular_train.h5 --generated-showers 600..1200 --geometry ild-ecal-wide
run pions --reference $D/pions_train.h5 --reference-showers 0..750 --generated $D/pions_train.h5 --generated-showers 750..1500 --geometry ild-ecal-hcal
run par04 --protocol calochallenge --reference $D/par04_electrons_train.h5 --reference-showers 0..1000 --generated $D/par04_electrons_train.h5 --generated-showers 1000..2000 --geometry calochallenge-ds2
