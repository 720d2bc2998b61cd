//! What a call produced: [`Outcome`] with its [`Status`], and the [`CallFrame`] tree for traces.
//!
//! A contract's failure — abort, trap, out of gas, a limit, refused re-entry — is a `Status`,
//! never an error: the host worked, the contract did not. Only a broken host is a
//! [`crate::VmError`].

use std::fmt;

use serde::{Deserialize, Serialize};
use tidepool_abi::call as code;
use tidepool_ledger::{Address, Event};

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The entry point returned normally; its writes and events are kept.
    Success,
    /// The contract called `abort` with this message.
    Reverted {
        /// The contract's message.
        message: String,
    },
    /// The call used all of its gas.
    OutOfGas,
    /// The WASM code trapped (unreachable, bad memory access, …) or a host function refused
    /// its input (a bad pointer, a write in a query, …).
    Trapped {
        /// What happened.
        message: String,
    },
    /// A limit was hit (memory, wasm stack, call depth, sizes, counts).
    LimitExceeded {
        /// Which limit, and by how much.
        message: String,
    },
    /// The contract is already on the call stack and does not accept re-entry.
    ReentryRefused {
        /// The contract that refused.
        contract: Address,
    },
    /// No contract at the address, no such code, or the code lacks the entry point.
    NotFound {
        /// What was missing.
        message: String,
    },
    /// The caller's balance does not cover the attached funds.
    InsufficientFunds,
    /// The sender may not do this (a migrate by someone other than the admin).
    Unauthorized {
        /// Why.
        message: String,
    },
    /// The call itself is malformed (funds attached to a query, an address already taken).
    InvalidCall {
        /// Why.
        message: String,
    },
}

impl Status {
    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, Status::Success)
    }

    /// A one-line description for receipts, traces and the caller's last result.
    pub fn message(&self) -> String {
        match self {
            Status::Success => "success".to_owned(),
            Status::Reverted { message } => format!("reverted: {message}"),
            Status::OutOfGas => "out of gas".to_owned(),
            Status::Trapped { message } => format!("trapped: {message}"),
            Status::LimitExceeded { message } => format!("limit exceeded: {message}"),
            Status::ReentryRefused { contract } => format!("re-entry into {contract} refused"),
            Status::NotFound { message } => format!("not found: {message}"),
            Status::InsufficientFunds => "insufficient funds".to_owned(),
            Status::Unauthorized { message } => format!("unauthorized: {message}"),
            Status::InvalidCall { message } => format!("invalid call: {message}"),
        }
    }

    /// What a calling contract reads as the last result of a call that ended this way: the
    /// callee's message or the host's detail, without the status's name, which the call's code
    /// ([`Status::call_code`]) already gives (the SDK's `CallError` prints both, as
    /// `call to 0x… reverted: <message>`). Empty when there is nothing more to say. The two
    /// statuses that share the reverted code with an abort keep their names.
    pub fn caller_message(&self) -> String {
        match self {
            Status::Reverted { message }
            | Status::Trapped { message }
            | Status::LimitExceeded { message }
            | Status::NotFound { message } => message.clone(),
            Status::Success | Status::OutOfGas | Status::ReentryRefused { .. } | Status::InsufficientFunds => {
                String::new()
            }
            Status::Unauthorized { .. } | Status::InvalidCall { .. } => self.message(),
        }
    }

    /// The [`tidepool_abi::call`] code a calling contract sees for this status.
    pub fn call_code(&self) -> i32 {
        match self {
            Status::Success => code::OK,
            Status::Reverted { .. } | Status::Unauthorized { .. } | Status::InvalidCall { .. } => code::REVERTED,
            Status::OutOfGas => code::OUT_OF_GAS,
            Status::Trapped { .. } => code::TRAPPED,
            Status::LimitExceeded { .. } => code::LIMIT,
            Status::ReentryRefused { .. } => code::REENTRY_REFUSED,
            Status::NotFound { .. } => code::NOT_FOUND,
            Status::InsufficientFunds => code::INSUFFICIENT_FUNDS,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The result of one top-level call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Gas used, including every nested frame; the whole limit when out of gas.
    pub gas_used: u64,
    /// The entry point's return data (empty unless successful).
    pub return_data: Vec<u8>,
    /// Events emitted, in order (empty unless successful).
    pub events: Vec<Event>,
    /// The call tree.
    pub trace: CallFrame,
    /// Debug-log lines of every frame, reverted ones included, as `address: line`.
    pub logs: Vec<String>,
}

/// One contract frame of a call tree: what it was asked, what it did, what it cost.
///
/// Serialisable so the node can keep it as it is in a receipt's binary record.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CallFrame {
    /// The contract called.
    pub contract: Address,
    /// Who called it: the sender or the calling contract.
    pub caller: Address,
    /// `instantiate`, `execute`, `query` or `migrate`.
    pub entry_point: String,
    /// The message it was called with (JSON for the SDK's contracts).
    #[serde(with = "tidepool_ledger::bytes")]
    pub msg: Vec<u8>,
    /// Native funds attached to the call.
    pub funds: u128,
    /// What it returned (empty if it failed or returned nothing).
    #[serde(with = "tidepool_ledger::bytes")]
    pub return_data: Vec<u8>,
    /// The events it emitted itself (not its children's), in order. A failed frame's events are
    /// listed too, although they were reverted with it.
    pub events: Vec<Event>,
    /// The debug-log lines it wrote itself.
    pub logs: Vec<String>,
    /// Gas this frame was given.
    pub gas_limit: u64,
    /// Gas this frame used, its children included.
    pub gas_used: u64,
    /// Why the frame failed; `None` if it succeeded.
    pub error: Option<String>,
    /// Frames it called, in order.
    pub children: Vec<CallFrame>,
}

