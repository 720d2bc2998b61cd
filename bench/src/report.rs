//! The summary: every figure with its same-run baseline, ratio and target, as JSON (the whole
//! [`Report`]) and as markdown ([`Report::markdown`]) for BENCHMARKS.md.

use std::fmt::Write as _;

use serde::Serialize;

use super::Options;
use super::baselines::{Recovery, RocksBatches};
use super::http::Load;
use super::subscribers::StreamCost;
use super::workloads::{AtScale, Queries, Restart, Throughput};

/// The machine the figures were taken on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Machine {
    /// CPU model (`/proc/cpuinfo`).
    pub cpu: String,
    /// Hardware threads available to the process.
    pub threads: usize,
    /// Memory, GiB (`/proc/meminfo`).
    pub memory_gib: f64,
    /// Operating system.
    pub os: String,
}

impl Machine {
    fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            os: std::env::consts::OS.into(),
        }
    }
}

/// One target check: `≥ bound` (or `≤ bound` when `at_most`).
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The target as written, e.g. `≥ 15,000 tx/s`.
    pub target: String,
    /// The value checked.
    pub value: f64,
    /// The bound.
    pub bound: f64,
    /// Whether lower is better.
    pub at_most: bool,
    /// Whether the target is met.
    pub met: bool,
}

impl Check {
    fn at_least(target: impl Into<String>, value: f64, bound: f64) -> Check {
        Check { target: target.into(), value, bound, at_most: false, met: value >= bound }
    }

    fn at_most(target: impl Into<String>, value: f64, bound: f64) -> Check {
        Check { target: target.into(), value, bound, at_most: true, met: value <= bound }
    }

    /// `met`, or `missed by N %` (how far the value is from the bound, relative to the bound; with
    /// a decimal below 1 %, so that a near miss does not read "missed by 0 %").
    pub fn verdict(&self) -> String {
        if self.met {
            return "met".into();
        }
        if self.bound == 0.0 {
            return format!("**missed ({})**", self.value);
        }
        let percent = ((self.value - self.bound) / self.bound).abs() * 100.0;
        let decimals = if percent < 1.0 { 1 } else { 0 };
        format!("**missed by {percent:.decimals$} %**")
    }
}

/// One line of the summary table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The workload's number in BENCHMARKS.md's table.
    pub id: String,
    /// What was measured.
    pub name: String,
    /// The headline figure, formatted with its unit.
    pub figure: String,
    /// The baseline it is compared with, formatted.
    pub baseline: String,
    /// figure ÷ baseline.
    pub ratio: Option<f64>,
    /// The targets and whether they are met.
    pub checks: Vec<Check>,
}

/// Everything one run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// `quick` or `full`.
    pub mode: String,
    /// Runs per throughput workload.
    pub runs: usize,
    /// Client threads submitting batches at once (in-process workloads).
    pub submitters: usize,
    /// The machine.
    pub machine: Machine,
    /// Total wall time of the run, seconds.
    pub seconds: f64,
    /// Baseline: k256 recovery.
    pub recovery: Recovery,
    /// Baseline: RocksDB batches.
    pub rocks: RocksBatches,
    /// Baseline: the empty handler at each connection count.
    pub empty_handler: Vec<Load>,
    /// Baseline: the empty handler reading a request body, at each connection count.
    pub empty_post_handler: Vec<Load>,
    /// Workload 1.
    pub native: Throughput,
    /// Workload 1 over HTTP batches.
    pub native_http: Throughput,
    /// Single-transaction HTTP submissions.
    pub single_http: Load,
    /// Workload 2.
    pub token: Throughput,
    /// Workload 3.
    pub lending: Throughput,
    /// Workload 4.
    pub queries: Queries,
    /// Workload 5.
    pub grown: AtScale,
    /// Workload 7: every topic, then blocks only.
    pub streams: Vec<StreamCost>,
    /// Workload 6.
    pub restart: Restart,
    /// Workload 8.
    pub network: crate::network::NetworkRun,
    /// Workload 9: the wasmtime floor.
    pub wasmtime_floor: crate::peers::WasmtimeFloor,
    /// Workload 10: the EVM peer.
    pub evm_peer: crate::peers::EvmPeer,
    /// The summary table.
    pub rows: Vec<Row>,
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load_at(loads: &[Load], connections: usize) -> Option<&Load> {
    loads.iter().find(|l| l.connections == connections)
}

