//! F and D instructions as SSE code for the x86-64 backend, bit-exact to the RISC-V spec
//! (design decision 9; unprivileged spec chapters 13 and 14).
//!
//! The host FPU computes IEEE 754 results, so for round-to-nearest-even the value of every
//! operation whose result is not a NaN is the RISC-V one. What differs is NaNs (x86 returns its
//! "default NaN" 0xfff8... or propagates an input's payload; RISC-V returns the canonical NaN,
//! spec 13.3) and where the exception flags live. Each arithmetic instruction therefore runs
//! the SSE instruction and then decides whether it may keep the result, QEMU "hardfloat" style:
//!
//! - the rounding mode must be RNE: a static rm of 0, or rm = 7 (dynamic) with frm = 0, checked
//!   at run time (frm only changes through a CSR instruction, which ends the block; still the
//!   check is one compare). Other modes take the slow path. fcvt to an integer also inlines
//!   the static RTZ of C casts (`cvttsd2si` ignores MXCSR's rounding) and the static RMM of
//!   `lround` (a truncation and an exact correction).
//! - when the guest's fflags.NX is already set (the usual state: it is sticky and software
//!   rarely clears it), NX cannot change, so only the other flags matter, and the result
//!   tells: an arithmetic operation raises NV only with a NaN result, DZ and OF only
//!   with an infinite one, and UF only with a result of magnitude at most the smallest normal
//!   (RISC-V detects tininess after rounding; a tiny exact value cannot round above the
//!   smallest normal). So a NaN or infinite result, or for products, quotients, fused and
//!   narrowing operations a result at or below the smallest normal, takes the slow path.
//!   Sums and square roots are never tiny-and-inexact, so only NaN and infinity count there.
//!   This path never touches MXCSR (`stmxcsr` waits for every earlier SSE operation and costs
//!   more than the operation itself).
//! - when NX is clear, whether the operation is exact must be known: MXCSR is reset (`ldmxcsr`
//!   of the default 0x1f80: RNE, every exception masked, no flags; the host's Rust code may
//!   have left flags set) just before the operation and read with `stmxcsr` after it. IE
//!   (which covers signalling NaN inputs), ZE, OE or UE, or a NaN result (a quiet NaN input
//!   raises no flag) send the instruction to the slow path; otherwise PE is exactly NX. DE (a
//!   subnormal input) needs nothing: with DAZ/FTZ off the host computes subnormals exactly.
//!   (x86 detects tininess after rounding like RISC-V; were it before, it would only send
//!   more cases to the slow path.) MXCSR's control bits are the host's default (Rust never
//!   changes them) whenever translated code runs.
//! - fcvt to an integer converts to 64 bits and checks the range of the result (x86's
//!   "integer indefinite" included); PE there also decides whether FS becomes Dirty.
//!
//! The slow path is the interpreter for that one instruction (`helpers::exec_one`: SoftFloat,
//! exact flags, canonical NaNs, every rounding mode, mstatus.FS checks and illegal-instruction
//! traps), so anything doubtful is decided by the definition of the ISA.
//!
//! mstatus.FS (spec 3.1.6.6 of the privileged spec): every F/D instruction raises an illegal
//! instruction when FS is Off, and one that writes an f register or fflags sets FS to Dirty.
//! CSR instructions end a block and traps leave it, so inside a block FS can only move from
//! Initial/Clean to Dirty: the first FP instruction of a block checks FS (going to the slow
//! path, which traps, when Off) and the first that writes FP state sets Dirty; the later ones
//! know both. Loads and stores (fld/flw/fsd/fsw) use the integer emitter's inline TLB lookup;
//! a miss, a misaligned or MMIO access, or a page holding code goes to the slow path.
//!
//! The scratch dword at `[rsp]` (the trampoline's alignment slot, which the helper-call thunk
//! leaves alone: it is entered by `call` and uses only the stack below) holds MXCSR images.
//! The emission uses only the scratch registers rax, rcx, rdx and xmm0-xmm2 (caller-saved,
//! so nothing lives in them across the helper call); guest integer operands are read and
//! written through the integer emitter's `get`/`put`/`addr_and_entry`, which know where each
//! guest register lives in the block (a host register or the hart state).

use super::{Emitter, TLB_READ, TLB_WRITE};
use crate::csr::{mstatus, Csrs};
use crate::decode::{Insn, Op};
use crate::hart::{Hart, HartState};
use crate::jit::helpers;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use std::mem::offset_of;

const OFF_CSR: usize = offset_of!(Hart, csr);
const OFF_MSTATUS: i32 = (OFF_CSR + offset_of!(Csrs, mstatus)) as i32;
const OFF_FRM: i32 = (OFF_CSR + offset_of!(Csrs, frm)) as i32;
const OFF_FFLAGS: i32 = (OFF_CSR + offset_of!(Csrs, fflags)) as i32;
/// Offset of f[0] from rbx (the hart).
const OFF_F: i32 = (offset_of!(Hart, state) + offset_of!(HartState, f)) as i32;
/// mstatus.FS: both bits set is Dirty, zero is Off. The field lies in the low dword.
const FS: i32 = mstatus::FS as i32;
const _: () = assert!(mstatus::FS <= i32::MAX as u64);
/// fflags.NX.
const NX: i8 = crate::fp::flags::NX as i8;

/// MXCSR: round to nearest-even, every exception masked, no flags, no FTZ/DAZ.
const MXCSR_DEFAULT: i32 = 0x1f80;
/// MXCSR flags that send an instruction to the slow path: IE, ZE, OE, UE (not DE, bit 1).
const MXCSR_DOUBTFUL: i8 = 0x1d;
/// MXCSR's precision (inexact) flag.
const MXCSR_PE: i8 = 0x20;

/// The first xmm register that caches an f register (xmm0-xmm2 are the operations' scratch).
const XMM_CACHE_FIRST: u8 = 3;
/// How many xmm registers cache f registers (xmm3-xmm15).
const XMM_CACHE: usize = 13;

