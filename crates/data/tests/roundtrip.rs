//! Writers and readers agree: what calogen writes, it reads back exactly.

use calogen_data::formats::{CaloChallengeWriter, CellsWriter, PointsWriter};
use calogen_data::{
    open, CellShowers, PointClouds, PointLayout, ShowerBatch, ShowerFileOptions, VoxelShowers,
};

/// A deterministic pseudo-random stream (no RNG crate needed for fixtures).
fn lcg(state: &mut u64) -> f32 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 40) as f32) / (1u64 << 24) as f32
}

fn voxels(n: usize, n_voxels: usize, seed: u64) -> VoxelShowers {
    let mut s = seed;
    let mut v = VoxelShowers::new(n_voxels);
    for _ in 0..n {
        let row: Vec<f32> = (0..n_voxels)
            .map(|_| {
                let u = lcg(&mut s);
                // sparse, with values spanning many decades, as real showers
                if u < 0.7 {
                    0.0
                } else {
                    (u * 37.0).exp() * 1e-9
                }
            })
            .collect();
        v.push(&row, 1000.0 + 1e5 * lcg(&mut s));
    }
    v
}

#[test]
fn calochallenge_write_read_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cc.h5");
    let a = voxels(37, 368, 1);
    let b = voxels(5, 368, 2);
    let mut w = CaloChallengeWriter::create(&path, 368).unwrap();
    w.append(&a).unwrap();
    w.append(&b).unwrap();
    assert!(!path.exists(), "the file must appear only when finished");
    w.finish().unwrap();

    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    assert_eq!(f.len(), 42);
    let ShowerBatch::Voxels(back) = f.read(0..42).unwrap() else {
        panic!("kind")
    };
    let mut want = a.clone();
    want.energy.extend_from_slice(&b.energy);
    want.incident_energy.extend_from_slice(&b.incident_energy);
    assert_eq!(back.energy.len(), want.energy.len());
    assert!(back
        .energy
        .iter()
        .zip(&want.energy)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(back
        .incident_energy
        .iter()
        .zip(&want.incident_energy)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    // chunked streaming gives the same showers
    let mut k = 0;
    for batch in f.chunks(10) {
        let ShowerBatch::Voxels(v) = batch.unwrap() else {
            panic!()
        };
        for i in 0..v.len() {
            assert_eq!(v.shower(i), &want.energy[k * 368..(k + 1) * 368]);
            k += 1;
        }
    }
    assert_eq!(k, 42);
}

fn points(n: usize, seed: u64, n_layers: u16, with_dir: bool) -> PointClouds {
    let mut s = seed;
    let mut pc = PointClouds::new();
    for i in 0..n {
        let k = 1 + (lcg(&mut s) * 50.0) as usize;
        let x: Vec<f32> = (0..k).map(|_| (lcg(&mut s) - 0.5) * 100.0).collect();
        let y: Vec<f32> = (0..k).map(|_| (lcg(&mut s) - 0.5) * 100.0).collect();
        let l: Vec<u16> = (0..k)
            .map(|_| (lcg(&mut s) * n_layers as f32) as u16)
            .collect();
        // energies exactly representable after MeV -> GeV -> MeV (multiples of 1/8 MeV... of 2^-3)
        let e: Vec<f32> = (0..k)
            .map(|_| 0.125 * (1.0 + (lcg(&mut s) * 64.0).floor()))
            .collect();
        let dir = with_dir.then(|| {
            let t = 0.3 * i as f32 / n as f32;
            [t.sin(), 0.0, t.cos()]
        });
        pc.push(&x, &y, &[], &l, &e, 1000.0 * (10 + i) as f32, dir);
    }
    pc
}

fn assert_points_close(a: &PointClouds, b: &PointClouds) {
    assert_eq!(a.offsets, b.offsets);
    assert_eq!(a.x, b.x);
    assert_eq!(a.y, b.y);
    assert_eq!(a.layer, b.layer);
    for (p, q) in a.energy.iter().zip(&b.energy) {
        assert!((p - q).abs() <= 1e-6 * p.abs(), "{p} vs {q}");
    }
    for (p, q) in a.incident_energy.iter().zip(&b.incident_energy) {
        assert!((p - q).abs() <= 1e-6 * p.abs());
    }
}

#[test]
fn point_layouts_round_trip() {
    for (layout, n_layers, with_dir) in [
        (PointLayout::caloclouds2(), 30, false),
        (PointLayout::caloclouds3(), 30, true),
        (PointLayout::calohadronic(), 78, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.h5");
        let pc = points(20, 7, n_layers, with_dir);
        let mut w = PointsWriter::create(&path, layout.clone(), pc.max_points(), with_dir).unwrap();
        w.append(&pc).unwrap();
        w.finish().unwrap();
        let f = open(&path, &ShowerFileOptions::default()).unwrap();
        assert_eq!(
            f.kind(),
            &calogen_data::FileKind::Points(layout.clone()),
            "detected layout"
        );
        let ShowerBatch::Points(back) = f.read(0..20).unwrap() else {
            panic!()
        };
        assert_points_close(&pc, &back);
        if with_dir {
            let (d0, d1) = (
                pc.direction.as_ref().unwrap(),
                back.direction.as_ref().unwrap(),
            );
            for (a, b) in d0.iter().zip(d1) {
                assert!((a[0] - b[0]).abs() < 1e-6 && (a[2] - b[2]).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn layer_depths_fill_z() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.h5");
    let pc = points(3, 9, 30, false);
    let mut w =
        PointsWriter::create(&path, PointLayout::caloclouds2(), pc.max_points(), false).unwrap();
    w.append(&pc).unwrap();
    w.finish().unwrap();
    let depths: Vec<f32> = (0..30).map(|i| 10.0 * i as f32 + 1.0).collect();
    let opts = ShowerFileOptions {
        layer_depths: Some(depths.clone()),
        ..Default::default()
    };
    let ShowerBatch::Points(back) = open(&path, &opts).unwrap().read(0..3).unwrap() else {
        panic!()
    };
    assert_eq!(back.z.len(), back.layer.len());
    assert!(back
        .z
        .iter()
        .zip(&back.layer)
        .all(|(&z, &l)| z == depths[l as usize]));
}

#[test]
fn cells_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.h5");
    let mut c = CellShowers::new();
    let mut s = 3u64;
    for i in 0..15 {
        for _ in 0..(i * 3) {
            c.push_cell(
                (lcg(&mut s) * 78.0) as u16,
                (lcg(&mut s) * 200.0) as i32 - 100,
                (lcg(&mut s) * 200.0) as i32 - 100,
                lcg(&mut s) * 10.0,
            );
        }
        c.end_shower(5000.0 + i as f32, Some([0.0, 0.6, 0.8]));
    }
    let mut w = CellsWriter::create(&path, "test cells", true).unwrap();
    w.append(&c).unwrap();
    w.append(&c).unwrap();
    w.finish().unwrap();
    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    assert_eq!(f.kind(), &calogen_data::FileKind::Cells);
    assert_eq!(f.len(), 30);
    let ShowerBatch::Cells(back) = f.read(15..30).unwrap() else {
        panic!()
    };
    assert_eq!(back.offsets, c.offsets);
    assert_eq!(
        (&back.layer, &back.ix, &back.iy, &back.energy),
        (&c.layer, &c.ix, &c.iy, &c.energy)
    );
    for (a, b) in back.incident_energy.iter().zip(&c.incident_energy) {
        assert!((a - b).abs() < 1e-3);
    }
}

#[test]
fn failed_write_leaves_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cc.h5");
    std::fs::write(&path, b"precious").unwrap();
    {
        let mut w = CaloChallengeWriter::create(&path, 4).unwrap();
        let mut bad = VoxelShowers::new(4);
        bad.push(&[1.0, f32::NAN, 0.0, 0.0], 10.0);
        let err = w.append(&bad).unwrap_err().to_string();
        assert!(err.contains("NaN"), "{err}");
        // dropped without finish
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary file removed");
}
