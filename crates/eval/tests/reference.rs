//! The metrics against the numbers of the implementations the papers used
//! (`tools/eval_reference.py` → `tests/data/*.json`).

mod common;

use calogen_eval::metrics::auc::{binary_cross_entropy, jsd_from_bce, roc_auc, IsotonicRegression};
use calogen_eval::metrics::correlation::pearson_matrix;
use calogen_eval::metrics::frechet::{
    fit_intercept_nonneg, fpd_batch_sizes, fpd_with_sampler, frechet_distance,
    frechet_distance_samples, FpdConfig,
};
use calogen_eval::metrics::histogram::{
    auto_edges, density, histogram, histogram_weighted, linspace_edges, logspace_edges,
};
use calogen_eval::metrics::jsd::jensen_shannon_distance;
use calogen_eval::metrics::kernel::{
    kpd_with_sampler, median_and_iqr_error, mmd2_poly_unbiased, KpdConfig,
};
use calogen_eval::metrics::prdc::{kth_neighbour_sq_distances, prdc};
use calogen_eval::metrics::quantile_kl::{quantile_edges, quantile_kl, quantile_kl_batches};
use calogen_eval::metrics::resolution::{resolution90, Core, Resolution};
use calogen_eval::metrics::separation_power::separation_power_samples;
use calogen_eval::metrics::wasserstein::{
    combine_scores, standardized_wasserstein, wasserstein_1d,
};
use calogen_eval::RowMatrix;
use common::*;
use serde_json::Value;

#[test]
fn histograms_match_numpy() {
    let d = load("histogram");
    for c in d["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (v, e) = (vf(&c["values"]), vf(&c["edges"]));
        let counts = histogram(&v, &e).unwrap();
        assert_eq!(counts, vf(&c["counts"]), "{name}: counts");
        let dens = density(&counts, &e).unwrap();
        for (i, (a, b)) in dens.iter().zip(vf_opt(&c["density"])).enumerate() {
            match b {
                Some(b) => close(&format!("{name}: density[{i}]"), *a, b, 1e-14, 0.0),
                None => assert!(a.is_nan(), "{name}: density[{i}] should be NaN"),
            }
        }
    }
    let w = &d["weighted"];
    let sums = histogram_weighted(&vf(&w["values"]), &vf(&w["weights"]), &vf(&w["edges"])).unwrap();
    close_all("weighted", &sums, &vf(&w["sums"]), 1e-13, 1e-13);

    // Edges are compared exactly: a value on an edge must land in the same bin as in numpy.
    for s in d["spaces"]["linspace"].as_array().unwrap() {
        let e = linspace_edges(f(&s["lo"]), f(&s["hi"]), u(&s["n_bins"]));
        assert_eq!(e, vf(&s["edges"]), "linspace {s}");
    }
    for s in d["spaces"]["logspace"].as_array().unwrap() {
        let e = logspace_edges(f(&s["lo"]), f(&s["hi"]), u(&s["n_bins"]));
        close_all("logspace", &e, &vf(&s["edges"]), 1e-15, 0.0);
    }
    for s in d["spaces"]["auto"].as_array().unwrap() {
        let e = auto_edges(&vf(&s["values"]), u(&s["n_bins"])).unwrap();
        assert_eq!(e, vf(&s["edges"]), "auto edges");
    }
}

#[test]
fn separation_power_matches_challenge_code() {
    let d = load("separation_power");
    for c in d["cases"].as_array().unwrap() {
        let sp =
            separation_power_samples(&vf(&c["reference"]), &vf(&c["generated"]), &vf(&c["edges"]))
                .unwrap();
        close(
            c["name"].as_str().unwrap(),
            sp,
            f(&c["separation_power"]),
            1e-12,
            1e-15,
        );
    }
}

