//! The seam between the machine and the CPU: build hart 0, start it, serve its exits.

use crate::machine::Machine;
use crate::semihosting::{Outcome, SemihostGuest};
use emu_cpu::{Exit, Hart, HartConfig, TraceFlags};

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

/// Runs hart 0 until the machine stops and returns the exit status.
///
/// Boot state as QEMU's virt board gives it with `-bios none -kernel`: M-mode at the
/// image entry, a0 = hartid, a1 = the device tree address (0 until the board has one).
pub fn run_hart0(m: &Machine) -> anyhow::Result<i32> {
    let mut hart = Hart::new(HartConfig {
        hartid: 0,
        bus: m.bus.clone(),
        signals: m.harts[0].clone(),
        control: m.control.clone(),
        clock: m.clock,
    });
    hart.reset(m.image.entry);
    hart.set_xreg(10, 0);
    hart.set_xreg(11, 0);
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
    let status = serve_exits(m, &mut hart);
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
    status
}

/// Runs `hart` and answers its exits until the machine stops; returns the exit status.
fn serve_exits(m: &Machine, hart: &mut Hart) -> anyhow::Result<i32> {
    let mut semihosting = m.semihosting_handler();
    hart.set_semihosting(semihosting.is_some());
    loop {
        match hart.run() {
            Exit::Stopped => return Ok(m.control.exit_code()),
            Exit::AuditMismatch { .. } => {
                eprintln!(
                    "rvx: audit: {}",
                    hart.audit_report()
                        .unwrap_or("the JIT and the interpreter differ")
                );
                return Ok(1);
            }
            Exit::DoubleFault { cause, pc, tval } => {
                eprintln!(
                    "rvx: guest double fault: {} at pc {pc:#x} (tval {tval:#x}) again at its own trap vector; stopping",
                    emu_cpu::trap::exception_name(cause)
                );
                return Ok(1);
            }
            Exit::Sbi => {
                // Only reported when the built-in SBI is enabled, which this board does not
                // do yet: resume, which retries nothing (pc is past the ecall).
                continue;
            }
            Exit::Semihosting => {
                let Some(sh) = semihosting.as_mut() else {
                    // The hart only reports semihosting calls when enabled.
                    continue;
                };
                if let Outcome::Exit(code) = sh.handle(hart) {
                    m.control.request_exit(code);
                    return Ok(code);
                }
            }
        }
    }
}
