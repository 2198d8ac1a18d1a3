#!/usr/bin/env python3
"""Build geometries/ild-ecal-barrel.toml, the realistic ILD ECAL barrel segment, from the real cell map.

Input: ../shared/data/caloclouds3/ild_cell_map/{X,Y,Z}.npy (centres of the cells Geant4 muons crossed
in the DD4hep ILD model, global mm: y up, z along the beam) and meta.json (the CaloClouds II data frame:
box edges, cell size, silicon thickness, the 30 layer bottom positions of the top stave, the gun).

What the map shows (printed by this script): almost every entry is in the top stave (the 8 staves are
rotations of it by 45 degrees); inside the meta.json box the cells of each layer are exactly the product
of a set of x columns and a set of z rows, and both sets are runs of contiguous 5.0883 mm cells (one
run per silicon wafer, 18 cells) separated by dead gaps (1 mm between wafers in x; 1 mm and 3.17 mm
alternately in z); the x runs move from layer to layer (staggering), the z runs do not.
So the file stores, per layer, the radial position and the x and z runs (first centre, cell count),
plus any cell of the lattice the map lacks ("missing"). Cells off the lattice are reported and dropped.
The box is the region the map covers completely; outside it the detector is unknown to calogen.

Run from the repository root: python3 tools/make_barrel_map.py [--map ../shared/data/caloclouds3/ild_cell_map]
"""
import argparse
import json
import os

import numpy as np


def runs(values, pitch):
    """Sorted unique centres -> [(first centre, count)] of contiguous cells (spacing == pitch)."""
    out = []
    for v in values:
        if out and abs(v - (out[-1][0] + out[-1][1] * pitch)) < 1e-3 * pitch:
            out[-1][1] += 1
        else:
            out.append([float(v), 1])
    return out


