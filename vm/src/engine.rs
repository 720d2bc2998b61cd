//! The wasmtime engine, configured for deterministic, metered, fast contract execution.
//!
//! Every setting that affects what a contract observes is pinned here rather than left to a
//! wasmtime default, so that an upgrade of wasmtime cannot silently change behaviour. The same
//! [`WASM_FEATURES`] drive upload validation ([`crate::validate`]), so code that validates is
//! exactly the code the engine compiles.

use std::hash::{Hash as _, Hasher};

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy, WasmFeatures,
};

use crate::error::VmError;
use crate::gas::GasSchedule;
use crate::limits::Limits;

/// The WebAssembly features a contract may use: WebAssembly 1.0 plus what Rust's
/// `wasm32-unknown-unknown` target emits by default (bulk memory, sign extension, mutable
/// globals, multi-value, non-trapping float-to-int, reference types — the latter only for its
/// `call_indirect` encoding; `externref` stays out because GC types are off).
///
/// Left out on purpose: threads and shared memory (nondeterministic), SIMD and relaxed SIMD
/// (relaxed SIMD is nondeterministic across CPUs; plain SIMD is not emitted by default and
/// leaving it out keeps the compiled surface small), memory64 and multi-memory (one 32-bit
/// memory is what the host ABI addresses), tail calls, exceptions, GC, function references,
/// extended constants, custom page sizes, wide arithmetic and stack switching (no contract
/// toolchain needs them yet; each can be added with a gas-schedule version bump).
pub const WASM_FEATURES: WasmFeatures = WasmFeatures::FLOATS
    .union(WasmFeatures::MUTABLE_GLOBAL)
    .union(WasmFeatures::SATURATING_FLOAT_TO_INT)
    .union(WasmFeatures::SIGN_EXTENSION)
    .union(WasmFeatures::MULTI_VALUE)
    .union(WasmFeatures::BULK_MEMORY)
    .union(WasmFeatures::REFERENCE_TYPES);

/// Dirty bytes of a memory slot reset by copying (not `madvise`) after a call, where the host
/// has PAGEMAP_SCAN: 1 MiB covers the stack, data and heap a contract call typically touches;
/// beyond it the rest is given back to the kernel. 128 slots keep at most 128 MiB resident.
const RESIDENT_WITH_PAGEMAP_SCAN: usize = 1024 * 1024;

/// Builds the engine a [`crate::Vm`] runs on. `metered: false` gives an otherwise identical
/// engine without fuel — never for contracts (nothing would stop an infinite loop); the
/// metering-overhead benchmark compares the two. `perf_map` names compiled functions in
/// `/tmp/perf-<pid>.map` for `perf` ([`crate::VmConfig::perf_map`]); it changes no code.
///
/// # Errors
/// [`VmError::Engine`] if wasmtime refuses the configuration.
pub fn build(gas: &GasSchedule, limits: &Limits, metered: bool, perf_map: bool) -> Result<Engine, VmError> {
    let mut config = Config::new();

    // Features: exactly WASM_FEATURES, nothing from wasmtime's defaults.
    config.wasm_features(WasmFeatures::all(), false);
    config.wasm_features(WASM_FEATURES, true);

    // Determinism. NaN canonicalization makes every float operation that produces a NaN
    // produce the same canonical NaN bits on every CPU (IEEE 754 leaves the payload open).
    // Threads, SIMD and relaxed SIMD are off above; no WASI is linked; the only
    // nondeterminism left is the *point* of a native stack overflow (see `max_wasm_stack`),
    // which depends on the compiled frame sizes and so on the wasmtime version and CPU
    // architecture — both part of the cache fingerprint.
    config.cranelift_nan_canonicalization(true);
    config.relaxed_simd_deterministic(true);

    // Metering: fuel, with the schedule's operator costs compiled into the code.
    config.consume_fuel(metered);
    config.operator_cost(gas.operator_cost());

    // Limits: one frame's native stack for WASM (see Limits::max_wasm_stack).
    config.max_wasm_stack(limits.max_wasm_stack);

    // Speed. Pooling: instances, memories and tables come from slots reserved once, so a
    // fresh instance per call costs a few microseconds rather than mmap calls. Copy-on-write
    // memory init maps a module's data segments instead of copying them.
    //
    // Resetting a slot after a call is the rest of the cost. `madvise` gives the pages back,
    // which flushes the TLB of every core the process runs on (an inter-processor interrupt,
    // while the other core checks signatures) and makes the next call fault every page in
    // again: in a token transfer that was ~30 % of the writer's time. With Linux's
    // PAGEMAP_SCAN (6.7+) wasmtime finds the pages the call dirtied and copies their original
    // contents back instead, up to `keep_resident` bytes, so a slot stays mapped and warm.
    // Without it, keeping pages resident means a memset of the first `keep_resident` bytes
    // whether touched or not, so only the low 64 KiB are kept.
    let mut pool = PoolingAllocationConfig::new();
    let (pagemap_scan, keep_resident) = if PoolingAllocationConfig::is_pagemap_scan_available() {
        (Enabled::Yes, RESIDENT_WITH_PAGEMAP_SCAN)
    } else {
        (Enabled::No, 64 * 1024)
    };
    pool.pagemap_scan(pagemap_scan);
    pool.total_core_instances(limits.instance_pool_size)
        .total_memories(limits.instance_pool_size)
        .total_tables(limits.instance_pool_size)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(limits.max_memory_bytes())
        .table_elements(limits.max_table_elements as usize)
        .linear_memory_keep_resident(keep_resident)
        .table_keep_resident(16 * 1024);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.memory_init_cow(true);

    // Traps carry no backtrace: capturing one costs time on every failed call, and a
    // contract's error message must not depend on anything but the contract.
    config.wasm_backtrace_max_frames(None);
    config.wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Disable);

    if perf_map {
        config.profiler(ProfilingStrategy::PerfMap);
    }

    Engine::new(&config).map_err(|e| VmError::Engine(format!("{e:#}")))
}

/// The bytes of [`Engine::precompile_compatibility_hash`]: two engines with equal bytes load
/// each other's precompiled modules.
pub(crate) fn compatibility_bytes(engine: &Engine) -> Vec<u8> {
    /// A `Hasher` that keeps what it is fed, so the hash input becomes a stable byte string.
    struct Bytes(Vec<u8>);
    impl Hasher for Bytes {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }
    let mut bytes = Bytes(Vec::new());
    engine.precompile_compatibility_hash().hash(&mut bytes);
    bytes.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_bytes_follow_the_configuration() {
        let gas = GasSchedule::default();
        let limits = Limits { instance_pool_size: 2, ..Limits::default() };
        let a = build(&gas, &limits, true, false).unwrap();
        let b = build(&gas, &limits, true, false).unwrap();
        assert_eq!(compatibility_bytes(&a), compatibility_bytes(&b));
        let unmetered = build(&gas, &limits, false, false).unwrap();
        assert_ne!(compatibility_bytes(&a), compatibility_bytes(&unmetered));
        let other_costs = GasSchedule { memory_grow_per_page: 1, ..GasSchedule::default() };
        assert_ne!(compatibility_bytes(&a), compatibility_bytes(&build(&other_costs, &limits, true, false).unwrap()));
        // A perf map changes no compiled code: the disk cache serves both.
        assert_eq!(compatibility_bytes(&a), compatibility_bytes(&build(&gas, &limits, true, true).unwrap()));
    }
}
