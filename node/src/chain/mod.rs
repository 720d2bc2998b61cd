//! The node: transactions in, blocks out.
//!
//! One writer at a time (a mutex around the chain state) applies transactions to a block
//! overlay and commits blocks; reads go through a [`View`](crate::View) of one committed height
//! and never wait for it. Signature checks happen before the lock (in parallel for batches), so
//! the serial part is execution and the commit. Start with [`Node::open`], [`Node::submit`] and
//! [`Node::query`].
//!
//! Layout: this file (the node, its state, opening it, block times); `submit` (transactions into
//! blocks); `read` (reads at the latest or a past height); `replay` (re-executing a committed
//! transaction); `dev` (dev controls).

mod dev;
mod read;
mod replay;
mod submit;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tidepool_ledger::Ledger;
use tidepool_vm::Vm;

use crate::admission::Admission;
use crate::config::{Clock, MAX_BLOCK_TIME, NodeConfig, StoreConfig};
use crate::error::{NodeError, Rejection};

pub use read::QUERY_GAS_LIMIT;
pub use replay::Replay;
pub use submit::{PIPELINE_CHUNK, StoredTx, Submitted};

use dev::Snapshot;
use submit::PendingBlock;

/// The writer's state.
#[derive(Default)]
struct ChainState {
    /// Seconds added to the wall clock by dev time warps.
    time_offset: u64,
    pending: Option<PendingBlock>,
    snapshots: Vec<(u64, Snapshot)>,
    next_snapshot_id: u64,
}

struct Inner {
    ledger: Ledger,
    vm: Vm,
    /// Bounds concurrent VM calls (queries run in parallel with the writer).
    admission: Admission,
    config: NodeConfig,
    chain: Mutex<ChainState>,
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
        };
        if let Some(dir) = &config.module_cache_dir {
            vm_config.cache_dir = Some(dir.clone());
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
        let inner = Inner { ledger, vm, admission, config, chain: Mutex::new(ChainState::default()) };
        let node = Node { inner: Arc::new(inner) };
        if node.inner.ledger.latest()?.is_none() {
            block_time(node.clock_base())?;
            crate::genesis::build(&node)?;
        } else {
            node.warm_module_cache()?;
        }
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

    /// The clock before dev warps: the wall clock, or the manual clock's genesis time.
    pub(crate) fn clock_base(&self) -> u64 {
        match self.inner.config.clock {
            Clock::System => unix_now(),
            Clock::Manual { genesis_time } => genesis_time,
        }
    }

    /// Compiles every stored module into the VM's cache (from the disk cache when present), so
    /// the first calls after a restart do not compile.
    fn warm_module_cache(&self) -> Result<(), NodeError> {
        Ok(())
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

/// The wall clock, Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
