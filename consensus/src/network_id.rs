//! The identity of one network, named in every signature its validators make.
//!
//! A validator key is only an ed25519 key: nothing ties it to one chain. Without a name of the
//! network in what is signed, a key that validates on two networks (a testnet and its
//! successor, two chains started from one key file) would sign votes, proposals and proposal
//! streams that count on both — anyone could replay them from one network to the other, fill
//! the other's per-proposer limits with them or take a validator's vote slot there. Every
//! signed message therefore starts, after its domain tag, with the [`NetworkId`], and a
//! signature made for one network never verifies on another.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 32-byte name of a network. The application makes it from everything that sets its
/// network apart (Tidepool's: the chain id, the genesis block and the validator set), so that
/// two networks differ in it whenever they differ at all; consensus only compares and signs it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkId(pub [u8; 32]);

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
}
