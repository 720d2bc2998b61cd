//! Genesis: block 0 (or the first block of a loaded state file, [`crate::state_file`]). Funds the
//! dev accounts (dev mode) and the configured genesis accounts (a network's genesis document)
//! and, with [`MarketCode`] configured and at least one account, deploys the sample lending market
//! (three tokens, the oracle with prices, the pool with every market listed, seeded and supplied)
//! through the same VM calls a transaction makes, so it is exactly what users could have done.
//!
//! Everything is deterministic: the same configuration gives the same block 0 and state root.
//! Contract addresses derive from a fixed genesis deployer, so [`MarketInfo`] can be recomputed
//! on every start.

use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash, NewBlock, Overlay, keccak256};
use tidepool_vm::{Call, CallKind, Env};

use crate::chain::Node;
use crate::config::MarketCode;
use crate::error::{HostError, NodeError};
use crate::keys::{DevAccount, dev_accounts};

/// Gas each genesis call may use (genesis is trusted code of ours; the cap only guards bugs).
const GENESIS_GAS: u64 = 10_000_000_000;

/// A token of the dev market.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenInfo {
    /// Its symbol.
    pub symbol: String,
    /// Its contract.
    pub address: Address,
    /// Its decimals.
    pub decimals: u8,
    /// Its genesis price, USD × 10^8 per whole token.
    pub price: u128,
}

/// The dev market's contracts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarketInfo {
    /// The lending pool.
    pub pool: Address,
    /// The price oracle.
    pub oracle: Address,
    /// The tokens, each listed as a market.
    pub tokens: Vec<TokenInfo>,
}

/// The market's tokens: symbol, decimals, price (USD × 10^8), whether it uses the stable curve.
const TOKENS: [(&str, u8, u128, bool); 3] = [
    ("USDC", 6, 100_000_000, true),
    ("WETH", 18, 3_000 * 100_000_000, false),
    ("WBTC", 8, 60_000 * 100_000_000, false),
];

/// Whole tokens each dev account holds at genesis, per token.
const DEV_TOKEN_HOLDINGS: [u128; 3] = [1_000_000, 1_000, 50];

/// Whole tokens the last dev account supplies at genesis, so borrowing works at once.
const GENESIS_LIQUIDITY: [u128; 3] = [500_000, 300, 20];

/// The account genesis deploys from (not a dev account, so dev accounts start at nonce 0).
pub fn genesis_deployer() -> Address {
    let hash = keccak256(b"tidepool genesis deployer");
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash.0[12..]);
    Address(out)
}

/// The deterministic addresses of the dev market (whether or not it was deployed).
pub fn market_info() -> MarketInfo {
    let deployer = genesis_deployer();
    let tokens = TOKENS
        .iter()
        .enumerate()
        .map(|(i, (symbol, decimals, price, _))| TokenInfo {
            symbol: (*symbol).to_string(),
            address: Address::contract(&deployer, i as u64),
            decimals: *decimals,
            price: *price,
        })
        .collect();
    MarketInfo { oracle: Address::contract(&deployer, 3), pool: Address::contract(&deployer, 4), tokens }
}

/// Builds and commits the first block: block 0, or the configured state file's block
/// ([`NodeConfig::genesis_state`](crate::NodeConfig::genesis_state)).
pub(crate) fn build(node: &Node) -> Result<(), NodeError> {
    let config = node.config();
    if let Some(file) = &config.genesis_state {
        let block = file.genesis_block(node.vm(), config.chain_id)?;
        node.ledger().replace_chain(file.height, block)?;
        return Ok(());
    }
    let dev = if config.dev { dev_accounts(config.dev_accounts) } else { Vec::new() };
    let funded: Vec<(Address, u128)> = dev
        .iter()
        .map(|account| (account.address, config.dev_balance))
        .chain(config.genesis_accounts.iter().copied())
        .collect();
    let mut overlay = node.ledger().overlay();
    for (address, balance) in &funded {
        let mut account = overlay.account(address)?;
        account.balance = account
            .balance
            .checked_add(*balance)
            .ok_or_else(|| HostError::Genesis(format!("the genesis balances of {address} add up past 2^128 - 1")))?;
        overlay.set_account(address, &account);
    }
    let time = node.clock_base();
    let holders: Vec<Address> = funded.iter().map(|(address, _)| *address).collect();
    if let (Some(code), false) = (&config.market, holders.is_empty()) {
        let env = Env { chain_id: config.chain_id, height: 0, time, origin: holders[0] };
        Deployer { node, overlay: &mut overlay, env }.deploy_market(code, &holders)?;
    }
    node.ledger().commit_block(NewBlock { time, changes: overlay.into_changes(), txs: Vec::new() })?;
    Ok(())
}

struct Deployer<'a> {
    node: &'a Node,
    overlay: &'a mut Overlay,
    env: Env,
}

