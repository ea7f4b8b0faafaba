//! rvx devices.

pub mod clint;
pub mod htif;
pub mod irq;
pub mod uart;
pub mod virtio;
