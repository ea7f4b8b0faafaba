//! The random program generator: a [`Setup`] (initial state, privilege, paging) and a body
//! of items. An item is one random instruction, preceded when it needs one by the
//! instructions that point its base register into memory or at its jump target. Branches
//! and jumps only go forward, to the start of a later item or to the exit, so every program
//! ends.

use super::encode::set_j_offset;
use super::encode::{self, fits_signed, i_type, set_b_offset, set_cb_offset, set_cj_offset};
use super::machine::{
    self, pte_flags, Setup, ALIAS_VA, CODE, DATA, DATA_PAGES, DATA_SIZE, EXIT_DEV, RAM_BASE, RW,
    RWX, RX, U,
};
use super::table::{self, F, PATTERNS};
use emu_cpu::csr::{mstatus, num};
use emu_cpu::decode::{decode, Op};
use emu_mmu::walk::{PTE_A, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use std::sync::OnceLock;

/// splitmix64: small, fast, good enough, and stable across Rust versions.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    /// When set, register fields are drawn from these few registers, so that instructions
    /// depend on each other (and the JIT's register caching has work to do).
    pool: Option<Vec<u8>>,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed,
            pool: None,
        }
    }

    pub fn next(&mut self) -> u64 {
        machine::splitmix(&mut self.state)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn reg(&mut self) -> u8 {
        match self.pool.take() {
            Some(p) => {
                let r = self.pick(&p);
                self.pool = Some(p);
                r
            }
            None => self.below(32) as u8,
        }
    }

    fn nonzero_reg(&mut self) -> u8 {
        loop {
            let r = self.reg();
            if r != 0 {
                return r;
            }
        }
    }

    /// Draws the register fields (rd, rs1, rs2, rs3) that `mask` leaves free from the pool.
    fn remap(&mut self, mut w: u32, mask: u32) -> u32 {
        if self.pool.is_some() {
            for pos in [7, 15, 20, 27] {
                if (mask >> pos) & 31 == 0 {
                    w = (w & !(31 << pos)) | (self.reg() as u32) << pos;
                }
            }
        }
        w
    }
}

/// For some programs, a pool of 3 to 6 registers (at least 3 of them not x0).
fn choose_pool(rng: &mut Rng) -> Option<Vec<u8>> {
    if !rng.chance(400) {
        return None;
    }
    let mut pool: Vec<u8> = Vec::new();
    let n = 3 + rng.below(4) as usize;
    while pool.len() < n {
        let r = rng.below(32) as u8;
        if !pool.contains(&r) && (r != 0 || n >= 4) {
            pool.push(r);
        }
    }
    Some(pool)
}

/// Where an address piece points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// A fixed (virtual) address.
    Abs(u64),
    /// The start of body item `n` (the item count means the exit point).
    Item(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpKind {
    B,
    J,
    Cb,
    Cj,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A fixed instruction (16-bit if its low two bits are not 0b11).
    Word(u32),
    /// `auipc rd; addi rd, rd`: rd = address of `base` + `offset`.
    Addr { rd: u8, base: Base, offset: i64 },
    /// Self-modifying code: `auipc/addi base`, `li data, new`, `sw data, 0(base)`, which
    /// overwrites item `target` with `new`. Only a single 32-bit plain instruction may be
    /// overwritten (it cannot change where control goes); if item `target` is anything else
    /// (after shrinking) the piece becomes nops of the same length.
    Patch {
        base: u8,
        data: u8,
        target: usize,
        new: u32,
        /// Store through the gigapage alias of the code rather than its own address.
        via_alias: bool,
    },
    /// A branch or jump whose offset is patched to reach the start of item `target`.
    Jump {
        word: u32,
        kind: JumpKind,
        target: usize,
    },
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Word(w) => {
                if w & 3 == 3 {
                    4
                } else {
                    2
                }
            }
            Piece::Addr { .. } => 8,
            Piece::Patch { data, new, .. } => {
                12 + 4 * encode::li(*data, *new as i32 as u64).len() as u64
            }
            Piece::Jump { kind, .. } => match kind {
                JumpKind::B | JumpKind::J => 4,
                JumpKind::Cb | JumpKind::Cj => 2,
            },
        }
    }
}

/// One unit of the body: the shrinker removes whole items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub pieces: Vec<Piece>,
}

pub fn item_len(it: &Item) -> u64 {
    it.pieces.iter().map(Piece::len).sum()
}

