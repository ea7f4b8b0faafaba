//! The seam between the machine and the CPU: one host thread per hart (design decision 10),
//! each building its `Hart`, starting it as the boot protocol says, and serving its exits
//! (semihosting, the built-in SBI).
//!
//! Hart lifecycle (SBI HSM, section 9 of the SBI spec): with the built-in SBI only hart 0
//! starts; the others wait parked ([`HartStart::Stopped`], `sbi::Hsm::wait_for_start`) until a
//! `hart_start` names them. With
//! `--bios none` or a firmware file every hart starts at once, as on QEMU's virt board.

use crate::machine::Machine;
use crate::semihosting::{Outcome, SemihostGuest, Semihosting};
use emu_cpu::{Exit, Hart, HartConfig, TraceFlags};
use std::sync::Mutex;

impl SemihostGuest for Hart {
    fn xreg(&self, i: usize) -> u64 {
        Hart::xreg(self, i)
    }
    fn set_xreg(&mut self, i: usize, v: u64) {
        Hart::set_xreg(self, i, v)
    }
    fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        self.read_virt(addr, buf)
    }
    fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool {
        self.write_virt(addr, data)
    }
}

/// How a hart begins (or resumes after an HSM start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HartStart {
    /// M-mode at `pc` with a0..a2 set (no firmware, or a firmware's reset vector).
    Machine { pc: u64, a0: u64, a1: u64, a2: u64 },
    /// S-mode at `pc` with a0 = hartid and a1 = `a1`, as the built-in SBI starts a kernel.
    Supervisor { pc: u64, a1: u64 },
    /// Stopped until an SBI hart_start names it (built-in SBI, secondary harts).
    Stopped,
}

/// What a hart thread does after serving an exit.
pub enum After {
    /// Resume the guest.
    Continue,
    /// Resume after waiting as WFI does (SBI HSM retentive suspend).
    Suspend,
    /// Like `Suspend`, then restart in S-mode (SBI HSM non-retentive suspend).
    SuspendThen(HartStart),
    /// This hart stops (SBI hart_stop) and waits for the next start.
    StopHart,
    /// The whole machine ends with this status.
    Exit(i32),
}

/// Runs every hart to the end of the machine and returns rvx's exit status.
pub fn run_harts(m: &Machine) -> anyhow::Result<i32> {
    let semihosting = Mutex::new(m.semihosting_handler());
    let status = Mutex::new(None::<i32>);
    std::thread::scope(|scope| {
        for hartid in 0..m.harts.len() {
            let semihosting = &semihosting;
            let status = &status;
            std::thread::Builder::new()
                .name(format!("hart{hartid}"))
                .spawn_scoped(scope, move || {
                    let code = run_one(m, hartid, semihosting);
                    if let Some(code) = code {
                        let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
                        s.get_or_insert(code);
                        m.control.request_exit(code);
                    }
                })
                .expect("spawning a hart thread");
        }
    });
    let code = status
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| m.control.exit_code());
    Ok(code)
}

