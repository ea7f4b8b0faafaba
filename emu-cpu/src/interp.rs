//! The interpreter: the definition of the ISA for rvx (decision 1).
//!
//! Guest code is decoded once into blocks of [`Insn`]s (a block ends at a control transfer,
//! a system instruction, a CSR access, the end of its guest page, or [`MAX_BLOCK_INSNS`]),
//! cached by guest physical address, and found again through a small direct-mapped jump
//! cache keyed by virtual pc and privilege. Executing a block is a `match` per instruction.
//! Pages that hold decoded code are marked; a store to one drops its blocks.

use crate::decode::{decode, disasm, Insn, Op};
use crate::fp::{self, Fmt, IntKind, Rm, Sgnj};
use crate::hart::{Exit, Hart};
use crate::trap::{Cause, Exception};
use emu_mmu::{Access, GuestRam, HartSignals, Priv, PAGE_MASK, PAGE_SIZE};
use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use std::sync::Arc;

pub const MAX_BLOCK_INSNS: usize = 64;
/// Entries of the jump cache and of each indirect-jump table translated code reads.
pub const JIT_TABLE_SIZE: usize = 1 << 13;
const JCACHE_SIZE: usize = JIT_TABLE_SIZE;
/// Entries of an indirect-jump table that one bit of `BlockCache::jit_used` covers.
const JIT_CHUNK: usize = JIT_TABLE_SIZE / 64;

/// The slot of virtual (even) `pc` in the jump cache and the indirect-jump tables: the
/// halfword index with higher page-number bits folded in, so the blocks of one page never
/// evict each other and hot code 16 KiB apart (a shell's calls and returns) does not either.
/// The x86-64 backend computes the same (its `lookup_and_jump`).
#[inline(always)]
pub fn pc_slot(pc: u64) -> usize {
    ((pc >> 1) ^ (pc >> 14)) as usize & (JIT_TABLE_SIZE - 1)
}

/// An entry of the indirect-jump table: a block's virtual pc and its translation's entry.
/// Translated `jalr` looks its target up here before falling back to the dispatcher.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct JitTarget {
    pub pc: u64,
    pub entry: u64,
}

impl JitTarget {
    /// `pc` is never odd for a real target, so an odd tag never matches.
    const EMPTY: JitTarget = JitTarget {
        pc: u64::MAX,
        entry: 0,
    };
}

/// A decoded block: position independent (branch targets are pc-relative).
#[derive(Debug)]
pub struct Block {
    pub insns: Box<[Insn]>,
    /// Cleared when the block's page is written or the cache is flushed.
    pub(crate) valid: AtomicBool,
    /// Host entry of the block's translation (0: not translated yet).
    pub(crate) jit: AtomicUsize,
    /// Times the block ran on the interpreter while waiting to be hot enough to translate.
    runs: AtomicU32,
    /// Guest physical address of the first instruction.
    pub(crate) paddr: u64,
    /// For a block of one instruction that straddles two pages: the physical address of its
    /// second half (the start of the next page), else 0. The block is valid only while its
    /// virtual pc + 2 still maps there.
    pub(crate) paddr2: u64,
}

impl Block {
    /// The physical pages the block's instructions lie on (one, or two for a straddler).
    pub(crate) fn pages(&self) -> impl Iterator<Item = u64> {
        let first = self.paddr & PAGE_MASK;
        std::iter::once(first).chain((self.paddr2 != 0).then_some(self.paddr2 & PAGE_MASK))
    }
}

#[derive(Clone, Default)]
struct JEntry {
    pc: u64,
    priv_: u8,
    /// The cache's generation when the entry was made: older entries are misses.
    generation: u32,
    block: Option<Arc<Block>>,
}

/// The per-hart cache of decoded blocks.
///
/// Which pages hold code is also recorded machine-wide in guest RAM's code map
/// ([`GuestRam::mark_code_page`]), under this hart's index there: stores by other harts and
/// DMA writes reach these blocks through cross-hart requests (see `Hart::service_requests`).
pub struct BlockCache {
    map: HashMap<u64, Arc<Block>>,
    /// Block start addresses per physical page, to drop them when the page is written.
    by_page: HashMap<u64, Vec<u64>>,
    ram: Arc<GuestRam>,
    /// This hart's index in the RAM's code map.
    pub(crate) code_index: usize,
    /// Guest physical and host address of the start of RAM, to map host addresses from the
    /// TLB back to physical pages.
    pub(crate) ram_base: u64,
    pub(crate) ram_host_base: usize,
    jcache: Box<[JEntry]>,
    /// Bumped to empty the jump cache at once (sfence.vma, satp writes): Linux flushes
    /// often, and clearing 4096 entries each time cost a tenth of a boot.
    pub(crate) jgen: u32,
    /// Blocks dropped from the cache while translated code may still be running in them (or
    /// pointing at their instructions); freed when the dispatcher has control again.
    pub(crate) retired: Vec<Arc<Block>>,
    /// Indirect-jump targets for translated code, one table per privilege (U, S, M; execute
    /// permission depends on it, and a trap or xRET only switches tables), cleared whenever a
    /// translation or the mapping behind a virtual pc may have changed.
    jit_tables: Box<[JitTarget]>,
    /// Per table, a bit per `JIT_CHUNK` entries that may hold some, so clears touch only
    /// those.
    jit_used: [u64; 3],
    /// Virtual pages with entries in the jump cache or the indirect-jump tables since they
    /// were last emptied: sfence.vma for another page (Linux's boot issues 90,000 of them
    /// while it patches its text through the fixmap) has nothing to forget.
    vpages: rustc_hash::FxHashSet<u64>,
}

impl BlockCache {
    /// A cache for the hart whose signals are `signals`; registers it with `ram`'s code map.
    pub fn new(ram: &Arc<GuestRam>, signals: &Arc<HartSignals>) -> BlockCache {
        BlockCache {
            map: HashMap::default(),
            by_page: HashMap::default(),
            code_index: ram.register_hart(signals.clone()),
            ram_base: ram.base(),
            ram_host_base: ram.host_addr(ram.base()),
            ram: ram.clone(),
            jcache: vec![JEntry::default(); JCACHE_SIZE].into_boxed_slice(),
            jgen: 1,
            retired: Vec::new(),
            jit_tables: vec![JitTarget::EMPTY; 3 * JIT_TABLE_SIZE].into_boxed_slice(),
            jit_used: [0; 3],
            vpages: Default::default(),
        }
    }