/// Lays the items out at `body_base` and encodes them. Targets that a short branch cannot
/// reach are moved back to the farthest item it can (the next item is always in reach).
pub fn resolve(body_base: u64, items: &[Item]) -> Vec<u32> {
    let mut starts = Vec::with_capacity(items.len() + 1);
    let mut a = body_base;
    for it in items {
        starts.push(a);
        a += item_len(it);
    }
    starts.push(a);
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let mut pc = starts[i];
        for p in &it.pieces {
            match *p {
                Piece::Word(w) => out.push(w),
                Piece::Patch {
                    base,
                    data,
                    target,
                    new,
                    via_alias,
                } => {
                    let li = encode::li(data, new as i32 as u64);
                    match items.get(target).map(|t| t.pieces.as_slice()) {
                        Some([Piece::Word(old)]) if target > i && is_plain32(*old) => {
                            let to = if via_alias {
                                starts[target] - RAM_BASE + ALIAS_VA
                            } else {
                                starts[target]
                            };
                            let pair =
                                encode::pc_rel_pair(base, pc, to).expect("code within 2 GiB");
                            out.extend_from_slice(&pair);
                            out.extend(li);
                            out.push(encode::s_type(encode::STORE, 2, base, data, 0));
                        }
                        _ => out.extend((0..li.len() + 3).map(|_| encode::NOP)),
                    }
                }
                Piece::Addr { rd, base, offset } => {
                    let target = match base {
                        Base::Abs(v) => v,
                        Base::Item(n) => starts[n.min(items.len())],
                    };
                    let pair = encode::pc_rel_pair(rd, pc, target.wrapping_add(offset as u64))
                        .expect("address within 2 GiB of the code");
                    out.extend_from_slice(&pair);
                }
                Piece::Jump { word, kind, target } => {
                    let bits = match kind {
                        JumpKind::B => 13,
                        JumpKind::J => 21,
                        JumpKind::Cb => 9,
                        JumpKind::Cj => 12,
                    };
                    let mut t = target.clamp(i + 1, items.len());
                    while t > i + 1 && !fits_signed(starts[t] as i64 - pc as i64, bits) {
                        t -= 1;
                    }
                    let off = starts[t] as i64 - pc as i64;
                    out.push(match kind {
                        JumpKind::B => set_b_offset(word, off),
                        JumpKind::J => set_j_offset(word, off),
                        JumpKind::Cb => set_cb_offset(word, off),
                        JumpKind::Cj => set_cj_offset(word, off),
                    });
                }
            }
            pc += p.len();
        }
    }
    out
}

