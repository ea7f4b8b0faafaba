//! The JIT's code memory: one fixed-size region owned by one hart, never writable and
//! executable through the same mapping (decision 13).
//!
//! The region is a memfd mapped twice, as QEMU's split-wx TCG buffer: an executable view
//! (RX, never writable) that translated code runs from, and a writable view (RW, never
//! executable) at an unrelated address that only the translator writes through. Writing a
//! block or patching a chained jump is then a plain copy: no `mprotect` per translation (two
//! of them per block and per chain patch cost Linux's boot about a fifth of its time, in the
//! host kernel splitting and merging mappings). Each hart has its own cache, and the hart's
//! thread writes it only while it is translating, not running translated code. When the cache
//! is full the owner flushes it whole (every translation is dropped) and starts over.

use rustix::fs::{ftruncate, memfd_create, MemfdFlags};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::ptr::null_mut;

const PAGE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("cannot map {0} bytes of JIT code memory: {1}")]
    Map(usize, rustix::io::Errno),
}

pub struct CodeCache {
    /// The executable view: addresses handed out and jumped to.
    base: *mut u8,
    /// The writable view of the same memory.
    rw: *mut u8,
    size: usize,
    used: usize,
}

impl std::fmt::Debug for CodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CodeCache({:p}, {}/{} bytes)",
            self.base, self.used, self.size
        )
    }
}

impl CodeCache {
    pub fn new(size: usize) -> Result<CodeCache, CodeError> {
        let size = size.max(64 * 1024).next_multiple_of(PAGE);
        let map_err = |e| CodeError::Map(size, e);
        let fd = memfd_create("rvx-jit", MemfdFlags::CLOEXEC).map_err(map_err)?;
        ftruncate(&fd, size as u64).map_err(map_err)?;
        // SAFETY: two fresh shared mappings of our own memfd at addresses the kernel chooses;
        // nothing else refers to them. The fd may close afterwards: the mappings keep the
        // memory alive.
        let (base, rw) = unsafe {
            let base = mmap(
                null_mut(),
                size,
                ProtFlags::READ | ProtFlags::EXEC,
                MapFlags::SHARED,
                &fd,
                0,
            )
            .map_err(map_err)?;
            match mmap(
                null_mut(),
                size,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            ) {
                Ok(rw) => (base, rw),
                Err(e) => {
                    let _ = munmap(base, size);
                    return Err(map_err(e));
                }
            }
        };
        Ok(CodeCache {
            base: base.cast(),
            rw: rw.cast(),
            size,
            used: 0,
        })
    }

    pub fn base(&self) -> usize {
        self.base as usize
    }

    /// Where the next `write` will go, 16-byte aligned.
    pub fn next_addr(&self) -> usize {
        self.base as usize + self.used.next_multiple_of(16)
    }

    pub fn has_room(&self, len: usize) -> bool {
        self.used.next_multiple_of(16) + len <= self.size
    }

    /// Forgets every translation after `keep` bytes (the trampoline stays).
    pub fn reset_to(&mut self, keep: usize) {
        self.used = keep;
    }

    pub fn used(&self) -> usize {
        self.used
    }

    /// Appends `code` (assembled for address `next_addr()`); returns its address.
    pub fn append(&mut self, code: &[u8]) -> Result<usize, CodeError> {
        let at = self.used.next_multiple_of(16);
        assert!(at + code.len() <= self.size, "caller checks has_room");
        self.write(at, code)?;
        self.used = at + code.len();
        Ok(self.base as usize + at)
    }

    /// Overwrites bytes at `addr` (inside already written code), e.g. to patch a jump.
    pub fn patch(&mut self, addr: usize, bytes: &[u8]) -> Result<(), CodeError> {
        let off = addr - self.base as usize;
        assert!(off + bytes.len() <= self.used);
        self.write(off, bytes)
    }

    fn write(&mut self, off: usize, bytes: &[u8]) -> Result<(), CodeError> {
        assert!(off + bytes.len() <= self.size);
        // SAFETY: [off, off + len) lies inside the writable view. Only this hart's thread
        // executes from this cache and it is here, translating, not running translated code;
        // so no code runs from these bytes while they change. x86 keeps instruction fetch
        // coherent with stores by physical address, and the dispatcher runs thousands of
        // instructions (calls, returns, indirect jumps) before it enters a new block, as QEMU's
        // split-wx relies on too; an aarch64 backend will need an explicit cache flush here.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.rw.add(off), bytes.len());
        }
        Ok(())
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: both views were created in `new` with this size and nothing runs from
        // them once the owning hart is dropped.
        unsafe {
            let _ = munmap(self.base.cast(), self.size);
            let _ = munmap(self.rw.cast(), self.size);
        }
    }
}

// SAFETY: the cache is owned by one hart and only that hart's thread writes or executes it;
// moving it to another thread with the hart is fine.
unsafe impl Send for CodeCache {}
