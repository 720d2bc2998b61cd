//! The host side of the contract ABI ([`tidepool_abi`]): the state a frame's wasmtime `Store`
//! carries, and the host functions, one module per group.
//!
//! Start with [`HostState`]: [`TxState`] is what the whole top-level call shares (the overlay,
//! the call stack, logs) and moves from frame to frame; [`FrameContext`] is this frame's own
//! (input, return data, last result, iterators, trace children). Each host function follows
//! the same order — charge gas, check the limit, then touch memory or state — and ends the
//! frame by returning a [`HostExit`], never by panicking.
//!
//! Groups: [`io`] (input, return, abort, results, debug log), [`storage`], [`context`] (who,
//! when, funds, gas, native balance and transfer), [`calls`] (call, query, instantiate),
//! [`events`], [`crypto`]. Which functions exist, with which types, is not decided here but in
//! [`tidepool_abi::host::FUNCTIONS`]: [`imports`] builds the linker from that table.

mod calls;
mod context;
mod crypto;
mod cursor;
mod events;
mod imports;
mod io;
mod memory;
mod storage;

use std::sync::Arc;

use tidepool_ledger::{Address, Event, LedgerError, Overlay};
use wasmtime::{Caller, Memory, ResourceLimiter};

use crate::call::Env;
use crate::error::VmError;
use crate::gas::GasSchedule;
use crate::outcome::{CallFrame, Status};
use crate::vm::Runtime;

pub(crate) use calls::stack_position;
pub(crate) use context::move_funds;
use cursor::IterCursor;
pub(crate) use imports::linker;

/// The data of one frame's `Store`.
pub(crate) struct HostState {
    /// Engine, cache, schedule, limits.
    pub runtime: Arc<Runtime>,
    /// Block and transaction context.
    pub env: Env,
    /// Shared by every frame of the top-level call; moved into each frame's store in turn.
    pub tx: TxState,
    /// This frame.
    pub frame: FrameContext,
    /// The instance's exported memory, set right after instantiation.
    pub memory: Option<Memory>,
    /// Caps linear memory and table growth.
    pub limiter: GrowthLimiter,
}

/// What every frame of one top-level call shares.
#[derive(Default)]
pub(crate) struct TxState {
    /// The state, with a checkpoint per frame.
    pub overlay: Overlay,
    /// Contracts on the call stack, outermost first (for the re-entry check).
    pub stack: Vec<Address>,
    /// Number of overlay events when the top-level call began (for the per-call event cap).
    pub events_base: usize,
    /// Debug-log lines, as `address: line`.
    pub logs: Vec<String>,
    /// Address of a local in `Vm::call`: where the native stack budget is measured from.
    pub native_stack_base: usize,
    /// A quick call ([`crate::Vm::try_quick_call`]): only modules already in memory run.
    pub quick: bool,
    /// The outcome might differ from the same call with more gas or with every module at
    /// hand: a frame ran out of gas or used all of it, a contract read `gas_left`, or a quick
    /// call met a module not in memory.
    pub inconclusive: bool,
}

/// One frame's own state.
pub(crate) struct FrameContext {
    /// This contract.
    pub contract: Address,
    /// Who called it.
    pub caller: Address,
    /// Funds attached to this call.
    pub funds: u128,
    /// A query (or called from one): nothing may change.
    pub read_only: bool,
    /// 1 for the top-level frame.
    pub depth: u32,
    /// The input message.
    pub input: Vec<u8>,
    /// What `set_return` set.
    pub return_data: Vec<u8>,
    /// The last nested call's return data or error message.
    pub last_result: Vec<u8>,
    /// Open storage iterators, by handle.
    pub iterators: Vec<Option<IterCursor>>,
    /// Frames this frame called, for the trace.
    pub children: Vec<CallFrame>,
    /// Events this frame emitted itself, for the trace.
    pub events: Vec<Event>,
    /// Debug-log lines this frame wrote itself, for the trace.
    pub logs: Vec<String>,
}