/// What the emitter knows in the block so far: mstatus.FS (see the module comment) and
/// which f registers xmm registers hold.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FpState {
    /// FS is not Off (an earlier FP instruction of this block checked it).
    fs_on: bool,
    /// FS is Dirty (an earlier instruction of this block set it on every path).
    fs_dirty: bool,
    /// xmm`XMM_CACHE_FIRST + k` holds the value of f register `.0` (as a single when `.1`)
    /// on every path to the current point of the block. f registers are always written to
    /// the hart state too (write-through), so this only saves loads: an operand read from
    /// the xmm register instead of the store just made to memory does not wait for
    /// store-to-load forwarding on the dependency chain. Empty at the block's start (a
    /// self-loop jumps back there); forgotten at every call into Rust, which clobbers the
    /// xmm registers, except the F/D slow path, which reloads them.
    xmm: [Option<(u8, bool)>; XMM_CACHE],
    /// The cache slot to fill next (round robin).
    next: usize,
}

impl FpState {
    /// Forgets every cached f register (a call into Rust clobbers the xmm registers).
    pub(super) fn forget_all(&mut self) {
        self.xmm = [None; XMM_CACHE];
    }

    /// Forgets f[r] (written other than through an xmm register).
    fn forget(&mut self, r: u8) {
        for e in self.xmm.iter_mut() {
            if e.is_some_and(|(f, _)| f == r) {
                *e = None;
            }
        }
    }

    /// The xmm register holding f[r] in the format `single`, if any.
    fn lookup(&self, r: u8, single: bool) -> Option<u8> {
        let k = self.xmm.iter().position(|&e| e == Some((r, single)))?;
        Some(XMM_CACHE_FIRST + k as u8)
    }
}

/// Where an f register operand is read from.
#[derive(Clone, Copy)]
enum FSrc {
    /// An xmm register caching it.
    Xmm(u8),
    /// The hart state, `[rbx + disp]`.
    Mem(i32),
}

/// `$op xmm$x, src` with src an xmm register or memory (`$w` PTR: QWORD or DWORD).
macro_rules! xop {
    ($a:expr, $op:ident, $x:expr, $src:expr, $w:ident) => {
        match $src {
            FSrc::Xmm(k) => dynasm!($a ; .arch x64 ; $op Rx($x), Rx(k)),
            FSrc::Mem(d) => dynasm!($a ; .arch x64 ; $op Rx($x), $w [rbx + d]),
        }
    };
}

/// `$op rax, src` (conversions to an integer) with src an xmm register or memory.
macro_rules! xop_rax {
    ($a:expr, $op:ident, $src:expr, $w:ident) => {
        match $src {
            FSrc::Xmm(k) => dynasm!($a ; .arch x64 ; $op rax, Rx(k)),
            FSrc::Mem(d) => dynasm!($a ; .arch x64 ; $op rax, $w [rbx + d]),
        }
    };
}

/// Displacement of f[r] from rbx.
fn fd(r: u8) -> i32 {
    OFF_F + 8 * r as i32
}

/// Which rounding modes an inline emission accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rounding {
    /// The operation rounds: only RNE (static, or dynamic with frm = 0).
    Rne,
    /// fcvt to an integer: RNE as above, or a static RTZ or RMM ([`ToInt`]).
    ToInt,
    /// The result is always exact: any valid mode (dynamic: frm <= 4).
    Exact,
}

/// How an instruction's rounding mode is checked: at translation time, or at run time when
/// it is dynamic.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RmCheck {
    None,
    /// frm must be 0 (RNE).
    FrmRne,
    /// frm must be a valid mode (0..=4).
    FrmValid,
}

/// How an inline conversion to an integer rounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ToInt {
    /// To nearest, ties to even (`cvtsd2si` with MXCSR's default rounding).
    Rne,
    /// Towards zero, the C cast (`cvttsd2si`).
    Rtz,
    /// To nearest, ties away from zero, C's `lround` (truncate, then step away from zero
    /// when the discarded fraction is at least one half).
    Rmm,
}

/// The rounding-mode check for `i`, and how a to-int conversion rounds; None when the
/// instruction has no inline emission for its mode (reserved modes 5 and 6 included).
fn rm_check(i: &Insn, r: Rounding) -> Option<(RmCheck, ToInt)> {
    match (i.rm, r) {
        (0, _) => Some((RmCheck::None, ToInt::Rne)),
        (1, Rounding::ToInt) => Some((RmCheck::None, ToInt::Rtz)),
        (4, Rounding::ToInt) => Some((RmCheck::None, ToInt::Rmm)),
        (1..=4, Rounding::Exact) => Some((RmCheck::None, ToInt::Rne)),
        (7, Rounding::Exact) => Some((RmCheck::FrmValid, ToInt::Rne)),
        (7, _) => Some((RmCheck::FrmRne, ToInt::Rne)),
        _ => None,
    }
}

/// Two-operand arithmetic.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// The fused multiply-adds (spec 13.6), named as RISC-V names them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fused {
    /// a*b + c
    Madd,
    /// a*b - c
    Msub,
    /// -(a*b) + c
    Nmsub,
    /// -(a*b) - c
    Nmadd,
}

/// Which register file an instruction writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// An f register (mstatus.FS becomes Dirty).
    F,
    /// An x register (FS becomes Dirty only if fflags are raised).
    X,
    /// Nothing (stores).
    None,
}

/// What a result must look like for the fast path (fflags.NX already set) to keep it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Not a NaN nor an infinity: additions and square roots, whose tiny results are exact
    /// (a sum of multiples of the smallest subnormal is one; a square root is never tiny).
    NanInf,
    /// Above the smallest normal and finite: products, quotients, fused, narrowing. A zero
    /// result is also kept when one of `zero_from` (f registers) is a zero: then it is exact
    /// (0 * x, 0 / x with x finite or infinite and nonzero; a NaN or 0 * inf is no zero).
    Normal { zero_from: [Option<u8>; 2] },
    /// Any result (conversions from integers: only NX is possible).
    None,
}

