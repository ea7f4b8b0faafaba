//! Differential tests: random programs run on the interpreter (the definition of the ISA) and
//! on the JIT must leave identical integer and FP registers, fflags/frm, CSRs, pc, instret,
//! trap sequences and memory (design decision 1; issue 3).
//!
//! Per run: 100,000 single-instruction programs, 100,000 five-instruction blocks, 500
//! hundred-instruction blocks and 40 thousand-instruction ones (times `RVX_DIFF_SCALE`: default 1 with `--release`,
//! 0.05 in debug builds). `RVX_DIFF_SEED=<hex>`
//! changes the base seed; `RVX_DIFF_REPLAY=<seed>:<items>` replays one program verbosely.
//! A divergence is shrunk to a minimal program and printed with a ready-to-paste regression
//! test; paste it at the end of this file.
//!
//! How a program runs (see `difftest/`): the harness writes the initial registers, FP
//! registers, fcsr, mstatus (FS, SUM, MXR, MPRV, ...), counter enables, envcfg and satp
//! straight into a fresh hart, builds Sv39/Sv48 page tables in RAM (code identity-mapped,
//! four data pages with assorted permissions, a gigapage alias), and starts it at an `mret`
//! into the body in M, S or U mode. Every trap goes to an M-mode handler that logs
//! (mcause, mepc, mtval) and resumes after the trapping instruction; the `ecall` after the
//! body makes the handler write the exit device.

mod difftest;

use difftest::gen::{self, Item, Piece, Rng};
use difftest::machine::{Outcome, Setup, DATA};
use difftest::table::{self, F, PATTERNS};
use difftest::{encode, Engines};
use emu_cpu::decode::{decode, Op};
use std::collections::BTreeSet;
use std::time::Instant;

fn scaled(n: u64) -> u64 {
    ((n as f64 * difftest::env_scale()).round() as u64).max(1)
}

fn run_and_check(batch: &str, count: u64, items: usize) -> difftest::Stats {
    let engines = Engines::default();
    let t = Instant::now();
    let (stats, reports) = difftest::run_batch(&engines, batch, count, items, None, 3);
    eprintln!("{}", stats.summary(batch, t.elapsed().as_secs_f64()));
    for r in &reports {
        eprintln!("{r}");
    }
    assert!(
        reports.is_empty(),
        "{batch}: {} divergences or harness problems",
        reports.len()
    );
    assert_eq!(stats.programs, count);
    assert_eq!(stats.divergences, 0);
    // Programs that end other than through the exit device (double faults) mean the
    // generator lost control; they must stay rare.
    assert!(
        stats.abnormal * 200 <= count,
        "{batch}: {} abnormal exits",
        stats.abnormal
    );
    stats
}

#[test]
fn single_instructions() {
    let stats = run_and_check("single", scaled(100_000), 1);
    if difftest::env_scale() >= 1.0 {
        // Every operation the decoder knows was generated at least once.
        let missing: Vec<Op> = Op::ALL
            .iter()
            .copied()
            .filter(|op| *op != Op::Illegal && !stats.ops.contains_key(op))
            .collect();
        assert!(missing.is_empty(), "never generated: {missing:?}");
        // ... and so was every kind of trap the generator aims at.
        for cause in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15] {
            assert!(
                stats.traps.contains_key(&cause),
                "no trap with mcause {cause}"
            );
        }
    }
}

#[test]
fn five_instruction_blocks() {
    run_and_check("five", scaled(100_000), 5);
}

#[test]
fn hundred_instruction_blocks() {
    run_and_check("hundred", scaled(500), 100);
}

/// Long programs with the JIT's smallest code cache, which fills up and is flushed.
#[test]
fn thousand_instruction_blocks() {
    run_and_check("thousand", scaled(40), 1000);
}

/// The pattern rows of F/D/Zfh computational instructions.
fn fp_compute_rows() -> Vec<(Op, u32, u32, F)> {
    PATTERNS
        .iter()
        .filter(|r| table::is_fp_compute(r.3))
        .copied()
        .collect()
}

/// Blocks of eight F/D/Zfh computational instructions on operands at the edges of the normal
/// range (and the usual specials), with FS, fflags and frm in every state: the cases where the
/// JIT's host-FPU code must either keep the SSE result or hand the instruction to the
/// interpreter (NaNs, overflow, tiny results, inexact, saturating conversions, NX already set
/// or not, FS Clean or Dirty).
#[test]
fn fp_blocks_at_range_edges() {
    let rows = fp_compute_rows();
    let engines = Engines::default();
    let mut rng = Rng::new(difftest::program_seed(difftest::env_seed(), "fp-edges", 0));
    let count = scaled(20_000);
    let mut failures = difftest::Divergences::default();
    for _ in 0..count {
        let mut setup = m_mode_setup(3, 0);
        setup.mstatus = rng.pick(&[1u64, 2, 3, 3]) << 13;
        setup.fflags = rng.below(32) as u8 & if rng.chance(500) { !1 } else { 0xff };
        setup.frm = rng.pick(&[0, 0, 0, 1, 2, 7]);
        for f in setup.f.iter_mut() {
            *f = gen::interesting_f(&mut rng);
        }
        for x in setup.x.iter_mut().skip(1) {
            *x = gen::interesting_x(&mut rng);
        }
        let words: Vec<u32> = (0..8)
            .map(|_| {
                let (_, mask, m, f) = rng.pick(&rows);
                let mut w = m | (rng.next() as u32 & !mask);
                if table::has_rm(f) {
                    w = (w & !(7 << 12)) | rng.pick(&[0u32, 0, 0, 1, 3, 7, 7]) << 12;
                }
                w
            })
            .collect();
        failures.check(&engines, &setup, &words);
    }
    failures.assert_none();
}

