//! Workload 8: a network of four validators on this machine — each a real node on RocksDB with
//! consensus (Malachite), its HTTP API and gossip, all in this process — taking signed native
//! transfers submitted in HTTP batches to all four APIs. The figures: committed transactions per
//! second (on validator 0, from the first submission to the last commit) and finality, the time
//! from submitting a transfer (`POST /v1/txs?wait=true`; a probe client per validator sending one
//! at a time throughout) to its receipt. The baseline is the single node of workload 1 in the same run.
//!
//! On one machine every transaction is checked and executed by all four validators, so a quarter
//! of the single node is the ceiling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k256::ecdsa::SigningKey;
use rayon::prelude::*;
use serde::Serialize;
use tidepool_consensus::ValidatorKey;
use tidepool_ledger::{Address, keccak256};
use tidepool_network::{
    GenesisAccount, GenesisDocument, GenesisValidator, NodeSettings, Peer, Validator, ValidatorSpec,
};
use tidepool_node::tx::Action;
use tidepool_node::{Node, ONE_TOKEN, SignedTransaction, StoreConfig, Transaction, address_of};
use tokio::sync::oneshot;

use crate::fixture::{CpuTime, TempDir};
use crate::workloads::median;
use crate::{BenchError, Options, Progress};

/// The network's validators.
const VALIDATORS: usize = 4;

/// The chain id of the bench's network.
const CHAIN_ID: u64 = 4_242;

/// How many rounds a sender may run ahead of its committed nonce (the mempool admits 64).
const ROUNDS_AHEAD: u64 = 24;

/// The longest the load may take to commit; past it the workload fails.
const LOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// The longest the validators may take to commit their first block. Past it one of them is not
/// taking part (a validator whose network never started stands at height 0), and the workload
/// fails with every validator's height instead of waiting out [`LOAD_TIMEOUT`].
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What workload 8 measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkRun {
    /// Validators.
    pub validators: usize,
    /// Transfers committed.
    pub txs: usize,
    /// Committed transfers per second.
    pub per_s: f64,
    /// The single node's committed transfers per second in the same run (workload 1).
    pub single_node_per_s: f64,
    /// Finality of the probe's transfers, milliseconds: median and 99th percentile.
    pub finality_p50_ms: f64,
    /// 99th percentile.
    pub finality_p99_ms: f64,
    /// Probe transfers measured.
    pub probes: usize,
    /// Blocks the load took.
    pub blocks: u64,
    /// Process CPU per committed transfer (all four validators, clients included), µs.
    pub cpu_us_per_tx: f64,
    /// Share of the machine the process got.
    pub cpu_share: f64,
}

impl NetworkRun {
    /// Committed tx/s as a share of the single node's.
    pub fn ratio(&self) -> Option<f64> {
        (self.single_node_per_s > 0.0).then(|| self.per_s / self.single_node_per_s)
    }
}

/// One validator with its API.
struct Member {
    validator: Validator,
    stop_api: oneshot::Sender<()>,
    api: tokio::task::JoinHandle<()>,
}

