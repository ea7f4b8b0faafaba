//! `--accel audit`: every block runs on both engines, the interpreter first as the oracle
//! (decision 1), and the run stops at the first block whose JIT run ends differently.
//!
//! It hunts JIT bugs in real guests, where the random programs of the differential tests
//! (emu-cpu/tests/differential.rs) do not reach. For each block:
//!
//! 1. snapshot the architectural state (x, f, pc, instret, the CSRs, privilege, the LR/SC
//!    reservation, and PMP when the block ends in a CSR access);
//! 2. run the block on the interpreter while journaling every RAM store (physical address,
//!    old bytes); in audit mode no TLB entry carries write permission, so every store of
//!    either engine reaches `store_slow` or `atomic_host`, where the journal lives;
//! 3. record the interpreter's result and the bytes it stored, put the old bytes back (in
//!    reverse order), restore the snapshot, and put back the decoded blocks that a store to
//!    a code page (or fence.i) dropped, so the JIT run ends its block at the same store;
//! 4. run the same translated block once, with no instruction allowance so it cannot go on
//!    into the next one through the indirect-jump table or a self-loop (`Jit::enter`;
//!    chaining is never set up in audit mode) and with the attention flag it reads pointed
//!    at one that is never set, so it cannot leave before its first instruction;
//! 5. compare everything recorded, and memory at every address either engine stored to.
//!
//! Blocks run only once, on the interpreter, and are counted as not audited: those that
//! touched MMIO (device side effects cannot be replayed), that ended in an exit to the host
//! (semihosting, SBI), and that access a CSR the clock drives (time, mip, sip), whose value
//! would differ between the two runs for no fault of either engine.
//!
//! Limits: one hart only (another hart's stores between the two runs would be undone or
//! reported); page-table A/D updates are not journaled (both engines set the same bits).

use crate::csr::{num, Csrs};
use crate::decode::{disasm, freg_name, xreg_name, Op};
use crate::hart::{Exit, Hart, HartState};
use crate::interp::Block;
use emu_mmu::pmp::Pmp;
use emu_mmu::Priv;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The attention flag translated code reads during an audited JIT run: never set.
static NEVER: AtomicBool = AtomicBool::new(false);

/// Environment variable for the audit's own tests: `RVX_AUDIT_INJECT=N` flips bit 0 of x10
/// after the JIT run of the N-th audited block, so a mismatch must be reported there.
const INJECT_VAR: &str = "RVX_AUDIT_INJECT";

/// How many blocks `--accel audit` compared, and how many it ran on the interpreter only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Run on both engines with the same result.
    pub audited: u64,
    /// Touched MMIO: device side effects cannot be replayed.
    pub mmio: u64,
    /// Ended in an exit to the host (semihosting, SBI, a stop request).
    pub exits: u64,
    /// Access a CSR that the clock drives (time, mip, sip).
    pub timed: u64,
    /// Could not be translated (the JIT is unavailable or its cache too small).
    pub untranslated: u64,
}

impl AuditStats {
    /// Blocks run on the interpreter only.
    pub fn skipped(&self) -> u64 {
        self.mmio + self.exits + self.timed + self.untranslated
    }
}

/// One journaled store: `size` bytes at guest physical `paddr` held `old` before it.
#[derive(Clone, Copy, Debug)]
struct Store {
    paddr: u64,
    size: usize,
    old: u64,
}

/// The audit's state on a hart (`Hart::audit`).
#[derive(Debug, Default)]
pub(crate) struct Audit {
    journaling: bool,
    journal: Vec<Store>,
    /// The first MMIO physical address accessed while journaling.
    mmio: Option<u64>,
    /// The audited block whose JIT result gets corrupted (tests only), 0 for none.
    inject: u64,
    stats: AuditStats,
    report: Option<String>,
}

/// Everything a block can change that the audit compares, or must put back.
#[derive(Clone)]
struct Snapshot {
    state: HartState,
    csr: Csrs,
    priv_: Priv,
    reservation: Option<std::num::NonZeroU64>,
    reserved_value: u64,
    /// Only when the block ends in a CSR access (the only way to change PMP).
    pmp: Option<Pmp>,
    last_exception: Option<(u64, u64, u64)>,
    double_fault: Option<Exit>,
    irq_check: bool,
}

