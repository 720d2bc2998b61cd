//! A network of validators in this test process, on 127.0.0.1, each over its own [`Toy`] in its
//! own directory: start, stop, wipe, restart, wait for heights, compare chains.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tidepool_consensus::{
    Config, Consensus, ConsensusError, Header, NetworkId, Timeouts, Validator, ValidatorKey, ValidatorSet,
    free_local_addresses,
};
use tokio::time::{Instant, sleep};

use crate::toy::Toy;

/// The longest any one test may run; every wait below is bounded by it.
pub(crate) const TEST_BUDGET: Duration = Duration::from_secs(150);

/// Logs to the test's output when `RUST_LOG` asks for them.
fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

struct Running {
    consensus: Consensus,
    app: Arc<Toy>,
}

/// The network the cluster's validators take part in.
pub(crate) const NETWORK: NetworkId = NetworkId([0x7e; 32]);

/// Validators `0..n`, all of equal voting power.
pub(crate) struct Cluster {
    dir: TempDir,
    keys: Vec<ValidatorKey>,
    validators: ValidatorSet,
    /// The network each validator starts on: [`NETWORK`] unless a test moved it.
    networks: Vec<NetworkId>,
    timeouts: Timeouts,
    addresses: Vec<SocketAddr>,
    running: Vec<Option<Running>>,
    /// The application of each validator, kept after it stops, to compare what it committed.
    apps: Vec<Arc<Toy>>,
}

impl Cluster {
    /// Starts `n` validators and returns once all are started (not yet connected).
    pub(crate) async fn start(n: usize) -> Self {
        Self::start_with(n, Timeouts::default()).await
    }

    /// [`Cluster::start`] with these round timeouts.
    pub(crate) async fn start_with(n: usize, timeouts: Timeouts) -> Self {
        init_logs();
        let keys: Vec<_> = (0..n).map(|i| ValidatorKey::from_seed([i as u8 + 1; 32])).collect();
        let validators = ValidatorSet::new(keys.iter().map(|k| Validator::new(k.public_key(), 1)));
        let mut cluster = Self {
            dir: tempfile::tempdir().unwrap(),
            addresses: free_local_addresses(n).unwrap(),
            running: (0..n).map(|_| None).collect(),
            networks: vec![NETWORK; n],
            timeouts,
            apps: Vec::new(),
            keys,
            validators,
        };
        for i in 0..n {
            let app = Arc::new(Toy::open(&cluster.home(i)).unwrap());
            cluster.apps.push(app);
        }
        for i in 0..n {
            cluster.restart(i).await;
        }
        cluster
    }

