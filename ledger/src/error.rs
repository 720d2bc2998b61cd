//! The ledger's one error type.

use std::path::PathBuf;

/// Everything that can go wrong below the VM: I/O, a locked or corrupt data directory, a value
/// that does not decode. Contract failures are never a `LedgerError`.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The data directory is held by another process.
    #[error("data directory {path} is locked by another process (is a node already running?)")]
    Locked {
        /// The data directory.
        path: PathBuf,
    },
    /// The data directory exists but is not a Tidepool ledger, or is damaged.
    #[error("data directory {path} is corrupt or not a Tidepool ledger: {reason}")]
    Corrupt {
        /// The data directory.
        path: PathBuf,
        /// What was found wrong.
        reason: String,
    },
    /// A stored value did not decode as its table's record type.
    #[error("stored value in table {table} does not decode: {reason}")]
    Decode {
        /// The table.
        table: &'static str,
        /// Why.
        reason: String,
    },
    /// A block or height that does not exist.
    #[error("no block at height {0}")]
    UnknownHeight(u64),
    /// Reverting to a height the undo history no longer covers.
    #[error("cannot revert to height {target}: history is kept back to height {oldest}")]
    RevertTooFar {
        /// The requested height.
        target: u64,
        /// The oldest height that can still be reverted to.
        oldest: u64,
    },
    /// A read at a height whose state history was pruned.
    #[error("state at height {height} is no longer kept: history is kept from height {oldest}")]
    Pruned {
        /// The requested height.
        height: u64,
        /// The lowest height state can still be read at.
        oldest: u64,
    },
    /// A block's changes write a table that is not state ([`crate::Table::is_state`]): the
    /// history and metadata tables are the ledger's own.
    #[error("a block's changes may only write state tables, not {table}")]
    NotStateTable {
        /// The table.
        table: &'static str,
    },
    /// The storage engine failed (I/O and the like).
    #[error("storage engine: {0}")]
    Backend(String),
}
