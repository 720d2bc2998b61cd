//! `GET /v1/stream` over real HTTP on loopback: what a stream sends equals what the read routes
//! answer, block by block; a stream resumed after a dropped connection misses nothing and
//! repeats nothing; filters; a client that stops reading is cut off with the height to resume
//! from while the writer goes on; reverts, shutdown and bad input.
//!
//! Each test serves its own node on `127.0.0.1:0` and stops it on the way out; every read has a
//! timeout, so a broken stream fails a test instead of hanging it.

use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidepool_ledger::{Address, Ledger, NewBlock};
use tidepool_node::{Action, DevAccount, Node, NodeConfig, StoreConfig, Transaction, dev_accounts};

use crate::support::with_market;

/// No read waits longer than this.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A node served on a free loopback port; stopped (gracefully) on drop.
struct Server {
    url: String,
    agent: ureq::Agent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(node: &Node) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let node = node.clone();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(tidepool_api::server::serve(listener, node, async {
                    let _ = stopped.await;
                }))
                .unwrap();
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_per_read(Some(READ_TIMEOUT))
            .build()
            .into();
        Server { url, agent, stop: Some(stop), thread: Some(thread) }
    }

    /// `GET path` → (status, JSON body).
    fn get(&self, path: &str) -> (u16, Value) {
        let mut response = self.agent.get(format!("{}{path}", self.url)).call().unwrap();
        (response.status().as_u16(), response.body_mut().read_json().unwrap_or(Value::Null))
    }

    #[track_caller]
    fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Opens `GET /v1/stream?{query}` (with `Last-Event-ID` if given).
    fn stream(&self, query: &str, last_event_id: Option<&str>) -> Result<Stream, (u16, Value)> {
        self.stream_encoded(query, last_event_id, None)
    }

    /// Opens `GET /v1/stream?{query}` with `Accept-Encoding: {accept_encoding}` if given, and
    /// reads it gzip-decoded when the server says it is (checking that it says so exactly when
    /// the client accepts gzip).
    fn stream_encoded(
        &self,
        query: &str,
        last_event_id: Option<&str>,
        accept_encoding: Option<&str>,
    ) -> Result<Stream, (u16, Value)> {
        let mut request = self.agent.get(format!("{}/v1/stream?{query}", self.url));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        if let Some(accepted) = accept_encoding {
            request = request.header("accept-encoding", accepted);
        }
        let response = request.call().unwrap();
        let status = response.status().as_u16();
        if status != 200 {
            return Err((status, response.into_body().read_json().unwrap_or(Value::Null)));
        }
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
        assert_eq!(header("vary").as_deref(), Some("accept-encoding"));
        let gzip = header("content-encoding").as_deref() == Some("gzip");
        assert_eq!(
            gzip,
            accept_encoding.is_some_and(|a| a.contains("gzip") && !a.contains("q=0")),
            "{accept_encoding:?}"
        );
        let body: Box<dyn Read + Send> = Box::new(response.into_body().into_reader());
        let body = if gzip { Box::new(flate2::read::GzDecoder::new(body)) } else { body };
        Ok(Stream { reader: BufReader::new(body) })
    }

    #[track_caller]
    fn open(&self, query: &str) -> Stream {
        self.stream(query, None).unwrap_or_else(|(status, body)| panic!("stream {query}: {status} {body}"))
    }

    /// Open streams, from `/metrics`.
    fn subscribers(&self) -> u64 {
        let mut response = self.agent.get(format!("{}/metrics", self.url)).call().unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        let line = text.lines().find(|l| l.starts_with("tidepool_stream_subscribers ")).expect("the gauge");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    /// Waits until no stream is open (a dropped client is noticed within the keep-alive).
    fn wait_for_no_subscribers(&self) {
        let deadline = Instant::now() + READ_TIMEOUT;
        while self.subscribers() != 0 {
            assert!(Instant::now() < deadline, "a stream outlived its client");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One Server-Sent Event.
#[derive(Clone, Debug, PartialEq)]
struct Message {
    event: String,
    id: Option<String>,
    data: Value,
}

impl Message {
    /// The id without its block tag (`2:0:0` of `2:0:0@1a2b3c4d`).
    fn untagged(&self) -> Option<&str> {
        self.id.as_deref().map(|id| id.split_once('@').map_or(id, |(position, _)| position))
    }

    /// (height, tx, event) from the id, for ordering.
    fn position(&self) -> (u64, i64, i64) {
        let id = self.untagged().expect("a message with an id");
        let mut parts = id.split(':').map(|p| p.parse::<i64>().unwrap());
        let height = parts.next().unwrap() as u64;
        (height, parts.next().unwrap_or(-1), parts.next().unwrap_or(-1))
    }
}

struct Stream {
    reader: BufReader<Box<dyn Read + Send>>,
}

impl Stream {
    /// The next message (comments skipped); `None` at the end of the body.
    fn next(&mut self) -> Option<Message> {
        let (mut event, mut id, mut data) = (None, None, Vec::new());
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).expect("reading the stream") == 0 {
                return None;
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                let data = serde_json::from_str(&data.join("\n")).expect("data is JSON");
                return Some(Message { event: event.unwrap_or_else(|| "message".into()), id, data });
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(": ").unwrap_or((line, ""));
            match field {
                "event" => event = Some(value.to_owned()),
                "id" => id = Some(value.to_owned()),
                "data" => data.push(value.to_owned()),
                other => panic!("unknown field {other}"),
            }
        }
    }

    /// Every message up to the end of the stream (which must end with `close`).
    fn rest(&mut self) -> (Vec<Message>, Message) {
        let mut messages = Vec::new();
        while let Some(message) = self.next() {
            if message.event == "close" {
                assert!(self.next().is_none(), "nothing after close");
                return (messages, message);
            }
            messages.push(message);
        }
        panic!("the stream ended without a close message after {messages:?}");
    }
}

/// A dev node with the lending market, and signed traffic for it.
struct Chain {
    node: Node,
    accounts: Vec<DevAccount>,
    nonces: Vec<u64>,
    usdc: Address,
    weth: Address,
}

impl Chain {
    fn new(store: StoreConfig) -> Chain {
        let node = Node::open(with_market(NodeConfig { store, ..NodeConfig::dev() })).unwrap();
        let tokens = node.market().unwrap().tokens;
        let accounts = dev_accounts(10);
        let nonces = accounts.iter().map(|a| node.account(&a.address).unwrap().nonce).collect();
        Chain { node, accounts, nonces, usdc: tokens[0].address, weth: tokens[1].address }
    }

    fn sign(&mut self, from: usize, action: Action) -> tidepool_node::SignedTransaction {
        let account = &self.accounts[from];
        let tx = Transaction {
            chain_id: self.node.config().chain_id,
            nonce: self.nonces[from],
            from: account.address,
            gas_limit: 10_000_000,
            action,
        };
        self.nonces[from] += 1;
        tx.sign(&account.key).unwrap()
    }

    fn token_transfer(&mut self, from: usize, token: Address, amount: &str) -> tidepool_node::SignedTransaction {
        let to = self.accounts[(from + 1) % self.accounts.len()].address;
        self.sign(
            from,
            Action::Execute { contract: token, msg: json!({"transfer": {"to": to, "amount": amount}}), funds: 0 },
        )
    }

    /// One block of several kinds of transaction: USDC and WETH transfers (with events), a
    /// native transfer (none), a USDC transfer that fails (none, and a reverted receipt).
    fn mixed_block(&mut self, round: usize) {
        let (usdc, weth) = (self.usdc, self.weth);
        let to = self.accounts[9].address;
        let txs = vec![
            self.token_transfer(round % 3, usdc, "1"),
            self.sign(3, Action::Transfer { to, amount: 7 }),
            self.token_transfer(4 + round % 2, weth, "2"),
            self.token_transfer(6, usdc, "1000000000000000000000000000"),
            self.token_transfer(7, usdc, "3"),
        ];
        for result in self.node.submit_batch(&txs) {
            result.expect("the transaction is mined");
        }
    }

    fn height(&self) -> u64 {
        self.node.latest_block().unwrap().height
    }
}

/// What the read routes say happened in blocks `from..=to`, in stream order and shape: each
/// block (`GET /v1/blocks/{h}`), then each transaction (`GET /v1/txs/{hash}`) followed by its
/// events (from `GET /v1/events`, filtered like the stream).
fn expected(
    server: &Server,
    from: u64,
    to: u64,
    topics: &[&str],
    contract: Option<Address>,
    ty: Option<&str>,
) -> Vec<Message> {
    let mut query = format!("/v1/events?from={from}&to={to}&limit=1000");
    if let Some(contract) = contract {
        query.push_str(&format!("&contract={contract}"));
    }
    if let Some(ty) = ty {
        query.push_str(&format!("&type={ty}"));
    }
    let events = server.ok(&query)["events"].as_array().unwrap().clone();
    assert!(events.len() < 1000, "one page holds them all");
    let mut out = Vec::new();
    for height in from..=to {
        let block = server.ok(&format!("/v1/blocks/{height}"));
        // Every id ends with its block's tag: the first 8 hex digits of the block's hash.
        let tag = &block["hash"].as_str().unwrap()[2..10];
        if topics.contains(&"blocks") {
            out.push(Message { event: "block".into(), id: Some(format!("{height}@{tag}")), data: block.clone() });
        }
        for (index, hash) in block["tx_hashes"].as_array().unwrap().iter().enumerate() {
            let tx = server.ok(&format!("/v1/txs/{}", hash.as_str().unwrap()));
            let tx_events: Vec<&Value> =
                events.iter().filter(|e| e["height"] == height && e["tx_index"] == index).collect();
            let addressed = [
                &tx["tx"]["tx"]["action"]["contract"],
                &tx["tx"]["tx"]["action"]["to"],
                &tx["receipt"]["contract_address"],
            ]
            .into_iter()
            .any(|a| contract.is_some_and(|c| a.as_str() == Some(&c.to_string())));
            let wanted = (contract.is_none() && ty.is_none()) || !tx_events.is_empty() || (ty.is_none() && addressed);
            if topics.contains(&"txs") && wanted {
                out.push(Message { event: "tx".into(), id: Some(format!("{height}:{index}@{tag}")), data: tx });
            }
            if topics.contains(&"events") {
                for event in tx_events {
                    let id = format!("{height}:{index}:{}@{tag}", event["event_index"]);
                    out.push(Message { event: "event".into(), id: Some(id), data: event.clone() });
                }
            }
        }
    }
    out
}

#[test]
fn a_resumed_stream_misses_nothing_and_repeats_nothing() {
    let mut chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    for round in 0..3 {
        chain.mixed_block(round);
    }

    // A writer goes on committing while the client reads, drops the connection twice and
    // resumes: once with Last-Event-ID in the middle of a block, once with from_height.
    let rounds = 40;
    let final_height = chain.height() + rounds as u64;
    let writer = std::thread::spawn(move || {
        for round in 0..rounds {
            chain.mixed_block(round);
        }
        chain
    });
    let query = |from: &str| format!("from_height={from}&until_height={final_height}");
    let mut got = Vec::new();
    let mut stream = server.open(&query("0"));
    // Into block 2 (the first block with transactions is 1): past its first event.
    while got.last().is_none_or(|m: &Message| m.untagged() != Some("2:0:0")) {
        got.push(stream.next().unwrap());
    }
    drop(stream);
    // Resumed with the id as the stream wrote it (its block tag included), as EventSource does.
    let last_id = got.last().unwrap().id.clone().unwrap();
    assert!(last_id.starts_with("2:0:0@"), "{last_id}");
    let mut stream = server.stream(&query("0"), Some(&last_id)).unwrap();
    // Then stop right after a block message, and resume from that block: drop what was read
    // of it, as a client resuming by height does.
    let mut read = 0;
    loop {
        let message = stream.next().unwrap();
        read += 1;
        let is_block = message.event == "block";
        got.push(message);
        if is_block && read > 30 {
            break;
        }
    }
    drop(stream);
    let partial = got.pop().unwrap();
    let (rest, close) = server.open(&query(&partial.data["height"].to_string())).rest();
    got.extend(rest);
    let chain = writer.join().unwrap();
    assert_eq!(chain.height(), final_height);

    assert_eq!(close.data["reason"], "until_height", "{close:?}");
    assert_eq!(close.data["from_height"], final_height + 1);
    assert!(close.id.is_none());
    let positions: Vec<_> = got.iter().map(Message::position).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "in order, each once");
    let want = expected(&server, 0, final_height, &["blocks", "txs", "events"], None, None);
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want);
    }
    assert!(want.iter().filter(|m| m.event == "event").count() > 100, "the test streamed many events");
    server.wait_for_no_subscribers();
}

