//! A block's writes over the store they are being written to: what the next block reads while
//! this one is still being committed (the node's pipelined automine, `node/src/chain/pipeline.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Written;
use super::merge::Merged;
use crate::error::LedgerError;
use crate::store::{Direction, EntryIter, KeyRange, ReadStore};
use crate::table::Table;

/// A committed-to-be block's writes ([`crate::Changes::writes`]) over a store: a key the block
/// wrote reads as the block left it (a delete hides the store's value), any other key as the
/// store has it. While the block's write lands in the store the answers stay the same: they
/// only ever agree with what the store will hold.
pub struct Layered {
    below: Arc<dyn ReadStore>,
    /// The block's writes, per table (indexed by [`Table::index`]).
    tables: Vec<BTreeMap<Vec<u8>, Written>>,
}

impl Layered {
    /// `writes` (table, key, value or `None` for a delete) over `below`.
    pub fn new(below: Arc<dyn ReadStore>, writes: &[(Table, Vec<u8>, Written)]) -> Layered {
        let mut tables = vec![BTreeMap::new(); Table::ALL.len()];
        for (table, key, value) in writes {
            tables[table.index()].insert(key.clone(), value.clone());
        }
        Layered { below, tables }
    }
}

impl ReadStore for Layered {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        match self.tables[table.index()].get(key) {
            Some(value) => Ok(value.clone()),
            None => self.below.get(table, key),
        }
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let stored = self.below.iter(table, range, direction)?;
        let own = self.tables[table.index()].range::<[u8], _>(range.as_slices());
        let own: Box<dyn Iterator<Item = _>> = match direction {
            Direction::Forward => Box::new(own),
            Direction::Reverse => Box::new(own.rev()),
        };
        Ok(Box::new(Merged::new(stored, own, direction)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, Store};

    fn keys(layered: &Layered, direction: Direction) -> Vec<(Vec<u8>, Vec<u8>)> {
        layered.iter(Table::Storage, &KeyRange::all(), direction).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn the_block_s_writes_win_and_its_deletes_hide_the_store() {
        let store = Arc::new(MemoryStore::default());
        for (key, value) in [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")] {
            store.put(Table::Storage, key, value).unwrap();
        }
        let writes = vec![
            (Table::Storage, b"b".to_vec(), Some(b"20".to_vec())),
            (Table::Storage, b"c".to_vec(), None),
            (Table::Storage, b"d".to_vec(), Some(b"4".to_vec())),
        ];
        let layered = Layered::new(store.clone(), &writes);
        assert_eq!(layered.get(Table::Storage, b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(layered.get(Table::Storage, b"b").unwrap(), Some(b"20".to_vec()));
        assert_eq!(layered.get(Table::Storage, b"c").unwrap(), None);
        assert_eq!(layered.get(Table::Storage, b"d").unwrap(), Some(b"4".to_vec()));
        // Another table is the store's alone.
        assert_eq!(layered.get(Table::Accounts, b"b").unwrap(), None);
        let forward =
            vec![(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"20".to_vec()), (b"d".to_vec(), b"4".to_vec())];
        assert_eq!(keys(&layered, Direction::Forward), forward);
        let mut reverse = forward;
        reverse.reverse();
        assert_eq!(keys(&layered, Direction::Reverse), reverse);
    }

    #[test]
    fn answers_stay_the_same_once_the_block_lands_below() {
        let store = Arc::new(MemoryStore::default());
        store.put(Table::Storage, b"a", b"1").unwrap();
        store.put(Table::Storage, b"b", b"2").unwrap();
        let writes = vec![(Table::Storage, b"a".to_vec(), None), (Table::Storage, b"c".to_vec(), Some(b"3".to_vec()))];
        let layered = Layered::new(store.clone(), &writes);
        let before = keys(&layered, Direction::Forward);
        let mut batch = crate::store::WriteBatch::default();
        batch.delete(Table::Storage, b"a".to_vec());
        batch.put(Table::Storage, b"c".to_vec(), b"3".to_vec());
        store.write(batch).unwrap();
        assert_eq!(keys(&layered, Direction::Forward), before);
        assert_eq!(before, vec![(b"b".to_vec(), b"2".to_vec()), (b"c".to_vec(), b"3".to_vec())]);
    }
}
