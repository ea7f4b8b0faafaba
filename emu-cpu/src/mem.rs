//! The hart's side of the soft MMU: TLB lookups (the fast path), page walks and TLB fills
//! (the slow path), MMIO dispatch, code-page invalidation, and atomics.
//!
//! Fast path: `(vaddr & (PAGE_MASK | (size - 1))) == tag` in the entry of the current MMU
//! index, then a host access at `vaddr + addend`. Anything else — a miss, a misaligned
//! access, an MMIO page (TLB_MMIO), a store to a page holding decoded code (TLB_CODE) —
//! goes through `*_slow`, which walks, checks PMP, fills the entry and performs the access.

use crate::hart::Hart;
use crate::trap::{Cause, Exception};
use emu_mmu::bus::PageBacking;
use emu_mmu::ram::{load_host, store_host};
use emu_mmu::signals::Ticket;
use emu_mmu::tlb::{MmuIdx, TlbEntry, TLB_CODE, TLB_EMPTY, TLB_MMIO};
use emu_mmu::walk::{walk, Perms, WalkCtx, WalkFault, SATP_MODE_BARE};
use emu_mmu::{Access, HartSignals, Priv, PAGE_MASK, PAGE_SIZE};

fn priv_of(idx: MmuIdx) -> (Priv, bool, bool) {
    match idx {
        MmuIdx::U => (Priv::U, false, false),
        MmuIdx::UMxr => (Priv::U, false, true),
        MmuIdx::S => (Priv::S, false, false),
        MmuIdx::SSum => (Priv::S, true, false),
        MmuIdx::SMxr => (Priv::S, false, true),
        MmuIdx::SSumMxr => (Priv::S, true, true),
        MmuIdx::M => (Priv::M, false, false),
    }
}

fn page_fault(access: Access, vaddr: u64) -> Exception {
    let cause = match access {
        Access::Read => Cause::LoadPageFault,
        Access::Write => Cause::StorePageFault,
        Access::Exec => Cause::InstructionPageFault,
    };
    Exception::new(cause, vaddr)
}

pub(crate) fn access_fault(access: Access, vaddr: u64) -> Exception {
    let cause = match access {
        Access::Read => Cause::LoadAccessFault,
        Access::Write => Cause::StoreAccessFault,
        Access::Exec => Cause::InstructionAccessFault,
    };
    Exception::new(cause, vaddr)
}

/// Where an access ends up after translation.
enum Target {
    /// Host address in guest RAM.
    Host(usize),
    /// Host address in guest RAM, for a store to a page holding decoded code: after the
    /// store, `code_stored` tells the other harts.
    HostCode(usize),
    /// Physical address to dispatch on the bus.
    Phys(u64),
}

impl Hart {
    pub(crate) fn flush_tlb(&mut self) {
        self.tlb.flush_all();
        self.blocks.flush_jump_cache();
        self.chain_site = None;
    }

    /// Translates `vaddr` for `access` in MMU index `idx` (no PMP check of the final
    /// address). Returns the physical address and what the page permits.
    fn translate(
        &mut self,
        vaddr: u64,
        access: Access,
        idx: MmuIdx,
    ) -> Result<(u64, Perms), Exception> {
        let (p, sum, mxr) = priv_of(idx);
        let satp = self.csr.satp;
        if p == Priv::M || satp >> 60 == SATP_MODE_BARE {
            let all = Perms {
                read: true,
                write: true,
                exec: true,
            };
            return Ok((vaddr, all));
        }
        let ctx = WalkCtx {
            bus: &self.bus,
            pmp: &self.pmp,
            satp,
            priv_: p,
            sum,
            mxr,
        };
        let r = walk(&ctx, vaddr, access);
        if self.trace.mmu {
            tracing::trace!(target: "mmu", hart = self.hartid, vaddr = format_args!("{vaddr:#x}"),
                ?access, ?idx, result = ?r, "walk");
        }
        match r {
            Ok(t) => Ok((t.paddr, t.perms)),
            Err(WalkFault::PageFault) => Err(page_fault(access, vaddr)),
            Err(WalkFault::AccessFault) => Err(access_fault(access, vaddr)),
        }
    }

