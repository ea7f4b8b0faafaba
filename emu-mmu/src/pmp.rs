//! Physical memory protection (privileged spec 1.12, section 3.7).
//!
//! TODO(helper): implementation.

use crate::{Access, Priv};

pub const PMP_COUNT: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct Pmp {
    pub cfg: [u8; PMP_COUNT],
    pub addr: [u64; PMP_COUNT],
}

impl Pmp {
    /// True if an access of `size` bytes at `paddr` with effective privilege `priv_` is allowed.
    pub fn check(&self, paddr: u64, size: u64, access: Access, priv_: Priv) -> bool {
        let _ = (paddr, size, access, priv_);
        true
    }
}
