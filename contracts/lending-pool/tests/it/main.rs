//! Behaviour tests of the lending pool with its token and oracle, run natively through the
//! SDK's test double (`tidepool_sdk::testing::MockChain`). Run with
//! `cargo test --target x86_64-unknown-linux-gnu -p lending-pool`. The same scenarios run
//! through the real VM in the host workspace's tests.

#![allow(missing_docs)]

mod attacks;
mod flows;
mod invariants;
mod liquidation;
mod tokens;

use tidepool_sdk::serde_json::{Value, json};
use tidepool_sdk::testing::MockChain;
use tidepool_sdk::{Address, Uint128};

pub const E18: u128 = 1_000_000_000_000_000_000;
/// One US dollar in oracle units (10^8).
pub const USD: u128 = 100_000_000;
pub const OWNER: Address = Address([0x0a; 20]);
pub const TREASURY: Address = Address([0x7e; 20]);
pub const ALICE: Address = Address([0xa1; 20]);
pub const BOB: Address = Address([0xb0; 20]);
pub const CAROL: Address = Address([0xca; 20]);

/// A deployed market: two tokens (WETH-like 18 decimals at $2000, USDC-like 6 decimals at $1),
/// an oracle and the pool, both markets listed with LENDING.md's default parameters.
pub struct Market {
    pub chain: MockChain,
    pub weth: Address,
    pub usdc: Address,
    pub oracle: Address,
    pub pool: Address,
}

pub fn weth_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8250, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "70000000000000000", "slope2": "3000000000000000000", "u_opt": "450000000000000000"}
    })
}

pub fn usdc_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8500, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "40000000000000000", "slope2": "600000000000000000", "u_opt": "900000000000000000"}
    })
}

pub fn token_msg(symbol: &str, decimals: u8, holders: &[(Address, u128)]) -> Value {
    let balances: Vec<Value> = holders.iter().map(|(a, v)| json!({"address": a, "amount": Uint128(*v)})).collect();
    json!({"name": symbol, "symbol": symbol, "decimals": decimals, "initial_balances": balances, "minter": OWNER})
}

impl Default for Market {
    fn default() -> Self {
        Self::new()
    }
}

impl Market {
    pub fn new() -> Self {
        let chain = MockChain::new();
        let holders = [(OWNER, 1_000_000 * E18), (ALICE, 1_000 * E18), (BOB, 1_000 * E18), (CAROL, 1_000 * E18)];
        let weth = chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("WETH", 18, &holders)).unwrap();
        let usdc_holders: Vec<_> = holders.iter().map(|(a, _)| (*a, 10_000_000 * 1_000_000)).collect();
        let usdc = chain.deploy(token::ENTRY_POINTS, OWNER, &token_msg("USDC", 6, &usdc_holders)).unwrap();
        let oracle = chain.deploy(oracle::ENTRY_POINTS, OWNER, &json!({})).unwrap();
        let pool =
            chain.deploy(lending_pool::ENTRY_POINTS, OWNER, &json!({"oracle": oracle, "treasury": TREASURY})).unwrap();
        let m = Market { chain, weth, usdc, oracle, pool };
        m.set_price(weth, 2000 * USD);
        m.set_price(usdc, USD);
        for user in [OWNER, ALICE, BOB, CAROL] {
            m.approve(user, weth, u128::MAX);
            m.approve(user, usdc, u128::MAX);
        }
        m.exec(OWNER, json!({"list_market": {"asset": weth, "config": weth_config(), "seed": "1000000"}})).unwrap();
        m.exec(OWNER, json!({"list_market": {"asset": usdc, "config": usdc_config(), "seed": "1000"}})).unwrap();
        m
    }

    pub fn exec(&self, sender: Address, msg: Value) -> Result<Vec<u8>, String> {
        self.chain.execute(sender, self.pool, &msg, 0)
    }

    pub fn query(&self, msg: Value) -> Value {
        self.chain.query(self.pool, &msg).unwrap()
    }

    pub fn set_price(&self, asset: Address, price: u128) {
        self.chain
            .execute(OWNER, self.oracle, &json!({"set_price": {"asset": asset, "price": Uint128(price)}}), 0)
            .unwrap();
    }

    pub fn approve(&self, owner: Address, token: Address, amount: u128) {
        let msg = json!({"approve": {"spender": self.pool, "amount": Uint128(amount)}});
        self.chain.execute(owner, token, &msg, 0).unwrap();
    }

    pub fn token_balance(&self, token: Address, who: Address) -> u128 {
        let v: Value = self.chain.query(token, &json!({"balance": {"address": who}})).unwrap();
        amount(&v["balance"])
    }

    pub fn supply(&self, user: Address, asset: Address, amount: u128) -> Result<Vec<u8>, String> {
        self.exec(user, json!({"supply": {"asset": asset, "amount": Uint128(amount)}}))
    }

    pub fn borrow(&self, user: Address, asset: Address, amount: u128) -> Result<Vec<u8>, String> {
        self.exec(user, json!({"borrow": {"asset": asset, "amount": Uint128(amount)}}))
    }

    pub fn market_state(&self, asset: Address) -> Value {
        self.query(json!({"market": {"asset": asset}}))
    }

    pub fn balance(&self, user: Address, asset: Address) -> Value {
        self.query(json!({"balance": {"user": user, "asset": asset}}))
    }

    pub fn position(&self, user: Address) -> Value {
        self.query(json!({"position": {"user": user}}))
    }
}

/// A JSON amount (decimal string) as a `u128`.
pub fn amount(v: &Value) -> u128 {
    v.as_str().unwrap_or_else(|| panic!("not an amount: {v}")).parse().unwrap()
}
