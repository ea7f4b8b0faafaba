//! The disassembler: one `Insn` -> text in GNU objdump's `-M no-aliases` style
//! (`addi a0,a0,1`, `ld ra,8(sp)`, `beq a0,a1,0x80000010`, `csrrw zero,mstatus,a0`,
//! `fadd.d fa0,fa1,fa2,rtz`, `amoadd.d.aqrl a0,a1,(a2)`), ABI register names.
//!
//! Differences from objdump, on purpose:
//! - a compressed instruction prints as the 32-bit instruction it expands to (`c.addi a0,1`
//!   prints `addi a0,a0,1`): the trace then shows what executes;
//! - branch and jump targets print as `0x` + absolute address, without `<symbol>`;
//! - an illegal instruction prints as `.4byte 0x...` / `.2byte 0x...` (objdump 2.40's form)
//!   whatever the reason, including encodings objdump accepts but the spec reserves
//!   (`c.addi16sp sp,0`, and 0x0000, which objdump calls `unimp`);
//! - the RV64 shift-by-0 HINTs print as the shift (`slli a0,a0,0x0`, objdump: `c.slli64 a0`);
//! - encodings objdump 2.40 rejects but the spec defines print as what they execute: a fence
//!   with non-zero `fm`/rs1/rd fields (ignored, Unprivileged spec 2.7), `fence.i` with
//!   non-zero reserved fields, exact conversions (`fcvt.d.w`, ...) with `rm` != 0;
//! - only the CSRs of `csr_name` are named (no hypervisor, vector or RV32-only `*h` CSRs);
//! - a `fence` with an empty pred or succ set prints `0` for it (objdump: `unknown`).

use super::insn::{Insn, Op};
use super::table::{pattern_of, Format};

/// Integer register ABI names, as objdump prints them (x8 is `s0`, not `fp`).
const XREG: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// Floating-point register ABI names.
const FREG: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// Rounding-mode names by `rm` value (Unprivileged spec, "F" chapter, rounding mode
/// encoding); 5 and 6 are reserved.
const RM: [&str; 8] = [
    "rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn",
];

/// The ABI name of integer register `r` (only the low 5 bits are used).
pub fn xreg_name(r: u8) -> &'static str {
    XREG[usize::from(r & 31)]
}

/// The ABI name of floating-point register `r` (only the low 5 bits are used).
pub fn freg_name(r: u8) -> &'static str {
    FREG[usize::from(r & 31)]
}