/// `RVX_DIFF_REPLAY=<seed>:<items>`: runs that one program and prints both outcomes.
#[test]
fn replay() {
    let Ok(spec) = std::env::var("RVX_DIFF_REPLAY") else {
        return;
    };
    let (seed, n) = spec
        .split_once(':')
        .expect("RVX_DIFF_REPLAY=<seed>:<items>");
    let seed = u64::from_str_radix(seed.trim_start_matches("0x"), 16).expect("hex seed");
    let n: usize = n.parse().expect("item count");
    let (setup, items) = difftest::program(seed, n);
    let words = gen::resolve(setup.body_base, &items);
    let engines = Engines::default();
    let c = engines.compare(&setup, &words, None);
    eprintln!(
        "{}\n{}",
        setup.to_rust(),
        difftest::listing(setup.body_base, &words)
    );
    eprintln!(
        "interpreter: {:x?}\ntraps {:x?}",
        c.interp.exit, c.interp.traps
    );
    eprintln!("jit:         {:x?}\ntraps {:x?}", c.jit.exit, c.jit.traps);
    if c.diff.is_some() {
        let (report, _) = difftest::divergence_report(&engines, seed, &setup, &items, None);
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------
// The harness itself

/// Every row of the decoder's table decodes to its operation and every operation has a row.
#[test]
fn table_matches_decoder() {
    let mut seen = BTreeSet::new();
    for &(op, mask, m, _) in PATTERNS.iter() {
        assert_eq!(m & !mask, 0);
        assert_eq!(decode(m).op, op, "{m:#010x}");
        seen.insert(op);
    }
    for op in Op::ALL {
        assert!(
            op == Op::Illegal || seen.contains(&op),
            "{op:?} missing from the decoder table"
        );
    }
}

#[test]
fn encoders_round_trip_through_the_decoder() {
    let mut rng = Rng::new(1);
    for _ in 0..10_000 {
        let off = (rng.below(8192) as i64 - 4096) & !1;
        assert_eq!(decode(encode::set_b_offset(0x0000_0063, off)).imm, off);
        let off = (rng.below(1 << 21) as i64 - (1 << 20)) & !1;
        assert_eq!(decode(encode::set_j_offset(0x0000_006f, off)).imm, off);
        let off = (rng.below(512) as i64 - 256) & !1;
        let w = encode::set_cb_offset(0xc001 | 3 << 7, off);
        assert_eq!(
            (decode(w).op, decode(w).imm, decode(w).rs1),
            (Op::Beq, off, 11)
        );
        let off = (rng.below(4096) as i64 - 2048) & !1;
        assert_eq!(decode(encode::set_cj_offset(0xa001, off)).imm, off);
    }
}

/// `li` sequences and auipc pairs compute their value (run on the interpreter).
#[test]
fn li_and_address_pairs_compute_their_values() {
    let mut rng = Rng::new(2);
    let engines = Engines::default();
    for _ in 0..200 {
        let mut setup = difftest::program(rng.next(), 0).0;
        setup.priv_ = 3;
        setup.satp_mode = 0;
        let values: Vec<u64> = (0..4).map(|_| gen::interesting_x(&mut rng)).collect();
        let mut words = Vec::new();
        for (k, &v) in values.iter().enumerate() {
            words.extend(encode::li(10 + k as u8, v));
        }
        let target = DATA + rng.below(0x1000);
        let base = setup.body_base + 4 * words.len() as u64;
        words.extend(encode::pc_rel_pair(14, base, target).expect("in range"));
        let o = engines.interp.run(&setup, &words);
        assert_eq!(o.exit, "Stopped");
        assert_eq!(
            &o.x[10..14],
            &values[..],
            "{}",
            difftest::listing(setup.body_base, &words)
        );
        assert_eq!(o.x[14], target);
    }
}

fn m_mode_setup(priv_: u8, satp_mode: u8) -> Setup {
    let mut setup = difftest::program(7, 0).0;
    setup.priv_ = priv_;
    setup.satp_mode = satp_mode;
    setup.mstatus = 3 << 13;
    setup.passes = 0;
    setup.data_pte[0] = difftest::machine::pte_flags(difftest::machine::RW)
        | if priv_ == 0 { difftest::machine::U } else { 0 };
    setup.code_pte = difftest::machine::pte_flags(difftest::machine::RX)
        | if priv_ == 0 { difftest::machine::U } else { 0 };
    setup
}

/// The handler logs each trap and resumes after the trapping instruction (2 or 4 bytes),
/// in every privilege mode; the registers it borrows are given back.
#[test]
fn handler_logs_traps_and_resumes() {
    let engines = Engines::default();
    for (priv_, satp, ecall_cause) in [(3, 0, 11), (1, 8, 9), (0, 8, 8), (0, 9, 8), (1, 0, 9)] {
        let setup = m_mode_setup(priv_, satp);
        let mut words = vec![encode::ECALL, 0x0000, 0x0010_0073];
        words.extend(encode::pc_rel_pair(11, setup.body_base + 10, 0x7000_0000).expect("near"));
        words.push(encode::i_type(encode::LOAD, 12, 3, 11, 0)); // ld a2, 0(a1)
        words.push(encode::i_type(encode::OP_IMM, 13, 0, 0, 42)); // li a3, 42
        let o = engines.interp.run(&setup, &words);
        let b = setup.body_base;
        let fault = if satp != 0 { 13 } else { 5 };
        assert_eq!(o.exit, "Stopped");
        assert_eq!(
            o.traps,
            vec![
                [ecall_cause, b, 0],
                [2, b + 4, 0],
                [3, b + 6, b + 6],
                [fault, b + 18, 0x7000_0000],
                [ecall_cause, b + 26, 0],
            ],
            "priv {priv_}"
        );
        assert_eq!(o.x[13], 42);
        assert_eq!(&o.x[5..8], &setup.x[5..8]);
        assert_eq!(o.priv_, 3);
    }
}

fn flip_x5(_: &[u32], o: &mut Outcome) {
    o.x[5] ^= 1 << 17;
}

fn flip_memory(_: &[u32], o: &mut Outcome) {
    let data = o
        .mem
        .iter_mut()
        .find(|m| m.0 == "data")
        .expect("data region");
    data.2[0x123] ^= 0x40;
}

fn drop_trap(_: &[u32], o: &mut Outcome) {
    o.traps.pop();
}

/// A planted bug: the "JIT" gets mulh wrong whenever the program contains one.
fn mulh_bug(words: &[u32], o: &mut Outcome) {
    if words.iter().any(|&w| decode(w).op == Op::Mulh) {
        o.f[3] ^= 1;
    }
}

/// The comparison notices a difference in registers, memory or the trap log, and the
/// shrinker reduces a planted bug to the one instruction that triggers it.
#[test]
fn detects_and_shrinks_planted_divergences() {
    let engines = Engines::default();
    let (setup, items) = difftest::program(99, 20);
    let words = gen::resolve(setup.body_base, &items);
    assert_eq!(engines.compare(&setup, &words, None).diff, None);

    let c = engines.compare(&setup, &words, Some(&flip_x5));
    assert!(
        c.diff.as_deref().is_some_and(|d| d.starts_with("x5 (t0)")),
        "{:?}",
        c.diff
    );
    let c = engines.compare(&setup, &words, Some(&flip_memory));
    let d = c.diff.unwrap_or_default();
    assert!(
        d.starts_with(&format!("memory data at {:#x}", DATA + 0x120)),
        "{d}"
    );
    let c = engines.compare(&setup, &words, Some(&drop_trap));
    assert!(
        c.diff.as_deref().is_some_and(|d| d.starts_with("trap #")),
        "{:?}",
        c.diff
    );

    // A batch with the planted bug finds it and shrinks it to `mulh` plus the exit.
    let (stats, reports) = difftest::run_batch(&engines, "planted", 300, 20, Some(&mulh_bug), 1);
    assert!(stats.divergences > 0);
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].contains("minimal program (1 items)"),
        "{}",
        reports[0]
    );
    assert!(reports[0].contains("fn regression_"));

    let mut items = gen::gen_body(&mut Rng::new(5), &setup, 30);
    items[17] = Item {
        pieces: vec![Piece::Word(0x02b5_1533)], // mulh a0, a0, a1
    };
    let mut fails = |cand: &[Item]| {
        let w = gen::resolve(setup.body_base, cand);
        engines.compare(&setup, &w, Some(&mulh_bug)).diff.is_some()
    };
    let min = difftest::shrink(&items, &mut fails);
    assert_eq!(min, vec![items[17].clone()]);
}

