//! The realistic ILD barrel built from the real cell map (geometries/ild-ecal-barrel.toml): cells
//! that the map holds are found, gaps lose energy, staves are rotations of the top one, and Geant4
//! showers lose the energy the map's dead area implies.

use std::path::Path;

use calogen_data::{open, CellShowers, PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{BarrelGeometry, BarrelProjector, BarrelReport, Landing, Placement};

fn barrel() -> BarrelGeometry {
    BarrelGeometry::load("ild-ecal-barrel").unwrap()
}

#[test]
fn built_in_barrel_matches_the_cell_map() {
    let g = barrel();
    assert_eq!(g.n_layers(), 30);
    // tools/make_barrel_map.py: 179 410 cells of the map inside meta.json's box, none missing.
    assert_eq!(g.n_cells(), 179_410);
    assert!((g.cell_mm - 5.088_333).abs() < 1e-5);
    for l in 0..30 {
        let d = g.dead_fraction(l);
        assert!((0.02..0.05).contains(&d), "layer {l}: dead fraction {d}");
    }
}

#[test]
fn map_cell_centres_land_in_their_cell_and_gaps_lose() {
    let g = barrel();
    // Cells of the map (X, Y, Z in X.npy/Y.npy/Z.npy): layer 0 (-10.793, 1811.603, 3.044) and layer 17
    // (-12.875, 1914.488, 102.902).
    let Landing::Cell(a) = g.locate(0, -10.793, 3.044) else {
        panic!("layer 0 cell not found")
    };
    let (l, c, r) = g.cell_coords(a);
    assert_eq!(l, 0);
    let centre = g.cell_centre(0, 0, c, r).unwrap();
    assert!((centre[0] + 10.793).abs() < 1e-3 && (centre[1] - 1811.603).abs() < 1e-3);
    assert!((centre[2] - 3.044).abs() < 1e-3, "{centre:?}");
    // Anywhere inside the 5.088 mm square is the same cell.
    assert_eq!(g.locate(0, -10.793 + 2.5, 3.044 - 2.5), Landing::Cell(a));
    assert!(matches!(g.locate(17, -12.875, 102.902), Landing::Cell(_)));
    // x = -13.8: the 1 mm gap between two wafers in layer 0 (-14.337…-13.337); in layer 17 the
    // wafers are staggered and the same x is inside the cell centred at -12.875.
    assert_eq!(g.locate(0, -13.8, 3.044), Landing::Gap);
    assert!(matches!(
        g.locate(17, -13.8, 3.044 + 5.088),
        Landing::Cell(_)
    ));
    // z = 93.5: the 3.17 mm gap between rows 89.546 and 97.814; z = 0: the 1 mm gap.
    assert_eq!(g.locate(0, -10.793, 93.5), Landing::Gap);
    assert_eq!(g.locate(0, -10.793, 0.0), Landing::Gap);
    // Beyond the described region.
    assert_eq!(g.locate(0, 400.0, 3.0), Landing::Outside);
    assert_eq!(g.locate(30, 0.0, 3.0), Landing::Outside);

    // Energy in a gap is lost and counted.
    let mut p = BarrelProjector::new(&g);
    let mut out = CellShowers::new();
    let at = Placement {
        x_mm: 0.0,
        z_mm: 0.0,
    };
    // Local (x, y) = (z, x) global: the first point is the layer-0 cell, the second the x gap.
    let loss = p.project_local(
        &[3.044, 3.044, 3.0],
        &[-10.793, -13.8, -10.793],
        &[0, 0, 0],
        &[1.0, 2.0, 0.5],
        at,
        &mut out,
    );
    out.end_shower(1000.0, None);
    assert_eq!(out.n_cells(), 1);
    assert!((out.energy[0] - 1.5).abs() < 1e-6);
    assert_eq!((loss.gap_points, loss.gap_energy_mev), (1, 2.0));
    assert_eq!(loss.outside_points, 0);
}

#[test]
fn staves_are_rotations_of_the_top_stave() {
    let g = barrel();
    let mut p = BarrelProjector::new(&g);
    for (l, c, r) in [(0u32, 36u32, 13u32), (17, 40, 50), (29, 0, 76)] {
        let Landing::Cell(top) = g.locate(
            l as usize,
            g.layers[l as usize].x.centre(c).unwrap(),
            g.layers[l as usize].z.centre(r).unwrap(),
        ) else {
            panic!("lattice cell ({l}, {c}, {r}) not found")
        };
        for k in 0..8 {
            let [x, y, z] = g.cell_centre(k, l as usize, c, r).unwrap();
            // The centre of the cell in stave k is at the stave's angle, at the layer's radius.
            let phi = y.atan2(x).to_degrees();
            let expect = 90.0 + 45.0 * k as f64;
            let d = (phi - expect).rem_euclid(360.0);
            assert!(d.min(360.0 - d) < 8.0, "stave {k}: azimuth {phi}");
            let (kk, _, yr) = g.to_top_stave(x, y);
            assert_eq!(kk, k);
            assert!((yr - g.layers[l as usize].y_mm).abs() < 1e-9);
            let mut out = CellShowers::new();
            let loss = p.project_global(
                &[x as f32],
                &[y as f32],
                &[z as f32],
                &[l as u16],
                &[1.0],
                &mut out,
            );
            assert_eq!(loss.recorded_energy_mev, 1.0, "stave {k}");
            assert_eq!(
                (out.layer[0], out.ix[0] as u32, out.iy[0] as u32),
                g.cell_coords(top),
                "stave {k}"
            );
        }
    }
}

fn angular() -> PointClouds {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_angular_small.h5");
    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(p) => p,
        _ => panic!("expected points"),
    }
}

