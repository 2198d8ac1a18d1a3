//! `calogen generate`: CaloClouds II showers (ShowerFlow → PointWise Net → calibrations), as points
//! in the CaloClouds II layout and/or as cells of the ILD-like ECAL.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::formats::{CellsWriter, PointsWriter};
use calogen_data::{CellShowers, PointClouds, PointLayout};
use calogen_geometry::{CellProjector, Geometry, OutsideReport};
use calogen_models::caloclouds2::{Cc2Model, Cc2Network};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::progress;

/// Generate photon showers with CaloClouds II (the embedded model unless --model is given).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    calogen generate --energy 10GeV..90GeV --n 1000 --out showers.h5 --format both\n  \
    calogen generate --energy 50000 --n 100 --out cells.h5 --format cells --seed 7\n  \
    calogen generate --model runs/cc2 --energy 10000..90000 --n 1000 --out showers.h5\n  \
    calogen generate --net crates/models/assets/caloclouds2/teacher_edm.safetensors --energy 50GeV --n 10 --out heun.h5\n  \
    calogen generate --model caloclouds3 --like G4.h5 --like-showers 600..1200 --profiles G4.h5 --profiles-showers 0..600 --out cc3.h5\n  \
    calogen generate --model caloclouds3 --like G4.h5 --flow runs/cc3flow/showerflow.safetensors --out cc3.h5\n  \
    calogen generate --model caloclouds3 --net runs/cc3/consistency_ema.safetensors --like G4.h5 --flow runs/cc3flow/showerflow.safetensors --out own.h5\n\
    Energies are MeV unless suffixed (GeV, MeV); a range draws uniformly, one shower at a time.")]
pub struct Args {
    /// Model directory (showerflow.safetensors, pointwise.safetensors, calibration.json);
    /// default: the embedded CaloClouds II model. `caloclouds3`: the official CaloClouds3
    /// consistency model (embedded) for the incident particles of --like, with the per-layer
    /// points and energies of a ShowerFlow (--flow) or of Geant4 showers (--profiles).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// caloclouds3: simulate the incident particles (energy, direction) of this point file.
    #[arg(long)]
    pub like: Option<PathBuf>,
    /// caloclouds3: showers A..B of --like.
    #[arg(long)]
    pub like_showers: Option<String>,
    /// caloclouds3: Geant4 point file whose per-layer profiles stand in for the ShowerFlow.
    #[arg(long)]
    pub profiles: Option<PathBuf>,
    /// caloclouds3: showers A..B of --profiles.
    #[arg(long)]
    pub profiles_showers: Option<String>,
    /// caloclouds3: a ShowerFlow trained by `calogen train showerflow` (config `direction =
    /// true`), its `showerflow.safetensors`, instead of --profiles.
    #[arg(long, conflicts_with = "profiles")]
    pub flow: Option<PathBuf>,
    /// A PointWise Net file to use instead of the model's (e.g. the EDM teacher,
    /// `teacher_edm.safetensors`, sampled with Heun); its metadata says which sampler runs.
    /// caloclouds3: a one-step net trained here (`calogen train distil` with a [E, direction]
    /// config, `cc3_cm_config.json` beside it) instead of the official one.
    #[arg(long)]
    pub net: Option<PathBuf>,
    /// Incident energy: a value or a range LO..HI, MeV unless suffixed with GeV/MeV
    /// (CaloClouds II; caloclouds3 takes the energies of --like).
    #[arg(long, required_unless_present = "like")]
    pub energy: Option<String>,
    /// Number of showers (CaloClouds II; caloclouds3 makes one per --like shower).
    #[arg(long, required_unless_present = "like")]
    pub n: Option<usize>,
    /// Output HDF5 file (with --format both: the points; the cells go to <stem>_cells.h5).
    #[arg(long)]
    pub out: PathBuf,
    /// points (CaloClouds II layout), cells (ILD-like ECAL cells), or both.
    #[arg(long, default_value = "points")]
    pub format: String,
    /// Geometry for cells.
    #[arg(long, default_value = "ild-ecal")]
    pub geometry: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (the showers do not depend on it).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses "50000", "50GeV", "10GeV..90GeV", "10000..90000 MeV" into MeV bounds.
pub fn parse_energy(s: &str) -> Result<(f32, f32)> {
    let one = |v: &str| -> Result<f32> {
        let t = v.trim();
        let lower = t.to_ascii_lowercase();
        let (num, scale) = if let Some(n) = lower.strip_suffix("gev") {
            (n, 1000.0)
        } else if let Some(n) = lower.strip_suffix("mev") {
            (n, 1.0)
        } else {
            (lower.as_str(), 1.0)
        };
        let x: f64 = num
            .trim()
            .parse()
            .with_context(|| format!("--energy: `{t}` is not a number (MeV, or with GeV/MeV)"))?;
        let e = x * scale;
        if !(e.is_finite() && e > 0.0) {
            bail!("--energy: `{t}` must be positive");
        }
        Ok(e as f32)
    };
    let s = s.trim();
    let (lo, hi) = match s.split_once("..") {
        Some((a, b)) => {
            // A unit written once at the end applies to both ends.
            let unit = ["GeV", "gev", "MeV", "mev"]
                .into_iter()
                .find(|u| b.trim_end().ends_with(u) && !a.to_ascii_lowercase().ends_with("ev"));
            match unit {
                Some(u) => (one(&format!("{a}{u}"))?, one(b)?),
                None => (one(a)?, one(b)?),
            }
        }
        None => {
            let e = one(s)?;
            (e, e)
        }
    };
    if lo > hi {
        bail!("--energy: the range {lo}..{hi} MeV is empty");
    }
    Ok((lo, hi))
}

/// The incident energies: uniform in [lo, hi] from the seed's own stream.
pub fn energies(lo: f32, hi: f32, n: usize, seed: u64) -> Vec<f32> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(u64::MAX);
    (0..n)
        .map(|_| if hi > lo { r.random_range(lo..=hi) } else { lo })
        .collect()
}

