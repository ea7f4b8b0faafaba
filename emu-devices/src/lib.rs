//! rvx devices.

pub mod htif;