#[test]
fn filters_select_events_and_transactions_by_contract_and_type() {
    let mut chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    for round in 0..6 {
        chain.mixed_block(round);
    }
    let last = chain.height();
    let (usdc, weth) = (chain.usdc, chain.weth);
    /// The query, the topics it selects, and the contract and event type it filters by.
    type Case<'a> = (&'a str, &'a [&'a str], Option<Address>, Option<&'a str>);
    let cases: [Case<'_>; 7] = [
        ("topics=events", &["events"], None, None),
        ("topics=events&contract={usdc}", &["events"], Some(usdc), None),
        ("topics=events&type=transfer", &["events"], None, Some("transfer")),
        ("topics=events,txs&contract={weth}&type=transfer", &["txs", "events"], Some(weth), Some("transfer")),
        // With a contract alone, a transaction addressed to it shows even when it failed.
        ("topics=txs&contract={usdc}", &["txs"], Some(usdc), None),
        ("topics=txs&type=nothing-emits-this", &["txs"], None, Some("nothing-emits-this")),
        // Blocks are not filtered.
        ("topics=blocks&contract={weth}", &["blocks"], Some(weth), None),
    ];
    for (query, topics, contract, ty) in cases {
        let query = query.replace("{usdc}", &usdc.to_string()).replace("{weth}", &weth.to_string());
        let (got, close) = server.open(&format!("{query}&from_height=0&until_height={last}")).rest();
        assert_eq!(close.data["reason"], "until_height");
        let want = expected(&server, 0, last, topics, contract, ty);
        assert_eq!(got, want, "{query}");
    }
    // The failed USDC transfers are among the USDC transactions, without events.
    let (txs, _) = server.open(&format!("topics=txs&contract={usdc}&from_height=0&until_height={last}")).rest();
    assert!(txs.iter().any(|m| m.data["receipt"]["status"] == "reverted"));
    assert!(txs.iter().all(|m| m.event == "tx"));
}

