//! The terminal streams for every command: [`outln!`](crate::outln) / [`out!`](macro@crate::out) write to
//! stdout and [`errln!`](crate::errln) to stderr, as `println!` and `eprintln!` do, except that a
//! stream whose reader has gone (`chordsim FILE | head -n 1`: a broken pipe) or that cannot be
//! written is closed quietly and later text to it is dropped. The run goes on and writes its
//! results folder; the exit code is the run's.
//!
//! Owns: the one "this stream is closed" flag per stream. `std`'s print macros panic on a write
//! error, so they are refused by clippy (`clippy.toml`, `disallowed-macros`) everywhere in the crate.
//! Never: panic, retry, or report a closed stream anywhere (there is no one left to read it).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn write_to(closed: &AtomicBool, mut w: impl Write, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if w.write_all(text.as_bytes()).and_then(|()| w.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stdout as it is (no newline added), unless stdout is closed.
pub fn text(text: &str) {
    write_to(&STDOUT_CLOSED, io::stdout().lock(), text);
}

/// Writes `text` and a newline to stderr, unless stderr is closed.
pub fn err_line(text: &str) {
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(text);
    s.push('\n');
    write_to(&STDERR_CLOSED, io::stderr().lock(), &s);
}

/// `println!` that never panics: a line on stdout, dropped once stdout is closed.
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {{
        let mut s = format!($($t)*);
        s.push('\n');
        $crate::out::text(&s)
    }};
}

/// `print!` that never panics.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::out::text(&format!($($t)*)) };
}

/// `eprintln!` that never panics: a line on stderr, dropped once stderr is closed.
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => { $crate::out::err_line(&format!($($t)*)) };
}

/// Is `e` the reader of a pipe going away? The shell ends its session quietly on it.
#[must_use]
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct Gone;
    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_closes_the_stream_and_later_text_is_dropped() {
        let closed = AtomicBool::new(false);
        write_to(&closed, Gone, "one");
        assert!(closed.load(Ordering::Relaxed));
        let mut sink = Vec::new();
        write_to(&closed, &mut sink, "two");
        assert!(sink.is_empty(), "nothing is written once the stream is closed");
        let open = AtomicBool::new(false);
        write_to(&open, &mut sink, "three");
        assert_eq!(sink, b"three");
        assert!(is_broken_pipe(&io::Error::from(io::ErrorKind::BrokenPipe)));
    }
}
