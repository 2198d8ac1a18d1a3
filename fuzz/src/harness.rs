//! One function per parser calogen owns: bytes in, every public entry point that reads them called,
//! results ignored. A function returns normally on any input; a panic, abort, overflow or oversized
//! allocation is a bug in the library.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the corpus replay test of
//! the workspace (`crates/models/tests/fuzz_corpus.rs`, which includes this file), so CI replays
//! the committed corpus through exactly the code the fuzzers ran. Hence only crates both have:
//! calogen-data, -geometry, -models, zip and std.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use calogen_data::{hdf5, PointLayout, ShowerFileOptions};
use calogen_geometry::{CaloChallengeSpec, Geometry, GeometryError, Voxelisation};
use calogen_models::caloclouds2::{Cc2Network, Cc2ShowerFlow, FlowConfig, NetConfig};
use calogen_models::caloclouds3::Cc3Config;
use calogen_models::io;

/// A PyTorch `.pt` checkpoint as it would come from disk: zip archive, pickle, storages.
pub fn pt(data: &[u8]) {
    for key_path in [&[][..], &["state_dict"][..]] {
        let _ = io::read_pt(Cursor::new(data), "fuzz.pt", key_path);
    }
}

/// The unpickler and the tensor views behind it: the input is `data.pkl` of a well-formed torch
/// archive whose storages `0`..`3` exist (4, 16, 64 and 256 elements of up to 8 bytes), so
/// mutations reach the pickle machine and the strided gather instead of dying in the zip reader.
pub fn pickle(data: &[u8]) {
    let archive = torch_archive(data);
    for key_path in [&[][..], &["state_dict"][..]] {
        let _ = io::read_pt(Cursor::new(&archive), "fuzz.pt", key_path);
    }
}

/// `data.pkl` = `pkl` in the zip layout `torch.save` writes (entries stored, not compressed).
pub fn torch_archive(pkl: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut entry = |name: &str, bytes: &[u8]| {
        zip.start_file(format!("archive/{name}"), opts)
            .and_then(|_| zip.write_all(bytes).map_err(Into::into))
            .expect("writing to memory");
    };
    entry("data.pkl", pkl);
    entry("byteorder", b"little");
    for (key, numel) in [(0, 4usize), (1, 16), (2, 64), (3, 256)] {
        // 8 bytes per element: as long as a DoubleStorage of `numel` needs (f32 values, then).
        let bytes: Vec<u8> = (0..2 * numel)
            .flat_map(|i| (i as f32).to_le_bytes())
            .collect();
        entry(&format!("data/{key}"), &bytes);
    }
    zip.finish().expect("writing to memory").into_inner()
}

/// safetensors weights and the metadata the CaloClouds II loaders read from them (`model`,
/// the `inference` JSON), through the loaders that build networks from both.
pub fn safetensors(data: &[u8]) {
    let _ = io::read_safetensors(data, "fuzz.safetensors");
    let _ = io::safetensors::read_metadata(data, "fuzz.safetensors");
    let _ = Cc2Network::from_bytes(data, "fuzz.safetensors");
    let _ = Cc2ShowerFlow::from_bytes(data, "fuzz.safetensors");
}

/// The JSON configs: `cc3_cm_config.json` and the `inference` metadata of CaloClouds II nets and
/// ShowerFlows; what the loaders derive from a config that passes is derived too.
pub fn model_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Cc3Config::from_json(text, "fuzz.json") {
        let _ = (c.shape(), c.num_layers());
    }
    // The loaders size their tensors from the config before they look for them: a config that
    // passes also goes in as the `inference` metadata of an otherwise empty safetensors file.
    if let Ok(c) = NetConfig::from_json(text, "fuzz.json") {
        let _ = (c.shape(), c.karras_sigmas());
        for model in ["caloclouds2-pointwise-net", "caloclouds2-consistency"] {
            let st = metadata_only_safetensors(&[("model", model), ("inference", text)]);
            let _ = Cc2Network::from_bytes(&st, "fuzz.safetensors");
        }
    }
    if FlowConfig::from_json(text, "fuzz.json").is_ok() {
        let model = "caloclouds2-showerflow";
        let st = metadata_only_safetensors(&[("model", model), ("inference", text)]);
        let _ = Cc2ShowerFlow::from_bytes(&st, "fuzz.safetensors");
    }
}

