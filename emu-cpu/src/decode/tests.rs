//! Decoder tests: table consistency, field extraction per format, compressed expansion,
//! illegal encodings, and the disassembly snapshot. The cross-check against GNU objdump is
//! in `objdump_tests.rs`.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::compressed::{self, CForm, CPATTERNS};
use super::table::{Format, PATTERNS};
use super::*;

/// `Insn` with `len` = 4 and `raw` = `raw`.
#[allow(clippy::too_many_arguments)]
fn insn32(raw: u32, op: Op, rd: u8, rs1: u8, rs2: u8, rs3: u8, rm: u8, imm: i64) -> Insn {
    Insn {
        op,
        rd,
        rs1,
        rs2,
        rs3,
        rm,
        len: 4,
        imm,
        raw,
    }
}

#[test]
fn op_all_is_in_declaration_order() {
    for (i, &op) in Op::ALL.iter().enumerate() {
        assert_eq!(op as usize, i, "{op:?}");
    }
}

#[test]
fn every_op_has_exactly_one_pattern() {
    let mut seen = BTreeSet::new();
    for pat in &PATTERNS {
        assert_ne!(pat.op, Op::Illegal);
        assert!(seen.insert(pat.op), "{:?} listed twice", pat.op);
        assert_eq!(
            op_name(pat.op),
            pat.name,
            "op_name disagrees with the table"
        );
        assert_eq!(
            pat.matches & !pat.mask,
            0,
            "{}: MATCH has bits outside MASK",
            pat.name
        );
        assert_eq!(
            pat.mask & 0x7f,
            0x7f,
            "{}: mask must cover the major opcode",
            pat.name
        );
        assert_eq!(pat.matches & 3, 3, "{}: not a 32-bit encoding", pat.name);
    }
    let missing: Vec<Op> = Op::ALL
        .iter()
        .copied()
        .filter(|&op| op != Op::Illegal && !seen.contains(&op))
        .collect();
    assert!(missing.is_empty(), "ops without a pattern: {missing:?}");
}

/// Two MATCH/MASK patterns overlap iff some word matches both: they agree on every bit
/// both masks fix.
fn overlaps(m1: u32, k1: u32, m2: u32, k2: u32) -> bool {
    (m1 ^ m2) & k1 & k2 == 0
}

#[test]
fn no_two_32bit_patterns_overlap() {
    let mut clashes = Vec::new();
    for (i, a) in PATTERNS.iter().enumerate() {
        for b in &PATTERNS[i + 1..] {
            if overlaps(a.matches, a.mask, b.matches, b.mask) {
                clashes.push(format!("{} / {}", a.name, b.name));
            }
        }
    }
    assert!(clashes.is_empty(), "overlapping patterns: {clashes:?}");
}

#[test]
fn no_two_16bit_patterns_overlap() {
    let mut clashes = Vec::new();
    for (i, a) in CPATTERNS.iter().enumerate() {
        assert_ne!(a.matches & 3, 3, "{}: not a 16-bit encoding", a.name);
        assert_eq!(
            a.matches & !a.mask,
            0,
            "{}: MATCH has bits outside MASK",
            a.name
        );
        for b in &CPATTERNS[i + 1..] {
            let (m1, k1, m2, k2) = (a.matches, a.mask, b.matches, b.mask);
            if overlaps(m1.into(), k1.into(), m2.into(), k2.into()) {
                clashes.push(format!("{} / {}", a.name, b.name));
            }
        }
    }
    assert!(clashes.is_empty(), "overlapping patterns: {clashes:?}");
}

/// The lookup index finds each pattern whatever its free bits hold.
#[test]
fn every_pattern_decodes_to_its_op() {
    let fills = [
        0,
        u32::MAX,
        0x5555_5555,
        0xaaaa_aaaa,
        0x1234_5678,
        0xfedc_ba98,
    ];
    for pat in &PATTERNS {
        for fill in fills {
            let raw = pat.matches | (fill & !pat.mask);
            let insn = decode(raw);
            assert_eq!(insn.op, pat.op, "{raw:#010x} should be {}", pat.name);
            assert_eq!((insn.len, insn.raw), (4, raw));
        }
    }
}

