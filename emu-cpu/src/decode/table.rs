//! The 32-bit instruction table: one MATCH/MASK pattern per operation, and the field
//! extraction for each operand format.
//!
//! The MATCH/MASK values are those of riscv-opcodes' generated `encoding.h` (riscv-test-env),
//! RV64 forms: `slli`/`srli`/`srai`/`rori`/`bclri`/... take a 6-bit shamt (mask `0xfc00707f`),
//! the `*w` forms a 5-bit one (mask `0xfe00707f`). `rev8`, `orc.b` and `zext.h` are
//! pseudo-ops of `grevi`/`gorci`/`packw` in riscv-opcodes, so `encoding.h` has no MATCH/MASK
//! for them; their RV64 encodings are taken from the Zbb chapter (Bitmanip spec 1.0, 2.1).
//!
//! HINTs are not listed: they fall inside the base pattern they occupy (Unprivileged spec,
//! "HINT instructions"): `prefetch.i/r/w` (Zicbop) are `ori` with rd = x0, `pause`
//! (Zihintpause) and `fence.tso` are `fence` with particular pred/succ/fm bits.
//!
//! No two patterns overlap (tested), so the table's order does not matter. Lookup goes
//! through an index by major opcode and funct3, built on first use.

use std::sync::OnceLock;

use super::insn::{Insn, Op};

/// How an instruction's operands are laid out: decides which `Insn` fields `decode` fills
/// and how `disasm` prints them. `x` is an integer register, `f` a floating-point one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `xd, xs1, xs2`.
    R,
    /// `xd, xs1` (the rs2 field is fixed by the pattern).
    R1,
    /// `xd, xs1, imm` with a sign-extended 12-bit immediate.
    I,
    /// `xd, xs1, shamt`: the shift amount (bits 25:20, 6 bits on RV64; bit 25 is fixed to 0
    /// by the pattern of the 5-bit `*w` forms) goes in `imm`.
    Shift,
    /// `xd, imm(xs1)`.
    Load,
    /// `xs2, imm(xs1)` with the S-type immediate.
    Store,
    /// `xs1, xs2, target` with the B-type offset in `imm`.
    Branch,
    /// `xd, imm`: U-type, `imm` already shifted left by 12.
    U,
    /// `xd, target` with the J-type offset in `imm`.
    Jal,
    /// `xd, imm(xs1)`.
    Jalr,
    /// `xd, csr, xs1`: the CSR number (unsigned) in `imm`.
    Csr,
    /// `xd, csr, uimm`: the CSR number in `imm`, the 5-bit uimm in `rs1`.
    CsrI,
    /// `fence pred,succ`: `imm` = `fm|pred|succ` = `raw >> 20`; rd and rs1 kept (reserved).
    Fence,
    /// `fence.i`: rd, rs1 and imm are reserved fields, extracted as I-type.
    FenceI,
    /// No operands (`ecall`, `mret`, ...).
    System,
    /// `sfence.vma xs1, xs2`.
    SfenceVma,
    /// `cbo.* (xs1)`.
    Cbo,
    /// `lr.w xd, (xs1)`; aq/rl stay in `raw`.
    Lr,
    /// `sc.w`/`amo*`: `xd, xs2, (xs1)`; aq/rl stay in `raw`.
    Amo,
    /// `fd, imm(xs1)`.
    FpLoad,
    /// `fs2, imm(xs1)`.
    FpStore,
    /// `fd, fs1, fs2, fs3, rm`.
    FpR4,
    /// `fd, fs1, fs2, rm`.
    FpR3Rm,
    /// `fd, fs1, fs2` (sign injection, min/max).
    FpR3,
    /// `xd, fs1, fs2` (comparisons).
    FpCmp,
    /// `fd, fs1, rm` (square root, float-float conversions).
    FpR1Rm,
    /// `xd, fs1, rm` (float-to-integer conversions).
    FpToX,
    /// `fd, xs1, rm` (integer-to-float conversions).
    XToFp,
    /// `xd, fs1` (`fmv.x.*`, `fclass.*`).
    FpToXNoRm,
    /// `fd, xs1` (`fmv.*.x`).
    XToFpNoRm,
}

/// One table row: `raw & mask == matches` identifies `op`.
#[derive(Clone, Copy, Debug)]
pub struct Pattern {
    pub op: Op,
    pub name: &'static str,
    pub mask: u32,
    pub matches: u32,
    pub format: Format,
}

const fn p(op: Op, name: &'static str, mask: u32, matches: u32, format: Format) -> Pattern {
    Pattern {
        op,
        name,
        mask,
        matches,
        format,
    }
}

