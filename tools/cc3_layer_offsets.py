#!/usr/bin/env python3
"""Per-layer energy-weighted centre of showers at angles, split into the part that follows the
direction and the part that does not: for each layer, x̄_l (ȳ_l) over showers is fitted as
a_l + b_l · p_x/p_z (p_y/p_z). b_l is the drift per unit slope (mm), a_l the direction-independent
offset (mm), which Geant4 keeps within about ±0.1 mm around shower maximum. docs/results.md's CaloClouds3-style section quotes
a_l for the files scripts/cc3_train.sh writes.

Usage: tools/cc3_layer_offsets.py FILE[:A..B] ...   (calogen point files with p_norm_local)
"""
import sys

import h5py
import numpy as np


def offsets(spec):
    path, _, rng = spec.partition(":")
    with h5py.File(path, "r") as f:
        ev, p = f["events"], f["p_norm_local"][:]
        lo, hi = (int(v) for v in rng.split("..")) if rng else (0, ev.shape[0])
        ev = ev[lo:hi]
        p = p[:, lo:hi]
    n_layers = int(ev[:, :, 2].max()) + 1
    cx = np.zeros((len(ev), n_layers))
    cy = np.zeros((len(ev), n_layers))
    for k, e in enumerate(ev):
        e = e[e[:, 3] > 0]
        layer = e[:, 2].astype(int)
        w = np.bincount(layer, e[:, 3], n_layers)
        ok = w > 0
        cx[k, ok] = np.bincount(layer, e[:, 3] * e[:, 0], n_layers)[ok] / w[ok]
        cy[k, ok] = np.bincount(layer, e[:, 3] * e[:, 1], n_layers)[ok] / w[ok]
    out = []
    for c, t in ((cx, p[0] / p[2]), (cy, p[1] / p[2])):
        a = np.c_[np.ones(len(t)), t]
        out.append(np.linalg.lstsq(a, c, rcond=None)[0])
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    np.set_printoptions(precision=2, suppress=True, linewidth=200)
    for spec in sys.argv[1:]:
        (ax, bx), (ay, by) = offsets(spec)
        print(spec)
        print("  x offset (mm)  ", ax)
        print("  y offset (mm)  ", ay)
        print("  x drift (mm/slope)", bx)


if __name__ == "__main__":
    main()
