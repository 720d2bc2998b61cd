//! Receipt records: the compact binary form in which the ledger keeps a receipt.
//!
//! Only the node reads what the ledger stores, so a receipt is kept as execution produced it:
//! return data, messages and event data as raw bytes, the VM's call tree as it is, the state
//! diff's raw entries ([`DiffRecord`]), encoded with postcard behind a version byte. The JSON a
//! client sees — messages and results parsed, addresses checksummed, values in hex, storage keys
//! decoded — is made when a receipt leaves the node ([`ReceiptRecord::into_receipt`]): after the
//! writer's lock is free, on whichever thread answers. The writer neither parses nor formats.
//!
//! A submission's answer carries its receipt as a [`MinedReceipt`]: still the record, made into
//! the client form the first time something reads it. A caller that only looks at the status (a
//! test, a load generator, a script waiting for success) never pays for parsing every message,
//! return value and stored value of a call tree and its state diff — in a lending operation that
//! is more than the block's commit. The HTTP API makes the client form of a batch's receipts on
//! every core before it writes the answer ([`crate::Submitted::decode_all`]).
//!
//! Receipts written before this format are JSON objects; [`decode_receipt`] reads both.

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

/// A mined transaction's receipt, as a submission answers it: the writer's record, turned into
/// the client form ([`Receipt`]) the first time it is read — through `Deref`, so `receipt.status`
/// or `receipt.state_diff` read like fields of a [`Receipt`]. [`MinedReceipt::is_success`] and
/// [`MinedReceipt::tx_hash`] answer from the record without decoding anything.
///
/// It serializes as the [`Receipt`] and deserializes from one.
#[derive(Clone)]
pub struct MinedReceipt {
    /// The record, when this receipt came from the writer (not from JSON).
    record: Option<ReceiptRecord>,
    /// The client form, once made.
    receipt: OnceLock<Receipt>,
}

impl MinedReceipt {
    /// Whether the transaction succeeded (without decoding the receipt).
    pub fn is_success(&self) -> bool {
        match &self.record {
            Some(record) => record.is_success(),
            None => self.receipt().is_success(),
        }
    }

    /// The transaction's hash (without decoding the receipt).
    pub fn tx_hash(&self) -> Hash {
        match &self.record {
            Some(record) => record.tx_hash,
            None => self.receipt().tx_hash,
        }
    }

    /// The receipt as clients see it, made now if it was not yet.
    pub fn receipt(&self) -> &Receipt {
        self.receipt.get_or_init(|| {
            let record = self.record.clone().expect("a receipt without its client form has its record");
            record.into_receipt()
        })
    }

    /// The receipt as clients see it, made now (without copying the record) if it was not yet.
    pub fn into_receipt(self) -> Receipt {
        match (self.receipt.into_inner(), self.record) {
            (Some(receipt), _) => receipt,
            (None, Some(record)) => record.into_receipt(),
            (None, None) => unreachable!("a MinedReceipt holds its record or its client form"),
        }
    }

    /// This receipt with its client form made now, so that reading or serializing it later
    /// decodes nothing.
    pub fn decoded(self) -> MinedReceipt {
        MinedReceipt::from(self.into_receipt())
    }
}

impl From<ReceiptRecord> for MinedReceipt {
    fn from(record: ReceiptRecord) -> MinedReceipt {
        MinedReceipt { record: Some(record), receipt: OnceLock::new() }
    }
}

impl From<Receipt> for MinedReceipt {
    fn from(receipt: Receipt) -> MinedReceipt {
        MinedReceipt { record: None, receipt: OnceLock::from(receipt) }
    }
}

impl Deref for MinedReceipt {
    type Target = Receipt;

    fn deref(&self) -> &Receipt {
        self.receipt()
    }
}

impl PartialEq for MinedReceipt {
    fn eq(&self, other: &MinedReceipt) -> bool {
        self.receipt() == other.receipt()
    }
}

impl fmt::Debug for MinedReceipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.receipt().fmt(f)
    }
}

impl Serialize for MinedReceipt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.receipt().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for MinedReceipt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MinedReceipt, D::Error> {
        Receipt::deserialize(deserializer).map(MinedReceipt::from)
    }
}

/// In the API document a [`MinedReceipt`] is a [`Receipt`].
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for MinedReceipt {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <Receipt as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for MinedReceipt {
    fn name() -> std::borrow::Cow<'static, str> {
        <Receipt as utoipa::ToSchema>::name()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <Receipt as utoipa::ToSchema>::schemas(schemas);
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
    fn a_mined_receipt_decodes_its_record_only_when_read() {
        let mut record = sample();
        let mined = MinedReceipt::from(record.clone());
        assert!(mined.is_success());
        assert_eq!(mined.tx_hash(), record.tx_hash);
        assert!(mined.receipt.get().is_none(), "the status and hash come from the record");
        let receipt = record.clone().into_receipt();
        assert_eq!(mined.state_diff, receipt.state_diff, "fields read through Deref");
        assert!(mined.receipt.get().is_some());
        assert_eq!(mined.clone().into_receipt(), receipt);
        assert_eq!(MinedReceipt::from(record.clone()).into_receipt(), receipt);
        let decoded = MinedReceipt::from(record.clone()).decoded();
        assert!(decoded.record.is_none() && decoded.receipt.get() == Some(&receipt));

        record.status = ReceiptStatus::Reverted;
        let failed = MinedReceipt::from(record);
        assert!(!failed.is_success());
        assert_eq!(failed.status, ReceiptStatus::Reverted);
    }

    #[test]
    fn a_mined_receipt_is_its_receipt_in_json() {
        let mined = MinedReceipt::from(sample());
        let json = serde_json::to_value(&mined).unwrap();
        assert_eq!(json, serde_json::to_value(sample().into_receipt()).unwrap());
        let read: MinedReceipt = serde_json::from_value(json).unwrap();
        assert_eq!(read, mined);
        assert!(read.is_success());
        assert_eq!(read.tx_hash(), sample().tx_hash);
    }

    #[test]
    fn decode_all_makes_every_receipts_client_form_and_keeps_the_order() {
        use crate::Submitted;
        use crate::error::{NodeError, Rejection};

        let mined = |index: u32| {
            let mut record = sample();
            record.index = index;
            Ok(Submitted::Mined(Box::new(MinedReceipt::from(record))))
        };
        let answers = vec![
            mined(0),
            Err(NodeError::Rejected(Rejection::InvalidConfig("refused".into()))),
            Ok(Submitted::Pending { tx_hash: Hash([5; 32]) }),
            mined(3),
        ];
        let decoded = Submitted::decode_all(answers);
        assert_eq!(decoded.len(), 4);
        for (i, answer) in decoded.iter().enumerate() {
            match (i, answer) {
                (0 | 3, Ok(Submitted::Mined(receipt))) => {
                    assert!(receipt.record.is_none() && receipt.receipt.get().is_some(), "answer {i}");
                    assert_eq!(receipt.index, i as u32);
                }
                (1, Err(NodeError::Rejected(Rejection::InvalidConfig(_)))) => {}
                (2, Ok(Submitted::Pending { tx_hash })) => assert_eq!(*tx_hash, Hash([5; 32])),
                _ => panic!("answer {i}: {answer:?}"),
            }
        }
    }

    #[test]
    fn bytes_that_are_no_receipt_are_an_error() {
        assert!(decode_receipt(&[]).is_err());
        assert!(decode_receipt(&[9, 1, 2]).unwrap_err().contains("version 9"));
        assert!(decode_receipt(&[RECORD_VERSION, 0xff]).is_err());
        assert!(decode_receipt(b"{not json").is_err());
    }
}
