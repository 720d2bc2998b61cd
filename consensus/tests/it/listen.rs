//! A validator whose peer-to-peer address is taken refuses to start, instead of starting
//! without a network (the engine's own listener gives up with only a log line); a stopped one
//! gives its address back.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use tidepool_consensus::{Config, Consensus, ConsensusError, Validator, ValidatorKey, ValidatorSet};

use crate::toy::Toy;

#[tokio::test]
async fn a_taken_listen_address_is_an_error_from_start() {
    crate::bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([7; 32]);
        let validators = ValidatorSet::new([Validator::new(key.public_key(), 1)]);
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let config = Config::new("v0", address, Vec::new(), dir.path().join("wal"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_validator_frees_its_listen_address() {
    crate::bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([7; 32]);
        let validators = ValidatorSet::new([Validator::new(key.public_key(), 1)]);
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let app = Arc::new(Toy::open(&dir.path().join("app")).unwrap());
        // Several times over, with the same WAL: the engine's listener outlived a shutdown in
        // about half of them, and its WAL thread sometimes kept the file's lock.
        for start in 0..4 {
            let config = Config::new("v0", address, Vec::new(), dir.path().join("wal"));
            let consensus = Consensus::start(config, key.clone(), validators.clone(), app.clone()).await.unwrap();
            // Listening (probed by connecting: a probe that bound the address could make the
            // engine's own bind fail).
            while TcpStream::connect(address).is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            consensus.shutdown().await;
            if let Err(error) = TcpListener::bind(address) {
                panic!("start {start}: {address} still held after shutdown: {error}");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_validator_frees_its_listen_address_soon() {
    crate::bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let key = ValidatorKey::from_seed([7; 32]);
        let validators = ValidatorSet::new([Validator::new(key.public_key(), 1)]);
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let app = Arc::new(Toy::open(&dir.path().join("app")).unwrap());
        for start in 0..4 {
            // A WAL of its own each time: a dropped engine's WAL thread lets go of the file later.
            let config = Config::new("v0", address, Vec::new(), dir.path().join(format!("wal{start}")));
            let consensus = Consensus::start(config, key.clone(), validators.clone(), app.clone()).await.unwrap();
            while TcpStream::connect(address).is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Dropped, not shut down: the engine stops in a task of this runtime.
            drop(consensus);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while let Err(error) = TcpListener::bind(address) {
                assert!(tokio::time::Instant::now() < deadline, "start {start}: {address} still held: {error}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    })
    .await;
}
