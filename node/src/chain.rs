//! The node: transactions in, blocks out.
//!
//! One writer at a time (a mutex around the chain state) applies transactions to a block
//! overlay and commits blocks; reads go straight to the ledger and never wait for it. Signature
//! checks happen before the lock (in parallel for batches), so the serial part is execution and
//! the commit. Start with [`Node::open`], [`Node::submit`] and [`Node::query`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{
    Account, Address, BlockHeader, BlockTx, ContractInstance, EventFilter, EventRecord, Hash, Ledger, NewBlock, Overlay,
};
use tidepool_vm::{Outcome, Vm};

use crate::admission::Admission;
use crate::apply::{BlockContext, apply_transaction};
use crate::config::{Clock, MAX_BLOCK_TIME, Mining, NodeConfig, StoreConfig};
use crate::error::{HostError, NodeError, Rejection};
use crate::receipt::Receipt;
use crate::signature::RecoverableSignature;
use crate::tx::{CheckedTransaction, SignedTransaction, Transaction};
use crate::view::View;

/// Gas a read-only query may use.
pub const QUERY_GAS_LIMIT: u64 = 100_000_000;

/// A transaction as the ledger stores it: the transaction, and its signature unless it was
/// submitted by impersonation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredTx {
    /// The transaction.
    pub tx: Transaction,
    /// The 65-byte signature; `None` for an impersonated (dev) transaction.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Signature>, required = true))]
    pub signature: Option<RecoverableSignature>,
}

/// Transactions per step of [`Node::submit_batch`]'s pipeline: small enough that execution
/// starts soon (checking 64 signatures takes ~3 ms on two cores), large enough that splitting
/// the work over the pool costs nothing.
pub const PIPELINE_CHUNK: usize = 64;

/// A checked transaction with its stored form already encoded: the encoding needs no state,
/// so it is done beside the signature check, in parallel and off the writer's lock.
struct Prepared {
    tx: CheckedTransaction,
    stored: Vec<u8>,
}

/// [`StoredTx`] by reference: the same JSON without cloning the transaction.
#[derive(Serialize)]
struct StoredTxRef<'a> {
    tx: &'a Transaction,
    signature: Option<&'a RecoverableSignature>,
}

impl Prepared {
    fn new(tx: CheckedTransaction) -> Prepared {
        let stored = StoredTxRef { tx: tx.tx(), signature: tx.signature() };
        let stored = serde_json::to_vec(&stored).expect("transactions serialise");
        Prepared { tx, stored }
    }
}

/// A block being filled in interval mode.
struct PendingBlock {
    overlay: Overlay,
    context: BlockContext,
    txs: Vec<BlockTx>,
}

/// A dev snapshot: the height to return to and the clock offset at the time.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    height: u64,
    time_offset: u64,
}

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

/// What [`Node::submit`] returns: the receipt in automine mode, the hash in interval mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// `deny_unknown_fields` makes `Pending` exactly `{tx_hash}`, so a receipt (which has a `tx_hash`
// too) never also reads as one, and the schema's `oneOf` matches exactly one branch.
#[serde(untagged, deny_unknown_fields)]
pub enum Submitted {
    /// Mined at once.
    Mined(Box<Receipt>),
    /// Waiting in the pending block.
    Pending {
        /// The transaction hash.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
        tx_hash: Hash,
    },
}

