//! The 32-bit encodings the decoder knows, as `(op, mask, match, format)` rows for the
//! generator: the decoder's own MATCH/MASK table (`emu_cpu::decode::PATTERNS`), so a new
//! extension in the decoder is generated here without further work.

use emu_cpu::decode::Op;
use std::sync::LazyLock;

/// Operand layout, the decoder's `Format`.
pub use emu_cpu::decode::Format as F;

pub static PATTERNS: LazyLock<Vec<(Op, u32, u32, F)>> = LazyLock::new(|| {
    emu_cpu::decode::PATTERNS
        .iter()
        .map(|p| (p.op, p.mask, p.matches, p.format))
        .collect()
});

/// F/D/Zfh computational formats (everything floating-point but loads and stores).
pub fn is_fp_compute(f: F) -> bool {
    matches!(
        f,
        F::FpR4
            | F::FpR3Rm
            | F::FpR3
            | F::FpCmp
            | F::FpR1Rm
            | F::FpToX
            | F::XToFp
            | F::FpToXNoRm
            | F::XToFpNoRm
    )
}

/// Formats with a rounding-mode field (bits 14:12).
pub fn has_rm(f: F) -> bool {
    matches!(f, F::FpR4 | F::FpR3Rm | F::FpR1Rm | F::FpToX | F::XToFp)
}
