//! The Goldfish real-time clock of QEMU's `virt` board ("google,goldfish-rtc"), at
//! [`RTC_BASE`], wired to PLIC source [`RTC_IRQ`].
//!
//! Register map (QEMU `hw/rtc/goldfish_rtc.c`, Linux `drivers/rtc/rtc-goldfish.c`); all
//! registers are 32 bits wide, times are nanoseconds since the Unix epoch:
//!
//! | offset | read                                  | write                              |
//! |--------|---------------------------------------|------------------------------------|
//! | 0x00   | TIME_LOW (latches TIME_HIGH)          | TIME_LOW: sets the low half        |
//! | 0x04   | TIME_HIGH as latched                  | TIME_HIGH: sets the high half      |
//! | 0x08   | ALARM_LOW                             | ALARM_LOW: sets it and arms        |
//! | 0x0c   | ALARM_HIGH                            | ALARM_HIGH (arms nothing)          |
//! | 0x10   | IRQ_ENABLED                           | IRQ_ENABLED (bit 0)                |
//! | 0x14   | 0                                     | CLEAR_ALARM: disarms               |
//! | 0x18   | ALARM_STATUS: 1 while armed           | ignored                            |
//! | 0x1c   | 0                                     | CLEAR_INTERRUPT                    |
//!
//! Guest time is the host wall clock plus an offset; writing a TIME half moves the offset
//! so that the half reads back as written (QEMU's `tick_offset`). Linux writes TIME_HIGH
//! then TIME_LOW, and ALARM_HIGH then ALARM_LOW.
//!
//! An armed alarm whose time has come (or is already past when armed) disarms and sets the
//! interrupt pending; the line is high while pending and IRQ_ENABLED. The wait happens on
//! the device's own thread, which sleeps until the alarm is due (design decision 12);
//! register accesses also check the alarm so that a guest polling ALARM_STATUS sees it exact.
//!
//! Accesses that are not 32-bit and aligned (QEMU accepts only those) read 0 and ignore
//! writes, as do unknown offsets.
//!
//! Lock order: the RTC's state lock, then whatever the [`IrqLine`] takes (the PLIC's lock).

use crate::irq::IrqLine;
use emu_mmu::Mmio;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub const RTC_BASE: u64 = 0x10_1000;
pub const RTC_SIZE: u64 = 0x1000;
/// The PLIC interrupt source of the RTC on QEMU's `virt` board.
pub const RTC_IRQ: u32 = 11;

mod reg {
    pub const TIME_LOW: u64 = 0x00;
    pub const TIME_HIGH: u64 = 0x04;
    pub const ALARM_LOW: u64 = 0x08;
    pub const ALARM_HIGH: u64 = 0x0c;
    pub const IRQ_ENABLED: u64 = 0x10;
    pub const CLEAR_ALARM: u64 = 0x14;
    pub const ALARM_STATUS: u64 = 0x18;
    pub const CLEAR_INTERRUPT: u64 = 0x1c;
}

/// The longest the alarm thread sleeps before looking at the wall clock again, so that a
/// host clock step (NTP, suspend) delays an alarm by at most this much.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// Host wall-clock time in ns since the Unix epoch (0 for a clock set before 1970).
fn host_ns() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[derive(Debug)]
struct RtcState {
    /// Guest time minus host time, in ns; wide so that no value the guest writes wraps.
    offset: i128,
    /// TIME_HIGH as latched by the last TIME_LOW read.
    time_high: u32,
    alarm_next: u64,
    alarm_running: bool,
    irq_enabled: bool,
    irq_pending: bool,
    /// The level last driven on the line.
    level: bool,
    shutdown: bool,
}

impl RtcState {
    fn now(&self) -> u64 {
        // Truncation is the 64-bit counter wrapping, as QEMU's does.
        (i128::from(host_ns()) + self.offset) as u64
    }

    fn set_now(&mut self, new: u64) {
        let host = i128::from(host_ns());
        self.offset = i128::from(new) - host;
    }
}

