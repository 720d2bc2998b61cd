//! Call traces as receipts carry them: every frame of the call tree with its entry point,
//! message, attached funds, return data, its own events and logs, gas, and error.
//!
//! [`TraceFrame`] is the JSON form of the VM's [`tidepool_vm::CallFrame`]: messages and return
//! data shown as JSON when they are JSON (else `0x` hex), amounts as decimal strings, events as
//! in receipts. Served in receipts and by `GET /v1/txs/{hash}/trace`; printed by `tidepool trace`.

use serde::{Deserialize, Serialize};
use tidepool_ledger::Address;
use tidepool_vm::CallFrame;

use crate::receipt::{ReceiptEvent, json_or_hex};

/// One frame of a call tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceFrame {
    /// The contract called.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub contract: Address,
    /// Who called it: the sender or the calling contract.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub caller: Address,
    /// `instantiate`, `execute`, `query` or `migrate`.
    pub entry_point: String,
    /// The message: JSON if it is JSON, else `0x` hex; null when empty.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::AnyJson))]
    pub msg: serde_json::Value,
    /// Native funds attached, base units.
    #[serde(with = "crate::tx::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
    pub funds: u128,
    /// What it returned: JSON if it is JSON, else `0x` hex; null when empty (always, if it
    /// failed).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::AnyJson))]
    pub return_data: serde_json::Value,
    /// The events it emitted itself, in order (a failed frame's were reverted with it).
    pub events: Vec<ReceiptEvent>,
    /// The debug-log lines it wrote itself.
    pub logs: Vec<String>,
    /// Gas it was given.
    pub gas_limit: u64,
    /// Gas it used, its children's included.
    pub gas_used: u64,
    /// Why it failed; null if it succeeded.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<String>,
    /// The frames it called, in order.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<TraceFrame>,
}

impl From<&CallFrame> for TraceFrame {
    fn from(frame: &CallFrame) -> TraceFrame {
        TraceFrame {
            contract: frame.contract,
            caller: frame.caller,
            entry_point: frame.entry_point.clone(),
            msg: json_or_hex(&frame.msg),
            funds: frame.funds,
            return_data: json_or_hex(&frame.return_data),
            events: frame.events.iter().map(ReceiptEvent::from_event).collect(),
            logs: frame.logs.clone(),
            gas_limit: frame.gas_limit,
            gas_used: frame.gas_used,
            error: frame.error.clone(),
            children: frame.children.iter().map(TraceFrame::from).collect(),
        }
    }
}

impl TraceFrame {
    /// The tree as indented lines, one per frame, like `forge test -vvvv`: entry point and
    /// message, gas used of given, the result or the error; events and logs beneath each frame.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, "", true, true);
        out
    }

    fn render_into(&self, out: &mut String, prefix: &str, last: bool, root: bool) {
        let (branch, next) = match (root, last) {
            (true, _) => ("", String::new()),
            (false, true) => ("└─ ", format!("{prefix}   ")),
            (false, false) => ("├─ ", format!("{prefix}│  ")),
        };
        let msg = match &self.msg {
            serde_json::Value::Null => String::new(),
            msg => format!(" {msg}"),
        };
        let funds = if self.funds > 0 { format!(" +{} native", self.funds) } else { String::new() };
        out.push_str(&format!(
            "{prefix}{branch}[{}] {}::{}{msg}{funds}\n",
            self.gas_used, self.contract, self.entry_point
        ));
        // Events and logs hang under the frame, beside the line to its children if it has any.
        let detail = if self.children.is_empty() { format!("{next}   ") } else { format!("{next}│  ") };
        for event in &self.events {
            out.push_str(&format!("{detail}emit {} {}\n", event.ty, event.data));
        }
        for line in &self.logs {
            out.push_str(&format!("{detail}log {line}\n"));
        }
        for (i, child) in self.children.iter().enumerate() {
            child.render_into(out, &next, i + 1 == self.children.len(), false);
        }
        let end = format!("{next}   ");
        match (&self.error, &self.return_data) {
            (Some(error), _) => out.push_str(&format!("{end}← failed: {error}\n")),
            (None, serde_json::Value::Null) => out.push_str(&format!("{end}← ok\n")),
            (None, data) => out.push_str(&format!("{end}← {data}\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_renders_as_an_indented_tree_with_gas_results_and_events() {
        let (a, b) = (Address([1; 20]), Address([2; 20]));
        let mut child = CallFrame {
            contract: b,
            caller: a,
            entry_point: "query".into(),
            msg: br#"{"balance":{}}"#.to_vec(),
            return_data: br#"{"balance":"5"}"#.to_vec(),
            gas_used: 700,
            ..CallFrame::default()
        };
        child.logs.push("looked".into());
        let root = CallFrame {
            contract: a,
            caller: Address([9; 20]),
            entry_point: "execute".into(),
            msg: br#"{"go":{}}"#.to_vec(),
            funds: 3,
            events: vec![tidepool_ledger::Event { contract: a, ty: "went".into(), data: b"{}".to_vec() }],
            gas_used: 1200,
            error: Some("reverted: no".into()),
            children: vec![child],
            ..CallFrame::default()
        };
        let frame = TraceFrame::from(&root);
        assert_eq!(frame.msg, serde_json::json!({"go": {}}));
        assert_eq!(frame.children[0].return_data, serde_json::json!({"balance": "5"}));
        let text = frame.render();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("[1200] ") && lines[0].contains("::execute {\"go\":{}} +3 native"), "{text}");
        assert!(lines[1].contains("emit went {}"), "{text}");
        assert!(lines[2].starts_with("└─ [700] ") && lines[2].ends_with("::query {\"balance\":{}}"), "{text}");
        assert!(lines[3].contains("log looked"), "{text}");
        assert!(lines[4].contains("← {\"balance\":\"5\"}"), "{text}");
        assert!(lines.last().unwrap().contains("← failed: reverted: no"), "{text}");
    }
}
