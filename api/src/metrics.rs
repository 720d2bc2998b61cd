//! Request and transaction counters, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters the server keeps.
#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    txs_accepted: AtomicU64,
    txs_rejected: AtomicU64,
}

impl Metrics {
    /// Counts a finished request by its status.
    pub fn count_request(&self, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            400..=499 => self.client_errors.fetch_add(1, Ordering::Relaxed),
            500..=599 => self.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// Counts a transaction a client submitted (signed, or impersonated on a dev node): accepted
    /// (executed, or waiting for a block) or refused. Transactions a dev control makes itself (a
    /// warp's price refresh) are not submissions.
    pub fn count_tx(&self, accepted: bool) {
        let counter = if accepted { &self.txs_accepted } else { &self.txs_rejected };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition, with the latest height and the number of open streams.
    pub fn render(&self, height: u64, streams: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        counter("tidepool_http_requests_total", "HTTP requests answered.", self.requests.load(Ordering::Relaxed));
        counter(
            "tidepool_http_client_errors_total",
            "Requests answered with a 4xx.",
            self.client_errors.load(Ordering::Relaxed),
        );
        counter(
            "tidepool_http_server_errors_total",
            "Requests answered with a 5xx.",
            self.server_errors.load(Ordering::Relaxed),
        );
        counter(
            "tidepool_txs_accepted_total",
            "Transactions clients submitted (POST /v1/txs, /v1/txs/batch, /dev/impersonate) that were accepted: executed (successful or reverted), or waiting for a block.",
            self.txs_accepted.load(Ordering::Relaxed),
        );
        counter(
            "tidepool_txs_rejected_total",
            "Transactions clients submitted that were refused before execution (signature, nonce, funds, form).",
            self.txs_rejected.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP tidepool_block_height Latest block height.\n# TYPE tidepool_block_height gauge\ntidepool_block_height {height}"
        );
        let _ = writeln!(
            out,
            "# HELP tidepool_stream_subscribers Open /v1/stream responses.\n# TYPE tidepool_stream_subscribers gauge\n\
             tidepool_stream_subscribers {streams}"
        );
        out
    }
}

/// Appends a validator's gauges to `out`: consensus height and round, peers, whether it is
/// syncing, and the mempool's size.
pub fn render_network(
    out: &mut String,
    consensus: &tidepool_node::NetworkStatus,
    mempool: &tidepool_node::mempool::Mempool,
) {
    let mut gauge = |name: &str, help: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    };
    gauge("tidepool_consensus_height", "The height consensus is deciding.", consensus.consensus_height.to_string());
    gauge("tidepool_consensus_round", "Its round (-1 before the first).", consensus.round.to_string());
    gauge("tidepool_peers", "Connected validators.", consensus.peers.to_string());
    gauge("tidepool_syncing", "1 while catching up through sync.", u8::from(consensus.syncing).to_string());
    gauge(
        "tidepool_consensus_idle_seconds",
        "Seconds since consensus last reached a new height.",
        format!("{:.3}", consensus.idle_ms as f64 / 1000.0),
    );
    gauge(
        "tidepool_consensus_stalled",
        "1 while consensus has stayed at one height for longer than three timed-out rounds.",
        u8::from(consensus.stalled).to_string(),
    );
    gauge("tidepool_mempool_txs", "Transactions waiting in the mempool.", mempool.len().to_string());
    gauge("tidepool_mempool_bytes", "Bytes of transactions waiting in the mempool.", mempool.bytes().to_string());
    let name = "tidepool_gossip_not_forwarded_total";
    let _ = writeln!(
        out,
        "# HELP {name} Admitted transactions not forwarded to the other validators: the gossip queue was full.\n\
         # TYPE {name} counter\n{name} {}",
        consensus.not_gossiped
    );
    let name = "tidepool_consensus_equivocations_total";
    let _ = writeln!(
        out,
        "# HELP {name} Equivocations seen: two different votes for one step, or proposals for one round, by one validator.\n\
         # TYPE {name} counter\n{name} {}",
        consensus.equivocations
    );
}
