//! Cases whose answer is known in closed form, and a brute-force cross-check of PRDC.

use calogen_eval::linalg::trace_sqrt_product;
use calogen_eval::metrics::auc::{
    binary_cross_entropy, classifier_jsd, jsd_from_bce, roc_auc, IsotonicRegression,
};
use calogen_eval::metrics::correlation::{pearson, pearson_matrix};
use calogen_eval::metrics::frechet::{fpd, frechet_distance, FpdConfig};
use calogen_eval::metrics::histogram::{challenge, histogram, linspace_edges};
use calogen_eval::metrics::jsd::jensen_shannon_distance;
use calogen_eval::metrics::kernel::{kpd, mmd2_poly_unbiased, KpdConfig};
use calogen_eval::metrics::prdc::prdc;
use calogen_eval::metrics::quantile_kl::quantile_kl;
use calogen_eval::metrics::resolution::{core90, resolution90, Core};
use calogen_eval::metrics::separation_power::{separation_power, separation_power_samples};
use calogen_eval::metrics::wasserstein::wasserstein_1d;
use calogen_eval::{RowMatrix, SeededSampler};
use std::f64::consts::LN_2;

/// Standard normal deviates (Box–Muller) from the crate's generator, for synthetic samples.
fn normals(rng: &mut SeededSampler, n: usize) -> Vec<f64> {
    let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let (a, b) = (u().max(1e-300), u());
            (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
        })
        .collect()
}

#[test]
fn wasserstein_of_deltas_and_shifts() {
    assert_eq!(wasserstein_1d(&[1.0], &[4.5]).unwrap(), 3.5);
    assert_eq!(wasserstein_1d(&[2.0, 2.0, 2.0], &[-1.0]).unwrap(), 3.0);
    let x: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
    let y: Vec<f64> = x.iter().map(|v| v + 0.25).collect();
    assert!((wasserstein_1d(&x, &y).unwrap() - 0.25).abs() < 1e-14);
    assert_eq!(
        wasserstein_1d(&x, &y).unwrap(),
        wasserstein_1d(&y, &x).unwrap()
    );
    assert_eq!(wasserstein_1d(&x, &x).unwrap(), 0.0);
    assert!(wasserstein_1d(&[], &x).is_err());
    assert!(wasserstein_1d(&[f64::NAN], &x).is_err());
}

#[test]
fn separation_power_limits() {
    let h = [3.0, 1.0, 0.0, 6.0];
    assert_eq!(separation_power(&h, &h).unwrap(), 0.0);
    // Same shape, different normalisation: still identical.
    assert!(separation_power(&h, &[6.0, 2.0, 0.0, 12.0]).unwrap() < 1e-15);
    let sp = separation_power(&[1.0, 2.0, 0.0, 0.0], &[0.0, 0.0, 5.0, 1.0]).unwrap();
    assert!((sp - 1.0).abs() < 1e-14);
    let edges = linspace_edges(0.0, 1.0, 10);
    let sp = separation_power_samples(&[0.05, 0.15], &[0.85, 0.95], &edges).unwrap();
    assert!((sp - 1.0).abs() < 1e-14);
    assert!(separation_power(&[1.0], &[1.0, 2.0]).is_err());
    assert!(separation_power(&[0.0, 0.0], &[1.0, 2.0]).unwrap().is_nan());
}

#[test]
fn histogram_edges_semantics() {
    let e = [0.0, 1.0, 2.0];
    // 2.0 is in the closed last bin; -0.1, 2.1 and NaN are dropped.
    let c = histogram(&[0.0, 0.999, 1.0, 2.0, -0.1, 2.1, f64::NAN], &e).unwrap();
    assert_eq!(c, vec![2.0, 2.0]);
    assert!(histogram(&[1.0], &[1.0]).is_err());
    assert!(histogram(&[1.0], &[2.0, 1.0]).is_err());
    assert_eq!(challenge::etot_einc().len(), 101);
    assert_eq!(
        challenge::layer_energy(challenge::Dataset::Ds2, 1e4).len(),
        40
    );
    assert_eq!(
        challenge::centre_eta_phi(challenge::Dataset::Ds1Photons, 12)[0],
        -500.0
    );
}

#[test]
fn auc_limits_and_ties() {
    let labels = [false, false, true, true];
    assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels).unwrap(), 1.0);
    assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels).unwrap(), 0.0);
    assert_eq!(roc_auc(&[0.5; 4], &labels).unwrap(), 0.5);
    // One tie between classes counts one half: 3.5 of 4 pairs.
    assert_eq!(roc_auc(&[0.1, 0.5, 0.5, 0.9], &labels).unwrap(), 0.875);
    assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_err());
}

#[test]
fn classifier_jsd_limits() {
    assert!(jsd_from_bce(LN_2).abs() < 1e-16);
    let labels = [true, false, true, false];
    assert_eq!(classifier_jsd(&[1.0, 0.0, 1.0, 0.0], &labels).unwrap(), 1.0);
    assert!(classifier_jsd(&[0.5; 4], &labels).unwrap().abs() < 1e-15);
    // A confidently wrong prediction costs 100 nats, as torch's BCELoss clamps.
    assert_eq!(binary_cross_entropy(&[0.0], &[true]).unwrap(), 100.0);
    assert!(binary_cross_entropy(&[1.5], &[true]).is_err());
}

