//! Misbehaviour the engine caught: a validator that signed two different votes for one step of
//! a round, or two different proposals for one round — what a validator does when it runs its
//! key twice, or on purpose. The engine keeps the first of two conflicting messages and reports
//! the pair when the height is finalized; [`EvidenceLog`] counts them, keeps the latest, and
//! logs each at `WARN` with both values, for the operator to act on (Tidepool has no stake to
//! slash: the evidence is for people).

use std::collections::VecDeque;
use std::sync::Arc;

use malachitebft_app_channel::app::types::MisbehaviorEvidence;
use malachitebft_app_channel::app::types::core::{NilOrVal, VoteType};
use parking_lot::Mutex;
use tracing::warn;

use crate::context::{Address, BlockHash, TidepoolContext};

/// How many equivocations [`EvidenceLog::recent`] keeps.
const KEPT: usize = 16;

/// What a validator signed twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EquivocationKind {
    /// Two prevotes for different blocks (or a block and nil) in one round.
    Prevote,
    /// Two precommits likewise.
    Precommit,
    /// Two proposals of different blocks for one round.
    Proposal,
}

impl EquivocationKind {
    /// `prevote`, `precommit` or `proposal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prevote => "prevote",
            Self::Precommit => "precommit",
            Self::Proposal => "proposal",
        }
    }
}

/// One validator's two conflicting messages for one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivocation {
    /// Who signed both.
    pub validator: Address,
    /// The height.
    pub height: u64,
    /// The round.
    pub round: i64,
    /// What was signed twice.
    pub kind: EquivocationKind,
    /// The block of the first message (`None`: a vote for nil).
    pub first: Option<BlockHash>,
    /// The block of the second.
    pub second: Option<BlockHash>,
}

#[derive(Default)]
struct Log {
    total: u64,
    recent: VecDeque<Equivocation>,
}

/// The equivocations one validator has seen since it started; cheap to clone, all clones share
/// one log.
#[derive(Clone, Default)]
pub struct EvidenceLog(Arc<Mutex<Log>>);

impl EvidenceLog {
    /// How many equivocations were seen.
    pub fn total(&self) -> u64 {
        self.0.lock().total
    }

    /// The latest one, if any.
    pub fn latest(&self) -> Option<Equivocation> {
        self.0.lock().recent.back().cloned()
    }

    /// The latest ones (at most 16), oldest first.
    pub fn recent(&self) -> Vec<Equivocation> {
        self.0.lock().recent.iter().cloned().collect()
    }

    /// Records and logs what the engine reports for a finalized height.
    pub(crate) fn record(&self, evidence: &MisbehaviorEvidence<TidepoolContext>) {
        let votes = evidence.votes.iter().flat_map(|(validator, pairs)| {
            pairs.iter().map(move |(first, second)| Equivocation {
                validator: *validator,
                height: first.message.height.0,
                round: first.message.round.as_i64(),
                kind: match first.message.vote_type {
                    VoteType::Prevote => EquivocationKind::Prevote,
                    VoteType::Precommit => EquivocationKind::Precommit,
                },
                first: block_of(&first.message.value),
                second: block_of(&second.message.value),
            })
        });
        let proposals = evidence.proposals.iter().flat_map(|(validator, pairs)| {
            pairs.iter().map(move |(first, second)| Equivocation {
                validator: *validator,
                height: first.message.height.0,
                round: first.message.round.as_i64(),
                kind: EquivocationKind::Proposal,
                first: Some(first.message.value),
                second: Some(second.message.value),
            })
        });
        for equivocation in votes.chain(proposals) {
            warn!(
                validator = %equivocation.validator,
                height = equivocation.height,
                round = equivocation.round,
                kind = equivocation.kind.as_str(),
                first = ?equivocation.first,
                second = ?equivocation.second,
                "a validator signed two different messages for one step (equivocation)"
            );
            let mut log = self.0.lock();
            log.total += 1;
            if log.recent.len() == KEPT {
                log.recent.pop_front();
            }
            log.recent.push_back(equivocation);
        }
    }
}