    fn home(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}"))
    }

    /// The validator set.
    pub(crate) fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// Makes validator `i`, stopped, start on `network` from now on: same key, same validator
    /// set, same data directory.
    pub(crate) fn move_to_network(&mut self, i: usize, network: NetworkId) {
        assert!(self.running[i].is_none(), "validator {i} is running");
        self.networks[i] = network;
    }

    /// Validator `i`'s application (still there after it stopped).
    pub(crate) fn app(&self, i: usize) -> &Arc<Toy> {
        &self.apps[i]
    }

    /// Validator `i`'s index in the sorted validator set.
    pub(crate) fn index_of_proposer(&self, proposer: &Validator) -> usize {
        self.keys.iter().position(|k| k.address() == proposer.address).unwrap()
    }

    /// Starts validator `i` again, over its data directory as it is (re-opening its chain). A
    /// killed validator's listen address and write-ahead log are let go in the background:
    /// starting is tried again until they are, for a few seconds.
    pub(crate) async fn restart(&mut self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.start_once(i).await {
                Ok(()) => return,
                Err(_) if Instant::now() < deadline => sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("validator {i} does not start: {e}"),
            }
        }
    }

    /// Starts validator `i` over its data directory as it is, once: what
    /// [`Consensus::start`] answers.
    pub(crate) async fn start_once(&mut self, i: usize) -> Result<(), ConsensusError> {
        assert!(self.running[i].is_none(), "validator {i} is running");
        let peers: Vec<_> = self.addresses.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| *a).collect();
        let mut config =
            Config::new(self.networks[i], format!("v{i}"), self.addresses[i], peers, self.home(i).join("wal"));
        config.timeouts = self.timeouts;
        let app = Arc::new(Toy::open(&self.home(i)).unwrap());
        self.apps[i] = Arc::clone(&app);
        let consensus =
            Consensus::start(config, self.keys[i].clone(), self.validators.clone(), Arc::clone(&app)).await?;
        self.running[i] = Some(Running { consensus, app });
        Ok(())
    }

    /// Kills validator `i` as a crash would: nothing waits for it, not even an application
    /// call in progress.
    pub(crate) fn kill(&mut self, i: usize) {
        let running = self.running[i].take().expect("validator is running");
        drop(running.consensus);
    }

    /// Stops validator `i` and waits until it has.
    pub(crate) async fn stop(&mut self, i: usize) {
        let running = self.running[i].take().expect("validator is running");
        running.consensus.shutdown().await;
        drop(running.app);
    }

    /// Deletes validator `i`'s data directory (chain and WAL); it must be stopped.
    pub(crate) fn wipe(&mut self, i: usize) {
        assert!(self.running[i].is_none(), "validator {i} is running");
        std::fs::remove_dir_all(self.home(i)).unwrap();
        self.apps[i] = Arc::new(Toy::open(&self.home(i)).unwrap());
    }

    /// How many of validator `i`'s peers proved their validator key (see `PeerCount::proven`).
    pub(crate) async fn proven_peers(&self, i: usize) -> usize {
        let running = self.running[i].as_ref().expect("validator is running");
        running.consensus.peers().proven().await.expect("its network answers")
    }

    /// Deletes validator `i`'s consensus directory (its WAL and kept blocks), keeping its chain;
    /// it must be stopped.
    pub(crate) fn wipe_wal(&mut self, i: usize) {
        assert!(self.running[i].is_none(), "validator {i} is running");
        std::fs::remove_dir_all(self.home(i).join("wal")).unwrap();
    }

    /// The heights validator `i` keeps proposed blocks of on disk.
    pub(crate) fn heights_with_kept_blocks(&self, i: usize) -> Vec<u64> {
        let dir = self.home(i).join("wal").join("proposals");
        let mut heights: Vec<u64> = std::fs::read_dir(dir)
            .map(|entries| {
                entries.filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".blocks")?.parse().ok()).collect()
            })
            .unwrap_or_default();
        heights.sort_unstable();
        heights
    }

    /// The committed height of validator `i`.
    pub(crate) fn height(&self, i: usize) -> u64 {
        self.apps[i].headers().last().unwrap().height
    }

    /// The committed heights of all validators.
    pub(crate) fn heights(&self) -> Vec<u64> {
        (0..self.apps.len()).map(|i| self.height(i)).collect()
    }

    /// Waits until every validator in `which` has committed `height`; panics (with every
    /// validator's height) after `within`.
    pub(crate) async fn wait_for(&self, which: &[usize], height: u64, within: Duration) {
        let deadline = Instant::now() + within;
        while which.iter().any(|&i| self.height(i) < height) {
            assert!(
                Instant::now() < deadline,
                "validators {which:?} did not all reach height {height} within {within:?}: heights {:?}",
                self.heights()
            );
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that no two validators committed different blocks at one height, and returns
    /// the longest chain's headers.
    pub(crate) fn assert_agreement(&self) -> Vec<Header> {
        let chains: Vec<Vec<Header>> = self.apps.iter().map(|app| app.headers()).collect();
        let longest = chains.iter().max_by_key(|c| c.len()).unwrap().clone();
        for (i, chain) in chains.iter().enumerate() {
            for header in chain {
                assert_eq!(
                    header, &longest[header.height as usize],
                    "validator {i} committed another block at height {}",
                    header.height
                );
            }
        }
        longest
    }

    /// Stops every validator.
    pub(crate) async fn shutdown(mut self) {
        for i in 0..self.running.len() {
            if self.running[i].is_some() {
                self.stop(i).await;
            }
        }
    }
}