#[test]
fn gzip_streams_send_the_same_messages_compressed_and_live() {
    let mut chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    for round in 0..3 {
        chain.mixed_block(round);
    }
    let usdc = chain.usdc;
    let gzip = Some("gzip, deflate, br");
    // A live stream that ends only when dropped: each block's chunk must decode when it
    // arrives, not when the body ends.
    let mut live = server.stream_encoded("topics=blocks", None, gzip).unwrap();
    let rounds = 12;
    let final_height = chain.height() + rounds as u64;
    // Streams of every kind of sending: topics alone (the feed's shared chunks, and for the
    // history the stream's own), a filter (compressed per client), resumed in the middle of a
    // block (its first chunk per client), and plain.
    #[derive(Clone, Copy)]
    enum Want {
        Everything,
        TxsAndEvents,
        Usdc,
        AfterFirstEvent,
    }
    let until = format!("from_height=0&until_height={final_height}");
    let cases = [
        (until.clone(), None, gzip, Want::Everything),
        (format!("topics=txs,events&{until}"), None, gzip, Want::TxsAndEvents),
        (format!("topics=events,txs&{until}"), None, gzip, Want::TxsAndEvents),
        (format!("contract={usdc}&{until}"), None, gzip, Want::Usdc),
        (until.clone(), Some("2:0:0"), gzip, Want::AfterFirstEvent),
        (until.clone(), None, Some("gzip;q=0, identity"), Want::Everything),
        (until.clone(), None, None, Want::Everything),
    ];
    let readers: Vec<_> = cases
        .iter()
        .map(|(query, id, accepted, _)| {
            let mut stream = server.stream_encoded(query, *id, *accepted).unwrap();
            std::thread::spawn(move || stream.rest())
        })
        .collect();
    let first_live = chain.height() + 1;
    chain.mixed_block(0);
    let message = live.next().expect("a live block before the stream ends");
    assert_eq!((message.event.as_str(), message.untagged()), ("block", Some(first_live.to_string().as_str())));
    for round in 1..rounds {
        chain.mixed_block(round);
    }
    assert_eq!(chain.height(), final_height);
    drop(live);

    let all = ["blocks", "txs", "events"];
    let everything = expected(&server, 0, final_height, &all, None, None);
    for ((query, _, _, want), reader) in cases.iter().zip(readers) {
        let (got, close) = reader.join().unwrap();
        assert_eq!(close.data["reason"], "until_height", "{query}: {close:?}");
        let want = match want {
            Want::Everything => everything.clone(),
            Want::TxsAndEvents => expected(&server, 0, final_height, &["txs", "events"], None, None),
            Want::Usdc => expected(&server, 0, final_height, &all, Some(usdc), None),
            Want::AfterFirstEvent => {
                // Resumed with an id without its block tag (as ids were written before tags).
                let resumed = everything.iter().position(|m| m.untagged() == Some("2:0:0")).unwrap();
                everything[resumed + 1..].to_vec()
            }
        };
        assert!(want.len() > 40, "{query}: the stream carried many messages");
        assert_eq!(got, want, "{query}");
    }
    server.wait_for_no_subscribers();
}

