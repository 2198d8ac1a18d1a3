//! Progress bar, hidden in CI and when stderr is not a terminal (logs stay clean).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub fn bar(total: u64, done: u64) -> ProgressBar {
    if std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_position(done);
    pb
}
