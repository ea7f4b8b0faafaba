//! Loading a guest image into RAM: ELF files at their physical addresses, anything else as
//! a raw binary at the start of RAM (QEMU's `-kernel` with `-bios none`).
//!
//! For booting Linux (`--kernel Image --initrd ... [--bios fw_dynamic.bin]`) the functions
//! after [`Image`] place the pieces where QEMU's `hw/riscv/boot.c` places them:
//! firmware at the start of RAM ([`load_firmware`]), the kernel at the next 2 MiB boundary
//! ([`kernel_start_addr`], [`load_kernel`]), the initrd half way into RAM or 128 MiB above
//! the kernel ([`initrd_placement`], [`load_initrd`]) and the device tree at the last 2 MiB
//! boundary that holds it ([`fdt_placement`]).
//!
//! Parsing is separate from copying so every check happens before RAM is touched, and each
//! failure names the file and the part of it at fault.

use emu_mmu::GuestRam;
use goblin::elf::{header, program_header, Elf};
use std::path::{Path, PathBuf};

/// Where a raw (non-ELF) image goes, and where the virt board's RAM starts.
pub const RAM_BASE: u64 = 0x8000_0000;

/// e_machine of RISC-V (ELF psABI).
const EM_RISCV: u16 = 243;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // `err` is deliberately not a `#[source]`: the message already carries it, and anyhow
    // would print it twice.
    #[error("cannot read {}: {err}", .path.display())]
    Read { path: PathBuf, err: std::io::Error },
    #[error("{}: truncated ELF file ({len} bytes, shorter than an ELF header)", .path.display())]
    TooShort { path: PathBuf, len: usize },
    #[error("{}: 32-bit ELF; rvx runs RV64 guests only", .path.display())]
    Elf32 { path: PathBuf },
    #[error("{}: unsupported ELF class/encoding (want 64-bit little-endian)", .path.display())]
    BadIdent { path: PathBuf },
    #[error("{}: ELF for another machine (e_machine {machine}{name}), not RISC-V (243)", .path.display())]
    WrongMachine {
        path: PathBuf,
        machine: u16,
        name: String,
    },
    #[error("{}: malformed ELF: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("{}: segment {index} (file bytes {offset:#x}..{end:#x}) extends past the end of the file ({len} bytes); is the file truncated?", .path.display())]
    SegmentPastFile {
        path: PathBuf,
        index: usize,
        offset: u64,
        end: u64,
        len: usize,
    },
    #[error("{}: segment {index} has p_filesz {filesz:#x} larger than p_memsz {memsz:#x}", .path.display())]
    FileszOverMemsz {
        path: PathBuf,
        index: usize,
        filesz: u64,
        memsz: u64,
    },
    #[error("{}: segment {index} at physical {start:#x}..{end:#x} lies outside RAM {ram_start:#x}..{ram_end:#x}", .path.display())]
    OutsideRam {
        path: PathBuf,
        index: usize,
        start: u64,
        end: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error("{}: raw image of {len} bytes does not fit in RAM {ram_start:#x}..{ram_end:#x}", .path.display())]
    RawTooLarge {
        path: PathBuf,
        len: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error("{}: {what} of {len:#x} bytes at {start:#x} does not fit in RAM {ram_start:#x}..{ram_end:#x}; give the guest more memory (-m)", .path.display())]
    NoRoom {
        path: PathBuf,
        what: &'static str,
        start: u64,
        len: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error("{}: gzip-compressed kernel; RISC-V Linux does not decompress itself: unpack it first (gunzip -c FILE > Image)", .path.display())]
    Compressed { path: PathBuf },
    #[error("{}: big-endian Linux Image (header flags {flags:#x}); rvx runs little-endian guests", .path.display())]
    BigEndianImage { path: PathBuf, flags: u64 },
    #[error("{}: ELF file has no loadable segment", .path.display())]
    NoSegments { path: PathBuf },
    #[error("device tree of {len:#x} bytes does not fit in RAM {ram_start:#x}..{ram_end:#x} above the kernel and initrd (which end at {used_end:#x}); give the guest more memory (-m)")]
    NoRoomForFdt {
        len: u64,
        used_end: u64,
        ram_start: u64,
        ram_end: u64,
    },
}

/// One piece of the image: `data` goes at `paddr`, followed by zeros up to `memsz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub paddr: u64,
    pub data: Vec<u8>,
    pub memsz: u64,
}

