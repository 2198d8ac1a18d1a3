//! Learning-rate schedules. CaloClouds II uses a constant 1e-4 (paper 000, Sec. 3.3); cosine and
//! step decay are for short runs, where annealing reaches a lower loss sooner.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    #[default]
    Constant,
    /// Linear warm-up over `warmup` steps, then cosine from the base rate to `min_factor`·base at
    /// `total` steps.
    Cosine {
        warmup: u64,
        total: u64,
        min_factor: f64,
    },
    /// Multiply by `gamma` every `every` steps.
    Step { every: u64, gamma: f64 },
}

impl LrSchedule {
    /// Learning rate at (0-based) `step` for base rate `base`.
    pub fn lr(&self, base: f64, step: u64) -> f64 {
        match *self {
            Self::Constant => base,
            Self::Cosine {
                warmup,
                total,
                min_factor,
            } => {
                if step < warmup {
                    return base * (step + 1) as f64 / warmup as f64;
                }
                let span = total.saturating_sub(warmup).max(1) as f64;
                let p = ((step - warmup) as f64 / span).min(1.0);
                let c = 0.5 * (1.0 + (std::f64::consts::PI * p).cos());
                base * (min_factor + (1.0 - min_factor) * c)
            }
            Self::Step { every, gamma } => base * gamma.powi((step / every.max(1)) as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_endpoints() {
        let s = LrSchedule::Cosine {
            warmup: 10,
            total: 110,
            min_factor: 0.1,
        };
        assert!((s.lr(1.0, 0) - 0.1).abs() < 1e-12);
        assert!((s.lr(1.0, 10) - 1.0).abs() < 1e-12);
        assert!((s.lr(1.0, 110) - 0.1).abs() < 1e-12);
        assert!((s.lr(1.0, 60) - 0.55).abs() < 1e-12);
    }

    #[test]
    fn step_decay() {
        let s = LrSchedule::Step {
            every: 5,
            gamma: 0.5,
        };
        assert_eq!(s.lr(1.0, 4), 1.0);
        assert_eq!(s.lr(1.0, 5), 0.5);
        assert_eq!(s.lr(1.0, 10), 0.25);
    }
}