    /// True if this hart holds decoded blocks on physical page `ppage`.
    pub fn holds_page(&self, ppage: u64) -> bool {
        self.by_page.contains_key(&(ppage & PAGE_MASK))
    }

    /// Forgets every virtual pc -> block shortcut (TLB flush, dropped translations).
    pub fn flush_jump_cache(&mut self) {
        self.jgen = self.jgen.wrapping_add(1);
        if self.jgen == 0 {
            // After 2^32 flushes an old entry's generation could match again: clear for real.
            for e in self.jcache.iter_mut() {
                *e = JEntry::default();
            }
            self.jgen = 1;
        }
        self.vpages.clear();
        self.clear_jit_tables();
    }

    /// Forgets the shortcuts for pcs on `vaddr`'s virtual page (its mapping changed): all of
    /// them if the page has any, else nothing.
    pub fn forget_page(&mut self, vaddr: u64) {
        if self.vpages.contains(&(vaddr & PAGE_MASK)) {
            self.flush_jump_cache();
        }
    }

    /// Empties the indirect-jump tables (the chunks in use).
    pub fn clear_jit_tables(&mut self) {
        for (t, used) in self.jit_used.iter_mut().enumerate() {
            let mut bits = std::mem::take(used);
            while bits != 0 {
                let start = t * JIT_TABLE_SIZE + bits.trailing_zeros() as usize * JIT_CHUNK;
                self.jit_tables[start..start + JIT_CHUNK].fill(JitTarget::EMPTY);
                bits &= bits - 1;
            }
        }
    }

    fn table_index(p: emu_mmu::Priv) -> usize {
        match p {
            emu_mmu::Priv::U => 0,
            emu_mmu::Priv::S => 1,
            emu_mmu::Priv::M => 2,
        }
    }

    /// Address of privilege `p`'s indirect-jump table, for translated code.
    pub(crate) fn jit_table_addr(&self, p: emu_mmu::Priv) -> usize {
        self.jit_tables[Self::table_index(p) * JIT_TABLE_SIZE..].as_ptr() as usize
    }

    fn jit_table_insert(&mut self, p: emu_mmu::Priv, pc: u64, entry: usize) {
        let t = Self::table_index(p);
        let slot = pc_slot(pc);
        self.jit_used[t] |= 1 << (slot / JIT_CHUNK);
        self.jit_tables[t * JIT_TABLE_SIZE + slot] = JitTarget {
            pc,
            entry: entry as u64,
        };
    }

    /// Frees blocks retired since the dispatcher last had control.
    #[inline]
    pub fn release_retired(&mut self) {
        if !self.retired.is_empty() {
            self.retired.clear();
        }
    }

    /// Drops every block (fence.i, reset) and gives up this hart's marks in the code map.
    pub fn flush(&mut self) {
        for &page in self.by_page.keys() {
            self.ram.unmark_code_page(page, self.code_index);
        }
        self.flush_keep_marks();
    }

    /// Drops every block but leaves the code map as it is (the caller decodes again at
    /// once, so the pages stay marked).
    fn flush_keep_marks(&mut self) {
        for (_, b) in self.map.drain() {
            b.valid.store(false, Ordering::Relaxed);
            self.retired.push(b);
        }
        self.by_page.clear();
        self.flush_jump_cache();
    }

    /// Drops the blocks of one physical page (it was written) and this hart's mark on it.
    /// Returns true if there were any.
    pub fn invalidate_page(&mut self, ppage: u64) -> bool {
        let ppage = ppage & PAGE_MASK;
        self.ram.unmark_code_page(ppage, self.code_index);
        let Some(starts) = self.by_page.remove(&ppage) else {
            return false;
        };
        self.clear_jit_tables();
        for s in starts {
            if let Some(b) = self.map.remove(&s) {
                b.valid.store(false, Ordering::Relaxed);
                self.retired.push(b);
            }
        }
        true
    }

    /// Marks `ppage` as holding this hart's code in the machine-wide map; call before
    /// reading instructions there. Returns true if this hart's mark is new (its TLB may hold
    /// write entries for the page filled without `TLB_CODE`).
    fn mark_page(&mut self, ppage: u64) -> bool {
        self.ram.mark_code_page(ppage, self.code_index)
    }

    /// Puts back a block a store dropped (audit mode replays the block): its page is marked
    /// as this hart's code again, as when it was decoded. Returns true if the mark is new.
    pub(crate) fn remark_page(&mut self, ppage: u64) -> bool {
        self.mark_page(ppage)
    }

    /// Records a new block (its pages are already marked as code).
    fn insert(&mut self, block: Arc<Block>) {
        let paddr = block.paddr;
        for page in block.pages() {
            self.by_page.entry(page).or_default().push(paddr);
        }
        if let Some(old) = self.map.insert(paddr, block.clone()) {
            // A straddling block decoded again for a new second page replaces the old one.
            if !Arc::ptr_eq(&old, &block) {
                old.valid.store(false, Ordering::Relaxed);
                self.retired.push(old);
            }
        }
    }
}

impl Drop for BlockCache {
    /// A dropped hart gives up its marks and its index in the RAM's code map.
    fn drop(&mut self) {
        for &page in self.by_page.keys() {
            self.ram.unmark_code_page(page, self.code_index);
        }
        self.ram.unregister_hart(self.code_index);
    }
}

/// Whether decoding stops after this instruction.
pub(crate) fn ends_block(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Illegal
            | Jal
            | Jalr
            | Beq
            | Bne
            | Blt
            | Bge
            | Bltu
            | Bgeu
            | Ecall
            | Ebreak
            | Mret
            | Sret
            | Wfi
            | SfenceVma
            | FenceI
            | Csrrw
            | Csrrs
            | Csrrc
            | Csrrwi
            | Csrrsi
            | Csrrci
    )
}

/// Bytes an A-extension instruction (LR, SC, AMO) accesses: 4 for the .W forms, else 8.
pub(crate) fn atomic_size(op: Op) -> usize {
    use Op::*;
    match op {
        LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW
        | AmominuW | AmomaxuW => 4,
        _ => 8,
    }
}

#[inline(always)]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

fn clmul(a: u64, b: u64) -> u64 {
    (0..64)
        .filter(|i| b >> i & 1 != 0)
        .fold(0, |r, i| r ^ (a << i))
}

fn clmulh(a: u64, b: u64) -> u64 {
    (1..64)
        .filter(|i| b >> i & 1 != 0)
        .fold(0, |r, i| r ^ (a >> (64 - i)))
}

fn clmulr(a: u64, b: u64) -> u64 {
    (0..64)
        .filter(|i| b >> i & 1 != 0)
        .fold(0, |r, i| r ^ (a >> (63 - i)))
}

