//! The gas report of the sample contracts: gas per entry point in a typical case, and the wasm
//! sizes, written to `contracts/GAS.md` and checked against it.
//!
//! [`measure`] runs one scripted scenario through a [`Sandbox`] — the real node, VM and gas
//! meter, with a manual clock and accounts whose keys derive from their names — so every run
//! gives the same figures. [`GasReport::to_markdown`] writes the file (with its tolerance);
//! [`GasReport::check`] compares a measurement with a committed file and names every figure
//! that moved beyond the tolerance the file states. `tidepool gas-report --write/--check` and a
//! unit test of this module (so `cargo test` in CI) use them.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};
use tidepool_node::apply::TX_BASE_GAS;
use tidepool_sandbox::{Account, Code, Contract, Executed, Sandbox, SandboxError};

/// How far a figure may move before the check fails, in percent (stated in the file; the
/// check uses the file's figure).
pub(super) const DEFAULT_TOLERANCE_PERCENT: f64 = 2.0;

/// The file's tolerance line: `Tolerance: ±2 %`.
const TOLERANCE_PREFIX: &str = "Tolerance: ±";

/// The section of the wasm sizes.
const SIZES: &str = "wasm sizes";

/// One measured figure: in which section (a contract, or the sizes), what, and how much.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Figure {
    /// `token`, `oracle`, `lending-pool` or `wasm sizes`.
    pub section: String,
    /// The entry point (`transfer`, `query balance`) or the contract (for sizes).
    pub name: String,
    /// What the typical case is.
    pub case: String,
    /// Gas, or bytes for sizes.
    pub value: u64,
}

impl Figure {
    fn key(&self) -> Key {
        (self.section.clone(), self.name.clone())
    }
}

/// A measurement: every figure, in the order the file lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct GasReport {
    /// Gas figures, then sizes.
    pub figures: Vec<Figure>,
}

/// A figure that moved beyond the tolerance, appeared, or disappeared.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Change {
    /// Moved from `before` to `after`.
    Moved {
        /// Section and name.
        what: String,
        /// The committed figure.
        before: u64,
        /// The measured figure.
        after: u64,
    },
    /// Measured but not in the file.
    New {
        /// Section and name.
        what: String,
        /// The measured figure.
        after: u64,
    },
    /// In the file but no longer measured.
    Gone {
        /// Section and name.
        what: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Moved { what, before, after } => {
                let percent = (*after as f64 - *before as f64) / (*before).max(1) as f64 * 100.0;
                write!(f, "{what}: {before} → {after} ({percent:+.2} %)")
            }
            Change::New { what, after } => write!(f, "{what}: {after}, not in the file"),
            Change::Gone { what } => write!(f, "{what}: in the file, no longer measured"),
        }
    }
}

/// Why the check failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum GasReportError {
    /// Figures moved beyond the tolerance (one line each).
    #[error(
        "{} gas report figure(s) moved beyond ±{tolerance} %:\n  {}\nIf the change is intended, run `make gas` and commit contracts/GAS.md.",
        .changes.len(),
        lines(.changes)
    )]
    Moved {
        /// What moved.
        changes: Vec<Change>,
        /// The file's tolerance, percent.
        tolerance: f64,
    },
    /// A scenario step failed (a contract bug, or the scenario no longer fits the contracts).
    #[error("the gas report scenario failed at {step}: {message}")]
    Scenario {
        /// The step.
        step: String,
        /// The failure.
        message: String,
    },
}

fn lines(changes: &[Change]) -> String {
    changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
}

impl GasReport {
    /// The markdown of `contracts/GAS.md`.
    pub(super) fn to_markdown(&self) -> String {
        let mut out = String::from(
            "# Gas report\n\n\
             Gas per entry point of the sample contracts in `contracts/`, each in a typical case, measured\n\
             through the real node, VM and gas meter (an in-process Sandbox with a manual clock and fixed\n\
             accounts, so every run gives the same figures). Execution gas: what the transaction used minus\n\
             the 21 000 base every transaction pays; for queries, the query's gas.\n\n\
             Regenerate with `make gas` (`tidepool gas-report --write contracts/GAS.md`) and commit the file.\n\
             `make gas-check` and `cargo test -p tidepool-api` fail, naming each figure, when a gas figure or a\n\
             wasm size moves by more than the tolerance.\n\n",
        );
        out.push_str(&format!("{TOLERANCE_PREFIX}{DEFAULT_TOLERANCE_PERCENT} %\n"));
        let mut section = "";
        for figure in &self.figures {
            if figure.section != section {
                section = &figure.section;
                out.push_str(&format!("\n## {section}\n\n"));
                out.push_str(if section == SIZES {
                    "| contract | bytes |\n|---|---:|\n"
                } else {
                    "| entry point | typical case | gas |\n|---|---|---:|\n"
                });
            }
            if figure.section == SIZES {
                out.push_str(&format!("| `{}` | {} |\n", figure.name, figure.value));
            } else {
                out.push_str(&format!("| `{}` | {} | {} |\n", figure.name, figure.case, figure.value));
            }
        }
        out
    }

