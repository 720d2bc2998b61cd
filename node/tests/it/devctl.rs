//! The anvil-grade dev controls on the node itself: mining modes switched at runtime, the next
//! block's exact time, reset, code replacement, state files, warps that refresh prices. Each
//! success, and each refusal changing nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash};
use tidepool_node::error::Rejection;
use tidepool_node::genesis::market_info;
use tidepool_node::keys::{DevAccount, dev_accounts};
use tidepool_node::{
    Action, Clock, MAX_BLOCK_TIME, Mining, Node, NodeConfig, NodeError, StateFile, Submitted, Transaction,
};

/// Enough to upload a sample contract.
const GAS: u64 = 500_000_000;
const GENESIS_TIME: u64 = 1_700_000_000;

fn market_node() -> Node {
    Node::open(config(true)).expect("node opens")
}

fn config(market: bool) -> NodeConfig {
    let market = market.then(|| {
        tidepool_node::MarketCode::new(
            tidepool_artifacts::TOKEN,
            tidepool_artifacts::ORACLE,
            tidepool_artifacts::LENDING_POOL,
        )
    });
    NodeConfig {
        market,
        clock: Clock::Manual { genesis_time: GENESIS_TIME },
        module_cache_dir: NodeConfig::target_module_cache(),
        ..NodeConfig::dev()
    }
}

fn key(i: usize) -> DevAccount {
    dev_accounts(10).swap_remove(i)
}

fn signed(node: &Node, from: &DevAccount, nonce: u64, action: Action) -> tidepool_node::SignedTransaction {
    Transaction { chain_id: node.config().chain_id, nonce, from: from.address, gas_limit: GAS, action }
        .sign(&from.key)
        .unwrap()
}

fn transfer(node: &Node, from: &DevAccount, nonce: u64, to: Address, amount: u128) -> Hash {
    match node.submit(&signed(node, from, nonce, Action::Transfer { to, amount })).unwrap() {
        Submitted::Pending { tx_hash } => tx_hash,
        Submitted::Mined(receipt) => receipt.tx_hash,
    }
}

/// The head and one account: what a refused control must leave alone.
fn fingerprint(node: &Node, who: &Address) -> (tidepool_ledger::BlockHeader, u64, u128, Vec<Hash>) {
    let account = node.account(who).unwrap();
    (node.latest_block().unwrap(), account.nonce, account.balance, node.pending_transactions())
}

fn rejected(result: Result<impl std::fmt::Debug, NodeError>) -> Rejection {
    match result {
        Err(NodeError::Rejected(rejection)) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn query(node: &Node, contract: &Address, msg: Value) -> Result<Value, String> {
    let outcome = node.query(contract, msg.to_string().as_bytes()).map_err(|e| e.to_string())?;
    if outcome.status.is_success() {
        Ok(serde_json::from_slice(&outcome.return_data).unwrap())
    } else {
        Err(outcome.status.to_string())
    }
}

#[test]
fn manual_mining_holds_transactions_until_mined() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb0; 20]));
    let status = node.set_mining(Mining::Manual).unwrap();
    assert_eq!((status.mode, status.pending.len()), (Mining::Manual, 0));
    let head = node.latest_block().unwrap();

    // Two transfers from one sender: the second's nonce follows the first in the pending block.
    let first = transfer(&node, &alice, 0, bob, 5);
    let second = transfer(&node, &alice, 1, bob, 6);
    assert_eq!(node.latest_block().unwrap(), head, "nothing is mined");
    assert_eq!(node.mining_status().unwrap().pending, vec![first, second]);
    assert_eq!(node.account(&bob).unwrap().balance, 0);
    assert!(matches!(rejected(node.transaction(&first)), Rejection::PendingTransaction(h) if h == first));
    // A wrong nonce is still refused at once, against the pending state.
    let refused = node.submit(&signed(&node, &alice, 1, Action::Transfer { to: bob, amount: 1 }));
    assert!(matches!(rejected(refused), Rejection::BadNonce { expected: 2, got: 1 }));

    let mined = node.mine(1).unwrap();
    assert_eq!((mined.height, mined.tx_hashes.clone()), (head.height + 1, vec![first, second]));
    assert_eq!(node.account(&bob).unwrap().balance, 11);
    assert!(node.transaction(&first).unwrap().is_some());
    assert!(node.pending_transactions().is_empty());

    // Back to automine: what is pending is mined by the switch, then receipts come back at once.
    transfer(&node, &alice, 2, bob, 1);
    let status = node.set_mining(Mining::Auto).unwrap();
    assert!(status.pending.is_empty());
    assert_eq!(node.latest_block().unwrap().height, mined.height + 1);
    let receipt = node.submit(&signed(&node, &alice, 3, Action::Transfer { to: bob, amount: 1 })).unwrap();
    assert!(matches!(receipt, Submitted::Mined(_)), "{receipt:?}");
}

