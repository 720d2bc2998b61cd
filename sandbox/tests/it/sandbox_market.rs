//! The Sandbox with the sample lending market at genesis (`Sandbox::with_market`): the whole
//! lending flow with time warps, snapshot/revert, impersonation and block control.

use serde::Deserialize;
use serde_json::{Value, json};
use tidepool_sandbox::{Account, Address, Contract, ErrorKind, GENESIS_TIME, Sandbox, TxResultExt};

const YEAR: u64 = 365 * 24 * 3600;
const WETH: u128 = 1_000_000_000_000_000_000;
const USDC: u128 = 1_000_000;

#[derive(Deserialize, Debug)]
struct Position {
    collateral_value: String,
    debt_value: String,
    health_factor: String,
    markets: Vec<MarketPosition>,
}

#[derive(Deserialize, Debug)]
struct MarketPosition {
    asset: String,
    supplied: String,
    debt: String,
}

#[derive(Deserialize)]
struct Price {
    price: String,
    updated_at: u64,
}

struct Market {
    sandbox: Sandbox,
    pool: Contract,
    oracle: Contract,
    usdc: Contract,
    weth: Contract,
    owner: Account,
}

impl Market {
    fn new() -> Market {
        let sandbox = Sandbox::with_market();
        let info = sandbox.market().expect("the market is deployed");
        let token = |symbol: &str| {
            let address = info.tokens.iter().find(|t| t.symbol == symbol).expect("listed").address;
            sandbox.contract_at(address)
        };
        Market {
            pool: sandbox.contract_at(info.pool),
            oracle: sandbox.contract_at(info.oracle),
            usdc: token("USDC"),
            weth: token("WETH"),
            owner: sandbox.dev_account(0),
            sandbox,
        }
    }

    fn token_balance(&self, token: &Contract, who: Address) -> u128 {
        let answer: Value = token.query(&json!({"balance": {"address": who}})).unwrap();
        answer["balance"].as_str().unwrap().parse().unwrap()
    }

    fn position(&self, who: &Account) -> Result<Position, tidepool_sandbox::SandboxError> {
        self.pool.query(&json!({"position": {"user": who.address()}}))
    }

    fn set_weth_price(&self, usd: u128) {
        let prices = json!({"set_prices": {"prices": [
            {"asset": self.weth.address(), "price": (usd * 100_000_000).to_string()},
            {"asset": self.usdc.address(), "price": "100000000"},
        ]}});
        self.oracle.execute(&self.owner, &prices).expect_success();
    }

    /// `who` approves the pool and supplies `amount` of WETH.
    fn supply_weth(&self, who: &Account, amount: u128) {
        self.weth
            .execute(who, &json!({"approve": {"spender": self.pool.address(), "amount": amount.to_string()}}))
            .expect_success();
        self.pool
            .execute(who, &json!({"supply": {"asset": self.weth.address(), "amount": amount.to_string()}}))
            .expect_success()
            .assert_event("supply", &json!({"asset": self.weth.address(), "amount": amount.to_string()}));
    }
}

