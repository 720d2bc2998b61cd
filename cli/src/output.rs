//! Standard output that a closed pipe ends quietly: `tidepool call … | head -1` stops the command
//! as a closed pipe stops a Unix tool, without a panic.
//!
//! Rust programs ignore SIGPIPE, so a write to a pipe whose reader is gone fails with
//! [`ErrorKind::BrokenPipe`] instead of ending the process, and `println!` panics on it ("failed
//! printing to stdout: Broken pipe", exit status 101). The commands print with [`outln!`] and
//! [`out!`] instead, which exit at once on a broken pipe, silently, with [`BROKEN_PIPE_EXIT`]: the
//! status a shell reports for a Unix tool that SIGPIPE ended, so `set -o pipefail` sees the same
//! as with one. Whatever the command had done by then (a transaction sent) stays done.

use std::fmt;
use std::io::{ErrorKind, Write};

/// The exit status after a broken pipe: 128 + SIGPIPE (13), as a shell reports a process that
/// SIGPIPE ended.
pub(crate) const BROKEN_PIPE_EXIT: i32 = 128 + 13;

/// `println!` to standard output, ending the process quietly if the reader is gone (see the
/// module documentation).
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// `print!` to standard output, ending the process quietly if the reader is gone (see the module
/// documentation).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};

/// Writes `args` and a newline to standard output ([`outln!`]).
pub(crate) fn write_line(args: fmt::Arguments<'_>) {
    let written = {
        let mut stdout = std::io::stdout().lock();
        stdout.write_fmt(args).and_then(|()| stdout.write_all(b"\n"))
    };
    finish(written);
}

/// Writes `args` to standard output ([`out!`]).
pub(crate) fn write(args: fmt::Arguments<'_>) {
    let written = std::io::stdout().lock().write_fmt(args);
    finish(written);
}

/// Writes `bytes` as they are to standard output, and flushes it.
pub(crate) fn write_bytes(bytes: &[u8]) {
    let written = {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes).and_then(|()| stdout.flush())
    };
    finish(written);
}

/// Exits quietly on a broken pipe, and with a message on another failure (a full disk under a
/// redirection).
fn finish(written: std::io::Result<()>) {
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(BROKEN_PIPE_EXIT),
        Err(e) => {
            eprintln!("error: writing to standard output: {e}");
            std::process::exit(1);
        }
    }
}