#[test]
fn a_simulation_runs_after_the_pending_transactions_and_leaves_them_as_they_were() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb3; 20]));
    node.set_mining(Mining::Manual).unwrap();
    let head = node.latest_block().unwrap();
    let balance = node.account(&alice.address).unwrap().balance;
    let first = transfer(&node, &alice, 0, bob, 5);
    let unsigned = |nonce, amount| Transaction {
        chain_id: node.config().chain_id,
        nonce,
        from: alice.address,
        gas_limit: GAS,
        action: Action::Transfer { to: bob, amount },
    };

    // The next nonce is the one after the pending transfer, as for a submission.
    let receipt = node.simulate(&unsigned(1, 7)).unwrap();
    assert!(receipt.is_success(), "{receipt:?}");
    assert_eq!((receipt.height, receipt.index), (head.height + 1, 1), "the end of the pending block");
    assert!(matches!(rejected(node.simulate(&unsigned(0, 7))), Rejection::BadNonce { expected: 1, got: 0 }));
    // More than the pending transfer leaves is refused; what it leaves is not.
    let left = balance - 5;
    assert!(matches!(rejected(node.simulate(&unsigned(1, left + 1))), Rejection::InsufficientFunds { .. }));
    assert!(node.simulate(&unsigned(1, left)).unwrap().is_success());

    // Nothing of the simulations stays: the pending block mines as it was.
    assert_eq!(node.pending_transactions(), vec![first]);
    let second = transfer(&node, &alice, 1, bob, 6);
    let mined = node.mine(1).unwrap();
    assert_eq!(mined.tx_hashes, vec![first, second]);
    assert_eq!(node.account(&bob).unwrap().balance, 11);
    assert_eq!(node.account(&alice.address).unwrap().nonce, 2);

    // With nothing pending, it runs on the latest state, in the next block.
    let receipt = node.simulate(&unsigned(2, 1)).unwrap();
    assert_eq!((receipt.height, receipt.index), (mined.height + 1, 0));
}

#[test]
fn a_dev_control_goes_before_the_pending_transactions_which_stay_pending() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb1; 20]));
    node.set_mining(Mining::Manual).unwrap();
    let hash = transfer(&node, &alice, 0, bob, 5);
    let faucet = node.faucet(&bob, 100).unwrap();
    assert!(faucet.tx_hashes.is_empty(), "the faucet's block holds only the faucet");
    assert_eq!(node.account(&bob).unwrap().balance, 100);
    assert_eq!(node.pending_transactions(), vec![hash], "the transfer still waits");
    let mined = node.mine(1).unwrap();
    assert_eq!((mined.height, mined.tx_hashes), (faucet.height + 1, vec![hash]));
    assert_eq!(node.account(&bob).unwrap().balance, 105);

    // One the new state refuses is dropped: alice's funds are gone before her transfer runs.
    let dropped = transfer(&node, &alice, 1, bob, 5);
    node.set_balance(&alice.address, 0).unwrap();
    assert!(node.pending_transactions().is_empty());
    assert_eq!(node.transaction(&dropped).unwrap(), None);
}

