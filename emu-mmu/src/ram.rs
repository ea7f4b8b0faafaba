//! Guest RAM: one anonymous host mapping.
//!
//! Every access goes through atomics of the access width (relaxed ordering), so harts on other
//! threads and device threads may touch the same bytes at once without undefined behaviour in
//! the host: racing guest accesses race as they would on hardware. On x86-64 a relaxed atomic
//! load or store is an ordinary `mov`.
//!
//! RAM also keeps the machine-wide map of pages holding decoded code ([`CodeMap`]), so a
//! store by any hart or a device's DMA write to such a page invalidates the blocks every hart
//! decoded there (design decision 4 across threads).

use crate::signals::HartSignals;
use crate::{PAGE_MASK, PAGE_SHIFT, PAGE_SIZE};
use std::sync::atomic::{fence, AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

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
    code: CodeMap,
}

/// Which harts hold decoded blocks on each RAM page: one word per 4 KiB page, bit `i` for the
/// hart registered `i`-th (harts from the 64th on share bit 63).
///
/// The protocol that keeps every hart's blocks in step with memory:
/// - A hart marks a page ([`GuestRam::mark_code_page`]) *before* it reads the instructions
///   there. When the page was nobody's code page before, every other hart gets
///   `CODE_MARKED`: it re-checks its TLB write entries, which were filled without the
///   `TLB_CODE` flag and would let its stores bypass the slow path (a TLB fill consults this
///   map, so later entries carry the flag).
/// - A writer stores first, then looks here ([`GuestRam::code_page_written`]): if anyone
///   holds blocks on the page it clears the word and sends each holder `request_code_written`.
///   The writer's store and the decoder's mark are both sequentially consistent, so either
///   the writer sees the mark or the decoder reads the new bytes.
/// - The mask may over-approximate (a hart dropped its blocks without clearing its bit):
///   that costs a spurious request, never a missed one.
struct CodeMap {
    holders: Box<[AtomicU64]>,
    /// Registered harts by index (None: a slot freed by a hart that was dropped).
    harts: RwLock<Vec<Option<Arc<HartSignals>>>>,
}

impl CodeMap {
    fn new(pages: usize) -> CodeMap {
        CodeMap {
            holders: (0..pages).map(|_| AtomicU64::new(0)).collect(),
            harts: RwLock::new(Vec::new()),
        }
    }

    fn bit(hart: usize) -> u64 {
        1 << hart.min(63)
    }

