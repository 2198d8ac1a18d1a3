#!/usr/bin/env python3
"""Writes the committed seed corpus, fuzz/corpus/<target>/seed-*: small, valid inputs that reach deep
into each parser (the fuzzers mutate from them). Python's standard library only: the .pt seeds are
pickled the way torch.save pickles a state dict, without torch.

    python3 fuzz/make_seeds.py
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- torch-like pickles -------------------------------------------------------------------------
# Fake `torch` modules so that pickle writes the same GLOBALs torch.save does.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
torch._utils = torch_utils


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


def _rebuild_parameter(*args):
    raise NotImplementedError


_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_parameter.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch_utils._rebuild_parameter = _rebuild_parameter
for kind in ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage"]:
    cls = type(kind, (), {"__module__": "torch"})
    setattr(torch, kind, cls)


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class Tensor:
    def __init__(self, storage, offset, size, stride, parameter=False):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())
        self.parameter = parameter

    def __reduce__(self):
        t = Tensor(*self.args[:4])
        if self.parameter:
            return (_rebuild_parameter, (t, True, collections.OrderedDict()))
        return (_rebuild_tensor_v2, self.args)


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(torch, obj.kind), obj.key, "cpu", obj.numel)
        return None


def torch_pickle(obj):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def torch_zip(pkl, storages):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def f32s(n):
    return b"".join(struct.pack("<f", i * 0.5) for i in range(n))


# The storages match fuzz/src/harness.rs `torch_archive`: keys 0..3 of 4, 16, 64, 256 floats.
s0 = Storage("FloatStorage", "0", 4)
s1 = Storage("FloatStorage", "1", 16)
s2 = Storage("DoubleStorage", "2", 64)
s3 = Storage("HalfStorage", "3", 256)
flat = collections.OrderedDict(
    [
        ("w", Tensor(s1, 0, (4, 4), (4, 1))),
        ("w_t", Tensor(s1, 0, (4, 4), (1, 4), parameter=True)),
        ("b", Tensor(s0, 1, (3,), (1,))),
        ("d", Tensor(s2, 8, (2, 3, 4), (12, 4, 1))),
        ("h", Tensor(s3, 0, (16,), (16,))),
        ("scalar", Tensor(s0, 2, (), ())),
    ]
)
nested = {"state_dict": flat, "epoch": 3, "lr": 0.001, "name": "net", "flags": [True, None]}
for name, obj in [("flat", flat), ("nested", nested)]:
    pkl = torch_pickle(obj)
    put("pickle", name + ".pkl", pkl)
    storages = {
        "0": f32s(4),
        "1": f32s(16),
        "2": struct.pack("<64d", *range(64)),
        "3": struct.pack("<256e", *[i / 8 for i in range(256)]),
    }
    put("pt", name + ".pt", torch_zip(pkl, storages))

# --- safetensors --------------------------------------------------------------------------------


def safetensors(tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        data = struct.pack(f"<{n}f", *[(i % 7) * 0.1 for i in range(n)])
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


# A CaloClouds II PointWise Net of width 4 (the real one is 2 MB): same names, same metadata keys.
features, hidden, time_dim, cond_dim = 4, [4], 4, 2
ctx = time_dim + cond_dim
widths = [features] + hidden + [features]
net = []
for i in range(len(widths) - 1):
    o, n_in = widths[i + 1], widths[i]
    net += [
        (f"layers.{i}.hyper_bias.weight", (o, ctx)),
        (f"layers.{i}.hyper_gate.bias", (o,)),
        (f"layers.{i}.hyper_gate.weight", (o, ctx)),
        (f"layers.{i}.layer.bias", (o,)),
        (f"layers.{i}.layer.weight", (o, n_in)),
    ]
net += [
    ("time_embed.fourier.weight", (time_dim // 2, 1)),
    ("time_embed.linear.bias", (time_dim,)),
    ("time_embed.linear.weight", (time_dim, time_dim)),
]
norm = {k: {"mean": 0.1, "std": 2.0} for k in ["x", "y", "z", "ln_e"]}
inference = {
    "cond_dim": cond_dim, "energy_scale_mev": 100000.0, "features": features, "hidden": hidden,
    "n_layers": 30, "norm": norm, "points_scale": 5000.0, "rho": 7.0, "sigma_data": 0.5,
    "sigma_max": 80.0, "sigma_min": 0.002, "steps": 3, "time_dim": time_dim,
}
for model in ["caloclouds2-consistency", "caloclouds2-pointwise-net"]:
    meta = {"model": model, "inference": json.dumps(inference, separators=(",", ":"))}
    put("safetensors", model + ".safetensors", safetensors(net, meta))
put("model_json", "cc2-inference.json", json.dumps(inference))

# A ShowerFlow of dimension 6 with one spline and one affine coupling.
dim, fh, bins = 6, 4, 2
flow = {
    "bins": bins, "couplings": [{"kind": "spline", "perm": [3, 1, 5, 0, 2, 4]},
                                {"kind": "affine", "perm": [0, 1, 2, 3, 4, 5]}],
    "dim": dim, "energy_scale_mev": 100000.0, "hidden": fh, "mean": [0.5] * dim,
    "std": [1.0] * dim, "tail_bound": 5.0, "scale_bound": 3.0,
}
d_a = dim // 2
flow_tensors = []
for i, c in enumerate(flow["couplings"]):
    per = 3 * bins - 1 if c["kind"] == "spline" else 2
    p = f"couplings.{i}.net"
    flow_tensors += [
        (f"{p}.l0.bias", (fh,)), (f"{p}.l0.weight", (fh, d_a + 1)),
        (f"{p}.l1.bias", (fh,)), (f"{p}.l1.weight", (fh, fh)),
        (f"{p}.out.bias", ((dim - d_a) * per,)), (f"{p}.out.weight", ((dim - d_a) * per, fh)),
    ]
meta = {"model": "caloclouds2-showerflow", "inference": json.dumps(flow, separators=(",", ":"))}
put("safetensors", "showerflow.safetensors", safetensors(flow_tensors, meta))
put("model_json", "flow-inference.json", json.dumps(flow))
with open(os.path.join(ROOT, "crates/models/assets/caloclouds3/cc3_cm_config.json")) as f:
    put("model_json", "cc3_cm_config.json", f.read())

# --- geometry and layout text -------------------------------------------------------------------
put("binning_xml", "two-layers.xml", b"\x00" + b"""<Bins>
  <Bin pid="22" name="photon">
    <Layer id="0" r_edges="0,5,10,30,50,100,200,400,600" n_bin_alpha="1"/>
    <Layer id="1" r_edges="0" n_bin_alpha="1"/>
    <Layer id="2" r_edges="0,2,4,6,8,10,12,15,20,30,40,50,70,90,120,150,200" n_bin_alpha="10"/>
  </Bin>
