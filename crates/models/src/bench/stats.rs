//! Repeated timings and their summary.

use std::time::Instant;

use serde::Serialize;

/// Summary of repeated measurements (any unit; the caller names it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for a single value.
    pub std: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// `None` for no values or any non-finite one (a summary must never carry NaN into a file).
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = values.len();
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        };
        Some(Summary {
            n,
            mean,
            std: var.sqrt(),
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    /// [`Summary::of`] of timings, which must all be finite.
    pub fn of_timings(values: &[f64]) -> crate::error::Result<Self> {
        Self::of(values)
            .ok_or_else(|| crate::error::Error::Invalid("a timing was not finite".into()))
    }

    /// Every field times `k` (std and spread scale with the values).
    pub fn scaled(&self, k: f64) -> Self {
        Summary {
            n: self.n,
            mean: self.mean * k,
            std: self.std * k.abs(),
            median: self.median * k,
            min: self.min * k,
            max: self.max * k,
        }
    }
}

/// CPU time this thread has used, ms (`None` where the OS offers no per-thread clock). Unlike the
/// wall clock it does not advance while other jobs hold the core.
pub fn thread_cpu_ms() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Some(ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 * 1e-6);
        }
    }
    None
}

/// Wall and thread-CPU milliseconds of each of `reps` calls of `f` (after `warmup` untimed calls);
/// the CPU times are `None` without a per-thread clock.
pub fn time_wall_cpu_ms(
    warmup: usize,
    reps: usize,
    mut f: impl FnMut(),
) -> (Vec<f64>, Option<Vec<f64>>) {
    for _ in 0..warmup {
        f();
    }
    let mut wall = Vec::with_capacity(reps.max(1));
    let mut cpu = Some(Vec::with_capacity(reps.max(1)));
    for _ in 0..reps.max(1) {
        let c0 = thread_cpu_ms();
        let t = Instant::now();
        f();
        wall.push(t.elapsed().as_secs_f64() * 1e3);
        match (c0, thread_cpu_ms(), cpu.as_mut()) {
            (Some(a), Some(b), Some(v)) => v.push(b - a),
            _ => cpu = None,
        }
    }
    (wall, cpu)
}

/// Milliseconds of `reps` calls of `f`, after `warmup` untimed calls.
pub fn time_ms(warmup: usize, reps: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_values() {
        // numpy: mean 3.0, std(ddof=1) sqrt(2.5), median 3.
        let s = Summary::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (s.n, s.mean, s.median, s.min, s.max),
            (5, 3.0, 3.0, 1.0, 5.0)
        );
        assert!((s.std - 2.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(Summary::of(&[1.0, 2.0]).unwrap().median, 1.5);
        assert_eq!(Summary::of(&[7.0]).unwrap().std, 0.0);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        let k = s.scaled(2.0);
        assert_eq!((k.mean, k.min, k.max), (6.0, 2.0, 10.0));
        assert!((k.std - 2.0 * 2.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn cpu_time_follows_work_not_sleep() {
        let (wall, cpu) = time_wall_cpu_ms(0, 2, || {
            std::thread::sleep(std::time::Duration::from_millis(20));
        });
        assert!(wall.iter().all(|&w| w >= 20.0), "{wall:?}");
        if let Some(cpu) = cpu {
            // Sleeping uses (almost) no CPU.
            assert!(cpu.iter().all(|&c| (0.0..5.0).contains(&c)), "{cpu:?}");
        }
    }

    #[test]
    fn time_ms_counts_calls() {
        let mut calls = 0;
        let t = time_ms(2, 3, || calls += 1);
        assert_eq!((t.len(), calls), (3, 5));
        assert!(t.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
}
