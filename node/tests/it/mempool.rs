//! The mempool of a network node ([`Mining::Network`]): admission, per-sender nonce order in
//! proposals, bounds with eviction, the re-check after a block, and the time to live.

use tidepool_node::error::{NodeError, Rejection};
use tidepool_node::mempool::MempoolLimits;
use tidepool_node::tx::Action;
use tidepool_node::{
    Clock, DevAccount, Mining, Node, NodeConfig, ONE_TOKEN, SignedTransaction, Submitted, Transaction, dev_accounts,
};

const GENESIS_TIME: u64 = 1_700_000_000;

/// A network node (no consensus: the test builds and commits its blocks) funding `accounts`.
fn network_node(accounts: u32, limits: MempoolLimits) -> (Node, Vec<DevAccount>) {
    let accounts = dev_accounts(accounts);
    let config = NodeConfig {
        mining: Mining::Network,
        dev: false,
        dev_accounts: 0,
        clock: Clock::Manual { genesis_time: GENESIS_TIME },
        genesis_accounts: accounts.iter().map(|a| (a.address, 100 * ONE_TOKEN)).collect(),
        mempool: limits,
        ..NodeConfig::dev()
    };
    (Node::open(config).unwrap(), accounts)
}

fn transfer(from: &DevAccount, nonce: u64, amount: u128) -> SignedTransaction {
    let to = tidepool_ledger::Address([9; 20]);
    Transaction {
        chain_id: tidepool_node::DEV_CHAIN_ID,
        nonce,
        from: from.address,
        gas_limit: 100_000,
        action: Action::Transfer { to, amount },
    }
    .sign(&from.key)
    .unwrap()
}

