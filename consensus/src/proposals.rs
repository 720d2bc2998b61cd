//! Proposed blocks on their way in and kept until their height is decided.
//!
//! [`Streams`] reassembles proposal streams (`Init`, chunks, `Fin`) that may arrive out of
//! order and interleaved; [`Proposals`] keeps every block built or received for the current and
//! the next heights, with what verification said about it, so the decided one can be committed
//! and a re-proposal can be streamed again.

use std::collections::{BTreeMap, HashMap};

use bytes::{Bytes, BytesMut};
use malachitebft_app_channel::app::consensus::MAX_FUTURE_ROUND_LOOKAHEAD;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::PeerId;
use malachitebft_app_channel::app::types::core::{Round, Validity};
use malachitebft_signing_ed25519::Signature;

use crate::app::Header;
use crate::context::{Address, BlockHash, Height, ProposalPart};

/// Block bytes per proposal part: small enough for any pub-sub message limit, large enough
/// that a big block is a few hundred parts, not thousands.
pub(crate) const CHUNK_BYTES: usize = 64 << 10;

/// The most streams reassembled at once; past it the oldest stream of the publisher with the
/// most open is dropped. Honest validators have at most a few open (one proposal per round, a
/// re-proposal), so this only bounds a flood, and a peer flooding it drops its own streams, not
/// an honest proposer's.
const MAX_OPEN_STREAMS: usize = 64;

/// A proposal stream, complete: who proposed which block for which height and round.
#[derive(Clone, Debug)]
pub(crate) struct StreamedBlock {
    pub(crate) height: Height,
    pub(crate) round: Round,
    pub(crate) pol_round: Round,
    pub(crate) proposer: Address,
    pub(crate) bytes: Bytes,
    pub(crate) signature: Signature,
}

#[derive(Default)]
struct OpenStream {
    parts: BTreeMap<u64, ProposalPart>,
    /// The sequence number of the stream's end marker, once seen.
    end: Option<u64>,
    bytes: usize,
    /// When it was opened, in insertions, for dropping the oldest.
    opened: u64,
}

/// Proposal streams being reassembled, keyed by publisher and stream id.
pub(crate) struct Streams {
    open: HashMap<(PeerId, StreamId), OpenStream>,
    max_block_bytes: usize,
    insertions: u64,
}

impl Streams {
    pub(crate) fn new(max_block_bytes: usize) -> Self {
        Self { open: HashMap::new(), max_block_bytes, insertions: 0 }
    }

    /// Adds one message; returns the block once its stream is complete and well formed.
    pub(crate) fn insert(&mut self, publisher: PeerId, message: StreamMessage<ProposalPart>) -> Option<StreamedBlock> {
        self.insertions += 1;
        let key = (publisher, message.stream_id.clone());
        if !self.open.contains_key(&key) && self.open.len() >= MAX_OPEN_STREAMS {
            self.drop_one_of_the_busiest(&publisher);
        }
        let insertions = self.insertions;
        let stream =
            self.open.entry(key.clone()).or_insert_with(|| OpenStream { opened: insertions, ..Default::default() });
        match message.content {
            StreamContent::Fin => stream.end = Some(message.sequence),
            StreamContent::Data(part) => {
                if let ProposalPart::Chunk(chunk) = &part {
                    stream.bytes += chunk.len();
                }
                stream.parts.insert(message.sequence, part);
            }
        }
        // An honest stream is `Init`, full chunks but the last, `Fin`: anything longer is junk.
        let max_parts = self.max_block_bytes / CHUNK_BYTES + 3;
        if stream.bytes > self.max_block_bytes || stream.parts.len() > max_parts {
            tracing::warn!(%publisher, "proposal stream larger than a block may be, dropped");
            self.open.remove(&key);
            return None;
        }
        let end = stream.end?;
        if stream.parts.len() as u64 != end || stream.parts.keys().next_back() != end.checked_sub(1).as_ref() {
            return None;
        }
        let stream = self.open.remove(&key)?;
        assemble(stream.parts.into_values())
    }

    /// Drops the oldest open stream of the publisher holding the most (`incoming`'s new one
    /// counted, and ties going to it), so that a flood pushes out the flooder's own streams.
    fn drop_one_of_the_busiest(&mut self, incoming: &PeerId) {
        let mut held: HashMap<&PeerId, usize> = HashMap::from([(incoming, 1)]);
        for (publisher, _) in self.open.keys() {
            *held.entry(publisher).or_default() += 1;
        }
        let busiest =
            held.into_iter().max_by_key(|&(publisher, count)| (count, publisher == incoming)).map(|(p, _)| *p);
        let oldest = self
            .open
            .iter()
            .filter(|((publisher, _), _)| Some(*publisher) == busiest)
            .min_by_key(|(_, stream)| stream.opened)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest {
            self.open.remove(&oldest);
        }
    }
}

