//! Value tests of the observables and of the batched W1 / KL on hand-made showers: a few cells or
//! voxels whose centres, widths, profiles, sparsity, E_vis and hit counts are written down by hand
//! in the comments, so a swapped column, a wrong formula or a wrong threshold shows up as a number.

use calogen_data::{CellShowers, VoxelShowers};
use calogen_eval::metrics::quantile_kl::kl_divergence;
use calogen_eval::metrics::wasserstein::{
    combine_scores, standardized_wasserstein, wasserstein_batches,
};
use calogen_eval::observables::shape::shower_shapes;
use calogen_eval::observables::{
    cell_observables, high_level_features, CellObservables, ProfileEdges,
};
use calogen_eval::stats::MeanStd;
use calogen_eval::RowMatrix;
use calogen_geometry::{PlanarGeometry, PlanarSpec, Section, VoxelLayer, Voxelisation};
use std::f64::consts::SQRT_2;

/// Sums of a handful of exact f32 energies times cell centres that are multiples of 10 mm: only
/// the last bits of the f64 divisions can differ from the hand computation.
const EXACT: f64 = 1e-12;

#[track_caller]
fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol})"
    );
}

#[track_caller]
fn close_all(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        close(&format!("{what}[{k}]"), *g, *w, tol);
    }
}

fn section(layers: usize, absorber_mm: f64, cell_mm: f64, threshold: Option<f64>) -> Section {
    Section {
        layers,
        absorber_mm,
        sensitive_mm: 1.0,
        cell_mm,
        ix: [-10, 10],
        iy: [-10, 10],
        origin_mm: [0.0, 0.0],
        threshold_mev: threshold,
    }
}

/// `n` layers of 10 mm cells, 9 mm absorber + 1 mm sensitive: depths 9.5, 19.5, 29.5, … mm.
fn layers(n: usize) -> PlanarGeometry {
    PlanarGeometry::from_spec(
        PlanarSpec {
            name: "stack".into(),
            description: String::new(),
            front_mm: 0.0,
            threshold_mev: 0.25,
            sections: vec![section(n, 9.0, 10.0, None)],
        },
        "test",
    )
    .unwrap()
}

/// Ten equal bins: longitudinal edges every half layer (layer l falls in bin 2l, an edge value
/// goes to the upper bin), radial edges every 5 mm with the last bin open to 10 m.
fn half_edges() -> ProfileEdges {
    let mut radial: Vec<f64> = (0..10).map(|k| 5.0 * k as f64).collect();
    radial.push(1.0e4);
    ProfileEdges {
        longitudinal: (0..=10).map(|k| 0.5 * k as f64).collect(),
        radial,
    }
}

/// Shower 0 (E_inc 100 MeV, no direction):
/// - layer 0, cell (0, 0), 4 MeV: x 0, y 0, depth 9.5, r 0
/// - layer 1, cell (3, 4), 2 MeV: x 30, y 40, depth 19.5, r 50
/// - layer 2, cell (0, −2), 2 MeV: x 0, y −20, depth 29.5, r 20
/// - layer 1, cell (5, 5), 0.0625 MeV (below the 0.25 MeV threshold) and layer 0, cell (0, 1),
///   0.25 MeV (at the threshold: dropped, the cut is `> threshold`; both exact in f32).
///
/// Shower 1 (E_inc 50 MeV, direction ∝ (1, 0, 2): the axis drifts 0.5 mm in x per mm of depth
/// from the first layer): layer 0, cell (0, 1), 1 MeV (r 10 from the axis at x 0); layer 2,
/// cell (1, 0), 3 MeV (the axis is at x 10 there: r 0).
///
/// Shower 2 (E_inc 20 MeV): one cell below threshold only.
fn cell_showers(with_direction: bool) -> CellShowers {
    let d = |v: [f32; 3]| with_direction.then_some(v);
    let mut c = CellShowers::new();
    c.push_cell(0, 0, 0, 4.0);
    c.push_cell(1, 5, 5, 0.0625);
    c.push_cell(1, 3, 4, 2.0);
    c.push_cell(0, 0, 1, 0.25);
    c.push_cell(2, 0, -2, 2.0);
    c.end_shower(100.0, d([0.0, 0.0, 1.0]));
    c.push_cell(0, 0, 1, 1.0);
    c.push_cell(2, 1, 0, 3.0);
    let n = 5f32.sqrt();
    c.end_shower(50.0, d([1.0 / n, 0.0, 2.0 / n]));
    c.push_cell(1, 0, 0, 0.0625);
    c.end_shower(20.0, d([0.0, 0.0, 1.0]));
    c
}

