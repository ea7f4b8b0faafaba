//! The virtio-mmio transport, version 2 (virtio spec 1.2 section 4.2.2), as QEMU's
//! hw/virtio/virtio-mmio.c presents it with `force-legacy=false`.
//!
//! Register map (32-bit accesses only; configuration space at 0x100 takes 1, 2, 4 or 8):
//!
//! | offset | name                  | access | notes                                     |
//! |--------|-----------------------|--------|-------------------------------------------|
//! | 0x000  | MagicValue            | R      | 0x74726976 ("virt")                       |
//! | 0x004  | Version               | R      | 2                                         |
//! | 0x008  | DeviceID              | R      | 0 for an empty slot                       |
//! | 0x00c  | VendorID              | R      | 0x554d4551 ("QEMU"), as QEMU              |
//! | 0x010  | DeviceFeatures        | R      | 32 bits selected by DeviceFeaturesSel     |
//! | 0x014  | DeviceFeaturesSel     | W      |                                           |
//! | 0x020  | DriverFeatures        | W      | 32 bits selected by DriverFeaturesSel     |
//! | 0x024  | DriverFeaturesSel     | W      |                                           |
//! | 0x030  | QueueSel              | W      |                                           |
//! | 0x034  | QueueNumMax           | R      | 0 if the selected queue does not exist    |
//! | 0x038  | QueueNum              | W      |                                           |
//! | 0x044  | QueueReady            | RW     |                                           |
//! | 0x050  | QueueNotify           | W      | wakes the worker thread                   |
//! | 0x060  | InterruptStatus       | R      | bit 0 used buffer, bit 1 config change    |
//! | 0x064  | InterruptACK          | W      |                                           |
//! | 0x070  | Status                | RW     | writing 0 resets the device               |
//! | 0x080  | QueueDescLow/High     | RW     | (+4 High)                                 |
//! | 0x090  | QueueDriverLow/High   | RW     | the available ring                        |
//! | 0x0a0  | QueueDeviceLow/High   | RW     | the used ring                             |
//! | 0x0ac  | SHMSel                | W      | no shared memory regions:                 |
//! | 0x0b0  | SHMLenLow/High        | R      | these read all ones (4.2.2)               |
//! | 0x0b8  | SHMBaseLow/High       | R      |                                           |
//! | 0x0fc  | ConfigGeneration      | R      | 0: device configuration never changes     |
//! | 0x100+ | Config                | RW     | device-specific                           |
//!
//! Write-only registers read 0 and anything else is ignored, as in QEMU.
//!
//! # Threads and locks
//! Register accesses are answered on the hart's thread under the transport state lock. A
//! QueueNotify sets the queue's bit in a pending mask and rings a doorbell (a
//! crossbeam-channel of capacity 1, so notifies coalesce); the device's worker thread takes
//! the mask and services each queue: pops chains, calls [`VirtioDevice::process`], writes
//! the used ring, sets InterruptStatus and drives the [`IrqLine`].
//!
//! Lock order: the device lock, then the state lock, then whatever the interrupt line takes
//! (the PLIC's lock). The worker holds the device lock while it services a queue and takes
//! the state lock only briefly. A hart takes the device lock only for configuration-space
//! accesses, FEATURES_OK and reset (so a reset waits for the request in progress and the
//! device never touches the rings after the driver sees status 0).
//!
//! A driver that breaks the rings (an available index too far ahead, a head index out of
//! range, a queue configuration the device cannot use) gets DEVICE_NEEDS_RESET and a
//! configuration-change interrupt (2.1.2); the device then does nothing until it is reset.