impl Node {
    /// Opens the node's ledger (creating genesis if it is empty) and its VM.
    ///
    /// # Errors
    /// The data directory is locked, corrupt, or the genesis could not be built.
    pub fn open(config: NodeConfig) -> Result<Node, NodeError> {
        let mut vm_config = config.vm.clone();
        let ledger = match &config.store {
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

    // --- transactions ----------------------------------------------------------------------

    /// Verifies and executes a signed transaction: its form
    /// ([`SignedTransaction::check_form`]), its signature, then the state.
    ///
    /// # Errors
    /// A malformed transaction, a bad signature or any rejection of [`crate::apply`]: nothing
    /// changed.
    pub fn submit(&self, signed: &SignedTransaction) -> Result<Submitted, NodeError> {
        signed.check_form()?;
        let tx = Prepared::new(signed.check()?);
        self.submit_checked(std::iter::once(vec![Ok(tx)])).pop().expect("one result per transaction")
    }

    /// Verifies signatures in parallel, then executes the transactions in order, in one block
    /// (automine) or into the pending block (interval mode). One result per transaction; a
    /// rejected transaction does not stop the others.
    ///
    /// The two overlap: the pool checks the signatures of the next [`PIPELINE_CHUNK`]
    /// transactions while this thread executes the ones already checked, so the serial part
    /// (execution and the commit) hides behind the parallel part instead of adding to it.
    pub fn submit_batch(&self, signed: &[SignedTransaction]) -> Vec<Result<Submitted, NodeError>> {
        let check = |s: &SignedTransaction| {
            s.check_form()?;
            s.check().map(Prepared::new)
        };
        // The pipeline blocks this thread on the pool's results: inside the pool (or with a
        // single worker) that could wait for itself, so there everything is checked first.
        let pool_is_free = rayon::current_thread_index().is_none() && rayon::current_num_threads() >= 2;
        if signed.len() <= PIPELINE_CHUNK || !pool_is_free {
            let checked = signed.par_iter().map(check).collect();
            return self.submit_checked(std::iter::once(checked));
        }
        rayon::in_place_scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::channel();
            scope.spawn(move |_| {
                for chunk in signed.chunks(PIPELINE_CHUNK) {
                    if sender.send(chunk.par_iter().map(check).collect()).is_err() {
                        return;
                    }
                }
            });
            self.submit_checked(receiver.into_iter())
        })
    }

    /// Executes `tx` as if `tx.from` had signed it (dev mode only).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`], or a rejection.
    pub fn impersonate(&self, tx: Transaction) -> Result<Submitted, NodeError> {
        self.require_dev()?;
        tx.check_form()?;
        let tx = Prepared::new(CheckedTransaction::impersonated(tx)?);
        self.submit_checked(std::iter::once(vec![Ok(tx)])).pop().expect("one result")
    }

    /// Executes checked transactions as they arrive, chunk by chunk; a signature failure is
    /// passed through as that transaction's result.
    fn submit_checked(
        &self,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
    ) -> Vec<Result<Submitted, NodeError>> {
        let mut chain = self.inner.chain.lock();
        match self.inner.config.mining {
            Mining::Auto => self.mine_now(&mut chain, chunks),
            Mining::Interval(_) => {
                chunks.flatten().map(|checked| checked.and_then(|tx| self.add_to_pending(&mut chain, tx))).collect()
            }
        }
    }

