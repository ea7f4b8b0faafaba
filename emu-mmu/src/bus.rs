//! The physical bus: guest RAM plus MMIO regions dispatched by address range.
//!
//! MMIO regions may not overlap each other ([`BusError::Overlap`]). A region may overlay part
//! of RAM (the HTIF `tohost` cell of a bare-metal test lies inside RAM, as on Spike); accesses
//! to the overlaid bytes go to the device. Devices see offsets from their region's base.
//!
//! Lock order: the bus itself is immutable once the machine is built; devices take only their
//! own locks inside `read`/`write` and never call back into the bus while holding them.

use crate::ram::GuestRam;
use crate::{PAGE_MASK, PAGE_SIZE};
use std::sync::Arc;

/// A memory-mapped device. `offset` is relative to the region base; `size` is 1, 2, 4 or 8.
/// Register reads and writes are answered synchronously; a device must not panic on any
/// offset, size or value (unknown registers read as 0 and ignore writes).
pub trait Mmio: Send + Sync {
    fn read(&self, offset: u64, size: usize) -> u64;
    fn write(&self, offset: u64, size: usize, value: u64);
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BusError {
    #[error("MMIO region {new} at {base:#x}+{size:#x} overlaps {existing}")]
    Overlap {
        new: String,
        existing: String,
        base: u64,
        size: u64,
    },
    #[error("MMIO region {0} has size 0 or wraps the address space")]
    BadRange(String),
}

/// An access to a physical address with nothing behind it (becomes an access fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusFault;

pub struct MmioRegion {
    pub name: String,
    pub base: u64,
    pub size: u64,
    pub dev: Arc<dyn Mmio>,
}

/// What backs a physical page, as the TLB needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageBacking {
    /// Plain RAM with no MMIO overlay: the host address of the page start.
    Ram(usize),
    /// Some or all of the page is MMIO (or partly unmapped): every access takes the slow path.
    Mmio,
    /// Nothing at all: accesses fault.
    Unmapped,
}

pub struct Bus {
    ram: Arc<GuestRam>,
    regions: Vec<MmioRegion>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self
            .regions
            .iter()
            .map(|r| (&r.name, r.base, r.size))
            .collect();
        f.debug_struct("Bus")
            .field("ram", &self.ram)
            .field("mmio", &names)
            .finish()
    }
}

impl Bus {
    pub fn new(ram: Arc<GuestRam>) -> Bus {
        Bus {
            ram,
            regions: Vec::new(),
        }
    }

    pub fn ram(&self) -> &Arc<GuestRam> {
        &self.ram
    }

    pub fn regions(&self) -> &[MmioRegion] {
        &self.regions
    }

    pub fn add_mmio(
        &mut self,
        name: &str,
        base: u64,
        size: u64,
        dev: Arc<dyn Mmio>,
    ) -> Result<(), BusError> {
        let end = base
            .checked_add(size)
            .filter(|_| size > 0)
            .ok_or_else(|| BusError::BadRange(name.to_string()))?;
        if let Some(r) = self
            .regions
            .iter()
            .find(|r| base < r.base + r.size && r.base < end)
        {
            return Err(BusError::Overlap {
                new: name.to_string(),
                existing: r.name.clone(),
                base,
                size,
            });
        }
        self.regions.push(MmioRegion {
            name: name.to_string(),
            base,
            size,
            dev,
        });
        self.regions.sort_by_key(|r| r.base);
        Ok(())
    }

    fn find(&self, paddr: u64) -> Option<&MmioRegion> {
        let i = self.regions.partition_point(|r| r.base <= paddr);
        let r = self.regions.get(i.checked_sub(1)?)?;
        (paddr - r.base < r.size).then_some(r)
    }

    /// Reads `size` bytes at `paddr`. An access must not straddle a device boundary; a
    /// misaligned RAM access is fine.
    pub fn read(&self, paddr: u64, size: usize) -> Result<u64, BusFault> {
        if let Some(r) = self.find(paddr) {
            if paddr - r.base + size as u64 > r.size {
                return Err(BusFault);
            }
            return Ok(r.dev.read(paddr - r.base, size));
        }
        self.ram.read(paddr, size).ok_or(BusFault)
    }

    pub fn write(&self, paddr: u64, size: usize, value: u64) -> Result<(), BusFault> {
        if let Some(r) = self.find(paddr) {
            if paddr - r.base + size as u64 > r.size {
                return Err(BusFault);
            }
            r.dev.write(paddr - r.base, size, value);
            return Ok(());
        }
        if self.ram.write(paddr, size, value) {
            Ok(())
        } else {
            Err(BusFault)
        }
    }

    /// What backs the 4 KiB page holding `paddr`.
    pub fn page_backing(&self, paddr: u64) -> PageBacking {
        let page = paddr & PAGE_MASK;
        let overlaid = self
            .regions
            .iter()
            .any(|r| r.base < page.saturating_add(PAGE_SIZE) && page < r.base + r.size);
        if overlaid {
            PageBacking::Mmio
        } else if self.ram.contains(page, PAGE_SIZE) {
            PageBacking::Ram(self.ram.host_addr(page))
        } else {
            PageBacking::Unmapped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Reg(Mutex<Vec<(u64, usize, u64)>>);
    impl Mmio for Reg {
        fn read(&self, offset: u64, _size: usize) -> u64 {
            offset + 0x100
        }
        fn write(&self, offset: u64, size: usize, value: u64) {
            self.0.lock().unwrap().push((offset, size, value));
        }
    }

    fn bus() -> Bus {
        Bus::new(Arc::new(GuestRam::new(0x8000_0000, 0x4000).unwrap()))
    }

    #[test]
    fn overlapping_regions_are_refused() {
        let mut b = bus();
        b.add_mmio("uart", 0x1000_0000, 0x100, Arc::new(Reg::default()))
            .unwrap();
        let e = b
            .add_mmio("other", 0x1000_00f0, 0x100, Arc::new(Reg::default()))
            .unwrap_err();
        assert!(matches!(e, BusError::Overlap { ref existing, .. } if existing == "uart"));
        b.add_mmio("next", 0x1000_0100, 0x100, Arc::new(Reg::default()))
            .unwrap();
        assert!(matches!(
            b.add_mmio("zero", 0x2000, 0, Arc::new(Reg::default())),
            Err(BusError::BadRange(_))
        ));
    }

    #[test]
    fn dispatch_by_offset_and_overlay() {
        let mut b = bus();
        let dev = Arc::new(Reg::default());
        b.add_mmio("htif", 0x8000_1000, 16, dev.clone()).unwrap();
        assert_eq!(b.read(0x8000_1008, 8), Ok(0x108));
        b.write(0x8000_1000, 8, 7).unwrap();
        assert_eq!(dev.0.lock().unwrap()[0], (0, 8, 7));
        assert_eq!(b.page_backing(0x8000_1000), PageBacking::Mmio);
        assert!(matches!(b.page_backing(0x8000_2000), PageBacking::Ram(_)));
        assert_eq!(b.page_backing(0x9000_0000), PageBacking::Unmapped);
        assert_eq!(b.read(0x10, 4), Err(BusFault));
        // Straddling the end of a device region fails.
        assert_eq!(b.read(0x8000_100c, 8), Err(BusFault));
    }
}
