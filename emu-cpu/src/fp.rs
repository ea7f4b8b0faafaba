//! Floating-point semantics, bit-exact to the RISC-V F, D and Zfh extensions (unprivileged
//! spec chapters 13, 14 and 22): NaN-boxing, the canonical NaN, fflags, all rounding modes,
//! saturating conversions. Pure functions on register bits; the interpreter resolves the
//! dynamic rounding mode, sets mstatus.FS and accumulates the flags.
//!
//!
//! Crate choice: softfloat-wrapper 0.3 (safe API over Berkeley SoftFloat 3e built with its RISCV
//! specialization: canonical NaNs, RISC-V saturation values, tininess after rounding).
//!
//! SoftFloat does the arithmetic, conversions and compares. NaN-boxing, fmin/fmax, fclass, sign
//! injection and fmv are bit manipulations done here, in safe Rust: SoftFloat has no
//! minimumNumber/maximumNumber operation nor a classify, and the others are not arithmetic.
//! SoftFloat's rounding mode and exception flags are thread-local; every operation here sets the
//! mode, clears the flags before it runs and reads them after, so results do not depend on what
//! ran before on the same thread.

use softfloat_wrapper::{ExceptionFlags, Float, RoundingMode, F16, F32, F64};

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

/// Bit layout of a format: the masks the bit-level operations (boxing, fmin/fmax, fclass, sign
/// injection) work with.
#[derive(Clone, Copy)]
struct Layout {
    /// All value bits of the format.
    mask: u64,
    sign: u64,
    exp: u64,
    frac: u64,
    /// The most significant fraction bit: set in a quiet NaN, clear in a signalling one.
    quiet: u64,
    /// The canonical NaN (spec 13.3 / 14.3 / 22.2): positive, quiet bit set, rest of payload 0.
    canonical_nan: u64,
}

const fn layout(fmt: Fmt) -> Layout {
    match fmt {
        Fmt::H => Layout {
            mask: 0xffff,
            sign: 0x8000,
            exp: 0x7c00,
            frac: 0x03ff,
            quiet: 0x0200,
            canonical_nan: 0x7e00,
        },
        Fmt::S => Layout {
            mask: 0xffff_ffff,
            sign: 0x8000_0000,
            exp: 0x7f80_0000,
            frac: 0x007f_ffff,
            quiet: 0x0040_0000,
            canonical_nan: 0x7fc0_0000,
        },
        Fmt::D => Layout {
            mask: u64::MAX,
            sign: 0x8000_0000_0000_0000,
            exp: 0x7ff0_0000_0000_0000,
            frac: 0x000f_ffff_ffff_ffff,
            quiet: 0x0008_0000_0000_0000,
            canonical_nan: 0x7ff8_0000_0000_0000,
        },
    }
}

impl Layout {
    fn is_nan(self, v: u64) -> bool {
        v & self.exp == self.exp && v & self.frac != 0
    }

    fn is_snan(self, v: u64) -> bool {
        self.is_nan(v) && v & self.quiet == 0
    }
}

/// NaN-box a value of `fmt` into a 64-bit f register (spec 14.2): for a format narrower than
/// FLEN = 64 all upper bits are set to 1. D is stored as is.
pub fn nan_box(fmt: Fmt, bits: u64) -> u64 {
    let l = layout(fmt);
    (bits & l.mask) | !l.mask
}

/// The value bits of `fmt` held in register value `reg` (spec 14.2): a narrower value that is
/// not properly NaN-boxed (upper bits not all 1) reads as that format's canonical NaN.
pub fn unbox(fmt: Fmt, reg: u64) -> u64 {
    let l = layout(fmt);
    if reg | l.mask == u64::MAX {
        reg & l.mask
    } else {
        l.canonical_nan
    }
}

/// A SoftFloat type as a register value of one format.
trait RegFloat: Float + Copy {
    const FMT: Fmt;
    fn from_value(v: u64) -> Self;
    fn value(self) -> u64;
    /// Convert from another SoftFloat type into this one, rounding with `rm`.
    fn convert_from<S: Float>(s: &S, rm: RoundingMode) -> Self;

    /// Read an f register as this format (unboxing it).
    fn load(reg: u64) -> Self {
        Self::from_value(unbox(Self::FMT, reg))
    }

    /// The NaN-boxed register value of this result.
    fn store(self) -> u64 {
        nan_box(Self::FMT, self.value())
    }
}

