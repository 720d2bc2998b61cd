//! Group commit: submissions that wait for the writer share its next block.
//!
//! A submission joins the [`Queue`]. If no one leads, it leads: it takes the writer's lock, runs
//! everything queued by then as one block (automine), answers each submission of it, and hands
//! the lead to the first submission that queued meanwhile, or leaves the queue unled. Everyone
//! else only waits for its [`Turn`]: its answer, or the lead. So a submission waits for at most
//! the block being committed and its own, and an answered one returns at once — it never waits
//! for the writer's lock just to find its work done (which, with one block after another, made
//! each submission wait behind several blocks, and left most blocks with one transaction).

use std::sync::mpsc::{Sender, channel};

use super::submit::{Done, Prepared};
use super::{ChainState, Node};
use crate::error::{HostError, NodeError};

/// The submissions waiting for the writer, and whether one of them leads.
#[derive(Default)]
pub(super) struct Queue {
    /// In arrival order.
    pub(super) waiting: Vec<Waiting>,
    /// A submission holds the lead: it has the writer's lock or is taking it, and will hand the
    /// lead on before it returns.
    led: bool,
}

/// A submission waiting for the writer.
pub(super) struct Waiting {
    checked: Vec<Result<Prepared, NodeError>>,
    turn: Sender<Turn>,
}

/// What a waiting submission is told.
enum Turn {
    /// Its results, one per transaction (whoever led ran it, itself or another).
    Answered(Vec<Result<Done, NodeError>>),
    /// It leads now: run the queue.
    Lead,
}

impl Node {
    /// Runs `checked` in the next block of the group commit (see the module documentation) and
    /// returns one result per transaction.
    pub(super) fn submit_together(&self, checked: Vec<Result<Prepared, NodeError>>) -> Vec<Result<Done, NodeError>> {
        let count = checked.len();
        let (turn, turns) = channel();
        let leads = {
            let mut queue = self.inner.queue.lock();
            queue.waiting.push(Waiting { checked, turn });
            !std::mem::replace(&mut queue.led, true)
        };
        if leads {
            self.lead();
        }
        loop {
            match turns.recv().ok() {
                Some(Turn::Answered(results)) => return results,
                Some(Turn::Lead) => self.lead(),
                // The writer panicked with this submission in its block.
                None => {
                    let stopped = || Err(HostError::CommitFailed("the writer stopped".to_owned()).into());
                    return (0..count).map(|_| stopped()).collect();
                }
            }
        }
    }

    /// Leads once: runs everything queued now as one group under the writer's lock, then hands
    /// the lead on (also if running the group panicked, so the queue never stalls).
    fn lead(&self) {
        let _hand_on = HandOn { node: self };
        let mut chain = self.lock_chain();
        let group = std::mem::take(&mut self.inner.queue.lock().waiting);
        if !group.is_empty() {
            self.run_group(&mut chain, group);
        }
    }

    /// Runs the queued submissions as one group and answers each.
    fn run_group(&self, chain: &mut ChainState, group: Vec<Waiting>) {
        let counts: Vec<usize> = group.iter().map(|waiting| waiting.checked.len()).collect();
        let (checked, turns): (Vec<_>, Vec<_>) = group.into_iter().map(|w| (w.checked, w.turn)).unzip();
        let all: Vec<_> = checked.into_iter().flatten().collect();
        let mut results = self.run_locked(chain, std::iter::once(all)).into_iter();
        for (count, turn) in counts.into_iter().zip(turns) {
            // A waiter only leaves once answered, so the send cannot fail.
            let _ = turn.send(Turn::Answered(results.by_ref().take(count).collect()));
        }
    }
}

/// Hands the lead on when dropped: to the first submission still waiting, or to no one.
struct HandOn<'a> {
    node: &'a Node,
}

impl Drop for HandOn<'_> {
    fn drop(&mut self) {
        let mut queue = self.node.inner.queue.lock();
        while let Some(next) = queue.waiting.first() {
            if next.turn.send(Turn::Lead).is_ok() {
                return;
            }
            // Its thread is gone (it cannot be, short of a panic there): skip it.
            queue.waiting.remove(0);
        }
        queue.led = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use tidepool_ledger::Address;

    use crate::{Action, Node, NodeConfig, Submitted, Transaction, dev_accounts};

    /// Eight submitters, each sending its transfers one at a time as fast as it is answered:
    /// every one is answered (none waits for a lead that never comes), in a block of its own
    /// or shared, and the state holds exactly all of them.
    #[test]
    fn concurrent_submitters_are_all_answered_and_all_committed() {
        const SUBMITTERS: u32 = 8;
        const EACH: u64 = 40;
        let node = Node::open(NodeConfig::dev()).unwrap();
        let first = node.ledger().head().unwrap().height;
        let recipient = Address([7; 20]);
        let (done, finished) = mpsc::channel();
        for account in dev_accounts(SUBMITTERS) {
            let (node, done) = (node.clone(), done.clone());
            std::thread::spawn(move || {
                for nonce in 0..EACH {
                    let tx = Transaction {
                        chain_id: node.config().chain_id,
                        nonce,
                        from: account.address,
                        gas_limit: 21_000,
                        action: Action::Transfer { to: recipient, amount: 1 },
                    };
                    let answer = node.submit(&tx.sign(&account.key).unwrap());
                    assert!(matches!(&answer, Ok(Submitted::Mined(r)) if r.is_success()), "{answer:?}");
                }
                let _ = done.send(());
            });
        }
        for _ in 0..SUBMITTERS {
            finished.recv_timeout(Duration::from_secs(60)).expect("every submitter is answered in time");
        }
        assert_eq!(node.account(&recipient).unwrap().balance, u128::from(u64::from(SUBMITTERS) * EACH));
        let blocks = node.ledger().head().unwrap().height - first;
        assert!((1..=u64::from(SUBMITTERS) * EACH).contains(&blocks), "{blocks} blocks");
        let queue = node.inner.queue.lock();
        assert!(queue.waiting.is_empty() && !queue.led, "the queue is left empty and unled");
    }
}
