//! `tidepool bench`: the whole sandbox under load, end to end, against its targets.
//!
//! Everything runs in this process: a dev node over RocksDB in a temporary directory, and for the
//! HTTP figures the real router ([`tidepool_api::server::serve`]) on `127.0.0.1` with a hyper client of
//! many connections. Each headline figure comes with a baseline measured in the same run, because
//! absolute figures on a shared machine drift and ratios drift much less:
//!
//! | workload | baseline |
//! |---|---|
//! | 1 native transfers, 2 token transfers, 3 lending operations (committed tx/s) | k256 signature recovery on every core |
//! | 4 read-only HTTP queries at 1, 8, 64 connections | an empty axum handler, same client, measured right before and after each load (and, at the start of the run, one that reads a `POST` body, the floor under a contract query) |
//! | 5 transfers after growing the state to 1,000,000 accounts | workload 1 |
//! | 6 restart to first served request, 100 contracts deployed | opening the same RocksDB directory raw |
//! | 7 workload 2 while 100 clients follow the live stream, gzip (every topic; 7b blocks only; 7c every topic uncompressed) | workload 2 with no one listening, same run |
//! | 8 signed transfers on a network of four validators in this process; finality | workload 1 (the single node) |
//! | 9 the empty contract through `Vm::call` | the bare wasmtime engine's instantiate-and-call ([`peers`]) |
//! | 10 a token `transfer` executed (no signature, memory store) | revm's ERC-20 `transfer` on its in-memory database |
//!
//! plus RocksDB raw batch writes, the floor under every commit.
//!
//! Start at [`run`]; [`workloads`] holds the first six workloads, [`subscribers`] the seventh, [`network`] the eighth, [`fixture`] the node they share,
//! [`baselines`] the floors, [`http`] the load generator, [`report`] the summary.

mod error;

pub mod baselines;
pub mod fixture;
pub mod http;
pub mod network;
pub mod peers;
pub mod report;
pub mod subscribers;
pub mod workloads;

use std::fmt::Display;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use error::{BenchError, Result};

use self::fixture::{Fixture, TempDir};
use self::report::Report;

/// How much work each part of the run does.
#[derive(Clone, Debug)]
pub struct Options {
    /// `quick` or `full`, for the report.
    pub mode: &'static str,
    /// Repetitions of each throughput workload; the report gives the median.
    pub runs: usize,
    /// Accounts that send the transfers, each once per round (so a batch holds each at most once).
    pub senders: usize,
    /// Transactions per `submit_batch` (one block each).
    pub batch: usize,
    /// Clients submitting batches at once (threads in process, connections over HTTP), each for
    /// its own share of the senders: while one batch executes and commits, the next ones'
    /// signatures are checked, as with several clients of a real node. Four, because with two
    /// both waiting batches were often checked while the writer still ran, and a core idled
    /// (native transfers: 91 % of the machine and ~14.9k tx/s with two, ~16k with four).
    pub submitters: usize,
    /// Native transfers per run (workloads 1 and 5).
    pub transfers: usize,
    /// Token transfers per run.
    pub token_transfers: usize,
    /// Lending operations per run.
    pub lending_ops: usize,
    /// Single-transaction HTTP submissions (one block each), to show what batching buys.
    pub single_submissions: usize,
    /// Signed transfers sent to the four validators of workload 8.
    pub network_transfers: usize,
    /// Accounts sending them, each once per round.
    pub network_senders: usize,
    /// Accounts in the state for workload 5.
    pub accounts: usize,
    /// How long each HTTP query measurement lasts, per connection count.
    pub query_duration: Duration,
    /// Connection counts for the query workload.
    pub connections: Vec<usize>,
    /// Clients following the live stream in workload 7.
    pub subscribers: usize,
    /// Contracts deployed before the restart (workload 6).
    pub contracts: usize,
    /// Distinct codes among them (each compiled once at upload; the restart must compile none).
    pub codes: usize,
    /// Signatures recovered for the k256 baseline.
    pub recoveries: usize,
    /// Batches written for the RocksDB baseline.
    pub rocks_batches: usize,
    /// Where the temporary data directories go (default: the system's temporary directory).
    pub scratch: Option<PathBuf>,
    /// Only these parts (see [`PARTS`]); all when empty. For profiling one workload.
    pub only: Vec<String>,
}

/// The parts of a run, as `--only` names them.
pub const PARTS: [&str; 14] = [
    "recovery", "rocks", "empty", "native", "http", "single", "token", "lending", "stream", "queries", "scale",
    "restart", "network", "peers",
];

