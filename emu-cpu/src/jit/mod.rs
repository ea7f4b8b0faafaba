//! The JIT: guest blocks translated to host code (issue 3).
//!
//! The frontend is the interpreter's block former (`interp.rs`): a translation is attached to
//! a decoded [`Block`](crate::interp::Block) and lives as long as it, so invalidation
//! (stores to code pages, fence.i, flushes) is shared with the interpreter. A backend turns
//! a block's instructions into host code; `x86_64` is the only one so far. Instructions a
//! backend does not emit natively call [`helpers::exec_one`], which runs the interpreter's
//! semantics for that one instruction, so every instruction works on every backend.
//!
//! Translated code is position independent in the guest: it reads the block's virtual pc from
//! the hart at entry, so one translation serves every virtual alias of a physical page.

pub mod code;
mod helpers;
#[cfg(target_arch = "x86_64")]
pub mod x86_64;

use crate::decode::Insn;
use crate::hart::Hart;
pub use code::{CodeCache, CodeError};

/// What a host backend provides. The front end (block formation, the code cache, chaining,
/// invalidation, the dispatcher) is shared; a new host architecture implements this trait and
/// is selected as [`HostBackend`].
pub trait Backend {
    /// Emits the entry trampoline (`extern "sysv64"`-style `fn(hart, entry) -> status` for the
    /// host's C ABI) and the shared epilogue into `cache`; returns (enter, exit) addresses.
    fn emit_trampoline(cache: &mut CodeCache) -> Result<(usize, usize), JitError>;

    /// Translates one block for host address `at`; `exit` is the epilogue, `page_off` the
    /// offset of the block's first instruction in its guest page. Returns machine code.
    fn emit_block(
        insns: &[Insn],
        at: usize,
        exit: usize,
        page_off: u32,
    ) -> Result<Vec<u8>, JitError>;
}

/// The backend for the host rvx is built for.
#[cfg(target_arch = "x86_64")]
pub type HostBackend = x86_64::X86_64;

/// Instructions translated code may run per block of the hart's budget (the budget counts
/// blocks between looks at the clock; translated code counts retired instructions).
const INSNS_PER_BUDGET_BLOCK: u64 = 8;

/// Default size of a hart's code cache (`--jit-cache-size`).
pub const DEFAULT_CACHE_SIZE: usize = 64 << 20;

/// How a block's host code ended, returned by the trampoline.
pub mod status {
    /// The block ran to its end or left through a helper; the hart's pc and instret are
    /// up to date. Any other value is the address of the rel32 field of the direct jump the
    /// block left through, for the dispatcher to chain (pc and instret are up to date too).
    pub const DONE: u64 = 0;
}

/// Host code as text, one instruction a line (capstone), for `-d out_asm` and golden tests.
pub fn disassemble_host(code: &[u8], addr: u64) -> String {
    use capstone::prelude::*;
    #[cfg(target_arch = "x86_64")]
    let cs = Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .build();
    #[cfg(not(target_arch = "x86_64"))]
    let cs = Capstone::new()
        .arm64()
        .mode(arch::arm64::ArchMode::Arm)
        .build();
    let Ok(cs) = cs else {
        return " (capstone unavailable)".into();
    };
    let Ok(insns) = cs.disasm_all(code, addr) else {
        return " (undecodable)".into();
    };
    let mut out = String::new();
    for i in insns.iter() {
        out.push_str(&format!(
            "\n  {:#x}: {} {}",
            i.address(),
            i.mnemonic().unwrap_or("?"),
            i.op_str().unwrap_or("")
        ));
    }
    out
}

/// An unpatched direct jump (`jmp rel32`; `addr` is its rel32 field) that left a block for
/// `target`, recorded in code-cache generation `generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainSite {
    pub addr: usize,
    pub target: u64,
    pub generation: u64,
}

