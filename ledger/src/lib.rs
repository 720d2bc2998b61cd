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
//!
//! The RocksDB backend is behind the `rocksdb` cargo feature; without it, only the memory
//! backend is built (so a contract author's tests never compile RocksDB's C++).
//!
//! # Examples
//!
//! ```
//! use tidepool_ledger::{Address, Ledger, NewBlock};
//!
//! let ledger = Ledger::memory();
//! let mut overlay = ledger.overlay();
//! let contract = Address([7; 20]);
//! overlay.storage_set(&contract, b"count", &[1]);
//! let header = ledger.commit_block(NewBlock { time: 1, changes: overlay.into_changes(), txs: vec![] })?;
//! assert_eq!(header.height, 0);
//! assert_eq!(ledger.overlay().storage_get(&contract, b"count")?, Some(vec![1]));
//! # Ok::<(), tidepool_ledger::LedgerError>(())
//! ```

pub mod bytes;
pub mod error;
pub mod ledger;
pub mod overlay;
pub mod record;
pub mod store;
pub mod table;
pub mod types;

pub use error::LedgerError;
pub use ledger::{
    BlockTx, Ledger, MAX_EVENTS_PER_QUERY, NewBlock, Publication, SCHEMA_VERSION, StateView, genesis_root,
};
pub use overlay::{Change, Changes, Checkpoint, Layered, Overlay};
pub use record::{
    Account, BlockHeader, CodeMeta, CodeRecord, ContractInstance, Event, EventFilter, EventPosition, EventRecord,
};
pub use store::{Direction, KeyRange, MemoryStore, ReadStore, Store, WriteBatch};
#[cfg(feature = "rocksdb")]
pub use store::{RocksConfig, RocksStore};
pub use table::Table;
pub use types::{Address, Hash, keccak256};
