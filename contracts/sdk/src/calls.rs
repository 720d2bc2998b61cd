//! Calling other contracts: `execute` calls, read-only queries and instantiation, with typed
//! JSON in and out. A failed callee is an ordinary [`CallError`] the caller may handle: its
//! writes are already reverted, and this contract continues.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tidepool_abi::call as status;

use crate::{Address, ContractError, sys};

/// How a call to another contract ended, when it did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// The callee aborted; the error's message is its message.
    Reverted,
    /// The callee ran out of gas.
    OutOfGas,
    /// The callee trapped.
    Trapped,
    /// The callee hit a limit (memory, depth, sizes).
    Limit,
    /// The callee is already on the call stack and did not opt in to re-entry.
    ReentryRefused,
    /// No contract at that address, no such code, or no such entry point.
    NotFound,
    /// Not enough native funds to attach.
    InsufficientFunds,
    /// A status this SDK does not know.
    Unknown(i32),
}

impl CallStatus {
    fn from_code(code: i32) -> Self {
        match code {
            status::REVERTED => Self::Reverted,
            status::OUT_OF_GAS => Self::OutOfGas,
            status::TRAPPED => Self::Trapped,
            status::LIMIT => Self::Limit,
            status::REENTRY_REFUSED => Self::ReentryRefused,
            status::NOT_FOUND => Self::NotFound,
            status::INSUFFICIENT_FUNDS => Self::InsufficientFunds,
            other => Self::Unknown(other),
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reverted => f.write_str("reverted"),
            Self::OutOfGas => f.write_str("out of gas"),
            Self::Trapped => f.write_str("trapped"),
            Self::Limit => f.write_str("limit exceeded"),
            Self::ReentryRefused => f.write_str("re-entry refused"),
            Self::NotFound => f.write_str("not found"),
            Self::InsufficientFunds => f.write_str("insufficient funds"),
            Self::Unknown(code) => write!(f, "status {code}"),
        }
    }
}

/// A call, query or instantiation of another contract that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// The contract called (or, for instantiation, the zero address).
    pub contract: Address,
    /// How it ended.
    pub status: CallStatus,
    /// The callee's message (for [`CallStatus::Reverted`]) or the host's.
    pub message: String,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call to {} {}", self.contract, self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// The last result of a call: the callee's return data or its error message.
fn last_result() -> Vec<u8> {
    // SAFETY: the host writes exactly `result_len` bytes into a buffer of that capacity.
    unsafe {
        let len = sys::result_len().max(0) as usize;
        let mut buf = Vec::with_capacity(len);
        sys::result_read(buf.as_mut_ptr());
        buf.set_len(len);
        buf
    }
}

fn outcome(contract: Address, code: i32) -> Result<Vec<u8>, CallError> {
    let result = last_result();
    if code == status::OK {
        Ok(result)
    } else {
        let message = String::from_utf8_lossy(&result).into_owned();
        Err(CallError { contract, status: CallStatus::from_code(code), message })
    }
}

fn to_json(msg: &impl Serialize) -> Result<Vec<u8>, ContractError> {
    serde_json::to_vec(msg).map_err(|e| ContractError::serde("call message", e))
}

/// Calls `execute` on `contract` with raw bytes, attaching `funds` native units, with at most
/// `gas_limit` gas (0: all that is left). Returns the callee's return data.
///
/// # Errors
/// A [`CallError`] if the callee did not succeed.
pub fn call_raw(contract: &Address, msg: &[u8], funds: u128, gas_limit: u64) -> Result<Vec<u8>, CallError> {
    let funds = funds.to_le_bytes();
    // SAFETY: a 20-byte address, a valid slice and a 16-byte amount.
    let code = unsafe {
        sys::call(
            contract.0.as_ptr(),
            msg.as_ptr(),
            msg.len() as i32,
            funds.as_ptr(),
            gas_limit.min(i64::MAX as u64) as i64,
        )
    };
    outcome(*contract, code)
}

/// Calls `execute` on `contract` with `msg` as JSON and all gas left. Returns the callee's
/// return data (empty if it set none).
///
/// # Errors
/// [`ContractError::Call`] if the callee did not succeed.
pub fn call(contract: &Address, msg: &impl Serialize, funds: u128) -> Result<Vec<u8>, ContractError> {
    Ok(call_raw(contract, &to_json(msg)?, funds, 0)?)
}

/// Queries `contract` with `msg` as JSON and parses its JSON answer.
///
/// # Errors
/// [`ContractError::Call`] if the callee failed; [`ContractError::Serde`] if the answer is not an `R`.
pub fn query<R: DeserializeOwned>(contract: &Address, msg: &impl Serialize) -> Result<R, ContractError> {
    let msg = to_json(msg)?;
    // SAFETY: a 20-byte address and a valid slice.
    let code = unsafe { sys::query(contract.0.as_ptr(), msg.as_ptr(), msg.len() as i32) };
    let data = outcome(*contract, code)?;
    serde_json::from_slice(&data).map_err(|e| ContractError::serde("query answer", e))
}

/// Creates a contract from uploaded code (`code_hash`), with this contract as its admin, and
/// returns its address.
///
/// # Errors
/// [`ContractError::Call`] if the code is unknown or its `instantiate` failed.
pub fn instantiate(
    code_hash: &[u8; 32],
    msg: &impl Serialize,
    funds: u128,
    label: &str,
) -> Result<Address, ContractError> {
    let msg = to_json(msg)?;
    let funds = funds.to_le_bytes();
    let mut out = [0u8; 20];
    // SAFETY: fixed-size buffers as the ABI requires, and valid slices.
    let code = unsafe {
        sys::instantiate(
            code_hash.as_ptr(),
            msg.as_ptr(),
            msg.len() as i32,
            funds.as_ptr(),
            label.as_ptr(),
            label.len() as i32,
            out.as_mut_ptr(),
        )
    };
    outcome(Address::ZERO, code)?;
    Ok(Address(out))
}
