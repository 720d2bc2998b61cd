//! The Sandbox's anvil-grade dev controls: transactions held for manual mining, the next block's
//! time, reset, set_code, state files, warps that refresh the market's prices.

use serde_json::{Value, json};
use tidepool_sandbox::{ErrorKind, GENESIS_TIME, Mining, Sandbox, StateFile, TxResultExt};

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
