//! The node's transaction path: automine and interval blocks, rejections that change nothing,
//! execution failures that advance only the nonce, dev controls, determinism.

use serde_json::json;
use tidepool_ledger::{Address, Hash};
use tidepool_node::error::{Rejection, RejectionKind};
use tidepool_node::keys::{DevAccount, dev_accounts};
use tidepool_node::{Action, Clock, Mining, Node, NodeConfig, NodeError, ReceiptStatus, Submitted, Transaction};

const GAS: u64 = 50_000_000;

fn config(market: bool) -> NodeConfig {
    let market = market.then(|| {
        tidepool_node::MarketCode::new(
            tidepool_artifacts::TOKEN,
            tidepool_artifacts::ORACLE,
            tidepool_artifacts::LENDING_POOL,
        )
    });
    NodeConfig {
        market,
        clock: Clock::Manual { genesis_time: 1_700_000_000 },
        module_cache_dir: NodeConfig::target_module_cache(),
        ..NodeConfig::dev()
    }
}

fn node(market: bool) -> (Node, Vec<DevAccount>) {
    let node = Node::open(config(market)).expect("node opens");
    (node, dev_accounts(10))
}

fn tx(node: &Node, from: &DevAccount, action: Action) -> tidepool_node::SignedTransaction {
    let nonce = node.account(&from.address).unwrap().nonce;
    Transaction { chain_id: node.config().chain_id, nonce, from: from.address, gas_limit: GAS, action }
        .sign(&from.key)
        .unwrap()
}

fn mined(submitted: Submitted) -> tidepool_node::Receipt {
    match submitted {
        Submitted::Mined(receipt) => receipt.into_receipt(),
        Submitted::Pending { tx_hash } => panic!("expected a mined receipt, got pending {tx_hash}"),
    }
}

/// Everything a rejection must leave alone.
fn fingerprint(node: &Node, who: &Address) -> (u64, Hash, u64, u128) {
    let latest = node.latest_block().unwrap();
    let account = node.account(who).unwrap();
    (latest.height, latest.state_root, account.nonce, account.balance)
}

#[test]
fn a_transfer_is_mined_in_its_own_block_with_a_receipt() {
    let (node, keys) = node(false);
    let to = Address([7; 20]);
    let before = node.account(&keys[0].address).unwrap();
    let receipt = mined(node.submit(&tx(&node, &keys[0], Action::Transfer { to, amount: 1234 })).unwrap());
    assert_eq!(receipt.status, ReceiptStatus::Success);
    assert_eq!(receipt.height, 1);
    assert_eq!(node.account(&to).unwrap().balance, 1234);
    let after = node.account(&keys[0].address).unwrap();
    assert_eq!((after.nonce, after.balance), (before.nonce + 1, before.balance - 1234));
    let (stored, again) = node.transaction(&receipt.tx_hash).unwrap().expect("stored");
    assert_eq!(again, receipt);
    assert_eq!(stored.tx.from, keys[0].address);
    assert_eq!(node.latest_block().unwrap().tx_hashes, vec![receipt.tx_hash]);
}

