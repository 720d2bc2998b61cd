//! Context (self, caller, origin, height, time, chain id, attached funds, gas left) and the
//! native token (balance, transfer).

use tidepool_ledger::Address;
use tidepool_vm::Status;

use crate::support::*;

/// Returns self ‖ caller ‖ origin ‖ height ‖ time ‖ chain id ‖ funds ‖ gas left.
const CONTEXT: &str = r#"
  (func (export "execute")
    (call $self_address (i32.const 0))
    (call $caller (i32.const 20))
    (call $origin (i32.const 40))
    (i64.store (i32.const 60) (call $block_height))
    (i64.store (i32.const 68) (call $block_time))
    (i64.store (i32.const 76) (call $chain_id))
    (call $attached_funds (i32.const 84))
    (i64.store (i32.const 100) (call $gas_left))
    (call $return (i32.const 0) (i32.const 108)))"#;

#[test]
fn context_functions_report_the_call() {
    let mut chain = Chain::new();
    let c = chain.deploy(CONTEXT);
    let out = ok(&chain.execute_with(c, b"", 250, GAS)).to_vec();
    assert_eq!(out[0..20], c.0);
    assert_eq!(out[20..40], chain.sender.0);
    assert_eq!(out[40..60], chain.env.origin.0);
    let word = |at: usize| u64::from_le_bytes(out[at..at + 8].try_into().unwrap());
    assert_eq!(word(60), chain.env.height);
    assert_eq!(word(68), chain.env.time);
    assert_eq!(word(76), chain.env.chain_id);
    assert_eq!(u128::from_le_bytes(out[84..100].try_into().unwrap()), 250);
    let gas_left = word(100);
    assert!(gas_left < GAS && gas_left > GAS - 20_000, "gas_left {gas_left}");
}

#[test]
fn context_functions_trap_on_bad_out_pointers() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute") (local $which i32)
             (drop (call $read_input))
             (local.set $which (i32.load8_u (i32.const 0x8000)))
             (if (i32.eq (local.get $which) (i32.const 0)) (then (call $self_address (i32.const 65530))))
             (if (i32.eq (local.get $which) (i32.const 1)) (then (call $caller (i32.const 65530))))
             (if (i32.eq (local.get $which) (i32.const 2)) (then (call $origin (i32.const -20))))
             (if (i32.eq (local.get $which) (i32.const 3)) (then (call $attached_funds (i32.const 65530)))))"#,
    );
    for (which, name) in [(0, "self_address"), (1, "caller"), (2, "origin"), (3, "attached_funds")] {
        assert_trap(&chain.execute(c, &[which]), name);
    }
}

#[test]
fn gas_left_decreases_and_counts_host_costs() {
    let mut chain = Chain::new();
    let c = chain.deploy(
        r#"(func (export "execute")
             (i64.store (i32.const 0) (call $gas_left))
             (i64.store (i32.const 8) (call $gas_left))
             (call $return (i32.const 0) (i32.const 16)))"#,
    );
    let out = ok(&chain.execute(c, b"")).to_vec();
    let first = u64::from_le_bytes(out[0..8].try_into().unwrap());
    let second = u64::from_le_bytes(out[8..16].try_into().unwrap());
    let host_call = chain.vm.gas_schedule().host_call;
    assert!(first - second >= host_call, "{first} - {second} pays at least one host call");
    assert!(first - second < host_call + 10);
}

/// Input: op ‖ address (20) ‖ amount (16). Op b: return balance(address); t: return transfer status.
const BANK: &str = r#"
  (func (export "execute")
    (drop (call $read_input))
    (if (i32.eq (i32.load8_u (i32.const 0x8000)) (i32.const 98)) (then
      (call $balance (i32.const 0x8001) (i32.const 0x100))
      (call $return (i32.const 0x100) (i32.const 16))))
    (if (i32.eq (i32.load8_u (i32.const 0x8000)) (i32.const 116)) (then
      (call $return_i32 (call $transfer (i32.const 0x8001) (i32.const 0x8015))))))
  (func (export "query")
    (drop (call $read_input))
    (drop (call $transfer (i32.const 0x8001) (i32.const 0x8015))))"#;

fn bank(op: u8, address: &Address, amount: u128) -> Vec<u8> {
    [&[op][..], &address.0, &amount.to_le_bytes()].concat()
}

#[test]
fn balance_and_transfer_move_native_funds() {
    let mut chain = Chain::new();
    let c = chain.deploy(BANK);
    let alice = Address([0x11; 20]);
    ok(&chain.execute_with(c, b"", 500, GAS));
    assert_eq!(chain.balance(&c), 500, "attached funds moved to the contract");
    assert_eq!(chain.balance(&chain.sender.clone()), 1_000_000 - 500);

    let out = chain.execute(c, &bank(b'b', &c, 0));
    assert_eq!(u128::from_le_bytes(ok(&out).try_into().unwrap()), 500);

    let sent = chain.execute(c, &bank(b't', &alice, 200));
    assert_eq!(ok(&sent), 0i32.to_le_bytes(), "status OK");
    assert_eq!((chain.balance(&c), chain.balance(&alice)), (300, 200));

    let refused = chain.execute(c, &bank(b't', &alice, 301));
    assert_eq!(ok(&refused), 1i32.to_le_bytes(), "INSUFFICIENT_FUNDS, and the call goes on");
    assert_eq!((chain.balance(&c), chain.balance(&alice)), (300, 200));
}

#[test]
fn transfer_in_a_query_traps_and_bad_pointers_trap() {
    let mut chain = Chain::new();
    let c = chain.deploy(BANK);
    assert_trap(&chain.query(c, &bank(b't', &Address([1; 20]), 0)), "transfer is not allowed in a read-only call");
    let short = [b't', 1, 2, 3];
    // The amount pointer (0x8015) holds zeros past the input: fine. A bad pointer is not.
    let c2 = chain.deploy(
        r#"(func (export "execute") (drop (call $transfer (i32.const 65530) (i32.const 0))))
           (func (export "query") (call $balance (i32.const 0) (i32.const 65530)))"#,
    );
    assert_trap(&chain.execute(c2, &short), "transfer: recipient");
    assert_trap(&chain.query(c2, b""), "balance: out");
}

#[test]
fn attached_funds_beyond_the_balance_are_refused_before_running() {
    let mut chain = Chain::new();
    let c = chain.deploy(BANK);
    let outcome = chain.execute_with(c, b"", 2_000_000, GAS);
    assert_eq!(outcome.status, Status::InsufficientFunds);
    assert_eq!(chain.balance(&c), 0);
    assert!(chain.last_writes.is_empty());
}
