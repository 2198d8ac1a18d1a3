//! `calogen project`: points to detector cells or CaloChallenge voxels (and cells back to points).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::formats::{CaloChallengeWriter, CellsWriter, PointsWriter};
use calogen_data::{CellShowers, PointLayout, ShowerBatch, ShowerFileOptions};
use calogen_geometry::{
    cells_to_points, project_points_to_voxels, BarrelProjector, BarrelReport, CellProjector,
    Geometry, OutsideReport, PlanarGeometry,
};
use serde::Serialize;

use crate::progress;

/// Project point clouds into a detector: sparse cells (planar geometries) or CaloChallenge voxels.
/// With --cells-to-points, the `cells/` of IN become points at the cell centres.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    calogen project --geometry ild-ecal fixtures/ild_photons_small.h5 cells.h5\n  \
    calogen project --geometry calochallenge-ds2 points.h5 voxels.h5\n  \
    calogen project --geometry ild-ecal-barrel fixtures/ild_photons_small.h5 barrel_cells.h5\n  \
    calogen project --geometry ild-ecal --cells-to-points fixtures/ild_photons_small.h5 points.h5\n\
    Built-in geometries: ild-ecal, ild-ecal-wide, ild-ecal-hcal, calochallenge-ds1-photons,\n  \
    calochallenge-ds1-pions, calochallenge-ds2, calochallenge-ds3, ild-ecal-barrel (the real ILD\n  \
    cell map: showers enter at its gun position, energy in dead gaps is lost and reported), or the\n  \
    path of a TOML file.")]