fn orc_b(a: u64) -> u64 {
    (0..8).fold(0, |r, i| {
        if (a >> (8 * i)) & 0xff != 0 {
            r | 0xff << (8 * i)
        } else {
            r
        }
    })
}

/// Format of a floating-point op, by the spec's fmt field.
fn fmt_of(op: Op) -> Fmt {
    use Op::*;
    match op {
        FmaddH | FmsubH | FnmsubH | FnmaddH | FaddH | FsubH | FmulH | FdivH | FsqrtH | FsgnjH
        | FsgnjnH | FsgnjxH | FminH | FmaxH | FcvtWH | FcvtWuH | FcvtLH | FcvtLuH | FmvXH
        | FeqH | FltH | FleH | FclassH | FcvtHW | FcvtHWu | FcvtHL | FcvtHLu | FmvHX => Fmt::H,
        FmaddD | FmsubD | FnmsubD | FnmaddD | FaddD | FsubD | FmulD | FdivD | FsqrtD | FsgnjD
        | FsgnjnD | FsgnjxD | FminD | FmaxD | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD | FmvXD
        | FeqD | FltD | FleD | FclassD | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu | FmvDX => Fmt::D,
        _ => Fmt::S,
    }
}

impl Hart {
    /// Finds (or decodes) the block at the current pc and runs it.
    pub(crate) fn run_block(&mut self) -> Option<Exit> {
        let pc = self.state.pc;
        let slot = pc_slot(pc);
        let p = self.priv_ as u8;
        let jgen = self.blocks.jgen;
        let e = &mut self.blocks.jcache[slot];
        let hit = e.pc == pc
            && e.priv_ == p
            && e.generation == jgen
            && e.block
                .as_ref()
                .is_some_and(|b| b.valid.load(Ordering::Relaxed));
        // The block moves out of its jump-cache slot while it runs and back afterwards: no
        // reference-count traffic (two locked instructions) per dispatch. The block cache
        // (or its retired list) keeps it alive meanwhile.
        let block = match e.block.take() {
            Some(b) if hit => b,
            _ => match self.find_block(pc) {
                Ok(Some(b)) => {
                    self.blocks.vpages.insert(pc & PAGE_MASK);
                    self.blocks.jcache[slot] = JEntry {
                        pc,
                        priv_: p,
                        generation: jgen,
                        block: None,
                    };
                    b
                }
                Ok(None) => return self.run_uncached(pc),
                Err(e) => {
                    self.raise(e, pc);
                    return None;
                }
            },
        };
        let exit = self.run_found(&block);
        let e = &mut self.blocks.jcache[slot];
        if e.block.is_none() {
            e.block = Some(block);
        }
        exit
    }

    /// Runs `block`, the one at the current pc, on the engine chosen.
    fn run_found(&mut self, block: &Arc<Block>) -> Option<Exit> {
        if self.accel == crate::hart::Accel::Audit {
            return self.audit_block(block);
        }
        if self.accel == crate::hart::Accel::Jit && !(self.trace.exec || self.trace.cpu) {
            return self.run_translated(block);
        }
        self.budget -= 1;
        if self.trace.exec || self.trace.cpu {
            self.exec_block::<true>(&block.insns)
        } else {
            self.exec_block::<false>(&block.insns)
        }
    }

    /// Runs `block` as host code, translating it first if needed.
    pub(crate) fn run_translated(&mut self, block: &Arc<Block>) -> Option<Exit> {
        let mut entry = block.jit.load(Ordering::Relaxed);
        if entry == 0 && block.runs.load(Ordering::Relaxed) < self.jit_threshold {
            // Cold code (most of a kernel's boot runs once) is cheaper to interpret than to
            // translate.
            // Only this hart counts (block caches are per hart): no locked add needed.
            let runs = block.runs.load(Ordering::Relaxed);
            block.runs.store(runs + 1, Ordering::Relaxed);
            self.chain_site = None;
            self.budget -= 1;
            return self.exec_block::<false>(&block.insns);
        }
        if entry == 0 {
            entry = match self.jit_translate(block) {
                Some(e) => e,
                // No JIT on this host or code memory failed: interpret instead.
                None => {
                    self.chain_site = None;
                    self.budget -= 1;
                    return self.exec_block::<false>(&block.insns);
                }
            };
        }
        let mut jit = self.jit.take().expect("translate created the JIT");
        // The previous block left through an unpatched direct exit whose target is this
        // block (same guest page, so same physical page): chain it (decision 5). Not to a
        // straddling block: its second page's mapping must be checked on every entry.
        if let Some(site) = self.chain_site.take() {
            if site.target == self.state.pc && site.generation == jit.flushes && block.paddr2 == 0 {
                if let Err(e) = jit.chain(site.addr, entry) {
                    tracing::warn!("JIT chaining failed: {e}");
                }
            }
        }
        self.blocks
            .jit_table_insert(self.priv_, self.state.pc, entry);
        // Privilege changes only outside translated code (traps and xRET leave the block).
        self.jit_table_addr = self.blocks.jit_table_addr(self.priv_);
        let status = jit.enter(self, entry);
        if status != crate::jit::status::DONE {
            self.chain_site = Some(crate::jit::ChainSite {
                addr: status as usize,
                target: self.state.pc,
                generation: jit.flushes,
            });
        }
        self.jit = Some(jit);
        self.pending_exit.take()
    }

    /// Translates `block`, flushing the code cache (and with it every block) when full.
    pub(crate) fn jit_translate(&mut self, block: &Arc<Block>) -> Option<usize> {
        if self.jit.is_none() {
            match crate::jit::Jit::new(self.jit_cache_size) {
                Ok(j) => self.jit = Some(Box::new(j)),
                Err(e) => {
                    tracing::warn!("JIT unavailable ({e}); using the interpreter");
                    self.accel = crate::hart::Accel::Interp;
                    return None;
                }
            }
        }
        for _ in 0..2 {
            let jit = self.jit.as_mut()?;
            // The block starts at the current pc; every alias has the same page offset.
            match jit.translate(&block.insns, self.state.pc) {
                Ok(Some(entry)) => {
                    block.jit.store(entry, Ordering::Relaxed);
                    return Some(entry);
                }
                Ok(None) => {
                    // Cache full: drop every translation and every block pointing at one,
                    // then put back the block about to run, so its page stays marked as
                    // holding code (stores into it must still invalidate it).
                    jit.flush();
                    self.blocks.flush_keep_marks();
                    self.cache_block(block);
                }
                Err(e) => {
                    tracing::warn!("JIT failed ({e}); using the interpreter");
                    self.accel = crate::hart::Accel::Interp;
                    return None;
                }
            }
        }
        None
    }

