//! The built-in SBI wired to the board: [`crate::sbi`] decides what each call means; this
//! file says what it does on this machine (HSM slots, requests to other harts, the UART as
//! the debug console, guest RAM, the run control).

use crate::machine::Machine;
use crate::run::{After, HartStart};
use crate::sbi::{self, Hsm, ResetReason, ResetType, SbiAction, SbiMachine};
use emu_cpu::Hart;
use std::time::Duration;

/// How long a hart waits for another to carry out a remote fence before going on. A hart
/// services requests at its next block boundary, or at once when woken from WFI, so this
/// only matters if the target is wedged; Linux would then report an RCU stall, not hang.
const REMOTE_FENCE_WAIT: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct BuiltinSbi {
    pub hsm: Hsm,
}

impl BuiltinSbi {
    /// `harts` harts, hart 0 started (it boots the kernel), the others stopped.
    pub fn new(harts: usize) -> BuiltinSbi {
        BuiltinSbi {
            hsm: Hsm::new(harts, 0),
        }
    }

    /// Serves the SBI call `hart` just made.
    pub fn handle(&self, m: &Machine, hart: &mut Hart) -> After {
        let board = Board {
            m,
            caller: hart.hartid as usize,
        };
        match sbi::handle_ecall(hart, &board) {
            SbiAction::Resume => After::Continue,
            SbiAction::WaitForInterrupt => After::Suspend,
            SbiAction::SuspendNonRetentive {
                resume_addr,
                opaque,
            } => After::SuspendThen(HartStart::Supervisor {
                pc: resume_addr,
                a1: opaque,
            }),
            SbiAction::Stopped => After::StopHart,
            SbiAction::SystemReset => After::Exit(m.control.exit_code()),
        }
    }
}

struct Board<'a> {
    m: &'a Machine,
    /// The hart making the call: its own requests are serviced when it resumes, so it
    /// must not wait for them.
    caller: usize,
}

impl Board<'_> {
    fn wait(&self, hart: usize, ticket: emu_mmu::signals::Ticket) {
        if hart != self.caller {
            self.m.harts[hart].wait_serviced(ticket, REMOTE_FENCE_WAIT);
        }
    }
}

impl SbiMachine for Board<'_> {
    fn num_harts(&self) -> usize {
        self.m.harts.len()
    }

    fn hsm(&self) -> &Hsm {
        // Board exists only while the built-in SBI serves a call.
        &self.m.sbi.as_ref().expect("built-in SBI").hsm
    }

    fn send_ipi(&self, hart: usize) {
        self.m.harts[hart].request_ssip();
    }

    fn remote_fence_i(&self, hart: usize) {
        let t = self.m.harts[hart].request_fence_i();
        self.wait(hart, t);
    }

    fn remote_sfence_vma(&self, hart: usize, _start: u64, _size: u64, _asid: Option<u64>) {
        // Flushing more than asked is always correct (sbi.rs); a whole-TLB flush is what
        // the hart offers other threads.
        let t = self.m.harts[hart].request_tlb_flush();
        self.wait(hart, t);
    }

    fn console_write(&self, bytes: &[u8]) {
        self.m.uart.host_write(bytes);
    }

    fn console_read(&self, buf: &mut [u8]) -> usize {
        self.m.uart.take_input(buf)
    }

    fn read_phys(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.m.ram.read_bytes(addr, buf)
    }

    fn write_phys(&self, addr: u64, data: &[u8]) -> bool {
        self.m.ram.write_dma(addr, data)
    }

    fn system_reset(&self, kind: ResetType, reason: ResetReason) {
        match kind {
            ResetType::Shutdown => self
                .m
                .control
                .request_exit(i32::from(reason == ResetReason::SystemFailure)),
            ResetType::ColdReboot | ResetType::WarmReboot => self.m.control.request_reset(),
        }
    }
}
