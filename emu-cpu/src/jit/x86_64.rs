//! The x86-64 backend (dynasmrt).
//!
//! Register convention inside translated code:
//! - `rbx`: the `Hart`;
//! - `r12`: the data TLB table of the current MMU index (`Hart::data_tlb`), reloaded after
//!   every call into Rust, which may change it (privilege, mstatus);
//! - guest registers not in host registers are read and written in the hart state,
//!   `[rbx + xd(r)]`;
//! - `rbp`: the virtual pc of the running block's first instruction (code is position
//!   independent); a direct exit adds the target's offset, so the pc in the hart state is only
//!   written when control leaves translated code;
//! - `r15`: instructions left before the dispatcher must look at the clock. Retired
//!   instructions are counted by decrementing it (at block exits and before helper calls),
//!   so `instret = hart.jit_base - r15`; it is written back when control leaves;
//! - the guest registers of [`MAPPED`] live in host registers for the whole run of
//!   translated code (their slots in the hart state are stale meanwhile); they are written
//!   back when control leaves and around every call into Rust;
//! - `rax`, `rcx`, `rdx` are scratch ([`SCRATCH`]). No other general register may be
//!   clobbered;
//! - `xmm0`-`xmm2` are the F/D emission's scratch, `xmm3`-`xmm15` copies of f registers
//!   inside one block (`x86_64_fp.rs`); nothing in them survives a call into Rust. `[rsp]`
//!   is the F/D emission's MXCSR scratch slot.
//!
//! Shared glue (emitted once, after the entry trampoline, at fixed offsets from `exit`, see
//! [`Glue`]) holds the exits and the one thunk through which blocks call Rust helpers: it
//! writes the mapped registers and instret back, calls, and reloads them.
//!
//! Loads and stores do the TLB compare inline (see `emu_mmu::tlb`) and call the slow-path
//! helpers on a miss, from out-of-line code at the end of the block. Instructions without a
//! native emission call `helpers::exec_one`.

// dynasm! expands dynamic registers (`Rq(n)`) to `n.into()`, which clippy flags when n is
// already a u8.
#![allow(clippy::useless_conversion)]

#[path = "x86_64_fp.rs"]
mod fp;

use super::code::CodeCache;
use super::helpers::{self, pack_info};
use super::JitError;
use crate::decode::{Insn, Op};
use crate::hart::{Hart, HartState, PAGE_SLOTS};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use std::mem::offset_of;

const OFF_STATE: usize = offset_of!(Hart, state);
const OFF_X: i32 = (OFF_STATE + offset_of!(HartState, x)) as i32;
const OFF_PC: i32 = (OFF_STATE + offset_of!(HartState, pc)) as i32;
const OFF_INSTRET: i32 = (OFF_STATE + offset_of!(HartState, instret)) as i32;
const OFF_DATA_TLB: i32 = offset_of!(Hart, data_tlb) as i32;
const OFF_PAGE_SLOTS: i32 = offset_of!(Hart, page_slots) as i32;
const OFF_PRIV: i32 = offset_of!(Hart, priv_) as i32;
const OFF_RESERVATION: i32 = offset_of!(Hart, reservation) as i32;
const OFF_RESERVED_VALUE: i32 = offset_of!(Hart, reserved_value) as i32;
const _: () = assert!(std::mem::size_of::<Option<std::num::NonZeroU64>>() == 8);
const OFF_MENVCFG: i32 = (offset_of!(Hart, csr) + offset_of!(crate::csr::Csrs, menvcfg)) as i32;
const OFF_JIT_BASE: i32 = offset_of!(Hart, jit_base) as i32;
const OFF_ATTENTION: i32 = offset_of!(Hart, attention_addr) as i32;
const OFF_JIT_TABLE: i32 = offset_of!(Hart, jit_table_addr) as i32;
/// `interp::pc_slot(pc) * 16` (16-byte entries) is `((pc << 3) ^ (pc >> 10)) &
/// JIT_TABLE_INDEX_MASK` for even pc.
const JIT_TABLE_INDEX_MASK: i32 = ((crate::interp::JIT_TABLE_SIZE - 1) << 4) as i32;
const _: () = assert!(std::mem::size_of::<crate::interp::JitTarget>() == 16);
/// Offsets inside a TlbEntry.
const TLB_READ: i32 = 0;
const TLB_WRITE: i32 = 8;
const TLB_ADDEND: i32 = 24;
/// ((vaddr >> 12) & (TLB_SIZE - 1)) * 32 == (vaddr >> 7) & TLB_INDEX_MASK
const TLB_INDEX_MASK: i32 = ((emu_mmu::tlb::TLB_SIZE - 1) << 5) as i32;
const _: () = assert!(std::mem::size_of::<emu_mmu::tlb::TlbEntry>() == 32);
const _: () = assert!(emu_mmu::PAGE_SHIFT == 12);

/// Guest registers kept in host registers (guest, host) while translated code runs: the
/// argument registers a0-a5, sp and s0, which compiled RISC-V code uses most (a5/a4 are
/// GCC's favourite temporaries). Host registers by number: r13, r14, r8-r11, rsi, rdi.
pub const MAPPED: [(u8, u8); 8] = [
    (15, 13),
    (14, 14),
    (13, 8),
    (12, 9),
    (11, 10),
    (10, 11),
    (2, 6),
    (8, 7),
];

/// Host registers an emission may use freely: rax, rcx, rdx.
pub const SCRATCH: [u8; 3] = [0, 1, 2];

/// The host register holding guest register `r`, if it is one of [`MAPPED`].
const fn host_of(r: u8) -> Option<u8> {
    let mut k = 0;
    while k < MAPPED.len() {
        if MAPPED[k].0 == r {
            return Some(MAPPED[k].1);
        }
        k += 1;
    }
    None
}

type Asm = VecAssembler<X64Relocation>;

fn asm_err(e: impl std::fmt::Debug) -> JitError {
    JitError::Asm(format!("{e:?}"))
}

/// The x86-64 backend.
#[derive(Debug)]
pub struct X86_64;

impl super::Backend for X86_64 {
    fn emit_trampoline(cache: &mut CodeCache) -> Result<(usize, usize), JitError> {
        emit_trampoline(cache)
    }

    fn emit_block(
        insns: &[Insn],
        at: usize,
        exit: usize,
        page_off: u32,
    ) -> Result<Vec<u8>, JitError> {
        emit_block(insns, at, exit, page_off)
    }
}

/// rcx <- `interp::pc_slot(rax) * 16`, the byte offset of pc `rax`'s indirect-jump table
/// entry (clobbers rdx).
fn emit_jit_slot_offset(a: &mut Asm) {
    dynasm!(a
        ; .arch x64
        ; mov rcx, rax
        ; shr rcx, 10
        ; lea edx, [rax * 8]
        ; xor ecx, edx
        ; and ecx, JIT_TABLE_INDEX_MASK
    );
}

/// Size of each glue routine's slot after `exit`.
const GLUE_SLOT: usize = 256;

/// The glue routines, at `exit + GLUE_SLOT * k`.
#[derive(Clone, Copy, Debug)]
struct Glue {
    /// rax = status; pc <- rbp, then as `exit`.
    exit_sync: usize,
    /// rax = status; writes the mapped registers and instret back and returns to the
    /// dispatcher (the hart's pc is already right).
    exit: usize,
    /// Leave with status DONE, pc <- rbp (entry check, indirect-jump table miss).
    bail_sync: usize,
    /// Leave with status DONE; pc already written (a helper said to leave).
    bail: usize,
    /// Calls `rax(hart, rcx, rdx, rbp) -> status` with the guest state written back (mapped
    /// registers, instret) and reloads it afterwards. Every call into Rust goes through it.
    call: usize,
}

impl Glue {
    fn at(exit: usize) -> Glue {
        Glue {
            exit_sync: exit,
            exit: exit + GLUE_SLOT,
            bail_sync: exit + 2 * GLUE_SLOT,
            bail: exit + 3 * GLUE_SLOT,
            call: exit + 4 * GLUE_SLOT,
        }
    }
}

/// Writes the mapped guest registers to the hart state.
fn store_mapped(a: &mut Asm) {
    for (g, h) in MAPPED {
        let d = xd(g);
        dynasm!(a ; .arch x64 ; mov [rbx + d], Rq(h));
    }
}

/// Loads the mapped guest registers from the hart state.
fn load_mapped(a: &mut Asm) {
    for (g, h) in MAPPED {
        let d = xd(g);
        dynasm!(a ; .arch x64 ; mov Rq(h), [rbx + d]);
    }
}

/// Emits the entry trampoline and the glue (exits, the helper-call thunk) at the start of
/// the cache. Returns (enter, exit) addresses; the glue lies at fixed offsets from exit.
pub fn emit_trampoline(cache: &mut CodeCache) -> Result<(usize, usize), JitError> {
    let base = cache.next_addr();
    let mut a = Asm::new(base);
    dynasm!(a
        ; .arch x64
        ; push rbp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        // Aligns rsp to 16 for calls; while blocks run, [rsp] is the F/D code's scratch slot
        // for MXCSR images (see x86_64_fp.rs; the call thunk only uses the stack below it).
        ; sub rsp, 8
        ; mov rbx, rdi
        ; mov rax, rsi
        ; mov r12, [rdi + OFF_DATA_TLB]
        ; mov rbp, [rdi + OFF_PC]
        ; mov r15, [rdi + OFF_JIT_BASE]
        ; sub r15, [rdi + OFF_INSTRET]
    );
    load_mapped(&mut a);
    dynasm!(a ; .arch x64 ; jmp rax);
    // The glue slots start on a GLUE_SLOT boundary of the assembler's offsets.
    let exit_off = a.offset().0.next_multiple_of(GLUE_SLOT);
    let exit = base + exit_off;
    let glue = Glue::at(exit);
    let pad_to = |a: &mut Asm, slot: usize| {
        let target = exit_off + slot * GLUE_SLOT;
        assert!(a.offset().0 <= target, "glue routine overflows its slot");
        while a.offset().0 < target {
            dynasm!(a ; .arch x64 ; int3);
        }
    };
    pad_to(&mut a, 0);
    dynasm!(a ; .arch x64 ; mov [rbx + OFF_PC], rbp);
    let e = glue.exit;
    dynasm!(a ; .arch x64 ; jmp extern e);
    pad_to(&mut a, 1);
    store_mapped(&mut a);
    dynasm!(a
        ; .arch x64
        ; mov rcx, [rbx + OFF_JIT_BASE]
        ; sub rcx, r15
        ; mov [rbx + OFF_INSTRET], rcx
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    pad_to(&mut a, 2);
    let es = glue.exit_sync;
    dynasm!(a ; .arch x64 ; xor eax, eax ; jmp extern es);
    pad_to(&mut a, 3);
    dynasm!(a ; .arch x64 ; xor eax, eax ; jmp extern e);
    pad_to(&mut a, 4);
    // The call thunk. Entered by `call` from block code (rsp is 16-byte aligned there), so
    // rsp is 8 off alignment here.
    store_mapped(&mut a);
    dynasm!(a
        ; .arch x64
        ; mov rdi, [rbx + OFF_JIT_BASE]
        ; sub rdi, r15
        ; mov [rbx + OFF_INSTRET], rdi
        ; mov rdi, rbx
        ; mov rsi, rcx
        ; mov rcx, rbp
        ; sub rsp, 8
        ; call rax
        ; add rsp, 8
        ; mov r12, [rbx + OFF_DATA_TLB]
        ; mov r15, [rbx + OFF_JIT_BASE]
        ; sub r15, [rbx + OFF_INSTRET]
    );
    load_mapped(&mut a);
    dynasm!(a ; .arch x64 ; ret);
    pad_to(&mut a, 5);
    let code = a.finalize().map_err(asm_err)?;
    let at = cache.append(&code)?;
    debug_assert_eq!(at, base);
    Ok((at, exit))
}

/// Where a guest register's value is, as an instruction operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Src {
    /// x0.
    Zero,
    /// A host register.
    Reg(u8),
    /// `[rbx + disp]`.
    Mem(i32),
}

