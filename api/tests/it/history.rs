//! What a transaction did and what the state was: a receipt's state diff equals the difference
//! of `?height` reads before and after it; a replay equals the stored receipt; traces carry
//! every frame; reads below the retained history are refused with 410 and above the latest with
//! 404, changing nothing.

use std::collections::BTreeMap;

use axum::Router;
use axum::http::Method;
use serde_json::{Value, json};
use tidepool_api::routes::{AppState, router};
use tidepool_node::genesis::market_info;
use tidepool_node::{Action, Node, NodeConfig, Transaction, dev_accounts};

use crate::support::{assert_error, call, with_market};

fn market_node(history_blocks: Option<u64>) -> (Node, Router) {
    let config = with_market(NodeConfig { history_blocks, ..NodeConfig::dev() });
    let node = Node::open(config).unwrap();
    let app = router(AppState::new(node.clone()));
    (node, app)
}

/// Signs and submits `action` from dev account `index`; the receipt.
fn send(node: &Node, index: usize, action: Action) -> tidepool_node::Receipt {
    let account = &dev_accounts(10)[index];
    let nonce = node.account(&account.address).unwrap().nonce;
    let tx =
        Transaction { chain_id: node.config().chain_id, nonce, from: account.address, gas_limit: 50_000_000, action };
    match node.submit(&tx.sign(&account.key).unwrap()).unwrap() {
        tidepool_node::Submitted::Mined(receipt) => receipt.into_receipt(),
        pending => panic!("automine gives receipts: {pending:?}"),
    }
}

fn execute(contract: tidepool_ledger::Address, msg: Value) -> Action {
    Action::Execute { contract, msg, funds: 0 }
}

