//! `calogen`: the command-line front end.

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

mod commands;
mod progress;
mod stdout;

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
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(a) => commands::info::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::EvaluateMulticlass(a) => commands::multiclass::run(a),
        Command::Project(a) => commands::project::run(a),
        Command::Bench(a) => commands::bench::run(a),
        #[cfg(feature = "train")]
        Command::Train(a) => commands::train::run(a),
        Command::Calibrate(a) => commands::calibrate::run(a),
        Command::Generate(a) => commands::generate::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