#[test]
fn a_revert_restores_the_pending_transactions_of_its_snapshot() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb2; 20]));
    node.set_mining(Mining::Manual).unwrap();
    let hash = transfer(&node, &alice, 0, bob, 5);
    let id = node.snapshot().unwrap();
    assert_eq!(node.pending_transactions(), vec![hash], "a snapshot mines nothing");
    node.mine(3).unwrap();
    transfer(&node, &alice, 1, bob, 5);
    node.revert(id).unwrap();
    assert_eq!(node.pending_transactions(), vec![hash]);
    assert_eq!(node.mine(1).unwrap().tx_hashes, vec![hash]);
}

#[test]
fn watchers_hear_of_each_switch_until_dropped() {
    let node = market_node();
    let heard = Arc::new(AtomicUsize::new(0));
    let watch = node.watch_mining({
        let heard = heard.clone();
        move || {
            heard.fetch_add(1, Ordering::SeqCst);
        }
    });
    node.set_mining(Mining::Interval(std::time::Duration::from_millis(50))).unwrap();
    node.set_mining(Mining::Manual).unwrap();
    drop(watch);
    node.set_mining(Mining::Auto).unwrap();
    assert_eq!(heard.load(Ordering::SeqCst), 2);
    let plain = Node::open(NodeConfig { dev: false, ..config(false) }).unwrap();
    assert!(matches!(rejected(plain.set_mining(Mining::Manual)), Rejection::DevModeOnly));
    assert_eq!(plain.mining(), Mining::Auto);
}

/// The clock stops at the last block time. With the wall clock, a block pinned at (or warped
/// to) the last time leaves the clock's reading there, and the wall clock runs on past it: the
/// blocks after keep the last time. (The pipelined commit once took the out-of-range time as a
/// failed commit and answered every transaction with a 500; found by the conformance check.)
#[test]
fn the_wall_clock_stops_at_the_last_block_time() {
    let node = Node::open(NodeConfig { clock: Clock::System, ..config(false) }).unwrap();
    let (alice, bob) = (key(1), Address([0xb3; 20]));
    node.set_next_block_time(MAX_BLOCK_TIME).unwrap();
    transfer(&node, &alice, 0, bob, 1);
    assert_eq!(node.latest_block().unwrap().time, MAX_BLOCK_TIME);
    // A second on, the wall clock's reading is past the last time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    transfer(&node, &alice, 1, bob, 1);
    let latest = node.latest_block().unwrap();
    assert_eq!((latest.time, node.account(&alice.address).unwrap().nonce), (MAX_BLOCK_TIME, 2));
    assert_eq!(node.mine(2).unwrap().time, MAX_BLOCK_TIME);
    // Moving the clock further is still refused, and changes nothing.
    let before = fingerprint(&node, &alice.address);
    assert!(matches!(rejected(node.warp(1)), Rejection::BlockTimeOutOfRange { .. }));
    assert_eq!(fingerprint(&node, &alice.address), before);
}

#[test]
fn the_next_block_gets_exactly_the_time_set() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb3; 20]));
    let head = node.latest_block().unwrap();
    let next = node.set_next_block_time(head.time + 1000).unwrap();
    assert_eq!((next.height, next.time), (head.height + 1, head.time + 1000));
    transfer(&node, &alice, 0, bob, 1);
    assert_eq!(node.latest_block().unwrap().time, head.time + 1000);
    // The manual clock stays there.
    transfer(&node, &alice, 1, bob, 1);
    assert_eq!(node.latest_block().unwrap().time, head.time + 1000);
    // Equal to the latest block's time is allowed; before it, or past the last time, is not.
    node.set_next_block_time(head.time + 1000).unwrap();
    let before = fingerprint(&node, &alice.address);
    assert!(matches!(
        rejected(node.set_next_block_time(head.time + 999)),
        Rejection::BlockTimeBeforeLatest { latest, .. } if latest == head.time + 1000
    ));
    assert!(matches!(rejected(node.set_next_block_time(MAX_BLOCK_TIME + 1)), Rejection::BlockTimeOutOfRange { .. }));
    assert_eq!(fingerprint(&node, &alice.address), before);

    // A pending block takes the time set after its transactions arrived: they run again at it.
    node.set_mining(Mining::Manual).unwrap();
    transfer(&node, &alice, 2, bob, 1);
    node.set_next_block_time(head.time + 5000).unwrap();
    let mined = node.mine(1).unwrap();
    assert_eq!((mined.time, mined.tx_hashes.len()), (head.time + 5000, 1));
    let (_, receipt) = node.transaction(&mined.tx_hashes[0]).unwrap().unwrap();
    assert_eq!(receipt.height, mined.height);
}

