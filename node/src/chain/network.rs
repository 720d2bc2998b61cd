//! Blocks a network decides ([`Mining::Network`](crate::Mining::Network)): the proposer builds
//! one from its mempool, every validator verifies it by executing it before voting, and all of
//! them commit it once it is decided, with the certificate that proves it.
//!
//! A network block's bytes are [`NetworkBlock`]: the ledger's header and each transaction in
//! its stored form (the JSON of [`StoredTx`](super::StoredTx), signature included). The header
//! commits to everything: its hash covers the transaction hashes, the parent, the time and the
//! state root after execution. Verification re-derives all of it; a block whose transactions
//! are not in canonical form, carry no signature, or do not execute is invalid.
//!
//! Building and verifying never change committed state: they execute on an overlay and keep
//! the result ([`PreparedBlock`]) under the header's hash, so the commit of a block this node
//! already executed is only a write. A result prepared on another parent is never applied.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, BlockHeader, Hash, NewBlock};

use super::Node;
use super::submit::{Prepared, recovery_run};
use crate::apply::BlockContext;
use crate::error::{HostError, NodeError};
use crate::tx::SignedTransaction;

/// The most transactions a proposal takes from the mempool.
pub const MAX_BLOCK_TXS: usize = 2_000;

/// The most bytes of transactions a proposal takes: more than the API's largest request, so any
/// admitted transaction fits an empty block (a proposal never stalls behind one), and less than
/// the 16 MiB a proposal stream may carry (the engine streams blocks in 64 KiB parts).
pub const MAX_BLOCK_TX_BYTES: usize = 12 << 20;

/// A network block as it travels between validators and as sync serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkBlock {
    /// The header the block claims; its hash is the block's id.
    pub header: BlockHeader,
    /// Each transaction's stored form (JSON of `{tx, signature}`), in order.
    pub txs: Vec<Vec<u8>>,
}

impl NetworkBlock {
    /// The block's bytes.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("blocks serialise")
    }

    /// A block from its bytes.
    ///
    /// # Errors
    /// A description of what does not decode.
    pub fn decode(bytes: &[u8]) -> Result<NetworkBlock, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("the block does not decode: {e}"))
    }
}

/// A block this node executed (built or verified), ready to commit if it is decided.
pub(super) struct PreparedBlock {
    header: BlockHeader,
    block: NewBlock,
    senders: Vec<Address>,
}

/// Blocks executed for the next height, by header hash.
pub(super) type PreparedBlocks = HashMap<Hash, PreparedBlock>;

/// What a validator's consensus reports, for `/health` and `/metrics`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NetworkStatus {
    /// This validator's consensus address (hex).
    pub validator: String,
    /// The network's id (hex, 32 bytes): named in every vote, proposal and proposal stream its
    /// validators sign, so a certificate's precommit signatures verify only with it.
    pub network_id: String,
    /// The height consensus is deciding.
    pub consensus_height: u64,
    /// Its round (-1 before the first starts).
    pub round: i64,
    /// Connected peers.
    pub peers: u64,
    /// Whether the node is catching up through sync rather than following live proposals.
    pub syncing: bool,
    /// Milliseconds since consensus last reached a new height (since the validator started,
    /// before it first did).
    pub idle_ms: u64,
    /// Whether consensus has stayed at one height for longer than three timed-out rounds after
    /// the empty-block interval: the validator answers, but its network decides no blocks (too
    /// few validators reachable, or its peer-to-peer network down).
    pub stalled: bool,
    /// Transactions admitted since it started that were not forwarded to the other validators
    /// because its gossip queue was full (peers slower than admissions); they wait in its
    /// mempool for a block it proposes.
    pub not_gossiped: u64,
    /// Equivocations seen since it started: a validator that signed two different votes for
    /// one step of a round, or two different proposals for one round (each is also logged at
    /// `WARN`).
    pub equivocations: u64,
    /// The latest of them, if any.
    pub last_equivocation: Option<EquivocationSeen>,
}

/// An equivocation, as [`NetworkStatus::last_equivocation`] reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquivocationSeen {
    /// The validator's consensus address (hex).
    pub validator: String,
    /// The height.
    pub height: u64,
    /// The round.
    pub round: i64,
    /// `prevote`, `precommit` or `proposal`.
    pub kind: String,
    /// The block of its first message (hex; null for a vote for nil).
    pub first: Option<String>,
    /// The block of its second.
    pub second: Option<String>,
}

/// Reports a validator's [`NetworkStatus`]; see [`Node::set_network_status`].
pub type StatusSource = Box<dyn Fn() -> NetworkStatus + Send + Sync>;

