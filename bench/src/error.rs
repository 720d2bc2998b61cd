//! The bench's one error type: what stopped a run.

use std::path::PathBuf;

/// Why a bench run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A scratch directory could not be made.
    #[error("creating {path}: {source}")]
    Scratch {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A socket or the async runtime failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The node refused or failed.
    #[error(transparent)]
    Node(#[from] tidepool_node::NodeError),
    /// The ledger failed (the raw RocksDB baseline).
    #[error(transparent)]
    Ledger(#[from] tidepool_ledger::LedgerError),
    /// The HTTP server failed.
    #[error(transparent)]
    Serve(#[from] tidepool_api::server::ServeError),
    /// The HTTP client failed.
    #[error("HTTP client: {0}")]
    Http(#[from] hyper::Error),
    /// A load or server task panicked or was cancelled.
    #[error("a task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A workload did not go as the bench requires (a transaction failed, a nonce is off, a
    /// request was refused): its figures would mean nothing.
    #[error("{0}")]
    Workload(String),
}

impl BenchError {
    /// A [`BenchError::Workload`] saying `what`.
    pub fn workload(what: impl Into<String>) -> BenchError {
        BenchError::Workload(what.into())
    }
}

/// A bench result.
pub type Result<T> = std::result::Result<T, BenchError>;