#[test]
fn wasserstein_matches_scipy_and_caloclouds() {
    let d = load("wasserstein");
    for c in d["one_d"].as_array().unwrap() {
        let w = wasserstein_1d(&vf(&c["u"]), &vf(&c["v"])).unwrap();
        close(c["name"].as_str().unwrap(), w, f(&c["w1"]), 1e-12, 1e-14);
    }
    let s = &d["standardized"];
    let dim = u(&s["dim"]);
    let (r, g) = (vf(&s["reference"]), vf(&s["generated"]));
    let scores = standardized_wasserstein(
        RowMatrix::new(&r, dim).unwrap(),
        RowMatrix::new(&g, dim).unwrap(),
        u(&s["n_batches"]),
        u(&s["batch_size"]),
    )
    .unwrap();
    let means: Vec<f64> = scores.iter().map(|m| m.mean).collect();
    let stds: Vec<f64> = scores.iter().map(|m| m.std).collect();
    close_all("W1 means", &means, &vf(&s["means"]), 1e-11, 1e-14);
    close_all("W1 stds", &stds, &vf(&s["stds"]), 1e-9, 1e-14);
    let comb = combine_scores(&scores);
    let want = vf(&s["combined"]);
    close("combined mean", comb.mean, want[0], 1e-11, 0.0);
    close("combined std", comb.std, want[1], 1e-9, 0.0);
}

#[test]
fn pearson_matches_numpy() {
    let d = load("correlation");
    let x = vf(&d["x"]);
    let r = pearson_matrix(RowMatrix::new(&x, u(&d["dim"])).unwrap()).unwrap();
    close_all("corrcoef", &r, &vf(&d["pearson"]), 1e-10, 1e-12);
}

#[test]
fn frechet_distance_matches_jetnet() {
    let d = load("frechet");
    let g = &d["gaussians"];
    let fd = frechet_distance(
        &vf(&g["mu1"]),
        &vf(&g["sigma1"]),
        &vf(&g["mu2"]),
        &vf(&g["sigma2"]),
    )
    .unwrap();
    close("gaussians", fd, f(&g["frechet"]), 1e-10, 1e-12);

    let s = &d["samples"];
    let dim = u(&s["dim"]);
    let (x, y) = (vf(&s["x"]), vf(&s["y"]));
    let (x, y) = (
        RowMatrix::new(&x, dim).unwrap(),
        RowMatrix::new(&y, dim).unwrap(),
    );
    close(
        "samples",
        frechet_distance_samples(x, y).unwrap(),
        f(&s["frechet"]),
        1e-9,
        1e-12,
    );

    for (key, want) in d["batch_sizes"].as_object().unwrap() {
        let p: Vec<usize> = key.split('_').map(|t| t.parse().unwrap()).collect();
        assert_eq!(fpd_batch_sizes(p[0], p[1], p[2]), vu(want), "sizes {key}");
    }
    for fit in d["fits"].as_array().unwrap() {
        let r = fit_intercept_nonneg(&vf(&fit["x"]), &vf(&fit["y"])).unwrap();
        close(
            "fit exact",
            r.value,
            f(&fit["exact_intercept"]),
            1e-10,
            1e-12,
        );
        // curve_fit's iterative solver is only close to the optimum: compare on the error's scale.
        close(
            "fit value",
            r.value,
            f(&fit["value"]),
            0.0,
            1e-3 * f(&fit["error"]),
        );
        close("fit error", r.error, f(&fit["error"]), 1e-5, 1e-12);
    }

    let p = &d["fpd"];
    let cfg = FpdConfig {
        min_samples: u(&p["min_samples"]),
        max_samples: u(&p["max_samples"]),
        num_batches: u(&p["num_batches"]),
        num_points: u(&p["num_points"]),
        normalise: true,
        seed: 0,
    };
    let mut replay = Replay::new(&p["draws"]);
    let r = fpd_with_sampler(x, y, &cfg, &mut replay).unwrap();
    assert!(replay.draws.is_empty(), "all of numpy's draws used");
    close("fpd exact", r.value, f(&p["exact_intercept"]), 1e-9, 1e-12);
    close(
        "fpd value",
        r.value,
        f(&p["value"]),
        0.0,
        1e-3 * f(&p["error"]),
    );
    close("fpd error", r.error, f(&p["error"]), 1e-5, 1e-12);
}

