//! docs/lending.md's formulas, written out again on the test side (exact integer arithmetic with a
//! 256-bit intermediate), so the pool's answers are checked against an independent statement of
//! the spec rather than against the pool's own code.

use serde_json::Value;

use super::harness::{WAD, amount};

pub(super) const BPS: u128 = 10_000;
pub(super) const SECONDS_PER_YEAR: u128 = 31_536_000;

/// `a·b/c` through 256 bits, floored or ceiled. Panics when the result does not fit a `u128`.
pub(super) fn mul_div(a: u128, b: u128, c: u128, ceil: bool) -> u128 {
    assert!(c != 0, "division by zero");
    // The 256-bit product as (hi, lo), from four 64-bit partial products.
    let mask = u128::from(u64::MAX);
    let (a1, a0, b1, b0) = (a >> 64, a & mask, b >> 64, b & mask);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let (hi, lo) = (p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), (p00 & mask) | (mid << 64));
    // Long division, one bit at a time.
    let (mut q, mut r) = (0u128, 0u128);
    for i in (0..256).rev() {
        let bit = if i >= 128 { (hi >> (i - 128)) & 1 } else { (lo >> i) & 1 };
        let carry = r >> 127;
        r = (r << 1) | bit;
        if carry == 1 || r >= c {
            r = r.wrapping_sub(c);
            assert!(i < 128, "quotient overflows u128");
            q |= 1 << i;
        }
    }
    if ceil && r != 0 { q + 1 } else { q }
}

pub(super) fn floor(a: u128, b: u128, c: u128) -> u128 {
    mul_div(a, b, c, false)
}

pub(super) fn ceil(a: u128, b: u128, c: u128) -> u128 {
    mul_div(a, b, c, true)
}

/// A market's state as the `market` query reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct State {
    pub cash: u128,
    pub tb: u128,
    pub tr: u128,
    pub shares: u128,
    pub index: u128,
    pub last_accrual: u64,
    pub deficit: u128,
}

impl State {
    /// From a `market` answer.
    pub(super) fn of(market: &Value) -> State {
        let s = &market["state"];
        State {
            cash: amount(&s["cash"]),
            tb: amount(&s["total_borrows"]),
            tr: amount(&s["total_reserves"]),
            shares: amount(&s["total_shares"]),
            index: amount(&s["borrow_index"]),
            last_accrual: s["last_accrual"].as_u64().expect("last_accrual"),
            deficit: amount(&s["deficit"]),
        }
    }

    /// `ex = total_shares == 0 ? WAD : floor((cash + TB − TR)·WAD / total_shares)`.
    pub(super) fn ex(&self) -> u128 {
        if self.shares == 0 { WAD } else { floor(self.cash + self.tb - self.tr, WAD, self.shares) }
    }

    /// `U = TB == 0 ? 0 : min(WAD, floor(TB·WAD / (cash + TB − TR)))`.
    pub(super) fn utilization(&self) -> u128 {
        let assets = self.cash + self.tb - self.tr;
        if self.tb == 0 {
            0
        } else if assets == 0 {
            WAD
        } else {
            floor(self.tb, WAD, assets).min(WAD)
        }
    }

    /// docs/lending.md's `accrue` to `now` (the APR from the state before accrual).
    pub(super) fn accrued(&self, curve: &Curve, rf: u128, now: u64) -> State {
        if now <= self.last_accrual {
            return *self;
        }
        let dt = u128::from(now - self.last_accrual);
        let f = curve.apr(self.utilization()) / SECONDS_PER_YEAR * dt;
        let interest = floor(f, self.tb, WAD);
        State {
            tb: self.tb + interest,
            tr: self.tr + floor(interest, rf, BPS),
            index: self.index + floor(f, self.index, WAD),
            last_accrual: now,
            ..*self
        }
    }
}

/// The kinked rate curve, WAD.
#[derive(Clone, Copy, Debug)]
pub(super) struct Curve {
    pub base: u128,
    pub slope1: u128,
    pub slope2: u128,
    pub u_opt: u128,
}

