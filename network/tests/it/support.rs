//! What the tests share: a genesis document, signed transactions, nodes over it, HTTP calls.

use serde_json::Value;

use tidepool_consensus::ValidatorKey;
use tidepool_ledger::Address;
use tidepool_network::{GenesisAccount, GenesisDocument, GenesisValidator};
use tidepool_node::tx::{Action, Transaction};
use tidepool_node::{DevAccount, MarketCode, Node, ONE_TOKEN, SignedTransaction, StoreConfig, dev_accounts};

/// The chain id of the tests' networks.
pub(crate) const CHAIN_ID: u64 = 4242;

/// The genesis time of the tests' networks.
pub(crate) const GENESIS_TIME: u64 = 1_750_000_000;

/// Gas limit of the tests' transactions.
pub(crate) const GAS: u64 = 2_000_000;

/// The validator keys of an `n`-validator network.
pub(crate) fn validator_keys(n: usize) -> Vec<ValidatorKey> {
    (0..n).map(|i| ValidatorKey::from_seed([i as u8 + 1; 32])).collect()
}

/// A genesis document for `keys`, funding the first `accounts` dev accounts, with the market
/// when asked.
pub(crate) fn genesis(keys: &[ValidatorKey], accounts: u32, market: bool) -> GenesisDocument {
    GenesisDocument {
        chain_id: CHAIN_ID,
        genesis_time: GENESIS_TIME,
        accounts: dev_accounts(accounts)
            .into_iter()
            .map(|a| GenesisAccount { address: a.address, balance: 1_000 * ONE_TOKEN })
            .collect(),
        validators: keys
            .iter()
            .enumerate()
            .map(|(i, key)| GenesisValidator {
                name: format!("v{i}"),
                public_key: hex::encode(key.public_key().as_bytes()),
                power: 1,
            })
            .collect(),
        market,
    }
}

/// The sample market's code.
pub(crate) fn market_code() -> MarketCode {
    MarketCode::new(tidepool_artifacts::TOKEN, tidepool_artifacts::ORACLE, tidepool_artifacts::LENDING_POOL)
}

/// A node of `genesis` in memory, compiling contracts into `modules` (shared, so a test opens
/// many nodes for the price of one compilation).
pub(crate) fn memory_node(genesis: &GenesisDocument, modules: &std::path::Path) -> Node {
    let mut config = genesis.node_config(StoreConfig::Memory, Some(market_code()));
    config.module_cache_dir = Some(modules.to_path_buf());
    Node::open(config).unwrap()
}

/// `from` signs `action` with `nonce`.
pub(crate) fn signed(from: &DevAccount, nonce: u64, action: Action) -> SignedTransaction {
    Transaction { chain_id: CHAIN_ID, nonce, from: from.address, gas_limit: GAS, action }.sign(&from.key).unwrap()
}

/// A native transfer.
pub(crate) fn transfer(to: Address, amount: u128) -> Action {
    Action::Transfer { to, amount }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// `POST url` with a JSON `body` (blocking): the status and the JSON answer.
pub(crate) fn post(url: &str, body: &str) -> (u16, Value) {
    let mut response = agent().post(url).header("content-type", "application/json").send(body).unwrap();
    (response.status().as_u16(), response.body_mut().read_json().unwrap())
}

/// `GET url` (blocking): the JSON answer.
pub(crate) fn get(url: &str) -> Value {
    agent().get(url).call().unwrap().body_mut().read_json().unwrap()
}

/// `GET url` (blocking): the answer as text.
pub(crate) fn get_text(url: &str) -> String {
    agent().get(url).call().unwrap().body_mut().read_to_string().unwrap()
}