/// Removes item `k`, keeping every jump aimed at the same instruction (or the one that now
/// follows the removed item).
pub fn remove_item(items: &[Item], k: usize) -> Vec<Item> {
    let fix = |t: usize| if t > k { t - 1 } else { t };
    items
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != k)
        .map(|(_, it)| Item {
            pieces: it
                .pieces
                .iter()
                .map(|p| match *p {
                    Piece::Addr {
                        rd,
                        base: Base::Item(n),
                        offset,
                    } => Piece::Addr {
                        rd,
                        base: Base::Item(fix(n)),
                        offset,
                    },
                    Piece::Jump { word, kind, target } => Piece::Jump {
                        word,
                        kind,
                        target: fix(target),
                    },
                    // The overwritten item is gone: aim past the end (becomes nops).
                    Piece::Patch {
                        base,
                        data,
                        target,
                        new,
                        via_alias,
                    } => Piece::Patch {
                        base,
                        data,
                        target: if target == k { usize::MAX } else { fix(target) },
                        new,
                        via_alias,
                    },
                    ref other => other.clone(),
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Initial state

/// Integer values that find edge cases: 0, -1, extremes, small numbers, powers of two,
/// 32-bit boundaries, pointers into the data window, random.
pub fn interesting_x(rng: &mut Rng) -> u64 {
    match rng.below(12) {
        0 => 0,
        1 => u64::MAX,
        2 => rng.pick(&[
            i64::MIN as u64,
            i64::MAX as u64,
            1,
            0x8000_0000,
            0xffff_ffff,
        ]),
        3 => rng.pick(&[
            0x7fff_ffff,
            0xffff_ffff_8000_0000,
            0xffff_ffff_7fff_ffff,
            0x1_0000_0000,
        ]),
        4 => (rng.below(33) as i64 - 16) as u64,
        5 => 1 << rng.below(64),
        6 => DATA + rng.below(DATA_SIZE),
        7 => rng.next() as i32 as i64 as u64,
        8 => rng.next() & 0xffff,
        9 => (1u64 << rng.below(64)).wrapping_sub(1),
        _ => rng.next(),
    }
}

const D_SPECIAL: [u64; 22] = [
    0,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff4_0000_0000_0000,
    0xfff8_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0000_0000_0000_0001,
    0x8000_0000_0000_0001,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0020_0000,
    0x41ef_ffff_ffff_ffff,
    0x3fe0_0000_0000_0000,
    0x4004_0000_0000_0000,
    0x43f0_0000_0000_0000,
];

const S_SPECIAL: [u32; 16] = [
    0,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0x7fa0_0000,
    0x007f_ffff,
    0x0000_0001,
    0x3f80_0000,
    0xbf80_0000,
    0x7f7f_ffff,
    0x0080_0000,
    0x5f00_0000,
    0xcf00_0000,
    0x4f80_0000,
    0x3f00_0000,
];

const H_SPECIAL: [u16; 14] = [
    0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x03ff, 0x0001, 0x3c00, 0xbc00, 0x7bff, 0x0400,
    0x3800, 0x4100,
];

/// Unbiased exponents around which results overflow, become tiny, or round across the edge
/// of the normal range (products and quotients of two such values), plus ordinary ones: they
/// exercise the JIT's checks for when the host FPU's result may be kept.
const D_EDGE_EXP: [u64; 12] = [1, 2, 23, 486, 512, 1022, 1023, 1024, 1535, 1562, 2045, 2046];
const S_EDGE_EXP: [u32; 12] = [1, 2, 3, 52, 64, 126, 127, 128, 190, 202, 253, 254];

/// FP register values: doubles, NaN-boxed singles and halves (special values, random bits,
/// small integers and quarters, random significands at edge exponents), and improperly boxed
/// values.
pub fn interesting_f(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0 => rng.pick(&D_SPECIAL),
        1 => {
            ((rng.below(41) as i64 - 20) as f64 / if rng.chance(500) { 4.0 } else { 1.0 }).to_bits()
        }
        8 => (rng.next() & 0x800f_ffff_ffff_ffff) | rng.pick(&D_EDGE_EXP) << 52,
        9 => {
            let bits = (rng.next() as u32 & 0x807f_ffff) | rng.pick(&S_EDGE_EXP) << 23;
            0xffff_ffff_0000_0000 | bits as u64
        }
        2 => rng.next(),
        3 => 0xffff_ffff_0000_0000 | rng.pick(&S_SPECIAL) as u64,
        4 => 0xffff_ffff_0000_0000 | ((rng.below(41) as i32 - 20) as f32).to_bits() as u64,
        5 => 0xffff_ffff_0000_0000 | (rng.next() & 0xffff_ffff),
        6 => {
            0xffff_ffff_ffff_0000
                | if rng.chance(500) {
                    rng.pick(&H_SPECIAL) as u64
                } else {
                    rng.next() & 0xffff
                }
        }
        _ => rng.next() & 0xffff_ffff,
    }
}

/// A data page's PTE flags: usually readable and writable, sometimes read-only,
/// execute-only, the reserved W-without-R, invalid, or missing A or D (the walker sets them).
fn data_page_flags(rng: &mut Rng, user: bool) -> u64 {
    let u = if user ^ rng.chance(100) { U } else { 0 };
    let f = match rng.below(10) {
        0..=3 => pte_flags(RW),
        4 => pte_flags(PTE_R),
        5 => pte_flags(RWX),
        6 => pte_flags(PTE_X),
        7 => pte_flags(PTE_W),
        8 => PTE_V | PTE_R | PTE_W | if rng.chance(500) { PTE_A } else { 0 },
        _ => pte_flags(RW) & !PTE_V,
    };
    f | u
}

pub fn gen_setup(rng: &mut Rng) -> Setup {
    let priv_ = match rng.below(100) {
        0..=34 => 3,
        35..=67 => 1,
        _ => 0,
    };
    let satp_mode = match (priv_, rng.below(100)) {
        (3, 0..=69) => 0,
        (3, _) => 8,
        (_, 0..=19) => 0,
        (_, 20..=84) => 8,
        _ => 9,
    };
    let mut ms = if rng.chance(80) {
        0
    } else {
        (1 + rng.below(3)) << mstatus::FS_SHIFT
    };
    if rng.chance(300) {
        ms |= mstatus::SUM;
    }
    if rng.chance(200) {
        ms |= mstatus::MXR;
    }
    if priv_ == 3 && rng.chance(if satp_mode != 0 { 500 } else { 100 }) {
        ms |= mstatus::MPRV;
    }
    if priv_ == 1 {
        for bit in [mstatus::TVM, mstatus::TW, mstatus::TSR] {
            if rng.chance(100) {
                ms |= bit;
            }
        }
    }
    let mut x = [0; 32];
    for v in x.iter_mut().skip(1) {
        *v = interesting_x(rng);
    }
    let mut f = [0; 32];
    for v in f.iter_mut() {
        *v = interesting_f(rng);
    }
    // Data accesses are U-mode ones in U, and in M under MPRV (MPP is U after the stub's mret).
    let user_data = priv_ == 0 || ms & mstatus::MPRV != 0;
    let mut data_pte = [0; DATA_PAGES];
    data_pte[0] = pte_flags(RW) | if user_data { U } else { 0 };
    for p in data_pte.iter_mut().skip(1) {
        *p = data_page_flags(rng, user_data);
    }
    let alias_pte = if rng.chance(800) {
        pte_flags(RW) | if user_data { U } else { 0 }
    } else {
        data_page_flags(rng, user_data)
    };
    let mut code_pte = pte_flags(RX) | if priv_ == 0 { PTE_U } else { 0 };
    if rng.chance(100) {
        code_pte &= !PTE_A;
    }
    // Writable code lets the self-modifying stores succeed under paging too.
    if rng.chance(500) {
        code_pte |= PTE_W;
    }
    let cb = |rng: &mut Rng| rng.next() & 0xf1;
    Setup {
        priv_,
        satp_mode,
        mstatus: ms,
        x,
        f,
        frm: if rng.chance(850) {
            rng.below(5) as u8
        } else {
            5 + rng.below(3) as u8
        },
        fflags: rng.below(32) as u8,
        menvcfg: cb(rng),
        senvcfg: cb(rng),
        mcounteren: rng.below(8) & !2,
        scounteren: rng.below(8) & !2,
        sscratch: rng.next(),
        code_pte,
        data_pte,
        alias_pte,
        data_seed: rng.next(),
        body_base: CODE + 2 * rng.below(0x800),
        passes: rng.pick(&[0, 1, 1, 1, 2]),
        jit_cache_kib: 1024,
    }
}

// ---------------------------------------------------------------------------------------
// Body

/// Row indices of `PATTERNS` by generator category.
struct Rows {
    int: Vec<usize>,
    fp: Vec<usize>,
    mem: Vec<usize>,
    branch: Vec<usize>,
}

fn rows() -> &'static Rows {
    static R: OnceLock<Rows> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = Rows {
            int: vec![],
            fp: vec![],
            mem: vec![],
            branch: vec![],
        };
        for (i, &(_, _, _, f)) in PATTERNS.iter().enumerate() {
            match f {
                F::R | F::R1 | F::I | F::Shift | F::U | F::Fence | F::FenceI => r.int.push(i),
                // (Listed, not `table::is_fp_compute`: a new format must be sorted here.)
                F::FpR4
                | F::FpR3Rm
                | F::FpR3
                | F::FpCmp
                | F::FpR1Rm
                | F::FpToX
                | F::XToFp
                | F::FpToXNoRm
                | F::XToFpNoRm => r.fp.push(i),
                F::Load | F::Store | F::FpLoad | F::FpStore | F::Lr | F::Amo | F::Cbo => {
                    r.mem.push(i)
                }
                F::Branch => r.branch.push(i),
                F::Jal | F::Jalr | F::Csr | F::CsrI | F::System | F::SfenceVma => {}
            }
        }
        r
    })
}

