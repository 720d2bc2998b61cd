//! One block as the stream sends it: every message of the block (the block, each transaction,
//! each event) already written as Server-Sent Events frames into one buffer, with what a
//! subscriber filters on beside each frame. A block is encoded once — by the feed for every
//! live subscriber, or by one subscriber replaying history — and each subscriber sends slices of
//! the same buffer (no copy per subscriber), or, compressed, the same [`Deflated`] chunk.

use std::fmt;
use std::io::Write as _;
use std::ops::Range;
use std::sync::OnceLock;

use axum::body::Bytes;
use serde::Serialize;
use tidepool_ledger::{Address, Hash};
use tidepool_node::{Action, NodeError, View};

use super::gzip::Deflated;
use crate::routes::blocks::{Block, EventView};
use crate::routes::txs::TxWithReceipt;

/// Where a message sits in the stream, in the order messages are sent: a block, then each of
/// its transactions followed by that transaction's events. Written as the SSE `id`: `h` for
/// block `h`, `h:i` for its transaction `i`, `h:i:j` for that transaction's event `j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    height: u64,
    /// 0 for the block itself, `i + 1` for transaction `i`.
    tx: u64,
    /// 0 for the transaction itself, `j + 1` for its event `j`.
    event: u64,
}

impl Position {
    /// Block `height`.
    pub fn block(height: u64) -> Position {
        Position { height, tx: 0, event: 0 }
    }

    /// Transaction `tx` of block `height`.
    pub fn tx(height: u64, tx: u32) -> Position {
        Position { height, tx: u64::from(tx) + 1, event: 0 }
    }

    /// Event `event` of transaction `tx` of block `height`.
    pub fn event(height: u64, tx: u32, event: u32) -> Position {
        Position { height, tx: u64::from(tx) + 1, event: u64::from(event) + 1 }
    }

    /// The block this position is in.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The event this position names, when it names one (`h:i:j`); an index too large for a
    /// block stands for the largest, as in [`Position::parse`].
    pub fn event_position(&self) -> Option<tidepool_ledger::EventPosition> {
        let index = |n: u64| u32::try_from(n - 1).unwrap_or(u32::MAX);
        (self.tx > 0 && self.event > 0).then(|| tidepool_ledger::EventPosition {
            height: self.height,
            tx_index: index(self.tx),
            event_index: index(self.event),
        })
    }

    /// Reads an id (`h`, `h:i` or `h:i:j`, decimal). An index too large for any block stands
    /// for "after everything of its kind", so such an id is still a place in the stream.
    pub fn parse(id: &str) -> Option<Position> {
        fn number(digits: &str) -> Option<u64> {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse().unwrap_or(u64::MAX))
        }
        let mut parts = id.split(':');
        let height = number(parts.next()?)?;
        let mut index = || match parts.next() {
            None => Some(0),
            Some(digits) => number(digits).map(|i| i.saturating_add(1)),
        };
        let (tx, event) = (index()?, index()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Position { height, tx, event })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.height)?;
        if self.tx > 0 {
            write!(f, ":{}", self.tx - 1)?;
        }
        if self.event > 0 {
            write!(f, ":{}", self.event - 1)?;
        }
        Ok(())
    }
}

/// A block's tag in a message id (`…@1a2b3c4d`): the first four bytes of its hash, in hex. A
/// client resuming with an id names the block it saw, so a chain that changed under it (a dev
/// revert, a reset, a state loaded, or a new chain behind the same address) is told from the
/// one it read, instead of being resumed at the same height on other blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockTag([u8; 4]);

impl BlockTag {
    /// The tag of the block with this hash.
    pub fn of(hash: &Hash) -> BlockTag {
        BlockTag([hash.0[0], hash.0[1], hash.0[2], hash.0[3]])
    }

    /// Eight lowercase hex digits.
    fn parse(text: &str) -> Option<BlockTag> {
        // Lowercase only, as the stream writes it (`hex` would take uppercase too).
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut tag = [0; 4];
        hex::decode_to_slice(text, &mut tag).ok()?;
        Some(BlockTag(tag))
    }
}

