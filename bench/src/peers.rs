//! The `peers` part: Tidepool against what it is built on and what it is compared with, in the
//! same run.
//!
//! **The EVM.** revm executing a plain ERC-20's `transfer` (`bench/evm/ERC20.sol`, compiled by
//! solc from npm into `bench/evm/ERC20.bin`) on its in-memory database, against Tidepool's token
//! contract `transfer` through the node's own `apply_transaction` on an overlay of the memory
//! store — both without signatures, one sender, 1 unit to recipients drawn from 1,000, the state
//! kept between transactions (revm's `transact_commit` into its cache; Tidepool's overlay). Each
//! side does what its chain does per transaction: revm checks the nonce and balance, charges gas
//! and journals the state; Tidepool also records the call tree and the state diff its receipts
//! carry.
//!
//! **The wasmtime floor.** One contract whose `execute` does nothing, called two ways on the
//! same engine configuration (`tidepool_vm::engine::build`: pooling allocator, copy-on-write
//! memory, fuel): through [`Vm::call`] — what every transaction's contract call costs, with the
//! host state, gas, limits and the overlay — and bare, as any wasmtime embedder would: a fresh
//! `Store` with fuel, an instance from an `InstancePre`, one call of the export. The ratio is what
//! Tidepool's layer costs above the engine.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tidepool_ledger::{Address, Hash, MemoryStore, Overlay};
use tidepool_node::apply::{BlockContext, apply_transaction};
use tidepool_node::{Action, MarketCode, Node, NodeConfig, StoreConfig, Transaction};
use tidepool_vm::{Call, CallKind, Env, GasSchedule, Limits, Status, Vm, VmConfig};

use crate::BenchError;
use crate::fixture::Picker;
use crate::workloads::median;

/// The ERC-20's creation code, hex (`bench/evm/build.js` writes it).
const ERC20_CREATION_CODE: &str = include_str!("../evm/ERC20.bin");

/// Transfers per timed round of each token; the figure is the median of the rounds.
const TRANSFERS_PER_ROUND: usize = 5_000;

/// Distinct recipients of the transfers.
const RECIPIENTS: usize = 1_000;

/// A contract whose `execute` returns at once: nothing but the ABI's exports.
const EMPTY_CONTRACT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "tidepool_abi_v1"))
  (func (export "instantiate"))
  (func (export "execute")))"#;

/// Calls per timed round; the figure is the median of the rounds.
const CALLS_PER_ROUND: usize = 10_000;

/// What the wasmtime floor measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WasmtimeFloor {
    /// `Vm::call` of the empty contract, µs per call (median of rounds).
    pub vm_call_us: f64,
    /// The bare engine's instantiate-and-call, µs per call.
    pub bare_us: f64,
    /// Rounds of each.
    pub rounds: usize,
}

impl WasmtimeFloor {
    /// `Vm::call` ÷ the bare engine.
    pub fn ratio(&self) -> Option<f64> {
        (self.bare_us > 0.0).then(|| self.vm_call_us / self.bare_us)
    }
}

/// Measures the wasmtime floor: `rounds` alternating rounds of each way.
///
/// # Errors
/// The engine or the VM refuses the contract (they do not).
pub fn wasmtime_floor(rounds: usize) -> crate::Result<WasmtimeFloor> {
    let wasm = wat::parse_str(EMPTY_CONTRACT).map_err(|e| BenchError::workload(e.to_string()))?;
    let mut through_vm = ThroughVm::new(&wasm)?;
    let bare = Bare::new(&wasm)?;
    // Warm both (caches, pool slots), then alternate, so drift on a shared machine hits both.
    through_vm.round(CALLS_PER_ROUND / 5)?;
    bare.round(CALLS_PER_ROUND / 5)?;
    let (mut vm_rounds, mut bare_rounds) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        vm_rounds.push(per_call_us(through_vm.round(CALLS_PER_ROUND)?));
        bare_rounds.push(per_call_us(bare.round(CALLS_PER_ROUND)?));
    }
    Ok(WasmtimeFloor { vm_call_us: median(&mut vm_rounds), bare_us: median(&mut bare_rounds), rounds: rounds.max(1) })
}

