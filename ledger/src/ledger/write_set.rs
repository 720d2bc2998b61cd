//! The canonical byte encoding of a list of writes. The state root hashes a block's state write
//! set in this encoding, and undo records store the values to restore in it.
//!
//! Each write is, with lengths as 8-byte big-endian integers:
//!
//! ```text
//! table id (1 byte, Table::id) ‖ key length ‖ key ‖ 0x00                      (a delete)
//! table id (1 byte, Table::id) ‖ key length ‖ key ‖ 0x01 ‖ value length ‖ value  (a put)
//! ```
//!
//! and a list is its writes concatenated, with nothing before, between or after them: every
//! field is either fixed-size or length-prefixed, so two different lists never encode alike.

use crate::error::LedgerError;
use crate::table::Table;

/// One write: `(table, key, Some(value) | None for delete)`.
pub(crate) type Write = (Table, Vec<u8>, Option<Vec<u8>>);

/// Where encoded bytes go: a buffer, or straight into a hash.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn append(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn append(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for tidepool_keccak::Keccak256 {
    fn append(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// Appends the encoding of one write to `sink`.
pub(crate) fn encode_write(sink: &mut impl Sink, table: Table, key: &[u8], value: Option<&[u8]>) {
    sink.append(&[table.id()]);
    sink.append(&(key.len() as u64).to_be_bytes());
    sink.append(key);
    match value {
        None => sink.append(&[0]),
        Some(value) => {
            sink.append(&[1]);
            sink.append(&(value.len() as u64).to_be_bytes());
            sink.append(value);
        }
    }
}

/// The writes encoded in `bytes`, stored in `table` (named in errors).
///
/// # Errors
/// [`LedgerError::Decode`] if the bytes are not such an encoding.
pub(crate) fn decode(table: Table, mut bytes: &[u8]) -> Result<Vec<Write>, LedgerError> {
    let error = |reason: &str| LedgerError::Decode { table: table.name(), reason: reason.into() };
    let mut writes = Vec::new();
    while let Some((&id, rest)) = bytes.split_first() {
        let written = Table::from_id(id).ok_or_else(|| error("unknown table id"))?;
        let (key, rest) = take_prefixed(rest).ok_or_else(|| error("truncated key"))?;
        let (value, rest) = match rest.split_first() {
            Some((0, rest)) => (None, rest),
            Some((1, rest)) => {
                let (value, rest) = take_prefixed(rest).ok_or_else(|| error("truncated value"))?;
                (Some(value.to_vec()), rest)
            }
            _ => return Err(error("bad put/delete tag")),
        };
        writes.push((written, key.to_vec(), value));
        bytes = rest;
    }
    Ok(writes)
}

/// Splits a length-prefixed field off the front of `bytes`.
fn take_prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_be_bytes(*len)).ok()?;
    (len <= rest.len()).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding of `writes`: each write's, concatenated.
    fn encode(writes: &[Write]) -> Vec<u8> {
        let mut out = Vec::new();
        for (table, key, value) in writes {
            encode_write(&mut out, *table, key, value.as_deref());
        }
        out
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        let bytes = encode(&[(Table::Storage, b"ab".to_vec(), Some(b"xyz".to_vec())), (Table::Accounts, vec![], None)]);
        let mut expected = vec![Table::Storage.id(), 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b', 1, 0, 0, 0, 0, 0, 0, 0, 3];
        expected.extend_from_slice(b"xyz");
        expected.extend_from_slice(&[Table::Accounts.id(), 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn writes_round_trip() {
        let writes = vec![
            (Table::Meta, b"latest".to_vec(), Some(vec![0; 8])),
            (Table::Events, vec![1; 16], None),
            (Table::Code, vec![], Some(vec![])),
        ];
        assert_eq!(decode(Table::Undo, &encode(&writes)).unwrap(), writes);
        assert_eq!(decode(Table::Undo, &[]).unwrap(), vec![]);
    }

    #[test]
    fn truncated_or_garbled_bytes_are_decode_errors() {
        let bytes = encode(&[(Table::Storage, b"key".to_vec(), Some(b"value".to_vec()))]);
        for cut in 1..bytes.len() {
            assert!(decode(Table::Undo, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(Table::Undo, &[200]).is_err());
        let mut huge_length = vec![Table::Storage.id()];
        huge_length.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(decode(Table::Undo, &huge_length).is_err());
    }
}
