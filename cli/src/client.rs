//! Client commands: sign locally, talk to a node's REST API.
//!
//! The signer is chosen with `--key <name|address>` (from the key directory), `--private-key`
//! (or `$TIDEPOOL_PRIVATE_KEY`), or `--dev-account N` (the well-known dev keys of a `--dev` node).

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use k256::ecdsa::SigningKey;
use serde_json::Value;
use tidepool_ledger::{Address, Hash};
use tidepool_node::diff::StateDiff;
use tidepool_node::keys::{address_of, dev_accounts, parse_private_key};
use tidepool_node::trace::TraceFrame;
use tidepool_node::tx::check_label;
use tidepool_node::{Action, Transaction};

use super::keys::KeysDir;
use super::output::{out, outln};

/// Where the node is.
#[derive(Args, Clone)]
pub(crate) struct Endpoint {
    /// The node's URL.
    #[arg(long, env = "TIDEPOOL_URL", default_value = "http://127.0.0.1:8545", global = true)]
    pub url: String,
}

/// Who signs.
#[derive(Args, Clone)]
pub(crate) struct Signer {
    /// A key from the key directory, by name or address.
    #[arg(long, conflicts_with_all = ["private_key", "dev_account"])]
    key: Option<String>,
    /// A private key (0x hex).
    #[arg(long, env = "TIDEPOOL_PRIVATE_KEY", hide_env_values = true, conflicts_with = "dev_account")]
    private_key: Option<String>,
    /// Dev account N of a `--dev` node (anvil's well-known keys).
    #[arg(long)]
    dev_account: Option<u32>,
    #[command(flatten)]
    options: TxOptions,
    #[command(flatten)]
    keys: KeysDir,
}

/// A transaction's gas limit and nonce: the ones given, or the defaults.
#[derive(Args, Clone)]
pub(crate) struct TxOptions {
    /// Gas limit of the transaction (default: the node's maximum; a sandbox charges nothing for
    /// gas, and uploading a 140 KB contract alone costs about 72 million).
    #[arg(long, default_value_t = tidepool_node::apply::MAX_TX_GAS)]
    gas_limit: u64,
    /// The transaction's nonce (default: the sender's next, its pending transactions counted:
    /// the account's `pending_nonce`).
    #[arg(long)]
    nonce: Option<u64>,
}

impl Signer {
    /// The signing key; without `--key`, `--private-key` or `--dev-account`, dev account 0's,
    /// with a note on stderr.
    fn key(&self) -> anyhow::Result<SigningKey> {
        if let Some(name) = &self.key {
            return Ok(self.keys.keystore().find(name)?.key);
        }
        if let Some(raw) = &self.private_key {
            return Ok(parse_private_key(raw)?);
        }
        let index = self.dev_account.unwrap_or(0);
        if self.dev_account.is_none() {
            eprintln!("note: no --key, --private-key or --dev-account given; signing as dev account 0");
        }
        dev_accounts(index + 1).pop().map(|a| a.key).context("no such dev account")
    }

    /// This signer for the transaction after the one it signs first: with `--nonce N`, nonce
    /// N + 1 (without it, the node's `pending_nonce` counts the first transaction already).
    fn for_the_next_transaction(&self) -> anyhow::Result<Signer> {
        let next = |nonce: u64| nonce.checked_add(1).context("--nonce: the next transaction's would overflow");
        let nonce = self.options.nonce.map(next).transpose()?;
        Ok(Signer { options: TxOptions { nonce, ..self.options.clone() }, ..self.clone() })
    }
}

/// The largest answer the CLI reads. ureq stops at 10 MiB by default, and a state dump (a JSON
/// answer like any other) is often larger: a node loads state files of up to 256 MiB over HTTP
/// (docs/state-file.md) and dumps whatever its state holds. Every answer is read with this limit.
pub(crate) const MAX_ANSWER_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Request bodies from this size on are sent with `Expect: 100-continue`: the node then answers a
/// request it refuses before reading the body (403 `dev_mode_only` on a node without `--dev`) at
/// once, and the CLI reads that answer instead of failing on a broken pipe halfway through the
/// upload. Smaller bodies fit in the socket's buffers, so the answer is read all the same.
const EXPECT_CONTINUE_FROM: usize = 64 * 1024;