/// Where a load or store's host address is: `base + index + disp` (host registers), or
/// `base` alone when there is no index (disp is then 0).
#[derive(Clone, Copy, Debug)]
struct HostAddr {
    base: u8,
    index: Option<u8>,
    disp: i32,
}

impl HostAddr {
    /// rcx itself (after the inline TLB check).
    const RCX: HostAddr = HostAddr {
        base: 1,
        index: None,
        disp: 0,
    };
}

/// How an integer load or store takes part in a page group (see `plan_page_groups`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemRole {
    Single,
    /// The group's first access: checks the group's whole range `[x[rs1] + lo,
    /// x[rs1] + hi)` and fills `Hart::page_slots[slot]`.
    Anchor {
        slot: u8,
        lo: i32,
        hi: i32,
    },
    /// A later access of the group: uses the slot's addend.
    Member {
        slot: u8,
    },
}

/// The emitter's tracking state at one point of the block (see `Emitter::snapshot`).
#[derive(Clone)]
struct EmitState {
    off: i32,
    pending: u32,
    map: [Option<u8>; 32],
    upper_dirty: u32,
    sext32: u32,
    reading32: bool,
}

/// A grouped access's full check, emitted after the block's code (`emit_deferred`).
struct Deferred {
    entry: dynasmrt::DynamicLabel,
    resume: dynasmrt::DynamicLabel,
    insn: Insn,
    /// An anchor's slot, set to 0 (its check failed) before the full access.
    clear_slot: Option<u8>,
    state: EmitState,
}

/// Displacement of `Hart::page_slots[slot]` from rbx.
fn slot_off(slot: u8) -> i32 {
    OFF_PAGE_SLOTS + 8 * slot as i32
}

/// Size and kind (true: store) of an integer load or store.
fn int_access(op: Op) -> Option<(i64, bool)> {
    use Op::*;
    Some(match op {
        Lb | Lbu => (1, false),
        Lh | Lhu => (2, false),
        Lw | Lwu => (4, false),
        Ld => (8, false),
        Sb => (1, true),
        Sh => (2, true),
        Sw => (4, true),
        Sd => (8, true),
        _ => return None,
    })
}

/// The widest range a page group may cover: the wider, the more often it straddles a page
/// boundary (then every member takes its full check).
const MAX_GROUP_SPAN: i64 = 512;

/// Sorts a block's integer loads and stores into page groups: accesses of one kind (loads
/// or stores) through the same base register, whose value changes in between only by
/// `addi base, base, imm` (tracked), and whose offsets fit in `MAX_GROUP_SPAN` bytes. The
/// first access of a group checks the TLB once for the whole range; the others reuse its
/// addend (`Emitter::grouped_addr`). A group needs a free slot for its whole life (from its
/// first to its last access); without one, or without a second access, accesses stay
/// single.
fn plan_page_groups(insns: &[Insn]) -> Vec<MemRole> {
    struct Group {
        base: u8,
        store: bool,
        /// Instruction index of the first access.
        anchor: usize,
        /// x[base] now minus x[base] at the anchor.
        delta: i64,
        lo: i64,
        hi: i64,
        members: Vec<usize>,
    }
    let mut open: Vec<Group> = Vec::new();
    let mut closed: Vec<Group> = Vec::new();
    for (k, i) in insns.iter().enumerate() {
        if let Some((size, store)) = int_access(i.op) {
            if i.rs1 != 0 {
                let at = open
                    .iter()
                    .position(|g| g.base == i.rs1 && g.store == store);
                let mut joined = false;
                if let Some(at) = at {
                    let g = &mut open[at];
                    let a = g.delta + i.imm;
                    let (lo, hi) = (g.lo.min(a), g.hi.max(a + size));
                    if hi - lo <= MAX_GROUP_SPAN {
                        (g.lo, g.hi) = (lo, hi);
                        g.members.push(k);
                        joined = true;
                    } else {
                        closed.push(open.swap_remove(at));
                    }
                }
                if !joined && i.imm.unsigned_abs() <= i32::MAX as u64 / 2 {
                    open.push(Group {
                        base: i.rs1,
                        store,
                        anchor: k,
                        delta: 0,
                        lo: i.imm,
                        hi: i.imm + size,
                        members: Vec::new(),
                    });
                }
            }
        }
        // What the instruction writes ends the groups based on that register, except for
        // addi base, base, imm, whose change is tracked.
        let writes = !is_int_store(i.op) && !matches!(i.op, Op::Fsw | Op::Fsd) && i.rd != 0;
        if writes {
            if i.op == Op::Addi && i.rs1 == i.rd {
                for g in open.iter_mut().filter(|g| g.base == i.rd) {
                    g.delta += i.imm;
                }
                // Keep the tracked offsets far from the i32 displacements they become.
                let far = |g: &Group| g.delta.unsigned_abs() > i32::MAX as u64 / 2;
                while let Some(at) = open.iter().position(far) {
                    closed.push(open.swap_remove(at));
                }
            } else {
                while let Some(at) = open.iter().position(|g| g.base == i.rd) {
                    closed.push(open.swap_remove(at));
                }
            }
        }
    }
    closed.append(&mut open);
    closed.retain(|g| !g.members.is_empty());
    closed.sort_by_key(|g| g.anchor);
    let mut roles = vec![MemRole::Single; insns.len()];
    // The last instruction index each slot is busy until (None: free).
    let mut busy: [Option<usize>; PAGE_SLOTS] = [None; PAGE_SLOTS];
    for g in closed {
        let last = *g.members.last().expect("members");
        let Some(slot) = busy.iter().position(|b| b.is_none_or(|end| end < g.anchor)) else {
            continue;
        };
        busy[slot] = Some(last);
        let slot = slot as u8;
        roles[g.anchor] = MemRole::Anchor {
            slot,
            lo: g.lo as i32,
            hi: g.hi as i32,
        };
        for m in g.members {
            roles[m] = MemRole::Member { slot };
        }
    }
    roles
}

/// A load or store's call to its slow-path helper, emitted after the block's code.
struct SlowPath {
    entry: dynasmrt::DynamicLabel,
    /// `Emitter::upper_dirty` where the fast path branches here.
    dirty: u32,
    resume: dynasmrt::DynamicLabel,
    helper: usize,
    info: u64,
}

struct Emitter {
    features: HostFeatures,
    a: Asm,
    /// Host address the block is assembled for.
    at: usize,
    /// Offset of the block's first instruction in its guest page.
    page_off: u32,
    glue: Glue,
    /// Instructions of this block executed but not yet counted in r15.
    pending: u32,
    /// Offset of the current instruction from the block's first.
    off: i32,
    slow: Vec<SlowPath>,
    /// Unpatched chain jumps: (label of the jump's stub, address of its rel32 field).
    stubs: Vec<(dynasmrt::DynamicLabel, usize)>,
    /// The block ends in a branch back to its own start, which then holds the budget and
    /// attention check and is the loop's direct target.
    self_loop: bool,
    /// Where each guest register lives in this block's body: its host register, or None
    /// for the hart state.
    map: [Option<u8>; 32],
    /// Registers a self-loop borrows for its body: (guest register kept in the hart state
    /// elsewhere, mapped guest register the loop does not use, that one's host register).
    remap: Vec<(u8, u8, u8)>,
    /// A self-loop's first body instruction (after the check and the borrowing).
    body: Option<dynasmrt::DynamicLabel>,
    /// What the F/D emission knows about mstatus.FS so far in the block.
    fp: fp::FpState,
    /// Guest registers (bit r for x[r]) whose host register holds the result of a 32-bit
    /// (W) operation not sign-extended yet: the low 32 bits are right, the upper ones are
    /// not. W operations read only the low half, so a chain of them (hashes, checksums)
    /// extends once, when a 64-bit reader, a helper, a slow path or an exit needs the value
    /// (`src` and `settle`). Only instructions `lazy_ok` accepts run with bits set here.
    upper_dirty: u32,
    /// Set by an emission that left its result's upper half dirty in x[rd]'s host register.
    lazy_rd: bool,
    /// Guest registers (bit r for x[r]) whose value is known to be the sign extension of
    /// its low 32 bits (W results, 32-bit and narrower loads, lui, comparisons, and bitwise
    /// operations of such values). A bitwise operation on two of them is itself such a
    /// value, so it can run on 32 bits and leave its result dirty like a W operation.
    sext32: u32,
    /// The operands being read feed a W operation (their upper halves do not matter).
    reading32: bool,
    /// Each instruction's part in the block's page groups (`plan_page_groups`).
    roles: Vec<MemRole>,
    /// Index of the instruction being emitted.
    k: usize,
    /// The state a grouped access's fast path branched to its full check with.
    branch_state: Option<EmitState>,
    /// Full checks of grouped accesses, emitted after the block's code.
    deferred: Vec<Deferred>,
}

/// Translates one block for host address `at`; `page_off` is the offset of its first
/// instruction in its guest page; `exit` is the glue's base (`emit_trampoline`). Returns
/// the machine code.
///
/// The budget and attention check (decision 7: leave when the instruction budget is used up
/// or the hart's attention flag is raised) is done on every edge that can close a loop:
/// backward direct jumps, jumps through the indirect-jump table (indirect and cross-page
/// ones), and a self-loop's jump to its block's start. A chain of forward direct jumps
/// inside a page ends within the page, so every cycle of translated code passes a check and
/// a tight guest loop cannot starve interrupts or the timers. The dispatcher checks before
/// entering translated code.
pub fn emit_block(
    insns: &[Insn],
    at: usize,
    exit: usize,
    page_off: u32,
) -> Result<Vec<u8>, JitError> {
    emit_block_for(HostFeatures::detect(), insns, at, exit, page_off)
}

/// Optional x86-64 instructions the emitted code may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostFeatures {
    /// BMI2 (Haswell and Zen onwards): `rorx` computes a TLB index without a copy.
    pub bmi2: bool,
}

impl HostFeatures {
    /// What the host rvx runs on has (`is_x86_feature_detected!` caches the answer).
    pub fn detect() -> HostFeatures {
        HostFeatures {
            bmi2: std::arch::is_x86_feature_detected!("bmi2"),
        }
    }
}

