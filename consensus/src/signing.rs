//! Validator keys and the signing provider: what a validator signs (votes, proposals, proposal
//! streams, the proof binding its key to its libp2p identity) and how the others check it.
//!
//! Every signed message is a domain tag, the [`NetworkId`], then the message's fields in a fixed
//! binary layout: a signature over one kind of message can never pass for another, nor one made
//! on one network for anything on another (see `network_id.rs`) — the proof a validator gives
//! its peers when it connects included, so a peer of another network is disconnected at once.

use std::path::Path;

use async_trait::async_trait;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::core::{
    NilOrVal, Round, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType,
};
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_signing::{Error as SigningError, VerificationResult};
use malachitebft_signing_ed25519::{PrivateKey, PublicKey, Signature};
use serde::{Deserialize, Serialize};

use crate::context::{Address, Height, Proposal, TidepoolContext, Vote};
use crate::error::ConsensusError;
use crate::network_id::NetworkId;

/// A validator's ed25519 key. Its public half is what the validator set lists; the same key
/// is the node's libp2p identity, so a validator has one secret to keep.
#[derive(Clone)]
pub struct ValidatorKey {
    private_key: PrivateKey,
}

impl std::fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("ValidatorKey").field("address", &self.address()).finish()
    }
}

/// The key file: the secret seed and, for whoever reads the file, what it derives.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    address: String,
    public_key: String,
    private_key: String,
}

impl ValidatorKey {
    /// The key with this 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { private_key: PrivateKey::from(seed) }
    }

    /// A fresh key from the operating system's random source.
    ///
    /// # Errors
    /// [`ConsensusError::Key`] when the random source fails.
    pub fn generate() -> Result<Self, ConsensusError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| ConsensusError::Key(format!("no randomness for a new key: {e}")))?;
        Ok(Self::from_seed(seed))
    }

    /// The public key, as the validator set lists it.
    pub fn public_key(&self) -> PublicKey {
        self.private_key.public_key()
    }

    /// The validator's address.
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.public_key())
    }

    /// Writes the key to `path` as JSON (address, public key, secret seed in hex), readable by
    /// its owner only.
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), ConsensusError> {
        let file = KeyFile {
            address: self.address().to_string(),
            public_key: hex::encode(self.public_key().as_bytes()),
            private_key: hex::encode(self.private_key.inner().to_bytes()),
        };
        let json = serde_json::to_vec_pretty(&file).expect("a key file serializes");
        write_private(path, &json).map_err(|e| ConsensusError::io(path, e))
    }

    /// Reads a key written by [`ValidatorKey::save`].
    ///
    /// # Errors
    /// [`ConsensusError::Io`] when the file cannot be read, [`ConsensusError::Key`] when it is
    /// not a key file or its public key does not match its secret.
    pub fn load(path: &Path) -> Result<Self, ConsensusError> {
        let json = std::fs::read(path).map_err(|e| ConsensusError::io(path, e))?;
        let file: KeyFile =
            serde_json::from_slice(&json).map_err(|e| ConsensusError::Key(format!("{}: {e}", path.display())))?;
        let seed: [u8; 32] = hex::decode(&file.private_key)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| ConsensusError::Key(format!("{}: bad private key", path.display())))?;
        let key = Self::from_seed(seed);
        if hex::encode(key.public_key().as_bytes()) != file.public_key {
            return Err(ConsensusError::Key(format!(
                "{}: the public key does not match the private key",
                path.display()
            )));
        }
        Ok(key)
    }

    /// The libp2p identity made from the same secret.
    pub(crate) fn libp2p_keypair(&self) -> Keypair {
        Keypair::ed25519_from_bytes(self.private_key.inner().to_bytes())
            .expect("an ed25519 seed is a libp2p ed25519 secret")
    }

    pub(crate) fn sign(&self, bytes: &[u8]) -> Signature {
        self.private_key.sign(bytes)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

fn round_bytes(round: Round) -> [u8; 8] {
    round.as_i64().to_be_bytes()
}

/// The start of every signed message: its kind's tag, then the network.
fn signed_message(tag: &[u8], network: &NetworkId) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(160);
    bytes.extend_from_slice(tag);
    bytes.extend_from_slice(&network.0);
    bytes
}

/// What a vote's signature covers.
pub(crate) fn vote_bytes(network: &NetworkId, vote: &Vote) -> Vec<u8> {
    let mut bytes = signed_message(b"tidepool/vote/v2", network);
    bytes.push(match vote.vote_type {
        VoteType::Prevote => 0,
        VoteType::Precommit => 1,
    });
    bytes.extend_from_slice(&vote.height.0.to_be_bytes());
    bytes.extend_from_slice(&round_bytes(vote.round));
    match vote.value {
        NilOrVal::Nil => bytes.push(0),
        NilOrVal::Val(hash) => {
            bytes.push(1);
            bytes.extend_from_slice(&hash.0);
        }
    }
    bytes.extend_from_slice(&vote.voter.0);
    bytes
}