    /// Fills the TLB entry for `vaddr` after a successful translation, if the page can be
    /// cached: PMP must treat the whole page alike, and it must be RAM or MMIO.
    fn fill_tlb(&mut self, vaddr: u64, paddr: u64, perms: Perms, idx: MmuIdx) {
        let (p, _, _) = priv_of(idx);
        let ppage = paddr & PAGE_MASK;
        let Some(pmp) = self.pmp.page_perms(ppage, p) else {
            return;
        };
        let vpage = vaddr & PAGE_MASK;
        let (addend, flag, code) = match self.bus.page_backing(ppage) {
            PageBacking::Ram(host) => (
                host.wrapping_sub(vpage as usize) as u64,
                0,
                // Code of any hart: a store here must reach its blocks (see GuestRam).
                self.ram.is_code_page(ppage),
            ),
            PageBacking::Mmio => (ppage.wrapping_sub(vpage), TLB_MMIO, false),
            PageBacking::Unmapped => return,
        };
        let tag = |ok: bool| if ok { vpage | flag } else { TLB_EMPTY };
        // `--accel audit` journals every store, so no store may take a fast path.
        let write_ok = perms.write && pmp.write && self.audit.is_none();
        self.tlb.fill(
            idx,
            vaddr,
            TlbEntry {
                addr_read: tag(perms.read && pmp.read),
                addr_write: if write_ok {
                    vpage | flag | if code { TLB_CODE } else { 0 }
                } else {
                    TLB_EMPTY
                },
                addr_code: tag(perms.exec && pmp.exec),
                addend,
            },
        );
    }

    /// Resolves a data access that missed the fast path (or is misaligned) to its target.
    /// `size` bytes must not cross a page (callers split those).
    fn resolve(
        &mut self,
        vaddr: u64,
        size: usize,
        access: Access,
        idx: MmuIdx,
    ) -> Result<Target, Exception> {
        let e = *self.tlb.entry(idx, vaddr);
        let tag = match access {
            Access::Read => e.addr_read,
            Access::Write => e.addr_write,
            Access::Exec => e.addr_code,
        };
        if tag != TLB_EMPTY && tag & PAGE_MASK == vaddr & PAGE_MASK {
            if tag & TLB_MMIO != 0 {
                return Ok(Target::Phys(vaddr.wrapping_add(e.addend)));
            }
            let host = vaddr.wrapping_add(e.addend) as usize;
            if tag & TLB_CODE != 0 {
                self.code_page_written(host);
                return Ok(Target::HostCode(host));
            }
            return Ok(Target::Host(host));
        }
        if self.tlb.swap_in_victim(idx, vaddr, access) {
            return self.resolve(vaddr, size, access, idx);
        }
        let (paddr, perms) = self.translate(vaddr, access, idx)?;
        let (p, _, _) = priv_of(idx);
        if !self.pmp.check(paddr, size as u64, access, p) {
            return Err(access_fault(access, vaddr));
        }
        self.fill_tlb(vaddr, paddr, perms, idx);
        match self.bus.page_backing(paddr) {
            PageBacking::Ram(host_page) => {
                let host = host_page + (paddr & !PAGE_MASK) as usize;
                if access == Access::Write && self.ram.is_code_page(paddr & PAGE_MASK) {
                    self.code_page_written(host);
                    return Ok(Target::HostCode(host));
                }
                Ok(Target::Host(host))
            }
            _ => Ok(Target::Phys(paddr)),
        }
    }

    /// Guest physical address of host address `host` in guest RAM.
    fn paddr_of_host(&self, host: usize) -> u64 {
        self.blocks.ram_base + (host - self.blocks.ram_host_base) as u64
    }

    /// A store is about to reach a page holding decoded code: drop this hart's blocks there
    /// and, if it had any, stop the current block after this instruction (self-modifying
    /// code, decision 4). The other harts hear of it from `code_stored`, after the store.
    fn code_page_written(&mut self, host: usize) {
        let paddr = self.paddr_of_host(host);
        if self.blocks.invalidate_page(paddr & PAGE_MASK) {
            self.code_dirty = true;
        }
    }

