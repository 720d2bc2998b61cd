//! [`Executed`]: a mock call that succeeded — its return data, events and logs — with the
//! Sandbox's event assertions.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ErrorKind, HasAddress, MockError};
use crate::Address;

/// An event a contract emitted (the fields of the Sandbox's `ReceiptEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockEvent {
    /// The contract that emitted it.
    pub contract: Address,
    /// The event type.
    pub ty: String,
    /// The JSON data, parsed.
    pub data: Value,
}

/// A successful call. `{:?}` prints the result, the events and the logs.
#[derive(Clone)]
pub struct Executed {
    pub(super) result: Value,
    pub(super) events: Vec<MockEvent>,
    pub(super) logs: Vec<String>,
}

impl Executed {
    /// The contract's return data as JSON (`null` when it returned nothing; `0x…` hex when it
    /// is not JSON).
    pub fn result_json(&self) -> &Value {
        &self.result
    }

    /// The contract's return data decoded as `T`.
    ///
    /// # Errors
    /// A [`MockError`] of kind [`ErrorKind::Decode`] if it does not decode.
    pub fn result<T: DeserializeOwned>(&self) -> Result<T, MockError> {
        decode(&self.result)
    }

    /// Every event emitted, in order (nested calls' included).
    pub fn events(&self) -> &[MockEvent] {
        &self.events
    }

    /// The events of type `ty`, in order.
    pub fn events_of<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a MockEvent> + 'a {
        self.events.iter().filter(move |e| e.ty == ty)
    }

    /// The first event of type `ty`.
    pub fn event(&self, ty: &str) -> Option<&MockEvent> {
        self.events.iter().find(|e| e.ty == ty)
    }

    /// Whether some event has type `ty` and data matching `fields` (see
    /// [`Executed::assert_event`]).
    pub fn has_event(&self, ty: &str, fields: &Value) -> bool {
        self.events_of(ty).any(|e| json_matches(fields, &e.data))
    }

    /// Panics unless some event has type `ty` and data matching `fields`, loosely as the
    /// Sandbox matches: `fields` may name only some members of the event's object; addresses
    /// compare in any letter case; a number matches the same number written as a decimal
    /// string. Returns `self`, so assertions chain.
    ///
    /// # Panics
    /// If no event matches.
    #[track_caller]
    pub fn assert_event(&self, ty: &str, fields: &Value) -> &Self {
        assert!(self.has_event(ty, fields), "no `{ty}` event matching {fields}\n{self:?}");
        self
    }

    /// [`Executed::assert_event`], and the event must come from `contract`.
    ///
    /// # Panics
    /// If no event matches.
    #[track_caller]
    pub fn assert_event_from(&self, contract: &impl HasAddress, ty: &str, fields: &Value) -> &Self {
        let from = contract.address();
        let found = self.events_of(ty).any(|e| e.contract == from && json_matches(fields, &e.data));
        assert!(found, "no `{ty}` event from {from} matching {fields}\n{self:?}");
        self
    }

    /// Panics if any event has type `ty`.
    ///
    /// # Panics
    /// If one does.
    #[track_caller]
    pub fn assert_no_event(&self, ty: &str) -> &Self {
        assert!(self.event(ty).is_none(), "unexpected `{ty}` event\n{self:?}");
        self
    }

    /// Debug lines the contracts logged, as `0x…: line`.
    pub fn logs(&self) -> &[String] {
        &self.logs
    }
}

impl fmt::Debug for Executed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "success: {}", self.result)?;
        for e in &self.events {
            write!(f, "\n  event {} from {}: {}", e.ty, e.contract, e.data)?;
        }
        for line in &self.logs {
            write!(f, "\n  log {line}")?;
        }
        Ok(())
    }
}

/// `json` decoded as `T`, or a [`ErrorKind::Decode`] error naming both.
pub(super) fn decode<T: DeserializeOwned>(json: &Value) -> Result<T, MockError> {
    serde_json::from_value(json.clone()).map_err(|e| {
        let message = alloc::format!("the answer {json} does not decode as {}: {e}", core::any::type_name::<T>());
        MockError::new(ErrorKind::Decode, message)
    })
}

/// Whether `actual` has everything `expected` says, loosely (the Sandbox's rule): objects may
/// carry more members than `expected` names; `0x` hex strings compare in any letter case; an
/// integer matches the same integer written as a decimal string.
fn json_matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            want.iter().all(|(key, value)| have.get(key).is_some_and(|h| json_matches(value, h)))
        }
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| json_matches(w, h))
        }
        (Value::String(want), Value::String(have)) => want == have || (is_hex(want) && want.eq_ignore_ascii_case(have)),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.as_u64().is_some_and(|n| s.parse::<u128>().ok() == Some(u128::from(n)))
        }
        _ => expected == actual,
    }
}

fn is_hex(s: &str) -> bool {
    s.strip_prefix("0x").is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
}
