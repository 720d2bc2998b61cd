//! The anvil-grade dev controls with the real binary and its flags: two runs of one script against
//! `--clock manual` nodes end with the same roots; a state file written by `tidepool dev
//! dump-state` starts another node (`--load-state`) at the same root; `--mining manual` holds
//! transactions until `tidepool dev mine`, and interval mining switched on by the CLI mines on its
//! own; flags that do not go together are refused before anything starts; a body sent late to a
//! control that takes none does not cut its long answer short.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::Action;
use tidepool_node::genesis::market_info;

use crate::harness::{NodeOptions, TestNode, binary, dev};

const GENESIS_TIME: u64 = 1_750_000_000;

/// A dev node with the market whose clock is manual, from `genesis_time`.
fn manual_clock_node(genesis_time: u64) -> TestNode {
    TestNode::start_with(NodeOptions::DEV, &["--clock", "manual", "--genesis-time", &genesis_time.to_string()])
}

/// One script of transactions and controls, over HTTP and through the CLI: the head after each
/// step.
fn script(node: &TestNode) -> Vec<Value> {
    let usdc = market_info().tokens[0].address.to_string();
    let mut heads = vec![node.latest_block()];
    node.execute(&dev(1), &market_info().tokens[0].address, json!({"transfer": {"to": dev(2).address, "amount": "7"}}));
    heads.push(node.latest_block());
    node.cli_ok(&["dev", "warp", "3600", "--refresh-prices"]);
    heads.push(node.latest_block());
    node.post("/dev/set_next_block_time", &json!({"time": GENESIS_TIME + 100_000})).ok();
    node.cli_ok(&["dev", "mining", "manual"]);
    let pending = node.submit(&node.sign(&dev(3), Action::Transfer { to: dev(4).address, amount: 5 })).ok();
    assert!(pending.get("status").is_none(), "held: {pending}");
    let transfer = json!({"transfer": {"to": dev(3).address, "amount": "9"}}).to_string();
    node.cli_ok(&["call", &usdc, &transfer, "--dev-account", "5"]);
    node.cli_ok(&["dev", "mine"]);
    heads.push(node.latest_block());
    node.cli_ok(&["dev", "mining", "auto"]);
    node.send(&dev(6), Action::Transfer { to: dev(7).address, amount: 1 });
    heads.push(node.latest_block());
    heads
}

#[test]
fn two_runs_of_one_script_against_manual_clocks_end_with_equal_roots() {
    let (first, second) = (manual_clock_node(GENESIS_TIME), manual_clock_node(GENESIS_TIME));
    let (a, b) = (script(&first), script(&second));
    assert_eq!(a, b, "the same heads, hashes and state roots, block for block");
    assert_eq!(a[0]["time"], GENESIS_TIME);
    assert_eq!(a[2]["time"], GENESIS_TIME + 3600);
    let mined = &a[3];
    assert_eq!((&mined["time"], mined["tx_hashes"].as_array().unwrap().len()), (&json!(GENESIS_TIME + 100_000), 2));
    // The clock is part of the state (the oracle stamps prices with it): another genesis time,
    // other roots.
    let other = manual_clock_node(GENESIS_TIME + 1);
    assert_ne!(other.latest_block()["state_root"], a[0]["state_root"]);
}

