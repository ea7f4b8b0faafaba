//! Guest RAM: one anonymous host mapping.
//!
//! Every access goes through atomics of the access width (relaxed ordering), so harts on other
//! threads and device threads may touch the same bytes at once without undefined behaviour in
//! the host: racing guest accesses race as they would on hardware. On x86-64 a relaxed atomic
//! load or store is an ordinary `mov`.

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum RamError {
    #[error("cannot allocate {size} bytes of guest RAM: {source}")]
    Alloc { size: u64, source: std::io::Error },
    #[error("guest RAM size {0} is not a positive multiple of 4 KiB")]
    BadSize(u64),
}

pub struct GuestRam {
    // Kept only to own the mapping; all accesses go through `ptr`.
    _map: memmap2::MmapMut,
    ptr: *mut u8,
    base: u64,
    size: u64,
}

// SAFETY: the mapping is owned by this struct and lives as long as it; all accesses through
// `ptr` are atomic (see the module comment), so sharing between threads is sound.
unsafe impl Send for GuestRam {}
// SAFETY: as above.
unsafe impl Sync for GuestRam {}

impl std::fmt::Debug for GuestRam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GuestRam({:#x}+{:#x})", self.base, self.size)
    }
}

impl GuestRam {
    pub fn new(base: u64, size: u64) -> Result<GuestRam, RamError> {
        if size == 0
            || !size.is_multiple_of(crate::PAGE_SIZE)
            || !base.is_multiple_of(crate::PAGE_SIZE)
        {
            return Err(RamError::BadSize(size));
        }
        let len = usize::try_from(size).map_err(|_| RamError::BadSize(size))?;
        let mut map = memmap2::MmapOptions::new()
            .len(len)
            .map_anon()
            .map_err(|source| RamError::Alloc { size, source })?;
        let ptr = map.as_mut_ptr();
        Ok(GuestRam {
            _map: map,
            ptr,
            base,
            size,
        })
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// True if `[paddr, paddr+len)` lies inside RAM.
    pub fn contains(&self, paddr: u64, len: u64) -> bool {
        paddr >= self.base && len <= self.size && paddr - self.base <= self.size - len
    }

    /// Host address of guest physical `paddr` (which must be in RAM). Used to build TLB
    /// addends; dereferencing it is the caller's business.
    pub fn host_addr(&self, paddr: u64) -> usize {
        debug_assert!(self.contains(paddr, 1));
        self.ptr as usize + (paddr - self.base) as usize
    }

    /// Reads `size` (1, 2, 4 or 8) bytes at `paddr`, little-endian, zero-extended.
    /// Returns None outside RAM.
    pub fn read(&self, paddr: u64, size: usize) -> Option<u64> {
        if !self.contains(paddr, size as u64) {
            return None;
        }
        // SAFETY: the range was checked to lie inside the mapping just above.
        Some(unsafe { load_host(self.host_addr(paddr), size) })
    }

    /// Writes the low `size` bytes of `value` at `paddr`. Returns false outside RAM.
    pub fn write(&self, paddr: u64, size: usize, value: u64) -> bool {
        if !self.contains(paddr, size as u64) {
            return false;
        }
        // SAFETY: the range was checked to lie inside the mapping just above.
        unsafe { store_host(self.host_addr(paddr), size, value) };
        true
    }

    /// Copies guest bytes into `buf`. Returns false (copying nothing) outside RAM.
    pub fn read_bytes(&self, paddr: u64, buf: &mut [u8]) -> bool {
        if !self.contains(paddr, buf.len() as u64) {
            return false;
        }
        let host = self.host_addr(paddr);
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: inside the checked range.
            *b = unsafe { load_host(host + i, 1) } as u8;
        }
        true
    }

    /// Copies `data` into guest RAM. Returns false (copying nothing) outside RAM.
    pub fn write_bytes(&self, paddr: u64, data: &[u8]) -> bool {
        if !self.contains(paddr, data.len() as u64) {
            return false;
        }
        let host = self.host_addr(paddr);
        for (i, b) in data.iter().enumerate() {
            // SAFETY: inside the checked range.
            unsafe { store_host(host + i, 1, *b as u64) };
        }
        true
    }