struct Shared {
    state: Mutex<RtcState>,
    /// Wakes the alarm thread when the alarm, the time or the shutdown flag changes.
    wake: Condvar,
    line: IrqLine,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, RtcState> {
        // The state stays consistent across a panic elsewhere; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_irq(&self, st: &mut RtcState) {
        let level = st.irq_pending && st.irq_enabled;
        if level != st.level {
            st.level = level;
            self.line.set(level);
        }
    }

    /// Fires an armed alarm that is due (QEMU's `goldfish_rtc_raise_alarm`).
    fn poll_alarm(&self, st: &mut RtcState) {
        if st.alarm_running && st.now() >= st.alarm_next {
            st.alarm_running = false;
            st.irq_pending = true;
            self.update_irq(st);
        }
    }

    /// The alarm thread: sleeps until the armed alarm is due, or until woken.
    fn run(&self) {
        let mut st = self.lock();
        while !st.shutdown {
            self.poll_alarm(&mut st);
            st = if st.alarm_running {
                let left = Duration::from_nanos(st.alarm_next.saturating_sub(st.now()));
                self.wake
                    .wait_timeout(st, left.min(MAX_SLEEP))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            } else {
                self.wake.wait(st).unwrap_or_else(|e| e.into_inner())
            };
        }
    }
}

pub struct GoldfishRtc {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GoldfishRtc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoldfishRtc")
            .field("state", &*self.shared.lock())
            .field("line", &self.shared.line)
            .finish()
    }
}

impl GoldfishRtc {
    /// An RTC showing the host's wall-clock time, raising `line` on alarms. Starts the
    /// alarm thread ("rtc"), which stops when the device is dropped.
    pub fn new(line: IrqLine) -> std::io::Result<GoldfishRtc> {
        let shared = Arc::new(Shared {
            state: Mutex::new(RtcState {
                offset: 0,
                time_high: 0,
                alarm_next: 0,
                alarm_running: false,
                irq_enabled: false,
                irq_pending: false,
                level: false,
                shutdown: false,
            }),
            wake: Condvar::new(),
            line,
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("rtc".into())
            .spawn(move || s.run())?;
        Ok(GoldfishRtc {
            shared,
            thread: Some(thread),
        })
    }

    /// The guest's current time in ns since the Unix epoch.
    pub fn now_ns(&self) -> u64 {
        self.shared.lock().now()
    }
}

impl Drop for GoldfishRtc {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            // The thread only waits and fires alarms; a panic there has nothing to report.
            let _ = t.join();
        }
    }
}

fn low(v: u64) -> u64 {
    v & 0xffff_ffff
}

fn set_low(v: u64, low: u64) -> u64 {
    (v & !0xffff_ffff) | (low & 0xffff_ffff)
}

fn set_high(v: u64, high: u64) -> u64 {
    (v & 0xffff_ffff) | (high << 32)
}

