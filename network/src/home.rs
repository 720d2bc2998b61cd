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

/// The longest a timeout or the empty-block interval may be: longer is a typo, not a setting.
pub const MAX_WAIT_MS: u64 = 3_600_000;

impl NodeSettings {
    /// Refuses timings that cannot work: a consensus timeout of 0 or above an hour (a round
    /// that never times out), and an empty-block interval of 0 (an idle network deciding empty
    /// blocks as fast as it can) or not shorter than the propose timeout (the proposer would
    /// still be waiting for a transaction when the others give up on its proposal, and every
    /// empty block would take a second round).
    ///
    /// # Errors
    /// What is wrong, naming the field.
    pub fn check(&self) -> Result<(), String> {
        let Timeouts { propose, prevote, precommit, per_round } = self.timeouts;
        let max = std::time::Duration::from_millis(MAX_WAIT_MS);
        for (name, timeout) in [("propose", propose), ("prevote", prevote), ("precommit", precommit)] {
            if timeout.is_zero() || timeout > max {
                return Err(format!(
                    "timeouts.{name} is {} ms: it must be from 1 to {MAX_WAIT_MS} ms",
                    timeout.as_millis()
                ));
            }
        }
        if per_round > max {
            return Err(format!(
                "timeouts.per_round is {} ms: it must be at most {MAX_WAIT_MS} ms",
                per_round.as_millis()
            ));
        }
        let interval = self.empty_block_interval_ms;
        if interval == 0 || u128::from(interval) >= propose.as_millis() {
            return Err(format!(
                "empty_block_interval_ms is {interval}: it must be at least 1 and shorter than timeouts.propose ({} \
                 ms), or the proposer is still waiting for transactions when the others give up on its proposal",
                propose.as_millis()
            ));
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn settings() -> NodeSettings {
        NodeSettings {
            moniker: "v0".into(),
            api_listen: "127.0.0.1:8545".parse().unwrap(),
            p2p_listen: "127.0.0.1:26656".parse().unwrap(),
            peers: Vec::new(),
            timeouts: Timeouts::default(),
            history_blocks: None,
            empty_block_interval_ms: default_empty_block_interval_ms(),
        }
    }

    #[test]
    fn timings_that_cannot_work_are_refused_naming_the_field() {
        assert_eq!(settings().check(), Ok(()));
        let refused = |edit: fn(&mut NodeSettings), field: &str| {
            let mut s = settings();
            edit(&mut s);
            let error = s.check().expect_err(field);
            assert!(error.starts_with(field), "{error}");
        };
        refused(|s| s.empty_block_interval_ms = 0, "empty_block_interval_ms");
        refused(|s| s.empty_block_interval_ms = 3_000, "empty_block_interval_ms");
        refused(|s| s.empty_block_interval_ms = u64::MAX, "empty_block_interval_ms");
        refused(|s| s.timeouts.propose = Duration::ZERO, "timeouts.propose");
        refused(|s| s.timeouts.prevote = Duration::from_millis(MAX_WAIT_MS + 1), "timeouts.prevote");
        refused(|s| s.timeouts.precommit = Duration::from_millis(u64::MAX), "timeouts.precommit");
        refused(|s| s.timeouts.per_round = Duration::from_millis(MAX_WAIT_MS + 1), "timeouts.per_round");
        // At the bounds: accepted.
        let mut edge = settings();
        edge.empty_block_interval_ms = 2_999;
        edge.timeouts.per_round = Duration::ZERO;
        edge.timeouts.prevote = Duration::from_millis(MAX_WAIT_MS);
        assert_eq!(edge.check(), Ok(()));
    }
}
