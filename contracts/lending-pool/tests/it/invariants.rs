//! Seeded random sequences (supply, withdraw, borrow, repay, liquidate, flash loan, price
//! moves, time warps) over 3 users and 2 markets, checking LENDING.md's invariants after every
//! step. A failure names its seed and step; replay one with `INVARIANT_SEED=<seed>`.

use tidepool_sdk::serde_json::{Value, json};
use tidepool_sdk::{Address, Uint128};

use crate::*;

const WAD: u128 = E18;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What rounding drift between Σdebt and TB the sequence so far allows.
#[derive(Default)]
struct Drift {
    rebases: [u128; 2],
    accruals: u128,
    max_tb: [u128; 2],
}

struct Snapshot {
    index: [u128; 2],
    tb: [u128; 2],
    ex: [u128; 2],
}

fn field(v: &Value, k: &str) -> u128 {
    amount(&v["state"][k])
}

fn check(
    m: &Market,
    assets: [Address; 2],
    holders: &[Address],
    prev: Option<&Snapshot>,
    bad_debt: bool,
    drift: &Drift,
) -> Snapshot {
    let mut snap = Snapshot { index: [0; 2], tb: [0; 2], ex: [0; 2] };
    for (i, asset) in assets.iter().enumerate() {
        let market = m.market_state(*asset);
        let (cash, tb, tr, shares) = (
            field(&market, "cash"),
            field(&market, "total_borrows"),
            field(&market, "total_reserves"),
            field(&market, "total_shares"),
        );
        let ex = amount(&market["exchange_rate"]);
        let mut sum_shares = 0;
        let mut sum_assets = 0;
        let mut sum_debt = 0;
        let mut borrowers = 0;
        for h in holders {
            let b = m.balance(*h, *asset);
            let s = amount(&b["shares"]);
            sum_shares += s;
            sum_assets += lending_pool::market::assets_for_shares(Uint128(s), Uint128(ex)).unwrap().u128();
            let d = amount(&b["debt"]);
            sum_debt += d;
            borrowers += u128::from(d > 0);
        }
        assert!(cash + tb - tr >= sum_assets, "1: suppliers' claims exceed the pool's assets");
        assert!(m.token_balance(*asset, m.pool) >= cash, "1: token balance below cash");
        assert_eq!(shares, sum_shares, "2: total_shares");
        // LENDING.md states |Σdebt − TB| ≤ borrowers. With its formulas two roundings add to
        // that: each re-basing of a debt (borrow, repay, liquidation) keeps the ceil'd unit,
        // and each accrual floors the WAD-scaled index, losing up to debt/index units. So the
        // bound checked is borrowers + rebases + accruals·(TB/WAD + 1).
        let bound = borrowers + drift.rebases[i] + drift.accruals * (drift.max_tb[i].max(tb) / WAD + 1);
        assert!(sum_debt.abs_diff(tb) <= bound, "3: Σdebt {sum_debt} vs TB {tb} (bound {bound})");
        assert!(amount(&market["utilization"]) <= WAD, "6: U ≤ 1");
        assert!(tr <= cash + tb, "6: TR ≤ cash + TB");
        let index = field(&market, "borrow_index");
        if let Some(p) = prev {
            assert!(index >= p.index[i], "4: borrow index decreased");
            assert!(bad_debt || ex >= p.ex[i], "4: ex decreased without bad debt: {} → {ex}", p.ex[i]);
        }
        snap.index[i] = index;
        snap.tb[i] = tb;
        snap.ex[i] = ex;
    }
    snap
}