/// A parsed image, checked against the RAM it is going into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub path: PathBuf,
    pub entry: u64,
    pub segments: Vec<Segment>,
    /// Address of the `tohost` symbol, if the ELF defines one (HTIF goes there).
    pub tohost: Option<u64>,
    /// One past the highest byte the image occupies (start of free RAM).
    pub end: u64,
    pub is_elf: bool,
}

impl Image {
    /// Reads and checks `path` for a RAM of `[ram_base, ram_base + ram_size)`.
    pub fn open(path: &Path, ram_base: u64, ram_size: u64) -> Result<Image, LoadError> {
        let bytes = std::fs::read(path).map_err(|err| LoadError::Read {
            path: path.to_path_buf(),
            err,
        })?;
        Image::parse(path, &bytes, ram_base, ram_size)
    }

    /// Checks `bytes` (the contents of `path`) as an image for the given RAM.
    pub fn parse(
        path: &Path,
        bytes: &[u8],
        ram_base: u64,
        ram_size: u64,
    ) -> Result<Image, LoadError> {
        if bytes.starts_with(header::ELFMAG) {
            parse_elf(path, bytes, ram_base, ram_size)
        } else {
            parse_raw(path, bytes, ram_base, ram_size)
        }
    }

    /// Copies the image into RAM (zero-filling each segment's memsz beyond its filesz).
    pub fn load_into(&self, ram: &GuestRam) {
        for seg in &self.segments {
            // `parse` checked every segment against this RAM's bounds.
            let copied = ram.write_bytes(seg.paddr, &seg.data);
            debug_assert!(copied);
            let zeros = [0u8; 4096];
            let mut at = seg.paddr + seg.data.len() as u64;
            let end = seg.paddr + seg.memsz;
            while at < end {
                let n = (end - at).min(zeros.len() as u64) as usize;
                ram.write_bytes(at, &zeros[..n]);
                at += n as u64;
            }
        }
    }
}

fn parse_raw(path: &Path, bytes: &[u8], ram_base: u64, ram_size: u64) -> Result<Image, LoadError> {
    let len = bytes.len() as u64;
    if len > ram_size {
        return Err(LoadError::RawTooLarge {
            path: path.to_path_buf(),
            len,
            ram_start: ram_base,
            ram_end: ram_base + ram_size,
        });
    }
    Ok(Image {
        path: path.to_path_buf(),
        entry: ram_base,
        segments: vec![Segment {
            paddr: ram_base,
            data: bytes.to_vec(),
            memsz: len,
        }],
        tohost: None,
        end: ram_base + len,
        is_elf: false,
    })
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        header::EM_386 => "Intel 80386",
        header::EM_X86_64 => "x86-64",
        header::EM_ARM => "ARM",
        header::EM_AARCH64 => "AArch64",
        header::EM_MIPS => "MIPS",
        header::EM_PPC64 => "PowerPC64",
        _ => "",
    }
}

