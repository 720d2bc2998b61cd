//! [`Vm`]: the entry point the node uses — prepare and upload code, run calls.

use std::path::PathBuf;
use std::sync::Arc;

use tidepool_ledger::{Address, CodeMeta, CodeRecord, Hash, Overlay, keccak256};
use wasmtime::{Engine, Linker, Module};

use crate::cache::{CacheStats, CompiledModule, ModuleCache};
use crate::call::{self, Call, Env};
use crate::engine;
use crate::error::VmError;
use crate::gas::GasSchedule;
use crate::host::{self, HostState, TxState, stack_position};
use crate::limits::Limits;
use crate::outcome::Outcome;
use crate::validate::{self, ValidationError};

/// How to build a [`Vm`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmConfig {
    /// The gas schedule.
    pub gas: GasSchedule,
    /// The limits.
    pub limits: Limits,
    /// Where precompiled modules are kept across restarts (`None`: memory only).
    pub cache_dir: Option<PathBuf>,
    /// Most compiled modules kept in memory.
    pub module_cache_capacity: usize,
    /// The most bytes of compiled modules kept in `cache_dir`: a VM opening it over a fuller
    /// directory deletes the least recently used files (those of other wasmtime versions or gas
    /// schedules first) until a quarter of this is free.
    pub cache_dir_max_bytes: u64,
    /// Name each compiled contract function in `/tmp/perf-<pid>.map`, so `perf report` shows
    /// contract code by function (from the module's name section; `wasm[m]::function[i]`
    /// without one) instead of as anonymous addresses. Costs a line written per function at
    /// compile or load; nothing per call.
    pub perf_map: bool,
}

/// The environment variable that turns on [`VmConfig::perf_map`] in [`VmConfig::default`] (and
/// so in `tidepool node`, `tidepool bench` and the Sandbox): `TIDEPOOL_PERFMAP=1`.
pub const PERF_MAP_ENV: &str = "TIDEPOOL_PERFMAP";

/// Production limits, the published gas schedule, no disk cache (1 GiB at most in one when
/// `cache_dir` is set), 256 modules in memory, a perf map only when [`PERF_MAP_ENV`] is set to `1`.
impl Default for VmConfig {
    fn default() -> VmConfig {
        VmConfig {
            gas: GasSchedule::default(),
            limits: Limits::default(),
            cache_dir: None,
            module_cache_capacity: 256,
            cache_dir_max_bytes: 1 << 30,
            perf_map: std::env::var_os(PERF_MAP_ENV).is_some_and(|value| value == "1"),
        }
    }
}

impl VmConfig {
    /// The default configuration with a small instance pool (16 slots: two calls at full
    /// depth at once), for test suites that create many VMs in one process — each pool slot
    /// reserves 4 GiB of virtual address space.
    pub fn for_tests() -> VmConfig {
        let mut config = VmConfig::default();
        config.limits.instance_pool_size = 16;
        config
    }
}

/// Uploaded code, validated and compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedCode {
    /// keccak256 of the wasm.
    pub hash: Hash,
    /// The entry points it exports.
    pub entry_points: Vec<String>,
    /// Whether it accepts re-entrant calls.
    pub reentrant: bool,
    /// Size of the wasm, bytes.
    pub size: u32,
}

/// What every frame shares: the engine, linker, module cache, schedule and limits.
pub(crate) struct Runtime {
    pub engine: Engine,
    pub linker: Linker<HostState>,
    pub cache: ModuleCache,
    pub gas: GasSchedule,
    pub limits: Limits,
}

impl Runtime {
    /// The compiled module of stored code `hash` for a frame of `tx`: from the cache, else
    /// compiled from the ledger; `None` if no such code is stored. A quick call neither loads
    /// nor compiles: a module not in memory marks it inconclusive and is `None` (the frame is
    /// refused as if there were no code; the outcome is discarded anyway).
    pub(crate) fn module(&self, tx: &mut TxState, hash: &Hash) -> Result<Option<Arc<CompiledModule>>, VmError> {
        if tx.quick {
            let resident = self.cache.resident(hash);
            tx.inconclusive |= resident.is_none();
            return Ok(resident);
        }
        if let Some(module) = self.cache.get(hash, &self.engine, &self.linker) {
            return Ok(Some(module));
        }
        let Some(code) = tx.overlay.code(hash)? else {
            return Ok(None);
        };
        let compiled = self.compile(hash, &code.wasm).map_err(|reason| VmError::Compile { hash: *hash, reason })?;
        Ok(Some(compiled))
    }