/// One hand-checked word (from riscv64-unknown-elf-as) per operand format.
#[test]
fn fields_by_format() {
    #[rustfmt::skip]
    let cases = [
        (Format::R, insn32(0x00c58533, Op::Add, 10, 11, 12, 0, 0, 0)), // add a0,a1,a2
        (Format::R1, insn32(0x600f9493, Op::Clz, 9, 31, 0, 0, 0, 0)), // clz s1,t6
        (Format::I, insn32(0x80058513, Op::Addi, 10, 11, 0, 0, 0, -2048)), // addi a0,a1,-2048
        (Format::Shift, insn32(0x03f31293, Op::Slli, 5, 6, 0, 0, 0, 63)), // slli t0,t1,63
        (Format::Shift, insn32(0x41f5d51b, Op::Sraiw, 10, 11, 0, 0, 0, 31)), // sraiw a0,a1,31
        (Format::Load, insn32(0x80013083, Op::Ld, 1, 2, 0, 0, 0, -2048)), // ld ra,-2048(sp)
        (Format::Store, insn32(0x7ff43fa3, Op::Sd, 0, 8, 31, 0, 0, 2047)), // sd t6,2047(s0)
        (Format::Branch, insn32(0x80b50063, Op::Beq, 0, 10, 11, 0, 0, -4096)), // beq a0,a1,.-4096
        (Format::Branch, insn32(0x7eb51fe3, Op::Bne, 0, 10, 11, 0, 0, 4094)), // bne a0,a1,.+4094
        (Format::U, insn32(0x80000537, Op::Lui, 10, 0, 0, 0, 0, -0x8000_0000)), // lui a0,0x80000
        (Format::U, insn32(0xfffff297, Op::Auipc, 5, 0, 0, 0, 0, -4096)), // auipc t0,0xfffff
        (Format::Jal, insn32(0x7ffff0ef, Op::Jal, 1, 0, 0, 0, 0, 1048574)), // jal ra,.+1048574
        (Format::Jal, insn32(0x8000006f, Op::Jal, 0, 0, 0, 0, 0, -1048576)), // jal zero,.-1048576
        (Format::Jalr, insn32(0xfff782e7, Op::Jalr, 5, 15, 0, 0, 0, -1)), // jalr t0,-1(a5)
        (Format::Csr, insn32(0x7ff49573, Op::Csrrw, 10, 9, 0, 0, 0, 0x7ff)), // csrrw a0,0x7ff,s1
        (Format::Csr, insn32(0xfff02573, Op::Csrrs, 10, 0, 0, 0, 0, 0xfff)), // csrrs a0,0xfff,zero
        (Format::CsrI, insn32(0x300fe573, Op::Csrrsi, 10, 31, 0, 0, 0, 0x300)), // csrrsi a0,mstatus,31
        (Format::Fence, insn32(0x0210000f, Op::Fence, 0, 0, 0, 0, 0, 0x021)), // fence r,w
        (Format::Fence, insn32(0x8330000f, Op::Fence, 0, 0, 0, 0, 0, 0x833)), // fence.tso
        (Format::FenceI, insn32(0x0000100f, Op::FenceI, 0, 0, 0, 0, 0, 0)), // fence.i
        (Format::System, insn32(0x00000073, Op::Ecall, 0, 0, 0, 0, 0, 0)), // ecall
        (Format::SfenceVma, insn32(0x12b50073, Op::SfenceVma, 0, 10, 11, 0, 0, 0)), // sfence.vma a0,a1
        (Format::Cbo, insn32(0x004fa00f, Op::CboZero, 0, 31, 0, 0, 0, 0)), // cbo.zero (t6)
        (Format::Lr, insn32(0x1605b52f, Op::LrD, 10, 11, 0, 0, 0, 0)), // lr.d.aqrl a0,(a1)
        (Format::Amo, insn32(0xe263a2af, Op::AmomaxuW, 5, 7, 6, 0, 0, 0)), // amomaxu.w.rl t0,t1,(t2)
        (Format::FpLoad, insn32(0xffc52f87, Op::Flw, 31, 10, 0, 0, 0, -4)), // flw ft11,-4(a0)
        (Format::FpStore, insn32(0x06f11227, Op::Fsh, 0, 2, 15, 0, 0, 100)), // fsh fa5,100(sp)
        (Format::FpR4, insn32(0x6ac5b543, Op::FmaddD, 10, 11, 12, 13, 3, 0)), // fmadd.d fa0,fa1,fa2,fa3,rup
        (Format::FpR3Rm, insn32(0x0c20a053, Op::FsubH, 0, 1, 2, 0, 2, 0)), // fsub.h ft0,ft1,ft2,rdn
        (Format::FpR3, insn32(0x2124a453, Op::FsgnjxS, 8, 9, 18, 0, 0, 0)), // fsgnjx.s fs0,fs1,fs2
        (Format::FpCmp, insn32(0xa2c59553, Op::FltD, 10, 11, 12, 0, 0, 0)), // flt.d a0,fa1,fa2
        (Format::FpR1Rm, insn32(0x5805c553, Op::FsqrtS, 10, 11, 0, 0, 4, 0)), // fsqrt.s fa0,fa1,rmm
        (Format::FpToX, insn32(0xc23f95d3, Op::FcvtLuD, 11, 31, 0, 0, 1, 0)), // fcvt.lu.d a1,ft11,rtz
        (Format::XToFp, insn32(0xd42ff553, Op::FcvtHL, 10, 31, 0, 0, 7, 0)), // fcvt.h.l fa0,t6
        (Format::FpToXNoRm, insn32(0xe2000553, Op::FmvXD, 10, 0, 0, 0, 0, 0)), // fmv.x.d a0,ft0
        (Format::XToFpNoRm, insn32(0xf4058553, Op::FmvHX, 10, 11, 0, 0, 0, 0)), // fmv.h.x fa0,a1
    ];
    for (format, want) in cases {
        let got = decode(want.raw);
        assert_eq!(got, want, "{:#010x}", want.raw);
        assert_eq!(
            super::table::pattern_of(got.op).map(|p| p.format),
            Some(format)
        );
    }
    let lr = decode(0x1605b52f);
    assert!(lr.aq() && lr.rl());
    let amo = decode(0xe263a2af);
    assert!(!amo.aq() && amo.rl());
    let fence = decode(0x0210000f);
    assert_eq!((fence.fence_pred(), fence.fence_succ()), (0b0010, 0b0001));
}