/// A transaction that must be rejected, and how to recognise its error.
type RejectionCase = (&'static str, tidepool_node::SignedTransaction, fn(&NodeError) -> bool);

#[test]
fn rejections_change_nothing() {
    let (node, keys) = node(true);
    let sender = &keys[1];
    let before = fingerprint(&node, &sender.address);
    let market = tidepool_node::genesis::market_info();
    let nonce = node.account(&sender.address).unwrap().nonce;
    let build = |chain_id: u64, nonce: u64, gas_limit: u64, action: Action| {
        Transaction { chain_id, nonce, from: sender.address, gas_limit, action }.sign(&sender.key).unwrap()
    };
    let transfer = |amount| Action::Transfer { to: Address([9; 20]), amount };
    let cases: Vec<RejectionCase> = vec![
        ("wrong chain id", build(1, nonce, GAS, transfer(1)), |e| {
            matches!(e, NodeError::Rejected(Rejection::WrongChainId { .. }))
        }),
        ("skipped nonce", build(31337, nonce + 1, GAS, transfer(1)), |e| {
            matches!(e, NodeError::Rejected(Rejection::BadNonce { .. }))
        }),
        ("gas below base", build(31337, nonce, 10, transfer(1)), |e| {
            matches!(e, NodeError::Rejected(Rejection::GasLimitOutOfRange { .. }))
        }),
        ("insufficient funds", build(31337, nonce, GAS, transfer(u128::MAX)), |e| {
            matches!(e, NodeError::Rejected(Rejection::InsufficientFunds { .. }))
        }),
        (
            "unknown contract",
            build(31337, nonce, GAS, Action::Execute { contract: Address([3; 20]), msg: json!({}), funds: 0 }),
            |e| matches!(e, NodeError::Rejected(Rejection::UnknownContract(_))),
        ),
        (
            "unknown code",
            build(
                31337,
                nonce,
                GAS,
                Action::Instantiate {
                    code_hash: Hash([1; 32]),
                    msg: json!({}),
                    funds: 0,
                    label: "x".into(),
                    admin: None,
                },
            ),
            |e| matches!(e, NodeError::Rejected(Rejection::UnknownCode(_))),
        ),
        ("invalid wasm", build(31337, nonce, GAS, Action::UploadCode { wasm: b"\0asm nope".to_vec() }), |e| {
            matches!(e, NodeError::Rejected(Rejection::InvalidCode(_)))
        }),
        (
            "migrate to unknown code",
            build(
                31337,
                nonce,
                GAS,
                Action::Migrate { contract: market.pool, new_code_hash: Hash([2; 32]), msg: json!({}) },
            ),
            |e| matches!(e, NodeError::Rejected(Rejection::UnknownCode(_))),
        ),
    ];
    for (what, signed, expected) in cases {
        let error = node.submit(&signed).expect_err(what);
        assert!(expected(&error), "{what}: unexpected error {error}");
        assert_eq!(fingerprint(&node, &sender.address), before, "{what} changed state");
    }
    // A signature by another key over the same transaction.
    let mut forged = build(31337, nonce, GAS, transfer(1));
    forged.signature = tx(&node, &keys[2], transfer(1)).signature;
    let refused = node.submit(&forged).unwrap_err();
    assert_eq!(refused.rejection().map(Rejection::kind), Some(RejectionKind::Unauthorized), "{refused}");
    // A reused nonce: the first is mined, the replay is refused.
    let signed = build(31337, nonce, GAS, transfer(5));
    mined(node.submit(&signed).unwrap());
    let after_first = fingerprint(&node, &sender.address);
    assert!(matches!(node.submit(&signed), Err(NodeError::Rejected(Rejection::BadNonce { .. }))));
    assert_eq!(fingerprint(&node, &sender.address), after_first);
}

#[test]
fn a_failed_execution_advances_the_nonce_and_reverts_the_rest() {
    let (node, keys) = node(true);
    let market = tidepool_node::genesis::market_info();
    let usdc = market.tokens[0].address;
    let sender = &keys[2];
    let before = node.account(&sender.address).unwrap();
    // Transferring more tokens than held: the token aborts.
    let too_much = json!({"transfer": {"to": keys[3].address, "amount": "1000000000000000000000"}});
    let receipt =
        mined(node.submit(&tx(&node, sender, Action::Execute { contract: usdc, msg: too_much, funds: 0 })).unwrap());
    assert_eq!(receipt.status, ReceiptStatus::Reverted, "{receipt:?}");
    assert!(receipt.error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(receipt.events.is_empty());
    let after = node.account(&sender.address).unwrap();
    assert_eq!((after.nonce, after.balance), (before.nonce + 1, before.balance));
    // Out of gas is its own status.
    let transfer = json!({"transfer": {"to": keys[3].address, "amount": "1"}});
    let starved = Transaction {
        chain_id: 31337,
        nonce: after.nonce,
        from: sender.address,
        gas_limit: tidepool_node::apply::TX_BASE_GAS + 1_000,
        action: Action::Execute { contract: usdc, msg: transfer, funds: 0 },
    }
    .sign(&sender.key)
    .unwrap();
    let receipt = mined(node.submit(&starved).unwrap());
    assert_eq!(receipt.status, ReceiptStatus::OutOfGas, "{receipt:?}");
}

#[test]
fn a_token_transfer_emits_an_indexed_event() {
    let (node, keys) = node(true);
    let usdc = tidepool_node::genesis::market_info().tokens[0].address;
    let msg = json!({"transfer": {"to": keys[4].address, "amount": "250"}});
    let receipt = mined(node.submit(&tx(&node, &keys[3], Action::Execute { contract: usdc, msg, funds: 0 })).unwrap());
    assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
    assert!(!receipt.events.is_empty());
    let filter = tidepool_ledger::EventFilter {
        contract: Some(usdc),
        from_height: Some(receipt.height),
        limit: 100,
        ..Default::default()
    };
    let events = node.events(&filter).unwrap();
    assert_eq!(events.len(), receipt.events.len());
    assert!(events.iter().all(|e| e.tx_hash == receipt.tx_hash && e.event.contract == usdc));
}

#[test]
fn interval_mode_collects_transactions_into_one_block() {
    let node =
        Node::open(NodeConfig { mining: Mining::Interval(std::time::Duration::from_secs(3600)), ..config(false) })
            .unwrap();
    let keys = dev_accounts(3);
    let height = node.latest_block().unwrap().height;
    let mut hashes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let signed = tx(&node, key, Action::Transfer { to: Address([1; 20]), amount: i as u128 + 1 });
        match node.submit(&signed).unwrap() {
            Submitted::Pending { tx_hash } => hashes.push(tx_hash),
            other => panic!("expected pending, got {other:?}"),
        }
    }
    // Nonces advance in the pending block: a second transaction from the same sender is accepted.
    assert_eq!(node.latest_block().unwrap().height, height, "nothing is committed before mining");
    assert!(
        matches!(node.transaction(&hashes[0]), Err(NodeError::Rejected(Rejection::PendingTransaction(_)))),
        "a pending transaction has no receipt yet"
    );
    let header = node.flush().unwrap().expect("a pending block");
    assert_eq!(header.height, height + 1);
    assert_eq!(header.tx_hashes, hashes);
    assert_eq!(node.account(&Address([1; 20])).unwrap().balance, 6);
    assert!(node.flush().unwrap().is_none(), "nothing left pending");
}

#[test]
fn snapshot_and_revert_restore_state_history_and_root() {
    let (node, keys) = node(false);
    mined(node.submit(&tx(&node, &keys[0], Action::Transfer { to: Address([5; 20]), amount: 10 })).unwrap());
    let id = node.snapshot().unwrap();
    let saved = node.latest_block().unwrap();
    let receipt =
        mined(node.submit(&tx(&node, &keys[0], Action::Transfer { to: Address([5; 20]), amount: 20 })).unwrap());
    node.warp(86_400).unwrap();
    node.faucet(&keys[1].address, 99).unwrap();
    let restored = node.revert(id).unwrap();
    assert_eq!(restored, saved);
    assert_eq!(node.account(&Address([5; 20])).unwrap().balance, 10);
    assert!(node.transaction(&receipt.tx_hash).unwrap().is_none(), "history is reverted too");
    assert!(
        matches!(node.revert(id), Err(NodeError::Rejected(Rejection::UnknownSnapshot(_)))),
        "a snapshot is used up"
    );
    // The chain goes on from the restored block.
    let next = mined(node.submit(&tx(&node, &keys[0], Action::Transfer { to: Address([5; 20]), amount: 1 })).unwrap());
    assert_eq!(next.height, saved.height + 1);
}

#[test]
fn warp_moves_block_time_and_dev_controls_need_dev_mode() {
    let (node, keys) = node(false);
    let t0 = node.latest_block().unwrap().time;
    assert_eq!(node.warp(3600).unwrap().time, t0 + 3600);
    let prod = Node::open(NodeConfig { dev: false, ..config(false) }).unwrap();
    assert!(matches!(prod.warp(1), Err(NodeError::Rejected(Rejection::DevModeOnly))));
    assert!(matches!(prod.faucet(&keys[0].address, 1), Err(NodeError::Rejected(Rejection::DevModeOnly))));
    assert!(matches!(prod.snapshot(), Err(NodeError::Rejected(Rejection::DevModeOnly))));
}

#[test]
fn same_transactions_from_the_same_genesis_give_the_same_roots() {
    let run = || {
        let (node, keys) = node(true);
        let usdc = tidepool_node::genesis::market_info().tokens[0].address;
        let mut roots = vec![node.latest_block().unwrap().state_root];
        for i in 0..3u128 {
            let msg = json!({"transfer": {"to": keys[5].address, "amount": (i + 1).to_string()}});
            mined(node.submit(&tx(&node, &keys[4], Action::Execute { contract: usdc, msg, funds: 0 })).unwrap());
            node.warp(60).unwrap();
            roots.push(node.latest_block().unwrap().state_root);
        }
        roots
    };
    assert_eq!(run(), run());
}

#[test]
fn simulate_runs_without_committing() {
    let (node, keys) = node(false);
    let before = fingerprint(&node, &keys[0].address);
    let unsigned = Transaction {
        chain_id: 31337,
        nonce: 0,
        from: keys[0].address,
        gas_limit: GAS,
        action: Action::Transfer { to: Address([8; 20]), amount: 3 },
    };
    let receipt = node.simulate(&unsigned).unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Success);
    assert_eq!(fingerprint(&node, &keys[0].address), before);
    assert_eq!(node.account(&Address([8; 20])).unwrap().balance, 0);
}

