//! The hart: architectural state, trap entry, interrupts, WFI, and the run loop.

use crate::csr::{mstatus, Csrs, IRQ_S};
use crate::interp::BlockCache;
use crate::trap::{Exception, INTERRUPT_BIT, INTERRUPT_PRIORITY};
use emu_mmu::pmp::Pmp;
use emu_mmu::tlb::{MmuIdx, Tlb};
use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl, Priv};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Registers translated code addresses relative to a pinned host register (decision 2):
/// the layout is fixed and `#[repr(C)]`.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct HartState {
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub pc: u64,
    /// Instructions retired since reset (minstret/mcycle derive from it).
    pub instret: u64,
}

/// How the hart is wired to the machine.
pub struct HartConfig {
    pub hartid: u64,
    pub bus: Arc<Bus>,
    pub signals: Arc<HartSignals>,
    pub control: Arc<MachineControl>,
    pub clock: Clock,
}

/// Why `run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The machine asked every hart to stop (HTIF exit, poweroff, console quit).
    Stopped,
    /// A semihosting call: pc already points past the `ebreak`; a0 = operation, a1 =
    /// parameter. The handler writes the result to a0 and calls `run` again.
    Semihosting,
    /// The guest can make no progress: an exception was raised at the very address its
    /// previous identical exception vectored to, with no instruction retired in between
    /// (e.g. mtvec is 0 and nothing is mapped there). Running on would loop forever.
    DoubleFault { cause: u64, pc: u64, tval: u64 },
    /// An SBI call (only when the built-in SBI is enabled with `set_sbi`): S-mode executed
    /// `ecall`; pc already points past it. a7 = extension, a6 = function, a0-a5 = arguments;
    /// the handler writes a0 (error) and a1 (value) and calls `run` again.
    Sbi,
    /// `--accel audit` found a block whose JIT run differs from its interpreter run; the
    /// report is in [`Hart::audit_report`]. `pc` is the block's first instruction.
    AuditMismatch { pc: u64 },
}

/// Which engine runs guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Accel {
    /// The interpreter: the definition of the ISA, on every host.
    #[default]
    Interp,
    /// Translation to host code (x86-64 hosts).
    Jit,
    /// Every block runs on both engines, the interpreter as the oracle, and the run stops
    /// at the first difference (see `audit.rs`). For hunting JIT bugs; x86-64 hosts.
    Audit,
}

/// Which trace items are on (`-d in_asm,exec,int,cpu,mmu`). Each maps onto a `tracing`
/// target of the same name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceFlags {
    pub in_asm: bool,
    /// Host code of each new translation (JIT), disassembled with capstone.
    pub out_asm: bool,
    pub exec: bool,
    pub int: bool,
    pub cpu: bool,
    pub mmu: bool,
}

impl TraceFlags {
    pub fn any(&self) -> bool {
        self.in_asm || self.out_asm || self.exec || self.int || self.cpu || self.mmu
    }
}

/// How many blocks run between looks at the clock (timer interrupts, stop requests). At
/// ~5 instructions a block this is well under a millisecond of guest time.
const BLOCKS_PER_TIMER_CHECK: i32 = 2048;

/// Page-group slots translated code may use at once (`Hart::page_slots`).
pub(crate) const PAGE_SLOTS: usize = 8;