impl CallFrame {
    /// A frame that has not run yet.
    pub(crate) fn new(contract: Address, caller: Address, entry_point: &str, gas_limit: u64) -> CallFrame {
        CallFrame { contract, caller, entry_point: entry_point.to_owned(), gas_limit, ..CallFrame::default() }
    }

    /// Records how the frame ended.
    pub(crate) fn finish(&mut self, status: &Status, gas_used: u64) {
        self.gas_used = gas_used;
        self.error = (!status.is_success()).then(|| status.message());
    }

    fn write_tree(&self, f: &mut fmt::Formatter<'_>, prefix: &str, last: bool, root: bool) -> fmt::Result {
        let (branch, next) = match (root, last) {
            (true, _) => ("", String::new()),
            (false, true) => ("└─ ", format!("{prefix}   ")),
            (false, false) => ("├─ ", format!("{prefix}│  ")),
        };
        write!(f, "{prefix}{branch}{} {} gas {}/{}", self.contract, self.entry_point, self.gas_used, self.gas_limit)?;
        match &self.error {
            None => writeln!(f, " ok")?,
            Some(error) => writeln!(f, " failed: {error}")?,
        }
        for (i, child) in self.children.iter().enumerate() {
            child.write_tree(f, &next, i + 1 == self.children.len(), false)?;
        }
        Ok(())
    }
}

/// An indented tree, one frame per line:
///
/// ```text
/// 0x5aAe… execute gas 41200/1000000 ok
/// ├─ 0xfB69… query gas 12000/940000 ok
/// └─ 0xdbF0… execute gas 1000/900000 failed: reverted: paused
/// ```
impl fmt::Display for CallFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_tree(f, "", true, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_renders_as_a_tree() {
        let a = Address([1; 20]);
        let mut root = CallFrame::new(a, Address::ZERO, "execute", 100);
        let mut child = CallFrame::new(Address([2; 20]), a, "query", 50);
        child.finish(&Status::Reverted { message: "no".into() }, 7);
        let mut grandchild = CallFrame::new(Address([3; 20]), a, "execute", 20);
        grandchild.finish(&Status::Success, 3);
        let mut second = CallFrame::new(Address([4; 20]), a, "execute", 40);
        second.children.push(grandchild);
        root.children.push(child);
        root.children.push(second);
        root.finish(&Status::Success, 60);
        let text = root.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].ends_with("execute gas 60/100 ok"), "{text}");
        assert!(lines[1].starts_with("├─ ") && lines[1].ends_with("failed: reverted: no"), "{text}");
        assert!(lines[2].starts_with("└─ "), "{text}");
        assert!(lines[3].starts_with("   └─ ") && lines[3].contains("gas 3/20 ok"), "{text}");
    }

    #[test]
    fn statuses_map_to_abi_call_codes() {
        assert_eq!(Status::Success.call_code(), code::OK);
        assert_eq!(Status::OutOfGas.call_code(), code::OUT_OF_GAS);
        assert_eq!(Status::ReentryRefused { contract: Address::ZERO }.call_code(), code::REENTRY_REFUSED);
        assert_eq!(Status::InsufficientFunds.call_code(), code::INSUFFICIENT_FUNDS);
        assert_eq!(Status::LimitExceeded { message: String::new() }.call_code(), code::LIMIT);
    }
}