/// Every 32-bit encoding rvx decodes, one row per `Op` except `Illegal`.
#[rustfmt::skip]
pub static PATTERNS: [Pattern; 243] = [
    p(Op::Lui, "lui", 0x0000007f, 0x00000037, Format::U),
    p(Op::Auipc, "auipc", 0x0000007f, 0x00000017, Format::U),
    p(Op::Jal, "jal", 0x0000007f, 0x0000006f, Format::Jal),
    p(Op::Jalr, "jalr", 0x0000707f, 0x00000067, Format::Jalr),
    p(Op::Beq, "beq", 0x0000707f, 0x00000063, Format::Branch),
    p(Op::Bne, "bne", 0x0000707f, 0x00001063, Format::Branch),
    p(Op::Blt, "blt", 0x0000707f, 0x00004063, Format::Branch),
    p(Op::Bge, "bge", 0x0000707f, 0x00005063, Format::Branch),
    p(Op::Bltu, "bltu", 0x0000707f, 0x00006063, Format::Branch),
    p(Op::Bgeu, "bgeu", 0x0000707f, 0x00007063, Format::Branch),
    p(Op::Lb, "lb", 0x0000707f, 0x00000003, Format::Load),
    p(Op::Lh, "lh", 0x0000707f, 0x00001003, Format::Load),
    p(Op::Lw, "lw", 0x0000707f, 0x00002003, Format::Load),
    p(Op::Ld, "ld", 0x0000707f, 0x00003003, Format::Load),
    p(Op::Lbu, "lbu", 0x0000707f, 0x00004003, Format::Load),
    p(Op::Lhu, "lhu", 0x0000707f, 0x00005003, Format::Load),
    p(Op::Lwu, "lwu", 0x0000707f, 0x00006003, Format::Load),
    p(Op::Sb, "sb", 0x0000707f, 0x00000023, Format::Store),
    p(Op::Sh, "sh", 0x0000707f, 0x00001023, Format::Store),
    p(Op::Sw, "sw", 0x0000707f, 0x00002023, Format::Store),
    p(Op::Sd, "sd", 0x0000707f, 0x00003023, Format::Store),
    p(Op::Addi, "addi", 0x0000707f, 0x00000013, Format::I),
    p(Op::Slti, "slti", 0x0000707f, 0x00002013, Format::I),
    p(Op::Sltiu, "sltiu", 0x0000707f, 0x00003013, Format::I),
    p(Op::Xori, "xori", 0x0000707f, 0x00004013, Format::I),
    p(Op::Ori, "ori", 0x0000707f, 0x00006013, Format::I),
    p(Op::Andi, "andi", 0x0000707f, 0x00007013, Format::I),
    p(Op::Slli, "slli", 0xfc00707f, 0x00001013, Format::Shift),
    p(Op::Srli, "srli", 0xfc00707f, 0x00005013, Format::Shift),
    p(Op::Srai, "srai", 0xfc00707f, 0x40005013, Format::Shift),
    p(Op::Add, "add", 0xfe00707f, 0x00000033, Format::R),
    p(Op::Sub, "sub", 0xfe00707f, 0x40000033, Format::R),
    p(Op::Sll, "sll", 0xfe00707f, 0x00001033, Format::R),
    p(Op::Slt, "slt", 0xfe00707f, 0x00002033, Format::R),
    p(Op::Sltu, "sltu", 0xfe00707f, 0x00003033, Format::R),
    p(Op::Xor, "xor", 0xfe00707f, 0x00004033, Format::R),
    p(Op::Srl, "srl", 0xfe00707f, 0x00005033, Format::R),
    p(Op::Sra, "sra", 0xfe00707f, 0x40005033, Format::R),
    p(Op::Or, "or", 0xfe00707f, 0x00006033, Format::R),
    p(Op::And, "and", 0xfe00707f, 0x00007033, Format::R),
    p(Op::Addiw, "addiw", 0x0000707f, 0x0000001b, Format::I),
    p(Op::Slliw, "slliw", 0xfe00707f, 0x0000101b, Format::Shift),
    p(Op::Srliw, "srliw", 0xfe00707f, 0x0000501b, Format::Shift),
    p(Op::Sraiw, "sraiw", 0xfe00707f, 0x4000501b, Format::Shift),
    p(Op::Addw, "addw", 0xfe00707f, 0x0000003b, Format::R),
    p(Op::Subw, "subw", 0xfe00707f, 0x4000003b, Format::R),
    p(Op::Sllw, "sllw", 0xfe00707f, 0x0000103b, Format::R),
    p(Op::Srlw, "srlw", 0xfe00707f, 0x0000503b, Format::R),
    p(Op::Sraw, "sraw", 0xfe00707f, 0x4000503b, Format::R),
    p(Op::Fence, "fence", 0x0000707f, 0x0000000f, Format::Fence),
    p(Op::Ecall, "ecall", 0xffffffff, 0x00000073, Format::System),
    p(Op::Ebreak, "ebreak", 0xffffffff, 0x00100073, Format::System),
    p(Op::FenceI, "fence.i", 0x0000707f, 0x0000100f, Format::FenceI),
    p(Op::Mret, "mret", 0xffffffff, 0x30200073, Format::System),
    p(Op::Sret, "sret", 0xffffffff, 0x10200073, Format::System),
    p(Op::Wfi, "wfi", 0xffffffff, 0x10500073, Format::System),
    p(Op::SfenceVma, "sfence.vma", 0xfe007fff, 0x12000073, Format::SfenceVma),
    p(Op::Csrrw, "csrrw", 0x0000707f, 0x00001073, Format::Csr),
    p(Op::Csrrs, "csrrs", 0x0000707f, 0x00002073, Format::Csr),
    p(Op::Csrrc, "csrrc", 0x0000707f, 0x00003073, Format::Csr),
    p(Op::Csrrwi, "csrrwi", 0x0000707f, 0x00005073, Format::CsrI),
    p(Op::Csrrsi, "csrrsi", 0x0000707f, 0x00006073, Format::CsrI),
    p(Op::Csrrci, "csrrci", 0x0000707f, 0x00007073, Format::CsrI),
    p(Op::Mul, "mul", 0xfe00707f, 0x02000033, Format::R),
    p(Op::Mulh, "mulh", 0xfe00707f, 0x02001033, Format::R),
    p(Op::Mulhsu, "mulhsu", 0xfe00707f, 0x02002033, Format::R),
    p(Op::Mulhu, "mulhu", 0xfe00707f, 0x02003033, Format::R),
    p(Op::Div, "div", 0xfe00707f, 0x02004033, Format::R),
    p(Op::Divu, "divu", 0xfe00707f, 0x02005033, Format::R),
    p(Op::Rem, "rem", 0xfe00707f, 0x02006033, Format::R),
    p(Op::Remu, "remu", 0xfe00707f, 0x02007033, Format::R),
    p(Op::Mulw, "mulw", 0xfe00707f, 0x0200003b, Format::R),
    p(Op::Divw, "divw", 0xfe00707f, 0x0200403b, Format::R),
    p(Op::Divuw, "divuw", 0xfe00707f, 0x0200503b, Format::R),
    p(Op::Remw, "remw", 0xfe00707f, 0x0200603b, Format::R),
    p(Op::Remuw, "remuw", 0xfe00707f, 0x0200703b, Format::R),
    p(Op::LrW, "lr.w", 0xf9f0707f, 0x1000202f, Format::Lr),
    p(Op::ScW, "sc.w", 0xf800707f, 0x1800202f, Format::Amo),
    p(Op::AmoswapW, "amoswap.w", 0xf800707f, 0x0800202f, Format::Amo),
    p(Op::AmoaddW, "amoadd.w", 0xf800707f, 0x0000202f, Format::Amo),
    p(Op::AmoxorW, "amoxor.w", 0xf800707f, 0x2000202f, Format::Amo),
    p(Op::AmoandW, "amoand.w", 0xf800707f, 0x6000202f, Format::Amo),
    p(Op::AmoorW, "amoor.w", 0xf800707f, 0x4000202f, Format::Amo),
    p(Op::AmominW, "amomin.w", 0xf800707f, 0x8000202f, Format::Amo),
    p(Op::AmomaxW, "amomax.w", 0xf800707f, 0xa000202f, Format::Amo),
    p(Op::AmominuW, "amominu.w", 0xf800707f, 0xc000202f, Format::Amo),
    p(Op::AmomaxuW, "amomaxu.w", 0xf800707f, 0xe000202f, Format::Amo),
    p(Op::LrD, "lr.d", 0xf9f0707f, 0x1000302f, Format::Lr),
    p(Op::ScD, "sc.d", 0xf800707f, 0x1800302f, Format::Amo),
    p(Op::AmoswapD, "amoswap.d", 0xf800707f, 0x0800302f, Format::Amo),
    p(Op::AmoaddD, "amoadd.d", 0xf800707f, 0x0000302f, Format::Amo),
    p(Op::AmoxorD, "amoxor.d", 0xf800707f, 0x2000302f, Format::Amo),
    p(Op::AmoandD, "amoand.d", 0xf800707f, 0x6000302f, Format::Amo),
    p(Op::AmoorD, "amoor.d", 0xf800707f, 0x4000302f, Format::Amo),
    p(Op::AmominD, "amomin.d", 0xf800707f, 0x8000302f, Format::Amo),
    p(Op::AmomaxD, "amomax.d", 0xf800707f, 0xa000302f, Format::Amo),
    p(Op::AmominuD, "amominu.d", 0xf800707f, 0xc000302f, Format::Amo),
    p(Op::AmomaxuD, "amomaxu.d", 0xf800707f, 0xe000302f, Format::Amo),
    p(Op::Flw, "flw", 0x0000707f, 0x00002007, Format::FpLoad),
    p(Op::Fsw, "fsw", 0x0000707f, 0x00002027, Format::FpStore),
    p(Op::FmaddS, "fmadd.s", 0x0600007f, 0x00000043, Format::FpR4),
    p(Op::FmsubS, "fmsub.s", 0x0600007f, 0x00000047, Format::FpR4),
    p(Op::FnmsubS, "fnmsub.s", 0x0600007f, 0x0000004b, Format::FpR4),
    p(Op::FnmaddS, "fnmadd.s", 0x0600007f, 0x0000004f, Format::FpR4),
    p(Op::FaddS, "fadd.s", 0xfe00007f, 0x00000053, Format::FpR3Rm),
    p(Op::FsubS, "fsub.s", 0xfe00007f, 0x08000053, Format::FpR3Rm),
    p(Op::FmulS, "fmul.s", 0xfe00007f, 0x10000053, Format::FpR3Rm),
    p(Op::FdivS, "fdiv.s", 0xfe00007f, 0x18000053, Format::FpR3Rm),
    p(Op::FsqrtS, "fsqrt.s", 0xfff0007f, 0x58000053, Format::FpR1Rm),
    p(Op::FsgnjS, "fsgnj.s", 0xfe00707f, 0x20000053, Format::FpR3),
    p(Op::FsgnjnS, "fsgnjn.s", 0xfe00707f, 0x20001053, Format::FpR3),
    p(Op::FsgnjxS, "fsgnjx.s", 0xfe00707f, 0x20002053, Format::FpR3),
    p(Op::FminS, "fmin.s", 0xfe00707f, 0x28000053, Format::FpR3),
    p(Op::FmaxS, "fmax.s", 0xfe00707f, 0x28001053, Format::FpR3),
    p(Op::FcvtWS, "fcvt.w.s", 0xfff0007f, 0xc0000053, Format::FpToX),
    p(Op::FcvtWuS, "fcvt.wu.s", 0xfff0007f, 0xc0100053, Format::FpToX),
    p(Op::FcvtLS, "fcvt.l.s", 0xfff0007f, 0xc0200053, Format::FpToX),
    p(Op::FcvtLuS, "fcvt.lu.s", 0xfff0007f, 0xc0300053, Format::FpToX),
    p(Op::FmvXW, "fmv.x.w", 0xfff0707f, 0xe0000053, Format::FpToXNoRm),
    p(Op::FeqS, "feq.s", 0xfe00707f, 0xa0002053, Format::FpCmp),
    p(Op::FltS, "flt.s", 0xfe00707f, 0xa0001053, Format::FpCmp),
    p(Op::FleS, "fle.s", 0xfe00707f, 0xa0000053, Format::FpCmp),
    p(Op::FclassS, "fclass.s", 0xfff0707f, 0xe0001053, Format::FpToXNoRm),
    p(Op::FcvtSW, "fcvt.s.w", 0xfff0007f, 0xd0000053, Format::XToFp),
    p(Op::FcvtSWu, "fcvt.s.wu", 0xfff0007f, 0xd0100053, Format::XToFp),
    p(Op::FcvtSL, "fcvt.s.l", 0xfff0007f, 0xd0200053, Format::XToFp),
    p(Op::FcvtSLu, "fcvt.s.lu", 0xfff0007f, 0xd0300053, Format::XToFp),
    p(Op::FmvWX, "fmv.w.x", 0xfff0707f, 0xf0000053, Format::XToFpNoRm),
    p(Op::Fld, "fld", 0x0000707f, 0x00003007, Format::FpLoad),
    p(Op::Fsd, "fsd", 0x0000707f, 0x00003027, Format::FpStore),
    p(Op::FmaddD, "fmadd.d", 0x0600007f, 0x02000043, Format::FpR4),
    p(Op::FmsubD, "fmsub.d", 0x0600007f, 0x02000047, Format::FpR4),
    p(Op::FnmsubD, "fnmsub.d", 0x0600007f, 0x0200004b, Format::FpR4),
    p(Op::FnmaddD, "fnmadd.d", 0x0600007f, 0x0200004f, Format::FpR4),
    p(Op::FaddD, "fadd.d", 0xfe00007f, 0x02000053, Format::FpR3Rm),
    p(Op::FsubD, "fsub.d", 0xfe00007f, 0x0a000053, Format::FpR3Rm),
    p(Op::FmulD, "fmul.d", 0xfe00007f, 0x12000053, Format::FpR3Rm),
    p(Op::FdivD, "fdiv.d", 0xfe00007f, 0x1a000053, Format::FpR3Rm),
    p(Op::FsqrtD, "fsqrt.d", 0xfff0007f, 0x5a000053, Format::FpR1Rm),
    p(Op::FsgnjD, "fsgnj.d", 0xfe00707f, 0x22000053, Format::FpR3),
    p(Op::FsgnjnD, "fsgnjn.d", 0xfe00707f, 0x22001053, Format::FpR3),
    p(Op::FsgnjxD, "fsgnjx.d", 0xfe00707f, 0x22002053, Format::FpR3),
    p(Op::FminD, "fmin.d", 0xfe00707f, 0x2a000053, Format::FpR3),
    p(Op::FmaxD, "fmax.d", 0xfe00707f, 0x2a001053, Format::FpR3),
    p(Op::FcvtSD, "fcvt.s.d", 0xfff0007f, 0x40100053, Format::FpR1Rm),
    p(Op::FcvtDS, "fcvt.d.s", 0xfff0007f, 0x42000053, Format::FpR1Rm),
    p(Op::FcvtWD, "fcvt.w.d", 0xfff0007f, 0xc2000053, Format::FpToX),
    p(Op::FcvtWuD, "fcvt.wu.d", 0xfff0007f, 0xc2100053, Format::FpToX),
    p(Op::FcvtLD, "fcvt.l.d", 0xfff0007f, 0xc2200053, Format::FpToX),
    p(Op::FcvtLuD, "fcvt.lu.d", 0xfff0007f, 0xc2300053, Format::FpToX),
    p(Op::FmvXD, "fmv.x.d", 0xfff0707f, 0xe2000053, Format::FpToXNoRm),
    p(Op::FeqD, "feq.d", 0xfe00707f, 0xa2002053, Format::FpCmp),
    p(Op::FltD, "flt.d", 0xfe00707f, 0xa2001053, Format::FpCmp),
    p(Op::FleD, "fle.d", 0xfe00707f, 0xa2000053, Format::FpCmp),
    p(Op::FclassD, "fclass.d", 0xfff0707f, 0xe2001053, Format::FpToXNoRm),
    p(Op::FcvtDW, "fcvt.d.w", 0xfff0007f, 0xd2000053, Format::XToFp),
    p(Op::FcvtDWu, "fcvt.d.wu", 0xfff0007f, 0xd2100053, Format::XToFp),
    p(Op::FcvtDL, "fcvt.d.l", 0xfff0007f, 0xd2200053, Format::XToFp),
    p(Op::FcvtDLu, "fcvt.d.lu", 0xfff0007f, 0xd2300053, Format::XToFp),
    p(Op::FmvDX, "fmv.d.x", 0xfff0707f, 0xf2000053, Format::XToFpNoRm),
    p(Op::Flh, "flh", 0x0000707f, 0x00001007, Format::FpLoad),
    p(Op::Fsh, "fsh", 0x0000707f, 0x00001027, Format::FpStore),
    p(Op::FmaddH, "fmadd.h", 0x0600007f, 0x04000043, Format::FpR4),
    p(Op::FmsubH, "fmsub.h", 0x0600007f, 0x04000047, Format::FpR4),
    p(Op::FnmsubH, "fnmsub.h", 0x0600007f, 0x0400004b, Format::FpR4),
    p(Op::FnmaddH, "fnmadd.h", 0x0600007f, 0x0400004f, Format::FpR4),
    p(Op::FaddH, "fadd.h", 0xfe00007f, 0x04000053, Format::FpR3Rm),
    p(Op::FsubH, "fsub.h", 0xfe00007f, 0x0c000053, Format::FpR3Rm),
    p(Op::FmulH, "fmul.h", 0xfe00007f, 0x14000053, Format::FpR3Rm),
    p(Op::FdivH, "fdiv.h", 0xfe00007f, 0x1c000053, Format::FpR3Rm),
    p(Op::FsqrtH, "fsqrt.h", 0xfff0007f, 0x5c000053, Format::FpR1Rm),
    p(Op::FsgnjH, "fsgnj.h", 0xfe00707f, 0x24000053, Format::FpR3),
    p(Op::FsgnjnH, "fsgnjn.h", 0xfe00707f, 0x24001053, Format::FpR3),
    p(Op::FsgnjxH, "fsgnjx.h", 0xfe00707f, 0x24002053, Format::FpR3),
    p(Op::FminH, "fmin.h", 0xfe00707f, 0x2c000053, Format::FpR3),
    p(Op::FmaxH, "fmax.h", 0xfe00707f, 0x2c001053, Format::FpR3),
    p(Op::FcvtSH, "fcvt.s.h", 0xfff0007f, 0x40200053, Format::FpR1Rm),
    p(Op::FcvtHS, "fcvt.h.s", 0xfff0007f, 0x44000053, Format::FpR1Rm),
    p(Op::FcvtDH, "fcvt.d.h", 0xfff0007f, 0x42200053, Format::FpR1Rm),
    p(Op::FcvtHD, "fcvt.h.d", 0xfff0007f, 0x44100053, Format::FpR1Rm),
    p(Op::FcvtWH, "fcvt.w.h", 0xfff0007f, 0xc4000053, Format::FpToX),
    p(Op::FcvtWuH, "fcvt.wu.h", 0xfff0007f, 0xc4100053, Format::FpToX),
    p(Op::FcvtLH, "fcvt.l.h", 0xfff0007f, 0xc4200053, Format::FpToX),
    p(Op::FcvtLuH, "fcvt.lu.h", 0xfff0007f, 0xc4300053, Format::FpToX),
    p(Op::FmvXH, "fmv.x.h", 0xfff0707f, 0xe4000053, Format::FpToXNoRm),
    p(Op::FeqH, "feq.h", 0xfe00707f, 0xa4002053, Format::FpCmp),
    p(Op::FltH, "flt.h", 0xfe00707f, 0xa4001053, Format::FpCmp),
    p(Op::FleH, "fle.h", 0xfe00707f, 0xa4000053, Format::FpCmp),
    p(Op::FclassH, "fclass.h", 0xfff0707f, 0xe4001053, Format::FpToXNoRm),
    p(Op::FcvtHW, "fcvt.h.w", 0xfff0007f, 0xd4000053, Format::XToFp),
    p(Op::FcvtHWu, "fcvt.h.wu", 0xfff0007f, 0xd4100053, Format::XToFp),
    p(Op::FcvtHL, "fcvt.h.l", 0xfff0007f, 0xd4200053, Format::XToFp),
    p(Op::FcvtHLu, "fcvt.h.lu", 0xfff0007f, 0xd4300053, Format::XToFp),
    p(Op::FmvHX, "fmv.h.x", 0xfff0707f, 0xf4000053, Format::XToFpNoRm),
    p(Op::AddUw, "add.uw", 0xfe00707f, 0x0800003b, Format::R),
    p(Op::Sh1add, "sh1add", 0xfe00707f, 0x20002033, Format::R),
    p(Op::Sh2add, "sh2add", 0xfe00707f, 0x20004033, Format::R),
    p(Op::Sh3add, "sh3add", 0xfe00707f, 0x20006033, Format::R),
    p(Op::Sh1addUw, "sh1add.uw", 0xfe00707f, 0x2000203b, Format::R),
    p(Op::Sh2addUw, "sh2add.uw", 0xfe00707f, 0x2000403b, Format::R),
    p(Op::Sh3addUw, "sh3add.uw", 0xfe00707f, 0x2000603b, Format::R),
    p(Op::SlliUw, "slli.uw", 0xfc00707f, 0x0800101b, Format::Shift),
    p(Op::Andn, "andn", 0xfe00707f, 0x40007033, Format::R),
    p(Op::Orn, "orn", 0xfe00707f, 0x40006033, Format::R),
    p(Op::Xnor, "xnor", 0xfe00707f, 0x40004033, Format::R),
    p(Op::Clz, "clz", 0xfff0707f, 0x60001013, Format::R1),
    p(Op::Clzw, "clzw", 0xfff0707f, 0x6000101b, Format::R1),
    p(Op::Ctz, "ctz", 0xfff0707f, 0x60101013, Format::R1),
    p(Op::Ctzw, "ctzw", 0xfff0707f, 0x6010101b, Format::R1),
    p(Op::Cpop, "cpop", 0xfff0707f, 0x60201013, Format::R1),
    p(Op::Cpopw, "cpopw", 0xfff0707f, 0x6020101b, Format::R1),
    p(Op::Max, "max", 0xfe00707f, 0x0a006033, Format::R),
    p(Op::Maxu, "maxu", 0xfe00707f, 0x0a007033, Format::R),
    p(Op::Min, "min", 0xfe00707f, 0x0a004033, Format::R),
    p(Op::Minu, "minu", 0xfe00707f, 0x0a005033, Format::R),
    p(Op::SextB, "sext.b", 0xfff0707f, 0x60401013, Format::R1),
    p(Op::SextH, "sext.h", 0xfff0707f, 0x60501013, Format::R1),
    p(Op::ZextH, "zext.h", 0xfff0707f, 0x0800403b, Format::R1),
    p(Op::Rol, "rol", 0xfe00707f, 0x60001033, Format::R),
    p(Op::Rolw, "rolw", 0xfe00707f, 0x6000103b, Format::R),
    p(Op::Ror, "ror", 0xfe00707f, 0x60005033, Format::R),
    p(Op::Rori, "rori", 0xfc00707f, 0x60005013, Format::Shift),
    p(Op::Roriw, "roriw", 0xfe00707f, 0x6000501b, Format::Shift),
    p(Op::Rorw, "rorw", 0xfe00707f, 0x6000503b, Format::R),
    p(Op::OrcB, "orc.b", 0xfff0707f, 0x28705013, Format::R1),
    p(Op::Rev8, "rev8", 0xfff0707f, 0x6b805013, Format::R1),
    p(Op::Bclr, "bclr", 0xfe00707f, 0x48001033, Format::R),
    p(Op::Bclri, "bclri", 0xfc00707f, 0x48001013, Format::Shift),
    p(Op::Bext, "bext", 0xfe00707f, 0x48005033, Format::R),
    p(Op::Bexti, "bexti", 0xfc00707f, 0x48005013, Format::Shift),
    p(Op::Binv, "binv", 0xfe00707f, 0x68001033, Format::R),
    p(Op::Binvi, "binvi", 0xfc00707f, 0x68001013, Format::Shift),
    p(Op::Bset, "bset", 0xfe00707f, 0x28001033, Format::R),
    p(Op::Bseti, "bseti", 0xfc00707f, 0x28001013, Format::Shift),
    p(Op::Clmul, "clmul", 0xfe00707f, 0x0a001033, Format::R),
    p(Op::Clmulh, "clmulh", 0xfe00707f, 0x0a003033, Format::R),
    p(Op::Clmulr, "clmulr", 0xfe00707f, 0x0a002033, Format::R),
    p(Op::CzeroEqz, "czero.eqz", 0xfe00707f, 0x0e005033, Format::R),
    p(Op::CzeroNez, "czero.nez", 0xfe00707f, 0x0e007033, Format::R),
    p(Op::CboClean, "cbo.clean", 0xfff07fff, 0x0010200f, Format::Cbo),
    p(Op::CboFlush, "cbo.flush", 0xfff07fff, 0x0020200f, Format::Cbo),
    p(Op::CboInval, "cbo.inval", 0xfff07fff, 0x0000200f, Format::Cbo),
    p(Op::CboZero, "cbo.zero", 0xfff07fff, 0x0040200f, Format::Cbo),
];

