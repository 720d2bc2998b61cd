//! The ledger: blocks in, state and history out.
//!
//! A block's changes (one [`Overlay`]'s [`Changes`]) and its transactions, receipts and events are
//! written in one atomic [`WriteBatch`](crate::WriteBatch), together with an undo record, so a
//! crash leaves exactly the last committed block and [`Ledger::revert_to`] can go back to any
//! height.
//!
//! State root: `root(h) = keccak256(root(h-1) ‖ keccak256(sorted state write set of h))`, with
//! `root(-1) = 0` — a hash chain, deterministic for the same history on any machine. The write
//! set and its byte encoding are defined in the `state_root` and `write_set` modules (the
//! source's doc comments): per write, `table id (1) ‖ key length (8, BE) ‖ key ‖ 0x00` for a
//! delete, `… ‖ 0x01 ‖ value length (8, BE) ‖ value` for a put, sorted by table id then key, only
//! writes that changed a state table's stored value, one per key.
//!
//! Readers never read the live store: after every commit and revert the ledger publishes a
//! [`StateView`] — the new head with a snapshot of the store taken right after the write — and
//! every read goes through one, so an answer built from many reads comes from one height.
//!
//! Layout: this file (opening, the published view); `view` (reads at one height); `commit`
//! (the block batch); `revert`; `replace` (a new first block in place of everything); `events`
//! (indexes and queries); `meta` (schema version, latest height).

mod commit;
mod events;
mod history;
mod memo;
mod meta;
mod prune;
mod replace;
mod revert;
mod state_root;
mod view;
mod write_set;

use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::error::LedgerError;
use crate::overlay::{Changes, Overlay};
use crate::record::{BlockHeader, Event, EventFilter, EventRecord};
use crate::store::{MemoryStore, Store};
use crate::types::Hash;

pub use events::MAX_EVENTS_PER_QUERY;
pub use meta::SCHEMA_VERSION;
pub use state_root::genesis_root;
pub use view::StateView;

/// A transaction as committed in a block: the ledger stores `tx` and `receipt` as opaque bytes
/// (their format is the node's) and indexes `events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockTx {
    /// The transaction hash.
    pub hash: Hash,
    /// The encoded transaction.
    pub tx: Vec<u8>,
    /// The encoded receipt.
    pub receipt: Vec<u8>,
    /// The events it emitted.
    pub events: Vec<Event>,
}

/// A block to commit: its time, its state changes and its transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewBlock {
    /// Block time, Unix seconds.
    pub time: u64,
    /// The state changes (events in `changes.events` are ignored; give them per transaction).
    pub changes: Changes,
    /// The transactions, in order.
    pub txs: Vec<BlockTx>,
}

/// Durable state and history over a [`Store`].
///
/// Cheap to clone (clones share the store). Reads may run on any thread at any time, each
/// through a [`StateView`] of one committed height; commits and reverts are serialised among
/// the clones.
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn Store>,
    /// Held by [`Ledger::commit_block`] and [`Ledger::revert_to`]: each reads the latest height
    /// and writes a new one, so two at once would race.
    writer: Arc<Mutex<()>>,
    /// The latest committed state (`None` before genesis): its header, decoded (every query and
    /// block needs its height and time, and decoding a header lists every transaction of its
    /// block, 32 KiB for 1,000), and a snapshot of the store taken right after it was written.
    /// Replaced after each commit and revert, under `writer`.
    latest: Arc<RwLock<Option<StateView>>>,
    /// Heights of state history kept below the latest (`None`: all of it); see
    /// [`Ledger::set_history_blocks`].
    history_blocks: Option<u64>,
    /// Called with every view published; see [`Ledger::on_publish`].
    hooks: Arc<Mutex<Vec<PublishHook>>>,
}

/// A function told of every view the ledger publishes; see [`Ledger::on_publish`].
type PublishHook = Box<dyn Fn(&Publication<'_>) -> bool + Send + Sync>;

/// What the ledger tells its hooks ([`Ledger::on_publish`]) each time it publishes a view.
#[derive(Clone, Copy)]
pub struct Publication<'a> {
    /// The new latest view.
    pub view: &'a StateView,
    /// `Some(height)` when blocks from `height` on were taken away or replaced to get here: a
    /// revert to `height - 1` ([`Ledger::revert_to`]), or 0 for a new chain in place of the old
    /// one ([`Ledger::replace_chain`]). A block read earlier at that height or above may be gone,
    /// or another block now. `None` when the chain only grew.
    pub replaced_from: Option<u64>,
}

impl Ledger {
    /// A ledger over the memory store.
    pub fn memory() -> Ledger {
        Ledger::with_store(Arc::new(MemoryStore::default())).expect("a new memory store is empty and never fails")
    }

    /// Opens (or creates) a RocksDB ledger in `path`.
    ///
    /// # Errors
    /// [`LedgerError::Locked`] if another process has it open, [`LedgerError::Corrupt`] if it is
    /// not a Tidepool ledger or is damaged.
    #[cfg(feature = "rocksdb")]
    pub fn open(path: &std::path::Path) -> Result<Ledger, LedgerError> {
        Ledger::open_with(path, &crate::store::RocksConfig::default())
    }

    /// Opens (or creates) a RocksDB ledger in `path`, tuned by `config`.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    #[cfg(feature = "rocksdb")]
    pub fn open_with(path: &Path, config: &crate::store::RocksConfig) -> Result<Ledger, LedgerError> {
        let store = crate::store::RocksStore::open_with(path, config)?;
        Ledger::checked(Arc::new(store), path)
    }

