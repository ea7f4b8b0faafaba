//! HTIF, the Berkeley host-target interface, as Spike and QEMU's `spike` board provide it.
//!
//! A bare-metal test (riscv-tests, many teaching kernels) defines a `tohost` symbol; the
//! guest writes a command word there and the host answers through `fromhost`, the next
//! doubleword. The command word is `device[63:56] | cmd[55:48] | payload[47:0]`.
//!
//! Handled commands (riscv-fesvr `syscall.cc` / `device.cc`, QEMU `hw/char/riscv_htif.c`):
//! - device 0, cmd 0, odd payload: exit; `payload >> 1` is the test's failure number
//!   (0 = pass).
//! - device 0, cmd 0, even payload: the "magic_mem" system call block at that physical
//!   address, `[which, arg0, arg1, arg2]` as u64s (riscv-pk's frontend syscalls). Only
//!   `SYS_write` (64) to fd 1 or 2 is served; others answer `-ENOSYS`. The result goes back
//!   to `magic_mem[0]` and `fromhost = 1`.
//! - device 1, cmd 1: console putchar of the payload's low byte; `fromhost` gets
//!   `(1 << 56) | (1 << 48)` to acknowledge.
//!
//! Anything else is ignored (tohost is still cleared so the guest does not spin forever
//! waiting for the host to consume it).
//!
//! The region is 16 bytes: `tohost` at +0, `fromhost` at +8. An RV32 guest writes `tohost`
//! as two words; like QEMU, the write of the high word (offset 4) triggers the command.

use emu_mmu::{GuestRam, MachineControl, Mmio};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Size of the MMIO region the device occupies.
pub const HTIF_SIZE: u64 = 16;

/// riscv-pk's `SYS_write` (the Linux generic syscall number).
pub const SYS_WRITE: u64 = 64;
const ENOSYS: i64 = 38;
const EBADF: i64 = 9;
const EFAULT: i64 = 14;
const EIO: i64 = 5;

/// Where the guest's console output and `SYS_write` bytes go.
pub struct HtifOutput {
    /// Console putchar and `SYS_write` to fd 1.
    pub stdout: Box<dyn Write + Send>,
    /// `SYS_write` to fd 2.
    pub stderr: Box<dyn Write + Send>,
}

impl HtifOutput {
    /// The host process's own stdout and stderr.
    pub fn stdio() -> HtifOutput {
        HtifOutput {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }
}

struct State {
    tohost: u64,
    fromhost: u64,
    /// The failure number of the last odd exit command, if it was non-zero.
    failure: Option<u64>,
    out: HtifOutput,
}

pub struct Htif {
    ram: Arc<GuestRam>,
    control: Arc<MachineControl>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Htif {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("Htif")
            .field("tohost", &s.tohost)
            .field("fromhost", &s.fromhost)
            .finish()
    }
}

impl Htif {
    /// `ram` is where magic_mem blocks and `SYS_write` buffers are read from; `control`
    /// is told to stop the machine when the guest exits.
    pub fn new(ram: Arc<GuestRam>, control: Arc<MachineControl>, out: HtifOutput) -> Htif {
        Htif {
            ram,
            control,
            state: Mutex::new(State {
                tohost: 0,
                fromhost: 0,
                failure: None,
                out,
            }),
        }
    }