/// Every C form, as (16-bit word, the 32-bit word it stands for), both assembled by
/// riscv64-unknown-elf-as (`.option rvc` / `.option norvc`).
#[rustfmt::skip]
const C_PAIRS: [(u16, u32, &str); 44] = [
    (0x1fe8, 0x3fc10513, "c.addi4spn a0,sp,1020"),
    (0x0044, 0x00410493, "c.addi4spn s1,sp,4"),
    (0x3ffc, 0x0f87b787, "c.fld fa5,248(a5)"),
    (0x5de8, 0x07c5a503, "c.lw a0,124(a1)"),
    (0x7fe0, 0x0f87b403, "c.ld s0,248(a5)"),
    (0xa500, 0x00853427, "c.fsd fs0,8(a0)"),
    (0xc2b0, 0x04c6a023, "c.sw a2,64(a3)"),
    (0xe4d8, 0x08e4b423, "c.sd a4,136(s1)"),
    (0x0001, 0x00000013, "c.nop"),
    (0x1501, 0xfe050513, "c.addi a0,-32"),
    (0x0ffd, 0x01ff8f93, "c.addi t6,31"),
    (0x357d, 0xfff5051b, "c.addiw a0,-1"),
    (0x5781, 0xfe000793, "c.li a5,-32"),
    (0x4015, 0x00500013, "c.li zero,5 (HINT)"),
    (0x7501, 0xfffe0537, "c.lui a0,0xfffe0"),
    (0x62fd, 0x0001f2b7, "c.lui t0,0x1f"),
    (0x7101, 0xe0010113, "c.addi16sp sp,-512"),
    (0x617d, 0x1f010113, "c.addi16sp sp,496"),
    (0x917d, 0x03f55513, "c.srli a0,63"),
    (0x8485, 0x4014d493, "c.srai s1,1"),
    (0x9bfd, 0xfff7f793, "c.andi a5,-1"),
    (0x8d0d, 0x40b50533, "c.sub a0,a1"),
    (0x8c3d, 0x00f44433, "c.xor s0,a5"),
    (0x8e55, 0x00d66633, "c.or a2,a3"),
    (0x8f7d, 0x00f77733, "c.and a4,a5"),
    (0x9d05, 0x4095053b, "c.subw a0,s1"),
    (0x9da9, 0x00a585bb, "c.addw a1,a0"),
    (0xaffd, 0x7fe0006f, "c.j .+2046"),
    (0xb001, 0x801ff06f, "c.j .-2048"),
    (0xcd7d, 0x0e050f63, "c.beqz a0,.+254"),
    (0xf081, 0xf00490e3, "c.bnez s1,.-256"),
    (0x157e, 0x03f51513, "c.slli a0,63"),
    (0x0f86, 0x001f9f93, "c.slli t6,1"),
    (0x357e, 0x1f813507, "c.fldsp fa0,504(sp)"),
    (0x50fe, 0x0fc12083, "c.lwsp ra,252(sp)"),
    (0x7ffe, 0x1f813f83, "c.ldsp t6,504(sp)"),
    (0x8082, 0x00008067, "c.jr ra"),
    (0x857e, 0x01f00533, "c.mv a0,t6"),
    (0x9002, 0x00100073, "c.ebreak"),
    (0x9282, 0x000280e7, "c.jalr t0"),
    (0x94c6, 0x011484b3, "c.add s1,a7"),
    (0xbfee, 0x1fb13c27, "c.fsdsp fs11,504(sp)"),
    (0xdffe, 0x0ff12e23, "c.swsp t6,252(sp)"),
    (0xff86, 0x1e113c23, "c.sdsp ra,504(sp)"),
];

