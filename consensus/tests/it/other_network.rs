//! A validator key on another network counts for nothing here: every signature names the
//! network, so the same key, validator set and chain started with another [`NetworkId`] is
//! disconnected by the others (its handshake proof does not verify for them), can neither lend
//! its votes to a quorum nor sync this network's blocks; and its consensus directory, named for
//! the other network, is refused back here.

use std::time::Duration;

use tidepool_consensus::{ConsensusError, NetworkId, Timeouts};
use tokio::time::{Instant, sleep};

use crate::bounded;
use crate::cluster::{Cluster, NETWORK};

/// The network validator 3 is moved to.
const ELSEWHERE: NetworkId = NetworkId([0x0f; 32]);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_started_on_another_network_counts_for_nothing() {
    bounded(async {
        // Short rounds: a round without a quorum times out in well under a second, so the
        // eight seconds below would see a commit many times over if one could happen.
        let timeouts = Timeouts {
            propose: Duration::from_millis(400),
            prevote: Duration::from_millis(150),
            precommit: Duration::from_millis(150),
            per_round: Duration::from_millis(50),
        };
        let mut cluster = Cluster::start_with(4, timeouts).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;
        // On one network, every validator proves its key to every other.
        let deadline = Instant::now() + Duration::from_secs(30);
        while cluster.proven_peers(3).await < 3 {
            assert!(Instant::now() < deadline, "validator 3 never held three proven peers");
            sleep(Duration::from_millis(100)).await;
        }

        // 0, 1 and 3 go on without 2; then 3 stops too, and 0 and 1 (half the power) halt.
        cluster.stop(2).await;
        let top = cluster.heights().into_iter().max().unwrap();
        cluster.wait_for(&[0, 1, 3], top + 2, Duration::from_secs(60)).await;
        cluster.stop(3).await;
        // A decision in flight may still land (see quorum_loss.rs).
        sleep(Duration::from_secs(3)).await;

        // 3 back with its chain (at their height, or one short) but on another network (its
        // consensus directory, named for this one, left behind): its votes would make three of
        // four, but they are signed for the other network and do not count. Nothing commits.
        cluster.wipe_wal(3);
        cluster.move_to_network(3, ELSEWHERE);
        cluster.restart(3).await;
        let halted = cluster.heights();
        // Its handshake proof names the other network too: 0 and 1 disconnect it each time it
        // dials them, and neither side ever holds a proven peer (on this network, above, 3 did).
        for _ in 0..16 {
            sleep(Duration::from_millis(500)).await;
            assert_eq!(cluster.proven_peers(3).await, 0, "a peer of another network proved its key");
            assert!(cluster.proven_peers(0).await <= 1, "0 holds a proven peer besides 1");
        }
        assert_eq!(cluster.heights(), halted, "a height was committed with votes made for another network");

        // Its consensus directory is the other network's now: refused back here.
        cluster.stop(3).await;
        cluster.move_to_network(3, NETWORK);
        assert!(matches!(cluster.start_once(3).await, Err(ConsensusError::OtherNetwork { .. })));

        // From nothing on the other network, while 0, 1 and 2 go on: it syncs none of their
        // blocks.
        cluster.wipe(3);
        cluster.move_to_network(3, ELSEWHERE);
        cluster.restart(3).await;
        cluster.restart(2).await;
        let top = halted.iter().copied().max().unwrap();
        cluster.wait_for(&[0, 1, 2], top + 4, Duration::from_secs(60)).await;
        assert_eq!(cluster.height(3), 0, "a validator on another network synced this one's blocks");

        // The same validator from nothing on this network: it syncs, and all four commit.
        cluster.stop(3).await;
        cluster.wipe(3);
        cluster.move_to_network(3, NETWORK);
        cluster.restart(3).await;
        let top = cluster.heights().into_iter().max().unwrap();
        cluster.wait_for(&[0, 1, 2, 3], top + 2, Duration::from_secs(60)).await;
        cluster.assert_agreement();
        cluster.shutdown().await;
    })
    .await;
}
