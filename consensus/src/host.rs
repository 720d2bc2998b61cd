//! The loop that answers the engine: one [`AppMsg`] at a time, each turned into calls on the
//! [`Application`] (on a blocking thread) and a reply.
//!
//! Start reading at [`Host::handle`]; the crate's top-level docs tell the life of a height in
//! prose.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use malachitebft_app_channel::app::consensus::MAX_FUTURE_ROUND_LOOKAHEAD;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{CommitCertificate, LinearTimeouts, Round, Validity};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use malachitebft_app_channel::{AppMsg, NetworkMsg};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

use crate::app::{Application, Header, Verdict};
use crate::certificate::Certificate;
use crate::context::{Address, BlockHash, Height, ProposalPart, TidepoolContext, ValidatorSet};
use crate::error::ConsensusError;
use crate::evidence::EvidenceLog;
use crate::network_id::NetworkId;
use crate::proposal_store::ProposalStore;
use crate::proposals::{CHUNK_BYTES, KnownBlock, Proposals, StreamedBlock, Streams};
use crate::signing::{ValidatorKey, proposal_stream_bytes};

/// Most heights served to one sync request: the engine does not bound the range it forwards.
const MAX_SYNC_BATCH: u64 = 64;

/// Held while the loop's work runs on a blocking thread (one piece at a time): whoever locks it
/// knows none is running.
pub(crate) type WorkGate = Arc<tokio::sync::Mutex<()>>;

/// What the loop needs besides the application.
pub(crate) struct HostSettings {
    /// The network named in proposal streams' signatures.
    pub(crate) network: NetworkId,
    pub(crate) key: ValidatorKey,
    pub(crate) validators: ValidatorSet,
    pub(crate) timeouts: LinearTimeouts,
    pub(crate) max_clock_drift: Duration,
    pub(crate) max_block_bytes: usize,
    /// Held by the loop's work off the runtime (see [`WorkGate`]).
    pub(crate) gate: WorkGate,
    /// Where the equivocations the engine reports go.
    pub(crate) evidence: EvidenceLog,
}

/// The application's side of the engine.
pub(crate) struct Host<A: Application> {
    app: Arc<A>,
    settings: HostSettings,
    me: Address,
    /// The last committed block, published for whoever watches the node's height.
    tip: watch::Sender<Header>,
    /// Where consensus is (height, round, syncing), for status pages and metrics.
    progress: watch::Sender<Progress>,
    height: Height,
    round: Round,
    streams: Streams,
    proposals: Proposals,
    /// Every block in `proposals`, on disk, for a restart between a vote and its commit.
    store: ProposalStore,
    /// The height whose decided block is committed, between `Decided` and `Finalized`.
    committed: Option<Height>,
    network: mpsc::Sender<NetworkMsg<TidepoolContext>>,
    streams_published: u64,
}

/// Where a validator's consensus is, as [`Consensus::progress`](crate::Consensus::progress) tells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The height being decided.
    pub height: u64,
    /// Its current round (-1 before the first starts).
    pub round: i64,
    /// Whether the last blocks came from peers' sync rather than live proposals: the validator
    /// is catching up.
    pub syncing: bool,
}

/// Unix seconds now.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Whether a block that re-executed to `header` may follow `tip` at `height`. `latest` bounds
/// the block time from above (the local clock plus the allowed drift) for a live proposal; a
/// decided block from sync has no upper bound (a slow local clock must not stall catching up).
fn check_header(header: &Header, tip: &Header, height: Height, latest: Option<u64>) -> Result<(), String> {
    if header.height != height.0 {
        return Err(format!("header height {} at height {height}", header.height));
    }
    if header.parent_hash != tip.hash {
        return Err(format!("parent {} is not the last committed block {}", header.parent_hash, tip.hash));
    }
    if header.time < tip.time {
        return Err(format!("block time {} before its parent's {}", header.time, tip.time));
    }
    if let Some(latest) = latest.filter(|latest| header.time > *latest) {
        return Err(format!("block time {} later than local time allows ({latest})", header.time));
    }
    Ok(())
}

impl<A: Application> Host<A> {
    pub(crate) fn new(
        app: Arc<A>,
        settings: HostSettings,
        tip: watch::Sender<Header>,
        progress: watch::Sender<Progress>,
        network: mpsc::Sender<NetworkMsg<TidepoolContext>>,
        store: ProposalStore,
        saved: Vec<KnownBlock>,
    ) -> Self {
        let height = Height(tip.borrow().height + 1);
        let mut proposals = Proposals::default();
        for block in saved {
            proposals.remember(height, block);
        }
        Self {
            app,
            me: settings.key.address(),
            streams: Streams::new(settings.max_block_bytes),
            settings,
            tip,
            progress,
            height,
            round: Round::Nil,
            proposals,
            store,
            committed: None,
            network,
            streams_published: 0,
        }
    }