#[test]
fn cell_observables_of_three_hand_made_showers() {
    let g = layers(3);
    let o = cell_observables(&cell_showers(true), &g, 0.25, &half_edges());
    assert_eq!(o.len(), 3);
    assert_eq!(o.n_layers, 3);
    // Counts and sums of exact f32 energies: exact.
    assert_eq!(o.n_hits, vec![3.0, 2.0, 0.0]);
    assert_eq!(o.e_vis, vec![8.0, 4.0, 0.0]);
    assert_eq!(o.e_inc, vec![100.0, 50.0, 20.0]);
    close_all(
        "E_vis/E_inc",
        &o.sampling_fraction(),
        &[0.08, 0.08, 0.0],
        EXACT,
    );
    // Shower 0: x̄ = 2·30/8 = 7.5, ȳ = (2·40 − 2·20)/8 = 5, z̄ = (4·9.5 + 2·19.5 + 2·29.5)/8 = 17.
    // Shower 1: x̄ = 3·10/4 = 7.5, ȳ = 1·10/4 = 2.5, z̄ = (9.5 + 3·29.5)/4 = 24.5. Empty: 0.
    close_all("cog_x", &o.cog_x, &[7.5, 7.5, 0.0], EXACT);
    close_all("cog_y", &o.cog_y, &[5.0, 2.5, 0.0], EXACT);
    close_all("cog_z", &o.cog_z, &[17.0, 24.5, 0.0], EXACT);
    // Layer l → longitudinal bin 2l.
    let mut long = vec![0.0; 30];
    (long[0], long[2], long[4]) = (4.0, 2.0, 2.0);
    (long[10], long[14]) = (1.0, 3.0);
    close_all("e_long", &o.e_long, &long, EXACT);
    // Radii 0, 50, 20 → bins 0, 9 (open last bin), 4; shower 1 radii 10 (an edge: bin 2) and 0
    // (the tilted axis passes through the cell; f32 direction: r ≈ 1e-6, still bin 0).
    let mut radial = vec![0.0; 30];
    (radial[0], radial[9], radial[4]) = (4.0, 2.0, 2.0);
    (radial[12], radial[10]) = (1.0, 3.0);
    close_all("e_radial", &o.e_radial, &radial, EXACT);
    close_all(
        "layer_energy",
        &o.layer_energy,
        &[4.0, 2.0, 2.0, 1.0, 0.0, 3.0, 0.0, 0.0, 0.0],
        EXACT,
    );
    // Fine radial profile, 10 mm bins: r 0 → 0, 50 → 5, 20 → 2; shower 1: 10 → 1, 0 → 0.
    let mut fine = vec![0.0; 90];
    (fine[0], fine[5], fine[2]) = (4.0, 2.0, 2.0);
    (fine[31], fine[30]) = (1.0, 3.0);
    close_all("radial_energy", &o.radial_energy, &fine, EXACT);
    let mut profile = vec![0.0; 30];
    (profile[0], profile[1], profile[2], profile[5]) = (7.0, 1.0, 2.0, 2.0);
    close_all("radial_profile", &o.radial_profile, &profile, EXACT);
    // Cells above threshold in file order.
    assert_eq!(o.cell_energy, vec![4.0, 2.0, 2.0, 1.0, 3.0]);
    // The classifier's 25 inputs: 10 radial, 10 longitudinal, CoG x, y, z, N_hits, E_vis.
    let x = o.classifier_inputs();
    assert_eq!(x.len(), 75);
    close_all("classifier radial", &x[..10], &radial[..10], EXACT);
    close_all("classifier long", &x[10..20], &long[..10], EXACT);
    close_all(
        "classifier tail",
        &x[20..25],
        &[7.5, 5.0, 17.0, 3.0, 8.0],
        EXACT,
    );
    assert_eq!(
        CellObservables::column(&o.e_long, 2, 10),
        vec![2.0, 0.0, 0.0]
    );
}

