//! How a node is set up: chain id, store, mining mode, clock, dev mode, genesis (built, or loaded
//! from a state file).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tidepool_ledger::Store;
use tidepool_vm::VmConfig;

use crate::state_file::StateFile;

/// The wasm of the sample lending market's three contracts, as genesis deploys them. Shared, so
/// cloning a configuration copies no code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketCode {
    /// The token contract (`contracts/token`), deployed once per market token.
    pub token: Arc<[u8]>,
    /// The price oracle (`contracts/oracle`).
    pub oracle: Arc<[u8]>,
    /// The lending pool (`contracts/lending-pool`).
    pub pool: Arc<[u8]>,
}

impl MarketCode {
    /// The market from the wasm of its token, oracle and pool.
    pub fn new(token: &[u8], oracle: &[u8], pool: &[u8]) -> MarketCode {
        MarketCode { token: token.into(), oracle: oracle.into(), pool: pool.into() }
    }
}

/// Where the ledger lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// In memory: gone when the node stops (tests, the Sandbox).
    Memory,
    /// RocksDB in this directory (created if absent).
    #[cfg(feature = "rocksdb")]
    RocksDb(PathBuf),
    /// A store of the embedder's own (see [`GivenStore`]).
    Given(GivenStore),
}

/// Any [`Store`]: one of the embedder's own, or a wrapper around one of ours that counts,
/// delays or fails writes (the node's tests drive a failing block commit this way). Empty, it
/// becomes a new ledger ([`tidepool_ledger::Ledger::with_store`]); the node runs the same code
/// above it as above RocksDB. Two are equal when they are the same store.
#[derive(Clone)]
pub struct GivenStore(pub Arc<dyn Store>);

impl fmt::Debug for GivenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GivenStore(..)")
    }
}

impl PartialEq for GivenStore {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for GivenStore {}

/// When blocks are produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mining {
    /// Every transaction (or batch) is mined into its own block at once; its receipt comes back
    /// with the submission.
    Auto,
    /// Transactions collect in a pending block mined every interval (by whoever serves the node:
    /// `tidepool_api::server::serve`); submission returns the transaction hash and the receipt
    /// is read later.
    Interval(Duration),
    /// Transactions collect in a pending block until a dev control mines it
    /// ([`Node::mine`](crate::Node::mine)); submission returns the transaction hash.
    Manual,
    /// A network of validators decides the blocks: submissions wait in the mempool
    /// ([`crate::mempool`]) and return the hash; consensus drives [`Node::build_block`],
    /// [`Node::verify_block`] and [`Node::commit_decided`](crate::Node::commit_decided). Fixed for
    /// the node's life; dev controls are refused.
    ///
    /// [`Node::build_block`]: crate::Node::build_block
    /// [`Node::verify_block`]: crate::Node::verify_block
    Network,
}

/// Where block times come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The wall clock (plus dev warps).
    System,
    /// Genesis at `genesis_time`; time moves only by dev controls (warps, the next block's time).
    /// Same transactions, same controls → the same blocks and state roots on every run (tests,
    /// the Sandbox, gas snapshots, `tidepool node --clock manual`).
    Manual {
        /// Genesis block time, Unix seconds.
        genesis_time: u64,
    },
}

/// A node's configuration.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The chain id every transaction must carry.
    pub chain_id: u64,
    /// The ledger's store.
    pub store: StoreConfig,
    /// Block production.
    pub mining: Mining,
    /// Block times.
    pub clock: Clock,
    /// Dev mode: dev controls enabled, funded dev accounts and the lending market at genesis.
    pub dev: bool,
    /// Number of funded dev accounts created at genesis.
    pub dev_accounts: u32,
    /// Native balance of each dev account at genesis, base units.
    pub dev_balance: u128,
    /// The sample lending market to deploy at genesis (dev mode only; `None`: none). The node
    /// does not embed the sample contracts: whoever starts it passes their code
    /// (`tidepool node --dev` and `Sandbox::with_market` do).
    pub market: Option<MarketCode>,
    /// The VM's configuration (gas schedule, limits, module cache).
    pub vm: VmConfig,
    /// Where compiled modules are cached on disk (defaults to `<data dir>/modules` for RocksDB).
    pub module_cache_dir: Option<PathBuf>,
    /// Start from this state instead of building genesis (dev accounts and market are then
    /// whatever the state holds): the chain's first block is the state file's
    /// ([`crate::state_file`]), at its height and time. A store that already holds a chain keeps
    /// it if that chain began from this state, and refuses to open otherwise. Its chain id must
    /// be [`NodeConfig::chain_id`]; a manual clock should start at its time.
    pub genesis_state: Option<Arc<StateFile>>,
    /// How many blocks of history below the latest to keep — state readable at past heights
    /// (`?height=`), replays, reverts, and old transactions, receipts and events; older history
    /// is pruned as blocks commit, so the disk stops growing with the chain. `None` (the
    /// default) keeps everything. At least 1.
    pub history_blocks: Option<u64>,
    /// Accounts funded at genesis besides the dev accounts, with their native balances (a
    /// network's genesis document lists them). When a market is configured they also hold its
    /// tokens; the first is its owner and the last supplies its initial liquidity.
    pub genesis_accounts: Vec<(tidepool_ledger::Address, u128)>,
    /// The mempool's bounds ([`Mining::Network`]).
    pub mempool: crate::mempool::MempoolLimits,
}

