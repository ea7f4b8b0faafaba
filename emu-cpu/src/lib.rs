//! The rvx hart: decoder, hart state, CSRs, traps, the soft-MMU glue and the interpreter.

mod audit;
pub mod csr;
pub mod decode;
pub mod fp;
pub mod hart;
pub mod interp;
pub mod jit;
mod mem;
pub mod trap;

pub use audit::AuditStats;
pub use hart::{Accel, Exit, Hart, HartConfig, HartState, TraceFlags};