/// A safetensors file with no tensors and these `__metadata__` entries.
pub fn metadata_only_safetensors(entries: &[(&str, &str)]) -> Vec<u8> {
    let fields: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    let header = format!("{{\"__metadata__\":{{{}}}}}", fields.join(","));
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A CaloChallenge binning XML (the first byte picks the particle the TOML would name).
pub fn binning_xml(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(xml) = std::str::from_utf8(rest) else {
        return;
    };
    let particle = ["photon", "pion", "electron"][pick as usize % 3];
    let spec = CaloChallengeSpec {
        name: "fuzz".into(),
        description: String::new(),
        binning: "fuzz.xml".into(),
        particle: particle.into(),
        threshold_mev: 0.0,
    };
    if let Ok(v) = Voxelisation::from_spec(spec, xml, "fuzz.xml") {
        exercise_voxelisation(&v);
    }
}

fn exercise_voxelisation(v: &Voxelisation) {
    assert_eq!(v.voxel_centres().len(), v.n_voxels);
    for l in 0..v.n_layers() {
        if let Some(i) = v.voxel_of(l, 1.5, -2.5) {
            assert!(i < v.n_voxels, "voxel {i} of {}", v.n_voxels);
        }
    }
}

/// A geometry TOML (planar, CaloChallenge or barrel); a CaloChallenge file may name a built-in
/// binning XML (`calochallenge/binning_dataset_2.xml`).
pub fn geometry_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let read_xml = |rel: &str| {
        calogen_geometry::registry::XML
            .iter()
            .find(|(p, _)| *p == rel)
            .map(|(_, x)| x.to_string())
            .ok_or_else(|| GeometryError::new("fuzz.toml", "binning", "no such XML"))
    };
    let Ok(g) = Geometry::parse(text, "fuzz.toml", read_xml) else {
        return;
    };
    let _ = (g.name(), g.n_layers());
    match &g {
        Geometry::Planar(p) => {
            let _ = (p.n_cells(), p.layer_depths());
        }
        Geometry::CaloChallenge(v) => exercise_voxelisation(v),
        Geometry::Barrel(b) => {
            let _ = b.n_cells();
            for l in 0..b.n_layers() {
                let _ = b.dead_fraction(l);
            }
        }
    }
}

/// A point-layout TOML (`--layout FILE`).
pub fn layout_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(l) = PointLayout::from_toml_str(text, Path::new("fuzz.toml")) {
        for shape in [&[10, 4, 100][..], &[10, 100, 4], &[3, 5, 7], &[1, 1]] {
            let _ = l.split_shape(shape);
        }
    }
}

/// Dataset names the readers look for (and `detect` recognises a file by).
const H5_NAMES: [&str; 15] = [
    "showers",
    "incident_energies",
    "events",
    "energy",
    "n_points",
    "n_points_hcal",
    "n_points_ecal",
    "p_norm_local",
    "cells/offsets",
    "cells/energy_mev",
    "cells/layer",
    "cells/ix",
    "cells/iz",
    "cells/index",
    "other",
];

/// Structured input for the HDF5 readers: the bytes decode into datasets (name, dtype, shape,
/// values, or only a declared shape with nothing stored), a `layout` file attribute and the
/// `cells@n_cells_per_side` attribute; they are written to a real HDF5 file, which
/// `calogen_data::open` then recognises and reads to the end, cells included.
pub fn hdf5_open(data: &[u8]) {
    let path = scratch_h5();
    if write_h5(&path, &mut Bytes(data)).is_err() {
        return;
    }
    let mut b = Bytes(data.get(data.len().saturating_sub(2)..).unwrap_or_default());
    let opts = ShowerFileOptions {
        layout: match b.u8() % 5 {
            0 => Some(PointLayout::caloclouds2()),
            1 => Some(PointLayout::caloclouds3()),
            _ => None,
        },
        layer_depths: match b.u8() % 3 {
            0 => Some((0..30).map(|l| l as f32 * 5.0).collect()),
            1 => Some(vec![1.0, 2.0]),
            _ => None,
        },
    };
    let Ok(f) = calogen_data::open(&path, &opts) else {
        return;
    };
    let _ = (
        f.kind().name(),
        f.reason(),
        f.incident_energy(),
        f.direction(),
    );
    for batch in f.chunks(3).take(50) {
        if batch.is_err() {
            break;
        }
    }
    if let Ok(Some(cells)) = f.cells() {
        let _ = cells.counts();
        for start in (0..cells.len()).step_by(3).take(50) {
            if cells.read(start..(start + 3).min(cells.len())).is_err() {
                break;
            }
        }
    }
}

