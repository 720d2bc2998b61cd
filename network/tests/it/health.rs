//! A validator whose network cannot decide blocks says so: `/health` answers `"stalled"` and
//! `/metrics` `tidepool_consensus_stalled 1` while consensus stays at one height, and both go
//! back to healthy once enough validators run for the chain to move.

use std::time::Duration;

use tidepool_consensus::Timeouts;
use tidepool_network::status::stall_after;
use tokio::time::{Instant, sleep};

use crate::cluster::{Cluster, TEST_BUDGET};
use crate::support::{get, get_text};

/// Waits until validator `i`'s `/health` has `status`, and answers it with its `/metrics`.
async fn wait_for_status(cluster: &Cluster, i: usize, status: &str) -> (serde_json::Value, String) {
    let deadline = Instant::now() + TEST_BUDGET;
    loop {
        let api = cluster.api(i);
        let (health, metrics) =
            tokio::task::spawn_blocking(move || (get(&format!("{api}/health")), get_text(&format!("{api}/metrics"))))
                .await
                .unwrap();
        if health["status"] == status {
            return (health, metrics);
        }
        assert!(Instant::now() < deadline, "validator {i} never reported {status}: {health}");
        sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_without_two_thirds_of_the_power_reports_stalled_until_the_others_join() {
    let mut cluster = Cluster::new(4, 1);
    // Short rounds, so the stall shows within seconds.
    let timeouts = Timeouts {
        propose: Duration::from_millis(300),
        prevote: Duration::from_millis(100),
        precommit: Duration::from_millis(100),
        per_round: Duration::from_millis(100),
    };
    cluster.set_timeouts(timeouts);
    let stall = stall_after(&timeouts, Duration::from_millis(cluster.settings(0).empty_block_interval_ms));

    // One validator of four holds a quarter of the power: it can never decide height 1.
    cluster.start_one(0).await;
    let (health, metrics) = wait_for_status(&cluster, 0, "stalled").await;
    assert_eq!(health["height"], 0, "{health}");
    assert_eq!(health["consensus"]["consensus_height"], 1, "{health}");
    assert_eq!(health["consensus"]["stalled"], true, "{health}");
    let idle = health["consensus"]["idle_ms"].as_u64().unwrap();
    assert!(idle > stall.as_millis() as u64, "idle {idle} ms, stall after {stall:?}: {health}");
    assert!(metrics.contains("\ntidepool_consensus_stalled 1\n"), "{metrics}");
    assert_eq!(health["consensus"]["not_gossiped"], 0, "{health}");
    assert!(metrics.contains("\ntidepool_gossip_not_forwarded_total 0\n"), "{metrics}");
    // Nobody signed two things for one step.
    assert_eq!(health["consensus"]["equivocations"], 0, "{health}");
    assert_eq!(health["consensus"]["last_equivocation"], serde_json::Value::Null, "{health}");
    assert!(metrics.contains("\ntidepool_consensus_equivocations_total 0\n"), "{metrics}");

    // With the other three, the chain moves, and the validator is healthy again.
    for i in 1..4 {
        cluster.start_one(i).await;
    }
    cluster.wait_for_height(2).await;
    let (health, metrics) = wait_for_status(&cluster, 0, "ok").await;
    assert_eq!(health["consensus"]["stalled"], false, "{health}");
    assert!(health["consensus"]["idle_ms"].as_u64().unwrap() <= stall.as_millis() as u64, "{health}");
    assert!(metrics.contains("\ntidepool_consensus_stalled 0\n"), "{metrics}");
    cluster.shutdown().await;
}
