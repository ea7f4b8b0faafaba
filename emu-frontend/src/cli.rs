//! The command line: QEMU-style argv rewriting, then clap.
//!
//! rvx takes QEMU's option names so a `qemu-system-riscv64 -machine virt ...` line works with
//! the program name replaced by `rvx run`. QEMU spells long options with one dash
//! (`-kernel`), which clap cannot parse, so [`rewrite_qemu_args`] first turns a single-dash
//! word naming a known long option into `--word`. The short options `-m`, `-M`, `-d`, `-D`
//! stay as they are.

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// The JIT where rvx has a backend for the host, the interpreter elsewhere.
pub const DEFAULT_ACCEL: &str = if cfg!(target_arch = "x86_64") {
    "jit"
} else {
    "interp"
};

#[derive(Debug, Parser)]
#[command(
    name = "rvx",
    version,
    about = "A RISC-V (RV64GC) full-system emulator",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a machine (QEMU's virt board) with a kernel or bare-metal program.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Firmware: `default` (the built-in SBI: the kernel starts in S-mode), `none` (the
    /// kernel starts in M-mode at its entry), or an M-mode firmware FILE such as OpenSBI's
    /// fw_dynamic.bin (loaded at 0x80000000).
    #[arg(long, value_name = "default|none|FILE")]
    pub bios: Option<String>,

    /// The kernel: a RISC-V Linux Image (Debian's vmlinux-*), an ELF (loaded at its physical
    /// addresses) or a raw binary (loaded at 0x80000000).
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,

    /// Guest RAM size at 0x80000000: a number of MiB, or a size with suffix K, M, G, T.
    #[arg(short = 'm', long = "memory", value_name = "SIZE", default_value = "512M",
          value_parser = parse_mem_size)]
    pub memory: u64,

    /// Execution engine: `jit` (translation to host code; the default on x86-64 hosts; `tcg`
    /// is accepted as a synonym), `interp` (the interpreter; the default elsewhere) or
    /// `audit` (every block on both, stopping at the first difference: for JIT bugs).
    #[arg(long, value_name = "jit|interp|audit", default_value = DEFAULT_ACCEL)]
    pub accel: String,

    /// Size of each hart's JIT code cache (flushed whole when full), as for -m.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_mem_size)]
    pub jit_cache_size: u64,

    /// How many times a block runs on the interpreter before the JIT translates it: code
    /// that runs once (much of a kernel's boot) is cheaper to interpret. 0 translates every
    /// block before its first run.
    #[arg(long, value_name = "N", default_value = "8")]
    pub jit_threshold: u32,

    /// The board: `virt`, optionally with QEMU's `,dumpdtb=FILE`.
    #[arg(
        short = 'M',
        long = "machine",
        value_name = "virt",
        default_value = "virt"
    )]
    pub machine: String,

    /// No window: the console is on stdio (the default: rvx has no display yet).
    #[arg(long)]
    pub nographic: bool,

    /// Enable semihosting (ARM/RISC-V semihosting calls served by the host).
    #[arg(long)]
    pub semihosting: bool,

    /// QEMU's semihosting options: `enable=on|off,target=native,arg=PROG,arg=...`.
    #[arg(long = "semihosting-config", value_name = "OPTS")]
    pub semihosting_config: Vec<String>,

    /// Number of harts, 1 to 64 (`N` or QEMU's `cpus=N,...`).
    #[arg(long, value_name = "N")]
    pub smp: Option<String>,

    /// Trace items, comma-separated: in_asm, int, exec, cpu, mmu (`-d help` lists them).
    #[arg(short = 'd', value_name = "ITEMS")]
    pub trace: Option<String>,

    /// Write traces to FILE instead of stderr.
    #[arg(short = 'D', value_name = "FILE")]
    pub trace_file: Option<PathBuf>,

    /// Display: only `none` (rvx has no display yet).
    #[arg(long, value_name = "none")]
    pub display: Option<String>,

    /// The UART: `stdio` / `mon:stdio` (the default; Ctrl-a x quits, Ctrl-a h lists the keys),
    /// `file:PATH` (output to a file, no input) or `none`/`null`.
    #[arg(long, value_name = "stdio|file:PATH|none")]
    pub serial: Option<String>,

    /// Kernel command line (the device tree's /chosen/bootargs).
    #[arg(long, value_name = "CMDLINE")]
    pub append: Option<String>,

    /// Initial ramdisk, placed where the device tree's /chosen says.
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,

    /// Use this device tree blob instead of the generated one.
    #[arg(long, value_name = "FILE")]
    pub dtb: Option<PathBuf>,

    /// Write the generated device tree blob to FILE and exit (QEMU: -M virt,dumpdtb=FILE).
    #[arg(long, value_name = "FILE")]
    pub dumpdtb: Option<PathBuf>,

    /// A virtio-blk disk: `file=PATH[,format=raw][,readonly=on][,if=virtio|none][,id=ID]`.
    /// Disks take the virtio-mmio slots from 0x10001000 up, in order.
    #[arg(long, value_name = "OPTS")]
    pub drive: Vec<String>,

    /// Devices: `virtio-rng-device`, `virtio-blk-device,drive=ID` (for an `if=none` drive).
    #[arg(long, value_name = "OPTS")]
    pub device: Vec<String>,

    /// Global device properties: accepted and ignored (e.g. QEMU's
    /// `virtio-mmio.force-legacy=false`, which is how rvx's virtio-mmio always behaves).
    #[arg(long, value_name = "OPTS")]
    pub global: Vec<String>,
}