/// The commit certificate of a network block, as it is stored with the block (its seal, in
/// JSON) and served with it: more than 2/3 of the voting power precommitted `block_hash` at
/// `height` in `round`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BlockCertificate {
    /// The decided height.
    pub height: u64,
    /// The round that decided it.
    pub round: u32,
    /// The decided block's hash.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
    pub block_hash: Hash,
    /// The precommit signatures.
    pub signatures: Vec<CertificateSignature>,
}

/// One validator's precommit in a [`BlockCertificate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CertificateSignature {
    /// The validator's consensus address (`0x` + 40 hex digits).
    #[cfg_attr(feature = "openapi", schema(pattern = "^0x[0-9a-f]{40}$"))]
    pub validator: String,
    /// Its ed25519 signature (`0x` + 128 hex digits).
    #[cfg_attr(feature = "openapi", schema(pattern = "^0x[0-9a-f]{128}$"))]
    pub signature: String,
}

impl Node {
    /// The certificate stored with the block at `height`: `None` for a block no network decided
    /// (genesis, every block of a single node).
    ///
    /// # Errors
    /// Ledger failures; [`HostError::CorruptRecord`] for a seal that is not a certificate.
    pub fn block_certificate(&self, height: u64) -> Result<Option<BlockCertificate>, NodeError> {
        let Some(seal) = self.inner.ledger.seal(height)? else { return Ok(None) };
        serde_json::from_slice(&seal)
            .map(Some)
            .map_err(|e| HostError::CorruptRecord(format!("the certificate of block {height}: {e}")).into())
    }
}

/// A proposed block that must get no vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidBlock {
    /// The header hash the block claims, when it decodes that far.
    pub claimed: Option<Hash>,
    /// Why it is invalid.
    pub reason: String,
}

impl Node {
    /// Builds the block for `height` (the next) at `time` from the mempool, executing it, and
    /// returns its header and bytes. Transactions the state refuses are dropped from the mempool
    /// and left out. Changes no committed state.
    ///
    /// # Errors
    /// [`HostError::Block`] when `height` is not the next height; ledger failures.
    pub fn build_block(&self, height: u64, time: u64) -> Result<(BlockHeader, Vec<u8>), NodeError> {
        let chain = self.lock_chain();
        let context = self.network_context(height, time)?;
        let view = self.inner.ledger.view().ok_or(HostError::NoGenesis)?;
        let candidates =
            self.inner.mempool.reap(MAX_BLOCK_TXS, MAX_BLOCK_TX_BYTES, |address| Ok(view.account(address)?.nonce))?;
        let mut overlay = self.inner.ledger.overlay();
        let mut txs = Vec::with_capacity(candidates.len());
        let mut senders = Vec::with_capacity(candidates.len());
        for tx in candidates {
            let (hash, sender) = (tx.hash(), tx.sender());
            match self.execute_into(&mut overlay, &context, tx, txs.len() as u32) {
                Ok((_, block_tx)) => {
                    txs.push(block_tx);
                    senders.push(sender);
                }
                Err(error) => {
                    tracing::info!(%hash, %error, "left out of the proposal and the mempool: the state refuses it");
                    self.inner.mempool.remove(&hash);
                }
            }
        }
        let block = NewBlock { time, changes: overlay.into_changes(), txs };
        let header = self.inner.ledger.preview_header(&block)?;
        let bytes =
            NetworkBlock { header: header.clone(), txs: block.txs.iter().map(|tx| tx.tx.clone()).collect() }.encode();
        drop(chain);
        self.inner.prepared.lock().insert(header.hash(), PreparedBlock { header: header.clone(), block, senders });
        Ok((header, bytes))
    }

    /// Verifies a proposed block for `height` by executing it on the last committed state:
    /// `Ok(Ok(header))` when execution gives exactly the header it claims. Changes no committed
    /// state.
    ///
    /// # Errors
    /// Only when the node itself fails (its ledger); a bad block is `Ok(Err(_))`.
    pub fn verify_block(&self, height: u64, bytes: &[u8]) -> Result<Result<BlockHeader, InvalidBlock>, NodeError> {
        let block = match NetworkBlock::decode(bytes) {
            Ok(block) => block,
            Err(reason) => return Ok(Err(InvalidBlock { claimed: None, reason })),
        };
        let claimed = block.header.hash();
        if let Some(prepared) = self.inner.prepared.lock().get(&claimed)
            && self.inner.ledger.head().is_some_and(|head| head.hash() == prepared.header.parent_hash)
        {
            return Ok(Ok(prepared.header.clone()));
        }
        let _chain = self.lock_chain();
        match self.execute_network_block(height, block)? {
            Ok(prepared) => {
                let header = prepared.header.clone();
                self.inner.prepared.lock().insert(claimed, prepared);
                Ok(Ok(header))
            }
            Err(reason) => Ok(Err(InvalidBlock { claimed: Some(claimed), reason })),
        }
    }

