//! docs/lending.md's attack table through the real VM: each test mounts the attack and shows the
//! defence holding.
//!
//! | attack | tests |
//! |---|---|
//! | empty-market inflation / donation | [`an_empty_market_cannot_be_inflated`], [`a_deposit_worth_zero_shares_is_refused`], `vectors::v8_donation` |
//! | token-callback re-entry | [`token_callback_reentry_is_refused_by_the_vm`], [`the_pool_lock_holds_when_the_vm_allows_reentry`], [`the_lock_is_released_after_every_call`] |
//! | fee-on-transfer tokens | [`fee_on_transfer_tokens_are_refused`], [`a_reported_fee_is_refused_without_a_balance_query`], [`a_token_that_does_not_report_is_measured`], [`a_token_that_stops_reporting_is_refused`] |
//! | oracle manipulation | [`zero_stale_and_missing_prices_are_refused`], `token_oracle::only_the_owner_sets_prices_stamped_with_block_time` |
//! | missing health check | [`no_path_skips_the_health_check`] |
//! | dust and bad debt | [`close_factor_above_095`], [`full_close_below_095_then_bad_debt_is_written_off`], [`reserves_absorb_bad_debt_first`] |
//! | stale interest | [`interest_is_accrued_before_every_check`] |
//! | rounding games | [`rounding_games_do_not_pay`], `vectors::v7_rounding` |
//! | flash-loan callback manipulation | [`the_pool_is_locked_during_a_flash_loan_callback`], `vectors::v6_flash_loan` |

use serde_json::{Value, json};
use tidepool_ledger::Address;

use super::formulas::{self, LiquidationInput, Priced, State, floor};
use super::harness::*;

const WETH: Priced = Priced { price: 2000 * USD, decimals: 18 };
const USDC: Priced = Priced { price: USD, decimals: 6 };

/// Hundred / Radiant: the first depositor of an empty market inflates the share price. Here a
/// market is never empty (its seed of ≥ 1000 units is locked in the pool's own position), and a
/// donation does not move the exchange rate.
#[test]
fn an_empty_market_cannot_be_inflated() {
    let m = Market::new();
    let dai = m.token("DAI", 18, &[(OWNER, E18), (BOB, 200 * E18)]);
    m.approve(OWNER, dai, u128::MAX);
    m.approve(BOB, dai, u128::MAX);
    let err = m.list(dai, weth_config(), 999).unwrap_err();
    assert!(err.contains("at least 1000"), "{err}");
    m.list(dai, weth_config(), 1000).unwrap();
    // Everyone leaves: the seed shares stay, held by the pool itself.
    m.supply(BOB, dai, 5 * E18).unwrap();
    m.withdraw(BOB, dai, json!("all")).unwrap();
    let s = State::of(&m.market(dai));
    assert_eq!((s.cash, s.shares), (1000, 1000));
    assert_eq!(amount(&m.balance(m.pool, dai)["shares"]), 1000);
    // The attacker's smallest deposit plus a donation: the rate does not move.
    m.supply(BOB, dai, 1).unwrap();
    m.transfer(BOB, dai, m.pool, 100 * E18);
    assert_eq!(amount(&m.market(dai)["exchange_rate"]), WAD);
    assert_eq!(State::of(&m.market(dai)).cash, 1001);
}

/// A deposit that would mint 0 shares (exchange rate above 1) is an error, not a gift.
#[test]
fn a_deposit_worth_zero_shares_is_refused() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 90_000_000_000).unwrap();
    m.chain.warp(3000);
    m.accrue(m.usdc).unwrap();
    let ex = amount(&m.market(m.usdc)["exchange_rate"]);
    assert!(ex > WAD);
    assert_eq!(floor(1, WAD, ex), 0);
    let before = m.market(m.usdc);
    let err = m.supply(CAROL, m.usdc, 1).unwrap_err();
    assert!(err.contains("0 shares"), "{err}");
    assert_eq!(m.market(m.usdc), before);
}

