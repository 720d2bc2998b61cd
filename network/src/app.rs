//! The node as consensus's [`Application`]: [`NodeApp`] turns the engine's calls into
//! [`Node::build_block`], [`Node::verify_block`] and [`Node::commit_decided`], and the ledger's
//! headers into the engine's.
//!
//! The commit certificate is stored with its block as JSON ([`BlockCertificate`], the block's
//! *seal*), so `GET /v1/blocks/{height}` serves it and sync serves it back to peers.

use std::time::{Duration, Instant};

use tidepool_consensus::{
    Address, Application, BlockHash, BuiltBlock, Certificate, CommitSignature, DecidedBlock, Header, Verdict,
};
use tidepool_ledger::BlockHeader;
use tidepool_node::{BlockCertificate, CertificateSignature, Node, NodeError};

/// A Tidepool node driven by consensus.
pub struct NodeApp {
    node: Node,
    empty_block_interval: Duration,
}

impl NodeApp {
    /// `node` (opened with [`Mining::Network`](tidepool_node::Mining::Network)) as an
    /// application that proposes an empty block only after `empty_block_interval` without
    /// transactions (a block with transactions goes as soon as one waits).
    pub fn new(node: Node, empty_block_interval: Duration) -> NodeApp {
        NodeApp { node, empty_block_interval }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }
}

/// The engine's view of a ledger header.
pub fn consensus_header(header: &BlockHeader) -> Header {
    Header {
        height: header.height,
        hash: BlockHash(header.hash().0),
        parent_hash: BlockHash(header.parent_hash.0),
        time: header.time,
        state_root: header.state_root.0,
    }
}

impl Application for NodeApp {
    type Error = NodeError;

    fn last_committed(&self) -> Result<Header, NodeError> {
        let head = self.node.ledger().head().ok_or(tidepool_node::error::HostError::NoGenesis)?;
        Ok(consensus_header(&head))
    }

    fn first_retained_height(&self) -> Result<u64, NodeError> {
        // Bodies (transactions) are pruned through the oldest readable height.
        Ok(self.node.ledger().oldest_readable()?.saturating_add(1))
    }

    fn build_block(&self, height: u64, time: u64) -> Result<BuiltBlock, NodeError> {
        // An idle network makes a block per interval, not as many as consensus can decide.
        let waited = Instant::now();
        self.node.mempool().wait_for_txs(waited + self.empty_block_interval);
        let time = time + waited.elapsed().as_secs();
        let (header, bytes) = self.node.build_block(height, time)?;
        Ok(BuiltBlock { header: consensus_header(&header), bytes })
    }

    fn verify_block(&self, height: u64, block: &[u8]) -> Result<Verdict, NodeError> {
        Ok(match self.node.verify_block(height, block)? {
            Ok(header) => Verdict::Valid(consensus_header(&header)),
            Err(invalid) => {
                Verdict::Invalid { claimed: invalid.claimed.map(|hash| BlockHash(hash.0)), reason: invalid.reason }
            }
        })
    }

    fn commit(&self, height: u64, block: &[u8], certificate: &Certificate) -> Result<Header, NodeError> {
        let seal = serde_json::to_vec(&stored_certificate(certificate)).expect("certificates serialise");
        let header = self.node.commit_decided(height, block, &seal)?;
        Ok(consensus_header(&header))
    }

    fn decided_block(&self, height: u64) -> Result<Option<DecidedBlock>, NodeError> {
        let Some(bytes) = self.node.decided_block(height)? else { return Ok(None) };
        let Some(stored) = self.node.block_certificate(height)? else { return Ok(None) };
        let certificate = engine_certificate(&stored).map_err(|reason| {
            tidepool_node::error::HostError::CorruptRecord(format!("the certificate of block {height}: {reason}"))
        })?;
        Ok(Some(DecidedBlock { bytes, certificate }))
    }
}

/// The certificate as the node stores and serves it.
pub fn stored_certificate(certificate: &Certificate) -> BlockCertificate {
    BlockCertificate {
        height: certificate.height,
        round: certificate.round,
        block_hash: tidepool_ledger::Hash(certificate.block_hash.0),
        signatures: certificate
            .signatures
            .iter()
            .map(|commit| CertificateSignature {
                validator: commit.validator.to_string(),
                signature: format!("0x{}", hex::encode(&commit.signature)),
            })
            .collect(),
    }
}

/// The engine's certificate from the stored one (or from a block's `certificate` as the API
/// serves it), to [`Certificate::verify`] it.
///
/// # Errors
/// A validator address or signature that is not hex, an address that is not 20 bytes.
pub fn engine_certificate(stored: &BlockCertificate) -> Result<Certificate, String> {
    let signatures = stored
        .signatures
        .iter()
        .map(|commit| {
            let validator: [u8; 20] = decode_hex(&commit.validator)?
                .try_into()
                .map_err(|_| format!("validator {} is not 20 bytes", commit.validator))?;
            Ok(CommitSignature { validator: Address(validator), signature: decode_hex(&commit.signature)? })
        })
        .collect::<Result<_, String>>()?;
    Ok(Certificate {
        height: stored.height,
        round: stored.round,
        block_hash: BlockHash(stored.block_hash.0),
        signatures,
    })
}

fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text)).map_err(|e| format!("{text:?}: {e}"))
}
