//! docs/lending.md's vectors V1–V8 through the real VM, to the unit.
//!
//! The pure vectors (V1–V5, V7) need a market in a given state. Where ordinary transactions can
//! reach that state they do (V4, V5: supply and borrow to the exact utilization); where they
//! cannot in reasonable time (V1: reserves of 5e18; V2: TB 1e22 at r_sec 1e12; V3: an index
//! of 3) the state is written with the dev control `set_storage` — anvil's `setStorageAt` — and
//! everything after that runs through the pool's wasm: its queries, its `accrue`, its repay.
//! Scenarios built only from transactions check the same formulas against
//! [`super::formulas`].

use serde_json::json;

use super::formulas::{self, Curve, State, ceil, floor};
use super::harness::*;

/// `p` percent (or `p / 10^d` percent) in WAD.
fn pct(p: u128, d: u32) -> u128 {
    p * WAD / 100 / 10u128.pow(d)
}

/// V1: cash 500e18, TB 500e18, TR 5e18, shares 500e18 → ex = 1.99e18.
#[test]
fn v1_exchange_rate() {
    let m = Market::new();
    m.set_market_state(
        m.weth,
        &[
            ("cash", uint(500 * E18)),
            ("total_borrows", uint(500 * E18)),
            ("total_reserves", uint(5 * E18)),
            ("total_shares", uint(500 * E18)),
        ],
    );
    let market = m.market(m.weth);
    assert_eq!(amount(&market["exchange_rate"]), 1_990_000_000_000_000_000);
    assert_eq!(amount(&market["exchange_rate"]), State::of(&market).ex());
    // The rate prices a new deposit: shares = floor(amount·WAD/ex).
    let receipt = m.supply(ALICE, m.weth, 10 * E18).unwrap();
    assert_eq!(amount(&event(&receipt, "supply")["shares"]), floor(10 * E18, WAD, 1_990_000_000_000_000_000));
}

/// V1 with a state reached by transactions only: after a year of interest the reported rate is
/// the formula's, and a new depositor is priced by it.
#[test]
fn v1_exchange_rate_after_real_interest() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 12_000_000_000).unwrap();
    m.chain.warp(365 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    m.accrue(m.usdc).unwrap();
    let market = m.market(m.usdc);
    let s = State::of(&market);
    assert!(s.tr > 0 && s.ex() > WAD, "a year of interest raised reserves and the rate: {s:?}");
    assert_eq!(amount(&market["exchange_rate"]), s.ex());
    assert_eq!(amount(&market["utilization"]), s.utilization());
    let receipt = m.supply(CAROL, m.usdc, 1_000_000_000).unwrap();
    assert_eq!(amount(&event(&receipt, "supply")["shares"]), floor(1_000_000_000, WAD, s.ex()));
}

/// V2: r_sec 1e12, dt 1, TB 1e22, TR 1e20, rf 10 %, index 1e18 → I = 1e16, TB = 10000.01e18,
/// TR = 100.001e18, index = 1.000001e18.
#[test]
fn v2_accrual() {
    let m = Market::new();
    // r_sec = 1e12 exactly: a flat APR of 1e12 · SECONDS_PER_YEAR (kink at 100 %).
    let config = curve_config(1_000_000_000_000 * formulas::SECONDS_PER_YEAR, 0, 1, WAD, 1000);
    let dai = m.token("DAI", 18, &[(OWNER, 1_000 * E18)]);
    m.approve(OWNER, dai, u128::MAX);
    m.set_price(dai, USD);
    m.list(dai, config, 1000).unwrap();
    m.set_market_state(
        dai,
        &[
            ("cash", uint(10_000 * E18)),
            ("total_borrows", uint(10_000 * E18)),
            ("total_reserves", uint(100 * E18)),
            ("total_shares", uint(10_000 * E18)),
        ],
    );
    let before = State::of(&m.market(dai));
    assert_eq!(before.index, WAD);
    m.chain.warp(1);
    let receipt = m.accrue(dai).unwrap();
    let accrued = event(&receipt, "accrue");
    assert_eq!(amount(&accrued["interest"]), 10_000_000_000_000_000); // 1e16
    let after = State::of(&m.market(dai));
    assert_eq!(after.tb, 10_000_010_000_000_000_000_000); // 10000.01e18
    assert_eq!(after.tr, 100_001_000_000_000_000_000); // 100.001e18
    assert_eq!(after.index, 1_000_001_000_000_000_000); // 1.000001e18
    assert_eq!(after.last_accrual, before.last_accrual + 1);
    // Invariant 5: accruing again in the same block changes nothing.
    let receipt = m.accrue(dai).unwrap();
    assert!(events(&receipt, "accrue").is_empty());
    assert_eq!(State::of(&m.market(dai)), after);
}

