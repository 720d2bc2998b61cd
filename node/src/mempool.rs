//! The mempool of a network validator: signed transactions waiting for a block, admitted after
//! the checks that need no execution, kept in nonce order per sender, bounded in count and
//! bytes, and re-checked after every committed block.
//!
//! # Admission
//! A transaction is admitted when its form and signature are good (checked before, off any
//! lock), its chain id is this chain's, it is not already here, its nonce is at least the
//! sender's committed nonce and at most [`MempoolLimits::max_nonce_gap`] above it, and no other
//! pending transaction of the sender holds that nonce. A gap is allowed (a wallet may send
//! nonces 5 and 6 to different nodes), but a proposal takes only a sender's consecutive
//! nonces from its committed one.
//!
//! # Bounds and eviction
//! At most [`MempoolLimits::max_txs`] transactions and [`MempoolLimits::max_bytes`] bytes of
//! them. When a new transaction does not fit, the sender with the most pending transactions
//! loses its highest nonce (the one that would run last), until it fits; a sender never evicts
//! its own transactions, and a pool full of one sender's refuses that sender
//! ([`Rejection::MempoolFull`]). A transaction not included within
//! [`MempoolLimits::ttl_blocks`] blocks of its admission is dropped.
//!
//! # After a block
//! The re-check (`Mempool::recheck`, which committing a block runs) drops every transaction whose nonce the new state has passed (included
//! in the block, or made void by one that was), and those past their time to live.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use tidepool_ledger::{Address, Hash};

use crate::chain::Prepared;
use crate::error::{NodeError, Rejection};

/// The mempool's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolLimits {
    /// The most transactions it holds.
    pub max_txs: usize,
    /// The most bytes of stored transactions it holds.
    pub max_bytes: usize,
    /// How far above the sender's committed nonce a transaction's nonce may be.
    pub max_nonce_gap: u64,
    /// Blocks after which a transaction never included is dropped.
    pub ttl_blocks: u64,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self { max_txs: 50_000, max_bytes: 64 << 20, max_nonce_gap: 64, ttl_blocks: 600 }
    }
}

/// One waiting transaction.
struct Entry {
    tx: Prepared,
    sender: Address,
    nonce: u64,
    /// Admission order, for proposals (first come, first proposed) and expiry.
    seq: u64,
    /// The latest committed height when it was admitted.
    admitted_at: u64,
}

#[derive(Default)]
struct Pool {
    entries: HashMap<Hash, Entry>,
    /// Per sender: nonce → hash.
    senders: HashMap<Address, BTreeMap<u64, Hash>>,
    /// Admission order: seq → hash.
    arrivals: BTreeMap<u64, Hash>,
    bytes: usize,
    next_seq: u64,
    /// Set by [`Mempool::stop_waiting`]: waits return at once.
    waits_stopped: bool,
}

impl Pool {
    fn remove(&mut self, hash: &Hash) -> Option<Entry> {
        let entry = self.entries.remove(hash)?;
        self.arrivals.remove(&entry.seq);
        self.bytes -= entry.tx.stored_len();
        if let Some(nonces) = self.senders.get_mut(&entry.sender) {
            nonces.remove(&entry.nonce);
            if nonces.is_empty() {
                self.senders.remove(&entry.sender);
            }
        }
        Some(entry)
    }

    /// Evicts the last transaction of the sender with the most, unless that is `sender`.
    fn evict_one(&mut self, sender: &Address) -> bool {
        let Some((victim, _)) = self.senders.iter().max_by_key(|(address, nonces)| (nonces.len(), **address)) else {
            return false;
        };
        if victim == sender {
            return false;
        }
        let victim = *victim;
        let hash = *self.senders[&victim].values().next_back().expect("senders hold no empty maps");
        self.remove(&hash);
        tracing::debug!(%hash, sender = %victim, "evicted from a full mempool");
        true
    }
}

/// Signed transactions waiting for a block; see the module documentation.
pub struct Mempool {
    limits: MempoolLimits,
    pool: Mutex<Pool>,
    /// Signalled on every admission ([`Mempool::wait_for_txs`]).
    arrived: parking_lot::Condvar,
    /// Told of each admitted transaction's stored bytes (gossip to the other validators).
    on_admit: parking_lot::RwLock<Vec<AdmitHook>>,
}

