//! The commit certificate, in a form the application can store and serve without knowing the
//! engine: the precommit signatures of more than 2/3 of the voting power for one block.

use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature as EngineCommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature,
    NilOrVal, Round, VoteType,
};
use malachitebft_signing_ed25519::Signature;
use serde::{Deserialize, Serialize};

use crate::context::{Address, BlockHash, Height, TidepoolContext, ValidatorSet, Vote};
use crate::network_id::NetworkId;
use crate::signing::vote_bytes;

/// A commit certificate: the block `block_hash` was decided at `height` in `round`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The decided height.
    pub height: u64,
    /// The round in which it was decided.
    pub round: u32,
    /// The decided block.
    pub block_hash: BlockHash,
    /// The precommits for it, by validator address.
    pub signatures: Vec<CommitSignature>,
}

/// One validator's precommit signature in a [`Certificate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSignature {
    /// The validator.
    pub validator: Address,
    /// Its ed25519 signature (64 bytes) over the precommit (`signing::vote_bytes`).
    pub signature: Vec<u8>,
}

/// Why a [`Certificate`] does not prove a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// A signature is by no validator of the set, or appears twice.
    #[error("signature by {0}, who is not a validator or signed twice")]
    UnknownSigner(Address),
    /// A signature does not verify.
    #[error("bad signature by {0}")]
    BadSignature(Address),
    /// The valid signatures hold 2/3 of the voting power or less.
    #[error("signers hold {signed} of {total} voting power, not more than 2/3")]
    NoQuorum {
        /// The voting power that signed.
        signed: u64,
        /// The set's total voting power.
        total: u64,
    },
}

impl Certificate {
    /// Checks that more than 2/3 of the voting power of `validators` precommitted this block
    /// on `network` (a precommit signed on another network does not count).
    ///
    /// # Errors
    /// The first [`CertificateError`] found.
    pub fn verify(&self, network: &NetworkId, validators: &ValidatorSet) -> Result<(), CertificateError> {
        let mut signed = 0u64;
        let mut seen = std::collections::BTreeSet::new();
        for commit in &self.signatures {
            let validator = validators
                .validators()
                .iter()
                .find(|v| v.address == commit.validator)
                .filter(|_| seen.insert(commit.validator))
                .ok_or(CertificateError::UnknownSigner(commit.validator))?;
            let signature = Signature::try_from(commit.signature.as_slice())
                .map_err(|_| CertificateError::BadSignature(commit.validator))?;
            let precommit = Vote {
                vote_type: VoteType::Precommit,
                height: Height(self.height),
                round: Round::new(self.round),
                value: NilOrVal::Val(self.block_hash),
                voter: commit.validator,
                extension: None,
            };
            validator
                .public_key
                .verify(&vote_bytes(network, &precommit), &signature)
                .map_err(|_| CertificateError::BadSignature(commit.validator))?;
            signed += validator.voting_power;
        }
        let total: u64 = validators.validators().iter().map(|v| v.voting_power).sum();
        // More than 2/3, in integers: 3 * signed > 2 * total.
        if u128::from(signed) * 3 > u128::from(total) * 2 {
            Ok(())
        } else {
            Err(CertificateError::NoQuorum { signed, total })
        }
    }

    /// The certificate's encoding for storage (postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a certificate serializes")
    }

    /// Decodes [`Certificate::to_bytes`].
    ///
    /// # Errors
    /// When `bytes` are not a certificate.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    pub(crate) fn from_engine(certificate: &CommitCertificate<TidepoolContext>) -> Self {
        Self {
            height: certificate.height.0,
            round: certificate.round.as_u32().unwrap_or(0),
            block_hash: certificate.value_id,
            signatures: certificate
                .commit_signatures
                .iter()
                .map(|s| CommitSignature { validator: s.address, signature: s.signature.to_bytes().to_vec() })
                .collect(),
        }
    }

    /// The engine's form, for a peer's sync request. Signatures that are not 64 bytes cannot
    /// have been stored by [`Certificate::from_engine`]; they are left out (the peer then finds
    /// the certificate short and asks someone else).
    pub(crate) fn to_engine(&self) -> ExtendedCommitCertificate<TidepoolContext> {
        ExtendedCommitCertificate {
            height: Height(self.height),
            round: Round::new(self.round),
            value_id: self.block_hash,
            commit_signatures: self
                .signatures
                .iter()
                .filter_map(|s| {
                    let signature = Signature::try_from(s.signature.as_slice()).ok()?;
                    Some(ExtendedCommitSignature::new(s.validator, signature, None))
                })
                .collect(),
        }
    }
}

impl From<&Certificate> for CommitCertificate<TidepoolContext> {
    fn from(certificate: &Certificate) -> Self {
        let extended = certificate.to_engine();
        CommitCertificate {
            height: extended.height,
            round: extended.round,
            value_id: extended.value_id,
            commit_signatures: extended
                .commit_signatures
                .into_iter()
                .map(|s| EngineCommitSignature::new(s.address, s.signature))
                .collect(),
        }
    }
}
