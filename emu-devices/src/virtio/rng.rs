//! virtio-rng, the entropy device (virtio spec 1.2 section 5.4): one request queue whose
//! device-writable buffers the device fills from the host's random source (getrandom(2) or
//! its equivalent). No feature bits, no configuration space.

use super::queue::DescChain;
use super::{VirtioDevice, VIRTIO_ID_RNG};

/// The most bytes one request gets. Linux asks for at most a few hundred at a time; the cap
/// keeps a guest from making the device thread produce gigabytes for one request.
pub const MAX_REQUEST: u64 = 64 * 1024;

#[derive(Debug, Default)]
pub struct Rng {
    buf: Vec<u8>,
}

impl Rng {
    pub fn new() -> Rng {
        Rng { buf: vec![0; 4096] }
    }
}

impl VirtioDevice for Rng {
    fn device_id(&self) -> u32 {
        VIRTIO_ID_RNG
    }

    fn features(&self) -> u64 {
        0
    }

    fn num_queues(&self) -> u16 {
        1
    }

    fn process(&mut self, _queue: u16, chain: &mut DescChain<'_>) -> u32 {
        if self.buf.is_empty() {
            self.buf.resize(4096, 0);
        }
        let want = chain.writable_len().min(MAX_REQUEST);
        let mut done = 0u64;
        while done < want {
            let n = (want - done).min(self.buf.len() as u64) as usize;
            if let Err(e) = getrandom::fill(&mut self.buf[..n]) {
                // Give the guest what it has so far rather than anything predictable.
                tracing::warn!(target: "virtio", "virtio-rng: host random source: {e}");
                break;
            }
            chain.write(&self.buf[..n]);
            done += n as u64;
        }
        // At most MAX_REQUEST.
        done as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::testing::{Driver, RAM_BASE};

    const BUF: u64 = RAM_BASE + 0x10000;

    #[test]
    fn fills_writable_buffers() {
        let mut d = Driver::new(Box::new(Rng::new()));
        assert_eq!(d.reg(0x008), 4);
        d.init(8);
        // Two writable segments, 64 + 4096 bytes.
        d.submit(&[(BUF, 64, true), (BUF + 0x1000, 4096, true)]);
        assert_eq!(d.wait_used().1, 64 + 4096);
        let mut a = [0u8; 64];
        let mut b = vec![0u8; 4096];
        d.ram.read_bytes(BUF, &mut a);
        d.ram.read_bytes(BUF + 0x1000, &mut b);
        // 4160 random bytes are all zero with probability 2^-33280.
        assert!(a.iter().chain(&b).any(|&x| x != 0));
        // Two requests never get the same bytes.
        d.submit(&[(BUF + 0x3000, 64, true)]);
        d.wait_used();
        let mut c = [0u8; 64];
        d.ram.read_bytes(BUF + 0x3000, &mut c);
        assert_ne!(a, c);
        // Readable-only chain: nothing written.
        d.submit(&[(BUF + 0x4000, 16, false)]);
        assert_eq!(d.wait_used().1, 0);
        assert_eq!(d.ram.read(BUF + 0x4000, 8), Some(0));
    }

    #[test]
    fn huge_request_is_capped() {
        let mut d = Driver::new(Box::new(Rng::new()));
        d.init(8);
        d.submit(&[(BUF, 0x80000, true)]);
        assert_eq!(u64::from(d.wait_used().1), MAX_REQUEST);
        assert_eq!(d.ram.read(BUF + MAX_REQUEST, 8), Some(0));
    }
}