// ---------------------------------------------------------------------------------------
// Regressions found by the random tests (paste new ones below).

fn regress(setup: Setup, words: &[u32]) {
    difftest::regress(setup, words)
}

/// Found by the generator in a debug build: a store to the last page of the physical address
/// space made `Bus::page_backing` compute `page + PAGE_SIZE` and overflow (a panic with
/// overflow checks; the wrapped value happened to give the right answer in release builds).
#[test]
fn access_to_the_last_page_of_the_address_space() {
    let setup = m_mode_setup(3, 0);
    let mut words = encode::li(10, 0xffff_ffff_ffff_f008);
    words.push(encode::s_type(encode::STORE, 3, 10, 0, 0)); // sd zero, 0(a0)
    words.push(encode::i_type(encode::LOAD, 11, 3, 10, 0)); // ld a1, 0(a0)
    regress(setup.clone(), &words);
    let o = Engines::default().jit.run(&setup, &words);
    let causes: Vec<u64> = o.traps.iter().map(|t| t[0]).collect();
    assert_eq!(causes, [7, 5, 11]);
}

/// Found by `thousand_instruction_blocks` (RVX_DIFF_SEED=99, program seed
/// 0x9bee04b6a08f0a2d; shrunk to 366 items, all needed to fill the code cache), then
/// written by hand: when translating a block fills the JIT's code cache, the dispatcher
/// flushes every block, including the one it is about to run, so that block's page is no
/// longer a code page. A store from that block into its own later instructions then goes
/// undetected and the block runs the stale instruction (the interpreter re-decodes).
/// Each block below is large (so it is the one whose translation overflows the 64 KiB
/// cache), then patches the `addi a0, a0, 2` that follows its store into `addi a0, a0, 1`.
#[test]
fn self_modifying_block_translated_when_the_code_cache_fills() {
    let mut setup = m_mode_setup(3, 0);
    setup.jit_cache_kib = 64;
    setup.body_base = difftest::machine::CODE;
    let mut words = Vec::new();
    for _ in 0..120 {
        // fmadd.d ft0, ft1, ft2, ft3 (a call to the interpreter: long host code)
        words.extend([0x1a20_f043 | 1 << 15 | 2 << 20; 40]);
        words.push(encode::u_type(encode::AUIPC, 6, 0)); // auipc t1, 0
        words.push(encode::i_type(encode::OP_IMM, 6, 0, 6, 20)); // addi t1, t1, 20
        let new = encode::i_type(encode::OP_IMM, 10, 0, 10, 1); // addi a0, a0, 1
        words.extend(encode::li(7, new as i32 as u64)); // lui/addiw t2
        words.push(encode::s_type(encode::STORE, 2, 6, 7, 0)); // sw t2, 0(t1)
        words.push(encode::i_type(encode::OP_IMM, 10, 0, 10, 2)); // addi a0, a0, 2
        words.push(0x0040_006f); // j .+4
    }
    regress(setup, &words);
}

