//! Split virtqueues (virtio spec 1.2 section 2.7), read and written in guest RAM.
//!
//! Written here rather than taken from rust-vmm's `virtio-queue` crate: that crate reaches
//! guest memory only through vm-memory's `GuestMemory` trait, whose regions hand out raw
//! volatile slices. Guest RAM in rvx is accessed only through atomics (see `emu_mmu::ram`), so
//! adapting it would mean a second, unsafe view of the mapping plus vm-memory and its
//! dependencies, for the few hundred lines a split ring needs.
//!
//! Every value read from the rings is guest-controlled, so the walk enforces:
//! - the queue size is a power of two no larger than the transport's maximum (checked when the
//!   driver sets QueueReady, see [`QueueConfig::validate`]);
//! - the available index is never more than the queue size ahead of the last one the device
//!   consumed ([`QueueError::AvailIdxAhead`]; the queue is then broken until reset);
//! - a head index is below the queue size ([`QueueError::HeadOutOfRange`], likewise fatal);
//! - a chain holds at most queue-size descriptors (an indirect table at most its own length),
//!   so a `next` loop ends as [`ChainError::TooLong`];
//! - every buffer lies inside guest RAM (overflow-safe), as does every ring and table;
//! - device-writable descriptors come after all device-readable ones (2.7.4.2);
//! - an indirect descriptor is the only descriptor of its chain, its table is a whole number
//!   of descriptors and has no indirect entries itself (2.7.5.3.1).
//!
//! A [`ChainError`] costs the driver that request only (the chain is returned with length 0),
//! while a [`QueueError`] means the rings themselves cannot be trusted.

use super::dma_write;
use emu_mmu::GuestRam;
use std::sync::atomic::{fence, Ordering};

/// Descriptor flags (2.7.5).
pub const VIRTQ_DESC_F_NEXT: u16 = 1;
pub const VIRTQ_DESC_F_WRITE: u16 = 2;
pub const VIRTQ_DESC_F_INDIRECT: u16 = 4;
/// Available ring flag: the driver does not want a used-buffer notification (2.7.7).
pub const VIRTQ_AVAIL_F_NO_INTERRUPT: u16 = 1;

/// The size of one descriptor in the table (2.7.5).
const DESC_SIZE: u64 = 16;
/// The most entries an indirect table may have; QEMU's VIRTQUEUE_MAX_SIZE.
pub const MAX_INDIRECT: u64 = 1024;

/// The largest queue size a split virtqueue may have (2.6).
pub const MAX_QUEUE_SIZE: u16 = 32768;

/// Where a queue lives and how big it is, as the driver set it through the transport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueConfig {
    /// Queue size (QueueNum).
    pub size: u16,
    /// Descriptor table.
    pub desc: u64,
    /// Driver area (the available ring).
    pub driver: u64,
    /// Device area (the used ring).
    pub device: u64,
}

/// Why a queue configuration was refused at QueueReady.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("queue size {size} is not a power of two in 1..={max}")]
    BadSize { size: u16, max: u16 },
    #[error("queue area at {0:#x} is misaligned")]
    Misaligned(u64),
    #[error("queue area at {addr:#x}+{len:#x} is outside guest RAM")]
    OutsideRam { addr: u64, len: u64 },
}

/// The rings can no longer be trusted; the device needs a reset (2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("available index {avail} is more than the queue size {size} ahead of {next}")]
    AvailIdxAhead { avail: u16, next: u16, size: u16 },
    #[error("available ring names head descriptor {head}, queue size is {size}")]
    HeadOutOfRange { head: u16, size: u16 },
    #[error("ring at {0:#x} is outside guest RAM")]
    RingOutsideRam(u64),
}

/// One malformed descriptor chain; the device drops just this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("descriptor chain is longer than {0} descriptors (a loop?)")]
    TooLong(u64),
    #[error("descriptor index {0} is out of range")]
    IndexOutOfRange(u16),
    #[error("buffer {addr:#x}+{len:#x} is outside guest RAM")]
    BufferOutsideRam { addr: u64, len: u64 },
    #[error("device-readable descriptor after a device-writable one")]
    ReadableAfterWritable,
    #[error("malformed indirect descriptor")]
    BadIndirect,
}

