//! Validators of one network in this test process, each with its node in memory and its HTTP
//! API on 127.0.0.1 (transactions gossip between the APIs), started and stopped at will.

use std::net::SocketAddr;
use std::time::Duration;

use tempfile::TempDir;
use tidepool_consensus::{ValidatorKey, free_local_addresses};
use tidepool_network::{GenesisDocument, NodeSettings, Peer, Validator, ValidatorSpec};
use tidepool_node::{Node, StoreConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

use crate::support::{genesis, validator_keys};

/// The longest any one test may run; every wait below is bounded by it.
pub(crate) const TEST_BUDGET: Duration = Duration::from_secs(120);

struct Running {
    validator: Validator,
    stop_api: oneshot::Sender<()>,
    api: JoinHandle<()>,
}

/// `n` validators of equal power.
pub(crate) struct Cluster {
    dir: TempDir,
    genesis: GenesisDocument,
    keys: Vec<ValidatorKey>,
    settings: Vec<NodeSettings>,
    running: Vec<Option<Running>>,
    /// Each validator's node, kept after it stops, to compare what it committed.
    pub(crate) nodes: Vec<Option<Node>>,
}

impl Cluster {
    /// Starts `n` validators of a network whose genesis funds `accounts` dev accounts.
    pub(crate) async fn start(n: usize, accounts: u32) -> Cluster {
        let mut cluster = Cluster::new(n, accounts);
        for i in 0..n {
            cluster.start_one(i).await;
        }
        cluster
    }

    /// The same network with none of its validators started yet ([`Cluster::start_one`]).
    pub(crate) fn new(n: usize, accounts: u32) -> Cluster {
        let keys = validator_keys(n);
        let mut ports = free_local_addresses(2 * n).unwrap();
        let p2p: Vec<SocketAddr> = ports.split_off(n);
        let apis: Vec<SocketAddr> = ports;
        let settings = (0..n)
            .map(|i| NodeSettings {
                moniker: format!("v{i}"),
                api_listen: apis[i],
                p2p_listen: p2p[i],
                peers: (0..n)
                    .filter(|j| *j != i)
                    .map(|j| Peer { p2p: p2p[j], api: format!("http://{}", apis[j]) })
                    .collect(),
                timeouts: tidepool_consensus::Timeouts::default(),
                history_blocks: None,
                empty_block_interval_ms: 200,
            })
            .collect();
        Cluster {
            dir: tempfile::tempdir().unwrap(),
            genesis: genesis(&keys, accounts, false),
            keys,
            settings,
            running: (0..n).map(|_| None).collect(),
            nodes: vec![None; n],
        }
    }

    /// Sets every validator's round timeouts, for those started after.
    pub(crate) fn set_timeouts(&mut self, timeouts: tidepool_consensus::Timeouts) {
        self.settings.iter_mut().for_each(|settings| settings.timeouts = timeouts);
    }

    /// The network's genesis document.
    pub(crate) fn genesis(&self) -> &GenesisDocument {
        &self.genesis
    }

    /// Validator `i`'s settings.
    pub(crate) fn settings(&self, i: usize) -> &NodeSettings {
        &self.settings[i]
    }

    /// Starts validator `i` (again) on a fresh in-memory node.
    pub(crate) async fn start_one(&mut self, i: usize) {
        let spec = ValidatorSpec {
            genesis: self.genesis.clone(),
            key: self.keys[i].clone(),
            settings: self.settings[i].clone(),
            store: StoreConfig::Memory,
            wal_dir: self.dir.path().join(format!("wal{i}")),
            market: None,
        };
        let validator = Validator::start(spec).await.unwrap();
        let listener = tokio::net::TcpListener::bind(self.settings[i].api_listen).await.unwrap();
        let (stop_api, stopped) = oneshot::channel::<()>();
        let node = validator.node().clone();
        let api = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            tidepool_api::server::serve_with(listener, node, None, shutdown).await.unwrap();
        });
        self.nodes[i] = Some(validator.node().clone());
        self.running[i] = Some(Running { validator, stop_api, api });
    }

    /// Stops validator `i` (its node stays readable in [`Cluster::nodes`]).
    pub(crate) async fn stop(&mut self, i: usize) {
        if let Some(running) = self.running[i].take() {
            let _ = running.stop_api.send(());
            let _ = running.api.await;
            running.validator.shutdown().await;
        }
    }

    /// Validator `i`'s node.
    pub(crate) fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("started")
    }

    /// Validator `i`'s API base URL.
    pub(crate) fn api(&self, i: usize) -> String {
        format!("http://{}", self.settings[i].api_listen)
    }

    /// Waits until every running validator has committed `height`.
    pub(crate) async fn wait_for_height(&self, height: u64) {
        let deadline = Instant::now() + TEST_BUDGET;
        loop {
            let heights: Vec<u64> = (0..self.running.len())
                .filter(|i| self.running[*i].is_some())
                .map(|i| self.node(i).latest_block().unwrap().height)
                .collect();
            if heights.iter().all(|h| *h >= height) {
                return;
            }
            assert!(Instant::now() < deadline, "height {height} not reached in time: {heights:?}");
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops everything.
    pub(crate) async fn shutdown(mut self) {
        for i in 0..self.running.len() {
            self.stop(i).await;
        }
    }
}
