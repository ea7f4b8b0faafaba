//! Semihosting: the guest asks the host for I/O through a magic instruction sequence.
//!
//! RISC-V semihosting (riscv-semihosting-spec) reuses the ARM semihosting operations
//! ("Semihosting for AArch32 and AArch64", ARM IHI 0069): the hart stops on
//! `slli x0,x0,0x1f; ebreak; srai x0,x0,7` with the operation number in a0 and a parameter
//! (usually the address of a parameter block) in a1; the result goes back in a0. On RV64
//! the fields of a parameter block are 8 bytes (the AArch64 field size).
//!
//! This follows QEMU's `semihosting/arm-compat-semi.c` with `target=native`: files are host
//! files relative to rvx's working directory, `:tt` opens the console, errno holds host
//! (Linux-numbered) error codes, and SYS_GET_CMDLINE returns the `arg=` values joined by
//! spaces.
//!
//! SYS_HEAPINFO reports (documented choice; QEMU derives it from the loaded image likewise):
//! heap from the end of the loaded image (rounded up to 4 KiB) to `RAM end - 1 MiB`, and a
//! 1 MiB stack just below the end of RAM (stack base = RAM end, stack limit = RAM end -
//! 1 MiB). When RAM has less than 1 MiB free past the image, the heap is empty and the stack
//! takes what is left.
//!
//! Everything is written against [`SemihostGuest`] (registers + guest memory) so it can be
//! tested without a CPU.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What the semihosting handler needs from the hart.
pub trait SemihostGuest {
    fn xreg(&self, i: usize) -> u64;
    fn set_xreg(&mut self, i: usize, v: u64);
    /// Reads guest memory (as a data load of the current privilege); false on any fault.
    fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> bool;
    /// Writes guest memory; false on any fault.
    fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool;
}

/// Operation numbers (ARM IHI 0069, section 6).
pub mod op {
    pub const SYS_OPEN: u64 = 0x01;
    pub const SYS_CLOSE: u64 = 0x02;
    pub const SYS_WRITEC: u64 = 0x03;
    pub const SYS_WRITE0: u64 = 0x04;
    pub const SYS_WRITE: u64 = 0x05;
    pub const SYS_READ: u64 = 0x06;
    pub const SYS_READC: u64 = 0x07;
    pub const SYS_ISERROR: u64 = 0x08;
    pub const SYS_ISTTY: u64 = 0x09;
    pub const SYS_SEEK: u64 = 0x0a;
    pub const SYS_FLEN: u64 = 0x0c;
    pub const SYS_TMPNAM: u64 = 0x0d;
    pub const SYS_REMOVE: u64 = 0x0e;
    pub const SYS_RENAME: u64 = 0x0f;
    pub const SYS_CLOCK: u64 = 0x10;
    pub const SYS_TIME: u64 = 0x11;
    pub const SYS_SYSTEM: u64 = 0x12;
    pub const SYS_ERRNO: u64 = 0x13;
    pub const SYS_GET_CMDLINE: u64 = 0x15;
    pub const SYS_HEAPINFO: u64 = 0x16;
    pub const SYS_EXIT: u64 = 0x18;
    pub const SYS_EXIT_EXTENDED: u64 = 0x20;
    pub const SYS_ELAPSED: u64 = 0x30;
    pub const SYS_TICKFREQ: u64 = 0x31;
}

/// SYS_EXIT reason for a normal application exit (ARM IHI 0069, 6.5.2).
pub const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

/// Host errno values the handler sets itself (Linux numbering, which newlib and picolibc
/// share for these).
mod errno {
    pub const ENOENT: i32 = 2;
    pub const EIO: i32 = 5;
    pub const EBADF: i32 = 9;
    pub const EFAULT: i32 = 14;
    pub const EINVAL: i32 = 22;
    pub const ESPIPE: i32 = 29;
    pub const ENAMETOOLONG: i32 = 36;
    pub const ENOSYS: i32 = 38;
}

/// Longest file name or command the guest may pass (QEMU uses PATH_MAX-sized buffers).
const MAX_NAME: u64 = 4096;
/// Bytes copied per step for SYS_READ/SYS_WRITE, so a huge guest length never becomes a huge
/// host allocation.
const CHUNK: usize = 64 * 1024;
/// The special file that reports semihosting extensions (ARM IHI 0069, 6.1.3): the magic
/// "SHFB" and one feature byte, SH_EXT_EXIT_EXTENDED (bit 0) | SH_EXT_STDOUT_STDERR (bit 1).
const FEATURES_FILE: &str = ":semihosting-features";
const FEATURES: [u8; 5] = [b'S', b'H', b'F', b'B', 0b11];

