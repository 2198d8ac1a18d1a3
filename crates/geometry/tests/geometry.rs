//! Geometry descriptions: built-ins, voxel counts, depths, projections and their bad-input errors.

use calogen_data::{CellShowers, PointClouds};
use calogen_geometry::{
    cells_to_points, project_points_to_cells, project_points_to_voxels, registry, Geometry,
    PlanarGeometry, Voxelisation,
};

fn planar(name: &str) -> PlanarGeometry {
    match Geometry::load(name).unwrap() {
        Geometry::Planar(p) => p,
        g => panic!("{} is not planar", g.name()),
    }
}

fn voxels(name: &str) -> Voxelisation {
    match Geometry::load(name).unwrap() {
        Geometry::CaloChallenge(v) => v,
        g => panic!("{} is not CaloChallenge", g.name()),
    }
}

#[test]
fn every_built_in_loads() {
    for name in registry::names() {
        let g = Geometry::load(name).unwrap();
        assert_eq!(g.name(), name);
    }
}

#[test]
fn calochallenge_voxel_counts() {
    for (name, n, layers) in [
        ("calochallenge-ds1-photons", 368, 5),
        ("calochallenge-ds1-pions", 533, 7),
        ("calochallenge-ds2", 6480, 45),
        ("calochallenge-ds3", 40500, 45),
    ] {
        let v = voxels(name);
        assert_eq!(v.n_voxels, n, "{name}");
        assert_eq!(
            v.layers.iter().filter(|l| l.n_voxels() > 0).count(),
            layers,
            "{name}"
        );
        assert_eq!(v.voxel_centres().len(), n);
    }
    // dataset 1 photons: empty layers keep their index (voxel layers 4..11 have no bins).
    let v = voxels("calochallenge-ds1-photons");
    assert_eq!(v.n_layers(), 24);
    assert_eq!(v.layers[12].first_voxel, 363);
    assert_eq!(v.threshold_mev, 1.0);
    assert_eq!(voxels("calochallenge-ds2").threshold_mev, 0.01515);
}

#[test]
fn voxel_order_is_r_then_alpha_then_layer() {
    let v = voxels("calochallenge-ds2");
    // α = atan2(y, x) binned from −π: a point just above −π (x < 0, y slightly negative) is bin 0.
    assert_eq!(v.voxel_of(0, -10.0, -1e-3), Some(2)); // r bin 2 (9.3..13.95)
                                                      // α ≈ 0 is bin 8 of 16; layer 3 starts at 3·16·9.
    assert_eq!(v.voxel_of(3, 1.0, 1e-3), Some(3 * 144 + 8 * 9));
    assert_eq!(v.voxel_of(0, 41.85, 0.0), None); // last edge is exclusive
    assert_eq!(v.voxel_of(45, 1.0, 0.0), None);
    let c = v.voxel_centres();
    assert!((c[1].r - 6.975).abs() < 1e-12);
    assert!(
        (c[9].alpha - (-std::f64::consts::PI + 1.5 * std::f64::consts::PI / 8.0)).abs() < 1e-12
    );
    assert!((c[9].eta - c[9].r * c[9].alpha.cos()).abs() < 1e-12);
}

#[test]
fn ild_depths_follow_the_stack() {
    let g = planar("ild-ecal");
    let d = g.layer_depths();
    assert_eq!(d.len(), 30);
    // d_i = Σ_{j≤i} w_j + 0.5 i + 0.25 (data README)
    let mut w = 0.0;
    for (i, &di) in d.iter().enumerate() {
        w += if i < 20 { 2.1 } else { 4.2 };
        assert!(
            (di as f64 - (w + 0.5 * i as f64 + 0.25)).abs() < 1e-4,
            "layer {i}"
        );
    }
    let h = planar("ild-ecal-hcal");
    let d = h.layer_depths();
    assert_eq!(d.len(), 78);
    for (k, &dk) in d.iter().enumerate().skip(30) {
        let want = 99.0 + (k as f64 - 29.0) * 20.0 + (k as f64 - 30.0) * 3.0 + 1.5;
        assert!((dk as f64 - want).abs() < 1e-3, "layer {k}");
    }
    assert_eq!(h.layers[40].cell_mm, 30.0);
    assert_eq!(h.layers[40].ix, [-15, 15]);
}

