//! Consistency distillation of a trained PointWise Net (resumes if
//! `OUT_DIR/distil_checkpoint.safetensors` exists).
//!
//! `cargo run --release -p calogen-train --example distil_cc2 -- DATA.h5 TEACHER.safetensors OUT_DIR [CONFIG.toml] [steps=N]`

use calogen_train::caloclouds2::distil::DistilConfig;
use calogen_train::caloclouds2::run;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: distil_cc2 DATA.h5 TEACHER.safetensors OUT_DIR [CONFIG.toml] [steps=N]");
        std::process::exit(2);
    }
    let mut cfg = DistilConfig::default();
    for a in &args[3..] {
        if let Some(n) = a.strip_prefix("steps=") {
            cfg.trainer.steps = n.parse()?;
        } else {
            cfg = DistilConfig::from_toml(&std::fs::read_to_string(a)?)?;
        }
    }
    let t0 = std::time::Instant::now();
    let s = run::distil(
        &PathBuf::from(&args[1]),
        &cfg,
        &PathBuf::from(&args[0]),
        &PathBuf::from(&args[2]),
    )?;
    for (step, loss) in &s.history.points {
        println!("step {step:>7}  distillation loss {loss:.5}");
    }
    println!(
        "held-out distillation loss: {:.5} -> {:.5}; {} steps in {:.0} s; weights {}",
        s.eval_before,
        s.eval_after,
        s.steps,
        t0.elapsed().as_secs_f64(),
        s.weights.display()
    );
    Ok(())
}
