//! Tidepool's validators: the [Malachite](https://github.com/circlefin/malachite) BFT engine
//! (Tendermint) driving an [`Application`] through heights, one decided block at a time.
//!
//! # How consensus plugs in
//!
//! The application — Tidepool's node, or a test's toy state machine — implements
//! [`Application`]; [`Consensus::start`] runs the engine for one validator over it. The
//! application promises that execution is deterministic (the same committed state and block
//! give the same [`Header`] on every node, whatever the wall clock says), that building and
//! verifying never change committed state, and that [`Application::commit`] applies exactly the
//! decided block on top of the last committed one. Consensus promises to call `commit` only with
//! a block that more than 2/3 of the voting power precommitted, in height order, with the
//! certificate that proves it. Block bytes are opaque to consensus; what it reads is the
//! [`Header`] (id, parent, time, state root) the application makes of them.
//!
//! The application also names its network ([`Config::network`], a [`NetworkId`] made from
//! everything that sets it apart): every vote, proposal and proposal stream a validator signs
//! covers it, and so does the proof it gives a peer when it connects (a peer of another network
//! is disconnected); a certificate verifies only against it ([`Certificate::verify`]). A key that
//! validates on two networks signs nothing that counts on the other.
//!
//! ## The life of a height
//!
//! 1. **Start.** The engine asks where to start; the loop answers the height after
//!    [`Application::last_committed`], so a restarted validator carries on where its
//!    application stopped (its write-ahead log replays the votes it already cast there).
//! 2. **Propose.** In each round the engine names a proposer (round robin, [`ValidatorSet::proposer`]).
//!    When that is us, the loop calls [`Application::build_block`] with the block time
//!    `max(local clock, parent time)`, answers the block's hash as the value to propose (the
//!    engine signs and gossips a `Proposal` for it), and streams the block's bytes as proposal
//!    parts: `Init`, 64 KiB chunks, and a `Fin` signed by the proposer.
//! 3. **Verify before voting.** Every other validator reassembles the stream, checks the
//!    proposer's signature, and calls [`Application::verify_block`]: the block is executed on
//!    the last committed state and its header must match — a lying state root is
//!    [`Verdict::Invalid`]. The loop adds its own checks: the header extends the last committed
//!    block, and `parent.time ≤ time ≤ local clock + max_clock_drift`. The engine prevotes for
//!    the block only if it is valid; otherwise it prevotes nil and the next round has another
//!    proposer.
//! 4. **Decide and commit.** When more than 2/3 precommit the block, the engine hands the loop
//!    the commit certificate; the loop calls [`Application::commit`] with the block and a
//!    [`Certificate`] to store beside it, then tells the engine to start the next height. If
//!    the commit fails (or the block is not here), the height is restarted and sync fetches it —
//!    unless [`Application::last_committed`] shows the block committed all the same.
//!    Every block the loop built, received or synced is on disk (beside the WAL) before the
//!    engine hears of it, so a validator stopped between its precommit and the commit decides
//!    again from its WAL at start and commits the block from its own copy.
//! 5. **Catch up.** Validators tell each other their height. One that is behind (it was down,
//!    or starts from an empty data directory) asks peers for decided blocks; they answer from
//!    [`Application::decided_block`], the engine checks each certificate, and the loop executes
//!    the block with `verify_block` before the engine decides it and the loop commits it as in 4.
//!
//! Every application call runs on a blocking thread (`tokio::task::spawn_blocking`), one at a
//! time: execution never stalls the engine's networking and timers.
//!
//! Start reading at [`Application`] (`src/app.rs`), then `src/host.rs` (the loop behind
//! [`Consensus`]), `src/context.rs` (the engine's types, [`TidepoolContext`]) and `src/codec.rs`
//! (the wire format, [`WireCodec`]).

