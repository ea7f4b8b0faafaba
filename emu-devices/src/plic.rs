//! The platform-level interrupt controller of QEMU's `virt` board: a SiFive PLIC with
//! [`PLIC_NUM_SOURCES`] sources (0 reserved), priorities 0..=7, and two contexts per hart.
//!
//! Register map (RISC-V PLIC specification v1.0.0, "Memory Map"; QEMU `hw/intc/sifive_plic.c`
//! with the parameters `hw/riscv/virt.c` gives it). Every register is 32 bits wide:
//!
//! | offset                          | register                                    |
//! |---------------------------------|---------------------------------------------|
//! | `0x000000 + 4 * source`         | priority of `source` (source 0: reads 0)     |
//! | `0x001000 + 4 * word`           | pending bits of sources `32*word ..`         |
//! | `0x002000 + 0x80 * ctx + 4 * w` | enable bits of context `ctx`                 |
//! | `0x200000 + 0x1000 * ctx`       | priority threshold of context `ctx`          |
//! | `0x200004 + 0x1000 * ctx`       | claim (read) / complete (write)              |
//!
//! Contexts: hart `h` has context `2h` (M-mode, drives its `mip.MEIP`) and `2h + 1`
//! (S-mode, drives `mip.SEIP`), as QEMU's virt configures the PLIC (`hart-config` "MS").
//!
//! Priorities and the threshold are WARL: only the low 3 bits are kept, as QEMU does when
//! the number of priorities plus one is a power of two. Accesses that are not 32-bit and
//! aligned, registers of contexts that do not exist, pending-register writes and anything
//! else unknown read 0 and ignore writes.
//!
//! # Gateways (PLIC spec, "Interrupt Gateways")
//! Every source is level-triggered. While a source is not claimed, its pending bit follows
//! its line (QEMU clears the pending bit when the line drops before a claim, which spares the
//! guest a spurious claim). A claim clears the pending bit and closes the gateway: the source
//! cannot become pending again until its completion, after which a line that is still high
//! makes it pending at once. A completion for a source the context has not enabled is
//! ignored (spec, "Interrupt Completion"); Linux's `plic_irq_eoi` works around exactly that.
//!
//! A context's interrupt output is high while some source is pending, not claimed, enabled
//! for that context and of a priority above the context's threshold. A claim returns the
//! highest-priority such source, ties going to the lowest source ID (spec, "Interrupt
//! Priorities"), or 0 if there is none.
//!
//! Lock order: the PLIC's state lock, then a hart's [`HartSignals`] lock (taken inside
//! `set_pending`). Devices call [`IrqSink::set_irq`] under their own locks, so their locks
//! come before the PLIC's; the PLIC never calls into a device.