    /// A store to a code page (`Target::HostCode`) at `vaddr` (MMU index `idx`) happened:
    /// every other hart holding blocks there is asked to drop them before it runs them
    /// again. Then, if the page holds nobody's code any more, later stores through the TLB
    /// entry may take the fast path. (The flag is cleared only here, after the store: a
    /// misaligned store resolves its pages before writing, and each byte must still come
    /// here.)
    pub(crate) fn code_stored(&mut self, host: usize, vaddr: u64, idx: MmuIdx) {
        let paddr = self.paddr_of_host(host);
        self.ram
            .code_page_written(paddr, Some(self.blocks.code_index));
        if !self.ram.is_code_page(paddr) {
            let e = self.tlb.entry_mut(idx, vaddr);
            if e.addr_write != TLB_EMPTY && e.addr_write & PAGE_MASK == vaddr & PAGE_MASK {
                e.addr_write &= !TLB_CODE;
            }
        }
    }

    /// Loads `SIZE` bytes (1, 2, 4, 8), zero-extended.
    #[inline(always)]
    pub(crate) fn load<const SIZE: usize>(&mut self, vaddr: u64) -> Result<u64, Exception> {
        let e = self.tlb.entry(self.data_idx, vaddr);
        if vaddr & (PAGE_MASK | (SIZE as u64 - 1)) == e.addr_read {
            // SAFETY: an entry without flag bits maps a RAM page of the live mapping (fill_tlb),
            // and the compare above proved the access is aligned and inside that page.
            return Ok(unsafe { load_host(vaddr.wrapping_add(e.addend) as usize, SIZE) });
        }
        self.load_slow(vaddr, SIZE, self.data_idx)
    }

