//! Starting the chain over in place: every table emptied and a first block committed at a chosen
//! height, in one atomic batch. A dev node loading a state file does this: the loaded state
//! becomes a new genesis, with no history before it.

use super::commit::block_batch;
use super::meta::SCHEMA_KEY;
use super::{Ledger, NewBlock};
use crate::error::LedgerError;
use crate::record::BlockHeader;
use crate::store::{Direction, KeyRange, MemoryStore, WriteBatch};
use crate::table::Table;

impl Ledger {
    /// Replaces everything the ledger holds — state, blocks, transactions, events, undo records,
    /// history — with one block at `height` that writes `block`'s state: a genesis, whose parent
    /// hash is zero and whose state root is the [`genesis_root`](crate::genesis_root) of that
    /// state, as if it had been committed to an empty ledger. It is the first block: heights
    /// below it have no block, and a revert can go back to it but not below.
    ///
    /// The whole replacement is one atomic batch: after a crash the ledger holds the old chain or
    /// the new one.
    ///
    /// # Errors
    /// [`LedgerError::NotStateTable`] if `block.changes` writes a table that is not state;
    /// otherwise only store errors.
    pub fn replace_chain(&self, height: u64, block: NewBlock) -> Result<BlockHeader, LedgerError> {
        let _writer = self.writer.lock();
        let store = &*self.store;
        let mut batch = WriteBatch::default();
        for table in Table::ALL {
            for entry in store.iter(table, &KeyRange::all(), Direction::Forward)? {
                let (key, _) = entry?;
                // The schema version stays: the store is still a ledger of this version.
                if !(table == Table::Meta && key == SCHEMA_KEY) {
                    batch.delete(table, key);
                }
            }
        }
        // The block as an empty store would take it: every value it writes is new, so the root
        // and the undo record are a genesis's.
        let (block, header) = block_batch(&MemoryStore::default(), None, height, block, None)?;
        batch.ops.extend(block.ops);
        store.write(batch)?;
        // Every block is another now, those below `height` gone.
        self.publish(Some(0))?;
        Ok(header)
    }
}
