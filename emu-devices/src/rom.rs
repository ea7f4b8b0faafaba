//! Read-only memory on the bus: the virt board's boot ROM at 0x1000 (the reset vector and
//! the fw_dynamic information QEMU puts there). Writes are ignored, as on QEMU's
//! `riscv_virt_board.mrom`.

use emu_mmu::Mmio;

#[derive(Debug)]
pub struct Rom {
    data: Vec<u8>,
}

impl Rom {
    /// A ROM holding `data`, zero-padded to `size` bytes (bytes beyond `size` are dropped).
    pub fn new(mut data: Vec<u8>, size: usize) -> Rom {
        data.resize(size, 0);
        Rom { data }
    }
}

impl Mmio for Rom {
    fn read(&self, offset: u64, size: usize) -> u64 {
        let mut v = 0u64;
        for i in (0..size.min(8)).rev() {
            let b = usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(i))
                .and_then(|a| self.data.get(a))
                .copied()
                .unwrap_or(0);
            v = v << 8 | b as u64;
        }
        v
    }

    fn write(&self, _offset: u64, _size: usize, _value: u64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_ignores_writes() {
        let rom = Rom::new(vec![1, 2, 3, 4, 5, 6, 7, 8, 9], 16);
        assert_eq!(rom.read(0, 4), 0x0403_0201);
        assert_eq!(rom.read(1, 8), 0x0908_0706_0504_0302);
        rom.write(0, 4, 0xffff_ffff);
        assert_eq!(rom.read(0, 1), 1);
        assert_eq!(rom.read(12, 8), 0);
        assert_eq!(rom.read(u64::MAX, 8), 0);
    }
}
