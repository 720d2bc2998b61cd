//! Receipt records: the compact binary form in which the ledger keeps a receipt.
//!
//! Only the node reads what the ledger stores, so a receipt is kept as execution produced it:
//! return data, messages and event data as raw bytes, the VM's call tree as it is, the state
//! diff's raw entries ([`DiffRecord`]), encoded with postcard behind a version byte. The JSON a
//! client sees — messages and results parsed, addresses checksummed, values in hex, storage keys
//! decoded — is made when a receipt leaves the node ([`ReceiptRecord::into_receipt`]): after the
//! writer's lock is free, on whichever thread answers. The writer neither parses nor formats.
//!
//! Receipts written before this format are JSON objects; [`decode_receipt`] reads both.

use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Event, Hash};
use tidepool_vm::{CallFrame, Outcome, Status};

use crate::diff::{DiffRecord, StateDiff};
use crate::receipt::{Receipt, ReceiptEvent, ReceiptStatus, json_or_hex};
use crate::trace::TraceFrame;

/// The first byte of a stored receipt record. (A JSON receipt starts with `{`.)
pub const RECORD_VERSION: u8 = 1;

/// A receipt as the writer produces it and the ledger stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The transaction's hash.
    pub tx_hash: Hash,
    /// The block it is in.
    pub height: u64,
    /// Its index in the block.
    pub index: u32,
    /// The sender.
    pub from: Address,
    /// How it ended.
    pub status: ReceiptStatus,
    /// Gas used.
    pub gas_used: u64,
    /// The contract's return data, raw.
    #[serde(with = "tidepool_ledger::bytes")]
    pub result: Vec<u8>,
    /// Events emitted (none when it failed), raw.
    pub events: Vec<Event>,
    /// Why it failed.
    pub error: Option<String>,
    /// The address of the contract an `instantiate` created.
    pub contract_address: Option<Address>,
    /// The hash of the code an `upload_code` stored.
    pub code_hash: Option<Hash>,
    /// The call tree as the VM gave it.
    pub trace: Option<CallFrame>,
    /// What it changed, raw.
    pub state_diff: DiffRecord,
    /// Debug lines the contracts logged.
    pub logs: Vec<String>,
}

impl ReceiptRecord {
    /// A successful receipt with nothing executed yet: the base cost, no result.
    pub(crate) fn new(tx_hash: Hash, height: u64, index: u32, from: Address, gas_used: u64) -> ReceiptRecord {
        ReceiptRecord {
            tx_hash,
            height,
            index,
            from,
            status: ReceiptStatus::Success,
            gas_used,
            result: Vec::new(),
            events: Vec::new(),
            error: None,
            contract_address: None,
            code_hash: None,
            trace: None,
            state_diff: DiffRecord::default(),
            logs: Vec::new(),
        }
    }

    /// Whether the transaction succeeded.
    pub fn is_success(&self) -> bool {
        self.status == ReceiptStatus::Success
    }

    /// Takes the execution fields from a VM outcome (not `gas_used`: the caller adds the
    /// outcome's gas to the transaction's base cost).
    pub(crate) fn apply_outcome(&mut self, outcome: Outcome) {
        self.trace = Some(outcome.trace);
        self.logs = outcome.logs;
        match outcome.status {
            Status::Success => {
                self.status = ReceiptStatus::Success;
                self.result = outcome.return_data;
                self.events = outcome.events;
            }
            Status::OutOfGas => {
                self.status = ReceiptStatus::OutOfGas;
                self.error = Some(Status::OutOfGas.to_string());
            }
            other => {
                self.status = ReceiptStatus::Reverted;
                self.error = Some(other.to_string());
            }
        }
    }

    /// The stored bytes: [`RECORD_VERSION`], then the postcard encoding.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_extend(self, vec![RECORD_VERSION]).expect("a receipt record is postcard-encodable")
    }

    /// The receipt as clients see it, its diff decoded.
    pub fn into_receipt(self) -> Receipt {
        let mut state_diff = StateDiff::from(self.state_diff);
        state_diff.decode();
        Receipt {
            tx_hash: self.tx_hash,
            height: self.height,
            index: self.index,
            from: self.from,
            status: self.status,
            gas_used: self.gas_used,
            result: json_or_hex(&self.result),
            events: self.events.iter().map(ReceiptEvent::from_event).collect(),
            error: self.error,
            contract_address: self.contract_address,
            code_hash: self.code_hash,
            trace: self.trace.as_ref().map(TraceFrame::from),
            state_diff,
            logs: self.logs,
        }
    }
}

