//! A validator's configuration: where it listens, whom it dials, where its write-ahead log
//! lives, and the timeouts; and the engine configuration made from it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig, P2pConfig, PubSubProtocol, ValuePayload, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use serde::{Deserialize, Serialize};
use tokio::net::TcpSocket;

use crate::error::ConsensusError;
use crate::network_id::NetworkId;

/// How long each step of a round may wait, and how much longer each later round waits.
///
/// The defaults are sized for a 2-core machine running several validators: a proposer has 3 s
/// to build, stream and get its block executed by the others before they give up on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// Waiting for the round's proposal.
    #[serde(with = "millis")]
    pub propose: Duration,
    /// Waiting for more prevotes once 2/3 of them are in, but split.
    #[serde(with = "millis")]
    pub prevote: Duration,
    /// Waiting for more precommits once 2/3 of them are in, but split.
    #[serde(with = "millis")]
    pub precommit: Duration,
    /// Added to each of the above per round, so a slow network eventually fits.
    #[serde(with = "millis")]
    pub per_round: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            propose: Duration::from_secs(3),
            prevote: Duration::from_secs(1),
            precommit: Duration::from_secs(1),
            per_round: Duration::from_millis(500),
        }
    }
}

impl Timeouts {
    pub(crate) fn to_engine(self) -> LinearTimeouts {
        LinearTimeouts {
            propose: self.propose,
            propose_delta: self.per_round,
            prevote: self.prevote,
            prevote_delta: self.per_round,
            precommit: self.precommit,
            precommit_delta: self.per_round,
            // Re-send our votes if a round stalls for as long as all its steps together.
            rebroadcast: self.propose + self.prevote + self.precommit,
            max_timeout: Duration::from_secs(60),
        }
    }
}

/// One validator's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The network this validator takes part in, named in everything it signs and required in
    /// everything it verifies.
    pub network: NetworkId,
    /// A name for logs and metrics.
    pub moniker: String,
    /// Where to accept connections from the other validators (TCP).
    pub listen_addr: SocketAddr,
    /// The other validators' `listen_addr`s, dialled and redialled for as long as it runs.
    pub peers: Vec<SocketAddr>,
    /// The engine's write-ahead log lives here: the votes and proposals of the current height,
    /// so a restarted validator never signs two different things for one step; and, in
    /// `proposals/`, the blocks proposed for the heights not yet committed, so it can commit the
    /// block it voted for.
    pub wal_dir: PathBuf,
    /// Round timeouts.
    pub timeouts: Timeouts,
    /// How far ahead of the local clock a proposed block's time may be and still get a vote.
    #[serde(with = "millis")]
    pub max_clock_drift: Duration,
    /// How often to tell peers our height, and so learn who is ahead (value sync).
    #[serde(with = "millis")]
    pub sync_status_interval: Duration,
    /// How long to wait for a peer's answer to a sync request before asking another.
    #[serde(with = "millis")]
    pub sync_request_timeout: Duration,
    /// The largest block a proposal stream may carry; bigger streams are dropped unread.
    pub max_block_bytes: usize,
}

