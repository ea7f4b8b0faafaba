//! The virt board's device tree, built as QEMU's `hw/riscv/virt.c` builds it (`create_fdt`,
//! `create_fdt_socket_cpus`, `create_fdt_socket_clint`, `create_fdt_socket_plic`,
//! `create_fdt_virtio`, `create_fdt_uart`, `create_fdt_rtc`, `create_fdt_reset`), so a
//! kernel or firmware made for QEMU's board finds the same nodes, compatibles, interrupt
//! numbers and phandle wiring here.
//!
//! Left out on purpose (rvx has no such device): `/soc/pci`, `fw-cfg`, `flash`,
//! `platform-bus`, `pmu`, and `/chosen/rng-seed`.
//!
//! The virtio-mmio nodes are written from the highest slot down, as QEMU does
//! (`create_fdt_virtio` adds each with `qemu_fdt_add_subnode`, which prepends): Linux probes
//! in tree order, so the same slot gets the same `/dev/vdX` name as under QEMU.

use vm_fdt::FdtWriter;

/// `/cpus/timebase-frequency`: the virt board's mtime rate (10 MHz,
/// `RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ`).
pub const TIMEBASE_FREQUENCY: u32 = 10_000_000;

/// QEMU virt memory map (`virt_memmap` in hw/riscv/virt.c): the devices the tree describes.
pub mod memmap {
    pub const TEST_BASE: u64 = 0x10_0000;
    pub const TEST_SIZE: u64 = 0x1000;
    pub const RTC_BASE: u64 = 0x10_1000;
    pub const RTC_SIZE: u64 = 0x1000;
    pub const CLINT_BASE: u64 = 0x200_0000;
    pub const CLINT_SIZE: u64 = 0x1_0000;
    pub const PLIC_BASE: u64 = 0xc00_0000;
    pub const PLIC_SIZE: u64 = 0x60_0000;
    pub const UART0_BASE: u64 = 0x1000_0000;
    pub const UART0_SIZE: u64 = 0x100;
    pub const VIRTIO_BASE: u64 = 0x1000_1000;
    /// Each virtio-mmio slot's size; slot `i` is at `VIRTIO_BASE + i * VIRTIO_SIZE`.
    pub const VIRTIO_SIZE: u64 = 0x1000;
}

/// PLIC interrupt sources (`hw/riscv/virt.h`): UART0 is 10, the RTC 11, virtio slot `i`
/// is `VIRTIO_IRQ + i`.
pub mod irq {
    pub const VIRTIO_IRQ: u32 = 1;
    pub const UART0_IRQ: u32 = 10;
    pub const RTC_IRQ: u32 = 11;
    /// `riscv,ndev`: QEMU 8's `VIRT_IRQCHIP_NUM_SOURCES - 1` (source 0 does not exist, so
    /// sources 1..=95).
    pub const PLIC_NDEV: u32 = 95;
}

/// UART0's input clock (`clock-frequency`), QEMU's 3.6864 MHz.
pub const UART0_CLOCK_FREQUENCY: u32 = 0x38_4000;

/// What `value` the poweroff/reboot syscon nodes write to the test device
/// (`FINISHER_PASS`, `FINISHER_RESET` of hw/misc/sifive_test.c).
pub const SYSCON_POWEROFF_VALUE: u32 = 0x5555;
pub const SYSCON_REBOOT_VALUE: u32 = 0x7777;

/// Local interrupt numbers on each hart's `riscv,cpu-intc` (privileged spec 3.1.9, mip).
mod local_irq {
    pub const M_SOFT: u32 = 3;
    pub const M_TIMER: u32 = 7;
    pub const S_EXT: u32 = 9;
    pub const M_EXT: u32 = 11;
}

