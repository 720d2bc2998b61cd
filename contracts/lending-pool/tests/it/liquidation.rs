//! Liquidation: the close factor above HF 0.95, the full close below it, the collateral cap
//! and the bad-debt write-off.

use tidepool_sdk::serde_json::json;

use crate::*;

/// Alice: 10 WETH of collateral ($20 000) and 16 000 USDC of debt (exactly at capacity).
fn borrowed_to_the_limit() -> Market {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 16_000_000_000).unwrap();
    m
}

fn liquidate(m: &Market, liquidator: Address, cover: &str) -> Result<Vec<u8>, String> {
    m.exec(
        liquidator,
        json!({"liquidate": {"borrower": ALICE, "debt_asset": m.usdc, "collateral_asset": m.weth, "debt_to_cover": cover}}),
    )
}

#[test]
fn healthy_accounts_and_self_liquidation_are_refused() {
    let m = borrowed_to_the_limit();
    assert_eq!(m.position(ALICE)["health_factor"], json!("1031250000000000000"));
    assert!(liquidate(&m, BOB, "all").unwrap_err().contains("not below 1"));
    m.set_price(m.weth, 1900 * USD);
    assert!(liquidate(&m, ALICE, "all").unwrap_err().contains("the liquidator is the borrower"));
}

#[test]
fn close_factor_limits_a_liquidation_above_095() {
    let m = borrowed_to_the_limit();
    m.set_price(m.weth, 1900 * USD); // HF = 19000·0.825/16000 = 0.9796875
    let (bob_usdc, bob_weth) = (m.token_balance(m.usdc, BOB), m.token_balance(m.weth, BOB));
    liquidate(&m, BOB, "all").unwrap();
    // x = 8000 USDC; C = floor(floor(8000/1900 WETH)·1.05); fee = ceil(10 % of the bonus).
    let seized: u128 = 4_421_052_631_578_947_368;
    let bonus = seized - seized * 10_000 / 10_500;
    let fee = (bonus * 1000).div_ceil(10_000);
    assert_eq!(m.token_balance(m.usdc, BOB), bob_usdc - 8_000_000_000);
    assert_eq!(m.token_balance(m.weth, BOB), bob_weth + seized - fee);
    let alice = m.balance(ALICE, m.weth);
    assert_eq!(amount(&alice["shares"]), 10 * E18 - seized); // ex is exactly 1
    assert_eq!(m.balance(ALICE, m.usdc)["debt"], json!("8000000000"));
    assert_eq!(amount(&m.balance(TREASURY, m.weth)["supplied"]), fee);
    let event = m.chain.take_events().into_iter().find(|e| e.ty == "liquidate").unwrap();
    assert_eq!(event.data["repaid"], json!("8000000000"));
    assert_eq!(event.data["protocol_fee"], json!(fee.to_string()));
}

#[test]
fn full_close_below_095_then_bad_debt_is_written_off() {
    let m = borrowed_to_the_limit();
    m.set_price(m.weth, 1500 * USD); // HF 0.7734: full close; collateral caps the repayment
    let usdc_ex_before = m.market_state(m.usdc)["exchange_rate"].clone();
    liquidate(&m, BOB, "all").unwrap();
    // C = all 10 WETH; need = ceil(15000 USDC · 10000 / 10500) = 14285.714286 USDC.
    let events = m.chain.take_events();
    let liq = events.iter().find(|e| e.ty == "liquidate").unwrap();
    assert_eq!(liq.data["repaid"], json!("14285714286"));
    assert_eq!(liq.data["seized"], json!((10 * E18).to_string()));
    // Nothing left as collateral: the remaining debt is written off; no reserves yet, so
    // suppliers bear all of it.
    let bad = events.iter().find(|e| e.ty == "bad_debt").unwrap();
    assert_eq!(bad.data["debt"], json!("1714285714"));
    assert_eq!(bad.data["deficit"], json!("1714285714"));
    assert_eq!(m.balance(ALICE, m.usdc)["debt"], json!("0"));
    let usdc = m.market_state(m.usdc);
    assert_eq!(usdc["state"]["total_borrows"], json!("0"));
    assert_eq!(usdc["state"]["deficit"], json!("1714285714"));
    assert!(amount(&usdc["exchange_rate"]) < amount(&usdc_ex_before), "suppliers bear the loss");
    assert_eq!(m.position(ALICE)["markets"], json!([]));
}

#[test]
fn receive_shares_moves_collateral_inside_the_pool() {
    let m = borrowed_to_the_limit();
    m.set_price(m.weth, 1900 * USD);
    let msg = json!({"liquidate": {"borrower": ALICE, "debt_asset": m.usdc, "collateral_asset": m.weth,
        "debt_to_cover": "1000000000", "receive_shares": true}});
    let bob_weth = m.token_balance(m.weth, BOB);
    m.exec(BOB, msg).unwrap();
    assert_eq!(m.token_balance(m.weth, BOB), bob_weth, "no tokens move");
    let seized = 1_000_000_000u128 * USD * E18 / (1900 * USD * 1_000_000) * 10_500 / 10_000;
    let bob = m.balance(BOB, m.weth);
    let treasury = m.balance(TREASURY, m.weth);
    assert_eq!(amount(&bob["shares"]) + amount(&treasury["shares"]), seized);
    assert_eq!(bob["collateral"], json!(true));
}