#[test]
fn kpd_matches_jetnet() {
    let d = load("kernel");
    let dim = u(&d["dim"]);
    let (xv, yv) = (vf(&d["x"]), vf(&d["y"]));
    let x = RowMatrix::new(&xv, dim).unwrap();
    let y = RowMatrix::new(&yv, dim).unwrap();
    for deg in [3u32, 4] {
        let m = mmd2_poly_unbiased(x, y, deg).unwrap();
        close(
            &format!("mmd2 degree {deg}"),
            m,
            f(&d["mmd2"][deg.to_string()]),
            1e-9,
            1e-12,
        );
    }
    let (xh, yh) = (&xv[..60 * dim], &yv[..70 * dim]);
    for deg in [2u32, 3] {
        let m = mmd2_poly_unbiased(
            RowMatrix::new(xh, dim).unwrap(),
            RowMatrix::new(yh, dim).unwrap(),
            deg,
        )
        .unwrap();
        let want = f(&d["mmd2_head_60_70"][deg.to_string()]);
        close(&format!("mmd2 head degree {deg}"), m, want, 1e-9, 1e-12);
    }
    let k = &d["kpd"];
    for deg in [3u32, 4] {
        let want: &Value = &k[deg.to_string()];
        let cfg = KpdConfig {
            num_batches: u(&k["num_batches"]),
            batch_size: u(&k["batch_size"]),
            normalise: true,
            degree: deg,
            seed: 0,
        };
        let mut replay = Replay::new(&want["draws"]);
        let r = kpd_with_sampler(x, y, &cfg, &mut replay).unwrap();
        assert!(replay.draws.is_empty());
        close("kpd median", r.value, f(&want["median"]), 1e-9, 1e-12);
        close("kpd error", r.error, f(&want["error"]), 1e-8, 1e-12);
    }
    let s = &d["summary"];
    let r = median_and_iqr_error(&vf(&s["values"]));
    close("median", r.value, f(&s["median"]), 0.0, 0.0);
    close("iqr error", r.error, f(&s["error"]), 1e-14, 1e-15);
}

#[test]
fn prdc_matches_prdc_package() {
    let d = load("prdc");
    let dim = u(&d["dim"]);
    let (rv, fv) = (vf(&d["real"]), vf(&d["fake"]));
    let real = RowMatrix::new(&rv, dim).unwrap();
    let fake = RowMatrix::new(&fv, dim).unwrap();
    for (k, want) in d["results"].as_object().unwrap() {
        let k: usize = k.parse().unwrap();
        let radii: Vec<f64> = kth_neighbour_sq_distances(real, k)
            .unwrap()
            .iter()
            .map(|r| r.sqrt())
            .collect();
        close_all("radii", &radii, &vf(&want["real_radii"]), 1e-9, 1e-9);
        let r = prdc(real, fake, k).unwrap();
        // Counts of samples: identical unless a distance sits within rounding of a radius.
        close("precision", r.precision, f(&want["precision"]), 0.0, 1e-12);
        close("recall", r.recall, f(&want["recall"]), 0.0, 1e-12);
        close("density", r.density, f(&want["density"]), 0.0, 1e-12);
        close("coverage", r.coverage, f(&want["coverage"]), 0.0, 1e-12);
    }
}

#[test]
fn jensen_shannon_matches_scipy() {
    let d = load("jsd");
    for c in d["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (p, q) = (vf(&c["p"]), vf(&c["q"]));
        let e = jensen_shannon_distance(&p, &q, None).unwrap();
        close(name, e, f(&c["distance_e"]), 1e-13, 1e-15);
        let b2 = jensen_shannon_distance(&p, &q, Some(2.0)).unwrap();
        close(name, b2, f(&c["distance_2"]), 1e-13, 1e-15);
    }
}

