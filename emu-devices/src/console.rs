//! The host console behind UART0: host terminal input feeds the UART's receiver, with QEMU's
//! `-nographic` habits.
//!
//! - When stdin is a terminal it is put in raw mode, the way QEMU's stdio chardev does it
//!   (`chardev/char-stdio.c`): no echo, no line editing, no signals from Ctrl-C/Ctrl-Z (those
//!   keys go to the guest), 8-bit input, output processing left on. The original mode comes
//!   back when [`RawTerminal`] (or [`Console`]) is dropped, on a panic (a panic hook), and on
//!   SIGINT, SIGTERM or SIGHUP (a signal thread, which then asks the machine to stop with
//!   status 128 + signal; a second signal exits the process at once).
//! - stdin is read on its own thread ("console-input", design decision 12). Bytes go to
//!   [`Uart16550::push_input`] as they arrive; when the receive FIFO is full the thread waits
//!   for the guest to drain it rather than dropping input. EOF (a pipe closing) just stops
//!   reading; the machine keeps running.
//! - QEMU's escape key, Ctrl-a: `C-a x` prints "rvx: terminated" and stops the machine with
//!   status 0, `C-a h` (or `C-a ?`) prints the key list, `C-a C-a` sends one Ctrl-a. Other
//!   keys after Ctrl-a are swallowed, as in QEMU (`C-a c`, the monitor, does not exist here).
//!
//! Whoever ends the process with [`std::process::exit`] skips destructors, so must drop the
//! [`Console`] first or call [`restore_terminal`].

use crate::uart::Uart16550;
use emu_mmu::MachineControl;
use std::io::{Read, Write};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// QEMU's default escape character, Ctrl-a.
pub const ESCAPE: u8 = 0x01;

/// What `C-a h` prints (QEMU's `mux_print_help`, limited to the keys rvx has).
pub const HELP: &str = "\nC-a h    print this help\n\
                        C-a x    exit emulator\n\
                        C-a C-a  sends C-a\n";

/// What `C-a x` prints before the machine stops.
pub const TERMINATED: &str = "rvx: terminated\n";

/// How long the input thread sleeps while the receive FIFO is full.
const FULL_FIFO_POLL: Duration = Duration::from_millis(1);

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot put the terminal in raw mode: {0}")]
    RawMode(#[source] std::io::Error),
    #[error("cannot install the console's signal handlers: {0}")]
    Signals(#[source] std::io::Error),
    #[error("cannot start the console input thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// What one input byte means once escapes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A byte for the guest.
    Send(u8),
    Help,
    Quit,
    /// Consumed: the escape key itself, or an unknown key after it.
    Nothing,
}

/// QEMU's escape decoder (`mux_proc_byte` in `chardev/char-mux.c`).
#[derive(Debug, Default)]
struct Escapes {
    got_escape: bool,
}

impl Escapes {
    fn feed(&mut self, b: u8) -> Key {
        if !self.got_escape {
            if b == ESCAPE {
                self.got_escape = true;
                return Key::Nothing;
            }
            return Key::Send(b);
        }
        self.got_escape = false;
        match b {
            ESCAPE => Key::Send(ESCAPE),
            b'h' | b'?' => Key::Help,
            b'x' => Key::Quit,
            _ => Key::Nothing,
        }
    }
}

/// Hands `bytes` to the UART, waiting while its FIFO is full. Returns false if the machine
/// stopped before everything was delivered.
fn deliver(uart: &Uart16550, control: &MachineControl, mut bytes: &[u8]) -> bool {
    // This thread is the FIFO's only producer, so the room it sees can only grow until it
    // pushes.
    while !bytes.is_empty() {
        let free = uart.rx_free();
        if free == 0 {
            if control.stop_requested() {
                return false;
            }
            std::thread::sleep(FULL_FIFO_POLL);
            continue;
        }
        let n = free.min(bytes.len());
        uart.push_input(&bytes[..n]);
        bytes = &bytes[n..];
    }
    true
}

fn say(out: &mut dyn Write, text: &str) {
    // The console going away must not stop the input thread from doing its job.
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        tracing::debug!(target: "console", "console message lost: {e}");
    }
}

