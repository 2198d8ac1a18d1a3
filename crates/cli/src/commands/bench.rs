//! `calogen bench`: how fast the models run on this machine.
//!
//! Without `--model`: single-thread times of the CaloClouds3 one-step network (official weights)
//! on the shapes PyTorch was timed on, its GFLOP/s against the core's measured FMA peak, and one
//! 50 GeV shower end to end. With `--model M`: the CaloChallenge timing-and-size protocol
//! (paper 003 §8.6–8.7) for model family M.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

use calogen_models::bench::network::TORCH_64X1500_AS_64_CALLS_MS;
use calogen_models::bench::{
    peak_gflops, run_protocol, time_shape, Cc3Flops, PeakIsa, PeakOptions, ProtocolOptions,
    ProtocolReport, ShapeTiming, Summary, Threads, TORCH_REFERENCE,
};
use calogen_models::caloclouds3::{self, Cc3Model};
use calogen_models::family::{EndToEnd, TimingOptions};
use calogen_models::{LoadOptions, Registry};
use serde::Serialize;

use super::write_json;
use crate::progress;

/// Measure speed: the CaloClouds3 network against PyTorch and the FMA peak (no arguments), or the
/// CaloChallenge timing protocol for a model (--model).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    calogen bench                      # CC3 network table + 50 GeV showers end to end (CC3, CC II)\n  \
    calogen bench --quick --json speed.json\n  \
    calogen bench --model caloclouds3 --batch 1,100,10000 --repeats 10\n  \
    calogen bench --model caloclouds3 --batch 1,100 --threads 1 --json protocol.json\n\
    calogen bench --model caloclouds2 --batch 1,100 --threads 1\n\
    Models: caloclouds3 (official point-model weights, embedded; ShowerFlow of the paper's\n  \
    structure with random weights, run for its cost; see the printed stages), caloclouds2 (the\n  \
    embedded model trained by calogen).")]
pub struct Args {
    /// Run the 003 timing protocol for this model family instead of the network table.
    #[arg(long)]
    pub model: Option<String>,
    /// Protocol: showers per generate call, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        requires = "model",
        default_value = "1,100,10000"
    )]
    pub batch: Vec<usize>,
    /// Protocol: showers per repeat (default: one batch).
    #[arg(long, requires = "model")]
    pub showers: Option<usize>,
    /// Protocol: `1`, `all` or a thread count, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        requires = "model",
        default_value = "1,all"
    )]
    pub threads: Vec<String>,
    /// Repeats (protocol default 10; network table default 101 calls per shape, 15 for 64×1500).
    #[arg(long)]
    pub repeats: Option<usize>,
    /// Fewer repeats and a shorter peak measurement (for tests and a quick look).
    #[arg(long)]
    pub quick: bool,
    /// Seed of the noise and the incident particles.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the numbers as JSON to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

pub fn run(args: Args, registry: &Registry) -> Result<()> {
    match &args.model {
        Some(m) => run_protocol_cmd(&args, m, registry),
        None => run_network(&args, registry),
    }
}

/// Where and when a measurement was taken.
#[derive(Serialize)]
struct Machine {
    cpu: String,
    logical_cpus: usize,
    /// 1-minute load average before and after (other jobs share the cores).
    load_before: Option<f64>,
    load_after: Option<f64>,
    unix_time: u64,
    calogen_version: &'static str,
}

