//! `calogen generate`: showers of any registered model family, from explicit conditions (energy,
//! polar and azimuthal angle, each a value or a range) or for the incident particles of a point
//! file (`--like`), written as points in the family's layout and/or as cells of a planar geometry.
//! One path for every family: parse → registry → family → project → write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::atomic::FileSet;
use calogen_data::formats::h5util::{write_file_attrs, FileAttr};
use calogen_data::formats::CellsWriter;
use calogen_data::{CellShowers, PointClouds, ShowerBatch};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};
use calogen_models::family::{append_clouds, training, TrainingShowers};
use calogen_models::{Incident, LoadOptions, ModelFamily, Registry};

use super::conditions::{
    check_trained_range, incidents, parse_angle, parse_energy, read_incidents, read_like,
    read_points, Asked,
};
use super::shard::{Shard, ATTR_MODEL, ATTR_SEED};
use crate::progress;

/// Generate showers with a model family (default: the embedded CaloClouds II model).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    calogen generate --energy 10GeV..90GeV --n 1000 --out showers.h5 --format both\n  \
    calogen generate --energy 50000 --n 100 --out cells.h5 --format cells --seed 7\n  \
    calogen generate --model runs/cc2 --energy 10000..90000 --n 1000 --out showers.h5\n  \
    calogen generate --net crates/models/assets/caloclouds2/teacher_edm.safetensors --energy 50GeV --n 10 --out heun.h5\n  \
    calogen generate --model caloclouds3 --energy 50GeV --theta 30deg --phi 45deg --n 100 --format both --out cc3.h5\n  \
    calogen generate --model caloclouds3 --energy 10GeV..90GeV --theta 0..40deg --phi -180..180 --n 100 --threads 2 --out cc3.h5\n  \
    calogen generate --model caloclouds3 --incidents incidents.txt --out cc3.h5   (lines `50GeV 30 45`)\n  \
    calogen generate --model caloclouds3 --like G4.h5 --like-showers 600..1200 --profiles G4.h5 --profiles-showers 0..600 --out cc3.h5\n  \
    calogen generate --model caloclouds3 --like G4.h5 --flow runs/cc3flow/showerflow.safetensors --out cc3.h5\n  \
    calogen generate --model caloclouds3 --net runs/cc3/consistency_ema.safetensors --like G4.h5 --flow runs/cc3flow/showerflow.safetensors --out own.h5\n  \
    calogen generate --energy 10GeV..90GeV --n 3000 --seed 7 --shard 1/3 --out part1.h5   (then `calogen merge`)\n\
    Energies are MeV unless suffixed (GeV, MeV); angles are degrees; a range draws uniformly (the\n\
    polar angle uniformly in solid angle), one shower at a time. Models: caloclouds2 (default),\n\
    caloclouds3 (official weights; per-layer profiles from --flow, --profiles or, without either,\n\
    a stand-in fitted to Geant4), or a model folder.")]