/// [`emit_block`] for a given set of host features (the golden tests pin them).
pub fn emit_block_for(
    features: HostFeatures,
    insns: &[Insn],
    at: usize,
    exit: usize,
    page_off: u32,
) -> Result<Vec<u8>, JitError> {
    let glue = Glue::at(exit);
    let mut e = Emitter {
        features,
        a: Asm::new(at),
        at,
        page_off,
        glue,
        pending: 0,
        off: 0,
        slow: Vec::new(),
        stubs: Vec::new(),
        self_loop: ends_in_self_loop(insns),
        map: std::array::from_fn(|r| host_of(r as u8)),
        remap: Vec::new(),
        body: None,
        fp: fp::FpState::default(),
        upper_dirty: 0,
        sext32: 0,
        lazy_rd: false,
        reading32: false,
        roles: plan_page_groups(insns),
        k: 0,
        branch_state: None,
        deferred: Vec::new(),
    };
    if e.self_loop {
        e.check();
        e.borrow_registers(insns);
    }
    let mut left = false;
    let mut k = 0;
    while k < insns.len() {
        let i = &insns[k];
        let n = e.fused(i, insns.get(k + 1));
        if n == 2 {
            // Fused pairs write whole values.
            let written = 1 << i.rd | 1 << insns[k + 1].rd;
            e.upper_dirty &= !written;
            e.sext32 &= !written;
            left = crate::interp::ends_block(insns[k + 1].op);
            e.off += (i.len + insns[k + 1].len) as i32;
            k += 2;
            continue;
        }
        e.k = k;
        let lazy = lazy_ok(i.op);
        if !lazy {
            e.settle();
        }
        e.lazy_rd = false;
        left = e.insn(i);
        if i.rd != 0 && !is_int_store(i.op) {
            let bit = 1 << i.rd;
            if lazy && e.lazy_rd {
                e.upper_dirty |= bit;
                e.sext32 |= bit;
            } else {
                // (Other instructions ran after `settle`; an FP rd only clears a bit.)
                e.upper_dirty &= !bit;
                if lazy && writes_sext32(i.op) {
                    e.sext32 |= bit;
                } else {
                    e.sext32 &= !bit;
                }
            }
        }
        e.off += i.len as i32;
        k += 1;
    }
    if !left {
        // Fell off the end (page end or length limit): continue at the next instruction.
        let off = e.off as i64;
        e.leave_to(off, false);
    }
    let bail = glue.bail;
    let call = glue.call;
    let exit_sync = glue.exit_sync;
    for (label, site) in std::mem::take(&mut e.stubs) {
        let site = site as i64;
        dynasm!(e.a
            ; .arch x64
            ; =>label
            ; mov rax, QWORD site
            ; jmp extern exit_sync
        );
    }
    e.emit_deferred();
    for s in std::mem::take(&mut e.slow) {
        let (info, helper) = (s.info as i64, s.helper as i64);
        dynasm!(e.a ; .arch x64 ; =>s.entry);
        // Extend what the fast path had left dirty, before the thunk stores the registers
        // to the hart state; they come back extended, which any later state accepts.
        e.upper_dirty = s.dirty;
        e.give_back();
        dynasm!(e.a
            ; .arch x64
            ; mov rdx, QWORD info
            ; mov rax, QWORD helper
            ; call extern call
            ; test eax, eax
            ; jnz extern bail
        );
        e.take_again();
        dynasm!(e.a ; .arch x64 ; jmp =>s.resume);
    }
    e.a.finalize().map_err(asm_err)
}

/// Displacement of x[r] from rbx.
fn xd(r: u8) -> i32 {
    OFF_X + 8 * r as i32
}

/// Offset from the block's start of the direct target of the block's last instruction.
fn direct_target(insns: &[Insn]) -> Option<i64> {
    use Op::*;
    let last = insns.last()?;
    let off: i64 = insns[..insns.len() - 1].iter().map(|i| i.len as i64).sum();
    match last.op {
        Jal | Beq | Bne | Blt | Bge | Bltu | Bgeu => Some(off + last.imm),
        _ => None,
    }
}

fn ends_in_self_loop(insns: &[Insn]) -> bool {
    direct_target(insns) == Some(0)
}

impl Emitter {
    /// Where x[r] is in the block's body, as a 64-bit value (sign-extending its host
    /// register first if a W result left it dirty, unless a W operation is reading).
    fn src(&mut self, r: u8) -> Src {
        let at = self.loc(r);
        if let Src::Reg(h) = at {
            if self.upper_dirty >> r & 1 != 0 && !self.reading32 {
                dynasm!(self.a ; .arch x64 ; movsxd Rq(h), Rd(h));
                self.upper_dirty &= !(1 << r);
            }
        }
        at
    }

    /// Where x[r] lives (to write it: no sign-extension).
    fn loc(&self, r: u8) -> Src {
        if r == 0 {
            Src::Zero
        } else if let Some(h) = self.map[r as usize] {
            Src::Reg(h)
        } else {
            Src::Mem(xd(r))
        }
    }

    /// Whether x[r] is known to hold a sign-extended 32-bit value (see `sext32`).
    fn is_sext32(&self, r: u8) -> bool {
        r == 0 || self.sext32 >> r & 1 != 0
    }

    /// Sign-extends every dirty register (see `upper_dirty`) in place.
    fn settle(&mut self) {
        while self.upper_dirty != 0 {
            let r = self.upper_dirty.trailing_zeros() as usize;
            self.upper_dirty &= self.upper_dirty - 1;
            if let Some(h) = self.map[r] {
                dynasm!(self.a ; .arch x64 ; movsxd Rq(h), Rd(h));
            }
        }
    }

    /// After a W operation computed x[rd] in host register `d` (low 32 bits): leaves it
    /// dirty when rd lives in a host register, else sign-extends it for the hart state.
    fn finish_w(&mut self, d: u8, rd: u8) {
        if self.map[rd as usize].is_some() {
            self.lazy_rd = true;
        } else {
            dynasm!(self.a ; .arch x64 ; movsxd Rq(d), Rd(d));
        }
    }

    /// A self-loop keeps the guest registers it uses that live in the hart state in the host
    /// registers of mapped guest registers it does not use, for the whole loop: otherwise a
    /// loop counter such as t1 would go through memory (a store-to-load dependency) on every
    /// iteration. Emits the borrowing and places the loop's body label.
    fn borrow_registers(&mut self, insns: &[Insn]) {
        let mut uses = [0u32; 32];
        for i in insns {
            for r in [i.rd, i.rs1, i.rs2] {
                uses[r as usize & 31] += 1;
            }
        }
        let mut wanted: Vec<u8> = (1..32u8)
            .filter(|&r| uses[r as usize] > 0 && host_of(r).is_none())
            .collect();
        wanted.sort_by_key(|&r| std::cmp::Reverse(uses[r as usize]));
        let free = MAPPED.iter().filter(|&&(g, _)| uses[g as usize] == 0);
        self.remap = wanted
            .into_iter()
            .zip(free)
            .map(|(g, &(m, h))| (g, m, h))
            .collect();
        for &(g, m, h) in &self.remap {
            self.map[g as usize] = Some(h);
            self.map[m as usize] = None;
        }
        if !self.remap.is_empty() {
            self.take_again();
            let body = self.a.new_dynamic_label();
            dynasm!(self.a ; .arch x64 ; =>body);
            self.body = Some(body);
        }
    }

    /// Gives the borrowed host registers back to their mapped guest registers (before
    /// leaving the loop or calling Rust, which expect the fixed mapping and whole values).
    fn give_back(&mut self) {
        self.settle();
        for k in 0..self.remap.len() {
            let (g, m, h) = self.remap[k];
            let (dg, dm) = (xd(g), xd(m));
            dynasm!(self.a ; .arch x64 ; mov [rbx + dg], Rq(h) ; mov Rq(h), [rbx + dm]);
        }
    }

    /// Borrows the host registers again (see `borrow_registers`).
    fn take_again(&mut self) {
        for k in 0..self.remap.len() {
            let (g, m, h) = self.remap[k];
            let (dg, dm) = (xd(g), xd(m));
            dynasm!(self.a ; .arch x64 ; mov [rbx + dm], Rq(h) ; mov Rq(h), [rbx + dg]);
        }
    }

    /// host reg <- x[r] (any host register; internal).
    fn load_to(&mut self, host: u8, r: u8) {
        match self.src(r) {
            Src::Zero => dynasm!(self.a ; .arch x64 ; xor Rd(host), Rd(host)),
            Src::Reg(h) if h == host => {}
            Src::Reg(h) => dynasm!(self.a ; .arch x64 ; mov Rq(host), Rq(h)),
            Src::Mem(d) => dynasm!(self.a ; .arch x64 ; mov Rq(host), [rbx + d]),
        }
    }

    /// x[rd] <- host reg (any host register; internal).
    fn store_from(&mut self, host: u8, rd: u8) {
        match self.loc(rd) {
            Src::Zero => {}
            Src::Reg(h) if h == host => {}
            Src::Reg(h) => dynasm!(self.a ; .arch x64 ; mov Rq(h), Rq(host)),
            Src::Mem(d) => dynasm!(self.a ; .arch x64 ; mov [rbx + d], Rq(host)),
        }
    }

    /// Scratch host reg (rax, rcx or rdx) <- x[r].
    fn get(&mut self, host: u8, r: u8) {
        assert!(
            SCRATCH.contains(&host),
            "host register {host} is not scratch"
        );
        self.load_to(host, r);
    }

    /// x[rd] <- rax
    fn put(&mut self, rd: u8) {
        self.put_from(0, rd);
    }

    /// x[rd] <- scratch host reg (rax, rcx or rdx).
    fn put_from(&mut self, host: u8, rd: u8) {
        assert!(
            SCRATCH.contains(&host),
            "host register {host} is not scratch"
        );
        self.store_from(host, rd);
    }

    /// The host register to compute x[rd] in: its own if mapped, else rax.
    fn dest(&self, rd: u8) -> u8 {
        self.map[rd as usize].unwrap_or(0)
    }

    /// host reg <- the 64-bit constant `v`.
    fn mov_imm(&mut self, host: u8, v: u64) {
        if v == 0 {
            dynasm!(self.a ; .arch x64 ; xor Rd(host), Rd(host));
        } else if v <= u32::MAX as u64 {
            let v = v as u32 as i32;
            dynasm!(self.a ; .arch x64 ; mov Rd(host), v);
        } else if v as i64 == v as i32 as i64 {
            let v = v as i32;
            dynasm!(self.a ; .arch x64 ; mov Rq(host), v);
        } else {
            let v = v as i64;
            dynasm!(self.a ; .arch x64 ; mov Rq(host), QWORD v);
        }
    }

    /// host reg <- rbp + `d` (a pc relative to the block's first instruction).
    fn pc_rel(&mut self, host: u8, d: i64) {
        if let Ok(d) = i32::try_from(d) {
            dynasm!(self.a ; .arch x64 ; lea Rq(host), [rbp + d]);
        } else {
            self.mov_imm(host, d as u64);
            dynasm!(self.a ; .arch x64 ; add Rq(host), rbp);
        }
    }

    /// Counts the pending instructions as retired (r15 -= pending).
    fn sync_instret(&mut self) {
        if self.pending != 0 {
            if let Ok(n) = i8::try_from(self.pending) {
                dynasm!(self.a ; .arch x64 ; sub r15, BYTE n);
            } else {
                let n = self.pending as i32;
                dynasm!(self.a ; .arch x64 ; sub r15, n);
            }
            self.pending = 0;
        }
    }

    /// Leaves (pc = rbp, pending instructions retired) when the instruction budget is used
    /// up or the hart's attention flag is raised (decision 7).
    fn check(&mut self) {
        let bs = self.glue.bail_sync;
        dynasm!(self.a
            ; .arch x64
            ; test r15, r15
            ; js extern bs
            ; mov rax, [rbx + OFF_ATTENTION]
            ; cmp BYTE [rax], 0
            ; jne extern bs
        );
    }

    /// Leaves for the block at offset `t` from this block's start (pending instructions
    /// retired). Inside the same guest page the exit is a `jmp rel32` to a stub that returns
    /// the jump's address to the dispatcher, which patches it to the target's translation
    /// (chaining). Elsewhere the target is looked up like an indirect jump's. Backward jumps
    /// check the budget and attention flag first.
    fn leave_direct(&mut self, t: i64) {
        self.leave_to(t, t <= self.off as i64);
    }

    /// `leave_direct`; `backward` says whether the jump can close a loop.
    fn leave_to(&mut self, t: i64, backward: bool) {
        self.sync_instret();
        self.give_back();
        if t == 0 && self.self_loop {
            let at = self.at;
            dynasm!(self.a ; .arch x64 ; jmp extern at);
            return;
        }
        let target_off = self.page_off as i64 + t;
        if t != 0 {
            self.pc_rel(5, t);
        }
        if !(0..emu_mmu::PAGE_SIZE as i64).contains(&target_off) {
            dynasm!(self.a ; .arch x64 ; mov rax, rbp);
            self.lookup_and_jump();
            return;
        }
        if backward {
            self.check();
        }
        let stub = self.a.new_dynamic_label();
        let jmp_at = self.a.offset().0;
        dynasm!(self.a ; .arch x64 ; jmp =>stub);
        debug_assert_eq!(self.a.offset().0 - jmp_at, 5, "chain jumps are jmp rel32");
        self.stubs.push((stub, self.at + jmp_at + 1));
    }

