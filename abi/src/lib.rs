//! The contract ↔ host ABI of Tidepool, version 1.
//!
//! This crate is the whole agreement between a contract (built with the SDK in `contracts/sdk`)
//! and the host (`tidepool-vm`): the import module and function names, their signatures, the
//! status codes they return, the entry points a contract exports, and the limits the host
//! enforces. It holds constants and the table of host functions only — no host code and no
//! guest code — so both sides can depend on it without pulling anything in. It is `no_std` and
//! has no dependencies. Start with [`host::FUNCTIONS`], the one list of host functions.
//!
//! # Adding a host function
//!
//! 1. Add a row to the `host_functions!` list in `abi/src/host.rs`: what it does, its constant,
//!    its wasm type, and what it charges in items of the VM's gas schedule. A new function is
//!    compatible with deployed code; changing or removing one is not (that is a new
//!    [`ABI_VERSION`]).
//! 2. If it needs a new cost, add the field to `GasSchedule` in `vm/src/gas.rs` (and bump its
//!    `version`). The VM's `gas::tests` fails until every schedule item the row names exists,
//!    and its `abi_table` tests that a call with zero sizes costs exactly the row's per-call items.
//! 3. Implement it in the group module of `vm/src/host/` that fits, following the order there
//!    (charge, check the limit, then touch memory or state), and define it in that module's
//!    `register` through `AbiLinker::define`. The linker refuses a name that is not in the table,
//!    `Vm::new` fails while a row has no implementation, and `host::imports::tests` fails if the
//!    implementation's wasmtime type differs from the row. Validation then accepts the import.
//! 4. Test it in the `vm/tests/it/host_*.rs` module of its group: one success test and one
//!    hostile-input test (bad pointer, oversized length). The fixtures of `support.rs` import
//!    it from the table, and `failure_modes::every_host_function_charges_before_working` starves
//!    it of gas; update the count of host functions the tests assert (33 today).
//! 5. In the SDK: the `extern` in `contracts/sdk/src/sys.rs` (`artifacts/tests/host_abi.rs`
//!    checks it against the table), the native double in `contracts/sdk/src/testing/host.rs`,
//!    and a safe wrapper; list it in `contracts/sdk/README.md`.
//!
//! # Calling convention
//!
//! Every host function lives in the import module [`MODULE`]. Pointers and lengths are wasm32
//! `i32` values (offsets into the contract's exported `memory`). Byte strings cross the boundary
//! by the guest passing a pointer and length; results of a fixed size (addresses, hashes, `u128`
//! amounts in little-endian) are written by the host to a guest pointer. The host never calls
//! back into the guest to allocate: variable-length results are either written into a buffer
//! the guest supplies (the host returns the full length, so a guest whose buffer was too small
//! can retry with the right size), or kept by the host as the *last result* of the frame, whose
//! length the guest learns first ([`host::RESULT_LEN`]) and then copies ([`host::RESULT_READ`]).
//!
//! A contract reports failure by calling [`host::ABORT`] with a UTF-8 message; that ends the call
//! at once and reverts its writes. Running out of gas, exceeding a limit or trapping does the
//! same, with a message chosen by the host.
//!
//! # Entry points
//!
//! A contract exports `memory`, the marker function [`ABI_MARKER_EXPORT`] (which fixes the ABI
//! version it was built for) and any of [`entry::INSTANTIATE`], [`entry::EXECUTE`],
//! [`entry::QUERY`], [`entry::MIGRATE`], each of type `() -> ()`. The entry point reads its JSON
//! message with [`host::INPUT_LEN`]/[`host::INPUT_READ`] and answers with [`host::SET_RETURN`].
//! A contract that exports [`REENTRANT_MARKER_EXPORT`] accepts being called while it is already
//! on the call stack; every other contract is protected from re-entry by the VM.
#![no_std]

/// The ABI version this crate describes.
pub const ABI_VERSION: u32 = 1;

/// The import module every host function lives in.
pub const MODULE: &str = "tidepool";

/// Exported (empty, `() -> ()`) function that marks a module as built for ABI version 1.
pub const ABI_MARKER_EXPORT: &str = "tidepool_abi_v1";

