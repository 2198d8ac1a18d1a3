#!/usr/bin/env python3
"""calogen's `--protocol calochallenge` beside the CaloChallenge 2022 `evaluate.py`, number for number.

Not a dependency of calogen or its tests: run by hand to fill docs/calochallenge-parity.md.

    # evaluate.py and its helpers, from the public repository CaloChallenge/homepage (folder code/)
    CODE=/path/to/homepage/code
    python3 -m venv /tmp/ccvenv && /tmp/ccvenv/bin/pip install torch h5py numpy scipy scikit-learn matplotlib jetnet
    PY=/tmp/ccvenv/bin/python; export OMP_NUM_THREADS=1
    $PY tools/calochallenge_parity.py prepare --input ../shared/data/par04_electrons_train.h5 --out /tmp/parity
    $PY tools/calochallenge_parity.py challenge --code $CODE --reference /tmp/parity/g4_a.h5 \
        --generated /tmp/parity/g4_b.h5 --epochs 10 --out /tmp/parity/py_g4.json
    calogen evaluate --protocol calochallenge --geometry calochallenge-ds2 --reference /tmp/parity/g4_a.h5 \
        --generated /tmp/parity/g4_b.h5 --classifier-epochs 10 --prdc-showers 0 --out /tmp/parity/rs_g4
    $PY tools/calochallenge_parity.py compare --challenge /tmp/parity/py_g4.json \
        --calogen /tmp/parity/rs_g4/metrics.json

`challenge` runs evaluate.py's own functions (HighLevelFeatures, the histogram helpers that compute
the separation powers, prepare_*_data_for_classifier, ttv_split, DNN, train_and_evaluate_cls,
evaluate_cls with its isotonic calibration, jetnet's fpd/kpd with evaluate.py's arguments) in the
order its main block does. Two departures, both forced by small files: ttv_split gets the split
fractions 0.6/0.2/0.2 (main passes dataset='2', i.e. 60 000/20 000/20 000 showers), and the epochs
are given (main: 50). Labels follow evaluate.py (generated 0, reference 1).
"""

import argparse
import json
import os
import sys
import time
import types
from pathlib import Path

import h5py
import numpy as np


def prepare(a):
    """Two Geant4 halves and a distorted copy of the second (every voxel × 1.05 × a log-normal
    factor of σ 0.1, seeded)."""
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(a.input, "r") as f:
        e = f["incident_energies"][: 2 * a.n]
        s = f["showers"][: 2 * a.n]
    rng = np.random.default_rng(a.seed)
    d = s[a.n:] * 1.05 * rng.lognormal(0.0, 0.1, size=s[a.n:].shape)
    for name, (ee, ss) in {
        "g4_a": (e[: a.n], s[: a.n]),
        "g4_b": (e[a.n:], s[a.n:]),
        "distorted_b": (e[a.n:], d.astype(np.float32)),
    }.items():
        with h5py.File(out / f"{name}.h5", "w") as g:
            g["incident_energies"] = ee.astype(np.float32)
            g["showers"] = ss.astype(np.float32)
    print(f"wrote {out}/g4_a.h5, g4_b.h5, distorted_b.h5 ({a.n} showers each)")


# evaluate_plotting_helper's text labels → calogen's metrics.json keys
LABELS = {
    "Etot / Einc": "etot_einc",
    "Voxel distribution": "voxel_energy",
    "E layer": "e_layer",
    "EC Eta layer": "ec_eta",
    "EC Phi layer": "ec_phi",
    "Width Eta layer": "width_eta",
    "Width Phi layer": "width_phi",
    "EC r layer": "ec_r",
    "Width r layer": "width_r",
    "Sparsity layer": "sparsity",
}


def parse_chi2(path):
    """histogram_chi2_2.txt: 'LABEL [layer]: ' then the separation power."""
    out = {}
    lines = [l.strip() for l in open(path) if l.strip()]
    for head, val in zip(lines[1::2], lines[2::2]):
        head = head.rstrip(":").strip()
        for label, key in sorted(LABELS.items(), key=lambda kv: -len(kv[0])):
            if head.startswith(label):
                rest = head[len(label):].strip()
                out[key if not rest else f"{key}_{rest}"] = float(val)
                break
    return out