fn parse_elf(path: &Path, bytes: &[u8], ram_base: u64, ram_size: u64) -> Result<Image, LoadError> {
    let p = || path.to_path_buf();
    // Check the identification bytes ourselves first so the common mistakes (a 32-bit or
    // foreign-architecture file) get a precise message rather than a parser error.
    if bytes.len() < header::SIZEOF_IDENT + 4 {
        return Err(LoadError::TooShort {
            path: p(),
            len: bytes.len(),
        });
    }
    match (bytes[header::EI_CLASS], bytes[header::EI_DATA]) {
        (header::ELFCLASS64, header::ELFDATA2LSB) => {}
        (header::ELFCLASS32, _) => return Err(LoadError::Elf32 { path: p() }),
        _ => return Err(LoadError::BadIdent { path: p() }),
    }
    if bytes.len() < header::header64::SIZEOF_EHDR {
        return Err(LoadError::TooShort {
            path: p(),
            len: bytes.len(),
        });
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    if machine != EM_RISCV {
        let name = machine_name(machine);
        return Err(LoadError::WrongMachine {
            path: p(),
            machine,
            name: if name.is_empty() {
                String::new()
            } else {
                format!(", {name}")
            },
        });
    }
    let elf = Elf::parse(bytes).map_err(|e| LoadError::Malformed {
        path: p(),
        reason: e.to_string().replace('\n', " "),
    })?;

    let ram_end = ram_base + ram_size;
    let mut segments = Vec::new();
    let mut end = ram_base;
    for (index, ph) in elf.program_headers.iter().enumerate() {
        if ph.p_type != program_header::PT_LOAD || ph.p_memsz == 0 {
            continue;
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(LoadError::FileszOverMemsz {
                path: p(),
                index,
                filesz: ph.p_filesz,
                memsz: ph.p_memsz,
            });
        }
        let file_end = ph.p_offset.checked_add(ph.p_filesz);
        let data = file_end
            .and_then(|fe| bytes.get(usize::try_from(ph.p_offset).ok()?..usize::try_from(fe).ok()?))
            .ok_or(LoadError::SegmentPastFile {
                path: p(),
                index,
                offset: ph.p_offset,
                end: file_end.unwrap_or(u64::MAX),
                len: bytes.len(),
            })?;
        let seg_end = ph.p_paddr.checked_add(ph.p_memsz);
        match seg_end {
            Some(se) if ph.p_paddr >= ram_base && se <= ram_end => end = end.max(se),
            _ => {
                return Err(LoadError::OutsideRam {
                    path: p(),
                    index,
                    start: ph.p_paddr,
                    end: seg_end.unwrap_or(u64::MAX),
                    ram_start: ram_base,
                    ram_end,
                })
            }
        }
        segments.push(Segment {
            paddr: ph.p_paddr,
            data: data.to_vec(),
            memsz: ph.p_memsz,
        });
    }
    let tohost = elf
        .syms
        .iter()
        .find(|s| s.st_shndx != 0 && elf.strtab.get_at(s.st_name) == Some("tohost"))
        .map(|s| s.st_value);
    Ok(Image {
        path: p(),
        entry: elf.entry,
        segments,
        tohost,
        end,
        is_elf: true,
    })
}

/// RV64 Linux must start on a 2 MiB (PMD) boundary; QEMU rounds the end of the firmware up
/// to it (`riscv_calc_kernel_start_addr`).
pub const KERNEL_ALIGN: u64 = 2 << 20;

/// The device tree goes at a 2 MiB boundary (`riscv_compute_fdt_addr`).
pub const FDT_ALIGN: u64 = 2 << 20;

/// The initrd goes at most this far above the kernel (`riscv_load_initrd`).
pub const INITRD_MAX_OFFSET: u64 = 128 << 20;

/// How a kernel file was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelFormat {
    /// An ELF (`vmlinux`) loaded at its physical addresses.
    Elf,
    /// A RISC-V Linux `Image` (with or without the EFI stub's MZ/PE header in front).
    LinuxImage(LinuxImageHeader),
    /// Anything else: a flat binary (e.g. a bare-metal program, U-Boot's `u-boot.bin`).
    Raw,
}

/// Where a kernel landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelInfo {
    /// Where the boot hart starts it (fw_dynamic's `next_addr`, or the built-in SBI's
    /// `enter_supervisor` pc).
    pub entry: u64,
    /// One past the last byte the kernel occupies, its bss included for a Linux Image
    /// (`image_size`).
    pub end: u64,
    pub format: KernelFormat,
}

/// Firmware loaded by `--bios`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareInfo {
    /// Where the reset vector jumps (the ELF entry, or the start of RAM for a raw binary).
    pub start: u64,
    /// One past the last byte the firmware occupies.
    pub end: u64,
}

/// The 64-byte header at the start of a RISC-V Linux `Image`
/// (Documentation/arch/riscv/boot-image-header.rst).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinuxImageHeader {
    /// Image load offset from the start of RAM (0x200000 for RV64).
    pub text_offset: u64,
    /// Effective image size, bss included (0 in headers older than version 0.2).
    pub image_size: u64,
    /// Bit 0: kernel endianness (1 = big endian).
    pub flags: u64,
    /// Header version: major in the upper 16 bits, minor in the lower 16.
    pub version: u32,
}

impl LinuxImageHeader {
    /// Header size.
    pub const SIZE: usize = 64;
    /// `magic` at offset 48 (deprecated since version 0.2, still written).
    pub const MAGIC: &'static [u8; 8] = b"RISCV\0\0\0";
    /// `magic2` at offset 56.
    pub const MAGIC2: &'static [u8; 4] = b"RSC\x05";

    /// Recognises the header by either magic. `code0`/`code1` are not looked at: with the
    /// EFI stub they hold the "MZ" signature, without it a jump.
    pub fn parse(bytes: &[u8]) -> Option<LinuxImageHeader> {
        let h = bytes.get(..Self::SIZE)?;
        if &h[56..60] != Self::MAGIC2 && &h[48..56] != Self::MAGIC {
            return None;
        }
        let u64_at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap_or_default());
        Some(LinuxImageHeader {
            text_offset: u64_at(8),
            image_size: u64_at(16),
            flags: u64_at(24),
            version: u32::from_le_bytes(h[32..36].try_into().unwrap_or_default()),
        })
    }
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    Some(v.checked_add(align - 1)? & !(align - 1))
}

