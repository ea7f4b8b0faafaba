//! Loading a guest image into RAM: ELF files at their physical addresses, anything else as
//! a raw binary at the start of RAM (QEMU's `-kernel` with `-bios none`).
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

#[cfg(test)]
pub(crate) mod tests {
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
}
