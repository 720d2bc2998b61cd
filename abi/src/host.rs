//! The host functions of ABI v1: [`FUNCTIONS`] is the one list of every function a contract may
//! import from [`crate::MODULE`], with its wasm type and what it charges.
//!
//! The list is written once, in the `host_functions!` invocation below; the macro turns each row
//! into a name constant ([`INPUT_LEN`], [`STORAGE_READ`], …, documented with the row's signature
//! and charge) and into a [`HostFunction`] of [`FUNCTIONS`], so the names and the table cannot
//! disagree. Everything else reads or is checked against [`FUNCTIONS`]:
//!
//! - `tidepool-vm`'s linker defines a host function only if its name is in the table, and refuses
//!   to start if a row has no implementation; a VM test compares every definition's wasmtime type
//!   with the row;
//! - upload validation accepts an import only if the table has it with exactly that type;
//! - the VM's test fixtures import the table; the SDK's `extern` block (`contracts/sdk/src/sys.rs`)
//!   and the imports of every sample contract are checked against it by
//!   `artifacts/tests/host_abi.rs`.
//!
//! # Types
//! Pointers, lengths, capacities and handles are `i32` (wasm32 offsets into the contract's
//! `memory`, read as unsigned by the host). Fixed-size outputs: an address is 20 bytes, a hash 32
//! bytes, an amount 16 bytes (`u128`, little-endian).
//!
//! # Gas
//! [`HostFunction::charges`] says what a call costs as a sum of items of the VM's gas schedule
//! (the fields of `tidepool_vm::GasSchedule`, written in backticks), times the sizes they are
//! charged per. The numbers are the VM's policy and stay there; the table names them so that a
//! contract author finds every cost of a function next to its type. The VM's tests check that
//! every item named here is a field of the schedule and that every host-function field of the
//! schedule is named here.

use core::fmt;

/// A WebAssembly value type of the host ABI. Only the two integer types cross the boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// Pointers, lengths, handles, status codes.
    I32,
    /// Lengths that may be [`crate::status::NOT_FOUND`], heights, times, gas.
    I64,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        })
    }
}

/// One row of [`FUNCTIONS`]: a host function's import name, its wasm type and what it charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostFunction {
    /// Import name, in module [`crate::MODULE`].
    pub name: &'static str,
    /// Parameter types, in order.
    pub params: &'static [ValType],
    /// Result types: none or one.
    pub results: &'static [ValType],
    /// What a call costs: gas-schedule items in backticks (see [`HostFunction::gas_items`]); an
    /// item followed by `×` is paid per unit of the size after it, any other item once per call.
    /// Prose is never in backticks.
    pub charges: &'static str,
}

impl HostFunction {
    /// The wasm type in the text format, as wasm tools print it: `(func (param i32 i32) (result i64))`.
    ///
    /// # Examples
    /// ```
    /// let read = tidepool_abi::host::find("storage_read").unwrap();
    /// assert_eq!(read.signature().to_string(), "(func (param i32 i32 i32 i32) (result i64))");
    /// let height = tidepool_abi::host::find("block_height").unwrap();
    /// assert_eq!(height.signature().to_string(), "(func (result i64))");
    /// ```
    pub fn signature(&self) -> impl fmt::Display + 'static {
        Signature { params: self.params, results: self.results }
    }

    /// The gas-schedule items [`HostFunction::charges`] names, in order.
    ///
    /// # Examples
    /// ```
    /// let hash = tidepool_abi::host::find("keccak256").unwrap();
    /// assert!(hash.gas_items().eq(["host_call", "hash_base", "hash_per_byte"]));
    /// ```
    pub fn gas_items(&self) -> impl Iterator<Item = &'static str> + 'static {
        self.charges.split('`').skip(1).step_by(2)
    }
}

/// A function type in the wasm text format; empty groups are left out.
struct Signature {
    params: &'static [ValType],
    results: &'static [ValType],
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        for (group, types) in [("param", self.params), ("result", self.results)] {
            if !types.is_empty() {
                write!(f, " ({group}")?;
                for ty in types {
                    write!(f, " {ty}")?;
                }
                f.write_str(")")?;
            }
        }
        f.write_str(")")
    }
}