/// A random encoding of pattern row `i`; FP rounding modes are mostly valid.
fn from_row(rng: &mut Rng, i: usize) -> u32 {
    let (_, mask, m, f) = PATTERNS[i];
    let w = m | (rng.next() as u32 & !mask);
    let mut w = rng.remap(w, mask);
    if table::has_rm(f) {
        let rm = if rng.chance(30) {
            5 + rng.below(2) as u32
        } else {
            rng.pick(&[0, 1, 2, 3, 4, 7, 7, 7])
        };
        w = (w & !(7 << 12)) | rm << 12;
    }
    w
}

/// Bytes a memory operation touches (cbo: a 64-byte block).
pub fn access_width(op: Op) -> Option<u64> {
    use Op::*;
    Some(match op {
        Lb | Lbu | Sb => 1,
        Lh | Lhu | Sh | Flh | Fsh => 2,
        Lw | Lwu | Sw | Flw | Fsw | LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW
        | AmominW | AmomaxW | AmominuW | AmomaxuW => 4,
        Ld | Sd | Fld | Fsd | LrD | ScD | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD
        | AmominD | AmomaxD | AmominuD | AmomaxuD => 8,
        CboClean | CboFlush | CboInval | CboZero => 64,
        _ => return None,
    })
}

fn is_load_only(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Lb | Lbu | Lh | Lhu | Lw | Lwu | Ld | Flh | Flw | Fld | LrW | LrD
    )
}

