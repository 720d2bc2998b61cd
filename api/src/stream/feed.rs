//! The feed: one thread that reads each new block once and broadcasts it to every live
//! subscriber.
//!
//! Per block, the writer (the thread committing it) only runs the ledger's publish hook
//! ([`Node::on_new_head`](tidepool_node::Node::on_new_head)): it notes the new height under a small mutex and
//! wakes the feed's thread — the same few instructions whether nobody or a thousand clients
//! listen. The feed's thread then reads the new blocks from one [`View`],
//! encodes each once ([`StreamBlock`]) and sends an `Arc` of it into a bounded
//! [`tokio::sync::broadcast`] channel; each subscriber filters its copy of the `Arc` in its own
//! task. Nobody listening, the thread reads nothing; it reads a block's transactions and
//! events only while a subscriber wants them ([`Listener`]), so clients following blocks alone
//! cost no receipt's encoding. Likewise it compresses a block's frames for each set of topics
//! that some gzip listener follows without other filters, once for all of them
//! ([`StreamBlock::deflated`]).
//!
//! A revert, reset or state load publishes a head that replaced blocks
//! ([`NewHead::replaced_from`]); the hook notes the lowest such height and the feed sends
//! [`Item::Replaced`] before any block of the new chain, so a subscriber that sent blocks from
//! there on can tell its client where to resume.
//!
//! The thread starts with the first subscription and ends when the [`Feed`] is dropped or
//! closed ([`Feed::close`], on the server's graceful shutdown).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Condvar, Mutex};
use tidepool_ledger::Hash;
use tidepool_node::{NewHead, Node, View};
use tokio::sync::broadcast;

use super::block::{Parts, StreamBlock, Topics};

/// Blocks the broadcast channel holds: how far (in blocks) a live subscriber may fall behind
/// the feed before its stream closes with `lagged`. Only blocks some subscriber has not taken
/// yet are held, so a node whose clients keep up holds about none.
pub const BUFFER_BLOCKS: usize = 256;

/// What the feed broadcasts, in order.
#[derive(Clone, Debug)]
pub enum Item {
    /// The next block of the chain.
    Block(Arc<StreamBlock>),
    /// Blocks were replaced (a revert, reset or state load).
    Replaced {
        /// Every block sent from this height on is gone, or another block now.
        from: u64,
        /// The new chain is sent from this height on: `from`, or the new chain's first block
        /// if it begins above (a loaded state).
        resume: u64,
    },
    /// The feed could not read the next block (the details are in the node's log); it tries
    /// again with the next one published.
    Failed,
    /// The feed stopped (the server is shutting down).
    Closed,
}

/// The node's block feed for one router. Cheap to clone; the thread stops when the last clone
/// is dropped.
#[derive(Clone)]
pub struct Feed {
    shared: Arc<Shared>,
}

struct Shared {
    node: Node,
    started: OnceLock<broadcast::Sender<Item>>,
    signal: Arc<Signal>,
    wanted: Arc<Wanted>,
}

/// How many live subscribers want each part of a block read, and each set of topics compressed.
#[derive(Default)]
struct Wanted {
    txs: AtomicUsize,
    events: AtomicUsize,
    deflated: [AtomicUsize; Topics::COUNT],
}

impl Wanted {
    /// What the feed reads of the next block.
    fn parts(&self) -> Parts {
        Parts { txs: self.txs.load(Ordering::Acquire) > 0, events: self.events.load(Ordering::Acquire) > 0 }
    }

    /// The sets of topics to compress each block's frames for.
    fn deflated(&self) -> impl Iterator<Item = Topics> {
        Topics::all_sets().filter(|topics| self.deflated[topics.index()].load(Ordering::Acquire) > 0)
    }

    /// Counts a listener wanting `parts`, and `deflated` compressed, in (`add`) or out.
    fn change(&self, parts: Parts, deflated: Option<Topics>, add: bool) {
        let step = |count: &AtomicUsize| match add {
            true => count.fetch_add(1, Ordering::AcqRel),
            false => count.fetch_sub(1, Ordering::AcqRel),
        };
        if parts.txs {
            step(&self.txs);
        }
        if parts.events {
            step(&self.events);
        }
        if let Some(topics) = deflated {
            step(&self.deflated[topics.index()]);
        }
    }
}

