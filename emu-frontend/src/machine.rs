//! The virt board: RAM at 0x80000000, the devices on the bus, the harts.
//!
//! The memory map follows QEMU's `hw/riscv/virt.c` so software written for it runs
//! unchanged. HTIF is added when the program defines `tohost`, as on Spike.

use crate::cli::{Bios, SemihostingConfig, Serial};
use crate::loader::{self as boot_loader, KernelInfo};
use crate::loader::{Image, RAM_BASE};
use crate::run::HartStart;
use crate::semihosting::{Console, HeapInfo, Semihosting};
use crate::trace::TraceItems;
use anyhow::Context;
use emu_devices::clint::Clint;
use emu_devices::htif::{Htif, HtifOutput, HTIF_SIZE};
use emu_devices::irq::IrqLine;
use emu_devices::plic::Plic;
use emu_devices::power::SifiveTest;
use emu_devices::rtc::GoldfishRtc;
use emu_devices::uart::Uart16550;
use emu_devices::virtio::{self, VirtioDevice, VirtioMmio};
use emu_mmu::{Bus, Clock, GuestRam, HartSignals, MachineControl};
use std::path::PathBuf;
use std::sync::Arc;

/// QEMU virt memory map (hw/riscv/virt.c, `virt_memmap`) and interrupt numbers.
pub mod memmap {
    pub use crate::mrom::{MROM_BASE, MROM_SIZE};
    pub use emu_devices::clint::{CLINT_BASE, CLINT_SIZE};
    pub use emu_devices::plic::{PLIC_BASE, PLIC_SIZE};
    pub use emu_devices::power::{SIFIVE_TEST_BASE, SIFIVE_TEST_SIZE};
    pub use emu_devices::rtc::{RTC_BASE, RTC_IRQ, RTC_SIZE};
    pub use emu_devices::uart::{UART0_BASE, UART0_IRQ, UART0_SIZE};
    pub use emu_devices::virtio::{VIRTIO_COUNT, VIRTIO_IRQ, VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE};
    pub const DRAM_BASE: u64 = super::RAM_BASE;
}

/// A device on one of the eight virtio-mmio slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VirtioSpec {
    Block { file: PathBuf, readonly: bool },
    Rng,
}

/// Everything needed to build and start the machine, already validated by the CLI.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    pub ram_size: u64,
    pub kernel: PathBuf,
    pub semihosting: Option<SemihostingConfig>,
    pub trace: TraceItems,
    pub accel: emu_cpu::Accel,
    pub jit_cache_size: usize,
    pub jit_threshold: u32,
    pub bios: Bios,
    pub harts: usize,
    pub initrd: Option<PathBuf>,
    /// Kernel command line (`--append`).
    pub append: Option<String>,
    /// A device tree to use instead of the generated one (`--dtb`).
    pub dtb: Option<PathBuf>,
    /// Write the device tree here and stop (`--dumpdtb`).
    pub dumpdtb: Option<PathBuf>,
    /// Slot 0 (0x10001000, IRQ 1) first.
    pub virtio: Vec<VirtioSpec>,
}

/// What outlives a guest reboot: the run control (Ctrl-a x and signals reach it), the UART
/// with its host console (the input thread keeps feeding it).
pub struct Host {
    pub control: Arc<MachineControl>,
    pub uart: Arc<Uart16550>,
    console: Option<emu_devices::console::Console>,
}

impl Host {
    pub fn new(serial: &Serial) -> anyhow::Result<Host> {
        let control = Arc::new(MachineControl::default());
        let (out, input): (Box<dyn std::io::Write + Send>, bool) = match serial {
            Serial::Stdio => (Box::new(std::io::stdout()), true),
            Serial::File(path) => (
                Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("--serial file:{}", path.display()))?,
                ),
                false,
            ),
            Serial::None => (Box::new(std::io::sink()), false),
        };
        let uart = Arc::new(Uart16550::new(out));
        let console = if input {
            Some(emu_devices::console::Console::start(
                uart.clone(),
                control.clone(),
            )?)
        } else {
            None
        };
        Ok(Host {
            control,
            uart,
            console,
        })
    }

    /// Puts the terminal back (before the process exits).
    pub fn close(&mut self) {
        self.console = None;
    }
}

