//! The process-wide list of live temporaries and the SIGTERM/SIGINT handler that removes them.
//!
//! A temporary is registered when it is created and unregistered when it is committed or
//! dropped. The first registration starts a thread that waits for SIGTERM or SIGINT (through
//! `signal-hook`, so nothing runs inside the signal handler itself); on a signal it takes the
//! registry's lock, removes every live temporary and ends the process with status 128 + signal.
//! Commits hold the same lock while they rename, so a signal never removes a temporary that a
//! commit has already announced (a set's journal) and never interrupts a swap half-way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
}

static LIVE: Mutex<BTreeMap<u64, (PathBuf, Kind)>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static HANDLER: Once = Once::new();

/// A number unique in this process, for temporary names and registry keys.
pub(crate) fn next_id() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The registry, locked; a panic elsewhere while it was held does not make it unusable.
pub(crate) fn lock() -> MutexGuard<'static, BTreeMap<u64, (PathBuf, Kind)>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn register(id: u64, path: &Path, kind: Kind) {
    install_handler();
    lock().insert(id, (path.to_path_buf(), kind));
}

pub(crate) fn unregister(id: u64) {
    lock().remove(&id);
}

pub(crate) fn remove(path: &Path, kind: Kind) {
    let _ = match kind {
        Kind::File => std::fs::remove_file(path),
        Kind::Dir => std::fs::remove_dir_all(path),
    };
}

#[cfg(unix)]
fn install_handler() {
    HANDLER.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        // A signal the process was started with ignored (`nohup`, `&` in a script) stays ignored.
        let wanted: Vec<i32> = [SIGTERM, SIGINT]
            .into_iter()
            .filter(|&s| !ignored(s))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new(&wanted) else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("calogen-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    let live = lock();
                    for (path, kind) in live.values() {
                        remove(path, *kind);
                    }
                    // The lock stays held: no commit can start after the clean-up. `_exit` skips
                    // atexit handlers (HDF5's would close files other threads are writing).
                    unsafe { libc::_exit(128 + sig) };
                }
            });
        drop(spawned);
    });
}

#[cfg(unix)]
fn ignored(sig: i32) -> bool {
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    rc == 0 && old.sa_sigaction == libc::SIG_IGN
}

#[cfg(not(unix))]
fn install_handler() {}

/// Whether the process `pid` may still be running (then its temporaries are not stale). Where
/// this cannot be known, the answer is yes, so nothing of a live process is ever removed.
#[cfg(unix)]
pub(crate) fn pid_alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if p <= 0 {
        return true;
    }
    if unsafe { libc::kill(p, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
pub(crate) fn pid_alive(_pid: u32) -> bool {
    true
}