#[test]
fn cell_observables_radius_follows_the_stored_direction_only() {
    // Without a direction the axis is the depth axis: shower 1's layer-2 cell at x 10 is at r 10
    // (bin 2) instead of r 0, so bin 2 holds both of its cells.
    let o = cell_observables(&cell_showers(false), &layers(3), 0.25, &half_edges());
    assert_eq!(&o.e_radial[10..13], &[0.0, 0.0, 4.0]);
    // A higher threshold drops the 1 MeV cell: shower 1 keeps one hit, 3 MeV, z̄ 29.5.
    let o = cell_observables(&cell_showers(true), &layers(3), 1.5, &half_edges());
    assert_eq!(o.n_hits, vec![3.0, 1.0, 0.0]);
    assert_eq!(o.e_vis, vec![8.0, 3.0, 0.0]);
    close("cog_z", o.cog_z[1], 29.5, EXACT);
}

#[test]
fn profile_edges_are_deciles_of_the_reference_hits() {
    // 21 layers; eleven hits on the depth axis (no direction), hit k in layer 2k at x = 10k mm, so
    // numpy's linear deciles (position q·10/10 = q in the sorted values) are exactly layer 2q and
    // radius 10q. A hit below threshold in layer 0 at r 0 must not count (it would pull the
    // deciles down). The last radial edge is opened to 10 m; the last longitudinal one is the last
    // layer, 20. Sums of whole numbers: exact.
    let g = layers(21);
    let mut c = CellShowers::new();
    c.push_cell(0, 0, 0, 0.0625);
    for k in 0..=10 {
        c.push_cell(2 * k as u16, k, 0, 1.0);
    }
    c.end_shower(10.0, None);
    let e = ProfileEdges::from_reference(&c, &g, 0.25);
    let want: Vec<f64> = (0..=10).map(|q| 2.0 * q as f64).collect();
    assert_eq!(e.longitudinal, want);
    let mut want: Vec<f64> = (0..10).map(|q| 10.0 * q as f64).collect();
    want.push(1.0e4);
    assert_eq!(e.radial, want);
}

/// Two sections: ECAL layers 0–1 (10 mm cells, 9 + 1 mm: depths 9.5, 19.5) and HCAL layers 2–3
/// (30 mm cells, 19 + 1 mm: depths 39.5, 59.5) whose threshold is 0.5 MeV instead of 0.25.
fn ecal_hcal() -> PlanarGeometry {
    PlanarGeometry::from_spec(
        PlanarSpec {
            name: "split".into(),
            description: String::new(),
            front_mm: 0.0,
            threshold_mev: 0.25,
            sections: vec![
                section(2, 9.0, 10.0, None),
                section(2, 19.0, 30.0, Some(0.5)),
            ],
        },
        "test",
    )
    .unwrap()
}

/// Shower 0 (E_inc 1000 MeV, direction (0, 0, 2)): layer 0 cell (1, 0) 1 MeV at (10, 0, 9.5);
/// layer 1 cell (0, 2) 4 MeV at (0, 20, 19.5); layer 2 cell (−1, 0) 3 MeV at (−30, 0, 39.5);
/// layer 3 cell (0, 0) 0.375 MeV at (0, 0, 59.5): below the HCAL's 0.5 MeV, above 0.25.
/// Shower 1 (500 MeV, direction (3, 0, 4)): one ECAL cell at the threshold (0.25 MeV): empty.
fn split_showers() -> CellShowers {
    let mut c = CellShowers::new();
    c.push_cell(0, 1, 0, 1.0);
    c.push_cell(1, 0, 2, 4.0);
    c.push_cell(2, -1, 0, 3.0);
    c.push_cell(3, 0, 0, 0.375);
    c.end_shower(1000.0, Some([0.0, 0.0, 2.0]));
    c.push_cell(0, 0, 0, 0.25);
    c.end_shower(500.0, Some([3.0, 0.0, 4.0]));
    c
}

