//! Compiled modules, cached in memory (a bounded LRU) and on disk.
//!
//! A `CompiledModule` is what a frame needs to start: an `InstancePre` (imports already
//! resolved against the linker) and the export handles of `memory` and the entry points, so
//! that starting a frame does no name lookups.
//!
//! On disk, a module is the output of `Module::serialize`, in a file named
//! `<code hash>-<fingerprint>.cwasm`. The fingerprint hashes the engine's
//! `precompile_compatibility_hash` (wasmtime version, target CPU, every compilation setting)
//! with the gas schedule's fingerprint (its operator costs are compiled in), so a restart with
//! the same binary and schedule loads instead of recompiling, and anything else recompiles.
//! Files are written to a temporary name and renamed, so a crash never leaves half a file.
//! A file that fails to load is deleted and the module recompiled; a file that cannot be
//! written is logged and skipped — the disk cache is an optimisation, never a source of truth.
//!
//! The directory is bounded: a module's file is touched when it loads, and when a cache opens
//! over a directory holding more than its bound, it deletes files — first those of other
//! fingerprints (no engine of this build loads them), then the least recently used — until a
//! quarter of the bound is free, and it deletes temporary files a crash left behind. Without
//! that a contract author's `target/tidepool-modules` grew by a module for every edit.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use tidepool_abi as abi;
use tidepool_ledger::Hash;
use wasmtime::{Engine, InstancePre, Linker, Module, ModuleExport};

use crate::error::VmError;
use crate::frame::EntryPoint;
use crate::host::HostState;

/// A module ready to instantiate.
pub(crate) struct CompiledModule {
    /// Instantiation with the imports resolved.
    pub pre: InstancePre<HostState>,
    memory: ModuleExport,
    entries: [Option<ModuleExport>; 4],
    /// Whether it exports the ABI's re-entrancy marker.
    pub reentrant: bool,
}

impl CompiledModule {
    /// Links `module` against the host functions.
    pub(crate) fn new(module: &Module, linker: &Linker<HostState>) -> wasmtime::Result<CompiledModule> {
        let pre = linker.instantiate_pre(module)?;
        let memory = module
            .get_export_index(abi::MEMORY_EXPORT)
            .ok_or_else(|| wasmtime::format_err!("module exports no `{}`", abi::MEMORY_EXPORT))?;
        let entries = EntryPoint::ALL.map(|entry| module.get_export_index(entry.name()));
        let reentrant = module.get_export_index(abi::REENTRANT_MARKER_EXPORT).is_some();
        Ok(CompiledModule { pre, memory, entries, reentrant })
    }

    /// The `memory` export.
    pub(crate) fn memory_export(&self) -> &ModuleExport {
        &self.memory
    }

    /// The export of `entry`, if the module has it.
    pub(crate) fn entry_export(&self, entry: EntryPoint) -> Option<&ModuleExport> {
        self.entries[entry as usize].as_ref()
    }

    /// Whether the module exports `entry`.
    pub(crate) fn has_entry(&self, entry: EntryPoint) -> bool {
        self.entries[entry as usize].is_some()
    }
}

/// How the module cache has been doing since the VM started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Modules found in memory.
    pub memory_hits: u64,
    /// Modules loaded from the disk cache.
    pub disk_loads: u64,
    /// Modules compiled from wasm.
    pub compiles: u64,
    /// Modules in memory now.
    pub in_memory: usize,
}

/// The memory and disk cache of compiled modules.
pub(crate) struct ModuleCache {
    memory: Mutex<Lru>,
    disk: Option<DiskCache>,
    memory_hits: AtomicU64,
    disk_loads: AtomicU64,
    compiles: AtomicU64,
}

