//! Contract storage: read, write, remove, has, and range iteration both ways.
//!
//! A contract sees only its own keys: the overlay namespaces every key by the contract's
//! address. Keys and values are passed straight from guest memory to the overlay, without an
//! intermediate copy.
//!
//! # Potential denial of service
//! Gas for the key (and, for writes, the value) is charged from the guest-supplied lengths
//! before the caps are checked and before memory is read. A value read from storage has a
//! size known only after the read; it was capped at write time
//! ([`crate::Limits::max_value_len`]) and is charged per byte before it is copied out.

use std::ops::Bound;

use tidepool_abi::{UNBOUNDED, host as h, order, status};
use tidepool_ledger::Direction;
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostExit, HostState, IterCursor, capped_len, charge, memory, require_writable};

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::STORAGE_READ, storage_read)?;
    linker.define(h::STORAGE_WRITE, storage_write)?;
    linker.define(h::STORAGE_REMOVE, storage_remove)?;
    linker.define(h::STORAGE_HAS, storage_has)?;
    linker.define(h::STORAGE_ITER_OPEN, storage_iter_open)?;
    linker.define(h::STORAGE_ITER_NEXT, storage_iter_next)?;
    linker.define(h::STORAGE_ITER_CLOSE, storage_iter_close)?;
    Ok(())
}

fn key_len(caller: &Caller<'_, HostState>, len: i32, what: &str) -> Result<usize, HostExit> {
    capped_len(len, caller.data().runtime.limits.max_key_len, what)
}

fn storage_read(
    mut caller: Caller<'_, HostState>,
    key_ptr: i32,
    key_len: i32,
    val_ptr: i32,
    val_cap: i32,
) -> wasmtime::Result<i64> {
    let len = key_len as u32 as u64;
    charge(&mut caller, |g| g.host_call + g.storage_read_base + g.storage_read_per_byte.saturating_mul(len))?;
    let key_len = self::key_len(&caller, key_len, "storage_read: key")?;
    let memory = memory::of(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let key = memory::read(data, key_ptr, key_len, "storage_read: key")?;
    let Some(value) = state.tx.overlay.storage_get(&state.frame.contract, key).map_err(HostExit::from)? else {
        return Ok(status::NOT_FOUND);
    };
    charge(&mut caller, |g| g.storage_read_per_byte * value.len() as u64)?;
    if value.len() <= val_cap as u32 as usize {
        memory::write(memory.data_mut(&mut caller), val_ptr, &value, "storage_read: value")?;
    }
    Ok(value.len() as i64)
}

fn storage_write(
    mut caller: Caller<'_, HostState>,
    key_ptr: i32,
    key_len: i32,
    val_ptr: i32,
    val_len: i32,
) -> wasmtime::Result<()> {
    require_writable(&caller, h::STORAGE_WRITE)?;
    let bytes = key_len as u32 as u64 + val_len as u32 as u64;
    charge(&mut caller, |g| g.host_call + g.storage_write_base + g.storage_write_per_byte.saturating_mul(bytes))?;
    let key_len = self::key_len(&caller, key_len, "storage_write: key")?;
    let val_len = capped_len(val_len, caller.data().runtime.limits.max_value_len, "storage_write: value")?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    let key = memory::read(data, key_ptr, key_len, "storage_write: key")?;
    let value = memory::read(data, val_ptr, val_len, "storage_write: value")?;
    state.tx.overlay.storage_set(&state.frame.contract, key, value);
    Ok(())
}

fn storage_remove(mut caller: Caller<'_, HostState>, key_ptr: i32, key_len: i32) -> wasmtime::Result<()> {
    require_writable(&caller, h::STORAGE_REMOVE)?;
    let len = key_len as u32 as u64;
    charge(&mut caller, |g| g.host_call + g.storage_remove_base + g.storage_write_per_byte.saturating_mul(len))?;
    let key_len = self::key_len(&caller, key_len, "storage_remove: key")?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    let key = memory::read(data, key_ptr, key_len, "storage_remove: key")?;
    state.tx.overlay.storage_remove(&state.frame.contract, key);
    Ok(())
}

fn storage_has(mut caller: Caller<'_, HostState>, key_ptr: i32, key_len: i32) -> wasmtime::Result<i32> {
    let len = key_len as u32 as u64;
    charge(&mut caller, |g| g.host_call + g.storage_read_base + g.storage_read_per_byte.saturating_mul(len))?;
    let key_len = self::key_len(&caller, key_len, "storage_has: key")?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    let key = memory::read(data, key_ptr, key_len, "storage_has: key")?;
    let found = state.tx.overlay.storage_get(&state.frame.contract, key).map_err(HostExit::from)?.is_some();
    Ok(i32::from(found))
}

/// A range bound from guest memory: [`UNBOUNDED`] as the length means no bound.
fn bound(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
    inclusive: bool,
    what: &str,
) -> Result<Bound<Vec<u8>>, HostExit> {
    if len as u32 == UNBOUNDED {
        return Ok(Bound::Unbounded);
    }
    let len = key_len(caller, len, what)?;
    let key = memory::read(memory::of(caller)?.data(&*caller), ptr, len, what)?.to_vec();
    Ok(if inclusive { Bound::Included(key) } else { Bound::Excluded(key) })
}

fn storage_iter_open(
    mut caller: Caller<'_, HostState>,
    start_ptr: i32,
    start_len: i32,
    end_ptr: i32,
    end_len: i32,
    order: i32,
) -> wasmtime::Result<i32> {
    let bound_bytes = |len: i32| if len as u32 == UNBOUNDED { 0 } else { len as u32 as u64 };
    let bytes = bound_bytes(start_len) + bound_bytes(end_len);
    charge(&mut caller, |g| g.host_call + g.storage_iter_open + g.storage_read_per_byte.saturating_mul(bytes))?;
    let direction = match order {
        order::ASCENDING => Direction::Forward,
        order::DESCENDING => Direction::Reverse,
        other => return Err(HostExit::Trap(format!("storage_iter_open: unknown order {other}")).into()),
    };
    let open = caller.data().frame.iterators.iter().filter(|slot| slot.is_some()).count();
    let max = caller.data().runtime.limits.max_open_iterators;
    if open >= max as usize {
        return Err(HostExit::Limit(format!("storage_iter_open: {max} iterators are already open")).into());
    }
    let start = bound(&mut caller, start_ptr, start_len, true, "storage_iter_open: start")?;
    let end = bound(&mut caller, end_ptr, end_len, false, "storage_iter_open: end")?;
    let cursor = IterCursor::new(start, end, direction);
    let iterators = &mut caller.data_mut().frame.iterators;
    let handle = match iterators.iter().position(Option::is_none) {
        Some(free) => free,
        None => {
            iterators.push(None);
            iterators.len() - 1
        }
    };
    iterators[handle] = Some(cursor);
    Ok(handle as i32)
}

fn find_cursor<'a>(
    iterators: &'a mut [Option<IterCursor>],
    handle: i32,
    what: &str,
) -> Result<&'a mut IterCursor, HostExit> {
    iterators
        .get_mut(handle as u32 as usize)
        .and_then(Option::as_mut)
        .ok_or_else(|| HostExit::Trap(format!("{what}: no open iterator with handle {handle}")))
}

