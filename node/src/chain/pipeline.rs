//! Automine with each block's commit outside the writer's lock: the submitter that executed a
//! block commits it on its own thread while the next submitter executes the next block on top
//! of it.
//!
//! A block's commit (RocksDB's write, the write-ahead log's sync) used to hold the writer's lock,
//! so nothing else executed meanwhile. Now the block is *in flight* while it is written: the
//! next block's overlay reads through the in-flight block's writes ([`Layered`]), so it sees the
//! state the block leaves, and its own commit waits until the block is written (its header
//! needs the parent's). No other thread is woken for the commit: on this project's 2-core test
//! machines waking a parked thread costs each side ~10 µs (BENCHMARKS.md), more than a
//! per-transaction hand-off can save.
//!
//! What stays as it was:
//! - a submission is answered only after its block is written (nothing acknowledged is lost);
//! - at most one block is in flight: a block waits for the one before it before it goes in
//!   flight itself;
//! - every other path through the writer's lock (dev controls, manual and interval mining,
//!   group commit, simulation, a network) takes it with [`Node::lock_chain`], which first waits
//!   for the block in flight, so it sees the ledger as committed;
//! - if a block cannot be written, its transactions fail with
//!   [`HostError::CommitFailed`], and so do those of the block executed on top of it (they ran
//!   on a state that never existed). The clock has already moved past the failed block's time;
//!   the next block's time is later by that much (a ledger failure is a disk failure).

use std::sync::Arc;

use parking_lot::{Condvar, Mutex, MutexGuard};
use tidepool_ledger::{Layered, NewBlock, Overlay, ReadStore};

use super::submit::{Done, Executed, Prepared};
use super::{ChainState, Node};
use crate::apply::BlockContext;
use crate::error::{HostError, NodeError};

/// A block being written outside the writer's lock.
pub(super) struct InFlight {
    /// Its height.
    height: u64,
    /// Its writes over the store: the base of the next block's overlay.
    layer: Arc<Layered>,
    /// How its commit ended (`None` while under way).
    outcome: Mutex<Option<Result<(), String>>>,
    /// Signalled when `outcome` is set.
    finished: Condvar,
}

impl InFlight {
    /// How the commit ended, or `None` while it is under way.
    fn outcome(&self) -> Option<Result<(), String>> {
        self.outcome.lock().clone()
    }

    /// Waits until the commit has ended; how it ended.
    fn wait(&self) -> Result<(), String> {
        let mut outcome = self.outcome.lock();
        loop {
            if let Some(outcome) = &*outcome {
                return outcome.clone();
            }
            self.finished.wait(&mut outcome);
        }
    }

    fn finish(&self, outcome: Result<(), String>) {
        *self.outcome.lock() = Some(outcome);
        self.finished.notify_all();
    }
}

/// Ends a flight when dropped: with the commit's outcome, or as failed if the commit panicked,
/// so no one waits for it forever.
struct Landing<'a> {
    flight: &'a InFlight,
    outcome: Option<Result<(), String>>,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let outcome = self.outcome.take().unwrap_or_else(|| Err("the commit panicked".to_owned()));
        self.flight.finish(outcome);
    }
}

/// Waits for the block in flight, if any, and forgets it: the ledger then holds every block
/// executed so far (or the failed one's transactions were answered with failures).
pub(super) fn land(chain: &mut ChainState) {
    if let Some(flight) = chain.in_flight.take() {
        // Its submitters were answered by the thread committing it, whatever the outcome.
        let _ = flight.wait();
    }
}