impl ModuleCache {
    /// A cache holding up to `capacity` modules in memory, and on disk under `dir` if given,
    /// whose files it keeps under `dir_max_bytes` (pruned now, see the module documentation).
    ///
    /// # Errors
    /// [`VmError::CacheDir`] if `dir` cannot be created.
    pub(crate) fn new(
        capacity: usize,
        dir: Option<&Path>,
        dir_max_bytes: u64,
        fingerprint: Hash,
    ) -> Result<ModuleCache, VmError> {
        let disk = match dir {
            None => None,
            Some(dir) => {
                fs::create_dir_all(dir).map_err(|source| VmError::CacheDir { path: dir.to_owned(), source })?;
                let disk = DiskCache { dir: dir.to_owned(), suffix: hex::encode(&fingerprint.0[..16]) };
                disk.prune(dir_max_bytes);
                Some(disk)
            }
        };
        Ok(ModuleCache {
            memory: Mutex::new(Lru::new(capacity.max(1))),
            disk,
            memory_hits: AtomicU64::new(0),
            disk_loads: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
        })
    }

    /// The module for `hash` from memory, then disk; `None` if it must be compiled.
    pub(crate) fn get(&self, hash: &Hash, engine: &Engine, linker: &Linker<HostState>) -> Option<Arc<CompiledModule>> {
        if let Some(module) = self.resident(hash) {
            return Some(module);
        }
        let module = self.disk.as_ref()?.load(hash, engine, linker)?;
        self.disk_loads.fetch_add(1, Ordering::Relaxed);
        let module = Arc::new(module);
        self.memory.lock().insert(*hash, module.clone());
        Some(module)
    }

    /// The module for `hash` if it is in memory; never touches the disk.
    pub(crate) fn resident(&self, hash: &Hash) -> Option<Arc<CompiledModule>> {
        let module = self.memory.lock().get(hash)?;
        self.memory_hits.fetch_add(1, Ordering::Relaxed);
        Some(module)
    }

    /// Adds a freshly compiled module (to memory, and to disk if configured).
    pub(crate) fn insert_compiled(&self, hash: Hash, module: &Module, compiled: Arc<CompiledModule>) {
        self.compiles.fetch_add(1, Ordering::Relaxed);
        if let Some(disk) = &self.disk {
            disk.store(&hash, module);
        }
        self.memory.lock().insert(hash, compiled);
    }

    /// Empties the memory cache.
    pub(crate) fn clear_memory(&self) {
        self.memory.lock().entries.clear();
    }

    /// Counters since start.
    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_loads: self.disk_loads.load(Ordering::Relaxed),
            compiles: self.compiles.load(Ordering::Relaxed),
            in_memory: self.memory.lock().len(),
        }
    }

    /// The disk cache file of `hash`, if there is a disk cache.
    pub(crate) fn disk_path(&self, hash: &Hash) -> Option<PathBuf> {
        self.disk.as_ref().map(|disk| disk.path(hash))
    }
}

/// Least-recently-used map. Lookups are O(1); eviction scans for the oldest entry, which is
/// fine for the few hundred modules a node keeps and happens only on insertion when full.
struct Lru {
    capacity: usize,
    tick: u64,
    entries: HashMap<Hash, (Arc<CompiledModule>, u64)>,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru { capacity, tick: 0, entries: HashMap::with_capacity(capacity) }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn get(&mut self, hash: &Hash) -> Option<Arc<CompiledModule>> {
        self.tick += 1;
        let (module, used) = self.entries.get_mut(hash)?;
        *used = self.tick;
        Some(module.clone())
    }

    fn insert(&mut self, hash: Hash, module: Arc<CompiledModule>) {
        self.tick += 1;
        if self.entries.len() >= self.capacity
            && !self.entries.contains_key(&hash)
            && let Some(oldest) = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(h, _)| *h)
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(hash, (module, self.tick));
    }
}

/// Temporary files older than this are a crashed writer's: every write renames its own within
/// the time it takes to serialise one module.
const ABANDONED_TEMPORARY: Duration = Duration::from_secs(3600);

/// Precompiled modules in a directory.
struct DiskCache {
    dir: PathBuf,
    suffix: String,
}

