//! With two of four validators down nothing commits (one half is not more than two thirds),
//! nobody ever commits a different block at one height, and commits resume once a third is back.

use std::time::Duration;

use tokio::time::sleep;

use crate::bounded;
use crate::cluster::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_of_four_down_nothing_commits() {
    bounded(async {
        let mut cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;

        cluster.stop(2).await;
        cluster.stop(3).await;
        // A decision in flight when they stopped may still reach the other of the two (by its
        // precommits or by sync): let it land, then watch for several rounds' worth of time.
        sleep(Duration::from_secs(3)).await;
        let halted = cluster.heights();
        sleep(Duration::from_secs(8)).await;
        assert_eq!(cluster.heights(), halted, "a height was committed without a quorum");
        cluster.assert_agreement();

        // Three of four again: commits resume, on the same chain.
        cluster.restart(2).await;
        let top = halted.iter().copied().max().unwrap();
        cluster.wait_for(&[0, 1, 2], top + 2, Duration::from_secs(60)).await;
        cluster.assert_agreement();
        cluster.shutdown().await;
    })
    .await;
}