/// The largest request body the node reads at `path` (docs/api.md, 413 `body_too_large`):
/// 256 MiB for `/dev/load_state`, 8 MiB elsewhere.
pub(crate) fn max_request_bytes(path: &str) -> usize {
    if path == "/dev/load_state" {
        tidepool_api::routes::dev_state::MAX_STATE_BYTES
    } else {
        tidepool_api::routes::MAX_BODY_BYTES
    }
}

/// `bytes` in MiB, for messages: `256 MiB`, `8.5 MiB`.
pub(crate) fn mib(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib.fract() == 0.0 { format!("{mib} MiB") } else { format!("{mib:.1} MiB") }
}

/// A small JSON client over the REST API.
pub(crate) struct Client {
    agent: ureq::Agent,
    url: String,
}

impl Client {
    /// A client for `endpoint`.
    pub(crate) fn new(endpoint: &Endpoint) -> Client {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Client { agent, url: endpoint.url.trim_end_matches('/').to_string() }
    }

    /// The answer's status and body, read whole (up to [`MAX_ANSWER_BYTES`]).
    fn read(path: &str, mut response: ureq::http::Response<ureq::Body>) -> anyhow::Result<(u16, Vec<u8>)> {
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .with_context(|| format!("{path}: reading the answer"))?;
        Ok((status, body))
    }

