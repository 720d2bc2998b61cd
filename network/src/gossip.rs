//! Transaction gossip: every transaction this node's mempool admits is forwarded to the other
//! validators' HTTP APIs (`POST /v1/txs/batch?relay=false`), so whichever validator proposes
//! next has it.
//!
//! A thread collects admitted transactions and sends them in batches (whatever arrived while
//! the previous batch was on its way, at most [`MAX_GOSSIP_BATCH`]), one request per peer, with
//! `?relay=false`: the validators are fully connected, so the receiving validator need not
//! forward them again. Gossip is best effort: a peer that is down misses the batch, and the
//! transaction still reaches a block through the validators that have it. For the same reason
//! the queue is bounded ([`MAX_GOSSIP_QUEUE`]): when peers are slower than admissions, what does
//! not fit is not gossiped, and waits in this node's mempool for a block it proposes
//! ([`Gossip::not_gossiped`] counts them).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use tidepool_node::Node;

/// The most transactions one gossip request carries (the API's batch limit is higher).
pub const MAX_GOSSIP_BATCH: usize = 1_000;

/// The most bytes one gossip request carries, under the API's 8 MiB body limit (a larger
/// transaction goes alone).
pub const MAX_GOSSIP_BYTES: usize = 6 << 20;

/// The most admitted transactions waiting to be gossiped (ten full batches).
pub const MAX_GOSSIP_QUEUE: usize = 10 * MAX_GOSSIP_BATCH;

/// How long a peer may take to answer a gossip request.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// The gossip thread; stopped when dropped.
pub struct Gossip {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    not_gossiped: Arc<AtomicU64>,
}

impl Gossip {
    /// Forwards what `node`'s mempool admits to `peers` (base URLs of their HTTP APIs).
    pub fn start(node: &Node, peers: Vec<String>) -> Gossip {
        Self::with_queue(node, peers, MAX_GOSSIP_QUEUE)
    }

    /// [`Gossip::start`] with room for `queue` transactions waiting.
    fn with_queue(node: &Node, peers: Vec<String>, queue: usize) -> Gossip {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(queue);
        let not_gossiped = Arc::new(AtomicU64::new(0));
        node.mempool().on_admit({
            let not_gossiped = Arc::clone(&not_gossiped);
            move |stored| {
                if let Err(TrySendError::Full(_)) = sender.try_send(stored.to_vec()) {
                    not_gossiped.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!("the gossip queue is full: a transaction stays with this node");
                }
            }
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("tidepool-gossip".into())
                .spawn(move || forward(&receiver, &peers, &stop))
                .expect("the gossip thread starts")
        };
        Gossip { stop, thread: Some(thread), not_gossiped }
    }

    /// How many admitted transactions found the queue full, so were not forwarded (they wait
    /// in this node's mempool for a block it proposes).
    pub fn not_gossiped(&self) -> u64 {
        self.not_gossiped.load(Ordering::Relaxed)
    }

    /// The count behind [`Gossip::not_gossiped`], for the validator's status.
    pub(crate) fn not_gossiped_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.not_gossiped)
    }
}

impl Drop for Gossip {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn forward(receiver: &Receiver<Vec<u8>>, peers: &[String], stop: &AtomicBool) {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(PEER_TIMEOUT)).build().into();
    while !stop.load(Ordering::SeqCst) {
        let first = match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(first) => first,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        let mut bytes = batch[0].len();
        let mut carried = None;
        while batch.len() < MAX_GOSSIP_BATCH {
            match receiver.try_recv() {
                Ok(next) if bytes + next.len() > MAX_GOSSIP_BYTES => {
                    carried = Some(next);
                    break;
                }
                Ok(next) => {
                    bytes += next.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        send(&agent, peers, &batch);
        if let Some(next) = carried {
            send(&agent, peers, &[next]);
        }
    }
}

/// Sends `batch` to every peer.
fn send(agent: &ureq::Agent, peers: &[String], batch: &[Vec<u8>]) {
    let body = join_array(batch);
    for peer in peers {
        let url = format!("{}/v1/txs/batch?relay=false", peer.trim_end_matches('/'));
        let sent = agent.post(&url).header("content-type", "application/json").send(&body[..]);
        match sent {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => tracing::debug!(%url, status = %response.status(), "a peer refused gossip"),
            Err(error) => tracing::debug!(%url, %error, "gossip to a peer failed"),
        }
    }
}

/// `[a,b,…]` from JSON values already encoded.
fn join_array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.iter().map(Vec::len).sum::<usize>() + items.len() + 1);
    out.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use tidepool_node::tx::Action;
    use tidepool_node::{Clock, Mining, NodeConfig, ONE_TOKEN, Transaction, dev_accounts};

    use super::*;

    #[test]
    fn a_peer_that_never_answers_fills_the_queue_and_admission_goes_on() {
        // Connections to it are accepted by the kernel and never answered: a batch sent there
        // waits for the peer timeout.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = format!("http://{}", silent.local_addr().unwrap());
        let account = &dev_accounts(1)[0];
        let config = NodeConfig {
            mining: Mining::Network,
            dev: false,
            dev_accounts: 0,
            clock: Clock::Manual { genesis_time: 1_700_000_000 },
            genesis_accounts: vec![(account.address, 100 * ONE_TOKEN)],
            ..NodeConfig::dev()
        };
        let node = Node::open(config).unwrap();
        let gossip = Gossip::with_queue(&node, vec![peer], 2);
        for nonce in 0..12 {
            let tx = Transaction {
                chain_id: tidepool_node::DEV_CHAIN_ID,
                nonce,
                from: account.address,
                gas_limit: 100_000,
                action: Action::Transfer { to: tidepool_ledger::Address([9; 20]), amount: 1 },
            };
            node.submit(&tx.sign(&account.key).unwrap()).unwrap();
        }
        // Every one is admitted; what the forwarder (stuck on the peer) and the queue could not
        // take was counted and left to this node's own blocks.
        assert_eq!(node.mempool().len(), 12);
        assert!(gossip.not_gossiped() > 0, "a queue of 2 and one batch cannot hold 12");
        // Closing the listener resets the waiting connection: the thread stops at once.
        drop(silent);
        drop(gossip);
    }
}
