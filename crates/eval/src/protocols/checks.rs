//! Doubts about a comparison that do not stop it: the two samples' incident-energy spectra differ
//! (every observable then differs with them: a mean profile of a harder spectrum is higher), or
//! the samples are different kinds of shower (their files' layer counts differ: a pion file
//! against photons). `calogen evaluate` prints them and writes them into the report.

use crate::metrics::ks::ks_2samp;

/// Below this p-value of the two-sample KS test the incident-energy spectra are said to differ.
pub const SPECTRUM_P_VALUE: f64 = 0.01;

/// A warning if the incident-energy spectra differ (KS p-value below [`SPECTRUM_P_VALUE`]).
pub fn spectra(reference_mev: &[f32], generated_mev: &[f32]) -> Option<String> {
    let r: Vec<f64> = reference_mev.iter().map(|&e| e as f64).collect();
    let g: Vec<f64> = generated_mev.iter().map(|&e| e as f64).collect();
    let t = ks_2samp(&r, &g).ok()?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64 / 1e3;
    (t.p_value < SPECTRUM_P_VALUE).then(|| {
        format!(
            "the incident-energy spectra differ (two-sample KS test: D = {:.3}, p = {:.2e} < {}; \
             mean {:.2} GeV reference, {:.2} GeV generated): every observable differs with them, \
             compare samples of the same spectrum",
            t.statistic,
            t.p_value,
            SPECTRUM_P_VALUE,
            mean(&r),
            mean(&g)
        )
    })
}

/// A warning if the two files have different numbers of layers (different kinds of sample).
pub fn layer_counts(reference: Option<usize>, generated: Option<usize>) -> Option<String> {
    match (reference, generated) {
        (Some(r), Some(g)) if r != g => Some(format!(
            "the files are different kinds of sample: the reference has {r} layers, the \
             generated file {g}"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_spectrum_passes_and_a_shifted_one_warns() {
        let a: Vec<f32> = (0..200).map(|i| 10_000.0 + 400.0 * i as f32).collect();
        let b: Vec<f32> = (0..200).map(|i| 10_200.0 + 400.0 * i as f32).collect();
        assert!(spectra(&a, &b).is_none());
        let hard: Vec<f32> = a.iter().map(|e| e * 1.5).collect();
        let w = spectra(&a, &hard).unwrap();
        assert!(w.contains("incident-energy spectra differ"), "{w}");
        assert!(layer_counts(Some(30), Some(30)).is_none());
        assert!(layer_counts(Some(78), None).is_none());
        assert!(layer_counts(Some(30), Some(78))
            .unwrap()
            .contains("30 layers"));
    }
}
