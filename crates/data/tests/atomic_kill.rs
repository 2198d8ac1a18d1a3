//! The atomic writer against real signals: this test binary re-runs itself as a child that
//! writes, the parent signals it at a known phase and checks what is left on disk.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use calogen_data::atomic::{self, AtomicDir, AtomicFile, FileSet};

const CHILD: &str = "CALOGEN_ATOMIC_TEST_CHILD";

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn spawn(test: &str, mode: &str, dir: &Path, delay_ms: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .env(CHILD, format!("{mode}:{}", dir.display()))
        .env("CALOGEN_TEST_COMMIT_DELAY_MS", delay_ms.to_string())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ready() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn ignored(sig: i32) -> bool {
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    old.sa_sigaction == libc::SIG_IGN
}

fn wait_or_kill(child: &mut Child) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the child ignored the signal");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn child_args() -> Option<(String, PathBuf)> {
    let v = std::env::var(CHILD).ok()?;
    let (mode, dir) = v.split_once(':')?;
    Some((mode.to_string(), PathBuf::from(dir)))
}

/// Child: holds every kind of live temporary, then writes forever.
#[test]
fn child_holding_temporaries() {
    let Some((_, dir)) = child_args() else { return };
    let mut f = AtomicFile::create(dir.join("big.bin")).unwrap();
    let cells =
        calogen_data::formats::CellsWriter::create(&dir.join("cells.h5"), "test", false).unwrap();
    let set = FileSet::new([dir.join("x.h5"), dir.join("x_cells.h5")]).unwrap();
    atomic::write(set.path_for(0), "points").unwrap();
    let out = AtomicDir::create(dir.join("eval"), &[]).unwrap();
    atomic::write(out.path().join("metrics.json"), "{}").unwrap();
    std::fs::write(dir.join("ready"), "").unwrap();
    loop {
        f.write_all(&[0u8; 4096]).unwrap();
        std::thread::sleep(Duration::from_millis(1));
        let _ = &cells;
    }
}

/// SIGTERM and SIGINT while writing: every temporary (file, HDF5 file, set member, folder) is
/// removed and the process ends with 128 + signal.
#[test]
fn sigterm_and_sigint_remove_every_temporary() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        if ignored(sig) {
            // Started with the signal ignored (a background job of a script): so is the child.
            continue;
        }
        let d = tempfile::tempdir().unwrap();
        let mut child = spawn("child_holding_temporaries", "hold", d.path(), 0);
        wait_for("the child's temporaries", || {
            d.path().join("ready").exists()
        });
        assert!(names(d.path()).len() >= 5, "{:?}", names(d.path()));
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = wait_or_kill(&mut child);
        assert_eq!(status.code(), Some(128 + sig), "signal {sig}");
        assert_eq!(names(d.path()), ["ready"], "signal {sig}");
    }
}

/// Child: replaces the pair x.h5 + x_cells.h5 ("old a"/"old b") by "new a"/"new b".
#[test]
fn child_committing_a_set() {
    let Some((_, dir)) = child_args() else { return };
    let set = FileSet::new([dir.join("x.h5"), dir.join("x_cells.h5")]).unwrap();
    atomic::write(set.path_for(0), "new a").unwrap();
    atomic::write(set.path_for(1), "new b").unwrap();
    std::fs::write(dir.join("written"), "").unwrap();
    set.commit().unwrap();
}

fn pair(dir: &Path) -> (String, String) {
    let r = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    (r("x.h5"), r("x_cells.h5"))
}

/// kill -9 of a set's commit, before and after its commit point (the journal), with the commit
/// slowed so the kill lands between the two members' renames: after the next calogen in the folder
/// (here `recover`, which `open` and every writer run), the pair is old-old or new-new.
#[test]
fn sigkill_during_a_set_commit_leaves_one_pair() {
    let old = ("old a".to_string(), "old b".to_string());
    let new = ("new a".to_string(), "new b".to_string());
    for phase in ["members written", "journal written", "one member renamed"] {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("x.h5"), "old a").unwrap();
        std::fs::write(d.path().join("x_cells.h5"), "old b").unwrap();
        let mut child = spawn("child_committing_a_set", "set", d.path(), 400);
        let journal = || names(d.path()).iter().any(|n| n.ends_with(".set"));
        match phase {
            "members written" => wait_for(phase, || d.path().join("written").exists()),
            "journal written" => wait_for(phase, journal),
            _ => wait_for(phase, || {
                journal() && std::fs::read_to_string(d.path().join("x.h5")).unwrap() == "new a"
            }),
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let seen = pair(d.path());
        if phase == "one member renamed" {
            assert_eq!(
                seen,
                ("new a".into(), "old b".into()),
                "the raw mix recovery must fix"
            );
        }
        atomic::recover(d.path());
        let want = if phase == "members written" {
            &old
        } else {
            &new
        };
        assert_eq!(&pair(d.path()), want, "{phase}");
        assert_eq!(
            names(d.path()),
            ["written", "x.h5", "x_cells.h5"],
            "{phase}"
        );
    }
}
