//! A contract's life over HTTP: upload, instantiate, execute, query, events, receipts, blocks.

use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash};
use tidepool_node::Action;

use crate::harness::{NodeOptions, TestNode, amount, dev, parse};

/// Deploys a fresh token (symbol `symbol`, 1,000,000 base units to dev account 0) and returns
/// its code hash, its address and the instantiate receipt.
pub(crate) fn deploy_token(node: &TestNode, symbol: &str) -> (Hash, Address, Value) {
    let owner = dev(0);
    let code_hash = node.upload(&owner, tidepool_artifacts::TOKEN);
    let msg = json!({
        "name": format!("Test {symbol}"), "symbol": symbol, "decimals": 6,
        "initial_balances": [{"address": owner.address, "amount": "1000000"}], "minter": owner.address,
    });
    let receipt = node.instantiate(&owner, code_hash, &format!("test:{symbol}"), msg);
    (code_hash, parse(&receipt["contract_address"]), receipt)
}

#[test]
fn upload_instantiate_execute_query_events_and_receipts() {
    // A node without dev mode: nothing is deployed at genesis, so the upload is really new; the
    // dev keys sign, though their accounts hold no native tokens (no action here needs any).
    let node = TestNode::start(NodeOptions::PLAIN);
    let (owner, friend) = (dev(0), dev(1));
    // The banner says so, and how to get a sandbox with funds instead.
    let banner = node.printed();
    assert!(banner.contains("No dev accounts and no funds at genesis"), "{banner}");
    assert!(banner.contains("tidepool node --dev --market"), "{banner}");

    // Upload: the receipt names the code; the code is described by its hash.
    let upload = node.submit(&node.sign(&owner, Action::UploadCode { wasm: tidepool_artifacts::TOKEN.to_vec() })).ok();
    assert_eq!(upload["status"], "success", "{upload}");
    let code_hash: Hash = parse(&upload["code_hash"]);
    assert_eq!(code_hash, tidepool_ledger::keccak256(tidepool_artifacts::TOKEN));
    let code = node.get(&format!("/v1/code/{code_hash}")).ok();
    assert_eq!(code["size"], tidepool_artifacts::TOKEN.len());
    assert_eq!(parse::<Address>(&code["uploader"]), owner.address);
    assert_eq!(code["uploaded_at"], upload["height"]);
    assert!(code["entry_points"].as_array().unwrap().iter().any(|e| e == "execute"), "{code}");

    // The convenience route takes an upload_code transaction too, and only that.
    let oracle = node.sign(&owner, Action::UploadCode { wasm: tidepool_artifacts::ORACLE.to_vec() });
    let oracle_upload = node.post("/v1/code", &serde_json::to_value(&oracle).unwrap()).ok();
    assert_eq!(parse::<Hash>(&oracle_upload["code_hash"]), tidepool_ledger::keccak256(tidepool_artifacts::ORACLE));
    let transfer = node.sign(&owner, Action::Transfer { to: friend.address, amount: 1 });
    // Its body is an upload_code transaction: another action does not match the document.
    node.post("/v1/code", &serde_json::to_value(&transfer).unwrap()).error(400, "malformed_json");

    // Instantiate: the contract exists with what we said.
    let msg = json!({
        "name": "Test", "symbol": "TST", "decimals": 6,
        "initial_balances": [{"address": owner.address, "amount": "1000000"}], "minter": owner.address,
    });
    let created = node.instantiate(&owner, code_hash, "test:TST", msg);
    let token: Address = parse(&created["contract_address"]);
    let info = node.get(&format!("/v1/contracts/{token}")).ok();
    assert_eq!(parse::<Hash>(&info["code_hash"]), code_hash);
    assert_eq!(parse::<Address>(&info["creator"]), owner.address);
    assert_eq!(parse::<Address>(&info["admin"]), owner.address);
    assert_eq!(info["label"], "test:TST");
    assert_eq!(info["created_at"], created["height"]);
    let token_info = node.query(&token, &json!({"token_info": {}}));
    assert_eq!(token_info["total_supply"], "1000000");

    // Execute: a transfer, its receipt and its effect.
    let before = node.height();
    let receipt = node.execute(&owner, &token, json!({"transfer": {"to": friend.address, "amount": "250"}}));
    assert_eq!(receipt["height"], before + 1, "automine: one block per transaction");
    assert!(receipt["gas_used"].as_u64().unwrap() > 21_000, "{receipt}");
    let events = receipt["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{receipt}");
    assert_eq!(events[0]["type"], "transfer");
    assert_eq!(parse::<Address>(&events[0]["contract"]), token);
    assert_eq!(parse::<Address>(&events[0]["data"]["to"]), friend.address);
    assert_eq!(events[0]["data"]["amount"], "250");
    assert_eq!(node.token_balance(&token, &friend.address), 250);
    assert_eq!(node.token_balance(&token, &owner.address), 999_750);

    // A contract error is a receipt, not a rejection: the nonce moves, nothing else does.
    let nonce = node.nonce(&friend.address);
    let failed = node
        .submit(&node.sign(
            &friend,
            Action::Execute {
                contract: token,
                msg: json!({"transfer": {"to": owner.address, "amount": "251"}}),
                funds: 0,
            },
        ))
        .ok();
    assert_eq!(failed["status"], "reverted", "{failed}");
    assert!(failed["error"].as_str().is_some_and(|e| !e.is_empty()), "{failed}");
    assert_eq!(failed["events"], json!([]));
    assert_eq!(node.nonce(&friend.address), nonce + 1);
    assert_eq!(node.token_balance(&token, &friend.address), 250);

    // The receipt is stored with the transaction as signed.
    let tx_hash = receipt["tx_hash"].as_str().unwrap();
    let stored = node.get(&format!("/v1/txs/{tx_hash}")).ok();
    assert_eq!(stored["receipt"], receipt, "the stored receipt is the one returned at submission");
    assert_eq!(parse::<Address>(&stored["tx"]["tx"]["from"]), owner.address);
    assert_eq!(stored["tx"]["tx"]["action"]["type"], "execute");
    assert!(stored["tx"]["signature"].as_str().is_some_and(|s| s.len() == 132), "{stored}");
    let block = node.get(&format!("/v1/blocks/{}", receipt["height"])).ok();
    assert_eq!(block["tx_hashes"], json!([tx_hash]));
    assert_eq!(block["height"], receipt["height"]);
    let parent = node.get(&format!("/v1/blocks/{before}")).ok();
    assert_eq!(block["parent_hash"], parent["hash"]);
    node.get(&format!("/v1/blocks/{}", node.height() + 1)).error(404, "not_found");

    // Events: by contract and type, with where they happened.
    let transfers = node.get(&format!("/v1/events?contract={token}&type=transfer")).ok();
    assert_eq!(transfers["height"], node.height(), "events say the height they were read at");
    let transfers = transfers["events"].as_array().unwrap();
    assert_eq!(transfers.len(), 1, "the failed transfer emitted nothing: {transfers:?}");
    assert_eq!(transfers[0]["tx_hash"], tx_hash);
    assert_eq!(transfers[0]["height"], receipt["height"]);
    assert_eq!(transfers[0]["data"]["amount"], "250");
    let mints = node.get(&format!("/v1/events?contract={token}&type=mint")).ok()["events"].clone();
    assert_eq!(mints.as_array().unwrap().len(), 1);
    assert_eq!(mints[0]["height"], created["height"]);
    assert_eq!(amount(&mints[0]["data"]["amount"]), 1_000_000);
    let all = node.get(&format!("/v1/events?contract={token}")).ok()["events"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    // Another token's transfer shows under its own address and under the type alone.
    let (_, other, _) = deploy_token(&node, "TWO");
    let other_receipt = node.execute(&owner, &other, json!({"transfer": {"to": friend.address, "amount": "7"}}));
    let filtered = node.get(&format!("/v1/events?contract={token}&type=transfer")).ok()["events"].clone();
    assert_eq!(filtered.as_array().unwrap().len(), 1, "{filtered}");
    let by_type: Vec<Value> = node.get("/v1/events?type=transfer").ok()["events"].as_array().unwrap().clone();
    let hashes: Vec<&Value> =
        by_type.iter().filter(|e| [token, other].contains(&parse(&e["contract"]))).map(|e| &e["tx_hash"]).collect();
    assert_eq!(hashes, [&json!(tx_hash), &other_receipt["tx_hash"]], "oldest first");
    let later = node.get(&format!("/v1/events?contract={token}&from={}", receipt["height"].as_u64().unwrap() + 1)).ok();
    assert_eq!(later["events"], json!([]));

    // Raw storage is readable.
    let state = node.get(&format!("/v1/contracts/{token}/state")).ok();
    assert_eq!(state["height"], node.height(), "storage says the height it was read at");
    assert!(!state["entries"].as_array().unwrap().is_empty(), "{state}");
}

#[test]
fn uploading_known_code_again_changes_nothing() {
    // The dev market's genesis uploaded the token: uploading it again succeeds, names the same
    // code, and leaves its record (uploader, height) as it was.
    let node = TestNode::dev();
    let hash = tidepool_ledger::keccak256(tidepool_artifacts::TOKEN);
    let mut before = node.get(&format!("/v1/code/{hash}")).ok();
    assert_eq!(before["uploaded_at"], 0);
    assert_eq!(node.upload(&dev(4), tidepool_artifacts::TOKEN), hash);
    let mut after = node.get(&format!("/v1/code/{hash}")).ok();
    // Only the height the answer was read at moved on.
    assert!(after["height"].as_u64() > before["height"].as_u64(), "{before} → {after}");
    for answer in [&mut before, &mut after] {
        answer.as_object_mut().unwrap().remove("height");
    }
    assert_eq!(after, before);
}

#[test]
fn simulate_runs_without_committing() {
    let node = TestNode::dev();
    let (owner, friend) = (dev(0), dev(1));
    let (_, token, _) = deploy_token(&node, "SIM");
    let before = node.fingerprint(&owner.address);
    let tx = node.transaction(
        &owner,
        Action::Execute { contract: token, msg: json!({"transfer": {"to": friend.address, "amount": "5"}}), funds: 0 },
    );
    let receipt = node.post("/v1/simulate", &serde_json::to_value(&tx).unwrap()).ok();
    assert_eq!(receipt["status"], "success", "{receipt}");
    assert_eq!(receipt["events"][0]["type"], "transfer");
    assert_eq!(node.fingerprint(&owner.address), before);
    assert_eq!(node.token_balance(&token, &friend.address), 0);
}
