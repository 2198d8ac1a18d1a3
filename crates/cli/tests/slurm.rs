//! A real batch system (issue 15): a one-node Slurm (scripts/slurm/one_node.sh) runs a 4-shard
//! `calogen generate` job array and the dependent merge (scripts/slurm/submit.sh); the merged
//! file equals the single run dataset by dataset. Skipped, with a message, where slurmctld,
//! slurmd or munged are not installed (CI installs them: .ci/run).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{assert_same_h5, calogen, run};

fn installed(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Slurm<'a>(&'a Path, &'a Path);

impl Drop for Slurm<'_> {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(self.0.join("one_node.sh"))
            .arg("stop")
            .arg(self.1)
            .status();
    }
}

#[test]
fn slurm_job_array_and_dependent_merge_equal_the_single_run() {
    let missing: Vec<&str> = ["slurmctld", "slurmd", "munged", "sbatch"]
        .into_iter()
        .filter(|t| !installed(t))
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: {missing:?} not installed (apt-get install slurm-wlm munge)");
        return;
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/slurm");
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let state = dir.join("slurm");
    let up = Command::new("bash")
        .arg(scripts.join("one_node.sh"))
        .arg("start")
        .arg(&state)
        .output()
        .unwrap();
    let _guard = Slurm(&scripts, &state);
    assert!(
        up.status.success(),
        "one-node Slurm did not start: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let conf = state.join("slurm.conf");
    let args = ["--energy", "10GeV..90GeV", "--n", "8", "--seed", "9"];
    let merged = dir.join("merged.h5");
    let sub = Command::new("bash")
        .arg(scripts.join("submit.sh"))
        .arg("4")
        .arg(dir.join("shards"))
        .arg(&merged)
        .args(args)
        .env("SLURM_CONF", &conf)
        .env("CALOGEN", env!("CARGO_BIN_EXE_calogen"))
        .env("CI", "1")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        sub.status.success(),
        "submit: {}",
        String::from_utf8_lossy(&sub.stderr)
    );
    // Until the merge job has left the queue.
    let t0 = Instant::now();
    loop {
        let q = Command::new("squeue")
            .args(["-h", "-o", "%i %T"])
            .env("SLURM_CONF", &conf)
            .output()
            .unwrap();
        if String::from_utf8_lossy(&q.stdout).trim().is_empty() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "jobs still queued: {}",
            String::from_utf8_lossy(&q.stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let logs: String = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".out"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(merged.exists(), "no merged file; job logs:\n{logs}");
    let single = dir.join("single.h5");
    run(calogen()
        .arg("generate")
        .args(args)
        .arg("--out")
        .arg(&single));
    assert_same_h5(&single, &merged);
}
