//! The Sv39/Sv48/Sv57 page-table walker (privileged spec 1.12, section 4.3.2 and 4.4-4.6).
//!
//! PTE reads and A/D updates are accesses to guest RAM that PMP checks as S-mode accesses
//! (section 3.7: "PMP checks are also applied to page-table accesses for virtual-address
//! translation, for which the effective privilege mode is S"). A page table outside
//! RAM, or in a page that an MMIO region overlays, gives an access fault.
//!
//! A and D are set by the walker (Svadu-style, as QEMU does) with a compare-and-swap, so a
//! racing update of the PTE by another hart restarts the walk (section 4.3.2, step 8).
//! Svnapot and Svpbmt are not implemented: their PTE bits are reserved and fault.

use crate::bus::Bus;
use crate::pmp::Pmp;
use crate::{Access, Priv, PAGE_SHIFT};
use std::sync::atomic::Ordering;

/// satp.MODE values.
pub const SATP_MODE_BARE: u64 = 0;
pub const SATP_MODE_SV39: u64 = 8;
pub const SATP_MODE_SV48: u64 = 9;
pub const SATP_MODE_SV57: u64 = 10;

/// What one access may do through the final PTE, for the privilege and SUM/MXR of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    /// Only true when the PTE's D bit is (now) set, so a later store through a cached
    /// translation never skips setting D.
    pub write: bool,
    pub exec: bool,
}

impl Perms {
    pub const ALL: Perms = Perms {
        read: true,
        write: true,
        exec: true,
    };

    /// True if `access` is among these permissions.
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
            Access::Exec => self.exec,
        }
    }

    /// What both `self` and `other` allow (e.g. page-table and PMP permissions of a page).
    pub fn intersect(self, other: Perms) -> Perms {
        Perms {
            read: self.read && other.read,
            write: self.write && other.write,
            exec: self.exec && other.exec,
        }
    }
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of `vaddr` itself.
    pub paddr: u64,
    /// What accesses of the walk's privilege/SUM/MXR the leaf allows (the requested access
    /// is always among them).
    pub perms: Perms,
}

/// Why a walk failed. The CPU turns these into the page-fault or access-fault exception
/// matching the access kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkFault {
    PageFault,
    /// A page-table read or A/D write failed PMP or hit no memory.
    AccessFault,
}

/// Parameters of one walk.
#[derive(Clone, Copy, Debug)]
pub struct WalkCtx<'a> {
    pub bus: &'a Bus,
    pub pmp: &'a Pmp,
    pub satp: u64,
    /// Effective privilege of the access (U or S; M never walks).
    pub priv_: Priv,
    pub sum: bool,
    pub mxr: bool,
}

/// satp.PPN: bits 43:0 on RV64 (section 4.1.11).
const SATP_PPN_MASK: u64 = (1 << 44) - 1;

/// PTE fields (section 4.4.1, figure 4.21; Sv48/Sv57 share the layout).
pub const PTE_V: u64 = 1 << 0;
pub const PTE_R: u64 = 1 << 1;
pub const PTE_W: u64 = 1 << 2;
pub const PTE_X: u64 = 1 << 3;
pub const PTE_U: u64 = 1 << 4;
pub const PTE_G: u64 = 1 << 5;
pub const PTE_A: u64 = 1 << 6;
pub const PTE_D: u64 = 1 << 7;
pub const PTE_PPN_SHIFT: u32 = 10;
const PTE_PPN_MASK: u64 = (1 << 44) - 1;
/// Bits 63:54: N (Svnapot), PBMT (Svpbmt) and bits reserved for future use. Without those
/// extensions all must be zero (sections 4.4.1, 7 and 8).
const PTE_RESERVED: u64 = !((1 << 54) - 1);

const PTE_SIZE: u64 = 8;
/// Each level indexes 9 bits of the virtual page number.
const VPN_BITS: u32 = 9;

/// Number of page-table levels for a satp.MODE, or None if the mode is not a paged one.
fn levels(mode: u64) -> Option<u32> {
    match mode {
        SATP_MODE_SV39 => Some(3),
        SATP_MODE_SV48 => Some(4),
        SATP_MODE_SV57 => Some(5),
        _ => None,
    }
}

