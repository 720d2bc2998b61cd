//! Committing a block: its state writes, header, transactions, receipts, events and their
//! indexes, its undo record and the new latest height, as one atomic [`WriteBatch`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::events::{TypeHashes, event_key, index_keys};
use super::meta::LATEST_KEY;
use super::write_set::{self, Write};
use super::{Ledger, NewBlock, StateView, history, prune, state_root};
use crate::error::LedgerError;
use crate::record::{BlockHeader, EventRecord, encode};
use crate::store::{ReadStore, Store, WriteBatch};
use crate::table::{Table, height_key};
use crate::types::Hash;

/// A block's batch under construction, with the undo record that reverses it: for every key
/// written, the value it had before (`None`: absent), already in its stored encoding
/// ([`write_set`]), so no key is copied for it.
#[derive(Default)]
struct BlockBatch {
    batch: WriteBatch,
    undo: Vec<u8>,
}

impl BlockBatch {
    /// Writes `value` at a key whose current value is `previous`.
    fn write(&mut self, table: Table, key: Vec<u8>, value: Option<Vec<u8>>, previous: Option<Vec<u8>>) {
        self.remember(table, &key, previous.as_deref());
        self.batch.ops.push((table, key, value));
    }

    /// Adds `previous`, the value of `key` before this block, to the undo record.
    fn remember(&mut self, table: Table, key: &[u8], previous: Option<&[u8]>) {
        write_set::encode_write(&mut self.undo, table, key, previous);
    }

    /// Ends the block at `height`: the new latest height, then the undo record of everything
    /// written (the latest height's move included).
    fn finish(&mut self, height: u64, previous_latest: Option<Vec<u8>>) {
        self.write(Table::Meta, LATEST_KEY.to_vec(), Some(height.to_be_bytes().to_vec()), previous_latest);
        let undo = std::mem::take(&mut self.undo);
        self.batch.put(Table::Undo, height_key(height).to_vec(), undo);
    }

    /// Writes a key that cannot exist yet: one keyed by the new block's height (every such key
    /// of a reverted block is deleted by its undo record).
    fn insert_new(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.write(table, key, Some(value), None);
    }
}

/// The value before the block of each key of `keys` (in table-then-key order, no repeats), in
/// that order: one batched read per table ([`ReadStore::get_sorted`]).
fn previous_values<'a>(
    store: &dyn Store,
    keys: impl Iterator<Item = (Table, &'a [u8])>,
) -> Result<Vec<Previous>, LedgerError> {
    let mut values = Vec::new();
    let mut run: Vec<&[u8]> = Vec::new();
    let mut run_table = None;
    for (table, key) in keys {
        if run_table != Some(table) {
            if let Some(previous_table) = run_table {
                values.extend(store.get_sorted(previous_table, &run)?);
            }
            run.clear();
            run_table = Some(table);
        }
        run.push(key);
    }
    if let Some(table) = run_table {
        values.extend(store.get_sorted(table, &run)?);
    }
    Ok(values)
}

/// A value before the block (`None`: absent).
type Previous = Option<Vec<u8>>;

