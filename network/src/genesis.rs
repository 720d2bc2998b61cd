//! The genesis document (`genesis.json`): everything every validator must agree on before the
//! first block — chain id, genesis time, funded accounts, the validators and whether the sample
//! market is deployed. The same document gives the same genesis block and state root on every
//! node, whenever it starts: nothing in it depends on the wall clock.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tidepool_consensus::{NetworkId, PublicKey, Validator, ValidatorSet};
use tidepool_ledger::{Address, Hash};
use tidepool_node::tx::decimal;
use tidepool_node::{Clock, MAX_BLOCK_TIME, MarketCode, Mining, NodeConfig, StoreConfig};

use crate::error::NetworkError;

/// A network's genesis document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDocument {
    /// The chain id every transaction must carry.
    pub chain_id: u64,
    /// The genesis block's time, Unix seconds.
    pub genesis_time: u64,
    /// Accounts funded at genesis.
    pub accounts: Vec<GenesisAccount>,
    /// The validators and their voting power.
    pub validators: Vec<GenesisValidator>,
    /// Deploy the sample lending market at genesis (its tokens go to `accounts`; the first owns
    /// it, the last supplies its first liquidity).
    #[serde(default)]
    pub market: bool,
}

/// An account funded at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Its address.
    pub address: Address,
    /// Its native balance, base units (a decimal string).
    #[serde(with = "decimal")]
    pub balance: u128,
}

/// A validator of the genesis set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// A name for people (logs, the testnet's directories).
    pub name: String,
    /// Its ed25519 public key, 32 bytes in hex.
    pub public_key: String,
    /// Its voting power (more than 2/3 of the total decides).
    pub power: u64,
}

impl GenesisDocument {
    /// Reads and checks the document at `path`.
    ///
    /// # Errors
    /// [`NetworkError::Io`], or [`NetworkError::Invalid`] for a document that does not parse or
    /// does not pass [`GenesisDocument::check`].
    pub fn load(path: &Path) -> Result<GenesisDocument, NetworkError> {
        let text = std::fs::read(path).map_err(|e| NetworkError::io(path, e))?;
        let document: GenesisDocument =
            serde_json::from_slice(&text).map_err(|e| NetworkError::invalid(path, e.to_string()))?;
        document.check().map_err(|reason| NetworkError::invalid(path, reason))?;
        Ok(document)
    }

    /// Writes the document to `path` as pretty JSON.
    ///
    /// # Errors
    /// [`NetworkError::Io`].
    pub fn save(&self, path: &Path) -> Result<(), NetworkError> {
        let json = serde_json::to_vec_pretty(self).expect("a genesis document serialises");
        std::fs::write(path, json).map_err(|e| NetworkError::io(path, e))
    }

    /// What makes a document usable: at least one validator, each with power and a valid key,
    /// no key twice, a total power that fits, a genesis time a block may carry, and accounts
    /// for the market when it is asked for.
    ///
    /// # Errors
    /// What is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.validators.is_empty() {
            return Err("no validators".into());
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut total = 0u64;
        for validator in &self.validators {
            parse_key(&validator.public_key).map_err(|e| format!("validator {}: {e}", validator.name))?;
            if validator.power == 0 {
                return Err(format!("validator {} has no voting power", validator.name));
            }
            if !keys.insert(validator.public_key.to_ascii_lowercase()) {
                return Err(format!("validator {}'s key is listed twice", validator.name));
            }
            total = total.checked_add(validator.power).ok_or("the total voting power overflows")?;
        }
        if self.genesis_time > MAX_BLOCK_TIME {
            return Err(format!("genesis_time {} is past the latest block time {MAX_BLOCK_TIME}", self.genesis_time));
        }
        if self.market && self.accounts.is_empty() {
            return Err("the market needs at least one account to own it".into());
        }
        Ok(())
    }

    /// The validator set.
    ///
    /// # Errors
    /// A key that does not decode (a checked document has none).
    pub fn validator_set(&self) -> Result<ValidatorSet, String> {
        let validators = self
            .validators
            .iter()
            .map(|v| parse_key(&v.public_key).map(|key| Validator::new(key, v.power)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ValidatorSet::new(validators))
    }

    /// The network's name in its validators' signatures: keccak256 of a tag, the chain id, the
    /// id of the genesis block this document gives (`genesis_block`, which covers its time,
    /// accounts and market) and every validator's key and power, in the set's order. Two
    /// documents that differ in anything give two networks, and a validator key listed in both
    /// signs nothing that counts on the other.
    ///
    /// # Errors
    /// A key that does not decode (a checked document has none).
    pub fn network_id(&self, genesis_block: Hash) -> Result<NetworkId, String> {
        let mut bytes = b"tidepool/network/v1".to_vec();
        bytes.extend_from_slice(&self.chain_id.to_be_bytes());
        bytes.extend_from_slice(&genesis_block.0);
        for validator in self.validator_set()?.validators() {
            bytes.extend_from_slice(validator.public_key.as_bytes());
            bytes.extend_from_slice(&validator.voting_power.to_be_bytes());
        }
        Ok(NetworkId(tidepool_ledger::keccak256(&bytes).0))
    }

    /// The configuration of a validator's node over `store`: this chain, the genesis accounts,
    /// the market when the document asks for it (`market` is its code), blocks decided by the
    /// network, and a clock that starts at the document's genesis time.
    pub fn node_config(&self, store: StoreConfig, market: Option<MarketCode>) -> NodeConfig {
        NodeConfig {
            chain_id: self.chain_id,
            store,
            mining: Mining::Network,
            clock: Clock::Manual { genesis_time: self.genesis_time },
            dev: false,
            dev_accounts: 0,
            market: if self.market { market } else { None },
            genesis_accounts: self.accounts.iter().map(|a| (a.address, a.balance)).collect(),
            ..NodeConfig::dev()
        }
    }
}