/// F/D instructions inside self-loops, whose blocks keep hart-state registers (the loop
/// counter t1, the base t0, the x operands) in borrowed host registers: the inline paths,
/// the interpreter slow path (NaNs, flags, other rounding modes, FS Off) and fld/fsd with
/// their TLB slow path (misaligned offsets) all read and write x registers wherever the
/// loop keeps them, and count instret right.
#[test]
fn fp_in_self_loops_with_borrowed_registers() {
    const T0: u8 = 5;
    const T1: u8 = 6;
    let rows = fp_compute_rows();
    let engines = Engines::default();
    let mut rng = Rng::new(difftest::program_seed(difftest::env_seed(), "fp-loops", 0));
    let count = scaled(2_000);
    let mut failures = difftest::Divergences::default();
    for _ in 0..count {
        let mut setup = m_mode_setup(3, 0);
        // The loop must not cross a page.
        setup.body_base = difftest::machine::CODE + 0x100;
        // FS: Off (every F/D instruction traps), Initial, Clean, Dirty.
        setup.mstatus = if rng.chance(30) {
            0
        } else {
            rng.pick(&[1u64, 2, 3, 3]) << 13
        };
        setup.fflags = rng.below(32) as u8;
        setup.frm = rng.pick(&[0, 0, 0, 1, 7]);
        for f in setup.f.iter_mut() {
            *f = gen::interesting_f(&mut rng);
        }
        for x in setup.x.iter_mut().skip(1) {
            *x = gen::interesting_x(&mut rng);
        }
        let mut words = encode::li(T1, 2 + rng.below(5));
        words.extend(encode::li(T0, DATA + 8 * rng.below(64)));
        let n = 2 + rng.below(8) as usize;
        let mut body = Vec::new();
        for _ in 0..n {
            if rng.chance(250) {
                // fld/fsd/flw/fsw f, off(t0), now and then misaligned (slow path).
                let off = 8 * rng.below(32) as i64 + if rng.chance(100) { 4 } else { 0 };
                let f = rng.below(32) as u8;
                let w = rng.pick(&[2u32, 3]);
                body.push(if rng.chance(500) {
                    encode::i_type(0x07, f, w, T0, off)
                } else {
                    encode::s_type(0x27, w, T0, f, off)
                });
                continue;
            }
            let (_, mask, m, f) = rng.pick(&rows);
            let mut w = m | (rng.next() as u32 & !mask);
            if table::has_rm(f) {
                w = (w & !(7 << 12)) | rng.pick(&[0u32, 0, 0, 1, 4, 7, 7]) << 12;
            }
            // An x destination never overwrites the counter or the base.
            let rd = (w >> 7) & 31;
            if matches!(f, F::FpToX | F::FpToXNoRm | F::FpCmp) && (rd == 5 || rd == 6) {
                w = (w & !(31 << 7)) | 7 << 7;
            }
            body.push(w);
        }
        body.push(encode::i_type(encode::OP_IMM, T1, 0, T1, -1)); // addi t1, t1, -1
        let back = -4 * body.len() as i64;
        body.push(encode::set_b_offset(
            encode::s_type(encode::BRANCH, 1, T1, 0, 0),
            back,
        )); // bnez
        words.extend(body);
        failures.check(&engines, &setup, &words);
    }
    failures.assert_none();
}

