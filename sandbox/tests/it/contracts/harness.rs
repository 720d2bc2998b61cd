//! A thin layer over the [`Sandbox`] (a real node in-process: signed transactions, the VM's gas
//! meter, the ledger's overlay, a manual clock): named accounts, the sample contracts uploaded,
//! JSON execute/query helpers that return plain receipts and error strings, and [`Market`]: the
//! lending market of docs/lending.md deployed the way a user would deploy it (two tokens, the oracle,
//! the pool, both markets listed with the default parameters).

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::Receipt;
use tidepool_sandbox::{Account, Code, Sandbox, SandboxError};

pub(super) const E18: u128 = 1_000_000_000_000_000_000;
/// The fixed-point scale of rates, indexes and health factors.
pub(super) const WAD: u128 = E18;
/// One US dollar in oracle units (10^8).
pub(super) const USD: u128 = 100_000_000;
/// Genesis block time.
pub(super) const GENESIS_TIME: u64 = tidepool_sandbox::GENESIS_TIME;

/// Accounts, by index into [`NAMES`].
pub(super) const OWNER: usize = 0;
pub(super) const ALICE: usize = 1;
pub(super) const BOB: usize = 2;
pub(super) const CAROL: usize = 3;
pub(super) const DAVE: usize = 4;
const NAMES: [&str; 5] = ["owner", "alice", "bob", "carol", "dave"];
/// Receives liquidation fees; never signs anything.
pub(super) const TREASURY: Address = Address([0x7e; 20]);

/// A Sandbox with five named accounts and every artifact of `tidepool_artifacts::ALL` uploaded.
pub(super) struct Chain {
    pub sandbox: Sandbox,
    accounts: Vec<Account>,
    codes: HashMap<&'static str, Code>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    pub(super) fn new() -> Chain {
        // The Sandbox's configuration plus a disk cache of compiled modules shared by the
        // tests, so each test's node loads the contracts instead of recompiling them.
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contract-modules");
        let config = tidepool_node::NodeConfig { module_cache_dir: Some(cache), ..Sandbox::config() };
        let sandbox = Sandbox::with_config(config).expect("the sandbox starts");
        let accounts = NAMES.iter().map(|name| sandbox.account(name)).collect();
        let codes = tidepool_artifacts::ALL
            .iter()
            .map(|(name, wasm)| (*name, sandbox.upload(wasm).unwrap_or_else(|e| panic!("upload {name}: {e:?}"))))
            .collect();
        Chain { sandbox, accounts, codes }
    }

    /// An account's address.
    pub(super) fn addr(&self, who: usize) -> Address {
        self.accounts[who].address()
    }

    /// The node underneath.
    pub(super) fn node(&self) -> &tidepool_node::Node {
        self.sandbox.node()
    }

    /// Uploads `wasm` as `who`.
    pub(super) fn upload(&self, who: usize, wasm: &[u8]) -> Result<Code, String> {
        self.sandbox.upload_as(&self.accounts[who], wasm).map_err(|e| e.message().to_string())
    }

    /// Instantiates `code` as `who` (no admin).
    pub(super) fn instantiate_code(&self, who: usize, code: &Code, msg: Value, label: &str) -> Result<Address, String> {
        let contract = self
            .sandbox
            .instantiate_with(code, &self.accounts[who], &msg, label, 0, None)
            .map_err(|e| e.message().to_string())?;
        Ok(contract.address())
    }

    /// Instantiates artifact `name` (`"token"`, `"lending-pool"`, …) as `who`.
    pub(super) fn instantiate(&self, who: usize, name: &str, msg: Value) -> Result<Address, String> {
        self.instantiate_code(who, &self.codes[name], msg, name)
    }

    /// Executes `msg` on `contract` as `who`: the receipt, whether it succeeded or not.
    pub(super) fn receipt(&self, who: usize, contract: Address, msg: Value) -> Receipt {
        match self.sandbox.contract_at(contract).execute(&self.accounts[who], &msg) {
            Ok(done) => done.receipt().clone(),
            Err(e) => e.receipt().unwrap_or_else(|| panic!("{msg} was rejected: {e:?}")).clone(),
        }
    }

    /// Executes `msg` on `contract` as `who`: the receipt, or the receipt's error. A rejection
    /// (bad nonce, unknown contract…) panics: the tests only send well-formed transactions.
    pub(super) fn execute(&self, who: usize, contract: Address, msg: Value) -> Result<Receipt, String> {
        let receipt = self.receipt(who, contract, msg);
        match receipt.error {
            None => Ok(receipt),
            Some(error) => Err(error),
        }
    }

    /// Queries `contract`: the JSON answer, or the failure.
    pub(super) fn query(&self, contract: Address, msg: &Value) -> Result<Value, String> {
        self.sandbox.contract_at(contract).query(msg).map_err(|e: SandboxError| e.message().to_string())
    }

    /// Moves the manual clock forward (mining a block at the new time).
    pub(super) fn warp(&self, seconds: u64) {
        self.sandbox.warp(seconds);
    }

    /// The latest block's time: what the next transaction sees (the clock only moves by warps).
    pub(super) fn time(&self) -> u64 {
        self.sandbox.block_time()
    }

    /// A raw storage value of a contract.
    pub(super) fn storage(&self, contract: Address, key: &[u8]) -> Option<Vec<u8>> {
        self.node().ledger().overlay().storage_get(&contract, key).expect("storage read")
    }

    /// Writes a raw storage value (the dev control `set_storage`, like anvil's `setStorageAt`).
    pub(super) fn set_storage(&self, contract: Address, key: &[u8], value: &[u8]) {
        self.sandbox.contract_at(contract).set_storage(key, Some(value));
    }
}

