//! `tidepool testnet`: the homes of N validators on one machine (127.0.0.1), like
//! `cometbft testnet` — a key each, one genesis document, and each node's settings with the
//! others as peers.
//!
//! The genesis funds the deterministic dev accounts (the keys every Tidepool tool knows, e.g.
//! `tidepool keys dev`), so a testnet can be used at once; a real network lists its own
//! accounts instead.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use tidepool_consensus::{Timeouts, ValidatorKey};
use tidepool_node::{ONE_TOKEN, dev_accounts};

use crate::error::NetworkError;
use crate::genesis::{GenesisAccount, GenesisDocument, GenesisValidator};
use crate::home::{NodeHome, NodeSettings, Peer};

/// What `tidepool testnet` makes.
#[derive(Clone, Debug)]
pub struct TestnetSpec {
    /// How many validators.
    pub validators: usize,
    /// The chain id.
    pub chain_id: u64,
    /// The genesis time, Unix seconds.
    pub genesis_time: u64,
    /// Node `i`'s API listens on `api_port + i`.
    pub api_port: u16,
    /// Node `i`'s peer-to-peer address is `p2p_port + i`.
    pub p2p_port: u16,
    /// How many dev accounts genesis funds (10,000 tokens each).
    pub accounts: u32,
    /// Deploy the sample market at genesis.
    pub market: bool,
    /// Round timeouts.
    pub timeouts: Timeouts,
}

impl Default for TestnetSpec {
    fn default() -> Self {
        TestnetSpec {
            validators: 4,
            chain_id: 1337,
            genesis_time: 1_700_000_000,
            api_port: 8545,
            p2p_port: 26656,
            accounts: 10,
            market: true,
            timeouts: Timeouts::default(),
        }
    }
}

/// One generated validator home.
#[derive(Clone, Debug)]
pub struct GeneratedNode {
    /// Its directory.
    pub home: PathBuf,
    /// Its name.
    pub moniker: String,
    /// Its HTTP API.
    pub api: SocketAddr,
}

/// Writes `spec.validators` homes under `out` (`out/node0`, `out/node1`, …).
///
/// # Errors
/// [`NetworkError::Invalid`] for zero validators, ports past 65535 or an `out` that already
/// holds a testnet; I/O failures.
pub fn generate(spec: &TestnetSpec, out: &Path) -> Result<Vec<GeneratedNode>, NetworkError> {
    if spec.validators == 0 {
        return Err(NetworkError::invalid(out, "a testnet needs at least one validator"));
    }
    let port = |base: u16, index: usize| {
        u16::try_from(usize::from(base) + index)
            .map_err(|_| NetworkError::invalid(out, format!("port {base} + {index} is past 65535")))
    };
    let mut nodes = Vec::with_capacity(spec.validators);
    for index in 0..spec.validators {
        let home = NodeHome::new(out.join(format!("node{index}")));
        if home.genesis_path().exists() {
            return Err(NetworkError::invalid(home.dir(), "already holds a node: choose another --out"));
        }
        let api = SocketAddr::from((Ipv4Addr::LOCALHOST, port(spec.api_port, index)?));
        let p2p = SocketAddr::from((Ipv4Addr::LOCALHOST, port(spec.p2p_port, index)?));
        nodes.push((home, format!("node{index}"), api, p2p, ValidatorKey::generate()?));
    }
    let genesis = GenesisDocument {
        chain_id: spec.chain_id,
        genesis_time: spec.genesis_time,
        accounts: dev_accounts(spec.accounts)
            .into_iter()
            .map(|account| GenesisAccount { address: account.address, balance: 10_000 * ONE_TOKEN })
            .collect(),
        validators: nodes
            .iter()
            .map(|(_, moniker, _, _, key)| GenesisValidator {
                name: moniker.clone(),
                public_key: hex::encode(key.public_key().as_bytes()),
                power: 1,
            })
            .collect(),
        market: spec.market && spec.accounts > 0,
    };
    genesis.check().map_err(|reason| NetworkError::invalid(out, reason))?;
    let mut generated = Vec::with_capacity(nodes.len());
    for (index, (home, moniker, api, p2p, key)) in nodes.iter().enumerate() {
        let peers = nodes
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .map(|(_, (_, _, api, p2p, _))| Peer { p2p: *p2p, api: format!("http://{api}") })
            .collect();
        let settings = NodeSettings {
            moniker: moniker.clone(),
            api_listen: *api,
            p2p_listen: *p2p,
            peers,
            timeouts: spec.timeouts,
            history_blocks: None,
            empty_block_interval_ms: 1_000,
        };
        // Homes that would refuse to start are not written.
        settings.check().map_err(|reason| NetworkError::invalid(out, reason))?;
        home.write(&genesis, &settings, key)?;
        generated.push(GeneratedNode { home: home.dir().to_path_buf(), moniker: moniker.clone(), api: *api });
    }
    Ok(generated)
}
