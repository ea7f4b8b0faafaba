//! The built-in SBI (placeholder while the implementation lands).
use crate::machine::Machine;
use crate::run::After;
use emu_cpu::Hart;

#[derive(Debug, Default)]
pub struct BuiltinSbi {}

impl BuiltinSbi {
    pub fn handle(&self, _m: &Machine, hart: &mut Hart) -> After {
        // SBI_ERR_NOT_SUPPORTED
        hart.set_xreg(10, (-2i64) as u64);
        After::Continue
    }
}