/// `#[repr(C)]` with `state` first: translated code reaches the guest registers at small
/// offsets from its hart pointer (one-byte displacements for x0-x15).
#[repr(C)]
pub struct Hart {
    pub state: HartState,
    pub csr: Csrs,
    pub priv_: Priv,
    pub pmp: Pmp,
    pub hartid: u64,
    pub(crate) tlb: Box<Tlb>,
    /// MMU index for data accesses (priv or MPP under MPRV, SUM, MXR).
    pub(crate) data_idx: MmuIdx,
    /// MMU index for instruction fetch.
    pub(crate) fetch_idx: MmuIdx,
    pub(crate) bus: Arc<Bus>,
    pub(crate) ram: Arc<GuestRam>,
    pub(crate) signals: Arc<HartSignals>,
    pub(crate) control: Arc<MachineControl>,
    pub(crate) clock: Clock,
    /// LR/SC reservation: the host address of the reserved doubleword/word. (An
    /// `Option<NonZeroU64>` is a u64 with 0 for None: translated code reads and writes it.)
    pub(crate) reservation: Option<std::num::NonZeroU64>,
    /// The value LR read; SC succeeds only if memory still holds it (compare-and-swap).
    pub(crate) reserved_value: u64,
    pub(crate) blocks: BlockCache,
    /// Set when something (CSR write, xRET) may have made an interrupt takeable.
    pub(crate) irq_check: bool,
    /// Set by the memory slow path when a store hit a page holding decoded code, so the
    /// block being executed stops before running stale instructions.
    pub(crate) code_dirty: bool,
    pub(crate) semihosting: bool,
    /// The built-in SBI answers S-mode ecalls (`Exit::Sbi`) instead of trapping to M-mode.
    pub(crate) sbi: bool,
    pub(crate) trace: TraceFlags,
    pub(crate) accel: Accel,
    pub(crate) jit: Option<Box<crate::jit::Jit>>,
    pub(crate) jit_cache_size: usize,
    /// A block runs this many times on the interpreter before it is translated.
    pub(crate) jit_threshold: u32,
    /// Host address of the data TLB table for `data_idx` (read by translated code).
    pub(crate) data_tlb: usize,
    /// An exit requested by an instruction run from translated code.
    pub(crate) pending_exit: Option<Exit>,
    /// A direct exit of the last translated block waiting to be chained to its target.
    pub(crate) chain_site: Option<crate::jit::ChainSite>,
    /// Blocks left before the next look at the clock. The interpreter decrements it per
    /// block; translated code gets it as an instruction allowance (see `jit_base`).
    pub(crate) budget: i32,
    /// While translated code runs: instret + the instructions it may retire before it must
    /// return to the dispatcher (it keeps `jit_base - instret` in a host register and checks
    /// it at every block entry, chained ones included).
    pub(crate) jit_base: u64,
    /// Translated code's page-group slots: the TLB addend a group's first access found for
    /// the page all of the group's accesses lie in, or 0 (see `jit::x86_64`, "page groups").
    pub(crate) page_slots: [u64; PAGE_SLOTS],
    /// `&signals.attention` as an address, for translated code's entry check.
    pub(crate) attention_addr: usize,
    /// Address of the current privilege's indirect-jump table (`BlockCache::jit_table_addr`)
    /// for translated code; set before each entry.
    pub(crate) jit_table_addr: usize,
    /// (instret, cause, vector) of the last exception, to recognise a double fault.
    pub(crate) last_exception: Option<(u64, u64, u64)>,
    pub(crate) double_fault: Option<Exit>,
    /// `--accel audit` bookkeeping (None in the other modes; see `audit.rs`).
    pub(crate) audit: Option<Box<crate::audit::Audit>>,
}

impl Hart {
    pub fn new(cfg: HartConfig) -> Hart {
        let ram = cfg.bus.ram().clone();
        let mut h = Hart {
            state: HartState {
                x: [0; 32],
                f: [0; 32],
                pc: 0,
                instret: 0,
            },
            csr: Csrs::reset(),
            priv_: Priv::M,
            pmp: Pmp::default(),
            hartid: cfg.hartid,
            tlb: Box::default(),
            data_idx: MmuIdx::M,
            fetch_idx: MmuIdx::M,
            blocks: BlockCache::new(&ram, &cfg.signals),
            bus: cfg.bus,
            ram,
            signals: cfg.signals,
            control: cfg.control,
            clock: cfg.clock,
            reservation: None,
            reserved_value: 0,
            irq_check: true,
            code_dirty: false,
            semihosting: false,
            sbi: false,
            trace: TraceFlags::default(),
            accel: Accel::Interp,
            jit: None,
            jit_cache_size: crate::jit::DEFAULT_CACHE_SIZE,
            jit_threshold: 0,
            data_tlb: 0,
            pending_exit: None,
            chain_site: None,
            budget: BLOCKS_PER_TIMER_CHECK,
            jit_base: 0,
            page_slots: [0; PAGE_SLOTS],
            attention_addr: 0,
            jit_table_addr: 0,
            last_exception: None,
            double_fault: None,
            audit: None,
        };
        h.attention_addr = &h.signals.attention as *const _ as usize;
        h.reset(0);
        h
    }

    /// Resets to M-mode at `pc` with every CSR at its reset value.
    pub fn reset(&mut self, pc: u64) {
        self.state = HartState {
            x: [0; 32],
            f: [0; 32],
            pc,
            instret: 0,
        };
        self.csr = Csrs::reset();
        self.priv_ = Priv::M;
        self.pmp = Pmp::default();
        self.reservation = None;
        self.last_exception = None;
        self.double_fault = None;
        self.flush_tlb();
        self.blocks.flush();
        self.update_mmu_idx();
        self.irq_check = true;
    }

    pub fn set_semihosting(&mut self, enabled: bool) {
        self.semihosting = enabled;
    }

