//! Bad input: every case is answered with the right 4xx in the one error shape, and nothing
//! changes (the chain head, the sender's nonce and balances are checked before and after).

use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash};
use tidepool_node::{Action, SignedTransaction};

use crate::deploy::deploy_token;
use crate::harness::{NodeOptions, Reply, TestNode, dev, parse};

/// The secp256k1 group order n, big-endian.
const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc,
    0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The malleable twin of a valid signature: `(r, n − s)` with the other recovery id. It recovers
/// the same signer, so only the low-s rule refuses it.
fn high_s(signed: &SignedTransaction) -> Value {
    let mut bytes = signed.signature.to_bytes();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let difference = i16::from(CURVE_ORDER[i]) - i16::from(bytes[32 + i]) - borrow;
        borrow = i16::from(difference < 0);
        bytes[32 + i] = (difference + 256 * borrow) as u8;
    }
    bytes[64] = if bytes[64] == 27 { 28 } else { 27 };
    with_signature(signed, &bytes)
}

fn with_signature(signed: &SignedTransaction, bytes: &[u8]) -> Value {
    let mut json = serde_json::to_value(signed).unwrap();
    json["signature"] = json!(format!("0x{}", hex(bytes)));
    json
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `request` and checks the answer's status and code, that the message contains `says`,
/// and that the node's state did not move.
#[track_caller]
fn refused(node: &TestNode, who: &Address, request: impl FnOnce() -> Reply, status: u16, code: &str, says: &str) {
    let before = node.fingerprint(who);
    let reply = request();
    let message = reply.error(status, code);
    assert!(message.contains(says), "{code}: message {message:?} does not say {says:?}");
    assert_eq!(node.fingerprint(who), before, "{code}: the state changed");
}

#[test]
fn bad_transactions_are_refused_without_a_trace() {
    let node = TestNode::dev();
    let (sender, other) = (dev(0), dev(1));
    let (code_hash, token, _) = deploy_token(&node, "BAD");
    let who = &sender.address;
    let transfer = Action::Transfer { to: other.address, amount: 1_000 };

    // Signatures.
    let good = node.sign(&sender, transfer.clone());
    let mut flipped = good.signature.to_bytes();
    flipped[5] ^= 0x01;
    refused(&node, who, || node.submit_json(&with_signature(&good, &flipped)), 401, "bad_signature", "");
    let by_other = node.transaction(&sender, transfer.clone()).sign(&other.key).unwrap();
    refused(&node, who, || node.submit(&by_other), 401, "bad_signature", "signature was made by");
    refused(&node, who, || node.submit_json(&high_s(&good)), 401, "bad_signature", "malleable");
    let mut bad_v = good.signature.to_bytes();
    bad_v[64] = 29;
    refused(&node, who, || node.submit_json(&with_signature(&good, &bad_v)), 400, "bad_recovery_id", "recovery byte");
    refused(&node, who, || node.submit_json(&with_signature(&good, &[0; 65])), 401, "bad_signature", "");
    let mut tampered = serde_json::to_value(&good).unwrap();
    tampered["tx"]["action"]["amount"] = json!("1000000");
    refused(&node, who, || node.submit_json(&tampered), 401, "bad_signature", "signature was made by");
    let mut short = serde_json::to_value(&good).unwrap();
    short["signature"] = json!("0x1234");
    refused(&node, who, || node.submit_json(&short), 400, "malformed_json", "");
    let mut unsigned = serde_json::to_value(&good).unwrap();
    unsigned.as_object_mut().unwrap().remove("signature");
    refused(&node, who, || node.submit_json(&unsigned), 400, "malformed_json", "signature");

    // Chain id, gas limit.
    let mut tx = node.transaction(&sender, transfer.clone());
    tx.chain_id = 1;
    let wrong_chain = tx.sign(&sender.key).unwrap();
    refused(&node, who, || node.submit(&wrong_chain), 422, "wrong_chain_id", "31337");
    let mut tx = node.transaction(&sender, transfer.clone());
    tx.gas_limit = 20_999;
    let too_little_gas = tx.sign(&sender.key).unwrap();
    refused(&node, who, || node.submit(&too_little_gas), 400, "gas_limit_out_of_range", "");

    // Nonces: after one accepted transaction, its nonce cannot be used again, nor can one be skipped.
    let accepted = node.submit(&good).ok();
    assert_eq!(accepted["status"], "success");
    let next = format!("next nonce is {}", good.tx.nonce + 1);
    refused(&node, who, || node.submit(&good), 409, "bad_nonce", &next);
    let mut tx = node.transaction(&sender, transfer.clone());
    tx.nonce += 1;
    let skipped = tx.sign(&sender.key).unwrap();
    refused(&node, who, || node.submit(&skipped), 409, "bad_nonce", &next);

    // Funds.
    let balance: u128 = node.account(who)["balance"].as_str().unwrap().parse().unwrap();
    let too_much = node.sign(&sender, Action::Transfer { to: other.address, amount: balance + 1 });
    refused(&node, who, || node.submit(&too_much), 402, "insufficient_funds", "");
    let paying = node
        .sign(&sender, Action::Execute { contract: token, msg: json!({"burn": {"amount": "1"}}), funds: balance + 1 });
    refused(&node, who, || node.submit(&paying), 402, "insufficient_funds", "");

    // Unknown contract and code, invalid code.
    let nowhere = Address([0x42; 20]);
    let execute_nowhere = node.sign(&sender, Action::Execute { contract: nowhere, msg: json!({}), funds: 0 });
    refused(&node, who, || node.submit(&execute_nowhere), 404, "not_found", "no contract");
    let no_code = Hash([0x42; 32]);
    let instantiate =
        Action::Instantiate { code_hash: no_code, msg: json!({}), funds: 0, label: "x".into(), admin: None };
    let instantiate_nothing = node.sign(&sender, instantiate);
    refused(&node, who, || node.submit(&instantiate_nothing), 404, "not_found", "no code");
    let migrate = Action::Migrate { contract: token, new_code_hash: no_code, msg: json!({}) };
    let migrate_to_nothing = node.sign(&sender, migrate);
    refused(&node, who, || node.submit(&migrate_to_nothing), 404, "not_found", "no code");
    for label in ["é", "tab\there", &"x".repeat(129)] {
        let labelled = Action::Instantiate { code_hash, msg: json!({}), funds: 0, label: label.into(), admin: None };
        let labelled = node.sign(&sender, labelled);
        refused(&node, who, || node.submit(&labelled), 400, "invalid_transaction", "label");
    }
    let not_wasm = node.sign(&sender, Action::UploadCode { wasm: b"definitely not wasm".to_vec() });
    refused(&node, who, || node.submit(&not_wasm), 422, "invalid_code", "");
    let empty_module = node.sign(&sender, Action::UploadCode { wasm: b"\0asm\x01\0\0\0".to_vec() });
    refused(&node, who, || node.submit(&empty_module), 422, "invalid_code", "");
    refused(&node, who, || node.post("/v1/code", &serde_json::to_value(&not_wasm).unwrap()), 422, "invalid_code", "");

    // Numbers the canonical encoding cannot sign.
    let mut float_json =
        serde_json::to_value(node.sign(&sender, Action::Execute { contract: token, msg: json!({}), funds: 0 }))
            .unwrap();
    float_json["tx"]["action"]["msg"] = json!({"transfer": {"to": other.address, "amount": 1.5}});
    refused(&node, who, || node.submit_json(&float_json), 400, "unsupported_number", "1.5");

    // A batch answers each entry; the refused one changes nothing, the good one goes through.
    let good_next = node.sign(&sender, Action::Transfer { to: other.address, amount: 7 });
    let entries = node.post("/v1/txs/batch", &json!([with_signature(&good_next, &[0; 65]), good_next])).ok();
    assert_eq!(entries[0]["error"]["code"], "bad_signature", "{entries}");
    assert_eq!(entries[1]["status"], "success", "{entries}");
    assert_eq!(node.nonce(who), good_next.tx.nonce + 1);

    // The contract's code is still there and usable after all this.
    assert_eq!(node.get(&format!("/v1/code/{code_hash}")).status, 200);
}

#[test]
fn bad_requests_get_a_4xx_in_the_error_shape() {
    let node = TestNode::dev();
    let sender = dev(0);
    let who = &sender.address;
    let pool = tidepool_node::genesis::market_info().pool;
    let signed = serde_json::to_value(node.sign(&sender, Action::Transfer { to: dev(1).address, amount: 1 })).unwrap();

    // Bodies.
    let raw = |path: &str, body: &[u8]| node.post_bytes(path, Some("application/json"), body);
    refused(&node, who, || raw("/v1/txs", b"{\"tx\":"), 400, "malformed_json", "");
    refused(&node, who, || raw("/v1/txs", b""), 400, "malformed_json", "");
    refused(&node, who, || raw("/v1/txs", b"[1, 2]"), 400, "malformed_json", "");
    let body = signed.to_string();
    refused(&node, who, || node.post_bytes("/v1/txs", None, body.as_bytes()), 415, "malformed_json", "Content-Type");
    refused(&node, who, || node.post_bytes("/v1/txs", Some("text/plain"), body.as_bytes()), 415, "malformed_json", "");
    let mut extra = signed.clone();
    extra["fee"] = json!(1);
    refused(&node, who, || node.submit_json(&extra), 400, "malformed_json", "fee");
    let mut bad_amount = signed.clone();
    bad_amount["tx"]["action"]["amount"] = json!(1);
    refused(&node, who, || node.submit_json(&bad_amount), 400, "malformed_json", "");
    // One byte over the 8 MiB limit is refused as too large, before it is parsed.
    let limit = tidepool_api::routes::MAX_BODY_BYTES;
    let oversized = format!("{{\"tx\":\"{}\"}}", "a".repeat(limit - 8));
    assert_eq!(oversized.len(), limit + 1);
    refused(&node, who, || raw("/v1/txs", oversized.as_bytes()), 413, "body_too_large", "");
    refused(&node, who, || raw("/v1/code", oversized.as_bytes()), 413, "body_too_large", "");
    // At the limit exactly it is read, and refused for what it says.
    refused(&node, who, || raw("/v1/txs", &oversized.as_bytes()[1..]), 400, "malformed_json", "");

    // Routes and methods.
    refused(&node, who, || node.get("/v1/nope"), 404, "not_found", "no such route");
    refused(&node, who, || node.post("/v2/txs", &signed), 404, "not_found", "");
    // `/` is the dashboard (api/src/dashboard.rs); any other unknown path is the API's 404.
    refused(&node, who, || node.get("/nothing-here"), 404, "not_found", "");
    refused(&node, who, || node.delete("/v1/txs"), 405, "method_not_allowed", "");
    refused(&node, who, || node.get("/v1/txs"), 405, "method_not_allowed", "");

    // Path and query parameters.
    refused(&node, who, || node.get("/v1/accounts/0x12"), 400, "bad_request", "address");
    refused(&node, who, || node.get("/v1/accounts/not-an-address/balances"), 400, "bad_request", "address");
    refused(&node, who, || node.get(&format!("/v1/accounts/0x{}", "g".repeat(40))), 400, "bad_request", "address");
    refused(&node, who, || node.get("/v1/contracts/0x12"), 400, "bad_request", "address");
    refused(&node, who, || node.post("/v1/contracts/0x12/query", &json!({})), 400, "bad_request", "address");
    refused(&node, who, || node.get("/v1/contracts/0x12/state"), 400, "bad_request", "address");
    refused(&node, who, || node.get("/v1/txs/0x12"), 400, "bad_request", "hash");
    refused(&node, who, || node.get("/v1/code/xyz"), 400, "bad_request", "hash");
    refused(&node, who, || node.get("/v1/blocks/abc"), 400, "bad_request", "height");
    refused(&node, who, || node.get("/v1/events?contract=0x12"), 400, "bad_request", "contract");
    refused(&node, who, || node.get("/v1/events?from=yesterday"), 400, "bad_request", "");
    refused(&node, who, || node.get(&format!("/v1/contracts/{pool}/state?prefix=0xzz")), 400, "bad_request", "hex");
    // Page sizes are 1 to 1000 (they used to be clamped silently); unknown parameters are refused.
    for limit in [0, 1001] {
        refused(&node, who, || node.get(&format!("/v1/events?limit={limit}")), 400, "bad_request", "limit");
        refused(
            &node,
            who,
            || node.get(&format!("/v1/contracts/{pool}/state?limit={limit}")),
            400,
            "bad_request",
            "limit",
        );
    }
    refused(&node, who, || node.get("/v1/events?height=3"), 400, "bad_request", "height");
    refused(&node, who, || node.post("/v1/txs/batch", &json!([])), 400, "bad_request", "batch");

    // Things that do not exist.
    let nowhere = Address([0x42; 20]);
    refused(&node, who, || node.get(&format!("/v1/contracts/{nowhere}")), 404, "not_found", "");
    refused(&node, who, || node.post(&format!("/v1/contracts/{nowhere}/query"), &json!({})), 404, "not_found", "");
    refused(&node, who, || node.get(&format!("/v1/contracts/{nowhere}/state")), 404, "not_found", "");
    refused(&node, who, || node.get(&format!("/v1/code/{}", Hash([0x42; 32]))), 404, "not_found", "");
    refused(&node, who, || node.get(&format!("/v1/txs/{}", Hash([0x42; 32]))), 404, "not_found", "");
    refused(&node, who, || node.get("/v1/blocks/999999"), 404, "not_found", "");

    // Queries the contract refuses, and query bodies that are not JSON.
    refused(
        &node,
        who,
        || node.post(&format!("/v1/contracts/{pool}/query"), &json!({"no_such_query": {}})),
        422,
        "query_failed",
        "",
    );
    refused(
        &node,
        who,
        || node.post(&format!("/v1/contracts/{pool}/query"), &json!({"market": {"ratio": 0.5}})),
        400,
        "unsupported_number",
        "0.5",
    );
    refused(
        &node,
        who,
        || node.post_bytes(&format!("/v1/contracts/{pool}/query"), Some("application/json"), b"{"),
        400,
        "malformed_json",
        "",
    );

    // Dev controls with bad input.
    refused(&node, who, || node.post("/dev/revert", &json!({"id": 12345})), 404, "not_found", "snapshot");
    refused(
        &node,
        who,
        || node.post("/dev/faucet", &json!({"address": "0x12", "amount": "1"})),
        400,
        "bad_request",
        "address",
    );
    refused(
        &node,
        who,
        || node.post("/dev/faucet", &json!({"address": who, "amount": "-1"})),
        400,
        "bad_request",
        "amount",
    );
    refused(&node, who, || node.post("/dev/warp", &json!({"seconds": -5})), 400, "malformed_json", "");
    refused(&node, who, || node.post("/dev/mine", &json!({"blocks": 10_001})), 400, "bad_request", "");
    refused(&node, who, || node.post("/dev/mine", &json!({"blocks": 0})), 400, "bad_request", "");
    refused(&node, who, || node.post("/dev/mine", &json!({"blocks": 1, "extra": 1})), 400, "malformed_json", "extra");
    refused(
        &node,
        who,
        || node.post("/dev/faucet", &json!({"address": who, "amount": "1", "memo": "hi"})),
        400,
        "malformed_json",
        "memo",
    );
    // A warp past the last block time (9999-12-31) is refused before anything is mined, and
    // mining and warping still work afterwards (this used to move block time past i64 and make
    // every later block a 500).
    let node = &node;
    let warp = |seconds: u64| move || node.post("/dev/warp", &json!({ "seconds": seconds }));
    // More seconds than any block time can have is outside the document's range for `seconds`.
    refused(node, who, warp(i64::MAX as u64), 400, "bad_request", "out of range");
    refused(node, who, warp(u64::MAX), 400, "bad_request", "out of range");
    let max = tidepool_node::MAX_BLOCK_TIME;
    refused(node, who, warp(max), 409, "block_time_out_of_range", "9999-12-31");
    // Up to an hour before the end (the wall clock moves while this runs), then past it.
    let now = node.latest_block()["time"].as_u64().unwrap();
    let late = node.post("/dev/warp", &json!({ "seconds": max - now - 3600 })).ok()["time"].as_u64().unwrap();
    assert!((max - 3600..=max).contains(&late), "{late}");
    refused(node, who, warp(3601), 409, "block_time_out_of_range", "");
    let mined = node.post("/dev/mine", &json!({})).ok()["time"].as_u64().unwrap();
    assert!((late..=max).contains(&mined), "{mined}");
    refused(
        node,
        who,
        || node.post("/dev/set_storage", &json!({"contract": nowhere, "key": "0x01", "value": "0x02"})),
        404,
        "not_found",
        "",
    );
    refused(
        node,
        who,
        || node.post("/dev/set_storage", &json!({"contract": pool, "key": "01", "value": null})),
        400,
        "bad_request",
        "hex",
    );

    // None of this broke the node.
    assert_eq!(node.get("/health").ok()["status"], "ok");
}

#[test]
fn a_node_without_dev_mode_refuses_dev_controls() {
    let node = TestNode::start(NodeOptions { dev: false, block_time_ms: None });
    let who = dev(0).address;
    assert_eq!(node.chain_id(), 1337);
    let balances = node.get(&format!("/v1/accounts/{who}/balances")).ok();
    assert_eq!(balances["native"], "0", "no funded dev accounts: {balances}");
    assert_eq!(balances["tokens"], json!([]), "no market: {balances}");
    for (path, body) in [
        ("/dev/faucet", json!({"address": who, "amount": "1000"})),
        ("/dev/set_balance", json!({"address": who, "amount": "1000"})),
        ("/dev/warp", json!({"seconds": 3600})),
        ("/dev/mine", json!({"blocks": 3})),
        ("/dev/snapshot", json!({})),
        ("/dev/revert", json!({"id": 0})),
        (
            "/dev/impersonate",
            json!({"chain_id": 1337, "nonce": 0, "from": who, "gas_limit": 100000,
                                    "action": {"type": "transfer", "to": who, "amount": "0"}}),
        ),
    ] {
        refused(&node, &who, || node.post(path, &body), 403, "dev_mode_only", "--dev");
    }
    // Its chain id is not the dev chain's, and a signed transaction still works there.
    let uploader = dev(0);
    let mut tx = node.transaction(&uploader, Action::UploadCode { wasm: tidepool_artifacts::ORACLE.to_vec() });
    tx.chain_id = tidepool_node::DEV_CHAIN_ID;
    let dev_chain = tx.sign(&uploader.key).unwrap();
    refused(&node, &who, || node.submit(&dev_chain), 422, "wrong_chain_id", "1337");
    let receipt = node.send(&uploader, Action::UploadCode { wasm: tidepool_artifacts::ORACLE.to_vec() });
    assert_eq!(parse::<Hash>(&receipt["code_hash"]), tidepool_ledger::keccak256(tidepool_artifacts::ORACLE));
}