    /// Leaves for the block at pc `rax` (an indirect jump; pending instructions retired).
    fn leave_indirect(&mut self) {
        self.sync_instret();
        self.give_back();
        dynasm!(self.a ; .arch x64 ; mov rbp, rax);
        self.lookup_and_jump();
    }

    /// Checks the budget and attention flag, then jumps to the translation of pc `rax`
    /// (== rbp) through the hart's indirect-jump table when it knows it, else back to the
    /// dispatcher.
    fn lookup_and_jump(&mut self) {
        let bs = self.glue.bail_sync;
        dynasm!(self.a
            ; .arch x64
            ; test r15, r15
            ; js extern bs
            ; mov rcx, [rbx + OFF_ATTENTION]
            ; cmp BYTE [rcx], 0
            ; jne extern bs
        );
        emit_jit_slot_offset(&mut self.a);
        dynasm!(self.a
            ; .arch x64
            ; add rcx, [rbx + OFF_JIT_TABLE]
            ; cmp rax, [rcx]
            ; jne extern bs
            ; jmp QWORD [rcx + 8]
        );
    }

    /// Calls `f(hart, rcx, rdx, block pc) -> status` through the glue's thunk, which writes
    /// the guest state back first and reloads it afterwards. Leaves the block if f returns
    /// non-zero (f has then written pc and instret).
    fn call_helper(&mut self, f: usize) {
        // Rust clobbers the xmm registers.
        self.fp.forget_all();
        let (call, bail) = (self.glue.call, self.glue.bail);
        let f = f as i64;
        self.give_back();
        dynasm!(self.a
            ; .arch x64
            ; mov rax, QWORD f
            ; call extern call
            ; test eax, eax
            ; jnz extern bail
        );
        self.take_again();
    }

    /// cbo.zero (Zicboz): zeroes the 64-byte block holding x[rs1] with eight 8-byte stores,
    /// as the interpreter does, when the hart is in S-mode with menvcfg.CBZE set and the
    /// block's page hits the TLB for writes. Anything else (M or U mode, disabled, a miss, a
    /// page holding code) runs the interpreter's semantics through `exec_one`. Linux clears
    /// pages this way: a thousand fork+execs zero 260 MB.
    fn cbo_zero(&mut self, i: &Insn) {
        self.native_or_fallback(i, |e, slow| {
            let cbze = crate::csr::envcfg::CBZE as i8;
            dynasm!(e.a
                ; .arch x64
                ; cmp BYTE [rbx + OFF_PRIV], emu_mmu::Priv::S as i8
                ; jne =>slow
                ; test BYTE [rbx + OFF_MENVCFG], cbze
                ; jz =>slow
            );
            // The block's address: rs1 with its low six bits cleared.
            e.load_to(1, i.rs1);
            dynasm!(e.a ; .arch x64 ; and rcx, -64);
            e.tlb_index_and_tag(-4096);
            e.tlb_hit(TLB_WRITE, slow);
            dynasm!(e.a
                ; .arch x64
                ; xor eax, eax
                ; mov [rcx], rax
                ; mov [rcx + 8], rax
                ; mov [rcx + 16], rax
                ; mov [rcx + 24], rax
                ; mov [rcx + 32], rax
                ; mov [rcx + 40], rax
                ; mov [rcx + 48], rax
                ; mov [rcx + 56], rax
            );
        });
    }

    /// An AMO (A extension) as one locked host instruction, or a `lock cmpxchg` loop, on
    /// a naturally aligned word or doubleword whose page hits the TLB for writes (which
    /// implies read permission: W without R is reserved). A misaligned address, a miss, MMIO
    /// or a page holding code runs the interpreter's semantics through `exec_one`. Locked
    /// x86 instructions are full barriers, so aq and rl hold.
    fn amo(&mut self, i: &Insn) {
        use Op::*;
        let word = crate::interp::atomic_size(i.op) == 4;
        self.native_or_fallback(i, |e, slow| {
            e.rs1_host(i, -4096 | if word { 3 } else { 7 }, TLB_WRITE, slow);
            // rcx: the host address. rax ends up holding the old value.
            let b = e.src(i.rs2);
            match i.op {
                AmoswapW | AmoswapD | AmoaddW | AmoaddD => {
                    e.load_to(0, i.rs2);
                    match (i.op, word) {
                        (AmoswapW, _) => dynasm!(e.a ; .arch x64 ; xchg [rcx], eax),
                        (AmoswapD, _) => dynasm!(e.a ; .arch x64 ; xchg [rcx], rax),
                        (_, true) => dynasm!(e.a ; .arch x64 ; lock xadd [rcx], eax),
                        _ => dynasm!(e.a ; .arch x64 ; lock xadd [rcx], rax),
                    }
                }
                _ => {
                    // rdx <- op(old in rax, x[rs2]); retried until no other write came
                    // between.
                    let again = e.a.new_dynamic_label();
                    if word {
                        dynasm!(e.a ; .arch x64 ; mov eax, [rcx] ; =>again ; mov edx, eax);
                    } else {
                        dynasm!(e.a ; .arch x64 ; mov rax, [rcx] ; =>again ; mov rdx, rax);
                    }
                    e.amo_op(i.op, word, b);
                    if word {
                        dynasm!(e.a ; .arch x64 ; lock cmpxchg [rcx], edx ; jne =>again);
                    } else {
                        dynasm!(e.a ; .arch x64 ; lock cmpxchg [rcx], rdx ; jne =>again);
                    }
                }
            }
            if word {
                dynasm!(e.a ; .arch x64 ; movsxd rax, eax);
            }
            e.put(i.rd);
        });
    }

    /// lr/sc (A extension) as the interpreter does them (`exec_atomic`): LR loads and
    /// records the host address and the value in `Hart::reservation`/`reserved_value`; SC
    /// takes the reservation and, if it names this address, stores with a `lock cmpxchg`
    /// against the value LR read. Only for an aligned word whose page hits the TLB (for
    /// reads for LR, writes for SC); otherwise `exec_one`.
    fn lr_sc(&mut self, i: &Insn) {
        use Op::*;
        let word = crate::interp::atomic_size(i.op) == 4;
        let lr = matches!(i.op, LrW | LrD);
        self.native_or_fallback(i, |e, slow| {
            let mask = -4096 | if word { 3 } else { 7 };
            e.rs1_host(i, mask, if lr { TLB_READ } else { TLB_WRITE }, slow);
            if lr {
                if word {
                    dynasm!(e.a ; .arch x64 ; movsxd rax, DWORD [rcx]);
                } else {
                    dynasm!(e.a ; .arch x64 ; mov rax, QWORD [rcx]);
                }
                dynasm!(e.a
                    ; .arch x64
                    ; mov [rbx + OFF_RESERVATION], rcx
                    ; mov [rbx + OFF_RESERVED_VALUE], rax
                );
            } else {
                let fail = e.a.new_dynamic_label();
                let result = e.a.new_dynamic_label();
                dynasm!(e.a
                    ; .arch x64
                    ; mov rax, [rbx + OFF_RESERVATION]
                    ; mov QWORD [rbx + OFF_RESERVATION], 0
                    ; cmp rax, rcx
                    ; jne =>fail
                );
                e.load_to(2, i.rs2);
                dynasm!(e.a ; .arch x64 ; mov rax, [rbx + OFF_RESERVED_VALUE]);
                if word {
                    dynasm!(e.a ; .arch x64 ; lock cmpxchg [rcx], edx);
                } else {
                    dynasm!(e.a ; .arch x64 ; lock cmpxchg [rcx], rdx);
                }
                dynasm!(e.a
                    ; .arch x64
                    ; jne =>fail
                    ; xor eax, eax
                    ; jmp =>result
                    ; =>fail
                    ; mov eax, 1
                    ; =>result
                );
            }
            e.put(i.rd);
        });
    }

    /// rdx <- op(rdx, x[rs2]) for the cmpxchg-loop AMOs; x[rs2] is read where it lives
    /// (no scratch register is left for it).
    fn amo_op(&mut self, op: Op, word: bool, b: Src) {
        use Op::*;
        macro_rules! with_b {
            ($($ins:tt)*) => {
                match (b, word) {
                    (Src::Reg(h), false) => dynasm!(self.a ; .arch x64 ; $($ins)* rdx, Rq(h)),
                    (Src::Reg(h), true) => dynasm!(self.a ; .arch x64 ; $($ins)* edx, Rd(h)),
                    (Src::Mem(d), false) => dynasm!(self.a ; .arch x64 ; $($ins)* rdx, QWORD [rbx + d]),
                    (Src::Mem(d), true) => dynasm!(self.a ; .arch x64 ; $($ins)* edx, DWORD [rbx + d]),
                    (Src::Zero, false) => dynasm!(self.a ; .arch x64 ; $($ins)* rdx, 0),
                    (Src::Zero, true) => dynasm!(self.a ; .arch x64 ; $($ins)* edx, 0),
                }
            };
        }
        match op {
            AmoxorW | AmoxorD => with_b!(xor),
            AmoandW | AmoandD => with_b!(and),
            AmoorW | AmoorD => with_b!(or),
            _ => {
                // min/max: old (in rdx) against the operand; the operand replaces it when
                // it wins.
                with_b!(cmp);
                let keep = self.a.new_dynamic_label();
                match op {
                    AmominW | AmominD => dynasm!(self.a ; .arch x64 ; jle =>keep),
                    AmomaxW | AmomaxD => dynasm!(self.a ; .arch x64 ; jge =>keep),
                    AmominuW | AmominuD => dynasm!(self.a ; .arch x64 ; jbe =>keep),
                    _ => dynasm!(self.a ; .arch x64 ; jae =>keep),
                }
                with_b!(mov);
                dynasm!(self.a ; .arch x64 ; =>keep);
            }
        }
    }

    /// Calls the interpreter for this instruction. Returns true if the block always leaves.
    fn fallback(&mut self, i: &Insn) -> bool {
        self.sync_instret();
        let off = self.off;
        let insn_ptr = i as *const Insn as i64;
        dynasm!(self.a
            ; .arch x64
            ; mov rcx, QWORD insn_ptr
            ; mov edx, off
        );
        self.call_helper(helpers::exec_one as *const () as usize);
        if crate::interp::ends_block(i.op) {
            if helpers::continues_after(i.op) {
                // The helper returned 0: on to the next instruction, a direct exit that
                // chains (Linux's irq save/restore would otherwise return to the
                // dispatcher on every sstatus access).
                self.leave_direct(off as i64 + i.len as i64);
            } else {
                let bail = self.glue.bail;
                dynasm!(self.a ; .arch x64 ; jmp extern bail);
            }
            return true;
        }
        false
    }

    /// rcx <- x[rs1] + imm (the effective address); rax <- its TLB entry; rdx <- the page
    /// (and alignment bits) to compare with the entry's tag.
    fn addr_and_entry(&mut self, i: &Insn, size: usize) {
        let imm = i.imm as i32;
        match self.src(i.rs1) {
            Src::Zero => self.mov_imm(1, i.imm as u64),
            Src::Reg(h) => dynasm!(self.a ; .arch x64 ; lea rcx, [Rq(h) + imm]),
            Src::Mem(d) => {
                dynasm!(self.a ; .arch x64 ; mov rcx, [rbx + d]);
                if imm != 0 {
                    dynasm!(self.a ; .arch x64 ; add rcx, imm);
                }
            }
        }
        self.tlb_index_and_tag(-4096 | (size as i32 - 1));
    }

    /// For the address in rcx: rax <- its TLB entry's offset in the table, rdx <- the page
    /// and the bits of `mask` below it (alignment) to compare with the entry's tag.
    fn tlb_index_and_tag(&mut self, mask: i32) {
        self.tlb_index(1);
        dynasm!(self.a ; .arch x64 ; mov rdx, rcx ; and rdx, mask);
    }

