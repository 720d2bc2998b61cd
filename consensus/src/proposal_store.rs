//! Proposed blocks on disk, so that a validator stopped after voting for a block and before
//! committing it still has the block when it starts again.
//!
//! The engine's write-ahead log keeps the votes of the current height, and replays them when a
//! validator starts: the validator decides again what it decided before it stopped. Committing
//! that decision needs the block's bytes, which the engine never had (it votes on a hash). So
//! every block the loop accepts for a height not yet committed — built, received or synced — is
//! written here, and synced, before the engine hears of it; [`ProposalStore::open`] gives them
//! back at start, and a height's blocks are deleted once it is committed.
//!
//! Each height has a file, `<height>.blocks`, of records: the payload's length (`u32`,
//! little-endian), the first 8 bytes of its keccak-256, and the payload (postcard of the
//! private `StoredBlock`). A block's bytes are written once per height: seen again under
//! another round, it gets a small record naming the earlier one. A crash can leave a torn
//! last record; it was never acknowledged to the engine, so `open` cuts it off. A write that
//! fails is cut off at once (a later record must not follow garbage), and if even that fails
//! the store refuses every later write, so no block gets a vote that a restart would lose.
//! A record that is whole but unreadable (damage, or another version's format) does not stop a
//! start: the file is kept aside as `<height>.blocks.damaged` and the records before it stay.
//!
//! Only the height after the last committed block matters at start: the files of every other
//! height are deleted, and a block whose header names another parent (the ledger was wiped or
//! rolled back since) is dropped.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{Round, Validity};
use malachitebft_signing_ed25519::Signature;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tidepool_keccak::keccak256;

use crate::app::Header;
use crate::context::{Address, BlockHash, Height};
use crate::error::ConsensusError;
use crate::proposals::{KnownBlock, same_bytes};

/// The extension of a height's file.
const EXTENSION: &str = "blocks";

/// Length and checksum, before each record's payload.
const FRAME_BYTES: usize = 4 + 8;

/// A [`KnownBlock`] as a record stores it.
#[derive(Serialize, Deserialize)]
struct StoredBlock {
    round: Option<u32>,
    proposer: Address,
    hash: BlockHash,
    signature: Option<Vec<u8>>,
    valid: bool,
    header: Option<Header>,
    bytes: StoredBytes,
}

/// A block's bytes, or where in the file they already are.
#[derive(Serialize, Deserialize)]
enum StoredBytes {
    Here(Vec<u8>),
    /// Those of the file's record with this index (from 0).
    SameAs(u32),
}

impl StoredBlock {
    fn new(block: &KnownBlock, bytes: StoredBytes) -> Self {
        Self {
            round: block.round.as_u32(),
            proposer: block.proposer,
            hash: block.hash,
            signature: block.signature.as_ref().map(|s| s.to_bytes().to_vec()),
            valid: block.validity.is_valid(),
            header: block.header.clone(),
            bytes,
        }
    }

    /// The block, its bytes found among `earlier` (the file's records before it).
    fn into_known(self, earlier: &[KnownBlock]) -> Result<KnownBlock, &'static str> {
        let bytes = match self.bytes {
            StoredBytes::Here(bytes) => Bytes::from(bytes),
            StoredBytes::SameAs(index) => {
                let same = earlier.get(index as usize).ok_or("a reference to a record that is not before it")?;
                // The file changed under the process that wrote it, if the record is another block's.
                if same.hash != self.hash || same.proposer != self.proposer {
                    return Err("a reference to another block's record");
                }
                same.bytes.clone()
            }
        };
        let signature = match self.signature {
            Some(bytes) => Some(Signature::try_from(bytes.as_slice()).map_err(|_| "a malformed signature")?),
            None => None,
        };
        Ok(KnownBlock {
            round: self.round.map_or(Round::Nil, Round::new),
            proposer: self.proposer,
            hash: self.hash,
            bytes,
            signature,
            validity: Validity::from_bool(self.valid),
            header: self.header,
        })
    }
}

/// The directory of proposed blocks; see the module's docs.
#[derive(Clone, Debug)]
pub(crate) struct ProposalStore {
    dir: PathBuf,
    /// Set when a failed write could not be cut off: every later write is refused.
    broken: Arc<AtomicBool>,
    /// The bytes of each record in each height's file, in order, to refer to them.
    written: Arc<Mutex<HashMap<Height, Vec<Bytes>>>>,
}