use super::queue::{ConfigError, Popped, Queue, QueueConfig, VIRTQ_AVAIL_F_NO_INTERRUPT};
use super::{VirtioDevice, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1};
use crate::irq::IrqLine;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use emu_mmu::{GuestRam, Mmio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub const MAGIC_VALUE: u32 = 0x7472_6976;
pub const VERSION: u32 = 2;
/// QEMU's vendor ID; xv6 and others check for it.
pub const VENDOR_ID: u32 = 0x554d_4551;

/// Register offsets (4.2.2).
mod reg {
    pub const MAGIC_VALUE: u64 = 0x000;
    pub const VERSION: u64 = 0x004;
    pub const DEVICE_ID: u64 = 0x008;
    pub const VENDOR_ID: u64 = 0x00c;
    pub const DEVICE_FEATURES: u64 = 0x010;
    pub const DEVICE_FEATURES_SEL: u64 = 0x014;
    pub const DRIVER_FEATURES: u64 = 0x020;
    pub const DRIVER_FEATURES_SEL: u64 = 0x024;
    pub const QUEUE_SEL: u64 = 0x030;
    pub const QUEUE_NUM_MAX: u64 = 0x034;
    pub const QUEUE_NUM: u64 = 0x038;
    pub const QUEUE_READY: u64 = 0x044;
    pub const QUEUE_NOTIFY: u64 = 0x050;
    pub const INTERRUPT_STATUS: u64 = 0x060;
    pub const INTERRUPT_ACK: u64 = 0x064;
    pub const STATUS: u64 = 0x070;
    pub const QUEUE_DESC_LOW: u64 = 0x080;
    pub const QUEUE_DESC_HIGH: u64 = 0x084;
    pub const QUEUE_DRIVER_LOW: u64 = 0x090;
    pub const QUEUE_DRIVER_HIGH: u64 = 0x094;
    pub const QUEUE_DEVICE_LOW: u64 = 0x0a0;
    pub const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
    pub const SHM_LEN_LOW: u64 = 0x0b0;
    pub const SHM_BASE_HIGH: u64 = 0x0bc;
    pub const CONFIG_GENERATION: u64 = 0x0fc;
    pub const CONFIG: u64 = 0x100;
}

/// Device status bits (2.1).
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const DEVICE_NEEDS_RESET: u32 = 0x40;
    pub const FAILED: u32 = 0x80;
}

/// InterruptStatus bits (4.2.2).
pub const INT_USED_BUFFER: u32 = 1;
pub const INT_CONFIG_CHANGE: u32 = 2;

/// Queues a transport can have (one bit each in the pending-notify mask).
const MAX_QUEUES: u16 = 64;

#[derive(Debug, thiserror::Error)]
pub enum VirtioError {
    #[error("cannot start the worker thread of virtio device {id}: {source}")]
    Thread { id: u32, source: std::io::Error },
}

/// One queue's registers and the device's progress in it.
#[derive(Debug, Clone, Copy, Default)]
struct QueueReg {
    /// QueueNum as written (checked at QueueReady).
    num: u32,
    desc: u64,
    driver: u64,
    device: u64,
    ready: bool,
    next_avail: u16,
    next_used: u16,
    /// Bumped whenever the queue is enabled, disabled or reset, so that a worker that was
    /// servicing the old queue does not store its progress into the new one.
    epoch: u64,
}

#[derive(Debug)]
struct Transport {
    status: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queues: Vec<QueueReg>,
    interrupt_status: u32,
    irq_level: bool,
}

struct Shared {
    device: Mutex<Box<dyn VirtioDevice>>,
    state: Mutex<Transport>,
    ram: Arc<GuestRam>,
    irq: IrqLine,
    /// Bit q: queue q was notified and not yet serviced.
    notified: AtomicU64,
    stop: AtomicBool,
    device_id: u32,
    /// Everything offered: the device's bits plus the transport's.
    offered: u64,
    queue_max: u16,
    num_queues: u16,
}