    /// Compiles, links and caches `wasm`.
    fn compile(&self, hash: &Hash, wasm: &[u8]) -> Result<Arc<CompiledModule>, String> {
        let module = Module::from_binary(&self.engine, wasm).map_err(|e| format!("{e:#}"))?;
        let compiled = Arc::new(CompiledModule::new(&module, &self.linker).map_err(|e| format!("{e:#}"))?);
        self.cache.insert_compiled(*hash, &module, compiled.clone());
        Ok(compiled)
    }
}

/// The contract VM. Cheap to clone (an `Arc` inside); `Send + Sync`, so one VM serves every
/// thread of the node.
///
/// # Examples
/// ```
/// use tidepool_vm::{Vm, VmConfig};
///
/// let vm = Vm::new(VmConfig::default()).unwrap();
/// let wasm = wat::parse_str(r#"(module
///     (memory (export "memory") 1)
///     (func (export "tidepool_abi_v1"))
///     (func (export "instantiate")))"#).unwrap();
/// let code = vm.prepare_code(&wasm).unwrap().unwrap();
/// assert_eq!(code.entry_points, ["instantiate"]);
/// ```
#[derive(Clone)]
pub struct Vm {
    runtime: Arc<Runtime>,
}

impl Vm {
    /// Builds the engine, the linker and the module cache.
    ///
    /// # Errors
    /// [`VmError::Engine`] if wasmtime refuses the configuration (e.g. the pool cannot reserve
    /// its address space) or the instance pool is smaller than the call depth,
    /// [`VmError::CacheDir`] if the cache directory cannot be created.
    pub fn new(config: VmConfig) -> Result<Vm, VmError> {
        let limits = &config.limits;
        if limits.instance_pool_size < limits.max_call_depth {
            return Err(VmError::Engine(format!(
                "the instance pool ({}) must hold at least one call at full depth ({})",
                limits.instance_pool_size, limits.max_call_depth
            )));
        }
        let engine = engine::build(&config.gas, &config.limits, true, config.perf_map)?;
        let mut fingerprint = engine::compatibility_bytes(&engine);
        fingerprint.extend_from_slice(&config.gas.fingerprint().0);
        fingerprint.extend_from_slice(&tidepool_abi::ABI_VERSION.to_le_bytes());
        let cache = ModuleCache::new(
            config.module_cache_capacity,
            config.cache_dir.as_deref(),
            config.cache_dir_max_bytes,
            keccak256(&fingerprint),
        )?;
        let linker = host::linker(&engine)?;
        Ok(Vm { runtime: Arc::new(Runtime { engine, linker, cache, gas: config.gas, limits: config.limits }) })
    }

    /// The gas schedule.
    pub fn gas_schedule(&self) -> &GasSchedule {
        &self.runtime.gas
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.runtime.limits
    }

    /// Module cache counters since start.
    pub fn cache_stats(&self) -> CacheStats {
        self.runtime.cache.stats()
    }

    /// Drops every compiled module from memory; later calls reload them from the disk cache or
    /// recompile. For benchmarks and tests of the cache; a node never needs it.
    pub fn clear_memory_cache(&self) {
        self.runtime.cache.clear_memory();
    }

    /// Where the disk cache keeps the module `hash` (`None` without a disk cache).
    pub fn cache_path(&self, hash: &Hash) -> Option<PathBuf> {
        self.runtime.cache.disk_path(hash)
    }

    /// Validates and compiles `wasm` and caches the result (memory, and disk if configured).
    /// Nothing is stored in the ledger.
    ///
    /// # Errors
    /// The inner `Err` is why the code was refused; the outer is a host failure.
    pub fn prepare_code(&self, wasm: &[u8]) -> Result<Result<PreparedCode, ValidationError>, VmError> {
        let info = match validate::validate(wasm, &self.runtime.limits) {
            Ok(info) => info,
            Err(error) => return Ok(Err(error)),
        };
        let hash = keccak256(wasm);
        let runtime = &self.runtime;
        if runtime.cache.get(&hash, &runtime.engine, &runtime.linker).is_none()
            && let Err(reason) = runtime.compile(&hash, wasm)
        {
            return Ok(Err(ValidationError::Compile { reason }));
        }
        let size = u32::try_from(wasm.len()).unwrap_or(u32::MAX);
        Ok(Ok(PreparedCode { hash, entry_points: info.entry_points, reentrant: info.reentrant, size }))
    }