/// Bucket key: funct3 (bits 14:12) and the major opcode (bits 6:0).
fn bucket(raw: u32) -> usize {
    ((((raw >> 12) & 7) << 7) | (raw & 0x7f)) as usize
}

const NBUCKETS: usize = 8 << 7;

/// Pattern indices grouped by bucket: `rows[start[k]..start[k + 1]]` are the patterns that
/// can match a word whose bucket is `k`. A pattern whose mask leaves funct3 free (an FP `rm`,
/// `lui`, `jal`) is listed under all eight funct3 values.
struct Index {
    start: Vec<usize>,
    rows: Vec<u16>,
    /// `Op` as usize -> row in `PATTERNS`.
    by_op: Vec<Option<u16>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut buckets: Vec<Vec<u16>> = vec![Vec::new(); NBUCKETS];
        let mut by_op = vec![None; Op::ALL.len()];
        for (i, pat) in PATTERNS.iter().enumerate() {
            let row = u16::try_from(i).expect("table has fewer than 65536 rows");
            by_op[pat.op as usize] = Some(row);
            for funct3 in 0..8u32 {
                let probe = (pat.matches & !(7 << 12)) | (funct3 << 12);
                // The pattern belongs in this bucket iff some word in the bucket can match it.
                if (probe ^ pat.matches) & pat.mask & 0x707f == 0 {
                    buckets[bucket(probe)].push(row);
                }
            }
        }
        let mut start = Vec::with_capacity(NBUCKETS + 1);
        let mut rows = Vec::new();
        for b in &buckets {
            start.push(rows.len());
            rows.extend_from_slice(b);
        }
        start.push(rows.len());
        Index { start, rows, by_op }
    })
}

