//! gzip for live streams, compressed once and shared by every subscriber.
//!
//! A stream's bytes are mostly the same for every client that follows the same topics: each
//! block's frames, back to back. Compressing each client's stream with its own compressor would
//! cost the node once per client what the bytes cost once; instead each chunk is compressed on
//! its own ([`Deflated`]: a fresh compressor, ended with a sync flush, so it refers to nothing
//! before it and ends on a byte boundary), and any sequence of such chunks is a valid deflate
//! stream. A client's gzip body ([`GzipBody`]) is the gzip header, the chunks it is sent, and at
//! the end an empty final block and the trailer: the CRC-32 of everything sent, which it combines
//! from each chunk's CRC without reading the bytes again, and the length.
//!
//! A chunk compresses about as well as the whole stream would: a block's frames repeat the same
//! addresses, field names and contract, and nothing useful crosses a block's boundary. The sync
//! flush also lets a client decode each chunk as it arrives, so a compressed stream is as live as
//! a plain one.

use std::cell::RefCell;

use axum::body::Bytes;
use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress};

/// zlib level 2: with zlib-rs, ~9× smaller for a block of token transfers at ~500 MB/s. Level 1
/// is faster but uses fixed Huffman codes only (~6×); level 6 gains 12 % for twice the time.
const LEVEL: u32 = 2;

/// The gzip header: magic, deflate, no flags, no time, no extra flags, unknown OS (RFC 1952).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// An empty final block (fixed Huffman codes, end-of-block only): ends the deflate stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// One chunk of a stream, compressed on its own (see the module documentation).
#[derive(Clone, Debug)]
pub struct Deflated {
    /// The deflate blocks, ending with a sync flush.
    bytes: Bytes,
    /// The CRC-32 of the chunk's plain bytes (with their count).
    crc: Hasher,
    /// How many plain bytes.
    len: u64,
}

impl Deflated {
    /// Compresses `plain` on its own.
    pub fn new(plain: &[u8]) -> Deflated {
        thread_local! {
            static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
        }
        let mut crc = Hasher::new();
        crc.update(plain);
        let mut out = Vec::with_capacity(plain.len() / 4 + 64);
        COMPRESSOR.with_borrow_mut(|compressor| {
            compressor.reset();
            // A sync flush is complete once a call leaves room in the output: zlib then has
            // written everything, ending with an empty stored block on a byte boundary.
            loop {
                let consumed = usize::try_from(compressor.total_in()).expect("a chunk fits in memory");
                compressor
                    .compress_vec(&plain[consumed..], &mut out, FlushCompress::Sync)
                    .expect("deflate accepts any input with room to write");
                let consumed = usize::try_from(compressor.total_in()).expect("a chunk fits in memory");
                if consumed == plain.len() && out.len() < out.capacity() {
                    break;
                }
                out.reserve(out.capacity().max(64));
            }
        });
        Deflated { bytes: Bytes::from(out), crc, len: plain.len() as u64 }
    }

    /// Its compressed size.
    pub fn compressed_len(&self) -> usize {
        self.bytes.len()
    }
}

/// One client's gzip body: the header before the first chunk, and the trailer at the end.
#[derive(Debug)]
pub struct GzipBody {
    started: bool,
    crc: Hasher,
    len: u64,
}

impl Default for GzipBody {
    fn default() -> GzipBody {
        GzipBody { started: false, crc: Hasher::new(), len: 0 }
    }
}

impl GzipBody {
    /// Appends `chunk` to `out` (after the header, if it is the first).
    pub fn push(&mut self, chunk: &Deflated, out: &mut impl Extend<Bytes>) {
        self.start(out);
        self.crc.combine(&chunk.crc);
        self.len += chunk.len;
        out.extend([chunk.bytes.clone()]);
    }

    /// Appends the end of the body to `out`: the final block and the trailer (CRC-32 and length
    /// modulo 2³², little-endian).
    pub fn finish(&mut self, out: &mut impl Extend<Bytes>) {
        self.start(out);
        let mut end = Vec::with_capacity(FINAL_BLOCK.len() + 8);
        end.extend_from_slice(&FINAL_BLOCK);
        end.extend_from_slice(&self.crc.clone().finalize().to_le_bytes());
        end.extend_from_slice(&(self.len as u32).to_le_bytes());
        out.extend([Bytes::from(end)]);
    }