/// Integer side of a conversion.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IntTy {
    W,
    Wu,
    L,
    Lu,
}

impl Emitter {
    /// Emits F/D instruction `i` natively (adding it to the pending instret count). Returns
    /// false, having emitted nothing, if it has no native emission; the caller then falls
    /// back to the interpreter.
    pub(super) fn fp_insn(&mut self, i: &Insn) -> bool {
        use Op::*;
        let single = matches!(
            i.op,
            FaddS
                | FsubS
                | FmulS
                | FdivS
                | FsqrtS
                | FminS
                | FmaxS
                | FeqS
                | FltS
                | FleS
                | FsgnjS
                | FsgnjnS
                | FsgnjxS
                | FmaddS
                | FmsubS
                | FnmsubS
                | FnmaddS
        );
        match i.op {
            Fld => self.fp_load(i, 8),
            Flw => self.fp_load(i, 4),
            Fsd => self.fp_store(i, 8),
            Fsw => self.fp_store(i, 4),
            FaddS | FaddD => self.fp_arith(i, Arith::Add, single),
            FsubS | FsubD => self.fp_arith(i, Arith::Sub, single),
            FmulS | FmulD => self.fp_arith(i, Arith::Mul, single),
            FdivS | FdivD => self.fp_arith(i, Arith::Div, single),
            FsqrtS | FsqrtD => self.fp_sqrt(i, single),
            FmaddS | FmaddD => self.fp_fused(i, Fused::Madd, single),
            FmsubS | FmsubD => self.fp_fused(i, Fused::Msub, single),
            FnmsubS | FnmsubD => self.fp_fused(i, Fused::Nmsub, single),
            FnmaddS | FnmaddD => self.fp_fused(i, Fused::Nmadd, single),
            FminS | FminD => self.fp_min_max(i, false, single),
            FmaxS | FmaxD => self.fp_min_max(i, true, single),
            FeqS | FeqD | FltS | FltD | FleS | FleD => self.fp_compare(i, single),
            FsgnjS | FsgnjD | FsgnjnS | FsgnjnD | FsgnjxS | FsgnjxD => self.fp_sgnj(i, single),
            FmvXD | FmvXW | FmvDX | FmvWX => self.fp_move(i),
            FcvtSD | FcvtDS => self.fp_convert(i),
            FcvtWS | FcvtWD => self.fp_to_int(i, IntTy::W),
            FcvtWuS | FcvtWuD => self.fp_to_int(i, IntTy::Wu),
            FcvtLS | FcvtLD => self.fp_to_int(i, IntTy::L),
            FcvtLuS | FcvtLuD => self.fp_to_int(i, IntTy::Lu),
            FcvtSW | FcvtDW => self.fp_from_int(i, IntTy::W),
            FcvtSWu | FcvtDWu => self.fp_from_int(i, IntTy::Wu),
            FcvtSL | FcvtDL => self.fp_from_int(i, IntTy::L),
            FcvtSLu | FcvtDLu => self.fp_from_int(i, IntTy::Lu),
            _ => false,
        }
    }

    /// The start of every inline FP instruction: the FS check (once a block) and the dynamic
    /// rounding-mode check, both going to `slow` when they fail. Returns (slow, done).
    fn fp_begin(&mut self, rm: RmCheck) -> (DynamicLabel, DynamicLabel) {
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        if !self.fp.fs_on {
            dynasm!(self.a
                ; .arch x64
                ; test DWORD [rbx + OFF_MSTATUS], FS
                ; jz =>slow
            );
        }
        match rm {
            RmCheck::None => {}
            RmCheck::FrmRne => dynasm!(self.a
                ; .arch x64
                ; cmp BYTE [rbx + OFF_FRM], 0
                ; jne =>slow
            ),
            RmCheck::FrmValid => dynasm!(self.a
                ; .arch x64
                ; cmp BYTE [rbx + OFF_FRM], 4
                ; ja =>slow
            ),
        }
        (slow, done)
    }

    /// The end of every inline FP instruction: on the inline path, set FS Dirty if it wrote an
    /// f register; then the out-of-line slow path (the interpreter for this one
    /// instruction), and the join.
    fn fp_end(&mut self, i: &Insn, slow: DynamicLabel, done: DynamicLabel, writes: Writes) {
        let writes_f = writes == Writes::F;
        if writes_f && !self.fp.fs_dirty {
            dynasm!(self.a ; .arch x64 ; or DWORD [rbx + OFF_MSTATUS], FS);
        }
        dynasm!(self.a ; .arch x64 ; jmp =>done ; =>slow);
        // exec_one expects instret to count the block's earlier instructions and adds this
        // one; the inline path counts them all in `pending` (not yet taken from r15), so
        // retire the earlier ones before the call and give all of them back after.
        let pending = self.pending as i32;
        if pending != 0 {
            dynasm!(self.a ; .arch x64 ; sub r15, pending);
        }
        let insn_ptr = i as *const Insn as i64;
        let off = self.off;
        dynasm!(self.a
            ; .arch x64
            ; mov rcx, QWORD insn_ptr
            ; mov edx, off
        );
        // The thunk writes the guest registers back and reloads them (an x destination
        // included); a non-zero status leaves the block. The call clobbers the xmm
        // registers: reload the cached f registers (the inline path's view, this
        // instruction's destination included) from the hart state, where exec_one wrote.
        let cached = self.fp.xmm;
        self.call_helper(helpers::exec_one as *const () as usize);
        let back = pending + 1;
        dynasm!(self.a
            ; .arch x64
            ; add r15, back
            ; mov DWORD [rsp], MXCSR_DEFAULT
            ; ldmxcsr [rsp]
        );
        for (k, e) in cached.into_iter().enumerate() {
            if let Some((r, single)) = e {
                let (x, d) = (XMM_CACHE_FIRST + k as u8, fd(r));
                if single {
                    dynasm!(self.a ; .arch x64 ; movss Rx(x), DWORD [rbx + d]);
                } else {
                    dynasm!(self.a ; .arch x64 ; movsd Rx(x), QWORD [rbx + d]);
                }
            }
        }
        self.fp.xmm = cached;
        dynasm!(self.a ; .arch x64 ; =>done);
        self.pending += 1;
        self.fp.fs_on = true;
        if writes_f {
            // Inline: set above; slow path: the interpreter sets it with any f write.
            self.fp.fs_dirty = true;
        }
    }