    /// rax <- the TLB entry's offset in the table for the address in host register `src`.
    fn tlb_index(&mut self, src: u8) {
        if self.features.bmi2 {
            // rorx: the rotated-in low bits fall outside the mask.
            dynasm!(self.a ; .arch x64 ; rorx eax, Rd(src), 7);
        } else {
            dynasm!(self.a ; .arch x64 ; mov eax, Rd(src) ; shr eax, 7);
        }
        dynasm!(self.a ; .arch x64 ; and eax, TLB_INDEX_MASK);
    }

    /// An instruction emitted natively only for the common case, with `exec_one` for the
    /// rest: `fast` emits the native code and may branch to the label it is given for the
    /// interpreter's semantics. Both paths join with no instruction pending (exec_one counts
    /// the instruction itself).
    fn native_or_fallback(
        &mut self,
        i: &Insn,
        fast: impl FnOnce(&mut Self, dynasmrt::DynamicLabel),
    ) {
        // `fast` reads registers after branches to the fallback: that must emit no
        // sign-extension (which would leave the two paths' states different), so nothing may
        // be dirty (these instructions are not `lazy_ok`: the block settled before them).
        debug_assert_eq!(self.upper_dirty, 0, "{:?} after settle", i.op);
        self.sync_instret();
        let slow = self.a.new_dynamic_label();
        let done = self.a.new_dynamic_label();
        fast(self, slow);
        dynasm!(self.a
            ; .arch x64
            ; sub r15, 1
            ; jmp =>done
            ; =>slow
        );
        let left = self.fallback(i);
        debug_assert!(!left, "{:?} does not end its block", i.op);
        dynasm!(self.a ; .arch x64 ; =>done);
    }

    /// rcx <- the host address of x[rs1] (no offset: atomics, cbo) when its page hits the TLB
    /// entry's tag at `tag` with the alignment bits of `mask`; else to `slow`.
    fn rs1_host(&mut self, i: &Insn, mask: i32, tag: i32, slow: dynasmrt::DynamicLabel) {
        self.load_to(1, i.rs1);
        self.tlb_index_and_tag(mask);
        self.tlb_hit(tag, slow);
    }

    /// After `addr_and_entry`: compares the entry's tag at `tag` (`TLB_READ` or
    /// `TLB_WRITE`), branches to `slow` on a miss and on a hit makes rcx the host address.
    fn tlb_hit(&mut self, tag: i32, slow: dynasmrt::DynamicLabel) {
        dynasm!(self.a
            ; .arch x64
            ; cmp rdx, [r12 + rax + tag]
            ; jne =>slow
            ; add rcx, [r12 + rax + TLB_ADDEND]
        );
    }