/// The input thread's body: reads `input` until EOF, an error, `C-a x` or a machine stop.
fn input_loop(
    mut input: impl Read,
    out: &mut dyn Write,
    uart: &Uart16550,
    control: &MachineControl,
    escapes: bool,
) {
    let mut esc = Escapes::default();
    let mut buf = [0u8; 1024];
    let mut batch = Vec::with_capacity(buf.len());
    while !control.stop_requested() {
        let n = match input.read(&mut buf) {
            Ok(0) => {
                tracing::debug!(target: "console", "console input: end of file");
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(target: "console", "console input stopped: {e}");
                return;
            }
        };
        batch.clear();
        for &b in &buf[..n] {
            let key = if escapes { esc.feed(b) } else { Key::Send(b) };
            match key {
                Key::Send(b) => batch.push(b),
                Key::Nothing => {}
                Key::Help => {
                    if !deliver(uart, control, &batch) {
                        return;
                    }
                    batch.clear();
                    say(out, HELP);
                }
                Key::Quit => {
                    deliver(uart, control, &batch);
                    say(out, TERMINATED);
                    control.request_exit(0);
                    return;
                }
            }
        }
        if !deliver(uart, control, &batch) {
            return;
        }
    }
}

/// Starts the input thread reading `input` into `uart`; `out` receives the escape keys'
/// messages. With `escapes` false every byte goes to the guest, Ctrl-a included.
pub fn spawn_input(
    input: impl Read + Send + 'static,
    mut out: Box<dyn Write + Send>,
    uart: Arc<Uart16550>,
    control: Arc<MachineControl>,
    escapes: bool,
) -> Result<JoinHandle<()>, ConsoleError> {
    std::thread::Builder::new()
        .name("console-input".into())
        .spawn(move || input_loop(input, &mut *out, &uart, &control, escapes))
        .map_err(ConsoleError::Thread)
}

/// The host console for UART0: stdin in raw mode if it is a terminal, plus the input thread.
#[derive(Debug)]
pub struct Console {
    raw: Option<RawTerminal>,
}

impl Console {
    /// Puts a terminal stdin in raw mode and starts feeding stdin to `uart`, with the
    /// Ctrl-a escapes. `control` is how `C-a x` and signals stop the machine.
    pub fn start(
        uart: Arc<Uart16550>,
        control: Arc<MachineControl>,
    ) -> Result<Console, ConsoleError> {
        let raw = RawTerminal::enter(control.clone())?;
        // The thread is never joined: it may sit in a blocking read of stdin when the machine
        // stops, and the process exit ends it.
        spawn_input(
            std::io::stdin(),
            Box::new(std::io::stdout()),
            uart,
            control,
            true,
        )?;
        Ok(Console { raw })
    }

    /// Whether stdin is a terminal that was put in raw mode.
    pub fn is_raw(&self) -> bool {
        self.raw.is_some()
    }
}

/// Raw mode on the host terminal behind stdin; dropping it restores the original mode.
#[derive(Debug)]
pub struct RawTerminal {
    _private: (),
}

