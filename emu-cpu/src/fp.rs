//! Floating-point semantics, bit-exact to the RISC-V F, D and Zfh extensions (unprivileged
//! spec chapters 13, 14 and 22): NaN-boxing, the canonical NaN, fflags, all rounding modes,
//! saturating conversions. Pure functions on register bits; the interpreter resolves the
//! dynamic rounding mode, sets mstatus.FS and accumulates the flags.
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
//!
//! That costs four foreign calls per operation, so the hot S and D operations first try a
//! host-FPU fast path (module `host`): round to nearest-even, finite operands, a result clear
//! of overflow and underflow, NX computed exactly. It answers with the same value and flags
//! as SoftFloat or declines, and the SoftFloat paths (`soft_*`) handle everything else; tests
//! compare the two side by side.

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
    if rm == Rm::Rne {
        if let Some(out) = host::add(fmt, a, b, false) {
            return out;
        }
    }
    soft_add(fmt, a, b, rm)
}

/// fsub.
pub fn sub(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    if rm == Rm::Rne {
        if let Some(out) = host::add(fmt, a, b, true) {
            return out;
        }
    }
    soft_sub(fmt, a, b, rm)
}

/// fmul.
pub fn mul(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    if rm == Rm::Rne {
        if let Some(out) = host::mul(fmt, a, b) {
            return out;
        }
    }
    soft_mul(fmt, a, b, rm)
}

/// fdiv.
pub fn div(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    if rm == Rm::Rne {
        if let Some(out) = host::div(fmt, a, b) {
            return out;
        }
    }
    soft_div(fmt, a, b, rm)
}

/// fsqrt.
pub fn sqrt(fmt: Fmt, a: u64, rm: Rm) -> FpOut {
    if rm == Rm::Rne {
        if let Some(out) = host::sqrt(fmt, a) {
            return out;
        }
    }
    soft_sqrt(fmt, a, rm)
}

/// The fused multiply-adds, with one rounding (spec 13.6):
/// fmadd: (false,false) a*b+c; fmsub: (false,true) a*b-c; fnmsub: (true,false) -(a*b)+c;
/// fnmadd: (true,true) -(a*b)-c.
pub fn fma(
    fmt: Fmt,
    a: u64,
    b: u64,
    c: u64,
    rm: Rm,
    negate_product: bool,
    negate_addend: bool,
) -> FpOut {
    if rm == Rm::Rne {
        if let Some(out) = host::fma(fmt, a, b, c, negate_product, negate_addend) {
            return out;
        }
    }
    soft_fma(fmt, a, b, c, rm, negate_product, negate_addend)
}

fn soft_add(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).add(T::load(b), rm).store()))
}

fn soft_sub(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).sub(T::load(b), rm).store()))
}

fn soft_mul(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).mul(T::load(b), rm).store()))
}

fn soft_div(fmt: Fmt, a: u64, b: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).div(T::load(b), rm).store()))
}

fn soft_sqrt(fmt: Fmt, a: u64, rm: Rm) -> FpOut {
    let rm = rounding(rm);
    by_fmt!(fmt, T => with_flags(|| T::load(a).sqrt(rm).store()))
}

/// SoftFloat's fused multiply-add.
///
/// Negating the product is done by flipping the sign of `a` before the exact multiply, which
/// gives the same exact value (and so the same rounding and zero signs); a flipped NaN stays
/// signalling or quiet, so NV is unchanged. SoftFloat's mulAdd raises NV for inf*0 even when
/// the addend is a quiet NaN, as the spec requires.
fn soft_fma(
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
    if let Some(out) = host::to_int(fmt, a, kind, rm) {
        return out;
    }
    soft_to_int(fmt, a, kind, rm)
}

fn soft_to_int(fmt: Fmt, a: u64, kind: IntKind, rm: Rm) -> FpOut {
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
    if let Some(out) = host::from_int(fmt, v, kind, rm) {
        return out;
    }
    soft_from_int(fmt, v, kind, rm)
}

fn soft_from_int(fmt: Fmt, v: u64, kind: IntKind, rm: Rm) -> FpOut {
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
    if let Some(out) = host::convert(to, from, a, rm) {
        return out;
    }
    soft_convert(to, from, a, rm)
}

fn soft_convert(to: Fmt, from: Fmt, a: u64, rm: Rm) -> FpOut {
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

/// Host-FPU fast paths for the hot operations, each bit-exact to the SoftFloat path: the same
/// value and the same fflags. Each returns `None` ("ask SoftFloat") unless the operation is one
/// whose flags the host can decide:
///
/// - round to nearest-even only (Rust's f32/f64 arithmetic on x86-64 SSE2 and AArch64 is IEEE
///   754 roundTiesToEven, with no flags visible), except for conversions that are exact, where
///   the rounding mode does not matter;
/// - finite operands (NaN-boxing is checked through `unbox`, whose canonical NaN is not finite);
/// - a finite result of magnitude above the smallest normal number, or an exactly zero result,
///   so that OF, UF and tininess (after rounding, in the RISC-V specialization) never arise and
///   the only flag left is NX. (A result above the smallest normal comes from an exact value
///   above it, so it is not tiny; a finite RNE result comes from a value below the overflow
///   threshold.) Addition is the exception: its tiny results are always exact (spec-free fact
///   of binary floating point: the exact sum is a multiple of the smallest subnormal), so
///   neither flag can be raised and any finite result is taken.
///
/// NX is decided exactly, never estimated: by Fast2Sum for additions, by integer arithmetic on
/// the significands for double products, quotients and square roots, and by the fact that two
/// singles' product is exact in double for the single-precision operations (fma.s included).
/// Double-precision fma and all of Zfh stay on SoftFloat.
mod host {
    use super::{flags::NX, nan_box, unbox, Fmt, FpOut, IntKind, Rm};

    fn single(reg: u64) -> f32 {
        f32::from_bits(unbox(Fmt::S, reg) as u32)
    }

    fn out_s(x: f32, inexact: bool) -> FpOut {
        FpOut {
            value: nan_box(Fmt::S, u64::from(x.to_bits())),
            flags: if inexact { NX } else { 0 },
        }
    }

    fn out_d(x: f64, inexact: bool) -> FpOut {
        FpOut {
            value: x.to_bits(),
            flags: if inexact { NX } else { 0 },
        }
    }

    /// The odd part of the integer significand of a nonzero finite double: `x` is that odd
    /// number times a power of two.
    fn odd_significand(x: f64) -> u64 {
        let bits = x.to_bits();
        let frac = bits & 0x000f_ffff_ffff_ffff;
        let m = if bits & 0x7ff0_0000_0000_0000 == 0 {
            frac
        } else {
            frac | 1 << 52
        };
        m >> m.trailing_zeros()
    }

    macro_rules! sum {
        ($name:ident, $t:ty) => {
            /// a + b and whether it is inexact, or None if it is not finite. Fast2Sum
            /// (Dekker 1971): with |big| >= |small| and no overflow, `s - big` is exact and
            /// `small - (s - big)` is the exact rounding error, which is zero exactly when
            /// `s - big == small`. Tiny sums are exact, so only NX can arise.
            fn $name(a: $t, b: $t) -> Option<($t, bool)> {
                let s = a + b;
                if !s.is_finite() {
                    return None;
                }
                let (big, small) = if a.abs() >= b.abs() { (a, b) } else { (b, a) };
                Some((s, s - big != small))
            }
        };
    }
    sum!(sum_s, f32);
    sum!(sum_d, f64);

    /// fadd/fsub (`negate_b`), round to nearest-even.
    pub(super) fn add(fmt: Fmt, a: u64, b: u64, negate_b: bool) -> Option<FpOut> {
        match fmt {
            Fmt::S => {
                let y = single(b);
                let (r, nx) = sum_s(single(a), if negate_b { -y } else { y })?;
                Some(out_s(r, nx))
            }
            Fmt::D => {
                let y = f64::from_bits(b);
                let (r, nx) = sum_d(f64::from_bits(a), if negate_b { -y } else { y })?;
                Some(out_d(r, nx))
            }
            Fmt::H => None,
        }
    }

    /// Narrow a double-precision value `wide` (the exact result, or one whose rounding to
    /// single is the correctly rounded single result) to single. NX if the single differs from
    /// `wide`, or if `wide_inexact`. None if the single result is not finite or is tiny.
    fn narrow(wide: f64, wide_inexact: bool) -> Option<(f32, bool)> {
        let r = wide as f32;
        if r.is_finite() && r.abs() > f32::MIN_POSITIVE {
            Some((r, wide_inexact || f64::from(r) != wide))
        } else if wide == 0.0 && !wide_inexact {
            Some((r, false))
        } else {
            None
        }
    }

    /// fmul, round to nearest-even.
    pub(super) fn mul(fmt: Fmt, a: u64, b: u64) -> Option<FpOut> {
        match fmt {
            Fmt::S => {
                // Two 24-bit significands give a 48-bit product: exact in double, whose
                // exponent range covers every product of singles; one rounding to single.
                let (r, nx) = narrow(f64::from(single(a)) * f64::from(single(b)), false)?;
                Some(out_s(r, nx))
            }
            Fmt::D => {
                let (x, y) = (f64::from_bits(a), f64::from_bits(b));
                let p = x * y;
                if p.is_finite() && p.abs() > f64::MIN_POSITIVE {
                    // x = ox * 2^i, y = oy * 2^j with ox, oy odd; the normal product is exact
                    // iff ox * oy (odd) fits the 53-bit significand.
                    let exact = odd_significand(x)
                        .checked_mul(odd_significand(y))
                        .is_some_and(|m| m >> 53 == 0);
                    Some(out_d(p, !exact))
                } else if p == 0.0 && (x == 0.0 || y == 0.0) {
                    // A zero operand and a finite one (inf * 0 is NaN): an exact zero.
                    Some(out_d(p, false))
                } else {
                    None
                }
            }
            Fmt::H => None,
        }
    }

    /// fdiv, round to nearest-even.
    pub(super) fn div(fmt: Fmt, a: u64, b: u64) -> Option<FpOut> {
        match fmt {
            Fmt::S => {
                let (x, y) = (f64::from(single(a)), f64::from(single(b)));
                let q = x / y;
                if q == 0.0 {
                    // 0 / finite nonzero is an exact zero; a nonzero x over an infinity is too,
                    // but leave that to SoftFloat.
                    return (x == 0.0).then(|| out_s(q as f32, false));
                }
                // Rounding the double quotient to single gives the correctly rounded single
                // quotient (Figueroa 1995: double rounding is innocuous for +,-,*,/,sqrt when
                // 53 >= 2*24 + 2). The single result r is exact iff r * y == x, and that
                // product of two singles is exact in double.
                let (r, _) = narrow(q, false)?;
                Some(out_s(r, f64::from(r) * y != x))
            }
            Fmt::D => {
                let (x, y) = (f64::from_bits(a), f64::from_bits(b));
                let q = x / y;
                if q.is_finite() && q.abs() > f64::MIN_POSITIVE {
                    // x / y = (ox / oy) * 2^k with ox, oy odd: a binary fraction iff oy divides
                    // ox, and then ox / oy < 2^53 fits the significand.
                    let (ox, oy) = (odd_significand(x), odd_significand(y));
                    Some(out_d(q, oy != 1 && ox % oy != 0))
                } else if q == 0.0 && x == 0.0 {
                    // 0 / nonzero (0 / 0 is NaN): an exact zero.
                    Some(out_d(q, false))
                } else {
                    None
                }
            }
            Fmt::H => None,
        }
    }

    /// fsqrt, round to nearest-even.
    pub(super) fn sqrt(fmt: Fmt, a: u64) -> Option<FpOut> {
        match fmt {
            Fmt::S => {
                let x = single(a);
                if x == 0.0 {
                    // sqrt(+-0) = +-0, exact.
                    return Some(out_s(x, false));
                }
                if !(x > 0.0 && x.is_finite()) {
                    return None;
                }
                // Correctly rounded through double (Figueroa, as for division); the root of a
                // positive single is a normal single. Exact iff r * r == x, exact in double.
                let r = f64::from(x).sqrt() as f32;
                let r64 = f64::from(r);
                Some(out_s(r, r64 * r64 != f64::from(x)))
            }
            Fmt::D => {
                let x = f64::from_bits(a);
                if x == 0.0 {
                    return Some(out_d(x, false));
                }
                if !(x > 0.0 && x.is_finite()) {
                    return None;
                }
                let r = x.sqrt();
                // r = or * 2^i, x = ox * 2^j (odd parts). If r*r == x then or^2 == ox. If
                // or^2 == ox then r*r / x is a power of two, which must be 1 since the
                // correctly rounded root is within a relative 2^-53 of the exact one.
                let or = odd_significand(r);
                let exact = or.checked_mul(or).is_some_and(|m| m == odd_significand(x));
                Some(out_d(r, !exact))
            }
            Fmt::H => None,
        }
    }

    /// The f64 `x + y` with its exact rounding error, or None on overflow. Knuth's 2Sum:
    /// six operations with no branch on the operands' magnitudes (which random data would
    /// mispredict). It is exact when nothing overflows; an overflow in any step propagates
    /// to an infinite or NaN error term, which is checked.
    fn two_sum(x: f64, y: f64) -> Option<(f64, f64)> {
        let s = x + y;
        let x1 = s - y;
        let y1 = s - x1;
        let e = (x - x1) + (y - y1);
        (s.is_finite() && e.is_finite()).then_some((s, e))
    }

    /// The fused multiply-adds, round to nearest-even.
    pub(super) fn fma(
        fmt: Fmt,
        a: u64,
        b: u64,
        c: u64,
        negate_product: bool,
        negate_addend: bool,
    ) -> Option<FpOut> {
        match fmt {
            Fmt::S => {
                let mut x = single(a);
                let mut z = single(c);
                if negate_product {
                    x = -x;
                }
                if negate_addend {
                    z = -z;
                }
                // The product is exact in double; p + z = s + e exactly (2Sum; no overflow is
                // possible in double for singles' values).
                let p = f64::from(x) * f64::from(single(b));
                let (s, e) = two_sum(p, f64::from(z))?;
                // Rounding s to single gives the rounding of s + e unless e != 0 and s is
                // exactly halfway between two singles (the only place where double rounding
                // can go wrong: a halfway point is a double, so RN(s + e) cannot cross one).
                // Halfway means the 29 fraction bits below a single's last bit are 100..0.
                if e != 0.0 && s.to_bits() & 0x1fff_ffff == 0x1000_0000 {
                    return None;
                }
                let (r, nx) = narrow(s, e != 0.0)?;
                Some(out_s(r, nx))
            }
            // Double-precision fma stays on SoftFloat. Without target-feature fma the host
            // fma is a call into a runtime-dispatched library routine; with the exactness
            // test (x*y = p + pe by TwoProduct, r - z = t + te by 2Sum, exact iff the pairs are
            // equal) it measured no faster than SoftFloat (about 14 ns against 13).
            Fmt::D => None,
            Fmt::H => None,
        }
    }

    /// fcvt between S and D. S to D is exact for every non-NaN value, in every rounding mode.
    /// D to S rounds to nearest-even.
    pub(super) fn convert(to: Fmt, from: Fmt, a: u64, rm: Rm) -> Option<FpOut> {
        match (to, from) {
            (Fmt::D, Fmt::S) => {
                let x = single(a);
                (!x.is_nan()).then(|| out_d(f64::from(x), false))
            }
            (Fmt::S, Fmt::D) if rm == Rm::Rne => {
                let x = f64::from_bits(a);
                let (r, nx) = narrow(x, false)?;
                Some(out_s(r, nx))
            }
            _ => None,
        }
    }

    /// Whether an integer of magnitude `m` is exact in a significand of `bits` bits.
    fn int_fits(m: u64, bits: u32) -> bool {
        m == 0 || (m >> m.trailing_zeros()) >> bits == 0
    }

    /// fcvt.{s,d}.{w,wu,l,lu}: exact conversions in any rounding mode (0 converts to +0), the
    /// rest when rounding to nearest-even (Rust's `as` from an integer rounds so). A 64-bit
    /// integer is far below the overflow threshold of S, so only NX can arise.
    pub(super) fn from_int(fmt: Fmt, v: u64, kind: IntKind, rm: Rm) -> Option<FpOut> {
        let (magnitude, signed) = match kind {
            IntKind::W => (
                u64::from((v as i32).unsigned_abs()),
                Some(i64::from(v as i32)),
            ),
            IntKind::Wu => (u64::from(v as u32), None),
            IntKind::L => ((v as i64).unsigned_abs(), Some(v as i64)),
            IntKind::Lu => (v, None),
        };
        let bits = match fmt {
            Fmt::S => 24,
            Fmt::D => 53,
            Fmt::H => return None,
        };
        let exact = int_fits(magnitude, bits);
        if !exact && rm != Rm::Rne {
            return None;
        }
        let unsigned = match kind {
            IntKind::Wu => u64::from(v as u32),
            _ => v,
        };
        Some(match (fmt, signed) {
            (Fmt::S, Some(i)) => out_s(i as f32, !exact),
            (Fmt::S, None) => out_s(unsigned as f32, !exact),
            (_, Some(i)) => out_d(i as f64, !exact),
            (_, None) => out_d(unsigned as f64, !exact),
        })
    }

    /// fcvt.{w,wu,l,lu}.{s,d} rounding to nearest-even or toward zero, for results in range
    /// (out of range and NaN saturate with NV: SoftFloat). Singles are widened to double,
    /// exactly.
    pub(super) fn to_int(fmt: Fmt, a: u64, kind: IntKind, rm: Rm) -> Option<FpOut> {
        let x = match fmt {
            Fmt::S => f64::from(single(a)),
            Fmt::D => f64::from_bits(a),
            Fmt::H => return None,
        };
        // The rounded integral value.
        let r = match rm {
            // `as` truncates; the range checks below are on the truncated value.
            Rm::Rtz => {
                if x.abs() < 4_503_599_627_370_496.0 {
                    (x as i64) as f64
                } else {
                    x
                }
            }
            // Adding and subtracting 2^52 (with the sign of x) leaves x rounded to an integer
            // with ties to even: the sum has ulp 1. Larger magnitudes are integers already.
            Rm::Rne => {
                if x.abs() < 4_503_599_627_370_496.0 {
                    let c = 4_503_599_627_370_496.0_f64.copysign(x);
                    (x + c) - c
                } else {
                    x
                }
            }
            _ => return None,
        };
        // NaN fails every comparison.
        let value = match kind {
            IntKind::W if (-2_147_483_648.0..=2_147_483_647.0).contains(&r) => r as i64 as u64,
            IntKind::Wu if (0.0..=4_294_967_295.0).contains(&r) => {
                i64::from(r as u32 as i32) as u64
            }
            IntKind::L
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&r) =>
            {
                r as i64 as u64
            }
            IntKind::Lu if (0.0..18_446_744_073_709_551_616.0).contains(&r) => r as u64,
            _ => return None,
        };
        // A negative x that rounds to 0 is in range for the unsigned kinds (-0.0 >= 0.0).
        Some(FpOut {
            value,
            flags: if r != x { NX } else { 0 },
        })
    }
}

