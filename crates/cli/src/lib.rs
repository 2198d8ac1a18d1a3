//! `calogen` as a library: the command line parsed and run against a [`Registry`] of model
//! families, so a family registered by a test (or another front end) goes through `generate`,
//! `bench` and `calibrate` without touching this crate. `main.rs` runs it with
//! [`Registry::builtin`].

// `println!`/`print!` in every command go through `stdout::write`, which survives a closed pipe
// (`calogen info F | head -1`). Defined before the modules so that their textual scope covers
// them and shadows std's macros.
macro_rules! println {
    () => { $crate::stdout::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*), true) };
}
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*), false) };
}

pub mod commands;
mod progress;
mod stdout;

use std::ffi::OsString;

pub use calogen_models::Registry;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "calogen",
    version,
    about = "Generative fast simulation of calorimeter showers: read, project, train, generate, evaluate",
    after_help = "Example:\n  calogen info fixtures/ild_photons_small.h5\n  calogen project --geometry ild-ecal fixtures/ild_photons_small.h5 cells.h5\n  calogen bench"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Info(commands::info::Args),
    Evaluate(commands::evaluate::Args),
    EvaluateMulticlass(commands::multiclass::Args),
    Project(commands::project::Args),
    Bench(commands::bench::Args),
    #[cfg(feature = "train")]
    Train(commands::train::Args),
    Calibrate(commands::calibrate::Args),
    Generate(commands::generate::Args),
    Merge(commands::merge::Args),
}

/// Parses `args` (the program name first, as in `std::env::args_os`) and runs the command with
/// the families of `registry`. Parse errors, `--help` and `--version` come back as a
/// [`clap::Error`] inside the `anyhow::Error`.
pub fn run_with<I, T>(args: I, registry: &Registry) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    match cli.command {
        Command::Info(a) => commands::info::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::EvaluateMulticlass(a) => commands::multiclass::run(a),
        Command::Project(a) => commands::project::run(a),
        Command::Bench(a) => commands::bench::run(a, registry),
        #[cfg(feature = "train")]
        Command::Train(a) => commands::train::run(a),
        Command::Calibrate(a) => commands::calibrate::run(a, registry),
        Command::Generate(a) => commands::generate::run(a, registry),
        Command::Merge(a) => commands::merge::run(a),
    }
}

/// The binary's entry: the process arguments with `registry`; errors printed, exit status 1
/// (clap's own exit codes and output for usage errors, `--help` and `--version`).
pub fn main_with(registry: &Registry) {
    if let Err(e) = run_with(std::env::args_os(), registry) {
        if let Some(c) = e.downcast_ref::<clap::Error>() {
            c.exit();
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
