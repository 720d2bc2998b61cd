//! Ordinary use: supply, withdraw, borrow, accrue, repay; caps, pause, prices, validation,
//! flash loans (V6).

use lending_pool::market::{MarketState, flash_premium};
use tidepool_sdk::Uint128;
use tidepool_sdk::serde_json::{Value, json};

use crate::*;

fn state(v: &Value) -> MarketState {
    tidepool_sdk::serde_json::from_value(v["state"].clone()).unwrap()
}

#[test]
fn supply_then_withdraw_returns_what_was_supplied() {
    let m = Market::new();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    let b = m.balance(ALICE, m.weth);
    assert_eq!(b["shares"], json!((10 * E18).to_string()));
    assert_eq!(b["collateral"], json!(true), "first supply with ltv > 0 turns collateral on");
    assert_eq!(m.token_balance(m.weth, ALICE), 990 * E18);
    m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "all"}})).unwrap();
    assert_eq!(m.token_balance(m.weth, ALICE), 1000 * E18);
    assert_eq!(m.balance(ALICE, m.weth)["shares"], json!("0"));
    // The seed shares stay: total_shares and cash are back to the seed.
    let s = state(&m.market_state(m.weth));
    assert_eq!((s.cash.u128(), s.total_shares.u128()), (1_000_000, 1_000_000));
}

#[test]
fn borrow_accrue_repay() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap(); // 100k USDC
    m.supply(ALICE, m.weth, 10 * E18).unwrap(); // $20k of collateral: capacity $16k
    let err = m.borrow(ALICE, m.usdc, 16_000_000_001).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    m.borrow(ALICE, m.usdc, 10_000_000_000).unwrap();
    let before = state(&m.market_state(m.usdc));
    assert_eq!(before.total_borrows.u128(), 10_000_000_000);

    m.chain.advance_time(365 * 24 * 3600);
    m.set_price(m.weth, 2000 * USD);
    m.set_price(m.usdc, USD);
    m.exec(CAROL, json!({"accrue": {"asset": m.usdc}})).unwrap();
    let after = state(&m.market_state(m.usdc));
    let mut expected = before;
    let config: lending_pool::config::MarketConfig = tidepool_sdk::serde_json::from_value(usdc_config()).unwrap();
    expected.accrue(&config, m.chain.time()).unwrap();
    assert_eq!(after, expected);
    assert!(after.total_borrows.u128() > 10_000_000_000);
    assert!(m.chain.take_events().iter().any(|e| e.ty == "accrue"));

    // Repaying everything clears the debt; TB keeps at most a unit of rounding (invariant 3).
    let debt = amount(&m.balance(ALICE, m.usdc)["debt"]);
    assert_eq!(
        debt,
        lending_pool::market::current_debt(
            Uint128(10_000_000_000),
            after.borrow_index,
            Uint128(1_000_000_000_000_000_000)
        )
        .unwrap()
        .u128()
    );
    m.exec(ALICE, json!({"repay": {"asset": m.usdc, "amount": "all"}})).unwrap();
    assert_eq!(m.balance(ALICE, m.usdc)["debt"], json!("0"));
    assert!(state(&m.market_state(m.usdc)).total_borrows.u128() <= 1);
    // Reserves grew by rf of the interest; suppliers' exchange rate rose.
    assert!(after.total_reserves.u128() > 0);
    assert!(after.exchange_rate().unwrap() > before.exchange_rate().unwrap());
    // Without debt, everything can be withdrawn.
    m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "all"}})).unwrap();
    assert_eq!(m.token_balance(m.weth, ALICE), 1000 * E18);
}

#[test]
fn rates_follow_the_curve() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    // Borrow 90 % of the USDC market: U = u_opt, APR = slope1 = 4 %.
    let s = state(&m.market_state(m.usdc));
    let target = s.supplier_assets().unwrap().u128() * 9 / 10;
    m.borrow(ALICE, m.usdc, target).unwrap();
    let r = m.query(json!({"rates": {"asset": m.usdc}}));
    assert_eq!(r["utilization"], json!("900000000000000000"));
    assert_eq!(r["borrow_apr"], json!("40000000000000000"));
    // supply = 4 % · 0.9 · 0.9 = 3.24 %
    assert_eq!(r["supply_apr"], json!("32400000000000000"));
}