fn per_call_us(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e6 / CALLS_PER_ROUND as f64
}

/// What the EVM comparison measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EvmPeer {
    /// Tidepool's token `transfer` through `apply_transaction`, µs per transfer (median).
    pub tidepool_us: f64,
    /// revm's ERC-20 `transfer`, µs per transfer (median).
    pub revm_us: f64,
    /// Gas revm charged per transfer (the ERC-20's, for the record).
    pub revm_gas: u64,
    /// Rounds of each.
    pub rounds: usize,
}

impl EvmPeer {
    /// Tidepool ÷ revm.
    pub fn ratio(&self) -> Option<f64> {
        (self.revm_us > 0.0).then(|| self.tidepool_us / self.revm_us)
    }
}

/// Measures token transfers on Tidepool and on revm: `rounds` alternating rounds of each.
///
/// # Errors
/// Either side refuses a transfer (they do not).
pub fn evm_peer(rounds: usize) -> crate::Result<EvmPeer> {
    let mut tidepool = TidepoolToken::open()?;
    let mut evm = EvmToken::deploy()?;
    let mut picker = Picker::new(7);
    tidepool.round(TRANSFERS_PER_ROUND / 5, &mut picker)?;
    evm.round(TRANSFERS_PER_ROUND / 5, &mut picker)?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        ours.push(per_transfer_us(tidepool.round(TRANSFERS_PER_ROUND, &mut picker)?));
        theirs.push(per_transfer_us(evm.round(TRANSFERS_PER_ROUND, &mut picker)?));
    }
    Ok(EvmPeer {
        tidepool_us: median(&mut ours),
        revm_us: median(&mut theirs),
        revm_gas: evm.gas,
        rounds: rounds.max(1),
    })
}

fn per_transfer_us(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e6 / TRANSFERS_PER_ROUND as f64
}

/// Tidepool's side: a dev node on the memory store with the sample market; transfers of its
/// USDC by dev account 0 applied to an overlay, as the writer applies them to a block's.
struct TidepoolToken {
    node: Node,
    usdc: Address,
    sender: Address,
    nonce: u64,
    recipients: Vec<Address>,
    context: BlockContext,
}

impl TidepoolToken {
    fn open() -> crate::Result<TidepoolToken> {
        let mut config = NodeConfig::dev();
        config.store = StoreConfig::Memory;
        config.market = Some(MarketCode::new(
            tidepool_artifacts::TOKEN,
            tidepool_artifacts::ORACLE,
            tidepool_artifacts::LENDING_POOL,
        ));
        let node = Node::open(config)?;
        let market = node.market().ok_or_else(|| BenchError::workload("the dev market is not deployed"))?;
        let usdc = market.tokens.iter().find(|t| t.symbol == "USDC").map(|t| t.address);
        let usdc = usdc.ok_or_else(|| BenchError::workload("the dev market has no USDC"))?;
        let sender =
            node.dev_accounts().first().map(|a| a.address).ok_or_else(|| BenchError::workload("no dev account"))?;
        let nonce = node.account(&sender)?.nonce;
        let head = node.ledger().head().ok_or_else(|| BenchError::workload("no genesis"))?;
        let context = BlockContext { chain_id: node.config().chain_id, height: head.height + 1, time: head.time + 1 };
        let recipients = (0..RECIPIENTS).map(|i| Address(recipient_bytes(i))).collect();
        Ok(TidepoolToken { node, usdc, sender, nonce, recipients, context })
    }

    /// `transfers` transfers into a fresh overlay (a block's worth of state kept between them).
    fn round(&mut self, transfers: usize, picker: &mut Picker) -> crate::Result<Duration> {
        let txs: Vec<(Transaction, Hash)> = (0..transfers)
            .map(|i| {
                let to = self.recipients[picker.below(self.recipients.len())];
                let msg = json!({"transfer": {"to": to, "amount": "1"}});
                let tx = Transaction {
                    chain_id: self.context.chain_id,
                    nonce: self.nonce + i as u64,
                    from: self.sender,
                    gas_limit: 10_000_000,
                    action: Action::Execute { contract: self.usdc, msg, funds: 0 },
                };
                let hash = tx.hash()?;
                Ok((tx, hash))
            })
            .collect::<crate::Result<_>>()?;
        let mut overlay = self.node.ledger().overlay();
        let start = Instant::now();
        for (index, (tx, hash)) in txs.iter().enumerate() {
            let receipt = apply_transaction(self.node.vm(), &mut overlay, &self.context, tx, *hash, index as u32)?;
            if !receipt.is_success() {
                return Err(BenchError::workload(format!("a Tidepool token transfer failed: {:?}", receipt.error)));
            }
            black_box(overlay.take_events());
        }
        let elapsed = start.elapsed();
        // The overlay is dropped: the next round starts from the same state and nonce.
        Ok(elapsed)
    }
}

