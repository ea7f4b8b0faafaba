//! Interrupt lines from devices to the interrupt controller (the PLIC on the virt board).
//!
//! A device holds an [`IrqLine`] (a sink plus its source number) and drives it to a level;
//! the controller decides which hart sees it. Lines are level-triggered, as virt's are.

use std::sync::Arc;

/// Something that receives level changes of numbered interrupt sources (the PLIC).
pub trait IrqSink: Send + Sync {
    /// Source `irq` is now at `level` (true = asserted). Repeating a level is harmless.
    fn set_irq(&self, irq: u32, level: bool);
}

/// One device's interrupt line: source `irq` of `sink`.
#[derive(Clone)]
pub struct IrqLine {
    sink: Arc<dyn IrqSink>,
    irq: u32,
}

impl std::fmt::Debug for IrqLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IrqLine").field("irq", &self.irq).finish()
    }
}

impl IrqLine {
    pub fn new(sink: Arc<dyn IrqSink>, irq: u32) -> IrqLine {
        IrqLine { sink, irq }
    }

    pub fn irq(&self) -> u32 {
        self.irq
    }

    pub fn set(&self, level: bool) {
        self.sink.set_irq(self.irq, level);
    }
}
