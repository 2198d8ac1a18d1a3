#!/usr/bin/env python3
"""Reference numbers for the metrics of crates/eval, from the implementations the papers used.

Writes crates/eval/tests/data/<family>.json: the inputs (drawn from a seeded numpy generator and
rounded to a few decimals, so that they are stored exactly in a short form) together with what
numpy / scipy / scikit-learn / prdc and re-implementations of jetnet, the CaloChallenge
`evaluate.py`, CaloClouds II `calc_wdist` and CaloHadronic `kld` / `compute_core90` give for
them. The Rust tests read these files; they never run Python.

    pip install --user numpy scipy scikit-learn prdc
    python3 tools/eval_reference.py

jetnet itself needs torch, so its FPD/KPD code paths are restated below line for line from
jetnet 0.2.5 (`jetnet/evaluation/gen_metrics.py`); the subsample indices numpy draws are saved
so the Rust side can replay them and must agree to rounding.
"""

import json
import warnings
import math
from pathlib import Path

import numpy as np
import prdc
from prdc.prdc import compute_nearest_neighbour_distances
import scipy
from scipy import linalg
from scipy.optimize import curve_fit
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, iqr, wasserstein_distance
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

OUT = Path(__file__).resolve().parent.parent / "crates" / "eval" / "tests" / "data"
RNG = np.random.default_rng(20240611)


def r(x, decimals=4):
    """Rounded inputs have short exact decimal forms, so the JSON stays small and exact."""
    return np.round(np.asarray(x, dtype=np.float64), decimals)


def lst(x):
    return np.asarray(x, dtype=np.float64).tolist()


