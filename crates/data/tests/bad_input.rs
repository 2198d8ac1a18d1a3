//! Every kind of bad input gives one clear error naming the file and the dataset or field.

use std::path::{Path, PathBuf};

use calogen_data::hdf5;
use calogen_data::{open, PointLayout, ShowerFileOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn make(build: impl FnOnce(&hdf5::File)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.h5");
    let f = hdf5::File::create(&path).unwrap();
    build(&f);
    f.close().unwrap();
    Fixture { _dir: dir, path }
}

fn write<T: hdf5::H5Type + Copy>(f: &hdf5::Group, name: &str, shape: &[usize], v: &[T]) {
    f.new_dataset::<T>()
        .shape(shape)
        .create(name)
        .unwrap()
        .write_raw(v)
        .unwrap();
}

/// Reads every shower; returns the first error's text.
fn read_all(path: &Path, opts: &ShowerFileOptions) -> String {
    let f = match open(path, opts) {
        Ok(f) => f,
        Err(e) => return e.to_string(),
    };
    for b in f.chunks(2) {
        if let Err(e) = b {
            return e.to_string();
        }
    }
    panic!("expected an error reading {}", path.display());
}

fn expect(fx: &Fixture, field: &str, words: &[&str]) {
    let msg = read_all(&fx.path, &ShowerFileOptions::default());
    assert!(
        msg.contains(&fx.path.display().to_string()),
        "names the file: {msg}"
    );
    assert!(
        msg.contains(&format!("`{field}`")),
        "names `{field}`: {msg}"
    );
    for w in words {
        assert!(msg.contains(w), "mentions {w:?}: {msg}");
    }
}

fn cc(showers: &[f32], n: usize, v: usize, inc: &[f32]) -> Fixture {
    let (s, i) = (showers.to_vec(), inc.to_vec());
    make(move |f| {
        write(f, "showers", &[n, v], &s);
        write(f, "incident_energies", &[i.len(), 1], &i);
    })
}

#[test]
fn missing_file() {
    let msg = read_all(
        Path::new("/nonexistent/x.h5"),
        &ShowerFileOptions::default(),
    );
    assert!(
        msg.contains("/nonexistent/x.h5") && msg.contains("does not exist"),
        "{msg}"
    );
}

#[test]
fn not_hdf5() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("text.h5");
    std::fs::write(&p, "hello").unwrap();
    let msg = read_all(&p, &ShowerFileOptions::default());
    assert!(msg.contains("not a readable HDF5 file"), "{msg}");
}

#[test]
fn unrecognised_file() {
    let fx = make(|f| write(f, "something", &[2], &[1.0f32, 2.0]));
    let msg = read_all(&fx.path, &ShowerFileOptions::default());
    assert!(msg.contains("not a recognised shower file"), "{msg}");
}

#[test]
fn missing_dataset() {
    let fx = make(|f| write(f, "showers", &[2, 3], &[0.0f32; 6]));
    expect(&fx, "incident_energies", &["missing"]);
}

#[test]
fn wrong_shape() {
    let fx = make(|f| {
        write(f, "showers", &[6], &[0.0f32; 6]);
        write(f, "incident_energies", &[6, 1], &[1.0f32; 6]);
    });
    expect(&fx, "showers", &["shape is [6]", "expected [N, voxels]"]);
    let fx = cc(&[0.0; 6], 2, 3, &[1.0, 2.0, 3.0]);
    expect(&fx, "incident_energies", &["3 entries", "expected 2"]);
    let fx = make(|f| {
        write(f, "events", &[2, 3, 7], &[0.0f32; 42]);
        write(f, "energy", &[2, 1], &[1.0f32; 2]);
    });
    expect(&fx, "events", &["shape is [2, 3, 7]"]);
}

#[test]
fn wrong_dtype() {
    let fx = make(|f| {
        write(f, "showers", &[2, 3], &[0i32; 6]);
        write(f, "incident_energies", &[2, 1], &[1.0f32; 2]);
    });
    expect(&fx, "showers", &["dtype", "floating-point"]);
}

