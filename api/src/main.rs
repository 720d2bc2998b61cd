//! `tidepool`: run a node, manage keys, and talk to a node from the command line.
//!
//! Run `tidepool --help` for the commands and `tidepool <command> --help` for examples.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
