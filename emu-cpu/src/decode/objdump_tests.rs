//! Cross-check against GNU binutils: a corpus of assembly (one line per table row and
//! operand shape, every compressed form, CSR names, rounding modes, HINTs) is assembled with
//! `riscv64-unknown-elf-as`, disassembled with `riscv64-unknown-elf-objdump -d -M no-aliases`,
//! and every instruction word is decoded and disassembled by rvx; the texts must agree.
//!
//! objdump's text is normalised first: `<symbol>` and `# comment` suffixes dropped, branch
//! targets given a `0x`, and compressed mnemonics (`c.addi a0,1`) rewritten to the 32-bit
//! instruction they expand to (`addi a0,a0,1`), which is how rvx prints them. A CSR that
//! objdump prints as a number but rvx names is accepted if rvx's name has that number.
//!
//! Zicond (`czero.eqz`, `czero.nez`) is left out: binutils 2.40 does not know it (2.41 does).
//! The snapshot and unit tests cover it.
//!
//! The tools are required: if they are missing the test fails (CI installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use super::disasm::is_exact_conversion;
use super::table::{Format, PATTERNS};
use super::*;

const AS: &str = "riscv64-unknown-elf-as";
const OBJDUMP: &str = "riscv64-unknown-elf-objdump";
/// The brief's extension list, plus Zihintpause and Zicbop so that objdump names the
/// `pause` and `prefetch.*` HINTs as rvx does.
const MARCH: &str =
    "-march=rv64gc_zba_zbb_zbs_zbc_zfh_zicbom_zicboz_zicsr_zifencei_zihintpause_zicbop";

/// Assembly lines for one table row: a few operand shapes for its format.
fn lines_for(op: Op, name: &str, format: Format, mask: u32) -> Vec<String> {
    let n = name;
    match format {
        Format::R => vec![format!("{n} a0,a1,a2"), format!("{n} t6,zero,s11")],
        Format::R1 => vec![format!("{n} a0,a1"), format!("{n} t6,s0")],
        Format::I => vec![format!("{n} a0,a1,-2048"), format!("{n} t0,t6,2047")],
        Format::Shift => {
            // A 5-bit shamt if the pattern fixes bit 25 (the *w forms).
            let max = if mask & (1 << 25) != 0 { 31 } else { 63 };
            vec![format!("{n} a0,a1,{max}"), format!("{n} s1,t6,1")]
        }
        Format::Load => vec![format!("{n} a0,-8(sp)"), format!("{n} t6,2047(a5)")],
        Format::Store => vec![format!("{n} a0,-2048(sp)"), format!("{n} t6,2047(a5)")],
        Format::Branch => vec![format!("{n} a0,a1,.+8"), format!("{n} t6,zero,.-4096")],
        Format::U => vec![format!("{n} a0,0xfffff"), format!("{n} t6,0x1")],
        Format::Jal => vec![format!("{n} ra,.+1048574"), format!("{n} zero,.-8")],
        Format::Jalr => vec![format!("{n} ra,0(a0)"), format!("{n} t0,-1(a5)")],
        Format::Csr => vec![format!("{n} a0,mstatus,a1"), format!("{n} zero,0x7c0,t6")],
        Format::CsrI => vec![format!("{n} a0,satp,31"), format!("{n} zero,fflags,0")],
        Format::Fence => vec![
            format!("{n} rw,w"),
            format!("{n} iorw,iorw"),
            format!("{n} i,o"),
        ],
        Format::FenceI | Format::System => vec![n.to_string()],
        Format::SfenceVma => vec![format!("{n} a0,a1"), format!("{n} zero,zero")],
        Format::Cbo => vec![format!("{n} (a0)"), format!("{n} (t6)")],
        Format::Lr => vec![format!("{n} a0,(a1)"), format!("{n}.aqrl t6,(sp)")],
        Format::Amo => vec![
            format!("{n} a0,a1,(a2)"),
            format!("{n}.aq t6,zero,(sp)"),
            format!("{n}.rl s0,s1,(a0)"),
        ],
        Format::FpLoad => vec![format!("{n} fa0,-8(sp)"), format!("{n} ft11,2047(a5)")],
        Format::FpStore => vec![format!("{n} fa0,-8(sp)"), format!("{n} fs11,2047(a5)")],
        Format::FpR4 => vec![
            format!("{n} fa0,fa1,fa2,fa3"),
            format!("{n} ft0,ft11,fs0,fs11,rne"),
        ],
        Format::FpR3Rm => vec![format!("{n} fa0,fa1,fa2"), format!("{n} ft0,ft11,fs0,rtz")],
        Format::FpR3 => vec![format!("{n} fa0,fa1,fa2"), format!("{n} ft0,ft11,fs0")],
        Format::FpCmp => vec![format!("{n} a0,fa1,fa2"), format!("{n} t6,ft11,fs0")],
        Format::FpR1Rm if is_exact_conversion(op) => vec![format!("{n} fa0,fa1")],
        Format::FpR1Rm => vec![format!("{n} fa0,fa1"), format!("{n} ft0,ft11,rdn")],
        Format::FpToX => vec![format!("{n} a0,fa1"), format!("{n} t6,ft11,rtz")],
        Format::XToFp if is_exact_conversion(op) => vec![format!("{n} fa0,a1")],
        Format::XToFp => vec![format!("{n} fa0,a1"), format!("{n} ft11,t6,rup")],
        Format::FpToXNoRm => vec![format!("{n} a0,fa1"), format!("{n} t6,ft11")],
        Format::XToFpNoRm => vec![format!("{n} fa0,a1"), format!("{n} ft11,t6")],
    }
}