    /// A ledger over any store: an empty store becomes an empty ledger. Commit through this
    /// ledger and its clones only: it keeps the latest state's view in memory.
    ///
    /// # Errors
    /// [`LedgerError::Corrupt`] if the store holds data that is not a ledger of this
    /// [`SCHEMA_VERSION`].
    pub fn with_store(store: Arc<dyn Store>) -> Result<Ledger, LedgerError> {
        Ledger::checked(store, Path::new("(store given to Ledger::with_store)"))
    }

    fn checked(store: Arc<dyn Store>, location: &Path) -> Result<Ledger, LedgerError> {
        meta::check_or_init(&*store, location)?;
        let ledger = Ledger {
            store,
            writer: Arc::new(Mutex::new(())),
            latest: Arc::default(),
            history_blocks: None,
            hooks: Arc::default(),
        };
        ledger.publish(None)?;
        Ok(ledger)
    }

    /// Publishes the store's current state as the latest view, blocks from `replaced_from` on
    /// having been replaced to get there (see [`Publication`]). Called with `writer` held (or
    /// before the ledger is shared), right after the store changed.
    fn publish(&self, replaced_from: Option<u64>) -> Result<(), LedgerError> {
        let view = StateView::latest_of(self.store.clone().snapshot())?;
        *self.latest.write() = view.clone();
        if let Some(view) = &view {
            self.announce(&Publication { view, replaced_from });
        }
        Ok(())
    }

    /// Calls `hook` with every view the ledger publishes from now on: after each commit (one
    /// call for the blocks of one [`Ledger::commit_empty_blocks`]), each revert and each
    /// replaced chain, with the new latest view and whether blocks were replaced
    /// ([`Publication`]). It runs on the committing thread with the writer's lock held, so it must be
    /// short — wake a task, not do its work. A hook that returns `false` is dropped.
    ///
    /// This is how a feed of new blocks learns of them without polling, at a constant cost per
    /// block to the writer whoever listens.
    pub fn on_publish(&self, hook: impl Fn(&Publication<'_>) -> bool + Send + Sync + 'static) {
        self.hooks.lock().push(Box::new(hook));
    }

    /// Tells the hooks of `publication`; drops those that are done.
    fn announce(&self, publication: &Publication<'_>) {
        self.hooks.lock().retain(|hook| hook(publication));
    }

    /// Keeps state history (reads at past heights, reverts) for the latest block and the
    /// `blocks` before it, and prunes the rest as blocks are committed — with it the undo
    /// records, transactions, receipts and events of those heights (headers stay). `None`, the
    /// default, keeps everything. At least 1: the latest block's own history stays.
    ///
    /// # Panics
    /// If `blocks` is `Some(0)`.
    pub fn set_history_blocks(&mut self, blocks: Option<u64>) {
        assert_ne!(blocks, Some(0), "keep at least one block of history");
        self.history_blocks = blocks;
    }

    /// The lowest height state can be read at (0 until pruning starts).
    ///
    /// # Errors
    /// Only store errors.
    pub fn oldest_readable(&self) -> Result<u64, LedgerError> {
        Ok(meta::pruned_through(&*self.store)?.unwrap_or(0))
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A fresh overlay over the live store: what a block is executed against. Reads that must
    /// be consistent use [`Ledger::view`] instead.
    pub fn overlay(&self) -> Overlay {
        Overlay::new(self.store.clone())
    }

    /// The latest committed state, read at one height whatever commits meanwhile (`None`
    /// before genesis). Cheap: it shares the view published by the last commit.
    pub fn view(&self) -> Option<StateView> {
        self.latest.read().clone()
    }

    /// The committed state at the end of block `height`, read at one height whatever commits
    /// meanwhile.
    ///
    /// # Errors
    /// [`LedgerError::UnknownHeight`] above the latest height (or before genesis);
    /// [`LedgerError::Pruned`] below the retained history.
    pub fn view_at(&self, height: u64) -> Result<StateView, LedgerError> {
        self.view().ok_or(LedgerError::UnknownHeight(height))?.at(height)
    }

    /// The latest block header, or `None` before genesis.
    pub fn latest(&self) -> Result<Option<BlockHeader>, LedgerError> {
        Ok(self.head().map(|head| (*head).clone()))
    }

    /// The latest block header, shared (no copy of its transaction list), or `None` before
    /// genesis. Kept in memory: no store read.
    pub fn head(&self) -> Option<Arc<BlockHeader>> {
        self.latest.read().as_ref().map(|view| view.header().clone())
    }

    /// The latest committed height, or `None` before genesis.
    pub fn latest_height(&self) -> Result<Option<u64>, LedgerError> {
        Ok(self.head().map(|head| head.height))
    }

    /// The block header at `height` (`None` above the latest height).
    pub fn block(&self, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
        self.view().map_or(Ok(None), |view| view.block(height))
    }

    /// A committed transaction's bytes.
    pub fn tx(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        self.view().map_or(Ok(None), |view| view.tx(hash))
    }

    /// A committed transaction's receipt bytes.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        self.view().map_or(Ok(None), |view| view.receipt(hash))
    }

    /// Events matching `filter`, oldest first (see [`StateView::events`]).
    ///
    /// # Errors
    /// Only store errors.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, LedgerError> {
        self.view().map_or(Ok(Vec::new()), |view| view.events(filter))
    }
}