/// The values before the block of each transaction's record and receipt, in the block's order
/// (both are keyed by hash, and a dev node that set a nonce back can see a hash again): the
/// hashes sorted once, one batched read per table.
fn previous_by_hash(store: &dyn Store, hashes: &[Hash]) -> Result<Vec<(Previous, Previous)>, LedgerError> {
    let mut sorted: Vec<&[u8]> = hashes.iter().map(|hash| hash.0.as_slice()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let txs = store.get_sorted(Table::Txs, &sorted)?;
    let receipts = store.get_sorted(Table::Receipts, &sorted)?;
    Ok(hashes
        .iter()
        .map(|hash| {
            let at = sorted.binary_search(&hash.0.as_slice()).expect("every hash was looked up");
            (txs[at].clone(), receipts[at].clone())
        })
        .collect())
}

impl Ledger {
    /// Commits `block` at height `latest + 1` (0 for the first) and returns its header.
    ///
    /// Everything the block changes, with its undo record, goes to the store in one atomic
    /// batch: after a crash the store holds either all of the block or none of it. State
    /// writes that leave a value as it was are dropped, so they neither move the state root
    /// nor cost an undo entry.
    ///
    /// # Errors
    /// [`LedgerError::NotStateTable`] if `block.changes` writes a table that is not state;
    /// otherwise only store errors.
    pub fn commit_block(&self, block: NewBlock) -> Result<BlockHeader, LedgerError> {
        self.commit_block_sealed(block, None)
    }

    /// [`Ledger::commit_block`], storing `seal` beside the block in the same batch: the
    /// evidence that the block was decided (a network's commit certificate), opaque to the
    /// ledger and read back with [`Ledger::seal`]. A revert deletes it with its block.
    ///
    /// # Errors
    /// As [`Ledger::commit_block`].
    pub fn commit_block_sealed(&self, block: NewBlock, seal: Option<&[u8]>) -> Result<BlockHeader, LedgerError> {
        let _writer = self.writer.lock();
        let store = &*self.store;
        let parent = self.head();
        let height = next_height(parent.as_deref())?;
        let (mut batch, header) = block_batch(store, parent.as_deref(), height, block, seal)?;
        if let Some(target) = self.history_blocks.and_then(|retained| height.checked_sub(retained)) {
            prune::through(store, target, &mut batch)?;
        }
        store.write(batch)?;
        self.publish_header(&header);
        Ok(header)
    }

    /// The header [`Ledger::commit_block`] would give `block` if it were committed now, without
    /// writing anything: what a validator compares a proposed block's header with.
    ///
    /// # Errors
    /// [`LedgerError::NotStateTable`] if `block.changes` writes a table that is not state;
    /// otherwise only store errors.
    pub fn preview_header(&self, block: &NewBlock) -> Result<BlockHeader, LedgerError> {
        let view = self.view();
        let parent = view.as_ref().map(|view| &**view.header());
        let store: &dyn ReadStore = match &view {
            Some(view) => &**view.store(),
            None => &*self.store,
        };
        let mut state = BTreeMap::new();
        for (table, key, value) in &block.changes.writes {
            if !table.is_state() {
                return Err(LedgerError::NotStateTable { table: table.name() });
            }
            state.insert((*table, key.as_slice()), value.as_deref());
        }
        let mut effective = Vec::with_capacity(state.len());
        for ((table, key), value) in state {
            if store.get(table, key)?.as_deref() != value {
                effective.push((table, key.to_vec(), value.map(<[u8]>::to_vec)));
            }
        }
        let (parent_hash, parent_root) =
            parent.map_or((Hash::ZERO, Hash::ZERO), |parent| (parent.hash(), parent.state_root));
        Ok(BlockHeader {
            height: next_height(parent)?,
            time: block.time,
            parent_hash,
            state_root: state_root::next(&parent_root, &effective),
            tx_hashes: block.txs.iter().map(|tx| tx.hash).collect(),
        })
    }

    /// The seal committed with the block at `height` ([`Ledger::commit_block_sealed`]), if any.
    ///
    /// # Errors
    /// Only store errors.
    pub fn seal(&self, height: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        self.store.get(Table::Meta, &seal_key(height))
    }

    /// Commits one block per entry of `times`, each without changes or transactions, after the
    /// latest, in one atomic write: what committing them one by one would store (headers, undo
    /// records, the latest height), for the price of one write and one snapshot. A dev node
    /// mines thousands of empty blocks at a time this way. Returns the last header (`None` for
    /// no times).
    ///
    /// # Errors
    /// Only store errors.
    pub fn commit_empty_blocks(&self, times: &[u64]) -> Result<Option<BlockHeader>, LedgerError> {
        let _writer = self.writer.lock();
        let mut parent = self.head().map(|head| (*head).clone());
        let mut batch = WriteBatch::default();
        for &time in times {
            let height = match &parent {
                None => 0,
                Some(parent) => {
                    parent.height.checked_add(1).ok_or_else(|| LedgerError::Backend("block height overflows".into()))?
                }
            };
            let previous_latest = parent.as_ref().map(|parent| parent.height.to_be_bytes().to_vec());
            let (parent_hash, parent_root) =
                parent.map_or((Hash::ZERO, Hash::ZERO), |parent| (parent.hash(), parent.state_root));
            let header = BlockHeader {
                height,
                time,
                parent_hash,
                state_root: state_root::next(&parent_root, &[]),
                tx_hashes: Vec::new(),
            };
            let mut out = BlockBatch::default();
            out.insert_new(Table::Blocks, height_key(height).to_vec(), encode(&header));
            out.finish(height, previous_latest);
            batch.ops.extend(out.batch.ops);
            parent = Some(header);
        }
        let Some(last) = parent.filter(|_| !times.is_empty()) else { return Ok(None) };
        // Pruning reads what to delete from the store, so it reaches at most the blocks before
        // this batch; later commits prune the rest.
        let first_new = last.height + 1 - times.len() as u64;
        let target = self.history_blocks.and_then(|retained| last.height.checked_sub(retained));
        if let Some(target) = target.map(|target| target.min(first_new.saturating_sub(1))).filter(|_| first_new > 0) {
            prune::through(&*self.store, target, &mut batch)?;
        }
        self.store.write(batch)?;
        self.publish_header(&last);
        Ok(Some(last))
    }

    /// Makes `header` the latest: readers move to it together with a snapshot of exactly it
    /// (after the store holds it durably).
    fn publish_header(&self, header: &BlockHeader) {
        let view = StateView::new(Arc::new(header.clone()), self.store.clone().snapshot());
        *self.latest.write() = Some(view.clone());
        self.announce(&super::Publication { view: &view, replaced_from: None });
    }
}

/// The height of the block after `parent` (0 for the first).
fn next_height(parent: Option<&BlockHeader>) -> Result<u64, LedgerError> {
    match parent {
        None => Ok(0),
        Some(parent) => {
            parent.height.checked_add(1).ok_or_else(|| LedgerError::Backend("block height overflows".into()))
        }
    }
}

/// The [`Table::Meta`] key of the seal of the block at `height`: `seal` ‖ height (8, BE).
fn seal_key(height: u64) -> Vec<u8> {
    let mut key = b"seal".to_vec();
    key.extend_from_slice(&height_key(height));
    key
}

/// The batch that commits `block` at `height` on top of `parent` (`None`: a first block), with
/// its `seal` if any, and its header, reading the values it replaces from `store`. Pruning is
/// the caller's.
pub(super) fn block_batch(
    store: &dyn Store,
    parent: Option<&BlockHeader>,
    height: u64,
    block: NewBlock,
    seal: Option<&[u8]>,
) -> Result<(WriteBatch, BlockHeader), LedgerError> {
    let previous_latest = parent.map(|parent| parent.height.to_be_bytes().to_vec());
    let (parent_hash, parent_root) =
        parent.map_or((Hash::ZERO, Hash::ZERO), |parent| (parent.hash(), parent.state_root));

    // One final value per key, in table-then-key order, whatever order the changes came in.
    let mut state = BTreeMap::new();
    for (table, key, value) in block.changes.writes {
        if !table.is_state() {
            return Err(LedgerError::NotStateTable { table: table.name() });
        }
        state.insert((table, key), value);
    }
    // Each changed state key: its value before this block in the undo record and, for reads at
    // earlier heights, in the history (a revert finds the history entries from the block's state
    // writes, so they are not in the undo record).
    let mut out = BlockBatch::default();
    let mut effective: Vec<Write> = Vec::with_capacity(state.len());
    let previous = previous_values(store, state.keys().map(|(table, key)| (*table, key.as_slice())))?;
    for (((table, key), value), previous) in state.into_iter().zip(previous) {
        if previous != value {
            out.remember(table, &key, previous.as_deref());
            out.batch.put(
                Table::History,
                history::entry_key(table, &key, height),
                history::encode_before(previous.as_deref()),
            );
            effective.push((table, key, value));
        }
    }
    let header = BlockHeader {
        height,
        time: block.time,
        parent_hash,
        state_root: state_root::next(&parent_root, &effective),
        tx_hashes: block.txs.iter().map(|tx| tx.hash).collect(),
    };
    out.batch.ops.extend(effective);
    out.insert_new(Table::Blocks, height_key(height).to_vec(), encode(&header));
    if let Some(seal) = seal {
        out.insert_new(Table::Meta, seal_key(height), seal.to_vec());
    }

    let mut types = TypeHashes::default();
    // The header lists the block's hashes in order: the same list the previous values follow.
    let previous = previous_by_hash(store, &header.tx_hashes)?;
    for (tx_index, (tx, (previous_tx, previous_receipt))) in block.txs.into_iter().zip(previous).enumerate() {
        let tx_index =
            u32::try_from(tx_index).map_err(|_| LedgerError::Backend("over 2^32 transactions in a block".into()))?;
        out.write(Table::Txs, tx.hash.0.to_vec(), Some(tx.tx), previous_tx);
        out.write(Table::Receipts, tx.hash.0.to_vec(), Some(tx.receipt), previous_receipt);
        for (event_index, event) in tx.events.into_iter().enumerate() {
            let event_index = u32::try_from(event_index)
                .map_err(|_| LedgerError::Backend("over 2^32 events in a transaction".into()))?;
            let key = event_key(height, tx_index, event_index);
            for index_key in index_keys(&event, &key, &mut types) {
                out.insert_new(Table::EventIndex, index_key, Vec::new());
            }
            let record = EventRecord { height, tx_index, event_index, tx_hash: tx.hash, event };
            out.insert_new(Table::Events, key.to_vec(), encode(&record));
        }
    }

    out.finish(height, previous_latest);
    Ok((out.batch, header))
}
