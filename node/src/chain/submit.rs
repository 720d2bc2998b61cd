//! Transactions into blocks: one at a time, in batches (signatures checked in parallel, in a
//! pipeline with execution), impersonated (dev), or simulated; automine commits a block per
//! submission (those that wait for the writer share one: `super::group`), manual and interval
//! mining collect a pending block.
//!
//! The pending block runs its transactions as they arrive (so a submission is refused at once if
//! its nonce or funds are wrong) and keeps them: when another block has to go first (a dev
//! control's) or its time changes (`set_next_block_time`), it is *reopened* — its transactions
//! run again, in order, on top of the new state, at the new time.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{BlockHeader, BlockTx, Hash, NewBlock, Overlay};

use super::{ChainState, Node};
use crate::apply::{BlockContext, apply_transaction};
use crate::config::Mining;
use crate::error::{HostError, NodeError, Rejection};
use crate::receipt::Receipt;
use crate::record::{MinedReceipt, ReceiptRecord};
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

/// The most signatures one thread recovers together (a batch's check, a validator's check of
/// a proposed block): enough that the one inversion a run pays is small beside a recovery, few
/// enough that a chunk of [`PIPELINE_CHUNK`] still spreads over every core.
pub const RECOVERY_BATCH: usize = 32;

/// How many of `count` transactions each run of a parallel signature check takes: as many as
/// spread them over every thread of the pool, at most [`RECOVERY_BATCH`].
pub(super) fn recovery_run(count: usize) -> usize {
    count.div_ceil(rayon::current_num_threads()).clamp(1, RECOVERY_BATCH)
}

/// A checked transaction with its stored form already encoded: the encoding needs no state,
/// so it is done beside the signature check, in parallel and off the writer's lock.
#[derive(Clone)]
pub(crate) struct Prepared {
    tx: CheckedTransaction,
    stored: Vec<u8>,
}

impl Prepared {
    /// A checked transaction, its canonical JSON made again for the stored form. (The signature
    /// check made it once already: [`Prepared::check`] keeps that one.)
    pub(crate) fn new(tx: CheckedTransaction) -> Prepared {
        let canonical =
            tx.tx().canonical_bytes().expect("a checked transaction has canonical bytes: its hash is theirs");
        Prepared::around(tx, &canonical)
    }

    /// Checks `signed` ([`SignedTransaction::check`]) and writes its stored form around the
    /// canonical JSON the check made, so the transaction is serialized once, not twice (the
    /// second time was ~1.5 % of the machine in a token-transfer profile).
    pub(crate) fn check(signed: &SignedTransaction) -> Result<Prepared, NodeError> {
        let (tx, canonical) = signed.check_canonical()?;
        Ok(Prepared::around(tx, &canonical))
    }

    /// [`Prepared::check`] of each transaction of `passed` that passed the checks before the
    /// signature (a failure is passed through), their signers recovered together
    /// ([`SignedTransaction::check_canonical_all`]); `error` says a check's failure in the
    /// caller's terms. Each gets the answer it would get alone.
    pub(crate) fn check_all<E>(
        passed: Vec<Result<&SignedTransaction, E>>,
        error: impl Fn(NodeError) -> E,
    ) -> Vec<Result<Prepared, E>> {
        let to_recover: Vec<&SignedTransaction> =
            passed.iter().filter_map(|signed| signed.as_ref().ok().copied()).collect();
        let mut checked = SignedTransaction::check_canonical_all(&to_recover).into_iter();
        passed
            .into_iter()
            .map(|signed| {
                signed?;
                let (tx, canonical) = checked.next().expect("one answer per transaction checked").map_err(&error)?;
                Ok(Prepared::around(tx, &canonical))
            })
            .collect()
    }

    /// The stored form: `{"signature":…,"tx":…}` with the transaction's canonical JSON — the
    /// canonical JSON of [`StoredTx`] itself (its members in sorted order, the signature a
    /// string or `null`), so there is one stored form per transaction, whichever path made it.
    fn around(tx: CheckedTransaction, canonical: &[u8]) -> Prepared {
        let mut stored = Vec::with_capacity(canonical.len() + 160);
        stored.extend_from_slice(b"{\"signature\":");
        match tx.signature() {
            // As its serde form writes it (`0x` and lowercase hex), without formatting machinery.
            Some(signature) => {
                stored.extend_from_slice(b"\"0x");
                let start = stored.len();
                stored.resize(start + 2 * RecoverableSignature::LEN, 0);
                hex::encode_to_slice(signature.to_bytes(), &mut stored[start..]).expect("room for twice the bytes");
                stored.push(b'"');
            }
            None => stored.extend_from_slice(b"null"),
        }
        stored.extend_from_slice(b",\"tx\":");
        stored.extend_from_slice(canonical);
        stored.push(b'}');
        Prepared { tx, stored }
    }