/// Runs workload 8: `options.network_transfers` transfers from `options.network_senders`
/// senders; `single_node_per_s` is workload 1's figure.
///
/// # Errors
/// A validator that does not start, a refused submission, a load that does not commit in time.
pub fn network(
    options: &Options,
    runtime: &tokio::runtime::Runtime,
    scratch: &std::path::Path,
    single_node_per_s: f64,
    progress: &Progress,
) -> crate::Result<NetworkRun> {
    let dir = TempDir::new(scratch, "network")?;
    let senders: Vec<SigningKey> = (0..options.network_senders + VALIDATORS).map(key).collect();
    let (probes, senders) = senders.split_at(VALIDATORS);
    let rounds = options.network_transfers.div_ceil(senders.len()).max(1);
    let keys: Vec<ValidatorKey> = (0..VALIDATORS).map(|i| ValidatorKey::from_seed([i as u8 + 11; 32])).collect();
    let genesis = GenesisDocument {
        chain_id: CHAIN_ID,
        genesis_time: 1_750_000_000,
        accounts: senders
            .iter()
            .chain(probes)
            .map(|key| GenesisAccount { address: address_of(key), balance: 1_000_000 * ONE_TOKEN })
            .collect(),
        validators: keys
            .iter()
            .enumerate()
            .map(|(i, key)| GenesisValidator { name: format!("v{i}"), public_key: hex_key(key), power: 1 })
            .collect(),
        market: false,
    };
    let free = tidepool_consensus::free_local_addresses(2 * VALIDATORS)?;
    let ports: Vec<(SocketAddr, SocketAddr)> = free.chunks(2).map(|pair| (pair[0], pair[1])).collect();

    progress.step(format_args!("workload 8: starting {VALIDATORS} validators (RocksDB, consensus, HTTP)"));
    let members = runtime.block_on(async {
        let mut members = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let settings = NodeSettings {
                moniker: format!("v{i}"),
                api_listen: ports[i].0,
                p2p_listen: ports[i].1,
                peers: (0..VALIDATORS)
                    .filter(|j| *j != i)
                    .map(|j| Peer { p2p: ports[j].1, api: format!("http://{}", ports[j].0) })
                    .collect(),
                timeouts: tidepool_consensus::Timeouts::default(),
                history_blocks: None,
                empty_block_interval_ms: 1_000,
            };
            let spec = ValidatorSpec {
                genesis: genesis.clone(),
                key: key.clone(),
                store: StoreConfig::RocksDb(dir.path().join(format!("v{i}/data"))),
                wal_dir: dir.path().join(format!("v{i}/consensus")),
                settings,
                market: None,
            };
            let validator = Validator::start(spec).await.map_err(|e| BenchError::workload(e.to_string()))?;
            let listener = tokio::net::TcpListener::bind(ports[i].0).await?;
            let (stop_api, stopped) = oneshot::channel::<()>();
            let node = validator.node().clone();
            let api = tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(error) = tidepool_api::server::serve_with(listener, node, None, shutdown).await {
                    eprintln!("a validator's API failed: {error}");
                }
            });
            members.push(Member { validator, stop_api, api });
        }
        crate::Result::Ok(members)
    })?;
    let nodes: Vec<Node> = members.iter().map(|m| m.validator.node().clone()).collect();
    let apis: Vec<String> = ports.iter().map(|(api, _)| format!("http://{api}")).collect();
    let height = |node: &Node| node.latest_block().map_or(0, |header| header.height);
    wait_until(START_TIMEOUT, || nodes.iter().all(|node| height(node) >= 1)).map_err(|_| {
        let heights: Vec<u64> = nodes.iter().map(height).collect();
        BenchError::workload(format!(
            "the validators did not all commit a first block within {START_TIMEOUT:?}: heights {heights:?}"
        ))
    })?;

    // Everything signed before the clock starts: the clients' work is not the network's.
    progress.step(format_args!("  signing {} transfers from {} senders", rounds * senders.len(), senders.len()));
    let batches: Vec<Vec<Vec<u8>>> = (0..rounds as u64)
        .map(|round| {
            senders
                .par_iter()
                .enumerate()
                .map(|(i, key)| {
                    let to = address_of(&senders[(i + 1) % senders.len()]);
                    serde_json::to_vec(&transfer(key, round, to, 1)).expect("transactions serialise")
                })
                .collect()
        })
        .collect();
    let sender_addresses: Vec<Address> = senders.iter().map(address_of).collect();
    let start_height = nodes[0].latest_block()?.height;

    progress.step(format_args!("  {} transfers to {VALIDATORS} validators", rounds * senders.len()));
    let load_done = Arc::new(AtomicBool::new(false));
    let cpu_before = CpuTime::now();
    let started = Instant::now();
    let (latencies, submitted) = std::thread::scope(|scope| -> crate::Result<(Vec<f64>, usize)> {
        // The probes: one per validator, each sending one transfer at a time and waiting for its
        // receipt.
        let probe_threads: Vec<_> = probes
            .iter()
            .zip(&apis)
            .map(|(probe, api)| {
                let done = load_done.clone();
                scope.spawn(move || -> crate::Result<Vec<f64>> {
                    let agent = agent();
                    let mut latencies = Vec::new();
                    let mut nonce = 0;
                    while !done.load(Ordering::SeqCst) {
                        let tx = transfer(probe, nonce, address_of(probe), 1);
                        let sent = Instant::now();
                        let answer = post(
                            &agent,
                            &format!("{api}/v1/txs?wait=true"),
                            &serde_json::to_vec(&tx).expect("serialises"),
                        )?;
                        if answer.get("status").is_none() {
                            return Err(BenchError::workload(format!(
                                "a probe's transfer was not committed: {answer}"
                            )));
                        }
                        latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                        nonce += 1;
                    }
                    Ok(latencies)
                })
            })
            .collect();
        // One client per validator, each for its share of the senders, one batch per round.
        let clients: Vec<_> = (0..VALIDATORS)
            .map(|v| {
                let (batches, apis, node, addresses) = (&batches, &apis, &nodes[0], &sender_addresses);
                scope.spawn(move || -> crate::Result<usize> {
                    let agent = agent();
                    let mine: Vec<usize> = (v..addresses.len()).step_by(VALIDATORS).collect();
                    let Some(&first) = mine.first() else { return Ok(0) };
                    let mut sent = 0;
                    for (round, batch) in batches.iter().enumerate() {
                        // Stay within the mempool's nonce window.
                        let ahead = round as u64;
                        wait_until(LOAD_TIMEOUT, || committed_nonce(node, &addresses[first]) + ROUNDS_AHEAD >= ahead)?;
                        let body = json_array(mine.iter().map(|&i| batch[i].as_slice()));
                        let answer = post(&agent, &format!("{}/v1/txs/batch", apis[v]), &body)?;
                        let refused: Vec<_> =
                            answer.as_array().into_iter().flatten().filter(|e| e.get("error").is_some()).collect();
                        if let Some(refused) = refused.first() {
                            return Err(BenchError::workload(format!("a transfer was refused: {refused}")));
                        }
                        sent += mine.len();
                    }
                    Ok(sent)
                })
            })
            .collect();
        let mut submitted = 0;
        for client in clients {
            submitted += client.join().map_err(|_| BenchError::workload("a client panicked"))??;
        }
        let all_committed = wait_until(LOAD_TIMEOUT, || {
            sender_addresses.iter().all(|address| committed_nonce(&nodes[0], address) >= rounds as u64)
        });
        load_done.store(true, Ordering::SeqCst);
        let mut latencies = Vec::new();
        for probe in probe_threads {
            latencies.extend(probe.join().map_err(|_| BenchError::workload("a probe panicked"))??);
        }
        all_committed?;
        Ok((latencies, submitted))
    })?;
    let wall = started.elapsed();
    let cpu = CpuTime::now().process.saturating_sub(cpu_before.process);
    let blocks = nodes[0].latest_block()?.height - start_height;

    runtime.block_on(async {
        for member in members {
            let _ = member.stop_api.send(());
            let _ = member.api.await;
            member.validator.shutdown().await;
        }
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut sorted = latencies.clone();
    let p99 = percentile(&mut sorted, 0.99);
    Ok(NetworkRun {
        validators: VALIDATORS,
        txs: submitted,
        per_s: submitted as f64 / wall.as_secs_f64(),
        single_node_per_s,
        finality_p50_ms: median(&mut latencies.clone()),
        finality_p99_ms: p99,
        probes: latencies.len(),
        blocks,
        cpu_us_per_tx: cpu.as_secs_f64() * 1e6 / submitted.max(1) as f64,
        cpu_share: cpu.as_secs_f64() / (wall.as_secs_f64() * threads),
    })
}

/// Sender `i`'s key (deterministic: keccak256 of its index).
fn key(i: usize) -> SigningKey {
    SigningKey::from_slice(&keccak256(format!("tidepool bench network sender {i}").as_bytes()).0)
        .expect("a keccak digest is a valid secp256k1 scalar")
}

fn hex_key(key: &ValidatorKey) -> String {
    key.public_key().as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn transfer(key: &SigningKey, nonce: u64, to: Address, amount: u128) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN_ID,
        nonce,
        from: address_of(key),
        gas_limit: 100_000,
        action: Action::Transfer { to, amount },
    }
    .sign(key)
    .expect("signing")
}

fn committed_nonce(node: &Node, address: &Address) -> u64 {
    node.view().and_then(|view| view.account(address)).map_or(0, |account| account.nonce)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> crate::Result<serde_json::Value> {
    let mut response = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| BenchError::workload(format!("POST {url}: {e}")))?;
    let status = response.status();
    let answer: serde_json::Value =
        response.body_mut().read_json().map_err(|e| BenchError::workload(format!("POST {url}: {e}")))?;
    if !status.is_success() {
        return Err(BenchError::workload(format!("POST {url}: {status} {answer}")));
    }
    Ok(answer)
}

/// `[a,b,…]` from JSON values already encoded.
fn json_array<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out
}

/// Polls `done` every 5 ms until it holds, for at most `limit`.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> crate::Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(BenchError::workload("the network did not commit the load in time"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// The `q` quantile of `values` (0 when empty).
fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * q).round() as usize;
    values.get(index).copied().unwrap_or(0.0)
}
