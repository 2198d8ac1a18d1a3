//! HDF5 inputs the `hdf5_open` fuzz target (docs/fuzzing.md) found crashing a reader, rebuilt here
//! with the HDF5 library: each must now give an error naming the file and the field.

use calogen_data::hdf5;
use calogen_data::{open, ShowerFileOptions};

/// A cells file with flat indices and `cells@n_cells_per_side = 0` (the fuzzer's input decoded
/// to this): `read` divided by zero, and a negative or huge side overflowed `n * n`.
#[test]
fn flat_cell_index_with_zero_or_absurd_side_is_refused() {
    for side in [0i64, -3, 1 << 40] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cells.h5");
        let f = hdf5::File::create(&path).unwrap();
        let write_f32 = |g: &hdf5::Group, name: &str, v: &[f32]| {
            g.new_dataset::<f32>()
                .shape([v.len()])
                .create(name)
                .unwrap()
                .write_raw(v)
                .unwrap();
        };
        write_f32(&f, "energy", &[50.0]);
        let g = f.create_group("cells").unwrap();
        g.new_dataset::<i64>()
            .shape([2])
            .create("offsets")
            .unwrap()
            .write_raw(&[0i64, 1])
            .unwrap();
        write_f32(&g, "energy_mev", &[1.0]);
        g.new_dataset::<i32>()
            .shape([1])
            .create("index")
            .unwrap()
            .write_raw(&[5i32])
            .unwrap();
        g.new_attr::<i64>()
            .create("n_cells_per_side")
            .unwrap()
            .write_scalar(&side)
            .unwrap();
        f.close().unwrap();

        let msg = match open(&path, &ShowerFileOptions::default()) {
            Err(e) => e.to_string(),
            Ok(file) => match file.read(0..1) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("side {side} was read without an error"),
            },
        };
        assert!(msg.contains("n_cells_per_side"), "side {side}: {msg}");
        assert!(msg.contains("cells.h5"), "{msg}");
    }
}