    /// Stores the low `SIZE` bytes of `value`.
    #[inline(always)]
    pub(crate) fn store<const SIZE: usize>(
        &mut self,
        vaddr: u64,
        value: u64,
    ) -> Result<(), Exception> {
        let e = self.tlb.entry(self.data_idx, vaddr);
        if vaddr & (PAGE_MASK | (SIZE as u64 - 1)) == e.addr_write {
            // SAFETY: as in `load`: a flag-free write tag maps a RAM page holding no code.
            unsafe { store_host(vaddr.wrapping_add(e.addend) as usize, SIZE, value) };
            return Ok(());
        }
        self.store_slow(vaddr, SIZE, value, self.data_idx)
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn load_slow(
        &mut self,
        vaddr: u64,
        size: usize,
        idx: MmuIdx,
    ) -> Result<u64, Exception> {
        if (vaddr & !PAGE_MASK) + size as u64 > PAGE_SIZE {
            // Misaligned across a page: byte by byte, so each page is translated (the
            // fault's tval names the first byte that faults).
            let mut v = 0;
            for i in 0..size as u64 {
                v |= self.load_slow(vaddr.wrapping_add(i), 1, idx)? << (8 * i);
            }
            return Ok(v);
        }
        match self.resolve(vaddr, size, Access::Read, idx)? {
            // SAFETY: resolve returns host addresses only for RAM pages; the access does not
            // cross the page (checked above).
            Target::Host(h) | Target::HostCode(h) => Ok(unsafe { load_host(h, size) }),
            Target::Phys(p) => {
                if p % size as u64 != 0 {
                    return Err(access_fault(Access::Read, vaddr));
                }
                self.audit_mmio(p);
                self.bus
                    .read(p, size)
                    .map_err(|_| access_fault(Access::Read, vaddr))
            }
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn store_slow(
        &mut self,
        vaddr: u64,
        size: usize,
        value: u64,
        idx: MmuIdx,
    ) -> Result<(), Exception> {
        if (vaddr & !PAGE_MASK) + size as u64 > PAGE_SIZE {
            // Check both pages before writing anything, so a fault leaves memory unchanged.
            let last = vaddr.wrapping_add(size as u64 - 1);
            self.resolve(vaddr, 1, Access::Write, idx)?;
            self.resolve(last, 1, Access::Write, idx)?;
            for i in 0..size as u64 {
                self.store_slow(vaddr.wrapping_add(i), 1, value >> (8 * i), idx)?;
            }
            return Ok(());
        }
        match self.resolve(vaddr, size, Access::Write, idx)? {
            Target::Host(h) => {
                self.audit_store(h, size);
                // SAFETY: a RAM host address from resolve; the access stays in the page.
                unsafe { store_host(h, size, value) };
                Ok(())
            }
            Target::HostCode(h) => {
                self.audit_store(h, size);
                // SAFETY: as above.
                unsafe { store_host(h, size, value) };
                self.code_stored(h, vaddr, idx);
                Ok(())
            }
            Target::Phys(p) => {
                if p % size as u64 != 0 {
                    return Err(access_fault(Access::Write, vaddr));
                }
                self.audit_mmio(p);
                self.bus
                    .write(p, size, value)
                    .map_err(|_| access_fault(Access::Write, vaddr))?;
                // A device may have asked the machine to stop (HTIF, power control).
                if self.stop_requested() {
                    self.irq_check = true;
                    self.code_dirty = true;
                }
                Ok(())
            }
        }
    }

    /// Host address for an atomic access (AMO, LR, SC) of `size` bytes: must be naturally
    /// aligned (else `misaligned`) and in RAM (else an access fault). The flag says the page
    /// holds decoded code: after writing, the caller calls `code_stored`.
    pub(crate) fn atomic_host(
        &mut self,
        vaddr: u64,
        size: usize,
        access: Access,
    ) -> Result<(usize, bool), Exception> {
        if !vaddr.is_multiple_of(size as u64) {
            let cause = if access == Access::Read {
                Cause::LoadMisaligned
            } else {
                Cause::StoreMisaligned
            };
            return Err(Exception::new(cause, vaddr));
        }
        let idx = self.data_idx;
        let e = self.tlb.entry(idx, vaddr);
        let tag = if access == Access::Read {
            e.addr_read
        } else {
            e.addr_write
        };
        let (host, code) = if vaddr & PAGE_MASK == tag {
            (vaddr.wrapping_add(e.addend) as usize, false)
        } else {
            match self.resolve(vaddr, size, access, idx)? {
                Target::Host(h) => (h, false),
                Target::HostCode(h) => (h, true),
                Target::Phys(_) => return Err(access_fault(access, vaddr)),
            }
        };
        if access == Access::Write {
            self.audit_store(host, size);
        }
        Ok((host, code))
    }

    /// Translates the fetch address `pc` to a physical address (instruction page/access
    /// faults as the spec says), filling the fetch tag of the TLB.
    pub(crate) fn fetch_paddr(&mut self, pc: u64) -> Result<u64, Exception> {
        let idx = self.fetch_idx;
        let e = *self.tlb.entry(idx, pc);
        if e.addr_code != TLB_EMPTY && e.addr_code & PAGE_MASK == pc & PAGE_MASK {
            if e.addr_code & TLB_MMIO != 0 {
                return Ok(pc.wrapping_add(e.addend));
            }
            return Ok(self.paddr_of_host(pc.wrapping_add(e.addend) as usize));
        }
        if self.tlb.swap_in_victim(idx, pc, Access::Exec) {
            return self.fetch_paddr(pc);
        }
        let (paddr, perms) = self.translate(pc, Access::Exec, idx)?;
        let (p, _, _) = priv_of(idx);
        if !self.pmp.check(paddr, 2, Access::Exec, p) {
            return Err(access_fault(Access::Exec, pc));
        }
        self.fill_tlb(pc, paddr, perms, idx);
        Ok(paddr)
    }

    /// Reads a 16-bit instruction parcel at physical `paddr`.
    pub(crate) fn fetch_parcel(&self, paddr: u64, pc: u64) -> Result<u16, Exception> {
        self.bus
            .read(paddr, 2)
            .map(|v| v as u16)
            .map_err(|_| access_fault(Access::Exec, pc))
    }

    /// Debug/semihosting read as a data load of the current privilege; false on any fault.
    pub fn read_virt(&mut self, vaddr: u64, buf: &mut [u8]) -> bool {
        let idx = self.data_idx;
        for (i, b) in buf.iter_mut().enumerate() {
            match self.load_slow(vaddr.wrapping_add(i as u64), 1, idx) {
                Ok(v) => *b = v as u8,
                Err(_) => return false,
            }
        }
        true
    }

    /// Debug/semihosting write as a data store of the current privilege; false on any fault.
    pub fn write_virt(&mut self, vaddr: u64, data: &[u8]) -> bool {
        let idx = self.data_idx;
        for (i, b) in data.iter().enumerate() {
            if self
                .store_slow(vaddr.wrapping_add(i as u64), 1, *b as u64, idx)
                .is_err()
            {
                return false;
            }
        }
        true
    }
}

/// How long a hart waits for other harts to service its requests (SBI RFENCE) before giving
/// up with a warning: a hart stuck outside guest code (a blocking host call) must not hang
/// the machine.
const REMOTE_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Cross-hart requests (design decision 10): what other harts and devices ask of this hart
/// through its `HartSignals`, serviced at a block boundary or while it sleeps in WFI.
impl Hart {
    /// Services every request posted to this hart: raise SSIP, flush the TLB, fence.i,
    /// drop the blocks of written code pages, re-check write entries after another hart
    /// marked a code page. The run loop calls it whenever `attention` is raised; a frontend
    /// may call it for a hart it keeps outside `run`.
    pub fn service_requests(&mut self) {
        use emu_mmu::signals::{irq, request};
        let Some(r) = self.signals.take_requests() else {
            return;
        };
        if r.kinds & request::SSIP != 0 {
            // mip.SSIP is software-writable (privileged spec 3.1.9): the guest clears it.
            self.csr.mip_sw |= irq::SSIP;
            self.irq_check = true;
        }
        if r.kinds & request::FENCE_I != 0 {
            self.blocks.flush();
            self.chain_site = None;
        } else {
            for &page in &r.code_written {
                self.blocks.invalidate_page(page);
            }
        }
        // Before any TLB flush: the entries to re-check are the evidence of stores that may
        // have bypassed the slow path.
        if r.kinds & request::CODE_MARKED != 0 {
            self.recheck_code_writes();
        }
        if r.kinds & request::TLB_FLUSH != 0 {
            self.flush_tlb();
        }
        self.signals.complete(&r);
    }

    /// Another hart marked a page as code. A write entry of ours for a RAM page now marked
    /// but filled without `TLB_CODE` predates the mark, so our stores through it (since the
    /// other hart read the page) reached no one: treat the page as written by us, and flag
    /// the entry so later stores take the slow path.
    fn recheck_code_writes(&mut self) {
        let mut written = Vec::new();
        let (ram_base, host_base) = (self.blocks.ram_base, self.blocks.ram_host_base);
        let ram = &self.ram;
        self.tlb.for_each_used_mut(|e| {
            let tag = e.addr_write;
            if tag == TLB_EMPTY || tag & (TLB_MMIO | TLB_CODE) != 0 {
                return;
            }
            let host = (tag & PAGE_MASK).wrapping_add(e.addend) as usize;
            let paddr = ram_base + (host - host_base) as u64;
            if ram.is_code_page(paddr) {
                e.addr_write |= TLB_CODE;
                written.push(paddr);
            }
        });
        for paddr in written {
            // Our own blocks there (if any) were decoded before our stores too.
            self.blocks.invalidate_page(paddr);
            self.ram
                .code_page_written(paddr, Some(self.blocks.code_index));
        }
    }

    /// Waits until every `(hart, ticket)` request is serviced (or that hart is parked),
    /// servicing this hart's own requests meanwhile, so two harts waiting on each other
    /// both make progress. For the SBI's RFENCE calls, which return only once the remote
    /// harts have flushed. Returns false if it gave up (stop requested, or a hart did not
    /// answer within a second).
    pub fn wait_for_remote(&mut self, waits: &[(&HartSignals, Ticket)]) -> bool {
        let deadline = std::time::Instant::now() + REMOTE_WAIT_LIMIT;
        loop {
            self.service_requests();
            let Some((target, ticket)) = waits
                .iter()
                .find(|(s, t)| !s.is_serviced(*t) && !s.is_parked())
            else {
                return true;
            };
            if self.stop_requested() || std::time::Instant::now() >= deadline {
                tracing::warn!(
                    hart = self.hartid,
                    "a remote hart did not service a request in time"
                );
                return false;
            }
            // Short waits: a request to us wakes our own sleep, not this one.
            target.wait_serviced(*ticket, std::time::Duration::from_micros(200));
        }
    }
}