#[test]
fn a_script_against_a_manual_clock_gives_the_same_roots_every_run() {
    let run = || {
        let node = market_node();
        let usdc = market_info().tokens[0].address;
        let (alice, bob) = (key(1), key(2));
        let mut roots = vec![node.latest_block().unwrap().state_root];
        for i in 0..3u64 {
            let msg = json!({"transfer": {"to": bob.address, "amount": (i + 1).to_string()}});
            node.submit(&signed(&node, &alice, i, Action::Execute { contract: usdc, msg, funds: 0 })).unwrap();
            node.warp(3600).unwrap();
            node.set_next_block_time(GENESIS_TIME + 100_000 * (i + 1)).unwrap();
            node.mine(2).unwrap();
            roots.push(node.latest_block().unwrap().state_root);
        }
        roots
    };
    assert_eq!(run(), run());
}

#[test]
fn reset_returns_to_the_genesis_in_place() {
    let node = market_node();
    let (alice, bob) = (key(1), Address([0xb4; 20]));
    let genesis = node.latest_block().unwrap();
    transfer(&node, &alice, 0, bob, 5);
    node.warp(86_400).unwrap();
    let snapshot = node.snapshot().unwrap();
    node.set_mining(Mining::Manual).unwrap();
    let pending = transfer(&node, &alice, 1, bob, 5);

    assert_eq!(node.reset().unwrap(), genesis);
    assert_eq!(node.latest_block().unwrap(), genesis);
    assert_eq!(node.account(&bob).unwrap().balance, 0);
    assert!(node.pending_transactions().is_empty(), "pending transactions are dropped");
    assert_eq!(node.transaction(&pending).unwrap(), None);
    assert!(matches!(rejected(node.revert(snapshot)), Rejection::SnapshotUsedUp { .. }), "snapshots are used up");
    assert_eq!(node.mining(), Mining::Manual, "the mining mode stays");
    // The clock is back too: the same transaction gives the same block as the first time.
    node.set_mining(Mining::Auto).unwrap();
    let again = transfer(&node, &alice, 0, bob, 5);
    assert_eq!(node.latest_block().unwrap().time, genesis.time);
    assert_eq!(node.transaction(&again).unwrap().unwrap().1.height, 1);
}

#[test]
fn set_code_makes_the_contract_run_the_new_code() {
    let node = market_node();
    let usdc = market_info().tokens[0].address;
    let (alice, bob) = (key(1), Address([0xb5; 20]));
    let upload =
        node.submit(&signed(&node, &alice, 0, Action::UploadCode { wasm: tidepool_artifacts::FEE_TOKEN.to_vec() }));
    let fee_token = match upload.unwrap() {
        Submitted::Mined(receipt) => receipt.code_hash.expect("a code hash"),
        other => panic!("{other:?}"),
    };
    let before = node.contract(&usdc).unwrap().unwrap();

    // Refusals change nothing: an unknown contract, code never uploaded, no dev mode.
    let head = fingerprint(&node, &alice.address);
    assert!(matches!(rejected(node.set_code(&Address([7; 20]), &fee_token)), Rejection::UnknownContract(_)));
    assert!(matches!(rejected(node.set_code(&usdc, &Hash([7; 32]))), Rejection::UnknownCode(_)));
    assert_eq!(fingerprint(&node, &alice.address), head);
    assert_eq!(node.contract(&usdc).unwrap().unwrap(), before);

    node.set_code(&usdc, &fee_token).unwrap();
    let after = node.contract(&usdc).unwrap().unwrap();
    assert_eq!(after.code_hash, fee_token);
    assert_eq!((after.admin, after.label), (before.admin, before.label), "only the code changes");
    // The fee token's code runs on the token's storage: balances stay, a 1% fee is burned.
    node.set_storage(&usdc, b"fee_bps", Some(b"100")).unwrap();
    let balance = |who: &Address| query(&node, &usdc, json!({"balance": {"address": who}})).unwrap()["balance"].clone();
    assert_eq!(balance(&alice.address), json!("1000000000000"));
    let msg = json!({"transfer": {"to": bob, "amount": "10000"}});
    node.submit(&signed(&node, &alice, 1, Action::Execute { contract: usdc, msg, funds: 0 })).unwrap();
    assert_eq!(balance(&bob), json!("9900"));
}