/// A virtio-mmio transport with its device. Dropping it stops the worker thread (after the
/// request in progress).
pub struct VirtioMmio {
    shared: Arc<Shared>,
    doorbell: Option<Sender<()>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for VirtioMmio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtioMmio")
            .field("device_id", &self.shared.device_id)
            .field("state", &*self.shared.lock_state())
            .finish()
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent across a panic elsewhere; keep serving it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl VirtioMmio {
    /// Puts `device` behind a transport that DMAs into `ram` and signals on `irq`, and
    /// starts its worker thread (named `virtio-<device id>`).
    pub fn new(
        device: Box<dyn VirtioDevice>,
        ram: Arc<GuestRam>,
        irq: IrqLine,
    ) -> Result<VirtioMmio, VirtioError> {
        let device_id = device.device_id();
        let num_queues = device.num_queues().min(MAX_QUEUES);
        // A power of two no larger than the split ring allows; 0 stays 0 (no queues).
        let max = device.queue_max_size().min(super::queue::MAX_QUEUE_SIZE);
        let queue_max = if max == 0 { 0 } else { 1 << max.ilog2() };
        let offered = device.features() | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC;
        let shared = Arc::new(Shared {
            device: Mutex::new(device),
            state: Mutex::new(Transport {
                status: 0,
                device_features_sel: 0,
                driver_features_sel: 0,
                driver_features: 0,
                queue_sel: 0,
                queues: vec![
                    QueueReg {
                        num: queue_max.into(),
                        ..QueueReg::default()
                    };
                    num_queues.into()
                ],
                interrupt_status: 0,
                irq_level: false,
            }),
            ram,
            irq,
            notified: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            device_id,
            offered,
            queue_max,
            num_queues,
        });
        if num_queues == 0 {
            // Nothing will ever be notified (an empty slot): no thread.
            return Ok(VirtioMmio {
                shared,
                doorbell: None,
                worker: None,
            });
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name(format!("virtio-{device_id}"))
            .spawn(move || worker_shared.run(rx))
            .map_err(|source| VirtioError::Thread {
                id: device_id,
                source,
            })?;
        Ok(VirtioMmio {
            shared,
            doorbell: Some(tx),
            worker: Some(worker),
        })
    }

    /// Marks queues (a bit mask) as notified and wakes the worker.
    fn notify(&self, queues: u64) {
        self.shared.notified.fetch_or(queues, Ordering::SeqCst);
        if let Some(tx) = &self.doorbell {
            // Full means a wake-up is already pending; it will see this queue's bit.
            match tx.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
            }
        }
    }

    fn read_reg(&self, offset: u64) -> u32 {
        let sh = &self.shared;
        let st = sh.lock_state();
        let q = st.queues.get(st.queue_sel as usize);
        match offset {
            reg::MAGIC_VALUE => MAGIC_VALUE,
            reg::VERSION => VERSION,
            reg::DEVICE_ID => sh.device_id,
            reg::VENDOR_ID => VENDOR_ID,
            reg::DEVICE_FEATURES => match st.device_features_sel {
                0 => sh.offered as u32,
                1 => (sh.offered >> 32) as u32,
                _ => 0,
            },
            reg::QUEUE_NUM_MAX => q.map_or(0, |_| sh.queue_max.into()),
            reg::QUEUE_READY => q.is_some_and(|q| q.ready).into(),
            reg::INTERRUPT_STATUS => st.interrupt_status,
            reg::STATUS => st.status,
            reg::QUEUE_DESC_LOW => q.map_or(0, |q| q.desc as u32),
            reg::QUEUE_DESC_HIGH => q.map_or(0, |q| (q.desc >> 32) as u32),
            reg::QUEUE_DRIVER_LOW => q.map_or(0, |q| q.driver as u32),
            reg::QUEUE_DRIVER_HIGH => q.map_or(0, |q| (q.driver >> 32) as u32),
            reg::QUEUE_DEVICE_LOW => q.map_or(0, |q| q.device as u32),
            reg::QUEUE_DEVICE_HIGH => q.map_or(0, |q| (q.device >> 32) as u32),
            reg::SHM_LEN_LOW..=reg::SHM_BASE_HIGH => u32::MAX,
            reg::CONFIG_GENERATION => 0,
            _ => 0,
        }
    }

    fn write_reg(&self, offset: u64, value: u32) {
        let sh = &self.shared;
        if offset == reg::QUEUE_NOTIFY {
            if value < u32::from(sh.num_queues) {
                self.notify(1 << value);
            }
            return;
        }
        if offset == reg::STATUS {
            return self.write_status(value);
        }
        let mut st = sh.lock_state();
        let st = &mut *st;
        let sel = st.queue_sel as usize;
        // Queue registers of a missing or live queue are ignored (4.2.2.3: the driver
        // configures a queue before enabling it).
        let idle_queue = st.queues.get_mut(sel).filter(|q| !q.ready);
        let set_lo = |v: &mut u64| *v = (*v & !0xffff_ffff) | u64::from(value);
        let set_hi = |v: &mut u64| *v = (*v & 0xffff_ffff) | (u64::from(value) << 32);
        match offset {
            reg::DEVICE_FEATURES_SEL => st.device_features_sel = value,
            reg::DRIVER_FEATURES_SEL => st.driver_features_sel = value,
            // Only before FEATURES_OK (3.1.1 step 5); later writes are ignored.
            reg::DRIVER_FEATURES if st.status & status::FEATURES_OK == 0 => {
                match st.driver_features_sel {
                    0 => set_lo(&mut st.driver_features),
                    1 => set_hi(&mut st.driver_features),
                    _ => {}
                }
            }
            reg::QUEUE_SEL => st.queue_sel = value,
            reg::QUEUE_NUM => {
                if let Some(q) = idle_queue {
                    q.num = value;
                }
            }
            reg::QUEUE_DESC_LOW => idle_queue.into_iter().for_each(|q| set_lo(&mut q.desc)),
            reg::QUEUE_DESC_HIGH => idle_queue.into_iter().for_each(|q| set_hi(&mut q.desc)),
            reg::QUEUE_DRIVER_LOW => idle_queue.into_iter().for_each(|q| set_lo(&mut q.driver)),
            reg::QUEUE_DRIVER_HIGH => idle_queue.into_iter().for_each(|q| set_hi(&mut q.driver)),
            reg::QUEUE_DEVICE_LOW => idle_queue.into_iter().for_each(|q| set_lo(&mut q.device)),
            reg::QUEUE_DEVICE_HIGH => idle_queue.into_iter().for_each(|q| set_hi(&mut q.device)),
            reg::QUEUE_READY => {
                let Some(q) = st.queues.get_mut(sel) else {
                    return;
                };
                if value & 1 == 0 {
                    if q.ready {
                        q.ready = false;
                        q.epoch += 1;
                    }
                    return;
                }
                if q.ready {
                    return;
                }
                match queue_config(q, sh.queue_max, &sh.ram) {
                    Ok(_) => {
                        q.ready = true;
                        q.next_avail = 0;
                        q.next_used = 0;
                        q.epoch += 1;
                    }
                    Err(e) => {
                        tracing::warn!(
                            target: "virtio",
                            "virtio device {}: queue {sel} refused: {e}",
                            sh.device_id
                        );
                        sh.needs_reset(st);
                    }
                }
            }
            reg::INTERRUPT_ACK => {
                st.interrupt_status &= !value;
                sh.update_irq(st);
            }
            _ => {}
        }
    }

    fn write_status(&self, value: u32) {
        let sh = &self.shared;
        if value == 0 {
            return sh.reset();
        }
        let (accepted, driver_ok) = {
            let mut st = sh.lock_state();
            // The driver sets bits; DEVICE_NEEDS_RESET stays until reset (2.1.2).
            let mut new = (value & 0xff & !status::DEVICE_NEEDS_RESET)
                | (st.status & status::DEVICE_NEEDS_RESET);
            let mut accepted = None;
            if new & status::FEATURES_OK != 0 && st.status & status::FEATURES_OK == 0 {
                // 3.1.1 step 6: refuse a feature set we did not offer by leaving FEATURES_OK
                // clear. VERSION_1 is not demanded: like QEMU, a driver that ignores the high
                // feature word (xv6) gets the same little-endian layout anyway.
                if st.driver_features & !sh.offered != 0 {
                    new &= !status::FEATURES_OK;
                } else {
                    accepted = Some(st.driver_features);
                }
            }
            let driver_ok = new & !st.status & status::DRIVER_OK != 0;
            st.status = new;
            (accepted, driver_ok)
        };
        if let Some(features) = accepted {
            lock(&sh.device).ack_features(features);
        }
        if driver_ok {
            // Buffers a driver made available (and maybe notified) before DRIVER_OK were
            // not touched then (2.1.2: the device waits for DRIVER_OK); look at them now.
            self.notify(u64::MAX);
        }
    }

    fn read_config(&self, offset: u64, size: usize) -> u64 {
        let mut buf = [0u8; 8];
        lock(&self.shared.device).read_config(offset, &mut buf[..size]);
        u64::from_le_bytes(buf)
    }

    fn write_config(&self, offset: u64, size: usize, value: u64) {
        let bytes = value.to_le_bytes();
        lock(&self.shared.device).write_config(offset, &bytes[..size]);
    }
}

/// The queue configuration `q`'s registers describe, if the device can use it.
fn queue_config(q: &QueueReg, max: u16, ram: &GuestRam) -> Result<QueueConfig, ConfigError> {
    let size = u16::try_from(q.num).map_err(|_| ConfigError::BadSize { size: 0, max })?;
    let config = QueueConfig {
        size,
        desc: q.desc,
        driver: q.driver,
        device: q.device,
    };
    config.validate(max, ram)?;
    Ok(config)
}

impl Shared {
    fn lock_state(&self) -> MutexGuard<'_, Transport> {
        lock(&self.state)
    }