/// Translates `vaddr` for `access`. `satp` must not be Bare (Bare gives the identity map
/// with every permission rather than a panic; an unknown mode gives a page fault).
pub fn walk(ctx: &WalkCtx<'_>, vaddr: u64, access: Access) -> Result<Translation, WalkFault> {
    let mode = ctx.satp >> 60;
    if mode == SATP_MODE_BARE {
        return Ok(Translation {
            paddr: vaddr,
            perms: Perms::ALL,
        });
    }
    let levels = levels(mode).ok_or(WalkFault::PageFault)?;

    // Sections 4.4.1/4.5.1/4.6.1: bits 63:VA-width must all equal the top VA bit.
    let va_bits = PAGE_SHIFT + VPN_BITS * levels;
    let unused = 64 - va_bits;
    if (((vaddr << unused) as i64) >> unused) as u64 != vaddr {
        return Err(WalkFault::PageFault);
    }

    'restart: loop {
        // Step 1: a = satp.ppn * PAGESIZE, i = LEVELS - 1.
        let mut a = (ctx.satp & SATP_PPN_MASK) << PAGE_SHIFT;
        let mut i = levels - 1;
        loop {
            // Step 2: read the PTE at a + va.vpn[i] * PTESIZE.
            let vpn_i = (vaddr >> (PAGE_SHIFT + VPN_BITS * i)) & ((1 << VPN_BITS) - 1);
            let pte_addr = a + vpn_i * PTE_SIZE;
            if !ctx.pmp.check(pte_addr, PTE_SIZE, Access::Read, Priv::S) {
                return Err(WalkFault::AccessFault);
            }
            let cell = pte_cell(ctx.bus, pte_addr).ok_or(WalkFault::AccessFault)?;
            let pte = cell.load(Ordering::Acquire);

            // Step 3.
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0
            {
                return Err(WalkFault::PageFault);
            }

            // Step 4: a pointer to the next level.
            if pte & (PTE_R | PTE_X) == 0 {
                // Section 4.3.1 (1.12): "For non-leaf PTEs, the D, A, and U bits are reserved
                // for future standard use", so they must be zero.
                if pte & (PTE_D | PTE_A | PTE_U) != 0 || i == 0 {
                    return Err(WalkFault::PageFault);
                }
                i -= 1;
                a = pte_ppn(pte) << PAGE_SHIFT;
                continue;
            }

            // Steps 5-6: a leaf; check it permits the access.
            let allowed = leaf_perms(ctx, pte);
            let may_write = allowed.write;
            if !allowed.allows(access) {
                return Err(WalkFault::PageFault);
            }

            // Step 7: a superpage's low PPN fields must be zero.
            let page_bits = PAGE_SHIFT + VPN_BITS * i;
            let ppn = pte_ppn(pte);
            if ppn & ((1 << (VPN_BITS * i)) - 1) != 0 {
                return Err(WalkFault::PageFault);
            }

            // Step 8: set A, and D for a store, atomically against the PTE just read.
            let mut pte_now = pte;
            let want = PTE_A | if access == Access::Write { PTE_D } else { 0 };
            if pte & want != want {
                if !ctx.pmp.check(pte_addr, PTE_SIZE, Access::Write, Priv::S) {
                    return Err(WalkFault::AccessFault);
                }
                let new = pte | want;
                if cell
                    .compare_exchange(pte, new, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    continue 'restart;
                }
                pte_now = new;
            }

            // Step 9: the physical address, keeping the superpage offset from vaddr.
            let offset_mask = (1u64 << page_bits) - 1;
            let paddr = (ppn << PAGE_SHIFT) | (vaddr & offset_mask);
            return Ok(Translation {
                paddr,
                perms: Perms {
                    // Stores through this translation may skip the walk only if D is set.
                    write: may_write && pte_now & PTE_D != 0,
                    ..allowed
                },
            });
        }
    }
}

