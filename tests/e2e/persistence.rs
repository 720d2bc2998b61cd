//! The data directory is the node: stop it (gracefully or not), start it again, and everything
//! is still there; a transaction accepted in interval mode just before SIGTERM is in a block.

use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::Action;
use tidepool_node::genesis::market_info;

use crate::deploy::deploy_token;
use crate::harness::{NodeOptions, TestNode, dev};

/// Everything a client can see of the chain and of the accounts and contracts the test touched.
fn observe(node: &TestNode, accounts: &[Address], contracts: &[Address], txs: &[Value]) -> Vec<Value> {
    let head = node.latest_block();
    let mut seen = vec![head.clone()];
    for height in 0..=head["height"].as_u64().unwrap() {
        seen.push(node.get(&format!("/v1/blocks/{height}")).ok());
    }
    for account in accounts {
        seen.push(node.account(account));
        seen.push(node.get(&format!("/v1/accounts/{account}/balances")).ok());
    }
    for contract in contracts {
        let info = node.get(&format!("/v1/contracts/{contract}")).ok();
        seen.push(node.get(&format!("/v1/code/{}", info["code_hash"].as_str().unwrap())).ok());
        seen.push(info);
        seen.push(node.get(&format!("/v1/contracts/{contract}/state?limit=1000")).ok());
    }
    for tx in txs {
        seen.push(node.get(&format!("/v1/txs/{}", tx["tx_hash"].as_str().unwrap())).ok());
    }
    seen.push(node.get("/v1/events?limit=1000").ok());
    seen
}

#[test]
fn a_restarted_node_has_everything_and_goes_on() {
    let mut node = TestNode::dev();
    let (owner, friend) = (dev(0), dev(1));
    let market = market_info();
    let (_, token, created) = deploy_token(&node, "KEEP");
    let mut txs = vec![created];
    txs.push(node.execute(&owner, &token, json!({"transfer": {"to": friend.address, "amount": "42"}})));
    txs.push(node.send(&owner, Action::Transfer { to: friend.address, amount: 1_000 }));
    txs.push(node.execute(
        &friend,
        &market.tokens[0].address,
        json!({"transfer": {"to": owner.address, "amount": "5"}}),
    ));
    node.post("/dev/faucet", &json!({"address": friend.address, "amount": "77"})).ok();
    let accounts = [owner.address, friend.address, market.pool];
    let contracts = [token, market.pool, market.oracle, market.tokens[0].address];
    let seen = observe(&node, &accounts, &contracts, &txs);
    let head = node.latest_block();
    assert_eq!(head["height"], 6, "six blocks: upload, instantiate, three transactions, faucet");

    // A graceful stop, then a crash: both come back to the same state.
    node.restart();
    assert_eq!(observe(&node, &accounts, &contracts, &txs), seen, "after SIGTERM and restart");
    node.crash();
    node.start_again(NodeOptions::DEV);
    assert_eq!(observe(&node, &accounts, &contracts, &txs), seen, "after SIGKILL and restart");
    assert_eq!(node.token_balance(&token, &friend.address), 42);

    // It goes on from where it was: next nonce, next height, the contract still runs.
    let receipt = node.execute(&friend, &token, json!({"transfer": {"to": owner.address, "amount": "2"}}));
    assert_eq!(receipt["height"], head["height"].as_u64().unwrap() + 1);
    assert_eq!(node.get(&format!("/v1/blocks/{}", receipt["height"])).ok()["parent_hash"], head["hash"]);
    assert_eq!(node.token_balance(&token, &friend.address), 40);
}

#[test]
fn sigterm_in_interval_mode_commits_the_pending_block() {
    // A block time far longer than the test: only the shutdown can mine the transaction.
    let mut node = TestNode::start(NodeOptions { dev: true, block_time_ms: Some(600_000) });
    let (sender, receiver) = (dev(0), dev(1));
    let height = node.height();
    let before = node.account(&receiver.address)["balance"].as_str().unwrap().parse::<u128>().unwrap();

    let submitted = node.submit(&node.sign(&sender, Action::Transfer { to: receiver.address, amount: 31_337 })).ok();
    let tx_hash = submitted["tx_hash"].as_str().expect("interval mode answers with the hash").to_string();
    assert!(submitted.get("status").is_none(), "not mined yet: {submitted}");
    node.get(&format!("/v1/txs/{tx_hash}")).error(404, "not_found");
    assert_eq!(node.height(), height);

    let status = node.terminate();
    assert!(status.success(), "exit status {status}");
    node.start_again(NodeOptions::DEV);
    let found = node.get(&format!("/v1/txs/{tx_hash}")).ok();
    assert_eq!(found["receipt"]["status"], "success", "{found}");
    assert_eq!(found["receipt"]["height"], height + 1);
    let block = node.get(&format!("/v1/blocks/{}", height + 1)).ok();
    assert_eq!(block["tx_hashes"], json!([tx_hash]));
    assert_eq!(node.nonce(&sender.address), 1);
    let after = node.account(&receiver.address)["balance"].as_str().unwrap().parse::<u128>().unwrap();
    assert_eq!(after, before + 31_337);
}

