//! Receipts: what happened to a transaction, as the API returns it (the ledger keeps the
//! compact [`crate::record::ReceiptRecord`] it is made from).

use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash};

use crate::diff::StateDiff;
use crate::trace::TraceFrame;

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// Everything it asked for happened.
    Success,
    /// The contract aborted, trapped, hit a limit or refused re-entry: its changes were reverted
    /// (the nonce still advanced).
    Reverted,
    /// It ran out of gas: its changes were reverted (the nonce still advanced).
    OutOfGas,
}

/// An event as shown in a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptEvent {
    /// The emitting contract.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub contract: Address,
    /// The event type.
    #[serde(rename = "type")]
    pub ty: String,
    /// The event data: JSON if it parses, else `0x` hex; null when empty.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::AnyJson))]
    pub data: serde_json::Value,
}

impl ReceiptEvent {
    /// Converts a ledger event (data that is not valid JSON is shown as a hex string).
    pub fn from_event(event: &tidepool_ledger::Event) -> ReceiptEvent {
        ReceiptEvent { contract: event.contract, ty: event.ty.clone(), data: json_or_hex(&event.data) }
    }
}

/// The record of one executed transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The transaction's hash.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
    pub tx_hash: Hash,
    /// The block it is in.
    pub height: u64,
    /// Its index in the block.
    pub index: u32,
    /// The sender.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub from: Address,
    /// How it ended.
    pub status: ReceiptStatus,
    /// Gas used.
    pub gas_used: u64,
    /// The contract's return data: JSON if it parses, else `0x` hex; null when empty.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::AnyJson))]
    pub result: serde_json::Value,
    /// Events emitted (none when it failed).
    pub events: Vec<ReceiptEvent>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub error: Option<String>,
    /// The address of the contract an `instantiate` created.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub contract_address: Option<Address>,
    /// The hash of the code an `upload_code` stored.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
    pub code_hash: Option<Hash>,
    /// The call tree: every frame with its message, funds, return data, events, logs, gas and
    /// error (absent for a native transfer or an upload, which call no contract).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<TraceFrame>,
    /// Everything it changed: storage entries, native balances and nonces, contracts, code.
    pub state_diff: StateDiff,
    /// Debug lines the contracts logged.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub logs: Vec<String>,
}

impl Receipt {
    /// Whether the transaction succeeded.
    pub fn is_success(&self) -> bool {
        self.status == ReceiptStatus::Success
    }
}

/// JSON if `bytes` parse as JSON, `null` if empty, else a `0x` hex string.
pub fn json_or_hex(bytes: &[u8]) -> serde_json::Value {
    if bytes.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| serde_json::Value::String(format!("0x{}", hex::encode(bytes))))
}
