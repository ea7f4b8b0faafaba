//! rvx: a RISC-V (RV64GC) full-system emulator.
//!
//! Exit status: the guest's (HTIF / semihosting / power-off), 2 for bad input (options,
//! files), 101 for an internal error.

mod cli;
mod loader;
mod machine;
mod run;
mod semihosting;
mod trace;

use anyhow::{anyhow, bail};
use clap::Parser;
use cli::{Cli, Command, RunArgs, SemihostingConfig};
use machine::{Machine, MachineConfig};
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
    trace::init(&trace, a.trace_file.as_deref())?;
    let machine = Machine::build(&cfg)?;
    machine.run()
}

fn machine_config(a: &RunArgs, trace: TraceItems) -> anyhow::Result<MachineConfig> {
    match a.bios.as_deref() {
        Some("none") => {}
        Some(file) => bail!(
            "--bios {file}: only --bios none is supported in this version \
             (firmware loading and the built-in SBI come later)"
        ),
        None => bail!(
            "no --bios given: only --bios none is supported in this version \
             (the built-in SBI comes later)"
        ),
    }
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
    if a.machine != "virt" {
        bail!(
            "unknown machine '{}' for -M/--machine (valid: virt)",
            a.machine
        );
    }
    if let Some(smp) = &a.smp {
        let cpus = smp
            .split(',')
            .find_map(|kv| match kv.split_once('=') {
                Some(("cpus", v)) => Some(v),
                Some(_) => None,
                None => Some(kv),
            })
            .unwrap_or("1");
        if cpus != "1" {
            bail!("--smp {smp}: only 1 hart is supported in this version");
        }
    }
    if let Some(d) = a.display.as_deref().filter(|d| *d != "none") {
        bail!("--display {d}: only --display none is supported in this version");
    }
    if let Some(s) = a
        .serial
        .as_deref()
        .filter(|s| !matches!(*s, "stdio" | "mon:stdio"))
    {
        bail!("--serial {s}: only --serial stdio is supported in this version");
    }
    let unsupported = [
        ("append", a.append.is_some()),
        ("initrd", a.initrd.is_some()),
        ("dtb", a.dtb.is_some()),
        ("drive", !a.drive.is_empty()),
        ("device", !a.device.is_empty()),
        ("global", !a.global.is_empty()),
    ];
    if let Some((name, _)) = unsupported.iter().find(|(_, given)| *given) {
        bail!("--{name} is not supported in this version");
    }
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
    })
}