impl fmt::Display for BlockTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A message id as a client sends it back (`Last-Event-ID`): the [`Position`], and the tag of
/// its block ([`BlockTag`]) — absent in ids written before tags, which resume by position alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamId {
    /// Where the message sits.
    pub position: Position,
    /// Which block it belonged to.
    pub block: Option<BlockTag>,
}

impl StreamId {
    /// Reads `h`, `h:i` or `h:i:j`, each optionally followed by `@` and the block's tag.
    pub fn parse(id: &str) -> Option<StreamId> {
        let (position, block) = match id.split_once('@') {
            Some((position, tag)) => (position, Some(BlockTag::parse(tag)?)),
            None => (id, None),
        };
        Some(StreamId { position: Position::parse(position)?, block })
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.position)?;
        if let Some(block) = self.block {
            write!(f, "@{block}")?;
        }
        Ok(())
    }
}

/// What a frame carries, with what the filters look at.
#[derive(Debug)]
pub enum Message {
    /// The block (`event: block`).
    Block,
    /// A transaction with its receipt (`event: tx`).
    Tx {
        /// The contract it is addressed to: an execute's or migrate's contract, the contract an
        /// instantiate created, a transfer's recipient.
        to: Option<Address>,
        /// Its events: the frames at these indexes, right after it (when events were read).
        events: Range<usize>,
    },
    /// An event (`event: event`).
    Event {
        /// The emitting contract.
        contract: Address,
        /// The event's type.
        ty: String,
    },
}

/// One SSE message of a block.
#[derive(Debug)]
pub struct Frame {
    /// Where it sits in the stream.
    pub position: Position,
    /// What it is.
    pub message: Message,
    /// Its bytes in [`StreamBlock::bytes`].
    pub range: Range<usize>,
}

/// Which topics a stream follows (`topics=`). Streams that follow the same topics, without
/// `contract` or `type`, send the same frames of every block, so they share one compressed copy
/// of them ([`StreamBlock::deflated`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Topics {
    /// `block` messages.
    pub blocks: bool,
    /// `tx` messages.
    pub txs: bool,
    /// `event` messages.
    pub events: bool,
}

impl Topics {
    /// Every topic (the default).
    pub const ALL: Topics = Topics { blocks: true, txs: true, events: true };

    /// How many sets of topics there are.
    pub const COUNT: usize = 8;

    /// This set's place among the [`Topics::COUNT`].
    pub fn index(self) -> usize {
        usize::from(self.blocks) | (usize::from(self.txs) << 1) | (usize::from(self.events) << 2)
    }

    /// Every set, in [`Topics::index`] order.
    pub fn all_sets() -> impl Iterator<Item = Topics> {
        (0..Topics::COUNT).map(|i| Topics { blocks: i & 1 != 0, txs: i & 2 != 0, events: i & 4 != 0 })
    }

    /// Whether a message is of one of these topics.
    pub fn include(self, message: &Message) -> bool {
        match message {
            Message::Block => self.blocks,
            Message::Tx { .. } => self.txs,
            Message::Event { .. } => self.events,
        }
    }

    /// What to read of a block to send these topics.
    pub fn parts(self) -> Parts {
        Parts { txs: self.txs, events: self.events }
    }
}

/// Which parts of a block to read: a subscriber reads only what it may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The transactions with their receipts.
    pub txs: bool,
    /// The events.
    pub events: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Parts = Parts { txs: true, events: true };

    /// The block's own message only.
    pub const BLOCK: Parts = Parts { txs: false, events: false };

    /// Whether a block read with these parts holds everything `wanted` needs.
    pub fn covers(self, wanted: Parts) -> bool {
        (self.txs || !wanted.txs) && (self.events || !wanted.events)
    }
}

/// A block's messages, encoded.
#[derive(Debug)]
pub struct StreamBlock {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: Hash,
    /// Its parent's hash: a subscriber sends a block only right after its parent.
    pub parent_hash: Hash,
    /// What was read of it: a subscriber that wants more reads the block itself.
    pub parts: Parts,
    /// Every frame, in stream order.
    pub frames: Vec<Frame>,
    /// The frames' bytes, back to back in stream order.
    pub bytes: Bytes,
    /// The frames of each set of topics, compressed, by [`Topics::index`]: made by the first
    /// who asks (the feed's thread, for the sets its gzip listeners follow).
    deflated: [OnceLock<Deflated>; Topics::COUNT],
}

