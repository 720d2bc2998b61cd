//! `tidepool dev …`: the dev controls of a `--dev` node, over its `/dev/*` routes — mining mode,
//! mining on demand, time (warps, the next block's time), snapshots, balances, storage, reset, code
//! replacement, state files, and transactions as any account ([`impersonate`]).

mod impersonate;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use tidepool_ledger::{Address, Hash};

use super::client::{Client, Endpoint, max_request_bytes, mib};
use super::output::{outln, write_bytes};

/// `tidepool dev`.
#[derive(Args)]
pub(crate) struct DevArgs {
    #[command(subcommand)]
    control: Control,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// How blocks are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// A block per transaction; a submission answers its receipt.
    Auto,
    /// Transactions wait until `tidepool dev mine`; a submission answers its hash.
    Manual,
    /// A block every --interval-ms; a submission answers its hash.
    Interval,
}

#[derive(Subcommand)]
enum Control {
    /// Show the mining mode and the pending transactions, or switch the mode.
    ///
    /// Example: tidepool dev mining manual   (then: tidepool dev mine)
    Mining {
        /// The mode to switch to (none: show the current one). Switching to auto mines what is
        /// pending.
        mode: Option<Mode>,
        /// Milliseconds between blocks, with `interval` (10 to 86400000).
        #[arg(long, required_if_eq("mode", "interval"))]
        interval_ms: Option<u64>,
    },
    /// Mine blocks now: the first takes the pending transactions, the others are empty.
    ///
    /// Example: tidepool dev mine --blocks 10
    Mine {
        /// How many blocks (1 to 10000).
        #[arg(long, default_value_t = 1)]
        blocks: u32,
    },
    /// Move the clock forward and mine a block at the new time.
    ///
    /// Example: tidepool dev warp 2592000 --refresh-prices   (30 days, prices still fresh)
    Warp {
        /// Seconds to move forward.
        seconds: u64,
        /// Publish the dev market oracle's prices again at the new time (the pool refuses prices
        /// over an hour old).
        #[arg(long)]
        refresh_prices: bool,
    },
    /// Give the next block exactly this time (Unix seconds; not before the latest block's).
    ///
    /// Example: tidepool dev set-next-block-time 1800000000
    SetNextBlockTime {
        /// Unix seconds.
        time: u64,
    },
    /// Record the state, the clock and the pending transactions; print the snapshot's id.
    ///
    /// Example: id=$(tidepool dev snapshot); …; tidepool dev revert "$id"
    Snapshot,
    /// Return to a snapshot, pending transactions included (it and later snapshots are used up).
    ///
    /// Example: tidepool dev revert 0
    Revert {
        /// The snapshot's id, as `tidepool dev snapshot` printed it.
        id: u64,
    },
    /// Add native tokens to an account.
    ///
    /// Example: tidepool dev faucet 0xADDRESS 1000000000000000000
    Faucet {
        /// The account.
        address: Address,
        /// How much to add (base units).
        amount: u128,
    },
    /// Set an account's native balance.
    ///
    /// Example: tidepool dev set-balance 0xADDRESS 0
    SetBalance {
        /// The account.
        address: Address,
        /// The new balance (base units).
        amount: u128,
    },
    /// Write one entry of a contract's storage, or remove it (--remove); raw bytes, 0x hex.
    ///
    /// Example: tidepool dev set-storage 0xCONTRACT 0x636f756e74 0x2a   (or: … 0x636f756e74 --remove)
    #[command(
        group(ArgGroup::new("write").required(true).args(["value", "remove"])),
        override_usage = "tidepool dev set-storage <CONTRACT> <KEY> <VALUE|--remove>"
    )]
    SetStorage {
        /// The contract.
        contract: Address,
        /// The key (0x hex).
        key: HexBytes,
        /// The value (0x hex).
        value: Option<HexBytes>,
        /// Remove the key instead of writing a value.
        #[arg(long)]
        remove: bool,
    },
    /// Send a transaction as any account, unsigned: a transfer or a contract call; prints the
    /// receipt as `tidepool call` does.
    ///
    /// Example: tidepool dev impersonate 0xRICH transfer 0xME 1000000000000000000
    Impersonate(impersonate::ImpersonateArgs),
    /// Return the chain to its genesis, in place (pending transactions and snapshots are gone).
    Reset,
    /// Make a contract run other uploaded code, without migrate.
    ///
    /// Example: tidepool dev set-code 0xCONTRACT 0xCODE_HASH
    SetCode {
        /// The contract.
        contract: Address,
        /// The uploaded code to run.
        code_hash: Hash,
    },
    /// Write the state at the latest height to a state file (docs/state-file.md).
    ///
    /// Example: tidepool dev dump-state --out market.json
    DumpState {
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Start a new chain from a state file, in place of the node's chain.
    ///
    /// Example: tidepool dev load-state market.json   (or at start: tidepool node --dev --load-state market.json)
    LoadState {
        /// The state file.
        file: PathBuf,
    },
}

