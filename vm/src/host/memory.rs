//! Bounds-checked access to a contract's linear memory.
//!
//! Pointers and lengths come from the guest as `i32` and are read as unsigned. Every access is
//! checked against the memory's current size; a bad pointer ends the frame with a trap naming
//! the argument, never a host panic.

use wasmtime::{Caller, Memory};

use super::{HostExit, HostState};

/// The frame's exported memory.
pub(crate) fn of(caller: &Caller<'_, HostState>) -> Result<Memory, HostExit> {
    caller.data().memory.ok_or_else(|| HostExit::Trap("host function called before the instance was ready".into()))
}

fn range(memory_len: usize, ptr: i32, len: usize, what: &str) -> Result<std::ops::Range<usize>, HostExit> {
    let start = ptr as u32 as usize;
    match start.checked_add(len) {
        Some(end) if end <= memory_len => Ok(start..end),
        _ => Err(HostExit::Trap(format!(
            "{what}: {len} bytes at {start:#x} are outside linear memory ({memory_len} bytes)"
        ))),
    }
}

/// `len` bytes at `ptr`.
pub(crate) fn read<'m>(memory: &'m [u8], ptr: i32, len: usize, what: &str) -> Result<&'m [u8], HostExit> {
    Ok(&memory[range(memory.len(), ptr, len, what)?])
}

/// A fixed-size value at `ptr` (an address, a hash, an amount).
pub(crate) fn read_array<const N: usize>(memory: &[u8], ptr: i32, what: &str) -> Result<[u8; N], HostExit> {
    let mut out = [0u8; N];
    out.copy_from_slice(read(memory, ptr, N, what)?);
    Ok(out)
}

/// Writes `bytes` at `ptr`.
pub(crate) fn write(memory: &mut [u8], ptr: i32, bytes: &[u8], what: &str) -> Result<(), HostExit> {
    let range = range(memory.len(), ptr, bytes.len(), what)?;
    memory[range].copy_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_bounds_reads_and_writes_work() {
        let mut memory = vec![0u8; 16];
        write(&mut memory, 12, &[1, 2, 3, 4], "out").unwrap();
        assert_eq!(read(&memory, 12, 4, "in").unwrap(), &[1, 2, 3, 4]);
        assert_eq!(read_array::<2>(&memory, 13, "in").unwrap(), [2, 3]);
        assert_eq!(read(&memory, 16, 0, "empty at the end").unwrap(), &[] as &[u8]);
    }

    #[test]
    fn out_of_bounds_is_a_trap_naming_the_argument() {
        let mut memory = vec![0u8; 16];
        for (ptr, len) in [(13, 4), (-1, 1), (0, 17), (i32::MAX, usize::MAX)] {
            match read(&memory, ptr, len, "key") {
                Err(HostExit::Trap(message)) => assert!(message.starts_with("key: "), "{message}"),
                other => panic!("expected a trap, got {other:?}"),
            }
        }
        assert!(matches!(write(&mut memory, 15, &[0, 0], "value"), Err(HostExit::Trap(_))));
        assert_eq!(memory, vec![0u8; 16], "a refused write changes nothing");
    }
}