impl StreamBlock {
    /// Reads block `height` from `view` and encodes `parts` of it (the block's own message
    /// always). `None` if the view has no such block, or if its transactions are missing (pruned).
    ///
    /// # Errors
    /// A ledger failure or a record that does not decode.
    pub fn read(view: &View, height: u64, parts: Parts) -> Result<Option<StreamBlock>, NodeError> {
        let Some(header) = view.block(height)? else { return Ok(None) };
        let (hash, parent_hash) = (header.hash(), header.parent_hash);
        let mut encoder = Encoder::new(BlockTag::of(&hash));
        let tx_hashes = header.tx_hashes.clone();
        encoder.push(Position::block(height), "block", &Block::from(header), Message::Block);
        let mut events = if parts.events {
            view.state().block_events(height)?.into_iter().peekable()
        } else {
            Vec::new().into_iter().peekable()
        };
        for (index, tx_hash) in tx_hashes.iter().enumerate() {
            let index = u32::try_from(index).expect("a block holds fewer than 2^32 transactions");
            if parts.txs {
                let Some((tx, receipt)) = view.transaction(tx_hash)? else { return Ok(None) };
                let to = addressed_to(&tx.tx.action, receipt.contract_address);
                let message = Message::Tx { to, events: 0..0 };
                encoder.push(Position::tx(height, index), "tx", &TxWithReceipt { tx, receipt }, message);
            }
            let tx_frame = encoder.frames.len().checked_sub(1).filter(|_| parts.txs);
            while let Some(record) = events.next_if(|record| record.tx_index == index) {
                let view = EventView {
                    height,
                    tx_hash: record.tx_hash,
                    tx_index: record.tx_index,
                    event_index: record.event_index,
                    contract: record.event.contract,
                    ty: record.event.ty.clone(),
                    data: tidepool_node::receipt::json_or_hex(&record.event.data),
                };
                let message = Message::Event { contract: record.event.contract, ty: record.event.ty };
                encoder.push(Position::event(height, index, record.event_index), "event", &view, message);
            }
            if let Some(tx_frame) = tx_frame {
                let end = encoder.frames.len();
                if let Message::Tx { events, .. } = &mut encoder.frames[tx_frame].message {
                    *events = tx_frame + 1..end;
                }
            }
        }
        Ok(Some(StreamBlock {
            height,
            hash,
            parent_hash,
            parts,
            frames: encoder.frames,
            bytes: Bytes::from(encoder.bytes),
            deflated: Default::default(),
        }))
    }

    /// The frames of `topics`, compressed on their own ([`Deflated`]): compressed once per block
    /// and set of topics, whoever asks. The block must have been read with `topics.parts()`.
    pub fn deflated(&self, topics: Topics) -> &Deflated {
        debug_assert!(self.parts.covers(topics.parts()), "a block read without the parts of {topics:?}");
        self.deflated[topics.index()].get_or_init(|| {
            if topics == Topics::ALL {
                return Deflated::new(&self.bytes);
            }
            let mut plain = Vec::with_capacity(self.bytes.len());
            for frame in self.frames.iter().filter(|frame| topics.include(&frame.message)) {
                plain.extend_from_slice(&self.bytes[frame.range.clone()]);
            }
            Deflated::new(&plain)
        })
    }
}

/// The contract a transaction is addressed to (see [`Message::Tx`]).
fn addressed_to(action: &Action, created: Option<Address>) -> Option<Address> {
    match action {
        Action::Execute { contract, .. } | Action::Migrate { contract, .. } => Some(*contract),
        Action::Transfer { to, .. } => Some(*to),
        Action::Instantiate { .. } => created,
        Action::UploadCode { .. } => None,
    }
}

/// Writes one block's frames back to back.
struct Encoder {
    /// The block's tag, in every id: written out once per block.
    tag: String,
    bytes: Vec<u8>,
    frames: Vec<Frame>,
}