#[test]
fn interval_mode_mines_on_its_own() {
    let node = TestNode::start(NodeOptions { dev: true, block_time_ms: Some(200) });
    let (sender, receiver) = (dev(0), dev(1));
    let submitted = node.submit(&node.sign(&sender, Action::Transfer { to: receiver.address, amount: 1 })).ok();
    let tx_hash = submitted["tx_hash"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let found = loop {
        let reply = node.get(&format!("/v1/txs/{tx_hash}"));
        if reply.status == 200 {
            break reply.body;
        }
        reply.error(404, "not_found");
        assert!(std::time::Instant::now() < deadline, "not mined within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(found["receipt"]["status"], "success");
}

/// A restart after a state file was loaded in place (`POST /dev/load_state`) prints the chain in
/// the data directory, not the dev genesis the flags would build: the dev accounts' balances are
/// the file's, and a manual clock reads the chain's time, not `--genesis-time`'s default.
#[test]
fn a_restart_after_a_state_load_in_place_prints_the_chain_it_finds() {
    let mut node = TestNode::start_with(NodeOptions::DEV, &["--clock", "manual"]);
    let banner = node.printed();
    assert!(banner.contains("Dev accounts (each funded at genesis"), "{banner}");
    assert!(banner.contains("clock: manual, next block at 1700000000"), "{banner}");

    // The market's state without any account (dev account 0 holds nothing), later in time.
    let mut file = node.post("/dev/dump_state", &json!({})).ok();
    file["accounts"] = json!([]);
    file["time"] = json!(1_800_000_000_u64);
    file["state_root"] = Value::Null;
    node.post("/dev/load_state", &file).ok();
    node.post("/dev/warp", &json!({"seconds": 5000})).ok();
    node.restart();

    let banner = node.printed();
    let balance = node.get(&format!("/v1/accounts/{}", dev(0).address)).ok();
    assert_eq!(balance["balance"], "0", "{balance}");
    assert!(!banner.contains("each funded at genesis"), "{banner}");
    assert!(banner.contains("this chain did not begin from the dev genesis"), "{banner}");
    assert!(banner.contains("clock: manual, next block at 1800005000"), "{banner}");
    assert!(!banner.contains("1700000000"), "{banner}");
}

/// `tidepool node` with `args` (a data directory, a port), expected to fail: its standard error.
fn failed_start(args: &[&str]) -> String {
    let output = std::process::Command::new(crate::harness::binary())
        .args(["node", "--dev"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running tidepool node");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "the node started: {}\n{stderr}", String::from_utf8_lossy(&output.stdout));
    stderr
}

/// A start that fails says why and leaves nothing behind: a data directory that is a file is
/// named as one; a port already taken stops the node before it creates its data directory; a
/// state file it cannot load leaves no half-made directory.
#[test]
fn a_start_that_fails_says_why_and_leaves_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "").unwrap();
    let refused = failed_start(&["--data-dir", file.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert!(refused.contains("is a file, not a directory"), "{refused}");
    let under = file.join("data");
    let refused = failed_start(&["--data-dir", under.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert!(refused.contains("afile is a file, not a directory"), "{refused}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let data = dir.path().join("new").join("data");
    let refused = failed_start(&["--data-dir", data.to_str().unwrap(), "--listen", &port]);
    assert!(refused.contains(&format!("listening on {port}")), "{refused}");
    assert!(!dir.path().join("new").exists(), "a node that cannot listen created its data directory");
    drop(taken);

    let state = dir.path().join("state.json");
    let mut source = TestNode::dev();
    let mut dumped = source.post("/dev/dump_state", &json!({})).ok();
    source.terminate();
    dumped["state_root"] = json!(format!("0x{}", "11".repeat(32)));
    std::fs::write(&state, dumped.to_string()).unwrap();
    let refused = failed_start(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--load-state",
        state.to_str().unwrap(),
    ]);
    assert!(refused.contains("state root"), "{refused}");
    assert!(!dir.path().join("new").exists(), "a start that could not load its state file left its data directory");
}