/// The row of [`FUNCTIONS`] called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static HostFunction> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// The wasm type of a parameter or result written as `i32` / `i64`.
macro_rules! val_type {
    (i32) => {
        ValType::I32
    };
    (i64) => {
        ValType::I64
    };
}

/// `name: ty, …` of a row's parameters as text, for its documentation.
macro_rules! params_text {
    () => {
        ""
    };
    ($param:ident: $ty:ident) => {
        concat!(stringify!($param), ": ", stringify!($ty))
    };
    ($param:ident: $ty:ident, $($rest:tt)+) => {
        concat!(stringify!($param), ": ", stringify!($ty), ", ", params_text!($($rest)+))
    };
}

/// Turns the rows below into the name constants and [`FUNCTIONS`]. A row is its documentation
/// (continuing the generated signature line, so it starts in lower case), the constant, the
/// function as it is imported (parameter names are documentation; types are `i32` or `i64`), and
/// what it charges.
macro_rules! host_functions {
    ($(
        $(#[doc = $doc:literal])*
        $constant:ident: fn $name:ident($($param:ident: $ty:ident),*) $(-> $result:ident)?,
            charges $charges:literal;
    )*) => {
        $(
            #[doc = concat!(
                "`", stringify!($name), "(", params_text!($($param: $ty),*), ")",
                $(" -> ", stringify!($result),)? "`:"
            )]
            $(#[doc = $doc])*
            #[doc = ""]
            #[doc = concat!("Gas: ", $charges, ".")]
            pub const $constant: &str = stringify!($name);
        )*

        /// Every host function of ABI version 1: the one list (see the [module docs](self)).
        pub const FUNCTIONS: &[HostFunction] = &[$(
            HostFunction {
                name: $constant,
                params: &[$(val_type!($ty)),*],
                results: &[$(val_type!($result))?],
                charges: $charges,
            },
        )*];
    };
}

