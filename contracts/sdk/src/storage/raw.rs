//! Raw storage: bytes in, bytes out, over the host's storage functions. Keys are at most 1 KiB
//! and values at most 128 KiB (ABI limits); larger ones end the call.

use alloc::vec::Vec;

use tidepool_abi::{UNBOUNDED, order, status};

use super::Order;
use crate::sys;

/// First guess for a value's size (a lending market is ~600 bytes of JSON); a larger value
/// costs one more host call.
const READ_GUESS: usize = 1024;

/// The value at `key`, if any.
pub fn get(key: &[u8]) -> Option<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_GUESS);
    loop {
        // SAFETY: the host copies at most `capacity` bytes into `buf`.
        let len = unsafe { sys::storage_read(key.as_ptr(), key.len() as i32, buf.as_mut_ptr(), buf.capacity() as i32) };
        if len == status::NOT_FOUND || len < 0 {
            return None;
        }
        let len = len as usize;
        if len <= buf.capacity() {
            // SAFETY: the host wrote `len` bytes.
            unsafe { buf.set_len(len) };
            return Some(buf);
        }
        buf.reserve_exact(len);
    }
}

/// Writes `value` at `key`.
pub fn set(key: &[u8], value: &[u8]) {
    // SAFETY: valid slices.
    unsafe { sys::storage_write(key.as_ptr(), key.len() as i32, value.as_ptr(), value.len() as i32) }
}

/// Removes `key` (nothing happens if it is absent).
pub fn remove(key: &[u8]) {
    // SAFETY: a valid slice.
    unsafe { sys::storage_remove(key.as_ptr(), key.len() as i32) }
}

/// Whether `key` exists.
pub fn has(key: &[u8]) -> bool {
    // SAFETY: a valid slice.
    unsafe { sys::storage_has(key.as_ptr(), key.len() as i32) == 1 }
}

/// An iterator over raw `(key, value)` entries with `start ≤ key < end`, in `order`. `None`
/// means unbounded on that side. Keys are full storage keys. The host allows 16 open
/// iterators per call; dropping this one releases it.
pub fn range(start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> RawIter {
    let (sp, sl) = start.map_or((core::ptr::null(), UNBOUNDED as i32), |s| (s.as_ptr(), s.len() as i32));
    let (ep, el) = end.map_or((core::ptr::null(), UNBOUNDED as i32), |e| (e.as_ptr(), e.len() as i32));
    let order = match order {
        Order::Ascending => order::ASCENDING,
        Order::Descending => order::DESCENDING,
    };
    // SAFETY: valid slices or the unbounded marker.
    let handle = unsafe { sys::storage_iter_open(sp, sl, ep, el, order) };
    RawIter { handle, key: Vec::with_capacity(64), value: Vec::with_capacity(READ_GUESS) }
}

/// The smallest key greater than every key that starts with `prefix` (`None`: no such key,
/// i.e. the prefix is empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A raw storage iterator; see [`range`].
pub struct RawIter {
    handle: i32,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Iterator for RawIter {
    type Item = (Vec<u8>, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // SAFETY: the host copies into the buffers only if both fit their capacities.
            let r = unsafe {
                sys::storage_iter_next(
                    self.handle,
                    self.key.as_mut_ptr(),
                    self.key.capacity() as i32,
                    self.value.as_mut_ptr(),
                    self.value.capacity() as i32,
                )
            };
            if r < 0 {
                return None;
            }
            let (klen, vlen) = ((r as u64 >> 32) as usize, (r as u64 & 0xffff_ffff) as usize);
            if klen <= self.key.capacity() && vlen <= self.value.capacity() {
                // SAFETY: the host wrote `klen` and `vlen` bytes.
                unsafe {
                    self.key.set_len(klen);
                    self.value.set_len(vlen);
                }
                return Some((self.key.clone(), self.value.clone()));
            }
            // Nothing was copied and the iterator did not advance: grow and retry.
            self.key.clear();
            self.key.reserve_exact(klen);
            self.value.clear();
            self.value.reserve_exact(vlen);
        }
    }
}

impl Drop for RawIter {
    fn drop(&mut self) {
        // SAFETY: a handle this iterator owns.
        unsafe { sys::storage_iter_close(self.handle) }
    }
}
