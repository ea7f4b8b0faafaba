//! Golden tests of the x86-64 backend: guest snippets in, the emitted host code out
//! (disassembled with capstone), kept as insta snapshots. Re-bless with
//! `INSTA_UPDATE=always cargo test -p emu-cpu --test jit_golden` after reviewing the diff.
//!
//! Blocks are assembled for a fixed address (0x10000, epilogue at 0x1000, page offset 0x100)
//! so the text is stable; host pointers (helper functions, instruction records) are replaced
//! by `<host>`.
#![cfg(target_arch = "x86_64")]

use emu_cpu::decode::decode;
use emu_cpu::jit::disassemble_host;
use emu_cpu::jit::x86_64::{emit_block_for, HostFeatures};

/// The snapshots are of code for a host with BMI2 (`emit_on` pins other features).
fn emit(words: &[u32]) -> String {
    emit_on(HostFeatures { bmi2: true }, words)
}

fn emit_on(features: HostFeatures, words: &[u32]) -> String {
    let insns: Vec<_> = words.iter().map(|&w| decode(w)).collect();
    let code = emit_block_for(features, &insns, 0x10000, 0x1000, 0x100).expect("emits");
    redact(&disassemble_host(&code, 0x10000))
}

/// Replaces 64-bit immediates that are host user-space pointers with `<host>`.
fn redact(text: &str) -> String {
    text.lines()
        .map(|l| {
            let Some(pos) = l.rfind("0x") else {
                return l.to_string();
            };
            let hex = &l[pos + 2..];
            match u64::from_str_radix(hex, 16) {
                Ok(v) if (0x1000_0000_0000..0x8000_0000_0000).contains(&v) => {
                    format!("{}<host>", &l[..pos])
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn alu_and_constants() {
    insta::assert_snapshot!(emit(&[
        0x12345537, // lui a0, 0x12345
        0x00150513, // addi a0, a0, 1
        0x00c58533, // add a0, a1, a2
        0x40c585b3, // sub a1, a1, a2
        0x00100613, // li a2, 1 (addi a2, zero, 1)
        0x02c58533, // mul a0, a1, a2
        0x00b5053b, // addw a0, a0, a1
    ]));
}

#[test]
fn loads_and_stores_with_inline_tlb() {
    insta::assert_snapshot!(emit(&[
        0x0085b503, // ld a0, 8(a1)
        0x00a13823, // sd a0, 16(sp)
        0xffc5c603, // lbu a2, -4(a1)
    ]));
}

/// Without BMI2 the TLB index takes a copy and a shift instead of `rorx`.
#[test]
fn load_without_bmi2() {
    insta::assert_snapshot!(emit_on(
        HostFeatures { bmi2: false },
        &[
            0x0085b503, // ld a0, 8(a1)
        ]
    ));
}

#[test]
fn branch_exits_are_chainable() {
    insta::assert_snapshot!(emit(&[
        0x00150513, // addi a0, a0, 1
        0x00b50463, // beq a0, a1, +8
    ]));
}

#[test]
fn return_goes_through_the_indirect_table() {
    insta::assert_snapshot!(emit(&[
        0x00008067, // jalr zero, 0(ra)
    ]));
}

#[test]
fn instructions_without_native_code_call_the_interpreter() {
    insta::assert_snapshot!(emit(&[
        0xe2059553, // fclass.d a0, fa1
        0x00000073, // ecall
    ]));
}

#[test]
fn self_loop_jumps_to_its_own_start() {
    insta::assert_snapshot!(emit(&[
        0xfff50513, // addi a0, a0, -1
        0xfe051ee3, // bnez a0, -4
    ]));
}

#[test]
fn fused_pairs() {
    insta::assert_snapshot!(emit(&[
        0x02059513, // slli a0, a1, 32
        0x02055513, // srli a0, a0, 32 (zext.w a0, a1)
        0x00000097, // auipc ra, 0
        0x010080e7, // jalr ra, 16(ra) (a direct call)
    ]));
}

#[test]
fn division_by_zero_and_overflow() {
    insta::assert_snapshot!(emit(&[
        0x02c5c533, // div a0, a1, a2
    ]));
}

#[test]
fn self_loop_borrows_host_registers_for_its_counters() {
    insta::assert_snapshot!(emit(&[
        0x00b30023, // sb a1, 0(t1)
        0xfff60613, // addi a2, a2, -1
        0x00130313, // addi t1, t1, 1 (t1 lives in the hart state outside the loop)
        0xfe061ae3, // bnez a2, -12
    ]));
}

#[test]
fn floating_point_runs_on_sse_with_a_slow_path() {
    insta::assert_snapshot!(emit(&[
        0x0085b507, // fld fa0, 8(a1)
        0x02c5f553, // fadd.d fa0, fa1, fa2 (dynamic rm: frm checked)
        0xa2b52553, // feq.d a0, fa0, fa1
        0xc2259553, // fcvt.l.d a0, fa1, rtz
        0x00a5b427, // fsd fa0, 8(a1)
    ]));
}

/// A grouped load's out-of-line path may call Rust, which clobbers xmm registers: the f
/// register cached by the fld is read from the hart state again by the fadd after the
/// group's loads, not taken from xmm3.
#[test]
fn fp_cache_forgotten_across_grouped_accesses() {
    insta::assert_snapshot!(emit(&[
        0x0005_b787, // fld fa5, 0(a1)
        0x0005_3703, // ld a4, 0(a0)
        0x0085_3683, // ld a3, 8(a0)
        0x02f7_8553, // fadd.d fa0, fa5, fa5
    ]));
}
