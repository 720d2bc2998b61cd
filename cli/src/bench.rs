//! `tidepool bench`: runs the end-to-end benchmark ([`tidepool_bench`]) and writes its
//! summary as markdown and JSON.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tidepool_bench::{Options, Progress};

use crate::output::outln;

/// Options of `tidepool bench`.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Small counts: every workload once, in well under a minute (a smoke test, not figures).
    #[arg(long)]
    quick: bool,
    /// Runs per throughput workload (the summary gives the median); default 3, or 1 with --quick.
    #[arg(long)]
    runs: Option<usize>,
    /// Clients submitting batches at once: threads in process, connections over HTTP (default 4;
    /// 1: one client, each batch waits for the previous one's commit).
    #[arg(long)]
    submitters: Option<usize>,
    /// Accounts in the state for workload 5 (default 1,000,000; 20,000 with --quick).
    #[arg(long)]
    accounts: Option<usize>,
    /// Where to write `bench.md` and `bench.json`.
    #[arg(long, default_value = ".tidepool/bench")]
    out: PathBuf,
    /// Run only these parts (comma-separated), e.g. `--only native` to profile one workload.
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(tidepool_bench::PARTS))]
    only: Vec<String>,
    /// Where the temporary RocksDB directories go (default: the system's temporary directory).
    #[arg(long)]
    scratch: Option<PathBuf>,
}

/// Runs the benchmark; prints the markdown summary (or the JSON report with `--json`).
pub(crate) fn run(args: BenchArgs, json: bool) -> anyhow::Result<()> {
    let mut options = if args.quick { Options::quick() } else { Options::full() };
    if let Some(runs) = args.runs {
        options.runs = runs.max(1);
    }
    if let Some(submitters) = args.submitters {
        options.submitters = submitters.max(1);
    }
    if let Some(accounts) = args.accounts {
        options.accounts = accounts;
    }
    options.scratch = args.scratch;
    options.only = args.only;
    let report = tidepool_bench::run(&options, &Progress::new(false))?;
    let markdown = report.markdown();
    let report_json = serde_json::to_string_pretty(&report)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(args.out.join("bench.md"), &markdown)?;
    std::fs::write(args.out.join("bench.json"), &report_json)?;
    if json {
        outln!("{report_json}");
    } else {
        outln!("{markdown}");
        eprintln!("written to {}/bench.{{md,json}}", args.out.display());
    }
    Ok(())
}