fn storage_iter_next(
    mut caller: Caller<'_, HostState>,
    handle: i32,
    key_ptr: i32,
    key_cap: i32,
    val_ptr: i32,
    val_cap: i32,
) -> wasmtime::Result<i64> {
    charge(&mut caller, |g| g.host_call + g.storage_iter_next)?;
    let state = caller.data_mut();
    let cursor = find_cursor(&mut state.frame.iterators, handle, h::STORAGE_ITER_NEXT)?;
    let Some((key, value)) = cursor.peek(&state.tx.overlay, &state.frame.contract).map_err(HostExit::from)? else {
        return Ok(status::NOT_FOUND);
    };
    let (key_len, value_len) = (key.len(), value.len());
    charge(&mut caller, |g| g.storage_read_per_byte * (key_len + value_len) as u64)?;
    let fits = key_len <= key_cap as u32 as usize && value_len <= val_cap as u32 as usize;
    if fits {
        let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
        // The entry peeked above (only the charge ran since). A failed copy traps, ending the
        // frame and its iterators, so moving past the entry first changes nothing.
        if let Some((key, value)) = find_cursor(&mut state.frame.iterators, handle, h::STORAGE_ITER_NEXT)?.advance() {
            memory::write(data, key_ptr, key, "storage_iter_next: key")?;
            memory::write(data, val_ptr, &value, "storage_iter_next: value")?;
        }
    }
    Ok(((key_len as i64) << 32) | value_len as i64)
}

fn storage_iter_close(mut caller: Caller<'_, HostState>, handle: i32) -> wasmtime::Result<()> {
    charge(&mut caller, |g| g.host_call)?;
    let iterators = &mut caller.data_mut().frame.iterators;
    find_cursor(iterators, handle, h::STORAGE_ITER_CLOSE)?;
    iterators[handle as u32 as usize] = None;
    Ok(())
}
