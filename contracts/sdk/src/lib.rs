//! The Tidepool contract SDK: write a contract in Rust, build it to `wasm32-unknown-unknown`,
//! deploy the `.wasm`.
//!
//! Start with [`entry_points!`] (declare your handlers once), then [`storage`] ([`Item`],
//! [`Map`]), [`Context`] (caller, block, funds), [`Response`]/[`Event`], [`calls`] (other
//! contracts), [`bank`] (the native token) and [`crypto`]. `contracts/sdk/README.md` walks from
//! an empty crate to a deployed contract.
//!
//! Everything here is a thin layer over the host functions of ABI v1 ([`tidepool_abi`]); the
//! host never allocates in the contract, so variable-length results are read through
//! caller-supplied buffers or the "last result" of a call, as the ABI describes. On targets
//! other than wasm32 the host functions come from the native test double in [`testing`].
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod address;
#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
mod allocator;
pub mod bank;
mod binary;
pub mod calls;
mod context;
pub mod crypto;
#[doc(hidden)]
pub mod entry;
mod error;
mod event;
#[cfg(all(target_arch = "wasm32", feature = "panic-handler"))]
mod panic;
pub mod storage;
mod sys;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod uint;

pub use address::{Address, ParseAddressError};
pub use binary::Binary;
pub use calls::{CallError, CallStatus};
pub use context::Context;
pub use entry::{EntryPoints, abort};
pub use error::ContractError;
pub use event::{Event, Response};
pub use storage::{Bound, Item, Map, Order};
pub use uint::Uint128;

/// Re-exported so contracts need no direct dependency for derives and JSON.
pub use serde;
/// Re-exported so contracts need no direct dependency for derives and JSON.
pub use serde_json;
/// The ABI constants this SDK implements.
pub use tidepool_abi;

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
#[global_allocator]
static ALLOCATOR: allocator::BumpAllocator = allocator::BumpAllocator::new();

/// Serializes `value` as JSON: the usual answer of a query handler.
///
/// # Errors
/// If `value` cannot be serialized.
pub fn to_json_binary(value: &impl serde::Serialize) -> Result<Binary, ContractError> {
    serde_json::to_vec(value).map(Binary).map_err(|e| ContractError::serde("answer", e))
}

/// Writes a debug line (shown in traces and test output; costs gas; no effect on state). Lines
/// longer than 1 KiB are truncated by the host.
pub fn debug_log(line: &str) {
    // SAFETY: a valid slice.
    unsafe { sys::debug_log(line.as_ptr(), line.len() as i32) }
}