pub struct Args {
    /// Geometry: a built-in name or a TOML file.
    #[arg(long)]
    pub geometry: String,
    /// Input shower file (points; with --cells-to-points, a file with `cells/`).
    pub input: PathBuf,
    /// Output HDF5 file (written to a temporary file, renamed when complete).
    pub output: PathBuf,
    /// Point layout of the input: a preset or a TOML file; default: detected.
    #[arg(long)]
    pub layout: Option<String>,
    /// Read the input's cells and write points at the cell centres.
    #[arg(long)]
    pub cells_to_points: bool,
    /// Point layout written by --cells-to-points.
    #[arg(long, default_value = "caloclouds3")]
    pub out_layout: String,
    /// Showers per chunk (bounds memory).
    #[arg(long, default_value_t = 1024)]
    pub chunk: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Summary {
    input: String,
    output: String,
    geometry: String,
    showers: usize,
    entries_in: usize,
    entries_out: usize,
    outside_points: usize,
    outside_energy_fraction: f64,
    /// Barrel geometries: points and energy fraction lost in dead gaps between wafers.
    #[serde(skip_serializing_if = "Option::is_none")]
    gap_points: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gap_energy_fraction: Option<f64>,
    seconds: f64,
}

pub fn run(args: Args) -> Result<()> {
    refuse_overwriting_input(&args.input, &args.output)?;
    let geometry = Geometry::load(&args.geometry)?;
    let opts = ShowerFileOptions {
        layout: args
            .layout
            .as_deref()
            .map(PointLayout::from_name_or_file)
            .transpose()?,
        layer_depths: None,
    };
    let file = calogen_data::open(&args.input, &opts)?;
    let t = Instant::now();
    let chunk = args.chunk.max(1);
    let pb = progress::bar(file.len() as u64, "projecting");
    let mut summary = Summary {
        input: args.input.display().to_string(),
        output: args.output.display().to_string(),
        geometry: geometry.name().to_string(),
        showers: file.len(),
        entries_in: 0,
        entries_out: 0,
        outside_points: 0,
        outside_energy_fraction: 0.0,
        gap_points: None,
        gap_energy_fraction: None,
        seconds: 0.0,
    };
    let mut report = OutsideReport::default();

    if args.cells_to_points {
        let Geometry::Planar(g) = &geometry else {
            bail!(
                "--cells-to-points needs a planar geometry, `{}` is not one",
                geometry.name()
            );
        };
        let cells = file.cells()?.with_context(|| {
            format!("{}: `cells`: no cells/ group to read", args.input.display())
        })?;
        let layout = PointLayout::from_name_or_file(&args.out_layout)?;
        let max = cells.counts().into_iter().max().unwrap_or(0);
        let mut w = PointsWriter::create(&args.output, layout, max, file.direction().is_some())?;
        for start in (0..cells.len()).step_by(chunk) {
            let c = cells.read(start..(start + chunk).min(cells.len()))?;
            let p = cells_to_points(g, &c)?;
            summary.entries_in += c.n_cells();
            summary.entries_out += p.n_points();
            w.append(&p)?;
            pb.inc(c.len() as u64);
        }
        w.finish()?;
    } else {
        if file.points().is_none() {
            bail!(
                "{}: `events`: not a point-cloud file (detected {}); project reads points",
                args.input.display(),
                file.kind().name()
            );
        }
        match &geometry {
            Geometry::Planar(g) => {
                let mut w = CellsWriter::create(
                    &args.output,
                    &cell_description(g),
                    file.direction().is_some(),
                )?;
                let mut projector = CellProjector::new(g);
                for batch in file.chunks(chunk) {
                    let ShowerBatch::Points(p) = batch? else {
                        unreachable!()
                    };
                    let mut cells = CellShowers::new();
                    cells.direction = p.direction.as_ref().map(|_| Vec::new());
                    projector.project(&p, &mut cells, &mut report);
                    summary.entries_in += p.n_points();
                    summary.entries_out += cells.n_cells();
                    w.append(&cells)?;
                    pb.inc(p.len() as u64);
                }
                w.finish()?;
            }
            Geometry::Barrel(g) => {
                // Every shower enters where the CaloClouds gun points (the geometry's `gun`); the
                // file's points are in the local shower frame (x, y transverse, layer index).
                let at = g.gun_placement();
                let mut w = CellsWriter::create(
                    &args.output,
                    &format!(
                        "{} ({} mm); cell (layer, column, row) of the top stave's wafer lattice",
                        g.name, g.cell_mm
                    ),
                    file.direction().is_some(),
                )?;
                let mut projector = BarrelProjector::new(g);
                let mut barrel = BarrelReport::default();
                for batch in file.chunks(chunk) {
                    let ShowerBatch::Points(p) = batch? else {
                        unreachable!()
                    };
                    let mut cells = CellShowers::new();
                    cells.direction = p.direction.as_ref().map(|_| Vec::new());
                    projector.project_clouds(&p, at, &mut cells, &mut barrel);
                    summary.entries_in += p.n_points();
                    summary.entries_out += cells.n_cells();
                    w.append(&cells)?;
                    pb.inc(p.len() as u64);
                }
                w.finish()?;
                summary.gap_points = Some(barrel.gap_points.iter().sum());
                summary.gap_energy_fraction = Some(barrel.gap_fraction());
                report.extend(&barrel.outside);
            }
            Geometry::CaloChallenge(v) => {
                let mut w = CaloChallengeWriter::create(&args.output, v.n_voxels)?;
                for batch in file.chunks(chunk) {
                    let ShowerBatch::Points(p) = batch? else {
                        unreachable!()
                    };
                    let (vox, r) = project_points_to_voxels(v, &p);
                    report.extend(&r);
                    summary.entries_in += p.n_points();
                    summary.entries_out += vox.energy.iter().filter(|&&e| e > 0.0).count();
                    w.append(&vox)?;
                    pb.inc(p.len() as u64);
                }
                w.finish()?;
            }
        }
    }
    pb.finish_and_clear();
    summary.outside_points = report.outside_points();
    summary.outside_energy_fraction = report.outside_fraction();
    summary.seconds = t.elapsed().as_secs_f64();
    print_summary(&summary, &args)?;
    Ok(())
}

fn cell_description(g: &PlanarGeometry) -> String {
    let mut sizes: Vec<f64> = g.layers.iter().map(|l| l.cell_mm).collect();
    sizes.dedup();
    let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
    format!(
        "{} ({} mm); cell (ix, iz) centred at (ix*size, iz*size)",
        g.name,
        sizes.join(", ")
    )
}

/// A failure must never destroy the input; writing onto it would.
fn refuse_overwriting_input(input: &Path, output: &Path) -> Result<()> {
    let same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        bail!(
            "{}: output is the input file; choose another output path",
            output.display()
        );
    }
    Ok(())
}

fn print_summary(s: &Summary, args: &Args) -> Result<()> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    let (what_in, what_out) = if args.cells_to_points {
        ("cells", "points")
    } else if s.geometry.starts_with("calochallenge") {
        ("points", "non-zero voxels")
    } else {
        ("points", "cells")
    };
    println!("{} -> {} ({})", s.input, s.output, s.geometry);
    println!("  showers       {}", s.showers);
    println!("  {what_in:<13} {}", s.entries_in);
    println!("  {what_out:<13} {}", s.entries_out);
    if !args.cells_to_points {
        println!(
            "  outside       {} points, {:.3e} of the energy",
            s.outside_points, s.outside_energy_fraction
        );
    }
    if let (Some(n), Some(f)) = (s.gap_points, s.gap_energy_fraction) {
        println!("  dead gaps     {n} points, {f:.3e} of the energy (lost, as in the detector)");
    }
    println!("  time          {:.2} s", s.seconds);
    Ok(())
}
