//! Transactions into blocks: one at a time, in batches (signatures checked in parallel, in a
//! pipeline with execution), impersonated (dev), or simulated; automine commits a block per
//! submission, interval mining collects a pending block.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{BlockHeader, BlockTx, Hash, NewBlock, Overlay};

use super::{ChainState, Node, block_time};
use crate::apply::{BlockContext, apply_transaction};
use crate::config::Mining;
use crate::error::{HostError, NodeError};
use crate::receipt::Receipt;
use crate::signature::RecoverableSignature;
use crate::tx::{CheckedTransaction, SignedTransaction, Transaction};

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
pub(super) struct PendingBlock {
    overlay: Overlay,
    context: BlockContext,
    txs: Vec<BlockTx>,
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
    /// [`Rejection::DevModeOnly`](crate::error::Rejection::DevModeOnly), or a rejection.
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

    pub(super) fn mine_locked(&self, chain: &mut ChainState) -> Result<BlockHeader, NodeError> {
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

    pub(super) fn next_block_context(&self, chain: &ChainState) -> Result<BlockContext, NodeError> {
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        // Block time never goes backwards, even if the wall clock does or a restart forgot a warp.
        let time = block_time(self.clock_base().saturating_add(chain.time_offset).max(latest.time))?;
        Ok(BlockContext { chain_id: self.inner.config.chain_id, height: latest.height + 1, time })
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
}