/// The storage key of an SDK `Map` entry: `len(ns) as u16 BE ‖ ns ‖ key` (contracts/sdk's
/// documented layout).
pub(super) fn map_key(namespace: &str, key_parts: &[&[u8]]) -> Vec<u8> {
    let mut out = (namespace.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(namespace.as_bytes());
    let (last, nested) = key_parts.split_last().expect("a key");
    for part in nested {
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(last);
    out
}

/// A JSON amount (decimal string) as a `u128`.
pub(super) fn amount(v: &Value) -> u128 {
    v.as_str().unwrap_or_else(|| panic!("not an amount: {v}")).parse().unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// A JSON address (EIP-55, as contracts and the node write it) as an [`Address`].
pub(super) fn address(v: &Value) -> Address {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not an address: {v}: {e}"))
}

/// A `u128` as a JSON amount.
pub(super) fn uint(v: u128) -> Value {
    Value::String(v.to_string())
}

/// Standard base64 with padding: how the SDK's `Binary` travels in JSON.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// The WETH-like defaults of docs/lending.md.
pub(super) fn weth_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8250, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "70000000000000000", "slope2": "3000000000000000000", "u_opt": "450000000000000000"}
    })
}

/// The USDC-like defaults of docs/lending.md.
pub(super) fn usdc_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8500, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "40000000000000000", "slope2": "600000000000000000", "u_opt": "900000000000000000"}
    })
}

/// A config with the given curve (WAD values) and reserve factor, WETH-like otherwise.
pub(super) fn curve_config(base: u128, slope1: u128, slope2: u128, u_opt: u128, rf: u32) -> Value {
    let mut config = weth_config();
    config["rf"] = json!(rf);
    config["interest"] =
        json!({"base": uint(base), "slope1": uint(slope1), "slope2": uint(slope2), "u_opt": uint(u_opt)});
    config
}

/// A token's instantiate message; the owner is the minter.
pub(super) fn token_msg(chain: &Chain, symbol: &str, decimals: u8, holders: &[(Address, u128)]) -> Value {
    let balances: Vec<Value> = holders.iter().map(|(a, v)| json!({"address": a, "amount": uint(*v)})).collect();
    json!({"name": symbol, "symbol": symbol, "decimals": decimals, "initial_balances": balances, "minter": chain.addr(OWNER)})
}

/// The deployed market: WETH-like (18 decimals, $2000) and USDC-like (6 decimals, $1) tokens,
/// the oracle and the pool, both markets listed with docs/lending.md's default parameters; every
/// user approved the pool for both tokens.
pub(super) struct Market {
    pub chain: Chain,
    pub weth: Address,
    pub usdc: Address,
    pub oracle: Address,
    pub pool: Address,
}

