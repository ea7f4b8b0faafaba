//! The RVC table (Unprivileged spec, "C" Standard Extension, RV64 forms plus the
//! double-precision loads/stores `c.fld`/`c.fsd`/`c.fldsp`/`c.fsdsp`) and the expansion of
//! each 16-bit form to the `Insn` of the 32-bit instruction it stands for, with `len` = 2 and
//! `raw` = the 16 bits.
//!
//! MATCH/MASK values are those of riscv-opcodes' `encoding.h`. Forms that share a pattern
//! and differ only by whether a register field is zero (`c.jr`/`c.mv`,
//! `c.ebreak`/`c.jalr`/`c.add`, `c.lui`/`c.addi16sp`, `c.nop`/`c.addi`) are one row each
//! here, split in the expansion, so that no two rows overlap. Reserved encodings
//! (RVC spec, table "RVC opcode map" and the per-instruction "reserved" notes) expand to
//! `Op::Illegal`; HINT encodings expand to their base operation (writing x0 is harmless).

use std::sync::OnceLock;

use super::insn::{Insn, Op};

/// Which 16-bit form a row is; selects the expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CForm {
    Addi4spn,
    Fld,
    Lw,
    Ld,
    Fsd,
    Sw,
    Sd,
    /// `c.addi`, and `c.nop` when rd = 0.
    Addi,
    Addiw,
    Li,
    /// `c.lui`, and `c.addi16sp` when rd = 2.
    LuiAddi16sp,
    Srli,
    Srai,
    Andi,
    Sub,
    Xor,
    Or,
    And,
    Subw,
    Addw,
    J,
    Beqz,
    Bnez,
    Slli,
    Fldsp,
    Lwsp,
    Ldsp,
    /// `c.jr` when rs2 = 0, `c.mv` otherwise.
    JrMv,
    /// `c.ebreak` when rd = rs2 = 0, `c.jalr` when rs2 = 0, `c.add` otherwise.
    EbreakJalrAdd,
    Fsdsp,
    Swsp,
    Sdsp,
}

/// One row of the RVC table: `bits & mask == matches` identifies `form`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CPattern {
    /// The form's mnemonic (tests and diagnostics; a compressed instruction disassembles as
    /// its expansion).
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    pub mask: u16,
    pub matches: u16,
    pub form: CForm,
}

const fn c(name: &'static str, mask: u16, matches: u16, form: CForm) -> CPattern {
    CPattern {
        name,
        mask,
        matches,
        form,
    }
}

/// Every RV64 C form rvx decodes. Unlisted code points (quadrant 0 funct3 = 100, the Zcb
/// space `100 111 x 1x` in quadrant 1, ...) are reserved and decode to `Op::Illegal`.
#[rustfmt::skip]
pub(crate) static CPATTERNS: [CPattern; 32] = [
    // Quadrant 0
    c("c.addi4spn", 0xe003, 0x0000, CForm::Addi4spn),
    c("c.fld", 0xe003, 0x2000, CForm::Fld),
    c("c.lw", 0xe003, 0x4000, CForm::Lw),
    c("c.ld", 0xe003, 0x6000, CForm::Ld),
    c("c.fsd", 0xe003, 0xa000, CForm::Fsd),
    c("c.sw", 0xe003, 0xc000, CForm::Sw),
    c("c.sd", 0xe003, 0xe000, CForm::Sd),
    // Quadrant 1
    c("c.addi", 0xe003, 0x0001, CForm::Addi),
    c("c.addiw", 0xe003, 0x2001, CForm::Addiw),
    c("c.li", 0xe003, 0x4001, CForm::Li),
    c("c.lui", 0xe003, 0x6001, CForm::LuiAddi16sp),
    c("c.srli", 0xec03, 0x8001, CForm::Srli),
    c("c.srai", 0xec03, 0x8401, CForm::Srai),
    c("c.andi", 0xec03, 0x8801, CForm::Andi),
    c("c.sub", 0xfc63, 0x8c01, CForm::Sub),
    c("c.xor", 0xfc63, 0x8c21, CForm::Xor),
    c("c.or", 0xfc63, 0x8c41, CForm::Or),
    c("c.and", 0xfc63, 0x8c61, CForm::And),
    c("c.subw", 0xfc63, 0x9c01, CForm::Subw),
    c("c.addw", 0xfc63, 0x9c21, CForm::Addw),
    c("c.j", 0xe003, 0xa001, CForm::J),
    c("c.beqz", 0xe003, 0xc001, CForm::Beqz),
    c("c.bnez", 0xe003, 0xe001, CForm::Bnez),
    // Quadrant 2
    c("c.slli", 0xe003, 0x0002, CForm::Slli),
    c("c.fldsp", 0xe003, 0x2002, CForm::Fldsp),
    c("c.lwsp", 0xe003, 0x4002, CForm::Lwsp),
    c("c.ldsp", 0xe003, 0x6002, CForm::Ldsp),
    c("c.jr", 0xf003, 0x8002, CForm::JrMv),
    c("c.add", 0xf003, 0x9002, CForm::EbreakJalrAdd),
    c("c.fsdsp", 0xe003, 0xa002, CForm::Fsdsp),
    c("c.swsp", 0xe003, 0xc002, CForm::Swsp),
    c("c.sdsp", 0xe003, 0xe002, CForm::Sdsp),
];

