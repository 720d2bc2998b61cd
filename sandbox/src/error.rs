//! [`SandboxError`]: why a Sandbox transaction or query did not succeed — the message, its
//! [`ErrorKind`], and (when a contract ran) the receipt, call tree and logs. `{:?}` prints a
//! readable trace, so `unwrap()` on a failed call shows what went wrong where.

use std::fmt;

use tidepool_node::trace::TraceFrame;
use tidepool_vm::Outcome;

use super::trace::{Names, Report};
use tidepool_node::error::NodeError;
use tidepool_node::receipt::{Receipt, ReceiptStatus};

/// How a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The node refused the transaction before running it (bad nonce, insufficient funds,
    /// unknown contract, invalid code, …): nothing changed, not even the nonce.
    /// [`SandboxError::node_error`] has the node's error.
    Rejected,
    /// The contract aborted, trapped, hit a limit or refused re-entry: the transaction was
    /// mined, its nonce advanced, and everything else it did was reverted.
    Reverted,
    /// The transaction ran out of gas: mined, nonce advanced, everything else reverted.
    OutOfGas,
    /// A query failed (the contract returned an error, trapped, or ran out of query gas).
    QueryFailed,
    /// The call succeeded but its answer did not decode as the requested type.
    Decode,
}

/// Why a Sandbox call did not succeed. `Display` is the message; `Debug` is the message plus
/// the readable trace.
pub struct SandboxError(Box<Failure>);

/// Boxed, so `Result<_, SandboxError>` stays one pointer wide on the error side.
struct Failure {
    kind: ErrorKind,
    message: String,
    receipt: Option<Receipt>,
    query_outcome: Option<Outcome>,
    node_error: Option<NodeError>,
    names: Names,
}

impl SandboxError {
    pub(crate) fn rejected(error: NodeError, names: &Names) -> SandboxError {
        SandboxError::rejected_as(error.to_string(), error, names)
    }

    /// A rejection whose message says `reason` in the Sandbox's terms rather than the node's
    /// `error` (which [`SandboxError::node_error`] still has).
    pub(crate) fn rejected_as(reason: String, error: NodeError, names: &Names) -> SandboxError {
        SandboxError(Box::new(Failure {
            kind: ErrorKind::Rejected,
            message: format!("rejected: {reason}"),
            receipt: None,
            query_outcome: None,
            node_error: Some(error),
            names: names.clone(),
        }))
    }

    pub(crate) fn failed(receipt: Receipt, names: &Names) -> SandboxError {
        let kind = if receipt.status == ReceiptStatus::OutOfGas { ErrorKind::OutOfGas } else { ErrorKind::Reverted };
        SandboxError(Box::new(Failure {
            kind,
            message: receipt.error.clone().unwrap_or_else(|| "failed".to_owned()),
            receipt: Some(receipt),
            query_outcome: None,
            node_error: None,
            names: names.clone(),
        }))
    }

    pub(crate) fn query_failed(outcome: Outcome, names: &Names) -> SandboxError {
        SandboxError(Box::new(Failure {
            kind: ErrorKind::QueryFailed,
            message: outcome.status.message(),
            receipt: None,
            query_outcome: Some(outcome),
            node_error: None,
            names: names.clone(),
        }))
    }

    pub(crate) fn decode(json: &serde_json::Value, type_name: &str, error: &serde_json::Error) -> SandboxError {
        SandboxError(Box::new(Failure {
            kind: ErrorKind::Decode,
            message: format!("the answer {json} does not decode as {type_name}: {error}"),
            receipt: None,
            query_outcome: None,
            node_error: None,
            names: Names::default(),
        }))
    }

    /// How it failed.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// What went wrong, e.g. `reverted: insufficient balance: have 0, need 5`,
    /// `out of gas`, or `rejected: bad nonce 3: the sender's next nonce is 4`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The receipt of a mined transaction that failed ([`ErrorKind::Reverted`] or
    /// [`ErrorKind::OutOfGas`]).
    pub fn receipt(&self) -> Option<&Receipt> {
        self.0.receipt.as_ref()
    }

    /// The node's error for a [rejection](ErrorKind::Rejected).
    pub fn node_error(&self) -> Option<&NodeError> {
        self.0.node_error.as_ref()
    }

    /// The call tree, if a contract ran: every frame with its message, funds, return data,
    /// events, logs, gas and error.
    pub fn trace(&self) -> Option<TraceFrame> {
        match (&self.0.receipt, &self.0.query_outcome) {
            (Some(receipt), _) => receipt.trace.clone(),
            (None, Some(outcome)) => Some(TraceFrame::from(&outcome.trace)),
            (None, None) => None,
        }
    }

    /// Gas used (0 for a rejection or a decode error).
    pub fn gas_used(&self) -> u64 {
        match (&self.0.receipt, &self.0.query_outcome) {
            (Some(receipt), _) => receipt.gas_used,
            (None, Some(outcome)) => outcome.gas_used,
            (None, None) => 0,
        }
    }

    /// Debug lines the contracts logged (reverted frames included).
    pub fn logs(&self) -> &[String] {
        match (&self.0.receipt, &self.0.query_outcome) {
            (Some(receipt), _) => &receipt.logs,
            (None, Some(outcome)) => &outcome.logs,
            (None, None) => &[],
        }
    }

    /// Whether the message contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.0.message.contains(text)
    }

    /// Panics, printing the trace, unless the message contains `text`. Returns `self`.
    ///
    /// # Panics
    /// If it does not.
    #[track_caller]
    pub fn assert_message(&self, text: &str) -> &Self {
        assert!(self.contains(text), "expected an error containing {text:?}, got:\n{self:?}");
        self
    }

    /// The readable trace, as `{:?}` prints it.
    pub fn report(&self) -> String {
        format!("{self:?}")
    }
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

/// A readable trace: headline, call tree, events, logs.
impl fmt::Debug for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headline = match &self.0.receipt {
            Some(r) => format!(
                "{}  (tx {} by {}, height {}, gas {})",
                self.0.message,
                r.tx_hash,
                self.0.names.name_or_address(&r.from),
                r.height,
                r.gas_used
            ),
            None => match &self.0.query_outcome {
                Some(outcome) => format!("query failed: {}  (gas {})", self.0.message, outcome.gas_used),
                None => self.0.message.clone(),
            },
        };
        let trace = self.trace();
        let report = Report { headline, trace: trace.as_ref(), events: &[], logs: self.logs(), names: &self.0.names };
        write!(f, "{report}")
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.node_error.as_ref().map(|e| e as _)
    }
}