/// The latest block time, Unix seconds: 9999-12-31T23:59:59Z. Contracts read block time as a
/// signed 64-bit number and clients format it as a calendar date; both hold far past this, and a
/// bound that every date library accepts keeps dev warps from producing times nobody can show.
/// A warp or a clock that would pass it is refused.
pub const MAX_BLOCK_TIME: u64 = 253_402_300_799;

/// The dev chain id (anvil's, so wallets already know it as a local chain).
pub const DEV_CHAIN_ID: u64 = 31337;

/// 10^18: one whole native token.
pub const ONE_TOKEN: u128 = 1_000_000_000_000_000_000;

impl NodeConfig {
    /// A dev node in memory: automine, 10 dev accounts with 10,000 tokens each, no market (set
    /// [`NodeConfig::market`] to deploy one).
    pub fn dev() -> NodeConfig {
        NodeConfig {
            chain_id: DEV_CHAIN_ID,
            store: StoreConfig::Memory,
            mining: Mining::Auto,
            clock: Clock::System,
            dev: true,
            dev_accounts: 10,
            dev_balance: 10_000 * ONE_TOKEN,
            market: None,
            vm: VmConfig::default(),
            module_cache_dir: None,
            genesis_state: None,
            history_blocks: None,
            genesis_accounts: Vec::new(),
            mempool: crate::mempool::MempoolLimits::default(),
        }
    }

    /// `<target>/tidepool-modules` in the cargo target directory of the running binary (a test
    /// binary, an example), or `None` outside one: where tests keep compiled contracts for the
    /// next test and the next run ([`NodeConfig::module_cache_dir`]; the Sandbox's default).
    ///
    /// A test binary lives in `<target>/<profile>/deps` (`<target>/<triple>/<profile>/deps` with
    /// `--target`; the Cargo Book's build-cache layout, the profile directory holding cargo's
    /// `.fingerprint`), so that is looked for first. Otherwise
    /// the nearest directory holding the `CACHEDIR.TAG` cargo writes into a target directory it
    /// creates — which it does not write into one that existed before (made by a script that ran
    /// first), so the tag alone is not enough.
    pub fn target_module_cache() -> Option<PathBuf> {
        target_dir_of(&std::env::current_exe().ok()?).map(|target| target.join("tidepool-modules"))
    }
}

/// The cargo target directory of the binary at `binary` (see [`NodeConfig::target_module_cache`]).
fn target_dir_of(binary: &Path) -> Option<&Path> {
    let deps = binary.parent().filter(|dir| dir.file_name().is_some_and(|name| name == "deps"));
    let profile = deps.and_then(Path::parent).filter(|profile| profile.join(".fingerprint").is_dir());
    match profile.and_then(Path::parent) {
        Some(target) => Some(target),
        None => binary.ancestors().find(|dir| dir.join("CACHEDIR.TAG").is_file()),
    }
}

#[cfg(test)]
mod tests {
    use super::{NodeConfig, target_dir_of};

    #[test]
    fn a_binary_finds_its_target_directory_by_cargos_layout_or_tag() {
        let dir = tempfile::tempdir().unwrap();
        for (profile, target) in
            [("target/debug", "target"), ("target/x86_64-unknown-linux-gnu/release", "target/x86_64-unknown-linux-gnu")]
        {
            let binary = dir.path().join(profile).join("deps/it-0123abcd");
            // A directory called `deps` is not enough: cargo's profile directory holds `.fingerprint`.
            assert_eq!(target_dir_of(&binary), None, "{profile}");
            std::fs::create_dir_all(dir.path().join(profile).join(".fingerprint")).unwrap();
            assert_eq!(target_dir_of(&binary).unwrap(), dir.path().join(target), "{profile}");
        }

        // Elsewhere only a tagged directory above it counts.
        let example = dir.path().join("target/debug/examples/walkthrough");
        assert_eq!(target_dir_of(&example), None);
        std::fs::create_dir_all(example.parent().unwrap()).unwrap();
        std::fs::write(dir.path().join("target/CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55").unwrap();
        assert_eq!(target_dir_of(&example).unwrap(), dir.path().join("target"));
    }

    #[test]
    fn this_test_binary_keeps_its_modules_in_its_target_directory() {
        // Whether or not cargo tagged the target directory (it does not tag one that existed).
        let cache = NodeConfig::target_module_cache().expect("a test binary has a target directory");
        assert_eq!(cache.file_name().unwrap(), "tidepool-modules");
        assert!(std::env::current_exe().unwrap().starts_with(cache.parent().unwrap()));
    }
}
