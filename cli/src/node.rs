//! `tidepool node`: opens the ledger, builds genesis (or loads a state file) if needed, prints
//! the dev accounts and the market, and serves the HTTP API until SIGINT/SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tidepool_node::{Clock, Mining, Node, NodeConfig, StateFile, StoreConfig};
use tracing_subscriber::EnvFilter;

use crate::output::outln;

/// Where block times come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ClockArg {
    /// The wall clock (plus dev warps).
    System,
    /// Genesis at --genesis-time; time moves only by dev controls, so the same transactions give
    /// the same blocks and state roots on every run.
    Manual,
}

/// How blocks are made at start (`tidepool dev mining` switches at runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MiningArg {
    /// A block per transaction.
    Auto,
    /// Transactions wait until `tidepool dev mine` (needs --dev).
    Manual,
    /// A block every --block-time-ms.
    Interval,
}

/// Options of `tidepool node`.
#[derive(Args)]
pub(crate) struct NodeArgs {
    /// Run a validator of a network from its home directory (`tidepool testnet` writes them;
    /// docs/network.md): genesis.json, node.json and validator_key.json there say everything,
    /// and its ledger lives in HOME/data.
    #[arg(long, conflicts_with_all = [
        "data_dir", "memory", "listen", "dev", "market", "mining", "block_time_ms", "genesis_time",
        "load_state", "chain_id", "history_blocks",
    ])]
    home: Option<PathBuf>,
    /// Data directory (RocksDB). Created if absent.
    #[arg(long, default_value = ".tidepool/data")]
    data_dir: PathBuf,
    /// Keep the ledger in memory instead (lost on exit).
    #[arg(long, conflicts_with = "data_dir")]
    memory: bool,
    /// Address to listen on (port 0: any free port; the banner prints the one chosen).
    #[arg(long, default_value = "127.0.0.1:8545")]
    listen: String,
    /// Dev mode: /dev controls and funded dev accounts at genesis.
    #[arg(long)]
    dev: bool,
    /// Deploy the sample lending market (three tokens, the oracle, the pool) at genesis, funded
    /// for the dev accounts. Needs --dev; a chain that already has its genesis keeps it.
    #[arg(long, requires = "dev")]
    market: bool,
    /// How blocks are made: auto (a block per transaction), manual (transactions wait until
    /// `tidepool dev mine`; needs --dev) or interval (a block every --block-time-ms). Default:
    /// interval with --block-time-ms, auto otherwise.
    #[arg(long, value_enum)]
    mining: Option<MiningArg>,
    /// Mine a block every this many milliseconds instead of one per transaction.
    #[arg(long)]
    block_time_ms: Option<u64>,
    /// Where block times come from: the wall clock, or a manual clock that moves only by dev
    /// controls (needs --dev), for runs that give the same state roots every time.
    #[arg(long, value_enum, default_value = "system", requires = "dev")]
    clock: ClockArg,
    /// The genesis block's time, Unix seconds, with --clock manual (default 1700000000).
    #[arg(long)]
    genesis_time: Option<u64>,
    /// Start from a state file (`tidepool dev dump-state`; docs/state-file.md) instead of a new
    /// genesis: the chain's first block holds its state, at its height and time, with its chain
    /// id. A data directory that already holds a chain keeps it if it began from this file.
    #[arg(long, requires = "dev", conflicts_with_all = ["market", "genesis_time"])]
    load_state: Option<PathBuf>,
    /// Chain id (default: 31337 in dev mode, 1337 otherwise).
    #[arg(long)]
    chain_id: Option<u64>,
    /// Keep this many blocks of history below the latest (state at past heights, replays,
    /// reverts, old transactions and events) and prune the rest as blocks commit (default: keep
    /// everything).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    history_blocks: Option<u64>,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
    /// Let web pages from this origin (scheme://host or scheme://host:port, e.g. http://localhost:5173) call the
    /// API from a browser (CORS). Repeatable. Without it a dev node allows any origin and another
    /// node none; with it, only the origins given (on any node). `*` allows any.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
}