impl RawTerminal {
    /// Puts stdin's terminal in raw mode, or returns `None` if stdin is not a terminal (or
    /// the host has no termios). Also installs the panic hook and, once per process, the
    /// signal thread that restore the terminal.
    pub fn enter(control: Arc<MachineControl>) -> Result<Option<RawTerminal>, ConsoleError> {
        #[cfg(unix)]
        {
            if !host::enter_raw()? {
                return Ok(None);
            }
            host::install_panic_hook();
            host::install_signal_thread(control)?;
            Ok(Some(RawTerminal { _private: () }))
        }
        #[cfg(not(unix))]
        {
            let _ = control;
            Ok(None)
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Puts the terminal back the way it was before raw mode. Returns whether there was anything
/// to restore; later calls do nothing. Safe to call from any thread at any time.
pub fn restore_terminal() -> bool {
    #[cfg(unix)]
    {
        host::restore()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(unix)]
mod host {
    use super::ConsoleError;
    use emu_mmu::MachineControl;
    use rustix::termios::{
        self, ControlModes, InputModes, LocalModes, OptionalActions, OutputModes, SpecialCodeIndex,
        Termios,
    };
    use std::os::fd::AsFd;
    use std::sync::{Arc, Mutex, Once};

    /// The terminal mode stdin had before raw mode; `Some` while raw mode is on. The terminal
    /// is one per process, so its saved mode is too.
    static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

    /// The raw mode QEMU's stdio chardev sets (`qemu_chr_set_echo_stdio` with echo off and
    /// `signal=off`): unlike `cfmakeraw` it keeps OPOST, so "\n" from bare-metal programs
    /// still returns the carriage.
    pub(super) fn raw_mode(orig: &Termios) -> Termios {
        let mut t = orig.clone();
        t.input_modes -= InputModes::IGNBRK
            | InputModes::BRKINT
            | InputModes::PARMRK
            | InputModes::ISTRIP
            | InputModes::INLCR
            | InputModes::IGNCR
            | InputModes::ICRNL
            | InputModes::IXON;
        t.output_modes |= OutputModes::OPOST;
        t.local_modes -= LocalModes::ECHO
            | LocalModes::ECHONL
            | LocalModes::ICANON
            | LocalModes::IEXTEN
            | LocalModes::ISIG;
        t.control_modes -= ControlModes::CSIZE | ControlModes::PARENB;
        t.control_modes |= ControlModes::CS8;
        t.special_codes[SpecialCodeIndex::VMIN] = 1;
        t.special_codes[SpecialCodeIndex::VTIME] = 0;
        t
    }

    /// Sets raw mode on `fd`, returning the mode it had.
    pub(super) fn set_raw(fd: impl AsFd) -> std::io::Result<Termios> {
        let orig = termios::tcgetattr(&fd)?;
        termios::tcsetattr(&fd, OptionalActions::Now, &raw_mode(&orig))?;
        Ok(orig)
    }

    fn saved() -> std::sync::MutexGuard<'static, Option<Termios>> {
        SAVED.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn enter_raw() -> Result<bool, ConsoleError> {
        let stdin = std::io::stdin();
        if !termios::isatty(stdin.as_fd()) {
            return Ok(false);
        }
        let mut saved = saved();
        if saved.is_none() {
            *saved = Some(set_raw(stdin.as_fd()).map_err(ConsoleError::RawMode)?);
        }
        Ok(true)
    }

    pub(super) fn restore() -> bool {
        let Some(orig) = saved().take() else {
            return false;
        };
        if let Err(e) = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &orig) {
            tracing::warn!(target: "console", "cannot restore the terminal mode: {e}");
        }
        true
    }

    pub(super) fn install_panic_hook() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Restore first, so that the message is readable.
                restore();
                previous(info);
            }));
        });
    }

    pub(super) fn install_signal_thread(control: Arc<MachineControl>) -> Result<(), ConsoleError> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static INSTALLED: Mutex<bool> = Mutex::new(false);
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if *installed {
            return Ok(());
        }
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(ConsoleError::Signals)?;
        std::thread::Builder::new()
            .name("console-signals".into())
            .spawn(move || {
                // The handlers stay for the life of the process (signal-hook cannot put the
                // default action back), so this thread plays the default's part too.
                let mut stopping = false;
                for sig in signals.forever() {
                    let was_raw = restore();
                    let status = 128 + sig;
                    if stopping || !was_raw {
                        std::process::exit(status);
                    }
                    stopping = true;
                    eprintln!("rvx: terminating on signal {sig}");
                    control.request_exit(status);
                }
            })
            .map_err(ConsoleError::Thread)?;
        *installed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uart::RX_FIFO_CAPACITY;

    use crate::test_support::Sink;

    /// Reads everything the UART has received so far (RBR while LSR.DR), checking LSR.OE.
    fn drain(u: &Uart16550) -> Vec<u8> {
        let mut v = Vec::new();
        loop {
            let lsr = emu_mmu::Mmio::read(u, 5, 1);
            assert_eq!(lsr & 0x02, 0, "overrun: input was dropped");
            if lsr & 0x01 == 0 {
                return v;
            }
            v.push(emu_mmu::Mmio::read(u, 0, 1) as u8);
        }
    }

    fn run(input: &[u8], escapes: bool) -> (Vec<u8>, String, Arc<MachineControl>) {
        let uart = Arc::new(Uart16550::new(Box::new(std::io::sink())));
        let control = Arc::new(MachineControl::default());
        let out = Sink::default();
        let t = spawn_input(
            std::io::Cursor::new(input.to_vec()),
            Box::new(out.clone()),
            uart.clone(),
            control.clone(),
            escapes,
        )
        .unwrap();
        t.join().unwrap();
        (drain(&uart), out.text(), control)
    }

    #[test]
    fn escape_decoder_follows_qemu() {
        let mut e = Escapes::default();
        let keys: Vec<Key> = b"a\x01\x01\x01h\x01?\x01c\x01xz"
            .iter()
            .map(|&b| e.feed(b))
            .collect();
        assert_eq!(
            keys,
            [
                Key::Send(b'a'),
                Key::Nothing,
                Key::Send(ESCAPE),
                Key::Nothing,
                Key::Help,
                Key::Nothing,
                Key::Help,
                Key::Nothing,
                Key::Nothing, // C-a c: no monitor
                Key::Nothing,
                Key::Quit,
                Key::Send(b'z'),
            ]
        );
    }

    #[test]
    fn bytes_reach_the_uart_and_eof_stops_quietly() {
        let (rx, out, control) = run(b"root\r\x01\x01\x03ls\x01h\r", true);
        assert_eq!(rx, b"root\r\x01\x03ls\r");
        assert_eq!(out, HELP);
        assert!(!control.stop_requested(), "EOF does not stop the machine");
    }

    #[test]
    fn ctrl_a_x_quits_with_status_0() {
        let (rx, out, control) = run(b"abc\x01xdef", true);
        assert_eq!(rx, b"abc", "bytes before the escape arrive, none after");
        assert_eq!(out, TERMINATED);
        assert!(control.stop_requested());
        assert!(!control.reset_requested());
        assert_eq!(control.exit_code(), 0);
    }

    #[test]
    fn escapes_off_passes_everything() {
        let (rx, out, control) = run(b"a\x01xb\x01h", false);
        assert_eq!(rx, b"a\x01xb\x01h");
        assert!(out.is_empty());
        assert!(!control.stop_requested());
    }

    #[test]
    fn full_fifo_waits_instead_of_dropping() {
        let uart = Arc::new(Uart16550::new(Box::new(std::io::sink())));
        let control = Arc::new(MachineControl::default());
        let input: Vec<u8> = (0..3 * RX_FIFO_CAPACITY + 17)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let t = spawn_input(
            std::io::Cursor::new(input.clone()),
            Box::new(std::io::sink()),
            uart.clone(),
            control.clone(),
            true,
        )
        .unwrap();
        // The guest: drains slowly enough that the FIFO fills up.
        let mut got = Vec::new();
        let start = std::time::Instant::now();
        while got.len() < input.len() {
            assert!(start.elapsed() < Duration::from_secs(20), "stalled");
            std::thread::sleep(Duration::from_millis(5));
            got.extend(drain(&uart));
        }
        t.join().unwrap();
        assert_eq!(got, input);
    }

    #[test]
    fn machine_stop_releases_a_waiting_input_thread() {
        let uart = Arc::new(Uart16550::new(Box::new(std::io::sink())));
        let control = Arc::new(MachineControl::default());
        let t = spawn_input(
            std::io::Cursor::new(vec![b'q'; 2 * RX_FIFO_CAPACITY]),
            Box::new(std::io::sink()),
            uart.clone(),
            control.clone(),
            true,
        )
        .unwrap();
        while uart.rx_free() != 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        control.request_exit(7);
        t.join().unwrap();
        assert_eq!(uart.rx_free(), 0);
    }

    #[test]
    fn restore_without_raw_mode_does_nothing() {
        assert!(!restore_terminal());
    }

    /// Raw mode on a pseudo-terminal: the flags QEMU sets, and the original mode back.
    #[cfg(unix)]
    #[test]
    fn raw_mode_on_a_pty() {
        use rustix::fs::{Mode, OFlags};
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        use rustix::termios::{
            tcgetattr, ControlModes, InputModes, LocalModes, OutputModes, SpecialCodeIndex,
        };

        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = rustix::fs::open(
            name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY,
            Mode::empty(),
        )
        .unwrap();
        assert!(rustix::termios::isatty(&slave));

        let before = tcgetattr(&slave).unwrap();
        assert!(before
            .local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO));
        let orig = host::set_raw(&slave).unwrap();
        let raw = tcgetattr(&slave).unwrap();
        assert!(!raw.local_modes.intersects(
            LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN
        ));
        assert!(!raw
            .input_modes
            .intersects(InputModes::ICRNL | InputModes::IXON | InputModes::ISTRIP));
        assert!(raw.output_modes.contains(OutputModes::OPOST));
        assert_eq!(
            raw.output_modes.contains(OutputModes::ONLCR),
            before.output_modes.contains(OutputModes::ONLCR),
            "output translation is left as it was"
        );
        assert_eq!(raw.control_modes & ControlModes::CSIZE, ControlModes::CS8);
        assert_eq!(raw.special_codes[SpecialCodeIndex::VMIN], 1);
        assert_eq!(raw.special_codes[SpecialCodeIndex::VTIME], 0);

        // Input is now byte by byte: a Ctrl-C and a lone byte with no newline are readable.
        rustix::io::write(&master, b"\x03z").unwrap();
        let mut buf = [0u8; 8];
        let n = rustix::io::read(&slave, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x03z");

        rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &orig).unwrap();
        let after = tcgetattr(&slave).unwrap();
        assert_eq!(after.local_modes, before.local_modes);
        assert_eq!(after.input_modes, before.input_modes);
        assert_eq!(after.output_modes, before.output_modes);
    }
}