    /// Commits the decided block for `height` with `seal` (the certificate that decided it)
    /// and re-checks the mempool. A block this node executed before for the current parent is
    /// written as it was prepared; any other is executed first.
    ///
    /// # Errors
    /// [`HostError::Block`] when the block is not valid on top of the last committed block (it
    /// cannot have been decided there); ledger failures.
    pub fn commit_decided(&self, height: u64, bytes: &[u8], seal: &[u8]) -> Result<BlockHeader, NodeError> {
        let mut chain = self.lock_chain();
        let block = NetworkBlock::decode(bytes).map_err(HostError::Block)?;
        let claimed = block.header.hash();
        let head = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        let prepared = self.inner.prepared.lock().remove(&claimed).filter(|p| p.header.parent_hash == head.hash());
        let prepared = match prepared {
            Some(prepared) => prepared,
            None => self
                .execute_network_block(height, block)?
                .map_err(|reason| HostError::Block(format!("decided block {claimed} at height {height}: {reason}")))?,
        };
        let header = self.inner.ledger.commit_block_sealed(prepared.block, Some(seal))?;
        self.inner.prepared.lock().clear();
        self.clock_after_block(&mut chain, header.time);
        drop(chain);
        // The block is durable: a failure from here on only leaves stale transactions in the
        // mempool (building refuses them), and must not make the commit look failed —
        // consensus would restart a height this node has already committed.
        let recheck = self.inner.ledger.view().ok_or(NodeError::from(HostError::NoGenesis)).and_then(|view| {
            self.inner.mempool.recheck(header.height, prepared.senders, |address| Ok(view.account(address)?.nonce))
        });
        if let Err(e) = recheck {
            tracing::error!(height, "cleaning the mempool after a committed block failed: {e}");
        }
        Ok(header)
    }

    /// The committed block at `height` as the network sends it; `None` when it is not here
    /// (above the latest, pruned, or not decided by a network: genesis has no seal).
    ///
    /// # Errors
    /// Ledger failures.
    pub fn decided_block(&self, height: u64) -> Result<Option<Vec<u8>>, NodeError> {
        let ledger = &self.inner.ledger;
        let (Some(header), Some(_)) = (ledger.block(height)?, ledger.seal(height)?) else { return Ok(None) };
        let mut txs = Vec::with_capacity(header.tx_hashes.len());
        for hash in &header.tx_hashes {
            let Some(tx) = ledger.tx(hash)? else { return Ok(None) };
            txs.push(tx);
        }
        Ok(Some(NetworkBlock { header, txs }.encode()))
    }

    /// Tells the node where to read its validator's [`NetworkStatus`] (the network crate does,
    /// when it starts consensus over this node).
    pub fn set_network_status(&self, source: StatusSource) {
        *self.inner.network_status.write() = Some(source);
    }

    /// The validator's consensus status; `None` on a node without a network.
    pub fn network_status(&self) -> Option<NetworkStatus> {
        self.inner.network_status.read().as_ref().map(|source| source())
    }

    /// The mempool (network mode; empty otherwise).
    pub fn mempool(&self) -> &crate::mempool::Mempool {
        &self.inner.mempool
    }

    /// Admits a checked transaction into the mempool (network mode).
    pub(super) fn add_to_mempool(&self, tx: Prepared, relay: super::Relay) -> Result<Hash, NodeError> {
        let view = self.inner.ledger.view().ok_or(HostError::NoGenesis)?;
        if tx.chain_id() != self.inner.config.chain_id {
            return Err(crate::error::Rejection::WrongChainId {
                expected: self.inner.config.chain_id,
                got: tx.chain_id(),
            }
            .into());
        }
        let nonce = view.account(&tx.sender())?.nonce;
        self.inner.mempool.admit(tx, nonce, view.height(), relay == super::Relay::Forward)
    }

    /// The context of the block at `height`, which must be the next.
    fn network_context(&self, height: u64, time: u64) -> Result<BlockContext, NodeError> {
        let head = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        if head.height.checked_add(1) != Some(height) {
            return Err(
                HostError::Block(format!("height {height} is not the next (the latest is {})", head.height)).into()
            );
        }
        Ok(BlockContext { chain_id: self.inner.config.chain_id, height, time })
    }

