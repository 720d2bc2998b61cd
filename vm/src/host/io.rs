//! Input, return data, abort, the last result of a nested call, and the debug log.
//!
//! # Potential denial of service
//! Every length is charged (`copy_per_byte`) before it is checked against its cap, and
//! checked before anything is copied or allocated. `abort` and `debug_log` read at most
//! [`crate::Limits::max_log_len`] bytes and pay only for those: longer messages are truncated.

use tidepool_abi::host as h;
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostExit, HostState, capped_len, charge, memory};

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::INPUT_LEN, input_len)?;
    linker.define(h::INPUT_READ, input_read)?;
    linker.define(h::SET_RETURN, set_return)?;
    linker.define(h::ABORT, abort)?;
    linker.define(h::RESULT_LEN, result_len)?;
    linker.define(h::RESULT_READ, result_read)?;
    linker.define(h::DEBUG_LOG, debug_log)?;
    Ok(())
}

fn input_len(mut caller: Caller<'_, HostState>) -> wasmtime::Result<i32> {
    charge(&mut caller, |g| g.host_call)?;
    Ok(caller.data().frame.input.len() as i32)
}

fn input_read(mut caller: Caller<'_, HostState>, ptr: i32) -> wasmtime::Result<()> {
    let len = caller.data().frame.input.len() as u64;
    charge(&mut caller, |g| g.host_call + g.copy_per_byte * len)?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    memory::write(data, ptr, &state.frame.input, "input_read")?;
    Ok(())
}

fn set_return(mut caller: Caller<'_, HostState>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    charge(&mut caller, |g| g.host_call.saturating_add(g.copy_per_byte.saturating_mul(len as u32 as u64)))?;
    let len = capped_len(len, caller.data().runtime.limits.max_message_len, "set_return: return data")?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    let bytes = memory::read(data, ptr, len, "set_return")?;
    state.frame.return_data.clear();
    state.frame.return_data.extend_from_slice(bytes);
    Ok(())
}

/// Reads a message for `abort` / `debug_log`: at most `max_log_len` bytes, paid for first.
fn read_message(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
    base: impl FnOnce(&crate::GasSchedule) -> u64,
    what: &str,
) -> Result<String, HostExit> {
    let len = (len as u32).min(caller.data().runtime.limits.max_log_len) as usize;
    charge(caller, |g| base(g) + g.copy_per_byte * len as u64)?;
    let data = memory::of(caller)?.data(&*caller);
    Ok(String::from_utf8_lossy(memory::read(data, ptr, len, what)?).into_owned())
}

fn abort(mut caller: Caller<'_, HostState>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let message = read_message(&mut caller, ptr, len, |g| g.host_call, "abort")?;
    Err(HostExit::Abort(message).into())
}

fn result_len(mut caller: Caller<'_, HostState>) -> wasmtime::Result<i32> {
    charge(&mut caller, |g| g.host_call)?;
    Ok(caller.data().frame.last_result.len() as i32)
}

fn result_read(mut caller: Caller<'_, HostState>, ptr: i32) -> wasmtime::Result<()> {
    let len = caller.data().frame.last_result.len() as u64;
    charge(&mut caller, |g| g.host_call + g.copy_per_byte * len)?;
    let (data, state) = memory::of(&caller)?.data_and_store_mut(&mut caller);
    memory::write(data, ptr, &state.frame.last_result, "result_read")?;
    Ok(())
}

fn debug_log(mut caller: Caller<'_, HostState>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let line = read_message(&mut caller, ptr, len, |g| g.host_call + g.debug_log, "debug_log")?;
    let state = caller.data_mut();
    tracing::debug!(target: "tidepool::contract", contract = %state.frame.contract, "{line}");
    state.tx.logs.push(format!("{}: {line}", state.frame.contract));
    state.frame.logs.push(line);
    Ok(())
}