/// Where the kernel goes: the first 2 MiB boundary at or above the end of the firmware
/// (QEMU `riscv_calc_kernel_start_addr`), or with the built-in SBI (no firmware in RAM)
/// 2 MiB into RAM, where QEMU puts it with `-bios default` and where RV64 Linux's
/// `text_offset` asks to be.
pub fn kernel_start_addr(ram_base: u64, firmware_end: Option<u64>) -> u64 {
    let from = firmware_end.unwrap_or(ram_base + KERNEL_ALIGN);
    align_up(from, KERNEL_ALIGN).unwrap_or(!(KERNEL_ALIGN - 1))
}

/// Reads a boot file whole; the error names it.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|err| LoadError::Read {
        path: path.to_path_buf(),
        err,
    })
}

/// Checks that `[start, start + len)` lies in RAM.
fn check_room(
    path: &Path,
    what: &'static str,
    ram: &GuestRam,
    start: u64,
    len: u64,
) -> Result<(), LoadError> {
    let ram_end = ram.base() + ram.size();
    match start.checked_add(len) {
        Some(end) if start >= ram.base() && end <= ram_end => Ok(()),
        _ => Err(LoadError::NoRoom {
            path: path.to_path_buf(),
            what,
            start,
            len,
            ram_start: ram.base(),
            ram_end,
        }),
    }
}

/// Loads `--bios` firmware as QEMU's `riscv_load_firmware` does: an ELF at its physical
/// addresses, anything else (`fw_dynamic.bin`) at the start of RAM.
pub fn load_firmware(path: &Path, ram: &GuestRam) -> Result<FirmwareInfo, LoadError> {
    let image = Image::open(path, ram.base(), ram.size())?;
    image.load_into(ram);
    Ok(FirmwareInfo {
        start: image.entry,
        end: image.end,
    })
}

/// Loads the kernel (`bytes`, the contents of `path`) for a Linux-style boot.
///
/// - ELF: at its physical addresses; the entry is the lowest load address, not `e_entry`,
///   as in QEMU's `riscv_load_kernel` (so kernels with separate SBI and ELF entry points,
///   like FreeBSD's, start where firmware expects).
/// - Linux `Image` (Debian's `vmlinux-*` is one, behind an EFI MZ/PE header) and raw
///   binaries: copied to `kernel_start` (see [`kernel_start_addr`]), which is the entry.
///   For an Image the kernel's `image_size` (bss included) must fit too.
pub fn load_kernel(
    path: &Path,
    bytes: &[u8],
    ram: &GuestRam,
    kernel_start: u64,
) -> Result<KernelInfo, LoadError> {
    if bytes.starts_with(header::ELFMAG) {
        let image = Image::parse(path, bytes, ram.base(), ram.size())?;
        let entry = image
            .segments
            .iter()
            .map(|s| s.paddr)
            .min()
            .ok_or_else(|| LoadError::NoSegments {
                path: path.to_path_buf(),
            })?;
        image.load_into(ram);
        return Ok(KernelInfo {
            entry,
            end: image.end,
            format: KernelFormat::Elf,
        });
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(LoadError::Compressed {
            path: path.to_path_buf(),
        });
    }
    let len = bytes.len() as u64;
    let (format, memsz) = match LinuxImageHeader::parse(bytes) {
        Some(h) => {
            if h.flags & 1 != 0 {
                return Err(LoadError::BigEndianImage {
                    path: path.to_path_buf(),
                    flags: h.flags,
                });
            }
            (KernelFormat::LinuxImage(h), h.image_size.max(len))
        }
        None => (KernelFormat::Raw, len),
    };
    check_room(path, "kernel", ram, kernel_start, memsz)?;
    let copied = ram.write_bytes(kernel_start, bytes);
    debug_assert!(copied);
    Ok(KernelInfo {
        entry: kernel_start,
        end: kernel_start + memsz,
        format,
    })
}

/// Where an initrd of `len` bytes goes: `kernel_entry + min(ram_size / 2, 128 MiB)`
/// (QEMU `riscv_load_initrd`: far enough above the kernel that it is not overwritten,
/// low enough to stay in reach), moved up to the next page above the kernel's end if a
/// large kernel in small RAM reaches past that point. Returns `(start, end)`, or `None`
/// when it does not fit in RAM.
pub fn initrd_placement(
    ram_base: u64,
    ram_size: u64,
    kernel_entry: u64,
    kernel_end: u64,
    len: u64,
) -> Option<(u64, u64)> {
    let mut start = kernel_entry.checked_add((ram_size / 2).min(INITRD_MAX_OFFSET))?;
    if start < kernel_end {
        start = align_up(kernel_end, 0x1000)?;
    }
    let end = start.checked_add(len)?;
    (start >= ram_base && end <= ram_base.checked_add(ram_size)?).then_some((start, end))
}

