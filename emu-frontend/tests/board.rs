//! The virt board seen from small guest programs (assembled at test time with
//! riscv64-unknown-elf-gcc): power control, reboot, UART input, the built-in SBI (debug
//! console, SRST, HSM, IPI), the boot protocol (a0/a1 and the device tree), --dumpdtb.

mod common;
use common::{gcc, have_gcc, rvx, RVX};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Everything in one section at `base`.
fn linker_script(base: u64) -> String {
    format!(
        "OUTPUT_ARCH(riscv)\nENTRY(_start)\nSECTIONS {{\n  . = {base:#x};\n  \
         .text : {{ *(.text.init) *(.text*) *(.rodata*) *(.data*) *(.bss*) }}\n}}\n"
    )
}

/// Assembler macros for the built-in SBI calls the S-mode programs make (SBI v2.0).
const SBI_MACROS: &str = r#"
    # DBCN console_write: len bytes at msg.
    .macro sbi_print msg, len
    li a7, 0x4442434E
    li a6, 0
    li a0, \len
    la a1, \msg
    li a2, 0
    ecall
    .endm
    # SRST system_reset, shutdown, with the reason in register `reason` (1: system failure,
    # which rvx turns into exit status 1).
    .macro sbi_shutdown reason
    li a7, 0x53525354
    li a6, 0
    li a0, 0
    mv a1, \reason
    ecall
    .endm
"#;

/// Assembles `asm` (after [`SBI_MACROS`]) into an ELF linked at `base`.
fn build(dir: &Path, name: &str, base: u64, asm: &str) -> PathBuf {
    let src = format!("{name}.S");
    let ld = format!("{name}.ld");
    let script = linker_script(base);
    let asm = format!("{SBI_MACROS}{asm}");
    gcc(
        dir,
        &[(&src, &asm), (&ld, &script)],
        &[
            "-march=rv64gc",
            "-mabi=lp64d",
            "-nostdlib",
            "-nostartfiles",
            &format!("-T{ld}"),
            &src,
        ],
        &format!("{name}.elf"),
    )
}

/// Starts `rvx run --bios none --kernel ELF` with the given stdin, output captured.
fn spawn_bare(elf: &Path, stdin: Stdio) -> std::process::Child {
    Command::new(RVX)
        .args(["run", "--bios", "none", "--kernel", elf.to_str().unwrap()])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

const SIFIVE_TEST_POWEROFF: &str = r#"
    .section .text.init
    .globl _start
_start:
    li t0, 0x100000
    li t1, VALUE
    sw t1, 0(t0)
1:  j 1b
"#;

#[test]
fn sifive_test_powers_off_with_the_guest_status() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (value, status) in [(0x5555u32, 0), ((7 << 16) | 0x3333, 7)] {
        let asm = SIFIVE_TEST_POWEROFF.replace("VALUE", &value.to_string());
        let elf = build(dir.path(), "power", 0x8000_0000, &asm);
        let out = rvx(&["run", "--bios", "none", "--kernel", elf.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(status), "{out:?}");
    }
}

/// Prints "boot" on the UART, then asks the power device for a reset.
const REBOOT_LOOP: &str = r#"
    .section .text.init
    .globl _start
_start:
    li t0, 0x10000000
    la t1, msg
1:  lbu t2, 0(t1)
    beqz t2, 2f
    sb t2, 0(t0)
    addi t1, t1, 1
    j 1b
2:  li t0, 0x100000
    li t1, 0x7777
    sw t1, 0(t0)
3:  j 3b
msg: .string "boot\n"
"#;

#[test]
fn guest_reboot_restarts_the_machine() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(dir.path(), "reboot", 0x8000_0000, REBOOT_LOOP);
    let mut child = spawn_bare(&elf, Stdio::null());
    std::thread::sleep(Duration::from_secs(2));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Each reboot reloads the program, which prints again.
    assert!(stdout.matches("boot\n").count() >= 3, "{stdout:?}");
}

/// Echoes UART input (polling LSR.DR) until 'q', then powers off.
const UART_ECHO: &str = r#"
    .section .text.init
    .globl _start
_start:
    li t0, 0x10000000
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t2, 0(t0)
    sb t2, 0(t0)
    li t3, 'q'
    bne t2, t3, 1b
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
2:  j 2b
"#;

#[test]
fn uart_receives_host_input() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(dir.path(), "echo", 0x8000_0000, UART_ECHO);
    let mut child = spawn_bare(&elf, Stdio::piped());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello, rvx q")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "echo guest did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, rvx q");
}

/// S-mode under the built-in SBI: checks a0 = hartid and that a1 points at a device tree,
/// prints through DBCN, then shuts down through SRST (reason "system failure" if a check
/// failed, which rvx turns into status 1).
const SBI_HELLO: &str = r#"
    .section .text.init
    .globl _start
_start:
    li s1, 0                # SRST reason: none
    bnez a0, bad
    lwu t0, 0(a1)
    li t1, 0xedfe0dd0       # FDT magic 0xd00dfeed, big-endian
    bne t0, t1, bad
    csrr t0, sstatus        # S-mode: sstatus is readable
    j print