</Bins>
""")
put("binning_xml", "two-bins.xml", b"\x01" + b"""<?xml version="1.0"?>
<Bins>
  <Bin pid="22" name="photon"><Layer id="0" r_edges="0,5,10" n_bin_alpha="1"/></Bin>
  <Bin pid="211" name="pion"><Layer id="0" r_edges="0,1.5,3e1" n_bin_alpha="16"></Layer></Bin>
</Bins>
""")
for name in ["ild-ecal.toml", "calochallenge-ds2.toml"]:
    with open(os.path.join(ROOT, "geometries", name)) as f:
        put("geometry_toml", name, f.read())
put("geometry_toml", "barrel.toml", """name = "mini-barrel"
kind = "barrel"
threshold_mev = 0.1
staves = 8
cell_mm = 5.0
sensitive_mm = 0.5
x_range = [-100.0, 100.0]
z_range = [0.0, 200.0]
gun = [0.0, 1804.7, 40.0]

[[layers]]
y_mm = 1810.0
x_runs = [[-97.5, 20], [7.5, 18]]
z_runs = [[2.5, 40]]
missing = [[0, 0], [3, 7]]

[[layers]]
y_mm = 1815.0
x_runs = [[-95.0, 38]]
z_runs = [[2.5, 18], [97.5, 20]]
""")
put("layout_toml", "caloclouds3.toml", """name = "my-cc3"
axes = "points_features"
n_features = 4
transverse = { x = 0, y = 1 }
layer = 2
energy = 3
energy_unit = "GEV"
incident_unit = "gev"
padding = "end"
n_layers = 30
detector = "ild-ecal-wide"
""")
put("layout_toml", "five-rows.toml", """name = "rows"
axes = "features_points"
n_features = 5
transverse = { x = 0, y = 2 }
layer = 1
energy = 3
energy_unit = "mev"
incident_unit = "GEV"
padding = "front"
n_layers = 78
detector = "ild-ecal-hcal"
""")

# --- HDF5 (structured: see `hdf5_open` in fuzz/src/harness.rs for the byte decoding) -------------
# Per dataset: name index (H5_NAMES), dtype byte (0 f32, 1 f64, 2 i32, 3 i64, 4 u8, 5 u64; +0x80:
# declared only, dims are log2), rank, dims, palette length, palette values (10, b = b / 2).
def ds(name, kind, dims, palette=()):
    out = [name, kind, len(dims)] + list(dims)
    if kind & 0x80:
        return out
    out.append(len(palette))
    for v in palette:
        out += [10, v] if v >= 0 else [-v - 1]
    return out


def h5(*datasets, attrs=(0,)):
    return bytes([len(datasets) - 1] + sum(datasets, []) + list(attrs))


put("hdf5_open", "calochallenge", h5(ds(1, 0, [4], [100]), ds(0, 0, [4, 5], [3, -1, 7])))
put("hdf5_open", "points-cc3", h5(ds(2, 0, [3, 4, 4], [4, 6, 10, 1]), ds(3, 1, [3], [100])))
put("hdf5_open", "points-cc2-attr", h5(ds(2, 0, [2, 4, 3], [4, 10, 6, 1]), ds(3, 0, [2], [90]), attrs=(1, 0)))
put("hdf5_open", "cells", h5(ds(3, 0, [2], [100]), ds(8, 3, [3]), ds(9, 0, [2], [20]),
                               ds(10, 2, [2]), ds(11, 2, [2]), ds(12, 2, [2])))
put("hdf5_open", "declared-huge", h5(ds(2, 0x80, [2, 2, 40]), ds(3, 0, [4], [100])))
print("seeds written under", CORPUS)
