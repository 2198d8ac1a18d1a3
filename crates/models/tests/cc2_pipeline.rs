//! The CaloClouds II pipeline (`calogen_models::caloclouds2`) on its embedded model: every step
//! after the network does exactly what the flow asked for, the same seed gives the same bytes on
//! any thread count, model folders load like the embedded model, and the showers it makes match
//! the Geant4 fixture (fixtures/ild_photons_small.h5) in cell count and visible energy.

// Parallel per-point and per-layer arrays are indexed together.
#![allow(clippy::needless_range_loop)]

use std::path::{Path, PathBuf};

use calogen_data::{open, CellShowers, PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};
use calogen_models::caloclouds2::{shower_rng, Cc2Model, NetKind, RawPoints};
use calogen_models::postprocess::{centre_of_gravity, fit_counts_to_total, layer_energies};

fn fixture() -> PointClouds {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(p) => p,
        _ => panic!("{}: expected points", path.display()),
    }
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/caloclouds2")
}

fn ild_ecal() -> PlanarGeometry {
    match Geometry::load("ild-ecal").unwrap() {
        Geometry::Planar(g) => g,
        _ => unreachable!(),
    }
}

/// Cells above their layer's threshold, per shower.
fn cells_above(g: &PlanarGeometry, pc: &PointClouds) -> Vec<f64> {
    let mut cells = CellShowers::new();
    CellProjector::new(g).project(pc, &mut cells, &mut OutsideReport::default());
    (0..cells.len())
        .map(|i| {
            (cells.offsets[i]..cells.offsets[i + 1])
                .filter(|&k| {
                    cells.energy[k] as f64 >= g.layers[cells.layer[k] as usize].threshold_mev
                })
                .count() as f64
        })
        .collect()
}

/// Per shower: visible energy over incident energy.
fn sampling_fraction(pc: &PointClouds) -> Vec<f64> {
    pc.iter()
        .map(|s| s.energy.iter().map(|&e| e as f64).sum::<f64>() / s.incident_energy as f64)
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Standard error of the mean.
fn sem(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64 / v.len() as f64).sqrt()
}

/// Every step after the network, checked against an independent replay of the same random
/// stream: the flow's features come first, then the network's noise. The shower must have the
/// (calibrated) number of points, the flow's per-layer point counts, the flow's per-layer
/// energies, the flow's centre of gravity, and layers that follow the generated depth (every
/// point of layer l no deeper than any point of layer l + 1); positions move rigidly and energies
/// scale by one factor per layer.
#[test]
fn generate_one_does_what_the_flow_asks() {
    let model = Cc2Model::embedded().unwrap();
    assert_eq!(model.net.kind, NetKind::Consistency);
    let cal = model.calibration.as_ref().expect("embedded calibration");
    let mut buf = model.buffers();
    let mut ws = model.net.workspace();
    for (i, e_gev) in [12.0f32, 35.0, 61.0, 88.0].into_iter().enumerate() {
        let e = e_gev * 1000.0;
        let mut out = PointClouds::new();
        model
            .generate_one(&mut buf, e, &mut shower_rng(7, i as u64), &mut out)
            .unwrap();
        let s = out.shower(0);

        let mut rng = shower_rng(7, i as u64);
        let f = model.flow.sample(e, &mut rng);
        let n = cal.calibrated_points(f.n_points as f64) as usize;
        assert_eq!(n, model.points_for(&f));
        assert_eq!(s.len(), n, "{e_gev} GeV: points");
        let mut raw = RawPoints::default();
        model.net.sample(&mut ws, e, n, &mut rng, &mut raw).unwrap();

        // Per-layer counts: the flow's fractions of n, fitted to n.
        let mut want: Vec<u32> = f
            .point_fraction
            .iter()
            .map(|p| (p * n as f64).round() as u32)
            .collect();
        fit_counts_to_total(&mut want, n as u32).unwrap();
        let mut got = vec![0u32; 30];
        for &l in s.layer {
            got[l as usize] += 1;
        }
        assert_eq!(got, want, "{e_gev} GeV: points per layer");

        // Per-layer energies: the flow's fractions of its E_vis (f32 sums: 1e-5 relative).
        let mut sums = Vec::new();
        layer_energies(s.layer, s.energy, 30, &mut sums).unwrap();
        for (l, (&g, &fr)) in sums.iter().zip(&f.energy_fraction).enumerate() {
            let t = fr * f.e_vis_mev;
            if got[l] > 0 {
                assert!(
                    (g - t).abs() <= 1e-5 * f.e_vis_mev,
                    "{e_gev} GeV layer {l}: {g} vs {t} MeV"
                );
            }
        }
        let e_vis: f64 = sums.iter().sum();
        assert!(
            (e_vis / f.e_vis_mev - 1.0).abs() < 1e-3,
            "{e_gev} GeV: E_vis {e_vis} vs {}",
            f.e_vis_mev
        );

        // Centre of gravity: the flow's (positions are f32 around ±100 mm: 1e-3 mm).
        let cog = centre_of_gravity(s.x, s.y, s.energy).unwrap();
        for k in 0..2 {
            assert!(
                (cog[k] - f.cog[k]).abs() < 1e-3,
                "{e_gev} GeV: CoG {cog:?} vs {:?}",
                f.cog
            );
        }

        // Rigid shift of the network's positions; one energy factor per layer.
        let (dx, dy) = (s.x[0] - raw.x[0], s.y[0] - raw.y[0]);
        for j in 0..n {
            assert!((s.x[j] - raw.x[j] - dx).abs() < 1e-3 && (s.y[j] - raw.y[j] - dy).abs() < 1e-3);
        }
        let mut factor = vec![f64::NAN; 30];
        for j in 0..n {
            let r = s.energy[j] as f64 / raw.energy_mev[j] as f64;
            let l = s.layer[j] as usize;
            if factor[l].is_nan() {
                factor[l] = r;
            }
            assert!(
                (r / factor[l] - 1.0).abs() < 1e-5,
                "layer {l}: factors {r} and {}",
                factor[l]
            );
        }

        // Layers follow the generated depth.
        let mut lo = [f32::INFINITY; 30];
        let mut hi = [f32::NEG_INFINITY; 30];
        for j in 0..n {
            let l = s.layer[j] as usize;
            lo[l] = lo[l].min(raw.z[j]);
            hi[l] = hi[l].max(raw.z[j]);
        }
        let mut deepest = f32::NEG_INFINITY;
        for l in 0..30 {
            if got[l] > 0 {
                assert!(
                    lo[l] >= deepest,
                    "{e_gev} GeV: layer {l} starts at depth {} above layer {}'s end {deepest}",
                    lo[l],
                    l.saturating_sub(1)
                );
                deepest = hi[l];
            }
        }
    }
}