/// Loads the initrd file where [`initrd_placement`] says; returns `(start, end)` for
/// `/chosen/linux,initrd-start` and `linux,initrd-end`.
pub fn load_initrd(
    path: &Path,
    ram: &GuestRam,
    kernel: &KernelInfo,
) -> Result<(u64, u64), LoadError> {
    let bytes = read_file(path)?;
    let len = bytes.len() as u64;
    let Some((start, end)) =
        initrd_placement(ram.base(), ram.size(), kernel.entry, kernel.end, len)
    else {
        let start = kernel.entry + (ram.size() / 2).min(INITRD_MAX_OFFSET);
        return Err(LoadError::NoRoom {
            path: path.to_path_buf(),
            what: "initrd",
            start: start.max(kernel.end),
            len,
            ram_start: ram.base(),
            ram_end: ram.base() + ram.size(),
        });
    };
    let copied = ram.write_bytes(start, &bytes);
    debug_assert!(copied);
    Ok((start, end))
}

/// Where a device tree of `len` bytes goes: the highest 2 MiB boundary that leaves room for
/// it below the end of RAM (QEMU 8 `riscv_compute_fdt_addr` for RV64), so the kernel and
/// initrd below cannot overwrite it. `used_end` is the end of everything else loaded
/// (kernel, initrd); the tree must sit above it.
pub fn fdt_placement(
    ram_base: u64,
    ram_size: u64,
    len: u64,
    used_end: u64,
) -> Result<u64, LoadError> {
    let ram_end = ram_base.saturating_add(ram_size);
    let err = || LoadError::NoRoomForFdt {
        len,
        used_end,
        ram_start: ram_base,
        ram_end,
    };
    let top = ram_end.checked_sub(len).ok_or_else(err)?;
    let addr = top & !(FDT_ALIGN - 1);
    if addr < ram_base || addr < used_end {
        return Err(err());
    }
    Ok(addr)
}

#[cfg(test)]
pub(crate) mod tests {
    /// Reads `path` and loads it as `super::load_kernel` does.
    fn load_kernel(path: &Path, ram: &GuestRam, start: u64) -> Result<KernelInfo, LoadError> {
        super::load_kernel(path, &read_file(path)?, ram, start)
    }

    use super::*;

    const RAM_SIZE: u64 = 0x10_0000;