/// The table row for `op` (None for `Illegal`).
pub(crate) fn pattern_of(op: Op) -> Option<&'static Pattern> {
    let row = (*index().by_op.get(op as usize)?)?;
    PATTERNS.get(usize::from(row))
}

/// Decodes a 32-bit instruction word.
pub(crate) fn decode32(raw: u32) -> Insn {
    let idx = index();
    let k = bucket(raw);
    for &row in &idx.rows[idx.start[k]..idx.start[k + 1]] {
        let pat = &PATTERNS[usize::from(row)];
        if raw & pat.mask == pat.matches {
            return extract(pat, raw);
        }
    }
    Insn::illegal(raw, 4)
}

/// Sign-extended I-type immediate, bits 31:20.
pub(crate) fn imm_i(raw: u32) -> i64 {
    i64::from((raw as i32) >> 20)
}

/// Sign-extended S-type immediate: imm[11:5] = bits 31:25, imm[4:0] = bits 11:7.
pub(crate) fn imm_s(raw: u32) -> i64 {
    i64::from(((raw as i32) >> 25) << 5) | i64::from((raw >> 7) & 0x1f)
}

/// Sign-extended B-type offset: imm[12|10:5] = bits 31:25, imm[4:1|11] = bits 11:7.
pub(crate) fn imm_b(raw: u32) -> i64 {
    i64::from(((raw as i32) >> 31) << 12)
        | i64::from(((raw >> 7) & 1) << 11)
        | i64::from(((raw >> 25) & 0x3f) << 5)
        | i64::from(((raw >> 8) & 0xf) << 1)
}

