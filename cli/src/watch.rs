//! `tidepool watch`: follows a node's live stream (`GET /v1/stream`) and prints one line per
//! block, transaction or event — readable, or JSON with `--json`.
//!
//! It never misses a message and never prints one twice: after a dropped connection it
//! reconnects with `Last-Event-ID` (the id of the last message it printed), and when the node
//! ends the stream with a `close` message (the watcher fell behind, the node restarts, a dev
//! revert) it reconnects from the height that message gives. It stops at `--until-height`, or
//! with Ctrl-C.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use flate2::read::GzDecoder;
use serde_json::{Value, json};
use tidepool_ledger::Address;

use crate::client::{Client, Endpoint};
use crate::output::outln;

/// A silent stream sends a comment every 15 s; three missed in a row mean the node is gone.
const READ_TIMEOUT: Duration = Duration::from_secs(45);

/// Longest pause between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// `tidepool watch`.
#[derive(Args)]
pub(crate) struct WatchArgs {
    /// Blocks (without `--blocks`, `--txs` or `--events`: all three).
    #[arg(long)]
    blocks: bool,
    /// Transactions with their receipts.
    #[arg(long)]
    txs: bool,
    /// Contract events.
    #[arg(long)]
    events: bool,
    /// Only events of this contract, and transactions addressed to it or with one of its events.
    #[arg(long)]
    contract: Option<Address>,
    /// Only events of this type, and transactions with an event of this type.
    #[arg(long = "type", value_name = "TYPE")]
    ty: Option<String>,
    /// Start with this block (default: the next one). History comes first, then live.
    #[arg(long)]
    from_height: Option<u64>,
    /// Stop after this block.
    #[arg(long)]
    until_height: Option<u64>,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Where to (re)connect from.
enum Resume {
    /// Block `n`, whole.
    From(u64),
    /// Right after the message with this id.
    After(String),
}

/// How one connection ended.
enum Ended {
    /// `close` with `until_height`: done.
    Done,
    /// Reconnect (at once: the node asked for it).
    Reconnect,
    /// The connection dropped: reconnect after a pause.
    Dropped(String),
}

/// Follows the stream until `--until-height` (or forever).
pub(crate) fn run(args: WatchArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let mut resume = match args.from_height {
        Some(height) => Resume::From(height),
        // Pinned now, so that a reconnection before the first message still misses nothing.
        None => Resume::From(
            client.get("/v1/blocks/latest")?["height"].as_u64().context("the latest block has no height")? + 1,
        ),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_per_read(Some(READ_TIMEOUT))
        .build()
        .into();
    let mut backoff = Duration::from_millis(250);
    loop {
        match follow(&agent, &args, &mut resume, json)? {
            Ended::Done => return Ok(()),
            Ended::Reconnect => backoff = Duration::from_millis(250),
            Ended::Dropped(why) => {
                eprintln!("watch: {why}; reconnecting in {:.1} s", backoff.as_secs_f64());
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// One connection: prints its messages, updates `resume`, says how it ended. A failure worth
/// retrying (the node is away) is [`Ended::Dropped`]; an answer that will not change (a 4xx,
/// pruned history) is an error, which ends the command.
fn follow(agent: &ureq::Agent, args: &WatchArgs, resume: &mut Resume, json: bool) -> anyhow::Result<Ended> {
    let mut query = vec![format!("topics={}", topics(args))];
    if let Some(contract) = &args.contract {
        query.push(format!("contract={contract}"));
    }
    if let Some(ty) = &args.ty {
        query.push(format!("type={}", encode(ty)));
    }
    if let Resume::From(height) = resume {
        query.push(format!("from_height={height}"));
    }
    if let Some(until) = args.until_height {
        query.push(format!("until_height={until}"));
    }
    let url = format!("{}/v1/stream?{}", args.endpoint.url.trim_end_matches('/'), query.join("&"));
    let mut request = agent.get(&url).header("accept", "text/event-stream").header("accept-encoding", "gzip");
    if let Resume::After(id) = resume {
        request = request.header("last-event-id", id.as_str());
    }
    let response = match request.call() {
        Ok(response) => response,
        Err(e) => return Ok(Ended::Dropped(format!("GET {url}: {e}"))),
    };
    let status = response.status();
    if !status.is_success() {
        let body: Value = response.into_body().read_json().unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().unwrap_or("(no message)");
        if status.is_server_error() {
            return Ok(Ended::Dropped(format!("{status}: {message}")));
        }
        bail!("{status}: {message}");
    }
    let gzip = response.headers().get("content-encoding").is_some_and(|coding| coding == "gzip");
    let body: Box<dyn Read> = Box::new(response.into_body().into_reader());
    // Each chunk of a gzip stream decodes as it arrives (docs/api.md, "Live streams").
    let mut reader = BufReader::new(if gzip { Box::new(GzDecoder::new(body)) } else { body });
    let mut message = Sse::default();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return Ok(Ended::Dropped("the node closed the stream".into())),
            Ok(_) => {}
            Err(e) => return Ok(Ended::Dropped(format!("reading the stream: {e}"))),
        }
        let line = line.trim_end_matches(['\n', '\r']);
        if !line.is_empty() {
            message.add(line);
            continue;
        }
        let Some((event, id, data)) = message.take() else { continue };
        let data: Value = serde_json::from_str(&data).unwrap_or(Value::String(data));
        if event == "close" {
            return close(&data, resume, json);
        }
        print_message(&event, id.as_deref(), &data, json);
        if let Some(id) = id {
            *resume = Resume::After(id);
        }
    }
}

/// What a `close` message means for the watch. With `--json` it is printed too: after a
/// revert, a script must drop what it read from `from_height` on.
fn close(data: &Value, resume: &mut Resume, json: bool) -> anyhow::Result<Ended> {
    if json {
        outln!("{}", json!({ "event": "close", "data": data }));
    }
    let reason = data["reason"].as_str().unwrap_or("?");
    let message = data["message"].as_str().unwrap_or("");
    let from = data["from_height"].as_u64().with_context(|| format!("a close message without from_height: {data}"))?;
    match reason {
        "until_height" => Ok(Ended::Done),
        "pruned" => bail!("{message}; run again with --from-height {from} to go on from there"),
        _ => {
            eprintln!("watch: {message} ({reason})");
            *resume = Resume::From(from);
            // A node shutting down is not back at once.
            Ok(if reason == "shutdown" { Ended::Dropped("the node is shutting down".into()) } else { Ended::Reconnect })
        }
    }
}

/// The `topics` parameter for the flags given (all three when none is).
fn topics(args: &WatchArgs) -> String {
    let chosen: Vec<&str> = [(args.blocks, "blocks"), (args.txs, "txs"), (args.events, "events")]
        .into_iter()
        .filter_map(|(on, topic)| on.then_some(topic))
        .collect();
    if chosen.is_empty() { "blocks,txs,events".into() } else { chosen.join(",") }
}

/// Percent-encodes a query value (event types are free text).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One Server-Sent Event being read, line by line.
#[derive(Default)]
struct Sse {
    event: Option<String>,
    id: Option<String>,
    data: Vec<String>,
}

impl Sse {
    fn add(&mut self, line: &str) {
        if line.starts_with(':') {
            return; // a comment (keep-alive)
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_string();
        match field {
            "event" => self.event = Some(value),
            "id" => self.id = Some(value),
            "data" => self.data.push(value),
            _ => {}
        }
    }

    /// The message ended by a blank line: (event, id, data), if it had data.
    fn take(&mut self) -> Option<(String, Option<String>, String)> {
        let taken = std::mem::take(self);
        if taken.data.is_empty() {
            return None;
        }
        Some((taken.event.unwrap_or_else(|| "message".into()), taken.id, taken.data.join("\n")))
    }
}

/// Prints one message: a readable line, or `{"event","id","data"}` with `--json`.
fn print_message(event: &str, id: Option<&str>, data: &Value, json: bool) {
    if json {
        outln!("{}", json!({ "event": event, "id": id, "data": data }));
        return;
    }
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    match event {
        "block" => {
            let txs = data["tx_hashes"].as_array().map_or(0, Vec::len);
            outln!(
                "block  {:<10} {}  {} tx{}  time {}",
                data["height"].as_u64().map_or_else(|| "?".into(), |h| h.to_string()),
                text(&data["hash"]),
                txs,
                if txs == 1 { "" } else { "s" },
                data["time"]
            );
        }
        "tx" => {
            let (tx, receipt) = (&data["tx"]["tx"], &data["receipt"]);
            let mut line = format!(
                "tx     {:<10} {}  {}  {}  from {}  gas {}",
                id.unwrap_or("?"),
                text(&receipt["tx_hash"]),
                text(&receipt["status"]),
                action(&tx["action"], receipt),
                text(&tx["from"]),
                receipt["gas_used"]
            );
            if let Some(error) = receipt["error"].as_str() {
                line.push_str(&format!("  error: {error}"));
            }
            outln!("{line}");
        }
        "event" => outln!(
            "event  {:<10} {}  {}  {}",
            id.unwrap_or("?"),
            text(&data["contract"]),
            text(&data["type"]),
            data["data"]
        ),
        other => outln!("{other}  {}  {data}", id.unwrap_or("")),
    }
}

/// A transaction's action in a few words.
fn action(action: &Value, receipt: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let msg_name = |msg: &Value| msg.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
    match action["type"].as_str().unwrap_or("?") {
        "transfer" => format!("transfer {} to {}", text(&action["amount"]), text(&action["to"])),
        "execute" => format!("execute {} {}", text(&action["contract"]), msg_name(&action["msg"])),
        "instantiate" => format!("instantiate {}", receipt["contract_address"].as_str().unwrap_or("(failed)")),
        "upload_code" => format!("upload_code {}", receipt["code_hash"].as_str().unwrap_or("(failed)")),
        "migrate" => format!("migrate {}", text(&action["contract"])),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Sse, encode};

    #[test]
    fn server_sent_events_are_read_field_by_field() {
        let mut sse = Sse::default();
        for line in [": keep-alive", "event: tx", "id: 4:0", "data: {\"a\":", "data: 1}"] {
            sse.add(line);
        }
        assert_eq!(sse.take(), Some(("tx".into(), Some("4:0".into()), "{\"a\":\n1}".into())));
        sse.add(": only a comment");
        assert_eq!(sse.take(), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("transfer"), "transfer");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
