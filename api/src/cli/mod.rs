//! The command-line interface: one module per command group.

mod node;

use clap::{Parser, Subcommand};

/// Tidepool: a WebAssembly smart-contract sandbox.
#[derive(Parser)]
#[command(name = "tidepool", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node.
    ///
    /// Example: a dev node with the lending market, data in ./.tidepool/dev:
    ///   tidepool node --dev --data-dir .tidepool/dev --listen 127.0.0.1:8545
    Node(node::NodeArgs),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Node(args) => node::run(args),
        }
    }
}
