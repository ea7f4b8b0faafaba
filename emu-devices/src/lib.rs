//! rvx devices.

pub mod clint;
pub mod console;
pub mod htif;
pub mod irq;
pub mod plic;
pub mod power;
pub mod rom;
pub mod rtc;
pub mod uart;
pub mod virtio;

/// What the device tests share.
/// Helpers for tests, this crate's and (with the `test-support` feature) other crates'.
#[cfg(any(test, feature = "test-support"))]
pub mod test_support {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what it was given, shareable with the test.
    #[derive(Clone, Default)]
    pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        /// Everything written so far, as text.
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }
}
