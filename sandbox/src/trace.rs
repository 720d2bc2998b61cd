//! Readable traces: the call tree of a transaction or query — contract (by its Sandbox name),
//! entry point, gas, error per frame — followed by its events and debug logs. This is what
//! [`Executed`](super::Executed) and [`SandboxError`](super::SandboxError) print with `{:?}`,
//! and so what a failing `expect_success()` or `unwrap()` shows:
//!
//! ```text
//! reverted: insufficient balance: have 0, need 5  (tx 0x3f1c…9a2e by bob, height 4, gas 48211)
//! call tree:
//!   token [0x5FbD…0aa3] execute · gas 27211 of 999979000 · failed: reverted: insufficient balance: have 0, need 5
//! events: none
//! ```

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Weak};

use parking_lot::RwLock;
use tidepool_ledger::Address;
use tidepool_node::chain::Node;
use tidepool_node::trace::TraceFrame;

use tidepool_node::receipt::ReceiptEvent;

/// The Sandbox's names for addresses (accounts by name, contracts by label), shared by every
/// handle and result of one Sandbox so traces can print names. A contract nobody named here
/// (one a state file holds, one another contract instantiated, one reached by
/// [`Sandbox::contract_at`](super::Sandbox::contract_at)) goes by the label the chain stores,
/// read when a trace is rendered.
#[derive(Clone, Default)]
pub(crate) struct Names {
    given: Arc<RwLock<HashMap<Address, String>>>,
    /// The chain, for stored labels; weak, so a result kept after its Sandbox is dropped does
    /// not keep the chain alive (its contracts then print as addresses).
    chain: Weak<Node>,
}

impl Names {
    /// Names for the Sandbox over `chain`.
    pub(crate) fn of_chain(chain: &Arc<Node>) -> Names {
        Names { given: Arc::default(), chain: Arc::downgrade(chain) }
    }

    /// Names `address` (a later name replaces an earlier one).
    pub(crate) fn insert(&self, address: Address, name: &str) {
        self.given.write().insert(address, name.to_owned());
    }

    /// The name of `address`, if it has one: the name given here, else the label the chain
    /// stores for a contract at that address.
    pub(crate) fn get(&self, address: &Address) -> Option<String> {
        // The lock is let go before the chain is read.
        let given = self.given.read().get(address).cloned();
        given.or_else(|| self.stored_label(address))
    }

    /// The label of the contract at `address` in the chain's latest state (none for an account,
    /// a contract reverted away, an empty label, or a chain already dropped).
    fn stored_label(&self, address: &Address) -> Option<String> {
        let chain = self.chain.upgrade()?;
        let contract = chain.contract(address).ok()??;
        Some(contract.label).filter(|label| !label.is_empty())
    }

    /// `name [0x1234…abcd]` for a named address, the full checksum address otherwise.
    pub(crate) fn label(&self, address: &Address) -> String {
        match self.get(address) {
            Some(name) => format!("{name} [{}]", short(address)),
            None => address.to_string(),
        }
    }

    /// `name` for a named address, the full checksum address otherwise.
    pub(crate) fn name_or_address(&self, address: &Address) -> String {
        self.get(address).unwrap_or_else(|| address.to_string())
    }
}

/// `0x1234…abcd`.
fn short(address: &Address) -> String {
    let full = address.to_string();
    format!("{}…{}", &full[..6], &full[full.len() - 4..])
}