def lattice(run_list, pitch):
    return np.array([s + i * pitch for s, n in run_list for i in range(n)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--map", default="../shared/data/caloclouds3/ild_cell_map")
    ap.add_argument("--out", default="geometries/ild-ecal-barrel.toml")
    a = ap.parse_args()
    X, Y, Z = (np.load(os.path.join(a.map, f"{c}.npy")) for c in "XYZ")
    meta = json.load(open(os.path.join(a.map, "meta.json")))
    half = meta["cell_dimensions_global"]["half_cell_size_global"]
    pitch = 2.0 * half
    thick = meta["cell_dimensions_global"]["cell_thickness_global"]
    box = meta["box_edges"]
    y_centres = np.array(meta["layer_bottom_pos_global"]) + 0.5 * thick
    gun = meta["gun_xyz_pos_global"]  # stored (x, z, y): x = 0, z = 40 (box centre), y = 1804.7

    cells = np.unique(np.stack([X, Y, Z], 1), axis=0)
    print(f"{len(X)} entries, {len(cells)} distinct cells")
    phi = np.degrees(np.arctan2(cells[:, 1], cells[:, 0]))
    stave = np.round((phi - 90.0) / 45.0).astype(int) % 8
    for s in range(8):
        m = stave == s
        ang = np.radians(-45.0 * s)
        yr = np.sin(ang) * cells[m, 0] + np.cos(ang) * cells[m, 1]
        on_plane = np.abs(yr[:, None] - y_centres[None, :]).min(1) < 0.05
        print(f"stave {s}: {m.sum()} cells, {on_plane.mean():.3f} on a top-stave layer plane after rotating by {-45 * s} deg")

    top = cells[stave == 0]
    layers = []
    total_lattice = total_cells = dropped = 0
    for l, yc in enumerate(y_centres):
        m = np.abs(top[:, 1] - yc) < 0.05
        x, z = top[m, 0], top[m, 2]
        inb = (x > box["Xmin_global"]) & (x < box["Xmax_global"]) & (z > box["Zmin_global"]) & (z < box["Zmax_global"])
        x, z = x[inb], z[inb]
        # Columns (rows) that hold at least half the rows (columns) are the lattice; a lone off-lattice
        # cell (one in layer 11, 1 mm beside its column) is dropped.
        xs, cx = np.unique(np.round(x, 3), return_counts=True)
        zs, cz = np.unique(np.round(z, 3), return_counts=True)
        cols = xs[cx >= 0.5 * cx.max()]
        rows = zs[cz >= 0.5 * cz.max()]
        xr, zr = runs(cols, pitch), runs(rows, pitch)
        lx, lz = lattice(xr, pitch), lattice(zr, pitch)
        ix = np.abs(np.round(x, 3)[:, None] - lx[None, :]).argmin(1)
        iz = np.abs(np.round(z, 3)[:, None] - lz[None, :]).argmin(1)
        on = (np.abs(x - lx[ix]) < 0.01) & (np.abs(z - lz[iz]) < 0.01)
        present = np.zeros((len(lx), len(lz)), bool)
        present[ix[on], iz[on]] = True
        missing = np.argwhere(~present)
        dropped += int((~on).sum())
        total_lattice += present.size
        total_cells += int(present.sum())
        layers.append((float(yc), xr, zr, missing))
        print(f"layer {l:2d}: y {yc:.4f}, {len(lx)} x {len(lz)} lattice, {present.sum()} cells, "
              f"{len(missing)} missing, {(~on).sum()} off-lattice dropped, x runs {[n for _, n in xr]}")

    # Dead area inside the covered region, per layer: 1 - (cells' area) / (box area).
    box_area = (box["Xmax_global"] - box["Xmin_global"]) * (box["Zmax_global"] - box["Zmin_global"])
    print(f"lattice cells {total_lattice}, present {total_cells}, off-lattice dropped {dropped}")

    lines = [
        "# Realistic ILD ECAL barrel segment (Si-W, 30 layers), built by tools/make_barrel_map.py from the real",
        "# ILD cell map (../shared/data/caloclouds3/ild_cell_map, CaloClouds3 public repository): do not edit by hand.",
        "# Frame: global ILD mm of meta.json (y up = radial for the top stave, z along the beam). The barrel is an",
        "# octagon of 8 staves, stave k = the top stave rotated by k*45 degrees about the beam (z) axis.",
        "# Per layer: y_mm = silicon centre radius in the top stave; x_runs / z_runs = [first cell centre, cells]",
        "# of contiguous cells (one run per wafer), pitch cell_mm; between runs are dead gaps; missing = [column,",
        "# row] lattice cells absent from the map. Only the region of the map that the muons covered completely",
        "# (meta.json box_edges, `x_range` x `z_range`) is described: beyond the first and last runs is outside.",
        'name = "ild-ecal-barrel"',
        'description = "ILD ECAL barrel (real cell map): 8 staves, 30 layers, 5.0883 mm cells, wafer gaps, staggered layers"',
        'kind = "barrel"',
        "threshold_mev = 0.07  # half a MIP in 0.5 mm silicon",
        "staves = 8",
        f"cell_mm = {pitch!r}",
        f"sensitive_mm = {thick!r}",
        f"x_range = [{box['Xmin_global']:.1f}, {box['Xmax_global']:.1f}]",
        f"z_range = [{box['Zmin_global']:.1f}, {box['Zmax_global']:.1f}]",
        f"# The CaloClouds II/3 gun: x, y (radial), z.",
        f"gun = [{gun[0]:.1f}, {gun[2]:.1f}, {gun[1]:.1f}]",
        "",
    ]
    fmt = lambda rl: "[" + ", ".join(f"[{s:.4f}, {n}]" for s, n in rl) + "]"
    for yc, xr, zr, missing in layers:
        lines += ["[[layers]]", f"y_mm = {yc:.5f}", f"x_runs = {fmt(xr)}", f"z_runs = {fmt(zr)}"]
        lines.append("missing = [" + ", ".join(f"[{i}, {j}]" for i, j in missing) + "]")
        lines.append("")
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, a.out)
    print(f"wrote {a.out}: {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