/// A function told of every admitted transaction; see [`Mempool::on_admit`].
type AdmitHook = Box<dyn Fn(&[u8]) + Send + Sync>;

impl Mempool {
    /// An empty mempool with `limits`.
    pub fn new(limits: MempoolLimits) -> Mempool {
        Mempool {
            limits,
            pool: Mutex::default(),
            arrived: parking_lot::Condvar::new(),
            on_admit: parking_lot::RwLock::default(),
        }
    }

    /// Blocks until a transaction waits, `deadline` passes or [`Mempool::stop_waiting`] is
    /// called; whether one waits.
    pub fn wait_for_txs(&self, deadline: std::time::Instant) -> bool {
        let mut pool = self.pool.lock();
        while pool.entries.is_empty() && !pool.waits_stopped {
            if self.arrived.wait_until(&mut pool, deadline).timed_out() {
                break;
            }
        }
        !pool.entries.is_empty()
    }

    /// Wakes every [`Mempool::wait_for_txs`] and makes later ones return at once: the
    /// validator is stopping, and a proposer waiting out its empty-block interval must not
    /// hold the shutdown for that long.
    pub fn stop_waiting(&self) {
        self.pool.lock().waits_stopped = true;
        self.arrived.notify_all();
    }

    /// Calls `hook` with the stored form (the JSON of the signed transaction) of every
    /// transaction admitted from now on, after it is admitted, outside the pool's lock.
    pub fn on_admit(&self, hook: impl Fn(&[u8]) + Send + Sync + 'static) {
        self.on_admit.write().push(Box::new(hook));
    }

    /// Its bounds.
    pub fn limits(&self) -> MempoolLimits {
        self.limits
    }

    /// How many transactions wait.
    pub fn len(&self) -> usize {
        self.pool.lock().entries.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes of transactions wait.
    pub fn bytes(&self) -> usize {
        self.pool.lock().bytes
    }

    /// Whether `hash` waits here.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.pool.lock().entries.contains_key(hash)
    }

    /// The hashes waiting, in admission order.
    pub fn hashes(&self) -> Vec<Hash> {
        self.pool.lock().arrivals.values().copied().collect()
    }

    /// Admits `tx` (form and signature already checked) given its sender's committed nonce and
    /// the latest committed height, and tells the [`Mempool::on_admit`] hooks if `tell`.
    ///
    /// # Errors
    /// [`Rejection::AlreadyInMempool`], [`Rejection::BadNonce`] (below the committed nonce or too
    /// far above it), [`Rejection::NonceAlreadyPending`], [`Rejection::MempoolFull`].
    pub(crate) fn admit(&self, tx: Prepared, committed_nonce: u64, height: u64, tell: bool) -> Result<Hash, NodeError> {
        let (hash, sender, nonce) = (tx.hash(), tx.sender(), tx.nonce());
        let size = tx.stored_len();
        let mut pool = self.pool.lock();
        if pool.entries.contains_key(&hash) {
            return Err(Rejection::AlreadyInMempool(hash).into());
        }
        let pending = pool.senders.get(&sender);
        if nonce < committed_nonce || nonce > committed_nonce.saturating_add(self.limits.max_nonce_gap) {
            let next = pending.map(|nonces| consecutive_from(nonces, committed_nonce)).unwrap_or(committed_nonce);
            return Err(Rejection::BadNonce { expected: next, got: nonce }.into());
        }
        if pending.is_some_and(|nonces| nonces.contains_key(&nonce)) {
            return Err(Rejection::NonceAlreadyPending { nonce }.into());
        }
        while pool.entries.len() + 1 > self.limits.max_txs || pool.bytes + size > self.limits.max_bytes {
            if !pool.evict_one(&sender) {
                return Err(
                    Rejection::MempoolFull { max_txs: self.limits.max_txs, max_bytes: self.limits.max_bytes }.into()
                );
            }
        }
        let seq = pool.next_seq;
        pool.next_seq += 1;
        pool.bytes += size;
        pool.arrivals.insert(seq, hash);
        pool.senders.entry(sender).or_default().insert(nonce, hash);
        self.arrived.notify_all();
        let hooks = self.on_admit.read();
        if hooks.is_empty() || !tell {
            pool.entries.insert(hash, Entry { tx, sender, nonce, seq, admitted_at: height });
        } else {
            let stored = tx.stored_bytes().to_vec();
            pool.entries.insert(hash, Entry { tx, sender, nonce, seq, admitted_at: height });
            drop(pool);
            for hook in hooks.iter() {
                hook(&stored);
            }
        }
        Ok(hash)
    }