impl RegFloat for F16 {
    const FMT: Fmt = Fmt::H;
    fn from_value(v: u64) -> Self {
        F16::from_bits(v as u16)
    }
    fn value(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn convert_from<S: Float>(s: &S, rm: RoundingMode) -> Self {
        s.to_f16(rm)
    }
}

impl RegFloat for F32 {
    const FMT: Fmt = Fmt::S;
    fn from_value(v: u64) -> Self {
        F32::from_bits(v as u32)
    }
    fn value(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn convert_from<S: Float>(s: &S, rm: RoundingMode) -> Self {
        s.to_f32(rm)
    }
}

impl RegFloat for F64 {
    const FMT: Fmt = Fmt::D;
    fn from_value(v: u64) -> Self {
        F64::from_bits(v)
    }
    fn value(self) -> u64 {
        self.to_bits()
    }
    fn convert_from<S: Float>(s: &S, rm: RoundingMode) -> Self {
        s.to_f64(rm)
    }
}

/// Run `$body` with the type alias `$T` bound to the SoftFloat type of `$fmt`.
macro_rules! by_fmt {
    ($fmt:expr, $T:ident => $body:expr) => {
        match $fmt {
            Fmt::H => {
                type $T = F16;
                $body
            }
            Fmt::S => {
                type $T = F32;
                $body
            }
            Fmt::D => {
                type $T = F64;
                $body
            }
        }
    };
}

fn rounding(rm: Rm) -> RoundingMode {
    match rm {
        Rm::Rne => RoundingMode::TiesToEven,
        Rm::Rtz => RoundingMode::TowardZero,
        Rm::Rdn => RoundingMode::TowardNegative,
        Rm::Rup => RoundingMode::TowardPositive,
        Rm::Rmm => RoundingMode::TiesToAway,
    }
}

/// Run one SoftFloat operation with the thread-local exception flags cleared before and read
/// after, and translate them to fflags. (SoftFloat's "infinite" flag is IEEE divide-by-zero.)
fn with_flags(op: impl FnOnce() -> u64) -> FpOut {
    ExceptionFlags::default().set();
    let value = op();
    let mut raised = ExceptionFlags::default();
    raised.get();
    let mut fflags = 0;
    if raised.is_inexact() {
        fflags |= flags::NX;
    }
    if raised.is_underflow() {
        fflags |= flags::UF;
    }
    if raised.is_overflow() {
        fflags |= flags::OF;
    }
    if raised.is_infinite() {
        fflags |= flags::DZ;
    }
    if raised.is_invalid() {
        fflags |= flags::NV;
    }
    FpOut {
        value,
        flags: fflags,
    }
}

/// fadd.
pub fn add(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).add(T::load(b), rm).store()))
}

/// fsub.
pub fn sub(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).sub(T::load(b), rm).store()))
}

/// fmul.
pub fn mul(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).mul(T::load(b), rm).store()))
}

/// fdiv.
pub fn div(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).div(T::load(b), rm).store()))
}

/// fsqrt.
pub fn sqrt(fmt: Fmt, a: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).sqrt(rm).store()))
}

/// The fused multiply-adds, with one rounding (spec 13.6):
/// fmadd: (false,false) a*b+c; fmsub: (false,true) a*b-c; fnmsub: (true,false) -(a*b)+c;
/// fnmadd: (true,true) -(a*b)-c.
///
/// Negating the product is done by flipping the sign of `a` before the exact multiply, which
/// gives the same exact value (and so the same rounding and zero signs); a flipped NaN stays
/// signalling or quiet, so NV is unchanged. SoftFloat's mulAdd raises NV for inf*0 even when
/// the addend is a quiet NaN, as the spec requires.
pub fn fma(
    fmt: Fmt,
    a: u64,
    b: u64,
    c: u64,
    rm: Rm,
    negate_product: bool,
    negate_addend: bool,
) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| {
        let mut x = T::load(a);
        let mut z = T::load(c);
        if negate_product {
            x = x.neg();
        }
        if negate_addend {
            z = z.neg();
        }
        x.fused_mul_add(T::load(b), z, rm).store()
    }))
}

/// fmin/fmax of the 2019+ spec (13.6, IEEE 754-2019 minimumNumber/maximumNumber): -0 < +0, a
/// single NaN input yields the other operand, two NaNs yield the canonical NaN, and any
/// signalling NaN input raises NV even when the result is not a NaN.
fn min_max(fmt: Fmt, a: u64, b: u64, want_max: bool) -> FpOut {
    let l = layout(fmt);
    let x = unbox(fmt, a);
    let y = unbox(fmt, b);
    let flags = if l.is_snan(x) || l.is_snan(y) {
        flags::NV
    } else {
        0
    };
    let value = match (l.is_nan(x), l.is_nan(y)) {
        (true, true) => l.canonical_nan,
        (true, false) => y,
        (false, true) => x,
        (false, false) => {
            // Sign-magnitude order with -0 below +0.
            let (sx, sy) = (x & l.sign != 0, y & l.sign != 0);
            let x_below_y = if sx != sy {
                sx
            } else if sx {
                x > y
            } else {
                x < y
            };
            if x_below_y != want_max {
                x
            } else {
                y
            }
        }
    };
    FpOut {
        value: nan_box(fmt, value),
        flags,
    }
}

/// fmin.
pub fn min(fmt: Fmt, a: u64, b: u64) -> FpOut {
    min_max(fmt, a, b, false)
}