pub struct Args {
    /// A model family (caloclouds2, caloclouds3) or a model folder (its family.json names the
    /// family, or its files do: pointwise.safetensors, cc3_cm_config.json,
    /// caloscore2.safetensors — CaloScore v2, voxels, folder only); default: caloclouds2.
    #[arg(long)]
    pub model: Option<String>,
    /// Simulate the incident particles (energy, direction) of this shower file (points, voxels or
    /// cells; voxel and cell files give perpendicular incidence).
    #[arg(long, conflicts_with_all = ["energy", "n", "theta", "phi", "incidents"])]
    pub like: Option<PathBuf>,
    /// Simulate the incidents listed in this text file, one per line: `ENERGY [THETA [PHI]]`
    /// (energy as for --energy, angles in degrees, default 0; `#` starts a comment).
    #[arg(long, conflicts_with_all = ["energy", "n", "theta", "phi"])]
    pub incidents: Option<PathBuf>,
    /// Showers A..B of --like.
    #[arg(long, requires = "like")]
    pub like_showers: Option<String>,
    /// Geant4 point file whose per-layer profiles stand in for the ShowerFlow (caloclouds3).
    #[arg(long)]
    pub profiles: Option<PathBuf>,
    /// Showers A..B of --profiles.
    #[arg(long, requires = "profiles")]
    pub profiles_showers: Option<String>,
    /// A ShowerFlow trained by `calogen train showerflow` (config `direction = true`) for the
    /// per-layer profiles (caloclouds3), instead of --profiles.
    #[arg(long, conflicts_with = "profiles")]
    pub flow: Option<PathBuf>,
    /// A network file to use instead of the model's (caloclouds2: e.g. the EDM teacher,
    /// `teacher_edm.safetensors`, sampled with Heun, as its metadata says; caloclouds3: a one-step
    /// net trained here, `calogen train distil` with a [E, direction] config, `cc3_cm_config.json`
    /// beside it).
    #[arg(long)]
    pub net: Option<PathBuf>,
    /// Incident energy: a value or a range LO..HI, MeV unless suffixed with GeV/MeV.
    #[arg(long, required_unless_present_any = ["like", "incidents"])]
    pub energy: Option<String>,
    /// Polar angle from the layer normal, degrees: a value or a range LO..HI (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub theta: Option<String>,
    /// Azimuthal angle, degrees: a value or a range LO..HI (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub phi: Option<String>,
    /// Number of showers (with --like: one per shower of the file).
    #[arg(long, required_unless_present_any = ["like", "incidents"])]
    pub n: Option<usize>,
    /// Output HDF5 file (with --format both: the points; the cells go to <stem>_cells.h5).
    #[arg(long)]
    pub out: PathBuf,
    /// points (the family's point layout), cells (of --geometry), or both.
    #[arg(long, default_value = "points")]
    pub format: String,
    /// Planar geometry of the cells (and of the layer depths families such as caloclouds3 tilt
    /// the showers with); default: the family's (ild-ecal).
    #[arg(long)]
    pub geometry: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (the showers do not depend on it).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Generate even where the conditions (energy, polar angle; given or of --like) leave the
    /// model's trained range, which is refused otherwise; the files then carry the HDF5
    /// attribute `calogen_extrapolated = true` beside the trained and the asked ranges.
    #[arg(long)]
    pub allow_extrapolation: bool,
    /// Make only shard i of n (0 ≤ i < n) of the run: the showers of global indices
    /// i·N/n .. (i+1)·N/n, identical to those of the single run with the same seed, recorded in
    /// the file's attributes for `calogen merge`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn cells_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}_cells.h5"))
}

/// The planar geometry of `--geometry` for the cells: loaded (and refused if unknown or not
/// planar) before any shower is made, not after minutes of generation.
fn planar_geometry(geometry: &str) -> Result<PlanarGeometry> {
    match Geometry::load(geometry).with_context(|| format!("--geometry {geometry}"))? {
        Geometry::Planar(g) => Ok(g),
        _ => bail!("--geometry {geometry}: cells need a planar geometry"),
    }
}

pub fn project_cells(g: &PlanarGeometry, pc: &PointClouds) -> (CellShowers, OutsideReport) {
    let mut cells = CellShowers::new();
    let mut report = OutsideReport::default();
    CellProjector::new(g).project(pc, &mut cells, &mut report);
    (cells, report)
}

/// The family of `--model` with the options of `args` (`--net`, `--flow`, `--profiles`), adapted
/// to `--geometry`; returns it with the geometry's name.
fn load_family(args: &Args, registry: &Registry) -> Result<(Box<dyn ModelFamily>, String)> {
    let profiles = match &args.profiles {
        Some(p) => Some((
            read_points(p, args.profiles_showers.as_deref(), "profiles")?,
            p.display().to_string(),
        )),
        None => None,
    };
    let opts = LoadOptions {
        net: args.net.clone(),
        flow: args.flow.clone(),
        profiles,
    };
    let mut family = registry
        .load(args.model.as_deref(), &opts)
        .with_context(|| format!("--model {}", args.model.as_deref().unwrap_or("(default)")))?;
    let geometry = args
        .geometry
        .clone()
        .unwrap_or_else(|| family.geometry().to_string());
    family.set_geometry(&geometry)?;
    Ok((family, geometry))
}

/// The incident particles of `args` (explicit conditions or --like), checked against the
/// family's trained range (refused outside it unless --allow-extrapolation); the energy range for
/// the summary, the conditions asked and whether they extrapolate.
struct Conditions {
    incidents: Vec<Incident>,
    energy_mev: Option<[f32; 2]>,
    asked: Asked,
    extrapolated: bool,
}

