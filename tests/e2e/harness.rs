//! Starts the real `tidepool` binary on a temporary RocksDB directory and talks to it over HTTP.
//!
//! # Which binary
//!
//! These tests are the integration tests of `tidepool-cli` (its `e2e` test target), so cargo
//! builds the `tidepool` binary before them and names it in `CARGO_BIN_EXE_tidepool`: the binary
//! under test is always the one built from these sources. `TIDEPOOL_BIN=path` runs another one.
//!
//! # Processes
//!
//! [`TestNode`] owns the child process: dropping it (also while a test panics) kills and reaps it,
//! then removes the data directory, so no node outlives its test. The node listens on
//! `127.0.0.1:0` and prints the port it got in its banner; the harness reads it from stdout, then
//! waits for `/health`. Its output is kept and printed when a test fails.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use tidepool_ledger::{Address, Hash};
use tidepool_node::{Action, DevAccount, SignedTransaction, Transaction};

/// Gas limit of the transactions the tests send: enough to upload the largest sample contract.
pub(crate) const GAS_LIMIT: u64 = 500_000_000;

/// How long a node may take to print its address (genesis compiles three contracts).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a node may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

/// Lines of node output kept for the failure report.
const OUTPUT_LINES: usize = 400;

/// The `tidepool` binary (see the module documentation).
pub(crate) fn binary() -> PathBuf {
    std::env::var_os("TIDEPOOL_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tidepool")), PathBuf::from)
}

/// How to start a node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeOptions {
    /// `--dev --market`: dev controls, funded dev accounts, the lending market at genesis.
    pub dev: bool,
    /// `--block-time-ms`: interval mining instead of automine.
    pub block_time_ms: Option<u64>,
}

impl NodeOptions {
    /// A dev node that mines one block per transaction.
    pub(crate) const DEV: NodeOptions = NodeOptions { dev: true, block_time_ms: None };
    /// A node without dev mode (no funded accounts, no market, no `/dev`), automine.
    pub(crate) const PLAIN: NodeOptions = NodeOptions { dev: false, block_time_ms: None };
}

/// A running node process.
struct Process {
    child: Child,
    url: String,
    chain_id: u64,
    output: Arc<Mutex<Vec<String>>>,
}

/// A `tidepool node` child process with its own data directory. Killed on drop.
pub(crate) struct TestNode {
    process: Option<Process>,
    options: NodeOptions,
    /// More arguments of `tidepool node`, after the options'.
    args: Vec<String>,
    agent: ureq::Agent,
    // Declared last: dropped after the process is gone.
    data_dir: TempDir,
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status code.
    pub status: u16,
    /// The body as JSON (`Value::String` with the raw text if it is not JSON).
    pub body: Value,
}

impl Reply {
    /// The body of a 200 answer; panics with the answer otherwise.
    #[track_caller]
    pub(crate) fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got {}: {}", self.status, self.body);
        self.body
    }

    /// Checks that this is an error answer with `status` and `code` in the API's one error shape
    /// `{"error": {"code", "message"}}` with a non-empty message; returns the message.
    #[track_caller]
    pub(crate) fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "expected {status} {code}, got {}: {}", self.status, self.body);
        let object = self.body.as_object().unwrap_or_else(|| panic!("error body is not an object: {}", self.body));
        assert_eq!(object.len(), 1, "error body has other members: {}", self.body);
        let error = self.body["error"].as_object().unwrap_or_else(|| panic!("no error object: {}", self.body));
        assert_eq!(error.len(), 2, "error object has other members: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
        let message = self.body["error"]["message"].as_str().expect("message is a string");
        assert!(!message.is_empty(), "empty error message");
        message.to_string()
    }
}

/// What must not change when the node refuses a request: the chain head and one account.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    height: u64,
    block_hash: Value,
    state_root: Value,
    nonce: u64,
    balance: String,
    tokens: Value,
}

