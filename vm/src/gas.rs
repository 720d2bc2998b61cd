//! The published gas schedule: what WASM execution and every host function cost.
//!
//! One unit of gas is one unit of wasmtime fuel. WASM code pays wasmtime's operator table (one
//! unit per instruction; `nop`, `drop` and structured control flow are free; bulk memory and
//! table operations pay per byte or element), with `memory.grow` made to pay per page. Host
//! functions pay the costs below, charged *before* the work is done, so a contract can never
//! make the host allocate or hash more than it has paid for.
//!
//! The schedule is versioned and [`GasSchedule::fingerprint`] hashes every number in it; the
//! fingerprint is part of the compiled-module cache key (see [`crate::cache`]), because the
//! operator costs are compiled into the machine code.
//!
//! Calibration: one unit bounds about one nanosecond of CPU. Host functions are priced at or
//! above their measured time (`cargo bench -p tidepool-vm --profile dev`, group `host`, and
//! BENCHMARKS.md), while a WASM instruction runs in 0.15–0.5 ns for its one unit, so a gas
//! limit bounds wall time whatever mix of instructions and host calls a contract uses. Storage
//! writes also carry the long-term cost of state, so they are priced far above their CPU time
//! (as in NEAR and CosmWasm).

use serde::{Deserialize, Serialize};
use tidepool_ledger::{Hash, keccak256};

/// The gas cost table. [`GasSchedule::default`] is the published schedule, version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasSchedule {
    /// Version of this table; bumped whenever any number changes.
    pub version: u32,

    /// Per 64 KiB page requested by `memory.grow` (wasmtime's default is 0).
    pub memory_grow_per_page: u8,

    /// Every contract frame: a store, a fresh instance, the entry call.
    pub frame_base: u64,
    /// Every host function call.
    pub host_call: u64,
    /// Per byte copied between guest memory and the host (input, return data, results, logs).
    pub copy_per_byte: u64,

    /// `storage_read` / `storage_has`, per call.
    pub storage_read_base: u64,
    /// `storage_read`, per byte of key and of value.
    pub storage_read_per_byte: u64,
    /// `storage_write`, per call.
    pub storage_write_base: u64,
    /// `storage_write`, per byte of key and value.
    pub storage_write_per_byte: u64,
    /// `storage_remove`, per call (plus `storage_write_per_byte` per key byte).
    pub storage_remove_base: u64,
    /// `storage_iter_open`, per call (plus `storage_read_per_byte` per bound byte).
    pub storage_iter_open: u64,
    /// `storage_iter_next`, per call (plus `storage_read_per_byte` per key and value byte).
    pub storage_iter_next: u64,

    /// `balance`.
    pub balance: u64,
    /// `transfer`.
    pub transfer: u64,

    /// `call` and `query` of another contract, before the callee's own gas.
    pub call_base: u64,
    /// Creating a contract instance (host `instantiate` and a top-level instantiate).
    pub instantiate_base: u64,

    /// `emit_event`, per call.
    pub event_base: u64,
    /// `emit_event`, per byte of type and data.
    pub event_per_byte: u64,

    /// `keccak256` / `sha256`, per call.
    pub hash_base: u64,
    /// `keccak256` / `sha256`, per byte hashed.
    pub hash_per_byte: u64,
    /// `secp256k1_verify`.
    pub secp256k1_verify: u64,
    /// `secp256k1_recover`.
    pub secp256k1_recover: u64,
    /// `address_from_pubkey` (a point decompression and a keccak256).
    pub address_from_pubkey: u64,

    /// `debug_log`, per call (plus `copy_per_byte`).
    pub debug_log: u64,

    /// Uploading code, per upload: validation and compilation (charged by the node).
    pub upload_base: u64,
    /// Uploading code, per byte of wasm.
    pub upload_per_byte: u64,
}