    /// The 64-bit atomic cell at `paddr` (8-byte aligned, inside RAM), for AMOs, LR/SC and
    /// page-table A/D updates.
    pub fn atomic_u64(&self, paddr: u64) -> Option<&AtomicU64> {
        if !paddr.is_multiple_of(8) || !self.contains(paddr, 8) {
            return None;
        }
        // SAFETY: aligned, inside the mapping, which lives as long as &self.
        Some(unsafe { AtomicU64::from_ptr(self.host_addr(paddr) as *mut u64) })
    }

    /// The 32-bit atomic cell at `paddr` (4-byte aligned, inside RAM).
    pub fn atomic_u32(&self, paddr: u64) -> Option<&AtomicU32> {
        if !paddr.is_multiple_of(4) || !self.contains(paddr, 4) {
            return None;
        }
        // SAFETY: aligned, inside the mapping, which lives as long as &self.
        Some(unsafe { AtomicU32::from_ptr(self.host_addr(paddr) as *mut u32) })
    }
}

/// Loads `size` bytes at host address `host`, little-endian, zero-extended. Unaligned
/// accesses are split into bytes.
///
/// # Safety
/// `[host, host+size)` must lie inside a live guest RAM mapping.
#[inline(always)]
pub unsafe fn load_host(host: usize, size: usize) -> u64 {
    if !host.is_multiple_of(size) {
        let mut v = 0u64;
        for i in 0..size {
            // SAFETY: caller guarantees the range is inside guest RAM.
            let b = unsafe { AtomicU8::from_ptr((host + i) as *mut u8) }.load(Ordering::Relaxed);
            v |= (b as u64) << (8 * i);
        }
        return v;
    }
    // SAFETY: aligned for the width (checked above) and inside guest RAM (caller).
    unsafe {
        match size {
            1 => AtomicU8::from_ptr(host as *mut u8).load(Ordering::Relaxed) as u64,
            2 => AtomicU16::from_ptr(host as *mut u16).load(Ordering::Relaxed) as u64,
            4 => AtomicU32::from_ptr(host as *mut u32).load(Ordering::Relaxed) as u64,
            _ => AtomicU64::from_ptr(host as *mut u64).load(Ordering::Relaxed),
        }
    }
}

/// Stores the low `size` bytes of `value` at host address `host`.
///
/// # Safety
/// `[host, host+size)` must lie inside a live guest RAM mapping.
#[inline(always)]
pub unsafe fn store_host(host: usize, size: usize, value: u64) {
    if !host.is_multiple_of(size) {
        for i in 0..size {
            // SAFETY: caller guarantees the range is inside guest RAM.
            unsafe { AtomicU8::from_ptr((host + i) as *mut u8) }
                .store((value >> (8 * i)) as u8, Ordering::Relaxed);
        }
        return;
    }
    // SAFETY: aligned for the width (checked above) and inside guest RAM (caller).
    unsafe {
        match size {
            1 => AtomicU8::from_ptr(host as *mut u8).store(value as u8, Ordering::Relaxed),
            2 => AtomicU16::from_ptr(host as *mut u16).store(value as u16, Ordering::Relaxed),
            4 => AtomicU32::from_ptr(host as *mut u32).store(value as u32, Ordering::Relaxed),
            _ => AtomicU64::from_ptr(host as *mut u64).store(value, Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_all_widths_and_misaligned() {
        let ram = GuestRam::new(0x8000_0000, 0x10000).unwrap();
        assert!(ram.write(0x8000_0001, 8, 0x1122_3344_5566_7788));
        assert_eq!(ram.read(0x8000_0001, 8), Some(0x1122_3344_5566_7788));
        assert_eq!(ram.read(0x8000_0001, 1), Some(0x88));
        assert_eq!(ram.read(0x8000_0002, 2), Some(0x6677));
        assert_eq!(ram.read(0x8000_ffff, 2), None);
        assert_eq!(ram.read(0x7fff_ffff, 1), None);
        assert!(!ram.write(0x8001_0000, 1, 0));
    }

    #[test]
    fn bad_sizes_are_refused() {
        assert!(matches!(
            GuestRam::new(0x8000_0000, 0),
            Err(RamError::BadSize(0))
        ));
        assert!(matches!(
            GuestRam::new(0x8000_0000, 100),
            Err(RamError::BadSize(100))
        ));
    }
}
