//! VM benchmarks. Run with: `cargo bench -p tidepool-vm --profile dev` (figures in
//! BENCHMARKS.md, section "VM").
//!
//! - `call/*`: one top-level call through `Vm::call`, each with a fresh instance of a module
//!   already in the memory cache (the steady state of a node);
//! - `metering/*`: a compute loop on the VM's engine with fuel on and off;
//! - `module/*`: getting a module ready after a restart — from the disk cache vs compiling —
//!   for the sample lending pool (real Rust output), plus validation alone;
//! - `host/*`: single host functions, to calibrate the gas schedule.
//!
//! After criterion, a per-call latency report (p50/p90/p99 over individually timed calls)
//! checks the targets, since criterion's statistics are over batches.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tidepool_ledger::{Address, MemoryStore, Overlay};
use tidepool_vm::{Call, CallKind, Env, GasSchedule, Limits, Status, Vm, VmConfig};
use wasmtime::{Instance, Module, Store};

const IMPORTS: &str = r#"
  (import "tidepool" "storage_read" (func $storage_read (param i32 i32 i32 i32) (result i64)))
  (import "tidepool" "storage_write" (func $storage_write (param i32 i32 i32 i32)))
  (import "tidepool" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "tidepool" "input_read" (func $input_read (param i32)))
  (import "tidepool" "keccak256" (func $keccak256 (param i32 i32 i32)))
  (import "tidepool" "secp256k1_verify" (func $secp256k1_verify (param i32 i32 i32 i32) (result i32)))"#;

/// A valid secp256k1 hash ‖ signature ‖ compressed key, as a WAT string literal.
fn signed_data() -> String {
    let key = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let hash = [0x11u8; 32];
    let (signature, _) = key.sign_prehash_recoverable(&hash);
    let bytes =
        [&hash[..], signature.to_bytes().as_slice(), key.verifying_key().to_sec1_point(true).as_bytes()].concat();
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// One contract whose `execute` does what the first input byte says:
/// 0 nothing; 1 read one 32-byte value; 2 write one; 3 call the contract at input[1..21]
/// (empty message); 4 keccak256 of 1 KiB; 5 secp256k1_verify of a valid signature.
fn bench_contract() -> Vec<u8> {
    let signed = signed_data();
    wat::parse_str(format!(
        r#"(module {IMPORTS}
          (memory (export "memory") 1)
          (data (i32.const 0) "balance:0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
          (data (i32.const 0x1000) "{signed}")
          (func (export "tidepool_abi_v1"))
          (func (export "instantiate")
            (call $storage_write (i32.const 0) (i32.const 50) (i32.const 0x100) (i32.const 32)))
          (func (export "execute") (local $op i32)
            (call $input_read (i32.const 0x8000))
            (local.set $op (i32.load8_u (i32.const 0x8000)))
            (if (i32.eq (local.get $op) (i32.const 1))
              (then (drop (call $storage_read (i32.const 0) (i32.const 50) (i32.const 0x100) (i32.const 32)))))
            (if (i32.eq (local.get $op) (i32.const 2))
              (then (call $storage_write (i32.const 0) (i32.const 50) (i32.const 0x100) (i32.const 32))))
            (if (i32.eq (local.get $op) (i32.const 3))
              (then (drop (call $call (i32.const 0x8001) (i32.const 0) (i32.const 0) (i32.const 0x6000) (i64.const 0)))))
            (if (i32.eq (local.get $op) (i32.const 4))
              (then (call $keccak256 (i32.const 0x1000) (i32.const 1024) (i32.const 0x100))))
            (if (i32.eq (local.get $op) (i32.const 5))
              (then (drop (call $secp256k1_verify (i32.const 0x1000) (i32.const 0x1020) (i32.const 0x1060) (i32.const 33)))))))"#
    ))
    .unwrap()
}

struct Bench {
    vm: Vm,
    overlay: Overlay,
    env: Env,
    sender: Address,
    contract: Address,
    callee: Address,
}

impl Bench {
    fn new(vm: Vm) -> Bench {
        let sender = Address([0xAA; 20]);
        let mut overlay = Overlay::new(Arc::new(MemoryStore::default()));
        let env = Env { chain_id: 1, height: 1, time: 1, origin: sender };
        let code = vm.upload(&mut overlay, sender, 1, &bench_contract()).unwrap().unwrap();
        let mut bench = Bench { vm, overlay, env, sender, contract: Address([1; 20]), callee: Address([2; 20]) };
        for contract in [bench.contract, bench.callee] {
            let kind = CallKind::Instantiate { code_hash: code, admin: None, label: String::new() };
            let call = Call { sender, contract, kind, msg: Vec::new(), funds: 0, gas_limit: 10_000_000 };
            assert_eq!(bench.vm.call(&mut bench.overlay, &env, call).unwrap().status, Status::Success);
        }
        bench
    }

    fn call(&self, op: u8) -> Call {
        let msg = [&[op][..], &self.callee.0].concat();
        Call {
            sender: self.sender,
            contract: self.contract,
            kind: CallKind::Execute,
            msg,
            funds: 0,
            gas_limit: 10_000_000,
        }
    }

    /// Runs `call` and leaves the overlay as it was (writes are reverted, so it never grows).
    fn run(&mut self, call: Call) {
        let checkpoint = self.overlay.checkpoint();
        let outcome = self.vm.call(&mut self.overlay, &self.env, call).unwrap();
        debug_assert_eq!(outcome.status, Status::Success);
        black_box(outcome);
        self.overlay.revert_to(checkpoint);
    }
}

fn calls(c: &mut Criterion) {
    let mut bench = Bench::new(Vm::new(VmConfig::default()).unwrap());
    let mut group = c.benchmark_group("call");
    for (name, op) in [("empty", 0u8), ("storage_read", 1), ("storage_write", 2), ("nested_call", 3)] {
        let call = bench.call(op);
        group.bench_function(name, |b| b.iter(|| bench.run(call.clone())));
    }
    group.finish();
}

fn host(c: &mut Criterion) {
    let mut bench = Bench::new(Vm::new(VmConfig::default()).unwrap());
    let mut group = c.benchmark_group("host");
    // Each is a whole call; subtract call/empty for the host function itself.
    for (name, op) in [("keccak256_1k", 4u8), ("secp256k1_verify", 5)] {
        let call = bench.call(op);
        group.bench_function(name, |b| b.iter(|| bench.run(call.clone())));
    }
    group.finish();
}

/// xorshift64 for `iterations` rounds: pure arithmetic and a loop, no memory, no host calls.
const COMPUTE: &str = r#"(module
  (func (export "run") (param $n i32) (result i64) (local $x i64)
    (local.set $x (i64.const 88172645463325252))
    (loop $l
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $x)))"#;