    /// Translates `pc` and returns its cached block, decoding it if needed. Ok(None) when
    /// the code is not in RAM or on a page PMP does not treat alike (run uncached).
    fn find_block(&mut self, pc: u64) -> Result<Option<Arc<Block>>, Exception> {
        let paddr = self.fetch_paddr(pc)?;
        if let Some(b) = self.blocks.map.get(&paddr) {
            if b.paddr2 == 0 {
                return Ok(Some(b.clone()));
            }
            let b = b.clone();
            if self.fetch_paddr(pc.wrapping_add(2))? == b.paddr2 {
                return Ok(Some(b));
            }
            // The next virtual page maps elsewhere now: decode the instruction again.
        }
        if !self.code_page_ok(paddr) {
            return Ok(None);
        }
        let mut insns = Vec::new();
        let mut paddr2 = 0;
        let mut off = paddr;
        let page_end = (paddr & PAGE_MASK) + PAGE_SIZE;
        while off < page_end && insns.len() < MAX_BLOCK_INSNS {
            let lo = self.ram.read(off, 2).unwrap_or(0) as u32;
            let bits = if lo & 3 == 3 {
                if off + 2 < page_end {
                    lo | (self.ram.read(off + 2, 2).unwrap_or(0) as u32) << 16
                } else if insns.is_empty() {
                    // The block's first instruction straddles the page: a block of its own,
                    // valid while pc + 2 maps to the same second page. (Linux and busybox
                    // have hot ones; run uncached, each cost a trip through the dispatcher.)
                    let p2 = self.fetch_paddr(pc.wrapping_add(2))?;
                    if !self.code_page_ok(p2) {
                        return Ok(None);
                    }
                    paddr2 = p2;
                    lo | (self.ram.read(p2, 2).unwrap_or(0) as u32) << 16
                } else {
                    break; // straddles the page: left to the next block
                }
            } else {
                lo
            };
            let insn = decode(bits);
            off += insn.len as u64;
            insns.push(insn);
            if ends_block(insn.op) || paddr2 != 0 {
                break;
            }
        }
        if insns.is_empty() {
            return Ok(None);
        }
        if self.trace.in_asm {
            let mut text = String::new();
            let mut a = pc;
            for i in &insns {
                text.push_str(&format!("\n  {a:#018x}: {}", disasm(i, a)));
                a = a.wrapping_add(i.len as u64);
            }
            tracing::trace!(target: "in_asm", hart = self.hartid, "block {pc:#x} (phys {paddr:#x}):{text}");
        }
        let block = Arc::new(Block {
            insns: insns.into_boxed_slice(),
            valid: AtomicBool::new(true),
            jit: AtomicUsize::new(0),
            runs: AtomicU32::new(0),
            paddr,
            paddr2,
        });
        self.cache_block(&block);
        Ok(Some(block))
    }

    /// Whether code on `paddr`'s page can be cached: it is RAM and PMP treats the whole page
    /// alike (a rule that splits the page could forbid execution part way through a block;
    /// such pages run one checked instruction at a time, privileged spec 3.7.1). Marks the
    /// page as code before the caller reads it, so a store by another hart or a device
    /// either lands before those reads or sees the mark and invalidates (see GuestRam's code
    /// map).
    fn code_page_ok(&mut self, paddr: u64) -> bool {
        let page = paddr & PAGE_MASK;
        if !self.ram.contains(page, PAGE_SIZE) || self.pmp.page_perms(page, self.priv_).is_none() {
            return false;
        }
        if self.blocks.mark_page(page) {
            // Stores through write entries filled before the mark must take the slow path.
            self.tlb.clear_write_for_host_page(self.ram.host_addr(page));
        }
        true
    }

    /// Enters `block` in the block cache (its pages are already marked as code).
    pub(crate) fn cache_block(&mut self, block: &Arc<Block>) {
        block.valid.store(true, Ordering::Relaxed);
        self.blocks.insert(block.clone());
    }

    /// Executes one instruction fetched outside RAM, straddling a page, or on a page PMP
    /// does not treat uniformly, without caching. Both halves of a 4-byte instruction are
    /// translated and PMP-checked.
    fn run_uncached(&mut self, pc: u64) -> Option<Exit> {
        self.chain_site = None;
        self.budget -= 1;
        let fetch = |h: &mut Hart| -> Result<Insn, Exception> {
            let p0 = h.fetch_paddr(pc)?;
            let lo = h.fetch_parcel(p0, pc)? as u32;
            if lo & 3 != 3 {
                return Ok(decode(lo));
            }
            let pc2 = pc.wrapping_add(2);
            let p1 = h.fetch_paddr(pc2)?;
            let hi = h.fetch_parcel(p1, pc2)? as u32;
            Ok(decode(lo | hi << 16))
        };
        match fetch(self) {
            Ok(insn) => self.exec_block::<false>(std::slice::from_ref(&insn)),
            Err(e) => {
                self.raise(e, pc);
                None
            }
        }
    }

    pub(crate) fn exec_block<const TRACE: bool>(&mut self, insns: &[Insn]) -> Option<Exit> {
        let mut pc = self.state.pc;
        self.code_dirty = false;
        for insn in insns {
            if TRACE {
                self.trace_insn(insn, pc);
            }
            match self.exec(insn, pc) {
                Ok(next) => {
                    self.state.x[0] = 0;
                    self.state.instret = self.state.instret.wrapping_add(1);
                    pc = next;
                    if self.code_dirty {
                        break;
                    }
                }
                Err(Stop::Trap(e)) => {
                    self.state.x[0] = 0;
                    self.raise(e, pc);
                    return None;
                }
                Err(Stop::Exit(exit)) => {
                    self.state.pc = pc.wrapping_add(insn.len as u64);
                    return Some(exit);
                }
            }
        }
        self.state.pc = pc;
        None
    }

    fn trace_insn(&self, insn: &Insn, pc: u64) {
        if self.trace.exec {
            tracing::trace!(target: "exec", hart = self.hartid, priv_ = ?self.priv_,
                "{pc:#018x}: {:08x} {}", insn.raw, disasm(insn, pc));
        }
        if self.trace.cpu {
            let regs: Vec<String> = (0..32)
                .map(|i| format!("x{i}={:#x}", self.state.x[i]))
                .collect();
            tracing::trace!(target: "cpu", hart = self.hartid, pc = format_args!("{pc:#x}"), "{}", regs.join(" "));
        }
    }