impl QueueConfig {
    fn avail_len(&self) -> u64 {
        // flags, idx, ring[size], used_event (2.7.6).
        6 + 2 * u64::from(self.size)
    }

    fn used_len(&self) -> u64 {
        // flags, idx, ring[size] of {id u32, len u32}, avail_event (2.7.8).
        6 + 8 * u64::from(self.size)
    }

    /// Checks the configuration the driver is making live (4.2.2.2, 2.7): the size limits,
    /// the alignments of table 2.3 and that all three areas lie in RAM.
    pub fn validate(&self, max: u16, ram: &GuestRam) -> Result<(), ConfigError> {
        if self.size == 0 || !self.size.is_power_of_two() || self.size > max {
            return Err(ConfigError::BadSize {
                size: self.size,
                max,
            });
        }
        let areas = [
            (self.desc, DESC_SIZE * u64::from(self.size), 16),
            (self.driver, self.avail_len(), 2),
            (self.device, self.used_len(), 4),
        ];
        for (addr, len, align) in areas {
            if !addr.is_multiple_of(align) {
                return Err(ConfigError::Misaligned(addr));
            }
            if !ram.contains(addr, len) {
                return Err(ConfigError::OutsideRam { addr, len });
            }
        }
        Ok(())
    }
}

/// One buffer of a chain: guest-physical, already checked to lie inside RAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer {
    pub addr: u64,
    pub len: u32,
}

/// A descriptor chain taken from the available ring: device-readable buffers, then
/// device-writable ones, with a read cursor and a write cursor over each.
#[derive(Debug)]
pub struct DescChain<'a> {
    ram: &'a GuestRam,
    /// The head index, which goes back to the driver in the used ring.
    pub head: u16,
    readable: Vec<Buffer>,
    writable: Vec<Buffer>,
    read_pos: u64,
    write_pos: u64,
}

impl<'a> DescChain<'a> {
    /// Builds a chain from buffers (tests and devices that make their own).
    pub fn new(ram: &'a GuestRam, head: u16, readable: Vec<Buffer>, writable: Vec<Buffer>) -> Self {
        DescChain {
            ram,
            head,
            readable,
            writable,
            read_pos: 0,
            write_pos: 0,
        }
    }

    /// Total bytes the device may read.
    pub fn readable_len(&self) -> u64 {
        self.readable.iter().map(|b| u64::from(b.len)).sum()
    }

    /// Total bytes the device may write.
    pub fn writable_len(&self) -> u64 {
        self.writable.iter().map(|b| u64::from(b.len)).sum()
    }

    /// Bytes of device-readable data not read yet.
    pub fn readable_remaining(&self) -> u64 {
        self.readable_len() - self.read_pos
    }

    /// Where the write cursor is, in bytes from the start of the writable part.
    pub fn write_pos(&self) -> u64 {
        self.write_pos
    }

    /// Reads the next device-readable bytes into `buf`; returns how many were read (fewer
    /// than `buf.len()` at the end of the readable part).
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = copy_segments(
            &self.readable,
            self.read_pos,
            buf.len(),
            |addr, off, len| {
                // The buffers were checked against RAM when the chain was walked.
                self.ram.read_bytes(addr, &mut buf[off..off + len])
            },
        );
        self.read_pos += n as u64;
        n
    }

    /// Writes `data` at the write cursor; returns how many bytes fit.
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = copy_segments(
            &self.writable,
            self.write_pos,
            data.len(),
            |addr, off, len| dma_write(self.ram, addr, &data[off..off + len]),
        );
        self.write_pos += n as u64;
        n
    }

    /// Moves the write cursor to `pos` bytes from the start of the writable part (clamped to
    /// its end), e.g. to the status byte after a failed request.
    pub fn seek_write(&mut self, pos: u64) {
        self.write_pos = pos.min(self.writable_len());
    }
}