def lst_nan(x):
    """NaN or ±inf (the density of a zero-width bin, an infinite KL) as JSON null."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(x, dtype=np.float64)]


def dump(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    payload = {"generator": f"tools/eval_reference.py (numpy {np.__version__}, scipy "
                            f"{scipy.__version__})", **payload}
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    (OUT / f"{name}.json").write_text(text + "\n")
    print(f"{name}.json: {len(text) / 1024:.1f} KiB")


# ---------------------------------------------------------------- histogram + separation power

def challenge_separation_power(ref, gen, bins):
    """evaluate_plotting_helper.py: plt.hist(density=True) then _separation_power."""
    h1, _ = np.histogram(ref, bins=bins, density=True)
    h2, _ = np.histogram(gen, bins=bins, density=True)
    h1, h2 = h1 * np.diff(bins), h2 * np.diff(bins)
    ret = (h1 - h2) ** 2
    ret /= h1 + h2 + 1e-16
    return 0.5 * ret.sum()


def histogram_cases():
    cases = []
    x = r(RNG.normal(0.0, 1.0, 200), 3)
    edges = np.linspace(-2.0, 2.0, 21)
    cases.append(("normal_linspace", x, edges))
    # Values exactly on edges, incl. the closed last edge, and repeated edges.
    x2 = r(np.concatenate([RNG.integers(0, 6, 80).astype(float), [5.0, 5.0, -1.0, 7.0]]), 0)
    cases.append(("integers_on_edges", x2, np.array([0.0, 1.0, 2.0, 2.0, 3.0, 5.0])))
    x3 = r(RNG.lognormal(1.0, 1.2, 250), 3)
    cases.append(("lognormal_logspace", x3, np.logspace(np.log10(0.1), np.log10(x3.max()), 40)))
    out = []
    for name, v, e in cases:
        c, _ = np.histogram(v, bins=e)
        with np.errstate(invalid="ignore"):
            d, _ = np.histogram(v, bins=e, density=True)
        out.append({"name": name, "values": lst(v), "edges": lst(e), "counts": lst(c),
                    "density": lst_nan(d)})
    w = r(RNG.uniform(0.0, 2.0, len(x)), 3)
    weighted = {"values": lst(x), "weights": lst(w), "edges": lst(edges),
                "sums": lst(np.histogram(x, bins=edges, weights=w)[0])}
    spaces = {
        "linspace": [{"lo": lo, "hi": hi, "n_bins": n, "edges": lst(np.linspace(lo, hi, n + 1))}
                     for lo, hi, n in [(-30.0, 30.0, 100), (0.5, 1.5, 100), (0.0, 1.0, 20),
                                       (0.9, 1.1, 20), (0.0, 42.0, 100)]],
        "logspace": [{"lo": lo, "hi": hi, "n_bins": n,
                      "edges": lst(np.logspace(np.log10(lo), np.log10(hi), n + 1))}
                     for lo, hi, n in [(1.0, 12345.6, 39), (0.5e-3 / 0.033, 987.25, 49)]],
        "auto": [{"values": lst(v), "n_bins": n, "edges": lst(np.histogram_bin_edges(v, bins=n))}
                 for v, n in [(x3, 40), (np.array([2.5, 2.5, 2.5]), 4)]],
    }
    dump("histogram", {"cases": out, "weighted": weighted, "spaces": spaces})

    sp = []
    a = r(RNG.normal(1.0, 0.05, 300), 3)
    b = r(RNG.normal(1.01, 0.06, 280), 3)
    sp.append(("etot_einc", a, b, np.linspace(0.5, 1.5, 101)))
    c = r(RNG.normal(0.0, 20.0, 250), 2)
    d = r(RNG.standard_t(3, 240) * 15.0, 2)
    sp.append(("centre_eta", c, d, np.linspace(-30.0, 30.0, 101)))
    e = r(RNG.lognormal(3.0, 1.0, 200), 2)
    f = r(RNG.lognormal(3.2, 0.9, 220), 2)
    sp.append(("layer_energy_log", e, f, np.logspace(0.0, np.log10(e.max()), 40)))
    dump("separation_power", {"cases": [
        {"name": n, "reference": lst(p), "generated": lst(q), "edges": lst(bins),
         "separation_power": challenge_separation_power(p, q, bins)} for n, p, q, bins in sp]})


# ---------------------------------------------------------------- Wasserstein

def calc_wdist(obs_real, obs_model, iterations, batch_size):
    """CaloClouds II utils/metrics.py calc_wdist."""
    means, stds = [], []
    for i in range(obs_real.shape[1]):
        j = 0
        wd = []
        for _ in range(iterations):
            wd.append(wasserstein_distance(obs_real[j:j + batch_size, i],
                                           obs_model[j:j + batch_size, i]))
            j += batch_size
        means.append(np.mean(wd))
        stds.append(np.std(wd))
    return np.array(means), np.array(stds)


def wasserstein_cases():
    pairs = []
    pairs.append(("normal_vs_shifted", r(RNG.normal(0, 1, 200), 3), r(RNG.normal(0.3, 1.2, 150), 3)))
    pairs.append(("integers_with_ties", r(RNG.integers(0, 10, 120), 0),
                  r(RNG.integers(2, 12, 90), 0)))
    pairs.append(("heavy_tail", r(RNG.standard_cauchy(100), 3), r(RNG.standard_cauchy(130), 3)))
    pairs.append(("single_points", np.array([1.5]), np.array([-2.25])))
    one_d = [{"name": n, "u": lst(u), "v": lst(v), "w1": wasserstein_distance(u, v)}
             for n, u, v in pairs]

    n_batches, batch_size, d = 4, 60, 3
    real = r(RNG.normal([10.0, -2.0, 100.0], [2.0, 0.5, 15.0], (n_batches * batch_size, d)), 3)
    gen = r(RNG.normal([10.5, -2.1, 95.0], [2.2, 0.4, 15.0], (n_batches * batch_size, d)), 3)
    mean_real, std_real = np.mean(real, axis=0), np.std(real, axis=0)
    means, stds = calc_wdist((real - mean_real) / std_real, (gen - mean_real) / std_real,
                             n_batches, batch_size)
    combined = (float(np.mean(means)), float(np.sqrt(np.sum(stds ** 2))))
    dump("wasserstein", {"one_d": one_d, "standardized": {
        "n_batches": n_batches, "batch_size": batch_size, "dim": d,
        "reference": lst(real.ravel()), "generated": lst(gen.ravel()),
        "means": lst(means), "stds": lst(stds), "combined": list(combined)}})


# ---------------------------------------------------------------- correlation

def correlation_cases():
    n, d = 150, 5
    z = RNG.normal(size=(n, d))
    mix = np.array([[1.0, 0.8, 0.0, 0.0, -0.3], [0.0, 0.6, 0.5, 0.0, 0.0],
                    [0.0, 0.0, 1.0, 0.9, 0.0], [0.0, 0.0, 0.0, 0.4, 0.0],
                    [0.0, 0.0, 0.0, 0.0, 1.0]])
    x = r(z @ mix * np.array([1.0, 50.0, 0.01, 3.0, 1e3]) + np.array([0, 1e3, 5, 0, -7]), 4)
    dump("correlation", {"rows": n, "dim": d, "x": lst(x.ravel()),
                         "pearson": lst(np.corrcoef(x, rowvar=False).ravel())})


# ---------------------------------------------------------------- FPD / KPD (jetnet 0.2.5)

def _calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # `disp`, kept as jetnet calls it
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def _normalise_features(X, Y):
    maxes = np.max(np.abs(X), axis=0)
    maxes[maxes == 0] = 1
    return X / maxes, Y / maxes


def _linear(x, intercept, slope):
    return intercept + slope * x


class Recorder:
    """A numpy generator whose `choice` draws are kept for the Rust side to replay."""

    def __init__(self, rng):
        self.rng, self.draws = rng, []

    def choice(self, n, size):
        idx = self.rng.choice(n, size=size)
        self.draws.append(idx.tolist())
        return idx


def jetnet_fpd(X, Y, min_samples, max_samples, num_batches, num_points, normalise=True, seed=42):
    if normalise:
        X, Y = _normalise_features(X, Y)
    batches = (1 / np.linspace(1.0 / min_samples, 1.0 / max_samples, num_points)).astype("int32")
    rng = Recorder(np.random.default_rng(seed))
    vals = []
    for batch_size in batches:
        val_points = []
        for _ in range(num_batches):
            rand1 = rng.choice(len(X), size=batch_size)
            rand2 = rng.choice(len(Y), size=batch_size)
            s1, s2 = X[rand1], Y[rand2]
            val_points.append(_calculate_frechet_distance(
                np.mean(s1, axis=0), np.cov(s1, rowvar=False),
                np.mean(s2, axis=0), np.cov(s2, rowvar=False)))
        vals.append(np.mean(val_points))
    params, covs = curve_fit(_linear, 1 / batches, vals, bounds=([0, 0], [np.inf, np.inf]))
    return params[0], np.sqrt(np.diag(covs)[0]), rng.draws, batches, vals


def _mmd_poly_quadratic_unbiased(X, Y, degree):
    gamma = 1.0 / X.shape[-1]
    XX = (X @ X.T * gamma + 1.0) ** degree
    YY = (Y @ Y.T * gamma + 1.0) ** degree
    XY = (X @ Y.T * gamma + 1.0) ** degree
    m, n = XX.shape[0], YY.shape[0]
    return ((XX.sum() - np.trace(XX)) / (m * (m - 1))
            + (YY.sum() - np.trace(YY)) / (n * (n - 1)) - 2 * np.mean(XY))


def jetnet_kpd(X, Y, num_batches, batch_size, degree, normalise=True, seed=42):
    if normalise:
        X, Y = _normalise_features(X, Y)
    draws, vals = [], []
    for i in range(num_batches):
        rng = Recorder(np.random.default_rng(seed + i * 1000))
        rand1 = rng.choice(len(X), size=batch_size)
        rand2 = rng.choice(len(Y), size=batch_size)
        draws += rng.draws
        vals.append(_mmd_poly_quadratic_unbiased(X[rand1], Y[rand2], degree))
    return np.median(vals), iqr(vals, rng=(16.275, 83.725)) / 2, draws, vals


def frechet_kernel_cases():
    d = 4
    a = RNG.normal(size=(d, d))
    b = RNG.normal(size=(d, d))
    s1 = a @ a.T + 0.5 * np.eye(d)
    s2 = b @ b.T + 0.2 * np.eye(d)
    mu1, mu2 = RNG.normal(size=d), RNG.normal(size=d)
    gaussians = {"dim": d, "mu1": lst(mu1), "sigma1": lst(s1.ravel()), "mu2": lst(mu2),
                 "sigma2": lst(s2.ravel()),
                 "frechet": _calculate_frechet_distance(mu1, s1, mu2, s2)}

    n = 200
    X = r(RNG.normal([1.0, 5.0, -3.0, 0.0], [1.0, 2.0, 0.5, 3.0], (n, d)), 3)
    Y = r(RNG.normal([1.2, 4.5, -3.0, 0.3], [1.1, 2.0, 0.6, 2.5], (n + 20, d)), 3)
    samples_fd = _calculate_frechet_distance(np.mean(X, axis=0), np.cov(X, rowvar=False),
                                             np.mean(Y, axis=0), np.cov(Y, rowvar=False))
    cfg = dict(min_samples=40, max_samples=160, num_batches=3, num_points=5)
    value, error, draws, batches, vals = jetnet_fpd(X, Y, **cfg)
    sizes = {f"{lo}_{hi}_{k}": (1 / np.linspace(1.0 / lo, 1.0 / hi, k)).astype("int32").tolist()
             for lo, hi, k in [(20000, 50000, 10), (10000, 50000, 10), (40, 160, 5)]}
    fits = []
    for _ in range(2):
        xs = 1 / np.array(batches, dtype=float)
        ys = r(RNG.uniform(0.1, 1.0) + RNG.uniform(10, 50) * xs + RNG.normal(0, 0.01, len(xs)), 5)
        p, c = curve_fit(_linear, xs, ys, bounds=([0, 0], [np.inf, np.inf]))
        fits.append({"x": lst(xs), "y": lst(ys), "value": p[0], "error": math.sqrt(c[0, 0]),
                     "exact_intercept": float(np.polyfit(xs, ys, 1)[1])})
    dump("frechet", {"gaussians": gaussians,
                     "samples": {"dim": d, "x": lst(X.ravel()), "y": lst(Y.ravel()),
                                 "frechet": samples_fd},
                     "fpd": {**cfg, "value": value, "error": error, "draws": draws,
                             "values_per_size": lst(vals),
                             # curve_fit's trust-region solver stops ~1e-5·error short of the
                             # optimum; the closed-form fit is the exact reference.
                             "exact_intercept": float(np.polyfit(1 / batches, vals, 1)[1])},
                     "batch_sizes": sizes, "fits": fits})

    mmd = {str(deg): _mmd_poly_quadratic_unbiased(X, Y, deg) for deg in (3, 4)}
    kcfg = dict(num_batches=5, batch_size=50)
    kpd_out = {}
    for deg in (3, 4):
        med, err, kdraws, kvals = jetnet_kpd(X, Y, degree=deg, **kcfg)
        kpd_out[str(deg)] = {"median": med, "error": err, "draws": kdraws, "values": lst(kvals)}
    raw = {str(deg): _mmd_poly_quadratic_unbiased(X[:60], Y[:70], deg) for deg in (2, 3)}
    vals = r(RNG.normal(0, 1, 7), 4)
    dump("kernel", {"dim": d, "x": lst(X.ravel()), "y": lst(Y.ravel()), "mmd2": mmd,
                    "mmd2_head_60_70": raw, "kpd": {**kcfg, **kpd_out},
                    "summary": {"values": lst(vals), "median": np.median(vals),
                                "error": iqr(vals, rng=(16.275, 83.725)) / 2}})


# ---------------------------------------------------------------- PRDC

def prdc_cases():
    d = 6
    real = r(RNG.normal(0.0, 1.0, (160, d)), 3)
    fake = r(RNG.normal(0.2, 1.3, (140, d)), 3)
    out = {"dim": d, "real": lst(real.ravel()), "fake": lst(fake.ravel()), "results": {}}
    for k in (3, 5):
        res = prdc.compute_prdc(real, fake, k)
        radii = compute_nearest_neighbour_distances(real, k)
        out["results"][str(k)] = {key: float(v) for key, v in res.items()}
        out["results"][str(k)]["real_radii"] = lst(radii)
    dump("prdc", out)


# ---------------------------------------------------------------- JSD

def jsd_cases():
    cases = []
    p = r(RNG.uniform(0, 5, 12), 3)
    q = r(RNG.uniform(0, 5, 12), 3)
    cases.append(("random", p, q))
    cases.append(("with_zeros", np.array([0.0, 1.0, 2.0, 0.0, 3.0]), np.array([1.0, 0.0, 2.0, 0.0, 1.0])))
    cases.append(("disjoint", np.array([1.0, 2.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0, 1.0])))
    dump("jsd", {"cases": [{"name": n, "p": lst(a), "q": lst(b),
                            "distance_e": float(jensenshannon(a, b)),
                            "distance_2": float(jensenshannon(a, b, base=2))}
                           for n, a, b in cases]})


# ---------------------------------------------------------------- quantile KL (CaloHadronic)

def calohadronic_quantile_kl(a, b, num_quantiles):
    """One batch of CaloHadronic's `kld` (pion-clouds/scripts/utils/plotting_features.py)."""
    quantiles = np.quantile(a, np.linspace(0., 1., num_quantiles + 1))
    quantiles[0] = float('-inf')
    quantiles[-1] = float('inf')
    pk = np.histogram(a, quantiles)[0] / len(a)
    qk = np.histogram(b, quantiles)[0] / len(b)
    return entropy(pk, qk)