/// Deploys the callback token (Cream/AMP) as a listed market with the given hook message.
fn callback_market(m: &Market, pool: Address, hook: &Value) -> Address {
    let amp = m
        .chain
        .instantiate(
            OWNER,
            "callback-token",
            token_msg(&m.chain, "AMP", 18, &[(m.addr(OWNER), E18), (m.addr(ALICE), E18)]),
        )
        .unwrap();
    for who in [OWNER, ALICE] {
        m.chain.execute(who, amp, json!({"approve": {"spender": pool, "amount": uint(u128::MAX)}})).unwrap();
    }
    m.set_price(amp, USD);
    m.chain.execute(ALICE, amp, json!({"set_hook": {"msg": hook.to_string()}})).unwrap();
    amp
}

/// Cream/AMP: a token whose transfer calls back into the pool mid-supply. The VM refuses the
/// re-entry (the pool did not opt in), the token's transfer fails with it, and the supply reverts.
#[test]
fn token_callback_reentry_is_refused_by_the_vm() {
    let m = Market::new();
    let amp = callback_market(&m, m.pool, &json!({"borrow": {"asset": m.usdc, "amount": "1"}}));
    // Listing pulls the seed with transfer_from to the pool: the hook re-enters already there.
    let err = m.list(amp, weth_config(), 1000).unwrap_err();
    assert!(err.contains("re-entry") && err.contains("refused"), "{err}");
    m.chain.execute(ALICE, amp, json!({"set_hook": {"msg": null}})).unwrap();
    m.list(amp, weth_config(), 1000).unwrap();
    m.chain
        .execute(
            ALICE,
            amp,
            json!({"set_hook": {"msg": json!({"borrow": {"asset": m.usdc, "amount": "1"}}).to_string()}}),
        )
        .unwrap();
    let before = (m.market(amp), m.market(m.usdc), m.token_balance(amp, m.addr(ALICE)));
    let receipt = m.chain.receipt(ALICE, m.pool, json!({"supply": {"asset": amp, "amount": "1000"}}));
    let err = receipt.error.clone().expect("the supply failed");
    assert!(err.contains("re-entry") && err.contains("refused"), "{err}");
    assert!(receipt.events.is_empty());
    // The refusal is the VM's: deep in the trace, the token's call into the pool is refused.
    let trace = serde_json::to_string(&receipt.trace).unwrap();
    assert!(trace.contains(&format!("re-entry into {} refused", m.pool)), "{trace}");
    assert_eq!((m.market(amp), m.market(m.usdc), m.token_balance(amp, m.addr(ALICE))), before, "nothing happened");
}

/// `wasm` with one more export, `tidepool_reentrant`, aliasing the `tidepool_abi_v1` marker (an
/// empty `() -> ()` function): the module opts in to re-entry, nothing else changes.
fn opt_in_to_reentry(wasm: &[u8]) -> Vec<u8> {
    fn leb(bytes: &[u8], at: &mut usize) -> u32 {
        let (mut value, mut shift) = (0u32, 0);
        loop {
            let b = bytes[*at];
            *at += 1;
            value |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }
    fn put_leb(out: &mut Vec<u8>, mut v: u32) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at) as usize;
        let body = &wasm[at..at + size];
        at += size;
        let body = if id == 7 {
            let mut p = 0;
            let count = leb(body, &mut p);
            let mut marker = None;
            for _ in 0..count {
                let len = leb(body, &mut p) as usize;
                let name = &body[p..p + len];
                p += len;
                let kind = body[p];
                p += 1;
                let index = leb(body, &mut p);
                if name == tidepool_abi::ABI_MARKER_EXPORT.as_bytes() && kind == 0 {
                    marker = Some(index);
                }
            }
            let mut new = Vec::new();
            put_leb(&mut new, count + 1);
            let mut p = 0;
            leb(body, &mut p);
            new.extend_from_slice(&body[p..]);
            let name = tidepool_abi::REENTRANT_MARKER_EXPORT.as_bytes();
            put_leb(&mut new, name.len() as u32);
            new.extend_from_slice(name);
            new.push(0);
            put_leb(&mut new, marker.expect("the module exports the ABI marker"));
            new
        } else {
            body.to_vec()
        };
        out.push(id);
        put_leb(&mut out, body.len() as u32);
        out.extend_from_slice(&body);
    }
    out
}