/// F/D instructions on only four f registers, so that inline operations, which keep f
/// registers in xmm registers within a block, read what interpreter fallbacks (other
/// rounding modes, fclass), slow paths and integer-written f registers (fmv, fsgnj, fld)
/// just wrote, with integer loads and stores (whose slow paths call Rust) in between.
#[test]
fn fp_register_reuse_across_slow_paths() {
    const T0: u8 = 5;
    let rows = fp_compute_rows();
    let engines = Engines::default();
    let mut rng = Rng::new(difftest::program_seed(difftest::env_seed(), "fp-reuse", 0));
    let count = scaled(3_000);
    let mut failures = difftest::Divergences::default();
    for _ in 0..count {
        let mut setup = m_mode_setup(3, 0);
        setup.mstatus = rng.pick(&[1u64, 2, 3, 3]) << 13;
        setup.fflags = rng.below(32) as u8;
        setup.frm = rng.pick(&[0, 0, 0, 1, 7]);
        setup.passes = rng.pick(&[0, 1]);
        for f in setup.f.iter_mut() {
            *f = gen::interesting_f(&mut rng);
        }
        for x in setup.x.iter_mut().skip(1) {
            *x = gen::interesting_x(&mut rng);
        }
        let mut words = encode::li(T0, DATA + 8 * rng.below(64));
        for _ in 0..16 {
            match rng.below(10) {
                0 => {
                    // An integer load or store (x[rd] in a0/a1/a7/t2), a miss the first time.
                    let r = rng.pick(&[10u8, 11, 17, 7]);
                    let off = 8 * rng.below(32) as i64 + 0x1000 * rng.below(2) as i64;
                    words.push(if rng.chance(500) {
                        encode::i_type(encode::LOAD, r, 3, T0, off)
                    } else {
                        encode::s_type(encode::STORE, 3, T0, r, off)
                    });
                }
                1 => {
                    // fld/fsd/flw/fsw on f0-f3.
                    let f = rng.below(4) as u8;
                    let w = rng.pick(&[2u32, 3]);
                    let off = 8 * rng.below(32) as i64;
                    words.push(if rng.chance(500) {
                        encode::i_type(0x07, f, w, T0, off)
                    } else {
                        encode::s_type(0x27, w, T0, f, off)
                    });
                }
                _ => {
                    let (_, mask, m, f) = rng.pick(&rows);
                    let mut w = m | (rng.next() as u32 & !mask);
                    if table::has_rm(f) {
                        w = (w & !(7 << 12)) | rng.pick(&[0u32, 0, 0, 1, 2, 4, 7, 7]) << 12;
                    }
                    // Free register fields (rd, rs1, rs2, rs3) to f0-f3; an x register
                    // field (of fmv, fcvt, compares, fclass) to a0, a1, a7 or t2.
                    let x_rd = matches!(f, F::FpToX | F::FpToXNoRm | F::FpCmp);
                    let x_rs1 = matches!(f, F::XToFp | F::XToFpNoRm);
                    for (shift, is_x) in [(7, x_rd), (15, x_rs1), (20, false), (27, false)] {
                        if mask & (31 << shift) == 0 {
                            let v = rng.below(4) as u32;
                            let r = if is_x { [10, 11, 17, 7][v as usize] } else { v };
                            w = (w & !(31 << shift)) | r << shift;
                        }
                    }
                    words.push(w);
                }
            }
        }
        failures.check(&engines, &setup, &words);
    }
    failures.assert_none();
}