def quantile_kl_cases():
    nq, n_batches, batch = 25, 3, 200
    cont_a = r(RNG.gamma(3.0, 2.0, n_batches * batch), 3)
    cont_b = r(RNG.gamma(3.3, 1.9, n_batches * batch), 3)
    disc_a = r(RNG.poisson(6.0, n_batches * batch), 0)
    disc_b = r(RNG.poisson(6.5, n_batches * batch), 0)
    cases = []
    for name, a, b in [("gamma", cont_a, cont_b), ("poisson", disc_a, disc_b)]:
        per = [float(calohadronic_quantile_kl(a[i * batch:(i + 1) * batch],
                                              b[i * batch:(i + 1) * batch], nq))
               for i in range(n_batches)]
        fin = [v for v in per if np.isfinite(v)]
        cases.append({"name": name, "reference": lst(a), "generated": lst(b),
                      "edges_first_batch": lst(np.quantile(a[:batch], np.linspace(0, 1, nq + 1))[1:-1]),
                      "per_batch": lst_nan(per), "mean": float(np.mean(fin)), "std": float(np.std(fin))})
    dump("quantile_kl", {"n_quantiles": nq, "n_batches": n_batches, "batch_size": batch,
                         "cases": cases})


# ---------------------------------------------------------------- resolution (CaloHadronic)

