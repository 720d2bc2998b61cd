//! Dev controls through the API: snapshot/revert returns state, history and clock; a time warp
//! makes the pool accrue interest.

use serde_json::json;
use tidepool_ledger::Address;
use tidepool_node::Action;
use tidepool_node::genesis::market_info;

use crate::harness::{TestNode, amount, dev, parse};

const YEAR: u64 = 365 * 24 * 3600;

#[test]
fn snapshot_and_revert_restore_state_history_and_clock() {
    let node = TestNode::dev();
    let (alice, bob, carol) = (dev(1), dev(2), dev(3));
    let usdc = market_info().tokens[0].address;
    let head = node.latest_block();
    let before = [alice.address, bob.address, carol.address].map(|a| node.fingerprint(&a));

    let id = node.post("/dev/snapshot", &json!({})).ok()["id"].as_u64().expect("a snapshot id");
    let transfer = node.send(&alice, Action::Transfer { to: bob.address, amount: 5 });
    let token_transfer = node.execute(&alice, &usdc, json!({"transfer": {"to": bob.address, "amount": "1000000"}}));
    node.post("/dev/faucet", &json!({"address": carol.address, "amount": "123"})).ok();
    // Code that genesis did not upload, so that its upload can be undone.
    let code_hash = node.upload(&carol, tidepool_artifacts::FLASH_RECEIVER_GOOD);
    let receiver = node.instantiate(&carol, code_hash, "receiver", json!({}));
    let receiver: Address = parse(&receiver["contract_address"]);
    let warped = node.post("/dev/warp", &json!({"seconds": YEAR})).ok();
    let mined = node.post("/dev/mine", &json!({"blocks": 3})).ok();
    assert_eq!(mined["height"], warped["height"].as_u64().unwrap() + 3);
    assert_ne!(node.fingerprint(&alice.address), before[0]);

    // Back: the same head (hash and state root), accounts, and no trace of what came after.
    let reverted = node.post("/dev/revert", &json!({"id": id})).ok();
    assert_eq!(reverted, head, "the head after revert is the head at the snapshot");
    assert_eq!(node.latest_block(), head);
    assert_eq!([alice.address, bob.address, carol.address].map(|a| node.fingerprint(&a)), before);
    for receipt in [&transfer, &token_transfer] {
        node.get(&format!("/v1/txs/{}", receipt["tx_hash"].as_str().unwrap())).error(404, "not_found");
    }
    node.get(&format!("/v1/contracts/{receiver}")).error(404, "not_found");
    node.get(&format!("/v1/code/{code_hash}")).error(404, "not_found");
    node.get(&format!("/v1/blocks/{}", head["height"].as_u64().unwrap() + 1)).error(404, "not_found");
    assert_eq!(node.get(&format!("/v1/events?contract={usdc}")).ok()["events"], json!([]));
    // The snapshot is used up.
    node.post("/dev/revert", &json!({"id": id})).error(404, "not_found");

    // The chain goes on from there: the same nonce again, the clock back from the warp.
    let again = node.send(&alice, Action::Transfer { to: bob.address, amount: 5 });
    assert_eq!(again["height"], head["height"].as_u64().unwrap() + 1);
    assert_eq!(again["tx_hash"], transfer["tx_hash"], "same transaction, same hash");
    let time = node.latest_block()["time"].as_u64().unwrap();
    assert!(time < warped["time"].as_u64().unwrap(), "the warp was undone: {time} vs {}", warped["time"]);

    // Nested snapshots: reverting to the outer one uses up the inner one too.
    let outer = node.post("/dev/snapshot", &json!({})).ok()["id"].as_u64().unwrap();
    let outer_head = node.latest_block();
    node.send(&alice, Action::Transfer { to: bob.address, amount: 1 });
    let inner = node.post("/dev/snapshot", &json!({})).ok()["id"].as_u64().unwrap();
    assert_ne!(inner, outer);
    node.send(&alice, Action::Transfer { to: bob.address, amount: 1 });
    assert_eq!(node.post("/dev/revert", &json!({"id": outer})).ok(), outer_head);
    node.post("/dev/revert", &json!({"id": inner})).error(404, "not_found");
}

#[test]
fn warp_makes_the_pool_accrue_interest() {
    let node = TestNode::dev();
    let alice = dev(1);
    let market = market_info();
    let (usdc, weth) = (market.tokens[0].address, market.tokens[1].address);
    let pool = market.pool;

    // Alice supplies 10 WETH (collateral on first supply) and borrows 10,000 USDC.
    let ten_weth = (10 * 10u128.pow(18)).to_string();
    node.execute(&alice, &weth, json!({"approve": {"spender": pool, "amount": ten_weth}}));
    node.execute(&alice, &pool, json!({"supply": {"asset": weth, "amount": ten_weth}}));
    let borrowed = 10_000 * 10u128.pow(6);
    let receipt = node.execute(&alice, &pool, json!({"borrow": {"asset": usdc, "amount": borrowed.to_string()}}));
    assert!(receipt["events"].as_array().unwrap().iter().any(|e| e["type"] == "borrow"), "{receipt}");
    assert_eq!(node.token_balance(&usdc, &alice.address), 1_000_000 * 10u128.pow(6) + borrowed);

    let debt = |node: &TestNode| {
        amount(&node.query(&pool, &json!({"balance": {"user": alice.address, "asset": usdc}}))["debt"])
    };
    let total_borrows =
        |node: &TestNode| amount(&node.query(&pool, &json!({"market": {"asset": usdc}}))["state"]["total_borrows"]);
    let debt_before = debt(&node);
    assert!((borrowed..=borrowed + 10).contains(&debt_before), "debt {debt_before} right after borrowing {borrowed}");
    let borrows_before = total_borrows(&node);
    let apr = amount(&node.query(&pool, &json!({"rates": {"asset": usdc}}))["borrow_apr"]);
    assert!(apr > 0, "a borrowed market has a positive rate");

    let time_before = node.latest_block()["time"].as_u64().unwrap();
    let warped = node.post("/dev/warp", &json!({"seconds": YEAR})).ok();
    assert!(warped["time"].as_u64().unwrap() >= time_before + YEAR, "{warped}");
    assert_eq!(node.latest_block(), warped);

    // A year of interest at the rate the pool quoted: debt × APR, within rounding and the few
    // seconds of wall clock between the borrow and the warp.
    let debt_after = debt(&node);
    let expected = debt_before * apr / 10u128.pow(18);
    let grown = debt_after - debt_before;
    assert!(grown * 100 >= expected * 99 && grown * 100 <= expected * 101, "grew {grown}, expected about {expected}");
    let borrows_grown = total_borrows(&node) - borrows_before;
    assert!(borrows_grown.abs_diff(grown) <= 2, "the market's borrows grew {borrows_grown}, her debt {grown}");
}
