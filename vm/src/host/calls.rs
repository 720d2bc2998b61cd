//! Calls into other contracts: `call` (execute), `query` (read-only) and `instantiate`.
//!
//! Each callee runs as its own frame ([`crate::frame`]) inside a checkpoint of the overlay: if
//! it fails, its writes and events are reverted and the caller receives the status code and the
//! error message as its last result, and carries on. The callee gets
//! `min(requested, remaining)` gas; the caller is charged what the callee used.
//!
//! Refused before running (nothing charged beyond `call_base`): call depth over the limit, too
//! little native stack left, no such contract, code or entry point, re-entry into a contract
//! already on the stack that did not opt in, insufficient funds to attach.
//!
//! A frame that is read-only (a query, or anything a query calls) may `query` but not `call`
//! or `instantiate`.

use std::sync::Arc;

use tidepool_abi::{call as code, host as h};
use tidepool_ledger::{Address, ContractInstance, Hash};
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostExit, HostState, capped_len, charge, engine_fault, memory, move_funds, require_writable};
use crate::cache::CompiledModule;
use crate::frame::{self, EntryPoint, FrameRequest};
use crate::outcome::Status;
use crate::vm::Runtime;

/// Host stack a nested frame needs besides its WASM stack: the store, the instance, the
/// trampolines, and whatever host function runs at the deepest level (k256, serde_json, a
/// compile on a cache miss). One level of nesting measured 4.5 KiB in the dev profile; the
/// margin is wide because running short is a crash, not a trap.
const HOST_STACK_RESERVE: usize = 96 * 1024;

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::CALL, call)?;
    linker.define(h::QUERY, query)?;
    linker.define(h::INSTANTIATE, instantiate)?;
    Ok(())
}

/// A nested call to make.
struct Nested {
    contract: Address,
    entry: EntryPoint,
    msg: Vec<u8>,
    funds: u128,
    /// 0: all that is left.
    gas_limit: u64,
    /// For `instantiate`: the instance to create inside the callee's checkpoint.
    create: Option<ContractInstance>,
}

/// Charges the call and reads the message (both lengths paid before anything is read).
fn read_msg(
    caller: &mut Caller<'_, HostState>,
    base: u64,
    msg_ptr: i32,
    msg_len: i32,
    what: &str,
) -> Result<Vec<u8>, HostExit> {
    charge(caller, |g| g.host_call + base + g.copy_per_byte.saturating_mul(msg_len as u32 as u64))?;
    let msg_len = capped_len(msg_len, caller.data().runtime.limits.max_message_len, what)?;
    Ok(memory::read(memory::of(caller)?.data(&*caller), msg_ptr, msg_len, what)?.to_vec())
}

fn call(
    mut caller: Caller<'_, HostState>,
    addr_ptr: i32,
    msg_ptr: i32,
    msg_len: i32,
    funds_ptr: i32,
    gas_limit: i64,
) -> wasmtime::Result<i32> {
    require_writable(&caller, h::CALL)?;
    let base = caller.data().runtime.gas.call_base;
    let msg = read_msg(&mut caller, base, msg_ptr, msg_len, "call: message")?;
    let data = memory::of(&caller)?.data(&caller);
    let contract = Address(memory::read_array(data, addr_ptr, "call: address")?);
    let funds = u128::from_le_bytes(memory::read_array(data, funds_ptr, "call: funds")?);
    let nested = Nested { contract, entry: EntryPoint::Execute, msg, funds, gas_limit: gas_limit as u64, create: None };
    Ok(run_nested(&mut caller, nested)?)
}

fn query(mut caller: Caller<'_, HostState>, addr_ptr: i32, msg_ptr: i32, msg_len: i32) -> wasmtime::Result<i32> {
    let base = caller.data().runtime.gas.call_base;
    let msg = read_msg(&mut caller, base, msg_ptr, msg_len, "query: message")?;
    let contract = Address(memory::read_array(memory::of(&caller)?.data(&caller), addr_ptr, "query: address")?);
    let nested = Nested { contract, entry: EntryPoint::Query, msg, funds: 0, gas_limit: 0, create: None };
    Ok(run_nested(&mut caller, nested)?)
}

#[allow(clippy::too_many_arguments, reason = "the ABI's signature")]
fn instantiate(
    mut caller: Caller<'_, HostState>,
    code_hash_ptr: i32,
    msg_ptr: i32,
    msg_len: i32,
    funds_ptr: i32,
    label_ptr: i32,
    label_len: i32,
    out_ptr: i32,
) -> wasmtime::Result<i32> {
    require_writable(&caller, h::INSTANTIATE)?;
    let gas = &caller.data().runtime.gas;
    let base = gas.call_base + gas.instantiate_base;
    charge(&mut caller, |g| g.copy_per_byte.saturating_mul(label_len as u32 as u64))?;
    let msg = read_msg(&mut caller, base, msg_ptr, msg_len, "instantiate: message")?;
    let label_len = capped_len(label_len, caller.data().runtime.limits.max_label_len, "instantiate: label")?;
    let data = memory::of(&caller)?.data(&caller);
    let code_hash = Hash(memory::read_array(data, code_hash_ptr, "instantiate: code hash")?);
    let funds = u128::from_le_bytes(memory::read_array(data, funds_ptr, "instantiate: funds")?);
    let label = memory::read(data, label_ptr, label_len, "instantiate: label")?;
    let label =
        String::from_utf8(label.to_vec()).map_err(|_| HostExit::Trap("instantiate: the label is not UTF-8".into()))?;
    memory::read(data, out_ptr, 20, "instantiate: out")?;

    // The address comes from this contract's nonce, bumped whatever happens next, so that a
    // failed instantiation never hands the same address to a later one.
    let state = caller.data_mut();
    let creator = state.frame.contract;
    let mut account = state.tx.overlay.account(&creator).map_err(HostExit::from)?;
    let contract = Address::contract(&creator, account.nonce);
    account.nonce += 1;
    state.tx.overlay.set_account(&creator, &account);
    let create = ContractInstance { code_hash, admin: Some(creator), creator, label, created_at: state.env.height };
    let nested = Nested { contract, entry: EntryPoint::Instantiate, msg, funds, gas_limit: 0, create: Some(create) };
    let status = run_nested(&mut caller, nested)?;
    if status == code::OK {
        memory::write(memory::of(&caller)?.data_mut(&mut caller), out_ptr, &contract.0, "instantiate: out")?;
    }
    Ok(status)
}