#[test]
fn withdraw_and_collateral_changes_keep_the_account_healthy() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 15_000_000_000).unwrap();
    let err = m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "1000000000000000000"}})).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    let err = m.exec(ALICE, json!({"set_collateral": {"asset": m.weth, "enabled": false}})).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    // A withdrawal that keeps capacity ≥ debt is fine: 9.5 WETH × $2000 × 80 % = $15 200.
    m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "500000000000000000"}})).unwrap();
    let p = m.position(ALICE);
    assert_eq!(p["borrow_capacity"], json!("1520000000000")); // $15 200
    assert_eq!(p["debt_value"], json!("1500000000000"));
}

#[test]
fn caps_pause_and_permissions() {
    let m = Market::new();
    let mut config = weth_config();
    config["supply_cap"] = json!("5000000000000000000");
    config["borrow_cap"] = json!("1000000");
    assert!(
        m.exec(ALICE, json!({"update_market": {"asset": m.weth, "config": config}}))
            .unwrap_err()
            .contains("unauthorized")
    );
    m.exec(OWNER, json!({"update_market": {"asset": m.weth, "config": config}})).unwrap();
    assert!(m.supply(ALICE, m.weth, 5 * E18).unwrap_err().contains("supply cap exceeded"));
    m.supply(ALICE, m.weth, 4 * E18).unwrap();
    m.supply(BOB, m.usdc, 1_000_000_000_000).unwrap();
    m.supply(BOB, m.weth, 900_000_000_000_000_000).unwrap();
    assert!(m.borrow(BOB, m.weth, 1_000_001).unwrap_err().contains("borrow cap exceeded"));
    m.borrow(BOB, m.weth, 1_000_000).unwrap();

    assert!(
        m.exec(ALICE, json!({"set_paused": {"asset": m.weth, "paused": true}})).unwrap_err().contains("unauthorized")
    );
    m.exec(OWNER, json!({"set_paused": {"asset": m.weth, "paused": true}})).unwrap();
    assert!(m.supply(ALICE, m.weth, 1).unwrap_err().contains("paused"));
    assert!(m.borrow(ALICE, m.weth, 1).unwrap_err().contains("paused"));
    // Users can always leave: repay and withdraw stay open.
    m.exec(BOB, json!({"repay": {"asset": m.weth, "amount": "all"}})).unwrap();
    m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "all"}})).unwrap();
    m.exec(OWNER, json!({"set_paused": {"paused": true}})).unwrap();
    assert!(m.supply(ALICE, m.usdc, 1_000_000).unwrap_err().contains("paused"));
    m.exec(OWNER, json!({"set_paused": {"paused": false}})).unwrap();
    m.supply(ALICE, m.usdc, 1_000_000).unwrap();
}

#[test]
fn invalid_configs_are_rejected() {
    let m = Market::new();
    let mut bad = weth_config();
    bad["lt"] = json!(10000);
    let err = m.exec(OWNER, json!({"update_market": {"asset": m.weth, "config": bad}})).unwrap_err();
    assert_eq!(err, "invalid config: lt must be below 10000");
    let err =
        m.exec(OWNER, json!({"list_market": {"asset": m.weth, "config": weth_config(), "seed": "1000"}})).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    let dai = m.chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("DAI", 18, &[(OWNER, E18)])).unwrap();
    m.approve(OWNER, dai, u128::MAX);
    let err =
        m.exec(OWNER, json!({"list_market": {"asset": dai, "config": weth_config(), "seed": "999"}})).unwrap_err();
    assert!(err.contains("at least 1000"), "{err}");
    let err = m
        .chain
        .deploy(
            lending_pool::ENTRY_POINTS,
            OWNER,
            &json!({"oracle": m.oracle, "treasury": TREASURY, "close_factor_bps": 0}),
        )
        .unwrap_err();
    assert!(err.contains("close_factor_bps"), "{err}");
}