impl Node {
    /// The writer's lock, once no block is in flight: what every path but automine's
    /// submissions takes, so that it reads and changes the ledger as committed.
    pub(super) fn lock_chain(&self) -> MutexGuard<'_, ChainState> {
        let mut chain = self.inner.chain.lock();
        land(&mut chain);
        chain
    }

    /// Automine: executes the transactions into one new block on top of the block in flight
    /// (if any), puts it in flight, lets the writer's lock go and commits it. If the block
    /// cannot be made or written, or the one below it could not, every transaction that passed
    /// its signature check fails with [`HostError::CommitFailed`].
    pub(super) fn mine_pipelined(
        &self,
        mut chain: MutexGuard<'_, ChainState>,
        chunks: impl Iterator<Item = Vec<Result<Prepared, NodeError>>>,
    ) -> Vec<Result<Done, NodeError>> {
        let store: Arc<dyn ReadStore> = self.inner.ledger.store().clone();
        // A landed block is in the store (or, failed, never will be): the store is the base. (The
        // flight stays in the chain state until this block replaces it, so that a panic here
        // leaves it for `lock_chain` to wait for.)
        let below = chain.in_flight.clone().filter(|flight| flight.outcome().is_none());
        let (base, height): (Arc<dyn ReadStore>, Result<u64, NodeError>) = match &below {
            Some(flight) => (flight.layer.clone(), super::height_above(flight.height, 1).map_err(NodeError::from)),
            None => (
                store.clone(),
                self.inner
                    .ledger
                    .head()
                    .ok_or(HostError::NoGenesis.into())
                    .and_then(|head| Ok(super::height_above(head.height, 1)?)),
            ),
        };
        let context = height.and_then(|height| {
            let time = self.next_block_time(&chain)?;
            Ok(BlockContext { chain_id: self.inner.config.chain_id, height, time })
        });
        let mut overlay = Overlay::new(base);
        let Executed { txs, answers } = self.execute_block(&mut overlay, &context, chunks);
        if let Err(NodeError::Rejected(refusal)) = &context {
            drop(chain);
            return answers.refused(refusal);
        }
        let mut failure = context.as_ref().err().map(ToString::to_string);
        if let Some(flight) = &below
            && let Err(e) = flight.wait()
        {
            failure = Some(format!("the block below this one could not be committed: {e}"));
        }
        match (&context, txs.is_empty(), &failure) {
            (Ok(context), false, None) => {
                let changes = overlay.into_changes();
                let flight = Arc::new(InFlight {
                    height: context.height,
                    layer: Arc::new(Layered::new(store, &changes.writes)),
                    outcome: Mutex::new(None),
                    finished: Condvar::new(),
                });
                chain.in_flight = Some(flight.clone());
                self.clock_after_block(&mut chain, context.time);
                drop(chain);
                let mut landing = Landing { flight: &flight, outcome: None };
                let block = NewBlock { time: context.time, changes, txs };
                if let Err(e) = self.inner.ledger.commit_block(block) {
                    tracing::error!(error = %e, "block commit failed; its transactions were not committed");
                    failure = Some(e.to_string());
                }
                landing.outcome = Some(failure.clone().map_or(Ok(()), Err));
            }
            _ => drop(chain),
        }
        answers.given(failure.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tidepool_ledger::MemoryStore;

    use super::*;

    fn flight() -> Arc<InFlight> {
        Arc::new(InFlight {
            height: 1,
            layer: Arc::new(Layered::new(Arc::new(MemoryStore::default()), &[])),
            outcome: Mutex::new(None),
            finished: Condvar::new(),
        })
    }

    #[test]
    fn a_waiter_gets_the_commit_s_outcome_once_it_ends() {
        let flight = flight();
        assert_eq!(flight.outcome(), None);
        let waiter = std::thread::spawn({
            let flight = flight.clone();
            move || flight.wait()
        });
        std::thread::sleep(Duration::from_millis(20));
        assert!(!waiter.is_finished(), "the commit has not ended");
        flight.finish(Err("disk full".to_owned()));
        assert_eq!(waiter.join().unwrap(), Err("disk full".to_owned()));
        assert_eq!(flight.wait(), Err("disk full".to_owned()));
    }

    #[test]
    fn a_commit_that_panics_lands_as_failed() {
        let flight = flight();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _landing = Landing { flight: &flight, outcome: None };
            panic!("inside the commit");
        }));
        assert!(panicked.is_err());
        assert_eq!(flight.wait(), Err("the commit panicked".to_owned()));
    }
}
