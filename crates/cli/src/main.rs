//! `calogen`: the command-line front end.

mod commands;
mod progress;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "calogen",
    version,
    about = "Generative fast simulation of calorimeter showers: read, project, train, generate, evaluate",
    after_help = "Example:\n  calogen info fixtures/ild_photons_small.h5\n  calogen project --geometry ild-ecal fixtures/ild_photons_small.h5 cells.h5"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Info(commands::info::Args),
    Evaluate(commands::evaluate::Args),
    Project(commands::project::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(a) => commands::info::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::Project(a) => commands::project::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
