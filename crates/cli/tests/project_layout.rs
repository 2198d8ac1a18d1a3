//! `project --cells-to-points --out-layout`: the points written in a chosen layout sit at the
//! stored cells' centres with their energies, and projecting them again gives the stored cells.

// Parallel per-point and per-layer arrays are indexed together.
#![allow(clippy::needless_range_loop)]

use calogen_data::{CellShowers, ShowerFileOptions};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};

mod common;
use common::{calogen, fixture, points, run};

fn ild_ecal() -> PlanarGeometry {
    match Geometry::load("ild-ecal").unwrap() {
        Geometry::Planar(g) => g,
        _ => unreachable!(),
    }
}

/// `project --cells-to-points --out-layout caloclouds2`: a CaloClouds II file (rows x, layer, z,
/// E; padding in front) with one point per stored cell at the cell's centre, carrying its
/// energy; projecting those points again gives back exactly the stored cells. The default layout
/// (caloclouds3) holds the same points.
#[test]
fn project_cells_to_points_in_a_chosen_layout() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("ild_photons_small.h5");
    let mut out = Vec::new();
    for layout in ["caloclouds2", "caloclouds3"] {
        let p = dir.path().join(format!("{layout}.h5"));
        run(calogen()
            .args(["project", "--geometry", "ild-ecal", "--cells-to-points"])
            .args(["--out-layout", layout])
            .arg(&input)
            .arg(&p));
        let info = run(calogen().args(["info", "--json"]).arg(&p));
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["kind"], format!("points/{layout}"), "{info}");
        out.push(points(&p));
    }
    let f = calogen_data::open(&input, &ShowerFileOptions::default()).unwrap();
    let cells = f.cells().unwrap().unwrap().read(0..f.len()).unwrap();
    let g = ild_ecal();
    let cc2 = &out[0];
    assert_eq!(cc2.len(), cells.len());
    for i in 0..cells.len() {
        let (c, p) = (cells.shower(i), cc2.shower(i));
        assert_eq!(p.len(), c.len(), "shower {i}");
        assert_eq!(p.incident_energy, c.incident_energy);
        let mut want: Vec<(u16, i64, i64, u32)> = Vec::new();
        for k in 0..c.len() {
            let (x, y) = g.layers[c.layer[k] as usize].cell_centre(c.ix[k], c.iy[k]);
            want.push((
                c.layer[k],
                (x * 100.0).round() as i64,
                (y * 100.0).round() as i64,
                c.energy[k].to_bits(),
            ));
        }
        let mut got: Vec<(u16, i64, i64, u32)> = (0..p.len())
            .map(|k| {
                (
                    p.layer[k],
                    (p.x[k] as f64 * 100.0).round() as i64,
                    (p.y[k] as f64 * 100.0).round() as i64,
                    p.energy[k].to_bits(),
                )
            })
            .collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert_eq!((a.0, a.1, a.2), (b.0, b.1, b.2), "shower {i}: cell centre");
            let (ea, eb) = (f32::from_bits(a.3), f32::from_bits(b.3));
            assert!((ea - eb).abs() <= 1e-6 * eb, "shower {i}: {ea} vs {eb} MeV");
        }
    }
    // Back to cells: the stored cells again.
    let mut again = CellShowers::new();
    CellProjector::new(&g).project(cc2, &mut again, &mut OutsideReport::default());
    assert_eq!(again.n_cells(), cells.n_cells());
    let e_in: f64 = cells.energy.iter().map(|&e| e as f64).sum();
    let e_out: f64 = again.energy.iter().map(|&e| e as f64).sum();
    assert!((e_out / e_in - 1.0).abs() < 1e-6, "{e_out} vs {e_in}");
    assert_eq!(out[1].offsets, cc2.offsets);
    assert_eq!(out[1].layer, cc2.layer);
}
