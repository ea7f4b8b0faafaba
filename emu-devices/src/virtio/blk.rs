//! virtio-blk (virtio spec 1.2 section 5.2), backed by a raw disk image on the host.
//!
//! One request queue. A request is a chain of: a 16-byte device-readable header
//! (`type: le32, reserved: le32, sector: le64`), data buffers (device-readable for OUT,
//! device-writable for IN and GET_ID) and a final device-writable status byte (5.2.6).
//!
//! - IN / OUT move whole 512-byte sectors with positional I/O; a request that reaches past
//!   the end of the disk, or whose length is not a whole number of sectors, fails with
//!   IOERR and touches nothing.
//! - OUT on a read-only disk fails with IOERR (VIRTIO_BLK_F_RO is offered so drivers know).
//! - FLUSH calls `sync_data` before the request completes. If the driver did not accept
//!   VIRTIO_BLK_F_FLUSH, every OUT is synced before it completes (5.2.6.2: the device is
//!   write-through then).
//! - GET_ID writes the serial, zero-padded to 20 bytes.
//! - Anything else answers UNSUPP. A chain without room for the status byte is returned with
//!   nothing written; one with a short header gets IOERR.
//!
//! The used length is the whole device-writable size, as QEMU reports it.

use super::queue::DescChain;
use super::{read_config_bytes, VirtioDevice, VIRTIO_ID_BLOCK};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

pub const SECTOR_SIZE: u64 = 512;

/// Feature bits (5.2.3).
pub const VIRTIO_BLK_F_SEG_MAX: u64 = 1 << 2;
pub const VIRTIO_BLK_F_RO: u64 = 1 << 5;
pub const VIRTIO_BLK_F_BLK_SIZE: u64 = 1 << 6;
pub const VIRTIO_BLK_F_FLUSH: u64 = 1 << 9;

/// Request types (5.2.6).
pub const VIRTIO_BLK_T_IN: u32 = 0;
pub const VIRTIO_BLK_T_OUT: u32 = 1;
pub const VIRTIO_BLK_T_FLUSH: u32 = 4;
pub const VIRTIO_BLK_T_GET_ID: u32 = 8;

/// Status values (5.2.6).
pub const VIRTIO_BLK_S_OK: u8 = 0;
pub const VIRTIO_BLK_S_IOERR: u8 = 1;
pub const VIRTIO_BLK_S_UNSUPP: u8 = 2;

/// Length of the GET_ID answer (VIRTIO_BLK_ID_BYTES).
pub const ID_BYTES: usize = 20;

/// QueueNumMax of the request queue, as QEMU's virtio-mmio offers.
const QUEUE_SIZE: u16 = 256;

