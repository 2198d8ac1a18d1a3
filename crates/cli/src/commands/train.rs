//! `calogen train`: the CaloClouds II trainings (burn, CPU): ShowerFlow, PointWise Net (EDM) and
//! its consistency distillation; with the `configs/cc3` files the CaloClouds3-style small nets;
//! CaloScore v2 (both networks, then progressive distillation of the voxel network). Every run
//! resumes from its `checkpoint.safetensors`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use calogen_models::caloclouds2::pipeline::{FLOW_FILE, NET_FILE};
use calogen_models::family::TrainingShowers;
use calogen_train::caloclouds2::distil::DistilConfig;
use calogen_train::caloclouds2::Cc2Config;
use calogen_train::data::showers::N_EVAL;
use calogen_train::engine::TrainerConfig;
use calogen_train::showerflow::FlowConfig;

/// Train a CaloClouds II part; OUT becomes a model directory for `calogen generate --model OUT`.
#[derive(clap::Args)]
#[command(after_help = "Examples (the order of a full training):\n  \
    calogen train showerflow --data ../shared/data/ild_photons_train.h5 --out runs/cc2 --config flow.toml\n  \
    calogen train pointwise --data ../shared/data/ild_photons_train.h5 --out runs/cc2 --config net.toml\n  \
    calogen train distil --data ../shared/data/ild_photons_train.h5 --out runs/cc2 --config distil.toml\n  \
    calogen calibrate --data ../shared/data/ild_photons_train.h5 --model runs/cc2 --out runs/cc2/calibration.json\n\
    CaloClouds3-style (photons at angles; conditioned on [E, direction], tilt removed):\n  \
    calogen train pointwise --data ../shared/data/ild_photons_angular_train.h5 --out runs/cc3 --config crates/train/configs/cc3/pointwise.toml\n  \
    calogen train distil --data ../shared/data/ild_photons_angular_train.h5 --out runs/cc3 --config crates/train/configs/cc3/distil.toml\n  \
    then: calogen generate --model caloclouds3 --net runs/cc3/consistency_ema.safetensors --like G4.h5 --flow FLOW\n\
    CaloScore v2 (CaloChallenge voxels; both files, the last 500 of each held out and written to OUT/heldout.h5):\n  \
    calogen train caloscore2 --data ../shared/data/par04_electrons_train.h5 --data ../shared/data/par04_electrons_train_2.h5 --out runs/cs2 --config crates/train/configs/caloscore2/default.toml\n  \
    calogen train caloscore2-distil --teacher runs/cs2 --to-steps 8 --data ../shared/data/par04_electrons_train.h5 --data ../shared/data/par04_electrons_train_2.h5 --out runs/cs2_d8 --config crates/train/configs/caloscore2/distil.toml\n\
    The last 500 showers of --data are held out (evaluation losses). A killed run continues from its\n\
    last checkpoint when started again with the same arguments. Configs are TOML; missing keys take\n\
    the defaults (paper 000's values where it gives them).")]
pub struct Args {
    /// showerflow, pointwise, distil, caloscore2 or caloscore2-distil.
    pub part: String,
    /// Geant4 shower file (point clouds; CaloChallenge voxels for caloscore2, where it may be
    /// given several times).
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    /// Run / model directory.
    #[arg(long)]
    pub out: PathBuf,
    /// TOML config.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Overrides the config's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Overrides the config's number of steps.
    #[arg(long)]
    pub steps: Option<u64>,
    /// distil: the EDM teacher (default: OUT/pointwise_net_ema.safetensors); caloscore2-distil:
    /// the trained CaloScore v2 model folder.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// caloscore2-distil: the voxel network's DDIM steps at the end (the teacher's halved one or
    /// more times; each halving is one distillation level).
    #[arg(long)]
    pub to_steps: Option<usize>,
}

impl Args {
    /// The one data file of the CaloClouds II parts.
    fn one_data(&self) -> Result<&Path> {
        match self.data.as_slice() {
            [d] => Ok(d),
            _ => bail!("`{}` takes exactly one --data file", self.part),
        }
    }
}

fn read(p: &Option<PathBuf>) -> Result<Option<String>> {
    p.as_ref()
        .map(|p| {
            std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))
        })
        .transpose()
}

/// Copies `src` to `dst` through a temporary file (never a half-written model file).
fn install(src: &Path, dst: &Path) -> Result<()> {
    calogen_data::atomic::copy(src, dst)?;
    Ok(())
}

/// A part's config: the TOML file's (missing keys take the defaults) or the defaults, with the
/// command line's seed and steps on top.
fn config<C: Default>(
    args: &Args,
    text: Option<&str>,
    parse: fn(&str) -> calogen_train::engine::Result<C>,
    trainer: fn(&mut C) -> &mut TrainerConfig,
) -> Result<C> {
    let mut cfg = match text {
        Some(t) => parse(t).with_context(|| {
            let file = args.config.as_deref().unwrap_or(Path::new("config"));
            format!("{}", file.display())
        })?,
        None => C::default(),
    };
    let t = trainer(&mut cfg);
    args.seed.inspect(|&s| t.seed = s);
    args.steps.inspect(|&s| t.steps = s);
    Ok(cfg)
}

