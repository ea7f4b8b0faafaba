//! Instruction encoders for the generator and the fixed M-mode trap handler (Unprivileged spec,
//! chapter 2 "RV32I Base Integer Instruction Set", instruction formats; "C" chapter for CB/CJ).

pub const OP_IMM: u32 = 0x13;
pub const OP_IMM_32: u32 = 0x1b;
pub const LUI: u32 = 0x37;
pub const AUIPC: u32 = 0x17;
pub const LOAD: u32 = 0x03;
pub const STORE: u32 = 0x23;
pub const BRANCH: u32 = 0x63;
pub const SYSTEM: u32 = 0x73;

pub const NOP: u32 = 0x0000_0013;
pub const C_NOP: u32 = 0x0001;
pub const ECALL: u32 = 0x0000_0073;
pub const MRET: u32 = 0x3020_0073;

pub fn i_type(opcode: u32, rd: u8, funct3: u32, rs1: u8, imm: i64) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 as u32) << 15 | funct3 << 12 | (rd as u32) << 7 | opcode
}

pub fn s_type(opcode: u32, funct3: u32, rs1: u8, rs2: u8, imm: i64) -> u32 {
    let imm = imm as u32;
    ((imm >> 5) & 0x7f) << 25
        | (rs2 as u32) << 20
        | (rs1 as u32) << 15
        | funct3 << 12
        | (imm & 0x1f) << 7
        | opcode
}

pub fn u_type(opcode: u32, rd: u8, imm20: u32) -> u32 {
    (imm20 & 0xfffff) << 12 | (rd as u32) << 7 | opcode
}

/// Replaces the B-type offset of `word` (a branch) by `off`.
pub fn set_b_offset(word: u32, off: i64) -> u32 {
    let o = off as u32;
    (word & 0x01ff_f07f)
        | ((o >> 12) & 1) << 31
        | ((o >> 5) & 0x3f) << 25
        | ((o >> 1) & 0xf) << 8
        | ((o >> 11) & 1) << 7
}

/// Replaces the J-type offset of `word` (`jal`) by `off`.
pub fn set_j_offset(word: u32, off: i64) -> u32 {
    let o = off as u32;
    (word & 0xfff)
        | ((o >> 20) & 1) << 31
        | ((o >> 1) & 0x3ff) << 21
        | ((o >> 11) & 1) << 20
        | ((o >> 12) & 0xff) << 12
}

/// Replaces the CB-format offset of `c.beqz`/`c.bnez`.
pub fn set_cb_offset(word: u32, off: i64) -> u32 {
    let o = off as u32;
    (word & 0xe383)
        | ((o >> 8) & 1) << 12
        | ((o >> 3) & 3) << 10
        | ((o >> 6) & 3) << 5
        | ((o >> 1) & 3) << 3
        | ((o >> 5) & 1) << 2
}

/// Replaces the CJ-format offset of `c.j`.
pub fn set_cj_offset(word: u32, off: i64) -> u32 {
    let o = off as u32;
    (word & 0xe003)
        | ((o >> 11) & 1) << 12
        | ((o >> 4) & 1) << 11
        | ((o >> 8) & 3) << 9
        | ((o >> 10) & 1) << 8
        | ((o >> 6) & 1) << 7
        | ((o >> 7) & 1) << 6
        | ((o >> 1) & 7) << 3
        | ((o >> 5) & 1) << 2
}

pub fn fits_signed(v: i64, bits: u32) -> bool {
    let lim = 1i64 << (bits - 1);
    (-lim..lim).contains(&v)
}

fn sext12(v: i64) -> i64 {
    (v << 52) >> 52
}

