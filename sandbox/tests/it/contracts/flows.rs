//! Ordinary use of the pool through the real VM: supply and withdraw, borrow with interest and
//! repay, the rate curve at a given utilization, health checks on withdrawals and collateral
//! changes, caps, pause and permissions, config validation, `max_positions`, a liquidation
//! paid in shares, and how a failed nested call reads.

use serde_json::json;

use super::formulas::{self, Curve, State};
use super::harness::*;

#[test]
fn supply_then_withdraw_returns_what_was_supplied() {
    let m = Market::new();
    let alice = m.addr(ALICE);
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    let b = m.balance(alice, m.weth);
    assert_eq!(b["shares"], json!((10 * E18).to_string()), "ex is 1: shares are tokens");
    assert_eq!(b["collateral"], json!(true), "first supply with ltv > 0 turns collateral on");
    assert_eq!(m.token_balance(m.weth, alice), 990 * E18);
    m.withdraw(ALICE, m.weth, json!("all")).unwrap();
    assert_eq!(m.token_balance(m.weth, alice), 1000 * E18);
    assert_eq!(m.balance(alice, m.weth)["shares"], json!("0"));
    // The seed shares stay: total_shares and cash are back to the seed.
    let s = State::of(&m.market(m.weth));
    assert_eq!((s.cash, s.shares), (1_000_000, 1_000_000));
}

/// A token pull that fails inside the pool reads as the token's own message once: the VM hands
/// the caller the callee's message without the status's name (the call's code carries it), as
/// the SDK's native test double does, so a contract's test and the chain print the same error.
#[test]
fn a_failed_nested_call_reads_as_the_callees_message() {
    let m = Market::new();
    m.approve(ALICE, m.usdc, 0);
    let error = m.supply(ALICE, m.usdc, 5).unwrap_err();
    assert_eq!(error, format!("reverted: call to {} reverted: insufficient allowance: have 0, need 5", m.usdc));
}

/// A year of interest on a real borrow: the accrual is the formula's, the debt follows the
/// index, repaying "all" clears it, and reserves and the suppliers' rate grew.
#[test]
fn borrow_accrue_repay() {
    let m = Market::new();
    let alice = m.addr(ALICE);
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap(); // 100k USDC
    m.supply(ALICE, m.weth, 10 * E18).unwrap(); // $20k of collateral: capacity $16k
    let err = m.borrow(ALICE, m.usdc, 16_000_000_001).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    m.borrow(ALICE, m.usdc, 10_000_000_000).unwrap();
    let market = m.market(m.usdc);
    let before = State::of(&market);
    assert_eq!(before.tb, 10_000_000_000);

    m.chain.warp(365 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    let receipt = m.accrue(m.usdc).unwrap();
    let after = State::of(&m.market(m.usdc));
    assert_eq!(after, before.accrued(&Curve::of(&market["config"]), 1000, m.chain.time()));
    assert!(after.tb > 10_000_000_000);
    assert_eq!(amount(&event(&receipt, "accrue")["interest"]), after.tb - before.tb);

    // A zero repayment is refused as such, not as "no debt" (there is debt).
    let err = m.repay(ALICE, m.usdc, json!("0")).unwrap_err();
    assert!(err.contains("amount must be positive"), "{err}");
    // Repaying everything clears the debt; TB keeps at most a unit of rounding (invariant 3).
    let debt = amount(&m.balance(alice, m.usdc)["debt"]);
    assert_eq!(debt, formulas::debt(10_000_000_000, after.index, WAD));
    m.repay(ALICE, m.usdc, json!("all")).unwrap();
    assert_eq!(m.balance(alice, m.usdc)["debt"], json!("0"));
    assert!(m.state(m.usdc, "total_borrows") <= 1);
    // Reserves grew by rf of the interest; suppliers' exchange rate rose.
    assert!(after.tr > 0);
    assert!(after.ex() > before.ex());
    // Without debt, everything can be withdrawn.
    m.withdraw(ALICE, m.weth, json!("all")).unwrap();
    assert_eq!(m.token_balance(m.weth, alice), 1000 * E18);
    let err = m.repay(ALICE, m.usdc, json!("5")).unwrap_err();
    assert!(err.contains("nothing to repay: no debt in this market"), "{err}");

    // An amount no account can hold (the pool's cash plus it passes 2^128 − 1) is said to be so,
    // not an overflow.
    let cash = m.state(m.usdc, "cash");
    let err = m.supply(ALICE, m.usdc, u128::MAX - cash + 1).unwrap_err();
    assert!(err.contains("insufficient balance: no account can hold"), "{err}");
    assert!(m.supply(ALICE, m.usdc, u128::MAX - cash).unwrap_err().contains("insufficient balance"));
}

/// A health check that needs two prices reads them in one `prices` query of the oracle (one
/// instance, not two); one that needs a single price asks for it alone.
#[test]
fn a_health_check_reads_its_prices_in_one_query() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    // Alice's first borrow: her collateral is in WETH, the new debt in USDC.
    let receipt = m.borrow(ALICE, m.usdc, 1_000_000).unwrap();
    assert_eq!(calls_made(&receipt), ["query prices", "execute transfer"]);
    // Withdrawing with debt checks health too; Bob, with no debt, reads no price at all.
    assert_eq!(calls_made(&m.withdraw(ALICE, m.weth, json!("1")).unwrap()), ["query prices", "execute transfer"]);
    assert_eq!(calls_made(&m.withdraw(BOB, m.usdc, json!("1")).unwrap()), ["execute transfer"]);
    // Bob borrowing against his own market: one price, asked for alone.
    assert_eq!(calls_made(&m.borrow(BOB, m.usdc, 1_000_000).unwrap()), ["query price", "execute transfer"]);
}