impl Curve {
    /// From a market config's `interest`.
    pub(super) fn of(config: &Value) -> Curve {
        let i = &config["interest"];
        Curve {
            base: amount(&i["base"]),
            slope1: amount(&i["slope1"]),
            slope2: amount(&i["slope2"]),
            u_opt: amount(&i["u_opt"]),
        }
    }

    /// `U ≤ u_opt ? base + slope1·U/u_opt : base + slope1 + slope2·(U − u_opt)/(WAD − u_opt)`.
    pub(super) fn apr(&self, u: u128) -> u128 {
        if u <= self.u_opt {
            self.base + floor(self.slope1, u, self.u_opt)
        } else {
            self.base + self.slope1 + floor(self.slope2, u - self.u_opt, WAD - self.u_opt)
        }
    }
}

/// `supply_apr = apr·U·(1 − rf)`, each product floored.
pub(super) fn supply_apr(apr: u128, u: u128, rf: u128) -> u128 {
    floor(floor(apr, u, WAD), BPS - rf, BPS)
}

/// A debt now: `ceil(principal·index/index_at_borrow)`.
pub(super) fn debt(principal: u128, index: u128, index_at_borrow: u128) -> u128 {
    if principal == 0 { 0 } else { ceil(principal, index, index_at_borrow) }
}

/// `value(amount) = amount·price / 10^decimals`.
pub(super) fn value(amount: u128, price: u128, decimals: u32, round_up: bool) -> u128 {
    mul_div(amount, price, 10u128.pow(decimals), round_up)
}

/// One side of a liquidation: a price (USD × 10^8) and the token's decimals.
#[derive(Clone, Copy, Debug)]
pub(super) struct Priced {
    pub price: u128,
    pub decimals: u32,
}

/// What a liquidation moves: `(need, C, fee)` — debt repaid, collateral seized, protocol fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Liquidation {
    pub repaid: u128,
    pub seized: u128,
    pub fee: u128,
}

/// A liquidation's inputs.
#[derive(Clone, Copy, Debug)]
pub(super) struct LiquidationInput {
    /// The borrower's health factor before.
    pub hf: u128,
    /// The borrower's debt in the debt asset.
    pub debt: u128,
    /// What the liquidator offers (`u128::MAX` for "all").
    pub debt_to_cover: u128,
    /// The borrower's collateral in the collateral asset.
    pub collateral: u128,
    pub debt_asset: Priced,
    pub collateral_asset: Priced,
    /// The collateral market's bonus and protocol fee, bps.
    pub lb: u128,
    pub liq_fee: u128,
}

/// docs/lending.md's liquidation (Aave v3 rules), with the default close factor (5000) and
/// full-close threshold (0.95e18).
pub(super) fn liquidation(i: &LiquidationInput) -> Liquidation {
    let cf = if i.hf <= 950_000_000_000_000_000 { BPS } else { 5000 };
    let x = i.debt_to_cover.min(floor(i.debt, cf, BPS));
    let (d, c) = (i.debt_asset, i.collateral_asset);
    let (dec_c, dec_d) = (10u128.pow(c.decimals), 10u128.pow(d.decimals));
    let base = floor(d.price * x, dec_c, c.price * dec_d);
    let max_c = floor(base, i.lb, BPS);
    let (seized, repaid) = if max_c > i.collateral {
        (i.collateral, ceil(floor(c.price * i.collateral, dec_d, d.price * dec_c), BPS, i.lb))
    } else {
        (max_c, x)
    };
    let bonus = seized - floor(seized, BPS, i.lb);
    Liquidation { repaid, seized, fee: ceil(bonus, i.liq_fee, BPS) }
}

#[test]
fn wide_division_is_exact() {
    assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX, false), u128::MAX);
    assert_eq!(mul_div(7, 1, 2, false), 3);
    assert_eq!(mul_div(7, 1, 2, true), 4);
    assert_eq!(mul_div(1 << 100, 1 << 100, 1 << 120, false), 1 << 80);
    assert_eq!(mul_div((1 << 100) + 1, 1 << 100, 1 << 101, true), (1 << 99) + 1);
}