impl Default for Market {
    fn default() -> Self {
        Self::new()
    }
}

impl Market {
    pub(super) fn new() -> Market {
        Self::with_pool_options(json!({}))
    }

    /// The market with extra fields in the pool's instantiate message.
    pub(super) fn with_pool_options(options: Value) -> Market {
        let chain = Chain::new();
        let users = [OWNER, ALICE, BOB, CAROL, DAVE];
        let weth_holders: Vec<_> =
            users.iter().map(|u| (chain.addr(*u), if *u == OWNER { 1_000_000 * E18 } else { 1_000 * E18 })).collect();
        let weth = chain.instantiate(OWNER, "token", token_msg(&chain, "WETH", 18, &weth_holders)).unwrap();
        let usdc_holders: Vec<_> = users.iter().map(|u| (chain.addr(*u), 10_000_000 * 1_000_000)).collect();
        let usdc = chain.instantiate(OWNER, "token", token_msg(&chain, "USDC", 6, &usdc_holders)).unwrap();
        let oracle = chain.instantiate(OWNER, "oracle", json!({})).unwrap();
        let mut msg = json!({"oracle": oracle, "treasury": TREASURY});
        for (k, v) in options.as_object().expect("options are an object") {
            msg[k] = v.clone();
        }
        let pool = chain.instantiate(OWNER, "lending-pool", msg).unwrap();
        let m = Market { chain, weth, usdc, oracle, pool };
        m.set_price(weth, 2000 * USD);
        m.set_price(usdc, USD);
        for user in users {
            m.approve(user, weth, u128::MAX);
            m.approve(user, usdc, u128::MAX);
        }
        m.list(weth, weth_config(), 1_000_000).unwrap();
        m.list(usdc, usdc_config(), 1000).unwrap();
        m
    }

    /// Alice: 10 WETH of collateral ($20 000) and 16 000 USDC of debt (exactly at capacity),
    /// borrowed from Bob's 100 000 USDC.
    pub(super) fn borrowed_to_the_limit() -> Market {
        let m = Market::new();
        m.supply(BOB, m.usdc, 100_000_000_000).unwrap();
        m.supply(ALICE, m.weth, 10 * E18).unwrap();
        m.borrow(ALICE, m.usdc, 16_000_000_000).unwrap();
        m
    }

    pub(super) fn addr(&self, who: usize) -> Address {
        self.chain.addr(who)
    }

    /// Executes a pool message.
    pub(super) fn exec(&self, who: usize, msg: Value) -> Result<Receipt, String> {
        self.chain.execute(who, self.pool, msg)
    }

    /// Queries the pool (panics on failure).
    pub(super) fn query(&self, msg: Value) -> Value {
        self.chain.query(self.pool, &msg).unwrap_or_else(|e| panic!("pool query {msg}: {e}"))
    }

    /// Deploys a plain token with the owner as minter.
    pub(super) fn token(&self, symbol: &str, decimals: u8, holders: &[(usize, u128)]) -> Address {
        let holders: Vec<_> = holders.iter().map(|(u, v)| (self.addr(*u), *v)).collect();
        self.chain.instantiate(OWNER, "token", token_msg(&self.chain, symbol, decimals, &holders)).unwrap()
    }

    /// Lists a market (the owner must hold and have approved the seed).
    pub(super) fn list(&self, asset: Address, config: Value, seed: u128) -> Result<Receipt, String> {
        self.exec(OWNER, json!({"list_market": {"asset": asset, "config": config, "seed": uint(seed)}}))
    }

    pub(super) fn set_price(&self, asset: Address, price: u128) {
        self.chain.execute(OWNER, self.oracle, json!({"set_price": {"asset": asset, "price": uint(price)}})).unwrap();
    }

    pub(super) fn approve(&self, who: usize, token: Address, amount: u128) {
        let msg = json!({"approve": {"spender": self.pool, "amount": uint(amount)}});
        self.chain.execute(who, token, msg).unwrap();
    }

