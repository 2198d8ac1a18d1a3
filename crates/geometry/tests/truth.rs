//! Acceptance: projecting the Geant4 points of the ILD photon file onto the 5.0883 mm cells reproduces
//! the exact cell-level truth stored in the same file (computed from the individual Geant4 steps).
//!
//! Points are energy-weighted centroids of steps clustered on a cell/3 grid, so a point near a cell
//! border carries energy of steps on both sides into one cell: the residual below is that effect.

use std::path::{Path, PathBuf};

use calogen_data::{open, CellShowers, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{project_points_to_cells, Geometry, PlanarGeometry};

struct Residuals {
    showers: usize,
    /// Mean over showers and layers (with truth energy) of |E_proj − E_true| / E_true.
    layer_energy: f64,
    /// Mean over layers of |Σ E_proj − Σ E_true| / Σ E_true (summed over showers).
    layer_energy_summed: f64,
    /// Mean over showers of |N_proj − N_true| / N_true, cells above 0.07 MeV.
    n_cells: f64,
    /// Mean over showers of (N_proj − N_true) / N_true: the sign of the bias.
    n_cells_bias: f64,
    outside_fraction: f64,
}

fn residuals(path: &Path, geometry: &PlanarGeometry, max_showers: usize) -> Residuals {
    let f = open(path, &ShowerFileOptions::default()).unwrap();
    let n = f.len().min(max_showers);
    let ShowerBatch::Points(points) = f.read(0..n).unwrap() else {
        panic!("{}: not a point file", path.display())
    };
    let truth: CellShowers = f
        .cells()
        .unwrap()
        .expect("file has cells/")
        .read(0..n)
        .unwrap();
    let (proj, report) = project_points_to_cells(geometry, &points);
    assert_eq!(proj.len(), n);
    let n_layers = geometry.n_layers();
    let (mut rel_sum, mut rel_n) = (0.0, 0usize);
    let mut sum_proj = vec![0.0; n_layers];
    let mut sum_true = vec![0.0; n_layers];
    let (mut cells_rel, mut cells_bias) = (0.0, 0.0);
    let thr = geometry.threshold_mev as f32;
    for i in 0..n {
        let lp = proj.layer_energy(i, n_layers);
        let lt = truth.layer_energy(i, n_layers);
        for l in 0..n_layers {
            sum_proj[l] += lp[l];
            sum_true[l] += lt[l];
            if lt[l] > 0.0 {
                rel_sum += (lp[l] - lt[l]).abs() / lt[l];
                rel_n += 1;
            }
        }
        let np = proj.shower(i).energy.iter().filter(|&&e| e > thr).count() as f64;
        let nt = truth.shower(i).energy.iter().filter(|&&e| e > thr).count() as f64;
        cells_rel += (np - nt).abs() / nt;
        cells_bias += (np - nt) / nt;
    }
    let summed = (0..n_layers)
        .filter(|&l| sum_true[l] > 0.0)
        .map(|l| (sum_proj[l] - sum_true[l]).abs() / sum_true[l])
        .sum::<f64>()
        / n_layers as f64;
    Residuals {
        showers: n,
        layer_energy: rel_sum / rel_n as f64,
        layer_energy_summed: summed,
        n_cells: cells_rel / n as f64,
        n_cells_bias: cells_bias / n as f64,
        outside_fraction: report.outside_fraction(),
    }
}

fn check(path: &Path, max_showers: usize) {
    let Geometry::Planar(g) = Geometry::load("ild-ecal").unwrap() else {
        panic!()
    };
    let r = residuals(path, &g, max_showers);
    eprintln!(
        "{}: {} showers: per-layer energy |Δ|/E {:.3} % (layer sums {:.4} %), cells > 0.07 MeV |Δ|/N {:.2} % (bias {:+.2} %), outside {:.2e}",
        path.file_name().unwrap().to_string_lossy(),
        r.showers,
        100.0 * r.layer_energy,
        100.0 * r.layer_energy_summed,
        100.0 * r.n_cells,
        100.0 * r.n_cells_bias,
        r.outside_fraction
    );
    assert!(
        r.layer_energy < 0.005,
        "per-layer energy residual {}",
        r.layer_energy
    );
    assert!(r.n_cells < 0.05, "cell-count residual {}", r.n_cells);
    assert!(r.outside_fraction < 1e-3);
}

#[test]
fn fixture_reproduces_cell_truth() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    check(&p, usize::MAX);
}

#[test]
fn geant4_file_reproduces_cell_truth() {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ild_photons_train.h5");
    if !p.exists() {
        eprintln!("skipped: {} not present", p.display());
        return;
    }
    check(&p, usize::MAX);
}
