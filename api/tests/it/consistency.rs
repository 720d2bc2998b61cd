//! Reads never mix two blocks: while blocks commit one after another, every answer describes
//! the state after exactly one of them (see `tidepool_node::View`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidepool_node::{Action, Node, NodeConfig, StoreConfig, Transaction, dev_accounts};

use crate::support::with_market;

/// Reads of `/balances` in all, split over the reader threads.
const READS: usize = 10_000;
const READERS: usize = 2;
/// No loop runs longer than this, whatever happens.
const DEADLINE: Duration = Duration::from_secs(300);

/// Serves `node` on a free loopback port until the returned sender is dropped or fires.
pub(crate) fn serve(node: Node) -> (String, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        runtime
            .block_on(tidepool_api::server::serve(listener, node, async {
                let _ = stopped.await;
            }))
            .unwrap();
    });
    (url, stop, server)
}

fn balances_never_mix_two_blocks(store: StoreConfig) {
    let node = Node::open(with_market(NodeConfig { store, ..NodeConfig::dev() })).unwrap();
    let usdc = node.market().expect("the dev market is deployed").tokens[0].address;
    let accounts = dev_accounts(3);
    let (from, to) = (&accounts[1], &accounts[2]);
    let start = node.view().unwrap();
    let start_height = start.height();
    let native_before = start.account(&from.address).unwrap().balance;
    let usdc_before = start.token_balances(&from.address).unwrap()[0].balance;
    drop(start);
    let (url, stop, server) = serve(node.clone());

    // The writer: block after block, each moving 1 native unit and 1 USDC unit from `from` to `to`.
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (node, done, key, to) = (node.clone(), done.clone(), from.key.clone(), to.address);
        let sender = from.address;
        std::thread::spawn(move || {
            let began = Instant::now();
            let mut nonce = 0;
            let mut blocks = 0u64;
            while !done.load(Ordering::Relaxed) && began.elapsed() < DEADLINE {
                let chain_id = node.config().chain_id;
                let tx = |nonce, action| Transaction { chain_id, nonce, from: sender, gas_limit: 10_000_000, action };
                let native = tx(nonce, Action::Transfer { to, amount: 1 }).sign(&key).unwrap();
                let msg = json!({"transfer": {"to": to, "amount": "1"}});
                let token = tx(nonce + 1, Action::Execute { contract: usdc, msg, funds: 0 }).sign(&key).unwrap();
                nonce += 2;
                for result in node.submit_batch(&[native, token]) {
                    result.expect("both transfers succeed");
                }
                blocks += 1;
            }
            blocks
        })
    };

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let url = format!("{url}/v1/accounts/{}/balances", from.address);
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                let began = Instant::now();
                let mut last_height = 0;
                let mut heights_seen = std::collections::BTreeSet::new();
                for _ in 0..READS / READERS {
                    assert!(began.elapsed() < DEADLINE, "the reads took too long");
                    let answer: Value = agent.get(&url).call().unwrap().body_mut().read_json().unwrap();
                    let height = answer["height"].as_u64().expect("a read says its height");
                    let native: u128 = answer["native"].as_str().unwrap().parse().unwrap();
                    let usdc: u128 = answer["tokens"][0]["balance"].as_str().unwrap().parse().unwrap();
                    let moves = height - start_height;
                    assert_eq!(
                        (native_before - native, usdc_before - usdc),
                        (u128::from(moves), u128::from(moves)),
                        "at height {height}, {moves} blocks moved 1 native and 1 USDC unit each: {answer}"
                    );
                    assert!(height >= last_height, "heights never go back");
                    last_height = height;
                    heights_seen.insert(height);
                }
                heights_seen.len()
            })
        })
        .collect();
    let heights_seen: usize = readers.into_iter().map(|reader| reader.join().unwrap()).sum();
    done.store(true, Ordering::Relaxed);
    let blocks = writer.join().unwrap();
    stop.send(()).unwrap();
    server.join().unwrap();
    // The test means something only if the reads overlapped many commits.
    assert!(blocks >= 10 && heights_seen >= 10, "{blocks} blocks, {heights_seen} heights read");
}

#[test]
fn balances_never_mix_two_blocks_on_rocksdb() {
    let dir = tempfile::tempdir().unwrap();
    balances_never_mix_two_blocks(StoreConfig::RocksDb(dir.path().join("ledger")));
}

#[test]
fn balances_never_mix_two_blocks_in_memory() {
    balances_never_mix_two_blocks(StoreConfig::Memory);
}

/// When `serve` returns, it holds nothing of the node: dropping the caller's own handle closes
/// the data directory, which opens again at once (within one runtime that lives on, as in an
/// embedding program or the bench's restarts, which once found the directory still locked: the
/// interval miner's task outlived `serve`).
#[test]
fn a_served_node_releases_its_data_directory_when_serve_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger");
    // One worker, kept busy while the server shuts down: a task of the server's that is only
    // aborted, not awaited, cannot be dropped on it before `serve` returns.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    for _ in 0..3 {
        let node = Node::open(NodeConfig { store: StoreConfig::RocksDb(path.clone()), ..NodeConfig::dev() }).unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let shutdown = async {
                tokio::spawn(async { std::thread::sleep(Duration::from_millis(300)) });
            };
            tidepool_api::server::serve(listener, node, shutdown).await.unwrap();
        });
        // The node was moved into `serve`: this open fails while anything still holds it.
        drop(tidepool_ledger::Ledger::open(&path).expect("the data directory is free once serve returns"));
    }
}
