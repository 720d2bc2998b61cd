//! Integration tests of the VM: one binary, one module per area, inline WAT fixtures.
//!
//! Every host function has a success test and a hostile-input test (bad pointer, oversized
//! length) in its `host_*` module; `failure_modes::every_host_function_charges_before_working`
//! runs each of them out of gas mid-call. `abi_table` holds the fixtures and the gas to the ABI's
//! table of host functions.

mod abi_table;
mod failure_modes;
mod host_calls;
mod host_context;
mod host_crypto;
mod host_events;
mod host_io;
mod host_storage;
mod lifecycle;
mod quick_calls;
mod real_contracts;
mod support;
mod validation;
