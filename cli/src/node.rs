//! `tidepool node`: opens the ledger, builds genesis if needed, prints the dev accounts and the
//! market, and serves the HTTP API until SIGINT/SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tidepool_node::{Mining, Node, NodeConfig, StoreConfig};
use tracing_subscriber::EnvFilter;

/// Options of `tidepool node`.
#[derive(Args)]
pub(crate) struct NodeArgs {
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
    /// Mine a block every this many milliseconds instead of one per transaction.
    #[arg(long)]
    block_time_ms: Option<u64>,
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
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }

    let cors = tidepool_api::cors::Cors::for_node(args.dev, &args.allow_origins)?;
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
    config.history_blocks = args.history_blocks;
    config.mining = match args.block_time_ms {
        Some(ms) => Mining::Interval(Duration::from_millis(ms.max(1))),
        None => Mining::Auto,
    };
    config.store = if args.memory {
        StoreConfig::Memory
    } else {
        std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
        StoreConfig::RocksDb(args.data_dir.clone())
    };
    let node = Node::open(config).context("opening the node")?;

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        // Print the bound address, not the requested one: `--listen 127.0.0.1:0` picks a free port
        // (the end-to-end tests rely on this line to find it).
        let address = listener.local_addr()?;
        print_banner(&node, address);
        tracing::info!(%address, "serving the HTTP API");
        tidepool_api::server::serve_with(listener, node, cors, tidepool_api::server::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

fn print_banner(node: &Node, address: std::net::SocketAddr) {
    let latest = node.latest_block().map(|h| h.height).unwrap_or(0);
    println!("Tidepool node · chain id {} · height {latest}", node.config().chain_id);
    if node.config().dev {
        println!("\nDev accounts (each funded at genesis; keys are public — never use them for real value):");
        for (i, account) in node.dev_accounts().iter().enumerate() {
            println!("  ({i}) {}  key {}", account.address, tidepool_node::keys::private_key_hex(&account.key));
        }
        if let Some(market) = node.market() {
            println!("\nLending market:");
            println!("  pool    {}", market.pool);
            println!("  oracle  {}", market.oracle);
            for token in &market.tokens {
                println!("  {:<7} {}  ({} decimals)", token.symbol, token.address, token.decimals);
            }
        }
    }
    println!("\nListening on http://{address}  (try: curl http://{address}/health)");
    if tidepool_api::dashboard::is_built() {
        println!("Dashboard at http://{address}/\n");
    } else {
        println!("(built without the dashboard: `make run` builds it)\n");
    }
}