/// Host I/O is done in pieces of this size, so a guest cannot make the device allocate
/// whatever its descriptors add up to.
const CHUNK: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("cannot open disk image {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("disk image {} is in use by another process (locked)", path.display())]
    Locked { path: PathBuf },
    #[error("cannot lock disk image {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the size of disk image {}: {source}", path.display())]
    Size {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A virtio-blk device on a raw image file.
pub struct Block {
    file: File,
    path: PathBuf,
    readonly: bool,
    /// Disk size in 512-byte sectors.
    capacity: u64,
    serial: [u8; ID_BYTES],
    /// The driver accepted VIRTIO_BLK_F_FLUSH, so writes may stay in the host's cache until
    /// it flushes.
    writeback: bool,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("path", &self.path)
            .field("readonly", &self.readonly)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Block {
    /// Opens the raw image at `path` (read-write unless `readonly`). A size that is not a
    /// whole number of sectors leaves the tail unused.
    pub fn open(path: impl AsRef<Path>, readonly: bool) -> Result<Block, BlockError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(!readonly)
            .open(&path)
            .map_err(|source| BlockError::Open {
                path: path.clone(),
                source,
            })?;
        // Two emulators writing one image corrupt it: hold an advisory lock (exclusive for
        // read-write, shared for read-only) as long as the device lives, as QEMU does.
        let locked = if readonly {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match locked {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(BlockError::Locked { path }),
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(BlockError::Lock { path, source })
            }
        }
        let size = file
            .metadata()
            .map_err(|source| BlockError::Size {
                path: path.clone(),
                source,
            })?
            .len();
        if !size.is_multiple_of(SECTOR_SIZE) {
            tracing::warn!(
                target: "virtio",
                "disk image {}: size {size} is not a multiple of {SECTOR_SIZE}; the last {} bytes are not visible",
                path.display(),
                size % SECTOR_SIZE
            );
        }
        Ok(Block {
            file,
            path,
            readonly,
            capacity: size / SECTOR_SIZE,
            serial: [0; ID_BYTES],
            writeback: false,
            buf: vec![0; CHUNK],
        })
    }

    /// Sets the serial that GET_ID returns (at most 20 bytes are kept; default empty).
    pub fn with_serial(mut self, serial: &str) -> Block {
        self.serial = [0; ID_BYTES];
        let n = serial.len().min(ID_BYTES);
        self.serial[..n].copy_from_slice(&serial.as_bytes()[..n]);
        self
    }

    /// Disk size in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// The byte offset of `len` bytes at `sector`, if the request is whole sectors and lies
    /// on the disk.
    fn byte_range(&self, sector: u64, len: u64) -> Option<u64> {
        let start = sector.checked_mul(SECTOR_SIZE)?;
        let end = start.checked_add(len)?;
        (len.is_multiple_of(SECTOR_SIZE) && end <= self.capacity * SECTOR_SIZE).then_some(start)
    }

    fn read_sectors(&mut self, chain: &mut DescChain<'_>, sector: u64, len: u64) -> u8 {
        let Some(start) = self.byte_range(sector, len) else {
            return VIRTIO_BLK_S_IOERR;
        };
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            if let Err(e) = self.file.read_exact_at(&mut self.buf[..n], start + done) {
                tracing::warn!(target: "virtio", "disk image {}: read: {e}", self.path.display());
                return VIRTIO_BLK_S_IOERR;
            }
            chain.write(&self.buf[..n]);
            done += n as u64;
        }
        VIRTIO_BLK_S_OK
    }

    fn write_sectors(&mut self, chain: &mut DescChain<'_>, sector: u64) -> u8 {
        let len = chain.readable_remaining();
        if self.readonly {
            return VIRTIO_BLK_S_IOERR;
        }
        let Some(start) = self.byte_range(sector, len) else {
            return VIRTIO_BLK_S_IOERR;
        };
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            chain.read(&mut self.buf[..n]);
            if let Err(e) = self.file.write_all_at(&self.buf[..n], start + done) {
                tracing::warn!(target: "virtio", "disk image {}: write: {e}", self.path.display());
                return VIRTIO_BLK_S_IOERR;
            }
            done += n as u64;
        }
        if !self.writeback {
            return self.flush();
        }
        VIRTIO_BLK_S_OK
    }

    fn flush(&mut self) -> u8 {
        if self.readonly {
            return VIRTIO_BLK_S_OK;
        }
        match self.file.sync_data() {
            Ok(()) => VIRTIO_BLK_S_OK,
            Err(e) => {
                tracing::warn!(target: "virtio", "disk image {}: flush: {e}", self.path.display());
                VIRTIO_BLK_S_IOERR
            }
        }
    }

    /// The configuration space (5.2.4) up to `blk_size`.
    fn config(&self) -> [u8; 24] {
        let mut c = [0u8; 24];
        c[0..8].copy_from_slice(&self.capacity.to_le_bytes());
        // size_max (8) stays 0: VIRTIO_BLK_F_SIZE_MAX is not offered.
        // seg_max: a request uses two descriptors besides its data (QEMU: queue size - 2).
        c[12..16].copy_from_slice(&(u32::from(QUEUE_SIZE) - 2).to_le_bytes());
        c[20..24].copy_from_slice(&(SECTOR_SIZE as u32).to_le_bytes());
        c
    }
}