    /// [`Vm::prepare_code`], then stores the code in `overlay` (unless it is already there:
    /// the first uploader stays on record). Returns the code hash.
    ///
    /// # Errors
    /// As [`Vm::prepare_code`], plus ledger failures.
    pub fn upload(
        &self,
        overlay: &mut Overlay,
        uploader: Address,
        height: u64,
        wasm: &[u8],
    ) -> Result<Result<Hash, ValidationError>, VmError> {
        let prepared = match self.prepare_code(wasm)? {
            Ok(prepared) => prepared,
            Err(error) => return Ok(Err(error)),
        };
        if overlay.code_meta(&prepared.hash)?.is_none() {
            let meta = CodeMeta {
                uploader,
                uploaded_at: height,
                size: prepared.size,
                entry_points: prepared.entry_points,
                reentrant: prepared.reentrant,
            };
            overlay.set_code(&prepared.hash, &CodeRecord { wasm: wasm.to_vec(), meta });
        }
        Ok(Ok(prepared.hash))
    }

    /// Runs one top-level call against `overlay`, inside a checkpoint: on success its changes
    /// stay in the overlay, on failure the overlay is exactly as before. Nonces and fees are
    /// the node's business.
    ///
    /// The calling thread needs [`Limits::native_stack`] bytes of stack (1.5 MiB by default).
    ///
    /// # Errors
    /// Only host failures; every contract failure is an [`Outcome`] status. After an error
    /// the overlay may hold the failed call's partial changes: discard it.
    pub fn call(&self, overlay: &mut Overlay, env: &Env, call: Call) -> Result<Outcome, VmError> {
        let (outcome, _) = self.run(overlay, env, call, false)?;
        Ok(outcome)
    }

    /// [`Vm::call`], bounded for a thread that must not be held long (an async worker): at
    /// most `budget` gas (about `budget` ns of CPU, by the schedule's calibration), and only
    /// modules already compiled in memory, so it never loads, compiles or runs long.
    ///
    /// `Some(outcome)`: what [`Vm::call`] with the call's own limit returns (status, return
    /// data, gas used, events, logs; only the trace's gas limits are the budget's), with the
    /// same writes left in the overlay.
    /// `None` when that could differ — some frame ran out of gas or used all of it (a caller
    /// may carry on after a nested frame runs out), a contract read `gas_left`, or a module was
    /// not in memory; the overlay is then as before. Make the full call elsewhere (a blocking thread).
    ///
    /// # Errors
    /// As [`Vm::call`].
    pub fn try_quick_call(
        &self,
        overlay: &mut Overlay,
        env: &Env,
        call: Call,
        budget: u64,
    ) -> Result<Option<Outcome>, VmError> {
        let gas_limit = call.gas_limit;
        let checkpoint = overlay.checkpoint();
        let (mut outcome, inconclusive) =
            self.run(overlay, env, Call { gas_limit: gas_limit.min(budget), ..call }, true)?;
        if inconclusive {
            overlay.revert_to(checkpoint);
            return Ok(None);
        }
        outcome.trace.gas_limit = gas_limit;
        Ok(Some(outcome))
    }

    /// Runs `call` with `overlay` moved into the call's state; also says whether the outcome
    /// was inconclusive ([`TxState::inconclusive`]).
    fn run(&self, overlay: &mut Overlay, env: &Env, call: Call, quick: bool) -> Result<(Outcome, bool), VmError> {
        let mut tx = TxState {
            overlay: std::mem::take(overlay),
            native_stack_base: stack_position(),
            quick,
            ..TxState::default()
        };
        tx.events_base = tx.overlay.events().len();
        let result = call::execute(&self.runtime, &mut tx, env, call);
        *overlay = std::mem::take(&mut tx.overlay);
        let mut outcome = result?;
        outcome.logs = tx.logs;
        Ok((outcome, tx.inconclusive))
    }

    #[cfg(test)]
    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }
}
