//! The NS16550A UART of QEMU's `virt` board (byte registers, `reg-shift` 0), at
//! [`UART0_BASE`], wired to PLIC source [`UART0_IRQ`].
//!
//! Register map (National Semiconductor PC16550D datasheet, table II; DLAB = LCR bit 7):
//!
//! | offset | read                 | write                |
//! |--------|----------------------|----------------------|
//! | 0      | RBR (DLAB=0) / DLL   | THR (DLAB=0) / DLL   |
//! | 1      | IER (DLAB=0) / DLM   | IER (DLAB=0) / DLM   |
//! | 2      | IIR                  | FCR                  |
//! | 3      | LCR                  | LCR                  |
//! | 4      | MCR                  | MCR                  |
//! | 5      | LSR                  | (ignored)            |
//! | 6      | MSR                  | (ignored)            |
//! | 7      | SCR                  | SCR                  |
//!
//! Any access size reaches the byte register at its offset (as QEMU's `serial_mm` does);
//! offsets 8 and up read 0 and ignore writes.
//!
//! Transmission is synchronous: a THR write goes straight to the output writer (flushed per
//! byte, so prompts without a newline appear at once), so LSR.THRE and LSR.TEMT always read 1.
//! Reception goes through a bounded FIFO that [`Uart16550::push_input`] fills from the host.
//!
//! Lock order: the state lock, then whatever the interrupt callback takes (the PLIC's lock).
//! The callback runs under the state lock so that level changes reach the PLIC in the order
//! they happened; it must never call back into this UART. The output writer has its own lock,
//! taken only after the state lock is released.

use crate::irq::IrqLine;
use emu_mmu::Mmio;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};

pub const UART0_BASE: u64 = 0x1000_0000;
pub const UART0_SIZE: u64 = 0x100;
/// The PLIC interrupt source of UART0 on QEMU's `virt` board.
pub const UART0_IRQ: u32 = 10;

/// How many received bytes the UART buffers before it drops input and sets LSR.OE.
///
/// A real 16550's receive FIFO holds 16 bytes, with the sender throttled by flow control.
/// Host terminal input has no flow control back from the guest, so the FIFO here is deeper
/// (a pasted line must not be lost); drivers read while LSR.DR is set and see no difference.
pub const RX_FIFO_CAPACITY: usize = 4096;

/// Register offsets.
mod reg {
    pub const RBR_THR_DLL: u8 = 0;
    pub const IER_DLM: u8 = 1;
    pub const IIR_FCR: u8 = 2;
    pub const LCR: u8 = 3;
    pub const MCR: u8 = 4;
    pub const LSR: u8 = 5;
    pub const MSR: u8 = 6;
    pub const SCR: u8 = 7;
}

// IER bits.
const IER_ERBFI: u8 = 0x01; // received data available
const IER_ETBEI: u8 = 0x02; // transmitter holding register empty
const IER_ELSI: u8 = 0x04; // receiver line status
const IER_EDSSI: u8 = 0x08; // modem status

// IIR interrupt identification (bits 3:0), in priority order.
const IIR_NO_INT: u8 = 0x01;
const IIR_RLS: u8 = 0x06;
const IIR_RDA: u8 = 0x04;
const IIR_CTI: u8 = 0x0c; // character timeout
const IIR_THRI: u8 = 0x02;
const IIR_MSI: u8 = 0x00;
const IIR_FIFO_ENABLED: u8 = 0xc0;

// FCR bits.
const FCR_FE: u8 = 0x01;
const FCR_RFR: u8 = 0x02; // receive FIFO reset
const FCR_XFR: u8 = 0x04; // transmit FIFO reset
const FCR_WRITABLE: u8 = 0xc9; // FE, DMA mode select, receiver trigger

const LCR_DLAB: u8 = 0x80;

// MCR bits.
const MCR_DTR: u8 = 0x01;
const MCR_RTS: u8 = 0x02;
const MCR_OUT1: u8 = 0x04;
const MCR_OUT2: u8 = 0x08;
const MCR_LOOP: u8 = 0x10;

// LSR bits.
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_PE: u8 = 0x04;
const LSR_FE: u8 = 0x08;
const LSR_BI: u8 = 0x10;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const LSR_ERRORS: u8 = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