    /// Answers the engine until it stops.
    pub(crate) async fn run(
        mut self,
        mut from_engine: mpsc::Receiver<AppMsg<TidepoolContext>>,
    ) -> Result<(), ConsensusError> {
        while let Some(message) = from_engine.recv().await {
            if let Err(e) = self.handle(message).await {
                // Nobody awaits the loop until shutdown: say why this validator stops voting.
                error!("the consensus loop stopped: {e}");
                return Err(e);
            }
        }
        debug!("the engine closed its channel");
        Ok(())
    }

    /// Runs `call` on the application on a blocking thread: execution never stalls the
    /// networking and timers that share the async runtime.
    async fn blocking<T, F>(&self, call: F) -> Result<T, ConsensusError>
    where
        T: Send + 'static,
        F: FnOnce(&A) -> Result<T, A::Error> + Send + 'static,
    {
        let app = Arc::clone(&self.app);
        self.off_runtime(move || call(&app))
            .await
            .map_err(|e| ConsensusError::Application(format!("application call panicked: {e}")))?
            .map_err(|e| ConsensusError::Application(e.to_string()))
    }

    /// Runs `work` (an application call, a disk write) on a blocking thread, holding the
    /// [`WorkGate`] until it is done: aborting the loop leaves it running, and
    /// [`Consensus::shutdown`](crate::Consensus::shutdown) waits for it.
    async fn off_runtime<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let held = Arc::clone(&self.settings.gate).lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let _held = held;
            work()
        })
        .await
    }

    fn params(&self) -> HeightParams<TidepoolContext> {
        HeightParams::new(self.settings.validators.clone(), self.settings.timeouts, None)
    }

    fn last_committed(&self) -> Header {
        self.tip.borrow().clone()
    }

    async fn handle(&mut self, message: AppMsg<TidepoolContext>) -> Result<(), ConsensusError> {
        match message {
            AppMsg::ConsensusReady { reply } => {
                // Start after what the application has committed, whatever the WAL says.
                let tip = self.blocking(|app| app.last_committed()).await?;
                self.forget_through(Height(tip.height)).await;
                self.height = Height(tip.height + 1);
                info!(height = %self.height, "consensus ready");
                self.tip.send_replace(tip);
                let _ = reply.send((self.height, self.params()));
            }

            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(%height, %round, %proposer, ?role, "round started");
                let new_height = height != self.height || self.round.is_nil();
                self.height = height;
                self.round = round;
                self.progress.send_modify(|progress| {
                    progress.height = height.0;
                    progress.round = round.as_i64();
                });
                if new_height {
                    // Their signatures were checked when they were held.
                    for early in self.proposals.take_early(height) {
                        if self.wanted(&early) {
                            self.accept(early).await;
                        }
                    }
                }
                // After a restart, the blocks this node already saw for the round.
                let seen =
                    self.proposals.in_round(height, round).map(|block| proposed_value(height, round, block)).collect();
                let _ = reply_value.send(seen);
            }

            AppMsg::GetValue { height, round, timeout: _, reply } => {
                // Propose the same block again if asked twice for one round (after a restart).
                let block = match self.proposals.own(height, round, self.me).cloned() {
                    Some(block) => block,
                    None => match self.build(height, round).await {
                        Ok(block) => block,
                        Err(e) => {
                            // No reply: the round's propose timeout runs out, the others prevote nil.
                            error!(%height, %round, "building a block failed: {e}");
                            return Ok(());
                        }
                    },
                };
                let _ = reply.send(LocallyProposedValue::new(height, round, block.hash));
                self.publish(height, round, Round::Nil, &block).await;
            }

            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                self.progress.send_if_modified(|progress| std::mem::replace(&mut progress.syncing, false));
                let publisher = published_by.unwrap_or(from);
                let value = match self.streams.insert(publisher, part) {
                    Some(block) if block.height == self.height => self.receive(block).await,
                    Some(block) if block.height > self.height => {
                        if self.signed_by_its_proposer(&block) {
                            self.proposals.hold_early(self.height, block);
                        }
                        None
                    }
                    _ => None,
                };
                let _ = reply.send(value);
            }

            AppMsg::RestreamProposal { height, round, valid_round, address: _, value_id } => {
                match self.proposals.find_valid(height, value_id).cloned() {
                    Some(block) => self.publish(height, round, valid_round, &block).await,
                    None => warn!(%height, %round, %value_id, "asked to restream a block never seen"),
                }
            }

            AppMsg::Decided { certificate, extensions: _, reply } => {
                self.committed = None;
                match self.commit(&certificate).await {
                    Ok(()) => {
                        self.committed = Some(certificate.height);
                        let _ = reply.send(());
                    }
                    // No acknowledgement: `Finalized` restarts the height, and sync brings the
                    // block from a peer that has it.
                    Err(e) => error!(height = %certificate.height, "commit failed: {e}"),
                }
            }

            AppMsg::Finalized { certificate, evidence, reply, .. } => {
                self.settings.evidence.record(&evidence);
                let height = certificate.height;
                let next = if self.committed == Some(height) {
                    self.forget_through(height).await;
                    Next::Start(Height(height.0 + 1), self.params())
                } else {
                    warn!(%height, "restarting a height whose block was not committed");
                    Next::Restart(height, self.params())
                };
                self.committed = None;
                let _ = reply.send(next);
            }

            AppMsg::GetHistoryMinHeight { reply } => {
                // A failed read must not end the loop (and this validator's part in consensus):
                // it answers that it serves nothing, so peers sync from the others.
                let first = self.blocking(|app| app.first_retained_height()).await.unwrap_or_else(|e| {
                    error!("reading the first retained height failed: {e}");
                    self.last_committed().height + 1
                });
                let _ = reply.send(Height(first));
            }

            AppMsg::GetDecidedValues { range, reply } => {
                // The range comes from a peer, unchecked: clamp it to what is here, and bound it.
                let first = range.start().0.max(1);
                let last =
                    range.end().0.min(self.last_committed().height).min(first.saturating_add(MAX_SYNC_BATCH - 1));
                let values = self
                    .blocking(move |app| {
                        let mut values = Vec::new();
                        for height in first..=last {
                            let Some(decided) = app.decided_block(height)? else { break };
                            values.push(RawDecidedValue::new(decided.bytes.into(), decided.certificate.to_engine()));
                        }
                        Ok(values)
                    })
                    .await
                    .unwrap_or_else(|e| {
                        error!("serving decided blocks failed: {e}");
                        Vec::new()
                    });
                let _ = reply.send(values);
            }

            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                self.progress.send_if_modified(|progress| !std::mem::replace(&mut progress.syncing, true));
                let outcome = self.process_synced(height, round, proposer, value_bytes).await;
                let _ = reply.send(outcome);
            }

            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }

            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                // Tidepool asks for no extensions; any that arrive carry nothing to check.
                let _ = reply.send(extensions.into_iter().map(|(address, ())| (address, Ok(()))).collect());
            }
        }
        Ok(())
    }

    /// Builds and remembers this node's block for `height` and `round`.
    async fn build(&mut self, height: Height, round: Round) -> Result<KnownBlock, ConsensusError> {
        // The proposer's clock, never before the parent: block times only move forward.
        let time = now().max(self.last_committed().time);
        let built = self.blocking(move |app| app.build_block(height.0, time)).await?;
        let bytes = Bytes::from(built.bytes);
        info!(%height, %round, hash = %built.header.hash, bytes = bytes.len(), "proposing");
        let block = KnownBlock {
            round,
            proposer: self.me,
            hash: built.header.hash,
            signature: Some(self.settings.key.sign(&proposal_stream_bytes(
                &self.settings.network,
                height,
                self.me,
                &bytes,
            ))),
            bytes,
            validity: Validity::Valid,
            header: Some(built.header),
        };
        self.remember(height, block.clone()).await?;
        Ok(block)
    }

    /// Remembers `block` for `height`, on disk first (its bytes once, whatever its rounds): the
    /// engine must not hear of a block — and vote for it — that a restart would lose.
    async fn remember(&mut self, height: Height, block: KnownBlock) -> Result<(), ConsensusError> {
        if !self.proposals.knows(height, &block) {
            let store = self.store.clone();
            let saved = block.clone();
            self.off_runtime(move || store.save(height, &saved))
                .await
                .map_err(|e| ConsensusError::Application(format!("saving a proposed block panicked: {e}")))??;
        }
        self.proposals.remember(height, block);
        Ok(())
    }

    /// Forgets the blocks of every height through `height`, in memory and on disk.
    async fn forget_through(&mut self, height: Height) {
        self.proposals.forget_through(height);
        let store = self.store.clone();
        match self.off_runtime(move || store.forget_through(height)).await {
            Ok(Ok(())) => {}
            // Left on disk, they are deleted at the next commit (or the next start).
            Ok(Err(e)) => warn!(%height, "deleting the proposed blocks of committed heights: {e}"),
            Err(e) => warn!(%height, "deleting the proposed blocks of committed heights panicked: {e}"),
        }
    }

    /// Streams `block` as the proposal of `round` (re-proposed from `pol_round`, if defined).
    async fn publish(&mut self, height: Height, round: Round, pol_round: Round, block: &KnownBlock) {
        let Some(signature) = block.signature else {
            warn!(%height, hash = %block.hash, "a block from sync cannot be re-proposed");
            return;
        };
        self.streams_published += 1;
        let mut id = Vec::with_capacity(24);
        id.extend_from_slice(&height.0.to_be_bytes());
        id.extend_from_slice(&round.as_i64().to_be_bytes());
        id.extend_from_slice(&self.streams_published.to_be_bytes());
        let id = StreamId::new(id.into());

        let init = ProposalPart::Init { height, round, pol_round, proposer: block.proposer };
        let chunks = block.bytes.chunks(CHUNK_BYTES).map(|c| ProposalPart::Chunk(block.bytes.slice_ref(c)));
        let parts = std::iter::once(init).chain(chunks).chain(std::iter::once(ProposalPart::Fin { signature }));
        let mut sequence = 0;
        for part in parts {
            let message = StreamMessage::new(id.clone(), sequence, StreamContent::Data(part));
            if self.network.send(NetworkMsg::PublishProposalPart(message)).await.is_err() {
                return; // The engine is stopping.
            }
            sequence += 1;
        }
        let end = StreamMessage::new(id, sequence, StreamContent::Fin);
        let _ = self.network.send(NetworkMsg::PublishProposalPart(end)).await;
    }

    /// Checks a streamed block for the current height (signature, then execution and header)
    /// and remembers the verdict; `None` when it is not worth the engine's attention.
    async fn receive(&mut self, block: StreamedBlock) -> Option<ProposedValue<TidepoolContext>> {
        if !self.wanted(&block) || !self.signed_by_its_proposer(&block) {
            return None;
        }
        self.accept(block).await
    }

    /// The round at or below which streams are taken: the engine's lookahead past the current
    /// round (taken as 0 before the first round starts).
    fn last_round_taken(&self) -> i64 {
        self.round.as_i64().max(0).saturating_add(i64::from(MAX_FUTURE_ROUND_LOOKAHEAD))
    }

    /// Whether a stream for the current height is worth checking: its height is not decided
    /// yet, and its round is one the engine takes. (A stream's round is not signed: a peer can
    /// replay a block under any round. The engine drops proposals past its lookahead; the loop
    /// does not keep their blocks either.)
    fn wanted(&self, block: &StreamedBlock) -> bool {
        if block.height.0 <= self.last_committed().height {
            return false; // Late: the height is decided.
        }
        if block.round.as_i64() > self.last_round_taken() {
            debug!(height = %block.height, round = %block.round, current = %self.round, "proposal stream too many rounds ahead");
            return false;
        }
        true
    }

    /// Executes and judges a stream for the current height whose signature is checked, unless
    /// its bytes were judged before, and remembers the verdict.
    async fn accept(&mut self, block: StreamedBlock) -> Option<ProposedValue<TidepoolContext>> {
        let height = block.height;
        // A re-proposal of a block already judged is not executed again, and shares its bytes.
        let known = self.proposals.known_bytes(height, &block.bytes).cloned();
        let (hash, validity, header, bytes) = match known {
            Some(known) => (known.hash, known.validity, known.header, known.bytes),
            // An honest proposer makes at most one block per round it proposes in, and rounds
            // past the lookahead are not wanted: more different blocks than that is a
            // validator signing blocks to make everyone execute and store them.
            None if self.proposals.blocks_of(height, block.proposer) as i64 > self.last_round_taken() => {
                warn!(%height, proposer = %block.proposer, "more different blocks from one proposer than rounds: dropped");
                return None;
            }
            None => {
                let verdict = match self.verify(height, block.bytes.clone()).await {
                    Ok(verdict) => verdict,
                    Err(e) => {
                        error!(%height, "verifying a block failed: {e}");
                        return None;
                    }
                };
                let latest = now().saturating_add(self.settings.max_clock_drift.as_secs());
                let (hash, validity, header) = self.judge(height, verdict, Some(latest))?;
                (hash, validity, header, block.bytes)
            }
        };
        let known = KnownBlock {
            round: block.round,
            proposer: block.proposer,
            hash,
            bytes,
            signature: Some(block.signature),
            validity,
            header,
        };
        if let Err(e) = self.remember(height, known).await {
            error!(%height, %hash, "keeping a proposed block failed, so it gets no vote: {e}");
            return None;
        }
        Some(ProposedValue {
            height,
            round: block.round,
            valid_round: block.pol_round,
            proposer: block.proposer,
            value: hash,
            validity,
        })
    }

    /// Whether a validator proposed `block`: its stream's signature is its proposer's, and
    /// the proposer is one of the validators.
    fn signed_by_its_proposer(&self, block: &StreamedBlock) -> bool {
        let height = block.height;
        let Some(proposer) = self.settings.validators.validators().iter().find(|v| v.address == block.proposer) else {
            warn!(%height, proposer = %block.proposer, "proposal stream from a non-validator");
            return false;
        };
        let signed = proposal_stream_bytes(&self.settings.network, height, block.proposer, &block.bytes);
        if proposer.public_key.verify(&signed, &block.signature).is_err() {
            warn!(
                %height,
                proposer = %block.proposer,
                network = %self.settings.network,
                "proposal stream with a bad signature (a validator on another network: another genesis.json, or \
                 another build?)"
            );
            return false;
        }
        true
    }

    /// Executes `bytes` as the block for `height`.
    async fn verify(&self, height: Height, bytes: Bytes) -> Result<Verdict, ConsensusError> {
        self.blocking(move |app| app.verify_block(height.0, &bytes)).await
    }

    /// What a verdict means for the engine: the block's id, whether it may get a vote, and its
    /// header when it may; `None` for a block without an id. `latest` bounds the block time
    /// from above for a live proposal (see [`check_header`]).
    fn judge(
        &self,
        height: Height,
        verdict: Verdict,
        latest: Option<u64>,
    ) -> Option<(BlockHash, Validity, Option<Header>)> {
        match verdict {
            Verdict::Valid(header) => match check_header(&header, &self.last_committed(), height, latest) {
                Ok(()) => Some((header.hash, Validity::Valid, Some(header))),
                Err(reason) => {
                    warn!(%height, hash = %header.hash, "invalid block: {reason}");
                    Some((header.hash, Validity::Invalid, None))
                }
            },
            Verdict::Invalid { claimed, reason } => {
                warn!(%height, claimed = ?claimed, "invalid block: {reason}");
                claimed.map(|hash| (hash, Validity::Invalid, None))
            }
        }
    }

    /// A decided block from a peer (sync) for the current height: executed and checked like a
    /// live proposal, without the clock bound (a slow local clock must not stall catching up).
    async fn process_synced(
        &mut self,
        height: Height,
        round: Round,
        proposer: Address,
        bytes: Bytes,
    ) -> SyncedValueOutcome<TidepoolContext> {
        if height != self.height {
            return SyncedValueOutcome::LocalTransientError;
        }
        let verdict = match self.verify(height, bytes.clone()).await {
            Ok(verdict) => verdict,
            Err(e) => {
                error!(%height, "verifying a synced block failed: {e}");
                return SyncedValueOutcome::LocalTransientError;
            }
        };
        let Some((hash, validity, header)) = self.judge(height, verdict, None) else {
            return SyncedValueOutcome::PeerFault;
        };
        info!(%height, %hash, valid = validity.is_valid(), "synced block");
        let block = KnownBlock { round, proposer, hash, bytes, signature: None, validity, header };
        if let Err(e) = self.remember(height, block).await {
            error!(%height, %hash, "keeping a synced block failed: {e}");
            return SyncedValueOutcome::LocalTransientError;
        }
        SyncedValueOutcome::Verdict(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer,
            value: hash,
            validity,
        })
    }

    /// Commits the decided block and moves the tip.
    async fn commit(&mut self, certificate: &CommitCertificate<TidepoolContext>) -> Result<(), ConsensusError> {
        let height = certificate.height;
        let hash = certificate.value_id;
        let block = self
            .proposals
            .find_valid(height, hash)
            .ok_or_else(|| ConsensusError::Application(format!("decided block {hash} at {height} is not here")))?;
        let bytes = block.bytes.clone();
        let certificate = Certificate::from_engine(certificate);
        let header = match self.blocking(move |app| app.commit(height.0, &bytes, &certificate)).await {
            Ok(header) => header,
            Err(e) => {
                // Failed after the block became durable? Then it is committed all the same, and
                // restarting the height would leave this validator stuck below its own tip.
                let tip = match self.blocking(|app| app.last_committed()).await {
                    Ok(tip) => tip,
                    Err(read) => {
                        error!(%height, "reading the last committed block after a failed commit: {read}");
                        return Err(e);
                    }
                };
                if tip.height != height.0 || tip.hash != hash {
                    return Err(e);
                }
                warn!(%height, %hash, "the commit reported a failure after the block was committed: {e}");
                tip
            }
        };
        if header.hash != hash {
            return Err(ConsensusError::Application(format!(
                "committed {} where {hash} was decided at {height}",
                header.hash
            )));
        }
        info!(%height, %hash, "committed");
        self.tip.send_replace(header);
        Ok(())
    }
}