/// fcvt.{w,wu,l,lu}.{s,d} with every static rounding mode (RMM, `lround`'s, has its own
/// inline correction) on values at and next to the halfway points, the integer types'
/// limits and the special values, with fflags.NX clear and set and FS Clean and Dirty.
#[test]
fn fp_to_int_conversions_at_halfway_points() {
    let mut doubles = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::MIN_POSITIVE / 4.0,
        0.5f64.next_down(),
        (-0.5f64).next_up(),
        4503599627370495.5,
        -4503599627370495.5,
    ];
    let bases = [
        0.0,
        1.0,
        2.0,
        -1.0,
        -2.0,
        1e6,
        2147483647.0,
        2147483648.0,
        -2147483648.0,
        -2147483649.0,
        4294967295.0,
        4294967296.0,
        9007199254740992.0,
        9223372036854775808.0,
        -9223372036854775808.0,
    ];
    for b in bases {
        for off in [
            0.0,
            0.5,
            -0.5,
            0.25,
            0.75,
            -0.75,
            0.5f64.next_up(),
            0.5f64.next_down(),
        ] {
            doubles.push(b + off);
            doubles.push(-(b + off));
        }
        doubles.push(b.next_up());
        doubles.push(b.next_down());
    }
    let engines = Engines::default();
    let mut failures = difftest::Divergences::default();
    for (k, &v) in doubles.iter().enumerate() {
        for single in [false, true] {
            let bits = if single {
                0xffff_ffff_0000_0000 | (v as f32).to_bits() as u64
            } else {
                v.to_bits()
            };
            for ty in 0..4u32 {
                for rm in [0u32, 1, 2, 3, 4] {
                    let mut setup = m_mode_setup(3, 0);
                    setup.mstatus = (2 + (k as u64 & 1)) << 13;
                    setup.fflags = (k / 2 + ty as usize) as u8 & 1;
                    setup.f[3] = bits;
                    let f7 = if single { 0x60 } else { 0x61 };
                    // fcvt.<ty>.<fmt> a0, f3, rm; fcvt.<ty>.<fmt> t1, f3, rm.
                    let w = |rd: u32| f7 << 25 | ty << 20 | 3 << 15 | rm << 12 | rd << 7 | 0x53;
                    let words = [w(10), w(6)];
                    failures.check(&engines, &setup, &words);
                }
            }
        }
    }
    failures.assert_none();
}

/// The pairs and special cases the x86-64 backend emits in a shorter form (fused lui/auipc
/// pairs, auipc+jalr as a direct jump, shift pairs that zero- or sign-extend, operations with
/// x0 as an operand, sext.w and srliw, division by 0, -1 and 1) give the interpreter's
/// results, with registers in host registers and in the hart state alike.
#[test]
fn fused_pairs_and_special_operands_match_the_interpreter() {
    const OP: u32 = 0x33;
    const OP_32: u32 = 0x3b;
    const JALR: u32 = 0x67;
    fn r_type(opcode: u32, f7: u32, f3: u32, rd: u8, rs1: u8, rs2: u8) -> u32 {
        f7 << 25 | (rs2 as u32) << 20 | (rs1 as u32) << 15 | f3 << 12 | (rd as u32) << 7 | opcode
    }
    // a0-a7 (mostly host registers), ra, t0-t2, s0, t3-t6 (mostly in the hart state).
    let pool: [u8; 17] = [
        10, 11, 12, 13, 14, 15, 16, 17, 1, 5, 6, 7, 8, 28, 29, 30, 31,
    ];
    let mut rng = Rng::new(3);
    for _ in 0..300 {
        let setup = m_mode_setup(3, 0);
        let mut words = Vec::new();
        for &r in &pool {
            let v = match rng.below(4) {
                0 => rng.pick(&[0, 1, u64::MAX, 1 << 63, 0x8000_0000, 0xffff_ffff]),
                _ => gen::interesting_x(&mut rng),
            };
            words.extend(encode::li(r, v));
        }
        for _ in 0..40 {
            let rd = rng.pick(&pool);
            let rs = if rng.chance(100) { 0 } else { rng.pick(&pool) };
            let rt = if rng.chance(150) { 0 } else { rng.pick(&pool) };
            match rng.below(9) {
                0 => {
                    let sh = if rng.chance(700) {
                        32
                    } else {
                        rng.below(64) as i64
                    };
                    words.push(encode::i_type(encode::OP_IMM, rd, 1, rs, sh)); // slli
                    let f = if rng.chance(500) { 0 } else { 0x400 };
                    words.push(encode::i_type(encode::OP_IMM, rd, 5, rd, f | 32));
                    // srli/srai
                }
                1 => {
                    words.push(encode::u_type(encode::LUI, rd, rng.next() as u32));
                    let f3 = 0;
                    let op = rng.pick(&[encode::OP_IMM, encode::OP_IMM_32]);
                    let imm = rng.below(4096) as i64 - 2048;
                    words.push(encode::i_type(op, rd, f3, rd, imm)); // addi(w)
                }
                2 => {
                    words.push(encode::u_type(encode::AUIPC, rd, rng.below(4) as u32));
                    let imm = rng.below(4096) as i64 - 2048;
                    words.push(encode::i_type(encode::OP_IMM, rd, 0, rd, imm)); // addi
                }
                3 => {
                    // auipc rd, 0; jalr rd2, 8 or 12(rd): to the next instruction or over
                    // one (which would change a0).
                    let rd2 = if rng.chance(300) { 0 } else { rng.pick(&pool) };
                    let skip = rng.chance(500);
                    words.push(encode::u_type(encode::AUIPC, rd, 0));
                    // Bit 0 of the target is cleared.
                    let imm = if skip { 12 } else { 8 } + rng.below(2) as i64;
                    words.push(encode::i_type(JALR, rd2, 0, rd, imm));
                    if skip {
                        words.push(encode::i_type(encode::OP_IMM, 10, 0, 10, 1));
                    }
                }
                4 => {
                    // add sub xor or and mul, addw subw mulw, with x0 operands likely.
                    let (opc, f7, f3) = rng.pick(&[
                        (OP, 0, 0),
                        (OP, 0x20, 0),
                        (OP, 0, 4),
                        (OP, 0, 6),
                        (OP, 0, 7),
                        (OP, 1, 0),
                        (OP_32, 0, 0),
                        (OP_32, 0x20, 0),
                        (OP_32, 1, 0),
                    ]);
                    words.push(r_type(opc, f7, f3, rd, rs, rt));
                }
                5 => words.push(encode::i_type(encode::OP_IMM_32, rd, 0, rs, 0)), // sext.w
                6 => {
                    let sh = rng.below(32) as i64;
                    words.push(encode::i_type(encode::OP_IMM_32, rd, 5, rs, sh));
                    // srliw
                }
                _ => {
                    // A divisor of 0, -1 or 1 in t0, then a division.
                    let d = rng.pick(&[0, u64::MAX, 1, 0xffff_ffff, 0x8000_0000]);
                    words.extend(encode::li(5, d));
                    let rt = if rng.chance(800) { 5 } else { rt };
                    let opc = rng.pick(&[OP, OP_32]);
                    let f3 = 4 + rng.below(4) as u32;
                    words.push(r_type(opc, 1, f3, rd, rs, rt));
                }
            }
        }
        regress(setup, &words);
    }
}

