//! A minimal virtio driver for tests: sets a device up through its registers the way a guest
//! does (3.1.1), builds descriptor chains in guest RAM and waits for used entries.

use super::mmio::{status, VirtioMmio};
use super::VirtioDevice;
use crate::irq::{IrqLine, IrqSink};
use emu_mmu::{GuestRam, Mmio};
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const RAM_BASE: u64 = 0x8000_0000;
pub const RAM_SIZE: u64 = 0x10_0000;

/// Ring areas; buffers used by tests live from `RAM_BASE + 0x10000`.
const DESC: u64 = RAM_BASE;
const AVAIL: u64 = RAM_BASE + 0x4000;
const USED: u64 = RAM_BASE + 0x8000;

#[derive(Default)]
pub struct TestIrq {
    level: AtomicBool,
}

impl IrqSink for TestIrq {
    fn set_irq(&self, _irq: u32, level: bool) {
        self.level.store(level, Ordering::SeqCst);
    }
}

pub struct Driver {
    pub dev: VirtioMmio,
    pub ram: Arc<GuestRam>,
    pub irq: Arc<TestIrq>,
    pub avail: u64,
    size: u16,
    avail_idx: u16,
    used_seen: u16,
    next_desc: u16,
}

impl Driver {
    pub fn new(device: Box<dyn VirtioDevice>) -> Driver {
        let ram = Arc::new(GuestRam::new(RAM_BASE, RAM_SIZE).unwrap());
        let irq = Arc::new(TestIrq::default());
        let line = IrqLine::new(irq.clone(), 1);
        let dev = VirtioMmio::new(device, ram.clone(), line).unwrap();
        Driver {
            dev,
            ram,
            irq,
            avail: AVAIL,
            size: 0,
            avail_idx: 0,
            used_seen: 0,
            next_desc: 0,
        }
    }

    pub fn reg(&self, offset: u64) -> u32 {
        self.dev.read(offset, 4) as u32
    }

    pub fn set_reg(&self, offset: u64, value: u32) {
        self.dev.write(offset, 4, value.into());
    }

    pub fn irq_level(&self) -> bool {
        self.irq.level.load(Ordering::SeqCst)
    }

    /// Resets and negotiates every offered feature, then sets up queue 0 with `size` entries
    /// and writes QueueReady and DRIVER_OK, without checking the outcome.
    pub fn init_raw(&mut self, size: u16) {
        self.setup(size);
        self.set_reg(
            0x070,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK,
        );
    }

    /// [`Driver::init_raw`] short of DRIVER_OK.
    pub fn setup(&mut self, size: u16) {
        self.set_reg(0x070, 0);
        for a in [DESC, AVAIL, USED] {
            assert!(self.ram.write_bytes(a, &[0; 0x4000]));
        }
        self.set_reg(0x070, status::ACKNOWLEDGE | status::DRIVER);
        for sel in 0..2 {
            self.set_reg(0x014, sel);
            let f = self.reg(0x010);
            self.set_reg(0x024, sel);
            self.set_reg(0x020, f);
        }
        self.set_reg(
            0x070,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK,
        );
        self.set_reg(0x030, 0);
        self.set_reg(0x038, size.into());
        for (reg, addr) in [(0x080, DESC), (0x090, AVAIL), (0x0a0, USED)] {
            self.set_reg(reg, addr as u32);
            self.set_reg(reg + 4, (addr >> 32) as u32);
        }
        self.set_reg(0x044, 1);
        self.size = size;
        self.avail_idx = 0;
        self.used_seen = 0;
        self.next_desc = 0;
    }

    /// As [`Driver::init_raw`], asserting the device took the queue.
    pub fn init(&mut self, size: u16) {
        self.init_raw(size);
        assert_ne!(self.reg(0x070) & status::FEATURES_OK, 0);
        assert_eq!(self.reg(0x044), 1, "queue ready");
    }

    /// Writes descriptor `i` of the main table.
    pub fn set_desc(&self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let at = DESC + 16 * u64::from(i);
        assert!(self.ram.write(at, 8, addr));
        assert!(self.ram.write(at + 8, 4, len.into()));
        assert!(self.ram.write(at + 12, 2, flags.into()));
        assert!(self.ram.write(at + 14, 2, next.into()));
    }

    /// Makes head `head` available and sets avail->idx to `idx` (not necessarily +1), then
    /// notifies queue 0.
    pub fn publish(&mut self, head: u16, idx: u16) {
        let slot = u64::from(self.avail_idx % self.size);
        assert!(self.ram.write(AVAIL + 4 + 2 * slot, 2, head.into()));
        fence(Ordering::Release);
        assert!(self.ram.write(AVAIL + 2, 2, idx.into()));
        self.avail_idx = idx;
        self.set_reg(0x050, 0);
    }

    /// Builds a chain of `(addr, len, device-writable)` buffers, offers it, notifies;
    /// returns the head.
    pub fn submit(&mut self, bufs: &[(u64, u32, bool)]) -> u16 {
        let head = self.next_desc;
        for (k, &(addr, len, writable)) in bufs.iter().enumerate() {
            let i = (head + k as u16) % self.size;
            let mut flags = if writable { 2 } else { 0 };
            if k + 1 < bufs.len() {
                flags |= 1;
            }
            self.set_desc(i, addr, len, flags, (i + 1) % self.size);
        }
        self.next_desc = (head + bufs.len() as u16) % self.size;
        self.publish(head, self.avail_idx.wrapping_add(1));
        head
    }

    /// Waits for the next used entry: `(id, len)`.
    pub fn wait_used(&mut self) -> (u32, u32) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.ram.read(USED + 2, 2).unwrap() as u16 == self.used_seen {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for a used entry"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        fence(Ordering::Acquire);
        let slot = u64::from(self.used_seen % self.size);
        let id = self.ram.read(USED + 4 + 8 * slot, 4).unwrap() as u32;
        let len = self.ram.read(USED + 8 + 8 * slot, 4).unwrap() as u32;
        self.used_seen = self.used_seen.wrapping_add(1);
        (id, len)
    }

    /// Waits until the interrupt line is raised (the device writes the used ring first).
    pub fn wait_irq(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.irq_level() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the interrupt"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The used index the device has published.
    pub fn used_idx(&self) -> u16 {
        self.ram.read(USED + 2, 2).unwrap() as u16
    }

    /// Waits until DEVICE_NEEDS_RESET appears in the status register.
    pub fn wait_needs_reset(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.reg(0x070) & status::DEVICE_NEEDS_RESET == 0 {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for NEEDS_RESET"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
