//! The six workloads of BENCHMARKS.md ("Whole sandbox"), plus the HTTP forms of the transfer workload.
//!
//! Transactions are built and signed (on every core) before the clock starts; what is timed is
//! `Node::submit_batch` — parallel signature recovery, execution, and the block's commit to
//! RocksDB — so a figure is committed transactions per second. Every run ends by checking that
//! every sender's nonce on the ledger moved as far as the bench expects.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::BenchError;
use serde::Serialize;
use serde_json::json;
use tidepool_ledger::{Address, Hash, Ledger, keccak256};
use tidepool_node::{Action, Node, SignedTransaction, Submitted, Transaction};

use super::baselines;
use super::fixture::{CpuTime, Fixture, Picker, Sender, open_node, sign_all, submit_checked};
use super::http::{self, Call, Load, Server};
use super::{Options, Progress};

/// Committed transactions per second over several runs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Throughput {
    /// Transactions per run.
    pub txs_per_run: usize,
    /// Transactions per block (one `submit_batch` or one HTTP batch request).
    pub batch: usize,
    /// Each run's figure, tx/s.
    pub runs: Vec<f64>,
    /// The median run, tx/s.
    pub median: f64,
    /// The k256 recovery floor on every core, per second: the median of the samples taken right
    /// before each run (`floor_samples`).
    pub floor_per_s: f64,
    /// The floor sampled right before each run, per second, in run order. On a shared host
    /// the floor moves by a third within minutes; a sample per run keeps the ratio to the
    /// moments the runs were measured in.
    pub floor_samples: Vec<f64>,
    /// Process CPU time per transaction (every thread), µs, median over runs.
    pub cpu_us_per_tx: f64,
    /// CPU time of the submitting thread per transaction — the writer's serial part (execution
    /// and commit; in-process workloads only), µs, median over runs.
    pub writer_us_per_tx: f64,
    /// Share of the machine the process got while submitting: CPU time ÷ (wall time × threads),
    /// median over runs. Well below 1 means other processes took the rest.
    pub cpu_share: f64,
}

/// One run's measurements.
pub(crate) struct Run {
    txs: usize,
    wall: Duration,
    cpu: CpuTime,
    /// The k256 floor sampled right before the run, per second.
    floor_per_s: f64,
}

impl Throughput {
    pub(crate) fn new(batch: usize, runs: &[Run]) -> Throughput {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let per_run = |f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
        Throughput {
            txs_per_run: runs.first().map_or(0, |r| r.txs),
            batch,
            runs: runs.iter().map(|r| r.txs as f64 / r.wall.as_secs_f64()).collect(),
            median: per_run(&|r| r.txs as f64 / r.wall.as_secs_f64()),
            floor_per_s: per_run(&|r| r.floor_per_s),
            floor_samples: runs.iter().map(|r| r.floor_per_s).collect(),
            cpu_us_per_tx: per_run(&|r| r.cpu.process.as_secs_f64() * 1e6 / r.txs as f64),
            writer_us_per_tx: per_run(&|r| r.cpu.thread.as_secs_f64() * 1e6 / r.txs as f64),
            cpu_share: per_run(&|r| r.cpu.process.as_secs_f64() / (r.wall.as_secs_f64() * threads)),
        }
    }

    /// The median as a share of the k256 floor sampled beside the runs: the figure with the
    /// host's speed at the time taken out, comparable between workloads run minutes apart.
    pub fn of_floor(&self) -> Option<f64> {
        (self.floor_per_s > 0.0).then(|| self.median / self.floor_per_s)
    }
}

/// The median of `values` (0 when empty).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The k256 floor, sampled right before a run (contention on a shared machine drifts).
pub(crate) fn floor(options: &Options) -> f64 {
    baselines::signature_recovery(options.recoveries / 4).all_cores_per_s
}

