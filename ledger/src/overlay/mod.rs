//! The overlay a block (and each transaction and contract frame within it) executes against.
//!
//! Reads fall through to the committed [`ReadStore`] (the live store, or a snapshot); writes and
//! events stay in memory. Nested checkpoints give nested calls their rollback: a checkpoint is an
//! index into a journal, and [`Overlay::revert_to`] undoes the journal back to it, newest first
//! (as revm and Soroban do).
//! The overlay is `'static + Send` (it holds an `Arc` of the store), so the VM can move it into a
//! wasmtime `Store` for a call and take it back afterwards.
//!
//! Layout: this file holds the raw access and the journal; `merge` the iteration of the
//! overlay's writes over the store's entries; `typed` the typed accessors (accounts, code,
//! instances, contract storage); `layered` a block's writes over the store, as the base of the
//! next block's overlay while the block is being committed.

mod layered;
mod merge;
mod typed;

pub use layered::Layered;
pub(crate) use typed::TypedReads;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use crate::error::LedgerError;
use crate::record::Event;
use crate::store::{Direction, Entry, KeyRange, MemoryStore, ReadStore};
use crate::table::Table;

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

/// The overlay's own value of a key: `Some(value)` written, `None` deleted.
type Written = Option<Vec<u8>>;

/// One journaled write: what the overlay held for the key before it (`None`: nothing, the key
/// read through to the store).
struct JournalEntry {
    table: Table,
    key: Vec<u8>,
    previous: Option<Written>,
}

/// Buffered writes and events over a committed store.
pub struct Overlay {
    base: Arc<dyn ReadStore>,
    /// The overlay's own writes, per table.
    writes: Writes,
    /// What the base store answered, per table: the base does not change under an overlay (a
    /// snapshot, or the live store while the writer holds the chain), so a key read twice is
    /// fetched once, and a key's value before a transaction wrote it is at hand for its diff.
    /// Allocated at the first read, like `writes`.
    base_reads: RefCell<Option<Box<[BaseReads; Table::ALL.len()]>>>,
    journal: Vec<JournalEntry>,
    events: Vec<Event>,
    /// Moves at every write and revert: see [`Overlay::version`].
    version: u64,
}

/// An overlay's own writes: one map per table, indexed by [`Table::id`], allocated at the first
/// write. The VM moves overlays in and out of its stores with `std::mem::take` several times per
/// call, and dropping a dozen empty maps each time was a tenth of an empty contract call.
#[derive(Default)]
struct Writes(Option<Box<[TableWrites; Table::ALL.len()]>>);

/// One table's writes: key → what the overlay holds for it.
type TableWrites = BTreeMap<Vec<u8>, Written>;

/// The map of a table nothing was written to.
static NO_WRITES: TableWrites = BTreeMap::new();

impl Writes {
    /// The writes to `table`.
    fn table(&self, table: Table) -> &TableWrites {
        self.0.as_ref().map_or(&NO_WRITES, |maps| &maps[table.index()])
    }

    /// The writes to `table`, to change.
    fn table_mut(&mut self, table: Table) -> &mut TableWrites {
        &mut self.0.get_or_insert_with(Box::default)[table.index()]
    }

    /// Every write, sorted by table then key.
    fn into_sorted(self) -> Vec<(Table, Vec<u8>, Written)> {
        let Some(maps) = self.0 else { return Vec::new() };
        let mut writes = Vec::with_capacity(maps.iter().map(BTreeMap::len).sum());
        for (table, map) in Table::ALL.into_iter().zip(*maps) {
            writes.extend(map.into_iter().map(|(key, value)| (table, key, value)));
        }
        writes
    }
}

/// One table's answers from the base store: key → value (`None`: absent).
type BaseReads = HashMap<Vec<u8>, Option<Vec<u8>>>;

