//! Four validators of a real chain in this process: they agree block for block, transactions
//! sent to any of them reach every one (gossip), `?wait=true` answers with the receipt, blocks
//! carry their certificates, and dev controls are refused.

use std::collections::HashSet;

use serde_json::Value;
use tidepool_network::GenesisDocument;
use tidepool_network::app::engine_certificate;
use tidepool_node::dev_accounts;

use crate::cluster::Cluster;
use crate::support::{get, post, signed, transfer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_commit_the_same_chain_with_transactions_sent_to_any_of_them() {
    let cluster = Cluster::start(4, 3).await;
    let accounts = dev_accounts(3);

    // Twelve transfers, round-robin over the four APIs: each reaches every validator.
    let mut hashes = Vec::new();
    for n in 0..12u64 {
        let from = &accounts[(n % 3) as usize];
        let tx = signed(from, n / 3, transfer(accounts[((n + 1) % 3) as usize].address, 1_000 + u128::from(n)));
        let url = format!("{}/v1/txs", cluster.api((n % 4) as usize));
        let (status, answer) =
            tokio::task::spawn_blocking(move || post(&url, &serde_json::to_string(&tx).unwrap())).await.unwrap();
        assert_eq!(status, 200, "{answer}");
        hashes.push(answer["tx_hash"].as_str().expect("a network answers with the hash").to_string());
    }
    // `?wait=true` answers once the block holding it is committed.
    let tx = signed(&accounts[0], 4, transfer(accounts[2].address, 7));
    let url = format!("{}/v1/txs?wait=true", cluster.api(2));
    let (status, receipt) =
        tokio::task::spawn_blocking(move || post(&url, &serde_json::to_string(&tx).unwrap())).await.unwrap();
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["status"], "success", "{receipt}");
    hashes.push(receipt["tx_hash"].as_str().unwrap().to_string());

    cluster.wait_for_height(10).await;
    let settled = (0..4).map(|i| cluster.node(i).latest_block().unwrap().height).min().unwrap();
    // Every transaction is committed on every validator.
    let deadline = tokio::time::Instant::now() + crate::cluster::TEST_BUDGET;
    for i in 0..4 {
        for hash in &hashes {
            let hash = hash.parse().unwrap();
            loop {
                match cluster.node(i).transaction(&hash) {
                    Ok(Some(_)) => break,
                    _ if tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await
                    }
                    other => panic!("{hash} not committed on validator {i}: {other:?}"),
                }
            }
        }
    }
    // Identical headers at every height all four have.
    for height in 0..=settled {
        let headers: HashSet<_> =
            (0..4).map(|i| cluster.node(i).ledger().block(height).unwrap().unwrap().hash()).collect();
        assert_eq!(headers.len(), 1, "height {height}");
    }
    // Each block after genesis carries a certificate of at least three of the four.
    let block = get(&format!("{}/v1/blocks/1", cluster.api(3)));
    assert_eq!(block["certificate"]["height"], 1, "{block}");
    assert!(block["certificate"]["signatures"].as_array().unwrap().len() >= 3, "{block}");
    assert_eq!(get(&format!("{}/v1/blocks/0", cluster.api(3)))["certificate"], Value::Null);
    // Its precommits are signed for this network: they verify with the id the genesis document
    // gives, which `/health` reports, and not with another network's.
    let genesis_block = cluster.node(3).ledger().block(0).unwrap().unwrap().hash();
    let network_id = cluster.genesis().network_id(genesis_block).unwrap();
    let validators = cluster.genesis().validator_set().unwrap();
    let certificate = engine_certificate(&serde_json::from_value(block["certificate"].clone()).unwrap()).unwrap();
    certificate.verify(&network_id, &validators).unwrap();
    let next_chain = GenesisDocument { chain_id: cluster.genesis().chain_id + 1, ..cluster.genesis().clone() };
    assert!(certificate.verify(&next_chain.network_id(genesis_block).unwrap(), &validators).is_err());
    // The validator's health and metrics say where consensus is.
    let health = get(&format!("{}/health", cluster.api(1)));
    assert_eq!(health["peers"], 3, "{health}");
    assert_eq!(health["syncing"], false, "{health}");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["consensus"]["network_id"], network_id.to_string(), "{health}");
    assert_eq!(health["consensus"]["stalled"], false, "{health}");
    assert!(health["consensus"]["consensus_height"].as_u64().unwrap() >= 10, "{health}");
    // Dev controls would fork a validator from the others: refused, nothing changes.
    let before = cluster.node(0).ledger().block(1).unwrap();
    let url = format!("{}/dev/mine", cluster.api(0));
    let (status, refused) = tokio::task::spawn_blocking(move || post(&url, "")).await.unwrap();
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("network_node")), "{refused}");
    assert_eq!(cluster.node(0).ledger().block(1).unwrap(), before);
    cluster.shutdown().await;
}
