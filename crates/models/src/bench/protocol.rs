//! The timing and size protocol of the CaloChallenge (paper 003 §8.6–8.7) for any model family
//! ([`crate::family::ModelFamily`]):
//! per repeat, load the model, generate showers in batches of a given size, save them as HDF5;
//! report mean ± std over repeats of the time per load and per shower, on one thread and on all,
//! and the number of trainable parameters needed for training and for generation.

use std::path::{Path, PathBuf};
use std::time::Instant;

use calogen_data::formats::{CaloChallengeWriter, PointsWriter};
use calogen_data::{PointLayout, ShowerBatch};
use serde::Serialize;

use super::stats::Summary;
use crate::error::{Error, Result};
use crate::family::{ModelFamily, ParameterCounts};

/// Loads a family for the protocol (called once per repeat: the load is timed).
pub type Loader<'a> = dyn Fn() -> Result<Box<dyn ModelFamily>> + 'a;

/// How many threads generate: the caller's thread alone, or a rayon pool of `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Threads {
    One,
    Pool(usize),
}

impl Threads {
    /// All hardware threads of this machine.
    pub fn all() -> Self {
        Threads::Pool(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub fn count(self) -> usize {
        match self {
            Threads::One => 1,
            Threads::Pool(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProtocolOptions {
    /// Showers per generate call.
    pub batches: Vec<usize>,
    /// Showers per repeat; `None`: one batch per repeat.
    pub showers: Option<usize>,
    pub repeats: usize,
    pub threads: Vec<Threads>,
    pub seed: u64,
    /// Where the HDF5 files of the save step go (each is removed after it is timed).
    pub save_dir: PathBuf,
}

impl ProtocolOptions {
    pub fn showers_for(&self, batch: usize) -> usize {
        self.showers.unwrap_or(batch).max(1)
    }

    /// Showers generated over the whole run (for a progress bar).
    pub fn total_showers(&self) -> u64 {
        let per_repeat: usize = self.batches.iter().map(|&b| self.showers_for(b)).sum();
        (per_repeat * self.repeats * self.threads.len()) as u64
    }
}

/// One (threads, batch size) cell of the protocol; times in ms, over the repeats.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolRow {
    pub threads: usize,
    pub batch: usize,
    /// Showers generated and saved per repeat.
    pub showers: usize,
    pub repeats: usize,
    /// Points (or cells, or non-zero voxels) per shower.
    pub mean_points_per_shower: f64,
    /// One model load.
    pub load_ms: Summary,
    pub generate_ms_per_shower: Summary,
    pub save_ms_per_shower: Summary,
    /// (load + generate + save) / showers: the number 003's tables report.
    pub total_ms_per_shower: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtocolReport {
    pub model: String,
    pub stages: String,
    pub parameters: ParameterCounts,
    pub rows: Vec<ProtocolRow>,
}

/// Runs the protocol; `progress` is told the number of showers finished after every batch.
pub fn run_protocol(
    name: &str,
    loader: &Loader<'_>,
    opts: &ProtocolOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ProtocolReport> {
    if opts.batches.is_empty() || opts.batches.contains(&0) || opts.repeats == 0 {
        return Err(Error::Invalid(
            "need at least one batch size, all > 0, and at least one repeat".into(),
        ));
    }
    let probe = loader()?;
    let (parameters, stages) = (probe.parameters(), probe.stages());
    drop(probe);
    let mut rows = Vec::new();
    for &threads in &opts.threads {
        let pool = match threads {
            Threads::One => None,
            Threads::Pool(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .build()
                    .map_err(|e| Error::Invalid(format!("cannot start {n} threads: {e}")))?,
            ),
        };
        for &batch in &opts.batches {
            let showers = opts.showers_for(batch);
            let mut load = Vec::new();
            let (mut gen, mut save, mut total) = (Vec::new(), Vec::new(), Vec::new());
            let mut points = 0usize;
            for rep in 0..opts.repeats {
                let seed = opts
                    .seed
                    .wrapping_add(rep as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let t = Instant::now();
                let model = loader()?;
                let t_load = t.elapsed().as_secs_f64() * 1e3;
                let incidents = model.bench_incidents(showers, seed);
                let t = Instant::now();
                let mut out = Vec::with_capacity(showers.div_ceil(batch));
                for (k, chunk) in incidents.chunks(batch).enumerate() {
                    let s = seed.wrapping_add(k as u64 + 1);
                    let b = match &pool {
                        None => model.generate(chunk, s, 0, false)?,
                        Some(p) => p.install(|| model.generate(chunk, s, 0, true))?,
                    };
                    progress(b.len() as u64);
                    out.push(b);
                }
                let t_gen = t.elapsed().as_secs_f64() * 1e3;
                points += out.iter().map(n_entries).sum::<usize>();
                let dest = opts
                    .save_dir
                    .join(format!("bench_{name}_{threads:?}_{batch}_{rep}.h5"));
                let t = Instant::now();
                model.save(&out, &dest)?;
                let t_save = t.elapsed().as_secs_f64() * 1e3;
                std::fs::remove_file(&dest).map_err(|e| Error::io(&dest, e))?;
                let per = 1.0 / showers as f64;
                load.push(t_load);
                gen.push(t_gen * per);
                save.push(t_save * per);
                total.push((t_load + t_gen + t_save) * per);
            }
            let summary = |v: &[f64]| {
                Summary::of(v).ok_or_else(|| Error::Invalid("a timing was not finite".into()))
            };
            rows.push(ProtocolRow {
                threads: threads.count(),
                batch,
                showers,
                repeats: opts.repeats,
                mean_points_per_shower: points as f64 / (showers * opts.repeats) as f64,
                load_ms: summary(&load)?,
                generate_ms_per_shower: summary(&gen)?,
                save_ms_per_shower: summary(&save)?,
                total_ms_per_shower: summary(&total)?,
            });
        }
    }
    Ok(ProtocolReport {
        model: name.to_string(),
        stages,
        parameters,
        rows,
    })
}

fn n_entries(b: &ShowerBatch) -> usize {
    match b {
        ShowerBatch::Points(p) => p.n_points(),
        ShowerBatch::Cells(c) => c.n_cells(),
        ShowerBatch::Voxels(v) => v.energy.iter().filter(|&&e| e != 0.0).count(),
    }
}

/// The usual save hook: point clouds in `layout` (padded to the widest shower) or CaloChallenge
/// voxels, one file for all batches, written atomically by the calogen-data writers.
pub fn save_batches(batches: &[ShowerBatch], layout: &PointLayout, dest: &Path) -> Result<()> {
    let data_err = |e: calogen_data::DataError| Error::Invalid(e.to_string());
    match batches.first() {
        None => Err(Error::Invalid("nothing to save".into())),
        Some(ShowerBatch::Points(first)) => {
            let mut width = 0;
            for b in batches {
                match b {
                    ShowerBatch::Points(p) => width = width.max(p.max_points()),
                    _ => return Err(Error::Invalid("batches of mixed kinds".into())),
                }
            }
            let with_dir = first.direction.is_some();
            let mut w =
                PointsWriter::create(dest, layout.clone(), width, with_dir).map_err(data_err)?;
            for b in batches {
                if let ShowerBatch::Points(p) = b {
                    w.append(p).map_err(data_err)?;
                }
            }
            w.finish().map_err(data_err)
        }
        Some(ShowerBatch::Voxels(first)) => {
            let mut w = CaloChallengeWriter::create(dest, first.n_voxels).map_err(data_err)?;
            for b in batches {
                match b {
                    ShowerBatch::Voxels(v) => w.append(v).map_err(data_err)?,
                    _ => return Err(Error::Invalid("batches of mixed kinds".into())),
                }
            }
            w.finish().map_err(data_err)
        }
        Some(ShowerBatch::Cells(_)) => Err(Error::Invalid(
            "saving cell showers is not part of the protocol yet".into(),
        )),
    }
}