#[test]
fn shower_shapes_with_per_layer_thresholds() {
    let s = shower_shapes(&split_showers(), &ecal_hcal(), None);
    assert_eq!((s.hcal_first_layer, s.n_layers), (2, 4));
    // Exact sums of f32-exact energies.
    assert_eq!(s.e_inc, vec![1000.0, 500.0]);
    assert_eq!(s.e_vis, vec![8.0, 0.0]);
    assert_eq!(s.e_ecal, vec![5.0, 0.0]);
    assert_eq!(s.e_hcal, vec![3.0, 0.0]);
    assert_eq!(s.n_hits, vec![3.0, 0.0]);
    assert_eq!(s.n_hits_ecal, vec![2.0, 0.0]);
    assert_eq!(s.n_hits_hcal, vec![1.0, 0.0]);
    // x̄ = (10 − 90)/8 = −10, ȳ = 80/8 = 10, z̄ = (9.5 + 78 + 118.5)/8 = 25.75; empty: 0.
    close_all("cog_x", &s.cog_x, &[-10.0, 0.0], EXACT);
    close_all("cog_y", &s.cog_y, &[10.0, 0.0], EXACT);
    close_all("cog_z", &s.cog_z, &[25.75, 0.0], EXACT);
    // The 4 MeV cell is in layer 1; an empty shower has start layer −1.
    assert_eq!(s.start_layer, vec![1.0, -1.0]);
    // Directions are returned as unit vectors: (0, 0, 2) → (0, 0, 1), (3, 0, 4) → (0.6, 0, 0.8);
    // f32 inputs, so ~1e-7.
    let d = s.direction.unwrap();
    close_all("direction 0", &d[0], &[0.0, 0.0, 1.0], 1e-7);
    close_all("direction 1", &d[1], &[0.6, 0.0, 0.8], 1e-7);
}

#[test]
fn shower_shapes_with_one_threshold_keep_the_soft_hcal_cell() {
    // 0.25 MeV everywhere: the 0.375 MeV HCAL cell at (0, 0, 59.5) is kept; the ECAL cell at
    // exactly 0.25 MeV still is not.
    let s = shower_shapes(&split_showers(), &ecal_hcal(), Some(0.25));
    assert_eq!(s.e_vis, vec![8.375, 0.0]);
    assert_eq!(s.e_hcal, vec![3.375, 0.0]);
    assert_eq!(s.e_ecal, vec![5.0, 0.0]);
    assert_eq!(
        (s.n_hits[0], s.n_hits_ecal[0], s.n_hits_hcal[0]),
        (4.0, 2.0, 2.0)
    );
    // x̄ = −80/8.375, ȳ = 80/8.375, z̄ = (206 + 0.375·59.5)/8.375 = 228.3125/8.375.
    close("cog_x", s.cog_x[0], -80.0 / 8.375, EXACT);
    close("cog_y", s.cog_y[0], 80.0 / 8.375, EXACT);
    close("cog_z", s.cog_z[0], 228.3125 / 8.375, EXACT);
    assert_eq!(s.start_layer, vec![1.0, -1.0]);
}

/// Layer 0: r edges 0, 10, 20 mm and four α bins from −π (centres −3π/4, −π/4, π/4, 3π/4):
/// voxel (α a, r k) is index 2a + k, at eta = r cos α, phi = r sin α. Layer 1: one voxel 0–10 mm,
/// one α bin (α 0: eta 5, phi 0). Layer 2: no voxels (as dataset 1's empty layers).
fn toy_voxelisation() -> Voxelisation {
    let layer = |id, r_edges: Vec<f64>, n_alpha, first_voxel| VoxelLayer {
        id,
        r_edges,
        n_alpha,
        first_voxel,
    };
    Voxelisation {
        name: "toy".into(),
        description: String::new(),
        particle: "electron".into(),
        threshold_mev: 0.25,
        layers: vec![
            layer(0, vec![0.0, 10.0, 20.0], 4, 0),
            layer(1, vec![0.0, 10.0], 1, 8),
            layer(2, vec![0.0], 1, 9),
        ],
        n_voxels: 9,
    }
}