#[test]
fn isotonic_regression_pools_violators() {
    let x = [1.0, 2.0, 3.0, 4.0];
    let inc = IsotonicRegression::fit(&x, &[0.1, 0.2, 0.3, 0.4], None, 0.0, 1.0).unwrap();
    assert!((inc.predict(2.5) - 0.25).abs() < 1e-15);
    let dec = IsotonicRegression::fit(&x, &[0.4, 0.3, 0.2, 0.1], None, 0.0, 1.0).unwrap();
    for t in [0.0, 1.0, 2.2, 4.0, 9.0] {
        assert!((dec.predict(t) - 0.25).abs() < 1e-15);
    }
    let clip = IsotonicRegression::fit(&x, &[0.0, 0.0, 1.0, 1.0], None, 0.1, 0.9).unwrap();
    assert_eq!(clip.predict(-5.0), 0.1);
    assert_eq!(clip.predict(5.0), 0.9);
    assert!((clip.predict(2.5) - 0.5).abs() < 1e-15);
}

#[test]
fn jensen_shannon_limits() {
    let p = [1.0, 2.0, 3.0];
    assert_eq!(jensen_shannon_distance(&p, &p, None).unwrap(), 0.0);
    let d = jensen_shannon_distance(&[1.0, 0.0], &[0.0, 1.0], Some(2.0)).unwrap();
    assert!((d - 1.0).abs() < 1e-15);
    let d = jensen_shannon_distance(&[1.0, 0.0], &[0.0, 1.0], None).unwrap();
    assert!((d - LN_2.sqrt()).abs() < 1e-15);
    assert!(jensen_shannon_distance(&[-1.0, 1.0], &[1.0, 1.0], None).is_err());
}

#[test]
fn pearson_of_lines_and_constants() {
    let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
    let y: Vec<f64> = x.iter().map(|v| -3.0 * v + 7.0).collect();
    assert!((pearson(&x, &y).unwrap() + 1.0).abs() < 1e-15);
    let data: Vec<f64> = x.iter().flat_map(|&v| [v, 2.0]).collect();
    let r = pearson_matrix(RowMatrix::new(&data, 2).unwrap()).unwrap();
    assert!((r[0] - 1.0).abs() < 1e-15);
    assert!(r[1].is_nan() && r[3].is_nan());
}

#[test]
fn frechet_closed_forms() {
    // 1D: (µ1 − µ2)² + (σ1 − σ2)².
    let fd = frechet_distance(&[1.0], &[4.0], &[3.0], &[9.0]).unwrap();
    assert!((fd - (4.0 + 1.0)).abs() < 1e-12);
    // Singular covariances are fine: the zero direction contributes nothing.
    let fd = frechet_distance(
        &[0.0, 0.0],
        &[1.0, 0.0, 0.0, 0.0],
        &[0.0, 0.0],
        &[4.0, 0.0, 0.0, 0.0],
    )
    .unwrap();
    assert!((fd - 1.0).abs() < 1e-12);
    // Commuting matrices: tr √(AB) = Σ √(a_i b_i), also for a rotated common eigenbasis.
    let (c, s) = (0.6f64, 0.8f64);
    let rot = |a: f64, b: f64| {
        [
            c * c * a + s * s * b,
            c * s * (a - b),
            c * s * (a - b),
            s * s * a + c * c * b,
        ]
    };
    let t = trace_sqrt_product(&rot(2.0, 3.0), &rot(8.0, 12.0), 2);
    assert!((t - (4.0 + 6.0)).abs() < 1e-12);
}

#[test]
fn fpd_and_kpd_with_own_sampler() {
    let mut rng = SeededSampler::new(7);
    let d = 3;
    let n = 4000;
    let real = normals(&mut rng, n * d);
    let shift = [0.5, 0.0, -0.3];
    let gen: Vec<f64> = normals(&mut rng, n * d)
        .chunks(d)
        .flat_map(|r| r.iter().zip(&shift).map(|(v, s)| v + s).collect::<Vec<_>>())
        .collect();
    let (x, y) = (
        RowMatrix::new(&real, d).unwrap(),
        RowMatrix::new(&gen, d).unwrap(),
    );
    let cfg = FpdConfig {
        min_samples: 500,
        max_samples: 2000,
        num_batches: 10,
        num_points: 5,
        normalise: false,
        seed: 1,
    };
    let r = fpd(x, y, &cfg).unwrap();
    // Exact value |µ1 − µ2|² = 0.34 for unit covariances.
    assert!((r.value - 0.34).abs() < 0.05, "fpd {r:?}");
    let same = fpd(x, RowMatrix::new(&real[..2000 * d], d).unwrap(), &cfg).unwrap();
    assert!(same.value < 0.01, "fpd of identical distributions {same:?}");
    assert_eq!(fpd(x, y, &cfg).unwrap(), r, "seeded: reproducible");

    let kcfg = KpdConfig {
        num_batches: 5,
        batch_size: 500,
        ..KpdConfig::default()
    };
    let k = kpd(x, y, &kcfg).unwrap();
    let k0 = kpd(x, RowMatrix::new(&real[..2000 * d], d).unwrap(), &kcfg).unwrap();
    assert!(k.value > 10.0 * k0.value.abs(), "kpd {k:?} vs {k0:?}");
    let m1 = mmd2_poly_unbiased(x, y, 3).unwrap();
    let m2 = mmd2_poly_unbiased(y, x, 3).unwrap();
    assert!((m1 - m2).abs() < 1e-12 * m1.abs());
}

