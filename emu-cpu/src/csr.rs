//! Control and status registers (privileged spec 1.12, chapters 2, 3 and 4; Sstc; Zicsr).
//!
//! `Hart::csr_read`/`csr_write` implement the access rules (privilege from bits 9:8, read-only
//! from bits 11:10, counter enables, TVM, FS) and every register's WARL behaviour. An unknown
//! CSR or a forbidden access is an illegal-instruction exception with tval = the instruction.

use crate::hart::Hart;
use crate::trap::Exception;
use emu_mmu::signals::irq;
use emu_mmu::walk::{SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48, SATP_MODE_SV57};
use emu_mmu::Priv;

pub mod num {
    pub const FFLAGS: u16 = 0x001;
    pub const FRM: u16 = 0x002;
    pub const FCSR: u16 = 0x003;
    pub const CYCLE: u16 = 0xc00;
    pub const TIME: u16 = 0xc01;
    pub const INSTRET: u16 = 0xc02;
    pub const HPMCOUNTER3: u16 = 0xc03;
    pub const HPMCOUNTER31: u16 = 0xc1f;
    pub const SSTATUS: u16 = 0x100;
    pub const SIE: u16 = 0x104;
    pub const STVEC: u16 = 0x105;
    pub const SCOUNTEREN: u16 = 0x106;
    pub const SENVCFG: u16 = 0x10a;
    pub const SSCRATCH: u16 = 0x140;
    pub const SEPC: u16 = 0x141;
    pub const SCAUSE: u16 = 0x142;
    pub const STVAL: u16 = 0x143;
    pub const SIP: u16 = 0x144;
    pub const STIMECMP: u16 = 0x14d;
    pub const SATP: u16 = 0x180;
    pub const MVENDORID: u16 = 0xf11;
    pub const MARCHID: u16 = 0xf12;
    pub const MIMPID: u16 = 0xf13;
    pub const MHARTID: u16 = 0xf14;
    pub const MCONFIGPTR: u16 = 0xf15;
    pub const MSTATUS: u16 = 0x300;
    pub const MISA: u16 = 0x301;
    pub const MEDELEG: u16 = 0x302;
    pub const MIDELEG: u16 = 0x303;
    pub const MIE: u16 = 0x304;
    pub const MTVEC: u16 = 0x305;
    pub const MCOUNTEREN: u16 = 0x306;
    pub const MENVCFG: u16 = 0x30a;
    pub const MCOUNTINHIBIT: u16 = 0x320;
    pub const MHPMEVENT3: u16 = 0x323;
    pub const MHPMEVENT31: u16 = 0x33f;
    pub const MSCRATCH: u16 = 0x340;
    pub const MEPC: u16 = 0x341;
    pub const MCAUSE: u16 = 0x342;
    pub const MTVAL: u16 = 0x343;
    pub const MIP: u16 = 0x344;
    pub const PMPCFG0: u16 = 0x3a0;
    pub const PMPCFG15: u16 = 0x3af;
    pub const PMPADDR0: u16 = 0x3b0;
    pub const PMPADDR63: u16 = 0x3ef;
    pub const MSECCFG: u16 = 0x747;
    pub const TSELECT: u16 = 0x7a0;
    pub const TDATA1: u16 = 0x7a1;
    pub const TDATA3: u16 = 0x7a3;
    pub const TINFO: u16 = 0x7a4;
    pub const MCYCLE: u16 = 0xb00;
    pub const MINSTRET: u16 = 0xb02;
    pub const MHPMCOUNTER3: u16 = 0xb03;
    pub const MHPMCOUNTER31: u16 = 0xb1f;
}