/// Runs `runs` times: `count` transactions (whole rounds in which every sender sends one, the
/// action chosen by `action(round, sender index, picker)`), signed, then submitted in batches.
fn throughput_runs(
    fixture: &mut Fixture,
    options: &Options,
    count: usize,
    what: &str,
    progress: &Progress,
    mut action: impl FnMut(usize, usize, &mut Picker) -> Action,
) -> crate::Result<Throughput> {
    let mut picker = Picker::new(7);
    let mut runs = Vec::new();
    for run in 0..options.runs {
        let label = format!("{what}, run {}/{}", run + 1, options.runs);
        runs.push(timed_run(fixture, options, count, &label, progress, &mut picker, &mut action)?);
    }
    Ok(Throughput::new(options.batch, &runs))
}

/// One timed run of [`throughput_runs`].
pub(crate) fn timed_run(
    fixture: &mut Fixture,
    options: &Options,
    count: usize,
    label: &str,
    progress: &Progress,
    picker: &mut Picker,
    action: &mut impl FnMut(usize, usize, &mut Picker) -> Action,
) -> crate::Result<Run> {
    let rounds = count.div_ceil(fixture.senders.len());
    let chain_id = fixture.chain_id();
    // Each submitter (a client thread) sends the transactions of its own share of the
    // senders, in order, in batches.
    let mut groups: Vec<Vec<(usize, Transaction)>> = vec![Vec::new(); options.submitters.max(1)];
    let submitters = groups.len();
    for round in 0..rounds {
        for (i, sender) in fixture.senders.iter_mut().enumerate() {
            groups[i % submitters].push((i, sender.next(chain_id, action(round, i, picker))));
        }
    }
    let groups: Vec<Vec<SignedTransaction>> = groups.into_iter().map(|g| fixture.sign(g)).collect();
    let count: usize = groups.iter().map(Vec::len).sum();
    let node = &fixture.node;
    let floor_per_s = floor(options);
    let (start, start_cpu) = (Instant::now(), CpuTime::now());
    let writer = std::thread::scope(|scope| {
        let clients: Vec<_> = groups
            .iter()
            .map(|group| {
                scope.spawn(move || {
                    let cpu = CpuTime::now();
                    submit_checked(node, group, options.batch).map(|_| CpuTime::now().since(&cpu).thread)
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().expect("a client thread panicked")).sum::<crate::Result<Duration>>()
    })?;
    let wall = start.elapsed();
    let cpu = CpuTime { thread: writer, ..CpuTime::now().since(&start_cpu) };
    fixture.check_nonces()?;
    progress.step(format_args!(
        "  {label}: {count} txs in {:.2} s = {:.0} tx/s; CPU {:.0} µs/tx, writer {:.0} µs/tx; k256 floor {floor_per_s:.0}/s",
        wall.as_secs_f64(),
        count as f64 / wall.as_secs_f64(),
        cpu.process.as_secs_f64() * 1e6 / count as f64,
        cpu.thread.as_secs_f64() * 1e6 / count as f64,
    ));
    Ok(Run { txs: count, wall, cpu, floor_per_s })
}

/// Workload 1: signed native transfers between the bench accounts, committed.
///
/// # Errors
/// A transaction failed.
pub fn native_transfers(fixture: &mut Fixture, options: &Options, progress: &Progress) -> crate::Result<Throughput> {
    progress.step(format_args!("workload 1: native transfers ({} accounts in the state)", fixture.senders.len()));
    let recipients: Vec<Address> = fixture.senders.iter().map(|s| s.address).collect();
    throughput_runs(fixture, options, options.transfers, "native transfers", progress, |_, _, picker| {
        Action::Transfer { to: recipients[picker.below(recipients.len())], amount: 1 }
    })
}

/// Workload 2: signed USDC transfers (the token contract's `transfer`), committed.
///
/// # Errors
/// A transaction failed.
pub fn token_transfers(fixture: &mut Fixture, options: &Options, progress: &Progress) -> crate::Result<Throughput> {
    progress.step("workload 2: token-contract transfers");
    let action = token_transfer(fixture);
    throughput_runs(fixture, options, options.token_transfers, "token transfers", progress, action)
}

/// Workload 2's transaction: 1 USDC base unit to a random bench account.
pub(crate) fn token_transfer(fixture: &Fixture) -> impl FnMut(usize, usize, &mut Picker) -> Action + use<> {
    let usdc = fixture.token("USDC");
    let recipients: Vec<Address> = fixture.senders.iter().map(|s| s.address).collect();
    move |_, _, picker| {
        let to = recipients[picker.below(recipients.len())];
        Action::Execute { contract: usdc, msg: json!({"transfer": {"to": to, "amount": "1"}}), funds: 0 }
    }
}

/// Workload 3: lending-pool operations, in rounds: every sender supplies WETH (collateral),
/// then borrows 1 USDC, then repays it.
///
/// # Errors
/// A transaction failed.
pub fn lending_operations(fixture: &mut Fixture, options: &Options, progress: &Progress) -> crate::Result<Throughput> {
    progress.step("workload 3: lending-pool operations (supply, borrow, repay)");
    let (pool, usdc, weth) = (fixture.market.pool, fixture.token("USDC"), fixture.token("WETH"));
    // 0.001 WETH ($3 at the genesis price, $2.40 of borrowing power) per supply; 1 USDC per borrow.
    let supply = json!({"supply": {"asset": weth, "amount": "1000000000000000"}});
    let borrow = json!({"borrow": {"asset": usdc, "amount": "1000000"}});
    let repay = json!({"repay": {"asset": usdc, "amount": "1000000"}});
    throughput_runs(fixture, options, options.lending_ops, "lending operations", progress, |round, _, _| {
        let msg = [&supply, &borrow, &repay][round % 3].clone();
        Action::Execute { contract: pool, msg, funds: 0 }
    })
}

/// Workload 1 over HTTP: the same transfers as `POST /v1/txs/batch` requests, one connection
/// per submitter, each carrying its own share of the senders (so each sender's nonces stay in
/// order).
///
/// # Errors
/// A request or a transaction failed.
pub async fn native_transfers_http(
    fixture: &mut Fixture,
    options: &Options,
    progress: &Progress,
) -> crate::Result<Throughput> {
    let connections = options.submitters.max(1);
    progress.step(format_args!("workload 1 over HTTP: POST /v1/txs/batch, {connections} connections"));
    let server = Server::node(fixture.node.clone()).await?;
    let recipients: Vec<Address> = fixture.senders.iter().map(|s| s.address).collect();
    let rounds = options.transfers.div_ceil(fixture.senders.len());
    let chain_id = fixture.chain_id();
    let mut picker = Picker::new(11);
    let mut runs = Vec::new();
    for run in 0..options.runs {
        let mut per_connection: Vec<Vec<(usize, Transaction)>> = vec![Vec::new(); connections];
        for _ in 0..rounds {
            for (i, sender) in fixture.senders.iter_mut().enumerate() {
                let to = recipients[picker.below(recipients.len())];
                per_connection[i % connections].push((i, sender.next(chain_id, Action::Transfer { to, amount: 1 })));
            }
        }
        let total: usize = per_connection.iter().map(Vec::len).sum();
        let lists: Vec<Vec<Call>> = per_connection
            .into_iter()
            .map(|txs| {
                let signed = fixture.sign(txs);
                signed
                    .chunks(options.batch)
                    .map(|batch| Call::post("/v1/txs/batch", serde_json::to_vec(batch).expect("serialisable")))
                    .collect()
            })
            .collect();
        let floor_per_s = floor(options);
        let cpu = CpuTime::now();
        let load = http::fixed(server.addr, lists).await?;
        // The submitting thread only waits here; the writer runs on the server's threads.
        let cpu = CpuTime { thread: Duration::ZERO, ..CpuTime::now().since(&cpu) };
        if load.errors != 0 {
            return Err(BenchError::workload(format!("{} batch requests failed", load.errors)));
        }
        fixture.check_nonces()?;
        progress.step(format_args!(
            "  HTTP batches, run {}/{}: {total} txs in {:.2} s = {:.0} tx/s; CPU {:.0} µs/tx; k256 floor {floor_per_s:.0}/s",
            run + 1,
            options.runs,
            load.seconds,
            total as f64 / load.seconds,
            cpu.process.as_secs_f64() * 1e6 / total as f64,
        ));
        runs.push(Run { txs: total, wall: Duration::from_secs_f64(load.seconds), cpu, floor_per_s });
    }
    server.stop().await?;
    Ok(Throughput::new(options.batch, &runs))
}

/// Single transfers, one `POST /v1/txs` each (one block each), on 8 connections.
///
/// # Errors
/// A request or a transaction failed.
pub async fn single_submissions_http(
    fixture: &mut Fixture,
    options: &Options,
    progress: &Progress,
) -> crate::Result<Load> {
    const CONNECTIONS: usize = 8;
    progress.step(format_args!("single transfers: POST /v1/txs, one block each, {CONNECTIONS} connections"));
    let server = Server::node(fixture.node.clone()).await?;
    let chain_id = fixture.chain_id();
    let to = fixture.owner.address;
    let mut per_connection: Vec<Vec<(usize, Transaction)>> = vec![Vec::new(); CONNECTIONS];
    let senders = fixture.senders.len();
    for n in 0..options.single_submissions {
        let i = n % senders;
        per_connection[i % CONNECTIONS]
            .push((i, fixture.senders[i].next(chain_id, Action::Transfer { to, amount: 1 })));
    }
    let lists: Vec<Vec<Call>> = per_connection
        .into_iter()
        .map(|txs| {
            fixture
                .sign(txs)
                .iter()
                .map(|tx| Call::post("/v1/txs", serde_json::to_vec(tx).expect("serialisable")))
                .collect()
        })
        .collect();
    let height = |node: &tidepool_node::Node| node.latest_block().map_or(0, |header| header.height);
    let first = height(&fixture.node);
    let load = http::fixed(server.addr, lists).await?;
    server.stop().await?;
    if load.errors != 0 {
        return Err(BenchError::workload(format!("{} submissions failed", load.errors)));
    }
    fixture.check_nonces()?;
    let blocks = height(&fixture.node) - first;
    progress.step(format_args!(
        "  {:.0} tx/s, p50 {} µs, p99 {} µs; {blocks} blocks ({:.1} transactions each)",
        load.per_s,
        load.p50_us,
        load.p99_us,
        load.requests as f64 / blocks.max(1) as f64
    ));
    Ok(load)
}

/// Workload 4: read-only HTTP queries at each connection count.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Queries {
    /// `GET /v1/accounts/{address}`: nonce and native balance.
    pub balance: Vec<QueryLoad>,
    /// `POST /v1/contracts/{USDC}/query` `{"balance": {"address": …}}`: a VM query.
    pub contract: Vec<QueryLoad>,
    /// The same query as `GET /v1/contracts/{USDC}/query?msg=…`: no request body.
    pub contract_in_url: Vec<QueryLoad>,
}

/// One query load, and its baseline: the empty handler at the same connection count, measured
/// right before and right after it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct QueryLoad {
    /// The queries.
    pub load: Load,
    /// The empty handler just before.
    pub empty_before: Load,
    /// The empty handler just after.
    pub empty_after: Load,
}

impl QueryLoad {
    /// The baseline: the empty handler's rate beside the load (the mean of before and after).
    pub fn empty_per_s(&self) -> f64 {
        (self.empty_before.per_s + self.empty_after.per_s) / 2.0
    }

    /// The load's rate as a share of its baseline.
    pub fn ratio(&self) -> Option<f64> {
        let empty = self.empty_per_s();
        (empty > 0.0).then(|| self.load.per_s / empty)
    }
}

/// Workload 4.
///
/// # Errors
/// The server failed or answered an error.
pub async fn queries(fixture: &Fixture, options: &Options, progress: &Progress) -> crate::Result<Queries> {
    progress.step("workload 4: read-only HTTP queries");
    let server = Server::node(fixture.node.clone()).await?;
    let usdc = fixture.token("USDC");
    let balance: Arc<Vec<Call>> =
        Arc::new(fixture.senders.iter().map(|s| Call::get(format!("/v1/accounts/{}", s.address))).collect());
    let contract: Arc<Vec<Call>> = Arc::new(
        fixture
            .senders
            .iter()
            .map(|s| {
                let body = json!({"balance": {"address": s.address}}).to_string().into_bytes();
                Call::post(format!("/v1/contracts/{usdc}/query"), body)
            })
            .collect(),
    );
    let contract_in_url: Arc<Vec<Call>> = Arc::new(
        fixture
            .senders
            .iter()
            .map(|s| {
                let msg = json!({"balance": {"address": s.address}}).to_string();
                let msg: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
                Call::get(format!("/v1/contracts/{usdc}/query?msg={msg}"))
            })
            .collect(),
    );
    // The baseline is measured beside every load, not once at the start of the run: between
    // minutes the host moves the empty handler's own rate by half (BENCHMARKS.md, workload 4).
    // At each connection count the empty handler runs before the first load, between the
    // loads and after the last, so each load lies between two samples of its baseline.
    let empty = baselines::EmptyHandler::start().await?;
    let sample = options.query_duration / 4;
    let mut out = Queries::default();
    for &connections in &options.connections {
        let mut before = empty.sample(connections, sample).await?;
        for (name, calls, loads) in [
            ("balance", &balance, &mut out.balance),
            ("contract query", &contract, &mut out.contract),
            ("contract query in the URL", &contract_in_url, &mut out.contract_in_url),
        ] {
            let load = http::closed_loop(server.addr, connections, options.query_duration, calls.clone()).await?;
            if load.errors != 0 {
                return Err(BenchError::workload(format!("{name}: {} requests failed", load.errors)));
            }
            let after = empty.sample(connections, sample).await?;
            let paired = QueryLoad { load, empty_before: before, empty_after: after.clone() };
            progress.step(format_args!(
                "  {name} × {connections} connections: {:.0} req/s, p50 {} µs, p99 {} µs; the empty handler beside it {:.0} req/s",
                paired.load.per_s,
                paired.load.p50_us,
                paired.load.p99_us,
                paired.empty_per_s()
            ));
            loads.push(paired);
            before = after;
        }
    }
    empty.stop().await?;
    server.stop().await?;
    Ok(out)
}

/// Workload 5: the state grown to many accounts, then workload 1 again.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AtScale {
    /// Accounts in the state.
    pub accounts: usize,
    /// Time to create them (dev `set_balances` blocks), seconds.
    pub growth_seconds: f64,
    /// Accounts per growth block.
    pub growth_block: usize,
    /// The transfers, to random recipients among all the accounts.
    pub transfers: Throughput,
}

