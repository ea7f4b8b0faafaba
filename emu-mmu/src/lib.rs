//! Guest memory for rvx: RAM as one host mapping, the physical bus that dispatches MMIO by
//! range, the Sv39/48/57 page-table walker, the soft TLB the CPU fills, PMP, and the signals
//! through which devices reach a hart (pending interrupt bits, wake-ups, the shared clock).
//!
//! Devices implement [`Mmio`]; the CPU never names a device.

pub mod bus;
pub mod pmp;
pub mod ram;
pub mod signals;
pub mod tlb;
pub mod walk;

pub use bus::{Bus, BusError, BusFault, Mmio};
pub use ram::{GuestRam, RamError};
pub use signals::{Clock, HartSignals, MachineControl};

/// RISC-V privilege levels, numbered as in the privileged spec (mstatus.MPP encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priv {
    U = 0,
    S = 1,
    M = 3,
}

impl Priv {
    /// Decodes a 2-bit privilege field; the reserved value 2 maps to U (WARL).
    pub fn from_bits(bits: u64) -> Priv {
        match bits & 3 {
            3 => Priv::M,
            1 => Priv::S,
            _ => Priv::U,
        }
    }
}

/// The kind of a memory access, as the page-table walker and PMP distinguish them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    Exec,
}

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);