/// One subscriber's end of the feed: the items it sends, and the parts of each block this
/// subscriber wants read (and the topics it wants compressed), which the feed reads (and
/// compresses) for as long as the listener lives. A block the feed read before a listener said
/// what it wants may lack them (see [`StreamBlock::parts`]).
pub struct Listener {
    receiver: broadcast::Receiver<Item>,
    parts: Parts,
    deflated: Option<Topics>,
    wanted: Arc<Wanted>,
}

impl Listener {
    /// The feed's next item.
    ///
    /// # Errors
    /// As [`broadcast::Receiver::recv`]: the feed is gone, or this listener lagged.
    pub async fn recv(&mut self) -> Result<Item, broadcast::error::RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.wanted.change(self.parts, self.deflated, false);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.signal.stop();
    }
}

/// What the publish hook tells the feed's thread.
#[derive(Default)]
struct Signal {
    state: Mutex<Published>,
    wake: Condvar,
    stopped: AtomicBool,
}

#[derive(Default)]
struct Published {
    /// Something was published since the thread last looked.
    pending: bool,
    /// The lowest height blocks were replaced from since the thread last looked.
    replaced_from: Option<u64>,
}

impl Signal {
    /// The hook: `head` was published. `false` once the feed has stopped (the ledger then
    /// drops the hook).
    fn published(&self, head: NewHead) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return false;
        }
        let mut state = self.state.lock();
        if let Some(from) = head.replaced_from {
            state.replaced_from = Some(state.replaced_from.map_or(from, |lowest| lowest.min(from)));
        }
        state.pending = true;
        drop(state);
        self.wake.notify_one();
        true
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        let _state = self.state.lock();
        self.wake.notify_one();
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Waits for the next publication; `None` once stopped, else the replacement to report.
    fn wait(&self) -> Option<Option<u64>> {
        let mut state = self.state.lock();
        while !state.pending && !self.is_stopped() {
            self.wake.wait(&mut state);
        }
        if self.is_stopped() {
            return None;
        }
        state.pending = false;
        Some(state.replaced_from.take())
    }
}

impl Feed {
    /// A feed of `node`'s blocks; nothing runs until the first [`Feed::subscribe`].
    pub fn new(node: Node) -> Feed {
        let shared = Shared { node, started: OnceLock::new(), signal: Arc::default(), wanted: Arc::default() };
        Feed { shared: Arc::new(shared) }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.shared.node
    }

    /// A listener to every item the feed sends from now on (starting the feed if needed), for
    /// a subscriber that wants `parts` of each block, and, if given, the frames of `deflated`'s
    /// topics compressed (a gzip stream without `contract` or `type`).
    ///
    /// Every block committed after this call reaches the listener, unless it lags by more than
    /// [`BUFFER_BLOCKS`]; a block committed before it may too (a subscriber skips what it sent).
    pub fn subscribe(&self, parts: Parts, deflated: Option<Topics>) -> Listener {
        let wanted = self.shared.wanted.clone();
        wanted.change(parts, deflated, true);
        let receiver = self.shared.started.get_or_init(|| self.start()).subscribe();
        Listener { receiver, parts, deflated, wanted }
    }

    /// Live subscribers.
    pub fn subscribers(&self) -> usize {
        self.shared.started.get().map_or(0, broadcast::Sender::receiver_count)
    }

    /// Stops the feed: every live subscriber receives [`Item::Closed`], and replaying ones see
    /// [`Feed::is_closed`]. The server calls it when it starts shutting down, because a graceful
    /// shutdown waits for every response, and a stream would never end by itself.
    pub fn close(&self) {
        self.shared.signal.stop();
    }

