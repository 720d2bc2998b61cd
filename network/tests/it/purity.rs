//! Purity: the same genesis document gives the same genesis on every node whenever it starts,
//! and a block built on one node verifies to the same header on another — for any sequence of
//! transfers and contract calls, failing ones included. A lying header is refused.

use proptest::prelude::*;
use serde_json::json;
use tidepool_node::tx::Action;
use tidepool_node::{Node, dev_accounts};

use crate::support::{GENESIS_TIME, genesis, memory_node, signed, transfer, validator_keys};

#[test]
fn one_document_gives_one_genesis_whenever_a_node_starts() {
    let modules = tempfile::tempdir().unwrap();
    let document = genesis(&validator_keys(4), 3, true);
    let first = memory_node(&document, modules.path());
    // A node that starts a second later (the wall clock moved) computes the same block 0.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let second = memory_node(&document, modules.path());
    let (a, b) = (first.ledger().block(0).unwrap().unwrap(), second.ledger().block(0).unwrap().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.time, GENESIS_TIME);
    assert!(first.market().is_some(), "the document asks for the market");
    // Another document (one more account) is another genesis.
    let other = memory_node(&genesis(&validator_keys(4), 4, true), modules.path());
    assert_ne!(other.ledger().block(0).unwrap().unwrap().state_root, a.state_root);
}

/// One step of a random workload.
#[derive(Clone, Debug)]
enum Step {
    /// Native transfer from account `from` to `to` of `amount` whole tokens (more than it has:
    /// the state refuses it, and the proposer leaves it out).
    Native { from: usize, to: usize, amount: u128 },
    /// A token transfer through the market's USDC contract (may revert: a receipt that failed).
    Token { from: usize, to: usize, amount: u128 },
    /// A transaction with a nonce from the future (waits in the mempool, not proposed).
    FutureNonce { from: usize },
    /// Close the block here.
    Block,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 0..1_500u128).prop_map(|(from, to, amount)| Step::Native { from, to, amount }),
        4 => (0..3usize, 0..3usize, 0..3_000_000u128).prop_map(|(from, to, amount)| Step::Token { from, to, amount }),
        1 => (0..3usize).prop_map(|from| Step::FutureNonce { from }),
        2 => Just(Step::Block),
    ]
}

/// Builds a block on `proposer` and verifies it on `verifier`; both commit it. Returns the
/// number of transactions in it.
fn build_verify_commit(proposer: &Node, verifier: &Node, height: u64, time: u64) -> usize {
    let (built, bytes) = proposer.build_block(height, time).unwrap();
    let verified = verifier.verify_block(height, &bytes).unwrap().expect("the block verifies");
    assert_eq!(verified, built, "build and verify give one header");
    let seal = format!("{{\"height\":{height}}}");
    let a = proposer.commit_decided(height, &bytes, seal.as_bytes()).unwrap();
    let b = verifier.commit_decided(height, &bytes, seal.as_bytes()).unwrap();
    assert_eq!(a, built);
    assert_eq!(b, built);
    built.tx_hashes.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_block_built_on_one_node_verifies_to_the_same_header_on_another(steps in prop::collection::vec(step(), 1..40)) {
        let modules = tempfile::tempdir().unwrap();
        let document = genesis(&validator_keys(4), 3, true);
        let (proposer, verifier) = (memory_node(&document, modules.path()), memory_node(&document, modules.path()));
        let accounts = dev_accounts(3);
        let usdc = proposer.market().unwrap().tokens[0].address;
        let mut nonces = [0u64; 3];
        let mut height = 1;
        let mut time = document.genesis_time;
        let mut included = 0;
        for step in steps.iter().chain([&Step::Block]) {
            let tx = match step {
                Step::Block => {
                    time += 3;
                    included += build_verify_commit(&proposer, &verifier, height, time);
                    height += 1;
                    continue;
                }
                Step::Native { from, to, amount } => {
                    nonces[*from] += 1;
                    signed(&accounts[*from], nonces[*from] - 1, transfer(accounts[*to].address, amount * 10u128.pow(18)))
                }
                Step::Token { from, to, amount } => {
                    nonces[*from] += 1;
                    let msg = json!({"transfer": {"to": accounts[*to].address, "amount": (amount * 1_000_000).to_string()}});
                    signed(&accounts[*from], nonces[*from] - 1, Action::Execute { contract: usdc, msg, funds: 0 })
                }
                Step::FutureNonce { from } => signed(&accounts[*from], nonces[*from] + 5, transfer(accounts[0].address, 1)),
            };
            // Admission may refuse (a future nonce too far ahead is not); execution decides the rest.
            let _ = proposer.submit(&tx);
        }
        prop_assert_eq!(proposer.latest_block().unwrap(), verifier.latest_block().unwrap());
        prop_assert!(included <= steps.len());
    }
}

