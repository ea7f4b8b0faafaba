//! One small machine per engine: RAM, an exit device, a fresh hart per program. A program is a
//! [`Setup`] (initial architectural state, privilege, paging) plus the body's instruction
//! words; [`Machine::run`] returns everything the comparison looks at.

use super::encode::{self, save};
use emu_cpu::{Accel, Exit, Hart, HartConfig};
use emu_mmu::walk::{PTE_A, PTE_D, PTE_PPN_SHIFT, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl, Mmio};
use std::cell::Cell;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const RAM_BASE: u64 = 0x8000_0000;
pub const RAM_SIZE: u64 = 4 << 20;
/// `mret` into the body (the hart starts here, in M-mode).
pub const STUB: u64 = RAM_BASE;
pub const HANDLER: u64 = RAM_BASE + 0x1000;
pub const SAVE: u64 = RAM_BASE + 0x2000;
pub const SAVE_SIZE: u64 = 128;
pub const LOG: u64 = RAM_BASE + 0x4_0000;
pub const LOG_SIZE: u64 = 0x1_0000;
/// Log entries the handler keeps (it drops the rest).
pub const LOG_ENTRIES: u64 = LOG_SIZE / 24;
/// Page tables (root first), built by the harness.
pub const PT: u64 = RAM_BASE + 0x4000;
pub const PT_SIZE: u64 = 0x6000;
/// Code: the body starts in the first page at an offset the setup chooses.
pub const CODE: u64 = RAM_BASE + 0x2_0000;
pub const CODE_SIZE: u64 = 0x8000;
/// The data window the generated loads and stores aim at (4 pages with their own PTEs).
pub const DATA: u64 = RAM_BASE + 0x10_0000;
pub const DATA_PAGES: usize = 4;
pub const DATA_SIZE: u64 = DATA_PAGES as u64 * 0x1000;
/// One more page is compared: misaligned accesses at the window's end reach into it.
pub const DATA_CMP_SIZE: u64 = DATA_SIZE + 0x1000;
/// A gigapage that maps VA 0x4000_0000.. onto RAM (a superpage alias of everything).
pub const ALIAS_VA: u64 = 0x4000_0000;
pub const EXIT_DEV: u64 = 0x1000_0000;

/// Initial state of one program. Printed as Rust by [`Setup::to_rust`] for regression tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Privilege of the body: 0 = U, 1 = S, 3 = M.
    pub priv_: u8,
    /// satp.MODE: 0 (Bare), 8 (Sv39), 9 (Sv48).
    pub satp_mode: u8,
    /// mstatus bits besides MPP (FS, MPRV, SUM, MXR, ...).
    pub mstatus: u64,
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub frm: u8,
    pub fflags: u8,
    pub menvcfg: u64,
    pub senvcfg: u64,
    pub mcounteren: u64,
    pub scounteren: u64,
    pub sscratch: u64,
    /// PTE flag bits of the code pages, the data pages and the gigapage alias.
    pub code_pte: u64,
    pub data_pte: [u64; DATA_PAGES],
    pub alias_pte: u64,
    /// The data window's initial contents come from this seed.
    pub data_seed: u64,
    pub body_base: u64,
    /// How many more times the body runs after the first pass (with the registers and
    /// memory the previous pass left).
    pub passes: u8,
    /// Size of the JIT's code cache in KiB (64, the minimum, makes long programs flush it).
    pub jit_cache_kib: u32,
}

impl Setup {
    pub fn paging(&self) -> bool {
        self.satp_mode != 0
    }

