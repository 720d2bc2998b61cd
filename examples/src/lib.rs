//! Runnable walkthroughs of Tidepool's lending market over the REST API.
//!
//! [`lending_walkthrough`] is the story `examples/lending_walkthrough.rs` tells (supply, borrow, a
//! year of interest, a price drop, a liquidation), kept in the library so the end-to-end tests run
//! exactly the code the example runs. [`Client`] is the small blocking JSON client it uses: sign a
//! transaction locally with [`tidepool_node`], `POST /v1/txs`, read the receipt.

use std::io::Write;

use anyhow::{Context, bail, ensure};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};
use tidepool_ledger::Address;
use tidepool_node::keys::{address_of, dev_accounts, generate_key};
use tidepool_node::{Action, Transaction};

/// Gas limit of the walkthrough's transactions (generous: the node charges no fee for gas).
const GAS_LIMIT: u64 = 50_000_000;

/// 10^18: the scale of health factors and rates.
const WAD: u128 = 1_000_000_000_000_000_000;

/// Prices are USD per whole token × 10^8.
const USD: u128 = 100_000_000;

/// A blocking JSON client for a Tidepool node's REST API.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    chain_id: u64,
}

impl Client {
    /// Connects to the node at `url` (e.g. `http://127.0.0.1:8545`) and reads its chain id.
    ///
    /// # Errors
    /// The node does not answer `/health`.
    pub fn connect(url: &str) -> anyhow::Result<Client> {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut client = Client { agent, url: url.trim_end_matches('/').to_string(), chain_id: 0 };
        let health = client.get("/health").with_context(|| format!("is a node running at {url}? (`make run`)"))?;
        client.chain_id = health["chain_id"].as_u64().context("/health has no chain_id")?;
        Ok(client)
    }

    fn answer(what: &str, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> anyhow::Result<Value> {
        let mut response = result.with_context(|| what.to_string())?;
        let status = response.status();
        let body: Value = response.body_mut().read_json().with_context(|| format!("{what}: the answer is not JSON"))?;
        if !status.is_success() {
            let error = &body["error"];
            bail!(
                "{what}: {status} {}: {}",
                error["code"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or("?")
            );
        }
        Ok(body)
    }

    /// `GET path` → the JSON answer.
    ///
    /// # Errors
    /// Transport errors, and any non-2xx answer (with the API's error code and message).
    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        Self::answer(&format!("GET {path}"), self.agent.get(format!("{}{path}", self.url)).call())
    }

    /// `POST path` with a JSON body → the JSON answer.
    ///
    /// # Errors
    /// As [`Client::get`].
    pub fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        Self::answer(&format!("POST {path}"), self.agent.post(format!("{}{path}", self.url)).send_json(body))
    }

    /// A read-only contract query → the contract's answer.
    ///
    /// # Errors
    /// As [`Client::get`]; a query the contract refuses is a 400 `query_failed`.
    pub fn query(&self, contract: &Address, msg: &Value) -> anyhow::Result<Value> {
        Ok(self.post(&format!("/v1/contracts/{contract}/query"), msg)?["result"].take())
    }

    /// Signs `action` with `key` (nonce read from the node) and submits it → the receipt.
    ///
    /// # Errors
    /// A rejection (4xx), or a receipt whose status is not `success` (the contract's error).
    pub fn send(&self, key: &SigningKey, action: Action) -> anyhow::Result<Value> {
        let from = address_of(key);
        let nonce = self.get(&format!("/v1/accounts/{from}"))?["nonce"].as_u64().context("account has no nonce")?;
        let signed = Transaction { chain_id: self.chain_id, nonce, from, gas_limit: GAS_LIMIT, action }.sign(key)?;
        let receipt = self.post("/v1/txs", &serde_json::to_value(&signed)?)?;
        match receipt["status"].as_str() {
            Some("success") => Ok(receipt),
            Some(status) => bail!("transaction {status}: {}", receipt["error"].as_str().unwrap_or("")),
            None => bail!("no receipt (is the node mining at intervals? use `make run`): {receipt}"),
        }
    }

    /// Executes `msg` on `contract` as `key`'s account → the receipt.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub fn execute(&self, key: &SigningKey, contract: &Address, msg: Value) -> anyhow::Result<Value> {
        self.send(key, Action::Execute { contract: *contract, msg, funds: 0 })
    }

    /// A token balance, base units.
    ///
    /// # Errors
    /// As [`Client::query`].
    pub fn token_balance(&self, token: &Address, owner: &Address) -> anyhow::Result<u128> {
        decimal(&self.query(token, &json!({"balance": {"address": owner}}))?["balance"])
    }
}