    /// Drives the interrupt line from InterruptStatus (called under the state lock, so the
    /// interrupt controller sees level changes in order).
    fn update_irq(&self, st: &mut Transport) {
        let level = st.interrupt_status != 0;
        if level != st.irq_level {
            st.irq_level = level;
            self.irq.set(level);
        }
    }

    fn needs_reset(&self, st: &mut Transport) {
        st.status |= status::DEVICE_NEEDS_RESET;
        st.interrupt_status |= INT_CONFIG_CHANGE;
        self.update_irq(st);
    }

    /// Status 0: back to the state after power-on (2.4). Waits for the worker to finish its
    /// current request, so the device is quiet once the driver can read status 0.
    fn reset(&self) {
        let mut dev = lock(&self.device);
        let mut st = self.lock_state();
        let st = &mut *st;
        st.status = 0;
        st.device_features_sel = 0;
        st.driver_features_sel = 0;
        st.driver_features = 0;
        st.queue_sel = 0;
        for q in &mut st.queues {
            *q = QueueReg {
                // QEMU resets QueueNum to the maximum (virtio_reset).
                num: self.queue_max.into(),
                epoch: q.epoch + 1,
                ..QueueReg::default()
            };
        }
        self.notified.store(0, Ordering::SeqCst);
        st.interrupt_status = 0;
        self.update_irq(st);
        dev.reset();
    }

