//! rvx devices.
