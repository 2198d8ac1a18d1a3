//! The FMA throughput of one core, the yardstick for the kernels' GFLOP/s.
//!
//! Many independent FMA chains, so the 4–5 cycle latency of one FMA never stalls the two FMA
//! pipes: what is left is the issue rate, i.e. the peak. The best of several runs is kept because
//! on a shared machine other jobs can only make a run slower, never faster.

use std::time::Instant;

use crate::nn::fused::Backend;

/// Which instructions the peak was measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeakIsa {
    /// 16-lane AVX-512F FMAs.
    Avx512,
    /// 8-lane AVX2 FMAs.
    Avx2Fma,
    /// Plain Rust multiply then add on 8-float arrays (whatever the compiler's baseline target
    /// vectorises them to): the yardstick of the portable kernel.
    Portable,
}

impl PeakIsa {
    pub fn name(self) -> &'static str {
        match self {
            PeakIsa::Avx512 => "AVX-512F FMA",
            PeakIsa::Avx2Fma => "AVX2+FMA",
            PeakIsa::Portable => "portable mul+add",
        }
    }

    /// The instruction set whose peak bounds a kernel backend.
    pub fn of_backend(b: Backend) -> Self {
        match b {
            Backend::Avx512 => PeakIsa::Avx512,
            Backend::Avx2Fma => PeakIsa::Avx2Fma,
            Backend::Portable => PeakIsa::Portable,
        }
    }

    /// Whether this CPU can run the measurement.
    pub fn supported(self) -> bool {
        match self {
            PeakIsa::Avx512 => Backend::Avx512.supported(),
            PeakIsa::Avx2Fma => Backend::Avx2Fma.supported(),
            PeakIsa::Portable => true,
        }
    }
}

/// How long to measure: `runs` timed runs of `iters` loop trips each (after one warm-up run of a
/// tenth of that, which lets the core reach its boost clock). Many short runs rather than a few
/// long ones: on a shared core a run of a few ms often gets through without being preempted, a
/// run of 40 ms rarely does, and only the best run counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeakOptions {
    pub iters: u64,
    pub runs: usize,
}

impl PeakOptions {
    /// About 2 ms per run with AVX2 at 3 GHz; 60 runs.
    pub fn standard() -> Self {
        PeakOptions {
            iters: 1_000_000,
            runs: 60,
        }
    }

    /// A few milliseconds in all, for tests and `--quick`.
    pub fn quick() -> Self {
        PeakOptions {
            iters: 1_000_000,
            runs: 3,
        }
    }
}

/// Single-thread peak GFLOP/s (f32, an FMA counted as 2 flops) of `isa`, or `None` when this CPU
/// cannot run it.
pub fn peak_gflops(isa: PeakIsa, opts: PeakOptions) -> Option<f64> {
    if !isa.supported() {
        return None;
    }
    let kernel: fn(u64) -> (f64, f32) = match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` checked AVX2 and FMA just above.
        PeakIsa::Avx2Fma => |n| unsafe { avx2(n) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` checked AVX-512F just above.
        PeakIsa::Avx512 => |n| unsafe { avx512(n) },
        _ => portable,
    };
    Some(best_of(kernel, opts))
}

fn best_of(kernel: fn(u64) -> (f64, f32), opts: PeakOptions) -> f64 {
    let iters = opts.iters.max(1);
    std::hint::black_box(kernel((iters / 10).max(1)));
    (0..opts.runs.max(1))
        .map(|_| {
            let t = Instant::now();
            let (flops, sink) = kernel(iters);
            let s = t.elapsed().as_secs_f64();
            std::hint::black_box(sink);
            flops / s.max(1e-9) / 1e9
        })
        .fold(0.0, f64::max)
}

/// Chains that cover 2 pipes × 5 cycles of latency, few enough to live in 16 ymm registers.
const CHAINS_256: usize = 12;
/// With 32 zmm registers there is room for twice as many.
const CHAINS_512: usize = 24;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(iters: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    // black_box: opaque inputs, so the compiler cannot evaluate the chains ahead of time.
    let mut acc = [_mm256_set1_ps(std::hint::black_box(0.0)); CHAINS_256];
    let a = _mm256_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm256_set1_ps(std::hint::black_box(1e-7));
    for _ in 0..iters {
        for v in acc.iter_mut() {
            *v = _mm256_fmadd_ps(*v, a, b);
        }
    }
    let mut sum = _mm256_setzero_ps();
    for v in acc {
        sum = _mm256_add_ps(sum, v);
    }
    let mut out = [0.0f32; 8];
    _mm256_storeu_ps(out.as_mut_ptr(), sum);
    ((iters * CHAINS_256 as u64 * 8 * 2) as f64, out.iter().sum())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(iters: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(std::hint::black_box(0.0)); CHAINS_512];
    let a = _mm512_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm512_set1_ps(std::hint::black_box(1e-7));
    for _ in 0..iters {
        for v in acc.iter_mut() {
            *v = _mm512_fmadd_ps(*v, a, b);
        }
    }
    let mut sum = _mm512_setzero_ps();
    for v in acc {
        sum = _mm512_add_ps(sum, v);
    }
    (
        (iters * CHAINS_512 as u64 * 16 * 2) as f64,
        _mm512_reduce_add_ps(sum),
    )
}

/// The same chains in plain Rust: multiply then add (a fused `mul_add` would call libm's `fmaf`
/// on targets without FMA, which measures a function call, not the arithmetic units).
fn portable(iters: u64) -> (f64, f32) {
    let mut acc = [[std::hint::black_box(0.0f32); 8]; CHAINS_256];
    let a = std::hint::black_box(0.999_999f32);
    let b = std::hint::black_box(1e-7f32);
    for _ in 0..iters {
        for v in acc.iter_mut() {
            for x in v.iter_mut() {
                *x = *x * a + b;
            }
        }
    }
    let sum = acc.iter().flatten().sum();
    ((iters * CHAINS_256 as u64 * 8 * 2) as f64, sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_positive_finite_and_quick() {
        let t = Instant::now();
        for isa in [PeakIsa::Portable, PeakIsa::Avx2Fma, PeakIsa::Avx512] {
            match peak_gflops(isa, PeakOptions::quick()) {
                Some(g) => assert!(g.is_finite() && g > 0.0, "{isa:?}: {g}"),
                None => assert!(!isa.supported(), "{isa:?} supported but not measured"),
            }
        }
        // Release: a few ms; a debug build of the portable loop is far slower but still bounded.
        assert!(t.elapsed().as_secs_f64() < 20.0, "{:?}", t.elapsed());
    }

    #[test]
    fn fma_beats_portable_when_available() {
        // Two FMA pipes of 8 lanes give 32 flops/cycle, at least ~2× what mul+add on SSE reaches:
        // a measurement that got this backwards would be measuring the wrong thing.
        // Ten short runs each: on a loaded machine the best of ten is rarely preempted.
        let opts = PeakOptions {
            runs: 10,
            ..PeakOptions::quick()
        };
        let Some(fma) = peak_gflops(PeakIsa::Avx2Fma, opts) else {
            eprintln!("skipped: this CPU has no AVX2+FMA, so there is no FMA peak to compare");
            return;
        };
        let port = peak_gflops(PeakIsa::Portable, opts).unwrap();
        assert!(fma > port, "AVX2 FMA {fma} GFLOP/s vs portable {port}");
    }
}