/// A batch longer than the pipeline's chunk, with a wrong signer (70), a bad nonce (130) and a
/// signature from which no key recovers (190: its `r` is no point's x-coordinate) in the middle.
fn mixed_batch(node: &Node, keys: &[DevAccount]) -> Vec<tidepool_node::SignedTransaction> {
    let chain_id = node.config().chain_id;
    let transfer = |from: &DevAccount, nonce: u64, to: u8| Transaction {
        chain_id,
        nonce,
        from: from.address,
        gas_limit: GAS,
        action: Action::Transfer { to: Address([to; 20]), amount: 1 },
    };
    let mut batch: Vec<_> =
        (0..200).map(|n| transfer(&keys[0], n, (n % 7) as u8 + 1).sign(&keys[0].key).unwrap()).collect();
    batch.insert(70, transfer(&keys[1], 0, 9).sign(&keys[2].key).unwrap());
    batch.insert(130, transfer(&keys[3], 5, 9).sign(&keys[3].key).unwrap());
    let mut no_key = transfer(&keys[1], 0, 9).sign(&keys[1].key).unwrap();
    let mut bytes = no_key.signature.to_bytes();
    bytes[..32].fill(0);
    bytes[31] = 5; // x³ + 7 is not a square for x = 5
    no_key.signature = tidepool_node::signature::RecoverableSignature::from_slice(&bytes).unwrap();
    batch.insert(190, no_key);
    batch
}

