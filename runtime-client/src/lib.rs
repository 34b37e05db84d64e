//! argot-client: run Argo Workflows from argot — submit, watch, logs, stop — and record what
//! ran in the metadata store.
//!
//! The crate knows Argo, not the DSL: its input is any Argo manifest (YAML or JSON text), argot's
//! or hand-written. It does not depend on the `argot` crate.
//!
//! # Modules
//! - [`store`]: the metadata store (runs, tasks, parameters, artifacts, lineage) — the
//!   [`store::MetadataStore`] trait and its SQLite implementation. Always compiled.
//! - [`status`]: decoding an Argo Workflow's status (plain, compressed or offloaded nodes) and
//!   mapping nodes back to the task names the user wrote. Always compiled, pure.
//! - [`manifest`]: parsing manifests and stamping argot's labels on them. Always compiled.
//! - [`cluster`] (feature `cluster`, on by default): the kube-rs client — submit, watch, logs,
//!   stop/terminate, resubmit, delete, list, apply — and its actionable [`cluster::ClientError`].
//! - [`cargo_argot`]: the `cargo argot` subcommand (binary `cargo-argot`): build a pipeline
//!   crate and run its `compile`/`run`/…, print its Dockerfile, start a new crate.
//! - [`cli`]: clap commands the pipeline binary embeds and the standalone `argot` binary runs.
//!   The store commands (`runs`, `lineage`) work without the `cluster` feature.
//!
//! # Features
//! - `cluster` (default): everything that talks to Kubernetes (kube, k8s-openapi, tokio,
//!   indicatif). The local runner uses this crate with `default-features = false` for the store.
//!
//! # Exit codes
//! Shared by every argot binary; see [`ExitCode`]:
//!
//! | code | meaning |
//! | ---: | --- |
//! | 0 | ok (for `submit --watch`/`watch`: the run succeeded) |
//! | 1 | internal or I/O error |
//! | 2 | usage error (bad flags, unreadable or wrong-kind manifest) |
//! | 3 | invalid pipeline (validation diagnostics) |
//! | 4 | a component failed (in-container entrypoint) |
//! | 5 | the run finished but did not succeed (Failed/Error); each failed task is printed |
//! | 6 | timed out waiting |
//! | 7 | cluster/API error (unreachable, forbidden, Argo CRDs missing, conflict, …) |

pub mod cargo_argot;
pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod manifest;
mod phase;
pub mod stats;
pub mod status;
pub mod store;

pub use phase::{Phase, outputs_not_saved};

/// The name of the running program, for the commands that hints suggest: `argot` for the
/// standalone binary, `quickstart` inside a pipeline binary that embeds these commands.
pub fn program_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_stem)
        .and_then(|s| s.to_str())
        .map_or_else(|| "argot".to_owned(), str::to_owned)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`): the store and the local runner write UTC times as RFC 3339
/// text without a date-time dependency.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `2024-05-01T10:00:00Z` for a time (UTC), as the store records times.
pub fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// An error and its causes on one line, `error: cause: cause`, each level said once: a level
/// whose text its parent already contains (as kube-rs's messages often do) is left out.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// The process exit codes every argot binary uses (see the crate docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitCode {
    /// 0: success.
    Ok = 0,
    /// 1: an internal or I/O error.
    Internal = 1,
    /// 2: a usage error: bad flags or arguments, a manifest that cannot be read or used.
    Usage = 2,
    /// 3: the pipeline is invalid (validation diagnostics were printed).
    InvalidPipeline = 3,
    /// 4: a component failed (the in-container entrypoint).
    ComponentFailed = 4,
    /// 5: the run finished but did not succeed; the failed tasks were printed.
    RunFailed = 5,
    /// 6: timed out waiting for the run.
    Timeout = 6,
    /// 7: the cluster or its API refused or could not be reached.
    Cluster = 7,
}

impl ExitCode {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}
