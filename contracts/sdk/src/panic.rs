//! The panic handler for wasm32: a panic (an overflow with `overflow-checks`, an `unwrap` on a
//! bug) aborts the call with the panic message instead of an anonymous trap.

use core::fmt::Write;

/// Formats into a fixed stack buffer: allocating while panicking could fail again.
struct StackBuf {
    buf: [u8; 256],
    len: usize,
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        // Cut on a character boundary so the message stays valid UTF-8.
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut out = StackBuf { buf: [0; 256], len: 0 };
    let _ = write!(out, "panic: {}", info.message());
    crate::abort(core::str::from_utf8(&out.buf[..out.len]).unwrap_or("panic"))
}
