//! `calogen generate --model caloclouds3`: the official CaloClouds3 consistency model (embedded)
//! for the incident particles of a Geant4 file, so its showers can be evaluated against that
//! file's showers at the same energies and angles.
//!
//! The per-layer points and energies come from a ShowerFlow trained here on showers at angles
//! (`--flow`: `calogen train showerflow` with `direction = true`), or from real Geant4 showers
//! (`--profiles`: the shower nearest in energy and direction; keep them apart from the showers you
//! evaluate against), which tests the point network alone.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::formats::PointsWriter;
use calogen_data::{PointClouds, PointLayout, ShowerFileOptions};
use calogen_geometry::BarrelGeometry;
use calogen_geometry::Geometry;
use calogen_models::caloclouds2::shower_rng;
use calogen_models::caloclouds2::Cc2ShowerFlow;
use calogen_models::caloclouds3::{
    Cc3Model, Cc3Pipeline, Condition, EmpiricalProfiles, LayerProfileSampler, CONFIG_FILE,
};
use calogen_models::postprocess::{Cc3ScaleFactors, TiltShift};

use super::generate::Args;
use crate::progress;

/// Point clouds of `path[range]` (all showers without a range).
pub fn read_points(path: &Path, range: Option<&str>, what: &str) -> Result<PointClouds> {
    let file = calogen_data::open(path, &ShowerFileOptions::default())?;
    let Some(points) = file.points() else {
        bail!(
            "{}: `events`: --{what} needs a point-cloud file (detected {})",
            path.display(),
            file.kind().name()
        );
    };
    let r = super::evaluate::parse_range(range, points.len(), what)?;
    Ok(points.read(r)?)
}

/// The CaloClouds3 pipeline: the official network (embedded) or `net` (a CaloClouds3-style net
/// trained here, with its `cc3_cm_config.json`), the tilt put back with the depths of `geometry`.
/// Returns the pipeline, a description of the network and where the tilt depths come from.
pub fn pipeline(net: Option<&Path>, geometry: &str) -> Result<(Cc3Pipeline, String, String)> {
    let (mut pipe, model_name) = match net {
        None => (
            Cc3Pipeline::embedded(Cc3ScaleFactors::default())
                .context("loading the embedded CaloClouds3 model")?,
            "caloclouds3 (official consistency model, embedded)".to_string(),
        ),
        Some(w) => {
            let cfg = w.with_file_name(CONFIG_FILE);
            let model = Cc3Model::from_safetensors(w, &cfg).with_context(|| {
                format!(
                    "--net {}: a CaloClouds3-style one-step net with {} beside it",
                    w.display(),
                    cfg.display()
                )
            })?;
            let barrel = BarrelGeometry::load("ild-ecal-barrel")?;
            // Trained on our showers with the exact normalisation: none of the official
            // network's deployment factors, only what `calogen calibrate` fitted for it.
            let scale = model
                .config()
                .scale_factors
                .unwrap_or_else(Cc3ScaleFactors::identity);
            (
                Cc3Pipeline::new(model, barrel, scale)?,
                format!("caloclouds3-style net {}", w.display()),
            )
        }
    };
    // The network draws showers with the tilt removed; the shift put back is geometric (depth of
    // each layer × tan of the angle), so it must use the depths of the detector the showers are
    // meant for: a planar --geometry's own layers (gun 1 mm in front of the first absorber, as in
    // ../shared/data), or the ILD barrel's (the official model's detector).
    let tilt_depths = match Geometry::load(geometry)? {
        Geometry::Planar(g) => {
            let tilt = TiltShift::planar(&g)?;
            if tilt.n_layers() != pipe.n_layers() {
                bail!(
                    "--geometry {geometry}: {} layers, the CaloClouds3 model has {}",
                    tilt.n_layers(),
                    pipe.n_layers()
                );
            }
            pipe.tilt = tilt;
            geometry.to_string()
        }
        Geometry::Barrel(b) => b.name.clone(),
        Geometry::CaloChallenge(_) => {
            bail!("--geometry {geometry}: CaloClouds3 showers need the ILD layers")
        }
    };
    Ok((pipe, model_name, tilt_depths))
}

/// One shower per incident particle of `targets` (energy, direction; perpendicular where the
/// file has none), shower `i` from the seed's stream `i`.
pub fn generate_like(
    pipe: &Cc3Pipeline,
    profiles: &dyn LayerProfileSampler,
    targets: &PointClouds,
    seed: u64,
) -> Result<PointClouds> {
    let at = pipe.barrel.gun_placement();
    let dirs = targets
        .direction
        .clone()
        .unwrap_or_else(|| vec![[0.0, 0.0, 1.0]; targets.len()]);
    let mut b = pipe.buffers();
    let mut out = PointClouds::new();
    out.direction = Some(Vec::new());
    let pb = progress::bar(targets.len() as u64, "generating");
    for (i, (&e, d)) in targets.incident_energy.iter().zip(&dirs).enumerate() {
        let c = Condition {
            energy_gev: e / 1000.0,
            direction: *d,
        };
        let mut rng = shower_rng(seed, i as u64);
        pipe.generate(&mut b, profiles, &c, at, &mut rng)?;
        out.push(&b.x, &b.y, &[], &b.layer, &b.energy, e, Some(*d));
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(out)
}

pub fn run(args: &Args) -> Result<()> {
    let like = args
        .like
        .as_ref()
        .context("--model caloclouds3 needs --like FILE: the incident particles to simulate")?;
    let targets = read_points(like, args.like_showers.as_deref(), "like")?;
    let (pipe, model_name, tilt_depths) = pipeline(args.net.as_deref(), &args.geometry)?;
    let (profiles, profiles_from): (Box<dyn LayerProfileSampler>, String) =
        match (&args.flow, &args.profiles) {
            (Some(f), _) => (
                Box::new(Cc2ShowerFlow::load(f)?),
                format!("ShowerFlow {}", f.display()),
            ),
            (None, Some(p)) => {
                let pool = read_points(p, args.profiles_showers.as_deref(), "profiles")?;
                (
                    Box::new(EmpiricalProfiles::from_clouds(&pool, pipe.n_layers())?),
                    format!("Geant4 profiles {}", p.display()),
                )
            }
            (None, None) => bail!(
                "--model caloclouds3 needs --flow FILE (a trained ShowerFlow) or --profiles FILE \
                 (Geant4 showers whose per-layer points and energies stand in for one)"
            ),
        };
    let t0 = Instant::now();
    let out = generate_like(&pipe, profiles.as_ref(), &targets, args.seed)?;
    let secs = t0.elapsed().as_secs_f64();
    let mut w = PointsWriter::create(
        &args.out,
        PointLayout::caloclouds3(),
        out.max_points(),
        true,
    )?;
    w.append(&out)?;
    w.finish()?;
    let summary = serde_json::json!({
        "model": model_name,
        "showers": out.len(),
        "points": out.n_points(),
        "like": like.display().to_string(),
        "profiles": profiles_from,
        "tilt_depths_from": tilt_depths,
        "seed": args.seed,
        "seconds": secs,
        "ms_per_shower": 1e3 * secs / out.len().max(1) as f64,
        "output": args.out.display().to_string(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} CaloClouds3 showers ({} points) in {:.2} s ({:.2} ms/shower, 1 thread)\n  {}",
            out.len(),
            out.n_points(),
            secs,
            1e3 * secs / out.len().max(1) as f64,
            args.out.display()
        );
    }
    Ok(())
}