/// Runs the node until a shutdown signal.
pub(crate) fn run(args: NodeArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    if args.log_json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        // Colours only on a terminal: a log redirected to a file or a pipe stays plain text.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).init();
    }

    let cors = tidepool_api::cors::Cors::for_node(args.dev, &args.allow_origins)?;
    if let Some(home) = &args.home {
        return run_validator(home, cors);
    }
    let mut config = NodeConfig::dev();
    config.dev = args.dev;
    config.market = args.market.then(|| {
        tidepool_node::MarketCode::new(
            tidepool_artifacts::TOKEN,
            tidepool_artifacts::ORACLE,
            tidepool_artifacts::LENDING_POOL,
        )
    });
    config.chain_id = args.chain_id.unwrap_or(if args.dev { tidepool_node::DEV_CHAIN_ID } else { 1337 });
    config.mining = mining(&args)?;
    let mut genesis_time = args.genesis_time.unwrap_or(tidepool_sandbox::GENESIS_TIME);
    if args.genesis_time.is_some() && args.clock != ClockArg::Manual {
        bail!("--genesis-time goes with --clock manual (the wall clock starts at the wall clock's time)");
    }
    if let Some(path) = &args.load_state {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: StateFile =
            serde_json::from_str(&text).with_context(|| format!("{} is not a Tidepool state file", path.display()))?;
        match args.chain_id {
            Some(chain_id) if chain_id != file.chain_id => {
                bail!("--chain-id {chain_id}, but {} holds chain {}'s state", path.display(), file.chain_id)
            }
            _ => config.chain_id = file.chain_id,
        }
        genesis_time = file.time;
        config.genesis_state = Some(Arc::new(file));
    }
    config.clock = match args.clock {
        ClockArg::System => Clock::System,
        ClockArg::Manual => Clock::Manual { genesis_time },
    };
    config.history_blocks = args.history_blocks;
    // The port first: a node that cannot listen stops before it creates or writes anything.
    let listener =
        std::net::TcpListener::bind(&args.listen).with_context(|| format!("listening on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let mut created = None;
    config.store = if args.memory {
        StoreConfig::Memory
    } else {
        created = create_data_dir(&args.data_dir)?;
        StoreConfig::RocksDb(args.data_dir.clone())
    };
    let node = match Node::open(config) {
        Ok(node) => node,
        Err(error) => {
            // A directory this start created holds nothing worth keeping: no chain was made.
            if let Some(dir) = created {
                let _ = std::fs::remove_dir_all(dir);
            }
            return Err(anyhow::Error::new(error).context("opening the node"));
        }
    };

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        // Print the bound address, not the requested one: `--listen 127.0.0.1:0` picks a free port
        // (the end-to-end tests rely on this line to find it).
        let address = listener.local_addr()?;
        print_banner(&node, address);
        tracing::info!(%address, "serving the HTTP API");
        tidepool_api::server::serve_with(listener, node, cors, tidepool_api::server::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

/// Creates the data directory (and any missing parent) unless it exists; the topmost directory
/// it created, if any, so that a start that fails can remove what it made.
fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<Option<PathBuf>> {
    if let Some(file) = dir.ancestors().find(|path| path.exists()).filter(|path| !path.is_dir()) {
        if file == dir {
            bail!("--data-dir {} is a file, not a directory: give a directory (created if absent)", dir.display());
        }
        bail!("--data-dir {}: {} is a file, not a directory", dir.display(), file.display());
    }
    let topmost = dir.ancestors().take_while(|path| !path.as_os_str().is_empty() && !path.exists()).last();
    let topmost = topmost.map(std::path::Path::to_path_buf);
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    Ok(topmost)
}

/// Runs the validator of `home` and its HTTP API until a shutdown signal.
fn run_validator(home: &std::path::Path, cors: Option<tidepool_api::cors::Cors>) -> anyhow::Result<()> {
    let home = tidepool_network::NodeHome::new(home);
    let settings = home.settings()?;
    let market = tidepool_node::MarketCode::new(
        tidepool_artifacts::TOKEN,
        tidepool_artifacts::ORACLE,
        tidepool_artifacts::LENDING_POOL,
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.api_listen)
            .await
            .with_context(|| format!("listening on {}", settings.api_listen))?;
        let validator = tidepool_network::Validator::from_home(&home, Some(market))
            .await
            .with_context(|| format!("starting the validator of {}", home.dir().display()))?;
        let node = validator.node().clone();
        let address = listener.local_addr()?;
        let latest = node.latest_block().map(|h| h.height).unwrap_or(0);
        outln!("Tidepool validator {} · chain id {} · height {latest}", settings.moniker, node.config().chain_id);
        if let Some(status) = node.network_status() {
            outln!("Validator address {} · peer-to-peer on {}", status.validator, settings.p2p_listen);
        }
        outln!("Peers: {}", settings.peers.iter().map(|p| p.p2p.to_string()).collect::<Vec<_>>().join(", "));
        if let Some(market) = node.market() {
            outln!("Lending market: pool {} · oracle {}", market.pool, market.oracle);
            for token in &market.tokens {
                outln!("  {:<7} {}  ({} decimals)", token.symbol, token.address, token.decimals);
            }
        }
        outln!("\nListening on http://{address}  (try: curl http://{address}/health)\n");
        tracing::info!(%address, "serving the HTTP API");
        tidepool_api::server::serve_with(listener, node, cors, tidepool_api::server::shutdown_signal()).await?;
        validator.shutdown().await;
        anyhow::Ok(())
    })
}

/// The mining mode the flags ask for.
fn mining(args: &NodeArgs) -> anyhow::Result<Mining> {
    let interval = args.block_time_ms.map(|ms| Mining::Interval(Duration::from_millis(ms.max(1))));
    match (args.mining, interval) {
        (None | Some(MiningArg::Interval), Some(interval)) => Ok(interval),
        (Some(MiningArg::Interval), None) => bail!("--mining interval needs --block-time-ms"),
        (Some(_), Some(_)) => bail!("--block-time-ms goes with --mining interval only"),
        (Some(MiningArg::Manual), None) if !args.dev => {
            bail!("--mining manual needs --dev: only the dev controls mine on demand")
        }
        (Some(MiningArg::Manual), None) => Ok(Mining::Manual),
        (None | Some(MiningArg::Auto), None) => Ok(Mining::Auto),
    }
}

/// The banner's note on a new chain started without `--dev`, a genesis or a state file.
const NO_DEV_ACCOUNTS: &str = "No dev accounts and no funds at genesis (this node runs without --dev). Sign with your own\n\
     keys (`tidepool keys new`), or start a sandbox with funded dev accounts and the lending\n\
     market: `tidepool node --dev --market`.";

/// The dev accounts' heading: funded at genesis, unless the chain began from a state file (the
/// keys are the same, the balances are whatever the file holds) — given with `--load-state`, or
/// loaded in place (`POST /dev/load_state`) before this start, which the chain's first block
/// tells: it is not at height 0, or it does not give every dev account the dev balance.
fn dev_accounts_heading(node: &Node) -> &'static str {
    if node.config().genesis_state.is_some() {
        return "Dev accounts (balances: whatever the state file holds; keys are public — never use them for real value):";
    }
    match funded_at_genesis(node) {
        Some(true) => "Dev accounts (each funded at genesis; keys are public — never use them for real value):",
        Some(false) => {
            "Dev accounts (balances: whatever the loaded state holds — this chain did not begin from the dev \
             genesis; keys are public — never use them for real value):"
        }
        // The first block's state is pruned (--history-blocks): say nothing of the balances.
        None => "Dev accounts (keys are public — never use them for real value):",
    }
}

