//! SiFive's test finisher ("sifive,test0"), which QEMU's `virt` board uses for power-off and
//! reboot (Linux's `syscon-poweroff` / `syscon-reboot`, OpenSBI's SRST on virt).
//!
//! One register at offset 0. A 16- or 32-bit write is decoded as in QEMU's
//! `hw/misc/sifive_test.c`: the low 16 bits are the status, the high 16 bits a code.
//!
//! | status            | effect                                                  |
//! |-------------------|---------------------------------------------------------|
//! | `0x3333` FAIL     | power off; exit status `code` (QEMU calls `exit(code)`) |
//! | `0x5555` PASS     | power off; exit status 0                                |
//! | `0x7777` RESET    | reset the machine                                       |
//!
//! Other values, other offsets and other sizes (QEMU accepts only 2 and 4 bytes) are ignored;
//! reads return 0.

use emu_mmu::{MachineControl, Mmio};
use std::sync::Arc;

pub const SIFIVE_TEST_BASE: u64 = 0x10_0000;
pub const SIFIVE_TEST_SIZE: u64 = 0x1000;

pub const FINISHER_FAIL: u32 = 0x3333;
pub const FINISHER_PASS: u32 = 0x5555;
pub const FINISHER_RESET: u32 = 0x7777;

pub struct SifiveTest {
    control: Arc<MachineControl>,
}

impl std::fmt::Debug for SifiveTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SifiveTest").finish_non_exhaustive()
    }
}

impl SifiveTest {
    /// A finisher that stops the machine through `control`. A FAIL exit carries the guest's
    /// 16-bit code as the exit status (the host keeps its low 8 bits, as with QEMU).
    pub fn new(control: Arc<MachineControl>) -> SifiveTest {
        SifiveTest { control }
    }
}

impl Mmio for SifiveTest {
    fn read(&self, _offset: u64, _size: usize) -> u64 {
        0
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        if offset != 0 || !matches!(size, 2 | 4) {
            return;
        }
        let status = (value & 0xffff) as u32;
        let code = ((value >> 16) & 0xffff) as i32;
        match status {
            FINISHER_FAIL => {
                tracing::info!(target: "power", "guest powered off: FAIL, code {code}");
                self.control.request_exit(code);
            }
            FINISHER_PASS => {
                tracing::info!(target: "power", "guest powered off");
                self.control.request_exit(0);
            }
            FINISHER_RESET => {
                tracing::info!(target: "power", "guest requested a reset");
                self.control.request_reset();
            }
            _ => tracing::debug!(target: "power", "sifive_test: unknown write {value:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> (SifiveTest, Arc<MachineControl>) {
        let c = Arc::new(MachineControl::default());
        (SifiveTest::new(c.clone()), c)
    }

    #[test]
    fn pass_exits_zero() {
        let (d, c) = dev();
        d.write(0, 4, 0x1234_5555); // the code is ignored on PASS
        assert!(c.stop_requested());
        assert!(!c.reset_requested());
        assert_eq!(c.exit_code(), 0);
    }

    #[test]
    fn fail_carries_the_code() {
        let (d, c) = dev();
        d.write(0, 4, 0x0003_3333);
        assert!(c.stop_requested());
        assert_eq!(c.exit_code(), 3);
        let (d, c) = dev();
        d.write(0, 4, 0xffff_3333);
        assert_eq!(c.exit_code(), 0xffff);
        // A 16-bit write has no room for a code.
        let (d, c) = dev();
        d.write(0, 2, 0x3333);
        assert!(c.stop_requested());
        assert_eq!(c.exit_code(), 0);
    }

    #[test]
    fn reset() {
        let (d, c) = dev();
        d.write(0, 4, 0x7777);
        assert!(c.stop_requested());
        assert!(c.reset_requested());
    }

    #[test]
    fn other_writes_are_ignored() {
        let (d, c) = dev();
        for (off, size, v) in [
            (0, 4, 0x1234),
            (0, 4, 0x5556),
            (0, 1, 0x55),
            (0, 8, 0x5555),
            (4, 4, 0x5555),
            (0xfff, 4, 0x5555),
            (u64::MAX, 4, 0x5555),
        ] {
            d.write(off, size, v);
            assert_eq!(d.read(off, size), 0);
        }
        assert!(!c.stop_requested());
    }
}