#[test]
fn compressed_expands_to_its_32bit_meaning() {
    for (c, w, text) in C_PAIRS {
        let got = decode(u32::from(c));
        let want = Insn {
            len: 2,
            raw: u32::from(c),
            ..decode(w)
        };
        assert_ne!(want.op, Op::Illegal, "{text}");
        assert_eq!(got, want, "{text} ({c:#06x})");
    }
}

#[test]
fn c_pairs_cover_every_c_form() {
    let covered: BTreeSet<&str> = C_PAIRS
        .iter()
        .filter_map(|&(c, _, _)| compressed::lookup(c).map(|p| p.name))
        .collect();
    for pat in &CPATTERNS {
        assert!(covered.contains(pat.name), "{} not covered", pat.name);
    }
    // The forms that share a row, told apart by register fields.
    for form in [
        "c.nop",
        "c.addi ",
        "c.lui",
        "c.addi16sp",
        "c.jr",
        "c.mv",
        "c.ebreak",
        "c.jalr",
        "c.add ",
    ] {
        assert!(
            C_PAIRS
                .iter()
                .any(|(_, _, t)| format!("{t} ").starts_with(form)),
            "{form} not covered"
        );
    }
}

#[test]
fn compressed_ignores_the_upper_half() {
    let a = decode(0xdead_0505);
    assert_eq!(a, decode(0x0505));
    assert_eq!((a.op, a.len, a.raw), (Op::Addi, 2, 0x0505));
}