#[test]
fn supply_borrow_accrue_and_liquidate_with_warps() {
    let m = Market::new();
    let borrower = m.sandbox.dev_account(1);
    let liquidator = m.sandbox.dev_account(2);
    m.supply_weth(&borrower, 10 * WETH);

    let borrowed = m
        .pool
        .execute(&borrower, &json!({"borrow": {"asset": m.usdc.address(), "amount": (20_000 * USDC).to_string()}}))
        .expect_success();
    borrowed.assert_event_from(&m.pool, "borrow", &json!({"user": borrower.address(), "amount": 20_000 * USDC}));
    // The pool paid out through the token: a nested call in the trace.
    let trace = borrowed.trace().unwrap();
    assert!(trace.children.iter().any(|c| c.contract == m.usdc.address()), "{borrowed:?}");
    let report = borrowed.report();
    assert!(report.contains("pool [0x") && report.contains("USDC [0x") && report.contains("by dev1"), "{report}");

    let before = m.position(&borrower).unwrap();
    assert_eq!(before.debt_value, (20_000u128 * 100_000_000).to_string());
    assert_eq!(before.collateral_value, (30_000u128 * 100_000_000).to_string());

    // A year later the oracle's prices are stale: the pool refuses to value the position.
    m.sandbox.warp(YEAR);
    assert_eq!(m.sandbox.block_time(), GENESIS_TIME + YEAR);
    let stale = m.position(&borrower).unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::QueryFailed);
    stale.assert_message("stale price");

    // Fresh prices: a year of interest has accrued on the debt.
    m.set_weth_price(3_000);
    let after = m.position(&borrower).unwrap();
    let debt: u128 =
        after.markets.iter().find(|p| p.asset == m.usdc.address().to_string()).unwrap().debt.parse().unwrap();
    assert!(debt > 20_000 * USDC, "debt after a year: {debt}");
    assert!(after.debt_value.parse::<u128>().unwrap() > before.debt_value.parse::<u128>().unwrap());

    // WETH falls to 2,000 USD: 10 WETH × 2,000 × 82.5% < debt, so the position is liquidatable.
    m.set_weth_price(2_000);
    let unhealthy = m.position(&borrower).unwrap();
    assert!(unhealthy.health_factor.parse::<u128>().unwrap() < WETH, "{unhealthy:?}");
    let weth_before = m.token_balance(&m.weth, liquidator.address());
    m.usdc
        .execute(&liquidator, &json!({"approve": {"spender": m.pool.address(), "amount": (5_000 * USDC).to_string()}}))
        .expect_success();
    let liquidation = json!({"liquidate": {
        "borrower": borrower.address(), "debt_asset": m.usdc.address(),
        "collateral_asset": m.weth.address(), "debt_to_cover": (5_000 * USDC).to_string(),
    }});
    let done = m.pool.execute(&liquidator, &liquidation).expect_success();
    done.assert_event(
        "liquidate",
        &json!({"liquidator": liquidator.address(), "borrower": borrower.address(), "repaid": 5_000 * USDC}),
    );
    assert!(m.token_balance(&m.weth, liquidator.address()) > weth_before, "the liquidator got collateral");
    // Healthy accounts cannot be liquidated.
    let healthy = m.sandbox.dev_account(3);
    let refused = json!({"liquidate": {
        "borrower": healthy.address(), "debt_asset": m.usdc.address(),
        "collateral_asset": m.weth.address(), "debt_to_cover": "1",
    }});
    assert_eq!(m.pool.execute(&liquidator, &refused).unwrap_err().kind(), ErrorKind::Reverted);
}

#[test]
fn snapshot_and_revert_undo_everything_after_the_snapshot() {
    let m = Market::new();
    let user = m.sandbox.dev_account(4);
    let weth_held = m.token_balance(&m.weth, user.address());
    let (height, nonce) = (m.sandbox.block_height(), m.sandbox.nonce(&user));

    let snapshot = m.sandbox.snapshot();
    m.supply_weth(&user, 3 * WETH);
    m.sandbox.warp(600);
    let carol = m.sandbox.account("carol");
    let supplied = m.position(&user).unwrap();
    assert_eq!(supplied.markets.len(), 1);
    assert_eq!(supplied.markets[0].supplied, (3 * WETH).to_string());
    assert_eq!(m.token_balance(&m.weth, user.address()), weth_held - 3 * WETH);

    m.sandbox.revert(snapshot).unwrap();
    assert!(m.position(&user).unwrap().markets.is_empty());
    assert_eq!(m.token_balance(&m.weth, user.address()), weth_held);
    assert_eq!((m.sandbox.block_height(), m.sandbox.nonce(&user)), (height, nonce));
    assert_eq!(m.sandbox.block_time(), GENESIS_TIME, "the clock is reverted too");
    assert_eq!(m.sandbox.balance(&carol), 0, "carol's funding was after the snapshot");
    assert!(m.sandbox.account("carol").address() == carol.address() && m.sandbox.balance(&carol) > 0, "re-funded");

    // A snapshot is used up by a revert, and so is every later one.
    let error = m.sandbox.revert(snapshot).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    error.assert_message("no snapshot");
    let first = m.sandbox.snapshot();
    let second = m.sandbox.snapshot();
    m.sandbox.revert(first).unwrap();
    assert!(m.sandbox.revert(second).is_err());

    // The same transactions after a revert give the same results: the Sandbox is deterministic.
    let again = m.sandbox.snapshot();
    m.supply_weth(&user, WETH);
    let first_state = m.sandbox.node().latest_block().unwrap().state_root;
    m.sandbox.revert(again).unwrap();
    m.supply_weth(&user, WETH);
    assert_eq!(m.sandbox.node().latest_block().unwrap().state_root, first_state);
}