#[cfg(test)]
mod tests {
    //! Hand-picked vectors, one row per instruction execution, named by the RISC-V mnemonic so
    //! that each row can be replayed on another implementation. The rows were cross-checked
    //! against QEMU 7.2 (`qemu-system-riscv64 -cpu rv64,zfh=true`, bare metal), which uses its
    //! own softfloat, not Berkeley SoftFloat.

    use super::flags::{DZ, NV, NX, OF, UF};
    use super::*;

    const RNE: Rm = Rm::Rne;
    const RTZ: Rm = Rm::Rtz;
    const RDN: Rm = Rm::Rdn;
    const RUP: Rm = Rm::Rup;
    const RMM: Rm = Rm::Rmm;

    /// A properly NaN-boxed single.
    const fn s(v: u32) -> u64 {
        0xffff_ffff_0000_0000 | v as u64
    }

    /// A properly NaN-boxed half.
    const fn h(v: u16) -> u64 {
        0xffff_ffff_ffff_0000 | v as u64
    }

    /// (mnemonic, rounding mode (ignored where the instruction has none), raw source register
    /// values (f or x, as the instruction reads them), expected rd value, expected fflags)
    type Row = (&'static str, Rm, [u64; 3], u64, u8);

    fn fmt_of(s: &str) -> Fmt {
        match s {
            "h" => Fmt::H,
            "s" => Fmt::S,
            "d" => Fmt::D,
            _ => panic!("no format {s}"),
        }
    }

    fn int_of(s: &str) -> Option<IntKind> {
        Some(match s {
            "w" => IntKind::W,
            "wu" => IntKind::Wu,
            "l" => IntKind::L,
            "lu" => IntKind::Lu,
            _ => return None,
        })
    }

    /// Execute one instruction named by its mnemonic, the way the interpreter will.
    fn exec(insn: &str, rm: Rm, [a, b, c]: [u64; 3]) -> FpOut {
        let parts: Vec<&str> = insn.split('.').collect();
        let plain = |value| FpOut { value, flags: 0 };
        let f = || fmt_of(parts[1]);
        match parts[0] {
            "fadd" => add(f(), a, b, rm),
            "fsub" => sub(f(), a, b, rm),
            "fmul" => mul(f(), a, b, rm),
            "fdiv" => div(f(), a, b, rm),
            "fsqrt" => sqrt(f(), a, rm),
            "fmadd" => fma(f(), a, b, c, rm, false, false),
            "fmsub" => fma(f(), a, b, c, rm, false, true),
            "fnmsub" => fma(f(), a, b, c, rm, true, false),
            "fnmadd" => fma(f(), a, b, c, rm, true, true),
            "fmin" => min(f(), a, b),
            "fmax" => max(f(), a, b),
            "fsgnj" => plain(sgnj(f(), a, b, Sgnj::J)),
            "fsgnjn" => plain(sgnj(f(), a, b, Sgnj::N)),
            "fsgnjx" => plain(sgnj(f(), a, b, Sgnj::X)),
            "feq" => eq(f(), a, b),
            "flt" => lt(f(), a, b),
            "fle" => le(f(), a, b),
            "fclass" => plain(classify(f(), a)),
            "fcvt" => match (int_of(parts[1]), int_of(parts[2])) {
                (Some(kind), None) => to_int(fmt_of(parts[2]), a, kind, rm),
                (None, Some(kind)) => from_int(fmt_of(parts[1]), a, kind, rm),
                _ => convert(fmt_of(parts[1]), fmt_of(parts[2]), a, rm),
            },
            "fmv" => {
                let fmv_fmt = |s| if s == "w" { Fmt::S } else { fmt_of(s) };
                if parts[1] == "x" {
                    plain(mv_to_x(fmv_fmt(parts[2]), a))
                } else {
                    plain(mv_from_x(fmv_fmt(parts[1]), a))
                }
            }
            _ => panic!("unknown mnemonic {insn}"),
        }
    }

    /// Run every row and report all mismatches at once.
    fn check(rows: &[Row]) {
        let mut failures = String::new();
        for &(insn, rm, srcs, value, fflags) in rows {
            let got = exec(insn, rm, srcs);
            if got
                != (FpOut {
                    value,
                    flags: fflags,
                })
            {
                failures += &format!(
                    "\n{insn} {rm:?} {srcs:x?}: got {:#x} flags {:#x}, want {value:#x} flags {fflags:#x}",
                    got.value, got.flags
                );
            }
        }
        assert!(failures.is_empty(), "mismatches:{failures}");
    }

    #[test]
    fn boxing() {
        assert_eq!(nan_box(Fmt::S, 0x3f80_0000), 0xffff_ffff_3f80_0000);
        assert_eq!(nan_box(Fmt::H, 0x3c00), 0xffff_ffff_ffff_3c00);
        assert_eq!(
            nan_box(Fmt::D, 0x1234_5678_9abc_def0),
            0x1234_5678_9abc_def0
        );
        assert_eq!(unbox(Fmt::S, 0xffff_ffff_3f80_0000), 0x3f80_0000);
        assert_eq!(unbox(Fmt::S, 0x0000_0000_3f80_0000), 0x7fc0_0000);
        assert_eq!(unbox(Fmt::S, 0xffff_fffe_3f80_0000), 0x7fc0_0000);
        assert_eq!(unbox(Fmt::H, 0xffff_ffff_ffff_3c00), 0x3c00);
        assert_eq!(unbox(Fmt::H, 0xffff_ffff_0000_3c00), 0x7e00);
        assert_eq!(unbox(Fmt::D, 0x0000_0000_3f80_0000), 0x0000_0000_3f80_0000);
    }

    #[test]
    fn improperly_boxed_inputs_read_as_canonical_nan() {
        check(&[
            (
                "fadd.s",
                RNE,
                [0x3f80_0000, s(0x3f80_0000), 0],
                s(0x7fc0_0000),
                0,
            ),
            (
                "fadd.h",
                RNE,
                [0xffff_ffff_0000_3c00, h(0x3c00), 0],
                h(0x7e00),
                0,
            ),
            (
                "fmin.s",
                RNE,
                [0x3f80_0000, s(0x4000_0000), 0],
                s(0x4000_0000),
                0,
            ),
            ("feq.s", RNE, [0x3f80_0000, s(0x3f80_0000), 0], 0, 0),
            ("flt.s", RNE, [0x3f80_0000, s(0x3f80_0000), 0], 0, NV),
            ("fcvt.w.s", RNE, [0x3f80_0000, 0, 0], 0x7fff_ffff, NV),
            (
                "fcvt.d.s",
                RNE,
                [0x3f80_0000, 0, 0],
                0x7ff8_0000_0000_0000,
                0,
            ),
            ("fcvt.s.h", RNE, [0x3c00, 0, 0], s(0x7fc0_0000), 0),
            ("fclass.s", RNE, [0x3f80_0000, 0, 0], 1 << 9, 0),
            ("fclass.h", RNE, [0xffff_ffff_0000_3c00, 0, 0], 1 << 9, 0),
            (
                "fsgnj.s",
                RNE,
                [0x3f80_0000, s(0xbf80_0000), 0],
                s(0xffc0_0000),
                0,
            ),
            (
                "fsgnj.s",
                RNE,
                [s(0x3f80_0000), 0xbf80_0000, 0],
                s(0x3f80_0000),
                0,
            ),
            (
                "fsgnjn.h",
                RNE,
                [0xffff_ffff_0000_3c00, h(0), 0],
                h(0xfe00),
                0,
            ),
            // fmv.x.w is a transfer: no unboxing.
            (
                "fmv.x.w",
                RNE,
                [0x0000_0000_3f80_0000, 0, 0],
                0x3f80_0000,
                0,
            ),
        ]);
    }

    #[test]
    fn rounding_modes_on_inexact_results() {
        check(&[
            // 1/3 in S: 0x3eaaaaaa|b (the remainder is 2/3 ulp).
            (
                "fdiv.s",
                RNE,
                [s(0x3f80_0000), s(0x4040_0000), 0],
                s(0x3eaa_aaab),
                NX,
            ),
            (
                "fdiv.s",
                RTZ,
                [s(0x3f80_0000), s(0x4040_0000), 0],
                s(0x3eaa_aaaa),
                NX,
            ),
            (
                "fdiv.s",
                RDN,
                [s(0x3f80_0000), s(0x4040_0000), 0],
                s(0x3eaa_aaaa),
                NX,
            ),
            (
                "fdiv.s",
                RUP,
                [s(0x3f80_0000), s(0x4040_0000), 0],
                s(0x3eaa_aaab),
                NX,
            ),
            (
                "fdiv.s",
                RMM,
                [s(0x3f80_0000), s(0x4040_0000), 0],
                s(0x3eaa_aaab),
                NX,
            ),
            // -1/3.
            (
                "fdiv.s",
                RNE,
                [s(0xbf80_0000), s(0x4040_0000), 0],
                s(0xbeaa_aaab),
                NX,
            ),
            (
                "fdiv.s",
                RTZ,
                [s(0xbf80_0000), s(0x4040_0000), 0],
                s(0xbeaa_aaaa),
                NX,
            ),
            (
                "fdiv.s",
                RDN,
                [s(0xbf80_0000), s(0x4040_0000), 0],
                s(0xbeaa_aaab),
                NX,
            ),
            (
                "fdiv.s",
                RUP,
                [s(0xbf80_0000), s(0x4040_0000), 0],
                s(0xbeaa_aaaa),
                NX,
            ),
            (
                "fdiv.s",
                RMM,
                [s(0xbf80_0000), s(0x4040_0000), 0],
                s(0xbeaa_aaab),
                NX,
            ),
            // 1 + 2^-24: an exact tie, where RNE and RMM differ.
            (
                "fadd.s",
                RNE,
                [s(0x3f80_0000), s(0x3380_0000), 0],
                s(0x3f80_0000),
                NX,
            ),
            (
                "fadd.s",
                RMM,
                [s(0x3f80_0000), s(0x3380_0000), 0],
                s(0x3f80_0001),
                NX,
            ),
            (
                "fadd.s",
                RTZ,
                [s(0x3f80_0000), s(0x3380_0000), 0],
                s(0x3f80_0000),
                NX,
            ),
            (
                "fadd.s",
                RDN,
                [s(0x3f80_0000), s(0x3380_0000), 0],
                s(0x3f80_0000),
                NX,
            ),
            (
                "fadd.s",
                RUP,
                [s(0x3f80_0000), s(0x3380_0000), 0],
                s(0x3f80_0001),
                NX,
            ),
            (
                "fadd.s",
                RNE,
                [s(0xbf80_0000), s(0xb380_0000), 0],
                s(0xbf80_0000),
                NX,
            ),
            (
                "fadd.s",
                RMM,
                [s(0xbf80_0000), s(0xb380_0000), 0],
                s(0xbf80_0001),
                NX,
            ),
            (
                "fadd.s",
                RDN,
                [s(0xbf80_0000), s(0xb380_0000), 0],
                s(0xbf80_0001),
                NX,
            ),
            (
                "fadd.s",
                RUP,
                [s(0xbf80_0000), s(0xb380_0000), 0],
                s(0xbf80_0000),
                NX,
            ),
            // 1/3 in D (remainder 1/3 ulp).
            (
                "fdiv.d",
                RNE,
                [0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0],
                0x3fd5_5555_5555_5555,
                NX,
            ),
            (
                "fdiv.d",
                RTZ,
                [0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0],
                0x3fd5_5555_5555_5555,
                NX,
            ),
            (
                "fdiv.d",
                RDN,
                [0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0],
                0x3fd5_5555_5555_5555,
                NX,
            ),
            (
                "fdiv.d",
                RUP,
                [0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0],
                0x3fd5_5555_5555_5556,
                NX,
            ),
            (
                "fdiv.d",
                RMM,
                [0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000, 0],
                0x3fd5_5555_5555_5555,
                NX,
            ),
            // 1/3 in H.
            ("fdiv.h", RNE, [h(0x3c00), h(0x4200), 0], h(0x3555), NX),
            ("fdiv.h", RTZ, [h(0x3c00), h(0x4200), 0], h(0x3555), NX),
            ("fdiv.h", RDN, [h(0x3c00), h(0x4200), 0], h(0x3555), NX),
            ("fdiv.h", RUP, [h(0x3c00), h(0x4200), 0], h(0x3556), NX),
            ("fdiv.h", RMM, [h(0x3c00), h(0x4200), 0], h(0x3555), NX),
            // x - x is +0, except -0 when rounding down.
            ("fsub.s", RNE, [s(0x3f80_0000), s(0x3f80_0000), 0], s(0), 0),
            (
                "fsub.s",
                RDN,
                [s(0x3f80_0000), s(0x3f80_0000), 0],
                s(0x8000_0000),
                0,
            ),
            (
                "fsub.d",
                RDN,
                [0x3ff0_0000_0000_0000, 0x3ff0_0000_0000_0000, 0],
                0x8000_0000_0000_0000,
                0,
            ),
            // sqrt(2).
            ("fsqrt.s", RNE, [s(0x4000_0000), 0, 0], s(0x3fb5_04f3), NX),
            ("fsqrt.s", RTZ, [s(0x4000_0000), 0, 0], s(0x3fb5_04f3), NX),
            ("fsqrt.s", RUP, [s(0x4000_0000), 0, 0], s(0x3fb5_04f4), NX),
            (
                "fsqrt.d",
                RNE,
                [0x4000_0000_0000_0000, 0, 0],
                0x3ff6_a09e_667f_3bcd,
                NX,
            ),
        ]);
    }

    #[test]
    fn nan_and_special_results() {
        check(&[
            (
                "fadd.s",
                RNE,
                [s(0x7f80_0000), s(0xff80_0000), 0],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fadd.s",
                RNE,
                [s(0x7fc1_2345), s(0x3f80_0000), 0],
                s(0x7fc0_0000),
                0,
            ),
            (
                "fadd.s",
                RNE,
                [s(0xffc0_0000), s(0x3f80_0000), 0],
                s(0x7fc0_0000),
                0,
            ),
            (
                "fadd.s",
                RNE,
                [s(0x7f80_0001), s(0x3f80_0000), 0],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fadd.d",
                RNE,
                [0x7ff0_0000_0000_0001, 0x3ff0_0000_0000_0000, 0],
                0x7ff8_0000_0000_0000,
                NV,
            ),
            (
                "fadd.d",
                RNE,
                [0x3ff8_0000_0000_0000, 0x4002_0000_0000_0000, 0],
                0x400e_0000_0000_0000,
                0,
            ),
            ("fmul.s", RNE, [s(0), s(0x7f80_0000), 0], s(0x7fc0_0000), NV),
            ("fdiv.s", RNE, [s(0x3f80_0000), s(0), 0], s(0x7f80_0000), DZ),
            ("fdiv.s", RNE, [s(0xbf80_0000), s(0), 0], s(0xff80_0000), DZ),
            ("fdiv.s", RNE, [s(0), s(0), 0], s(0x7fc0_0000), NV),
            ("fdiv.s", RNE, [s(0x7f80_0000), s(0), 0], s(0x7f80_0000), 0),
            (
                "fdiv.d",
                RNE,
                [0x3ff0_0000_0000_0000, 0, 0],
                0x7ff0_0000_0000_0000,
                DZ,
            ),
            ("fsqrt.s", RNE, [s(0x8000_0000), 0, 0], s(0x8000_0000), 0),
            ("fsqrt.s", RNE, [s(0xbf80_0000), 0, 0], s(0x7fc0_0000), NV),
            (
                "fsqrt.d",
                RNE,
                [0x4010_0000_0000_0000, 0, 0],
                0x4000_0000_0000_0000,
                0,
            ),
            (
                "fsqrt.d",
                RNE,
                [0xbff0_0000_0000_0000, 0, 0],
                0x7ff8_0000_0000_0000,
                NV,
            ),
        ]);
    }

    #[test]
    fn overflow_depends_on_rounding_mode() {
        check(&[
            (
                "fmul.s",
                RNE,
                [s(0x7f7f_ffff), s(0x4000_0000), 0],
                s(0x7f80_0000),
                OF | NX,
            ),
            (
                "fmul.s",
                RTZ,
                [s(0x7f7f_ffff), s(0x4000_0000), 0],
                s(0x7f7f_ffff),
                OF | NX,
            ),
            (
                "fmul.s",
                RDN,
                [s(0x7f7f_ffff), s(0x4000_0000), 0],
                s(0x7f7f_ffff),
                OF | NX,
            ),
            (
                "fmul.s",
                RUP,
                [s(0x7f7f_ffff), s(0x4000_0000), 0],
                s(0x7f80_0000),
                OF | NX,
            ),
            (
                "fmul.s",
                RMM,
                [s(0x7f7f_ffff), s(0x4000_0000), 0],
                s(0x7f80_0000),
                OF | NX,
            ),
            (
                "fmul.s",
                RNE,
                [s(0xff7f_ffff), s(0x4000_0000), 0],
                s(0xff80_0000),
                OF | NX,
            ),
            (
                "fmul.s",
                RTZ,
                [s(0xff7f_ffff), s(0x4000_0000), 0],
                s(0xff7f_ffff),
                OF | NX,
            ),
            (
                "fmul.s",
                RDN,
                [s(0xff7f_ffff), s(0x4000_0000), 0],
                s(0xff80_0000),
                OF | NX,
            ),
            (
                "fmul.s",
                RUP,
                [s(0xff7f_ffff), s(0x4000_0000), 0],
                s(0xff7f_ffff),
                OF | NX,
            ),
            (
                "fmul.s",
                RMM,
                [s(0xff7f_ffff), s(0x4000_0000), 0],
                s(0xff80_0000),
                OF | NX,
            ),
            (
                "fmul.d",
                RNE,
                [0x7fef_ffff_ffff_ffff, 0x4000_0000_0000_0000, 0],
                0x7ff0_0000_0000_0000,
                OF | NX,
            ),
            (
                "fmul.d",
                RTZ,
                [0x7fef_ffff_ffff_ffff, 0x4000_0000_0000_0000, 0],
                0x7fef_ffff_ffff_ffff,
                OF | NX,
            ),
            ("fadd.h", RNE, [h(0x7bff), h(0x7bff), 0], h(0x7c00), OF | NX),
            ("fadd.h", RTZ, [h(0x7bff), h(0x7bff), 0], h(0x7bff), OF | NX),
        ]);
    }

    #[test]
    fn underflow_is_detected_after_rounding() {
        check(&[
            // An exact subnormal result raises nothing.
            (
                "fmul.s",
                RNE,
                [s(0x0080_0000), s(0x3f00_0000), 0],
                s(0x0040_0000),
                0,
            ),
            // 2^-150 ties to 0 (RNE) or rounds up to the smallest subnormal (RUP).
            (
                "fmul.s",
                RNE,
                [s(0x0000_0001), s(0x3f00_0000), 0],
                s(0),
                UF | NX,
            ),
            (
                "fmul.s",
                RUP,
                [s(0x0000_0001), s(0x3f00_0000), 0],
                s(0x0000_0001),
                UF | NX,
            ),
            // 2^-126 * (1 - 2^-46): tiny before rounding, but it rounds (with unbounded
            // exponent) to 2^-126, the smallest normal, so RISC-V raises no UF.
            (
                "fmul.s",
                RNE,
                [s(0x007f_ffff), s(0x3f80_0001), 0],
                s(0x0080_0000),
                NX,
            ),
            (
                "fmul.s",
                RUP,
                [s(0x007f_ffff), s(0x3f80_0001), 0],
                s(0x0080_0000),
                NX,
            ),
            (
                "fmul.s",
                RTZ,
                [s(0x007f_ffff), s(0x3f80_0001), 0],
                s(0x007f_ffff),
                UF | NX,
            ),
            (
                "fmul.d",
                RNE,
                [0x000f_ffff_ffff_ffff, 0x3ff0_0000_0000_0001, 0],
                0x0010_0000_0000_0000,
                NX,
            ),
            (
                "fmul.d",
                RTZ,
                [0x000f_ffff_ffff_ffff, 0x3ff0_0000_0000_0001, 0],
                0x000f_ffff_ffff_ffff,
                UF | NX,
            ),
            ("fmul.h", RNE, [h(0x03ff), h(0x3c01), 0], h(0x0400), NX),
            ("fmul.h", RTZ, [h(0x03ff), h(0x3c01), 0], h(0x03ff), UF | NX),
            ("fmul.h", RNE, [h(0x0001), h(0x0001), 0], h(0), UF | NX),
        ]);
    }

    #[test]
    fn fused_multiply_add() {
        check(&[
            // inf * 0 + qNaN raises NV (spec 13.6).
            (
                "fmadd.s",
                RNE,
                [s(0x7f80_0000), s(0), s(0x7fc0_0000)],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fmadd.s",
                RNE,
                [s(0), s(0xff80_0000), s(0x7fc0_0000)],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fmadd.d",
                RNE,
                [0x7ff0_0000_0000_0000, 0, 0x7ff8_0000_0000_0000],
                0x7ff8_0000_0000_0000,
                NV,
            ),
            (
                "fmadd.s",
                RNE,
                [s(0x3f80_0000), s(0x3f80_0000), s(0x7f80_0001)],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fmadd.s",
                RNE,
                [s(0x3f80_0000), s(0x3f80_0000), s(0x7fc0_0001)],
                s(0x7fc0_0000),
                0,
            ),
            // The four signs: 1*2 and 3.
            (
                "fmadd.s",
                RNE,
                [s(0x3f80_0000), s(0x4000_0000), s(0x4040_0000)],
                s(0x40a0_0000),
                0,
            ),
            (
                "fmsub.s",
                RNE,
                [s(0x3f80_0000), s(0x4000_0000), s(0x4040_0000)],
                s(0xbf80_0000),
                0,
            ),
            (
                "fnmsub.s",
                RNE,
                [s(0x3f80_0000), s(0x4000_0000), s(0x4040_0000)],
                s(0x3f80_0000),
                0,
            ),
            (
                "fnmadd.s",
                RNE,
                [s(0x3f80_0000), s(0x4000_0000), s(0x4040_0000)],
                s(0xc0a0_0000),
                0,
            ),
            (
                "fnmadd.d",
                RNE,
                [
                    0x3ff0_0000_0000_0000,
                    0x4000_0000_0000_0000,
                    0x4008_0000_0000_0000,
                ],
                0xc014_0000_0000_0000,
                0,
            ),
            (
                "fmadd.h",
                RNE,
                [h(0x3c00), h(0x4000), h(0x4200)],
                h(0x4500),
                0,
            ),
            (
                "fnmsub.h",
                RNE,
                [h(0x3c00), h(0x4000), h(0x4200)],
                h(0x3c00),
                0,
            ),
            // Signs of zero results.
            ("fmadd.s", RNE, [s(0), s(0x3f80_0000), s(0)], s(0), 0),
            (
                "fnmadd.s",
                RNE,
                [s(0), s(0x3f80_0000), s(0)],
                s(0x8000_0000),
                0,
            ),
            ("fnmsub.s", RNE, [s(0x3f80_0000), s(0), s(0)], s(0), 0),
            ("fmsub.s", RNE, [s(0x3f80_0000), s(0), s(0)], s(0), 0),
            (
                "fmsub.s",
                RDN,
                [s(0x3f80_0000), s(0), s(0)],
                s(0x8000_0000),
                0,
            ),
            // One rounding: (1+2^-52)^2 - (1+2^-51) = 2^-104 exactly.
            (
                "fmadd.d",
                RNE,
                [
                    0x3ff0_0000_0000_0001,
                    0x3ff0_0000_0000_0001,
                    0xbff0_0000_0000_0002,
                ],
                0x3970_0000_0000_0000,
                0,
            ),
            (
                "fmadd.s",
                RTZ,
                [s(0x7f7f_ffff), s(0x4000_0000), s(0)],
                s(0x7f7f_ffff),
                OF | NX,
            ),
        ]);
    }

    #[test]
    fn min_max() {
        check(&[
            ("fmin.s", RNE, [s(0x8000_0000), s(0), 0], s(0x8000_0000), 0),
            ("fmin.s", RNE, [s(0), s(0x8000_0000), 0], s(0x8000_0000), 0),
            ("fmax.s", RNE, [s(0x8000_0000), s(0), 0], s(0), 0),
            ("fmax.s", RNE, [s(0), s(0x8000_0000), 0], s(0), 0),
            (
                "fmin.s",
                RNE,
                [s(0x7fc0_0000), s(0x3f80_0000), 0],
                s(0x3f80_0000),
                0,
            ),
            (
                "fmax.s",
                RNE,
                [s(0x3f80_0000), s(0x7fc0_0001), 0],
                s(0x3f80_0000),
                0,
            ),
            (
                "fmin.s",
                RNE,
                [s(0x7f80_0001), s(0x3f80_0000), 0],
                s(0x3f80_0000),
                NV,
            ),
            (
                "fmax.s",
                RNE,
                [s(0x3f80_0000), s(0x7f80_0001), 0],
                s(0x3f80_0000),
                NV,
            ),
            (
                "fmin.s",
                RNE,
                [s(0x7f80_0001), s(0x7fc0_0000), 0],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fmax.s",
                RNE,
                [s(0x7fc0_0001), s(0xffc0_0002), 0],
                s(0x7fc0_0000),
                0,
            ),
            (
                "fmin.s",
                RNE,
                [s(0xbf80_0000), s(0x3f80_0000), 0],
                s(0xbf80_0000),
                0,
            ),
            (
                "fmax.s",
                RNE,
                [s(0xbf80_0000), s(0x3f80_0000), 0],
                s(0x3f80_0000),
                0,
            ),
            (
                "fmin.s",
                RNE,
                [s(0xc000_0000), s(0xbf80_0000), 0],
                s(0xc000_0000),
                0,
            ),
            (
                "fmax.s",
                RNE,
                [s(0xc000_0000), s(0xbf80_0000), 0],
                s(0xbf80_0000),
                0,
            ),
            (
                "fmin.s",
                RNE,
                [s(0x7f80_0000), s(0xff80_0000), 0],
                s(0xff80_0000),
                0,
            ),
            (
                "fmin.d",
                RNE,
                [0x8000_0000_0000_0000, 0, 0],
                0x8000_0000_0000_0000,
                0,
            ),
            ("fmax.d", RNE, [0x8000_0000_0000_0000, 0, 0], 0, 0),
            (
                "fmax.d",
                RNE,
                [0x3ff0_0000_0000_0000, 0x7ff0_0000_0000_0001, 0],
                0x3ff0_0000_0000_0000,
                NV,
            ),
            (
                "fmin.d",
                RNE,
                [0x3ff0_0000_0000_0000, 0x4000_0000_0000_0000, 0],
                0x3ff0_0000_0000_0000,
                0,
            ),
            (
                "fmax.d",
                RNE,
                [0xbff0_0000_0000_0000, 0xc000_0000_0000_0000, 0],
                0xbff0_0000_0000_0000,
                0,
            ),
            (
                "fmin.d",
                RNE,
                [0x7ff8_0000_0000_0001, 0x7ff0_0000_0000_0001, 0],
                0x7ff8_0000_0000_0000,
                NV,
            ),
            ("fmin.h", RNE, [h(0x8000), h(0), 0], h(0x8000), 0),
            ("fmax.h", RNE, [h(0xbc00), h(0x3c00), 0], h(0x3c00), 0),
            ("fmax.h", RNE, [h(0x7c01), h(0x7e00), 0], h(0x7e00), NV),
        ]);
    }

    #[test]
    fn compares() {
        check(&[
            ("feq.s", RNE, [s(0x7fc0_0000), s(0x7fc0_0000), 0], 0, 0),
            ("feq.s", RNE, [s(0x7f80_0001), s(0x3f80_0000), 0], 0, NV),
            ("feq.s", RNE, [s(0x8000_0000), s(0), 0], 1, 0),
            ("feq.s", RNE, [s(0x3f80_0000), s(0x3f80_0000), 0], 1, 0),
            ("flt.s", RNE, [s(0x7fc0_0000), s(0x3f80_0000), 0], 0, NV),
            ("flt.s", RNE, [s(0x8000_0000), s(0), 0], 0, 0),
            ("flt.s", RNE, [s(0x3f80_0000), s(0x4000_0000), 0], 1, 0),
            ("flt.s", RNE, [s(0x4000_0000), s(0x3f80_0000), 0], 0, 0),
            ("fle.s", RNE, [s(0x8000_0000), s(0), 0], 1, 0),
            ("fle.s", RNE, [s(0x3f80_0000), s(0x7fc0_0000), 0], 0, NV),
            ("fle.s", RNE, [s(0x3f80_0000), s(0x3f80_0000), 0], 1, 0),
            (
                "feq.d",
                RNE,
                [0x7ff8_0000_0000_0000, 0x3ff0_0000_0000_0000, 0],
                0,
                0,
            ),
            (
                "feq.d",
                RNE,
                [0x7ff0_0000_0000_0001, 0x3ff0_0000_0000_0000, 0],
                0,
                NV,
            ),
            (
                "flt.d",
                RNE,
                [0xbff0_0000_0000_0000, 0x3ff0_0000_0000_0000, 0],
                1,
                0,
            ),
            (
                "fle.d",
                RNE,
                [0x7ff8_0000_0000_0000, 0x7ff8_0000_0000_0000, 0],
                0,
                NV,
            ),
            ("feq.h", RNE, [h(0x7c01), h(0x7c01), 0], 0, NV),
            ("feq.h", RNE, [h(0x7e00), h(0x7e00), 0], 0, 0),
            ("flt.h", RNE, [h(0xbc00), h(0x3c00), 0], 1, 0),
            ("fle.h", RNE, [h(0x3c00), h(0xbc00), 0], 0, 0),
        ]);
    }

    #[test]
    fn classify_all_ten_classes() {
        let h_inputs = [
            0xfc00, 0xbc00, 0x8001, 0x8000, 0x0000, 0x0001, 0x3c00, 0x7c00, 0x7c01, 0x7e00,
        ];
        let s_inputs = [
            0xff80_0000,
            0xbf80_0000,
            0x807f_ffff,
            0x8000_0000,
            0x0000_0000,
            0x0000_0001,
            0x7f7f_ffff,
            0x7f80_0000,
            0x7fbf_ffff,
            0x7fc0_0000,
        ];
        let d_inputs = [
            0xfff0_0000_0000_0000,
            0xc000_0000_0000_0000,
            0x800f_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            0x0000_0000_0000_0000,
            0x0000_0000_0000_0001,
            0x0010_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0x7ff4_0000_0000_0000,
            0x7ff8_0000_0000_0000,
        ];
        let mut rows = Vec::new();
        for bit in 0..10 {
            rows.push(("fclass.h", RNE, [h(h_inputs[bit]), 0, 0], 1 << bit, 0));
            rows.push(("fclass.s", RNE, [s(s_inputs[bit]), 0, 0], 1 << bit, 0));
            rows.push(("fclass.d", RNE, [d_inputs[bit], 0, 0], 1 << bit, 0));
        }
        check(&rows);
        // NaNs with the sign bit set are still NaNs.
        check(&[
            ("fclass.s", RNE, [s(0xffc0_0001), 0, 0], 1 << 9, 0),
            ("fclass.s", RNE, [s(0xff80_0001), 0, 0], 1 << 8, 0),
        ]);
    }

    #[test]
    fn float_to_int_saturates() {
        check(&[
            ("fcvt.w.s", RNE, [s(0x7fc0_0000), 0, 0], 0x7fff_ffff, NV),
            ("fcvt.w.s", RNE, [s(0xffc0_0000), 0, 0], 0x7fff_ffff, NV),
            ("fcvt.w.s", RNE, [s(0x7f80_0000), 0, 0], 0x7fff_ffff, NV),
            (
                "fcvt.w.s",
                RNE,
                [s(0xff80_0000), 0, 0],
                0xffff_ffff_8000_0000,
                NV,
            ),
            ("fcvt.w.s", RNE, [s(0x4f00_0000), 0, 0], 0x7fff_ffff, NV),
            (
                "fcvt.w.s",
                RNE,
                [s(0xcf00_0000), 0, 0],
                0xffff_ffff_8000_0000,
                0,
            ),
            (
                "fcvt.w.s",
                RNE,
                [s(0xcf00_0001), 0, 0],
                0xffff_ffff_8000_0000,
                NV,
            ),
            ("fcvt.w.s", RNE, [s(0x4eff_ffff), 0, 0], 0x7fff_ff80, 0),
            (
                "fcvt.w.d",
                RNE,
                [0xc1e0_0000_0020_0000, 0, 0],
                0xffff_ffff_8000_0000,
                NV,
            ),
            (
                "fcvt.w.d",
                RNE,
                [0x41df_ffff_ffc0_0000, 0, 0],
                0x7fff_ffff,
                0,
            ),
            (
                "fcvt.w.d",
                RNE,
                [0x41df_ffff_ffe0_0000, 0, 0],
                0x7fff_ffff,
                NV,
            ),
            (
                "fcvt.w.d",
                RTZ,
                [0x41df_ffff_ffe0_0000, 0, 0],
                0x7fff_ffff,
                NX,
            ),
            // 2.5 and -2.5 in every mode.
            ("fcvt.w.s", RNE, [s(0x4020_0000), 0, 0], 2, NX),
            ("fcvt.w.s", RTZ, [s(0x4020_0000), 0, 0], 2, NX),
            ("fcvt.w.s", RDN, [s(0x4020_0000), 0, 0], 2, NX),
            ("fcvt.w.s", RUP, [s(0x4020_0000), 0, 0], 3, NX),
            ("fcvt.w.s", RMM, [s(0x4020_0000), 0, 0], 3, NX),
            ("fcvt.w.s", RNE, [s(0xc020_0000), 0, 0], (-2i64) as u64, NX),
            ("fcvt.w.s", RTZ, [s(0xc020_0000), 0, 0], (-2i64) as u64, NX),
            ("fcvt.w.s", RDN, [s(0xc020_0000), 0, 0], (-3i64) as u64, NX),
            ("fcvt.w.s", RUP, [s(0xc020_0000), 0, 0], (-2i64) as u64, NX),
            ("fcvt.w.s", RMM, [s(0xc020_0000), 0, 0], (-3i64) as u64, NX),
            // Unsigned: negative inputs give 0 and NV, unless they round to 0.
            ("fcvt.wu.s", RNE, [s(0xbf80_0000), 0, 0], 0, NV),
            ("fcvt.wu.s", RTZ, [s(0xbf00_0000), 0, 0], 0, NX),
            ("fcvt.wu.s", RNE, [s(0xbf00_0000), 0, 0], 0, NX),
            ("fcvt.wu.s", RUP, [s(0xbf00_0000), 0, 0], 0, NX),
            ("fcvt.wu.s", RDN, [s(0xbf00_0000), 0, 0], 0, NV),
            ("fcvt.wu.s", RMM, [s(0xbf00_0000), 0, 0], 0, NV),
            ("fcvt.wu.s", RNE, [s(0x8000_0000), 0, 0], 0, 0),
            ("fcvt.wu.s", RNE, [s(0x4f80_0000), 0, 0], u64::MAX, NV),
            (
                "fcvt.wu.s",
                RNE,
                [s(0x4f32_d05e), 0, 0],
                0xffff_ffff_b2d0_5e00,
                0,
            ),
            ("fcvt.wu.s", RNE, [s(0x7fc0_0000), 0, 0], u64::MAX, NV),
            ("fcvt.wu.s", RNE, [s(0xff80_0000), 0, 0], 0, NV),
            ("fcvt.wu.s", RNE, [s(0x7f80_0000), 0, 0], u64::MAX, NV),
            ("fcvt.wu.d", RNE, [0xbff0_0000_0000_0000, 0, 0], 0, NV),
            ("fcvt.wu.d", RNE, [0x41ef_ffff_ffe0_0000, 0, 0], u64::MAX, 0),
            // 64-bit.
            (
                "fcvt.l.d",
                RNE,
                [0x43e0_0000_0000_0000, 0, 0],
                0x7fff_ffff_ffff_ffff,
                NV,
            ),
            (
                "fcvt.l.d",
                RNE,
                [0xc3e0_0000_0000_0000, 0, 0],
                0x8000_0000_0000_0000,
                0,
            ),
            (
                "fcvt.l.d",
                RNE,
                [0x7ff8_0000_0000_0000, 0, 0],
                0x7fff_ffff_ffff_ffff,
                NV,
            ),
            (
                "fcvt.l.d",
                RNE,
                [0xfff0_0000_0000_0000, 0, 0],
                0x8000_0000_0000_0000,
                NV,
            ),
            ("fcvt.l.d", RNE, [0x4004_0000_0000_0000, 0, 0], 2, NX),
            ("fcvt.lu.d", RNE, [0xbff0_0000_0000_0000, 0, 0], 0, NV),
            (
                "fcvt.lu.d",
                RNE,
                [0x43f0_0000_0000_0000, 0, 0],
                u64::MAX,
                NV,
            ),
            (
                "fcvt.lu.d",
                RNE,
                [0x7ff8_0000_0000_0000, 0, 0],
                u64::MAX,
                NV,
            ),
            (
                "fcvt.lu.d",
                RNE,
                [0x43e0_0000_0000_0000, 0, 0],
                0x8000_0000_0000_0000,
                0,
            ),
            (
                "fcvt.l.s",
                RNE,
                [s(0x5f00_0000), 0, 0],
                0x7fff_ffff_ffff_ffff,
                NV,
            ),
            (
                "fcvt.l.s",
                RNE,
                [s(0xdf00_0000), 0, 0],
                0x8000_0000_0000_0000,
                0,
            ),
            ("fcvt.lu.s", RNE, [s(0xbf80_0000), 0, 0], 0, NV),
            ("fcvt.lu.s", RNE, [s(0x5f80_0000), 0, 0], u64::MAX, NV),
            // Half.
            ("fcvt.w.h", RNE, [h(0x7bff), 0, 0], 65504, 0),
            (
                "fcvt.w.h",
                RNE,
                [h(0xfc00), 0, 0],
                0xffff_ffff_8000_0000,
                NV,
            ),
            ("fcvt.w.h", RNE, [h(0x7e00), 0, 0], 0x7fff_ffff, NV),
            ("fcvt.wu.h", RNE, [h(0xbc00), 0, 0], 0, NV),
            ("fcvt.l.h", RNE, [h(0x3e00), 0, 0], 2, NX),
            ("fcvt.l.h", RDN, [h(0xbe00), 0, 0], (-2i64) as u64, NX),
            ("fcvt.lu.h", RNE, [h(0x7c00), 0, 0], u64::MAX, NV),
        ]);
    }

    #[test]
    fn int_to_float_rounds() {
        check(&[
            // 2^53 + 1 ties between 2^53 and 2^53 + 2.
            (
                "fcvt.d.l",
                RNE,
                [0x0020_0000_0000_0001, 0, 0],
                0x4340_0000_0000_0000,
                NX,
            ),
            (
                "fcvt.d.l",
                RTZ,
                [0x0020_0000_0000_0001, 0, 0],
                0x4340_0000_0000_0000,
                NX,
            ),
            (
                "fcvt.d.l",
                RDN,
                [0x0020_0000_0000_0001, 0, 0],
                0x4340_0000_0000_0000,
                NX,
            ),
            (
                "fcvt.d.l",
                RUP,
                [0x0020_0000_0000_0001, 0, 0],
                0x4340_0000_0000_0001,
                NX,
            ),
            (
                "fcvt.d.l",
                RMM,
                [0x0020_0000_0000_0001, 0, 0],
                0x4340_0000_0000_0001,
                NX,
            ),
            (
                "fcvt.d.l",
                RNE,
                [0x0020_0000_0000_0003, 0, 0],
                0x4340_0000_0000_0002,
                NX,
            ),
            ("fcvt.d.l", RNE, [u64::MAX, 0, 0], 0xbff0_0000_0000_0000, 0),
            (
                "fcvt.d.lu",
                RNE,
                [u64::MAX, 0, 0],
                0x43f0_0000_0000_0000,
                NX,
            ),
            (
                "fcvt.d.lu",
                RTZ,
                [u64::MAX, 0, 0],
                0x43ef_ffff_ffff_ffff,
                NX,
            ),
            (
                "fcvt.d.w",
                RNE,
                [0xffff_ffff_8000_0000, 0, 0],
                0xc1e0_0000_0000_0000,
                0,
            ),
            (
                "fcvt.d.wu",
                RNE,
                [0xffff_ffff_8000_0000, 0, 0],
                0x41e0_0000_0000_0000,
                0,
            ),
            // W and Wu read the low 32 bits of the x register.
            ("fcvt.s.w", RNE, [u64::MAX, 0, 0], s(0xbf80_0000), 0),
            (
                "fcvt.s.w",
                RNE,
                [0x0000_0001_0000_0001, 0, 0],
                s(0x3f80_0000),
                0,
            ),
            ("fcvt.s.w", RNE, [0x8000_0000, 0, 0], s(0xcf00_0000), 0),
            ("fcvt.s.wu", RNE, [u64::MAX, 0, 0], s(0x4f80_0000), NX),
            ("fcvt.s.wu", RTZ, [0xffff_ffff, 0, 0], s(0x4f7f_ffff), NX),
            ("fcvt.s.w", RNE, [0x0100_0001, 0, 0], s(0x4b80_0000), NX),
            ("fcvt.s.w", RUP, [0x0100_0001, 0, 0], s(0x4b80_0001), NX),
            (
                "fcvt.s.l",
                RNE,
                [0x8000_0000_0000_0000, 0, 0],
                s(0xdf00_0000),
                0,
            ),
            (
                "fcvt.s.lu",
                RNE,
                [0x8000_0000_0000_0000, 0, 0],
                s(0x5f00_0000),
                0,
            ),
            // Half: 65520 ties between 65504 and (out of range) 65536.
            ("fcvt.h.w", RNE, [65520, 0, 0], h(0x7c00), OF | NX),
            // Toward zero 65520 rounds to 65504, in range: no overflow.
            ("fcvt.h.w", RTZ, [65520, 0, 0], h(0x7bff), NX),
            ("fcvt.h.w", RTZ, [70000, 0, 0], h(0x7bff), OF | NX),
            ("fcvt.h.wu", RNE, [1, 0, 0], h(0x3c00), 0),
            ("fcvt.h.l", RNE, [(-2i64) as u64, 0, 0], h(0xc000), 0),
            ("fcvt.h.w", RNE, [2049, 0, 0], h(0x6800), NX),
            ("fcvt.h.w", RUP, [2049, 0, 0], h(0x6801), NX),
        ]);
    }

    #[test]
    fn float_to_float() {
        check(&[
            (
                "fcvt.s.d",
                RNE,
                [0x3fd5_5555_5555_5555, 0, 0],
                s(0x3eaa_aaab),
                NX,
            ),
            (
                "fcvt.s.d",
                RTZ,
                [0x3fd5_5555_5555_5555, 0, 0],
                s(0x3eaa_aaaa),
                NX,
            ),
            (
                "fcvt.d.s",
                RNE,
                [s(0x3eaa_aaab), 0, 0],
                0x3fd5_5555_6000_0000,
                0,
            ),
            (
                "fcvt.d.s",
                RNE,
                [s(0x7f80_0001), 0, 0],
                0x7ff8_0000_0000_0000,
                NV,
            ),
            (
                "fcvt.d.s",
                RNE,
                [s(0x7fc0_0001), 0, 0],
                0x7ff8_0000_0000_0000,
                0,
            ),
            (
                "fcvt.s.d",
                RNE,
                [0x7ff8_0000_0000_0001, 0, 0],
                s(0x7fc0_0000),
                0,
            ),
            (
                "fcvt.s.d",
                RNE,
                [0xfff0_0000_0000_0001, 0, 0],
                s(0x7fc0_0000),
                NV,
            ),
            (
                "fcvt.s.d",
                RNE,
                [0x7e37_e43c_8800_759c, 0, 0],
                s(0x7f80_0000),
                OF | NX,
            ),
            (
                "fcvt.s.d",
                RTZ,
                [0x7e37_e43c_8800_759c, 0, 0],
                s(0x7f7f_ffff),
                OF | NX,
            ),
            (
                "fcvt.s.d",
                RNE,
                [0x01a5_6e1f_c2f8_f359, 0, 0],
                s(0),
                UF | NX,
            ),
            (
                "fcvt.s.d",
                RUP,
                [0x01a5_6e1f_c2f8_f359, 0, 0],
                s(0x0000_0001),
                UF | NX,
            ),
            ("fcvt.h.s", RNE, [s(0x3f80_0000), 0, 0], h(0x3c00), 0),
            ("fcvt.h.s", RNE, [s(0x477f_e000), 0, 0], h(0x7bff), 0),
            ("fcvt.h.s", RNE, [s(0x477f_f000), 0, 0], h(0x7c00), OF | NX),
            ("fcvt.h.s", RTZ, [s(0x477f_f000), 0, 0], h(0x7bff), NX),
            ("fcvt.h.s", RTZ, [s(0x4780_0000), 0, 0], h(0x7bff), OF | NX),
            ("fcvt.h.s", RNE, [s(0x7f80_0001), 0, 0], h(0x7e00), NV),
            ("fcvt.s.h", RNE, [h(0x7bff), 0, 0], s(0x477f_e000), 0),
            ("fcvt.s.h", RNE, [h(0x7c01), 0, 0], s(0x7fc0_0000), NV),
            ("fcvt.s.h", RNE, [h(0x0001), 0, 0], s(0x3380_0000), 0),
            ("fcvt.d.h", RNE, [h(0x0001), 0, 0], 0x3e70_0000_0000_0000, 0),
            ("fcvt.d.h", RNE, [h(0xfc00), 0, 0], 0xfff0_0000_0000_0000, 0),
            (
                "fcvt.h.d",
                RNE,
                [0x3fd5_5555_5555_5555, 0, 0],
                h(0x3555),
                NX,
            ),
            (
                "fcvt.h.d",
                RUP,
                [0x3fd5_5555_5555_5555, 0, 0],
                h(0x3556),
                NX,
            ),
            (
                "fcvt.h.d",
                RNE,
                [0x3e60_0000_0000_0000, 0, 0],
                h(0),
                UF | NX,
            ),
            (
                "fcvt.h.d",
                RUP,
                [0x3e60_0000_0000_0000, 0, 0],
                h(0x0001),
                UF | NX,
            ),
        ]);
    }

    #[test]
    fn sign_injection() {
        check(&[
            (
                "fsgnj.s",
                RNE,
                [s(0x3f80_0000), s(0xc000_0000), 0],
                s(0xbf80_0000),
                0,
            ),
            (
                "fsgnjn.s",
                RNE,
                [s(0x3f80_0000), s(0x3f80_0000), 0],
                s(0xbf80_0000),
                0,
            ),
            (
                "fsgnjx.s",
                RNE,
                [s(0xbf80_0000), s(0xbf80_0000), 0],
                s(0x3f80_0000),
                0,
            ),
            (
                "fsgnjx.s",
                RNE,
                [s(0xbf80_0000), s(0x3f80_0000), 0],
                s(0xbf80_0000),
                0,
            ),
            // NaN payloads (signalling ones too) pass through unchanged.
            (
                "fsgnjn.s",
                RNE,
                [s(0x7f80_0001), s(0x7f80_0001), 0],
                s(0xff80_0001),
                0,
            ),
            (
                "fsgnjn.d",
                RNE,
                [0x7ff8_0000_0000_0001, 0x7ff8_0000_0000_0001, 0],
                0xfff8_0000_0000_0001,
                0,
            ),
            (
                "fsgnjx.d",
                RNE,
                [0xbff0_0000_0000_0000, 0xbff0_0000_0000_0000, 0],
                0x3ff0_0000_0000_0000,
                0,
            ),
            ("fsgnj.h", RNE, [h(0x3c00), h(0x8000), 0], h(0xbc00), 0),
        ]);
    }

    #[test]
    fn moves() {
        check(&[
            (
                "fmv.x.w",
                RNE,
                [0xffff_ffff_bf80_0000, 0, 0],
                0xffff_ffff_bf80_0000,
                0,
            ),
            (
                "fmv.x.w",
                RNE,
                [0x1234_5678_8765_4321, 0, 0],
                0xffff_ffff_8765_4321,
                0,
            ),
            (
                "fmv.x.h",
                RNE,
                [0x0000_0000_0000_8001, 0, 0],
                0xffff_ffff_ffff_8001,
                0,
            ),
            ("fmv.x.h", RNE, [h(0x3c00), 0, 0], 0x3c00, 0),
            (
                "fmv.x.d",
                RNE,
                [0x1234_5678_9abc_def0, 0, 0],
                0x1234_5678_9abc_def0,
                0,
            ),
            (
                "fmv.w.x",
                RNE,
                [0x1234_5678_9abc_def0, 0, 0],
                0xffff_ffff_9abc_def0,
                0,
            ),
            (
                "fmv.h.x",
                RNE,
                [0x1234_5678_9abc_def0, 0, 0],
                0xffff_ffff_ffff_def0,
                0,
            ),
            (
                "fmv.d.x",
                RNE,
                [0x1234_5678_9abc_def0, 0, 0],
                0x1234_5678_9abc_def0,
                0,
            ),
        ]);
    }

    #[test]
    fn half_precision_arithmetic() {
        check(&[
            ("fadd.h", RNE, [h(0x3c00), h(0x3c00), 0], h(0x4000), 0),
            ("fsub.h", RNE, [h(0x3c00), h(0x4000), 0], h(0xbc00), 0),
            ("fmul.h", RNE, [h(0x4200), h(0x4200), 0], h(0x4880), 0),
            ("fdiv.h", RNE, [h(0x3c00), h(0), 0], h(0x7c00), DZ),
            ("fdiv.h", RNE, [h(0), h(0), 0], h(0x7e00), NV),
            ("fsqrt.h", RNE, [h(0x4400), 0, 0], h(0x4000), 0),
            ("fsqrt.h", RNE, [h(0xbc00), 0, 0], h(0x7e00), NV),
            ("fadd.h", RNE, [h(0x7c01), h(0x3c00), 0], h(0x7e00), NV),
        ]);
    }

    /// The flags of one operation must not leak into the next (SoftFloat's are sticky).
    #[test]
    fn flags_do_not_accumulate() {
        assert_eq!(div(Fmt::S, s(0x3f80_0000), s(0), RNE).flags, DZ);
        assert_eq!(add(Fmt::S, s(0x3f80_0000), s(0x3f80_0000), RNE).flags, 0);
    }

    /// The host fast paths against the SoftFloat paths, called explicitly side by side: value
    /// and fflags must be identical for every input. Deterministic generators (splitmix64)
    /// aimed at the places where a fast path could go wrong: random bit patterns, ordinary
    /// values, exact results, rounding ties, double-rounding midpoints, overflow and underflow
    /// boundaries, subnormals, huge exponent differences, cancellation, integer boundaries.
    /// FP_HOST_CASES sets the iterations per scenario and format (default 20000: about 10.6
    /// million comparisons in all, ~1.5 s in release).
    mod host_vs_softfloat {
        use super::*;

        struct Rng(u64);

        impl Rng {
            fn next(&mut self) -> u64 {
                // splitmix64
                self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            }

            fn below(&mut self, n: u64) -> u64 {
                self.next() % n
            }

            /// Uniform in lo..=hi.
            fn range(&mut self, lo: i64, hi: i64) -> i64 {
                lo + self.below((hi - lo + 1) as u64) as i64
            }

            fn coin(&mut self) -> bool {
                self.next() & 1 != 0
            }
        }

        fn iterations() -> usize {
            std::env::var("FP_HOST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(20_000)
        }

        /// A format's encoding parameters.
        #[derive(Clone, Copy)]
        struct Enc {
            fmt: Fmt,
            /// Fraction bits.
            p: u32,
            /// Exponent bias.
            bias: i64,
            /// Largest finite biased exponent.
            emax: i64,
        }

        const SE: Enc = Enc {
            fmt: Fmt::S,
            p: 23,
            bias: 127,
            emax: 254,
        };
        const DE: Enc = Enc {
            fmt: Fmt::D,
            p: 52,
            bias: 1023,
            emax: 2046,
        };

        impl Enc {
            fn frac_mask(self) -> u64 {
                (1 << self.p) - 1
            }

            /// A register value from sign, unbiased exponent (clamped to the finite range,
            /// where emin - 1 gives a subnormal) and fraction.
            fn value(self, neg: bool, exp: i64, frac: u64) -> u64 {
                let biased = (exp + self.bias).clamp(0, self.emax) as u64;
                let bits = (u64::from(neg) << (self.p + self.exp_bits()))
                    | biased << self.p
                    | (frac & self.frac_mask());
                nan_box(self.fmt, bits)
            }

            fn exp_bits(self) -> u32 {
                if self.p == 23 {
                    8
                } else {
                    11
                }
            }

            fn emin(self) -> i64 {
                1 - self.bias
            }

            fn emax_unbiased(self) -> i64 {
                self.emax - self.bias
            }

            /// A fraction: random, with few significant bits (exact results, ties), near all
            /// ones (carries), or near zero.
            fn frac(self, rng: &mut Rng) -> u64 {
                let m = self.frac_mask();
                match rng.below(8) {
                    0..=3 => rng.next() & m,
                    4 | 5 => self.few_bits(rng),
                    6 => m ^ rng.below(4),
                    _ => rng.below(4),
                }
            }

            /// A fraction with only its top k bits random.
            fn few_bits(self, rng: &mut Rng) -> u64 {
                let keep = rng.below(u64::from(self.p) + 1) as u32;
                (rng.next() & self.frac_mask()) >> (self.p - keep) << (self.p - keep)
            }

            fn random_value(self, exp: i64, rng: &mut Rng) -> u64 {
                let f = self.frac(rng);
                self.value(rng.coin(), exp, f)
            }

            /// Special and boundary values.
            fn special(self, rng: &mut Rng) -> u64 {
                let m = self.frac_mask();
                let inf = (self.emax as u64 + 1) << self.p;
                let bits = match rng.below(12) {
                    0 => 0,
                    1 => inf,
                    2 => inf | 1 << (self.p - 1),      // qNaN
                    3 => inf | (1 + rng.below(m - 1)), // sNaN (nonzero payload, quiet clear)
                    4 => 1,                            // smallest subnormal
                    5 => m,                            // largest subnormal
                    6 => 1 << self.p,                  // smallest normal
                    7 => (1 << self.p) | rng.below(4), // just above it
                    8 => inf - 1,                      // largest finite
                    9 => (self.bias as u64) << self.p, // 1.0
                    10 => (self.bias as u64) << self.p | 1 << (self.p - 1), // 1.5
                    _ => rng.next() & (inf - 1),
                };
                let sign = u64::from(rng.coin()) << (self.p + self.exp_bits());
                nan_box(self.fmt, bits | sign)
            }

            fn as_f64(self, reg: u64) -> f64 {
                match self.fmt {
                    Fmt::S => f64::from(f32::from_bits(unbox(Fmt::S, reg) as u32)),
                    _ => f64::from_bits(reg),
                }
            }

            fn reg_of(self, x: f64) -> u64 {
                match self.fmt {
                    Fmt::S => nan_box(Fmt::S, u64::from((x as f32).to_bits())),
                    _ => x.to_bits(),
                }
            }
        }

        const SCENARIOS: usize = 14;

        /// Three operands for scenario `k`.
        fn operands(rng: &mut Rng, e: Enc, k: usize) -> [u64; 3] {
            let p = i64::from(e.p);
            let (emin, emax) = (e.emin(), e.emax_unbiased());
            let mid = |rng: &mut Rng| rng.range(-(e.bias / 3), e.bias / 3);
            match k {
                // Random bit patterns; for S, sometimes an improperly boxed register.
                0 => {
                    let mut v = [rng.next(), rng.next(), rng.next()];
                    if e.fmt == Fmt::S {
                        for x in &mut v {
                            if rng.below(16) != 0 {
                                *x = nan_box(Fmt::S, *x);
                            }
                        }
                    }
                    v
                }
                // Ordinary values.
                1 => {
                    let c = mid(rng);
                    [0, 1, 2].map(|_| {
                        let x = c + rng.range(-8, 8);
                        e.random_value(x, rng)
                    })
                }
                // Few significant bits, close exponents: exact results and ties.
                2 => {
                    let c = mid(rng);
                    [0, 1, 2].map(|_| {
                        let f = e.few_bits(rng);
                        e.value(rng.coin(), c + rng.range(-3, 3), f)
                    })
                }
                // Exponents about p apart: sums that are ties or just off them.
                3 => {
                    let c = mid(rng);
                    let a = e.value(rng.coin(), c, e.few_bits(rng));
                    let b = e.value(rng.coin(), c - p - 1 + rng.range(-2, 2), e.few_bits(rng));
                    let cc = e.value(rng.coin(), c - p - 1 + rng.range(-2, 2), e.frac(rng));
                    [a, b, cc]
                }
                // Near overflow: large operands, products and quotients near the top.
                4 => {
                    let ua = rng.range(0, emax);
                    let a = e.random_value(ua, rng);
                    let b = match rng.below(3) {
                        0 => e.random_value(emax - rng.range(0, 3), rng),
                        1 => e.random_value(emax - ua + rng.range(-2, 1), rng),
                        _ => e.random_value(ua - emax + rng.range(-1, 2), rng),
                    };
                    let c = e.random_value(emax - rng.range(0, 2), rng);
                    [a, b, c]
                }
                // Subnormals and the smallest normals.
                5 => [0, 1, 2].map(|_| {
                    let x = emin - 1 + rng.range(0, 3);
                    e.random_value(x, rng)
                }),
                // Products near the smallest normal.
                6 => {
                    let ua = rng.range(emin / 2, -emin / 2);
                    let a = e.random_value(ua, rng);
                    let b = e.random_value(emin - ua + rng.range(-3, 2), rng);
                    let c = e.random_value(emin + rng.range(-1, 2), rng);
                    [a, b, c]
                }
                // Quotients near the smallest normal, some rounding to exactly it (a within
                // a few units of min_normal * b); square roots of tiny values.
                7 => {
                    let ub = rng.range(0, emax / 2);
                    let b = e.random_value(ub, rng);
                    let a = if rng.coin() {
                        e.random_value(emin + ub + rng.range(-2, 2), rng)
                    } else {
                        let min_normal = f64::from_bits(((e.emin() + 1023) as u64) << 52);
                        let target = e.reg_of(e.as_f64(b).abs() * min_normal);
                        nan_box(e.fmt, target.wrapping_add(rng.below(9)).wrapping_sub(4))
                    };
                    let c = e.random_value(emin - 1, rng);
                    [a, b, c]
                }
                // Huge exponent differences.
                8 => {
                    let ua = rng.range(emin - 1, emax);
                    let a = e.random_value(ua, rng);
                    let b = e.random_value(ua - p - rng.range(0, 3 * p), rng);
                    let c = e.random_value(rng.range(emin - 1, emax), rng);
                    if rng.coin() {
                        [a, b, c]
                    } else {
                        [b, a, c]
                    }
                }
                // Specials mixed with random values.
                9 => [0, 1, 2].map(|_| {
                    if rng.coin() {
                        e.special(rng)
                    } else {
                        let x = mid(rng);
                        e.random_value(x, rng)
                    }
                }),
                // Cancellation: b close to -a, c close to -(a*b).
                10 => {
                    let x = mid(rng);
                    let a = e.random_value(x, rng);
                    let b = (a ^ (1 << (e.p + e.exp_bits())))
                        .wrapping_add(rng.below(5))
                        .wrapping_sub(2);
                    let b = nan_box(e.fmt, b);
                    let y = mid(rng) / 2;
                    let bm = e.random_value(y, rng);
                    let prod = -(e.as_f64(a) * e.as_f64(bm));
                    let c = nan_box(
                        e.fmt,
                        e.reg_of(prod).wrapping_add(rng.below(5)).wrapping_sub(2),
                    );
                    if rng.coin() {
                        [a, b, c]
                    } else {
                        [a, bm, c]
                    }
                }
                // Products that are exact halfway points of the format, plus a tiny addend:
                // double-rounding traps for fma. Odd significands of about (p+1)/2 bits each.
                11 => {
                    let half = (p + 2) / 2;
                    let odd =
                        |rng: &mut Rng| (rng.next() | 1 | 1 << (half - 1)) & ((1 << half) - 1);
                    let (ma, mb) = (odd(rng), odd(rng));
                    let ua = rng.range(-20, 20);
                    let ub = rng.range(-20, 20);
                    // Normalise m * 2^u into fraction and exponent.
                    let make = |rng: &mut Rng, m: u64, u: i64| {
                        let lz = 63 - i64::from(m.leading_zeros());
                        e.value(rng.coin(), u + lz, (m << (p - lz)) & e.frac_mask())
                    };
                    let a = make(rng, ma, ua);
                    let b = make(rng, mb, ub);
                    let c = e.random_value(ua + ub - p - rng.range(5, 40), rng);
                    [a, b, c]
                }
                // Exact quotients and square roots: a = q * b and a = r * r with few bits.
                12 => {
                    let x = mid(rng) / 2;
                    let q = e.value(rng.coin(), x, e.few_bits(rng));
                    let y = mid(rng) / 2;
                    let b = e.value(rng.coin(), y, e.few_bits(rng));
                    let prod = e.as_f64(q) * e.as_f64(b);
                    let z = rng.range(-20, 20);
                    let r = e.value(false, z, e.few_bits(rng));
                    let sq = e.as_f64(r) * e.as_f64(r);
                    [e.reg_of(prod), b, e.reg_of(sq)]
                }
                // Integers, halves and values near the integer-conversion boundaries.
                _ => [0, 1, 2].map(|_| {
                    let v: f64 = match rng.below(6) {
                        0 => rng.range(-100, 100) as f64 * 0.5,
                        1 => {
                            rng.range(-100, 100) as f64
                                + [0.25, 0.75, 1e-9, -1e-9][rng.below(4) as usize]
                        }
                        2 => {
                            let base = [
                                2147483648.0,
                                4294967296.0,
                                9223372036854775808.0,
                                18446744073709551616.0,
                                1.0,
                                0.0,
                            ][rng.below(6) as usize];
                            let off = [
                                -1.0, -0.5, 0.0, 0.5, 1.0, -1.5, -0.25, 1024.0, -1024.0, -2048.0,
                            ][rng.below(10) as usize];
                            let v = base + off;
                            if rng.coin() {
                                -v
                            } else {
                                v
                            }
                        }
                        3 => (rng.next() as i64) as f64 * 0.5f64.powi(rng.range(0, 70) as i32),
                        4 => (rng.next() as i64 >> rng.below(64)) as f64 + 0.5,
                        _ => {
                            (rng.range(-(1 << 24), 1 << 24) as f64)
                                * 2f64.powi(rng.range(-30, 45) as i32)
                        }
                    };
                    // Values a single cannot hold land on their single rounding; then nudge
                    // by a unit in the last place.
                    let reg = e.reg_of(v);
                    nan_box(e.fmt, reg.wrapping_add(rng.below(3)).wrapping_sub(1))
                }),
            }
        }

        /// Integer operands for fcvt from an integer register.
        fn int_operand(rng: &mut Rng) -> u64 {
            match rng.below(6) {
                0 => rng.next(),
                1 => rng.range(-1000, 1000) as u64,
                // About 24, 53 or 64 significant bits, shifted: exact or just not.
                2 | 3 => {
                    let bits = [23, 24, 25, 26, 52, 53, 54, 55, 63, 64][rng.below(10) as usize];
                    let m = (rng.next() | 1) >> (64 - bits) | 1 << (bits - 1);
                    let v = m << rng.below((65 - bits as u64).max(1)).min(63);
                    if rng.coin() {
                        v.wrapping_neg()
                    } else {
                        v
                    }
                }
                4 => [
                    0,
                    1,
                    u64::MAX,
                    i64::MIN as u64,
                    i64::MAX as u64,
                    i32::MIN as i64 as u64,
                    i32::MAX as u64,
                    u32::MAX as u64,
                    (1 << 24) + 1,
                    (1 << 53) + 1,
                    0xffff_ffff_8000_0001,
                ][rng.below(11) as usize],
                // Ties: a significand of p + 2 bits ending in binary 1 (halfway) or 11.
                _ => {
                    let bits = [25, 26, 54, 55][rng.below(4) as usize];
                    let m = (rng.next() >> (64 - bits)) | 1 << (bits - 1) | 1;
                    let m = if rng.coin() { m & !2 } else { m };
                    m << rng.below(64 - bits as u64)
                }
            }
        }

        const ALL_RM: [Rm; 5] = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm];

        /// Mostly round to nearest-even (the fast paths), sometimes the others.
        fn pick_rm(rng: &mut Rng) -> Rm {
            if rng.below(8) == 0 {
                ALL_RM[rng.below(5) as usize]
            } else {
                Rm::Rne
            }
        }

        /// Operations left to SoftFloat (see `host::fma`).
        const NO_FAST_PATH: [&str; 4] = ["fmadd.d", "fmsub.d", "fnmadd.d", "fnmsub.d"];

        /// Counts and mismatches of one operation.
        #[derive(Default)]
        struct Tally {
            cases: u64,
            fast: u64,
            fast_inexact: u64,
            failures: Vec<String>,
        }

        /// The operations of one test, by name.
        #[derive(Default)]
        struct Tallies(std::collections::BTreeMap<String, Tally>);

        impl Tallies {
            /// Compare the public function's result (fast path or fallback), the fast path's
            /// own answer (if it gave one) and SoftFloat's.
            fn check(
                &mut self,
                op: &str,
                inputs: &[u64],
                rm: Rm,
                public: FpOut,
                fast: Option<FpOut>,
                soft: FpOut,
            ) {
                let t = self.0.entry(op.to_string()).or_default();
                t.cases += 1;
                if let Some(f) = fast {
                    t.fast += 1;
                    if f.flags & NX != 0 {
                        t.fast_inexact += 1;
                    }
                }
                if (public != soft || fast.is_some_and(|f| f != soft)) && t.failures.len() < 10 {
                    t.failures.push(format!(
                            "{op} {rm:?} {inputs:#x?}: public {public:x?}, fast {fast:x?}, softfloat {soft:x?}"
                        ));
                }
            }

            /// Fail on any mismatch, and on an operation whose fast path was never taken, or
            /// never with an exact or an inexact result where `both` (a vacuous test).
            fn finish(self) {
                let mut report = String::new();
                let mut total = 0;
                for (op, t) in &self.0 {
                    total += t.cases;
                    eprintln!(
                        "{op:16} {:8} cases, {:8} fast ({} inexact)",
                        t.cases, t.fast, t.fast_inexact
                    );
                    for f in &t.failures {
                        report += &format!("\n{f}");
                    }
                    if NO_FAST_PATH.contains(&op.as_str()) {
                        if t.fast != 0 {
                            report +=
                                &format!("\n{op}: has no fast path but took it {} times", t.fast);
                        }
                        continue;
                    }
                    let exact_only = op.starts_with("fcvt.d.s") || op.starts_with("fcvt.d.w");
                    if t.fast == 0
                        || (!exact_only && t.fast_inexact == 0)
                        || t.fast_inexact == t.fast && !op.starts_with("fcvt")
                    {
                        report += &format!(
                            "\n{op}: fast path not exercised ({} fast, {} inexact)",
                            t.fast, t.fast_inexact
                        );
                    }
                }
                eprintln!("total {total} comparisons");
                assert!(report.is_empty(), "{report}");
            }
        }

        fn name(op: &str, e: Enc) -> String {
            format!("{op}.{}", if e.fmt == Fmt::S { "s" } else { "d" })
        }

        fn run(seed: u64, mut body: impl FnMut(&mut Rng, &mut Tallies, Enc, [u64; 3])) -> Tallies {
            let mut rng = Rng(seed);
            let mut tallies = Tallies::default();
            for k in 0..SCENARIOS {
                for _ in 0..iterations() {
                    for e in [SE, DE] {
                        let ops = operands(&mut rng, e, k);
                        body(&mut rng, &mut tallies, e, ops);
                    }
                }
            }
            tallies
        }

        #[test]
        fn add_sub() {
            run(1, |rng, t, e, [a, b, _]| {
                let rm = pick_rm(rng);
                let fast = |neg| {
                    (rm == Rm::Rne)
                        .then(|| host::add(e.fmt, a, b, neg))
                        .flatten()
                };
                t.check(
                    &name("fadd", e),
                    &[a, b],
                    rm,
                    add(e.fmt, a, b, rm),
                    fast(false),
                    soft_add(e.fmt, a, b, rm),
                );
                t.check(
                    &name("fsub", e),
                    &[a, b],
                    rm,
                    sub(e.fmt, a, b, rm),
                    fast(true),
                    soft_sub(e.fmt, a, b, rm),
                );
            })
            .finish();
        }

        #[test]
        fn mul_div_sqrt() {
            run(2, |rng, t, e, [a, b, c]| {
                let rm = pick_rm(rng);
                let rne = rm == Rm::Rne;
                t.check(
                    &name("fmul", e),
                    &[a, b],
                    rm,
                    mul(e.fmt, a, b, rm),
                    rne.then(|| host::mul(e.fmt, a, b)).flatten(),
                    soft_mul(e.fmt, a, b, rm),
                );
                t.check(
                    &name("fdiv", e),
                    &[a, b],
                    rm,
                    div(e.fmt, a, b, rm),
                    rne.then(|| host::div(e.fmt, a, b)).flatten(),
                    soft_div(e.fmt, a, b, rm),
                );
                // Square roots of a (the scenario's first operand) and of c (squares in the
                // exact-result scenario).
                for x in [a, c] {
                    t.check(
                        &name("fsqrt", e),
                        &[x],
                        rm,
                        sqrt(e.fmt, x, rm),
                        rne.then(|| host::sqrt(e.fmt, x)).flatten(),
                        soft_sqrt(e.fmt, x, rm),
                    );
                }
            })
            .finish();
        }

        #[test]
        fn fused_multiply_add() {
            run(3, |rng, t, e, [a, b, c]| {
                let rm = pick_rm(rng);
                for (np, na, op) in [
                    (false, false, "fmadd"),
                    (false, true, "fmsub"),
                    (true, false, "fnmsub"),
                    (true, true, "fnmadd"),
                ] {
                    let fast = (rm == Rm::Rne)
                        .then(|| host::fma(e.fmt, a, b, c, np, na))
                        .flatten();
                    t.check(
                        &name(op, e),
                        &[a, b, c],
                        rm,
                        fma(e.fmt, a, b, c, rm, np, na),
                        fast,
                        soft_fma(e.fmt, a, b, c, rm, np, na),
                    );
                }
            })
            .finish();
        }

        #[test]
        fn conversions() {
            run(4, |rng, t, e, [a, _, _]| {
                let rm = if rng.coin() { pick_rm(rng) } else { Rm::Rtz };
                let (to, from, op) = match e.fmt {
                    Fmt::S => (Fmt::D, Fmt::S, "fcvt.d.s"),
                    _ => (Fmt::S, Fmt::D, "fcvt.s.d"),
                };
                t.check(
                    op,
                    &[a],
                    rm,
                    convert(to, from, a, rm),
                    host::convert(to, from, a, rm),
                    soft_convert(to, from, a, rm),
                );
                for (kind, k) in [
                    (IntKind::W, "w"),
                    (IntKind::Wu, "wu"),
                    (IntKind::L, "l"),
                    (IntKind::Lu, "lu"),
                ] {
                    let op = format!("fcvt.{k}.{}", if e.fmt == Fmt::S { "s" } else { "d" });
                    t.check(
                        &op,
                        &[a],
                        rm,
                        to_int(e.fmt, a, kind, rm),
                        host::to_int(e.fmt, a, kind, rm),
                        soft_to_int(e.fmt, a, kind, rm),
                    );
                    let v = int_operand(rng);
                    let op = format!("{}.{k}", name("fcvt", e));
                    t.check(
                        &op,
                        &[v],
                        rm,
                        from_int(e.fmt, v, kind, rm),
                        host::from_int(e.fmt, v, kind, rm),
                        soft_from_int(e.fmt, v, kind, rm),
                    );
                }
            })
            .finish();
        }
        /// ns per operation of the public functions (host fast path where it applies) and of
        /// the SoftFloat paths, on ordinary operands. Run with
        /// `cargo test -p emu-cpu --release --lib fp_ns_per_op -- --ignored --nocapture`;
        /// FP_BENCH_OP=fmadd.d (say) times one operation only.
        #[test]
        #[ignore = "benchmark"]
        fn fp_ns_per_op() {
            use std::hint::black_box;
            use std::time::Instant;

            const N: usize = 1024;
            const ROUNDS: usize = 400;
            let mut rng = Rng(7);
            let ops = |rng: &mut Rng, e: Enc| -> Vec<[u64; 3]> {
                (0..N).map(|_| operands(rng, e, 1)).collect()
            };
            let (s_ops, d_ops) = (ops(&mut rng, SE), ops(&mut rng, DE));
            let time = |ops: &[[u64; 3]], f: &dyn Fn(u64, u64, u64) -> FpOut| {
                let start = Instant::now();
                let mut acc = 0u64;
                for _ in 0..ROUNDS {
                    for &[a, b, c] in ops {
                        let r = f(black_box(a), black_box(b), black_box(c));
                        acc ^= r.value ^ u64::from(r.flags);
                    }
                }
                black_box(acc);
                start.elapsed().as_nanos() as f64 / (ROUNDS * N) as f64
            };
            type Op = (
                &'static str,
                Fmt,
                fn(Fmt, u64, u64, u64) -> FpOut,
                fn(Fmt, u64, u64, u64) -> FpOut,
            );
            let table: [Op; 10] = [
                (
                    "fadd.d",
                    Fmt::D,
                    |f, a, b, _| add(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_add(f, a, b, Rm::Rne),
                ),
                (
                    "fmul.d",
                    Fmt::D,
                    |f, a, b, _| mul(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_mul(f, a, b, Rm::Rne),
                ),
                (
                    "fdiv.d",
                    Fmt::D,
                    |f, a, b, _| div(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_div(f, a, b, Rm::Rne),
                ),
                (
                    "fsqrt.d",
                    Fmt::D,
                    |f, a, _, _| sqrt(f, a & !(1 << 63), Rm::Rne),
                    |f, a, _, _| soft_sqrt(f, a & !(1 << 63), Rm::Rne),
                ),
                (
                    "fmadd.d",
                    Fmt::D,
                    |f, a, b, c| fma(f, a, b, c, Rm::Rne, false, false),
                    |f, a, b, c| soft_fma(f, a, b, c, Rm::Rne, false, false),
                ),
                (
                    "fcvt.w.d rtz",
                    Fmt::D,
                    |f, a, _, _| to_int(f, a >> 12 | 0x41d0_0000_0000_0000, IntKind::W, Rm::Rtz),
                    |f, a, _, _| {
                        soft_to_int(f, a >> 12 | 0x41d0_0000_0000_0000, IntKind::W, Rm::Rtz)
                    },
                ),
                (
                    "fadd.s",
                    Fmt::S,
                    |f, a, b, _| add(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_add(f, a, b, Rm::Rne),
                ),
                (
                    "fmul.s",
                    Fmt::S,
                    |f, a, b, _| mul(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_mul(f, a, b, Rm::Rne),
                ),
                (
                    "fdiv.s",
                    Fmt::S,
                    |f, a, b, _| div(f, a, b, Rm::Rne),
                    |f, a, b, _| soft_div(f, a, b, Rm::Rne),
                ),
                (
                    "fmadd.s",
                    Fmt::S,
                    |f, a, b, c| fma(f, a, b, c, Rm::Rne, false, false),
                    |f, a, b, c| soft_fma(f, a, b, c, Rm::Rne, false, false),
                ),
            ];
            eprintln!(
                "{:14} {:>10} {:>10} {:>8}",
                "op", "softfloat", "host", "speedup"
            );
            let only = std::env::var("FP_BENCH_OP").ok();
            for (name, fmt, host, soft) in table {
                if only.as_ref().is_some_and(|o| o != name) {
                    continue;
                }
                let ops = if fmt == Fmt::S { &s_ops } else { &d_ops };
                // The best of 5 interleaved trials: this machine is shared.
                let (mut t_soft, mut t_host) = (f64::INFINITY, f64::INFINITY);
                for _ in 0..5 {
                    t_soft = t_soft.min(time(ops, &|a, b, c| soft(fmt, a, b, c)));
                    t_host = t_host.min(time(ops, &|a, b, c| host(fmt, a, b, c)));
                }
                eprintln!(
                    "{name:14} {t_soft:8.1}ns {t_host:8.1}ns {:7.1}x",
                    t_soft / t_host
                );
            }
        }
    }

    /// Results against the host's IEEE arithmetic, which rounds to nearest-even: the same bits,
    /// except that every NaN result must be the canonical NaN.
    mod against_host {
        use super::*;
        use proptest::prelude::*;

        fn want_s(x: f32) -> u64 {
            s(if x.is_nan() { 0x7fc0_0000 } else { x.to_bits() })
        }

        fn want_d(x: f64) -> u64 {
            if x.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                x.to_bits()
            }
        }

        proptest! {
            #[test]
            fn single_arithmetic(a: u32, b: u32, c: u32) {
                let (x, y, z) = (f32::from_bits(a), f32::from_bits(b), f32::from_bits(c));
                let (a, b, c) = (s(a), s(b), s(c));
                prop_assert_eq!(add(Fmt::S, a, b, RNE).value, want_s(x + y));
                prop_assert_eq!(sub(Fmt::S, a, b, RNE).value, want_s(x - y));
                prop_assert_eq!(mul(Fmt::S, a, b, RNE).value, want_s(x * y));
                prop_assert_eq!(div(Fmt::S, a, b, RNE).value, want_s(x / y));
                prop_assert_eq!(sqrt(Fmt::S, a, RNE).value, want_s(x.sqrt()));
                prop_assert_eq!(fma(Fmt::S, a, b, c, RNE, false, false).value, want_s(x.mul_add(y, z)));
                prop_assert_eq!(fma(Fmt::S, a, b, c, RNE, true, true).value, want_s((-x).mul_add(y, -z)));
                prop_assert_eq!(convert(Fmt::D, Fmt::S, a, RNE).value, want_d(f64::from(x)));
                prop_assert_eq!(eq(Fmt::S, a, b).value, u64::from(x == y));
                prop_assert_eq!(lt(Fmt::S, a, b).value, u64::from(x < y));
                prop_assert_eq!(le(Fmt::S, a, b).value, u64::from(x <= y));
            }

            #[test]
            fn double_arithmetic(a: u64, b: u64, c: u64) {
                let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
                prop_assert_eq!(add(Fmt::D, a, b, RNE).value, want_d(x + y));
                prop_assert_eq!(sub(Fmt::D, a, b, RNE).value, want_d(x - y));
                prop_assert_eq!(mul(Fmt::D, a, b, RNE).value, want_d(x * y));
                prop_assert_eq!(div(Fmt::D, a, b, RNE).value, want_d(x / y));
                prop_assert_eq!(sqrt(Fmt::D, a, RNE).value, want_d(x.sqrt()));
                prop_assert_eq!(fma(Fmt::D, a, b, c, RNE, false, true).value, want_d(x.mul_add(y, -z)));
                prop_assert_eq!(convert(Fmt::S, Fmt::D, a, RNE).value, want_s(x as f32));
            }

            /// Rust's float-to-int `as` truncates and saturates like RISC-V, apart from NaN.
            #[test]
            fn to_int_toward_zero(a: u32, b: u64) {
                let x = f32::from_bits(a);
                let y = f64::from_bits(b);
                prop_assume!(!x.is_nan() && !y.is_nan());
                let a = s(a);
                prop_assert_eq!(to_int(Fmt::S, a, IntKind::W, RTZ).value, i64::from(x as i32) as u64);
                prop_assert_eq!(to_int(Fmt::S, a, IntKind::Wu, RTZ).value, i64::from(x as u32 as i32) as u64);
                prop_assert_eq!(to_int(Fmt::S, a, IntKind::L, RTZ).value, x as i64 as u64);
                prop_assert_eq!(to_int(Fmt::S, a, IntKind::Lu, RTZ).value, x as u64);
                prop_assert_eq!(to_int(Fmt::D, b, IntKind::W, RTZ).value, i64::from(y as i32) as u64);
                prop_assert_eq!(to_int(Fmt::D, b, IntKind::Lu, RTZ).value, y as u64);
            }

            /// Rust's int-to-float `as` rounds to nearest-even.
            #[test]
            fn from_int_nearest_even(v: u64) {
                prop_assert_eq!(from_int(Fmt::S, v, IntKind::W, RNE).value, s((v as i32 as f32).to_bits()));
                prop_assert_eq!(from_int(Fmt::S, v, IntKind::Wu, RNE).value, s((v as u32 as f32).to_bits()));
                prop_assert_eq!(from_int(Fmt::S, v, IntKind::L, RNE).value, s((v as i64 as f32).to_bits()));
                prop_assert_eq!(from_int(Fmt::D, v, IntKind::L, RNE).value, (v as i64 as f64).to_bits());
                prop_assert_eq!(from_int(Fmt::D, v, IntKind::Lu, RNE).value, (v as f64).to_bits());
            }
        }
    }
}
