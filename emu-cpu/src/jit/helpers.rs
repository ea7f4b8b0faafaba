//! Functions translated code calls (sysv64 ABI), all shaped `f(hart, arg1, arg2, block_pc)`
//! where `block_pc` is the virtual pc of the running block's first instruction (the backend
//! calls them through one thunk, which has written every guest register and instret back to
//! the hart). Each returns 0 to continue the block, or 1 when the block must leave (a trap
//! was taken, control moved, code was modified, the machine wants to stop); then the hart's
//! pc and instret are already up to date.

use crate::decode::Insn;
use crate::hart::Hart;
use crate::interp::{ends_block, Stop};

/// Runs one instruction with the interpreter's semantics (the universal fallback).
/// Translated code has already added the block's earlier instructions to instret. `off` is
/// the instruction's offset from the block's first.
pub(crate) extern "sysv64" fn exec_one(
    hart: *mut Hart,
    insn: *const Insn,
    off: u64,
    block_pc: u64,
) -> u64 {
    // SAFETY: called only by translated code, which passes the hart the trampoline was
    // entered with (exclusively borrowed for the whole run) and a pointer into the
    // instructions of the block being executed (kept alive by the dispatcher's Arc).
    let (hart, insn) = unsafe { (&mut *hart, &*insn) };
    let pc = block_pc.wrapping_add(off);
    hart.code_dirty = false;
    let next_seq = pc.wrapping_add(insn.len as u64);
    let jgen = hart.blocks.jgen;
    match hart.exec(insn, pc) {
        Ok(next) => {
            hart.state.x[0] = 0;
            hart.state.instret = hart.state.instret.wrapping_add(1);
            // A CSR access or sfence.vma ends its block, but translated code may go on to
            // the next instruction (a direct exit) unless the hart must look at
            // interrupts or its mappings changed under the block's page.
            let goes_on = continues_after(insn.op) && !hart.irq_check && hart.blocks.jgen == jgen;
            if (ends_block(insn.op) && !goes_on) || hart.code_dirty || next != next_seq {
                hart.state.pc = next;
                return 1;
            }
            0
        }
        Err(Stop::Trap(e)) => {
            hart.state.x[0] = 0;
            hart.raise(e, pc);
            1
        }
        Err(Stop::Exit(exit)) => {
            hart.state.pc = next_seq;
            hart.pending_exit = Some(exit);
            1
        }
    }
}

/// `info` packing shared with the emitter: size in bits 0-7, sign-extend in bit 8,
/// instruction length in bits 9-11, the register (rd of a load, rs2 of a store) in bits
/// 12-16, the instruction's offset from the block's first in bits 17-31, instructions not yet
/// added to instret in bits 32-63.
/// Block-ending instructions after which translated code continues at the next instruction
/// when `exec_one` returns 0 (see there).
pub(crate) fn continues_after(op: crate::decode::Op) -> bool {
    use crate::decode::Op::*;
    matches!(
        op,
        Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci | SfenceVma
    )
}

pub(crate) fn pack_info(
    size: usize,
    signed: bool,
    len: u8,
    reg: u8,
    off: i32,
    pending: u32,
) -> u64 {
    debug_assert!((0..1 << 15).contains(&off));
    size as u64
        | (signed as u64) << 8
        | (len as u64) << 9
        | (reg as u64 & 31) << 12
        | (off as u64 & 0x7fff) << 17
        | (pending as u64) << 32
}

fn info_reg(info: u64) -> usize {
    ((info >> 12) & 31) as usize
}

fn info_pc(info: u64, block_pc: u64) -> u64 {
    block_pc.wrapping_add((info >> 17) & 0x7fff)
}

/// The slow path of an inline load: TLB miss, misaligned, MMIO.
pub(crate) extern "sysv64" fn load(hart: *mut Hart, vaddr: u64, info: u64, block_pc: u64) -> u64 {
    // SAFETY: as in exec_one.
    let hart = unsafe { &mut *hart };
    let size = (info & 0xff) as usize;
    let rd = info_reg(info);
    let pc = info_pc(info, block_pc);
    match hart.load_slow(vaddr, size, hart.data_idx) {
        Ok(v) => {
            let v = if info & 0x100 != 0 {
                let shift = 64 - 8 * size as u32;
                (((v << shift) as i64) >> shift) as u64
            } else {
                v
            };
            if rd != 0 {
                hart.state.x[rd] = v;
            }
            0
        }
        Err(e) => {
            hart.state.instret = hart.state.instret.wrapping_add(info >> 32);
            hart.raise(e, pc);
            1
        }
    }
}

/// The slow path of an inline store: TLB miss, misaligned, MMIO, a page holding code. The
/// value is x[rs2], rs2 in `info`.
pub(crate) extern "sysv64" fn store(hart: *mut Hart, vaddr: u64, info: u64, block_pc: u64) -> u64 {
    // SAFETY: as in exec_one.
    let hart = unsafe { &mut *hart };
    let size = (info & 0xff) as usize;
    let value = hart.state.x[info_reg(info)];
    let pc = info_pc(info, block_pc);
    let pending = info >> 32;
    hart.code_dirty = false;
    match hart.store_slow(vaddr, size, value, hart.data_idx) {
        Ok(()) => {
            if hart.code_dirty {
                // This block's own code may have changed: leave after this store.
                hart.state.instret = hart.state.instret.wrapping_add(pending + 1);
                hart.state.pc = pc.wrapping_add((info >> 9) & 7);
                return 1;
            }
            0
        }
        Err(e) => {
            hart.state.instret = hart.state.instret.wrapping_add(pending);
            hart.raise(e, pc);
            1
        }
    }
}