pub struct Machine {
    pub ram: Arc<GuestRam>,
    pub bus: Arc<Bus>,
    pub control: Arc<MachineControl>,
    pub clock: Clock,
    /// One per hart; devices that raise interrupts hold clones.
    pub harts: Vec<Arc<HartSignals>>,
    pub htif: Option<Arc<Htif>>,
    /// The `--kernel` file.
    pub kernel: PathBuf,
    pub semihosting: Option<SemihostingConfig>,
    pub trace: TraceItems,
    pub accel: emu_cpu::Accel,
    pub jit_cache_size: usize,
    pub jit_threshold: u32,
    /// How each hart starts, in hart order.
    pub starts: Vec<HartStart>,
    /// The device tree the guest was given.
    pub dtb: Vec<u8>,
    /// One past the kernel (and initrd): where free RAM starts, for the semihosting heap.
    pub kernel_end: u64,
    /// The built-in SBI when no firmware runs in M-mode.
    pub sbi: Option<crate::board_sbi::BuiltinSbi>,
    pub uart: Arc<Uart16550>,
    /// Kept for their threads (dropping a device stops its thread).
    _devices: Vec<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("bus", &self.bus)
            .field("kernel", &self.kernel)
            .finish()
    }
}

impl Machine {
    /// Checks the image, allocates RAM, loads the image and puts the devices on the bus.
    pub fn build(cfg: &MachineConfig, host: &Host) -> anyhow::Result<Machine> {
        // Read and parse first: a bad file is reported before any RAM is allocated. An ELF
        // is parsed here for its entry and `tohost`; with firmware (built-in or a file) any
        // other kernel format is only checked as it loads below, so a 30 MB Linux Image is
        // neither read twice nor copied before it reaches guest RAM.
        let kernel_bytes = boot_loader::read_file(&cfg.kernel)?;
        let image = if cfg.bios == Bios::None || kernel_bytes.starts_with(b"\x7fELF") {
            Some(Image::parse(
                &cfg.kernel,
                &kernel_bytes,
                memmap::DRAM_BASE,
                cfg.ram_size,
            )?)
        } else {
            None
        };
        // Open the disks before anything runs, so a bad --drive is one line and no guest.
        let mut virtio_devs: Vec<Box<dyn VirtioDevice>> = Vec::new();
        for spec in &cfg.virtio {
            virtio_devs.push(match spec {
                VirtioSpec::Block { file, readonly } => Box::new(
                    virtio::Block::open(file, *readonly)
                        .map_err(|e| anyhow::anyhow!("--drive file={}: {e}", file.display()))?,
                ),
                VirtioSpec::Rng => Box::new(virtio::Rng::new()),
            });
        }
        if virtio_devs.len() > memmap::VIRTIO_COUNT as usize {
            anyhow::bail!(
                "{} virtio devices given; the virt board has {} virtio-mmio slots",
                virtio_devs.len(),
                memmap::VIRTIO_COUNT
            );
        }
        let ram = Arc::new(
            GuestRam::new(memmap::DRAM_BASE, cfg.ram_size).context("cannot create guest RAM")?,
        );
        let boot = load_boot_images(cfg, image.as_ref(), &kernel_bytes, &ram)?;
        drop(kernel_bytes);

        let control = host.control.clone();
        let clock = Clock::default();
        let harts: Vec<_> = (0..cfg.harts)
            .map(|_| Arc::new(HartSignals::default()))
            .collect();
        let mut bus = Bus::new(ram.clone());
        let mut devices: Vec<Arc<dyn std::any::Any + Send + Sync>> = Vec::new();

        // HTIF overlays the `tohost`/`fromhost` cells of a bare-metal program, as on Spike.
        let htif = match image.and_then(|i| i.tohost) {
            Some(tohost) => {
                let htif = Arc::new(Htif::new(ram.clone(), control.clone(), HtifOutput::stdio()));
                bus.add_mmio("htif", tohost, HTIF_SIZE, htif.clone())
                    .with_context(|| {
                        format!(
                            "{}: cannot place HTIF at tohost = {tohost:#x}",
                            cfg.kernel.display()
                        )
                    })?;
                Some(htif)
            }
            None => None,
        };

        // The virt board's devices (memmap above). An HTIF at a program-chosen tohost may
        // collide with them; add_mmio reports that.
        let clint = Arc::new(Clint::new(clock, harts.clone()));
        bus.add_mmio("clint", memmap::CLINT_BASE, memmap::CLINT_SIZE, clint)?;
        let plic = Arc::new(Plic::new(harts.clone()));
        bus.add_mmio("plic", memmap::PLIC_BASE, memmap::PLIC_SIZE, plic.clone())?;
        let uart = host.uart.clone();
        uart.connect_irq(IrqLine::new(plic.clone(), memmap::UART0_IRQ));
        bus.add_mmio(
            "uart0",
            memmap::UART0_BASE,
            memmap::UART0_SIZE,
            uart.clone(),
        )?;
        let rtc = Arc::new(
            GoldfishRtc::new(IrqLine::new(plic.clone(), memmap::RTC_IRQ))
                .context("cannot start the RTC thread")?,
        );
        bus.add_mmio("rtc", memmap::RTC_BASE, memmap::RTC_SIZE, rtc.clone())?;
        devices.push(rtc);
        let test = Arc::new(SifiveTest::new(control.clone()));
        bus.add_mmio(
            "test",
            memmap::SIFIVE_TEST_BASE,
            memmap::SIFIVE_TEST_SIZE,
            test,
        )?;
        let mut virtio_devs = virtio_devs.into_iter();
        for slot in 0..memmap::VIRTIO_COUNT {
            let dev: Box<dyn VirtioDevice> = virtio_devs
                .next()
                .unwrap_or_else(|| Box::new(virtio::Empty));
            let mmio = Arc::new(
                VirtioMmio::new(
                    dev,
                    ram.clone(),
                    IrqLine::new(plic.clone(), memmap::VIRTIO_IRQ + slot),
                )
                .context("cannot start a virtio device thread")?,
            );
            bus.add_mmio(
                &format!("virtio{slot}"),
                memmap::VIRTIO_MMIO_BASE + slot as u64 * memmap::VIRTIO_MMIO_SIZE,
                memmap::VIRTIO_MMIO_SIZE,
                mmio.clone(),
            )?;
            devices.push(mmio);
        }

        let fdt = boot.fdt_addr;
        let (starts, sbi): (Vec<HartStart>, _) = match &cfg.bios {
            Bios::None => (
                (0..cfg.harts)
                    .map(|h| HartStart::Machine {
                        pc: boot.entry,
                        a0: h as u64,
                        a1: fdt,
                        a2: 0,
                    })
                    .collect(),
                None,
            ),
            Bios::BuiltIn => (
                (0..cfg.harts)
                    .map(|h| {
                        if h == 0 {
                            HartStart::Supervisor {
                                pc: boot.entry,
                                a1: fdt,
                            }
                        } else {
                            HartStart::Stopped
                        }
                    })
                    .collect(),
                Some(crate::board_sbi::BuiltinSbi::new(cfg.harts)),
            ),
            // Every hart runs the boot ROM, which hands the firmware a0 = hartid, a1 = the
            // device tree and a2 = fw_dynamic_info (QEMU's reset vector).
            Bios::File(_) => (
                vec![
                    HartStart::Machine {
                        pc: memmap::MROM_BASE,
                        a0: 0,
                        a1: 0,
                        a2: 0,
                    };
                    cfg.harts
                ],
                None,
            ),
        };
        if let Some(rom) = boot.rom {
            bus.add_mmio(
                "mrom",
                memmap::MROM_BASE,
                memmap::MROM_SIZE,
                Arc::new(emu_devices::rom::Rom::new(rom, memmap::MROM_SIZE as usize)),
            )?;
        }

        Ok(Machine {
            ram,
            bus: Arc::new(bus),
            control,
            clock,
            harts,
            htif,
            kernel: cfg.kernel.clone(),
            semihosting: cfg.semihosting.clone().filter(|s| s.enabled),
            trace: cfg.trace,
            accel: cfg.accel,
            jit_cache_size: cfg.jit_cache_size,
            jit_threshold: cfg.jit_threshold,
            starts,
            sbi,
            uart,
            dtb: boot.dtb,
            kernel_end: boot.kernel_end,
            _devices: devices,
        })
    }