#[test]
fn a_state_file_round_trips_with_its_root() {
    let source = market_node();
    let (alice, bob) = (key(1), Address([0xb6; 20]));
    transfer(&source, &alice, 0, bob, 5);
    source.warp(3600).unwrap();
    let file = source.dump_state().unwrap();
    assert_eq!((file.height, file.time), (2, GENESIS_TIME + 3600));
    assert_eq!(file.code.len(), 3);
    assert_eq!(file.contracts.len(), 5);

    // A fresh node started from the file: its first block is at the file's height and time,
    // with the file's root; its state reads the same, and it dumps the same file.
    let loaded = Node::open(NodeConfig { genesis_state: Some(Arc::new(file.clone())), ..config(false) }).unwrap();
    let first = loaded.latest_block().unwrap();
    assert_eq!((first.height, first.time, Some(first.state_root)), (2, file.time, file.state_root));
    assert_eq!(loaded.account(&bob).unwrap().balance, 5);
    assert_eq!(loaded.market(), source.market());
    assert_eq!(loaded.dump_state().unwrap(), file);
    // Through JSON as well.
    let json = serde_json::to_vec(&file).unwrap();
    assert_eq!(serde_json::from_slice::<StateFile>(&json).unwrap(), file);

    // Loaded in place into a running node: the same first block; the chain goes on from it.
    let running = market_node();
    transfer(&running, &key(3), 0, bob, 1);
    assert_eq!(running.load_state(&file).unwrap(), first);
    let next = running.warp(60).unwrap();
    assert_eq!((next.height, next.time), (3, file.time + 60));
    assert_eq!(running.reset().unwrap(), first, "a reset returns to the loaded state");
}

