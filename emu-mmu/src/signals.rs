//! How devices and other threads reach a hart, and the machine-wide clock.
//!
//! Design decision 7: device threads set pending bits atomically and raise `attention`; the
//! hart checks `attention` at every block boundary. A hart in WFI sleeps on a condition
//! variable until `kick` or its timer deadline.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The virt board's timebase: mtime counts at 10 MHz from the host monotonic clock.
pub const TIMEBASE_HZ: u64 = 10_000_000;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start: Instant::now(),
        }
    }
}

impl Clock {
    /// mtime: ticks of the 10 MHz timebase since the machine started.
    pub fn mtime(&self) -> u64 {
        (self.start.elapsed().as_nanos() / (1_000_000_000 / TIMEBASE_HZ as u128)) as u64
    }

    /// The host instant at which mtime reaches `ticks` (saturating far in the future).
    pub fn instant_of(&self, ticks: u64) -> Instant {
        let ns = (ticks as u128) * (1_000_000_000 / TIMEBASE_HZ as u128);
        let ns = ns.min(u64::MAX as u128 / 4) as u64;
        self.start + Duration::from_nanos(ns)
    }
}

/// Interrupt-pending bits of mip, numbered as in the privileged spec.
pub mod irq {
    pub const SSIP: u64 = 1 << 1;
    pub const MSIP: u64 = 1 << 3;
    pub const STIP: u64 = 1 << 5;
    pub const MTIP: u64 = 1 << 7;
    pub const SEIP: u64 = 1 << 9;
    pub const MEIP: u64 = 1 << 11;
}

/// Per-hart shared state that devices (CLINT, PLIC) and other harts write.
#[derive(Debug)]
pub struct HartSignals {
    /// mip bits driven by devices (MSIP, MEIP, SEIP). Software-writable bits live in the hart.
    pub pending: AtomicU64,
    /// The CLINT's mtimecmp for this hart; the hart derives MTIP from it and the clock.
    pub mtimecmp: AtomicU64,
    /// Raised whenever the hart should leave its fast loop and look at its signals.
    pub attention: AtomicBool,
    sleep: Mutex<bool>,
    wake: Condvar,
}

impl Default for HartSignals {
    fn default() -> Self {
        HartSignals {
            pending: AtomicU64::new(0),
            mtimecmp: AtomicU64::new(u64::MAX),
            attention: AtomicBool::new(false),
            sleep: Mutex::new(false),
            wake: Condvar::new(),
        }
    }
}

impl HartSignals {
    pub fn set_pending(&self, bits: u64) {
        self.pending.fetch_or(bits, Ordering::SeqCst);
        self.kick();
    }

    pub fn clear_pending(&self, bits: u64) {
        self.pending.fetch_and(!bits, Ordering::SeqCst);
    }

    pub fn set_mtimecmp(&self, value: u64) {
        self.mtimecmp.store(value, Ordering::SeqCst);
        self.kick();
    }

    /// Raises `attention` and wakes the hart if it sleeps in WFI.
    pub fn kick(&self) {
        self.attention.store(true, Ordering::SeqCst);
        let mut woken = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
        *woken = true;
        self.wake.notify_all();
    }

    /// Sleeps until `kick` or `deadline`. Returns at once if a kick came since the last sleep.
    pub fn sleep_until(&self, deadline: Option<Instant>) {
        let mut woken = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
        while !*woken {
            match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    woken = self
                        .wake
                        .wait_timeout(woken, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                None => woken = self.wake.wait(woken).unwrap_or_else(|e| e.into_inner()),
            }
        }
        *woken = false;
    }
}

/// Machine-wide run control: a device (HTIF, power control) or the console asks every hart
/// to stop, with the exit status rvx should return.
#[derive(Debug, Default)]
pub struct MachineControl {
    stop: AtomicBool,
    exit_code: AtomicI32,
    reset: AtomicBool,
}

impl MachineControl {
    pub fn request_exit(&self, code: i32) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            self.exit_code.store(code, Ordering::SeqCst);
        }
    }

    pub fn request_reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn reset_requested(&self) -> bool {
        self.reset.load(Ordering::SeqCst)
    }

    /// Clears a reset request and the stop it implied, before the machine starts again.
    pub fn clear_reset(&self) {
        self.reset.store(false, Ordering::SeqCst);
        self.stop.store(false, Ordering::SeqCst);
    }

    pub fn exit_code(&self) -> i32 {
        self.exit_code.load(Ordering::SeqCst)
    }
}