/// CSR names known to the disassembler, sorted by number: the unprivileged, supervisor and
/// machine CSRs of the Privileged spec 1.12 that exist on RV64 (no hypervisor, no RV32-only
/// `*h` halves), plus Sstc's `stimecmp`, Smstateen, Sdtrig and debug CSRs.
#[rustfmt::skip]
const CSR_NAMES: [(u16, &str); 229] = [
    (0x001, "fflags"), (0x002, "frm"), (0x003, "fcsr"), (0x100, "sstatus"), (0x104, "sie"),
    (0x105, "stvec"), (0x106, "scounteren"), (0x10a, "senvcfg"), (0x10c, "sstateen0"),
    (0x10d, "sstateen1"), (0x10e, "sstateen2"), (0x10f, "sstateen3"), (0x140, "sscratch"),
    (0x141, "sepc"), (0x142, "scause"), (0x143, "stval"), (0x144, "sip"), (0x14d, "stimecmp"),
    (0x180, "satp"), (0x300, "mstatus"), (0x301, "misa"), (0x302, "medeleg"), (0x303, "mideleg"),
    (0x304, "mie"), (0x305, "mtvec"), (0x306, "mcounteren"), (0x30a, "menvcfg"),
    (0x30c, "mstateen0"), (0x30d, "mstateen1"), (0x30e, "mstateen2"), (0x30f, "mstateen3"),
    (0x320, "mcountinhibit"), (0x323, "mhpmevent3"), (0x324, "mhpmevent4"), (0x325, "mhpmevent5"),
    (0x326, "mhpmevent6"), (0x327, "mhpmevent7"), (0x328, "mhpmevent8"), (0x329, "mhpmevent9"),
    (0x32a, "mhpmevent10"), (0x32b, "mhpmevent11"), (0x32c, "mhpmevent12"), (0x32d, "mhpmevent13"),
    (0x32e, "mhpmevent14"), (0x32f, "mhpmevent15"), (0x330, "mhpmevent16"), (0x331, "mhpmevent17"),
    (0x332, "mhpmevent18"), (0x333, "mhpmevent19"), (0x334, "mhpmevent20"), (0x335, "mhpmevent21"),
    (0x336, "mhpmevent22"), (0x337, "mhpmevent23"), (0x338, "mhpmevent24"), (0x339, "mhpmevent25"),
    (0x33a, "mhpmevent26"), (0x33b, "mhpmevent27"), (0x33c, "mhpmevent28"), (0x33d, "mhpmevent29"),
    (0x33e, "mhpmevent30"), (0x33f, "mhpmevent31"), (0x340, "mscratch"), (0x341, "mepc"),
    (0x342, "mcause"), (0x343, "mtval"), (0x344, "mip"), (0x34a, "mtinst"), (0x34b, "mtval2"),
    (0x3a0, "pmpcfg0"), (0x3a1, "pmpcfg1"), (0x3a2, "pmpcfg2"), (0x3a3, "pmpcfg3"),
    (0x3a4, "pmpcfg4"), (0x3a5, "pmpcfg5"), (0x3a6, "pmpcfg6"), (0x3a7, "pmpcfg7"),
    (0x3a8, "pmpcfg8"), (0x3a9, "pmpcfg9"), (0x3aa, "pmpcfg10"), (0x3ab, "pmpcfg11"),
    (0x3ac, "pmpcfg12"), (0x3ad, "pmpcfg13"), (0x3ae, "pmpcfg14"), (0x3af, "pmpcfg15"),
    (0x3b0, "pmpaddr0"), (0x3b1, "pmpaddr1"), (0x3b2, "pmpaddr2"), (0x3b3, "pmpaddr3"),
    (0x3b4, "pmpaddr4"), (0x3b5, "pmpaddr5"), (0x3b6, "pmpaddr6"), (0x3b7, "pmpaddr7"),
    (0x3b8, "pmpaddr8"), (0x3b9, "pmpaddr9"), (0x3ba, "pmpaddr10"), (0x3bb, "pmpaddr11"),
    (0x3bc, "pmpaddr12"), (0x3bd, "pmpaddr13"), (0x3be, "pmpaddr14"), (0x3bf, "pmpaddr15"),
    (0x3c0, "pmpaddr16"), (0x3c1, "pmpaddr17"), (0x3c2, "pmpaddr18"), (0x3c3, "pmpaddr19"),
    (0x3c4, "pmpaddr20"), (0x3c5, "pmpaddr21"), (0x3c6, "pmpaddr22"), (0x3c7, "pmpaddr23"),
    (0x3c8, "pmpaddr24"), (0x3c9, "pmpaddr25"), (0x3ca, "pmpaddr26"), (0x3cb, "pmpaddr27"),
    (0x3cc, "pmpaddr28"), (0x3cd, "pmpaddr29"), (0x3ce, "pmpaddr30"), (0x3cf, "pmpaddr31"),
    (0x3d0, "pmpaddr32"), (0x3d1, "pmpaddr33"), (0x3d2, "pmpaddr34"), (0x3d3, "pmpaddr35"),
    (0x3d4, "pmpaddr36"), (0x3d5, "pmpaddr37"), (0x3d6, "pmpaddr38"), (0x3d7, "pmpaddr39"),
    (0x3d8, "pmpaddr40"), (0x3d9, "pmpaddr41"), (0x3da, "pmpaddr42"), (0x3db, "pmpaddr43"),
    (0x3dc, "pmpaddr44"), (0x3dd, "pmpaddr45"), (0x3de, "pmpaddr46"), (0x3df, "pmpaddr47"),
    (0x3e0, "pmpaddr48"), (0x3e1, "pmpaddr49"), (0x3e2, "pmpaddr50"), (0x3e3, "pmpaddr51"),
    (0x3e4, "pmpaddr52"), (0x3e5, "pmpaddr53"), (0x3e6, "pmpaddr54"), (0x3e7, "pmpaddr55"),
    (0x3e8, "pmpaddr56"), (0x3e9, "pmpaddr57"), (0x3ea, "pmpaddr58"), (0x3eb, "pmpaddr59"),
    (0x3ec, "pmpaddr60"), (0x3ed, "pmpaddr61"), (0x3ee, "pmpaddr62"), (0x3ef, "pmpaddr63"),
    (0x5a8, "scontext"), (0x747, "mseccfg"), (0x7a0, "tselect"), (0x7a1, "tdata1"),
    (0x7a2, "tdata2"), (0x7a3, "tdata3"), (0x7a4, "tinfo"), (0x7a5, "tcontrol"),
    (0x7a8, "mcontext"), (0x7b0, "dcsr"), (0x7b1, "dpc"), (0x7b2, "dscratch0"),
    (0x7b3, "dscratch1"), (0xb00, "mcycle"), (0xb02, "minstret"), (0xb03, "mhpmcounter3"),
    (0xb04, "mhpmcounter4"), (0xb05, "mhpmcounter5"), (0xb06, "mhpmcounter6"),
    (0xb07, "mhpmcounter7"), (0xb08, "mhpmcounter8"), (0xb09, "mhpmcounter9"),
    (0xb0a, "mhpmcounter10"), (0xb0b, "mhpmcounter11"), (0xb0c, "mhpmcounter12"),
    (0xb0d, "mhpmcounter13"), (0xb0e, "mhpmcounter14"), (0xb0f, "mhpmcounter15"),
    (0xb10, "mhpmcounter16"), (0xb11, "mhpmcounter17"), (0xb12, "mhpmcounter18"),
    (0xb13, "mhpmcounter19"), (0xb14, "mhpmcounter20"), (0xb15, "mhpmcounter21"),
    (0xb16, "mhpmcounter22"), (0xb17, "mhpmcounter23"), (0xb18, "mhpmcounter24"),
    (0xb19, "mhpmcounter25"), (0xb1a, "mhpmcounter26"), (0xb1b, "mhpmcounter27"),
    (0xb1c, "mhpmcounter28"), (0xb1d, "mhpmcounter29"), (0xb1e, "mhpmcounter30"),
    (0xb1f, "mhpmcounter31"), (0xc00, "cycle"), (0xc01, "time"), (0xc02, "instret"),
    (0xc03, "hpmcounter3"), (0xc04, "hpmcounter4"), (0xc05, "hpmcounter5"), (0xc06, "hpmcounter6"),
    (0xc07, "hpmcounter7"), (0xc08, "hpmcounter8"), (0xc09, "hpmcounter9"),
    (0xc0a, "hpmcounter10"), (0xc0b, "hpmcounter11"), (0xc0c, "hpmcounter12"),
    (0xc0d, "hpmcounter13"), (0xc0e, "hpmcounter14"), (0xc0f, "hpmcounter15"),
    (0xc10, "hpmcounter16"), (0xc11, "hpmcounter17"), (0xc12, "hpmcounter18"),
    (0xc13, "hpmcounter19"), (0xc14, "hpmcounter20"), (0xc15, "hpmcounter21"),
    (0xc16, "hpmcounter22"), (0xc17, "hpmcounter23"), (0xc18, "hpmcounter24"),
    (0xc19, "hpmcounter25"), (0xc1a, "hpmcounter26"), (0xc1b, "hpmcounter27"),
    (0xc1c, "hpmcounter28"), (0xc1d, "hpmcounter29"), (0xc1e, "hpmcounter30"),
    (0xc1f, "hpmcounter31"), (0xf11, "mvendorid"), (0xf12, "marchid"), (0xf13, "mimpid"),
    (0xf14, "mhartid"), (0xf15, "mconfigptr"),
];

