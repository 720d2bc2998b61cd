//! The table of host functions and their WASM types, from [`tidepool_abi::host`].
//!
//! Upload validation checks every import against this table, and a test checks that the
//! linker defines exactly these functions with exactly these types, so the three (ABI
//! document, validation, implementation) cannot drift apart.

use tidepool_abi::host as h;

/// A WASM value type used by the host ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WasmType {
    /// `i32`: pointers, lengths, handles, status codes.
    I32,
    /// `i64`: lengths that may be negative (`NOT_FOUND`), heights, gas.
    I64,
}

/// One host function: name and type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostFunction {
    /// Import name in module [`tidepool_abi::MODULE`].
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [WasmType],
    /// Result types.
    pub results: &'static [WasmType],
}

impl HostFunction {
    /// The type in WAT-like notation, for error messages.
    pub(crate) fn signature(&self) -> String {
        let list = |types: &[WasmType]| {
            types.iter().map(|t| if *t == I32 { "i32" } else { "i64" }).collect::<Vec<_>>().join(" ")
        };
        format!("(func (param {}) (result {}))", list(self.params), list(self.results))
    }
}

use WasmType::{I32, I64};

const fn f(name: &'static str, params: &'static [WasmType], results: &'static [WasmType]) -> HostFunction {
    HostFunction { name, params, results }
}

/// Every host function of ABI version 1.
pub(crate) const HOST_FUNCTIONS: &[HostFunction] = &[
    f(h::INPUT_LEN, &[], &[I32]),
    f(h::INPUT_READ, &[I32], &[]),
    f(h::SET_RETURN, &[I32, I32], &[]),
    f(h::ABORT, &[I32, I32], &[]),
    f(h::STORAGE_READ, &[I32, I32, I32, I32], &[I64]),
    f(h::STORAGE_WRITE, &[I32, I32, I32, I32], &[]),
    f(h::STORAGE_REMOVE, &[I32, I32], &[]),
    f(h::STORAGE_HAS, &[I32, I32], &[I32]),
    f(h::STORAGE_ITER_OPEN, &[I32, I32, I32, I32, I32], &[I32]),
    f(h::STORAGE_ITER_NEXT, &[I32, I32, I32, I32, I32], &[I64]),
    f(h::STORAGE_ITER_CLOSE, &[I32], &[]),
    f(h::SELF_ADDRESS, &[I32], &[]),
    f(h::CALLER, &[I32], &[]),
    f(h::ORIGIN, &[I32], &[]),
    f(h::BLOCK_HEIGHT, &[], &[I64]),
    f(h::BLOCK_TIME, &[], &[I64]),
    f(h::CHAIN_ID, &[], &[I64]),
    f(h::ATTACHED_FUNDS, &[I32], &[]),
    f(h::GAS_LEFT, &[], &[I64]),
    f(h::BALANCE, &[I32, I32], &[]),
    f(h::TRANSFER, &[I32, I32], &[I32]),
    f(h::CALL, &[I32, I32, I32, I32, I64], &[I32]),
    f(h::QUERY, &[I32, I32, I32], &[I32]),
    f(h::INSTANTIATE, &[I32, I32, I32, I32, I32, I32, I32], &[I32]),
    f(h::RESULT_LEN, &[], &[I32]),
    f(h::RESULT_READ, &[I32], &[]),
    f(h::EMIT_EVENT, &[I32, I32, I32, I32], &[]),
    f(h::KECCAK256, &[I32, I32, I32], &[]),
    f(h::SHA256, &[I32, I32, I32], &[]),
    f(h::SECP256K1_VERIFY, &[I32, I32, I32, I32], &[I32]),
    f(h::SECP256K1_RECOVER, &[I32, I32, I32, I32], &[I32]),
    f(h::ADDRESS_FROM_PUBKEY, &[I32, I32, I32], &[I32]),
    f(h::DEBUG_LOG, &[I32, I32], &[]),
];

/// The host function called `name`.
pub(crate) fn find(name: &str) -> Option<&'static HostFunction> {
    HOST_FUNCTIONS.iter().find(|f| f.name == name)
}