/// What a proposal's signature covers.
pub(crate) fn proposal_bytes(network: &NetworkId, proposal: &Proposal) -> Vec<u8> {
    let mut bytes = signed_message(b"tidepool/proposal/v2", network);
    bytes.extend_from_slice(&proposal.height.0.to_be_bytes());
    bytes.extend_from_slice(&round_bytes(proposal.round));
    bytes.extend_from_slice(&proposal.value.0);
    bytes.extend_from_slice(&round_bytes(proposal.pol_round));
    bytes.extend_from_slice(&proposal.proposer.0);
    bytes
}

/// What the `Fin` of a proposal stream signs: the height, the proposer and the keccak256 of
/// the block's bytes. Not the round: a block re-proposed in a later round is streamed again with
/// its first signature (the signed `Proposal` message is what binds a block to a round).
pub(crate) fn proposal_stream_bytes(network: &NetworkId, height: Height, proposer: Address, block: &[u8]) -> Vec<u8> {
    let mut bytes = signed_message(b"tidepool/proposal-stream/v2", network);
    bytes.extend_from_slice(&height.0.to_be_bytes());
    bytes.extend_from_slice(&proposer.0);
    bytes.extend_from_slice(&tidepool_keccak::keccak256(block));
    bytes
}

/// What the proof that binds a validator key to its libp2p peer id signs: Malachite's layout
/// ([`ValidatorProof::signing_bytes`]) after our tag and the network, so that a peer of another
/// network fails the handshake and is disconnected, rather than connecting and sending messages
/// that fail one by one.
///
/// Malachite's docs ask for its layout alone; only our [`KeyVerifier`] checks these proofs (the
/// engine's one check calls it), so both sides agree. Check again on a Malachite upgrade.
fn validator_proof_bytes(network: &NetworkId, public_key: &[u8], peer_id: &[u8]) -> Vec<u8> {
    let mut bytes = signed_message(b"tidepool/validator-proof/v1", network);
    bytes.extend_from_slice(&ValidatorProof::<TidepoolContext>::signing_bytes(public_key, peer_id));
    bytes
}

fn extension_bytes(network: &NetworkId, scope: &VoteExtensionScope<TidepoolContext>) -> Vec<u8> {
    let mut bytes = signed_message(b"tidepool/vote-extension/v2", network);
    bytes.extend_from_slice(&scope.height.0.to_be_bytes());
    bytes.extend_from_slice(&round_bytes(scope.round));
    bytes.extend_from_slice(&scope.value_id.0);
    bytes.extend_from_slice(&scope.validator_address.0);
    bytes
}

fn verified(public_key: &PublicKey, bytes: &[u8], signature: &Signature) -> VerificationResult {
    VerificationResult::from_bool(public_key.verify(bytes, signature).is_ok())
}

/// Signs for one validator with its [`ValidatorKey`], on one network; handed to the engine.
pub(crate) struct KeySigner {
    pub(crate) key: ValidatorKey,
    pub(crate) network: NetworkId,
}