/// The ISA the `/cpus/cpu@N` nodes advertise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsaInfo {
    /// Single-letter extensions after `rv64`, in canonical order (e.g. `"imafdc"`).
    pub letters: String,
    /// Multi-letter extensions, lower case, in canonical order (ISA manual, "ISA Extension
    /// Naming Conventions": Z-extensions by the category letter that follows the Z, in
    /// IMAFDQLCBKJTPVH order, then alphabetically; then S-extensions).
    pub extensions: Vec<String>,
    /// `mmu-type`: the widest translation mode (`"riscv,sv57"`).
    pub mmu_type: String,
    /// Cache-block size for `riscv,cbom-block-size` (Zicbom) and `riscv,cboz-block-size`
    /// (Zicboz); written only when the extension is listed.
    pub cache_block_size: u32,
}

impl IsaInfo {
    /// What rvx's hart implements (emu-cpu `decode/table.rs`, `csr.rs`, emu-mmu `walk.rs`).
    ///
    /// Not listed: Svadu (the walker sets A/D in hardware always, with no menvcfg.ADUE to
    /// turn it off, which Svadu requires), Zicbop/Zihintntl/Zimop (HINT encodings that run
    /// but are not claimed), H, V, Zfa, Zcb, Svpbmt, Svnapot, Sscofpmf.
    /// Zihpm is listed: hpmcounter3..31 exist and read zero, which the spec allows.
    pub fn rvx() -> IsaInfo {
        let ext = [
            "zicbom",
            "zicboz",
            "zicntr",
            "zicond",
            "zicsr",
            "zifencei",
            "zihintpause",
            "zihpm",
            "zmmul",
            "zfh",
            "zfhmin",
            "zba",
            "zbb",
            "zbc",
            "zbs",
            "sstc",
        ];
        IsaInfo {
            letters: "imafdc".into(),
            extensions: ext.iter().map(|s| s.to_string()).collect(),
            mmu_type: "riscv,sv57".into(),
            cache_block_size: 64,
        }
    }

    /// `riscv,isa`: `rv64imafdc_zicbom_..._sstc`.
    pub fn isa_string(&self) -> String {
        let mut s = format!("rv64{}", self.letters);
        for e in &self.extensions {
            s.push('_');
            s.push_str(e);
        }
        s
    }

    /// `riscv,isa-extensions`: every extension as its own string, letters first
    /// (Documentation/devicetree/bindings/riscv/extensions.yaml).
    pub fn extension_list(&self) -> Vec<String> {
        self.letters
            .chars()
            .map(|c| c.to_string())
            .chain(self.extensions.iter().cloned())
            .collect()
    }

    fn has(&self, ext: &str) -> bool {
        self.extensions.iter().any(|e| e == ext)
    }
}

/// Everything the tree depends on.
#[derive(Debug, Clone)]
pub struct FdtConfig {
    pub ram_base: u64,
    pub ram_size: u64,
    /// Number of harts; hart ids are 0..harts.
    pub harts: usize,
    /// `/chosen/bootargs`; omitted when `None` or empty (as QEMU does).
    pub bootargs: Option<String>,
    /// `(start, end)` of the initrd in guest physical memory, end exclusive.
    pub initrd: Option<(u64, u64)>,
    /// Number of virtio-mmio slots (QEMU: `VIRTIO_COUNT` = 8).
    pub virtio_slots: usize,
    pub isa: IsaInfo,
}