fn rejection(result: Result<Submitted, NodeError>) -> Rejection {
    match result {
        Err(NodeError::Rejected(rejection)) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The nonce `account`'s next transaction should carry, its committed one read from the node.
fn next_nonce(node: &Node, account: &DevAccount) -> u64 {
    node.next_nonce(&account.address, || Ok::<_, NodeError>(node.view()?.account(&account.address)?.nonce)).unwrap()
}

/// Builds and commits the next block; its transaction hashes.
fn mine(node: &Node) -> Vec<tidepool_ledger::Hash> {
    let head = node.latest_block().unwrap();
    let (header, bytes) = node.build_block(head.height + 1, head.time + 1).unwrap();
    node.commit_decided(header.height, &bytes, b"{}").unwrap();
    header.tx_hashes
}

#[test]
fn admission_refuses_what_cannot_be_proposed_and_keeps_the_rest() {
    let (node, accounts) = network_node(2, MempoolLimits::default());
    let first = transfer(&accounts[0], 0, 1);
    let hash = match node.submit(&first).unwrap() {
        Submitted::Pending { tx_hash } => tx_hash,
        other => panic!("a network node answers with the hash: {other:?}"),
    };
    assert!(node.mempool().contains(&hash));
    assert!(matches!(rejection(node.submit(&first)), Rejection::AlreadyInMempool(h) if h == hash));
    // Another transaction with the same nonce.
    assert!(matches!(
        rejection(node.submit(&transfer(&accounts[0], 0, 2))),
        Rejection::NonceAlreadyPending { nonce: 0 }
    ));
    // Too far ahead: the next nonce it would take is 1.
    let far = rejection(node.submit(&transfer(&accounts[0], 65, 1)));
    assert!(matches!(far, Rejection::BadNonce { expected: 1, got: 65 }), "{far:?}");
    // Another chain's transaction.
    let mut other_chain = transfer(&accounts[1], 0, 1).tx;
    other_chain.chain_id = 1;
    let other_chain = other_chain.sign(&accounts[1].key).unwrap();
    assert!(matches!(rejection(node.submit(&other_chain)), Rejection::WrongChainId { .. }));
    // The next nonce to sign counts the waiting one.
    assert_eq!(next_nonce(&node, &accounts[0]), 1);
    assert_eq!(next_nonce(&node, &accounts[1]), 0);
    // A gap is admitted (nonce 2 while 1 is missing) but not proposed until 1 comes; the next
    // nonce is the gap's.
    node.submit(&transfer(&accounts[0], 2, 1)).unwrap();
    assert_eq!(node.mempool().len(), 2);
    assert_eq!(next_nonce(&node, &accounts[0]), 1);
    assert!(matches!(node.transaction(&hash), Err(NodeError::Rejected(Rejection::PendingTransaction(h))) if h == hash));
    assert_eq!(mine(&node), vec![hash], "nonce 2 waits for nonce 1");
    assert_eq!(node.mempool().len(), 1);
    let one = transfer(&accounts[0], 1, 1);
    node.submit(&one).unwrap();
    assert_eq!(mine(&node).len(), 2, "1 and 2 go together");
    assert!(node.mempool().is_empty());
    assert_eq!(next_nonce(&node, &accounts[0]), 3);
    // A used nonce is refused with the next one.
    assert!(matches!(
        rejection(node.submit(&transfer(&accounts[0], 1, 1))),
        Rejection::BadNonce { expected: 3, got: 1 }
    ));
}

#[test]
fn a_proposal_takes_senders_in_arrival_order_each_in_nonce_order() {
    let (node, accounts) = network_node(3, MempoolLimits::default());
    let b1 = transfer(&accounts[1], 1, 1);
    let a0 = transfer(&accounts[0], 0, 1);
    let b0 = transfer(&accounts[1], 0, 1);
    let c0 = transfer(&accounts[2], 0, 1);
    for tx in [&b1, &a0, &b0, &c0] {
        node.submit(tx).unwrap();
    }
    // b's oldest waiting transaction came first: b0, b1, then a0, then c0.
    let expected: Vec<_> = [&b0, &b1, &a0, &c0].iter().map(|tx| tx.hash().unwrap()).collect();
    assert_eq!(mine(&node), expected);
}

#[test]
fn a_full_mempool_evicts_the_last_nonce_of_the_busiest_sender() {
    let limits = MempoolLimits { max_txs: 4, ..MempoolLimits::default() };
    let (node, accounts) = network_node(2, limits);
    let busy: Vec<_> = (0..4).map(|nonce| transfer(&accounts[0], nonce, 1)).collect();
    for tx in &busy {
        node.submit(tx).unwrap();
    }
    // Full of one sender: that sender cannot push out its own.
    assert!(matches!(rejection(node.submit(&transfer(&accounts[0], 4, 1))), Rejection::MempoolFull { max_txs: 4, .. }));
    // Another sender gets in; the busy sender's last nonce makes room.
    let other = transfer(&accounts[1], 0, 1);
    node.submit(&other).unwrap();
    let waiting = node.mempool().hashes();
    assert_eq!(waiting.len(), 4);
    assert!(!waiting.contains(&busy[3].hash().unwrap()), "the last nonce went");
    assert!(waiting.contains(&other.hash().unwrap()));
    // A byte bound works the same way.
    let size = serde_json::to_vec(&busy[0]).unwrap().len();
    let limits = MempoolLimits { max_bytes: 2 * size + size / 2, ..MempoolLimits::default() };
    let (node, accounts) = network_node(2, limits);
    node.submit(&transfer(&accounts[0], 0, 1)).unwrap();
    node.submit(&transfer(&accounts[0], 1, 1)).unwrap();
    node.submit(&transfer(&accounts[1], 0, 1)).unwrap();
    assert_eq!(node.mempool().len(), 2);
    assert!(node.mempool().bytes() <= limits.max_bytes);
}

#[test]
fn after_a_block_used_nonces_go_and_old_transactions_expire() {
    let limits = MempoolLimits { ttl_blocks: 3, ..MempoolLimits::default() };
    let (node, accounts) = network_node(2, limits);
    // A gap that never fills: nonce 1 of account 1 waits, then expires.
    let stranded = transfer(&accounts[1], 1, 1);
    node.submit(&stranded).unwrap();
    node.submit(&transfer(&accounts[0], 0, 1)).unwrap();
    assert_eq!(mine(&node).len(), 1);
    assert_eq!(node.mempool().hashes(), vec![stranded.hash().unwrap()]);
    for _ in 0..3 {
        mine(&node);
    }
    assert!(node.mempool().is_empty(), "expired after 3 blocks");
    // A transaction the state refuses when proposed (it spends more than the sender has) is
    // left out of the block and dropped.
    let too_much = transfer(&accounts[1], 0, 1_000 * ONE_TOKEN);
    node.submit(&too_much).unwrap();
    assert!(mine(&node).is_empty());
    assert!(node.mempool().is_empty());
}

#[test]
fn dev_controls_and_dev_modes_are_refused_on_a_network_node() {
    let (node, _) = network_node(1, MempoolLimits::default());
    assert!(matches!(node.mine_block(), Err(NodeError::Rejected(Rejection::NetworkNode))));
    assert!(matches!(node.require_dev(), Err(NodeError::Rejected(Rejection::NetworkNode))));
    let dev_network = NodeConfig { mining: Mining::Network, ..NodeConfig::dev() };
    assert!(matches!(Node::open(dev_network), Err(NodeError::Rejected(Rejection::InvalidConfig(_)))));
}

#[test]
fn stop_waiting_ends_a_proposer_wait_at_once_and_every_later_one() {
    use std::time::{Duration, Instant};
    let (node, accounts) = network_node(1, MempoolLimits::default());
    // Every wait is bounded by this deadline; one that runs to it has not been woken.
    let wait = Duration::from_secs(30);
    let started = Instant::now();
    let waited = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| node.mempool().wait_for_txs(Instant::now() + wait));
        std::thread::sleep(Duration::from_millis(100));
        node.mempool().stop_waiting();
        waiter.join().unwrap()
    });
    assert!(!waited, "nothing waits in the mempool");
    assert!(started.elapsed() < wait / 2, "the wait ended when told, not at its deadline");
    let later = Instant::now();
    assert!(!node.mempool().wait_for_txs(Instant::now() + wait));
    assert!(later.elapsed() < wait / 2, "a later wait returns at once");
    // A transaction that waits is still reported.
    node.submit(&transfer(&accounts[0], 0, 1)).unwrap();
    assert!(node.mempool().wait_for_txs(Instant::now() + wait));
}
