//! The FMA throughput of one core: many independent FMA chains, so latency never stalls the pipes.

use std::time::Instant;

/// Best measured f32 GFLOP/s with AVX-512 FMAs, or `None` if the CPU lacks AVX-512F.
pub fn avx512_gflops() -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was just detected.
        return Some(best(|n| unsafe { avx512(n) }));
    }
    None
}

/// Best measured f32 GFLOP/s with AVX2 FMAs, or `None` if the CPU lacks AVX2/FMA.
pub fn avx2_gflops() -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA were just detected.
        return Some(best(|n| unsafe { avx2(n) }));
    }
    None
}

/// Best of several timed runs; `kernel(iters)` returns its flop count and a value to keep.
fn best(kernel: impl Fn(u64) -> (f64, f32)) -> f64 {
    let iters = 20_000_000;
    kernel(iters / 10); // wake the core up to its turbo clock
    (0..7)
        .map(|_| {
            let t = Instant::now();
            let (flops, sink) = kernel(iters);
            let s = t.elapsed().as_secs_f64();
            std::hint::black_box(sink);
            flops / s / 1e9
        })
        .fold(0.0, f64::max)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(iters: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    // 12 chains: enough to cover 2 pipes × 4–5 cycles of FMA latency, few enough for 16 registers.
    const CHAINS: usize = 12;
    // black_box: opaque inputs, so the compiler cannot evaluate the chains ahead of time.
    let mut acc = [_mm256_set1_ps(std::hint::black_box(0.0)); CHAINS];
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
    ((iters * CHAINS as u64 * 8 * 2) as f64, out.iter().sum())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(iters: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    // 24 chains of 32 registers: covers 2 pipes × 4 cycles with margin.
    const CHAINS: usize = 24;
    let mut acc = [_mm512_set1_ps(std::hint::black_box(0.0)); CHAINS];
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
        (iters * CHAINS as u64 * 16 * 2) as f64,
        _mm512_reduce_add_ps(sum),
    )
}
