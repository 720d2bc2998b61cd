//! [`Response`] and [`Event`]: what a state-changing handler hands back.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::{ContractError, entry, sys};

/// An event: a type name (at most 64 bytes) and JSON data (at most 8 KiB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The type, e.g. `"transfer"`.
    pub ty: String,
    /// The JSON data.
    pub data: Vec<u8>,
}

impl Event {
    /// An event whose data is `data` serialized as JSON.
    ///
    /// # Errors
    /// If `data` cannot be serialized (e.g. a map with non-string keys).
    pub fn new(ty: &str, data: &impl Serialize) -> Result<Self, ContractError> {
        let data = serde_json::to_vec(data).map_err(|e| ContractError::serde("event data", e))?;
        Ok(Event { ty: ty.into(), data })
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

    /// Adds an event built from a type and serializable data.
    ///
    /// # Errors
    /// As [`Event::new`].
    pub fn event(self, ty: &str, data: &impl Serialize) -> Result<Self, ContractError> {
        Ok(self.add_event(Event::new(ty, data)?))
    }

    /// Sets the return data to `value` as JSON.
    ///
    /// # Errors
    /// If `value` cannot be serialized.
    pub fn set_data(mut self, value: &impl Serialize) -> Result<Self, ContractError> {
        self.data = Some(serde_json::to_vec(value).map_err(|e| ContractError::serde("return data", e))?);
        Ok(self)
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