/// A throughput figure: the median, and where the CPU went.
fn throughput_figure(t: &Throughput) -> String {
    let writer = if t.writer_us_per_tx > 0.0 { format!(", writer {:.0}", t.writer_us_per_tx) } else { String::new() };
    format!(
        "{} tx/s (CPU {:.0}{writer} µs/tx; {:.0} % of the machine)",
        thousands(t.median),
        t.cpu_us_per_tx,
        t.cpu_share * 100.0
    )
}

impl Report {
    /// An empty report for a run with these options.
    pub fn new(options: &Options) -> Report {
        Report {
            mode: options.mode.into(),
            runs: options.runs,
            submitters: options.submitters,
            machine: Machine::detect(),
            ..Report::default()
        }
    }

    /// Fills [`Report::rows`] from the measurements.
    pub fn finish(&mut self) {
        // The floors are sampled on the rayon pool, whether or not the `recovery` part ran.
        let pool_threads = rayon::current_num_threads();
        let floor_text = |floor: f64| {
            format!("k256 recovery, {pool_threads} threads, before each run (median): {}/s", thousands(floor))
        };
        let mut rows = Vec::new();
        let ratio = |figure: f64, baseline: f64| (baseline > 0.0).then(|| figure / baseline);
        let throughput_row = |id: &str, name: String, t: &Throughput, target: f64| Row {
            id: id.into(),
            name,
            figure: throughput_figure(t),
            baseline: floor_text(t.floor_per_s),
            ratio: ratio(t.median, t.floor_per_s),
            checks: vec![Check::at_least(format!("≥ {} tx/s", thousands(target)), t.median, target)],
        };
        if !self.native.runs.is_empty() {
            let mut native = throughput_row(
                "1",
                format!(
                    "signed native transfers, committed (batches of {}, {} clients)",
                    self.native.batch, self.submitters
                ),
                &self.native,
                15_000.0,
            );
            if let Some(r) = ratio(self.native.median, self.native.floor_per_s) {
                native.checks.push(Check::at_least("ratio ≥ 0.6", r, 0.6));
            }
            rows.push(native);
        }
        if !self.native_http.runs.is_empty() {
            rows.push(Row {
                checks: Vec::new(),
                ..throughput_row(
                    "1h",
                    format!(
                        "the same over HTTP (`POST /v1/txs/batch` of {}, {} connections)",
                        self.native_http.batch, self.submitters
                    ),
                    &self.native_http,
                    0.0,
                )
            });
        }
        if self.single_http.requests > 0 {
            // Each of these is a block; a block's floor is one synced RocksDB write.
            let blocks_per_s =
                if self.rocks.single_put_ms_p50 > 0.0 { 1e3 / self.rocks.single_put_ms_p50 } else { 0.0 };
            rows.push(Row {
                id: "1s".into(),
                name: "the same, one `POST /v1/txs` per transfer, 8 connections (waiting submissions share a block)"
                    .into(),
                figure: format!(
                    "{} tx/s (p50 {:.2} ms, p99 {:.2} ms)",
                    thousands(self.single_http.per_s),
                    self.single_http.p50_us as f64 / 1e3,
                    self.single_http.p99_us as f64 / 1e3
                ),
                baseline: format!(
                    "one synced RocksDB write per block: {:.2} ms = {} blocks/s",
                    self.rocks.single_put_ms_p50,
                    thousands(blocks_per_s)
                ),
                ratio: ratio(self.single_http.per_s, blocks_per_s),
                checks: ratio(self.single_http.per_s, blocks_per_s)
                    .map(|r| Check::at_least("ratio ≥ 0.7", r, 0.7))
                    .into_iter()
                    .collect(),
            });
        }
        if !self.token.runs.is_empty() {
            rows.push(throughput_row(
                "2",
                format!(
                    "signed token-contract transfers, committed (batches of {}, {} clients)",
                    self.token.batch, self.submitters
                ),
                &self.token,
                10_000.0,
            ));
        }
        if !self.lending.runs.is_empty() {
            rows.push(throughput_row(
                "3",
                format!(
                    "lending-pool supply / borrow / repay, committed (batches of {}, {} clients)",
                    self.lending.batch, self.submitters
                ),
                &self.lending,
                5_000.0,
            ));
        }
        for (cost, id) in self.streams.iter().zip(["7", "7b", "7c"]) {
            let encoding = if cost.gzip { "gzip" } else { "uncompressed" };
            rows.push(Row {
                id: id.into(),
                name: format!(
                    "workload 2 while {} clients follow `GET /v1/stream?topics={}`, {encoding}",
                    cost.subscribers, cost.topics
                ),
                figure: format!(
                    "{} tx/s, writer {:.1} µs/tx ({} streams ended early)",
                    thousands(cost.with.median),
                    cost.with.writer_us_per_tx,
                    cost.ended_early
                ),
                baseline: format!(
                    "no subscribers: {} tx/s, writer {:.1} µs/tx",
                    thousands(cost.without.median),
                    cost.without.writer_us_per_tx
                ),
                ratio: cost.throughput_ratio(),
                // The bar holds for what clients ask for by default (browsers, `fetch`: gzip);
                // the uncompressed row shows what ~9× the bytes cost, unchecked.
                checks: cost
                    .writer_ratio()
                    .filter(|_| cost.gzip)
                    .map(|r| Check::at_most("writer ≤ 1.05× without", r, 1.05))
                    .into_iter()
                    .collect(),
            });
        }
        for (name, loads) in [
            ("`GET /v1/accounts/{a}` (balance)", &self.queries.balance),
            ("`POST /v1/contracts/{USDC}/query`", &self.queries.contract),
            ("`GET /v1/contracts/{USDC}/query?msg=`", &self.queries.contract_in_url),
        ] {
            let is_balance = name.contains("accounts");
            for paired in loads {
                let load = &paired.load;
                let ratio = paired.ratio();
                let mut checks = Vec::new();
                if is_balance && load.connections == 64 {
                    checks.push(Check::at_least("≥ 30,000 req/s", load.per_s, 30_000.0));
                    checks.push(Check::at_most("p99 ≤ 5 ms", load.p99_us as f64 / 1e3, 5.0));
                    if let Some(ratio) = ratio {
                        checks.push(Check::at_least("ratio ≥ 0.5", ratio, 0.5));
                    }
                }
                let mut baseline = format!(
                    "empty axum handler beside it: {} req/s ({} before, {} after",
                    thousands(paired.empty_per_s()),
                    thousands(paired.empty_before.per_s),
                    thousands(paired.empty_after.per_s)
                );
                if let Some(start) = load_at(&self.empty_handler, load.connections) {
                    baseline += &format!("; {} at the start of the run", thousands(start.per_s));
                }
                baseline += ")";
                if let Some(body) = load_at(&self.empty_post_handler, load.connections).filter(|_| !is_balance) {
                    baseline += &format!(
                        "; reading a body, at the start: {} req/s, p50 {:.2} ms",
                        thousands(body.per_s),
                        body.p50_us as f64 / 1e3
                    );
                }
                rows.push(Row {
                    id: "4".into(),
                    name: format!("{name}, {} connections", load.connections),
                    figure: format!(
                        "{} req/s (p50 {:.2} ms, p99 {:.2} ms)",
                        thousands(load.per_s),
                        load.p50_us as f64 / 1e3,
                        load.p99_us as f64 / 1e3
                    ),
                    baseline,
                    ratio,
                    checks,
                });
            }
        }
        if self.network.txs > 0 {
            let n = &self.network;
            let mut checks = vec![Check::at_most("finality p50 ≤ 1 s", n.finality_p50_ms / 1e3, 1.0)];
            if let Some(r) = n.ratio() {
                checks.push(Check::at_least("ratio ≥ 0.15", r, 0.15));
            }
            rows.push(Row {
                id: "8".into(),
                name: format!(
                    "signed native transfers on {} validators in this process (HTTP batches to all), committed",
                    n.validators
                ),
                figure: format!(
                    "{} tx/s, finality p50 {:.0} ms, p99 {:.0} ms ({} probes; {} blocks; CPU {:.0} µs/tx, {:.0} % of the machine)",
                    thousands(n.per_s),
                    n.finality_p50_ms,
                    n.finality_p99_ms,
                    n.probes,
                    n.blocks,
                    n.cpu_us_per_tx,
                    n.cpu_share * 100.0
                ),
                baseline: format!("the single node (workload 1): {} tx/s", thousands(n.single_node_per_s)),
                ratio: n.ratio(),
                checks,
            });
        }
        if self.wasmtime_floor.rounds > 0 {
            let floor = &self.wasmtime_floor;
            rows.push(Row {
                id: "9".into(),
                name: "the empty contract called through `Vm::call` (a fresh instance, gas, host state)".into(),
                figure: format!("{:.2} µs per call", floor.vm_call_us),
                baseline: format!("bare wasmtime, same engine, instantiate and call: {:.2} µs", floor.bare_us),
                ratio: floor.ratio(),
                checks: floor.ratio().map(|r| Check::at_most("≤ 1.5× the bare engine", r, 1.5)).into_iter().collect(),
            });
        }
        if self.evm_peer.rounds > 0 {
            let peer = &self.evm_peer;
            rows.push(Row {
                id: "10".into(),
                name: "a token `transfer` executed, no signature, memory store (trace and diff recorded)".into(),
                figure: format!("{:.2} µs per transfer", peer.tidepool_us),
                baseline: format!(
                    "revm, ERC-20 `transfer`, in-memory database: {:.2} µs ({} gas)",
                    peer.revm_us, peer.revm_gas
                ),
                ratio: peer.ratio(),
                checks: peer.ratio().map(|r| Check::at_most("≤ 2× revm", r, 2.0)).into_iter().collect(),
            });
        }
        if !self.grown.transfers.runs.is_empty() {
            // Workload 1 ran minutes earlier, and the host's speed moves by half between minutes:
            // each figure is taken against the k256 floor sampled beside its own runs first.
            let grown = &self.grown.transfers;
            let shares = grown.of_floor().zip(self.native.of_floor());
            let scaled = shares.map(|(at_scale, base)| at_scale / base);
            let mut baseline = format!("workload 1: {} tx/s", thousands(self.native.median));
            if let Some((at_scale, base)) = shares {
                baseline += &format!(
                    "; of the k256 floor beside each: {at_scale:.2} here, {base:.2} there (tx/s alone: {:.2})",
                    grown.median / self.native.median
                );
            }
            rows.push(Row {
                id: "5".into(),
                name: format!("workload 1 with {} accounts in the state", thousands(self.grown.accounts as f64)),
                figure: throughput_figure(grown),
                baseline,
                ratio: scaled,
                checks: scaled.map(|r| Check::at_least("ratio ≥ 0.8", r, 0.8)).into_iter().collect(),
            });
        }
        if self.restart.first_request_ms.is_empty() {
            self.rows = rows;
            return;
        }
        rows.push(Row {
            id: "6".into(),
            name: format!(
                "restart to first served query, {} contracts ({} codes) + the dev market",
                self.restart.contracts, self.restart.codes
            ),
            figure: format!(
                "{:.0} ms (all contracts answered: {:.0} ms; {} compiles)",
                self.restart.first_request_ms_median, self.restart.all_contracts_ms_median, self.restart.compiles
            ),
            baseline: format!("opening the RocksDB directory alone: {:.0} ms", self.restart.raw_open_ms_median),
            ratio: ratio(self.restart.first_request_ms_median, self.restart.raw_open_ms_median),
            checks: vec![
                Check::at_most("≤ 1 s", self.restart.first_request_ms_median / 1e3, 1.0),
                Check::at_most("no recompilation", self.restart.compiles as f64, 0.0),
            ],
        });
        self.rows = rows;
    }

