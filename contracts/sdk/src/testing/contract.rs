//! [`Contract`]: a contract of a [`MockChain`](super::MockChain) — execute and query with serde
//! messages, as the Sandbox's `Contract` does.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::executed::decode;
use super::host::{self, Entry, with_state};
use super::{ErrorKind, Executed, HasAddress, MockError};
use crate::Address;

/// A contract on this thread's mock chain. Cheap to clone.
#[derive(Clone)]
pub struct Contract {
    pub(super) address: Address,
    pub(super) label: String,
    pub(super) instantiation: Option<Box<Executed>>,
}

impl Contract {
    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The instantiation that created it, if this handle came from
    /// [`MockChain::deploy`](super::MockChain::deploy) (its events and logs).
    pub fn instantiation(&self) -> Option<&Executed> {
        self.instantiation.as_deref()
    }

    /// Runs the contract's `execute` entry point with `msg` (any `Serialize`: the contract's
    /// message type or `serde_json::json!`) as a transaction from `sender`.
    ///
    /// # Errors
    /// [`ErrorKind::Reverted`] if the contract failed (nothing it did remains), or
    /// [`ErrorKind::Rejected`] if no contract is at this address.
    pub fn execute(&self, sender: &impl HasAddress, msg: &impl Serialize) -> Result<Executed, MockError> {
        self.execute_with_funds(sender, msg, 0)
    }

    /// [`Contract::execute`], attaching `funds` of the native token to the call.
    ///
    /// # Errors
    /// As [`Contract::execute`]; [`ErrorKind::Rejected`] if `sender` cannot pay `funds`.
    pub fn execute_with_funds(
        &self,
        sender: &impl HasAddress,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<Executed, MockError> {
        self.run(Entry::Execute, sender.address(), msg, funds)
    }

    /// Runs the contract's `query` entry point with `msg` and decodes the answer as `T` (use
    /// `serde_json::Value` to take it as it comes).
    ///
    /// # Errors
    /// [`ErrorKind::QueryFailed`] if the contract failed; [`ErrorKind::Decode`] if the answer
    /// is not a `T`.
    pub fn query<T: DeserializeOwned>(&self, msg: &impl Serialize) -> Result<T, MockError> {
        decode(&self.run(Entry::Query, Address::ZERO, msg, 0)?.result)
    }

    /// Writes a raw storage value of the contract (`None` removes the key), bypassing its code.
    pub fn set_storage(&self, key: &[u8], value: Option<&[u8]>) {
        with_state(|s| {
            let storage = s.storage.entry(self.address).or_default();
            match value {
                Some(value) => storage.insert(key.to_vec(), value.to_vec()),
                None => storage.remove(key),
            }
        });
    }

    /// One top-level call: its events and logs are the ones emitted while it ran.
    pub(super) fn run(
        &self,
        entry: Entry,
        sender: Address,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<Executed, MockError> {
        let msg = serde_json::to_vec(msg).map_err(|e| {
            MockError::new(ErrorKind::Rejected, alloc::format!("rejected: the message does not serialize: {e}"))
        })?;
        let (events_before, logs_before) = with_state(|s| {
            s.origin = sender;
            (s.events.len(), s.logs.len())
        });
        let outcome = host::run_frame(entry, sender, self.address, msg, funds);
        let logs = with_state(|s| s.logs[logs_before..].to_vec());
        match outcome {
            Ok(output) => Ok(Executed {
                result: json_or_hex(&output),
                events: with_state(|s| s.events[events_before..].to_vec()),
                logs,
            }),
            Err((code, message)) => Err(MockError::from_status(code, &message, entry == Entry::Query, logs)),
        }
    }
}

impl HasAddress for Contract {
    fn address(&self) -> Address {
        self.address
    }
}

impl fmt::Debug for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Contract({} [{}])", self.label, self.address)
    }
}

/// Return data as the Sandbox shows it: JSON, `null` for none, else `0x` hex.
fn json_or_hex(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| {
        let hex: Vec<String> = bytes.iter().map(|b| alloc::format!("{b:02x}")).collect();
        Value::String(alloc::format!("0x{}", hex.concat()))
    })
}
