//! Tidepool's durable state and history.
//!
//! Start with [`Ledger`]: it opens a [`Store`] (RocksDB on disk, or memory), hands out an
//! [`Overlay`] for a block's execution, commits a block's changes in one atomic batch with a
//! deterministic state root, and reverts to an earlier height. The VM sees state only through an
//! [`Overlay`]; it never commits.
//!
//! Layout: [`store`] (the trait and its backends), [`table`] (tables and key encodings),
//! [`record`] (the typed values), [`overlay`] (per-block/per-transaction write buffering with
//! nested checkpoints), [`ledger`] (block commit, state root, history, revert).
//! This crate knows nothing of WASM or of transactions' format.

pub mod error;
pub mod ledger;
pub mod overlay;
pub mod record;
pub mod store;
pub mod table;
pub mod types;

pub use error::LedgerError;
pub use ledger::{BlockTx, Ledger, NewBlock};
pub use overlay::{Changes, Checkpoint, Overlay};
pub use record::{Account, BlockHeader, CodeMeta, CodeRecord, ContractInstance, Event, EventFilter, EventRecord};
#[cfg(feature = "rocksdb")]
pub use store::RocksStore;
pub use store::{Direction, KeyRange, MemoryStore, Store, WriteBatch};
pub use table::Table;
pub use types::{Address, Hash, keccak256};