impl FdtConfig {
    /// QEMU's defaults for `ram_size` bytes of RAM at 0x80000000 and `harts` harts.
    pub fn virt(ram_size: u64, harts: usize) -> FdtConfig {
        FdtConfig {
            ram_base: 0x8000_0000,
            ram_size,
            harts,
            bootargs: None,
            initrd: None,
            virtio_slots: 8,
            isa: IsaInfo::rvx(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FdtError {
    #[error("cannot build the device tree: {0}")]
    Writer(#[from] vm_fdt::Error),
    #[error("the device tree needs at least one hart")]
    NoHarts,
    #[error("too many harts for the device tree ({0})")]
    TooManyHarts(usize),
    #[error("too many virtio-mmio slots ({0}; the virt board's PLIC has {max} sources)", max = irq::PLIC_NDEV)]
    TooManyVirtio(usize),
}

/// Phandles, allocated as QEMU does: per hart the cpu node and its interrupt controller,
/// then the PLIC and the test device.
struct Phandles {
    cpu: Vec<u32>,
    intc: Vec<u32>,
    plic: u32,
    test: u32,
}

impl Phandles {
    fn new(harts: usize) -> Phandles {
        let mut next = 1u32;
        let mut take = || {
            let p = next;
            next += 1;
            p
        };
        let mut cpu = Vec::with_capacity(harts);
        let mut intc = Vec::with_capacity(harts);
        for _ in 0..harts {
            cpu.push(take());
            intc.push(take());
        }
        let plic = take();
        let test = take();
        Phandles {
            cpu,
            intc,
            plic,
            test,
        }
    }
}

/// Splits a 64-bit value into the two cells a `#address-cells = 2` / `#size-cells = 2`
/// `reg` wants.
fn cells2(v: u64) -> [u32; 2] {
    [(v >> 32) as u32, v as u32]
}

fn reg2(base: u64, size: u64) -> Vec<u32> {
    let mut v = cells2(base).to_vec();
    v.extend_from_slice(&cells2(size));
    v
}

/// Builds the device tree blob.
pub fn build(cfg: &FdtConfig) -> Result<Vec<u8>, FdtError> {
    if cfg.harts == 0 {
        return Err(FdtError::NoHarts);
    }
    // Each hart takes two phandles and two PLIC contexts; keep far below the u32 range
    // and the PLIC's 15872 contexts.
    if cfg.harts > 4096 {
        return Err(FdtError::TooManyHarts(cfg.harts));
    }
    if cfg.virtio_slots + irq::VIRTIO_IRQ as usize > irq::PLIC_NDEV as usize
        || cfg.virtio_slots > 32
    {
        return Err(FdtError::TooManyVirtio(cfg.virtio_slots));
    }
    let ph = Phandles::new(cfg.harts);
    let mut w = FdtWriter::new()?;

    let root = w.begin_node("")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "riscv-virtio")?;
    w.property_string("model", "riscv-virtio,qemu")?;

    chosen(&mut w, cfg)?;
    syscon_reset(&mut w, &ph)?;

    let mem = w.begin_node(&format!("memory@{:x}", cfg.ram_base))?;
    w.property_string("device_type", "memory")?;
    w.property_array_u32("reg", &reg2(cfg.ram_base, cfg.ram_size))?;
    w.end_node(mem)?;

    cpus(&mut w, cfg, &ph)?;
    soc(&mut w, cfg, &ph)?;

    w.end_node(root)?;
    Ok(w.finish()?)
}

fn chosen(w: &mut FdtWriter, cfg: &FdtConfig) -> Result<(), FdtError> {
    let n = w.begin_node("chosen")?;
    if let Some(args) = cfg.bootargs.as_deref().filter(|a| !a.is_empty()) {
        w.property_string("bootargs", args)?;
    }
    if let Some((start, end)) = cfg.initrd {
        // QEMU writes these as 64-bit values (riscv_load_initrd, qemu_fdt_setprop_u64).
        w.property_u64("linux,initrd-start", start)?;
        w.property_u64("linux,initrd-end", end)?;
    }
    w.property_string(
        "stdout-path",
        &format!("/soc/serial@{:x}", memmap::UART0_BASE),
    )?;
    w.end_node(n)?;
    Ok(())
}

/// `create_fdt_reset`: poweroff and reboot as syscon writes to the SiFive test device.
fn syscon_reset(w: &mut FdtWriter, ph: &Phandles) -> Result<(), FdtError> {
    for (name, compatible, value) in [
        ("poweroff", "syscon-poweroff", SYSCON_POWEROFF_VALUE),
        ("reboot", "syscon-reboot", SYSCON_REBOOT_VALUE),
    ] {
        let n = w.begin_node(name)?;
        w.property_u32("value", value)?;
        w.property_u32("offset", 0)?;
        w.property_u32("regmap", ph.test)?;
        w.property_string("compatible", compatible)?;
        w.end_node(n)?;
    }
    Ok(())
}

fn cpus(w: &mut FdtWriter, cfg: &FdtConfig, ph: &Phandles) -> Result<(), FdtError> {
    let isa = &cfg.isa;
    let cpus = w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    w.property_u32("timebase-frequency", TIMEBASE_FREQUENCY)?;
    for hart in 0..cfg.harts {
        let cpu = w.begin_node(&format!("cpu@{hart}"))?;
        w.property_phandle(ph.cpu[hart])?;
        w.property_string("device_type", "cpu")?;
        w.property_u32("reg", hart as u32)?;
        w.property_string("status", "okay")?;
        w.property_string("compatible", "riscv")?;
        // Linux refuses Zicbom/Zicboz without the block size (cpufeature.c).
        if isa.has("zicbom") {
            w.property_u32("riscv,cbom-block-size", isa.cache_block_size)?;
        }
        if isa.has("zicboz") {
            w.property_u32("riscv,cboz-block-size", isa.cache_block_size)?;
        }
        w.property_string("riscv,isa", &isa.isa_string())?;
        w.property_string("riscv,isa-base", "rv64i")?;
        w.property_string_list("riscv,isa-extensions", isa.extension_list())?;
        w.property_string("mmu-type", &isa.mmu_type)?;
        let intc = w.begin_node("interrupt-controller")?;
        w.property_u32("#interrupt-cells", 1)?;
        w.property_null("interrupt-controller")?;
        w.property_string("compatible", "riscv,cpu-intc")?;
        w.property_phandle(ph.intc[hart])?;
        w.end_node(intc)?;
        w.end_node(cpu)?;
    }
    let map = w.begin_node("cpu-map")?;
    let cluster = w.begin_node("cluster0")?;
    for hart in 0..cfg.harts {
        let core = w.begin_node(&format!("core{hart}"))?;
        w.property_u32("cpu", ph.cpu[hart])?;
        w.end_node(core)?;
    }
    w.end_node(cluster)?;
    w.end_node(map)?;
    w.end_node(cpus)?;
    Ok(())
}

/// `interrupts-extended` pairs `<intc_phandle irq>` for every hart, `irqs` per hart.
fn per_hart_irqs(ph: &Phandles, irqs: &[u32]) -> Vec<u32> {
    ph.intc
        .iter()
        .flat_map(|&intc| irqs.iter().flat_map(move |&i| [intc, i]))
        .collect()
}

fn soc(w: &mut FdtWriter, cfg: &FdtConfig, ph: &Phandles) -> Result<(), FdtError> {
    let soc = w.begin_node("soc")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "simple-bus")?;
    w.property_null("ranges")?;

    let n = w.begin_node(&format!("rtc@{:x}", memmap::RTC_BASE))?;
    w.property_u32("interrupts", irq::RTC_IRQ)?;
    w.property_u32("interrupt-parent", ph.plic)?;
    w.property_array_u32("reg", &reg2(memmap::RTC_BASE, memmap::RTC_SIZE))?;
    w.property_string("compatible", "google,goldfish-rtc")?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("serial@{:x}", memmap::UART0_BASE))?;
    w.property_u32("interrupts", irq::UART0_IRQ)?;
    w.property_u32("interrupt-parent", ph.plic)?;
    w.property_u32("clock-frequency", UART0_CLOCK_FREQUENCY)?;
    w.property_array_u32("reg", &reg2(memmap::UART0_BASE, memmap::UART0_SIZE))?;
    w.property_string("compatible", "ns16550a")?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("test@{:x}", memmap::TEST_BASE))?;
    w.property_phandle(ph.test)?;
    w.property_array_u32("reg", &reg2(memmap::TEST_BASE, memmap::TEST_SIZE))?;
    w.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    w.end_node(n)?;

    for slot in (0..cfg.virtio_slots).rev() {
        let base = memmap::VIRTIO_BASE + slot as u64 * memmap::VIRTIO_SIZE;
        let n = w.begin_node(&format!("virtio_mmio@{base:x}"))?;
        w.property_u32("interrupts", irq::VIRTIO_IRQ + slot as u32)?;
        w.property_u32("interrupt-parent", ph.plic)?;
        w.property_array_u32("reg", &reg2(base, memmap::VIRTIO_SIZE))?;
        w.property_string("compatible", "virtio,mmio")?;
        w.end_node(n)?;
    }

    // PLIC contexts: 2*hart is the hart's M-mode context, 2*hart+1 its S-mode one.
    let n = w.begin_node(&format!("plic@{:x}", memmap::PLIC_BASE))?;
    w.property_phandle(ph.plic)?;
    w.property_u32("riscv,ndev", irq::PLIC_NDEV)?;
    w.property_array_u32("reg", &reg2(memmap::PLIC_BASE, memmap::PLIC_SIZE))?;
    w.property_array_u32(
        "interrupts-extended",
        &per_hart_irqs(ph, &[local_irq::M_EXT, local_irq::S_EXT]),
    )?;
    w.property_null("interrupt-controller")?;
    w.property_string_list(
        "compatible",
        vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()],
    )?;
    w.property_u32("#address-cells", 0)?;
    w.property_u32("#interrupt-cells", 1)?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("clint@{:x}", memmap::CLINT_BASE))?;
    w.property_array_u32(
        "interrupts-extended",
        &per_hart_irqs(ph, &[local_irq::M_SOFT, local_irq::M_TIMER]),
    )?;
    w.property_array_u32("reg", &reg2(memmap::CLINT_BASE, memmap::CLINT_SIZE))?;
    w.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    w.end_node(n)?;

    w.end_node(soc)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be32s(v: &[u8]) -> Vec<u32> {
        v.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    fn prop<'a>(fdt: &'a fdt::Fdt<'a>, node: &str, name: &str) -> &'a [u8] {
        fdt.find_node(node)
            .unwrap_or_else(|| panic!("no node {node}"))
            .property(name)
            .unwrap_or_else(|| panic!("no {node}/{name}"))
            .value
    }

    fn str_list(v: &[u8]) -> Vec<&str> {
        v.split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| std::str::from_utf8(s).unwrap())
            .collect()
    }

    fn sample() -> Vec<u8> {
        let mut cfg = FdtConfig::virt(256 << 20, 4);
        cfg.bootargs = Some("console=ttyS0 earlycon".into());
        cfg.initrd = Some((0x8820_0000, 0x8830_0123));
        build(&cfg).unwrap()
    }

    #[test]
    fn root_memory_and_chosen() {
        let blob = sample();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        assert_eq!(fdt.root().model(), "riscv-virtio,qemu");
        assert_eq!(str_list(prop(&fdt, "/", "compatible")), ["riscv-virtio"]);
        assert_eq!(be32s(prop(&fdt, "/", "#address-cells")), [2]);
        let mem: Vec<_> = fdt.memory().regions().collect();
        assert_eq!(mem.len(), 1);
        assert_eq!(mem[0].starting_address as u64, 0x8000_0000);
        assert_eq!(mem[0].size, Some(256 << 20));
        assert_eq!(fdt.chosen().bootargs(), Some("console=ttyS0 earlycon"));
        assert_eq!(
            fdt.chosen().stdout().map(|n| n.name),
            Some("serial@10000000")
        );
        assert_eq!(
            prop(&fdt, "/chosen", "linux,initrd-start"),
            0x8820_0000u64.to_be_bytes()
        );
        assert_eq!(
            prop(&fdt, "/chosen", "linux,initrd-end"),
            0x8830_0123u64.to_be_bytes()
        );
    }

    #[test]
    fn no_bootargs_or_initrd_means_no_properties() {
        let mut cfg = FdtConfig::virt(64 << 20, 1);
        cfg.bootargs = Some(String::new());
        let blob = build(&cfg).unwrap();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        let chosen = fdt.find_node("/chosen").unwrap();
        assert!(chosen.property("bootargs").is_none());
        assert!(chosen.property("linux,initrd-start").is_none());
        assert!(chosen.property("stdout-path").is_some());
    }

    #[test]
    fn cpus_and_their_interrupt_controllers() {
        let blob = sample();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        assert_eq!(
            be32s(prop(&fdt, "/cpus", "timebase-frequency")),
            [10_000_000]
        );
        let cpus: Vec<_> = fdt.cpus().collect();
        assert_eq!(cpus.len(), 4);
        for (i, cpu) in cpus.iter().enumerate() {
            assert_eq!(cpu.ids().first(), i);
        }
        let isa = std::str::from_utf8(prop(&fdt, "/cpus/cpu@2", "riscv,isa")).unwrap();
        assert!(isa.starts_with("rv64imafdc_zicbom_zicboz_"), "{isa}");
        assert!(isa.trim_end_matches('\0').ends_with("_zbs_sstc"), "{isa}");
        assert!(!isa.contains("svadu"));
        let exts = str_list(prop(&fdt, "/cpus/cpu@2", "riscv,isa-extensions"));
        assert_eq!(&exts[..6], ["i", "m", "a", "f", "d", "c"]);
        assert!(exts.contains(&"zicond") && exts.contains(&"zba"));
        assert_eq!(
            str_list(prop(&fdt, "/cpus/cpu@2", "riscv,isa-base")),
            ["rv64i"]
        );
        assert_eq!(
            str_list(prop(&fdt, "/cpus/cpu@2", "mmu-type")),
            ["riscv,sv57"]
        );
        assert_eq!(
            be32s(prop(&fdt, "/cpus/cpu@2", "riscv,cboz-block-size")),
            [64]
        );
        assert_eq!(
            be32s(prop(&fdt, "/cpus/cpu@2", "riscv,cbom-block-size")),
            [64]
        );
        let intc = fdt.find_node("/cpus/cpu@3/interrupt-controller").unwrap();
        assert_eq!(intc.compatible().unwrap().first(), "riscv,cpu-intc");
        assert_eq!(intc.interrupt_cells(), Some(1));
        assert!(intc.property("interrupt-controller").is_some());
        // cpu-map points at the cpu nodes.
        let core3 = be32s(prop(&fdt, "/cpus/cpu-map/cluster0/core3", "cpu"))[0];
        assert_eq!(fdt.find_phandle(core3).unwrap().name, "cpu@3");
    }

    /// `interrupts-extended` as (cpu node name, irq) pairs: each phandle must be a
    /// cpu's interrupt controller.
    fn irqs_ext(fdt: &fdt::Fdt, node: &str) -> Vec<(String, u32)> {
        let intc_owner = |phandle: u32| {
            (0..)
                .map_while(|i| fdt.find_node(&format!("/cpus/cpu@{i}")).map(|_| i))
                .find(|i| {
                    fdt.find_node(&format!("/cpus/cpu@{i}/interrupt-controller"))
                        .and_then(|n| n.property("phandle"))
                        .and_then(|p| p.as_usize())
                        == Some(phandle as usize)
                })
                .map(|i| format!("cpu@{i}"))
                .unwrap_or_else(|| format!("?{phandle}"))
        };
        be32s(prop(fdt, node, "interrupts-extended"))
            .chunks_exact(2)
            .map(|p| (intc_owner(p[0]), p[1]))
            .collect()
    }

    #[test]
    fn clint_and_plic_route_to_each_hart() {
        let blob = sample();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        let clint = irqs_ext(&fdt, "/soc/clint@2000000");
        assert_eq!(clint.len(), 8);
        assert_eq!(clint[0], ("cpu@0".into(), 3));
        assert_eq!(clint[1], ("cpu@0".into(), 7));
        assert_eq!(clint[7], ("cpu@3".into(), 7));
        let plic = irqs_ext(&fdt, "/soc/plic@c000000");
        assert_eq!(plic[2], ("cpu@1".into(), 11));
        assert_eq!(plic[3], ("cpu@1".into(), 9));
        let p = fdt.find_node("/soc/plic@c000000").unwrap();
        assert_eq!(be32s(p.property("riscv,ndev").unwrap().value), [95]);
        assert_eq!(
            p.compatible().unwrap().all().collect::<Vec<_>>(),
            ["sifive,plic-1.0.0", "riscv,plic0"]
        );
        let reg = p.reg().unwrap().next().unwrap();
        assert_eq!(reg.starting_address as u64, 0xc00_0000);
        assert_eq!(reg.size, Some(0x60_0000));
    }

    #[test]
    fn devices_on_the_soc() {
        let blob = sample();
        let fdt = fdt::Fdt::new(&blob).unwrap();
        let uart = fdt.find_node("/soc/serial@10000000").unwrap();
        assert_eq!(uart.compatible().unwrap().first(), "ns16550a");
        assert_eq!(uart.interrupts().unwrap().collect::<Vec<_>>(), [10]);
        assert_eq!(uart.interrupt_parent().unwrap().name, "plic@c000000");
        assert_eq!(
            be32s(uart.property("clock-frequency").unwrap().value),
            [0x38_4000]
        );
        let rtc = fdt.find_node("/soc/rtc@101000").unwrap();
        assert_eq!(rtc.compatible().unwrap().first(), "google,goldfish-rtc");
        assert_eq!(rtc.interrupts().unwrap().collect::<Vec<_>>(), [11]);
        let virtio: Vec<_> = fdt
            .find_node("/soc")
            .unwrap()
            .children()
            .filter(|n| n.name.starts_with("virtio_mmio@"))
            .map(|n| {
                let base = n.reg().unwrap().next().unwrap().starting_address as u64;
                (base, n.interrupts().unwrap().next().unwrap())
            })
            .collect();
        // Highest slot first, as in QEMU's tree.
        assert_eq!(virtio.len(), 8);
        assert_eq!(virtio[0], (0x1000_8000, 8));
        assert_eq!(virtio[7], (0x1000_1000, 1));
        let test = fdt.find_node("/soc/test@100000").unwrap();
        assert_eq!(
            test.compatible().unwrap().all().collect::<Vec<_>>(),
            ["sifive,test1", "sifive,test0", "syscon"]
        );
        let test_ph = test.property("phandle").unwrap().as_usize().unwrap() as u32;
        for (node, value) in [("/poweroff", 0x5555), ("/reboot", 0x7777)] {
            assert_eq!(be32s(prop(&fdt, node, "value")), [value]);
            assert_eq!(be32s(prop(&fdt, node, "regmap")), [test_ph]);
        }
        assert_eq!(
            str_list(prop(&fdt, "/poweroff", "compatible")),
            ["syscon-poweroff"]
        );
    }

    #[test]
    fn bad_configs_are_errors() {
        assert!(matches!(
            build(&FdtConfig::virt(1 << 20, 0)),
            Err(FdtError::NoHarts)
        ));
        let mut cfg = FdtConfig::virt(1 << 20, 1);
        cfg.virtio_slots = 1000;
        assert!(matches!(build(&cfg), Err(FdtError::TooManyVirtio(1000))));
        let mut cfg = FdtConfig::virt(1 << 20, 1);
        cfg.bootargs = Some("a\0b".into());
        assert!(matches!(build(&cfg), Err(FdtError::Writer(_))));
    }

    /// dtc (the reference compiler) reads the blob back without complaint, when installed.
    #[test]
    fn dtc_accepts_the_blob() {
        let Ok(out) = std::process::Command::new("dtc").arg("--version").output() else {
            eprintln!("dtc not installed; skipping");
            return;
        };
        assert!(out.status.success());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("virt.dtb");
        std::fs::write(&path, sample()).unwrap();
        if let Ok(keep) = std::env::var("RVX_DUMP_DTB") {
            std::fs::write(keep, sample()).unwrap();
        }
        let out = std::process::Command::new("dtc")
            .args(["-I", "dtb", "-O", "dts"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        // QEMU's tree draws the same "Missing #address-cells in interrupt provider" warning
        // for every riscv,cpu-intc node; anything else is a mistake of ours.
        let warnings: Vec<_> = stderr
            .lines()
            .filter(|l| !l.contains("Warning (interrupt_provider): /cpus/cpu@"))
            .collect();
        assert!(warnings.is_empty(), "dtc warnings: {warnings:?}");
        let dts = String::from_utf8_lossy(&out.stdout);
        assert!(dts.contains("riscv,isa = \"rv64imafdc_"), "{dts}");
        assert!(
            dts.contains("compatible = \"sifive,clint0\\0riscv,clint0\""),
            "{dts}"
        );
    }
}
