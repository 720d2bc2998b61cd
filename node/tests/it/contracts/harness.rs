//! A thin harness over [`Node`]: a dev node in memory with a manual clock, the sample contracts
//! uploaded, named accounts that sign real transactions, JSON execute/query helpers, and
//! [`Market`]: the lending market of LENDING.md deployed the way a user would deploy it (two
//! tokens, the oracle, the pool, both markets listed with the default parameters).
//!
//! Every call goes the production way: a signed transaction through `Node::submit` (signature,
//! nonce, automine, receipt) or `Node::query`, the VM's gas meter and the ledger's overlay.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash};
use tidepool_node::keys::{DevAccount, dev_accounts};
use tidepool_node::{Action, Clock, Node, NodeConfig, Receipt, ReceiptStatus, Submitted, Transaction};
use tidepool_vm::VmConfig;

pub const E18: u128 = 1_000_000_000_000_000_000;
/// The fixed-point scale of rates, indexes and health factors.
pub const WAD: u128 = E18;
/// One US dollar in oracle units (10^8).
pub const USD: u128 = 100_000_000;
/// Genesis block time.
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// Dev account indexes, used as names.
pub const OWNER: usize = 0;
pub const ALICE: usize = 1;
pub const BOB: usize = 2;
pub const CAROL: usize = 3;
pub const DAVE: usize = 4;
/// Receives liquidation fees; never signs anything.
pub const TREASURY: Address = Address([0x7e; 20]);

/// Enough for the costliest pool call (a liquidation with its token and oracle calls).
const GAS_LIMIT: u64 = 500_000_000;

fn accounts() -> &'static [DevAccount] {
    static ACCOUNTS: OnceLock<Vec<DevAccount>> = OnceLock::new();
    ACCOUNTS.get_or_init(|| dev_accounts(6))
}

/// A dev node with the sample contracts uploaded.
pub struct Chain {
    pub node: Node,
    codes: HashMap<&'static str, Hash>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A fresh node: manual clock at [`GENESIS_TIME`], no market at genesis, every artifact of
    /// `tidepool_artifacts::ALL` uploaded by the owner.
    pub fn new() -> Chain {
        // Compiled modules are shared through a disk cache, so each test's node loads rather
        // than recompiles them.
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contract-modules");
        let config = NodeConfig {
            deploy_market: false,
            dev_accounts: accounts().len() as u32,
            clock: Clock::Manual { genesis_time: GENESIS_TIME },
            vm: VmConfig::for_tests(),
            module_cache_dir: Some(cache),
            ..NodeConfig::dev()
        };
        let mut chain = Chain { node: Node::open(config).expect("node opens"), codes: HashMap::new() };
        for (name, wasm) in tidepool_artifacts::ALL {
            let receipt = chain.submit(OWNER, Action::UploadCode { wasm: wasm.to_vec() });
            chain.codes.insert(name, receipt.code_hash.expect("upload returns the code hash"));
        }
        chain
    }

    /// A dev account's address.
    pub fn addr(&self, who: usize) -> Address {
        accounts()[who].address
    }

    /// The code hash of an artifact (`"token"`, `"lending-pool"`, …).
    pub fn code(&self, name: &str) -> Hash {
        self.codes[name]
    }

    /// Signs `action` as `who` with the next nonce and mines it. Panics on a rejection (bad
    /// nonce, unknown contract…): the tests only send well-formed transactions.
    pub fn submit(&self, who: usize, action: Action) -> Receipt {
        let account = &accounts()[who];
        let nonce = self.node.account(&account.address).expect("account").nonce;
        let tx = Transaction {
            chain_id: self.node.config().chain_id,
            nonce,
            from: account.address,
            gas_limit: GAS_LIMIT,
            action,
        };
        match self.node.submit(&tx.sign(&account.key).expect("sign")).expect("transaction accepted") {
            Submitted::Mined(receipt) => *receipt,
            Submitted::Pending { tx_hash } => panic!("automine expected, got pending {tx_hash}"),
        }
    }

    /// Instantiates artifact `code` as `who`.
    pub fn instantiate(&self, who: usize, code: &str, msg: Value) -> Result<Address, String> {
        let action =
            Action::Instantiate { code_hash: self.code(code), msg, funds: 0, label: code.to_string(), admin: None };
        let receipt = self.submit(who, action);
        outcome(receipt).map(|r| r.contract_address.expect("instantiate returns the address"))
    }

    /// Executes `msg` on `contract` as `who`: the receipt, or the receipt's error.
    pub fn execute(&self, who: usize, contract: Address, msg: Value) -> Result<Receipt, String> {
        outcome(self.submit(who, Action::Execute { contract, msg, funds: 0 }))
    }