/// The name of CSR `csr`, if it is a known one.
pub fn csr_name(csr: u16) -> Option<&'static str> {
    CSR_NAMES
        .binary_search_by_key(&csr, |&(n, _)| n)
        .ok()
        .map(|i| CSR_NAMES[i].1)
}

/// The mnemonic of `op` (`Illegal` is `"illegal"`).
pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Illegal => "illegal",
        Op::Lui => "lui",
        Op::Auipc => "auipc",
        Op::Jal => "jal",
        Op::Jalr => "jalr",
        Op::Beq => "beq",
        Op::Bne => "bne",
        Op::Blt => "blt",
        Op::Bge => "bge",
        Op::Bltu => "bltu",
        Op::Bgeu => "bgeu",
        Op::Lb => "lb",
        Op::Lh => "lh",
        Op::Lw => "lw",
        Op::Ld => "ld",
        Op::Lbu => "lbu",
        Op::Lhu => "lhu",
        Op::Lwu => "lwu",
        Op::Sb => "sb",
        Op::Sh => "sh",
        Op::Sw => "sw",
        Op::Sd => "sd",
        Op::Addi => "addi",
        Op::Slti => "slti",
        Op::Sltiu => "sltiu",
        Op::Xori => "xori",
        Op::Ori => "ori",
        Op::Andi => "andi",
        Op::Slli => "slli",
        Op::Srli => "srli",
        Op::Srai => "srai",
        Op::Add => "add",
        Op::Sub => "sub",
        Op::Sll => "sll",
        Op::Slt => "slt",
        Op::Sltu => "sltu",
        Op::Xor => "xor",
        Op::Srl => "srl",
        Op::Sra => "sra",
        Op::Or => "or",
        Op::And => "and",
        Op::Addiw => "addiw",
        Op::Slliw => "slliw",
        Op::Srliw => "srliw",
        Op::Sraiw => "sraiw",
        Op::Addw => "addw",
        Op::Subw => "subw",
        Op::Sllw => "sllw",
        Op::Srlw => "srlw",
        Op::Sraw => "sraw",
        Op::Fence => "fence",
        Op::Ecall => "ecall",
        Op::Ebreak => "ebreak",
        Op::FenceI => "fence.i",
        Op::Mret => "mret",
        Op::Sret => "sret",
        Op::Wfi => "wfi",
        Op::SfenceVma => "sfence.vma",
        Op::Csrrw => "csrrw",
        Op::Csrrs => "csrrs",
        Op::Csrrc => "csrrc",
        Op::Csrrwi => "csrrwi",
        Op::Csrrsi => "csrrsi",
        Op::Csrrci => "csrrci",
        Op::Mul => "mul",
        Op::Mulh => "mulh",
        Op::Mulhsu => "mulhsu",
        Op::Mulhu => "mulhu",
        Op::Div => "div",
        Op::Divu => "divu",
        Op::Rem => "rem",
        Op::Remu => "remu",
        Op::Mulw => "mulw",
        Op::Divw => "divw",
        Op::Divuw => "divuw",
        Op::Remw => "remw",
        Op::Remuw => "remuw",
        Op::LrW => "lr.w",
        Op::ScW => "sc.w",
        Op::AmoswapW => "amoswap.w",
        Op::AmoaddW => "amoadd.w",
        Op::AmoxorW => "amoxor.w",
        Op::AmoandW => "amoand.w",
        Op::AmoorW => "amoor.w",
        Op::AmominW => "amomin.w",
        Op::AmomaxW => "amomax.w",
        Op::AmominuW => "amominu.w",
        Op::AmomaxuW => "amomaxu.w",
        Op::LrD => "lr.d",
        Op::ScD => "sc.d",
        Op::AmoswapD => "amoswap.d",
        Op::AmoaddD => "amoadd.d",
        Op::AmoxorD => "amoxor.d",
        Op::AmoandD => "amoand.d",
        Op::AmoorD => "amoor.d",
        Op::AmominD => "amomin.d",
        Op::AmomaxD => "amomax.d",
        Op::AmominuD => "amominu.d",
        Op::AmomaxuD => "amomaxu.d",
        Op::Flw => "flw",
        Op::Fsw => "fsw",
        Op::FmaddS => "fmadd.s",
        Op::FmsubS => "fmsub.s",
        Op::FnmsubS => "fnmsub.s",
        Op::FnmaddS => "fnmadd.s",
        Op::FaddS => "fadd.s",
        Op::FsubS => "fsub.s",
        Op::FmulS => "fmul.s",
        Op::FdivS => "fdiv.s",
        Op::FsqrtS => "fsqrt.s",
        Op::FsgnjS => "fsgnj.s",
        Op::FsgnjnS => "fsgnjn.s",
        Op::FsgnjxS => "fsgnjx.s",
        Op::FminS => "fmin.s",
        Op::FmaxS => "fmax.s",
        Op::FcvtWS => "fcvt.w.s",
        Op::FcvtWuS => "fcvt.wu.s",
        Op::FcvtLS => "fcvt.l.s",
        Op::FcvtLuS => "fcvt.lu.s",
        Op::FmvXW => "fmv.x.w",
        Op::FeqS => "feq.s",
        Op::FltS => "flt.s",
        Op::FleS => "fle.s",
        Op::FclassS => "fclass.s",
        Op::FcvtSW => "fcvt.s.w",
        Op::FcvtSWu => "fcvt.s.wu",
        Op::FcvtSL => "fcvt.s.l",
        Op::FcvtSLu => "fcvt.s.lu",
        Op::FmvWX => "fmv.w.x",
        Op::Fld => "fld",
        Op::Fsd => "fsd",
        Op::FmaddD => "fmadd.d",
        Op::FmsubD => "fmsub.d",
        Op::FnmsubD => "fnmsub.d",
        Op::FnmaddD => "fnmadd.d",
        Op::FaddD => "fadd.d",
        Op::FsubD => "fsub.d",
        Op::FmulD => "fmul.d",
        Op::FdivD => "fdiv.d",
        Op::FsqrtD => "fsqrt.d",
        Op::FsgnjD => "fsgnj.d",
        Op::FsgnjnD => "fsgnjn.d",
        Op::FsgnjxD => "fsgnjx.d",
        Op::FminD => "fmin.d",
        Op::FmaxD => "fmax.d",
        Op::FcvtSD => "fcvt.s.d",
        Op::FcvtDS => "fcvt.d.s",
        Op::FcvtWD => "fcvt.w.d",
        Op::FcvtWuD => "fcvt.wu.d",
        Op::FcvtLD => "fcvt.l.d",
        Op::FcvtLuD => "fcvt.lu.d",
        Op::FmvXD => "fmv.x.d",
        Op::FeqD => "feq.d",
        Op::FltD => "flt.d",
        Op::FleD => "fle.d",
        Op::FclassD => "fclass.d",
        Op::FcvtDW => "fcvt.d.w",
        Op::FcvtDWu => "fcvt.d.wu",
        Op::FcvtDL => "fcvt.d.l",
        Op::FcvtDLu => "fcvt.d.lu",
        Op::FmvDX => "fmv.d.x",
        Op::Flh => "flh",
        Op::Fsh => "fsh",
        Op::FmaddH => "fmadd.h",
        Op::FmsubH => "fmsub.h",
        Op::FnmsubH => "fnmsub.h",
        Op::FnmaddH => "fnmadd.h",
        Op::FaddH => "fadd.h",
        Op::FsubH => "fsub.h",
        Op::FmulH => "fmul.h",
        Op::FdivH => "fdiv.h",
        Op::FsqrtH => "fsqrt.h",
        Op::FsgnjH => "fsgnj.h",
        Op::FsgnjnH => "fsgnjn.h",
        Op::FsgnjxH => "fsgnjx.h",
        Op::FminH => "fmin.h",
        Op::FmaxH => "fmax.h",
        Op::FcvtSH => "fcvt.s.h",
        Op::FcvtHS => "fcvt.h.s",
        Op::FcvtDH => "fcvt.d.h",
        Op::FcvtHD => "fcvt.h.d",
        Op::FcvtWH => "fcvt.w.h",
        Op::FcvtWuH => "fcvt.wu.h",
        Op::FcvtLH => "fcvt.l.h",
        Op::FcvtLuH => "fcvt.lu.h",
        Op::FmvXH => "fmv.x.h",
        Op::FeqH => "feq.h",
        Op::FltH => "flt.h",
        Op::FleH => "fle.h",
        Op::FclassH => "fclass.h",
        Op::FcvtHW => "fcvt.h.w",
        Op::FcvtHWu => "fcvt.h.wu",
        Op::FcvtHL => "fcvt.h.l",
        Op::FcvtHLu => "fcvt.h.lu",
        Op::FmvHX => "fmv.h.x",
        Op::AddUw => "add.uw",
        Op::Sh1add => "sh1add",
        Op::Sh2add => "sh2add",
        Op::Sh3add => "sh3add",
        Op::Sh1addUw => "sh1add.uw",
        Op::Sh2addUw => "sh2add.uw",
        Op::Sh3addUw => "sh3add.uw",
        Op::SlliUw => "slli.uw",
        Op::Andn => "andn",
        Op::Orn => "orn",
        Op::Xnor => "xnor",
        Op::Clz => "clz",
        Op::Clzw => "clzw",
        Op::Ctz => "ctz",
        Op::Ctzw => "ctzw",
        Op::Cpop => "cpop",
        Op::Cpopw => "cpopw",
        Op::Max => "max",
        Op::Maxu => "maxu",
        Op::Min => "min",
        Op::Minu => "minu",
        Op::SextB => "sext.b",
        Op::SextH => "sext.h",
        Op::ZextH => "zext.h",
        Op::Rol => "rol",
        Op::Rolw => "rolw",
        Op::Ror => "ror",
        Op::Rori => "rori",
        Op::Roriw => "roriw",
        Op::Rorw => "rorw",
        Op::OrcB => "orc.b",
        Op::Rev8 => "rev8",
        Op::Bclr => "bclr",
        Op::Bclri => "bclri",
        Op::Bext => "bext",
        Op::Bexti => "bexti",
        Op::Binv => "binv",
        Op::Binvi => "binvi",
        Op::Bset => "bset",
        Op::Bseti => "bseti",
        Op::Clmul => "clmul",
        Op::Clmulh => "clmulh",
        Op::Clmulr => "clmulr",
        Op::CzeroEqz => "czero.eqz",
        Op::CzeroNez => "czero.nez",
        Op::CboClean => "cbo.clean",
        Op::CboFlush => "cbo.flush",
        Op::CboInval => "cbo.inval",
        Op::CboZero => "cbo.zero",
    }
}