impl Mmio for GoldfishRtc {
    fn read(&self, offset: u64, size: usize) -> u64 {
        if size != 4 {
            return 0;
        }
        let sh = &*self.shared;
        let mut st = sh.lock();
        sh.poll_alarm(&mut st);
        match offset {
            reg::TIME_LOW => {
                let now = st.now();
                st.time_high = (now >> 32) as u32;
                low(now)
            }
            reg::TIME_HIGH => u64::from(st.time_high),
            reg::ALARM_LOW => low(st.alarm_next),
            reg::ALARM_HIGH => st.alarm_next >> 32,
            reg::IRQ_ENABLED => u64::from(st.irq_enabled),
            reg::ALARM_STATUS => u64::from(st.alarm_running),
            _ => 0,
        }
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        if size != 4 {
            return;
        }
        let value = value & 0xffff_ffff;
        let sh = &*self.shared;
        let mut st = sh.lock();
        match offset {
            reg::TIME_LOW => {
                let now = st.now();
                st.set_now(set_low(now, value));
            }
            reg::TIME_HIGH => {
                let now = st.now();
                st.set_now(set_high(now, value));
            }
            reg::ALARM_LOW => {
                st.alarm_next = set_low(st.alarm_next, value);
                // Arming happens on the low half (QEMU's goldfish_rtc_set_alarm); an alarm
                // already due fires at once through poll_alarm below.
                st.alarm_running = true;
            }
            reg::ALARM_HIGH => st.alarm_next = set_high(st.alarm_next, value),
            reg::IRQ_ENABLED => {
                st.irq_enabled = value & 1 != 0;
                sh.update_irq(&mut st);
            }
            reg::CLEAR_ALARM => st.alarm_running = false,
            reg::CLEAR_INTERRUPT => {
                st.irq_pending = false;
                sh.update_irq(&mut st);
            }
            _ => return,
        }
        sh.poll_alarm(&mut st);
        drop(st);
        // The alarm or the time moved: the thread recomputes how long to sleep.
        sh.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irq::IrqSink;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Instant;

    #[derive(Default)]
    struct Recorder {
        level: AtomicBool,
        edges: AtomicUsize,
    }

    impl IrqSink for Recorder {
        fn set_irq(&self, irq: u32, level: bool) {
            assert_eq!(irq, RTC_IRQ);
            self.level.store(level, Ordering::SeqCst);
            self.edges.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn rtc() -> (GoldfishRtc, Arc<Recorder>) {
        let rec = Arc::new(Recorder::default());
        let rtc = GoldfishRtc::new(IrqLine::new(rec.clone(), RTC_IRQ)).unwrap();
        (rtc, rec)
    }

    fn read_time(r: &GoldfishRtc) -> u64 {
        let lo = r.read(reg::TIME_LOW, 4);
        let hi = r.read(reg::TIME_HIGH, 4);
        hi << 32 | lo
    }

    fn set_alarm(r: &GoldfishRtc, t: u64) {
        r.write(reg::ALARM_HIGH, 4, t >> 32);
        r.write(reg::ALARM_LOW, 4, t);
    }

    fn wait_for(cond: impl Fn() -> bool, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        cond()
    }

    #[test]
    fn time_is_the_host_wall_clock() {
        let (r, _) = rtc();
        assert_eq!(r.read(reg::TIME_HIGH, 4), 0, "nothing latched yet");
        let before = host_ns();
        let t = read_time(&r);
        let after = host_ns();
        assert!((before..=after).contains(&t), "{before} {t} {after}");
        // TIME_HIGH stays latched until the next TIME_LOW read.
        assert_eq!(r.read(reg::TIME_HIGH, 4), t >> 32);
    }

    #[test]
    fn guest_sets_the_time_as_linux_does() {
        let (r, _) = rtc();
        // 2001-09-09T01:46:40Z.
        let target: u64 = 1_000_000_000 * 1_000_000_000;
        r.write(reg::TIME_HIGH, 4, target >> 32);
        r.write(reg::TIME_LOW, 4, target & 0xffff_ffff);
        let t = read_time(&r);
        assert!(
            (target..target + 1_000_000_000).contains(&t),
            "{target} -> {t}"
        );
        assert!(r.now_ns() >= t);
        // Back to 1970.
        r.write(reg::TIME_HIGH, 4, 0);
        r.write(reg::TIME_LOW, 4, 5);
        assert!(read_time(&r) < 1_000_000_000);
    }

    #[test]
    fn past_alarm_fires_at_once_and_irq_follows_enable() {
        let (r, rec) = rtc();
        let now = read_time(&r);
        set_alarm(&r, now - 1);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 0, "fired and disarmed");
        assert!(!rec.level.load(Ordering::SeqCst), "IRQ_ENABLED is 0");
        r.write(reg::IRQ_ENABLED, 4, 1);
        assert_eq!(r.read(reg::IRQ_ENABLED, 4), 1);
        assert!(rec.level.load(Ordering::SeqCst), "pending and enabled");
        r.write(reg::CLEAR_INTERRUPT, 4, 0);
        assert!(!rec.level.load(Ordering::SeqCst));
        assert_eq!(r.read(reg::ALARM_LOW, 4), (now - 1) & 0xffff_ffff);
        assert_eq!(r.read(reg::ALARM_HIGH, 4), (now - 1) >> 32);
    }

    #[test]
    fn future_alarm_fires_from_the_thread() {
        let (r, rec) = rtc();
        r.write(reg::IRQ_ENABLED, 4, 1);
        let start = Instant::now();
        set_alarm(&r, read_time(&r) + 30_000_000);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 1);
        assert!(!rec.level.load(Ordering::SeqCst));
        // Nobody touches the registers: only the thread can raise the line.
        assert!(wait_for(
            || rec.level.load(Ordering::SeqCst),
            Duration::from_secs(5)
        ));
        assert!(start.elapsed() >= Duration::from_millis(29));
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 0);
        assert_eq!(rec.edges.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn alarm_follows_guest_time_not_host_time() {
        let (r, rec) = rtc();
        r.write(reg::IRQ_ENABLED, 4, 1);
        r.write(reg::TIME_HIGH, 4, 0);
        r.write(reg::TIME_LOW, 4, 1_000_000_000);
        // 20 ms into guest time, though the host's clock is decades past it.
        set_alarm(&r, read_time(&r) + 20_000_000);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 1);
        assert!(!rec.level.load(Ordering::SeqCst));
        assert!(wait_for(
            || rec.level.load(Ordering::SeqCst),
            Duration::from_secs(5)
        ));
    }

    #[test]
    fn clear_alarm_disarms() {
        let (r, rec) = rtc();
        r.write(reg::IRQ_ENABLED, 4, 1);
        set_alarm(&r, read_time(&r) + 20_000_000);
        r.write(reg::CLEAR_ALARM, 4, 1);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 0);
        std::thread::sleep(Duration::from_millis(60));
        assert!(!rec.level.load(Ordering::SeqCst));
        assert_eq!(rec.edges.load(Ordering::SeqCst), 0);
        // Writing only ALARM_HIGH does not arm.
        r.write(reg::ALARM_HIGH, 4, 0);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 0);
        assert!(!rec.level.load(Ordering::SeqCst));
    }

    #[test]
    fn drop_stops_the_thread_promptly() {
        let (r, _) = rtc();
        set_alarm(&r, u64::MAX);
        let start = Instant::now();
        drop(r);
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn bad_accesses_are_ignored() {
        let (r, rec) = rtc();
        for (off, size) in [
            (reg::TIME_LOW, 8),
            (reg::TIME_LOW, 2),
            (reg::IRQ_ENABLED, 1),
            (0x2, 4),
            (0x20, 4),
            (0xffc, 4),
            (u64::MAX, 4),
        ] {
            r.write(off, size, u64::MAX);
            assert_eq!(r.read(off, size), 0, "{off:#x}/{size}");
        }
        assert_eq!(r.read(reg::IRQ_ENABLED, 4), 0);
        assert_eq!(r.read(reg::ALARM_STATUS, 4), 0);
        assert!(!rec.level.load(Ordering::SeqCst));
        let t = read_time(&r);
        assert!(t.abs_diff(host_ns()) < 1_000_000_000, "time untouched");
    }

    proptest::proptest! {
        /// Random register traffic never panics, and the line is high exactly when an
        /// interrupt is pending and enabled.
        #[test]
        fn random_accesses_never_panic(
            ops in proptest::collection::vec(
                (proptest::bool::ANY, 0u64..0x24, 0usize..9, proptest::num::u64::ANY), 0..100)
        ) {
            let (r, rec) = rtc();
            for (write, off, size, value) in ops {
                if write {
                    r.write(off, size, value);
                } else {
                    r.read(off, size);
                }
                let st = r.shared.lock();
                proptest::prop_assert_eq!(
                    rec.level.load(Ordering::SeqCst),
                    st.irq_pending && st.irq_enabled
                );
            }
        }
    }
}