#[test]
fn a_live_stream_reads_itself_what_the_feed_did_not_read_for_it() {
    // The feed reads a block's transactions and events only while a listener wants them. A
    // stream that gets a block without the parts it needs (the feed read it before the stream
    // said what it wants) reads the block itself. Forced here: the stream wants everything,
    // but its listener told the feed it wants blocks alone.
    use tidepool_api::stream::{Feed, Filter, Parts, Start, Subscription, Topics};
    let mut chain = Chain::new(StoreConfig::Memory);
    let feed = Feed::new(chain.node.clone());
    let first = chain.height() + 1;
    let start =
        Start { next: first, parent: chain.node.latest_block().unwrap().hash(), after: None, replaced_from: None };
    let everything = Filter { topics: Topics::ALL, contract: None, ty: None };
    let listener = feed.subscribe(Parts::BLOCK, None);
    let mut subscription = Subscription::new(feed.clone(), listener, everything, start, Some(first + 2), false);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    // Caught up (nothing to replay), the stream waits live for the feed.
    let waited =
        runtime.block_on(async { tokio::time::timeout(Duration::from_millis(300), subscription.next_chunk()).await });
    assert!(waited.is_err(), "nothing to send before the next block");
    for round in 0..3 {
        chain.mixed_block(round);
    }
    let bytes = runtime.block_on(async {
        let mut bytes = Vec::new();
        while let Some(chunk) = tokio::time::timeout(READ_TIMEOUT, subscription.next_chunk()).await.unwrap() {
            bytes.extend_from_slice(&chunk);
        }
        bytes
    });
    let (got, close) = Stream { reader: BufReader::new(Box::new(std::io::Cursor::new(bytes))) }.rest();
    assert_eq!(close.data["reason"], "until_height", "{close:?}");
    let server = Server::start(&chain.node);
    let want = expected(&server, first, first + 2, &["blocks", "txs", "events"], None, None);
    assert!(want.iter().any(|m| m.event == "event"));
    assert_eq!(got, want);
}

