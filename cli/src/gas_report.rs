//! `tidepool gas-report`: measures gas per entry point of the sample contracts (the scenario in
//! [`scenario`]) and records the figures in `contracts/GAS.md` through a markdown
//! [`GasSnapshot`] — the Sandbox's one gas tool — with `--write`, or checks a committed file
//! against a fresh measurement with `--check` (non-zero exit naming every figure that moved
//! beyond the tolerance, appeared or disappeared).

mod scenario;

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};
use tidepool_sandbox::{GasMode, GasSnapshot};

use crate::output::outln;

/// How far a figure may move before the check fails, in percent (the file states it).
const TOLERANCE_PERCENT: f64 = 2.0;

/// What `contracts/GAS.md` opens with.
const INTRO: &str = "\
# Gas report

Gas per entry point of the sample contracts in `contracts/`, each in a typical case, measured
through the real node, VM and gas meter (an in-process Sandbox with a manual clock and fixed
accounts, so every run gives the same figures). Execution gas: what the transaction used minus
the 21 000 base every transaction pays; for queries, the query's gas. The last section is the
size of each contract's wasm, in bytes.

Regenerate with `make gas` (`tidepool gas-report --write contracts/GAS.md`) and commit the file.
`make gas-check` and `cargo test -p tidepool-cli` fail, naming each figure, when a gas figure or a
wasm size moves by more than the tolerance. The file is a `GasSnapshot` of the Sandbox, the tool
contract authors use for their own gas figures.
";

/// Arguments of `tidepool gas-report`.
#[derive(Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["write", "check"])))]
pub(crate) struct GasReportArgs {
    /// Write the report to this file (e.g. contracts/GAS.md).
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Compare a fresh measurement with this file; fail if a figure moved beyond the tolerance.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
}

/// The report's snapshot file at `path`: markdown, the intro above, ±2 %.
fn snapshot(path: &Path) -> GasSnapshot {
    GasSnapshot::new(path).with_tolerance(TOLERANCE_PERCENT).with_intro(INTRO)
}

/// Runs the command.
pub(crate) fn run(args: GasReportArgs) -> anyhow::Result<()> {
    let figures = scenario::measure()?;
    if let Some(path) = args.write {
        snapshot(&path).with_mode(GasMode::Record).record_all(&figures)?;
        outln!("wrote {} figures to {}", figures.len(), path.display());
    }
    if let Some(path) = args.check {
        snapshot(&path).with_mode(GasMode::Check).record_all(&figures)?;
        outln!("{}: all {} figures within the tolerance", path.display(), figures.len());
    }
    Ok(())
}
