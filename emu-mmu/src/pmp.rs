//! Physical memory protection (privileged spec 1.12, section 3.7).
//!
//! Sixteen entries, granularity G=0 (4 bytes), no Smepmp. Each entry is one byte of pmpcfg
//! (`L 0 0 A A X W R`) and one pmpaddr register holding physical address bits 55:2.
//!
//! The configuration is small, so matching scans the entries on every check rather than
//! keeping derived ranges that could go stale when the public fields are written directly.

use crate::walk::Perms;
use crate::{Access, Priv, PAGE_MASK, PAGE_SIZE};

pub const PMP_COUNT: usize = 16;

/// pmpcfg entry bits (section 3.7.1, figure 3.32).
pub const PMP_R: u8 = 1 << 0;
pub const PMP_W: u8 = 1 << 1;
pub const PMP_X: u8 = 1 << 2;
pub const PMP_A_SHIFT: u32 = 3;
pub const PMP_A_MASK: u8 = 3 << PMP_A_SHIFT;
pub const PMP_L: u8 = 1 << 7;

/// Address-matching modes, the pmpcfg.A field (section 3.7.1, table 3.10).
pub const PMP_A_OFF: u8 = 0;
pub const PMP_A_TOR: u8 = 1;
pub const PMP_A_NA4: u8 = 2;
pub const PMP_A_NAPOT: u8 = 3;

/// pmpaddr holds physical address bits 55:2 on RV64 (section 3.7.1, figure 3.31).
pub const PMPADDR_MASK: u64 = (1 << 54) - 1;

/// Bits of a pmpcfg byte that are stored; bits 5-6 are reserved and read as zero.
const PMP_CFG_WRITABLE: u8 = PMP_L | PMP_A_MASK | PMP_X | PMP_W | PMP_R;

#[derive(Clone, Debug, Default)]
pub struct Pmp {
    pub cfg: [u8; PMP_COUNT],
    pub addr: [u64; PMP_COUNT],
}

/// Result of looking for the entry that decides an access range.
enum Match {
    /// No active entry touches the range.
    None,
    /// Entry `i` is the lowest-numbered one touching the range and covers all of it.
    Whole(usize),
    /// The lowest-numbered entry touching the range covers only part of it.
    Partial,
}

impl Pmp {
    /// The A field of entry `i`.
    fn mode(&self, i: usize) -> u8 {
        (self.cfg[i] & PMP_A_MASK) >> PMP_A_SHIFT
    }

    fn locked(&self, i: usize) -> bool {
        self.cfg[i] & PMP_L != 0
    }

    /// True if any entry is not OFF, i.e. PMP constrains some access.
    pub fn is_active(&self) -> bool {
        (0..PMP_COUNT).any(|i| self.mode(i) != PMP_A_OFF)
    }

    /// The byte range `[start, end)` entry `i` matches, or None for OFF or an empty TOR range.
    /// Ranges end at most at 2^57, so `end` fits in a u64.
    pub fn range(&self, i: usize) -> Option<(u64, u64)> {
        let a = self.addr.get(i)? & PMPADDR_MASK;
        match self.mode(i) {
            PMP_A_TOR => {
                // Section 3.7.1: entry 0 with TOR uses zero as its lower bound; if
                // pmpaddr[i-1] >= pmpaddr[i] the entry matches nothing.
                let lo = if i == 0 {
                    0
                } else {
                    (self.addr[i - 1] & PMPADDR_MASK) << 2
                };
                let hi = a << 2;
                (lo < hi).then_some((lo, hi))
            }
            PMP_A_NA4 => Some((a << 2, (a << 2) + 4)),
            PMP_A_NAPOT => {
                // t trailing ones select a region of 2^(t+3) bytes (table 3.11).
                let t = a.trailing_ones();
                let size = 1u64 << (t + 3);
                let base = (a & !((1u64 << t) - 1)) << 2;
                Some((base, base + size))
            }
            _ => None,
        }
    }