    #[inline(always)]
    fn x(&self, r: u8) -> u64 {
        self.state.x[r as usize]
    }

    #[inline(always)]
    fn set_x(&mut self, r: u8, v: u64) {
        self.state.x[r as usize] = v;
    }

    fn fp_check(&self, insn: &Insn) -> Result<(), Exception> {
        if self.csr.mstatus & crate::csr::mstatus::FS == 0 {
            return Err(Exception::illegal(insn.raw));
        }
        Ok(())
    }

    /// The rounding mode of an FP instruction: static, or frm when dynamic; reserved
    /// values are illegal instructions.
    fn fp_rm(&self, insn: &Insn) -> Result<Rm, Exception> {
        self.fp_check(insn)?;
        let bits = if insn.rm == 7 { self.csr.frm } else { insn.rm };
        Rm::from_bits(bits).ok_or(Exception::illegal(insn.raw))
    }

    fn set_f(&mut self, r: u8, out: fp::FpOut) {
        self.state.f[r as usize] = out.value;
        self.csr.fflags |= out.flags;
        self.set_fs_dirty();
    }

    fn set_x_fp(&mut self, r: u8, out: fp::FpOut) {
        self.set_x(r, out.value);
        if out.flags != 0 {
            self.csr.fflags |= out.flags;
            self.set_fs_dirty();
        }
    }

    fn cbo_allowed(&self, mask: u64) -> bool {
        let m = self.csr.menvcfg & mask != 0;
        let s = self.csr.senvcfg & mask != 0;
        match self.priv_ {
            Priv::M => true,
            Priv::S => m,
            Priv::U => m && s,
        }
    }