    /// Records the out-of-line slow path of the memory access just emitted (its entry is
    /// `slow`) and marks where it resumes.
    fn slow_path(&mut self, slow: dynasmrt::DynamicLabel, dirty: u32, helper: usize, info: u64) {
        // The helper call on the slow path clobbers the xmm registers.
        self.fp.forget_all();
        let resume = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch x64 ; =>resume);
        self.slow.push(SlowPath {
            entry: slow,
            dirty,
            resume,
            helper,
            info,
        });
    }

    fn load(&mut self, i: &Insn, size: usize, signed: bool) {
        match self.grouped_addr(i, TLB_READ) {
            Some((full, m)) => {
                let d = self.load_at(i, size, signed, m);
                self.store_from(d, i.rd);
                self.defer_full(i, full);
            }
            None => self.load_checked(i, size, signed),
        }
        self.pending += 1;
    }

    /// A load on its own: the inline TLB check, then the helper on a miss.
    fn load_checked(&mut self, i: &Insn, size: usize, signed: bool) {
        self.addr_and_entry(i, size);
        let dirty = self.upper_dirty;
        let slow = self.a.new_dynamic_label();
        self.tlb_hit(TLB_READ, slow);
        let d = self.load_at(i, size, signed, HostAddr::RCX);
        self.store_from(d, i.rd);
        let info = pack_info(size, signed, i.len, i.rd, self.off, self.pending);
        self.slow_path(slow, dirty, helpers::load as *const () as usize, info);
    }

    /// Loads from host address `m` into x[rd]'s register (or rax); returns that register.
    fn load_at(&mut self, i: &Insn, size: usize, signed: bool, m: HostAddr) -> u8 {
        let d = if i.rd == 0 { 0 } else { self.dest(i.rd) };
        let (b, disp) = (m.base, m.disp);
        match m.index {
            None => match (size, signed) {
                (1, true) => dynasm!(self.a ; .arch x64 ; movsx Rq(d), BYTE [Rq(b)]),
                (1, false) => dynasm!(self.a ; .arch x64 ; movzx Rd(d), BYTE [Rq(b)]),
                (2, true) => dynasm!(self.a ; .arch x64 ; movsx Rq(d), WORD [Rq(b)]),
                (2, false) => dynasm!(self.a ; .arch x64 ; movzx Rd(d), WORD [Rq(b)]),
                (4, true) => dynasm!(self.a ; .arch x64 ; movsxd Rq(d), DWORD [Rq(b)]),
                (4, false) => dynasm!(self.a ; .arch x64 ; mov Rd(d), DWORD [Rq(b)]),
                _ => dynasm!(self.a ; .arch x64 ; mov Rq(d), QWORD [Rq(b)]),
            },
            Some(x) => match (size, signed) {
                (1, true) => dynasm!(self.a ; .arch x64 ; movsx Rq(d), BYTE [Rq(b) + Rq(x) + disp]),
                (1, false) => {
                    dynasm!(self.a ; .arch x64 ; movzx Rd(d), BYTE [Rq(b) + Rq(x) + disp])
                }
                (2, true) => dynasm!(self.a ; .arch x64 ; movsx Rq(d), WORD [Rq(b) + Rq(x) + disp]),
                (2, false) => {
                    dynasm!(self.a ; .arch x64 ; movzx Rd(d), WORD [Rq(b) + Rq(x) + disp])
                }
                (4, true) => {
                    dynasm!(self.a ; .arch x64 ; movsxd Rq(d), DWORD [Rq(b) + Rq(x) + disp])
                }
                (4, false) => dynasm!(self.a ; .arch x64 ; mov Rd(d), DWORD [Rq(b) + Rq(x) + disp]),
                _ => dynasm!(self.a ; .arch x64 ; mov Rq(d), QWORD [Rq(b) + Rq(x) + disp]),
            },
        }
        d
    }

    fn store(&mut self, i: &Insn, size: usize) {
        match self.grouped_addr(i, TLB_WRITE) {
            Some((full, m)) => {
                self.store_at(i, size, m);
                self.defer_full(i, full);
            }
            None => self.store_checked(i, size),
        }
        self.pending += 1;
    }

    /// A store on its own: the inline TLB check, then the helper on a miss.
    fn store_checked(&mut self, i: &Insn, size: usize) {
        self.addr_and_entry(i, size);
        let dirty = self.upper_dirty;
        let slow = self.a.new_dynamic_label();
        self.tlb_hit(TLB_WRITE, slow);
        self.store_at(i, size, HostAddr::RCX);
        // The helper reads the value from x[rs2] (written back by the call thunk).
        let info = pack_info(size, false, i.len, i.rs2, self.off, self.pending);
        self.slow_path(slow, dirty, helpers::store as *const () as usize, info);
    }

    /// Stores x[rs2] to host address `m` (clobbers rax).
    fn store_at(&mut self, i: &Insn, size: usize, m: HostAddr) {
        let v = match self.src(i.rs2) {
            Src::Zero => {
                dynasm!(self.a ; .arch x64 ; xor eax, eax);
                0
            }
            Src::Reg(h) => h,
            Src::Mem(d) => {
                dynasm!(self.a ; .arch x64 ; mov rax, [rbx + d]);
                0
            }
        };
        let (b, disp) = (m.base, m.disp);
        match (m.index, size) {
            (None, 1) => dynasm!(self.a ; .arch x64 ; mov BYTE [Rq(b)], Rb(v)),
            (None, 2) => dynasm!(self.a ; .arch x64 ; mov WORD [Rq(b)], Rw(v)),
            (None, 4) => dynasm!(self.a ; .arch x64 ; mov DWORD [Rq(b)], Rd(v)),
            (None, _) => dynasm!(self.a ; .arch x64 ; mov QWORD [Rq(b)], Rq(v)),
            (Some(x), 1) => dynasm!(self.a ; .arch x64 ; mov BYTE [Rq(b) + Rq(x) + disp], Rb(v)),
            (Some(x), 2) => dynasm!(self.a ; .arch x64 ; mov WORD [Rq(b) + Rq(x) + disp], Rw(v)),
            (Some(x), 4) => dynasm!(self.a ; .arch x64 ; mov DWORD [Rq(b) + Rq(x) + disp], Rd(v)),
            (Some(x), _) => dynasm!(self.a ; .arch x64 ; mov QWORD [Rq(b) + Rq(x) + disp], Rq(v)),
        }
    }

    /// For a load or store in a page group (`plan_page_groups`): returns the label of the
    /// out-of-line full access the fast path branches to when the group's page check
    /// failed, and where the host address is after it; None for an access on its own.
    ///
    /// - The group's first access checks that the whole range of the group's accesses,
    ///   `[x[rs1] + lo, x[rs1] + hi)`, lies in the page the TLB maps for this kind of
    ///   access: the entry is the one for the range's first byte and its tag must match the
    ///   page of the last byte, so a range that crosses a page (the two pages cannot share an
    ///   entry) or a flagged or empty tag fails. It keeps the entry's addend in its slot, or
    ///   0 on a failure.
    /// - The others add the slot's addend to their address, or take the full check when the
    ///   slot holds 0.
    ///
    /// The addend stays right until the block ends: nothing inside a block changes
    /// mappings, privilege or mstatus (the instructions that can end their block), and a
    /// slow path's TLB refill only evicts entries. An access misaligned inside the page runs
    /// on the host, as the slow path would.
    fn grouped_addr(&mut self, i: &Insn, tag: i32) -> Option<(dynasmrt::DynamicLabel, HostAddr)> {
        let role = self.roles.get(self.k).copied().unwrap_or(MemRole::Single);
        let full = self.a.new_dynamic_label();
        let imm = i.imm as i32;
        let at = match role {
            MemRole::Single => return None,
            MemRole::Anchor { slot, lo, hi } => {
                let so = slot_off(slot);
                let base = match self.src(i.rs1) {
                    Src::Reg(h) => h,
                    Src::Mem(d) => {
                        dynasm!(self.a ; .arch x64 ; mov rcx, [rbx + d]);
                        1
                    }
                    Src::Zero => unreachable!("page groups have a base register"),
                };
                dynasm!(self.a ; .arch x64 ; lea rdx, [Rq(base) + lo]);
                self.tlb_index(2);
                let last = hi - 1;
                dynasm!(self.a
                    ; .arch x64
                    ; lea rdx, [Rq(base) + last]
                    ; and rdx, -4096
                    ; cmp rdx, [r12 + rax + tag]
                    ; jne =>full
                    ; mov rdx, [r12 + rax + TLB_ADDEND]
                    ; mov [rbx + so], rdx
                );
                HostAddr {
                    base: 2,
                    index: Some(base),
                    disp: imm,
                }
            }
            MemRole::Member { slot } => {
                let so = slot_off(slot);
                let base = self.src(i.rs1);
                dynasm!(self.a
                    ; .arch x64
                    ; mov rcx, [rbx + so]
                    ; test rcx, rcx
                    ; jz =>full
                );
                match base {
                    Src::Reg(h) => HostAddr {
                        base: 1,
                        index: Some(h),
                        disp: imm,
                    },
                    Src::Mem(d) => {
                        dynasm!(self.a ; .arch x64 ; add rcx, [rbx + d]);
                        if imm != 0 {
                            dynasm!(self.a ; .arch x64 ; add rcx, imm);
                        }
                        HostAddr::RCX
                    }
                    Src::Zero => unreachable!("page groups have a base register"),
                }
            }
        };
        self.branch_state = Some(self.snapshot());
        Some((full, at))
    }

    /// Records the out-of-line full access (`load_checked`/`store_checked`) of the grouped
    /// access just emitted, entered at `full` with the state the fast path branched with;
    /// it rejoins here.
    fn defer_full(&mut self, i: &Insn, full: dynasmrt::DynamicLabel) {
        // The full access's slow path calls Rust, which clobbers the xmm registers.
        self.fp.forget_all();
        let resume = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch x64 ; =>resume);
        let state = self.branch_state.take().expect("grouped_addr ran");
        let clear_slot = match self.roles[self.k] {
            MemRole::Anchor { slot, .. } => Some(slot),
            _ => None,
        };
        self.deferred.push(Deferred {
            entry: full,
            resume,
            insn: *i,
            clear_slot,
            state,
        });
    }

    /// What an out-of-line emission must restore to emit code for an earlier point.
    fn snapshot(&self) -> EmitState {
        EmitState {
            off: self.off,
            pending: self.pending,
            map: self.map,
            upper_dirty: self.upper_dirty,
            sext32: self.sext32,
            reading32: self.reading32,
        }
    }

    fn restore(&mut self, s: &EmitState) {
        self.off = s.off;
        self.pending = s.pending;
        self.map = s.map;
        self.upper_dirty = s.upper_dirty;
        self.sext32 = s.sext32;
        self.reading32 = s.reading32;
    }

    /// Emits the deferred full accesses of page-group members (before the slow paths,
    /// which they add to).
    fn emit_deferred(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            self.restore(&d.state);
            dynasm!(self.a ; .arch x64 ; =>d.entry);
            if let Some(slot) = d.clear_slot {
                let so = slot_off(slot);
                dynasm!(self.a ; .arch x64 ; mov QWORD [rbx + so], 0);
            }
            let i = d.insn;
            let (size, store) = int_access(i.op).expect("a grouped access");
            if store {
                self.store_checked(&i, size as usize);
            } else {
                let signed = matches!(i.op, Op::Lb | Op::Lh | Op::Lw);
                self.load_checked(&i, size as usize, signed);
            }
            dynasm!(self.a ; .arch x64 ; jmp =>d.resume);
        }
    }

    /// Sets the flags as `cmp x[r1], x[r2]` does.
    fn cmp_regs(&mut self, r1: u8, r2: u8) {
        match (self.src(r1), self.src(r2)) {
            (Src::Reg(a), Src::Reg(b)) => dynasm!(self.a ; .arch x64 ; cmp Rq(a), Rq(b)),
            (Src::Reg(a), Src::Mem(m)) => dynasm!(self.a ; .arch x64 ; cmp Rq(a), [rbx + m]),
            (Src::Mem(m), Src::Reg(b)) => dynasm!(self.a ; .arch x64 ; cmp [rbx + m], Rq(b)),
            (Src::Reg(a), Src::Zero) => dynasm!(self.a ; .arch x64 ; test Rq(a), Rq(a)),
            (Src::Mem(m), Src::Zero) => dynasm!(self.a ; .arch x64 ; cmp QWORD [rbx + m], 0),
            (_, b) => {
                self.load_to(0, r1);
                match b {
                    Src::Reg(b) => dynasm!(self.a ; .arch x64 ; cmp rax, Rq(b)),
                    Src::Mem(m) => dynasm!(self.a ; .arch x64 ; cmp rax, [rbx + m]),
                    Src::Zero => dynasm!(self.a ; .arch x64 ; test rax, rax),
                }
            }
        }
    }

    /// The end of a self-loop with borrowed registers: unless the branch (`op`, flags set)
    /// falls through, check the budget and attention flag and continue at `body`.
    fn loop_back(&mut self, op: Op, body: dynasmrt::DynamicLabel) {
        use Op::*;
        let leave = self.a.new_dynamic_label();
        match op {
            Beq => dynasm!(self.a ; .arch x64 ; jne >out),
            Bne => dynasm!(self.a ; .arch x64 ; je >out),
            Blt => dynasm!(self.a ; .arch x64 ; jge >out),
            Bge => dynasm!(self.a ; .arch x64 ; jl >out),
            Bltu => dynasm!(self.a ; .arch x64 ; jae >out),
            _ => dynasm!(self.a ; .arch x64 ; jb >out),
        }
        dynasm!(self.a
            ; .arch x64
            ; test r15, r15
            ; js =>leave
            ; mov rax, [rbx + OFF_ATTENTION]
            ; cmp BYTE [rax], 0
            ; jne =>leave
            ; jmp =>body
            ; =>leave
        );
        // Leave with pc = the block's start (rbp).
        self.give_back();
        let bs = self.glue.bail_sync;
        dynasm!(self.a ; .arch x64 ; jmp extern bs ; out:);
    }

    /// Emits `i` and `next` together when the pair has a shorter host form (a constant or a
    /// pc-relative address built in two steps, a call through auipc+jalr, a zero-extension).
    /// Returns 2 if it did, 0 if it emitted nothing. Neither instruction of a fused pair
    /// can trap, so no state between them is ever observed.
    fn fused(&mut self, i: &Insn, next: Option<&Insn>) -> usize {
        use Op::*;
        let Some(n) = next else { return 0 };
        let rd = i.rd;
        if rd == 0 || n.rs1 != rd {
            return 0;
        }
        let off = self.off as i64;
        match (i.op, n.op) {
            // li of a 32-bit constant: lui + addi(w).
            (Lui, Addi | Addiw) if n.rd == rd => {
                let mut v = i.imm.wrapping_add(n.imm);
                if n.op == Addiw {
                    v = v as i32 as i64;
                }
                let d = self.dest(rd);
                self.mov_imm(d, v as u64);
                self.store_from(d, rd);
            }
            // la: auipc + addi.
            (Auipc, Addi) if n.rd == rd => {
                let d = self.dest(rd);
                self.pc_rel(d, off + i.imm + n.imm);
                self.store_from(d, rd);
            }
            // call/tail: auipc + jalr, a direct jump.
            (Auipc, Jalr) => {
                self.settle();
                if n.rd != rd {
                    let d = self.dest(rd);
                    self.pc_rel(d, off + i.imm);
                    self.store_from(d, rd);
                }
                self.off += i.len as i32;
                let jalr_off = self.off as i64;
                if n.rd != 0 {
                    let d = self.dest(n.rd);
                    self.pc_rel(d, jalr_off + n.len as i64);
                    self.store_from(d, n.rd);
                }
                self.pending += 2;
                // The block's pc is even (instructions are 2-byte aligned), so clearing
                // bit 0 of the target clears it in the offset.
                self.leave_direct((off + i.imm + n.imm) & !1);
                self.off -= i.len as i32;
                return 2;
            }
            // zext.w and sext.w as shift pairs.
            (Slli, Srli | Srai) if n.rd == rd && i.imm & 63 == 32 && n.imm & 63 == 32 => {
                let d = self.dest(rd);
                match (self.src(i.rs1), n.op) {
                    (Src::Zero, _) => dynasm!(self.a ; .arch x64 ; xor Rd(d), Rd(d)),
                    (Src::Reg(h), Srli) => dynasm!(self.a ; .arch x64 ; mov Rd(d), Rd(h)),
                    (Src::Reg(h), _) => dynasm!(self.a ; .arch x64 ; movsxd Rq(d), Rd(h)),
                    (Src::Mem(m), Srli) => dynasm!(self.a ; .arch x64 ; mov Rd(d), [rbx + m]),
                    (Src::Mem(m), _) => {
                        dynasm!(self.a ; .arch x64 ; movsxd Rq(d), DWORD [rbx + m])
                    }
                }
                self.store_from(d, rd);
            }
            _ => return 0,
        }
        self.pending += 2;
        2
    }

    /// Emits one instruction. Returns true if control always leaves the block here.
    fn insn(&mut self, i: &Insn) -> bool {
        use Op::*;
        let imm = i.imm;
        let off = self.off as i64;
        let len = i.len as i64;
        match i.op {
            Lui => {
                if i.rd != 0 {
                    let d = self.dest(i.rd);
                    self.mov_imm(d, i.imm as u64);
                    self.store_from(d, i.rd);
                }
                self.pending += 1;
            }
            Auipc => {
                if i.rd != 0 {
                    let d = self.dest(i.rd);
                    self.pc_rel(d, off + imm);
                    self.store_from(d, i.rd);
                }
                self.pending += 1;
            }
            Jal => {
                if i.rd != 0 {
                    let d = self.dest(i.rd);
                    self.pc_rel(d, off + len);
                    self.store_from(d, i.rd);
                }
                self.pending += 1;
                self.leave_direct(off + imm);
                return true;
            }
            Jalr => {
                let imm = i.imm as i32;
                match self.src(i.rs1) {
                    Src::Reg(h) => dynasm!(self.a ; .arch x64 ; lea rax, [Rq(h) + imm]),
                    _ => {
                        self.load_to(0, i.rs1);
                        if imm != 0 {
                            dynasm!(self.a ; .arch x64 ; add rax, imm);
                        }
                    }
                }
                dynasm!(self.a ; .arch x64 ; and rax, -2);
                if i.rd != 0 {
                    let d = self.map[i.rd as usize].unwrap_or(1);
                    self.pc_rel(d, off + len);
                    self.store_from(d, i.rd);
                }
                self.pending += 1;
                self.leave_indirect();
                return true;
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                self.pending += 1;
                self.sync_instret();
                self.cmp_regs(i.rs1, i.rs2);
                // A self-loop's taken branch goes straight to the block's start (which
                // checks the budget); any other taken branch to its exit code.
                let self_loop = off + imm == 0 && self.self_loop;
                if let (true, Some(body)) = (self_loop, self.body) {
                    self.loop_back(i.op, body);
                    self.leave_direct(off + len);
                    return true;
                }
                let taken = self.a.new_dynamic_label();
                let at = self.at;
                macro_rules! jcc {
                    ($cc:ident) => {
                        if self_loop {
                            dynasm!(self.a ; .arch x64 ; $cc extern at)
                        } else {
                            dynasm!(self.a ; .arch x64 ; $cc =>taken)
                        }
                    };
                }
                match i.op {
                    Beq => jcc!(je),
                    Bne => jcc!(jne),
                    Blt => jcc!(jl),
                    Bge => jcc!(jge),
                    Bltu => jcc!(jb),
                    _ => jcc!(jae),
                }
                self.leave_direct(off + len);
                if !self_loop {
                    dynasm!(self.a ; .arch x64 ; =>taken);
                    self.leave_direct(off + imm);
                }
                return true;
            }
            Lb => self.load(i, 1, true),
            Lh => self.load(i, 2, true),
            Lw => self.load(i, 4, true),
            Ld => self.load(i, 8, false),
            Lbu => self.load(i, 1, false),
            Lhu => self.load(i, 2, false),
            Lwu => self.load(i, 4, false),
            Sb => self.store(i, 1),
            Sh => self.store(i, 2),
            Sw => self.store(i, 4),
            Sd => self.store(i, 8),
            Fence => {
                dynasm!(self.a ; .arch x64 ; mfence);
                self.pending += 1;
            }
            CboZero => self.cbo_zero(i),
            AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW
            | AmomaxuW | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD | AmominD | AmomaxD
            | AmominuD | AmomaxuD => self.amo(i),
            LrW | LrD | ScW | ScD => self.lr_sc(i),
            _ => {
                if self.alu(i) {
                    self.pending += 1;
                } else if !self.fp_insn(i) {
                    return self.fallback(i);
                }
            }
        }
        false
    }
}

