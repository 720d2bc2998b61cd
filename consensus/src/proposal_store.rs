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
//! private `StoredBlock`). A block is written once per height whatever the rounds it comes back
//! in, so replays of a signed stream under other rounds cost no disk. A crash can leave a torn
//! last record; it was never acknowledged to the engine, so `open` cuts it off.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{Round, Validity};
use malachitebft_signing_ed25519::Signature;
use serde::{Deserialize, Serialize};
use tidepool_keccak::keccak256;

use crate::app::Header;
use crate::context::{Address, BlockHash, Height};
use crate::error::ConsensusError;
use crate::proposals::KnownBlock;

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
    bytes: Vec<u8>,
}

impl StoredBlock {
    fn new(block: &KnownBlock) -> Self {
        Self {
            round: block.round.as_u32(),
            proposer: block.proposer,
            hash: block.hash,
            signature: block.signature.as_ref().map(|s| s.to_bytes().to_vec()),
            valid: block.validity.is_valid(),
            header: block.header.clone(),
            bytes: block.bytes.to_vec(),
        }
    }

    fn into_known(self) -> Result<KnownBlock, &'static str> {
        let signature = match self.signature {
            Some(bytes) => Some(Signature::try_from(bytes.as_slice()).map_err(|_| "a malformed signature")?),
            None => None,
        };
        Ok(KnownBlock {
            round: self.round.map_or(Round::Nil, Round::new),
            proposer: self.proposer,
            hash: self.hash,
            bytes: Bytes::from(self.bytes),
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
}

impl ProposalStore {
    /// Opens (or makes) the store in `dir`, deletes the heights through `committed`, and
    /// returns the blocks it holds for later ones, lowest height first.
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the directory or a file cannot be read or written, or a
    /// record that passes its checksum does not decode (written by another version).
    pub(crate) fn open(dir: &Path, committed: Height) -> Result<(Self, Vec<(Height, KnownBlock)>), ConsensusError> {
        std::fs::create_dir_all(dir).map_err(|e| ConsensusError::io(dir, e))?;
        let store = Self { dir: dir.to_path_buf() };
        let mut heights = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| ConsensusError::io(dir, e))? {
            let path = entry.map_err(|e| ConsensusError::io(dir, e))?.path();
            if let Some(height) = height_of(&path) {
                heights.push(height);
            }
        }
        heights.sort_unstable();
        let mut blocks = Vec::new();
        for height in heights {
            let path = store.path(height);
            if height <= committed {
                remove(&path)?;
                continue;
            }
            for block in read_height(&path)? {
                blocks.push((height, block));
            }
        }
        Ok((store, blocks))
    }

    fn path(&self, height: Height) -> PathBuf {
        self.dir.join(format!("{}.{EXTENSION}", height.0))
    }

    /// Appends `block` to its height's file and syncs it (and the directory, for a new file).
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when it cannot be written: the block must then get no vote.
    pub(crate) fn save(&self, height: Height, block: &KnownBlock) -> Result<(), ConsensusError> {
        let path = self.path(height);
        let io = |e| ConsensusError::io(&path, e);
        let payload = postcard::to_stdvec(&StoredBlock::new(block))
            .map_err(|e| io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let length = u32::try_from(payload.len())
            .map_err(|_| io(io::Error::new(io::ErrorKind::InvalidInput, "a block of 4 GiB or more")))?;
        let mut record = Vec::with_capacity(FRAME_BYTES + payload.len());
        record.extend_from_slice(&length.to_le_bytes());
        record.extend_from_slice(&checksum(&payload));
        record.extend_from_slice(&payload);

        let created = !path.exists();
        let mut file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        file.write_all(&record).map_err(io)?;
        file.sync_data().map_err(io)?;
        if created {
            File::open(&self.dir).and_then(|dir| dir.sync_all()).map_err(|e| ConsensusError::io(&self.dir, e))?;
        }
        Ok(())
    }

    /// Deletes the files of every height through `height` (it is committed).
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the directory cannot be read or a file removed.
    pub(crate) fn forget_through(&self, height: Height) -> Result<(), ConsensusError> {
        for entry in std::fs::read_dir(&self.dir).map_err(|e| ConsensusError::io(&self.dir, e))? {
            let path = entry.map_err(|e| ConsensusError::io(&self.dir, e))?.path();
            if height_of(&path).is_some_and(|h| h <= height) {
                remove(&path)?;
            }
        }
        Ok(())
    }
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

/// Every whole record of a height's file; a torn tail (a write a crash cut short) is cut off.
fn read_height(path: &Path) -> Result<Vec<KnownBlock>, ConsensusError> {
    let io = |e| ConsensusError::io(path, e);
    let mut contents = Vec::new();
    File::open(path).and_then(|mut file| file.read_to_end(&mut contents)).map_err(io)?;
    let mut blocks = Vec::new();
    let mut rest = contents.as_slice();
    while let Some((payload, tail)) = next_record(rest) {
        let block = postcard::from_bytes::<StoredBlock>(payload)
            .map_err(|e| e.to_string())
            .and_then(|stored| stored.into_known().map_err(str::to_string))
            .map_err(|reason| io(io::Error::new(io::ErrorKind::InvalidData, format!("a stored block: {reason}"))))?;
        blocks.push(block);
        rest = tail;
    }
    if !rest.is_empty() {
        let whole = (contents.len() - rest.len()) as u64;
        tracing::warn!(path = %path.display(), torn = rest.len(), "cutting off a proposed block the last stop cut short");
        let file = OpenOptions::new().write(true).open(path).map_err(io)?;
        file.set_len(whole).and_then(|()| file.sync_data()).map_err(io)?;
    }
    Ok(blocks)
}

/// The first record's payload and what follows it; `None` when `bytes` does not start with a
/// whole record whose checksum holds.
fn next_record(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let sum = bytes.get(4..FRAME_BYTES)?;
    let payload = bytes.get(FRAME_BYTES..FRAME_BYTES.checked_add(length)?)?;
    (checksum(payload) == sum).then(|| (payload, &bytes[FRAME_BYTES + length..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::ValidatorKey;

    fn block(round: u32, bytes: &'static [u8], signed: bool) -> KnownBlock {
        let key = ValidatorKey::from_seed([3; 32]);
        KnownBlock {
            round: Round::new(round),
            proposer: key.address(),
            hash: BlockHash(keccak256(bytes)),
            bytes: Bytes::from_static(bytes),
            signature: signed.then(|| key.sign(bytes)),
            validity: Validity::Valid,
            header: Some(Header {
                height: 5,
                hash: BlockHash(keccak256(bytes)),
                parent_hash: BlockHash([4; 32]),
                time: 1_700_000_000,
                state_root: [9; 32],
            }),
        }
    }

    fn summary(block: &KnownBlock) -> (Round, Address, BlockHash, Bytes, Option<Signature>, bool, Option<Header>) {
        let b = block.clone();
        (b.round, b.proposer, b.hash, b.bytes, b.signature, b.validity.is_valid(), b.header)
    }

    #[test]
    fn blocks_come_back_after_a_restart_and_go_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, held) = ProposalStore::open(dir.path(), Height(4)).unwrap();
        assert!(held.is_empty());
        let built = block(0, b"block a", true);
        let synced = KnownBlock { validity: Validity::Invalid, header: None, ..block(1, b"block b", false) };
        store.save(Height(5), &built).unwrap();
        store.save(Height(5), &synced).unwrap();
        store.save(Height(6), &block(0, b"block c", true)).unwrap();

        let (store, held) = ProposalStore::open(dir.path(), Height(4)).unwrap();
        let heights: Vec<u64> = held.iter().map(|(h, _)| h.0).collect();
        assert_eq!(heights, vec![5, 5, 6]);
        assert_eq!(summary(&held[0].1), summary(&built));
        assert_eq!(summary(&held[1].1), summary(&synced));

        store.forget_through(Height(5)).unwrap();
        let (_, held) = ProposalStore::open(dir.path(), Height(4)).unwrap();
        assert_eq!(held.iter().map(|(h, _)| h.0).collect::<Vec<_>>(), vec![6]);

        // Opening after a commit the loop did not get to forget deletes it all the same.
        let (_, held) = ProposalStore::open(dir.path(), Height(6)).unwrap();
        assert!(held.is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_the_file_stays_appendable() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ProposalStore::open(dir.path(), Height(0)).unwrap();
        store.save(Height(5), &block(0, b"block a", true)).unwrap();
        let path = store.path(Height(5));
        let whole = std::fs::metadata(&path).unwrap().len();
        store.save(Height(5), &block(1, b"block b", true)).unwrap();
        // A crash in the middle of the second write.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(whole + 10).unwrap();
        drop(file);

        let (store, held) = ProposalStore::open(dir.path(), Height(0)).unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(&held[0].1.bytes[..], b"block a");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        store.save(Height(5), &block(2, b"block c", true)).unwrap();
        let (_, held) = ProposalStore::open(dir.path(), Height(0)).unwrap();
        assert_eq!(held.iter().map(|(_, b)| &b.bytes[..]).collect::<Vec<_>>(), vec![&b"block a"[..], b"block c"]);
    }

    #[test]
    fn a_record_with_a_bad_checksum_ends_the_file_and_other_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ProposalStore::open(dir.path(), Height(0)).unwrap();
        store.save(Height(5), &block(0, b"block a", true)).unwrap();
        let path = store.path(Height(5));
        let mut contents = std::fs::read(&path).unwrap();
        let last = contents.len() - 1;
        contents[last] ^= 1;
        std::fs::write(&path, contents).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not a height").unwrap();
        std::fs::write(dir.path().join("x.blocks"), b"not a height either").unwrap();

        let (_, held) = ProposalStore::open(dir.path(), Height(0)).unwrap();
        assert!(held.is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(dir.path().join("notes.txt").exists());
    }
}