#[test]
fn high_level_features_of_a_hand_made_voxel_shower() {
    let g = toy_voxelisation();
    let mut v = VoxelShowers::new(9);
    // Layer 0: voxel 3 (α −π/4, r 15: eta C, phi −C with C = 15/√2) 2 MeV; voxel 4 (α π/4, r 5:
    // eta c, phi c with c = 5/√2) 1 MeV; voxel 0 0.0625 MeV (below the 0.25 MeV threshold) and
    // voxel 7 0.125 MeV (also below). Layer 1: voxel 8, 2 MeV. (A voxel exactly at the threshold
    // is the next test's.)
    let mut s = [0f32; 9];
    (s[3], s[4], s[0], s[7], s[8]) = (2.0, 1.0, 0.0625, 0.125, 2.0);
    v.push(&s, 10.0);
    v.push(&[0.0; 9], 20.0); // an empty shower
    let f = high_level_features(&v, &g, 0.25);
    assert_eq!((f.len(), f.n_layers), (2, 3));
    let (c, cc) = (5.0 / SQRT_2, 15.0 / SQRT_2);
    // Layer 0: E 3; eta mean (2C + c)/3 = 35/(3√2), phi mean (−2C + c)/3 = −25/(3√2). Two values
    // with weights 2/3 and 1/3 differing by d have variance (2/9)d²: eta d = 10/√2 → width 10/3,
    // phi d = 20/√2 → width 20/3, r d = 10 → width 10√2/3; r mean (30 + 5)/3 = 35/3.
    // Layer 1: one voxel, width 0. Layer 2: nothing. The empty shower is all zeros.
    // Trigonometric voxel centres: a few ulps of 15 mm.
    let tol = 1e-12;
    close_all("e_layer", &f.e_layer, &[3.0, 2.0, 0.0, 0.0, 0.0, 0.0], tol);
    let z = [0.0; 3];
    let row = |a: [f64; 3]| [a, z].concat();
    close_all(
        "ec_eta",
        &f.ec_eta,
        &row([(2.0 * cc + c) / 3.0, 5.0, 0.0]),
        tol,
    );
    close_all(
        "ec_phi",
        &f.ec_phi,
        &row([(c - 2.0 * cc) / 3.0, 0.0, 0.0]),
        tol,
    );
    close("ec_eta by hand", f.ec_eta[0], 35.0 / (3.0 * SQRT_2), tol);
    close("ec_phi by hand", f.ec_phi[0], -25.0 / (3.0 * SQRT_2), tol);
    // E[x²] − E[x]² of numbers ~100 loses a few more bits than the means: 1e-10.
    close_all(
        "width_eta",
        &f.width_eta,
        &row([10.0 / 3.0, 0.0, 0.0]),
        1e-10,
    );
    close_all(
        "width_phi",
        &f.width_phi,
        &row([20.0 / 3.0, 0.0, 0.0]),
        1e-10,
    );
    close_all("ec_r", &f.ec_r, &row([35.0 / 3.0, 5.0, 0.0]), tol);
    close_all(
        "width_r",
        &f.width_r,
        &row([10.0 * SQRT_2 / 3.0, 0.0, 0.0]),
        1e-10,
    );
    // Sparsity = CaloChallenge 2022's empty fraction, 1 − occupied: 6 of 8 empty, 0 of 1, and 0
    // for a layer without voxels (the challenge skips it); the empty shower 8/8 and 1/1 empty.
    // Ratios of small integers: exact.
    assert_eq!(f.sparsity, vec![0.75, 0.0, 0.0, 1.0, 1.0, 0.0]);
    assert_eq!(f.e_tot, vec![5.0, 0.0]);
    assert_eq!(f.e_inc, vec![10.0, 20.0]);
    assert_eq!(f.etot_over_einc(), vec![0.5, 0.0]);
    assert_eq!(f.voxel_energy, vec![2.0, 1.0, 2.0]);
    assert_eq!(
        calogen_eval::observables::HighLevelFeatures::layer_column(&f.e_layer, 1, 3),
        vec![2.0, 0.0]
    );
}