mod app;
mod certificate;
mod codec;
mod config;
mod context;
mod error;
mod evidence;
mod host;
mod local;
mod network_id;
mod proposal_store;
mod proposals;
mod signing;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use malachitebft_app_channel::app::engine::network::NetworkMsg;
use malachitebft_app_channel::app::engine::node::NodeRef;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::{
    ConsensusContext, EngineBuilder, EngineHandle, NetworkContext, NetworkIdentity, NetworkRequest, RequestContext,
    Signer, SyncContext, WalContext,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use app::{Application, BuiltBlock, DecidedBlock, Header, Verdict};
pub use certificate::{Certificate, CertificateError, CommitSignature};
pub use codec::{CodecError, WireCodec};
pub use config::{Config, Timeouts};
pub use context::{Address, BlockHash, Height, Proposal, ProposalPart, TidepoolContext, Validator, ValidatorSet, Vote};
pub use error::ConsensusError;
pub use evidence::{Equivocation, EquivocationKind, EvidenceLog};
pub use host::Progress;
pub use local::free_local_addresses;
pub use malachitebft_app_channel::app::types::core::Round;
pub use malachitebft_signing_ed25519::PublicKey;
pub use network_id::NetworkId;
pub use signing::ValidatorKey;

use host::{Host, HostSettings, WorkGate};
use proposal_store::ProposalStore;
use signing::{KeySigner, KeyVerifier};

/// How long [`Consensus::shutdown`] lets the engine's network close its listener and
/// connections before it kills the engine all the same.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// One running validator: the engine (networking, votes, write-ahead log, sync) and the loop
/// that drives the application. Dropping it stops both; [`Consensus::shutdown`] also waits.
pub struct Consensus {
    engine: EngineHandle,
    host: JoinHandle<Result<(), ConsensusError>>,
    tip: watch::Receiver<Header>,
    progress: watch::Receiver<Progress>,
    net_requests: tokio::sync::mpsc::Sender<NetworkRequest>,
    address: Address,
    network: NetworkId,
    /// The engine's write-ahead log.
    wal_file: PathBuf,
    /// Held by the loop's application calls and disk writes while they run.
    gate: WorkGate,
    evidence: EvidenceLog,
    /// Whether [`Consensus::shutdown`] stopped the engine (so dropping it has nothing to stop).
    stopped: bool,
}

impl Consensus {
    /// Starts a validator with `key` among `validators`, over `app`, as `config` says: it
    /// listens, dials its peers, and takes part in consensus from the height after the
    /// application's last committed block.
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the WAL directory cannot be made or the proposed blocks kept
    /// in it cannot be read, [`ConsensusError::OtherNetwork`] when it was written for another
    /// network,
    /// [`ConsensusError::Config`] for an empty validator set, [`ConsensusError::Engine`] when
    /// the engine does not start (its listen address is taken), and
    /// [`ConsensusError::Application`] when the application cannot say what it last committed.
    pub async fn start<A: Application>(
        config: Config,
        key: ValidatorKey,
        validators: ValidatorSet,
        app: Arc<A>,
    ) -> Result<Self, ConsensusError> {
        if validators.validators().is_empty() {
            return Err(ConsensusError::Config("the validator set is empty".into()));
        }
        std::fs::create_dir_all(&config.wal_dir).map_err(|e| ConsensusError::io(&config.wal_dir, e))?;
        config.network.claim(&config.wal_dir)?;
        let wal_file = config.wal_dir.join("consensus.wal");
        config.check_listen_addr().await?;
        let address = key.address();

        let tip = {
            let app = Arc::clone(&app);
            tokio::task::spawn_blocking(move || app.last_committed())
                .await
                .map_err(|e| ConsensusError::Application(e.to_string()))?
                .map_err(|e| ConsensusError::Application(e.to_string()))?
        };

        let (store, saved) = {
            let (dir, tip) = (config.wal_dir.join("proposals"), tip.clone());
            tokio::task::spawn_blocking(move || ProposalStore::open(&dir, &tip))
                .await
                .map_err(|e| ConsensusError::Application(format!("opening the proposed blocks panicked: {e}")))??
        };

        // The libp2p identity is the validator key; the proof tells peers which validator
        // stands behind a connection.
        let keypair = key.libp2p_keypair();
        let signer = KeySigner { key: key.clone(), network: config.network };
        let proof = signer
            .sign_validator_proof(key.public_key().as_bytes().to_vec(), keypair.public().to_peer_id().to_bytes())
            .await
            .map_err(|e| ConsensusError::Key(e.to_string()))?;
        let proof = WireCodec.encode(&proof).map_err(|e| ConsensusError::Key(e.to_string()))?;
        let identity = NetworkIdentity::new_validator(config.moniker.clone(), keypair, address.to_string(), proof);

        let (channels, engine) = EngineBuilder::new(TidepoolContext, config.to_engine())
            .with_default_wal(WalContext::new(wal_file.clone(), WireCodec))
            .with_default_network(NetworkContext::new(identity, WireCodec))
            .with_default_consensus(ConsensusContext::new_validator(
                address,
                Box::new(KeyVerifier { network: config.network }),
                Box::new(signer),
            ))
            .with_default_sync(SyncContext::new(WireCodec))
            .with_default_request(RequestContext::new(16))
            .build()
            .await
            .map_err(|e| ConsensusError::Engine(e.to_string()))?;

        let (tip_sender, tip) = watch::channel(tip);
        let (progress_sender, progress) = watch::channel(Progress { round: -1, ..Progress::default() });
        let settings = HostSettings {
            network: config.network,
            key,
            validators,
            timeouts: config.timeouts.to_engine(),
            max_clock_drift: config.max_clock_drift,
            max_block_bytes: config.max_block_bytes,
            gate: WorkGate::default(),
            evidence: EvidenceLog::default(),
        };
        let gate = Arc::clone(&settings.gate);
        let evidence = settings.evidence.clone();
        let host = Host::new(app, settings, tip_sender, progress_sender, channels.network, store, saved);
        let host = tokio::spawn(host.run(channels.consensus));
        Ok(Self {
            engine,
            host,
            tip,
            progress,
            net_requests: channels.net_requests,
            address,
            network: config.network,
            wal_file,
            gate,
            evidence,
            stopped: false,
        })
    }

    /// This validator's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The network it takes part in.
    pub fn network(&self) -> NetworkId {
        self.network
    }

    /// The equivocations (two conflicting votes or proposals by one validator for one step)
    /// the engine has reported since this validator started.
    pub fn evidence(&self) -> EvidenceLog {
        self.evidence.clone()
    }

    /// The last committed block's header, updated after every commit: `changed().await` on it
    /// to follow the chain.
    pub fn tip(&self) -> watch::Receiver<Header> {
        self.tip.clone()
    }

    /// Where consensus is: the height being decided, its round, whether it is catching up;
    /// `borrow()` it for now, `changed().await` to follow it.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// A handle that asks the network how many peers this validator has.
    pub fn peers(&self) -> PeerCount {
        PeerCount(self.net_requests.clone())
    }

    /// Stops the engine and the loop and waits for both; the listen address and the WAL are
    /// free when it returns. An application call or a block write in progress (a commit)
    /// completes first: nothing changes once this returns, and the application is never left
    /// with half a block.
    pub async fn shutdown(mut self) {
        stop_engine(&self.engine.actor).await;
        self.stopped = true;
        wait_for_wal_release(&self.wal_file).await;
        self.engine.handle.abort();
        let _ = (&mut self.engine.handle).await;
        self.host.abort();
        let _ = (&mut self.host).await;
        // Aborting the loop does not stop a call already on a blocking thread (a commit, a
        // block being written): wait for it, so that nothing changes once this returns.
        let _ = self.gate.lock().await;
    }
}

/// Asks a validator's network how many peers it is connected to; see [`Consensus::peers`].
#[derive(Clone)]
pub struct PeerCount(tokio::sync::mpsc::Sender<NetworkRequest>);

impl PeerCount {
    /// The number of connected peers, or `None` when the network does not answer (stopped).
    pub async fn get(&self) -> Option<usize> {
        let dump = NetworkRequest::dump_state(&self.0).await.ok()??;
        Some(dump.peers.len())
    }

    /// How many of them proved which validator key stands behind them (a peer of another
    /// network never does, nor one whose proof has not arrived yet), or `None` as above.
    pub async fn proven(&self) -> Option<usize> {
        let dump = NetworkRequest::dump_state(&self.0).await.ok()??;
        Some(dump.peers.values().filter(|peer| peer.consensus_public_key.is_some()).count())
    }
}

/// Stops the engine's actors, the network first and on its own: a killed actor runs no
/// clean-up, and the network's is what ends its libp2p task, which otherwise keeps listening on
/// the validator's address (and holding its peers' connections) for as long as the runtime
/// lives. Stopping all the actors at once would not do: the first to stop makes the engine's
/// supervisor stop, which kills the others, the network among them.
async fn stop_engine(engine: &NodeRef) {
    let network = engine
        .get_children()
        .into_iter()
        .find(|actor| actor.is_message_type_of::<NetworkMsg<TidepoolContext>>() == Some(true));
    if let Some(network) = network {
        let _ = network.stop_and_wait(Some("shutdown".into()), Some(SHUTDOWN_GRACE)).await;
    }
    let _ = engine.kill_and_wait(None).await;
}

/// Waits, at most [`SHUTDOWN_GRACE`], until the engine's WAL thread has closed `wal_file`. The
/// thread outlives its actor (stopping the actor only asks it to end) and holds an exclusive
/// lock on the file, which a validator started again takes first.
async fn wait_for_wal_release(wal_file: &Path) {
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    loop {
        let Ok(file) = std::fs::File::open(wal_file) else { return };
        match file.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            // Free (the lock goes with `file`), or not ours to wait for.
            _ => return,
        }
    }
}

impl Drop for Consensus {
    /// Without [`Consensus::shutdown`]: the engine is stopped as there, in a task of the
    /// current runtime, and the loop aborted. Dropped outside a runtime, the engine can only be
    /// killed, and its network task keeps the listener until its runtime ends.
    fn drop(&mut self) {
        if !self.stopped {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn({
                    let engine = self.engine.actor.clone();
                    async move { stop_engine(&engine).await }
                })),
                Err(_) => self.engine.actor.kill(),
            }
        }
        self.host.abort();
    }
}