/// The x86-64 backend leaves the results of W operations (addw, slliw, ...) and of bitwise
/// operations on sign-extended 32-bit values in host registers without sign-extending them
/// while only such operations read them, and
/// extends when a 64-bit reader, an overwrite's neighbour, a slow path, a helper or an exit
/// needs the whole value. Random chains of W operations over host-mapped and hart-state
/// registers, mixed with 64-bit readers and writers, stores, loads (with misaligned slow
/// paths), an FP instruction (the engine settles before it) and self-loops, must match the
/// interpreter. The first program is the case that caught an extension emitted after a
/// 64-bit op had overwritten the dirty register (slliw a5; ori a5, s10, 680; fld).
#[test]
fn w_results_left_unextended_match_the_interpreter() {
    const OP: u32 = 0x33;
    const OP_32: u32 = 0x3b;
    fn r_type(opcode: u32, f7: u32, f3: u32, rd: u8, rs1: u8, rs2: u8) -> u32 {
        f7 << 25 | (rs2 as u32) << 20 | (rs1 as u32) << 15 | f3 << 12 | (rd as u32) << 7 | opcode
    }
    let found = [
        0x000e_0297, // auipc t0, 0xe0
        0xc262_8293, // addi t0, t0, -986
        0x0180_0413, // li s0, 24
        0x01d7_979b, // slliw a5, a5, 29
        0x2a8d_6793, // ori a5, s10, 680
        0x01d2_feb3, // and t4, t0, t4
        0x4102_b787, // fld fa5, 1040(t0)
        0xfff4_0413, // addi s0, s0, -1
        0xfe04_16e3, // bnez s0, the slliw
    ];
    regress(m_mode_setup(3, 0), &found);
    // a0-a5, s0, sp (host registers) and t0-t2, t3-t6, s1 (hart state).
    let pool: [u8; 14] = [10, 11, 12, 13, 14, 15, 8, 2, 5, 6, 7, 28, 29, 9];
    let mut rng = Rng::new(5);
    for _ in 0..400 {
        let setup = m_mode_setup(3, 0);
        let mut words = Vec::new();
        for &r in &pool {
            words.extend(encode::li(r, gen::interesting_x(&mut rng)));
        }
        // t6 points at the data area, which loads and stores use; s2 counts laps.
        words.extend(encode::li(31, difftest::machine::DATA));
        let looped = rng.chance(500);
        words.extend(encode::li(18, 3));
        let body = words.len();
        for _ in 0..30 {
            let rd = rng.pick(&pool);
            let rs = rng.pick(&pool);
            let rt = rng.pick(&pool);
            let w = match rng.below(12) {
                0 => r_type(OP_32, 0, 0, rd, rs, rt),                 // addw
                1 => r_type(OP_32, 0x20, 0, rd, rs, rt),              // subw
                2 => r_type(OP_32, 1, 0, rd, rs, rt),                 // mulw
                3 => r_type(OP_32, 0, rng.pick(&[1, 5]), rd, rs, rt), // sllw/srlw
                4 => encode::i_type(encode::OP_IMM_32, rd, 0, rs, rng.below(4096) as i64 - 2048), // addiw
                5 => encode::i_type(encode::OP_IMM_32, rd, 1, rs, rng.below(32) as i64), // slliw
                6 => {
                    let f = rng.pick(&[0, 0x400]);
                    encode::i_type(encode::OP_IMM_32, rd, 5, rs, f | rng.below(32) as i64)
                    // srliw/sraiw
                }
                7 => r_type(OP, 0, rng.pick(&[0, 4, 6, 7]), rd, rs, rt), // add/xor/or/and
                // addi/xori/ori/andi
                8 => encode::i_type(
                    encode::OP_IMM,
                    rd,
                    rng.pick(&[0, 4, 6, 7]),
                    rs,
                    rng.pick(&[680, -1, -2048, 0x7ff, 0x55]),
                ),
                // sw/sd of a maybe-dirty register, at aligned or misaligned offsets
                9 => encode::s_type(
                    encode::STORE,
                    rng.pick(&[2, 3]),
                    31,
                    rs,
                    rng.below(64) as i64,
                ),
                // lw/ld into a maybe-dirty register
                10 => encode::i_type(
                    encode::LOAD,
                    rd,
                    rng.pick(&[2, 3]),
                    31,
                    rng.below(64) as i64,
                ),
                _ => 0x0003_b787 | 31 << 15, // fld fa5, 0(t6)
            };
            words.push(w);
        }
        if looped {
            loop_back(&mut words, body);
        }
        regress(setup, &words);
    }
}

