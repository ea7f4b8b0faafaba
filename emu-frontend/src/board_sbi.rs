//! The built-in SBI wired to the board: [`crate::sbi`] decides what each call means; this
//! file says what it does on this machine (HSM slots, requests to other harts, the UART as
//! the debug console, guest RAM, the run control).

use crate::machine::Machine;
use crate::run::{After, HartStart};
use crate::sbi::{self, Hsm, ResetReason, ResetType, SbiAction, SbiMachine};
use emu_cpu::Hart;
use emu_mmu::signals::Ticket;
use std::sync::Mutex;

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
            fences: Mutex::new(Vec::new()),
        };
        let action = sbi::handle_ecall(hart, &board);
        // Remote fences return once every target has carried them out (SBI spec 8); the
        // calling hart keeps servicing its own requests while it waits.
        let fences = board.fences.into_inner().unwrap_or_else(|e| e.into_inner());
        if !fences.is_empty() {
            let waits: Vec<_> = fences.iter().map(|&(h, t)| (&*m.harts[h], t)).collect();
            hart.wait_for_remote(&waits);
        }
        match action {
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
    /// Remote fences posted by this call, waited for once it has been decoded.
    fences: Mutex<Vec<(usize, Ticket)>>,
}

impl Board<'_> {
    fn wait(&self, hart: usize, ticket: Ticket) {
        self.fences
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((hart, ticket));
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
        // As for a local fence.i (emu-cpu interp.rs), stores to code are already tracked:
        // the target only has to apply the invalidations queued for it and re-check its
        // write entries, which is what a code-marked request does, without a full flush.
        let t = self.m.harts[hart].request_code_marked();
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
