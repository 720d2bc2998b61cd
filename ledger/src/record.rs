//! The typed values the ledger stores, and their binary encoding (postcard: compact and
//! deterministic, so the same record always hashes the same).

use serde::{Deserialize, Serialize};

use crate::types::{Address, Hash};

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
        crate::keccak256(&postcard::to_stdvec(self).expect("header encodes"))
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
    /// At most this many (the ledger also caps it).
    pub limit: usize,
}
