//! `-d ITEMS` / `-D FILE`: QEMU-style trace selection mapped onto `tracing` targets.
//!
//! The hart emits TRACE-level events with the targets below, and only builds them when the
//! matching flag is set (see `emu_cpu::TraceFlags`), so tracing costs nothing when off.

use anyhow::Context;
use std::path::Path;
use std::sync::Mutex;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The `-d` items, each also the name of the `tracing` target the hart uses.
pub const ITEMS: &[(&str, &str)] = &[
    ("in_asm", "each newly decoded guest block, disassembled"),
    (
        "out_asm",
        "the host code of each new JIT translation, disassembled",
    ),
    ("int", "each trap and interrupt taken"),
    ("exec", "each instruction executed"),
    ("cpu", "the register state at each block"),
    ("mmu", "page-table walks and TLB fills"),
];

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TraceItems {
    pub in_asm: bool,
    pub out_asm: bool,
    pub int: bool,
    pub exec: bool,
    pub cpu: bool,
    pub mmu: bool,
}

impl TraceItems {
    /// Parses a comma-separated `-d` list. Unknown items are an error naming the item and
    /// the valid ones.
    pub fn parse(s: &str) -> Result<TraceItems, String> {
        let mut t = TraceItems::default();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            match item {
                "in_asm" => t.in_asm = true,
                "out_asm" => t.out_asm = true,
                "int" => t.int = true,
                "exec" => t.exec = true,
                "cpu" => t.cpu = true,
                "mmu" => t.mmu = true,
                _ => {
                    let valid: Vec<_> = ITEMS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "unknown -d item '{item}' (valid items: {})",
                        valid.join(", ")
                    ));
                }
            }
        }
        Ok(t)
    }

    pub fn any(&self) -> bool {
        self.in_asm || self.out_asm || self.int || self.exec || self.cpu || self.mmu
    }

    /// The `tracing` targets to enable.
    pub fn targets(&self) -> Vec<&'static str> {
        [
            (self.in_asm, "in_asm"),
            (self.out_asm, "out_asm"),
            (self.int, "int"),
            (self.exec, "exec"),
            (self.cpu, "cpu"),
            (self.mmu, "mmu"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// The text `-d help` prints.
pub fn help_text() -> String {
    let mut s = String::from("Trace items for -d (comma-separated):\n");
    for (name, what) in ITEMS {
        s.push_str(&format!("  {name:<8} {what}\n"));
    }
    s
}

/// Installs the global subscriber for the selected items, writing to `file` or stderr.
/// Does nothing when no item is selected.
pub fn init(items: &TraceItems, file: Option<&Path>) -> anyhow::Result<()> {
    if !items.any() {
        return Ok(());
    }
    let targets = items.targets().into_iter().fold(Targets::new(), |t, name| {
        t.with_target(name, tracing::Level::TRACE)
    });
    let fmt = tracing_subscriber::fmt::layer()
        .without_time()
        .with_level(false)
        .with_target(true);
    let layer = match file {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("cannot create trace file {}", path.display()))?;
            fmt.with_ansi(false).with_writer(Mutex::new(f)).boxed()
        }
        None => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            fmt.with_ansi(ansi).with_writer(std::io::stderr).boxed()
        }
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(targets))
        .try_init()
        .context("cannot install the trace subscriber")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse() {
        let t = TraceItems::parse("in_asm,int").unwrap();
        assert!(t.in_asm && t.int && !t.exec && !t.cpu && !t.mmu);
        assert_eq!(t.targets(), ["in_asm", "int"]);
        let all = TraceItems::parse("in_asm,out_asm,int,exec,cpu,mmu").unwrap();
        assert_eq!(all.targets().len(), 6);
        let e = TraceItems::parse("in_asm,page").unwrap_err();
        assert!(
            e.contains("'page'") && e.contains("in_asm, out_asm, int, exec, cpu, mmu"),
            "{e}"
        );
        assert!(!TraceItems::parse("").unwrap().any());
    }
}