/// The default USDC curve at its kink: U = u_opt = 90 %, so the borrow APR is slope1 (4 %) and
/// suppliers earn 4 % · 0.9 · (1 − 10 %) = 3.24 %.
#[test]
fn rates_follow_the_curve() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    let s = State::of(&m.market(m.usdc));
    let target = (s.cash + s.tb - s.tr) * 9 / 10;
    m.borrow(ALICE, m.usdc, target).unwrap();
    let r = m.query(json!({"rates": {"asset": m.usdc}}));
    assert_eq!(r["utilization"], json!("900000000000000000"));
    assert_eq!(r["borrow_apr"], json!("40000000000000000"));
    assert_eq!(r["supply_apr"], json!("32400000000000000"));
}

#[test]
fn withdraw_and_collateral_changes_keep_the_account_healthy() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 15_000_000_000).unwrap();
    let err = m.withdraw(ALICE, m.weth, uint(E18)).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    let err = m.exec(ALICE, json!({"set_collateral": {"asset": m.weth, "enabled": false}})).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    // A withdrawal that keeps capacity ≥ debt is fine: 9.5 WETH × $2000 × 80 % = $15 200.
    m.withdraw(ALICE, m.weth, uint(E18 / 2)).unwrap();
    let p = m.position(m.addr(ALICE));
    assert_eq!(p["borrow_capacity"], json!("1520000000000")); // $15 200
    assert_eq!(p["debt_value"], json!("1500000000000"));
}

