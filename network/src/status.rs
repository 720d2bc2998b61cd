//! What a validator says about itself in `/health` and `/metrics`: where consensus is, how many
//! peers it has, and whether consensus still moves.
//!
//! A validator that cannot decide blocks — too few of the others reachable, or its engine's
//! network gone — still answers HTTP, so answering says nothing about the chain. Two probes
//! follow the engine instead: one asks the network for its peers every second, the other notes
//! when consensus last reached a new height. Consensus that stays at one height for longer than
//! [`stall_after`] is reported stalled, and the log says so when it starts and when it ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tidepool_consensus::{Consensus, Timeouts};
use tidepool_node::{EquivocationSeen, NetworkStatus, StatusSource};
use tokio::task::JoinHandle;

/// How long consensus may stay at one height before the validator is reported stalled: the
/// empty-block interval (a proposer's wait for transactions), then three rounds in which every
/// step waited its full timeout. A healthy network decides a height in one round, well within
/// it; a network short of two thirds of its voting power never leaves the height.
pub fn stall_after(timeouts: &Timeouts, empty_block_interval: Duration) -> Duration {
    let step = timeouts.propose + timeouts.prevote + timeouts.precommit;
    let rounds = (0..3u32).map(|round| step + timeouts.per_round * (3 * round)).sum::<Duration>();
    empty_block_interval + rounds
}

/// The probes of one validator; they stop when it is dropped.
pub(crate) struct StatusProbes {
    peers: Arc<AtomicU64>,
    /// Milliseconds from `started` to the last new height (0 until the first).
    moved_at_ms: Arc<AtomicU64>,
    started: Instant,
    stall_after: Duration,
    tasks: [JoinHandle<()>; 2],
}

impl StatusProbes {
    /// Starts following `consensus`: its peers every second, its height as it changes.
    pub(crate) fn start(consensus: &Consensus, stall_after: Duration) -> StatusProbes {
        let started = Instant::now();
        let peers = Arc::new(AtomicU64::new(0));
        let moved_at_ms = Arc::new(AtomicU64::new(0));
        let count_peers = {
            let (peers, probe) = (peers.clone(), consensus.peers());
            tokio::spawn(async move {
                loop {
                    // A network that does not answer has no peers (its task is gone).
                    let count = probe.get().await.unwrap_or(0);
                    peers.store(count as u64, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        };
        let follow_height = {
            let (moved_at_ms, mut progress) = (moved_at_ms.clone(), consensus.progress());
            tokio::spawn(async move {
                let mut height = progress.borrow_and_update().height;
                let mut stalled = false;
                let mut check = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tokio::select! {
                        changed = progress.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            let now = progress.borrow_and_update().height;
                            if now != height {
                                height = now;
                                moved_at_ms.store(millis(started.elapsed()), Ordering::Relaxed);
                            }
                        }
                        _ = check.tick() => {}
                    }
                    // Said once when consensus stalls and once when it moves again, for an
                    // operator who reads the log rather than `/health`.
                    let idle = idle_since(started, &moved_at_ms);
                    if !stalled && idle > stall_after {
                        stalled = true;
                        let now = *progress.borrow();
                        tracing::warn!(
                            height = now.height,
                            round = now.round,
                            idle_s = idle.as_secs(),
                            "consensus is stalled: no new height for longer than three timed-out rounds \
                             (fewer than two thirds of the voting power reachable?)"
                        );
                    } else if stalled && idle <= stall_after {
                        stalled = false;
                        tracing::info!(height, "consensus moves again");
                    }
                }
            })
        };
        StatusProbes { peers, moved_at_ms, started, stall_after, tasks: [count_peers, follow_height] }
    }

    /// The node's [`StatusSource`]: the probes' last readings with consensus's progress now.
    pub(crate) fn source(
        &self,
        consensus: &Consensus,
        validator: String,
        not_gossiped: Arc<AtomicU64>,
    ) -> StatusSource {
        let progress = consensus.progress();
        let network_id = consensus.network().to_string();
        let evidence = consensus.evidence();
        let (peers, moved_at_ms, started, stall_after) =
            (self.peers.clone(), self.moved_at_ms.clone(), self.started, self.stall_after);
        Box::new(move || {
            let now = *progress.borrow();
            let idle = idle_since(started, &moved_at_ms);
            NetworkStatus {
                validator: validator.clone(),
                network_id: network_id.clone(),
                consensus_height: now.height,
                round: now.round,
                peers: peers.load(Ordering::Relaxed),
                syncing: now.syncing,
                idle_ms: millis(idle),
                stalled: idle > stall_after,
                not_gossiped: not_gossiped.load(Ordering::Relaxed),
                equivocations: evidence.total(),
                last_equivocation: evidence.latest().map(|seen| EquivocationSeen {
                    validator: seen.validator.to_string(),
                    height: seen.height,
                    round: seen.round,
                    kind: seen.kind.as_str().to_string(),
                    first: seen.first.map(|hash| hash.to_string()),
                    second: seen.second.map(|hash| hash.to_string()),
                }),
            }
        })
    }
}

impl Drop for StatusProbes {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// How long consensus has stood at its height: since the last new height, `moved_at_ms` after
/// `started` (or since `started`, before the first).
fn idle_since(started: Instant, moved_at_ms: &AtomicU64) -> Duration {
    started.elapsed().saturating_sub(Duration::from_millis(moved_at_ms.load(Ordering::Relaxed)))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_timed_out_rounds_after_the_empty_block_wait() {
        let timeouts = Timeouts {
            propose: Duration::from_secs(3),
            prevote: Duration::from_secs(1),
            precommit: Duration::from_secs(1),
            per_round: Duration::from_millis(500),
        };
        // Rounds of 5 s, 6.5 s and 8 s (each step 0.5 s longer per round), after 1 s.
        assert_eq!(stall_after(&timeouts, Duration::from_secs(1)), Duration::from_millis(20_500));
        assert_eq!(stall_after(&Timeouts::default(), Duration::ZERO), Duration::from_millis(19_500));
    }
}