    /// Automine: executes the transactions into one new block and commits it (if any was
    /// accepted). If the block cannot be made, every transaction that passed its signature check
    /// fails with [`HostError::CommitFailed`].
    fn mine_now(
        &self,
        chain: &mut ChainState,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
    ) -> Vec<Result<Submitted, NodeError>> {
        let context = self.next_block_context(chain);
        let mut overlay = self.inner.ledger.overlay();
        let mut block_txs = Vec::new();
        let mut receipts = Vec::new();
        // Per transaction: executed (its receipt is next in `receipts`) or its error, and
        // whether it passed the signature check.
        let mut slots: Vec<(Result<(), NodeError>, bool)> = Vec::new();
        for checked in chunks.flatten() {
            let (tx, context) = match (checked, &context) {
                (Err(e), _) => {
                    slots.push((Err(e), false));
                    continue;
                }
                (Ok(_), Err(_)) => {
                    slots.push((Ok(()), true));
                    continue;
                }
                (Ok(tx), Ok(context)) => (tx, context),
            };
            match self.execute_into(&mut overlay, context, tx, block_txs.len() as u32) {
                Ok((receipt, block_tx)) => {
                    receipts.push(receipt);
                    block_txs.push(block_tx);
                    slots.push((Ok(()), true));
                }
                Err(e) => slots.push((Err(e), true)),
            }
        }
        let mut failure = context.as_ref().err().map(ToString::to_string);
        if let (Ok(context), false) = (&context, block_txs.is_empty()) {
            // Receipts are encoded once execution is over, on every core.
            block_txs.par_iter_mut().zip(&receipts).for_each(|(block_tx, receipt)| {
                block_tx.receipt = serde_json::to_vec(receipt).expect("receipts serialise");
            });
            let block = NewBlock { time: context.time, changes: overlay.into_changes(), txs: block_txs };
            if let Err(e) = self.inner.ledger.commit_block(block) {
                tracing::error!(error = %e, "block commit failed; its transactions were not committed");
                failure = Some(e.to_string());
            }
        }
        let mut receipts = receipts.into_iter();
        slots
            .into_iter()
            .map(|(slot, checked)| match (slot, &failure) {
                (_, Some(message)) if checked => Err(HostError::CommitFailed(message.clone()).into()),
                (Err(e), _) => Err(e),
                (Ok(()), _) => Ok(Submitted::Mined(Box::new(receipts.next().expect("one receipt per executed tx")))),
            })
            .collect()
    }

    /// Interval mode: executes `tx` into the pending block.
    fn add_to_pending(&self, chain: &mut ChainState, tx: Prepared) -> Result<Submitted, NodeError> {
        if chain.pending.is_none() {
            let context = self.next_block_context(chain)?;
            chain.pending = Some(PendingBlock { overlay: self.inner.ledger.overlay(), context, txs: Vec::new() });
        }
        let pending = chain.pending.as_mut().expect("just created");
        let index = pending.txs.len() as u32;
        let tx_hash = tx.tx.hash();
        let (receipt, mut block_tx) = self.execute_into(&mut pending.overlay, &pending.context.clone(), tx, index)?;
        block_tx.receipt = serde_json::to_vec(&receipt).expect("receipts serialise");
        pending.txs.push(block_tx);
        Ok(Submitted::Pending { tx_hash })
    }

    /// Runs one transaction in `overlay` and packs it for the block (the receipt's bytes are
    /// left for the caller to encode).
    fn execute_into(
        &self,
        overlay: &mut Overlay,
        context: &BlockContext,
        tx: Prepared,
        index: u32,
    ) -> Result<(Receipt, BlockTx), NodeError> {
        let Prepared { tx, stored } = tx;
        let receipt = apply_transaction(&self.inner.vm, overlay, context, tx.tx(), tx.hash(), index)?;
        let events = overlay.take_events();
        Ok((receipt, BlockTx { hash: tx.hash(), tx: stored, receipt: Vec::new(), events }))
    }

