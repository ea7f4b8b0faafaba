//! Virtio devices behind the virtio-mmio transport (virtio spec 1.2).
//!
//! - [`mmio`]: the virtio-mmio transport, version 2 (4.2.2), and the worker thread that
//!   services a device's queues;
//! - [`queue`]: split virtqueues (2.7), with every guest-controlled index and address checked;
//! - [`blk`]: virtio-blk (5.2), backed by a raw image file;
//! - [`rng`]: virtio-rng, the entropy device (5.4).
//!
//! A device implements [`VirtioDevice`]; the transport owns the device, answers register
//! accesses on the hart's thread and hands descriptor chains to the device on its own thread.
//!
//! Every byte a virtio device writes into guest RAM goes through [`dma_write`].

pub mod blk;
pub mod mmio;
pub mod queue;
pub mod rng;

pub use blk::{Block, BlockError};
pub use mmio::{VirtioError, VirtioMmio};
pub use queue::DescChain;
pub use rng::Rng;

use emu_mmu::GuestRam;

/// Where QEMU's `virt` board puts its eight virtio-mmio transports: at
/// `VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE`, interrupt `VIRTIO_IRQ + i`, for `i` in
/// `0..VIRTIO_COUNT` (hw/riscv/virt.c).
pub const VIRTIO_MMIO_BASE: u64 = 0x1000_1000;
pub const VIRTIO_MMIO_SIZE: u64 = 0x1000;
pub const VIRTIO_COUNT: u32 = 8;
pub const VIRTIO_IRQ: u32 = 1;

/// Device IDs (5).
pub const VIRTIO_ID_BLOCK: u32 = 2;
pub const VIRTIO_ID_RNG: u32 = 4;

/// Reserved feature bits the transport itself offers (6).
pub const VIRTIO_F_INDIRECT_DESC: u64 = 1 << 28;
pub const VIRTIO_F_VERSION_1: u64 = 1 << 32;

/// A virtio device: what the transport needs to present it and to hand it work.
///
/// The transport keeps the device behind a lock that its worker thread holds while calling
/// [`VirtioDevice::process`], so configuration-space accesses from a hart wait for the
/// request in progress (a driver reads the configuration rarely: at probe and after a
/// configuration-change interrupt).
pub trait VirtioDevice: Send {
    /// The device ID (5), e.g. [`VIRTIO_ID_BLOCK`].
    fn device_id(&self) -> u32;

    /// Device-specific feature bits (0..=23 and any others the device implements).
    /// The transport adds [`VIRTIO_F_VERSION_1`] and [`VIRTIO_F_INDIRECT_DESC`].
    fn features(&self) -> u64;

    /// The feature bits the driver accepted, when it sets FEATURES_OK (3.1.1).
    fn ack_features(&mut self, _features: u64) {}

    /// The number of virtqueues.
    fn num_queues(&self) -> u16;

    /// The largest queue size the driver may choose (QueueNumMax); a power of two.
    fn queue_max_size(&self) -> u16 {
        256
    }

    /// Reads device configuration space at `offset` into `data` (bytes past its end read 0).
    fn read_config(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }

    /// Writes device configuration space; ignored by default.
    fn write_config(&mut self, _offset: u64, _data: &[u8]) {}

    /// The driver reset the device (status 0): forget negotiated state.
    fn reset(&mut self) {}

    /// Handles one descriptor chain from queue `queue` and returns the number of bytes it
    /// wrote to the chain's device-writable buffers (the used ring's `len`). Runs on the
    /// device's worker thread; anything it finishes (data written, a flush) must be done
    /// before it returns, since the chain goes back to the driver right after.
    fn process(&mut self, queue: u16, chain: &mut DescChain<'_>) -> u32;
}

/// An empty transport slot (device ID 0). QEMU's `virt` board always has its eight
/// virtio-mmio transports, occupied or not; a driver ignores a device with ID 0 (4.2.3.1.1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl VirtioDevice for Empty {
    fn device_id(&self) -> u32 {
        0
    }

    fn features(&self) -> u64 {
        0
    }

    fn num_queues(&self) -> u16 {
        0
    }

    fn queue_max_size(&self) -> u16 {
        0
    }

    fn process(&mut self, _queue: u16, _chain: &mut DescChain<'_>) -> u32 {
        0
    }
}

/// The one function through which virtio devices write guest RAM ("DMA"): buffer contents
/// and the used ring alike. Returns false (writing nothing) outside RAM.
///
/// An aligned write of 2, 4 or 8 bytes is a single store of that width, so a driver polling
/// the used index never sees it half-written. The integrator hooks invalidation of translated
/// code for the written range here.
pub fn dma_write(ram: &GuestRam, paddr: u64, data: &[u8]) -> bool {
    match *data {
        [a, b] if paddr.is_multiple_of(2) => ram.write(paddr, 2, u16::from_le_bytes([a, b]).into()),
        [a, b, c, d] if paddr.is_multiple_of(4) => {
            ram.write(paddr, 4, u32::from_le_bytes([a, b, c, d]).into())
        }
        _ if data.len() == 8 && paddr.is_multiple_of(8) => {
            let mut v = [0u8; 8];
            v.copy_from_slice(data);
            ram.write(paddr, 8, u64::from_le_bytes(v))
        }
        _ => ram.write_bytes(paddr, data),
    }
}

/// Reads `data.len()` (at most 8) little-endian bytes of `bytes` starting at `offset`,
/// zero where `bytes` ends: how a device serves a configuration-space read from a byte image.
pub fn read_config_bytes(bytes: &[u8], offset: u64, data: &mut [u8]) {
    for (i, d) in data.iter_mut().enumerate() {
        *d = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(i))
            .and_then(|o| bytes.get(o))
            .copied()
            .unwrap_or(0);
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dma_write_widths() {
        let ram = GuestRam::new(0x8000_0000, 0x1000).unwrap();
        assert!(dma_write(&ram, 0x8000_0002, &[1, 2]));
        assert_eq!(ram.read(0x8000_0002, 2), Some(0x0201));
        assert!(dma_write(&ram, 0x8000_0008, &7u64.to_le_bytes()));
        assert_eq!(ram.read(0x8000_0008, 8), Some(7));
        assert!(dma_write(&ram, 0x8000_0011, b"xyz"));
        assert_eq!(ram.read(0x8000_0011, 1), Some(u64::from(b'x')));
        assert!(!dma_write(&ram, 0x8000_0fff, &[1, 2]));
        assert!(!dma_write(&ram, u64::MAX, &[1]));
    }

    #[test]
    fn config_bytes_past_the_end_read_zero() {
        let mut d = [0xffu8; 4];
        read_config_bytes(&[1, 2, 3], 1, &mut d);
        assert_eq!(d, [2, 3, 0, 0]);
        read_config_bytes(&[1, 2, 3], u64::MAX, &mut d);
        assert_eq!(d, [0; 4]);
    }
}