    /// Queries `contract`: the JSON answer, or the failure.
    pub fn query(&self, contract: Address, msg: &Value) -> Result<Value, String> {
        let outcome = self.node.query(&contract, msg.to_string().as_bytes()).map_err(|e| e.to_string())?;
        if !outcome.status.is_success() {
            return Err(outcome.status.to_string());
        }
        serde_json::from_slice(&outcome.return_data).map_err(|e| format!("answer is not JSON: {e}"))
    }

    /// Moves the manual clock forward (mining a block at the new time).
    pub fn warp(&self, seconds: u64) {
        self.node.warp(seconds).expect("warp");
    }

    /// The latest block's time: what the next transaction sees (the clock only moves by warps).
    pub fn time(&self) -> u64 {
        self.node.latest_block().expect("latest").time
    }

    /// A raw storage value of a contract.
    pub fn storage(&self, contract: Address, key: &[u8]) -> Option<Vec<u8>> {
        self.node.ledger().overlay().storage_get(&contract, key).expect("storage read")
    }

    /// Writes a raw storage value (the dev control `set_storage`, like anvil's `setStorageAt`).
    pub fn set_storage(&self, contract: Address, key: &[u8], value: &[u8]) {
        self.node.set_storage(&contract, key, Some(value)).expect("set storage");
    }
}

/// A successful receipt, or its error.
fn outcome(receipt: Receipt) -> Result<Receipt, String> {
    match receipt.status {
        ReceiptStatus::Success => Ok(receipt),
        _ => Err(receipt.error.unwrap_or_else(|| format!("{:?}", receipt.status))),
    }
}

/// The storage key of an SDK `Map` entry: `len(ns) as u16 BE ‖ ns ‖ key` (contracts/sdk's
/// documented layout).
pub fn map_key(namespace: &str, key_parts: &[&[u8]]) -> Vec<u8> {
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
pub fn amount(v: &Value) -> u128 {
    v.as_str().unwrap_or_else(|| panic!("not an amount: {v}")).parse().unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// A JSON address (contracts write lowercase hex; the host EIP-55) as an [`Address`].
pub fn address(v: &Value) -> Address {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not an address: {v}: {e}"))
}

/// A `u128` as a JSON amount.
pub fn uint(v: u128) -> Value {
    Value::String(v.to_string())
}

/// Standard base64 with padding: how the SDK's `Binary` travels in JSON.
pub fn base64(bytes: &[u8]) -> String {
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

/// The WETH-like defaults of LENDING.md.
pub fn weth_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8250, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "70000000000000000", "slope2": "3000000000000000000", "u_opt": "450000000000000000"}
    })
}

/// The USDC-like defaults of LENDING.md.
pub fn usdc_config() -> Value {
    json!({
        "ltv": 8000, "lt": 8500, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": "40000000000000000", "slope2": "600000000000000000", "u_opt": "900000000000000000"}
    })
}

/// A config with the given curve (WAD values) and reserve factor, WETH-like otherwise.
pub fn curve_config(base: u128, slope1: u128, slope2: u128, u_opt: u128, rf: u32) -> Value {
    let mut config = weth_config();
    config["rf"] = json!(rf);
    config["interest"] =
        json!({"base": uint(base), "slope1": uint(slope1), "slope2": uint(slope2), "u_opt": uint(u_opt)});
    config
}

/// A token's instantiate message; the owner is the minter.
pub fn token_msg(chain: &Chain, symbol: &str, decimals: u8, holders: &[(Address, u128)]) -> Value {
    let balances: Vec<Value> = holders.iter().map(|(a, v)| json!({"address": a, "amount": uint(*v)})).collect();
    json!({"name": symbol, "symbol": symbol, "decimals": decimals, "initial_balances": balances, "minter": chain.addr(OWNER)})
}

/// The deployed market: WETH-like (18 decimals, $2000) and USDC-like (6 decimals, $1) tokens,
/// the oracle and the pool, both markets listed with LENDING.md's default parameters; every
/// user approved the pool for both tokens.
pub struct Market {
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
    pub fn new() -> Market {
        Self::with_pool_options(json!({}))
    }