bad:
    li s1, 1
print:
    sbi_print msg, 10
    sbi_shutdown s1
1:  j 1b
msg: .ascii "hello sbi\n"
"#;

#[test]
fn builtin_sbi_boots_s_mode_with_a_device_tree() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(dir.path(), "sbi", 0x8020_0000, SBI_HELLO);
    let out = rvx(&["run", "--kernel", elf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello sbi\n");
}

/// Hart 0 starts hart 1 through HSM (opaque in a1), then sends it an IPI; hart 1 takes the
/// supervisor software interrupt, prints and shuts the machine down.
const SBI_SMP: &str = r#"
    .section .text.init
    .globl _start
_start:
    bnez a0, park
    li a7, 0x48534D         # HSM
    li a6, 0                # hart_start
    li a0, 1
    la a1, secondary
    li a2, 0x1234
    ecall
    bnez a0, fail
1:  li a7, 0x48534D
    li a6, 2                # hart_get_status
    li a0, 1
    ecall
    bnez a0, 1b             # until STARTED (0)
    la t0, ready
2:  lw t1, 0(t0)
    beqz t1, 2b
    li a7, 0x735049         # IPI
    li a6, 0                # send_ipi
    li a0, 2                # hart mask: hart 1
    li a1, 0
    ecall
3:  wfi
    j 3b
secondary:
    li t0, 1
    bne a0, t0, fail
    li t0, 0x1234
    bne a1, t0, fail
    la t0, handler
    csrw stvec, t0
    csrsi sie, 2            # SSIE
    csrsi sstatus, 2        # SIE
    la t0, ready
    li t1, 1
    sw t1, 0(t0)
4:  wfi
    j 4b
    .align 2
handler:
    sbi_print msg, 8
    sbi_shutdown zero
park:
fail:
    li s1, 1
    sbi_shutdown s1
5:  j 5b
msg: .ascii "ipi hart"
    .align 3
ready: .dword 0
"#;

#[test]
fn builtin_sbi_starts_harts_and_delivers_ipis() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(dir.path(), "smp", 0x8020_0000, SBI_SMP);
    for accel in ["jit", "interp"] {
        let out = rvx(&[
            "run",
            "--kernel",
            elf.to_str().unwrap(),
            "--smp",
            "2",
            "--accel",
            accel,
        ]);
        assert_eq!(out.status.code(), Some(0), "{accel}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ipi hart", "{accel}");
    }
}

#[test]
fn dumpdtb_writes_the_generated_tree() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(
        dir.path(),
        "power",
        0x8000_0000,
        &SIFIVE_TEST_POWEROFF.replace("VALUE", "0x5555"),
    );
    let dtb = dir.path().join("virt.dtb");
    let dtb2 = dir.path().join("virt2.dtb");
    let out = rvx(&[
        "run",
        "--kernel",
        elf.to_str().unwrap(),
        "--smp",
        "3",
        "-m",
        "256M",
        "--append",
        "console=ttyS0 quiet",
        "--dumpdtb",
        dtb.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let m = format!("virt,dumpdtb={}", dtb2.display());
    let out = rvx(&[
        "run",
        "-M",
        &m,
        "--kernel",
        elf.to_str().unwrap(),
        "--smp",
        "3",
        "-m",
        "256M",
        "--append",
        "console=ttyS0 quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let blob = std::fs::read(&dtb).unwrap();
    assert_eq!(blob[..4], [0xd0, 0x0d, 0xfe, 0xed]);
    // A dumped tree is accepted back by --dtb (the guest powers off: status 0).
    let out = rvx(&[
        "run",
        "--kernel",
        elf.to_str().unwrap(),
        "--dtb",
        dtb.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(blob, std::fs::read(&dtb2).unwrap());
    let Ok(dtc) = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts"])
        .arg(&dtb)
        .output()
    else {
        eprintln!("skipped the dtc half: dtc not found");
        return;
    };
    let dts = String::from_utf8_lossy(&dtc.stdout);
    for needle in [
        "bootargs = \"console=ttyS0 quiet\"",
        "cpu@2 {",
        "reg = <0x00 0x80000000 0x00 0x10000000>",
        "virtio_mmio@10008000",
        "serial@10000000",
        "riscv,isa-extensions",
    ] {
        assert!(dts.contains(needle), "{needle:?} not in the tree:\n{dts}");
    }
}

#[test]
fn boot_files_that_cannot_be_read_are_named() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = build(
        dir.path(),
        "power",
        0x8000_0000,
        &SIFIVE_TEST_POWEROFF.replace("VALUE", "0x5555"),
    );
    let k = elf.to_str().unwrap();
    for (args, needle) in [
        (vec!["--initrd", "/nonexistent/initrd.gz"], "initrd.gz"),
        (vec!["--bios", "/nonexistent/fw.bin"], "fw.bin"),
        (vec!["--dtb", "/nonexistent/board.dtb"], "board.dtb"),
        (vec!["--dtb", k], "not a device tree"),
    ] {
        let mut all = vec!["run", "--kernel", k];
        all.extend(args);
        let out = rvx(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("rvx: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
}
