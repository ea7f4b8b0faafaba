//! rvx: a RISC-V (RV64GC) full-system emulator.
//!
//! Exit status: the guest's (HTIF / semihosting / power-off), 2 for bad input (options,
//! files), 101 for an internal error.

mod board_sbi;
mod cli;
mod fdt;
mod loader;
mod machine;
mod mrom;
mod run;
mod sbi;
mod semihosting;
mod trace;

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use cli::{Cli, Command, RunArgs, SemihostingConfig};
use machine::{Host, Machine, MachineConfig, VirtioSpec};
use trace::TraceItems;

/// Exit status for bad input (as clap uses for usage errors).
const EXIT_USAGE: i32 = 2;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "rvx: internal error: {}{loc} (please report this)",
            one_line(&msg)
        );
        std::process::exit(101);
    }));
    std::process::exit(real_main());
}

fn real_main() -> i32 {
    let args = cli::rewrite_qemu_args(std::env::args_os());
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    let result = match cli.command {
        Command::Run(args) => run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rvx: {}", one_line(&error_chain(&e)));
            EXIT_USAGE
        }
    }
}

/// Help and version go out as clap prints them; a usage error becomes one line.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            e.exit_code()
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid command line");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("rvx: {first} (see 'rvx run --help')");
            EXIT_USAGE
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message
/// before it already includes (thiserror messages often embed their source).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `rvx run`: validates the options, builds the machine and runs it.
fn run(a: RunArgs) -> anyhow::Result<i32> {
    let trace = match a.trace.as_deref() {
        Some("help") => {
            print!("{}", trace::help_text());
            return Ok(0);
        }
        Some(items) => TraceItems::parse(items).map_err(|e| anyhow!(e))?,
        None => TraceItems::default(),
    };
    let cfg = machine_config(&a, trace)?;
    let serial = cli::Serial::parse(a.serial.as_deref()).map_err(|e| anyhow!("--serial: {e}"))?;
    trace::init(&trace, a.trace_file.as_deref())?;
    let mut host = Host::new(&serial)?;
    let result = run_until_poweroff(&cfg, &host);
    host.close();
    result
}

/// Runs the machine; a guest reboot (power device, SBI SRST) builds it afresh: new RAM with
/// the images reloaded, devices at their reset state, harts at the boot protocol's start.
fn run_until_poweroff(cfg: &MachineConfig, host: &Host) -> anyhow::Result<i32> {
    loop {
        let machine = Machine::build(cfg, host)?;
        if let Some(path) = &cfg.dumpdtb {
            std::fs::write(path, &machine.dtb)
                .with_context(|| format!("--dumpdtb {}", path.display()))?;
            return Ok(0);
        }
        let code = machine.run()?;
        if !host.control.reset_requested() {
            return Ok(code);
        }
        drop(machine);
        host.control.clear_reset();
    }
}

fn machine_config(a: &RunArgs, trace: TraceItems) -> anyhow::Result<MachineConfig> {
    let bios = cli::Bios::parse(a.bios.as_deref());
    let Some(kernel) = a.kernel.clone() else {
        bail!("no --kernel given: nothing to run")
    };
    let accel = match a.accel.split(',').next().unwrap_or("") {
        "interp" => emu_cpu::Accel::Interp,
        "jit" | "tcg" => emu_cpu::Accel::Jit,
        "audit" => emu_cpu::Accel::Audit,
        other => bail!("unknown accelerator '{other}' for --accel (valid: jit, interp, audit)"),
    };
    if accel != emu_cpu::Accel::Interp && !cfg!(target_arch = "x86_64") {
        bail!(
            "--accel {}: this host has no JIT backend (use --accel interp)",
            a.accel
        );
    }
    // QEMU's `-M virt,dumpdtb=FILE` spelling of --dumpdtb.
    let mut dumpdtb = a.dumpdtb.clone();
    let mut mparts = a.machine.split(',');
    let board = mparts.next().unwrap_or("");
    if board != "virt" {
        bail!("unknown machine '{board}' for -M/--machine (valid: virt)");
    }
    for prop in mparts {
        match prop.split_once('=') {
            Some(("dumpdtb", f)) => dumpdtb = Some(f.into()),
            // Accepted for QEMU command lines; rvx has no ACLINT/AIA choice to make.
            Some(("aclint" | "aia" | "acpi", _)) => {}
            _ => bail!("-M virt,{prop}: unknown machine property (known: dumpdtb)"),
        }
    }
    let harts = match &a.smp {
        Some(smp) => cli::parse_smp(smp).map_err(|e| anyhow!("--smp {smp}: {e}"))?,
        None => 1,
    };
    if accel == emu_cpu::Accel::Audit && harts > 1 {
        // Audit undoes a block's stores between its two runs; another hart could see them.
        bail!("--accel audit runs one hart only (drop --smp {harts})");
    }
    if let Some(d) = a.display.as_deref().filter(|d| *d != "none") {
        bail!("--display {d}: only --display none is supported in this version");
    }
    let virtio = virtio_devices(a)?;
    let mut sh = SemihostingConfig {
        enabled: a.semihosting,
        args: Vec::new(),
    };
    for opts in &a.semihosting_config {
        sh.apply(opts)
            .map_err(|e| anyhow!("--semihosting-config: {e}"))?;
    }
    Ok(MachineConfig {
        ram_size: a.memory,
        kernel,
        semihosting: Some(sh),
        trace,
        accel,
        jit_cache_size: a.jit_cache_size as usize,
        jit_threshold: a.jit_threshold,
        bios,
        harts,
        virtio,
        initrd: a.initrd.clone(),
        append: a.append.clone(),
        dtb: a.dtb.clone(),
        dumpdtb,
    })
}

/// The virtio-mmio devices in slot order: `--drive`s (if=virtio) as given, then `--device`s
/// (a `virtio-blk-device,drive=ID` takes the `if=none` drive with that id).
fn virtio_devices(a: &RunArgs) -> anyhow::Result<Vec<VirtioSpec>> {
    let mut drives = Vec::new();
    let mut out = Vec::new();
    for d in &a.drive {
        let spec = cli::DriveSpec::parse(d).map_err(|e| anyhow!("--drive {d}: {e}"))?;
        if spec.attach_now {
            out.push(VirtioSpec::Block {
                file: spec.file.clone(),
                readonly: spec.readonly,
            });
        }
        drives.push(spec);
    }
    for dev in &a.device {
        let mut items = dev.split(',');
        let driver = items.next().unwrap_or("");
        let props: Vec<(&str, &str)> = items
            .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
            .collect();
        match driver {
            "virtio-rng-device" | "virtio-rng" => out.push(VirtioSpec::Rng),
            "virtio-blk-device" | "virtio-blk" => {
                let Some((_, id)) = props.iter().find(|(k, _)| *k == "drive") else {
                    bail!("--device {dev}: drive=ID is missing");
                };
                let Some(d) = drives.iter().find(|d| d.id.as_deref() == Some(id)) else {
                    bail!("--device {dev}: no --drive with id={id}");
                };
                out.push(VirtioSpec::Block {
                    file: d.file.clone(),
                    readonly: d.readonly,
                });
            }
            _ => bail!(
                "--device {driver}: unknown device (known: virtio-blk-device, virtio-rng-device)"
            ),
        }
    }
    Ok(out)
}