fn compute_loop(metered: bool) -> impl FnMut(i32) -> i64 {
    let engine = tidepool_vm::engine::build(&GasSchedule::default(), &Limits::default(), metered, false).unwrap();
    let module = Module::new(&engine, wat::parse_str(COMPUTE).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance.get_typed_func::<i32, i64>(&mut store, "run").unwrap();
    move |n| {
        if metered {
            store.set_fuel(u64::MAX / 2).unwrap();
        }
        run.call(&mut store, n).unwrap()
    }
}

fn metering(c: &mut Criterion) {
    let mut group = c.benchmark_group("metering");
    for (name, metered) in [("compute_loop_metered", true), ("compute_loop_unmetered", false)] {
        let mut run = compute_loop(metered);
        group.bench_function(name, |b| b.iter(|| run(black_box(100_000))));
    }
    group.finish();
}

fn modules(c: &mut Criterion) {
    let wasm = tidepool_artifacts::LENDING_POOL;
    let dir = tempfile::tempdir().unwrap();
    let disk = Vm::new(VmConfig { cache_dir: Some(dir.path().to_owned()), ..VmConfig::default() }).unwrap();
    disk.prepare_code(wasm).unwrap().unwrap();
    let memory_only = Vm::new(VmConfig::default()).unwrap();
    let mut group = c.benchmark_group("module");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    group.bench_function("validate_lending_pool", |b| {
        b.iter(|| tidepool_vm::validate::validate(black_box(wasm), &Limits::default()).unwrap())
    });
    group.bench_function("load_lending_pool_from_disk", |b| {
        b.iter(|| {
            disk.clear_memory_cache();
            disk.prepare_code(wasm).unwrap().unwrap()
        })
    });
    group.bench_function("compile_lending_pool", |b| {
        b.iter(|| {
            memory_only.clear_memory_cache();
            memory_only.prepare_code(wasm).unwrap().unwrap()
        })
    });
    group.finish();
    let stats = disk.cache_stats();
    assert_eq!(stats.compiles, 1, "the disk benchmark loaded, never compiled: {stats:?}");
}

/// Percentiles of individually timed calls.
fn latency_report() {
    let mut bench = Bench::new(Vm::new(VmConfig::default()).unwrap());
    println!("\nper-call latency (individually timed, 20 000 calls after 2 000 warm-up):");
    for (name, op) in [("empty", 0u8), ("storage_read", 1), ("storage_write", 2), ("nested_call", 3)] {
        let call = bench.call(op);
        let mut times: Vec<Duration> = (0..22_000)
            .map(|_| {
                let call = call.clone();
                let start = Instant::now();
                bench.run(call);
                start.elapsed()
            })
            .skip(2_000)
            .collect();
        times.sort();
        let at = |p: usize| times[times.len() * p / 100];
        println!("  call/{name:<14} p50 {:>8.2?}  p90 {:>8.2?}  p99 {:>8.2?}", at(50), at(90), at(99));
    }
    println!("  lending pool: {} bytes of wasm", tidepool_artifacts::LENDING_POOL.len());
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    calls(&mut criterion);
    host(&mut criterion);
    metering(&mut criterion);
    modules(&mut criterion);
    criterion.final_summary();
    latency_report();
}