/// mstatus fields.
pub mod mstatus {
    pub const SIE: u64 = 1 << 1;
    pub const MIE: u64 = 1 << 3;
    pub const SPIE: u64 = 1 << 5;
    pub const MPIE: u64 = 1 << 7;
    pub const SPP: u64 = 1 << 8;
    pub const MPP_SHIFT: u32 = 11;
    pub const MPP: u64 = 3 << MPP_SHIFT;
    pub const FS_SHIFT: u32 = 13;
    pub const FS: u64 = 3 << FS_SHIFT;
    pub const MPRV: u64 = 1 << 17;
    pub const SUM: u64 = 1 << 18;
    pub const MXR: u64 = 1 << 19;
    pub const TVM: u64 = 1 << 20;
    pub const TW: u64 = 1 << 21;
    pub const TSR: u64 = 1 << 22;
    /// UXL = SXL = 2 (XLEN 64), read-only.
    pub const XLEN_FIELDS: u64 = (2 << 32) | (2 << 34);
    pub const SD: u64 = 1 << 63;
    pub const WRITABLE: u64 =
        SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR;
    /// The bits sstatus shows of mstatus (UBE, VS, XS are always zero here).
    pub const SSTATUS_VIEW: u64 = SIE | SPIE | SPP | FS | SUM | MXR | (3 << 32) | SD;
    pub const SSTATUS_WRITABLE: u64 = SIE | SPIE | SPP | FS | SUM | MXR;
}

/// menvcfg/senvcfg fields.
pub mod envcfg {
    pub const FIOM: u64 = 1;
    pub const CBIE: u64 = 3 << 4;
    pub const CBCFE: u64 = 1 << 6;
    pub const CBZE: u64 = 1 << 7;
    pub const STCE: u64 = 1 << 63;
    pub const M_WRITABLE: u64 = FIOM | CBIE | CBCFE | CBZE | STCE;
    pub const S_WRITABLE: u64 = FIOM | CBIE | CBCFE | CBZE;
}

/// misa: RV64 with A, C, D, F, I, M, S, U.
pub const MISA_VALUE: u64 = (2 << 62)
    | (1 << 0)
    | (1 << 2)
    | (1 << 3)
    | (1 << 5)
    | (1 << 8)
    | (1 << 12)
    | (1 << 18)
    | (1 << 20);

/// Interrupt bits the hart implements (mie/mip).
const IRQ_ALL: u64 = irq::SSIP | irq::MSIP | irq::STIP | irq::MTIP | irq::SEIP | irq::MEIP;
/// Supervisor interrupt bits (delegable through mideleg).
pub const IRQ_S: u64 = irq::SSIP | irq::STIP | irq::SEIP;
/// Exceptions that may be delegated to S-mode (all but ecall from M and the reserved codes).
pub(crate) const MEDELEG_WRITABLE: u64 = 0xb3ff;

/// The CSRs that are plain state (the rest are computed in csr_read).
#[derive(Clone, Debug, Default)]
pub struct Csrs {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// Software-writable mip bits (SSIP, STIP without Sstc, SEIP); device-driven bits live in
    /// HartSignals and the timer bits are derived from the clock.
    pub mip_sw: u64,
    pub mtvec: u64,
    pub stvec: u64,
    pub mscratch: u64,
    pub sscratch: u64,
    pub mepc: u64,
    pub sepc: u64,
    pub mcause: u64,
    pub scause: u64,
    pub mtval: u64,
    pub stval: u64,
    pub mcounteren: u64,
    pub scounteren: u64,
    pub menvcfg: u64,
    pub senvcfg: u64,
    pub satp: u64,
    pub stimecmp: u64,
    pub mseccfg: u64,
    pub frm: u8,
    pub fflags: u8,
    /// mcycle = instret + mcycle_offset (one instruction per cycle); written values set
    /// the offsets.
    pub mcycle_offset: u64,
    pub minstret_offset: u64,
}

impl Csrs {
    pub fn reset() -> Csrs {
        Csrs {
            mstatus: mstatus::XLEN_FIELDS,
            stimecmp: u64::MAX,
            ..Csrs::default()
        }
    }
}

/// What a CSR write changed that the hart must react to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CsrEffect {
    pub flush_tlb: bool,
}

