//! A network of four `tidepool node` processes on RocksDB, made by `tidepool testnet`: what a
//! validator operator relies on, on one machine. Transfers sent round-robin to the four APIs
//! reach every node; with one validator killed the other three go on; the killed one restarts
//! on its data directory, and once from an empty one, and catches up to the same chain; with
//! two of four down nothing commits, and the two left say so (`/health` and their logs) until
//! a third is back; and at no height do two nodes ever hold different blocks.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tidepool_node::{Action, Transaction};

use crate::harness::{binary, dev};

/// The longest the whole test may take; every wait is bounded by it.
const BUDGET: Duration = Duration::from_secs(240);

/// The testnet's chain id (`tidepool testnet`'s default).
const CHAIN_ID: u64 = 1337;

/// The first of `n` free consecutive ports (each bound and released again), below Linux's
/// ephemeral range (32768–60999): a killed validator restarts on its ports, and one from that
/// range may meanwhile have become the local port of an outgoing connection (the survivors
/// dialling the dead one), so the restart could not bind it.
fn free_ports(n: u16) -> u16 {
    let seed = u16::try_from(std::process::id() % 12_000).unwrap_or(0);
    (0..200u16)
        .map(|attempt| 20_000 + ((seed + attempt * 97) % 12_000))
        .find(|base| (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()))
        .expect("free ports")
}

/// One validator process.
struct Validator {
    home: PathBuf,
    api: String,
    /// The running process (a cell, so that waits can ask whether it has exited).
    child: RefCell<Option<Child>>,
    log: PathBuf,
}

impl Validator {
    fn start(&mut self) {
        assert!(self.child.get_mut().is_none(), "already running");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(binary())
            .arg("node")
            .arg("--home")
            .arg(&self.home)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info,arc_malachitebft_network=off")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting a validator");
        *self.child.get_mut() = Some(child);
    }

    /// How the process ended, if it was started and has exited (a crash, or a port it could
    /// not bind).
    fn exited(&self) -> Option<ExitStatus> {
        self.child.borrow_mut().as_mut()?.try_wait().ok()?
    }

    /// SIGKILL: a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.get_mut().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn get(&self, path: &str) -> Option<Value> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let mut response = agent.get(format!("{}{path}", self.api)).call().ok()?;
        (response.status() == 200).then(|| response.body_mut().read_json().ok()).flatten()
    }

    fn height(&self) -> Option<u64> {
        self.get("/health")?["height"].as_u64()
    }

    /// The heights whose proposed blocks this validator keeps on disk.
    fn kept_block_heights(&self) -> Vec<u64> {
        let dir = self.home.join("consensus").join("proposals");
        let entries = std::fs::read_dir(dir).expect("the proposed blocks' directory");
        entries.filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".blocks")?.parse().ok()).collect()
    }

    /// `/health`'s `status`: `ok`, or `stalled` when consensus cannot decide blocks.
    fn status(&self) -> Option<String> {
        Some(self.get("/health")?["status"].as_str()?.to_string())
    }

    /// How many lines of the validator's log so far contain `text`.
    fn logged(&self, text: &str) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().filter(|line| line.contains(text)).count()
    }
}

/// The log line a validator writes when its consensus stalls, and the one when it moves again.
const STALLED: &str = "consensus is stalled";
const MOVES_AGAIN: &str = "consensus moves again";

impl Drop for Validator {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- {} ---\n{}", self.home.display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
    }
}

struct Net {
    _dir: tempfile::TempDir,
    validators: Vec<Validator>,
    deadline: Instant,
    /// Every block seen so far, by height: (hash, state root). Two different ones at a height
    /// fail the test.
    seen: BTreeMap<u64, (String, String)>,
}