#[test]
fn zero_and_stale_prices_are_refused() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 1_000_000_000).unwrap();
    m.chain.advance_time(3601);
    let err = m.borrow(ALICE, m.usdc, 1).unwrap_err();
    assert!(err.contains("stale price"), "{err}");
    m.set_price(m.usdc, USD);
    m.set_price(m.weth, 0);
    let err = m.borrow(ALICE, m.usdc, 1).unwrap_err();
    assert!(err.contains("zero price"), "{err}");
    // Bob has no debt: his withdrawal never needs a price.
    m.exec(BOB, json!({"withdraw": {"asset": m.usdc, "amount": "1000"}})).unwrap();
}

#[test]
fn max_positions_is_enforced() {
    let m = Market::new();
    let pool = m
        .chain
        .deploy(
            lending_pool::ENTRY_POINTS,
            OWNER,
            &json!({"oracle": m.oracle, "treasury": TREASURY, "max_positions": 1}),
        )
        .unwrap();
    for t in [m.weth, m.usdc] {
        m.chain.execute(OWNER, t, &json!({"approve": {"spender": pool, "amount": Uint128(u128::MAX)}}), 0).unwrap();
        m.chain.execute(ALICE, t, &json!({"approve": {"spender": pool, "amount": Uint128(u128::MAX)}}), 0).unwrap();
    }
    m.chain
        .execute(OWNER, pool, &json!({"list_market": {"asset": m.weth, "config": weth_config(), "seed": "1000"}}), 0)
        .unwrap();
    m.chain
        .execute(OWNER, pool, &json!({"list_market": {"asset": m.usdc, "config": usdc_config(), "seed": "1000"}}), 0)
        .unwrap();
    m.chain.execute(ALICE, pool, &json!({"supply": {"asset": m.weth, "amount": "5000"}}), 0).unwrap();
    let err = m.chain.execute(ALICE, pool, &json!({"supply": {"asset": m.usdc, "amount": "5000"}}), 0).unwrap_err();
    assert!(err.contains("max_positions"), "{err}");
}

/// LENDING.md V6 through the pool: a market with cash 1e18 and shares 1e18, a loan of 0.8e18.
#[test]
fn v6_flash_loan() {
    let m = Market::new();
    let dai = m.chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("DAI", 18, &[(OWNER, 100 * E18)])).unwrap();
    m.approve(OWNER, dai, u128::MAX);
    m.exec(OWNER, json!({"list_market": {"asset": dai, "config": weth_config(), "seed": E18.to_string()}})).unwrap();
    let good = m.chain.deploy(flash_receiver_good::ENTRY_POINTS, OWNER, &json!({})).unwrap();
    let bad = m.chain.deploy(flash_receiver_bad::ENTRY_POINTS, OWNER, &json!({})).unwrap();
    for r in [good, bad] {
        m.chain.execute(OWNER, dai, &json!({"transfer": {"to": r, "amount": E18.to_string()}}), 0).unwrap();
    }
    let loan = |receiver| {
        m.exec(ALICE, json!({"flash_loan": {"asset": dai, "amount": "800000000000000000", "receiver": receiver}}))
    };

    // Returning only the amount reverts everything.
    let before = m.market_state(dai);
    let err = loan(bad).unwrap_err();
    assert!(err.contains("insufficient allowance"), "{err}");
    assert_eq!(m.market_state(dai), before);
    assert_eq!(m.token_balance(dai, bad), E18);

    loan(good).unwrap();
    let split = flash_premium(Uint128(800_000_000_000_000_000), 9, 3000).unwrap();
    assert_eq!((split.premium.u128(), split.to_reserves.u128()), (720_000_000_000_000, 216_000_000_000_000));
    let after = m.market_state(dai);
    assert_eq!(after["exchange_rate"], json!("1000504000000000000"));
    let s = state(&after);
    assert_eq!(s.cash.u128(), E18 + 720_000_000_000_000, "cash rises by exactly the premium");
    assert_eq!(s.total_reserves.u128(), 216_000_000_000_000);
    assert_eq!(m.token_balance(dai, good), E18 - 720_000_000_000_000);
    assert_eq!(m.token_balance(dai, m.pool), E18 + 720_000_000_000_000);
}
