//! Four honest validators agree, height after height.

use std::time::Duration;

use tidepool_consensus::{CertificateError, NetworkId};

use crate::bounded;
use crate::cluster::{Cluster, NETWORK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_reach_height_ten_with_identical_headers() {
    bounded(async {
        let cluster = Cluster::start(4).await;
        cluster.wait_for(&[0, 1, 2, 3], 10, Duration::from_secs(90)).await;

        let chain = cluster.assert_agreement();
        for i in 0..4 {
            // Hashes, parents, times and state roots: the same ten headers everywhere.
            assert_eq!(cluster.app(i).headers()[..=10], chain[..=10], "validator {i}");
        }
        for (height, header) in chain.iter().enumerate().skip(1) {
            assert_eq!(header.parent_hash, chain[height - 1].hash);
            assert!(header.time >= chain[height - 1].time);
        }
        // Every block is stored with a certificate that proves its decision. (The chain goes
        // on meanwhile: its headers are read after the blocks, so they cover them.)
        let decided = cluster.app(0).decided();
        let headers = cluster.app(0).headers();
        assert!(decided.len() >= 10);
        for decided in decided {
            decided.certificate.verify(&NETWORK, cluster.validators()).unwrap();
            // Its signatures name the network: on any other, it proves nothing.
            assert!(matches!(
                decided.certificate.verify(&NetworkId([1; 32]), cluster.validators()),
                Err(CertificateError::BadSignature(_))
            ));
            assert_eq!(decided.certificate.block_hash, headers[decided.certificate.height as usize].hash);
        }
        cluster.shutdown().await;
    })
    .await;
}
