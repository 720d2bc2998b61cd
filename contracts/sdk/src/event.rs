//! [`Response`] and [`Event`]: what a state-changing handler hands back.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::{entry, sys};

/// An event: a type name (at most 64 bytes) and JSON data (at most 8 KiB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The type, e.g. `"transfer"`.
    pub ty: String,
    /// The JSON data.
    pub data: Vec<u8>,
}

impl Event {
    /// An event whose data is `data` serialized as JSON now.
    ///
    /// Serializing a message-like type (structs, enums, strings, numbers, [`Uint128`],
    /// [`Address`]) into JSON cannot fail; what can (a map with non-string keys, a hand-written
    /// `Serialize` that errs) is a bug in the contract, not a condition a handler could recover
    /// from, so it aborts the call with a message naming the event instead of being an error to
    /// thread through every handler.
    ///
    /// [`Uint128`]: crate::Uint128
    /// [`Address`]: crate::Address
    pub fn new(ty: &str, data: &impl Serialize) -> Self {
        Event { ty: ty.into(), data: to_json_or_abort(data, Some(ty)) }
    }

    /// Emits the event now (rather than when the handler returns).
    pub fn emit(&self) {
        // SAFETY: valid slices.
        unsafe { sys::emit_event(self.ty.as_ptr(), self.ty.len() as i32, self.data.as_ptr(), self.data.len() as i32) }
    }
}

/// The result of `instantiate`/`execute`/`migrate`: events to emit and optional return data.
///
/// Events are emitted in order when the handler returns successfully (a failed call emits
/// nothing, since its events would be reverted anyway).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Response {
    /// Events, emitted in order.
    pub events: Vec<Event>,
    /// Return data (JSON by convention), if any.
    pub data: Option<Vec<u8>>,
}

impl Response {
    /// An empty response.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an event.
    pub fn add_event(mut self, event: Event) -> Self {
        self.events.push(event);
        self
    }

    /// Adds an event built from a type and serializable data (serialized now; see
    /// [`Event::new`] for why this cannot fail).
    ///
    /// ```ignore
    /// Ok(Response::new().event("transfer", &TransferEvent { from, to, amount }))
    /// ```
    pub fn event(self, ty: &str, data: &impl Serialize) -> Self {
        self.add_event(Event::new(ty, data))
    }

    /// Sets the return data to `value` as JSON (serialized now, as [`Event::new`] does).
    pub fn set_data(mut self, value: &impl Serialize) -> Self {
        self.data = Some(to_json_or_abort(value, None));
        self
    }

    pub(crate) fn finish(self) {
        for event in &self.events {
            event.emit();
        }
        if let Some(data) = &self.data {
            entry::set_return(data);
        }
    }
}

/// `value` as JSON: the data of the event `event`, or the return data. A value that does not
/// serialize is a contract bug, so the call aborts saying which.
fn to_json_or_abort(value: &impl Serialize, event: Option<&str>) -> Vec<u8> {
    match serde_json::to_vec(value) {
        Ok(json) => json,
        Err(e) => entry::abort(&match event {
            Some(ty) => alloc::format!("cannot serialize the data of event `{ty}`: {e}"),
            None => alloc::format!("cannot serialize the return data: {e}"),
        }),
    }
}
