//! `calogen generate --shard i/n`: a run of N showers cut into n jobs. Shard i makes the showers
//! of the global indices i·N/n .. (i+1)·N/n, shower k drawing from `nn::shower_rng(seed, k)` as in
//! the single run, so `calogen merge` of the n files equals the single run dataset by dataset. The
//! files record what `merge` checks: model, seed, shard i of n, the global range and N.

use std::ops::Range;

use anyhow::{bail, Context, Result};
use calogen_data::formats::h5util::FileAttr;

/// The attribute names a shard file carries (and a merged or single run does not).
pub const ATTR_SHARD: &str = "calogen_shard";
pub const ATTR_RANGE: &str = "calogen_shard_range";
pub const ATTR_TOTAL: &str = "calogen_shard_total";
/// Every `generate` output names its model and seed (so a merged file equals the single run's).
pub const ATTR_MODEL: &str = "calogen_model";
pub const ATTR_SEED: &str = "calogen_seed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// "i/n" with 0 ≤ i < n.
    pub fn parse(s: &str) -> Result<Self> {
        let (i, n) = s
            .split_once('/')
            .with_context(|| format!("--shard {s}: expected i/n, e.g. 0/4 (shards 0 to 3 of 4)"))?;
        let index: usize = i
            .trim()
            .parse()
            .with_context(|| format!("--shard {s}: `{i}` is not a shard index"))?;
        let count: usize = n
            .trim()
            .parse()
            .with_context(|| format!("--shard {s}: `{n}` is not a shard count"))?;
        if count == 0 || index >= count {
            bail!("--shard {s}: the index must be in 0..{count} (shards are numbered from 0)");
        }
        Ok(Shard { index, count })
    }

    /// The global shower indices of this shard among `total`: balanced, contiguous, and together
    /// covering 0..total once.
    pub fn range(&self, total: usize) -> Result<Range<usize>> {
        if total < self.count {
            bail!(
                "--shard {}/{}: {total} showers cannot be cut into {} non-empty shards",
                self.index,
                self.count,
                self.count
            );
        }
        let at = |k: usize| (k as u128 * total as u128 / self.count as u128) as usize;
        Ok(at(self.index)..at(self.index + 1))
    }

    pub fn attributes(&self, range: &Range<usize>, total: usize) -> Vec<(&'static str, FileAttr)> {
        vec![
            (
                ATTR_SHARD,
                FileAttr::U64s(vec![self.index as u64, self.count as u64]),
            ),
            (
                ATTR_RANGE,
                FileAttr::U64s(vec![range.start as u64, range.end as u64]),
            ),
            (ATTR_TOTAL, FileAttr::U64s(vec![total as u64])),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_index_once() {
        for total in [3, 4, 7, 100, 1001] {
            for n in 1..=total.min(9) {
                let mut next = 0;
                for i in 0..n {
                    let r = Shard { index: i, count: n }.range(total).unwrap();
                    assert_eq!(r.start, next);
                    assert!(!r.is_empty());
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn bad_specs_are_refused() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1", "a/3", "0/0", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let err = Shard::parse("0/5")
            .unwrap()
            .range(3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("3 showers"), "{err}");
    }
}