/// The pool's own lock, with the VM's guard out of the way: the same pool wasm, opted in to
/// re-entry, still refuses a call that comes back through a token callback.
#[test]
fn the_pool_lock_holds_when_the_vm_allows_reentry() {
    let m = Market::new();
    let wasm = opt_in_to_reentry(tidepool_artifacts::LENDING_POOL);
    assert!(m.chain.node().vm().prepare_code(&wasm).unwrap().expect("the modified pool is valid wasm").reentrant);
    let code = m.chain.upload(OWNER, &wasm).unwrap();
    let pool = m
        .chain
        .instantiate_code(OWNER, &code, json!({"oracle": m.oracle, "treasury": TREASURY}), "reentrant pool")
        .unwrap();
    let amp = callback_market(&m, pool, &json!({"accrue": {"asset": m.weth}}));
    let list = json!({"list_market": {"asset": amp, "config": weth_config(), "seed": "1000"}});
    let err = m.chain.execute(OWNER, pool, list.clone()).unwrap_err();
    assert!(err.contains("the pool is locked"), "{err}");
    // Without the hook, the same listing goes through.
    m.chain.execute(ALICE, amp, json!({"set_hook": {"msg": null}})).unwrap();
    m.chain.execute(OWNER, pool, list).unwrap();
}

/// The lock is held only during a call: it is gone after a success and after a failure (whose
/// writes are reverted), so a stuck lock can never freeze the pool.
#[test]
fn the_lock_is_released_after_every_call() {
    let m = Market::new();
    m.supply(ALICE, m.weth, E18).unwrap();
    assert_eq!(m.chain.storage(m.pool, b"lock"), None);
    m.borrow(ALICE, m.usdc, u128::from(u64::MAX)).unwrap_err();
    assert_eq!(m.chain.storage(m.pool, b"lock"), None);
    // And a held lock does refuse everything.
    m.chain.set_storage(m.pool, b"lock", b"true");
    let err = m.supply(ALICE, m.weth, E18).unwrap_err();
    assert!(err.contains("the pool is locked"), "{err}");
}

/// A fee-on-transfer token credits less than it debits: the pool checks what arrived and
/// refuses the token.
#[test]
fn fee_on_transfer_tokens_are_refused() {
    let m = Market::new();
    let msg = json!({"token": token_msg(&m.chain, "FEE", 18, &[(m.addr(OWNER), E18)]), "fee_bps": 100});
    let fee = m.chain.instantiate(OWNER, "fee-token", msg).unwrap();
    m.approve(OWNER, fee, u128::MAX);
    m.set_price(fee, USD);
    let err = m.list(fee, weth_config(), 10_000).unwrap_err();
    assert!(err.contains("9900 arrived of 10000"), "{err}");
    assert_eq!(m.token_balance(fee, m.pool), 0);
    assert!(m.chain.query(m.pool, &json!({"market": {"asset": fee}})).unwrap_err().contains("no market"));
}

/// A fee-on-transfer token listed with its fee at 0 and `fee_bps` written afterwards: from
/// then on it delivers 1 % less. `reports_delivery` is the token's own setting.
fn fee_token_charging_after_listing(m: &Market, reports_delivery: bool) -> Address {
    let holders = [(m.addr(OWNER), E18), (m.addr(ALICE), E18)];
    let msg =
        json!({"token": token_msg(&m.chain, "FEE", 18, &holders), "fee_bps": 0, "reports_delivery": reports_delivery});
    let fee = m.chain.instantiate(OWNER, "fee-token", msg).unwrap();
    m.approve(OWNER, fee, u128::MAX);
    m.approve(ALICE, fee, u128::MAX);
    m.set_price(fee, USD);
    m.list(fee, weth_config(), 10_000).unwrap();
    fee
}