#[test]
fn a_client_that_stops_reading_is_cut_off_with_where_to_resume_and_the_writer_goes_on() {
    let mut chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    let start = chain.height() + 1;
    // A client that opens a stream and reads nothing, and one that reads everything.
    let slow = server.open("topics=blocks,txs");
    let blocks = 400;
    let final_height = start + blocks - 1;
    let fast = {
        let mut stream = server.open(&format!("topics=blocks,txs&until_height={final_height}"));
        std::thread::spawn(move || stream.rest())
    };
    // The writer: batches of 40 native transfers, one block each, as fast as the node goes.
    let to = chain.accounts[9].address;
    let mut batches = Vec::new();
    for _ in 0..blocks {
        batches.push((0..40).map(|i| chain.sign(i % 9, Action::Transfer { to, amount: 1 })).collect::<Vec<_>>());
    }
    let began = Instant::now();
    for batch in &batches {
        for result in chain.node.submit_batch(batch) {
            result.unwrap();
        }
    }
    eprintln!("{blocks} blocks of 40 transfers committed in {:?} with a stalled stream open", began.elapsed());
    assert_eq!(chain.height(), final_height, "the writer never waited for the stalled client");

    let (fast, close) = fast.join().unwrap();
    assert_eq!(close.data["reason"], "until_height", "a client that keeps up is not cut off: {close:?}");
    assert_eq!(fast.len() as u64, blocks * 41);

    // The stalled client reads now: whole blocks from the start, then where to resume.
    let (got, close) = Arc::new(Mutex::new(slow)).lock().unwrap().rest();
    assert_eq!(close.data["reason"], "lagged", "{close:?}");
    let resume = close.data["from_height"].as_u64().unwrap();
    assert!((start..final_height).contains(&resume), "resume at {resume}");
    let want = expected(&server, start, final_height, &["blocks", "txs"], None, None);
    let sent = (resume - start) as usize * 41;
    assert_eq!(got, want[..sent], "everything before the resume height, whole blocks");
    // Resuming there sends the rest: nothing missed, nothing twice.
    let (rest, _) = server.open(&format!("topics=blocks,txs&from_height={resume}&until_height={final_height}")).rest();
    assert_eq!(rest, want[sent..]);
    server.wait_for_no_subscribers();
}

/// A chain of two blocks, a snapshot there, a live stream of blocks opened, and three blocks
/// more: the chain, its server, the snapshot's height and id, and the stream (its three blocks
/// unread).
fn snapshot_then_three_blocks() -> (Chain, Server, u64, u64, Stream) {
    let chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    chain.node.mine(2).unwrap();
    let snapshot_height = chain.height();
    let snapshot = chain.node.snapshot().unwrap();
    let stream = server.open("topics=blocks");
    chain.node.mine(3).unwrap();
    (chain, server, snapshot_height, snapshot, stream)
}