def sigma_error(x):
    """Paper 004 eq. G.1, as `error_sigma_over_mean.sigma_error` computes it."""
    n = x.shape[0]
    mean = np.mean(x)
    sigma = np.std(x, ddof=1)
    mu4 = np.sum((x - mean) ** 4 * (1 / n))
    return 1 / (2 * sigma) * np.sqrt(1 / n * (mu4 - (n - 3) / (n - 1) * sigma ** 4))


def resolution_summary(core):
    n = len(core)
    mu, sigma = np.mean(core), np.std(core, ddof=1)
    se_sigma, se_mu = sigma_error(core), sigma / np.sqrt(n)
    return {"n_core": n, "mu90": mu, "sigma90": sigma, "mu90_error": se_mu,
            "sigma90_error": se_sigma, "relative": sigma / mu,
            "relative_error": math.sqrt(se_sigma ** 2 / mu ** 2 + sigma ** 2 * se_mu ** 2 / mu ** 4)}


def resolution_cases():
    # A Gaussian peak with a low tail, like the visible energy of hadron showers.
    x = r(np.concatenate([RNG.normal(50.0, 4.0, 430), RNG.uniform(10.0, 45.0, 70)]), 3)
    s = np.sort(x)
    n = len(s)
    central = s[int(n * 0.05):int(n * 0.95)]  # CaloHadronic compute_core90
    w = math.ceil(0.9 * n)
    start = int(np.argmin(s[w - 1:] - s[:n - w + 1]))
    smallest = s[start:start + w]
    dump("resolution", {"x": lst(x), "central": resolution_summary(central),
                        "smallest": resolution_summary(smallest)})


