//! [`MockError`]: why a [`MockChain`](super::MockChain) call did not succeed, and
//! [`TxResultExt`], the Sandbox's `expect_success` / `expect_error` on call results.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use tidepool_abi::call as status;

/// How a call failed (the Sandbox's kinds, less out-of-gas: the mock meters no gas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Refused before any contract ran: no contract at the address, a sender who cannot pay
    /// the attached funds, a message that does not serialize.
    Rejected,
    /// The contract aborted (an error from its handler, or a panic) or hit the call-depth
    /// limit; everything the call did was rolled back.
    Reverted,
    /// A query failed.
    QueryFailed,
    /// The call succeeded but its answer did not decode as the requested type.
    Decode,
}

/// Why a [`MockChain`](super::MockChain) call did not succeed: `Display` is the message, with
/// the Sandbox's prefixes (`reverted: insufficient balance: have 0, need 5`).
#[derive(Clone, PartialEq, Eq)]
pub struct MockError {
    kind: ErrorKind,
    message: String,
    logs: Vec<String>,
}

impl MockError {
    pub(super) fn new(kind: ErrorKind, message: String) -> MockError {
        MockError { kind, message, logs: Vec::new() }
    }

    /// A failed frame's status and message, as a top-level call or query sees it.
    pub(super) fn from_status(code: i32, message: &str, query: bool, logs: Vec<String>) -> MockError {
        let (kind, prefix) = match code {
            status::NOT_FOUND | status::INSUFFICIENT_FUNDS => (ErrorKind::Rejected, "rejected"),
            _ if query => (ErrorKind::QueryFailed, "reverted"),
            _ => (ErrorKind::Reverted, "reverted"),
        };
        MockError { kind, message: alloc::format!("{prefix}: {message}"), logs }
    }

    /// How it failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What went wrong, e.g. `reverted: unauthorized: only the owner can do this`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Debug lines the contracts logged, as `0x…: line` (reverted frames included).
    pub fn logs(&self) -> &[String] {
        &self.logs
    }

    /// Whether the message contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.message.contains(text)
    }

    /// Panics unless the message contains `text`. Returns `self`.
    ///
    /// # Panics
    /// If it does not.
    #[track_caller]
    pub fn assert_message(&self, text: &str) -> &Self {
        assert!(self.contains(text), "expected an error containing {text:?}, got:\n{self:?}");
        self
    }
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)?;
        for line in &self.logs {
            write!(f, "\n  log {line}")?;
        }
        Ok(())
    }
}

/// Assertions on the `Result` of a mock call, as the Sandbox's `TxResultExt`.
pub trait TxResultExt<T> {
    /// The success value; panics with the failure otherwise.
    ///
    /// # Panics
    /// If the call failed.
    fn expect_success(self) -> T;

    /// The error, which must contain `text`; panics otherwise (a success, or another error).
    ///
    /// # Panics
    /// If the call succeeded or failed differently.
    fn expect_error(self, text: &str) -> MockError;
}

impl<T: fmt::Debug> TxResultExt<T> for Result<T, MockError> {
    #[track_caller]
    fn expect_success(self) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("expected success, got:\n{error:?}"),
        }
    }

    #[track_caller]
    fn expect_error(self, text: &str) -> MockError {
        match self {
            Ok(value) => panic!("expected an error containing {text:?}, but the call succeeded:\n{value:?}"),
            Err(error) => {
                error.assert_message(text);
                error
            }
        }
    }
}
