//! Issue 12's kill tests: `calogen evaluate` (and below, `generate --format both`) killed with
//! SIGKILL and SIGTERM at moments spread over its run (loading, computing, writing — the write
//! phase stretched by the writer's test delay, which also sits between a set's renames).
//! Afterwards the output folder is the old complete report or the new complete one, compared file
//! by file against both, never a mix; SIGTERM leaves no temporary; after the next run none
//! remains at all.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Each commit of the writer pauses this long, so the write phase (about a dozen commits) is long
/// enough for evenly spread kills to land in it.
const COMMIT_DELAY_MS: &str = "25";
/// Kill moments, as fractions of a complete run's wall time.
const MOMENTS: [f64; 6] = [0.1, 0.3, 0.5, 0.7, 0.85, 0.97];

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5")
}

fn evaluate(out: &Path, generated: &str) -> Command {
    let f = fixture();
    let mut c = Command::new(env!("CARGO_BIN_EXE_calogen"));
    c.arg("evaluate")
        .arg("--reference")
        .arg(&f)
        .arg("--generated")
        .arg(&f)
        .args([
            "--reference-showers",
            "0..20",
            "--generated-showers",
            generated,
        ])
        .args([
            "--geometry",
            "ild-ecal",
            "--classifier-repeats",
            "0",
            "--out",
        ])
        .arg(out)
        .env("CALOGEN_TEST_COMMIT_DELAY_MS", COMMIT_DELAY_MS)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn run_complete(out: &Path, generated: &str) -> Duration {
    let t = Instant::now();
    let st = evaluate(out, generated).status().unwrap();
    assert!(st.success(), "evaluate {generated}: {st}");
    t.elapsed()
}

/// Every file under `dir` by relative path, with the run time (the one thing two runs of the same
/// inputs differ in) taken out of metrics.json, report.md and report.html.
fn manifest(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    if let Some(bytes) = m.get("metrics.json") {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("metrics.json whole");
        let secs = v["seconds"].as_f64().expect("seconds");
        v.as_object_mut().unwrap().remove("seconds");
        m.insert("metrics.json".into(), v.to_string().into_bytes());
        let shown = format!("{secs:.1} s");
        for name in ["report.md", "report.html"] {
            if let Some(b) = m.get_mut(name) {
                *b = String::from_utf8_lossy(b)
                    .replace(&shown, "T s")
                    .into_bytes();
            }
        }
    }
    m
}

fn count_files(p: &Path) -> usize {
    if p.is_dir() {
        std::fs::read_dir(p)
            .map(|es| es.map(|e| count_files(&e.unwrap().path())).sum())
            .unwrap_or(0)
    } else {
        1
    }
}

fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn evaluate_killed_at_any_moment_leaves_the_old_or_the_new_report() {
    let refs = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("eval");
    // The two complete reports a kill may leave: generated showers 20..40 and 24..40 (the fixture
    // holds 40).
    let runs = ["20..40", "24..40"];
    let mut t = Duration::ZERO;
    let mut want = Vec::new();
    for (i, g) in runs.iter().enumerate() {
        let dir = refs.path().join(i.to_string());
        t += run_complete(&dir, g);
        want.push(manifest(&dir));
    }
    assert_ne!(want[0], want[1]);
    assert!(
        want[0].keys().any(|k| k.starts_with("plots/")),
        "{:?}",
        want[0].keys()
    );
    let t = t / 2;
    run_complete(&out, runs[0]);
    let mut state = 0;
    let mut table = Vec::new();
    for sig in [libc::SIGKILL, libc::SIGTERM] {
        for f in MOMENTS {
            let next = 1 - state;
            let mut child = evaluate(&out, runs[next]).spawn().unwrap();
            std::thread::sleep(t.mul_f64(f));
            unsafe { libc::kill(child.id() as i32, sig) };
            let st = child.wait().unwrap();
            let m = manifest(&out);
            let outcome = if m == want[state] {
                "old"
            } else if m == want[next] {
                state = next;
                "new"
            } else {
                panic!(
                    "signal {sig} at {f} of a run: the folder is neither the old nor the new report: {:?}",
                    m.keys()
                );
            };
            let left = hidden(root.path());
            if sig == libc::SIGTERM {
                // 128 + signal once the writer's handler is installed; before (start-up) the
                // default action; a run that finished first exits 0.
                use std::os::unix::process::ExitStatusExt;
                assert!(
                    st.code() == Some(128 + sig) || st.signal() == Some(sig) || st.success(),
                    "{st}"
                );
                // Its own temporaries are gone (a SIGKILLed predecessor's stay until a writer
                // starts: a SIGTERM during start-up comes first).
                let own = format!(".calogen-{}-", child.id());
                assert!(
                    !left.iter().any(|n| n.contains(&own)),
                    "SIGTERM left {left:?}"
                );
            }
            // What a SIGKILL left shows the phase it hit: an empty new folder (loading or
            // computing) or one with files in it (writing).
            let written: usize = left.iter().map(|n| count_files(&root.path().join(n))).sum();
            table.push(format!(
                "{} at {:.2} s ({f} of a run): {outcome}, {} temporaries left ({written} files in them)",
                if sig == libc::SIGKILL {
                    "SIGKILL"
                } else {
                    "SIGTERM"
                },
                t.mul_f64(f).as_secs_f64(),
                left.len()
            ));
        }
    }
    // The next run sweeps what SIGKILL left and writes the new report.
    let next = 1 - state;
    run_complete(&out, runs[next]);
    assert_eq!(manifest(&out), want[next]);
    assert!(hidden(root.path()).is_empty(), "{:?}", hidden(root.path()));
    eprintln!(
        "kill test ({} kills; complete run {:.2} s):",
        table.len(),
        t.as_secs_f64()
    );
    for row in &table {
        eprintln!("  {row}");
    }
}

fn generate(out: &Path, seed: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calogen"));
    c.args(["generate", "--energy", "20GeV..60GeV", "--n", "40"])
        .args(["--format", "both", "--seed", seed, "--out"])
        .arg(out.join("x.h5"))
        .env("CALOGEN_TEST_COMMIT_DELAY_MS", "150")
        .env("CI", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// The pair `generate --format both` writes, by name; absent files are absent keys.
fn pair(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    ["x.h5", "x_cells.h5"]
        .iter()
        .filter_map(|n| std::fs::read(dir.join(n)).ok().map(|b| (n.to_string(), b)))
        .collect()
}

/// `generate --format both` killed at moments spread over its run: after the next calogen has
/// looked at the folder (`recover`, which every writer and `calogen_data::open` run first) the
/// points and cells are the old pair or the new pair, never one of each; SIGTERM leaves no
/// temporary of its own; the next complete run leaves none at all.
#[test]
fn generate_killed_at_any_moment_leaves_the_old_or_the_new_pair() {
    let refs = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = root.path();
    let seeds = ["1", "2"];
    let mut t = Duration::ZERO;
    let mut want = Vec::new();
    for (i, s) in seeds.iter().enumerate() {
        let dir = refs.path().join(i.to_string());
        std::fs::create_dir(&dir).unwrap();
        let t0 = Instant::now();
        assert!(generate(&dir, s).status().unwrap().success());
        t += t0.elapsed();
        want.push(pair(&dir));
        assert_eq!(want[i].len(), 2);
    }
    assert_ne!(want[0], want[1]);
    let t = t / 2;
    assert!(generate(out, seeds[0]).status().unwrap().success());
    let mut state = 0;
    let mut outcomes = Vec::new();
    for sig in [libc::SIGKILL, libc::SIGTERM] {
        for f in MOMENTS {
            let next = 1 - state;
            let mut child = generate(out, seeds[next]).spawn().unwrap();
            std::thread::sleep(t.mul_f64(f));
            unsafe { libc::kill(child.id() as i32, sig) };
            child.wait().unwrap();
            calogen_data::atomic::recover(out);
            let got = pair(out);
            if got == want[state] {
                outcomes.push("old");
            } else if got == want[next] {
                state = next;
                outcomes.push("new");
            } else {
                panic!(
                    "signal {sig} at {f} of a run: neither the old nor the new pair ({:?})",
                    got.keys()
                );
            }
            if sig == libc::SIGTERM {
                let own = format!(".calogen-{}-", child.id());
                let left = hidden(out);
                assert!(
                    !left.iter().any(|n| n.contains(&own)),
                    "SIGTERM left {left:?}"
                );
            }
        }
    }
    let next = 1 - state;
    assert!(generate(out, seeds[next]).status().unwrap().success());
    assert_eq!(pair(out), want[next]);
    assert!(hidden(out).is_empty(), "{:?}", hidden(out));
    eprintln!(
        "generate kill test: complete run {:.2} s; outcomes {outcomes:?}",
        t.as_secs_f64()
    );
}