    /// Whether [`Feed::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.shared.signal.is_stopped()
    }

    /// Registers the hook, notes the latest block, and starts the thread. Runs once, before the
    /// first receiver exists: the thread broadcasts every block above the one noted here, and a
    /// subscriber reads anything up to its own first view (taken after it subscribed) itself.
    fn start(&self) -> broadcast::Sender<Item> {
        let (sender, _) = broadcast::channel(BUFFER_BLOCKS);
        let signal = self.shared.signal.clone();
        let node = self.shared.node.clone();
        let wanted = self.shared.wanted.clone();
        let hook = signal.clone();
        node.on_new_head(move |head| hook.published(head));
        // After the hook: anything published from here on wakes the thread.
        let last = node.view().ok().map(|view| (view.height(), view.header().hash()));
        let thread_sender = sender.clone();
        let spawned = std::thread::Builder::new()
            .name("tidepool-feed".into())
            .spawn(move || run(&node, &signal, &wanted, &thread_sender, last));
        if let Err(error) = spawned {
            // Subscribers then only replay; they wait for blocks that never come, so say why.
            tracing::error!(%error, "could not start the block feed's thread");
        }
        sender
    }
}

/// The feed's thread: after each publication, the new blocks from the first one not
/// broadcast, in order, each with the parts someone `wanted`. `last` is the last block
/// broadcast (`None` before genesis).
fn run(node: &Node, signal: &Signal, wanted: &Wanted, sender: &broadcast::Sender<Item>, last: Option<(u64, Hash)>) {
    let mut cursor = Cursor::after(last);
    while let Some(replaced_from) = signal.wait() {
        let Ok(view) = node.view() else { continue };
        if let Some(from) = replaced_from {
            let resume = from.max(node.first_height().unwrap_or(from));
            let _ = sender.send(Item::Replaced { from, resume });
            if cursor.next > from {
                cursor = Cursor::at(&view, resume);
            }
        }
        // A publish that did not extend the chain as the hook saw it (it cannot happen while
        // every publication goes through the hook): say the whole chain changed.
        if !cursor.on_chain(&view) {
            tracing::warn!(
                "the chain changed without a replacement being published; streams restart from its first block"
            );
            let resume = node.first_height().unwrap_or(0);
            let _ = sender.send(Item::Replaced { from: 0, resume });
            cursor = Cursor::at(&view, resume);
        }
        if sender.receiver_count() == 0 {
            // Nobody to send to: a subscriber arriving later reads these blocks itself.
            cursor = Cursor::after(Some((view.height(), view.header().hash())));
            continue;
        }
        for height in cursor.next..=view.height() {
            if signal.is_stopped() {
                break;
            }
            match StreamBlock::read(&view, height, wanted.parts()) {
                Ok(Some(block)) => {
                    for topics in wanted.deflated().filter(|topics| block.parts.covers(topics.parts())) {
                        block.deflated(topics);
                    }
                    cursor = Cursor::after(Some((height, block.hash)));
                    let _ = sender.send(Item::Block(Arc::new(block)));
                }
                Ok(None) => {
                    tracing::error!(height, "the block feed found block {height} incomplete");
                    let _ = sender.send(Item::Failed);
                    break;
                }
                Err(error) => {
                    tracing::error!(height, %error, "the block feed could not read block {height}");
                    let _ = sender.send(Item::Failed);
                    break;
                }
            }
        }
    }
    let _ = sender.send(Item::Closed);
}

/// Where the feed's thread is in the chain: the next block to broadcast, and the hash of the
/// block before it when the feed knows it (to tell whether the chain still holds it).
#[derive(Clone, Copy, Debug)]
struct Cursor {
    next: u64,
    parent: Option<Hash>,
}

impl Cursor {
    /// Right after `last` (`None`: before genesis).
    fn after(last: Option<(u64, Hash)>) -> Cursor {
        match last {
            Some((height, hash)) => Cursor { next: height + 1, parent: Some(hash) },
            None => Cursor { next: 0, parent: None },
        }
    }

    /// At block `next` of `view`'s chain: after its parent there, if the chain holds one (a
    /// loaded state's first block has none).
    fn at(view: &View, next: u64) -> Cursor {
        let parent = next.checked_sub(1).and_then(|height| view.block(height).ok().flatten());
        Cursor { next, parent: parent.map(|header| header.hash()) }
    }

    /// Whether `view`'s chain still holds the block before `next` that the feed knows of.
    fn on_chain(&self, view: &View) -> bool {
        match (self.parent, self.next.checked_sub(1)) {
            (Some(hash), Some(height)) => view.block(height).ok().flatten().is_some_and(|header| header.hash() == hash),
            _ => true,
        }
    }
}