#[test]
fn caps_pause_and_permissions() {
    let m = Market::new();
    let mut config = weth_config();
    config["supply_cap"] = json!("5000000000000000000");
    config["borrow_cap"] = json!("1000000");
    let update = json!({"update_market": {"asset": m.weth, "config": config}});
    assert!(m.exec(ALICE, update.clone()).unwrap_err().contains("unauthorized"));
    m.exec(OWNER, update).unwrap();
    // The seed counts: 5 WETH more would pass the 5 WETH cap.
    assert!(m.supply(ALICE, m.weth, 5 * E18).unwrap_err().contains("supply cap exceeded"));
    m.supply(ALICE, m.weth, 4 * E18).unwrap();
    m.supply(BOB, m.usdc, 1_000_000_000_000).unwrap();
    m.supply(BOB, m.weth, 900_000_000_000_000_000).unwrap();
    assert!(m.borrow(BOB, m.weth, 1_000_001).unwrap_err().contains("borrow cap exceeded"));
    m.borrow(BOB, m.weth, 1_000_000).unwrap();

    let pause = |asset: Option<_>, paused: bool| match asset {
        Some(asset) => json!({"set_paused": {"asset": asset, "paused": paused}}),
        None => json!({"set_paused": {"paused": paused}}),
    };
    assert!(m.exec(ALICE, pause(Some(m.weth), true)).unwrap_err().contains("unauthorized"));
    m.exec(OWNER, pause(Some(m.weth), true)).unwrap();
    assert!(m.supply(ALICE, m.weth, 1).unwrap_err().contains("paused"));
    assert!(m.borrow(ALICE, m.weth, 1).unwrap_err().contains("paused"));
    // Users can always leave: repay and withdraw stay open.
    m.repay(BOB, m.weth, json!("all")).unwrap();
    m.withdraw(ALICE, m.weth, json!("all")).unwrap();
    // The whole pool.
    m.exec(OWNER, pause(None, true)).unwrap();
    assert!(m.supply(ALICE, m.usdc, 1_000_000).unwrap_err().contains("paused"));
    m.exec(OWNER, pause(None, false)).unwrap();
    m.supply(ALICE, m.usdc, 1_000_000).unwrap();
}

#[test]
fn invalid_configs_are_rejected() {
    let m = Market::new();
    let mut bad = weth_config();
    bad["lt"] = json!(10000);
    let err = m.exec(OWNER, json!({"update_market": {"asset": m.weth, "config": bad}})).unwrap_err();
    assert!(err.ends_with(": invalid config: lt must be below 10000"), "{err}");
    let err = m.list(m.weth, weth_config(), 1000).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    let dai = m.token("DAI", 18, &[(OWNER, E18)]);
    m.approve(OWNER, dai, u128::MAX);
    let err = m.list(dai, weth_config(), 999).unwrap_err();
    assert!(err.contains("at least 1000"), "{err}");
    let err = m
        .chain
        .instantiate(OWNER, "lending-pool", json!({"oracle": m.oracle, "treasury": TREASURY, "close_factor_bps": 0}))
        .unwrap_err();
    assert!(err.contains("close_factor_bps"), "{err}");
}

#[test]
fn max_positions_is_enforced() {
    let m = Market::with_pool_options(json!({"max_positions": 1}));
    m.supply(ALICE, m.weth, 5000).unwrap();
    let err = m.supply(ALICE, m.usdc, 5000).unwrap_err();
    assert!(err.contains("max_positions"), "{err}");
    // More of the same market is no new position.
    m.supply(ALICE, m.weth, 5000).unwrap();
}

/// With `receive_shares`, the liquidator takes the collateral as pool shares: no token moves,
/// and the seized shares go to the liquidator (as collateral) and the treasury (the fee).
#[test]
fn receive_shares_moves_collateral_inside_the_pool() {
    let m = Market::borrowed_to_the_limit();
    m.set_price(m.weth, 1900 * USD);
    let bob = m.addr(BOB);
    let bob_weth = m.token_balance(m.weth, bob);
    let msg = json!({"liquidate": {"borrower": m.addr(ALICE), "debt_asset": m.usdc, "collateral_asset": m.weth,
        "debt_to_cover": "1000000000", "receive_shares": true}});
    m.exec(BOB, msg).unwrap();
    assert_eq!(m.token_balance(m.weth, bob), bob_weth, "no tokens move");
    let seized = 1_000_000_000u128 * USD * E18 / (1900 * USD * 1_000_000) * 10_500 / 10_000;
    let (liquidator, treasury) = (m.balance(bob, m.weth), m.balance(TREASURY, m.weth));
    assert_eq!(amount(&liquidator["shares"]) + amount(&treasury["shares"]), seized);
    assert!(amount(&treasury["shares"]) > 0, "the fee is paid in shares");
    assert_eq!(liquidator["collateral"], json!(true));
}
