//! Pruning: forgetting what only reads at old heights (and reverts to them) need, so that a
//! long-running node's disk stops growing with its history.
//!
//! With a history limit of `n` blocks (`Ledger::set_history_blocks`), committing block `h`
//! prunes every height up to `h - n`: for each, its state history entries ([`Table::History`]),
//! its undo record, and its transactions, receipts and events with their indexes. Block headers
//! stay (they are small, and they chain the blocks). State remains readable at heights `h - n`
//! to `h`; below, a read is [`LedgerError::Pruned`], and a revert below is
//! [`LedgerError::RevertTooFar`].
//!
//! The work rides in the block's own batch, so it is atomic with the block. It is bounded: at
//! most [`HEIGHTS_PER_BLOCK`] heights per commit, so turning a limit on for a long chain catches
//! up over the following blocks instead of stalling one of them.

use super::events::{TypeHashes, index_keys};
use super::history;
use super::meta::{PRUNED_KEY, pruned_through};
use super::write_set;
use crate::error::LedgerError;
use crate::record::{BlockHeader, EventRecord, decode};
use crate::store::{Direction, KeyRange, Store, WriteBatch, prefix_successor};
use crate::table::{Table, height_key};

/// The most heights one commit prunes.
pub(super) const HEIGHTS_PER_BLOCK: u64 = 16;

/// Adds to `batch` the pruning of every height up to `target` not pruned yet (at most
/// [`HEIGHTS_PER_BLOCK`] of them), reading what to delete from `store`. State stays readable at
/// `target` itself: reading at a height needs only the history of the blocks above it.
pub(super) fn through(store: &dyn Store, target: u64, batch: &mut WriteBatch) -> Result<(), LedgerError> {
    let first = match pruned_through(store)? {
        Some(done) if done >= target => return Ok(()),
        Some(done) => done + 1,
        None => 0,
    };
    let last = target.min(first.saturating_add(HEIGHTS_PER_BLOCK - 1));
    for height in first..=last {
        height_of(store, height, batch)?;
    }
    batch.put(Table::Meta, PRUNED_KEY.to_vec(), last.to_be_bytes().to_vec());
    Ok(())
}

/// Adds to `batch` the deletes that prune block `height`.
fn height_of(store: &dyn Store, height: u64, batch: &mut WriteBatch) -> Result<(), LedgerError> {
    let key = height_key(height);
    if let Some(undo) = store.get(Table::Undo, &key)? {
        for (table, state_key, _) in write_set::decode(Table::Undo, &undo)? {
            if table.is_state() {
                batch.delete(Table::History, history::entry_key(table, &state_key, height));
            }
        }
        batch.delete(Table::Undo, key.to_vec());
    }
    if let Some(header) = store.get(Table::Blocks, &key)? {
        let header: BlockHeader = decode(Table::Blocks, &header)?;
        for hash in &header.tx_hashes {
            batch.delete(Table::Txs, hash.0.to_vec());
            batch.delete(Table::Receipts, hash.0.to_vec());
        }
    }
    let end = prefix_successor(&key).map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
    let events = KeyRange { start: std::ops::Bound::Included(key.to_vec()), end };
    let mut types = TypeHashes::default();
    for entry in store.iter(Table::Events, &events, Direction::Forward)? {
        let (event_key, bytes) = entry?;
        let record: EventRecord = decode(Table::Events, &bytes)?;
        let event_key_array = event_key.as_slice().try_into().map_err(|_| LedgerError::Decode {
            table: Table::Events.name(),
            reason: format!("event key {event_key:02x?} is not 16 bytes"),
        })?;
        for index_key in index_keys(&record.event, event_key_array, &mut types) {
            batch.delete(Table::EventIndex, index_key);
        }
        batch.delete(Table::Events, event_key);
    }
    Ok(())
}