    /// The failure number the guest reported (`tohost = (n << 1) | 1` with n != 0), if any.
    /// The exit status the machine was given is `n` clamped to 1..=255 (see [`exit_status`]).
    pub fn guest_failure(&self) -> Option<u64> {
        self.lock().failure
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a host writer panicked mid-write; the registers are
        // still consistent, so keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Executes the command word just written to `tohost`.
    fn command(&self, s: &mut State, word: u64) {
        let device = word >> 56;
        let cmd = (word >> 48) & 0xff;
        let payload = word & ((1 << 48) - 1);
        match (device, cmd) {
            (0, 0) if payload & 1 == 1 => {
                let n = payload >> 1;
                if n != 0 {
                    s.failure = Some(n);
                }
                self.control.request_exit(exit_status(n));
            }
            (0, 0) => {
                self.syscall(s, payload);
                s.fromhost = 1;
            }
            (1, 1) => {
                let out = &mut s.out.stdout;
                // Console errors (closed pipe) are the host's problem, not the guest's.
                let _ = out.write_all(&[payload as u8]).and_then(|_| out.flush());
                s.fromhost = (1 << 56) | (1 << 48);
            }
            _ => tracing::debug!(
                target: "htif",
                "ignoring HTIF command device {device} cmd {cmd} payload {payload:#x}"
            ),
        }
    }

    /// riscv-pk frontend syscall through the magic_mem block at `addr`.
    fn syscall(&self, s: &mut State, addr: u64) {
        let arg = |i: u64| addr.checked_add(8 * i).and_then(|a| self.ram.read(a, 8));
        let (Some(which), Some(a0), Some(a1), Some(a2)) = (arg(0), arg(1), arg(2), arg(3)) else {
            tracing::warn!(target: "htif", "magic_mem block at {addr:#x} is outside RAM");
            return;
        };
        let result = match which {
            SYS_WRITE => self.sys_write(s, a0, a1, a2),
            _ => -ENOSYS,
        };
        self.ram.write(addr, 8, result as u64);
    }

    fn sys_write(&self, s: &mut State, fd: u64, buf: u64, len: u64) -> i64 {
        let out = match fd {
            1 => &mut s.out.stdout,
            2 => &mut s.out.stderr,
            _ => return -EBADF,
        };
        // Copy in bounded chunks so a huge guest length never becomes a huge host
        // allocation.
        let mut chunk = [0u8; 4096];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(chunk.len() as u64) as usize;
            let Some(src) = buf.checked_add(done) else {
                return -EFAULT;
            };
            if !self.ram.read_bytes(src, &mut chunk[..n]) {
                return -EFAULT;
            }
            if out.write_all(&chunk[..n]).is_err() {
                return -EIO;
            }
            done += n as u64;
        }
        let _ = out.flush();
        // `len` fits in i64 here: it was copied out of RAM, which is far below 2^63 bytes.
        done as i64
    }
}

/// The exit status rvx returns for HTIF failure number `n`: 0 for a pass, `n` when it fits
/// a process exit status (1..=255), else 1.
pub fn exit_status(n: u64) -> i32 {
    match n {
        0 => 0,
        1..=255 => n as i32,
        _ => 1,
    }
}

/// Replaces bytes `[offset, offset+size)` of an 8-byte register with the low bytes of
/// `value` (offset relative to the register).
fn merge(reg: u64, offset: u64, size: usize, value: u64) -> u64 {
    let bits = 8 * size as u32;
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let shift = 8 * offset as u32;
    (reg & !(mask << shift)) | ((value & mask) << shift)
}

impl Mmio for Htif {
    fn read(&self, offset: u64, size: usize) -> u64 {
        let s = self.lock();
        let (reg, off) = match offset {
            0..=7 => (s.tohost, offset),
            8..=15 => (s.fromhost, offset - 8),
            _ => return 0,
        };
        let v = reg >> (8 * off);
        match size {
            1 => v & 0xff,
            2 => v & 0xffff,
            4 => v & 0xffff_ffff,
            _ => v,
        }
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        if !matches!(size, 1 | 2 | 4 | 8) || offset >= HTIF_SIZE || offset % 8 + size as u64 > 8 {
            return;
        }
        let mut s = self.lock();
        if offset >= 8 {
            // The guest clears fromhost after consuming a response.
            s.fromhost = merge(s.fromhost, offset - 8, size, value);
            return;
        }
        s.tohost = merge(s.tohost, offset, size, value);
        // A write that reaches the top byte completes the command word: a 64-bit store, or
        // the high half of an RV32 guest's two stores.
        if offset + size as u64 == 8 {
            let word = s.tohost;
            s.tohost = 0;
            if word != 0 {
                self.command(&mut s, word);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::Sink;

    const RAM: u64 = 0x8000_0000;

    fn setup() -> (Htif, Arc<GuestRam>, Arc<MachineControl>, Sink, Sink) {
        let ram = Arc::new(GuestRam::new(RAM, 0x10000).unwrap());
        let control = Arc::new(MachineControl::default());
        let (out, err) = (Sink::default(), Sink::default());
        let htif = Htif::new(
            ram.clone(),
            control.clone(),
            HtifOutput {
                stdout: Box::new(out.clone()),
                stderr: Box::new(err.clone()),
            },
        );
        (htif, ram, control, out, err)
    }

    #[test]
    fn pass_exits_zero() {
        let (h, _, c, _, _) = setup();
        h.write(0, 8, 1);
        assert!(c.stop_requested());
        assert_eq!(c.exit_code(), 0);
        assert_eq!(h.guest_failure(), None);
    }

    #[test]
    fn failure_number_becomes_exit_status() {
        let (h, _, c, _, _) = setup();
        h.write(0, 8, (3 << 1) | 1);
        assert!(c.stop_requested());
        assert_eq!(c.exit_code(), 3);
        assert_eq!(h.guest_failure(), Some(3));

        let (h, _, c, _, _) = setup();
        h.write(0, 8, (1000 << 1) | 1);
        assert_eq!(c.exit_code(), 1);
        assert_eq!(h.guest_failure(), Some(1000));
    }

    #[test]
    fn rv32_halves_trigger_on_the_high_word() {
        let (h, _, c, _, _) = setup();
        h.write(0, 4, (5 << 1) | 1);
        assert!(!c.stop_requested(), "low half alone must not trigger");
        assert_eq!(h.read(0, 4), 11);
        h.write(4, 4, 0);
        assert!(c.stop_requested());
        assert_eq!(c.exit_code(), 5);
        assert_eq!(h.read(0, 8), 0, "tohost is consumed");
    }

    #[test]
    fn putchar_writes_console_and_acknowledges() {
        let (h, _, c, out, _) = setup();
        for ch in b"hi" {
            h.write(0, 8, (1 << 56) | (1 << 48) | *ch as u64);
            assert_eq!(h.read(8, 8), (1 << 56) | (1 << 48));
            h.write(8, 8, 0);
            assert_eq!(h.read(8, 8), 0);
        }
        assert_eq!(out.text(), "hi");
        assert!(!c.stop_requested());
    }

    #[test]
    fn magic_mem_sys_write() {
        let (h, ram, c, out, err) = setup();
        let block = RAM + 0x100;
        let buf = RAM + 0x200;
        ram.write_bytes(buf, b"hello\n");
        for (i, v) in [SYS_WRITE, 1, buf, 6].into_iter().enumerate() {
            ram.write(block + 8 * i as u64, 8, v);
        }
        h.write(0, 8, block);
        assert_eq!(out.text(), "hello\n");
        assert_eq!(ram.read(block, 8), Some(6));
        assert_eq!(h.read(8, 8), 1);

        // fd 2 goes to stderr.
        ram.write(block, 8, SYS_WRITE);
        ram.write(block + 8, 8, 2);
        h.write(0, 8, block);
        assert_eq!(err.text(), "hello\n");

        // Unknown syscalls answer -ENOSYS; bad fds -EBADF; a buffer past RAM -EFAULT.
        ram.write(block, 8, 93);
        h.write(0, 8, block);
        assert_eq!(ram.read(block, 8), Some(-38i64 as u64));
        for (fd, addr, len, want) in [(7, buf, 1, -9i64), (1, RAM + 0xfff0, 0x100, -14)] {
            for (i, v) in [SYS_WRITE, fd, addr, len].into_iter().enumerate() {
                ram.write(block + 8 * i as u64, 8, v);
            }
            h.write(0, 8, block);
            assert_eq!(ram.read(block, 8), Some(want as u64));
        }
        assert!(!c.stop_requested());
    }

    #[test]
    fn garbage_writes_do_not_panic() {
        let (h, _, _, _, _) = setup();
        for off in 0..20u64 {
            for size in [0usize, 1, 2, 3, 4, 8, 16] {
                h.write(off, size, u64::MAX);
                h.write(off, size, 0x0000_ffff_ffff_fff0);
                h.write(off, size, (0xff << 56) | 0x1234);
                let _ = h.read(off, size);
            }
        }
        // A magic_mem block at the end of the address space.
        h.write(0, 8, 0x0000_ffff_ffff_fffe);
    }
}
