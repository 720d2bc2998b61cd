//! The contract ↔ host ABI of Tidepool, version 1.
//!
//! This crate is the whole agreement between a contract (built with the SDK in `contracts/sdk`)
//! and the host (`tidepool-vm`): the import module and function names, their signatures, the
//! status codes they return, the entry points a contract exports, and the limits the host
//! enforces. It holds constants only — no host code and no guest code — so both sides can depend
//! on it without pulling anything in. It is `no_std`.
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

/// Names of the host functions, with their wasm signatures.
///
/// `ptr`/`len`/`cap` are `i32`; `i64` results are noted. Fixed-size outputs: an address is 20
/// bytes, a hash 32 bytes, an amount 16 bytes (`u128`, little-endian).
pub mod host {
    /// `() -> i32`: length of the call's input message.
    pub const INPUT_LEN: &str = "input_len";
    /// `(ptr)`: copies the whole input message to `ptr`.
    pub const INPUT_READ: &str = "input_read";
    /// `(ptr, len)`: sets the call's return data (replacing any earlier value).
    pub const SET_RETURN: &str = "set_return";
    /// `(ptr, len)`: ends the call as reverted with a UTF-8 message. Never returns.
    pub const ABORT: &str = "abort";

    /// `(key_ptr, key_len, val_ptr, val_cap) -> i64`: [`super::status::NOT_FOUND`] if absent,
    /// else the value's full length; the value is copied only if it fits in `val_cap`.
    pub const STORAGE_READ: &str = "storage_read";
    /// `(key_ptr, key_len, val_ptr, val_len)`: writes a value.
    pub const STORAGE_WRITE: &str = "storage_write";
    /// `(key_ptr, key_len)`: removes a key (no error if absent).
    pub const STORAGE_REMOVE: &str = "storage_remove";
    /// `(key_ptr, key_len) -> i32`: 1 if the key exists, else 0.
    pub const STORAGE_HAS: &str = "storage_has";
    /// `(start_ptr, start_len, end_ptr, end_len, order) -> i32`: opens an iterator over this
    /// contract's keys in `[start, end)`; a length of [`super::UNBOUNDED`] means no bound on
    /// that side. `order` is [`super::order::ASCENDING`] or [`super::order::DESCENDING`].
    /// Returns a handle (≥ 0).
    pub const STORAGE_ITER_OPEN: &str = "storage_iter_open";
    /// `(handle, key_ptr, key_cap, val_ptr, val_cap) -> i64`: the next entry.
    /// [`super::status::NOT_FOUND`] when exhausted; otherwise `(key_len << 32) | val_len`, and
    /// both are copied if they fit. If either does not fit, nothing is copied and the iterator
    /// does not advance, so the guest can retry with larger buffers.
    pub const STORAGE_ITER_NEXT: &str = "storage_iter_next";
    /// `(handle)`: releases an iterator (optional; all are released when the call ends).
    pub const STORAGE_ITER_CLOSE: &str = "storage_iter_close";

    /// `(out_ptr)`: this contract's address (20 bytes).
    pub const SELF_ADDRESS: &str = "self_address";
    /// `(out_ptr)`: the immediate caller (20 bytes): an account or a contract.
    pub const CALLER: &str = "caller";
    /// `(out_ptr)`: the transaction signer (20 bytes).
    pub const ORIGIN: &str = "origin";
    /// `() -> i64`: the block height.
    pub const BLOCK_HEIGHT: &str = "block_height";
    /// `() -> i64`: the block time, Unix seconds.
    pub const BLOCK_TIME: &str = "block_time";
    /// `() -> i64`: the chain id.
    pub const CHAIN_ID: &str = "chain_id";
    /// `(out_ptr)`: native funds attached to this call (16 bytes).
    pub const ATTACHED_FUNDS: &str = "attached_funds";
    /// `() -> i64`: gas left in this frame.
    pub const GAS_LEFT: &str = "gas_left";

    /// `(addr_ptr, out_ptr)`: native balance of an address (16 bytes).
    pub const BALANCE: &str = "balance";
    /// `(to_ptr, amount_ptr) -> i32`: sends native funds from this contract.
    /// [`super::status::OK`] or [`super::status::INSUFFICIENT_FUNDS`].
    pub const TRANSFER: &str = "transfer";

    /// `(addr_ptr, msg_ptr, msg_len, funds_ptr, gas_limit: i64) -> i32`: calls `execute` on
    /// another contract. Returns a [`super::call`] status. On success the callee's return
    /// data, on failure its error message, becomes the last result. `gas_limit` 0 means "all
    /// gas left". A failed callee's writes and events are reverted; the caller continues.
    pub const CALL: &str = "call";
    /// `(addr_ptr, msg_ptr, msg_len) -> i32`: calls `query` on another contract, read-only.
    /// Status and last result as for [`CALL`].
    pub const QUERY: &str = "query";
    /// `(code_hash_ptr, msg_ptr, msg_len, funds_ptr, label_ptr, label_len, out_addr_ptr) -> i32`:
    /// creates a contract from uploaded code, admin = this contract. Writes the new address to
    /// `out_addr_ptr` on success. Status and last result as for [`CALL`].
    pub const INSTANTIATE: &str = "instantiate";
    /// `() -> i32`: length of the last result.
    pub const RESULT_LEN: &str = "result_len";
    /// `(ptr)`: copies the last result.
    pub const RESULT_READ: &str = "result_read";

    /// `(type_ptr, type_len, data_ptr, data_len)`: emits an event. `data` must be JSON.
    pub const EMIT_EVENT: &str = "emit_event";

    /// `(ptr, len, out_ptr)`: keccak256 (32 bytes).
    pub const KECCAK256: &str = "keccak256";
    /// `(ptr, len, out_ptr)`: sha256 (32 bytes).
    pub const SHA256: &str = "sha256";
    /// `(hash_ptr, sig_ptr, pubkey_ptr, pubkey_len) -> i32`: 1 if the 64-byte `r‖s` signature
    /// over the 32-byte hash is valid for the SEC1 public key (33 or 65 bytes), else 0.
    pub const SECP256K1_VERIFY: &str = "secp256k1_verify";
    /// `(hash_ptr, sig_ptr, recovery_id, out_ptr) -> i32`: recovers the uncompressed 65-byte
    /// public key; [`super::status::OK`] or [`super::status::INVALID_INPUT`].
    pub const SECP256K1_RECOVER: &str = "secp256k1_recover";
    /// `(pubkey_ptr, pubkey_len, out_ptr) -> i32`: the Ethereum-style address of a SEC1 public
    /// key; [`super::status::OK`] or [`super::status::INVALID_INPUT`].
    pub const ADDRESS_FROM_PUBKEY: &str = "address_from_pubkey";

    /// `(ptr, len)`: a debug line, shown in traces and test output. Costs gas; no state effect.
    pub const DEBUG_LOG: &str = "debug_log";
}

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
