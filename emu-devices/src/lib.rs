//! rvx devices.

pub mod clint;
pub mod uart;
