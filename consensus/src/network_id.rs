//! The identity of one network, named in every signature its validators make.
//!
//! A validator key is only an ed25519 key: nothing ties it to one chain. Without a name of the
//! network in what is signed, a key that validates on two networks (a testnet and its
//! successor, two chains started from one key file) would sign votes, proposals and proposal
//! streams that count on both — anyone could replay them from one network to the other, fill
//! the other's per-proposer limits with them or take a validator's vote slot there. Every
//! signed message therefore starts, after its domain tag, with the [`NetworkId`], and a
//! signature made for one network never verifies on another.
//!
//! A validator's WAL directory is one network's too (its votes and proposed blocks): the id is
//! written into it at the first start, and a validator started on another network refuses it.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ConsensusError;
use crate::proposal_store::sync_dir;

/// The file in a WAL directory that names its network.
const MARK: &str = "network_id";

/// The 32-byte name of a network. The application makes it from everything that sets its
/// network apart (Tidepool's: the chain id, the genesis block and the validator set), so that
/// two networks differ in it whenever they differ at all; consensus only compares and signs it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkId(pub [u8; 32]);

impl NetworkId {
    /// Makes the WAL directory `dir` this network's: names it there at the first start (written
    /// whole and synced before any vote is), and checks the name at every later one.
    ///
    /// # Errors
    /// [`ConsensusError::OtherNetwork`] when `dir` was named for another network,
    /// [`ConsensusError::Io`] when the name cannot be read or written,
    /// [`ConsensusError::Config`] when the file there is not a network id.
    pub(crate) fn claim(&self, dir: &Path) -> Result<(), ConsensusError> {
        let path = dir.join(MARK);
        match std::fs::read_to_string(&path) {
            Ok(text) => self.check_claim(dir, &path, &text),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // Written whole under a name of this process's, then linked into place: linking
                // fails if the mark exists, so of two validators started on one directory at
                // once only one names it, and the other reads its name.
                let temporary = dir.join(format!("{MARK}.{}.new", std::process::id()));
                let written = std::fs::File::create(&temporary).and_then(|mut file| {
                    writeln!(file, "{self}")?;
                    file.sync_all()
                });
                written.map_err(|e| ConsensusError::io(&temporary, e))?;
                let linked = std::fs::hard_link(&temporary, &path);
                let _ = std::fs::remove_file(&temporary);
                match linked {
                    Ok(()) => sync_dir(dir),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(&path).map_err(|e| ConsensusError::io(&path, e))?;
                        self.check_claim(dir, &path, &text)
                    }
                    Err(e) => Err(ConsensusError::io(&path, e)),
                }
            }
            Err(e) => Err(ConsensusError::io(&path, e)),
        }
    }

    /// Whether the mark `text` (read from `path` in `dir`) names this network.
    fn check_claim(&self, dir: &Path, path: &Path, text: &str) -> Result<(), ConsensusError> {
        let theirs: NetworkId =
            text.trim().parse().map_err(|reason| ConsensusError::Config(format!("{}: {reason}", path.display())))?;
        if theirs != *self {
            return Err(ConsensusError::OtherNetwork { dir: dir.to_path_buf(), theirs, ours: *self });
        }
        Ok(())
    }
}

impl fmt::Display for NetworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for NetworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetworkId({self})")
    }
}

impl FromStr for NetworkId {
    type Err = String;

    /// 64 hex digits, with or without `0x`.
    fn from_str(text: &str) -> Result<Self, String> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        hex::decode(digits)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .map(NetworkId)
            .ok_or_else(|| format!("network id {text:?} is not 32 bytes of hex"))
    }
}

impl Serialize for NetworkId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NetworkId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_id_reads_back_what_it_prints() {
        let id = NetworkId([0xab; 32]);
        assert_eq!(id.to_string().parse::<NetworkId>().unwrap(), id);
        assert_eq!(serde_json::from_str::<NetworkId>(&serde_json::to_string(&id).unwrap()).unwrap(), id);
        assert!("0xabcd".parse::<NetworkId>().is_err());
        assert!(format!("0x{}", "zz".repeat(32)).parse::<NetworkId>().is_err());
    }

    #[test]
    fn a_wal_directory_belongs_to_the_first_network_started_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let ours = NetworkId([1; 32]);
        ours.claim(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(MARK)).unwrap().trim(), ours.to_string());
        ours.claim(dir.path()).expect("the same network starts again");

        let theirs = NetworkId([2; 32]);
        match theirs.claim(dir.path()) {
            Err(ConsensusError::OtherNetwork { theirs: found, ours: wanted, .. }) => {
                assert_eq!((found, wanted), (ours, theirs));
            }
            other => panic!("another network's directory was taken: {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(dir.path().join(MARK)).unwrap().trim(), ours.to_string(), "unchanged");

        std::fs::write(dir.path().join(MARK), "not an id").unwrap();
        assert!(matches!(ours.claim(dir.path()), Err(ConsensusError::Config(_))));
    }
}
