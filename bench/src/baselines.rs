//! The floors, measured in the same run as the workloads they are floors of: raw k256
//! signature recovery (every signed transaction pays one), an empty axum handler (every HTTP
//! request pays at least that), and RocksDB batch writes (every block pays one).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::{get, post};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use rayon::prelude::*;
use serde::Serialize;
use tidepool_ledger::{Hash, RocksStore, Store, Table, WriteBatch, keccak256};
use tidepool_node::chain::RECOVERY_BATCH;
use tidepool_node::signature::{RecoverableSignature, recover_digest_signers};

use super::http::{self, Call, Load, Server};

/// k256 public-key recovery from a prehashed message, the core of every signature check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Recovery {
    /// Recoveries per second on one thread.
    pub one_core_per_s: f64,
    /// Recoveries per second on rayon's pool (one thread per core).
    pub all_cores_per_s: f64,
    /// Threads in rayon's pool.
    pub threads: usize,
    /// Tidepool's own recovery on rayon's pool, per second: signers recovered together in runs
    /// of [`RECOVERY_BATCH`] ([`recover_digest_signers`]), as the node checks a batch.
    /// Not the rows' baseline, which stays k256's recovery of one signature at a time.
    pub batched_all_cores_per_s: f64,
}

/// Recovers `count` signatures on one core, then on all of them.
pub fn signature_recovery(count: usize) -> Recovery {
    let signed = signed_digests(count);
    let recover = |(digest, signature, id): &([u8; 32], Signature, RecoveryId)| {
        VerifyingKey::recover_from_prehash(digest, signature, *id).expect("a valid signature")
    };
    let start = Instant::now();
    for item in &signed {
        std::hint::black_box(recover(item));
    }
    let one = start.elapsed();
    let start = Instant::now();
    signed.par_iter().for_each(|item| {
        std::hint::black_box(recover(item));
    });
    let all = start.elapsed();
    Recovery {
        one_core_per_s: count as f64 / one.as_secs_f64(),
        all_cores_per_s: count as f64 / all.as_secs_f64(),
        threads: rayon::current_num_threads(),
        batched_all_cores_per_s: 0.0,
    }
}

/// Recovers `count` signatures on all cores as the node checks a batch of transactions: in runs
/// of [`RECOVERY_BATCH`], each run's signers together. Per second.
pub fn batched_signature_recovery(count: usize) -> f64 {
    let signed: Vec<(Hash, RecoverableSignature)> = signed_digests(count)
        .into_iter()
        .map(|(digest, signature, id)| (Hash(digest), RecoverableSignature::from_k256(&signature, id)))
        .collect();
    let start = Instant::now();
    signed.par_chunks(RECOVERY_BATCH).for_each(|run| {
        for signer in recover_digest_signers(run) {
            std::hint::black_box(signer.expect("a valid signature"));
        }
    });
    count as f64 / start.elapsed().as_secs_f64()
}

/// `count` digests, each signed by one of 16 keys.
fn signed_digests(count: usize) -> Vec<([u8; 32], Signature, RecoveryId)> {
    let keys: Vec<SigningKey> =
        (0..16u8).map(|i| SigningKey::from_slice(&keccak256(&[i]).0).expect("a valid key")).collect();
    (0..count)
        .into_par_iter()
        .map(|i| {
            let digest = keccak256(&(i as u64).to_be_bytes()).0;
            let (signature, id) = keys[i % keys.len()].sign_prehash_recoverable(&digest);
            (digest, signature, id)
        })
        .collect()
}

/// An empty handler (`GET /` → 200, empty body) at each connection count.
///
/// # Errors
/// The server or a connection failed.
pub async fn empty_handler(connections: &[usize], duration: Duration) -> crate::Result<Vec<Load>> {
    loads(empty_router(), Call::get("/"), connections, duration).await
}

/// The empty handler's router: `GET /` → 200, empty body.
fn empty_router() -> Router {
    Router::new().route("/", get(|| async {}))
}

/// The empty handler kept serving while a workload runs, so that it can be measured right
/// beside each of the workload's loads ([`EmptyHandler::sample`]): on a shared machine the
/// same handler's rate moves by half between minutes, so a baseline taken at the start of a
/// run says little about the host a later load ran on.
pub struct EmptyHandler {
    server: Server,
}

impl EmptyHandler {
    /// Starts serving the empty handler on loopback.
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start() -> crate::Result<EmptyHandler> {
        Ok(EmptyHandler { server: Server::router(empty_router()).await? })
    }

