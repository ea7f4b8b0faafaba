//! rvx devices.

pub mod clint;
pub mod console;
pub mod htif;
pub mod irq;
pub mod plic;
pub mod power;
pub mod rom;
pub mod rtc;
pub mod uart;
pub mod virtio;