/// An account's position in the pool, as the pool's `position` query reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Σ collateral value, USD × 10^8.
    pub collateral_value: u128,
    /// What the collateral lets the account borrow, USD × 10^8.
    pub borrow_capacity: u128,
    /// Σ debt value, USD × 10^8.
    pub debt_value: u128,
    /// Σ(collateral × liquidation threshold) / Σ debt, WAD; `u128::MAX` without debt.
    pub health_factor: u128,
    /// WETH supplied, base units (18 decimals).
    pub weth_supplied: u128,
    /// USDC owed, base units (6 decimals).
    pub usdc_debt: u128,
}

/// The walkthrough's numbers, for whoever wants to check them (the end-to-end test does).
#[derive(Clone, Debug)]
pub struct Summary {
    /// Alice after supplying WETH and borrowing USDC.
    pub after_borrow: Position,
    /// Alice a year later, prices refreshed.
    pub after_a_year: Position,
    /// Alice after the WETH price drop.
    pub after_price_drop: Position,
    /// Alice after Bob's liquidation.
    pub after_liquidation: Position,
    /// What the pool said when asked for Alice's position with day-old prices.
    pub stale_price_error: String,
    /// USDC Bob paid, base units.
    pub bob_repaid_usdc: u128,
    /// WETH Bob received, base units.
    pub bob_received_weth: u128,
}

/// The market the walkthrough uses: the dev node's genesis market.
struct Market {
    pool: Address,
    oracle: Address,
    usdc: Address,
    weth: Address,
    wbtc: Address,
}

