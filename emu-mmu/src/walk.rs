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
            if pte & PTE_V == 0
                || (pte & PTE_R == 0 && pte & PTE_W != 0)
                || pte & PTE_RESERVED != 0
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
