//! How devices and other threads reach a hart, and the machine-wide clock.
//!
//! Design decision 7: device threads set pending bits atomically and raise `attention`; the
//! hart checks `attention` at every block boundary. A hart in WFI sleeps on a condition
//! variable until `kick` or its timer deadline.
//!
//! Cross-hart requests (SMP, design decision 10): another hart, the built-in SBI or a device
//! posts a request (raise SSIP, flush the TLB, fence.i, drop the blocks of a written code
//! page); the target takes and services them at its next block boundary, or while it sleeps
//! in WFI, and then bumps a completion counter a requester can wait on (SBI RFENCE returns
//! only after the remote harts flushed).

use std::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
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
        ticks_of(self.start.elapsed())
    }

    /// The host instant at which mtime reaches `ticks` (saturating far in the future).
    pub fn instant_of(&self, ticks: u64) -> Instant {
        let ns = (ticks as u128) * (1_000_000_000 / TIMEBASE_HZ as u128);
        let ns = ns.min(u64::MAX as u128 / 4) as u64;
        self.start + Duration::from_nanos(ns)
    }
}

/// Timebase ticks in `d`, truncated, modulo 2^64: the same value as
/// `(d.as_nanos() / 100) as u64`, without the u128 division (`__udivti3`) that showed in
/// profiles of the hart's interrupt checks. A second is a whole number of ticks, so the
/// seconds and the sub-second nanoseconds convert separately; wrapping arithmetic matches the
/// `as u64` truncation (unreachable in practice: 2^64 ticks are 58,000 years).
fn ticks_of(d: Duration) -> u64 {
    const NS_PER_TICK: u32 = (1_000_000_000 / TIMEBASE_HZ) as u32;
    const _: () = assert!(1_000_000_000 % TIMEBASE_HZ == 0);
    d.as_secs()
        .wrapping_mul(TIMEBASE_HZ)
        .wrapping_add((d.subsec_nanos() / NS_PER_TICK) as u64)
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
    /// Requests from other threads, taken by the hart at a block boundary.
    requests: Mutex<Requests>,
    /// Mirrors "`requests` holds something", so the hart need not lock on every attention.
    has_requests: AtomicBool,
    /// Notified when the hart finished servicing a batch of requests.
    serviced: Condvar,
    /// The hart is not running guest code and will not service requests until it is started
    /// again (HSM stopped, or not yet started): waiters do not wait for it.
    parked: AtomicBool,
}

/// Kinds of cross-hart request, as bits of [`TakenRequests::kinds`].
pub mod request {
    /// Set mip.SSIP (the SBI IPI extension's send_ipi).
    pub const SSIP: u32 = 1 << 0;
    /// Flush the whole TLB (remote sfence.vma; ranged and ASID forms flush everything).
    pub const TLB_FLUSH: u32 = 1 << 1;
    /// Drop every decoded block and translation (remote fence.i).
    pub const FENCE_I: u32 = 1 << 2;
    /// Some page became a code page in the machine-wide code map: stores the hart makes
    /// through TLB write entries filled before that must now take the slow path.
    pub const CODE_MARKED: u32 = 1 << 3;
}

/// More written code pages than this queued on one hart turn into a whole fence.i.
const MAX_QUEUED_PAGES: usize = 64;

#[derive(Debug, Default)]
struct Requests {
    kinds: u32,
    /// Physical pages (page-aligned) whose decoded blocks the hart must drop.
    code_written: Vec<u64>,
    /// Requests posted so far; a request's ticket is this count just after posting it.
    posted: u64,
    /// Requests serviced: every ticket up to this one.
    done: u64,
}

/// Identifies a posted request, to wait for its completion with
/// [`HartSignals::wait_serviced`] (or `Hart::wait_for_remote` on a hart's own thread).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

/// A batch of requests the hart took; it services them, then calls
/// [`HartSignals::complete`].
#[derive(Debug, Default)]
pub struct TakenRequests {
    /// [`request`] bits.
    pub kinds: u32,
    /// Physical pages whose blocks must be dropped (empty when `FENCE_I` is set).
    pub code_written: Vec<u64>,
    upto: u64,
}

