//! Live streams (`GET /v1/stream`): blocks, transactions and events as Server-Sent Events, from
//! any retained height on, then live.
//!
//! Who does what per block:
//!
//! - **The writer** (whichever thread commits the block) runs the ledger's publish hook: a few
//!   instructions under a small mutex and a condition-variable wake-up, whatever the number of
//!   subscribers ([`feed`]).
//! - **The feed's thread** reads the new block once through a `View`, encodes once every
//!   message of it that some subscriber wants ([`block::StreamBlock`]: SSE frames back to back
//!   in one buffer), compresses them once for each set of topics gzip clients follow
//!   ([`gzip`]), and broadcasts an `Arc` of it on a bounded channel ([`feed::BUFFER_BLOCKS`]
//!   blocks).
//! - **Each subscriber** (in the task serving its response) takes the `Arc`, picks the frames
//!   its filter wants and sends them as slices of the shared buffer, or sends the shared
//!   compressed chunk of its topics ([`subscription`]). One
//!   that falls more than the buffer behind ends with a `close` message giving the height to
//!   resume from; the writer never waits for it. History (a `from_height` below the head, or
//!   blocks committed before the feed started) a subscriber reads from the ledger itself.
//!
//! The route and its parameters are in [`crate::routes::stream`]; docs/api.md ("Live streams")
//! is the user's description.

pub mod block;
pub mod feed;
pub mod gzip;
pub mod subscription;

pub use block::{BlockTag, Parts, Position, StreamId, Topics};
pub use feed::{BUFFER_BLOCKS, Feed, Listener};
pub use subscription::{CloseReason, Filter, KEEP_ALIVE, Start, StreamClose, Subscription};