impl Net {
    fn start() -> Net {
        let dir = tempfile::Builder::new().prefix("tidepool-testnet-").tempdir().unwrap();
        let api = free_ports(8);
        let p2p = api + 4;
        let out = dir.path().join("net");
        let generated = Command::new(binary())
            .args(["testnet", "--validators", "4", "--no-market", "--accounts", "3"])
            .arg("--out")
            .arg(&out)
            .args(["--api-port", &api.to_string(), "--p2p-port", &p2p.to_string()])
            .output()
            .unwrap();
        assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
        let printed = String::from_utf8_lossy(&generated.stdout);
        let mut validators = Vec::new();
        for i in 0..4u16 {
            let home = out.join(format!("node{i}"));
            assert!(printed.contains(&format!("tidepool node --home {}", home.display())), "{printed}");
            // Quicker empty blocks than the default second, so heights move fast in the test.
            let settings_path = home.join("node.json");
            let mut settings: Value = serde_json::from_slice(&std::fs::read(&settings_path).unwrap()).unwrap();
            settings["empty_block_interval_ms"] = 200.into();
            // Shorter rounds than the defaults, so a validator without a quorum reports a
            // stall after ~7 s (`stall_after`) rather than ~20 s.
            settings["timeouts"] =
                serde_json::json!({"propose": 1000, "prevote": 300, "precommit": 300, "per_round": 200});
            std::fs::write(&settings_path, serde_json::to_vec_pretty(&settings).unwrap()).unwrap();
            let api = format!("http://127.0.0.1:{}", api + i);
            validators.push(Validator {
                log: dir.path().join(format!("node{i}.log")),
                home,
                api,
                child: RefCell::new(None),
            });
        }
        for validator in &mut validators {
            validator.start();
        }
        Net { _dir: dir, validators, deadline: Instant::now() + BUDGET, seen: BTreeMap::new() }
    }

    /// Waits until validator `i`'s `/health` says `status`.
    fn wait_for_status(&self, i: usize, status: &str) {
        while self.validators[i].status().as_deref() != Some(status) {
            self.within_budget(&format!("status {status} on validator {i}"));
        }
    }

    /// Waits until validator `i`'s log has more than `before` lines containing `text`.
    fn wait_for_log(&self, i: usize, text: &str, before: usize) {
        while self.validators[i].logged(text) <= before {
            self.within_budget(&format!("\"{text}\" in validator {i}'s log"));
        }
    }

