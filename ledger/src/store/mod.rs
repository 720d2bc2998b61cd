//! The `Store` trait: ordered key-value tables with atomic batch writes. Two backends implement
//! it — RocksDB (`RocksStore`, the default on disk, behind the `rocksdb` feature) and memory
//! ([`MemoryStore`], tests and the Sandbox) — and one shared test suite runs on both.
//!
//! Start with [`Store`] (and [`ReadStore`], its read half, which snapshots implement too);
//! [`KeyRange`] says which keys an iteration covers.

mod memory;
#[cfg(feature = "rocksdb")]
mod reclaim;
#[cfg(feature = "rocksdb")]
mod rocks;
#[cfg(feature = "rocksdb")]
mod rocks_dir;

use std::ops::Bound;
use std::sync::Arc;

use crate::error::LedgerError;
use crate::table::Table;

pub use memory::MemoryStore;
#[cfg(feature = "rocksdb")]
pub use rocks::{RocksConfig, RocksStore};

/// Iteration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smallest key first.
    Forward,
    /// Largest key first.
    Reverse,
}

/// A range of keys within one table. Keys compare as byte strings (lexicographically, a prefix
/// before its extensions). A range whose start lies after its end is empty, never an error.
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
        KeyRange { start: Bound::Unbounded, end: Bound::Unbounded }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> KeyRange {
        let end = match prefix_successor(prefix) {
            Some(successor) => Bound::Excluded(successor),
            None => Bound::Unbounded,
        };
        KeyRange { start: Bound::Included(prefix.to_vec()), end }
    }

    /// Keys in `[start, end)`.
    pub fn between(start: Vec<u8>, end: Vec<u8>) -> KeyRange {
        KeyRange { start: Bound::Included(start), end: Bound::Excluded(end) }
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let above_start = match &self.start {
            Bound::Included(start) => key >= start.as_slice(),
            Bound::Excluded(start) => key > start.as_slice(),
            Bound::Unbounded => true,
        };
        let below_end = match &self.end {
            Bound::Included(end) => key <= end.as_slice(),
            Bound::Excluded(end) => key < end.as_slice(),
            Bound::Unbounded => true,
        };
        above_start && below_end
    }

    /// Whether no key at all can lie in the range (its start is after its end, or they meet at
    /// an excluded key).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            // Nothing sorts below the empty key.
            (Bound::Unbounded, Bound::Excluded(end)) => end.is_empty(),
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(start), Bound::Included(end)) => start > end,
            (Bound::Included(start), Bound::Excluded(end)) | (Bound::Excluded(start), Bound::Included(end)) => {
                start >= end
            }
            // `(k, k‖0x00)` holds no key either: nothing sorts strictly between the two.
            (Bound::Excluded(start), Bound::Excluded(end)) => {
                start >= end || (end.len() == start.len() + 1 && end.starts_with(start) && end.last() == Some(&0))
            }
        }
    }

    /// The bounds as borrowed slices, as `BTreeMap::range` takes them. Only call this on a
    /// non-empty range: `BTreeMap::range` panics on some empty ones.
    pub(crate) fn as_slices(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (self.start.as_ref().map(Vec::as_slice), self.end.as_ref().map(Vec::as_slice))
    }

    /// The smallest key the range may contain, as an inclusive bound (`None`: unbounded).
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "RocksDB's iterator bounds"))]
    pub(crate) fn lower_inclusive(&self) -> Option<Vec<u8>> {
        match &self.start {
            Bound::Included(start) => Some(start.clone()),
            Bound::Excluded(start) => Some(immediate_successor(start)),
            Bound::Unbounded => None,
        }
    }

    /// The first key after the range, as an exclusive bound (`None`: unbounded).
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "RocksDB's iterator bounds"))]
    pub(crate) fn upper_exclusive(&self) -> Option<Vec<u8>> {
        match &self.end {
            Bound::Included(end) => Some(immediate_successor(end)),
            Bound::Excluded(end) => Some(end.clone()),
            Bound::Unbounded => None,
        }
    }
}

/// The smallest key greater than every key that starts with `prefix`, or `None` if there is
/// none (`prefix` is empty or all `0xff`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&byte| byte != 0xff)?;
    let mut successor = prefix[..=last].to_vec();
    successor[last] += 1;
    Some(successor)
}

