//! Top-level calls (instantiate, execute, query, migrate), upload, and the module cache.

use std::time::{Duration, SystemTime};

use tidepool_ledger::{Address, Hash, Table};
use tidepool_vm::{Call, CallKind, Limits, Status, Vm, VmConfig};

use crate::host_calls::RELAY;
use crate::support::*;

/// `instantiate` stores its message under "init"; `migrate` writes "migrated"; `execute`
/// returns "v1".
const V1: &str = r#"
  (data (i32.const 0) "init" "v1" "migrated")
  (func (export "instantiate") (local $n i32)
    (local.set $n (call $read_input))
    (if (i32.eq (local.get $n) (i32.const 4)) (then (unreachable)))
    (call $storage_write (i32.const 0) (i32.const 4) (i32.const 0x8000) (local.get $n)))
  (func (export "execute") (call $return (i32.const 4) (i32.const 2)))"#;

const V2: &str = r#"
  (data (i32.const 0) "migrated" "v2")
  (func (export "execute") (call $return (i32.const 8) (i32.const 2)))
  (func (export "migrate") (call $storage_write (i32.const 0) (i32.const 8) (i32.const 0) (i32.const 1))
    (if (call $read_input) (then (unreachable))))"#;

fn instantiate_call(chain: &Chain, contract: Address, code_hash: Hash, msg: &[u8], funds: u128) -> Call {
    let kind = CallKind::Instantiate { code_hash, admin: Some(chain.sender), label: "market".into() };
    Call { sender: chain.sender, contract, kind, msg: msg.to_vec(), funds, gas_limit: GAS }
}

#[test]
fn instantiate_writes_the_instance_and_runs_the_entry_point() {
    let mut chain = Chain::new();
    let code = chain.upload(&contract(V1));
    let at = Address([0x77; 20]);
    let outcome = chain.run(instantiate_call(&chain, at, code, b"hello", 40));
    ok(&outcome);
    let instance = chain.overlay.instance(&at).unwrap().unwrap();
    assert_eq!((instance.code_hash, instance.admin, instance.creator), (code, Some(chain.sender), chain.sender));
    assert_eq!((instance.label.as_str(), instance.created_at), ("market", chain.env.height));
    assert_eq!(chain.storage(&at, b"init").as_deref(), Some(&b"hello"[..]));
    assert_eq!(chain.balance(&at), 40);
    assert!(chain.last_writes.iter().any(|(table, key, _)| *table == Table::Instances && key[..] == at.0));
    assert!(outcome.gas_used > chain.vm.gas_schedule().instantiate_base);

    let again = chain.run(instantiate_call(&chain, at, code, b"x", 0));
    assert!(matches!(again.status, Status::InvalidCall { ref message } if message.contains("already exists")));
}

#[test]
fn a_failed_instantiate_leaves_nothing_behind() {
    let mut chain = Chain::new();
    let code = chain.upload(&contract(V1));
    let at = Address([0x78; 20]);
    let outcome = chain.run(instantiate_call(&chain, at, code, b"trap", 40));
    assert!(matches!(outcome.status, Status::Trapped { .. }));
    assert_eq!(chain.overlay.instance(&at).unwrap(), None);
    assert_eq!(chain.balance(&at), 0);
    assert_eq!(chain.balance(&chain.sender.clone()), 1_000_000);

    let unknown = chain.run(instantiate_call(&chain, at, Hash([1; 32]), b"", 0));
    assert!(matches!(unknown.status, Status::NotFound { .. }));
    let mut long_label = instantiate_call(&chain, at, code, b"", 0);
    long_label.kind = CallKind::Instantiate { code_hash: code, admin: None, label: "x".repeat(129) };
    assert!(matches!(chain.run(long_label).status, Status::LimitExceeded { .. }));
    let mut starved = instantiate_call(&chain, at, code, b"", 0);
    starved.gas_limit = 10;
    let starved = chain.run(starved);
    assert_eq!((starved.status, starved.gas_used), (Status::OutOfGas, 10));
}

