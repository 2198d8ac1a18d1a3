use super::*;

/// A PID that is not running: a child that has exited and been reaped.
pub(crate) fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    assert!(!registry::pid_alive(pid));
    pid
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn hidden_names_round_trip() {
    let n = hidden_name("x_cells.h5", 123, 7, "tmp");
    assert!(n.starts_with(".x_cells.h5.calogen-123-7."), "{n}");
    let h = parse_hidden(&n).unwrap();
    assert_eq!(
        (h.dest, h.pid, h.host, h.suffix),
        ("x_cells.h5", 123, host(), "tmp")
    );
    assert_eq!(parse_hidden(".x.h5.tmp"), None);
    assert_eq!(parse_hidden("x.h5"), None);
    assert_eq!(parse_hidden(".x.h5.calogen-abc-1.h.tmp"), None);
}

#[test]
fn commit_replaces_and_leaves_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.json");
    std::fs::write(&p, "old").unwrap();
    write(&p, "new").unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    assert_eq!(names(d.path()), ["a.json"]);
}

#[test]
fn error_before_commit_removes_the_temporary_and_keeps_the_old_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.json");
    std::fs::write(&p, "old").unwrap();
    let res: Result<()> = (|| {
        let mut f = AtomicFile::create(&p)?;
        f.write_all(b"half").unwrap();
        assert_eq!(
            names(d.path()).len(),
            2,
            "the temporary exists while writing"
        );
        Err(DataError::new(&p, "", "failed half-way"))
    })();
    assert!(res.is_err());
    assert_eq!(names(d.path()), ["a.json"]);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
}

#[test]
fn panic_before_commit_removes_the_temporary() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.h5");
    let r = std::panic::catch_unwind(|| {
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"half").unwrap();
        panic!("while writing");
    });
    assert!(r.is_err());
    assert!(names(d.path()).is_empty(), "{:?}", names(d.path()));
}

#[cfg(unix)]
#[test]
fn files_get_the_ordinary_mode_0644_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let old = unsafe { libc::umask(0o022) };
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bench.json");
    write(&p, "{}").unwrap();
    let dir = AtomicDir::create(d.path().join("eval"), &[]).unwrap();
    write(dir.path().join("metrics.json"), "{}").unwrap();
    dir.commit().unwrap();
    unsafe { libc::umask(old) };
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&p), 0o644);
    assert_eq!(mode(&d.path().join("eval")), 0o755);
    assert_eq!(mode(&d.path().join("eval/metrics.json")), 0o644);
}

#[test]
fn destination_checked_at_creation() {
    let d = tempfile::tempdir().unwrap();
    let e = AtomicFile::create(d.path().join("missing/a.h5")).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    let e = AtomicFile::create(d.path()).unwrap_err();
    assert!(e.to_string().contains("is a folder"), "{e}");
    std::fs::write(d.path().join("f"), "").unwrap();
    let e = AtomicDir::create(d.path().join("f"), &[]).unwrap_err();
    assert!(e.to_string().contains("is a file"), "{e}");
    let e = FileSet::new([d.path().join("a"), d.path().join("sub/b")]).unwrap_err();
    assert!(e.to_string().contains("one folder"), "{e}");
    assert!(check_file_dest(d.path().join("ok.json")).is_ok());
    assert_eq!(names(d.path()), ["f"], "checking writes nothing");
}

#[cfg(unix)]
#[test]
fn unwritable_folder_refused_at_creation() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let ro = d.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes anyway; the check is only meaningful for other users.
    if std::fs::write(ro.join("probe"), "").is_ok() {
        return;
    }
    let e = AtomicFile::create(ro.join("a.json")).unwrap_err();
    assert!(e.to_string().contains("cannot write in"), "{e}");
}

#[test]
fn stale_temporaries_of_dead_processes_are_swept() {
    let d = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    let stale = d.path().join(hidden_name("x.h5", dead, 0, "tmp"));
    std::fs::write(&stale, vec![0u8; 1000]).unwrap();
    let stale_dir = d.path().join(hidden_name("eval", dead, 1, "tmp"));
    std::fs::create_dir_all(stale_dir.join("plots")).unwrap();
    // A live process's temporary (ours, under another name) and a foreign look-alike stay.
    let live = d
        .path()
        .join(hidden_name("y.h5", std::process::id(), 99, "tmp"));
    std::fs::write(&live, "").unwrap();
    let other_host = d
        .path()
        .join(format!(".z.h5.calogen-{dead}-0.elsewhere.tmp"));
    std::fs::write(&other_host, "").unwrap();
    std::fs::write(d.path().join(".x.h5.tmp"), "").unwrap();
    write(d.path().join("new.json"), "{}").unwrap();
    let mut want = vec![
        ".x.h5.tmp".to_string(),
        live.file_name().unwrap().to_string_lossy().into_owned(),
        other_host
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        "new.json".into(),
    ];
    want.sort();
    assert_eq!(names(d.path()), want);
}