    /// The summary as markdown: the figures table, then the baselines.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "Mode `{}`, median of {} run(s) per throughput workload; {} ({} threads, {:.0} GiB), {}; total {:.0} s.\n",
            self.mode, self.runs, m.cpu, m.threads, m.memory_gib, m.os, self.seconds
        );
        let _ = writeln!(out, "| # | workload | figure | baseline (same run) | ratio | target | result |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for row in &self.rows {
            let ratio = row.ratio.map_or_else(String::new, |r| format!("{r:.2}"));
            let targets: Vec<&str> = row.checks.iter().map(|c| c.target.as_str()).collect();
            let verdicts: Vec<String> = row.checks.iter().map(Check::verdict).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.id,
                row.name,
                row.figure,
                row.baseline,
                ratio,
                targets.join("; "),
                verdicts.join("; ")
            );
        }
        let _ = writeln!(out, "\nBaselines:\n");
        if self.recovery.threads > 0 {
            let _ = writeln!(
                out,
                "- k256 signature recovery: {}/s on one core, {}/s on {} threads (sampled again before each \
                 transaction workload: that sample is the row's baseline); Tidepool's own, recovering runs of 32 \
                 signatures together as the node checks a batch: {}/s on {2} threads ({:.2}× k256's);",
                thousands(self.recovery.one_core_per_s),
                thousands(self.recovery.all_cores_per_s),
                self.recovery.threads,
                thousands(self.recovery.batched_all_cores_per_s),
                self.recovery.batched_all_cores_per_s / self.recovery.all_cores_per_s
            );
        }
        if self.rocks.batch_size > 0 {
            let _ = writeln!(
                out,
                "- RocksDB batch writes (the ledger's store, WAL synced, {} puts of {} B per batch): {} puts/s, \
                 {:.2} ms per batch; a batch of one put: {:.2} ms;",
                self.rocks.batch_size,
                self.rocks.value_bytes,
                thousands(self.rocks.puts_per_s),
                self.rocks.batch_ms_p50,
                self.rocks.single_put_ms_p50
            );
        }
        for (what, loads) in [
            ("empty axum handler, same client", &self.empty_handler),
            ("empty axum handler reading a query-sized JSON body (`POST`)", &self.empty_post_handler),
        ] {
            if loads.is_empty() {
                continue;
            }
            let each: Vec<String> = loads
                .iter()
                .map(|l| {
                    let (p50, p99) = (l.p50_us as f64 / 1e3, l.p99_us as f64 / 1e3);
                    format!("{} req/s at {} (p50 {p50:.2} ms, p99 {p99:.2} ms)", thousands(l.per_s), l.connections)
                })
                .collect();
            let _ = writeln!(out, "- {what}: {}.", each.join(", "));
        }
        let runs = |t: &Throughput| t.runs.iter().map(|r| thousands(*r)).collect::<Vec<_>>().join(", ");
        let mut each = Vec::new();
        for (name, t) in [
            ("native", &self.native),
            ("HTTP batches", &self.native_http),
            ("token", &self.token),
            ("lending", &self.lending),
            ("at scale", &self.grown.transfers),
        ] {
            if !t.runs.is_empty() {
                each.push(format!("{name} {}", runs(t)));
            }
        }
        if !each.is_empty() {
            let _ = writeln!(out, "\nEach run (tx/s): {}.", each.join("; "));
        }
        if self.grown.accounts > 0 {
            let _ = writeln!(
                out,
                "Growing the state to {} accounts (dev `set_balances`, {} per block) took {:.1} s.",
                thousands(self.grown.accounts as f64),
                thousands(self.grown.growth_block as f64),
                self.grown.growth_seconds
            );
        }
        if !self.restart.first_request_ms.is_empty() {
            let firsts: Vec<String> = self.restart.first_request_ms.iter().map(|r| format!("{r:.0}")).collect();
            let _ = writeln!(
                out,
                "Restarts, first request (ms): {}; modules loaded from the disk cache in the last: {}.",
                firsts.join(", "),
                self.restart.disk_loads
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(15_000.0), "15,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn a_miss_says_by_how_much() {
        assert_eq!(Check::at_least("≥ 10", 8.0, 10.0).verdict(), "**missed by 20 %**");
        assert_eq!(Check::at_most("≤ 1 s", 1.5, 1.0).verdict(), "**missed by 50 %**");
        assert_eq!(Check::at_least("≥ 10", 10.0, 10.0).verdict(), "met");
        assert_eq!(Check::at_least("ratio ≥ 0.8", 0.7974, 0.8).verdict(), "**missed by 0.3 %**");
    }
}
