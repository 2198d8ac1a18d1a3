//! `calogen calibrate`: fits the CaloClouds II occupancy calibration (paper 000, Sec. 3): cubic fits
//! of the Geant4 cells per point and of the generated points per cell, so that generated showers
//! light as many cells (above threshold) as Geant4 showers do. With `--model caloclouds3 --net`
//! the CaloClouds3 way (paper 001 §3.3): one fixed occupancy factor on the per-layer point counts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use calogen_data::{CellShowers, PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};
use calogen_models::caloclouds3::{EmpiricalProfiles, CONFIG_FILE};
use calogen_models::postprocess::{Cc3ScaleFactors, OccupancyCalibration};

use super::generate::load_model;
use super::{generate_cc3, write_json};
use crate::progress;

/// Fit the occupancy calibration of a CaloClouds II model against Geant4 showers.
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
    /// Model directory; default: the embedded model (its calibration is ignored).
    /// `caloclouds3`: the CaloClouds3-style net of --net.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// caloclouds3: the one-step net (`calogen train distil` output, config beside it).
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
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The CaloClouds3 occupancy factor of a net trained here.
fn run_cc3(args: &Args, g: &PlanarGeometry, g4: &PointClouds) -> Result<()> {
    let net = args.net.as_deref().context(
        "--model caloclouds3: calibrate needs --net FILE (a CaloClouds3-style net trained here; \
         the official network's factors are fixed)",
    )?;
    let (mut pipe, _, _) = generate_cc3::pipeline(Some(net), &args.geometry)?;
    let profiles = EmpiricalProfiles::from_clouds(g4, pipe.n_layers())?;
    let mut proj = CellProjector::new(g);
    let mut count = |pc: &PointClouds| {
        let mut cells = CellShowers::new();
        proj.project(pc, &mut cells, &mut OutsideReport::default());
        mean(&cells_above(g, &cells))
    };
    let g4_cells = count(g4);
    // Cells grow sublinearly with points (cells ∝ points^α, α < 1 as points share cells), so the
    // factor is found by secant steps on ln(cells) against ln(factor), each changing it by at
    // most 2× inside [1/20, 20]; the best factor measured is kept (with a warning when it still
    // misses by more than 1 %).
    const RANGE: (f64, f64) = (0.05, 20.0);
    let mut scale = Cc3ScaleFactors::identity();
    let mut last: Option<(f64, f64)> = None;
    let mut best = (f64::INFINITY, 1.0);
    for step in 1..=6 {
        pipe.scale = scale;
        let gen_cells = count(&generate_cc3::generate_like(
            &pipe, &profiles, g4, args.seed,
        )?);
        println!(
            "step {step}: occupancy {:.4}: generated {gen_cells:.1} cells per shower, Geant4 {g4_cells:.1}",
            scale.occupancy
        );
        if !gen_cells.is_finite() || gen_cells <= 0.0 {
            bail!("no generated cells above threshold: cannot fit an occupancy factor");
        }
        let ratio = g4_cells / gen_cells;
        if ratio.ln().abs() < best.0 {
            best = (ratio.ln().abs(), scale.occupancy);
        }
        if (ratio - 1.0).abs() < 0.003 {
            break;
        }
        let (lf, lc) = (scale.occupancy.ln(), gen_cells.ln());
        let alpha = match last {
            Some((pf, pc)) if (lf - pf).abs() > 1e-6 => ((lc - pc) / (lf - pf)).clamp(0.1, 1.0),
            _ => 1.0,
        };
        last = Some((lf, lc));
        scale.occupancy =
            (scale.occupancy * ratio.powf(1.0 / alpha).clamp(0.5, 2.0)).clamp(RANGE.0, RANGE.1);
    }
    scale.occupancy = best.1;
    if best.0 > 0.01 {
        eprintln!(
            "warning: the best occupancy factor {:.4} still misses Geant4's cell count by {:.1} %",
            best.1,
            100.0 * (best.0.exp() - 1.0)
        );
    }
    // The config the pipeline was built from, with the factor added.
    let mut cfg = pipe.model.config().clone();
    cfg.scale_factors = Some(scale);
    let out = args.out.clone().unwrap_or(net.with_file_name(CONFIG_FILE));
    write_json(&out, &cfg)?;
    println!(
        "occupancy factor {:.4} written to {}",
        scale.occupancy,
        out.display()
    );
    Ok(())
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

pub fn run(args: Args) -> Result<()> {
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
    if args.model.as_deref() == Some(Path::new("caloclouds3")) {
        return run_cc3(&args, &g, &g4);
    }
    let out = args
        .out
        .clone()
        .context("--out FILE: where to write the calibration JSON")?;
    let mut model = load_model(args.model.as_deref())?;
    model.calibration = None;
    let pb = progress::bar(n as u64, "generating");
    let mut buf = model.buffers();
    let mut gen = calogen_data::PointClouds::new();
    for (i, &e) in g4.incident_energy.iter().enumerate() {
        let mut rng = calogen_models::caloclouds2::shower_rng(args.seed, i as u64);
        model.generate_one(&mut buf, e, &mut rng, &mut gen)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut proj = CellProjector::new(&g);
    let count = |pc: &calogen_data::PointClouds, proj: &mut CellProjector| {
        let mut cells = CellShowers::new();
        proj.project(pc, &mut cells, &mut OutsideReport::default());
        cells_above(&g, &cells)
    };
    let g4_cells = count(&g4, &mut proj);
    let gen_cells = count(&gen, &mut proj);
    let pts = |pc: &calogen_data::PointClouds| -> Vec<f64> {
        (0..pc.len()).map(|i| pc.shower(i).len() as f64).collect()
    };
    let (g4_points, gen_points) = (pts(&g4), pts(&gen));
    let cal = OccupancyCalibration::fit(&g4_points, &g4_cells, &gen_points, &gen_cells)?;
    write_json(&out, &Some(&cal))?;
    println!(
        "{n} showers: Geant4 {:.0} points -> {:.0} cells; generated (uncalibrated) {:.0} points -> {:.0} cells",
        mean(&g4_points),
        mean(&g4_cells),
        mean(&gen_points),
        mean(&gen_cells)
    );
    println!("calibration written to {}", out.display());
    Ok(())
}
