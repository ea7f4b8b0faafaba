//! The CLINT of QEMU's `virt` board: an ACLINT MSWI (machine software interrupts) followed by
//! an ACLINT MTIMER (mtimecmp per hart, one shared mtime), laid out as SiFive's CLINT.
//!
//! Register map (RISC-V ACLINT spec v1.0, sections 2 and 3; offsets from [`CLINT_BASE`]):
//!
//! | offset               | register        | access                                    |
//! |----------------------|-----------------|-------------------------------------------|
//! | `0x0000 + 4 * hart`  | `msip[hart]`    | 32-bit; bit 0 is MSIP, the rest read 0    |
//! | `0x4000 + 8 * hart`  | `mtimecmp[hart]`| 64-bit, or 32-bit halves at +0 / +4       |
//! | `0xbff8`             | `mtime`         | 64-bit, or 32-bit halves at +0 / +4       |
//!
//! Anything else (other sizes, misaligned offsets, harts that do not exist) reads as 0 and
//! ignores writes.
//!
//! # mtime offset
//! mtime is the machine [`Clock`] plus an offset that is zero until the guest writes mtime
//! (QEMU allows such writes the same way). The hart derives MTIP by comparing the *raw* clock
//! with [`HartSignals::mtimecmp`] and sleeps in WFI until that raw deadline, so the device
//! stores there `mtimecmp - offset` (clamped to `0..=u64::MAX`), and keeps the guest-visible
//! mtimecmp itself for reads. A write to mtime re-translates every hart's deadline.
//!
//! Lock order: the CLINT's state lock, then a hart's [`HartSignals`] lock (taken inside
//! `set_mtimecmp`/`set_pending`). Harts never call into the CLINT while holding their own.

use emu_mmu::signals::irq;
use emu_mmu::{Clock, HartSignals, Mmio};
use std::sync::{Arc, Mutex, MutexGuard};

pub const CLINT_BASE: u64 = 0x200_0000;
pub const CLINT_SIZE: u64 = 0x1_0000;

/// ACLINT MSWI: one 32-bit `msip` register per hart from offset 0.
const MSIP_BASE: u64 = 0x0000;
/// ACLINT MTIMER as placed by the SiFive CLINT layout: `mtimecmp` array at +0x4000.
const MTIMECMP_BASE: u64 = 0x4000;
const MTIME: u64 = 0xbff8;

#[derive(Debug)]
struct ClintState {
    /// Guest-visible mtime minus the raw clock; kept wide so no value the guest can write
    /// (either direction) wraps.
    mtime_offset: i128,
    /// Guest-visible mtimecmp per hart.
    mtimecmp: Vec<u64>,
}

pub struct Clint {
    clock: Clock,
    harts: Vec<Arc<HartSignals>>,
    state: Mutex<ClintState>,
}

impl std::fmt::Debug for Clint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clint")
            .field("harts", &self.harts.len())
            .field("state", &*self.lock())
            .finish()
    }
}

/// Which half (or all) of a 64-bit register an access covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Whole,
    Low,
    High,
}

/// Classifies an access at `rel` bytes into a 64-bit register: 8 bytes at +0, or 4 at +0/+4.
fn part(rel: u64, size: usize) -> Option<Part> {
    match (rel, size) {
        (0, 8) => Some(Part::Whole),
        (0, 4) => Some(Part::Low),
        (4, 4) => Some(Part::High),
        _ => None,
    }
}

fn read_part(reg: u64, p: Part) -> u64 {
    match p {
        Part::Whole => reg,
        Part::Low => reg & 0xffff_ffff,
        Part::High => reg >> 32,
    }
}

fn merge_part(reg: u64, p: Part, value: u64) -> u64 {
    match p {
        Part::Whole => value,
        Part::Low => (reg & !0xffff_ffff) | (value & 0xffff_ffff),
        Part::High => (reg & 0xffff_ffff) | (value << 32),
    }
}

/// The raw-clock deadline at which guest mtime (raw + offset) reaches `mtimecmp`.
fn raw_deadline(mtimecmp: u64, offset: i128) -> u64 {
    (mtimecmp as i128 - offset).clamp(0, u64::MAX as i128) as u64
}