    /// The semihosting handler, if enabled: the command line is the `arg=` values joined by
    /// spaces (QEMU), or the kernel's file name when there are none.
    pub fn semihosting_handler(&self) -> Option<Semihosting> {
        let cfg = self.semihosting.as_ref()?;
        let cmdline = if cfg.args.is_empty() {
            self.kernel.display().to_string()
        } else {
            cfg.args.join(" ")
        };
        let heap = HeapInfo::for_ram(
            self.kernel_end,
            self.ram.base(),
            self.ram.base() + self.ram.size(),
        );
        Some(Semihosting::new(cmdline, heap, Console::stdio()))
    }

    /// Runs every hart, as `starts` says, until the guest stops the machine. Returns rvx's
    /// exit status.
    pub fn run(&self) -> anyhow::Result<i32> {
        let code = crate::run::run_harts(self)?;
        if let Some(n) = self.htif.as_ref().and_then(|h| h.guest_failure()) {
            eprintln!("rvx: guest reported failure {n} via tohost");
        }
        Ok(code)
    }
}

/// What loading the boot images decided.
struct BootImages {
    /// Where the kernel starts (M-mode with `--bios none`, S-mode with the built-in SBI).
    entry: u64,
    kernel_end: u64,
    fdt_addr: u64,
    dtb: Vec<u8>,
    /// The boot ROM's contents, when firmware runs from the reset vector.
    rom: Option<Vec<u8>>,
}