#[test]
fn a_batch_is_one_block_with_each_rejection_in_its_place() {
    let (node, keys) = node(false);
    let height = node.latest_block().unwrap().height;
    let batch = mixed_batch(&node, &keys);
    let results = node.submit_batch(&batch);
    assert_eq!(results.len(), 203);
    assert!(matches!(results[70], Err(NodeError::Rejected(Rejection::WrongSigner { .. }))), "{:?}", results[70]);
    assert!(matches!(results[190], Err(NodeError::Rejected(Rejection::BadSignature))), "{:?}", results[190]);
    assert!(
        matches!(results[130], Err(NodeError::Rejected(Rejection::BadNonce { expected: 0, got: 5 }))),
        "{:?}",
        results[130]
    );
    let receipts: Vec<_> = results
        .into_iter()
        .enumerate()
        .filter(|(i, _)| ![70, 130, 190].contains(i))
        .map(|(_, r)| mined(r.unwrap()))
        .collect();
    let header = node.latest_block().unwrap();
    assert_eq!(header.height, height + 1, "one block");
    assert_eq!(header.tx_hashes, receipts.iter().map(|r| r.tx_hash).collect::<Vec<_>>());
    for (index, receipt) in receipts.iter().enumerate() {
        assert_eq!((receipt.height, receipt.index as usize), (height + 1, index));
        let (stored, again) = node.transaction(&receipt.tx_hash).unwrap().expect("stored");
        assert_eq!(&again, receipt);
        let original = batch.iter().find(|s| s.tx.hash().unwrap() == receipt.tx_hash).unwrap();
        assert_eq!((stored.tx, stored.signature), (original.tx.clone(), Some(original.signature)));
    }
    assert_eq!(node.account(&keys[0].address).unwrap().nonce, 200);
}

