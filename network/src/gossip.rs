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
//! not fit is not gossiped, and waits in this node's mempool for a block it proposes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
}

impl Gossip {
    /// Forwards what `node`'s mempool admits to `peers` (base URLs of their HTTP APIs).
    pub fn start(node: &Node, peers: Vec<String>) -> Gossip {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(MAX_GOSSIP_QUEUE);
        node.mempool().on_admit(move |stored| {
            if let Err(TrySendError::Full(_)) = sender.try_send(stored.to_vec()) {
                tracing::debug!("the gossip queue is full: a transaction stays with this node");
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
        Gossip { stop, thread: Some(thread) }
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
