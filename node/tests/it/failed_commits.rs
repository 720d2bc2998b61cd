//! Blocks whose commit fails: their transactions fail with `CommitFailed`, and so do those of a
//! block executed on top of one still being committed, while everything that succeeded is in
//! the ledger, linked and counted. Driven through a store that fails every third block write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tidepool_ledger::store::EntryIter;
use tidepool_ledger::{
    Address, Direction, Hash, KeyRange, LedgerError, MemoryStore, ReadStore, Store, Table, WriteBatch,
};
use tidepool_node::error::HostError;
use tidepool_node::keys::dev_accounts;
use tidepool_node::{
    Action, Clock, GivenStore, Node, NodeConfig, NodeError, ReceiptStatus, StoreConfig, Submitted, Transaction,
};

/// A memory store whose every `n`th write fails while failing is on (`n` = `fail_every`; 0: off).
#[derive(Default)]
struct FailingStore {
    inner: Arc<MemoryStore>,
    writes: AtomicU64,
    fail_every: AtomicU64,
    failed: AtomicU64,
}

impl ReadStore for FailingStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.get(table, key)
    }

    fn iter(&self, table: Table, range: &KeyRange, direction: Direction) -> Result<EntryIter<'_>, LedgerError> {
        self.inner.iter(table, range, direction)
    }
}

impl Store for FailingStore {
    fn write(&self, batch: WriteBatch) -> Result<(), LedgerError> {
        let every = self.fail_every.load(Ordering::SeqCst);
        let count = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if every != 0 && count.is_multiple_of(every) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(LedgerError::Backend("injected write failure".to_owned()));
        }
        self.inner.write(batch)
    }

    fn snapshot(self: Arc<Self>) -> Arc<dyn ReadStore> {
        self.inner.clone().snapshot()
    }
}

/// A transfer sent, and the height of the block it landed in (`None`: it failed with its block).
struct Sent {
    hash: Hash,
    to: Address,
    amount: u128,
    height: Option<u64>,
}

#[test]
fn failed_commits_lose_their_blocks_and_nothing_else() {
    let store = Arc::new(FailingStore::default());
    let node = Node::open(NodeConfig {
        store: StoreConfig::Given(GivenStore(store.clone())),
        clock: Clock::Manual { genesis_time: 1_700_000_000 },
        module_cache_dir: NodeConfig::target_module_cache(),
        ..NodeConfig::dev()
    })
    .expect("node opens");
    let keys = dev_accounts(4);
    let recipients: Vec<Address> = (0..5u8).map(|i| Address([0x60 + i; 20])).collect();
    let chain_id = node.config().chain_id;
    let start = node.latest_block().unwrap().height;
    const ROUNDS: usize = 8;
    // Larger than the pipeline's chunk: each batch is one automine block, pipelined.
    const PER_BATCH: usize = 70;
    store.fail_every.store(3, Ordering::SeqCst);

    let outcomes: Vec<(Address, Vec<Sent>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(t, key)| {
                let (node, recipients) = (&node, &recipients);
                scope.spawn(move || {
                    let mut outcomes = Vec::new();
                    for round in 0..ROUNDS {
                        // The sender's previous batch was answered after its block was written
                        // or failed, so the ledger's nonce is the next one.
                        let first = node.account(&key.address).unwrap().nonce;
                        let batch: Vec<_> = (0..PER_BATCH)
                            .map(|i| {
                                let to = recipients[(i + t) % recipients.len()];
                                // A failed batch's nonces are sent again in the next round: the
                                // amount keeps each round's transactions (and hashes) its own.
                                let amount = round as u128 + 1;
                                let nonce = first + i as u64;
                                let tx = Transaction {
                                    chain_id,
                                    nonce,
                                    from: key.address,
                                    gas_limit: 50_000_000,
                                    action: Action::Transfer { to, amount },
                                };
                                tx.sign(&key.key).unwrap()
                            })
                            .collect();
                        for (signed, result) in batch.iter().zip(node.submit_batch(&batch)) {
                            let Action::Transfer { to, amount } = signed.tx.action else { unreachable!() };
                            let hash = signed.tx.hash().unwrap();
                            let height = match result {
                                Ok(Submitted::Mined(receipt)) => {
                                    assert_eq!(receipt.status, ReceiptStatus::Success);
                                    Some(receipt.height)
                                }
                                Err(NodeError::Host(HostError::CommitFailed(_))) => None,
                                other => panic!("a transfer either lands or fails with its block: {other:?}"),
                            };
                            outcomes.push(Sent { hash, to, amount, height });
                        }
                    }
                    (key.address, outcomes)
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    store.fail_every.store(0, Ordering::SeqCst);

    let all = || outcomes.iter().flat_map(|(_, outcomes)| outcomes);
    let landed = all().filter(|sent| sent.height.is_some()).count();
    let failed = all().count() - landed;
    let failed_writes = store.failed.load(Ordering::SeqCst) as usize;
    assert!(failed_writes > 0 && landed > 0, "{failed_writes} failed writes, {landed} landed");
    // A failed write loses its own block; a block executed on top of it fails too.
    assert!(failed >= failed_writes * PER_BATCH, "{failed} failed transactions, {failed_writes} failed writes");
    assert_eq!(failed % PER_BATCH, 0, "whole blocks fail, never part of one");

    for (sender, outcomes) in &outcomes {
        let landed = outcomes.iter().filter(|sent| sent.height.is_some()).count() as u64;
        assert_eq!(node.account(sender).unwrap().nonce, landed, "a sender's nonce counts what landed");
    }
    for recipient in &recipients {
        let credited: u128 =
            all().filter(|sent| sent.to == *recipient && sent.height.is_some()).map(|sent| sent.amount).sum();
        assert_eq!(node.account(recipient).unwrap().balance, credited, "credits are exactly what landed");
    }
    for sent in all() {
        match sent.height {
            Some(height) => {
                let block = node.ledger().block(height).unwrap().unwrap();
                assert!(block.tx_hashes.contains(&sent.hash), "a landed transaction is in its block");
            }
            None => assert!(node.transaction(&sent.hash).unwrap().is_none(), "a failed transaction is nowhere"),
        }
    }
    let head = node.latest_block().unwrap();
    assert_eq!(head.height, start + (landed / PER_BATCH) as u64, "one block per landed batch");
    let mut parent = node.ledger().block(start).unwrap().unwrap();
    for height in start + 1..=head.height {
        let block = node.ledger().block(height).unwrap().unwrap();
        assert_eq!(block.parent_hash, parent.hash(), "block {height} follows its parent");
        parent = block;
    }

    // The node goes on: a single submission (the group-commit path) and a batch land.
    let sender = &keys[0];
    let transfer = |nonce: u64| {
        Transaction {
            chain_id,
            nonce,
            from: sender.address,
            gas_limit: 50_000_000,
            action: Action::Transfer { to: recipients[0], amount: 1 },
        }
        .sign(&sender.key)
        .unwrap()
    };
    let nonce = node.account(&sender.address).unwrap().nonce;
    assert!(matches!(node.submit(&transfer(nonce)), Ok(Submitted::Mined(_))));
    let batch: Vec<_> = (1..=PER_BATCH as u64).map(|i| transfer(nonce + i)).collect();
    assert!(node.submit_batch(&batch).iter().all(|result| matches!(result, Ok(Submitted::Mined(_)))));
    assert_eq!(node.account(&sender.address).unwrap().nonce, nonce + 1 + PER_BATCH as u64);
}
