//! `calogen calibrate`: the model family fits its occupancy calibration against Geant4 showers
//! projected here (parse → registry → family → project → write). CaloClouds II: its occupancy
//! calibration (paper 000, Sec. 3): cubic fits
//! of the Geant4 cells per point and of the generated points per cell, so that generated showers
//! light as many cells (above threshold) as Geant4 showers do. With `--model caloclouds3 --net`
//! the CaloClouds3 way (paper 001 §3.3): one fixed occupancy factor on the per-layer point counts.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use calogen_data::{CellShowers, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};
use calogen_models::{LoadOptions, Registry};

use super::conditions::{check_trained_range, Asked};
use super::write_text;

/// Fit the occupancy calibration of a model against Geant4 showers.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    calogen calibrate --data ../shared/data/ild_photons_train.h5 --n 1000 --out runs/cc2/calibration.json\n\
    calogen calibrate --model caloclouds3 --net runs/cc3/consistency_ema.safetensors --data ../shared/data/ild_photons_angular_train.h5 --n 700 --geometry ild-ecal-wide\n\
    The first --n showers of --data (training showers; keep held-out ones for evaluation) are\n\
    projected, the model generates showers at the same energies without calibration, and both\n\
    cell counts (cells above the geometry's threshold) enter the fits. CaloClouds3-style nets:\n\
    each shower is generated with its own Geant4 per-layer points and energies, and the factor\n\
    on the point counts that gives Geant4's mean cell count is found by a few secant steps;\n\
    it is written into the net's cc3_cm_config.json (or --out), which `generate --net` reads.")]
pub struct Args {
    /// Geant4 point-cloud file.
    #[arg(long)]
    pub data: PathBuf,
    /// A model family or model folder, as for `generate`; default: the embedded CaloClouds II
    /// model (its calibration is ignored). `caloclouds3`: the CaloClouds3-style net of --net.
    #[arg(long)]
    pub model: Option<String>,
    /// A network instead of the model's (caloclouds3: the one-step net, `calogen train distil`
    /// output, config beside it).
    #[arg(long)]
    pub net: Option<PathBuf>,
    /// Showers used (from the start of --data).
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    #[arg(long, default_value = "ild-ecal")]
    pub geometry: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output JSON (written to a temporary file, then renamed); caloclouds3: default the net's
    /// cc3_cm_config.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Calibrate even where the showers of --data (energies, polar angles) leave the model's
    /// trained range, which is refused otherwise.
    #[arg(long)]
    pub allow_extrapolation: bool,
}

/// Cells above threshold per shower.
pub fn cells_above(g: &PlanarGeometry, cells: &CellShowers) -> Vec<f64> {
    (0..cells.len())
        .map(|i| {
            let (a, b) = (cells.offsets[i], cells.offsets[i + 1]);
            (a..b)
                .filter(|&k| {
                    let l = g.layers.get(cells.layer[k] as usize);
                    l.is_some_and(|l| cells.energy[k] as f64 >= l.threshold_mev)
                })
                .count() as f64
        })
        .collect()
}

pub fn run(args: Args, registry: &Registry) -> Result<()> {
    let Geometry::Planar(g) = Geometry::load(&args.geometry)? else {
        bail!(
            "--geometry {}: calibration needs a planar geometry",
            args.geometry
        );
    };
    let file = calogen_data::open(&args.data, &ShowerFileOptions::default())?;
    let n = args.n.min(file.len());
    if n < 10 {
        bail!(
            "{}: {} showers; the cubic fits need at least 10",
            args.data.display(),
            n
        );
    }
    let ShowerBatch::Points(g4) = file.read(0..n)? else {
        bail!("{}: `events`: not a point-cloud file", args.data.display());
    };
    let opts = LoadOptions {
        net: args.net.clone(),
        ..LoadOptions::default()
    };
    let mut family = registry
        .load(args.model.as_deref(), &opts)
        .with_context(|| format!("--model {}", args.model.as_deref().unwrap_or("(default)")))?;
    family.set_geometry(&args.geometry)?;
    // The model generates at the Geant4 showers' conditions: outside its trained range the fit
    // would calibrate an extrapolation.
    let incidents = calogen_models::Incident::of_clouds(&g4);
    if let Some(asked) = Asked::of(&incidents) {
        let what = format!("--data {} (showers 0..{n})", args.data.display());
        check_trained_range(family.as_ref(), &asked, &what, args.allow_extrapolation)?;
    }
    let mut proj = CellProjector::new(&g);
    let mut count = |pc: &calogen_data::PointClouds| {
        let mut cells = CellShowers::new();
        proj.project(pc, &mut cells, &mut OutsideReport::default());
        Ok(cells_above(&g, &cells))
    };
    let cal = family.calibrate(&g4, &mut count, args.seed, &|line| println!("{line}"))?;
    let out = args
        .out
        .clone()
        .or(cal.default_out)
        .context("--out FILE: where to write the calibration JSON")?;
    write_text(&out, &cal.json)?;
    println!("{} written to {}", cal.message, out.display());
    Ok(())
}