    pub(crate) fn hash(&self) -> Hash {
        self.tx.hash()
    }

    pub(crate) fn sender(&self) -> tidepool_ledger::Address {
        self.tx.sender()
    }

    pub(crate) fn nonce(&self) -> u64 {
        self.tx.tx().nonce
    }

    pub(crate) fn chain_id(&self) -> u64 {
        self.tx.tx().chain_id
    }

    /// The stored form: the canonical JSON of [`StoredTx`] (for a signed transaction, that of
    /// its [`SignedTransaction`]).
    pub(crate) fn stored_bytes(&self) -> &[u8] {
        &self.stored
    }

    pub(crate) fn stored_len(&self) -> usize {
        self.stored.len()
    }
}

/// Whether a network validator forwards a transaction it admits to the other validators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relay {
    /// Forward it (it came from a client).
    Forward,
    /// Keep it (it came from a validator, which forwarded it to every validator itself).
    Keep,
}

/// A block being filled (manual and interval mining).
pub(super) struct PendingBlock {
    overlay: Overlay,
    pub(super) context: BlockContext,
    txs: Vec<BlockTx>,
    /// The transactions as they were checked, in order, to run again if the block is reopened.
    pub(super) checked: Vec<CheckedTransaction>,
}

impl PendingBlock {
    /// An account as this block leaves it so far.
    pub(super) fn account(&self, address: &tidepool_ledger::Address) -> Result<tidepool_ledger::Account, NodeError> {
        Ok(self.overlay.account(address)?)
    }
}

/// A new block's transactions as [`Node::execute_block`] ran them.
pub(super) struct Executed {
    /// What goes into the block.
    pub(super) txs: Vec<BlockTx>,
    /// What each submission is answered once the block is committed (or is not).
    pub(super) answers: Answers,
}

/// Each submitted transaction's place in a new block.
pub(super) struct Answers {
    /// The receipts of the executed transactions, in order.
    receipts: Vec<ReceiptRecord>,
    /// Per transaction: executed (its receipt is next in `receipts`) or its error, and whether
    /// it passed the signature check.
    slots: Vec<(Result<(), NodeError>, bool)>,
}

impl Answers {
    /// The answers: each transaction's receipt or its own error; if the block was not committed
    /// (`failure`), [`HostError::CommitFailed`] for every one that passed its signature check.
    pub(super) fn given(self, failure: Option<&str>) -> Vec<Result<Done, NodeError>> {
        self.answered(failure, None)
    }

    /// The answers when no block could be made for a reason that is the client's (`refusal`:
    /// the chain is at its last height): that refusal for every transaction that passed its
    /// signature check.
    pub(super) fn refused(self, refusal: &Rejection) -> Vec<Result<Done, NodeError>> {
        self.answered(None, Some(refusal))
    }

    fn answered(self, failure: Option<&str>, refusal: Option<&Rejection>) -> Vec<Result<Done, NodeError>> {
        let mut receipts = self.receipts.into_iter();
        self.slots
            .into_iter()
            .map(|(slot, checked)| match (slot, failure, refusal) {
                (_, _, Some(refusal)) if checked => Err(refusal.clone().into()),
                (_, Some(message), _) if checked => Err(HostError::CommitFailed(message.to_owned()).into()),
                (Err(e), _, _) => Err(e),
                (Ok(()), _, _) => Ok(Done::Mined(Box::new(receipts.next().expect("one receipt per executed tx")))),
            })
            .collect()
    }
}

/// A submission's result while the writer's lock is held: the receipt still its record, made
/// into JSON once the lock is free.
pub(super) enum Done {
    Mined(Box<ReceiptRecord>),
    Pending(Hash),
}

impl From<Done> for Submitted {
    fn from(done: Done) -> Submitted {
        match done {
            Done::Mined(record) => Submitted::Mined(Box::new(MinedReceipt::from(*record))),
            Done::Pending(tx_hash) => Submitted::Pending { tx_hash },
        }
    }
}

