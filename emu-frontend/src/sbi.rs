//! The built-in SBI (RISC-V Supervisor Binary Interface, v2.0): what `rvx --kernel Image`
//! answers an S-mode `ecall` with when no firmware is loaded (design decision 11).
//!
//! Extensions: Base, Timer (TIME), IPI, RFENCE (fence.i and sfence.vma; not the hfence
//! functions, rvx has no H), HSM, System Reset (SRST), Debug Console (DBCN), and the legacy
//! set_timer, console_putchar, console_getchar and shutdown calls.
//!
//! The hart runs with `Hart::set_sbi(true)`: an S-mode `ecall` ends `run()` with
//! `Exit::Sbi` and pc already past the `ecall`; [`handle_ecall`] reads a7 (extension),
//! a6 (function) and a0-a5, writes a0 (error) and a1 (value) (SBI spec, chapter 3 "Binary
//! Encoding"), and says in its [`SbiAction`] what the hart's thread does next. Everything
//! that reaches beyond the calling hart goes through [`SbiMachine`], which the machine
//! implements; hart states for HSM live in [`Hsm`], shared by all harts.
//!
//! Implementation ID: rvx is not in the SBI spec's registry of implementation IDs (0-11 are
//! taken: BBL, OpenSBI, Xvisor, KVM, RustSBI, Diosix, Coffer, Xen, PolarFire HSS, coreboot,
//! oreboot, bhyve). It answers [`SBI_IMPL_ID`] = 0x727678, "rvx" in ASCII, far above the
//! registered range so it will not collide with a later registration.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// `sbi_get_spec_version`: major 2 (bits 30:24), minor 0.
pub const SBI_SPEC_VERSION: u64 = 2 << 24;
/// `sbi_get_impl_id`: "rvx" in ASCII (see the module comment).
pub const SBI_IMPL_ID: u64 = 0x72_7678;
/// `sbi_get_impl_version`: the crate version as major << 16 | minor << 8 | patch.
pub const SBI_IMPL_VERSION: u64 = impl_version();

const fn impl_version() -> u64 {
    const fn num(s: &str) -> u64 {
        let b = s.as_bytes();
        let mut v = 0;
        let mut i = 0;
        while i < b.len() {
            v = v * 10 + (b[i] - b'0') as u64;
            i += 1;
        }
        v
    }
    (num(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
        | (num(env!("CARGO_PKG_VERSION_MINOR")) << 8)
        | num(env!("CARGO_PKG_VERSION_PATCH"))
}

/// Extension IDs (a7), SBI spec chapters 4-12.
pub mod eid {
    pub const LEGACY_SET_TIMER: u64 = 0x00;
    pub const LEGACY_CONSOLE_PUTCHAR: u64 = 0x01;
    pub const LEGACY_CONSOLE_GETCHAR: u64 = 0x02;
    pub const LEGACY_SHUTDOWN: u64 = 0x08;
    pub const BASE: u64 = 0x10;
    /// "TIME"
    pub const TIME: u64 = 0x5449_4d45;
    /// "sPI"
    pub const IPI: u64 = 0x73_5049;
    /// "RFNC"
    pub const RFENCE: u64 = 0x5246_4e43;
    /// "HSM"
    pub const HSM: u64 = 0x48_534d;
    /// "SRST"
    pub const SRST: u64 = 0x5352_5354;
    /// "DBCN"
    pub const DBCN: u64 = 0x4442_434e;
}

/// The extensions `probe_extension` reports as present.
pub const SUPPORTED_EXTENSIONS: [u64; 11] = [
    eid::LEGACY_SET_TIMER,
    eid::LEGACY_CONSOLE_PUTCHAR,
    eid::LEGACY_CONSOLE_GETCHAR,
    eid::LEGACY_SHUTDOWN,
    eid::BASE,
    eid::TIME,
    eid::IPI,
    eid::RFENCE,
    eid::HSM,
    eid::SRST,
    eid::DBCN,
];

/// The standard SBI errors (SBI spec 3.2, table 1) this implementation returns in a0
/// (DENIED -4, ALREADY_STARTED -7, ALREADY_STOPPED -8 and NO_SHMEM -9 belong to calls rvx
/// does not implement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum SbiError {
    Failed = -1,
    NotSupported = -2,
    InvalidParam = -3,
    InvalidAddress = -5,
    AlreadyAvailable = -6,
}

/// HSM hart states (SBI spec 9, table "HSM Hart States"). STOP_PENDING (3),
/// SUSPEND_PENDING (5) and RESUME_PENDING (6) never show: rvx's stop, suspend and resume
/// take effect before the call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum HartStatus {
    Started = 0,
    Stopped = 1,
    StartPending = 2,
    Suspended = 4,
}

/// SRST `reset_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetType {
    Shutdown,
    ColdReboot,
    WarmReboot,
}

/// SRST `reset_reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetReason {
    NoReason,
    SystemFailure,
}

/// The calling hart, as the SBI sees it. `emu_cpu::Hart` implements it; tests use a fake.
pub trait SbiHart {
    fn hartid(&self) -> usize;
    /// Integer register `x[i]`.
    fn xreg(&self, i: usize) -> u64;
    fn set_xreg(&mut self, i: usize, v: u64);
    /// Sstc's stimecmp (the TIME extension's set_timer).
    fn set_stimecmp(&mut self, value: u64);
}