impl FrameContext {
    /// A frame about to run: who calls which contract with what, nothing returned or
    /// recorded yet.
    pub(crate) fn new(
        contract: Address,
        caller: Address,
        funds: u128,
        read_only: bool,
        depth: u32,
        input: Vec<u8>,
    ) -> FrameContext {
        FrameContext {
            contract,
            caller,
            funds,
            read_only,
            depth,
            input,
            return_data: Vec::new(),
            last_result: Vec::new(),
            iterators: Vec::new(),
            children: Vec::new(),
            events: Vec::new(),
            logs: Vec::new(),
        }
    }
}

/// Why a host function ended the frame.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostExit {
    /// The contract called `abort`.
    #[error("reverted: {0}")]
    Abort(String),
    /// Gas ran out in a host function.
    #[error("out of gas")]
    OutOfGas,
    /// A limit was hit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A host function refused its input (bad pointer, bad encoding, a write in a query).
    #[error("trapped: {0}")]
    Trap(String),
    /// The host itself failed; the whole top-level call fails with this error.
    #[error("host failure: {0}")]
    Fatal(#[from] VmError),
}

impl From<LedgerError> for HostExit {
    fn from(error: LedgerError) -> HostExit {
        HostExit::Fatal(VmError::Ledger(error))
    }
}

impl HostExit {
    /// The frame's status, or the host error to pass up.
    pub(crate) fn into_status(self) -> Result<Status, VmError> {
        Ok(match self {
            HostExit::Abort(message) => Status::Reverted { message },
            HostExit::OutOfGas => Status::OutOfGas,
            HostExit::Limit(message) => Status::LimitExceeded { message },
            HostExit::Trap(message) => Status::Trapped { message },
            HostExit::Fatal(error) => return Err(error),
        })
    }
}

/// Caps linear memory and tables per frame. Growth past a cap ends the frame with a limit
/// status (rather than `memory.grow` returning -1), so the reason is visible in the outcome.
pub(crate) struct GrowthLimiter {
    pub max_memory_bytes: usize,
    pub max_table_elements: usize,
}

impl ResourceLimiter for GrowthLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            let pages = |bytes: usize| bytes / (64 * 1024);
            return Err(HostExit::Limit(format!(
                "memory: growing to {} pages, at most {} allowed",
                pages(desired),
                pages(self.max_memory_bytes)
            ))
            .into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_table_elements {
            let message = format!("table: growing to {desired} elements, at most {} allowed", self.max_table_elements);
            return Err(HostExit::Limit(message).into());
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// Charges gas before a host function does its work: `cost` is computed from the schedule.
/// Running out sets the fuel to zero and ends the frame.
pub(crate) fn charge(
    caller: &mut Caller<'_, HostState>,
    cost: impl FnOnce(&GasSchedule) -> u64,
) -> Result<(), HostExit> {
    let cost = cost(&caller.data().runtime.gas);
    let left = caller.get_fuel().map_err(engine_fault)?;
    match left.checked_sub(cost) {
        Some(rest) => caller.set_fuel(rest).map_err(engine_fault),
        None => {
            caller.set_fuel(0).map_err(engine_fault)?;
            Err(HostExit::OutOfGas)
        }
    }
}

/// Ends the frame with a trap if it is read-only: `what` is the refused operation.
pub(crate) fn require_writable(caller: &Caller<'_, HostState>, what: &str) -> Result<(), HostExit> {
    if caller.data().frame.read_only {
        return Err(HostExit::Trap(format!("{what} is not allowed in a read-only call (query)")));
    }
    Ok(())
}

/// A length argument checked against a cap, as `usize`. The guest passes an `i32`; negative
/// values read as huge and fail the cap.
pub(crate) fn capped_len(len: i32, max: u32, what: &str) -> Result<usize, HostExit> {
    let len = len as u32;
    if len > max {
        return Err(HostExit::Limit(format!("{what}: {len} bytes, at most {max} allowed")));
    }
    Ok(len as usize)
}

/// A wasmtime failure inside a host function: the host is broken.
pub(crate) fn engine_fault(error: wasmtime::Error) -> HostExit {
    HostExit::Fatal(VmError::Engine(format!("{error:#}")))
}