fn pte_ppn(pte: u64) -> u64 {
    (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK
}

/// The atomic RAM cell of the PTE at `pte_addr`, or None if it is not plain RAM (outside RAM
/// or overlaid by an MMIO region).
fn pte_cell(bus: &Bus, pte_addr: u64) -> Option<&std::sync::atomic::AtomicU64> {
    let overlaid = bus
        .regions()
        .iter()
        .any(|r| r.base < pte_addr + PTE_SIZE && pte_addr < r.base + r.size);
    if overlaid {
        return None;
    }
    bus.ram().atomic_u64(pte_addr)
}

/// What a leaf PTE permits for the walk's privilege, SUM and MXR (section 4.3.1 and 4.1.1.2),
/// ignoring D.
fn leaf_perms(ctx: &WalkCtx<'_>, pte: u64) -> Perms {
    let user_page = pte & PTE_U != 0;
    // U-mode may use only U pages; S-mode may read and write U pages only with SUM and never
    // executes from them. M never walks; if asked, it is treated like S.
    let (data_ok, exec_ok) = match ctx.priv_ {
        Priv::U => (user_page, user_page),
        Priv::S | Priv::M => (!user_page || ctx.sum, !user_page),
    };
    let r = pte & PTE_R != 0;
    let x = pte & PTE_X != 0;
    Perms {
        // MXR makes executable pages readable (section 4.1.1.2).
        read: data_ok && (r || (x && ctx.mxr)),
        write: data_ok && pte & PTE_W != 0,
        exec: exec_ok && x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Mmio;
    use crate::pmp::{PMPADDR_MASK, PMP_A_NAPOT, PMP_A_SHIFT, PMP_R, PMP_W, PMP_X};
    use crate::{GuestRam, PAGE_SIZE};
    use std::sync::Arc;

    const RAM_BASE: u64 = 0x8000_0000;
    const RAM_SIZE: u64 = 0x10_0000;
    /// Leaf flags with A and D already set, so walks do not touch the PTE.
    const RWXAD: u64 = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;

    /// A bus with RAM, PMP open to S/U, and page tables allocated from the start of RAM.
    struct Env {
        bus: Bus,
        pmp: Pmp,
        mode: u64,
        root: u64,
        next: u64,
    }

    impl Env {
        fn new(mode: u64) -> Env {
            let ram = Arc::new(GuestRam::new(RAM_BASE, RAM_SIZE).unwrap());
            let mut pmp = Pmp::default();
            pmp.addr[0] = PMPADDR_MASK;
            pmp.cfg[0] = (PMP_A_NAPOT << PMP_A_SHIFT) | PMP_R | PMP_W | PMP_X;
            Env {
                bus: Bus::new(ram),
                pmp,
                mode,
                root: RAM_BASE,
                next: RAM_BASE + PAGE_SIZE,
            }
        }

        fn satp(&self) -> u64 {
            (self.mode << 60) | (self.root >> PAGE_SHIFT)
        }

        fn levels(&self) -> u32 {
            levels(self.mode).unwrap()
        }

        fn read_pte(&self, addr: u64) -> u64 {
            self.bus.ram().read(addr, 8).unwrap()
        }

        fn write_pte(&self, addr: u64, pte: u64) {
            assert!(self.bus.ram().write(addr, 8, pte));
        }

        fn pte_addr(table: u64, vaddr: u64, level: u32) -> u64 {
            table + ((vaddr >> (PAGE_SHIFT + VPN_BITS * level)) & 0x1ff) * 8
        }

        /// Maps `vaddr` to `paddr` with a leaf at `level` (0 = 4 KiB) holding `flags`,
        /// creating intermediate tables as needed. Returns the leaf PTE's address.
        fn map(&mut self, vaddr: u64, paddr: u64, level: u32, flags: u64) -> u64 {
            let mut table = self.root;
            for i in (level + 1..self.levels()).rev() {
                let at = Self::pte_addr(table, vaddr, i);
                let pte = self.read_pte(at);
                table = if pte & PTE_V != 0 {
                    pte_ppn(pte) << PAGE_SHIFT
                } else {
                    let t = self.next;
                    self.next += PAGE_SIZE;
                    self.write_pte(at, ((t >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V);
                    t
                };
            }
            let at = Self::pte_addr(table, vaddr, level);
            self.write_pte(at, ((paddr >> PAGE_SHIFT) << PTE_PPN_SHIFT) | flags);
            at
        }

        /// The address of the non-leaf PTE at `level` on the way to `vaddr`.
        fn table_pte_addr(&self, vaddr: u64, level: u32) -> u64 {
            let mut table = self.root;
            for i in (level + 1..self.levels()).rev() {
                table = pte_ppn(self.read_pte(Self::pte_addr(table, vaddr, i))) << PAGE_SHIFT;
            }
            Self::pte_addr(table, vaddr, level)
        }

        fn walk_as(
            &self,
            priv_: Priv,
            sum: bool,
            mxr: bool,
            vaddr: u64,
            access: Access,
        ) -> Result<Translation, WalkFault> {
            let ctx = WalkCtx {
                bus: &self.bus,
                pmp: &self.pmp,
                satp: self.satp(),
                priv_,
                sum,
                mxr,
            };
            walk(&ctx, vaddr, access)
        }

        fn walk(&self, vaddr: u64, access: Access) -> Result<Translation, WalkFault> {
            self.walk_as(Priv::S, false, false, vaddr, access)
        }
    }

    #[test]
    fn every_page_size_in_every_mode() {
        for mode in [SATP_MODE_SV39, SATP_MODE_SV48, SATP_MODE_SV57] {
            let levels = levels(mode).unwrap();
            let va_bits = PAGE_SHIFT + VPN_BITS * levels;
            for level in 0..levels {
                let page_bits = PAGE_SHIFT + VPN_BITS * level;
                // Both halves of the address space, with bits set in every VPN field.
                let low = 0x0123_4567_89ab_cdef & ((1u64 << (va_bits - 1)) - 1);
                let high = !0x0765_4321_0fed_cba8u64 | !((1u64 << (va_bits - 1)) - 1);
                for vaddr in [low, high] {
                    let mut env = Env::new(mode);
                    let target = 5u64 << page_bits;
                    env.map(vaddr, target, level, RWXAD);
                    let t = env.walk(vaddr, Access::Read).unwrap_or_else(|e| {
                        panic!("mode {mode} level {level} vaddr {vaddr:#x}: {e:?}")
                    });
                    let offset = vaddr & ((1 << page_bits) - 1);
                    assert_eq!(t.paddr, target | offset, "mode {mode} level {level}");
                    assert_eq!(t.perms, Perms::ALL);
                }
            }
        }
    }

    #[test]
    fn bare_is_identity() {
        let env = Env::new(SATP_MODE_SV39);
        let ctx = WalkCtx {
            bus: &env.bus,
            pmp: &env.pmp,
            satp: 0,
            priv_: Priv::S,
            sum: false,
            mxr: false,
        };
        assert_eq!(walk(&ctx, 0x1234, Access::Write).unwrap().paddr, 0x1234);
    }

    #[test]
    fn misaligned_superpage_faults() {
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x4000_0000, 0x8020_1000, 1, RWXAD);
        assert_eq!(
            env.walk(0x4000_0000, Access::Read),
            Err(WalkFault::PageFault)
        );
        env.map(0x8000_0000, 0x8020_0000, 2, RWXAD);
        assert_eq!(
            env.walk(0x8000_0000, Access::Read),
            Err(WalkFault::PageFault)
        );
    }

    #[test]
    fn non_canonical_addresses_fault() {
        let mut env = Env::new(SATP_MODE_SV39);
        // The same PTE would serve these if the upper bits were ignored.
        env.map(0x40_0000_0000 | 0x1000, RAM_BASE, 0, RWXAD);
        env.map(0xffff_ffc0_0000_1000, RAM_BASE, 0, RWXAD);
        assert!(env.walk(0xffff_ffc0_0000_1000, Access::Read).is_ok());
        for va in [
            0x0000_0040_0000_1000u64,
            0x0100_0000_0000_1000,
            0x7fff_ffc0_0000_1000,
            0xffff_ff80_0000_1000,
        ] {
            assert_eq!(
                env.walk(va, Access::Read),
                Err(WalkFault::PageFault),
                "{va:#x}"
            );
        }
        let mut env = Env::new(SATP_MODE_SV48);
        env.map(0x1000, RAM_BASE, 0, RWXAD);
        assert!(env.walk(0x1000, Access::Read).is_ok());
        assert_eq!(
            env.walk(0x0001_0000_0000_1000, Access::Read),
            Err(WalkFault::PageFault)
        );
        let mut env = Env::new(SATP_MODE_SV57);
        env.map(0x1000, RAM_BASE, 0, RWXAD);
        assert!(env.walk(0x1000, Access::Read).is_ok());
        assert_eq!(
            env.walk(0x0100_0000_0000_1000, Access::Read),
            Err(WalkFault::PageFault)
        );
    }

    #[test]
    fn privilege_sum_mxr_matrix() {
        use Access::{Exec as X, Read as R, Write as W};
        let mut env = Env::new(SATP_MODE_SV39);
        let s_rw = 0x1000;
        let s_x = 0x2000;
        let u_rw = 0x3000;
        let u_x = 0x4000;
        let u_rwx = 0x5000;
        env.map(s_rw, RAM_BASE, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
        env.map(s_x, RAM_BASE, 0, PTE_V | PTE_X | PTE_A | PTE_D);
        env.map(
            u_rw,
            RAM_BASE,
            0,
            PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D,
        );
        env.map(u_x, RAM_BASE, 0, PTE_V | PTE_X | PTE_U | PTE_A | PTE_D);
        env.map(u_rwx, RAM_BASE, 0, RWXAD | PTE_U);

        // (priv, sum, mxr, vaddr, access, allowed)
        let cases = [
            // Supervisor pages: S only.
            (Priv::S, false, false, s_rw, R, true),
            (Priv::S, false, false, s_rw, W, true),
            (Priv::S, false, false, s_rw, X, false),
            (Priv::U, false, false, s_rw, R, false),
            (Priv::U, false, true, s_rw, R, false),
            (Priv::S, false, false, s_x, X, true),
            (Priv::S, false, false, s_x, R, false),
            (Priv::S, false, true, s_x, R, true),
            (Priv::S, false, true, s_x, W, false),
            (Priv::U, false, false, s_x, X, false),
            // User pages: U always; S reads/writes only with SUM, never executes.
            (Priv::U, false, false, u_rw, R, true),
            (Priv::U, false, false, u_rw, W, true),
            (Priv::U, false, false, u_rw, X, false),
            (Priv::S, false, false, u_rw, R, false),
            (Priv::S, false, false, u_rw, W, false),
            (Priv::S, true, false, u_rw, R, true),
            (Priv::S, true, false, u_rw, W, true),
            (Priv::S, true, false, u_rwx, X, false),
            (Priv::S, false, false, u_rwx, X, false),
            (Priv::U, false, false, u_rwx, X, true),
            // MXR on user execute-only pages.
            (Priv::U, false, false, u_x, R, false),
            (Priv::U, false, true, u_x, R, true),
            (Priv::U, false, false, u_x, X, true),
            (Priv::S, false, true, u_x, R, false),
            (Priv::S, true, false, u_x, R, false),
            (Priv::S, true, true, u_x, R, true),
            (Priv::S, true, true, u_x, X, false),
        ];
        for (priv_, sum, mxr, va, access, allowed) in cases {
            let r = env.walk_as(priv_, sum, mxr, va, access);
            let what = format!("{priv_:?} sum={sum} mxr={mxr} {va:#x} {access:?}");
            if allowed {
                let t = r.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                assert!(t.perms.allows(access), "{what}: {:?}", t.perms);
            } else {
                assert_eq!(r, Err(WalkFault::PageFault), "{what}");
            }
        }

        // The returned perms describe the walk's privilege, not just the access.
        let t = env.walk_as(Priv::S, true, false, u_rwx, R).unwrap();
        assert_eq!(
            t.perms,
            Perms {
                read: true,
                write: true,
                exec: false
            }
        );
        let t = env.walk_as(Priv::S, false, true, s_x, X).unwrap();
        assert_eq!(
            t.perms,
            Perms {
                read: true,
                write: false,
                exec: true
            }
        );
        let t = env.walk_as(Priv::U, false, false, u_x, X).unwrap();
        assert_eq!(
            t.perms,
            Perms {
                read: false,
                write: false,
                exec: true
            }
        );
    }

    #[test]
    fn walker_sets_a_and_d() {
        let mut env = Env::new(SATP_MODE_SV48);
        let va = 0x7654_3210_0000;
        let leaf = env.map(va, 0x8008_0000, 0, PTE_V | PTE_R | PTE_W);
        let nonleaf = env.table_pte_addr(va, 1);

        // A read sets A only, and withholds write permission since D is still clear.
        let t = env.walk(va + 0x10, Access::Read).unwrap();
        assert_eq!(t.paddr, 0x8008_0010);
        assert_eq!(
            t.perms,
            Perms {
                read: true,
                write: false,
                exec: false
            }
        );
        assert_eq!(env.read_pte(leaf) & (PTE_A | PTE_D), PTE_A);

        // A store sets D and then may be cached.
        let t = env.walk(va, Access::Write).unwrap();
        assert!(t.perms.write && t.perms.read);
        assert_eq!(env.read_pte(leaf) & (PTE_A | PTE_D), PTE_A | PTE_D);

        // Once D is set, a read walk grants write too.
        assert!(env.walk(va, Access::Read).unwrap().perms.write);

        // A store on a page with neither bit sets both in one step.
        let leaf2 = env.map(va + 0x1000, 0x8008_1000, 0, PTE_V | PTE_R | PTE_W);
        assert!(env.walk(va + 0x1000, Access::Write).unwrap().perms.write);
        assert_eq!(env.read_pte(leaf2) & (PTE_A | PTE_D), PTE_A | PTE_D);

        // Non-leaf PTEs are left alone.
        assert_eq!(env.read_pte(nonleaf) & (PTE_A | PTE_D), 0);

        // A superpage on a fetch: A set, D not.
        let leaf3 = env.map(0x4000_0000, 0x8000_0000, 2, PTE_V | PTE_X | PTE_R);
        let t = env.walk(0x4000_0123, Access::Exec).unwrap();
        assert_eq!(t.paddr, 0x8000_0123);
        assert_eq!(env.read_pte(leaf3) & (PTE_A | PTE_D), PTE_A);
    }

    #[test]
    fn page_tables_outside_ram_or_pmp_give_access_faults() {
        let mut env = Env::new(SATP_MODE_SV39);
        // Root table outside RAM.
        env.root = 0x1000;
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::AccessFault));

        // A non-leaf PTE pointing past the end of RAM.
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x1000, RAM_BASE, 0, RWXAD);
        let l1 = env.table_pte_addr(0x1000, 1);
        env.write_pte(
            l1,
            (((RAM_BASE + RAM_SIZE) >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V,
        );
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::AccessFault));

        // PMP forbids S-mode reads of the root table.
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x1000, RAM_BASE, 0, RWXAD);
        env.pmp.addr[0] = (env.root >> 2) | 0x1ff; // NAPOT 4 KiB over the root.
        env.pmp.cfg[0] = (PMP_A_NAPOT << PMP_A_SHIFT) | PMP_W;
        env.pmp.addr[1] = PMPADDR_MASK;
        env.pmp.cfg[1] = (PMP_A_NAPOT << PMP_A_SHIFT) | PMP_R | PMP_W | PMP_X;
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::AccessFault));

        // PMP lets the walker read the leaf's table but not write A into it.
        let mut env = Env::new(SATP_MODE_SV39);
        let leaf = env.map(0x1000, RAM_BASE, 0, PTE_V | PTE_R);
        env.pmp.addr[0] = ((leaf & crate::PAGE_MASK) >> 2) | 0x1ff;
        env.pmp.cfg[0] = (PMP_A_NAPOT << PMP_A_SHIFT) | PMP_R;
        env.pmp.addr[1] = PMPADDR_MASK;
        env.pmp.cfg[1] = (PMP_A_NAPOT << PMP_A_SHIFT) | PMP_R | PMP_W | PMP_X;
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::AccessFault));
        assert_eq!(env.read_pte(leaf) & PTE_A, 0);
        // With A already set nothing is written, so the walk succeeds.
        env.write_pte(leaf, env.read_pte(leaf) | PTE_A);
        assert!(env.walk(0x1000, Access::Read).is_ok());
    }

    #[test]
    fn page_table_under_mmio_overlay_is_an_access_fault() {
        struct Zero;
        impl Mmio for Zero {
            fn read(&self, _offset: u64, _size: usize) -> u64 {
                0
            }
            fn write(&self, _offset: u64, _size: usize, _value: u64) {}
        }
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x1000, RAM_BASE, 0, RWXAD);
        let l0 = env.table_pte_addr(0x1000, 0);
        env.bus
            .add_mmio("dev", l0 & crate::PAGE_MASK, 0x100, Arc::new(Zero))
            .unwrap();
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::AccessFault));
    }

    #[test]
    fn malformed_ptes_give_page_faults() {
        let bad_leaves = [
            0,                             // V=0
            PTE_R | PTE_A | PTE_D,         // V=0 with permissions
            PTE_V | PTE_W | PTE_A | PTE_D, // W without R
            PTE_V | PTE_W | PTE_X | PTE_A, // W without R, executable
            RWXAD | 1 << 54,               // reserved
            RWXAD | 1 << 60,               // reserved
            RWXAD | 1 << 61,               // PBMT (no Svpbmt)
            RWXAD | 1 << 62,               // PBMT
            RWXAD | 1 << 63,               // N (no Svnapot)
        ];
        for flags in bad_leaves {
            let mut env = Env::new(SATP_MODE_SV39);
            env.map(0x1000, RAM_BASE, 0, flags);
            assert_eq!(
                env.walk(0x1000, Access::Read),
                Err(WalkFault::PageFault),
                "{flags:#x}"
            );
        }

        // Non-leaf PTEs with reserved bits, or with D, A or U set.
        for extra in [PTE_A, PTE_D, PTE_U, 1 << 63, 1 << 54] {
            let mut env = Env::new(SATP_MODE_SV39);
            env.map(0x1000, RAM_BASE, 0, RWXAD);
            let l1 = env.table_pte_addr(0x1000, 1);
            env.write_pte(l1, env.read_pte(l1) | extra);
            assert_eq!(
                env.walk(0x1000, Access::Read),
                Err(WalkFault::PageFault),
                "{extra:#x}"
            );
        }

        // A pointer PTE at level 0 has nowhere to go.
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x1000, RAM_BASE + 0x2000, 0, PTE_V);
        assert_eq!(env.walk(0x1000, Access::Read), Err(WalkFault::PageFault));

        // G is not reserved.
        let mut env = Env::new(SATP_MODE_SV39);
        env.map(0x1000, RAM_BASE, 0, RWXAD | PTE_G);
        assert!(env.walk(0x1000, Access::Read).is_ok());
    }

    #[test]
    fn racing_pte_updates_restart_the_walk() {
        // Another thread keeps flipping the G bit of the PTE while this one walks with A
        // clear: every walk must still end with A set in RAM and the right address.
        let mut env = Env::new(SATP_MODE_SV39);
        let leaf = env.map(0x1000, RAM_BASE + 0x5000, 0, PTE_V | PTE_R | PTE_W);
        let env = Arc::new(env);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flipper = {
            let env = env.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let cell = env.bus.ram().atomic_u64(leaf).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    cell.fetch_xor(PTE_G, Ordering::AcqRel);
                }
            })
        };
        for _ in 0..100_000 {
            let cell = env.bus.ram().atomic_u64(leaf).unwrap();
            cell.fetch_and(!(PTE_A | PTE_D), Ordering::AcqRel);
            let t = env.walk(0x1008, Access::Write).unwrap();
            assert_eq!(t.paddr, RAM_BASE + 0x5008);
            assert_eq!(env.read_pte(leaf) & (PTE_A | PTE_D), PTE_A | PTE_D);
        }
        stop.store(true, Ordering::Relaxed);
        flipper.join().unwrap();
    }
}