/// Hand-written lines: every compressed form (and the forms that share a row), fence and
/// HINT variants objdump names, rounding modes, and `csrrs` of every CSR rvx names.
fn extra_lines() -> Vec<String> {
    let mut v: Vec<String> = [
        ".option rvc",
        "c.addi4spn a0,sp,1020",
        "c.fld fa5,248(a5)",
        "c.lw a0,124(a1)",
        "c.lw a1,4(a2)",
        "c.ld s0,248(a5)",
        "c.fsd fs0,8(a0)",
        "c.sw a2,64(a3)",
        "c.sd a4,136(s1)",
        "c.nop",
        "c.addi a0,-32",
        "c.addiw a0,-1",
        "c.li a5,-32",
        "c.li zero,5",
        "c.lui a0,0xfffe0",
        "c.lui t0,0x1f",
        "c.addi16sp sp,-512",
        "c.srli a0,63",
        "c.srai s1,1",
        "c.andi a5,-1",
        "c.sub a0,a1",
        "c.xor s0,a5",
        "c.or a2,a3",
        "c.and a4,a5",
        "c.subw a0,s1",
        "c.addw a1,a0",
        "c.j .+2046",
        "c.j .-2048",
        "c.beqz a0,.+254",
        "c.bnez s1,.-256",
        "c.slli a0,63",
        "c.fldsp fa0,504(sp)",
        "c.lwsp ra,252(sp)",
        "c.ldsp t6,504(sp)",
        "c.jr ra",
        "c.mv a0,t6",
        "c.ebreak",
        "c.jalr t0",
        "c.add s1,a7",
        "c.fsdsp fs11,504(sp)",
        "c.swsp t6,252(sp)",
        "c.sdsp ra,504(sp)",
        ".option norvc",
        "fence.tso",
        "pause",
        "prefetch.i 32(a0)",
        "prefetch.r -32(t6)",
        "prefetch.w 2016(sp)",
        ".insn 4, 0x02256013", // ori zero,a0,34: not a prefetch encoding
        "fadd.d fa0,fa1,fa2,rne",
        "fadd.d fa0,fa1,fa2,rdn",
        "fadd.d fa0,fa1,fa2,rmm",
        "fmadd.s fa0,fa1,fa2,fa3,rup",
        "fcvt.w.d a0,fa0,rmm",
        "lui a0,0x80000",
        "auipc a0,0x0",
        "jalr zero,0(ra)",
        "sfence.vma a0,zero",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for csr in 0..=0xfffu16 {
        if csr_name(csr).is_some() {
            v.push(format!("csrrs a0,{csr:#x},zero"));
        }
    }
    v
}

/// A directory of our own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("rvx-decode-objdump-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a tool; a missing tool fails the test with a message saying what to install.
fn run(tool: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {tool} ({e}). The decoder's objdump cross-check needs the \
                 riscv64-unknown-elf binutils on PATH (binutils 2.40 or newer)."
            )
        });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One instruction of objdump's output.
struct Dumped {
    addr: u64,
    word: u32,
    text: String,
}

