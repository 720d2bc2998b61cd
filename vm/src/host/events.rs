//! Events: a type name and JSON data, recorded in the overlay with the frame's writes (so a
//! reverted frame's events disappear with it).
//!
//! # Potential denial of service
//! Both lengths are charged, then capped, then read. The count is capped per top-level call
//! ([`crate::Limits::max_events`]), counting only events still standing (a reverted frame's
//! events no longer count).

use tidepool_abi::host as h;
use tidepool_ledger::Event;
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostExit, HostState, capped_len, charge, memory, require_writable};

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::EMIT_EVENT, emit_event)?;
    Ok(())
}

fn emit_event(
    mut caller: Caller<'_, HostState>,
    ty_ptr: i32,
    ty_len: i32,
    data_ptr: i32,
    data_len: i32,
) -> wasmtime::Result<()> {
    require_writable(&caller, h::EMIT_EVENT)?;
    let bytes = ty_len as u32 as u64 + data_len as u32 as u64;
    charge(&mut caller, |g| g.host_call + g.event_base + g.event_per_byte.saturating_mul(bytes))?;
    let limits = &caller.data().runtime.limits;
    let (max_type, max_data, max_events) = (limits.max_event_type_len, limits.max_event_data_len, limits.max_events);
    let ty_len = capped_len(ty_len, max_type, "emit_event: type")?;
    let data_len = capped_len(data_len, max_data, "emit_event: data")?;
    let state = caller.data();
    let emitted = state.tx.overlay.events().len().saturating_sub(state.tx.events_base);
    if emitted >= max_events as usize {
        return Err(HostExit::Limit(format!("emit_event: at most {max_events} events per call")).into());
    }

    let (memory, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    let ty = memory::read(memory, ty_ptr, ty_len, "emit_event: type")?;
    let ty = std::str::from_utf8(ty).map_err(|_| HostExit::Trap("emit_event: the type is not UTF-8".into()))?;
    if ty.is_empty() {
        return Err(HostExit::Trap("emit_event: the type is empty".into()).into());
    }
    let data = memory::read(memory, data_ptr, data_len, "emit_event: data")?;
    // serde_json limits nesting depth (128), so hostile data cannot exhaust the host stack.
    if serde_json::from_slice::<serde::de::IgnoredAny>(data).is_err() {
        return Err(HostExit::Trap("emit_event: the data is not valid JSON".into()).into());
    }
    let event = Event { contract: state.frame.contract, ty: ty.to_owned(), data: data.to_vec() };
    state.frame.events.push(event.clone());
    state.tx.overlay.emit(event);
    Ok(())
}
