//! The anvil-grade dev controls through the router (`Router::oneshot`): mining modes, the next
//! block's time, reset, set_code, state files, warps that refresh prices — each success, and each
//! bad request answered with a 4xx that changes nothing. Interval mining needs the server's
//! miner, so that test serves a node on a loopback port.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Method;
use serde_json::{Value, json};
use tidepool_api::routes::{AppState, router};
use tidepool_node::{Action, Clock, Node, NodeConfig, Transaction, dev_accounts};

use crate::support::{assert_error, call, with_market};

const GENESIS_TIME: u64 = 1_700_000_000;

fn node(market: bool) -> Node {
    let config = NodeConfig { clock: Clock::Manual { genesis_time: GENESIS_TIME }, ..NodeConfig::dev() };
    Node::open(if market { with_market(config) } else { config }).unwrap()
}

fn app(node: &Node) -> Router {
    router(AppState::new(node.clone()))
}

async fn get(app: &Router, uri: &str) -> Value {
    let answer = call(app, Method::GET, uri, None).await;
    assert_eq!(answer.status, 200, "GET {uri}: {}", answer.body);
    answer.body
}

async fn post(app: &Router, uri: &str, body: Value) -> Value {
    let answer = call(app, Method::POST, uri, Some(body)).await;
    assert_eq!(answer.status, 200, "POST {uri}: {}", answer.body);
    answer.body
}

/// A transfer from dev account 1 with `nonce`, signed.
fn transfer(nonce: u64, amount: u128) -> Value {
    let from = &dev_accounts(2)[1];
    let tx = Transaction {
        chain_id: tidepool_node::DEV_CHAIN_ID,
        nonce,
        from: from.address,
        gas_limit: 1_000_000,
        action: Action::Transfer { to: tidepool_ledger::Address([0xaa; 20]), amount },
    };
    serde_json::to_value(tx.sign(&from.key).unwrap()).unwrap()
}

#[tokio::test]
async fn manual_mining_holds_transactions_until_dev_mine() {
    let node = node(false);
    let app = app(&node);
    assert_eq!(get(&app, "/dev/mining").await, json!({"mode": "auto", "interval_ms": null, "pending": []}));
    let head = get(&app, "/v1/blocks/latest").await;

    // Bad requests: refused with 400, and the mode stays automine.
    for body in [
        json!({"mode": "interval"}),
        json!({"mode": "interval", "interval_ms": 9}),
        json!({"mode": "interval", "interval_ms": 86_400_001}),
        json!({"mode": "interval", "interval_ms": null}),
        json!({"mode": "manual", "interval_ms": 100}),
        json!({"mode": "sometimes"}),
        json!({}),
    ] {
        assert_eq!(call(&app, Method::POST, "/dev/mining", Some(body.clone())).await.status, 400, "{body}");
    }
    assert_eq!(get(&app, "/dev/mining").await["mode"], "auto");

    let manual = post(&app, "/dev/mining", json!({"mode": "manual", "interval_ms": null})).await;
    assert_eq!(manual, json!({"mode": "manual", "interval_ms": null, "pending": []}));
    let first = post(&app, "/v1/txs", transfer(0, 5)).await;
    let hash = first["tx_hash"].as_str().unwrap().to_owned();
    assert_eq!(first, json!({"tx_hash": hash}), "a pending submission answers its hash only");
    let batch = post(&app, "/v1/txs/batch", json!([transfer(1, 6)])).await;
    let second = batch[0]["tx_hash"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/dev/mining").await["pending"], json!([hash, second]));
    // The account's committed nonce stays; the one to sign next counts what is pending.
    let sender = format!("/v1/accounts/{}", dev_accounts(2)[1].address);
    let account = get(&app, &sender).await;
    assert_eq!((account["nonce"].as_u64(), account["pending_nonce"].as_u64()), (Some(0), Some(2)));
    let at = get(&app, &format!("{sender}?height={}", head["height"])).await;
    assert_eq!(at["pending_nonce"], 0, "a read at a height has no pending part");
    let other = get(&app, &format!("/v1/accounts/{}", dev_accounts(2)[0].address)).await;
    assert_eq!(other["pending_nonce"], other["nonce"]);
    // A dev control commits its block under the pending one, which runs again on top: the
    // same transactions stay pending, and so does the nonce.
    let address = dev_accounts(2)[0].address.to_string();
    post(&app, "/dev/set_balance", json!({"address": address, "amount": "7"})).await;
    assert_eq!(get(&app, "/dev/mining").await["pending"], json!([hash, second]));
    assert_eq!(get(&app, &sender).await["pending_nonce"], 2);
    let head = get(&app, "/v1/blocks/latest").await;
    let pending = call(&app, Method::GET, &format!("/v1/txs/{hash}"), None).await;
    assert_error(&pending, 404, "not_found");
    assert!(pending.body["error"]["message"].as_str().unwrap().contains("pending"), "{}", pending.body);
    // Its trace and a replay say the same: there is nothing committed to show yet.
    for (method, path) in [(Method::GET, "trace"), (Method::POST, "replay")] {
        let answer = call(&app, method, &format!("/v1/txs/{hash}/{path}"), None).await;
        assert_error(&answer, 404, "not_found");
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("pending"), "{path}: {}", answer.body);
    }
    assert_eq!(get(&app, "/v1/blocks/latest").await, head, "nothing is mined");

    let mined = post(&app, "/dev/mine", json!({})).await;
    assert_eq!(mined["tx_hashes"], json!([hash, second]));
    assert_eq!(get(&app, &format!("/v1/txs/{hash}")).await["receipt"]["height"], mined["height"]);
    assert_eq!(get(&app, "/dev/mining").await["pending"], json!([]));
    let account = get(&app, &sender).await;
    assert_eq!((account["nonce"].as_u64(), account["pending_nonce"].as_u64()), (Some(2), Some(2)));

    // Switching back to automine mines what waits; then submissions answer receipts again.
    post(&app, "/v1/txs", transfer(2, 1)).await;
    assert_eq!(post(&app, "/dev/mining", json!({"mode": "auto"})).await["pending"], json!([]));
    assert_eq!(get(&app, "/v1/blocks/latest").await["height"], mined["height"].as_u64().unwrap() + 1);
    assert_eq!(post(&app, "/v1/txs", transfer(3, 1)).await["status"], "success");
}

