//! How contracts fail: out of gas (in WASM and in every host function), memory and stack
//! limits, and the determinism of floats and gas.

use tidepool_abi::host::FUNCTIONS;
use tidepool_vm::{Limits, Status, Vm, VmConfig};

use crate::support::*;

#[test]
fn an_infinite_loop_runs_out_of_gas_and_reverts() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(data (i32.const 0) "k")
           (func (export "execute")
             (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))
             (loop $forever (br $forever)))"#,
    );
    let outcome = chain.execute_with(c, b"", 0, 2_000_000);
    assert_eq!(outcome.status, Status::OutOfGas);
    assert_eq!(outcome.gas_used, 2_000_000);
    assert!(chain.last_writes.is_empty());
    assert_eq!(chain.storage(&c, b"k"), None);
    assert_eq!(outcome.trace.error.as_deref(), Some("out of gas"));
}

#[test]
fn every_host_function_charges_before_working() {
    let frame_base = Vm::new(VmConfig::for_tests()).unwrap().gas_schedule().frame_base;
    let bodies: Vec<(&str, String)> = FUNCTIONS.iter().map(|f| (f.name, call_with_zeros(f))).collect();
    assert_eq!(bodies.len(), 33, "every host function");

    let mut chain = Chain::new();
    for (name, body) in bodies {
        let c = chain.deploy(&body);
        // Enough for the frame and the few instructions before the call, not for the call.
        let starved = chain.execute_with(c, b"", 0, frame_base + 20);
        assert_eq!(starved.status, Status::OutOfGas, "{name}");
        assert_eq!(starved.gas_used, frame_base + 20, "{name}");
        // With gas, the same call does not run out (it may fail for its own reasons).
        let fed = chain.execute_with(c, b"", 0, GAS);
        assert_ne!(fed.status, Status::OutOfGas, "{name}");
    }
}

#[test]
fn memory_growth_past_the_cap_is_a_limit() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (drop (call $read_input))
             (call $return_i32 (memory.grow (i32.load (i32.const 0x8000)))))"#,
    );
    // One page now; up to 256 in all is fine.
    assert_eq!(ok(&chain.execute(c, &255u32.to_le_bytes())), 1i32.to_le_bytes(), "old size");
    let outcome = chain.execute(c, &256u32.to_le_bytes());
    assert_limit(&outcome, "memory: growing to 257 pages, at most 256 allowed");
    assert_limit(&chain.execute(c, &1000u32.to_le_bytes()), "memory: growing to 1001 pages");
    // Pages are paid for before they are granted: a hostile request runs out of gas.
    assert_eq!(chain.execute(c, &u32::MAX.to_le_bytes()).status, Status::OutOfGas);
}

#[test]
fn memory_growth_is_metered_per_page() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (drop (call $read_input)) (drop (memory.grow (i32.load (i32.const 0x8000)))))"#,
    );
    let small = chain.execute(c, &1u32.to_le_bytes()).gas_used;
    let large = chain.execute(c, &101u32.to_le_bytes()).gas_used;
    let per_page = u64::from(chain.vm.gas_schedule().memory_grow_per_page);
    assert_eq!(large - small, 100 * per_page);
}

#[test]
fn unbounded_recursion_is_a_stack_limit() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func $down (param i32) (result i32) (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
           (func (export "execute") (drop (call $down (i32.const 0))))"#,
    );
    let outcome = chain.execute(c, b"");
    assert_limit(&outcome, "wasm stack");
    assert!(outcome.gas_used < GAS, "stopped by the stack, not by gas");
}

/// Recurses `n` wasm frames, then calls itself with `levels - 1` (input: n ‖ levels).
/// Returns the nested call's status.
const STACKER: &str = r#"
  (func (export "tidepool_reentrant"))
  (func $deep (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (i32.add (call $deep (i32.sub (local.get $n) (i32.const 1))) (i32.const 0)))
      (else
        (if (result i32) (i32.gt_u (i32.load (i32.const 0x8004)) (i32.const 1))
          (then
            (call $self_address (i32.const 0x100))
            (i32.store (i32.const 0x9000) (i32.load (i32.const 0x8000)))
            (i32.store (i32.const 0x9004) (i32.sub (i32.load (i32.const 0x8004)) (i32.const 1)))
            (call $call (i32.const 0x100) (i32.const 0x9000) (i32.const 8) (i32.const 0x6000) (i64.const 0)))
          (else (i32.const 0))))))
  (func (export "execute") (drop (call $read_input)) (call $return_i32 (call $deep (i32.load (i32.const 0x8000)))))"#;

fn stacker_args(n: u32, levels: u32) -> Vec<u8> {
    [n.to_le_bytes(), levels.to_le_bytes()].concat()
}

/// The most `STACKER` frames one call fits in its WASM stack (a binary search).
fn deepest_recursion(chain: &mut Chain, c: tidepool_ledger::Address) -> u32 {
    let mut fits = |n: u32| chain.execute(c, &stacker_args(n, 1)).status == Status::Success;
    let (mut low, mut high) = (1u32, 1u32 << 20);
    assert!(fits(low) && !fits(high));
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if fits(mid) { low = mid } else { high = mid }
    }
    low
}

