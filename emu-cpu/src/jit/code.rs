//! The JIT's code memory: one fixed-size mapping owned by one hart, never writable and
//! executable at the same time (decision 13).
//!
//! Pages are executable (RX) except while the translator writes into them: `write` turns just
//! the pages it touches to RW (not executable), copies, and turns them back to RX. Each hart
//! has its own cache, so no other thread can be executing a page while it is writable. When
//! the cache is full the owner flushes it whole (every translation is dropped) and starts over.

use rustix::mm::{mmap_anonymous, mprotect, munmap, MapFlags, MprotectFlags, ProtFlags};
use std::ptr::null_mut;

const PAGE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("cannot map {0} bytes of JIT code memory: {1}")]
    Map(usize, rustix::io::Errno),
    #[error("cannot change JIT code memory protection: {0}")]
    Protect(rustix::io::Errno),
}

pub struct CodeCache {
    base: *mut u8,
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
        // SAFETY: a fresh anonymous private mapping at an address the kernel chooses; nothing
        // else refers to it.
        let base = unsafe {
            mmap_anonymous(
                null_mut(),
                size,
                ProtFlags::READ | ProtFlags::EXEC,
                MapFlags::PRIVATE,
            )
        }
        .map_err(|e| CodeError::Map(size, e))?;
        Ok(CodeCache {
            base: base.cast(),
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
        if bytes.is_empty() {
            return Ok(());
        }
        let start = off / PAGE * PAGE;
        let end = (off + bytes.len()).next_multiple_of(PAGE);
        // SAFETY: [start, end) lies inside our mapping. Only this hart's thread executes from
        // this cache and it is here, translating, not running translated code; so no code
        // runs from these pages while they are writable.
        unsafe {
            let p = self.base.add(start).cast();
            mprotect(p, end - start, MprotectFlags::READ | MprotectFlags::WRITE)
                .map_err(CodeError::Protect)?;
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(off), bytes.len());
            mprotect(p, end - start, MprotectFlags::READ | MprotectFlags::EXEC)
                .map_err(CodeError::Protect)?;
        }
        Ok(())
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: the mapping was created in `new` with this size and nothing runs from it
        // once the owning hart is dropped.
        unsafe {
            let _ = munmap(self.base.cast(), self.size);
        }
    }
}

// SAFETY: the cache is owned by one hart and only that hart's thread writes or executes it;
// moving it to another thread with the hart is fine.
unsafe impl Send for CodeCache {}