#[test]
fn a_batch_gives_the_same_block_pipelined_or_not() {
    // Called from inside a rayon pool, `submit_batch` checks every signature before executing;
    // from outside, it overlaps the two. Both must give the same results and the same block.
    let (pipelined, keys) = node(false);
    let (checked_first, _) = node(false);
    let batch = mixed_batch(&pipelined, &keys);
    let a = pipelined.submit_batch(&batch);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let b = pool.install(|| checked_first.submit_batch(&batch));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(pipelined.latest_block().unwrap(), checked_first.latest_block().unwrap());
}

#[test]
fn a_batch_in_interval_mode_fills_the_pending_block() {
    let node =
        Node::open(NodeConfig { mining: Mining::Interval(std::time::Duration::from_secs(3600)), ..config(false) })
            .unwrap();
    let keys = dev_accounts(4);
    let results = node.submit_batch(&mixed_batch(&node, &keys));
    assert!(matches!(results[70], Err(NodeError::Rejected(Rejection::WrongSigner { .. }))));
    assert!(matches!(results[130], Err(NodeError::Rejected(Rejection::BadNonce { .. }))));
    assert!(matches!(results[190], Err(NodeError::Rejected(Rejection::BadSignature))));
    assert_eq!(results.iter().filter(|r| matches!(r, Ok(Submitted::Pending { .. }))).count(), 200);
    assert_eq!(node.flush().unwrap().expect("a pending block").tx_hashes.len(), 200);
}

#[test]
fn a_transfer_that_would_overflow_the_recipient_writes_nothing_even_in_a_block_with_others() {
    let (node, keys) = node(false);
    let rich = Address([9; 20]);
    node.set_balance(&rich, u128::MAX - 5).unwrap();
    let sender_before = node.account(&keys[0].address).unwrap();
    let overflow = tx(&node, &keys[0], Action::Transfer { to: rich, amount: 6 });
    // Another sender's transfer shares the block, so the block is committed.
    let other = tx(&node, &keys[1], Action::Transfer { to: Address([8; 20]), amount: 1 });
    let results = node.submit_batch(&[overflow, other]);
    assert!(matches!(results[0], Err(NodeError::Rejected(Rejection::BalanceOverflow))), "{:?}", results[0]);
    assert!(results[1].is_ok(), "{:?}", results[1]);
    assert_eq!(node.account(&keys[0].address).unwrap(), sender_before, "nonce and balance unchanged");
    assert_eq!(node.account(&rich).unwrap().balance, u128::MAX - 5);
    // The same amount to oneself cannot overflow anything and goes through.
    node.set_balance(&keys[0].address, u128::MAX).unwrap();
    let to_self = tx(&node, &keys[0], Action::Transfer { to: keys[0].address, amount: 6 });
    assert_eq!(mined(node.submit(&to_self).unwrap()).status, ReceiptStatus::Success);
    assert_eq!(node.account(&keys[0].address).unwrap().balance, u128::MAX);
}