    fn within_budget(&self, what: &str) {
        for (i, validator) in self.validators.iter().enumerate() {
            if let Some(status) = validator.exited() {
                panic!("validator {i} exited ({status}) while waiting for {what}");
            }
        }
        assert!(Instant::now() < self.deadline, "out of time waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Waits until every validator in `which` has committed `height`.
    fn wait_for(&self, which: &[usize], height: u64) {
        while !which.iter().all(|&i| self.validators[i].height().is_some_and(|h| h >= height)) {
            self.within_budget(&format!("height {height} on {which:?}"));
        }
    }

    /// The lowest height of `which`.
    fn common_height(&self, which: &[usize]) -> u64 {
        which.iter().map(|&i| self.validators[i].height().expect("running")).min().unwrap()
    }

    /// Checks that `which` hold the same block (hash and state root) at every height up to
    /// their common one, and the same as any block seen before at that height.
    fn check_agreement(&mut self, which: &[usize]) -> u64 {
        let common = self.common_height(which);
        for height in 0..=common {
            for &i in which {
                let block = self.validators[i].get(&format!("/v1/blocks/{height}")).expect("a committed block");
                let found =
                    (block["hash"].as_str().unwrap().to_string(), block["state_root"].as_str().unwrap().to_string());
                let first = self.seen.entry(height).or_insert_with(|| found.clone());
                assert_eq!(*first, found, "validator {i} holds another block at height {height}");
            }
        }
        common
    }
}

fn send(validator: &Validator, tx: &tidepool_node::SignedTransaction) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.post(format!("{}/v1/txs", validator.api)).send_json(tx).unwrap();
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(status, 200, "{body}");
    body["tx_hash"].as_str().expect("the hash").to_string()
}

#[test]
fn four_validator_processes_agree_survive_a_crash_and_catch_up() {
    let mut net = Net::start();
    let all = [0, 1, 2, 3];
    net.wait_for(&all, 2);

    // Transfers, round-robin over the four APIs: every node shows every receipt.
    let accounts: Vec<_> = (0..3).map(dev).collect();
    let mut hashes = Vec::new();
    for n in 0..8u64 {
        let from = &accounts[(n % 3) as usize];
        let tx = Transaction {
            chain_id: CHAIN_ID,
            nonce: n / 3,
            from: from.address,
            gas_limit: 100_000,
            action: Action::Transfer { to: accounts[((n + 1) % 3) as usize].address, amount: 1_000 + u128::from(n) },
        };
        hashes.push(send(&net.validators[(n % 4) as usize], &tx.sign(&from.key).unwrap()));
    }
    for validator in &net.validators {
        for hash in &hashes {
            while validator.get(&format!("/v1/txs/{hash}")).is_none() {
                net.within_budget(&format!("{hash} on {}", validator.api));
            }
        }
    }
    net.check_agreement(&all);
    // Proposed blocks are kept on disk for the height being decided only.
    for (i, validator) in net.validators.iter().enumerate() {
        let committed = validator.height().expect("running");
        let kept = validator.kept_block_heights();
        assert!(kept.iter().all(|&h| h >= committed), "validator {i} at {committed} keeps blocks of {kept:?}");
    }

    // One of four killed: the other three keep committing, on one chain.
    net.validators[3].kill();
    let before = net.common_height(&[0, 1, 2]);
    net.wait_for(&[0, 1, 2], before + 5);
    net.check_agreement(&[0, 1, 2]);

    // Restarted on its data directory, it catches up to the same chain.
    net.validators[3].start();
    let target = net.common_height(&[0, 1, 2]);
    net.wait_for(&all, target + 2);
    net.check_agreement(&all);

    // Killed again and started from an empty directory (ledger and write-ahead log gone): it
    // syncs the whole chain from the others.
    net.validators[3].kill();
    for dir in ["data", "consensus"] {
        std::fs::remove_dir_all(net.validators[3].home.join(dir)).unwrap();
    }
    net.validators[3].start();
    let target = net.common_height(&[0, 1, 2]);
    net.wait_for(&all, target + 2);
    net.check_agreement(&all);

    // Two of four down: no quorum, so nothing commits, and the two left report the stall —
    // in `/health` and once in their logs. (Counted from here: a slow start could have logged
    // a stall and its end before.)
    let warned: Vec<usize> = (0..2).map(|i| net.validators[i].logged(STALLED)).collect();
    let recovered: Vec<usize> = (0..2).map(|i| net.validators[i].logged(MOVES_AGAIN)).collect();
    net.validators[2].kill();
    net.validators[3].kill();
    for (i, &before) in warned.iter().enumerate() {
        net.wait_for_status(i, "stalled");
        net.wait_for_log(i, STALLED, before);
    }
    // Heights are read once both stand still: a block decided just before the kills may still
    // reach the survivor that had not seen it (by sync), and that is not a new commit.
    let stalled: Vec<_> = [0, 1].iter().map(|&i| net.validators[i].height()).collect();
    std::thread::sleep(Duration::from_secs(2)); // the status probes run every second
    for (i, &before) in warned.iter().enumerate() {
        assert_eq!(net.validators[i].logged(STALLED), before + 1, "validator {i} warned once of one stall");
    }
    let later: Vec<_> = [0, 1].iter().map(|&i| net.validators[i].height()).collect();
    assert_eq!(later, stalled, "two of four validators committed a block");
    net.check_agreement(&[0, 1]);
    let stalled = later.into_iter().flatten().max().unwrap();

    // A third comes back: commits resume, on the same chain, and the stall is over.
    net.validators[2].start();
    net.wait_for(&[0, 1, 2], stalled + 3);
    net.check_agreement(&[0, 1, 2]);
    for (i, &before) in recovered.iter().enumerate() {
        net.wait_for_status(i, "ok");
        net.wait_for_log(i, MOVES_AGAIN, before);
    }
}
