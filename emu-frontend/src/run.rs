//! The seam between the machine and the CPU: build hart 0, start it, serve its exits.

use crate::machine::Machine;

/// Runs hart 0 (M-mode at the image entry, a0 = hartid, a1 = 0) until the machine stops.
/// Returns the exit status.
pub fn run_hart0(_m: &Machine) -> anyhow::Result<i32> {
    anyhow::bail!("this build has no CPU yet (emu_cpu::Hart has not landed)")
}