#[test]
fn geant4_showers_lose_what_the_dead_area_implies() {
    let g = barrel();
    let showers = angular();
    let mut p = BarrelProjector::new(&g);

    // At the CaloClouds gun position (x = 0, z = 40 mm).
    let mut out = CellShowers::new();
    let mut at_gun = BarrelReport::default();
    p.project_clouds(&showers, g.gun_placement(), &mut out, &mut at_gun);
    let gun_gap = at_gun.gap_fraction();
    let gun_out = at_gun.outside.outside_fraction();

    // Uniformly random entry points spanning whole wafer periods (92.6 mm in x, 187.4 mm = two
    // wafers in z): on average a shower then loses exactly the dead area fraction of the lattice.
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut uniform = 0.0;
    let reps = 25;
    let mut random = BarrelReport::default();
    for _ in 0..reps {
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let at = Placement {
            x_mm: -60.0 + 2.0 * 92.59 * next() - 92.59 * 0.5,
            z_mm: -40.0 + 187.35 * next(),
        };
        let mut out = CellShowers::new();
        p.project_clouds(&showers, at, &mut out, &mut random);
    }
    uniform += random.gap_fraction();
    // The dead fraction of an infinite lattice with these gaps: 1 mm per 92.59 mm wafer pitch in
    // x, 1 + 3.17 mm per two wafers (187.35 mm) in z.
    let periodic = 1.0 - (1.0 - 1.0 / 92.59) * (1.0 - 4.17 / 187.35);
    let mean_layer_dead: f64 = (0..30).map(|l| g.dead_fraction(l)).sum::<f64>() / 30.0;
    eprintln!(
        "Geant4 angular photons (40 showers, {} points) through ild-ecal-barrel:\n  at the gun: {:.3} % of the energy in gaps, {:.3} % outside the map\n  random entry ({reps} x 40 showers): {:.3} % in gaps, {:.3} % outside\n  cell map: dead area {:.3} % (periodic lattice), {:.3} % (described region, mean over layers)",
        showers.n_points(),
        100.0 * gun_gap,
        100.0 * gun_out,
        100.0 * uniform,
        100.0 * random.outside.outside_fraction(),
        100.0 * periodic,
        100.0 * mean_layer_dead,
    );
    assert!(gun_out < 0.01, "{gun_out}");
    assert!(random.outside.outside_fraction() < 0.01);
    assert!(gun_gap > 0.0 && gun_gap < 0.1, "{gun_gap}");
    // 1 000 showers at random entries: the mean loss agrees with the dead area within 10 % (measured: 3.34 % vs 3.28 %).
    assert!(
        (uniform / periodic - 1.0).abs() < 0.1,
        "{uniform} vs {periodic}"
    );
}