// MSR bits: deltas in 3:0, line states in 7:4.
const MSR_DCTS: u8 = 0x01;
const MSR_DDSR: u8 = 0x02;
const MSR_TERI: u8 = 0x04;
const MSR_DDCD: u8 = 0x08;
const MSR_CTS: u8 = 0x10;
const MSR_DSR: u8 = 0x20;
const MSR_RI: u8 = 0x40;
const MSR_DCD: u8 = 0x80;
/// A console is always connected and ready: carrier, data set ready, clear to send (as QEMU).
const MSR_CONNECTED: u8 = MSR_DCD | MSR_DSR | MSR_CTS;

type IrqFn = Box<dyn Fn(bool) + Send + Sync>;

struct UartState {
    rx: VecDeque<u8>,
    ier: u8,
    fcr: u8,
    lcr: u8,
    mcr: u8,
    /// Latched LSR error bits (`LSR_ERRORS`; only OE happens here, there being no line to
    /// corrupt parity, framing or send a break); cleared by reading LSR.
    lsr_errors: u8,
    /// MSR line states (7:4) and deltas (3:0).
    msr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// The THR-empty interrupt is pending. Set when ETBEI turns on (THR is always empty here)
    /// and whenever a byte finishes transmitting; cleared by reading IIR while it is the
    /// reported source, or by turning ETBEI off (PC16550D table IV; QEMU behaves the same).
    thr_ipending: bool,
    irq: Option<IrqFn>,
    irq_level: bool,
}

impl UartState {
    fn fifo_enabled(&self) -> bool {
        self.fcr & FCR_FE != 0
    }

    fn rx_trigger(&self) -> usize {
        if !self.fifo_enabled() {
            return 1;
        }
        match self.fcr >> 6 {
            0 => 1,
            1 => 4,
            2 => 8,
            _ => 14,
        }
    }

    /// The highest-priority pending interrupt (PC16550D table IV), or `IIR_NO_INT`.
    fn iir_id(&self) -> u8 {
        if self.ier & IER_ELSI != 0 && self.lsr_errors & LSR_ERRORS != 0 {
            IIR_RLS
        } else if self.ier & IER_ERBFI != 0 && !self.rx.is_empty() {
            // Below the trigger level a real UART waits four character times before the
            // timeout interrupt; host input arrives in bursts, so report it at once.
            if self.rx.len() >= self.rx_trigger() {
                IIR_RDA
            } else {
                IIR_CTI
            }
        } else if self.ier & IER_ETBEI != 0 && self.thr_ipending {
            IIR_THRI
        } else if self.ier & IER_EDSSI != 0 && self.msr & 0x0f != 0 {
            IIR_MSI
        } else {
            IIR_NO_INT
        }
    }

    fn lsr(&self) -> u8 {
        let dr = if self.rx.is_empty() { 0 } else { LSR_DR };
        dr | self.lsr_errors | LSR_THRE | LSR_TEMT
    }

    /// Drives the interrupt line to the current level, telling the callback on a change.
    fn update_irq(&mut self) {
        let level = self.iir_id() != IIR_NO_INT;
        if level != self.irq_level {
            self.irq_level = level;
            if let Some(f) = &self.irq {
                f(level);
            }
        }
    }

    fn receive(&mut self, byte: u8) {
        if self.rx.len() < RX_FIFO_CAPACITY {
            self.rx.push_back(byte);
        } else {
            self.lsr_errors |= LSR_OE;
        }
    }

    /// The modem inputs: in loopback they are the MCR outputs (PC16550D, MCR bit 4).
    fn modem_inputs(&self) -> u8 {
        if self.mcr & MCR_LOOP == 0 {
            return MSR_CONNECTED;
        }
        let mut m = 0;
        if self.mcr & MCR_RTS != 0 {
            m |= MSR_CTS;
        }
        if self.mcr & MCR_DTR != 0 {
            m |= MSR_DSR;
        }
        if self.mcr & MCR_OUT1 != 0 {
            m |= MSR_RI;
        }
        if self.mcr & MCR_OUT2 != 0 {
            m |= MSR_DCD;
        }
        m
    }

    fn update_modem_inputs(&mut self) {
        let old = self.msr & 0xf0;
        let new = self.modem_inputs();
        let changed = old ^ new;
        let mut delta = 0;
        if changed & MSR_CTS != 0 {
            delta |= MSR_DCTS;
        }
        if changed & MSR_DSR != 0 {
            delta |= MSR_DDSR;
        }
        // TERI: ring indicator went from on to off.
        if old & MSR_RI != 0 && new & MSR_RI == 0 {
            delta |= MSR_TERI;
        }
        if changed & MSR_DCD != 0 {
            delta |= MSR_DDCD;
        }
        self.msr = new | (self.msr & 0x0f) | delta;
    }