/// A state file that must be refused, and how to recognise the refusal.
type LoadCase = (&'static str, StateFile, fn(&Rejection) -> bool);

#[test]
fn a_state_file_the_node_cannot_load_changes_nothing() {
    let node = market_node();
    let file = node.dump_state().unwrap();
    let before = fingerprint(&node, &key(0).address);
    let mut cases: Vec<LoadCase> = Vec::new();
    let mut other_chain = file.clone();
    other_chain.chain_id = 1;
    cases.push(("another chain", other_chain, |r| matches!(r, Rejection::WrongChainId { .. })));
    let mut edited = file.clone();
    edited.accounts[0].balance += 1;
    cases.push(("an edited state under the old root", edited.clone(), |r| matches!(r, Rejection::InvalidStateFile(_))));
    let mut twice = file.clone();
    twice.accounts.push(twice.accounts[0].clone());
    cases.push(("an account twice", twice, |r| matches!(r, Rejection::InvalidStateFile(_))));
    let mut bad_code = file.clone();
    bad_code.code[0].wasm = b"\0asm nope".to_vec();
    cases.push(("code whose hash is not its wasm's", bad_code, |r| matches!(r, Rejection::InvalidStateFile(_))));
    let mut orphan = file.clone();
    orphan.code.remove(0);
    orphan.state_root = None;
    cases.push(("a contract of code it lacks", orphan, |r| matches!(r, Rejection::InvalidStateFile(_))));
    let mut late = file.clone();
    late.time = MAX_BLOCK_TIME + 1;
    cases.push(("a time past the last", late, |r| matches!(r, Rejection::MalformedStateFile(_))));
    for (what, file, expected) in cases {
        let rejection = rejected(node.load_state(&file));
        assert!(expected(&rejection), "{what}: {rejection}");
        assert_eq!(fingerprint(&node, &key(0).address), before, "{what} changed something");
    }
    // Without its root, an edited file loads as it is.
    edited.state_root = None;
    node.load_state(&edited).unwrap();
    assert_eq!(node.account(&edited.accounts[0].address).unwrap().balance, edited.accounts[0].balance);
}

#[test]
fn a_revert_to_a_snapshot_a_reset_or_a_load_used_up_says_which() {
    let node = Node::open(config(false)).unwrap();
    let file = node.dump_state().unwrap();
    let before_load = node.snapshot().unwrap();
    node.load_state(&file).unwrap();
    let refusal = rejected(node.revert(before_load));
    assert_eq!(refusal.code(), "unknown_snapshot");
    let message = refusal.to_string();
    assert!(message.starts_with(&format!("no snapshot {before_load}: a state load used it up")), "{message}");

    let before_reset = node.snapshot().unwrap();
    node.reset().unwrap();
    let message = rejected(node.revert(before_reset)).to_string();
    assert!(message.starts_with(&format!("no snapshot {before_reset}: a reset used it up")), "{message}");

    // One a revert used up, or one never taken, reads as before.
    let (first, second) = (node.snapshot().unwrap(), node.snapshot().unwrap());
    node.revert(first).unwrap();
    for id in [second, 99] {
        let refusal = rejected(node.revert(id));
        assert!(matches!(refusal, Rejection::UnknownSnapshot(i) if i == id), "{refusal}");
        assert!(refusal.to_string().contains("a revert uses up the snapshot it returns to"), "{refusal}");
    }
}

/// With pruning, a loaded chain's refusals say what they say without it below its first block,
/// and the reset and the revert say what is kept in the words and numbers of the reads.
#[test]
fn below_a_loaded_chain_and_below_its_kept_history_the_refusals_agree_with_the_reads() {
    let source = Node::open(config(false)).unwrap();
    source.mine(3).unwrap();
    let file = source.dump_state().unwrap();
    assert_eq!(file.height, 3);
    let node = Node::open(NodeConfig { history_blocks: Some(5), ..config(false) }).unwrap();
    node.load_state(&file).unwrap();
    let never = |node: &Node| {
        let refusal = rejected(node.view_at(Some(2)).map(|_| ()));
        assert!(matches!(refusal, Rejection::UnknownHeight { height: 2, .. }), "{refusal}");
        assert!(refusal.to_string().contains("this chain begins above it"), "{refusal}");
    };
    never(&node);
    node.mine(1).unwrap();
    let snapshot = node.snapshot().unwrap();
    while node.latest_block().unwrap().height < 12 {
        node.mine(1).unwrap();
    }
    never(&node);
    // History is kept from height 7: reads there succeed, below are pruned.
    node.view_at(Some(7)).unwrap();
    let read = rejected(node.view_at(Some(6)).map(|_| ())).to_string();
    assert_eq!(read, "state at height 6 is no longer kept: this node keeps history from height 7");
    let reset = rejected(node.reset());
    assert_eq!(reset.code(), "history_pruned");
    assert!(
        reset.to_string().starts_with("state at height 3 is no longer kept: this node keeps history from height 7"),
        "{reset}"
    );
    let revert = rejected(node.revert(snapshot)).to_string();
    assert_eq!(revert, "state at height 4 is no longer kept: this node keeps history from height 7");
}

/// A chain stops at the last height a state file holds (2^53 − 1), so that every chain can be
/// dumped and loaded again: a block past it is refused, whichever way it would be made, and
/// nothing changes.
#[test]
fn a_chain_loaded_near_the_last_height_stops_there_and_dumps_a_file_that_loads() {
    let max = tidepool_node::state_file::MAX_SAFE_INTEGER;
    let node = Node::open(config(false)).unwrap();
    let mut file = node.dump_state().unwrap();
    file.height = max - 1;
    node.load_state(&file).unwrap();
    let (alice, bob) = (key(1), Address([0xb7; 20]));
    let out_of_range = |r: &Rejection| matches!(r, Rejection::HeightOutOfRange { max: m, .. } if *m == max);

    // Two blocks would pass it: neither is mined.
    let before = fingerprint(&node, &alice.address);
    let refusal = rejected(node.mine(2));
    assert!(out_of_range(&refusal), "{refusal}");
    assert_eq!(refusal.code(), "height_out_of_range");
    assert!(refusal.to_string().contains("at most 9007199254740991"), "{refusal}");
    assert_eq!(fingerprint(&node, &alice.address), before);

    // One more is the last.
    transfer(&node, &alice, 0, bob, 5);
    let last = node.latest_block().unwrap();
    assert_eq!(last.height, max);
    let at_last = fingerprint(&node, &alice.address);
    let signed_transfer = signed(&node, &alice, 1, Action::Transfer { to: bob, amount: 5 });
    let refusals: Vec<(&str, Rejection)> = vec![
        ("mine", rejected(node.mine(1))),
        ("mine_block", rejected(node.mine_block())),
        ("automine", rejected(node.submit(&signed_transfer))),
        ("warp", rejected(node.warp(60))),
        ("set_balance", rejected(node.set_balance(&bob, 1))),
    ];
    node.set_mining(Mining::Manual).unwrap();
    let manual = rejected(node.submit(&signed_transfer));
    for (what, refusal) in refusals.into_iter().chain([("manual mining", manual)]) {
        assert!(out_of_range(&refusal), "{what}: {refusal}");
    }
    assert_eq!(fingerprint(&node, &alice.address), at_last, "a refusal changes nothing");

    // The chain at the last height dumps a file that loads, at the same block.
    let dumped = node.dump_state().unwrap();
    assert_eq!(dumped.height, max);
    let loaded = Node::open(config(false)).unwrap();
    let first = loaded.load_state(&dumped).unwrap();
    assert_eq!((first.height, Some(first.state_root)), (max, dumped.state_root));
    assert_eq!(loaded.dump_state().unwrap(), dumped, "it dumps the same file again");
}

#[cfg(feature = "rocksdb")]
#[test]
fn a_restart_on_a_loaded_store_needs_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = market_node().dump_state().unwrap();
    let on_disk = |file: StateFile| NodeConfig {
        store: tidepool_node::StoreConfig::RocksDb(dir.path().to_path_buf()),
        genesis_state: Some(Arc::new(file)),
        ..config(false)
    };
    let node = Node::open(on_disk(file.clone())).unwrap();
    let head = node.warp(10).unwrap();
    drop(node);
    let again = Node::open(on_disk(file.clone())).unwrap();
    assert_eq!(again.latest_block().unwrap(), head, "the same file: the chain goes on");
    drop(again);
    let mut other = file;
    other.accounts[0].balance += 1;
    other.state_root = None;
    let refused = Node::open(on_disk(other)).err().expect("another file is refused");
    assert!(refused.to_string().contains("did not begin from this state file"), "{refused}");
}