    /// Executes one instruction at `pc`; returns the next pc.
    #[inline(always)]
    pub(crate) fn exec(&mut self, i: &Insn, pc: u64) -> Result<u64, Stop> {
        use Op::*;
        let next = pc.wrapping_add(i.len as u64);
        let a = self.x(i.rs1);
        let b = self.x(i.rs2);
        let imm = i.imm as u64;
        let v = match i.op {
            Lui => imm,
            Auipc => pc.wrapping_add(imm),
            Jal => {
                self.set_x(i.rd, next);
                return Ok(pc.wrapping_add(imm));
            }
            Jalr => {
                let t = a.wrapping_add(imm) & !1;
                self.set_x(i.rd, next);
                return Ok(t);
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                let taken = match i.op {
                    Beq => a == b,
                    Bne => a != b,
                    Blt => (a as i64) < (b as i64),
                    Bge => (a as i64) >= (b as i64),
                    Bltu => a < b,
                    _ => a >= b,
                };
                return Ok(if taken { pc.wrapping_add(imm) } else { next });
            }
            Lb => self.load::<1>(a.wrapping_add(imm))? as i8 as u64,
            Lh => self.load::<2>(a.wrapping_add(imm))? as i16 as u64,
            Lw => self.load::<4>(a.wrapping_add(imm))? as i32 as u64,
            Ld => self.load::<8>(a.wrapping_add(imm))?,
            Lbu => self.load::<1>(a.wrapping_add(imm))?,
            Lhu => self.load::<2>(a.wrapping_add(imm))?,
            Lwu => self.load::<4>(a.wrapping_add(imm))?,
            Sb => {
                return self
                    .store::<1>(a.wrapping_add(imm), b)
                    .map(|_| next)
                    .map_err(Stop::Trap)
            }
            Sh => {
                return self
                    .store::<2>(a.wrapping_add(imm), b)
                    .map(|_| next)
                    .map_err(Stop::Trap)
            }
            Sw => {
                return self
                    .store::<4>(a.wrapping_add(imm), b)
                    .map(|_| next)
                    .map_err(Stop::Trap)
            }
            Sd => {
                return self
                    .store::<8>(a.wrapping_add(imm), b)
                    .map(|_| next)
                    .map_err(Stop::Trap)
            }
            Addi => a.wrapping_add(imm),
            Slti => ((a as i64) < (imm as i64)) as u64,
            Sltiu => (a < imm) as u64,
            Xori => a ^ imm,
            Ori => a | imm,
            Andi => a & imm,
            Slli => a << (imm & 63),
            Srli => a >> (imm & 63),
            Srai => ((a as i64) >> (imm & 63)) as u64,
            Add => a.wrapping_add(b),
            Sub => a.wrapping_sub(b),
            Sll => a << (b & 63),
            Slt => ((a as i64) < (b as i64)) as u64,
            Sltu => (a < b) as u64,
            Xor => a ^ b,
            Srl => a >> (b & 63),
            Sra => ((a as i64) >> (b & 63)) as u64,
            Or => a | b,
            And => a & b,
            Addiw => sext32(a.wrapping_add(imm)),
            Slliw => sext32(a << (imm & 31)),
            Srliw => sext32((a as u32 >> (imm & 31)) as u64),
            Sraiw => ((a as i32) >> (imm & 31)) as i64 as u64,
            Addw => sext32(a.wrapping_add(b)),
            Subw => sext32(a.wrapping_sub(b)),
            Sllw => sext32(a << (b & 31)),
            Srlw => sext32((a as u32 >> (b & 31)) as u64),
            Sraw => ((a as i32) >> (b & 31)) as i64 as u64,
            Fence => {
                std::sync::atomic::fence(Ordering::SeqCst);
                return Ok(next);
            }
            FenceI => {
                // Nothing to flush: every store to a page holding decoded code already drops
                // its blocks (our own stores through the slow path, other harts' and DMA
                // through the machine-wide code-page map and the requests it posts, which
                // are applied here). Flushing the cache on every fence.i would make Linux,
                // which issues one whenever it maps an executable page, retranslate its hot
                // code over and over.
                self.service_requests();
                self.chain_site = None;
                return Ok(next);
            }
            Ecall => {
                if self.sbi && self.priv_ == Priv::S {
                    return Err(Stop::Exit(Exit::Sbi));
                }
                let cause = match self.priv_ {
                    Priv::U => Cause::EcallFromU,
                    Priv::S => Cause::EcallFromS,
                    Priv::M => Cause::EcallFromM,
                };
                return Err(Stop::Trap(Exception::new(cause, 0)));
            }
            Ebreak => {
                if self.semihosting && i.len == 4 && self.is_semihosting_call(pc) {
                    return Err(Stop::Exit(Exit::Semihosting));
                }
                return Err(Stop::Trap(Exception::new(Cause::Breakpoint, pc)));
            }
            Mret => {
                if self.priv_ != Priv::M {
                    return Err(Stop::Trap(Exception::illegal(i.raw)));
                }
                return Ok(self.mret());
            }
            Sret => {
                let tsr = self.csr.mstatus & crate::csr::mstatus::TSR != 0;
                if self.priv_ == Priv::U || (self.priv_ == Priv::S && tsr) {
                    return Err(Stop::Trap(Exception::illegal(i.raw)));
                }
                return Ok(self.sret());
            }
            Wfi => {
                let tw = self.csr.mstatus & crate::csr::mstatus::TW != 0;
                if self.priv_ == Priv::U || (self.priv_ == Priv::S && tw) {
                    return Err(Stop::Trap(Exception::illegal(i.raw)));
                }
                self.wait_for_interrupt();
                self.irq_check = true;
                return Ok(next);
            }
            SfenceVma => {
                let tvm = self.csr.mstatus & crate::csr::mstatus::TVM != 0;
                if self.priv_ == Priv::U || (self.priv_ == Priv::S && tvm) {
                    return Err(Stop::Trap(Exception::illegal(i.raw)));
                }
                if i.rs1 == 0 {
                    self.flush_tlb();
                } else {
                    self.tlb.flush_page(a);
                    self.blocks.forget_page(a);
                    self.chain_site = None;
                }
                return Ok(next);
            }
            Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => {
                self.exec_csr(i)?;
                return Ok(next);
            }
            Mul => a.wrapping_mul(b),
            Mulh => ((a as i64 as i128 * b as i64 as i128) >> 64) as u64,
            Mulhsu => ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64,
            Mulhu => ((a as u128 * b as u128) >> 64) as u64,
            Div => {
                if b == 0 {
                    u64::MAX
                } else {
                    (a as i64).wrapping_div(b as i64) as u64
                }
            }
            Divu => a.checked_div(b).unwrap_or(u64::MAX),
            Rem => {
                if b == 0 {
                    a
                } else {
                    (a as i64).wrapping_rem(b as i64) as u64
                }
            }
            Remu => a.checked_rem(b).unwrap_or(a),
            Mulw => sext32(a.wrapping_mul(b)),
            Divw => {
                let (x, y) = (a as i32, b as i32);
                if y == 0 {
                    u64::MAX
                } else {
                    x.wrapping_div(y) as i64 as u64
                }
            }
            Divuw => {
                let (x, y) = (a as u32, b as u32);
                sext32(x.checked_div(y).unwrap_or(u32::MAX) as u64)
            }
            Remw => {
                let (x, y) = (a as i32, b as i32);
                if y == 0 {
                    x as i64 as u64
                } else {
                    x.wrapping_rem(y) as i64 as u64
                }
            }
            Remuw => {
                let (x, y) = (a as u32, b as u32);
                sext32(x.checked_rem(y).unwrap_or(x) as u64)
            }
            LrW | LrD | ScW | ScD | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW
            | AmomaxW | AmominuW | AmomaxuW | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD
            | AmominD | AmomaxD | AmominuD | AmomaxuD => self.exec_atomic(i, a, b)?,
            // Zba
            AddUw => b.wrapping_add(a & 0xffff_ffff),
            Sh1add => b.wrapping_add(a << 1),
            Sh2add => b.wrapping_add(a << 2),
            Sh3add => b.wrapping_add(a << 3),
            Sh1addUw => b.wrapping_add((a & 0xffff_ffff) << 1),
            Sh2addUw => b.wrapping_add((a & 0xffff_ffff) << 2),
            Sh3addUw => b.wrapping_add((a & 0xffff_ffff) << 3),
            SlliUw => (a & 0xffff_ffff) << (imm & 63),
            // Zbb
            Andn => a & !b,
            Orn => a | !b,
            Xnor => !(a ^ b),
            Clz => a.leading_zeros() as u64,
            Clzw => (a as u32).leading_zeros() as u64,
            Ctz => a.trailing_zeros() as u64,
            Ctzw => (a as u32).trailing_zeros() as u64,
            Cpop => a.count_ones() as u64,
            Cpopw => (a as u32).count_ones() as u64,
            Max => (a as i64).max(b as i64) as u64,
            Maxu => a.max(b),
            Min => (a as i64).min(b as i64) as u64,
            Minu => a.min(b),
            SextB => a as i8 as u64,
            SextH => a as i16 as u64,
            ZextH => a & 0xffff,
            Rol => a.rotate_left((b & 63) as u32),
            Rolw => sext32((a as u32).rotate_left((b & 31) as u32) as u64),
            Ror => a.rotate_right((b & 63) as u32),
            Rori => a.rotate_right((imm & 63) as u32),
            Roriw => sext32((a as u32).rotate_right((imm & 31) as u32) as u64),
            Rorw => sext32((a as u32).rotate_right((b & 31) as u32) as u64),
            OrcB => orc_b(a),
            Rev8 => a.swap_bytes(),
            // Zbs
            Bclr => a & !(1 << (b & 63)),
            Bclri => a & !(1 << (imm & 63)),
            Bext => (a >> (b & 63)) & 1,
            Bexti => (a >> (imm & 63)) & 1,
            Binv => a ^ (1 << (b & 63)),
            Binvi => a ^ (1 << (imm & 63)),
            Bset => a | (1 << (b & 63)),
            Bseti => a | (1 << (imm & 63)),
            // Zbc
            Clmul => clmul(a, b),
            Clmulh => clmulh(a, b),
            Clmulr => clmulr(a, b),
            // Zicond
            CzeroEqz => {
                if b == 0 {
                    0
                } else {
                    a
                }
            }
            CzeroNez => {
                if b != 0 {
                    0
                } else {
                    a
                }
            }
            CboClean | CboFlush | CboInval | CboZero => {
                self.exec_cbo(i, a)?;
                return Ok(next);
            }
            Illegal => return Err(Stop::Trap(Exception::illegal(i.raw))),
            _ => {
                self.exec_fp(i, a)?;
                return Ok(next);
            }
        };
        self.set_x(i.rd, v);
        Ok(next)
    }

    fn exec_csr(&mut self, i: &Insn) -> Result<(), Exception> {
        use Op::*;
        let csr = i.imm as u16 & 0xfff;
        let src = match i.op {
            Csrrwi | Csrrsi | Csrrci => i.rs1 as u64,
            _ => self.x(i.rs1),
        };
        let (write, old) = match i.op {
            Csrrw | Csrrwi => {
                let old = if i.rd != 0 {
                    self.csr_read(csr, i.raw)?
                } else {
                    0
                };
                (Some(src), old)
            }
            _ => {
                let old = self.csr_read(csr, i.raw)?;
                let new = if matches!(i.op, Csrrs | Csrrsi) {
                    old | src
                } else {
                    old & !src
                };
                ((i.rs1 != 0).then_some(new), old)
            }
        };
        if let Some(v) = write {
            self.csr_write(csr, v, i.raw)?;
        }
        self.set_x(i.rd, old);
        Ok(())
    }

