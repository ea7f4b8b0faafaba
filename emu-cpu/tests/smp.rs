//! SMP (design decision 10, issue 4): several harts on host threads sharing one bus.
//!
//! - AMOs and LR/SC from four harts on the same counters give exact totals.
//! - Code one hart keeps running is rewritten by another hart's store or by a device's DMA
//!   write, with no fence.i on the running hart: it must pick the new code up.
//! - Cross-hart requests: SSIP reaches the S-mode handler (spinning and in WFI), a remote TLB
//!   flush makes a remapped page visible, waits for completion do not deadlock.
//!
//! Guest programs are assembled at test time with the RISC-V cross toolchain
//! (`riscv64-unknown-elf-gcc`, or `$RISCV_CC`), linked at the start of RAM. Every test runs
//! on the interpreter and on the JIT.

use emu_cpu::{Accel, Exit, Hart, HartConfig};
use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: u64 = 1 << 20;
/// Where the programs keep their flags and counters (`FLAGS` in the sources).
const FLAGS: u64 = 0x8008_0000;
/// How long a guest may take to reach a state the test waits for (debug builds are slow).
const TIMEOUT: Duration = Duration::from_secs(20);

/// A program: its flat image (loaded at RAM_BASE) and its symbols.
struct Program {
    image: Vec<u8>,
    symbols: HashMap<String, u64>,
}

impl Program {
    fn sym(&self, name: &str) -> u64 {
        *self
            .symbols
            .get(name)
            .unwrap_or_else(|| panic!("no symbol {name}"))
    }
}

fn tool(name: &str) -> String {
    let cc = std::env::var("RISCV_CC").unwrap_or_else(|_| "riscv64-unknown-elf-gcc".into());
    cc.strip_suffix("gcc").map_or_else(
        || format!("riscv64-unknown-elf-{name}"),
        |p| format!("{p}{name}"),
    )
}

fn run_tool(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}); install riscv64-unknown-elf-gcc"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Assembles `src` (with `FLAGS` predefined) into a flat image at RAM_BASE.
fn assemble(name: &str, src: &str) -> Program {
    let dir: PathBuf = std::env::temp_dir().join(format!("rvx-smp-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let s = dir.join("p.S");
    let elf = dir.join("p.elf");
    let bin = dir.join("p.bin");
    std::fs::write(&s, format!(".equ FLAGS, {FLAGS:#x}\n{src}")).expect("write source");
    run_tool(
        Command::new(tool("gcc"))
            .args([
                "-march=rv64gc_zicsr_zifencei",
                "-mabi=lp64d",
                "-nostdlib",
                "-nostartfiles",
                "-static",
                "-Wl,--no-relax",
            ])
            .arg(format!("-Wl,-Ttext={RAM_BASE:#x}"))
            .arg(&s)
            .arg("-o")
            .arg(&elf),
    );
    run_tool(
        Command::new(tool("objcopy"))
            .args(["-O", "binary"])
            .arg(&elf)
            .arg(&bin),
    );
    let nm = run_tool(Command::new(tool("nm")).arg(&elf));
    let symbols = String::from_utf8_lossy(&nm)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let addr = u64::from_str_radix(f.next()?, 16).ok()?;
            f.next()?;
            Some((f.next()?.to_string(), addr))
        })
        .collect();
    let image = std::fs::read(&bin).expect("read image");
    let _ = std::fs::remove_dir_all(&dir);
    Program { image, symbols }
}

/// A machine of RAM only, with harts added one thread each.
struct Machine {
    ram: Arc<GuestRam>,
    bus: Arc<Bus>,
    control: Arc<MachineControl>,
    clock: Clock,
    signals: Vec<Arc<HartSignals>>,
    threads: Vec<JoinHandle<Exit>>,
}

impl Machine {
    fn new(program: &Program) -> Machine {
        let ram = Arc::new(GuestRam::new(RAM_BASE, RAM_SIZE).expect("guest RAM"));
        assert!(ram.write_bytes(RAM_BASE, &program.image));
        Machine {
            bus: Arc::new(Bus::new(ram.clone())),
            ram,
            control: Arc::new(MachineControl::default()),
            clock: Clock::default(),
            signals: Vec::new(),
            threads: Vec::new(),
        }
    }

    fn new_hart(&mut self, accel: Accel) -> Hart {
        let signals = Arc::new(HartSignals::default());
        self.signals.push(signals.clone());
        let mut hart = Hart::new(HartConfig {
            hartid: self.signals.len() as u64 - 1,
            bus: self.bus.clone(),
            signals,
            control: self.control.clone(),
            clock: self.clock,
        });
        assert!(hart.set_accel(accel), "engine {accel:?} unavailable");
        hart.set_jit_cache_size(1 << 20);
        hart
    }