#[test]
fn compressed_hints_decode_to_their_base_op() {
    // (bits, op, rd, rs1, rs2, imm): HINTs write x0 or shift by 0, so they do nothing.
    #[rustfmt::skip]
    let hints = [
        (0x0005, Op::Addi, 0, 0, 0, 1, "c.nop 1"),
        (0x4015, Op::Addi, 0, 0, 0, 5, "c.li zero,5"),
        (0x0505 & !0x0f80, Op::Addi, 0, 0, 0, 1, "c.addi zero,1"),
        (0x0006, Op::Slli, 0, 0, 0, 1, "c.slli zero,1"),
        (0x0082, Op::Slli, 1, 1, 0, 0, "c.slli64 ra"),
        (0x8001, Op::Srli, 8, 8, 0, 0, "c.srli64 s0"),
        (0x8401, Op::Srai, 8, 8, 0, 0, "c.srai64 s0"),
        (0x8006, Op::Add, 0, 0, 1, 0, "c.mv zero,ra"),
        (0x9006, Op::Add, 0, 0, 1, 0, "c.add zero,ra"),
        (0x6005, Op::Lui, 0, 0, 0, 0x1000, "c.lui zero,1"),
    ];
    for (bits, op, rd, rs1, rs2, imm, text) in hints {
        let insn = decode(bits);
        assert_eq!(
            (insn.op, insn.rd, insn.rs1, insn.rs2, insn.imm),
            (op, rd, rs1, rs2, imm),
            "{text}"
        );
    }
}

#[test]
fn illegal_encodings() {
    #[rustfmt::skip]
    let cases: [(u32, u8, &str); 29] = [
        (0x0000_0000, 2, "all zero (c.unimp)"),
        (0xffff_ffff, 4, "all ones"),
        (0x0000_0004, 2, "c.addi4spn with nzuimm 0"),
        (0x8000, 2, "quadrant 0 funct3 100 (reserved)"),
        (0x9c41, 2, "quadrant 1 100 111 10 (Zcb c.mul, not implemented)"),
        (0x9c61, 2, "quadrant 1 100 111 11 (Zcb)"),
        (0x2001, 2, "c.addiw rd=0"),
        (0x6001, 2, "c.lui rd=0 imm 0"),
        (0x6081, 2, "c.lui ra,0"),
        (0x6101, 2, "c.addi16sp sp,0"),
        (0x8002, 2, "c.jr zero"),
        (0x4002, 2, "c.lwsp rd=0"),
        (0x6002, 2, "c.ldsp rd=0"),
        (0x0000_001f, 4, "48-bit prefix"),
        (0x0000_007f, 4, "80-bit+ prefix"),
        (0x1015_a52f, 4, "lr.w with rs2 != 0"),
        (0x0e05_e533, 4, "OP funct7 0000111 funct3 6 (czero.* are 5 and 7)"),
        (0x3020_0173, 4, "mret with rd != 0"),
        (0x1030_0073, 4, "system funct3 0, unknown imm"),
        (0xe000_2553, 4, "fmv.x.w funct3 2"),
        (0x06c5_8553, 4, "fadd.q (no Q extension)"),
        (0x0205_951b, 4, "slliw with shamt[5] set"),
        (0x0405_d513, 4, "srli with imm[11:6] = 000001"),
        (0x0000_9067, 4, "jalr funct3 1"),
        (0x0000_7003, 4, "load funct3 7"),
        (0x0000_00f3, 4, "ecall with rd != 0"),
        (0x004f_a08f, 4, "cbo.zero with rd != 0"),
        (0x0000_500f, 4, "misc-mem funct3 5"),
        (0x0000_0057, 4, "OP-V (no V extension)"),
    ];
    for (bits, len, text) in cases {
        let insn = decode(bits);
        assert_eq!(insn, Insn::illegal(bits, len), "{text}");
        let out = disasm(&insn, 0);
        assert!(
            out.starts_with(if len == 2 { ".2byte" } else { ".4byte" }),
            "{out}"
        );
    }
}