    /// The market with extra fields in the pool's instantiate message.
    pub fn with_pool_options(options: Value) -> Market {
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

    pub fn addr(&self, who: usize) -> Address {
        self.chain.addr(who)
    }

    /// Executes a pool message.
    pub fn exec(&self, who: usize, msg: Value) -> Result<Receipt, String> {
        self.chain.execute(who, self.pool, msg)
    }

    /// Queries the pool (panics on failure).
    pub fn query(&self, msg: Value) -> Value {
        self.chain.query(self.pool, &msg).unwrap_or_else(|e| panic!("pool query {msg}: {e}"))
    }

    /// Deploys a plain token with the owner as minter.
    pub fn token(&self, symbol: &str, decimals: u8, holders: &[(usize, u128)]) -> Address {
        let holders: Vec<_> = holders.iter().map(|(u, v)| (self.addr(*u), *v)).collect();
        self.chain.instantiate(OWNER, "token", token_msg(&self.chain, symbol, decimals, &holders)).unwrap()
    }

    /// Lists a market (the owner must hold and have approved the seed).
    pub fn list(&self, asset: Address, config: Value, seed: u128) -> Result<Receipt, String> {
        self.exec(OWNER, json!({"list_market": {"asset": asset, "config": config, "seed": uint(seed)}}))
    }

    pub fn set_price(&self, asset: Address, price: u128) {
        self.chain.execute(OWNER, self.oracle, json!({"set_price": {"asset": asset, "price": uint(price)}})).unwrap();
    }

    pub fn approve(&self, who: usize, token: Address, amount: u128) {
        let msg = json!({"approve": {"spender": self.pool, "amount": uint(amount)}});
        self.chain.execute(who, token, msg).unwrap();
    }

    pub fn transfer(&self, who: usize, token: Address, to: Address, amount: u128) {
        self.chain.execute(who, token, json!({"transfer": {"to": to, "amount": uint(amount)}})).unwrap();
    }

    pub fn token_balance(&self, token: Address, who: Address) -> u128 {
        let v = self.chain.query(token, &json!({"balance": {"address": who}})).unwrap();
        amount(&v["balance"])
    }

    pub fn supply(&self, who: usize, asset: Address, amount: u128) -> Result<Receipt, String> {
        self.exec(who, json!({"supply": {"asset": asset, "amount": uint(amount)}}))
    }

    pub fn borrow(&self, who: usize, asset: Address, amount: u128) -> Result<Receipt, String> {
        self.exec(who, json!({"borrow": {"asset": asset, "amount": uint(amount)}}))
    }

    pub fn withdraw(&self, who: usize, asset: Address, amount: Value) -> Result<Receipt, String> {
        self.exec(who, json!({"withdraw": {"asset": asset, "amount": amount}}))
    }

    pub fn repay(&self, who: usize, asset: Address, amount: Value) -> Result<Receipt, String> {
        self.exec(who, json!({"repay": {"asset": asset, "amount": amount}}))
    }

    pub fn accrue(&self, asset: Address) -> Result<Receipt, String> {
        self.exec(CAROL, json!({"accrue": {"asset": asset}}))
    }

    /// `{"market": {asset}}`: config, state, exchange rate and utilization, accrued to now.
    pub fn market(&self, asset: Address) -> Value {
        self.query(json!({"market": {"asset": asset}}))
    }

    /// A field of the market's state as a number (`"cash"`, `"total_borrows"`, …).
    pub fn state(&self, asset: Address, field: &str) -> u128 {
        amount(&self.market(asset)["state"][field])
    }

    pub fn balance(&self, who: Address, asset: Address) -> Value {
        self.query(json!({"balance": {"user": who, "asset": asset}}))
    }

    pub fn position(&self, who: Address) -> Value {
        self.query(json!({"position": {"user": who}}))
    }

    /// The pool's stored record of a market (`{decimals, config, paused, state}`), raw.
    pub fn stored_market(&self, asset: Address) -> Value {
        let raw = self.chain.storage(self.pool, &map_key("market", &[&asset.0])).expect("market stored");
        serde_json::from_slice(&raw).unwrap()
    }

    /// Overwrites fields of a market's stored state (a dev-mode storage write), to put a market
    /// in a state a vector starts from.
    pub fn set_market_state(&self, asset: Address, fields: &[(&str, Value)]) {
        let mut market = self.stored_market(asset);
        for (k, v) in fields {
            market["state"][*k] = v.clone();
        }
        self.chain.set_storage(self.pool, &map_key("market", &[&asset.0]), market.to_string().as_bytes());
    }

    /// Refreshes both default prices at the current time (after a warp they would be stale).
    pub fn refresh_prices(&self, weth_price: u128) {
        self.set_price(self.weth, weth_price);
        self.set_price(self.usdc, USD);
    }
}

/// The events of `ty` in a receipt.
pub fn events<'a>(receipt: &'a Receipt, ty: &str) -> Vec<&'a Value> {
    receipt.events.iter().filter(|e| e.ty == ty).map(|e| &e.data).collect()
}

/// The only event of `ty` in a receipt.
pub fn event<'a>(receipt: &'a Receipt, ty: &str) -> &'a Value {
    let found = events(receipt, ty);
    assert_eq!(found.len(), 1, "expected one {ty} event in {:?}", receipt.events);
    found[0]
}
