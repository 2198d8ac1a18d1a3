//! A dataset-2-shaped CaloChallenge file of 2 GB goes through `calogen info` in bounded memory.
//!
//! Ignored by default (it writes 2 GB): `cargo test --release -p calogen-cli --test large_file -- --ignored --nocapture`.
//! Set `CALOGEN_BIG_DIR` to choose where the file is written (default: the system temp dir).

use calogen_data::formats::CaloChallengeWriter;
use calogen_data::VoxelShowers;

const N_VOXELS: usize = 6480;
const TARGET_BYTES: u64 = 2_000_000_000;

fn peak_rss_children_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss as f64 / 1024.0 // kB -> MB on Linux
}

#[test]
#[ignore = "writes a 2 GB file; run explicitly"]
fn info_on_2gb_file_stays_under_300mb() {
    let dir = std::env::var_os("CALOGEN_BIG_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(dir).unwrap();
    let path = tmp.path().join("ds2_2gb.h5");
    let per_shower = (N_VOXELS * 4) as u64;
    let n = TARGET_BYTES.div_ceil(per_shower) as usize;
    let t = std::time::Instant::now();
    let mut w = CaloChallengeWriter::create_with(&path, N_VOXELS, None).unwrap();
    let mut state = 1u64;
    let chunk = 1000;
    for start in (0..n).step_by(chunk) {
        let mut v = VoxelShowers::new(N_VOXELS);
        for _ in start..(start + chunk).min(n) {
            let row = v.push_zeroed(1000.0 * (1 + start % 1000) as f32);
            for e in row.iter_mut() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 40) as f32 / (1u64 << 24) as f32;
                *e = if u < 0.8 { 0.0 } else { u * 100.0 };
            }
        }
        w.append(&v).unwrap();
    }
    w.finish().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!(
        "wrote {n} showers, {:.2} GB, in {:.1} s",
        size as f64 / 1e9,
        t.elapsed().as_secs_f64()
    );
    assert!(size >= TARGET_BYTES);

    let before = peak_rss_children_mb();
    let t = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["info", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak = peak_rss_children_mb();
    eprintln!(
        "info took {:.1} s, peak resident memory {peak:.0} MB (before: {before:.0} MB)",
        t.elapsed().as_secs_f64()
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["n_showers"].as_u64().unwrap() as usize, n);
    assert!(peak < 300.0, "peak RSS {peak} MB");
}