#[test]
fn every_16bit_word_decodes_without_panic() {
    let mut legal = 0;
    for bits in 0..=u16::MAX {
        if bits & 3 == 3 {
            continue;
        }
        let insn = decode(u32::from(bits));
        assert_eq!((insn.len, insn.raw), (2, u32::from(bits)));
        if insn.op != Op::Illegal {
            legal += 1;
            assert!(compressed::lookup(bits).is_some());
            assert!(!disasm(&insn, 0x1000).is_empty());
        }
    }
    // 3 quadrants x 8192 words, minus the reserved space (c.unimp/Zcb/reserved fields).
    assert!(legal > 40000, "only {legal} legal 16-bit words");
}

proptest::proptest! {
    #[test]
    fn decode_and_disasm_never_panic(bits in proptest::prelude::any::<u32>(), pc in proptest::prelude::any::<u64>()) {
        let insn = decode(bits);
        let text = disasm(&insn, pc);
        proptest::prop_assert!(!text.is_empty());
        if insn.len == 4 {
            proptest::prop_assert_eq!(insn.raw, bits);
        }
    }
}

#[test]
fn disasm_examples() {
    let cases = [
        (0x0015_0513, 0, "addi a0,a0,1"),
        (0x0081_3083, 0, "ld ra,8(sp)"),
        (0x00b5_0863, 0x8000_0000, "beq a0,a1,0x80000010"),
        (0xfeb5_1ee3, 0x8000_0000, "bne a0,a1,0x7ffffffc"),
        (0x3005_1073, 0, "csrrw zero,mstatus,a0"),
        (0x14d0_2573, 0, "csrrs a0,stimecmp,zero"),
        (0x7c00_2573, 0, "csrrs a0,0x7c0,zero"),
        (0x00c5_f553, 0, "fadd.s fa0,fa1,fa2"),
        (0x02c5_9553, 0, "fadd.d fa0,fa1,fa2,rtz"),
        (0xd205_0553, 0, "fcvt.d.w fa0,a0"),
        (0xd205_7553, 0, "fcvt.d.w fa0,a0,dyn"),
        (0x1405_a52f, 0, "lr.w.aq a0,(a1)"),
        (0x06b6_352f, 0, "amoadd.d.aqrl a0,a1,(a2)"),
        (0x8330_000f, 0, "fence.tso"),
        (0x0100_000f, 0, "pause"),
        (0x0ff0_000f, 0, "fence iorw,iorw"),
        (0x0205_6013, 0, "prefetch.i 32(a0)"),
        (0x0215_6013, 0, "prefetch.r 32(a0)"),
        (0x0235_6013, 0, "prefetch.w 32(a0)"),
        (0x0225_6013, 0, "ori zero,a0,34"),
        (0xfffff537, 0, "lui a0,0xfffff"),
        (0x0285_9513, 0, "slli a0,a1,0x28"),
        (0x0805_c53b, 0, "zext.h a0,a1"),
        (0x0505, 0, "addi a0,a0,1"),
        (0x8082, 0, "jalr zero,0(ra)"),
        (0xbfe5, 0x1000, "jal zero,0xff8"),
        (0x0000, 0, ".2byte 0x0"),
        (0xffff_ffff, 0, ".4byte 0xffffffff"),
    ];
    for (bits, pc, want) in cases {
        assert_eq!(disasm(&decode(bits), pc), want, "{bits:#010x}");
    }
    assert_eq!(op_name(Op::Sh1addUw), "sh1add.uw");
    assert_eq!(op_name(Op::FcvtWuS), "fcvt.wu.s");
    assert_eq!(op_name(Op::Illegal), "illegal");
    assert_eq!(csr_name(0x180), Some("satp"));
    assert_eq!(csr_name(0x3ef), Some("pmpaddr63"));
    assert_eq!(csr_name(0xb1f), Some("mhpmcounter31"));
    assert_eq!(csr_name(0x7c0), None);
}

