//! Progress bars for long work; hidden under CI and when stderr is not a terminal, so logs stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub fn bar(len: u64, what: &str) -> ProgressBar {
    bar_units(len, what, "showers")
}

/// A bar counting `unit`s (steps, files...) instead of showers.
pub fn bar_units(len: u64, what: &str, unit: &str) -> ProgressBar {
    let quiet = std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal();
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg:>12}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}
