//! The SDK's error type. Entry points turn any error into an abort with its message, so the
//! messages are what a user sees in a receipt: they say what went wrong and with what.

use alloc::string::{String, ToString};
use core::fmt;

use crate::calls::CallError;

/// An error from an SDK operation or a contract's own check.
///
/// Contracts can return it directly (`ContractError::msg("...")`) or wrap it in their own error
/// enum (implement `From<ContractError>`); the entry-point macro accepts any error that
/// implements [`core::fmt::Display`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractError {
    /// A storage entry that must exist does not.
    NotFound {
        /// What was looked up (e.g. the storage key's namespace).
        what: String,
    },
    /// A message, storage value or result that could not be (de)serialized.
    Serde {
        /// What was being (de)serialized.
        what: String,
        /// serde_json's message.
        message: String,
    },
    /// A call, query or instantiation of another contract that did not succeed.
    Call(CallError),
    /// A native transfer larger than the contract's balance.
    InsufficientFunds,
    /// An arithmetic overflow or division by zero.
    Overflow,
    /// Any other failure, with its message.
    Msg(String),
}

impl ContractError {
    /// An error with a free-form message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::Msg(message.into())
    }

    pub(crate) fn serde(what: &str, err: serde_json::Error) -> Self {
        Self::Serde { what: what.into(), message: err.to_string() }
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { what } => write!(f, "not found: {what}"),
            Self::Serde { what, message } => write!(f, "invalid {what}: {message}"),
            Self::Call(err) => write!(f, "{err}"),
            Self::InsufficientFunds => f.write_str("insufficient native funds"),
            Self::Overflow => f.write_str("arithmetic overflow"),
            Self::Msg(m) => f.write_str(m),
        }
    }
}

impl From<OverflowError> for ContractError {
    fn from(_: OverflowError) -> Self {
        Self::Overflow
    }
}

impl From<CallError> for ContractError {
    fn from(err: CallError) -> Self {
        Self::Call(err)
    }
}

/// An arithmetic result that does not fit (past the type's maximum, below zero) or a division by
/// zero: the error of [`Uint128`](crate::Uint128)'s and [`Uint256`](crate::Uint256)'s `checked_*`
/// methods. `?` turns it into [`ContractError::Overflow`]; contracts with their own error type
/// add a `From<OverflowError>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverflowError;

impl fmt::Display for OverflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("arithmetic overflow")
    }
}

/// Returns early with a [`ContractError::Msg`] (or any error built from the given expression)
/// unless the condition holds.
///
/// ```ignore
/// ensure!(amount > 0, "amount must be positive");
/// ensure!(caller == owner, MyError::Unauthorized);
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $msg:literal $(,)?) => {
        if !$cond {
            return Err($crate::ContractError::msg($msg).into());
        }
    };
    ($cond:expr, $err:expr $(,)?) => {
        if !$cond {
            return Err(($err).into());
        }
    };
}