fn same_bytes(a: &PointClouds, b: &PointClouds) -> bool {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    a.offsets == b.offsets
        && a.layer == b.layer
        && bits(&a.x) == bits(&b.x)
        && bits(&a.y) == bits(&b.y)
        && bits(&a.energy) == bits(&b.energy)
        && bits(&a.incident_energy) == bits(&b.incident_energy)
}

/// Shower i depends on the seed and i only: sequential, one thread and two threads in chunks of
/// 3, and a slice started at shower 5 give identical bytes; another seed gives other showers.
#[test]
fn same_seed_same_bytes_on_one_and_two_threads() {
    let model = Cc2Model::embedded().unwrap();
    let energies: Vec<f32> = (0..9).map(|i| 10_000.0 + 10_000.0 * i as f32).collect();
    let seq = model.generate(&energies, 11).unwrap();
    assert_eq!(seq.len(), 9);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let par = pool
            .install(|| model.generate_parallel(&energies, 11, 0, 3))
            .unwrap();
        assert!(same_bytes(&seq, &par), "{threads} thread(s)");
        let tail = pool
            .install(|| model.generate_parallel(&energies[5..], 11, 5, 2))
            .unwrap();
        let mut want = PointClouds::new();
        for s in seq.iter().skip(5) {
            want.push(
                s.x,
                s.y,
                s.z,
                s.layer,
                s.energy,
                s.incident_energy,
                s.direction,
            );
        }
        assert!(
            same_bytes(&want, &tail),
            "{threads} thread(s), from shower 5"
        );
    }
    let other = model.generate(&energies, 12).unwrap();
    assert!(!same_bytes(&seq, &other));
}

