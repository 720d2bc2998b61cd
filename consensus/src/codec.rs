//! One codec for everything the engine puts on the wire, in its write-ahead log and in sync
//! messages: [`WireCodec`].
//!
//! Each engine type has a plain serde mirror here (its "wire form"), encoded with postcard. The
//! mirrors are private and exhaustive, so the format is written down in one file and a change to
//! an engine type fails to compile here instead of changing the format silently. Signatures,
//! public keys and peer ids travel as bytes and are checked when decoded.

use bytes::Bytes;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate, PolkaSignature, Round,
    RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};
use malachitebft_signing_ed25519::Signature;
use malachitebft_sync::{ValueRequest, ValueResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::context::{Address, BlockHash, Height, Proposal, ProposalPart, TidepoolContext, Vote};

/// The codec handed to the engine for the network, sync and the write-ahead log.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireCodec;

/// Bytes that are not a message of the expected type.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Not the postcard encoding of the wire form.
    #[error("undecodable message: {0}")]
    Postcard(#[from] postcard::Error),
    /// The encoding decodes, but a field is out of range (a signature of the wrong length, an
    /// unparsable peer id).
    #[error("malformed message: {0}")]
    Malformed(&'static str),
}

/// An engine type and its serde mirror.
trait Wire: Sized {
    type Form: Serialize + DeserializeOwned;

    fn to_wire(&self) -> Self::Form;

    fn from_wire(form: Self::Form) -> Result<Self, CodecError>;
}

macro_rules! codec_for {
    ($($ty:ty),* $(,)?) => {$(
        impl Codec<$ty> for WireCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$ty, CodecError> {
                <$ty as Wire>::from_wire(postcard::from_bytes(&bytes)?)
            }

            fn encode(&self, message: &$ty) -> Result<Bytes, CodecError> {
                Ok(postcard::to_stdvec(&message.to_wire())?.into())
            }
        }
    )*};
}

codec_for!(
    ProposalPart,
    StreamMessage<ProposalPart>,
    SignedConsensusMsg<TidepoolContext>,
    LivenessMsg<TidepoolContext>,
    ValidatorProof<TidepoolContext>,
    ProposedValue<TidepoolContext>,
    PolkaCertificate<TidepoolContext>,
    Status<TidepoolContext>,
    Request<TidepoolContext>,
    Response<TidepoolContext>,
);

impl HasEncodedLen<Response<TidepoolContext>> for WireCodec {
    fn encoded_len(&self, response: &Response<TidepoolContext>) -> Result<usize, CodecError> {
        Ok(postcard::to_stdvec(&response.to_wire())?.len())
    }
}

type SignatureBytes = Vec<u8>;

fn signature(bytes: &[u8]) -> Result<Signature, CodecError> {
    Signature::try_from(bytes).map_err(|_| CodecError::Malformed("signature"))
}

fn signature_bytes(signature: &Signature) -> SignatureBytes {
    signature.to_bytes().to_vec()
}

fn round_from(round: Option<u32>) -> Round {
    round.map_or(Round::Nil, Round::new)
}

fn nil_or(value: &NilOrVal<BlockHash>) -> Option<BlockHash> {
    match value {
        NilOrVal::Nil => None,
        NilOrVal::Val(hash) => Some(*hash),
    }
}

fn nil_or_from(value: Option<BlockHash>) -> NilOrVal<BlockHash> {
    value.map_or(NilOrVal::Nil, NilOrVal::Val)
}

fn is_precommit(vote_type: VoteType) -> bool {
    vote_type == VoteType::Precommit
}

fn vote_type(precommit: bool) -> VoteType {
    if precommit { VoteType::Precommit } else { VoteType::Prevote }
}

#[derive(Serialize, Deserialize)]
struct VoteForm {
    precommit: bool,
    height: u64,
    round: Option<u32>,
    value: Option<BlockHash>,
    voter: Address,
    extension: Option<SignatureBytes>,
}

impl Wire for Vote {
    type Form = VoteForm;

    fn to_wire(&self) -> VoteForm {
        VoteForm {
            precommit: is_precommit(self.vote_type),
            height: self.height.0,
            round: self.round.as_u32(),
            value: nil_or(&self.value),
            voter: self.voter,
            extension: self.extension.as_ref().map(|e| signature_bytes(&e.signature)),
        }
    }

    fn from_wire(form: VoteForm) -> Result<Self, CodecError> {
        Ok(Vote {
            vote_type: vote_type(form.precommit),
            height: Height(form.height),
            round: round_from(form.round),
            value: nil_or_from(form.value),
            voter: form.voter,
            extension: form.extension.map(|s| signature(&s).map(|s| SignedMessage::new((), s))).transpose()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct ProposalForm {
    height: u64,
    round: Option<u32>,
    value: BlockHash,
    pol_round: Option<u32>,
    proposer: Address,
}

impl Wire for Proposal {
    type Form = ProposalForm;

    fn to_wire(&self) -> ProposalForm {
        ProposalForm {
            height: self.height.0,
            round: self.round.as_u32(),
            value: self.value,
            pol_round: self.pol_round.as_u32(),
            proposer: self.proposer,
        }
    }

    fn from_wire(form: ProposalForm) -> Result<Self, CodecError> {
        Ok(Proposal {
            height: Height(form.height),
            round: round_from(form.round),
            value: form.value,
            pol_round: round_from(form.pol_round),
            proposer: form.proposer,
        })
    }
}

#[derive(Serialize, Deserialize)]
enum SignedMessageForm {
    Vote(VoteForm, SignatureBytes),
    Proposal(ProposalForm, SignatureBytes),
}

impl Wire for SignedConsensusMsg<TidepoolContext> {
    type Form = SignedMessageForm;

    fn to_wire(&self) -> SignedMessageForm {
        match self {
            Self::Vote(v) => SignedMessageForm::Vote(v.message.to_wire(), signature_bytes(&v.signature)),
            Self::Proposal(p) => SignedMessageForm::Proposal(p.message.to_wire(), signature_bytes(&p.signature)),
        }
    }

    fn from_wire(form: SignedMessageForm) -> Result<Self, CodecError> {
        Ok(match form {
            SignedMessageForm::Vote(v, s) => Self::Vote(SignedMessage::new(Vote::from_wire(v)?, signature(&s)?)),
            SignedMessageForm::Proposal(p, s) => {
                Self::Proposal(SignedMessage::new(Proposal::from_wire(p)?, signature(&s)?))
            }
        })
    }
}

#[derive(Serialize, Deserialize)]
enum PartForm {
    Init { height: u64, round: Option<u32>, pol_round: Option<u32>, proposer: Address },
    Chunk(Vec<u8>),
    Fin(SignatureBytes),
}

impl Wire for ProposalPart {
    type Form = PartForm;

    fn to_wire(&self) -> PartForm {
        match self {
            Self::Init { height, round, pol_round, proposer } => PartForm::Init {
                height: height.0,
                round: round.as_u32(),
                pol_round: pol_round.as_u32(),
                proposer: *proposer,
            },
            Self::Chunk(bytes) => PartForm::Chunk(bytes.to_vec()),
            Self::Fin { signature } => PartForm::Fin(signature_bytes(signature)),
        }
    }

    fn from_wire(form: PartForm) -> Result<Self, CodecError> {
        Ok(match form {
            PartForm::Init { height, round, pol_round, proposer } => Self::Init {
                height: Height(height),
                round: round_from(round),
                pol_round: round_from(pol_round),
                proposer,
            },
            PartForm::Chunk(bytes) => Self::Chunk(bytes.into()),
            PartForm::Fin(s) => Self::Fin { signature: signature(&s)? },
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StreamForm {
    stream_id: Vec<u8>,
    sequence: u64,
    /// `None` closes the stream.
    part: Option<PartForm>,
}

impl Wire for StreamMessage<ProposalPart> {
    type Form = StreamForm;

    fn to_wire(&self) -> StreamForm {
        StreamForm {
            stream_id: self.stream_id.to_bytes().to_vec(),
            sequence: self.sequence,
            part: match &self.content {
                StreamContent::Data(part) => Some(part.to_wire()),
                StreamContent::Fin => None,
            },
        }
    }

    fn from_wire(form: StreamForm) -> Result<Self, CodecError> {
        let content = match form.part {
            Some(part) => StreamContent::Data(ProposalPart::from_wire(part)?),
            None => StreamContent::Fin,
        };
        Ok(StreamMessage::new(StreamId::new(form.stream_id.into()), form.sequence, content))
    }
}

#[derive(Serialize, Deserialize)]
struct PolkaForm {
    height: u64,
    round: Option<u32>,
    value: BlockHash,
    signatures: Vec<(Address, SignatureBytes)>,
}

impl Wire for PolkaCertificate<TidepoolContext> {
    type Form = PolkaForm;

    fn to_wire(&self) -> PolkaForm {
        PolkaForm {
            height: self.height.0,
            round: self.round.as_u32(),
            value: self.value_id,
            signatures: self.polka_signatures.iter().map(|s| (s.address, signature_bytes(&s.signature))).collect(),
        }
    }

    fn from_wire(form: PolkaForm) -> Result<Self, CodecError> {
        Ok(PolkaCertificate {
            height: Height(form.height),
            round: round_from(form.round),
            value_id: form.value,
            polka_signatures: form
                .signatures
                .into_iter()
                .map(|(address, s)| Ok(PolkaSignature::new(address, signature(&s)?)))
                .collect::<Result<_, CodecError>>()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct RoundSignatureForm {
    precommit: bool,
    value: Option<BlockHash>,
    address: Address,
    signature: SignatureBytes,
}

#[derive(Serialize, Deserialize)]
struct RoundCertificateForm {
    height: u64,
    round: Option<u32>,
    /// A precommit certificate, or else a skip certificate.
    precommit: bool,
    signatures: Vec<RoundSignatureForm>,
}

impl Wire for RoundCertificate<TidepoolContext> {
    type Form = RoundCertificateForm;

    fn to_wire(&self) -> RoundCertificateForm {
        RoundCertificateForm {
            height: self.height.0,
            round: self.round.as_u32(),
            precommit: self.cert_type == RoundCertificateType::Precommit,
            signatures: self
                .round_signatures
                .iter()
                .map(|s| RoundSignatureForm {
                    precommit: is_precommit(s.vote_type),
                    value: nil_or(&s.value_id),
                    address: s.address,
                    signature: signature_bytes(&s.signature),
                })
                .collect(),
        }
    }

    fn from_wire(form: RoundCertificateForm) -> Result<Self, CodecError> {
        Ok(RoundCertificate {
            height: Height(form.height),
            round: round_from(form.round),
            cert_type: if form.precommit { RoundCertificateType::Precommit } else { RoundCertificateType::Skip },
            round_signatures: form
                .signatures
                .into_iter()
                .map(|s| {
                    Ok(RoundSignature::new(
                        vote_type(s.precommit),
                        nil_or_from(s.value),
                        s.address,
                        signature(&s.signature)?,
                    ))
                })
                .collect::<Result<_, CodecError>>()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
enum LivenessForm {
    Vote(VoteForm, SignatureBytes),
    Polka(PolkaForm),
    SkipRound(RoundCertificateForm),
}

impl Wire for LivenessMsg<TidepoolContext> {
    type Form = LivenessForm;

    fn to_wire(&self) -> LivenessForm {
        match self {
            Self::Vote(v) => LivenessForm::Vote(v.message.to_wire(), signature_bytes(&v.signature)),
            Self::PolkaCertificate(c) => LivenessForm::Polka(c.to_wire()),
            Self::SkipRoundCertificate(c) => LivenessForm::SkipRound(c.to_wire()),
        }
    }

    fn from_wire(form: LivenessForm) -> Result<Self, CodecError> {
        Ok(match form {
            LivenessForm::Vote(v, s) => Self::Vote(SignedMessage::new(Vote::from_wire(v)?, signature(&s)?)),
            LivenessForm::Polka(c) => Self::PolkaCertificate(PolkaCertificate::from_wire(c)?),
            LivenessForm::SkipRound(c) => Self::SkipRoundCertificate(RoundCertificate::from_wire(c)?),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct ProofForm {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: SignatureBytes,
}

impl Wire for ValidatorProof<TidepoolContext> {
    type Form = ProofForm;

    fn to_wire(&self) -> ProofForm {
        ProofForm {
            public_key: self.public_key.clone(),
            peer_id: self.peer_id.clone(),
            signature: signature_bytes(&self.signature),
        }
    }

    fn from_wire(form: ProofForm) -> Result<Self, CodecError> {
        Ok(ValidatorProof::new(form.public_key, form.peer_id, signature(&form.signature)?))
    }
}

#[derive(Serialize, Deserialize)]
struct ProposedValueForm {
    height: u64,
    round: Option<u32>,
    valid_round: Option<u32>,
    proposer: Address,
    value: BlockHash,
    valid: bool,
}

impl Wire for ProposedValue<TidepoolContext> {
    type Form = ProposedValueForm;

    fn to_wire(&self) -> ProposedValueForm {
        ProposedValueForm {
            height: self.height.0,
            round: self.round.as_u32(),
            valid_round: self.valid_round.as_u32(),
            proposer: self.proposer,
            value: self.value,
            valid: self.validity.is_valid(),
        }
    }

    fn from_wire(form: ProposedValueForm) -> Result<Self, CodecError> {
        Ok(ProposedValue {
            height: Height(form.height),
            round: round_from(form.round),
            valid_round: round_from(form.valid_round),
            proposer: form.proposer,
            value: form.value,
            validity: Validity::from_bool(form.valid),
        })
    }
}

fn peer_id(bytes: &[u8]) -> Result<PeerId, CodecError> {
    PeerId::from_bytes(bytes).map_err(|_| CodecError::Malformed("peer id"))
}

#[derive(Serialize, Deserialize)]
struct StatusForm {
    peer_id: Vec<u8>,
    tip_height: u64,
    history_min_height: u64,
}

impl Wire for Status<TidepoolContext> {
    type Form = StatusForm;

    fn to_wire(&self) -> StatusForm {
        StatusForm {
            peer_id: self.peer_id.to_bytes(),
            tip_height: self.tip_height.0,
            history_min_height: self.history_min_height.0,
        }
    }

    fn from_wire(form: StatusForm) -> Result<Self, CodecError> {
        Ok(Status {
            peer_id: peer_id(&form.peer_id)?,
            tip_height: Height(form.tip_height),
            history_min_height: Height(form.history_min_height),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct RequestForm {
    first: u64,
    last: u64,
}

impl Wire for Request<TidepoolContext> {
    type Form = RequestForm;

    fn to_wire(&self) -> RequestForm {
        let Self::ValueRequest(request) = self;
        RequestForm { first: request.range.start().0, last: request.range.end().0 }
    }

    fn from_wire(form: RequestForm) -> Result<Self, CodecError> {
        Ok(Self::ValueRequest(ValueRequest::new(Height(form.first)..=Height(form.last))))
    }
}

#[derive(Serialize, Deserialize)]
struct CommitSignatureForm {
    address: Address,
    signature: SignatureBytes,
    extension: Option<SignatureBytes>,
}

#[derive(Serialize, Deserialize)]
struct DecidedForm {
    block: Vec<u8>,
    height: u64,
    round: Option<u32>,
    value: BlockHash,
    signatures: Vec<CommitSignatureForm>,
}

#[derive(Serialize, Deserialize)]
struct ResponseForm {
    start_height: u64,
    values: Vec<DecidedForm>,
}

impl Wire for Response<TidepoolContext> {
    type Form = ResponseForm;

    fn to_wire(&self) -> ResponseForm {
        let Self::ValueResponse(response) = self;
        ResponseForm {
            start_height: response.start_height.0,
            values: response
                .values
                .iter()
                .map(|value| DecidedForm {
                    block: value.value_bytes.to_vec(),
                    height: value.certificate.height.0,
                    round: value.certificate.round.as_u32(),
                    value: value.certificate.value_id,
                    signatures: value
                        .certificate
                        .commit_signatures
                        .iter()
                        .map(|s| CommitSignatureForm {
                            address: s.address,
                            signature: signature_bytes(&s.signature),
                            extension: s.extension.as_ref().map(|e| signature_bytes(&e.signature)),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn from_wire(form: ResponseForm) -> Result<Self, CodecError> {
        let values = form
            .values
            .into_iter()
            .map(|value| {
                let signatures = value
                    .signatures
                    .into_iter()
                    .map(|s| {
                        let extension =
                            s.extension.map(|e| signature(&e).map(|e| SignedMessage::new((), e))).transpose()?;
                        Ok(ExtendedCommitSignature::new(s.address, signature(&s.signature)?, extension))
                    })
                    .collect::<Result<_, CodecError>>()?;
                let certificate = ExtendedCommitCertificate {
                    height: Height(value.height),
                    round: round_from(value.round),
                    value_id: value.value,
                    commit_signatures: signatures,
                };
                Ok(RawDecidedValue::new(value.block.into(), certificate))
            })
            .collect::<Result<_, CodecError>>()?;
        Ok(Self::ValueResponse(ValueResponse::new(Height(form.start_height), values)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::ValidatorKey;

    fn round_trip<T>(message: &T) -> T
    where
        WireCodec: Codec<T>,
    {
        let bytes = WireCodec.encode(message).unwrap();
        WireCodec.decode(bytes).unwrap()
    }

    #[test]
    fn consensus_messages_survive_the_codec() {
        let key = ValidatorKey::from_seed([3; 32]);
        let signature = key.sign(b"anything");
        let vote = Vote {
            vote_type: VoteType::Precommit,
            height: Height(7),
            round: Round::new(2),
            value: NilOrVal::Val(BlockHash([5; 32])),
            voter: key.address(),
            extension: None,
        };
        let message = SignedConsensusMsg::Vote(SignedMessage::new(vote, signature));
        assert_eq!(round_trip(&message), message);

        let proposal = Proposal {
            height: Height(7),
            round: Round::new(3),
            value: BlockHash([6; 32]),
            pol_round: Round::Nil,
            proposer: key.address(),
        };
        let message = SignedConsensusMsg::Proposal(SignedMessage::new(proposal, signature));
        assert_eq!(round_trip(&message), message);

        let part = StreamMessage::new(
            StreamId::new(Bytes::from_static(b"stream")),
            4,
            StreamContent::Data(ProposalPart::Chunk(Bytes::from_static(b"block bytes"))),
        );
        assert_eq!(round_trip(&part), part);
        let fin = StreamMessage::<ProposalPart>::new(StreamId::new(Bytes::new()), 5, StreamContent::Fin);
        assert_eq!(round_trip(&fin), fin);
    }

    #[test]
    fn sync_responses_survive_the_codec() {
        let key = ValidatorKey::from_seed([4; 32]);
        let certificate = ExtendedCommitCertificate {
            height: Height(9),
            round: Round::new(0),
            value_id: BlockHash([1; 32]),
            commit_signatures: vec![ExtendedCommitSignature::new(key.address(), key.sign(b"precommit"), None)],
        };
        let response = Response::ValueResponse(ValueResponse::new(
            Height(9),
            vec![RawDecidedValue::new(Bytes::from_static(b"block"), certificate)],
        ));
        assert_eq!(round_trip(&response), response);
        assert_eq!(WireCodec.encoded_len(&response).unwrap(), WireCodec.encode(&response).unwrap().len());
    }

    #[test]
    fn a_short_signature_is_malformed() {
        let form = PartForm::Fin(vec![0; 10]);
        let bytes = Bytes::from(postcard::to_stdvec(&form).unwrap());
        let decoded: Result<ProposalPart, _> = WireCodec.decode(bytes);
        assert!(matches!(decoded, Err(CodecError::Malformed("signature"))));
    }
}
