//! The contract on Tidepool's real VM, gas meter and ledger, in-process (the Sandbox). Every
//! call is a signed transaction. `build_contract` builds this crate to wasm first (cached), so
//! `cargo test` is the only command.

use serde_json::json;
use tidepool_sandbox::prelude::*;

use {crate}::{CountResponse, ExecuteMsg, InstantiateMsg, OwnerResponse, QueryMsg};

/// A Sandbox with the counter deployed by `owner`, starting at 5.
fn setup() -> (Sandbox, Account, Contract) {
    let wasm = build_contract(env!("CARGO_MANIFEST_DIR")).expect("the contract builds for wasm32");
    let sandbox = Sandbox::new();
    let owner = sandbox.account("owner");
    let counter = sandbox
        .deploy(&wasm, &owner, &InstantiateMsg { start: 5 }, "counter")
        .expect_success();
    (sandbox, owner, counter)
}

#[test]
fn anyone_can_increment() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let done = counter
        .execute(&alice, &ExecuteMsg::Increment { by: 2 })
        .expect_success();
    done.assert_event("count", &json!({"count": 7}));
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer, CountResponse { count: 7 });
}

#[test]
fn only_the_owner_can_reset() {
    let (sandbox, owner, counter) = setup();
    let alice = sandbox.account("alice");
    // A failure prints the call tree; this one is expected.
    counter
        .execute(&alice, &ExecuteMsg::Reset {})
        .expect_error("only the owner can reset");
    counter
        .execute(&owner, &ExecuteMsg::Reset {})
        .expect_success();
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 0);
    let answer: OwnerResponse = counter.query(&QueryMsg::Owner {}).unwrap();
    // The SDK's address type (the contract's) from the Sandbox's: `address_as`.
    assert_eq!(answer.owner, owner.address_as());
}

#[test]
fn overflow_is_refused_and_changes_nothing() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    counter
        .execute(&alice, &ExecuteMsg::Increment { by: u64::MAX })
        .expect_error("arithmetic overflow");
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 5);
}

#[test]
fn snapshots_undo_and_time_moves() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let before = sandbox.snapshot();
    counter
        .execute(&alice, &ExecuteMsg::Increment { by: 10 })
        .expect_success();
    sandbox.warp(3600);
    sandbox.revert(before).unwrap();
    let answer: CountResponse = counter.query(&QueryMsg::Count {}).unwrap();
    assert_eq!(answer.count, 5);
}

/// Gas per scenario, recorded in `.gas-snapshot` (commit it). CI runs with
/// `TIDEPOOL_GAS_CHECK=1`, which fails when a figure moves (`TIDEPOOL_GAS_TOLERANCE=<percent>`
/// allows some drift).
#[test]
fn gas_snapshot() {
    let (sandbox, _owner, counter) = setup();
    let alice = sandbox.account("alice");
    let gas = GasSnapshot::new(".gas-snapshot");
    gas.assert(
        "counter instantiate",
        counter.instantiation().unwrap().gas_used(),
    );
    let increment = counter
        .execute(&alice, &ExecuteMsg::Increment { by: 1 })
        .expect_success();
    gas.assert("counter increment", increment.gas_used());
}