/// Loads firmware, kernel, initrd and device tree as QEMU's virt board places them
/// (hw/riscv/boot.c): the kernel at the start of RAM with `--bios none`, 2 MiB in with the
/// built-in SBI, at the 2 MiB boundary after a firmware file otherwise; the initrd above it,
/// the device tree at the top of RAM.
/// `image` is the parsed kernel when it is an ELF or `--bios none` is given; `kernel` its
/// file's contents.
fn load_boot_images(
    cfg: &MachineConfig,
    image: Option<&Image>,
    kernel: &[u8],
    ram: &GuestRam,
) -> anyhow::Result<BootImages> {
    let base = ram.base();
    let firmware = match &cfg.bios {
        Bios::File(path) => Some(boot_loader::load_firmware(path, ram)?),
        _ => None,
    };
    let kernel: KernelInfo = match &cfg.bios {
        // As before: an ELF at its addresses entered at e_entry, anything else at the base.
        Bios::None => {
            let image = image.expect("parsed for --bios none");
            image.load_into(ram);
            KernelInfo {
                entry: image.entry,
                end: image.end,
                format: boot_loader::KernelFormat::Raw,
            }
        }
        Bios::BuiltIn => boot_loader::load_kernel(
            &cfg.kernel,
            kernel,
            ram,
            boot_loader::kernel_start_addr(base, None),
        )?,
        Bios::File(_) => boot_loader::load_kernel(
            &cfg.kernel,
            kernel,
            ram,
            boot_loader::kernel_start_addr(base, firmware.map(|f| f.end)),
        )?,
    };
    let initrd = match &cfg.initrd {
        Some(path) => Some(boot_loader::load_initrd(path, ram, &kernel)?),
        None => None,
    };
    let dtb = match &cfg.dtb {
        Some(path) => {
            let blob = std::fs::read(path).with_context(|| format!("--dtb {}", path.display()))?;
            check_dtb(&blob).map_err(|e| anyhow::anyhow!("--dtb {}: {e}", path.display()))?;
            blob
        }
        None => {
            let mut fc = crate::fdt::FdtConfig::virt(cfg.ram_size, cfg.harts);
            fc.bootargs = cfg.append.clone();
            fc.initrd = initrd;
            crate::fdt::build(&fc).context("cannot build the device tree")?
        }
    };
    let used_end = initrd.map_or(kernel.end, |(_, end)| end.max(kernel.end));
    let fdt_addr = boot_loader::fdt_placement(base, cfg.ram_size, dtb.len() as u64, used_end)?;
    ram.write_bytes(fdt_addr, &dtb);
    let rom = firmware.map(|f| crate::mrom::reset_rom(f.start, fdt_addr, kernel.entry));
    Ok(BootImages {
        entry: kernel.entry,
        kernel_end: used_end,
        fdt_addr,
        dtb,
        rom,
    })
}

/// A device tree blob's header must hold up before a guest is handed it (a kernel given
/// garbage hangs silently): the magic, and a total size that the file really has.
fn check_dtb(blob: &[u8]) -> Result<(), String> {
    let word = |o: usize| {
        blob.get(o..o + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if word(0) != Some(0xd00d_feed) {
        return Err("not a device tree blob (no 0xd00dfeed magic)".into());
    }
    match word(4) {
        Some(total) if (40..=blob.len() as u64).contains(&u64::from(total)) => Ok(()),
        Some(total) => Err(format!(
            "truncated: the header says {total} bytes, the file has {}",
            blob.len()
        )),
        None => Err("truncated header".into()),
    }
}
