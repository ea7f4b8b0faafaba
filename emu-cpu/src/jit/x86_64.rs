//! The x86-64 backend (dynasmrt).
//!
//! Register convention inside translated code (all callee-saved, so helper calls keep them):
//! - `rbx`: the `Hart`;
//! - `r12`: `&hart.state.x` (guest integer registers, 8 bytes each);
//! - `rbp`: the virtual pc of the block's first instruction (code is position independent).
//!
//! Guest registers live in the hart state; each instruction loads its operands into scratch
//! registers (rax, rcx, rdx, rsi, rdi) and stores its result. Loads and stores do the TLB
//! compare inline (see `emu_mmu::tlb`) and call the slow-path helpers on a miss. Instructions
//! without a native emission call `helpers::exec_one`. Every block leaves through the
//! trampoline's epilogue (`exit`) with pc and instret written back.

// dynasm! expands dynamic registers (`Rq(n)`) to `n.into()`, which clippy flags when n is
// already a u8.
#![allow(clippy::useless_conversion)]

#[path = "x86_64_fp.rs"]
mod fp;

use super::code::CodeCache;
use super::helpers::{self, pack_info};
use super::JitError;
use crate::decode::{Insn, Op};
use crate::hart::{Hart, HartState};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use std::mem::offset_of;

const OFF_STATE: usize = offset_of!(Hart, state);
const OFF_X: i32 = (OFF_STATE + offset_of!(HartState, x)) as i32;
const OFF_PC: i32 = (OFF_STATE + offset_of!(HartState, pc)) as i32;
const OFF_INSTRET: i32 = (OFF_STATE + offset_of!(HartState, instret)) as i32;
const OFF_DATA_TLB: i32 = offset_of!(Hart, data_tlb) as i32;
const OFF_BUDGET: i32 = offset_of!(Hart, budget) as i32;
const OFF_ATTENTION: i32 = offset_of!(Hart, attention_addr) as i32;
const OFF_JIT_TABLE: i32 = offset_of!(Hart, jit_table_addr) as i32;
const JIT_TABLE_MASK: i32 = (crate::interp::JIT_TABLE_SIZE - 1) as i32;
const _: () = assert!(std::mem::size_of::<crate::interp::JitTarget>() == 16);
/// Offsets inside a TlbEntry.
const TLB_READ: i32 = 0;
const TLB_WRITE: i32 = 8;
const TLB_ADDEND: i32 = 24;
/// ((vaddr >> 12) & (TLB_SIZE - 1)) * 32 == (vaddr >> 7) & TLB_INDEX_MASK
const TLB_INDEX_MASK: i32 = ((emu_mmu::tlb::TLB_SIZE - 1) << 5) as i32;
const _: () = assert!(std::mem::size_of::<emu_mmu::tlb::TlbEntry>() == 32);
const _: () = assert!(emu_mmu::PAGE_SHIFT == 12);

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

/// Emits the entry trampoline and the shared epilogue at the start of the cache.
/// Returns (enter, exit) addresses.
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
        ; sub rsp, 8
        ; mov rbx, rdi
        ; lea r12, [rdi + OFF_X]
        ; mov rbp, [rdi + OFF_PC]
        ; jmp rsi
    );
    let exit_off = a.offset().0;
    dynasm!(a
        ; .arch x64
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    let code = a.finalize().map_err(asm_err)?;
    let at = cache.append(&code)?;
    Ok((at, at + exit_off))
}

struct Emitter {
    a: Asm,
    /// Host address the block is assembled for.
    at: usize,
    /// Offset of the block's first instruction in its guest page.
    page_off: u32,
    exit: usize,
    /// Label of `xor eax, eax; jmp exit`: leave with status DONE (helpers return 1 = leave).
    bail: dynasmrt::DynamicLabel,
    /// Instructions of this block executed but not yet added to instret.
    pending: u32,
    /// Offset of the current instruction from the block's first.
    off: i32,
    /// Guest registers kept in host registers for the whole block: (guest, host, dirty).
    /// Loaded after the entry check, written back before every helper call and exit.
    cached: Vec<(u8, u8, bool)>,
    /// What the F/D emission knows about mstatus.FS so far in the block.
    fp: fp::FpState,
}

