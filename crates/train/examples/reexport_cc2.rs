//! Rewrites exported CaloClouds II weights with the current metadata (adds the `inference` entry
//! the fused inference of `calogen-models` reads to files written by an older build).
//!
//! `cargo run -p calogen-train --example reexport_cc2 -- flow|net SRC.safetensors DST.safetensors`

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 3 {
        eprintln!("usage: reexport_cc2 flow|net SRC DST");
        std::process::exit(2);
    }
    let (src, dst) = (PathBuf::from(&a[1]), PathBuf::from(&a[2]));
    match a[0].as_str() {
        "flow" => calogen_train::showerflow::run::reexport(&src, &dst)?,
        "net" => calogen_train::caloclouds2::run::reexport(&src, &dst)?,
        k => return Err(format!("unknown kind {k}").into()),
    }
    Ok(())
}