use crate::irq::IrqSink;
use emu_mmu::signals::irq;
use emu_mmu::{HartSignals, Mmio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

pub const PLIC_BASE: u64 = 0xc00_0000;
/// QEMU's `VIRT_PLIC_SIZE(VIRT_CPUS_MAX * 2)`: room for the contexts of 512 harts.
pub const PLIC_SIZE: u64 = 0x60_0000;
/// Interrupt sources including the reserved source 0 (QEMU's `VIRT_IRQCHIP_NUM_SOURCES`);
/// the device tree's `riscv,ndev` is one less.
pub const PLIC_NUM_SOURCES: u32 = 96;
/// The highest priority (QEMU's `VIRT_IRQCHIP_NUM_PRIO_BITS` = 3 bits).
pub const PLIC_MAX_PRIORITY: u32 = 7;
/// Harts whose contexts fit in [`PLIC_SIZE`]; harts past this have no contexts.
pub const PLIC_MAX_HARTS: usize = ((PLIC_SIZE - CONTEXT_BASE) / CONTEXT_STRIDE / 2) as usize;

const PRIORITY_BASE: u64 = 0x0;
const PENDING_BASE: u64 = 0x1000;
const ENABLE_BASE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT_BASE: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;
/// Offsets inside a context's block.
const THRESHOLD: u64 = 0x0;
const CLAIM_COMPLETE: u64 = 0x4;

/// 32-bit words of a source bitmap.
const WORDS: usize = PLIC_NUM_SOURCES.div_ceil(32) as usize;

type Bitmap = [u32; WORDS];

fn bit(map: &Bitmap, src: u32) -> bool {
    map[(src / 32) as usize] & (1 << (src % 32)) != 0
}

fn set_bit(map: &mut Bitmap, src: u32, on: bool) {
    let w = &mut map[(src / 32) as usize];
    if on {
        *w |= 1 << (src % 32);
    } else {
        *w &= !(1 << (src % 32));
    }
}

/// Valid bits of enable word `w`: source 0 does not exist, and neither do sources past the
/// last one.
fn source_mask(w: usize) -> u32 {
    let mut m = u32::MAX;
    if w == 0 {
        m &= !1;
    }
    let first = w as u32 * 32;
    let count = PLIC_NUM_SOURCES.saturating_sub(first).min(32);
    if count < 32 {
        m &= (1u32 << count) - 1;
    }
    m
}

#[derive(Debug, Clone, Default)]
struct Context {
    enable: Bitmap,
    threshold: u32,
}

#[derive(Debug)]
struct PlicState {
    priority: [u32; PLIC_NUM_SOURCES as usize],
    /// The level each device drives its line to.
    level: Bitmap,
    pending: Bitmap,
    /// Claimed and not yet completed: the gateway is closed.
    claimed: Bitmap,
    contexts: Vec<Context>,
}

impl PlicState {
    /// The source a claim by `ctx` would return, if any.
    fn best(&self, ctx: usize) -> Option<u32> {
        let c = &self.contexts[ctx];
        let mut best: Option<(u32, u32)> = None;
        for w in 0..WORDS {
            let mut bits = self.pending[w] & !self.claimed[w] & c.enable[w];
            while bits != 0 {
                let src = w as u32 * 32 + bits.trailing_zeros();
                bits &= bits - 1;
                let prio = self.priority[src as usize];
                // Strictly greater: sources are visited in ascending order, so a tie keeps
                // the lower ID.
                if prio > c.threshold && best.is_none_or(|(_, p)| prio > p) {
                    best = Some((src, prio));
                }
            }
        }
        best.map(|(src, _)| src)
    }
}

pub struct Plic {
    harts: Vec<Arc<HartSignals>>,
    state: Mutex<PlicState>,
}

impl std::fmt::Debug for Plic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plic")
            .field("harts", &self.harts.len())
            .field("state", &*self.lock())
            .finish()
    }
}

/// What an access at an offset addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reg {
    Priority(u32),
    Pending(usize),
    Enable(usize, usize),
    Threshold(usize),
    ClaimComplete(usize),
}