/// The x86-64 backend checks the TLB once for a group of loads (or stores) through one base
/// register and lets the group's later accesses reuse the addend it found ("page groups";
/// the base may move by `addi` in between). Groups here straddle page boundaries, pages
/// with different permissions (read-only, unmapped) under Sv39, misaligned offsets, bases
/// overwritten mid-group, FP values held in host registers across the group's slow paths
/// and self-loops whose base walks across pages: every access must behave as the
/// interpreter's, with the same traps.
#[test]
fn page_groups_match_the_interpreter() {
    use difftest::machine::{pte_flags, R, RW, U};
    // a0-a5, sp, s0 (host registers) and t0-t2, t3, s1 (hart state).
    let pool: [u8; 13] = [10, 11, 12, 13, 14, 15, 2, 8, 5, 6, 7, 28, 9];
    let mut rng = Rng::new(11);
    for n in 0..500 {
        let (priv_, satp) = [(3, 0), (1, 8), (0, 8)][n % 3];
        let mut setup = m_mode_setup(priv_, satp);
        let u = if priv_ == 0 { U } else { 0 };
        // Page 1 read-only, page 3 unmapped (under Sv39).
        setup.data_pte = [pte_flags(RW) | u, pte_flags(R) | u, pte_flags(RW) | u, 0];
        let mut words = Vec::new();
        for &r in &pool {
            words.extend(encode::li(r, gen::interesting_x(&mut rng)));
        }
        // Two or three bases near the data pages' boundaries.
        let bases: Vec<u8> = (0..2 + rng.below(2)).map(|_| rng.pick(&pool)).collect();
        for &b in &bases {
            let page = rng.below(4);
            let at = DATA + page * 0x1000 + rng.pick(&[0, 8, 0xf80, 0xff8, 0xffc, 0x7f0]);
            words.extend(encode::li(b, at));
        }
        let looped = rng.chance(400);
        words.extend(encode::li(18, 3)); // s2 counts laps
        let body = words.len();
        for _ in 0..24 {
            let base = rng.pick(&bases);
            let other = rng.pick(&pool);
            let off = rng.pick(&[0, 8, 16, 24, -8, -16, 3, 60, -64, 120]);
            let w = match rng.below(12) {
                0..=3 => {
                    let f3 = rng.pick(&[0, 1, 2, 3, 4, 5, 6]); // lb lh lw ld lbu lhu lwu
                    encode::i_type(encode::LOAD, other, f3, base, off)
                }
                // fld fa5 / fadd.d fa0, fa5, fa5: f registers the backend keeps in xmm
                // registers across the group's accesses, whose slow paths call Rust.
                10 => encode::i_type(0x07, 15, 3, base, off),
                11 => 0x02f7_8553,
                4..=6 => {
                    let f3 = rng.pick(&[0, 1, 2, 3]); // sb sh sw sd
                    encode::s_type(encode::STORE, f3, base, other, off)
                }
                7 => encode::i_type(encode::OP_IMM, base, 0, base, rng.pick(&[8, 16, -8, 64, 3])),
                // addi/xori on the base (moves it, or ends its groups)
                8 => encode::i_type(encode::OP_IMM, base, rng.pick(&[0, 4]), other, 16),
                _ => encode::i_type(encode::OP_IMM, other, 0, other, 1),
            };
            words.push(w);
        }
        if looped {
            loop_back(&mut words, body);
        }
        regress(setup, &words);
    }
}

/// Ends a generated body (from word `body` on) with `addi s2, s2, -1; bne s2, zero, body`:
/// back over the body while the lap counter s2 lasts (a self-loop when the body is one
/// block).
fn loop_back(words: &mut Vec<u32>, body: usize) {
    words.push(encode::i_type(encode::OP_IMM, 18, 0, 18, -1));
    let bne = 0x0000_1063 | 18 << 15;
    let off = -(((words.len() - body) * 4) as i64);
    words.push(encode::set_b_offset(bne, off));
}