    /// The error of a refused request (status `status`, body `body`): the node's message.
    fn refusal(status: u16, body: &[u8]) -> anyhow::Error {
        let reason = ureq::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
        match serde_json::from_slice::<Value>(body) {
            Ok(error) => {
                let message = error["error"]["message"].as_str().unwrap_or("(no message)");
                anyhow!("{status} {reason}: {message}")
            }
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let text = if text.chars().count() > 200 {
                    format!("{}…", text.chars().take(200).collect::<String>())
                } else {
                    text.to_string()
                };
                anyhow!("{status} {reason}: {}", if text.is_empty() { "(no message)" } else { &text })
            }
        }
    }

    /// The JSON body of a successful answer, or the node's message for a refused request.
    fn answer(path: &str, response: ureq::http::Response<ureq::Body>) -> anyhow::Result<Value> {
        let body = Self::answer_bytes(path, response)?;
        serde_json::from_slice(&body).with_context(|| format!("{path}: the answer is not JSON"))
    }

    /// The body of a successful answer as the node sent it, or the node's message for a refused
    /// request.
    fn answer_bytes(path: &str, response: ureq::http::Response<ureq::Body>) -> anyhow::Result<Vec<u8>> {
        let (status, body) = Self::read(path, response)?;
        if (200..300).contains(&status) { Ok(body) } else { Err(Self::refusal(status, &body)) }
    }

    /// What went wrong sending `method path`; for a request with a body, in words when the node
    /// closed the connection while it was being sent (a node stops reading a request it refuses).
    fn unsent(&self, method: &str, path: &str, with_body: bool, error: ureq::Error) -> anyhow::Error {
        use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
        let what = format!("{method} {}{path}", self.url);
        match &error {
            ureq::Error::Io(e)
                if with_body
                    && matches!(e.kind(), BrokenPipe | ConnectionAborted | ConnectionReset | UnexpectedEof) =>
            {
                anyhow!(
                    "{what}: the node closed the connection before reading the whole request, without an answer \
                     (it likely refused the request; its log may say why)"
                )
            }
            _ => anyhow::Error::new(error).context(what),
        }
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response =
            self.agent.get(format!("{}{path}", self.url)).call().map_err(|e| self.unsent("GET", path, false, e))?;
        Self::answer(path, response)
    }

    /// `POST path` with a JSON body.
    pub(crate) fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.post_json_bytes(path, &serde_json::to_vec(body)?)
    }

    /// `POST path` with `body`, bytes of JSON sent as they are (`Content-Type: application/json`),
    /// so the node's positions in a parse error are positions in them. A body over the node's
    /// limit at `path` ([`max_request_bytes`]) is refused here, before anything is sent: the
    /// node would stop reading it and close the connection.
    pub(crate) fn post_json_bytes(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let limit = max_request_bytes(path);
        if body.len() > limit {
            bail!(
                "POST {}{path}: the request is {} bytes ({}), over the {} the node reads in a request body \
                 (it would refuse it: 413 body_too_large)",
                self.url,
                body.len(),
                mib(body.len() as u64),
                mib(limit as u64)
            );
        }
        let mut request = self.agent.post(format!("{}{path}", self.url)).header("content-type", "application/json");
        if body.len() >= EXPECT_CONTINUE_FROM {
            request = request.header("expect", "100-continue");
        }
        let response = request.send(body).map_err(|e| self.unsent("POST", path, true, e))?;
        Self::answer(path, response)
    }

    /// `POST path` without a body, for the controls that take none (the node reads and drops a
    /// body sent anyway).
    pub(crate) fn post_empty(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.post_empty_response(path)?;
        Self::answer(path, response)
    }

    /// `POST path` without a body; the answer's bytes exactly as the node sent them (for
    /// `/dev/dump_state`, whose bytes are the state file).
    pub(crate) fn post_empty_raw(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let response = self.post_empty_response(path)?;
        Self::answer_bytes(path, response)
    }

    fn post_empty_response(&self, path: &str) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
        self.agent.post(format!("{}{path}", self.url)).send_empty().map_err(|e| self.unsent("POST", path, false, e))
    }

    /// Signs `action` with `key` (`signer`'s, from [`Signer::key`], resolved once by the caller
    /// for all of a command's transactions) with `signer`'s gas limit and nonce (nonce and chain
    /// id read from the node) and submits it; on a network, waits for the receipt (at most 30 s).
    pub(crate) fn transact(&self, signer: &Signer, key: &SigningKey, action: Action) -> anyhow::Result<Value> {
        let health = self.get("/health")?;
        // A network's validator answers with the hash at once; wait for the receipt there, as
        // automine gives it (a dev node's manual mining keeps answering with the hash).
        let path = if health["consensus"].is_null() { "/v1/txs" } else { "/v1/txs?wait=true" };
        let tx = self.transaction(&health, address_of(key), &signer.options, action)?;
        let signed = tx.sign(key)?;
        self.post(path, &serde_json::to_value(&signed)?)
    }

    /// The transaction in which `from` does `action`, unsigned: on the chain whose `/health` is
    /// `health`, with `options`' gas limit and nonce (default: `from`'s `pending_nonce`, read from
    /// the node).
    pub(crate) fn transaction(
        &self,
        health: &Value,
        from: Address,
        options: &TxOptions,
        action: Action,
    ) -> anyhow::Result<Transaction> {
        let chain_id = health["chain_id"].as_u64().context("health: no chain_id")?;
        let nonce = match options.nonce {
            Some(nonce) => nonce,
            None => {
                let account = self.get(&format!("/v1/accounts/{from}"))?;
                // A node from before `pending_nonce` tells only the committed one.
                account["pending_nonce"].as_u64().or_else(|| account["nonce"].as_u64()).context("account: no nonce")?
            }
        };
        Ok(Transaction { chain_id, nonce, from, gas_limit: options.gas_limit, action })
    }
}

/// Fails a command whose transaction was mined but failed (reverted or out of gas): its receipt,
/// printed already, says why.
pub(crate) fn check_mined(receipt: &Value) -> anyhow::Result<()> {
    if receipt["status"].as_str().is_some_and(|s| s != "success") {
        bail!("the transaction was mined but failed");
    }
    Ok(())
}