    /// Starts a hart at `pc` in M-mode (a0 = hartid) after `setup`, on its own thread.
    fn spawn(&mut self, accel: Accel, pc: u64, setup: impl FnOnce(&mut Hart) + Send + 'static) {
        let mut hart = self.new_hart(accel);
        let id = hart.hartid;
        hart.set_pc(pc);
        hart.set_xreg(10, id);
        setup(&mut hart);
        self.threads.push(std::thread::spawn(move || {
            let exit = hart.run();
            assert_eq!(hart.accel(), accel, "the engine fell back");
            exit
        }));
    }

    fn flag(&self, offset: u64) -> u64 {
        self.ram.read(FLAGS + offset, 8).expect("flag in RAM")
    }

    /// Waits until the doubleword at FLAGS+`offset` satisfies `ok`; panics with `what`.
    fn wait_flag(&self, offset: u64, what: &str, ok: impl Fn(u64) -> bool) {
        let start = Instant::now();
        while !ok(self.flag(offset)) {
            if start.elapsed() > TIMEOUT {
                self.stop();
                panic!(
                    "timed out waiting for {what} (flag {:#x})",
                    self.flag(offset)
                );
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn stop(&self) {
        self.control.request_exit(0);
        for s in &self.signals {
            s.kick();
        }
    }

    /// Stops every hart and checks they all stopped cleanly.
    fn finish(mut self) {
        self.stop();
        for t in self.threads.drain(..) {
            assert_eq!(t.join().expect("hart thread"), Exit::Stopped);
        }
    }
}

fn both_engines(test: impl Fn(Accel)) {
    test(Accel::Interp);
    if cfg!(target_arch = "x86_64") {
        test(Accel::Jit);
    }
}

const HARTS: u64 = 4;
const ITERS: u64 = 200_000;

/// Four harts add to shared counters with amoadd.d, amoadd.w, lr.d/sc.d and lr.w/sc.w
/// loops, and to a plain counter under an amoswap spinlock; the totals must be exact.
#[test]
fn atomics_from_four_harts_are_exact() {
    let p = assemble(
        "atomics",
        &format!(
            r#"
    .equ ITERS, {ITERS}
    .globl _start
_start:
    li s0, FLAGS
    addi s3, s0, 8
    addi s4, s0, 16
    addi s5, s0, 24
    addi s6, s0, 48
0:  ld t0, 56(s0)           # wait for "go", so that all harts run at once
    beqz t0, 0b
    li s1, ITERS
    li t2, 1
1:  amoadd.d zero, t2, (s0)
    amoadd.w zero, t2, (s3)
    addi s1, s1, -1
    bnez s1, 1b

    li s1, ITERS
2:  lr.d t0, (s4)
    addi t0, t0, 1
    sc.d t1, t0, (s4)
    bnez t1, 2b
3:  lr.w.aq t0, (s5)
    addi t0, t0, 1
    sc.w.rl t1, t0, (s5)
    bnez t1, 3b
    addi s1, s1, -1
    bnez s1, 2b

    li s1, ITERS
    addi s2, s0, 32         # the lock
4:  amoswap.w.aq t0, t2, (s2)
    bnez t0, 4b
    ld t0, 40(s0)           # plain increment inside the critical section
    addi t0, t0, 1
    sd t0, 40(s0)
    amoswap.w.rl zero, zero, (s2)
    addi s1, s1, -1
    bnez s1, 4b

    amoadd.d zero, t2, (s6) # this hart is done
5:  wfi
    j 5b
"#
        ),
    );
    both_engines(|accel| {
        let mut m = Machine::new(&p);
        for _ in 0..HARTS {
            m.spawn(accel, RAM_BASE, |_| {});
        }
        assert!(m.ram.write(FLAGS + 56, 8, 1)); // go
        m.wait_flag(48, "every hart done", |v| v == HARTS);
        let total = HARTS * ITERS;
        assert_eq!(m.flag(0), total, "{accel:?}: amoadd.d");
        assert_eq!(m.flag(8) & 0xffff_ffff, total, "{accel:?}: amoadd.w");
        assert_eq!(m.flag(16), total, "{accel:?}: lr.d/sc.d");
        assert_eq!(m.flag(24) & 0xffff_ffff, total, "{accel:?}: lr.w/sc.w");
        assert_eq!(m.flag(40), total, "{accel:?}: spinlock-protected counter");
        m.finish();
    });
}

/// Hart 1 spins in a loop on its own code page until the instruction at `patch` sets a1.
/// `addi a1, zero, 1`, the patched instruction.
const PATCHED: u32 = 0x0010_0593;
const SPIN_LOOP: &str = r#"
    .option norvc
spinner:
    li s0, FLAGS
1:  ld t0, 16(s0)           # wait for "go"
    beqz t0, 1b
    j loop
    .balign 4096
loop:
patch:                      # first on its page, so a store can straddle into it
    addi a1, zero, 0
    li t0, 1
    sd t0, 0(s0)            # started (running the loop)
    beqz a1, loop
    sd t0, 8(s0)            # done
2:  wfi
    j 2b
"#;

/// Hart 0 rewrites the loop hart 1 keeps running with ordinary stores; hart 1 executes no
/// fence.i. Hart 0's TLB holds a write entry for the page filled before hart 1 decoded
/// there, so this also covers a store that bypasses the slow path until hart 0 hears that
/// the page became code. The store is an aligned `sw`, then a misaligned `sd` that
/// straddles the page boundary.
#[test]
fn store_by_another_hart_reaches_running_code() {
    let p = assemble(
        "xmodify",
        &format!(
            r#"
    .option norvc
    .globl _start
_start:
    bnez a0, spinner
    li s0, FLAGS
    la t0, pdata
    sd zero, 0(t0)          # a write entry for the loop's page, before it holds code
    li t0, 1
    sd t0, 16(s0)           # go
1:  ld t0, 0(s0)            # wait until hart 1 runs the loop
    beqz t0, 1b
    la t1, patch
    li t0, {PATCHED:#x}
    bnez a2, 3f
    sw t0, 0(t1)
    j 2f
3:  slli t0, t0, 32         # misaligned, across the page boundary into the patch
    sd t0, -4(t1)
2:  wfi
    j 2b
{SPIN_LOOP}
    .balign 8
pdata:
    .dword 0
"#
        ),
    );
    both_engines(|accel| {
        for straddle in [0, 1] {
            let mut m = Machine::new(&p);
            m.spawn(accel, RAM_BASE, move |h| h.set_xreg(12, straddle));
            m.spawn(accel, RAM_BASE, |_| {});
            m.wait_flag(8, "hart 1 to run the rewritten code", |v| v == 1);
            assert_eq!(
                m.ram.read(p.sym("patch"), 4),
                Some(PATCHED as u64),
                "{accel:?}"
            );
            m.finish();
        }
    });
}

/// A device's DMA write (`GuestRam::write_dma`) into the page hart 1 keeps running reaches
/// it; so does a plain `GuestRam::write`.
#[test]
fn dma_write_reaches_running_code() {
    let p = assemble(
        "dma",
        &format!(
            r#"
    .globl _start
_start:
{SPIN_LOOP}
"#
        ),
    );
    both_engines(|accel| {
        for dma in [true, false] {
            let mut m = Machine::new(&p);
            m.spawn(accel, p.sym("spinner"), |_| {});
            assert!(m.ram.write(FLAGS + 16, 8, 1)); // go
            m.wait_flag(0, "hart to run the loop", |v| v == 1);
            // It keeps looping: the loop is cached (decoded, and translated on the JIT).
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(m.flag(8), 0, "{accel:?}: left the loop before the write");
            let at = p.sym("patch");
            if dma {
                assert!(m.ram.write_dma(at, &PATCHED.to_le_bytes()));
            } else {
                assert!(m.ram.write(at, 4, PATCHED as u64));
            }
            m.wait_flag(8, "the hart to run the rewritten code", |v| v == 1);
            m.finish();
        }
    });
}

/// `request_ssip` raises mip.SSIP on the target: the S-mode handler runs, once while the
/// hart spins and once while it sleeps in WFI.
#[test]
fn ssip_request_reaches_supervisor_handler() {
    let p = assemble(
        "ssip",
        r#"
    .globl _start
_start:                      # entered in S-mode with SSIP delegated
    li s0, FLAGS
    la t0, handler
    csrw stvec, t0
    li t0, 2
    csrs sie, t0             # SSIE
    csrs sstatus, t0         # SIE
    li t1, 1
    sd t1, 0(s0)             # ready
1:  ld t0, 8(s0)             # spin until the first interrupt
    beqz t0, 1b
2:  wfi                      # then sleep
    j 2b

    .balign 4
handler:
    li t0, 2
    csrc sip, t0             # the guest clears SSIP itself
    ld t0, 8(s0)
    addi t0, t0, 1
    sd t0, 8(s0)
    sret
"#,
    );
    both_engines(|accel| {
        let mut m = Machine::new(&p);
        m.spawn(accel, RAM_BASE, |h| h.enter_supervisor(RAM_BASE, 0, 0));
        m.wait_flag(0, "the hart to be ready", |v| v == 1);
        let s = m.signals[0].clone();
        let t = s.request_ssip();
        m.wait_flag(8, "the first interrupt (spinning)", |v| v == 1);
        assert!(s.is_serviced(t));
        // Give it time to fall asleep in WFI, then wake it with the second request.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(m.flag(8), 1, "{accel:?}: one request, one interrupt");
        s.request_ssip();
        m.wait_flag(8, "the second interrupt (in WFI)", |v| v == 2);
        m.finish();
    });
}

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_A: u64 = 0x40;
const PTE_D: u64 = 0x80;
/// Sv39 tables: root, level 1, level 0.
const PT: [u64; 3] = [0x800a_0000, 0x800a_1000, 0x800a_2000];
/// The two physical pages the test page maps to, before and after the remap.
const PAGE_OLD: u64 = 0x800b_0000;
const PAGE_NEW: u64 = 0x800b_1000;
const MAGIC: u64 = 0x5a5a_1234;

fn pte_table(pa: u64) -> u64 {
    (pa >> 12) << 10 | PTE_V
}

fn pte_leaf(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << 10 | flags | PTE_V | PTE_A | PTE_D
}

/// Hart 0 reads VA 0x4000_0000 until it holds MAGIC. The test remaps that page to one
/// holding MAGIC: the hart's TLB keeps the old translation until a remote TLB flush
/// request, after which the hart sees the new page.
#[test]
fn remote_tlb_flush_makes_remap_visible() {
    let p = assemble(
        "tlb",
        &format!(
            r#"
    .globl _start
_start:                      # S-mode, Sv39: RAM identity-mapped, 0x40000000 -> test page
    li s0, FLAGS
    li s1, 0x40000000
    li s2, {MAGIC:#x}
    li t1, 1
1:  ld t0, 0(s1)
    sd t1, 0(s0)             # started: the page is in the TLB
    bne t0, s2, 1b
    sd t1, 8(s0)             # saw the new page
2:  wfi
    j 2b
"#
        ),
    );
    both_engines(|accel| {
        let mut m = Machine::new(&p);
        let ram = m.ram.clone();
        let w = |a: u64, v: u64| assert!(ram.write(a, 8, v));
        // Root: VA 0x4000_0000 (index 1) -> level 1; RAM (index 2) -> a gigapage.
        w(PT[0] + 8, pte_table(PT[1]));
        w(PT[0] + 16, pte_leaf(0x8000_0000, PTE_R | PTE_W | PTE_X));
        w(PT[1], pte_table(PT[2]));
        w(PT[2], pte_leaf(PAGE_OLD, PTE_R | PTE_W));
        w(PAGE_NEW, MAGIC);
        m.spawn(accel, RAM_BASE, |h| {
            h.enter_supervisor(RAM_BASE, 0, 0);
            h.csr.satp = 8 << 60 | PT[0] >> 12;
        });
        m.wait_flag(0, "the hart to read the page", |v| v == 1);
        w(PT[2], pte_leaf(PAGE_NEW, PTE_R | PTE_W));
        // No sfence.vma anywhere: the stale translation stays in use.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(m.flag(8), 0, "{accel:?}: saw the remap without a flush");
        // A hart that is not running (here: one in an SBI call on the frontend's thread)
        // waits for the flush while servicing its own requests.
        let mut requester = m.new_hart(accel);
        let target = m.signals[0].clone();
        let t = target.request_tlb_flush();
        assert!(requester.wait_for_remote(&[(&target, t)]), "{accel:?}");
        assert!(target.is_serviced(t));
        m.wait_flag(8, "the hart to see the new page", |v| v == 1);
        m.finish();
    });
}

/// Two harts that each wait for the other to service a request both return: a waiting
/// hart services its own requests. A parked hart is not waited for.
#[test]
fn mutual_waits_do_not_deadlock() {
    let p = assemble("idle", ".globl _start\n_start: j _start\n");
    let mut m = Machine::new(&p);
    let a = m.new_hart(Accel::Interp);
    let b = m.new_hart(Accel::Interp);
    let (sa, sb) = (m.signals[0].clone(), m.signals[1].clone());
    let run = |mut h: Hart, other: Arc<HartSignals>| {
        std::thread::spawn(move || {
            let t = other.request_fence_i();
            h.wait_for_remote(&[(&other, t)])
        })
    };
    let ja = run(a, sb.clone());
    let jb = run(b, sa.clone());
    assert!(ja.join().expect("hart a"));
    assert!(jb.join().expect("hart b"));

    let parked = Arc::new(HartSignals::default());
    parked.set_parked(true);
    let t = parked.request_tlb_flush();
    let start = Instant::now();
    assert!(parked.wait_serviced(t, Duration::from_secs(5)));
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(!parked.is_serviced(t), "a parked hart services nothing");
}