    fn read(&mut self, r: u8) -> u8 {
        let dlab = self.lcr & LCR_DLAB != 0;
        match r {
            reg::RBR_THR_DLL if dlab => self.dll,
            reg::RBR_THR_DLL => self.rx.pop_front().unwrap_or(0),
            reg::IER_DLM if dlab => self.dlm,
            reg::IER_DLM => self.ier,
            reg::IIR_FCR => {
                let id = self.iir_id();
                if id == IIR_THRI {
                    // Reading IIR clears a THRE interrupt it reports (PC16550D table IV).
                    self.thr_ipending = false;
                }
                let fifo = if self.fifo_enabled() {
                    IIR_FIFO_ENABLED
                } else {
                    0
                };
                id | fifo
            }
            reg::LCR => self.lcr,
            reg::MCR => self.mcr,
            reg::LSR => {
                let v = self.lsr();
                self.lsr_errors &= !LSR_ERRORS;
                v
            }
            reg::MSR => {
                let v = self.msr;
                self.msr &= 0xf0;
                v
            }
            reg::SCR => self.scr,
            _ => 0,
        }
    }

    /// Writes a register; returns a byte to send to the output.
    fn write(&mut self, r: u8, v: u8) -> Option<u8> {
        let dlab = self.lcr & LCR_DLAB != 0;
        match r {
            reg::RBR_THR_DLL if dlab => self.dll = v,
            reg::RBR_THR_DLL => {
                // The byte leaves at once, so THR is empty again and its interrupt re-arms
                // right away, as when a real transmitter finishes (QEMU's serial_xmit).
                // Linux's 8250 driver relies on that to send the next chunk.
                self.thr_ipending = true;
                if self.mcr & MCR_LOOP != 0 {
                    self.receive(v);
                    return None;
                }
                return Some(v);
            }
            reg::IER_DLM if dlab => self.dlm = v,
            reg::IER_DLM => {
                let changed = (self.ier ^ v) & 0x0f;
                self.ier = v & 0x0f;
                // Turning ETBEI on while THR is empty raises the THRE interrupt even if an
                // earlier IIR read cleared it; Linux's THRE test (serial8250_do_startup)
                // toggles IER to check exactly this.
                if changed & IER_ETBEI != 0 {
                    self.thr_ipending = self.ier & IER_ETBEI != 0;
                }
            }
            reg::IIR_FCR => {
                let mut v = v;
                // Changing the FIFO enable clears both FIFOs.
                if (v ^ self.fcr) & FCR_FE != 0 {
                    v |= FCR_RFR | FCR_XFR;
                }
                if v & FCR_RFR != 0 {
                    self.rx.clear();
                }
                if v & FCR_XFR != 0 {
                    self.thr_ipending = true;
                }
                self.fcr = v & FCR_WRITABLE;
            }
            reg::LCR => self.lcr = v,
            reg::MCR => {
                self.mcr = v & 0x1f;
                self.update_modem_inputs();
            }
            reg::SCR => self.scr = v,
            // LSR and MSR writes are for factory test only.
            _ => {}
        }
        None
    }
}

pub struct Uart16550 {
    state: Mutex<UartState>,
    output: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Uart16550 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("Uart16550")
            .field("ier", &s.ier)
            .field("fcr", &s.fcr)
            .field("lcr", &s.lcr)
            .field("mcr", &s.mcr)
            .field("rx_len", &s.rx.len())
            .field("irq_level", &s.irq_level)
            .finish_non_exhaustive()
    }
}

impl Uart16550 {
    /// A UART in its reset state sending transmitted bytes to `output`.
    pub fn new(output: Box<dyn Write + Send>) -> Uart16550 {
        Uart16550 {
            state: Mutex::new(UartState {
                rx: VecDeque::new(),
                ier: 0,
                fcr: 0,
                lcr: 0,
                // QEMU resets MCR to OUT2 (on PCs OUT2 gates the IRQ line).
                mcr: MCR_OUT2,
                lsr_errors: 0,
                msr: MSR_CONNECTED,
                scr: 0,
                dll: 0,
                dlm: 0,
                thr_ipending: false,
                irq: None,
                irq_level: false,
            }),
            output: Mutex::new(output),
        }
    }