#[test]
fn a_revert_below_what_was_sent_closes_the_stream_with_the_first_changed_height() {
    let (chain, server, snapshot_height, snapshot, mut stream) = snapshot_then_three_blocks();
    let node = &chain.node;
    for height in snapshot_height + 1..=snapshot_height + 3 {
        assert_eq!(stream.next().unwrap().data["height"], height);
    }
    node.revert(snapshot).unwrap();
    let close = stream.next().unwrap();
    assert_eq!(close.event, "close");
    assert_eq!(close.data["reason"], "reverted");
    assert_eq!(close.data["from_height"], snapshot_height + 1);
    assert!(stream.next().is_none());

    // Resumed there, the stream follows the new chain.
    let mut stream = server.open(&format!("topics=blocks&from_height={}", snapshot_height + 1));
    node.mine(1).unwrap();
    let block = stream.next().unwrap();
    assert_eq!(block.data, server.ok(&format!("/v1/blocks/{}", snapshot_height + 1)));
    // A client that had not gone past the revert's height is not disturbed.
    let mut behind = server.open(&format!("topics=blocks&from_height={}", snapshot_height + 2));
    let snapshot = node.snapshot().unwrap();
    node.mine(1).unwrap();
    node.revert(snapshot).unwrap();
    node.mine(1).unwrap();
    let next = behind.next().unwrap();
    assert_eq!(next.data, server.ok(&format!("/v1/blocks/{}", snapshot_height + 2)));
}

/// A state load replaces every block, that at its own height too: a stream that had sent
/// blocks of the old chain closes with the new chain's first block as where to resume — whether
/// the load is at the height the stream stopped at, or above anything the old chain had (it
/// was told to resume at 1 then, below the new chain, which a resume answered with a 404). A
/// reset closes it too.
#[test]
fn a_state_load_or_reset_closes_a_stream_that_sent_blocks_with_the_new_first_block() {
    let chain = Chain::new(StoreConfig::Memory);
    let server = Server::start(&chain.node);
    let node = &chain.node;
    node.mine(2).unwrap();
    let latest = chain.height();
    let mut stream = server.open(&format!("topics=blocks&from_height={latest}"));
    assert_eq!(stream.next().unwrap().data["height"], latest);
    let mut file = node.dump_state().unwrap();
    file.state_root = None;

    let replaced_at = |stream: &mut Stream, first: u64| {
        let close = stream.next().unwrap();
        assert_eq!((close.event.as_str(), &close.data["reason"]), ("close", &json!("reverted")), "{close:?}");
        assert_eq!(close.data["from_height"], first, "{close:?}");
        assert!(stream.next().is_none());
        // Resuming there reads the new chain.
        let (got, _) = server.open(&format!("topics=blocks&from_height={first}&until_height={first}")).rest();
        assert_eq!(got[0].data, server.ok(&format!("/v1/blocks/{first}")));
        assert_eq!(got[0].data["parent_hash"], json!(tidepool_ledger::Hash::ZERO.to_string()));
    };

    // Loaded at the height the stream last sent: that block is another now.
    file.height = latest;
    node.load_state(&file).unwrap();
    replaced_at(&mut stream, latest);

    // Loaded above anything the old chain had.
    let mut stream = server.open(&format!("topics=blocks&from_height={latest}"));
    assert_eq!(stream.next().unwrap().data["height"], latest);
    file.height = latest + 5;
    node.load_state(&file).unwrap();
    replaced_at(&mut stream, latest + 5);

    // A reset goes back to that first block: blocks sent above it are gone.
    node.mine(2).unwrap();
    let mut stream = server.open(&format!("topics=blocks&from_height={}", latest + 7));
    assert_eq!(stream.next().unwrap().data["height"], latest + 7);
    node.reset().unwrap();
    let close = stream.next().unwrap();
    assert_eq!(
        (&close.data["reason"], &close.data["from_height"]),
        (&json!("reverted"), &json!(latest + 6)),
        "{close:?}"
    );
    server.wait_for_no_subscribers();
}