/// Direct O(n·m·d) PRDC with explicit sorting, to check the blocked, squared-distance version.
fn naive_prdc(real: &[Vec<f64>], fake: &[Vec<f64>], k: usize) -> [f64; 4] {
    let dist = |a: &[f64], b: &[f64]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    let radii = |s: &[Vec<f64>]| -> Vec<f64> {
        s.iter()
            .map(|a| {
                let mut d: Vec<f64> = s.iter().map(|b| dist(a, b)).collect();
                d.sort_by(f64::total_cmp);
                d[k]
            })
            .collect()
    };
    let (rr, rf) = (radii(real), radii(fake));
    let inside = |y: &Vec<f64>| {
        real.iter()
            .zip(&rr)
            .filter(|(x, r)| dist(x, y) < **r)
            .count()
    };
    let precision = fake.iter().filter(|y| inside(y) > 0).count() as f64 / fake.len() as f64;
    let density =
        fake.iter().map(|y| inside(y) as f64).sum::<f64>() / (k as f64 * fake.len() as f64);
    let recall = real
        .iter()
        .filter(|x| fake.iter().zip(&rf).any(|(y, r)| dist(x, y) < *r))
        .count() as f64
        / real.len() as f64;
    let coverage = real
        .iter()
        .zip(&rr)
        .filter(|(x, r)| fake.iter().any(|y| dist(x, y) < **r))
        .count() as f64
        / real.len() as f64;
    [precision, recall, density, coverage]
}

#[test]
fn prdc_against_brute_force_and_limits() {
    let mut rng = SeededSampler::new(3);
    let d = 7;
    // More rows than one block, so the blocking is exercised.
    let real = normals(&mut rng, 300 * d);
    let fake: Vec<f64> = normals(&mut rng, 250 * d)
        .iter()
        .map(|v| 1.2 * v + 0.3)
        .collect();
    let rows = |v: &[f64]| v.chunks(d).map(|c| c.to_vec()).collect::<Vec<_>>();
    let want = naive_prdc(&rows(&real), &rows(&fake), 5);
    let got = prdc(
        RowMatrix::new(&real, d).unwrap(),
        RowMatrix::new(&fake, d).unwrap(),
        5,
    )
    .unwrap();
    assert_eq!([got.precision, got.recall, got.density, got.coverage], want);

    let x = RowMatrix::new(&real, d).unwrap();
    let same = prdc(x, x, 5).unwrap();
    assert_eq!(
        (same.precision, same.recall, same.coverage),
        (1.0, 1.0, 1.0)
    );
    let far: Vec<f64> = real.iter().map(|v| v + 1e3).collect();
    let apart = prdc(x, RowMatrix::new(&far, d).unwrap(), 5).unwrap();
    assert_eq!(
        [apart.precision, apart.recall, apart.density, apart.coverage],
        [0.0; 4]
    );
    assert!(prdc(RowMatrix::new(&real[..5 * d], d).unwrap(), x, 5).is_err());
}

#[test]
fn quantile_kl_and_resolution_closed_forms() {
    let x: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64 * 0.5).collect();
    assert_eq!(quantile_kl(&x, &x, 25).unwrap(), 0.0);
    // Generated entirely above the reference: bins holding reference entries get none.
    let above: Vec<f64> = x.iter().map(|v| v + 1e3).collect();
    assert!(quantile_kl(&x, &above, 25).unwrap().is_infinite());

    // 0..=100: every window of 91 consecutive integers spans 90; the first one is taken.
    let v: Vec<f64> = (0..=100).rev().map(|i| i as f64).collect();
    let core = core90(&v, Core::Smallest).unwrap();
    assert_eq!((core.len(), core[0], core[90]), (91, 0.0, 90.0));
    let r = resolution90(&v, Core::Central).unwrap();
    // Central: sorted[5..95] = 5..=94.
    assert_eq!(r.n_core, 90);
    assert!((r.mu90 - 49.5).abs() < 1e-12);
    // A narrow peak with far outliers: the smallest window drops the outliers.
    let mut peak: Vec<f64> = (0..95).map(|i| 100.0 + (i as f64 - 47.0) * 0.01).collect();
    peak.extend([0.0, 1.0, 2.0, 500.0, 900.0]);
    let r = resolution90(&peak, Core::Smallest).unwrap();
    assert!(r.sigma90 < 0.3 && (r.mu90 - 100.0).abs() < 0.1, "{r:?}");
}