    /// Compares this measurement with a committed file: every figure must be there and within
    /// the file's tolerance, and the file must have no other figure.
    ///
    /// # Errors
    /// [`GasReportError::Moved`] listing every change.
    pub(super) fn check(&self, committed: &str) -> Result<(), GasReportError> {
        let (tolerance, recorded) = parse(committed);
        let mut recorded: BTreeMap<Key, u64> = recorded.into_iter().collect();
        let mut changes = Vec::new();
        for figure in &self.figures {
            let what = format!("{} `{}`", figure.section, figure.name);
            match recorded.remove(&figure.key()) {
                None => changes.push(Change::New { what, after: figure.value }),
                Some(before) => {
                    let moved = (figure.value as f64 - before as f64).abs() / (before.max(1) as f64) * 100.0;
                    if moved > tolerance {
                        changes.push(Change::Moved { what, before, after: figure.value });
                    }
                }
            }
        }
        changes
            .extend(recorded.into_keys().map(|(section, name)| Change::Gone { what: format!("{section} `{name}`") }));
        if changes.is_empty() { Ok(()) } else { Err(GasReportError::Moved { changes, tolerance }) }
    }
}

/// A figure's identity in the file: its section and name.
type Key = (String, String);

/// The tolerance and the figures of a `GAS.md`: rows `| `name` | … | number |` under `## section`.
fn parse(markdown: &str) -> (f64, Vec<(Key, u64)>) {
    let mut tolerance = DEFAULT_TOLERANCE_PERCENT;
    let mut section = String::new();
    let mut figures = Vec::new();
    for line in markdown.lines() {
        if let Some(rest) = line.strip_prefix(TOLERANCE_PREFIX) {
            if let Ok(t) = rest.trim_end_matches('%').trim().parse() {
                tolerance = t;
            }
        } else if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim().to_string();
        } else if line.starts_with('|') {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            if let (Some(name), Some(Ok(value))) = (cells.first(), cells.last().map(|v| v.parse::<u64>())) {
                figures.push(((section.clone(), name.trim_matches('`').to_string()), value));
            }
        }
    }
    (tolerance, figures)
}

/// The scenario's recorder: runs steps, keeps their figures.
struct Recorder {
    sandbox: Sandbox,
    figures: Vec<Figure>,
}

type Step<T> = Result<T, GasReportError>;

fn failed(step: &str) -> impl Fn(SandboxError) -> GasReportError + '_ {
    move |e| GasReportError::Scenario { step: step.to_string(), message: e.message().to_string() }
}

impl Recorder {
    fn record(&mut self, section: &str, name: &str, case: &str, gas: u64) {
        self.figures.push(Figure { section: section.into(), name: name.into(), case: case.into(), value: gas });
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

/// Runs the scenario and returns the report.
///
/// # Errors
/// [`GasReportError::Scenario`] if a step fails.
pub(super) fn measure() -> Result<GasReport, GasReportError> {
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
    r.query(t, "token_info", "name, symbol, decimals, supply, minter", &weth, json!({"token_info": {}}))?;

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
    figures.extend(tidepool_artifacts::sizes().map(|(name, size)| Figure {
        section: SIZES.into(),
        name: name.into(),
        case: "wasm bytes".into(),
        value: size as u64,
    }));
    Ok(GasReport { figures })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(values: &[(&str, &str, u64)]) -> GasReport {
        GasReport {
            figures: values
                .iter()
                .map(|(section, name, value)| Figure {
                    section: (*section).into(),
                    name: (*name).into(),
                    case: "a case".into(),
                    value: *value,
                })
                .collect(),
        }
    }

    #[test]
    fn a_report_checks_against_its_own_markdown() {
        let r = report(&[("token", "transfer", 50_000), ("token", "query balance", 9_000), (SIZES, "token", 40_000)]);
        let markdown = r.to_markdown();
        assert!(markdown.contains("Tolerance: ±2 %"));
        assert!(markdown.contains("| `transfer` | a case | 50000 |"));
        r.check(&markdown).unwrap();
    }

    #[test]
    fn moves_beyond_the_tolerance_are_named() {
        let committed = report(&[("token", "transfer", 50_000), ("token", "burn", 10_000), (SIZES, "token", 40_000)]);
        let markdown = committed.to_markdown();
        // +1 % and −2 % are within ±2 %; +2.02 % is not.
        report(&[("token", "transfer", 50_500), ("token", "burn", 9_800), (SIZES, "token", 40_000)])
            .check(&markdown)
            .unwrap();
        let err = report(&[("token", "transfer", 51_010), ("token", "burn", 10_000), (SIZES, "token", 40_000)])
            .check(&markdown)
            .unwrap_err();
        let GasReportError::Moved { changes, tolerance } = &err else { panic!("{err}") };
        assert_eq!(*tolerance, 2.0);
        assert_eq!(changes, &[Change::Moved { what: "token `transfer`".into(), before: 50_000, after: 51_010 }]);
        assert!(err.to_string().contains("token `transfer`: 50000 → 51010 (+2.02 %)"), "{err}");
        // New and vanished figures fail too; the file's own tolerance applies.
        let err = report(&[("token", "transfer", 50_000), ("token", "mint", 1), (SIZES, "token", 40_000)])
            .check(&markdown.replace("±2 %", "±5 %"))
            .unwrap_err();
        let GasReportError::Moved { changes, tolerance } = &err else { panic!("{err}") };
        assert_eq!(*tolerance, 5.0);
        assert_eq!(changes.len(), 2, "{err}");
        assert!(err.to_string().contains("token `mint`: 1, not in the file"), "{err}");
        assert!(err.to_string().contains("token `burn`: in the file, no longer measured"), "{err}");
    }

    /// CI's gas regression check: the committed `contracts/GAS.md` matches a fresh measurement.
    #[test]
    fn the_committed_gas_report_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/GAS.md");
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let measured = measure().unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = measured.check(&committed) {
            panic!("{e}");
        }
    }
}