    /// Enables the built-in SBI: S-mode `ecall`s end `run` with [`Exit::Sbi`].
    pub fn set_sbi(&mut self, enabled: bool) {
        self.sbi = enabled;
    }

    /// Enters S-mode at `pc` with a0 = `a0`, a1 = `a1`, as M-mode firmware (OpenSBI) leaves
    /// a hart when it starts the kernel: every delegable exception except ecall-from-S and
    /// the S-level interrupts delegated, counters readable, Sstc's stimecmp enabled, PMP
    /// granting everything, translation off.
    pub fn enter_supervisor(&mut self, pc: u64, a0: u64, a1: u64) {
        use crate::csr::envcfg;
        let c = &mut self.csr;
        // OpenSBI's delegation (sbi_hart.c delegate_traps): misaligned fetch, breakpoint,
        // ecall from U, and the page faults; we also delegate the access faults and
        // illegal instruction, which a built-in SBI has no use for.
        c.medeleg = crate::csr::MEDELEG_WRITABLE & !(1 << crate::trap::Cause::EcallFromS as u64);
        c.mideleg = IRQ_S;
        c.mcounteren = 0xffff_ffff;
        c.menvcfg |= envcfg::STCE;
        c.satp = 0;
        c.mstatus &= !(mstatus::MPRV | mstatus::SIE | mstatus::SPIE);
        self.pmp.allow_all();
        self.state.x = [0; 32];
        self.state.x[10] = a0;
        self.state.x[11] = a1;
        self.state.pc = pc;
        self.set_priv(Priv::S);
        self.flush_tlb();
        self.blocks.flush();
        self.update_mmu_idx();
        self.irq_check = true;
    }

    /// Sets stimecmp (the SBI TIME extension's set_timer on a hart with Sstc enabled).
    pub fn set_stimecmp(&mut self, value: u64) {
        self.csr.stimecmp = value;
        self.irq_check = true;
    }

    /// Selects the engine. Returns false (keeping the interpreter) if this host has no JIT.
    pub fn set_accel(&mut self, accel: Accel) -> bool {
        if accel != Accel::Interp && !cfg!(target_arch = "x86_64") {
            return false;
        }
        self.accel = accel;
        self.set_audit(accel == Accel::Audit);
        true
    }

    /// Size of the JIT's code cache (`--jit-cache-size`); takes effect before the first
    /// translation.
    pub fn set_jit_cache_size(&mut self, bytes: usize) {
        self.jit_cache_size = bytes;
    }

    /// How many times a block runs on the interpreter before the JIT translates it
    /// (`--jit-threshold`; 0 translates every block before its first run).
    pub fn set_jit_threshold(&mut self, runs: u32) {
        self.jit_threshold = runs;
    }

    pub fn accel(&self) -> Accel {
        self.accel
    }

    pub fn set_trace(&mut self, flags: TraceFlags) {
        self.trace = flags;
    }

    pub fn xreg(&self, i: usize) -> u64 {
        self.state.x[i & 31]
    }

    pub fn set_xreg(&mut self, i: usize, v: u64) {
        if i & 31 != 0 {
            self.state.x[i & 31] = v;
        }
    }

    pub fn freg(&self, i: usize) -> u64 {
        self.state.f[i & 31]
    }

    pub fn pc(&self) -> u64 {
        self.state.pc
    }

    pub fn set_pc(&mut self, pc: u64) {
        self.state.pc = pc;
    }

    pub fn signals(&self) -> &Arc<HartSignals> {
        &self.signals
    }

    /// Recomputes the MMU indexes after a change of privilege or of mstatus.
    pub(crate) fn update_mmu_idx(&mut self) {
        let m = self.csr.mstatus;
        let sum = m & mstatus::SUM != 0;
        let mxr = m & mstatus::MXR != 0;
        let data_priv = if self.priv_ == Priv::M && m & mstatus::MPRV != 0 {
            Priv::from_bits(m >> mstatus::MPP_SHIFT)
        } else {
            self.priv_
        };
        self.data_idx = MmuIdx::new(data_priv, sum, mxr);
        self.data_tlb = self.tlb.tables[self.data_idx as usize].as_ptr() as usize;
        self.fetch_idx = MmuIdx::new(self.priv_, false, false);
    }

    /// Changes privilege. Callers (trap entry, xRET) also change mstatus and then call
    /// `update_mmu_idx` once for both.
    pub(crate) fn set_priv(&mut self, p: Priv) {
        // Execute permission depends on privilege: each has its own indirect-jump table.
        self.priv_ = p;
    }

