//! The router in process, request by request (`Router::oneshot`, as axum's testing example does):
//! every documented operation answers with a status its document lists, in the one error shape;
//! unknown fields, page sizes and block counts out of range are 400s; an unknown method is a 405
//! with `Allow`; a node without `--dev` neither documents nor serves the dev controls.

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tidepool_api::routes::{AppState, router};
use tidepool_node::{Action, Node, NodeConfig, Transaction, dev_accounts};

use crate::support::{assert_error, call};

fn app(dev: bool) -> Router {
    let config = if dev { NodeConfig::dev() } else { NodeConfig { dev: false, ..NodeConfig::dev() } };
    let node = Node::open(config).unwrap();
    router(AppState::new(node))
}

/// A plausible request for each documented operation: path parameters filled in, a body that
/// decodes where there is one.
fn sample_request(path: &str, method: &str) -> (String, Option<Value>) {
    let account = dev_accounts(1)[0].address;
    let uri = path
        .replace("{address}", &account.to_string())
        .replace("{hash}", &format!("0x{}", "11".repeat(32)))
        .replace("{height}", "0");
    let tx = Transaction {
        chain_id: tidepool_node::DEV_CHAIN_ID,
        nonce: 0,
        from: account,
        gas_limit: 1_000_000,
        action: Action::Transfer { to: account, amount: 1 },
    };
    let signed = serde_json::to_value(tx.clone().sign(&dev_accounts(1)[0].key).unwrap()).unwrap();
    let body = match (method, path) {
        // A stream that ends: the genesis block, then `close`.
        ("get", "/v1/stream") => return (format!("{uri}?from_height=0&until_height=0"), None),
        ("get", _) | (_, "/dev/snapshot" | "/dev/reset" | "/dev/dump_state" | "/v1/txs/{hash}/replay") => None,
        (_, "/v1/txs") => Some(signed),
        (_, "/v1/txs/batch") => Some(json!([signed])),
        (_, "/v1/simulate" | "/dev/impersonate") => Some(serde_json::to_value(&tx).unwrap()),
        (_, "/v1/code") => Some(json!({ "tx": { "chain_id": 1, "nonce": 0, "from": account, "gas_limit": 21000,
                                                "action": { "type": "upload_code", "wasm": "0x00" } },
                                        "signature": format!("0x{}1b", "11".repeat(64)) })),
        (_, "/v1/contracts/{address}/query") => Some(json!({ "anything": [1, 2.0] })),
        (_, "/dev/faucet" | "/dev/set_balance") => Some(json!({ "address": account, "amount": "5" })),
        (_, "/dev/set_storage") => Some(json!({ "contract": account, "key": "0x01", "value": null })),
        (_, "/dev/warp") => Some(json!({ "seconds": 60, "refresh_prices": false })),
        (_, "/dev/set_next_block_time") => Some(json!({ "time": 2_000_000_000u64 })),
        (_, "/dev/set_code") => Some(json!({ "contract": account, "code_hash": format!("0x{}", "11".repeat(32)) })),
        (_, "/dev/mining") => Some(json!({ "mode": "interval", "interval_ms": 1000 })),
        (_, "/dev/load_state") => Some(json!({
            "format": "tidepool-state", "version": 1, "chain_id": tidepool_node::DEV_CHAIN_ID, "height": 3,
            "time": 1_700_000_000u64, "state_root": null,
            "accounts": [{ "address": account, "nonce": 0, "balance": "5" }], "code": [], "contracts": [],
        })),
        (_, "/dev/mine") => Some(json!({ "blocks": 2.0 })),
        (_, "/dev/revert") => Some(json!({ "id": 0 })),
        other => panic!("no sample request for {other:?}"),
    };
    (uri, body)
}

