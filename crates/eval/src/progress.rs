//! Progress bars for evaluation's long loops (the classifier's epochs), by the CLI's rule: hidden
//! under CI and when stderr is not a terminal, so logs and test output stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars are hidden: under CI (`CI` set, as CI services do), or when stderr is not a
/// terminal (a log file, a pipe).
pub fn quiet(ci: bool, stderr_is_terminal: bool) -> bool {
    ci || !stderr_is_terminal
}

/// A bar over `len` epochs of `what` (hidden by [`quiet`]'s rule).
pub fn epochs(len: u64, what: &str) -> ProgressBar {
    if quiet(
        std::env::var_os("CI").is_some(),
        std::io::stderr().is_terminal(),
    ) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {pos}/{len} epochs ({elapsed}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

#[cfg(test)]
mod tests {
    use super::quiet;

    #[test]
    fn bars_show_only_on_a_terminal_outside_ci() {
        assert!(!quiet(false, true));
        assert!(quiet(true, true));
        assert!(quiet(false, false));
    }
}
