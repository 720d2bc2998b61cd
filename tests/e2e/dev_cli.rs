//! `tidepool dev` drives every dev control (docs/api.md, "Dev controls"), here the ones the
//! anvil-grade tests ([`crate::devctl`]) leave out: snapshot and revert, faucet and balances, raw
//! storage, and transactions as any account — run by the real binary, each checked against what
//! the node answers afterwards.

use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::genesis::market_info;

use crate::harness::{NodeOptions, TestNode, amount, dev, parse};

/// The one JSON document a `--json` command printed, asserting success.
#[track_caller]
fn json_ok(node: &TestNode, args: &[&str]) -> Value {
    let stdout = node.cli_ok(&[&["--json"][..], args].concat());
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("tidepool --json {args:?}: {e}: {stdout}"))
}

/// Runs the CLI, asserting that it fails; returns what it said on standard error.
#[track_caller]
fn cli_refused(node: &TestNode, args: &[&str]) -> String {
    let output = node.cli(args);
    assert!(!output.status.success(), "tidepool {args:?} succeeded: {output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A native balance, base units.
fn native(node: &TestNode, who: &Address) -> u128 {
    amount(&node.account(who)["balance"])
}

/// The storage key (`0x` hex) under which `token` keeps `owner`'s balance, and the balance it
/// holds there: found in a state dump, so the test needs no knowledge of the token's layout.
fn balance_entry(node: &TestNode, token: &Address, owner: &Address) -> (String, u128) {
    let state = node.post("/dev/dump_state", &json!({})).ok();
    let contracts = state["contracts"].as_array().expect("contracts");
    let contract = contracts.iter().find(|c| parse::<Address>(&c["address"]) == *token).expect("the token");
    let (owner, balance) = (hex::encode(owner.0), hex::encode("balance"));
    let entry = contract["storage"]
        .as_array()
        .expect("storage")
        .iter()
        .find(|e| e["key"].as_str().is_some_and(|k| k.to_lowercase().contains(&owner) && k.contains(&balance)))
        .expect("the owner's balance entry");
    let value = hex::decode(entry["value"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let value: Value = serde_json::from_slice(&value).expect("a JSON value");
    (entry["key"].as_str().unwrap().to_owned(), amount(&value))
}

#[test]
fn snapshot_revert_faucet_balances_and_storage_from_the_command_line() {
    let node = TestNode::dev();
    let stranger = Address([0x5a; 20]);
    let stranger_arg = stranger.to_string();
    let head = node.latest_block();

    // A snapshot's id alone on its line, for a script to keep; with --json, the API's `{id}`.
    let id = node.cli_ok(&["dev", "snapshot"]);
    let id = id.trim();
    assert!(id.parse::<u64>().is_ok(), "{id:?}");
    let second = json_ok(&node, &["dev", "snapshot"]);
    assert_eq!(second, json!({"id": second["id"].as_u64().expect("a number")}));
    assert_ne!(second["id"].to_string(), id);

    // Faucet and set-balance answer the block that did it, as the other controls do.
    assert_eq!(json_ok(&node, &["dev", "faucet", &stranger_arg, "1000"]), node.latest_block());
    let said = node.cli_ok(&["dev", "faucet", &stranger_arg, "500"]);
    assert!(said.contains(node.latest_block()["state_root"].as_str().unwrap()), "{said}");
    assert_eq!(native(&node, &stranger), 1500);
    node.cli_ok(&["dev", "set-balance", &stranger_arg, "7"]);
    assert_eq!(native(&node, &stranger), 7);

    // set-storage rewrites a raw entry (a token balance) and removes it.
    let usdc = market_info().tokens[0].address;
    let usdc_arg = usdc.to_string();
    let alice = dev(1).address;
    let (key, before) = balance_entry(&node, &usdc, &alice);
    assert_eq!(before, node.token_balance(&usdc, &alice));
    let value = format!("0x{}", hex::encode(json!("42").to_string()));
    assert_eq!(json_ok(&node, &["dev", "set-storage", &usdc_arg, &key, &value]), node.latest_block());
    assert_eq!(node.token_balance(&usdc, &alice), 42);
    node.cli_ok(&["dev", "set-storage", &usdc_arg, &key, "--remove"]);
    assert_eq!(node.token_balance(&usdc, &alice), 0);
    // Neither a value nor --remove, or no 0x hex: refused before anything is sent; a contract the
    // node does not know: refused by the node, with its message.
    let height = node.height();
    assert!(cli_refused(&node, &["dev", "set-storage", &usdc_arg, &key]).contains("--remove"));
    assert!(cli_refused(&node, &["dev", "set-storage", &usdc_arg, &key, "0x2a", "--remove"]).contains("--remove"));
    assert!(cli_refused(&node, &["dev", "set-storage", &usdc_arg, "2a", "0x2a"]).contains("0x"));
    assert!(cli_refused(&node, &["dev", "set-storage", &stranger_arg, "0x01", "0x02"]).contains("404"));
    assert_eq!(node.height(), height);

    // Revert: the head at the snapshot, everything since undone, and the snapshot used up.
    let said = node.cli_ok(&["dev", "revert", id]);
    assert!(said.contains(head["state_root"].as_str().unwrap()), "{said}");
    assert_eq!(node.latest_block(), head);
    assert_eq!((native(&node, &stranger), node.token_balance(&usdc, &alice)), (0, before));
    assert!(cli_refused(&node, &["dev", "revert", id]).contains("404"));
    let third = json_ok(&node, &["dev", "snapshot"]);
    assert_eq!(json_ok(&node, &["dev", "revert", &third["id"].to_string()]), head);
}

#[test]
fn impersonate_sends_transfers_and_calls_as_any_account() {
    let node = TestNode::dev();
    let usdc = market_info().tokens[0].address;
    let usdc_arg = usdc.to_string();
    let (rich, bob) = (dev(1).address, dev(2).address);
    let rich_arg = rich.to_string();
    // An account nobody has a key of.
    let stranger = Address([0x5b; 20]);
    let stranger_arg = stranger.to_string();

    // A native transfer as a dev account, unsigned: the receipt as `POST /v1/txs` answers it.
    let receipt = json_ok(&node, &["dev", "impersonate", &rich_arg, "transfer", &stranger_arg, "1000000"]);
    assert_eq!(receipt["status"], "success", "{receipt}");
    let hash = receipt["tx_hash"].as_str().unwrap();
    let found = node.get(&format!("/v1/txs/{hash}")).ok();
    assert_eq!(found["receipt"], receipt);
    assert_eq!(parse::<Address>(&found["tx"]["tx"]["from"]), rich);
    assert_eq!(native(&node, &stranger), 1_000_000);

    // A contract call with a JSON message, printed as `tidepool call` prints it.
    let to_stranger = json!({"transfer": {"to": stranger, "amount": "9"}}).to_string();
    let said = node.cli_ok(&["dev", "impersonate", &rich_arg, "execute", &usdc_arg, &to_stranger]);
    assert!(said.contains("status    success") && said.contains("event     "), "{said}");
    assert_eq!(node.token_balance(&usdc, &stranger), 9);

    // The keyless account spends it, with the nonce given.
    let bob_before = node.token_balance(&usdc, &bob);
    let to_bob = json!({"transfer": {"to": bob, "amount": "4"}}).to_string();
    let receipt = json_ok(&node, &["dev", "impersonate", &stranger_arg, "execute", &usdc_arg, &to_bob, "--nonce", "0"]);
    assert_eq!(receipt["status"], "success", "{receipt}");
    assert_eq!(node.token_balance(&usdc, &bob), bob_before + 4);
    assert_eq!(node.nonce(&stranger), 1);

    // Mined but failed: printed, and the command fails as `call` does.
    let too_much = json!({"transfer": {"to": bob, "amount": "100"}}).to_string();
    let failed = node.cli(&["dev", "impersonate", &stranger_arg, "execute", &usdc_arg, &too_much]);
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    assert!(String::from_utf8_lossy(&failed.stdout).contains("reverted"), "{failed:?}");
    assert!(String::from_utf8_lossy(&failed.stderr).contains("mined but failed"), "{failed:?}");
    // Refused by the node (a used nonce) or by the CLI (a message that is not JSON).
    let height = node.height();
    assert!(
        cli_refused(&node, &["dev", "impersonate", &stranger_arg, "execute", &usdc_arg, &to_bob, "--nonce", "0"])
            .contains("nonce")
    );
    assert!(cli_refused(&node, &["dev", "impersonate", &stranger_arg, "execute", &usdc_arg, "{"]).contains("JSON"));
    assert_eq!(node.height(), height);
}

/// `POST /dev/dump_state`'s body, byte for byte as the node sends it.
fn dump_bytes(node: &TestNode) -> Vec<u8> {
    let mut response = ureq::post(format!("{}/dev/dump_state", node.url())).send_empty().expect("POST /dev/dump_state");
    assert_eq!(response.status(), 200);
    response.body_mut().with_config().limit(u64::MAX).read_to_vec().expect("the dump")
}

#[test]
fn a_state_over_ten_mib_is_dumped_byte_for_byte_and_loaded_back() {
    let node = TestNode::dev();
    // Three 3 MiB storage values (each a 6 MiB hex request, under the 8 MiB limit): the dump is
    // about 20 MB, past the 10 MiB a JSON answer used to be read up to.
    let usdc = market_info().tokens[0].address;
    for i in 0..3u8 {
        let value = format!("0x{}", hex::encode(vec![i; 3 * 1024 * 1024]));
        let key = format!("0x{}", hex::encode(format!("big{i}")));
        node.post("/dev/set_storage", &json!({"contract": usdc, "key": key, "value": value})).ok();
    }
    let raw = dump_bytes(&node);
    assert!(raw.len() > 18 * 1024 * 1024, "{} bytes", raw.len());

    // `--out` and standard output hold exactly the node's bytes (the same state, the same bytes).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let said = node.cli_ok(&["dev", "dump-state", "--out", path.to_str().unwrap()]);
    let file: Value = serde_json::from_slice(&raw).unwrap();
    assert!(said.contains(file["state_root"].as_str().unwrap()), "{said}");
    assert!(std::fs::read(&path).unwrap() == raw, "the file is not the node's bytes");
    let printed = node.cli(&["dev", "dump-state"]);
    assert!(printed.status.success(), "{printed:?}");
    assert!(printed.stdout == raw, "standard output is not the node's bytes");
    assert!(raw.starts_with(br#"{"format":"tidepool-state","#));

    // Loaded by the CLI into another node: the file's root, and the same bytes dumped again.
    let other = TestNode::dev();
    other.cli_ok(&["dev", "load-state", path.to_str().unwrap()]);
    assert_eq!(other.latest_block()["state_root"], file["state_root"]);
    assert!(dump_bytes(&other) == raw, "the loaded node dumps other bytes");
}

#[test]
fn load_state_sends_the_file_as_it_is_and_says_why_a_node_refuses_it() {
    let node = TestNode::dev();
    let dir = tempfile::tempdir().unwrap();
    let raw = dump_bytes(&node);

    // A parse error's position is in the user's file: line 3 of a file whose first line is blank.
    let text =
        String::from_utf8(raw.clone()).unwrap().replacen(r#"{"format""#, "{\n\n  \"bogus\": 1,\n  \"format\"", 1);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, &text).unwrap();
    let expected =
        node.post_bytes("/dev/load_state", Some("application/json"), text.as_bytes()).error(400, "malformed_json");
    assert!(expected.contains("at line 3 column"), "{expected}");
    let said = cli_refused(&node, &["dev", "load-state", bad.to_str().unwrap()]);
    assert!(said.contains(&expected), "{said}\nexpected: {expected}");

    // A file over the node's 256 MiB (sparse: nothing is written) is refused before it is sent.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge).unwrap().set_len(256 * 1024 * 1024 + 1).unwrap();
    let said = cli_refused(&node, &["dev", "load-state", huge.to_str().unwrap()]);
    assert!(said.contains("256 MiB") && said.contains("--load-state") && !said.contains("Broken pipe"), "{said}");

    // A node without --dev refuses it with its message, though it never reads the 1 MB file.
    let good = dir.path().join("state.json");
    std::fs::write(&good, &raw).unwrap();
    assert!(raw.len() > 1_000_000, "{} bytes", raw.len());
    let plain = TestNode::start(NodeOptions::PLAIN);
    let expected = plain.post("/dev/load_state", &json!({})).error(403, "dev_mode_only");
    let said = cli_refused(&plain, &["dev", "load-state", good.to_str().unwrap()]);
    assert!(said.contains(&expected) && !said.contains("Broken pipe"), "{said}");
}
