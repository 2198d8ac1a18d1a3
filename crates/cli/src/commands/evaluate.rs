//! `calogen evaluate`: how close generated showers are to Geant4, with the papers' metrics.
//!
//! parse → load (as the protocol asks: cells or voxels) → registry → protocol → write. What a
//! protocol computes, says and draws is in `calogen_eval::protocols`; this file knows no protocol
//! by name.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::atomic::{self, AtomicDir};
use calogen_data::formats::h5util::read_file_text_attr;
use calogen_data::VoxelShowers;
use calogen_data::{CellShowers, ShowerBatch, ShowerFileOptions};
use calogen_eval::protocols::calochallenge::FpdKpdSizes;
use calogen_eval::protocols::{checks, Evaluation, Input, Loaded, Options, Run, VoxelClassifier};
use calogen_geometry::{
    project_points_to_voxels, CellProjector, Geometry, OutsideReport, PlanarGeometry, Voxelisation,
};
use calogen_models::family::{training, TrainingShowers};
use clap::builder::{PossibleValue, PossibleValuesParser};

use crate::progress;

/// `--protocol`: the names of the registry, each with its one-line help.
fn protocol_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(
        calogen_eval::protocols::PROTOCOLS
            .iter()
            .map(|p| PossibleValue::new(p.name()).help(p.help())),
    )
}

/// Compare generated showers with a reference (Geant4) sample; writes metrics.json, report.md,
/// report.html and plots/*.png to the output folder. Point files are projected into the
/// geometry's cells first.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    calogen evaluate --reference g4.h5 --generated gen.h5 --geometry ild-ecal --out eval/\n  \
    # Geant4 against itself: the first half of a file against the second half\n  \
    calogen evaluate --reference F --reference-showers 0..1750 --generated F --generated-showers 1750..3500 --out self/")]
pub struct Args {
    #[arg(long)]
    pub reference: PathBuf,
    #[arg(long)]
    pub generated: PathBuf,
    /// Geometry to project points into (built-in name or TOML file).
    #[arg(long, default_value = "ild-ecal")]
    pub geometry: String,
    #[arg(long, default_value = "caloclouds", value_parser = protocol_parser())]
    pub protocol: String,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Showers of the reference to use, `A..B` (default: all).
    #[arg(long)]
    pub reference_showers: Option<String>,
    /// Showers of the generated file to use, `A..B` (default: all).
    #[arg(long)]
    pub generated_showers: Option<String>,
    /// Read the file's `cells/` group instead of projecting its points (Geant4 cell truth).
    #[arg(long)]
    pub use_cells: bool,
    /// Cell threshold in MeV (default: the geometry's, half a MIP).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Classifier trainings per comparison, caloclouds protocol (0 skips the classifier).
    #[arg(long, default_value_t = 10)]
    pub classifier_repeats: usize,
    /// Epochs of the DNN classifiers, calochallenge protocol (0 skips them).
    #[arg(long, default_value_t = 50)]
    pub classifier_epochs: usize,
    /// Epochs of the 3D ResNet-18 classifier, calochallenge protocol on datasets 2/3 (paper 003:
    /// 48 for ds2; 0 skips it: about 10 CPU s per 1 000 showers and epoch on ds2).
    #[arg(long, default_value_t = 0)]
    pub resnet_epochs: usize,
    /// Showers per side for precision/recall/density/coverage, calochallenge protocol (0 skips).
    #[arg(long, default_value_t = 10_000)]
    pub prdc_showers: usize,
    /// FPD/KPD subsample sizes, calochallenge protocol: `challenge` (evaluate.py's jetnet calls,
    /// 10 000–50 000 rows for FPD, 10 000 for KPD, drawn with replacement) or `scaled` (from the
    /// file sizes: cheaper on small files, not the community's number).
    #[arg(long, default_value = "challenge", value_parser = ["challenge", "scaled"])]
    pub fpd_kpd_sizes: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Skip the PNG plots (plots/) and report.html; metrics.json and report.md are still written.
    #[arg(long)]
    pub no_plots: bool,
}

