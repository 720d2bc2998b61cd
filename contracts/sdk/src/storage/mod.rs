//! Contract storage: raw byte access ([`raw`]) and the typed layers on top of it, [`Item`] (one
//! value under a fixed key) and [`Map`] (values under a namespace and a typed [`Key`]), with
//! ascending and descending range and prefix iteration.
//!
//! Values are JSON, so the raw state the API shows (`/v1/contracts/{address}/state`) is
//! readable. Key layout (stable; other tools may rely on it):
//!
//! - an `Item` lives at its name's bytes;
//! - a `Map` entry lives at `len(ns) as u16 BE ‖ ns ‖ key`, where a composite key writes every
//!   part but the last with a `u16` big-endian length prefix, so `prefix` iteration over the
//!   first parts is exact and maps named `a` and `ab` can never collide.

mod item;
mod key;
mod map;
pub mod raw;

pub use item::Item;
pub use key::Key;
pub use map::{Bound, Map, Prefix};

/// Iteration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smallest key first.
    Ascending,
    /// Largest key first.
    Descending,
}

use alloc::vec::Vec;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ContractError;

pub(crate) fn to_value<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>, ContractError> {
    serde_json::to_vec(value).map_err(|e| ContractError::serde(what, e))
}

pub(crate) fn from_value<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ContractError> {
    serde_json::from_slice(bytes).map_err(|e| ContractError::serde(what, e))
}