#[test]
fn wasserstein_batches_are_consecutive_rows_with_population_std() {
    // Batch 0: {0,1,2,3} vs {1,2,3,4}, a shift by 1 → W1 1. Batch 1: {10,10,10,10} vs
    // {10,10,10,13}, a quarter of the mass moved by 3 → 0.75. Mean 0.875, population std 0.125
    // (the sample std would be 0.177; interleaved batches, rows 0,2,4,6 and 1,3,5,7, would give
    // 1.5 and 0.25, std 0.625). The order inside a batch does not matter.
    // The trailing rows beyond 2 × 4 are not used. W1 of a few small integers: exact up to ulps.
    let r = [0.0, 1.0, 2.0, 3.0, 10.0, 10.0, 10.0, 10.0, 100.0];
    let g = [2.0, 1.0, 3.0, 4.0, 13.0, 10.0, 10.0, 10.0, -100.0];
    let s = wasserstein_batches(&r, &g, 2, 4).unwrap();
    close("mean", s.mean, 0.875, EXACT);
    close("std", s.std, 0.125, EXACT);
    // One batch of all eight: |ΔF| = 1/8 over [0, 4] and 1/8 over [10, 13] → 0.5 + 0.375.
    let s = wasserstein_batches(&r, &g, 1, 8).unwrap();
    close("one batch", s.mean, 0.875, EXACT);
    assert_eq!(s.std, 0.0);
    assert!(wasserstein_batches(&r[..7], &g, 2, 4).is_err());
}

#[test]
fn standardized_wasserstein_divides_by_the_reference_population_std() {
    // Column 0: reference {1,2,3,4} (mean 2.5, population std √1.25), generated shifted by +1:
    // W1 = 1/√1.25 = 0.894427… (with the sample std √(5/3) it would be 0.7746).
    // Column 1: reference {0,0,2,2} (std 1), generated {0,0,0,0}: W1 = half the mass moved by 2 = 1.
    let r = [1.0, 0.0, 2.0, 0.0, 3.0, 2.0, 4.0, 2.0];
    let g = [2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 5.0, 0.0];
    let s = standardized_wasserstein(
        RowMatrix::new(&r, 2).unwrap(),
        RowMatrix::new(&g, 2).unwrap(),
        1,
        4,
    )
    .unwrap();
    close("column 0", s[0].mean, 1.0 / 1.25f64.sqrt(), EXACT);
    close("column 1", s[1].mean, 1.0, EXACT);
    // combine_scores: mean of the means, stds in quadrature: (1 + 3)/2, √(0.3² + 0.4²) = 0.5.
    let c = combine_scores(&[
        MeanStd {
            mean: 1.0,
            std: 0.3,
        },
        MeanStd {
            mean: 3.0,
            std: 0.4,
        },
    ]);
    close("combined mean", c.mean, 2.0, EXACT);
    close("combined std", c.std, 0.5, EXACT);
}