pub(crate) fn parse_range(s: Option<&str>, len: usize, what: &str) -> Result<Range<usize>> {
    let Some(s) = s else { return Ok(0..len) };
    let (a, b) = s
        .split_once("..")
        .with_context(|| format!("--{what}-showers `{s}`: expected A..B"))?;
    let a: usize = if a.is_empty() {
        0
    } else {
        a.parse()
            .with_context(|| format!("--{what}-showers `{s}`"))?
    };
    let b: usize = if b.is_empty() {
        len
    } else {
        b.parse()
            .with_context(|| format!("--{what}-showers `{s}`"))?
    };
    if a >= b || b > len {
        bail!("--{what}-showers {a}..{b}: the file has {len} showers");
    }
    Ok(a..b)
}

/// Cells of the requested showers: projected from points, or the file's own `cells/`.
pub(crate) fn load_cells(
    path: &Path,
    range: Option<&str>,
    what: &str,
    g: &PlanarGeometry,
    use_cells: bool,
) -> Result<CellShowers> {
    Ok(load_cells_counted(path, range, what, g, use_cells)?.0)
}

/// The file's layers must all be in the geometry: evaluating a 78-layer pion file in a 30-layer
/// ECAL would silently drop its HCAL.
fn check_layers(path: &Path, layers: usize, declared: bool, g: &PlanarGeometry) -> Result<()> {
    if layers > g.n_layers() {
        bail!(
            "{}: the file has {}{layers} layers, geometry `{}` only {}: its layers {}–{} would be \
             dropped; evaluate it in a geometry that covers them (`calogen info` names the file's kind)",
            path.display(),
            if declared { "" } else { "cells in " },
            g.name,
            g.n_layers(),
            g.n_layers(),
            layers - 1
        );
    }
    Ok(())
}

/// [`load_cells`], and the number of layers the file declares (point files: their layout's;
/// `None` for cell files, whose layer count is not stored).
fn load_cells_counted(
    path: &Path,
    range: Option<&str>,
    what: &str,
    g: &PlanarGeometry,
    use_cells: bool,
) -> Result<(CellShowers, Option<usize>)> {
    let file = calogen_data::open(path, &ShowerFileOptions::default())?;
    let range = parse_range(range, file.len(), what)?;
    if use_cells || file.points().is_none() {
        let cells = file.cells()?.with_context(|| {
            format!(
                "{}: `events`/`cells`: neither points nor cells to evaluate (detected {})",
                path.display(),
                file.kind().name()
            )
        })?;
        let cells = cells.read(range)?;
        let used = cells
            .layer
            .iter()
            .map(|&l| l as usize + 1)
            .max()
            .unwrap_or(0);
        check_layers(path, used, false, g)?;
        return Ok((cells, None));
    }
    let declared = file.points().map(|p| p.layout().n_layers as usize);
    if let Some(n) = declared {
        check_layers(path, n, true, g)?;
    }
    let pb = progress::bar(range.len() as u64, "projecting");
    let mut projector = CellProjector::new(g);
    let mut out = CellShowers::new();
    if file.direction().is_some() {
        out.direction = Some(Vec::new());
    }
    let mut report = OutsideReport::default();
    let chunk = 1024;
    let mut start = range.start;
    while start < range.end {
        let end = (start + chunk).min(range.end);
        let ShowerBatch::Points(p) = file.read(start..end)? else {
            unreachable!()
        };
        projector.project(&p, &mut out, &mut report);
        pb.inc((end - start) as u64);
        start = end;
    }
    pb.finish_and_clear();
    Ok((out, declared))
}

