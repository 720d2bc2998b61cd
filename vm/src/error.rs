//! [`VmError`]: the host is broken. A contract's failure is never a `VmError` (see
//! [`crate::Status`]), and neither is bad uploaded code (see [`crate::ValidationError`]).

use std::path::PathBuf;

use tidepool_ledger::{Hash, LedgerError};

/// Something went wrong in the host: the ledger, the engine, the cache directory.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// The ledger failed (I/O, a value that does not decode).
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// wasmtime refused the configuration or failed outside of any contract's control.
    #[error("wasm engine: {0}")]
    Engine(String),
    /// Code stored in the ledger (validated at upload) no longer compiles.
    #[error("stored code {hash} does not compile: {reason}")]
    Compile {
        /// The code hash.
        hash: Hash,
        /// wasmtime's message.
        reason: String,
    },
    /// Every slot of the instance pool is in use (too many calls at once for
    /// [`crate::Limits::instance_pool_size`]).
    #[error("instance pool exhausted: {0}")]
    InstancePoolExhausted(String),
    /// The module cache directory cannot be created or read.
    #[error("module cache directory {path}: {source}")]
    CacheDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
