//! The decoder: `decode(bits) -> Insn`, table-driven (MATCH/MASK pairs, `table` for 32-bit
//! encodings, `compressed` for the 16-bit ones, which expand to their 32-bit meaning), and
//! the disassembler (`disasm`). Decoding is pure: the same bits always give the same `Insn`,
//! so the interpreter, the translator, traces and the gdb stub can share it.

mod compressed;
mod disasm;
mod insn;
#[cfg(test)]
mod objdump_tests;
mod table;
#[cfg(test)]
mod tests;

pub use disasm::{csr_name, disasm, freg_name, op_name, xreg_name};
pub use insn::{Insn, Op};
pub use table::{Format, Pattern, PATTERNS};

/// Decodes one instruction. `bits` holds the instruction's bytes little-endian; if its low
/// two bits are not `0b11` only the low 16 bits are used (a compressed instruction).
///
/// Reserved and unknown encodings give `Op::Illegal` (with `len` 2 or 4 and `raw` set).
/// HINTs give the base operation they occupy. The `rm` field of a floating-point operation
/// is passed through as encoded: the reserved values 5 and 6, and 7 (dynamic) with an
/// invalid `frm`, are illegal at execution time (Unprivileged spec, "F", 11.2), which the
/// executor checks.
pub fn decode(bits: u32) -> Insn {
    if bits & 3 == 3 {
        table::decode32(bits)
    } else {
        compressed::decode16(bits as u16)
    }
}