/// fmax.
pub fn max(fmt: Fmt, a: u64, b: u64) -> FpOut {
    min_max(fmt, a, b, true)
}

/// fsgnj/fsgnjn/fsgnjx (spec 13.7): the inputs are unboxed like any other operation (an
/// improperly boxed input is the canonical NaN), then the bits are copied as they are: no NaN
/// canonicalisation and no flags.
pub fn sgnj(fmt: Fmt, a: u64, b: u64, kind: Sgnj) -> u64 {
    let l = layout(fmt);
    let x = unbox(fmt, a);
    let y = unbox(fmt, b);
    let sign = match kind {
        Sgnj::J => y,
        Sgnj::N => !y,
        Sgnj::X => x ^ y,
    } & l.sign;
    nan_box(fmt, (x & !l.sign) | sign)
}

/// feq: quiet compare, NV only for a signalling NaN input (spec 13.8).
pub fn eq(fmt: Fmt, a: u64, b: u64) -> FpOut {
    by_fmt!(fmt, T => with_flags(|| u64::from(T::load(a).eq(T::load(b)))))
}

/// flt: signalling compare, NV for any NaN input (spec 13.8).
pub fn lt(fmt: Fmt, a: u64, b: u64) -> FpOut {
    by_fmt!(fmt, T => with_flags(|| u64::from(T::load(a).lt(T::load(b)))))
}

/// fle: signalling compare, NV for any NaN input (spec 13.8).
pub fn le(fmt: Fmt, a: u64, b: u64) -> FpOut {
    by_fmt!(fmt, T => with_flags(|| u64::from(T::load(a).le(T::load(b)))))
}

/// fclass (spec 13.9): exactly one of the ten bits is set.
pub fn classify(fmt: Fmt, a: u64) -> u64 {
    let l = layout(fmt);
    let x = unbox(fmt, a);
    let negative = x & l.sign != 0;
    let exp = x & l.exp;
    let frac = x & l.frac;
    let bit = if exp == l.exp {
        if frac == 0 {
            if negative {
                0
            } else {
                7
            }
        } else if x & l.quiet == 0 {
            8
        } else {
            9
        }
    } else if exp == 0 {
        match (negative, frac == 0) {
            (true, true) => 3,
            (true, false) => 2,
            (false, true) => 4,
            (false, false) => 5,
        }
    } else if negative {
        1
    } else {
        6
    };
    1 << bit
}

/// fcvt.{w,wu,l,lu}.{h,s,d} (spec 13.7, table "domains of float-to-integer conversions"): out of
/// range and NaN inputs saturate (NaN to the largest positive value) and raise NV; an inexact
/// in-range result raises NX. The 32-bit results, unsigned ones included, are sign-extended
/// into the 64-bit x register. SoftFloat's RISCV specialization returns exactly the spec's
/// saturation values.
pub fn to_int(fmt: Fmt, a: u64, kind: IntKind, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => {
        let x = T::load(a);
        with_flags(|| match kind {
            IntKind::W => i64::from(x.to_i32(rm, true)) as u64,
            IntKind::Wu => i64::from(x.to_u32(rm, true) as i32) as u64,
            IntKind::L => x.to_i64(rm, true) as u64,
            IntKind::Lu => x.to_u64(rm, true),
        })
    })
}

/// fcvt.{h,s,d}.{w,wu,l,lu}: `v` is the x register; W and Wu read its low 32 bits.
pub fn from_int(fmt: Fmt, v: u64, kind: IntKind, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| {
        match kind {
            IntKind::W => T::from_i32(v as i32, rm),
            IntKind::Wu => T::from_u32(v as u32, rm),
            IntKind::L => T::from_i64(v as i64, rm),
            IntKind::Lu => T::from_u64(v, rm),
        }
        .store()
    }))
}

/// fcvt between formats (fcvt.s.d, fcvt.d.s, and the Zfh fcvt.{h,s,d}.{h,s,d}): NaN results
/// are canonical and a signalling NaN input raises NV (SoftFloat's RISCV specialization).
/// `to == from` is no instruction; it returns the value unchanged.
pub fn convert(to: Fmt, from: Fmt, a: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(from, A => {
        let x = A::load(a);
        by_fmt!(to, B => with_flags(|| B::convert_from(&x, rm).store()))
    })
}

/// fmv.x.h/fmv.x.w/fmv.x.d (spec 13.7, 22.2): the low 16/32 bits of the register, sign-extended,
/// with no unboxing check.
pub fn mv_to_x(fmt: Fmt, reg: u64) -> u64 {
    match fmt {
        Fmt::H => i64::from(reg as u16 as i16) as u64,
        Fmt::S => i64::from(reg as u32 as i32) as u64,
        Fmt::D => reg,
    }
}

/// fmv.h.x/fmv.w.x/fmv.d.x: the low bits of `x`, NaN-boxed.
pub fn mv_from_x(fmt: Fmt, x: u64) -> u64 {
    nan_box(fmt, x)
}