impl Default for HartSignals {
    fn default() -> Self {
        HartSignals {
            pending: AtomicU64::new(0),
            mtimecmp: AtomicU64::new(u64::MAX),
            attention: AtomicBool::new(false),
            sleep: Mutex::new(false),
            wake: Condvar::new(),
            requests: Mutex::new(Requests::default()),
            has_requests: AtomicBool::new(false),
            serviced: Condvar::new(),
            parked: AtomicBool::new(false),
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

    fn lock_requests(&self) -> MutexGuard<'_, Requests> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Posts a request built by `add`, then kicks the hart. Returns the request's ticket.
    fn post(&self, add: impl FnOnce(&mut Requests)) -> Ticket {
        let ticket = {
            let mut r = self.lock_requests();
            add(&mut r);
            r.posted += 1;
            self.has_requests.store(true, Ordering::SeqCst);
            Ticket(r.posted)
        };
        self.kick();
        ticket
    }

    /// Asks the hart to set mip.SSIP (a supervisor software interrupt; the SBI's send_ipi).
    /// The bit is software-writable: the guest clears it as usual.
    pub fn request_ssip(&self) -> Ticket {
        self.post(|r| r.kinds |= request::SSIP)
    }

    /// Asks the hart to flush its whole TLB (remote sfence.vma).
    pub fn request_tlb_flush(&self) -> Ticket {
        self.post(|r| r.kinds |= request::TLB_FLUSH)
    }

    /// Asks the hart to drop every decoded block and translation (remote fence.i).
    pub fn request_fence_i(&self) -> Ticket {
        self.post(|r| r.kinds |= request::FENCE_I)
    }

    /// Asks the hart to drop its blocks on physical page `ppage` (someone wrote it).
    pub fn request_code_written(&self, ppage: u64) -> Ticket {
        self.post(|r| {
            if r.kinds & request::FENCE_I != 0 {
                return;
            }
            let page = ppage & crate::PAGE_MASK;
            if r.code_written.contains(&page) {
                return;
            }
            if r.code_written.len() >= MAX_QUEUED_PAGES {
                r.code_written.clear();
                r.kinds |= request::FENCE_I;
            } else {
                r.code_written.push(page);
            }
        })
    }

    /// Tells the hart that a page became a code page (see [`request::CODE_MARKED`]).
    pub fn request_code_marked(&self) -> Ticket {
        self.post(|r| r.kinds |= request::CODE_MARKED)
    }

    /// Takes every posted request (the hart's side, at a block boundary). None if there are
    /// none, without locking.
    pub fn take_requests(&self) -> Option<TakenRequests> {
        // The hart read `attention` relaxed; this fence pairs with the release in `kick` so
        // that a request whose kick it saw is visible here.
        fence(Ordering::Acquire);
        if !self.has_requests.load(Ordering::Acquire) {
            return None;
        }
        let mut r = self.lock_requests();
        self.has_requests.store(false, Ordering::SeqCst);
        Some(TakenRequests {
            kinds: std::mem::take(&mut r.kinds),
            code_written: std::mem::take(&mut r.code_written),
            upto: r.posted,
        })
    }

    /// Marks the requests of `taken` serviced and wakes their waiters.
    pub fn complete(&self, taken: &TakenRequests) {
        let mut r = self.lock_requests();
        r.done = r.done.max(taken.upto);
        self.serviced.notify_all();
    }

    /// True once the request of `ticket` has been serviced.
    pub fn is_serviced(&self, ticket: Ticket) -> bool {
        self.lock_requests().done >= ticket.0
    }

    /// Waits up to `timeout` for the request of `ticket` to be serviced. Returns true when
    /// it was, or when the hart is parked (it will not service anything until restarted, and
    /// a restart resets its TLB and blocks anyway). Call this only from a thread that is not
    /// itself a hart others may wait on; a hart's own thread uses `Hart::wait_for_remote`,
    /// which keeps servicing its own requests meanwhile.
    pub fn wait_serviced(&self, ticket: Ticket, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut r = self.lock_requests();
        loop {
            if r.done >= ticket.0 || self.is_parked() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            r = self
                .serviced
                .wait_timeout(r, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Marks the hart parked (not running guest code: stopped through SBI HSM, or not yet
    /// started) or running. Requesters do not wait for a parked hart; its requests stay
    /// queued until it runs again.
    pub fn set_parked(&self, parked: bool) {
        self.parked.store(parked, Ordering::SeqCst);
        if parked {
            // Wake waiters so they notice.
            let _r = self.lock_requests();
            self.serviced.notify_all();
        }
    }

    pub fn is_parked(&self) -> bool {
        self.parked.load(Ordering::SeqCst)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_taken_once_and_tickets_complete() {
        let s = HartSignals::default();
        assert!(s.take_requests().is_none());
        let t1 = s.request_ssip();
        let t2 = s.request_tlb_flush();
        assert!(
            s.attention.load(Ordering::SeqCst),
            "a request kicks the hart"
        );
        assert!(!s.is_serviced(t1));
        let r = s.take_requests().expect("two requests");
        assert_eq!(r.kinds, request::SSIP | request::TLB_FLUSH);
        assert!(s.take_requests().is_none(), "taken once");
        // A request posted after the take is not covered by completing the batch.
        let t3 = s.request_fence_i();
        s.complete(&r);
        assert!(s.is_serviced(t1) && s.is_serviced(t2));
        assert!(!s.is_serviced(t3));
        assert!(!s.wait_serviced(t3, Duration::from_millis(1)));
        let r = s.take_requests().expect("the fence.i");
        assert_eq!(r.kinds, request::FENCE_I);
        s.complete(&r);
        assert!(s.wait_serviced(t3, Duration::ZERO));
    }

    #[test]
    fn ticks_match_the_u128_division() {
        let reference = |d: Duration| (d.as_nanos() / 100) as u64;
        let secs = [
            0,
            1,
            59,
            3600,
            1 << 32,
            u64::MAX / TIMEBASE_HZ,
            u64::MAX / TIMEBASE_HZ + 1,
            u64::MAX / 1_000_000_000,
            u64::MAX - 1,
            u64::MAX,
        ];
        let nanos = [
            0,
            1,
            99,
            100,
            101,
            199,
            12_345_678,
            999_999_900,
            999_999_999,
        ];
        for s in secs {
            for n in nanos {
                let d = Duration::new(s, n);
                assert_eq!(ticks_of(d), reference(d), "{d:?}");
            }
        }
        assert_eq!(ticks_of(Duration::from_nanos(1_234_567_899)), 12_345_678);
    }

    #[test]
    fn too_many_written_pages_become_a_fence_i() {
        let s = HartSignals::default();
        s.request_code_written(0x8000_1234);
        s.request_code_written(0x8000_1000);
        let r = s.take_requests().expect("one page");
        assert_eq!(r.code_written, vec![0x8000_1000], "page-aligned, once");
        for i in 0..=MAX_QUEUED_PAGES as u64 {
            s.request_code_written(0x8000_0000 + i * 0x1000);
        }
        let r = s.take_requests().expect("overflowed");
        assert_eq!(r.kinds, request::FENCE_I);
        assert!(r.code_written.is_empty());
    }
}