/// A stored receipt as clients see it: a [`ReceiptRecord`], or the JSON of an older ledger.
///
/// # Errors
/// The bytes are neither.
pub fn decode_receipt(bytes: &[u8]) -> Result<Receipt, String> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, record)) => postcard::from_bytes::<ReceiptRecord>(record)
            .map(ReceiptRecord::into_receipt)
            .map_err(|e| format!("the receipt record does not decode: {e}")),
        Some((b'{', _)) => {
            let mut receipt: Receipt = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
            receipt.state_diff.decode();
            Ok(receipt)
        }
        Some((version, _)) => Err(format!("unknown receipt record version {version}")),
        None => Err("an empty receipt record".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use tidepool_ledger::Table;

    use super::*;

    fn sample() -> ReceiptRecord {
        let pool = Address([7; 20]);
        let event = Event { contract: pool, ty: "supply".into(), data: br#"{"amount":"5"}"#.to_vec() };
        let mut child = CallFrame {
            contract: Address([8; 20]),
            caller: pool,
            entry_point: "execute".into(),
            msg: b"\x00\xff not json".to_vec(),
            funds: u128::MAX,
            gas_limit: 50,
            gas_used: 20,
            ..CallFrame::default()
        };
        child.logs.push("moved".into());
        let trace = CallFrame {
            contract: pool,
            caller: Address([1; 20]),
            entry_point: "execute".into(),
            msg: br#"{"supply":{}}"#.to_vec(),
            return_data: br#"{"ok":true}"#.to_vec(),
            events: vec![event.clone()],
            gas_limit: 100,
            gas_used: 70,
            children: vec![child],
            ..CallFrame::default()
        };
        let mut key = pool.0.to_vec();
        key.extend_from_slice(b"\x00\x06market\x01\x02");
        let changes = vec![
            (Table::Accounts, vec![1; 20], None, None),
            (Table::Storage, key, None, Some(br#"{"total":"5"}"#.to_vec())),
        ];
        let mut record = ReceiptRecord::new(Hash([3; 32]), 9, 2, Address([1; 20]), 21_000);
        record.apply_outcome(Outcome {
            status: Status::Success,
            return_data: br#"{"ok":true}"#.to_vec(),
            events: vec![event],
            logs: vec!["moved".into()],
            gas_used: 70,
            trace,
        });
        record.state_diff = DiffRecord::from_changes(changes);
        record
    }

    #[test]
    fn a_record_round_trips_and_reads_as_the_receipt_built_from_it() {
        let record = sample();
        let bytes = record.encode();
        assert_eq!(bytes[0], RECORD_VERSION);
        let receipt = decode_receipt(&bytes).unwrap();
        assert_eq!(receipt, record.clone().into_receipt());
        assert_eq!(receipt.result, serde_json::json!({"ok": true}));
        assert_eq!(receipt.events[0].data, serde_json::json!({"amount": "5"}));
        let trace = receipt.trace.as_ref().unwrap();
        assert_eq!(trace.children[0].msg, serde_json::json!("0x00ff206e6f74206a736f6e"));
        assert_eq!(trace.children[0].funds, u128::MAX);
        assert_eq!(receipt.state_diff.storage[0].after_json, Some(serde_json::json!({"total": "5"})));
        assert!(receipt.state_diff.storage[0].decoded_key.as_deref().unwrap().starts_with("market["));
    }

    #[test]
    fn a_json_receipt_of_an_older_ledger_still_reads() {
        let receipt = sample().into_receipt();
        let json = serde_json::to_vec(&receipt).unwrap();
        assert_eq!(decode_receipt(&json).unwrap(), receipt);
    }

    #[test]
    fn bytes_that_are_no_receipt_are_an_error() {
        assert!(decode_receipt(&[]).is_err());
        assert!(decode_receipt(&[9, 1, 2]).unwrap_err().contains("version 9"));
        assert!(decode_receipt(&[RECORD_VERSION, 0xff]).is_err());
        assert!(decode_receipt(b"{not json").is_err());
    }
}