/// One hart's thread. Returns Some(status) when this hart ended the machine on its own
/// account (semihosting exit, double fault), None when the machine was stopped.
fn run_one(m: &Machine, hartid: usize, semihosting: &Mutex<Option<Semihosting>>) -> Option<i32> {
    let mut hart = Hart::new(HartConfig {
        hartid: hartid as u64,
        bus: m.bus.clone(),
        signals: m.harts[hartid].clone(),
        control: m.control.clone(),
        clock: m.clock,
    });
    let t = m.trace;
    hart.set_trace(TraceFlags {
        in_asm: t.in_asm,
        out_asm: t.out_asm,
        exec: t.exec,
        int: t.int,
        cpu: t.cpu,
        mmu: t.mmu,
    });
    hart.set_accel(m.accel);
    hart.set_jit_cache_size(m.jit_cache_size);
    hart.set_jit_threshold(m.jit_threshold);
    let sh_enabled = semihosting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some();
    hart.set_semihosting(sh_enabled);
    hart.set_sbi(m.sbi.is_some());
    let mut start = m.starts[hartid];
    loop {
        if start == HartStart::Stopped {
            // Parked: other harts' remote fences do not wait for it (a start flushes all).
            m.harts[hartid].set_parked(true);
            let hsm = m.sbi.as_ref().map(|s| &s.hsm)?;
            let (pc, opaque) = hsm.wait_for_start(hartid, || m.control.stop_requested())?;
            m.harts[hartid].set_parked(false);
            start = HartStart::Supervisor { pc, a1: opaque };
        }
        begin(m, &mut hart, hartid, start);
        start = HartStart::Stopped;
        loop {
            let exit = hart.run();
            match serve(m, &mut hart, exit, semihosting) {
                After::Continue => {}
                After::Suspend => {
                    hart.wait_for_interrupt();
                    if let Some(sbi) = &m.sbi {
                        sbi.hsm.resumed(hartid);
                    }
                }
                After::SuspendThen(next) => {
                    hart.wait_for_interrupt();
                    if let Some(sbi) = &m.sbi {
                        sbi.hsm.resumed(hartid);
                    }
                    begin(m, &mut hart, hartid, next);
                }
                After::StopHart => break,
                After::Exit(_) if exit == Exit::Stopped => {
                    print_audit_stats(&hart);
                    return None;
                }
                After::Exit(code) => {
                    print_audit_stats(&hart);
                    return Some(code);
                }
            }
        }
    }
}

/// The audit summary (`--accel audit`) when the hart's run ends.
fn print_audit_stats(hart: &Hart) {
    if let Some(s) = hart.audit_stats() {
        eprintln!(
            "rvx: audit: {} blocks audited, {} run on the interpreter only \
             ({} touched MMIO, {} exits to the host, {} read the clock, {} untranslatable)",
            s.audited,
            s.skipped(),
            s.mmio,
            s.exits,
            s.timed,
            s.untranslated
        );
    }
}

fn begin(m: &Machine, hart: &mut Hart, hartid: usize, start: HartStart) {
    match start {
        HartStart::Machine { pc, a0, a1, a2 } => {
            hart.reset(pc);
            hart.set_xreg(10, a0);
            hart.set_xreg(11, a1);
            hart.set_xreg(12, a2);
        }
        HartStart::Supervisor { pc, a1 } => {
            hart.reset(pc);
            if m.sbi.is_some() {
                crate::sbi::configure_hart(hart);
            }
            hart.enter_supervisor(pc, hartid as u64, a1);
        }
        HartStart::Stopped => {}
    }
}

/// Serves one exit of `Hart::run`.
fn serve(
    m: &Machine,
    hart: &mut Hart,
    exit: Exit,
    semihosting: &Mutex<Option<Semihosting>>,
) -> After {
    match exit {
        Exit::Stopped => After::Exit(m.control.exit_code()),
        Exit::AuditMismatch { .. } => {
            eprintln!(
                "rvx: audit: {}",
                hart.audit_report()
                    .unwrap_or("the JIT and the interpreter differ")
            );
            After::Exit(1)
        }
        Exit::DoubleFault { cause, pc, tval } => {
            eprintln!(
                "rvx: guest double fault: {} at pc {pc:#x} (tval {tval:#x}) again at its own trap vector on hart {}; stopping",
                emu_cpu::trap::exception_name(cause),
                hart.hartid
            );
            After::Exit(1)
        }
        Exit::Sbi => match &m.sbi {
            Some(sbi) => sbi.handle(m, hart),
            // The hart reports SBI calls only when the built-in SBI is on.
            None => After::Continue,
        },
        Exit::Semihosting => {
            let mut guard = semihosting.lock().unwrap_or_else(|e| e.into_inner());
            let Some(sh) = guard.as_mut() else {
                return After::Continue;
            };
            match sh.handle(hart) {
                Outcome::Exit(code) => {
                    m.control.request_exit(code);
                    After::Exit(code)
                }
                _ => After::Continue,
            }
        }
    }
}
