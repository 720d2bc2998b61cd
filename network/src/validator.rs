//! A running validator: its node (opened from the genesis document), consensus over it, the
//! gossip of its mempool, and the status its HTTP API reports.

use std::sync::Arc;
use std::time::Duration;

use tidepool_consensus::{Config, Consensus, Header, NetworkId, ValidatorKey, ValidatorSet};
use tidepool_ledger::Hash;
use tidepool_node::{MarketCode, Node, StoreConfig};
use tokio::sync::watch;

use crate::app::{NodeApp, engine_certificate};
use crate::error::NetworkError;
use crate::genesis::GenesisDocument;
use crate::gossip::Gossip;
use crate::home::{NodeHome, NodeSettings};
use crate::status::{StatusProbes, stall_after};

/// Everything a validator starts from.
pub struct ValidatorSpec {
    /// The network's genesis document.
    pub genesis: GenesisDocument,
    /// This validator's key (its public key must be in the genesis validators).
    pub key: ValidatorKey,
    /// Addresses, peers, timeouts.
    pub settings: NodeSettings,
    /// The ledger's store.
    pub store: StoreConfig,
    /// Where the engine's write-ahead log lives.
    pub wal_dir: std::path::PathBuf,
    /// The sample market's code, deployed at genesis if the document asks for it.
    pub market: Option<MarketCode>,
}

/// A running validator; see the module documentation.
pub struct Validator {
    node: Node,
    consensus: Consensus,
    _gossip: Gossip,
    probes: StatusProbes,
}

impl Validator {
    /// Starts the validator of `home`.
    ///
    /// # Errors
    /// As [`Validator::start`], and the home's files.
    pub async fn from_home(home: &NodeHome, market: Option<MarketCode>) -> Result<Validator, NetworkError> {
        let spec = ValidatorSpec {
            genesis: home.genesis()?,
            key: home.key()?,
            settings: home.settings()?,
            store: StoreConfig::RocksDb(home.data_dir()),
            wal_dir: home.wal_dir(),
            market,
        };
        Validator::start(spec).await
    }

    /// Opens the node (building genesis from the document on an empty store; a store holding
    /// another genesis is refused), starts consensus and gossip.
    ///
    /// # Errors
    /// [`NetworkError::Invalid`] when the key is not a genesis validator or the store holds
    /// another chain; node and consensus failures.
    pub async fn start(spec: ValidatorSpec) -> Result<Validator, NetworkError> {
        let ValidatorSpec { genesis, key, settings, store, wal_dir, market } = spec;
        settings.check().map_err(|reason| NetworkError::invalid("node.json", reason))?;
        let validators = genesis.validator_set().map_err(|reason| NetworkError::invalid("genesis.json", reason))?;
        if !validators.validators().iter().any(|v| v.public_key == key.public_key()) {
            return Err(NetworkError::invalid(
                "validator_key.json",
                "this key is not a validator of the genesis document",
            ));
        }
        let mut config = genesis.node_config(store, market.clone());
        if let StoreConfig::RocksDb(path) = &config.store {
            // The genesis check below compiles the market into the same cache.
            config.module_cache_dir = Some(path.join("modules"));
        }
        config.history_blocks = settings.history_blocks;
        let (expected, set) = (genesis.clone(), validators.clone());
        // Opening the store and both checks read the disk: off the async runtime.
        let (node, network_id) = tokio::task::spawn_blocking(move || -> Result<_, NetworkError> {
            let node = Node::open(config)?;
            let genesis_block = check_genesis(&node, &expected, market)?;
            let network_id =
                expected.network_id(genesis_block).map_err(|reason| NetworkError::invalid("genesis.json", reason))?;
            check_signed_for(&node, network_id, &set)?;
            Ok((node, network_id))
        })
        .await
        .map_err(|e| NetworkError::invalid("data", e.to_string()))??;

        let mut consensus_config = Config::new(
            network_id,
            settings.moniker.clone(),
            settings.p2p_listen,
            settings.peers.iter().map(|peer| peer.p2p).collect(),
            wal_dir,
        );
        consensus_config.timeouts = settings.timeouts;
        let address = key.address();
        let consensus = Consensus::start(
            consensus_config,
            key,
            validators,
            Arc::new(NodeApp::new(node.clone(), Duration::from_millis(settings.empty_block_interval_ms))),
        )
        .await?;
        let gossip = Gossip::start(&node, settings.peers.iter().map(|peer| peer.api.clone()).collect());

        let probes = StatusProbes::start(
            &consensus,
            stall_after(&settings.timeouts, Duration::from_millis(settings.empty_block_interval_ms)),
        );
        node.set_network_status(probes.source(&consensus, address.to_string(), gossip.not_gossiped_counter()));
        Ok(Validator { node, consensus, _gossip: gossip, probes })
    }

    /// The node (reads, submissions, the HTTP API's state).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The last committed block's header; `changed().await` on it to follow the chain.
    pub fn tip(&self) -> watch::Receiver<Header> {
        self.consensus.tip()
    }

    /// Stops consensus and gossip and waits for them; the node stays usable for reads.
    pub async fn shutdown(self) {
        drop(self.probes);
        // A proposer may be waiting out its empty-block interval for a transaction.
        self.node.mempool().stop_waiting();
        self.consensus.shutdown().await;
    }
}

/// Refuses a chain whose latest block was decided by signatures made for another network: the
/// same genesis block under another validator set (a `genesis.json` whose validators were
/// edited after the chain started), or a chain decided by a build from before network ids. Its
/// certificates would verify for no peer, so no validator could sync it from this one.
fn check_signed_for(node: &Node, network: NetworkId, validators: &ValidatorSet) -> Result<(), NetworkError> {
    let latest = node.latest_block()?.height;
    // Genesis has no certificate; nor has a block whose seal was pruned with its history.
    let Some(stored) = node.block_certificate(latest)? else { return Ok(()) };
    let verified = engine_certificate(&stored).and_then(|c| c.verify(&network, validators).map_err(|e| e.to_string()));
    verified.map_err(|reason| {
        NetworkError::invalid(
            "data",
            format!(
                "block {latest}'s certificate does not verify for this network ({network}: {reason}): the chain \
                 was decided by another validator set than genesis.json lists, or by a build from before network \
                 ids (see docs/network.md); start from an empty data directory"
            ),
        )
    })
}

/// Refuses a store whose genesis block is not the one `genesis` gives (another network's data
/// directory, or a document changed after the chain started): the expected block is built again
/// in memory and the two headers compared. Returns the genesis block's id.
fn check_genesis(node: &Node, genesis: &GenesisDocument, market: Option<MarketCode>) -> Result<Hash, NetworkError> {
    let found = node.ledger().block(0).map_err(tidepool_node::NodeError::from)?;
    let mut config = genesis.node_config(StoreConfig::Memory, market);
    config.module_cache_dir = node.config().vm.cache_dir.clone().or_else(|| node.config().module_cache_dir.clone());
    let expected = Node::open(config)?.ledger().block(0).map_err(tidepool_node::NodeError::from)?;
    let (found, expected) = (found.map(|h| h.hash()), expected.map(|h| h.hash()));
    if let (Some(found), Some(expected)) = (found, expected)
        && found == expected
    {
        return Ok(found);
    }
    Err(NetworkError::invalid(
        "data",
        format!(
            "the data directory's genesis block ({}) is not the one genesis.json gives ({}): it belongs to \
             another network, or the document changed after the chain started",
            found.map_or("none".into(), |h| h.to_string()),
            expected.map_or("none".into(), |h| h.to_string()),
        ),
    ))
}