/// Runs a nested frame and returns the caller's status code; the last result is set.
fn run_nested(caller: &mut Caller<'_, HostState>, nested: Nested) -> Result<i32, HostExit> {
    let fuel = caller.get_fuel().map_err(engine_fault)?;
    let gas_limit = if nested.gas_limit == 0 { fuel } else { nested.gas_limit.min(fuel) };
    let runtime = caller.data().runtime.clone();
    let env = caller.data().env;
    let state = caller.data_mut();
    let (contract, from, entry) = (nested.contract, state.frame.contract, nested.entry);
    let depth = state.frame.depth + 1;
    let read_only = state.frame.read_only || entry == EntryPoint::Query;

    let output = match admit(&runtime, state, depth, contract, entry, nested.create.as_ref())? {
        Err(status) => {
            let mut output = frame::refused(contract, from, entry, gas_limit, status, 0);
            output.trace.msg = nested.msg;
            output.trace.funds = nested.funds;
            output
        }
        Ok(module) => {
            let checkpoint = state.tx.overlay.checkpoint();
            if let Some(instance) = &nested.create {
                state.tx.overlay.set_instance(&contract, instance);
            }
            let output = if move_funds(&mut state.tx.overlay, &from, &contract, nested.funds)? {
                let input = nested.msg;
                let request = FrameRequest {
                    contract,
                    caller: from,
                    entry,
                    module,
                    input,
                    funds: nested.funds,
                    read_only,
                    depth,
                    gas_limit,
                };
                frame::run(&runtime, &mut state.tx, &env, request)?
            } else {
                let mut output = frame::refused(contract, from, entry, gas_limit, Status::InsufficientFunds, 0);
                output.trace.msg = nested.msg;
                output.trace.funds = nested.funds;
                output
            };
            if output.status.is_success() {
                state.tx.overlay.commit(checkpoint);
            } else {
                state.tx.overlay.revert_to(checkpoint);
            }
            output
        }
    };
    state.frame.last_result = match &output.status {
        Status::Success => output.return_data,
        status => status.caller_message().into_bytes(),
    };
    state.frame.children.push(output.trace);
    caller.set_fuel(fuel - output.gas_used.min(fuel)).map_err(engine_fault)?;
    Ok(output.status.call_code())
}

/// The checks before a nested frame may run; returns the callee's code.
fn admit(
    runtime: &Runtime,
    state: &mut HostState,
    depth: u32,
    contract: Address,
    entry: EntryPoint,
    create: Option<&ContractInstance>,
) -> Result<Result<Arc<CompiledModule>, Status>, HostExit> {
    let limits = &runtime.limits;
    if depth > limits.max_call_depth {
        let message = format!("call depth: at most {} frames", limits.max_call_depth);
        return Ok(Err(Status::LimitExceeded { message }));
    }
    let used = state.tx.native_stack_base.saturating_sub(stack_position());
    if used + limits.max_wasm_stack + HOST_STACK_RESERVE > limits.native_stack {
        let message = format!("native stack: {used} bytes in use, {} available", limits.native_stack);
        return Ok(Err(Status::LimitExceeded { message }));
    }
    let overlay = &state.tx.overlay;
    let code_hash = match create {
        Some(instance) => {
            if overlay.code_meta(&instance.code_hash)?.is_none() {
                return Ok(Err(Status::NotFound { message: format!("no code {}", instance.code_hash) }));
            }
            if overlay.instance(&contract)?.is_some() {
                let message = format!("an instance already exists at {contract}");
                return Ok(Err(Status::InvalidCall { message }));
            }
            instance.code_hash
        }
        None => match overlay.instance(&contract)? {
            Some(instance) => instance.code_hash,
            None => return Ok(Err(Status::NotFound { message: format!("no contract at {contract}") })),
        },
    };
    let Some(module) = runtime.module(&mut state.tx, &code_hash)? else {
        return Ok(Err(Status::NotFound { message: format!("no code {code_hash}") }));
    };
    if !module.has_entry(entry) {
        let message = format!("code {code_hash} has no `{}` entry point", entry.name());
        return Ok(Err(Status::NotFound { message }));
    }
    if state.tx.stack.contains(&contract) && !module.reentrant {
        return Ok(Err(Status::ReentryRefused { contract }));
    }
    Ok(Ok(module))
}

/// Roughly where the native stack is now (the address of a local).
pub(crate) fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}