/// What the hart should do after a semihosting call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    /// Stop the machine; rvx exits with this status.
    Exit(i32),
}

/// The memory layout SYS_HEAPINFO reports (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapInfo {
    pub heap_base: u64,
    pub heap_limit: u64,
    pub stack_base: u64,
    pub stack_limit: u64,
}

impl HeapInfo {
    /// The layout for a RAM `[ram_base, ram_end)` whose loaded image ends at `image_end`.
    pub fn for_ram(image_end: u64, ram_base: u64, ram_end: u64) -> HeapInfo {
        const STACK: u64 = 1 << 20;
        let heap_base = image_end
            .max(ram_base)
            .checked_next_multiple_of(4096)
            .unwrap_or(ram_end)
            .min(ram_end);
        let stack_limit = ram_end.saturating_sub(STACK).max(heap_base);
        HeapInfo {
            heap_base,
            heap_limit: stack_limit,
            stack_base: ram_end,
            stack_limit,
        }
    }
}

/// The host side of the console.
pub struct Console {
    pub stdin: Box<dyn Read + Send>,
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
}

impl Console {
    pub fn stdio() -> Console {
        Console {
            stdin: Box::new(std::io::stdin()),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

enum Handle {
    Console(Stream),
    File(File),
    /// A read-only in-memory file (`:semihosting-features`) and the read position.
    Memory(&'static [u8], usize),
}

pub struct Semihosting {
    console: Console,
    handles: Vec<Option<Handle>>,
    /// The last error, per machine (SYS_ERRNO).
    errno: i32,
    cmdline: String,
    heap: HeapInfo,
    start: Instant,
}

impl std::fmt::Debug for Semihosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semihosting")
            .field("errno", &self.errno)
            .field("cmdline", &self.cmdline)
            .field("heap", &self.heap)
            .finish()
    }
}

/// A result word meaning failure (-1 as the guest sees it).
const FAIL: u64 = u64::MAX;

impl Semihosting {
    pub fn new(cmdline: String, heap: HeapInfo, console: Console) -> Semihosting {
        Semihosting {
            console,
            handles: Vec::new(),
            errno: 0,
            cmdline,
            heap,
            start: Instant::now(),
        }
    }

    /// Serves the call the hart stopped on: operation in a0, parameter in a1; the result
    /// goes to a0.
    pub fn handle(&mut self, g: &mut dyn SemihostGuest) -> Outcome {
        let nr = g.xreg(10);
        let arg = g.xreg(11);
        match self.dispatch(g, nr, arg) {
            Ok(Some(v)) => {
                g.set_xreg(10, v);
                Outcome::Continue
            }
            Ok(None) => Outcome::Continue,
            Err(Stop(code)) => Outcome::Exit(code),
        }
    }

    fn fail(&mut self, e: i32) -> Option<u64> {
        self.errno = e;
        Some(FAIL)
    }

    fn fail_io(&mut self, e: &std::io::Error) -> Option<u64> {
        self.fail(e.raw_os_error().unwrap_or(errno::EIO))
    }

    /// Returns Ok(Some(result)) to set a0, Ok(None) to leave it, Err(Stop) to exit.
    fn dispatch(
        &mut self,
        g: &mut dyn SemihostGuest,
        nr: u64,
        arg: u64,
    ) -> Result<Option<u64>, Stop> {
        use op::*;
        // Reads field `i` of the parameter block; a fault answers -1/EFAULT.
        macro_rules! field {
            ($i:expr) => {
                match read_u64(g, arg.wrapping_add(8 * $i)) {
                    Some(v) => v,
                    None => return Ok(self.fail(errno::EFAULT)),
                }
            };
        }
        let r = match nr {
            SYS_OPEN => {
                let (name, mode, len) = (field!(0), field!(1), field!(2));
                self.open(g, name, mode, len)
            }
            SYS_CLOSE => {
                let h = field!(0);
                match self.slot(h) {
                    Some(slot) => {
                        *slot = None;
                        Some(0)
                    }
                    None => self.fail(errno::EBADF),
                }
            }
            SYS_WRITEC => {
                let mut c = [0u8];
                if g.read_mem(arg, &mut c) {
                    self.console_write(Stream::Stdout, &c);
                }
                None
            }
            SYS_WRITE0 => {
                let mut at = arg;
                let mut line = Vec::new();
                let mut c = [0u8];
                while g.read_mem(at, &mut c) && c[0] != 0 {
                    line.push(c[0]);
                    at = at.wrapping_add(1);
                    if line.len() >= CHUNK {
                        self.console_write(Stream::Stdout, &line);
                        line.clear();
                    }
                }
                self.console_write(Stream::Stdout, &line);
                None
            }
            SYS_WRITE => {
                let (h, buf, len) = (field!(0), field!(1), field!(2));
                self.write(g, h, buf, len)
            }
            SYS_READ => {
                let (h, buf, len) = (field!(0), field!(1), field!(2));
                self.read(g, h, buf, len)
            }
            SYS_READC => {
                let mut c = [0u8];
                match self.console.stdin.read(&mut c) {
                    Ok(1) => Some(c[0] as u64),
                    Ok(_) => Some(FAIL),
                    Err(e) => self.fail_io(&e),
                }
            }
            SYS_ISERROR => Some(((field!(0) as i64) < 0) as u64),
            SYS_ISTTY => {
                let h = field!(0);
                match self.slot(h) {
                    Some(Some(Handle::Console(_))) => Some(1),
                    Some(Some(_)) => Some(0),
                    _ => self.fail(errno::EBADF),
                }
            }
            SYS_SEEK => {
                let (h, pos) = (field!(0), field!(1));
                self.seek(h, pos)
            }
            SYS_FLEN => {
                let h = field!(0);
                match self.slot(h) {
                    Some(Some(Handle::File(f))) => match f.metadata() {
                        Ok(m) => Some(m.len()),
                        Err(e) => self.fail_io(&e),
                    },
                    Some(Some(Handle::Memory(data, _))) => Some(data.len() as u64),
                    Some(Some(Handle::Console(_))) => self.fail(errno::EINVAL),
                    _ => self.fail(errno::EBADF),
                }
            }
            SYS_TMPNAM => {
                let (buf, id, len) = (field!(0), field!(1), field!(2));
                let name = format!(
                    "{}/rvx-{:x}-{:02x}\0",
                    std::env::temp_dir().display(),
                    std::process::id(),
                    id & 0xff
                );
                if name.len() as u64 > len || !g.write_mem(buf, name.as_bytes()) {
                    self.fail(errno::EINVAL)
                } else {
                    Some(0)
                }
            }
            SYS_REMOVE => {
                let (name, len) = (field!(0), field!(1));
                match self.read_name(g, name, len) {
                    Ok(path) => match std::fs::remove_file(path) {
                        Ok(()) => Some(0),
                        Err(e) => self.fail_io(&e),
                    },
                    Err(e) => self.fail(e),
                }
            }
            SYS_RENAME => {
                let (old, old_len, new, new_len) = (field!(0), field!(1), field!(2), field!(3));
                let names = self
                    .read_name(g, old, old_len)
                    .and_then(|o| Ok((o, self.read_name(g, new, new_len)?)));
                match names {
                    Ok((o, n)) => match std::fs::rename(o, n) {
                        Ok(()) => Some(0),
                        Err(e) => self.fail_io(&e),
                    },
                    Err(e) => self.fail(e),
                }
            }
            SYS_CLOCK => Some((self.start.elapsed().as_millis() / 10) as u64),
            SYS_TIME => Some(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            ),
            SYS_SYSTEM => {
                // With target=native the guest already has the host's files; running a
                // command adds no new power (QEMU does the same).
                let (cmd, len) = (field!(0), field!(1));
                match self.read_name(g, cmd, len) {
                    Ok(cmd) => match std::process::Command::new("sh").arg("-c").arg(cmd).status() {
                        Ok(st) => Some(st.code().unwrap_or(-1) as i64 as u64),
                        Err(e) => self.fail_io(&e),
                    },
                    Err(e) => self.fail(e),
                }
            }
            SYS_ERRNO => Some(self.errno as i64 as u64),
            SYS_GET_CMDLINE => {
                let (buf, len) = (field!(0), field!(1));
                let mut bytes = self.cmdline.clone().into_bytes();
                bytes.push(0);
                if bytes.len() as u64 > len
                    || !g.write_mem(buf, &bytes)
                    || !write_u64(g, arg.wrapping_add(8), bytes.len() as u64 - 1)
                {
                    self.fail(errno::EINVAL)
                } else {
                    Some(0)
                }
            }
            SYS_HEAPINFO => {
                // a1 holds the address of a pointer to the four-field block (6.5.4).
                let block = field!(0);
                let h = self.heap;
                let ok = [h.heap_base, h.heap_limit, h.stack_base, h.stack_limit]
                    .iter()
                    .enumerate()
                    .all(|(i, v)| write_u64(g, block.wrapping_add(8 * i as u64), *v));
                if ok {
                    Some(0)
                } else {
                    self.fail(errno::EFAULT)
                }
            }
            SYS_EXIT | SYS_EXIT_EXTENDED => {
                // On RV64 both take a block [reason, subcode] (QEMU:
                // common_semi_sys_exit_extended is true whenever the field size is 8).
                let (reason, subcode) = (field!(0), field!(1));
                return Err(Stop(exit_status(reason, subcode)));
            }
            SYS_ELAPSED => {
                let ticks = self.start.elapsed().as_nanos() as u64;
                if write_u64(g, arg, ticks) {
                    Some(0)
                } else {
                    self.fail(errno::EFAULT)
                }
            }
            SYS_TICKFREQ => Some(1_000_000_000),
            _ => {
                tracing::warn!(target: "semihosting", "unsupported semihosting operation {nr:#x}");
                self.fail(errno::ENOSYS)
            }
        };
        Ok(r)
    }

    /// The handle table entry for guest handle `h` (handles are 1-based so 0 is never valid).
    fn slot(&mut self, h: u64) -> Option<&mut Option<Handle>> {
        let i = usize::try_from(h.checked_sub(1)?).ok()?;
        self.handles.get_mut(i).filter(|s| s.is_some())
    }

    fn alloc(&mut self, handle: Handle) -> u64 {
        let i = match self.handles.iter().position(|s| s.is_none()) {
            Some(i) => {
                self.handles[i] = Some(handle);
                i
            }
            None => {
                self.handles.push(Some(handle));
                self.handles.len() - 1
            }
        };
        i as u64 + 1
    }

    fn read_name(&mut self, g: &mut dyn SemihostGuest, addr: u64, len: u64) -> Result<String, i32> {
        if len > MAX_NAME {
            return Err(errno::ENAMETOOLONG);
        }
        let mut buf = vec![0u8; len as usize];
        if !g.read_mem(addr, &mut buf) {
            return Err(errno::EFAULT);
        }
        String::from_utf8(buf).map_err(|_| errno::EINVAL)
    }

    fn open(&mut self, g: &mut dyn SemihostGuest, name: u64, mode: u64, len: u64) -> Option<u64> {
        let path = match self.read_name(g, name, len) {
            Ok(p) => p,
            Err(e) => return self.fail(e),
        };
        if mode > 11 {
            return self.fail(errno::EINVAL);
        }
        if path == ":tt" {
            // Modes r* = stdin, w* = stdout, a* = stderr (6.5.1 and SH_EXT_STDOUT_STDERR).
            let s = match mode {
                0..=3 => Stream::Stdin,
                4..=7 => Stream::Stdout,
                _ => Stream::Stderr,
            };
            return Some(self.alloc(Handle::Console(s)));
        }
        if path == FEATURES_FILE {
            return if mode < 2 {
                Some(self.alloc(Handle::Memory(&FEATURES, 0)))
            } else {
                self.fail(errno::EINVAL)
            };
        }
        if path.is_empty() {
            return self.fail(errno::ENOENT);
        }
        // ARM IHI 0069 6.5.1 mode table: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b.
        let mut o = std::fs::OpenOptions::new();
        match mode / 2 {
            0 => o.read(true),
            1 => o.read(true).write(true),
            2 => o.write(true).create(true).truncate(true),
            3 => o.read(true).write(true).create(true).truncate(true),
            4 => o.append(true).create(true),
            _ => o.read(true).append(true).create(true),
        };
        match o.open(&path) {
            Ok(f) => Some(self.alloc(Handle::File(f))),
            Err(e) => self.fail_io(&e),
        }
    }

    fn console_write(&mut self, s: Stream, data: &[u8]) -> bool {
        let w = match s {
            Stream::Stderr => &mut self.console.stderr,
            _ => &mut self.console.stdout,
        };
        w.write_all(data).and_then(|_| w.flush()).is_ok()
    }

    /// SYS_WRITE: returns the number of bytes NOT written (0 on success).
    fn write(&mut self, g: &mut dyn SemihostGuest, h: u64, buf: u64, len: u64) -> Option<u64> {
        if self.slot(h).is_none() {
            return self.fail(errno::EBADF);
        }
        let mut chunk = vec![0u8; (len.min(CHUNK as u64)) as usize];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            if !g.read_mem(buf.wrapping_add(done), &mut chunk[..n]) {
                self.errno = errno::EFAULT;
                return Some(len - done);
            }
            let res = match self.slot(h) {
                Some(Some(Handle::Console(Stream::Stdin))) => Err(errno::EBADF),
                Some(Some(Handle::Console(s))) => {
                    let s = *s;
                    if self.console_write(s, &chunk[..n]) {
                        Ok(())
                    } else {
                        Err(errno::EIO)
                    }
                }
                Some(Some(Handle::File(f))) => f
                    .write_all(&chunk[..n])
                    .map_err(|e| e.raw_os_error().unwrap_or(errno::EIO)),
                _ => Err(errno::EBADF),
            };
            if let Err(e) = res {
                self.errno = e;
                return Some(len - done);
            }
            done += n as u64;
        }
        Some(0)
    }

    /// SYS_READ: returns the number of bytes NOT read (`len` means end of file).
    fn read(&mut self, g: &mut dyn SemihostGuest, h: u64, buf: u64, len: u64) -> Option<u64> {
        if self.slot(h).is_none() {
            return self.fail(errno::EBADF);
        }
        let mut chunk = vec![0u8; (len.min(CHUNK as u64)) as usize];
        let mut done = 0u64;
        while done < len {
            let want = (len - done).min(CHUNK as u64) as usize;
            let got = match self.slot(h) {
                // The console gives what one host read returns (a line, typically).
                Some(Some(Handle::Console(Stream::Stdin))) => {
                    self.console.stdin.read(&mut chunk[..want])
                }
                Some(Some(Handle::Console(_))) => return self.fail(errno::EBADF),
                Some(Some(Handle::File(f))) => f.read(&mut chunk[..want]),
                Some(Some(Handle::Memory(data, pos))) => {
                    let n = want.min(data.len().saturating_sub(*pos));
                    chunk[..n].copy_from_slice(&data[*pos..*pos + n]);
                    *pos += n;
                    Ok(n)
                }
                _ => return self.fail(errno::EBADF),
            };
            let n = match got {
                Ok(n) => n,
                Err(e) if done == 0 => return self.fail_io(&e),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            if !g.write_mem(buf.wrapping_add(done), &chunk[..n]) {
                self.errno = errno::EFAULT;
                break;
            }
            done += n as u64;
            if matches!(self.slot(h), Some(Some(Handle::Console(_)))) {
                break;
            }
        }
        Some(len - done)
    }

    fn seek(&mut self, h: u64, pos: u64) -> Option<u64> {
        match self.slot(h) {
            Some(Some(Handle::File(f))) => match f.seek(SeekFrom::Start(pos)) {
                Ok(_) => Some(0),
                Err(e) => self.fail_io(&e),
            },
            Some(Some(Handle::Memory(data, p))) => {
                if pos > data.len() as u64 {
                    self.fail(errno::EINVAL)
                } else {
                    *p = pos as usize;
                    Some(0)
                }
            }
            Some(Some(Handle::Console(_))) => self.fail(errno::ESPIPE),
            _ => self.fail(errno::EBADF),
        }
    }
}

/// A request to end the run with this exit status.
struct Stop(i32);

/// rvx's exit status for SYS_EXIT(reason, subcode): the subcode's low byte for a normal
/// application exit (as a host `exit()` would give), but never 0 for a non-zero subcode;
/// 1 for any other reason (QEMU exits 1 there too).
pub fn exit_status(reason: u64, subcode: u64) -> i32 {
    if reason != ADP_STOPPED_APPLICATION_EXIT {
        return 1;
    }
    match (subcode & 0xff) as i32 {
        0 if subcode != 0 => 1,
        s => s,
    }
}

fn read_u64(g: &mut dyn SemihostGuest, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    g.read_mem(addr, &mut b).then(|| u64::from_le_bytes(b))
}

fn write_u64(g: &mut dyn SemihostGuest, addr: u64, v: u64) -> bool {
    g.write_mem(addr, &v.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use emu_devices::test_support::Sink;
    use op::*;

    /// Guest memory of 64 KiB at 0x1000 plus a register file.
    struct FakeGuest {
        x: [u64; 32],
        mem: Vec<u8>,
    }
    const BASE: u64 = 0x1000;

    impl FakeGuest {
        fn new() -> FakeGuest {
            FakeGuest {
                x: [0; 32],
                mem: vec![0; 0x10000],
            }
        }
        fn range(&self, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
            let off = usize::try_from(addr.checked_sub(BASE)?).ok()?;
            (off.checked_add(len)? <= self.mem.len()).then(|| off..off + len)
        }
        fn put(&mut self, addr: u64, data: &[u8]) {
            assert!(self.write_mem(addr, data));
        }
        fn block(&mut self, addr: u64, fields: &[u64]) {
            for (i, f) in fields.iter().enumerate() {
                self.put(addr + 8 * i as u64, &f.to_le_bytes());
            }
        }
        fn get(&mut self, addr: u64, len: usize) -> Vec<u8> {
            let mut b = vec![0; len];
            assert!(self.read_mem(addr, &mut b));
            b
        }
        fn u64_at(&mut self, addr: u64) -> u64 {
            u64::from_le_bytes(self.get(addr, 8).try_into().unwrap())
        }
    }

    impl SemihostGuest for FakeGuest {
        fn xreg(&self, i: usize) -> u64 {
            self.x[i]
        }
        fn set_xreg(&mut self, i: usize, v: u64) {
            self.x[i] = v;
        }
        fn read_mem(&mut self, addr: u64, buf: &mut [u8]) -> bool {
            match self.range(addr, buf.len()) {
                Some(r) => {
                    buf.copy_from_slice(&self.mem[r]);
                    true
                }
                None => false,
            }
        }
        fn write_mem(&mut self, addr: u64, data: &[u8]) -> bool {
            match self.range(addr, data.len()) {
                Some(r) => {
                    self.mem[r].copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
    }

    const HEAP: HeapInfo = HeapInfo {
        heap_base: 0x8001_0000,
        heap_limit: 0x9ff0_0000,
        stack_base: 0xa000_0000,
        stack_limit: 0x9ff0_0000,
    };

    fn setup(stdin: &'static [u8]) -> (Semihosting, FakeGuest, Sink, Sink) {
        let (out, err) = (Sink::default(), Sink::default());
        let sh = Semihosting::new(
            "prog a b".into(),
            HEAP,
            Console {
                stdin: Box::new(stdin),
                stdout: Box::new(out.clone()),
                stderr: Box::new(err.clone()),
            },
        );
        (sh, FakeGuest::new(), out, err)
    }

    fn call(sh: &mut Semihosting, g: &mut FakeGuest, nr: u64, arg: u64) -> Outcome {
        g.x[10] = nr;
        g.x[11] = arg;
        sh.handle(g)
    }

    /// Opens `name` with `mode` and returns the handle (a0).
    fn open(sh: &mut Semihosting, g: &mut FakeGuest, name: &str, mode: u64) -> u64 {
        g.put(0x3000, name.as_bytes());
        g.put(0x3000 + name.len() as u64, &[0]);
        g.block(0x2000, &[0x3000, mode, name.len() as u64]);
        call(sh, g, SYS_OPEN, 0x2000);
        g.x[10]
    }

    #[test]
    fn console_output_ops() {
        let (mut sh, mut g, out, err) = setup(b"");
        g.put(0x1100, b"A");
        call(&mut sh, &mut g, SYS_WRITEC, 0x1100);
        g.put(0x1200, b"hello\0junk");
        call(&mut sh, &mut g, SYS_WRITE0, 0x1200);
        let tt_out = open(&mut sh, &mut g, ":tt", 4);
        let tt_err = open(&mut sh, &mut g, ":tt", 8);
        assert!(tt_out >= 1 && tt_err >= 1 && tt_out != tt_err);
        g.block(0x2000, &[tt_out, 0x1200, 5]);
        call(&mut sh, &mut g, SYS_WRITE, 0x2000);
        assert_eq!(g.x[10], 0, "all bytes written");
        g.block(0x2000, &[tt_err, 0x1200, 3]);
        call(&mut sh, &mut g, SYS_WRITE, 0x2000);
        assert_eq!(out.text(), "Ahellohello");
        assert_eq!(err.text(), "hel");
        g.block(0x2000, &[tt_out]);
        call(&mut sh, &mut g, SYS_ISTTY, 0x2000);
        assert_eq!(g.x[10], 1);
    }

    #[test]
    fn console_input() {
        let (mut sh, mut g, _, _) = setup(b"xyz");
        call(&mut sh, &mut g, SYS_READC, 0);
        assert_eq!(g.x[10], b'x' as u64);
        let tt_in = open(&mut sh, &mut g, ":tt", 0);
        g.block(0x2000, &[tt_in, 0x1400, 10]);
        call(&mut sh, &mut g, SYS_READ, 0x2000);
        assert_eq!(g.x[10], 8, "2 of 10 bytes read");
        assert_eq!(g.get(0x1400, 2), b"yz");
        call(&mut sh, &mut g, SYS_READ, 0x2000);
        assert_eq!(g.x[10], 10, "EOF");
    }

    #[test]
    fn host_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        let name = path.to_str().unwrap();
        let (mut sh, mut g, _, _) = setup(b"");
        let h = open(&mut sh, &mut g, name, 4); // "w"
        assert_ne!(h, FAIL);
        g.put(0x1100, b"0123456789");
        g.block(0x2000, &[h, 0x1100, 10]);
        call(&mut sh, &mut g, SYS_WRITE, 0x2000);
        assert_eq!(g.x[10], 0);
        g.block(0x2000, &[h]);
        call(&mut sh, &mut g, SYS_ISTTY, 0x2000);
        assert_eq!(g.x[10], 0);
        call(&mut sh, &mut g, SYS_CLOSE, 0x2000);
        assert_eq!(g.x[10], 0);
        call(&mut sh, &mut g, SYS_CLOSE, 0x2000);
        assert_eq!(g.x[10], FAIL, "double close");
        call(&mut sh, &mut g, SYS_ERRNO, 0);
        assert_eq!(g.x[10], errno::EBADF as u64);
        assert_eq!(std::fs::read(&path).unwrap(), b"0123456789");

        let h = open(&mut sh, &mut g, name, 1); // "rb"
        g.block(0x2000, &[h]);
        call(&mut sh, &mut g, SYS_FLEN, 0x2000);
        assert_eq!(g.x[10], 10);
        g.block(0x2000, &[h, 4]);
        call(&mut sh, &mut g, SYS_SEEK, 0x2000);
        assert_eq!(g.x[10], 0);
        g.block(0x2000, &[h, 0x1800, 100]);
        call(&mut sh, &mut g, SYS_READ, 0x2000);
        assert_eq!(g.x[10], 94);
        assert_eq!(g.get(0x1800, 6), b"456789");
        // Writing to a read-only handle fails: nothing written.
        g.block(0x2000, &[h, 0x1100, 3]);
        call(&mut sh, &mut g, SYS_WRITE, 0x2000);
        assert_eq!(g.x[10], 3);

        let new = dir.path().join("g.txt");
        let new_name = new.to_str().unwrap();
        g.put(0x3000, name.as_bytes());
        g.put(0x3800, new_name.as_bytes());
        g.block(
            0x2000,
            &[0x3000, name.len() as u64, 0x3800, new_name.len() as u64],
        );
        call(&mut sh, &mut g, SYS_RENAME, 0x2000);
        assert_eq!(g.x[10], 0);
        assert!(new.exists() && !path.exists());
        g.block(0x2000, &[0x3800, new_name.len() as u64]);
        call(&mut sh, &mut g, SYS_REMOVE, 0x2000);
        assert_eq!(g.x[10], 0);
        assert!(!new.exists());

        // Opening a missing file: -1 and errno ENOENT.
        let h = open(&mut sh, &mut g, name, 0);
        assert_eq!(h, FAIL);
        call(&mut sh, &mut g, SYS_ERRNO, 0);
        assert_eq!(g.x[10], errno::ENOENT as u64);
    }

    #[test]
    fn features_file() {
        let (mut sh, mut g, _, _) = setup(b"");
        let h = open(&mut sh, &mut g, FEATURES_FILE, 0);
        g.block(0x2000, &[h, 0x1100, 5]);
        call(&mut sh, &mut g, SYS_READ, 0x2000);
        assert_eq!(g.x[10], 0);
        assert_eq!(g.get(0x1100, 5), FEATURES);
    }

    #[test]
    fn cmdline_heapinfo_time() {
        let (mut sh, mut g, _, _) = setup(b"");
        g.block(0x2000, &[0x1100, 64]);
        call(&mut sh, &mut g, SYS_GET_CMDLINE, 0x2000);
        assert_eq!(g.x[10], 0);
        assert_eq!(g.get(0x1100, 9), b"prog a b\0");
        assert_eq!(g.u64_at(0x2008), 8);
        g.block(0x2000, &[0x1100, 4]);
        call(&mut sh, &mut g, SYS_GET_CMDLINE, 0x2000);
        assert_eq!(g.x[10], FAIL, "buffer too small");

        g.block(0x2000, &[0x2100]);
        call(&mut sh, &mut g, SYS_HEAPINFO, 0x2000);
        assert_eq!(g.x[10], 0);
        let got: Vec<u64> = (0..4).map(|i| g.u64_at(0x2100 + 8 * i)).collect();
        assert_eq!(
            got,
            [
                HEAP.heap_base,
                HEAP.heap_limit,
                HEAP.stack_base,
                HEAP.stack_limit
            ]
        );

        call(&mut sh, &mut g, SYS_TIME, 0);
        assert!(g.x[10] > 1_600_000_000);
        call(&mut sh, &mut g, SYS_CLOCK, 0);
        assert!(g.x[10] < 100);
        call(&mut sh, &mut g, SYS_ELAPSED, 0x2200);
        assert_eq!(g.x[10], 0);
        call(&mut sh, &mut g, SYS_TICKFREQ, 0);
        assert_eq!(g.x[10], 1_000_000_000);
        g.block(0x2000, &[(-5i64) as u64]);
        call(&mut sh, &mut g, SYS_ISERROR, 0x2000);
        assert_eq!(g.x[10], 1);
    }

    #[test]
    fn exit_codes() {
        let (mut sh, mut g, _, _) = setup(b"");
        g.block(0x2000, &[ADP_STOPPED_APPLICATION_EXIT, 7]);
        assert_eq!(call(&mut sh, &mut g, SYS_EXIT, 0x2000), Outcome::Exit(7));
        assert_eq!(
            call(&mut sh, &mut g, SYS_EXIT_EXTENDED, 0x2000),
            Outcome::Exit(7)
        );
        g.block(0x2000, &[0x20023, 0]); // ADP_Stopped_RunTimeErrorUnknown
        assert_eq!(call(&mut sh, &mut g, SYS_EXIT, 0x2000), Outcome::Exit(1));
        assert_eq!(exit_status(ADP_STOPPED_APPLICATION_EXIT, 0), 0);
        assert_eq!(exit_status(ADP_STOPPED_APPLICATION_EXIT, 256), 1);
        assert_eq!(exit_status(ADP_STOPPED_APPLICATION_EXIT, u64::MAX), 255);
    }

    #[test]
    fn faults_and_garbage_do_not_panic() {
        let (mut sh, mut g, _, _) = setup(b"");
        for nr in 0..0x40u64 {
            if nr == SYS_SYSTEM {
                continue;
            }
            // Every parameter block here faults, so even SYS_EXIT only answers -1.
            for arg in [0, u64::MAX - 4, BASE + 0xfffc] {
                assert_eq!(
                    call(&mut sh, &mut g, nr, arg),
                    Outcome::Continue,
                    "op {nr:#x}"
                );
            }
        }
        // Parameter blocks with absurd values.
        g.block(0x2000, &[u64::MAX, u64::MAX, u64::MAX, u64::MAX]);
        for nr in [
            SYS_OPEN, SYS_WRITE, SYS_READ, SYS_SEEK, SYS_FLEN, SYS_CLOSE, SYS_REMOVE,
        ] {
            assert_eq!(call(&mut sh, &mut g, nr, 0x2000), Outcome::Continue);
            assert_eq!(g.x[10], FAIL, "op {nr:#x}");
        }
        // A valid handle with a huge length and a buffer that faults part way.
        let h = open(&mut sh, &mut g, ":tt", 4);
        g.block(0x2000, &[h, BASE + 0xff00, u64::MAX]);
        call(&mut sh, &mut g, SYS_WRITE, 0x2000);
        assert_eq!(g.x[10], u64::MAX, "nothing written (first chunk faults)");
        call(&mut sh, &mut g, 0x99, 0);
        assert_eq!(g.x[10], FAIL);
        call(&mut sh, &mut g, SYS_ERRNO, 0);
        assert_eq!(g.x[10], errno::ENOSYS as u64);
    }

    #[test]
    fn heapinfo_layout() {
        let h = HeapInfo::for_ram(0x8000_1234, 0x8000_0000, 0xa000_0000);
        assert_eq!(h.heap_base, 0x8000_2000);
        assert_eq!(h.heap_limit, 0x9ff0_0000);
        assert_eq!(h.stack_base, 0xa000_0000);
        assert_eq!(h.stack_limit, 0x9ff0_0000);
        // Tiny RAM: empty heap, the stack takes the rest.
        let h = HeapInfo::for_ram(0x8000_1234, 0x8000_0000, 0x8001_0000);
        assert_eq!(h.heap_base, 0x8000_2000);
        assert_eq!(h.heap_limit, h.heap_base);
        assert_eq!(h.stack_limit, h.heap_base);
    }
}