/// `rd = value` as the assembler's `li` expands it (lui/addiw, then shifts and addi).
pub fn li(rd: u8, value: u64) -> Vec<u32> {
    let v = value as i64;
    if fits_signed(v, 32) {
        let lo = sext12(v);
        let hi = ((v - lo) >> 12) as u32 & 0xfffff;
        let mut out = Vec::new();
        if hi != 0 {
            out.push(u_type(LUI, rd, hi));
            if lo != 0 {
                out.push(i_type(OP_IMM_32, rd, 0, rd, lo));
            }
        } else {
            out.push(i_type(OP_IMM, rd, 0, 0, lo));
        }
        return out;
    }
    let lo = sext12(v);
    let mut hi = v.wrapping_sub(lo) >> 12;
    let sh = hi.trailing_zeros();
    hi >>= sh;
    let mut out = li(rd, hi as u64);
    out.push(i_type(OP_IMM, rd, 1, rd, (12 + sh) as i64));
    if lo != 0 {
        out.push(i_type(OP_IMM, rd, 0, rd, lo));
    }
    out
}

/// `auipc rd, hi; addi rd, rd, lo` so that rd = `value` when the auipc sits at `pc`. None if
/// the distance does not fit in 32 bits.
pub fn pc_rel_pair(rd: u8, pc: u64, value: u64) -> Option<[u32; 2]> {
    let d = value.wrapping_sub(pc) as i64;
    let lo = sext12(d);
    let hi = (d - lo) >> 12;
    if !fits_signed(hi, 20) {
        return None;
    }
    Some([u_type(AUIPC, rd, hi as u32), i_type(OP_IMM, rd, 0, rd, lo)])
}

/// Field offsets of the handler's save area (the page `mscratch` points to).
pub mod save {
    pub const T0: i64 = 0;
    pub const T1: i64 = 8;
    pub const T2: i64 = 16;
    pub const LOG_PTR: i64 = 24;
    pub const EXIT_PC: i64 = 32;
    pub const LOG_END: i64 = 40;
    pub const EXIT_DEV: i64 = 48;
    /// Passes over the body still to run after this one.
    pub const PASSES: i64 = 56;
    /// Where the body starts (the next pass begins there).
    pub const BODY: i64 = 64;
}

const T0: u8 = 5;
const T1: u8 = 6;
const T2: u8 = 7;

fn csrrw(rd: u8, csr: u16, rs1: u8) -> u32 {
    i_type(SYSTEM, rd, 1, rs1, csr as i64)
}

fn csrr(rd: u8, csr: u16) -> u32 {
    i_type(SYSTEM, rd, 2, 0, csr as i64)
}

fn ld(rd: u8, rs1: u8, off: i64) -> u32 {
    i_type(LOAD, rd, 3, rs1, off)
}

fn sd(rs2: u8, rs1: u8, off: i64) -> u32 {
    s_type(STORE, 3, rs1, rs2, off)
}

fn addi(rd: u8, rs1: u8, imm: i64) -> u32 {
    i_type(OP_IMM, rd, 0, rs1, imm)
}

fn branch(funct3: u32, rs1: u8, rs2: u8, off: i64) -> u32 {
    set_b_offset(s_type(BRANCH, funct3, rs1, rs2, 0), off)
}