/// Pieces that set `rd` to `value` (pc-relative when the value is near the code).
fn set_reg(rd: u8, value: u64) -> Vec<Piece> {
    let d = value.wrapping_sub(CODE) as i64;
    if (-0x7000_0000..0x7000_0000).contains(&d) {
        vec![Piece::Addr {
            rd,
            base: Base::Abs(value),
            offset: 0,
        }]
    } else {
        encode::li(rd, value).into_iter().map(Piece::Word).collect()
    }
}

/// The address a memory access of `width` bytes aims at: mostly aligned in the data window
/// (directly or through the gigapage alias), sometimes misaligned, across a page, in the
/// code (loads), at the exit device, or nowhere.
fn mem_address(rng: &mut Rng, setup: &Setup, op: Op, width: u64) -> u64 {
    let window = if setup.paging() && rng.chance(200) {
        ALIAS_VA + (DATA - RAM_BASE)
    } else {
        DATA
    };
    let aligned = |rng: &mut Rng, span: u64| rng.below(span / width.min(8)) * width.min(8);
    match rng.below(1000) {
        0..=499 => window + aligned(rng, 0x1000),
        500..=869 => window + aligned(rng, DATA_SIZE),
        870..=919 => window + rng.below(DATA_SIZE),
        920..=949 => window + (1 + rng.below(DATA_PAGES as u64)) * 0x1000 - 1 - rng.below(7),
        950..=969 if is_load_only(op) => setup.body_base + aligned(rng, 0x200),
        970..=972 => EXIT_DEV + aligned(rng, 0x100),
        _ => {
            let off = aligned(rng, 0x1000);
            match rng.below(5) {
                0 => 0x7000_0000 + off,
                1 => off & 0xff,
                2 => 0x0040_0000_0000_0000 | off,
                3 => 0xffff_ffff_ffff_f000 | off,
                _ => rng.next(),
            }
        }
    }
}

/// Points the base register of memory instruction `w` into memory.
fn mem_item(rng: &mut Rng, setup: &Setup, mut w: u32) -> Item {
    let mut insn = decode(w);
    if insn.rs1 == 0 && w & 3 == 3 && rng.chance(900) {
        w = (w & !(31 << 15)) | (rng.nonzero_reg() as u32) << 15;
        insn = decode(w);
    }
    let width = access_width(insn.op).expect("a memory operation");
    let mut pieces = Vec::new();
    if insn.rs1 != 0 {
        let addr = mem_address(rng, setup, insn.op, width);
        pieces = set_reg(insn.rs1, addr.wrapping_sub(insn.imm as u64));
    }
    pieces.push(Piece::Word(w));
    Item { pieces }
}

/// `lr`, maybe an instruction, then `sc` on the same address (the SC mostly succeeds).
fn lr_sc_item(rng: &mut Rng, setup: &Setup) -> Item {
    let d = rng.chance(500);
    let base = rng.nonzero_reg();
    let addr = mem_address(rng, setup, Op::ScD, if d { 8 } else { 4 });
    let mut rd = rng.reg();
    while rd == base {
        rd = rng.reg();
    }
    let f3 = if d { 3 } else { 2 };
    let aqrl = (rng.below(4) as u32) << 25;
    let lr = 0x1000_002f | f3 << 12 | (base as u32) << 15 | (rd as u32) << 7 | aqrl;
    let sc = 0x1800_002f
        | f3 << 12
        | (base as u32) << 15
        | (rng.reg() as u32) << 20
        | (rng.reg() as u32) << 7
        | aqrl;
    let mut pieces = set_reg(base, addr);
    pieces.push(Piece::Word(lr));
    if rng.chance(300) {
        let r = rows().int[rng.below(rows().int.len() as u64) as usize];
        let w = from_row(rng, r);
        if decode(w).rd != base {
            pieces.push(Piece::Word(w));
        }
    }
    pieces.push(Piece::Word(sc));
    Item { pieces }
}

fn jump_target(rng: &mut Rng, i: usize, n: usize) -> usize {
    i + 1 + rng.below(((n - i) as u64).min(12)) as usize
}

