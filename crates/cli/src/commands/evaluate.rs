//! `calogen evaluate`: how close generated showers are to Geant4, with the papers' metrics.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use calogen_data::atomic::{self, AtomicDir};
use calogen_data::VoxelShowers;
use calogen_data::{CellShowers, ShowerBatch, ShowerFileOptions};
use calogen_eval::protocols::{
    evaluate_calochallenge, evaluate_caloclouds, paper000, CaloChallengeConfig,
    CaloChallengeResult, CaloCloudsConfig, CaloCloudsResult,
};
use calogen_geometry::{
    project_points_to_voxels, CellProjector, Geometry, OutsideReport, PlanarGeometry, Voxelisation,
};
use serde::Serialize;

use crate::progress;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// CaloClouds II (paper 000): cell-level W1 scores and the 25-observable classifier.
    Caloclouds,
    /// CaloChallenge (paper 003 §8): separation powers, correlations, FPD/KPD, PRDC, DNN classifiers.
    Calochallenge,
    /// CaloHadronic (paper 004 app. F–G) + CaloClouds3 (paper 001 §4) extras: normalised W1,
    /// quantile KL, Pearson matrix, µ90/σ90, JS distances, PCA shower axis vs incident direction.
    Calohadronic,
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
    #[arg(long, value_enum, default_value = "caloclouds")]
    pub protocol: Protocol,
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
        return Ok(cells.read(range)?);
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
    Ok(out)
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

#[derive(Serialize)]
struct Metrics<'a> {
    protocol: &'static str,
    reference: String,
    generated: String,
    geometry: String,
    seed: u64,
    seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    caloclouds: Option<&'a CaloCloudsResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calochallenge: Option<&'a CaloChallengeResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calohadronic: Option<&'a calogen_eval::protocols::CaloHadronicResult>,
    /// The 3D ResNet-18 classifier (calochallenge protocol, `--resnet-epochs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    resnet: Option<serde_json::Value>,
}

/// What `evaluate` writes into its folder; an existing `--out` holding anything else is refused.
pub const OUTPUT_ENTRIES: [&str; 4] = ["metrics.json", "report.md", "report.html", "plots"];

pub fn run(args: Args) -> Result<()> {
    let t = Instant::now();
    // Checked, and the new folder started beside it, before any work; swapped in whole at the end.
    let out = AtomicDir::create(&args.out, &OUTPUT_ENTRIES)?;
    let geometry = Geometry::load(&args.geometry)?;
    let (mut cc, mut ch) = (None, None);
    let mut chd = None;
    let mut resnet = None;
    match (args.protocol, &geometry) {
        (Protocol::Caloclouds, Geometry::Planar(g)) => {
            let reference = load_cells(&args.reference, args.reference_showers.as_deref(), "reference", g, args.use_cells)?;
            let generated = load_cells(&args.generated, args.generated_showers.as_deref(), "generated", g, args.use_cells)?;
            let mut cfg = CaloCloudsConfig::new(args.threshold.unwrap_or(g.threshold_mev), args.seed);
            cfg.classifier_repeats = args.classifier_repeats;
            cc = Some(evaluate_caloclouds(&reference, &generated, g, &cfg)?);
        }
        (Protocol::Calochallenge, Geometry::CaloChallenge(v)) => {
            let reference = load_voxels(&args.reference, args.reference_showers.as_deref(), "reference", v)?;
            let generated = load_voxels(&args.generated, args.generated_showers.as_deref(), "generated", v)?;
            let cfg = CaloChallengeConfig {
                threshold_mev: args.threshold.unwrap_or(v.threshold_mev),
                classifier_epochs: args.classifier_epochs,
                prdc_showers: args.prdc_showers,
                seed: args.seed,
            };
            ch = Some(evaluate_calochallenge(&reference, &generated, v, &cfg)?);
            if args.resnet_epochs > 0 {
                resnet = Some(super::resnet::score(
                    &reference,
                    &generated,
                    v,
                    args.resnet_epochs,
                    args.seed,
                )?);
            }
        }
        (Protocol::Calohadronic, Geometry::Planar(g)) => {
            let reference = load_cells(&args.reference, args.reference_showers.as_deref(), "reference", g, args.use_cells)?;
            let generated = load_cells(&args.generated, args.generated_showers.as_deref(), "generated", g, args.use_cells)?;
            let mut cfg = calogen_eval::protocols::CaloHadronicConfig::new(args.seed);
            cfg.threshold_mev = args.threshold;
            chd = Some(calogen_eval::protocols::evaluate_calohadronic(&reference, &generated, g, &cfg)?);
        }
        (Protocol::Calohadronic, _) => bail!(
            "the calohadronic protocol needs a planar geometry (ild-ecal-hcal, ild-ecal-wide, …); `{}` is not one",
            geometry.name()
        ),
        (Protocol::Caloclouds, _) => bail!(
            "the caloclouds protocol needs a planar geometry (ild-ecal, …); `{}` is not one",
            geometry.name()
        ),
        (Protocol::Calochallenge, _) => bail!(
            "the calochallenge protocol needs a CaloChallenge geometry (calochallenge-ds2, …); `{}` is planar",
            geometry.name()
        ),
    }
    let metrics = Metrics {
        protocol: if chd.is_some() {
            "calohadronic"
        } else if cc.is_some() {
            "caloclouds"
        } else {
            "calochallenge"
        },
        reference: describe(&args.reference, args.reference_showers.as_deref()),
        generated: describe(&args.generated, args.generated_showers.as_deref()),
        geometry: geometry.name().to_string(),
        seed: args.seed,
        seconds: t.elapsed().as_secs_f64(),
        caloclouds: cc.as_ref(),
        calochallenge: ch.as_ref(),
        calohadronic: chd.as_ref(),
        resnet,
    };
    atomic::write(
        out.path().join("metrics.json"),
        serde_json::to_string_pretty(&metrics)?,
    )?;
    let md = markdown(&metrics);
    atomic::write(out.path().join("report.md"), &md)?;
    if !args.no_plots {
        let figures = match (&cc, &ch, &chd) {
            (Some(r), _, _) => &r.figures[..],
            (_, Some(r), _) => &r.figures[..],
            (_, _, Some(r)) => &r.figures[..],
            _ => &[],
        };
        let section = calogen_eval::report::Section {
            markdown: &md,
            figures,
        };
        let files = calogen_eval::report::write_report(out.path(), "calogen evaluate", &[section])?;
        eprintln!(
            "report: {} ({} plots)",
            args.out.join("report.html").display(),
            files.plots.len()
        );
    }
    out.commit()?;
    print!("{md}");
    Ok(())
}

