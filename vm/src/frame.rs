//! One contract frame: a fresh store and instance, one entry point, and how it ended.
//!
//! Every frame — top-level or nested — runs in its own wasmtime `Store`, created here and
//! dropped when the frame ends, so its instance slot returns to the pool at once. The
//! transaction state ([`TxState`]: the overlay and friends) moves into the store for the
//! frame's duration and back out afterwards (`store.into_data()`), as STYLE.md suggests. The
//! caller takes the checkpoint and decides to keep or revert; this module only runs.

use std::sync::Arc;

use tidepool_abi::entry;
use tidepool_ledger::Address;
use wasmtime::{Extern, PoolConcurrencyLimitError, Store, Trap};

use crate::cache::CompiledModule;
use crate::call::Env;
use crate::error::VmError;
use crate::host::{FrameContext, GrowthLimiter, HostExit, HostState, TxState};
use crate::outcome::{CallFrame, Status};
use crate::vm::Runtime;

/// A contract entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryPoint {
    /// `instantiate`
    Instantiate,
    /// `execute`
    Execute,
    /// `query`
    Query,
    /// `migrate`
    Migrate,
}

impl EntryPoint {
    /// Every entry point, in [`entry::ALL`] order.
    pub(crate) const ALL: [EntryPoint; 4] =
        [EntryPoint::Instantiate, EntryPoint::Execute, EntryPoint::Query, EntryPoint::Migrate];

    /// The export name.
    pub(crate) fn name(self) -> &'static str {
        entry::ALL[self as usize]
    }
}

/// What to run.
pub(crate) struct FrameRequest {
    /// The contract.
    pub contract: Address,
    /// Who calls it.
    pub caller: Address,
    /// Which entry point.
    pub entry: EntryPoint,
    /// Its compiled code (the caller has checked that `entry` is exported).
    pub module: Arc<CompiledModule>,
    /// The input message.
    pub input: Vec<u8>,
    /// Funds attached (already moved by the caller).
    pub funds: u128,
    /// Nothing may change.
    pub read_only: bool,
    /// 1 for the top-level frame.
    pub depth: u32,
    /// Gas for this frame, its children included.
    pub gas_limit: u64,
}

/// How a frame ended.
pub(crate) struct FrameOutput {
    /// Success or why not.
    pub status: Status,
    /// Gas used, children included; the whole limit when out of gas.
    pub gas_used: u64,
    /// What the entry point returned (empty unless successful).
    pub return_data: Vec<u8>,
    /// The frame and its children, for the trace.
    pub trace: CallFrame,
}

impl FrameOutput {
    /// A frame that ended before running any code.
    pub(crate) fn refused(request: &FrameRequest, status: Status, gas_used: u64) -> FrameOutput {
        let mut output = refused(request.contract, request.caller, request.entry, request.gas_limit, status, gas_used);
        output.trace.msg = request.input.clone();
        output.trace.funds = request.funds;
        output
    }
}

/// A frame that ended before running any code (no contract, no entry point, no funds, ...).
pub(crate) fn refused(
    contract: Address,
    caller: Address,
    entry: EntryPoint,
    gas_limit: u64,
    status: Status,
    gas_used: u64,
) -> FrameOutput {
    let mut trace = CallFrame::new(contract, caller, entry.name(), gas_limit);
    trace.finish(&status, gas_used);
    FrameOutput { status, gas_used, return_data: Vec::new(), trace }
}

