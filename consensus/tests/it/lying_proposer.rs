//! A proposer that lies about the state root gets no votes: the round fails, the next round's
//! proposer commits a correct block, and nobody commits the lie.

use std::time::Duration;

use tidepool_consensus::{Height, Round};

use crate::bounded;
use crate::cluster::{Cluster, NETWORK};
use crate::toy::lie_root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposer_lying_about_the_state_root_gets_no_votes() {
    bounded(async {
        let cluster = Cluster::start(4).await;
        // The proposer of round 0 at height 2 lies from the start, whenever it proposes.
        let liar = cluster.index_of_proposer(cluster.validators().proposer(Height(2), Round::new(0)));
        cluster.app(liar).lie(true);
        // Heights 2 and 6 are the liar's (round robin over four).
        cluster.wait_for(&[0, 1, 2, 3], 6, Duration::from_secs(90)).await;

        let chain = cluster.assert_agreement();
        let decided = cluster.app((liar + 1) % 4).decided();
        for height in [2u64, 6] {
            let certificate = &decided[height as usize - 1].certificate;
            assert!(certificate.round >= 1, "height {height} was decided in round 0, on the lie");
            certificate.verify(&NETWORK, cluster.validators()).unwrap();
        }
        for i in 0..4 {
            for header in cluster.app(i).headers() {
                assert_ne!(header.state_root, lie_root(), "validator {i} committed the lie at {}", header.height);
            }
        }
        // The rounds failed on the lie itself: every honest validator executed a lying block
        // and refused it (at heights 2 and 6 at least).
        for i in (0..4).filter(|&i| i != liar) {
            assert!(cluster.app(i).wrong_roots_seen() >= 2, "validator {i} never saw the lie");
        }
        assert_eq!(cluster.app(liar).headers()[..=6], chain[..=6]);
        cluster.shutdown().await;
    })
    .await;
}
