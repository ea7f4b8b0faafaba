//! Runs the `rvx` binary: bad input gets one `rvx:` line and exit status 2; small guest
//! programs (assembled at test time with riscv64-unknown-elf-gcc) run to their exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{gcc, have_gcc, rvx};
const RAM_BASE: u64 = 0x8000_0000;

/// Asserts the run failed with exit status 2 and exactly one stderr line starting `rvx:`
/// that contains every string in `needles`. Returns that line.
fn assert_usage_error(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "want one line, got: {stderr:?}");
    assert!(lines[0].starts_with("rvx: "), "{stderr:?}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in {stderr:?}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_string()
}

fn run_kernel(path: &Path) -> Output {
    rvx(&["run", "-bios", "none", "-kernel", path.to_str().unwrap()])
}

/// A minimal RV64 ELF with one PT_LOAD segment of `code` at `paddr` (no sections).
fn tiny_elf(paddr: u64, code: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&paddr.to_le_bytes()); // e_entry
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for half in [64u16, 56, 1, 64, 0, 0] {
        // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
        f.extend_from_slice(&half.to_le_bytes());
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for v in [
        120,
        paddr,
        paddr,
        code.len() as u64,
        code.len() as u64,
        0x1000,
    ] {
        // p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(code);
    f
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn missing_file() {
    let out = run_kernel(Path::new("/nonexistent/k.elf"));
    let line = assert_usage_error(&out, &["/nonexistent/k.elf", "No such file"]);
    assert_eq!(line.matches("No such file").count(), 1, "{line}");
}

#[test]
fn unreadable_file_is_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_kernel(dir.path());
    assert_usage_error(&out, &["cannot read"]);
}

#[test]
fn truncated_elf() {
    let dir = tempfile::tempdir().unwrap();
    let elf = tiny_elf(RAM_BASE, &[0x13, 0, 0, 0, 0x13, 0, 0, 0]);
    // Cut inside the segment data: the header is fine, the segment points past the end.
    let p = write_temp(&dir, "cut.elf", &elf[..elf.len() - 4]);
    assert_usage_error(&run_kernel(&p), &["cut.elf", "segment 0", "past the end"]);
    // Cut inside the ELF header.
    let p = write_temp(&dir, "short.elf", &elf[..40]);
    assert_usage_error(&run_kernel(&p), &["short.elf", "truncated"]);
    // Cut inside the program header table.
    let p = write_temp(&dir, "ph.elf", &elf[..80]);
    assert_usage_error(&run_kernel(&p), &["ph.elf", "malformed ELF"]);
}

#[test]
fn foreign_elf() {
    let out = run_kernel(Path::new("/bin/true"));
    assert_usage_error(&out, &["/bin/true", "another machine", "RISC-V"]);
    let dir = tempfile::tempdir().unwrap();
    let mut elf32 = tiny_elf(RAM_BASE, &[0; 4]);
    elf32[4] = 1; // ELFCLASS32
    let p = write_temp(&dir, "e32.elf", &elf32);
    assert_usage_error(&run_kernel(&p), &["e32.elf", "32-bit"]);
}

#[test]
fn segment_outside_ram() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "low.elf", &tiny_elf(0x10000, &[0x13, 0, 0, 0]));
    assert_usage_error(
        &run_kernel(&p),
        &[
            "low.elf",
            "segment 0",
            "0x10000",
            "outside RAM",
            "0x80000000..0xa0000000",
        ],
    );
    // Inside the default 512 MiB, outside a 1 MiB RAM.
    let p = write_temp(&dir, "high.elf", &tiny_elf(0x8010_0000, &[0x13, 0, 0, 0]));
    let out = rvx(&[
        "run",
        "-m",
        "1",
        "-bios",
        "none",
        "-kernel",
        p.to_str().unwrap(),
    ]);
    assert_usage_error(&out, &["0x80100000", "0x80000000..0x80100000"]);
}

#[test]
fn raw_image_larger_than_ram() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "big.bin", &vec![0u8; (64 << 10) + 1]);
    let out = rvx(&[
        "run",
        "-m",
        "64K",
        "-bios",
        "none",
        "-kernel",
        p.to_str().unwrap(),
    ]);
    assert_usage_error(&out, &["big.bin", "raw image", "does not fit"]);
}