impl Deployer<'_> {
    /// Deploys the market: `holders` (at least one) each get its tokens, the first owns it and
    /// the last supplies its first liquidity.
    fn deploy_market(&mut self, code: &MarketCode, holders: &[Address]) -> Result<(), NodeError> {
        let owner = holders[0];
        let supplier = holders[holders.len() - 1];
        let market = market_info();
        let token_code = self.upload(&code.token)?;
        let oracle_code = self.upload(&code.oracle)?;
        let pool_code = self.upload(&code.pool)?;

        for (i, token) in market.tokens.iter().enumerate() {
            let unit = 10u128.pow(u32::from(token.decimals));
            let balances: Vec<Value> = holders
                .iter()
                .map(|address| json!({"address": address, "amount": (DEV_TOKEN_HOLDINGS[i] * unit).to_string()}))
                .collect();
            let msg = json!({
                "name": format!("Dev {}", token.symbol), "symbol": token.symbol, "decimals": token.decimals,
                "initial_balances": balances, "minter": owner,
            });
            self.instantiate(owner, token_code, token.address, &format!("token:{}", token.symbol), msg)?;
        }
        self.instantiate(owner, oracle_code, market.oracle, "oracle", json!({ "owner": owner }))?;
        let prices: Vec<Value> =
            market.tokens.iter().map(|t| json!({"asset": t.address, "price": t.price.to_string()})).collect();
        self.execute(owner, market.oracle, json!({"set_prices": {"prices": prices}}))?;
        let pool_msg = json!({"oracle": market.oracle, "treasury": owner, "owner": owner});
        self.instantiate(owner, pool_code, market.pool, "lending-pool", pool_msg)?;

        for (i, token) in market.tokens.iter().enumerate() {
            let unit = 10u128.pow(u32::from(token.decimals));
            let seed = unit; // one whole token, locked in the pool forever (docs/lending.md, "Parameters": ≥ 1000 units)
            self.execute(
                owner,
                token.address,
                json!({"approve": {"spender": market.pool, "amount": seed.to_string()}}),
            )?;
            let config = market_config(TOKENS[i].3);
            let list = json!({"list_market": {"asset": token.address, "config": config, "seed": seed.to_string()}});
            self.execute(owner, market.pool, list)?;
            let liquidity = GENESIS_LIQUIDITY[i] * unit;
            let approve = json!({"approve": {"spender": market.pool, "amount": liquidity.to_string()}});
            self.execute(supplier, token.address, approve)?;
            let supply = json!({"supply": {"asset": token.address, "amount": liquidity.to_string()}});
            self.execute(supplier, market.pool, supply)?;
        }
        Ok(())
    }

    fn upload(&mut self, wasm: &[u8]) -> Result<Hash, NodeError> {
        let uploader = genesis_deployer();
        self.node
            .vm()
            .upload(self.overlay, uploader, 0, wasm)?
            .map_err(|e| NodeError::Host(HostError::Genesis(format!("upload: {e}"))))
    }

    fn instantiate(
        &mut self,
        sender: Address,
        code: Hash,
        at: Address,
        label: &str,
        msg: Value,
    ) -> Result<(), NodeError> {
        let kind = CallKind::Instantiate { code_hash: code, admin: Some(sender), label: label.to_string() };
        self.call(sender, at, kind, msg)
    }

    fn execute(&mut self, sender: Address, contract: Address, msg: Value) -> Result<(), NodeError> {
        self.call(sender, contract, CallKind::Execute, msg)
    }

    fn call(&mut self, sender: Address, contract: Address, kind: CallKind, msg: Value) -> Result<(), NodeError> {
        let what = format!("{kind:?} {contract}: {msg}");
        let call = Call { sender, contract, kind, msg: msg.to_string().into_bytes(), funds: 0, gas_limit: GENESIS_GAS };
        let env = Env { origin: sender, ..self.env };
        let outcome = self.node.vm().call(self.overlay, &env, call)?;
        if outcome.status.is_success() {
            self.overlay.take_events();
            Ok(())
        } else {
            Err(HostError::Genesis(format!("{what} failed: {}", outcome.status)).into())
        }
    }
}

/// The default market parameters of docs/lending.md ("Parameters"; from Aave v3's initial listings).
fn market_config(stable: bool) -> Value {
    const WAD: u128 = 1_000_000_000_000_000_000;
    let (u_opt, slope1, slope2) =
        if stable { (WAD * 90 / 100, WAD * 4 / 100, WAD * 60 / 100) } else { (WAD * 45 / 100, WAD * 7 / 100, WAD * 3) };
    let lt = if stable { 8500 } else { 8250 };
    json!({
        "ltv": 8000, "lt": lt, "lb": 10500, "liq_fee": 1000, "rf": 1000,
        "interest": {"base": "0", "slope1": slope1.to_string(), "slope2": slope2.to_string(), "u_opt": u_opt.to_string()},
    })
}

/// One token balance of an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBalance {
    /// The token contract.
    pub token: Address,
    /// Its symbol.
    pub symbol: String,
    /// Its decimals.
    pub decimals: u8,
    /// The balance, base units.
    pub balance: u128,
}

impl Node {
    /// The funded dev accounts (empty unless in dev mode).
    pub fn dev_accounts(&self) -> Vec<DevAccount> {
        if self.config().dev { dev_accounts(self.config().dev_accounts) } else { Vec::new() }
    }

    /// The dev market's contracts, if it was deployed.
    pub fn market(&self) -> Option<MarketInfo> {
        self.view().ok()?.market()
    }

    /// The balances of `owner` in the tokens the node indexes (the dev market's tokens), at the
    /// latest height.
    ///
    /// # Errors
    /// A host failure, or a token that answers its `balance` query with something unexpected.
    pub fn token_balances(&self, owner: &Address) -> Result<Vec<TokenBalance>, NodeError> {
        self.view()?.token_balances(owner)
    }
}
