//! Why a validator cannot start or a network cannot be set up: [`NetworkError`].

use std::path::PathBuf;

/// A network setup or validator failure.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A genesis document, node configuration or key file that is not valid.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The node failed (its ledger, its genesis).
    #[error(transparent)]
    Node(#[from] tidepool_node::NodeError),
    /// Consensus failed to start or stopped.
    #[error(transparent)]
    Consensus(#[from] tidepool_consensus::ConsensusError),
}

impl NetworkError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NetworkError::Io { path: path.into(), source }
    }

    pub(crate) fn invalid(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        NetworkError::Invalid { path: path.into(), reason: reason.into() }
    }
}