/// Runs the lending walkthrough against the dev node at `url`, narrating to `out`.
///
/// Alice and Bob are fresh keys, so the walkthrough can run again on the same node; dev account 0
/// (the market's owner, which also owns the oracle) funds them and moves prices.
///
/// # Errors
/// The node is not reachable or not a dev node with the lending market; any step fails.
pub fn lending_walkthrough(url: &str, out: &mut dyn Write) -> anyhow::Result<Summary> {
    // The node: a dev node has the lending market at addresses fixed by genesis.
    let node = Client::connect(url)?;
    let health = node.get("/health")?;
    ensure!(health["dev"] == true, "{url} is not a dev node; start one with `make run`");
    let info = tidepool_node::genesis::market_info();
    let symbol = |s: &str| info.tokens.iter().find(|t| t.symbol == s).map(|t| t.address).context(s.to_string());
    let market = Market {
        pool: info.pool,
        oracle: info.oracle,
        usdc: symbol("USDC")?,
        weth: symbol("WETH")?,
        wbtc: symbol("WBTC")?,
    };
    node.get(&format!("/v1/contracts/{}", market.pool)).context("the node has no lending market")?;
    writeln!(out, "Connected to {url}: chain {}, height {}.", health["chain_id"], health["height"])?;
    writeln!(out, "Lending pool {}, oracle {}.", market.pool, market.oracle)?;

    // The cast: the market's owner (dev account 0) and two newcomers.
    let owner = dev_accounts(1).pop().context("dev account 0")?.key;
    let alice = generate_key()?;
    let bob = generate_key()?;
    let (alice_address, bob_address) = (address_of(&alice), address_of(&bob));
    step(out, "Alice and Bob get tokens")?;
    writeln!(out, "Alice is {alice_address}, Bob is {bob_address}: fresh keys, so this can run again.")?;
    let ten_weth = 10 * 10u128.pow(18);
    let bob_usdc = 20_000 * 10u128.pow(6);
    node.execute(&owner, &market.weth, json!({"transfer": {"to": alice_address, "amount": ten_weth.to_string()}}))?;
    node.execute(&owner, &market.usdc, json!({"transfer": {"to": bob_address, "amount": bob_usdc.to_string()}}))?;
    writeln!(out, "Dev account 0 sends Alice 10 WETH and Bob 20,000 USDC.")?;
    set_prices(&node, &owner, &market, 3_000)?;
    writeln!(out, "The oracle's owner publishes prices: USDC $1, WETH $3,000, WBTC $60,000.")?;

    // The pool takes tokens with the token's `transfer_from`, so Alice first approves it.
    step(out, "Alice supplies 10 WETH")?;
    node.execute(&alice, &market.weth, json!({"approve": {"spender": market.pool, "amount": ten_weth.to_string()}}))?;
    node.execute(&alice, &market.pool, json!({"supply": {"asset": market.weth, "amount": ten_weth.to_string()}}))?;
    writeln!(out, "She approves the pool, then supplies; a first supply counts as collateral.")?;
    print_position(out, "Alice", &position(&node, &market, &alice_address)?)?;

    // Health factor = Σ collateral value × liquidation threshold / Σ debt value: WETH's threshold
    // is 82.5%, so $30,000 × 0.825 / $22,500 = 1.1. Below 1, the position can be liquidated.
    step(out, "Alice borrows 22,500 USDC")?;
    let borrow = 22_500 * 10u128.pow(6);
    node.execute(&alice, &market.pool, json!({"borrow": {"asset": market.usdc, "amount": borrow.to_string()}}))?;
    writeln!(out, "WETH's loan-to-value is 80%: $30,000 of collateral lets her borrow up to $24,000.")?;
    let after_borrow = position(&node, &market, &alice_address)?;
    print_position(out, "Alice", &after_borrow)?;
    let rates = node.query(&market.pool, &json!({"rates": {"asset": market.usdc}}))?;
    writeln!(
        out,
        "USDC now lends at {} a year (utilization {}).",
        percent(decimal(&rates["borrow_apr"])?),
        percent(decimal(&rates["utilization"])?)
    )?;

    // Interest accrues on the pool's clock, the block time; queries answer as of the latest
    // block. The warp mines a block a year ahead, so the debt has grown by a year's interest. The
    // pool values positions only with prices at most an hour old: with `refresh_prices`, the same
    // block publishes the oracle's prices again, unchanged, at the new time.
    step(out, "A year passes")?;
    let block = node.post("/dev/warp", &json!({"seconds": 365 * 24 * 3600, "refresh_prices": true}))?;
    writeln!(
        out,
        "POST /dev/warp moves the clock a year ahead and mines block {}; with \"refresh_prices\": true the \
         oracle's prices are published again in it, at the new time, and interest shows:",
        block["height"]
    )?;
    let after_a_year = position(&node, &market, &alice_address)?;
    print_position(out, "Alice", &after_a_year)?;

    // $26,500 × 0.825 / ~$22,545 ≈ 0.97: liquidatable. Above 0.95, a liquidator may repay at most
    // half the debt at once (the close factor); below it, all of it.
    step(out, "WETH falls to $2,650")?;
    node.post("/dev/warp", &json!({"seconds": 24 * 3600}))?;
    let stale_price_error = match position(&node, &market, &alice_address) {
        Ok(p) => bail!("the pool valued a position with day-old prices: {p:?}"),
        Err(e) => format!("{e:#}"),
    };
    writeln!(out, "A day passes without a refresh, and the pool refuses to value positions:\n    {stale_price_error}")?;
    set_prices(&node, &owner, &market, 2_650)?;
    writeln!(out, "The oracle's owner publishes new prices, WETH at $2,650:")?;
    let after_price_drop = position(&node, &market, &alice_address)?;
    print_position(out, "Alice", &after_price_drop)?;
    if after_price_drop.health_factor < WAD {
        writeln!(out, "Below 1: anyone may now repay part of her debt and take her collateral at a 5% bonus.")?;
    }

    // Bob repays USDC for Alice and receives her WETH worth 105% of it (the 5% liquidation bonus,
    // of which the pool keeps a tenth as its fee): his profit is the incentive to keep the pool
    // solvent.
    step(out, "Bob liquidates Alice")?;
    let (usdc_before, weth_before) =
        (node.token_balance(&market.usdc, &bob_address)?, node.token_balance(&market.weth, &bob_address)?);
    node.execute(&bob, &market.usdc, json!({"approve": {"spender": market.pool, "amount": bob_usdc.to_string()}}))?;
    let liquidation = json!({"liquidate": {
        "borrower": alice_address, "debt_asset": market.usdc, "collateral_asset": market.weth, "debt_to_cover": "all",
    }});
    let receipt = node.execute(&bob, &market.pool, liquidation)?;
    let bob_repaid_usdc = usdc_before - node.token_balance(&market.usdc, &bob_address)?;
    let bob_received_weth = node.token_balance(&market.weth, &bob_address)? - weth_before;
    writeln!(out, "With debt_to_cover \"all\", Bob repays what the close factor allows (half her debt):")?;
    writeln!(
        out,
        "Bob paid {} USDC and received {} WETH (worth ${} at $2,650) in block {}.",
        units(bob_repaid_usdc, 6, 2),
        units(bob_received_weth, 18, 4),
        units(bob_received_weth * 2_650 / 10u128.pow(12), 6, 2),
        receipt["height"]
    )?;
    if let Some(event) = receipt["events"].as_array().into_iter().flatten().find(|e| e["type"] == "liquidate") {
        writeln!(out, "The pool's liquidate event: {}", event["data"])?;
    }
    let after_liquidation = position(&node, &market, &alice_address)?;
    print_position(out, "Alice", &after_liquidation)?;
    if after_liquidation.health_factor >= WAD {
        writeln!(out, "Healthy again: she keeps the rest of her collateral and the rest of her debt.")?;
    }

    Ok(Summary {
        after_borrow,
        after_a_year,
        after_price_drop,
        after_liquidation,
        stale_price_error,
        bob_repaid_usdc,
        bob_received_weth,
    })
}