fn block_of(value: &NilOrVal<BlockHash>) -> Option<BlockHash> {
    match value {
        NilOrVal::Nil => None,
        NilOrVal::Val(hash) => Some(*hash),
    }
}

#[cfg(test)]
mod tests {
    use malachitebft_app_channel::app::types::core::{Round, SignedMessage};

    use super::*;
    use crate::context::{Height, Proposal, Vote};
    use crate::signing::ValidatorKey;

    fn vote(
        key: &ValidatorKey,
        vote_type: VoteType,
        value: NilOrVal<BlockHash>,
    ) -> SignedMessage<TidepoolContext, Vote> {
        let vote =
            Vote { vote_type, height: Height(5), round: Round::new(2), value, voter: key.address(), extension: None };
        SignedMessage::new(vote, key.sign(b"the engine checked it"))
    }

    fn proposal(key: &ValidatorKey, value: BlockHash) -> SignedMessage<TidepoolContext, Proposal> {
        let proposal =
            Proposal { height: Height(5), round: Round::new(0), value, pol_round: Round::Nil, proposer: key.address() };
        SignedMessage::new(proposal, key.sign(b"the engine checked it"))
    }

    #[test]
    fn each_reported_pair_is_counted_and_kept_with_both_blocks() {
        let (a, b) = (ValidatorKey::from_seed([1; 32]), ValidatorKey::from_seed([2; 32]));
        let mut evidence =
            MisbehaviorEvidence::<TidepoolContext> { proposals: Default::default(), votes: Default::default() };
        evidence.votes.add(
            vote(&a, VoteType::Precommit, NilOrVal::Val(BlockHash([1; 32]))),
            vote(&a, VoteType::Precommit, NilOrVal::Nil),
        );
        evidence.proposals.add(proposal(&b, BlockHash([3; 32])), proposal(&b, BlockHash([4; 32])));

        let log = EvidenceLog::default();
        log.record(&MisbehaviorEvidence { proposals: Default::default(), votes: Default::default() });
        assert_eq!(log.total(), 0, "nothing reported, nothing counted");
        log.record(&evidence);
        assert_eq!(log.total(), 2);
        assert_eq!(
            log.recent(),
            [
                Equivocation {
                    validator: a.address(),
                    height: 5,
                    round: 2,
                    kind: EquivocationKind::Precommit,
                    first: Some(BlockHash([1; 32])),
                    second: None,
                },
                Equivocation {
                    validator: b.address(),
                    height: 5,
                    round: 0,
                    kind: EquivocationKind::Proposal,
                    first: Some(BlockHash([3; 32])),
                    second: Some(BlockHash([4; 32])),
                },
            ]
        );
    }

    #[test]
    fn only_the_latest_are_kept_but_all_are_counted() {
        let key = ValidatorKey::from_seed([1; 32]);
        let log = EvidenceLog::default();
        for n in 0..KEPT as u8 + 4 {
            let mut evidence =
                MisbehaviorEvidence::<TidepoolContext> { proposals: Default::default(), votes: Default::default() };
            evidence.votes.add(
                vote(&key, VoteType::Prevote, NilOrVal::Val(BlockHash([n; 32]))),
                vote(&key, VoteType::Prevote, NilOrVal::Nil),
            );
            log.record(&evidence);
        }
        assert_eq!(log.total(), KEPT as u64 + 4);
        let recent = log.recent();
        assert_eq!(recent.len(), KEPT);
        assert_eq!(recent[0].first, Some(BlockHash([4; 32])), "the oldest went first");
        assert_eq!(recent[KEPT - 1].first, Some(BlockHash([KEPT as u8 + 3; 32])));
        assert_eq!(log.latest().as_ref(), recent.last());
    }
}
