//! One client's stream: replay from the ledger, then live from the feed, filtered, as the bytes
//! of a `text/event-stream` body.
//!
//! A subscription keeps one invariant: it sends block `next` only if its parent is the block
//! it sent last (`parent`), so what a client receives is always one chain, each message once.
//! It first reads committed blocks itself, a batch per [`View`](tidepool_node::View) on the
//! blocking pool (*replay*), until it has sent everything up to the latest height; then it
//! takes blocks from the feed (*live*), skipping those it already sent. It subscribed to the
//! feed before its first read, so no block falls between the two.
//!
//! It ends with one `close` message saying why and from which height to resume — the client
//! fell too far behind (`lagged`), the chain was reverted below what it sent (`reverted`),
//! history it needs was pruned (`pruned`), it reached `until_height`, the node is shutting
//! down (`shutdown`) or failed to read a block (`error`) — or when the client goes away (the
//! body is dropped, and with it everything the subscription holds).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::ops::Range;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash};
use tidepool_node::{Node, NodeError};
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::block::{Frame, Message, Parts, Position, StreamBlock, Topics};
use super::feed::{BUFFER_BLOCKS, Feed, Item, Listener};
use super::gzip::{Deflated, GzipBody};

/// Idle time after which the stream sends an SSE comment, so that proxies keep the connection
/// and a client that went away is noticed (writing to it fails) within this time.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Most blocks one replay step reads from one view before sending them.
const REPLAY_BLOCKS: usize = 64;

/// A replay step stops reading once it holds this many bytes, so a client reading history is
/// not made to wait for (nor the node to hold) much more than this at once.
const REPLAY_BYTES: usize = 1 << 20;

/// Which messages a client wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Which kinds of message (`topics=`).
    pub topics: Topics,
    /// Only events of this contract; only transactions addressed to it or with an event of it.
    pub contract: Option<Address>,
    /// Only events of this type; only transactions with an event of it.
    pub ty: Option<String>,
}

impl Filter {
    /// What to read of a block to decide and send what this filter wants.
    pub fn parts(&self) -> Parts {
        let Topics { txs, events, .. } = self.topics;
        Parts { txs, events: events || (txs && !self.by_topic_only()) }
    }

    /// Whether the filter selects by topic alone (no `contract`, no `type`): such streams send
    /// the same frames of every block as every other stream of the same topics.
    pub fn by_topic_only(&self) -> bool {
        self.contract.is_none() && self.ty.is_none()
    }

    fn event_matches(&self, contract: &Address, ty: &str) -> bool {
        self.contract.is_none_or(|wanted| wanted == *contract) && self.ty.as_deref().is_none_or(|wanted| wanted == ty)
    }

    /// A transaction matches when one of its events does, or, with `contract` but no `type`,
    /// when it is addressed to the contract (so a failed call, which leaves no event, shows).
    fn tx_matches(&self, to: Option<Address>, events: &[Frame]) -> bool {
        if self.by_topic_only() {
            return true;
        }
        if self.ty.is_none() && self.contract.is_some() && to == self.contract {
            return true;
        }
        events.iter().any(|frame| match &frame.message {
            Message::Event { contract, ty } => self.event_matches(contract, ty),
            _ => false,
        })
    }

    /// Whether this filter sends `frame` of `block`.
    fn wants(&self, block: &StreamBlock, frame: &Frame) -> bool {
        self.topics.include(&frame.message)
            && match &frame.message {
                Message::Block => true,
                Message::Tx { to, events } => self.tx_matches(*to, &block.frames[events.clone()]),
                Message::Event { contract, ty } => self.event_matches(contract, ty),
            }
    }

    /// The byte ranges of `block` this filter sends, after `after` when given: consecutive
    /// wanted frames as one range of the block's buffer.
    fn select(&self, block: &StreamBlock, after: Option<Position>) -> Vec<Range<usize>> {
        if self.topics == Topics::ALL && self.by_topic_only() && after.is_none() {
            return std::iter::once(0..block.bytes.len()).collect();
        }
        let mut runs: Vec<Range<usize>> = Vec::new();
        for frame in &block.frames {
            if after.is_some_and(|after| frame.position <= after) || !self.wants(block, frame) {
                continue;
            }
            match runs.last_mut() {
                Some(run) if run.end == frame.range.start => run.end = frame.range.end,
                _ => runs.push(frame.range.clone()),
            }
        }
        runs
    }
}