#[test]
fn kl_divergence_of_two_bin_histograms() {
    // p = (½, ½), q = (¾, ¼): KL(p‖q) = ½ ln(2/3) + ½ ln 2 = ½ ln(4/3) = 0.1438410…; the other
    // way KL(q‖p) = ¾ ln(3/2) + ¼ ln(1/2) = 0.1308120…, so the order of the arguments matters.
    // Inputs are normalised first (counts 2,2 and 6,2). Logs of small rationals: 1e-15.
    let tol = 1e-15;
    close(
        "KL(p‖q)",
        kl_divergence(&[2.0, 2.0], &[6.0, 2.0]),
        0.5 * (4.0f64 / 3.0).ln(),
        tol,
    );
    close(
        "KL(q‖p)",
        kl_divergence(&[6.0, 2.0], &[2.0, 2.0]),
        0.75 * 1.5f64.ln() + 0.25 * 0.5f64.ln(),
        tol,
    );
    assert_eq!(kl_divergence(&[1.0, 3.0], &[2.0, 6.0]), 0.0);
    // A bin empty in p contributes nothing; p > 0 where q is empty: infinite.
    close(
        "empty p bin",
        kl_divergence(&[0.0, 1.0], &[1.0, 1.0]),
        2f64.ln(),
        tol,
    );
    assert_eq!(kl_divergence(&[1.0, 1.0], &[0.0, 1.0]), f64::INFINITY);
}

/// The challenge zeroes `shower < min_energy`, so a voxel exactly at the threshold is kept, and its
/// sparsity is `1 − mean(E > 0)` of the thresholded layer.
#[test]
fn threshold_keeps_a_voxel_at_it_and_sparsity_is_the_empty_fraction() {
    let g = toy_voxelisation();
    let mut v = VoxelShowers::new(9);
    // Shower 0: voxel 0 exactly at the 0.25 MeV threshold (kept), voxel 3 2 MeV, voxel 5 just
    // below (0.2499, dropped); layer 1's voxel 8 exactly at threshold (kept).
    let mut s = [0f32; 9];
    (s[0], s[3], s[5], s[8]) = (0.25, 2.0, 0.2499, 0.25);
    v.push(&s, 10.0);
    // Shower 1: layer 1's voxel just below (dropped), layer 0 empty.
    let mut s = [0f32; 9];
    s[8] = 0.2499;
    v.push(&s, 10.0);
    let f = high_level_features(&v, &g, 0.25);
    // Layer energies: 0.25 + 2 and 0.25; shower 1 nothing. Sums of dyadic f32 values: exact.
    assert_eq!(f.e_layer, vec![2.25, 0.25, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(f.e_tot, vec![2.5, 0.0]);
    // Sparsity: layer 0 has 2 of 8 kept → 6/8 empty; layer 1 its one voxel kept → 0; shower 1:
    // all empty → 1 and 1; layer 2 has no voxels → 0.
    assert_eq!(f.sparsity, vec![0.75, 0.0, 0.0, 1.0, 1.0, 0.0]);
    assert_eq!(f.voxel_energy, vec![0.25, 2.0, 0.25]);
}

/// numpy's float32 pairwise sum, which evaluate.py's E_layer and E_tot are. 2^24 + eight 1s: the
/// eight accumulators start at 2^24, 1, …, 1; ((2^24 + 1) + 2) + (2 + 2) = 2^24 + 6 (2^24 + 1
/// rounds to 2^24, f32 spacing being 2 there), + the ninth 1 = 2^24 + 7, a tie, rounds to even:
/// 2^24 + 8. A sequential f32 sum loses every 1 (2^24); numpy prints 1.6777224e+07.
/// 2^24 + 143 1s: split at 72; the first half's accumulators are 2^24 (its 8 later 1s each lost)
/// and seven 9s: ((2^24 + 9 → 2^24 + 8) + 18) + 36 = 2^24 + 62; the second half 72; total
/// 2^24 + 134 = 16 777 350 (numpy: 1.677735e+07; float64: 16 777 359).
#[test]
fn numpy_float32_pairwise_sum() {
    use calogen_eval::observables::calochallenge::numpy_sum_f32;
    let mut a = vec![16_777_216f32];
    a.extend([1f32; 8]);
    assert_eq!(numpy_sum_f32(&a), 16_777_224.0);
    assert_eq!(a.iter().fold(0f32, |s, &x| s + x), 16_777_216.0);
    let mut b = vec![16_777_216f32];
    b.extend([1f32; 143]);
    assert_eq!(numpy_sum_f32(&b), 16_777_350.0);
    // Fewer than 8 values: in order.
    assert_eq!(numpy_sum_f32(&[0.5, 0.25, 0.125]), 0.875);
}