/// Copies up to `want` bytes of the byte stream that `segments` form, starting `pos` bytes
/// in, calling `copy(guest_addr, offset_in_caller_buffer, len)` for each piece. Returns the
/// number of bytes copied.
fn copy_segments(
    segments: &[Buffer],
    mut pos: u64,
    want: usize,
    mut copy: impl FnMut(u64, usize, usize) -> bool,
) -> usize {
    let mut done = 0usize;
    for seg in segments {
        if done == want {
            break;
        }
        let len = u64::from(seg.len);
        if pos >= len {
            pos -= len;
            continue;
        }
        // Both fit in usize: one is at most u32::MAX, the other at most `want`.
        let n = ((len - pos) as usize).min(want - done);
        if !copy(seg.addr + pos, done, n) {
            break;
        }
        done += n;
        pos = 0;
    }
    done
}

/// A live split virtqueue: its configuration and the device's positions in the two rings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queue {
    pub config: QueueConfig,
    /// The next available-ring entry the device will consume ("last_avail_idx").
    pub next_avail: u16,
    /// The used index the device will publish next.
    pub next_used: u16,
}

/// What [`Queue::pop`] found.
#[derive(Debug)]
pub enum Popped<'a> {
    Chain(DescChain<'a>),
    /// A malformed chain with this head: give it back with length 0 and go on.
    Bad {
        head: u16,
        error: ChainError,
    },
}

impl Queue {
    pub fn new(config: QueueConfig) -> Queue {
        Queue {
            config,
            next_avail: 0,
            next_used: 0,
        }
    }

    fn read_u16(ram: &GuestRam, addr: u64) -> Result<u16, QueueError> {
        ram.read(addr, 2)
            .map(|v| v as u16)
            .ok_or(QueueError::RingOutsideRam(addr))
    }

    /// The driver's flags in the available ring.
    pub fn avail_flags(&self, ram: &GuestRam) -> Result<u16, QueueError> {
        Self::read_u16(ram, self.config.driver)
    }