/// `$op dst, src` on 64-bit operands, src a register or the hart state.
macro_rules! rr64 {
    ($a:expr, $op:ident, $d:expr, $s:expr) => {
        match $s {
            Src::Reg(s) => dynasm!($a ; .arch x64 ; $op Rq($d), Rq(s)),
            Src::Mem(m) => dynasm!($a ; .arch x64 ; $op Rq($d), QWORD [rbx + m]),
            Src::Zero => unreachable!("x0 operands are materialised by rhs()"),
        }
    };
}

/// `$op dst, src` on 32-bit operands (a W operation: the caller sign-extends, see
/// `Emitter::w_binop`).
macro_rules! rr32 {
    ($a:expr, $op:ident, $d:expr, $s:expr) => {{
        match $s {
            Src::Reg(s) => dynasm!($a ; .arch x64 ; $op Rd($d), Rd(s)),
            Src::Mem(m) => dynasm!($a ; .arch x64 ; $op Rd($d), DWORD [rbx + m]),
            Src::Zero => unreachable!("x0 operands are materialised by rhs()"),
        }
    }};
}

type RrEmit = fn(&mut Asm, u8, Src);

impl Emitter {
    /// A second operand: x0 becomes a zeroed rcx.
    fn rhs(&mut self, r: u8) -> Src {
        match self.src(r) {
            Src::Zero => {
                dynasm!(self.a ; .arch x64 ; xor ecx, ecx);
                Src::Reg(1)
            }
            s => s,
        }
    }

    /// x[rd] <- x[rs1] op x[rs2] computed in place (`op d, s`), in rd's own host register
    /// when it has one and that does not clobber rs2 first.
    fn binop(&mut self, i: &Insn, commutative: bool, emit: RrEmit) {
        self.binop_with(i, commutative, emit, false);
    }

    fn binop_with(&mut self, i: &Insn, commutative: bool, emit: RrEmit, w: bool) {
        let (mut a, mut b) = (i.rs1, i.rs2);
        if commutative && b == i.rd && a != i.rd {
            std::mem::swap(&mut a, &mut b);
        }
        let mut d = self.dest(i.rd);
        if b == i.rd && a != b {
            d = 0;
        }
        let s = self.rhs(b);
        self.load_to(d, a);
        self.reading32 = false;
        emit(&mut self.a, d, s);
        if w {
            self.finish_w(d, i.rd);
        }
        self.store_from(d, i.rd);
    }

    /// `binop` for a W operation: 32-bit operands in, the result left for `finish_w`.
    fn w_binop(&mut self, i: &Insn, commutative: bool, emit: RrEmit) {
        self.reading32 = true;
        self.binop_with(i, commutative, emit, true);
    }

    /// `unop` for a W operation.
    fn w_unop(&mut self, i: &Insn, emit: impl FnOnce(&mut Asm, u8)) {
        self.reading32 = true;
        let d = self.dest(i.rd);
        self.load_to(d, i.rs1);
        self.reading32 = false;
        emit(&mut self.a, d);
        self.finish_w(d, i.rd);
        self.store_from(d, i.rd);
    }

    /// `shift` for a W operation (the count in cl).
    fn w_shift(&mut self, i: &Insn, emit: fn(&mut Asm, u8)) {
        self.reading32 = true;
        self.load_to(1, i.rs2);
        self.w_unop(i, emit);
    }

    /// x[rd] <- x[rs1] op imm, computed in place in rd's host register (or rax).
    fn unop(&mut self, i: &Insn, emit: impl FnOnce(&mut Asm, u8)) {
        let d = self.dest(i.rd);
        self.load_to(d, i.rs1);
        self.reading32 = false;
        emit(&mut self.a, d);
        self.store_from(d, i.rd);
    }

    /// x[rd] <- x[rs1] shifted by x[rs2] (count in cl).
    fn shift(&mut self, i: &Insn, emit: fn(&mut Asm, u8)) {
        self.load_to(1, i.rs2);
        let d = self.dest(i.rd);
        self.load_to(d, i.rs1);
        emit(&mut self.a, d);
        self.store_from(d, i.rd);
    }

    /// x[rd] <- (x[rs1] cc x[rs2] or imm) ? 1 : 0.
    fn set_cc(&mut self, i: &Insn, unsigned: bool, imm: Option<i32>) {
        let a = match self.src(i.rs1) {
            Src::Reg(h) => h,
            _ => {
                self.load_to(0, i.rs1);
                0
            }
        };
        match imm {
            Some(v) => dynasm!(self.a ; .arch x64 ; cmp Rq(a), v),
            None => {
                let s = self.rhs(i.rs2);
                rr64!(self.a, cmp, a, s);
            }
        }
        if unsigned {
            dynasm!(self.a ; .arch x64 ; setb al);
        } else {
            dynasm!(self.a ; .arch x64 ; setl al);
        }
        let d = self.dest(i.rd);
        dynasm!(self.a ; .arch x64 ; movzx Rd(d), al);
        self.store_from(d, i.rd);
    }

    /// Division and remainder with RISC-V's results for a zero divisor and for overflow
    /// (unprivileged spec 13.2: x/0 = all ones, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0).
    fn divide(&mut self, i: &Insn) {
        use Op::*;
        self.get(0, i.rs1);
        self.get(1, i.rs2);
        match i.op {
            Div | Rem => {
                let rem = i.op == Rem;
                dynasm!(self.a
                    ; .arch x64
                    ; test rcx, rcx
                    ; jz >zero
                    ; cmp rcx, -1
                    ; jne >ok
                );
                if rem {
                    dynasm!(self.a ; .arch x64 ; xor eax, eax);
                } else {
                    dynasm!(self.a ; .arch x64 ; neg rax);
                }
                dynasm!(self.a ; .arch x64 ; jmp >done ; ok: ; cqo ; idiv rcx);
                self.divide_tail(rem, true);
            }
            Divu | Remu => {
                let rem = i.op == Remu;
                dynasm!(self.a
                    ; .arch x64
                    ; test rcx, rcx
                    ; jz >zero
                    ; xor edx, edx
                    ; div rcx
                );
                self.divide_tail(rem, true);
            }
            Divw | Remw => {
                let rem = i.op == Remw;
                dynasm!(self.a
                    ; .arch x64
                    ; test ecx, ecx
                    ; jz >zero
                    ; cmp ecx, -1
                    ; jne >ok
                );
                if rem {
                    dynasm!(self.a ; .arch x64 ; xor eax, eax);
                } else {
                    dynasm!(self.a ; .arch x64 ; neg eax);
                }
                dynasm!(self.a ; .arch x64 ; jmp >done ; ok: ; cdq ; idiv ecx);
                self.divide_tail(rem, false);
            }
            _ => {
                // Divuw | Remuw
                let rem = i.op == Remuw;
                dynasm!(self.a
                    ; .arch x64
                    ; test ecx, ecx
                    ; jz >zero
                    ; xor edx, edx
                    ; div ecx
                );
                self.divide_tail(rem, false);
            }
        }
        self.put(i.rd);
    }

    /// The end of every division form after the divide: rax <- the remainder (rdx) for a
    /// remainder; then the zero-divisor path (label `zero`): all ones for a quotient, the
    /// dividend (already in rax) for a remainder. `wide` false: 32-bit forms, sign-extended.
    fn divide_tail(&mut self, rem: bool, wide: bool) {
        match (rem, wide) {
            (true, true) => dynasm!(self.a ; .arch x64 ; mov rax, rdx),
            (true, false) => dynasm!(self.a ; .arch x64 ; mov eax, edx),
            _ => {}
        }
        dynasm!(self.a ; .arch x64 ; jmp >done ; zero:);
        match (rem, wide) {
            (false, true) => dynasm!(self.a ; .arch x64 ; mov rax, -1),
            (false, false) => dynasm!(self.a ; .arch x64 ; mov eax, -1),
            _ => {}
        }
        if wide {
            dynasm!(self.a ; .arch x64 ; done:);
        } else {
            dynasm!(self.a ; .arch x64 ; done: ; movsxd rax, eax);
        }
    }

    /// Register-register operations with x0 as an operand (mv, neg, sext.w, ...): the
    /// result is the other operand, its negation, or zero. False if `i` is not one of them.
    fn zero_operand(&mut self, i: &Insn) -> bool {
        use Op::*;
        let other = if i.rs1 == 0 { i.rs2 } else { i.rs1 };
        let d = self.dest(i.rd);
        match i.op {
            Add | Or | Xor => self.load_to(d, other),
            Sub if i.rs2 == 0 => self.load_to(d, other),
            Sub => {
                self.load_to(d, other);
                dynasm!(self.a ; .arch x64 ; neg Rq(d));
            }
            Addw => {
                self.load_to(d, other);
                dynasm!(self.a ; .arch x64 ; movsxd Rq(d), Rd(d));
            }
            Subw if i.rs2 == 0 => {
                self.load_to(d, other);
                dynasm!(self.a ; .arch x64 ; movsxd Rq(d), Rd(d));
            }
            Subw => {
                self.load_to(d, other);
                dynasm!(self.a ; .arch x64 ; neg Rd(d) ; movsxd Rq(d), Rd(d));
            }
            And | Mul | Mulw => dynasm!(self.a ; .arch x64 ; xor Rd(d), Rd(d)),
            _ => return false,
        }
        self.store_from(d, i.rd);
        true
    }