impl Hart {
    fn counter_allowed(&self, bit: u32) -> bool {
        match self.priv_ {
            Priv::M => true,
            Priv::S => self.csr.mcounteren >> bit & 1 != 0,
            Priv::U => self.csr.mcounteren >> bit & 1 != 0 && self.csr.scounteren >> bit & 1 != 0,
        }
    }

    fn fs_enabled(&self) -> bool {
        self.csr.mstatus & mstatus::FS != 0
    }

    /// Checks privilege and read-only rules for an access to `csr`.
    fn csr_check(&self, csr: u16, write: bool, raw: u32) -> Result<(), Exception> {
        let min_priv = (csr >> 8) & 3;
        if (self.priv_ as u16) < min_priv {
            return Err(Exception::illegal(raw));
        }
        if write && csr >> 10 == 3 {
            return Err(Exception::illegal(raw));
        }
        Ok(())
    }

    /// mip as software sees it: software bits, device lines and the timer comparisons.
    pub fn mip(&self) -> u64 {
        self.mip_untimed() | self.mip_timers(self.clock.mtime())
    }

    /// The mip bits that do not depend on the clock: the software-writable bits and the device
    /// lines, without STIP while Sstc derives it from stimecmp (Sstc spec, menvcfg.STCE).
    pub(crate) fn mip_untimed(&self) -> u64 {
        let mut mip = self.csr.mip_sw
            | self
                .signals
                .pending
                .load(std::sync::atomic::Ordering::Relaxed);
        if self.csr.menvcfg & envcfg::STCE != 0 {
            mip &= !irq::STIP;
        }
        mip
    }

    /// The mip bits the clock can set: MTIP (mtime >= mtimecmp, privileged spec 3.2.1), and
    /// STIP while Sstc is enabled (mtime >= stimecmp).
    pub(crate) fn timer_irqs(&self) -> u64 {
        if self.csr.menvcfg & envcfg::STCE != 0 {
            irq::MTIP | irq::STIP
        } else {
            irq::MTIP
        }
    }

