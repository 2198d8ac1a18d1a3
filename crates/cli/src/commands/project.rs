//! `calogen project`: points to detector cells or CaloChallenge voxels.

use std::path::PathBuf;

use anyhow::Result;

/// Project point clouds into a detector: sparse cells (planar geometries) or CaloChallenge voxels.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  calogen project --geometry ild-ecal fixtures/ild_photons_small.h5 cells.h5"
)]
pub struct Args {
    /// Geometry: a built-in name or a TOML file.
    #[arg(long)]
    pub geometry: String,
    pub input: PathBuf,
    pub output: PathBuf,
}

pub fn run(_args: Args) -> Result<()> {
    anyhow::bail!("not wired yet")
}