/// Readable CSRs (reads have no side effects; `time` is left out: it follows the host clock).
const READ_CSRS: &[u16] = &[
    num::FFLAGS,
    num::FRM,
    num::FCSR,
    num::CYCLE,
    num::INSTRET,
    num::HPMCOUNTER3,
    num::SSTATUS,
    num::SIE,
    num::STVEC,
    num::SCOUNTEREN,
    num::SENVCFG,
    num::SSCRATCH,
    num::SEPC,
    num::SCAUSE,
    num::STVAL,
    num::SIP,
    num::STIMECMP,
    num::SATP,
    num::MVENDORID,
    num::MARCHID,
    num::MHARTID,
    num::MSTATUS,
    num::MISA,
    num::MEDELEG,
    num::MIDELEG,
    num::MIE,
    num::MTVEC,
    num::MCOUNTEREN,
    num::MENVCFG,
    num::MSCRATCH,
    num::MEPC,
    num::MCAUSE,
    num::MTVAL,
    num::MIP,
    num::PMPCFG0,
    num::PMPADDR0,
    num::MSECCFG,
    num::TSELECT,
    num::TINFO,
    num::MCYCLE,
    num::MINSTRET,
    num::MHPMCOUNTER3,
];

/// CSRs a body may write without breaking the harness (not mtvec, mscratch, satp, medeleg,
/// mie/mip, pmp). Read-only ones make the write illegal.
const WRITE_CSRS: &[u16] = &[
    num::FFLAGS,
    num::FRM,
    num::FCSR,
    num::FFLAGS,
    num::FRM,
    num::FCSR,
    num::SSCRATCH,
    num::SEPC,
    num::SCAUSE,
    num::STVAL,
    num::STVEC,
    num::MEPC,
    num::MCAUSE,
    num::MTVAL,
    num::MCYCLE,
    num::MINSTRET,
    num::SCOUNTEREN,
    num::MCOUNTEREN,
    num::SENVCFG,
    num::MENVCFG,
    num::CYCLE,
    num::INSTRET,
    num::MHARTID,
    num::MISA,
];

fn csr_word(f3: u32, rd: u8, csr: u16, rs1: u8) -> u32 {
    i_type(encode::SYSTEM, rd, f3, rs1, csr as i64)
}

fn csr_item(rng: &mut Rng) -> Item {
    let rd = rng.reg();
    let w = match rng.below(10) {
        // Reads: csrrs/csrrc with x0, csrrsi/csrrci with 0.
        0..=4 => {
            let csr = if rng.chance(900) {
                rng.pick(READ_CSRS)
            } else {
                let mut c = rng.below(0x1000) as u16;
                while c == num::TIME {
                    c = rng.below(0x1000) as u16;
                }
                c
            };
            csr_word(rng.pick(&[2, 3, 6, 7]), rd, csr, 0)
        }
        // sstatus/mstatus: set, clear or write FS, SUM, MXR, MPRV, TVM, TW, TSR, MPP[1].
        5 => {
            let tmp = rng.nonzero_reg();
            let mut bits = rng.next() & (mstatus::FS | mstatus::SUM | mstatus::MXR | 1 << 12);
            let csr = if rng.chance(500) {
                num::SSTATUS
            } else {
                bits |= rng.next()
                    & rng.next()
                    & (mstatus::MPRV | mstatus::TVM | mstatus::TW | mstatus::TSR);
                num::MSTATUS
            };
            return Item {
                pieces: vec![
                    Piece::Word(encode::u_type(encode::LUI, tmp, (bits >> 12) as u32)),
                    Piece::Word(csr_word(1 + rng.below(3) as u32, rd, csr, tmp)),
                ],
            };
        }
        _ => {
            let csr = rng.pick(WRITE_CSRS);
            csr_word(rng.pick(&[1, 2, 3, 5, 6, 7]), rd, csr, rng.reg())
        }
    };
    Item {
        pieces: vec![Piece::Word(w)],
    }
}

fn system_item(rng: &mut Rng, setup: &Setup) -> Item {
    let mut choices = vec![encode::ECALL, encode::ECALL, 0x0010_0073, 0x9002];
    // sfence.vma rs1, rs2
    choices.push(0x1200_0073 | (rng.reg() as u32) << 15 | (rng.reg() as u32) << 20);
    // Only where they trap: mret/sret/wfi would leave the body or sleep.
    match setup.priv_ {
        0 => choices.extend([encode::MRET, 0x1020_0073, 0x1050_0073]),
        1 => choices.push(encode::MRET),
        _ => {}
    }
    Item {
        pieces: vec![Piece::Word(rng.pick(&choices))],
    }
}

fn illegal_item(rng: &mut Rng) -> Item {
    let w = match rng.below(5) {
        0 => 0,
        1 => 0xffff_ffff,
        2 => loop {
            let w = rng.next() as u32 | 3;
            if decode(w).op == Op::Illegal {
                break w;
            }
        },
        _ => loop {
            let w = rng.next() as u32 & 0xffff;
            if w & 3 != 3 && decode(w).op == Op::Illegal {
                break w;
            }
        },
    };
    Item {
        pieces: vec![Piece::Word(w)],
    }
}