/// V2 with a state reached by transactions only: a year of interest on a real borrow equals
/// the formula applied to the state before.
#[test]
fn v2_accrual_after_a_real_borrow() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    // Above the kink (U ≈ 95 %), so both slopes of the curve are in play.
    m.borrow(ALICE, m.usdc, 95_000_000_000).unwrap();
    let market = m.market(m.usdc);
    let before = State::of(&market);
    let curve = Curve::of(&market["config"]);
    m.chain.warp(365 * 24 * 3600);
    // The query already reports the accrued state (what the next transaction will see)…
    let expected = before.accrued(&curve, 1000, m.chain.time());
    assert_eq!(State::of(&m.market(m.usdc)), expected);
    // …and `accrue` writes exactly that.
    m.accrue(m.usdc).unwrap();
    assert_eq!(State::of(&m.market(m.usdc)), expected);
    assert!(expected.tb > before.tb && expected.index > before.index);
    // The borrower's debt follows the index (V3's formula).
    let debt = amount(&m.balance(m.addr(ALICE), m.usdc)["debt"]);
    assert_eq!(debt, formulas::debt(95_000_000_000, expected.index, before.index));
}

/// V3: principal 5e18 borrowed at index 1, index now 3 → debt 15e18; repaying all pulls
/// exactly that.
#[test]
fn v3_debt_from_index() {
    let m = Market::new();
    m.supply(BOB, m.weth, 100 * E18).unwrap();
    m.supply(ALICE, m.usdc, 100_000_000_000).unwrap();
    m.borrow(ALICE, m.weth, 5 * E18).unwrap();
    let position = m.chain.storage(m.pool, &map_key("position", &[&m.addr(ALICE).0, &m.weth.0])).unwrap();
    let position: serde_json::Value = serde_json::from_slice(&position).unwrap();
    assert_eq!((amount(&position["principal"]), amount(&position["index_at_borrow"])), (5 * E18, WAD));
    // The index triples (and TB with it, as accrual would have done).
    m.set_market_state(m.weth, &[("borrow_index", uint(3 * WAD)), ("total_borrows", uint(15 * E18))]);
    assert_eq!(amount(&m.balance(m.addr(ALICE), m.weth)["debt"]), 15 * E18);
    let before = m.token_balance(m.weth, m.addr(ALICE));
    let receipt = m.repay(ALICE, m.weth, json!("all")).unwrap();
    assert_eq!(amount(&event(&receipt, "repay")["amount"]), 15 * E18);
    assert_eq!(m.token_balance(m.weth, m.addr(ALICE)), before - 15 * E18);
    assert_eq!(m.balance(m.addr(ALICE), m.weth)["debt"], json!("0"));
    assert_eq!(m.state(m.weth, "total_borrows"), 0);
}