/// Host registers that hold guest registers inside a block (callee-saved: helper calls
/// keep them).
const CACHE_REGS: [u8; 3] = [13, 14, 15];

/// The guest registers a block uses most (at least twice), up to CACHE_REGS.len().
fn pick_cached(insns: &[Insn]) -> Vec<u8> {
    let mut uses = [0u32; 32];
    for i in insns {
        for r in [i.rd, i.rs1, i.rs2] {
            uses[r as usize] += 1;
        }
    }
    uses[0] = 0;
    let mut regs: Vec<u8> = (1..32u8).filter(|&r| uses[r as usize] >= 2).collect();
    regs.sort_by_key(|&r| std::cmp::Reverse(uses[r as usize]));
    regs.truncate(CACHE_REGS.len());
    regs
}

/// Translates one block for host address `at`; `page_off` is the offset of its first
/// instruction in its guest page. Returns the machine code.
///
/// Every block starts with the entry check (decision 7): decrement the hart's budget and look
/// at its attention flag, leaving (pc already the block's own) when either says so. Chained
/// entries pass through it too, so a tight guest loop cannot starve interrupts or the timers.
pub fn emit_block(
    insns: &[Insn],
    at: usize,
    exit: usize,
    page_off: u32,
) -> Result<Vec<u8>, JitError> {
    let mut a = Asm::new(at);
    let bail = a.new_dynamic_label();
    let cached = pick_cached(insns)
        .into_iter()
        .zip(CACHE_REGS)
        .map(|(g, h)| (g, h, false))
        .collect();
    let mut e = Emitter {
        a,
        at,
        page_off,
        exit,
        bail,
        pending: 0,
        off: 0,
        cached,
        fp: fp::FpState::default(),
    };
    dynasm!(e.a
        ; .arch x64
        ; sub DWORD [rbx + OFF_BUDGET], 1
        ; js =>bail
        ; mov rax, [rbx + OFF_ATTENTION]
        ; cmp BYTE [rax], 0
        ; jne =>bail
    );
    for k in 0..e.cached.len() {
        let (g, h, _) = e.cached[k];
        let d = xd(g);
        dynasm!(e.a ; .arch x64 ; mov Rq(h), [r12 + d]);
    }
    let mut left = false;
    for i in insns {
        left = e.insn(i);
        e.off += i.len as i32;
    }
    if !left {
        // Fell off the end (page end or length limit): continue at the next instruction.
        let off = e.off;
        e.leave_direct(off);
    }
    dynasm!(e.a
        ; .arch x64
        ; =>bail
        ; xor eax, eax
        ; jmp extern exit
    );
    e.a.finalize().map_err(asm_err)
}

/// Displacement of x[r] from r12.
fn xd(r: u8) -> i32 {
    8 * r as i32
}

impl Emitter {
    fn cache_slot(&self, r: u8) -> Option<usize> {
        self.cached.iter().position(|&(g, _, _)| g == r)
    }

    /// host reg <- x[r]
    fn get(&mut self, host: u8, r: u8) {
        if r == 0 {
            dynasm!(self.a ; .arch x64 ; xor Rd(host), Rd(host));
        } else if let Some(k) = self.cache_slot(r) {
            let h = self.cached[k].1;
            dynasm!(self.a ; .arch x64 ; mov Rq(host), Rq(h));
        } else {
            let d = xd(r);
            dynasm!(self.a ; .arch x64 ; mov Rq(host), [r12 + d]);
        }
    }

    /// x[rd] <- rax
    fn put(&mut self, rd: u8) {
        self.put_from(0, rd);
    }

    /// x[rd] <- host reg
    fn put_from(&mut self, host: u8, rd: u8) {
        if rd == 0 {
            return;
        }
        if let Some(k) = self.cache_slot(rd) {
            let h = self.cached[k].1;
            dynasm!(self.a ; .arch x64 ; mov Rq(h), Rq(host));
            self.cached[k].2 = true;
        } else {
            let d = xd(rd);
            dynasm!(self.a ; .arch x64 ; mov [r12 + d], Rq(host));
        }
    }

