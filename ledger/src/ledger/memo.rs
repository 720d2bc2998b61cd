//! [`InstanceMemo`]: a committed view's snapshot that remembers the contract instances read
//! through it.
//!
//! Every contract call reads its contract's instance record (which code to run) before anything
//! else, and a query reads it twice (the node checks the contract exists, then the VM resolves
//! its code). Queries build a fresh overlay each, so before this every query paid a store read
//! for a record that changes only at a deploy or a migration: a sixth of a token balance query's
//! own work on RocksDB (BENCHMARKS.md). A snapshot never changes, so the first answer for a key
//! is the answer for as long as the snapshot lives, and the memo needs no invalidation: the next
//! block's view is a new snapshot with an empty memo.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::error::LedgerError;
use crate::store::{Direction, EntryIter, KeyRange, ReadStore};
use crate::table::Table;

/// The most instance records one memo keeps (each ~100 bytes with its key): enough for every
/// contract a block interval's queries touch; past it, reads go to the snapshot as before.
const MAX_REMEMBERED: usize = 4096;

/// A snapshot whose [`Table::Instances`] point reads are remembered (absent ones too); every
/// other read goes straight to the snapshot.
pub(super) struct InstanceMemo {
    snapshot: Arc<dyn ReadStore>,
    instances: RwLock<HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl InstanceMemo {
    /// `snapshot` with an empty memo. `snapshot` must not change while the memo lives (a store
    /// snapshot, or a view of one).
    pub(super) fn new(snapshot: Arc<dyn ReadStore>) -> InstanceMemo {
        InstanceMemo { snapshot, instances: RwLock::default() }
    }
}

impl ReadStore for InstanceMemo {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        if table != Table::Instances {
            return self.snapshot.get(table, key);
        }
        if let Some(value) = self.instances.read().get(key) {
            return Ok(value.clone());
        }
        let value = self.snapshot.get(table, key)?;
        let mut instances = self.instances.write();
        if instances.len() < MAX_REMEMBERED {
            instances.insert(key.to_vec(), value.clone());
        }
        Ok(value)
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        self.snapshot.iter(table, range, direction)
    }

    fn get_sorted(&self, table: Table, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, LedgerError> {
        if table == Table::Instances {
            return keys.iter().map(|key| self.get(table, key)).collect();
        }
        self.snapshot.get_sorted(table, keys)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::{MemoryStore, Store};

    /// A snapshot that counts the point reads reaching it.
    struct Counting {
        inner: Arc<dyn ReadStore>,
        gets: AtomicUsize,
    }

    impl ReadStore for Counting {
        fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
            self.gets.fetch_add(1, Ordering::Relaxed);
            self.inner.get(table, key)
        }

        fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
            self.inner.iter(table, range, direction)
        }
    }

    fn counted(store: &Arc<MemoryStore>) -> Arc<Counting> {
        Arc::new(Counting { inner: store.clone().snapshot(), gets: AtomicUsize::new(0) })
    }

    #[test]
    fn an_instance_is_read_from_the_snapshot_once_and_other_tables_every_time() {
        let store = Arc::new(MemoryStore::default());
        store.put(Table::Instances, b"contract", b"record").unwrap();
        store.put(Table::Storage, b"contract-key", b"value").unwrap();
        let snapshot = counted(&store);
        let memo = InstanceMemo::new(snapshot.clone());

        for _ in 0..3 {
            assert_eq!(memo.get(Table::Instances, b"contract").unwrap(), Some(b"record".to_vec()));
            assert_eq!(memo.get(Table::Instances, b"nobody").unwrap(), None);
        }
        assert_eq!(snapshot.gets.load(Ordering::Relaxed), 2, "one read per instance key, absent ones included");

        for _ in 0..3 {
            assert_eq!(memo.get(Table::Storage, b"contract-key").unwrap(), Some(b"value".to_vec()));
        }
        assert_eq!(snapshot.gets.load(Ordering::Relaxed), 5, "storage is not remembered");
        assert_eq!(
            memo.get_sorted(Table::Instances, &[b"contract", b"nobody"]).unwrap(),
            vec![Some(b"record".to_vec()), None]
        );
        assert_eq!(snapshot.gets.load(Ordering::Relaxed), 5, "batched reads use the memo too");
    }

    #[test]
    fn the_memo_answers_what_its_snapshot_holds_whatever_the_store_does_later() {
        let store = Arc::new(MemoryStore::default());
        store.put(Table::Instances, b"contract", b"old code").unwrap();
        let memo = InstanceMemo::new(store.clone().snapshot());
        assert_eq!(memo.get(Table::Instances, b"contract").unwrap(), Some(b"old code".to_vec()));

        store.put(Table::Instances, b"contract", b"new code").unwrap();
        store.put(Table::Instances, b"deployed later", b"record").unwrap();
        assert_eq!(memo.get(Table::Instances, b"contract").unwrap(), Some(b"old code".to_vec()));
        assert_eq!(memo.get(Table::Instances, b"deployed later").unwrap(), None);
        let fresh = InstanceMemo::new(store.clone().snapshot());
        assert_eq!(fresh.get(Table::Instances, b"contract").unwrap(), Some(b"new code".to_vec()));
    }

    #[test]
    fn a_full_memo_still_answers_correctly() {
        let store = Arc::new(MemoryStore::default());
        let snapshot = counted(&store);
        let memo = InstanceMemo::new(snapshot.clone());
        for i in 0..MAX_REMEMBERED {
            assert_eq!(memo.get(Table::Instances, &i.to_be_bytes()).unwrap(), None);
        }
        let reads = snapshot.gets.load(Ordering::Relaxed);
        assert_eq!(memo.get(Table::Instances, b"beyond").unwrap(), None);
        assert_eq!(memo.get(Table::Instances, b"beyond").unwrap(), None);
        assert_eq!(snapshot.gets.load(Ordering::Relaxed), reads + 2, "past the cap every read goes through");
    }
}