    fn start(&mut self, out: &mut impl Extend<Bytes>) {
        if !self.started {
            self.started = true;
            out.extend([Bytes::from_static(&HEADER)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;
    use flate2::{Decompress, FlushDecompress};

    use super::{Bytes, Deflated, GzipBody};

    fn joined(parts: &[Bytes]) -> Vec<u8> {
        parts.iter().flat_map(|part| part.iter().copied()).collect()
    }

    fn gunzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut plain = Vec::new();
        GzDecoder::new(body).read_to_end(&mut plain)?;
        Ok(plain)
    }

    #[test]
    fn chunks_compressed_apart_make_one_gzip_body_of_their_concatenation() {
        let chunks: Vec<Vec<u8>> = (0..50)
            .map(|i| {
                format!("event: tx\nid: {i}:0\ndata: {{\"from\":\"0xf39F…\",\"amount\":\"{}\"}}\n\n", i * 7)
                    .repeat(i % 5)
                    .into_bytes()
            })
            .chain([vec![], b": keep-alive\n\n".to_vec(), vec![0xff; 70_000]])
            .collect();
        let mut body = GzipBody::default();
        let mut out = Vec::new();
        for chunk in &chunks {
            body.push(&Deflated::new(chunk), &mut out);
        }
        body.finish(&mut out);
        assert_eq!(gunzip(&joined(&out)).unwrap(), chunks.concat());
    }

    #[test]
    fn the_same_deflated_chunk_serves_bodies_that_started_at_different_chunks() {
        let shared: Vec<Deflated> =
            (0..4).map(|i| Deflated::new(format!("block {i} ").repeat(100).as_bytes())).collect();
        for first in 0..shared.len() {
            let mut body = GzipBody::default();
            let mut out = Vec::new();
            for chunk in &shared[first..] {
                body.push(chunk, &mut out);
            }
            body.finish(&mut out);
            let expected: String = (first..shared.len()).map(|i| format!("block {i} ").repeat(100)).collect();
            assert_eq!(gunzip(&joined(&out)).unwrap(), expected.as_bytes());
        }
    }

    #[test]
    fn each_chunk_decodes_as_it_arrives() {
        let mut body = GzipBody::default();
        let mut decoder = Decompress::new(false);
        let mut sent = Vec::new();
        for i in 0..3 {
            let plain = format!("event: block\nid: {i}\ndata: {{\"height\":{i}}}\n\n").repeat(20);
            let mut out = Vec::new();
            body.push(&Deflated::new(plain.as_bytes()), &mut out);
            sent.extend(joined(&out));
            // Everything sent so far, without the header, inflates to everything pushed so far.
            let mut plain_so_far = Vec::with_capacity(1 << 16);
            decoder.reset(false);
            decoder.decompress_vec(&sent[10..], &mut plain_so_far, FlushDecompress::Sync).unwrap();
            let expected: String =
                (0..=i).map(|i| format!("event: block\nid: {i}\ndata: {{\"height\":{i}}}\n\n").repeat(20)).collect();
            assert_eq!(plain_so_far, expected.as_bytes());
        }
    }

    #[test]
    fn a_body_with_no_chunk_is_an_empty_gzip_member_and_a_cut_body_is_refused() {
        let mut out = Vec::new();
        GzipBody::default().finish(&mut out);
        assert_eq!(gunzip(&joined(&out)).unwrap(), b"");

        let mut body = GzipBody::default();
        let mut out = Vec::new();
        body.push(&Deflated::new(b"data: 1\n\n"), &mut out);
        body.finish(&mut out);
        let mut bytes = joined(&out);
        *bytes.last_mut().unwrap() ^= 1;
        assert!(gunzip(&bytes).is_err(), "a wrong length in the trailer must be caught");
    }

    #[test]
    fn a_block_of_repetitive_frames_compresses_well() {
        let plain = (0..1000)
            .map(|i| {
                format!("event: tx\nid: 5:{i}\ndata: {{\"from\":\"0x{:040x}\",\"amount\":\"{}\"}}\n\n", i % 97, i * 13)
            })
            .collect::<String>();
        let deflated = Deflated::new(plain.as_bytes());
        assert!(deflated.compressed_len() * 5 < plain.len(), "{} of {}", deflated.compressed_len(), plain.len());
    }
}