    /// Jumps to `slow` unless f[r] holds a properly NaN-boxed single (spec 14.2: otherwise it
    /// reads as the canonical NaN, which the slow path produces).
    fn fp_boxed(&mut self, r: u8, slow: DynamicLabel) {
        let d = fd(r) + 4;
        dynasm!(self.a
            ; .arch x64
            ; cmp DWORD [rbx + d], -1
            ; jne =>slow
        );
    }

    /// Clears MXCSR's flags (and restores its default control bits) before an operation
    /// whose flags are read afterwards.
    fn fp_clear_flags(&mut self) {
        dynasm!(self.a
            ; .arch x64
            ; mov DWORD [rsp], MXCSR_DEFAULT
            ; ldmxcsr [rsp]
        );
    }

    /// After an operation with its result in xmm`x`: MXCSR to `[rsp]`, and the slow path on
    /// IE, ZE, OE, UE or a NaN result.
    fn fp_check_result(&mut self, x: u8, single: bool, slow: DynamicLabel) {
        dynasm!(self.a
            ; .arch x64
            ; stmxcsr [rsp]
            ; test BYTE [rsp], MXCSR_DOUBTFUL
            ; jnz =>slow
        );
        if single {
            dynasm!(self.a ; .arch x64 ; ucomiss Rx(x), Rx(x));
        } else {
            dynasm!(self.a ; .arch x64 ; ucomisd Rx(x), Rx(x));
        }
        dynasm!(self.a ; .arch x64 ; jp =>slow);
    }

    /// Emits `op` (computing a rounded result into xmm`x`) on one of two paths. When
    /// fflags.NX is already set, NX cannot change and the result alone tells whether another
    /// flag may be raised (`check`): no MXCSR access, which would serialize the host FPU.
    /// Otherwise MXCSR is cleared before and read after (exact NX from PE, IE/ZE/OE/UE to the
    /// slow path). Both paths leave the result in xmm`x` and have raised NX as needed.
    fn fp_two_paths(
        &mut self,
        x: u8,
        single: bool,
        check: Check,
        slow: DynamicLabel,
        op: &dyn Fn(&mut Emitter),
    ) {
        let fast = self.a.new_dynamic_label();
        let commit = self.a.new_dynamic_label();
        dynasm!(self.a
            ; .arch x64
            ; test BYTE [rbx + OFF_FFLAGS], NX
            ; jnz =>fast
        );
        self.fp_clear_flags();
        op(self);
        self.fp_check_result(x, single, slow);
        dynasm!(self.a
            ; .arch x64
            ; test BYTE [rsp], MXCSR_PE
            ; jz =>commit
            ; or BYTE [rbx + OFF_FFLAGS], NX
            ; jmp =>commit
            ; =>fast
        );
        op(self);
        self.fp_check_value(x, single, check, slow);
        dynasm!(self.a ; .arch x64 ; =>commit);
    }

    /// The slow path unless the result in xmm`x` shows that the operation raised no flag
    /// but NX (given finite or infinite non-NaN operands, see `Check`).
    fn fp_check_value(&mut self, x: u8, single: bool, check: Check, slow: DynamicLabel) {
        if check == Check::None {
            return;
        }
        // eax <- the biased exponent.
        if single {
            dynasm!(self.a
                ; .arch x64
                ; movd eax, Rx(x)
                ; shr eax, 23
                ; movzx eax, al
            );
        } else {
            dynasm!(self.a
                ; .arch x64
                ; movq rax, Rx(x)
                ; shr rax, 52
                ; and eax, 0x7ff
            );
        }
        let max: i32 = if single { 0xff } else { 0x7ff };
        match check {
            Check::NanInf => dynasm!(self.a
                ; .arch x64
                ; cmp eax, max
                ; je =>slow
            ),
            // Exponent 2..=max-1: |result| > the smallest normal, so the result was neither
            // tiny (RISC-V detects tininess after rounding: a tiny exact value rounds to at
            // most the smallest normal) nor an underflow to zero, nor an overflow, an infinite
            // quotient (DZ) or a NaN (NV).
            Check::Normal { zero_from } => {
                let ok = self.a.new_dynamic_label();
                dynasm!(self.a
                    ; .arch x64
                    ; sub eax, 2
                    ; cmp eax, max - 3
                    ; jbe =>ok
                );
                if zero_from == [None, None] {
                    dynasm!(self.a ; .arch x64 ; jmp =>slow);
                } else {
                    // A zero result (shifting out the sign leaves nothing) from a zero operand.
                    if single {
                        dynasm!(self.a ; .arch x64 ; movd eax, Rx(x) ; add eax, eax ; jnz =>slow);
                    } else {
                        dynasm!(self.a ; .arch x64 ; movq rax, Rx(x) ; add rax, rax ; jnz =>slow);
                    }
                    for r in zero_from.into_iter().flatten() {
                        let d = fd(r);
                        if single {
                            dynasm!(self.a
                                ; .arch x64
                                ; mov eax, DWORD [rbx + d]
                                ; add eax, eax
                                ; jz =>ok
                            );
                        } else {
                            dynasm!(self.a
                                ; .arch x64
                                ; mov rax, QWORD [rbx + d]
                                ; add rax, rax
                                ; jz =>ok
                            );
                        }
                    }
                    dynasm!(self.a ; .arch x64 ; jmp =>slow);
                }
                dynasm!(self.a ; .arch x64 ; =>ok);
            }
            Check::None => {}
        }
    }

