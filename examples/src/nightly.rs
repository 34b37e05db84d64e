//! `nightly`: retrain the quickstart model every night, as an Argo `CronWorkflow`.
//!
//! ```text
//! cargo run -p argot-examples --bin nightly -- compile --image registry.example.com/nightly:0.1.0
//! cargo run -p argot-examples --bin nightly -- compile --argo-version 3.6   # `schedule`, not `schedules`
//! cargo run -p argot-examples --bin nightly -- compile --kind workflow      # one run, now, on the cluster
//! cargo run -p argot-examples --bin nightly -- run                          # one run, now, on this machine
//! ```
//!
//! The schedule is part of the pipeline (`schedule = …` makes it a CronWorkflow); `compile`
//! checks it, the time zone, the concurrency policy and the limits, so a typo is a coded
//! diagnostic (A0046), not a CronWorkflow the controller refuses at 3 a.m. `--schedule` and
//! `--timezone` override them for one compile (a staging cluster that retrains hourly).
//! A local `run` ignores the schedule: it runs the pipeline once, now, and says so.

use crate::quickstart::{evaluate, prepare, train};
use argot::prelude::*;

/// Retrain on a fresh data set every night at 03:00 Paris time; never two runs at once.
// The image is a placeholder nobody publishes: build it from `examples/Dockerfile`
// (`--build-arg BIN=nightly`), push it, and pass `--image` to `compile` or `submit`.
#[pipeline(
    image = "ghcr.io/argot-rs/nightly:0.1.0",
    schedule = "0 3 * * *",
    timezone = "Europe/Paris",
    concurrency_policy = "Forbid",
    starting_deadline_seconds = 600,
    successful_jobs_history_limit = 3,
    failed_jobs_history_limit = 1,
    ttl = "168h",
    pod_gc = "OnPodSuccess"
)]
pub fn nightly(#[default(5000)] rows: Param<u32>, #[default(0.5)] learning_rate: Param<f64>) {
    let prepared = prepare(rows);
    // A night's run should survive a preempted node: retry training, waiting a little longer
    // each time.
    let trained = train(prepared.data)
        .learning_rate(learning_rate)
        .set_retry(2)
        .set_retry_backoff("30s", Some(2), None);
    evaluate(prepared.data, trained.model, trained.output);
}