impl TestNode {
    /// Starts a dev node (automine) on a fresh data directory.
    pub(crate) fn dev() -> TestNode {
        TestNode::start(NodeOptions::DEV)
    }

    /// Starts a node on a fresh data directory.
    pub(crate) fn start(options: NodeOptions) -> TestNode {
        TestNode::start_with(options, &[])
    }

    /// Starts a node on a fresh data directory with more arguments of `tidepool node` (a dev
    /// node given `--load-state` gets no `--market`: the state file holds what it holds).
    pub(crate) fn start_with(options: NodeOptions, args: &[&str]) -> TestNode {
        let data_dir = tempfile::Builder::new().prefix("tidepool-e2e-").tempdir().expect("a temporary directory");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        let mut node = TestNode { process: None, options, args, agent, data_dir };
        node.spawn();
        node
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub(crate) fn url(&self) -> &str {
        &self.running().url
    }

    /// What the node has printed so far (stdout and stderr, the last lines).
    pub(crate) fn printed(&self) -> String {
        tail(&self.running().output)
    }

    /// The chain id the node reported.
    pub(crate) fn chain_id(&self) -> u64 {
        self.running().chain_id
    }

    fn running(&self) -> &Process {
        self.process.as_ref().expect("the node is running")
    }

    fn spawn(&mut self) {
        assert!(self.process.is_none(), "the node is already running");
        let mut command = Command::new(binary());
        command.arg("node").arg("--data-dir").arg(self.data_dir.path()).args(["--listen", "127.0.0.1:0"]);
        if self.options.dev {
            command.arg("--dev");
            if !self.args.iter().any(|a| a == "--load-state") {
                command.arg("--market");
            }
        }
        command.args(&self.args);
        if let Some(ms) = self.options.block_time_ms {
            command.args(["--block-time-ms", &ms.to_string()]);
        }
        command
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", binary().display()));
        let output = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = mpsc::channel();
        // Both pipes are drained for the whole life of the process, so it never blocks on a full
        // pipe; only stdout carries the address.
        let stdout = child.stdout.take().expect("piped stdout");
        collect(stdout, output.clone(), Some(address_tx));
        let stderr = child.stderr.take().expect("piped stderr");
        collect(stderr, output.clone(), None);
        let url = match address_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(url) => url,
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                std::thread::sleep(Duration::from_millis(100)); // let the readers finish
                panic!("the node did not start ({e}; {status:?}):\n{}", tail(&output));
            }
        };
        let mut process = Process { child, url, chain_id: 0, output };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let health = loop {
            match self.agent.get(format!("{}/health", process.url)).call() {
                Ok(mut response) if response.status() == 200 => {
                    break response.body_mut().read_json::<Value>().expect("health is JSON");
                }
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                other => {
                    let _ = process.child.kill();
                    let _ = process.child.wait();
                    panic!("/health did not answer: {other:?}\n{}", tail(&process.output));
                }
            }
        };
        process.chain_id = health["chain_id"].as_u64().expect("health has chain_id");
        assert_eq!(health["dev"], self.options.dev, "{health}");
        self.process = Some(process);
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let mut process = self.process.take().expect("the node is running");
        let pid = process.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("running kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            if let Some(status) = process.child.try_wait().expect("waiting for the node") {
                std::thread::sleep(Duration::from_millis(50)); // let the readers take the last lines
                if !status.success() {
                    eprintln!("node output:\n{}", tail(&process.output));
                }
                return status;
            }
            if Instant::now() > deadline {
                let _ = process.child.kill();
                let _ = process.child.wait();
                panic!("the node did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM:\n{}", tail(&process.output));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL (a crash: nothing runs on the way out).
    pub(crate) fn crash(&mut self) {
        let mut process = self.process.take().expect("the node is running");
        process.child.kill().expect("killing the node");
        process.child.wait().expect("reaping the node");
    }

    /// Starts the node again on the same data directory (after [`TestNode::terminate`] or
    /// [`TestNode::crash`]), possibly with other options.
    pub(crate) fn start_again(&mut self, options: NodeOptions) {
        self.options = options;
        self.spawn();
    }

    /// Stops the node gracefully (asserting a clean exit) and starts it again with the same options.
    pub(crate) fn restart(&mut self) {
        let status = self.terminate();
        assert!(status.success(), "the node exited with {status} on SIGTERM");
        self.spawn();
    }

    /// Runs the `tidepool` CLI against this node (`TIDEPOOL_URL`; keys in the data directory).
    pub(crate) fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(binary())
            .args(args)
            .env("TIDEPOOL_URL", self.url())
            .env("TIDEPOOL_KEYS", self.data_dir.path().join("keys"))
            .env_remove("TIDEPOOL_PRIVATE_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("running the tidepool CLI")
    }

    /// Runs the CLI against this node, asserting success; returns its standard output.
    #[track_caller]
    pub(crate) fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "tidepool {args:?}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        stdout
    }

