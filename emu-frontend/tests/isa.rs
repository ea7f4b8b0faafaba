//! The project's own ISA tests (test-suites/isa/*.S), run on the `rvx` binary.
//!
//! Each test is assembled at test time with the RISC-V cross toolchain
//! (`riscv64-unknown-elf-gcc`, or the compiler named by `$RISCV_CC`) and run
//! as `rvx run --bios none --kernel t.elf`. A test reports through HTIF
//! `tohost`: exit status 0 is a pass, any other status is the number of the
//! failing case (see test-suites/isa/env/rvx_test.h). A pass also needs the
//! line "rvx-test: PASS" on the HTIF console, so an rvx that exits 0 without
//! running the guest does not pass. One `#[test]` per file;
//! `every_isa_source_is_listed` makes sure no file is forgotten.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Per-test wall-clock limit; a hung guest is killed and reported.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Printed by the guest (env/rvx_test.h) just before it reports a pass.
const PASS_LINE: &str = "rvx-test: PASS";

const MARCH: &str = "rv64gc_zba_zbb_zbs_zbc_zfh_zicsr_zifencei_zicbom_zicboz";

fn isa_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-suites/isa")
}

fn compiler() -> String {
    std::env::var("RISCV_CC").unwrap_or_else(|_| "riscv64-unknown-elf-gcc".to_string())
}

/// Assembles `name.S` into `dir/name.elf`.
fn assemble(name: &str, dir: &Path) -> Result<PathBuf, String> {
    let isa = isa_dir();
    let src = isa.join(format!("{name}.S"));
    let elf = dir.join(format!("{name}.elf"));
    let cc = compiler();
    let out = Command::new(&cc)
        .arg(format!("-march={MARCH}"))
        .args(["-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static"])
        .arg(format!("-I{}", isa.join("env").display()))
        .arg("-T")
        .arg(isa.join("env/link.ld"))
        .arg(&src)
        .arg("-o")
        .arg(&elf)
        .output()
        .map_err(|e| {
            format!(
                "cannot run the RISC-V cross compiler `{cc}` ({e}); install \
                 riscv64-unknown-elf-gcc (binutils >= 2.40) or point $RISCV_CC at one"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "assembling {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(elf)
}

/// Runs rvx on `elf`, killing it after TIMEOUT. Returns the exit status (None
/// on timeout) and everything it printed.
fn run_rvx(elf: &Path, dir: &Path, accel: &str) -> Result<(Option<ExitStatus>, String), String> {
    let log_path = dir.join("rvx.log");
    let log =
        File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rvx"))
        // --jit-threshold 0: every block is translated, so the JIT runs all of the test.
        .args([
            "run",
            "--accel",
            accel,
            "--jit-threshold",
            "0",
            "--bios",
            "none",
            "--kernel",
        ])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot start rvx: {e}"))?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                // Best effort: the process may exit between the check and the kill.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for rvx: {e}")),
        }
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    Ok((status, output))
}

/// Runs the test on every engine: the interpreter (the definition) and the JIT.
fn run_isa_test(name: &str) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let elf = assemble(name, dir.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
    for accel in ["interp", "jit"] {
        run_on(name, &elf, dir.path(), accel);
    }
}

fn run_on(name: &str, elf: &Path, dir: &Path, accel: &str) {
    let (status, output) =
        run_rvx(elf, dir, accel).unwrap_or_else(|e| panic!("{name} (--accel {accel}): {e}"));
    let file = name;
    let name = format!("{name} (--accel {accel})");
    match status {
        Some(s) if s.success() && output.contains(PASS_LINE) => {}
        Some(s) if s.success() => panic!(
            "{name}: rvx exited with status 0 but the guest never printed `{PASS_LINE}` \
             on the HTIF console (device 1, command 1), so it did not reach the end of \
             the test\n--- rvx output ---\n{output}"
        ),
        Some(s) => match s.code() {
            Some(case) => panic!(
                "{name}: failed in case {case} (exit status {case}; see \
                 test-suites/isa/{file}.S)\n--- rvx output ---\n{output}"
            ),
            None => panic!("{name}: rvx was killed by a signal ({s})\n--- rvx output ---\n{output}"),
        },
        None => panic!(
            "{name}: timed out after {} s (the guest never wrote tohost)\n--- rvx output ---\n{output}",
            TIMEOUT.as_secs()
        ),
    }
}

macro_rules! isa_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_isa_test(stringify!($name));
            }
        )*

        /// The names above, which must match test-suites/isa/*.S exactly.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

isa_tests! {
    alu,
    amo,
    branch,
    compressed,
    csr,
    deleg,
    fp_arith,
    fp_class,
    fp_convert,
    fp_flags,
    fp_fs,
    fp_minmax,
    fp_nanbox,
    fp_round,
    loadstore,
    muldiv,
    pmp,
    pmp_exec_edge,
    privilege,
    trap_access,
    trap_breakpoint,
    trap_ecall,
    trap_illegal,
    trap_misaligned,
    trap_vectored,
    jit_chain_remap,
    jit_irq_loop,
    jit_csr_irq,
    jit_priv_target,
    jit_smc,
    jit_straddle,
    irq_msip,
    irq_mtimer,
    irq_ssip,
    irq_stimer,
    vm_ad,
    vm_mprv,
    vm_sfence,
    vm_sum_mxr,
    vm_sv39,
    vm_sv48,
    vm_sv57,
    wfi,
    zba,
    zbb,
    zbc,
    zbs,
    zfh,
    zicbo,
    zicond,
}

#[test]
fn every_isa_source_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(isa_dir())
        .expect("reading test-suites/isa")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "S").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "the isa_tests! list in emu-frontend/tests/isa.rs must name every test-suites/isa/*.S"
    );
}
