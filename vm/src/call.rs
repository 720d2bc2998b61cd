//! A top-level call: [`Env`], [`Call`], [`CallKind`], and the steps around the first frame.
//!
//! In order: refuse oversized messages and funds where they make no sense; charge the kind's fixed cost; take a
//! checkpoint; resolve the contract and code (creating the instance, or swapping its code for
//! a migrate); move the attached funds from the sender; run the frame; then keep the
//! checkpoint's changes (collecting the write set and events first) or revert to it.

use std::sync::Arc;

use tidepool_ledger::{Address, ContractInstance, Event, Hash};

use crate::cache::CompiledModule;
use crate::error::VmError;
use crate::frame::{self, EntryPoint, FrameOutput, FrameRequest};
use crate::host::{TxState, move_funds};
use crate::outcome::{Outcome, Status};
use crate::vm::Runtime;

/// The block and transaction a call runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Env {
    /// Chain id.
    pub chain_id: u64,
    /// Block height.
    pub height: u64,
    /// Block time, Unix seconds.
    pub time: u64,
    /// The transaction's signer.
    pub origin: Address,
}

/// One top-level call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Who calls: the transaction's sender.
    pub sender: Address,
    /// The contract; for [`CallKind::Instantiate`], the new contract's address (the node
    /// derives it).
    pub contract: Address,
    /// What to do.
    pub kind: CallKind,
    /// The input message (JSON by convention).
    pub msg: Vec<u8>,
    /// Native funds moved from the sender to the contract (instantiate and execute only).
    pub funds: u128,
    /// Gas available.
    pub gas_limit: u64,
}

/// The kinds of top-level call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// Create an instance of uploaded code at `Call::contract` and run its `instantiate`.
    Instantiate {
        /// The code.
        code_hash: Hash,
        /// Who may migrate it.
        admin: Option<Address>,
        /// A label, at most [`crate::Limits::max_label_len`] bytes.
        label: String,
    },
    /// Run `execute`.
    Execute,
    /// Run `query`, read-only.
    Query,
    /// Move the instance to new code and run the new code's `migrate` (admin only).
    Migrate {
        /// The new code.
        new_code_hash: Hash,
    },
}

impl CallKind {
    fn entry_point(&self) -> EntryPoint {
        match self {
            CallKind::Instantiate { .. } => EntryPoint::Instantiate,
            CallKind::Execute => EntryPoint::Execute,
            CallKind::Query => EntryPoint::Query,
            CallKind::Migrate { .. } => EntryPoint::Migrate,
        }
    }
}

/// Runs `call` with `tx` (which holds the overlay). Logs are added by the caller.
pub(crate) fn execute(runtime: &Arc<Runtime>, tx: &mut TxState, env: &Env, call: Call) -> Result<Outcome, VmError> {
    let entry = call.kind.entry_point();
    let refuse = |status: Status, gas_used: u64| {
        let mut frame = frame::refused(call.contract, call.sender, entry, call.gas_limit, status, gas_used);
        frame.trace.msg = call.msg.clone();
        frame.trace.funds = call.funds;
        Ok(outcome(frame, Vec::new()))
    };
    let max_message = runtime.limits.max_message_len as usize;
    if call.msg.len() > max_message {
        let message = format!("message: {} bytes, at most {max_message} allowed", call.msg.len());
        return refuse(Status::LimitExceeded { message }, 0);
    }
    if call.funds > 0 && matches!(call.kind, CallKind::Query | CallKind::Migrate { .. }) {
        let message = format!("funds cannot be attached to `{}`", entry.name());
        return refuse(Status::InvalidCall { message }, 0);
    }
    let fixed_cost = match call.kind {
        CallKind::Instantiate { .. } => runtime.gas.instantiate_base,
        _ => 0,
    };
    if call.gas_limit < fixed_cost {
        tx.inconclusive = true;
        return refuse(Status::OutOfGas, call.gas_limit);
    }

    let checkpoint = tx.overlay.checkpoint();
    let module = match resolve(runtime, tx, env, &call, entry)? {
        Ok(module) => module,
        Err(status) => {
            tx.overlay.revert_to(checkpoint);
            return refuse(status, fixed_cost);
        }
    };
    let request = FrameRequest {
        contract: call.contract,
        caller: call.sender,
        entry,
        module,
        input: call.msg,
        funds: call.funds,
        read_only: entry == EntryPoint::Query,
        depth: 1,
        gas_limit: call.gas_limit - fixed_cost,
    };
    let mut output = match move_funds(&mut tx.overlay, &call.sender, &call.contract, call.funds) {
        Ok(true) => frame::run(runtime, tx, env, request)?,
        Ok(false) => FrameOutput::refused(&request, Status::InsufficientFunds, 0),
        Err(exit) => FrameOutput::refused(&request, exit.into_status()?, 0),
    };
    output.gas_used = match output.status {
        Status::OutOfGas => call.gas_limit,
        _ => fixed_cost + output.gas_used,
    };
    output.trace.gas_limit = call.gas_limit;
    output.trace.gas_used = output.gas_used;

    if output.status.is_success() {
        let events = tx.overlay.events().get(checkpoint.events_len..).unwrap_or_default().to_vec();
        tx.overlay.commit(checkpoint);
        Ok(outcome(output, events))
    } else {
        tx.overlay.revert_to(checkpoint);
        Ok(outcome(output, Vec::new()))
    }
}