/// Exported (empty, `() -> ()`) function by which a contract opts in to re-entrant calls.
pub const REENTRANT_MARKER_EXPORT: &str = "tidepool_reentrant";

/// The contract's linear memory export.
pub const MEMORY_EXPORT: &str = "memory";

/// The entry points a contract may export, each of type `() -> ()`.
pub mod entry {
    /// Runs once when an instance is created. Required.
    pub const INSTANTIATE: &str = "instantiate";
    /// A state-changing call.
    pub const EXECUTE: &str = "execute";
    /// A read-only call: any storage write, transfer, event or state-changing call traps.
    pub const QUERY: &str = "query";
    /// Runs when the admin moves the instance to new code.
    pub const MIGRATE: &str = "migrate";
    /// Every entry point the host knows.
    pub const ALL: [&str; 4] = [INSTANTIATE, EXECUTE, QUERY, MIGRATE];
}

pub mod host;

/// Length value meaning "no bound" for iterator range ends.
pub const UNBOUNDED: u32 = u32::MAX;

/// Iteration orders for [`host::STORAGE_ITER_OPEN`].
pub mod order {
    /// Smallest key first.
    pub const ASCENDING: i32 = 0;
    /// Largest key first.
    pub const DESCENDING: i32 = 1;
}

/// Return codes of host functions that can fail without ending the call.
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The requested value or entry does not exist (as `i64` for length-returning functions).
    pub const NOT_FOUND: i64 = -1;
    /// A native transfer larger than the balance.
    pub const INSUFFICIENT_FUNDS: i32 = 1;
    /// Malformed input to a crypto function (bad key, bad signature encoding).
    pub const INVALID_INPUT: i32 = 2;
}

/// Outcomes of [`host::CALL`], [`host::QUERY`] and [`host::INSTANTIATE`] as seen by the caller.
pub mod call {
    /// The callee succeeded; the last result is its return data.
    pub const OK: i32 = 0;
    /// The callee aborted; the last result is its message.
    pub const REVERTED: i32 = 1;
    /// The callee ran out of its gas.
    pub const OUT_OF_GAS: i32 = 2;
    /// The callee trapped (unreachable, bad memory access, …).
    pub const TRAPPED: i32 = 3;
    /// The callee hit a limit (memory, depth, sizes).
    pub const LIMIT: i32 = 4;
    /// The callee is already on the call stack and did not opt in to re-entry.
    pub const REENTRY_REFUSED: i32 = 5;
    /// No contract at that address, no such code, or no such entry point.
    pub const NOT_FOUND: i32 = 6;
    /// Not enough native funds to attach.
    pub const INSUFFICIENT_FUNDS: i32 = 7;
}

/// Limits the host enforces on every call. Contracts can rely on them; exceeding one ends the
/// call with a limit outcome.
pub mod limits {
    /// Largest storage key, in bytes (NEAR allows 2 KiB; keys are hashed into the state root,
    /// so they stay small).
    pub const MAX_KEY_LEN: u32 = 1024;
    /// Largest storage value, in bytes (CosmWasm's limit).
    pub const MAX_VALUE_LEN: u32 = 128 * 1024;
    /// Largest input message or return data, in bytes.
    pub const MAX_MESSAGE_LEN: u32 = 128 * 1024;
    /// Largest event type name, in bytes.
    pub const MAX_EVENT_TYPE_LEN: u32 = 64;
    /// Largest event data, in bytes.
    pub const MAX_EVENT_DATA_LEN: u32 = 8 * 1024;
    /// Most events one transaction may emit (across all its frames).
    pub const MAX_EVENTS_PER_TX: u32 = 256;
    /// Largest debug-log line, in bytes (longer lines are truncated, not refused).
    pub const MAX_LOG_LEN: u32 = 1024;
    /// Most contract frames on the call stack (the top-level call is depth 1).
    pub const MAX_CALL_DEPTH: u32 = 8;
    /// Most storage iterators open at once in one frame.
    pub const MAX_OPEN_ITERATORS: u32 = 16;
    /// Largest instance label, in bytes.
    pub const MAX_LABEL_LEN: u32 = 128;
    /// Most 64 KiB pages of linear memory a contract may use (16 MiB).
    pub const MAX_MEMORY_PAGES: u32 = 256;
}