/// Lists a market with `config` (18 decimals, $1, seed 100 tokens, so the suppliers' assets
/// are exactly 100e18) and returns, for each utilization in percent, the `rates` answer
/// `(utilization, borrow_apr, supply_apr)` after Alice has borrowed up to it.
fn rates_at(config: serde_json::Value, utilizations: &[u128]) -> Vec<(u128, u128, u128)> {
    let m = Market::new();
    let token = m.token("RATE", 18, &[(OWNER, 100 * E18)]);
    m.approve(OWNER, token, u128::MAX);
    m.set_price(token, USD);
    m.list(token, config, 100 * E18).unwrap();
    m.supply(ALICE, m.weth, E18).unwrap(); // $1600 of capacity against at most $100 of debt
    let mut borrowed = 0;
    utilizations
        .iter()
        .map(|u| {
            let target = u * E18;
            if target > borrowed {
                m.borrow(ALICE, token, target - borrowed).unwrap();
                borrowed = target;
            }
            let r = m.query(json!({"rates": {"asset": token}}));
            (amount(&r["utilization"]), amount(&r["borrow_apr"]), amount(&r["supply_apr"]))
        })
        .collect()
}

/// V4: Compound's JumpRate (base 10 %, multiplier 20 %, jump 100 %, kink 90 %) as base 0.10,
/// slope1 0.18, slope2 0.10, u_opt 0.9: APR at U = 0 / 10 / 89 / 90 / 91 / 100 % is
/// 10 / 12 / 27.8 / 28 / 29 / 38 %.
#[test]
fn v4_kinked_curve() {
    let config = curve_config(pct(10, 0), pct(18, 0), pct(10, 0), pct(90, 0), 1000);
    let utilizations = [0, 10, 89, 90, 91, 100];
    let expected = [pct(10, 0), pct(12, 0), pct(278, 1), pct(28, 0), pct(29, 0), pct(38, 0)];
    for ((u, (utilization, borrow_apr, _)), apr) in
        utilizations.iter().zip(rates_at(config, &utilizations)).zip(expected)
    {
        assert_eq!(utilization, pct(*u, 0), "U = {u} %");
        assert_eq!(borrow_apr, apr, "borrow APR at U = {u} %");
    }
}

/// V5: Aave's strategy (u_opt 0.8, slope1 0.04, slope2 0.75, base 0, rf 10 %): at U = 0 borrow
/// and supply 0; at 80 % borrow 4 %, supply 2.88 %; at 100 % borrow 79 %, supply 71.1 %.
#[test]
fn v5_aave_strategy() {
    let config = curve_config(0, pct(4, 0), pct(75, 0), pct(80, 0), 1000);
    let answers = rates_at(config, &[0, 80, 100]);
    assert_eq!(answers[0], (0, 0, 0));
    assert_eq!(answers[1], (pct(80, 0), pct(4, 0), pct(288, 2)));
    assert_eq!(answers[2], (WAD, pct(79, 0), pct(711, 1)));
    for (u, apr, supply) in answers {
        assert_eq!(supply, formulas::supply_apr(apr, u, 1000));
    }
}