impl SbiHart for emu_cpu::Hart {
    fn hartid(&self) -> usize {
        self.hartid as usize
    }
    fn xreg(&self, i: usize) -> u64 {
        emu_cpu::Hart::xreg(self, i)
    }
    fn set_xreg(&mut self, i: usize, v: u64) {
        emu_cpu::Hart::set_xreg(self, i, v)
    }
    fn set_stimecmp(&mut self, value: u64) {
        emu_cpu::Hart::set_stimecmp(self, value)
    }
}

/// What the SBI needs from the machine. Every `hart` argument is a valid hart index
/// (`< num_harts()`); the calling hart itself may be among them (Linux's remote fences and
/// IPIs include the local hart), so these must work for it too, e.g. by leaving a request
/// the hart picks up when its `run()` is entered again.
pub trait SbiMachine: Sync {
    fn num_harts(&self) -> usize;
    /// HSM state of every hart.
    fn hsm(&self) -> &Hsm;
    /// Raise SSIP on `hart` (the IPI extension: a supervisor software interrupt).
    fn send_ipi(&self, hart: usize);
    /// Make `hart` execute a `fence.i` before its next instruction.
    fn remote_fence_i(&self, hart: usize);
    /// Make `hart` execute `sfence.vma` for `[start, start + size)` (all addresses when
    /// `size` is 0 or `u64::MAX`, or when flushing the range would be slower), for `asid`
    /// only when given. Flushing more than asked is always correct.
    fn remote_sfence_vma(&self, hart: usize, start: u64, size: u64, asid: Option<u64>);
    /// Write bytes to the console (the UART's output, not through the guest-visible UART).
    fn console_write(&self, bytes: &[u8]);
    /// Read up to `buf.len()` bytes of console input without blocking; returns the count.
    fn console_read(&self, buf: &mut [u8]) -> usize;
    /// Read guest physical memory (RAM); false if any byte is not RAM.
    fn read_phys(&self, addr: u64, buf: &mut [u8]) -> bool;
    /// Write guest physical memory (RAM); false if any byte is not RAM.
    fn write_phys(&self, addr: u64, data: &[u8]) -> bool;
    /// Shut down or reboot the whole machine (SRST); every hart stops running.
    fn system_reset(&self, kind: ResetType, reason: ResetReason);
}

/// menvcfg bits the built-in SBI grants S-mode, as OpenSBI does for the extensions the
/// device tree lists (privileged spec 3.1.18): Zicboz's `cbo.zero` (CBZE), Zicbom's
/// `cbo.clean`/`cbo.flush` (CBCFE) and `cbo.inval` executing as itself (CBIE = 0b11).
/// Without CBZE, Linux (6.7 and later) takes an illegal-instruction trap in `clear_page`
/// as soon as the tree lists Zicboz.
pub const MENVCFG_SUPERVISOR: u64 =
    emu_cpu::csr::envcfg::CBZE | emu_cpu::csr::envcfg::CBCFE | emu_cpu::csr::envcfg::CBIE;

/// Readies a hart for the built-in SBI: S-mode `ecall`s come to [`handle_ecall`], and the
/// cache-block instructions the device tree advertises are enabled for S-mode. Call once
/// per hart, before or after `enter_supervisor` (which keeps these menvcfg bits).
pub fn configure_hart(hart: &mut emu_cpu::Hart) {
    hart.set_sbi(true);
    hart.csr.menvcfg |= MENVCFG_SUPERVISOR;
}

/// What the calling hart's thread does after [`handle_ecall`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbiAction {
    /// Call `run()` again (a0/a1 are written).
    Resume,
    /// HSM retentive suspend (a0 = 0 already written): wait as WFI does until an interrupt
    /// is pending (enabled in sie or not), then call `hsm().resumed(hartid)` and `run()`.
    WaitForInterrupt,
    /// HSM non-retentive suspend: wait as for `WaitForInterrupt`, call
    /// `hsm().resumed(hartid)`, then `enter_supervisor(resume_addr, hartid, opaque)`.
    SuspendNonRetentive { resume_addr: u64, opaque: u64 },
    /// HSM hart_stop: the hart is now `Stopped`. Park the thread in
    /// `hsm().wait_for_start(hartid, ..)` and enter S-mode with what it returns.
    Stopped,
    /// SRST: `system_reset` was called; stop running this hart.
    SystemReset,
}

/// SBI calls a hart made, for tracing: the extension and function IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SbiCall {
    pub eid: u64,
    pub fid: u64,
}

/// a0 to a7 as register numbers.
const A0: usize = 10;
const A1: usize = 11;
const A6: usize = 16;
const A7: usize = 17;

/// The most bytes one DBCN console_write/console_read moves; the spec allows partial
/// transfers, and the caller loops (Linux's `sbi_debug_console_write` does).
pub const DBCN_MAX_CHUNK: usize = 4096;