    /// The empty handler in a closed loop at `connections` for `duration`.
    ///
    /// # Errors
    /// A connection failed.
    pub async fn sample(&self, connections: usize, duration: Duration) -> crate::Result<Load> {
        http::closed_loop(self.server.addr, connections, duration, Arc::new(vec![Call::get("/")])).await
    }

    /// Stops the server.
    ///
    /// # Errors
    /// The server failed, or did not stop in time.
    pub async fn stop(self) -> crate::Result<()> {
        self.server.stop().await
    }
}

/// An empty handler that reads a request body (`POST /` with a JSON body of a contract query's
/// size → 200, empty body) at each connection count: the floor under every route that takes a
/// body, which costs more than a `GET` in hyper and tokio (the body comes through a channel to
/// the handler, and the connection's task is woken and requeued while it reads it).
///
/// # Errors
/// The server or a connection failed.
pub async fn empty_post_handler(connections: &[usize], duration: Duration) -> crate::Result<Vec<Load>> {
    let router = Router::new().route("/", post(|body: Bytes| async move { drop(body) }));
    let body = format!(r#"{{"balance":{{"address":"0x{}"}}}}"#, "ab".repeat(20));
    loads(router, Call::post("/", body.into_bytes()), connections, duration).await
}

/// `call` against `router`, served on loopback, in a closed loop at each connection count.
async fn loads(router: Router, call: Call, connections: &[usize], duration: Duration) -> crate::Result<Vec<Load>> {
    let server = Server::router(router).await?;
    let calls = Arc::new(vec![call]);
    let mut out = Vec::new();
    for &c in connections {
        out.push(http::closed_loop(server.addr, c, duration, calls.clone()).await?);
    }
    server.stop().await?;
    Ok(out)
}

/// RocksDB write batches as the ledger issues them: its store, default tuning (WAL synced).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RocksBatches {
    /// Puts per batch.
    pub batch_size: usize,
    /// Value size, bytes.
    pub value_bytes: usize,
    /// Puts per second over all batches.
    pub puts_per_s: f64,
    /// Median time of one batch, milliseconds.
    pub batch_ms_p50: f64,
    /// Median time of a batch of one small put, milliseconds: the floor of every block, mostly
    /// the write-ahead log's `fsync`.
    pub single_put_ms_p50: f64,
}

/// Single-put batches timed for [`RocksBatches::single_put_ms_p50`].
const SINGLE_PUTS: usize = 50;

/// Puts per batch: the order of a 1,000-transfer block (2 accounts, a transaction, a receipt
/// per transfer).
const ROCKS_BATCH: usize = 4_000;

/// Bytes per value: between an account record and a JSON receipt.
const ROCKS_VALUE: usize = 200;

/// Writes `batches` batches of `ROCKS_BATCH` random-key puts through the ledger's RocksDB
/// store in `dir`.
///
/// # Errors
/// RocksDB failed.
pub fn rocks_batches(dir: &Path, batches: usize) -> crate::Result<RocksBatches> {
    let store = RocksStore::open(dir)?;
    let value = vec![0x5a; ROCKS_VALUE];
    let mut times = Vec::with_capacity(batches);
    let mut total = Duration::ZERO;
    for b in 0..batches {
        let mut batch = WriteBatch::default();
        for i in 0..ROCKS_BATCH {
            let key = keccak256(&((b * ROCKS_BATCH + i) as u64).to_be_bytes());
            batch.put(Table::Txs, key.0.to_vec(), value.clone());
        }
        let start = Instant::now();
        store.write(batch)?;
        let spent = start.elapsed();
        total += spent;
        times.push(spent);
    }
    times.sort();
    let mut singles: Vec<f64> = (0..SINGLE_PUTS)
        .map(|i| {
            let start = Instant::now();
            store
                .put(Table::Meta, format!("bench-{i}").as_bytes(), &value)
                .map(|()| start.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    singles.sort_by(f64::total_cmp);
    Ok(RocksBatches {
        batch_size: ROCKS_BATCH,
        value_bytes: ROCKS_VALUE,
        puts_per_s: (batches * ROCKS_BATCH) as f64 / total.as_secs_f64(),
        batch_ms_p50: times.get(times.len() / 2).map_or(0.0, |t| t.as_secs_f64() * 1e3),
        single_put_ms_p50: singles[singles.len() / 2],
    })
}