/// Whether two blocks' bytes are equal. A block known under several rounds shares one copy of
/// its bytes, so the copies are compared first, and the contents only when they differ.
pub(crate) fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// `Init`, chunks, `Fin`, in that order, or nothing.
fn assemble(parts: impl Iterator<Item = ProposalPart>) -> Option<StreamedBlock> {
    let mut parts = parts.peekable();
    let Some(ProposalPart::Init { height, round, pol_round, proposer }) = parts.next() else {
        return None;
    };
    let mut bytes = BytesMut::new();
    while let Some(ProposalPart::Chunk(chunk)) = parts.peek() {
        bytes.extend_from_slice(chunk);
        parts.next();
    }
    let Some(ProposalPart::Fin { signature }) = parts.next() else {
        return None;
    };
    if parts.next().is_some() {
        return None;
    }
    Some(StreamedBlock { height, round, pol_round, proposer, bytes: bytes.freeze(), signature })
}

/// A block proposed for a height, and what this node knows about it.
#[derive(Clone, Debug)]
pub(crate) struct KnownBlock {
    /// The round its stream named (not covered by the stream's signature: a replay may name
    /// another, so one block can be known under several rounds).
    pub(crate) round: Round,
    pub(crate) proposer: Address,
    pub(crate) hash: BlockHash,
    pub(crate) bytes: Bytes,
    /// The proposer's signature over its stream, to stream it again as it was; `None` for a
    /// block that came from sync (it is decided: nobody proposes it again).
    pub(crate) signature: Option<Signature>,
    pub(crate) validity: Validity,
    /// The header verification (or building) produced; `None` for an invalid block.
    pub(crate) header: Option<Header>,
}

/// Blocks seen for heights not yet committed, and complete streams for heights not yet started.
#[derive(Default)]
pub(crate) struct Proposals {
    known: BTreeMap<Height, Vec<KnownBlock>>,
    /// Streams for a later height than the current one, verified when it starts. Bounded: a
    /// validator is at most a height or two ahead of us in normal operation.
    early: BTreeMap<Height, Vec<EarlyBlock>>,
}

/// A block streamed for a later height, with every round (and its `pol_round`) it came under:
/// the round is not signed, so a replay under other rounds shares the block's place.
struct EarlyBlock {
    block: StreamedBlock,
    rounds: Vec<(Round, Round)>,
}

/// How many later heights keep early streams, and how many streams each.
const EARLY_HEIGHTS: usize = 4;
const EARLY_PER_HEIGHT: usize = 16;

impl Proposals {
    /// Remembers a block; the same block again in the same round keeps its first record.
    pub(crate) fn remember(&mut self, height: Height, block: KnownBlock) {
        if !self.knows(height, &block) {
            self.known.entry(height).or_default().push(block);
        }
    }

    /// Whether `block` (these bytes, with this id, in this round) is known at `height`.
    pub(crate) fn knows(&self, height: Height, block: &KnownBlock) -> bool {
        let same =
            |b: &KnownBlock| b.round == block.round && b.hash == block.hash && same_bytes(&b.bytes, &block.bytes);
        self.known.get(&height).is_some_and(|blocks| blocks.iter().any(same))
    }

    /// How many different blocks (by bytes: a forgery may claim another's id) `proposer`'s
    /// streams brought for `height`.
    pub(crate) fn blocks_of(&self, height: Height, proposer: Address) -> usize {
        let mut different: Vec<&Bytes> = Vec::new();
        // Streamed blocks only: a synced one's height is decided, whatever its proposer.
        let streamed = |b: &&KnownBlock| b.proposer == proposer && b.signature.is_some();
        for block in self.known.get(&height).into_iter().flatten().filter(streamed) {
            if !different.iter().any(|seen| same_bytes(seen, &block.bytes)) {
                different.push(&block.bytes);
            }
        }
        different.len()
    }

    /// The valid block with `hash` at `height`, if seen. (Bytes that claim another block's id
    /// are invalid, and never what a decision or a re-proposal is about.)
    pub(crate) fn find_valid(&self, height: Height, hash: BlockHash) -> Option<&KnownBlock> {
        self.known.get(&height)?.iter().find(|b| b.hash == hash && b.validity.is_valid())
    }

    /// The block at `height` with exactly these bytes, if seen.
    pub(crate) fn known_bytes(&self, height: Height, bytes: &[u8]) -> Option<&KnownBlock> {
        self.known.get(&height)?.iter().find(|b| b.bytes == bytes)
    }

