//! LENDING.md's attack table, natively: each test shows a defence holding. (The same attacks run
//! through the real VM in the host workspace.)

use tidepool_sdk::Uint128;
use tidepool_sdk::serde_json::json;

use crate::*;

/// V8: donation / empty-market inflation.
#[test]
fn v8_donation_is_the_attackers_loss() {
    let m = Market::new();
    let dai = m
        .chain
        .deploy(
            token::ENTRY_POINTS,
            OWNER,
            &token_msg("DAI", 18, &[(OWNER, E18), (BOB, 200 * E18), (ALICE, 100 * E18)]),
        )
        .unwrap();
    for u in [OWNER, ALICE, BOB] {
        m.approve(u, dai, u128::MAX);
    }
    m.exec(OWNER, json!({"list_market": {"asset": dai, "config": weth_config(), "seed": "1000"}})).unwrap();
    m.supply(BOB, dai, 1).unwrap();
    m.chain.execute(BOB, dai, &json!({"transfer": {"to": m.pool, "amount": (100 * E18).to_string()}}), 0).unwrap();
    m.supply(ALICE, dai, 42 * E18).unwrap();
    assert_eq!(m.balance(ALICE, dai)["shares"], json!((42 * E18).to_string()), "ex unchanged: cash is internal");
    m.exec(ALICE, json!({"withdraw": {"asset": dai, "amount": (42 * E18).to_string()}})).unwrap();
    assert_eq!(m.token_balance(dai, ALICE), 100 * E18);
    // The attacker can take back only their 1 unit.
    m.exec(BOB, json!({"withdraw": {"asset": dai, "amount": "all"}})).unwrap();
    assert_eq!(m.token_balance(dai, BOB), 100 * E18);
}

#[test]
fn a_deposit_worth_zero_shares_is_refused() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 90_000_000_000).unwrap();
    m.chain.advance_time(3000);
    m.exec(CAROL, json!({"accrue": {"asset": m.usdc}})).unwrap();
    assert!(amount(&m.market_state(m.usdc)["exchange_rate"]) > E18);
    assert!(m.supply(CAROL, m.usdc, 1).unwrap_err().contains("0 shares"));
}

/// Cream/AMP: a token whose transfer calls back into the pool.
#[test]
fn token_callback_reentry_is_refused() {
    let m = Market::new();
    let amp = m
        .chain
        .deploy(callback_token::ENTRY_POINTS, OWNER, &token_msg("AMP", 18, &[(OWNER, E18), (ALICE, E18)]))
        .unwrap();
    m.approve(OWNER, amp, u128::MAX);
    m.approve(ALICE, amp, u128::MAX);
    m.exec(OWNER, json!({"list_market": {"asset": amp, "config": weth_config(), "seed": "1000"}})).unwrap();
    m.set_price(amp, USD);
    let hook = json!({"borrow": {"asset": m.usdc, "amount": "1"}}).to_string();
    m.chain.execute(ALICE, amp, &json!({"set_hook": {"msg": hook}}), 0).unwrap();
    let before = m.market_state(amp);
    let err = m.supply(ALICE, amp, 1000).unwrap_err();
    assert!(err.contains("re-entry refused"), "{err}");
    assert_eq!(m.market_state(amp), before, "nothing happened");
}

/// The pool's own lock, with the VM's re-entry guard out of the way (the pool opted in).
#[test]
fn the_pool_lock_holds_even_if_reentry_were_allowed() {
    let m = Market::new();
    let mut reentrant = lending_pool::ENTRY_POINTS;
    reentrant.reentrant = true;
    let pool = m.chain.deploy(reentrant, OWNER, &json!({"oracle": m.oracle, "treasury": TREASURY})).unwrap();
    let amp = m.chain.deploy(callback_token::ENTRY_POINTS, OWNER, &token_msg("AMP", 18, &[(OWNER, E18)])).unwrap();
    m.chain.execute(OWNER, amp, &json!({"approve": {"spender": pool, "amount": Uint128(u128::MAX)}}), 0).unwrap();
    let hook = json!({"accrue": {"asset": amp}}).to_string();
    m.chain.execute(OWNER, amp, &json!({"set_hook": {"msg": hook}}), 0).unwrap();
    let err = m
        .chain
        .execute(OWNER, pool, &json!({"list_market": {"asset": amp, "config": weth_config(), "seed": "1000"}}), 0)
        .unwrap_err();
    assert!(err.contains("the pool is locked"), "{err}");
}

#[test]
fn fee_on_transfer_tokens_are_refused() {
    let m = Market::new();
    let msg = json!({"token": token_msg("FEE", 18, &[(OWNER, E18)]), "fee_bps": 100});
    let fee = m.chain.deploy(fee_token::ENTRY_POINTS, OWNER, &msg).unwrap();
    m.approve(OWNER, fee, u128::MAX);
    let err =
        m.exec(OWNER, json!({"list_market": {"asset": fee, "config": weth_config(), "seed": "10000"}})).unwrap_err();
    assert!(err.contains("9900 arrived of 10000"), "{err}");
}

/// Radiant: acting on the pool from inside a flash-loan callback.
#[test]
fn the_pool_is_locked_during_a_flash_loan_callback() {
    let m = Market::new();
    let receiver = m.chain.deploy(flash_receiver_good::ENTRY_POINTS, OWNER, &json!({})).unwrap();
    m.chain.execute(OWNER, m.weth, &json!({"transfer": {"to": receiver, "amount": E18.to_string()}}), 0).unwrap();
    m.supply(BOB, m.weth, 10 * E18).unwrap();
    let inner = json!({"withdraw": {"asset": m.weth, "amount": "all"}}).to_string();
    let data = tidepool_sdk::Binary(inner.into_bytes());
    m.exec(
        ALICE,
        json!({"flash_loan": {"asset": m.weth, "amount": E18.to_string(), "receiver": receiver, "data": data}}),
    )
    .unwrap();
    let attempt = m.chain.take_events().into_iter().find(|e| e.ty == "reentry_attempt").unwrap();
    assert_eq!(attempt.data["ok"], json!(false));
    assert!(attempt.data["error"].as_str().unwrap().contains("re-entry refused"), "{}", attempt.data);
}

/// Euler: every path that lowers collateral or adds debt ends with a health check.
#[test]
fn no_path_skips_the_health_check() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, E18).unwrap();
    assert!(m.borrow(ALICE, m.usdc, 1_600_000_001).unwrap_err().contains("unhealthy"));
    m.borrow(ALICE, m.usdc, 1_600_000_000).unwrap();
    assert!(m.exec(ALICE, json!({"withdraw": {"asset": m.weth, "amount": "1"}})).unwrap_err().contains("unhealthy"));
    assert!(
        m.exec(ALICE, json!({"set_collateral": {"asset": m.weth, "enabled": false}}))
            .unwrap_err()
            .contains("unhealthy")
    );
    // Borrowing to another address still charges the borrower.
    assert!(
        m.exec(ALICE, json!({"borrow": {"asset": m.usdc, "amount": "1", "to": CAROL}}))
            .unwrap_err()
            .contains("unhealthy")
    );
}