/// What a stream has yet to send, encoded as its client asked: the frames' bytes as they are,
/// or as a gzip body whose chunks streams of the same topics share.
struct Output {
    queue: VecDeque<Bytes>,
    gzip: Option<GzipBody>,
}

impl Output {
    fn new(gzip: bool) -> Output {
        Output { queue: VecDeque::new(), gzip: gzip.then(GzipBody::default) }
    }

    /// Queues what `filter` sends of `block` (after `after`, when given).
    fn block(&mut self, filter: &Filter, block: &StreamBlock, after: Option<Position>) {
        let Some(gzip) = &mut self.gzip else {
            self.queue.extend(filter.select(block, after).into_iter().map(|run| block.bytes.slice(run)));
            return;
        };
        if filter.by_topic_only() && after.is_none() {
            gzip.push(block.deflated(filter.topics), &mut self.queue);
            return;
        }
        let runs = filter.select(block, after);
        if runs.is_empty() {
            return;
        }
        let mut plain = Vec::with_capacity(runs.iter().map(ExactSizeIterator::len).sum());
        for run in runs {
            plain.extend_from_slice(&block.bytes[run]);
        }
        gzip.push(&Deflated::new(&plain), &mut self.queue);
    }

    /// Queues bytes of this stream's own (a comment, the `close` message).
    fn own(&mut self, bytes: Bytes) {
        match &mut self.gzip {
            Some(gzip) => gzip.push(&Deflated::new(&bytes), &mut self.queue),
            None => self.queue.push_back(bytes),
        }
    }

    /// Queues the end of the body (a gzip body's trailer).
    fn finish(&mut self) {
        if let Some(gzip) = &mut self.gzip {
            gzip.finish(&mut self.queue);
        }
    }
}

/// Why a stream ended, in its `close` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The client fell more than the node's buffer behind.
    Lagged,
    /// Blocks this stream sent were replaced (a dev revert, reset or state load): they are no
    /// longer part of the chain; read it again from `from_height` (for a loaded state, its first
    /// block).
    Reverted,
    /// The blocks from where the stream stood up to `from_height` were pruned.
    Pruned,
    /// The stream sent everything up to its `until_height`.
    UntilHeight,
    /// The node is shutting down.
    Shutdown,
    /// The node could not read a block (the details are in its log).
    Error,
}

/// The last message of a stream (`event: close`): why it ended, and where to resume.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StreamClose {
    /// Why the stream ended.
    pub reason: CloseReason,
    /// The height to resume from (`from_height`): the first block this stream did not send
    /// whole, or, after a revert, the first block that changed (after a state load, the new
    /// chain's first block).
    pub from_height: u64,
    /// What happened, for people.
    pub message: String,
}

/// Where a subscription starts, as the route worked it out from one view.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// The first block to send (in part, with `after`).
    pub next: u64,
    /// The hash of block `next - 1` (zero for genesis).
    pub parent: Hash,
    /// Within block `next`, send only the messages after this one (`Last-Event-ID`).
    pub after: Option<Position>,
    /// The `Last-Event-ID` named a block this chain no longer holds: the stream is only a
    /// `close` (`reverted`) telling the client to start again from this height.
    pub replaced_from: Option<u64>,
}

/// One client's stream (see the module documentation).
pub struct Subscription {
    feed: Feed,
    listener: Listener,
    filter: Filter,
    next: u64,
    parent: Hash,
    after: Option<Position>,
    until: Option<u64>,
    live: bool,
    done: bool,
    out: Output,
    quiet_since: Instant,
}

/// What one replay step read.
enum History {
    /// The next blocks (none: the stream has caught up with the latest height).
    Blocks(Vec<StreamBlock>),
    /// The next block was pruned; the lowest height kept whole.
    Pruned(u64),
}

