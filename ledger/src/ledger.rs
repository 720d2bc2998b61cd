//! The ledger: blocks in, state and history out.
//!
//! A block's changes (one [`Overlay`]'s [`Changes`]) and its transactions, receipts and events are
//! written in one atomic [`WriteBatch`], together with an undo record, so a crash leaves exactly
//! the last committed block and [`Ledger::revert_to`] can go back to any height.
//!
//! State root: `root(h) = keccak256(root(h-1) ‖ keccak256(sorted state write set of h))`, with
//! `root(-1) = 0` — a hash chain, deterministic for the same history on any machine.

use std::sync::Arc;

use crate::error::LedgerError;
use crate::overlay::{Changes, Overlay};
use crate::record::{BlockHeader, Event, EventFilter, EventRecord};
use crate::store::Store;
use crate::types::Hash;

/// A transaction as committed in a block: the ledger stores `tx` and `receipt` as opaque bytes
/// (their format is the node's) and indexes `events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockTx {
    /// The transaction hash.
    pub hash: Hash,
    /// The encoded transaction.
    pub tx: Vec<u8>,
    /// The encoded receipt.
    pub receipt: Vec<u8>,
    /// The events it emitted.
    pub events: Vec<Event>,
}

/// A block to commit: its time, its state changes and its transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewBlock {
    /// Block time, Unix seconds.
    pub time: u64,
    /// The state changes (events in `changes.events` are ignored; give them per transaction).
    pub changes: Changes,
    /// The transactions, in order.
    pub txs: Vec<BlockTx>,
}

/// Durable state and history over a [`Store`].
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn Store>,
}

impl Ledger {
    /// A ledger over the memory store.
    pub fn memory() -> Ledger {
        todo!()
    }

    /// Opens (or creates) a RocksDB ledger in `path`.
    ///
    /// # Errors
    /// [`LedgerError::Locked`] if another process has it open, [`LedgerError::Corrupt`] if it is
    /// not a Tidepool ledger or is damaged.
    #[cfg(feature = "rocksdb")]
    pub fn open(path: &std::path::Path) -> Result<Ledger, LedgerError> {
        todo!("{path:?}")
    }

    /// A ledger over any store.
    pub fn with_store(store: Arc<dyn Store>) -> Result<Ledger, LedgerError> {
        Ok(Ledger { store })
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A fresh overlay over the committed state.
    pub fn overlay(&self) -> Overlay {
        Overlay::new(self.store.clone())
    }

    /// The latest block header, or `None` before genesis.
    pub fn latest(&self) -> Result<Option<BlockHeader>, LedgerError> {
        todo!()
    }

    /// The block header at `height`.
    pub fn block(&self, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
        todo!("{height}")
    }

    /// Commits `block` at height `latest + 1` (0 for the first) and returns its header.
    pub fn commit_block(&self, block: NewBlock) -> Result<BlockHeader, LedgerError> {
        todo!("{block:?}")
    }

    /// Reverts state and history to just after block `height` (byte-identical to when that
    /// block was committed, state root included).
    pub fn revert_to(&self, height: u64) -> Result<(), LedgerError> {
        todo!("{height}")
    }

    /// A committed transaction's bytes.
    pub fn tx(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        todo!("{hash:?}")
    }

    /// A committed transaction's receipt bytes.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        todo!("{hash:?}")
    }

    /// Events matching `filter`, oldest first.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, LedgerError> {
        todo!("{filter:?}")
    }
}
