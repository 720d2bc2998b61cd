//! Reverting the ledger to an earlier height with the blocks' undo records, newest block first,
//! in one atomic batch.

use std::collections::BTreeMap;

use super::write_set;
use super::{Ledger, history};
use crate::error::LedgerError;
use crate::store::WriteBatch;
use crate::table::{Table, height_key};

impl Ledger {
    /// Reverts state and history to just after block `height` (byte-identical to when that
    /// block was committed, state root included). Reverting to the latest height does nothing.
    ///
    /// Undo records are kept for every block, so any committed height can be reverted to. The
    /// whole revert is one atomic batch: a crash leaves the ledger at the old or the new height.
    ///
    /// # Errors
    /// [`LedgerError::UnknownHeight`] if `height` is above the latest height (or nothing was
    /// committed yet); [`LedgerError::RevertTooFar`] if an undo record on the way is missing.
    pub fn revert_to(&self, height: u64) -> Result<(), LedgerError> {
        let _writer = self.writer.lock();
        let store = &*self.store;
        let latest = self.latest_height()?.ok_or(LedgerError::UnknownHeight(height))?;
        if height > latest {
            return Err(LedgerError::UnknownHeight(height));
        }
        // Newest block first, so that for a key written by several reverted blocks the value
        // recorded by the oldest of them (the one before them all) is the one that stays.
        let mut restore = BTreeMap::new();
        let mut batch = WriteBatch::default();
        for reverted in (height + 1..=latest).rev() {
            let key = height_key(reverted);
            let undo =
                store.get(Table::Undo, &key)?.ok_or(LedgerError::RevertTooFar { target: height, oldest: reverted })?;
            for (table, key, previous) in write_set::decode(Table::Undo, &undo)? {
                if table.is_state() {
                    batch.delete(Table::History, history::entry_key(table, &key, reverted));
                }
                restore.insert((table, key), previous);
            }
            batch.delete(Table::Undo, key.to_vec());
        }
        if batch.ops.is_empty() {
            return Ok(());
        }
        batch.ops.extend(restore.into_iter().map(|((table, key), previous)| (table, key, previous)));
        // The batch is atomic: if it fails, nothing moved, the head included.
        store.write(batch)?;
        self.publish(Some(height + 1))
    }
}