fn synthetic() -> PointClouds {
    let mut p = PointClouds::new();
    // shower 0: two points in one cell, one at a border, one outside the grid, one in a missing layer
    p.push(
        &[0.1, -0.1, 2.6, 400.0, 0.0],
        &[0.0, 0.2, 0.0, 0.0, 0.0],
        &[],
        &[0, 0, 0, 1, 31],
        &[1.0, 2.0, 4.0, 8.0, 16.0],
        10_000.0,
        None,
    );
    p.push(&[-152.0], &[147.0], &[], &[29], &[0.5], 20_000.0, None);
    p
}

#[test]
fn points_to_cells_sums_and_reports_outside() {
    let g = planar("ild-ecal");
    let (cells, report) = project_points_to_cells(&g, &synthetic());
    assert!(cells.is_consistent());
    let s = cells.shower(0);
    assert_eq!(s.len(), 2);
    assert_eq!((s.layer[0], s.ix[0], s.iy[0], s.energy[0]), (0, 0, 0, 3.0));
    // 2.6 mm is past the border at 2.544 mm: cell 1
    assert_eq!((s.ix[1], s.energy[1]), (1, 4.0));
    assert_eq!(report.points, vec![2, 0]);
    assert_eq!(report.energy_mev, vec![24.0, 0.0]);
    assert_eq!(report.total_energy_mev, 31.5);
    let t = cells.shower(1);
    assert_eq!((t.layer[0], t.ix[0], t.iy[0]), (29, -30, 29));
    assert_eq!(cells.incident_energy, vec![10_000.0, 20_000.0]);
}

#[test]
fn cells_to_points_to_cells_is_exact() {
    let g = planar("ild-ecal-hcal");
    let mut c = CellShowers::new();
    for (l, ix, iy, e) in [
        (0u16, -88, 88, 1.5f32),
        (12, 3, -4, 0.25),
        (45, 15, -15, 7.0),
        (77, 0, 0, 2.0),
    ] {
        c.push_cell(l, ix, iy, e);
    }
    c.end_shower(50_000.0, None);
    let p = cells_to_points(&g, &c).unwrap();
    assert_eq!(p.z.len(), 4);
    assert!((p.x[2] - 450.0).abs() < 1e-4 && (p.y[2] + 450.0).abs() < 1e-4);
    let (back, report) = project_points_to_cells(&g, &p);
    assert_eq!(back, c);
    assert_eq!(report.outside_points(), 0);
    // a cell in a layer the detector lacks is an error, not a NaN point
    let mut bad = CellShowers::new();
    bad.push_cell(30, 0, 0, 1.0);
    bad.end_shower(1.0, None);
    let e = cells_to_points(&planar("ild-ecal"), &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("layer 30"), "{e}");
}

#[test]
fn points_to_voxels_conserves_energy_inside() {
    let v = voxels("calochallenge-ds2");
    let mut p = PointClouds::new();
    p.push(
        &[1.0, 1.0, 100.0],
        &[0.0, 0.0, 0.0],
        &[],
        &[0, 0, 2],
        &[1.0, 2.0, 5.0],
        1000.0,
        None,
    );
    let (vox, report) = project_points_to_voxels(&v, &p);
    assert_eq!(vox.len(), 1);
    let s = vox.shower(0);
    assert_eq!(s.iter().sum::<f32>(), 3.0);
    assert_eq!(s[8 * 9], 3.0);
    assert_eq!(report.energy_mev, vec![5.0]);
}

