//! `--accel audit`: guest programs from the project's ISA suite run with every block on both
//! engines and pass; a JIT result corrupted on purpose (`RVX_AUDIT_INJECT`) is reported as a
//! mismatch with exit status 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Per-run limit: auditing runs every block twice and more of them slowly.
const TIMEOUT: Duration = Duration::from_secs(120);
const PASS_LINE: &str = "rvx-test: PASS";
const MARCH: &str = "rv64gc_zba_zbb_zbs_zbc_zfh_zicsr_zifencei_zicbom_zicboz";

fn isa_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-suites/isa")
}

/// Assembles test-suites/isa/`name`.S into `dir`.
fn assemble(name: &str, dir: &Path) -> PathBuf {
    let isa = isa_dir();
    let elf = dir.join(format!("{name}.elf"));
    let cc = std::env::var("RISCV_CC").unwrap_or_else(|_| "riscv64-unknown-elf-gcc".into());
    let out = Command::new(&cc)
        .arg(format!("-march={MARCH}"))
        .args(["-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static"])
        .arg(format!("-I{}", isa.join("env").display()))
        .arg("-T")
        .arg(isa.join("env/link.ld"))
        .arg(isa.join(format!("{name}.S")))
        .arg("-o")
        .arg(&elf)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the RISC-V cross compiler `{cc}`: {e}"));
    assert!(
        out.status.success(),
        "assembling {name}.S failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elf
}

/// Runs `rvx run --accel audit` on `elf` with extra environment `env`; kills it after TIMEOUT.
fn run_audit(elf: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rvx"));
    cmd.args(["run", "--accel", "audit", "--bios", "none", "--kernel"])
        .arg(elf)
        .env_remove("RVX_AUDIT_INJECT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn rvx");
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "rvx --accel audit {} timed out; stderr {}",
                elf.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// The counts of the summary line `rvx: audit: N blocks audited, M run on the interpreter
/// only (...)`.
fn summary(stderr: &str) -> Option<(u64, u64)> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("rvx: audit: ") && l.contains("blocks audited"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let audited = words.get(2)?.parse().ok()?;
    let skipped = words.get(5)?.parse().ok()?;
    Some((audited, skipped))
}

/// Programs that cover the JIT's inline and helper paths: integer, AMOs and LR/SC, floating
/// point, self-modifying code, paging, traps, interrupts, WFI, cache-block zeroing, PMP.
#[test]
fn isa_programs_pass_under_audit() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "alu",
        "amo",
        "compressed",
        "fp_arith",
        "fp_flags",
        "jit_smc",
        "jit_straddle",
        "vm_sv39",
        "vm_mprv",
        "trap_misaligned",
        "irq_mtimer",
        "wfi",
        "zicbo",
        "pmp",
    ] {
        let elf = assemble(name, dir.path());
        let out = run_audit(&elf, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name} under --accel audit:\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains(PASS_LINE), "{name}: {stdout}");
        let (audited, skipped) =
            summary(&stderr).unwrap_or_else(|| panic!("{name}: no audit summary in {stderr}"));
        // Only the HTIF console writes (MMIO) and the odd clock read are skipped.
        assert!(
            audited > 2 * skipped,
            "{name}: {audited} audited, {skipped} skipped"
        );
    }
}

/// `RVX_AUDIT_INJECT=N` flips bit 0 of a0 after the JIT run of the N-th audited block: the
/// audit must stop right there with a report naming a0 and both values, and status 1.
#[test]
fn injected_difference_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let elf = assemble("alu", dir.path());
    let out = run_audit(&elf, &[("RVX_AUDIT_INJECT", "7")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stdout.contains(PASS_LINE), "the run must stop: {stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("rvx: audit: the JIT and the interpreter differ after the block at pc 0x"),
        "{stderr}"
    );
    // The block's disassembly: at least one `address: word  mnemonic` line.
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("0x00000000800")),
        "no disassembly in {stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("a0 (x10): interpreter "))
        .unwrap_or_else(|| panic!("no a0 line in {stderr}"));
    let vals: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("0x"))
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .collect();
    assert_eq!(vals.len(), 2, "{line}");
    assert_eq!(vals[0] ^ vals[1], 1, "exactly bit 0 differs: {line}");
    let diffs: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("differences"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(diffs, [line], "only a0 differs");
    let (audited, _) = summary(&stderr).expect("summary");
    assert_eq!(audited, 6, "the blocks before the corrupted one: {stderr}");
}

/// An unknown engine names audit among the choices.
#[test]
fn unknown_accel_lists_audit() {
    let out = Command::new(env!("CARGO_BIN_EXE_rvx"))
        .args(["run", "--accel", "kvm", "--bios", "none", "--kernel", "x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("jit, interp, audit"), "{stderr}");
}
