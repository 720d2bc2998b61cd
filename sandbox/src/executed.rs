//! [`Executed`]: a transaction that succeeded — its result, gas, events, call tree and logs,
//! with the receipt the node stored.

use std::fmt;

use serde::de::DeserializeOwned;
use tidepool_ledger::{Address, Hash};
use tidepool_node::diff::StateDiff;
use tidepool_node::trace::TraceFrame;

use super::HasAddress;
use super::assert::json_matches;
use super::error::SandboxError;
use super::trace::{Names, Report};
use tidepool_node::receipt::{Receipt, ReceiptEvent};

/// A successful transaction. `{:?}` prints a readable trace (see [`super::trace`]).
#[derive(Clone)]
pub struct Executed {
    receipt: Receipt,
    names: Names,
}

impl Executed {
    pub(crate) fn new(receipt: Receipt, names: Names) -> Executed {
        Executed { receipt, names }
    }

    /// The receipt, as the node stored it.
    pub fn receipt(&self) -> &Receipt {
        &self.receipt
    }

    /// Everything the transaction changed: storage entries (with keys decoded along the SDK's
    /// layout and values as JSON where they apply), native balances and nonces, contracts,
    /// code. [`StateDiff::render`] prints it.
    pub fn state_diff(&self) -> &StateDiff {
        &self.receipt.state_diff
    }

    /// Gas used, the transaction's base cost included: the figure a wallet pays for.
    pub fn gas_used(&self) -> u64 {
        self.receipt.gas_used
    }

    /// The contract's return data as JSON (`null` when it returned nothing).
    pub fn result_json(&self) -> &serde_json::Value {
        &self.receipt.result
    }

    /// The contract's return data decoded as `T`.
    ///
    /// # Errors
    /// A [`SandboxError`] of kind [`Decode`](super::ErrorKind::Decode) if it does not decode.
    pub fn result<T: DeserializeOwned>(&self) -> Result<T, SandboxError> {
        serde_json::from_value(self.receipt.result.clone())
            .map_err(|e| SandboxError::decode(&self.receipt.result, std::any::type_name::<T>(), &e))
    }

    /// Every event emitted, in order.
    pub fn events(&self) -> &[ReceiptEvent] {
        &self.receipt.events
    }

    /// The events of type `ty`, in order.
    pub fn events_of<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a ReceiptEvent> + 'a {
        self.receipt.events.iter().filter(move |e| e.ty == ty)
    }

    /// The first event of type `ty`.
    pub fn event(&self, ty: &str) -> Option<&ReceiptEvent> {
        self.receipt.events.iter().find(|e| e.ty == ty)
    }

    /// Whether some event has type `ty` and data matching `fields` (see
    /// [`Executed::assert_event`] for what matches).
    pub fn has_event(&self, ty: &str, fields: &serde_json::Value) -> bool {
        self.events_of(ty).any(|e| json_matches(fields, &e.data))
    }

    /// Panics, printing the trace, unless some event has type `ty` and data matching
    /// `fields`. Matching is loose where JSON encodings of one value differ: `fields` may
    /// name only some members of the event's object; addresses compare in any letter case; a
    /// number matches the same number written as a decimal string (amounts are strings).
    /// Returns `self`, so assertions chain.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tidepool_sandbox::Sandbox;
    /// # use serde_json::json;
    /// # let sandbox = Sandbox::new();
    /// # let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    /// # let code = sandbox.upload(tidepool_artifacts::TOKEN).unwrap();
    /// # let init = json!({"name": "Coin", "symbol": "COIN", "decimals": 6,
    /// #     "initial_balances": [{"address": alice.address(), "amount": "1000"}]});
    /// # let token = sandbox.instantiate(&code, &alice, &init, "coin").unwrap();
    /// let done = token.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "25"}})).unwrap();
    /// done.assert_event("transfer", &json!({"from": alice.address(), "to": bob.address(), "amount": 25}));
    /// ```
    ///
    /// # Panics
    /// If no event matches.
    #[track_caller]
    pub fn assert_event(&self, ty: &str, fields: &serde_json::Value) -> &Self {
        assert!(self.has_event(ty, fields), "no `{ty}` event matching {fields}\n{self:?}");
        self
    }

    /// [`Executed::assert_event`], and the event must come from `contract`.
    ///
    /// # Panics
    /// If no event matches.
    #[track_caller]
    pub fn assert_event_from(&self, contract: &impl HasAddress, ty: &str, fields: &serde_json::Value) -> &Self {
        let from = contract.address();
        let found = self.events_of(ty).any(|e| e.contract == from && json_matches(fields, &e.data));
        assert!(found, "no `{ty}` event from {} matching {fields}\n{self:?}", self.names.label(&from));
        self
    }

    /// Panics, printing the trace, if any event has type `ty`.
    ///
    /// # Panics
    /// If one does.
    #[track_caller]
    pub fn assert_no_event(&self, ty: &str) -> &Self {
        assert!(self.event(ty).is_none(), "unexpected `{ty}` event\n{self:?}");
        self
    }

    /// The call tree (empty for a native transfer, which runs no contract).
    pub fn trace(&self) -> Option<&TraceFrame> {
        self.receipt.trace.as_ref()
    }

    /// Debug lines the contracts logged, as `0x…: line`.
    pub fn logs(&self) -> &[String] {
        &self.receipt.logs
    }

    /// The transaction hash.
    pub fn tx_hash(&self) -> Hash {
        self.receipt.tx_hash
    }

    /// The block it was mined in.
    pub fn height(&self) -> u64 {
        self.receipt.height
    }

    /// The contract an instantiation created.
    pub fn contract_address(&self) -> Option<Address> {
        self.receipt.contract_address
    }

    /// The code hash an upload stored.
    pub fn code_hash(&self) -> Option<Hash> {
        self.receipt.code_hash
    }

    /// The readable trace, as `{:?}` prints it.
    pub fn report(&self) -> String {
        format!("{self:?}")
    }
}

/// A readable trace: headline, call tree, events, logs.
impl fmt::Debug for Executed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.receipt;
        let result = if r.result.is_null() { String::new() } else { format!(": {}", r.result) };
        let headline = format!(
            "success{result}  (tx {} by {}, height {}, gas {})",
            r.tx_hash,
            self.names.name_or_address(&r.from),
            r.height,
            r.gas_used
        );
        let report = Report { headline, trace: r.trace.as_ref(), events: &r.events, logs: &r.logs, names: &self.names };
        write!(f, "{report}")
    }
}
