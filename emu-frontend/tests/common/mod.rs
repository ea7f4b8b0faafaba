//! Helpers shared by the integration tests that run the `rvx` binary.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const RVX: &str = env!("CARGO_BIN_EXE_rvx");

/// Runs rvx with `args`, killing it after 20 s so a broken guest cannot hang the suite.
pub fn rvx(args: &[&str]) -> Output {
    let mut child = Command::new(RVX)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rvx");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "rvx {args:?} timed out; stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

pub const GCC: &str = "riscv64-unknown-elf-gcc";

pub fn have_gcc() -> bool {
    let ok = Command::new(GCC)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: {GCC} not found on PATH");
    }
    ok
}

/// Builds `files` (name, contents) in `dir` with `gcc args` into `out`; panics with gcc's
/// output on failure.
pub fn gcc(dir: &Path, files: &[(&str, &str)], args: &[&str], out: &str) -> PathBuf {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let o = Command::new(GCC)
        .current_dir(dir)
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "gcc failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir.join(out)
}