/// Firmware choice (`--bios`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bios {
    /// rvx's own SBI: harts start in S-mode at the kernel entry.
    BuiltIn,
    /// No firmware: harts start in M-mode at the kernel entry.
    None,
    /// An M-mode firmware file loaded at the start of RAM, entered through the boot ROM.
    File(PathBuf),
}

impl Bios {
    pub fn parse(s: Option<&str>) -> Bios {
        match s {
            None | Some("default") => Bios::BuiltIn,
            Some("none") => Bios::None,
            Some(f) => Bios::File(PathBuf::from(f)),
        }
    }
}

/// A disk (`--drive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveSpec {
    pub file: PathBuf,
    pub readonly: bool,
    /// `if=none` drives are attached by a `--device virtio-blk-device,drive=ID`.
    pub id: Option<String>,
    pub attach_now: bool,
}

impl DriveSpec {
    pub fn parse(opts: &str) -> Result<DriveSpec, String> {
        let mut file = None;
        let mut readonly = false;
        let mut id = None;
        let mut attach_now = true;
        for item in split_qemu_opts(opts) {
            let (k, v) = item.split_once('=').unwrap_or((item.as_str(), "on"));
            match k {
                "file" => file = Some(PathBuf::from(v)),
                "format" if v == "raw" => {}
                "format" => return Err(format!("format={v}: only raw images are supported")),
                "readonly" | "read-only" => readonly = parse_on_off(k, v)?,
                "if" if v == "virtio" => attach_now = true,
                "if" if v == "none" => attach_now = false,
                "if" => return Err(format!("if={v}: only if=virtio or if=none")),
                "id" => id = Some(v.to_string()),
                "media" if v == "disk" => {}
                "cache" | "aio" | "discard" | "detect-zeroes" => {}
                _ => {
                    return Err(format!(
                        "unknown key '{k}' (known: file, format, readonly, if, id)"
                    ))
                }
            }
        }
        let file = file.ok_or("file=PATH is missing")?;
        Ok(DriveSpec {
            file,
            readonly,
            id,
            attach_now,
        })
    }
}

fn parse_on_off(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("{key}={v}: expected on or off")),
    }
}

/// The number of harts from `--smp N` or `--smp cpus=N,...`.
pub fn parse_smp(s: &str) -> Result<usize, String> {
    let mut cpus = None;
    for item in split_qemu_opts(s) {
        match item.split_once('=') {
            Some(("cpus", v)) => cpus = Some(v.to_string()),
            Some(("maxcpus" | "sockets" | "cores" | "threads" | "dies" | "clusters", _)) => {}
            Some((k, _)) => return Err(format!("unknown key '{k}' (known: cpus)")),
            None => cpus = Some(item.clone()),
        }
    }
    let cpus = cpus.unwrap_or_else(|| "1".into());
    match cpus.parse::<usize>() {
        Ok(n @ 1..=MAX_HARTS) => Ok(n),
        _ => Err(format!(
            "'{cpus}' is not a hart count from 1 to {MAX_HARTS}"
        )),
    }
}

/// The most harts the board has (PLIC contexts, CLINT registers and threads are per hart).
pub const MAX_HARTS: usize = 64;

/// Where the UART goes (`--serial`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serial {
    Stdio,
    File(PathBuf),
    None,
}

impl Serial {
    pub fn parse(s: Option<&str>) -> Result<Serial, String> {
        match s {
            None | Some("stdio") | Some("mon:stdio") => Ok(Serial::Stdio),
            Some("none") | Some("null") => Ok(Serial::None),
            Some(f) if f.starts_with("file:") => Ok(Serial::File(PathBuf::from(&f[5..]))),
            Some(other) => Err(format!(
                "'{other}' is not supported (stdio, file:PATH, none)"
            )),
        }
    }
}