fn run(seed: u64, steps: usize) {
    let m = Market::new();
    let receiver = m.chain.deploy(flash_receiver_good::ENTRY_POINTS, OWNER, &json!({})).unwrap();
    for (t, premiums) in [(m.weth, 10 * E18), (m.usdc, 1_000_000_000_000)] {
        m.chain.execute(OWNER, t, &json!({"transfer": {"to": receiver, "amount": Uint128(premiums)}}), 0).unwrap();
    }
    let users = [ALICE, BOB, CAROL];
    let assets = [m.weth, m.usdc];
    let units = [E18 / 100, 20_000_000]; // 0.01 WETH ($20), 20 USDC
    let holders = [ALICE, BOB, CAROL, m.pool, TREASURY];
    let mut prices = [2000 * USD, USD];
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut drift = Drift::default();
    let mut prev = check(&m, assets, &holders, None, false, &drift);
    for step in 0..steps {
        let user = users[rng.below(3) as usize];
        let i = rng.below(2) as usize;
        let asset = assets[i];
        let qty = units[i] * u128::from(1 + rng.below(20_000));
        let op = rng.below(11).min(9);
        let before = m.market_state(asset);
        // Withdrawing supply that is not collateral needs no health check (it backs nothing).
        let was_collateral = m.balance(user, asset)["collateral"] == json!(true);
        let result = match op {
            0 | 1 => m.supply(user, asset, qty),
            2 => m.exec(user, json!({"withdraw": {"asset": asset, "amount": if rng.below(2) == 0 { json!("all") } else { json!(Uint128(qty)) }}})),
            3 => m.borrow(user, asset, qty / 4),
            4 => {
                // Borrow 99 % of what capacity is left: the accounts that price moves liquidate.
                let p = m.position(user);
                let room = amount(&p["borrow_capacity"]).saturating_sub(amount(&p["debt_value"]));
                let decimals = if i == 0 { E18 } else { 1_000_000 };
                m.borrow(user, asset, room * 99 / 100 * decimals / prices[i])
            }
            5 => m.exec(user, json!({"repay": {"asset": asset, "amount": if rng.below(2) == 0 { json!("all") } else { json!(Uint128(qty)) }}})),
            6 => {
                // A WETH drop of up to 15 %, then the least healthy user, liquidated by another.
                prices[0] = (prices[0] * u128::from(85 + rng.below(16)) / 100).max(1);
                m.set_price(m.weth, prices[0]);
                let borrower = *users.iter().min_by_key(|u| amount(&m.position(**u)["health_factor"])).unwrap();
                let liquidator = if user == borrower { users[(users.iter().position(|u| *u == user).unwrap() + 1) % 3] } else { user };
                let collateral = assets[rng.below(2) as usize];
                let cover = if rng.below(2) == 0 { json!("all") } else { json!(Uint128(qty / 10)) };
                m.exec(liquidator, json!({"liquidate": {"borrower": borrower, "debt_asset": asset, "collateral_asset": collateral, "debt_to_cover": cover}}))
            }
            7 => m.exec(user, json!({"flash_loan": {"asset": asset, "amount": Uint128(qty / 100), "receiver": receiver}})),
            8 => {
                // WETH moves by −20 % to +25 % (USDC stays at $1).
                let p = prices[0] * u128::from(80 + rng.below(46)) / 100;
                prices[0] = p.max(1);
                Ok(Vec::new())
            }
            _ => {
                m.chain.advance_time(1 + rng.below(30 * 24 * 3600));
                Ok(Vec::new())
            }
        };
        // Prices are refreshed every step so time warps never leave them stale.
        m.set_price(m.weth, prices[0]);
        m.set_price(m.usdc, prices[1]);
        let events = m.chain.take_events();
        let bad_debt = events.iter().any(|e| e.ty == "bad_debt");
        let ctx = format!("seed {seed} step {step} op {op} user {user} asset {i}: {result:?}");
        let after = m.market_state(asset);
        if result.is_ok() {
            match op {
                3..=6 => {
                    drift.rebases[i] += 1;
                    drift.rebases[1 - i] += u128::from(op == 6);
                }
                9 => drift.accruals += 1,
                _ => {}
            }
            match op {
                2 if !was_collateral => {}
                2..=4 => {
                    let p = m.position(user);
                    assert!(amount(&p["borrow_capacity"]) >= amount(&p["debt_value"]), "7: unhealthy after {ctx}");
                }
                7 => {
                    let premium = (qty / 100 * 9).div_ceil(10_000);
                    assert_eq!(field(&after, "cash"), field(&before, "cash") + premium, "10: {ctx}");
                }
                _ => {}
            }
        }
        prev = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check(&m, assets, &holders, Some(&prev), bad_debt, &drift)
        }))
        .unwrap_or_else(|e| panic!("invariant broken at {ctx}: {:?}", e.downcast_ref::<String>()));
        for k in 0..2 {
            drift.max_tb[k] = drift.max_tb[k].max(prev.tb[k]);
        }
        // 12: without debt, everything can be withdrawn (cash permitting).
        if rng.below(8) == 0 {
            let p = m.position(user);
            let b = m.balance(user, asset);
            let supplied = amount(&b["supplied"]);
            if amount(&p["debt_value"]) == 0 && supplied > 0 && supplied <= field(&m.market_state(asset), "cash") {
                m.exec(user, json!({"withdraw": {"asset": asset, "amount": "all"}}))
                    .unwrap_or_else(|e| panic!("12: {ctx}: {e}"));
                prev = check(&m, assets, &holders, Some(&prev), false, &drift);
            }
        }
    }
}

#[test]
fn random_sequences_keep_every_invariant() {
    if let Ok(seed) = std::env::var("INVARIANT_SEED") {
        run(seed.parse().expect("INVARIANT_SEED is a number"), 200);
        return;
    }
    for seed in 1..=16 {
        run(seed, 150);
    }
}