/// Conversions that are always exact: their `rm` field is encoded (the assembler writes 0)
/// but never used for rounding, so objdump shows it only when it is not 0 (and binutils 2.40
/// rejects any other value).
pub(crate) fn is_exact_conversion(op: Op) -> bool {
    matches!(
        op,
        Op::FcvtDS | Op::FcvtDW | Op::FcvtDWu | Op::FcvtSH | Op::FcvtDH
    )
}

/// `,rm` suffix the way objdump prints it: omitted for `dyn` (or for 0 on an exact
/// conversion).
fn rm_suffix(insn: &Insn) -> String {
    let default = if is_exact_conversion(insn.op) { 0 } else { 7 };
    if insn.rm == default {
        String::new()
    } else {
        format!(",{}", RM[usize::from(insn.rm & 7)])
    }
}

/// A fence's I/O/R/W set (bits PI PO PR PW) as objdump writes it: `iorw`, `rw`, ...
fn fence_set(set: u8) -> String {
    if set & 0xf == 0 {
        return "0".to_string();
    }
    "iorw"
        .chars()
        .enumerate()
        .filter(|&(i, _)| set & (8 >> i) != 0)
        .map(|(_, c)| c)
        .collect()
}

/// Disassembles `insn` located at `pc` (used for branch and jump targets).
pub fn disasm(insn: &Insn, pc: u64) -> String {
    let Some(pat) = pattern_of(insn.op) else {
        return if insn.len == 2 {
            format!(".2byte {:#x}", insn.raw & 0xffff)
        } else {
            format!(".4byte {:#x}", insn.raw)
        };
    };
    let name = pat.name;
    let (x, f) = (xreg_name, freg_name);
    let (rd, rs1, rs2, rs3) = (insn.rd, insn.rs1, insn.rs2, insn.rs3);
    let imm = insn.imm;
    let target = pc.wrapping_add(imm as u64);
    let csr = || {
        let n = (imm & 0xfff) as u16;
        csr_name(n).map_or_else(|| format!("{n:#x}"), str::to_string)
    };
    match pat.format {
        Format::R => format!("{name} {},{},{}", x(rd), x(rs1), x(rs2)),
        Format::R1 => format!("{name} {},{}", x(rd), x(rs1)),
        // prefetch.i/r/w (Zicbop) are `ori` HINTs with rd = x0 (objdump names them).
        Format::I if insn.op == Op::Ori && rd == 0 && matches!(imm & 0x1f, 0 | 1 | 3) => {
            let kind = ["i", "r", "", "w"][(imm & 3) as usize];
            format!("prefetch.{kind} {}({})", imm & !0x1f, x(rs1))
        }
        Format::I => format!("{name} {},{},{imm}", x(rd), x(rs1)),
        Format::Shift => format!("{name} {},{},{imm:#x}", x(rd), x(rs1)),
        Format::Load | Format::Jalr => format!("{name} {},{imm}({})", x(rd), x(rs1)),
        Format::Store => format!("{name} {},{imm}({})", x(rs2), x(rs1)),
        Format::Branch => format!("{name} {},{},{target:#x}", x(rs1), x(rs2)),
        Format::U => format!("{name} {},{:#x}", x(rd), (imm >> 12) & 0xfffff),
        Format::Jal => format!("{name} {},{target:#x}", x(rd)),
        Format::Csr => format!("{name} {},{},{}", x(rd), csr(), x(rs1)),
        Format::CsrI => format!("{name} {},{},{rs1}", x(rd), csr()),
        Format::Fence => {
            // fence.tso and pause (Zihintpause) are fences with particular fm/pred/succ.
            match insn.raw {
                0x8330_000f => "fence.tso".to_string(),
                0x0100_000f => "pause".to_string(),
                _ => format!(
                    "fence {},{}",
                    fence_set(insn.fence_pred()),
                    fence_set(insn.fence_succ())
                ),
            }
        }
        Format::FenceI | Format::System => name.to_string(),
        Format::SfenceVma => format!("{name} {},{}", x(rs1), x(rs2)),
        Format::Cbo => format!("{name} ({})", x(rs1)),
        Format::Lr | Format::Amo => {
            let order = match (insn.aq(), insn.rl()) {
                (false, false) => "",
                (true, false) => ".aq",
                (false, true) => ".rl",
                (true, true) => ".aqrl",
            };
            if pat.format == Format::Lr {
                format!("{name}{order} {},({})", x(rd), x(rs1))
            } else {
                format!("{name}{order} {},{},({})", x(rd), x(rs2), x(rs1))
            }
        }
        Format::FpLoad => format!("{name} {},{imm}({})", f(rd), x(rs1)),
        Format::FpStore => format!("{name} {},{imm}({})", f(rs2), x(rs1)),
        Format::FpR4 => format!(
            "{name} {},{},{},{}{}",
            f(rd),
            f(rs1),
            f(rs2),
            f(rs3),
            rm_suffix(insn)
        ),
        Format::FpR3Rm => format!("{name} {},{},{}{}", f(rd), f(rs1), f(rs2), rm_suffix(insn)),
        Format::FpR3 => format!("{name} {},{},{}", f(rd), f(rs1), f(rs2)),
        Format::FpCmp => format!("{name} {},{},{}", x(rd), f(rs1), f(rs2)),
        Format::FpR1Rm => format!("{name} {},{}{}", f(rd), f(rs1), rm_suffix(insn)),
        Format::FpToX => format!("{name} {},{}{}", x(rd), f(rs1), rm_suffix(insn)),
        Format::XToFp => format!("{name} {},{}{}", f(rd), x(rs1), rm_suffix(insn)),
        Format::FpToXNoRm => format!("{name} {},{}", x(rd), f(rs1)),
        Format::XToFpNoRm => format!("{name} {},{}", f(rd), x(rs1)),
    }
}