fn incidents_of(args: &Args, family: &dyn ModelFamily) -> Result<Conditions> {
    if let Some(like) = &args.like {
        let incidents = read_like(like, args.like_showers.as_deref())?;
        let Some(asked) = Asked::of(&incidents) else {
            bail!("--like {}: no showers to simulate", like.display());
        };
        let what = format!("--like {}", like.display());
        let extrapolated = check_trained_range(family, &asked, &what, args.allow_extrapolation)?;
        return Ok(Conditions {
            incidents,
            energy_mev: None,
            asked,
            extrapolated,
        });
    }
    if let Some(list) = &args.incidents {
        let incidents = read_incidents(list)?;
        let asked = Asked::of(&incidents).expect("read_incidents refuses an empty list");
        let what = format!("--incidents {}", list.display());
        let extrapolated = check_trained_range(family, &asked, &what, args.allow_extrapolation)?;
        return Ok(Conditions {
            incidents,
            energy_mev: None,
            asked,
            extrapolated,
        });
    }
    let (Some(energy), Some(n)) = (args.energy.as_deref(), args.n) else {
        bail!("--energy and --n are required without --like");
    };
    if n == 0 {
        bail!("--n must be at least 1");
    }
    let (lo, hi) = parse_energy(energy)?;
    let theta = match &args.theta {
        Some(t) => parse_angle(t, "theta")?,
        None => (0.0, 0.0),
    };
    let phi = match &args.phi {
        Some(p) => parse_angle(p, "phi")?,
        None => (0.0, 0.0),
    };
    if theta.0 < 0.0 || theta.1 >= 90.0 {
        bail!("--theta: the polar angle must be in [0, 90) degrees");
    }
    let asked = Asked {
        energy_gev: (lo as f64 / 1e3, hi as f64 / 1e3),
        theta_deg: theta,
    };
    let mut what = format!("--energy {energy}");
    if let Some(t) = &args.theta {
        what += &format!(" --theta {t}");
    }
    let extrapolated = check_trained_range(family, &asked, &what, args.allow_extrapolation)?;
    Ok(Conditions {
        incidents: incidents((lo, hi), theta, phi, n, args.seed),
        energy_mev: Some([lo, hi]),
        asked,
        extrapolated,
    })
}