/// The pool's calls during one `supply` of 10,000 units by Alice.
fn supply_calls(m: &Market, asset: Address) -> Vec<String> {
    calls_made(&m.supply(ALICE, asset, 10_000).unwrap())
}

/// A token whose `token_info` says it reports delivery gets a market that takes
/// `transfer_from`'s answer for what arrived: a pull is one call, no balance query, and a fee
/// the token starts charging is still refused, from its own answer.
#[test]
fn a_reported_fee_is_refused_without_a_balance_query() {
    let m = Market::new();
    let fee = fee_token_charging_after_listing(&m, true);
    assert_eq!(m.market(fee)["arrival"], "reported");
    assert_eq!(supply_calls(&m, fee), ["execute transfer_from"]);

    m.chain.set_storage(fee, b"fee_bps", b"100");
    let cash = m.state(fee, "cash");
    let err = m.supply(ALICE, fee, 10_000).unwrap_err();
    assert!(err.contains("9900 arrived of 10000"), "{err}");
    assert_eq!(m.state(fee, "cash"), cash);
    assert_eq!(m.token_balance(fee, m.addr(ALICE)), E18 - 10_000);
}

/// A token that does not report delivery gets a market that reads the pool's balance before and
/// after each pull, and refuses the fee from those; so does a market stored before markets
/// recorded how (no `arrival` field), whatever its token says.
#[test]
fn a_token_that_does_not_report_is_measured() {
    let m = Market::new();
    let fee = fee_token_charging_after_listing(&m, false);
    assert_eq!(m.market(fee)["arrival"], "measured");
    let measured = ["query balance", "execute transfer_from", "query balance"];
    assert_eq!(supply_calls(&m, fee), measured);
    m.chain.set_storage(fee, b"fee_bps", b"100");
    let err = m.supply(ALICE, fee, 10_000).unwrap_err();
    assert!(err.contains("9900 arrived of 10000"), "{err}");

    let mut old = m.stored_market(m.weth);
    assert_eq!(old["arrival"], "reported");
    old.as_object_mut().unwrap().remove("arrival");
    m.chain.set_storage(m.pool, &map_key("market", &[&m.weth.0]), old.to_string().as_bytes());
    assert_eq!(m.market(m.weth)["arrival"], "measured");
    assert_eq!(supply_calls(&m, m.weth), measured);
}

/// A token listed as reporting that stops (its code migrated, here its setting written) is
/// refused rather than trusted: the pool does not fall back to crediting an unreported pull.
#[test]
fn a_token_that_stops_reporting_is_refused() {
    let m = Market::new();
    let fee = fee_token_charging_after_listing(&m, true);
    m.chain.set_storage(fee, b"reports_delivery", b"false");
    let err = m.supply(ALICE, fee, 10_000).unwrap_err();
    assert!(err.contains("unsupported token: its transfer_from answer reports no delivery"), "{err}");
    assert_eq!(m.token_balance(fee, m.addr(ALICE)), E18);
}

