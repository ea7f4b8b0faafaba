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

pub const TLB_BITS: u32 = 12;
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
    /// The virtual page the entry maps, if any of its tags is in use.
    pub fn page(&self) -> Option<u64> {
        [self.addr_read, self.addr_write, self.addr_code]
            .into_iter()
            .find(|&t| t != TLB_EMPTY)
            .map(|t| t & crate::PAGE_MASK)
    }

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

/// The tables of every MMU index, plus a bit per entry that may be in use, so a flush or a
/// scan touches only entries filled since the last flush: Linux flushes the whole TLB on
/// every address-space switch, and a table big enough to hold a kernel's and a program's
/// working sets (QEMU sizes its tables dynamically, up to thousands of entries) would make a
/// full clear the most expensive part of a context switch.
///
/// Each table also has a small fully associative victim table (as QEMU's): an entry a fill
/// pushes out goes there, and a miss looks there before walking the page table, so two hot
/// pages that share an index (a program's stack and text, 16 MiB apart) do not walk in turn.
pub struct Tlb {
    pub tables: Box<[[TlbEntry; TLB_SIZE]]>,
    used: [[u64; TLB_SIZE / 64]; MMU_IDX_COUNT],
    victims: [[TlbEntry; VICTIM_SIZE]; MMU_IDX_COUNT],
    victim_next: [u8; MMU_IDX_COUNT],
}