#[test]
fn execute_and_query_need_a_contract_and_queries_take_no_funds() {
    let mut chain = Chain::new();
    let missing = chain.execute(Address([5; 20]), b"");
    assert!(matches!(missing.status, Status::NotFound { ref message } if message.contains("no contract")));
    assert_eq!(missing.gas_used, 0);
    let c = chain.deploy(RELAY);
    let call =
        Call { sender: chain.sender, contract: c, kind: CallKind::Query, msg: b"r".to_vec(), funds: 1, gas_limit: GAS };
    assert!(matches!(chain.run(call).status, Status::InvalidCall { .. }));
    assert_eq!(ok(&chain.query(c, b"r")), b"answer");
    let v1 = chain.deploy(V1);
    assert!(matches!(chain.query(v1, b"").status, Status::NotFound { ref message } if message.contains("`query`")));
    let oversized = chain.execute(c, &vec![b'r'; 128 * 1024 + 1]);
    assert!(matches!(oversized.status, Status::LimitExceeded { ref message } if message.contains("message")));
    assert_eq!(oversized.gas_used, 0);
}

#[test]
fn migrate_is_for_the_admin_and_swaps_the_code() {
    let mut chain = Chain::new();
    let v1 = chain.deploy(V1);
    let v2 = chain.upload(&contract(V2));
    let migrate = |sender: Address, msg: &[u8]| Call {
        sender,
        contract: v1,
        kind: CallKind::Migrate { new_code_hash: v2 },
        msg: msg.to_vec(),
        funds: 0,
        gas_limit: GAS,
    };
    let stranger = chain.run(migrate(Address([3; 20]), b""));
    assert!(matches!(stranger.status, Status::Unauthorized { .. }));

    let failed = chain.run(migrate(chain.sender, b"fail"));
    assert!(matches!(failed.status, Status::Trapped { .. }));
    assert_eq!(ok(&chain.execute(v1, b"")), b"v1", "a failed migrate keeps the old code");

    ok(&chain.run(migrate(chain.sender, b"")));
    assert_eq!(ok(&chain.execute(v1, b"")), b"v2");
    assert_eq!(chain.storage(&v1, b"migrated").as_deref(), Some(&b"m"[..]));
    assert_eq!(chain.overlay.instance(&v1).unwrap().unwrap().code_hash, v2);

    let back =
        Call { kind: CallKind::Migrate { new_code_hash: chain.upload(&contract(V1)) }, ..migrate(chain.sender, b"") };
    assert!(matches!(chain.run(back).status, Status::NotFound { ref message } if message.contains("`migrate`")));
}

#[test]
fn migrate_without_an_admin_is_refused() {
    let mut chain = Chain::new();
    let code = chain.upload(&contract(V1));
    let v2 = chain.upload(&contract(V2));
    let at = Address([0x79; 20]);
    let mut create = instantiate_call(&chain, at, code, b"", 0);
    create.kind = CallKind::Instantiate { code_hash: code, admin: None, label: String::new() };
    ok(&chain.run(create));
    let call = Call {
        sender: chain.sender,
        contract: at,
        kind: CallKind::Migrate { new_code_hash: v2 },
        msg: vec![],
        funds: 0,
        gas_limit: GAS,
    };
    assert!(matches!(chain.run(call).status, Status::Unauthorized { ref message } if message.contains("no admin")));
}