    // --- HTTP -------------------------------------------------------------------------------

    fn reply(&self, what: &str, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = result.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> Reply {
        self.reply(&format!("GET {path}"), self.agent.get(format!("{}{path}", self.url())).call())
    }

    /// `POST path` with a JSON body.
    pub(crate) fn post(&self, path: &str, body: &Value) -> Reply {
        self.reply(&format!("POST {path}"), self.agent.post(format!("{}{path}", self.url())).send_json(body))
    }

    /// `POST path` with raw bytes and an optional content type.
    pub(crate) fn post_bytes(&self, path: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.url()));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        self.reply(&format!("POST {path}"), request.send(body))
    }

    /// `DELETE path`.
    pub(crate) fn delete(&self, path: &str) -> Reply {
        self.reply(&format!("DELETE {path}"), self.agent.delete(format!("{}{path}", self.url())).call())
    }

    // --- reads ------------------------------------------------------------------------------

    /// `GET /v1/accounts/{address}`.
    pub(crate) fn account(&self, address: &Address) -> Value {
        self.get(&format!("/v1/accounts/{address}")).ok()
    }

    /// The nonce the next transaction of `address` must carry.
    pub(crate) fn nonce(&self, address: &Address) -> u64 {
        self.account(address)["nonce"].as_u64().expect("nonce is a number")
    }

    /// `GET /v1/blocks/latest`.
    pub(crate) fn latest_block(&self) -> Value {
        self.get("/v1/blocks/latest").ok()
    }

    /// The latest height.
    pub(crate) fn height(&self) -> u64 {
        self.latest_block()["height"].as_u64().expect("height is a number")
    }

    /// A contract query's result.
    #[track_caller]
    pub(crate) fn query(&self, contract: &Address, msg: &Value) -> Value {
        self.post(&format!("/v1/contracts/{contract}/query"), msg).ok()["result"].clone()
    }

    /// A token balance, base units.
    #[track_caller]
    pub(crate) fn token_balance(&self, token: &Address, owner: &Address) -> u128 {
        let answer = self.query(token, &json!({"balance": {"address": owner}}));
        answer["balance"].as_str().and_then(|b| b.parse().ok()).unwrap_or_else(|| panic!("balance answer {answer}"))
    }

    /// The chain head and `who`'s nonce, native and token balances.
    pub(crate) fn fingerprint(&self, who: &Address) -> Fingerprint {
        let block = self.latest_block();
        let account = self.account(who);
        Fingerprint {
            height: block["height"].as_u64().expect("height"),
            block_hash: block["hash"].clone(),
            state_root: block["state_root"].clone(),
            nonce: account["nonce"].as_u64().expect("nonce"),
            balance: account["balance"].as_str().expect("balance").to_string(),
            tokens: self.get(&format!("/v1/accounts/{who}/balances")).ok()["tokens"].clone(),
        }
    }

    // --- transactions -----------------------------------------------------------------------

    /// `action` from `who`, with `who`'s next nonce, signed by `who`.
    pub(crate) fn sign(&self, who: &DevAccount, action: Action) -> SignedTransaction {
        self.transaction(who, action).sign(&who.key).expect("the transaction signs")
    }

    /// `action` from `who` with `who`'s next nonce and this node's chain id, unsigned.
    pub(crate) fn transaction(&self, who: &DevAccount, action: Action) -> Transaction {
        Transaction {
            chain_id: self.chain_id(),
            nonce: self.nonce(&who.address),
            from: who.address,
            gas_limit: GAS_LIMIT,
            action,
        }
    }

    /// `POST /v1/txs` with any JSON.
    pub(crate) fn submit_json(&self, signed: &Value) -> Reply {
        self.post("/v1/txs", signed)
    }

    /// `POST /v1/txs`.
    pub(crate) fn submit(&self, signed: &SignedTransaction) -> Reply {
        self.submit_json(&serde_json::to_value(signed).expect("a signed transaction serialises"))
    }

    /// Signs and submits `action` from `who`; returns the receipt, asserting success.
    #[track_caller]
    pub(crate) fn send(&self, who: &DevAccount, action: Action) -> Value {
        let receipt = self.submit(&self.sign(who, action)).ok();
        assert_eq!(receipt["status"], "success", "{receipt}");
        receipt
    }

    /// Executes `msg` on `contract` as `who`; returns the receipt, asserting success.
    #[track_caller]
    pub(crate) fn execute(&self, who: &DevAccount, contract: &Address, msg: Value) -> Value {
        self.send(who, Action::Execute { contract: *contract, msg, funds: 0 })
    }

    /// Uploads `wasm` as `who`; returns the code hash.
    #[track_caller]
    pub(crate) fn upload(&self, who: &DevAccount, wasm: &[u8]) -> Hash {
        let receipt = self.send(who, Action::UploadCode { wasm: wasm.to_vec() });
        parse(&receipt["code_hash"])
    }

    /// Instantiates `code_hash` as `who` (admin: `who`); returns the receipt.
    #[track_caller]
    pub(crate) fn instantiate(&self, who: &DevAccount, code_hash: Hash, label: &str, msg: Value) -> Value {
        self.send(who, Action::Instantiate { code_hash, msg, funds: 0, label: label.into(), admin: Some(who.address) })
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
            if std::thread::panicking() {
                eprintln!("--- output of the node at {} ---\n{}", process.url, tail(&process.output));
            }
        }
    }
}