impl VirtioDevice for Block {
    fn device_id(&self) -> u32 {
        VIRTIO_ID_BLOCK
    }

    fn features(&self) -> u64 {
        let ro = if self.readonly { VIRTIO_BLK_F_RO } else { 0 };
        VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | ro
    }

    fn ack_features(&mut self, features: u64) {
        self.writeback = features & VIRTIO_BLK_F_FLUSH != 0;
    }

    fn num_queues(&self) -> u16 {
        1
    }

    fn queue_max_size(&self) -> u16 {
        QUEUE_SIZE
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        read_config_bytes(&self.config(), offset, data);
    }

    fn reset(&mut self) {
        self.writeback = false;
    }

    fn process(&mut self, _queue: u16, chain: &mut DescChain<'_>) -> u32 {
        let writable = chain.writable_len();
        let Some(status_at) = writable.checked_sub(1) else {
            tracing::warn!(target: "virtio", "virtio-blk: request {} has no status byte", chain.head);
            return 0;
        };
        let mut header = [0u8; 16];
        let status = if chain.read(&mut header) < header.len() {
            VIRTIO_BLK_S_IOERR
        } else {
            let kind = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let mut sector = [0u8; 8];
            sector.copy_from_slice(&header[8..16]);
            let sector = u64::from_le_bytes(sector);
            match kind {
                VIRTIO_BLK_T_IN => self.read_sectors(chain, sector, status_at),
                VIRTIO_BLK_T_OUT => self.write_sectors(chain, sector),
                VIRTIO_BLK_T_FLUSH => self.flush(),
                VIRTIO_BLK_T_GET_ID => {
                    let n = (status_at as usize).min(ID_BYTES);
                    chain.write(&self.serial[..n]);
                    VIRTIO_BLK_S_OK
                }
                _ => VIRTIO_BLK_S_UNSUPP,
            }
        };
        chain.seek_write(status_at);
        chain.write(&[status]);
        u32::try_from(writable).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::queue::{VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};
    use crate::virtio::testing::{Driver, RAM_BASE};
    use emu_mmu::Mmio;
    use std::io::Write;

    const HDR: u64 = RAM_BASE + 0x10000;
    const DATA: u64 = RAM_BASE + 0x20000;
    const STATUS: u64 = RAM_BASE + 0x30000;

    /// A 64-sector image whose sector `s` is filled with byte `s`.
    fn image() -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for s in 0..64u8 {
            f.write_all(&[s; 512]).unwrap();
        }
        f.flush().unwrap();
        f
    }

    fn driver(path: &Path, readonly: bool) -> Driver {
        let mut d = Driver::new(Box::new(
            Block::open(path, readonly)
                .unwrap()
                .with_serial("rvx-disk-0"),
        ));
        d.init(16);
        d
    }

    fn header(d: &Driver, kind: u32, sector: u64) {
        assert!(d.ram.write(HDR, 4, kind.into()));
        assert!(d.ram.write(HDR + 4, 4, 0));
        assert!(d.ram.write(HDR + 8, 8, sector));
        assert!(d.ram.write(STATUS, 1, 0xff));
    }

    fn status(d: &Driver) -> u8 {
        d.ram.read(STATUS, 1).unwrap() as u8
    }

    /// IN of `len` bytes at `sector`; returns the status.
    fn read(d: &mut Driver, sector: u64, len: u32) -> u8 {
        header(d, VIRTIO_BLK_T_IN, sector);
        d.submit(&[(HDR, 16, false), (DATA, len, true), (STATUS, 1, true)]);
        let (_, used) = d.wait_used();
        assert_eq!(used, len + 1);
        status(d)
    }

    fn write(d: &mut Driver, sector: u64, data: &[u8]) -> u8 {
        header(d, VIRTIO_BLK_T_OUT, sector);
        assert!(d.ram.write_bytes(DATA, data));
        d.submit(&[
            (HDR, 16, false),
            (DATA, data.len() as u32, false),
            (STATUS, 1, true),
        ]);
        d.wait_used();
        status(d)
    }

