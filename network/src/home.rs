//! A validator's home directory, as `tidepool testnet` writes it and `tidepool node --home`
//! reads it:
//!
//! ```text
//! <home>/genesis.json        the network's genesis document (the same file on every node)
//! <home>/node.json           this node: name, HTTP and peer-to-peer addresses, peers, timeouts
//! <home>/validator_key.json  this validator's ed25519 key (secret: back it up, never share it)
//! <home>/data/               the ledger (RocksDB) and compiled contracts
//! <home>/consensus/          the engine's write-ahead log (the votes of the current height) and
//!                            the blocks proposed for heights not yet committed (proposals/)
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tidepool_consensus::{Timeouts, ValidatorKey};

use crate::error::NetworkError;
use crate::genesis::GenesisDocument;

/// `node.json`: how one validator runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    /// A name for logs.
    pub moniker: String,
    /// Where the HTTP API listens.
    pub api_listen: SocketAddr,
    /// Where the other validators connect (consensus, sync).
    pub p2p_listen: SocketAddr,
    /// The other validators.
    pub peers: Vec<Peer>,
    /// Consensus round timeouts.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Blocks of history kept below the latest (`None`: everything).
    #[serde(default)]
    pub history_blocks: Option<u64>,
    /// Milliseconds a proposer waits for a transaction before it proposes an empty block (a
    /// block with transactions goes at once). Default 1000.
    #[serde(default = "default_empty_block_interval_ms")]
    pub empty_block_interval_ms: u64,
}

fn default_empty_block_interval_ms() -> u64 {
    1_000
}

/// Another validator, as this one reaches it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Its peer-to-peer address (its `p2p_listen`).
    pub p2p: SocketAddr,
    /// Its HTTP API's base URL, where transactions are gossiped (`POST /v1/txs/batch`).
    pub api: String,
}

/// A validator's home directory; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeHome {
    dir: PathBuf,
}

impl NodeHome {
    /// The home at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> NodeHome {
        NodeHome { dir: dir.into() }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `genesis.json`.
    pub fn genesis_path(&self) -> PathBuf {
        self.dir.join("genesis.json")
    }

    /// `node.json`.
    pub fn settings_path(&self) -> PathBuf {
        self.dir.join("node.json")
    }

    /// `validator_key.json`.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("validator_key.json")
    }

    /// `data/`: the ledger.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `consensus/`: the write-ahead log and the proposed blocks.
    pub fn wal_dir(&self) -> PathBuf {
        self.dir.join("consensus")
    }

    /// Reads the genesis document.
    ///
    /// # Errors
    /// As [`GenesisDocument::load`].
    pub fn genesis(&self) -> Result<GenesisDocument, NetworkError> {
        GenesisDocument::load(&self.genesis_path())
    }

    /// Reads `node.json`.
    ///
    /// # Errors
    /// [`NetworkError::Io`], [`NetworkError::Invalid`].
    pub fn settings(&self) -> Result<NodeSettings, NetworkError> {
        let path = self.settings_path();
        let text = std::fs::read(&path).map_err(|e| NetworkError::io(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| NetworkError::invalid(&path, e.to_string()))
    }

    /// Reads the validator key.
    ///
    /// # Errors
    /// [`NetworkError::Consensus`] when the key file is missing or not a key.
    pub fn key(&self) -> Result<ValidatorKey, NetworkError> {
        Ok(ValidatorKey::load(&self.key_path())?)
    }

    /// Writes a home: the directory, the three files.
    ///
    /// # Errors
    /// [`NetworkError::Io`], [`NetworkError::Consensus`] (the key file).
    pub fn write(
        &self,
        genesis: &GenesisDocument,
        settings: &NodeSettings,
        key: &ValidatorKey,
    ) -> Result<(), NetworkError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| NetworkError::io(&self.dir, e))?;
        genesis.save(&self.genesis_path())?;
        let path = self.settings_path();
        let json = serde_json::to_vec_pretty(settings).expect("settings serialise");
        std::fs::write(&path, json).map_err(|e| NetworkError::io(&path, e))?;
        key.save(&self.key_path())?;
        Ok(())
    }
}
