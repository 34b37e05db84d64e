//! A nightly training job whose report always runs: `fit` refuses a data set that is too
//! small, and the exit handler's `summarize` learns how the run ended and which steps failed.
//!
//! ```text
//! cargo run -p argot-examples --bin exit_handler -- run                     # fit fails; summarize runs
//! cargo run -p argot-examples --bin exit_handler -- run -p rows=1000        # all succeed
//! cargo run -p argot-examples --bin exit_handler -- compile --image registry.example.com/exit-handler:0.1.0
//! ```
//!
//! On Argo the summary is the DAG template `spec.onExit` names, reading `{{workflow.status}}`
//! and `{{workflow.failures}}`; `run` starts it once every other task has finished, with the
//! same two values.

use argot::prelude::*;

/// Count the rows of today's data (here: the number asked for).
#[component]
pub fn load(rows: u32) -> Result<u32> {
    Ok(rows)
}

/// Train on `rows` rows; fails when there are fewer than `min_rows`.
#[component]
pub fn fit(rows: u32, min_rows: u32) -> Result<f64> {
    ensure!(
        rows >= min_rows,
        "only {rows} rows today; training needs at least {min_rows}"
    );
    Ok(1.0 - 1.0 / f64::from(rows))
}

/// Summarise how the run ended, in one line: the status, then each failed step and why.
#[component]
pub fn summarize(status: String, failures: String) -> Result<String> {
    let failed = RunFailure::parse(&failures).context("reading the run's failures")?;
    let mut line = format!("run {}", status.to_lowercase());
    for f in &failed {
        line.push_str(&format!(
            "; {} {}: {}",
            f.display_name,
            f.phase.to_lowercase(),
            f.message
        ));
    }
    eprintln!("{line}");
    Ok(line)
}

/// Load, train, and always report.
#[pipeline(image = "ghcr.io/argot-rs/exit-handler:0.1.0")]
pub fn exit_handler(#[default(100)] rows: Param<u32>, #[default(500)] min_rows: Param<u32>) {
    let loaded = load(rows);
    fit(loaded.output, min_rows);
    on_exit(|run| {
        summarize(run.status(), run.failures());
    });
}
