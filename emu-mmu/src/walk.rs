//! The Sv39/Sv48/Sv57 page-table walker (privileged spec 1.12, section 4.3.2 and 4.4-4.6).
//!
//! TODO(helper): implementation.

use crate::bus::Bus;
use crate::pmp::Pmp;
use crate::{Access, Priv};

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

/// Translates `vaddr` for `access`. `satp` must not be Bare.
pub fn walk(ctx: &WalkCtx<'_>, vaddr: u64, access: Access) -> Result<Translation, WalkFault> {
    let _ = (ctx, vaddr, access);
    unimplemented!("page-table walker")
}
