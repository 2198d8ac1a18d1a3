//! Weight packing and 32-byte aligned scratch for the fused kernel.

use super::MR;

/// One layer `y = act(scale ⊙ (W h) + shift)` with W in micro-kernel order: for each block of
/// [`MR`] output rows, the [`MR`] weights of input channel 0, then of channel 1, ...
/// (`w[(block·k + i)·MR + r]`), so the kernel's broadcasts walk memory sequentially. Rows past
/// `out_dim` are zero.
///
/// Scale and shift live outside W so that a per-shower modulation (ConcatSquashLinear's gate and
/// bias, SPEC §2) costs `out_dim` values per shower instead of a repack of the whole matrix; the
/// kernel applies them with one FMA per output vector.
#[derive(Debug, Clone)]
pub struct PackedLayer {
    k: usize,
    m: usize,
    leaky: bool,
    pub(super) w: Vec<f32>,
    pub(super) scale: Vec<f32>,
    pub(super) shift: Vec<f32>,
}

impl PackedLayer {
    /// `weight` is row-major [out, in]; starts with scale 1 and shift = `bias`.
    pub fn new(in_dim: usize, weight: &[f32], bias: &[f32], leaky: bool) -> Self {
        let m = bias.len();
        assert_eq!(weight.len(), in_dim * m, "weight must be [out, in]");
        let mp = m.div_ceil(MR) * MR;
        let mut w = vec![0.0; mp * in_dim];
        for (o, row) in weight.chunks_exact(in_dim).enumerate() {
            let (block, r) = (o / MR, o % MR);
            for (i, &v) in row.iter().enumerate() {
                w[(block * in_dim + i) * MR + r] = v;
            }
        }
        let mut l = PackedLayer {
            k: in_dim,
            m,
            leaky,
            w,
            scale: vec![0.0; mp],
            shift: vec![0.0; mp],
        };
        l.set_affine(&vec![1.0; m], bias);
        l
    }

    /// Per output channel: y = act(scale·(W h) + shift).
    pub fn set_affine(&mut self, scale: &[f32], shift: &[f32]) {
        assert_eq!(scale.len(), self.m, "scale length");
        assert_eq!(shift.len(), self.m, "shift length");
        self.scale[..self.m].copy_from_slice(scale);
        self.shift[..self.m].copy_from_slice(shift);
    }

    pub fn in_dim(&self) -> usize {
        self.k
    }

    pub fn out_dim(&self) -> usize {
        self.m
    }

    /// Output rows including the zero padding to a multiple of [`MR`].
    pub fn padded_out(&self) -> usize {
        self.shift.len()
    }

    pub fn leaky(&self) -> bool {
        self.leaky
    }
}

#[repr(C, align(32))]
#[derive(Clone, Copy)]
struct Block([f32; 8]);

/// f32 scratch whose start is 32-byte aligned, so the kernel's 8-lane loads never split lines.
pub(super) struct AlignedBuf {
    blocks: Vec<Block>,
    len: usize,
}

impl AlignedBuf {
    pub fn zeros(len: usize) -> Self {
        AlignedBuf {
            blocks: vec![Block([0.0; 8]); len.div_ceil(8)],
            len,
        }
    }

    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: `Block` is 8 contiguous f32 with no padding (repr(C), size 32), and
        // `len ≤ 8·blocks.len()`.
        unsafe { std::slice::from_raw_parts(self.blocks.as_ptr().cast(), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_slice`, with unique access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.blocks.as_mut_ptr().cast(), self.len) }
    }
}