fn describe(p: &Path, range: Option<&str>) -> String {
    match range {
        Some(r) => format!("{} [{r}]", p.display()),
        None => p.display().to_string(),
    }
}

fn markdown(m: &Metrics) -> String {
    if let Some(r) = m.calohadronic {
        return format!(
            "# calogen evaluate — CaloHadronic protocol\n\n- reference: `{}` ({} showers)\n- generated: `{}` ({} showers)\n- geometry `{}`, seed {}, {:.1} s\n\n{}",
            m.reference, r.n_reference, m.generated, r.n_generated, m.geometry, m.seed, m.seconds, r.markdown()
        );
    }
    if let Some(r) = m.calochallenge {
        return markdown_calochallenge(m, r);
    }
    let r = m.caloclouds.expect("one protocol ran");
    let mut s = String::new();
    let _ = writeln!(s, "# calogen evaluate — CaloClouds II protocol\n");
    let _ = writeln!(
        s,
        "- reference: `{}` ({} showers)",
        m.reference, r.n_reference
    );
    let _ = writeln!(
        s,
        "- generated: `{}` ({} showers)",
        m.generated, r.n_generated
    );
    let _ = writeln!(
        s,
        "- geometry `{}`, cell threshold {} MeV, {} batches of {} showers, seed {}, {:.1} s\n",
        m.geometry, r.threshold_mev, 10, r.batch_size, m.seed, m.seconds
    );
    let _ = writeln!(s, "Standardised W1 (×10⁻³), mean ± std over batches; baseline = reference half A vs half B. \
        Beside them paper 000's Table 1 (batches of 50 000 showers, ours {} per batch: W1 of finite samples \
        shrinks with the batch, so compare each column with its own Geant4 baseline, not across):\n", r.batch_size);
    let _ = writeln!(
        s,
        "| observable | model | baseline | model / baseline | paper Geant4 | paper CC II (EDM) | paper CC II (CM) |\n|---|---|---|---|---|---|---|"
    );
    let pm = |p: (f64, f64)| format!("{} ± {}", p.0, p.1);
    for (k, v) in &r.w1 {
        let (pg, pe, pc) = paper000::table1(k)
            .map_or(("–".into(), "–".into(), "–".into()), |t| {
                (pm(t.geant4), pm(t.edm), pm(t.cm))
            });
        let _ = writeln!(
            s,
            "| {k} | {:.1} ± {:.1} | {:.1} ± {:.1} | {:.1} | {pg} | {pe} | {pc} |",
            1e3 * v.model.mean,
            1e3 * v.model.std,
            1e3 * v.baseline.mean,
            1e3 * v.baseline.std,
            v.model.mean / v.baseline.mean
        );
    }
    if let Some(c) = &r.classifier_auc {
        let _ = writeln!(
            s,
            "\nClassifier (25 observables, 32-16-8): AUC model {:.3} ± {:.3}, baseline {:.3} ± {:.3}; \
             paper 000 Table 2 (500k vs 500k): CC II (EDM) {}, CC II (CM) {}",
            c.model.mean,
            c.model.std,
            c.baseline.mean,
            c.baseline.std,
            pm(paper000::TABLE2_AUC_EDM),
            pm(paper000::TABLE2_AUC_CM)
        );
    }
    let _ = writeln!(s, "\n| mean | reference | generated |\n|---|---|---|");
    for (k, v) in &r.means {
        let _ = writeln!(s, "| {k} | {:.4} | {:.4} |", v[0], v[1]);
    }
    s
}