fn proposed_value(height: Height, round: Round, block: &KnownBlock) -> ProposedValue<TidepoolContext> {
    ProposedValue {
        height,
        round,
        valid_round: Round::Nil,
        proposer: block.proposer,
        value: block.hash,
        validity: block.validity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Validator;
    use crate::signing::ValidatorKey;

    /// An application that finds every block valid, as the child of genesis, and whose commit
    /// moves its tip and then fails (as a node whose mempool clean-up fails after the block is
    /// durable).
    struct Accepting {
        verified: std::sync::atomic::AtomicU64,
        tip: parking_lot::Mutex<Header>,
        /// Whether a commit gets as far as moving the tip before it fails.
        durable: std::sync::atomic::AtomicBool,
        /// Whether reading the first retained height fails.
        unreadable: std::sync::atomic::AtomicBool,
    }

    impl Accepting {
        fn new() -> Self {
            Self {
                verified: Default::default(),
                tip: parking_lot::Mutex::new(header(0, 100, 0, 0)),
                durable: std::sync::atomic::AtomicBool::new(true),
                unreadable: std::sync::atomic::AtomicBool::new(false),
            }
        }
    }

    impl Application for Accepting {
        type Error = std::io::Error;

        fn last_committed(&self) -> Result<Header, Self::Error> {
            Ok(self.tip.lock().clone())
        }

        fn first_retained_height(&self) -> Result<u64, Self::Error> {
            if self.unreadable.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(std::io::Error::other("the disk is gone"));
            }
            Ok(1)
        }

        fn build_block(&self, _: u64, _: u64) -> Result<crate::BuiltBlock, Self::Error> {
            Err(std::io::Error::other("not a proposer"))
        }

        fn verify_block(&self, height: u64, _: &[u8]) -> Result<Verdict, Self::Error> {
            self.verified.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Verdict::Valid(header(height, 100, 0, 1)))
        }

        fn commit(&self, height: u64, _: &[u8], _: &Certificate) -> Result<Header, Self::Error> {
            if !self.durable.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(std::io::Error::other("failed before anything was written"));
            }
            *self.tip.lock() = header(height, 100, 0, 1);
            Err(std::io::Error::other("failed after the block was durable"))
        }

        fn decided_block(&self, _: u64) -> Result<Option<crate::DecidedBlock>, Self::Error> {
            Ok(None)
        }
    }

    /// A host for one validator alone, at round 0 of height 1, over an [`Accepting`]
    /// application, keeping its blocks in a temporary directory (returned, to keep it).
    fn setup() -> (tempfile::TempDir, ValidatorKey, Arc<Accepting>, Host<Accepting>) {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([1; 32]);
        let app = Arc::new(Accepting::new());
        let settings = HostSettings {
            network: NETWORK,
            key: key.clone(),
            validators: ValidatorSet::new([Validator::new(key.public_key(), 1)]),
            timeouts: crate::Timeouts::default().to_engine(),
            max_clock_drift: Duration::from_secs(1),
            max_block_bytes: 1 << 20,
            gate: WorkGate::default(),
            evidence: EvidenceLog::default(),
        };
        let (store, _) = ProposalStore::open(dir.path(), &header(0, 100, 0, 0)).unwrap();
        let (tip, _) = watch::channel(header(0, 100, 0, 0));
        let (progress, _) = watch::channel(Progress::default());
        let (network, _) = mpsc::channel(16);
        let mut host = Host::new(Arc::clone(&app), settings, tip, progress, network, store, Vec::new());
        host.round = Round::new(0);
        (dir, key, app, host)
    }

    /// The network of [`setup`]'s host.
    const NETWORK: NetworkId = NetworkId([7; 32]);

    fn signed_stream(key: &ValidatorKey, round: u32, bytes: &[u8]) -> StreamedBlock {
        signed_stream_on(NETWORK, key, round, bytes)
    }

    fn signed_stream_on(network: NetworkId, key: &ValidatorKey, round: u32, bytes: &[u8]) -> StreamedBlock {
        StreamedBlock {
            height: Height(1),
            round: Round::new(round),
            pol_round: Round::Nil,
            proposer: key.address(),
            bytes: Bytes::copy_from_slice(bytes),
            signature: key.sign(&proposal_stream_bytes(&network, Height(1), key.address(), bytes)),
        }
    }

    #[tokio::test]
    async fn equivocations_reported_with_a_finalized_height_are_recorded() {
        use malachitebft_app_channel::app::types::MisbehaviorEvidence;
        use malachitebft_app_channel::app::types::core::{NilOrVal, SignedMessage, VoteExtensions, VoteType};

        let (_dir, key, _app, mut host) = setup();
        let precommit = |value| {
            let vote = crate::context::Vote {
                vote_type: VoteType::Precommit,
                height: Height(1),
                round: Round::new(0),
                value,
                voter: key.address(),
                extension: None,
            };
            SignedMessage::new(vote, key.sign(b"checked by the engine"))
        };
        let mut evidence = MisbehaviorEvidence { proposals: Default::default(), votes: Default::default() };
        evidence.votes.add(precommit(NilOrVal::Val(BlockHash([1; 32]))), precommit(NilOrVal::Nil));
        let certificate = CommitCertificate {
            height: Height(1),
            round: Round::new(0),
            value_id: BlockHash([1; 32]),
            commit_signatures: Vec::new(),
        };
        let (reply, next) = tokio::sync::oneshot::channel();
        let finalized = AppMsg::Finalized { certificate, extensions: VoteExtensions::new(Vec::new()), evidence, reply };
        host.handle(finalized).await.expect("the loop goes on");
        assert!(next.await.is_ok(), "the engine is told what to do next");
        assert_eq!(host.settings.evidence.total(), 1);
        let seen = &host.settings.evidence.recent()[0];
        assert_eq!((seen.validator, seen.first, seen.second), (key.address(), Some(BlockHash([1; 32])), None));
    }

    #[tokio::test]
    async fn a_block_streamed_on_another_network_gets_no_vote() {
        let (_dir, key, _app, mut host) = setup();
        // The same validator key, the same height and bytes, signed for another network.
        let elsewhere = signed_stream_on(NetworkId([8; 32]), &key, 0, b"a block");
        assert!(host.receive(elsewhere).await.is_none());
        assert!(host.receive(signed_stream(&key, 0, b"a block")).await.is_some());
    }

    #[tokio::test]
    async fn a_commit_that_fails_after_the_block_is_durable_counts_as_committed() {
        let (_dir, key, app, mut host) = setup();
        let value = host.receive(signed_stream(&key, 0, b"a block")).await.expect("valid");
        let certificate = CommitCertificate {
            height: Height(1),
            round: Round::new(0),
            value_id: value.value,
            commit_signatures: Vec::new(),
        };
        host.commit(&certificate).await.expect("the block is committed: the error came after");
        assert_eq!(host.last_committed().height, 1);

        // A commit that failed before anything was written still fails.
        *app.tip.lock() = header(0, 100, 0, 0);
        host.tip.send_replace(header(0, 100, 0, 0));
        app.durable.store(false, std::sync::atomic::Ordering::SeqCst);
        assert!(host.commit(&certificate).await.is_err());
        assert_eq!(host.last_committed().height, 0);
    }

    #[tokio::test]
    async fn a_failed_read_for_a_peer_answers_nothing_to_serve_and_the_loop_goes_on() {
        let (_dir, _, app, mut host) = setup();
        async fn ask(host: &mut Host<Accepting>) -> Height {
            let (reply, answer) = tokio::sync::oneshot::channel();
            host.handle(AppMsg::GetHistoryMinHeight { reply }).await.expect("the loop goes on");
            answer.await.expect("an answer")
        }
        host.tip.send_replace(header(3, 100, 2, 3));
        assert_eq!(ask(&mut host).await, Height(1));
        app.unreadable.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(ask(&mut host).await, Height(4), "above the last committed: nothing to serve");
    }

    #[tokio::test]
    async fn a_proposer_signing_more_blocks_than_rounds_is_not_executed_past_them() {
        let (_dir, key, app, mut host) = setup();
        let blocks: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 8]).collect();
        let accepted = {
            let mut accepted = 0;
            for bytes in &blocks {
                accepted += usize::from(host.receive(signed_stream(&key, 0, bytes)).await.is_some());
            }
            accepted
        };
        let room = 1 + MAX_FUTURE_ROUND_LOOKAHEAD as usize;
        assert_eq!(accepted, room, "one per round up to the lookahead, at round 0");
        assert_eq!(app.verified.load(std::sync::atomic::Ordering::SeqCst), room as u64);
        // A block it already has is still answered (a re-proposal), and a round later there
        // is room for one more.
        assert!(host.receive(signed_stream(&key, 1, &blocks[0])).await.is_some());
        host.round = Round::new(1);
        assert!(host.receive(signed_stream(&key, 1, &blocks[19])).await.is_some());
        assert!(host.receive(signed_stream(&key, 1, &[99; 8])).await.is_none());
    }

    #[tokio::test]
    async fn a_block_replayed_under_other_rounds_is_judged_once_its_bytes_written_once_and_bounded() {
        let (dir, key, app, mut host) = setup();

        let bytes = Bytes::from_static(b"one signed block");
        let streamed = |round: u32| signed_stream(&key, round, &bytes);
        let lookahead = MAX_FUTURE_ROUND_LOOKAHEAD;
        for round in 0..=lookahead {
            let value = host.receive(streamed(round)).await.expect("a round within the lookahead");
            assert_eq!(value.round, Round::new(round));
            assert!(value.validity.is_valid());
        }
        assert!(host.receive(streamed(lookahead + 1)).await.is_none(), "past the engine's lookahead");
        assert!(host.receive(streamed(u32::MAX - 1)).await.is_none());

        assert_eq!(app.verified.load(std::sync::atomic::Ordering::SeqCst), 1, "executed once");
        let kept: Vec<_> = host.proposals.in_round(Height(1), Round::new(3)).collect();
        assert_eq!(kept.len(), 1);
        let first = host.proposals.in_round(Height(1), Round::new(0)).next().unwrap();
        assert_eq!(kept[0].bytes.as_ptr(), first.bytes.as_ptr(), "one copy of the bytes in memory");
        // On disk: the block under each of its rounds, its bytes once.
        let file = std::fs::read(dir.path().join("1.blocks")).unwrap();
        assert_eq!(file.windows(bytes.len()).filter(|w| *w == &bytes[..]).count(), 1, "one copy on disk");
        let (_, saved) = ProposalStore::open(dir.path(), &header(0, 100, 0, 0)).unwrap();
        let rounds: Vec<i64> = saved.iter().map(|b| b.round.as_i64()).collect();
        assert_eq!(rounds, (0..=i64::from(lookahead)).collect::<Vec<_>>());
        assert!(saved.iter().all(|b| b.bytes == bytes && b.bytes.as_ptr() == saved[0].bytes.as_ptr()));
    }

    fn header(height: u64, time: u64, parent: u8, hash: u8) -> Header {
        Header { height, hash: BlockHash([hash; 32]), parent_hash: BlockHash([parent; 32]), time, state_root: [0; 32] }
    }

    #[test]
    fn a_block_time_must_lie_between_its_parent_and_local_time() {
        let tip = header(4, 100, 3, 4);
        assert!(check_header(&header(5, 100, 4, 5), &tip, Height(5), Some(110)).is_ok());
        assert!(check_header(&header(5, 110, 4, 5), &tip, Height(5), Some(110)).is_ok());
        assert!(check_header(&header(5, 99, 4, 5), &tip, Height(5), Some(110)).is_err());
        assert!(check_header(&header(5, 111, 4, 5), &tip, Height(5), Some(110)).is_err());
        // A decided block from sync has no upper bound.
        assert!(check_header(&header(5, 10_000, 4, 5), &tip, Height(5), None).is_ok());
    }

    #[test]
    fn a_block_must_extend_the_last_committed_one() {
        let tip = header(4, 100, 3, 4);
        assert!(check_header(&header(5, 100, 9, 5), &tip, Height(5), None).is_err());
        assert!(check_header(&header(6, 100, 4, 5), &tip, Height(5), None).is_err());
    }
}