/// The oracle's owner sets USDC to $1, WBTC to $60,000 and WETH to `weth_usd`, at the current
/// block time (the pool refuses prices older than an hour).
fn set_prices(node: &Client, owner: &SigningKey, market: &Market, weth_usd: u128) -> anyhow::Result<()> {
    let prices = json!([
        {"asset": market.usdc, "price": USD.to_string()},
        {"asset": market.weth, "price": (weth_usd * USD).to_string()},
        {"asset": market.wbtc, "price": (60_000 * USD).to_string()},
    ]);
    node.execute(owner, &market.oracle, json!({"set_prices": {"prices": prices}}))?;
    Ok(())
}

/// `user`'s position, from the pool's `position` query.
fn position(node: &Client, market: &Market, user: &Address) -> anyhow::Result<Position> {
    let answer = node.query(&market.pool, &json!({"position": {"user": user}}))?;
    let in_market = |asset: &Address, field: &str| -> anyhow::Result<u128> {
        let entry = answer["markets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["asset"].as_str().and_then(|a| a.parse::<Address>().ok()).as_ref() == Some(asset));
        entry.map_or(Ok(0), |m| decimal(&m[field]))
    };
    Ok(Position {
        collateral_value: decimal(&answer["collateral_value"])?,
        borrow_capacity: decimal(&answer["borrow_capacity"])?,
        debt_value: decimal(&answer["debt_value"])?,
        health_factor: decimal(&answer["health_factor"])?,
        weth_supplied: in_market(&market.weth, "supplied")?,
        usdc_debt: in_market(&market.usdc, "debt")?,
    })
}

fn print_position(out: &mut dyn Write, who: &str, p: &Position) -> std::io::Result<()> {
    writeln!(
        out,
        "  {who}: collateral ${} · can borrow ${} · debt ${} · health factor {}",
        units(p.collateral_value, 8, 2),
        units(p.borrow_capacity, 8, 2),
        units(p.debt_value, 8, 2),
        health(p.health_factor)
    )?;
    writeln!(
        out,
        "  {:width$}  WETH supplied {} · USDC owed {}",
        "",
        units(p.weth_supplied, 18, 4),
        units(p.usdc_debt, 6, 6),
        width = who.len()
    )
}

fn step(out: &mut dyn Write, title: &str) -> std::io::Result<()> {
    writeln!(out, "\n== {title} ==")
}

/// A decimal-string amount.
fn decimal(value: &Value) -> anyhow::Result<u128> {
    value.as_str().and_then(|s| s.parse().ok()).with_context(|| format!("expected a decimal string, got {value}"))
}

/// `amount` base units of a `decimals`-decimal quantity, shown with `shown` decimals (truncated)
/// and thousands separators: `units(22_500_123_456, 6, 2)` is `22,500.12`.
pub fn units(amount: u128, decimals: u32, shown: u32) -> String {
    let scale = 10u128.pow(decimals);
    let whole = (amount / scale).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if shown == 0 {
        return grouped;
    }
    let fraction = (amount % scale) * 10u128.pow(shown) / scale;
    format!("{grouped}.{fraction:0width$}", width = shown as usize)
}

/// A WAD health factor: `1.0312`, or `∞` without debt.
pub fn health(factor: u128) -> String {
    if factor == u128::MAX { "∞ (no debt)".to_string() } else { units(factor, 18, 4) }
}

/// A WAD rate as a percentage: `4.05%`.
fn percent(rate: u128) -> String {
    format!("{}%", units(rate * 100, 18, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_with_separators_and_truncated_decimals() {
        assert_eq!(units(22_500_123_456, 6, 2), "22,500.12");
        assert_eq!(units(999, 6, 2), "0.00");
        assert_eq!(units(1_234_567 * 10u128.pow(18), 18, 0), "1,234,567");
        assert_eq!(units(100_000, 3, 1), "100.0");
        assert_eq!(health(u128::MAX), "∞ (no debt)");
        assert_eq!(health(WAD + WAD / 10), "1.1000");
        assert_eq!(percent(WAD * 4 / 100), "4.00%");
    }
}
