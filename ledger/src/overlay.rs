//! The overlay a block (and each transaction and contract frame within it) executes against.
//!
//! Reads fall through to the committed [`Store`]; writes and events stay in memory. Nested
//! checkpoints give nested calls their rollback: a checkpoint is an index into a journal, and
//! [`Overlay::revert_to`] undoes the journal back to it, newest first (as revm and Soroban do).
//! The overlay is `'static + Send` (it holds an `Arc` of the store), so the VM can move it into a
//! wasmtime `Store` for a call and take it back afterwards.

use std::sync::Arc;

use crate::error::LedgerError;
use crate::record::{Account, CodeMeta, CodeRecord, ContractInstance, Event};
use crate::store::{Direction, Entry, KeyRange, Store};
use crate::table::Table;
use crate::types::{Address, Hash};

/// A checkpoint: a position in the overlay's journal and event list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Journal length when the checkpoint was taken.
    pub journal_len: usize,
    /// Number of events when the checkpoint was taken.
    pub events_len: usize,
}

/// What an overlay changed: sorted, one final value per key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// `(table, key, Some(value) | None for delete)`, sorted by table then key.
    pub writes: Vec<(Table, Vec<u8>, Option<Vec<u8>>)>,
    /// Events not yet taken with [`Overlay::take_events`], in emission order.
    pub events: Vec<Event>,
}

/// Buffered writes and events over a committed store.
pub struct Overlay {
    base: Arc<dyn Store>,
}

/// An empty overlay over an empty store: what a caller leaves behind when it moves the real
/// overlay into a VM call with `std::mem::take` (cheap: the empty store is shared).
impl Default for Overlay {
    fn default() -> Overlay {
        todo!()
    }
}

impl Overlay {
    /// An empty overlay over `base`.
    pub fn new(base: Arc<dyn Store>) -> Overlay {
        Overlay { base }
    }

    // --- raw access ------------------------------------------------------------------------

    /// The value at `key`: the overlay's own write if any, else the store's.
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        let _ = &self.base;
        todo!("{table:?}{key:?}")
    }

    /// Writes a value (journaled).
    pub fn put(&mut self, table: Table, key: &[u8], value: &[u8]) {
        todo!("{table:?}{key:?}{value:?}")
    }

    /// Deletes a key (journaled).
    pub fn delete(&mut self, table: Table, key: &[u8]) {
        todo!("{table:?}{key:?}")
    }

    /// Entries of `range` as the overlay sees them (its writes merged over the store), in
    /// `direction`. Collect-free: merges the store's iterator with the overlay's own.
    pub fn iter(
        &self,
        table: Table,
        range: &KeyRange,
        direction: Direction,
    ) -> Result<Box<dyn Iterator<Item = Result<Entry, LedgerError>> + '_>, LedgerError> {
        todo!("{table:?}{range:?}{direction:?}")
    }

    // --- checkpoints -----------------------------------------------------------------------

    /// Marks the current state so that it can be returned to.
    pub fn checkpoint(&mut self) -> Checkpoint {
        todo!()
    }

    /// Undoes every write and event since `checkpoint` (and drops later checkpoints).
    pub fn revert_to(&mut self, checkpoint: Checkpoint) {
        todo!("{checkpoint:?}")
    }

    /// Keeps every change since `checkpoint`; the checkpoint can no longer be reverted to
    /// separately (its changes now belong to the enclosing checkpoint, if any).
    pub fn commit(&mut self, checkpoint: Checkpoint) {
        todo!("{checkpoint:?}")
    }

    /// The final value of every key written since `checkpoint`, sorted by table then key
    /// (a call's write set, for its outcome and traces).
    pub fn changes_since(&self, checkpoint: Checkpoint) -> Vec<(Table, Vec<u8>, Option<Vec<u8>>)> {
        todo!("{checkpoint:?}")
    }

    // --- events ----------------------------------------------------------------------------

    /// Records an event (journaled with the writes: reverting a checkpoint drops it).
    pub fn emit(&mut self, event: Event) {
        todo!("{event:?}")
    }

    /// Events recorded so far and not yet taken.
    pub fn events(&self) -> &[Event] {
        todo!()
    }

    /// Takes the events recorded so far (the node does this after each transaction).
    pub fn take_events(&mut self) -> Vec<Event> {
        todo!()
    }

    /// Everything the overlay changed, ready for [`crate::Ledger::commit_block`].
    pub fn into_changes(self) -> Changes {
        todo!()
    }

    // --- typed state -----------------------------------------------------------------------

    /// An account (the default, zero account if never written).
    pub fn account(&self, address: &Address) -> Result<Account, LedgerError> {
        todo!("{address:?}")
    }

    /// Writes an account.
    pub fn set_account(&mut self, address: &Address, account: &Account) {
        todo!("{address:?}{account:?}")
    }

    /// Metadata of uploaded code, without reading the wasm bytes.
    pub fn code_meta(&self, hash: &Hash) -> Result<Option<CodeMeta>, LedgerError> {
        todo!("{hash:?}")
    }

    /// Uploaded code: bytes and metadata.
    pub fn code(&self, hash: &Hash) -> Result<Option<CodeRecord>, LedgerError> {
        todo!("{hash:?}")
    }

    /// Stores uploaded code under `hash` (= keccak256 of the wasm).
    pub fn set_code(&mut self, hash: &Hash, code: &CodeRecord) {
        todo!("{hash:?}{code:?}")
    }

    /// A contract instance.
    pub fn instance(&self, address: &Address) -> Result<Option<ContractInstance>, LedgerError> {
        todo!("{address:?}")
    }

    /// Writes a contract instance.
    pub fn set_instance(&mut self, address: &Address, instance: &ContractInstance) {
        todo!("{address:?}{instance:?}")
    }

    /// A contract's storage value.
    pub fn storage_get(&self, contract: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        todo!("{contract:?}{key:?}")
    }

    /// Writes a contract's storage value.
    pub fn storage_set(&mut self, contract: &Address, key: &[u8], value: &[u8]) {
        todo!("{contract:?}{key:?}{value:?}")
    }

    /// Removes a contract's storage key.
    pub fn storage_remove(&mut self, contract: &Address, key: &[u8]) {
        todo!("{contract:?}{key:?}")
    }

    /// A contract's storage entries in `range` (keys without the contract prefix), never
    /// crossing into another contract's storage.
    pub fn storage_iter(
        &self,
        contract: &Address,
        range: &KeyRange,
        direction: Direction,
    ) -> Result<Box<dyn Iterator<Item = Result<Entry, LedgerError>> + '_>, LedgerError> {
        todo!("{contract:?}{range:?}{direction:?}")
    }
}