#[tokio::test]
async fn every_operation_answers_a_status_it_documents() {
    for dev in [true, false] {
        let app = app(dev);
        let doc = tidepool_api::openapi::document(dev);
        assert_eq!(call(&app, Method::GET, "/openapi.json", None).await.body, doc, "the served document");
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let (uri, body) = sample_request(path, method);
                let answer = call(&app, method.to_uppercase().parse().unwrap(), &uri, body).await;
                let status = answer.status.as_str();
                assert!(
                    operation["responses"].get(status).is_some(),
                    "{method} {uri}: undocumented {status}: {}",
                    answer.body
                );
                assert!(!answer.status.is_server_error(), "{method} {uri}: {}", answer.body);
                if !answer.status.is_success() {
                    assert_error(&answer, answer.status.as_u16(), answer.body["error"]["code"].as_str().unwrap());
                }
            }
        }
    }
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_documented_400_on_every_operation() {
    for dev in [true, false] {
        let app = app(dev);
        let doc = tidepool_api::openapi::document(dev);
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let (uri, body) = sample_request(path, method);
                let uri = if uri.contains('?') { format!("{uri}&wait_for=1") } else { format!("{uri}?wait_for=1") };
                let answer = call(&app, method.to_uppercase().parse().unwrap(), &uri, body).await;
                assert_error(&answer, 400, "bad_request");
                assert!(operation["responses"].get("400").is_some(), "{method} {path}: 400 undocumented");
            }
        }
        // Nothing ran: neither the sample transfer nor a dev control made a block.
        let latest = call(&app, Method::GET, "/v1/blocks/latest", None).await;
        assert_eq!(latest.body["height"], 0, "{}", latest.body);
    }
}

#[tokio::test]
async fn an_unknown_method_on_a_known_path_is_405_with_allow() {
    let app = app(true);
    for (method, uri, allow) in [
        (Method::DELETE, "/v1/txs", "POST"),
        (Method::PUT, "/v1/blocks/latest", "GET,HEAD"),
        (Method::PATCH, "/dev/warp", "POST"),
        (Method::POST, "/health", "GET,HEAD"),
    ] {
        let answer = call(&app, method.clone(), uri, None).await;
        assert_error(&answer, 405, "method_not_allowed");
        assert_eq!(answer.allow.as_deref(), Some(allow), "{method} {uri}");
    }
    assert_error(&call(&app, Method::GET, "/v1/nothing", None).await, 404, "not_found");
}

#[tokio::test]
async fn a_node_without_dev_mode_neither_documents_nor_serves_dev_controls() {
    let app = app(false);
    let doc = call(&app, Method::GET, "/openapi.json", None).await.body;
    assert!(doc["paths"].as_object().unwrap().keys().all(|path| !path.starts_with("/dev")));
    for uri in ["/dev/faucet", "/dev/mine", "/dev/anything/else"] {
        assert_error(&call(&app, Method::POST, uri, Some(json!({}))).await, 403, "dev_mode_only");
    }
}