/// The answers to a submission. Their receipts stay records until read ([`MinedReceipt`]).
fn into_answers(results: Vec<Result<Done, NodeError>>) -> Vec<Result<Submitted, NodeError>> {
    results.into_iter().map(|result| result.map(Submitted::from)).collect()
}

/// What [`Node::submit`] returns: the receipt in automine mode, the hash in manual and interval
/// mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// `deny_unknown_fields` makes `Pending` exactly `{tx_hash}`, so a receipt (which has a `tx_hash`
// too) never also reads as one, and the schema's `oneOf` matches exactly one branch.
#[serde(untagged, deny_unknown_fields)]
pub enum Submitted {
    /// Mined at once (automine).
    Mined(Box<MinedReceipt>),
    /// Waiting in the pending block (manual and interval mining).
    Pending {
        /// The transaction hash.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
        tx_hash: Hash,
    },
}

impl Submitted {
    /// This answer with its receipt's client form made now (see [`MinedReceipt::decoded`]).
    pub fn decoded(self) -> Submitted {
        match self {
            Submitted::Mined(receipt) => Submitted::Mined(Box::new(receipt.decoded())),
            pending => pending,
        }
    }

    /// Makes the client form of every receipt in `answers` now, on every core: for a caller
    /// about to write them out (the HTTP API), so that no receipt is decoded while serializing.
    pub fn decode_all(answers: Vec<Result<Submitted, NodeError>>) -> Vec<Result<Submitted, NodeError>> {
        let decode = |answer: Result<Submitted, NodeError>| answer.map(Submitted::decoded);
        if answers.len() > 1 {
            answers.into_par_iter().map(decode).collect()
        } else {
            answers.into_iter().map(decode).collect()
        }
    }
}

impl Node {
    /// Verifies and executes a signed transaction: its form
    /// ([`SignedTransaction::check_form`]), its signature, then the state.
    ///
    /// # Errors
    /// A malformed transaction, a bad signature or any rejection of [`crate::apply`]: nothing
    /// changed.
    pub fn submit(&self, signed: &SignedTransaction) -> Result<Submitted, NodeError> {
        let tx = self.check(signed)?;
        self.submit_checked(vec![Ok(tx)], Relay::Forward).pop().expect("one result per transaction")
    }

    /// Verifies signatures in parallel, then executes the transactions in order, in one block
    /// (automine) or into the pending block (manual and interval mining), or admits them into
    /// the mempool (a network; forwarded to the other validators). One result per transaction; a
    /// rejected transaction does not stop the others.
    ///
    /// The two overlap: the pool checks the signatures of the next [`PIPELINE_CHUNK`]
    /// transactions while this thread executes the ones already checked, so the serial part
    /// (execution and the commit) hides behind the parallel part instead of adding to it.
    pub fn submit_batch(&self, signed: &[SignedTransaction]) -> Vec<Result<Submitted, NodeError>> {
        self.submit_batch_relayed(signed, Relay::Forward)
    }