    fn lock(&self) -> MutexGuard<'_, UartState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connects the interrupt line: `f(level)` is called whenever the level changes, and once
    /// now with the current level. It runs under the UART's lock (see the module docs).
    pub fn set_irq(&self, f: Box<dyn Fn(bool) + Send + Sync>) {
        let mut s = self.lock();
        f(s.irq_level);
        s.irq = Some(f);
    }

    /// Connects the interrupt output to `line` (on the virt board: PLIC source
    /// [`UART0_IRQ`]). The line is driven under the UART's lock, so the sink behind it must
    /// never call back into this UART (the PLIC does not).
    pub fn connect_irq(&self, line: IrqLine) {
        self.set_irq(Box::new(move |level| line.set(level)));
    }

    /// The current level of the interrupt line.
    pub fn irq_level(&self) -> bool {
        self.lock().irq_level
    }

    /// Bytes from the host terminal. Bytes beyond [`RX_FIFO_CAPACITY`] are dropped and set
    /// LSR.OE; in loopback mode the serial input is disconnected and everything is dropped.
    pub fn push_input(&self, bytes: &[u8]) {
        let mut s = self.lock();
        if s.mcr & MCR_LOOP != 0 {
            return;
        }
        for &b in bytes {
            s.receive(b);
        }
        s.update_irq();
    }

    /// Console output that bypasses the registers (the SBI debug console): straight to the
    /// UART's host output.
    pub fn host_write(&self, bytes: &[u8]) {
        let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            tracing::debug!(target: "uart", "console output failed: {e}");
        }
    }

    /// Console input that bypasses the registers (the SBI debug console): takes up to
    /// `buf.len()` received bytes; returns how many.
    pub fn take_input(&self, buf: &mut [u8]) -> usize {
        let mut s = self.lock();
        let mut n = 0;
        while n < buf.len() {
            match s.rx.pop_front() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        s.update_irq();
        n
    }

    /// Free room in the receive FIFO, for an input thread that would rather wait than drop.
    pub fn rx_free(&self) -> usize {
        RX_FIFO_CAPACITY - self.lock().rx.len()
    }

    fn transmit(&self, byte: u8) {
        let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        // A closed or failing console must not stop the guest; the byte is lost, as on a
        // serial line with nothing attached.
        if let Err(e) = out.write_all(&[byte]).and_then(|()| out.flush()) {
            tracing::debug!(target: "uart", "console output failed: {e}");
        }
    }
}

impl Mmio for Uart16550 {
    fn read(&self, offset: u64, _size: usize) -> u64 {
        let Ok(r @ 0..=7) = u8::try_from(offset) else {
            return 0;
        };
        let mut s = self.lock();
        let v = s.read(r);
        s.update_irq();
        u64::from(v)
    }