/// Accounts created per `set_balances` block while growing the state.
const GROWTH_BLOCK: usize = 100_000;

/// The address of the `i`-th account created to grow the state.
fn grown_address(i: usize) -> Address {
    let hash = keccak256(format!("tidepool bench account {i}").as_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash.0[12..]);
    Address(out)
}

/// Workload 5.
///
/// # Errors
/// Growing the state or a transaction failed.
pub fn transfers_at_scale(fixture: &mut Fixture, options: &Options, progress: &Progress) -> crate::Result<AtScale> {
    let extra = options.accounts.saturating_sub(fixture.senders.len());
    progress.step(format_args!(
        "workload 5: growing the state to {} accounts (dev set_balances, {GROWTH_BLOCK} per block)",
        options.accounts
    ));
    let start = Instant::now();
    let mut created = 0;
    while created < extra {
        let n = GROWTH_BLOCK.min(extra - created);
        let balances: Vec<(Address, u128)> = (created..created + n).map(|i| (grown_address(i), 1)).collect();
        fixture.node.set_balances(&balances)?;
        created += n;
        progress.step(format_args!("  {} accounts", fixture.senders.len() + created));
    }
    let growth_seconds = start.elapsed().as_secs_f64();
    let senders: Vec<Address> = fixture.senders.iter().map(|s| s.address).collect();
    let total = senders.len() + extra;
    let transfers =
        throughput_runs(fixture, options, options.transfers, "transfers at scale", progress, |_, _, picker| {
            let i = picker.below(total);
            let to = if i < senders.len() { senders[i] } else { grown_address(i - senders.len()) };
            Action::Transfer { to, amount: 1 }
        })?;
    Ok(AtScale { accounts: total, growth_seconds, growth_block: GROWTH_BLOCK, transfers })
}