#[test]
fn prepare_code_stores_nothing_and_upload_keeps_the_first_uploader() {
    let mut chain = Chain::new();
    let wasm = contract(&format!("{V1} (func (export \"tidepool_reentrant\"))"));
    let prepared = chain.vm.prepare_code(&wasm).unwrap().unwrap();
    assert_eq!(prepared.hash, tidepool_ledger::keccak256(&wasm));
    assert_eq!(prepared.entry_points, ["instantiate", "execute"]);
    assert!(prepared.reentrant);
    assert_eq!(prepared.size as usize, wasm.len());
    assert_eq!(chain.overlay.code_meta(&prepared.hash).unwrap(), None);

    let hash = chain.vm.upload(&mut chain.overlay, Address([1; 20]), 5, &wasm).unwrap().unwrap();
    chain.vm.upload(&mut chain.overlay, Address([2; 20]), 6, &wasm).unwrap().unwrap();
    let record = chain.overlay.code(&hash).unwrap().unwrap();
    assert_eq!(record.wasm, wasm);
    assert_eq!((record.meta.uploader, record.meta.uploaded_at), (Address([1; 20]), 5));
    assert_eq!(record.meta.entry_points, ["instantiate", "execute"]);
    assert!(record.meta.reentrant);

    let refused = chain.vm.upload(&mut chain.overlay, chain.sender, 7, b"\0asm junk").unwrap();
    assert!(refused.is_err());
}

/// A VM configuration that keeps compiled modules on disk, in a fresh temporary directory (kept
/// while the returned handle lives).
fn with_disk_cache() -> (tempfile::TempDir, VmConfig) {
    let dir = tempfile::tempdir().unwrap();
    let config = VmConfig { cache_dir: Some(dir.path().to_owned()), ..VmConfig::for_tests() };
    (dir, config)
}

/// Marks the file at `path` as last used (modified) at `time`.
fn set_used(path: &std::path::Path, time: SystemTime) {
    std::fs::File::options().append(true).open(path).unwrap().set_modified(time).unwrap();
}

#[test]
fn a_module_from_the_disk_cache_behaves_exactly_like_a_fresh_compile() {
    let (_dir, config) = with_disk_cache();
    let mut first = Chain::with_config(config.clone());
    let c = first.deploy(RELAY);
    let code = first.overlay.instance(&c).unwrap().unwrap().code_hash;
    let path = first.vm.cache_path(&code).unwrap();
    assert!(path.exists(), "compiled module written to {}", path.display());
    assert_eq!(first.vm.cache_stats().compiles, 1);

    // A restart over the same directory loads; a VM without it compiles. Same history on both.
    let mut from_disk = Chain::with_vm(Vm::new(config).unwrap());
    let mut compiled = Chain::new();
    assert_eq!(from_disk.deploy(RELAY), c);
    assert_eq!(compiled.deploy(RELAY), c);
    for msg in [&b"w"[..], b"r", b"t", b"a", b"e", b"x"] {
        assert_eq!(from_disk.execute(c, msg), compiled.execute(c, msg), "message {msg:?}");
    }
    let stats = from_disk.vm.cache_stats();
    assert_eq!((stats.disk_loads, stats.compiles), (1, 0), "{stats:?}");
    assert_eq!(compiled.vm.cache_stats().compiles, 1);
}

#[test]
fn a_corrupt_cache_file_is_replaced_by_a_recompile() {
    let (_dir, config) = with_disk_cache();
    let mut chain = Chain::with_config(config.clone());
    let c = chain.deploy(RELAY);
    let code = chain.overlay.instance(&c).unwrap().unwrap().code_hash;
    std::fs::write(chain.vm.cache_path(&code).unwrap(), b"not a module").unwrap();

    let mut restarted = Chain::with_vm(Vm::new(config).unwrap());
    restarted.overlay = std::mem::take(&mut chain.overlay);
    assert_eq!(ok(&restarted.execute(c, b"r")), b"answer");
    assert_eq!(restarted.vm.cache_stats().compiles, 1);
    assert!(std::fs::read(restarted.vm.cache_path(&code).unwrap()).unwrap().len() > 100, "rewritten");
}