/// Prints a receipt: readable, or raw JSON.
pub(crate) fn print_receipt(receipt: &Value, json: bool) {
    if json {
        outln!("{}", serde_json::to_string_pretty(receipt).unwrap_or_default());
        return;
    }
    if let Some(hash) = receipt.get("tx_hash").filter(|_| receipt.get("status").is_none()) {
        outln!("submitted {hash} (pending: it waits for the next block; `tidepool tx` shows it then)");
        return;
    }
    outln!("tx        {}", receipt["tx_hash"].as_str().unwrap_or("?"));
    outln!("block     {}", receipt["height"]);
    outln!("status    {}", receipt["status"].as_str().unwrap_or("?"));
    outln!("gas used  {}", receipt["gas_used"]);
    for (field, label) in [("code_hash", "code hash"), ("contract_address", "contract"), ("error", "error")] {
        if let Some(v) = receipt.get(field).and_then(Value::as_str) {
            outln!("{label:<9} {v}");
        }
    }
    if !receipt["result"].is_null() {
        outln!("result    {}", receipt["result"]);
    }
    for event in receipt["events"].as_array().into_iter().flatten() {
        outln!(
            "event     {} {} {}",
            event["contract"].as_str().unwrap_or("?"),
            event["type"].as_str().unwrap_or("?"),
            event["data"]
        );
    }
}

/// A contract message from the command line: JSON whose whole numbers written `5.0` or `5e0`
/// are read as the integers they are (as the node reads them), refused here — before anything
/// is signed or sent — if it holds a number a signed message cannot carry (a fraction, or one
/// outside the 64-bit range).
fn parse_message(what: &str, raw: &str) -> anyhow::Result<Value> {
    let mut message: Value = serde_json::from_str(raw).with_context(|| format!("{what} is not valid JSON: {raw}"))?;
    tidepool_node::whole_number::normalize(&mut message);
    tidepool_node::canonical::check_numbers(&message).map_err(|rejection| anyhow::anyhow!("{what}: {rejection}"))?;
    Ok(message)
}