/// A proposer and a verifier of one genesis with two funded accounts and no market, and the
/// genesis time. (The module directory must outlive the nodes.)
fn proposer_and_verifier() -> (tempfile::TempDir, Node, Node, u64) {
    let modules = tempfile::tempdir().unwrap();
    let document = genesis(&validator_keys(4), 2, false);
    let (proposer, verifier) = (memory_node(&document, modules.path()), memory_node(&document, modules.path()));
    (modules, proposer, verifier, document.genesis_time)
}

#[test]
fn a_header_that_lies_about_the_state_root_is_refused_and_changes_nothing() {
    let (_modules, proposer, verifier, genesis_time) = proposer_and_verifier();
    let accounts = dev_accounts(2);
    proposer.submit(&signed(&accounts[0], 0, transfer(accounts[1].address, 5))).unwrap();
    let (header, bytes) = proposer.build_block(1, genesis_time + 1).unwrap();
    assert_eq!(header.tx_hashes.len(), 1);
    let mut block = tidepool_node::NetworkBlock::decode(&bytes).unwrap();
    block.header.state_root = tidepool_ledger::Hash([7; 32]);
    let lie = block.encode();
    let verdict = verifier.verify_block(1, &lie).unwrap().expect_err("a lying root is invalid");
    assert_eq!(verdict.claimed, Some(block.header.hash()));
    assert!(verdict.reason.contains("state root"), "{}", verdict.reason);
    // A block dropping the signature, or with bytes that do not decode, is invalid too.
    let mut unsigned = tidepool_node::NetworkBlock::decode(&bytes).unwrap();
    let mut stored: serde_json::Value = serde_json::from_slice(&unsigned.txs[0]).unwrap();
    stored["signature"] = serde_json::Value::Null;
    unsigned.txs[0] = serde_json::to_vec(&stored).unwrap();
    let refused = verifier.verify_block(1, &unsigned.encode()).unwrap().expect_err("an unsigned transaction");
    assert!(refused.reason.contains("no signature"), "{}", refused.reason);
    assert_eq!(verifier.verify_block(1, b"not a block").unwrap().unwrap_err().claimed, None);
    // Nothing changed on the verifier; the honest block still verifies and commits.
    assert_eq!(verifier.latest_block().unwrap().height, 0);
    assert_eq!(verifier.verify_block(1, &bytes).unwrap().unwrap(), header);
    assert_eq!(verifier.commit_decided(1, &bytes, b"{}").unwrap(), header);
    // The committed transfer left the proposer's mempool too once it committed there.
    proposer.commit_decided(1, &bytes, b"{}").unwrap();
    assert!(proposer.mempool().is_empty());
}

#[test]
fn a_bad_signature_among_many_is_refused_by_its_place() {
    // Forty transactions, checked in runs whose signers are recovered together: one signature
    // taken from another transaction makes the block invalid, and the reason names it.
    let (_modules, proposer, verifier, genesis_time) = proposer_and_verifier();
    let accounts = dev_accounts(2);
    for nonce in 0..40 {
        proposer.submit(&signed(&accounts[(nonce % 2) as usize], nonce / 2, transfer(accounts[0].address, 1))).unwrap();
    }
    let (header, bytes) = proposer.build_block(1, genesis_time + 1).unwrap();
    assert_eq!(header.tx_hashes.len(), 40);
    let mut block = tidepool_node::NetworkBlock::decode(&bytes).unwrap();
    let borrowed: serde_json::Value = serde_json::from_slice(&block.txs[26]).unwrap();
    let mut stored: serde_json::Value = serde_json::from_slice(&block.txs[25]).unwrap();
    stored["signature"] = borrowed["signature"].clone();
    block.txs[25] = serde_json::to_vec(&stored).unwrap();
    let verdict = verifier.verify_block(1, &block.encode()).unwrap().expect_err("a stolen signature");
    assert!(verdict.reason.starts_with("transaction 25: "), "{}", verdict.reason);
    assert!(verdict.reason.contains("signature was made by"), "{}", verdict.reason);
    assert_eq!(verifier.latest_block().unwrap().height, 0);
    assert_eq!(verifier.verify_block(1, &bytes).unwrap().unwrap(), header);
}