    pub(crate) fn request_irq_check(&mut self) {
        self.irq_check = true;
    }

    /// Takes a synchronous exception at `pc`.
    pub(crate) fn raise(&mut self, e: Exception, pc: u64) {
        let cause = e.cause as u64;
        let key = (self.state.instret, cause, pc);
        if self.last_exception == Some(key) {
            self.double_fault = Some(Exit::DoubleFault {
                cause,
                pc,
                tval: e.tval,
            });
            self.irq_check = true;
            return;
        }
        self.take_trap(cause, e.tval, pc);
        // A repeat of this exception at the vector, before anything retires, is a fixed point.
        self.last_exception = Some((self.state.instret, cause, self.state.pc));
    }

    /// Trap entry (privileged spec 3.1.6.1, 3.3.1, 4.1.1): picks M or S through
    /// medeleg/mideleg, saves the pc and the interrupt-enable stack, jumps to the vector.
    pub(crate) fn take_trap(&mut self, cause: u64, tval: u64, pc: u64) {
        let interrupt = cause & INTERRUPT_BIT != 0;
        let code = cause & !INTERRUPT_BIT;
        let deleg = if interrupt {
            self.csr.mideleg
        } else {
            self.csr.medeleg
        };
        let to_s = self.priv_ != Priv::M && deleg >> code & 1 != 0;
        if self.trace.int {
            tracing::trace!(target: "int", hart = self.hartid, cause = format_args!("{cause:#x}"),
                tval = format_args!("{tval:#x}"), pc = format_args!("{pc:#x}"),
                from = ?self.priv_, to = if to_s { "S" } else { "M" }, "trap");
        }
        let m = self.csr.mstatus;
        let (tvec, new_priv) = if to_s {
            self.csr.sepc = pc;
            self.csr.scause = cause;
            self.csr.stval = tval;
            let spie = if m & mstatus::SIE != 0 {
                mstatus::SPIE
            } else {
                0
            };
            let spp = if self.priv_ == Priv::S {
                mstatus::SPP
            } else {
                0
            };
            self.csr.mstatus = (m & !(mstatus::SIE | mstatus::SPIE | mstatus::SPP)) | spie | spp;
            (self.csr.stvec, Priv::S)
        } else {
            self.csr.mepc = pc;
            self.csr.mcause = cause;
            self.csr.mtval = tval;
            let mpie = if m & mstatus::MIE != 0 {
                mstatus::MPIE
            } else {
                0
            };
            let mpp = (self.priv_ as u64) << mstatus::MPP_SHIFT;
            self.csr.mstatus = (m & !(mstatus::MIE | mstatus::MPIE | mstatus::MPP)) | mpie | mpp;
            (self.csr.mtvec, Priv::M)
        };
        let base = tvec & !3;
        self.state.pc = if interrupt && tvec & 3 == 1 {
            base + 4 * code
        } else {
            base
        };
        self.set_priv(new_priv);
        self.update_mmu_idx();
        self.reservation = None;
    }

    /// mret (privileged spec 3.3.2).
    pub(crate) fn mret(&mut self) -> u64 {
        let m = self.csr.mstatus;
        let mpp = Priv::from_bits(m >> mstatus::MPP_SHIFT);
        let mie = if m & mstatus::MPIE != 0 {
            mstatus::MIE
        } else {
            0
        };
        let mut new = (m & !(mstatus::MIE | mstatus::MPP)) | mie | mstatus::MPIE;
        if mpp != Priv::M {
            new &= !mstatus::MPRV;
        }
        self.csr.mstatus = new;
        self.set_priv(mpp);
        self.update_mmu_idx();
        self.irq_check = true;
        self.reservation = None;
        self.csr.mepc
    }

    /// sret (privileged spec 3.3.2).
    pub(crate) fn sret(&mut self) -> u64 {
        let m = self.csr.mstatus;
        let spp = if m & mstatus::SPP != 0 {
            Priv::S
        } else {
            Priv::U
        };
        let sie = if m & mstatus::SPIE != 0 {
            mstatus::SIE
        } else {
            0
        };
        let new = (m & !(mstatus::SIE | mstatus::SPP | mstatus::MPRV)) | sie | mstatus::SPIE;
        self.csr.mstatus = new;
        self.set_priv(spp);
        self.update_mmu_idx();
        self.irq_check = true;
        self.reservation = None;
        self.csr.sepc
    }

