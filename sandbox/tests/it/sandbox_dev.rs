//! The Sandbox's anvil-grade dev controls: transactions held for manual mining, the next block's
//! time, reset, set_code, state files, warps that refresh the market's prices.

use serde_json::{Value, json};
use tidepool_sandbox::{ACCOUNT_BALANCE, Action, ErrorKind, GENESIS_TIME, Mining, Sandbox, StateFile, TxResultExt};

fn token(sandbox: &Sandbox, owner: &tidepool_sandbox::Account) -> tidepool_sandbox::Contract {
    let msg = json!({
        "name": "Coin", "symbol": "COIN", "decimals": 6,
        "initial_balances": [{"address": owner.address(), "amount": "1000000"}],
    });
    sandbox.deploy(tidepool_artifacts::TOKEN, owner, &msg, "coin").expect_success()
}

fn balance(token: &tidepool_sandbox::Contract, who: &impl tidepool_sandbox::HasAddress) -> String {
    let answer: Value = token.query(&json!({"balance": {"address": who.address()}})).unwrap();
    answer["balance"].as_str().unwrap().to_owned()
}

#[test]
fn manual_mining_puts_submitted_transactions_in_one_block() {
    let sandbox = Sandbox::new();
    let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    let coin = token(&sandbox, &alice);
    sandbox.set_mining(Mining::Manual);
    assert_eq!(sandbox.mining(), Mining::Manual);
    let height = sandbox.block_height();

    let first = coin.submit(&alice, &json!({"transfer": {"to": bob.address(), "amount": "10"}})).unwrap();
    let second = coin.submit(&alice, &json!({"transfer": {"to": bob.address(), "amount": "5"}})).unwrap();
    assert_eq!(sandbox.block_height(), height, "held");
    let waiting = first.result().expect_error("pending");
    assert_eq!(waiting.kind(), ErrorKind::Rejected);
    assert_eq!(balance(&coin, &bob), "0");

    assert_eq!(sandbox.mine(), height + 1);
    let (first, second) = (first.result().expect_success(), second.result().expect_success());
    assert_eq!((first.height(), second.height()), (height + 1, height + 1), "one block");
    assert_eq!(balance(&coin, &bob), "15");

    // A call that returns its result mines at once, taking what waits into its block.
    let held = coin.submit(&alice, &json!({"transfer": {"to": bob.address(), "amount": "1"}})).unwrap();
    let done = coin.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "1"}})).expect_success();
    assert_eq!(held.result().expect_success().height(), done.height());
    sandbox.set_mining(Mining::Auto);
}

#[test]
fn sandbox_submit_sends_an_action_and_its_pending_error_points_at_mine() {
    let sandbox = Sandbox::new();
    let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    sandbox.set_mining(Mining::Manual);
    // `Action` is the Sandbox's to name: a test needs no dependency on the node.
    let pending = sandbox.submit(&alice, Action::Transfer { to: bob.address(), amount: 7 }).unwrap();
    let waiting = pending.result().expect_error("is pending");
    assert_eq!(waiting.kind(), ErrorKind::Rejected);
    assert!(waiting.message().contains("sandbox.mine() mines it"), "{}", waiting.message());
    assert!(!waiting.message().contains("/dev/mine"), "the node's HTTP wording: {}", waiting.message());
    assert!(waiting.node_error().is_some(), "the node's error is kept");
    sandbox.mine();
    assert_eq!(pending.result().expect_success().height(), sandbox.block_height());
    sandbox.assert_balance(&bob, ACCOUNT_BALANCE + 7);
}

#[test]
fn accounts_are_funded_once_per_chain_history() {
    let sandbox = Sandbox::new();
    let early = sandbox.account("early");
    let snapshot = sandbox.snapshot();
    let late = sandbox.account("late");
    sandbox.set_balance(&early, 0);
    sandbox.set_balance(&late, 0);
    sandbox.account("early");
    sandbox.account("late");
    sandbox.assert_balance(&early, 0);
    sandbox.assert_balance(&late, 0);

    // The revert undoes `late`'s funding (and `early`'s emptying): `late` is new again.
    sandbox.revert(snapshot).unwrap();
    sandbox.assert_balance(&early, ACCOUNT_BALANCE);
    sandbox.assert_balance(&late, 0);
    sandbox.account("late");
    sandbox.assert_balance(&late, ACCOUNT_BALANCE);
    sandbox.account("early");
    sandbox.assert_balance(&early, ACCOUNT_BALANCE);
    // `early` was asked for before the snapshot: the revert kept its funding, and its name.
    sandbox.set_balance(&early, 0);
    sandbox.account("early");
    sandbox.assert_balance(&early, 0);

    // A reset undoes every funding.
    sandbox.reset();
    sandbox.account("early");
    sandbox.assert_balance(&early, ACCOUNT_BALANCE);

    // An account a state file holds is not funded again, in a copy or loaded in place.
    sandbox.set_balance(&early, 5);
    let file = sandbox.dump_state();
    let copy = Sandbox::from_state(&file).unwrap();
    copy.account("early");
    copy.assert_balance(&early, 5);
    sandbox.set_balance(&early, 0);
    // A name first asked for after the dump, emptied, then the file loaded: a new chain, on
    // which the name was never funded.
    let after = sandbox.account("after the dump");
    sandbox.set_balance(&after, 0);
    sandbox.load_state(&file).unwrap();
    sandbox.account("early");
    sandbox.assert_balance(&early, 5);
    sandbox.account("after the dump");
    sandbox.assert_balance(&after, ACCOUNT_BALANCE);
}

