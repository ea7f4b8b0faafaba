//! The rvx hart: decoder, hart state, CSRs, traps, the soft-MMU glue and the interpreter.

pub mod decode;
pub mod fp;
