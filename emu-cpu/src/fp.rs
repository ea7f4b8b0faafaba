//! Floating-point semantics, bit-exact to the RISC-V F, D and Zfh extensions (unprivileged
//! spec chapters 13, 14 and 22): NaN-boxing, the canonical NaN, fflags, all rounding modes,
//! saturating conversions. Pure functions on register bits; the interpreter resolves the
//! dynamic rounding mode, sets mstatus.FS and accumulates the flags.
//!
//! TODO(helper): implementation (Berkeley SoftFloat 3e with the RISC-V specialization, through
//! softfloat-wrapper).

/// A floating-point format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fmt {
    H,
    S,
    D,
}

/// fflags bits.
pub mod flags {
    pub const NX: u8 = 1;
    pub const UF: u8 = 2;
    pub const OF: u8 = 4;
    pub const DZ: u8 = 8;
    pub const NV: u8 = 16;
}

/// A static rounding mode (the dynamic mode already resolved through frm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Rm {
    Rne = 0,
    Rtz = 1,
    Rdn = 2,
    Rup = 3,
    Rmm = 4,
}

impl Rm {
    /// Valid static modes 0..=4; 5, 6 are reserved and 7 (dynamic) must be resolved first.
    pub fn from_bits(bits: u8) -> Option<Rm> {
        Some(match bits {
            0 => Rm::Rne,
            1 => Rm::Rtz,
            2 => Rm::Rdn,
            3 => Rm::Rup,
            4 => Rm::Rmm,
            _ => return None,
        })
    }
}

/// Which integer type a conversion reads or produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntKind {
    W,
    Wu,
    L,
    Lu,
}

/// Sign-injection variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sgnj {
    J,
    N,
    X,
}

/// A result (a NaN-boxed register value, or an integer register value for compares,
/// classify and conversions to integer) with the exception flags it raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FpOut {
    pub value: u64,
    pub flags: u8,
}
// Temporary stubs until the fp branch lands.
pub fn nan_box(_: Fmt, b: u64) -> u64 { b }
pub fn add(_: Fmt, _: u64, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn sub(_: Fmt, _: u64, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn mul(_: Fmt, _: u64, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn div(_: Fmt, _: u64, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn sqrt(_: Fmt, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn fma(_: Fmt, _: u64, _: u64, _: u64, _: Rm, _: bool, _: bool) -> FpOut { unimplemented!() }
pub fn min(_: Fmt, _: u64, _: u64) -> FpOut { unimplemented!() }
pub fn max(_: Fmt, _: u64, _: u64) -> FpOut { unimplemented!() }
pub fn sgnj(_: Fmt, _: u64, _: u64, _: Sgnj) -> u64 { unimplemented!() }
pub fn eq(_: Fmt, _: u64, _: u64) -> FpOut { unimplemented!() }
pub fn lt(_: Fmt, _: u64, _: u64) -> FpOut { unimplemented!() }
pub fn le(_: Fmt, _: u64, _: u64) -> FpOut { unimplemented!() }
pub fn classify(_: Fmt, _: u64) -> u64 { unimplemented!() }
pub fn to_int(_: Fmt, _: u64, _: IntKind, _: Rm) -> FpOut { unimplemented!() }
pub fn from_int(_: Fmt, _: u64, _: IntKind, _: Rm) -> FpOut { unimplemented!() }
pub fn convert(_: Fmt, _: Fmt, _: u64, _: Rm) -> FpOut { unimplemented!() }
pub fn mv_to_x(_: Fmt, r: u64) -> u64 { r }
pub fn mv_from_x(_: Fmt, x: u64) -> u64 { x }
