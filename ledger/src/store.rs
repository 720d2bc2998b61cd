//! The `Store` trait: ordered key-value tables with atomic batch writes. Two backends implement
//! it — RocksDB (the default on disk) and memory (tests and the Sandbox) — and one shared test
//! suite runs on both.

use std::ops::Bound;

use crate::error::LedgerError;
use crate::table::Table;

/// Iteration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smallest key first.
    Forward,
    /// Largest key first.
    Reverse,
}

/// A range of keys within one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// Lower bound.
    pub start: Bound<Vec<u8>>,
    /// Upper bound.
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> KeyRange {
        todo!()
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> KeyRange {
        todo!("{prefix:?}")
    }

    /// Keys in `[start, end)`.
    pub fn between(start: Vec<u8>, end: Vec<u8>) -> KeyRange {
        todo!("{start:?}{end:?}")
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        todo!("{key:?}")
    }
}

/// One entry yielded by iteration.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A boxed iterator over a table's entries.
pub type EntryIter<'a> = Box<dyn Iterator<Item = Result<Entry, LedgerError>> + 'a>;

/// Writes applied together or not at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// `(table, key, Some(value))` puts, `(table, key, None)` deletes, applied in order.
    pub ops: Vec<(Table, Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// Adds a put.
    pub fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((table, key, Some(value)));
    }

    /// Adds a delete.
    pub fn delete(&mut self, table: Table, key: Vec<u8>) {
        self.ops.push((table, key, None));
    }
}

/// An ordered key-value store of [`Table`]s.
pub trait Store: Send + Sync + 'static {
    /// The value at `key`, if any.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Entries in `range`, in `direction`.
    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError>;

    /// Applies every op of `batch` atomically (all or nothing, also across a crash).
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError>;

    /// Puts one value (a batch of one).
    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), LedgerError> {
        let mut batch = WriteBatch::default();
        batch.put(table, key.to_vec(), value.to_vec());
        self.write(batch)
    }

    /// Deletes one key (a batch of one).
    fn delete(&self, table: Table, key: &[u8]) -> Result<(), LedgerError> {
        let mut batch = WriteBatch::default();
        batch.delete(table, key.to_vec());
        self.write(batch)
    }
}

/// The in-memory backend.
#[derive(Default)]
pub struct MemoryStore {}

impl Store for MemoryStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        todo!("{table:?}{key:?}")
    }
    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        todo!("{table:?}{range:?}{direction:?}")
    }
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError> {
        todo!("{batch:?}")
    }
}

/// The RocksDB backend.
#[cfg(feature = "rocksdb")]
pub struct RocksStore {}