    /// The transactions for a proposal: senders in the order their oldest waiting transaction
    /// came, each sender's consecutive nonces from its committed one (`nonce_of`), at most
    /// `max_txs` transactions and `max_bytes` bytes.
    pub(crate) fn reap(
        &self,
        max_txs: usize,
        max_bytes: usize,
        mut nonce_of: impl FnMut(&Address) -> Result<u64, NodeError>,
    ) -> Result<Vec<Prepared>, NodeError> {
        let pool = self.pool.lock();
        let mut out = Vec::new();
        let mut bytes = 0;
        let mut seen = std::collections::HashSet::new();
        'senders: for hash in pool.arrivals.values() {
            let sender = pool.entries[hash].sender;
            if !seen.insert(sender) {
                continue;
            }
            let committed = nonce_of(&sender)?;
            let waiting = pool.senders[&sender].range(committed..);
            for (expected, (&nonce, hash)) in (committed..).zip(waiting) {
                if nonce != expected {
                    break;
                }
                let tx = &pool.entries[hash].tx;
                if out.len() == max_txs || bytes + tx.stored_len() > max_bytes {
                    break 'senders;
                }
                bytes += tx.stored_len();
                out.push(tx.clone());
            }
        }
        Ok(out)
    }

    /// The nonce after `sender`'s transactions waiting here that follow `committed` (its
    /// committed nonce) without a gap: what its next transaction should carry.
    pub(crate) fn next_nonce(&self, sender: &Address, committed: u64) -> u64 {
        self.pool.lock().senders.get(sender).map_or(committed, |nonces| consecutive_from(nonces, committed))
    }

    /// The waiting transaction `hash`, if any.
    pub(crate) fn get(&self, hash: &Hash) -> Option<Prepared> {
        self.pool.lock().entries.get(hash).map(|entry| entry.tx.clone())
    }

    /// Drops `hash` (a proposal found that the state refuses it).
    pub(crate) fn remove(&self, hash: &Hash) {
        self.pool.lock().remove(hash);
    }

    /// After a block at `height`: drops the transactions of `senders` (those the block's
    /// transactions came from) whose nonce is below their committed nonce (`nonce_of`), and
    /// every transaction admitted more than [`MempoolLimits::ttl_blocks`] blocks ago.
    pub(crate) fn recheck(
        &self,
        height: u64,
        senders: impl IntoIterator<Item = Address>,
        mut nonce_of: impl FnMut(&Address) -> Result<u64, NodeError>,
    ) -> Result<(), NodeError> {
        let mut pool = self.pool.lock();
        for sender in senders {
            let Some(nonces) = pool.senders.get(&sender) else { continue };
            let committed = nonce_of(&sender)?;
            let stale: Vec<Hash> = nonces.range(..committed).map(|(_, hash)| *hash).collect();
            for hash in stale {
                pool.remove(&hash);
            }
        }
        while let Some((_, hash)) = pool.arrivals.first_key_value() {
            let hash = *hash;
            if height.saturating_sub(pool.entries[&hash].admitted_at) <= self.limits.ttl_blocks {
                break;
            }
            pool.remove(&hash);
            tracing::debug!(%hash, "dropped from the mempool: not included within its time to live");
        }
        Ok(())
    }
}

/// The first nonce at or above `from` that `nonces` does not hold.
fn consecutive_from(nonces: &BTreeMap<u64, Hash>, from: u64) -> u64 {
    let mut next = from;
    for &nonce in nonces.range(from..).map(|(nonce, _)| nonce) {
        if nonce != next {
            break;
        }
        next += 1;
    }
    next
}
