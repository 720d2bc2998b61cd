//! Validators stopped after precommitting a block and before committing it commit that very
//! block when they start again, from their own copy of it: three of four stop that way at one
//! height, the fourth commits the block and stops too, and the three, started again without it
//! (so nobody can send them the block), end with the fourth's chain — not a new block at that
//! height, which they could otherwise decide among themselves.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::bounded;
use crate::cluster::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_stopped_before_their_commit_commit_the_block_they_voted_for() {
    bounded(async {
        let mut cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;
        let height = cluster.heights().into_iter().max().unwrap() + 2;
        for i in 1..4 {
            cluster.app(i).stop_in_commit(height);
        }

        // All four precommit the block; only validator 0's commit lands.
        cluster.wait_for(&[0], height, Duration::from_secs(60)).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while (1..4).any(|i| cluster.app(i).hanging_commit().is_none()) {
            assert!(Instant::now() < deadline, "validators 1 to 3 did not all reach their commit of {height}");
            sleep(Duration::from_millis(20)).await;
        }
        let decided = cluster.app(0).headers()[height as usize].hash;
        for i in 1..4 {
            assert_eq!(cluster.app(i).hanging_commit(), Some(decided));
            assert_eq!(cluster.height(i), height - 1);
        }

        // Killed in the middle of their commit: the commit never lands.
        cluster.stop(0).await;
        for i in 1..4 {
            cluster.kill(i);
        }
        for i in 1..4 {
            cluster.app(i).let_go();
        }
        // A block built again for the height would carry a later time, so another hash.
        sleep(Duration::from_millis(1100)).await;

        for i in 1..4 {
            cluster.restart(i).await;
        }
        cluster.wait_for(&[1, 2, 3], height + 3, Duration::from_secs(60)).await;
        let chain = cluster.assert_agreement();
        assert_eq!(chain[height as usize].hash, decided);
        // Blocks kept on disk go once their height is committed.
        for i in 1..4 {
            let committed = cluster.height(i);
            let kept = cluster.heights_with_kept_blocks(i);
            assert!(kept.iter().all(|&h| h >= committed), "validator {i} at {committed} keeps {kept:?}");
        }
        cluster.shutdown().await;
    })
    .await;
}