/// Entries of each victim table.
pub const VICTIM_SIZE: usize = 8;

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            tables: vec![[TlbEntry::EMPTY; TLB_SIZE]; MMU_IDX_COUNT].into_boxed_slice(),
            used: [[0; TLB_SIZE / 64]; MMU_IDX_COUNT],
            victims: [[TlbEntry::EMPTY; VICTIM_SIZE]; MMU_IDX_COUNT],
            victim_next: [0; MMU_IDX_COUNT],
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

    /// The entry for `vaddr`, to change its flags. New entries go in through `fill`.
    #[inline(always)]
    pub fn entry_mut(&mut self, idx: MmuIdx, vaddr: u64) -> &mut TlbEntry {
        &mut self.tables[idx as usize][Self::index(vaddr)]
    }

    /// Puts `entry` in `vaddr`'s slot of table `idx`; an entry there for another page moves
    /// to the victim table.
    #[inline]
    pub fn fill(&mut self, idx: MmuIdx, vaddr: u64, entry: TlbEntry) {
        let (t, i) = (idx as usize, Self::index(vaddr));
        let old = std::mem::replace(&mut self.tables[t][i], entry);
        if old.page().is_some_and(|p| p != vaddr & crate::PAGE_MASK) {
            let n = self.victim_next[t] as usize;
            self.victims[t][n] = old;
            self.victim_next[t] = ((n + 1) % VICTIM_SIZE) as u8;
        }
        self.used[t][i / 64] |= 1 << (i % 64);
    }

    /// After a miss: if the victim table of `idx` holds an entry for `vaddr`'s page that
    /// allows `access`, swaps it with the entry in the main table and returns true.
    pub fn swap_in_victim(&mut self, idx: MmuIdx, vaddr: u64, access: crate::Access) -> bool {
        let (t, i) = (idx as usize, Self::index(vaddr));
        let page = vaddr & crate::PAGE_MASK;
        let Some(v) = self.victims[t].iter().position(|e| {
            let tag = match access {
                crate::Access::Read => e.addr_read,
                crate::Access::Write => e.addr_write,
                crate::Access::Exec => e.addr_code,
            };
            tag != TLB_EMPTY && tag & crate::PAGE_MASK == page
        }) else {
            return false;
        };
        std::mem::swap(&mut self.victims[t][v], &mut self.tables[t][i]);
        self.used[t][i / 64] |= 1 << (i % 64);
        true
    }

    /// Calls `f` on every entry filled since the last `flush_all` (some may be empty since),
    /// victims included.
    pub fn for_each_used_mut(&mut self, mut f: impl FnMut(&mut TlbEntry)) {
        self.victims.iter_mut().flatten().for_each(&mut f);
        for (table, used) in self.tables.iter_mut().zip(self.used.iter()) {
            for (w, &word) in used.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    f(&mut table[w * 64 + bits.trailing_zeros() as usize]);
                    bits &= bits - 1;
                }
            }
        }
    }

    pub fn flush_all(&mut self) {
        self.for_each_used_mut(|e| *e = TlbEntry::EMPTY);
        self.used = [[0; TLB_SIZE / 64]; MMU_IDX_COUNT];
    }

    /// Drops every entry whose page is `vaddr`'s page (sfence.vma with an address).
    pub fn flush_page(&mut self, vaddr: u64) {
        let page = vaddr & crate::PAGE_MASK;
        let i = Self::index(vaddr);
        let in_page = |e: &TlbEntry| e.page() == Some(page);
        for t in self.tables.iter_mut() {
            if in_page(&t[i]) {
                t[i] = TlbEntry::EMPTY;
            }
        }
        for e in self.victims.iter_mut().flatten() {
            if in_page(e) {
                *e = TlbEntry::EMPTY;
            }
        }
    }

    /// Drops every entry for code-marked writes of the physical page whose host address is
    /// `host_page` (called when a page gains translated code, so stores re-check).
    pub fn clear_write_for_host_page(&mut self, host_page: usize) {
        self.for_each_used_mut(|e| {
            if e.addr_write != TLB_EMPTY
                && (e.addr_write & crate::PAGE_MASK).wrapping_add(e.addend) as usize == host_page
            {
                e.addr_write = TLB_EMPTY;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Access;

    fn entry(vpage: u64, addend: u64) -> TlbEntry {
        TlbEntry {
            addr_read: vpage,
            addr_write: vpage,
            addr_code: TLB_EMPTY,
            addend,
        }
    }

    const A: u64 = 0x1000;
    /// Same index as A, another page.
    const B: u64 = A + (TLB_SIZE as u64) * 4096;

    #[test]
    fn a_fill_pushes_the_old_page_to_the_victims_and_a_miss_swaps_it_back() {
        let mut t = Tlb::default();
        t.fill(MmuIdx::U, A, entry(A, 7));
        t.fill(MmuIdx::U, B, entry(B, 8));
        assert_eq!(t.entry(MmuIdx::U, A).addr_read, B);
        // Not for code (the entry has no code tag), not in another table.
        assert!(!t.swap_in_victim(MmuIdx::U, A, Access::Exec));
        assert!(!t.swap_in_victim(MmuIdx::S, A, Access::Read));
        assert!(t.swap_in_victim(MmuIdx::U, A + 8, Access::Write));
        assert_eq!(*t.entry(MmuIdx::U, A), entry(A, 7));
        // B went to the victims in exchange.
        assert!(t.swap_in_victim(MmuIdx::U, B, Access::Read));
        assert_eq!(*t.entry(MmuIdx::U, B), entry(B, 8));
    }

    #[test]
    fn flushes_reach_main_and_victim_entries() {
        let mut t = Tlb::default();
        t.fill(MmuIdx::S, A, entry(A, 1));
        t.fill(MmuIdx::S, B, entry(B, 2));
        t.fill(MmuIdx::M, 0x5000, entry(0x5000, 3));
        t.flush_page(A);
        assert!(
            !t.swap_in_victim(MmuIdx::S, A, Access::Read),
            "victim A flushed"
        );
        assert_eq!(t.entry(MmuIdx::S, B).addr_read, B, "other page kept");
        t.fill(MmuIdx::S, A, entry(A, 1));
        t.flush_all();
        for (idx, va) in [(MmuIdx::S, A), (MmuIdx::S, B), (MmuIdx::M, 0x5000)] {
            assert_eq!(*t.entry(idx, va), TlbEntry::EMPTY);
            assert!(!t.swap_in_victim(idx, va, Access::Read));
        }
    }

    #[test]
    fn clearing_writes_to_a_host_page_reaches_every_alias() {
        let mut t = Tlb::default();
        let host = 0x7000_0000u64;
        // Two virtual pages (one pushed to the victims) mapping host page `host`, one not.
        t.fill(MmuIdx::S, A, entry(A, host.wrapping_sub(A)));
        t.fill(MmuIdx::S, B, entry(B, host.wrapping_sub(B)));
        t.fill(MmuIdx::U, 0x9000, entry(0x9000, 0x1000));
        t.clear_write_for_host_page(host as usize);
        assert_eq!(t.entry(MmuIdx::S, B).addr_write, TLB_EMPTY);
        assert_eq!(t.entry(MmuIdx::S, B).addr_read, B);
        assert!(!t.swap_in_victim(MmuIdx::S, A, Access::Write));
        assert!(t.swap_in_victim(MmuIdx::S, A, Access::Read));
        assert_eq!(t.entry(MmuIdx::U, 0x9000).addr_write, 0x9000);
    }
}