/// One hart's translator state: its code cache and the entry trampoline.
pub struct Jit {
    cache: CodeCache,
    /// `extern "sysv64" fn(hart, entry) -> status` at the start of the cache.
    enter: usize,
    /// The epilogue every block jumps to when it leaves.
    exit: usize,
    /// Bytes of the cache taken by the trampoline (kept on flush).
    fixed: usize,
    pub(crate) translated: u64,
    pub(crate) flushes: u64,
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jit")
            .field("cache", &self.cache)
            .field("translated", &self.translated)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("the JIT has no backend for this host")]
    NoBackend,
    #[error("assembling a block failed: {0}")]
    Asm(String),
}

impl Jit {
    pub fn new(cache_size: usize) -> Result<Jit, JitError> {
        #[cfg(target_arch = "x86_64")]
        {
            let mut cache = CodeCache::new(cache_size)?;
            let (enter, exit) = HostBackend::emit_trampoline(&mut cache)?;
            let fixed = cache.used();
            Ok(Jit {
                cache,
                enter,
                exit,
                fixed,
                translated: 0,
                flushes: 0,
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = cache_size;
            Err(JitError::NoBackend)
        }
    }

    /// Translates `insns` (a block at virtual `pc`; the code serves every alias with the
    /// same page offset) and returns the host entry address, or None when the cache is full
    /// (the caller flushes every block and retries).
    pub(crate) fn translate(&mut self, insns: &[Insn], pc: u64) -> Result<Option<usize>, JitError> {
        #[cfg(target_arch = "x86_64")]
        {
            let page_offset = (pc & !emu_mmu::PAGE_MASK) as u32;
            let at = self.cache.next_addr();
            let code = HostBackend::emit_block(insns, at, self.exit, page_offset)?;
            if !self.cache.has_room(code.len()) {
                return Ok(None);
            }
            let addr = self.cache.append(&code)?;
            debug_assert_eq!(addr, at);
            self.translated += 1;
            if tracing::enabled!(target: "out_asm", tracing::Level::TRACE) {
                tracing::trace!(target: "out_asm", "block {pc:#x}: host code at {addr:#x} ({} bytes):{}",
                    code.len(), disassemble_host(&code, addr as u64));
            }
            Ok(Some(addr))
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (insns, pc);
            Err(JitError::NoBackend)
        }
    }

    /// Points the direct jump whose rel32 field is at `site` at `target`.
    pub(crate) fn chain(&mut self, site: usize, target: usize) -> Result<(), JitError> {
        let rel = (target as i64 - (site as i64 + 4)) as i32;
        self.cache.patch(site, &rel.to_le_bytes())?;
        Ok(())
    }

    /// Drops every translation (the caller drops every block that points at them).
    pub(crate) fn flush(&mut self) {
        self.cache.reset_to(self.fixed);
        self.flushes += 1;
    }

    /// Runs translated code at `entry` until it returns to the dispatcher.
    pub(crate) fn enter(&self, hart: &mut Hart, entry: usize) -> u64 {
        type Enter = extern "sysv64" fn(*mut Hart, usize) -> u64;
        // SAFETY: `enter` is the trampoline emitted by `emit_trampoline` into our cache; it
        // follows the sysv64 ABI with exactly this signature. `entry` is the start of a block
        // translated into this cache since its last flush; the block's instructions (which the
        // code points at) are kept alive by the caller's Arc<Block>.
        let f: Enter = unsafe { std::mem::transmute::<usize, Enter>(self.enter) };
        // Translated code counts instructions, not blocks: give it the hart's block budget
        // in instructions and charge what it used (at least one block) afterwards. An
        // audited run (`--accel audit`) must stop after its one block: with no allowance,
        // every budget check after the block's first instruction leaves (the check only
        // leaves on a negative count, so a self-loop's check at its own entry still lets
        // it start), and in audit mode no exit is ever chained.
        let start = hart.state.instret;
        let allowance = if hart.accel == crate::hart::Accel::Audit {
            0
        } else {
            hart.budget.max(1) as u64 * INSNS_PER_BUDGET_BLOCK
        };
        hart.jit_base = start.wrapping_add(allowance);
        let status = f(hart as *mut Hart, entry);
        // A guest write to minstret can make the difference meaningless: clamp it.
        let ran = hart.state.instret.wrapping_sub(start).min(allowance);
        hart.budget -= (ran / INSNS_PER_BUDGET_BLOCK).max(1) as i32;
        status
    }
}
