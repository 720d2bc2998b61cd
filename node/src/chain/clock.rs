//! Block times. A node reads a clock — the wall clock, or a manual clock that starts at the
//! genesis time and never moves by itself — plus an offset that dev controls move (a warp, a
//! load); `set_next_block_time` can pin the next block's time exactly. Whatever the clock says, a
//! block is never earlier than the one before it, nor later than
//! [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME): the clock stops there. (A warp may leave the wall
//! clock's reading just short of it, and the wall clock then runs past it; the blocks after that
//! keep the last time, so the chain goes on rather than refusing every block.)

use tidepool_ledger::BlockHeader;

use super::{ChainState, Node, unix_now};
use crate::MAX_BLOCK_TIME;
use crate::config::Clock;
use crate::error::{HostError, NodeError};

/// The writer's clock: an offset from the clock's base, and a pinned time for the next block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct BlockClock {
    /// Seconds added to the base ([`Node::clock_base`]); negative when the clock was set before
    /// the base (a state loaded at an earlier time, a pin before the wall clock).
    pub(super) offset: i128,
    /// The exact time of the next block (`set_next_block_time`, a warp), until a block takes it:
    /// checked when pinned, so at most [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME).
    pub(super) next: Option<u64>,
}

impl Node {
    /// The clock before offsets: the wall clock, or the manual clock's genesis time.
    pub(crate) fn clock_base(&self) -> u64 {
        match self.inner.config.clock {
            Clock::System => unix_now(),
            Clock::Manual { genesis_time } => genesis_time,
        }
    }

    /// The clock of a chain that has just started at `genesis` (opened, reset or loaded): a
    /// manual clock reads the genesis time (so the same transactions give the same blocks), the
    /// wall clock reads itself.
    pub(super) fn clock_at_genesis(&self, genesis: &BlockHeader) -> BlockClock {
        match self.inner.config.clock {
            Clock::System => BlockClock::default(),
            Clock::Manual { genesis_time } => {
                BlockClock { offset: i128::from(genesis.time) - i128::from(genesis_time), next: None }
            }
        }
    }

    /// The time the next block gets: the pinned time, or the clock's reading — never before the
    /// latest block's, never past [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME).
    ///
    /// A pinned time was checked when it was pinned (`set_next_block_time`, a warp), so the
    /// only failure is the node's own: a block made from this time never fails for a reason
    /// that is the client's.
    ///
    /// # Errors
    /// [`HostError::NoGenesis`].
    pub(super) fn next_block_time(&self, chain: &ChainState) -> Result<u64, NodeError> {
        if let Some(pinned) = chain.clock.next {
            debug_assert!(pinned <= MAX_BLOCK_TIME, "a pinned time is checked when it is pinned");
            return Ok(pinned);
        }
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        let reading = i128::from(self.clock_base()) + chain.clock.offset;
        let time = reading.clamp(0, i128::from(MAX_BLOCK_TIME));
        Ok(u64::try_from(time).expect("clamped to the u64 range").max(latest.time))
    }

    /// Moves the clock past a block just committed at `time`: a pinned time is used up and the
    /// clock goes on from it; otherwise the clock is moved up to `time` if it was behind (it
    /// never reads earlier than the latest block).
    pub(super) fn clock_after_block(&self, chain: &mut ChainState, time: u64) {
        let from_base = i128::from(time) - i128::from(self.clock_base());
        if chain.clock.next.take().is_some() {
            chain.clock.offset = from_base;
        } else {
            chain.clock.offset = chain.clock.offset.max(from_base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeConfig;

    fn manual() -> Node {
        Node::open(NodeConfig { clock: Clock::Manual { genesis_time: 1_000 }, dev_accounts: 0, ..NodeConfig::dev() })
            .unwrap()
    }

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let node = manual();
        let mut chain = node.lock_chain();
        assert_eq!(node.next_block_time(&chain).unwrap(), 1_000);
        chain.clock.next = Some(5_000);
        assert_eq!(node.next_block_time(&chain).unwrap(), 5_000);
        node.clock_after_block(&mut chain, 5_000);
        assert_eq!((chain.clock.next, node.next_block_time(&chain).unwrap()), (None, 5_000));
    }

    #[test]
    fn the_clock_never_reads_before_the_latest_block_nor_past_the_last_time() {
        let node = manual();
        let mut chain = node.lock_chain();
        chain.clock.offset = -500;
        assert_eq!(node.next_block_time(&chain).unwrap(), 1_000, "not before genesis");
        chain.clock.offset = i128::from(MAX_BLOCK_TIME);
        assert_eq!(node.next_block_time(&chain).unwrap(), MAX_BLOCK_TIME, "the clock stops at the last time");
        chain.clock.offset = i128::from(u64::MAX);
        assert_eq!(node.next_block_time(&chain).unwrap(), MAX_BLOCK_TIME);
        // A block later than the clock moves the clock up to it; an earlier one does not move it.
        chain.clock.offset = 0;
        node.clock_after_block(&mut chain, 1_060);
        assert_eq!(chain.clock.offset, 60);
        node.clock_after_block(&mut chain, 1_010);
        assert_eq!(chain.clock.offset, 60);
    }
}