    #[test]
    fn config_space() {
        let img = image();
        let d = driver(img.path(), false);
        assert_eq!(d.dev.read(0x100, 8), 64);
        assert_eq!(d.dev.read(0x100, 4), 64);
        assert_eq!(d.dev.read(0x104, 4), 0);
        assert_eq!(d.dev.read(0x10c, 4), 254);
        assert_eq!(d.dev.read(0x114, 4), 512);
        assert_eq!(d.reg(0x008), 2);
        d.set_reg(0x014, 0);
        let f = d.reg(0x010);
        assert_ne!(f & (1 << 9), 0, "FLUSH");
        assert_eq!(f & (1 << 5), 0, "not RO");
    }

    #[test]
    fn read_sectors() {
        let img = image();
        let mut d = driver(img.path(), false);
        assert_eq!(read(&mut d, 3, 1024), VIRTIO_BLK_S_OK);
        let mut out = vec![0u8; 1024];
        d.ram.read_bytes(DATA, &mut out);
        assert!(out[..512].iter().all(|&b| b == 3));
        assert!(out[512..].iter().all(|&b| b == 4));
        // The last sector is readable; one past it is not, and the next request still works.
        assert_eq!(read(&mut d, 63, 512), VIRTIO_BLK_S_OK);
        assert_eq!(read(&mut d, 63, 1024), VIRTIO_BLK_S_IOERR);
        assert_eq!(read(&mut d, u64::MAX / 256, 512), VIRTIO_BLK_S_IOERR);
        assert_eq!(
            read(&mut d, 10, 100),
            VIRTIO_BLK_S_IOERR,
            "not whole sectors"
        );
        assert_eq!(read(&mut d, 5, 512), VIRTIO_BLK_S_OK);
        d.ram.read_bytes(DATA, &mut out[..512]);
        assert!(out[..512].iter().all(|&b| b == 5));
    }