#[test]
fn nan_and_negative_energies() {
    let fx = cc(&[0.0, f32::NAN, 1.0, 0.0, 0.0, 0.0], 2, 3, &[1.0, 2.0]);
    expect(&fx, "showers", &["shower 0, voxel 1", "NaN"]);
    let fx = cc(&[0.0, 0.0, 1.0, 0.0, -2.0, 0.0], 2, 3, &[1.0, 2.0]);
    expect(&fx, "showers", &["shower 1, voxel 1", "-2"]);
    let fx = cc(&[0.0; 6], 2, 3, &[1.0, f32::NAN]);
    expect(&fx, "incident_energies", &["entry 1", "NaN"]);
    let fx = cc(&[0.0; 6], 2, 3, &[0.0, 1.0]);
    expect(&fx, "incident_energies", &["entry 0", "must be > 0"]);
    // points: [N, 4, P] rows (x, layer, z, E)
    let fx = make(|f| {
        let mut ev = vec![0.0f32; 2 * 4 * 3];
        ev[4 * 3 + 3 * 3 + 2] = -0.5; // shower 1, energy row, point 2
        write(f, "events", &[2, 4, 3], &ev);
        write(f, "energy", &[2, 1], &[10.0f32, 20.0]);
    });
    expect(&fx, "events", &["shower 1, point 2", "energy", "-0.5"]);
}

#[test]
fn bad_layer_values() {
    for (layer, word) in [(30.0f32, "30"), (2.5, "2.5"), (-1.0, "-1")] {
        let fx = make(move |f| {
            let mut ev = vec![0.0f32; 4 * 2];
            ev[2 + 1] = layer; // layer row, point 1
            ev[3 * 2 + 1] = 0.01; // energy
            write(f, "events", &[1, 4, 2], &ev);
            write(f, "energy", &[1, 1], &[10.0f32]);
        });
        expect(&fx, "events", &["layer", word, "caloclouds2"]);
    }
}

#[test]
fn ambiguous_shape_needs_a_layout() {
    // [1, 4, 4] fits both [N, 4, P] (CaloClouds II rows) and [N, P, 4] (CaloClouds3 columns).
    // One real point in the CaloClouds3 reading: x 1.5 mm, y -2 mm, layer 3, 0.25 GeV; the
    // other three rows are padding.
    let mut ev = [0.0f32; 16];
    ev[..4].copy_from_slice(&[1.5, -2.0, 3.0, 0.25]);
    let fx = make(move |f| {
        write(f, "events", &[1, 4, 4], &ev);
        write(f, "energy", &[1, 1], &[10.0f32]);
    });
    expect(&fx, "events", &["--layout"]);
    let opts = ShowerFileOptions {
        layout: Some(PointLayout::caloclouds3()),
        ..Default::default()
    };
    // With an explicit layout the file opens (the ambiguity is reported only by detection), and
    // the layout decides how it is read: exactly the one point, in calogen's units.
    let f = open(&fx.path, &opts).expect("an explicit layout resolves the ambiguity");
    assert_eq!(f.len(), 1);
    let calogen_data::ShowerBatch::Points(p) = f.read(0..1).unwrap() else {
        panic!("expected points");
    };
    let s = p.shower(0);
    assert_eq!(s.len(), 1);
    assert_eq!((s.x[0], s.y[0], s.layer[0]), (1.5, -2.0, 3));
    assert!((s.energy[0] - 250.0).abs() < 1e-3, "{} MeV", s.energy[0]);
    assert!((s.incident_energy - 10_000.0).abs() < 1e-2);
}

#[test]
fn unknown_layout_name() {
    let e = PointLayout::from_name_or_file("caloclouds9")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown layout") && e.contains("caloclouds2"),
        "{e}"
    );
}

#[test]
fn bad_cells_group() {
    let fx = make(|f| {
        write(f, "energy", &[2, 1], &[10.0f32, 20.0]);
        let g = f.create_group("cells").unwrap();
        write(&g, "offsets", &[3], &[0i64, 2, 1]);
        write(&g, "layer", &[2], &[0u8, 1]);
        write(&g, "ix", &[2], &[0i16, 1]);
        write(&g, "iz", &[2], &[0i16, 1]);
        write(&g, "energy_mev", &[2], &[1.0f32, 1.0]);
    });
    expect(&fx, "cells/offsets", &["never decrease"]);
    let fx = make(|f| {
        write(f, "energy", &[1, 1], &[10.0f32]);
        let g = f.create_group("cells").unwrap();
        write(&g, "offsets", &[2], &[0i64, 2]);
        write(&g, "layer", &[2], &[0u8, 1]);
        write(&g, "energy_mev", &[2], &[1.0f32, 1.0]);
    });
    expect(&fx, "cells/ix", &["missing"]);
}