    /// Mines the pending block (interval mode), or an empty block when nothing is pending.
    /// Returns the new header.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn mine_block(&self) -> Result<BlockHeader, NodeError> {
        let mut chain = self.inner.chain.lock();
        self.mine_locked(&mut chain)
    }

    fn mine_locked(&self, chain: &mut ChainState) -> Result<BlockHeader, NodeError> {
        let block = match chain.pending.take() {
            Some(p) => NewBlock { time: p.context.time, changes: p.overlay.into_changes(), txs: p.txs },
            None => NewBlock { time: self.next_block_context(chain)?.time, ..NewBlock::default() },
        };
        Ok(self.inner.ledger.commit_block(block)?)
    }

    /// Commits the pending block if there is one (interval mode; graceful shutdown calls this).
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn flush(&self) -> Result<Option<BlockHeader>, NodeError> {
        let mut chain = self.inner.chain.lock();
        if chain.pending.is_some() { self.mine_locked(&mut chain).map(Some) } else { Ok(None) }
    }

    fn next_block_context(&self, chain: &ChainState) -> Result<BlockContext, NodeError> {
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        // Block time never goes backwards, even if the wall clock does or a restart forgot a warp.
        let time = block_time(self.clock_base().saturating_add(chain.time_offset).max(latest.time))?;
        Ok(BlockContext { chain_id: self.inner.config.chain_id, height: latest.height + 1, time })
    }

    /// The clock before dev warps: the wall clock, or the manual clock's genesis time.
    pub(crate) fn clock_base(&self) -> u64 {
        match self.inner.config.clock {
            Clock::System => unix_now(),
            Clock::Manual { genesis_time } => genesis_time,
        }
    }

    /// Executes `tx` against the current state (pending block included) without committing
    /// anything; the signature is not needed.
    ///
    /// # Errors
    /// The same rejections as a submission.
    pub fn simulate(&self, tx: &Transaction) -> Result<Receipt, NodeError> {
        tx.check_form()?;
        let chain = self.inner.chain.lock();
        let context = self.next_block_context(&chain)?;
        let mut overlay = self.view()?.state().overlay();
        drop(chain);
        let hash = tx.hash()?;
        let _slot = self.inner.admission.enter();
        apply_transaction(&self.inner.vm, &mut overlay, &context, tx, hash, 0)
    }

    // --- reads -----------------------------------------------------------------------------

    /// The latest committed state, for reads that must agree with each other: every read
    /// through one [`View`] sees one height, whatever is committed meanwhile.
    ///
    /// # Errors
    /// [`HostError::NoGenesis`] before genesis.
    pub fn view(&self) -> Result<View, NodeError> {
        let state = self.inner.ledger.view().ok_or(HostError::NoGenesis)?;
        Ok(View::new(self.clone(), state))
    }

    /// Runs a contract's `query` entry point on the latest committed state.
    ///
    /// # Errors
    /// [`Rejection::UnknownContract`]; a VM failure. A contract error is a `Reverted` outcome.
    pub fn query(&self, contract: &Address, msg: &[u8]) -> Result<Outcome, NodeError> {
        self.view()?.query(contract, msg)
    }

    /// An account's nonce and native balance (zero for an address never seen).
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn account(&self, address: &Address) -> Result<Account, NodeError> {
        self.view()?.account(address)
    }

    /// A contract instance.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractInstance>, NodeError> {
        self.view()?.contract(address)
    }

    /// The latest block header.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn latest_block(&self) -> Result<BlockHeader, NodeError> {
        self.inner.ledger.latest()?.ok_or(NodeError::Host(HostError::NoGenesis))
    }

    /// A committed transaction and its receipt.
    ///
    /// # Errors
    /// Only if the ledger fails or holds undecodable bytes.
    pub fn transaction(&self, hash: &Hash) -> Result<Option<(StoredTx, Receipt)>, NodeError> {
        self.view()?.transaction(hash)
    }

    /// Events matching `filter`, oldest first.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, NodeError> {
        self.view()?.events(filter)
    }

    /// The VM's admission: bounds concurrent calls (queries run in parallel with the writer).
    pub(crate) fn admission(&self) -> &Admission {
        &self.inner.admission
    }

    // --- dev controls ----------------------------------------------------------------------

    fn require_dev(&self) -> Result<(), NodeError> {
        if self.inner.config.dev { Ok(()) } else { Err(Rejection::DevModeOnly.into()) }
    }

    /// Commits a block that only applies `change` to the state (dev controls use this, so their
    /// effects are ordinary blocks: durable, in the state root, undone by revert).
    fn dev_block(&self, change: impl FnOnce(&mut Overlay) -> Result<(), NodeError>) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        let context = self.next_block_context(&chain)?;
        let mut overlay = self.inner.ledger.overlay();
        change(&mut overlay)?;
        Ok(self.inner.ledger.commit_block(NewBlock {
            time: context.time,
            changes: overlay.into_changes(),
            txs: vec![],
        })?)
    }

    /// Sets an address's native balance (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn set_balance(&self, address: &Address, balance: u128) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            let mut account = overlay.account(address)?;
            account.balance = balance;
            overlay.set_account(address, &account);
            Ok(())
        })
    }

    /// Sets the native balances of many addresses in one block (dev mode): [`Node::set_balance`]
    /// for each, committed once, so a fixture or a load test can create many accounts at once.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn set_balances(&self, balances: &[(Address, u128)]) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            for (address, balance) in balances {
                let mut account = overlay.account(address)?;
                account.balance = *balance;
                overlay.set_account(address, &account);
            }
            Ok(())
        })
    }

    /// Adds native tokens to an address (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BalanceOverflow`]; a ledger failure.
    pub fn faucet(&self, address: &Address, amount: u128) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            let mut account = overlay.account(address)?;
            account.balance = account.balance.checked_add(amount).ok_or(Rejection::BalanceOverflow)?;
            overlay.set_account(address, &account);
            Ok(())
        })
    }

    /// Writes a raw storage value of a contract (dev mode); `None` removes the key.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownContract`]; a ledger failure.
    pub fn set_storage(&self, contract: &Address, key: &[u8], value: Option<&[u8]>) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            if overlay.instance(contract)?.is_none() {
                return Err(Rejection::UnknownContract(*contract).into());
            }
            match value {
                Some(v) => overlay.storage_set(contract, key, v),
                None => overlay.storage_remove(contract, key),
            }
            Ok(())
        })
    }

    /// Moves the clock forward by `seconds` and mines a block at the new time (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`] if the new time would be
    /// past [`MAX_BLOCK_TIME`] (nothing changes); a ledger failure.
    pub fn warp(&self, seconds: u64) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        // Refused before anything is mined: a warp past the last representable block time
        // changes nothing.
        let offset = chain.time_offset.saturating_add(seconds);
        block_time(self.clock_base().saturating_add(offset))?;
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        chain.time_offset = offset;
        self.mine_locked(&mut chain)
    }

    /// Mines `count` blocks (dev mode; at least one); the first includes any pending
    /// transactions, the others are empty and share one block time.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`] once the clock is past
    /// [`MAX_BLOCK_TIME`]; a ledger failure.
    pub fn mine(&self, count: u32) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        let mut count = count.max(1);
        if chain.pending.is_some() {
            let header = self.mine_locked(&mut chain)?;
            count -= 1;
            if count == 0 {
                return Ok(header);
            }
        }
        // The rest are empty blocks at the current block time: one write for all of them, not
        // one per block (10,000 single commits take seconds).
        let time = self.next_block_context(&chain)?.time;
        let times = vec![time; count as usize];
        Ok(self.inner.ledger.commit_empty_blocks(&times)?.expect("at least one block"))
    }

    /// Records the current state; [`Node::revert`] returns to it (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn snapshot(&self) -> Result<u64, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        let height = self.latest_block()?.height;
        let id = chain.next_snapshot_id;
        chain.next_snapshot_id += 1;
        let time_offset = chain.time_offset;
        chain.snapshots.push((id, Snapshot { height, time_offset }));
        Ok(id)
    }

    /// Returns state, history and clock to snapshot `id`; that snapshot and later ones are used
    /// up (as in anvil). Returns the header now latest.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownSnapshot`]; a ledger failure.
    pub fn revert(&self, id: u64) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        let position = chain.snapshots.iter().position(|(i, _)| *i == id).ok_or(Rejection::UnknownSnapshot(id))?;
        let snapshot = chain.snapshots[position].1;
        chain.snapshots.truncate(position);
        chain.pending = None;
        self.inner.ledger.revert_to(snapshot.height)?;
        chain.time_offset = snapshot.time_offset;
        self.latest_block()
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