host_functions! {
    /// length of the call's input message.
    INPUT_LEN: fn input_len() -> i32,
        charges "`host_call`";
    /// copies the whole input message to `ptr`.
    INPUT_READ: fn input_read(ptr: i32),
        charges "`host_call` + `copy_per_byte` × input length";
    /// sets the call's return data (replacing any earlier value).
    SET_RETURN: fn set_return(ptr: i32, len: i32),
        charges "`host_call` + `copy_per_byte` × len";
    /// ends the call as reverted with a UTF-8 message. Never returns.
    ABORT: fn abort(ptr: i32, len: i32),
        charges "`host_call` + `copy_per_byte` × message bytes kept (at most the log limit)";

    /// [`super::status::NOT_FOUND`] if absent, else the value's full length; the value is copied
    /// only if it fits in `val_cap`.
    STORAGE_READ: fn storage_read(key_ptr: i32, key_len: i32, val_ptr: i32, val_cap: i32) -> i64,
        charges "`host_call` + `storage_read_base` + `storage_read_per_byte` × key_len, \
                 then `storage_read_per_byte` × value length if found";
    /// writes a value.
    STORAGE_WRITE: fn storage_write(key_ptr: i32, key_len: i32, val_ptr: i32, val_len: i32),
        charges "`host_call` + `storage_write_base` + `storage_write_per_byte` × (key_len + val_len)";
    /// removes a key (no error if absent).
    STORAGE_REMOVE: fn storage_remove(key_ptr: i32, key_len: i32),
        charges "`host_call` + `storage_remove_base` + `storage_write_per_byte` × key_len";
    /// 1 if the key exists, else 0.
    STORAGE_HAS: fn storage_has(key_ptr: i32, key_len: i32) -> i32,
        charges "`host_call` + `storage_read_base` + `storage_read_per_byte` × key_len";
    /// opens an iterator over this contract's keys in `[start, end)`; a length of
    /// [`super::UNBOUNDED`] means no bound on that side. `order` is [`super::order::ASCENDING`] or
    /// [`super::order::DESCENDING`]. Returns a handle (≥ 0).
    STORAGE_ITER_OPEN: fn storage_iter_open(
        start_ptr: i32, start_len: i32, end_ptr: i32, end_len: i32, order: i32
    ) -> i32,
        charges "`host_call` + `storage_iter_open` + `storage_read_per_byte` × bound lengths (0 for no bound)";
    /// the next entry. [`super::status::NOT_FOUND`] when exhausted; otherwise
    /// `(key_len << 32) | val_len`, and both are copied if they fit. If either does not fit,
    /// nothing is copied and the iterator does not advance, so the guest can retry with larger
    /// buffers. Each step sees storage as it is at that step: an entry written after the last
    /// one returned (by this call or a nested one) is found, one removed is not.
    STORAGE_ITER_NEXT: fn storage_iter_next(handle: i32, key_ptr: i32, key_cap: i32, val_ptr: i32, val_cap: i32) -> i64,
        charges "`host_call` + `storage_iter_next`, \
                 then `storage_read_per_byte` × (key length + value length) of the entry found";
    /// releases an iterator (optional; all are released when the call ends).
    STORAGE_ITER_CLOSE: fn storage_iter_close(handle: i32),
        charges "`host_call`";

    /// this contract's address (20 bytes).
    SELF_ADDRESS: fn self_address(out_ptr: i32),
        charges "`host_call`";
    /// the immediate caller (20 bytes): an account or a contract.
    CALLER: fn caller(out_ptr: i32),
        charges "`host_call`";
    /// the transaction signer (20 bytes).
    ORIGIN: fn origin(out_ptr: i32),
        charges "`host_call`";
    /// the block height.
    BLOCK_HEIGHT: fn block_height() -> i64,
        charges "`host_call`";
    /// the block time, Unix seconds.
    BLOCK_TIME: fn block_time() -> i64,
        charges "`host_call`";
    /// the chain id.
    CHAIN_ID: fn chain_id() -> i64,
        charges "`host_call`";
    /// native funds attached to this call (16 bytes).
    ATTACHED_FUNDS: fn attached_funds(out_ptr: i32),
        charges "`host_call`";
    /// gas left in this frame.
    GAS_LEFT: fn gas_left() -> i64,
        charges "`host_call`, paid before the gas left is read";

    /// native balance of an address (16 bytes).
    BALANCE: fn balance(addr_ptr: i32, out_ptr: i32),
        charges "`host_call` + `balance`";
    /// sends native funds from this contract. [`super::status::OK`] or
    /// [`super::status::INSUFFICIENT_FUNDS`].
    TRANSFER: fn transfer(to_ptr: i32, amount_ptr: i32) -> i32,
        charges "`host_call` + `transfer`";

    /// calls `execute` on another contract. Returns a [`super::call`] status. On success the
    /// callee's return data becomes the last result; on failure its message (an abort's text) or
    /// the host's detail (which limit, what was not found), without the status's name, which
    /// the returned code gives — empty when there is nothing more to say. `gas_limit`
    /// 0 means "all gas left". A failed callee's writes and events are reverted; the caller
    /// continues.
    CALL: fn call(addr_ptr: i32, msg_ptr: i32, msg_len: i32, funds_ptr: i32, gas_limit: i64) -> i32,
        charges "`host_call` + `call_base` + `copy_per_byte` × msg_len, \
                 then the gas the callee used (its frame included; none if refused before it ran)";
    /// calls `query` on another contract, read-only. Status and last result as for [`CALL`].
    QUERY: fn query(addr_ptr: i32, msg_ptr: i32, msg_len: i32) -> i32,
        charges "`host_call` + `call_base` + `copy_per_byte` × msg_len, \
                 then the gas the callee used (its frame included; none if refused before it ran)";
    /// creates a contract from uploaded code, admin = this contract. Writes the new address to
    /// `out_addr_ptr` on success. Status and last result as for [`CALL`].
    INSTANTIATE: fn instantiate(
        code_hash_ptr: i32, msg_ptr: i32, msg_len: i32, funds_ptr: i32,
        label_ptr: i32, label_len: i32, out_addr_ptr: i32
    ) -> i32,
        charges "`host_call` + `call_base` + `instantiate_base` + `copy_per_byte` × (msg_len + label_len), \
                 then the gas the callee used (its frame included; none if refused before it ran)";
    /// length of the last result.
    RESULT_LEN: fn result_len() -> i32,
        charges "`host_call`";
    /// copies the last result.
    RESULT_READ: fn result_read(ptr: i32),
        charges "`host_call` + `copy_per_byte` × last-result length";

    /// emits an event. `data` must be JSON.
    EMIT_EVENT: fn emit_event(type_ptr: i32, type_len: i32, data_ptr: i32, data_len: i32),
        charges "`host_call` + `event_base` + `event_per_byte` × (type_len + data_len)";

    /// keccak256 (32 bytes).
    KECCAK256: fn keccak256(ptr: i32, len: i32, out_ptr: i32),
        charges "`host_call` + `hash_base` + `hash_per_byte` × len";
    /// sha256 (32 bytes).
    SHA256: fn sha256(ptr: i32, len: i32, out_ptr: i32),
        charges "`host_call` + `hash_base` + `hash_per_byte` × len";
    /// 1 if the 64-byte `r‖s` signature over the 32-byte hash is valid for the SEC1 public key
    /// (33 or 65 bytes), else 0.
    SECP256K1_VERIFY: fn secp256k1_verify(hash_ptr: i32, sig_ptr: i32, pubkey_ptr: i32, pubkey_len: i32) -> i32,
        charges "`host_call` + `secp256k1_verify`";
    /// recovers the uncompressed 65-byte public key; [`super::status::OK`] or
    /// [`super::status::INVALID_INPUT`].
    SECP256K1_RECOVER: fn secp256k1_recover(hash_ptr: i32, sig_ptr: i32, recovery_id: i32, out_ptr: i32) -> i32,
        charges "`host_call` + `secp256k1_recover`";
    /// the Ethereum-style address of a SEC1 public key; [`super::status::OK`] or
    /// [`super::status::INVALID_INPUT`].
    ADDRESS_FROM_PUBKEY: fn address_from_pubkey(pubkey_ptr: i32, pubkey_len: i32, out_ptr: i32) -> i32,
        charges "`host_call` + `address_from_pubkey`";

    /// a debug line, shown in traces and test output. No state effect.
    DEBUG_LOG: fn debug_log(ptr: i32, len: i32),
        charges "`host_call` + `debug_log` + `copy_per_byte` × line bytes kept (at most the log limit)";
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::ToString;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn the_table_lists_each_name_once_under_its_constant() {
        assert_eq!(FUNCTIONS.len(), 33);
        for (i, function) in FUNCTIONS.iter().enumerate() {
            assert!(FUNCTIONS[..i].iter().all(|earlier| earlier.name != function.name), "{} twice", function.name);
            assert_eq!(find(function.name), Some(function));
        }
        assert_eq!(find(STORAGE_ITER_NEXT).map(|f| f.name), Some("storage_iter_next"));
        assert_eq!(find("random"), None);
    }

    #[test]
    fn rows_have_at_most_one_result_and_every_call_pays_host_call() {
        for function in FUNCTIONS {
            assert!(function.results.len() <= 1, "{}", function.name);
            let items: Vec<_> = function.gas_items().collect();
            assert_eq!(items.first(), Some(&"host_call"), "{}: {}", function.name, function.charges);
            assert!(function.charges.matches('`').count() % 2 == 0, "{}: unpaired backtick", function.name);
        }
    }

    #[test]
    fn signatures_print_in_the_text_format() {
        let text = |name: &str| find(name).unwrap().signature().to_string();
        assert_eq!(text(INPUT_LEN), "(func (result i32))");
        assert_eq!(text(STORAGE_ITER_CLOSE), "(func (param i32))");
        assert_eq!(text(CALL), "(func (param i32 i32 i32 i32 i64) (result i32))");
        assert_eq!(find(CALL).unwrap().params[4], ValType::I64);
        assert_eq!(find(INSTANTIATE).unwrap().params.len(), 7);
    }

    #[test]
    fn gas_items_are_the_backticked_words() {
        let read = find(STORAGE_READ).unwrap();
        let items: Vec<_> = read.gas_items().collect();
        assert_eq!(items, ["host_call", "storage_read_base", "storage_read_per_byte", "storage_read_per_byte"]);
        assert!(find(CALL).unwrap().gas_items().eq(["host_call", "call_base", "copy_per_byte"]));
    }
}