#[async_trait]
impl Signer<TidepoolContext> for KeySigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<TidepoolContext, Vote>, SigningError> {
        let signature = self.key.sign(&vote_bytes(&self.network, &vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<TidepoolContext, Proposal>, SigningError> {
        let signature = self.key.sign(&proposal_bytes(&self.network, &proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<TidepoolContext>,
        extension: (),
    ) -> Result<SignedMessage<TidepoolContext, ()>, SigningError> {
        Ok(SignedMessage::new(extension, self.key.sign(&extension_bytes(&self.network, &scope))))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<TidepoolContext>, SigningError> {
        let signature = self.key.sign(&validator_proof_bytes(&self.network, &public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Checks ed25519 signatures for the engine, made on one network; holds no key.
pub(crate) struct KeyVerifier {
    pub(crate) network: NetworkId,
}

#[async_trait]
impl Verifier<TidepoolContext> for KeyVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(verified(public_key, &vote_bytes(&self.network, vote), signature))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(verified(public_key, &proposal_bytes(&self.network, proposal), signature))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<TidepoolContext>,
        _extension: &(),
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(verified(public_key, &extension_bytes(&self.network, scope), signature))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<TidepoolContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(bytes) = <[u8; 32]>::try_from(proof.public_key.as_slice()) else {
            return Ok(VerificationResult::Invalid);
        };
        let Ok(public_key) = PublicKey::from_bytes(bytes) else {
            return Ok(VerificationResult::Invalid);
        };
        let signed = validator_proof_bytes(&self.network, &proof.public_key, &proof.peer_id);
        Ok(verified(&public_key, &signed, &proof.signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BlockHash;
    use tempfile::tempdir;

    #[test]
    fn a_key_survives_its_file() {
        let dir = tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = ValidatorKey::from_seed([7; 32]);
        key.save(&path).unwrap();
        let loaded = ValidatorKey::load(&path).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        assert_eq!(loaded.address(), key.address());
    }

    #[test]
    fn a_key_file_whose_public_key_lies_is_refused() {
        let dir = tempdir().unwrap();
        let path = dir.path().join("key.json");
        ValidatorKey::from_seed([7; 32]).save(&path).unwrap();
        let other = hex::encode(ValidatorKey::from_seed([8; 32]).public_key().as_bytes());
        let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["public_key"] = other.into();
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        assert!(matches!(ValidatorKey::load(&path), Err(ConsensusError::Key(_))));
    }

    #[tokio::test]
    async fn a_vote_signature_covers_the_vote() {
        let key = ValidatorKey::from_seed([1; 32]);
        let vote = Vote {
            vote_type: VoteType::Precommit,
            height: Height(3),
            round: Round::new(1),
            value: NilOrVal::Val(BlockHash([9; 32])),
            voter: key.address(),
            extension: None,
        };
        let ours = NetworkId([1; 32]);
        let signed = KeySigner { key: key.clone(), network: ours }.sign_vote(vote.clone()).await.unwrap();
        let public_key = key.public_key();
        let valid = async |network: NetworkId, vote: Vote| {
            KeyVerifier { network }.verify_signed_vote(&vote, &signed.signature, &public_key).await.unwrap().is_valid()
        };
        assert!(valid(ours, vote.clone()).await);
        assert!(!valid(ours, Vote { value: NilOrVal::Nil, ..vote.clone() }).await);
        assert!(!valid(ours, Vote { vote_type: VoteType::Prevote, ..vote.clone() }).await);
        assert!(!valid(NetworkId([2; 32]), vote).await, "a vote made on one network counts on another");
    }

    /// The layouts docs/network.md gives, field by field, for anyone who checks a signature
    /// outside this crate.
    #[test]
    fn signed_bytes_have_the_documented_layout() {
        let network = NetworkId([0xee; 32]);
        let voter = Address([0xaa; 20]);
        let concat = |parts: &[&[u8]]| parts.concat();
        let vote = |value| Vote {
            vote_type: VoteType::Precommit,
            height: Height(5),
            round: Round::new(2),
            value,
            voter,
            extension: None,
        };
        let (five, two) = (5u64.to_be_bytes(), 2i64.to_be_bytes());
        assert_eq!(
            vote_bytes(&network, &vote(NilOrVal::Val(BlockHash([0xbb; 32])))),
            concat(&[b"tidepool/vote/v2", &network.0, &[1], &five, &two, &[1], &[0xbb; 32], &voter.0])
        );
        assert_eq!(
            vote_bytes(&network, &vote(NilOrVal::Nil)),
            concat(&[b"tidepool/vote/v2", &network.0, &[1], &five, &two, &[0], &voter.0])
        );
        let proposal = Proposal {
            height: Height(5),
            round: Round::new(2),
            value: BlockHash([0xbb; 32]),
            pol_round: Round::Nil,
            proposer: voter,
        };
        assert_eq!(
            proposal_bytes(&network, &proposal),
            concat(&[b"tidepool/proposal/v2", &network.0, &five, &two, &[0xbb; 32], &(-1i64).to_be_bytes(), &voter.0])
        );
        assert_eq!(
            proposal_stream_bytes(&network, Height(5), voter, b"block"),
            concat(&[
                b"tidepool/proposal-stream/v2",
                &network.0,
                &five,
                &voter.0,
                &tidepool_keccak::keccak256(b"block")
            ])
        );
    }

    #[tokio::test]
    async fn a_proposal_signature_covers_its_network() {
        let key = ValidatorKey::from_seed([1; 32]);
        let proposal = Proposal {
            height: Height(3),
            round: Round::new(0),
            value: BlockHash([9; 32]),
            pol_round: Round::Nil,
            proposer: key.address(),
        };
        let ours = NetworkId([1; 32]);
        let signed = KeySigner { key: key.clone(), network: ours }.sign_proposal(proposal.clone()).await.unwrap();
        let valid = async |network: NetworkId| {
            KeyVerifier { network }
                .verify_signed_proposal(&proposal, &signed.signature, &key.public_key())
                .await
                .unwrap()
                .is_valid()
        };
        assert!(valid(ours).await);
        assert!(!valid(NetworkId([2; 32])).await, "a proposal made on one network counts on another");
    }

    #[tokio::test]
    async fn a_validator_proof_covers_its_network() {
        let key = ValidatorKey::from_seed([1; 32]);
        let ours = NetworkId([1; 32]);
        let proof = KeySigner { key: key.clone(), network: ours }
            .sign_validator_proof(key.public_key().as_bytes().to_vec(), b"peer id".to_vec())
            .await
            .unwrap();
        let valid =
            async |network: NetworkId| KeyVerifier { network }.verify_validator_proof(&proof).await.unwrap().is_valid();
        assert!(valid(ours).await);
        assert!(!valid(NetworkId([2; 32])).await, "a peer of another network passes the handshake");
    }

    #[test]
    fn a_proposal_stream_signature_covers_its_network() {
        let key = ValidatorKey::from_seed([1; 32]);
        let signature = key.sign(&proposal_stream_bytes(&NetworkId([1; 32]), Height(3), key.address(), b"block"));
        let verifies = |network: NetworkId| {
            key.public_key()
                .verify(&proposal_stream_bytes(&network, Height(3), key.address(), b"block"), &signature)
                .is_ok()
        };
        assert!(verifies(NetworkId([1; 32])));
        assert!(!verifies(NetworkId([2; 32])));
    }
}
