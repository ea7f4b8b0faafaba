//! The virt board's boot ROM ("mrom" at 0x1000): the reset vector every hart starts at,
//! and the `fw_dynamic_info` block it hands to OpenSBI's `fw_dynamic` firmware.
//!
//! Built word for word as QEMU's `riscv_setup_rom_reset_vec` and
//! `riscv_rom_copy_firmware_info` (hw/riscv/boot.c) build it, so firmware that inspects
//! `a2` or the ROM finds what it finds under QEMU:
//!
//! ```text
//! 0x1000: auipc t0, 0           t0 = 0x1000
//! 0x1004: addi  a2, t0, 40      a2 = &fw_dynamic_info (0x1028)
//! 0x1008: csrr  a0, mhartid
//! 0x100c: ld    a1, 32(t0)      a1 = device tree address
//! 0x1010: ld    t0, 24(t0)      t0 = firmware (or kernel) start
//! 0x1014: jr    t0
//! 0x1018: .dword start
//! 0x1020: .dword fdt
//! 0x1028: fw_dynamic_info { magic, version, next_addr, next_mode, options, boot_hart }
//! ```

/// Where the ROM is on the bus, and its size (`virt_memmap[VIRT_MROM]`).
pub const MROM_BASE: u64 = 0x1000;
pub const MROM_SIZE: u64 = 0xf000;

/// OpenSBI's `struct fw_dynamic_info` (include/sbi/fw_dynamic.h): "OSBI" in ASCII.
pub const FW_DYNAMIC_INFO_MAGIC: u64 = 0x4942_534f;
/// Version 2 adds `boot_hart`.
pub const FW_DYNAMIC_INFO_VERSION: u64 = 2;
/// `next_mode`: the next stage (the kernel) runs in S-mode.
pub const FW_DYNAMIC_INFO_NEXT_MODE_S: u64 = 1;

/// Offset of `fw_dynamic_info` in the ROM (right after the reset vector's ten words).
pub const FW_DYNAMIC_INFO_OFFSET: u64 = 40;

/// The ROM's contents (88 bytes; the rest of the ROM reads as zero).
///
/// `start` is where the reset vector jumps (the firmware's start, or the kernel's entry
/// when there is no firmware); `fdt` is the device tree's address, passed in a1;
/// `kernel_entry` is `fw_dynamic_info.next_addr`, where the firmware goes next in S-mode.
/// `boot_hart` is 0, as QEMU writes it.
pub fn reset_rom(start: u64, fdt: u64, kernel_entry: u64) -> Vec<u8> {
    let code: [u32; 6] = [
        0x0000_0297, // auipc t0, 0
        0x0282_8613, // addi  a2, t0, 40
        0xf140_2573, // csrr  a0, mhartid
        0x0202_b583, // ld    a1, 32(t0)
        0x0182_b283, // ld    t0, 24(t0)
        0x0002_8067, // jr    t0
    ];
    let info: [u64; 6] = [
        FW_DYNAMIC_INFO_MAGIC,
        FW_DYNAMIC_INFO_VERSION,
        kernel_entry,
        FW_DYNAMIC_INFO_NEXT_MODE_S,
        0, // options
        0, // boot_hart
    ];
    let mut rom = Vec::with_capacity(88);
    for w in code {
        rom.extend_from_slice(&w.to_le_bytes());
    }
    rom.extend_from_slice(&start.to_le_bytes());
    rom.extend_from_slice(&fdt.to_le_bytes());
    debug_assert_eq!(rom.len() as u64, FW_DYNAMIC_INFO_OFFSET);
    for v in info {
        rom.extend_from_slice(&v.to_le_bytes());
    }
    rom
}

#[cfg(test)]
mod tests {
    use super::*;
    use emu_cpu::decode::{decode, disasm};

    fn u64_at(rom: &[u8], off: usize) -> u64 {
        u64::from_le_bytes(rom[off..off + 8].try_into().unwrap())
    }

    #[test]
    fn reset_vector_code_reads_the_right_slots() {
        let rom = reset_rom(0x8000_0000, 0x8fe0_0000, 0x8020_0000);
        assert_eq!(rom.len(), 88);
        let text: Vec<String> = rom[..24]
            .chunks_exact(4)
            .enumerate()
            .map(|(i, w)| {
                let pc = MROM_BASE + 4 * i as u64;
                disasm(&decode(u32::from_le_bytes(w.try_into().unwrap())), pc)
            })
            .collect();
        assert_eq!(
            text,
            [
                "auipc t0,0x0",
                "addi a2,t0,40",
                "csrrs a0,mhartid,zero",
                "ld a1,32(t0)",
                "ld t0,24(t0)",
                "jalr zero,0(t0)",
            ]
        );
        // t0 = MROM_BASE: the loads hit the start and fdt slots, a2 the info block.
        assert_eq!(u64_at(&rom, 24), 0x8000_0000);
        assert_eq!(u64_at(&rom, 32), 0x8fe0_0000);
    }

    #[test]
    fn fw_dynamic_info_follows() {
        let rom = reset_rom(0x8000_0000, 0x8fe0_0000, 0x8020_0000);
        let info: Vec<u64> = (0..6).map(|i| u64_at(&rom, 40 + 8 * i)).collect();
        assert_eq!(info, [0x4942_534f, 2, 0x8020_0000, 1, 0, 0]);
        assert!(rom.len() as u64 <= MROM_SIZE);
    }
}