    /// The block this node proposed itself at `height` and `round`, if it did.
    pub(crate) fn own(&self, height: Height, round: Round, me: Address) -> Option<&KnownBlock> {
        self.known.get(&height)?.iter().find(|b| b.round == round && b.proposer == me)
    }

    /// The blocks first proposed at `height` and `round`.
    pub(crate) fn in_round(&self, height: Height, round: Round) -> impl Iterator<Item = &KnownBlock> {
        self.known.get(&height).into_iter().flatten().filter(move |b| b.round == round)
    }

    /// Keeps a complete stream (its signature checked) for a height not started yet, when it
    /// is one of the [`EARLY_HEIGHTS`] after `current`: a stream for a height further on (junk,
    /// or a validator far ahead, which sync catches up with) would only take the room. The
    /// same block under another round takes no more room; a round the engine would not take
    /// at the start of a height (past its lookahead from round 0) is not kept.
    pub(crate) fn hold_early(&mut self, current: Height, block: StreamedBlock) {
        let ahead = block.height.0.saturating_sub(current.0);
        if ahead == 0 || ahead > EARLY_HEIGHTS as u64 {
            return;
        }
        if block.round.as_i64() > i64::from(MAX_FUTURE_ROUND_LOOKAHEAD) {
            return;
        }
        if !self.early.contains_key(&block.height) && self.early.len() >= EARLY_HEIGHTS {
            return;
        }
        let held = self.early.entry(block.height).or_default();
        let rounds = (block.round, block.pol_round);
        let room = held.len() < EARLY_PER_HEIGHT;
        match held.iter_mut().find(|e| e.block.proposer == block.proposer && e.block.bytes == block.bytes) {
            Some(early) if !early.rounds.contains(&rounds) => early.rounds.push(rounds),
            Some(_) => {}
            None if room => held.push(EarlyBlock { block, rounds: vec![rounds] }),
            None => {}
        }
    }

    /// The streams held for `height`, removed: each block under every round it came with.
    pub(crate) fn take_early(&mut self, height: Height) -> Vec<StreamedBlock> {
        let held = self.early.remove(&height).unwrap_or_default();
        held.into_iter()
            .flat_map(|early| {
                let EarlyBlock { block, rounds } = early;
                rounds.into_iter().map(move |(round, pol_round)| StreamedBlock { round, pol_round, ..block.clone() })
            })
            .collect()
    }