#[test]
fn traces_name_contracts_by_their_stored_label() {
    let sandbox = Sandbox::new();
    let alice = sandbox.account("alice");
    let coin = token(&sandbox, &alice);
    let file = sandbox.dump_state();

    // A Sandbox from a state file was never told the contract's name: the chain's label serves.
    let copy = Sandbox::from_state(&file).unwrap();
    let same = copy.contract_at(coin.address());
    let bob = copy.account("bob");
    let error =
        same.execute(&bob, &json!({"transfer": {"to": alice.address(), "amount": "1"}})).expect_error("insufficient");
    let trace = format!("{error:?}");
    assert!(trace.contains("\n  coin [0x"), "{trace}");
    assert!(!trace.contains(&coin.address().to_string()), "no bare address: {trace}");
    assert!(format!("{same:?}").starts_with("Contract(coin [0x"), "{same:?}");
    let sent = same.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "1"}})).expect_success();
    assert!(sent.report().contains("events:\n  coin transfer "), "{}", sent.report());

    // A name given in the Sandbox still wins.
    copy.set_name(&same, "the coin");
    assert!(format!("{same:?}").starts_with("Contract(the coin [0x"), "{same:?}");
    // A result outliving its Sandbox keeps working, with addresses for unnamed contracts.
    let other = Sandbox::from_state(&file).unwrap();
    let error = other
        .contract_at(coin.address())
        .execute(&other.account("bob"), &json!({"transfer": {"to": alice.address(), "amount": "1"}}))
        .expect_error("insufficient");
    drop(other);
    assert!(format!("{error:?}").contains(&format!("  {} execute", coin.address())), "{error:?}");
}

#[test]
#[should_panic(expected = "no interval miner")]
fn a_sandbox_has_no_interval_miner() {
    Sandbox::new().set_mining(Mining::Interval(std::time::Duration::from_secs(1)));
}

#[test]
fn the_next_block_time_is_exact_and_never_goes_back() {
    let sandbox = Sandbox::new();
    let alice = sandbox.account("alice");
    sandbox.set_next_block_time(GENESIS_TIME + 777).unwrap();
    let coin = token(&sandbox, &alice);
    assert_eq!(coin.instantiation().unwrap().height(), sandbox.block_height());
    assert_eq!(sandbox.block_time(), GENESIS_TIME + 777);
    let height = sandbox.block_height();
    sandbox.set_next_block_time(GENESIS_TIME).expect_error("before the latest block's time");
    assert_eq!((sandbox.block_height(), sandbox.block_time()), (height, GENESIS_TIME + 777));
}

#[test]
fn reset_returns_to_genesis_and_set_code_swaps_the_code() {
    let sandbox = Sandbox::new();
    let genesis = sandbox.node().latest_block().unwrap();
    let alice = sandbox.account("alice");
    let coin = token(&sandbox, &alice);
    let fee_code = sandbox.upload(tidepool_artifacts::FEE_TOKEN).expect_success();
    let missing = tidepool_sandbox::Code { hash: tidepool_sandbox::Hash([9; 32]) };
    sandbox.set_code(&coin, &missing).expect_error("no code with hash");

    // The fee token's code on the plain token's storage: balances stay, transfers now burn 1%.
    sandbox.set_code(&coin, &fee_code).unwrap();
    coin.set_storage(b"fee_bps", Some(b"100"));
    let bob = sandbox.account("bob");
    coin.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "1000"}})).expect_success();
    assert_eq!(balance(&coin, &bob), "990");

    sandbox.reset();
    assert_eq!(sandbox.node().latest_block().unwrap(), genesis);
    assert_eq!(sandbox.balance(&alice), 0, "alice was funded after genesis");
    assert!(sandbox.node().contract(&coin.address()).unwrap().is_none());
}

#[test]
fn a_dumped_state_starts_a_sandbox_with_the_same_root() {
    let sandbox = Sandbox::with_market();
    let alice = sandbox.dev_account(1);
    let usdc = sandbox.contract_at(sandbox.market().unwrap().tokens[0].address);
    usdc.execute(&alice, &json!({"transfer": {"to": sandbox.account("bob").address(), "amount": "42"}}))
        .expect_success();
    let file = sandbox.dump_state();
    let copy = Sandbox::from_state(&file).unwrap();
    let head = copy.node().latest_block().unwrap();
    assert_eq!((Some(head.state_root), head.height, head.time), (file.state_root, file.height, file.time));
    assert_eq!(balance(&copy.contract_at(usdc.address()), &Sandbox::new().account("bob")), "42");
    assert_eq!(copy.dump_state(), file);
    let text = serde_json::to_string(&file).unwrap();
    assert_eq!(serde_json::from_str::<StateFile>(&text).unwrap(), file);

    // Loaded in place, and reset back to the loaded state.
    let other = Sandbox::with_market();
    other.load_state(&file).unwrap();
    other.warp(60);
    other.reset();
    assert_eq!(other.node().latest_block().unwrap(), head);
    let mut foreign = file.clone();
    foreign.chain_id = 1;
    other.load_state(&foreign).expect_error("wrong chain id");
}

#[test]
fn a_month_long_warp_that_refreshes_prices_keeps_positions_valued() {
    let sandbox = Sandbox::with_market();
    let pool = sandbox.contract_at(sandbox.market().unwrap().pool);
    let supplier = sandbox.dev_account(9);
    let position = || pool.query::<Value>(&json!({"position": {"user": supplier.address()}}));
    sandbox.warp_and_refresh_prices(30 * 86_400);
    position().expect_success();
    sandbox.warp(30 * 86_400);
    position().expect_error("stale price");
}