/// Pushed prices only, and a zero, stale or missing price is refused wherever a price is needed
/// (borrow, liquidation, the position query); an account without debt never needs one.
#[test]
fn zero_stale_and_missing_prices_are_refused() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 16_000_000_000).unwrap();
    // An hour and a second later, both prices are stale (max_price_age 3600 s).
    m.chain.warp(3601);
    let err = m.borrow(ALICE, m.usdc, 1).unwrap_err();
    assert!(err.contains("stale price"), "{err}");
    let err = m.chain.query(m.pool, &json!({"position": {"user": m.addr(ALICE)}})).unwrap_err();
    assert!(err.contains("stale price"), "{err}");
    // A crash pushed now, while the USDC price is still stale: no liquidation on a stale price.
    m.set_price(m.weth, 1000 * USD);
    let liquidate = json!({"liquidate": {"borrower": m.addr(ALICE), "debt_asset": m.usdc, "collateral_asset": m.weth, "debt_to_cover": "all"}});
    let err = m.exec(BOB, liquidate.clone()).unwrap_err();
    assert!(err.contains("stale price"), "{err}");
    // A zero price is refused too: of the debt asset in a liquidation, of the collateral in a
    // borrow.
    m.set_price(m.usdc, 0);
    let err = m.exec(BOB, liquidate).unwrap_err();
    assert!(err.contains("zero price"), "{err}");
    m.set_price(m.usdc, USD);
    m.set_price(m.weth, 0);
    let err = m.borrow(ALICE, m.usdc, 1).unwrap_err();
    assert!(err.contains("zero price"), "{err}");
    // A market whose asset has no price at all: borrowing against it fails.
    let dai = m.token("DAI", 18, &[(OWNER, 100 * E18), (CAROL, 100 * E18)]);
    m.approve(OWNER, dai, u128::MAX);
    m.approve(CAROL, dai, u128::MAX);
    m.list(dai, weth_config(), 1000).unwrap();
    m.supply(CAROL, dai, 10 * E18).unwrap();
    m.set_price(m.usdc, USD);
    let err = m.borrow(CAROL, m.usdc, 1).unwrap_err();
    assert!(err.contains("no price"), "{err}");
    // Bob has no debt: his withdrawal needs no price.
    m.set_price(m.usdc, 0);
    m.withdraw(BOB, m.usdc, uint(1000)).unwrap();
}

/// Euler: every path that lowers collateral or adds debt ends with a health check, and a
/// borrower cannot liquidate themselves.
#[test]
fn no_path_skips_the_health_check() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, E18).unwrap();
    // Capacity: 1 WETH × $2000 × 80 % = $1600.
    assert!(m.borrow(ALICE, m.usdc, 1_600_000_001).unwrap_err().contains("unhealthy"));
    m.borrow(ALICE, m.usdc, 1_600_000_000).unwrap();
    let refused = [
        json!({"withdraw": {"asset": m.weth, "amount": "1"}}),
        json!({"withdraw": {"asset": m.weth, "amount": "all"}}),
        json!({"withdraw": {"asset": m.weth, "amount": "1", "to": m.addr(CAROL)}}),
        json!({"set_collateral": {"asset": m.weth, "enabled": false}}),
        json!({"borrow": {"asset": m.usdc, "amount": "1", "to": m.addr(CAROL)}}),
        json!({"borrow": {"asset": m.weth, "amount": "1"}}),
    ];
    for msg in refused {
        let err = m.exec(ALICE, msg.clone()).unwrap_err();
        assert!(err.contains("unhealthy"), "{msg}: {err}");
    }
    m.set_price(m.weth, 1900 * USD);
    let own = json!({"liquidate": {"borrower": m.addr(ALICE), "debt_asset": m.usdc, "collateral_asset": m.weth, "debt_to_cover": "all"}});
    assert!(m.exec(ALICE, own).unwrap_err().contains("the liquidator is the borrower"));
}

fn liquidate(m: &Market, liquidator: usize, cover: Value) -> Result<tidepool_node::Receipt, String> {
    m.exec(
        liquidator,
        json!({"liquidate": {"borrower": m.addr(ALICE), "debt_asset": m.usdc, "collateral_asset": m.weth, "debt_to_cover": cover}}),
    )
}

/// Alice's liquidation as the formulas say it goes, at WETH price `price`.
fn expected_liquidation(m: &Market, price: u128, cover: u128) -> (u128, formulas::Liquidation) {
    let hf = amount(&m.position(m.addr(ALICE))["health_factor"]);
    let debt = amount(&m.balance(m.addr(ALICE), m.usdc)["debt"]);
    let collateral = amount(&m.balance(m.addr(ALICE), m.weth)["supplied"]);
    let input = LiquidationInput {
        hf,
        debt,
        debt_to_cover: cover,
        collateral,
        debt_asset: USDC,
        collateral_asset: Priced { price, ..WETH },
        lb: 10500,
        liq_fee: 1000,
    };
    (hf, formulas::liquidation(&input))
}

