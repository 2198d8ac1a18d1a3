#!/bin/bash
# CaloClouds3-style models trained here on the photons at angles (paper 001 §2.2, §4): the
# [E, direction] ShowerFlow, the small PointWise Net (EDM teacher) on tilt-corrected points, its
# consistency distillation to one step, its occupancy factor; then the 500 held-back showers (700..1200 of
# ild_photons_angular_train.h5) generated at their energies and directions by
#   own_prof  our one-step net, per-layer points/energies of Geant4 showers 0..700 (the net alone),
#   own_flow  our one-step net with our ShowerFlow (fully generative),
#   off_prof  the official CaloClouds3 net with the same Geant4 profiles (for comparison),
#   off_flow  the official net with our ShowerFlow,
# and evaluated with the CaloHadronic/CaloClouds3 protocol (JS table of 001, PCA angles), beside
# Geant4 0..500 against the same showers. Runs resume (a killed training continues).
# Usage: scripts/cc3_train.sh [RUN_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/cc3}
OUT=${2:-out/cc3}
D=${CALOGEN_SHARED:-../shared/data}/ild_photons_angular_train.h5
C=crates/train/configs/cc3
cargo build --release -q -p calogen-cli
B=target/release/calogen
export RAYON_NUM_THREADS=1
mkdir -p "$RUN" "$OUT"
t() { /usr/bin/time -f "$1: %e s wall, %U s CPU" "${@:2}"; }
t showerflow "$B" train showerflow --data "$D" --out "$RUN/flow" --config $C/showerflow.toml | tail -1
t pointwise "$B" train pointwise --data "$D" --out "$RUN/net" --config $C/pointwise.toml | tail -1
t distil "$B" train distil --data "$D" --out "$RUN/net" --config $C/distil.toml | tail -1
NET=$RUN/net/consistency_ema.safetensors
# The fixed occupancy factor (001 §3.3) on the training showers 0..700, into the net's config.
t calibrate "$B" calibrate --model caloclouds3 --net "$NET" --data "$D" --n 700 --geometry ild-ecal-wide
gen() { local name=$1; shift; "$B" generate --model caloclouds3 --geometry ild-ecal-wide --like "$D" --like-showers 700..1200 --seed 1 --out "$OUT/$name.h5" "$@"; }
gen own_prof --net "$NET" --profiles "$D" --profiles-showers 0..700
gen own_flow --net "$NET" --flow "$RUN/flow/showerflow.safetensors"
gen off_prof --profiles "$D" --profiles-showers 0..700
gen off_flow --flow "$RUN/flow/showerflow.safetensors"
ev() { "$B" evaluate --protocol calohadronic --geometry ild-ecal-wide --reference "$D" --reference-showers 700..1200 --out "$OUT/eval_$1" "${@:2}" > "$OUT/eval_$1.txt"; }
ev g4 --generated "$D" --generated-showers 0..500
for name in own_prof own_flow off_prof off_flow; do ev $name --generated "$OUT/$name.h5"; done
# One line per sample: the JS distances of paper 001, PCA angle to the true direction (top 4 %, all
# hits: mean ± std in degrees) and hits per shower.
python3 - "$OUT" <<'PY' || echo "(no python3: the numbers are in $OUT/eval_*.txt)"
import json, sys
out = sys.argv[1]
keys = ["energy_per_cell", "energy_per_layer", "energy_per_radius", "occupancy_per_layer",
        "occupancy_per_radius", "total_occupancy", "total_visible_energy", "cog_x", "cog_y", "cog_z"]
print("sample    " + " ".join(k.replace("_per_", "/")[:12].rjust(12) for k in keys)
      + "   PCA 4 %        PCA 100 %      hits")
for name in ["g4", "own_prof", "own_flow", "off_prof", "off_flow"]:
    m = json.load(open(f"{out}/eval_{name}/metrics.json"))["calohadronic"]
    pca = {a["top_percent"]: a["angle"]["generated"] for a in m["angles"]}
    fmt = lambda a: f"{a['mean_deg']:5.2f} ± {a['std_deg']:5.2f}"
    print(name.ljust(10) + " ".join(f"{m['jsd'][k]:12.4f}" for k in keys)
          + f"   {fmt(pca[4.0])}  {fmt(pca[100.0])}  {m['means']['n_hits'][1]:.0f}")
    res = " ".join(f"{r['energy_gev']:.0f} GeV {1e3 * r['generated']['response']:.1f} "
                   f"({1e3 * r['reference']['response']:.1f})" for r in m["resolution"])
    print(" " * 10 + f"mu90/E0 x 1e-3, generated (Geant4): {res}")
m = json.load(open(f"{out}/eval_g4/metrics.json"))["calohadronic"]
pca = {a["top_percent"]: a["angle"]["reference"] for a in m["angles"]}
print(f"Geant4 700..1200 itself: PCA 4 % {pca[4.0]['mean_deg']:.2f} ± {pca[4.0]['std_deg']:.2f}, "
      f"100 % {pca[100.0]['mean_deg']:.2f} ± {pca[100.0]['std_deg']:.2f}, "
      f"hits {m['means']['n_hits'][0]:.0f}")
PY