/// Fills the free bits of a pattern with register a0..a3 (rd, rs1, rs2, rs3), funct3 = 7
/// (dynamic rounding) and bit 25 set, or with a second, different set of values.
const FILLS: [u32; 2] = [
    (13 << 27) | (1 << 25) | (12 << 20) | (11 << 15) | (7 << 12) | (10 << 7),
    (31 << 27) | (2 << 25) | (31 << 20) | (1 << 15) | (1 << 12) | (31 << 7),
];

/// Extra words: HINTs, fence variants, rounding modes, CSR names, negative offsets,
/// the compressed forms that share a row, and illegal words.
#[rustfmt::skip]
const EXTRA: [u32; 34] = [
    0x8330_000f, 0x0100_000f, 0x0ff0_000f, 0x0000_000f, 0x0205_6013, 0x0215_6013, 0x0235_6013,
    0x3005_1073, 0x1800_2573, 0x3a00_2573, 0x3ef0_2573, 0x0030_d073, 0x7c00_2573, 0x14d0_2573,
    0x02c5_8553, 0x02c5_9553, 0x02c5_a553, 0x02c5_b553, 0x02c5_c553, 0x02c5_d553, 0x02c5_f553,
    0xd205_0553, 0x4205_8553, 0x1405_a52f, 0x1205_a52f, 0x06b6_352f,
    0x80b5_0063, 0x8000_006f, 0x8001_3083, 0xfffff537,
    0x0000_0000, 0xffff_ffff, 0x0000_8002, 0x0000_9c41,
];

/// (pc, word) pairs: every pattern with both fills, every compressed pair, the extras.
fn corpus() -> Vec<(u64, u32)> {
    let mut words = Vec::new();
    for pat in &PATTERNS {
        for fill in FILLS {
            words.push(pat.matches | (fill & !pat.mask));
        }
    }
    for (c, _, _) in C_PAIRS {
        words.push(u32::from(c));
    }
    words.extend([0x0005, 0x0082, 0x8006, 0x9006, 0x6005]); // C HINTs
    words.extend(EXTRA);
    let mut pc = 0x8000_0000u64;
    words
        .into_iter()
        .map(|w| {
            let at = pc;
            pc += u64::from(decode(w).len);
            (at, w)
        })
        .collect()
}

#[test]
fn snapshot_covers_every_op_and_c_form() {
    let corpus = corpus();
    let ops: BTreeSet<Op> = corpus.iter().map(|&(_, w)| decode(w).op).collect();
    assert_eq!(ops.len(), Op::ALL.len(), "ops missing from the corpus");
    let forms: BTreeSet<String> = corpus
        .iter()
        .filter_map(|&(_, w)| compressed::lookup(w as u16).filter(|_| w & 3 != 3))
        .map(|p| format!("{:?}", p.form))
        .collect();
    assert_eq!(forms.len(), CPATTERNS.len());
    assert!(forms.contains(&format!("{:?}", CForm::JrMv)));
}

#[test]
fn disasm_snapshot() {
    let mut out = String::new();
    for (pc, bits) in corpus() {
        let insn = decode(bits);
        let hex = if insn.len == 2 {
            format!("{:04x}    ", bits & 0xffff)
        } else {
            format!("{bits:08x}")
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{pc:08x}: {hex}  {}", disasm(&insn, pc));
    }
    insta::assert_snapshot!("disasm", out);
}