/// Reads `pipe` line by line into `output` on a thread; the first `Listening on http://…` line's
/// URL goes to `address`.
fn collect(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<Vec<String>>>,
    mut address: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim_start().strip_prefix("Listening on ")
                && let Some(url) = rest.split_whitespace().next()
                && let Some(sender) = address.take()
            {
                let _ = sender.send(url.to_string());
            }
            let mut lines = output.lock().unwrap_or_else(|e| e.into_inner());
            if lines.len() == OUTPUT_LINES {
                lines.remove(0);
            }
            lines.push(line);
        }
    });
}

fn tail(output: &Mutex<Vec<String>>) -> String {
    output.lock().unwrap_or_else(|e| e.into_inner()).join("\n")
}

/// Dev account `i` (anvil's well-known keys).
pub(crate) fn dev(i: u32) -> DevAccount {
    tidepool_node::dev_accounts(i + 1).pop().expect("dev account")
}

/// Parses a JSON string (an address, a hash) into its type.
#[track_caller]
pub(crate) fn parse<T: std::str::FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    value.as_str().unwrap_or_else(|| panic!("expected a string, got {value}")).parse().expect("parses")
}

/// A decimal-string amount from JSON.
#[track_caller]
pub(crate) fn amount(value: &Value) -> u128 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("expected a decimal string, got {value}"))
}