def jetnet_metrics():
    """jetnet's fpd and kpd with their defaults; without jetnet (it builds C++ dependencies from
    source), the line-for-line restatement of jetnet 0.2.5 in tools/eval_reference.py, whose
    numbers the Rust tests already check."""
    try:
        import jetnet

        return jetnet.evaluation.fpd, jetnet.evaluation.kpd
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import eval_reference as er

        class Plain:  # the restatement records every draw for the Rust tests; not needed here
            def __init__(self, rng):
                self.rng, self.draws = rng, []

            def choice(self, n, size):
                return self.rng.choice(n, size=size)

        er.Recorder = Plain

        def fpd(x, y, min_samples=20000, max_samples=50000, num_batches=20, num_points=10,
                seed=42):
            return er.jetnet_fpd(x, y, min_samples, max_samples, num_batches, num_points,
                                 seed=seed)[:2]

        def kpd(x, y, num_batches=10, batch_size=5000, seed=42):
            return er.jetnet_kpd(x, y, num_batches, batch_size, degree=4, seed=seed)[:2]

        return fpd, kpd


def challenge(a):
    torch_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    code = os.path.abspath(a.code)
    a.reference, a.generated, a.out = map(os.path.abspath, (a.reference, a.generated, a.out))
    sys.path.insert(0, code)
    os.chdir(code)  # HighLevelFeatures opens binning_dataset_2.xml relative to here
    import matplotlib

    matplotlib.use("Agg")
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    import evaluate as ev  # noqa: E402  (evaluate.py: functions only, its main is not run)
    import evaluate_plotting_helper as ph
    import HighLevelFeatures as HLF

    matplotlib.pyplot.rc("text", usetex=False)  # no LaTeX here; the numbers do not depend on it
    torch.set_num_threads(torch_threads)
    out_dir = Path(a.out).with_suffix("")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = types.SimpleNamespace(
        dataset="2", mode="hist-chi", output_dir=str(out_dir), x_scale="log",
        min_energy=0.5e-3 / 0.033, save_mem=False, device=torch.device("cpu"),
        cls_n_epochs=a.epochs, cls_n_layer=2, cls_n_hidden=2048, cls_dropout_probability=0.0,
        cls_batch_size=1000, cls_lr=2e-4,
    )
    res = {"epochs": a.epochs, "seconds": {}}
    t0 = time.time()
    src_file, ref_file = h5py.File(a.generated, "r"), h5py.File(a.reference, "r")
    shower, energy = ev.extract_shower_and_energy(src_file, "input")
    ref_shower, ref_energy = ev.extract_shower_and_energy(ref_file, "reference")
    shower = np.where(shower < args.min_energy, np.zeros_like(shower), shower)
    ref_shower = np.where(ref_shower < args.min_energy, np.zeros_like(ref_shower), ref_shower)
    hlf = HLF.HighLevelFeatures("electron", filename="binning_dataset_2.xml")
    ref_hlf = HLF.HighLevelFeatures("electron", filename="binning_dataset_2.xml")
    hlf.CalculateFeatures(shower)
    hlf.Einc = energy
    ref_hlf.CalculateFeatures(ref_shower)
    ref_hlf.Einc = ref_energy
    if not a.skip_histograms:
        chi2 = out_dir / "histogram_chi2_2.txt"
        with open(chi2, "w") as f:
            f.write("separation powers\n")
        ev.plot_histograms(hlf, ref_hlf, args)
        ev.plot_cell_dist(shower, ref_shower, args)
        # Defined in evaluate_plotting_helper beside the others though main does not call them:
        ph.plot_sparsity(hlf, ref_hlf, args)
        ph.plot_ECR(hlf, ref_hlf, args)
        ph.plot_ECWidthR(hlf, ref_hlf, args)
        res["separation_power"] = parse_chi2(chi2)
        res["seconds"]["features_and_histograms"] = time.time() - t0
        Path(a.out).write_text(json.dumps(res, indent=1))  # kept if a later step fails

    # FPD / KPD exactly as main calls jetnet (min_samples=10000, batch_size=10000).
    t1 = time.time()
    src = ev.prepare_high_data_for_classifier(src_file, hlf, 0.0, threshold=args.min_energy)[:, :-1]
    ref = ev.prepare_high_data_for_classifier(ref_file, ref_hlf, 1.0, threshold=args.min_energy)[:, :-1]
    res["n_high_level_features"] = int(src.shape[1])
    if a.fpd_kpd != "skip":
        fpd_fn, kpd_fn = jetnet_metrics()
        seed = {"seed": a.fpd_seed}  # jetnet's default 42
        if a.fpd_kpd == "challenge":
            fpd = fpd_fn(ref, src, min_samples=10000, **seed)
            kpd = kpd_fn(ref, src, batch_size=10000, **seed)
        else:  # calogen's --fpd-kpd-sizes scaled
            n = min(len(ref), len(src))
            fpd = fpd_fn(ref, src, min_samples=max(n // 2, 2), max_samples=n, **seed)
            kpd = kpd_fn(ref, src, batch_size=min(n, 10000), **seed)
        res["fpd"] = {"value": float(fpd[0]), "error": float(fpd[1])}
        res["kpd"] = {"value": float(kpd[0]), "error": float(kpd[1])}
    res["seconds"]["fpd_kpd"] = time.time() - t1

    for mode in ["cls-low", "cls-high"]:
        if a.epochs == 0:
            break
        t2 = time.time()
        np.random.seed(a.seed)
        torch.manual_seed(a.seed)
        args.mode = mode
        if mode == "cls-low":
            s_arr = ev.prepare_low_data_for_classifier(src_file, hlf, 0.0, normed=False,
                                                       threshold=args.min_energy)
            r_arr = ev.prepare_low_data_for_classifier(ref_file, ref_hlf, 1.0, normed=False,
                                                       threshold=args.min_energy)
        else:
            s_arr = ev.prepare_high_data_for_classifier(src_file, hlf, 0.0, threshold=args.min_energy)
            r_arr = ev.prepare_high_data_for_classifier(ref_file, ref_hlf, 1.0,
                                                        threshold=args.min_energy)
        # The par04 files store float32; the challenge's files are float64, which evaluate.py's
        # float64 network (torch.set_default_dtype(torch.float64)) expects.
        s_arr, r_arr = s_arr.astype(np.float64), r_arr.astype(np.float64)
        train, test, val = ev.ttv_split(s_arr, r_arr)  # fractions 0.6 / 0.2 / 0.2
        net = ev.DNN(num_layer=2, num_hidden=2048, input_dim=train.shape[1] - 1)
        n_par = sum(p.numel() for p in net.parameters() if p.requires_grad)
        opt = torch.optim.Adam(net.parameters(), lr=args.cls_lr)
        dl = lambda d, sh: DataLoader(TensorDataset(torch.tensor(d)), batch_size=1000, shuffle=sh)
        test_dl, val_dl = dl(test, False), dl(val, False)
        ev.train_and_evaluate_cls(net, dl(train, True), test_dl, opt, args)
        net = ev.load_classifier(net, args)
        with torch.no_grad():
            acc, auc, jsd = ev.evaluate_cls(net, val_dl, args, final_eval=True,
                                            calibration_data=test_dl)
        res[mode] = {"auc": float(auc), "jsd": float(jsd), "accuracy_calibrated": float(acc),
                     "best_epoch": int(args.best_epoch), "n_parameters": int(n_par),
                     "n_train": len(train), "n_test": len(test), "n_validation": len(val)}
        res["seconds"][mode] = time.time() - t2
    res["seconds"]["total"] = time.time() - t0
    Path(a.out).write_text(json.dumps(res, indent=1))
    print(json.dumps({k: v for k, v in res.items() if k != "separation_power"}, indent=1))


def hanley_mcneil(auc, n1, n2):
    """Standard error of an AUC from n1 positives and n2 negatives (Hanley & McNeil 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    return np.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n2 - 1) * (q2 - auc * auc))
                   / (n1 * n2))


def compare(a):
    py = {}
    for path in a.challenge:  # runs of parts (histograms + classifiers, FPD/KPD) merge
        part = json.loads(Path(path).read_text())
        secs = {**py.get("seconds", {}), **{k: v for k, v in part["seconds"].items() if k != "total"}}
        py.update({k: v for k, v in part.items() if v or k not in py})
        py["seconds"] = secs
    rs = json.loads(Path(a.calogen).read_text())["calochallenge"]
    sp_py, sp_rs = py.get("separation_power", {}), rs["separation_power"]
    fams = ["etot_einc", "voxel_energy", "e_layer", "ec_eta", "ec_phi", "width_eta", "width_phi",
            "ec_r", "width_r", "sparsity"]
    print("| feature | evaluate.py | calogen | max abs. difference | entries differing by > 1e-12 |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for fam in fams:
        keys = [k for k in sp_py if k == fam or k.rsplit("_", 1)[0] == fam and
                k.rsplit("_", 1)[1].isdigit()]
        if not keys:
            continue
        missing = [k for k in keys if k not in sp_rs]
        if missing:
            print(f"| {fam} | | missing in calogen: {missing[:3]} | |")
            continue
        p = np.mean([sp_py[k] for k in keys])
        r = np.mean([sp_rs[k] for k in keys])
        d = max(abs(sp_py[k] - sp_rs[k]) for k in keys)
        worst = max(worst, d)
        n_diff = sum(abs(sp_py[k] - sp_rs[k]) > 1e-12 for k in keys)
        label = fam if len(keys) == 1 else f"{fam} (mean of {len(keys)} layers)"
        print(f"| {label} | {p:.5f} | {r:.5f} | {d:.1e} | {n_diff} of {len(keys)} |")
    print(f"\nlargest difference of any single separation power: {worst:.2e}\n")
    for name in ["fpd", "kpd"]:
        if name in py and rs.get(name):
            p, r = py[name], rs[name]
            print(f"| {name.upper()} | {p['value']:.5f} ± {p['error']:.5f} | "
                  f"{r['value']:.5f} ± {r['error']:.5f} |")
    for mode, key in [("cls-low", "classifier_low_level"), ("cls-high", "classifier_high_level")]:
        if mode in py and rs.get(key):
            p, r = py[mode], rs[key]
            n = p["n_validation"] // 2
            print(f"| DNN {mode} AUC | {p['auc']:.4f} (epoch {p['best_epoch']}, {p['n_parameters']} "
                  f"par.) | {r['auc']:.4f} (uncal. {r['auc_uncalibrated']:.4f}, epoch "
                  f"{r['best_epoch'] + 1}, {r['n_parameters']} par.) | Hanley–McNeil σ "
                  f"{hanley_mcneil(max(p['auc'], 0.5), n, n):.4f} |")
            print(f"| DNN {mode} JSD | {p['jsd']:.4f} | {r['jsd']:.4f} | |")
            for w in r.get("warnings", []):
                print(f"calogen warning ({mode}): {w}")
    secs = {k: round(v, 1) for k, v in py["seconds"].items() if k != "features_and_histograms" or v > 10}
    print(f"\nwall time (s): evaluate.py {secs}; calogen {rs.get('seconds', 0):.1f} for all of it")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("prepare")
    q.add_argument("--input", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--n", type=int, default=1000)
    q.add_argument("--seed", type=int, default=1)
    q = sub.add_parser("challenge")
    q.add_argument("--code", required=True, help="the folder code/ of CaloChallenge/homepage")
    q.add_argument("--reference", required=True)
    q.add_argument("--generated", required=True)
    q.add_argument("--out", required=True, help="a .json file")
    q.add_argument("--epochs", type=int, default=10)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--fpd-kpd", choices=["challenge", "scaled", "skip"], default="challenge")
    q.add_argument("--skip-histograms", action="store_true")
    q.add_argument("--fpd-seed", type=int, default=42)
    q = sub.add_parser("compare")
    q.add_argument("--challenge", required=True, nargs="+")
    q.add_argument("--calogen", required=True)
    a = p.parse_args()
    {"prepare": prepare, "challenge": challenge, "compare": compare}[a.cmd](a)


if __name__ == "__main__":
    main()