/// Whether the chain's first block is a dev genesis, which gives every dev account the dev
/// balance at height 0; `None` if its state is no longer kept.
fn funded_at_genesis(node: &Node) -> Option<bool> {
    let first = node.first_height().ok()?;
    if first != 0 {
        return Some(false);
    }
    let genesis = node.view_at(Some(first)).ok()?;
    let balance = node.config().dev_balance;
    Some(
        node.dev_accounts().iter().all(|account| genesis.account(&account.address).is_ok_and(|a| a.balance == balance)),
    )
}

fn print_banner(node: &Node, address: std::net::SocketAddr) {
    let latest = node.latest_block().map(|h| h.height).unwrap_or(0);
    outln!("Tidepool node · chain id {} · height {latest}", node.config().chain_id);
    let mining = match node.mining() {
        Mining::Auto => "a block per transaction".to_string(),
        Mining::Manual => "manual (POST /dev/mine)".to_string(),
        Mining::Interval(every) => format!("a block every {} ms", every.as_millis()),
        Mining::Network => "decided by the network".to_string(),
    };
    // The chain's own time, not --genesis-time: a chain loaded from a state file (now or before
    // this start) goes on from the file's time.
    let clock = match (node.config().clock, node.next_block()) {
        (Clock::System, _) => "the wall clock".to_string(),
        (Clock::Manual { .. }, Ok(next)) => format!("manual, next block at {}", next.time),
        (Clock::Manual { genesis_time }, Err(_)) => format!("manual, genesis at {genesis_time}"),
    };
    outln!("Mining: {mining} · clock: {clock}");
    if node.config().dev {
        outln!("\n{}", dev_accounts_heading(node));
        for (i, account) in node.dev_accounts().iter().enumerate() {
            outln!("  ({i}) {}  key {}", account.address, tidepool_node::keys::private_key_hex(&account.key));
        }
        if let Some(market) = node.market() {
            outln!("\nLending market:");
            outln!("  pool    {}", market.pool);
            outln!("  oracle  {}", market.oracle);
            for token in &market.tokens {
                outln!("  {:<7} {}  ({} decimals)", token.symbol, token.address, token.decimals);
            }
        }
    } else if latest == 0 && node.config().genesis_state.is_none() && node.config().genesis_accounts.is_empty() {
        // A new chain without --dev holds no funds and no contracts: say how to get them, in
        // case --dev was what the user meant.
        outln!("\n{NO_DEV_ACCOUNTS}");
    }
    outln!("\nListening on http://{address}  (try: curl http://{address}/health)");
    if tidepool_api::dashboard::is_built() {
        outln!("Dashboard at http://{address}/\n");
    } else {
        outln!("(built without the dashboard: `make run` builds it)\n");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tidepool_node::{Node, NodeConfig};

    use super::dev_accounts_heading;

    #[test]
    fn the_banner_says_where_the_dev_accounts_balances_come_from() {
        let node = Node::open(NodeConfig::dev()).unwrap();
        assert!(dev_accounts_heading(&node).starts_with("Dev accounts (each funded at genesis"));

        let mut config = NodeConfig::dev();
        config.genesis_state = Some(Arc::new(node.dump_state().unwrap()));
        let loaded = dev_accounts_heading(&Node::open(config).unwrap());
        assert!(loaded.starts_with("Dev accounts (balances: whatever the state file holds"), "{loaded}");

        // Loaded in place, with nothing configured: the first block tells.
        let mut emptied = node.dump_state().unwrap();
        emptied.accounts.clear();
        emptied.state_root = None;
        node.load_state(&emptied).unwrap();
        let in_place = dev_accounts_heading(&node);
        assert!(in_place.contains("this chain did not begin from the dev genesis"), "{in_place}");
        let mut later = node.dump_state().unwrap();
        later.height = 5;
        node.load_state(&later).unwrap();
        assert_eq!(dev_accounts_heading(&node), in_place, "a first block above 0 is no dev genesis");
    }
}
