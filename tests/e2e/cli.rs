//! The `tidepool` client commands against a node: deploy, call, query, balance, tx, watch — signed
//! locally, over the REST API, with `--json` output that matches the API's answers.

use std::process::Output;

use serde_json::{Value, json};
use tidepool_ledger::Address;

use crate::harness::{TestNode, dev, parse};

/// The JSON documents a `--json` command printed (deploy prints one receipt per transaction).
#[track_caller]
fn json_out(output: &Output) -> Vec<Value> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    serde_json::Deserializer::from_str(&stdout).into_iter::<Value>().map(|v| v.expect("JSON output")).collect()
}

#[test]
fn deploy_call_query_balance_and_tx_from_the_command_line() {
    let node = TestNode::dev();
    // A dev node's banner lists its funded accounts, with no note about their absence.
    let banner = node.printed();
    assert!(banner.contains("Dev accounts (each funded at genesis"), "{banner}");
    assert!(!banner.contains("No dev accounts"), "{banner}");
    // Its log, written to a pipe, is plain text: no terminal colour codes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let printed = node.printed();
        if printed.contains("serving the HTTP API") || std::time::Instant::now() > deadline {
            break printed;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(log.contains("serving the HTTP API") && !log.contains('\u{1b}'), "{log:?}");
    let (owner, friend) = (dev(0), dev(1));
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("token.wasm");
    std::fs::write(&wasm, tidepool_artifacts::TOKEN).unwrap();
    let init = json!({"name": "Cli", "symbol": "CLI", "decimals": 6,
                      "initial_balances": [{"address": owner.address, "amount": "1000"}]});

    // Deploy with the default gas limit: uploading a 140 KB contract must fit in it.
    let wasm = wasm.to_str().unwrap();
    let init = init.to_string();
    let deployed =
        json_out(&node.cli(&["--json", "deploy", wasm, "--init", &init, "--label", "cli", "--dev-account", "0"]));
    assert_eq!(deployed.len(), 2, "an upload and an instantiate receipt: {deployed:?}");
    assert!(deployed.iter().all(|r| r["status"] == "success"), "{deployed:?}");
    let token: Address = parse(&deployed[1]["contract_address"]);
    assert_eq!(node.get(&format!("/v1/contracts/{token}")).ok()["label"], "cli");

    // Call, signed by a dev account, then query what it did.
    let transfer = json!({"transfer": {"to": friend.address, "amount": "300"}}).to_string();
    let token_arg = token.to_string();
    let called = json_out(&node.cli(&["--json", "call", &token_arg, &transfer, "--dev-account", "0"]));
    assert_eq!(called[0]["status"], "success", "{called:?}");
    assert_eq!(called[0]["events"][0]["type"], "transfer");
    let balance = json!({"balance": {"address": friend.address}}).to_string();
    let answer = json_out(&node.cli(&["query", &token_arg, &balance]));
    assert_eq!(answer, [json!({"balance": "300"})]);

    // A call the contract refuses is mined, reported, and fails the command.
    let too_much = json!({"transfer": {"to": owner.address, "amount": "301"}}).to_string();
    let refused = node.cli(&["call", &token_arg, &too_much, "--dev-account", "1"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("reverted"), "{refused:?}");

    // Balances and transactions: the same as the API's answers.
    let friend_arg = friend.address.to_string();
    let balances = json_out(&node.cli(&["--json", "balance", &friend_arg]));
    assert_eq!(balances, [node.get(&format!("/v1/accounts/{friend_arg}/balances")).ok()]);
    let text = node.cli(&["balance", &friend_arg]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("USDC    1000000"), "{text:?}");
    let hash = called[0]["tx_hash"].as_str().unwrap();
    let tx = json_out(&node.cli(&["--json", "tx", hash]));
    assert_eq!(tx, [node.get(&format!("/v1/txs/{hash}")).ok()]);

    // `watch` (which asks for the stream gzip-compressed) prints every message of the chain so
    // far as the read routes answer it, then the close.
    let height = node.get("/v1/blocks/latest").ok()["height"].as_u64().unwrap();
    let watched =
        json_out(&node.cli(&["--json", "watch", "--from-height", "0", "--until-height", &height.to_string()]));
    let (close, messages) = watched.split_last().unwrap();
    assert_eq!(close["data"]["reason"], "until_height", "{close}");
    let blocks: Vec<&Value> = messages.iter().filter(|m| m["event"] == "block").collect();
    assert_eq!(blocks.len() as u64, height + 1);
    for block in blocks {
        assert_eq!(block["data"], node.get(&format!("/v1/blocks/{}", block["id"].as_str().unwrap())).ok());
    }
    let called_tx = messages.iter().find(|m| m["event"] == "tx" && m["data"]["receipt"]["tx_hash"] == hash);
    assert_eq!(called_tx.expect("the call's transaction")["data"], tx[0]);
    assert!(messages.iter().any(|m| m["event"] == "event" && m["data"]["tx_hash"] == hash));

    // A node that is not there is an error, not a hang.
    let gone = std::process::Command::new(crate::harness::binary())
        .args(["balance", &friend_arg, "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!gone.status.success());
}
