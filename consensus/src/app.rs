//! The seam between consensus and the state machine it orders: the [`Application`] trait, and
//! what crosses it ([`Header`], [`BuiltBlock`], [`Verdict`], [`DecidedBlock`]).
//!
//! Block bytes are opaque here: consensus moves them, the application gives them meaning. What
//! consensus reads is the [`Header`] the application derives from them.

use serde::{Deserialize, Serialize};

use crate::certificate::Certificate;
use crate::context::BlockHash;

/// What consensus needs to know of a block; the application makes it from the block's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Header {
    /// The block's height; genesis is 0.
    pub height: u64,
    /// The block's id: the hash of its header, which must commit to everything in the block
    /// (its transactions as well as the fields below). This is the value validators vote for.
    pub hash: BlockHash,
    /// The id of the block at `height - 1` (zero for genesis).
    pub parent_hash: BlockHash,
    /// Block time, Unix seconds, chosen by the proposer.
    pub time: u64,
    /// The state root after the block: what the commit certificate ends up signing.
    pub state_root: [u8; 32],
}

/// A block the proposer built: its bytes and the header they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltBlock {
    /// The header of the block, as [`Application::verify_block`] on another node must find it.
    pub header: Header,
    /// The block, encoded as the application likes.
    pub bytes: Vec<u8>,
}

/// Whether a proposed block may be voted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Re-execution gave exactly the header the block carries.
    Valid(Header),
    /// The block must get no vote.
    Invalid {
        /// The id the block claims, when it decodes far enough to have one (consensus needs it
        /// to reject that value; a block without one is simply ignored).
        claimed: Option<BlockHash>,
        /// Why, for the logs.
        reason: String,
    },
}

/// A committed block and the certificate that decided it, as sync serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecidedBlock {
    /// The block's bytes, exactly as proposed.
    pub bytes: Vec<u8>,
    /// More than 2/3 of the voting power precommitted its hash.
    pub certificate: Certificate,
}

/// The state machine consensus orders: Tidepool's node, or a test's toy.
///
/// Consensus calls these from a blocking thread (`tokio::task::spawn_blocking`), one at a time
/// per node, never concurrently with each other: an implementation may take its time and may
/// lock what it likes, but it is shared (`Arc`) with whatever else reads it.
///
/// # What it promises
/// - **Deterministic:** `build_block` on one node and `verify_block` on any other, from the
///   same committed state, give the same [`Header`]; block application depends only on the
///   committed state, the block's contents and its header's time, never on the wall clock.
/// - **No effect before the decision:** building and verifying execute on a scratch copy of
///   the state; only [`commit`](Self::commit) changes what [`last_committed`](Self::last_committed)
///   and reads see. Any number of blocks may be built or verified for a height, in any order,
///   and all but (at most) one are thrown away.
/// - **Commit applies exactly the decided block:** on top of the current last committed block,
///   whatever was prepared for it before. A result prepared on another parent (stale) must be
///   refused or re-executed, never applied.
pub trait Application: Send + Sync + 'static {
    /// Why the application itself failed (storage, corruption): not a verdict on a block.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The last committed block (the genesis header, at height 0, before any commit).
    /// Consensus starts at the height after it, so a restarted node carries on where it stopped.
    ///
    /// # Errors
    /// When the application cannot read its own state.
    fn last_committed(&self) -> Result<Header, Self::Error>;

    /// The first height whose block [`decided_block`](Self::decided_block) can still serve
    /// (after pruning); peers that need older blocks ask someone else.
    ///
    /// # Errors
    /// When the application cannot read its own state.
    fn first_retained_height(&self) -> Result<u64, Self::Error> {
        Ok(1)
    }

    /// Builds the block for `height` (always the height after the last committed one) with
    /// block time `time` (Unix seconds, never before the parent's), executing it to fill its
    /// header's state root. Called on the proposer only.
    ///
    /// # Errors
    /// When the application cannot build at all; consensus then proposes nothing this round.
    fn build_block(&self, height: u64, time: u64) -> Result<BuiltBlock, Self::Error>;

    /// Executes a proposed block for `height` on top of the last committed block and compares
    /// the result with what its header claims. Every validator calls this before it votes; a
    /// block whose header does not match re-execution (a lying state root, a wrong parent) is
    /// [`Verdict::Invalid`].
    ///
    /// Consensus itself checks the block time against the parent's and the local clock, so the
    /// application need not read a clock.
    ///
    /// # Errors
    /// Only when the application itself fails; a bad block is a verdict, not an error.
    fn verify_block(&self, height: u64, block: &[u8]) -> Result<Verdict, Self::Error>;

    /// Commits the decided block for `height`, with the certificate that decided it (store it:
    /// [`decided_block`](Self::decided_block) serves it back), and returns its header.
    ///
    /// # Errors
    /// When the block cannot be applied (the application's storage fails, or `block` is not the
    /// child of the last committed block); consensus then restarts the height — unless
    /// [`last_committed`](Self::last_committed) shows the block committed all the same (a failure
    /// after it was durable), which counts as a commit.
    fn commit(&self, height: u64, block: &[u8], certificate: &Certificate) -> Result<Header, Self::Error>;

    /// The committed block at `height` and its certificate, for a peer catching up; `None` when
    /// the height is not committed here (or pruned).
    ///
    /// # Errors
    /// When the application cannot read its own state.
    fn decided_block(&self, height: u64) -> Result<Option<DecidedBlock>, Self::Error>;
}
