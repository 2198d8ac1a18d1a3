//! Short CaloClouds II PointWise Net training run (resumes if `out/checkpoint.safetensors` exists).
//!
//! `cargo run --release -p calogen-train --example train_cc2 -- DATA.h5 OUT_DIR [CONFIG.toml] [steps=N]`

use calogen_train::caloclouds2::{run, Cc2Config};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: train_cc2 DATA.h5 OUT_DIR [CONFIG.toml] [steps=N]");
        std::process::exit(2);
    }
    let mut cfg = Cc2Config::default();
    for a in &args[2..] {
        if let Some(n) = a.strip_prefix("steps=") {
            cfg.trainer.steps = n.parse()?;
        } else {
            cfg = Cc2Config::from_toml(&std::fs::read_to_string(a)?)?;
        }
    }
    let t0 = std::time::Instant::now();
    let s = run::train(&cfg, &PathBuf::from(&args[0]), &PathBuf::from(&args[1]))?;
    for (step, loss) in &s.history.points {
        println!("step {step:>7}  train loss {loss:.4}");
    }
    println!(
        "held-out EDM loss (EMA): {:.4} -> {:.4}; {} steps in {:.0} s; weights {}",
        s.eval_before,
        s.eval_after,
        s.steps,
        t0.elapsed().as_secs_f64(),
        s.weights.display()
    );
    Ok(())
}