#[test]
fn the_disk_cache_is_pruned_to_its_bound_least_recently_used_first() {
    let (dir, config) = with_disk_cache();
    let mut chain = Chain::with_config(config.clone());
    // Three modules, used an hour, two hours and three hours ago (newest first).
    let bodies = [RELAY, V1, V2];
    let files: Vec<_> = bodies
        .iter()
        .map(|body| {
            let code = chain.upload(&contract(body));
            chain.vm.cache_path(&code).unwrap()
        })
        .collect();
    for (hours, file) in (1..).zip(&files) {
        let used = SystemTime::now() - Duration::from_secs(3600 * hours);
        set_used(file, used);
    }
    // Another fingerprint's module (an older build), newer than all three, and a temporary file
    // a crashed writer left two hours ago.
    let other = dir.path().join(format!("{}-{}.cwasm", "ab".repeat(32), "cd".repeat(16)));
    std::fs::write(&other, vec![0; 1000]).unwrap();
    let abandoned = files[0].with_extension("tmp-1-0");
    std::fs::write(&abandoned, b"half a module").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    set_used(&abandoned, two_hours_ago);
    // Files the cache did not write are never touched, whatever their names end with.
    let foreign = [dir.path().join("notes.tmp-1-0"), dir.path().join("module.cwasm")];
    for file in &foreign {
        std::fs::write(file, vec![0; 100_000]).unwrap();
        set_used(file, two_hours_ago);
    }

    let size = |path: &std::path::Path| std::fs::metadata(path).unwrap().len();
    let total: u64 = files.iter().map(|file| size(file)).sum::<u64>() + size(&other);

    // Within the bound: only the abandoned temporary file goes.
    drop(Vm::new(VmConfig { cache_dir_max_bytes: total, ..config.clone() }).unwrap());
    assert!(!abandoned.exists(), "an abandoned temporary file is removed");
    assert!(files.iter().all(|file| file.exists()) && other.exists());

    // Over it: the other fingerprint's file, then the least recently used, until three quarters
    // of the bound are left.
    let bound = total - 1;
    drop(Vm::new(VmConfig { cache_dir_max_bytes: bound, ..config.clone() }).unwrap());
    assert!(!other.exists(), "another fingerprint's file goes first");
    let kept: Vec<bool> = files.iter().map(|file| file.exists()).collect();
    let left: u64 = files.iter().filter(|file| file.exists()).map(|file| size(file)).sum();
    assert!(left <= bound / 4 * 3, "{left} bytes left of a {bound}-byte bound");
    let first_gone = kept.iter().position(|kept| !kept).expect("at least one module file removed");
    assert!(
        kept[..first_gone].iter().all(|kept| *kept) && kept[first_gone..].iter().all(|kept| !kept),
        "oldest first: {kept:?}"
    );
    assert!(kept[0], "the most recently used stays (the bound holds it)");
    assert!(foreign.iter().all(|file| file.exists()));
}

#[test]
fn a_module_loaded_from_disk_counts_as_recently_used() {
    let (_dir, config) = with_disk_cache();
    let mut first = Chain::with_config(config.clone());
    let c = first.deploy(RELAY);
    let path = first.vm.cache_path(&first.overlay.instance(&c).unwrap().unwrap().code_hash).unwrap();
    let a_day_ago = SystemTime::now() - Duration::from_secs(86_400);
    set_used(&path, a_day_ago);

    let mut restarted = Chain::with_vm(Vm::new(config).unwrap());
    restarted.overlay = std::mem::take(&mut first.overlay);
    assert_eq!(ok(&restarted.execute(c, b"r")), b"answer");
    assert_eq!(restarted.vm.cache_stats().disk_loads, 1);
    let used = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert!(used > a_day_ago + Duration::from_secs(3600), "the load touched the file");
}

#[test]
fn the_memory_cache_is_bounded() {
    let mut chain = Chain::with_config(VmConfig { module_cache_capacity: 1, ..VmConfig::for_tests() });
    let a = chain.deploy(RELAY);
    let b = chain.deploy(V1);
    assert_eq!(chain.vm.cache_stats().compiles, 2);
    ok(&chain.execute(b, b""));
    assert_eq!(chain.vm.cache_stats().compiles, 2, "b is cached");
    ok(&chain.execute(a, b"r"));
    assert_eq!(chain.vm.cache_stats().compiles, 3, "a was evicted by b and compiled again");
    assert_eq!(chain.vm.cache_stats().in_memory, 1);
}