#[test]
fn an_id_of_a_block_the_chain_no_longer_holds_closes_at_once_with_where_to_start_again() {
    let (chain, server, snapshot_height, snapshot, mut stream) = snapshot_then_three_blocks();
    let node = &chain.node;
    let old: Vec<Message> = (0..3).map(|_| stream.next().unwrap()).collect();
    drop(stream);
    let resumed = |id: &str| server.stream("topics=blocks", Some(id)).unwrap();
    let only_a_revert = |mut stream: Stream, from_height: u64| {
        let close = stream.next().unwrap();
        assert_eq!((close.event.as_str(), &close.data["reason"]), ("close", &json!("reverted")), "{close:?}");
        assert_eq!(close.data["from_height"], from_height, "{close:?}");
        assert!(close.data["message"].as_str().unwrap().contains("Last-Event-ID names a block"), "{close:?}");
        assert!(stream.next().is_none());
    };

    // Back to the snapshot: the client's last block is above the chain now. Not a 404 (which an
    // EventSource takes as the end): the stream says the chain went back, and from where.
    node.revert(snapshot).unwrap();
    only_a_revert(resumed(old[2].id.as_deref().unwrap()), snapshot_height + 1);
    // Other blocks at the same heights (each credits an account): the client's ids name blocks
    // the chain does not hold, though their heights exist again.
    for amount in 1..=3 {
        node.faucet(&Address([0x77; 20]), amount).unwrap();
    }
    assert_eq!(chain.height(), snapshot_height + 3);
    for message in &old {
        only_a_revert(resumed(message.id.as_deref().unwrap()), snapshot_height + 1);
    }
    // A tag this node never replaced a block under (another chain behind the same address, or
    // a node restarted since): every block may differ, so from the first one.
    only_a_revert(resumed("1@00000000"), 0);

    // A node that replaced nothing, asked for a block above its latest, is behind (another node
    // behind the same address, say), not on another chain: a 404, as for an untagged id.
    let fresh = Chain::new(StoreConfig::Memory);
    let fresh_server = Server::start(&fresh.node);
    match fresh_server.stream("topics=blocks", Some(&format!("{}@00000000", fresh.height() + 5))) {
        Err((status, body)) => assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")), "{body}"),
        Ok(_) => panic!("a block above the latest of a node that replaced nothing resumed"),
    }

    // An id of a block the chain holds resumes right after it; so does one without a tag.
    let mut new = server.open(&format!("topics=blocks&from_height={}", snapshot_height + 1));
    let first_new = new.next().unwrap();
    drop(new);
    for id in [first_new.id.clone().unwrap(), (snapshot_height + 1).to_string()] {
        let mut stream = resumed(&id);
        let next = stream.next().unwrap();
        assert_eq!(next.data, server.ok(&format!("/v1/blocks/{}", snapshot_height + 2)), "after {id}");
    }
}

#[test]
fn streams_end_when_the_server_shuts_down() {
    let chain = Chain::new(StoreConfig::Memory);
    let mut server = Server::start(&chain.node);
    let mut stream = server.open("");
    chain.node.mine(1).unwrap();
    assert_eq!(stream.next().unwrap().event, "block");
    let stopped = Arc::new(AtomicBool::new(false));
    let stopper = {
        let (stop, thread, stopped) = (server.stop.take().unwrap(), server.thread.take().unwrap(), stopped.clone());
        std::thread::spawn(move || {
            stop.send(()).unwrap();
            thread.join().unwrap();
            stopped.store(true, Ordering::Release);
        })
    };
    let close = stream.next().unwrap();
    assert_eq!(close.data["reason"], "shutdown", "{close:?}");
    assert_eq!(close.data["from_height"], chain.height() + 1);
    assert!(stream.next().is_none());
    stopper.join().unwrap();
    assert!(stopped.load(Ordering::Acquire), "the graceful shutdown finished");
}

/// Below a loaded chain's first block there never was a block: a 404 there, whether or not the
/// node prunes its history (a pruning node said 410 "pruned" for heights that never existed).
#[test]
fn below_a_loaded_chain_a_pruning_node_says_there_was_no_block() {
    let node = Node::open(NodeConfig { history_blocks: Some(2), ..NodeConfig::dev() }).unwrap();
    let mut file = node.dump_state().unwrap();
    file.height = 3;
    file.state_root = None;
    node.load_state(&file).unwrap();
    for _ in 0..8 {
        node.mine(1).unwrap();
    }
    let server = Server::start(&node);
    let oldest = node.view().unwrap().state().oldest_complete_block().unwrap();
    assert!(oldest > 4, "history was pruned above the first block: {oldest}");
    let Err((status, body)) = server.stream("from_height=2", None) else { panic!("from_height=2 was accepted") };
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("begins at height 3"), "{body}");
    let Err((status, _)) = server.stream(&format!("from_height={}", oldest - 1), None) else {
        panic!("a pruned height was accepted")
    };
    assert_eq!(status, 410, "a pruned height of this chain is still 410");
}

