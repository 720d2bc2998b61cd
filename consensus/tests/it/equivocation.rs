//! A validator key run twice signs two different things for one step — the misbehaviour a
//! validator's operator must never allow — and the honest validators catch it: each reports the
//! equivocation (who, where, both blocks), and the chain stays one chain.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::bounded;
use crate::cluster::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_run_twice_is_caught_and_the_chain_stays_one() {
    bounded(async {
        let mut cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60)).await;
        assert_eq!(cluster.evidence(0).total(), 0, "honest validators equivocate");

        // Validator 3's key, a second time, from the same height: whenever 3 proposes, its
        // twin proposes another block for the same round (and each votes for its own).
        cluster.stop(3).await;
        cluster.start_twin(3).await;
        cluster.restart(3).await;

        let deadline = Instant::now() + Duration::from_secs(90);
        while cluster.evidence(0).total() == 0 {
            assert!(Instant::now() < deadline, "no equivocation reported; heights {:?}", cluster.heights());
            sleep(Duration::from_millis(100)).await;
        }
        let seen = cluster.evidence(0).recent();
        assert!(seen.iter().all(|e| e.validator == cluster.address(3)), "{seen:?}");
        let first = &seen[0];
        assert_ne!(first.first, first.second, "{seen:?}");

        // Three honest validators hold more than 2/3: the chain goes on, and stays one.
        let top = cluster.heights()[..3].iter().copied().max().unwrap();
        cluster.wait_for(&[0, 1, 2], top + 2, Duration::from_secs(60)).await;
        cluster.assert_agreement();
        cluster.shutdown().await;
    })
    .await;
}
