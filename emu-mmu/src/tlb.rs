//! The soft TLB, shaped like QEMU's `CPUTLBEntry`: one tag per access kind plus a host addend.
//!
//! A hit is `(vaddr & (PAGE_MASK | (size - 1))) == tag`: the flag bits below the page number
//! and a misaligned address both make the compare fail and send the access to the slow path.
//! An empty entry holds `u64::MAX` in every tag, which never compares equal.
//! Host address of a hit: `vaddr + addend` (wrapping).
//!
//! There is one table per MMU index ([`MmuIdx`]): privilege plus the SUM and MXR bits folded
//! in, so toggling sstatus.SUM (Linux does it around every user copy) needs no flush.

use crate::PAGE_SHIFT;

pub const TLB_BITS: u32 = 8;
pub const TLB_SIZE: usize = 1 << TLB_BITS;
/// Tag flag: the page needs the slow path for every access of this kind (MMIO, a PMP rule
/// that does not cover the whole page).
pub const TLB_MMIO: u64 = 1 << 10;
/// Write-tag flag: the page holds translated or pre-decoded code; a store must invalidate it.
pub const TLB_CODE: u64 = 1 << 9;
pub const TLB_EMPTY: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct TlbEntry {
    pub addr_read: u64,
    pub addr_write: u64,
    pub addr_code: u64,
    pub addend: u64,
}

const _: () = assert!(std::mem::size_of::<TlbEntry>() == 32);

impl TlbEntry {
    pub const EMPTY: TlbEntry = TlbEntry {
        addr_read: TLB_EMPTY,
        addr_write: TLB_EMPTY,
        addr_code: TLB_EMPTY,
        addend: 0,
    };
}

/// Which TLB table an access uses: effective privilege with the SUM/MXR bits that change
/// what a page-table entry permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MmuIdx {
    U = 0,
    UMxr = 1,
    S = 2,
    SSum = 3,
    SMxr = 4,
    SSumMxr = 5,
    M = 6,
}

pub const MMU_IDX_COUNT: usize = 8;

impl MmuIdx {
    pub fn new(p: crate::Priv, sum: bool, mxr: bool) -> MmuIdx {
        match (p, sum, mxr) {
            (crate::Priv::M, _, _) => MmuIdx::M,
            (crate::Priv::U, _, false) => MmuIdx::U,
            (crate::Priv::U, _, true) => MmuIdx::UMxr,
            (crate::Priv::S, false, false) => MmuIdx::S,
            (crate::Priv::S, true, false) => MmuIdx::SSum,
            (crate::Priv::S, false, true) => MmuIdx::SMxr,
            (crate::Priv::S, true, true) => MmuIdx::SSumMxr,
        }
    }
}

#[repr(C)]
pub struct Tlb {
    pub tables: [[TlbEntry; TLB_SIZE]; MMU_IDX_COUNT],
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            tables: [[TlbEntry::EMPTY; TLB_SIZE]; MMU_IDX_COUNT],
        }
    }
}

impl Tlb {
    #[inline(always)]
    pub fn index(vaddr: u64) -> usize {
        ((vaddr >> PAGE_SHIFT) as usize) & (TLB_SIZE - 1)
    }

    #[inline(always)]
    pub fn entry(&self, idx: MmuIdx, vaddr: u64) -> &TlbEntry {
        &self.tables[idx as usize][Self::index(vaddr)]
    }

    #[inline(always)]
    pub fn entry_mut(&mut self, idx: MmuIdx, vaddr: u64) -> &mut TlbEntry {
        &mut self.tables[idx as usize][Self::index(vaddr)]
    }

    pub fn flush_all(&mut self) {
        for t in self.tables.iter_mut() {
            t.fill(TlbEntry::EMPTY);
        }
    }

    /// Drops every entry whose page is `vaddr`'s page (sfence.vma with an address).
    pub fn flush_page(&mut self, vaddr: u64) {
        let page = vaddr & crate::PAGE_MASK;
        let i = Self::index(vaddr);
        for t in self.tables.iter_mut() {
            let e = &mut t[i];
            let tags = [e.addr_read, e.addr_write, e.addr_code];
            if tags
                .iter()
                .any(|&tag| tag != TLB_EMPTY && tag & crate::PAGE_MASK == page)
            {
                *e = TlbEntry::EMPTY;
            }
        }
    }

    /// Drops every entry for code-marked writes of the physical page whose host address is
    /// `host_page` (called when a page gains translated code, so stores re-check).
    pub fn clear_write_for_host_page(&mut self, host_page: usize) {
        for t in self.tables.iter_mut() {
            for e in t.iter_mut() {
                if e.addr_write != TLB_EMPTY
                    && (e.addr_write & crate::PAGE_MASK).wrapping_add(e.addend) as usize
                        == host_page
                {
                    e.addr_write = TLB_EMPTY;
                }
            }
        }
    }
}