impl Clint {
    /// A CLINT for `harts.len()` harts (hart i is `harts[i]`). Every mtimecmp starts at
    /// `u64::MAX` (no timer interrupt), matching [`HartSignals`]' default.
    pub fn new(clock: Clock, harts: Vec<Arc<HartSignals>>) -> Clint {
        let n = harts.len();
        for h in &harts {
            h.set_mtimecmp(u64::MAX);
        }
        Clint {
            clock,
            harts,
            state: Mutex::new(ClintState {
                mtime_offset: 0,
                mtimecmp: vec![u64::MAX; n],
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClintState> {
        // The state stays consistent across a panic elsewhere; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mtime_with(&self, offset: i128) -> u64 {
        // Truncation is the counter wrapping, as a 64-bit mtime does.
        (self.clock.mtime() as i128 + offset) as u64
    }

    /// The guest-visible mtime (clock plus any offset the guest wrote). The `time` CSR should
    /// read this value; it equals [`Clock::mtime`] unless the guest has written mtime.
    pub fn mtime(&self) -> u64 {
        let offset = self.lock().mtime_offset;
        self.mtime_with(offset)
    }

    /// Guest mtime minus the raw clock (0 until the guest writes mtime).
    pub fn mtime_offset(&self) -> i128 {
        self.lock().mtime_offset
    }

    fn msip_index(offset: u64, size: usize) -> Option<usize> {
        let rel = offset.checked_sub(MSIP_BASE)?;
        if size != 4 || rel % 4 != 0 || offset >= MTIMECMP_BASE {
            return None;
        }
        usize::try_from(rel / 4).ok()
    }

    fn mtimecmp_index(offset: u64, size: usize) -> Option<(usize, Part)> {
        if !(MTIMECMP_BASE..MTIME).contains(&offset) {
            return None;
        }
        let rel = offset - MTIMECMP_BASE;
        let p = part(rel % 8, size)?;
        Some((usize::try_from(rel / 8).ok()?, p))
    }
}

impl Mmio for Clint {
    fn read(&self, offset: u64, size: usize) -> u64 {
        if let Some(i) = Self::msip_index(offset, size) {
            return self.harts.get(i).map_or(0, |h| {
                let pending = h.pending.load(std::sync::atomic::Ordering::SeqCst);
                u64::from(pending & irq::MSIP != 0)
            });
        }
        if let Some((i, p)) = Self::mtimecmp_index(offset, size) {
            return self.lock().mtimecmp.get(i).map_or(0, |&v| read_part(v, p));
        }
        if let Some(p) = offset.checked_sub(MTIME).and_then(|rel| part(rel, size)) {
            return read_part(self.mtime(), p);
        }
        0
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        if let Some(i) = Self::msip_index(offset, size) {
            // ACLINT 2.1: bit 0 is MSIP, the upper 31 bits are hardwired to zero.
            if let Some(h) = self.harts.get(i) {
                if value & 1 != 0 {
                    h.set_pending(irq::MSIP);
                } else {
                    h.clear_pending(irq::MSIP);
                }
            }
            return;
        }
        if let Some((i, p)) = Self::mtimecmp_index(offset, size) {
            let mut st = self.lock();
            let offset = st.mtime_offset;
            if let (Some(cmp), Some(h)) = (st.mtimecmp.get_mut(i), self.harts.get(i)) {
                *cmp = merge_part(*cmp, p, value);
                h.set_mtimecmp(raw_deadline(*cmp, offset));
            }
            return;
        }
        if let Some(p) = offset.checked_sub(MTIME).and_then(|rel| part(rel, size)) {
            let mut st = self.lock();
            let raw = self.clock.mtime();
            let current = (raw as i128 + st.mtime_offset) as u64;
            let new = merge_part(current, p, value);
            st.mtime_offset = new as i128 - raw as i128;
            // Every hart's raw deadline moves with the offset.
            for (cmp, h) in st.mtimecmp.iter().zip(&self.harts) {
                h.set_mtimecmp(raw_deadline(*cmp, st.mtime_offset));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    fn clint(n: usize) -> (Clint, Vec<Arc<HartSignals>>) {
        let harts: Vec<_> = (0..n).map(|_| Arc::new(HartSignals::default())).collect();
        (Clint::new(Clock::default(), harts.clone()), harts)
    }

    fn raw_cmp(h: &HartSignals) -> u64 {
        h.mtimecmp.load(Ordering::SeqCst)
    }

    #[test]
    fn msip_sets_and_clears_pending() {
        let (c, harts) = clint(2);
        c.write(0x4, 4, 0xffff_ffff);
        assert_eq!(harts[1].pending.load(Ordering::SeqCst), irq::MSIP);
        assert_eq!(harts[0].pending.load(Ordering::SeqCst), 0);
        assert!(harts[1].attention.load(Ordering::SeqCst));
        assert_eq!(c.read(0x4, 4), 1, "only bit 0 reads back");
        assert_eq!(c.read(0x0, 4), 0);
        c.write(0x4, 4, 2); // bit 0 clear: MSIP cleared, bit 1 ignored
        assert_eq!(harts[1].pending.load(Ordering::SeqCst), 0);
        assert_eq!(c.read(0x4, 4), 0);
    }

    #[test]
    fn msip_leaves_other_pending_bits_alone() {
        let (c, harts) = clint(1);
        harts[0].set_pending(irq::MEIP);
        c.write(0, 4, 1);
        c.write(0, 4, 0);
        assert_eq!(harts[0].pending.load(Ordering::SeqCst), irq::MEIP);
    }

    #[test]
    fn mtimecmp_whole_and_split_writes() {
        let (c, harts) = clint(2);
        assert_eq!(c.read(0x4008, 8), u64::MAX, "reset value");
        c.write(0x4008, 8, 0x1122_3344_5566_7788);
        assert_eq!(c.read(0x4008, 8), 0x1122_3344_5566_7788);
        assert_eq!(c.read(0x4008, 4), 0x5566_7788);
        assert_eq!(c.read(0x400c, 4), 0x1122_3344);
        assert_eq!(raw_cmp(&harts[1]), 0x1122_3344_5566_7788);
        assert_eq!(raw_cmp(&harts[0]), u64::MAX);

        // The RV32 idiom (privileged spec 3.2.1): high = -1, low = new low, high = new high.
        c.write(0x4004, 4, 0xffff_ffff);
        c.write(0x4000, 4, 0xdead_beef);
        assert_eq!(c.read(0x4000, 8), 0xffff_ffff_dead_beef);
        c.write(0x4004, 4, 0x0000_0001_0000_0042); // upper 32 bits of the value ignored
        assert_eq!(c.read(0x4000, 8), 0x0000_0042_dead_beef);
        assert_eq!(raw_cmp(&harts[0]), 0x0000_0042_dead_beef);
    }

    #[test]
    fn mtime_advances_and_halves_read() {
        let (c, _) = clint(1);
        let a = c.read(0xbff8, 8);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = c.read(0xbff8, 8);
        // 2 ms at 10 MHz is 20_000 ticks.
        assert!(b >= a + 20_000, "{a} -> {b}");
        assert_eq!(c.read(0xbffc, 4), b >> 32);
        assert!(c.read(0xbff8, 4) <= 0xffff_ffff);
    }

    #[test]
    fn mtime_write_keeps_an_offset() {
        let (c, harts) = clint(2);
        c.write(0x4000, 8, 5_000_000_000);
        assert_eq!(raw_cmp(&harts[0]), 5_000_000_000);

        // Jump guest time forward by ~4e9 ticks.
        c.write(0xbff8, 8, 4_000_000_000);
        let t = c.read(0xbff8, 8);
        assert!((4_000_000_000..4_010_000_000).contains(&t), "{t}");
        let off = c.mtime_offset();
        assert!(off > 3_900_000_000, "{off}");
        // The hart sees the deadline in raw clock ticks; the guest still reads its own value.
        assert_eq!(c.read(0x4000, 8), 5_000_000_000);
        assert_eq!(raw_cmp(&harts[0]) as i128, 5_000_000_000 - off);
        // A deadline already in the guest's past is due at once on the raw clock.
        c.write(0x4008, 8, 1000);
        assert_eq!(raw_cmp(&harts[1]), 0);
        // Writing mtime back near 0 moves the raw deadline of every hart.
        c.write(0xbff8, 8, 0);
        assert_eq!(raw_cmp(&harts[1]) as i128, (1000 - c.mtime_offset()).max(0));
        assert!(c.read(0xbff8, 8) < 10_000_000);

        // With guest time behind the clock, u64::MAX still means never.
        c.write(0x4008, 8, u64::MAX);
        assert_eq!(raw_cmp(&harts[1]), u64::MAX, "clamped, never due");

        // Split write of the high half only.
        c.write(0xbffc, 4, 7);
        assert_eq!(c.read(0xbffc, 4), 7);
    }

    #[test]
    fn bad_harts_sizes_and_offsets_are_ignored() {
        let (c, harts) = clint(1);
        let before = raw_cmp(&harts[0]);
        for (off, size) in [
            (0x4, 4), // msip of hart 1 (absent)
            (0x1, 4), // misaligned msip
            (0x0, 8), // wrong size for msip
            (0x0, 1),
            (0x4008, 8), // mtimecmp of hart 1
            (0x4002, 4), // misaligned mtimecmp
            (0x4000, 2),
            (0xbffa, 4), // misaligned mtime
            (0xbff8, 2),
            (0xc000, 8), // past mtime
            (0xffff, 1),
            (u64::MAX, 8),
        ] {
            c.write(off, size, u64::MAX);
            assert_eq!(c.read(off, size), 0, "{off:#x}/{size}");
        }
        assert_eq!(harts[0].pending.load(Ordering::SeqCst), 0);
        assert_eq!(raw_cmp(&harts[0]), before);
        assert_eq!(c.read(0x4000, 8), u64::MAX);
        assert_eq!(c.mtime_offset(), 0);
    }
}