    /// The timer bits of mip at mtime `now` (a subset of `timer_irqs`).
    pub(crate) fn mip_timers(&self, now: u64) -> u64 {
        let mut mip = 0;
        if now
            >= self
                .signals
                .mtimecmp
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            mip |= irq::MTIP;
        }
        if self.csr.menvcfg & envcfg::STCE != 0 && now >= self.csr.stimecmp {
            mip |= irq::STIP;
        }
        mip
    }

    pub fn instret(&self) -> u64 {
        self.state.instret.wrapping_add(self.csr.minstret_offset)
    }

    fn mcycle(&self) -> u64 {
        self.state.instret.wrapping_add(self.csr.mcycle_offset)
    }

    /// Reads a CSR for an instruction (`raw` is its bits, for the illegal-instruction tval).
    pub fn csr_read(&mut self, csr: u16, raw: u32) -> Result<u64, Exception> {
        self.csr_check(csr, false, raw)?;
        match self.csr_value(csr) {
            Some(Ok(v)) => Ok(v),
            _ => Err(Exception::illegal(raw)),
        }
    }

    /// The value of `csr`, or None if rvx has no such CSR. Err for present CSRs that this
    /// privilege or configuration may not access.
    fn csr_value(&self, csr: u16) -> Option<Result<u64, Exception>> {
        use num::*;
        let c = &self.csr;
        let ill = Err(Exception::new(crate::trap::Cause::IllegalInstruction, 0));
        let v = match csr {
            FFLAGS | FRM | FCSR if !self.fs_enabled() => return Some(ill),
            FFLAGS => c.fflags as u64,
            FRM => c.frm as u64,
            FCSR => ((c.frm as u64) << 5) | c.fflags as u64,
            CYCLE..=HPMCOUNTER31 => {
                if !self.counter_allowed((csr - CYCLE) as u32) {
                    return Some(ill);
                }
                match csr {
                    CYCLE => self.mcycle(),
                    TIME => self.clock.mtime(),
                    INSTRET => self.instret(),
                    _ => 0,
                }
            }
            SSTATUS => self.mstatus_value() & mstatus::SSTATUS_VIEW,
            SIE => c.mie & c.mideleg,
            STVEC => c.stvec,
            SCOUNTEREN => c.scounteren,
            SENVCFG => c.senvcfg,
            SSCRATCH => c.sscratch,
            SEPC => c.sepc,
            SCAUSE => c.scause,
            STVAL => c.stval,
            SIP => self.mip() & c.mideleg,
            STIMECMP => {
                if !self.stimecmp_allowed() {
                    return Some(ill);
                }
                c.stimecmp
            }
            SATP => {
                if self.priv_ == Priv::S && c.mstatus & mstatus::TVM != 0 {
                    return Some(ill);
                }
                c.satp
            }
            MVENDORID | MARCHID | MIMPID | MCONFIGPTR => 0,
            MHARTID => self.hartid,
            MSTATUS => self.mstatus_value(),
            MISA => MISA_VALUE,
            MEDELEG => c.medeleg,
            MIDELEG => c.mideleg,
            MIE => c.mie,
            MTVEC => c.mtvec,
            MCOUNTEREN => c.mcounteren,
            MENVCFG => c.menvcfg,
            MCOUNTINHIBIT => 0,
            MHPMEVENT3..=MHPMEVENT31 => 0,
            MSCRATCH => c.mscratch,
            MEPC => c.mepc,
            MCAUSE => c.mcause,
            MTVAL => c.mtval,
            MIP => self.mip(),
            PMPCFG0..=PMPCFG15 => {
                let n = (csr - PMPCFG0) as usize;
                // RV64: only the even pmpcfg registers exist.
                if n % 2 == 1 {
                    return None;
                }
                self.pmp.read_cfg(n)
            }
            PMPADDR0..=PMPADDR63 => self.pmp.read_addr((csr - PMPADDR0) as usize),
            MSECCFG => c.mseccfg,
            // Sdtrig with no triggers: tselect is hard-wired to 0, tdata1 reads type 0 ("no
            // trigger"), tinfo says only type 0 exists. Debuggers and OpenSBI probe these.
            TSELECT..=TDATA3 => 0,
            TINFO => 1,
            MCYCLE => self.mcycle(),
            MINSTRET => self.instret(),
            MHPMCOUNTER3..=MHPMCOUNTER31 => 0,
            _ => return None,
        };
        Some(Ok(v))
    }

    fn stimecmp_allowed(&self) -> bool {
        match self.priv_ {
            Priv::M => true,
            Priv::S => self.csr.menvcfg & envcfg::STCE != 0 && self.csr.mcounteren & 2 != 0,
            Priv::U => false,
        }
    }

    pub fn mstatus_value(&self) -> u64 {
        let m = self.csr.mstatus;
        if m & mstatus::FS == mstatus::FS {
            m | mstatus::SD
        } else {
            m & !mstatus::SD
        }
    }

    /// Writes a CSR for an instruction. The caller has already read it (Zicsr semantics).
    pub fn csr_write(&mut self, csr: u16, value: u64, raw: u32) -> Result<(), Exception> {
        use num::*;
        self.csr_check(csr, true, raw)?;
        // Reject CSRs that do not exist or may not be accessed, with this instruction's tval.
        match self.csr_value(csr) {
            None | Some(Err(_)) => return Err(Exception::illegal(raw)),
            Some(Ok(_)) => {}
        }
        let mut flush_tlb = false;
        let mut irq_check = false;
        // Writes to the enables (mstatus.MIE/SIE, mie, mideleg) need an interrupt check only
        // if they arm an interrupt that was not armed (privileged spec 3.1.6.1, 3.1.9: a
        // pending interrupt is taken once it is enabled). One that only disables, like
        // Linux's local_irq_save clearing sstatus.SIE, cannot make any interrupt takeable;
        // a timer that became pending meanwhile is still seen by the periodic check.
        let armed = self.armed_interrupts();
        let mut rearm = false;
        match csr {
            FFLAGS => {
                self.csr.fflags = (value & 0x1f) as u8;
                self.set_fs_dirty();
            }
            FRM => {
                self.csr.frm = (value & 7) as u8;
                self.set_fs_dirty();
            }
            FCSR => {
                self.csr.fflags = (value & 0x1f) as u8;
                self.csr.frm = ((value >> 5) & 7) as u8;
                self.set_fs_dirty();
            }
            SSTATUS => {
                let w = mstatus::SSTATUS_WRITABLE;
                let new = (self.csr.mstatus & !w) | (value & w);
                flush_tlb = self.write_mstatus(new);
                rearm = true;
            }
            SIE => {
                let w = self.csr.mideleg & IRQ_ALL;
                self.csr.mie = (self.csr.mie & !w) | (value & w);
                rearm = true;
            }
            STVEC => self.csr.stvec = legal_tvec(value),
            SCOUNTEREN => self.csr.scounteren = value & 0xffff_ffff,
            SENVCFG => self.csr.senvcfg = value & envcfg::S_WRITABLE,
            SSCRATCH => self.csr.sscratch = value,
            SEPC => self.csr.sepc = value & !1,
            SCAUSE => self.csr.scause = value,
            STVAL => self.csr.stval = value,
            SIP => {
                // Only SSIP is writable through sip, and only when delegated.
                let w = self.csr.mideleg & irq::SSIP;
                let old = self.csr.mip_sw;
                self.csr.mip_sw = (old & !w) | (value & w);
                // Clearing a pending bit makes nothing takeable.
                irq_check = self.csr.mip_sw & !old != 0;
            }
            STIMECMP => {
                self.csr.stimecmp = value;
                irq_check = true;
            }
            SATP => {
                let mode = value >> 60;
                // An unsupported MODE makes the whole write have no effect.
                if matches!(
                    mode,
                    SATP_MODE_BARE | SATP_MODE_SV39 | SATP_MODE_SV48 | SATP_MODE_SV57
                ) {
                    let asid_ppn = if mode == SATP_MODE_BARE {
                        0
                    } else {
                        value & ((0xffff << 44) | ((1 << 44) - 1))
                    };
                    self.csr.satp = (mode << 60) | asid_ppn;
                    flush_tlb = true;
                }
            }
            MSTATUS => {
                flush_tlb = self.write_mstatus(value);
                rearm = true;
            }
            MISA | MCOUNTINHIBIT | MHPMEVENT3..=MHPMEVENT31 | MHPMCOUNTER3..=MHPMCOUNTER31 => {}
            MEDELEG => self.csr.medeleg = value & MEDELEG_WRITABLE,
            MIDELEG => {
                self.csr.mideleg = value & IRQ_S;
                rearm = true;
            }
            MIE => {
                self.csr.mie = value & IRQ_ALL;
                rearm = true;
            }
            MTVEC => self.csr.mtvec = legal_tvec(value),
            MCOUNTEREN => self.csr.mcounteren = value & 0xffff_ffff,
            MENVCFG => {
                self.csr.menvcfg = value & envcfg::M_WRITABLE;
                irq_check = true;
            }
            MSCRATCH => self.csr.mscratch = value,
            MEPC => self.csr.mepc = value & !1,
            MCAUSE => self.csr.mcause = value,
            MTVAL => self.csr.mtval = value,
            MIP => {
                // SSIP and SEIP always; STIP only while Sstc is off (then it is the timer).
                let mut w = irq::SSIP | irq::SEIP;
                if self.csr.menvcfg & envcfg::STCE == 0 {
                    w |= irq::STIP;
                }
                let old = self.csr.mip_sw;
                self.csr.mip_sw = (old & !w) | (value & w);
                irq_check = self.csr.mip_sw & !old != 0;
            }
            PMPCFG0..=PMPCFG15 => {
                self.pmp.write_cfg((csr - PMPCFG0) as usize, value);
                flush_tlb = true;
            }
            PMPADDR0..=PMPADDR63 => {
                self.pmp.write_addr((csr - PMPADDR0) as usize, value);
                flush_tlb = true;
            }
            MSECCFG => self.csr.mseccfg = 0,
            TSELECT..=TINFO => {}
            MCYCLE => {
                self.csr.mcycle_offset = value.wrapping_sub(self.state.instret).wrapping_sub(1)
            }
            MINSTRET => {
                // The csr instruction itself retires after the write: count it (spec 3.3.1).
                self.csr.minstret_offset = value.wrapping_sub(self.state.instret).wrapping_sub(1)
            }
            _ => return Err(Exception::illegal(raw)),
        }
        if flush_tlb {
            self.flush_tlb();
        }
        if rearm {
            let (m_before, s_before) = armed;
            let (m_after, s_after) = self.armed_interrupts();
            irq_check |= (m_after | s_after) & !(m_before | s_before) != 0;
        }
        if irq_check {
            self.request_irq_check();
        }
        Ok(())
    }

    /// Writes mstatus (WARL fields); returns true if the translation of data accesses may
    /// have changed in a way the TLB's MMU index does not capture.
    fn write_mstatus(&mut self, value: u64) -> bool {
        let old = self.csr.mstatus;
        let mut new = (old & !mstatus::WRITABLE) | (value & mstatus::WRITABLE);
        // MPP: 2 is reserved; keep the old value (WARL).
        if (new & mstatus::MPP) >> mstatus::MPP_SHIFT == 2 {
            new = (new & !mstatus::MPP) | (old & mstatus::MPP);
        }
        self.csr.mstatus = new | mstatus::XLEN_FIELDS;
        // SUM/MXR/MPRV/MPP select an MMU index (no flush needed, decision 3).
        self.update_mmu_idx();
        false
    }

    pub fn set_fs_dirty(&mut self) {
        self.csr.mstatus |= mstatus::FS;
    }
}

