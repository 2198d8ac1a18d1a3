//! `calogen info FILE`: what a shower file holds, read in bounded memory.

use std::path::PathBuf;

use anyhow::Result;
use calogen_data::{PointLayout, ShowerBatch, ShowerFileOptions};
use serde::Serialize;

use crate::progress;
use calogen_eval::metrics::stats::Summary;

/// Summarise a shower file: layout, number of showers, incident energies, points/hits per shower, directions.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  calogen info fixtures/ild_photons_small.h5\n  calogen info --json --layout caloclouds3 showers.h5"
)]
pub struct Args {
    /// HDF5 shower file (CaloChallenge, CaloClouds II/3, CaloHadronic or sparse cells).
    pub file: PathBuf,
    /// Point layout: a preset (caloclouds2, caloclouds3, calohadronic) or a TOML file; default: detected.
    #[arg(long)]
    pub layout: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Showers read per chunk (bounds memory).
    #[arg(long, default_value_t = 256)]
    pub chunk: usize,
}

/// Threshold for "hits" in CaloChallenge files (the challenge's 15.15 keV cut for datasets 2 and 3).
const VOXEL_THRESHOLD_MEV: f32 = 0.01515;
/// Half a MIP in our 0.5 mm silicon (data README).
const CELL_THRESHOLD_MEV: f32 = 0.07;

#[derive(Serialize)]
struct Counted {
    what: String,
    per_shower: Summary,
}

#[derive(Serialize)]
struct Report {
    file: String,
    kind: String,
    detected_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<PointLayout>,
    n_showers: usize,
    incident_energy_gev: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n_voxels: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    padded_width: Option<usize>,
    entries: Vec<Counted>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layers_seen: Option<(u16, u16)>,
    visible_over_incident: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction_theta_deg: Option<Summary>,
}

pub fn run(args: Args) -> Result<()> {
    let opts = ShowerFileOptions {
        layout: args
            .layout
            .as_deref()
            .map(PointLayout::from_name_or_file)
            .transpose()?,
        layer_depths: None,
    };
    let file = calogen_data::open(&args.file, &opts)?;
    let n = file.len();
    let inc_gev: Vec<f64> = file
        .incident_energy()
        .iter()
        .map(|&e| e as f64 / 1000.0)
        .collect();

    let mut entries = Vec::new();
    let mut above = Vec::new();
    let mut ratio = Vec::with_capacity(n);
    let mut layers: Option<(u16, u16)> = None;
    let (what, what_above, threshold) = match file.kind() {
        calogen_data::FileKind::CaloChallenge => {
            ("non-zero voxels", "voxels > 15.15 keV", VOXEL_THRESHOLD_MEV)
        }
        calogen_data::FileKind::Points(_) => ("points", "points > 0.07 MeV", CELL_THRESHOLD_MEV),
        calogen_data::FileKind::Cells => ("cells", "cells > 0.07 MeV", CELL_THRESHOLD_MEV),
    };
    let pb = progress::bar(n as u64, "reading");
    for batch in file.chunks(args.chunk) {
        let batch = batch?;
        for i in 0..batch.len() {
            entries.push(batch.hits_above(i, 0.0) as f64);
            above.push(batch.hits_above(i, threshold) as f64);
            let total: f64 = match &batch {
                ShowerBatch::Points(p) => p.shower(i).total_energy(),
                ShowerBatch::Voxels(v) => v.shower(i).iter().map(|&e| e as f64).sum(),
                ShowerBatch::Cells(c) => c.shower(i).energy.iter().map(|&e| e as f64).sum(),
            };
            ratio.push(total / batch.incident_energy()[i] as f64);
        }
        let layer_col = match &batch {
            ShowerBatch::Points(p) => Some(&p.layer),
            ShowerBatch::Cells(c) => Some(&c.layer),
            ShowerBatch::Voxels(_) => None,
        };
        if let Some(l) = layer_col {
            for &v in l.iter() {
                layers = Some(layers.map_or((v, v), |(a, b)| (a.min(v), b.max(v))));
            }
        }
        pb.inc(batch.len() as u64);
    }
    pb.finish_and_clear();

    let mut counted = vec![
        Counted {
            what: what.into(),
            per_shower: Summary::of(&entries).unwrap_or_else(Summary::zero),
        },
        Counted {
            what: what_above.into(),
            per_shower: Summary::of(&above).unwrap_or_else(Summary::zero),
        },
    ];
    // Our Geant4 point files also carry the exact cell-level truth.
    if !matches!(file.kind(), calogen_data::FileKind::Cells) {
        if let Some(cells) = file.cells()? {
            // Read every cell, not just the offsets: the reader rejects NaN, infinite and
            // negative cell energies with the file and dataset, so `info` catches a broken
            // `cells/` before `project` or `evaluate` trip over it.
            let n_cells = cells.counts().len();
            let mut start = 0;
            while start < n_cells {
                let end = (start + args.chunk.max(1)).min(n_cells);
                cells.read(start..end)?;
                start = end;
            }
            let counts: Vec<f64> = cells.counts().iter().map(|&c| c as f64).collect();
            counted.push(Counted {
                what: "truth cells (cells/)".into(),
                per_shower: Summary::of(&counts).unwrap_or_else(Summary::zero),
            });
        }
    }
    let theta: Option<Vec<f64>> = file.direction().map(|d| {
        d.iter()
            .map(|v| (v[2] as f64).clamp(-1.0, 1.0).acos().to_degrees())
            .collect()
    });
    let report = Report {
        file: args.file.display().to_string(),
        kind: file.kind().name(),
        detected_from: file.reason().to_string(),
        layout: match file.kind() {
            calogen_data::FileKind::Points(l) => Some(l.clone()),
            _ => None,
        },
        n_showers: n,
        incident_energy_gev: Summary::of(&inc_gev),
        n_voxels: file.voxels().map(|v| v.n_voxels()),
        padded_width: file.points().map(|p| p.max_points()),
        entries: counted,
        layers_seen: layers,
        visible_over_incident: Summary::of(&ratio),
        direction_theta_deg: theta.as_deref().and_then(Summary::of),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn print_text(r: &Report) {
    println!("file:            {}", r.file);
    println!(
        "kind:            {} (detected from {})",
        r.kind, r.detected_from
    );
    if let Some(l) = &r.layout {
        println!(
            "layout:          {:?}, x = feature {}, y = feature {}, layer = feature {}, energy = feature {} [{:?}], {} layers, {:?} padding",
            l.axes, l.transverse.x, l.transverse.y, l.layer, l.energy, l.energy_unit, l.n_layers, l.padding
        );
    }
    println!("showers:         {}", r.n_showers);
    if let Some(e) = &r.incident_energy_gev {
        println!(
            "incident energy: {:.3} .. {:.3} GeV (mean {:.3})",
            e.min, e.max, e.mean
        );
    }
    if let Some(v) = r.n_voxels {
        println!("voxels:          {v} per shower");
    }
    if let Some(p) = r.padded_width {
        println!("padded width:    {p} points");
    }
    for c in &r.entries {
        println!("{:<16} {}", format!("{}:", c.what), c.per_shower.line(1));
    }
    if let Some((a, b)) = r.layers_seen {
        println!("layers seen:     {a} .. {b}");
    }
    if let Some(s) = &r.visible_over_incident {
        println!("E_sum / E_inc:   {}", s.line(4));
    }
    if let Some(t) = &r.direction_theta_deg {
        println!(
            "direction theta: {} deg (angle to the layer normal)",
            t.line(1)
        );
    }
}