fn markdown_calochallenge(m: &Metrics, r: &CaloChallengeResult) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# calogen evaluate — CaloChallenge protocol ({})\n",
        r.dataset
    );
    let _ = writeln!(
        s,
        "- reference: `{}` ({} showers)",
        m.reference, r.n_reference
    );
    let _ = writeln!(
        s,
        "- generated: `{}` ({} showers)",
        m.generated, r.n_generated
    );
    let _ = writeln!(
        s,
        "- geometry `{}`, voxel threshold {} MeV, seed {}, {:.1} s\n",
        m.geometry, r.threshold_mev, m.seed, m.seconds
    );
    let _ = writeln!(
        s,
        "Separation power (0 identical, 1 disjoint), mean over layers:\n"
    );
    let _ = writeln!(s, "| feature | separation power |\n|---|---|");
    for k in ["etot_einc", "voxel_energy"] {
        if let Some(v) = r.separation_power.get(k) {
            let _ = writeln!(s, "| {k} | {v:.4} |");
        }
    }
    for (k, v) in &r.separation_power_mean {
        let _ = writeln!(s, "| {k} (mean over layers) | {v:.4} |");
    }
    let _ = writeln!(
        s,
        "\nLayer-energy correlations: max |Δρ| {:.3}, mean |Δρ| {:.4}",
        r.correlation_max_abs_diff, r.correlation_mean_abs_diff
    );
    if let Some(f) = &r.fpd {
        let _ = writeln!(
            s,
            "\nFPD (high-level features): {:.4} ± {:.4}",
            f.value, f.error
        );
    }
    if let Some(k) = &r.kpd {
        let _ = writeln!(
            s,
            "KPD (high-level features): {:.5} ± {:.5}",
            k.value, k.error
        );
    }
    if let Some(p) = &r.prdc {
        let _ = writeln!(
            s,
            "\nPrecision {:.3}, recall {:.3}, density {:.3}, coverage {:.3} (k = 5, log10 voxels)",
            p["precision"], p["recall"], p["density"], p["coverage"]
        );
    }
    for (name, c) in [
        ("low-level", &r.classifier_low_level),
        ("high-level", &r.classifier_high_level),
    ] {
        if let Some(c) = c {
            let _ = writeln!(
                s,
                "\nDNN classifier, {name}: AUC {:.3}, JSD {:.3}, test accuracy {:.3} (best epoch {}, {} parameters)",
                c.auc, c.jsd, c.test_accuracy, c.best_epoch, c.n_parameters
            );
        }
    }
    if let Some(c) = &m.resnet {
        let _ = writeln!(
            s,
            "\n3D ResNet-18 classifier, low-level: AUC {:.3}, JSD {:.3}, test accuracy {:.3} (best epoch {}, {} parameters, {:.0} CPU s of training)",
            c["auc"].as_f64().unwrap_or(f64::NAN),
            c["jsd"].as_f64().unwrap_or(f64::NAN),
            c["test_accuracy"].as_f64().unwrap_or(f64::NAN),
            c["best_epoch"],
            c["n_parameters"],
            c["train_cpu_seconds"].as_f64().unwrap_or(f64::NAN)
        );
    }
    s
}