/// Bucket key: funct3 (bits 15:13) and the quadrant (bits 1:0).
fn bucket(bits: u16) -> usize {
    usize::from(((bits >> 13) << 2) | (bits & 3))
}

/// Rows of `CPATTERNS` per bucket (every row's mask covers funct3 and the quadrant).
fn index() -> &'static [Vec<u8>; 32] {
    static INDEX: OnceLock<[Vec<u8>; 32]> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx: [Vec<u8>; 32] = Default::default();
        for (i, pat) in CPATTERNS.iter().enumerate() {
            idx[bucket(pat.matches)].push(i as u8);
        }
        idx
    })
}

/// The table row matching `bits`, if any.
pub(crate) fn lookup(bits: u16) -> Option<&'static CPattern> {
    index()[bucket(bits)]
        .iter()
        .map(|&i| &CPATTERNS[usize::from(i)])
        .find(|pat| bits & pat.mask == pat.matches)
}

/// Decodes a 16-bit instruction (the low two bits are not `0b11`).
pub(crate) fn decode16(bits: u16) -> Insn {
    lookup(bits)
        .and_then(|pat| expand(pat.form, bits))
        .unwrap_or(Insn::illegal(u32::from(bits), 2))
}

/// `bits[hi:lo]` as a u32.
fn field(bits: u16, hi: u32, lo: u32) -> u32 {
    (u32::from(bits) >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Sign-extends the low `width` bits of `value`.
fn sext(value: u32, width: u32) -> i64 {
    let shift = 64 - width;
    (i64::from(value) << shift) >> shift
}

/// Full register number of a 3-bit `rd'`/`rs1'`/`rs2'` field (x8..x15 or f8..f15).
fn creg(bits: u16, lo: u32) -> u8 {
    8 + field(bits, lo + 2, lo) as u8
}

/// CI-format 6-bit immediate: imm[5] = bit 12, imm[4:0] = bits 6:2 (unsigned).
fn ci_imm6(bits: u16) -> u32 {
    (field(bits, 12, 12) << 5) | field(bits, 6, 2)
}

fn insn(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i64, bits: u16) -> Insn {
    Insn {
        op,
        rd,
        rs1,
        rs2,
        rs3: 0,
        rm: 0,
        len: 2,
        imm,
        raw: u32::from(bits),
    }
}

/// The 32-bit meaning of `bits` in form `form`, or None for a reserved encoding.
fn expand(form: CForm, bits: u16) -> Option<Insn> {
    let rd = field(bits, 11, 7) as u8; // CI/CR rd/rs1
    let rs2 = field(bits, 6, 2) as u8; // CR/CSS rs2
    let rdp = creg(bits, 2); // CIW/CL rd', CS rs2'
    let rs1p = creg(bits, 7); // CL/CS/CA/CB rs1' (= rd')
                              // CL/CS word offset: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
    let uimm_w =
        i64::from((field(bits, 12, 10) << 3) | (field(bits, 6, 6) << 2) | (field(bits, 5, 5) << 6));
    // CL/CS doubleword offset: uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5.
    let uimm_d = i64::from((field(bits, 12, 10) << 3) | (field(bits, 6, 5) << 6));
    let imm6 = sext(ci_imm6(bits), 6);
    let shamt = i64::from(ci_imm6(bits));
    let reg_reg = |op: Op| Some(insn(op, rs1p, rs1p, rdp, 0, bits));
    match form {
        CForm::Addi4spn => {
            // nzuimm[5:4|9:6|2|3] = bits 12:5; nzuimm = 0 is reserved.
            let uimm = (field(bits, 12, 11) << 4)
                | (field(bits, 10, 7) << 6)
                | (field(bits, 6, 6) << 2)
                | (field(bits, 5, 5) << 3);
            (uimm != 0).then(|| insn(Op::Addi, rdp, 2, 0, i64::from(uimm), bits))
        }
        CForm::Fld => Some(insn(Op::Fld, rdp, rs1p, 0, uimm_d, bits)),
        CForm::Lw => Some(insn(Op::Lw, rdp, rs1p, 0, uimm_w, bits)),
        CForm::Ld => Some(insn(Op::Ld, rdp, rs1p, 0, uimm_d, bits)),
        CForm::Fsd => Some(insn(Op::Fsd, 0, rs1p, rdp, uimm_d, bits)),
        CForm::Sw => Some(insn(Op::Sw, 0, rs1p, rdp, uimm_w, bits)),
        CForm::Sd => Some(insn(Op::Sd, 0, rs1p, rdp, uimm_d, bits)),
        // c.nop (rd = 0) and c.addi with imm = 0 or rd = 0 are HINTs: plain addi.
        CForm::Addi => Some(insn(Op::Addi, rd, rd, 0, imm6, bits)),
        // c.addiw with rd = 0 is reserved.
        CForm::Addiw => (rd != 0).then(|| insn(Op::Addiw, rd, rd, 0, imm6, bits)),
        // c.li with rd = 0 is a HINT.
        CForm::Li => Some(insn(Op::Addi, rd, 0, 0, imm6, bits)),
        CForm::LuiAddi16sp if rd == 2 => {
            // c.addi16sp: nzimm[9] = bit 12, nzimm[4|6|8:7|5] = bits 6:2; 0 is reserved.
            let imm = (field(bits, 12, 12) << 9)
                | (field(bits, 6, 6) << 4)
                | (field(bits, 5, 5) << 6)
                | (field(bits, 4, 3) << 7)
                | (field(bits, 2, 2) << 5);
            (imm != 0).then(|| insn(Op::Addi, 2, 2, 0, sext(imm, 10), bits))
        }
        CForm::LuiAddi16sp => {
            // c.lui: nzimm[17] = bit 12, nzimm[16:12] = bits 6:2; 0 is reserved, rd = 0 a HINT.
            let imm = ci_imm6(bits);
            (imm != 0).then(|| insn(Op::Lui, rd, 0, 0, sext(imm, 6) << 12, bits))
        }
        // RV64C: shamt[5] = bit 12; shamt = 0 is a HINT (it shifts by 0).
        CForm::Srli => Some(insn(Op::Srli, rs1p, rs1p, 0, shamt, bits)),
        CForm::Srai => Some(insn(Op::Srai, rs1p, rs1p, 0, shamt, bits)),
        CForm::Andi => Some(insn(Op::Andi, rs1p, rs1p, 0, imm6, bits)),
        CForm::Sub => reg_reg(Op::Sub),
        CForm::Xor => reg_reg(Op::Xor),
        CForm::Or => reg_reg(Op::Or),
        CForm::And => reg_reg(Op::And),
        CForm::Subw => reg_reg(Op::Subw),
        CForm::Addw => reg_reg(Op::Addw),
        CForm::J => {
            // offset[11|4|9:8|10|6|7|3:1|5] = bits 12:2.
            let off = (field(bits, 12, 12) << 11)
                | (field(bits, 11, 11) << 4)
                | (field(bits, 10, 9) << 8)
                | (field(bits, 8, 8) << 10)
                | (field(bits, 7, 7) << 6)
                | (field(bits, 6, 6) << 7)
                | (field(bits, 5, 3) << 1)
                | (field(bits, 2, 2) << 5);
            Some(insn(Op::Jal, 0, 0, 0, sext(off, 12), bits))
        }
        CForm::Beqz | CForm::Bnez => {
            // offset[8|4:3] = bits 12:10, offset[7:6|2:1|5] = bits 6:2.
            let off = (field(bits, 12, 12) << 8)
                | (field(bits, 11, 10) << 3)
                | (field(bits, 6, 5) << 6)
                | (field(bits, 4, 3) << 1)
                | (field(bits, 2, 2) << 5);
            let op = if form == CForm::Beqz {
                Op::Beq
            } else {
                Op::Bne
            };
            Some(insn(op, 0, rs1p, 0, sext(off, 9), bits))
        }
        // rd = 0 or shamt = 0 is a HINT.
        CForm::Slli => Some(insn(Op::Slli, rd, rd, 0, shamt, bits)),
        CForm::Fldsp | CForm::Ldsp => {
            // uimm[5] = bit 12, uimm[4:3|8:6] = bits 6:2.
            let uimm =
                (field(bits, 12, 12) << 5) | (field(bits, 6, 5) << 3) | (field(bits, 4, 2) << 6);
            match form {
                CForm::Fldsp => Some(insn(Op::Fld, rd, 2, 0, i64::from(uimm), bits)),
                // c.ldsp with rd = 0 is reserved.
                _ => (rd != 0).then(|| insn(Op::Ld, rd, 2, 0, i64::from(uimm), bits)),
            }
        }
        CForm::Lwsp => {
            // uimm[5] = bit 12, uimm[4:2|7:6] = bits 6:2; rd = 0 is reserved.
            let uimm =
                (field(bits, 12, 12) << 5) | (field(bits, 6, 4) << 2) | (field(bits, 3, 2) << 6);
            (rd != 0).then(|| insn(Op::Lw, rd, 2, 0, i64::from(uimm), bits))
        }
        CForm::JrMv => match (rd, rs2) {
            // c.jr with rs1 = 0 is reserved.
            (0, 0) => None,
            (_, 0) => Some(insn(Op::Jalr, 0, rd, 0, 0, bits)),
            // c.mv: add rd, x0, rs2 (rd = 0 is a HINT).
            _ => Some(insn(Op::Add, rd, 0, rs2, 0, bits)),
        },
        CForm::EbreakJalrAdd => match (rd, rs2) {
            (0, 0) => Some(insn(Op::Ebreak, 0, 0, 0, 0, bits)),
            (_, 0) => Some(insn(Op::Jalr, 1, rd, 0, 0, bits)),
            // c.add: add rd, rd, rs2 (rd = 0 is a HINT).
            _ => Some(insn(Op::Add, rd, rd, rs2, 0, bits)),
        },
        CForm::Fsdsp | CForm::Sdsp => {
            // uimm[5:3|8:6] = bits 12:7.
            let uimm = i64::from((field(bits, 12, 10) << 3) | (field(bits, 9, 7) << 6));
            let op = if form == CForm::Fsdsp {
                Op::Fsd
            } else {
                Op::Sd
            };
            Some(insn(op, 0, 2, rs2, uimm, bits))
        }
        CForm::Swsp => {
            // uimm[5:2|7:6] = bits 12:7.
            let uimm = i64::from((field(bits, 12, 9) << 2) | (field(bits, 8, 7) << 6));
            Some(insn(Op::Sw, 0, 2, rs2, uimm, bits))
        }
    }
}