    /// Writes every modified cached register back to the hart (before a helper call or an
    /// exit). With `keep_dirty`, the emitter still treats them as modified afterwards (an
    /// out-of-line path whose write-back the straight path does not share).
    fn spill(&mut self, keep_dirty: bool) {
        for k in 0..self.cached.len() {
            let (g, h, dirty) = self.cached[k];
            if dirty {
                let d = xd(g);
                dynasm!(self.a ; .arch x64 ; mov [r12 + d], Rq(h));
                self.cached[k].2 = keep_dirty;
            }
        }
    }

    /// Reloads x[r] into its host register if it is cached (a helper wrote it).
    fn reload(&mut self, r: u8) {
        if let Some(k) = self.cache_slot(r) {
            let (g, h, _) = self.cached[k];
            let d = xd(g);
            dynasm!(self.a ; .arch x64 ; mov Rq(h), [r12 + d]);
        }
    }

    fn sync_instret(&mut self) {
        if self.pending != 0 {
            let n = self.pending as i32;
            dynasm!(self.a ; .arch x64 ; add QWORD [rbx + OFF_INSTRET], n);
            self.pending = 0;
        }
    }

    /// pc <- rax, instret += pending, leave the block.
    fn leave_with_rax(&mut self) {
        self.spill(true);
        dynasm!(self.a ; .arch x64 ; mov [rbx + OFF_PC], rax);
        self.sync_instret();
        let exit = self.exit;
        dynasm!(self.a
            ; .arch x64
            ; xor eax, eax
            ; jmp extern exit
        );
    }

    /// Leaves for the block at offset `t` from this block's start. Inside the same guest page
    /// the exit is a `jmp rel32` to a stub that returns the jump's address to the dispatcher,
    /// which patches it to the target's translation (chaining); rbp becomes the target's pc.
    fn leave_direct(&mut self, t: i32) {
        dynasm!(self.a ; .arch x64 ; lea rax, [rbp + t]);
        let target_off = self.page_off as i64 + t as i64;
        if !(0..emu_mmu::PAGE_SIZE as i64).contains(&target_off) {
            self.leave_with_rax();
            return;
        }
        self.spill(true);
        dynasm!(self.a ; .arch x64 ; mov [rbx + OFF_PC], rax);
        self.sync_instret();
        dynasm!(self.a ; .arch x64 ; mov rbp, rax);
        let jmp_at = self.a.offset().0;
        dynasm!(self.a ; .arch x64 ; jmp >stub ; stub:);
        debug_assert_eq!(self.a.offset().0 - jmp_at, 5, "chain jumps are jmp rel32");
        let site = (self.at + jmp_at + 1) as i64;
        let exit = self.exit;
        dynasm!(self.a
            ; .arch x64
            ; mov rax, QWORD site
            ; jmp extern exit
        );
    }

    /// Leaves for the block at pc `rax` (an indirect jump): through the hart's indirect-jump
    /// table when it knows the target's translation, else back to the dispatcher.
    fn leave_indirect(&mut self) {
        self.spill(true);
        dynasm!(self.a ; .arch x64 ; mov [rbx + OFF_PC], rax);
        self.sync_instret();
        let bail = self.bail;
        dynasm!(self.a
            ; .arch x64
            ; mov rbp, rax
            ; mov rdx, [rbx + OFF_JIT_TABLE]
            ; mov rcx, rax
            ; shr rcx, 1
            ; and ecx, JIT_TABLE_MASK
            ; shl ecx, 4
            ; add rdx, rcx
            ; cmp rax, [rdx]
            ; jne =>bail
            ; jmp QWORD [rdx + 8]
        );
    }

    fn call(&mut self, f: usize) {
        dynasm!(self.a
            ; .arch x64
            ; mov rax, QWORD f as i64
            ; call rax
        );
    }