    /// Takes the next available chain, if any (2.7.13 from the device's side).
    pub fn pop<'a>(&mut self, ram: &'a GuestRam) -> Result<Option<Popped<'a>>, QueueError> {
        let size = self.config.size;
        let avail = Self::read_u16(ram, self.config.driver + 2)?;
        let pending = avail.wrapping_sub(self.next_avail);
        if pending == 0 {
            return Ok(None);
        }
        if pending > size {
            return Err(QueueError::AvailIdxAhead {
                avail,
                next: self.next_avail,
                size,
            });
        }
        // Pairs with the driver's write barrier before it publishes avail->idx (2.7.13.3):
        // the ring entry and descriptors read below are at least as new as the index.
        fence(Ordering::Acquire);
        // size is a power of two, so the modulo is the ring position (2.7.6).
        let slot = u64::from(self.next_avail % size);
        let head = Self::read_u16(ram, self.config.driver + 4 + 2 * slot)?;
        if head >= size {
            return Err(QueueError::HeadOutOfRange { head, size });
        }
        self.next_avail = self.next_avail.wrapping_add(1);
        Ok(Some(match self.walk(ram, head) {
            Ok((readable, writable)) => {
                Popped::Chain(DescChain::new(ram, head, readable, writable))
            }
            Err(error) => Popped::Bad { head, error },
        }))
    }

    /// Reads descriptor `index` of the table at `table` with `count` entries.
    fn read_desc(ram: &GuestRam, table: u64, count: u64, index: u16) -> Result<Desc, ChainError> {
        if u64::from(index) >= count {
            return Err(ChainError::IndexOutOfRange(index));
        }
        let at = table + DESC_SIZE * u64::from(index);
        let field = |off: u64, size: usize| {
            ram.read(at + off, size)
                .ok_or(ChainError::BufferOutsideRam {
                    addr: at,
                    len: DESC_SIZE,
                })
        };
        Ok(Desc {
            addr: field(0, 8)?,
            len: field(8, 4)? as u32,
            flags: field(12, 2)? as u16,
            next: field(14, 2)? as u16,
        })
    }

    /// Follows the chain from `head`, checking every descriptor (see the module docs).
    fn walk(&self, ram: &GuestRam, head: u16) -> Result<(Vec<Buffer>, Vec<Buffer>), ChainError> {
        let mut table = self.config.desc;
        let mut count = u64::from(self.config.size);
        let mut desc = Self::read_desc(ram, table, count, head)?;
        if desc.flags & VIRTQ_DESC_F_INDIRECT != 0 {
            // 2.7.5.3.1: the driver MUST NOT set INDIRECT together with NEXT, and the table
            // is a whole number of descriptors.
            let len = u64::from(desc.len);
            if desc.flags & VIRTQ_DESC_F_NEXT != 0
                || len == 0
                || !len.is_multiple_of(DESC_SIZE)
                || len / DESC_SIZE > MAX_INDIRECT
            {
                return Err(ChainError::BadIndirect);
            }
            if !ram.contains(desc.addr, len) {
                return Err(ChainError::BufferOutsideRam {
                    addr: desc.addr,
                    len,
                });
            }
            table = desc.addr;
            count = len / DESC_SIZE;
            desc = Self::read_desc(ram, table, count, 0)?;
        }
        let mut readable = Vec::new();
        let mut writable = Vec::new();
        // A chain visits each descriptor of its table at most once, so more than `count`
        // steps means a loop (2.7.5.2: chains are no longer than the queue size).
        let mut steps = 0u64;
        loop {
            steps += 1;
            if steps > count {
                return Err(ChainError::TooLong(count));
            }
            if desc.flags & VIRTQ_DESC_F_INDIRECT != 0 {
                // Either nested inside an indirect table or not at the head.
                return Err(ChainError::BadIndirect);
            }
            let len = u64::from(desc.len);
            if !ram.contains(desc.addr, len) {
                return Err(ChainError::BufferOutsideRam {
                    addr: desc.addr,
                    len,
                });
            }
            let buf = Buffer {
                addr: desc.addr,
                len: desc.len,
            };
            if desc.flags & VIRTQ_DESC_F_WRITE != 0 {
                writable.push(buf);
            } else if writable.is_empty() {
                readable.push(buf);
            } else {
                return Err(ChainError::ReadableAfterWritable);
            }
            if desc.flags & VIRTQ_DESC_F_NEXT == 0 {
                return Ok((readable, writable));
            }
            desc = Self::read_desc(ram, table, count, desc.next)?;
        }
    }

    /// Returns chain `head` to the driver with `len` bytes written (2.7.8), publishing the
    /// new used index after the entry.
    pub fn push_used(&mut self, ram: &GuestRam, head: u16, len: u32) -> Result<(), QueueError> {
        let slot = u64::from(self.next_used % self.config.size);
        let entry = self.config.device + 4 + 8 * slot;
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        bytes[4..].copy_from_slice(&len.to_le_bytes());
        if !dma_write(ram, entry, &bytes) {
            return Err(QueueError::RingOutsideRam(entry));
        }
        self.next_used = self.next_used.wrapping_add(1);
        // 2.7.8.2: the entry (and the buffers' contents) must be visible before the index.
        fence(Ordering::Release);
        let idx = self.config.device + 2;
        if !dma_write(ram, idx, &self.next_used.to_le_bytes()) {
            return Err(QueueError::RingOutsideRam(idx));
        }
        Ok(())
    }
}

/// One descriptor as it sits in the table (2.7.5).
#[derive(Debug, Clone, Copy)]
struct Desc {
    addr: u64,
    len: u32,
    flags: u16,
    next: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAM_BASE: u64 = 0x8000_0000;
    const DESC: u64 = RAM_BASE;
    const AVAIL: u64 = RAM_BASE + 0x1000;
    const USED: u64 = RAM_BASE + 0x2000;

    fn setup(size: u16) -> (GuestRam, Queue) {
        let ram = GuestRam::new(RAM_BASE, 0x10000).unwrap();
        let cfg = QueueConfig {
            size,
            desc: DESC,
            driver: AVAIL,
            device: USED,
        };
        (ram, Queue::new(cfg))
    }

