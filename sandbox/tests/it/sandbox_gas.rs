//! Gas in the Sandbox: figures are deterministic across Sandboxes, and a gas snapshot recorded
//! from real token calls passes its check until a figure moves.

use serde_json::json;
use tidepool_sandbox::{Contract, GasMode, GasSnapshot, GasSnapshotError, Sandbox, TxResultExt};

/// Deploys the token and runs three scenarios; returns `(name, gas)` of each.
fn scenarios() -> Vec<(&'static str, u64)> {
    let sandbox = Sandbox::new();
    let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    let init = json!({"name": "Coin", "symbol": "COIN", "decimals": 6,
                      "initial_balances": [{"address": alice.address(), "amount": "1000000"}]});
    let token: Contract = sandbox.deploy(tidepool_artifacts::TOKEN, &alice, &init, "coin").expect_success();
    let instantiate = token.instantiation().unwrap().gas_used();
    let transfer = token.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "10"}})).unwrap();
    let approve = token.execute(&alice, &json!({"approve": {"spender": bob.address(), "amount": "10"}})).unwrap();
    vec![
        ("token instantiate", instantiate),
        ("token transfer", transfer.gas_used()),
        ("token approve", approve.gas_used()),
    ]
}

#[test]
fn gas_is_the_same_in_every_sandbox() {
    let first = scenarios();
    assert_eq!(first, scenarios());
    assert!(first.iter().all(|(_, gas)| *gas > tidepool_node::apply::TX_BASE_GAS), "{first:?}");
}

#[test]
fn a_gas_snapshot_check_fails_when_a_figure_moves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".gas-snapshot");
    let figures = scenarios();

    let record = GasSnapshot::new(&path).with_mode(GasMode::Record);
    for (name, gas) in &figures {
        record.record(name, *gas).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("token approve ") && lines[2].starts_with("token transfer "), "sorted: {text}");

    // Unchanged code: the check passes.
    let check = GasSnapshot::new(&path).with_mode(GasMode::Check);
    for (name, gas) in scenarios() {
        check.record(name, gas).unwrap();
    }

    // The committed figure for `token transfer` differs from what the code uses now (as after a
    // change that made transfers cheaper): the check fails and says by how much.
    let transfer = figures.iter().find(|(n, _)| *n == "token transfer").unwrap().1;
    let old = transfer + transfer / 10;
    std::fs::write(&path, text.replace(&format!("token transfer {transfer}"), &format!("token transfer {old}")))
        .unwrap();
    let error = check.record("token transfer", transfer).unwrap_err();
    assert!(
        matches!(error, GasSnapshotError::Moved { recorded, measured, .. } if recorded == old && measured == transfer),
        "{error}"
    );
    assert!(
        error.to_string().contains(&format!("moved from {old} to {transfer} (-{} gas, -9.", old - transfer)),
        "{error}"
    );
    // Within a tolerance it passes; other scenarios are unaffected.
    check.clone().with_tolerance(10.0).record("token transfer", transfer).unwrap();
    check.record("token approve", figures[2].1).unwrap();
    // `assert` panics with the same message.
    let panic = std::panic::catch_unwind(|| check.assert("token transfer", transfer)).unwrap_err();
    assert!(panic.downcast_ref::<String>().unwrap().contains("beyond the 0% tolerance"));
    // A scenario nobody recorded fails the check.
    assert!(matches!(check.record("token burn", 1), Err(GasSnapshotError::Missing { .. })));
}
