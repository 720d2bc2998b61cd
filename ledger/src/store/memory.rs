//! The in-memory backend: one persistent ordered map per table behind one lock. A batch is
//! applied atomically with respect to every reader, and a snapshot is a copy of the maps' roots
//! (persistent maps share their nodes, so a copy costs O(1) and a later write copies only the
//! path to the key it changes).

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use imbl::OrdMap;
use parking_lot::RwLock;

use super::{Direction, Entry, EntryIter, KeyRange, ReadStore, Store, WriteBatch};
use crate::error::LedgerError;
use crate::table::Table;

type Map = OrdMap<Vec<u8>, Vec<u8>>;
type Tables = [Map; Table::ALL.len()];

/// The in-memory backend (tests, the Sandbox). Nothing survives the process.
///
/// An iterator reads a copy of its table's map taken when it was opened (O(1)), in growing
/// chunks, so it never holds the lock: an open iterator cannot block a writer or deadlock a
/// thread that writes while it iterates, and it sees the table as it was when it was opened.
#[derive(Default)]
pub struct MemoryStore {
    tables: RwLock<Tables>,
}

/// A [`MemoryStore`] at one moment (see [`Store::snapshot`]).
struct MemorySnapshot {
    tables: Tables,
}

/// Entries fetched by an iterator's first trip to the map: small, because callers such as the
/// VM's storage iterators often want only the next entry or two.
const FIRST_CHUNK: usize = 8;
/// The largest chunk: big enough to amortise the range lookup, small enough not to copy much
/// that a caller stops short of.
const MAX_CHUNK: usize = 512;

impl ReadStore for MemoryStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.tables.read()[table.index()].get(key).cloned())
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        let map = self.tables.read()[table.index()].clone();
        Ok(Box::new(ChunkedIter::new(map, range, direction)))
    }
}

impl Store for MemoryStore {
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError> {
        let mut tables = self.tables.write();
        for (table, key, value) in batch.ops {
            let map = &mut tables[table.index()];
            match value {
                Some(value) => {
                    map.insert(key, value);
                }
                None => {
                    map.remove(&key);
                }
            }
        }
        Ok(())
    }

    fn snapshot(self: Arc<Self>) -> Arc<dyn ReadStore> {
        Arc::new(MemorySnapshot { tables: self.tables.read().clone() })
    }
}

impl ReadStore for MemorySnapshot {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.tables[table.index()].get(key).cloned())
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        Ok(Box::new(ChunkedIter::new(self.tables[table.index()].clone(), range, direction)))
    }
}

/// An iterator over its own copy of a map, refilling a small buffer and narrowing its range
/// past what it has already returned.
struct ChunkedIter {
    map: Map,
    /// What is left to visit.
    range: KeyRange,
    direction: Direction,
    buffer: VecDeque<Entry>,
    chunk: usize,
    exhausted: bool,
}

impl ChunkedIter {
    fn new(map: Map, range: &KeyRange, direction: Direction) -> ChunkedIter {
        ChunkedIter {
            map,
            range: range.clone(),
            direction,
            buffer: VecDeque::new(),
            chunk: FIRST_CHUNK,
            exhausted: false,
        }
    }

    fn refill(&mut self) {
        if self.range.is_empty() {
            self.exhausted = true;
            return;
        }
        let entries = self.map.range::<_, [u8]>(self.range.as_slices());
        let cloned = |(key, value): (&Vec<u8>, &Vec<u8>)| (key.clone(), value.clone());
        match self.direction {
            Direction::Forward => self.buffer.extend(entries.take(self.chunk).map(cloned)),
            Direction::Reverse => self.buffer.extend(entries.rev().take(self.chunk).map(cloned)),
        }
        if self.buffer.len() < self.chunk {
            self.exhausted = true;
        }
        if let Some((last, _)) = self.buffer.back() {
            let resume = Bound::Excluded(last.clone());
            match self.direction {
                Direction::Forward => self.range.start = resume,
                Direction::Reverse => self.range.end = resume,
            }
        }
        self.chunk = (self.chunk * 2).min(MAX_CHUNK);
    }
}

impl Iterator for ChunkedIter {
    type Item = Result<Entry, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.exhausted {
            self.refill();
        }
        self.buffer.pop_front().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(keys: impl IntoIterator<Item = u16>) -> MemoryStore {
        let store = MemoryStore::default();
        let mut batch = WriteBatch::default();
        for key in keys {
            batch.put(Table::Storage, key.to_be_bytes().to_vec(), vec![key as u8]);
        }
        store.write(batch).unwrap();
        store
    }

    fn keys(store: &MemoryStore, range: &KeyRange, direction: Direction) -> Vec<u16> {
        store
            .iter(Table::Storage, range, direction)
            .unwrap()
            .map(|entry| u16::from_be_bytes(entry.unwrap().0.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn iteration_across_many_chunks_is_complete_and_ordered_both_ways() {
        let store = store_with(0..2000);
        let range = KeyRange::between(10u16.to_be_bytes().to_vec(), 1990u16.to_be_bytes().to_vec());
        let expected: Vec<u16> = (10..1990).collect();
        assert_eq!(keys(&store, &range, Direction::Forward), expected);
        assert_eq!(keys(&store, &range, Direction::Reverse), expected.into_iter().rev().collect::<Vec<_>>());
    }

    #[test]
    fn an_open_iterator_does_not_block_writes_and_does_not_see_them() {
        let store = store_with(0..100);
        let mut iter = store.iter(Table::Storage, &KeyRange::all(), Direction::Forward).unwrap();
        assert!(iter.next().is_some());
        store.put(Table::Storage, b"other", b"value").unwrap();
        assert_eq!(iter.count(), 99);
    }

    #[test]
    fn a_snapshot_reads_the_moment_it_was_taken() {
        let store = Arc::new(store_with(0..3));
        let snapshot = store.clone().snapshot();
        store.put(Table::Storage, &1u16.to_be_bytes(), b"changed").unwrap();
        store.delete(Table::Storage, &2u16.to_be_bytes()).unwrap();
        store.put(Table::Accounts, b"new", b"account").unwrap();
        assert_eq!(snapshot.get(Table::Storage, &1u16.to_be_bytes()).unwrap(), Some(vec![1]));
        assert_eq!(snapshot.get(Table::Storage, &2u16.to_be_bytes()).unwrap(), Some(vec![2]));
        assert_eq!(snapshot.get(Table::Accounts, b"new").unwrap(), None);
        assert_eq!(snapshot.iter(Table::Storage, &KeyRange::all(), Direction::Forward).unwrap().count(), 3);
        assert_eq!(store.get(Table::Storage, &1u16.to_be_bytes()).unwrap(), Some(b"changed".to_vec()));
    }

    #[test]
    fn an_inverted_range_yields_nothing_instead_of_panicking() {
        let store = store_with(0..10);
        let range = KeyRange::between(5u16.to_be_bytes().to_vec(), 2u16.to_be_bytes().to_vec());
        assert!(keys(&store, &range, Direction::Forward).is_empty());
        assert!(keys(&store, &range, Direction::Reverse).is_empty());
    }

    #[test]
    fn tables_are_separate() {
        let store = store_with(0..3);
        assert_eq!(store.get(Table::Accounts, &1u16.to_be_bytes()).unwrap(), None);
        assert_eq!(store.get(Table::Storage, &1u16.to_be_bytes()).unwrap(), Some(vec![1]));
    }
}