/// Handles the SBI call the hart just made (after `run()` returned `Exit::Sbi`).
pub fn handle_ecall(hart: &mut impl SbiHart, m: &impl SbiMachine) -> SbiAction {
    let call = SbiCall {
        eid: hart.xreg(A7),
        fid: hart.xreg(A6),
    };
    let a: [u64; 6] = std::array::from_fn(|i| hart.xreg(A0 + i));
    tracing::trace!(target: "int", hart = hart.hartid(), eid = call.eid, fid = call.fid, ?a, "sbi call");
    // Legacy extensions (SBI spec 5) return one value in a0 and leave a1 alone.
    if call.eid <= 0x0f {
        let (ret, action) = legacy(hart, m, call.eid, &a);
        hart.set_xreg(A0, ret);
        return action;
    }
    let mut action = SbiAction::Resume;
    let result = match call.eid {
        eid::BASE => base(call.fid, &a),
        eid::TIME => match call.fid {
            0 => {
                hart.set_stimecmp(a[0]);
                Ok(0)
            }
            _ => Err(SbiError::NotSupported),
        },
        eid::IPI => match call.fid {
            0 => for_harts(m, a[0], a[1], |h| m.send_ipi(h)),
            _ => Err(SbiError::NotSupported),
        },
        eid::RFENCE => rfence(m, call.fid, &a),
        eid::HSM => hsm(hart, m, call.fid, &a, &mut action),
        eid::SRST => srst(m, call.fid, &a, &mut action),
        eid::DBCN => dbcn(m, call.fid, &a),
        _ => Err(SbiError::NotSupported),
    };
    match result {
        Ok(value) => {
            hart.set_xreg(A0, 0);
            hart.set_xreg(A1, value);
        }
        Err(e) => {
            tracing::trace!(target: "int", ?e, "sbi error");
            hart.set_xreg(A0, e as i64 as u64);
            hart.set_xreg(A1, 0);
        }
    }
    action
}

fn legacy(
    hart: &mut impl SbiHart,
    m: &impl SbiMachine,
    eid: u64,
    a: &[u64; 6],
) -> (u64, SbiAction) {
    let not_supported = SbiError::NotSupported as i64 as u64;
    match eid {
        eid::LEGACY_SET_TIMER => {
            hart.set_stimecmp(a[0]);
            (0, SbiAction::Resume)
        }
        eid::LEGACY_CONSOLE_PUTCHAR => {
            m.console_write(&[a[0] as u8]);
            (0, SbiAction::Resume)
        }
        eid::LEGACY_CONSOLE_GETCHAR => {
            let mut b = [0u8];
            let v = if m.console_read(&mut b) == 1 {
                b[0] as u64
            } else {
                u64::MAX // -1: no character
            };
            (v, SbiAction::Resume)
        }
        eid::LEGACY_SHUTDOWN => {
            m.system_reset(ResetType::Shutdown, ResetReason::NoReason);
            (0, SbiAction::SystemReset)
        }
        // clear_ipi, send_ipi and the remote fences take a pointer to a hart mask in
        // S-mode virtual memory; Linux has not used them since SBI v0.2.
        _ => (not_supported, SbiAction::Resume),
    }
}

/// Base extension (SBI spec 4).
fn base(fid: u64, a: &[u64; 6]) -> Result<u64, SbiError> {
    match fid {
        0 => Ok(SBI_SPEC_VERSION),
        1 => Ok(SBI_IMPL_ID),
        2 => Ok(SBI_IMPL_VERSION),
        3 => Ok(SUPPORTED_EXTENSIONS.contains(&a[0]) as u64),
        // mvendorid, marchid, mimpid: rvx's hart reports 0 for all three.
        4..=6 => Ok(0),
        _ => Err(SbiError::NotSupported),
    }
}

/// Runs `f` on every hart a (hart_mask, hart_mask_base) pair names (SBI spec 3.3): all
/// harts when the base is -1, else hart `base + i` for each set bit `i`. Every hart is
/// checked before any is acted on.
fn for_harts(
    m: &impl SbiMachine,
    mask: u64,
    base: u64,
    mut f: impl FnMut(usize),
) -> Result<u64, SbiError> {
    let n = m.num_harts();
    if base == u64::MAX {
        (0..n).for_each(f);
        return Ok(0);
    }
    let valid = |i: u64| base.checked_add(i).is_some_and(|h| h < n as u64);
    if (0..64).any(|i| mask & (1 << i) != 0 && !valid(i)) {
        return Err(SbiError::InvalidParam);
    }
    for i in (0..64).filter(|i| mask & (1 << i) != 0) {
        f((base + i) as usize);
    }
    Ok(0)
}

/// RFENCE (SBI spec 8). The hfence functions (3-6) need the H extension.
fn rfence(m: &impl SbiMachine, fid: u64, a: &[u64; 6]) -> Result<u64, SbiError> {
    let (mask, base) = (a[0], a[1]);
    match fid {
        0 => for_harts(m, mask, base, |h| m.remote_fence_i(h)),
        1 => for_harts(m, mask, base, |h| m.remote_sfence_vma(h, a[2], a[3], None)),
        2 => for_harts(m, mask, base, |h| {
            m.remote_sfence_vma(h, a[2], a[3], Some(a[4]))
        }),
        _ => Err(SbiError::NotSupported),
    }
}

/// hart_suspend types (SBI spec 9.4).
const SUSPEND_DEFAULT_RETENTIVE: u64 = 0x0000_0000;
const SUSPEND_DEFAULT_NON_RETENTIVE: u64 = 0x8000_0000;