/// Every field of `Csrs` by name. The exhaustive pattern makes a new CSR field a compile
/// error here, so the audit cannot silently stop comparing part of the state.
fn csr_fields(c: &Csrs) -> [(&'static str, u64); 26] {
    let Csrs {
        mstatus,
        medeleg,
        mideleg,
        mie,
        mip_sw,
        mtvec,
        stvec,
        mscratch,
        sscratch,
        mepc,
        sepc,
        mcause,
        scause,
        mtval,
        stval,
        mcounteren,
        scounteren,
        menvcfg,
        senvcfg,
        satp,
        stimecmp,
        mseccfg,
        frm,
        fflags,
        mcycle_offset,
        minstret_offset,
    } = c;
    [
        ("mstatus", *mstatus),
        ("medeleg", *medeleg),
        ("mideleg", *mideleg),
        ("mie", *mie),
        ("mip (software bits)", *mip_sw),
        ("mtvec", *mtvec),
        ("stvec", *stvec),
        ("mscratch", *mscratch),
        ("sscratch", *sscratch),
        ("mepc", *mepc),
        ("sepc", *sepc),
        ("mcause", *mcause),
        ("scause", *scause),
        ("mtval", *mtval),
        ("stval", *stval),
        ("mcounteren", *mcounteren),
        ("scounteren", *scounteren),
        ("menvcfg", *menvcfg),
        ("senvcfg", *senvcfg),
        ("satp", *satp),
        ("stimecmp", *stimecmp),
        ("mseccfg", *mseccfg),
        ("frm", u64::from(*frm)),
        ("fflags", u64::from(*fflags)),
        ("mcycle offset", *mcycle_offset),
        ("minstret offset", *minstret_offset),
    ]
}

/// A CSR whose value depends on when it is read: time, and the interrupt-pending bits the
/// clock drives (mtime >= mtimecmp, Sstc's stimecmp).
fn clock_driven(csr: u16) -> bool {
    matches!(csr, num::TIME | num::MIP | num::SIP)
}

fn is_csr_op(op: Op) -> bool {
    use Op::*;
    matches!(op, Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci)
}

impl Hart {
    /// Turns the audit on or off (`set_accel`). With it on, no TLB entry grants writes, so
    /// every store reaches the journal: start from an empty TLB.
    pub(crate) fn set_audit(&mut self, on: bool) {
        if on == self.audit.is_some() {
            return;
        }
        self.audit = on.then(|| {
            let inject = std::env::var(INJECT_VAR)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            Box::new(Audit {
                inject,
                ..Audit::default()
            })
        });
        self.flush_tlb();
    }

    /// The counts of `--accel audit` so far (None in the other modes).
    pub fn audit_stats(&self) -> Option<AuditStats> {
        self.audit.as_ref().map(|a| a.stats)
    }

    /// The report of the difference that ended the run with [`Exit::AuditMismatch`].
    pub fn audit_report(&self) -> Option<&str> {
        self.audit.as_ref().and_then(|a| a.report.as_deref())
    }

    /// Store hook (`store_slow`, `atomic_host`): journals the `size` bytes about to be
    /// written at host address `host` in guest RAM.
    #[inline]
    pub(crate) fn audit_store(&mut self, host: usize, size: usize) {
        let Some(a) = self.audit.as_mut() else {
            return;
        };
        if !a.journaling {
            return;
        }
        let paddr = self.ram.base() + (host - self.ram.host_addr(self.ram.base())) as u64;
        let old = self.ram.read(paddr, size).unwrap_or(0);
        a.journal.push(Store { paddr, size, old });
    }

    /// MMIO hook (`load_slow`, `store_slow`): notes a device access at physical `paddr`.
    #[inline]
    pub(crate) fn audit_mmio(&mut self, paddr: u64) {
        if let Some(a) = self.audit.as_mut() {
            if a.journaling && a.mmio.is_none() {
                a.mmio = Some(paddr);
            }
        }
    }

    fn audit_begin(&mut self) {
        if let Some(a) = self.audit.as_mut() {
            a.journal.clear();
            a.mmio = None;
            a.journaling = true;
        }
    }

    /// Stops journaling; returns the journal and the first MMIO address accessed.
    fn audit_end(&mut self) -> (Vec<Store>, Option<u64>) {
        match self.audit.as_mut() {
            Some(a) => {
                a.journaling = false;
                (std::mem::take(&mut a.journal), a.mmio.take())
            }
            None => (Vec::new(), None),
        }
    }

    fn audit_count(&mut self, f: impl FnOnce(&mut AuditStats)) {
        if let Some(a) = self.audit.as_mut() {
            f(&mut a.stats);
        }
    }

    fn snapshot(&self, with_pmp: bool) -> Snapshot {
        Snapshot {
            state: self.state.clone(),
            csr: self.csr.clone(),
            priv_: self.priv_,
            reservation: self.reservation,
            reserved_value: self.reserved_value,
            pmp: with_pmp.then(|| self.pmp.clone()),
            last_exception: self.last_exception,
            double_fault: self.double_fault,
            irq_check: self.irq_check,
        }
    }

    fn restore(&mut self, s: &Snapshot) {
        self.state = s.state.clone();
        self.csr = s.csr.clone();
        if let Some(pmp) = &s.pmp {
            self.pmp = pmp.clone();
        }
        self.set_priv(s.priv_);
        self.update_mmu_idx();
        self.reservation = s.reservation;
        self.reserved_value = s.reserved_value;
        self.last_exception = s.last_exception;
        self.double_fault = s.double_fault;
        self.irq_check = s.irq_check;
        self.code_dirty = false;
        self.pending_exit = None;
    }

    /// Runs `block` (at the current pc) on the interpreter and then on the JIT, and compares.
    pub(crate) fn audit_block(&mut self, block: &Arc<Block>) -> Option<Exit> {
        self.chain_site = None;
        let tracing = self.trace.exec || self.trace.cpu;
        let interp = |h: &mut Hart| {
            h.budget -= 1;
            if tracing {
                h.exec_block::<true>(&block.insns)
            } else {
                h.exec_block::<false>(&block.insns)
            }
        };
        if block
            .insns
            .iter()
            .any(|i| is_csr_op(i.op) && clock_driven(i.imm as u16 & 0xfff))
        {
            self.audit_count(|s| s.timed += 1);
            return interp(self);
        }
        // Translate first: a full code cache flushes every block, which is no part of the
        // block's effect and must not happen between the two runs.
        if block.jit.load(Ordering::Relaxed) == 0 && self.jit_translate(block).is_none() {
            self.audit_count(|s| s.untranslated += 1);
            return interp(self);
        }
        let pc = self.state.pc;
        let ends_in_csr = block.insns.last().is_some_and(|i| is_csr_op(i.op));
        let before = self.snapshot(ends_in_csr);
        let budget = self.budget;

        let retired = self.blocks.retired.len();
        self.audit_begin();
        let exit = interp(self);
        let (journal, mmio) = self.audit_end();
        if mmio.is_some() {
            self.audit_count(|s| s.mmio += 1);
            return exit;
        }
        if exit.is_some() {
            self.audit_count(|s| s.exits += 1);
            return exit;
        }
        let by_interp = self.snapshot(ends_in_csr);
        let mut stored: BTreeMap<u64, u8> = BTreeMap::new();
        for st in &journal {
            for k in 0..st.size as u64 {
                let byte = self.ram.read(st.paddr + k, 1).unwrap_or(0) as u8;
                stored.insert(st.paddr + k, byte);
            }
        }
        for st in journal.iter().rev() {
            // Quietly: the old bytes are what the blocks put back below were decoded from.
            self.ram.write_quiet(st.paddr, st.size, st.old);
        }
        self.restore(&before);
        // A store into a page holding code (or fence.i) dropped blocks, unmarked their page
        // and ended the block early; put them back, marked, so the JIT run meets the same
        // code pages (its store takes the slow path) and stops there too.
        let dropped = self.blocks.retired[retired..].to_vec();
        for b in &dropped {
            for page in b.pages() {
                if self.blocks.remark_page(page) {
                    self.tlb.clear_write_for_host_page(self.ram.host_addr(page));
                }
            }
            self.cache_block(b);
        }

        self.audit_begin();
        self.budget = 1;
        let attention = self.attention_addr;
        self.attention_addr = &NEVER as *const AtomicBool as usize;
        let jit_exit = self.run_translated(block);
        self.attention_addr = attention;
        self.chain_site = None;
        self.budget = budget - 1;
        let (jit_journal, jit_mmio) = self.audit_end();

        let inject = self.audit.as_mut().is_some_and(|a| {
            a.stats.audited += 1;
            a.inject == a.stats.audited
        });
        if inject {
            self.state.x[10] ^= 1;
        }
        let by_jit = self.snapshot(ends_in_csr);

        let mut diffs = diff_states(&by_interp, &by_jit);
        if let Some(e) = jit_exit {
            diffs.push(format!("exit: interpreter none | JIT {e:?}"));
        }
        if let Some(p) = jit_mmio {
            diffs.push(format!(
                "MMIO: the JIT accessed the device at {p:#x}, the interpreter no device"
            ));
        }
        // Memory: every byte either engine stored to must hold what the interpreter left.
        let mut old: BTreeMap<u64, u8> = BTreeMap::new();
        for st in journal.iter().chain(&jit_journal) {
            for k in 0..st.size as u64 {
                old.entry(st.paddr + k).or_insert((st.old >> (8 * k)) as u8);
            }
        }
        let mut mem = Vec::new();
        for (&addr, &was) in &old {
            let want = stored.get(&addr).copied().unwrap_or(was);
            let got = self.ram.read(addr, 1).unwrap_or(0) as u8;
            if want != got {
                mem.push(format!(
                    "memory {addr:#x}: interpreter {want:#04x} | JIT {got:#04x}"
                ));
            }
        }
        const MAX_MEM_LINES: usize = 16;
        if mem.len() > MAX_MEM_LINES {
            let more = mem.len() - MAX_MEM_LINES;
            mem.truncate(MAX_MEM_LINES);
            mem.push(format!("... and {more} more bytes"));
        }
        diffs.extend(mem);

        if diffs.is_empty() {
            return None;
        }
        let report = self.audit_text(block, pc, before.priv_, &diffs);
        self.audit_count(|s| s.audited -= 1);
        if let Some(a) = self.audit.as_mut() {
            a.report = Some(report);
        }
        Some(Exit::AuditMismatch { pc })
    }

    fn audit_text(&self, block: &Block, pc: u64, priv_: Priv, diffs: &[String]) -> String {
        let mut t = format!(
            "the JIT and the interpreter differ after the block at pc {pc:#x} \
             ({priv_:?}-mode, {} instruction{}, physical {:#x}):",
            block.insns.len(),
            if block.insns.len() == 1 { "" } else { "s" },
            block.paddr
        );
        let mut a = pc;
        for i in block.insns.iter() {
            let _ = write!(t, "\n  {a:#018x}: {:08x}  {}", i.raw, disasm(i, a));
            a = a.wrapping_add(u64::from(i.len));
        }
        t.push_str("\ndifferences (interpreter, the reference | JIT):");
        for d in diffs {
            let _ = write!(t, "\n  {d}");
        }
        t
    }
}

/// The differences between the interpreter's and the JIT's results, one line each.
fn diff_states(i: &Snapshot, j: &Snapshot) -> Vec<String> {
    // The common case, cheaply: nothing differs.
    let same = i.state.pc == j.state.pc
        && i.state.instret == j.state.instret
        && i.state.x == j.state.x
        && i.state.f == j.state.f
        && i.priv_ == j.priv_
        && csr_fields(&i.csr).map(|(_, v)| v) == csr_fields(&j.csr).map(|(_, v)| v)
        && i.reservation == j.reservation
        && (i.reservation.is_none() || i.reserved_value == j.reserved_value)
        && i.double_fault == j.double_fault
        && i.pmp.is_none();
    if same {
        return Vec::new();
    }
    let mut d = Vec::new();
    // Called for every audited block: names are formatted only for a difference.
    let mut cmp = |name: &dyn std::fmt::Display, a: u64, b: u64| {
        if a != b {
            d.push(format!("{name}: interpreter {a:#x} | JIT {b:#x}"));
        }
    };
    cmp(&"pc", i.state.pc, j.state.pc);
    cmp(&"instret", i.state.instret, j.state.instret);
    for r in 1..32u8 {
        let name = format_args!("{} (x{r})", xreg_name(r));
        cmp(&name, i.state.x[r as usize], j.state.x[r as usize]);
    }
    for r in 0..32u8 {
        let name = format_args!("{} (f{r})", freg_name(r));
        cmp(&name, i.state.f[r as usize], j.state.f[r as usize]);
    }
    for ((name, a), (_, b)) in csr_fields(&i.csr).into_iter().zip(csr_fields(&j.csr)) {
        cmp(&name, a, b);
    }
    cmp(&"privilege", i.priv_ as u64, j.priv_ as u64);
    let resv = |s: &Snapshot| s.reservation.map(|r| (r, s.reserved_value));
    if resv(i) != resv(j) {
        d.push(format!(
            "LR/SC reservation (host address, value): interpreter {:x?} | JIT {:x?}",
            resv(i),
            resv(j)
        ));
    }
    if let (Some(pi), Some(pj)) = (&i.pmp, &j.pmp) {
        for reg in (0..16).step_by(2) {
            let (a, b) = (pi.read_cfg(reg), pj.read_cfg(reg));
            if a != b {
                d.push(format!("pmpcfg{reg}: interpreter {a:#x} | JIT {b:#x}"));
            }
        }
        for n in 0..64 {
            let (a, b) = (pi.read_addr(n), pj.read_addr(n));
            if a != b {
                d.push(format!("pmpaddr{n}: interpreter {a:#x} | JIT {b:#x}"));
            }
        }
    }
    if i.double_fault != j.double_fault {
        d.push(format!(
            "double fault: interpreter {:?} | JIT {:?}",
            i.double_fault, j.double_fault
        ));
    }
    d
}