pub fn run(args: Args) -> Result<()> {
    let text = read(&args.config)?;
    let t0 = std::time::Instant::now();
    let (steps, history, before, after, weights, what) = match args.part.as_str() {
        "showerflow" => {
            let cfg = config(&args, text.as_deref(), FlowConfig::from_toml, |c| {
                &mut c.trainer
            })?;
            let s = calogen_train::showerflow::run::train(&cfg, args.one_data()?, &args.out)?;
            install(&s.weights, &args.out.join(FLOW_FILE))?;
            (
                s.steps,
                s.history,
                s.eval_before,
                s.eval_after,
                s.weights,
                "held-out NLL per feature",
            )
        }
        "pointwise" => {
            let cfg = config(&args, text.as_deref(), Cc2Config::from_toml, |c| {
                &mut c.trainer
            })?;
            let s = calogen_train::caloclouds2::run::train(&cfg, args.one_data()?, &args.out)?;
            if !args.out.join("consistency_ema.safetensors").exists() {
                install(&s.weights, &args.out.join(NET_FILE))?;
            }
            (
                s.steps,
                s.history,
                s.eval_before,
                s.eval_after,
                s.weights,
                "held-out EDM loss",
            )
        }
        "distil" => {
            let cfg = config(&args, text.as_deref(), DistilConfig::from_toml, |c| {
                &mut c.trainer
            })?;
            let teacher = args
                .teacher
                .clone()
                .unwrap_or_else(|| args.out.join("pointwise_net_ema.safetensors"));
            let s = calogen_train::caloclouds2::run::distil(&teacher, &cfg, args.one_data()?, &args.out)?;
            install(&s.weights, &args.out.join(NET_FILE))?;
            (
                s.steps,
                s.history,
                s.eval_before,
                s.eval_after,
                s.weights,
                "held-out distillation loss",
            )
        }
        "caloscore2" => return caloscore2(&args, text.as_deref()),
        "caloscore2-distil" => return caloscore2_distil(&args, text.as_deref()),
        p => bail!(
            "unknown part `{p}`: expected showerflow, pointwise, distil, caloscore2 or caloscore2-distil"
        ),
    };
    // What trained the model, for `evaluate`'s warning when the reference is among it: every part
    // trains on the file's showers but the held-out tail.
    let data = args.one_data()?;
    let n = calogen_data::open(data, &Default::default())?.len();
    TrainingShowers::of(data, 0..n.saturating_sub(N_EVAL)).write_dir(&args.out)?;
    for (step, loss) in &history.points {
        println!("step {step:>7}  training loss {loss:.5}");
    }
    println!(
        "{what}: {before:.5} -> {after:.5}; {steps} steps; {:.0} s in this invocation; {}",
        t0.elapsed().as_secs_f64(),
        weights.display()
    );
    Ok(())
}

fn data_files(args: &Args) -> Vec<&Path> {
    args.data.iter().map(PathBuf::as_path).collect()
}

/// `training.json` of a CaloScore v2 folder: every file's showers but its held-back tail.
fn write_training_showers(args: &Args, eval_per_file: usize, dir: &Path) -> Result<()> {
    let mut t = TrainingShowers::default();
    for p in &args.data {
        let n = calogen_data::open(p, &Default::default())?.len();
        t.push(p, 0..n.saturating_sub(eval_per_file));
    }
    t.write_dir(dir)?;
    Ok(())
}

/// `calogen train caloscore2`: both networks; OUT becomes a model folder.
fn caloscore2(args: &Args, text: Option<&str>) -> Result<()> {
    use calogen_train::caloscore2::TrainConfig;
    let cfg = config(args, text, TrainConfig::from_toml, |c| &mut c.trainer)?;
    let t0 = std::time::Instant::now();
    let s = calogen_train::caloscore2::run::train(&cfg, &data_files(args), &args.out)?;
    write_training_showers(args, cfg.data.eval_per_file, &args.out)?;
    for (step, loss) in &s.train_history {
        println!("step {step:>7}  training loss {loss:.5}");
    }
    for (step, l, v) in &s.heldout {
        println!("step {step:>7}  held-out loss: layer {l:.5}  voxel {v:.5}");
    }
    println!(
        "{} steps; {:.0} s in this invocation; model folder {}",
        s.steps,
        t0.elapsed().as_secs_f64(),
        s.model_dir.display()
    );
    Ok(())
}

/// `calogen train caloscore2-distil`: progressive distillation of the voxel network.
fn caloscore2_distil(args: &Args, text: Option<&str>) -> Result<()> {
    use calogen_train::caloscore2::DistilConfig;
    let cfg = config(args, text, DistilConfig::from_toml, |c| &mut c.trainer)?;
    let teacher = args
        .teacher
        .as_deref()
        .context("caloscore2-distil needs --teacher (a trained CaloScore v2 model folder)")?;
    let to = args
        .to_steps
        .context("caloscore2-distil needs --to-steps N")?;
    let t0 = std::time::Instant::now();
    let s =
        calogen_train::caloscore2::run::distil(teacher, &cfg, &data_files(args), &args.out, to)?;
    for (n, before, after) in &s.levels {
        println!("{n:>5} steps: held-out distillation loss {before:.5} -> {after:.5}");
    }
    println!(
        "{:.0} s in this invocation; model folder {}",
        t0.elapsed().as_secs_f64(),
        s.model_dir.display()
    );
    Ok(())
}