/// Above HF 0.95 one liquidation repays at most half the debt, and a healthy account cannot be
/// liquidated at all.
#[test]
fn close_factor_above_095() {
    let m = Market::borrowed_to_the_limit();
    assert_eq!(
        amount(&m.position(m.addr(ALICE))["health_factor"]),
        floor(20_000 * USD * 8250 / 10_000, WAD, 16_000 * USD)
    );
    assert!(liquidate(&m, BOB, json!("all")).unwrap_err().contains("not below 1"));
    m.set_price(m.weth, 1900 * USD);
    let (hf, expected) = expected_liquidation(&m, 1900 * USD, u128::MAX);
    assert!(hf > 950_000_000_000_000_000 && hf < WAD, "{hf}");
    assert_eq!(hf, 979_687_500_000_000_000, "19 000 · 0.825 / 16 000");
    assert_eq!(expected.repaid, 8_000_000_000, "half of 16 000 USDC");
    // C = floor(floor(8000 USDC / $1900) · 1.05) WETH.
    assert_eq!(expected.seized, 4_421_052_631_578_947_368);
    let (bob_usdc, bob_weth) = (m.token_balance(m.usdc, m.addr(BOB)), m.token_balance(m.weth, m.addr(BOB)));
    let receipt = liquidate(&m, BOB, json!("all")).unwrap();
    let e = event(&receipt, "liquidate");
    assert_eq!(amount(&e["health_factor"]), hf);
    assert_eq!(amount(&e["repaid"]), expected.repaid);
    assert_eq!(amount(&e["seized"]), expected.seized);
    assert_eq!(amount(&e["protocol_fee"]), expected.fee);
    assert_eq!(m.token_balance(m.usdc, m.addr(BOB)), bob_usdc - expected.repaid);
    assert_eq!(m.token_balance(m.weth, m.addr(BOB)), bob_weth + expected.seized - expected.fee);
    assert_eq!(amount(&m.balance(m.addr(ALICE), m.usdc)["debt"]), 16_000_000_000 - expected.repaid);
    // ex is exactly 1, so shares are tokens: Alice lost C, the treasury holds the fee.
    assert_eq!(amount(&m.balance(m.addr(ALICE), m.weth)["shares"]), 10 * E18 - expected.seized);
    assert_eq!(amount(&m.balance(TREASURY, m.weth)["supplied"]), expected.fee);
    // The liquidator's value never beats the bonus: seized value ≤ repaid · lb.
    let seized_value = formulas::value(expected.seized, 1900 * USD, 18, false);
    assert!(seized_value <= formulas::value(expected.repaid, USD, 6, true) * 10500 / 10_000);
}

/// Below HF 0.95 the whole debt may go; here the collateral runs out first (it caps the
/// repayment), and the debt left without collateral is written off.
#[test]
fn full_close_below_095_then_bad_debt_is_written_off() {
    let m = Market::borrowed_to_the_limit();
    m.set_price(m.weth, 1500 * USD);
    let (hf, expected) = expected_liquidation(&m, 1500 * USD, u128::MAX);
    assert!(hf <= 950_000_000_000_000_000);
    assert_eq!(expected.seized, 10 * E18, "the collateral caps the liquidation");
    // need = ceil(15 000 USDC · 10 000 / 10 500).
    assert_eq!(expected.repaid, 14_285_714_286);
    let before = State::of(&m.market(m.usdc));
    let receipt = liquidate(&m, BOB, json!("all")).unwrap();
    assert_eq!(amount(&event(&receipt, "liquidate")["repaid"]), expected.repaid);
    let left = 16_000_000_000 - expected.repaid;
    assert_eq!(left, 1_714_285_714);
    let bad = event(&receipt, "bad_debt");
    assert_eq!((amount(&bad["debt"]), amount(&bad["absorbed_by_reserves"]), amount(&bad["deficit"])), (left, 0, left));
    assert_eq!(m.balance(m.addr(ALICE), m.usdc)["debt"], json!("0"));
    let after = State::of(&m.market(m.usdc));
    assert_eq!(after.tb, 0);
    assert_eq!(after.deficit, left);
    // Suppliers bear exactly the deficit.
    assert_eq!(after.cash + after.tb - after.tr, before.cash + before.tb - before.tr - left);
    assert!(after.ex() < before.ex());
    assert_eq!(m.position(m.addr(ALICE))["markets"], json!([]));
}