/// Runs one frame. `tx` is moved into the frame's store and back.
///
/// # Errors
/// Only host failures ([`VmError`]); everything the contract does is in the output's status.
pub(crate) fn run(
    runtime: &Arc<Runtime>,
    tx: &mut TxState,
    env: &Env,
    request: FrameRequest,
) -> Result<FrameOutput, VmError> {
    let frame_base = runtime.gas.frame_base;
    if request.gas_limit < frame_base {
        tx.inconclusive = true;
        return Ok(FrameOutput::refused(&request, Status::OutOfGas, request.gas_limit));
    }
    tx.stack.push(request.contract);
    let state = HostState {
        runtime: runtime.clone(),
        env: *env,
        tx: std::mem::take(tx),
        frame: FrameContext::new(
            request.contract,
            request.caller,
            request.funds,
            request.read_only,
            request.depth,
            request.input,
        ),
        memory: None,
        limiter: GrowthLimiter {
            max_memory_bytes: runtime.limits.max_memory_bytes(),
            max_table_elements: runtime.limits.max_table_elements as usize,
        },
    };
    let mut store = Store::new(&runtime.engine, state);
    store.limiter(|state| &mut state.limiter);
    let fuel = request.gas_limit - frame_base;
    let result = match store.set_fuel(fuel) {
        Ok(()) => invoke(&mut store, &request.module, request.entry),
        Err(error) => Err(error),
    };
    let fuel_left = store.get_fuel().unwrap_or(0);
    let mut state = store.into_data();
    *tx = std::mem::take(&mut state.tx);
    tx.stack.pop();

    let status = match result {
        Ok(()) => Status::Success,
        Err(error) => classify(error, runtime)?,
    };
    // Out of gas, or all of it used: wasmtime checks fuel only at calls and loop heads, so a
    // frame may end having spent a little more than it had, and is charged its whole limit.
    // Either way, with more gas the frame could have done or been charged otherwise.
    if status == Status::OutOfGas || fuel_left == 0 {
        tx.inconclusive = true;
    }
    let gas_used = match status {
        Status::OutOfGas => request.gas_limit,
        _ => request.gas_limit - fuel_left.min(fuel),
    };
    let mut trace = CallFrame::new(request.contract, request.caller, request.entry.name(), request.gas_limit);
    let frame = state.frame;
    let return_data = if status.is_success() { frame.return_data } else { Vec::new() };
    trace.msg = frame.input;
    trace.funds = request.funds;
    trace.return_data = return_data.clone();
    trace.events = frame.events;
    trace.logs = frame.logs;
    trace.children = frame.children;
    trace.finish(&status, gas_used);
    Ok(FrameOutput { status, gas_used, return_data, trace })
}

/// Instantiates the module in `store` and calls `entry`.
fn invoke(store: &mut Store<HostState>, module: &CompiledModule, entry: EntryPoint) -> wasmtime::Result<()> {
    let instance = module.pre.instantiate(&mut *store)?;
    let memory = match instance.get_module_export(&mut *store, module.memory_export()) {
        Some(Extern::Memory(memory)) => memory,
        _ => return Err(HostExit::Trap("the module exports no memory".into()).into()),
    };
    store.data_mut().memory = Some(memory);
    let Some(Extern::Func(func)) = module.entry_export(entry).and_then(|e| instance.get_module_export(&mut *store, e))
    else {
        return Err(HostExit::Trap(format!("the module exports no `{}` function", entry.name())).into());
    };
    func.typed::<(), ()>(&*store)?.call(&mut *store, ())
}

/// Turns what ended a frame into its status; a host failure stays an error.
fn classify(error: wasmtime::Error, runtime: &Runtime) -> Result<Status, VmError> {
    let error = match error.downcast::<HostExit>() {
        Ok(exit) => return exit.into_status(),
        Err(error) => error,
    };
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return Ok(match trap {
            Trap::OutOfFuel => Status::OutOfGas,
            Trap::StackOverflow => Status::LimitExceeded {
                message: format!("wasm stack: exhausted the {} KiB of a frame", runtime.limits.max_wasm_stack / 1024),
            },
            trap => {
                let text = trap.to_string();
                Status::Trapped { message: text.strip_prefix("wasm trap: ").unwrap_or(&text).to_owned() }
            }
        });
    }
    if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        return Err(VmError::InstancePoolExhausted(format!("{error:#}")));
    }
    Err(VmError::Engine(format!("{error:#}")))
}