#[test]
fn bad_descriptions_name_source_and_field() {
    let e = Geometry::load("ild-ecl").unwrap_err().to_string();
    assert!(
        e.contains("ild-ecl") && e.contains("ild-ecal") && e.contains("unknown geometry"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let bad_cell = write(
        "g.toml",
        "name='g'\nkind='planar'\nthreshold_mev=0.1\n[[sections]]\nlayers=2\nabsorber_mm=1\nsensitive_mm=1\ncell_mm=0\nix=[0,1]\niy=[0,1]\n",
    );
    let e = Geometry::load(&bad_cell).unwrap_err().to_string();
    assert!(
        e.contains("g.toml") && e.contains("sections[0].cell_mm"),
        "{e}"
    );

    let typo = write(
        "t.toml",
        "name='t'\nkind='planar'\nthreshold_mev=0.1\nsectoins=[]\n",
    );
    let e = Geometry::load(&typo).unwrap_err().to_string();
    assert!(e.contains("t.toml") && e.contains("sectoins"), "{e}");

    write(
        "b.xml",
        "<Bins><Bin name='e'><Layer id='0' r_edges='0,1' n_bin_alpha='2'></Bin></Bins>",
    );
    let cc = write(
        "c.toml",
        "name='c'\nkind='calochallenge'\nbinning='b.xml'\nparticle='e'\nthreshold_mev=1\n",
    );
    let e = Geometry::load(&cc).unwrap_err().to_string();
    assert!(
        e.contains("b.xml") && e.contains("XML does not parse"),
        "{e}"
    );

    write(
        "n.xml",
        "<Bins><Bin name='e'><Layer id='0' r_edges='0,x' n_bin_alpha='2'/></Bin></Bins>",
    );
    let cc = write(
        "d.toml",
        "name='d'\nkind='calochallenge'\nbinning='n.xml'\nparticle='e'\nthreshold_mev=1\n",
    );
    let e = Geometry::load(&cc).unwrap_err().to_string();
    assert!(
        e.contains("n.xml") && e.contains("Layer[0]/@r_edges"),
        "{e}"
    );

    let missing = write(
        "m.toml",
        "name='m'\nkind='calochallenge'\nbinning='nope.xml'\nparticle='e'\nthreshold_mev=1\n",
    );
    let e = Geometry::load(&missing).unwrap_err().to_string();
    assert!(e.contains("nope.xml"), "{e}");

    // several Bins: the one named after the particle is used; none matching is an error naming them
    write(
        "two.xml",
        "<Bins><Bin name='photon'><Layer id='0' r_edges='0,1' n_bin_alpha='1'/></Bin>\
         <Bin name='pion'><Layer id='0' r_edges='0,1,2' n_bin_alpha='3'/></Bin></Bins>",
    );
    let pion = write(
        "pion.toml",
        "name='p'\nkind='calochallenge'\nbinning='two.xml'\nparticle='pion'\nthreshold_mev=1\n",
    );
    match Geometry::load(&pion).unwrap() {
        Geometry::CaloChallenge(v) => assert_eq!(v.n_voxels, 6),
        g => panic!("{g:?}"),
    }
    let kaon = write(
        "kaon.toml",
        "name='k'\nkind='calochallenge'\nbinning='two.xml'\nparticle='kaon'\nthreshold_mev=1\n",
    );
    let e = Geometry::load(&kaon).unwrap_err().to_string();
    assert!(e.contains("two.xml") && e.contains("photon, pion"), "{e}");
}

#[test]
fn nan_points_fall_outside() {
    let mut p = PointClouds::new();
    p.push(
        &[f32::NAN, 0.0, 1.0],
        &[0.0, f32::NAN, 1.0],
        &[],
        &[0, 0, 0],
        &[1.0, 2.0, 4.0],
        1000.0,
        None,
    );
    let (cells, report) = project_points_to_cells(&planar("ild-ecal"), &p);
    assert_eq!(cells.energy, vec![4.0]);
    assert_eq!(report.energy_mev, vec![3.0]);
    let (vox, report) = project_points_to_voxels(&voxels("calochallenge-ds2"), &p);
    assert_eq!(vox.shower(0).iter().sum::<f32>(), 4.0);
    assert_eq!(report.energy_mev, vec![3.0]);
}
