//! A validator key on another network counts for nothing here: every signature names the
//! network, so the same key, validator set and data directory started with another
//! [`NetworkId`] can neither sync this network's blocks (their certificates do not verify for
//! it) nor lend its votes to a quorum (they do not verify for the others).

use std::time::Duration;

use tidepool_consensus::NetworkId;
use tokio::time::sleep;

use crate::bounded;
use crate::cluster::{Cluster, NETWORK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_started_on_another_network_counts_for_nothing() {
    bounded(async {
        let mut cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;

        // Validator 3 starts over from nothing, on another network: the three others go on
        // without it, and it syncs none of their blocks.
        cluster.stop(3).await;
        cluster.wipe(3);
        cluster.move_to_network(3, NetworkId([0x0f; 32]));
        cluster.restart(3).await;
        let top = cluster.heights()[..3].iter().copied().max().unwrap();
        cluster.wait_for(&[0, 1, 2], top + 4, Duration::from_secs(60)).await;
        assert_eq!(cluster.height(3), 0, "a validator on another network synced this one's blocks");

        // With 2 stopped, 0 and 1 have half the power; 3's votes would make three of four, but
        // they are signed for the other network and do not count: nothing commits.
        cluster.stop(2).await;
        // A decision in flight may still land (see quorum_loss.rs); then several rounds' time.
        sleep(Duration::from_secs(3)).await;
        let halted = cluster.heights();
        sleep(Duration::from_secs(8)).await;
        assert_eq!(cluster.heights(), halted, "a height was committed with votes from another network");
        assert_eq!(cluster.height(3), 0);

        // The same validator back on this network (its consensus directory, which names the
        // other network, wiped with its empty chain): it syncs, and 0, 1 and 3 commit again.
        cluster.stop(3).await;
        cluster.wipe(3);
        cluster.move_to_network(3, NETWORK);
        cluster.restart(3).await;
        let top = halted.iter().copied().max().unwrap();
        cluster.wait_for(&[0, 1, 3], top + 2, Duration::from_secs(60)).await;
        cluster.assert_agreement();
        cluster.shutdown().await;
    })
    .await;
}
