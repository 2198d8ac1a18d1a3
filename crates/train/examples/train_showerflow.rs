//! Short ShowerFlow training run (resumes if `out/showerflow_checkpoint.safetensors` exists).
//!
//! `cargo run --release -p calogen-train --example train_showerflow -- DATA.h5 OUT_DIR [CONFIG.toml] [steps=N]`

use calogen_train::showerflow::{run, FlowConfig};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: train_showerflow DATA.h5 OUT_DIR [CONFIG.toml] [steps=N]");
        std::process::exit(2);
    }
    let mut cfg = FlowConfig::default();
    for a in &args[2..] {
        if let Some(n) = a.strip_prefix("steps=") {
            cfg.trainer.steps = n.parse()?;
        } else {
            cfg = FlowConfig::from_toml(&std::fs::read_to_string(a)?)?;
        }
    }
    let t0 = std::time::Instant::now();
    let s = run::train(&cfg, &PathBuf::from(&args[0]), &PathBuf::from(&args[1]))?;
    for (step, loss) in &s.history.points {
        println!("step {step:>7}  train NLL {loss:.4}");
    }
    println!(
        "held-out NLL per feature (EMA, nats): {:.4} -> {:.4}; {} steps in {:.0} s; weights {}",
        s.eval_before,
        s.eval_after,
        s.steps,
        t0.elapsed().as_secs_f64(),
        s.weights.display()
    );
    Ok(())
}
