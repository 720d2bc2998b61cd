//! The `tidepool` client commands against a node: deploy, call, query, balance, tx, watch — signed
//! locally, over the REST API, with `--json` output that matches the API's answers; keys found by
//! name or address; output into a pipe closed early.

use std::io::Read;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::genesis::market_info;
use tidepool_node::keys::private_key_hex;

use crate::harness::{TestNode, binary, dev, parse};

/// The JSON documents a `--json` command printed (one, except for `watch`: one per message).
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
    assert_eq!(deployed.len(), 1, "one document with both receipts: {deployed:?}");
    let (upload, instantiate) = (&deployed[0]["upload"], &deployed[0]["instantiate"]);
    assert!([upload, instantiate].iter().all(|r| r["status"] == "success"), "{deployed:?}");
    let token: Address = parse(&instantiate["contract_address"]);
    let contract = node.get(&format!("/v1/contracts/{token}")).ok();
    assert_eq!((&contract["label"], &contract["code_hash"]), (&json!("cli"), &upload["code_hash"]), "{contract}");

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
        // A block's id is its height, tagged with its hash's first digits (`h@tag`).
        let id = block["id"].as_str().unwrap();
        let height = id.split_once('@').map_or(id, |(height, _)| height);
        assert_eq!(block["data"], node.get(&format!("/v1/blocks/{height}")).ok());
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