/// Eight nested frames, each filling its WASM stack to just below the limit, fit in the 2 MiB
/// stack of an ordinary thread: the VM must not crash the node whatever the contract does.
#[test]
fn nested_frames_each_at_their_stack_limit_do_not_overflow_the_host() {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut chain = Chain::new();
            let c = chain.deploy(STACKER);
            let most = deepest_recursion(&mut chain, c);
            let outcome = chain.execute(c, &stacker_args(most - 2, 8));
            ok(&outcome);
            let mut depth = 1;
            let mut frame = &outcome.trace;
            while let Some(child) = frame.children.first() {
                depth += 1;
                frame = child;
            }
            assert!(depth >= 2, "at least one nested frame ran:\n{}", outcome.trace);
            // Either all eight ran, or the VM refused the next frame for lack of native stack.
            if depth < 8 {
                assert!(frame.error.as_deref().unwrap_or_default().contains("native stack"), "{}", outcome.trace);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// With a smaller native stack budget, the frame that would not fit is refused as a limit
/// (its caller carries on), instead of overflowing the host's stack.
#[test]
fn a_nested_call_that_would_not_fit_the_native_stack_is_refused() {
    let limits = Limits { native_stack: 512 * 1024, ..Limits::default() };
    let mut chain = Chain::with_config(VmConfig { limits, ..VmConfig::for_tests() });
    let c = chain.deploy(STACKER);
    // Each level fills most of its 128 KiB of WASM stack before calling the next.
    let most = deepest_recursion(&mut chain, c);
    let outcome = chain.execute(c, &stacker_args(most - 2, 8));
    ok(&outcome);
    let mut depth = 1;
    let mut frame = &outcome.trace;
    while let Some(child) = frame.children.first() {
        depth += 1;
        frame = child;
    }
    assert!(depth < 8, "{}", outcome.trace);
    assert!(frame.error.as_deref().unwrap_or_default().contains("native stack"), "{}", outcome.trace);
    assert_eq!(frame.gas_used, 0, "refused before running");
}

#[test]
fn nan_producing_float_code_gives_canonical_bits_every_time() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute")
             (f32.store (i32.const 0) (f32.div (f32.const 0) (f32.const 0)))
             (f64.store (i32.const 4) (f64.sqrt (f64.const -1)))
             (f32.store (i32.const 12) (f32.add (f32.const -nan:0x200001) (f32.const 1)))
             (f64.store (i32.const 16) (f64.promote_f32 (f32.const -nan:0x1)))
             (f32.store (i32.const 24) (f32.demote_f64 (f64.const nan:0x8000000000001)))
             (f64.store (i32.const 28) (f64.mul (f64.const -nan:0x4) (f64.const 2)))
             (call $return (i32.const 0) (i32.const 36)))"#,
    );
    let first = ok(&chain.execute(c, b"")).to_vec();
    let f32_at = |at: usize| u32::from_le_bytes(first[at..at + 4].try_into().unwrap());
    let f64_at = |at: usize| u64::from_le_bytes(first[at..at + 8].try_into().unwrap());
    for at in [0, 12, 24] {
        assert_eq!(f32_at(at), 0x7fc0_0000, "f32 at {at}");
    }
    for at in [4, 16, 28] {
        assert_eq!(f64_at(at), 0x7ff8_0000_0000_0000, "f64 at {at}");
    }
    for _ in 0..3 {
        assert_eq!(ok(&chain.execute(c, b"")), first);
    }
}

const WORKLOAD: &str = r#"
  (data (i32.const 0) "counter")
  (func (export "execute") (local $i i32)
    (drop (call $storage_read (i32.const 0) (i32.const 7) (i32.const 0x100) (i32.const 8)))
    (loop $spin
      (call $keccak256 (i32.const 0) (i32.const 64) (i32.const 0x200))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const 50))))
    (i64.store (i32.const 0x100) (i64.add (i64.load (i32.const 0x100)) (i64.const 1)))
    (call $storage_write (i32.const 0) (i32.const 7) (i32.const 0x100) (i32.const 8))
    (call $return (i32.const 0x200) (i32.const 32)))"#;

#[test]
fn gas_used_is_identical_over_repeated_runs_and_fresh_vms() {
    let gas_of = |chain: &mut Chain, c| {
        let outcome = chain.execute(c, b"");
        ok(&outcome);
        outcome.gas_used
    };
    let mut chain = Chain::new();
    let c = chain.deploy(WORKLOAD);
    // The first run reads an absent counter; every later run reads the same 8 bytes.
    gas_of(&mut chain, c);
    let first = gas_of(&mut chain, c);
    for _ in 0..5 {
        assert_eq!(gas_of(&mut chain, c), first);
    }
    let mut other = Chain::new();
    let c2 = other.deploy(WORKLOAD);
    assert_eq!(c2, c, "same deployment, same address");
    gas_of(&mut other, c2);
    assert_eq!(gas_of(&mut other, c2), first, "a freshly compiled module meters the same");
}