/// HSM (SBI spec 9).
fn hsm(
    hart: &impl SbiHart,
    m: &impl SbiMachine,
    fid: u64,
    a: &[u64; 6],
    action: &mut SbiAction,
) -> Result<u64, SbiError> {
    let me = hart.hartid();
    match fid {
        0 => {
            let target = usize::try_from(a[0]).ok().filter(|&h| h < m.num_harts());
            let target = target.ok_or(SbiError::InvalidParam)?;
            // start_addr must be memory the hart can execute from (S-mode, translation off).
            if !m.read_phys(a[1], &mut [0u8; 2]) {
                return Err(SbiError::InvalidAddress);
            }
            m.hsm().start(target, a[1], a[2])?;
            Ok(0)
        }
        1 => {
            m.hsm().stop(me)?;
            *action = SbiAction::Stopped;
            Ok(0)
        }
        2 => {
            let target = usize::try_from(a[0]).ok().filter(|&h| h < m.num_harts());
            let target = target.ok_or(SbiError::InvalidParam)?;
            Ok(m.hsm().status(target) as u64)
        }
        3 => {
            // suspend_type is 32 bits wide; the upper bits of a0 are ignored (SBI spec 3).
            let kind = a[0] & 0xffff_ffff;
            match kind {
                SUSPEND_DEFAULT_RETENTIVE => *action = SbiAction::WaitForInterrupt,
                SUSPEND_DEFAULT_NON_RETENTIVE => {
                    if !m.read_phys(a[1], &mut [0u8; 2]) {
                        return Err(SbiError::InvalidAddress);
                    }
                    *action = SbiAction::SuspendNonRetentive {
                        resume_addr: a[1],
                        opaque: a[2],
                    }
                }
                // Platform-specific types: none implemented.
                0x1000_0000..=0x7fff_ffff | 0x9000_0000..=0xffff_ffff => {
                    return Err(SbiError::NotSupported)
                }
                _ => return Err(SbiError::InvalidParam),
            }
            m.hsm().set(me, HartStatus::Suspended);
            Ok(0)
        }
        _ => Err(SbiError::NotSupported),
    }
}

/// System Reset (SBI spec 10). On success the call does not return to the guest.
fn srst(
    m: &impl SbiMachine,
    fid: u64,
    a: &[u64; 6],
    action: &mut SbiAction,
) -> Result<u64, SbiError> {
    if fid != 0 {
        return Err(SbiError::NotSupported);
    }
    let kind = match a[0] & 0xffff_ffff {
        0 => ResetType::Shutdown,
        1 => ResetType::ColdReboot,
        2 => ResetType::WarmReboot,
        // Reserved, and vendor-specific types rvx does not implement.
        _ => return Err(SbiError::InvalidParam),
    };
    let reason = match a[1] & 0xffff_ffff {
        0 => ResetReason::NoReason,
        1 => ResetReason::SystemFailure,
        _ => return Err(SbiError::InvalidParam),
    };
    m.system_reset(kind, reason);
    *action = SbiAction::SystemReset;
    Ok(0)
}

/// The physical address of a DBCN buffer: `base_addr_lo` plus `base_addr_hi` << 64, so on
/// RV64 the high half must be 0.
fn dbcn_addr(lo: u64, hi: u64, len: usize) -> Result<u64, SbiError> {
    if hi != 0 || lo.checked_add(len as u64).is_none() {
        return Err(SbiError::InvalidParam);
    }
    Ok(lo)
}

/// Debug Console (SBI spec 12).
fn dbcn(m: &impl SbiMachine, fid: u64, a: &[u64; 6]) -> Result<u64, SbiError> {
    let len = usize::try_from(a[0])
        .unwrap_or(usize::MAX)
        .min(DBCN_MAX_CHUNK);
    match fid {
        0 => {
            let addr = dbcn_addr(a[1], a[2], len)?;
            let mut buf = vec![0u8; len];
            if !m.read_phys(addr, &mut buf) {
                return Err(SbiError::InvalidParam);
            }
            m.console_write(&buf);
            Ok(len as u64)
        }
        1 => {
            let addr = dbcn_addr(a[1], a[2], len)?;
            // Check the buffer before consuming input that could not be stored.
            if !m.read_phys(addr, &mut vec![0u8; len]) {
                return Err(SbiError::InvalidParam);
            }
            let mut buf = vec![0u8; len];
            let n = m.console_read(&mut buf);
            if !m.write_phys(addr, &buf[..n]) {
                return Err(SbiError::Failed);
            }
            Ok(n as u64)
        }
        2 => {
            m.console_write(&[a[0] as u8]);
            Ok(0)
        }
        _ => Err(SbiError::NotSupported),
    }
}

/// HSM hart states and the hand-over of a start request to a stopped hart's thread.
#[derive(Debug)]
pub struct Hsm {
    harts: Vec<Mutex<HsmSlot>>,
    changed: Condvar,
    /// Guards waiting on `changed` (each slot has its own lock for the state itself).
    wait_lock: Mutex<()>,
}

#[derive(Debug, Clone, Copy)]
struct HsmSlot {
    status: HartStatus,
    /// (start_addr, opaque) of a pending hart_start.
    start: Option<(u64, u64)>,
}

impl Hsm {
    /// `num_harts` harts; `boot_hart` starts `Started`, the others `Stopped` (SBI spec 9:
    /// the firmware starts one hart, the kernel the rest with hart_start).
    pub fn new(num_harts: usize, boot_hart: usize) -> Hsm {
        Hsm {
            harts: (0..num_harts)
                .map(|h| {
                    Mutex::new(HsmSlot {
                        status: if h == boot_hart {
                            HartStatus::Started
                        } else {
                            HartStatus::Stopped
                        },
                        start: None,
                    })
                })
                .collect(),
            changed: Condvar::new(),
            wait_lock: Mutex::new(()),
        }
    }