impl Config {
    /// A configuration for `network` with the default timeouts, listening on `listen_addr`,
    /// dialling `peers`.
    pub fn new(
        network: NetworkId,
        moniker: impl Into<String>,
        listen_addr: SocketAddr,
        peers: Vec<SocketAddr>,
        wal_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            network,
            moniker: moniker.into(),
            listen_addr,
            peers,
            wal_dir: wal_dir.into(),
            timeouts: Timeouts::default(),
            max_clock_drift: Duration::from_secs(5),
            sync_status_interval: Duration::from_secs(1),
            sync_request_timeout: Duration::from_secs(5),
            // Well above what a block of the node's transaction limits reaches; below what a
            // peer could make us buffer for every open stream without noticing.
            max_block_bytes: 16 << 20,
        }
    }

    /// Fails if `listen_addr` cannot be listened on now. The engine's network task binds it
    /// later and, if it cannot, logs an error and stops: the validator would answer its API and
    /// never join consensus (nor dial anyone). Binding it once here first turns the usual cause,
    /// a port another process holds, into an error from [`crate::Consensus::start`].
    ///
    /// The check binds *without* `SO_REUSEPORT`, which libp2p sets on its own listener: on
    /// Linux two sockets that both set it share a port, so a second validator started on a
    /// port the first one holds (two testnets on the default ports, a copied home) would bind
    /// too, and the kernel would split the peers' connections between the two. A bind without
    /// it fails while any other socket listens there. A validator of this process that was
    /// just stopped may still hold the port for a moment (its engine's task closes its
    /// listener), so an address in use is tried again for up to [`LISTEN_CHECK_PATIENCE`]
    /// before it is refused. The socket is closed at once.
    pub(crate) async fn check_listen_addr(&self) -> Result<(), ConsensusError> {
        let deadline = tokio::time::Instant::now() + LISTEN_CHECK_PATIENCE;
        loop {
            match self.try_bind() {
                Err(error)
                    if error.kind() == std::io::ErrorKind::AddrInUse && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                result => return result.map_err(|source| ConsensusError::Listen { address: self.listen_addr, source }),
            }
        }
    }

    /// One bind of `listen_addr` with `SO_REUSEADDR` (a port in `TIME_WAIT` is free), closed at
    /// once.
    fn try_bind(&self) -> std::io::Result<()> {
        let socket = if self.listen_addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }?;
        socket.set_reuseaddr(true)?;
        socket.bind(self.listen_addr)
    }

    pub(crate) fn to_engine(&self) -> EngineConfig {
        let p2p = P2pConfig {
            listen_addr: tcp_multiaddr(self.listen_addr),
            persistent_peers: self.peers.iter().copied().map(tcp_multiaddr).collect(),
            protocol: PubSubProtocol::default(),
            ..P2pConfig::default()
        };
        EngineConfig {
            moniker: self.moniker.clone(),
            consensus: ConsensusConfig {
                p2p,
                // The signed proposal carries the block hash; the block travels as parts.
                value_payload: ValuePayload::ProposalAndParts,
                ..ConsensusConfig::default()
            },
            value_sync: ValueSyncConfig {
                enabled: true,
                status_update_interval: self.sync_status_interval,
                request_timeout: self.sync_request_timeout,
                ..ValueSyncConfig::default()
            },
        }
    }
}

/// How long [`Config::check_listen_addr`] waits for a port in use to be let go.
pub(crate) const LISTEN_CHECK_PATIENCE: Duration = Duration::from_secs(2);

fn tcp_multiaddr(address: SocketAddr) -> Multiaddr {
    let ip = match address.ip() {
        std::net::IpAddr::V4(ip) => format!("/ip4/{ip}"),
        std::net::IpAddr::V6(ip) => format!("/ip6/{ip}"),
    };
    format!("{ip}/tcp/{}", address.port()).parse().expect("an IP and port make a multiaddr")
}

/// The engine's configuration, made by [`Config::to_engine`].
#[derive(Clone, Debug)]
pub(crate) struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// Durations as whole milliseconds in configuration files.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listen_address_in_use_is_an_error() {
        // As another validator's engine holds its port: with SO_REUSEPORT, which lets any other
        // socket that sets it bind the same port.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.set_reuseport(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let taken = socket.listen(16).unwrap();
        let address = taken.local_addr().unwrap();
        let config = Config::new(NetworkId([0; 32]), "v0", address, Vec::new(), "/tmp/wal");
        match config.check_listen_addr().await {
            Err(ConsensusError::Listen { address: reported, source }) => {
                assert_eq!(reported, address);
                assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
            }
            other => panic!("a taken port must be refused: {other:?}"),
        }
        drop(taken);
        config.check_listen_addr().await.expect("a free port is accepted, and left free");
        config.check_listen_addr().await.expect("checking does not keep the port");
    }

    #[tokio::test]
    async fn a_port_let_go_while_waiting_is_accepted() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let config = Config::new(NetworkId([0; 32]), "v0", address, Vec::new(), "/tmp/wal");
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(taken);
        });
        config.check_listen_addr().await.expect("the port is free within the patience");
        release.await.unwrap();
    }

    #[test]
    fn addresses_become_tcp_multiaddrs() {
        let config = Config::new(
            NetworkId([0; 32]),
            "v0",
            "127.0.0.1:26656".parse().unwrap(),
            vec!["127.0.0.1:26657".parse().unwrap()],
            "/tmp/wal",
        );
        let engine = config.to_engine();
        assert_eq!(engine.consensus.p2p.listen_addr.to_string(), "/ip4/127.0.0.1/tcp/26656");
        assert_eq!(engine.consensus.p2p.persistent_peers[0].to_string(), "/ip4/127.0.0.1/tcp/26657");
    }

    #[test]
    fn the_config_file_round_trips() {
        let config = Config::new(NetworkId([0; 32]), "v0", "127.0.0.1:1".parse().unwrap(), vec![], "wal");
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("\"propose\":3000"), "{json}");
        assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), config);
    }
}
