//! The Tidepool contract SDK: write a contract in Rust, build it to `wasm32-unknown-unknown`,
//! deploy the `.wasm`.
//!
//! Start with [`prelude`] (`use tidepool_sdk::prelude::*;` brings everything below and the
//! `alloc` types a `no_std` crate needs), [`entry_points!`] (declare your handlers once),
//! [`msg`] (the derives of a message type), then [`storage`] ([`Item`], [`Map`]), [`Context`]
//! (caller, block, funds), [`Response`]/[`Event`], [`Uint128`] (amounts with checked and
//! operator arithmetic), [`Address`], [`calls`] (other contracts), [`bank`] (the native token)
//! and [`crypto`]. `contracts/sdk/README.md` walks from an empty crate to a deployed contract.
//!
//! Everything here is a thin layer over the host functions of ABI v1 ([`tidepool_abi`]); the
//! host never allocates in the contract, so variable-length results are read through
//! caller-supplied buffers or the "last result" of a call, as the ABI describes. On targets
//! other than wasm32 the host functions come from the native test double in [`testing`].
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;
// So that `#[msg]` (which names `::tidepool_sdk`) works in the SDK's own tests.
#[cfg(test)]
extern crate self as tidepool_sdk;

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
mod uint256;

pub use address::{Address, ParseAddressError};
pub use binary::Binary;
pub use calls::{CallError, CallStatus};
pub use context::Context;
pub use entry::{EntryPoints, abort};
pub use error::{ContractError, OverflowError};
pub use event::{Event, Response};
pub use storage::{Bound, Item, Map, Order};
/// `#[msg]`: the derives and serde settings of a message type (see [`tidepool_sdk_derive`]).
pub use tidepool_sdk_derive::msg;
pub use uint::Uint128;
pub use uint256::Uint256;

/// Re-exported so contracts need no direct dependency for derives and JSON.
pub use serde;
/// Re-exported so contracts need no direct dependency for derives and JSON.
pub use serde_json;
/// The ABI constants this SDK implements.
pub use tidepool_abi;

/// The common items in one `use tidepool_sdk::prelude::*;`: the types and macros of the SDK, and
/// the `alloc` types and macros a `no_std` contract would otherwise import by path
/// (`String`, `Vec`, `Box`, `BTreeMap`, `format!`, `vec!`, `ToString`).
///
/// ```
/// use tidepool_sdk::prelude::*;
///
/// #[msg]
/// pub enum ExecuteMsg {
///     Transfer { to: Address, amount: Uint128 },
/// }
///
/// let names: Vec<String> = vec![format!("{}", Uint128::new(7))];
/// assert_eq!(names, ["7"]);
/// let _trace_line: fn(&str) = debug_log; // a line in the call's trace
/// let parsed: ExecuteMsg = serde_json::from_str(r#"{"transfer": {"to": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "amount": "5"}}"#).unwrap();
/// assert_eq!(parsed, ExecuteMsg::Transfer { to: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".parse().unwrap(), amount: Uint128::new(5) });
/// ```
pub mod prelude {
    pub use alloc::boxed::Box;
    pub use alloc::collections::BTreeMap;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};

    pub use crate::{
        Address, Binary, Bound, CallError, CallStatus, Context, ContractError, Event, Item, Map, Order, OverflowError,
        Response, Uint128, Uint256, bank, calls, crypto, debug_log, ensure, entry_points, msg, to_json_binary,
    };
}

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