impl Encoder {
    fn new(tag: BlockTag) -> Encoder {
        Encoder { tag: tag.to_string(), bytes: Vec::new(), frames: Vec::new() }
    }

    /// Appends `event: {name}`, `id: {position}@{tag}` and `data: {JSON of data}`. serde_json
    /// writes JSON on one line (a newline inside a string is escaped), as an SSE data line must be.
    fn push(&mut self, position: Position, name: &str, data: &impl Serialize, message: Message) {
        let start = self.bytes.len();
        let _ = write!(self.bytes, "event: {name}\nid: {position}@{}\ndata: ", self.tag);
        serde_json::to_writer(&mut self.bytes, data).expect("API answers serialise");
        self.bytes.extend_from_slice(b"\n\n");
        self.frames.push(Frame { position, message, range: start..self.bytes.len() });
    }
}

#[cfg(test)]
mod tests {
    use tidepool_ledger::Hash;

    use super::{BlockTag, Position, StreamId};

    #[test]
    fn ids_round_trip_and_sort_in_stream_order() {
        let order = [
            Position::block(7),
            Position::tx(7, 0),
            Position::event(7, 0, 0),
            Position::event(7, 0, 1),
            Position::tx(7, 1),
            Position::block(8),
        ];
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]));
        for position in order {
            assert_eq!(Position::parse(&position.to_string()), Some(position));
        }
        assert_eq!(Position::event(7, 1, 2).to_string(), "7:1:2");
    }

    #[test]
    fn ids_that_are_not_positions_are_refused_and_huge_indexes_saturate() {
        for id in ["", ":", "1:", ":1", "1::2", "a", "1:2:3:4", "-1", "1 ", "+1", "0x1"] {
            assert_eq!(Position::parse(id), None, "{id:?}");
        }
        let huge = Position::parse("99999999999999999999999:5").unwrap();
        assert_eq!(huge.height(), u64::MAX);
        assert!(Position::parse("3:99999999999999999999").unwrap() > Position::event(3, u32::MAX, u32::MAX));
    }

    #[test]
    fn ids_carry_their_block_tag_and_older_ids_without_one_still_read() {
        let mut hash = [0u8; 32];
        hash[..5].copy_from_slice(&[0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
        let tag = BlockTag::of(&Hash(hash));
        let id = StreamId { position: Position::event(7, 1, 2), block: Some(tag) };
        assert_eq!(id.to_string(), "7:1:2@1a2b3c4d");
        assert_eq!(StreamId::parse("7:1:2@1a2b3c4d"), Some(id));
        assert_eq!(StreamId::parse("7:1:2"), Some(StreamId { position: Position::event(7, 1, 2), block: None }));
        for id in
            ["7@", "7@1a2b3c4", "7@1a2b3c4d5", "7@1A2B3C4D", "7@1a2b3c4g", "@1a2b3c4d", "7@1a2b@3c4d", "7:@1a2b3c4d"]
        {
            assert_eq!(StreamId::parse(id), None, "{id:?}");
        }
    }

    /// The documented patterns admit exactly what the parser reads (`Last-Event-ID`) and what
    /// the stream writes (ids): strings over an alphabet with each character they tell apart.
    #[test]
    fn the_id_patterns_admit_exactly_the_ids_the_stream_reads_and_writes() {
        let resume = regex::Regex::new(crate::routes::stream::LAST_EVENT_ID_PATTERN).unwrap();
        let written = regex::Regex::new(crate::routes::stream::ID_PATTERN).unwrap();
        let alphabet = ["0", "7", ":", "@", "a", "f", "g", "A", "-", "12", "1a2b3c4d", "1a2b3c4", " "];
        let mut cases = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                cases.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            cases.extend(longer);
        }
        for case in &cases {
            let parsed = StreamId::parse(case);
            assert_eq!(resume.is_match(case), parsed.is_some(), "{case:?}");
            // What the stream writes always carries its tag, written as it was read.
            assert_eq!(written.is_match(case), parsed.is_some_and(|id| id.block.is_some()), "{case:?}");
        }
    }
}