/// Voxel showers of the requested range: read, or projected from points.
fn load_voxels(
    path: &Path,
    range: Option<&str>,
    what: &str,
    v: &Voxelisation,
) -> Result<VoxelShowers> {
    let file = calogen_data::open(path, &ShowerFileOptions::default())?;
    let range = parse_range(range, file.len(), what)?;
    match file.read(range)? {
        ShowerBatch::Voxels(x) => Ok(x),
        ShowerBatch::Points(p) => Ok(project_points_to_voxels(v, &p).0),
        ShowerBatch::Cells(_) => bail!(
            "{}: cells cannot be evaluated as CaloChallenge voxels",
            path.display()
        ),
    }
}

/// One file as the protocol reads it, and its declared layer count (for the sample-kind check).
fn load(
    path: &Path,
    range: Option<&str>,
    what: &str,
    input: Input,
    geometry: &Geometry,
    use_cells: bool,
) -> Result<(Loaded, Option<usize>)> {
    Ok(match (input, geometry) {
        (Input::Cells, Geometry::Planar(g)) => {
            let (c, n) = load_cells_counted(path, range, what, g, use_cells)?;
            (Loaded::Cells(c), n)
        }
        (Input::Voxels, Geometry::CaloChallenge(v)) => {
            (Loaded::Voxels(load_voxels(path, range, what, v)?), None)
        }
        _ => bail!(
            "{input:?} showers cannot be loaded in `{}`",
            geometry.name()
        ),
    })
}

/// Showers of `loaded` whose cells or voxels hold energy.
fn showers_with_energy(loaded: &Loaded) -> usize {
    match loaded {
        Loaded::Cells(c) => c
            .offsets
            .windows(2)
            .filter(|w| c.energy[w[0]..w[1]].iter().any(|&e| e > 0.0))
            .count(),
        Loaded::Voxels(v) if v.n_voxels > 0 => v
            .energy
            .chunks(v.n_voxels)
            .filter(|s| s.iter().any(|&e| e > 0.0))
            .count(),
        Loaded::Voxels(_) => 0,
    }
}

/// Refuses an input with fewer than two showers holding energy, right after loading it: every
/// observable of such a set has zero spread, and the metrics used to fail deep inside, after the
/// other file was loaded, with `standardized_wasserstein: reference observable 0 has zero spread`,
/// naming neither the file nor the cause.
fn check_has_energy(
    path: &Path,
    range: Option<&str>,
    what: &str,
    loaded: &Loaded,
    geometry: &Geometry,
) -> Result<()> {
    let with_energy = showers_with_energy(loaded);
    if with_energy >= 2 {
        return Ok(());
    }
    bail!(
        "{} (--{what}{}): {with_energy} of its {} showers hold energy in `{}` (no points or \
         cells with energy > 0, or all outside the detector); the observables need at least 2 \
         showers with energy to compare",
        path.display(),
        range.map(|r| format!(", showers {r}")).unwrap_or_default(),
        loaded.len(),
        geometry.name()
    )
}

/// What `evaluate` writes into its folder; an existing `--out` holding anything else is refused.
pub const OUTPUT_ENTRIES: [&str; 4] = ["metrics.json", "report.md", "report.html", "plots"];