/// Everything a report prints.
pub(crate) struct Report<'a> {
    /// The first line: what happened.
    pub headline: String,
    /// The call tree, if the VM ran.
    pub trace: Option<&'a TraceFrame>,
    /// Events kept (none when the call failed).
    pub events: &'a [ReceiptEvent],
    /// Debug logs, as `0x…: line`.
    pub logs: &'a [String],
    /// For names.
    pub names: &'a Names,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.headline)?;
        if let Some(trace) = self.trace {
            writeln!(f, "call tree:")?;
            write_frame(f, trace, self.names, "  ", true, true)?;
        }
        if self.events.is_empty() {
            writeln!(f, "events: none")?;
        } else {
            writeln!(f, "events:")?;
            for event in self.events {
                writeln!(f, "  {} {} {}", self.names.name_or_address(&event.contract), event.ty, event.data)?;
            }
        }
        if !self.logs.is_empty() {
            writeln!(f, "logs:")?;
            for line in self.logs {
                writeln!(f, "  {}", rename_log(line, self.names))?;
            }
        }
        Ok(())
    }
}

/// A log line is `0x<address>: text`; show the contract's name instead of the address.
fn rename_log(line: &str, names: &Names) -> String {
    let Some((address, text)) = line.split_once(": ") else { return line.to_owned() };
    match address.parse::<Address>() {
        Ok(address) => format!("{}: {text}", names.name_or_address(&address)),
        Err(_) => line.to_owned(),
    }
}

fn write_frame(
    f: &mut fmt::Formatter<'_>,
    frame: &TraceFrame,
    names: &Names,
    prefix: &str,
    last: bool,
    root: bool,
) -> fmt::Result {
    let (branch, next) = match (root, last) {
        (true, _) => ("", prefix.to_owned()),
        (false, true) => ("└─ ", format!("{prefix}   ")),
        (false, false) => ("├─ ", format!("{prefix}│  ")),
    };
    let mut line = format!(
        "{prefix}{branch}{} {} · gas {} of {} · ",
        names.label(&frame.contract),
        frame.entry_point,
        frame.gas_used,
        frame.gas_limit
    );
    match &frame.error {
        None => line.push_str("ok"),
        Some(error) => {
            let _ = write!(line, "failed: {error}");
        }
    }
    writeln!(f, "{line}")?;
    for (i, child) in frame.children.iter().enumerate() {
        write_frame(f, child, names, &next, i + 1 == frame.children.len(), false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(contract: Address, entry: &str, error: Option<&str>, children: Vec<TraceFrame>) -> TraceFrame {
        TraceFrame {
            contract,
            caller: Address::ZERO,
            entry_point: entry.to_owned(),
            msg: serde_json::Value::Null,
            funds: 0,
            return_data: serde_json::Value::Null,
            events: Vec::new(),
            logs: Vec::new(),
            gas_limit: 1000,
            gas_used: 10,
            error: error.map(str::to_owned),
            children,
        }
    }

    #[test]
    fn report_names_contracts_and_nests_frames() {
        let names = Names::default();
        let (pool, token) = (Address([1; 20]), Address([2; 20]));
        names.insert(pool, "pool");
        let tree = frame(
            pool,
            "execute",
            Some("reverted: no"),
            vec![frame(token, "query", None, vec![]), frame(token, "execute", Some("reverted: no"), vec![])],
        );
        let events = [ReceiptEvent { contract: pool, ty: "supply".into(), data: serde_json::json!({"amount": "5"}) }];
        let logs = [format!("{pool}: hello"), "not an address line".to_owned()];
        let report =
            Report { headline: "head".into(), trace: Some(&tree), events: &events, logs: &logs, names: &names }
                .to_string();
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "head");
        assert_eq!(lines[1], "call tree:");
        assert!(
            lines[2].starts_with("  pool [0x0101…0101] execute · gas 10 of 1000 · failed: reverted: no"),
            "{report}"
        );
        assert!(lines[3].starts_with(&format!("  ├─ {token} query")), "{report}");
        assert!(lines[4].starts_with("  └─ ") && lines[4].ends_with("failed: reverted: no"), "{report}");
        assert_eq!(lines[5], "events:");
        assert_eq!(lines[6], r#"  pool supply {"amount":"5"}"#);
        assert_eq!(lines[8], "  pool: hello");
        assert_eq!(lines[9], "  not an address line");
    }
}