    /// [`Node::submit_batch`], saying whether a network validator forwards what it admits to
    /// the others ([`Relay::Forward`]) or not ([`Relay::Keep`]: the transactions came from a
    /// validator that forwarded them to everyone already).
    pub fn submit_batch_relayed(
        &self,
        signed: &[SignedTransaction],
        relay: Relay,
    ) -> Vec<Result<Submitted, NodeError>> {
        // The pipeline blocks this thread on the pool's results: inside the pool (or with a
        // single worker) that could wait for itself, so there everything is checked first.
        let pool_is_free = rayon::current_thread_index().is_none() && rayon::current_num_threads() >= 2;
        if signed.len() <= PIPELINE_CHUNK || !pool_is_free {
            let checked = self.check_all(signed);
            return self.submit_checked(checked, relay);
        }
        rayon::in_place_scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::channel();
            scope.spawn(move |_| {
                for chunk in signed.chunks(PIPELINE_CHUNK) {
                    if sender.send(self.check_all(chunk)).is_err() {
                        return;
                    }
                }
            });
            self.submit_streamed(receiver.into_iter(), relay)
        })
    }

    /// The checks before execution: the form, then (on a network, unless the mempool already
    /// holds it — validators forward each transaction to one another) the signature.
    fn check(&self, signed: &SignedTransaction) -> Result<Prepared, NodeError> {
        self.check_unsigned(signed)?;
        Prepared::check(signed)
    }

    /// [`Node::check`] of each of `signed`, in order, on every core: in runs of at most
    /// [`RECOVERY_BATCH`] transactions, each run's signers recovered together
    /// ([`SignedTransaction::check_canonical_all`]). Each gets the answer it would get alone.
    fn check_all(&self, signed: &[SignedTransaction]) -> Vec<Result<Prepared, NodeError>> {
        signed.par_chunks(recovery_run(signed.len())).flat_map_iter(|run| self.check_run(run)).collect()
    }

    /// [`Node::check`] of each of `run`, their signers recovered together.
    fn check_run(&self, run: &[SignedTransaction]) -> Vec<Result<Prepared, NodeError>> {
        let unsigned = run.iter().map(|signed| self.check_unsigned(signed).map(|()| signed)).collect();
        Prepared::check_all(unsigned, std::convert::identity)
    }

    /// [`Node::check`] but for the signature.
    fn check_unsigned(&self, signed: &SignedTransaction) -> Result<(), NodeError> {
        signed.check_form()?;
        if self.inner.config.mining == Mining::Network {
            let hash = signed.hash()?;
            if self.inner.mempool.contains(&hash) {
                return Err(crate::error::Rejection::AlreadyInMempool(hash).into());
            }
        }
        Ok(())
    }

    /// Executes `tx` as if `tx.from` had signed it (dev mode only).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`], or a rejection.
    pub fn impersonate(&self, tx: Transaction) -> Result<Submitted, NodeError> {
        self.require_dev()?;
        tx.check_form()?;
        let tx = Prepared::new(CheckedTransaction::impersonated(tx)?);
        self.submit_checked(vec![Ok(tx)], Relay::Forward).pop().expect("one result")
    }

    /// Executes checked transactions (one chunk: a submission, a small batch) in the next block
    /// together with whatever else was submitted meanwhile ([`Node::submit_together`]), or admits
    /// them into the mempool (a network); a signature failure is passed through as that
    /// transaction's result.
    fn submit_checked(
        &self,
        checked: Vec<Result<Prepared, NodeError>>,
        relay: Relay,
    ) -> Vec<Result<Submitted, NodeError>> {
        if self.inner.config.mining == Mining::Network {
            return self.admit(checked.into_iter(), relay);
        }
        into_answers(self.submit_together(checked))
    }

    /// Executes checked transactions as they arrive, chunk by chunk (a large batch's pipeline),
    /// or admits them into the mempool (a network).
    fn submit_streamed(
        &self,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
        relay: Relay,
    ) -> Vec<Result<Submitted, NodeError>> {
        if self.inner.config.mining == Mining::Network {
            return self.admit(chunks.flatten(), relay);
        }
        let mut chain = self.inner.chain.lock();
        if chain.mining == Mining::Auto {
            return into_answers(self.mine_pipelined(chain, chunks));
        }
        super::pipeline::land(&mut chain);
        let results = self.run_locked(&mut chain, chunks);
        drop(chain);
        into_answers(results)
    }

    /// Admits transactions into the mempool (a network node).
    fn admit(
        &self,
        checked: impl Iterator<Item = Result<Prepared, NodeError>>,
        relay: Relay,
    ) -> Vec<Result<Submitted, NodeError>> {
        checked
            .map(|checked| {
                checked.and_then(|tx| self.add_to_mempool(tx, relay)).map(|tx_hash| Submitted::Pending { tx_hash })
            })
            .collect()
    }

    /// Runs checked transactions under the writer's lock, as the mining mode says: into one new
    /// block (automine) or into the pending block.
    pub(super) fn run_locked(
        &self,
        chain: &mut ChainState,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
    ) -> Vec<Result<Done, NodeError>> {
        match chain.mining {
            Mining::Auto => self.mine_now(chain, chunks),
            Mining::Network => unreachable!("a network node's mode is fixed"),
            Mining::Manual | Mining::Interval(_) => {
                chunks.flatten().map(|checked| checked.and_then(|tx| self.add_to_pending(chain, tx))).collect()
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
    ) -> Vec<Result<Done, NodeError>> {
        let context = self.next_block_context(chain);
        let mut overlay = self.inner.ledger.overlay();
        let Executed { txs, answers } = self.execute_block(&mut overlay, &context, chunks);
        if let Err(NodeError::Rejected(refusal)) = &context {
            return answers.refused(refusal);
        }
        let mut failure = context.as_ref().err().map(ToString::to_string);
        if let (Ok(context), false) = (&context, txs.is_empty()) {
            let block = NewBlock { time: context.time, changes: overlay.into_changes(), txs };
            if let Err(e) = self.commit(chain, block) {
                tracing::error!(error = %e, "block commit failed; its transactions were not committed");
                failure = Some(e.to_string());
            }
        }
        answers.given(failure.as_deref())
    }

    /// Executes checked transactions, in order, into `overlay`: a new block's transactions at
    /// `context` (none runs if `context` could not be made).
    pub(super) fn execute_block(
        &self,
        overlay: &mut Overlay,
        context: &Result<BlockContext, NodeError>,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
    ) -> Executed {
        let mut txs = Vec::new();
        let mut answers = Answers { receipts: Vec::new(), slots: Vec::new() };
        for checked in chunks.flatten() {
            let (tx, context) = match (checked, context) {
                (Err(e), _) => {
                    answers.slots.push((Err(e), false));
                    continue;
                }
                (Ok(_), Err(_)) => {
                    answers.slots.push((Ok(()), true));
                    continue;
                }
                (Ok(tx), Ok(context)) => (tx, context),
            };
            match self.execute_into(overlay, context, tx, txs.len() as u32) {
                Ok((receipt, block_tx)) => {
                    answers.receipts.push(receipt);
                    txs.push(block_tx);
                    answers.slots.push((Ok(()), true));
                }
                Err(e) => answers.slots.push((Err(e), true)),
            }
        }
        Executed { txs, answers }
    }

    /// Manual and interval mining: executes `tx` into the pending block (opened at the next
    /// block's height and time if there is none); its hash.
    fn run_in_pending(&self, chain: &mut ChainState, tx: Prepared) -> Result<Hash, NodeError> {
        if chain.pending.is_none() {
            let context = self.next_block_context(chain)?;
            let overlay = self.inner.ledger.overlay();
            chain.pending = Some(PendingBlock { overlay, context, txs: Vec::new(), checked: Vec::new() });
        }
        let pending = chain.pending.as_mut().expect("just created");
        let index = pending.txs.len() as u32;
        let checked = tx.tx.clone();
        let (receipt, block_tx) = self.execute_into(&mut pending.overlay, &pending.context.clone(), tx, index)?;
        pending.txs.push(block_tx);
        pending.checked.push(checked);
        Ok(receipt.tx_hash)
    }

    /// Runs `tx` at the end of the pending block (see [`Node::run_in_pending`]) and shows it to
    /// readers.
    fn add_to_pending(&self, chain: &mut ChainState, tx: Prepared) -> Result<Done, NodeError> {
        let (sender, nonce) = (tx.sender(), tx.nonce());
        let tx_hash = self.run_in_pending(chain, tx)?;
        self.inner.pending_index.write().add(tx_hash, sender, nonce);
        Ok(Done::Pending(tx_hash))
    }

    /// Runs `transactions` (a pending block's, set aside) again, in order, into a new pending
    /// block at the next block's height and time. One that the new state refuses (a nonce or
    /// funds that another block changed) is dropped, and logged.
    pub(super) fn reopen_pending(&self, chain: &mut ChainState, transactions: Vec<CheckedTransaction>) {
        debug_assert!(chain.pending.is_none(), "the old pending block was set aside");
        // Readers see the old block's index until the new one is whole, never a part of it.
        let mut readers = super::PendingIndex::default();
        for tx in transactions {
            let (hash, sender, nonce) = (tx.hash(), tx.sender(), tx.tx().nonce);
            match self.run_in_pending(chain, Prepared::new(tx)) {
                Ok(hash) => readers.add(hash, sender, nonce),
                Err(error) => {
                    tracing::warn!(%hash, %error, "a pending transaction was dropped: the state it runs on now refuses it");
                }
            }
        }
        *self.inner.pending_index.write() = readers;
    }

    /// Commits the block `make` builds (given the next block's context) before the pending
    /// transactions, which then run again on top of it ([`Node::reopen_pending`]). If `make` or
    /// the commit fails, nothing changes: the pending block stays as it was.
    pub(super) fn commit_before_pending(
        &self,
        chain: &mut ChainState,
        make: impl FnOnce(&BlockContext) -> Result<NewBlock, NodeError>,
    ) -> Result<BlockHeader, NodeError> {
        let pending = chain.pending.take();
        let committed = self
            .next_block_context(chain)
            .and_then(|context| make(&context))
            .and_then(|block| self.commit(chain, block));
        match committed {
            Ok(header) => {
                if let Some(pending) = pending {
                    self.reopen_pending(chain, pending.checked);
                }
                Ok(header)
            }
            Err(error) => {
                chain.pending = pending;
                Err(error)
            }
        }
    }

    /// Commits `block` as the next block and moves the clock past it.
    pub(super) fn commit(&self, chain: &mut ChainState, block: NewBlock) -> Result<BlockHeader, NodeError> {
        let header = self.inner.ledger.commit_block(block)?;
        self.clock_after_block(chain, header.time);
        Ok(header)
    }

    /// Forgets the pending block (a revert, a reset, a load).
    pub(super) fn drop_pending(&self, chain: &mut ChainState) -> Option<PendingBlock> {
        self.inner.pending_index.write().clear();
        chain.pending.take()
    }

    /// Runs one transaction in `overlay` and packs it for the block, its receipt's record
    /// encoded.
    pub(super) fn execute_into(
        &self,
        overlay: &mut Overlay,
        context: &BlockContext,
        tx: Prepared,
        index: u32,
    ) -> Result<(ReceiptRecord, BlockTx), NodeError> {
        let Prepared { tx, stored } = tx;
        let receipt = apply_transaction(&self.inner.vm, overlay, context, tx.tx(), tx.hash(), index)?;
        let events = overlay.take_events();
        let encoded = receipt.encode();
        Ok((receipt, BlockTx { hash: tx.hash(), tx: stored, receipt: encoded, events }))
    }

    /// Mines the pending block (manual and interval mining), or an empty block when nothing is
    /// pending. Returns the new header.
    ///
    /// # Errors
    /// [`Rejection::NetworkNode`] on a network node (its
    /// blocks are decided by consensus); a ledger failure.
    pub fn mine_block(&self) -> Result<BlockHeader, NodeError> {
        if self.inner.config.mining == Mining::Network {
            return Err(crate::error::Rejection::NetworkNode.into());
        }
        let mut chain = self.lock_chain();
        self.mine_locked(&mut chain)
    }

    pub(super) fn mine_locked(&self, chain: &mut ChainState) -> Result<BlockHeader, NodeError> {
        let block = match chain.pending.take() {
            Some(p) => NewBlock { time: p.context.time, changes: p.overlay.into_changes(), txs: p.txs },
            None => NewBlock { time: self.next_block_context(chain)?.time, ..NewBlock::default() },
        };
        let committed = self.commit(chain, block);
        self.inner.pending_index.write().clear();
        committed
    }

    /// Commits the pending block if there is one (manual and interval mining; graceful shutdown
    /// calls this, so nothing accepted is lost).
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn flush(&self) -> Result<Option<BlockHeader>, NodeError> {
        let mut chain = self.lock_chain();
        if chain.pending.is_some() { self.mine_locked(&mut chain).map(Some) } else { Ok(None) }
    }

    /// The height and time the next block gets (see `clock`).
    ///
    /// # Errors
    /// [`Rejection::HeightOutOfRange`] when the latest block is at the last height a block may
    /// have; [`HostError::NoGenesis`].
    pub(super) fn next_block_context(&self, chain: &ChainState) -> Result<BlockContext, NodeError> {
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        let height = super::height_above(latest.height, 1)?;
        let time = self.next_block_time(chain)?;
        Ok(BlockContext { chain_id: self.inner.config.chain_id, height, time })
    }

    /// Executes `tx` as a submission would run now, without committing anything; the signature
    /// is not needed. With a pending block (manual and interval mining) it runs at the end of
    /// that block, on the state its transactions leave, and is then undone, so its nonce is the
    /// one a submission would need and its receipt the one it would get there; otherwise on
    /// the latest committed state, in the next block.
    ///
    /// # Errors
    /// The same rejections as a submission.
    pub fn simulate(&self, tx: &Transaction) -> Result<Receipt, NodeError> {
        tx.check_form()?;
        let hash = tx.hash()?;
        // The VM slot first, then the chain: the writer never waits for a slot, so waiting for
        // the chain while holding one cannot deadlock, and the writer never waits for queries.
        let _slot = self.inner.admission.enter();
        let mut chain = self.lock_chain();
        if let Some(pending) = chain.pending.as_mut() {
            let context = pending.context;
            let index = pending.txs.len() as u32;
            let start = pending.overlay.checkpoint();
            let applied = apply_transaction(&self.inner.vm, &mut pending.overlay, &context, tx, hash, index);
            pending.overlay.revert_to(start);
            return Ok(applied?.into_receipt());
        }
        let context = self.next_block_context(&chain)?;
        let mut overlay = self.view()?.state().overlay();
        drop(chain);
        Ok(apply_transaction(&self.inner.vm, &mut overlay, &context, tx, hash, 0)?.into_receipt())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use tidepool_ledger::Address;

    use super::*;
    use crate::{Action, NodeConfig, dev_accounts};

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_stored_form_is_the_canonical_json_of_the_stored_transaction_whichever_path_made_it() {
        let account = &dev_accounts(1)[0];
        // A message whose members serde writes in another order than the canonical form.
        let message = serde_json::from_str(r#"{"zeta":{"b":2,"a":[1,"x"]},"alpha":null}"#).unwrap();
        let action = Action::Execute { contract: Address([3; 20]), msg: message, funds: 7 };
        let tx = Transaction { chain_id: 1337, nonce: 4, from: account.address, gas_limit: 90_000, action };
        let signed = tx.clone().sign(&account.key).unwrap();

        let checked = Prepared::check(&signed).unwrap();
        let again = Prepared::new(signed.check().unwrap());
        let impersonated = Prepared::new(CheckedTransaction::impersonated(tx.clone()).unwrap());
        assert_eq!(checked.stored_bytes(), again.stored_bytes());
        for (prepared, signature) in [(&checked, Some(signed.signature)), (&impersonated, None)] {
            let stored: StoredTx = serde_json::from_slice(prepared.stored_bytes()).unwrap();
            assert_eq!(stored, StoredTx { tx: tx.clone(), signature });
            let canonical = crate::canonical::to_vec(&serde_json::to_value(&stored).unwrap()).unwrap();
            assert_eq!(prepared.stored_bytes(), canonical.as_slice());
        }
        assert_eq!(checked.hash(), impersonated.hash());
    }

    #[test]
    fn submissions_that_wait_for_the_writer_share_the_next_block_in_arrival_order() {
        let node = Node::open(NodeConfig::dev()).unwrap();
        let before = node.ledger().head().unwrap().height;
        let accounts = dev_accounts(4);
        // The writer is busy: every submission queues.
        let writer = node.lock_chain();
        let handles: Vec<_> = accounts
            .iter()
            .enumerate()
            .map(|(i, account)| {
                let nonce = node.account(&account.address).unwrap().nonce;
                // The third one has a wrong nonce: refused, without stopping the others.
                let nonce = if i == 2 { nonce + 5 } else { nonce };
                let action = Action::Transfer { to: Address([9; 20]), amount: 1 + i as u128 };
                let tx = Transaction {
                    chain_id: node.config().chain_id,
                    nonce,
                    from: account.address,
                    gas_limit: 21_000,
                    action,
                };
                let signed = tx.sign(&account.key).unwrap();
                let submitter = node.clone();
                let handle = std::thread::spawn(move || submitter.submit(&signed));
                // One at a time, so the arrival order is known.
                wait_until("the submission queues", || node.inner.queue.lock().waiting.len() == i + 1);
                handle
            })
            .collect();
        drop(writer);
        let results: Vec<_> = handles.into_iter().map(|handle| handle.join().unwrap()).collect();

        assert!(matches!(results[2], Err(NodeError::Rejected(crate::error::Rejection::BadNonce { .. }))));
        let receipts: Vec<_> = [0, 1, 3]
            .into_iter()
            .map(|i| match &results[i] {
                Ok(Submitted::Mined(receipt)) => receipt.clone(),
                other => panic!("submission {i}: {other:?}"),
            })
            .collect();
        for (index, receipt) in receipts.iter().enumerate() {
            assert!(receipt.is_success());
            assert_eq!((receipt.height, receipt.index), (before + 1, index as u32), "one block, in arrival order");
        }
        assert_eq!(node.ledger().head().unwrap().height, before + 1);
        assert_eq!(node.account(&Address([9; 20])).unwrap().balance, 1 + 2 + 4);
        assert!(node.inner.queue.lock().waiting.is_empty());
    }
}