pub fn run(args: Args) -> Result<()> {
    let t = Instant::now();
    let protocol = calogen_eval::protocols::by_name(&args.protocol)
        .with_context(|| format!("--protocol {}: unknown", args.protocol))?;
    // Checked, and the new folder started beside it, before any work; swapped in whole at the end.
    let out = AtomicDir::create(&args.out, &OUTPUT_ENTRIES)?;
    let geometry = Geometry::load(&args.geometry)?;
    protocol.check_geometry(&geometry)?;
    let input = protocol.input();
    let (reference, ref_layers) = load(
        &args.reference,
        args.reference_showers.as_deref(),
        "reference",
        input,
        &geometry,
        args.use_cells,
    )?;
    let ref_range = args.reference_showers.as_deref();
    check_has_energy(
        &args.reference,
        ref_range,
        "reference",
        &reference,
        &geometry,
    )?;
    let (generated, gen_layers) = load(
        &args.generated,
        args.generated_showers.as_deref(),
        "generated",
        input,
        &geometry,
        args.use_cells,
    )?;
    let gen_range = args.generated_showers.as_deref();
    check_has_energy(
        &args.generated,
        gen_range,
        "generated",
        &generated,
        &geometry,
    )?;
    let warnings: Vec<String> = [
        checks::layer_counts(ref_layers, gen_layers),
        checks::spectra(reference.incident_energy(), generated.incident_energy()),
        training_overlap(&args.generated, &args.reference, ref_range, reference.len())?,
    ]
    .into_iter()
    .flatten()
    .collect();
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let resnet = super::resnet::ResNet {
        epochs: args.resnet_epochs,
        seed: args.seed,
    };
    let options = Options {
        seed: args.seed,
        threshold_mev: args.threshold,
        classifier_repeats: args.classifier_repeats,
        classifier_epochs: args.classifier_epochs,
        prdc_showers: args.prdc_showers,
        fpd_kpd: if args.fpd_kpd_sizes == "scaled" {
            FpdKpdSizes::Scaled
        } else {
            FpdKpdSizes::Challenge
        },
        voxel_classifier: (args.resnet_epochs > 0).then_some(&resnet as &dyn VoxelClassifier),
    };
    let evaluation = protocol.evaluate(&reference, &generated, &geometry, &options)?;
    let run = Run {
        protocol: protocol.name(),
        reference: describe(&args.reference, args.reference_showers.as_deref()),
        generated: describe(&args.generated, args.generated_showers.as_deref()),
        geometry: geometry.name().to_string(),
        seed: args.seed,
        seconds: t.elapsed().as_secs_f64(),
        warnings,
    };
    write(out, &args.out, evaluation.as_ref(), &run, args.no_plots)
}

/// metrics.json, report.md and (unless `no_plots`) plots/ and report.html into the new folder,
/// which is then swapped in whole: an old report never mixes with new plots.
fn write(
    out: AtomicDir,
    dest: &Path,
    evaluation: &dyn Evaluation,
    run: &Run,
    no_plots: bool,
) -> Result<()> {
    atomic::write(
        out.path().join("metrics.json"),
        evaluation.metrics_json(run),
    )?;
    let md = evaluation.markdown(run);
    atomic::write(out.path().join("report.md"), &md)?;
    if !no_plots {
        let section = calogen_eval::report::Section {
            markdown: &md,
            figures: evaluation.figures(),
        };
        let files = calogen_eval::report::write_report(out.path(), "calogen evaluate", &[section])?;
        eprintln!(
            "report: {} ({} plots)",
            dest.join("report.html").display(),
            files.plots.len()
        );
    }
    out.commit()?;
    print!("{md}");
    Ok(())
}

/// A warning when the generated file records (attribute `calogen_training_showers`, written by
/// `generate`) that its model was trained on some of the reference showers.
fn training_overlap(
    generated: &Path,
    reference: &Path,
    ref_range: Option<&str>,
    n_reference: usize,
) -> Result<Option<String>> {
    let Some(text) = read_file_text_attr(generated, training::ATTR)? else {
        return Ok(None);
    };
    let source = format!("{}: attribute {}", generated.display(), training::ATTR);
    let trained = TrainingShowers::from_json(&text, &source)?;
    // The range was checked when the showers were read: its start, and as many as were read.
    let first = ref_range
        .and_then(|r| r.split_once(".."))
        .and_then(|(a, _)| a.parse::<usize>().ok())
        .unwrap_or(0);
    Ok(trained
        .overlap(reference, first..first + n_reference)
        .map(|(file, r)| {
            format!(
                "the reference showers {}..{} of {file} were used to train the model that made {} \
                 (the generated file's {} attribute): scored on its own training showers, a model \
                 looks better than it is; evaluate against held-back showers \
                 (--reference-showers)",
                r.start,
                r.end,
                generated.display(),
                training::ATTR
            )
        }))
}

fn describe(p: &Path, range: Option<&str>) -> String {
    match range {
        Some(r) => format!("{} [{r}]", p.display()),
        None => p.display().to_string(),
    }
}
