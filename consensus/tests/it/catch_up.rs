//! A validator that was down, and one that starts from nothing, catch up through the engine's
//! value sync and end with the same blocks as the others.

use std::time::Duration;

use crate::bounded;
use crate::cluster::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_validator_and_an_empty_one_catch_up() {
    bounded(async {
        let mut cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;

        // Down: the other three keep committing without it.
        cluster.stop(3).await;
        let stopped_at = cluster.height(3);
        cluster.wait_for(&[0, 1, 2], stopped_at + 4, Duration::from_secs(60)).await;
        assert_eq!(cluster.height(3), stopped_at);

        // Back on its own data directory: it syncs the heights it missed, then votes again.
        cluster.restart(3).await;
        let target = cluster.heights()[..3].iter().copied().max().unwrap() + 1;
        cluster.wait_for(&[0, 1, 2, 3], target, Duration::from_secs(60)).await;
        cluster.assert_agreement();

        // From an empty data directory: every block since genesis comes from its peers.
        cluster.stop(3).await;
        cluster.wipe(3);
        assert_eq!(cluster.height(3), 0);
        cluster.restart(3).await;
        let target = cluster.heights()[..3].iter().copied().max().unwrap() + 1;
        cluster.wait_for(&[0, 1, 2, 3], target, Duration::from_secs(60)).await;

        let chain = cluster.assert_agreement();
        assert_eq!(cluster.app(3).headers()[..=target as usize], chain[..=target as usize]);
        cluster.shutdown().await;
    })
    .await;
}