    /// Calls the interpreter for this instruction. Returns true if the block always leaves.
    fn fallback(&mut self, i: &Insn) -> bool {
        self.spill(false);
        self.sync_instret();
        let off = self.off;
        let insn_ptr = i as *const Insn as i64;
        dynasm!(self.a
            ; .arch x64
            ; mov rdi, rbx
            ; mov rsi, QWORD insn_ptr
            ; lea rdx, [rbp + off]
        );
        self.call(helpers::exec_one as *const () as usize);
        let bail = self.bail;
        if crate::interp::ends_block(i.op) {
            dynasm!(self.a ; .arch x64 ; jmp =>bail);
            return true;
        }
        dynasm!(self.a
            ; .arch x64
            ; test rax, rax
            ; jnz =>bail
        );
        self.reload(i.rd);
        false
    }

    /// rsi <- x[rs1] + imm (the effective address); rdx <- the TLB entry for it.
    fn addr_and_entry(&mut self, i: &Insn) {
        self.get(6, i.rs1);
        let imm = i.imm as i32;
        if imm != 0 {
            dynasm!(self.a ; .arch x64 ; add rsi, imm);
        }
        dynasm!(self.a
            ; .arch x64
            ; mov rdx, [rbx + OFF_DATA_TLB]
            ; mov rax, rsi
            ; shr rax, 7
            ; and eax, TLB_INDEX_MASK
            ; add rdx, rax
        );
    }

    fn load(&mut self, i: &Insn, size: usize, signed: bool) {
        self.addr_and_entry(i);
        let mask = -4096i32 | (size as i32 - 1);
        dynasm!(self.a
            ; .arch x64
            ; mov rcx, rsi
            ; and rcx, mask
            ; cmp rcx, [rdx + TLB_READ]
            ; jne >slow
            ; add rsi, [rdx + TLB_ADDEND]
        );
        match (size, signed) {
            (1, true) => dynasm!(self.a ; .arch x64 ; movsx rax, BYTE [rsi]),
            (1, false) => dynasm!(self.a ; .arch x64 ; movzx eax, BYTE [rsi]),
            (2, true) => dynasm!(self.a ; .arch x64 ; movsx rax, WORD [rsi]),
            (2, false) => dynasm!(self.a ; .arch x64 ; movzx eax, WORD [rsi]),
            (4, true) => dynasm!(self.a ; .arch x64 ; movsxd rax, DWORD [rsi]),
            (4, false) => dynasm!(self.a ; .arch x64 ; mov eax, DWORD [rsi]),
            _ => dynasm!(self.a ; .arch x64 ; mov rax, QWORD [rsi]),
        }
        self.put(i.rd);
        let info = pack_info(size, signed, i.len, i.rd, self.pending) as i64;
        let off = self.off;
        let bail = self.bail;
        dynasm!(self.a ; .arch x64 ; jmp >done ; slow:);
        self.spill(true);
        dynasm!(self.a
            ; .arch x64
            ; mov rdi, rbx
            ; mov rdx, QWORD info
            ; lea rcx, [rbp + off]
        );
        self.call(helpers::load as *const () as usize);
        dynasm!(self.a
            ; .arch x64
            ; test rax, rax
            ; jnz =>bail
        );
        self.reload(i.rd);
        dynasm!(self.a ; .arch x64 ; done:);
        self.pending += 1;
    }

    fn store(&mut self, i: &Insn, size: usize) {
        self.addr_and_entry(i);
        let mask = -4096i32 | (size as i32 - 1);
        dynasm!(self.a
            ; .arch x64
            ; mov rcx, rsi
            ; and rcx, mask
            ; cmp rcx, [rdx + TLB_WRITE]
            ; jne >slow
            ; add rsi, [rdx + TLB_ADDEND]
        );
        self.get(1, i.rs2);
        match size {
            1 => dynasm!(self.a ; .arch x64 ; mov BYTE [rsi], cl),
            2 => dynasm!(self.a ; .arch x64 ; mov WORD [rsi], cx),
            4 => dynasm!(self.a ; .arch x64 ; mov DWORD [rsi], ecx),
            _ => dynasm!(self.a ; .arch x64 ; mov QWORD [rsi], rcx),
        }
        let info = pack_info(size, false, i.len, 0, self.pending) as i64;
        let off = self.off;
        let bail = self.bail;
        dynasm!(self.a ; .arch x64 ; jmp >done ; slow:);
        self.spill(true);
        dynasm!(self.a ; .arch x64 ; mov rdi, rbx);
        self.get(2, i.rs2);
        dynasm!(self.a
            ; .arch x64
            ; mov rcx, QWORD info
            ; lea r8, [rbp + off]
        );
        self.call(helpers::store as *const () as usize);
        dynasm!(self.a
            ; .arch x64
            ; test rax, rax
            ; jnz =>bail
            ; done:
        );
        self.pending += 1;
    }