impl Subscription {
    /// A subscription that starts at `start` and ends after `until` (inclusive) if given, its
    /// body gzip-compressed if `gzip`. `listener` must have been taken from `feed` before the
    /// view `start` was read from.
    pub fn new(
        feed: Feed,
        listener: Listener,
        filter: Filter,
        start: Start,
        until: Option<u64>,
        gzip: bool,
    ) -> Subscription {
        let mut subscription = Subscription {
            feed,
            listener,
            filter,
            next: start.next,
            parent: start.parent,
            after: start.after,
            until,
            live: false,
            done: false,
            out: Output::new(gzip),
            quiet_since: Instant::now(),
        };
        if let Some(from_height) = start.replaced_from {
            let message = format!(
                "Last-Event-ID names a block this chain does not hold at its height: blocks were replaced (a dev \
                 revert, reset or state load) or this is another chain; drop what you read from height {from_height} \
                 on and resume there"
            );
            subscription.send_close(StreamClose { reason: CloseReason::Reverted, from_height, message });
        }
        subscription
    }

    /// The response body: the stream's bytes as they come.
    pub fn into_body(self) -> Body {
        Body::from_stream(futures_util::stream::unfold(self, |mut subscription| async move {
            let chunk = subscription.next_chunk().await?;
            Some((Ok::<_, Infallible>(chunk), subscription))
        }))
    }

    /// The next bytes to send; `None` after the `close` message.
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if let Some(chunk) = self.out.queue.pop_front() {
                self.quiet_since = Instant::now();
                return Some(chunk);
            }
            if self.done {
                return None;
            }
            if self.feed.is_closed() {
                self.close(CloseReason::Shutdown, self.next);
            } else if self.until.is_some_and(|until| self.next > until) {
                self.close(CloseReason::UntilHeight, self.next);
            } else if self.live {
                self.live_step().await;
            } else {
                self.replay_step().await;
            }
        }
    }

    /// Whether `block` is the next block of the chain this stream has sent.
    fn follows(&self, block: &StreamBlock) -> bool {
        block.height == self.next && block.parent_hash == self.parent
    }

    fn send(&mut self, block: &StreamBlock) {
        self.out.block(&self.filter, block, self.after.take());
        self.next = block.height + 1;
        self.parent = block.hash;
        if self.until == Some(block.height) {
            self.close(CloseReason::UntilHeight, self.next);
        }
    }

    /// Reads and sends the next committed blocks; switches to live once caught up.
    async fn replay_step(&mut self) {
        let (node, next, until, parts) = (self.feed.node().clone(), self.next, self.until, self.filter.parts());
        // A gzip stream of topics alone sends each block's shared chunk: compress it here, on
        // the blocking pool, rather than on the server's workers.
        let deflate = (self.out.gzip.is_some() && self.filter.by_topic_only()).then_some(self.filter.topics);
        let read = tokio::task::spawn_blocking(move || history(&node, next, until, parts, deflate)).await;
        match read {
            Ok(Ok(History::Blocks(blocks))) if blocks.is_empty() => self.live = true,
            Ok(Ok(History::Blocks(blocks))) => {
                for block in &blocks {
                    if !self.follows(block) {
                        // The chain changed between two reads: the feed's revert notice, which
                        // the receiver holds or will, decides what to tell the client.
                        self.live = true;
                        return;
                    }
                    self.send(block);
                    if self.done {
                        return;
                    }
                }
                self.keep_alive_if_quiet();
            }
            Ok(Ok(History::Pruned(oldest))) => self.close(CloseReason::Pruned, oldest),
            Ok(Err(error)) => {
                tracing::error!(height = next, %error, "a stream could not read block {next}");
                self.close(CloseReason::Error, next);
            }
            Err(error) => {
                tracing::error!(height = next, %error, "a stream's read of block {next} did not finish");
                self.close(CloseReason::Error, next);
            }
        }
    }

    /// Waits for the feed's next item (or sends a keep-alive comment when idle).
    async fn live_step(&mut self) {
        let idle = KEEP_ALIVE.saturating_sub(self.quiet_since.elapsed());
        let Ok(item) = tokio::time::timeout(idle, self.listener.recv()).await else {
            self.out.own(Bytes::from_static(b": keep-alive\n\n"));
            return;
        };
        match item {
            Ok(Item::Block(block)) if self.follows(&block) => {
                if block.parts.covers(self.filter.parts()) {
                    self.send(&block);
                } else {
                    // The feed read it before this stream said what it wants: read it (and
                    // whatever followed) from the ledger, then come back.
                    self.live = false;
                }
            }
            // A block this stream already sent, or one of a chain it has not sent (a revert
            // notice follows if it matters).
            Ok(Item::Block(_)) => {}
            Ok(Item::Replaced { from, resume }) if self.next > from => self.close_replaced(from, resume),
            Ok(Item::Replaced { .. }) => {}
            Ok(Item::Failed) => self.close(CloseReason::Error, self.next),
            Ok(Item::Closed) | Err(RecvError::Closed) => self.close(CloseReason::Shutdown, self.next),
            Err(RecvError::Lagged(_)) => self.close(CloseReason::Lagged, self.next),
        }
    }

    fn keep_alive_if_quiet(&mut self) {
        if self.out.queue.is_empty() && self.quiet_since.elapsed() >= KEEP_ALIVE {
            self.out.own(Bytes::from_static(b": keep-alive\n\n"));
        }
    }

    /// Ends the stream with a `close` message.
    fn close(&mut self, reason: CloseReason, from_height: u64) {
        let message = match reason {
            CloseReason::Lagged => format!(
                "this client fell more than {BUFFER_BLOCKS} blocks behind the node; resume from height {from_height}"
            ),
            CloseReason::Reverted => replaced_message(from_height, from_height),
            CloseReason::Pruned => format!(
                "the node no longer keeps the blocks this stream needed (history is pruned): the oldest kept whole \
                 is {from_height}"
            ),
            CloseReason::UntilHeight => format!("sent everything up to until_height; the next height is {from_height}"),
            CloseReason::Shutdown => {
                format!("the node is shutting down; resume from height {from_height} when it is back")
            }
            CloseReason::Error => {
                format!("the node could not read block {from_height} (see its log); resume from height {from_height}")
            }
        };
        self.send_close(StreamClose { reason, from_height, message });
    }

    /// Ends the stream because blocks from `from` on were replaced, which it had sent some of;
    /// the client resumes at `resume`.
    fn close_replaced(&mut self, from: u64, resume: u64) {
        let message = replaced_message(from, resume);
        self.send_close(StreamClose { reason: CloseReason::Reverted, from_height: resume, message });
    }

    /// Sends `close` as the stream's last message.
    fn send_close(&mut self, close: StreamClose) {
        let mut frame = b"event: close\ndata: ".to_vec();
        serde_json::to_writer(&mut frame, &close).expect("a close message serialises");
        frame.extend_from_slice(b"\n\n");
        self.out.own(Bytes::from(frame));
        self.out.finish();
        self.done = true;
    }
}