/// A node whose history is pruned below some height: blocks committed by the node, then more
/// by the ledger alone with a history limit (`--history-blocks` is not a node option yet).
fn pruned_node(dir: &std::path::Path) -> Node {
    let store = StoreConfig::RocksDb(dir.to_path_buf());
    drop(Chain::new(store.clone()));
    {
        let mut ledger = Ledger::open(dir).unwrap();
        ledger.set_history_blocks(Some(2));
        for _ in 0..5 {
            let time = ledger.latest().unwrap().unwrap().time;
            ledger.commit_block(NewBlock { time, ..NewBlock::default() }).unwrap();
        }
    }
    Node::open(NodeConfig { store, ..NodeConfig::dev() }).unwrap()
}

#[test]
fn bad_requests_are_4xx_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = pruned_node(&dir.path().join("ledger"));
    let server = Server::start(&node);
    let head = server.ok("/v1/blocks/latest");
    let latest = head["height"].as_u64().unwrap();
    let oldest = node.view().unwrap().state().oldest_complete_block().unwrap();
    assert!(oldest > 0, "history was pruned");

    let cases = [
        ("topics=blocks,logs", None, 400, "bad_request"),
        ("topics=", None, 400, "bad_request"),
        ("type=", None, 400, "bad_request"),
        ("contract=0x1234", None, 400, "bad_request"),
        ("from_height=-1", None, 400, "bad_request"),
        ("from_height=1.5", None, 400, "bad_request"),
        ("until_height=x", None, 400, "bad_request"),
        ("unknown=1", None, 400, "bad_request"),
        ("", Some("12:x"), 400, "bad_request"),
        ("", Some("1:2:3:4"), 400, "bad_request"),
        (&format!("from_height={}", latest + 2) as &str, None, 404, "not_found"),
        ("from_height=18446744073709551615", None, 404, "not_found"),
        ("", Some(&format!("{}:0", latest + 1) as &str), 404, "not_found"),
        (&format!("from_height={}", oldest - 1) as &str, None, 410, "height_pruned"),
        ("from_height=0", None, 410, "height_pruned"),
        ("", Some("0:0:0"), 410, "height_pruned"),
    ];
    for (query, last_event_id, status, code) in cases {
        let Err((got, body)) = server.stream(query, last_event_id) else {
            panic!("{query} {last_event_id:?} was accepted");
        };
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{query} {last_event_id:?}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(server.ok("/v1/blocks/latest"), head, "nothing changed");
    assert_eq!(server.subscribers(), 0);

    // The edges are accepted: the oldest complete block, and the next block (live only).
    let (got, _) = server.open(&format!("topics=blocks&from_height={oldest}&until_height={oldest}")).rest();
    assert_eq!(got[0].data["height"], oldest);
    let (got, close) = server.open(&format!("from_height={}&until_height={latest}", latest + 1)).rest();
    assert!(got.is_empty());
    assert_eq!(close.data["from_height"], latest + 1);
    server.wait_for_no_subscribers();
}

/// A chain loaded from a state file begins at the file's height: there is no block below it. A
/// stream starts at that first block (its parent hash is zero), and asking for one below it is a
/// 404 — it was a 500, as the stream looked for the first block's parent (found by the
/// conformance check).
#[test]
fn a_chain_loaded_at_a_height_streams_from_its_first_block() {
    let chain = Chain::new(StoreConfig::Memory);
    let mut file = chain.node.dump_state().unwrap();
    file.height = 6;
    file.state_root = None;
    let first = chain.node.load_state(&file).unwrap();
    assert_eq!((first.height, first.parent_hash), (6, tidepool_ledger::Hash::ZERO));
    let server = Server::start(&chain.node);
    for (query, last_event_id) in [("from_height=2", None), ("from_height=5", None), ("", Some("3")), ("", Some("5:0"))]
    {
        let Err((status, body)) = server.stream(query, last_event_id) else {
            panic!("{query} {last_event_id:?} was accepted");
        };
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{query} {last_event_id:?}: {body}"
        );
    }
    let (got, _) = server.open("topics=blocks&from_height=6&until_height=6").rest();
    assert_eq!((got.len(), &got[0].data["hash"]), (1, &json!(first.hash().to_string())));
    // Resuming after the first block's message: nothing repeated, the next block comes live.
    let mut resumed = server.stream("topics=blocks", Some("6")).unwrap();
    chain.node.mine(1).unwrap();
    let next = resumed.next().unwrap();
    assert_eq!((next.event.as_str(), &next.data["height"]), ("block", &json!(7)));
    drop(resumed);
    server.wait_for_no_subscribers();
}