fn outcome(frame: FrameOutput, events: Vec<Event>) -> Outcome {
    Outcome {
        status: frame.status,
        gas_used: frame.gas_used,
        return_data: frame.return_data,
        events,
        trace: frame.trace,
        logs: Vec::new(),
    }
}

/// Finds the code to run, writing the instance (instantiate) or its new code hash (migrate).
/// `Ok(Err(status))` when the call cannot run.
fn resolve(
    runtime: &Runtime,
    tx: &mut TxState,
    env: &Env,
    call: &Call,
    entry: EntryPoint,
) -> Result<Result<Arc<CompiledModule>, Status>, VmError> {
    let not_found = |message: String| Ok(Err(Status::NotFound { message }));
    let overlay = &mut tx.overlay;
    let code_hash = match &call.kind {
        CallKind::Instantiate { code_hash, admin, label } => {
            if label.len() > runtime.limits.max_label_len as usize {
                let message = format!("label: {} bytes, at most {} allowed", label.len(), runtime.limits.max_label_len);
                return Ok(Err(Status::LimitExceeded { message }));
            }
            if overlay.instance(&call.contract)?.is_some() {
                let message = format!("an instance already exists at {}", call.contract);
                return Ok(Err(Status::InvalidCall { message }));
            }
            if overlay.code_meta(code_hash)?.is_none() {
                return not_found(format!("no code {code_hash}"));
            }
            let instance = ContractInstance {
                code_hash: *code_hash,
                admin: *admin,
                creator: call.sender,
                label: label.clone(),
                created_at: env.height,
            };
            overlay.set_instance(&call.contract, &instance);
            *code_hash
        }
        CallKind::Execute | CallKind::Query => match overlay.instance(&call.contract)? {
            Some(instance) => instance.code_hash,
            None => return not_found(format!("no contract at {}", call.contract)),
        },
        CallKind::Migrate { new_code_hash } => {
            let Some(mut instance) = overlay.instance(&call.contract)? else {
                return not_found(format!("no contract at {}", call.contract));
            };
            match instance.admin {
                Some(admin) if admin == call.sender => {}
                Some(admin) => {
                    let message = format!("only the admin {admin} may migrate {}", call.contract);
                    return Ok(Err(Status::Unauthorized { message }));
                }
                None => {
                    let message = format!("{} has no admin and cannot be migrated", call.contract);
                    return Ok(Err(Status::Unauthorized { message }));
                }
            }
            if overlay.code_meta(new_code_hash)?.is_none() {
                return not_found(format!("no code {new_code_hash}"));
            }
            instance.code_hash = *new_code_hash;
            overlay.set_instance(&call.contract, &instance);
            *new_code_hash
        }
    };
    let Some(module) = runtime.module(tx, &code_hash)? else {
        return not_found(format!("no code {code_hash}"));
    };
    if !module.has_entry(entry) {
        return not_found(format!("code {code_hash} has no `{}` entry point", entry.name()));
    }
    Ok(Ok(module))
}