/// One key a stretch of execution changed: `(table, key, before, after)` (`None`: absent).
pub type Change = (Table, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// The store under every [`Overlay::default`]: empty, shared, never written.
static EMPTY_STORE: LazyLock<Arc<dyn ReadStore>> = LazyLock::new(|| Arc::new(MemoryStore::default()));

/// An empty overlay over an empty store: what a caller leaves behind when it moves the real
/// overlay into a VM call with `std::mem::take` (cheap: the empty store is shared, and empty
/// maps do not allocate).
impl Default for Overlay {
    fn default() -> Overlay {
        Overlay::new(EMPTY_STORE.clone())
    }
}

impl Overlay {
    /// An empty overlay over `base`.
    pub fn new(base: Arc<dyn ReadStore>) -> Overlay {
        Overlay {
            base,
            writes: Default::default(),
            base_reads: RefCell::default(),
            journal: Vec::new(),
            events: Vec::new(),
            version: 0,
        }
    }

    /// A number that changes whenever what the overlay shows may change (a write, a delete, a
    /// revert to a checkpoint). The base store does not change under an overlay, so two reads
    /// of the same overlay at the same version see the same entries: a storage iterator keeps
    /// entries read ahead as long as the version stays.
    pub fn version(&self) -> u64 {
        self.version
    }

    // --- raw access ------------------------------------------------------------------------

    /// The value at `key`: the overlay's own write if any, else the store's.
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        match self.writes.table(table).get(key) {
            Some(written) => Ok(written.clone()),
            None => self.base_get(table, key),
        }
    }

    /// The base store's value at `key`, fetched once per overlay.
    fn base_get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        if let Some(value) = self.base_reads.borrow().as_ref().and_then(|reads| reads[table.index()].get(key)) {
            return Ok(value.clone());
        }
        let value = self.base.get(table, key)?;
        let mut reads = self.base_reads.borrow_mut();
        reads.get_or_insert_with(Box::default)[table.index()].insert(key.to_vec(), value.clone());
        Ok(value)
    }

    /// Writes a value (journaled).
    pub fn put(&mut self, table: Table, key: &[u8], value: &[u8]) {
        self.write(table, key, Some(value.to_vec()));
    }

    /// Deletes a key (journaled).
    pub fn delete(&mut self, table: Table, key: &[u8]) {
        self.write(table, key, None);
    }

    fn write(&mut self, table: Table, key: &[u8], value: Written) {
        let map = self.writes.table_mut(table);
        let previous = match map.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                map.insert(key.to_vec(), value);
                None
            }
        };
        self.journal.push(JournalEntry { table, key: key.to_vec(), previous });
        self.version += 1;
    }

    /// Entries of `range` as the overlay sees them (its writes merged over the store), in
    /// `direction`. Collect-free: merges the store's iterator with the overlay's own.
    pub fn iter(
        &self,
        table: Table,
        range: &KeyRange,
        direction: Direction,
    ) -> Result<Box<dyn Iterator<Item = Result<Entry, LedgerError>> + '_>, LedgerError> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let stored = self.base.iter(table, range, direction)?;
        let own = self.writes.table(table).range::<[u8], _>(range.as_slices());
        let own: Box<dyn Iterator<Item = _>> = match direction {
            Direction::Forward => Box::new(own),
            Direction::Reverse => Box::new(own.rev()),
        };
        Ok(Box::new(merge::Merged::new(stored, own, direction)))
    }

    // --- checkpoints -----------------------------------------------------------------------

    /// Marks the current state so that it can be returned to.
    pub fn checkpoint(&mut self) -> Checkpoint {
        Checkpoint { journal_len: self.journal.len(), events_len: self.events.len() }
    }

    /// Undoes every write and event since `checkpoint` (and drops later checkpoints).
    ///
    /// A checkpoint from before the last [`Overlay::take_events`] keeps the taken events taken.
    pub fn revert_to(&mut self, checkpoint: Checkpoint) {
        while self.journal.len() > checkpoint.journal_len {
            let Some(entry) = self.journal.pop() else { break };
            let map = self.writes.table_mut(entry.table);
            match entry.previous {
                Some(previous) => {
                    map.insert(entry.key, previous);
                }
                None => {
                    map.remove(&entry.key);
                }
            }
        }
        self.events.truncate(checkpoint.events_len);
        self.version += 1;
    }

    /// Keeps every change since `checkpoint`; the checkpoint can no longer be reverted to
    /// separately (its changes now belong to the enclosing checkpoint, if any).
    ///
    /// The journal itself is kept: an enclosing checkpoint may still be reverted, and it needs
    /// these entries. It lives as long as the overlay (one block's or one transaction's writes).
    pub fn commit(&mut self, checkpoint: Checkpoint) {
        let _ = checkpoint;
    }

    /// The final value of every key written since `checkpoint`, sorted by table then key
    /// (a call's write set, for its outcome and traces).
    pub fn changes_since(&self, checkpoint: Checkpoint) -> Vec<(Table, Vec<u8>, Option<Vec<u8>>)> {
        let since = checkpoint.journal_len.min(self.journal.len());
        let touched: BTreeSet<(Table, &[u8])> =
            self.journal[since..].iter().map(|entry| (entry.table, entry.key.as_slice())).collect();
        touched
            .into_iter()
            .map(|(table, key)| {
                // Every key journaled after the checkpoint is in the map: only a revert past its
                // entry could have removed it, and that would have dropped the entry too.
                let value = self.writes.table(table).get(key).cloned().flatten();
                (table, key.to_vec(), value)
            })
            .collect()
    }

    /// Every key written since `checkpoint` whose value changed, with its value at the
    /// checkpoint and now, sorted by table then key: a transaction's state diff.
    ///
    /// # Errors
    /// Only base-store errors (reading the value before a key's first write, if it was never
    /// read).
    pub fn diff_since(&self, checkpoint: Checkpoint) -> Result<Vec<Change>, LedgerError> {
        let since = checkpoint.journal_len.min(self.journal.len());
        // The first entry of each key after the checkpoint holds what the overlay had before it.
        let mut first: BTreeMap<(Table, &[u8]), &Option<Written>> = BTreeMap::new();
        for entry in &self.journal[since..] {
            first.entry((entry.table, entry.key.as_slice())).or_insert(&entry.previous);
        }
        let mut out = Vec::with_capacity(first.len());
        for ((table, key), previous) in first {
            let before = match previous {
                Some(written) => written.clone(),
                None => self.base_get(table, key)?,
            };
            let after = self.writes.table(table).get(key).cloned().flatten();
            if before != after {
                out.push((table, key.to_vec(), before, after));
            }
        }
        Ok(out)
    }

    // --- events ----------------------------------------------------------------------------

    /// Records an event (journaled with the writes: reverting a checkpoint drops it).
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Events recorded so far and not yet taken.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events recorded so far (the node does this after each transaction, with no
    /// checkpoint open).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Everything the overlay changed, ready for [`crate::Ledger::commit_block`].
    pub fn into_changes(self) -> Changes {
        Changes { writes: self.writes.into_sorted(), events: self.events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn overlay_over(entries: &[(&[u8], &[u8])]) -> Overlay {
        let store = MemoryStore::default();
        for (key, value) in entries {
            store.put(Table::Storage, key, value).unwrap();
        }
        Overlay::new(Arc::new(store))
    }

    #[test]
    fn reads_fall_through_until_written_or_deleted() {
        let mut overlay = overlay_over(&[(b"a", b"1")]);
        assert_eq!(overlay.get(Table::Storage, b"a").unwrap(), Some(b"1".to_vec()));
        overlay.put(Table::Storage, b"a", b"2");
        assert_eq!(overlay.get(Table::Storage, b"a").unwrap(), Some(b"2".to_vec()));
        overlay.delete(Table::Storage, b"a");
        assert_eq!(overlay.get(Table::Storage, b"a").unwrap(), None);
        assert_eq!(overlay.get(Table::Accounts, b"a").unwrap(), None);
    }

    #[test]
    fn nested_checkpoints_revert_newest_first() {
        let mut overlay = overlay_over(&[(b"a", b"0")]);
        let outer = overlay.checkpoint();
        overlay.put(Table::Storage, b"a", b"1");
        let inner = overlay.checkpoint();
        overlay.put(Table::Storage, b"a", b"2");
        overlay.put(Table::Storage, b"b", b"2");
        overlay.emit(Event { contract: Default::default(), ty: "t".into(), data: vec![] });
        overlay.revert_to(inner);
        assert_eq!(overlay.get(Table::Storage, b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(overlay.get(Table::Storage, b"b").unwrap(), None);
        assert!(overlay.events().is_empty());
        overlay.revert_to(outer);
        assert_eq!(overlay.get(Table::Storage, b"a").unwrap(), Some(b"0".to_vec()));
        assert!(overlay.into_changes().writes.is_empty());
    }

    #[test]
    fn a_committed_inner_checkpoint_is_reverted_with_its_parent() {
        let mut overlay = overlay_over(&[]);
        let outer = overlay.checkpoint();
        let inner = overlay.checkpoint();
        overlay.put(Table::Storage, b"k", b"v");
        overlay.commit(inner);
        assert_eq!(overlay.changes_since(outer), vec![(Table::Storage, b"k".to_vec(), Some(b"v".to_vec()))]);
        overlay.revert_to(outer);
        assert_eq!(overlay.get(Table::Storage, b"k").unwrap(), None);
    }

    #[test]
    fn diff_since_gives_each_changed_key_with_its_value_at_the_checkpoint() {
        let mut overlay = overlay_over(&[(b"x", b"0"), (b"y", b"1"), (b"z", b"2")]);
        overlay.put(Table::Storage, b"x", b"before the checkpoint");
        let checkpoint = overlay.checkpoint();
        overlay.put(Table::Storage, b"x", b"a");
        overlay.put(Table::Storage, b"x", b"b");
        overlay.delete(Table::Storage, b"y");
        overlay.put(Table::Storage, b"w", b"new");
        overlay.put(Table::Storage, b"z", b"other");
        overlay.put(Table::Storage, b"z", b"2");
        assert_eq!(
            overlay.diff_since(checkpoint).unwrap(),
            vec![
                (Table::Storage, b"w".to_vec(), None, Some(b"new".to_vec())),
                (Table::Storage, b"x".to_vec(), Some(b"before the checkpoint".to_vec()), Some(b"b".to_vec())),
                (Table::Storage, b"y".to_vec(), Some(b"1".to_vec()), None),
            ],
            "z went back to its value: not a change"
        );
    }

    #[test]
    fn changes_since_reports_final_values_sorted() {
        let mut overlay = overlay_over(&[(b"x", b"0")]);
        overlay.put(Table::Storage, b"before", b"0");
        let checkpoint = overlay.checkpoint();
        overlay.put(Table::Storage, b"z", b"1");
        overlay.put(Table::Accounts, b"a", b"1");
        overlay.put(Table::Storage, b"z", b"2");
        overlay.delete(Table::Storage, b"x");
        assert_eq!(
            overlay.changes_since(checkpoint),
            vec![
                (Table::Accounts, b"a".to_vec(), Some(b"1".to_vec())),
                (Table::Storage, b"x".to_vec(), None),
                (Table::Storage, b"z".to_vec(), Some(b"2".to_vec())),
            ]
        );
    }

    #[test]
    fn default_overlays_are_empty_and_share_one_store() {
        let mut first = Overlay::default();
        first.put(Table::Storage, b"k", b"v");
        let second = Overlay::default();
        assert_eq!(second.get(Table::Storage, b"k").unwrap(), None);
        assert!(Arc::ptr_eq(&first.base, &second.base));
    }

    #[test]
    fn take_events_empties_the_list() {
        let mut overlay = Overlay::default();
        overlay.emit(Event { contract: Default::default(), ty: "a".into(), data: vec![1] });
        assert_eq!(overlay.take_events().len(), 1);
        assert!(overlay.events().is_empty());
        assert!(overlay.into_changes().events.is_empty());
    }
}