    /// Rust source that rebuilds this setup.
    pub fn to_rust(&self) -> String {
        let arr = |a: &[u64]| {
            a.iter()
                .map(|v| format!("{v:#x}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "Setup {{\n        priv_: {}, satp_mode: {}, mstatus: {:#x},\n        x: [{}],\n        f: [{}],\n        frm: {}, fflags: {:#x}, menvcfg: {:#x}, senvcfg: {:#x}, mcounteren: {:#x}, scounteren: {:#x}, sscratch: {:#x},\n        code_pte: {:#x}, data_pte: [{}], alias_pte: {:#x},\n        data_seed: {:#x}, body_base: {:#x}, passes: {}, jit_cache_kib: {},\n    }}",
            self.priv_,
            self.satp_mode,
            self.mstatus,
            arr(&self.x),
            arr(&self.f),
            self.frm,
            self.fflags,
            self.menvcfg,
            self.senvcfg,
            self.mcounteren,
            self.scounteren,
            self.sscratch,
            self.code_pte,
            arr(&self.data_pte),
            self.alias_pte,
            self.data_seed,
            self.body_base,
            self.passes,
            self.jit_cache_kib
        )
    }
}

/// Writing anything stops the machine of the hart that runs now.
#[derive(Default)]
struct ExitDevice {
    control: Mutex<Option<Arc<MachineControl>>>,
}

impl Mmio for ExitDevice {
    fn read(&self, _offset: u64, _size: usize) -> u64 {
        0
    }

    fn write(&self, _offset: u64, _size: usize, _value: u64) {
        if let Some(c) = self
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            c.request_exit(0);
        }
    }
}

/// What a run left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit: String,
    pub pc: u64,
    pub priv_: u8,
    pub instret: u64,
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub csrs: Vec<(&'static str, u64)>,
    /// (mcause, mepc, mtval) per trap, in order.
    pub traps: Vec<[u64; 3]>,
    /// (name, base, bytes) of every compared memory region.
    pub mem: Vec<(&'static str, u64, Vec<u8>)>,
}

impl Outcome {
    /// The first difference from `other`, described for a human; None if equal.
    pub fn diff(&self, other: &Outcome, names: (&str, &str)) -> Option<String> {
        let (a, b) = names;
        let hex = |x: u64| format!("{x:#018x}");
        let one =
            |what: String, va: String, vb: String| Some(format!("{what}: {a} = {va}, {b} = {vb}"));
        if self.exit != other.exit {
            return one("exit".into(), self.exit.clone(), other.exit.clone());
        }
        for i in 1..32 {
            if self.x[i] != other.x[i] {
                return one(
                    format!("x{i} ({})", emu_cpu::decode::xreg_name(i as u8)),
                    hex(self.x[i]),
                    hex(other.x[i]),
                );
            }
        }
        for i in 0..32 {
            if self.f[i] != other.f[i] {
                return one(
                    format!("f{i} ({})", emu_cpu::decode::freg_name(i as u8)),
                    hex(self.f[i]),
                    hex(other.f[i]),
                );
            }
        }
        if self.pc != other.pc {
            return one("pc".into(), hex(self.pc), hex(other.pc));
        }
        if self.priv_ != other.priv_ {
            return one(
                "privilege".into(),
                self.priv_.to_string(),
                other.priv_.to_string(),
            );
        }
        if self.instret != other.instret {
            return one(
                "instret".into(),
                self.instret.to_string(),
                other.instret.to_string(),
            );
        }
        for ((n, va), (_, vb)) in self.csrs.iter().zip(&other.csrs) {
            if va != vb {
                return one(format!("csr {n}"), hex(*va), hex(*vb));
            }
        }
        if self.traps != other.traps {
            let k = self
                .traps
                .iter()
                .zip(&other.traps)
                .position(|(x, y)| x != y)
                .unwrap_or(self.traps.len().min(other.traps.len()));
            let show = |t: Option<&[u64; 3]>| {
                t.map_or("none".to_string(), |t| {
                    format!("mcause={:#x} mepc={:#x} mtval={:#x}", t[0], t[1], t[2])
                })
            };
            return one(
                format!("trap #{k}"),
                show(self.traps.get(k)),
                show(other.traps.get(k)),
            );
        }
        for ((n, base, ma), (_, _, mb)) in self.mem.iter().zip(&other.mem) {
            if ma != mb {
                let k = ma.iter().zip(mb).position(|(x, y)| x != y).unwrap_or(0) & !7;
                let word = |m: &[u8]| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(&m[k..k + 8]);
                    hex(u64::from_le_bytes(w))
                };
                return one(
                    format!("memory {n} at {:#x}", base + k as u64),
                    word(ma),
                    word(mb),
                );
            }
        }
        None
    }
}

/// A run that did not finish in time is stopped by the watchdog (an infinite loop in a
/// generated program, or in an engine). Each thread registers its current run here.
type Watched = (Instant, Arc<MachineControl>, Arc<HartSignals>);

fn watchdog() -> &'static Mutex<Vec<(std::thread::ThreadId, Watched)>> {
    static W: OnceLock<Mutex<Vec<(std::thread::ThreadId, Watched)>>> = OnceLock::new();
    W.get_or_init(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(200));
            let list = watchdog().lock().unwrap_or_else(|e| e.into_inner());
            for (_, (start, control, signals)) in list.iter() {
                if start.elapsed() > Duration::from_secs(5) {
                    control.request_exit(TIMEOUT_CODE);
                    signals.kick();
                }
            }
        });
        Mutex::new(Vec::new())
    })
}

