//! The crate's one error type.

use std::path::{Path, PathBuf};

/// What can go wrong starting or running a validator.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// A file (key, WAL directory) could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A key file is malformed, or a key could not be made.
    #[error("validator key: {0}")]
    Key(String),
    /// The configuration is unusable (an address that does not parse, an empty validator set).
    #[error("configuration: {0}")]
    Config(String),
    /// The peer-to-peer address cannot be listened on (most often: another process has it).
    #[error("listening for peers on {address}: {source}")]
    Listen {
        /// The configured `listen_addr`.
        address: std::net::SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The WAL directory holds another network's votes and blocks (see
    /// [`NetworkId`](crate::NetworkId)).
    #[error(
        "{dir}: this consensus directory belongs to network {theirs}, not to {ours}; it holds another network's \
         votes and blocks (move it away to start this network's afresh)"
    )]
    OtherNetwork {
        /// The WAL directory.
        dir: PathBuf,
        /// The network it was written for.
        theirs: crate::NetworkId,
        /// The network this validator was started on.
        ours: crate::NetworkId,
    },
    /// The engine failed to start or stopped.
    #[error("consensus engine: {0}")]
    Engine(String),
    /// The application failed in a way that is not a verdict on a block (its storage broke).
    #[error("application: {0}")]
    Application(String),
}

impl ConsensusError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}