/// Runs a dev control against the node.
pub(crate) fn run(args: DevArgs, json: bool) -> anyhow::Result<()> {
    let client = Client::new(&args.endpoint);
    let answer = match args.control {
        Control::Mining { mode: None, .. } => client.get("/dev/mining")?,
        Control::Mining { mode: Some(mode), interval_ms } => {
            if mode != Mode::Interval && interval_ms.is_some() {
                bail!("--interval-ms goes with the interval mode only");
            }
            let mode = match mode {
                Mode::Auto => "auto",
                Mode::Manual => "manual",
                Mode::Interval => "interval",
            };
            let mut body = json!({ "mode": mode });
            if let Some(ms) = interval_ms {
                body["interval_ms"] = json!(ms);
            }
            client.post("/dev/mining", &body)?
        }
        Control::Mine { blocks } => client.post("/dev/mine", &json!({ "blocks": blocks }))?,
        Control::Warp { seconds, refresh_prices } => {
            client.post("/dev/warp", &json!({ "seconds": seconds, "refresh_prices": refresh_prices }))?
        }
        Control::SetNextBlockTime { time } => client.post("/dev/set_next_block_time", &json!({ "time": time }))?,
        Control::Snapshot => client.post_empty("/dev/snapshot")?,
        Control::Revert { id } => client.post("/dev/revert", &json!({ "id": id }))?,
        Control::Faucet { address, amount } => {
            client.post("/dev/faucet", &json!({ "address": address, "amount": amount.to_string() }))?
        }
        Control::SetBalance { address, amount } => {
            client.post("/dev/set_balance", &json!({ "address": address, "amount": amount.to_string() }))?
        }
        Control::SetStorage { contract, key, value, remove: _ } => {
            let value = value.map(|v| v.to_hex());
            client.post("/dev/set_storage", &json!({ "contract": contract, "key": key.to_hex(), "value": value }))?
        }
        Control::Impersonate(args) => return impersonate::run(&client, args, json),
        Control::Reset => client.post_empty("/dev/reset")?,
        Control::SetCode { contract, code_hash } => {
            client.post("/dev/set_code", &json!({ "contract": contract, "code_hash": code_hash }))?
        }
        Control::DumpState { out } => return dump_state(&client, out, json),
        Control::LoadState { file } => load_state(&client, &file)?,
    };
    print(&answer, json);
    Ok(())
}

/// `tidepool dev dump-state`: writes the state file exactly as the node sent it (the node writes
/// the same state as the same bytes, docs/state-file.md), to `out` or standard output.
fn dump_state(client: &Client, out: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let bytes = client.post_empty_raw("/dev/dump_state")?;
    let Some(path) = out else {
        write_bytes(&bytes);
        return Ok(());
    };
    // Read back for the summary only; what is written is the node's bytes.
    let file: Value = serde_json::from_slice(&bytes).context("/dev/dump_state: the answer is not JSON")?;
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    if !json {
        outln!(
            "wrote the state at height {} to {} (state root {})",
            file["height"],
            path.display(),
            file["state_root"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

/// `tidepool dev load-state FILE`: sends the file's bytes as they are, so the node's positions in
/// a parse error are positions in the file. A file over the node's limit is refused before it is
/// read (the node would stop reading it and close the connection).
fn load_state(client: &Client, file: &Path) -> anyhow::Result<Value> {
    let limit = max_request_bytes("/dev/load_state") as u64;
    let size = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?.len();
    if size > limit {
        bail!(
            "{} is {size} bytes ({}): a node loads state files of at most {} over HTTP (it would refuse this \
             one: 413 body_too_large); start a node from it instead: tidepool node --dev --load-state {}",
            file.display(),
            mib(size),
            mib(limit),
            file.display()
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    client.post_json_bytes("/dev/load_state", &bytes)
}

/// Prints an answer: a block, a mining status, the next block, a snapshot's id (alone, for a
/// script to keep) — readable, or raw JSON.
fn print(answer: &Value, json: bool) {
    if json {
        outln!("{}", serde_json::to_string_pretty(answer).unwrap_or_default());
    } else if let Some(id) = answer.get("id") {
        outln!("{id}");
    } else if let Some(mode) = answer.get("mode") {
        let mode = mode.as_str().unwrap_or("?");
        match answer["interval_ms"].as_u64() {
            Some(ms) => outln!("mining    {mode}, a block every {ms} ms"),
            None => outln!("mining    {mode}"),
        }
        let pending = answer["pending"].as_array().map_or(&[][..], Vec::as_slice);
        outln!("pending   {} transaction(s)", pending.len());
        for hash in pending {
            outln!("          {}", hash.as_str().unwrap_or("?"));
        }
    } else if answer.get("state_root").is_some() {
        outln!("block     {}", answer["height"]);
        outln!("time      {}", answer["time"]);
        outln!("root      {}", answer["state_root"].as_str().unwrap_or("?"));
        for hash in answer["tx_hashes"].as_array().into_iter().flatten() {
            outln!("tx        {}", hash.as_str().unwrap_or("?"));
        }
    } else {
        outln!("next block {} at time {}", answer["height"], answer["time"]);
    }
}

/// Bytes given as `0x` hex on the command line (a storage key or value), checked before they are
/// sent.
#[derive(Clone, Debug)]
struct HexBytes(Vec<u8>);

impl HexBytes {
    /// `0x` and lowercase hex, as the API takes them.
    fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(&self.0))
    }
}

impl FromStr for HexBytes {
    type Err = String;

    fn from_str(raw: &str) -> Result<HexBytes, String> {
        let digits = raw.strip_prefix("0x").ok_or("expected 0x and hex digits")?;
        hex::decode(digits).map(HexBytes).map_err(|e| format!("not hex: {e}"))
    }
}
