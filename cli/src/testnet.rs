//! `tidepool testnet`: writes the home directories of N validators on this machine and prints
//! how to start each (docs/network.md).

use std::path::PathBuf;

use clap::Args;
use tidepool_network::TestnetSpec;

use crate::output::outln;

/// Options of `tidepool testnet`.
#[derive(Args)]
pub(crate) struct TestnetArgs {
    /// How many validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=100))]
    validators: u16,
    /// Where to write the homes (`DIR/node0`, `DIR/node1`, …).
    #[arg(long)]
    out: PathBuf,
    /// The chain id.
    #[arg(long, default_value_t = 1337)]
    chain_id: u64,
    /// The genesis time, Unix seconds (default: now). Every node computes the same genesis from
    /// it, whenever it starts.
    #[arg(long)]
    genesis_time: Option<u64>,
    /// Node i's HTTP API listens on 127.0.0.1:(api-port + i).
    #[arg(long, default_value_t = 8545)]
    api_port: u16,
    /// Node i's peer-to-peer address is 127.0.0.1:(p2p-port + i).
    #[arg(long, default_value_t = 26656)]
    p2p_port: u16,
    /// Dev accounts funded at genesis (10,000 tokens each; the keys `tidepool node --dev`
    /// prints, so `--dev-account i` signs for them).
    #[arg(long, default_value_t = 10)]
    accounts: u32,
    /// Leave the sample lending market out of genesis.
    #[arg(long)]
    no_market: bool,
}

/// Writes the homes and prints one start command per node.
pub(crate) fn run(args: TestnetArgs, json: bool) -> anyhow::Result<()> {
    let genesis_time = args.genesis_time.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    });
    let spec = TestnetSpec {
        validators: usize::from(args.validators),
        chain_id: args.chain_id,
        genesis_time,
        api_port: args.api_port,
        p2p_port: args.p2p_port,
        accounts: args.accounts,
        market: !args.no_market,
        ..TestnetSpec::default()
    };
    let nodes = tidepool_network::generate(&spec, &args.out)?;
    if json {
        let nodes: Vec<_> = nodes
            .iter()
            .map(|n| serde_json::json!({"moniker": n.moniker, "home": n.home, "api": format!("http://{}", n.api)}))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "nodes": nodes }))?);
        return Ok(());
    }
    outln!(
        "A {}-validator testnet in {} (chain id {}, genesis time {genesis_time}). Start each node:",
        nodes.len(),
        args.out.display(),
        args.chain_id
    );
    for node in &nodes {
        outln!("  tidepool node --home {}    # API http://{}", node.home.display(), node.api);
    }
    outln!("\nBlocks are committed once more than 2/3 of the validators run.");
    Ok(())
}