#[test]
fn interval_mining_mines_on_its_own_and_stops_when_switched_off() {
    let node = node(false);
    let (url, stop, server) = crate::consistency::serve(node.clone());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let post = |path: &str, body: Value| -> Value {
        let mut response = agent.post(format!("{url}{path}")).send_json(body).unwrap();
        response.body_mut().read_json().unwrap()
    };
    let status = |path: &str| agent.get(format!("{url}{path}")).call().unwrap().status().as_u16();

    let switched = post("/dev/mining", json!({"mode": "interval", "interval_ms": 50}));
    assert_eq!((&switched["mode"], &switched["interval_ms"]), (&json!("interval"), &json!(50)));
    let hash = post("/v1/txs", transfer(0, 5))["tx_hash"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(&format!("/v1/txs/{hash}")) != 200 {
        assert!(Instant::now() < deadline, "the interval miner never mined {hash}");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Manual from now on: nothing is mined however long one waits, until /dev/mine.
    post("/dev/mining", json!({"mode": "manual"}));
    let held = post("/v1/txs", transfer(1, 5))["tx_hash"].as_str().unwrap().to_owned();
    let height = node.latest_block().unwrap().height;
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(node.latest_block().unwrap().height, height, "no block in manual mode");
    assert_eq!(status(&format!("/v1/txs/{held}")), 404);
    post("/dev/mine", json!({"blocks": 1}));
    assert_eq!(status(&format!("/v1/txs/{held}")), 200);
    stop.send(()).unwrap();
    server.join().unwrap();
}

#[tokio::test]
async fn the_next_block_time_is_set_exactly_or_refused_without_change() {
    let node = node(false);
    let app = app(&node);
    let head = get(&app, "/v1/blocks/latest").await;
    let next = post(&app, "/dev/set_next_block_time", json!({"time": GENESIS_TIME + 500})).await;
    assert_eq!(next, json!({"height": 1, "time": GENESIS_TIME + 500}));
    assert_eq!(get(&app, "/v1/blocks/latest").await, head, "nothing is mined");
    assert_eq!(post(&app, "/v1/txs", transfer(0, 1)).await["height"], 1);
    assert_eq!(get(&app, "/v1/blocks/latest").await["time"], GENESIS_TIME + 500);

    let latest = get(&app, "/v1/blocks/latest").await;
    let before = call(&app, Method::POST, "/dev/set_next_block_time", Some(json!({"time": GENESIS_TIME}))).await;
    assert_error(&before, 409, "block_time_before_latest");
    let past = json!({"time": tidepool_node::MAX_BLOCK_TIME + 1});
    assert_error(&call(&app, Method::POST, "/dev/set_next_block_time", Some(past)).await, 400, "bad_request");
    post(&app, "/dev/mine", json!({})).await;
    assert_eq!(get(&app, "/v1/blocks/latest").await["time"], latest["time"], "the refusals left the clock alone");
}

#[tokio::test]
async fn reset_returns_to_the_genesis_root() {
    let node = node(true);
    let app = app(&node);
    let genesis = get(&app, "/v1/blocks/latest").await;
    post(&app, "/v1/txs", transfer(0, 5)).await;
    post(&app, "/dev/warp", json!({"seconds": 86_400})).await;
    let snapshot = post(&app, "/dev/snapshot", json!({})).await["id"].clone();
    assert_ne!(get(&app, "/v1/blocks/latest").await["state_root"], genesis["state_root"]);

    assert_eq!(post(&app, "/dev/reset", json!({})).await, genesis);
    assert_eq!(get(&app, "/v1/blocks/latest").await, genesis);
    assert_error(&call(&app, Method::GET, "/v1/blocks/1", None).await, 404, "not_found");
    assert_error(&call(&app, Method::POST, "/dev/revert", Some(json!({"id": snapshot}))).await, 404, "not_found");
    // The same transaction again gives the same block again: the clock was reset too.
    assert_eq!(post(&app, "/v1/txs", transfer(0, 5)).await["height"], 1);
}

#[tokio::test]
async fn set_code_replaces_the_code_and_refuses_what_does_not_exist() {
    let node = node(true);
    let app = app(&node);
    let market = node.market().unwrap();
    let (usdc, weth) = (market.tokens[0].address, market.tokens[1].address);
    let oracle_code = get(&app, &format!("/v1/contracts/{}", market.oracle)).await["code_hash"].clone();
    let head = get(&app, "/v1/blocks/latest").await;
    let unknown = json!({"contract": tidepool_ledger::Address([7; 20]), "code_hash": oracle_code});
    assert_error(&call(&app, Method::POST, "/dev/set_code", Some(unknown)).await, 404, "not_found");
    let no_code = json!({"contract": usdc, "code_hash": format!("0x{}", "22".repeat(32))});
    assert_error(&call(&app, Method::POST, "/dev/set_code", Some(no_code)).await, 404, "not_found");
    let bad = json!({"contract": usdc, "code_hash": "0x1234"});
    assert_error(&call(&app, Method::POST, "/dev/set_code", Some(bad)).await, 400, "bad_request");
    assert_eq!(get(&app, "/v1/blocks/latest").await, head, "refusals change nothing");

    // USDC runs the oracle's code now, on USDC's storage: the token's queries are unknown to it,
    // and the oracle's read what that storage holds.
    let query = format!("/v1/contracts/{usdc}/query");
    assert!(post(&app, &query, json!({"token_info": {}})).await["result"]["symbol"] == "USDC");
    let block = post(&app, "/dev/set_code", json!({"contract": usdc, "code_hash": oracle_code})).await;
    assert_eq!(block["height"], head["height"].as_u64().unwrap() + 1);
    assert_eq!(get(&app, &format!("/v1/contracts/{usdc}")).await["code_hash"], oracle_code);
    assert_error(&call(&app, Method::POST, &query, Some(json!({"token_info": {}}))).await, 422, "query_failed");
    // An account's balances name the token that cannot tell one, as a 422 like its query's.
    let balances = call(&app, Method::GET, &format!("/v1/accounts/{weth}/balances"), None).await;
    assert_error(&balances, 422, "query_failed");
    assert!(balances.body["error"]["message"].as_str().unwrap().starts_with("USDC"), "{}", balances.body);
    let price = call(&app, Method::POST, &query, Some(json!({"price": {"asset": weth}}))).await;
    assert_error(&price, 422, "query_failed");
    let owner = format!("\"{weth}\"");
    let key = format!("0x{}", hex::encode("owner"));
    post(&app, "/dev/set_storage", json!({"contract": usdc, "key": key, "value": format!("0x{}", hex::encode(owner))}))
        .await;
    assert_eq!(post(&app, &query, json!({"config": {}})).await["result"], json!({"owner": weth}));
}

#[tokio::test]
async fn a_dumped_state_loads_into_a_fresh_node_with_the_same_root() {
    let source = node(true);
    let source_app = app(&source);
    post(&source_app, "/v1/txs", transfer(0, 5)).await;
    let file = post(&source_app, "/dev/dump_state", json!({})).await;
    assert_eq!((&file["format"], &file["version"], &file["height"]), (&json!("tidepool-state"), &json!(1), &json!(1)));

    let fresh = node(false);
    let fresh_app = app(&fresh);
    let loaded = post(&fresh_app, "/dev/load_state", file.clone()).await;
    assert_eq!(loaded["state_root"], file["state_root"]);
    assert_eq!((&loaded["height"], &loaded["time"]), (&file["height"], &file["time"]));
    assert_eq!(get(&fresh_app, "/v1/blocks/latest").await, loaded);
    assert_eq!(post(&fresh_app, "/dev/dump_state", json!({})).await, file, "the same state dumps the same file");
    let who = dev_accounts(2)[1].address;
    assert_eq!(
        get(&fresh_app, &format!("/v1/accounts/{who}/balances")).await,
        get(&source_app, &format!("/v1/accounts/{who}/balances")).await
    );
    // The loaded chain begins at the file's height: a read below it says so, not "above".
    let below = call(&fresh_app, Method::GET, &format!("/v1/accounts/{who}?height=0"), None).await;
    assert_error(&below, 404, "not_found");
    assert!(below.body["error"]["message"].as_str().unwrap().contains("this chain begins above it"), "{}", below.body);
    let above = call(&fresh_app, Method::GET, &format!("/v1/accounts/{who}?height=9"), None).await;
    assert!(above.body["error"]["message"].as_str().unwrap().ends_with("the latest is 1"), "{}", above.body);
}

#[tokio::test]
async fn a_state_file_the_node_cannot_load_is_a_4xx_that_changes_nothing() {
    let node = node(true);
    let app = app(&node);
    let file = post(&app, "/dev/dump_state", json!({})).await;
    let head = get(&app, "/v1/blocks/latest").await;
    let with = |pointer: &str, value: Value| {
        let mut file = file.clone();
        *file.pointer_mut(pointer).unwrap() = value;
        file
    };
    let cases = [
        (with("/version", json!(2)), 400, "malformed_json"),
        (with("/format", json!("anvil")), 400, "malformed_json"),
        (with("/height", json!(tidepool_node::state_file::MAX_SAFE_INTEGER + 1)), 400, "malformed_state_file"),
        (with("/accounts/0/balance", json!("01")), 400, "malformed_json"),
        (with("/contracts/0/label", json!("tab\there")), 400, "malformed_state_file"),
        (with("/chain_id", json!(1)), 422, "wrong_chain_id"),
        (with("/accounts/0/balance", json!("123456789")), 422, "invalid_state_file"),
        (with("/code/0/wasm", json!("0x0061736d")), 422, "invalid_state_file"),
        (json!([file.clone()]), 400, "malformed_json"),
    ];
    for (body, status, code) in cases {
        let answer = call(&app, Method::POST, "/dev/load_state", Some(body)).await;
        assert_error(&answer, status, code);
        assert_eq!(get(&app, "/v1/blocks/latest").await, head, "{code} changed the chain");
    }
}

#[tokio::test]
async fn a_state_file_may_be_larger_than_a_transaction() {
    let node = node(true);
    let app = app(&node);
    let mut file = post(&app, "/dev/dump_state", json!({})).await;
    // 80 values of 128 KiB: 20 MiB of hex, over the 8 MiB other bodies may have.
    let value = format!("0x{}", "ab".repeat(128 * 1024));
    let storage = file["contracts"][0]["storage"].as_array_mut().unwrap();
    for i in 0..80u32 {
        storage.push(json!({"key": format!("0xffff{i:08x}"), "value": value}));
    }
    file["state_root"] = Value::Null;
    assert!(file.to_string().len() > tidepool_api::routes::MAX_BODY_BYTES);
    let loaded = post(&app, "/dev/load_state", file.clone()).await;
    assert_eq!(loaded["height"], file["height"]);
    let too_large = json!([{"tx": {}, "signature": value.repeat(40)}]);
    assert_error(&call(&app, Method::POST, "/v1/txs/batch", Some(too_large)).await, 413, "body_too_large");
}

#[tokio::test]
async fn warp_with_refresh_prices_keeps_positions_valued() {
    let node = node(true);
    let app = app(&node);
    let market = node.market().unwrap();
    let supplier = dev_accounts(10)[9].address;
    let position = format!("/v1/contracts/{}/query", market.pool);
    let query = json!({"position": {"user": supplier}});
    let month = 30 * 86_400u64;

    let block = post(&app, "/dev/warp", json!({"seconds": month, "refresh_prices": true})).await;
    assert_eq!(block["time"], GENESIS_TIME + month);
    assert_eq!(block["tx_hashes"].as_array().unwrap().len(), 1, "the refresh is in the warp's block");
    post(&app, &position, query.clone()).await;

    let stale = post(&app, "/dev/warp", json!({"seconds": month, "refresh_prices": null})).await;
    assert_eq!(stale["tx_hashes"], json!([]));
    let answer = call(&app, Method::POST, &position, Some(query)).await;
    assert_error(&answer, 422, "query_failed");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("stale price"), "{}", answer.body);

    // No market, no refresh: 404, and no block.
    let bare = self::node(false);
    let bare_app = self::app(&bare);
    let head = get(&bare_app, "/v1/blocks/latest").await;
    let refused = call(&bare_app, Method::POST, "/dev/warp", Some(json!({"seconds": 60, "refresh_prices": true})));
    assert_error(&refused.await, 404, "not_found");
    assert_eq!(get(&bare_app, "/v1/blocks/latest").await, head);
}

/// `tidepool_txs_accepted_total` and `tidepool_txs_rejected_total` from `/metrics`.
async fn tx_counters(app: &Router) -> (u64, u64) {
    use axum::body::{Body, to_bytes};
    use tower::ServiceExt;
    let request = axum::http::Request::get("/metrics").body(Body::empty()).unwrap();
    let body = to_bytes(app.clone().oneshot(request).await.unwrap().into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    let counter = |name: &str| -> u64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).expect(name);
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    (counter("tidepool_txs_accepted_total"), counter("tidepool_txs_rejected_total"))
}

#[tokio::test]
async fn transactions_clients_submit_are_counted_signed_or_impersonated() {
    let node = node(true);
    let app = app(&node);
    assert_eq!(tx_counters(&app).await, (0, 0));
    post(&app, "/v1/txs", transfer(0, 5)).await;
    assert_error(&call(&app, Method::POST, "/v1/txs", Some(transfer(0, 5))).await, 409, "bad_nonce");
    assert_eq!(tx_counters(&app).await, (1, 1));

    // An impersonated transaction is a client's submission too, accepted or refused.
    let from = dev_accounts(2)[1].address;
    let unsigned = |nonce: u64| {
        json!({"chain_id": tidepool_node::DEV_CHAIN_ID, "nonce": nonce, "from": from, "gas_limit": 1_000_000,
               "action": {"type": "transfer", "to": tidepool_ledger::Address([0xaa; 20]), "amount": "1"}})
    };
    assert_eq!(post(&app, "/dev/impersonate", unsigned(1)).await["status"], "success");
    assert_error(&call(&app, Method::POST, "/dev/impersonate", Some(unsigned(1))).await, 409, "bad_nonce");
    assert_eq!(tx_counters(&app).await, (2, 2));

    // A dev control's own transaction (the warp's price refresh) is not a submission.
    let block = post(&app, "/dev/warp", json!({"seconds": 60, "refresh_prices": true})).await;
    assert_eq!(block["tx_hashes"].as_array().unwrap().len(), 1);
    assert_eq!(tx_counters(&app).await, (2, 2));
}