    fn set_desc(ram: &GuestRam, table: u64, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let at = table + 16 * u64::from(i);
        assert!(ram.write(at, 8, addr));
        assert!(ram.write(at + 8, 4, len.into()));
        assert!(ram.write(at + 12, 2, flags.into()));
        assert!(ram.write(at + 14, 2, next.into()));
    }

    fn offer(ram: &GuestRam, slot: u16, head: u16, idx: u16) {
        assert!(ram.write(AVAIL + 4 + 2 * u64::from(slot), 2, head.into()));
        assert!(ram.write(AVAIL + 2, 2, idx.into()));
    }

    #[test]
    fn validate_refuses_bad_sizes_and_places() {
        let (ram, q) = setup(8);
        assert_eq!(q.config.validate(256, &ram), Ok(()));
        let bad = |c: QueueConfig| c.validate(256, &ram).is_err();
        assert!(bad(QueueConfig {
            size: 6,
            ..q.config
        }));
        assert!(bad(QueueConfig {
            size: 0,
            ..q.config
        }));
        assert!(bad(QueueConfig {
            size: 512,
            ..q.config
        }));
        assert!(bad(QueueConfig {
            desc: DESC + 8,
            ..q.config
        }));
        assert!(bad(QueueConfig {
            device: 0x1000,
            ..q.config
        }));
        assert!(bad(QueueConfig {
            driver: RAM_BASE + 0xfffe,
            ..q.config
        }));
    }

    #[test]
    fn chain_with_readable_then_writable_and_cursors() {
        let (ram, mut q) = setup(8);
        set_desc(&ram, DESC, 3, RAM_BASE + 0x4000, 4, VIRTQ_DESC_F_NEXT, 5);
        set_desc(
            &ram,
            DESC,
            5,
            RAM_BASE + 0x5000,
            3,
            VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
            0,
        );
        set_desc(&ram, DESC, 0, RAM_BASE + 0x6000, 2, VIRTQ_DESC_F_WRITE, 0);
        assert!(ram.write_bytes(RAM_BASE + 0x4000, b"abcd"));
        offer(&ram, 0, 3, 1);
        let Some(Popped::Chain(mut c)) = q.pop(&ram).unwrap() else {
            panic!("expected a chain");
        };
        assert_eq!(c.head, 3);
        assert_eq!((c.readable_len(), c.writable_len()), (4, 5));
        let mut buf = [0u8; 8];
        assert_eq!(c.read(&mut buf), 4);
        assert_eq!(&buf[..4], b"abcd");
        assert_eq!(c.write(b"12345678"), 5);
        let mut out = [0u8; 3];
        ram.read_bytes(RAM_BASE + 0x5000, &mut out);
        assert_eq!(&out, b"123");
        ram.read_bytes(RAM_BASE + 0x6000, &mut out[..2]);
        assert_eq!(&out[..2], b"45");
        assert!(q.pop(&ram).unwrap().is_none());
        q.push_used(&ram, 3, 5).unwrap();
        assert_eq!(ram.read(USED + 2, 2), Some(1));
        assert_eq!(ram.read(USED + 4, 4), Some(3));
        assert_eq!(ram.read(USED + 8, 4), Some(5));
    }

    #[test]
    fn loop_is_a_bad_chain_and_the_queue_goes_on() {
        let (ram, mut q) = setup(8);
        set_desc(&ram, DESC, 0, RAM_BASE + 0x4000, 4, VIRTQ_DESC_F_NEXT, 1);
        set_desc(&ram, DESC, 1, RAM_BASE + 0x4000, 4, VIRTQ_DESC_F_NEXT, 0);
        set_desc(&ram, DESC, 2, RAM_BASE + 0x4000, 4, 0, 0);
        offer(&ram, 0, 0, 1);
        offer(&ram, 1, 2, 2);
        assert!(matches!(
            q.pop(&ram),
            Ok(Some(Popped::Bad {
                head: 0,
                error: ChainError::TooLong(8)
            }))
        ));
        assert!(matches!(q.pop(&ram), Ok(Some(Popped::Chain(c))) if c.head == 2));
    }

