//! A validator's chain on disk is checked against its genesis document when it starts again:
//! a chain whose blocks were decided by signatures made for another network (here: the same
//! genesis block under an edited validator set) is refused, since no peer could sync it.

use std::time::Duration;

use tidepool_consensus::free_local_addresses;
use tidepool_network::{NetworkError, NodeSettings, Validator, ValidatorSpec};
use tidepool_node::StoreConfig;
use tokio::time::Instant;

use crate::cluster::TEST_BUDGET;
use crate::support::{genesis, validator_keys};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_decided_by_another_validator_set_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let key = validator_keys(1).remove(0);
    let ports = free_local_addresses(2).unwrap();
    let settings = NodeSettings {
        moniker: "v0".into(),
        api_listen: ports[0],
        p2p_listen: ports[1],
        peers: Vec::new(),
        timeouts: tidepool_consensus::Timeouts::default(),
        history_blocks: None,
        empty_block_interval_ms: 50,
    };
    let spec = |genesis| ValidatorSpec {
        genesis,
        key: key.clone(),
        settings: settings.clone(),
        store: StoreConfig::RocksDb(dir.path().join("data")),
        wal_dir: dir.path().join("consensus"),
        market: None,
    };
    let document = genesis(std::slice::from_ref(&key), 1, false);

    // One validator alone decides blocks.
    let validator = Validator::start(spec(document.clone())).await.unwrap();
    let mut tip = validator.tip();
    let deadline = Instant::now() + TEST_BUDGET;
    while tip.borrow_and_update().height < 2 {
        assert!(Instant::now() < deadline, "no block decided");
        let _ = tokio::time::timeout(Duration::from_secs(1), tip.changed()).await;
    }
    validator.shutdown().await;

    // The same genesis block, another validator set: another network.
    let mut edited = document.clone();
    edited.validators[0].power = 2;
    match Validator::start(spec(edited)).await {
        Err(NetworkError::Invalid { reason, .. }) => {
            assert!(reason.contains("certificate does not verify for this network"), "{reason}");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a chain decided by another validator set was taken"),
    }

    // The document it started with still opens it, where it stopped.
    let validator = Validator::start(spec(document)).await.unwrap();
    assert!(validator.node().latest_block().unwrap().height >= 2);
    validator.shutdown().await;
}