    /// The worker thread: wait for the doorbell, service the notified queues.
    fn run(&self, doorbell: Receiver<()>) {
        while doorbell.recv().is_ok() {
            loop {
                if self.stop.load(Ordering::SeqCst) {
                    return;
                }
                let mask = self.notified.swap(0, Ordering::SeqCst);
                if mask == 0 {
                    break;
                }
                for q in 0..self.num_queues {
                    if mask & (1 << q) != 0 && self.service(q) {
                        // More work than one round: come back after letting a reset in.
                        self.notified.fetch_or(1 << q, Ordering::SeqCst);
                    }
                }
                std::thread::yield_now();
            }
        }
    }

    /// Services queue `qi`: at most one round of queue-size chains. Returns true if chains
    /// may remain.
    fn service(&self, qi: u16) -> bool {
        let mut dev = lock(&self.device);
        let (mut queue, epoch) = {
            let st = self.lock_state();
            let ok =
                st.status & status::DRIVER_OK != 0 && st.status & status::DEVICE_NEEDS_RESET == 0;
            let Some(q) = st.queues.get(usize::from(qi)).filter(|q| ok && q.ready) else {
                return false;
            };
            // Validated when the queue was made ready.
            let Ok(config) = queue_config(q, self.queue_max, &self.ram) else {
                return false;
            };
            let queue = Queue {
                config,
                next_avail: q.next_avail,
                next_used: q.next_used,
            };
            (queue, q.epoch)
        };
        let ram = &*self.ram;
        for _ in 0..queue.config.size {
            let result = match queue.pop(ram) {
                Ok(None) => return false,
                Ok(Some(Popped::Chain(mut chain))) => {
                    let len = dev.process(qi, &mut chain);
                    queue.push_used(ram, chain.head, len)
                }
                Ok(Some(Popped::Bad { head, error })) => {
                    tracing::warn!(
                        target: "virtio",
                        "virtio device {}: queue {qi}: chain {head} dropped: {error}",
                        self.device_id
                    );
                    queue.push_used(ram, head, 0)
                }
                Err(e) => Err(e),
            };
            let mut st = self.lock_state();
            let st = &mut *st;
            let Some(q) = st
                .queues
                .get_mut(usize::from(qi))
                .filter(|q| q.epoch == epoch)
            else {
                // Disabled or reset meanwhile: the progress belongs to a queue that is gone.
                return false;
            };
            if let Err(e) = result {
                tracing::warn!(
                    target: "virtio",
                    "virtio device {}: queue {qi} broken: {e}",
                    self.device_id
                );
                self.needs_reset(st);
                return false;
            }
            q.next_avail = queue.next_avail;
            q.next_used = queue.next_used;
            // 2.7.10: without VIRTIO_F_EVENT_IDX, the driver's flag suppresses the interrupt.
            let suppressed = queue
                .avail_flags(ram)
                .is_ok_and(|f| f & VIRTQ_AVAIL_F_NO_INTERRUPT != 0);
            if !suppressed {
                st.interrupt_status |= INT_USED_BUFFER;
                self.update_irq(st);
            }
        }
        true
    }
}

