//! Differential testing of the JIT against the interpreter (design decision 1, issue 3).
//!
//! `gen` makes random programs, `machine` runs one on a fresh hart of either engine and
//! collects its outcome, this module compares the two outcomes, shrinks a divergent program
//! to a minimal one and prints it as a regression test.

pub mod encode;
pub mod gen;
pub mod machine;
pub mod table;

use emu_cpu::decode::{decode, disasm, Op};
use emu_cpu::Accel;
use gen::{Item, Piece, Rng};
pub use machine::Setup;
use machine::{Machine, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The interpreter (the definition of the ISA) and the JIT, each on its own RAM.
pub struct Engines {
    pub interp: Machine,
    pub jit: Machine,
}

impl Default for Engines {
    fn default() -> Self {
        Engines {
            interp: Machine::new(Accel::Interp),
            jit: Machine::new(Accel::Jit),
        }
    }
}

/// A program's two outcomes, and the first difference between them, if any.
pub struct Comparison {
    pub interp: Outcome,
    pub jit: Outcome,
    pub diff: Option<String>,
}

/// Changes an outcome after the run: lets the self-tests plant a divergence.
pub type Perturb<'a> = &'a dyn Fn(&[u32], &mut Outcome);

impl Engines {
    pub fn compare(&self, setup: &Setup, words: &[u32], perturb: Option<Perturb>) -> Comparison {
        let interp = self.interp.run(setup, words);
        let mut jit = self.jit.run(setup, words);
        if let Some(p) = perturb {
            p(words, &mut jit);
        }
        let diff = interp.diff(&jit, ("interpreter", "jit"));
        Comparison { interp, jit, diff }
    }
}

/// Divergences over many programs of one test; the test fails on the first, with its setup
/// (as Rust, for a regression test) and listing.
#[derive(Default)]
pub struct Divergences {
    found: Vec<String>,
    tried: usize,
}

impl Divergences {
    /// Runs `words` from `setup` on both engines and records any difference.
    pub fn check(&mut self, engines: &Engines, setup: &Setup, words: &[u32]) {
        self.tried += 1;
        if let Some(d) = engines.compare(setup, words, None).diff {
            self.found.push(format!(
                "{d}\n{}\n{}",
                setup.to_rust(),
                listing(setup.body_base, words)
            ));
        }
    }

    /// Fails the test if any program diverged.
    pub fn assert_none(&self) {
        assert!(
            self.found.is_empty(),
            "{} of {} diverge; the first:\n{}",
            self.found.len(),
            self.tried,
            self.found[0]
        );
    }
}

/// The body's disassembly, one instruction per line, then the exit point.
pub fn listing(base: u64, words: &[u32]) -> String {
    let mut s = String::new();
    let mut pc = base;
    for &w in words {
        let insn = decode(w);
        let raw = if insn.len == 2 {
            format!("    {:04x}", w & 0xffff)
        } else {
            format!("{w:08x}")
        };
        let _ = writeln!(s, "  {pc:#010x}: {raw}  {}", disasm(&insn, pc));
        pc += insn.len as u64;
    }
    let _ = writeln!(s, "  {pc:#010x}: 00000073  ecall (exit)");
    s
}

/// `words` as Rust array elements.
pub fn words_rust(words: &[u32]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i % 6 == 0 {
            s.push_str("\n        ");
        } else {
            s.push(' ');
        }
        let _ = write!(s, "{w:#010x},");
    }
    s
}

