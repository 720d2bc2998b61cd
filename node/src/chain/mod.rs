//! The node: transactions in, blocks out.
//!
//! One writer at a time (a mutex around the chain state) applies transactions to a block
//! overlay and commits blocks; reads go through a [`View`](crate::View) of one committed height
//! and never wait for it. Signature checks happen before the lock (in parallel for batches), so
//! the serial part is execution and the commit; automine's batches commit outside the lock,
//! while the next block executes (`pipeline`). Start with [`Node::open`], [`Node::submit`] and
//! [`Node::query`].
//!
//! Layout: this file (the node, its state, opening it); `clock` (block times); `submit`
//! (transactions into blocks, the pending block); `pipeline` (automine's commit outside the
//! writer's lock); `group` (group commit: submissions that wait for the writer share its next
//! block); `mining` (the mining mode); `read` (reads at
//! the latest or a past height); `replay` (re-executing a committed transaction); `dev` (dev
//! controls of state, mining on demand, snapshots); `time` (warps, the next block's time);
//! `reload` (reset, state files).

mod clock;
mod dev;
mod group;
mod mining;
mod network;
mod pipeline;
mod read;
mod reload;
mod replay;
mod submit;
mod time;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use tidepool_ledger::{Address, Hash, Ledger};
use tidepool_vm::Vm;

use crate::admission::Admission;
use crate::config::{MAX_BLOCK_TIME, Mining, NodeConfig, StoreConfig};
use crate::error::{NodeError, Rejection};

pub use mining::{MiningStatus, MiningWatch};
pub use network::{
    BlockCertificate, CertificateSignature, EquivocationSeen, InvalidBlock, MAX_BLOCK_TX_BYTES, MAX_BLOCK_TXS,
    NetworkBlock, NetworkStatus, StatusSource,
};
pub use read::{NewHead, QUERY_GAS_LIMIT, QUICK_QUERY_GAS};
pub use replay::Replay;
pub(crate) use submit::Prepared;
pub use submit::{PIPELINE_CHUNK, RECOVERY_BATCH, Relay, StoredTx, Submitted};
pub use time::NextBlock;

use clock::BlockClock;
use dev::{Snapshot, UsedUpBy};
use mining::Watchers;
use submit::PendingBlock;

/// The writer's state.
struct ChainState {
    /// Where the next block's time comes from.
    clock: BlockClock,
    /// How blocks are made now (starts as the configuration's).
    mining: Mining,
    /// The block being filled (manual and interval mining).
    pending: Option<PendingBlock>,
    snapshots: Vec<(u64, Snapshot)>,
    next_snapshot_id: u64,
    /// The snapshots a reset or a load used up, and which of the two did (a revert to one of
    /// them says so).
    used_up: std::collections::BTreeMap<u64, UsedUpBy>,
    /// The block being committed outside this lock (automine; `pipeline`).
    in_flight: Option<Arc<pipeline::InFlight>>,
}

/// What readers see of the pending block (manual and interval mining).
#[derive(Default)]
struct PendingIndex {
    /// Its transactions' hashes, in order.
    hashes: Vec<Hash>,
    /// Each sender's next nonce after its transactions in it.
    next_nonces: HashMap<Address, u64>,
}

impl PendingIndex {
    fn add(&mut self, tx_hash: Hash, sender: Address, nonce: u64) {
        self.hashes.push(tx_hash);
        self.next_nonces.insert(sender, nonce + 1);
    }

    fn clear(&mut self) {
        self.hashes.clear();
        self.next_nonces.clear();
    }
}

struct Inner {
    ledger: Ledger,
    vm: Vm,
    /// Bounds concurrent VM calls (queries run in parallel with the writer).
    admission: Admission,
    config: NodeConfig,
    chain: Mutex<ChainState>,
    /// Submissions waiting for the writer, to run together in its next block (group commit,
    /// `group`).
    queue: Mutex<group::Queue>,
    /// The pending block as readers see it, without waiting for the writer's lock.
    pending_index: RwLock<PendingIndex>,
    /// Called after each change of the mining mode (an interval miner waits on it).
    mining_watchers: Mutex<Watchers>,
    next_watcher: AtomicU64,
    /// Transactions waiting for a block (network mode).
    mempool: crate::mempool::Mempool,
    /// Blocks executed for the next height (network mode).
    prepared: Mutex<network::PreparedBlocks>,
    /// Where the validator's consensus status comes from (network mode).
    network_status: RwLock<Option<network::StatusSource>>,
    /// The lowest height from which this process replaced blocks ([`Node::replaced_from`]);
    /// `u64::MAX` while the chain has only grown.
    replaced_from: AtomicU64,
}

