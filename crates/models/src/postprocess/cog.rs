//! Centre-of-gravity shift (CaloClouds II §3): the flow predicts the energy-weighted mean of the
//! transverse coordinates; all points move rigidly so that the generated shower has it.
//! (CaloClouds3 dropped this step, §3.3 "Removal of CoG calibration".)

use crate::error::{Error, Result};

/// Energy-weighted mean of `x` and `y`; `None` when the total energy is not positive.
pub fn centre_of_gravity(x: &[f32], y: &[f32], energy: &[f32]) -> Option<[f64; 2]> {
    let (mut sx, mut sy, mut se) = (0.0f64, 0.0f64, 0.0f64);
    for ((&a, &b), &e) in x.iter().zip(y).zip(energy) {
        let e = e as f64;
        sx += a as f64 * e;
        sy += b as f64 * e;
        se += e;
    }
    (se > 0.0).then(|| [sx / se, sy / se])
}

/// Moves every point by the same offset so that the shower's centre of gravity becomes `target`.
/// Returns the offset applied. A shower without energy cannot be placed (error).
pub fn shift_to_cog(
    x: &mut [f32],
    y: &mut [f32],
    energy: &[f32],
    target: [f64; 2],
) -> Result<[f64; 2]> {
    if x.len() != energy.len() || y.len() != energy.len() {
        return Err(Error::Invalid(format!(
            "CoG shift: {} x, {} y, {} energies",
            x.len(),
            y.len(),
            energy.len()
        )));
    }
    let cog = centre_of_gravity(x, y, energy)
        .ok_or_else(|| Error::Invalid("CoG shift: the shower has no energy".into()))?;
    let d = [target[0] - cog[0], target[1] - cog[1]];
    for v in x.iter_mut() {
        *v = (*v as f64 + d[0]) as f32;
    }
    for v in y.iter_mut() {
        *v = (*v as f64 + d[1]) as f32;
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cog_lands_on_target() {
        let mut x = [1.0f32, -2.0, 4.0];
        let mut y = [0.0f32, 3.0, -1.0];
        let e = [1.0f32, 3.0, 0.5];
        // (1 - 6 + 2)/4.5, (0 + 9 - 0.5)/4.5
        let c = centre_of_gravity(&x, &y, &e).unwrap();
        assert!((c[0] - (-3.0 / 4.5)).abs() < 1e-12 && (c[1] - 8.5 / 4.5).abs() < 1e-12);
        shift_to_cog(&mut x, &mut y, &e, [10.0, -5.0]).unwrap();
        let c = centre_of_gravity(&x, &y, &e).unwrap();
        assert!(
            (c[0] - 10.0).abs() < 1e-5 && (c[1] + 5.0).abs() < 1e-5,
            "{c:?}"
        );
        assert!(shift_to_cog(&mut x, &mut y, &[0.0; 3], [0.0, 0.0]).is_err());
    }
}