/// What a `reverted` close says: blocks from `from` on were replaced; the client resumes at
/// `resume` (`from`, or a loaded chain's first block).
fn replaced_message(from: u64, resume: u64) -> String {
    if from == resume {
        format!(
            "the chain went back to height {}: the blocks this stream sent from height {from} on are gone; resume \
             from height {resume}",
            from.saturating_sub(1)
        )
    } else {
        format!(
            "the chain was replaced (a state was loaded): every block this stream sent is gone, and the new chain \
             begins at height {resume}; resume from there"
        )
    }
}

/// Reads the blocks from `next` on (up to `until`) that one replay step sends, from one view,
/// with the frames of `deflate`'s topics compressed.
fn history(
    node: &Node,
    next: u64,
    until: Option<u64>,
    parts: Parts,
    deflate: Option<Topics>,
) -> Result<History, NodeError> {
    let view = node.view()?;
    let oldest = view.state().oldest_complete_block()?;
    if next < oldest {
        return Ok(History::Pruned(oldest));
    }
    let last = until.map_or(view.height(), |until| until.min(view.height()));
    let mut blocks = Vec::new();
    let mut bytes = 0;
    for height in next..=last {
        if blocks.len() == REPLAY_BLOCKS || bytes >= REPLAY_BYTES {
            break;
        }
        match StreamBlock::read(&view, height, parts)? {
            Some(block) => {
                if let Some(topics) = deflate {
                    block.deflated(topics);
                }
                bytes += block.bytes.len();
                blocks.push(block);
            }
            None => return Ok(History::Pruned(view.state().oldest_complete_block()?)),
        }
    }
    Ok(History::Blocks(blocks))
}