/// QEMU long options rvx knows, and whether each takes a value. Used to rewrite `-word`
/// to `--word` and to skip over option values while doing so.
const LONG_OPTIONS: &[(&str, bool)] = &[
    ("bios", true),
    ("kernel", true),
    ("memory", true),
    ("accel", true),
    ("jit-cache-size", true),
    ("jit-threshold", true),
    ("machine", true),
    ("nographic", false),
    ("semihosting", false),
    ("semihosting-config", true),
    ("smp", true),
    ("append", true),
    ("initrd", true),
    ("dtb", true),
    ("dumpdtb", true),
    ("drive", true),
    ("device", true),
    ("global", true),
    ("display", true),
    ("serial", true),
    ("help", false),
    ("version", false),
];

/// Short options that take a value (their value is never rewritten).
const SHORT_WITH_VALUE: &[&str] = &["-m", "-M", "-d", "-D"];

/// Turns QEMU's single-dash long options into clap's double-dash ones: `-kernel` ->
/// `--kernel`, `-machine=virt` -> `--machine=virt`. Option values (the word after an option
/// that takes one) and everything after `--` are left alone, as are words that do not name
/// a known option (clap then reports them).
pub fn rewrite_qemu_args<I: IntoIterator<Item = OsString>>(args: I) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut iter = args.into_iter();
    if let Some(argv0) = iter.next() {
        out.push(argv0);
    }
    let mut skip_value = false;
    let mut rest_verbatim = false;
    for arg in iter {
        if rest_verbatim || skip_value {
            skip_value = false;
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            rest_verbatim = true;
            out.push(arg);
            continue;
        }
        if SHORT_WITH_VALUE.contains(&s) {
            skip_value = true;
            out.push(arg);
            continue;
        }
        let (dashes, word) = if let Some(w) = s.strip_prefix("--") {
            (2, w)
        } else if let Some(w) = s.strip_prefix('-') {
            (1, w)
        } else {
            out.push(arg);
            continue;
        };
        let (name, has_eq) = match word.split_once('=') {
            Some((n, _)) => (n, true),
            None => (word, false),
        };
        match LONG_OPTIONS.iter().find(|(n, _)| *n == name) {
            Some(&(_, takes_value)) => {
                skip_value = takes_value && !has_eq;
                if dashes == 1 && word.len() > 1 {
                    out.push(format!("--{word}").into());
                } else {
                    out.push(arg);
                }
            }
            None => out.push(arg),
        }
    }
    out
}

/// Parses a RAM size the way QEMU's `-m` does: a plain number is MiB; suffixes K, M, G, T
/// (any case, optional trailing B) scale by powers of 1024. `size=` is accepted as QEMU's
/// property form. The size must be a non-zero multiple of 4 KiB and at most 1 TiB.
pub fn parse_mem_size(s: &str) -> Result<u64, String> {
    const MAX: u64 = 1 << 40;
    let t = s.trim();
    let t = t.strip_prefix("size=").unwrap_or(t);
    let upper = t.to_ascii_uppercase();
    let t = upper.strip_suffix('B').unwrap_or(&upper);
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let shift = match suffix {
        "" | "M" => 20,
        "K" => 10,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("'{s}' is not a size (examples: 512, 512M, 2G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size (examples: 512, 512M, 2G)"))?;
    let bytes = n
        .checked_mul(1 << shift)
        .filter(|&b| b <= MAX)
        .ok_or_else(|| format!("'{s}' is larger than the 1 TiB limit"))?;
    if bytes == 0 {
        return Err("the RAM size must not be 0".into());
    }
    if bytes % 4096 != 0 {
        return Err(format!("'{s}' is not a multiple of 4 KiB"));
    }
    Ok(bytes)
}

/// QEMU's `-semihosting-config` settings that rvx uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SemihostingConfig {
    pub enabled: bool,
    /// The `arg=` values, in order (the guest's command line, argv[0] first).
    pub args: Vec<String>,
}