#[test]
fn file_set_commits_all_members_or_none() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("x.h5"), d.path().join("x_cells.h5"));
    std::fs::write(&a, "old a").unwrap();
    std::fs::write(&b, "old b").unwrap();
    // A member missing: the commit fails and changes nothing.
    let set = FileSet::new([&a, &b]).unwrap();
    write(set.path_for(0), "new a").unwrap();
    assert!(set.commit().is_err());
    assert_eq!(names(d.path()), ["x.h5", "x_cells.h5"]);
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
    // Dropped after writing both: nothing changes, nothing remains.
    let set = FileSet::new([&a, &b]).unwrap();
    write(set.path_for(0), "new a").unwrap();
    write(set.path_for(1), "new b").unwrap();
    drop(set);
    assert_eq!(names(d.path()), ["x.h5", "x_cells.h5"]);
    // Committed: both new.
    let set = FileSet::new([&a, &b]).unwrap();
    assert_eq!(set.dest(1), b.as_path());
    write(set.path_for(0), "new a").unwrap();
    write(set.path_for(1), "new b").unwrap();
    set.commit().unwrap();
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
    assert_eq!(names(d.path()), ["x.h5", "x_cells.h5"]);
}

/// A process killed after the journal's rename, with one of two members renamed: the next
/// writer or reader in the folder finishes the set; before the journal, the members are swept.
#[test]
fn journal_rolls_forward_after_a_kill() {
    let d = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    let (a, b) = (d.path().join("x.h5"), d.path().join("x_cells.h5"));
    let (ta, tb) = (
        hidden_name("x.h5", dead, 1, "tmp"),
        hidden_name("x_cells.h5", dead, 2, "tmp"),
    );
    std::fs::write(&a, "new a").unwrap(); // already renamed
    std::fs::write(&b, "old b").unwrap();
    std::fs::write(d.path().join(&tb), "new b").unwrap();
    let journal = d.path().join(hidden_name("x.h5", dead, 3, set::JOURNAL));
    std::fs::write(&journal, format!("{ta}\tx.h5\n{tb}\tx_cells.h5\n")).unwrap();
    recover_beside(&a);
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
    assert_eq!(names(d.path()), ["x.h5", "x_cells.h5"]);

    // Killed before the journal: members are stale temporaries, the old pair stays.
    std::fs::write(d.path().join(&ta), "newer a").unwrap();
    std::fs::write(d.path().join(&tb), "newer b").unwrap();
    write(d.path().join("other.json"), "{}").unwrap();
    assert_eq!(names(d.path()), ["other.json", "x.h5", "x_cells.h5"]);
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
}

#[test]
fn folder_swapped_whole() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("eval");
    let files = ["metrics.json", "report.md", "plots"];
    for (run, plots) in [("1", 3), ("2", 2)] {
        let dir = AtomicDir::create(&out, &files).unwrap();
        write(dir.path().join("metrics.json"), run).unwrap();
        std::fs::create_dir(dir.path().join("plots")).unwrap();
        for i in 0..plots {
            write(dir.path().join(format!("plots/{i}.png")), run).unwrap();
        }
        dir.commit().unwrap();
        assert_eq!(names(&out.join("plots")).len(), plots, "no old plot stays");
        assert_eq!(
            std::fs::read_to_string(out.join("metrics.json")).unwrap(),
            run
        );
    }
    assert_eq!(names(d.path()), ["eval"]);
    // Dropped uncommitted: the old folder stays, the new one goes.
    let dir = AtomicDir::create(&out, &files).unwrap();
    write(dir.path().join("metrics.json"), "3").unwrap();
    drop(dir);
    assert_eq!(names(d.path()), ["eval"]);
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.json")).unwrap(),
        "2"
    );
    // A folder holding something calogen did not write is not swapped away.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let e = AtomicDir::create(&out, &files).unwrap_err();
    assert!(e.to_string().contains("notes.txt"), "{e}");
}

#[test]
fn folder_set_aside_by_an_interrupted_fallback_swap_comes_back() {
    let d = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    let old = d.path().join(hidden_name("eval", dead, 0, dir::OLD));
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("metrics.json"), "old").unwrap();
    let new = d.path().join(hidden_name("eval", dead, 1, "tmp"));
    std::fs::create_dir(&new).unwrap();
    recover(d.path());
    assert_eq!(names(d.path()), ["eval"]);
    assert_eq!(names(&d.path().join("eval")), ["metrics.json"]);
}