    /// Forgets everything at or below `height` (it is committed).
    pub(crate) fn forget_through(&mut self, height: Height) {
        self.known = self.known.split_off(&Height(height.0 + 1));
        self.early = self.early.split_off(&Height(height.0 + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::ValidatorKey;

    fn peer() -> PeerId {
        let id = ValidatorKey::from_seed([9; 32]).libp2p_keypair().public().to_peer_id();
        PeerId::from_bytes(&id.to_bytes()).unwrap()
    }

    fn messages(block: &[u8]) -> Vec<StreamMessage<ProposalPart>> {
        let key = ValidatorKey::from_seed([1; 32]);
        let id = StreamId::new(Bytes::from_static(b"s"));
        let mut parts = vec![ProposalPart::Init {
            height: Height(2),
            round: Round::new(0),
            pol_round: Round::Nil,
            proposer: key.address(),
        }];
        parts.extend(block.chunks(3).map(|c| ProposalPart::Chunk(Bytes::copy_from_slice(c))));
        parts.push(ProposalPart::Fin { signature: key.sign(b"x") });
        let mut messages: Vec<_> = parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| StreamMessage::new(id.clone(), i as u64, StreamContent::Data(p)))
            .collect();
        messages.push(StreamMessage::new(id, messages.len() as u64, StreamContent::Fin));
        messages
    }

    #[test]
    fn a_stream_reassembles_in_any_order() {
        let block = b"a block of some bytes";
        let mut shuffled = messages(block);
        shuffled.reverse();
        shuffled.swap(1, 3);
        let mut streams = Streams::new(1 << 20);
        let peer = peer();
        let last = shuffled.pop().unwrap();
        for message in shuffled {
            assert!(streams.insert(peer, message).is_none());
        }
        let assembled = streams.insert(peer, last).expect("complete");
        assert_eq!(&assembled.bytes[..], block);
        assert_eq!(assembled.height, Height(2));
    }

    #[test]
    fn a_flood_of_streams_drops_the_flooders_own_not_an_open_proposal() {
        let honest = peer();
        let flooder = {
            let id = ValidatorKey::from_seed([7; 32]).libp2p_keypair().public().to_peer_id();
            PeerId::from_bytes(&id.to_bytes()).unwrap()
        };
        let block = b"a block of some bytes";
        let mut proposal = messages(block);
        let last = proposal.pop().unwrap();
        let mut streams = Streams::new(1 << 20);
        for message in proposal {
            assert!(streams.insert(honest, message).is_none());
        }
        // Many times the room, one message per stream, as a peer flooding the topic sends.
        for i in 0..(10 * MAX_OPEN_STREAMS as u64) {
            let junk = StreamMessage::new(StreamId::new(Bytes::from(i.to_be_bytes().to_vec())), 5, StreamContent::Fin);
            assert!(streams.insert(flooder, junk).is_none());
            assert!(streams.open.len() <= MAX_OPEN_STREAMS);
        }
        let assembled = streams.insert(honest, last).expect("the honest stream survived the flood");
        assert_eq!(&assembled.bytes[..], block);
    }

    #[test]
    fn early_streams_are_held_only_for_the_next_few_heights() {
        let key = ValidatorKey::from_seed([1; 32]);
        let streamed = |height: u64| StreamedBlock {
            height: Height(height),
            round: Round::new(0),
            pol_round: Round::Nil,
            proposer: key.address(),
            bytes: Bytes::from_static(b"block"),
            signature: key.sign(b"x"),
        };
        let mut proposals = Proposals::default();
        // Junk for the last heights there are first: it takes no room.
        for height in [u64::MAX, u64::MAX - 1, 100, 7, 6, 2] {
            proposals.hold_early(Height(2), streamed(height));
        }
        for height in 3..=6 {
            proposals.hold_early(Height(2), streamed(height));
        }
        assert_eq!(proposals.early.keys().map(|h| h.0).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
        assert_eq!(proposals.take_early(Height(6)).len(), 1, "6 twice, in one round: once");
        assert!(proposals.take_early(Height(7)).is_empty());

        // One block replayed under every round takes one place and comes back under each round
        // the engine would take; others still fit.
        for round in (0..(2 * EARLY_PER_HEIGHT as u32)).rev() {
            proposals.hold_early(Height(2), StreamedBlock { round: Round::new(round), ..streamed(3) });
        }
        proposals.hold_early(Height(2), StreamedBlock { bytes: Bytes::from_static(b"another"), ..streamed(3) });
        assert_eq!(proposals.early[&Height(3)].len(), 2);
        let taken = proposals.take_early(Height(3));
        let zero: Vec<&[u8]> = taken.iter().filter(|b| b.round == Round::new(0)).map(|b| &b.bytes[..]).collect();
        assert_eq!(zero, vec![&b"block"[..], b"another"], "round 0 is there, though a replay came first");
        assert_eq!(taken.len(), MAX_FUTURE_ROUND_LOOKAHEAD as usize + 1 + 1);
    }

    #[test]
    fn bytes_that_claim_a_valid_blocks_id_do_not_hide_it() {
        let key = ValidatorKey::from_seed([1; 32]);
        let known = |bytes: &'static [u8], validity| KnownBlock {
            round: Round::new(0),
            proposer: key.address(),
            hash: BlockHash([7; 32]),
            bytes: Bytes::from_static(bytes),
            signature: None,
            validity,
            header: None,
        };
        let mut proposals = Proposals::default();
        proposals.remember(Height(2), known(b"a forgery", Validity::Invalid));
        assert!(proposals.find_valid(Height(2), BlockHash([7; 32])).is_none());
        assert!(!proposals.knows(Height(2), &known(b"the block", Validity::Valid)));
        proposals.remember(Height(2), known(b"the block", Validity::Valid));
        let found = proposals.find_valid(Height(2), BlockHash([7; 32])).expect("the valid block is found");
        assert_eq!(&found.bytes[..], b"the block");
        assert!(proposals.knows(Height(2), &known(b"a forgery", Validity::Invalid)));
    }

    #[test]
    fn an_oversized_stream_is_dropped() {
        let mut streams = Streams::new(8);
        let peer = peer();
        let complete = messages(b"more than eight bytes").into_iter().filter_map(|m| streams.insert(peer, m)).count();
        assert_eq!(complete, 0);
    }

    #[test]
    fn a_stream_missing_its_fin_part_is_not_a_block() {
        let mut parts = messages(b"abc");
        let end = parts.pop().unwrap();
        parts.pop(); // the Fin part
        let end = StreamMessage::new(end.stream_id, end.sequence - 1, StreamContent::Fin);
        let mut streams = Streams::new(1 << 20);
        let peer = peer();
        for message in parts {
            assert!(streams.insert(peer, message).is_none());
        }
        assert!(streams.insert(peer, end).is_none());
    }
}