    /// Integer operations with a native emission; false if there is none.
    fn alu(&mut self, i: &Insn) -> bool {
        use Op::*;
        if !has_native_alu(i.op) {
            return false;
        }
        // No side effects: a write to x0 is a no-op.
        if i.rd == 0 {
            return true;
        }
        let imm = i.imm as i32;
        let sh = (i.imm & 63) as i8;
        let sh32 = (i.imm & 31) as i8;
        // Two-register forms the scratch registers compute: rax <- x[rs1] op x[rs2].
        macro_rules! scratch_rr {
            ($($t:tt)*) => {{
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; $($t)*);
                self.put(i.rd);
            }};
        }
        match i.op {
            // li: a constant, whatever the operation.
            Addi | Ori | Xori if i.rs1 == 0 => {
                let d = self.dest(i.rd);
                self.mov_imm(d, i.imm as u64);
                self.store_from(d, i.rd);
            }
            Addi => match self.src(i.rs1) {
                Src::Reg(h) if imm != 0 && self.dest(i.rd) != h => {
                    let d = self.dest(i.rd);
                    dynasm!(self.a ; .arch x64 ; lea Rq(d), [Rq(h) + imm]);
                    self.store_from(d, i.rd);
                }
                _ => self.unop(i, |a, d| {
                    if imm != 0 {
                        dynasm!(a ; .arch x64 ; add Rq(d), imm)
                    }
                }),
            },
            // sext.w
            Addiw if imm == 0 => {
                let d = self.dest(i.rd);
                self.reading32 = true;
                let s = self.src(i.rs1);
                self.reading32 = false;
                match s {
                    Src::Reg(h) => dynasm!(self.a ; .arch x64 ; movsxd Rq(d), Rd(h)),
                    Src::Mem(m) => dynasm!(self.a ; .arch x64 ; movsxd Rq(d), DWORD [rbx + m]),
                    Src::Zero => dynasm!(self.a ; .arch x64 ; xor Rd(d), Rd(d)),
                }
                self.store_from(d, i.rd);
            }
            // A shift right by at least one leaves bit 31 clear: the 32-bit result is its
            // own sign extension.
            Srliw if sh32 != 0 => {
                self.reading32 = true;
                self.unop(i, |a, d| dynasm!(a ; .arch x64 ; shr Rd(d), sh32));
            }
            _ if (i.rs1 == 0 || i.rs2 == 0) && self.zero_operand(i) => {}
            // Bitwise operations on sign-extended 32-bit values (md5's F and rotate steps
            // on W results) run on 32 bits and leave the result dirty.
            Xori if self.is_sext32(i.rs1) => {
                self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; xor Rd(d), imm))
            }
            Ori if self.is_sext32(i.rs1) => {
                self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; or Rd(d), imm))
            }
            Andi if self.is_sext32(i.rs1) => {
                self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; and Rd(d), imm))
            }
            Xor if self.is_sext32(i.rs1) && self.is_sext32(i.rs2) => {
                self.w_binop(i, true, |a, d, s| rr32!(a, xor, d, s))
            }
            Or if self.is_sext32(i.rs1) && self.is_sext32(i.rs2) => {
                self.w_binop(i, true, |a, d, s| rr32!(a, or, d, s))
            }
            And if self.is_sext32(i.rs1) && self.is_sext32(i.rs2) => {
                self.w_binop(i, true, |a, d, s| rr32!(a, and, d, s))
            }
            Xori => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; xor Rq(d), imm)),
            Ori => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; or Rq(d), imm)),
            Andi => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; and Rq(d), imm)),
            Slli => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; shl Rq(d), sh)),
            Srli => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; shr Rq(d), sh)),
            Srai => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; sar Rq(d), sh)),
            Slti => self.set_cc(i, false, Some(imm)),
            Sltiu => self.set_cc(i, true, Some(imm)),
            Add => self.binop(i, true, |a, d, s| rr64!(a, add, d, s)),
            Sub => self.binop(i, false, |a, d, s| rr64!(a, sub, d, s)),
            Xor => self.binop(i, true, |a, d, s| rr64!(a, xor, d, s)),
            Or => self.binop(i, true, |a, d, s| rr64!(a, or, d, s)),
            And => self.binop(i, true, |a, d, s| rr64!(a, and, d, s)),
            Mul => self.binop(i, true, |a, d, s| rr64!(a, imul, d, s)),
            Addw => self.w_binop(i, true, |a, d, s| rr32!(a, add, d, s)),
            Subw => self.w_binop(i, false, |a, d, s| rr32!(a, sub, d, s)),
            Mulw => self.w_binop(i, true, |a, d, s| rr32!(a, imul, d, s)),
            Slt => self.set_cc(i, false, None),
            Sltu => self.set_cc(i, true, None),
            Sll => self.shift(i, |a, d| dynasm!(a ; .arch x64 ; shl Rq(d), cl)),
            Srl => self.shift(i, |a, d| dynasm!(a ; .arch x64 ; shr Rq(d), cl)),
            Sra => self.shift(i, |a, d| dynasm!(a ; .arch x64 ; sar Rq(d), cl)),
            Rol => self.shift(i, |a, d| dynasm!(a ; .arch x64 ; rol Rq(d), cl)),
            Ror => self.shift(i, |a, d| dynasm!(a ; .arch x64 ; ror Rq(d), cl)),
            Sllw => self.w_shift(i, |a, d| dynasm!(a ; .arch x64 ; shl Rd(d), cl)),
            Srlw => self.w_shift(i, |a, d| dynasm!(a ; .arch x64 ; shr Rd(d), cl)),
            Sraw => self.w_shift(i, |a, d| dynasm!(a ; .arch x64 ; sar Rd(d), cl)),
            Rolw => self.w_shift(i, |a, d| dynasm!(a ; .arch x64 ; rol Rd(d), cl)),
            Rorw => self.w_shift(i, |a, d| dynasm!(a ; .arch x64 ; ror Rd(d), cl)),
            Addiw => self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; add Rd(d), imm)),
            Slliw => self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; shl Rd(d), sh32)),
            Srliw => self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; shr Rd(d), sh32)),
            Sraiw => self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; sar Rd(d), sh32)),
            Roriw => self.w_unop(i, |a, d| dynasm!(a ; .arch x64 ; ror Rd(d), sh32)),
            Rori => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; ror Rq(d), sh)),
            SextB => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; movsx Rq(d), Rb(d))),
            SextH => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; movsx Rq(d), Rw(d))),
            ZextH => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; movzx Rd(d), Rw(d))),
            Rev8 => self.unop(i, |a, d| dynasm!(a ; .arch x64 ; bswap Rq(d))),
            // bsf/bsr leave ZF set for a zero input (their result is then undefined): the
            // cmov supplies the RISC-V answer, the operand width.
            Ctz => self.unop(
                i,
                |a, d| dynasm!(a ; .arch x64 ; bsf Rq(d), Rq(d) ; mov ecx, 64 ; cmovz Rd(d), ecx),
            ),
            Ctzw => self.unop(
                i,
                |a, d| dynasm!(a ; .arch x64 ; bsf Rd(d), Rd(d) ; mov ecx, 32 ; cmovz Rd(d), ecx),
            ),
            // clz = 63 - index of the highest set bit = index ^ 63; 127 ^ 63 = 64 for zero.
            Clz => self.unop(i, |a, d| {
                dynasm!(a ; .arch x64 ; bsr Rq(d), Rq(d) ; mov ecx, 127 ; cmovz Rd(d), ecx ; xor Rd(d), 63)
            }),
            Clzw => self.unop(i, |a, d| {
                dynasm!(a ; .arch x64 ; bsr Rd(d), Rd(d) ; mov ecx, 63 ; cmovz Rd(d), ecx ; xor Rd(d), 31)
            }),
            // Bytes compared with zero (SSE2; xmm0 and xmm1 are scratch), then inverted.
            OrcB => self.unop(i, |a, d| {
                dynasm!(a
                    ; .arch x64
                    ; movq xmm0, Rq(d)
                    ; pxor xmm1, xmm1
                    ; pcmpeqb xmm1, xmm0
                    ; pcmpeqb xmm0, xmm0
                    ; pxor xmm0, xmm1
                    ; movq Rq(d), xmm0
                )
            }),
            SlliUw => self.unop(
                i,
                |a, d| dynasm!(a ; .arch x64 ; mov Rd(d), Rd(d) ; shl Rq(d), sh),
            ),
            Mulh => scratch_rr!(imul rcx ; mov rax, rdx),
            Mulhu => scratch_rr!(mul rcx ; mov rax, rdx),
            Mulhsu => {
                // mulhsu = mulhu(a, b) - (a < 0 ? b : 0).
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; mul rcx);
                self.get(0, i.rs1);
                dynasm!(self.a
                    ; .arch x64
                    ; sar rax, 63
                    ; and rax, rcx
                    ; sub rdx, rax
                );
                self.put_from(2, i.rd);
            }
            Div | Divu | Rem | Remu | Divw | Divuw | Remw | Remuw => self.divide(i),
            Sh1add => scratch_rr!(shl rax, 1 ; add rax, rcx),
            Sh2add => scratch_rr!(shl rax, 2 ; add rax, rcx),
            Sh3add => scratch_rr!(shl rax, 3 ; add rax, rcx),
            AddUw => scratch_rr!(mov eax, eax ; add rax, rcx),
            Sh1addUw => scratch_rr!(mov eax, eax ; shl rax, 1 ; add rax, rcx),
            Sh2addUw => scratch_rr!(mov eax, eax ; shl rax, 2 ; add rax, rcx),
            Sh3addUw => scratch_rr!(mov eax, eax ; shl rax, 3 ; add rax, rcx),
            Andn => scratch_rr!(not rcx ; and rax, rcx),
            Orn => scratch_rr!(not rcx ; or rax, rcx),
            Xnor => scratch_rr!(xor rax, rcx ; not rax),
            Min => scratch_rr!(cmp rax, rcx ; cmovg rax, rcx),
            Max => scratch_rr!(cmp rax, rcx ; cmovl rax, rcx),
            Minu => scratch_rr!(cmp rax, rcx ; cmova rax, rcx),
            Maxu => scratch_rr!(cmp rax, rcx ; cmovb rax, rcx),
            CzeroEqz | CzeroNez => {
                self.get(0, i.rs1);
                self.get(2, i.rs2);
                dynasm!(self.a ; .arch x64 ; xor ecx, ecx ; test rdx, rdx);
                if i.op == CzeroEqz {
                    dynasm!(self.a ; .arch x64 ; cmove rax, rcx);
                } else {
                    dynasm!(self.a ; .arch x64 ; cmovne rax, rcx);
                }
                self.put(i.rd);
            }
            _ => unreachable!("has_native_alu lists {:?}", i.op),
        }
        true
    }
}

/// The integer operations `alu` emits natively (all free of side effects).
/// Instructions emitted with W results left dirty in host registers (`upper_dirty`):
/// native integer operations and integer loads and stores, which read registers through
/// `src` and record the dirty set for their slow paths. Every other instruction runs after
/// `settle`.
fn lazy_ok(op: Op) -> bool {
    use Op::*;
    has_native_alu(op)
        || matches!(op, Lui | Auipc | Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu)
        || is_int_store(op)
}

/// Native instructions whose whole result is the sign extension of its low 32 bits: the W
/// operations, lui, loads of 32 bits or fewer, and comparisons (0 or 1).
fn writes_sext32(op: Op) -> bool {
    use Op::*;
    let w = [Addw, Subw, Mulw, Sllw, Srlw, Sraw, Rolw, Rorw];
    let wi = [Addiw, Slliw, Srliw, Sraiw, Roriw];
    let other = [Lui, Lb, Lh, Lw, Lbu, Lhu, Slt, Sltu, Slti, Sltiu];
    w.contains(&op) || wi.contains(&op) || other.contains(&op)
}

fn is_int_store(op: Op) -> bool {
    matches!(op, Op::Sb | Op::Sh | Op::Sw | Op::Sd)
}

fn has_native_alu(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Addi | Xori
            | Ori
            | Andi
            | Slli
            | Srli
            | Srai
            | Slti
            | Sltiu
            | Add
            | Sub
            | Xor
            | Or
            | And
            | Mul
            | Addw
            | Subw
            | Mulw
            | Slt
            | Sltu
            | Sll
            | Srl
            | Sra
            | Rol
            | Ror
            | Sllw
            | Srlw
            | Sraw
            | Rolw
            | Rorw
            | Addiw
            | Slliw
            | Srliw
            | Sraiw
            | Roriw
            | Rori
            | SextB
            | SextH
            | ZextH
            | Rev8
            | Ctz
            | Ctzw
            | Clz
            | Clzw
            | OrcB
            | SlliUw
            | Mulh
            | Mulhu
            | Mulhsu
            | Div
            | Divu
            | Rem
            | Remu
            | Divw
            | Divuw
            | Remw
            | Remuw
            | Sh1add
            | Sh2add
            | Sh3add
            | AddUw
            | Sh1addUw
            | Sh2addUw
            | Sh3addUw
            | Andn
            | Orn
            | Xnor
            | Min
            | Max
            | Minu
            | Maxu
            | CzeroEqz
            | CzeroNez
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emitted table lookup finds the slot the dispatcher fills (`interp::pc_slot`):
    /// otherwise every indirect jump would miss and go through the dispatcher.
    #[test]
    fn emitted_slot_matches_the_dispatchers() {
        let mut cache = CodeCache::new(64 * 1024).expect("code memory");
        let at = cache.next_addr();
        let mut a = Asm::new(at);
        dynasm!(a ; .arch x64 ; mov rax, rdi);
        emit_jit_slot_offset(&mut a);
        dynasm!(a ; .arch x64 ; mov rax, rcx ; ret);
        let code = a.finalize().expect("assembles");
        let f = cache.append(&code).expect("writes");
        // SAFETY: `f` is the sysv64 function just written: rdi in, rax out, clobbers rcx
        // and rdx.
        let slot_offset: extern "sysv64" fn(u64) -> u64 = unsafe { std::mem::transmute(f) };
        let mut pc = 0x8020_0000u64;
        for k in 0..100_000u64 {
            for p in [pc, pc | 0xffff_ffc0_0000_0000, k << 1, !0 << 1] {
                assert_eq!(
                    slot_offset(p),
                    crate::interp::pc_slot(p) as u64 * 16,
                    "pc {p:#x}"
                );
            }
            pc = pc
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                & !1;
        }
    }
}