/// An ed25519 public key from 64 hex digits (an optional `0x` prefix allowed).
pub fn parse_key(hex_key: &str) -> Result<PublicKey, String> {
    let digits = hex_key.strip_prefix("0x").unwrap_or(hex_key);
    let bytes: [u8; 32] = hex::decode(digits)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| format!("public key {hex_key:?} is not 32 bytes of hex"))?;
    PublicKey::from_bytes(bytes).map_err(|e| format!("public key {hex_key:?} is not an ed25519 key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> String {
        hex::encode(tidepool_consensus::ValidatorKey::from_seed([seed; 32]).public_key().as_bytes())
    }

    fn document() -> GenesisDocument {
        GenesisDocument {
            chain_id: 7,
            genesis_time: 1_000,
            accounts: Vec::new(),
            validators: (1..=3)
                .map(|seed| GenesisValidator { name: format!("v{seed}"), public_key: key(seed), power: 1 })
                .collect(),
            market: false,
        }
    }

    /// The derivation docs/network.md gives, for anyone who computes the id outside this crate.
    #[test]
    fn the_network_id_has_the_documented_derivation() {
        let document = document();
        let block = Hash([1; 32]);
        let mut validators: Vec<_> = document
            .validators
            .iter()
            .map(|v| {
                let key = parse_key(&v.public_key).unwrap();
                let address = tidepool_consensus::Address::from_public_key(&key);
                (address, [key.as_bytes().as_slice(), &v.power.to_be_bytes()].concat())
            })
            .collect();
        validators.sort_by_key(|(address, _)| *address);
        let mut preimage = [b"tidepool/network/v1".as_slice(), &7u64.to_be_bytes(), &block.0].concat();
        validators.iter().for_each(|(_, bytes)| preimage.extend_from_slice(bytes));
        assert_eq!(document.network_id(block).unwrap().0, tidepool_ledger::keccak256(&preimage).0);
    }

    #[test]
    fn the_network_id_changes_with_anything_that_sets_a_network_apart() {
        let block = Hash([1; 32]);
        let id = |document: &GenesisDocument, block: Hash| document.network_id(block).unwrap();
        let ours = id(&document(), block);
        assert_eq!(id(&document(), block), ours, "the same network, the same id");

        let mut reordered = document();
        reordered.validators.reverse();
        assert_eq!(id(&reordered, block), ours, "the validator set is the same, whatever the listing order");

        let mut others = vec![
            (id(&GenesisDocument { chain_id: 8, ..document() }, block), "another chain id"),
            (id(&document(), Hash([2; 32])), "another genesis block"),
        ];
        let mut more_power = document();
        more_power.validators[0].power = 2;
        others.push((id(&more_power, block), "another voting power"));
        let mut other_key = document();
        other_key.validators[2].public_key = key(4);
        others.push((id(&other_key, block), "another validator"));
        let mut fewer = document();
        fewer.validators.pop();
        others.push((id(&fewer, block), "one validator fewer"));
        for (other, what) in others {
            assert_ne!(other, ours, "{what} gives the same network id");
        }
    }
}