/// The M-mode trap handler (direct mode, at `mtvec`). Privileged spec 3.1.14-3.1.16: it logs
/// (mcause, mepc, mtval) to the log the save area points to (dropping entries when full),
/// and resumes after the trapping instruction, whose length it reads from the instruction's
/// low two bits. Code runs identity-mapped, so the physical read of mepc is the instruction
/// (with MPRV set, a trap from M leaves MPP = M, so the loads are physical too). After an
/// instruction fetch fault (causes 0, 1, 12) there is nothing to read and no way back: it
/// resumes at the exit point. A trap at or beyond the exit point starts the next pass over
/// the body (re-running code already translated and chained) or, after the last pass,
/// writes the exit device.
/// Uses only t0-t2 (saved in the save area; `mscratch` holds its address) and restores
/// them, so the body sees nothing but the CSRs a trap writes. On exit the body's t0-t2 are
/// left in the save area.
pub fn handler() -> Vec<u32> {
    let mut h = vec![
        csrrw(T0, 0x340, T0),         //  0: t0 <-> mscratch
        sd(T1, T0, T1_OFF),           //  1
        sd(T2, T0, T2_OFF),           //  2
        csrr(T1, 0x340),              //  3: the body's t0
        sd(T1, T0, T0_OFF),           //  4
        ld(T1, T0, save::LOG_PTR),    //  5
        ld(T2, T0, save::LOG_END),    //  6
        0,                            //  7: bgeu t1, t2, 16 (log full)
        csrr(T2, 0x342),              //  8: mcause
        sd(T2, T1, 0),                //  9
        csrr(T2, 0x341),              // 10: mepc
        sd(T2, T1, 8),                // 11
        csrr(T2, 0x343),              // 12: mtval
        sd(T2, T1, 16),               // 13
        addi(T1, T1, 24),             // 14
        sd(T1, T0, save::LOG_PTR),    // 15
        csrr(T1, 0x341),              // 16: mepc
        ld(T2, T0, save::EXIT_PC),    // 17
        0,                            // 18: bgeu t1, t2, EXIT
        csrr(T2, 0x342),              // 19: mcause
        0,                            // 20: beq t2, x0, FETCH
        addi(T2, T2, -1),             // 21
        0,                            // 22: beq t2, x0, FETCH
        addi(T2, T2, -11),            // 23
        0,                            // 24: beq t2, x0, FETCH
        i_type(LOAD, T2, 5, T1, 0),   // 25: lhu t2, 0(t1)
        i_type(OP_IMM, T2, 7, T2, 3), // 26: andi t2, t2, 3
        addi(T1, T1, 2),              // 27
        addi(T2, T2, -3),             // 28
        0,                            // 29: bne t2, x0, RESUME
        addi(T1, T1, 2),              // 30
        csrrw(0, 0x341, T1),          // 31: RESUME: mepc = t1
        ld(T1, T0, T1_OFF),           // 32
        ld(T2, T0, T2_OFF),           // 33
        csrrw(T0, 0x340, T0),         // 34: restore t0 and mscratch
        MRET,                         // 35
        ld(T1, T0, save::EXIT_PC),    // 36: FETCH
        0,                            // 37: j RESUME
        ld(T2, T0, save::PASSES),     // 38: EXIT
        0,                            // 39: beq t2, x0, STOP
        addi(T2, T2, -1),             // 40
        sd(T2, T0, save::PASSES),     // 41
        ld(T1, T0, save::BODY),       // 42
        0,                            // 43: j RESUME (the next pass)
        ld(T1, T0, save::EXIT_DEV),   // 44: STOP
        s_type(STORE, 2, T1, 0, 0),   // 45: sw x0, 0(t1): the machine stops here
        0x0000_006f,                  // 46: j . (not reached)
    ];
    let b = |at: usize, funct3: u32, rs1: u8, rs2: u8, to: usize| {
        branch(funct3, rs1, rs2, (to as i64 - at as i64) * 4)
    };
    h[7] = b(7, 7, T1, T2, 16);
    h[18] = b(18, 7, T1, T2, 38);
    h[20] = b(20, 0, T2, 0, 36);
    h[22] = b(22, 0, T2, 0, 36);
    h[24] = b(24, 0, T2, 0, 36);
    h[29] = b(29, 1, T2, 0, 31);
    h[37] = set_j_offset(0x6f, (31 - 37) * 4);
    h[39] = b(39, 0, T2, 0, 44);
    h[43] = set_j_offset(0x6f, (31 - 43) * 4);
    h
}

/// Offset from the handler's start of the pc a run stops at after the exit-device store.
pub const HANDLER_EXIT_OFFSET: u64 = 46 * 4;

const T0_OFF: i64 = save::T0;
const T1_OFF: i64 = save::T1;
const T2_OFF: i64 = save::T2;