#[test]
fn quantile_kl_matches_calohadronic() {
    let d = load("quantile_kl");
    let (nq, nb, bs) = (
        u(&d["n_quantiles"]),
        u(&d["n_batches"]),
        u(&d["batch_size"]),
    );
    for c in d["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (r, g) = (vf(&c["reference"]), vf(&c["generated"]));
        let edges = quantile_edges(&r[..bs], nq).unwrap();
        assert_eq!(
            edges[1..nq].to_vec(),
            vf(&c["edges_first_batch"]),
            "{name}: edges"
        );
        for (b, want) in vf_opt(&c["per_batch"]).into_iter().enumerate() {
            let kl = quantile_kl(&r[b * bs..(b + 1) * bs], &g[b * bs..(b + 1) * bs], nq).unwrap();
            match want {
                Some(w) => close(&format!("{name}: batch {b}"), kl, w, 1e-12, 1e-15),
                None => assert!(kl.is_infinite(), "{name}: batch {b} should be infinite"),
            }
        }
        let ms = quantile_kl_batches(&r, &g, nq, nb, bs).unwrap();
        close(name, ms.mean, f(&c["mean"]), 1e-12, 1e-15);
        close(name, ms.std, f(&c["std"]), 1e-10, 1e-15);
    }
}

fn check_resolution(what: &str, r: &Resolution, want: &Value) {
    assert_eq!(r.n_core, u(&want["n_core"]), "{what}: core size");
    close(what, r.mu90, f(&want["mu90"]), 1e-13, 0.0);
    close(what, r.sigma90, f(&want["sigma90"]), 1e-11, 0.0);
    close(what, r.mu90_error, f(&want["mu90_error"]), 1e-11, 0.0);
    close(what, r.sigma90_error, f(&want["sigma90_error"]), 1e-9, 0.0);
    close(what, r.relative, f(&want["relative"]), 1e-11, 0.0);
    close(
        what,
        r.relative_error,
        f(&want["relative_error"]),
        1e-9,
        0.0,
    );
}

#[test]
fn resolution_matches_calohadronic() {
    let d = load("resolution");
    let x = vf(&d["x"]);
    check_resolution(
        "central",
        &resolution90(&x, Core::Central).unwrap(),
        &d["central"],
    );
    check_resolution(
        "smallest",
        &resolution90(&x, Core::Smallest).unwrap(),
        &d["smallest"],
    );
}

#[test]
fn auc_isotonic_and_jsd_match_sklearn_and_challenge() {
    let d = load("auc");
    let scores = vf(&d["scores"]);
    let labels: Vec<bool> = vu(&d["labels"]).iter().map(|&l| l == 1).collect();
    close(
        "auc",
        roc_auc(&scores, &labels).unwrap(),
        f(&d["auc"]),
        1e-13,
        0.0,
    );

    let y: Vec<f64> = labels.iter().map(|&l| l as u8 as f64).collect();
    let iso = IsotonicRegression::fit(&scores, &y, None, 1e-6, 1.0 - 1e-6).unwrap();
    let probe = vf(&d["probe"]);
    close_all(
        "isotonic",
        &iso.predict_all(&probe),
        &vf(&d["isotonic_probe"]),
        1e-12,
        1e-15,
    );
    let calibrated = iso.predict_all(&scores);
    close(
        "auc calibrated",
        roc_auc(&calibrated, &labels).unwrap(),
        f(&d["auc_calibrated"]),
        1e-12,
        0.0,
    );
    let w = vf(&d["weights"]);
    let iso_w =
        IsotonicRegression::fit(&scores, &y, Some(&w), f64::NEG_INFINITY, f64::INFINITY).unwrap();
    close_all(
        "isotonic weighted",
        &iso_w.predict_all(&probe),
        &vf(&d["isotonic_weighted_probe"]),
        1e-12,
        1e-15,
    );

    let bce = binary_cross_entropy(&scores, &labels).unwrap();
    close("bce", bce, f(&d["bce"]), 1e-13, 0.0);
    close("jsd", jsd_from_bce(bce), f(&d["jsd"]), 1e-12, 1e-15);
    let bce_c = binary_cross_entropy(&calibrated, &labels).unwrap();
    close("bce calibrated", bce_c, f(&d["bce_calibrated"]), 1e-12, 0.0);
    close(
        "jsd calibrated",
        jsd_from_bce(bce_c),
        f(&d["jsd_calibrated"]),
        1e-11,
        1e-15,
    );
}