/// rd of a jump: mostly x0 or ra, sometimes any register.
fn link_reg(rng: &mut Rng) -> u8 {
    match rng.below(4) {
        0 => 0,
        1 => 1,
        _ => rng.reg(),
    }
}

fn branch_item(rng: &mut Rng, setup: &Setup, i: usize, n: usize) -> Item {
    let target = jump_target(rng, i, n);
    let pieces = match rng.below(101) {
        // A jump to nowhere: an instruction fetch fault (the handler goes to the exit).
        100 => {
            let rs1 = rng.nonzero_reg();
            let to = if setup.paging() && rng.chance(300) {
                0x0100_0000_0000_0000
            } else {
                0x7000_0000 + 2 * rng.below(0x800)
            };
            let mut p = set_reg(rs1, to);
            p.push(Piece::Word(i_type(0x67, link_reg(rng), 0, rs1, 0)));
            p
        }
        n => match n % 10 {
            0..=4 => {
                let r = rows().branch[rng.below(rows().branch.len() as u64) as usize];
                vec![Piece::Jump {
                    word: from_row(rng, r),
                    kind: JumpKind::B,
                    target,
                }]
            }
            5 => vec![Piece::Jump {
                word: 0x6f | (link_reg(rng) as u32) << 7,
                kind: JumpKind::J,
                target,
            }],
            6 => {
                let rs1 = rng.nonzero_reg();
                let imm = rng.below(4096) as i64 - 2048;
                let jalr = i_type(0x67, link_reg(rng), 0, rs1, imm);
                vec![
                    Piece::Addr {
                        rd: rs1,
                        base: Base::Item(target),
                        // jalr clears bit 0 of the sum.
                        offset: -imm + rng.below(2) as i64,
                    },
                    Piece::Word(jalr),
                ]
            }
            7 => vec![Piece::Jump {
                word: 0xa001,
                kind: JumpKind::Cj,
                target,
            }],
            8 => vec![Piece::Jump {
                word: rng.pick(&[0xc001, 0xe001]) | (rng.below(8) as u32) << 7,
                kind: JumpKind::Cb,
                target,
            }],
            _ => {
                let rs1 = rng.nonzero_reg();
                vec![
                    Piece::Addr {
                        rd: rs1,
                        base: Base::Item(target),
                        offset: 0,
                    },
                    Piece::Word(rng.pick(&[0x8002, 0x9002]) | (rs1 as u32) << 7),
                ]
            }
        },
    };
    Item { pieces }
}

/// A random 16-bit instruction, with its base register or target set up like the 32-bit
/// forms.
fn compressed_item(rng: &mut Rng, setup: &Setup, i: usize, n: usize) -> Item {
    let (w, insn) = loop {
        let w = (rng.next() as u32 & 0xfffc) | rng.below(3) as u32;
        let insn = decode(w);
        if insn.op != Op::Illegal {
            break (w, insn);
        }
    };
    if access_width(insn.op).is_some() {
        return mem_item(rng, setup, w);
    }
    let target = jump_target(rng, i, n);
    let pieces = match insn.op {
        Op::Jal => vec![Piece::Jump {
            word: w,
            kind: JumpKind::Cj,
            target,
        }],
        Op::Beq | Op::Bne => vec![Piece::Jump {
            word: w,
            kind: JumpKind::Cb,
            target,
        }],
        Op::Jalr => vec![
            Piece::Addr {
                rd: insn.rs1,
                base: Base::Item(target),
                offset: 0,
            },
            Piece::Word(w),
        ],
        _ => vec![Piece::Word(w)],
    };
    Item { pieces }
}

/// Item `i` of a body of `n` items.
pub fn gen_item(rng: &mut Rng, setup: &Setup, i: usize, n: usize) -> Item {
    let r = rows();
    let one = |w| Item {
        pieces: vec![Piece::Word(w)],
    };
    match rng.below(1000) {
        0..=4 => illegal_item(rng),
        5..=204 => compressed_item(rng, setup, i, n),
        205..=504 => {
            let row = r.int[rng.below(r.int.len() as u64) as usize];
            one(from_row(rng, row))
        }
        505..=694 => {
            let row = r.fp[rng.below(r.fp.len() as u64) as usize];
            one(from_row(rng, row))
        }
        695..=874 => {
            if rng.chance(60) {
                lr_sc_item(rng, setup)
            } else {
                let row = r.mem[rng.below(r.mem.len() as u64) as usize];
                let w = from_row(rng, row);
                mem_item(rng, setup, w)
            }
        }
        875..=934 => branch_item(rng, setup, i, n),
        935..=974 => csr_item(rng),
        _ => system_item(rng, setup),
    }
}