    fn exec_atomic(&mut self, i: &Insn, a: u64, b: u64) -> Result<u64, Exception> {
        use Op::*;
        let size = atomic_size(i.op);
        let word = size == 4;
        match i.op {
            LrW | LrD => {
                let (host, _) = self.atomic_host(a, size, Access::Read)?;
                // SAFETY: atomic_host returns an aligned address inside guest RAM.
                let v = unsafe {
                    if word {
                        AtomicU32::from_ptr(host as *mut u32).load(Ordering::SeqCst) as i32 as i64
                            as u64
                    } else {
                        AtomicU64::from_ptr(host as *mut u64).load(Ordering::SeqCst)
                    }
                };
                self.reservation = std::num::NonZeroU64::new(host as u64);
                self.reserved_value = v;
                return Ok(v);
            }
            // SC across threads (decision 10): a compare-and-swap of the value LR read, on
            // the same host atomic every hart uses. It fails if another hart (or this one)
            // changed the value since the LR; like QEMU it succeeds if the value was changed
            // and changed back (ABA), which the A extension's LR/SC loops (locks, counters,
            // cmpxchg) cannot tell apart. A trap or xRET drops the reservation.
            ScW | ScD => {
                let (host, code) = self.atomic_host(a, size, Access::Write)?;
                let ok = self.reservation.take().map(|r| r.get()) == Some(host as u64) && {
                    let expect = self.reserved_value;
                    // SAFETY: aligned address inside guest RAM (atomic_host).
                    unsafe {
                        if word {
                            AtomicU32::from_ptr(host as *mut u32)
                                .compare_exchange(
                                    expect as u32,
                                    b as u32,
                                    Ordering::SeqCst,
                                    Ordering::SeqCst,
                                )
                                .is_ok()
                        } else {
                            AtomicU64::from_ptr(host as *mut u64)
                                .compare_exchange(expect, b, Ordering::SeqCst, Ordering::SeqCst)
                                .is_ok()
                        }
                    }
                };
                if ok && code {
                    self.code_stored(host, a, self.data_idx);
                }
                return Ok(!ok as u64);
            }
            _ => {}
        }
        let (host, code) = self.atomic_host(a, size, Access::Write)?;
        let o = Ordering::SeqCst;
        // SAFETY: atomic_host returns a naturally aligned address inside guest RAM.
        let old = unsafe {
            if word {
                let u = AtomicU32::from_ptr(host as *mut u32);
                let s = AtomicI32::from_ptr(host as *mut i32);
                let b32 = b as u32;
                (match i.op {
                    AmoswapW => u.swap(b32, o),
                    AmoaddW => u.fetch_add(b32, o),
                    AmoxorW => u.fetch_xor(b32, o),
                    AmoandW => u.fetch_and(b32, o),
                    AmoorW => u.fetch_or(b32, o),
                    AmominW => s.fetch_min(b32 as i32, o) as u32,
                    AmomaxW => s.fetch_max(b32 as i32, o) as u32,
                    AmominuW => u.fetch_min(b32, o),
                    _ => u.fetch_max(b32, o),
                }) as i32 as i64 as u64
            } else {
                let u = AtomicU64::from_ptr(host as *mut u64);
                let s = AtomicI64::from_ptr(host as *mut i64);
                match i.op {
                    AmoswapD => u.swap(b, o),
                    AmoaddD => u.fetch_add(b, o),
                    AmoxorD => u.fetch_xor(b, o),
                    AmoandD => u.fetch_and(b, o),
                    AmoorD => u.fetch_or(b, o),
                    AmominD => s.fetch_min(b as i64, o) as u64,
                    AmomaxD => s.fetch_max(b as i64, o) as u64,
                    AmominuD => u.fetch_min(b, o),
                    _ => u.fetch_max(b, o),
                }
            }
        };
        if code {
            self.code_stored(host, a, self.data_idx);
        }
        Ok(old)
    }

    /// Zicbom/Zicboz (cache-block size 64 bytes). Permission from menvcfg/senvcfg
    /// (privileged spec 3.1.18, 4.1.8); the access checks use store faults.
    fn exec_cbo(&mut self, i: &Insn, a: u64) -> Result<(), Exception> {
        use crate::csr::envcfg;
        let base = a & !63;
        match i.op {
            Op::CboZero => {
                if !self.cbo_allowed(envcfg::CBZE) {
                    return Err(Exception::illegal(i.raw));
                }
                for k in 0..8 {
                    self.store::<8>(base + 8 * k, 0)?;
                }
            }
            op => {
                let mask = if op == Op::CboInval {
                    envcfg::CBIE
                } else {
                    envcfg::CBCFE
                };
                if !self.cbo_allowed(mask) {
                    return Err(Exception::illegal(i.raw));
                }
                // Caches are not modelled: only the permission check remains.
                if let Err(e) = self.load_slow(a, 1, self.data_idx) {
                    let cause = match e.cause {
                        Cause::LoadPageFault => Cause::StorePageFault,
                        Cause::LoadAccessFault => Cause::StoreAccessFault,
                        c => c,
                    };
                    return Err(Exception::new(cause, e.tval));
                }
            }
        }
        Ok(())
    }