    fn slot(&self, hart: usize) -> Result<std::sync::MutexGuard<'_, HsmSlot>, SbiError> {
        let m = self.harts.get(hart).ok_or(SbiError::InvalidParam)?;
        Ok(m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn notify(&self) {
        let _g = self.wait_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.changed.notify_all();
    }

    /// Current state of `hart` (`Stopped` for an unknown hart).
    pub fn status(&self, hart: usize) -> HartStatus {
        self.slot(hart).map_or(HartStatus::Stopped, |s| s.status)
    }

    /// Sets `hart`'s state (for the machine's own transitions, e.g. suspend and resume).
    pub fn set(&self, hart: usize, status: HartStatus) {
        if let Ok(mut s) = self.slot(hart) {
            s.status = status;
        }
    }

    /// The hart came out of a suspend.
    pub fn resumed(&self, hart: usize) {
        self.set(hart, HartStatus::Started);
    }

    /// hart_start: a `Stopped` hart becomes `StartPending` and its thread, waiting in
    /// [`Hsm::wait_for_start`], gets `(start_addr, opaque)`. Any other state is
    /// `ALREADY_AVAILABLE` (SBI spec 9.1).
    pub fn start(&self, hart: usize, start_addr: u64, opaque: u64) -> Result<(), SbiError> {
        {
            let mut s = self.slot(hart)?;
            if s.status != HartStatus::Stopped {
                return Err(SbiError::AlreadyAvailable);
            }
            s.status = HartStatus::StartPending;
            s.start = Some((start_addr, opaque));
        }
        self.notify();
        Ok(())
    }

    /// hart_stop for the calling hart: it must be `Started` (SBI spec 9.2: otherwise
    /// `FAILED`).
    pub fn stop(&self, hart: usize) -> Result<(), SbiError> {
        let mut s = self.slot(hart).map_err(|_| SbiError::Failed)?;
        if s.status != HartStatus::Started {
            return Err(SbiError::Failed);
        }
        s.status = HartStatus::Stopped;
        s.start = None;
        drop(s);
        self.notify();
        Ok(())
    }

    /// Blocks a stopped hart's thread until a hart_start names it; returns
    /// `(start_addr, opaque)` with the hart `Started`, for
    /// `enter_supervisor(start_addr, hartid, opaque)`. Returns `None` as soon as `quit()` is
    /// true (checked at least every 50 ms), e.g. when the machine stops.
    pub fn wait_for_start(&self, hart: usize, quit: impl Fn() -> bool) -> Option<(u64, u64)> {
        let mut g = self.wait_lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            {
                let mut s = self.slot(hart).ok()?;
                if let (HartStatus::StartPending, Some(start)) = (s.status, s.start) {
                    s.status = HartStatus::Started;
                    s.start = None;
                    return Some(start);
                }
            }
            if quit() {
                return None;
            }
            g = self
                .changed
                .wait_timeout(g, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::sync::Arc;

    struct FakeHart {
        id: usize,
        x: [u64; 32],
        stimecmp: u64,
    }

    impl SbiHart for FakeHart {
        fn hartid(&self) -> usize {
            self.id
        }
        fn xreg(&self, i: usize) -> u64 {
            self.x[i]
        }
        fn set_xreg(&mut self, i: usize, v: u64) {
            if i != 0 {
                self.x[i] = v;
            }
        }
        fn set_stimecmp(&mut self, value: u64) {
            self.stimecmp = value;
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Ipi(usize),
        FenceI(usize),
        Sfence(usize, u64, u64, Option<u64>),
        Reset(ResetType, ResetReason),
    }

    struct FakeMachine {
        harts: usize,
        hsm: Hsm,
        events: Mutex<Vec<Ev>>,
        out: Mutex<Vec<u8>>,
        input: Mutex<Vec<u8>>,
        /// RAM at 0x8000_0000.
        ram: Mutex<Vec<u8>>,
    }

    const RAM: u64 = 0x8000_0000;

    impl FakeMachine {
        fn new(harts: usize) -> FakeMachine {
            FakeMachine {
                harts,
                hsm: Hsm::new(harts, 0),
                events: Mutex::new(Vec::new()),
                out: Mutex::new(Vec::new()),
                input: Mutex::new(Vec::new()),
                ram: Mutex::new(vec![0; 0x1_0000]),
            }
        }
        fn events(&self) -> Vec<Ev> {
            std::mem::take(&mut *self.events.lock().unwrap())
        }
        fn range(&self, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
            let off = usize::try_from(addr.checked_sub(RAM)?).ok()?;
            let end = off.checked_add(len)?;
            (end <= self.ram.lock().unwrap().len()).then_some(off..end)
        }
    }

    impl SbiMachine for FakeMachine {
        fn num_harts(&self) -> usize {
            self.harts
        }
        fn hsm(&self) -> &Hsm {
            &self.hsm
        }
        fn send_ipi(&self, hart: usize) {
            self.events.lock().unwrap().push(Ev::Ipi(hart));
        }
        fn remote_fence_i(&self, hart: usize) {
            self.events.lock().unwrap().push(Ev::FenceI(hart));
        }
        fn remote_sfence_vma(&self, hart: usize, start: u64, size: u64, asid: Option<u64>) {
            self.events
                .lock()
                .unwrap()
                .push(Ev::Sfence(hart, start, size, asid));
        }
        fn console_write(&self, bytes: &[u8]) {
            self.out.lock().unwrap().extend_from_slice(bytes);
        }
        fn console_read(&self, buf: &mut [u8]) -> usize {
            let mut input = self.input.lock().unwrap();
            let n = buf.len().min(input.len());
            buf[..n].copy_from_slice(&input[..n]);
            input.drain(..n);
            n
        }
        fn read_phys(&self, addr: u64, buf: &mut [u8]) -> bool {
            match self.range(addr, buf.len()) {
                Some(r) => {
                    buf.copy_from_slice(&self.ram.lock().unwrap()[r]);
                    true
                }
                None => false,
            }
        }
        fn write_phys(&self, addr: u64, data: &[u8]) -> bool {
            match self.range(addr, data.len()) {
                Some(r) => {
                    self.ram.lock().unwrap()[r].copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
        fn system_reset(&self, kind: ResetType, reason: ResetReason) {
            self.events.lock().unwrap().push(Ev::Reset(kind, reason));
        }
    }

    /// Makes the call `eid`/`fid` with `args` from hart `id`; returns (a0 as i64, a1, action).
    fn call_on(
        m: &FakeMachine,
        hart: &RefCell<FakeHart>,
        eid: u64,
        fid: u64,
        args: &[u64],
    ) -> (i64, u64, SbiAction) {
        let mut h = hart.borrow_mut();
        h.x = [0; 32];
        h.x[A7] = eid;
        h.x[A6] = fid;
        for (i, &v) in args.iter().enumerate() {
            h.x[A0 + i] = v;
        }
        // Registers other than a0/a1 survive the call (SBI spec 3.1).
        if args.len() <= 2 {
            h.x[12] = 0xdead;
        }
        let action = handle_ecall(&mut *h, m);
        if args.len() <= 2 {
            assert_eq!(h.x[12], 0xdead, "a2 clobbered");
        }
        assert_eq!((h.x[A7], h.x[A6]), (eid, fid), "a6/a7 clobbered");
        (h.x[A0] as i64, h.x[A1], action)
    }

    fn hart(id: usize) -> RefCell<FakeHart> {
        RefCell::new(FakeHart {
            id,
            x: [0; 32],
            stimecmp: u64::MAX,
        })
    }

    fn call(m: &FakeMachine, eid: u64, fid: u64, args: &[u64]) -> (i64, u64) {
        let (e, v, action) = call_on(m, &hart(0), eid, fid, args);
        assert_eq!(action, SbiAction::Resume);
        (e, v)
    }

    #[test]
    fn base_extension() {
        let m = FakeMachine::new(1);
        assert_eq!(call(&m, eid::BASE, 0, &[]), (0, 0x0200_0000));
        assert_eq!(call(&m, eid::BASE, 1, &[]), (0, SBI_IMPL_ID));
        assert_eq!(call(&m, eid::BASE, 2, &[]), (0, SBI_IMPL_VERSION));
        assert_eq!(SBI_IMPL_VERSION, 0x00_0100); // crate version 0.1.0
        for e in SUPPORTED_EXTENSIONS {
            assert_eq!(call(&m, eid::BASE, 3, &[e]), (0, 1), "{e:#x}");
        }
        // PMU ("PMU") and SUSP are not implemented; probing says so without an error.
        assert_eq!(call(&m, eid::BASE, 3, &[0x50_4d55]), (0, 0));
        assert_eq!(call(&m, eid::BASE, 3, &[0x5355_5350]), (0, 0));
        for fid in 4..=6 {
            assert_eq!(call(&m, eid::BASE, fid, &[]), (0, 0));
        }
        assert_eq!(call(&m, eid::BASE, 7, &[]), (-2, 0));
        assert_eq!(call(&m, 0x0a00_0000, 0, &[]), (-2, 0));
    }

    #[test]
    fn timer_sets_stimecmp() {
        let m = FakeMachine::new(1);
        let h = hart(0);
        assert_eq!(call_on(&m, &h, eid::TIME, 0, &[12345]).0, 0);
        assert_eq!(h.borrow().stimecmp, 12345);
        assert_eq!(call_on(&m, &h, eid::LEGACY_SET_TIMER, 0, &[777]).0, 0);
        assert_eq!(h.borrow().stimecmp, 777);
        assert_eq!(call_on(&m, &h, eid::TIME, 1, &[1]).0, -2);
    }

    #[test]
    fn hart_masks() {
        let m = FakeMachine::new(4);
        assert_eq!(call(&m, eid::IPI, 0, &[0b101, 0]), (0, 0));
        assert_eq!(m.events(), [Ev::Ipi(0), Ev::Ipi(2)]);
        assert_eq!(call(&m, eid::IPI, 0, &[0b11, 2]), (0, 0));
        assert_eq!(m.events(), [Ev::Ipi(2), Ev::Ipi(3)]);
        // base -1: every hart, whatever the mask.
        assert_eq!(call(&m, eid::IPI, 0, &[0, u64::MAX]), (0, 0));
        assert_eq!(m.events(), [Ev::Ipi(0), Ev::Ipi(1), Ev::Ipi(2), Ev::Ipi(3)]);
        // A hart that does not exist: nothing is sent at all.
        assert_eq!(call(&m, eid::IPI, 0, &[0b111, 2]), (-3, 0));
        assert_eq!(call(&m, eid::IPI, 0, &[1, u64::MAX - 1]), (-3, 0));
        assert_eq!(call(&m, eid::IPI, 0, &[1 << 63, 0]), (-3, 0));
        assert!(m.events().is_empty());
        // An empty mask is a valid no-op.
        assert_eq!(call(&m, eid::IPI, 0, &[0, 0]), (0, 0));
    }

    #[test]
    fn remote_fences() {
        let m = FakeMachine::new(2);
        assert_eq!(call(&m, eid::RFENCE, 0, &[0b10, 0]), (0, 0));
        assert_eq!(call(&m, eid::RFENCE, 1, &[1, 1, 0x1000, 0x2000]), (0, 0));
        assert_eq!(call(&m, eid::RFENCE, 2, &[1, 0, 0, u64::MAX, 7]), (0, 0));
        assert_eq!(
            m.events(),
            [
                Ev::FenceI(1),
                Ev::Sfence(1, 0x1000, 0x2000, None),
                Ev::Sfence(0, 0, u64::MAX, Some(7)),
            ]
        );
        // hfence.* need H.
        assert_eq!(call(&m, eid::RFENCE, 3, &[1, 0]), (-2, 0));
    }

    #[test]
    fn hsm_start_stop_status() {
        let m = FakeMachine::new(2);
        let status = |h: u64| call(&m, eid::HSM, 2, &[h]);
        assert_eq!(status(0), (0, HartStatus::Started as u64));
        assert_eq!(status(1), (0, HartStatus::Stopped as u64));
        assert_eq!(status(2), (-3, 0));
        // Bad target, bad address, then a good start.
        assert_eq!(call(&m, eid::HSM, 0, &[5, RAM, 0]), (-3, 0));
        assert_eq!(call(&m, eid::HSM, 0, &[1, 0x1000, 0]), (-5, 0));
        assert_eq!(call(&m, eid::HSM, 0, &[1, RAM + 0x100, 42]), (0, 0));
        assert_eq!(status(1), (0, HartStatus::StartPending as u64));
        assert_eq!(call(&m, eid::HSM, 0, &[1, RAM, 0]), (-6, 0));
        assert_eq!(call(&m, eid::HSM, 0, &[0, RAM, 0]), (-6, 0));
        assert_eq!(m.hsm.wait_for_start(1, || true), Some((RAM + 0x100, 42)));
        assert_eq!(status(1), (0, HartStatus::Started as u64));
        // Hart 1 stops itself; a stopped hart cannot stop again.
        let h1 = hart(1);
        assert_eq!(
            call_on(&m, &h1, eid::HSM, 1, &[]),
            (0, 0, SbiAction::Stopped)
        );
        assert_eq!(status(1), (0, HartStatus::Stopped as u64));
        assert_eq!(call_on(&m, &h1, eid::HSM, 1, &[]).0, -1);
        assert_eq!(m.hsm.wait_for_start(1, || true), None);
    }

    #[test]
    fn hsm_start_wakes_a_waiting_thread() {
        let m = Arc::new(FakeMachine::new(2));
        let m2 = m.clone();
        let waiter = std::thread::spawn(move || m2.hsm.wait_for_start(1, || false));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(call(&m, eid::HSM, 0, &[1, RAM, 9]), (0, 0));
        assert_eq!(waiter.join().unwrap(), Some((RAM, 9)));
        assert_eq!(m.hsm.status(1), HartStatus::Started);
    }

    #[test]
    fn hsm_suspend() {
        let m = FakeMachine::new(1);
        let h = hart(0);
        assert_eq!(
            call_on(&m, &h, eid::HSM, 3, &[0, 0, 0]),
            (0, 0, SbiAction::WaitForInterrupt)
        );
        assert_eq!(m.hsm.status(0), HartStatus::Suspended);
        m.hsm.resumed(0);
        assert_eq!(
            call_on(&m, &h, eid::HSM, 3, &[0x8000_0000, RAM + 8, 5]),
            (
                0,
                0,
                SbiAction::SuspendNonRetentive {
                    resume_addr: RAM + 8,
                    opaque: 5
                }
            )
        );
        m.hsm.resumed(0);
        assert_eq!(call_on(&m, &h, eid::HSM, 3, &[0x8000_0000, 8, 5]).0, -5);
        assert_eq!(call_on(&m, &h, eid::HSM, 3, &[1, 0, 0]).0, -3);
        assert_eq!(call_on(&m, &h, eid::HSM, 3, &[0x1000_0000, 0, 0]).0, -2);
        assert_eq!(m.hsm.status(0), HartStatus::Started);
    }

    #[test]
    fn system_reset() {
        let m = FakeMachine::new(1);
        let h = hart(0);
        assert_eq!(
            call_on(&m, &h, eid::SRST, 0, &[0, 0]),
            (0, 0, SbiAction::SystemReset)
        );
        assert_eq!(
            call_on(&m, &h, eid::SRST, 0, &[1, 1]).2,
            SbiAction::SystemReset
        );
        assert_eq!(
            call_on(&m, &h, eid::SRST, 0, &[2, 0]).2,
            SbiAction::SystemReset
        );
        assert_eq!(
            m.events(),
            [
                Ev::Reset(ResetType::Shutdown, ResetReason::NoReason),
                Ev::Reset(ResetType::ColdReboot, ResetReason::SystemFailure),
                Ev::Reset(ResetType::WarmReboot, ResetReason::NoReason),
            ]
        );
        assert_eq!(call(&m, eid::SRST, 0, &[3, 0]), (-3, 0));
        assert_eq!(call(&m, eid::SRST, 0, &[0, 2]), (-3, 0));
        assert_eq!(call(&m, eid::SRST, 1, &[0, 0]), (-2, 0));
        assert!(m.events().is_empty());
        assert_eq!(
            call_on(&m, &h, eid::LEGACY_SHUTDOWN, 0, &[]).2,
            SbiAction::SystemReset
        );
        assert_eq!(
            m.events(),
            [Ev::Reset(ResetType::Shutdown, ResetReason::NoReason)]
        );
    }

    #[test]
    fn debug_console() {
        let m = FakeMachine::new(1);
        m.write_phys(RAM + 0x100, b"hello\n");
        assert_eq!(call(&m, eid::DBCN, 0, &[6, RAM + 0x100, 0]), (0, 6));
        assert_eq!(call(&m, eid::DBCN, 2, &[b'!' as u64]), (0, 0));
        assert_eq!(&*m.out.lock().unwrap(), b"hello\n!");
        // Long writes are partial; the caller loops.
        assert_eq!(
            call(&m, eid::DBCN, 0, &[0x8000, RAM, 0]),
            (0, DBCN_MAX_CHUNK as u64)
        );
        // Outside RAM, a high half on RV64, or wrapping: invalid.
        assert_eq!(call(&m, eid::DBCN, 0, &[4, 0x1000, 0]), (-3, 0));
        assert_eq!(call(&m, eid::DBCN, 0, &[4, RAM, 1]), (-3, 0));
        assert_eq!(call(&m, eid::DBCN, 0, &[4, u64::MAX - 1, 0]), (-3, 0));
        m.input.lock().unwrap().extend_from_slice(b"ab");
        assert_eq!(call(&m, eid::DBCN, 1, &[8, RAM + 0x200, 0]), (0, 2));
        let mut got = [0u8; 2];
        m.read_phys(RAM + 0x200, &mut got);
        assert_eq!(&got, b"ab");
        assert_eq!(call(&m, eid::DBCN, 1, &[8, RAM + 0x200, 0]), (0, 0));
        m.input.lock().unwrap().push(b'z');
        // A bad buffer does not eat the input.
        assert_eq!(call(&m, eid::DBCN, 1, &[8, 0x10, 0]), (-3, 0));
        assert_eq!(call(&m, eid::DBCN, 3, &[]), (-2, 0));
        // Legacy console.
        assert_eq!(
            call_on(&m, &hart(0), eid::LEGACY_CONSOLE_GETCHAR, 0, &[]).0,
            b'z' as i64
        );
        assert_eq!(
            call_on(&m, &hart(0), eid::LEGACY_CONSOLE_GETCHAR, 0, &[]).0,
            -1
        );
        let (ret, a1, _) = call_on(&m, &hart(0), eid::LEGACY_CONSOLE_PUTCHAR, 0, &[b'Q' as u64]);
        assert_eq!((ret, a1), (0, 0));
        assert!(m.out.lock().unwrap().ends_with(b"Q"));
        // Legacy IPI/fences take virtual-address masks: not supported.
        assert_eq!(call_on(&m, &hart(0), 0x04, 0, &[0]).0, -2);
    }

    /// The real hart: configure_hart lets S-mode run `cbo.zero`, and an S-mode `ecall`
    /// comes back as `Exit::Sbi` that handle_ecall answers in a0/a1.
    #[test]
    fn real_hart_round_trip() {
        use emu_cpu::{Exit, Hart, HartConfig};
        use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl};
        let ram = Arc::new(GuestRam::new(RAM, 0x1_0000).unwrap());
        let code: [u32; 6] = [
            0x0045_a00f, // cbo.zero (a1)
            0x0100_0893, // li a7, 0x10 (BASE)
            0x0000_0813, // li a6, 0 (get_spec_version)
            0x0000_0073, // ecall
            0x0080_0893, // li a7, 8 (legacy shutdown)
            0x0000_0073, // ecall
        ];
        for (i, w) in code.iter().enumerate() {
            ram.write(RAM + 4 * i as u64, 4, *w as u64);
        }
        ram.write_bytes(RAM + 0x1000, &[0xff; 64]);
        let mut h = Hart::new(HartConfig {
            hartid: 0,
            bus: Arc::new(Bus::new(ram.clone())),
            signals: Arc::new(HartSignals::default()),
            control: Arc::new(MachineControl::default()),
            clock: Clock::default(),
        });
        configure_hart(&mut h);
        h.enter_supervisor(RAM, 0, RAM + 0x1008);
        let m = FakeMachine::new(1);
        assert_eq!(h.run(), Exit::Sbi);
        assert_eq!(ram.read(RAM + 0x1000, 8), Some(0));
        assert_eq!(ram.read(RAM + 0x1038, 8), Some(0));
        assert_eq!(h.pc(), RAM + 16);
        assert_eq!(handle_ecall(&mut h, &m), SbiAction::Resume);
        assert_eq!((h.xreg(10), h.xreg(11)), (0, SBI_SPEC_VERSION));
        assert_eq!(h.run(), Exit::Sbi);
        assert_eq!(handle_ecall(&mut h, &m), SbiAction::SystemReset);
        assert_eq!(
            m.events(),
            [Ev::Reset(ResetType::Shutdown, ResetReason::NoReason)]
        );
    }
}