    /// Finds the entry deciding the byte range `[start, end)` (section 3.7.1, "Priority and
    /// Matching Logic"): the lowest-numbered entry matching any byte decides, and it must
    /// match all bytes.
    fn find(&self, start: u64, end: u64) -> Match {
        for i in 0..PMP_COUNT {
            let Some((lo, hi)) = self.range(i) else {
                continue;
            };
            if start < hi && lo < end {
                return if lo <= start && end <= hi {
                    Match::Whole(i)
                } else {
                    Match::Partial
                };
            }
        }
        Match::None
    }

    /// The permissions entry `i` grants to privilege `priv_`: M-mode is bound only by
    /// locked entries (section 3.7.1, "Locking and Privilege Mode").
    fn entry_perms(&self, i: usize, priv_: Priv) -> Perms {
        let c = self.cfg[i];
        if priv_ == Priv::M && c & PMP_L == 0 {
            return Perms::ALL;
        }
        Perms {
            read: c & PMP_R != 0,
            write: c & PMP_W != 0,
            exec: c & PMP_X != 0,
        }
    }

    /// What an access matching no entry may do: M-mode anything; S and U nothing, since
    /// entries are implemented (section 3.7.1: "If no PMP entry matches an S-mode or U-mode
    /// access, but at least one PMP entry is implemented, the access fails").
    fn default_perms(priv_: Priv) -> Perms {
        if priv_ == Priv::M {
            Perms::ALL
        } else {
            Perms::default()
        }
    }

    /// True if an access of `size` bytes at `paddr` with effective privilege `priv_` is allowed.
    pub fn check(&self, paddr: u64, size: u64, access: Access, priv_: Priv) -> bool {
        let end = paddr.saturating_add(size.max(1));
        match self.find(paddr, end) {
            Match::None => Self::default_perms(priv_).allows(access),
            Match::Whole(i) => self.entry_perms(i, priv_).allows(access),
            // "The matching PMP entry must match all bytes of an access, or the access fails,
            // irrespective of the L, R, W, and X bits."
            Match::Partial => false,
        }
    }

    /// The permissions PMP gives `priv_` for every access inside the 4 KiB page at
    /// `page_base`, if one entry (or none) decides the whole page uniformly; None if the page
    /// is split between entries, so each access must be checked on its own.
    pub fn page_perms(&self, page_base: u64, priv_: Priv) -> Option<Perms> {
        let start = page_base & PAGE_MASK;
        match self.find(start, start.saturating_add(PAGE_SIZE)) {
            Match::None => Some(Self::default_perms(priv_)),
            Match::Whole(i) => Some(self.entry_perms(i, priv_)),
            Match::Partial => None,
        }
    }

    /// What M-mode firmware sets before starting an S-mode kernel: entry 0 as a NAPOT region
    /// covering the whole address space with R, W and X (OpenSBI's last-resort entry).
    pub fn allow_all(&mut self) {
        *self = Pmp::default();
        self.write_addr(0, u64::MAX >> 10);
        // A=NAPOT (3 << 3), X|W|R.
        self.write_cfg(0, 0x1f);
    }

    /// Reads pmpcfg`reg`. On RV64 only the even registers exist, each holding eight entries
    /// (section 3.7.1): pmpcfg0 holds entries 0-7, pmpcfg2 entries 8-15. Other numbers read 0.
    pub fn read_cfg(&self, reg: usize) -> u64 {
        let Some(first) = Self::cfg_first_entry(reg) else {
            return 0;
        };
        (0..8).fold(0, |v, k| v | (self.cfg[first + k] as u64) << (8 * k))
    }

    /// Writes pmpcfg`reg` (WARL). Locked entries keep their value; the reserved encoding
    /// R=0,W=1 is stored as R=0,W=0 (as QEMU does); reserved bits 5-6 are dropped.
    pub fn write_cfg(&mut self, reg: usize, value: u64) {
        let Some(first) = Self::cfg_first_entry(reg) else {
            return;
        };
        for k in 0..8 {
            let i = first + k;
            if self.locked(i) {
                continue;
            }
            let mut c = (value >> (8 * k)) as u8 & PMP_CFG_WRITABLE;
            if c & (PMP_R | PMP_W) == PMP_W {
                c &= !PMP_W;
            }
            self.cfg[i] = c;
        }
    }