/// `tidepool deploy`.
#[derive(Args)]
#[command(mut_arg("nonce", |nonce| nonce.help(DEPLOY_NONCE_HELP)))]
pub(crate) struct DeployArgs {
    /// The contract's .wasm file.
    wasm: PathBuf,
    /// Instantiate with this JSON message after uploading (omit to only upload).
    #[arg(long)]
    init: Option<String>,
    /// The instance's label (printable ASCII, at most 128 bytes).
    #[arg(long, default_value = "")]
    label: String,
    /// Who may migrate the instance (default: the signer; "none" makes it immutable).
    #[arg(long)]
    admin: Option<String>,
    /// Native funds to send to the new instance (base units).
    #[arg(long, default_value_t = 0)]
    funds: u128,
    #[command(flatten)]
    signer: Signer,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// `tidepool deploy --nonce`'s help: with `--init` it sends two transactions.
const DEPLOY_NONCE_HELP: &str = "The upload's nonce N; with --init, the instantiation is signed with N + 1 \
     (default: the sender's next, its pending transactions counted: the account's `pending_nonce`)";

/// Uploads (and optionally instantiates) a contract. Every argument is checked before the first
/// transaction is sent, so a mistake costs no upload. With `--json`, prints one document: the
/// upload's receipt, or with `--init` `{"upload": <receipt>, "instantiate": <receipt>}`
/// (`"instantiate": null` when the upload was mined but failed or the instantiation was
/// refused; an upload the node refuses prints nothing and fails with its message). With
/// `--nonce N` the upload takes N and the instantiation N + 1.
pub(crate) fn deploy(args: DeployArgs, json: bool) -> anyhow::Result<()> {
    let wasm = std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    let msg = args.init.as_deref().map(|init| parse_message("--init", init)).transpose()?;
    check_label(&args.label).map_err(|e| anyhow!("--label: {e}"))?;
    let key = args.signer.key()?;
    let admin = match args.admin.as_deref() {
        Some("none") => None,
        Some(raw) => {
            Some(raw.parse::<Address>().map_err(|e| anyhow!("--admin {raw:?} is not an address or \"none\": {e}"))?)
        }
        None => Some(address_of(&key)),
    };
    let instantiator = args.signer.for_the_next_transaction()?;
    let client = Client::new(&args.endpoint);
    let upload = client.transact(&args.signer, &key, Action::UploadCode { wasm })?;
    let Some(msg) = msg else {
        print_receipt(&upload, json);
        return check_mined(&upload).context("uploading the code");
    };
    if !json {
        print_receipt(&upload, false);
    }
    let uploaded = check_mined(&upload).context("uploading the code");
    let instantiate = uploaded.and_then(|()| {
        let code_hash: Hash = upload["code_hash"].as_str().context("the upload has no code_hash")?.parse()?;
        let action = Action::Instantiate { code_hash, msg, funds: args.funds, label: args.label, admin };
        client.transact(&instantiator, &key, action).context("instantiating")
    });
    if json {
        let receipts = serde_json::json!({"upload": upload, "instantiate": instantiate.as_ref().ok()});
        outln!("{}", serde_json::to_string_pretty(&receipts)?);
    } else if let Ok(receipt) = &instantiate {
        print_receipt(receipt, false);
    }
    check_mined(&instantiate?).context("instantiating")
}

/// A contract call: the contract, the execute message, the funds sent with it (`tidepool call`'s,
/// and an impersonated one's).
#[derive(Args)]
pub(crate) struct Execution {
    /// The contract.
    contract: Address,
    /// The execute message (JSON).
    msg: String,
    /// Native funds to attach (base units).
    #[arg(long, default_value_t = 0)]
    funds: u128,
}

impl Execution {
    /// The transaction's action; fails if the message is not JSON.
    pub(crate) fn action(self) -> anyhow::Result<Action> {
        Ok(Action::Execute {
            contract: self.contract,
            msg: parse_message("the message", &self.msg)?,
            funds: self.funds,
        })
    }
}

/// `tidepool call`.
#[derive(Args)]
pub(crate) struct CallArgs {
    #[command(flatten)]
    execution: Execution,
    #[command(flatten)]
    signer: Signer,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Executes a contract.
pub(crate) fn call(args: CallArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let action = args.execution.action()?;
    let receipt = client.transact(&args.signer, &args.signer.key()?, action)?;
    print_receipt(&receipt, json);
    check_mined(&receipt)
}

/// `tidepool query`.
#[derive(Args)]
pub(crate) struct QueryArgs {
    /// The contract.
    contract: Address,
    /// The query message (JSON).
    msg: String,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Queries a contract.
pub(crate) fn query(args: QueryArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let answer =
        client.post(&format!("/v1/contracts/{}/query", args.contract), &parse_message("the message", &args.msg)?)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        outln!("{}", serde_json::to_string_pretty(&answer["result"])?);
    }
    Ok(())
}

/// `tidepool balance`.
#[derive(Args)]
pub(crate) struct BalanceArgs {
    /// The address.
    address: Address,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Shows native and token balances.
pub(crate) fn balance(args: BalanceArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let balances = client.get(&format!("/v1/accounts/{}/balances", args.address))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&balances)?);
        return Ok(());
    }
    outln!("{}", args.address);
    outln!("  native  {}", format_units(balances["native"].as_str().unwrap_or("0"), 18));
    for token in balances["tokens"].as_array().into_iter().flatten() {
        let decimals = token["decimals"].as_u64().unwrap_or(0) as usize;
        outln!(
            "  {:<7} {}",
            token["symbol"].as_str().unwrap_or("?"),
            format_units(token["balance"].as_str().unwrap_or("0"), decimals)
        );
    }
    Ok(())
}