    fn exec_fp(&mut self, i: &Insn, a: u64) -> Result<(), Exception> {
        use Op::*;
        self.fp_check(i)?;
        let fmt = fmt_of(i.op);
        let f1 = self.state.f[i.rs1 as usize];
        let f2 = self.state.f[i.rs2 as usize];
        let f3 = self.state.f[i.rs3 as usize];
        match i.op {
            Flw | Flh | Fld => {
                let addr = a.wrapping_add(i.imm as u64);
                let v = match i.op {
                    Flh => fp::nan_box(Fmt::H, self.load::<2>(addr)?),
                    Flw => fp::nan_box(Fmt::S, self.load::<4>(addr)?),
                    _ => self.load::<8>(addr)?,
                };
                self.state.f[i.rd as usize] = v;
                self.set_fs_dirty();
            }
            Fsw | Fsh | Fsd => {
                let addr = a.wrapping_add(i.imm as u64);
                match i.op {
                    Fsh => self.store::<2>(addr, f2)?,
                    Fsw => self.store::<4>(addr, f2)?,
                    _ => self.store::<8>(addr, f2)?,
                }
            }
            FmaddS | FmaddD | FmaddH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::fma(fmt, f1, f2, f3, rm, false, false))
            }
            FmsubS | FmsubD | FmsubH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::fma(fmt, f1, f2, f3, rm, false, true))
            }
            FnmsubS | FnmsubD | FnmsubH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::fma(fmt, f1, f2, f3, rm, true, false))
            }
            FnmaddS | FnmaddD | FnmaddH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::fma(fmt, f1, f2, f3, rm, true, true))
            }
            FaddS | FaddD | FaddH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::add(fmt, f1, f2, rm))
            }
            FsubS | FsubD | FsubH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::sub(fmt, f1, f2, rm))
            }
            FmulS | FmulD | FmulH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::mul(fmt, f1, f2, rm))
            }
            FdivS | FdivD | FdivH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::div(fmt, f1, f2, rm))
            }
            FsqrtS | FsqrtD | FsqrtH => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::sqrt(fmt, f1, rm))
            }
            FsgnjS | FsgnjD | FsgnjH => self.set_f(
                i.rd,
                fp::FpOut {
                    value: fp::sgnj(fmt, f1, f2, Sgnj::J),
                    flags: 0,
                },
            ),
            FsgnjnS | FsgnjnD | FsgnjnH => self.set_f(
                i.rd,
                fp::FpOut {
                    value: fp::sgnj(fmt, f1, f2, Sgnj::N),
                    flags: 0,
                },
            ),
            FsgnjxS | FsgnjxD | FsgnjxH => self.set_f(
                i.rd,
                fp::FpOut {
                    value: fp::sgnj(fmt, f1, f2, Sgnj::X),
                    flags: 0,
                },
            ),
            FminS | FminD | FminH => self.set_f(i.rd, fp::min(fmt, f1, f2)),
            FmaxS | FmaxD | FmaxH => self.set_f(i.rd, fp::max(fmt, f1, f2)),
            FcvtSD | FcvtSH => {
                let rm = self.fp_rm(i)?;
                let from = if i.op == FcvtSD { Fmt::D } else { Fmt::H };
                self.set_f(i.rd, fp::convert(Fmt::S, from, f1, rm))
            }
            FcvtDS | FcvtDH => {
                let rm = self.fp_rm(i)?;
                let from = if i.op == FcvtDS { Fmt::S } else { Fmt::H };
                self.set_f(i.rd, fp::convert(Fmt::D, from, f1, rm))
            }
            FcvtHS | FcvtHD => {
                let rm = self.fp_rm(i)?;
                let from = if i.op == FcvtHS { Fmt::S } else { Fmt::D };
                self.set_f(i.rd, fp::convert(Fmt::H, from, f1, rm))
            }
            FcvtWS | FcvtWD | FcvtWH => {
                let rm = self.fp_rm(i)?;
                self.set_x_fp(i.rd, fp::to_int(fmt, f1, IntKind::W, rm))
            }
            FcvtWuS | FcvtWuD | FcvtWuH => {
                let rm = self.fp_rm(i)?;
                self.set_x_fp(i.rd, fp::to_int(fmt, f1, IntKind::Wu, rm))
            }
            FcvtLS | FcvtLD | FcvtLH => {
                let rm = self.fp_rm(i)?;
                self.set_x_fp(i.rd, fp::to_int(fmt, f1, IntKind::L, rm))
            }
            FcvtLuS | FcvtLuD | FcvtLuH => {
                let rm = self.fp_rm(i)?;
                self.set_x_fp(i.rd, fp::to_int(fmt, f1, IntKind::Lu, rm))
            }
            FcvtSW | FcvtDW | FcvtHW => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::from_int(fmt_of_dest(i.op), a, IntKind::W, rm))
            }
            FcvtSWu | FcvtDWu | FcvtHWu => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::from_int(fmt_of_dest(i.op), a, IntKind::Wu, rm))
            }
            FcvtSL | FcvtDL | FcvtHL => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::from_int(fmt_of_dest(i.op), a, IntKind::L, rm))
            }
            FcvtSLu | FcvtDLu | FcvtHLu => {
                let rm = self.fp_rm(i)?;
                self.set_f(i.rd, fp::from_int(fmt_of_dest(i.op), a, IntKind::Lu, rm))
            }
            FmvXW | FmvXD | FmvXH => self.set_x(i.rd, fp::mv_to_x(fmt, f1)),
            FmvWX | FmvDX | FmvHX => self.set_f(
                i.rd,
                fp::FpOut {
                    value: fp::mv_from_x(fmt, a),
                    flags: 0,
                },
            ),
            FeqS | FeqD | FeqH => self.set_x_fp(i.rd, fp::eq(fmt, f1, f2)),
            FltS | FltD | FltH => self.set_x_fp(i.rd, fp::lt(fmt, f1, f2)),
            FleS | FleD | FleH => self.set_x_fp(i.rd, fp::le(fmt, f1, f2)),
            FclassS | FclassD | FclassH => self.set_x(i.rd, fp::classify(fmt, f1)),
            _ => return Err(Exception::illegal(i.raw)),
        }
        Ok(())
    }

    /// True if the ebreak at `pc` sits between `slli x0,x0,0x1f` and `srai x0,x0,7`
    /// (the RISC-V semihosting sequence).
    fn is_semihosting_call(&mut self, pc: u64) -> bool {
        let word = |h: &mut Hart, at: u64| -> Option<u32> {
            let p = h.fetch_paddr(at).ok()?;
            h.bus().read(p, 4).ok().map(|v| v as u32)
        };
        (pc & PAGE_MASK) == (pc.wrapping_sub(4) & PAGE_MASK)
            && word(self, pc.wrapping_sub(4)) == Some(0x01f0_1013)
            && word(self, pc.wrapping_add(4)) == Some(0x4070_5013)
    }
}

/// Destination format of an integer-to-FP conversion.
fn fmt_of_dest(op: Op) -> Fmt {
    use Op::*;
    match op {
        FcvtDW | FcvtDWu | FcvtDL | FcvtDLu => Fmt::D,
        FcvtHW | FcvtHWu | FcvtHL | FcvtHLu => Fmt::H,
        _ => Fmt::S,
    }
}

/// Why an instruction did not simply continue.
pub(crate) enum Stop {
    Trap(Exception),
    Exit(Exit),
}

impl From<Exception> for Stop {
    fn from(e: Exception) -> Stop {
        Stop::Trap(e)
    }
}
