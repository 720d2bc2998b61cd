//! The node every transaction workload runs against, and the accounts that load it.
//!
//! A dev node (the lending market at genesis) over RocksDB in a temporary directory, with the
//! manual clock, so the oracle's prices never go stale however long the run. `senders` bench
//! accounts get native tokens (one dev `set_balances` block), USDC and WETH from dev account 0,
//! and approve the pool for both, all before anything is timed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::BenchError;
use k256::ecdsa::SigningKey;
use rayon::prelude::*;
use serde_json::json;
use tidepool_ledger::{Address, keccak256};
use tidepool_node::genesis::MarketInfo;
use tidepool_node::keys::address_of;
use tidepool_node::{
    Action, Clock, DevAccount, MarketCode, Mining, Node, NodeConfig, ONE_TOKEN, SignedTransaction, StoreConfig,
    Submitted, Transaction,
};

use super::Progress;

/// Gas limit of every bench transaction: far above what any of them uses.
pub const GAS_LIMIT: u64 = 10_000_000;

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<parent>/tidepool-bench-<name>-<pid>-<nanos>`.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn new(parent: &Path, name: &str) -> crate::Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = parent.join(format!("tidepool-bench-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| BenchError::Scratch { path: path.clone(), source })?;
        Ok(TempDir(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An account that signs bench transactions, with the nonce its next one carries.
pub struct Sender {
    /// Its key.
    pub key: SigningKey,
    /// Its address.
    pub address: Address,
    /// The nonce of its next transaction.
    pub nonce: u64,
}

impl Sender {
    /// The `i`-th bench account (keys from a fixed seed, so runs are comparable).
    pub fn new(i: usize) -> Sender {
        let seed = keccak256(format!("tidepool bench sender {i}").as_bytes());
        let key = SigningKey::from_slice(&seed.0).expect("a keccak output is a valid key with overwhelming odds");
        Sender { address: address_of(&key), key, nonce: 0 }
    }

    /// A transaction from this sender with the next nonce (which it uses up).
    pub fn next(&mut self, chain_id: u64, action: Action) -> Transaction {
        let tx = Transaction { chain_id, nonce: self.nonce, from: self.address, gas_limit: GAS_LIMIT, action };
        self.nonce += 1;
        tx
    }
}

/// The node under load and its accounts.
pub struct Fixture {
    /// The node.
    pub node: Node,
    /// The data directory (kept for restarts).
    pub dir: PathBuf,
    /// The bench accounts.
    pub senders: Vec<Sender>,
    /// Dev account 0, the market's owner and the senders' token source.
    pub owner: Sender,
    /// The dev market.
    pub market: MarketInfo,
}

/// A dev node over RocksDB in `dir`, with the manual clock and the sample market.
///
/// # Errors
/// The node cannot be opened.
pub fn open_node(dir: &Path) -> crate::Result<Node> {
    let mut config = NodeConfig::dev();
    config.store = StoreConfig::RocksDb(dir.to_path_buf());
    config.mining = Mining::Auto;
    config.market =
        Some(MarketCode::new(tidepool_artifacts::TOKEN, tidepool_artifacts::ORACLE, tidepool_artifacts::LENDING_POOL));
    let genesis_time =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    config.clock = Clock::Manual { genesis_time };
    Ok(Node::open(config)?)
}

impl Fixture {
    /// Opens a dev node in `dir` and funds `senders` bench accounts.
    ///
    /// # Errors
    /// The node cannot be opened, or a funding transaction fails.
    pub fn open(dir: &Path, senders: usize, progress: &Progress) -> crate::Result<Fixture> {
        let node = open_node(dir)?;
        let market = node.market().ok_or_else(|| BenchError::workload("the dev market is not deployed"))?;
        let dev: DevAccount =
            node.dev_accounts().into_iter().next().ok_or_else(|| BenchError::workload("no dev account"))?;
        let owner = Sender { key: dev.key, address: dev.address, nonce: node.account(&dev.address)?.nonce };
        let senders: Vec<Sender> = (0..senders).collect::<Vec<_>>().into_par_iter().map(Sender::new).collect();
        let mut fixture = Fixture { node, dir: dir.to_path_buf(), senders, owner, market };

        progress.step(format_args!("funding {} bench accounts", fixture.senders.len()));
        let balances: Vec<(Address, u128)> =
            fixture.senders.iter().map(|s| (s.address, 1_000_000 * ONE_TOKEN)).collect();
        fixture.node.set_balances(&balances)?;
        let chain_id = fixture.chain_id();
        let (usdc, weth) = (fixture.token("USDC"), fixture.token("WETH"));
        let mut funding = Vec::new();
        for sender in &fixture.senders {
            // Plenty for every workload: transfers of 1 unit, supplies of 0.001 WETH, borrows of 1 USDC.
            // 100 USDC and 0.1 WETH: dev account 0 holds 1,000,000 and 1,000, so this funds up to
            // 9,000 senders.
            for (token, amount) in [(usdc, 100 * 1_000_000u128), (weth, ONE_TOKEN / 10)] {
                let msg = json!({"transfer": {"to": sender.address, "amount": amount.to_string()}});
                funding.push(fixture.owner.next(chain_id, Action::Execute { contract: token, msg, funds: 0 }));
            }
        }
        let funding = sign_all(funding.into_iter().map(|tx| (tx, &fixture.owner.key)).collect());
        submit_checked(&fixture.node, &funding, 1_000)?;

        let pool = fixture.market.pool;
        let mut approvals = Vec::new();
        for (i, sender) in fixture.senders.iter_mut().enumerate() {
            for token in [usdc, weth] {
                let msg = json!({"approve": {"spender": pool, "amount": u128::MAX.to_string()}});
                approvals.push((i, sender.next(chain_id, Action::Execute { contract: token, msg, funds: 0 })));
            }
        }
        let approvals = fixture.sign(approvals);
        submit_checked(&fixture.node, &approvals, 1_000)?;
        Ok(fixture)
    }

    /// Signs transactions of bench accounts, given by index, on every core.
    pub fn sign(&self, txs: Vec<(usize, Transaction)>) -> Vec<SignedTransaction> {
        sign_all(txs.into_iter().map(|(i, tx)| (tx, &self.senders[i].key)).collect())
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.node.config().chain_id
    }

    /// The dev market's token with this symbol.
    pub fn token(&self, symbol: &str) -> Address {
        self.market.tokens.iter().find(|t| t.symbol == symbol).map(|t| t.address).expect("a dev market token")
    }

    /// Checks that every sender's nonce on the ledger is the one the bench expects: the proof
    /// that every transaction it sent was committed.
    ///
    /// # Errors
    /// A sender whose nonce differs.
    pub fn check_nonces(&self) -> crate::Result<()> {
        for sender in &self.senders {
            let on_chain = self.node.account(&sender.address)?.nonce;
            if on_chain != sender.nonce {
                return Err(BenchError::workload(format!(
                    "{} has nonce {on_chain}, expected {}",
                    sender.address, sender.nonce
                )));
            }
        }
        Ok(())
    }
}

/// Signs every transaction with its key, on every core.
pub fn sign_all(txs: Vec<(Transaction, &SigningKey)>) -> Vec<SignedTransaction> {
    txs.into_par_iter().map(|(tx, key)| tx.sign(key).expect("bench transactions have no floats")).collect()
}

/// Submits `signed` in batches of `batch` (one block each) and fails unless every transaction
/// was mined with a successful receipt. Returns the time spent in `submit_batch`.
///
/// # Errors
/// A rejected or failed transaction.
pub fn submit_checked(node: &Node, signed: &[SignedTransaction], batch: usize) -> crate::Result<Duration> {
    let mut spent = Duration::ZERO;
    for chunk in signed.chunks(batch.max(1)) {
        let start = Instant::now();
        let results = node.submit_batch(chunk);
        spent += start.elapsed();
        for (tx, result) in chunk.iter().zip(results) {
            match result {
                Ok(Submitted::Mined(receipt)) if receipt.is_success() => {}
                Ok(Submitted::Mined(receipt)) => {
                    return Err(BenchError::workload(format!(
                        "transaction {} failed: {:?}",
                        receipt.tx_hash, receipt.error
                    )));
                }
                Ok(Submitted::Pending { .. }) => return Err(BenchError::workload("the bench node automines")),
                Err(e) => {
                    return Err(BenchError::workload(format!(
                        "transaction from {} nonce {} rejected: {e}",
                        tx.tx.from, tx.tx.nonce
                    )));
                }
            }
        }
    }
    Ok(spent)
}

/// CPU time used so far by the whole process and by the calling thread (Linux `/proc`; zero
/// elsewhere). Wall-clock figures on a shared machine depend on what else runs; CPU time per
/// transaction much less, so the report gives both.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTime {
    /// Every thread of the process (user + system; 10 ms resolution).
    pub process: Duration,
    /// The calling thread: on the bench's submitting thread, the writer's serial part.
    pub thread: Duration,
}

impl CpuTime {
    /// Now.
    pub fn now() -> CpuTime {
        // `/proc/self/stat`: after the command name in parentheses, field 14 (utime) and 15
        // (stime) are the 12th and 13th, in clock ticks of 1/100 s.
        let process = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| {
                let fields: Vec<u64> = stat
                    .rsplit_once(')')?
                    .1
                    .split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|f| f.parse().ok())
                    .collect();
                Some(Duration::from_millis(10 * fields.iter().sum::<u64>()))
            })
            .unwrap_or_default();
        // `/proc/thread-self/schedstat`: nanoseconds on a CPU, first.
        let thread = std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .map(Duration::from_nanos)
            .unwrap_or_default();
        CpuTime { process, thread }
    }

    /// The CPU time used since `earlier`.
    pub fn since(&self, earlier: &CpuTime) -> CpuTime {
        CpuTime {
            process: self.process.saturating_sub(earlier.process),
            thread: self.thread.saturating_sub(earlier.thread),
        }
    }
}

/// A small deterministic generator (splitmix64) for picking recipients.
pub struct Picker(u64);

impl Picker {
    /// Seeded.
    pub fn new(seed: u64) -> Picker {
        Picker(seed)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % n as u64) as usize
    }
}
