//! A toy application for the tests: a key-value map whose state root is a hash chain over the
//! blocks applied to it, kept in a file so a restarted validator finds its chain again.
//!
//! Each block sets one key (picked from the height) to a value naming the height and block time.
//! [`Toy::lie`] makes this validator, when it proposes, put a made-up state root in the header:
//! the block is self-consistent (its hash covers the lie) but re-execution disagrees.
//! [`Toy::stop_in_commit`] makes the commit of one height hang, as a validator killed in the
//! middle of it: nothing is written, and when the test lets go it fails.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Serialize};
use tidepool_consensus::{Application, BlockHash, BuiltBlock, Certificate, DecidedBlock, Header, Verdict};
use tidepool_keccak::{Keccak256, keccak256};

use crate::cluster::TEST_BUDGET;

/// Genesis block time (2023-11-14), the same on every node whatever its clock says.
pub(crate) const GENESIS_TIME: u64 = 1_700_000_000;

/// The state root a lying proposer claims.
pub(crate) fn lie_root() -> [u8; 32] {
    keccak256(b"a state root nobody computed")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ToyHeader {
    height: u64,
    time: u64,
    parent_hash: BlockHash,
    state_root: [u8; 32],
    writes_hash: [u8; 32],
}

impl ToyHeader {
    fn hash(&self) -> BlockHash {
        BlockHash(keccak256(&postcard::to_stdvec(self).unwrap()))
    }

    fn summary(&self) -> Header {
        Header {
            height: self.height,
            hash: self.hash(),
            parent_hash: self.parent_hash,
            time: self.time,
            state_root: self.state_root,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ToyBlock {
    header: ToyHeader,
    writes: Vec<(String, String)>,
}

/// One committed block and its certificate, as the chain file stores it.
#[derive(Serialize, Deserialize)]
struct Record {
    block: Vec<u8>,
    certificate: Vec<u8>,
}

struct Chain {
    headers: Vec<Header>,
    decided: Vec<DecidedBlock>,
    map: BTreeMap<String, String>,
    file: File,
}

impl Chain {
    fn tip(&self) -> &Header {
        self.headers.last().expect("genesis is always there")
    }
}

/// What executing a block on the committed state gave.
struct Executed {
    parent: BlockHash,
    map: BTreeMap<String, String>,
    root: [u8; 32],
}

/// The toy state machine.
pub(crate) struct Toy {
    chain: Mutex<Chain>,
    /// Blocks executed by `build_block` or `verify_block`, by hash, for `commit` to reuse when
    /// their parent is still the tip.
    prepared: Mutex<HashMap<BlockHash, Executed>>,
    lie: AtomicBool,
    /// Proposed blocks whose state root re-execution contradicted.
    wrong_roots: AtomicU64,
    /// The height whose commit hangs (0: none), see [`Toy::stop_in_commit`].
    stop_at: AtomicU64,
    /// The block whose commit is hanging, and whether the test let go of it.
    stopped: Mutex<(Option<BlockHash>, bool)>,
    let_go: Condvar,
}

fn genesis() -> Header {
    Header {
        height: 0,
        hash: BlockHash(keccak256(b"toy genesis")),
        parent_hash: BlockHash([0; 32]),
        time: GENESIS_TIME,
        state_root: [0; 32],
    }
}

/// The state root after `writes` on top of `parent_root`: a hash chain over applied blocks.
fn state_root(parent_root: [u8; 32], height: u64, writes: &[(String, String)]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(&parent_root);
    hasher.update(&height.to_be_bytes());
    hasher.update(&postcard::to_stdvec(writes).unwrap());
    hasher.finalize()
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ToyError {
    #[error("chain file: {0}")]
    Io(#[from] std::io::Error),
    #[error("chain file: {0}")]
    Corrupt(String),
    #[error("refused: {0}")]
    Refused(String),
}

impl Toy {
    /// Opens (or starts) the chain kept in `dir`, replaying every committed block.
    pub(crate) fn open(dir: &Path) -> Result<Self, ToyError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("chain.bin");
        let mut existing = Vec::new();
        if path.exists() {
            File::open(&path)?.read_to_end(&mut existing)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let chain = Chain { headers: vec![genesis()], decided: Vec::new(), map: BTreeMap::new(), file };
        let toy = Self {
            chain: Mutex::new(chain),
            prepared: Mutex::new(HashMap::new()),
            lie: AtomicBool::new(false),
            wrong_roots: AtomicU64::new(0),
            stop_at: AtomicU64::new(0),
            stopped: Mutex::new((None, false)),
            let_go: Condvar::new(),
        };
        let mut rest = existing.as_slice();
        while !rest.is_empty() {
            let (record, tail): (Record, _) =
                postcard::take_from_bytes(rest).map_err(|e| ToyError::Corrupt(e.to_string()))?;
            rest = tail;
            let certificate =
                Certificate::from_bytes(&record.certificate).map_err(|e| ToyError::Corrupt(e.to_string()))?;
            let mut chain = toy.chain.lock();
            let height = chain.tip().height + 1;
            toy.apply(&mut chain, height, &record.block, &certificate, false)?;
        }
        Ok(toy)
    }

    /// From now on, this validator's proposals claim a made-up state root (or stop doing so).
    pub(crate) fn lie(&self, lie: bool) {
        self.lie.store(lie, Ordering::SeqCst);
    }

    /// How many proposed blocks this validator found with a state root that re-execution
    /// contradicts.
    pub(crate) fn wrong_roots_seen(&self) -> u64 {
        self.wrong_roots.load(Ordering::SeqCst)
    }

    /// From now on, the commit of `height` hangs before it writes anything, as if the process
    /// were killed in the middle of it, until [`Toy::let_go`]; then it fails.
    pub(crate) fn stop_in_commit(&self, height: u64) {
        self.stop_at.store(height, Ordering::SeqCst);
    }

    /// The block whose commit hangs, once one does.
    pub(crate) fn hanging_commit(&self) -> Option<BlockHash> {
        self.stopped.lock().0
    }

    /// Lets a hanging commit fail.
    pub(crate) fn let_go(&self) {
        self.stopped.lock().1 = true;
        self.let_go.notify_all();
    }

    /// Hangs, as [`Toy::stop_in_commit`] says, when `height` is the one; bounded by the test
    /// budget so that a test that forgets to let go still ends.
    fn hang_if_stopped(&self, height: u64, hash: BlockHash) -> Result<(), ToyError> {
        if self.stop_at.load(Ordering::SeqCst) != height {
            return Ok(());
        }
        let deadline = Instant::now() + TEST_BUDGET;
        let mut stopped = self.stopped.lock();
        stopped.0 = Some(hash);
        while !stopped.1 && !self.let_go.wait_until(&mut stopped, deadline).timed_out() {}
        Err(ToyError::Refused(format!("stopped in the middle of committing height {height}")))
    }

    /// Every committed header, genesis first.
    pub(crate) fn headers(&self) -> Vec<Header> {
        self.chain.lock().headers.clone()
    }

    /// Every committed block with its certificate, height 1 first.
    pub(crate) fn decided(&self) -> Vec<DecidedBlock> {
        self.chain.lock().decided.clone()
    }

    /// Executes `block` on `chain`'s committed state.
    fn execute(chain: &Chain, block: &ToyBlock) -> Executed {
        let mut map = chain.map.clone();
        for (key, value) in &block.writes {
            map.insert(key.clone(), value.clone());
        }
        let root = state_root(chain.tip().state_root, block.header.height, &block.writes);
        Executed { parent: chain.tip().hash, map, root }
    }

    /// Applies a decided block to `chain` (and its file, when `persist`).
    fn apply(
        &self,
        chain: &mut Chain,
        height: u64,
        bytes: &[u8],
        certificate: &Certificate,
        persist: bool,
    ) -> Result<Header, ToyError> {
        let block: ToyBlock = postcard::from_bytes(bytes).map_err(|e| ToyError::Refused(e.to_string()))?;
        let header = block.header.summary();
        if height != chain.tip().height + 1 || header.height != height {
            return Err(ToyError::Refused(format!("block {} at height {height}", header.height)));
        }
        if header.parent_hash != chain.tip().hash {
            return Err(ToyError::Refused("not a child of the tip".into()));
        }
        if certificate.block_hash != header.hash {
            return Err(ToyError::Refused("the certificate is for another block".into()));
        }
        // Reuse what verification prepared, unless it was prepared on another parent (stale).
        let executed = match self.prepared.lock().remove(&header.hash) {
            Some(executed) if executed.parent == chain.tip().hash => executed,
            _ => Self::execute(chain, &block),
        };
        if executed.root != header.state_root {
            return Err(ToyError::Refused("the state root does not match execution".into()));
        }
        if persist {
            let record = Record { block: bytes.to_vec(), certificate: certificate.to_bytes() };
            chain.file.write_all(&postcard::to_stdvec(&record).unwrap())?;
            chain.file.sync_data()?;
        }
        chain.map = executed.map;
        chain.headers.push(header.clone());
        chain.decided.push(DecidedBlock { bytes: bytes.to_vec(), certificate: certificate.clone() });
        self.prepared.lock().retain(|_, e| e.parent == header.hash);
        Ok(header)
    }
}

impl Application for Toy {
    type Error = ToyError;

    fn last_committed(&self) -> Result<Header, ToyError> {
        Ok(self.chain.lock().tip().clone())
    }

    fn build_block(&self, height: u64, time: u64) -> Result<BuiltBlock, ToyError> {
        let chain = self.chain.lock();
        let writes = vec![(format!("key{}", height % 3), format!("{height}@{time}"))];
        let mut block = ToyBlock {
            header: ToyHeader {
                height,
                time,
                parent_hash: chain.tip().hash,
                state_root: [0; 32],
                writes_hash: keccak256(&postcard::to_stdvec(&writes).unwrap()),
            },
            writes,
        };
        let executed = Self::execute(&chain, &block);
        block.header.state_root = if self.lie.load(Ordering::SeqCst) { lie_root() } else { executed.root };
        let header = block.header.summary();
        self.prepared.lock().insert(header.hash, executed);
        Ok(BuiltBlock { header, bytes: postcard::to_stdvec(&block).unwrap() })
    }

    fn verify_block(&self, height: u64, bytes: &[u8]) -> Result<Verdict, ToyError> {
        let block: ToyBlock = match postcard::from_bytes(bytes) {
            Ok(block) => block,
            Err(e) => return Ok(Verdict::Invalid { claimed: None, reason: e.to_string() }),
        };
        let header = block.header.summary();
        let invalid = |reason: &str| Ok(Verdict::Invalid { claimed: Some(header.hash), reason: reason.into() });
        if header.height != height {
            return invalid("wrong height");
        }
        if block.header.writes_hash != keccak256(&postcard::to_stdvec(&block.writes).unwrap()) {
            return invalid("the header does not commit to the writes");
        }
        let chain = self.chain.lock();
        if header.parent_hash != chain.tip().hash {
            return invalid("not a child of the last committed block");
        }
        let executed = Self::execute(&chain, &block);
        if executed.root != header.state_root {
            self.wrong_roots.fetch_add(1, Ordering::SeqCst);
            return invalid("the state root does not match re-execution");
        }
        self.prepared.lock().insert(header.hash, executed);
        Ok(Verdict::Valid(header))
    }

    fn commit(&self, height: u64, block: &[u8], certificate: &Certificate) -> Result<Header, ToyError> {
        self.hang_if_stopped(height, certificate.block_hash)?;
        let mut chain = self.chain.lock();
        self.apply(&mut chain, height, block, certificate, true)
    }

    fn decided_block(&self, height: u64) -> Result<Option<DecidedBlock>, ToyError> {
        let chain = self.chain.lock();
        let index = usize::try_from(height).ok().and_then(|h| h.checked_sub(1));
        Ok(index.and_then(|i| chain.decided.get(i)).cloned())
    }
}
