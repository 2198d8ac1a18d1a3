//! Acceptance: projecting the Geant4 points of the ILD photon file onto the 5.0883 mm cells reproduces
//! the exact cell-level truth stored in the same file (computed from the individual Geant4 steps).
//!
//! Points are energy-weighted centroids of steps clustered on a cell/3 grid, so a point near a cell
//! border carries energy of steps on both sides into one cell: the residual below is that effect.

use std::collections::HashMap;
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
    /// Σ over cells |E_proj − E_true| / (2 Σ E_true): the energy put into a wrong cell. Per-layer sums
    /// cannot see a wrong grid origin (every point stays in its layer); this can.
    misplaced: f64,
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
    let (mut diff, mut e_true) = (0.0f64, 0.0f64);
    let mut by_cell: HashMap<(u16, i32, i32), f64> = HashMap::new();
    let thr = geometry.threshold_mev as f32;
    for i in 0..n {
        by_cell.clear();
        let (p, t) = (proj.shower(i), truth.shower(i));
        for k in 0..t.len() {
            *by_cell.entry((t.layer[k], t.ix[k], t.iy[k])).or_default() += t.energy[k] as f64;
            e_true += t.energy[k] as f64;
        }
        for k in 0..p.len() {
            *by_cell.entry((p.layer[k], p.ix[k], p.iy[k])).or_default() -= p.energy[k] as f64;
        }
        diff += by_cell.values().map(|d| d.abs()).sum::<f64>();
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
        misplaced: 0.5 * diff / e_true,
        outside_fraction: report.outside_fraction(),
    }
}

fn ild_ecal() -> PlanarGeometry {
    let Geometry::Planar(g) = Geometry::load("ild-ecal").unwrap() else {
        panic!()
    };
    g
}

fn check(path: &Path, max_showers: usize) {
    let g = ild_ecal();
    let r = residuals(path, &g, max_showers);
    eprintln!(
        "{}: {} showers: per-layer energy |Δ|/E {:.3} % (layer sums {:.4} %), cells > 0.07 MeV |Δ|/N {:.2} % (bias {:+.2} %), energy in a wrong cell {:.2} %, outside {:.2e}",
        path.file_name().unwrap().to_string_lossy(),
        r.showers,
        100.0 * r.layer_energy,
        100.0 * r.layer_energy_summed,
        100.0 * r.n_cells,
        100.0 * r.n_cells_bias,
        100.0 * r.misplaced,
        r.outside_fraction
    );
    // Steps of one cell/3 cluster straddling a cell border all land in the centroid's cell: a few
    // percent of the energy; a grid off by half a cell would misplace tens of percent.
    assert!(r.misplaced < 0.05, "misplaced energy {}", r.misplaced);
    assert!(
        r.layer_energy < 0.005,
        "per-layer energy residual {}",
        r.layer_energy
    );
    assert!(r.n_cells < 0.05, "cell-count residual {}", r.n_cells);
    assert!(r.outside_fraction < 1e-3);
}

/// The grid origin is not a free choice: shifting it by half a cell must make the agreement much worse.
#[test]
fn shifted_grid_disagrees_with_truth() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    let good = residuals(&p, &ild_ecal(), usize::MAX).misplaced;
    let mut shifted = ild_ecal();
    for l in &mut shifted.layers {
        l.origin_mm = [0.5 * l.cell_mm, 0.5 * l.cell_mm];
    }
    let bad = residuals(&p, &shifted, usize::MAX).misplaced;
    eprintln!(
        "energy in a wrong cell: {:.2} % (cell centred at ix·size), {:.2} % (shifted by half a cell)",
        100.0 * good,
        100.0 * bad
    );
    assert!(bad > 5.0 * good, "{good} vs {bad}");
}

#[test]
fn fixture_reproduces_cell_truth() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    check(&p, usize::MAX);
}

#[test]
fn geant4_file_reproduces_cell_truth() {
    let Some(p) = calogen_data::shared_data::shared_data("ild_photons_train.h5") else {
        return;
    };
    check(&p, usize::MAX);
}
