//! The raw host imports of ABI v1 (`tidepool-abi`), one `extern "C"` declaration per host
//! function. Everything else in the SDK goes through the safe wrappers in the other modules.
//!
//! The list is `tidepool_abi::host::FUNCTIONS`, written out by hand so that each pointer says
//! what it points to; `artifacts/tests/host_abi.rs` checks that it declares exactly the table's
//! functions with the table's wasm types (pointers are `i32`), and that every sample contract
//! imports them with those types.
//!
//! On targets other than wasm32 the same functions are provided by the native test double in
//! [`crate::testing`], so contract crates compile and unit-test natively.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "tidepool")]
unsafe extern "C" {
    pub fn input_len() -> i32;
    pub fn input_read(ptr: *mut u8);
    pub fn set_return(ptr: *const u8, len: i32);
    pub fn abort(ptr: *const u8, len: i32) -> !;

    pub fn storage_read(key_ptr: *const u8, key_len: i32, val_ptr: *mut u8, val_cap: i32) -> i64;
    pub fn storage_write(key_ptr: *const u8, key_len: i32, val_ptr: *const u8, val_len: i32);
    pub fn storage_remove(key_ptr: *const u8, key_len: i32);
    pub fn storage_has(key_ptr: *const u8, key_len: i32) -> i32;
    pub fn storage_iter_open(start_ptr: *const u8, start_len: i32, end_ptr: *const u8, end_len: i32, order: i32)
    -> i32;
    pub fn storage_iter_next(handle: i32, key_ptr: *mut u8, key_cap: i32, val_ptr: *mut u8, val_cap: i32) -> i64;
    pub fn storage_iter_close(handle: i32);

    pub fn self_address(out: *mut u8);
    pub fn caller(out: *mut u8);
    pub fn origin(out: *mut u8);
    pub fn block_height() -> i64;
    pub fn block_time() -> i64;
    pub fn chain_id() -> i64;
    pub fn attached_funds(out: *mut u8);
    pub fn gas_left() -> i64;

    pub fn balance(addr: *const u8, out: *mut u8);
    pub fn transfer(to: *const u8, amount: *const u8) -> i32;

    pub fn call(addr: *const u8, msg_ptr: *const u8, msg_len: i32, funds: *const u8, gas_limit: i64) -> i32;
    pub fn query(addr: *const u8, msg_ptr: *const u8, msg_len: i32) -> i32;
    pub fn instantiate(
        code_hash: *const u8,
        msg_ptr: *const u8,
        msg_len: i32,
        funds: *const u8,
        label_ptr: *const u8,
        label_len: i32,
        out_addr: *mut u8,
    ) -> i32;
    pub fn result_len() -> i32;
    pub fn result_read(ptr: *mut u8);

    pub fn emit_event(type_ptr: *const u8, type_len: i32, data_ptr: *const u8, data_len: i32);

    pub fn keccak256(ptr: *const u8, len: i32, out: *mut u8);
    pub fn sha256(ptr: *const u8, len: i32, out: *mut u8);
    pub fn secp256k1_verify(hash: *const u8, sig: *const u8, pubkey: *const u8, pubkey_len: i32) -> i32;
    pub fn secp256k1_recover(hash: *const u8, sig: *const u8, recovery_id: i32, out: *mut u8) -> i32;
    pub fn address_from_pubkey(pubkey: *const u8, pubkey_len: i32, out: *mut u8) -> i32;

    pub fn debug_log(ptr: *const u8, len: i32);
}

#[cfg(not(target_arch = "wasm32"))]
pub use crate::testing::host::*;
