//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' own harness
//! (`fuzz/src/harness.rs`, included below), so a plain `cargo test` — no nightly, no cargo-fuzz —
//! catches a parser that panics again on an input a fuzzer once ran. This crate is the one that
//! depends on every parser's crate (data, geometry, models). See docs/fuzzing.md.

#[allow(dead_code)]
#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// (fuzz target, its harness function).
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 8] = [
    ("pt", harness::pt),
    ("pickle", harness::pickle),
    ("safetensors", harness::safetensors),
    ("model_json", harness::model_json),
    ("binning_xml", harness::binning_xml),
    ("geometry_toml", harness::geometry_toml),
    ("layout_toml", harness::layout_toml),
    ("hdf5_open", harness::hdf5_open),
];

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    corpus(target)
        .into_iter()
        .find(|(p, _)| p.file_name().unwrap() == name)
        .unwrap_or_else(|| panic!("fuzz/corpus/{target}/{name} missing"))
        .1
}

#[test]
fn every_corpus_input_is_handled_without_a_panic() {
    for (target, run) in TARGETS {
        let inputs = corpus(target);
        assert!(!inputs.is_empty(), "fuzz/corpus/{target} is empty");
        for (path, bytes) in inputs {
            // A panic names the input that caused it.
            eprintln!("{target}: {}", path.display());
            run(&bytes);
        }
    }
}

/// The seeds are valid files, so the fuzzers start from inputs that reach past the first check.
#[test]
fn seeds_are_accepted_by_their_parsers() {
    use calogen_models::caloclouds2::{Cc2Network, Cc2ShowerFlow};
    use calogen_models::io::read_pt;
    use std::io::Cursor;

    let flat = read_pt(Cursor::new(seed("pt", "seed-flat.pt")), "flat.pt", &[]).unwrap();
    assert_eq!(flat.len(), 6);
    let w_t = flat.get("w_t", &[4, 4]).unwrap();
    assert_eq!(&w_t.data[..4], &[0.0, 2.0, 4.0, 6.0], "a transposed view");
    let nested = Cursor::new(seed("pt", "seed-nested.pt"));
    assert_eq!(read_pt(nested, "n.pt", &["state_dict"]).unwrap().len(), 6);
    let archive = harness::torch_archive(&seed("pickle", "seed-flat.pkl"));
    assert_eq!(read_pt(Cursor::new(archive), "p.pt", &[]).unwrap().len(), 6);

    for name in [
        "seed-caloclouds2-consistency.safetensors",
        "seed-caloclouds2-pointwise-net.safetensors",
    ] {
        Cc2Network::from_bytes(&seed("safetensors", name), name).unwrap();
    }
    let flow = "seed-showerflow.safetensors";
    Cc2ShowerFlow::from_bytes(&seed("safetensors", flow), flow).unwrap();

    let seeds = |target| {
        corpus(target).into_iter().filter(|(p, _)| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
        })
    };
    for (name, _) in seeds("geometry_toml") {
        let text = std::fs::read_to_string(&name).unwrap();
        let xml = |rel: &str| {
            calogen_geometry::registry::XML
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, x)| x.to_string())
                .ok_or_else(|| calogen_geometry::GeometryError::new("t", "binning", rel))
        };
        calogen_geometry::Geometry::parse(&text, "seed", xml).unwrap();
    }
    for (name, _) in seeds("layout_toml") {
        let text = std::fs::read_to_string(&name).unwrap();
        calogen_data::PointLayout::from_toml_str(&text, &name).unwrap();
    }
}