pub fn load_model(model: Option<&Path>) -> Result<Cc2Model> {
    Ok(match model {
        Some(d) => Cc2Model::from_dir(d)?,
        None => Cc2Model::embedded()?,
    })
}

fn cells_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}_cells.h5"))
}

pub fn project_cells(geometry: &str, pc: &PointClouds) -> Result<(CellShowers, OutsideReport)> {
    let Geometry::Planar(g) = Geometry::load(geometry)? else {
        bail!("--geometry {geometry}: cells need a planar geometry");
    };
    let mut cells = CellShowers::new();
    let mut report = OutsideReport::default();
    CellProjector::new(&g).project(pc, &mut cells, &mut report);
    Ok((cells, report))
}

pub fn run(args: Args) -> Result<()> {
    let is_cc3 = args.model.as_deref() == Some(Path::new("caloclouds3"));
    if is_cc3 && !Path::new("caloclouds3").is_dir() {
        return super::generate_cc3::run(&args);
    }
    if args.like.is_some() || args.profiles.is_some() || args.flow.is_some() {
        bail!("--like/--profiles/--flow belong to --model caloclouds3");
    }
    let (Some(energy), Some(n)) = (args.energy.as_deref(), args.n) else {
        bail!("--energy and --n are required for CaloClouds II");
    };
    let (points, cells) = match args.format.as_str() {
        "points" => (Some(args.out.clone()), None),
        "cells" => (None, Some(args.out.clone())),
        "both" => (Some(args.out.clone()), Some(cells_path(&args.out))),
        f => bail!("--format {f}: expected points, cells or both"),
    };
    if n == 0 {
        bail!("--n must be at least 1");
    }
    let (lo, hi) = parse_energy(energy)?;
    // A bare `10..90` is MeV (calogen's unit), far below any photon the model has seen; almost
    // always the user meant GeV.
    if lo < 1000.0 {
        bail!(
            "--energy {energy}: {lo} MeV is below 1 GeV, outside the model's training range \
             (CaloClouds II: 10-90 GeV); bare numbers are MeV, write e.g. 10GeV..90GeV"
        );
    }
    let mut model = load_model(args.model.as_deref())?;
    if let Some(p) = &args.net {
        model.net = Cc2Network::load(p)?;
    }
    let es = energies(lo, hi, n, args.seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()?;
    let pb = progress::bar(n as u64, "generating");
    let t0 = Instant::now();
    let chunk = 64;
    let mut pc = PointClouds::new();
    for (c, part) in es.chunks(chunk * args.threads.max(1)).enumerate() {
        let seed_offset = (c * chunk * args.threads.max(1)) as u64;
        let got = pool.install(|| model.generate_parallel(part, args.seed, seed_offset, chunk))?;
        for s in got.iter() {
            pc.push(
                s.x,
                s.y,
                s.z,
                s.layer,
                s.energy,
                s.incident_energy,
                s.direction,
            );
        }
        pb.inc(part.len() as u64);
    }
    let gen_s = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    // Projection timed on its own: with the generation it makes the end-to-end time per shower.
    let t_proj = Instant::now();
    let projected = match &cells {
        Some(_) => Some(project_cells(&args.geometry, &pc)?.0),
        None => None,
    };
    let proj_s = t_proj.elapsed().as_secs_f64();
    let t1 = Instant::now();
    if let Some(p) = &points {
        let mut w = PointsWriter::create(p, PointLayout::caloclouds2(), pc.max_points(), false)?;
        w.append(&pc)?;
        w.finish()?;
    }
    let mut n_cells = 0;
    if let (Some(p), Some(c)) = (&cells, &projected) {
        n_cells = c.n_cells();
        let mut w = CellsWriter::create(p, &args.geometry, false)?;
        w.append(c)?;
        w.finish()?;
    }
    let summary = serde_json::json!({
        "showers": n,
        "points": pc.n_points(),
        "cells": n_cells,
        "energy_mev": [lo, hi],
        "seed": args.seed,
        "threads": args.threads,
        "model": args.model.as_ref().map_or("embedded".to_string(), |p| p.display().to_string()),
        "net": args.net.as_ref().map(|p| p.display().to_string()),
        "sampler": format!("{:?}", model.net.kind),
        "generate_seconds": gen_s,
        "project_seconds": proj_s,
        "ms_per_shower_end_to_end": 1e3 * (gen_s + proj_s) / n as f64,
        "write_seconds": t1.elapsed().as_secs_f64(),
        "points_file": points.as_ref().map(|p| p.display().to_string()),
        "cells_file": cells.as_ref().map(|p| p.display().to_string()),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} showers ({} points{}) generated in {:.2} s ({:.2} ms/shower, {} thread(s)); \
             projected in {:.3} s; written in {:.2} s",
            n,
            pc.n_points(),
            if cells.is_some() {
                format!(", {n_cells} cells")
            } else {
                String::new()
            },
            gen_s,
            1e3 * gen_s / n as f64,
            args.threads,
            proj_s,
            t1.elapsed().as_secs_f64()
        );
        for p in points.iter().chain(cells.iter()) {
            println!("  {}", p.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_units_and_ranges() {
        assert_eq!(parse_energy("50000").unwrap(), (50_000.0, 50_000.0));
        assert_eq!(parse_energy("50GeV").unwrap(), (50_000.0, 50_000.0));
        assert_eq!(parse_energy("10GeV..90GeV").unwrap(), (10_000.0, 90_000.0));
        assert_eq!(parse_energy("10..90 GeV").unwrap(), (10_000.0, 90_000.0));
        assert_eq!(parse_energy("10000..90000").unwrap(), (10_000.0, 90_000.0));
        assert!(parse_energy("90..10").is_err());
        assert!(parse_energy("-5").is_err());
        assert!(parse_energy("ten").is_err());
    }
}
