//! `calogen calibrate`: fits the CaloClouds II occupancy calibration (paper 000, Sec. 3): cubic fits
//! of the Geant4 cells per point and of the generated points per cell, so that generated showers
//! light as many cells (above threshold) as Geant4 showers do.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use calogen_data::{CellShowers, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry};
use calogen_models::postprocess::OccupancyCalibration;

use super::generate::load_model;
use crate::progress;

/// Fit the occupancy calibration of a CaloClouds II model against Geant4 showers.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    calogen calibrate --data ../shared/data/ild_photons_train.h5 --n 1000 --out runs/cc2/calibration.json\n\
    The first --n showers of --data (training showers; keep held-out ones for evaluation) are\n\
    projected, the model generates showers at the same energies without calibration, and both\n\
    cell counts (cells above the geometry's threshold) enter the fits.")]
pub struct Args {
    /// Geant4 point-cloud file.
    #[arg(long)]
    pub data: PathBuf,
    /// Model directory; default: the embedded model (its calibration is ignored).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Showers used (from the start of --data).
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    #[arg(long, default_value = "ild-ecal")]
    pub geometry: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output JSON (written to a temporary file, then renamed).
    #[arg(long)]
    pub out: PathBuf,
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
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let text = serde_json::to_string_pretty(&Some(&cal))?;
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    std::fs::write(tmp.path(), text)?;
    tmp.persist(&args.out)
        .with_context(|| format!("{}: cannot write", args.out.display()))?;
    println!(
        "{n} showers: Geant4 {:.0} points -> {:.0} cells; generated (uncalibrated) {:.0} points -> {:.0} cells",
        mean(&g4_points),
        mean(&g4_cells),
        mean(&gen_points),
        mean(&gen_cells)
    );
    println!("calibration written to {}", args.out.display());
    Ok(())
}