impl ProposalStore {
    /// Opens (or makes) the store in `dir` for the height after `tip`: deletes the files of
    /// every other height and returns the blocks it holds for that one (those built on `tip`).
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the directory or a file cannot be read or written.
    pub(crate) fn open(dir: &Path, tip: &Header) -> Result<(Self, Vec<KnownBlock>), ConsensusError> {
        std::fs::create_dir_all(dir).map_err(|e| ConsensusError::io(dir, e))?;
        // Its entry in the parent directory, once and for all.
        sync_dir(dir)?;
        let store = Self { dir: dir.to_path_buf(), broken: Arc::default(), written: Arc::default() };
        let next = Height(tip.height + 1);
        for entry in std::fs::read_dir(dir).map_err(|e| ConsensusError::io(dir, e))? {
            let path = entry.map_err(|e| ConsensusError::io(dir, e))?.path();
            if height_of(&path).is_some_and(|height| height != next) {
                remove(&path)?;
            }
        }
        let path = store.path(next);
        if !path.exists() {
            return Ok((store, Vec::new()));
        }
        let mut blocks = read_height(&path)?;
        store.written.lock().insert(next, blocks.iter().map(|block| block.bytes.clone()).collect());
        blocks.retain(|block| match &block.header {
            Some(header) if header.parent_hash != tip.hash => {
                tracing::warn!(hash = %block.hash, "a kept proposed block was built on another parent: dropped");
                false
            }
            _ => true,
        });
        Ok((store, blocks))
    }

    fn path(&self, height: Height) -> PathBuf {
        self.dir.join(format!("{}.{EXTENSION}", height.0))
    }

    /// Appends `block` to its height's file and syncs it (and the directory, for a new file).
    /// Bytes already in the file (the same block under another round) are not written again.
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when it cannot be written: the block must then get no vote.
    pub(crate) fn save(&self, height: Height, block: &KnownBlock) -> Result<(), ConsensusError> {
        let path = self.path(height);
        let io = |e| ConsensusError::io(&path, e);
        if self.broken.load(Ordering::SeqCst) {
            return Err(io(io::Error::other("an earlier failed write could not be undone; restart the validator")));
        }
        let mut written = self.written.lock();
        let records = written.entry(height).or_default();
        let same = records.iter().position(|bytes| same_bytes(bytes, &block.bytes));
        let bytes = match same {
            Some(index) => StoredBytes::SameAs(u32::try_from(index).expect("fewer records than 2^32")),
            None => StoredBytes::Here(block.bytes.to_vec()),
        };
        let payload = postcard::to_stdvec(&StoredBlock::new(block, bytes))
            .map_err(|e| io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let length = u32::try_from(payload.len())
            .map_err(|_| io(io::Error::new(io::ErrorKind::InvalidInput, "a block of 4 GiB or more")))?;
        let mut record = Vec::with_capacity(FRAME_BYTES + payload.len());
        record.extend_from_slice(&length.to_le_bytes());
        record.extend_from_slice(&checksum(&payload));
        record.extend_from_slice(&payload);

        let mut file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        let before = file.metadata().map_err(io)?.len();
        if let Err(e) = file.write_all(&record).and_then(|()| file.sync_data()) {
            // Cut off what part of the record made it, or refuse every later write.
            if file.set_len(before).and_then(|()| file.sync_data()).is_err() {
                self.broken.store(true, Ordering::SeqCst);
            }
            return Err(io(e));
        }
        // In the file now, whatever follows: later records may refer to it.
        records.push(block.bytes.clone());
        if before == 0 {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Deletes the files of every height through `height` (it is committed).
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the directory cannot be read or a file removed.
    pub(crate) fn forget_through(&self, height: Height) -> Result<(), ConsensusError> {
        self.written.lock().retain(|&h, _| h > height);
        for entry in std::fs::read_dir(&self.dir).map_err(|e| ConsensusError::io(&self.dir, e))? {
            let path = entry.map_err(|e| ConsensusError::io(&self.dir, e))?.path();
            if height_of(&path).is_some_and(|h| h <= height) {
                remove(&path)?;
            }
        }
        Ok(())
    }
}

/// Makes the entries of `dir` (files created, renamed or removed in it) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), ConsensusError> {
    File::open(dir).and_then(|dir| dir.sync_all()).map_err(|e| ConsensusError::io(dir, e))
}

/// The height a file of the store is for; `None` for anything else.
fn height_of(path: &Path) -> Option<Height> {
    if path.extension()? != EXTENSION {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok().map(Height)
}

fn checksum(payload: &[u8]) -> [u8; 8] {
    let hash = keccak256(payload);
    let mut sum = [0; 8];
    sum.copy_from_slice(&hash[..8]);
    sum
}

fn remove(path: &Path) -> Result<(), ConsensusError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(ConsensusError::io(path, e)),
        _ => Ok(()),
    }
}

/// Every whole record of a height's file. A torn tail (a write a crash cut short) is cut off;
/// a whole record that does not check or decode sets the file aside (`.damaged`) and leaves the
/// records before it in a new one.
fn read_height(path: &Path) -> Result<Vec<KnownBlock>, ConsensusError> {
    let io = |e| ConsensusError::io(path, e);
    let mut contents = Vec::new();
    File::open(path).and_then(|mut file| file.read_to_end(&mut contents)).map_err(io)?;
    let mut blocks = Vec::new();
    let mut rest = contents.as_slice();
    let ending = loop {
        match next_record(rest) {
            Record::End => break Ending::Whole,
            Record::Torn => break Ending::Torn,
            Record::Whole { checks: false, .. } => break Ending::Unreadable("a checksum that does not match".into()),
            Record::Whole { payload, tail, checks: true } => {
                let decoded = postcard::from_bytes::<StoredBlock>(payload)
                    .map_err(|e| e.to_string())
                    .and_then(|stored| stored.into_known(&blocks).map_err(str::to_string));
                match decoded {
                    Ok(block) => blocks.push(block),
                    Err(reason) => break Ending::Unreadable(reason),
                }
                rest = tail;
            }
        }
    };
    let whole = (contents.len() - rest.len()) as u64;
    match ending {
        Ending::Whole => {}
        Ending::Torn => {
            tracing::warn!(path = %path.display(), torn = rest.len(), "cutting off a proposed block the last stop cut short");
            let file = OpenOptions::new().write(true).open(path).map_err(io)?;
            file.set_len(whole).and_then(|()| file.sync_data()).map_err(io)?;
        }
        Ending::Unreadable(reason) => {
            let aside = path.with_extension(format!("{EXTENSION}.damaged"));
            tracing::error!(
                path = %path.display(), aside = %aside.display(), kept = blocks.len(),
                "a kept proposed block is unreadable ({reason}): the file is set aside"
            );
            std::fs::rename(path, &aside).map_err(io)?;
            let mut file = File::create(path).map_err(io)?;
            file.write_all(&contents[..whole as usize]).and_then(|()| file.sync_data()).map_err(io)?;
        }
    }
    Ok(blocks)
}

/// How a file's records end.
enum Ending {
    /// With the file.
    Whole,
    /// With less than a whole record: a write cut short.
    Torn,
    /// With a whole record that does not check or decode, and why.
    Unreadable(String),
}

/// What a file holds at some offset.
enum Record<'a> {
    /// Nothing: the end of the file.
    End,
    /// Less than a whole record: a write cut short.
    Torn,
    /// A whole record, whose checksum holds or not, and what follows it.
    Whole { payload: &'a [u8], tail: &'a [u8], checks: bool },
}