pub fn run(args: Args, registry: &Registry) -> Result<()> {
    let (points, cells) = match args.format.as_str() {
        "points" => (Some(args.out.clone()), None),
        "cells" => (None, Some(args.out.clone())),
        "both" => (Some(args.out.clone()), Some(cells_path(&args.out))),
        f => bail!("--format {f}: expected points, cells or both"),
    };
    // The outputs' folder is checked now, before any shower is made, and the files appear
    // together at the end (points and cells of `--format both` as one set: a kill leaves the old
    // pair or the new pair, never a mix).
    let dests: Vec<PathBuf> = points.iter().chain(cells.iter()).cloned().collect();
    let set = FileSet::new(&dests)?;
    let staged = |dest: &Path| -> PathBuf {
        let i = dests
            .iter()
            .position(|d| d == dest)
            .expect("a member of the set");
        set.path_for(i).to_path_buf()
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let (family, geometry) = load_family(&args, registry)?;
    let planar = match &cells {
        Some(_) => Some(planar_geometry(&geometry)?),
        // Points only: the name is still checked, so a typo is not silently ignored.
        None => {
            Geometry::load(&geometry).with_context(|| format!("--geometry {geometry}"))?;
            None
        }
    };
    let Conditions {
        incidents,
        energy_mev: energy_range,
        asked,
        extrapolated,
    } = incidents_of(&args, family.as_ref())?;
    let mut attrs = asked.attributes(&family.trained_range(), extrapolated);
    attrs.push((ATTR_MODEL, FileAttr::Text(family.describe())));
    attrs.push((ATTR_SEED, FileAttr::U64s(vec![args.seed])));
    // Which Geant4 showers trained the model, so that `evaluate` can warn when they are the
    // reference: a model folder's training.json, else what a built-in model knows.
    let folder = args.model.as_deref().map(Path::new).filter(|p| p.is_dir());
    let training = match folder {
        Some(d) => TrainingShowers::read_dir(d)?,
        None => None,
    }
    .or_else(|| family.training_showers());
    if let Some(t) = &training {
        attrs.push((training::ATTR, FileAttr::Text(t.to_json())));
    }
    if incidents.is_empty() {
        bail!("no incident particles to simulate");
    }
    // A shard makes its slice of the run's incidents (drawn for all N, so the conditions are the
    // single run's), with their global indices as shower streams.
    let global = match shard {
        Some(s) => {
            let r = s.range(incidents.len())?;
            attrs.extend(s.attributes(&r, incidents.len()));
            r
        }
        None => 0..incidents.len(),
    };
    let incidents = &incidents[global.clone()];
    let n = incidents.len();
    let threads = args.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let pb = progress::bar(n as u64, "generating");
    let t0 = Instant::now();
    let chunk = 64 * threads;
    let mut pc = PointClouds::new();
    let mut voxels = Vec::new();
    for (c, part) in incidents.chunks(chunk).enumerate() {
        let first = (global.start + c * chunk) as u64;
        let got = if threads > 1 {
            pool.install(|| family.generate(part, args.seed, first, true))?
        } else {
            family.generate(part, args.seed, first, false)?
        };
        match got {
            ShowerBatch::Points(p) => append_clouds(&mut pc, &p),
            other => voxels.push(other),
        }
        pb.inc(part.len() as u64);
    }
    let gen_s = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if !voxels.is_empty() {
        if cells.is_some() {
            bail!(
                "--format {}: the {} model makes voxels, written as they are (--format points)",
                args.format,
                family.name()
            );
        }
        let t1 = Instant::now();
        family.save(&voxels, &staged(&args.out))?;
        write_file_attrs(&staged(&args.out), &attrs)?;
        set.commit()?;
        println!(
            "{n} {} showers (voxels) generated in {gen_s:.2} s; written in {:.2} s\n  {}",
            family.name(),
            t1.elapsed().as_secs_f64(),
            args.out.display()
        );
        return Ok(());
    }
    // Projection timed on its own: with the generation it makes the end-to-end time per shower.
    let t_proj = Instant::now();
    let projected = planar.as_ref().map(|g| project_cells(g, &pc).0);
    let proj_s = t_proj.elapsed().as_secs_f64();
    let n_points = pc.n_points();
    let t1 = Instant::now();
    if let Some(p) = &points {
        family.save(&[ShowerBatch::Points(pc)], &staged(p))?;
        write_file_attrs(&staged(p), &attrs)?;
    }
    let mut n_cells = 0;
    if let (Some(p), Some(c)) = (&cells, &projected) {
        n_cells = c.n_cells();
        let mut w = CellsWriter::create(&staged(p), &geometry, false)?;
        w.append(c)?;
        w.finish()?;
        write_file_attrs(&staged(p), &attrs)?;
    }
    set.commit()?;
    let write_s = t1.elapsed().as_secs_f64();
    let mut summary = serde_json::json!({
        "family": family.name(),
        "model": family.describe(),
        "showers": n,
        "points": n_points,
        "cells": n_cells,
        "energy_mev": energy_range,
        "extrapolated": extrapolated,
        "like": args.like.as_ref().map(|p| p.display().to_string()),
        "geometry": geometry,
        "seed": args.seed,
        "shard": shard.map(|s| serde_json::json!({"index": s.index, "count": s.count, "range": [global.start, global.end]})),
        "threads": threads,
        "net": args.net.as_ref().map(|p| p.display().to_string()),
        "generate_seconds": gen_s,
        "project_seconds": proj_s,
        "ms_per_shower_end_to_end": 1e3 * (gen_s + proj_s) / n as f64,
        "write_seconds": write_s,
        "points_file": points.as_ref().map(|p| p.display().to_string()),
        "cells_file": cells.as_ref().map(|p| p.display().to_string()),
    });
    if let Some(m) = summary.as_object_mut() {
        m.extend(family.details());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} {} showers ({} points{}) generated in {:.2} s ({:.2} ms/shower, {} thread(s)); \
             projected in {:.3} s; written in {:.2} s",
            n,
            family.name(),
            n_points,
            if cells.is_some() {
                format!(", {n_cells} cells")
            } else {
                String::new()
            },
            gen_s,
            1e3 * gen_s / n as f64,
            threads,
            proj_s,
            write_s
        );
        for p in points.iter().chain(cells.iter()) {
            println!("  {}", p.display());
        }
    }
    Ok(())
}