/// Parses `objdump -d` lines such as `  1c:\t80b50063          \tbeq\ta0,a1,...`.
fn parse_objdump(out: &str) -> Vec<Dumped> {
    let mut v = Vec::new();
    for line in out.lines() {
        let mut parts = line.split('\t');
        let (Some(addr), Some(hex), Some(mnemonic)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(addr) = addr.trim().strip_suffix(':') else {
            continue;
        };
        let (Ok(addr), Ok(word)) = (
            u64::from_str_radix(addr, 16),
            u32::from_str_radix(hex.trim(), 16),
        ) else {
            continue;
        };
        let operands = parts.collect::<Vec<_>>().join(" ");
        let text = format!("{mnemonic} {operands}").trim().to_string();
        v.push(Dumped { addr, word, text });
    }
    v
}

/// objdump's text in rvx's conventions (see the module comment).
fn normalise(text: &str) -> String {
    let mut t = text.to_string();
    if let Some(i) = t.find(" #") {
        t.truncate(i);
    }
    if let Some(i) = t.find(" <") {
        t.truncate(i);
    }
    let (mnemonic, operands) = t.split_once(' ').unwrap_or((t.as_str(), ""));
    let mut ops: Vec<String> = if operands.is_empty() {
        Vec::new()
    } else {
        operands.split(',').map(str::to_string).collect()
    };
    let is_target = matches!(
        mnemonic,
        "beq" | "bne" | "blt" | "bge" | "bltu" | "bgeu" | "jal" | "c.j" | "c.beqz" | "c.bnez"
    );
    if is_target {
        if let Some(last) = ops.last_mut() {
            *last = format!("0x{last}");
        }
    }
    let o = |i: usize| ops.get(i).cloned().unwrap_or_default();
    let Some(c) = mnemonic.strip_prefix("c.") else {
        return format!("{mnemonic} {}", ops.join(",")).trim().to_string();
    };
    // Compressed: the 32-bit instruction it expands to (RVC spec, per-instruction text).
    match c {
        "nop" => "addi zero,zero,0".to_string(),
        // RV64 HINTs: a shift by 0.
        "slli64" | "srli64" | "srai64" => format!("{} {},{},0x0", &c[..4], o(0), o(0)),
        "ebreak" => "ebreak".to_string(),
        "addi" | "addiw" | "andi" | "srli" | "srai" | "slli" | "sub" | "xor" | "or" | "and"
        | "subw" | "addw" | "add" => format!("{c} {},{},{}", o(0), o(0), o(1)),
        "addi16sp" => format!("addi sp,sp,{}", o(1)),
        "addi4spn" => format!("addi {},{},{}", o(0), o(1), o(2)),
        "li" => format!("addi {},zero,{}", o(0), o(1)),
        "lui" => format!("lui {},{}", o(0), o(1)),
        "mv" => format!("add {},zero,{}", o(0), o(1)),
        "jr" => format!("jalr zero,0({})", o(0)),
        "jalr" => format!("jalr ra,0({})", o(0)),
        "j" => format!("jal zero,{}", o(0)),
        "beqz" => format!("beq {},zero,{}", o(0), o(1)),
        "bnez" => format!("bne {},zero,{}", o(0), o(1)),
        // Loads and stores keep their operands; the sp forms drop the `sp` suffix.
        _ => format!("{} {}", c.trim_end_matches("sp"), ops.join(",")),
    }
}

/// True if `ours` differs from `theirs` only by naming a CSR objdump prints as a number.
fn same_but_csr_name(ours: &str, theirs: &str) -> bool {
    let (Some((m1, a)), Some((m2, b))) = (ours.split_once(' '), theirs.split_once(' ')) else {
        return false;
    };
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
    if m1 != m2 || !m1.starts_with("csrr") || a.len() != 3 || b.len() != 3 {
        return false;
    }
    let number = b[1]
        .strip_prefix("0x")
        .and_then(|h| u16::from_str_radix(h, 16).ok());
    a[0] == b[0] && a[2] == b[2] && number.and_then(csr_name) == Some(a[1])
}

#[test]
fn decoder_agrees_with_objdump() {
    // (assembly line, the op rvx must decode it to, if one).
    let mut lines: Vec<(String, Option<Op>)> = vec![(".option norvc".to_string(), None)];
    for pat in &PATTERNS {
        if matches!(pat.op, Op::CzeroEqz | Op::CzeroNez) {
            continue; // not in binutils 2.40, see the module comment
        }
        for line in lines_for(pat.op, pat.name, pat.format, pat.mask) {
            lines.push((line, Some(pat.op)));
        }
    }
    lines.extend(extra_lines().into_iter().map(|l| (l, None)));
    let instructions: Vec<&(String, Option<Op>)> = lines
        .iter()
        .filter(|(l, _)| !l.starts_with(".option"))
        .collect();

    let dir = TempDir::new();
    let source: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
    std::fs::write(dir.0.join("corpus.S"), source).expect("write corpus.S");
    run(
        AS,
        &[
            MARCH,
            "-mpriv-spec=1.12",
            "-mno-relax",
            "-o",
            "corpus.o",
            "corpus.S",
        ],
        &dir.0,
    );
    let dump = run(OBJDUMP, &["-d", "-M", "no-aliases", "corpus.o"], &dir.0);
    let dumped = parse_objdump(&dump);
    assert_eq!(
        dumped.len(),
        instructions.len(),
        "objdump listed {} instructions for {} source lines",
        dumped.len(),
        instructions.len()
    );

    let mut mismatches = Vec::new();
    for (d, (line, want_op)) in dumped.iter().zip(&instructions) {
        let insn = decode(d.word);
        let ours = disasm(&insn, d.addr);
        let theirs = normalise(&d.text);
        let want_len = if d.word & 3 == 3 { 4 } else { 2 };
        if let Some(op) = want_op {
            if insn.op != *op {
                mismatches.push(format!("{line:30} {:#010x}: decoded {:?}", d.word, insn.op));
                continue;
            }
        }
        let ours_m = ours.split(' ').next().unwrap_or("");
        let theirs_m = theirs.split(' ').next().unwrap_or("");
        if insn.len != want_len || ours_m != theirs_m {
            mismatches.push(format!(
                "{line:30} {:#010x}: mnemonic {ours:?} vs objdump {theirs:?}",
                d.word
            ));
        } else if ours != theirs && !same_but_csr_name(&ours, &theirs) {
            mismatches.push(format!(
                "{line:30} {:#010x}: {ours:?} vs objdump {theirs:?}",
                d.word
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} instructions disagree with objdump:\n{}",
        mismatches.len(),
        dumped.len(),
        mismatches.join("\n")
    );
}

/// The differences from objdump that are on purpose (see `disasm.rs`'s module comment).
fn known_difference(word: u32, ours: &str, theirs: &str) -> bool {
    let insn = decode(word);
    let (m_ours, ops_ours) = ours.split_once(' ').unwrap_or((ours, ""));
    let (m_theirs, ops_theirs) = theirs.split_once(' ').unwrap_or((theirs, ""));
    if m_theirs == ".4byte" {
        // Encodings binutils 2.40 does not accept but the spec defines.
        return matches!(
            insn.op,
            Op::CzeroEqz | Op::CzeroNez | Op::Fence | Op::FenceI
        ) || (is_exact_conversion(insn.op) && insn.rm != 0);
    }
    if insn.op == Op::Illegal {
        // c.unimp, and c.addi16sp with nzimm = 0 (reserved, RVC spec).
        return word == 0 || word & 0xef83 == 0x6101;
    }
    if m_ours == m_theirs && m_ours.starts_with("csrr") {
        // A CSR objdump names (hypervisor, vector, RV32 `*h`, ...) and rvx does not.
        let a: Vec<&str> = ops_ours.split(',').collect();
        let b: Vec<&str> = ops_theirs.split(',').collect();
        return a.len() == 3
            && b.len() == 3
            && (a[0], a[2]) == (b[0], b[2])
            && a[1].starts_with("0x")
            && csr_name((insn.imm & 0xfff) as u16).is_none();
    }
    false
}

/// Every 16-bit word, and random 32-bit words with the major opcodes rvx implements: rvx
/// and objdump agree except for the differences `known_difference` lists.
#[test]
fn all_16bit_and_random_32bit_words_agree_with_objdump() {
    const OPCODES: [u32; 21] = [
        0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37, 0x3b, 0x43, 0x47, 0x4b,
        0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73,
    ];
    let mut src = String::from(".option rvc\n");
    for bits in (0..=0xffffu32).filter(|b| b & 3 != 3) {
        src.push_str(&format!(".insn 2, {bits:#06x}\n"));
    }
    // xorshift64: a fixed seed, so a failure reproduces.
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for _ in 0..50_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut w = ((x >> 16) as u32 & !0x7f) | OPCODES[(x % OPCODES.len() as u64) as usize];
        if x & 0x100 != 0 {
            w &= !(0x1f << 20); // rs2 = 0 half the time: reach the unary encodings
        }
        src.push_str(&format!(".insn 4, {w:#010x}\n"));
    }
    let dir = TempDir::new();
    std::fs::write(dir.0.join("words.S"), src).expect("write words.S");
    run(
        AS,
        &[MARCH, "-mpriv-spec=1.12", "-o", "words.o", "words.S"],
        &dir.0,
    );
    let dump = run(OBJDUMP, &["-d", "-M", "no-aliases", "words.o"], &dir.0);
    let dumped = parse_objdump(&dump);
    assert_eq!(
        dumped.len(),
        49_152 + 50_000,
        "objdump listed the wrong count"
    );
    let mut mismatches = Vec::new();
    for d in &dumped {
        let ours = disasm(&decode(d.word), d.addr);
        let theirs = normalise(&d.text);
        if ours != theirs
            && !same_but_csr_name(&ours, &theirs)
            && !known_difference(d.word, &ours, &theirs)
        {
            mismatches.push(format!("{:#010x}: {ours:?} vs objdump {theirs:?}", d.word));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} words disagree with objdump (first 50):\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(50)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