#[test]
fn deploy_checks_its_arguments_before_sending_and_fails_when_mined_but_failed() {
    let node = TestNode::dev();
    let owner = dev(0).address;
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("token.wasm");
    std::fs::write(&wasm, tidepool_artifacts::TOKEN).unwrap();
    let wasm = wasm.to_str().unwrap();
    let deploy = |args: &[&str]| node.cli(&[&["deploy", wasm][..], args].concat());
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    // A mistake in the arguments is refused before the upload: nothing is sent.
    let nonce = node.nonce(&owner);
    let label = "x".repeat(129);
    for (args, said) in [
        (&["--init", "not json"][..], "--init is not valid JSON"),
        (&["--init", "{}", "--admin", "garbage"], "--admin \"garbage\" is not an address"),
        (&["--init", "{}", "--label", &label], "the limit is 128"),
        (&["--init", r#"{"p": 1.5}"#], "--init: unsupported JSON number 1.5"),
        (&["--init", r#"{"n": 18446744073709551616}"#], "--init: unsupported JSON number"),
    ] {
        let refused = deploy(args);
        assert!(!refused.status.success() && stderr(&refused).contains(said), "{args:?}: {refused:?}");
        assert!(refused.stdout.is_empty(), "{args:?}: {refused:?}");
    }
    assert_eq!(node.nonce(&owner), nonce, "no transaction was sent");

    // The token refuses an empty instantiate message: both receipts in one document, and the
    // command fails as `call` does. Signing as dev account 0 by default is noted once.
    let reverted = deploy(&["--json", "--init", "{}"]);
    assert!(!reverted.status.success(), "{reverted:?}");
    let receipts: Value = serde_json::from_slice(&reverted.stdout).expect("one JSON document");
    assert_eq!(receipts["upload"]["status"], "success", "{receipts}");
    assert_eq!(receipts["instantiate"]["status"], "reverted", "{receipts}");
    let said = stderr(&reverted);
    assert!(said.contains("error: instantiating: the transaction was mined but failed"), "{said}");
    assert_eq!(said.matches("signing as dev account 0").count(), 1, "{said}");
    let text = deploy(&["--init", "{}", "--dev-account", "0"]);
    assert!(!text.status.success() && String::from_utf8_lossy(&text.stdout).contains("reverted"), "{text:?}");

    // An upload that runs out of gas fails the command too, and nothing is instantiated.
    let nonce = node.nonce(&owner);
    let out_of_gas = deploy(&["--json", "--init", "{}", "--gas-limit", "100000", "--dev-account", "0"]);
    assert!(!out_of_gas.status.success(), "{out_of_gas:?}");
    assert!(stderr(&out_of_gas).contains("uploading the code: the transaction was mined but failed"), "{out_of_gas:?}");
    let receipts: Value = serde_json::from_slice(&out_of_gas.stdout).expect("one JSON document");
    assert_eq!(receipts, json!({"upload": receipts["upload"], "instantiate": null}));
    assert_eq!(receipts["upload"]["status"], "out_of_gas", "{receipts}");
    assert_eq!(node.nonce(&owner), nonce + 1, "only the upload was sent");
    let only_upload = deploy(&["--gas-limit", "100000", "--dev-account", "0"]);
    assert!(!only_upload.status.success(), "{only_upload:?}");
}

#[test]
fn deploy_with_a_nonce_signs_the_instantiation_with_the_next() {
    let node = TestNode::dev();
    let owner = dev(3);
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("token.wasm");
    std::fs::write(&wasm, tidepool_artifacts::TOKEN).unwrap();
    let init = json!({"name": "Nonce", "symbol": "NON", "decimals": 6, "initial_balances": []}).to_string();
    let nonce = node.nonce(&owner.address);
    let nonce_arg = nonce.to_string();
    let args =
        ["--json", "deploy", wasm.to_str().unwrap(), "--init", &init, "--nonce", &nonce_arg, "--dev-account", "3"];
    let deployed = json_out(&node.cli(&args));
    let (upload, instantiate) = (&deployed[0]["upload"], &deployed[0]["instantiate"]);
    assert!([upload, instantiate].iter().all(|r| r["status"] == "success"), "{deployed:?}");
    let signed_nonce = |receipt: &Value| {
        let found = node.get(&format!("/v1/txs/{}", receipt["tx_hash"].as_str().unwrap())).ok();
        found["tx"]["tx"]["nonce"].as_u64().unwrap()
    };
    assert_eq!((signed_nonce(upload), signed_nonce(instantiate)), (nonce, nonce + 1));
    assert_eq!(node.nonce(&owner.address), nonce + 2);
    let help = String::from_utf8_lossy(&node.cli(&["deploy", "--help"]).stdout).into_owned();
    assert!(help.contains("N + 1"), "{help}");
}

#[test]
fn a_key_name_is_never_an_address_and_an_address_finds_only_its_key() {
    let node = TestNode::dev();
    let (signer, other) = (dev(2), dev(4));
    let other_arg = other.address.to_string();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    // A name in an address's form (any case) is refused, by `keys new` and `keys import`.
    let refused = node.cli(&["keys", "new", "--name", &other_arg]);
    assert!(!refused.status.success() && stderr(&refused).contains("form of an address"), "{refused:?}");
    let key = private_key_hex(&signer.key);
    let refused = node.cli(&["keys", "import", &key, "--name", &other_arg.to_lowercase()]);
    assert!(!refused.status.success() && stderr(&refused).contains("form of an address"), "{refused:?}");
    assert_eq!(json_out(&node.cli(&["--json", "keys", "list"])), [json!([])]);

    // `--key <address>` signs only with the key at that address.
    node.cli_ok(&["keys", "import", &key, "--name", "deployer"]);
    let usdc = market_info().tokens[0].address.to_string();
    let transfer = json!({"transfer": {"to": signer.address, "amount": "1"}}).to_string();
    let nonce = node.nonce(&signer.address);
    let missing = node.cli(&["call", &usdc, &transfer, "--key", &other_arg]);
    assert!(!missing.status.success() && stderr(&missing).contains("no key"), "{missing:?}");
    assert_eq!(node.nonce(&signer.address), nonce, "nothing was signed");
    node.cli_ok(&["keys", "import", &private_key_hex(&other.key)]);
    let called = json_out(&node.cli(&["--json", "call", &usdc, &transfer, "--key", &other_arg.to_lowercase()]));
    let found = node.get(&format!("/v1/txs/{}", called[0]["tx_hash"].as_str().unwrap())).ok();
    assert_eq!(parse::<Address>(&found["tx"]["tx"]["from"]), other.address);
    let called = json_out(&node.cli(&["--json", "call", &usdc, &transfer, "--key", "deployer"]));
    let found = node.get(&format!("/v1/txs/{}", called[0]["tx_hash"].as_str().unwrap())).ok();
    assert_eq!(parse::<Address>(&found["tx"]["tx"]["from"]), signer.address);
}

/// `tidepool <args>` against `node` with its standard output into a pipe that `read` reads from
/// and then closes; returns the exit status and what the command said on standard error.
fn with_stdout_closed_early(
    node: &TestNode,
    args: &[&str],
    read: impl FnOnce(std::process::ChildStdout),
) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(binary())
        .args(args)
        .env("TIDEPOOL_URL", node.url())
        .env_remove("TIDEPOOL_PRIVATE_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the tidepool CLI");
    read(child.stdout.take().unwrap());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap(), stderr)
}

#[test]
fn a_pipe_closed_early_ends_a_command_quietly() {
    let node = TestNode::dev();
    let quiet = |(status, stderr): (std::process::ExitStatus, String)| {
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
        assert_eq!(status.code(), Some(141), "128 + SIGPIPE, as a shell reports a Unix tool's: {status}");
    };

    // `tidepool dev dump-state | head -1`: the reader stops after a line of a long answer.
    // (The dump is the node's bytes, one line of about 1.4 MB: the reader stops after 64 bytes.)
    quiet(with_stdout_closed_early(&node, &["dev", "dump-state"], |mut stdout| {
        let mut start = [0; 64];
        stdout.read_exact(&mut start).unwrap();
        assert!(start.starts_with(br#"{"format":"tidepool-state""#), "{}", String::from_utf8_lossy(&start));
    }));

    // `tidepool call … | head -1` with the reader gone before the receipt is printed: the
    // transaction was sent all the same.
    let usdc = market_info().tokens[0].address;
    let to = Address([0x77; 20]);
    let transfer = json!({"transfer": {"to": to, "amount": "5"}}).to_string();
    let args = ["call", &usdc.to_string(), &transfer, "--dev-account", "1"];
    quiet(with_stdout_closed_early(&node, &args, drop));
    assert_eq!(node.token_balance(&usdc, &to), 5);
}

#[test]
fn deploying_a_module_over_the_request_limit_says_so_instead_of_a_broken_pipe() {
    let node = TestNode::dev();
    // 5 MiB of wasm is a 10 MiB transaction in hex: over the 8 MiB the node reads in a body.
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("big.wasm");
    std::fs::write(&wasm, vec![0u8; 5 * 1024 * 1024]).unwrap();
    let height = node.height();
    let output = node.cli(&["deploy", wasm.to_str().unwrap(), "--dev-account", "0"]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{output:?}");
    assert!(said.contains("8 MiB") && said.contains("body_too_large") && !said.contains("Broken pipe"), "{said}");
    assert_eq!(node.height(), height);
}