    /// Emits one instruction. Returns true if control always leaves the block here.
    fn insn(&mut self, i: &Insn) -> bool {
        use Op::*;
        let imm = i.imm as i32;
        let off = self.off;
        let len = i.len as i32;
        match i.op {
            Lui => {
                let v = i.imm;
                dynasm!(self.a ; .arch x64 ; mov rax, QWORD v);
                self.put(i.rd);
                self.pending += 1;
            }
            Auipc => {
                let d = off + imm;
                dynasm!(self.a ; .arch x64 ; lea rax, [rbp + d]);
                self.put(i.rd);
                self.pending += 1;
            }
            Jal => {
                let link = off + len;
                dynasm!(self.a ; .arch x64 ; lea rax, [rbp + link]);
                self.put(i.rd);
                self.pending += 1;
                self.leave_direct(off + imm);
                return true;
            }
            Jalr => {
                self.get(0, i.rs1);
                let link = off + len;
                if imm != 0 {
                    dynasm!(self.a ; .arch x64 ; add rax, imm);
                }
                dynasm!(self.a
                    ; .arch x64
                    ; and rax, -2
                    ; lea rcx, [rbp + link]
                );
                self.put_from(1, i.rd);
                self.pending += 1;
                self.leave_indirect();
                return true;
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; cmp rax, rcx);
                match i.op {
                    Beq => dynasm!(self.a ; .arch x64 ; je >taken),
                    Bne => dynasm!(self.a ; .arch x64 ; jne >taken),
                    Blt => dynasm!(self.a ; .arch x64 ; jl >taken),
                    Bge => dynasm!(self.a ; .arch x64 ; jge >taken),
                    Bltu => dynasm!(self.a ; .arch x64 ; jb >taken),
                    _ => dynasm!(self.a ; .arch x64 ; jae >taken),
                }
                self.pending += 1;
                let pending = self.pending;
                self.leave_direct(off + len);
                dynasm!(self.a ; .arch x64 ; taken:);
                self.pending = pending;
                self.leave_direct(off + imm);
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

    /// Integer operations with a native emission; false if there is none.
    fn alu(&mut self, i: &Insn) -> bool {
        use Op::*;
        let imm = i.imm as i32;
        // Two-register forms: rax <- x[rs1] op x[rs2] (cached registers are read in place).
        macro_rules! op_rr {
            ($op:ident) => {{
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; $op rax, rcx);
            }};
        }
        macro_rules! op_rr32 {
            ($op:ident) => {{
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; $op eax, ecx ; movsxd rax, eax);
            }};
        }
        macro_rules! shift_r {
            ($op:ident) => {{
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; $op rax, cl);
            }};
        }
        macro_rules! shift_r32 {
            ($op:ident) => {{
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; $op eax, cl ; movsxd rax, eax);
            }};
        }
        macro_rules! set_cc {
            ($cc:ident, $rhs:expr) => {{
                self.get(0, i.rs1);
                $rhs;
                dynasm!(self.a ; .arch x64 ; $cc al ; movzx eax, al);
            }};
        }
        let sh = (i.imm & 63) as i8;
        let sh32 = (i.imm & 31) as i8;
        match i.op {
            // li: a constant, whatever the operation.
            Addi | Ori | Xori if i.rs1 == 0 => {
                let v = i.imm;
                dynasm!(self.a ; .arch x64 ; mov rax, QWORD v);
            }
            Addi => {
                self.get(0, i.rs1);
                if imm != 0 {
                    dynasm!(self.a ; .arch x64 ; add rax, imm);
                }
            }
            Xori => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; xor rax, imm);
            }
            Ori => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; or rax, imm);
            }
            Andi => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; and rax, imm);
            }
            Slli => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; shl rax, sh);
            }
            Srli => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; shr rax, sh);
            }
            Srai => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; sar rax, sh);
            }
            Slti => set_cc!(setl, dynasm!(self.a ; .arch x64 ; cmp rax, imm)),
            Sltiu => set_cc!(setb, dynasm!(self.a ; .arch x64 ; cmp rax, imm)),
            Add => op_rr!(add),
            Sub => op_rr!(sub),
            Xor => op_rr!(xor),
            Or => op_rr!(or),
            And => op_rr!(and),
            Slt => set_cc!(setl, {
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; cmp rax, rcx)
            }),
            Sltu => set_cc!(setb, {
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; cmp rax, rcx)
            }),
            Sll => shift_r!(shl),
            Srl => shift_r!(shr),
            Sra => shift_r!(sar),
            Addiw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; add eax, imm ; movsxd rax, eax);
            }
            Slliw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; shl eax, sh32 ; movsxd rax, eax);
            }
            Srliw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; shr eax, sh32 ; movsxd rax, eax);
            }
            Sraiw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; sar eax, sh32 ; movsxd rax, eax);
            }
            Addw => op_rr32!(add),
            Subw => op_rr32!(sub),
            Sllw => shift_r32!(shl),
            Srlw => shift_r32!(shr),
            Sraw => shift_r32!(sar),
            Mul => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; imul rax, rcx);
            }
            Mulw => op_rr32!(imul),
            Mulh => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; imul rcx ; mov rax, rdx);
            }
            Mulhu => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; mul rcx ; mov rax, rdx);
            }
            Sh1add | Sh2add | Sh3add => {
                let n: i8 = match i.op {
                    Sh1add => 1,
                    Sh2add => 2,
                    _ => 3,
                };
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; shl rax, n ; add rax, rcx);
            }
            AddUw | Sh1addUw | Sh2addUw | Sh3addUw => {
                let n: i8 = match i.op {
                    AddUw => 0,
                    Sh1addUw => 1,
                    Sh2addUw => 2,
                    _ => 3,
                };
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; mov eax, eax ; shl rax, n ; add rax, rcx);
            }
            SlliUw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; mov eax, eax ; shl rax, sh);
            }
            Andn | Orn | Xnor => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                match i.op {
                    Andn => dynasm!(self.a ; .arch x64 ; not rcx ; and rax, rcx),
                    Orn => dynasm!(self.a ; .arch x64 ; not rcx ; or rax, rcx),
                    _ => dynasm!(self.a ; .arch x64 ; xor rax, rcx ; not rax),
                }
            }
            Min | Max | Minu | Maxu => {
                self.get(0, i.rs1);
                self.get(1, i.rs2);
                dynasm!(self.a ; .arch x64 ; cmp rax, rcx);
                match i.op {
                    Min => dynasm!(self.a ; .arch x64 ; cmovg rax, rcx),
                    Max => dynasm!(self.a ; .arch x64 ; cmovl rax, rcx),
                    Minu => dynasm!(self.a ; .arch x64 ; cmova rax, rcx),
                    _ => dynasm!(self.a ; .arch x64 ; cmovb rax, rcx),
                }
            }
            SextB => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; movsx rax, al);
            }
            SextH => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; movsx rax, ax);
            }
            ZextH => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; movzx eax, ax);
            }
            Rev8 => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; bswap rax);
            }
            Rol => shift_r!(rol),
            Ror => shift_r!(ror),
            Rori => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; ror rax, sh);
            }
            Rolw => shift_r32!(rol),
            Rorw => shift_r32!(ror),
            Roriw => {
                self.get(0, i.rs1);
                dynasm!(self.a ; .arch x64 ; ror eax, sh32 ; movsxd rax, eax);
            }
            CzeroEqz | CzeroNez => {
                self.get(0, i.rs1);
                self.get(2, i.rs2);
                dynasm!(self.a ; .arch x64 ; xor ecx, ecx ; test rdx, rdx);
                if i.op == CzeroEqz {
                    dynasm!(self.a ; .arch x64 ; cmove rax, rcx);
                } else {
                    dynasm!(self.a ; .arch x64 ; cmovne rax, rcx);
                }
            }
            _ => return false,
        }
        self.put(i.rd);
        true
    }
}