/// Bytes as the API writes them.
fn hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A contract's whole storage at `height`, key → value (hex).
async fn storage_at(app: &Router, contract: &tidepool_ledger::Address, height: u64) -> BTreeMap<String, String> {
    let page =
        call(app, Method::GET, &format!("/v1/contracts/{contract}/state?limit=1000&height={height}"), None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert_eq!(page.body["height"], height);
    let entries = page.body["entries"].as_array().unwrap();
    assert!(entries.len() < 1000, "one page holds the contract's whole storage");
    entries.iter().map(|e| (e["key"].as_str().unwrap().to_owned(), e["value"].as_str().unwrap().to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_diff_equals_the_difference_of_reads_before_and_after() {
    let (node, app) = market_node(None);
    let market = market_info();
    let (usdc, pool) = (market.tokens[0].address, market.pool);
    let alice = dev_accounts(10)[4].address;
    // A token transfer, an approval and a supply into the pool (nested calls, many keys).
    let transfer =
        send(&node, 1, execute(usdc, json!({"transfer": {"to": dev_accounts(10)[2].address, "amount": "5"}})));
    let approve = send(&node, 1, execute(usdc, json!({"approve": {"spender": pool, "amount": "1000000"}})));
    let supply = send(&node, 1, execute(pool, json!({"supply": {"asset": usdc, "amount": "1000000"}})));
    let native = send(&node, 3, Action::Transfer { to: alice, amount: 7 });
    let contracts = [pool, market.oracle, market.tokens[0].address, market.tokens[1].address, market.tokens[2].address];
    for receipt in [transfer, approve, supply, native] {
        assert!(receipt.is_success(), "{receipt:?}");
        let height = receipt.height;
        let diff = &receipt.state_diff;
        // Storage: the receipt's entries are exactly the keys whose values differ between
        // the two heights, with those values.
        let mut from_reads = Vec::new();
        for contract in &contracts {
            let (before, after) =
                (storage_at(&app, contract, height - 1).await, storage_at(&app, contract, height).await);
            let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
            for key in keys {
                if before.get(key) != after.get(key) {
                    from_reads.push((*contract, key.clone(), before.get(key).cloned(), after.get(key).cloned()));
                }
            }
        }
        let mut from_diff: Vec<_> = diff
            .storage
            .iter()
            .map(|c| (c.contract, hex(&c.key), c.before.as_deref().map(hex), c.after.as_deref().map(hex)))
            .collect();
        from_diff.sort();
        from_reads.sort();
        assert_eq!(from_diff, from_reads, "block {height}");
        // Accounts: balances and nonces as the account reads say.
        for change in &diff.accounts {
            let at = |h: u64| {
                let app = app.clone();
                let uri = format!("/v1/accounts/{}?height={h}", change.address);
                async move { call(&app, Method::GET, &uri, None).await.body }
            };
            let (before, after) = (at(height - 1).await, at(height).await);
            assert_eq!(before["balance"], change.balance_before.to_string());
            assert_eq!(after["balance"], change.balance_after.to_string());
            assert_eq!(
                (before["nonce"].as_u64(), after["nonce"].as_u64()),
                (Some(change.nonce_before), Some(change.nonce_after))
            );
        }
        assert!(diff.accounts.iter().any(|a| a.nonce_after == a.nonce_before + 1), "the sender's nonce moved");
        assert!(!diff.truncated);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_balances_in_a_diff_decode_along_the_sdk_layout() {
    let (node, _) = market_node(None);
    let usdc = market_info().tokens[0].address;
    let to = dev_accounts(10)[2].address;
    let receipt = send(&node, 1, execute(usdc, json!({"transfer": {"to": to, "amount": "5"}})));
    let keys: Vec<&str> = receipt.state_diff.storage.iter().filter_map(|c| c.decoded_key.as_deref()).collect();
    assert!(keys.iter().any(|k| k.ends_with(&format!("[{to}]"))), "{keys:?}");
    assert!(receipt.state_diff.storage.iter().all(|c| c.after_json.is_some()), "token balances are JSON");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_equals_the_stored_receipt_also_after_earlier_transactions_in_its_block() {
    let (node, app) = market_node(None);
    let usdc = market_info().tokens[0].address;
    // Three transactions in one block: the third depends on the first two.
    let account = &dev_accounts(10)[4];
    let to = dev_accounts(10)[5].address;
    let nonce = node.account(&account.address).unwrap().nonce;
    let signed: Vec<_> = (0..3)
        .map(|i| {
            let msg = json!({"transfer": {"to": to, "amount": (i + 1).to_string()}});
            Transaction {
                chain_id: node.config().chain_id,
                nonce: nonce + i,
                from: account.address,
                gas_limit: 5_000_000,
                action: execute(usdc, msg),
            }
            .sign(&account.key)
            .unwrap()
        })
        .collect();
    let receipts: Vec<_> = node.submit_batch(&signed).into_iter().map(Result::unwrap).collect();
    let third = match &receipts[2] {
        tidepool_node::Submitted::Mined(receipt) => receipt.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(third.index, 2);
    let replayed = call(&app, Method::POST, &format!("/v1/txs/{}/replay", third.tx_hash), None).await;
    assert_eq!(replayed.status.as_u16(), 200, "{}", replayed.body);
    assert_eq!(replayed.body["matches"], true, "{}", replayed.body);
    assert_eq!(replayed.body["differences"], json!([]));
    assert_eq!(replayed.body["receipt"], serde_json::to_value(&*third).unwrap());
    assert!(replayed.body.get("stored").is_none());
    // Unknown transactions are a 404.
    let unknown = call(&app, Method::POST, &format!("/v1/txs/0x{}/replay", "22".repeat(32)), None).await;
    assert_error(&unknown, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_carries_every_frame_with_its_message_events_and_gas() {
    let (node, app) = market_node(None);
    let market = market_info();
    let (usdc, pool) = (market.tokens[0].address, market.pool);
    send(&node, 6, execute(usdc, json!({"approve": {"spender": pool, "amount": "1000"}})));
    let supply = send(&node, 6, execute(pool, json!({"supply": {"asset": usdc, "amount": "1000"}})));
    let answer = call(&app, Method::GET, &format!("/v1/txs/{}/trace", supply.tx_hash), None).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    let root = &answer.body["trace"];
    assert_eq!(root["entry_point"], "execute");
    assert_eq!(root["msg"], json!({"supply": {"asset": usdc, "amount": "1000"}}));
    assert_eq!(root["funds"], "0");
    assert!(root["events"].as_array().unwrap().iter().any(|e| e["type"] == "supply"), "{root}");
    let children = root["children"].as_array().unwrap();
    assert!(!children.is_empty(), "the pool calls the token");
    assert!(children.iter().any(|c| c["contract"] == json!(usdc) && c["msg"].get("transfer_from").is_some()), "{root}");
    let child_gas: u64 = children.iter().map(|c| c["gas_used"].as_u64().unwrap()).sum();
    assert!(root["gas_used"].as_u64().unwrap() > child_gas, "a frame's gas includes its children's");
    // A native transfer calls no contract: no tree.
    let native = send(&node, 6, Action::Transfer { to: usdc, amount: 1 });
    let answer = call(&app, Method::GET, &format!("/v1/txs/{}/trace", native.tx_hash), None).await;
    assert_eq!(answer.body["trace"], Value::Null);
    let unknown = call(&app, Method::GET, &format!("/v1/txs/0x{}/trace", "33".repeat(32)), None).await;
    assert_error(&unknown, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_inside_the_window_and_refused_outside_it() {
    let (node, app) = market_node(Some(3));
    let who = dev_accounts(10)[7].address;
    for amount in 1..=8u128 {
        send(&node, 8, Action::Transfer { to: who, amount });
    }
    let latest = node.latest_block().unwrap().height;
    let balance_at = |height: u64| {
        let app = app.clone();
        async move { call(&app, Method::GET, &format!("/v1/accounts/{who}?height={height}"), None).await }
    };
    let mut balances = Vec::new();
    for height in latest - 3..=latest {
        let answer = balance_at(height).await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
        assert_eq!(answer.body["height"], height);
        balances.push(answer.body["balance"].as_str().unwrap().parse::<u128>().unwrap());
    }
    // Each of the last blocks added the next amount.
    assert!(balances.windows(2).all(|w| w[1] > w[0]), "{balances:?}");
    let before = node.latest_block().unwrap();
    assert_error(&balance_at(latest - 4).await, 410, "height_pruned");
    assert_error(&balance_at(latest + 1).await, 404, "not_found");
    let query = call(
        &app,
        Method::POST,
        &format!("/v1/contracts/{}/query?height={}", market_info().pool, latest - 4),
        Some(json!({"config": {}})),
    )
    .await;
    assert_error(&query, 410, "height_pruned");
    let state = call(&app, Method::GET, &format!("/v1/contracts/{}/state?height=0", market_info().pool), None).await;
    assert_error(&state, 410, "height_pruned");
    let unknown = call(&app, Method::GET, &format!("/v1/accounts/{who}?height=1&extra=1"), None).await;
    assert_error(&unknown, 400, "bad_request");
    assert_eq!(node.latest_block().unwrap(), before, "refused reads changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_below_the_window_is_refused_and_changes_nothing() {
    let (node, app) = market_node(Some(2));
    let snapshot = call(&app, Method::POST, "/dev/snapshot", None).await;
    assert_eq!(snapshot.status.as_u16(), 200, "{}", snapshot.body);
    let who = dev_accounts(10)[7].address;
    for amount in 1..=5u128 {
        send(&node, 8, Action::Transfer { to: who, amount });
    }
    let before = node.latest_block().unwrap();
    let revert = call(&app, Method::POST, "/dev/revert", Some(json!({"id": snapshot.body["id"]}))).await;
    assert_error(&revert, 410, "height_pruned");
    assert_eq!(node.latest_block().unwrap(), before, "a refused revert changed nothing");
    // A snapshot inside the window still reverts.
    let inside = call(&app, Method::POST, "/dev/snapshot", None).await;
    send(&node, 8, Action::Transfer { to: who, amount: 9 });
    let revert = call(&app, Method::POST, "/dev/revert", Some(json!({"id": inside.body["id"]}))).await;
    assert_eq!(revert.status.as_u16(), 200, "{}", revert.body);
    assert_eq!(revert.body["height"], before.height);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_transactions_below_the_window_are_said_to_be_pruned() {
    let (node, app) = market_node(Some(3));
    let usdc = market_info().tokens[0].address;
    let to = dev_accounts(10)[2].address;
    // One token transfer (with its event) a block.
    let receipts: Vec<_> =
        (0..8).map(|_| send(&node, 1, execute(usdc, json!({"transfer": {"to": to, "amount": "5"}})))).collect();
    let oldest = node.view().unwrap().state().oldest_complete_block().unwrap();
    assert!(oldest > receipts[0].height && oldest <= receipts[7].height, "pruned some: {oldest}");

    // An explicit `from` below the oldest block kept: 410, naming it.
    for uri in ["/v1/events?from=0&to=5".to_owned(), format!("/v1/events?from={}&order=desc", oldest - 1)] {
        let refused = call(&app, Method::GET, &uri, None).await;
        assert_error(&refused, 410, "height_pruned");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("from height {oldest}")), "{uri}: {message}");
    }
    // From the oldest kept, or without `from`: the events kept, the same.
    let from_oldest = call(&app, Method::GET, &format!("/v1/events?from={oldest}"), None).await;
    assert_eq!(from_oldest.status.as_u16(), 200, "{}", from_oldest.body);
    let kept = from_oldest.body["events"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.iter().all(|e| e["height"].as_u64().unwrap() >= oldest), "{}", from_oldest.body);
    let without = call(&app, Method::GET, "/v1/events", None).await;
    assert_eq!(without.body["events"], from_oldest.body["events"]);

    // A transaction of a pruned block: a 404 that says so (its block still lists its hash).
    let pruned = &receipts[0];
    let block = call(&app, Method::GET, &format!("/v1/blocks/{}", pruned.height), None).await;
    assert_eq!(block.body["tx_hashes"][0], json!(pruned.tx_hash), "{}", block.body);
    for (method, uri) in [
        (Method::GET, format!("/v1/txs/{}", pruned.tx_hash)),
        (Method::GET, format!("/v1/txs/{}/trace", pruned.tx_hash)),
        (Method::POST, format!("/v1/txs/{}/replay", pruned.tx_hash)),
    ] {
        let refused = call(&app, method, &uri, None).await;
        assert_error(&refused, 404, "not_found");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("blocks below height {oldest} are pruned")), "{uri}: {message}");
    }
    // One that is kept is still there.
    let kept = call(&app, Method::GET, &format!("/v1/txs/{}", receipts[7].tx_hash), None).await;
    assert_eq!(kept.status.as_u16(), 200, "{}", kept.body);

    // A node that prunes nothing says nothing of pruning.
    let (_, whole) = market_node(None);
    let unknown = call(&whole, Method::GET, &format!("/v1/txs/0x{}", "11".repeat(32)), None).await;
    assert_error(&unknown, 404, "not_found");
    assert!(!unknown.body.to_string().contains("pruned"), "{}", unknown.body);
    let from_zero = call(&whole, Method::GET, "/v1/events?from=0", None).await;
    assert_eq!(from_zero.status.as_u16(), 200, "{}", from_zero.body);
}