#[tokio::test]
async fn bodies_refuse_unknown_fields_and_out_of_range_values() {
    let app = app(true);
    let account = dev_accounts(1)[0].address;
    for (path, method) in [
        ("/v1/txs", "post"),
        ("/v1/txs/batch", "post"),
        ("/v1/simulate", "post"),
        ("/v1/code", "post"),
        ("/dev/faucet", "post"),
        ("/dev/set_balance", "post"),
        ("/dev/set_storage", "post"),
        ("/dev/warp", "post"),
        ("/dev/set_next_block_time", "post"),
        ("/dev/set_code", "post"),
        ("/dev/mining", "post"),
        ("/dev/mine", "post"),
        ("/dev/revert", "post"),
        ("/dev/impersonate", "post"),
        ("/dev/load_state", "post"),
    ] {
        let (uri, body) = sample_request(path, method);
        let mut body = body.unwrap();
        let object = match body.as_array_mut() {
            Some(batch) => &mut batch[0],
            None => &mut body,
        };
        object.as_object_mut().unwrap().insert("unknown".into(), json!(1));
        assert_error(&call(&app, Method::POST, &uri, Some(body)).await, 400, "malformed_json");
    }
    // Objects are objects: serde would read a struct from an array, its fields by position.
    let (_, signed) = sample_request("/v1/txs", "post");
    let signed = signed.unwrap();
    let tx = signed["tx"].clone();
    // The fields in declaration order, as serde would read them from an array.
    let positional =
        |object: &Value, fields: &[&str]| Value::Array(fields.iter().map(|f| object[*f].clone()).collect());
    let tx_fields = ["chain_id", "nonce", "from", "gas_limit", "action"];
    let positional_tx = positional(&tx, &tx_fields);
    for (uri, body) in [
        ("/dev/mine", json!([])),
        ("/dev/warp", json!([5])),
        ("/dev/revert", json!([0])),
        ("/dev/set_next_block_time", json!([2_000_000_000u64])),
        ("/dev/mining", json!(["manual"])),
        ("/v1/simulate", positional_tx.clone()),
        ("/v1/txs", json!({ "tx": positional_tx, "signature": signed["signature"] })),
        ("/v1/txs/batch", json!([positional(&signed, &["tx", "signature"])])),
    ] {
        assert_error(&call(&app, Method::POST, uri, Some(body)).await, 400, "malformed_json");
    }
    let mut positional_action = tx.clone();
    positional_action["action"] = positional(&tx["action"], &["type", "to", "amount"]);
    assert_error(&call(&app, Method::POST, "/v1/simulate", Some(positional_action)).await, 400, "malformed_json");
    let (_, action) = sample_request("/v1/simulate", "post");
    let mut action = action.unwrap();
    action["action"]["memo"] = json!("hi");
    assert_error(&call(&app, Method::POST, "/v1/simulate", Some(action)).await, 400, "malformed_json");

    for blocks in [json!(0), json!(10_001), json!(1.5), json!(-1)] {
        let answer = call(&app, Method::POST, "/dev/mine", Some(json!({ "blocks": blocks }))).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "blocks {blocks}: {}", answer.body);
    }
    let answer =
        call(&app, Method::POST, "/dev/warp", Some(json!({ "seconds": tidepool_node::MAX_BLOCK_TIME + 1 }))).await;
    assert_error(&answer, 400, "bad_request");
    assert_error(&call(&app, Method::POST, "/v1/txs/batch", Some(json!([]))).await, 400, "bad_request");
    // One entry the document refuses refuses the batch, before any entry runs.
    let (_, good) = sample_request("/v1/txs", "post");
    let mut bad = good.clone().unwrap();
    bad["tx"]["gas_limit"] = json!(20_999);
    let answer = call(&app, Method::POST, "/v1/txs/batch", Some(json!([good, bad]))).await;
    assert_error(&answer, 400, "gas_limit_out_of_range");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("transaction 1 of the batch"));
    let sender = call(&app, Method::GET, &format!("/v1/accounts/{account}"), None).await;
    assert_eq!(sender.body["nonce"], 0, "the good entry did not run");
    for query in ["limit=0", "limit=1001", "limit=-1", "limit=1.5", "unknown=1"] {
        assert_error(&call(&app, Method::GET, &format!("/v1/events?{query}"), None).await, 400, "bad_request");
        let uri = format!("/v1/contracts/{account}/state?{query}");
        assert_error(&call(&app, Method::GET, &uri, None).await, 400, "bad_request");
    }
    for limit in [1, 1000] {
        assert_eq!(call(&app, Method::GET, &format!("/v1/events?limit={limit}"), None).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn addresses_are_read_in_any_case_and_whole_numbers_however_written() {
    let app = app(true);
    let account = dev_accounts(1)[0].address.to_string();
    // The checksum of a mixed-case address is not checked: any case is the same address.
    let flipped: String = account
        .chars()
        .enumerate()
        .map(|(i, c)| if i > 1 && i % 2 == 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
        .collect();
    let answer = call(&app, Method::GET, &format!("/v1/accounts/{flipped}"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["address"], account);
    assert_error(
        &call(&app, Method::GET, &format!("/v1/accounts/0X{}", &account[2..]), None).await,
        400,
        "bad_request",
    );

    let answer = call(&app, Method::POST, "/dev/revert", Some(json!({ "id": 0.0 }))).await;
    assert_error(&answer, 404, "not_found");
    let (_, tx) = sample_request("/v1/simulate", "post");
    let mut tx = tx.unwrap();
    tx["nonce"] = json!(0.0);
    tx["gas_limit"] = json!(1e6);
    let answer = call(&app, Method::POST, "/v1/simulate", Some(tx)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "success");
}

#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_a_400_in_the_error_shape_on_every_operation() {
    let app = app(true);
    let doc = tidepool_api::openapi::document(true);
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some((_, rest)) = path.split_once('{') else { continue };
        let name = rest.split_once('}').unwrap().0;
        let uri = path.replace(&format!("{{{name}}}"), "%ff");
        for (method, operation) in item.as_object().unwrap() {
            let (_, body) = sample_request(path, method);
            let answer = call(&app, method.to_uppercase().parse().unwrap(), &uri, body).await;
            assert_error(&answer, 400, "bad_request");
            let message = answer.body["error"]["message"].as_str().unwrap();
            assert!(message.contains(&format!("`{name}`")) && message.contains("UTF-8"), "{method} {uri}: {message}");
            assert!(operation["responses"].get("400").is_some(), "{method} {path}: 400 undocumented");
            checked += 1;
        }
    }
    assert!(checked >= 11, "{checked} operations with a path parameter");
    // The dashboard's files are named in the path too.
    let full = tidepool_api::server::app(Node::open(NodeConfig::dev()).unwrap());
    let answer = call(&full, Method::GET, "/assets/%ff.js", None).await;
    assert_error(&answer, 400, "bad_request");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("`file`"), "{}", answer.body);
}
