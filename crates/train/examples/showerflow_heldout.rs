//! Held-out diagnostics of a trained ShowerFlow: quantiles of the per-shower NLL on the training
//! and held-out showers (a mean dominated by a few showers reads differently from a shift).
//!
//! `cargo run -p calogen-train --example showerflow_heldout -- DATA.h5 showerflow_ema.safetensors`

use calogen_train::data::ShowerSet;
use calogen_train::showerflow::run::load;
use calogen_train::showerflow::training::prepare;
use calogen_train::showerflow::FlowConfig;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let set = ShowerSet::open(
        &PathBuf::from(&args[0]),
        calogen_train::data::showers::N_EVAL,
    )?;
    let (flow, norm, cfg): (_, _, FlowConfig) = load(&PathBuf::from(&args[1]))?;
    let (train, _) = prepare(&set.train, set.n_layers, Some(&norm), cfg.direction);
    let (eval, _) = prepare(&set.eval, set.n_layers, Some(&norm), cfg.direction);
    let dev = calogen_train::infer_device();
    for (name, d) in [("train", &train), ("held-out", &eval)] {
        let rows: Vec<usize> = (0..d.n.min(500)).collect();
        let (x, c) = d.tensors(&rows, &dev);
        let lp = flow
            .log_prob(x, c)
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{e:?}"))?;
        let mut nll: Vec<f64> = lp.iter().map(|&l| -l as f64 / d.dim as f64).collect();
        nll.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| nll[((nll.len() - 1) as f64 * p) as usize];
        let mean = nll.iter().sum::<f64>() / nll.len() as f64;
        println!(
            "{name}: mean {mean:.3}  q10 {:.3} median {:.3} q90 {:.3} q99 {:.3} max {:.3}",
            q(0.1),
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0)
        );
    }
    Ok(())
}