#[test]
fn bad_options() {
    assert_usage_error(&rvx(&["run", "--frobnicate"]), &["--frobnicate"]);
    assert_usage_error(&rvx(&["frob"]), &["frob"]);
    for m in ["0", "3K", "2T", "lots"] {
        let out = rvx(&["run", "-m", m, "-bios", "none", "-kernel", "x"]);
        assert_usage_error(&out, &[m, "memory"]);
    }
    assert_usage_error(
        &rvx(&["run", "-d", "in_asm,bogus", "-bios", "none", "-kernel", "x"]),
        &["'bogus'", "in_asm, out_asm, int, exec, cpu, mmu"],
    );
    assert_usage_error(
        &rvx(&["run", "--accel", "kvm", "-bios", "none", "-kernel", "x"]),
        &["'kvm'", "--accel", "jit, interp"],
    );
    for n in ["0", "65", "two", "cpus=0", "cpus=2,frob=1"] {
        let out = rvx(&["run", "-smp", n, "-bios", "none", "-kernel", "x"]);
        assert_usage_error(&out, &["--smp"]);
    }
    assert_usage_error(
        &rvx(&["run", "-M", "sifive_u", "-bios", "none", "-kernel", "x"]),
        &["sifive_u"],
    );
    assert_usage_error(&rvx(&["run", "-bios", "none"]), &["--kernel"]);
    let dir = tempfile::tempdir().unwrap();
    let k = write_temp(&dir, "k.bin", &[0x73, 0, 0x10, 0x10]);
    let k = k.to_str().unwrap();
    let missing = dir.path().join("a.img");
    let missing_opt = format!("file={}", missing.display());
    let cases: &[(&[&str], &[&str])] = &[
        (&["-drive", &missing_opt], &["a.img", "--drive"]),
        (&["-drive", "file=x.img,format=qcow2"], &["qcow2", "raw"]),
        (&["-drive", "format=raw"], &["file=PATH"]),
        (&["-drive", "file=x,frob=1"], &["frob"]),
        (&["-device", "e1000"], &["e1000", "virtio-blk-device"]),
        (&["-device", "virtio-blk-device,drive=d9"], &["d9"]),
        (&["-serial", "tcp:1234"], &["--serial", "tcp:1234"]),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["run", "-bios", "none", "-kernel", k];
        args.extend_from_slice(extra);
        assert_usage_error(&rvx(&args), needles);
    }
}

#[test]
fn help_and_version() {
    let out = rvx(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rvx "));
    let out = rvx(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--kernel",
        "--bios",
        "--memory",
        "--semihosting-config",
        "-d <ITEMS>",
    ] {
        assert!(help.contains(opt), "{opt} missing from help:\n{help}");
    }
    let out = rvx(&["run", "-d", "help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("in_asm"));
}

// ---- guest programs (need riscv64-unknown-elf-gcc) ----

/// Bare metal at 0x80000000 with `tohost`/`fromhost` in their own 4 KiB-aligned section.
const BARE_LD: &str = r#"
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text*) }
  .rodata : { *(.rodata*) }
  . = ALIGN(0x1000);
  .tohost : { *(.tohost) }
  .data : { *(.data*) *(.sdata*) }
  .bss : { *(.bss*) *(.sbss*) }
}
"#;

/// Prints MSG through HTIF putchar (waiting for fromhost each time), then writes EXIT to
/// tohost.
const HTIF_S: &str = r#"
    .section .text.init
    .globl _start
_start:
    la a0, msg
    la t1, tohost
1:  lbu a1, 0(a0)
    beqz a1, 2f
    li t0, 0x0101000000000000
    or t0, t0, a1
    sd t0, 0(t1)
3:  ld t2, 8(t1)
    beqz t2, 3b
    sd zero, 8(t1)
    addi a0, a0, 1
    j 1b
2:  li t0, EXIT
    sd t0, 0(t1)
4:  j 4b

    .section .rodata
msg: .string MSG

    .section .tohost, "aw", @progbits
    .align 12
    .globl tohost
tohost: .dword 0
    .globl fromhost
fromhost: .dword 0
"#;

fn build_htif(dir: &Path, msg: &str, exit: u64, out: &str) -> PathBuf {
    let msg_def = format!("-DMSG=\"{msg}\"");
    let exit_def = format!("-DEXIT={exit}");
    gcc(
        dir,
        &[("htif.S", HTIF_S), ("bare.ld", BARE_LD)],
        &[
            "-march=rv64gc",
            "-mabi=lp64d",
            "-nostdlib",
            "-nostartfiles",
            "-Tbare.ld",
            &msg_def,
            &exit_def,
            "htif.S",
        ],
        out,
    )
}

