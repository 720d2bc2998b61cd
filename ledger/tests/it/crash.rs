//! Crash test: a child process commits the sample blocks in a loop and is killed with SIGKILL
//! at a random moment, many times over. After each kill the directory must reopen and hold
//! exactly a whole block: its tables equal, byte for byte, a clean replay of the same blocks
//! in memory, and no block the child reported committed is lost.
//!
//! The child is this test binary itself, re-run on the ignored test [`crash_child`] with the
//! data directory in an environment variable.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use tidepool_ledger::Ledger;

use crate::backend::dump;
use crate::sample::{self, Rng};

/// The data directory of a child writer; set only in the child.
const DIR_VAR: &str = "TIDEPOOL_LEDGER_CRASH_DIR";
const ROUNDS: usize = 30;

/// The child: commits sample blocks after the latest, printing each height once committed.
#[test]
#[ignore = "the crash tests' child process; it runs only with TIDEPOOL_LEDGER_CRASH_DIR set"]
fn crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let ledger = Ledger::open(Path::new(&dir)).unwrap();
    println!("ready");
    // Bounded, in case the parent dies without killing it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let height = ledger.latest_height().unwrap().map_or(0, |latest| latest + 1);
        ledger.commit_block(sample::block(height)).unwrap();
        println!("committed {height}");
    }
}

/// A running child writer, and what it has said so far.
pub(crate) struct Writer {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Writer {
    /// Starts a child writer on `dir`.
    pub(crate) fn spawn(dir: &Path) -> Writer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "crash::crash_child", "--nocapture", "--test-threads=1"])
            .env(DIR_VAR, dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Writer { child, lines }
    }

    /// Waits until the child has opened the ledger.
    pub(crate) fn wait_ready(&self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(20)) {
            if line.ends_with("ready") {
                return;
            }
        }
        panic!("the child writer never opened the ledger");
    }

    /// SIGKILLs the child and returns the last height it reported committed.
    pub(crate) fn kill(mut self) -> Option<u64> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        // The reader thread ends at end of file; a line cut by the kill does not parse.
        self.lines.iter().filter_map(|line| line.strip_prefix("committed ")?.parse().ok()).max()
    }
}

#[test]
fn a_killed_writer_leaves_exactly_its_last_whole_block() {
    let dir = tempfile::tempdir().unwrap();
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("kill-timing seed {seed}");
    let mut rng = Rng::new(seed);
    let replica = Ledger::memory();
    let mut reported = None;
    let mut killed_mid_commit = 0;
    for round in 0..ROUNDS {
        let writer = Writer::spawn(dir.path());
        // Most kills land among the commits; every fifth round's may land in the open and
        // recovery of the previous round's crash.
        if round % 5 != 0 {
            writer.wait_ready();
        }
        thread::sleep(Duration::from_micros(rng.below(60_000)));
        let last = writer.kill();
        reported = reported.max(last);

        let ledger = Ledger::open(dir.path()).unwrap();
        let latest = ledger.latest_height().unwrap();
        assert!(latest >= reported, "round {round}: committed {reported:?} but reopened at {latest:?}");
        if latest > reported {
            killed_mid_commit += 1;
        }
        while replica.latest_height().unwrap() < latest {
            let next = replica.latest_height().unwrap().map_or(0, |latest| latest + 1);
            replica.commit_block(sample::block(next)).unwrap();
        }
        assert_eq!(ledger.latest().unwrap(), replica.latest().unwrap(), "round {round}: header and state root");
        assert!(
            dump(&**ledger.store()) == dump(&**replica.store()),
            "round {round}: the tables differ from a clean replay"
        );
        reported = latest;
    }
    println!(
        "{ROUNDS} kills, reached height {reported:?}, {killed_mid_commit} after a commit the child had not reported"
    );
    assert!(reported.is_some_and(|height| height >= ROUNDS as u64), "the writer made progress: {reported:?}");
}