    pub(super) fn transfer(&self, who: usize, token: Address, to: Address, amount: u128) {
        self.chain.execute(who, token, json!({"transfer": {"to": to, "amount": uint(amount)}})).unwrap();
    }

    pub(super) fn token_balance(&self, token: Address, who: Address) -> u128 {
        let v = self.chain.query(token, &json!({"balance": {"address": who}})).unwrap();
        amount(&v["balance"])
    }

    pub(super) fn supply(&self, who: usize, asset: Address, amount: u128) -> Result<Receipt, String> {
        self.exec(who, json!({"supply": {"asset": asset, "amount": uint(amount)}}))
    }

    pub(super) fn borrow(&self, who: usize, asset: Address, amount: u128) -> Result<Receipt, String> {
        self.exec(who, json!({"borrow": {"asset": asset, "amount": uint(amount)}}))
    }

    pub(super) fn withdraw(&self, who: usize, asset: Address, amount: Value) -> Result<Receipt, String> {
        self.exec(who, json!({"withdraw": {"asset": asset, "amount": amount}}))
    }

    pub(super) fn repay(&self, who: usize, asset: Address, amount: Value) -> Result<Receipt, String> {
        self.exec(who, json!({"repay": {"asset": asset, "amount": amount}}))
    }

    pub(super) fn accrue(&self, asset: Address) -> Result<Receipt, String> {
        self.exec(CAROL, json!({"accrue": {"asset": asset}}))
    }

    /// `{"market": {asset}}`: config, state, exchange rate and utilization, accrued to now.
    pub(super) fn market(&self, asset: Address) -> Value {
        self.query(json!({"market": {"asset": asset}}))
    }

    /// A field of the market's state as a number (`"cash"`, `"total_borrows"`, …).
    pub(super) fn state(&self, asset: Address, field: &str) -> u128 {
        amount(&self.market(asset)["state"][field])
    }

    pub(super) fn balance(&self, who: Address, asset: Address) -> Value {
        self.query(json!({"balance": {"user": who, "asset": asset}}))
    }

    pub(super) fn position(&self, who: Address) -> Value {
        self.query(json!({"position": {"user": who}}))
    }

    /// The pool's stored record of a market (`{decimals, config, paused, arrival, state}`), raw.
    pub(super) fn stored_market(&self, asset: Address) -> Value {
        let raw = self.chain.storage(self.pool, &map_key("market", &[&asset.0])).expect("market stored");
        serde_json::from_slice(&raw).unwrap()
    }

    /// Overwrites fields of a market's stored state (a dev-mode storage write), to put a market
    /// in a state a vector starts from.
    pub(super) fn set_market_state(&self, asset: Address, fields: &[(&str, Value)]) {
        let mut market = self.stored_market(asset);
        for (k, v) in fields {
            market["state"][*k] = v.clone();
        }
        self.chain.set_storage(self.pool, &map_key("market", &[&asset.0]), market.to_string().as_bytes());
    }

    /// Refreshes both default prices at the current time (after a warp they would be stale).
    pub(super) fn refresh_prices(&self, weth_price: u128) {
        self.set_price(self.weth, weth_price);
        self.set_price(self.usdc, USD);
    }
}

/// The calls the called contract made: `"<entry point> <the message's first key>"` for each
/// child frame of the receipt's trace, in order (`"query balance"`).
pub(super) fn calls_made(receipt: &Receipt) -> Vec<String> {
    let trace = receipt.trace.as_ref().expect("a contract call has a trace");
    let key = |msg: &Value| msg.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
    trace.children.iter().map(|f| format!("{} {}", f.entry_point, key(&f.msg))).collect()
}

/// The events of `ty` in a receipt.
pub(super) fn events<'a>(receipt: &'a Receipt, ty: &str) -> Vec<&'a Value> {
    receipt.events.iter().filter(|e| e.ty == ty).map(|e| &e.data).collect()
}

/// The only event of `ty` in a receipt.
pub(super) fn event<'a>(receipt: &'a Receipt, ty: &str) -> &'a Value {
    let found = events(receipt, ty);
    assert_eq!(found.len(), 1, "expected one {ty} event in {:?}", receipt.events);
    found[0]
}
