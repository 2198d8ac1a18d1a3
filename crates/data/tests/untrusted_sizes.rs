//! Sizes read from a file are untrusted: a tiny file that declares enormous datasets is refused
//! with an error naming the file and dataset, before anything is allocated (issue: a 2 KB file
//! claiming `events [40, 4, 2^40]` aborted `info`, `project` and `evaluate` with a failed
//! 700 TB allocation).

use calogen_data::hdf5;
use calogen_data::{open, ShowerFileOptions};

/// A chunked dataset of the declared shape with nothing written: the file stays a few KB.
fn declare(f: &hdf5::File, name: &str, shape: &[usize], chunk: &[usize]) {
    f.new_dataset::<f32>()
        .chunk(chunk)
        .shape(shape)
        .create(name)
        .unwrap();
}

fn open_err(path: &std::path::Path) -> String {
    match open(path, &ShowerFileOptions::default()) {
        Err(e) => e.to_string(),
        Ok(file) => {
            for b in file.chunks(2) {
                if let Err(e) = b {
                    return e.to_string();
                }
            }
            panic!("{} was read without an error", path.display())
        }
    }
}

#[test]
fn huge_point_dataset_in_a_tiny_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.h5");
    let f = hdf5::File::create(&path).unwrap();
    declare(&f, "events", &[40, 4, 1 << 40], &[1, 4, 1024]);
    f.new_dataset::<f32>()
        .shape([40])
        .create("energy")
        .unwrap()
        .write_raw(&[10.0f32; 40])
        .unwrap();
    f.close().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 64 << 10);
    let msg = open_err(&path);
    assert!(msg.contains("huge.h5"), "names the file: {msg}");
    assert!(msg.contains("`events`"), "names the dataset: {msg}");
    assert!(
        msg.contains("declares shape [40, 4, 1099511627776]"),
        "{msg}"
    );
}

#[test]
fn two_billion_incident_energies_in_a_tiny_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.h5");
    let f = hdf5::File::create(&path).unwrap();
    let n = 2_000_000_000usize;
    declare(&f, "events", &[n, 4, 10], &[1, 4, 10]);
    declare(&f, "energy", &[n], &[4096]);
    f.close().unwrap();
    let msg = open_err(&path);
    assert!(msg.contains("many.h5"), "names the file: {msg}");
    assert!(
        msg.contains("`events`") || msg.contains("`energy`"),
        "names the dataset: {msg}"
    );
    assert!(msg.contains("stores only"), "{msg}");
}

#[test]
fn a_real_compressed_file_is_still_read() {
    // The guard allows 2048:1 over the stored bytes (deflate peaks at ~1032:1): the committed
    // fixtures, written compressed by calogen itself, must pass it.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for name in [
        "ild_photons_small.h5",
        "par04_electrons_small.h5",
        "pions_small.h5",
    ] {
        let file = open(&root.join(name), &ShowerFileOptions::default()).unwrap();
        let mut n = 0;
        for b in file.chunks(64) {
            n += b.unwrap().len();
        }
        assert_eq!(n, file.len(), "{name}");
    }
}