    /// A minimal RV64 ELF: header, one PT_LOAD program header, then `code`.
    /// No sections (so no symbols).
    pub(crate) fn tiny_elf(paddr: u64, code: &[u8], memsz: u64) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF");
        f.extend_from_slice(&[2, 1, 1, 0]); // ELFCLASS64, little-endian, version 1, SysV
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f.extend_from_slice(&EM_RISCV.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&paddr.to_le_bytes()); // e_entry
        f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        f.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
        f.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
        f.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
        f.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
        f.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
        f.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
        assert_eq!(f.len(), 64);
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&5u32.to_le_bytes()); // R+X
        f.extend_from_slice(&120u64.to_le_bytes()); // p_offset
        f.extend_from_slice(&paddr.to_le_bytes()); // p_vaddr
        f.extend_from_slice(&paddr.to_le_bytes()); // p_paddr
        f.extend_from_slice(&(code.len() as u64).to_le_bytes());
        f.extend_from_slice(&memsz.to_le_bytes());
        f.extend_from_slice(&0x1000u64.to_le_bytes());
        assert_eq!(f.len(), 120);
        f.extend_from_slice(code);
        f
    }

    fn parse(bytes: &[u8]) -> Result<Image, LoadError> {
        Image::parse(Path::new("t.elf"), bytes, RAM_BASE, RAM_SIZE)
    }

    #[test]
    fn elf_segment_loads_with_zero_fill() {
        let elf = tiny_elf(RAM_BASE + 0x1000, &[1, 2, 3, 4], 0x10);
        let img = parse(&elf).unwrap();
        assert_eq!(img.entry, RAM_BASE + 0x1000);
        assert_eq!(img.end, RAM_BASE + 0x1010);
        assert_eq!(img.tohost, None);
        let ram = GuestRam::new(RAM_BASE, RAM_SIZE).unwrap();
        ram.write_bytes(RAM_BASE + 0x1004, &[0xff; 12]);
        img.load_into(&ram);
        assert_eq!(ram.read(RAM_BASE + 0x1000, 4), Some(0x0403_0201));
        assert_eq!(ram.read(RAM_BASE + 0x1004, 8), Some(0));
        assert_eq!(ram.read(RAM_BASE + 0x100c, 4), Some(0));
    }

    #[test]
    fn raw_image_goes_to_ram_base() {
        let img = parse(&[0x13, 0, 0, 0]).unwrap();
        assert!(!img.is_elf);
        assert_eq!(img.entry, RAM_BASE);
        assert_eq!(img.end, RAM_BASE + 4);
        let big = vec![0u8; RAM_SIZE as usize + 1];
        assert!(matches!(parse(&big), Err(LoadError::RawTooLarge { .. })));
    }

    #[test]
    fn bad_elves_are_refused_with_reasons() {
        let good = tiny_elf(RAM_BASE, &[0; 8], 8);
        assert!(matches!(
            parse(&good[..10]),
            Err(LoadError::TooShort { .. })
        ));
        assert!(matches!(
            parse(&good[..good.len() - 4]),
            Err(LoadError::SegmentPastFile { index: 0, .. })
        ));
        let mut e32 = good.clone();
        e32[4] = 1;
        assert!(matches!(parse(&e32), Err(LoadError::Elf32 { .. })));
        let mut x86 = good.clone();
        x86[18] = 62;
        let err = parse(&x86).unwrap_err();
        assert!(err.to_string().contains("x86-64"), "{err}");
        let mut bad_ph = good.clone();
        bad_ph[32..40].copy_from_slice(&0xffff_ffffu64.to_le_bytes()); // e_phoff
        assert!(matches!(parse(&bad_ph), Err(LoadError::Malformed { .. })));
        let low = tiny_elf(0x10000, &[0; 8], 8);
        let err = parse(&low).unwrap_err();
        assert!(matches!(err, LoadError::OutsideRam { start: 0x10000, .. }));
        assert!(err.to_string().contains("0x80000000..0x80100000"), "{err}");
        let over_end = tiny_elf(RAM_BASE + RAM_SIZE - 4, &[0; 8], 8);
        assert!(matches!(
            parse(&over_end),
            Err(LoadError::OutsideRam { .. })
        ));
        let wrap = tiny_elf(u64::MAX - 3, &[0; 8], 8);
        assert!(matches!(parse(&wrap), Err(LoadError::OutsideRam { .. })));
        let filesz_big = tiny_elf(RAM_BASE, &[0; 8], 4);
        assert!(matches!(
            parse(&filesz_big),
            Err(LoadError::FileszOverMemsz { .. })
        ));
    }

    /// The first 64 bytes of Debian's `vmlinux-6.12.107+deb13-riscv64` (an EFI-stub Image).
    const DEBIAN_IMAGE_HEADER: [u8; 64] = [
        0x4d, 0x5a, 0x6f, 0x10, 0x60, 0x0d, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xb0, 0xe6, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x52, 0x49, 0x53, 0x43, 0x56, 0x00, 0x00, 0x00, 0x52, 0x53, 0x43, 0x05,
        0x40, 0x00, 0x00, 0x00,
    ];

    fn linux_image(image_size: u64, body: usize) -> Vec<u8> {
        let mut f = DEBIAN_IMAGE_HEADER.to_vec();
        f[16..24].copy_from_slice(&image_size.to_le_bytes());
        f.resize(64 + body, 0xa5);
        f
    }

    fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn debian_image_header_is_recognised() {
        let h = LinuxImageHeader::parse(&DEBIAN_IMAGE_HEADER).unwrap();
        assert_eq!(h.text_offset, 0x20_0000);
        assert_eq!(h.image_size, 0x1e6_b000);
        assert_eq!(h.flags, 0);
        assert_eq!(h.version, 2);
        // Either magic alone is enough; neither, or a short file, is not an Image.
        let mut only_old = DEBIAN_IMAGE_HEADER;
        only_old[56..60].fill(0);
        assert!(LinuxImageHeader::parse(&only_old).is_some());
        let mut none = only_old;
        none[48] = b'X';
        assert!(LinuxImageHeader::parse(&none).is_none());
        assert!(LinuxImageHeader::parse(&DEBIAN_IMAGE_HEADER[..63]).is_none());
    }

    #[test]
    fn kernel_start_follows_the_firmware() {
        assert_eq!(kernel_start_addr(RAM_BASE, None), RAM_BASE + 2 * MIB);
        // fw_dynamic.bin is ~270 KiB: the kernel goes to 0x80200000, as under QEMU.
        assert_eq!(
            kernel_start_addr(RAM_BASE, Some(RAM_BASE + 0x4_2000)),
            0x8020_0000
        );
        assert_eq!(
            kernel_start_addr(RAM_BASE, Some(RAM_BASE + 2 * MIB)),
            0x8020_0000
        );
        assert_eq!(
            kernel_start_addr(RAM_BASE, Some(RAM_BASE + 2 * MIB + 1)),
            0x8040_0000
        );
        assert_eq!(
            kernel_start_addr(RAM_BASE, Some(u64::MAX)) % KERNEL_ALIGN,
            0
        );
    }

    #[test]
    fn linux_image_loads_at_kernel_start_with_its_bss() {
        let dir = tempfile::tempdir().unwrap();
        let ram = GuestRam::new(RAM_BASE, 64 * MIB).unwrap();
        let path = write_tmp(&dir, "Image", &linux_image(0x10_0000, 0x1000));
        let k = load_kernel(&path, &ram, 0x8020_0000).unwrap();
        assert_eq!(k.entry, 0x8020_0000);
        assert_eq!(k.end, 0x8030_0000);
        assert!(matches!(k.format, KernelFormat::LinuxImage(h) if h.text_offset == 0x20_0000));
        assert_eq!(ram.read(0x8020_0000, 2), Some(0x5a4d)); // "MZ"
        assert_eq!(ram.read(0x8020_0040, 1), Some(0xa5));

        // image_size (bss included) must fit, not only the file.
        let path = write_tmp(&dir, "Big", &linux_image(63 * MIB, 0x1000));
        let err = load_kernel(&path, &ram, 0x8020_0000).unwrap_err();
        assert!(
            matches!(err, LoadError::NoRoom { what: "kernel", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("Big"), "{err}");

        let mut be = linux_image(0x1000, 0);
        be[24] = 1;
        let path = write_tmp(&dir, "BE", &be);
        assert!(matches!(
            load_kernel(&path, &ram, 0x8020_0000),
            Err(LoadError::BigEndianImage { .. })
        ));
        let path = write_tmp(&dir, "Image.gz", &[0x1f, 0x8b, 8, 0]);
        let err = load_kernel(&path, &ram, 0x8020_0000).unwrap_err();
        assert!(err.to_string().contains("gunzip"), "{err}");
        let err = load_kernel(&dir.path().join("missing"), &ram, 0x8020_0000).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn elf_kernel_starts_at_its_lowest_segment_and_raw_at_kernel_start() {
        let dir = tempfile::tempdir().unwrap();
        let ram = GuestRam::new(RAM_BASE, 64 * MIB).unwrap();
        // e_entry inside the segment, past its start: QEMU (and rvx) start at the start.
        let mut elf = tiny_elf(0x8020_0000, &[0x13, 0, 0, 0, 0x13, 0, 0, 0], 0x100);
        elf[24..32].copy_from_slice(&0x8020_0004u64.to_le_bytes());
        let path = write_tmp(&dir, "vmlinux", &elf);
        let k = load_kernel(&path, &ram, 0x8040_0000).unwrap();
        assert_eq!(
            (k.entry, k.end, k.format),
            (0x8020_0000, 0x8020_0100, KernelFormat::Elf)
        );
        assert_eq!(ram.read(0x8020_0004, 4), Some(0x13));

        let path = write_tmp(&dir, "u-boot.bin", &[0x6f, 0, 0, 0]);
        let k = load_kernel(&path, &ram, 0x8020_0000).unwrap();
        assert_eq!(
            (k.entry, k.end, k.format),
            (0x8020_0000, 0x8020_0004, KernelFormat::Raw)
        );
        assert!(matches!(
            load_kernel(&path, &ram, RAM_BASE + 64 * MIB),
            Err(LoadError::NoRoom { .. })
        ));
    }

    #[test]
    fn initrd_goes_where_qemu_puts_it() {
        let k = 0x8020_0000;
        // 256 MiB or more: 128 MiB above the kernel.
        assert_eq!(
            initrd_placement(RAM_BASE, 256 * MIB, k, k + 30 * MIB, 0x1000),
            Some((0x8820_0000, 0x8820_1000))
        );
        assert_eq!(
            initrd_placement(RAM_BASE, 4096 * MIB, k, k + 30 * MIB, 0x1000),
            Some((0x8820_0000, 0x8820_1000))
        );
        // Less: half way into RAM above the kernel.
        assert_eq!(
            initrd_placement(RAM_BASE, 128 * MIB, k, k + 30 * MIB, 0x1000),
            Some((0x8420_0000, 0x8420_1000))
        );
        // A kernel reaching past that point pushes the initrd above its end.
        assert_eq!(
            initrd_placement(RAM_BASE, 64 * MIB, k, k + 40 * MIB + 1, 0x1000),
            Some((0x82a0_1000, 0x82a0_2000))
        );
        // Too big for RAM, or arithmetic that would overflow: no place.
        assert_eq!(initrd_placement(RAM_BASE, 64 * MIB, k, k, 40 * MIB), None);
        assert_eq!(
            initrd_placement(RAM_BASE, 64 * MIB, u64::MAX - 4, 0, 1),
            None
        );
    }

    #[test]
    fn initrd_loads_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let ram = GuestRam::new(RAM_BASE, 64 * MIB).unwrap();
        let kernel = KernelInfo {
            entry: 0x8020_0000,
            end: 0x8030_0000,
            format: KernelFormat::Raw,
        };
        let path = write_tmp(&dir, "initrd.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]);
        assert_eq!(
            load_initrd(&path, &ram, &kernel).unwrap(),
            (0x8220_0000, 0x8220_0007)
        );
        assert_eq!(ram.read(0x8220_0004, 2), Some(0x0201));
        let big = write_tmp(&dir, "huge.cpio", &vec![0; 40 << 20]);
        let err = load_initrd(&big, &ram, &kernel).unwrap_err();
        assert!(
            err.to_string().contains("huge.cpio") && err.to_string().contains("initrd"),
            "{err}"
        );
    }

    #[test]
    fn fdt_goes_to_the_last_2mib_boundary() {
        // QEMU: 256 MiB RAM, a 0x14ce-byte tree -> 0x8fe00000.
        assert_eq!(
            fdt_placement(RAM_BASE, 256 * MIB, 0x14ce, 0x8820_0000).unwrap(),
            0x8fe0_0000
        );
        assert_eq!(
            fdt_placement(RAM_BASE, 256 * MIB, 2 * MIB, 0).unwrap(),
            0x8fe0_0000
        );
        assert_eq!(
            fdt_placement(RAM_BASE, 256 * MIB, 2 * MIB + 1, 0).unwrap(),
            0x8fc0_0000
        );
        assert!(matches!(
            fdt_placement(RAM_BASE, 4 * MIB, 0x2000, RAM_BASE + 3 * MIB),
            Err(LoadError::NoRoomForFdt { .. })
        ));
        assert!(fdt_placement(RAM_BASE, MIB, 2 * MIB, 0).is_err());
    }

    #[test]
    fn firmware_raw_at_ram_base_elf_at_its_entry() {
        let dir = tempfile::tempdir().unwrap();
        let ram = GuestRam::new(RAM_BASE, 4 * MIB).unwrap();
        let path = write_tmp(&dir, "fw_dynamic.bin", &[0x73, 0x25, 0x40, 0xf1]);
        let fw = load_firmware(&path, &ram).unwrap();
        assert_eq!((fw.start, fw.end), (RAM_BASE, RAM_BASE + 4));
        let path = write_tmp(
            &dir,
            "fw.elf",
            &tiny_elf(RAM_BASE + 0x100, &[0; 16], 0x1000),
        );
        let fw = load_firmware(&path, &ram).unwrap();
        assert_eq!((fw.start, fw.end), (RAM_BASE + 0x100, RAM_BASE + 0x1100));
    }

    /// Debian's real kernel (see /work/shared/debian-riscv64.md for getting it):
    /// `RVX_LINUX_IMAGE=.../boot/vmlinux-6.12.107+deb13-riscv64 cargo test -- --ignored`.
    #[test]
    #[ignore = "needs a Debian riscv64 kernel named by RVX_LINUX_IMAGE"]
    fn debian_kernel_loads_as_an_image() {
        let path = PathBuf::from(std::env::var("RVX_LINUX_IMAGE").expect("RVX_LINUX_IMAGE"));
        let ram = GuestRam::new(RAM_BASE, 256 * MIB).unwrap();
        let k = load_kernel(&path, &ram, kernel_start_addr(RAM_BASE, None)).unwrap();
        let KernelFormat::LinuxImage(h) = k.format else {
            panic!("{} is not a Linux Image: {:?}", path.display(), k.format);
        };
        assert_eq!(k.entry, 0x8020_0000);
        assert_eq!(h.text_offset, 0x20_0000);
        assert_eq!(k.end, k.entry + h.image_size);
    }
}
