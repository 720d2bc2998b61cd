//! Paging `GET /v1/events` and `GET /v1/contracts/{address}/state`: a full page's `next`, passed
//! as `after`, leads to the page after it, so pages read every entry once, in order, even inside
//! one block holding more events than a page; `order=desc` lists events newest first.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tidepool_api::routes::{AppState, router};
use tidepool_ledger::Address;
use tidepool_node::{Action, Node, NodeConfig, Transaction, dev_accounts};

use crate::support::{assert_error, call, with_market};

/// Token transfers from dev account 0 to 25 recipients, all in one block (one batch), then
/// three more, a block each.
fn node_with_a_crowded_block() -> (Node, Router, Address) {
    let node = Node::open(with_market(NodeConfig::dev())).unwrap();
    let usdc = node.market().unwrap().tokens[0].address;
    let sender = &dev_accounts(1)[0];
    let nonce = node.account(&sender.address).unwrap().nonce;
    let batch: Vec<_> = (0..28u8)
        .map(|i| {
            let msg = json!({"transfer": {"to": Address([0xe0 ^ i; 20]), "amount": "1"}});
            let action = Action::Execute { contract: usdc, msg, funds: 0 };
            let tx = Transaction {
                chain_id: node.config().chain_id,
                nonce: nonce + u64::from(i),
                from: sender.address,
                gas_limit: 10_000_000,
                action,
            };
            tx.sign(&sender.key).unwrap()
        })
        .collect();
    let before = node.latest_block().unwrap().height;
    for result in node.submit_batch(&batch[..25]) {
        result.unwrap();
    }
    assert_eq!(node.latest_block().unwrap().height, before + 1, "one block");
    for tx in &batch[25..] {
        node.submit(tx).unwrap();
    }
    assert_eq!(node.latest_block().unwrap().height, before + 4, "a block each");
    let app = router(AppState::new(node.clone()));
    (node, app, usdc)
}

/// Every page of `uri` (which has its other parameters), each after the last one's `next`.
async fn every_page(app: &Router, uri: &str, items: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page_uri = match &after {
            Some(after) => format!("{uri}&after={after}"),
            None => uri.to_owned(),
        };
        let page = call(app, Method::GET, &page_uri, None).await;
        assert_eq!(page.status, StatusCode::OK, "{page_uri}: {}", page.body);
        let page_entries = page.body[items].as_array().unwrap().clone();
        entries.extend(page_entries);
        match page.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
        assert!(entries.len() < 10_000, "paging ends");
    }
    entries
}

#[tokio::test]
async fn event_pages_read_every_event_once_either_way_even_inside_a_block() {
    let (node, app, usdc) = node_with_a_crowded_block();
    let crowded = node.latest_block().unwrap().height - 3;
    let whole = call(&app, Method::GET, &format!("/v1/events?contract={usdc}&limit=1000"), None).await;
    let whole = whole.body["events"].as_array().unwrap().clone();
    assert_eq!(whole.len(), 28, "a transfer event per transfer");
    assert_eq!(whole.iter().filter(|event| event["height"] == crowded).count(), 25, "the batch's block");

    let oldest_first = every_page(&app, &format!("/v1/events?contract={usdc}&limit=7"), "events").await;
    assert_eq!(oldest_first, whole);
    let mut newest_first = every_page(&app, &format!("/v1/events?contract={usdc}&order=desc&limit=7"), "events").await;
    newest_first.reverse();
    assert_eq!(newest_first, whole);

    // The latest events of a busy contract, with a page that ends inside the crowded block.
    let latest = call(&app, Method::GET, &format!("/v1/events?contract={usdc}&order=desc&limit=5"), None).await;
    let expected: Vec<Value> = whole.iter().rev().take(5).cloned().collect();
    assert_eq!(latest.body["events"].as_array().unwrap(), &expected);
    let last = &expected[4];
    assert_eq!(last["height"], crowded);
    let place = format!("{}:{}:{}", last["height"], last["tx_index"], last["event_index"]);
    assert_eq!(latest.body["next"], place.as_str());
    // A page that holds everything left says so.
    let all = call(&app, Method::GET, &format!("/v1/events?contract={usdc}&limit=1000"), None).await;
    assert_eq!(all.body["next"], Value::Null);
}

#[tokio::test]
async fn storage_pages_read_every_entry_once() {
    let (node, app, usdc) = node_with_a_crowded_block();
    let height = node.latest_block().unwrap().height;
    let uri = format!("/v1/contracts/{usdc}/state?height={height}");
    let whole = call(&app, Method::GET, &format!("{uri}&limit=1000"), None).await;
    let whole = whole.body["entries"].as_array().unwrap().clone();
    assert!(whole.len() > 25, "a balance per recipient, and the token's own entries");
    assert_eq!(every_page(&app, &format!("{uri}&limit=4"), "entries").await, whole);

    // `after` keeps within `prefix`, and an `after` before the prefix leaves it in charge.
    let prefix = whole[whole.len() / 2]["key"].as_str().unwrap()[..4].to_owned();
    let in_prefix: Vec<Value> =
        whole.iter().filter(|entry| entry["key"].as_str().unwrap().starts_with(&prefix)).cloned().collect();
    let prefixed = format!("{uri}&prefix={prefix}");
    assert_eq!(every_page(&app, &format!("{prefixed}&limit=2"), "entries").await, in_prefix);
    let early = call(&app, Method::GET, &format!("{prefixed}&after=0x00&limit=1000"), None).await;
    assert_eq!(early.body["entries"].as_array().unwrap(), &in_prefix);
}

#[tokio::test]
async fn a_place_or_an_order_that_is_not_one_is_a_400_and_a_far_place_is_a_place() {
    let (_, app, usdc) = node_with_a_crowded_block();
    for query in
        ["after=1:2", "after=1:2:3:4", "after=a:0:0", "after=1::0", "after=-1:0:0", "order=up", "order=", "type="]
    {
        let answer = call(&app, Method::GET, &format!("/v1/events?{query}"), None).await;
        assert_error(&answer, 400, "bad_request");
    }
    // Numbers past their fields' range are places all the same: past every event.
    let far = "after=18446744073709551616:99999999999:0";
    let past = call(&app, Method::GET, &format!("/v1/events?{far}"), None).await;
    assert_eq!((past.status, past.body["events"].clone()), (StatusCode::OK, json!([])), "{}", past.body);
    let before = call(&app, Method::GET, &format!("/v1/events?{far}&order=desc&limit=1"), None).await;
    let newest = call(&app, Method::GET, "/v1/events?order=desc&limit=1", None).await;
    assert_eq!(before.body["events"], newest.body["events"]);
    for query in ["after=zz", "after=0x1", "after=01"] {
        let answer = call(&app, Method::GET, &format!("/v1/contracts/{usdc}/state?{query}"), None).await;
        assert_error(&answer, 400, "bad_request");
    }
}