    /// Sends `f` to every registered hart whose bit is in `mask`, except hart `except`.
    fn each_hart(&self, mask: u64, except: Option<usize>, f: impl Fn(&HartSignals)) {
        let harts = self.harts.read().unwrap_or_else(|e| e.into_inner());
        for (i, h) in harts.iter().enumerate() {
            if let Some(h) = h {
                if Some(i) != except && mask & Self::bit(i) != 0 {
                    f(h);
                }
            }
        }
    }
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
            code: CodeMap::new(len >> PAGE_SHIFT),
        })
    }

    /// Registers a hart that decodes code from this RAM; returns its index for the code map.
    /// Every hart sharing this RAM must register (`Hart::new` does), so that writes by the
    /// others and by devices reach its blocks.
    pub fn register_hart(&self, signals: Arc<HartSignals>) -> usize {
        let mut harts = self.code.harts.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = harts.iter().position(Option::is_none) {
            harts[i] = Some(signals);
            return i;
        }
        harts.push(Some(signals));
        harts.len() - 1
    }

    /// Frees the index of a hart that no longer runs (its marks should be gone first; any
    /// left over only cost the next hart given the index a spurious request).
    pub fn unregister_hart(&self, index: usize) {
        let mut harts = self.code.harts.write().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = harts.get_mut(index) {
            *slot = None;
        }
    }

    fn code_word(&self, paddr: u64) -> Option<&AtomicU64> {
        let n = paddr.checked_sub(self.base)? >> PAGE_SHIFT;
        self.code.holders.get(usize::try_from(n).ok()?)
    }

    /// True if some hart may hold decoded blocks on the page of `paddr` (a TLB fill sets
    /// `TLB_CODE` on write entries for such pages).
    pub fn is_code_page(&self, paddr: u64) -> bool {
        self.code_word(paddr)
            .is_some_and(|w| w.load(Ordering::SeqCst) != 0)
    }

    /// Hart `hart` is about to decode instructions on the page of `paddr`; call before
    /// reading them. When the page was nobody's code page before, every other hart is sent
    /// `CODE_MARKED`. Returns true if `hart`'s own mark is new (its TLB may still hold write
    /// entries for the page without `TLB_CODE`: the caller drops them).
    pub fn mark_code_page(&self, paddr: u64, hart: usize) -> bool {
        let Some(w) = self.code_word(paddr) else {
            return false;
        };
        let bit = CodeMap::bit(hart);
        // Always the read-modify-write, even when the bit looks set: it orders the
        // decoder's reads after the mark (see CodeMap). Decoding is rare enough.
        let old = w.fetch_or(bit, Ordering::SeqCst);
        if old == 0 {
            self.code.each_hart(u64::MAX, Some(hart), |h| {
                h.request_code_marked();
            });
        }
        old & bit == 0
    }

    /// Hart `hart` dropped its blocks on the page of `paddr` (without the page being
    /// written): clears its bit so stores there need not take the slow path for it.
    pub fn unmark_code_page(&self, paddr: u64, hart: usize) {
        if hart >= 63 {
            return; // bit 63 is shared by the harts from the 64th on
        }
        if let Some(w) = self.code_word(paddr) {
            w.fetch_and(!CodeMap::bit(hart), Ordering::SeqCst);
        }
    }

    /// The page of `paddr` was written (call after the store) by hart `by` (None: a device).
    /// If anyone holds blocks there, clears the page's entry and asks every holder other
    /// than `by` to drop them. Returns true if the page was a code page.
    pub fn code_page_written(&self, paddr: u64, by: Option<usize>) -> bool {
        let Some(w) = self.code_word(paddr) else {
            return false;
        };
        // Orders the caller's store before the load (see CodeMap).
        fence(Ordering::SeqCst);
        if w.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let holders = w.swap(0, Ordering::SeqCst);
        if holders == 0 {
            return false;
        }
        let page = paddr & PAGE_MASK;
        self.code.each_hart(holders, by, |h| {
            h.request_code_written(page);
        });
        true
    }

    /// A device (or anything but a hart's store path) wrote `[paddr, paddr+len)` by some
    /// means of its own: invalidates the decoded code there. `write`, `write_bytes` and
    /// `write_dma` call it themselves.
    pub fn note_external_write(&self, paddr: u64, len: u64) {
        if len == 0 {
            return;
        }
        let first = paddr & PAGE_MASK;
        let last = paddr.saturating_add(len - 1) & PAGE_MASK;
        let mut page = first;
        loop {
            self.code_page_written(page, None);
            if page >= last {
                break;
            }
            page += PAGE_SIZE;
        }
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
    /// Like [`GuestRam::write`] but without invalidating decoded code: only for putting
    /// back bytes that code was decoded from (the JIT audit undoing a block's stores).
    pub fn write_quiet(&self, paddr: u64, size: usize, value: u64) -> bool {
        if !self.contains(paddr, size as u64) {
            return false;
        }
        // SAFETY: the range was checked to lie inside the mapping just above.
        unsafe { store_host(self.host_addr(paddr), size, value) };
        true
    }

    pub fn write(&self, paddr: u64, size: usize, value: u64) -> bool {
        let ok = self.write_quiet(paddr, size, value);
        if ok {
            self.note_external_write(paddr, size as u64);
        }
        ok
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

    /// Copies `data` into guest RAM. Returns false (copying nothing) outside RAM. Decoded
    /// code on the pages written is invalidated on every hart.
    pub fn write_bytes(&self, paddr: u64, data: &[u8]) -> bool {
        if !self.contains(paddr, data.len() as u64) {
            return false;
        }
        let host = self.host_addr(paddr);
        let mut chunks = data.chunks_exact(8);
        let mut i = 0;
        if host.is_multiple_of(8) {
            for c in chunks.by_ref() {
                let v = u64::from_le_bytes(c.try_into().unwrap_or_default());
                // SAFETY: inside the checked range, 8-byte aligned.
                unsafe { store_host(host + i, 8, v) };
                i += 8;
            }
        }
        for b in &data[i..] {
            // SAFETY: inside the checked range.
            unsafe { store_host(host + i, 1, *b as u64) };
            i += 1;
        }
        self.note_external_write(paddr, data.len() as u64);
        true
    }

    /// A device's DMA write into guest RAM (virtio buffers, disk reads): copies `data` and
    /// invalidates decoded code on the pages written, on every hart. The same as
    /// [`write_bytes`](Self::write_bytes), named for what devices use it for.
    pub fn write_dma(&self, paddr: u64, data: &[u8]) -> bool {
        self.write_bytes(paddr, data)
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
    fn code_map_tells_the_other_harts() {
        use crate::signals::request;
        let ram = GuestRam::new(0x8000_0000, 0x10000).unwrap();
        let a = Arc::new(HartSignals::default());
        let b = Arc::new(HartSignals::default());
        let ia = ram.register_hart(a.clone());
        let ib = ram.register_hart(b.clone());
        let page = 0x8000_2000;
        assert!(!ram.is_code_page(page));
        // A marks first: B hears that a page became code; A does not hear of its own mark.
        assert!(ram.mark_code_page(page + 0x10, ia));
        assert!(ram.is_code_page(page + 0xfff));
        assert_eq!(b.take_requests().unwrap().kinds, request::CODE_MARKED);
        assert!(a.take_requests().is_none());
        // B marks too: not new for the machine, so nobody is told.
        assert!(ram.mark_code_page(page, ib));
        assert!(!ram.mark_code_page(page, ib), "already B's");
        assert!(a.take_requests().is_none());
        // A store by A reaches B only; the page is nobody's code afterwards.
        assert!(ram.code_page_written(page + 8, Some(ia)));
        assert!(a.take_requests().is_none());
        assert_eq!(b.take_requests().unwrap().code_written, vec![page]);
        assert!(!ram.is_code_page(page));
        // A device's write reaches every holder, on each page it touches.
        ram.mark_code_page(page, ia);
        ram.mark_code_page(page + 0x1000, ib);
        b.take_requests();
        assert!(ram.write_dma(page + 0xffc, &[1; 8]));
        assert_eq!(a.take_requests().unwrap().code_written, vec![page]);
        assert_eq!(b.take_requests().unwrap().code_written, vec![page + 0x1000]);
        assert_eq!(ram.read(page + 0xffc, 8), Some(0x0101_0101_0101_0101));
        // A dropped hart's index is reused.
        ram.unregister_hart(ia);
        assert_eq!(ram.register_hart(a), ia);
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
