//! Points → cells (and voxels) throughput, single thread, on the Geant4 ILD photons when present.
//!
//! `cargo run --release -p calogen-geometry --example projection_bench [FILE]`
//! (default ../shared/data/ild_photons_train.h5; falls back to fixtures/ild_photons_small.h5).

use std::path::PathBuf;
use std::time::Instant;

use calogen_data::{open, CellShowers, PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{project_points_to_voxels, CellProjector, Geometry, OutsideReport};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let shared = root.join("../shared/data/ild_photons_train.h5");
            if shared.exists() {
                shared
            } else {
                root.join("fixtures/ild_photons_small.h5")
            }
        });
    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    let ShowerBatch::Points(points) = f.read(0..f.len()).unwrap() else {
        panic!("not a point file")
    };
    let n = points.n_points();
    println!("{}: {} showers, {} points", path.display(), points.len(), n);

    let Geometry::Planar(g) = Geometry::load("ild-ecal").unwrap() else {
        unreachable!()
    };
    let mut projector = CellProjector::new(&g);
    let mut cells = CellShowers::new();
    let mut times = Vec::new();
    // The output buffers are reused, as a generator writing batch after batch does.
    for _ in 0..15 {
        cells.offsets.truncate(1);
        cells.layer.clear();
        cells.ix.clear();
        cells.iy.clear();
        cells.energy.clear();
        cells.incident_energy.clear();
        let mut report = OutsideReport::default();
        let t = Instant::now();
        projector.project(&points, &mut cells, &mut report);
        times.push(t.elapsed().as_secs_f64());
    }
    let t = median(times);
    println!(
        "points -> cells (ild-ecal): {:.1} M points/s ({:.2} µs per shower, {} cells out)",
        n as f64 / t / 1e6,
        t / points.len() as f64 * 1e6,
        cells.n_cells()
    );

    // Voxels: the same points read as dataset-2 voxel layers (layer index mod 45), r-alpha binning.
    let Geometry::CaloChallenge(v) = Geometry::load("calochallenge-ds2").unwrap() else {
        unreachable!()
    };
    let pv = PointClouds {
        x: points.x.iter().map(|x| x * 0.1).collect(),
        y: points.y.iter().map(|y| y * 0.1).collect(),
        ..points.clone()
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (vox, _) = project_points_to_voxels(&v, &pv);
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(vox.len(), points.len());
    }
    let t = median(times);
    println!(
        "points -> voxels (calochallenge-ds2): {:.1} M points/s",
        n as f64 / t / 1e6
    );
}