impl SemihostingConfig {
    /// Applies one `-semihosting-config` option string. QEMU's option syntax: comma-separated
    /// `key=value` pairs, where `,,` is a literal comma inside a value.
    pub fn apply(&mut self, opts: &str) -> Result<(), String> {
        for item in split_qemu_opts(opts) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                // QEMU's implied first key for -semihosting-config is `enable`.
                None if item == "on" || item == "off" => ("enable".into(), item.clone()),
                None => (item.clone(), "on".into()),
            };
            match key.as_str() {
                "enable" => {
                    self.enabled = match value.as_str() {
                        "on" | "yes" | "true" => true,
                        "off" | "no" | "false" => false,
                        _ => return Err(format!("enable={value}: expected on or off")),
                    }
                }
                "target" => match value.as_str() {
                    "native" | "auto" => {}
                    _ => {
                        return Err(format!(
                            "target={value} is not supported (only target=native)"
                        ))
                    }
                },
                // Harmless in rvx: there is no user-mode restriction to lift and the console
                // is always stdio.
                "userspace" | "chardev" => {}
                "arg" => self.args.push(value),
                _ => {
                    return Err(format!(
                        "unknown key '{key}' (known: enable, target, arg, userspace, chardev)"
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Splits a QEMU option string on commas, `,,` being an escaped comma.
fn split_qemu_opts(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ',' {
            if chars.peek() == Some(&',') {
                chars.next();
                cur.push(',');
            } else {
                items.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    items.push(cur);
    items.retain(|i| !i.is_empty());
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(args: &[&str]) -> Vec<String> {
        rewrite_qemu_args(args.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn qemu_single_dash_options_are_rewritten() {
        assert_eq!(
            rw(&[
                "rvx",
                "run",
                "-machine",
                "virt",
                "-bios",
                "none",
                "-kernel",
                "k.elf",
                "-m",
                "128M",
                "-nographic",
                "-smp",
                "1",
                "-M",
                "virt",
                "-d",
                "in_asm,int",
                "-D",
                "t.log"
            ]),
            [
                "rvx",
                "run",
                "--machine",
                "virt",
                "--bios",
                "none",
                "--kernel",
                "k.elf",
                "-m",
                "128M",
                "--nographic",
                "--smp",
                "1",
                "-M",
                "virt",
                "-d",
                "in_asm,int",
                "-D",
                "t.log"
            ]
        );
    }

    #[test]
    fn values_and_unknown_words_are_kept() {
        // A value that looks like an option stays a value.
        assert_eq!(
            rw(&["rvx", "run", "-append", "-kernel", "-kernel=x"]),
            ["rvx", "run", "--append", "-kernel", "--kernel=x"]
        );
        assert_eq!(
            rw(&["rvx", "run", "-m", "-bios", "-frobnicate", "-s", "-m512"]),
            ["rvx", "run", "-m", "-bios", "-frobnicate", "-s", "-m512"]
        );
        assert_eq!(
            rw(&["rvx", "run", "--", "-kernel"]),
            ["rvx", "run", "--", "-kernel"]
        );
        assert_eq!(
            rw(&[
                "rvx",
                "run",
                "-semihosting-config",
                "enable=on,arg=-kernel",
                "-semihosting"
            ]),
            [
                "rvx",
                "run",
                "--semihosting-config",
                "enable=on,arg=-kernel",
                "--semihosting"
            ]
        );
    }

    #[test]
    fn mem_sizes_follow_qemu() {
        assert_eq!(parse_mem_size("512"), Ok(512 << 20));
        assert_eq!(parse_mem_size("512M"), Ok(512 << 20));
        assert_eq!(parse_mem_size("512mb"), Ok(512 << 20));
        assert_eq!(parse_mem_size("2G"), Ok(2 << 30));
        assert_eq!(parse_mem_size("2gB"), Ok(2 << 30));
        assert_eq!(parse_mem_size("64k"), Ok(64 << 10));
        assert_eq!(parse_mem_size("1T"), Ok(1 << 40));
        assert_eq!(parse_mem_size("size=1G"), Ok(1 << 30));
        for bad in [
            "0", "0M", "2K", "6K", "2T", "1025G", "abc", "", "M", "12X", "-1", "1.5G",
        ] {
            assert!(parse_mem_size(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_mem_size("99999999999999999999").is_err());
        assert!(parse_mem_size("18446744073709551615").is_err());
    }

    #[test]
    fn semihosting_config_parses_args() {
        let mut c = SemihostingConfig::default();
        c.apply("enable=on,target=native,arg=prog,arg=a,,b,arg=c")
            .unwrap();
        assert!(c.enabled);
        assert_eq!(c.args, ["prog", "a,b", "c"]);
        let mut c = SemihostingConfig::default();
        c.apply("on").unwrap();
        assert!(c.enabled);
        assert!(c.apply("target=gdb").is_err());
        assert!(c.apply("frob=1").is_err());
        assert!(c.apply("enable=maybe").is_err());
    }

    #[test]
    fn clap_parses_the_rewritten_line() {
        let args = rewrite_qemu_args(
            [
                "rvx",
                "run",
                "-machine",
                "virt",
                "-bios",
                "none",
                "-kernel",
                "k",
                "-m",
                "1G",
                "-semihosting-config",
                "enable=on,arg=x",
            ]
            .map(OsString::from),
        );
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Run(r) = cli.command;
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.bios.as_deref(), Some("none"));
        assert_eq!(r.kernel, Some(PathBuf::from("k")));
        assert_eq!(r.semihosting_config, ["enable=on,arg=x"]);
    }
}