#[test]
fn htif_putchar_and_pass() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build_htif(dir.path(), "hi", 1, "pass.elf");
    let out = run_kernel(&elf);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn htif_failure_number_is_the_exit_status() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build_htif(dir.path(), "x", (3 << 1) | 1, "fail.elf");
    let out = run_kernel(&elf);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "rvx: guest reported failure 3 via tohost\n"
    );
}

/// A raw binary (no ELF, no tohost) that stores "ok\n" to the UART and exits through
/// semihosting SYS_EXIT with status 5.
#[test]
fn raw_binary_uart_and_semihosting_exit() {
    if !have_gcc() {
        return;
    }
    let src = r#"
    .section .text.init
    .globl _start
_start:
    li t0, 0x10000000
    li t1, 'o'
    sb t1, 0(t0)
    li t1, 'k'
    sb t1, 0(t0)
    li t1, '\n'
    sb t1, 0(t0)
    la a1, block
    li a0, 0x18
    .option push
    .option norvc
    .balign 16
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
    .option pop
1:  j 1b
    .balign 8
block: .dword 0x20026, 5
"#;
    let dir = tempfile::tempdir().unwrap();
    let elf = gcc(
        dir.path(),
        &[("raw.S", src), ("bare.ld", BARE_LD)],
        &[
            "-march=rv64gc",
            "-mabi=lp64d",
            "-nostdlib",
            "-nostartfiles",
            "-Tbare.ld",
            "raw.S",
        ],
        "raw.elf",
    );
    let bin = dir.path().join("raw.bin");
    let st = Command::new("riscv64-unknown-elf-objcopy")
        .args(["-O", "binary"])
        .arg(&elf)
        .arg(&bin)
        .status()
        .unwrap();
    assert!(st.success());
    let out = rvx(&[
        "run",
        "-bios",
        "none",
        "-kernel",
        bin.to_str().unwrap(),
        "-semihosting",
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
}

/// picolibc's semihosting crt0 and stdio, with the program's RAM placed in the virt board's.
#[test]
fn picolibc_semihosting_hello() {
    if !have_gcc() {
        return;
    }
    let src = r#"
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    printf("hello from picolibc, argc=%d", argc);
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    fprintf(stderr, "to stderr\n");
    return 7;
}
"#;
    let dir = tempfile::tempdir().unwrap();
    let elf = gcc(
        dir.path(),
        &[("hello.c", src)],
        &[
            "--specs=picolibc.specs",
            "--oslib=semihost",
            "--crt0=semihost",
            "-march=rv64gc",
            "-mabi=lp64d",
            "-mcmodel=medany",
            "-O2",
            "-Wl,--defsym=__flash=0x80000000",
            "-Wl,--defsym=__flash_size=0x100000",
            "-Wl,--defsym=__ram=0x80100000",
            "-Wl,--defsym=__ram_size=0x100000",
            "hello.c",
        ],
        "hello.elf",
    );
    let out = rvx(&[
        "run",
        "-machine",
        "virt",
        "-bios",
        "none",
        "-kernel",
        elf.to_str().unwrap(),
        "-nographic",
        "-semihosting-config",
        "enable=on,target=native,arg=hello,arg=world",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "stderr: {stderr}");
    // picolibc's crt0 puts its own argv[0] before the SYS_GET_CMDLINE words (QEMU gives the
    // same argc=3), and its stdio sends stdout and stderr alike through SYS_WRITEC, which
    // is the console (stdout).
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from picolibc, argc=3 hello world\nto stderr\n"
    );
    assert_eq!(stderr, "");
}

/// A guest whose trap vector faults again (mtvec left at 0, nothing mapped there) is a
/// double fault: one line naming the cause and pc, a non-zero status, no hang.
#[test]
fn double_fault_is_reported_not_looped() {
    let dir = tempfile::tempdir().unwrap();
    // One illegal instruction (all zeros) at the RAM base, loaded as a raw image.
    let img = write_temp(&dir, "zero.bin", &[0, 0, 0, 0]);
    let out = run_kernel(&img);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with("rvx: guest double fault: instruction access fault at pc 0x0"),
        "{stderr:?}"
    );
}