/// A Tidepool node. Cheap to clone; all clones share one chain.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl Node {
    /// Opens the node's ledger (creating genesis if it is empty) and its VM.
    ///
    /// # Errors
    /// The data directory is locked, corrupt, or the genesis could not be built.
    pub fn open(config: NodeConfig) -> Result<Node, NodeError> {
        let mut vm_config = config.vm.clone();
        let mut ledger = match &config.store {
            StoreConfig::Memory => Ledger::memory(),
            #[cfg(feature = "rocksdb")]
            StoreConfig::RocksDb(path) => {
                if vm_config.cache_dir.is_none() {
                    vm_config.cache_dir = Some(config.module_cache_dir.clone().unwrap_or_else(|| path.join("modules")));
                }
                Ledger::open(path)?
            }
            StoreConfig::Given(store) => Ledger::with_store(store.0.clone())?,
        };
        if let Some(dir) = &config.module_cache_dir {
            vm_config.cache_dir = Some(dir.clone());
        }
        if config.dev && config.mining == Mining::Network {
            return Err(Rejection::InvalidConfig("a network validator cannot be a dev node".into()).into());
        }
        if config.history_blocks == Some(0) {
            return Err(Rejection::InvalidConfig("history_blocks must be at least 1".into()).into());
        }
        ledger.set_history_blocks(config.history_blocks);
        let vm = Vm::new(vm_config)?;
        // Each call may hold one instance slot per frame; the writer (outside admission) keeps
        // room for one call of its own.
        let limits = vm.limits();
        let calls = limits.instance_pool_size as usize / limits.max_call_depth.max(1) as usize;
        let admission = Admission::new(calls.saturating_sub(1));
        let chain = ChainState {
            clock: BlockClock::default(),
            mining: config.mining,
            pending: None,
            snapshots: Vec::new(),
            next_snapshot_id: 0,
            used_up: std::collections::BTreeMap::new(),
            in_flight: None,
        };
        let inner = Inner {
            ledger,
            vm,
            admission,
            chain: Mutex::new(chain),
            queue: Mutex::default(),
            pending_index: RwLock::default(),
            mining_watchers: Mutex::default(),
            next_watcher: AtomicU64::new(0),
            mempool: crate::mempool::Mempool::new(config.mempool),
            prepared: Mutex::default(),
            network_status: RwLock::default(),
            replaced_from: AtomicU64::new(u64::MAX),
            config,
        };
        let node = Node { inner: Arc::new(inner) };
        if node.inner.ledger.latest()?.is_none() {
            block_time(node.clock_base())?;
            crate::genesis::build(&node)?;
        } else if let Some(file) = &node.inner.config.genesis_state {
            node.check_loaded_from(file)?;
        }
        let genesis = node.genesis_block()?;
        node.lock_chain().clock = node.clock_at_genesis(&genesis);
        Ok(node)
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The ledger (read access to committed state and history).
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// The VM.
    pub fn vm(&self) -> &Vm {
        &self.inner.vm
    }
}

/// `time` if a block may carry it (at most [`MAX_BLOCK_TIME`]).
fn block_time(time: u64) -> Result<u64, Rejection> {
    if time > MAX_BLOCK_TIME {
        Err(Rejection::BlockTimeOutOfRange { requested: time, max: MAX_BLOCK_TIME })
    } else {
        Ok(time)
    }
}

/// The largest height a block may have: 2^53 − 1, the largest integer JSON carries exactly and
/// the largest height a state file holds, so that every chain can be dumped and loaded again.
pub(crate) const MAX_HEIGHT: u64 = crate::state_file::MAX_SAFE_INTEGER;

/// The height of the block `count` blocks above `latest`, if a block may have it (at most
/// [`MAX_HEIGHT`]).
fn height_above(latest: u64, count: u64) -> Result<u64, Rejection> {
    match latest.checked_add(count) {
        Some(height) if height <= MAX_HEIGHT => Ok(height),
        requested => {
            Err(Rejection::HeightOutOfRange { requested: requested.unwrap_or(u64::MAX), latest, max: MAX_HEIGHT })
        }
    }
}

/// The wall clock, Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
