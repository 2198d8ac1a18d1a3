//! Little-endian element bytes → f32, for the float dtypes checkpoints store weights in.

/// A stored element type the loaders can turn into f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatKind {
    F16,
    BF16,
    F32,
    F64,
}

impl FloatKind {
    pub(crate) fn size(self) -> usize {
        match self {
            FloatKind::F16 | FloatKind::BF16 => 2,
            FloatKind::F32 => 4,
            FloatKind::F64 => 8,
        }
    }

    /// Element `i` of a little-endian buffer; the caller has checked the bounds.
    pub(crate) fn read(self, bytes: &[u8], i: usize) -> f32 {
        let s = self.size();
        let b = &bytes[i * s..(i + 1) * s];
        match self {
            FloatKind::F16 => f16_to_f32(u16::from_le_bytes([b[0], b[1]])),
            FloatKind::BF16 => f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16),
            FloatKind::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            FloatKind::F64 => {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
        }
    }
}

/// IEEE binary16 → f32 (exact: every half value is representable as f32).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f32;
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f32.powi(exp - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn reads_little_endian() {
        let b = 1.5f32.to_le_bytes();
        assert_eq!(FloatKind::F32.read(&b, 0), 1.5);
        let d = (-0.25f64).to_le_bytes();
        assert_eq!(FloatKind::F64.read(&d, 0), -0.25);
        let bf = ((1.5f32.to_bits() >> 16) as u16).to_le_bytes();
        assert_eq!(FloatKind::BF16.read(&bf, 0), 1.5);
    }
}