/// Bad debt is taken from reserves first; suppliers bear only what reserves cannot cover.
#[test]
fn reserves_absorb_bad_debt_first() {
    let m = Market::borrowed_to_the_limit();
    m.chain.warp(30 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    m.accrue(m.usdc).unwrap();
    let reserves = m.state(m.usdc, "total_reserves");
    assert!(reserves > 0);
    m.set_price(m.weth, 1500 * USD);
    let before = State::of(&m.market(m.usdc));
    let receipt = liquidate(&m, BOB, json!("all")).unwrap();
    let repaid = amount(&event(&receipt, "liquidate")["repaid"]);
    let bad = event(&receipt, "bad_debt");
    let debt = amount(&bad["debt"]);
    assert!(debt > reserves, "the write-off exceeds the reserves");
    assert_eq!(amount(&bad["absorbed_by_reserves"]), reserves);
    assert_eq!(amount(&bad["deficit"]), debt - reserves);
    let after = State::of(&m.market(m.usdc));
    assert_eq!(after.tr, 0);
    assert_eq!(after.deficit, debt - reserves);
    // TB drops by the repayment and the write-off, saturating: the ceil'd debt may exceed TB by
    // the rounding invariant 3 allows (one borrower, one accrual: at most 2 units here).
    let rounding = (repaid + debt).saturating_sub(before.tb);
    assert!(rounding <= 2, "{rounding}");
    assert_eq!(after.tb, (before.tb - repaid).saturating_sub(debt));
    // Suppliers bear the deficit (less what the saturation kept in TB).
    assert_eq!(after.cash + after.tb - after.tr, before.cash + before.tb - before.tr - (debt - reserves) + rounding);
}

/// Interest is accrued on every touched market before any check: after time passes with no
/// one calling `accrue`, the health check and the liquidation see the debt with its interest.
#[test]
fn interest_is_accrued_before_every_check() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 20_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 10 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 15_900_000_000).unwrap();
    let borrowed_at = State::of(&m.stored_market(m.usdc)).last_accrual;
    // Against the debt as stored (15 900 USDC), withdrawing 0.05 WETH would leave capacity
    // 9.95 × 2000 × 0.8 = 15 920: fine. A year of interest later, it is not.
    m.chain.warp(365 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    assert!(amount(&m.balance(m.addr(ALICE), m.usdc)["debt"]) > 15_920_000_000);
    let err = m.withdraw(ALICE, m.weth, uint(E18 / 20)).unwrap_err();
    assert!(err.contains("unhealthy"), "{err}");
    assert_eq!(State::of(&m.stored_market(m.usdc)).last_accrual, borrowed_at, "no one accrued the USDC market");
    // Another year: interest alone takes the health factor below 1, and a liquidation works
    // without any accrue call first.
    m.chain.warp(365 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    let hf = amount(&m.position(m.addr(ALICE))["health_factor"]);
    assert!(hf < WAD, "{hf}");
    assert_eq!(State::of(&m.stored_market(m.usdc)).last_accrual, borrowed_at);
    let receipt = liquidate(&m, BOB, uint(1_000_000_000)).unwrap();
    assert_eq!(amount(&event(&receipt, "liquidate")["health_factor"]), hf);
    assert_eq!(State::of(&m.stored_market(m.usdc)).last_accrual, m.chain.time());
}

/// Rounding always favours the pool: tiny exact withdrawals burn a share each time (never 0),
/// tiny borrows are repaid in full, and a supply-then-withdraw never returns more.
#[test]
fn rounding_games_do_not_pay() {
    let m = Market::new();
    m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
    m.supply(ALICE, m.weth, 100 * E18).unwrap();
    m.borrow(ALICE, m.usdc, 90_000_000_000).unwrap();
    m.chain.warp(365 * 24 * 3600);
    m.refresh_prices(2000 * USD);
    m.accrue(m.usdc).unwrap();
    let ex = amount(&m.market(m.usdc)["exchange_rate"]);
    assert!(ex > WAD && ex < 2 * WAD, "{ex}");

    let dave = m.addr(DAVE);
    let start = m.token_balance(m.usdc, dave);
    m.supply(DAVE, m.usdc, 1_000_000).unwrap();
    let shares = amount(&m.balance(dave, m.usdc)["shares"]);
    assert_eq!(shares, floor(1_000_000, WAD, ex));
    // 20 withdrawals of 1 unit: each burns ceil(WAD/ex) = 1 share, worth more than 1 unit.
    for _ in 0..20 {
        let receipt = m.withdraw(DAVE, m.usdc, uint(1)).unwrap();
        assert_eq!(amount(&event(&receipt, "withdraw")["shares"]), 1);
    }
    assert_eq!(amount(&m.balance(dave, m.usdc)["shares"]), shares - 20);
    m.withdraw(DAVE, m.usdc, json!("all")).unwrap();
    assert!(m.token_balance(m.usdc, dave) <= start, "the round trip paid");
    assert!(amount(&m.market(m.usdc)["exchange_rate"]) >= ex, "the games only raised the rate");

    // Borrowing 1 unit at a time: each adds exactly 1 to the debt; repaying all pays them all.
    m.supply(DAVE, m.weth, E18).unwrap();
    let before = m.token_balance(m.usdc, dave);
    for _ in 0..10 {
        m.borrow(DAVE, m.usdc, 1).unwrap();
    }
    assert_eq!(amount(&m.balance(dave, m.usdc)["debt"]), 10);
    m.repay(DAVE, m.usdc, json!("all")).unwrap();
    assert_eq!(m.token_balance(m.usdc, dave), before);
}

/// Radiant: acting on the pool from inside a flash-loan callback. The receiver tries to withdraw
/// and to borrow mid-loan; both are refused while the loan itself completes.
#[test]
fn the_pool_is_locked_during_a_flash_loan_callback() {
    let m = Market::new();
    let receiver = m.chain.instantiate(OWNER, "flash-receiver-good", json!({})).unwrap();
    m.transfer(OWNER, m.weth, receiver, E18);
    m.supply(BOB, m.weth, 10 * E18).unwrap();
    for inner in [
        json!({"withdraw": {"asset": m.weth, "amount": "all"}}),
        json!({"borrow": {"asset": m.weth, "amount": "1"}}),
        json!({"supply": {"asset": m.weth, "amount": "1"}}),
    ] {
        let data = base64(inner.to_string().as_bytes());
        let before = m.market(m.weth);
        let receipt = m
            .exec(
                ALICE,
                json!({"flash_loan": {"asset": m.weth, "amount": uint(E18), "receiver": receiver, "data": data}}),
            )
            .unwrap();
        let attempt = event(&receipt, "reentry_attempt");
        assert_eq!(attempt["ok"], json!(false), "{inner}");
        let error = attempt["error"].as_str().unwrap();
        assert!(error.contains("re-entry refused"), "{inner}: {error}");
        let after = m.market(m.weth);
        assert_eq!(State::of(&after).cash, State::of(&before).cash + formulas::ceil(E18, 9, formulas::BPS));
        assert_eq!(State::of(&after).shares, State::of(&before).shares, "{inner}: no shares moved");
    }
    assert_eq!(amount(&m.balance(m.addr(BOB), m.weth)["shares"]), 10 * E18);
}