impl Default for GasSchedule {
    fn default() -> GasSchedule {
        GasSchedule {
            version: 1,
            // Growing is capped at 256 pages per frame, so this mostly prices the page faults.
            memory_grow_per_page: 255,
            frame_base: 10_000,
            host_call: 100,
            copy_per_byte: 1,
            storage_read_base: 2_000,
            storage_read_per_byte: 2,
            storage_write_base: 10_000,
            storage_write_per_byte: 50,
            storage_remove_base: 5_000,
            storage_iter_open: 2_000,
            storage_iter_next: 2_000,
            balance: 2_000,
            transfer: 10_000,
            call_base: 5_000,
            instantiate_base: 50_000,
            event_base: 2_000,
            event_per_byte: 10,
            hash_base: 500,
            hash_per_byte: 10,
            secp256k1_verify: 100_000,
            secp256k1_recover: 120_000,
            address_from_pubkey: 20_000,
            debug_log: 500,
            upload_base: 1_000_000,
            upload_per_byte: 500,
        }
    }
}

impl GasSchedule {
    /// What the node charges to upload `wasm_len` bytes of code (saturating).
    pub fn upload_cost(&self, wasm_len: usize) -> u64 {
        let len = u64::try_from(wasm_len).unwrap_or(u64::MAX);
        self.upload_base.saturating_add(self.upload_per_byte.saturating_mul(len))
    }

    /// keccak256 over every number of the schedule: equal fingerprints mean equal costs.
    pub fn fingerprint(&self) -> Hash {
        let mut preimage = b"tidepool/gas-schedule".to_vec();
        preimage.extend(serde_json::to_vec(self).expect("a struct of integers always serializes"));
        keccak256(&preimage)
    }

    /// The wasmtime operator cost table this schedule compiles into the code.
    pub(crate) fn operator_cost(&self) -> wasmtime::OperatorCost {
        let mut cost = wasmtime::OperatorCost::new();
        cost.variable.memory_grow_per_page = self.memory_grow_per_page;
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_any_cost() {
        let published = GasSchedule::default();
        assert_eq!(published.fingerprint(), GasSchedule::default().fingerprint());
        let cheaper_reads = GasSchedule { storage_read_base: 1, ..GasSchedule::default() };
        assert_ne!(published.fingerprint(), cheaper_reads.fingerprint());
        let next_version = GasSchedule { version: 2, ..GasSchedule::default() };
        assert_ne!(published.fingerprint(), next_version.fingerprint());
    }

    /// The host-function table of the ABI says what each function charges by naming fields of
    /// this schedule: every name must be a field, and every field that prices a host function
    /// must be named by some row.
    #[test]
    fn the_abi_table_names_the_schedule_items_host_functions_charge() {
        let schedule = serde_json::to_value(GasSchedule::default()).unwrap();
        let fields: Vec<&str> = schedule.as_object().unwrap().keys().map(String::as_str).collect();
        let named: Vec<&str> = tidepool_abi::host::FUNCTIONS.iter().flat_map(|f| f.gas_items()).collect();
        for function in tidepool_abi::host::FUNCTIONS {
            for item in function.gas_items() {
                assert!(fields.contains(&item), "{}: `{item}` is not a field of GasSchedule", function.name);
            }
        }
        // Not prices of host functions: the version, WASM's own `memory.grow`, every frame
        // (whoever starts it), and uploads.
        let elsewhere = ["version", "memory_grow_per_page", "frame_base", "upload_base", "upload_per_byte"];
        for field in fields.iter().filter(|field| !elsewhere.contains(field)) {
            assert!(named.contains(field), "no host function of tidepool_abi::host::FUNCTIONS names `{field}`");
        }
    }

    #[test]
    fn upload_cost_is_linear_and_saturates() {
        let gas = GasSchedule::default();
        assert_eq!(gas.upload_cost(0), gas.upload_base);
        assert_eq!(gas.upload_cost(1000), gas.upload_base + 1000 * gas.upload_per_byte);
        assert_eq!(gas.upload_cost(usize::MAX), u64::MAX);
    }
}