    fn write(&self, offset: u64, _size: usize, value: u64) {
        let Ok(r @ 0..=7) = u8::try_from(offset) else {
            return;
        };
        let tx = {
            let mut s = self.lock();
            let tx = s.write(r, value as u8);
            s.update_irq();
            tx
        };
        if let Some(b) = tx {
            self.transmit(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    use crate::test_support::Sink;

    struct Line {
        level: Arc<AtomicBool>,
        edges: Arc<AtomicUsize>,
    }

    fn uart() -> (Uart16550, Sink, Line) {
        let sink = Sink::default();
        let u = Uart16550::new(Box::new(sink.clone()));
        let level = Arc::new(AtomicBool::new(false));
        let edges = Arc::new(AtomicUsize::new(0));
        let (l, e) = (level.clone(), edges.clone());
        u.set_irq(Box::new(move |v| {
            l.store(v, Ordering::SeqCst);
            e.fetch_add(1, Ordering::SeqCst);
        }));
        (u, sink, Line { level, edges })
    }

    fn rd(u: &Uart16550, r: u8) -> u8 {
        u.read(u64::from(r), 1) as u8
    }

    fn wr(u: &Uart16550, r: u8, v: u8) {
        u.write(u64::from(r), 1, u64::from(v));
    }

    #[test]
    fn host_side_console_bypasses_the_registers() {
        let (u, sink, line) = uart();
        wr(&u, reg::IER_DLM, IER_ERBFI);
        u.host_write(b"sbi");
        assert_eq!(&*sink.0.lock().unwrap(), b"sbi");
        u.push_input(b"ab");
        assert!(line.level.load(Ordering::SeqCst));
        let mut buf = [0u8; 4];
        assert_eq!(u.take_input(&mut buf), 2);
        assert_eq!(&buf[..2], b"ab");
        assert_eq!(u.take_input(&mut buf), 0);
        // The receive interrupt drops with the FIFO emptied.
        assert!(!line.level.load(Ordering::SeqCst));
        assert_eq!(rd(&u, reg::LSR) & LSR_DR, 0);
    }

    #[test]
    fn transmit_reaches_the_writer() {
        let (u, sink, _) = uart();
        for &b in b"hello\n" {
            wr(&u, reg::RBR_THR_DLL, b);
        }
        // Wider accesses reach the same byte register.
        u.write(0, 4, 0x1234_5621);
        assert_eq!(&*sink.0.lock().unwrap(), b"hello\n!");
    }

    #[test]
    fn flushes_every_byte() {
        struct Counting(Arc<Mutex<(Vec<u8>, Vec<u8>)>>);
        impl Write for Counting {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().0.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                let mut g = self.0.lock().unwrap();
                let pending = std::mem::take(&mut g.0);
                g.1.extend(pending);
                Ok(())
            }
        }
        let shared = Arc::new(Mutex::new((Vec::new(), Vec::new())));
        let u = Uart16550::new(Box::new(Counting(shared.clone())));
        for &b in b"login: " {
            wr(&u, 0, b);
        }
        assert_eq!(
            shared.lock().unwrap().1,
            b"login: ",
            "prompt visible without newline"
        );
    }

    #[test]
    fn lsr_bits() {
        let (u, _, _) = uart();
        assert_eq!(rd(&u, reg::LSR), LSR_THRE | LSR_TEMT);
        wr(&u, 0, b'x');
        assert_eq!(rd(&u, reg::LSR), LSR_THRE | LSR_TEMT);
        u.push_input(b"ab");
        assert_eq!(rd(&u, reg::LSR), LSR_THRE | LSR_TEMT | LSR_DR);
        assert_eq!(rd(&u, 0), b'a');
        assert_eq!(rd(&u, reg::LSR) & LSR_DR, LSR_DR);
        assert_eq!(rd(&u, 0), b'b');
        assert_eq!(rd(&u, reg::LSR), LSR_THRE | LSR_TEMT);
        assert_eq!(rd(&u, 0), 0, "empty RBR reads 0");
    }

    #[test]
    fn dlab_divisor_latch_does_not_transmit() {
        let (u, sink, _) = uart();
        wr(&u, reg::LCR, LCR_DLAB | 0x03);
        wr(&u, 0, 0x01); // DLL
        wr(&u, 1, 0x02); // DLM
        assert_eq!(rd(&u, 0), 0x01);
        assert_eq!(rd(&u, 1), 0x02);
        wr(&u, reg::LCR, 0x03);
        assert!(sink.0.lock().unwrap().is_empty());
        assert_eq!(rd(&u, reg::IER_DLM), 0, "IER untouched by the DLM write");
        assert_eq!(rd(&u, reg::LCR), 0x03);
        wr(&u, 0, b'z');
        assert_eq!(&*sink.0.lock().unwrap(), b"z");
        // The latch survived.
        wr(&u, reg::LCR, LCR_DLAB);
        assert_eq!((rd(&u, 0), rd(&u, 1)), (0x01, 0x02));
    }

    #[test]
    fn receive_fifo_and_rx_interrupt() {
        let (u, _, line) = uart();
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);
        u.push_input(b"q");
        assert!(!line.level.load(Ordering::SeqCst), "RX interrupt disabled");
        wr(&u, reg::IER_DLM, IER_ERBFI);
        assert!(line.level.load(Ordering::SeqCst));
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_RDA);
        assert_eq!(rd(&u, 0), b'q');
        assert!(!line.level.load(Ordering::SeqCst));
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);