impl Mmio for VirtioMmio {
    fn read(&self, offset: u64, size: usize) -> u64 {
        if offset >= reg::CONFIG {
            if matches!(size, 1 | 2 | 4 | 8) {
                return self.read_config(offset - reg::CONFIG, size);
            }
            return 0;
        }
        if size != 4 || !offset.is_multiple_of(4) {
            return 0;
        }
        self.read_reg(offset).into()
    }

    fn write(&self, offset: u64, size: usize, value: u64) {
        if offset >= reg::CONFIG {
            if matches!(size, 1 | 2 | 4 | 8) {
                self.write_config(offset - reg::CONFIG, size, value);
            }
            return;
        }
        if size != 4 || !offset.is_multiple_of(4) {
            return;
        }
        self.write_reg(offset, value as u32);
    }
}

impl Drop for VirtioMmio {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Closing the channel ends the worker's wait.
        drop(self.doorbell.take());
        if let Some(worker) = self.worker.take() {
            // A worker that panicked has nothing left to clean up.
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::testing::{Driver, RAM_BASE};

    /// A device with one queue that echoes readable bytes into writable ones.
    struct Echo;
    impl VirtioDevice for Echo {
        fn device_id(&self) -> u32 {
            42
        }
        fn features(&self) -> u64 {
            1 << 3
        }
        fn num_queues(&self) -> u16 {
            1
        }
        fn queue_max_size(&self) -> u16 {
            16
        }
        fn read_config(&self, offset: u64, data: &mut [u8]) {
            super::super::read_config_bytes(&[1, 2, 3, 4, 5, 6, 7, 8, 9], offset, data);
        }
        fn process(&mut self, _queue: u16, chain: &mut crate::virtio::DescChain<'_>) -> u32 {
            let mut buf = vec![0u8; chain.readable_remaining() as usize];
            chain.read(&mut buf);
            chain.write(&buf) as u32
        }
    }

    #[test]
    fn identity_registers() {
        let d = Driver::new(Box::new(Echo));
        assert_eq!(d.reg(0x000), MAGIC_VALUE);
        assert_eq!(d.reg(0x004), 2);
        assert_eq!(d.reg(0x008), 42);
        assert_eq!(d.reg(0x00c), 0x554d_4551);
        // Wrong sizes read 0.
        assert_eq!(d.dev.read(0x000, 2), 0);
        assert_eq!(d.dev.read(0x001, 4), 0);
        // Config space at 0x100, any width.
        assert_eq!(d.dev.read(0x100, 1), 1);
        assert_eq!(d.dev.read(0x102, 2), 0x0403);
        assert_eq!(d.dev.read(0x100, 8), 0x0807_0605_0403_0201);
        assert_eq!(d.dev.read(0x108, 4), 9);
        assert_eq!(d.reg(0x0b0), u32::MAX);
    }

    #[test]
    fn features_and_feature_negotiation() {
        let d = Driver::new(Box::new(Echo));
        d.set_reg(0x014, 0);
        assert_eq!(d.reg(0x010), (1 << 3) | (1 << 28));
        d.set_reg(0x014, 1);
        assert_eq!(d.reg(0x010), 1); // VIRTIO_F_VERSION_1 is bit 32
        d.set_reg(0x014, 2);
        assert_eq!(d.reg(0x010), 0);
        // A feature that was not offered: FEATURES_OK stays clear.
        d.set_reg(0x070, status::ACKNOWLEDGE | status::DRIVER);
        d.set_reg(0x024, 0);
        d.set_reg(0x020, 1 << 4);
        d.set_reg(
            0x070,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK,
        );
        assert_eq!(d.reg(0x070), status::ACKNOWLEDGE | status::DRIVER);
        // After a reset, a subset is accepted.
        d.set_reg(0x070, 0);
        assert_eq!(d.reg(0x070), 0);
        d.set_reg(0x070, status::ACKNOWLEDGE | status::DRIVER);
        d.set_reg(0x020, 1 << 3);
        d.set_reg(0x024, 1);
        d.set_reg(0x020, 1);
        d.set_reg(
            0x070,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK,
        );
        assert_ne!(d.reg(0x070) & status::FEATURES_OK, 0);
    }

    #[test]
    fn queue_registers_and_reset() {
        let d = Driver::new(Box::new(Echo));
        assert_eq!(d.reg(0x034), 16);
        d.set_reg(0x030, 1);
        assert_eq!(d.reg(0x034), 0, "queue 1 does not exist");
        d.set_reg(0x030, 0);
        d.set_reg(0x080, 0x1234_5000);
        d.set_reg(0x084, 0x1);
        assert_eq!((d.reg(0x080), d.reg(0x084)), (0x1234_5000, 1));
        d.set_reg(0x070, 0);
        assert_eq!((d.reg(0x080), d.reg(0x084), d.reg(0x044)), (0, 0, 0));
    }

    #[test]
    fn echo_round_trip_and_interrupt() {
        let mut d = Driver::new(Box::new(Echo));
        d.init(8);
        assert!(d.ram.write_bytes(RAM_BASE + 0x10000, b"hello"));
        d.submit(&[
            (RAM_BASE + 0x10000, 5, false),
            (RAM_BASE + 0x11000, 5, true),
        ]);
        let (_, len) = d.wait_used();
        assert_eq!(len, 5);
        d.wait_irq();
        let mut out = [0u8; 5];
        d.ram.read_bytes(RAM_BASE + 0x11000, &mut out);
        assert_eq!(&out, b"hello");
        assert!(d.irq_level());
        assert_eq!(d.reg(0x060), INT_USED_BUFFER);
        d.set_reg(0x064, INT_USED_BUFFER);
        assert!(!d.irq_level());
        assert_eq!(d.reg(0x060), 0);
    }

    #[test]
    fn no_interrupt_flag_is_honoured() {
        let mut d = Driver::new(Box::new(Echo));
        d.init(8);
        assert!(d.ram.write(d.avail, 2, VIRTQ_AVAIL_F_NO_INTERRUPT.into()));
        d.submit(&[(RAM_BASE + 0x11000, 5, true)]);
        d.wait_used();
        // The interrupt would follow the used index at once; give it time to (wrongly) come.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(d.reg(0x060), 0);
        assert!(!d.irq_level());
    }

    #[test]
    fn queue_size_not_a_power_of_two_is_refused_and_reset_recovers() {
        let mut d = Driver::new(Box::new(Echo));
        d.init_raw(6);
        assert_eq!(d.reg(0x044), 0, "QueueReady stays 0");
        assert_ne!(d.reg(0x070) & status::DEVICE_NEEDS_RESET, 0);
        assert_eq!(d.reg(0x060) & INT_CONFIG_CHANGE, INT_CONFIG_CHANGE);
        assert!(d.irq_level());
        // Notifying a queue that is not ready does nothing.
        d.set_reg(0x050, 0);
        d.set_reg(0x070, 0);
        assert!(!d.irq_level());
        d.init(8);
        d.submit(&[(RAM_BASE + 0x11000, 5, true)]);
        assert_eq!(d.wait_used().1, 0);
    }

    #[test]
    fn queue_larger_than_max_is_refused() {
        let mut d = Driver::new(Box::new(Echo));
        d.init_raw(32);
        assert_eq!(d.reg(0x044), 0);
        assert_ne!(d.reg(0x070) & status::DEVICE_NEEDS_RESET, 0);
    }

    #[test]
    fn random_register_writes_never_panic() {
        use proptest::prelude::*;
        let d = Driver::new(Box::new(Echo));
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(
                &proptest::collection::vec((0u64..0x140, 0usize..9, any::<u64>()), 1..64),
                |ops| {
                    for (off, size, value) in ops {
                        // Keep some accesses on the QueueNotify and Status registers.
                        d.dev.write(off, size, value);
                        d.dev.read(off, size);
                        d.dev.write(0x050, 4, value & 1);
                    }
                    d.dev.write(0x070, 4, 0);
                    Ok(())
                },
            )
            .unwrap();
        // Still a virtio device answering.
        assert_eq!(d.reg(0x000), MAGIC_VALUE);
    }

    #[test]
    fn empty_slot() {
        let d = Driver::new(Box::new(crate::virtio::Empty));
        assert_eq!(
            (d.reg(0x000), d.reg(0x004), d.reg(0x008)),
            (MAGIC_VALUE, 2, 0)
        );
        assert_eq!(d.reg(0x034), 0);
        d.set_reg(0x050, 0);
        d.set_reg(0x044, 1);
        assert_eq!(d.reg(0x044), 0);
    }

    #[test]
    fn drop_stops_the_worker() {
        let mut d = Driver::new(Box::new(Echo));
        d.init(8);
        d.submit(&[(RAM_BASE + 0x11000, 5, true)]);
        d.wait_used();
        drop(d); // joins the worker; the test would hang otherwise
    }
}
