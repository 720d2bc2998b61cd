//! `tidepool gas-report`: measures gas per entry point of the sample contracts and writes
//! `contracts/GAS.md` (`--write`) or checks a committed file against a fresh measurement
//! (`--check`, non-zero exit naming every figure that moved beyond the file's tolerance).
//! The measuring is in [`report`].

mod report;

use std::path::PathBuf;

use anyhow::Context;
use clap::{ArgGroup, Args};

/// Arguments of `tidepool gas-report`.
#[derive(Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["write", "check"])))]
pub(crate) struct GasReportArgs {
    /// Write the report to this file (e.g. contracts/GAS.md).
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Compare a fresh measurement with this file; fail if a figure moved beyond its tolerance.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: GasReportArgs) -> anyhow::Result<()> {
    let report = report::measure()?;
    if let Some(path) = args.write {
        std::fs::write(&path, report.to_markdown()).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} figures to {}", report.figures.len(), path.display());
    }
    if let Some(path) = args.check {
        let committed = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        report.check(&committed)?;
        println!("{}: all {} figures within the tolerance", path.display(), report.figures.len());
    }
    Ok(())
}