#[test]
fn a_warp_can_refresh_the_oracle_prices_at_the_new_time() {
    let node = market_node();
    let market = market_info();
    let supplier = key(9).address;
    let position = |node: &Node| query(node, &market.pool, json!({"position": {"user": supplier}}));
    position(&node).expect("fresh prices at genesis");

    let month = 30 * 86_400;
    let stale = node.snapshot().unwrap();
    node.warp(month).unwrap();
    let error = position(&node).unwrap_err();
    assert!(error.contains("stale price"), "{error}");
    node.revert(stale).unwrap();

    let block = node.warp_with(month, true).unwrap();
    assert_eq!(block.time, GENESIS_TIME + month);
    assert_eq!(block.tx_hashes.len(), 1, "the refresh is a transaction in the warp's block");
    position(&node).expect("prices published at the new time");
    let weth = market.tokens[1].address;
    let price = query(&node, &market.oracle, json!({"price": {"asset": weth}})).unwrap();
    assert_eq!(price, json!({"price": "300000000000", "updated_at": GENESIS_TIME + month}));

    // Without the market, a refresh is refused and nothing moves.
    let bare = Node::open(config(false)).unwrap();
    let head = bare.latest_block().unwrap();
    assert!(matches!(rejected(bare.warp_with(60, true)), Rejection::NoDevMarket));
    assert_eq!(bare.latest_block().unwrap(), head);
    assert_eq!(bare.warp(60).unwrap().time, head.time + 60);
}