/// One file per process, rewritten by every input (in /dev/shm when there is one: no disk I/O).
fn scratch_h5() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("calogen-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join("fuzz.h5")
}

/// Reads the input a byte at a time; past its end every byte is 0, so any input decodes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
}

fn write_h5(path: &Path, b: &mut Bytes) -> hdf5::Result<()> {
    let f = hdf5::File::create(path)?;
    let n = 1 + b.u8() % 6;
    for _ in 0..n {
        let name = H5_NAMES[b.u8() as usize % H5_NAMES.len()];
        let kind = b.u8();
        let rank = b.u8() % 4;
        if name.starts_with("cells/") && !f.link_exists("cells") {
            f.create_group("cells")?;
        }
        if f.link_exists(name) {
            continue;
        }
        if kind & 0x80 != 0 {
            // Declared, never written: a chunked dataset whose shape claims up to 2^47 per axis
            // and 2^50 values in all (hdf5-metno's own size arithmetic overflows beyond 2^64 bytes).
            let mut budget = 50u32;
            let shape: Vec<usize> = (0..rank.max(1))
                .map(|_| {
                    let e = u32::from(b.u8() % 48).min(budget);
                    budget -= e;
                    1 << e
                })
                .collect();
            let chunk: Vec<usize> = shape.iter().map(|&d| d.min(64)).collect();
            f.new_dataset::<f32>()
                .chunk(chunk.as_slice())
                .shape(shape.as_slice())
                .create(name)?;
            continue;
        }
        // Small shapes (≤ 4096 values) keep an input fast; the values repeat a palette read from
        // the input, or count up (which makes valid offsets) when the palette is empty.
        let mut shape: Vec<usize> = (0..rank).map(|_| (b.u8() % 10) as usize).collect();
        if shape.iter().product::<usize>() > 4096 {
            shape.iter_mut().for_each(|d| *d = (*d).min(4));
        }
        let count = shape.iter().product::<usize>();
        let palette: Vec<f64> = (0..b.u8() % 16).map(|_| value(b)).collect();
        let values: Vec<f64> = (0..count)
            .map(|i| {
                if palette.is_empty() {
                    i as f64
                } else {
                    palette[i % palette.len()]
                }
            })
            .collect();
        match kind % 6 {
            0 => write_ds(&f, name, &shape, values.iter().map(|&v| v as f32))?,
            1 => write_ds(&f, name, &shape, values.iter().copied())?,
            2 => write_ds(&f, name, &shape, values.iter().map(|&v| v as i32))?,
            3 => write_ds(&f, name, &shape, values.iter().map(|&v| v as i64))?,
            4 => write_ds(&f, name, &shape, values.iter().map(|&v| v as u8))?,
            _ => write_ds(&f, name, &shape, values.iter().map(|&v| v as u64))?,
        }
    }
    let attrs = b.u8();
    if attrs & 1 != 0 {
        let name = ["caloclouds2", "caloclouds3", "calohadronic", "other"][b.u8() as usize % 4];
        let v: hdf5::types::VarLenUnicode = name.parse().expect("ASCII");
        f.new_attr::<hdf5::types::VarLenUnicode>()
            .create("layout")?
            .write_scalar(&v)?;
    }
    if attrs & 2 != 0 && f.link_exists("cells") {
        let per_side = value(b) as i64;
        f.group("cells")?
            .new_attr::<i64>()
            .create("n_cells_per_side")?
            .write_scalar(&per_side)?;
    }
    f.close()
}

fn write_ds<T: hdf5::H5Type>(
    f: &hdf5::File,
    name: &str,
    shape: &[usize],
    values: impl Iterator<Item = T>,
) -> hdf5::Result<()> {
    let v: Vec<T> = values.collect();
    f.new_dataset::<T>()
        .shape(shape)
        .create(name)?
        .write_raw(&v)
}

/// The values readers must refuse or survive (NaN, ±∞, negative, huge) and ordinary ones.
fn value(b: &mut Bytes) -> f64 {
    match b.u8() % 12 {
        0 => 0.0,
        1 => -1.0,
        2 => f64::NAN,
        3 => f64::INFINITY,
        4 => f64::NEG_INFINITY,
        5 => 1e30,
        6 => 2147483648.0,
        7 => -2147483649.0,
        8 => 30.0,
        9 => 4e18,
        _ => b.u8() as f64 * 0.5,
    }
}