    /// The mie bits whose interrupts would be taken now if pending, as (M-level, S-level)
    /// sets (privileged spec 3.1.6.1, 3.1.9): an interrupt not delegated by mideleg is
    /// enabled below M or in M with mstatus.MIE; a delegated one below S or in S with
    /// mstatus.SIE. The two sets are disjoint.
    pub(crate) fn armed_interrupts(&self) -> (u64, u64) {
        let m = self.csr.mstatus;
        let m_enabled = self.priv_ < Priv::M || m & mstatus::MIE != 0;
        let s_enabled = self.priv_ < Priv::S || (self.priv_ == Priv::S && m & mstatus::SIE != 0);
        let m_armed = if m_enabled {
            self.csr.mie & !self.csr.mideleg
        } else {
            0
        };
        let s_armed = if s_enabled {
            self.csr.mie & self.csr.mideleg & IRQ_S
        } else {
            0
        };
        (m_armed, s_armed)
    }

    /// The interrupt to take now, if any (privileged spec 3.1.9).
    ///
    /// Reading the clock (for MTIP, and STIP under Sstc) costs a host clock_gettime, and
    /// this runs at every interrupt check: the clock is read only when a timer bit could
    /// change the answer. Choosing is taking the first of a fixed order (M-level before
    /// S-level, each by INTERRUPT_PRIORITY), and the clock can only add timer bits; so if
    /// adding every armed timer bit at once chooses what the other bits already choose, no
    /// value of the clock can choose anything else.
    pub(crate) fn pending_interrupt(&self) -> Option<u64> {
        let (m_armed, s_armed) = self.armed_interrupts();
        let armed = m_armed | s_armed;
        if armed == 0 {
            return None;
        }
        let choose = |pending: u64| {
            highest_priority(pending & m_armed).or_else(|| highest_priority(pending & s_armed))
        };
        let untimed = self.mip_untimed();
        let chosen = choose(untimed);
        let timers = self.timer_irqs() & armed & !untimed;
        if timers == 0 || choose(untimed | timers) == chosen {
            return chosen;
        }
        choose(untimed | self.mip_timers(self.clock.mtime()))
    }

    /// Takes a pending interrupt if one is enabled. Returns true if a trap was taken.
    pub(crate) fn check_interrupts(&mut self) -> bool {
        if let Some(code) = self.pending_interrupt() {
            let pc = self.state.pc;
            self.take_trap(INTERRUPT_BIT | code, 0, pc);
            return true;
        }
        false
    }

    /// WFI: sleeps until an interrupt is pending (enabled in mie, whatever the global
    /// enables), the stop flag, or the next timer deadline.
    pub fn wait_for_interrupt(&mut self) {
        loop {
            if self.control.stop_requested() {
                return;
            }
            // Remote fences and IPIs kick a sleeping hart: service them here (an SSIP
            // request may be what ends the wait).
            self.service_requests();
            if self.mip() & self.csr.mie != 0 {
                return;
            }
            let mut deadline = self.signals.mtimecmp.load(Ordering::Relaxed);
            if self.csr.menvcfg & crate::csr::envcfg::STCE != 0 {
                deadline = deadline.min(self.csr.stimecmp);
            }
            let at = (deadline != u64::MAX).then(|| self.clock.instant_of(deadline));
            // Never sleep unboundedly: a stop request from another thread may not kick us.
            let cap = std::time::Instant::now() + std::time::Duration::from_millis(50);
            self.signals
                .sleep_until(Some(at.map_or(cap, |a| a.min(cap))));
        }
    }

    /// Runs until the machine stops or a semihosting call needs the host.
    pub fn run(&mut self) -> Exit {
        loop {
            if self.irq_check || self.signals.attention.load(Ordering::Relaxed) {
                self.signals.attention.store(false, Ordering::Relaxed);
                self.irq_check = false;
                if self.control.stop_requested() {
                    return Exit::Stopped;
                }
                if let Some(exit) = self.double_fault.take() {
                    return exit;
                }
                self.service_requests();
                self.check_interrupts();
            }
            self.blocks.release_retired();
            if self.budget <= 0 {
                self.budget = BLOCKS_PER_TIMER_CHECK;
                self.irq_check = true;
                continue;
            }
            if let Some(exit) = self.run_block() {
                return exit;
            }
        }
    }

    pub(crate) fn bus(&self) -> &Bus {
        &self.bus
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.control.stop_requested()
    }
}

/// The highest-priority interrupt in `pending` (privileged spec 3.1.9).
fn highest_priority(pending: u64) -> Option<u64> {
    if pending == 0 {
        return None;
    }
    INTERRUPT_PRIORITY
        .into_iter()
        .find(|&code| pending >> code & 1 != 0)
}