/// V6: premium 9 bps, protocol share 30 %, amount 0.8e18 → premium 7.2e14, to reserves
/// 2.16e14, to suppliers 5.04e14; a market with cash 1e18 and shares 1e18 goes to ex
/// 1.000504e18; returning only the amount reverts everything.
#[test]
fn v6_flash_loan() {
    let m = Market::new();
    let dai = m.token("DAI", 18, &[(OWNER, 100 * E18)]);
    m.approve(OWNER, dai, u128::MAX);
    m.list(dai, weth_config(), E18).unwrap();
    let good = m.chain.instantiate(OWNER, "flash-receiver-good", json!({})).unwrap();
    let bad = m.chain.instantiate(OWNER, "flash-receiver-bad", json!({})).unwrap();
    for receiver in [good, bad] {
        m.transfer(OWNER, dai, receiver, E18);
    }
    let loan = 800_000_000_000_000_000;
    let flash =
        |receiver| m.exec(ALICE, json!({"flash_loan": {"asset": dai, "amount": uint(loan), "receiver": receiver}}));
    let premium = ceil(loan, 9, formulas::BPS);
    let to_reserves = floor(premium, 3000, formulas::BPS);
    assert_eq!(
        (premium, to_reserves, premium - to_reserves),
        (720_000_000_000_000, 216_000_000_000_000, 504_000_000_000_000)
    );

    // The bad receiver approves only the amount: the pull of amount + premium fails, and the
    // whole loan — the transfer out, the callback — is undone.
    let before = m.market(dai);
    let err = flash(bad).unwrap_err();
    assert!(err.contains("insufficient allowance"), "{err}");
    assert_eq!(m.market(dai), before);
    assert_eq!(m.token_balance(dai, bad), E18);
    assert_eq!(m.token_balance(dai, m.pool), E18);

    let receipt = flash(good).unwrap();
    let e = event(&receipt, "flash_loan");
    assert_eq!((amount(&e["premium"]), amount(&e["to_reserves"])), (premium, to_reserves));
    let after = m.market(dai);
    assert_eq!(amount(&after["exchange_rate"]), 1_000_504_000_000_000_000);
    let s = State::of(&after);
    assert_eq!((s.cash, s.tr, s.shares), (E18 + premium, to_reserves, E18), "cash rises by exactly the premium");
    assert_eq!(m.token_balance(dai, good), E18 - premium);
    assert_eq!(m.token_balance(dai, m.pool), E18 + premium);
    // The callback ran inside the pool's call: pool → token (send), pool → receiver → token
    // (approve), pool → token (pull).
    let trace = receipt.trace.as_ref().expect("trace");
    let receiver_frame = trace.children.iter().find(|f| f.contract == good).expect("the receiver was called");
    assert_eq!(receiver_frame.caller, m.pool);
    assert_eq!(receiver_frame.children.len(), 1);
}

