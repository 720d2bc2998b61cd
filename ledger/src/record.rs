//! The typed values the ledger stores, and their binary encoding (postcard: compact and
//! deterministic, so the same record always hashes the same).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::table::Table;
use crate::types::{Address, Hash};

/// The stored bytes of a record.
pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    // postcard fails only on types it cannot represent (unsized sequences, `u128` in maps);
    // the records of this module are plain structs of supported types.
    postcard::to_stdvec(record).expect("ledger records are postcard-encodable")
}

/// The record stored as `bytes` in `table`.
///
/// # Errors
/// [`LedgerError::Decode`] if the bytes are not a `T` (with nothing left over).
pub fn decode<T: DeserializeOwned>(table: Table, bytes: &[u8]) -> Result<T, LedgerError> {
    match postcard::take_from_bytes(bytes) {
        Ok((record, [])) => Ok(record),
        Ok((_, rest)) => {
            Err(LedgerError::Decode { table: table.name(), reason: format!("{} trailing bytes", rest.len()) })
        }
        Err(error) => Err(LedgerError::Decode { table: table.name(), reason: error.to_string() }),
    }
}

/// An account: externally owned or a contract's native-token account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Transactions sent (for externally owned accounts) or contracts created (for contracts).
    pub nonce: u64,
    /// Native token balance, base units.
    pub balance: u128,
}

/// Metadata about uploaded code, kept beside the bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMeta {
    /// Who uploaded it.
    pub uploader: Address,
    /// Height of the block that stored it.
    pub uploaded_at: u64,
    /// Size of the wasm, bytes.
    pub size: u32,
    /// The entry points the module exports (`instantiate`, `execute`, ...).
    pub entry_points: Vec<String>,
    /// Whether the module opted in to re-entrant calls.
    pub reentrant: bool,
}

/// Uploaded code: the wasm module and its metadata, keyed by keccak256 of the wasm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// The module as uploaded.
    #[serde(with = "crate::bytes")]
    pub wasm: Vec<u8>,
    /// What the VM found at upload.
    pub meta: CodeMeta,
}

/// A contract instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractInstance {
    /// The code it runs.
    pub code_hash: Hash,
    /// Who may migrate it (none: immutable).
    pub admin: Option<Address>,
    /// Who created it.
    pub creator: Address,
    /// A human-readable label.
    pub label: String,
    /// Height of the block that created it.
    pub created_at: u64,
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Height; genesis is 0.
    pub height: u64,
    /// Block time, Unix seconds.
    pub time: u64,
    /// Hash of the parent header (zero for genesis).
    pub parent_hash: Hash,
    /// State root after this block (see [`crate::Ledger`]).
    pub state_root: Hash,
    /// The block's transactions, in order.
    pub tx_hashes: Vec<Hash>,
}

impl BlockHeader {
    /// keccak256 of the header's encoding.
    pub fn hash(&self) -> Hash {
        crate::keccak256(&encode(self))
    }
}

/// An event emitted by a contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The emitting contract.
    pub contract: Address,
    /// Event type, e.g. `transfer`.
    pub ty: String,
    /// JSON data.
    #[serde(with = "crate::bytes")]
    pub data: Vec<u8>,
}

/// An event as stored: where it happened and what it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Block height.
    pub height: u64,
    /// Index of the transaction in its block.
    pub tx_index: u32,
    /// Index of the event in its transaction.
    pub event_index: u32,
    /// Hash of the transaction.
    pub tx_hash: Hash,
    /// The event.
    pub event: Event,
}

impl EventRecord {
    /// Where the event is, in the order events are listed.
    pub fn position(&self) -> EventPosition {
        EventPosition { height: self.height, tx_index: self.tx_index, event_index: self.event_index }
    }
}

/// Where an event is: its block, its transaction's index there, and its index among that
/// transaction's events. Events are listed in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventPosition {
    /// Block height.
    pub height: u64,
    /// Index of the transaction in its block.
    pub tx_index: u32,
    /// Index of the event in its transaction.
    pub event_index: u32,
}

/// Which events to return from [`crate::Ledger::events`]. Heights are inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events from this contract.
    pub contract: Option<Address>,
    /// Only events of this type.
    pub ty: Option<String>,
    /// From this height (default 0).
    pub from_height: Option<u64>,
    /// Up to this height (default: latest).
    pub to_height: Option<u64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Only events after this one in the listing's order (before it, newest first): the last
    /// of a page, to read the next (a block can hold more events than a page).
    pub after: Option<EventPosition>,
    /// At most this many (the ledger also caps it).
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let instance = ContractInstance {
            code_hash: Hash([3; 32]),
            admin: Some(Address([1; 20])),
            creator: Address([2; 20]),
            label: "pool".into(),
            created_at: 9,
        };
        let bytes = encode(&instance);
        assert_eq!(decode::<ContractInstance>(Table::Instances, &bytes).unwrap(), instance);
    }

    #[test]
    fn garbage_and_trailing_bytes_are_decode_errors() {
        let mut bytes = encode(&Account { nonce: 1, balance: 2 });
        bytes.push(0);
        assert!(matches!(
            decode::<Account>(Table::Accounts, &bytes),
            Err(LedgerError::Decode { table: "accounts", .. })
        ));
        assert!(matches!(decode::<ContractInstance>(Table::Instances, &[0xff; 3]), Err(LedgerError::Decode { .. })));
    }
}