    fn cfg_first_entry(reg: usize) -> Option<usize> {
        (reg.is_multiple_of(2) && reg < PMP_COUNT / 4).then_some(reg * 4)
    }

    /// Reads pmpaddr`i` (0 if `i` is out of range). With G=0 every bit reads back as written.
    pub fn read_addr(&self, i: usize) -> u64 {
        self.addr.get(i).copied().unwrap_or(0)
    }

    /// Writes pmpaddr`i`. Ignored if entry `i` is locked, or if entry `i+1` is a locked TOR
    /// entry, whose lower bound this register is (section 3.7.1, "Locking and Privilege Mode").
    pub fn write_addr(&mut self, i: usize, value: u64) {
        if i >= PMP_COUNT || self.locked(i) {
            return;
        }
        if i + 1 < PMP_COUNT && self.locked(i + 1) && self.mode(i + 1) == PMP_A_TOR {
            return;
        }
        self.addr[i] = value & PMPADDR_MASK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(a: u8, perms: u8) -> u8 {
        (a << PMP_A_SHIFT) | perms
    }

    /// pmpaddr value for a NAPOT region of `size` bytes (a power of two >= 8) at `base`.
    fn napot(base: u64, size: u64) -> u64 {
        (base >> 2) | ((size / 8) - 1)
    }

    #[test]
    fn allow_all_grants_s_and_u_everything() {
        let mut p = Pmp::default();
        assert!(!p.check(0x8000_0000, 8, Access::Write, Priv::S));
        p.allow_all();
        for priv_ in [Priv::S, Priv::U] {
            for a in [Access::Read, Access::Write, Access::Exec] {
                assert!(p.check(0, 8, a, priv_));
                assert!(p.check(0x8000_0000, 8, a, priv_));
                assert!(p.check((1 << 56) - 8, 8, a, priv_));
            }
        }
    }

    #[test]
    fn tor_range_and_entry0_lower_bound() {
        let mut p = Pmp::default();
        p.addr[0] = 0x1000 >> 2;
        p.cfg[0] = cfg(PMP_A_TOR, PMP_R);
        p.addr[1] = 0x3000 >> 2;
        p.cfg[1] = cfg(PMP_A_TOR, PMP_R | PMP_W);
        assert_eq!(p.range(0), Some((0, 0x1000)));
        assert_eq!(p.range(1), Some((0x1000, 0x3000)));
        assert!(p.check(0, 8, Access::Read, Priv::S));
        assert!(!p.check(0xff8, 8, Access::Write, Priv::S));
        assert!(p.check(0x1000, 8, Access::Write, Priv::S));
        assert!(p.check(0x2ff8, 8, Access::Write, Priv::U));
        assert!(!p.check(0x2ff8, 8, Access::Exec, Priv::U));
        // Past the top: no match, S/U fail, M succeeds.
        assert!(!p.check(0x3000, 4, Access::Read, Priv::S));
        assert!(p.check(0x3000, 4, Access::Read, Priv::M));
        // An empty TOR range (lower >= upper) matches nothing.
        p.addr[1] = 0x800 >> 2;
        assert_eq!(p.range(1), None);
        assert_eq!(p.range(PMP_COUNT), None);
    }

    #[test]
    fn na4_and_napot_ranges() {
        let mut p = Pmp::default();
        p.addr[0] = 0x8000_0010 >> 2;
        p.cfg[0] = cfg(PMP_A_NA4, PMP_R);
        p.addr[1] = napot(0x8000_0000, 0x20_0000);
        p.cfg[1] = cfg(PMP_A_NAPOT, PMP_R | PMP_W | PMP_X);
        assert_eq!(p.range(0), Some((0x8000_0010, 0x8000_0014)));
        assert_eq!(p.range(1), Some((0x8000_0000, 0x8020_0000)));
        // The smallest NAPOT region is 8 bytes.
        p.addr[2] = 0x100 >> 2;
        p.cfg[2] = cfg(PMP_A_NAPOT, 0);
        assert_eq!(p.range(2), Some((0x100, 0x108)));
        // All ones: the whole 2^57-byte space pmpaddr can describe.
        p.addr[3] = PMPADDR_MASK;
        p.cfg[3] = cfg(PMP_A_NAPOT, 0);
        assert_eq!(p.range(3), Some((0, 1 << 57)));

        assert!(p.check(0x8000_0010, 4, Access::Read, Priv::S));
        assert!(!p.check(0x8000_0010, 4, Access::Write, Priv::S));
        assert!(p.check(0x8000_0018, 8, Access::Write, Priv::S));
        assert!(p.check(0x801f_fff8, 8, Access::Exec, Priv::U));
    }

    #[test]
    fn lowest_numbered_entry_wins() {
        let mut p = Pmp::default();
        p.addr[0] = napot(0x8000_1000, 0x1000);
        p.cfg[0] = cfg(PMP_A_NAPOT, PMP_R);
        p.addr[1] = napot(0x8000_0000, 0x10_0000);
        p.cfg[1] = cfg(PMP_A_NAPOT, PMP_R | PMP_W | PMP_X);
        assert!(!p.check(0x8000_1800, 8, Access::Write, Priv::S));
        assert!(p.check(0x8000_2000, 8, Access::Write, Priv::S));
        // Swap priorities: the wide entry now shadows the narrow one.
        p.cfg.swap(0, 1);
        p.addr.swap(0, 1);
        assert!(p.check(0x8000_1800, 8, Access::Write, Priv::S));
    }

    #[test]
    fn partial_overlap_of_lowest_match_fails() {
        let mut p = Pmp::default();
        p.addr[0] = napot(0x1000, 0x1000);
        p.cfg[0] = cfg(PMP_A_NAPOT, PMP_R | PMP_W);
        p.addr[1] = PMPADDR_MASK;
        p.cfg[1] = cfg(PMP_A_NAPOT, PMP_R | PMP_W);
        // Straddles the end of entry 0, even though entry 1 would cover all of it.
        assert!(!p.check(0x1ffc, 8, Access::Read, Priv::S));
        assert!(!p.check(0xffc, 8, Access::Read, Priv::S));
        // Also for M-mode, irrespective of L.
        assert!(!p.check(0x1ffc, 8, Access::Read, Priv::M));
        assert!(p.check(0x1ff8, 8, Access::Read, Priv::S));
    }

    #[test]
    fn lock_binds_m_mode() {
        let mut p = Pmp::default();
        p.addr[0] = napot(0x8000_0000, 0x1000);
        p.cfg[0] = cfg(PMP_A_NAPOT, PMP_R);
        // Unlocked: M ignores the entry's permissions.
        assert!(p.check(0x8000_0000, 8, Access::Write, Priv::M));
        assert!(!p.check(0x8000_0000, 8, Access::Write, Priv::S));
        p.cfg[0] |= PMP_L;
        assert!(!p.check(0x8000_0000, 8, Access::Write, Priv::M));
        assert!(p.check(0x8000_0000, 8, Access::Read, Priv::M));
        // Unmatched M accesses still succeed.
        assert!(p.check(0x9000_0000, 8, Access::Write, Priv::M));
    }

    #[test]
    fn s_and_u_fail_without_a_match() {
        let p = Pmp::default();
        assert!(!p.is_active());
        assert!(!p.check(0x8000_0000, 4, Access::Read, Priv::S));
        assert!(!p.check(0x8000_0000, 4, Access::Exec, Priv::U));
        assert!(p.check(0x8000_0000, 4, Access::Write, Priv::M));
    }

    #[test]
    fn page_perms_uniform_and_split() {
        let mut p = Pmp::default();
        p.addr[0] = 0x8000_0800 >> 2;
        p.cfg[0] = cfg(PMP_A_NA4, PMP_R);
        p.addr[1] = napot(0x8000_0000, 0x10_0000);
        p.cfg[1] = cfg(PMP_A_NAPOT, PMP_R | PMP_X);
        assert!(p.is_active());
        // The NA4 entry splits the first page.
        assert_eq!(p.page_perms(0x8000_0000, Priv::S), None);
        assert_eq!(
            p.page_perms(0x8000_1000, Priv::S),
            Some(Perms {
                read: true,
                write: false,
                exec: true
            })
        );
        // Unlocked entries do not bind M.
        assert_eq!(p.page_perms(0x8000_1000, Priv::M), Some(Perms::ALL));
        // No entry touches the page.
        assert_eq!(p.page_perms(0x9000_0000, Priv::U), Some(Perms::default()));
        assert_eq!(p.page_perms(0x9000_0000, Priv::M), Some(Perms::ALL));
        // An entry ending mid-page splits it.
        p.addr[2] = 0x9000_0400 >> 2;
        p.cfg[2] = cfg(PMP_A_TOR, PMP_R);
        p.addr[1] = 0x8fff_f000 >> 2;
        p.cfg[1] = cfg(PMP_A_NA4, 0);
        assert_eq!(p.page_perms(0x9000_0000, Priv::S), None);
    }

    #[test]
    fn write_cfg_warl_and_lock() {
        let mut p = Pmp::default();
        // Entry 0: R=0,W=1 NAPOT with reserved bits 5-6 set; entry 1: locked TOR, R.
        let v =
            0x60 | cfg(PMP_A_NAPOT, PMP_W) as u64 | ((PMP_L | cfg(PMP_A_TOR, PMP_R)) as u64) << 8;
        p.write_cfg(0, v);
        assert_eq!(p.cfg[0], cfg(PMP_A_NAPOT, 0));
        assert_eq!(p.cfg[1], PMP_L | cfg(PMP_A_TOR, PMP_R));
        assert_eq!(p.read_cfg(0), v & !0x62);
        // The locked entry ignores writes; its neighbours do not.
        p.write_cfg(0, u64::MAX);
        assert_eq!(p.cfg[1], PMP_L | cfg(PMP_A_TOR, PMP_R));
        assert_eq!(p.cfg[0], PMP_CFG_WRITABLE);
        // pmpcfg2 holds entries 8-15; odd registers do not exist on RV64.
        p.write_cfg(2, 0x07 << 56);
        assert_eq!(p.cfg[15], 0x07);
        assert_eq!(p.read_cfg(2), 0x07 << 56);
        p.write_cfg(1, u64::MAX);
        assert_eq!(p.read_cfg(1), 0);
        assert_eq!(p.cfg[4], PMP_CFG_WRITABLE);
        p.write_cfg(4, u64::MAX);
        assert_eq!(p.read_cfg(4), 0);
    }

    #[test]
    fn write_addr_respects_locks() {
        let mut p = Pmp::default();
        p.write_addr(0, u64::MAX);
        assert_eq!(p.read_addr(0), PMPADDR_MASK);
        p.cfg[1] = PMP_L | cfg(PMP_A_TOR, PMP_R);
        // pmpaddr0 is the lower bound of the locked TOR entry 1.
        p.write_addr(0, 0x10);
        assert_eq!(p.read_addr(0), PMPADDR_MASK);
        p.write_addr(1, 0x10);
        assert_eq!(p.read_addr(1), 0);
        // A locked NAPOT entry 3 does not lock pmpaddr2.
        p.cfg[3] = PMP_L | cfg(PMP_A_NAPOT, PMP_R);
        p.write_addr(2, 0x20);
        assert_eq!(p.read_addr(2), 0x20);
        p.write_addr(3, 0x20);
        assert_eq!(p.read_addr(3), 0);
        // Out of range is ignored, not a panic.
        p.write_addr(PMP_COUNT, 1);
        assert_eq!(p.read_addr(PMP_COUNT), 0);
    }
}