#[test]
fn a_dumped_state_starts_another_node_at_the_same_root() {
    let node = TestNode::dev();
    let usdc = market_info().tokens[0].address;
    node.execute(&dev(1), &usdc, json!({"transfer": {"to": dev(2).address, "amount": "11"}}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let path = path.to_str().unwrap();
    let said = node.cli_ok(&["dev", "dump-state", "--out", path]);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(said.contains(file["state_root"].as_str().unwrap()), "{said}");

    let mut loaded = TestNode::start_with(NodeOptions::DEV, &["--load-state", path]);
    let head = loaded.latest_block();
    assert_eq!(
        (&head["state_root"], &head["height"], &head["time"]),
        (&file["state_root"], &file["height"], &file["time"])
    );
    for who in [dev(0).address, dev(1).address, dev(2).address] {
        let [a, b] = [&loaded, &node].map(|n| n.get(&format!("/v1/accounts/{who}/balances")).ok());
        assert_eq!((&a["native"], &a["tokens"]), (&b["native"], &b["tokens"]), "{who}");
    }
    let again: Value = serde_json::from_str(&loaded.cli_ok(&["dev", "dump-state"])).unwrap();
    assert_eq!(again, file, "the loaded node dumps the same file");

    // Restarted with the same file, the chain goes on; a reset returns to the loaded state.
    let warped = loaded.post("/dev/warp", &json!({"seconds": 60})).ok();
    loaded.restart();
    assert_eq!(loaded.latest_block(), warped);
    loaded.cli_ok(&["dev", "reset"]);
    assert_eq!(loaded.latest_block(), head);

    // Loaded in place into a running node by the CLI: the same first block.
    let other = TestNode::dev();
    other.cli_ok(&["dev", "load-state", path]);
    assert_eq!(other.latest_block(), head);
    // A file of another chain is refused, and nothing changes.
    let mut foreign = file.clone();
    foreign["chain_id"] = json!(1);
    other.post("/dev/load_state", &foreign).error(422, "wrong_chain_id");
    assert_eq!(other.latest_block(), head);
}

#[test]
fn manual_mining_by_flag_holds_transactions_until_mined_and_interval_mining_mines_alone() {
    let node = TestNode::start_with(NodeOptions::DEV, &["--mining", "manual"]);
    let to = Address([0xee; 20]);
    let held = node.submit(&node.sign(&dev(1), Action::Transfer { to, amount: 3 })).ok();
    let hash = held["tx_hash"].as_str().unwrap().to_owned();
    assert_eq!(held, json!({"tx_hash": hash}));
    let shown = node.cli_ok(&["dev", "mining"]);
    assert!(shown.contains("manual") && shown.contains(&hash), "{shown}");
    node.get(&format!("/v1/txs/{hash}")).error(404, "not_found");
    std::thread::sleep(Duration::from_millis(300));
    node.get(&format!("/v1/txs/{hash}")).error(404, "not_found");
    let mined = node.cli_ok(&["dev", "mine"]);
    assert!(mined.contains(&hash), "{mined}");
    node.get(&format!("/v1/txs/{hash}")).ok();

    // Interval mining, switched on by the CLI: the node mines by itself.
    node.cli_ok(&["dev", "mining", "interval", "--interval-ms", "100"]);
    let later = node.submit(&node.sign(&dev(2), Action::Transfer { to, amount: 4 })).ok();
    let later = later["tx_hash"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    while node.get(&format!("/v1/txs/{later}")).status != 200 {
        assert!(Instant::now() < deadline, "interval mining never mined {later}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A control the node refuses fails the command and says why.
    let refused = node.cli(&["dev", "set-next-block-time", "5"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("before the latest block"), "{refused:?}");
}

/// Starts `tidepool node` with `args` and expects it to exit with an error at once; returns what
/// it printed.
#[track_caller]
fn refused_to_start(args: &[&str]) -> String {
    let mut child = Command::new(binary())
        .arg("node")
        .args(["--memory", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success(), "tidepool node {args:?} started");
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return stderr;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tidepool node {args:?} is still running: it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn flags_that_do_not_go_together_are_refused() {
    assert!(refused_to_start(&["--dev", "--genesis-time", "5"]).contains("--clock manual"));
    assert!(refused_to_start(&["--clock", "manual"]).contains("--dev"));
    assert!(refused_to_start(&["--mining", "manual"]).contains("--dev"));
    assert!(refused_to_start(&["--dev", "--mining", "interval"]).contains("--block-time-ms"));
    assert!(refused_to_start(&["--dev", "--load-state", "/nonexistent/state.json"]).contains("reading"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let file = json!({"format": "tidepool-state", "version": 1, "chain_id": 31337, "height": 0, "time": 0,
                      "accounts": [], "code": [], "contracts": []});
    std::fs::write(&path, file.to_string()).unwrap();
    let path = path.to_str().unwrap();
    assert!(refused_to_start(&["--dev", "--load-state", path, "--chain-id", "5"]).contains("chain 31337"));
    assert!(refused_to_start(&["--dev", "--load-state", path, "--market"]).contains("--market"));
}

/// A client that sends a body to a control that takes none, after the headers and late (as a
/// client writing headers and body separately may): the node still answers whole — a state file
/// of over a megabyte — instead of resetting the connection once the body arrives.
#[test]
fn a_late_body_on_a_bodiless_control_does_not_cut_the_answer() {
    let node = TestNode::dev();
    let address = node.url().trim_start_matches("http://").to_owned();
    let mut socket = TcpStream::connect(&address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /dev/dump_state HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    socket.write_all(b"{}").unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("the whole answer, then the end of the connection");
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    let head = String::from_utf8_lossy(&answer[..split]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .expect("a content length")
        .trim()
        .parse()
        .unwrap();
    assert!(length > 1_000_000, "a state file with the market's code: {length} bytes");
    assert_eq!(answer.len() - split, length, "the body arrived whole");
    let file: Value = serde_json::from_slice(&answer[split..]).unwrap();
    assert_eq!(file["state_root"], node.latest_block()["state_root"]);
}