/// U-type immediate, already shifted: bits 31:12, sign-extended from bit 31.
pub(crate) fn imm_u(raw: u32) -> i64 {
    i64::from((raw & 0xffff_f000) as i32)
}

/// Sign-extended J-type offset: imm[20|10:1|11|19:12] = bits 31:12.
pub(crate) fn imm_j(raw: u32) -> i64 {
    i64::from(((raw as i32) >> 31) << 20)
        | i64::from(raw & 0x000f_f000)
        | i64::from(((raw >> 20) & 1) << 11)
        | i64::from(((raw >> 21) & 0x3ff) << 1)
}

/// Fills the `Insn` fields that `pat.format` defines; the others stay 0.
fn extract(pat: &Pattern, raw: u32) -> Insn {
    let rd = ((raw >> 7) & 0x1f) as u8;
    let rs1 = ((raw >> 15) & 0x1f) as u8;
    let rs2 = ((raw >> 20) & 0x1f) as u8;
    let rs3 = (raw >> 27) as u8;
    let rm = ((raw >> 12) & 7) as u8;
    let mut insn = Insn::illegal(raw, 4);
    insn.op = pat.op;
    match pat.format {
        Format::R | Format::Amo | Format::FpR3 | Format::FpCmp => {
            (insn.rd, insn.rs1, insn.rs2) = (rd, rs1, rs2);
        }
        Format::R1 | Format::Lr | Format::FpToXNoRm | Format::XToFpNoRm => {
            (insn.rd, insn.rs1) = (rd, rs1);
        }
        Format::I | Format::Load | Format::Jalr | Format::FpLoad | Format::FenceI => {
            (insn.rd, insn.rs1, insn.imm) = (rd, rs1, imm_i(raw));
        }
        Format::Shift => {
            (insn.rd, insn.rs1, insn.imm) = (rd, rs1, i64::from((raw >> 20) & 0x3f));
        }
        Format::Store | Format::FpStore => {
            (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_s(raw));
        }
        Format::Branch => {
            (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_b(raw));
        }
        Format::U => {
            (insn.rd, insn.imm) = (rd, imm_u(raw));
        }
        Format::Jal => {
            (insn.rd, insn.imm) = (rd, imm_j(raw));
        }
        Format::Csr | Format::CsrI | Format::Fence => {
            (insn.rd, insn.rs1, insn.imm) = (rd, rs1, i64::from(raw >> 20));
        }
        Format::System => {}
        Format::SfenceVma => {
            (insn.rs1, insn.rs2) = (rs1, rs2);
        }
        Format::Cbo => {
            insn.rs1 = rs1;
        }
        Format::FpR4 => {
            (insn.rd, insn.rs1, insn.rs2, insn.rs3, insn.rm) = (rd, rs1, rs2, rs3, rm);
        }
        Format::FpR3Rm => {
            (insn.rd, insn.rs1, insn.rs2, insn.rm) = (rd, rs1, rs2, rm);
        }
        Format::FpR1Rm | Format::FpToX | Format::XToFp => {
            (insn.rd, insn.rs1, insn.rm) = (rd, rs1, rm);
        }
    }
    insn
}