/// Workload 6: restart of a node with many contracts to its first served request.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Restart {
    /// Contracts deployed (on top of the dev market's five).
    pub contracts: usize,
    /// Distinct codes among them.
    pub codes: usize,
    /// Each run: opening the node, serving, and answering one contract query over HTTP, ms.
    pub first_request_ms: Vec<f64>,
    /// The median, ms.
    pub first_request_ms_median: f64,
    /// Median time until every deployed contract had answered a query, ms.
    pub all_contracts_ms_median: f64,
    /// Median time to open the same directory as a bare ledger (RocksDB alone), ms.
    pub raw_open_ms_median: f64,
    /// Modules compiled from wasm after the restarts (must be 0: the disk cache serves them).
    pub compiles: u64,
    /// Modules loaded from the disk cache during the last restart's queries.
    pub disk_loads: u64,
}

/// A wasm custom section that makes `wasm` a distinct code (another hash) that behaves the same.
fn variant(wasm: &[u8], index: usize) -> Vec<u8> {
    let name = b"tidepool-bench";
    let payload = (index as u64).to_be_bytes();
    let size = 1 + name.len() + payload.len();
    assert!(size < 128 && name.len() < 128, "one-byte LEB128 lengths");
    let mut out = wasm.to_vec();
    out.extend_from_slice(&[0, size as u8, name.len() as u8]);
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

/// Mines one batch and returns the receipts, failing on any rejection or failure.
fn mine(node: &Node, signed: &[SignedTransaction]) -> crate::Result<Vec<tidepool_node::Receipt>> {
    let mut receipts = Vec::with_capacity(signed.len());
    for result in node.submit_batch(signed) {
        match result? {
            Submitted::Mined(receipt) if receipt.is_success() => receipts.push(receipt.into_receipt()),
            Submitted::Mined(receipt) => {
                return Err(BenchError::workload(format!("deployment failed: {:?}", receipt.error)));
            }
            Submitted::Pending { .. } => return Err(BenchError::workload("the bench node automines")),
        }
    }
    Ok(receipts)
}

/// Deploys `contracts` tokens from `codes` distinct codes; returns their addresses.
fn deploy(node: &Node, contracts: usize, codes: usize) -> crate::Result<Vec<Address>> {
    let dev = node.dev_accounts().into_iter().next().ok_or_else(|| BenchError::workload("no dev account"))?;
    let mut owner = Sender { key: dev.key, address: dev.address, nonce: node.account(&dev.address)?.nonce };
    let chain_id = node.config().chain_id;
    // The dev market's token code, as genesis uploaded it.
    let usdc = node.market().ok_or_else(|| BenchError::workload("no dev market"))?.tokens[0].address;
    let code_hash = node.contract(&usdc)?.ok_or_else(|| BenchError::workload("no USDC contract"))?.code_hash;
    let token = node.ledger().overlay().code(&code_hash)?.ok_or_else(|| BenchError::workload("no token code"))?.wasm;
    let deploy_gas = tidepool_node::apply::MAX_TX_GAS;
    let uploads: Vec<Transaction> = (0..codes)
        .map(|i| Transaction {
            gas_limit: deploy_gas,
            ..owner.next(chain_id, Action::UploadCode { wasm: variant(&token, i) })
        })
        .collect();
    let receipts = mine(node, &sign_all(uploads.into_iter().map(|tx| (tx, &owner.key)).collect()))?;
    let hashes: Vec<Hash> = receipts
        .iter()
        .map(|r| r.code_hash.ok_or_else(|| BenchError::workload("an upload receipt has a code hash")))
        .collect::<Result<_, _>>()?;
    let instantiations: Vec<Transaction> = (0..contracts)
        .map(|i| {
            let msg = json!({
                "name": format!("Bench token {i}"), "symbol": "BNCH", "decimals": 6,
                "initial_balances": [{"address": owner.address, "amount": "1000000"}], "minter": null,
            });
            let action = Action::Instantiate {
                code_hash: hashes[i % hashes.len()],
                msg,
                funds: 0,
                label: format!("bench:{i}"),
                admin: None,
            };
            Transaction { gas_limit: deploy_gas, ..owner.next(chain_id, action) }
        })
        .collect();
    let receipts = mine(node, &sign_all(instantiations.into_iter().map(|tx| (tx, &owner.key)).collect()))?;
    receipts
        .iter()
        .map(|r| r.contract_address.ok_or_else(|| BenchError::workload("an instantiate receipt has an address")))
        .collect()
}

/// Workload 6: deploys the contracts in a fresh node in `dir`, stops it, then `runs` times:
/// opens the directory as a bare ledger (the baseline), then restarts the node, serves HTTP, and
/// times the first answered contract query, then one query to every contract.
///
/// # Errors
/// Deployment, the restart or a query failed.
pub async fn restart(dir: &Path, options: &Options, progress: &Progress) -> crate::Result<Restart> {
    progress.step(format_args!(
        "workload 6: deploying {} contracts from {} codes, then restarting",
        options.contracts, options.codes
    ));
    let contracts = {
        let node = open_node(dir)?;
        deploy(&node, options.contracts, options.codes)?
    };
    let query = |address: &Address| {
        Call::post(format!("/v1/contracts/{address}/query"), json!({"token_info": {}}).to_string().into_bytes())
    };
    let mut out = Restart { contracts: contracts.len(), codes: options.codes, ..Restart::default() };
    // The first open after the deployment replays its write-ahead log; later opens find none.
    drop(Ledger::open(dir)?);
    let (mut firsts, mut alls, mut raws) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..options.runs {
        let start = Instant::now();
        drop(Ledger::open(dir)?);
        raws.push(ms(start.elapsed()));

        let start = Instant::now();
        let node = open_node(dir)?;
        let server = Server::node(node.clone()).await?;
        let first = http::fixed(server.addr, vec![vec![query(&contracts[0])]]).await?;
        let first_ms = ms(start.elapsed());
        if first.errors != 0 {
            return Err(BenchError::workload("the first query after the restart failed"));
        }
        let rest = http::fixed(server.addr, vec![contracts[1..].iter().map(query).collect()]).await?;
        let all_ms = ms(start.elapsed());
        if rest.errors != 0 {
            return Err(BenchError::workload(format!("{} queries after the restart failed", rest.errors)));
        }
        server.stop().await?;
        let stats = node.vm().cache_stats();
        out.compiles += stats.compiles;
        out.disk_loads = stats.disk_loads;
        drop(node);
        progress.step(format_args!(
            "  run {}/{}: first request {first_ms:.1} ms, all {} contracts {all_ms:.1} ms, {} compiles, {} disk loads",
            run + 1,
            options.runs,
            contracts.len(),
            stats.compiles,
            stats.disk_loads
        ));
        firsts.push(first_ms);
        alls.push(all_ms);
    }
    out.first_request_ms_median = median(&mut firsts.clone());
    out.first_request_ms = firsts;
    out.all_contracts_ms_median = median(&mut alls);
    out.raw_open_ms_median = median(&mut raws);
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