const TIMEOUT_CODE: i32 = 77;

pub struct Machine {
    ram: Arc<GuestRam>,
    bus: Arc<Bus>,
    exit: Arc<ExitDevice>,
    accel: Accel,
    /// The 8-byte-aligned range the last body occupied.
    last_code: Cell<(u64, u64)>,
    /// Bytes of the trap log the last program used.
    last_log: Cell<u64>,
}

/// Page-table builder over an image of the PT area.
struct PageTables {
    levels: u32,
    image: Vec<u8>,
    next: u64,
}

impl PageTables {
    fn new(levels: u32) -> PageTables {
        PageTables {
            levels,
            image: vec![0; PT_SIZE as usize],
            next: PT + 0x1000,
        }
    }

    fn pte(&self, addr: u64) -> u64 {
        let o = (addr - PT) as usize;
        u64::from_le_bytes(self.image[o..o + 8].try_into().expect("8 bytes"))
    }

    fn set_pte(&mut self, addr: u64, v: u64) {
        let o = (addr - PT) as usize;
        self.image[o..o + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Maps `va` -> `pa` with a leaf at `leaf_level` (0 = 4 KiB, 2 = 1 GiB).
    fn map(&mut self, va: u64, pa: u64, leaf_level: u32, flags: u64) {
        let mut table = PT;
        for level in (leaf_level..self.levels).rev() {
            let slot = table + ((va >> (12 + 9 * level)) & 511) * 8;
            if level == leaf_level {
                self.set_pte(slot, (pa >> 12) << PTE_PPN_SHIFT | flags);
                return;
            }
            let pte = self.pte(slot);
            table = if pte & PTE_V != 0 {
                (pte >> PTE_PPN_SHIFT) << 12
            } else {
                let t = self.next;
                self.next += 0x1000;
                assert!(self.next <= PT + PT_SIZE, "page-table area too small");
                self.set_pte(slot, (t >> 12) << PTE_PPN_SHIFT | PTE_V);
                t
            };
        }
    }
}

pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The bytes of the body: 32-bit words, and 16-bit ones (low two bits not 0b11).
pub fn body_bytes(words: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(words.len() * 4);
    for &w in words {
        if w & 3 == 3 {
            out.extend_from_slice(&w.to_le_bytes());
        } else {
            out.extend_from_slice(&(w as u16).to_le_bytes());
        }
    }
    out
}

pub fn words_len(words: &[u32]) -> u64 {
    words.iter().map(|&w| if w & 3 == 3 { 4 } else { 2 }).sum()
}

impl Machine {
    pub fn new(accel: Accel) -> Machine {
        let ram = Arc::new(GuestRam::new(RAM_BASE, RAM_SIZE).expect("guest RAM"));
        let mut bus = Bus::new(ram.clone());
        let exit = Arc::new(ExitDevice::default());
        bus.add_mmio("exit", EXIT_DEV, 0x1000, exit.clone())
            .expect("exit device");
        Machine {
            ram,
            bus: Arc::new(bus),
            exit,
            accel,
            last_code: Cell::new((CODE, CODE + CODE_SIZE)),
            last_log: Cell::new(LOG_SIZE),
        }
    }

    /// Writes `bytes` (a multiple of 8 long when `addr` is aligned: whole words, fast).
    fn write(&self, addr: u64, bytes: &[u8]) {
        if addr.is_multiple_of(8) && bytes.len().is_multiple_of(8) {
            for (i, c) in bytes.chunks_exact(8).enumerate() {
                let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
                assert!(
                    self.ram.write(addr + 8 * i as u64, 8, v),
                    "RAM write at {addr:#x}"
                );
            }
        } else {
            assert!(self.ram.write_bytes(addr, bytes), "RAM write at {addr:#x}");
        }
    }

    fn fill(&self, addr: u64, len: u64, mut value: impl FnMut() -> u64) {
        for a in (addr..addr + len).step_by(8) {
            assert!(self.ram.write(a, 8, value()), "RAM write at {a:#x}");
        }
    }

    fn read(&self, addr: u64, len: u64) -> Vec<u8> {
        if addr.is_multiple_of(8) && len.is_multiple_of(8) {
            let mut v = Vec::with_capacity(len as usize);
            for a in (addr..addr + len).step_by(8) {
                v.extend_from_slice(&self.ram.read(a, 8).expect("RAM read").to_le_bytes());
            }
            v
        } else {
            let mut v = vec![0; len as usize];
            assert!(self.ram.read_bytes(addr, &mut v), "RAM read at {addr:#x}");
            v
        }
    }

    /// Writes the program's memory: stub, handler, save area, log, page tables, code, data.
    /// Returns the length of the page-table area in use.
    fn load(&self, setup: &Setup, words: &[u32]) -> u64 {
        self.write(STUB, &u64::from(encode::MRET).to_le_bytes());
        let handler: Vec<u8> = encode::handler()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        self.write(HANDLER, &handler);
        let body = body_bytes(words);
        let exit_pc = setup.body_base + body.len() as u64;
        let mut save_area = [0u64; SAVE_SIZE as usize / 8];
        save_area[save::LOG_PTR as usize / 8] = LOG;
        save_area[save::EXIT_PC as usize / 8] = exit_pc;
        save_area[save::LOG_END as usize / 8] = LOG + LOG_ENTRIES * 24;
        save_area[save::EXIT_DEV as usize / 8] = EXIT_DEV;
        save_area[save::PASSES as usize / 8] = setup.passes as u64;
        save_area[save::BODY as usize / 8] = setup.body_base;
        let mut it = save_area.into_iter();
        self.fill(SAVE, SAVE_SIZE, || it.next().unwrap_or(0));
        // Zero what the previous program logged.
        self.fill(LOG, self.last_log.get().next_multiple_of(8), || 0);
        let pt_len = if setup.paging() {
            let (image, len) = self.page_tables(setup);
            self.write(PT, &image[..len as usize]);
            len
        } else {
            0
        };
        // Zero what the previous body used, then write this one and the exit `ecall`.
        let (from, to) = self.last_code.get();
        self.fill(from, to - from, || 0);
        let at = setup.body_base;
        assert!(
            at + body.len() as u64 + 4 <= CODE + CODE_SIZE,
            "body too long"
        );
        let mut code = body;
        code.extend_from_slice(&encode::ECALL.to_le_bytes());
        self.write(at, &code);
        self.last_code
            .set((at & !7, (at + code.len() as u64).next_multiple_of(8)));
        let mut s = setup.data_seed;
        self.fill(DATA, DATA_CMP_SIZE, || splitmix(&mut s));
        pt_len
    }

    fn page_tables(&self, setup: &Setup) -> (Vec<u8>, u64) {
        let levels = match setup.satp_mode {
            9 => 4,
            _ => 3,
        };
        let mut pt = PageTables::new(levels);
        for page in 0..CODE_SIZE / 0x1000 {
            let a = CODE + page * 0x1000;
            pt.map(a, a, 0, setup.code_pte);
        }
        for (i, &flags) in setup.data_pte.iter().enumerate() {
            let a = DATA + i as u64 * 0x1000;
            pt.map(a, a, 0, flags);
        }
        pt.map(ALIAS_VA, RAM_BASE, 2, setup.alias_pte);
        let len = pt.next - PT;
        (pt.image, len)
    }

    /// Runs one program on a fresh hart (a stop request cannot be withdrawn from a
    /// MachineControl, so each run gets its own).
    pub fn run(&self, setup: &Setup, words: &[u32]) -> Outcome {
        let pt_len = self.load(setup, words);
        let control = Arc::new(MachineControl::default());
        let signals = Arc::new(HartSignals::default());
        *self.exit.control.lock().unwrap_or_else(|e| e.into_inner()) = Some(control.clone());
        let mut hart = Hart::new(HartConfig {
            hartid: 0,
            bus: self.bus.clone(),
            signals: signals.clone(),
            control: control.clone(),
            clock: Clock::default(),
        });
        // A small code cache: a program needs a few KiB, and a fresh hart maps its own.
        hart.set_jit_cache_size(setup.jit_cache_kib as usize * 1024);
        assert!(
            hart.set_accel(self.accel),
            "engine {:?} unavailable",
            self.accel
        );
        hart.set_pc(STUB);
        hart.state.x = setup.x;
        hart.state.x[0] = 0;
        hart.state.f = setup.f;
        let c = &mut hart.csr;
        c.mstatus = emu_cpu::csr::mstatus::XLEN_FIELDS
            | setup.mstatus
            | (setup.priv_ as u64) << emu_cpu::csr::mstatus::MPP_SHIFT;
        c.mtvec = HANDLER;
        c.mscratch = SAVE;
        c.mepc = setup.body_base;
        c.frm = setup.frm;
        c.fflags = setup.fflags;
        c.menvcfg = setup.menvcfg;
        c.senvcfg = setup.senvcfg;
        c.mcounteren = setup.mcounteren;
        c.scounteren = setup.scounteren;
        c.sscratch = setup.sscratch;
        if setup.paging() {
            c.satp = (setup.satp_mode as u64) << 60 | PT >> 12;
        }
        // PMP entry 0: NAPOT over everything, RWX, so S and U may access memory at all
        // (privileged spec 3.7.1: with PMP implemented, no match denies S/U).
        hart.pmp.write_addr(0, u64::MAX);
        hart.pmp.write_cfg(0, 0x1f);

        let me = std::thread::current().id();
        {
            let mut w = watchdog().lock().unwrap_or_else(|e| e.into_inner());
            w.retain(|(id, _)| *id != me);
            w.push((me, (Instant::now(), control.clone(), signals.clone())));
        }
        let exit = hart.run();
        // The JIT falls back to the interpreter for good if it cannot work (no code memory):
        // then this comparison would prove nothing.
        assert_eq!(
            hart.accel(),
            self.accel,
            "the engine changed during the run"
        );
        watchdog()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(id, _)| *id != me);
        let exit = match exit {
            Exit::Stopped if control.exit_code() == TIMEOUT_CODE => "timeout".to_string(),
            e => format!("{e:?}"),
        };
        let c = &hart.csr;
        let csrs = vec![
            ("mstatus", hart.mstatus_value()),
            ("mepc", c.mepc),
            ("mcause", c.mcause),
            ("mtval", c.mtval),
            ("mscratch", c.mscratch),
            ("mtvec", c.mtvec),
            ("medeleg", c.medeleg),
            ("mideleg", c.mideleg),
            ("mie", c.mie),
            ("mip_sw", c.mip_sw),
            ("sepc", c.sepc),
            ("scause", c.scause),
            ("stval", c.stval),
            ("stvec", c.stvec),
            ("sscratch", c.sscratch),
            ("satp", c.satp),
            ("mcounteren", c.mcounteren),
            ("scounteren", c.scounteren),
            ("menvcfg", c.menvcfg),
            ("senvcfg", c.senvcfg),
            ("stimecmp", c.stimecmp),
            ("mseccfg", c.mseccfg),
            ("frm", c.frm as u64),
            ("fflags", c.fflags as u64),
            ("mcycle_offset", c.mcycle_offset),
            ("minstret_offset", c.minstret_offset),
            ("pmpcfg0", hart.pmp.read_cfg(0)),
            ("pmpaddr0", hart.pmp.read_addr(0)),
        ];
        let save_area = self.read(SAVE, SAVE_SIZE);
        let word = |m: &[u8], i: usize| {
            u64::from_le_bytes(m[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
        };
        let log_ptr = word(&save_area, save::LOG_PTR as usize / 8);
        let n = (log_ptr.saturating_sub(LOG) / 24).min(LOG_ENTRIES);
        self.last_log.set(n * 24);
        let log = self.read(LOG, n * 24);
        let traps = (0..n as usize)
            .map(|k| {
                [
                    word(&log, 3 * k),
                    word(&log, 3 * k + 1),
                    word(&log, 3 * k + 2),
                ]
            })
            .collect();
        let mut x = hart.state.x;
        if hart.pc() == HANDLER + encode::HANDLER_EXIT_OFFSET {
            // Stopped by the handler's exit path: the body's t0-t2 are in the save area.
            for (k, r) in x[5..8].iter_mut().enumerate() {
                *r = word(&save_area, k);
            }
        }
        let mut mem = vec![
            ("save area", SAVE, save_area),
            (
                "body",
                setup.body_base,
                self.read(setup.body_base, words_len(words) + 4),
            ),
            ("data", DATA, self.read(DATA, DATA_CMP_SIZE)),
        ];
        if setup.paging() {
            mem.push(("page tables", PT, self.read(PT, pt_len)));
        }
        Outcome {
            exit,
            pc: hart.pc(),
            priv_: hart.priv_ as u8,
            instret: hart.state.instret,
            x,
            f: hart.state.f,
            csrs,
            traps,
            mem,
        }
    }
}

/// PTE flags commonly wanted: valid, accessed, dirty, plus `perm` (R/W/X/U bits).
pub fn pte_flags(perm: u64) -> u64 {
    PTE_V | PTE_A | PTE_D | perm
}

pub const RWX: u64 = PTE_R | PTE_W | PTE_X;
pub const RX: u64 = PTE_R | PTE_X;
pub const RW: u64 = PTE_R | PTE_W;
pub const R: u64 = PTE_R;
pub const U: u64 = PTE_U;