/// `tidepool tx`.
#[derive(Args)]
pub(crate) struct TxArgs {
    /// The transaction hash.
    hash: Hash,
    /// Also print what it changed: storage entries, balances and nonces, contracts, code.
    #[arg(long)]
    diff: bool,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// `tidepool trace`.
#[derive(Args)]
pub(crate) struct TraceArgs {
    /// The transaction hash.
    hash: Hash,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Prints a committed transaction's call tree, frame by frame with its gas, message, events,
/// logs and result.
pub(crate) fn trace(args: TraceArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let found = client.get(&format!("/v1/txs/{}/trace", args.hash))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(());
    }
    match serde_json::from_value::<Option<TraceFrame>>(found["trace"].clone())? {
        Some(trace) => out!("{}", trace.render()),
        None => outln!("no call tree: the transaction called no contract"),
    }
    Ok(())
}

/// Shows a transaction and its receipt.
pub(crate) fn tx(args: TxArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let found = client.get(&format!("/v1/txs/{}", args.hash))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        outln!("action    {}", found["tx"]["tx"]["action"]["type"].as_str().unwrap_or("?"));
        outln!("from      {}", found["tx"]["tx"]["from"].as_str().unwrap_or("?"));
        print_receipt(&found["receipt"], false);
        if args.diff {
            let diff: StateDiff = serde_json::from_value(found["receipt"]["state_diff"].clone())?;
            out!("\nstate diff:\n{}", diff.render());
        }
    }
    Ok(())
}

/// `1234500` with 4 decimals → `123.45`.
pub(crate) fn format_units(raw: &str, decimals: usize) -> String {
    if decimals == 0 {
        return raw.to_string();
    }
    let padded = format!("{raw:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::{Client, Endpoint, format_units};

    /// A one-connection HTTP server on 127.0.0.1 that reads a request's head and hands the
    /// connection to `serve`; a client to it.
    fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> (Client, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let thread = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            serve(stream);
        });
        (Client::new(&Endpoint { url }), thread)
    }

    fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) {
        let head =
            format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
    }

    #[test]
    fn answers_over_ten_mib_are_read() {
        let big = serde_json::json!({ "blob": "7".repeat(12 * 1024 * 1024) });
        let body = serde_json::to_vec(&big).unwrap();
        let (client, thread) = server(move |mut stream| respond(&mut stream, "200 OK", &body));
        assert_eq!(client.get("/big").unwrap(), big);
        thread.join().unwrap();
    }

    #[test]
    fn a_refusal_before_the_body_is_read_is_the_nodes_message() {
        // The node answers at once and closes without reading the 32 MiB body (more than the
        // socket buffers take, so a client that sends it all first breaks its pipe).
        let refusal = br#"{"error":{"code":"dev_mode_only","message":"dev controls are only available on a node started with --dev"}}"#;
        let (client, thread) = server(move |mut stream| respond(&mut stream, "403 Forbidden", refusal));
        let body = vec![b' '; 32 * 1024 * 1024];
        let error = format!("{:#}", client.post_json_bytes("/dev/load_state", &body).unwrap_err());
        assert_eq!(error, "403 Forbidden: dev controls are only available on a node started with --dev");
        thread.join().unwrap();
    }

    #[test]
    fn a_connection_closed_while_sending_is_said_in_words() {
        // The node reads a little of the body and closes the connection without an answer.
        let (client, thread) = server(|mut stream| {
            let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            let _ = stream.read(&mut [0; 1024]);
        });
        let body = vec![b' '; 4 * 1024 * 1024];
        let error = format!("{:#}", client.post_json_bytes("/v1/txs", &body).unwrap_err());
        assert!(error.contains("the node closed the connection before reading the whole request"), "{error}");
        assert!(!error.contains("os error"), "{error}");
        thread.join().unwrap();
    }

    #[test]
    fn a_body_over_the_nodes_limit_is_not_sent() {
        let client = Client::new(&Endpoint { url: "http://127.0.0.1:9".into() });
        let body = vec![b' '; 8 * 1024 * 1024 + 1];
        let error = format!("{:#}", client.post_json_bytes("/v1/txs", &body).unwrap_err());
        assert!(error.contains("over the 8 MiB") && error.contains("body_too_large"), "{error}");
    }

    #[test]
    fn units_are_formatted_with_their_decimals() {
        assert_eq!(format_units("1234500", 4), "123.45");
        assert_eq!(format_units("5", 6), "0.000005");
        assert_eq!(format_units("1000000", 6), "1");
        assert_eq!(format_units("42", 0), "42");
    }
}