    /// Executes `block` for `height` on the last committed state (the caller holds the chain
    /// lock): the prepared block, or why it is invalid.
    fn execute_network_block(
        &self,
        height: u64,
        block: NetworkBlock,
    ) -> Result<Result<PreparedBlock, String>, NodeError> {
        let NetworkBlock { header, txs } = block;
        if header.height != height {
            return Ok(Err(format!("it claims height {}, proposed for {height}", header.height)));
        }
        let context = match self.network_context(height, header.time) {
            Ok(context) => context,
            Err(error) => return Ok(Err(error.to_string())),
        };
        if txs.len() != header.tx_hashes.len() {
            return Ok(Err(format!("{} transactions, {} hashes in the header", txs.len(), header.tx_hashes.len())));
        }
        // Signatures on every core, in runs whose signers are recovered together, then execution
        // in order.
        let run = recovery_run(txs.len());
        let checked: Result<Vec<Prepared>, String> = txs
            .par_chunks(run)
            .zip(header.tx_hashes.par_chunks(run))
            .enumerate()
            .flat_map_iter(|(index, (txs, hashes))| self.check_block_txs(index * run, txs, hashes))
            .collect();
        let checked = match checked {
            Ok(checked) => checked,
            Err(reason) => return Ok(Err(reason)),
        };
        let mut overlay = self.inner.ledger.overlay();
        let mut block_txs = Vec::with_capacity(checked.len());
        let mut senders = Vec::with_capacity(checked.len());
        for (index, tx) in checked.into_iter().enumerate() {
            let sender = tx.sender();
            match self.execute_into(&mut overlay, &context, tx, index as u32) {
                Ok((_, block_tx)) => {
                    block_txs.push(block_tx);
                    senders.push(sender);
                }
                Err(NodeError::Rejected(rejection)) => {
                    return Ok(Err(format!("transaction {index} is refused: {rejection}")));
                }
                Err(error) => return Err(error),
            }
        }
        let block = NewBlock { time: header.time, changes: overlay.into_changes(), txs: block_txs };
        let executed = self.inner.ledger.preview_header(&block)?;
        if executed != header {
            let reason = if executed.state_root != header.state_root {
                format!("state root {} does not match re-execution ({})", header.state_root, executed.state_root)
            } else {
                format!("the header does not match re-execution: {header:?} vs {executed:?}")
            };
            return Ok(Err(reason));
        }
        Ok(Ok(PreparedBlock { header, block, senders }))
    }
}

impl Node {
    /// A block's transactions `txs` (the `first`th on), listed in its header as `hashes`, from
    /// their stored bytes: each signed, its signature good, its hash the one the header lists and
    /// its bytes the canonical stored form; the signers recovered together. A transaction this
    /// node's mempool admitted was checked then: the same bytes need no second check.
    fn check_block_txs(&self, first: usize, txs: &[Vec<u8>], hashes: &[Hash]) -> Vec<Result<Prepared, String>> {
        let mempool = &self.inner.mempool;
        let known: Vec<Option<Prepared>> = txs
            .iter()
            .zip(hashes)
            .map(|(bytes, hash)| mempool.get(hash).filter(|known| known.stored_bytes() == bytes.as_slice()))
            .collect();
        let decoded: Vec<Result<SignedTransaction, String>> = txs
            .iter()
            .zip(&known)
            .filter(|(_, known)| known.is_none())
            .map(|(bytes, _)| decode_block_tx(bytes))
            .collect();
        let passed = decoded.iter().map(|signed| signed.as_ref().map_err(Clone::clone)).collect();
        let mut checked = Prepared::check_all(passed, |e| e.to_string()).into_iter();
        known
            .into_iter()
            .zip(txs.iter().zip(hashes))
            .enumerate()
            .map(|(index, (known, (bytes, hash)))| {
                let prepared = match known {
                    Some(known) => return Ok(known),
                    None => checked.next().expect("one answer per transaction decoded"),
                };
                prepared
                    .and_then(|prepared| {
                        if prepared.hash() != *hash {
                            return Err(format!("its hash is {}, the header lists {hash}", prepared.hash()));
                        }
                        if prepared.stored_bytes() != bytes.as_slice() {
                            return Err("its bytes are not the canonical stored form".into());
                        }
                        Ok(prepared)
                    })
                    .map_err(|e| format!("transaction {}: {e}", first + index))
            })
            .collect()
    }
}

/// A block's transaction from its stored bytes, signed and of a good form (its signature is
/// checked after: [`Prepared::check_all`]).
fn decode_block_tx(bytes: &[u8]) -> Result<SignedTransaction, String> {
    let stored: super::StoredTx = serde_json::from_slice(bytes).map_err(|e| format!("does not decode: {e}"))?;
    let signature = stored.signature.ok_or("carries no signature")?;
    let signed = SignedTransaction { tx: stored.tx, signature };
    signed.check_form().map_err(|e| e.to_string())?;
    Ok(signed)
}