/// mtvec/stvec: MODE 0 (direct) and 1 (vectored); reserved modes fall back to direct.
fn legal_tvec(value: u64) -> u64 {
    if value & 3 >= 2 {
        value & !3
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::num::*;
    use super::*;
    use crate::hart::HartConfig;
    use crate::trap::INTERRUPT_PRIORITY;
    use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl};
    use proptest::prelude::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    fn hart() -> Hart {
        let ram = Arc::new(GuestRam::new(0x8000_0000, 1 << 16).expect("guest RAM"));
        Hart::new(HartConfig {
            hartid: 0,
            bus: Arc::new(Bus::new(ram)),
            signals: Arc::new(HartSignals::default()),
            control: Arc::new(MachineControl::default()),
            clock: Clock::default(),
        })
    }

    /// Privileged spec 3.1.9 read literally: everything pending and enabled in mie (the
    /// clock read every time), M-level before S-level, each by priority.
    fn reference_pending_interrupt(h: &Hart) -> Option<u64> {
        let pending = h.mip() & h.csr.mie;
        let m = h.csr.mstatus;
        let m_enabled = h.priv_ < Priv::M || m & mstatus::MIE != 0;
        let s_enabled = h.priv_ < Priv::S || (h.priv_ == Priv::S && m & mstatus::SIE != 0);
        let m_pending = if m_enabled {
            pending & !h.csr.mideleg
        } else {
            0
        };
        let s_pending = if s_enabled {
            pending & h.csr.mideleg & IRQ_S
        } else {
            0
        };
        [m_pending, s_pending].into_iter().find_map(|sel| {
            INTERRUPT_PRIORITY
                .into_iter()
                .find(|&code| sel >> code & 1 != 0)
        })
    }

    proptest! {
        /// The clock-sparing choice in `pending_interrupt` equals the literal one in every
        /// state of the enables, delegation, pending lines and timers (a compare of 0 is
        /// always reached, u64::MAX never within a test).
        #[test]
        fn pending_interrupt_matches_the_spec(
            priv_bits in 0u64..4,
            sie in any::<bool>(),
            mie_bit in any::<bool>(),
            mie in any::<u64>(),
            mideleg in any::<u64>(),
            mip_sw in any::<u64>(),
            devices in any::<u64>(),
            stce in any::<bool>(),
            mtimecmp_due in any::<bool>(),
            stimecmp_due in any::<bool>(),
        ) {
            let mut h = hart();
            h.priv_ = match priv_bits {
                0 => Priv::U,
                1 => Priv::S,
                _ => Priv::M,
            };
            if sie {
                h.csr.mstatus |= mstatus::SIE;
            }
            if mie_bit {
                h.csr.mstatus |= mstatus::MIE;
            }
            h.csr.mie = mie & IRQ_ALL;
            h.csr.mideleg = mideleg & IRQ_S;
            h.csr.mip_sw = mip_sw & (irq::SSIP | irq::STIP | irq::SEIP);
            h.signals
                .pending
                .store(devices & (irq::MSIP | irq::MEIP | irq::SEIP), Ordering::Relaxed);
            if stce {
                h.csr.menvcfg |= envcfg::STCE;
            }
            let cmp = |due: bool| if due { 0 } else { u64::MAX };
            h.signals.mtimecmp.store(cmp(mtimecmp_due), Ordering::Relaxed);
            h.csr.stimecmp = cmp(stimecmp_due);
            prop_assert_eq!(h.pending_interrupt(), reference_pending_interrupt(&h));
        }
    }

    /// Writes that only disable interrupts (Linux's local_irq_save) request no interrupt
    /// check; writes that arm one, or make one pending, do.
    #[test]
    fn only_arming_writes_request_an_interrupt_check() {
        let mut h = hart();
        h.priv_ = Priv::S;
        h.csr.mideleg = IRQ_S;
        h.csr.mie = irq::STIP | irq::SSIP;
        h.csr.mstatus |= mstatus::SIE;
        let write = |h: &mut Hart, csr: u16, value: u64| {
            h.irq_check = false;
            h.csr_write(csr, value, 0).expect("legal write");
            h.irq_check
        };
        let sstatus = h.csr.mstatus & mstatus::SSTATUS_WRITABLE;
        assert!(
            !write(&mut h, SSTATUS, sstatus & !mstatus::SIE),
            "clear SIE"
        );
        assert!(
            !write(&mut h, SSTATUS, sstatus & !mstatus::SIE),
            "SIE stays clear"
        );
        assert!(write(&mut h, SSTATUS, sstatus), "set SIE");
        assert!(
            !write(&mut h, SSTATUS, sstatus | mstatus::SUM),
            "SIE stays set"
        );
        assert!(!write(&mut h, SIE, irq::SSIP), "disable STIE");
        assert!(write(&mut h, SIE, irq::SSIP | irq::SEIP), "enable SEIE");
        assert!(write(&mut h, SIP, irq::SSIP), "raise SSIP");
        assert!(!write(&mut h, SIP, irq::SSIP), "SSIP stays raised");
        assert!(!write(&mut h, SIP, 0), "clear SSIP");
        // In M-mode with MIE set, handing SEIP back to M-mode through mideleg arms it;
        // delegating it again disarms it.
        h.priv_ = Priv::M;
        h.csr.mstatus |= mstatus::MIE;
        let m = h.csr.mstatus;
        assert!(write(&mut h, MIDELEG, irq::SSIP), "undelegate SEIP");
        assert!(!write(&mut h, MIDELEG, IRQ_S), "delegate SEIP");
        assert!(!write(&mut h, MSTATUS, m & !mstatus::MIE), "clear MIE");
        assert!(
            !write(&mut h, MIE, irq::MTIP),
            "enable MTIE in M-mode with MIE clear"
        );
        assert!(write(&mut h, MSTATUS, m), "set MIE");
        h.csr.menvcfg |= envcfg::STCE;
        assert!(write(&mut h, STIMECMP, 0), "stimecmp may make STIP pending");
    }
}
