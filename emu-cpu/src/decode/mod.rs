//! The decoder: `decode(bits) -> Insn`, table-driven (MATCH/MASK pairs), with compressed
//! instructions expanded to their 32-bit meaning, and the disassembler.
//!
//! TODO(helper): table, compressed expansion, disassembly.

mod insn;

pub use insn::{Insn, Op};

/// Decodes one instruction. `bits` holds the instruction's bytes little-endian; if its low
/// two bits are not `0b11` only the low 16 bits are used (a compressed instruction).
pub fn decode(bits: u32) -> Insn {
    Insn::illegal(bits, if bits & 3 == 3 { 4 } else { 2 })
}
// Temporary stub until the decode branch lands.
pub fn disasm(i: &Insn, _pc: u64) -> String { format!("{:?}", i.op) }