/// A 32-bit instruction that neither accesses memory nor changes control flow or CSRs.
pub fn is_plain32(w: u32) -> bool {
    w & 3 == 3 && {
        let op = decode(w).op;
        PATTERNS.iter().any(|&(o, _, _, f)| {
            o == op
                && (matches!(f, F::R | F::R1 | F::I | F::Shift | F::U) || table::is_fp_compute(f))
        })
    }
}

fn plain32(rng: &mut Rng) -> u32 {
    let r = rows();
    loop {
        let row = if rng.chance(600) {
            r.int[rng.below(r.int.len() as u64) as usize]
        } else {
            r.fp[rng.below(r.fp.len() as u64) as usize]
        };
        let w = from_row(rng, row);
        if is_plain32(w) {
            return w;
        }
    }
}

/// Overwrites a later item (within 8) with another plain instruction, before it runs.
fn patch_item(rng: &mut Rng, setup: &Setup, i: usize, n: usize) -> Item {
    let base = rng.nonzero_reg();
    let mut data = rng.nonzero_reg();
    while data == base {
        data = rng.nonzero_reg();
    }
    Item {
        pieces: vec![Piece::Patch {
            base,
            data,
            target: i + 1 + rng.below(((n - i - 1) as u64).min(8)) as usize,
            new: plain32(rng),
            via_alias: setup.paging() && rng.chance(300),
        }],
    }
}

/// True if `w` may write integer register `r` (FP destinations are counted too: cautious).
fn writes(w: u32, r: u8) -> bool {
    decode(w).rd == r
}

/// A counted loop: `li cnt, K`, a few plain instructions (and maybe one load or store at a
/// fixed address) that leave `cnt` and the base alone, `addi cnt, cnt, -1`, `bnez cnt`
/// back. Runs translated code again and again, chained to itself, through the inline TLB
/// path, and sometimes past the JIT's block budget (2048 block entries).
fn loop_item(rng: &mut Rng, setup: &Setup) -> Item {
    let cnt = rng.nonzero_reg();
    let mut base = rng.nonzero_reg();
    while base == cnt {
        base = rng.nonzero_reg();
    }
    let count = if rng.chance(50) {
        2000 + rng.below(1500)
    } else {
        1 + rng.below(40)
    };
    let mut pieces = Vec::new();
    let mut body = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let w = loop {
            let w = plain32(rng);
            if !writes(w, cnt) && !writes(w, base) {
                break w;
            }
        };
        body.push(w);
    }
    if rng.chance(600) {
        let r = rows();
        let w = loop {
            let row = r.mem[rng.below(r.mem.len() as u64) as usize];
            let w = (from_row(rng, row) & !(31 << 15)) | (base as u32) << 15;
            if !writes(w, cnt) && !writes(w, base) {
                break w;
            }
        };
        let insn = decode(w);
        let width = access_width(insn.op).expect("a memory operation");
        let addr = mem_address(rng, setup, insn.op, width);
        pieces.extend(set_reg(base, addr.wrapping_sub(insn.imm as u64)));
        let at = rng.below(body.len() as u64 + 1) as usize;
        body.insert(at, w);
    }
    pieces.extend(encode::li(cnt, count).into_iter().map(Piece::Word));
    body.push(i_type(encode::OP_IMM, cnt, 0, cnt, -1));
    let back = -4 * body.len() as i64;
    body.push(set_b_offset(
        encode::s_type(encode::BRANCH, 1, cnt, 0, 0),
        back,
    ));
    pieces.extend(body.into_iter().map(Piece::Word));
    Item { pieces }
}

pub fn gen_body(rng: &mut Rng, setup: &Setup, n: usize) -> Vec<Item> {
    rng.pool = choose_pool(rng);
    let mut items: Vec<Item> = (0..n)
        .map(|i| {
            if i + 1 < n && rng.chance(10) {
                patch_item(rng, setup, i, n)
            } else if rng.chance(8) {
                loop_item(rng, setup)
            } else {
                gen_item(rng, setup, i, n)
            }
        })
        .collect();
    // What a patch overwrites must be a plain 32-bit instruction.
    for i in 0..n {
        if let [Piece::Patch { target, .. }] = items[i].pieces.as_slice() {
            let t = *target;
            if !matches!(items[t].pieces.as_slice(), [Piece::Word(w)] if is_plain32(*w)) {
                items[t] = Item {
                    pieces: vec![Piece::Word(plain32(rng))],
                };
            }
        }
    }
    rng.pool = None;
    items
}
