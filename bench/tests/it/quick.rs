//! `tidepool bench --quick` end to end, so the benchmark cannot rot: every workload and
//! baseline runs and lands in the summary. No timing is asserted (the figures belong to
//! BENCHMARKS.md, not to a test on a shared machine).

use tidepool_bench::{Options, Progress};

#[test]
fn the_quick_bench_runs_every_workload_and_reports_it() {
    let report = tidepool_bench::run(&Options::quick(), &Progress::new(true)).expect("the quick bench runs");

    let ids: Vec<&str> = report.rows.iter().map(|r| r.id.as_str()).collect();
    for id in ["1", "1h", "1s", "2", "3", "4", "5", "6"] {
        assert!(ids.contains(&id), "no row for workload {id}: {ids:?}");
    }
    assert_eq!(
        report.rows.iter().filter(|r| r.id == "4").count(),
        9,
        "a balance and a contract query in two forms × 1, 8, 64 connections"
    );
    for t in [&report.native, &report.native_http, &report.token, &report.lending, &report.grown.transfers] {
        assert!(t.median > 0.0 && t.floor_per_s > 0.0, "{t:?}");
    }
    assert!(report.recovery.all_cores_per_s > 0.0 && report.rocks.puts_per_s > 0.0);
    assert_eq!(report.empty_handler.len(), 3);
    let queries = &report.queries;
    for paired in queries.balance.iter().chain(&queries.contract).chain(&queries.contract_in_url) {
        for load in [&paired.load, &paired.empty_before, &paired.empty_after] {
            assert!(load.requests > 0 && load.errors == 0, "{load:?}");
            assert_eq!(load.connections, paired.load.connections, "a baseline at another connection count");
        }
        assert!(paired.ratio().is_some(), "a query load without its baseline: {paired:?}");
    }
    for load in &report.empty_handler {
        assert!(load.requests > 0 && load.errors == 0, "{load:?}");
    }
    assert!(report.grown.accounts >= Options::quick().accounts);
    assert_eq!(report.restart.contracts, 100);
    assert_eq!(report.restart.compiles, 0, "a restart must not recompile");

    let markdown = report.markdown();
    assert!(markdown.contains("| # | workload | figure | baseline (same run) | ratio | target | result |"));
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["mode"], "quick");
    assert_eq!(json["rows"].as_array().unwrap().len(), report.rows.len());
}
