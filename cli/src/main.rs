//! `tidepool`: run a node, manage keys, and talk to a node from the command line.
//!
//! Run `tidepool --help` for the commands and `tidepool <command> --help` for examples. One
//! module per command group: [`node`] runs a node, [`keys`] manages the local [`keystore`],
//! [`client`] signs and sends transactions and reads from a node, [`watch`] follows its live
//! stream, [`dev`] drives a dev node's controls, [`new`] scaffolds a contract crate,
//! [`mod@bench`] and [`gas_report`] measure. Everything they print goes through [`output`], so a
//! closed pipe (`tidepool … | head -1`) ends a command quietly.

mod bench;
mod client;
mod dev;
mod gas_report;
mod keys;
mod keystore;
mod new;
mod node;
mod output;
mod testnet;
mod watch;

use clap::{Parser, Subcommand};

/// Tidepool: a WebAssembly smart-contract sandbox.
#[derive(Parser)]
#[command(name = "tidepool", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node.
    ///
    /// Example: a dev node with the lending market, data in ./.tidepool/dev:
    ///   tidepool node --dev --market --data-dir .tidepool/dev --listen 127.0.0.1:8545
    Node(node::NodeArgs),
    /// Manage local signing keys.
    ///
    /// Example: tidepool keys new --name alice && tidepool keys list
    Keys(keys::KeysArgs),
    /// Upload a contract and optionally instantiate it.
    ///
    /// With --json it prints one JSON document: the upload's receipt, or with --init
    /// `{"upload": <receipt>, "instantiate": <receipt>}` ("instantiate" is null when the upload
    /// was mined but failed, or the node refused the instantiation). An upload the node refuses
    /// outright (invalid wasm, say) prints no document: the command fails with the node's
    /// message. A transaction mined but failed fails the command.
    ///
    /// Example: tidepool deploy counter.wasm --init '{"count":0}' --label counter --dev-account 0
    Deploy(client::DeployArgs),
    /// Execute a contract (a signed transaction).
    ///
    /// Example: tidepool call 0xCONTRACT '{"increment":{}}' --dev-account 0
    Call(client::CallArgs),
    /// Query a contract (read-only, free).
    ///
    /// Example: tidepool query 0xCONTRACT '{"count":{}}'
    Query(client::QueryArgs),
    /// Show an address's native and token balances.
    ///
    /// Example: tidepool balance 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
    Balance(client::BalanceArgs),
    /// Scaffold a contract crate: example contract, Sandbox tests, gas snapshot, CI workflow.
    ///
    /// Example: tidepool new counter && cd counter && cargo test
    New(new::NewArgs),
    /// Show a transaction and its receipt (`--diff`: and what it changed).
    ///
    /// Example: tidepool tx 0xHASH --diff
    Tx(client::TxArgs),
    /// Follow blocks, transactions and events as they are committed (history first with
    /// --from-height), one line each; reconnects by itself, missing nothing.
    ///
    /// Example: tidepool watch --events --contract 0xa8e700B524cC73301c5e813b4e6Aef9BAcD877b4
    Watch(watch::WatchArgs),
    /// Dev controls of a `--dev` node: mining, time, snapshots, balances, storage, code, reset,
    /// impersonation, state files.
    ///
    /// Example: tidepool dev warp 2592000 --refresh-prices
    Dev(dev::DevArgs),
    /// Show a transaction's call tree: every frame with its gas, message, events, logs, result.
    ///
    /// Example: tidepool trace 0xHASH
    Trace(client::TraceArgs),
    /// Measure the whole sandbox (in-process node on RocksDB, and over HTTP) against its targets.
    ///
    /// Example: tidepool bench --quick
    Bench(bench::BenchArgs),
    /// Measure gas per entry point of the sample contracts; write or check contracts/GAS.md.
    ///
    /// Example: tidepool gas-report --check contracts/GAS.md
    GasReport(gas_report::GasReportArgs),
    /// Write the home directories of a network of validators on this machine (keys, genesis,
    /// one configuration per node); `tidepool node --home DIR/node0` starts one.
    ///
    /// Example: tidepool testnet --validators 4 --out .tidepool/testnet
    Testnet(testnet::TestnetArgs),
}

impl Cli {
    /// Runs the chosen command.
    fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Node(args) => node::run(args),
            Command::Keys(args) => keys::run(args, self.json),
            Command::Deploy(args) => client::deploy(args, self.json),
            Command::Call(args) => client::call(args, self.json),
            Command::Query(args) => client::query(args, self.json),
            Command::Balance(args) => client::balance(args, self.json),
            Command::Tx(args) => client::tx(args, self.json),
            Command::Watch(args) => watch::run(args, self.json),
            Command::Dev(args) => dev::run(args, self.json),
            Command::Trace(args) => client::trace(args, self.json),
            Command::New(args) => new::run(args, self.json),
            Command::Bench(args) => bench::run(args, self.json),
            Command::GasReport(args) => gas_report::run(args),
            Command::Testnet(args) => testnet::run(args, self.json),
        }
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