        // FIFO mode, trigger level 4: below it the (immediate) timeout indication.
        wr(&u, reg::IIR_FCR, FCR_FE | FCR_RFR | FCR_XFR | 0x40);
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_FIFO_ENABLED | IIR_NO_INT);
        u.push_input(b"abc");
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_FIFO_ENABLED | IIR_CTI);
        u.push_input(b"d");
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_FIFO_ENABLED | IIR_RDA);
        assert_eq!(rd(&u, 0), b'a');
        // FCR receive reset empties the FIFO.
        wr(&u, reg::IIR_FCR, FCR_FE | FCR_RFR | 0x40);
        assert_eq!(rd(&u, reg::LSR) & LSR_DR, 0);
        assert!(!line.level.load(Ordering::SeqCst));
    }

    #[test]
    fn overrun_sets_oe_and_line_status_has_priority() {
        let (u, _, line) = uart();
        wr(&u, reg::IIR_FCR, FCR_FE);
        wr(&u, reg::IER_DLM, IER_ERBFI | IER_ETBEI | IER_ELSI);
        let big = vec![b'x'; RX_FIFO_CAPACITY + 3];
        u.push_input(&big);
        assert_eq!(u.rx_free(), 0);
        assert!(line.level.load(Ordering::SeqCst));
        // RLS over RX data over THRE.
        assert_eq!(rd(&u, reg::IIR_FCR) & 0x0f, IIR_RLS);
        let lsr = rd(&u, reg::LSR);
        assert_eq!(lsr & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
        assert_eq!(rd(&u, reg::LSR) & LSR_OE, 0, "reading LSR clears OE");
        assert_eq!(rd(&u, reg::IIR_FCR) & 0x0f, IIR_RDA);
        for _ in 0..RX_FIFO_CAPACITY {
            assert_eq!(rd(&u, 0), b'x');
        }
        // Data drained: THRE is next.
        assert_eq!(rd(&u, reg::IIR_FCR) & 0x0f, IIR_THRI);
        assert_eq!(rd(&u, reg::IIR_FCR) & 0x0f, IIR_NO_INT);
        assert!(!line.level.load(Ordering::SeqCst));
    }

    #[test]
    fn thre_interrupt_semantics() {
        let (u, _, line) = uart();
        // No THRE interrupt while ETBEI is off.
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);
        // Enabling ETBEI with THR empty raises it.
        wr(&u, reg::IER_DLM, IER_ETBEI);
        assert!(line.level.load(Ordering::SeqCst));
        // Reading IIR while THRE is the source clears it.
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_THRI);
        assert!(!line.level.load(Ordering::SeqCst));
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);
        // Linux's THRE test: IER=0 then IER=THRI re-asserts it.
        wr(&u, reg::IER_DLM, 0);
        wr(&u, reg::IER_DLM, IER_ETBEI);
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_THRI);
        // Writing IER with ETBEI unchanged does not re-raise it.
        wr(&u, reg::IER_DLM, IER_ETBEI | IER_ERBFI);
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);
        // A THR write empties at once, so the interrupt comes back for the next byte.
        wr(&u, 0, b'a');
        assert!(line.level.load(Ordering::SeqCst));
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_THRI);
        // Turning ETBEI off drops it.
        wr(&u, 0, b'b');
        wr(&u, reg::IER_DLM, IER_ERBFI);
        assert!(!line.level.load(Ordering::SeqCst));
        wr(&u, reg::IER_DLM, IER_ERBFI | IER_ETBEI);
        // RX data outranks THRE and reading IIR then does not clear THRE.
        u.push_input(b"k");
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_RDA);
        assert_eq!(rd(&u, 0), b'k');
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_THRI);
    }

    /// Linux's 8250 driver on the virt board, step by step: `serial8250_do_startup` (FIFO
    /// clear, THRE and TXEN tests), then interrupt-driven transmit and receive through the
    /// PLIC (S-mode context of hart 0), with one `serial8250_handle_irq` pass per claim.
    #[test]
    fn linux_8250_driver_through_the_plic() {
        use crate::plic::Plic;
        use emu_mmu::signals::irq::SEIP;
        use emu_mmu::HartSignals;

        const IER_RLSI: u8 = IER_ELSI;
        const IER_RDI: u8 = IER_ERBFI;
        const IER_THRI: u8 = IER_ETBEI;
        let hart = Arc::new(HartSignals::default());
        let plic = Arc::new(Plic::new(vec![hart.clone()]));
        let seip = || hart.pending.load(Ordering::SeqCst) & SEIP != 0;
        let (claim, threshold) = (0x20_1004, 0x20_1000);
        plic.write(4 * u64::from(UART0_IRQ), 4, 1);
        plic.write(0x2000 + 0x80, 4, 1 << UART0_IRQ);
        plic.write(threshold, 4, 0);

        let sink = Sink::default();
        let u = Uart16550::new(Box::new(sink.clone()));
        u.connect_irq(IrqLine::new(plic.clone(), UART0_IRQ));

        // serial8250_clear_fifos, then "clear the interrupt registers".
        wr(&u, reg::IIR_FCR, FCR_FE);
        wr(&u, reg::IIR_FCR, FCR_FE | FCR_RFR | FCR_XFR);
        wr(&u, reg::IIR_FCR, 0);
        assert_ne!(rd(&u, reg::LSR), 0xff, "port present");
        for r in [reg::LSR, reg::RBR_THR_DLL, reg::IIR_FCR, reg::MSR] {
            rd(&u, r);
        }
        wr(&u, reg::LCR, 0x03);
        // The THRE test: THRE must re-assert when THRI is re-enabled with the transmitter idle,
        // or Linux falls back to a polling timer (UART_BUG_THRE).
        wr(&u, reg::IER_DLM, IER_THRI);
        let iir1 = rd(&u, reg::IIR_FCR);
        wr(&u, reg::IER_DLM, 0);
        wr(&u, reg::IER_DLM, IER_THRI);
        let iir = rd(&u, reg::IIR_FCR);
        wr(&u, reg::IER_DLM, 0);
        assert!(
            iir1 & IIR_NO_INT == 0 && iir & IIR_NO_INT == 0,
            "no UART_BUG_THRE"
        );
        wr(&u, reg::MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
        // The TXEN test.
        wr(&u, reg::IER_DLM, IER_THRI);
        let lsr = rd(&u, reg::LSR);
        let iir = rd(&u, reg::IIR_FCR);
        wr(&u, reg::IER_DLM, 0);
        assert!(
            lsr & LSR_TEMT != 0 && iir & IIR_NO_INT == 0,
            "no UART_BUG_TXEN"
        );
        let mut ier = IER_RLSI | IER_RDI;
        wr(&u, reg::IER_DLM, ier);
        // serial8250_do_set_termios: divisor and the 16550A's FCR (trigger level 8).
        wr(&u, reg::LCR, LCR_DLAB | 0x03);
        wr(&u, 0, 1);
        wr(&u, 1, 0);
        wr(&u, reg::LCR, 0x03);
        wr(&u, reg::IIR_FCR, FCR_FE | 0x80);
        assert!(!seip(), "nothing to report yet");

        // One serial8250_handle_irq pass: IIR, LSR, receive up to 256 bytes, transmit up to
        // the 16-byte FIFO size, __stop_tx when done.
        let handle_irq = |u: &Uart16550, tx: &mut &[u8], ier: &mut u8, rx: &mut Vec<u8>| {
            if rd(u, reg::IIR_FCR) & IIR_NO_INT != 0 {
                return;
            }
            let mut lsr = rd(u, reg::LSR);
            let mut budget = 256;
            while lsr & LSR_DR != 0 && budget > 0 {
                rx.push(rd(u, reg::RBR_THR_DLL));
                lsr = rd(u, reg::LSR);
                budget -= 1;
            }
            if lsr & LSR_THRE != 0 && *ier & IER_THRI != 0 {
                let n = tx.len().min(16);
                for &b in &tx[..n] {
                    wr(u, reg::RBR_THR_DLL, b);
                }
                *tx = &tx[n..];
                if tx.is_empty() {
                    *ier &= !IER_THRI;
                    wr(u, reg::IER_DLM, *ier);
                }
            }
        };
        // The hart: take SEIP, claim, run the handler, complete.
        let service = |tx: &mut &[u8], ier: &mut u8, rx: &mut Vec<u8>| {
            let mut claims = 0;
            while seip() {
                assert!(claims < 1000, "interrupt storm");
                claims += 1;
                assert_eq!(plic.read(claim, 4), u64::from(UART0_IRQ));
                assert!(!seip(), "claimed");
                handle_irq(&u, tx, ier, rx);
                plic.write(claim, 4, u64::from(UART0_IRQ));
            }
            claims
        };

        // serial8250_start_tx: enabling THRI raises the interrupt that sends everything.
        let msg: Vec<u8> = (0..100u8).map(|i| b'0' + i % 10).collect();
        let mut tx: &[u8] = &msg;
        let mut received = Vec::new();
        ier |= IER_THRI;
        wr(&u, reg::IER_DLM, ier);
        assert!(seip());
        let claims = service(&mut tx, &mut ier, &mut received);
        assert_eq!(claims, 7, "16 bytes per interrupt");
        assert_eq!(*sink.0.lock().unwrap(), msg);
        assert_eq!(ier & IER_THRI, 0);

        // Receive more than one handler pass takes: the line stays high across the
        // completion, so the PLIC's gateway makes it pending again.
        let input: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
        u.push_input(&input);
        assert!(seip());
        let claims = service(&mut tx, &mut ier, &mut received);
        assert_eq!(claims, 3, "256 + 256 + 88 bytes");
        assert_eq!(received, input);
        assert!(!u.irq_level());
        assert!(!seip());

        // serial8250_console_write: IER off, polled output, IER restored with THRI set
        // (a transmit was in flight) raises THRE again.
        ier |= IER_THRI;
        wr(&u, reg::IER_DLM, 0);
        for &b in b"printk\n" {
            assert_ne!(rd(&u, reg::LSR) & LSR_THRE, 0);
            wr(&u, reg::RBR_THR_DLL, b);
        }
        assert!(!seip());
        wr(&u, reg::IER_DLM, ier);
        assert!(seip());
    }

    #[test]
    fn irq_callback_sees_only_changes_and_late_connection() {
        let u = Uart16550::new(Box::new(std::io::sink()));
        wr(&u, reg::IER_DLM, IER_ETBEI);
        let level = Arc::new(AtomicBool::new(false));
        let l = level.clone();
        u.set_irq(Box::new(move |v| l.store(v, Ordering::SeqCst)));
        assert!(level.load(Ordering::SeqCst), "connected while asserted");

        let (u, _, line) = uart();
        let start = line.edges.load(Ordering::SeqCst);
        u.push_input(b"1");
        u.push_input(b"2");
        wr(&u, reg::SCR, 5);
        assert_eq!(line.edges.load(Ordering::SeqCst), start, "nothing enabled");
        wr(&u, reg::IER_DLM, IER_ERBFI);
        u.push_input(b"3");
        assert_eq!(line.edges.load(Ordering::SeqCst), start + 1);
        assert_eq!(rd(&u, reg::SCR), 5);
    }

    #[test]
    fn loopback_and_modem_status() {
        let (u, sink, _) = uart();
        assert_eq!(rd(&u, reg::MCR), MCR_OUT2);
        assert_eq!(rd(&u, reg::MSR), MSR_CONNECTED);
        wr(&u, reg::MCR, MCR_LOOP | MCR_RTS);
        let msr = rd(&u, reg::MSR);
        assert_eq!(msr & 0xf0, MSR_CTS);
        assert_eq!(msr & 0x0f, MSR_DDSR | MSR_DDCD, "DSR and DCD dropped");
        assert_eq!(rd(&u, reg::MSR) & 0x0f, 0, "deltas clear on read");
        wr(&u, 0, 0x5a);
        u.push_input(b"ignored");
        assert!(sink.0.lock().unwrap().is_empty());
        assert_eq!(rd(&u, reg::LSR) & LSR_DR, LSR_DR);
        assert_eq!(rd(&u, 0), 0x5a);
        assert_eq!(rd(&u, reg::LSR) & LSR_DR, 0);
        // Modem status interrupt.
        wr(&u, reg::IER_DLM, IER_EDSSI);
        wr(&u, reg::MCR, MCR_LOOP | MCR_RTS | MCR_DTR);
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_MSI);
        rd(&u, reg::MSR);
        assert_eq!(rd(&u, reg::IIR_FCR), IIR_NO_INT);
    }

    #[test]
    fn unknown_offsets() {
        let (u, sink, _) = uart();
        for off in [8, 0x10, 0xff, 0x100, u64::MAX] {
            u.write(off, 1, 0x41);
            assert_eq!(u.read(off, 8), 0);
        }
        assert!(sink.0.lock().unwrap().is_empty());
    }

    proptest::proptest! {
        /// Random register traffic: never panics, LSR.THRE/TEMT stay set, and the line the
        /// callback last saw is the level the UART reports.
        #[test]
        fn random_accesses_never_panic(
            ops in proptest::collection::vec(
                (0u8..4, 0u64..0x110, 0usize..10, proptest::num::u64::ANY), 0..200)
        ) {
            let (u, _, line) = uart();
            for (kind, off, size, value) in ops {
                match kind {
                    0 => { u.read(off, size); }
                    1 => u.write(off, size, value),
                    2 => u.push_input(&value.to_le_bytes()[..size.min(8)]),
                    _ => { u.read(off.wrapping_mul(value), size); }
                }
                proptest::prop_assert_eq!(line.level.load(Ordering::SeqCst), u.irq_level());
                let lcr = rd(&u, reg::LCR);
                proptest::prop_assert_eq!(lcr, u.lock().lcr);
                let lsr = u.lock().lsr();
                proptest::prop_assert_eq!(lsr & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
            }
        }
    }
}