# ---------------------------------------------------------------- AUC, isotonic, BCE

def auc_cases():
    n = 300
    labels = RNG.integers(0, 2, n).astype(bool)
    scores = r(1 / (1 + np.exp(-(RNG.normal(0, 1, n) + 0.8 * labels))), 2)  # coarse → ties
    auc = roc_auc_score(labels, scores)
    iso = IsotonicRegression(out_of_bounds='clip', y_min=1e-6, y_max=1. - 1e-6)
    iso.fit(scores, labels.astype(float))
    probe = r(np.concatenate([RNG.uniform(-0.1, 1.1, 40), scores[:20]]), 4)
    calibrated = iso.predict(scores)
    w = r(RNG.uniform(0.5, 2.0, n), 2)
    iso_w = IsotonicRegression(out_of_bounds='clip').fit(scores, labels.astype(float),
                                                         sample_weight=w)

    def bce(p, y):
        # torch.nn.BCELoss: logs clamped at -100.
        return float(np.mean(-(y * np.maximum(np.log(p), -100.0)
                               + (1 - y) * np.maximum(np.log(1 - p), -100.0))))

    bce_raw = bce(scores, labels.astype(float))
    bce_cal = bce(calibrated, labels.astype(float))
    dump("auc", {"scores": lst(scores), "labels": labels.astype(int).tolist(), "auc": auc,
                 "auc_calibrated": roc_auc_score(labels, calibrated),
                 "probe": lst(probe), "isotonic_probe": lst(iso.predict(probe)),
                 "weights": lst(w), "isotonic_weighted_probe": lst(iso_w.predict(probe)),
                 "bce": bce_raw, "jsd": (np.log(2.0) - bce_raw) / np.log(2.0),
                 "bce_calibrated": bce_cal,
                 "jsd_calibrated": (np.log(2.0) - bce_cal) / np.log(2.0)})


if __name__ == "__main__":
    histogram_cases()
    wasserstein_cases()
    correlation_cases()
    frechet_kernel_cases()
    prdc_cases()
    jsd_cases()
    quantile_kl_cases()
    resolution_cases()
    auc_cases()
    total = sum(p.stat().st_size for p in OUT.glob("*.json"))
    print(f"total {total / 1024:.1f} KiB")