/// V7: index 3, amount 100_000_000_000 at scale 1e6 → scaled supply 33_333_333_333_333_333
/// (floor), scaled debt 33_333_333_333_333_334 (ceil); back to amounts 99_999_999_999 and
/// 100_000_000_001. In the pool the "index" of a supply is its exchange rate: 3 at scale 1e6
/// is ex = 3e12 at scale 1e18.
#[test]
fn v7_rounding() {
    let m = Market::new();
    let ex = 3 * WAD / 1_000_000;
    let holders = [OWNER, ALICE, BOB, CAROL].map(|who| (who, 10u128.pow(15)));
    let token = m.token("RND", 6, &holders);
    for who in [OWNER, ALICE, BOB, CAROL] {
        m.approve(who, token, u128::MAX);
    }
    m.set_price(token, USD);
    m.list(token, usdc_config(), 3_000_000).unwrap();
    // A consistent state at ex = 3e12: the pool's locked seed is 1e12 shares worth 3e6 units.
    let seed_shares = 1_000_000_000_000;
    m.set_market_state(token, &[("total_shares", uint(seed_shares))]);
    let seed_position =
        json!({"shares": uint(seed_shares), "collateral": false, "principal": "0", "index_at_borrow": "0"});
    m.chain.set_storage(m.pool, &map_key("position", &[&m.pool.0, &token.0]), seed_position.to_string().as_bytes());
    assert_eq!(amount(&m.market(token)["exchange_rate"]), ex);

    // Supply: shares floor(amount·WAD/ex), worth floor(shares·ex/WAD).
    let supplied = 100_000_000_000;
    let receipt = m.supply(ALICE, token, supplied).unwrap();
    let minted = amount(&event(&receipt, "supply")["shares"]);
    assert_eq!(minted, 33_333_333_333_333_333);
    assert_eq!(minted, floor(supplied, WAD, ex));
    assert_eq!(amount(&m.market(token)["exchange_rate"]), ex, "rounding kept the rate");
    assert_eq!(amount(&m.balance(m.addr(ALICE), token)["supplied"]), 99_999_999_999);
    // Withdrawing the exact amount burns ceil(amount·WAD/ex) = …334 shares: one more than Alice
    // has, so she cannot take out what she put in.
    let err = m.withdraw(ALICE, token, uint(supplied)).unwrap_err();
    assert!(err.contains("insufficient supplied balance"), "{err}");

    // Bob, with more shares, withdraws exactly 1e11: he is charged 33_333_333_333_333_334
    // shares, which are worth 100_000_000_001 rounded up.
    m.supply(BOB, token, 2 * supplied).unwrap();
    assert_eq!(amount(&m.market(token)["exchange_rate"]), ex);
    let bob_tokens = m.token_balance(token, m.addr(BOB));
    let receipt = m.withdraw(BOB, token, uint(supplied)).unwrap();
    let burned = amount(&event(&receipt, "withdraw")["shares"]);
    assert_eq!(burned, 33_333_333_333_333_334);
    assert_eq!(burned, ceil(supplied, WAD, ex));
    assert_eq!(ceil(burned, ex, WAD), 100_000_000_001);
    assert_eq!(m.token_balance(token, m.addr(BOB)), bob_tokens + supplied);

    // Debt rounds up too: borrowed at index 3 (scale 1e18), read at an index one unit higher,
    // a debt of 1e11 is ceil(1e11·(3e18 + 1)/3e18) = 100_000_000_001, and repaying "all" pulls
    // exactly that.
    m.supply(CAROL, m.weth, 100 * E18).unwrap();
    m.set_market_state(token, &[("borrow_index", uint(3 * WAD))]);
    m.borrow(CAROL, token, supplied).unwrap();
    m.set_market_state(token, &[("borrow_index", uint(3 * WAD + 1))]);
    let debt = amount(&m.balance(m.addr(CAROL), token)["debt"]);
    assert_eq!(debt, 100_000_000_001);
    assert_eq!(debt, formulas::debt(supplied, 3 * WAD + 1, 3 * WAD));
    let receipt = m.repay(CAROL, token, json!("all")).unwrap();
    assert_eq!(amount(&event(&receipt, "repay")["amount"]), 100_000_000_001);
}

/// V8: the attacker supplies 1 unit, then transfers 100e18 straight to the pool; a victim then
/// supplies 42e18 → 42e18 shares (ex unchanged, since cash is internal) and later withdraws
/// exactly 42e18; the donation is the attacker's loss.
#[test]
fn v8_donation() {
    let m = Market::new();
    let dai = m.token("DAI", 18, &[(OWNER, E18), (BOB, 200 * E18), (ALICE, 100 * E18)]);
    for who in [OWNER, ALICE, BOB] {
        m.approve(who, dai, u128::MAX);
    }
    m.list(dai, weth_config(), 1000).unwrap();
    m.supply(BOB, dai, 1).unwrap();
    m.transfer(BOB, dai, m.pool, 100 * E18);
    let market = m.market(dai);
    assert_eq!(amount(&market["exchange_rate"]), WAD, "the donation is not cash");
    assert_eq!(State::of(&market).cash, 1001);
    m.supply(ALICE, dai, 42 * E18).unwrap();
    assert_eq!(amount(&m.balance(m.addr(ALICE), dai)["shares"]), 42 * E18);
    m.withdraw(ALICE, dai, uint(42 * E18)).unwrap();
    assert_eq!(m.token_balance(dai, m.addr(ALICE)), 100 * E18);
    // The attacker gets back only the 1 unit supplied; the 100e18 stay in the pool, unowned.
    m.withdraw(BOB, dai, json!("all")).unwrap();
    assert_eq!(m.token_balance(dai, m.addr(BOB)), 100 * E18);
    assert_eq!(m.token_balance(dai, m.pool), 100 * E18 + 1000);
}