/// Delta debugging over items (Zeller's ddmin, removal only): drops chunks of items, then
/// single items, while `fails` still holds; then replaces each remaining item by nops of the
/// same length where that still fails (keeps addresses when they matter).
pub fn shrink(items: &[Item], fails: &mut dyn FnMut(&[Item]) -> bool) -> Vec<Item> {
    let mut cur = items.to_vec();
    let mut chunk = cur.len().next_power_of_two().max(1);
    loop {
        let mut progress = false;
        let mut start = 0;
        while start < cur.len() {
            let end = (start + chunk).min(cur.len());
            let mut cand = cur.clone();
            for k in (start..end).rev() {
                cand = gen::remove_item(&cand, k);
            }
            if fails(&cand) {
                cur = cand;
                progress = true;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 && !progress {
            break;
        }
        if !progress || chunk > 1 {
            chunk = (chunk / 2).max(1);
        }
    }
    // An item of several instructions (a loop, an lr/sc pair): try each plain one alone.
    for k in 0..cur.len() {
        if cur[k].pieces.len() < 2 {
            continue;
        }
        let singles: Vec<u32> = cur[k]
            .pieces
            .iter()
            .filter_map(|p| match *p {
                Piece::Word(w) if gen::is_plain32(w) => Some(w),
                _ => None,
            })
            .collect();
        for w in singles {
            let mut cand = cur.clone();
            cand[k] = Item {
                pieces: vec![Piece::Word(w)],
            };
            if fails(&cand) {
                cur = cand;
                break;
            }
        }
    }
    for k in 0..cur.len() {
        let len = gen::item_len(&cur[k]);
        let nops = Item {
            pieces: (0..len / 4)
                .map(|_| Piece::Word(encode::NOP))
                .chain((0..len % 4 / 2).map(|_| Piece::Word(encode::C_NOP)))
                .collect(),
        };
        if cur[k] == nops {
            continue;
        }
        let mut cand = cur.clone();
        cand[k] = nops;
        if fails(&cand) {
            cur = cand;
        }
    }
    cur
}

/// What a batch saw, for the summary line and the coverage check.
#[derive(Default)]
pub struct Stats {
    pub programs: u64,
    pub retired: u64,
    pub traps: BTreeMap<u64, u64>,
    pub ops: BTreeMap<Op, u64>,
    pub abnormal: u64,
    pub divergences: u64,
    /// Programs whose self-modifying stores changed their code.
    pub code_patched: u64,
}

impl Stats {
    pub fn summary(&self, name: &str, secs: f64) -> String {
        let traps: Vec<String> = self.traps.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        format!(
            "{name}: {} programs, {} instructions retired (interpreter), {} distinct ops, \
             {} abnormal exits, {} divergences, {} with code patched, traps by mcause [{}], {secs:.1} s",
            self.programs,
            self.retired,
            self.ops.len(),
            self.abnormal,
            self.divergences,
            self.code_patched,
            traps.join(" ")
        )
    }
}

/// `RVX_DIFF_SCALE`; by default 1 in release builds (the counts issue 3 asks of CI) and
/// 1/20 in debug builds, which run the same programs many times slower.
pub fn env_scale() -> f64 {
    std::env::var("RVX_DIFF_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 0.05 } else { 1.0 })
}

pub fn env_seed() -> u64 {
    std::env::var("RVX_DIFF_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim_start_matches("0x");
            u64::from_str_radix(s, 16).ok()
        })
        .unwrap_or(0x5eed_0000_0000_0000)
}

/// The seed of program `i` of a batch.
pub fn program_seed(base: u64, batch: &str, i: u64) -> u64 {
    let mut s = base
        ^ batch
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ b as u64);
    s = s.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    machine::splitmix(&mut s)
}

/// The program a seed stands for: setup first, then `n` items.
pub fn program(seed: u64, n: usize) -> (Setup, Vec<Item>) {
    let mut rng = Rng::new(seed);
    let mut setup = gen::gen_setup(&mut rng);
    if n >= 500 {
        // Long programs overflow the smallest code cache: flushes in mid-run.
        setup.jit_cache_kib = 64;
    }
    let items = gen::gen_body(&mut rng, &setup, n);
    (setup, items)
}

/// Shrinks a divergent program and formats the report: seed, setup, the original and the
/// minimal program, the first difference, and a regression test to paste.
pub fn divergence_report(
    engines: &Engines,
    seed: u64,
    setup: &Setup,
    items: &[Item],
    perturb: Option<Perturb>,
) -> (String, Vec<u32>) {
    let words = gen::resolve(setup.body_base, items);
    let first = engines.compare(setup, &words, perturb);
    let mut fails = |cand: &[Item]| {
        let w = gen::resolve(setup.body_base, cand);
        let c = engines.compare(setup, &w, perturb);
        // A candidate on which the interpreter loops tells nothing.
        c.diff.is_some() && c.interp.exit != "timeout"
    };
    let min = shrink(items, &mut fails);
    let min_words = gen::resolve(setup.body_base, &min);
    let last = engines.compare(setup, &min_words, perturb);
    let mut r = String::new();
    let _ = writeln!(
        r,
        "DIVERGENCE (program seed {seed:#018x}; replay with RVX_DIFF_REPLAY={seed:#x}:{})",
        items.len()
    );
    let _ = writeln!(
        r,
        "  privilege {} satp.MODE {} mstatus {:#x}",
        setup.priv_, setup.satp_mode, setup.mstatus
    );
    let _ = writeln!(r, "first difference: {}", first.diff.unwrap_or_default());
    let _ = writeln!(
        r,
        "program ({} items):\n{}",
        items.len(),
        listing(setup.body_base, &words)
    );
    let _ = writeln!(
        r,
        "minimal program ({} items), difference: {}\n{}",
        min.len(),
        last.diff.as_deref().unwrap_or("(none: shrinking lost it)"),
        listing(setup.body_base, &min_words)
    );
    let _ = writeln!(r, "trap log (interpreter): {:x?}", last.interp.traps);
    let _ = writeln!(r, "trap log (jit):         {:x?}", last.jit.traps);
    let _ = writeln!(
        r,
        "regression test:\n#[test]\nfn regression_{seed:016x}() {{\n    regress(\n    {},\n    &[{}\n    ]);\n}}",
        setup.to_rust(),
        words_rust(&min_words)
    );
    (r, min_words)
}

/// Runs a kept regression program on both engines; panics with a report on divergence.
pub fn regress(setup: Setup, words: &[u32]) {
    let engines = Engines::default();
    let c = engines.compare(&setup, words, None);
    if let Some(d) = c.diff {
        panic!(
            "regression diverges: {d}\n{}\ntraps interp {:x?}\ntraps jit {:x?}",
            listing(setup.body_base, words),
            c.interp.traps,
            c.jit.traps
        );
    }
}

/// Runs `count` random programs of `n` items each; returns the statistics and the reports
/// of (up to `max_reports`) divergences.
pub fn run_batch(
    engines: &Engines,
    batch: &str,
    count: u64,
    n: usize,
    perturb: Option<Perturb>,
    max_reports: usize,
) -> (Stats, Vec<String>) {
    let base = env_seed();
    let mut stats = Stats::default();
    let mut reports = Vec::new();
    for i in 0..count {
        let seed = program_seed(base, batch, i);
        let (setup, items) = program(seed, n);
        let words = gen::resolve(setup.body_base, &items);
        let c = engines.compare(&setup, &words, perturb);
        stats.programs += 1;
        stats.retired += c.interp.instret;
        let body = c.interp.mem.iter().find(|m| m.0 == "body");
        if body.is_some_and(|b| b.2[..b.2.len() - 4] != machine::body_bytes(&words)[..]) {
            stats.code_patched += 1;
        }
        for t in &c.interp.traps {
            *stats.traps.entry(t[0]).or_default() += 1;
        }
        for &w in &words {
            *stats.ops.entry(decode(w).op).or_default() += 1;
        }
        if c.interp.exit != "Stopped" {
            stats.abnormal += 1;
            if c.interp.exit == "timeout" || c.interp.traps.len() as u64 >= machine::LOG_ENTRIES {
                reports.push(format!(
                    "harness problem (seed {seed:#x}): exit {}, {} traps\n{}",
                    c.interp.exit,
                    c.interp.traps.len(),
                    listing(setup.body_base, &words)
                ));
            }
        }
        if c.diff.is_some() {
            stats.divergences += 1;
            if reports.len() < max_reports {
                reports.push(divergence_report(engines, seed, &setup, &items, perturb).0);
            }
        }
    }
    (stats, reports)
}