impl DiskCache {
    fn path(&self, hash: &Hash) -> PathBuf {
        self.dir.join(format!("{}-{}.cwasm", hex::encode(hash.0), self.suffix))
    }

    fn load(&self, hash: &Hash, engine: &Engine, linker: &Linker<HostState>) -> Option<CompiledModule> {
        let path = self.path(hash);
        if !path.exists() {
            return None;
        }
        // SAFETY: `deserialize_file` runs the machine code in the file, so the file must come
        // from `Module::serialize` of a compatible engine. Only this cache writes into its
        // directory, under names that carry the engine's compatibility fingerprint, and
        // wasmtime itself rejects files from another version or configuration. The directory
        // must be as trusted as the node's binary (it lives in the node's data directory).
        let loaded = unsafe { Module::deserialize_file(engine, &path) };
        match loaded.and_then(|module| CompiledModule::new(&module, linker)) {
            Ok(module) => {
                // Recently used, for `prune` (a read-only directory keeps the old time).
                let _ =
                    fs::File::options().append(true).open(&path).and_then(|file| file.set_modified(SystemTime::now()));
                Some(module)
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), "discarding unloadable cached module: {error:#}");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    fn store(&self, hash: &Hash, module: &Module) {
        let path = self.path(hash);
        // Unique per process and write, so concurrent writers never share a temporary file.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let unique = WRITES.fetch_add(1, Ordering::Relaxed);
        let temporary = path.with_extension(format!("tmp-{}-{unique}", std::process::id()));
        let written = module
            .serialize()
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
            .and_then(|bytes| fs::write(&temporary, bytes))
            .and_then(|()| fs::rename(&temporary, &path));
        if let Err(error) = written {
            tracing::warn!(path = %path.display(), "cannot write the module cache: {error}");
            let _ = fs::remove_file(&temporary);
        }
    }

    /// Deletes abandoned temporary files, and, when the modules' files hold more than
    /// `max_bytes`, other fingerprints' files and then the least recently used until they hold
    /// at most three quarters of it. Errors are logged and pruning stops: the cache works the
    /// same over a directory that cannot be pruned.
    fn prune(&self, max_bytes: u64) {
        if let Err(error) = self.try_prune(max_bytes) {
            tracing::warn!(dir = %self.dir.display(), "cannot prune the module cache: {error}");
        }
    }

    fn try_prune(&self, max_bytes: u64) -> std::io::Result<()> {
        let now = SystemTime::now();
        let current = format!("-{}.cwasm", self.suffix);
        // (of this fingerprint, last used, size, path) of every module file.
        let mut modules = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            // Another process may prune the same directory: a file gone meanwhile is skipped.
            let Ok((entry, metadata)) = entry.and_then(|entry| entry.metadata().map(|metadata| (entry, metadata)))
            else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Only this cache's files, `<code hash>-…`: a directory given by hand may hold others.
            let ours = name.len() > 65
                && name.as_bytes()[64] == b'-'
                && name.as_bytes()[..64].iter().all(u8::is_ascii_hexdigit);
            if !ours {
                continue;
            }
            let modified = metadata.modified()?;
            if name.contains(".tmp-") {
                if now.duration_since(modified).is_ok_and(|age| age > ABANDONED_TEMPORARY) {
                    remove(&entry.path())?;
                }
            } else if name.ends_with(".cwasm") {
                modules.push((name.ends_with(&current), modified, metadata.len(), entry.path()));
            }
        }
        let mut total: u64 = modules.iter().map(|(_, _, size, _)| size).sum();
        if total <= max_bytes {
            return Ok(());
        }
        // Other fingerprints first (`false` sorts first), then the oldest.
        modules.sort();
        let target = max_bytes / 4 * 3;
        for (_, _, size, path) in modules {
            if total <= target {
                break;
            }
            remove(&path)?;
            total -= size;
        }
        Ok(())
    }
}

/// Removes `path`; one already gone (another process pruned it) is not an error.
fn remove(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
