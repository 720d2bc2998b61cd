//! A validator whose peer-to-peer address is taken refuses to start, instead of starting
//! without a network (the engine's own listener gives up with only a log line).

use std::net::TcpListener;
use std::sync::Arc;

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