    #[test]
    fn bad_chains() {
        let (ram, mut q) = setup(8);
        // Buffer running off the end of RAM, and one whose address+len overflows.
        set_desc(&ram, DESC, 0, RAM_BASE + 0xfff0, 0x20, 0, 0);
        set_desc(&ram, DESC, 1, u64::MAX - 1, 4, 0, 0);
        // Readable after writable.
        set_desc(
            &ram,
            DESC,
            2,
            RAM_BASE,
            1,
            VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
            3,
        );
        set_desc(&ram, DESC, 3, RAM_BASE, 1, 0, 0);
        // next out of range.
        set_desc(&ram, DESC, 4, RAM_BASE, 1, VIRTQ_DESC_F_NEXT, 9);
        for (i, head) in [0u16, 1, 2, 4].into_iter().enumerate() {
            offer(&ram, i as u16, head, i as u16 + 1);
            assert!(
                matches!(q.pop(&ram), Ok(Some(Popped::Bad { head: h, .. })) if h == head),
                "head {head}"
            );
        }
    }

    #[test]
    fn indirect_table() {
        let (ram, mut q) = setup(8);
        let table = RAM_BASE + 0x3000;
        set_desc(&ram, DESC, 1, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
        set_desc(&ram, table, 0, RAM_BASE + 0x4000, 16, VIRTQ_DESC_F_NEXT, 1);
        set_desc(&ram, table, 1, RAM_BASE + 0x5000, 1, VIRTQ_DESC_F_WRITE, 0);
        offer(&ram, 0, 1, 1);
        let Some(Popped::Chain(c)) = q.pop(&ram).unwrap() else {
            panic!("expected a chain");
        };
        assert_eq!((c.head, c.readable_len(), c.writable_len()), (1, 16, 1));
        // A loop inside the table, and a nested indirect.
        set_desc(&ram, table, 1, RAM_BASE + 0x5000, 1, VIRTQ_DESC_F_NEXT, 0);
        offer(&ram, 1, 1, 2);
        assert!(matches!(
            q.pop(&ram),
            Ok(Some(Popped::Bad {
                error: ChainError::TooLong(2),
                ..
            }))
        ));
        set_desc(&ram, table, 1, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
        offer(&ram, 2, 1, 3);
        assert!(matches!(
            q.pop(&ram),
            Ok(Some(Popped::Bad {
                error: ChainError::BadIndirect,
                ..
            }))
        ));
        // Table length not a multiple of 16.
        set_desc(&ram, DESC, 1, table, 20, VIRTQ_DESC_F_INDIRECT, 0);
        offer(&ram, 3, 1, 4);
        assert!(matches!(
            q.pop(&ram),
            Ok(Some(Popped::Bad {
                error: ChainError::BadIndirect,
                ..
            }))
        ));
    }

    #[test]
    fn avail_idx_far_ahead_and_bad_head_break_the_queue() {
        let (ram, mut q) = setup(8);
        offer(&ram, 0, 0, 9);
        assert!(matches!(q.pop(&ram), Err(QueueError::AvailIdxAhead { .. })));
        let (ram, mut q) = setup(8);
        offer(&ram, 0, 8, 1);
        assert_eq!(
            q.pop(&ram).unwrap_err(),
            QueueError::HeadOutOfRange { head: 8, size: 8 }
        );
    }

    #[test]
    fn avail_idx_wraps() {
        let (ram, mut q) = setup(8);
        q.next_avail = u16::MAX;
        set_desc(&ram, DESC, 0, RAM_BASE + 0x4000, 4, 0, 0);
        offer(&ram, 7, 0, 1); // two entries: slots 7 and 0 (u16::MAX % 8 == 7)
        offer(&ram, 0, 0, 1);
        assert!(matches!(q.pop(&ram), Ok(Some(Popped::Chain(_)))));
        assert!(matches!(q.pop(&ram), Ok(Some(Popped::Chain(_)))));
        assert!(q.pop(&ram).unwrap().is_none());
        assert_eq!(q.next_avail, 1);
    }
}