#[test]
fn a_perf_map_names_each_contract_function_for_perf() {
    let mut chain = Chain::with_config(VmConfig { perf_map: true, ..VmConfig::for_tests() });
    // A name no other test's module has: only this VM writes the map, and it names its own code.
    let c = chain.deploy(r#"(func $perf_map_probe_execute (export "execute"))"#);
    ok(&chain.execute(c, b""));

    // Where perf looks, whatever TMPDIR says (wasmtime writes it there too).
    let path = std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
    let map = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    // perf's format, one line per function: `<start> <size> <name>`, the numbers in hex.
    let line = map.lines().find(|line| line.ends_with(" perf_map_probe_execute"));
    let fields: Vec<&str> = line.unwrap_or_else(|| panic!("no line names the function:\n{map}")).split(' ').collect();
    let hex = |field: &str| u64::from_str_radix(field.trim_start_matches("0x"), 16).unwrap();
    assert!(hex(fields[0]) > 0 && hex(fields[1]) > 0, "{fields:?}");
}

#[test]
fn one_vm_serves_many_threads() {
    fn shared<T: Send + Sync + Clone>(_: &T) {}
    let vm = Vm::new(VmConfig::for_tests()).unwrap();
    shared(&vm);
    let results: Vec<_> = (0..4)
        .map(|_| {
            let vm = vm.clone();
            std::thread::spawn(move || {
                let mut chain = Chain::with_vm(vm);
                let (a, b) = (chain.deploy(RELAY), chain.deploy(RELAY));
                (0..50)
                    .map(|_| chain.execute(a, &crate::host_calls::relay(b'c', &b, 0, 0, b"w")).gas_used)
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect();
    assert!(results.iter().all(|gas| gas == &results[0]), "same calls, same gas on every thread");
}

#[test]
fn the_instance_pool_must_hold_a_call_at_full_depth() {
    let limits = Limits { instance_pool_size: 4, ..Limits::default() };
    assert!(matches!(Vm::new(VmConfig { limits, ..VmConfig::for_tests() }), Err(tidepool_vm::VmError::Engine(_))));
}

/// `execute` returns a checksum of what it finds — a data segment, a zero page, the memory size
/// — then overwrites all of it and grows memory. Every call must find the module's original
/// memory, however the pool resets a slot.
const SCRIBBLER: &str = r#"
  (memory (export "memory") 2 40)
  (data (i32.const 0x10000) "original")
  (func (export "execute") (local $sum i64) (local $page i32)
    ;; What this call finds: the data segment, a zero page, and the size (grown or not).
    (local.set $sum (i64.add (i64.load (i32.const 0x10000)) (i64.load (i32.const 0x9000))))
    (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (memory.size))))
    (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (i32.load (i32.const 0x1100)))))
    ;; Dirty it all: the data segment, a zero page, grown memory, and every 4 KiB page of the
    ;; 2 MiB that makes (more than the 1 MiB a slot keeps resident, so both ways of resetting
    ;; a page are used).
    (i64.store (i32.const 0x10000) (i64.const -1))
    (i64.store (i32.const 0x9000) (i64.const 12345))
    (drop (memory.grow (i32.const 30)))
    ;; Grown memory must read as zero, whatever the slot held before.
    (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (i32.load (i32.const 0x1F0100)))))
    (local.set $page (i32.const 0))
    (loop $dirty
      (i32.store (i32.add (i32.mul (local.get $page) (i32.const 0x1000)) (i32.const 0x100)) (i32.const 7))
      (local.set $page (i32.add (local.get $page) (i32.const 1)))
      (br_if $dirty (i32.lt_u (local.get $page) (i32.const 512))))
    (call $return_i64 (local.get $sum)))"#;

#[test]
fn every_call_starts_from_the_modules_original_memory() {
    let mut chain = Chain::new();
    let contract = chain.deploy(SCRIBBLER);
    let original = u64::from_le_bytes(*b"original").wrapping_add(2);
    for call in 0..20 {
        let returned = ok(&chain.execute(contract, b"")).to_vec();
        assert_eq!(u64::from_le_bytes(returned.try_into().unwrap()), original, "call {call} saw a dirty memory");
    }
}