impl Plic {
    /// A PLIC whose context `2h` drives MEIP and `2h + 1` drives SEIP of `harts[h]`. At
    /// most [`PLIC_MAX_HARTS`] harts get contexts (QEMU's virt has the same limit).
    pub fn new(harts: Vec<Arc<HartSignals>>) -> Plic {
        if harts.len() > PLIC_MAX_HARTS {
            tracing::warn!(
                target: "plic",
                "{} harts, but the PLIC has contexts for {PLIC_MAX_HARTS}",
                harts.len()
            );
        }
        let contexts = 2 * harts.len().min(PLIC_MAX_HARTS);
        Plic {
            harts,
            state: Mutex::new(PlicState {
                priority: [0; PLIC_NUM_SOURCES as usize],
                level: [0; WORDS],
                pending: [0; WORDS],
                claimed: [0; WORDS],
                contexts: vec![Context::default(); contexts],
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PlicState> {
        // The state stays consistent across a panic elsewhere; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of contexts (two per hart).
    pub fn num_contexts(&self) -> usize {
        self.lock().contexts.len()
    }

    fn decode(&self, st: &PlicState, offset: u64, size: usize) -> Option<Reg> {
        if size != 4 || !offset.is_multiple_of(4) {
            return None;
        }
        let n_ctx = st.contexts.len() as u64;
        let reg = if offset < PENDING_BASE {
            let src = (offset - PRIORITY_BASE) / 4;
            (src < u64::from(PLIC_NUM_SOURCES)).then_some(Reg::Priority(src as u32))?
        } else if offset < ENABLE_BASE {
            let w = (offset - PENDING_BASE) / 4;
            (w < WORDS as u64).then_some(Reg::Pending(w as usize))?
        } else if offset < CONTEXT_BASE {
            let rel = offset - ENABLE_BASE;
            let (ctx, w) = (rel / ENABLE_STRIDE, rel % ENABLE_STRIDE / 4);
            (ctx < n_ctx && w < WORDS as u64).then_some(Reg::Enable(ctx as usize, w as usize))?
        } else {
            let rel = offset - CONTEXT_BASE;
            let ctx = rel / CONTEXT_STRIDE;
            if ctx >= n_ctx {
                return None;
            }
            match rel % CONTEXT_STRIDE {
                THRESHOLD => Reg::Threshold(ctx as usize),
                CLAIM_COMPLETE => Reg::ClaimComplete(ctx as usize),
                _ => return None,
            }
        };
        Some(reg)
    }

    /// Drives every context's output onto its hart's MEIP or SEIP.
    fn update(&self, st: &PlicState) {
        for ctx in 0..st.contexts.len() {
            let Some(hart) = self.harts.get(ctx / 2) else {
                continue;
            };
            let bit = if ctx % 2 == 0 { irq::MEIP } else { irq::SEIP };
            let high = st.best(ctx).is_some();
            // Touch the hart only on a change, so that unrelated PLIC traffic does not
            // keep kicking it out of WFI.
            let now = hart.pending.load(Ordering::SeqCst) & bit != 0;
            if high && !now {
                hart.set_pending(bit);
            } else if !high && now {
                hart.clear_pending(bit);
            }
        }
    }

    /// The claim half of the claim/complete register (PLIC spec, "Interrupt Claim Process").
    fn claim(st: &mut PlicState, ctx: usize) -> u32 {
        let Some(src) = st.best(ctx) else {
            return 0;
        };
        set_bit(&mut st.pending, src, false);
        set_bit(&mut st.claimed, src, true);
        src
    }

    /// The complete half (PLIC spec, "Interrupt Completion").
    fn complete(st: &mut PlicState, ctx: usize, value: u64) {
        let Ok(src @ 1..) = u32::try_from(value) else {
            return;
        };
        if src >= PLIC_NUM_SOURCES || !bit(&st.contexts[ctx].enable, src) {
            return;
        }
        if bit(&st.claimed, src) {
            set_bit(&mut st.claimed, src, false);
            // The gateway reopens: a line still high is a new request.
            if bit(&st.level, src) {
                set_bit(&mut st.pending, src, true);
            }
        }
    }
}

impl Mmio for Plic {
    fn read(&self, offset: u64, size: usize) -> u64 {
        let mut st = self.lock();
        let Some(reg) = self.decode(&st, offset, size) else {
            return 0;
        };
        let v = match reg {
            Reg::Priority(src) => st.priority[src as usize],
            Reg::Pending(w) => st.pending[w],
            Reg::Enable(ctx, w) => st.contexts[ctx].enable[w],
            Reg::Threshold(ctx) => st.contexts[ctx].threshold,
            Reg::ClaimComplete(ctx) => {
                let src = Self::claim(&mut st, ctx);
                self.update(&st);
                src
            }
        };
        u64::from(v)
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        let mut st = self.lock();
        let Some(reg) = self.decode(&st, offset, size) else {
            return;
        };
        let v = value as u32;
        match reg {
            // Source 0 does not exist; its priority stays 0.
            Reg::Priority(0) => return,
            Reg::Priority(src) => st.priority[src as usize] = v & PLIC_MAX_PRIORITY,
            // Pending bits are read-only (QEMU ignores such writes too).
            Reg::Pending(_) => return,
            Reg::Enable(ctx, w) => st.contexts[ctx].enable[w] = v & source_mask(w),
            Reg::Threshold(ctx) => st.contexts[ctx].threshold = v & PLIC_MAX_PRIORITY,
            Reg::ClaimComplete(ctx) => Self::complete(&mut st, ctx, value),
        }
        self.update(&st);
    }
}

impl IrqSink for Plic {
    fn set_irq(&self, irq: u32, level: bool) {
        if irq == 0 || irq >= PLIC_NUM_SOURCES {
            tracing::debug!(target: "plic", "interrupt on nonexistent source {irq}");
            return;
        }
        let mut st = self.lock();
        set_bit(&mut st.level, irq, level);
        if !bit(&st.claimed, irq) {
            set_bit(&mut st.pending, irq, level);
        }
        self.update(&st);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irq::IrqLine;

    fn plic(n: usize) -> (Arc<Plic>, Vec<Arc<HartSignals>>) {
        let harts: Vec<_> = (0..n).map(|_| Arc::new(HartSignals::default())).collect();
        (Arc::new(Plic::new(harts.clone())), harts)
    }

    fn pending(h: &HartSignals) -> u64 {
        h.pending.load(Ordering::SeqCst)
    }

    fn prio(p: &Plic, src: u32, v: u64) {
        p.write(4 * u64::from(src), 4, v);
    }

    fn enable(p: &Plic, ctx: u64, src: u32) {
        let off = ENABLE_BASE + ENABLE_STRIDE * ctx + 4 * u64::from(src / 32);
        let old = p.read(off, 4);
        p.write(off, 4, old | 1 << (src % 32));
    }

    fn threshold(p: &Plic, ctx: u64, v: u64) {
        p.write(CONTEXT_BASE + CONTEXT_STRIDE * ctx, 4, v);
    }

    fn claim(p: &Plic, ctx: u64) -> u32 {
        p.read(CONTEXT_BASE + CONTEXT_STRIDE * ctx + 4, 4) as u32
    }

    fn complete(p: &Plic, ctx: u64, src: u32) {
        p.write(CONTEXT_BASE + CONTEXT_STRIDE * ctx + 4, 4, u64::from(src));
    }

    fn pending_word(p: &Plic, w: u64) -> u32 {
        p.read(PENDING_BASE + 4 * w, 4) as u32
    }

    #[test]
    fn layout_matches_qemu_virt() {
        assert_eq!(PLIC_BASE, 0x0c00_0000);
        assert_eq!(PLIC_BASE + PLIC_SIZE, 0x0c60_0000);
        assert_eq!(PLIC_MAX_HARTS, 512);
        assert_eq!(WORDS, 3);
        let (p, _) = plic(4);
        assert_eq!(p.num_contexts(), 8);
    }

    #[test]
    fn priority_is_warl_and_source_0_is_hardwired() {
        let (p, _) = plic(1);
        prio(&p, 1, 5);
        assert_eq!(p.read(4, 4), 5);
        prio(&p, 95, 0xffff_fff9);
        assert_eq!(p.read(4 * 95, 4), 1, "only the low 3 bits are kept");
        prio(&p, 0, 7);
        assert_eq!(p.read(0, 4), 0);
        // Source 96 does not exist.
        prio(&p, 96, 3);
        assert_eq!(p.read(4 * 96, 4), 0);
        threshold(&p, 1, 0x1f);
        assert_eq!(p.read(CONTEXT_BASE + CONTEXT_STRIDE, 4), 7);
    }

    #[test]
    fn enable_bits_mask_source_0() {
        let (p, _) = plic(1);
        p.write(ENABLE_BASE, 4, u64::MAX);
        assert_eq!(p.read(ENABLE_BASE, 4), 0xffff_fffe);
        p.write(ENABLE_BASE + 8, 4, 0xffff_ffff);
        assert_eq!(p.read(ENABLE_BASE + 8, 4), 0xffff_ffff, "sources 64..95");
        // The fourth word would be sources 96..127, which do not exist.
        p.write(ENABLE_BASE + 12, 4, 0xffff_ffff);
        assert_eq!(p.read(ENABLE_BASE + 12, 4), 0);
        // Context 1's enables are separate from context 0's.
        assert_eq!(p.read(ENABLE_BASE + ENABLE_STRIDE, 4), 0);
        assert_eq!(source_mask(0), 0xffff_fffe);
        assert_eq!(source_mask(2), 0xffff_ffff);
    }

    #[test]
    fn claim_complete_cycle_of_a_level_source() {
        let (p, harts) = plic(1);
        prio(&p, 10, 1);
        enable(&p, 0, 10);
        p.set_irq(10, true);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        assert!(harts[0].attention.load(Ordering::SeqCst));
        assert_eq!(pending_word(&p, 0), 1 << 10);

        assert_eq!(claim(&p, 0), 10);
        assert_eq!(pending(&harts[0]), 0, "claimed: output drops");
        assert_eq!(pending_word(&p, 0), 0, "claim clears the pending bit");
        // The gateway is closed while the line stays high or toggles.
        p.set_irq(10, true);
        p.set_irq(10, false);
        p.set_irq(10, true);
        assert_eq!(pending_word(&p, 0), 0);
        assert_eq!(claim(&p, 0), 0, "nothing to claim");
        assert_eq!(pending(&harts[0]), 0);

        // Completion with the line still high: pending again at once.
        complete(&p, 0, 10);
        assert_eq!(pending_word(&p, 0), 1 << 10);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        assert_eq!(claim(&p, 0), 10);
        p.set_irq(10, false);
        complete(&p, 0, 10);
        assert_eq!(
            pending_word(&p, 0),
            0,
            "line low at completion: not pending"
        );
        assert_eq!(pending(&harts[0]), 0);
        // A second completion of the same source is harmless.
        complete(&p, 0, 10);
        assert_eq!(claim(&p, 0), 0);
    }

    #[test]
    fn line_dropping_before_claim_clears_pending() {
        let (p, harts) = plic(1);
        prio(&p, 3, 2);
        enable(&p, 0, 3);
        p.set_irq(3, true);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        p.set_irq(3, false);
        assert_eq!(pending_word(&p, 0), 0);
        assert_eq!(pending(&harts[0]), 0);
        assert_eq!(claim(&p, 0), 0);
    }

    #[test]
    fn threshold_and_priority_zero_mask() {
        let (p, harts) = plic(1);
        enable(&p, 0, 5);
        p.set_irq(5, true);
        assert_eq!(pending_word(&p, 0), 1 << 5, "pending even at priority 0");
        assert_eq!(pending(&harts[0]), 0, "priority 0 never interrupts");
        prio(&p, 5, 3);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        threshold(&p, 0, 3);
        assert_eq!(pending(&harts[0]), 0, "priority must exceed the threshold");
        assert_eq!(claim(&p, 0), 0);
        assert_eq!(
            pending_word(&p, 0),
            1 << 5,
            "a refused claim leaves it pending"
        );
        threshold(&p, 0, 2);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        assert_eq!(claim(&p, 0), 5);
    }

    #[test]
    fn highest_priority_first_ties_to_lowest_id() {
        let (p, _) = plic(1);
        for (src, pr) in [(40, 2), (7, 2), (70, 6), (33, 6), (90, 1)] {
            prio(&p, src, pr);
            enable(&p, 0, src);
            p.set_irq(src, true);
        }
        let order: Vec<u32> = (0..6).map(|_| claim(&p, 0)).collect();
        assert_eq!(order, [33, 70, 7, 40, 90, 0]);
    }

    #[test]
    fn disabled_source_stays_pending_until_enabled() {
        let (p, harts) = plic(1);
        prio(&p, 20, 1);
        p.set_irq(20, true);
        assert_eq!(pending(&harts[0]), 0);
        assert_eq!(claim(&p, 0), 0);
        enable(&p, 0, 20);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        // Disabling it again drops the output.
        p.write(ENABLE_BASE, 4, 0);
        assert_eq!(pending(&harts[0]), 0);
    }

    #[test]
    fn contexts_map_to_meip_and_seip_of_the_right_hart() {
        let (p, harts) = plic(2);
        prio(&p, 1, 1);
        prio(&p, 2, 1);
        enable(&p, 3, 1); // hart 1, S-mode
        enable(&p, 0, 2); // hart 0, M-mode
        p.set_irq(1, true);
        assert_eq!(pending(&harts[0]), 0);
        assert_eq!(pending(&harts[1]), irq::SEIP);
        p.set_irq(2, true);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        // A source enabled on two contexts goes to whichever claims first.
        enable(&p, 2, 1); // hart 1, M-mode
        assert_eq!(pending(&harts[1]), irq::SEIP | irq::MEIP);
        assert_eq!(claim(&p, 2), 1);
        assert_eq!(pending(&harts[1]), 0);
        assert_eq!(claim(&p, 3), 0);
        complete(&p, 2, 1);
        assert_eq!(pending(&harts[1]), irq::SEIP | irq::MEIP);
        // Other pending bits of the hart (from the CLINT) are left alone.
        harts[0].set_pending(irq::MSIP);
        assert_eq!(claim(&p, 0), 2);
        assert_eq!(pending(&harts[0]), irq::MSIP);
    }

    #[test]
    fn completion_of_a_source_the_context_has_not_enabled_is_ignored() {
        let (p, _) = plic(1);
        prio(&p, 9, 1);
        enable(&p, 0, 9);
        p.set_irq(9, true);
        assert_eq!(claim(&p, 0), 9);
        p.write(ENABLE_BASE, 4, 0);
        complete(&p, 0, 9);
        enable(&p, 0, 9);
        assert_eq!(claim(&p, 0), 0, "still claimed");
        complete(&p, 0, 9);
        assert_eq!(claim(&p, 0), 9);
        // Nonsense completions.
        for v in [0, 96, 1000, u64::MAX, 1 << 32 | 9] {
            p.write(CONTEXT_BASE + 4, 4, v);
        }
        assert_eq!(claim(&p, 0), 0, "9 still claimed");
    }

    #[test]
    fn many_harts() {
        let (p, harts) = plic(64);
        assert_eq!(p.num_contexts(), 128);
        prio(&p, 95, 7);
        enable(&p, 127, 95);
        p.set_irq(95, true);
        assert_eq!(pending(&harts[63]), irq::SEIP);
        assert!(harts[..63].iter().all(|h| pending(h) == 0));
        assert_eq!(claim(&p, 127), 95);
        // Context 128 does not exist.
        assert_eq!(p.read(CONTEXT_BASE + 128 * CONTEXT_STRIDE + 4, 4), 0);
        assert_eq!(p.read(ENABLE_BASE + 128 * ENABLE_STRIDE, 4), 0);
    }

    #[test]
    fn irq_line_reaches_the_plic() {
        let (p, harts) = plic(1);
        prio(&p, 10, 1);
        enable(&p, 0, 10);
        let line = IrqLine::new(p.clone(), 10);
        line.set(true);
        assert_eq!(pending(&harts[0]), irq::MEIP);
        line.set(false);
        assert_eq!(pending(&harts[0]), 0);
        // Nonexistent sources are ignored.
        p.set_irq(0, true);
        p.set_irq(96, true);
        p.set_irq(u32::MAX, true);
        assert_eq!(
            pending_word(&p, 0) | pending_word(&p, 1) | pending_word(&p, 2),
            0
        );
    }

    #[test]
    fn bad_accesses_are_ignored() {
        let (p, harts) = plic(1);
        prio(&p, 1, 1);
        enable(&p, 0, 1);
        p.set_irq(1, true);
        for (off, size) in [
            (4, 8),
            (4, 2),
            (4, 1),
            (5, 4),
            (PENDING_BASE, 8),
            (PENDING_BASE + 12, 4),
            (ENABLE_BASE + 2 * ENABLE_STRIDE, 4), // context 2 of a one-hart PLIC
            (ENABLE_BASE + 0x7c, 4),
            (CONTEXT_BASE + 4, 8), // claim must be 32-bit
            (CONTEXT_BASE + 8, 4),
            (CONTEXT_BASE + 2 * CONTEXT_STRIDE + 4, 4),
            (PLIC_SIZE, 4),
            (u64::MAX - 3, 4),
            (u64::MAX, 8),
        ] {
            p.write(off, size, u64::MAX);
            assert_eq!(p.read(off, size), 0, "{off:#x}/{size}");
        }
        p.write(PENDING_BASE, 4, 0);
        assert_eq!(pending_word(&p, 0), 2, "pending bits are read-only");
        assert_eq!(pending(&harts[0]), irq::MEIP);
        assert_eq!(claim(&p, 0), 1);
    }

    /// Recomputes what each hart's MEIP/SEIP should be from register reads alone.
    fn expected_outputs(p: &Plic, harts: usize) -> Vec<u64> {
        let pend: Bitmap = std::array::from_fn(|w| pending_word(p, w as u64));
        let st = p.lock();
        (0..harts)
            .map(|h| {
                let mut bits = 0;
                for (ctx, b) in [(2 * h, irq::MEIP), (2 * h + 1, irq::SEIP)] {
                    let c = &st.contexts[ctx];
                    let any = (1..PLIC_NUM_SOURCES).any(|s| {
                        bit(&pend, s) && bit(&c.enable, s) && st.priority[s as usize] > c.threshold
                    });
                    if any {
                        bits |= b;
                    }
                }
                bits
            })
            .collect()
    }

    proptest::proptest! {
        /// Random register traffic and line changes: never panics, and every hart's
        /// MEIP/SEIP matches the registers.
        #[test]
        fn random_traffic_keeps_outputs_consistent(
            ops in proptest::collection::vec(
                (0u8..6, 0u64..0x40, 0u64..4, proptest::num::u64::ANY), 0..300)
        ) {
            let (p, harts) = plic(2);
            for (kind, a, b, value) in ops {
                match kind {
                    0 => p.set_irq(a as u32 % 100, value & 1 != 0),
                    1 => prio(&p, a as u32, value),
                    2 => p.write(ENABLE_BASE + ENABLE_STRIDE * b + 4 * (a % 4), 4, value),
                    3 => threshold(&p, b, value % 8),
                    4 => { claim(&p, b); }
                    _ => complete(&p, b, (value % 100) as u32),
                }
                let want = expected_outputs(&p, 2);
                for (h, w) in harts.iter().zip(want) {
                    proptest::prop_assert_eq!(pending(h), w);
                }
            }
        }

        #[test]
        fn random_offsets_never_panic(
            ops in proptest::collection::vec(
                (proptest::bool::ANY, proptest::num::u64::ANY, 0usize..10, proptest::num::u64::ANY),
                0..200)
        ) {
            let (p, _) = plic(1);
            for (write, off, size, value) in ops {
                let off = if value & 1 == 0 { off % PLIC_SIZE } else { off };
                if write {
                    p.write(off, size, value);
                } else {
                    p.read(off, size);
                }
            }
        }
    }
}