impl Options {
    fn includes(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

impl Options {
    /// The full run, for BENCHMARKS.md: a few minutes on two cores.
    pub fn full() -> Options {
        Options {
            mode: "full",
            runs: 3,
            senders: 1_000,
            batch: 1_000,
            submitters: 4,
            transfers: 40_000,
            token_transfers: 20_000,
            lending_ops: 12_000,
            single_submissions: 2_000,
            network_transfers: 12_000,
            network_senders: 400,
            accounts: 1_000_000,
            query_duration: Duration::from_secs(4),
            connections: vec![1, 8, 64],
            subscribers: 100,
            contracts: 100,
            codes: 10,
            recoveries: 20_000,
            rocks_batches: 100,
            scratch: None,
            only: Vec::new(),
        }
    }

    /// Small counts: every workload and baseline once, well under a minute (the test suite runs
    /// it, so the bench cannot rot).
    pub fn quick() -> Options {
        Options {
            mode: "quick",
            runs: 1,
            senders: 200,
            batch: 200,
            submitters: 4,
            transfers: 2_000,
            token_transfers: 1_000,
            lending_ops: 600,
            single_submissions: 100,
            network_transfers: 1_200,
            network_senders: 200,
            accounts: 20_000,
            query_duration: Duration::from_millis(300),
            connections: vec![1, 8, 64],
            subscribers: 100,
            contracts: 100,
            codes: 2,
            recoveries: 2_000,
            rocks_batches: 10,
            scratch: None,
            only: Vec::new(),
        }
    }
}

/// Progress lines on stderr, stamped with the time since the start.
pub struct Progress {
    start: Instant,
    quiet: bool,
}

impl Progress {
    /// Progress that prints (`quiet`: that does not).
    pub fn new(quiet: bool) -> Progress {
        Progress { start: Instant::now(), quiet }
    }

    /// Prints one line.
    pub fn step(&self, message: impl Display) {
        if !self.quiet {
            eprintln!("[{:>6.1}s] {message}", self.start.elapsed().as_secs_f64());
        }
    }
}

/// Runs every baseline and workload and returns the report.
///
/// # Errors
/// Any failure to set up or of a transaction that should have succeeded: a benchmark that
/// measured failures would measure the wrong thing, so it stops instead.
pub fn run(options: &Options, progress: &Progress) -> crate::Result<Report> {
    let started = Instant::now();
    let scratch = options.scratch.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&scratch).map_err(|source| BenchError::Scratch { path: scratch.clone(), source })?;
    // Clients and server share one runtime with a worker per core, as `tidepool node` runs.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut report = Report::new(options);

    if options.includes("recovery") {
        progress.step("baseline: k256 signature recovery");
        report.recovery = baselines::signature_recovery(options.recoveries);
        report.recovery.batched_all_cores_per_s = baselines::batched_signature_recovery(options.recoveries);
        progress.step(format_args!(
            "  {:.0}/s on one core, {:.0}/s on {} threads; Tidepool's batched recovery {:.0}/s on {2} threads",
            report.recovery.one_core_per_s,
            report.recovery.all_cores_per_s,
            report.recovery.threads,
            report.recovery.batched_all_cores_per_s
        ));
    }
    if options.includes("rocks") {
        progress.step("baseline: RocksDB raw batch writes");
        let rocks_dir = TempDir::new(&scratch, "rocks")?;
        report.rocks = baselines::rocks_batches(rocks_dir.path(), options.rocks_batches)?;
        progress.step(format_args!(
            "  {:.0} puts/s, {:.2} ms per batch",
            report.rocks.puts_per_s, report.rocks.batch_ms_p50
        ));
    }
    if options.includes("empty") {
        progress.step("baseline: empty axum handler");
        report.empty_handler =
            runtime.block_on(baselines::empty_handler(&options.connections, options.query_duration))?;
        progress.step("baseline: empty axum handler reading a body");
        report.empty_post_handler =
            runtime.block_on(baselines::empty_post_handler(&options.connections, options.query_duration))?;
    }

    let node_parts = ["native", "http", "single", "token", "lending", "stream", "queries", "scale", "network"];
    if node_parts.iter().any(|p| options.includes(p)) {
        let node_dir = TempDir::new(&scratch, "node")?;
        progress.step(format_args!("opening a dev node in {}", node_dir.path().display()));
        let mut fixture = Fixture::open(node_dir.path(), options.senders, progress)?;
        // Workload 8's baseline is workload 1, from the same run.
        if options.includes("native") || options.includes("network") {
            report.native = workloads::native_transfers(&mut fixture, options, progress)?;
        }
        if options.includes("http") {
            report.native_http = runtime.block_on(workloads::native_transfers_http(&mut fixture, options, progress))?;
        }
        if options.includes("single") {
            report.single_http =
                runtime.block_on(workloads::single_submissions_http(&mut fixture, options, progress))?;
        }
        if options.includes("token") {
            report.token = workloads::token_transfers(&mut fixture, options, progress)?;
        }
        if options.includes("lending") {
            report.lending = workloads::lending_operations(&mut fixture, options, progress)?;
        }
        if options.includes("stream") {
            for (topics, gzip) in [("blocks,txs,events", true), ("blocks", true), ("blocks,txs,events", false)] {
                let subscribers = options.subscribers;
                let cost =
                    subscribers::stream_cost(&mut fixture, options, &runtime, subscribers, topics, gzip, progress)?;
                report.streams.push(cost);
            }
        }
        if options.includes("queries") {
            report.queries = runtime.block_on(workloads::queries(&fixture, options, progress))?;
        }
        if options.includes("scale") {
            report.grown = workloads::transfers_at_scale(&mut fixture, options, progress)?;
        }
    }
    if options.includes("network") {
        report.network = network::network(options, &runtime, &scratch, report.native.median, progress)?;
    }
    if options.includes("peers") {
        progress.step("peers: the empty contract through Vm::call and on the bare engine");
        // Rounds are short (tens of ms): three times as many as elsewhere steady the median.
        report.wasmtime_floor = peers::wasmtime_floor(options.runs.max(3) * 3)?;
        progress.step("peers: token transfers on Tidepool and ERC-20 transfers on revm");
        report.evm_peer = peers::evm_peer(options.runs.max(3) * 3)?;
    }
    if options.includes("restart") {
        let restart_dir = TempDir::new(&scratch, "restart")?;
        report.restart = runtime.block_on(workloads::restart(restart_dir.path(), options, progress))?;
    }

    report.seconds = started.elapsed().as_secs_f64();
    report.finish();
    Ok(report)
}