#[test]
fn impersonation_acts_without_a_key() {
    let m = Market::new();
    let alice = m.sandbox.account("alice");

    // The pool contract holds the market's cash; impersonating it moves its tokens.
    let pool_cash = m.token_balance(&m.usdc, m.pool.address());
    let as_pool = m.sandbox.impersonate(&m.pool);
    let moved =
        m.usdc.execute(&as_pool, &json!({"transfer": {"to": alice.address(), "amount": "1234"}})).expect_success();
    moved.assert_event("transfer", &json!({"from": m.pool.address(), "to": alice.address()}));
    assert_eq!(m.token_balance(&m.usdc, alice.address()), 1234);
    assert_eq!(m.token_balance(&m.usdc, m.pool.address()), pool_cash - 1234);
    let (stored, _) = m.sandbox.node().transaction(&moved.tx_hash()).unwrap().unwrap();
    assert_eq!(stored.signature, None, "impersonated transactions are unsigned");
    assert_eq!(stored.tx.from, m.pool.address());

    // The oracle owner's address, without its key; a stranger's address is still refused.
    let as_owner = m.sandbox.impersonate(&m.owner.address());
    m.oracle.execute(&as_owner, &json!({"set_price": {"asset": m.weth.address(), "price": "1"}})).expect_success();
    let price: Price = m.oracle.query(&json!({"price": {"asset": m.weth.address()}})).unwrap();
    assert_eq!((price.price.as_str(), price.updated_at), ("1", GENESIS_TIME));
    let as_alice = m.sandbox.impersonate(&alice);
    m.oracle
        .execute(&as_alice, &json!({"set_price": {"asset": m.weth.address(), "price": "2"}}))
        .expect_error("unauthorized: only the owner can do this");
}

#[test]
fn warp_moves_time_and_advance_blocks_moves_height() {
    let m = Market::new();
    let start = m.sandbox.block_height();
    m.sandbox.advance_blocks(5);
    assert_eq!(m.sandbox.block_height(), start + 5);
    assert_eq!(m.sandbox.block_time(), GENESIS_TIME, "mining does not move the manual clock");
    m.sandbox.advance_blocks(0);
    assert_eq!(m.sandbox.block_height(), start + 5);

    m.sandbox.warp(90);
    assert_eq!((m.sandbox.block_height(), m.sandbox.block_time()), (start + 6, GENESIS_TIME + 90));
    // Contracts see the warped time.
    let set = m.oracle.execute(&m.owner, &json!({"set_price": {"asset": m.weth.address(), "price": "7"}})).unwrap();
    set.assert_event("price", &json!({"updated_at": GENESIS_TIME + 90}));
    assert_eq!(set.height(), start + 7);
    let price: Price = m.oracle.query(&json!({"price": {"asset": m.weth.address()}})).unwrap();
    assert_eq!(price.updated_at, GENESIS_TIME + 90);
}

#[test]
fn production_limits_and_gas_apply() {
    let m = Market::new();
    let holder = m.sandbox.dev_account(5);
    let transfer = json!({"transfer": {"to": m.owner.address(), "amount": "1"}});

    // Out of gas is a mined failure: the whole limit is used, the nonce moves, nothing else.
    let nonce = m.sandbox.nonce(&holder);
    m.sandbox.set_gas_limit(30_000);
    let error = m.usdc.execute(&holder, &transfer).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutOfGas, "{error:?}");
    assert_eq!(error.gas_used(), 30_000);
    assert_eq!(m.sandbox.nonce(&holder), nonce + 1);
    // Below the base cost the node refuses the transaction outright.
    m.sandbox.set_gas_limit(20_999);
    let error = m.usdc.execute(&holder, &transfer).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    error.assert_message("gas limit 20999 is out of range");
    m.sandbox.set_gas_limit(tidepool_node::apply::MAX_TX_GAS);

    // A message over the ABI's 128 KiB cap never reaches the contract's logic.
    let huge = json!({"transfer": {"to": m.owner.address(), "amount": "1", "memo": "x".repeat(130 * 1024)}});
    let error = m.usdc.execute(&holder, &huge).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Reverted);
    error.assert_message("limit");
    // Labels are capped too.
    let code = m.sandbox.upload(tidepool_artifacts::ORACLE).unwrap();
    m.sandbox.instantiate(&code, &holder, &json!({}), &"l".repeat(129)).expect_error("label is 129 bytes");
}

#[test]
fn a_second_market_sandbox_loads_the_compiled_contracts_from_disk() {
    // The first compiles the market's contracts if no test before it did; any later one in
    // this test binary (and in the next run) loads them from `<target>/tidepool-modules`.
    let _first = Sandbox::with_market();
    let stats = Sandbox::with_market().node().vm().cache_stats();
    assert_eq!(stats.compiles, 0, "{stats:?}");
    assert!(stats.disk_loads >= 3, "{stats:?}");
}
