#!/usr/bin/env python3
"""Cut the small test fixtures in fixtures/ from the Geant4 files of ../shared/data.

Each fixture keeps the first N showers of its source with the same dataset names, dtypes, chunking
style, compression and attributes, so the readers see exactly what the real files look like.
Run from the repository root: python3 tools/make_fixtures.py [--data ../shared/data]
"""
import argparse
import os

import h5py
import numpy as np

CUTS = {
    # fixture name: (source file, number of showers)
    "ild_photons_small.h5": ("ild_photons_train.h5", 40),
    "ild_photons_angular_small.h5": ("ild_photons_angular_train.h5", 40),
    "pions_small.h5": ("pions_train.h5", 25),
    "par04_electrons_small.h5": ("par04_electrons_train.h5", 40),
}


def copy_attrs(src, dst):
    for k, v in src.attrs.items():
        dst.attrs[k] = v


def cut_dataset(src, dst_parent, name, n, cell_range=None):
    """Copy the rows of the first n showers; `cell_range` slices flat cell arrays instead."""
    if name.endswith("offsets"):
        data = src[: n + 1]
    elif cell_range is not None:
        data = src[cell_range[0] : cell_range[1]]
    elif src.shape and src.shape[0] == 3 and name.endswith("p_norm_local"):
        data = src[:, :n]
    else:
        data = src[:n]
    # Keep point padding as short as the longest kept shower, like a file written with fewer showers.
    kw = {}
    if src.compression:
        kw["compression"] = src.compression
        kw["compression_opts"] = src.compression_opts
    if src.chunks:
        kw["chunks"] = tuple(min(c, s) if s > 0 else c for c, s in zip(src.chunks, data.shape))
    ds = dst_parent.create_dataset(name.split("/")[-1], data=data, dtype=src.dtype, **kw)
    copy_attrs(src, ds)


def trim_padding(events, n_points, points_axis):
    """Drop padding columns beyond the longest kept shower (padding side preserved)."""
    p_max = int(n_points.max())
    p = events.shape[points_axis]
    if points_axis == 2:  # CaloClouds II / CaloHadronic: padding at the front
        return events[:, :, p - p_max :]
    return events[:, :p_max, :]  # CaloClouds3: padding at the end


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../fixtures"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for fixture, (source, n) in CUTS.items():
        src = h5py.File(os.path.join(args.data, source), "r")
        path = os.path.join(args.out, fixture)
        with h5py.File(path + ".tmp", "w") as dst:
            copy_attrs(src, dst)
            cell_range = None
            if "cells" in src:
                off = src["cells/offsets"][: n + 1]
                cell_range = (int(off[0]), int(off[-1]))
            for name, obj in src.items():
                if isinstance(obj, h5py.Group):
                    g = dst.create_group(name)
                    copy_attrs(obj, g)
                    for sub in obj:
                        cut_dataset(obj[sub], g, f"{name}/{sub}", n, cell_range if name == "cells" else None)
                elif name == "events":
                    n_points = src["n_points"][:n]
                    # Front padding when the layer axis is the middle one ([N, 4, P]).
                    axis = 2 if obj.shape[1] in (4, 5) and obj.shape[2] not in (4, 5) else 1
                    data = trim_padding(obj[:n], n_points, axis)
                    chunks = (1,) + data.shape[1:]
                    ds = dst.create_dataset(name, data=data, dtype=obj.dtype, compression="gzip",
                                            compression_opts=obj.compression_opts, chunks=chunks)
                    copy_attrs(obj, ds)
                else:
                    cut_dataset(obj, dst, name, n)
        os.replace(path + ".tmp", path)
        print(f"{fixture}: {n} showers from {source}, {os.path.getsize(path) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
