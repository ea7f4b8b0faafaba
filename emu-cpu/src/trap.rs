//! Exceptions and interrupts (privileged spec 1.12, sections 3.1.15, 3.1.16 and 3.3).
//!
//! A guest trap is guest state, not a Rust error: instruction semantics return
//! `Err(Exception)` and the hart turns it into a trap taken into M or S mode.

/// A synchronous exception with its trap value (mtval/stval).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    pub cause: Cause,
    pub tval: u64,
}

/// Exception codes of mcause/scause with the interrupt bit clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cause {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    EcallFromM = 11,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
}

impl Exception {
    pub const fn new(cause: Cause, tval: u64) -> Exception {
        Exception { cause, tval }
    }

    pub const fn illegal(raw: u32) -> Exception {
        Exception::new(Cause::IllegalInstruction, raw as u64)
    }
}

/// Interrupt codes (mcause with the interrupt bit set), in the spec's priority order for
/// [`INTERRUPT_PRIORITY`].
pub mod interrupt {
    pub const SSI: u64 = 1;
    pub const MSI: u64 = 3;
    pub const STI: u64 = 5;
    pub const MTI: u64 = 7;
    pub const SEI: u64 = 9;
    pub const MEI: u64 = 11;
}

/// Priority order of simultaneous interrupts (section 3.1.9): MEI, MSI, MTI, SEI, SSI, STI.
pub const INTERRUPT_PRIORITY: [u64; 6] = [
    interrupt::MEI,
    interrupt::MSI,
    interrupt::MTI,
    interrupt::SEI,
    interrupt::SSI,
    interrupt::STI,
];

pub const INTERRUPT_BIT: u64 = 1 << 63;

/// The spec's name of an exception code (mcause without the interrupt bit).
pub fn exception_name(code: u64) -> &'static str {
    match code {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store/AMO address misaligned",
        7 => "store/AMO access fault",
        8 => "environment call from U-mode",
        9 => "environment call from S-mode",
        11 => "environment call from M-mode",
        12 => "instruction page fault",
        13 => "load page fault",
        15 => "store/AMO page fault",
        _ => "unknown exception",
    }
}