    /// Where to read f[r] from (a single's low 32 bits, or a double).
    fn fp_src(&self, r: u8, single: bool) -> FSrc {
        match self.fp.lookup(r, single) {
            Some(k) => FSrc::Xmm(k),
            None => FSrc::Mem(fd(r)),
        }
    }

    /// xmm`x` <- f[r] (a single's low 32 bits, or a double).
    fn fp_get(&mut self, x: u8, r: u8, single: bool) {
        match (self.fp_src(r, single), single) {
            (FSrc::Xmm(k), _) => dynasm!(self.a ; .arch x64 ; movaps Rx(x), Rx(k)),
            (FSrc::Mem(d), true) => dynasm!(self.a ; .arch x64 ; movss Rx(x), DWORD [rbx + d]),
            (FSrc::Mem(d), false) => dynasm!(self.a ; .arch x64 ; movsd Rx(x), QWORD [rbx + d]),
        }
    }

    /// f[r] <- xmm`x`, NaN-boxing a single; xmm`x` is then cached as f[r].
    fn fp_put(&mut self, x: u8, r: u8, single: bool) {
        let d = fd(r);
        if single {
            dynasm!(self.a
                ; .arch x64
                ; movss DWORD [rbx + d], Rx(x)
                ; mov DWORD [rbx + d + 4], -1
            );
        } else {
            dynasm!(self.a ; .arch x64 ; movsd QWORD [rbx + d], Rx(x));
        }
        let k = self.fp_cache_slot(r, single);
        dynasm!(self.a ; .arch x64 ; movaps Rx(k), Rx(x));
    }

    /// Allots an xmm register to cache f[r] from now on, and returns it: the caller must
    /// put f[r]'s value in it.
    fn fp_cache_slot(&mut self, r: u8, single: bool) -> u8 {
        self.fp.forget(r);
        let k = self.fp.next;
        self.fp.next = (k + 1) % XMM_CACHE;
        self.fp.xmm[k] = Some((r, single));
        XMM_CACHE_FIRST + k as u8
    }

