//! A validator whose peer-to-peer address is taken refuses to start, instead of starting
//! without a network (the engine's own listener gives up with only a log line); a stopped one
//! gives its address back.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use tidepool_consensus::{Config, Consensus, ConsensusError, Validator, ValidatorKey, ValidatorSet};

use crate::cluster::NETWORK;
use crate::toy::Toy;

#[tokio::test]
async fn a_taken_listen_address_is_an_error_from_start() {
    crate::bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([7; 32]);
        let validators = ValidatorSet::new([Validator::new(key.public_key(), 1)]);
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let config = Config::new(NETWORK, "v0", address, Vec::new(), dir.path().join("wal"));
        let app = Arc::new(Toy::open(&dir.path().join("app")).unwrap());

        match Consensus::start(config, key, validators, app).await {
            Err(ConsensusError::Listen { address: reported, .. }) => assert_eq!(reported, address),
            Err(other) => panic!("the wrong error: {other}"),
            Ok(_) => panic!("a validator started on a port another socket holds"),
        }
        assert!(!dir.path().join("wal/consensus.wal").exists(), "nothing of the engine was started");
    })
    .await;
}

/// A network of one validator, started again and again on the same address.
struct Solo {
    dir: tempfile::TempDir,
    key: ValidatorKey,
    validators: ValidatorSet,
    address: SocketAddr,
    app: Arc<Toy>,
}

impl Solo {
    fn new() -> Solo {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([7; 32]);
        let validators = ValidatorSet::new([Validator::new(key.public_key(), 1)]);
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let app = Arc::new(Toy::open(&dir.path().join("app")).unwrap());
        Solo { dir, key, validators, address, app }
    }

    /// Starts the validator with its WAL in `wal` and waits until it listens (probed by
    /// connecting: a probe that bound the address could make the engine's own bind fail).
    async fn start(&self, wal: &str) -> Consensus {
        let config = Config::new(NETWORK, "v0", self.address, Vec::new(), self.dir.path().join(wal));
        let consensus =
            Consensus::start(config, self.key.clone(), self.validators.clone(), self.app.clone()).await.unwrap();
        while TcpStream::connect(self.address).is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        consensus
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_validator_frees_its_listen_address() {
    crate::bounded(async {
        let solo = Solo::new();
        // Several times over, with the same WAL: the engine's listener outlived a shutdown in
        // about half of them, and its WAL thread sometimes kept the file's lock.
        for start in 0..4 {
            solo.start("wal").await.shutdown().await;
            if let Err(error) = TcpListener::bind(solo.address) {
                panic!("start {start}: {} still held after shutdown: {error}", solo.address);
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_validator_frees_its_listen_address_soon() {
    crate::bounded(async {
        let solo = Solo::new();
        for start in 0..4 {
            // A WAL of its own each time: a dropped engine's WAL thread lets go of the file later.
            // Dropped, not shut down: the engine stops in a task of this runtime.
            drop(solo.start(&format!("wal{start}")).await);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while let Err(error) = TcpListener::bind(solo.address) {
                assert!(tokio::time::Instant::now() < deadline, "start {start}: {} still held: {error}", solo.address);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    })
    .await;
}
