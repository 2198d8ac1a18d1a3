//! Standard output that survives a closed pipe. `calogen info F | head -1` closes the pipe after
//! one line; std's `println!` then panics ("failed printing to stdout: Broken pipe", rc 101) and,
//! in `generate`, would abort before the output files are written. Here a broken pipe silently
//! stops further printing and the command finishes its real work; any other write error is
//! reported once on stderr.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

pub fn write(args: std::fmt::Arguments, newline: bool) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let result = out.write_fmt(args).and_then(|_| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = result {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            eprintln!("warning: standard output failed ({e}); not printing more");
        }
    }
}