    /// fld/flw: the integer loads' inline TLB lookup; flw NaN-boxes (spec 14.2).
    fn fp_load(&mut self, i: &Insn, size: usize) -> bool {
        let (slow, done) = self.fp_begin(RmCheck::None);
        self.addr_and_entry(i, size);
        let d = fd(i.rd);
        self.tlb_hit(TLB_READ, slow);
        let x = self.fp_cache_slot(i.rd, size == 4);
        if size == 8 {
            dynasm!(self.a
                ; .arch x64
                ; movsd Rx(x), QWORD [rcx]
                ; movsd QWORD [rbx + d], Rx(x)
            );
        } else {
            dynasm!(self.a
                ; .arch x64
                ; movss Rx(x), DWORD [rcx]
                ; movss DWORD [rbx + d], Rx(x)
                ; mov DWORD [rbx + d + 4], -1
            );
        }
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// fsd/fsw: the integer stores' inline TLB lookup (a page holding code misses it).
    fn fp_store(&mut self, i: &Insn, size: usize) -> bool {
        let (slow, done) = self.fp_begin(RmCheck::None);
        self.addr_and_entry(i, size);
        let d = fd(i.rs2);
        self.tlb_hit(TLB_WRITE, slow);
        // fsw stores the low 32 bits whatever they hold (no unboxing, spec 14.2).
        let cached = if size == 8 {
            self.fp.lookup(i.rs2, false)
        } else {
            self.fp.lookup(i.rs2, true)
        };
        match (cached, size) {
            (Some(k), 8) => dynasm!(self.a ; .arch x64 ; movsd QWORD [rcx], Rx(k)),
            (Some(k), _) => dynasm!(self.a ; .arch x64 ; movss DWORD [rcx], Rx(k)),
            (None, 8) => dynasm!(self.a
                ; .arch x64
                ; mov rdx, QWORD [rbx + d]
                ; mov QWORD [rcx], rdx
            ),
            (None, _) => dynasm!(self.a
                ; .arch x64
                ; mov edx, DWORD [rbx + d]
                ; mov DWORD [rcx], edx
            ),
        }
        self.fp_end(i, slow, done, Writes::None);
        true
    }

    /// fadd/fsub/fmul/fdiv.
    fn fp_arith(&mut self, i: &Insn, op: Arith, single: bool) -> bool {
        let Some((rm, _)) = rm_check(i, Rounding::Rne) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        if single {
            self.fp_boxed(i.rs1, slow);
            self.fp_boxed(i.rs2, slow);
        }
        let (rs1, s2) = (i.rs1, self.fp_src(i.rs2, single));
        let check = match op {
            Arith::Add | Arith::Sub => Check::NanInf,
            Arith::Mul => Check::Normal {
                zero_from: [Some(i.rs1), Some(i.rs2)],
            },
            Arith::Div => Check::Normal {
                zero_from: [Some(i.rs1), None],
            },
        };
        self.fp_two_paths(0, single, check, slow, &|e: &mut Emitter| {
            e.fp_get(0, rs1, single);
            match (op, single) {
                (Arith::Add, false) => xop!(e.a, addsd, 0, s2, QWORD),
                (Arith::Sub, false) => xop!(e.a, subsd, 0, s2, QWORD),
                (Arith::Mul, false) => xop!(e.a, mulsd, 0, s2, QWORD),
                (Arith::Div, false) => xop!(e.a, divsd, 0, s2, QWORD),
                (Arith::Add, true) => xop!(e.a, addss, 0, s2, DWORD),
                (Arith::Sub, true) => xop!(e.a, subss, 0, s2, DWORD),
                (Arith::Mul, true) => xop!(e.a, mulss, 0, s2, DWORD),
                (Arith::Div, true) => xop!(e.a, divss, 0, s2, DWORD),
            }
        });
        self.fp_put(0, i.rd, single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// fsqrt (a negative input gives a NaN: the slow path).
    fn fp_sqrt(&mut self, i: &Insn, single: bool) -> bool {
        let Some((rm, _)) = rm_check(i, Rounding::Rne) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        if single {
            self.fp_boxed(i.rs1, slow);
        }
        let s1 = self.fp_src(i.rs1, single);
        self.fp_two_paths(0, single, Check::NanInf, slow, &|e: &mut Emitter| {
            // Clear xmm0 first: sqrtsd/sqrtss keep its upper bits (a false dependency).
            dynasm!(e.a ; .arch x64 ; xorps xmm0, xmm0);
            if single {
                xop!(e.a, sqrtss, 0, s1, DWORD);
            } else {
                xop!(e.a, sqrtsd, 0, s1, QWORD);
            }
        });
        self.fp_put(0, i.rd, single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// The fused multiply-adds, on hosts with FMA3 (one rounding, like RISC-V; x86's
    /// vfnmadd is -(a*b)+c, RISC-V's fnmsub, and vfnmsub is -(a*b)-c, RISC-V's fnmadd).
    fn fp_fused(&mut self, i: &Insn, op: Fused, single: bool) -> bool {
        if !std::arch::is_x86_feature_detected!("fma") {
            return false;
        }
        let Some((rm, _)) = rm_check(i, Rounding::Rne) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        if single {
            self.fp_boxed(i.rs1, slow);
            self.fp_boxed(i.rs2, slow);
            self.fp_boxed(i.rs3, slow);
        }
        let (rs1, rs2, rs3) = (i.rs1, i.rs2, i.rs3);
        let check = Check::Normal {
            zero_from: [None, None],
        };
        self.fp_two_paths(2, single, check, slow, &|e: &mut Emitter| {
            e.fp_get(0, rs1, single);
            e.fp_get(1, rs2, single);
            e.fp_get(2, rs3, single);
            match (op, single) {
                (Fused::Madd, false) => dynasm!(e.a ; .arch x64 ; vfmadd231sd xmm2, xmm0, xmm1),
                (Fused::Msub, false) => dynasm!(e.a ; .arch x64 ; vfmsub231sd xmm2, xmm0, xmm1),
                (Fused::Nmsub, false) => {
                    dynasm!(e.a ; .arch x64 ; vfnmadd231sd xmm2, xmm0, xmm1)
                }
                (Fused::Nmadd, false) => {
                    dynasm!(e.a ; .arch x64 ; vfnmsub231sd xmm2, xmm0, xmm1)
                }
                (Fused::Madd, true) => dynasm!(e.a ; .arch x64 ; vfmadd231ss xmm2, xmm0, xmm1),
                (Fused::Msub, true) => dynasm!(e.a ; .arch x64 ; vfmsub231ss xmm2, xmm0, xmm1),
                (Fused::Nmsub, true) => {
                    dynasm!(e.a ; .arch x64 ; vfnmadd231ss xmm2, xmm0, xmm1)
                }
                (Fused::Nmadd, true) => {
                    dynasm!(e.a ; .arch x64 ; vfnmsub231ss xmm2, xmm0, xmm1)
                }
            }
        });
        self.fp_put(2, i.rd, single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// fmin/fmax (spec 13.6, minimumNumber/maximumNumber): inline when neither input is a NaN.
    /// x86's minsd/maxsd agree on unequal values; for equal ones (only ±0 can differ in bits)
    /// OR gives min's -0 and AND gives max's +0. No flags without a NaN.
    fn fp_min_max(&mut self, i: &Insn, max: bool, single: bool) -> bool {
        let (slow, done) = self.fp_begin_two_inputs(i, single);
        self.fp_get(0, i.rs1, single);
        self.fp_get(1, i.rs2, single);
        if single {
            dynasm!(self.a ; .arch x64 ; ucomiss xmm0, xmm1);
        } else {
            dynasm!(self.a ; .arch x64 ; ucomisd xmm0, xmm1);
        }
        dynasm!(self.a
            ; .arch x64
            ; jp =>slow
            ; jne >unequal
        );
        if max {
            dynasm!(self.a ; .arch x64 ; andps xmm0, xmm1);
        } else {
            dynasm!(self.a ; .arch x64 ; orps xmm0, xmm1);
        }
        dynasm!(self.a ; .arch x64 ; jmp >result ; unequal:);
        match (max, single) {
            (false, false) => dynasm!(self.a ; .arch x64 ; minsd xmm0, xmm1),
            (true, false) => dynasm!(self.a ; .arch x64 ; maxsd xmm0, xmm1),
            (false, true) => dynasm!(self.a ; .arch x64 ; minss xmm0, xmm1),
            (true, true) => dynasm!(self.a ; .arch x64 ; maxss xmm0, xmm1),
        }
        dynasm!(self.a ; .arch x64 ; result:);
        self.fp_put(0, i.rd, single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// `fp_begin` for an operation without rounding on rs1 and rs2: improperly NaN-boxed
    /// single inputs take the slow path.
    fn fp_begin_two_inputs(&mut self, i: &Insn, single: bool) -> (DynamicLabel, DynamicLabel) {
        let (slow, done) = self.fp_begin(RmCheck::None);
        if single {
            self.fp_boxed(i.rs1, slow);
            self.fp_boxed(i.rs2, slow);
        }
        (slow, done)
    }

    /// feq/flt/fle: inline when neither input is a NaN (then no flag is raised).
    fn fp_compare(&mut self, i: &Insn, single: bool) -> bool {
        let (slow, done) = self.fp_begin_two_inputs(i, single);
        self.fp_get(0, i.rs1, single);
        let s2 = self.fp_src(i.rs2, single);
        if single {
            xop!(self.a, ucomiss, 0, s2, DWORD);
        } else {
            xop!(self.a, ucomisd, 0, s2, QWORD);
        }
        dynasm!(self.a ; .arch x64 ; jp =>slow);
        match i.op {
            Op::FeqS | Op::FeqD => dynasm!(self.a ; .arch x64 ; sete al),
            Op::FltS | Op::FltD => dynasm!(self.a ; .arch x64 ; setb al),
            _ => dynasm!(self.a ; .arch x64 ; setbe al),
        }
        dynasm!(self.a ; .arch x64 ; movzx eax, al);
        self.put(i.rd);
        self.fp_end(i, slow, done, Writes::X);
        true
    }

    /// fsgnj/fsgnjn/fsgnjx (and the fmv/fneg/fabs aliases): bit operations, no flags. An
    /// improperly boxed single input takes the slow path.
    fn fp_sgnj(&mut self, i: &Insn, single: bool) -> bool {
        use Op::*;
        let (slow, done) = self.fp_begin_two_inputs(i, single);
        let (d1, d2, dd) = (fd(i.rs1), fd(i.rs2), fd(i.rd));
        let sign: i8 = if single { 31 } else { 63 };
        // rcx <- the sign bit to give the result (in place), rax <- rs1 without its sign.
        dynasm!(self.a
            ; .arch x64
            ; mov rax, QWORD [rbx + d1]
            ; mov rcx, QWORD [rbx + d2]
        );
        match i.op {
            FsgnjS | FsgnjD => {}
            FsgnjnS | FsgnjnD => dynasm!(self.a ; .arch x64 ; not rcx),
            _ => dynasm!(self.a ; .arch x64 ; xor rcx, rax),
        }
        dynasm!(self.a
            ; .arch x64
            ; btr rax, BYTE sign
            ; shr rcx, sign
            ; and ecx, 1
            ; shl rcx, sign
            ; or rax, rcx
        );
        if single {
            // The upper half of rax is rs1's box (all ones).
            dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + dd], eax ; mov DWORD [rbx + dd + 4], -1);
        } else {
            dynasm!(self.a ; .arch x64 ; mov QWORD [rbx + dd], rax);
        }
        self.fp.forget(i.rd);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// fmv.x.d/fmv.x.w (sign-extended, no unboxing) and fmv.d.x/fmv.w.x (NaN-boxed).
    fn fp_move(&mut self, i: &Insn) -> bool {
        let (slow, done) = self.fp_begin(RmCheck::None);
        let writes = match i.op {
            Op::FmvXD => {
                let d = fd(i.rs1);
                dynasm!(self.a ; .arch x64 ; mov rax, QWORD [rbx + d]);
                self.put(i.rd);
                Writes::X
            }
            Op::FmvXW => {
                let d = fd(i.rs1);
                dynasm!(self.a ; .arch x64 ; movsxd rax, DWORD [rbx + d]);
                self.put(i.rd);
                Writes::X
            }
            Op::FmvDX => {
                self.get(0, i.rs1);
                let d = fd(i.rd);
                dynasm!(self.a ; .arch x64 ; mov QWORD [rbx + d], rax);
                self.fp.forget(i.rd);
                Writes::F
            }
            _ => {
                self.get(0, i.rs1);
                let d = fd(i.rd);
                dynasm!(self.a
                    ; .arch x64
                    ; mov DWORD [rbx + d], eax
                    ; mov DWORD [rbx + d + 4], -1
                );
                self.fp.forget(i.rd);
                Writes::F
            }
        };
        self.fp_end(i, slow, done, writes);
        true
    }

    /// fcvt.s.d (rounds: two paths) and fcvt.d.s (exact, never tiny or infinite from a
    /// finite single: only a NaN, signalling or not, needs the slow path).
    fn fp_convert(&mut self, i: &Insn) -> bool {
        let to_single = i.op == Op::FcvtSD;
        let rounding = if to_single {
            Rounding::Rne
        } else {
            Rounding::Exact
        };
        let Some((rm, _)) = rm_check(i, rounding) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        // fcvt.s.d reads a double, fcvt.d.s a single.
        let s1 = self.fp_src(i.rs1, !to_single);
        if to_single {
            let check = Check::Normal {
                zero_from: [None, None],
            };
            self.fp_two_paths(0, true, check, slow, &|e: &mut Emitter| {
                dynasm!(e.a
                    ; .arch x64
                    ; xorps xmm0, xmm0
                );
                xop!(e.a, cvtsd2ss, 0, s1, QWORD);
            });
        } else {
            self.fp_boxed(i.rs1, slow);
            dynasm!(self.a ; .arch x64 ; xorps xmm0, xmm0);
            xop!(self.a, cvtss2sd, 0, s1, DWORD);
            dynasm!(self.a
                ; .arch x64
                ; ucomisd xmm0, xmm0
                ; jp =>slow
            );
        }
        self.fp_put(0, i.rd, to_single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }

    /// fcvt.{w,wu,l,lu}.{s,d}: RNE (`cvtsd2si`), a static RTZ (`cvttsd2si`) or a static RMM
    /// (`cvttsd2si` and a correction, see `fp_away_from_zero`), converting to
    /// 64 bits; a result outside the RISC-V type's range (x86's "integer indefinite" for
    /// NaNs and overflow included) takes the slow path, which saturates and raises NV
    /// (spec 13.7). In range the only flag is NX, which also makes FS Dirty.
    fn fp_to_int(&mut self, i: &Insn, ty: IntTy) -> bool {
        use Op::*;
        let single = matches!(i.op, FcvtWS | FcvtWuS | FcvtLS | FcvtLuS);
        let Some((rm, mode)) = rm_check(i, Rounding::ToInt) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        if single {
            self.fp_boxed(i.rs1, slow);
        }
        let s1 = self.fp_src(i.rs1, single);
        let convert = |e: &mut Emitter| {
            match (single, mode == ToInt::Rne) {
                (false, true) => xop_rax!(e.a, cvtsd2si, s1, QWORD),
                (false, false) => xop_rax!(e.a, cvttsd2si, s1, QWORD),
                (true, true) => xop_rax!(e.a, cvtss2si, s1, DWORD),
                (true, false) => xop_rax!(e.a, cvttss2si, s1, DWORD),
            }
            if mode == ToInt::Rmm {
                e.fp_away_from_zero(s1, single);
            }
            match ty {
                IntTy::W => dynasm!(e.a
                    ; .arch x64
                    ; movsxd rcx, eax
                    ; cmp rcx, rax
                    ; jne =>slow
                ),
                IntTy::Wu => dynasm!(e.a
                    ; .arch x64
                    ; mov rcx, rax
                    ; shr rcx, 32
                    ; jnz =>slow
                    // 32-bit results are sign-extended, unsigned ones too (spec 13.7).
                    ; movsxd rax, eax
                ),
                // i64::MIN is also the indefinite value: the only one whose negation
                // overflows.
                IntTy::L => dynasm!(e.a
                    ; .arch x64
                    ; mov rcx, rax
                    ; neg rcx
                    ; jo =>slow
                ),
                IntTy::Lu => dynasm!(e.a
                    ; .arch x64
                    ; test rax, rax
                    ; js =>slow
                ),
            }
        };
        let commit = self.a.new_dynamic_label();
        if self.fp.fs_dirty {
            // FS is Dirty: NX is the only effect of PE, so with NX set skip MXCSR.
            let exact = self.a.new_dynamic_label();
            dynasm!(self.a
                ; .arch x64
                ; test BYTE [rbx + OFF_FFLAGS], NX
                ; jz =>exact
            );
            convert(self);
            dynasm!(self.a ; .arch x64 ; jmp =>commit ; =>exact);
        }
        // PE decides NX and (unless FS is known Dirty) FS Dirty: it must be exact.
        self.fp_clear_flags();
        convert(self);
        dynasm!(self.a
            ; .arch x64
            ; stmxcsr [rsp]
            ; test BYTE [rsp], MXCSR_PE
            ; jz =>commit
            ; or BYTE [rbx + OFF_FFLAGS], NX
        );
        if !self.fp.fs_dirty {
            dynasm!(self.a ; .arch x64 ; or DWORD [rbx + OFF_MSTATUS], FS);
        }
        dynasm!(self.a ; .arch x64 ; =>commit);
        self.put(i.rd);
        self.fp_end(i, slow, done, Writes::X);
        true
    }

    /// RMM after a truncating conversion of f[r] (at `s1`) to rax: adds x's sign to rax
    /// when |x - trunc(x)| >= 1/2. The fraction is computed exactly in double precision
    /// (a single converts exactly; trunc(x) converts back exactly: below 2^53 every integer
    /// is a double, above it x itself is an integer), so no flag beyond the truncation's PE
    /// (= NX) is raised, and 1/2 <= |fraction| < 1 is exactly "biased exponent 0x3fe". A NaN
    /// or out-of-range x leaves x86's integer indefinite in rax (its fraction has another
    /// exponent), which the range check then sends to the slow path.
    fn fp_away_from_zero(&mut self, s1: FSrc, single: bool) {
        match (s1, single) {
            (_, true) => {
                dynasm!(self.a ; .arch x64 ; xorps xmm1, xmm1);
                xop!(self.a, cvtss2sd, 1, s1, DWORD);
            }
            (FSrc::Xmm(k), false) => dynasm!(self.a ; .arch x64 ; movaps xmm1, Rx(k)),
            (FSrc::Mem(d), false) => dynasm!(self.a ; .arch x64 ; movsd xmm1, QWORD [rbx + d]),
        }
        dynasm!(self.a
            ; .arch x64
            ; xorps xmm0, xmm0
            ; cvtsi2sd xmm0, rax
            ; subsd xmm1, xmm0
            ; movq rcx, xmm1
            ; mov rdx, rcx
            ; sar rdx, 63
            ; shr rcx, 52
            ; and ecx, 0x7ff
            ; cmp ecx, 0x3fe
            ; jne >whole
            // rdx: -1 for a negative fraction (x < 0), else 0; or 1 makes it x's sign.
            ; or rdx, 1
            ; add rax, rdx
            ; whole:
        );
    }

    /// fcvt.{s,d}.{w,wu,l,lu}: `cvtsi2sd` from 64 bits (W sign-extended, Wu zero-extended;
    /// Lu with the top bit set takes the slow path). No NaN, overflow or underflow is
    /// possible; only NX, and for W/Wu to D not even that.
    fn fp_from_int(&mut self, i: &Insn, ty: IntTy) -> bool {
        use Op::*;
        let single = matches!(i.op, FcvtSW | FcvtSWu | FcvtSL | FcvtSLu);
        let exact = !single && matches!(ty, IntTy::W | IntTy::Wu);
        let rounding = if exact {
            Rounding::Exact
        } else {
            Rounding::Rne
        };
        let Some((rm, _)) = rm_check(i, rounding) else {
            return false;
        };
        let (slow, done) = self.fp_begin(rm);
        self.get(0, i.rs1);
        match ty {
            IntTy::W => dynasm!(self.a ; .arch x64 ; movsxd rax, eax),
            IntTy::Wu => dynasm!(self.a ; .arch x64 ; mov eax, eax),
            IntTy::L => {}
            IntTy::Lu => dynasm!(self.a
                ; .arch x64
                ; test rax, rax
                ; js =>slow
            ),
        }
        let convert = |e: &mut Emitter| {
            dynasm!(e.a ; .arch x64 ; xorps xmm0, xmm0);
            if single {
                dynasm!(e.a ; .arch x64 ; cvtsi2ss xmm0, rax);
            } else {
                dynasm!(e.a ; .arch x64 ; cvtsi2sd xmm0, rax);
            }
        };
        if exact {
            convert(self);
        } else {
            self.fp_two_paths(0, single, Check::None, slow, &convert);
        }
        self.fp_put(0, i.rd, single);
        self.fp_end(i, slow, done, Writes::F);
        true
    }
}
