//! The gas report's scenario: one scripted run of the sample contracts through a [`Sandbox`] —
//! the real node, VM and gas meter, with a manual clock and accounts whose keys derive from
//! their names, so every run gives the same figures — measuring each entry point in a typical
//! case, plus the wasm sizes, as named [`GasFigure`]s for a [`GasSnapshot`](tidepool_sandbox::GasSnapshot).

use serde_json::{Value, json};
use tidepool_node::apply::TX_BASE_GAS;
use tidepool_sandbox::{Account, Code, Contract, Executed, GasFigure, Sandbox, SandboxError};

/// The section of the wasm sizes.
const SIZES: &str = "wasm sizes";

/// A scenario step failed (a contract bug, or the scenario no longer fits the contracts).
#[derive(Debug, thiserror::Error)]
#[error("the gas report scenario failed at {step}: {message}")]
pub(super) struct ScenarioError {
    /// The step.
    step: String,
    /// The failure.
    message: String,
}

/// The scenario's recorder: runs steps, keeps their figures.
struct Recorder {
    sandbox: Sandbox,
    figures: Vec<GasFigure>,
}

type Step<T> = Result<T, ScenarioError>;

fn failed(step: &str) -> impl Fn(SandboxError) -> ScenarioError + '_ {
    move |e| ScenarioError { step: step.to_string(), message: e.message().to_string() }
}

impl Recorder {
    fn record(&mut self, section: &str, name: &str, case: &str, gas: u64) {
        self.figures.push(GasFigure::new(section, name, case, gas));
    }

    /// Instantiates `code` as `owner`, recording the instantiation's execution gas.
    fn instantiate(&mut self, section: &str, code: &Code, owner: &Account, msg: &Value, case: &str) -> Step<Contract> {
        let what = format!("{section} instantiate");
        let contract = self.sandbox.instantiate(code, owner, msg, section).map_err(failed(&what))?;
        let gas = contract.instantiation().map_or(TX_BASE_GAS, Executed::gas_used);
        self.record(section, "instantiate", case, gas - TX_BASE_GAS);
        Ok(contract)
    }

    fn upload(&self, wasm: &[u8]) -> Step<Code> {
        self.sandbox.upload(wasm).map_err(failed("upload"))
    }

    /// Executes `msg`, recording its execution gas under `name` (unless `name` is empty: a
    /// setup step).
    fn execute(
        &mut self,
        section: &str,
        name: &str,
        case: &str,
        contract: &Contract,
        who: &Account,
        msg: Value,
    ) -> Step<Executed> {
        let what = format!("{section} {}", if name.is_empty() { msg.to_string() } else { name.to_string() });
        let done = contract.execute(who, &msg).map_err(failed(&what))?;
        if !name.is_empty() {
            self.record(section, name, case, done.gas_used() - TX_BASE_GAS);
        }
        Ok(done)
    }

    fn setup(&mut self, contract: &Contract, who: &Account, msg: Value) -> Step<Executed> {
        self.execute("", "", "", contract, who, msg)
    }

    /// Queries `msg`, recording its gas as `query <name>`.
    fn query(&mut self, section: &str, name: &str, case: &str, contract: &Contract, msg: Value) -> Step<Value> {
        let label = format!("query {name}");
        let (answer, gas) = contract.query_with_gas::<Value>(&msg).map_err(failed(&label))?;
        self.record(section, &label, case, gas);
        Ok(answer)
    }
}

const E18: u128 = 1_000_000_000_000_000_000;
const USD: u128 = 100_000_000;

fn amount(v: u128) -> String {
    v.to_string()
}