#[test]
fn a_quick_query_answers_as_the_full_query_or_leaves_it_to_it() {
    let (node, keys) = node(true);
    let market = node.market().unwrap();
    let view = node.view().unwrap();
    let user = keys[1].address;
    let short = [
        (market.tokens[0].address, json!({"balance": {"address": user}})),
        (market.pool, json!({"position": {"user": user}})),
    ];
    for (contract, msg) in short {
        let msg = msg.to_string().into_bytes();
        let full = view.query(&contract, &msg).unwrap();
        let quick = view.try_quick_query(&contract, &msg).unwrap().expect("answered within the budget");
        assert!(quick.status.is_success(), "{}", quick.status);
        assert_eq!((quick.return_data, quick.gas_used), (full.return_data, full.gas_used));
    }
    // A page of every position values each account: more than the quick budget.
    let long = json!({"positions": {"limit": 100}}).to_string().into_bytes();
    assert_eq!(view.try_quick_query(&market.pool, &long).unwrap(), None);
    let full = view.query(&market.pool, &long).unwrap();
    assert!(full.status.is_success() && full.gas_used > tidepool_node::QUICK_QUERY_GAS, "{}", full.gas_used);
    let nobody = Address([9; 20]);
    let unknown = view.try_quick_query(&nobody, b"{}");
    assert!(matches!(unknown, Err(NodeError::Rejected(Rejection::UnknownContract(a))) if a == nobody), "{unknown:?}");
}

/// Automine commits a batch's block outside the writer's lock while the next batch executes on
/// top of it (`node/src/chain/pipeline.rs`): concurrent batches that credit the same accounts
/// lose no update, every block links to the one before, each receipt names the block its
/// transaction is in, and a dev control in between (an empty block) finds the ledger committed.
#[test]
fn concurrent_batches_build_on_blocks_still_being_committed() {
    let (node, keys) = node(false);
    let recipients: Vec<Address> = (0..8u8).map(|i| Address([0x40 + i; 20])).collect();
    // Larger than PIPELINE_CHUNK, so each batch goes through the streamed path: one block each.
    const BATCHES: usize = 6;
    const PER_BATCH: usize = 80;
    const SENDERS: usize = 4;
    const EMPTY_BLOCKS: u64 = 5;
    let start = node.latest_block().unwrap().height;
    let chain_id = node.config().chain_id;
    let mined_at: Vec<(Hash, u64)> = std::thread::scope(|scope| {
        let senders: Vec<_> = keys
            .iter()
            .take(SENDERS)
            .enumerate()
            .map(|(t, key)| {
                let (node, recipients) = (&node, &recipients);
                scope.spawn(move || {
                    let mut mined_at = Vec::new();
                    let mut nonce = node.account(&key.address).unwrap().nonce;
                    for _ in 0..BATCHES {
                        let batch: Vec<_> = (0..PER_BATCH)
                            .map(|i| {
                                let to = recipients[(i + t) % recipients.len()];
                                let tx = Transaction {
                                    chain_id,
                                    nonce,
                                    from: key.address,
                                    gas_limit: GAS,
                                    action: Action::Transfer { to, amount: 1 },
                                };
                                nonce += 1;
                                tx.sign(&key.key).unwrap()
                            })
                            .collect();
                        for result in node.submit_batch(&batch) {
                            let receipt = mined(result.unwrap());
                            assert_eq!(receipt.status, ReceiptStatus::Success);
                            mined_at.push((receipt.tx_hash, receipt.height));
                        }
                    }
                    mined_at
                })
            })
            .collect();
        let node = &node;
        scope.spawn(move || {
            for _ in 0..EMPTY_BLOCKS {
                node.mine_block().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        senders.into_iter().flat_map(|sender| sender.join().unwrap()).collect()
    });
    for (hash, height) in &mined_at {
        let block = node.ledger().block(*height).unwrap().unwrap();
        assert!(block.tx_hashes.contains(hash), "the receipt's height is its block's");
    }
    let credited = (SENDERS * BATCHES * PER_BATCH / recipients.len()) as u128;
    for recipient in &recipients {
        assert_eq!(node.account(recipient).unwrap().balance, credited, "no credit lost");
    }
    let head = node.latest_block().unwrap();
    assert_eq!(head.height, start + (SENDERS * BATCHES) as u64 + EMPTY_BLOCKS);
    let mut parent = node.ledger().block(start).unwrap().unwrap();
    for height in start + 1..=head.height {
        let block = node.ledger().block(height).unwrap().unwrap();
        assert_eq!(block.parent_hash, parent.hash(), "block {height} follows its parent");
        assert!(block.time >= parent.time, "block times never go back");
        parent = block;
    }
}
