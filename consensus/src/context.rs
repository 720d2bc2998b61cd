//! The engine's [`Context`]: what a height, an address, a validator, a value, a proposal, a vote
//! and a proposal part are for Tidepool.
//!
//! Consensus agrees on a [`BlockHash`] per height: the block's bytes travel beside it, as
//! proposal parts while a height is live and as synced values afterwards, and the application
//! turns them into the hash by executing them (`crate::Application`). Heights are block heights:
//! genesis is height 0 and is never voted on, so the engine starts at height 1.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{
    self as engine, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use malachitebft_signing_ed25519::{Ed25519, PublicKey, Signature};
use serde::{Deserialize, Serialize};

/// Tidepool's implementation of the engine's [`engine::Context`]; it carries no data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TidepoolContext;

/// A block height. Genesis is 0; the first height consensus decides is 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl engine::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the last 20 bytes of the keccak256 of its ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of the validator holding `public_key`.
    pub fn from_public_key(public_key: &PublicKey) -> Self {
        let digest = tidepool_keccak::keccak256(public_key.as_bytes());
        let mut address = [0; 20];
        address.copy_from_slice(&digest[12..]);
        Address(address)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl engine::Address for Address {}

/// The id of a block, as the application computes it (the hash of its header); the value
/// consensus decides on.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlockHash(pub [u8; 32]);

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short form: logs carry many of these.
        write!(f, "0x{}…", hex::encode(&self.0[..4]))
    }
}

impl engine::Value for BlockHash {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        *self
    }
}

/// A validator: its ed25519 key, the address derived from it, and its voting power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Derived from `public_key`.
    pub address: Address,
    /// The key its votes and proposals are signed with.
    pub public_key: PublicKey,
    /// Its weight in every quorum (more than 2/3 of the total decides).
    pub voting_power: VotingPower,
}

impl Validator {
    /// A validator holding `public_key` with `voting_power`.
    pub fn new(public_key: PublicKey, voting_power: VotingPower) -> Self {
        Self { address: Address::from_public_key(&public_key), public_key, voting_power }
    }
}

impl engine::Validator<TidepoolContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The validators of a height, sorted by address (so every node orders them alike), each once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Arc<[Validator]>,
}

impl ValidatorSet {
    /// The set of `validators`, sorted by address; a repeated address keeps its first entry,
    /// and validators without voting power are left out.
    pub fn new(validators: impl IntoIterator<Item = Validator>) -> Self {
        let mut validators: Vec<Validator> = validators.into_iter().filter(|v| v.voting_power > 0).collect();
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        Self { validators: validators.into() }
    }

    /// The validators, sorted by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The proposer of `round` at `height`: round robin over the sorted set, moving one place
    /// per height and per round, so a faulty proposer never holds two rounds in a row.
    /// (Voting power weighs votes, not turns: every validator proposes equally often.)
    ///
    /// # Panics
    /// On an empty set (the engine never starts a height without validators).
    pub fn proposer(&self, height: Height, round: Round) -> &Validator {
        let round = u64::from(round.as_u32().unwrap_or(0));
        let turn = height.0.wrapping_add(round) % self.validators.len() as u64;
        &self.validators[turn as usize]
    }
}

impl engine::ValidatorSet<TidepoolContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.binary_search_by_key(address, |v| v.address).ok().map(|i| &self.validators[i])
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A signed proposal: "at `height` and `round`, `proposer` proposes the block `value`", with
/// the round of its proof of lock (`pol_round`) when it re-proposes a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The height proposed for.
    pub height: Height,
    /// The round proposed in.
    pub round: Round,
    /// The proposed block.
    pub value: BlockHash,
    /// The round in which this block got a polka, or nil for a fresh block.
    pub pol_round: Round,
    /// Who proposes.
    pub proposer: Address,
}

impl engine::Proposal<TidepoolContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockHash {
        &self.value
    }

    fn take_value(self) -> BlockHash {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// A prevote or precommit for a block (or for nil).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// The height voted at.
    pub height: Height,
    /// The round voted in.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockHash>,
    /// Who votes.
    pub voter: Address,
    /// A signed vote extension; Tidepool asks for none, so this stays empty.
    pub extension: Option<SignedExtension<TidepoolContext>>,
}

impl engine::Vote<TidepoolContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &Address {
        &self.voter
    }

    fn extension(&self) -> Option<&SignedExtension<TidepoolContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<TidepoolContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<TidepoolContext>) -> Self {
        Self { extension: Some(extension), ..self }
    }
}

/// One message of a proposal's stream: the block's bytes travel in `Chunk`s between an `Init`
/// naming the proposer and a `Fin` carrying the proposer's signature over all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalPart {
    /// First part: who proposes what for which height and round.
    Init {
        /// The height proposed for.
        height: Height,
        /// The round proposed in.
        round: Round,
        /// The proof-of-lock round of a re-proposed block, or nil.
        pol_round: Round,
        /// The proposer (who signs the `Fin`).
        proposer: Address,
    },
    /// A slice of the block's bytes, in order.
    Chunk(Bytes),
    /// Last part: the proposer's signature over the height, its address and the block bytes
    /// (`crate::signing::proposal_stream_bytes`).
    Fin {
        /// ed25519 signature by the proposer named in `Init`.
        signature: Signature,
    },
}

impl engine::ProposalPart<TidepoolContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, Self::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, Self::Fin { .. })
    }
}

impl engine::Context for TidepoolContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockHash;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(&self, validator_set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        validator_set.proposer(height, round)
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockHash,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(&self, height: Height, round: Round, value_id: NilOrVal<BlockHash>, address: Address) -> Vote {
        Vote { vote_type: VoteType::Prevote, height, round, value: value_id, voter: address, extension: None }
    }

    fn new_precommit(&self, height: Height, round: Round, value_id: NilOrVal<BlockHash>, address: Address) -> Vote {
        Vote { vote_type: VoteType::Precommit, height, round, value: value_id, voter: address, extension: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malachitebft_signing_ed25519::PrivateKey;

    fn validator(seed: u8, power: u64) -> Validator {
        Validator::new(PrivateKey::from([seed; 32]).public_key(), power)
    }

    #[test]
    fn the_set_is_sorted_deduplicated_and_drops_powerless_validators() {
        let set = ValidatorSet::new([validator(1, 1), validator(2, 1), validator(1, 5), validator(3, 0)]);
        let addresses: Vec<_> = set.validators().iter().map(|v| v.address).collect();
        assert_eq!(addresses.len(), 2);
        assert!(addresses[0] < addresses[1]);
    }

    #[test]
    fn proposers_rotate_by_height_and_round() {
        let set = ValidatorSet::new((1..=4).map(|seed| validator(seed, 1)));
        let at = |h, r| set.proposer(Height(h), Round::new(r)).address;
        assert_ne!(at(1, 0), at(1, 1));
        assert_eq!(at(1, 1), at(2, 0));
        assert_eq!(at(1, 0), at(5, 0));
    }
}