/// A model folder with the embedded files is the embedded model (same bytes out); without
/// `calibration.json` the flow's N is used as is; the EDM teacher as `pointwise.safetensors` is
/// sampled with Heun and, at the same seed, keeps the flow's per-layer counts and energies but
/// moves the points; a missing file is an error naming it.
#[test]
fn from_dir_loads_a_model_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in [
        "showerflow.safetensors",
        "pointwise.safetensors",
        "calibration.json",
    ] {
        std::fs::copy(assets().join(f), d.join(f)).unwrap();
    }
    let embedded = Cc2Model::embedded().unwrap();
    let loaded = Cc2Model::from_dir(d).unwrap();
    assert_eq!(loaded.calibration, embedded.calibration);
    let es = [20_000.0f32, 70_000.0];
    let want = embedded.generate(&es, 3).unwrap();
    assert!(same_bytes(&want, &loaded.generate(&es, 3).unwrap()));

    std::fs::remove_file(d.join("calibration.json")).unwrap();
    let uncal = Cc2Model::from_dir(d).unwrap();
    assert!(uncal.calibration.is_none());
    let f = uncal.flow.sample(50_000.0, &mut shower_rng(1, 0));
    assert_eq!(uncal.points_for(&f), f.n_points);
    let g = uncal.generate(&[50_000.0], 1).unwrap();
    assert_eq!(g.n_points(), f.n_points);

    std::fs::copy(
        assets().join("teacher_edm.safetensors"),
        d.join("pointwise.safetensors"),
    )
    .unwrap();
    std::fs::copy(
        assets().join("calibration.json"),
        d.join("calibration.json"),
    )
    .unwrap();
    let teacher = Cc2Model::from_dir(d).unwrap();
    assert_eq!(teacher.net.kind, NetKind::Edm);
    let h = teacher.generate(&es[..1], 3).unwrap();
    let c = want.shower(0);
    let t = h.shower(0);
    let counts = |l: &[u16]| {
        let mut n = [0u32; 30];
        l.iter().for_each(|&v| n[v as usize] += 1);
        n
    };
    assert_eq!(
        counts(t.layer),
        counts(c.layer),
        "same flow draw: same points per layer"
    );
    let (mut ec, mut et) = (Vec::new(), Vec::new());
    layer_energies(c.layer, c.energy, 30, &mut ec).unwrap();
    layer_energies(t.layer, t.energy, 30, &mut et).unwrap();
    for (a, b) in ec.iter().zip(&et) {
        assert!((a - b).abs() <= 1e-5 * a.max(1.0), "{a} vs {b}");
    }
    assert_ne!(t.x, c.x, "Heun and one step give other points");

    std::fs::remove_file(d.join("showerflow.safetensors")).unwrap();
    let e = Cc2Model::from_dir(d).unwrap_err().to_string();
    assert!(e.contains("showerflow.safetensors"), "{e}");
}

/// The embedded (calibrated) model against the 40 Geant4 showers of the fixture, two generated
/// showers at each Geant4 energy: mean cells above threshold in `ild-ecal` and mean E_vis/E_inc.
///
/// Measured (seed 2026, five showers per energy, 2026-11-29): cells 531.0 generated vs 495.8
/// Geant4 (ratio 1.071; without the occupancy calibration 589.6, ratio 1.189); E_vis/E_inc
/// 0.02884 vs 0.02772 (ratio 1.040). The Geant4 side is fixed (the fixture), so the only
/// statistical freedom is the generated sample: relative spread per shower at fixed energy 9.9 %
/// (cells) and 12.9 % (E_vis/E_inc), i.e. 1.1 % and 1.4 % on a mean of 80 showers. Tolerance =
/// the model's measured bias + 3 of those errors: |ratio − 1| < 0.071 + 0.033 ≈ 0.11 for cells
/// and < 0.040 + 0.043 ≈ 0.085 for E_vis/E_inc. (The model is 7 % high in cells and 4 % high in
/// E_vis on these showers: it is trained 93 CPU minutes, far from converged; a tighter window
/// would fail on today's model, a wider one would miss a lost calibration, 1.19.)
#[test]
fn showers_match_geant4_cells_and_visible_energy() {
    let g4 = fixture();
    let g = ild_ecal();
    let k = 2;
    let energies: Vec<f32> = g4
        .incident_energy
        .iter()
        .flat_map(|&e| std::iter::repeat_n(e, k))
        .collect();
    let model = Cc2Model::embedded().unwrap();
    let gen = model.generate_parallel(&energies, 2026, 0, 8).unwrap();
    let (c_g4, c_gen) = (mean(&cells_above(&g, &g4)), mean(&cells_above(&g, &gen)));
    let sf = sampling_fraction(&gen);
    let (s_g4, s_gen) = (mean(&sampling_fraction(&g4)), mean(&sf));
    eprintln!(
        "cells above threshold: Geant4 {c_g4:.1}, generated {c_gen:.1} (ratio {:.3}); \
         E_vis/E_inc: Geant4 {s_g4:.5}, generated {s_gen:.5} ± {:.5} (ratio {:.3})",
        c_gen / c_g4,
        sem(&sf),
        s_gen / s_g4
    );
    assert!(
        (c_gen / c_g4 - 1.0).abs() < 0.11,
        "cells {c_gen:.1} vs Geant4 {c_g4:.1}"
    );
    assert!(
        (s_gen / s_g4 - 1.0).abs() < 0.085,
        "E_vis/E_inc {s_gen:.5} vs Geant4 {s_g4:.5}"
    );
}