/// The smallest key greater than `key`: `key ‖ 0x00`.
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "RocksDB's iterator bounds"))]
fn immediate_successor(key: &[u8]) -> Vec<u8> {
    let mut successor = Vec::with_capacity(key.len() + 1);
    successor.extend_from_slice(key);
    successor.push(0);
    successor
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

/// Read access to ordered key-value [`Table`]s: what an [`Overlay`](crate::Overlay) and a
/// [`StateView`](crate::StateView) read through. Implemented by every [`Store`] (reading its
/// current contents) and by the snapshots [`Store::snapshot`] takes (reading one moment's).
pub trait ReadStore: Send + Sync + 'static {
    /// The value at `key`, if any.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Entries in `range`, in `direction`.
    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError>;

    /// The values at `keys` (ascending, no repeats), in their order: what [`ReadStore::get`]
    /// answers for each, for a store that reads many keys of one table cheaper together (a
    /// block's commit reads the previous value of every key it writes).
    fn get_sorted(&self, table: Table, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, LedgerError> {
        keys.iter().map(|key| self.get(table, key)).collect()
    }
}

/// An ordered key-value store of [`Table`]s with atomic batch writes and snapshots.
pub trait Store: ReadStore {
    /// Applies every op of `batch` atomically (all or nothing, also across a crash).
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError>;

    /// A read-only view of the store as it is now: batches written later are not seen through
    /// it, and it reads every table at the same moment. Cheap (no copy of the data); it keeps
    /// the store alive, and the versions it sees, until it is dropped.
    fn snapshot(self: Arc<Self>) -> Arc<dyn ReadStore>;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_range_covers_exactly_the_extensions_of_the_prefix() {
        let range = KeyRange::prefix(&[1, 0xff]);
        assert!(range.contains(&[1, 0xff]));
        assert!(range.contains(&[1, 0xff, 0xff, 0xff]));
        assert!(!range.contains(&[1, 0xfe, 0xff]));
        assert!(!range.contains(&[2]));
        assert_eq!(range.end, Bound::Excluded(vec![2]));
    }

    #[test]
    fn all_ff_and_empty_prefixes_have_no_upper_bound() {
        assert_eq!(KeyRange::prefix(&[0xff, 0xff]).end, Bound::Unbounded);
        assert_eq!(KeyRange::prefix(&[]), KeyRange { start: Bound::Included(vec![]), end: Bound::Unbounded });
        assert!(KeyRange::prefix(&[0xff]).contains(&[0xff, 0xff, 0, 1]));
    }

    #[test]
    fn between_is_half_open() {
        let range = KeyRange::between(b"b".to_vec(), b"d".to_vec());
        assert!(!range.contains(b"a"));
        assert!(range.contains(b"b"));
        assert!(range.contains(b"c\xff"));
        assert!(!range.contains(b"d"));
    }

    #[test]
    fn a_range_is_empty_exactly_when_it_lacks_its_smallest_candidate_key() {
        // The smallest key a range can hold is its included start, the successor `s‖0x00` of an
        // excluded start, or the empty key; the range is empty iff it does not contain that key.
        let keys: [&[u8]; 6] = [b"", b"\0", b"a", b"a\0", b"a\0\0", b"b"];
        let bounds = |key: &[u8]| [Bound::Included(key.to_vec()), Bound::Excluded(key.to_vec()), Bound::Unbounded];
        for start_key in keys {
            for end_key in keys {
                for start in bounds(start_key) {
                    for end in bounds(end_key) {
                        let range = KeyRange { start: start.clone(), end };
                        let smallest = range.lower_inclusive().unwrap_or_default();
                        assert_eq!(range.is_empty(), !range.contains(&smallest), "{range:?}");
                    }
                }
            }
        }
        assert!(KeyRange::between(b"b".to_vec(), b"a".to_vec()).is_empty());
    }

    #[test]
    fn normalised_bounds_are_inclusive_below_and_exclusive_above() {
        let range = KeyRange { start: Bound::Excluded(b"a".to_vec()), end: Bound::Included(b"c".to_vec()) };
        assert_eq!(range.lower_inclusive(), Some(b"a\0".to_vec()));
        assert_eq!(range.upper_exclusive(), Some(b"c\0".to_vec()));
        assert_eq!(KeyRange::all().lower_inclusive(), None);
        assert_eq!(KeyRange::all().upper_exclusive(), None);
    }
}