    #[test]
    fn write_then_flush_reaches_the_file() {
        let img = image();
        let mut d = driver(img.path(), false);
        let data: Vec<u8> = (0..1024u32).map(|i| (i * 7) as u8).collect();
        assert_eq!(write(&mut d, 10, &data), VIRTIO_BLK_S_OK);
        header(&d, VIRTIO_BLK_T_FLUSH, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true)]);
        d.wait_used();
        assert_eq!(status(&d), VIRTIO_BLK_S_OK);
        let on_disk = std::fs::read(img.path()).unwrap();
        assert_eq!(&on_disk[10 * 512..12 * 512], &data[..]);
        assert!(on_disk[12 * 512..13 * 512].iter().all(|&b| b == 12));
        // Past the end: refused, file unchanged.
        assert_eq!(write(&mut d, 63, &data), VIRTIO_BLK_S_IOERR);
        assert_eq!(std::fs::read(img.path()).unwrap(), on_disk);
        // And it reads back through the device.
        assert_eq!(read(&mut d, 10, 1024), VIRTIO_BLK_S_OK);
        let mut out = vec![0u8; 1024];
        d.ram.read_bytes(DATA, &mut out);
        assert_eq!(out, data);
    }

    #[test]
    fn read_only_disk_refuses_writes() {
        let img = image();
        let mut d = driver(img.path(), true);
        d.set_reg(0x014, 0);
        assert_ne!(d.reg(0x010) & (1 << 5), 0, "RO offered");
        let before = std::fs::read(img.path()).unwrap();
        assert_eq!(write(&mut d, 0, &[0xaa; 512]), VIRTIO_BLK_S_IOERR);
        assert_eq!(std::fs::read(img.path()).unwrap(), before);
        assert_eq!(read(&mut d, 1, 512), VIRTIO_BLK_S_OK);
    }

    #[test]
    fn get_id_and_unsupported() {
        let img = image();
        let mut d = driver(img.path(), false);
        header(&d, VIRTIO_BLK_T_GET_ID, 0);
        assert!(d.ram.write_bytes(DATA, &[0xff; 20]));
        d.submit(&[(HDR, 16, false), (DATA, 20, true), (STATUS, 1, true)]);
        d.wait_used();
        assert_eq!(status(&d), VIRTIO_BLK_S_OK);
        let mut id = [0u8; 20];
        d.ram.read_bytes(DATA, &mut id);
        assert_eq!(&id[..10], b"rvx-disk-0");
        assert!(id[10..].iter().all(|&b| b == 0));
        header(&d, 0x1234, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true)]);
        d.wait_used();
        assert_eq!(status(&d), VIRTIO_BLK_S_UNSUPP);
    }

    #[test]
    fn malformed_requests_fail_alone() {
        let img = image();
        let mut d = driver(img.path(), false);
        // Header too short.
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.submit(&[(HDR, 8, false), (STATUS, 1, true)]);
        d.wait_used();
        assert_eq!(status(&d), VIRTIO_BLK_S_IOERR);
        // No writable byte at all: returned with length 0, nothing written.
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.submit(&[(HDR, 16, false), (DATA, 512, false)]);
        assert_eq!(d.wait_used().1, 0);
        assert_eq!(status(&d), 0xff);
        // Readable after writable: dropped by the queue.
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.submit(&[(HDR, 16, false), (STATUS, 1, true), (DATA, 512, false)]);
        assert_eq!(d.wait_used().1, 0);
        assert_eq!(status(&d), 0xff);
        // A data buffer outside guest RAM: dropped, RAM beyond untouched.
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.submit(&[
            (HDR, 16, false),
            (RAM_BASE + 0xff000, 0x2000, true),
            (STATUS, 1, true),
        ]);
        assert_eq!(d.wait_used().1, 0);
        assert_eq!(status(&d), 0xff);
        assert_eq!(read(&mut d, 2, 512), VIRTIO_BLK_S_OK);
    }

    #[test]
    fn indirect_request() {
        let img = image();
        let mut d = driver(img.path(), false);
        header(&d, VIRTIO_BLK_T_IN, 7);
        let table = RAM_BASE + 0x40000;
        let set = |i: u64, addr: u64, len: u32, flags: u16, next: u16| {
            assert!(d.ram.write(table + 16 * i, 8, addr));
            assert!(d.ram.write(table + 16 * i + 8, 4, len.into()));
            assert!(d.ram.write(table + 16 * i + 12, 2, flags.into()));
            assert!(d.ram.write(table + 16 * i + 14, 2, next.into()));
        };
        set(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        set(1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
        set(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
        d.set_desc(0, table, 48, VIRTQ_DESC_F_INDIRECT, 0);
        d.publish(0, 1);
        assert_eq!(d.wait_used(), (0, 513));
        assert_eq!(status(&d), VIRTIO_BLK_S_OK);
        let mut out = [0u8; 512];
        d.ram.read_bytes(DATA, &mut out);
        assert!(out.iter().all(|&b| b == 7));
    }

    #[test]
    fn descriptor_loop_leaves_this_and_other_devices_working() {
        let img = image();
        let img2 = image();
        let mut d = driver(img.path(), false);
        let mut other = driver(img2.path(), false);
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        d.set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
        d.publish(0, 1);
        assert_eq!(d.wait_used(), (0, 0));
        assert_eq!(status(&d), 0xff);
        assert_eq!(read(&mut d, 1, 512), VIRTIO_BLK_S_OK);
        assert_eq!(read(&mut other, 1, 512), VIRTIO_BLK_S_OK);
    }

    #[test]
    fn avail_index_far_ahead_needs_reset_then_recovers() {
        let img = image();
        let img2 = image();
        let mut d = driver(img.path(), false);
        let mut other = driver(img2.path(), false);
        header(&d, VIRTIO_BLK_T_IN, 0);
        d.set_desc(0, HDR, 16, 0, 0);
        d.publish(0, 1000);
        d.wait_needs_reset();
        assert_eq!(d.used_idx(), 0, "nothing consumed");
        assert_ne!(d.reg(0x060) & 2, 0, "configuration change interrupt");
        assert!(d.irq_level());
        // Further notifies are ignored until reset.
        d.set_reg(0x050, 0);
        assert_eq!(read(&mut other, 4, 512), VIRTIO_BLK_S_OK);
        d.init(16);
        assert!(!d.irq_level());
        assert_eq!(read(&mut d, 4, 512), VIRTIO_BLK_S_OK);
    }

    /// Both devices still answer a read correctly.
    fn both_work(a: &mut Driver, b: &mut Driver) {
        for d in [a, b] {
            assert_eq!(read(d, 9, 512), VIRTIO_BLK_S_OK);
            let mut out = [0u8; 512];
            d.ram.read_bytes(DATA, &mut out);
            assert!(out.iter().all(|&x| x == 9));
        }
    }

    #[test]
    fn malicious_driver_leaves_both_devices_working() {
        let (img, img2) = (image(), image());
        let mut a = driver(img.path(), false);
        let mut b = driver(img2.path(), false);
        both_work(&mut a, &mut b);

        // A descriptor loop: the chain comes back with length 0.
        header(&a, VIRTIO_BLK_T_IN, 0);
        a.set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        a.set_desc(1, DATA, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
        a.publish(0, a_idx(&a) + 1);
        assert_eq!(a.wait_used(), (0, 0));
        both_work(&mut a, &mut b);

        // Buffers outside guest RAM, including one whose end overflows.
        for (addr, len) in [
            (RAM_BASE + 0xffe00, 0x400),
            (u64::MAX - 0x100, 0x200),
            (0, 512),
        ] {
            header(&a, VIRTIO_BLK_T_IN, 0);
            a.submit(&[(HDR, 16, false), (addr, len, true), (STATUS, 1, true)]);
            assert_eq!(a.wait_used().1, 0);
            assert_eq!(status(&a), 0xff);
            both_work(&mut a, &mut b);
        }

        // A queue size that is not a power of two: refused, the device needs a reset.
        a.init_raw(12);
        assert_eq!(a.reg(0x044), 0);
        assert_ne!(a.reg(0x070) & 0x40, 0);
        a.init(16);
        both_work(&mut a, &mut b);

        // An available index far ahead.
        a.publish(0, 5000);
        a.wait_needs_reset();
        b.init(16);
        assert_eq!(read(&mut b, 1, 512), VIRTIO_BLK_S_OK);
        a.init(16);
        both_work(&mut a, &mut b);
    }

    fn a_idx(d: &Driver) -> u16 {
        d.ram.read(d.avail + 2, 2).unwrap() as u16
    }

    #[test]
    fn buffers_made_available_before_driver_ok_are_served_at_driver_ok() {
        let img = image();
        let mut d = driver(img.path(), false);
        d.setup(16);
        assert_eq!(d.reg(0x044), 1);
        header(&d, VIRTIO_BLK_T_IN, 6);
        d.submit(&[(HDR, 16, false), (DATA, 512, true), (STATUS, 1, true)]);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(d.used_idx(), 0, "not before DRIVER_OK");
        d.set_reg(0x070, 1 | 2 | 8 | 4);
        d.wait_used();
        assert_eq!(status(&d), VIRTIO_BLK_S_OK);
    }

    #[test]
    fn open_errors_name_the_file() {
        let err = Block::open("/nonexistent/disk.img", false).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/disk.img"), "{err}");
    }

    #[test]
    fn image_in_use_is_refused() {
        let img = image();
        let first = Block::open(img.path(), false).unwrap();
        let err = Block::open(img.path(), false).unwrap_err();
        assert!(matches!(err, BlockError::Locked { .. }), "{err}");
        assert!(Block::open(img.path(), true).is_err());
        drop(first);
        let a = Block::open(img.path(), true).unwrap();
        let b = Block::open(img.path(), true).unwrap();
        assert_eq!(a.capacity() + b.capacity(), 128);
    }
}