/// The `i`th recipient's address bytes (the same on both sides).
fn recipient_bytes(i: usize) -> [u8; 20] {
    let mut bytes = [0x5E; 20];
    bytes[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    bytes
}

/// revm's side: the ERC-20 deployed on an in-memory database.
struct EvmToken {
    evm: revm::MainnetEvm<revm::handler::MainnetContext<revm::database::InMemoryDB>>,
    token: revm::primitives::Address,
    sender: revm::primitives::Address,
    nonce: u64,
    recipients: Vec<revm::primitives::Address>,
    gas: u64,
}

impl EvmToken {
    fn deploy() -> crate::Result<EvmToken> {
        use revm::context::TxEnv;
        use revm::primitives::{Address as EvmAddress, Bytes, TxKind, U256};
        use revm::state::AccountInfo;
        use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

        let sender = EvmAddress::from([0xAA; 20]);
        let mut db = revm::database::InMemoryDB::default();
        db.insert_account_info(
            sender,
            AccountInfo { balance: U256::from(10u64).pow(U256::from(24)), ..Default::default() },
        );
        let mut evm = Context::mainnet().with_db(db).build_mainnet();
        let code = hex::decode(ERC20_CREATION_CODE.trim()).map_err(|e| BenchError::workload(e.to_string()))?;
        // constructor(string name, string symbol, uint256 supply): ABI-encoded after the code.
        let mut data = code;
        data.extend_from_slice(&abi_word(U256::from(0x60)));
        data.extend_from_slice(&abi_word(U256::from(0xa0)));
        data.extend_from_slice(&abi_word(U256::from(10u64).pow(U256::from(30))));
        for text in ["USD Coin", "USDC"] {
            data.extend_from_slice(&abi_word(U256::from(text.len())));
            let mut padded = [0u8; 32];
            padded[..text.len()].copy_from_slice(text.as_bytes());
            data.extend_from_slice(&padded);
        }
        let deploy = TxEnv::builder()
            .caller(sender)
            .kind(TxKind::Create)
            .data(Bytes::from(data))
            .gas_limit(5_000_000)
            .nonce(0)
            .build_fill();
        let result =
            evm.transact_commit(deploy).map_err(|e| BenchError::workload(format!("deploying the ERC-20: {e:?}")))?;
        let token = result
            .created_address()
            .ok_or_else(|| BenchError::workload(format!("the ERC-20 did not deploy: {result:?}")))?;
        let recipients = (0..RECIPIENTS).map(|i| EvmAddress::from(recipient_bytes(i))).collect();
        Ok(EvmToken { evm, token, sender, nonce: 1, recipients, gas: 0 })
    }

    fn round(&mut self, transfers: usize, picker: &mut Picker) -> crate::Result<Duration> {
        use revm::ExecuteCommitEvm;
        use revm::context::TxEnv;
        use revm::primitives::{Bytes, TxKind, U256};

        let txs: Vec<TxEnv> = (0..transfers)
            .map(|_| {
                let to = self.recipients[picker.below(self.recipients.len())];
                // transfer(address,uint256): selector a9059cbb, then the two words.
                let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
                let mut word = [0u8; 32];
                word[12..].copy_from_slice(to.as_slice());
                data.extend_from_slice(&word);
                data.extend_from_slice(&abi_word(U256::from(1)));
                let tx = TxEnv::builder()
                    .caller(self.sender)
                    .kind(TxKind::Call(self.token))
                    .data(Bytes::from(data))
                    .gas_limit(100_000)
                    .nonce(self.nonce)
                    .build_fill();
                self.nonce += 1;
                tx
            })
            .collect();
        let start = Instant::now();
        for tx in txs {
            let result = self.evm.transact_commit(tx).map_err(|e| BenchError::workload(format!("{e:?}")))?;
            if !result.is_success() {
                return Err(BenchError::workload(format!("an ERC-20 transfer failed: {result:?}")));
            }
            self.gas = result.tx_gas_used();
        }
        Ok(start.elapsed())
    }
}

/// A 32-byte big-endian ABI word.
fn abi_word(value: revm::primitives::U256) -> [u8; 32] {
    value.to_be_bytes::<32>()
}

/// The empty contract deployed on a VM over a memory overlay.
struct ThroughVm {
    vm: Vm,
    overlay: Overlay,
    env: Env,
    call: Call,
}

impl ThroughVm {
    fn new(wasm: &[u8]) -> crate::Result<ThroughVm> {
        let vm = Vm::new(VmConfig::default()).map_err(|e| BenchError::workload(e.to_string()))?;
        let sender = Address([0xAA; 20]);
        let contract = Address([1; 20]);
        let mut overlay = Overlay::new(Arc::new(MemoryStore::default()));
        let env = Env { chain_id: 1, height: 1, time: 1, origin: sender };
        let code = vm
            .upload(&mut overlay, sender, 1, wasm)
            .map_err(|e| BenchError::workload(e.to_string()))?
            .map_err(|e| BenchError::workload(e.to_string()))?;
        let kind = CallKind::Instantiate { code_hash: code, admin: None, label: String::new() };
        let instantiate = Call { sender, contract, kind, msg: Vec::new(), funds: 0, gas_limit: 10_000_000 };
        let outcome = vm.call(&mut overlay, &env, instantiate).map_err(|e| BenchError::workload(e.to_string()))?;
        if outcome.status != Status::Success {
            return Err(BenchError::workload(format!("instantiating the empty contract: {}", outcome.status)));
        }
        let call = Call { sender, contract, kind: CallKind::Execute, msg: Vec::new(), funds: 0, gas_limit: 10_000_000 };
        Ok(ThroughVm { vm, overlay, env, call })
    }

    fn round(&mut self, calls: usize) -> crate::Result<Duration> {
        let start = Instant::now();
        for _ in 0..calls {
            let checkpoint = self.overlay.checkpoint();
            let outcome = self
                .vm
                .call(&mut self.overlay, &self.env, self.call.clone())
                .map_err(|e| BenchError::workload(e.to_string()))?;
            black_box(&outcome);
            self.overlay.revert_to(checkpoint);
        }
        Ok(start.elapsed())
    }
}

/// The empty contract on a bare engine of the VM's configuration.
struct Bare {
    engine: wasmtime::Engine,
    instance_pre: wasmtime::InstancePre<()>,
}

impl Bare {
    fn new(wasm: &[u8]) -> crate::Result<Bare> {
        let engine = tidepool_vm::engine::build(&GasSchedule::default(), &Limits::default(), true, false)
            .map_err(|e| BenchError::workload(e.to_string()))?;
        let module = wasmtime::Module::new(&engine, wasm).map_err(|e| BenchError::workload(e.to_string()))?;
        let linker = wasmtime::Linker::<()>::new(&engine);
        let instance_pre = linker.instantiate_pre(&module).map_err(|e| BenchError::workload(e.to_string()))?;
        Ok(Bare { engine, instance_pre })
    }

    fn round(&self, calls: usize) -> crate::Result<Duration> {
        let start = Instant::now();
        for _ in 0..calls {
            let mut store = wasmtime::Store::new(&self.engine, ());
            store.set_fuel(10_000_000).map_err(|e| BenchError::workload(e.to_string()))?;
            let instance =
                self.instance_pre.instantiate(&mut store).map_err(|e| BenchError::workload(e.to_string()))?;
            let execute = instance
                .get_typed_func::<(), ()>(&mut store, "execute")
                .map_err(|e| BenchError::workload(e.to_string()))?;
            execute.call(&mut store, ()).map_err(|e| BenchError::workload(e.to_string()))?;
            black_box(&store);
        }
        Ok(start.elapsed())
    }
}