/// Runs the scenario and returns its figures, in the order the report lists them: gas per
/// entry point of the token, the oracle and the pool (execution gas: what the transaction used
/// minus the base every transaction pays; a query's own gas), then the wasm sizes.
///
/// # Errors
/// [`ScenarioError`] if a step fails.
pub(super) fn measure() -> Result<Vec<GasFigure>, ScenarioError> {
    let sandbox = Sandbox::new();
    let [owner, alice, bob, carol] = ["owner", "alice", "bob", "carol"].map(|name| sandbox.account(name));
    let mut r = Recorder { sandbox: sandbox.clone(), figures: Vec::new() };

    // --- token ---------------------------------------------------------------------------
    let token_msg = |symbol: &str, decimals: u8, unit: u128| {
        let balances: Vec<Value> = [&owner, &alice, &bob, &carol]
            .iter()
            .map(|a| json!({"address": a.address(), "amount": amount(1_000_000 * unit)}))
            .collect();
        json!({"name": symbol, "symbol": symbol, "decimals": decimals, "initial_balances": balances, "minter": owner.address()})
    };
    let t = "token";
    let token_code = r.upload(tidepool_artifacts::TOKEN)?;
    let weth = r.instantiate(t, &token_code, &owner, &token_msg("WETH", 18, E18), "4 initial balances, a minter")?;
    let usdc =
        sandbox.instantiate(&token_code, &owner, &token_msg("USDC", 6, 1_000_000), "USDC").map_err(failed("USDC"))?;
    r.execute(
        t,
        "transfer",
        "to an account that holds some",
        &weth,
        &alice,
        json!({"transfer": {"to": bob.address(), "amount": amount(E18)}}),
    )?;
    r.execute(
        t,
        "approve",
        "a new allowance",
        &weth,
        &alice,
        json!({"approve": {"spender": bob.address(), "amount": amount(10 * E18)}}),
    )?;
    r.execute(
        t,
        "transfer_from",
        "within the allowance, to a holder",
        &weth,
        &bob,
        json!({"transfer_from": {"owner": alice.address(), "to": carol.address(), "amount": amount(E18)}}),
    )?;
    r.execute(
        t,
        "mint",
        "by the minter, to a holder",
        &weth,
        &owner,
        json!({"mint": {"to": alice.address(), "amount": amount(E18)}}),
    )?;
    r.execute(t, "burn", "part of the caller's balance", &weth, &alice, json!({"burn": {"amount": amount(E18)}}))?;
    r.query(t, "balance", "a holder", &weth, json!({"balance": {"address": alice.address()}}))?;
    r.query(
        t,
        "allowance",
        "an existing allowance",
        &weth,
        json!({"allowance": {"owner": alice.address(), "spender": bob.address()}}),
    )?;
    r.query(
        t,
        "token_info",
        "name, symbol, decimals, supply, minter, reports_delivery",
        &weth,
        json!({"token_info": {}}),
    )?;

    // --- oracle --------------------------------------------------------------------------
    let o = "oracle";
    let oracle_code = r.upload(tidepool_artifacts::ORACLE)?;
    let oracle = r.instantiate(o, &oracle_code, &owner, &json!({}), "owner = the instantiator")?;
    r.execute(
        o,
        "set_price",
        "a first price",
        &oracle,
        &owner,
        json!({"set_price": {"asset": weth.address(), "price": amount(2000 * USD)}}),
    )?;
    let prices = json!({"set_prices": {"prices": [
        {"asset": weth.address(), "price": amount(2000 * USD)}, {"asset": usdc.address(), "price": amount(USD)},
    ]}});
    r.execute(o, "set_prices", "two prices, one of them new", &oracle, &owner, prices)?;
    r.query(o, "price", "a set price", &oracle, json!({"price": {"asset": weth.address()}}))?;
    let both = json!({"prices": {"assets": [weth.address(), usdc.address()]}});
    r.query(o, "prices", "2 set prices", &oracle, both)?;
    r.query(o, "config", "the owner", &oracle, json!({"config": {}}))?;

    // --- lending pool --------------------------------------------------------------------
    let p = "lending-pool";
    let treasury = sandbox.account("treasury");
    let pool_msg = json!({"oracle": oracle.address(), "treasury": treasury.address()});
    let pool_code = r.upload(tidepool_artifacts::LENDING_POOL)?;
    let pool = r.instantiate(p, &pool_code, &owner, &pool_msg, "default parameters")?;
    for who in [&owner, &alice, &bob, &carol] {
        for token in [&weth, &usdc] {
            r.setup(token, who, json!({"approve": {"spender": pool.address(), "amount": amount(u128::MAX)}}))?;
        }
    }
    let curve = |u_opt: &str, slope1: &str, slope2: &str, lt: u32| {
        json!({"ltv": 8000, "lt": lt, "lb": 10500, "liq_fee": 1000, "rf": 1000,
            "interest": {"base": "0", "slope1": slope1, "slope2": slope2, "u_opt": u_opt}})
    };
    let weth_config = curve("450000000000000000", "70000000000000000", "3000000000000000000", 8250);
    let usdc_config = curve("900000000000000000", "40000000000000000", "600000000000000000", 8500);
    let list = |asset: &Contract, config: &Value| json!({"list_market": {"asset": asset.address(), "config": config, "seed": "1000000"}});
    r.execute(p, "list_market", "pulls a seed deposit", &pool, &owner, list(&weth, &weth_config))?;
    r.setup(&pool, &owner, list(&usdc, &usdc_config))?;
    let (w, u) = (weth.address(), usdc.address());
    r.execute(
        p,
        "supply",
        "a first supply (collateral turns on)",
        &pool,
        &bob,
        json!({"supply": {"asset": u, "amount": amount(100_000_000_000)}}),
    )?;
    r.setup(&pool, &alice, json!({"supply": {"asset": w, "amount": amount(10 * E18)}}))?;
    r.execute(
        p,
        "borrow",
        "against collateral in another market (2 prices)",
        &pool,
        &alice,
        json!({"borrow": {"asset": u, "amount": amount(10_000_000_000)}}),
    )?;
    sandbox.warp(24 * 3600);
    r.setup(
        &oracle,
        &owner,
        json!({"set_prices": {"prices": [
            {"asset": w, "price": amount(2000 * USD)}, {"asset": u, "price": amount(USD)},
        ]}}),
    )?;
    r.execute(p, "accrue", "a day of interest", &pool, &carol, json!({"accrue": {"asset": u}}))?;
    r.execute(
        p,
        "repay",
        "part of the debt",
        &pool,
        &alice,
        json!({"repay": {"asset": u, "amount": amount(1_000_000_000)}}),
    )?;
    r.execute(
        p,
        "withdraw",
        "an exact amount, with debt (health check)",
        &pool,
        &alice,
        json!({"withdraw": {"asset": w, "amount": amount(E18 / 10)}}),
    )?;
    r.execute(
        p,
        "set_collateral",
        "off, without debt",
        &pool,
        &bob,
        json!({"set_collateral": {"asset": u, "enabled": false}}),
    )?;
    let receiver = sandbox
        .deploy(tidepool_artifacts::FLASH_RECEIVER_GOOD, &owner, &json!({}), "receiver")
        .map_err(failed("receiver"))?;
    r.setup(&weth, &owner, json!({"transfer": {"to": receiver.address(), "amount": amount(E18)}}))?;
    r.execute(
        p,
        "flash_loan",
        "repaid by the receiver",
        &pool,
        &carol,
        json!({"flash_loan": {"asset": w, "amount": amount(E18), "receiver": receiver.address()}}),
    )?;
    r.execute(
        p,
        "withdraw_reserves",
        "owner, to the treasury",
        &pool,
        &owner,
        json!({"withdraw_reserves": {"asset": u, "amount": "1"}}),
    )?;
    let mut updated = weth_config.clone();
    updated["supply_cap"] = json!(amount(1_000_000 * E18));
    r.execute(
        p,
        "update_market",
        "owner, adds a cap",
        &pool,
        &owner,
        json!({"update_market": {"asset": w, "config": updated}}),
    )?;
    r.execute(
        p,
        "set_paused",
        "owner, one market",
        &pool,
        &owner,
        json!({"set_paused": {"asset": w, "paused": true}}),
    )?;
    r.setup(&pool, &owner, json!({"set_paused": {"asset": w, "paused": false}}))?;
    r.query(p, "market", "one market, accrued to now", &pool, json!({"market": {"asset": u}}))?;
    r.query(p, "markets", "2 markets", &pool, json!({"markets": {}}))?;
    r.query(p, "rates", "utilization and both APRs", &pool, json!({"rates": {"asset": u}}))?;
    r.query(p, "position", "2 markets, with debt (2 prices)", &pool, json!({"position": {"user": alice.address()}}))?;
    r.query(
        p,
        "balance",
        "one account in one market",
        &pool,
        json!({"balance": {"user": alice.address(), "asset": u}}),
    )?;
    r.query(p, "config", "the pool's parameters", &pool, json!({"config": {}}))?;
    // Alice at her limit, then WETH falls 5 %: Bob repays half her debt for her collateral.
    r.setup(&pool, &alice, json!({"borrow": {"asset": u, "amount": amount(6_000_000_000)}}))?;
    r.setup(&oracle, &owner, json!({"set_price": {"asset": w, "price": amount(1800 * USD)}}))?;
    let liquidate = json!({"liquidate": {"borrower": alice.address(), "debt_asset": u, "collateral_asset": w, "debt_to_cover": "all"}});
    r.execute(p, "liquidate", "close factor 50 %, collateral paid in tokens", &pool, &bob, liquidate)?;

    let mut figures = r.figures;
    figures
        .extend(tidepool_artifacts::sizes().map(|(name, size)| GasFigure::new(SIZES, name, "wasm bytes", size as u64)));
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use tidepool_sandbox::GasMode;

    use super::*;

    /// CI's gas regression check: the committed `contracts/GAS.md` matches a fresh measurement.
    #[test]
    fn the_committed_gas_report_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/GAS.md");
        let measured = measure().unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = super::super::snapshot(&path).with_mode(GasMode::Check).record_all(&measured) {
            panic!("{e}");
        }
    }
}