fn next_record(bytes: &[u8]) -> Record<'_> {
    if bytes.is_empty() {
        return Record::End;
    }
    let (Some(length), Some(sum)) = (bytes.get(..4), bytes.get(4..FRAME_BYTES)) else { return Record::Torn };
    let length = u32::from_le_bytes(length.try_into().expect("four bytes")) as usize;
    let Some(payload) = FRAME_BYTES.checked_add(length).and_then(|end| bytes.get(FRAME_BYTES..end)) else {
        return Record::Torn;
    };
    Record::Whole { payload, tail: &bytes[FRAME_BYTES + length..], checks: checksum(payload) == sum }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::ValidatorKey;

    fn tip(height: u64, hash: u8) -> Header {
        Header {
            height,
            hash: BlockHash([hash; 32]),
            parent_hash: BlockHash([0; 32]),
            time: 1_700_000_000,
            state_root: [0; 32],
        }
    }

    /// A valid block built on block `parent` (a hash byte).
    fn block(round: u32, bytes: &'static [u8], parent: u8) -> KnownBlock {
        let key = ValidatorKey::from_seed([3; 32]);
        KnownBlock {
            round: Round::new(round),
            proposer: key.address(),
            hash: BlockHash(keccak256(bytes)),
            bytes: Bytes::from_static(bytes),
            signature: Some(key.sign(bytes)),
            validity: Validity::Valid,
            header: Some(Header {
                height: 5,
                hash: BlockHash(keccak256(bytes)),
                parent_hash: BlockHash([parent; 32]),
                time: 1_700_000_000,
                state_root: [9; 32],
            }),
        }
    }

    fn summary(block: &KnownBlock) -> (Round, Address, BlockHash, Bytes, Option<Signature>, bool, Option<Header>) {
        let b = block.clone();
        (b.round, b.proposer, b.hash, b.bytes, b.signature, b.validity.is_valid(), b.header)
    }

    fn bytes_of(blocks: &[KnownBlock]) -> Vec<&[u8]> {
        blocks.iter().map(|b| &b.bytes[..]).collect()
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn blocks_of_the_next_height_come_back_after_a_restart_and_go_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert!(held.is_empty());
        let built = block(0, b"block a", 4);
        let synced =
            KnownBlock { validity: Validity::Invalid, header: None, signature: None, ..block(1, b"block b", 4) };
        store.save(Height(5), &built).unwrap();
        store.save(Height(5), &synced).unwrap();
        store.save(Height(7), &block(0, b"a height too far", 6)).unwrap();

        let (store, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(summary(&held[0]), summary(&built));
        assert_eq!(summary(&held[1]), summary(&synced));
        assert_eq!(files(dir.path()), vec!["5.blocks"], "only the next height's file stays");

        // Under another block 4 (the ledger was wiped and synced another way), the block
        // built on the old one is dropped; the invalid one, judged without a parent, stays.
        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 8)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block b"[..]]);

        store.forget_through(Height(5)).unwrap();
        assert!(files(dir.path()).is_empty());
        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert!(held.is_empty());
    }

    #[test]
    fn a_block_under_another_round_refers_to_its_bytes_and_comes_back_under_both() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        let first = block(0, b"the block's bytes", 4);
        let again = KnownBlock { round: Round::new(2), ..first.clone() };
        store.save(Height(5), &block(0, b"another block", 4)).unwrap();
        store.save(Height(5), &first).unwrap();
        store.save(Height(5), &again).unwrap();
        let file = std::fs::read(store.path(Height(5))).unwrap();
        assert_eq!(file.windows(17).filter(|w| *w == b"the block's bytes").count(), 1, "its bytes once");

        let (store, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(
            held.iter().map(summary).collect::<Vec<_>>(),
            vec![summary(&block(0, b"another block", 4)), summary(&first), summary(&again)]
        );
        // After the restart, a fourth round refers to the bytes found in the file.
        store.save(Height(5), &KnownBlock { round: Round::new(3), ..held[1].clone() }).unwrap();
        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(held.len(), 4);
        assert_eq!((held[3].round, &held[3].bytes[..]), (Round::new(3), &b"the block's bytes"[..]));
        let file = std::fs::read(dir.path().join("5.blocks")).unwrap();
        assert_eq!(file.windows(17).filter(|w| *w == b"the block's bytes").count(), 1);
    }

    #[test]
    fn a_reference_to_another_blocks_record_is_damage() {
        // A file whose first record was replaced (by hand, or by another process) under the
        // reference a later record makes to it.
        let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (store, _) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        let first = block(0, b"block a", 4);
        store.save(Height(5), &first).unwrap();
        store.save(Height(5), &KnownBlock { round: Round::new(1), ..first }).unwrap();
        let (elsewhere, _) = ProposalStore::open(other.path(), &tip(4, 4)).unwrap();
        elsewhere.save(Height(5), &block(0, b"block b", 4)).unwrap();
        let path = store.path(Height(5));
        let file = std::fs::read(&path).unwrap();
        let first_len = FRAME_BYTES + u32::from_le_bytes(file[..4].try_into().unwrap()) as usize;
        let mut swapped = std::fs::read(elsewhere.path(Height(5))).unwrap();
        swapped.extend_from_slice(&file[first_len..]);
        std::fs::write(&path, swapped).unwrap();

        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block b"[..]], "the reference is not taken for block b's round 1");
        assert!(dir.path().join("5.blocks.damaged").exists());
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_the_file_stays_appendable() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        store.save(Height(5), &block(0, b"block a", 4)).unwrap();
        let path = store.path(Height(5));
        let whole = std::fs::metadata(&path).unwrap().len();
        store.save(Height(5), &block(1, b"block b", 4)).unwrap();
        // A crash in the middle of the second write.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(whole + 10).unwrap();
        drop(file);

        let (store, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block a"[..]]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        store.save(Height(5), &block(2, b"block c", 4)).unwrap();
        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block a"[..], b"block c"]);
    }

    #[test]
    fn a_damaged_record_sets_the_file_aside_and_keeps_the_records_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        store.save(Height(5), &block(0, b"block a", 4)).unwrap();
        store.save(Height(5), &block(1, b"block b", 4)).unwrap();
        store.save(Height(5), &block(2, b"block c", 4)).unwrap();
        let path = store.path(Height(5));
        let original = std::fs::read(&path).unwrap();
        let mut damaged = original.clone();
        // A flipped bit in the middle record's payload.
        let second = FRAME_BYTES + u32::from_le_bytes(original[..4].try_into().unwrap()) as usize;
        damaged[second + FRAME_BYTES + 3] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not a height").unwrap();

        let (store, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block a"[..]]);
        assert_eq!(files(dir.path()), vec!["5.blocks", "5.blocks.damaged", "notes.txt"]);
        assert_eq!(std::fs::read(dir.path().join("5.blocks.damaged")).unwrap(), damaged, "kept as it was");
        store.save(Height(5), &block(3, b"block d", 4)).unwrap();
        let (_, held) = ProposalStore::open(dir.path(), &tip(4, 4)).unwrap();
        assert_eq!(bytes_of(&held), vec![&b"block a"[..], b"block d"]);
    }
}