impl Machine {
    fn now() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Machine {
            cpu,
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_before: load_average(),
            load_after: None,
            unix_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            calogen_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn fmt_load(l: Option<f64>) -> String {
    l.map_or("n/a".into(), |v| format!("{v:.2}"))
}

// ---------------------------------------------------------------------------------------------
// Network table and end-to-end shower.

#[derive(Serialize)]
struct ShapeRow {
    #[serde(flatten)]
    timing: ShapeTiming,
    percent_of_peak: f64,
    torch_ms: (f64, f64),
    /// PyTorch time / ours (wall median), for the fastest and slowest PyTorch variant.
    speedup: (f64, f64),
    /// The same on our thread-CPU median (what an idle core would give; PyTorch's numbers are
    /// wall medians taken under load, so this favours us).
    speedup_cpu: Option<(f64, f64)>,
    target_speedup: f64,
    target_met: bool,
    /// The speed-up over the fastest PyTorch variant that running at 100 % of the measured peak
    /// would give: no kernel doing these flops on this core can beat it.
    speedup_ceiling_at_peak: f64,
}

#[derive(Serialize)]
struct NetworkReport {
    machine: Machine,
    model: &'static str,
    backend: String,
    threads: usize,
    peak_isa: &'static str,
    peak_gflops: f64,
    flops: FlopsJson,
    shapes: Vec<ShapeRow>,
    torch_64x1500_as_64_calls_ms: (f64, f64),
    /// The CaloClouds3 shower (the family of the network above).
    end_to_end_50gev: EndToEnd,
    /// Every other family's own end-to-end shower, as `<family>_end_to_end_50gev`.
    #[serde(flatten)]
    others: BTreeMap<String, EndToEnd>,
}

#[derive(Serialize)]
struct FlopsJson {
    per_point: u64,
    matmul_per_point: u64,
    per_shower: u64,
}

fn run_network(args: &Args, registry: &Registry) -> Result<()> {
    let mut machine = Machine::now();
    let model = Cc3Model::embedded().context("loading the embedded CaloClouds3 weights")?;
    // The kernels are single-threaded and run on this thread: no rayon pool is created here.
    let mut ws = model.workspace();
    let backend = ws.mlp_mut().backend();
    let isa = PeakIsa::of_backend(backend);
    let peak_opts = if args.quick {
        PeakOptions::quick()
    } else {
        PeakOptions::standard()
    };
    let flops = Cc3Flops::of(model.config());
    let reps_for = |b: usize, n: usize| match (args.repeats, args.quick, b * n) {
        (Some(r), _, _) => r.max(1),
        (None, true, _) => 5,
        (None, false, p) if p > 10_000 => 15,
        _ => 101,
    };
    let warmup = if args.quick { 1 } else { 3 };
    let pb = progress::bar_units(
        TORCH_REFERENCE.len() as u64 + 2 + registry.entries().len() as u64,
        "bench",
        "steps",
    );
    // Other jobs on a shared machine only ever slow a run down: the peak is measured before and
    // after the timings and the higher value kept.
    let peak_before = peak_gflops(isa, peak_opts);
    pb.inc(1);
    let mut timings = Vec::new();
    for r in &TORCH_REFERENCE {
        let t = time_shape(
            &model,
            &mut ws,
            r.showers,
            r.points,
            warmup,
            reps_for(r.showers, r.points),
        )?;
        timings.push(t);
        pb.inc(1);
    }
    // Each family's own shower end to end (the network above is CaloClouds3's).
    let timing = TimingOptions {
        seed: args.seed,
        warmup,
        repeats: args.repeats,
        quick: args.quick,
    };
    let mut e2e = None;
    let mut others = BTreeMap::new();
    for entry in registry.entries() {
        let family = match (entry.load)(None, &LoadOptions::default()) {
            // A family that loads from model folders only has no built-in shower to time.
            Err(calogen_models::Error::NoBuiltin(_)) => {
                pb.inc(1);
                continue;
            }
            r => r.with_context(|| format!("loading the {} model", entry.name))?,
        };
        if let Some(t) = family.end_to_end(&timing)? {
            if entry.name == caloclouds3::family::NAME {
                e2e = Some(t);
            } else {
                others.insert(format!("{}_end_to_end_50gev", entry.name), t);
            }
        }
        pb.inc(1);
    }
    let e2e = e2e.context("the CaloClouds3 family is not registered")?;
    let peak_after = peak_gflops(isa, peak_opts);
    pb.finish_and_clear();
    let peak = peak_before
        .zip(peak_after)
        .map(|(a, b)| a.max(b))
        .context("the FMA peak of the kernel's instruction set could not be measured")?;
    machine.load_after = load_average();

    let shapes: Vec<ShapeRow> = timings
        .into_iter()
        .zip(&TORCH_REFERENCE)
        .map(|(t, r)| {
            let speedup = (r.lo_ms / t.ms.median, r.hi_ms / t.ms.median);
            let speedup_cpu = t.cpu_ms.map(|c| (r.lo_ms / c.median, r.hi_ms / c.median));
            ShapeRow {
                percent_of_peak: 100.0 * t.gflops / peak,
                torch_ms: (r.lo_ms, r.hi_ms),
                speedup,
                speedup_cpu,
                target_speedup: r.target_speedup,
                target_met: speedup.0 >= r.target_speedup,
                speedup_ceiling_at_peak: r.lo_ms / (t.flops as f64 / (peak * 1e9) * 1e3),
                timing: t,
            }
        })
        .collect();
    let report = NetworkReport {
        machine,
        model: "CaloClouds3 one-step consistency model, official weights (embedded)",
        backend: format!("{backend:?}"),
        threads: 1,
        peak_isa: isa.name(),
        peak_gflops: peak,
        flops: FlopsJson {
            per_point: flops.per_point(),
            matmul_per_point: flops.matmul,
            per_shower: flops.per_shower,
        },
        shapes,
        torch_64x1500_as_64_calls_ms: TORCH_64X1500_AS_64_CALLS_MS,
        end_to_end_50gev: e2e,
        others,
    };
    print_network(&report);
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(())
}

fn print_network(r: &NetworkReport) {
    let m = &r.machine;
    println!("{}", r.model);
    println!(
        "1 thread, kernel {}; {} ({} logical CPUs), load average {} before, {} after",
        r.backend,
        m.cpu,
        m.logical_cpus,
        fmt_load(m.load_before),
        fmt_load(m.load_after)
    );
    println!(
        "FMA peak of one core ({}), measured: {:.1} GFLOP/s f32",
        r.peak_isa, r.peak_gflops
    );
    println!(
        "FLOP per point {} (W·h {}, gates/shifts/LeakyReLU/scalings the rest) + {} per shower",
        r.flops.per_point, r.flops.matmul_per_point, r.flops.per_shower
    );
    println!();
    println!(
        "{:>8} {:>10} {:>8} {:>8} {:>8} {:>7} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "B×N",
        "median ms",
        "min ms",
        "CPU ms",
        "GFLOP/s",
        "% peak",
        "PyTorch ms",
        "speed-up",
        "(CPU)",
        "target",
        "ceiling"
    );
    for s in &r.shapes {
        let t = &s.timing;
        println!(
            "{:>8} {:>10.3} {:>8.3} {:>8} {:>8.1} {:>6.0}% {:>10} {:>10} {:>10} {:>8} {:>7.1}×",
            format!("{}×{}", t.showers, t.points),
            t.ms.median,
            t.ms.min,
            t.cpu_ms
                .map_or("n/a".to_string(), |c| format!("{:.3}", c.median)),
            t.gflops,
            s.percent_of_peak,
            format!("{}–{}", s.torch_ms.0, s.torch_ms.1),
            format!("{:.1}–{:.1}×", s.speedup.0, s.speedup.1),
            s.speedup_cpu
                .map_or("n/a".to_string(), |c| format!("{:.1}–{:.1}×", c.0, c.1)),
            format!(
                "{}× {}",
                s.target_speedup,
                if s.target_met { "ok" } else { "MISS" }
            ),
            s.speedup_ceiling_at_peak,
        );
    }
    if let Some(b) = r.shapes.iter().find(|s| s.timing.showers == 64) {
        let (lo, hi) = r.torch_64x1500_as_64_calls_ms;
        println!(
            "PyTorch's best way to run 64×1500 is 64 separate calls ({lo}–{hi} ms): {:.1}–{:.1}× of ours",
            lo / b.timing.ms.median,
            hi / b.timing.ms.median
        );
    }
    println!(
        "PyTorch: 2.15, 1 thread, on this machine kind (CaloClouds3 SPEC §9). speed-up = PyTorch / our \
         wall median (GFLOP/s and % peak also at the wall median); (CPU): on our thread-CPU median, \
         which leaves out time other jobs held the core; target: on the wall median over the \
         fastest PyTorch variant; ceiling: the speed-up at 100 % of the measured peak (these flops \
         cannot run faster on this core)."
    );
    println!();
    println!("CaloClouds3 (official weights):");
    print_end_to_end(&r.end_to_end_50gev);
    for (key, e) in &r.others {
        println!();
        println!(
            "{} (embedded model):",
            key.trim_end_matches("_end_to_end_50gev")
        );
        print_end_to_end(e);
        let refs = &e.references;
        if let (Some(g4), Some(paper)) = (refs.get("geant4_ms"), refs.get("paper_ms")) {
            println!(
                "  Geant4 on this machine kind {g4} ms ({:.0}× slower than this median); its paper: {paper} ms (its CPU)",
                g4 / e.ms.median
            );
        }
    }
}

fn print_end_to_end(e: &EndToEnd) {
    println!(
        "End-to-end {} GeV shower, {} points ({}), into `{}` cells: median {:.3} ms, min {:.3} ms, CPU median {} ms (target ≤ {} ms: {})",
        e.energy_gev,
        e.points,
        e.points_source,
        e.geometry,
        e.ms.median,
        e.ms.min,
        e.cpu_ms.map_or("n/a".to_string(), |c| format!("{:.3}", c.median)),
        e.target_ms,
        if e.target_met { "ok" } else { "MISS" }
    );
    for s in &e.stages {
        println!(
            "  {:<44} median {:.3} ms, min {:.3} ms",
            s.name, s.ms.median, s.ms.min
        );
    }
    println!("  included: {}", e.included.join("; "));
    println!("  NOT included: {}", e.not_included.join("; "));
}

// ---------------------------------------------------------------------------------------------
// The 003 protocol.

#[derive(Serialize)]
struct ProtocolJson {
    machine: Machine,
    #[serde(flatten)]
    report: ProtocolReport,
}

fn parse_threads(specs: &[String]) -> Result<Vec<Threads>> {
    let mut out = Vec::new();
    for s in specs {
        let t = match s.trim() {
            "all" => Threads::all(),
            "1" => Threads::One,
            n => match n.parse::<usize>() {
                Ok(k) if k > 1 => Threads::Pool(k),
                _ => bail!("--threads: `{s}` is not 1, all or a thread count"),
            },
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn run_protocol_cmd(args: &Args, model: &str, registry: &Registry) -> Result<()> {
    let mut machine = Machine::now();
    let resolved = registry.resolve(Some(model)).context("--model")?;
    let (entry, dir) = (resolved.entry, resolved.dir);
    let load = || (entry.load)(dir.as_deref(), &LoadOptions::default());
    if args.batch.is_empty() || args.batch.contains(&0) {
        bail!("--batch: batch sizes must be positive");
    }
    let dir = tempfile::Builder::new()
        .prefix("calogen-bench-")
        .tempdir()
        .context("creating a temporary directory for the save step")?;
    let opts = ProtocolOptions {
        batches: args.batch.clone(),
        showers: args.showers,
        repeats: args
            .repeats
            .unwrap_or(if args.quick { 2 } else { 10 })
            .max(1),
        threads: parse_threads(&args.threads)?,
        seed: args.seed,
        save_dir: dir.path().to_path_buf(),
    };
    let pb = progress::bar(opts.total_showers(), "bench");
    let report = run_protocol(entry.name, &load, &opts, &|k| pb.inc(k))?;
    pb.finish_and_clear();
    machine.load_after = load_average();
    print_protocol(&report, &machine, entry.summary);
    if let Some(path) = &args.json {
        write_json(path, &ProtocolJson { machine, report })?;
    }
    Ok(())
}

fn pm(s: &Summary, d: usize) -> String {
    format!("{:.d$} ± {:.d$}", s.mean, s.std)
}

fn print_protocol(r: &ProtocolReport, m: &Machine, summary: &str) {
    println!("{} — {summary}", r.model);
    println!("generate = {}", r.stages);
    println!(
        "trainable parameters: training {}, generation {} ({})",
        r.parameters.training, r.parameters.generation, r.parameters.note
    );
    println!(
        "{} ({} logical CPUs), load average {} before, {} after; save = HDF5 in a temporary directory",
        m.cpu,
        m.logical_cpus,
        fmt_load(m.load_before),
        fmt_load(m.load_after)
    );
    println!("mean ± std over repeats:");
    println!(
        "{:>7} {:>6} {:>7} {:>4} {:>16} {:>20} {:>18} {:>18} {:>8}",
        "threads",
        "batch",
        "showers",
        "reps",
        "load ms",
        "generate ms/shower",
        "save ms/shower",
        "total ms/shower",
        "pts/shwr"
    );
    for row in &r.rows {
        println!(
            "{:>7} {:>6} {:>7} {:>4} {:>16} {:>20} {:>18} {:>18} {:>8.0}",
            row.threads,
            row.batch,
            row.showers,
            row.repeats,
            pm(&row.load_ms, 3),
            pm(&row.generate_ms_per_shower, 4),
            pm(&row.save_ms_per_shower, 4),
            pm(&row.total_ms_per_shower, 4),
            row.mean_points_per_shower
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_specs() {
        let t = parse_threads(&["1".into(), "all".into(), "3".into(), "1".into()]).unwrap();
        assert_eq!(t[0], Threads::One);
        assert_eq!(t[1], Threads::all());
        assert_eq!(
            t.len(),
            if Threads::all() == Threads::Pool(3) {
                2
            } else {
                3
            }
        );
        assert!(parse_threads(&["zero".into()]).is_err());
        assert!(parse_threads(&["0".into()]).is_err());
    }
}
