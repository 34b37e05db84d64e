//! `runs stats`: service-level indicators computed from the metadata store, for local and
//! cluster runs alike — run success rate, p50 and p95 run duration, retry rate and cache-hit
//! rate of tasks, and artifact write failures.
//!
//! Only finished runs count (a running one has no outcome yet). Times are the store's RFC 3339
//! UTC text; a run without both times has no duration and is left out of the percentiles
//! only. A task counts as retried when its newest attempt is not its first; as a cache hit when
//! it succeeded from a cache: the local runner records such tasks with a message starting
//! `cached`, and so does the client for an Argo node whose `memoizationStatus.hit` is true.
//! A task is an artifact write failure when its outputs could not be saved (the store's
//! `outputs_not_saved`: the local runner could not find or store an output the component
//! should have written; on Argo, the pod's `wait` container failed to save them —
//! [`crate::outputs_not_saved`]); the rate is over the tasks that started.

use std::time::SystemTime;

use serde::Serialize;

use crate::phase::Phase;
use crate::store::{MetadataStore, RunFilter, RunSource, SqliteStore, StoreError};

/// The indicators over a set of runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    /// The pipeline the runs belong to; `None` for every pipeline.
    pub pipeline: Option<String>,
    /// The earliest start counted (RFC 3339), from `--since`.
    pub since: Option<String>,
    /// Finished runs counted.
    pub runs: usize,
    /// Of which local runs.
    pub local_runs: usize,
    /// Of which runs on Argo.
    pub argo_runs: usize,
    /// Runs that succeeded.
    pub succeeded: usize,
    /// `succeeded / runs`; `None` without runs.
    pub success_rate: Option<f64>,
    /// Median run duration in seconds (nearest rank).
    pub p50_duration_seconds: Option<f64>,
    /// 95th percentile run duration in seconds (nearest rank).
    pub p95_duration_seconds: Option<f64>,
    /// Tasks of the counted runs that started (skipped and omitted tasks did not).
    pub tasks: usize,
    /// Of which tasks retried at least once.
    pub retried_tasks: usize,
    /// `retried_tasks / tasks`.
    pub retry_rate: Option<f64>,
    /// Succeeded tasks.
    pub succeeded_tasks: usize,
    /// Of which reused from the cache.
    pub cache_hits: usize,
    /// `cache_hits / succeeded_tasks`.
    pub cache_hit_rate: Option<f64>,
    /// Tasks whose outputs could not be saved.
    pub artifact_write_failures: usize,
    /// `artifact_write_failures / tasks`.
    pub artifact_write_failure_rate: Option<f64>,
}

/// Seconds since the Unix epoch of `2024-05-01T10:00:00Z` (fractions of a second and numeric
/// offsets accepted, as Kubernetes may write them); `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(after) = rest.strip_prefix('.') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        fraction = format!("0.{}", &after[..digits]).parse().ok()?;
        rest = &after[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds as f64 + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of
/// [`crate::civil_from_days`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The nearest-rank percentile `p` (0–100) of sorted `values`.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The indicators of the finished runs of `pipeline` (every pipeline when `None`) that
/// started at or after `since`.
///
/// # Errors
/// [`StoreError`].
pub fn run_stats(
    store: &SqliteStore,
    pipeline: Option<&str>,
    since: Option<SystemTime>,
) -> Result<RunStats, StoreError> {
    let since = since.map(crate::rfc3339_utc);
    let runs = store.list_runs(&RunFilter {
        pipeline: pipeline.map(str::to_owned),
        ..RunFilter::default()
    })?;
    let mut stats = RunStats {
        pipeline: pipeline.map(str::to_owned),
        since: since.clone(),
        runs: 0,
        local_runs: 0,
        argo_runs: 0,
        succeeded: 0,
        success_rate: None,
        p50_duration_seconds: None,
        p95_duration_seconds: None,
        tasks: 0,
        retried_tasks: 0,
        retry_rate: None,
        succeeded_tasks: 0,
        cache_hits: 0,
        cache_hit_rate: None,
        artifact_write_failures: 0,
        artifact_write_failure_rate: None,
    };
    let mut durations = Vec::new();
    for run in runs {
        if !run.phase.is_finished() {
            continue;
        }
        // RFC 3339 UTC text sorts as time does.
        if let Some(since) = &since
            && run.started_at.as_deref().is_none_or(|t| t < since.as_str())
        {
            continue;
        }
        stats.runs += 1;
        match run.source {
            RunSource::Local => stats.local_runs += 1,
            RunSource::Argo => stats.argo_runs += 1,
        }
        if run.phase == Phase::Succeeded {
            stats.succeeded += 1;
        }
        if let (Some(start), Some(end)) = (
            run.started_at.as_deref().and_then(parse_rfc3339),
            run.finished_at.as_deref().and_then(parse_rfc3339),
        ) && end >= start
        {
            durations.push(end - start);
        }
        let Some(details) = store.run_details(&run.id)? else {
            continue;
        };
        for task in &details.tasks {
            if matches!(task.phase, Phase::Skipped | Phase::Omitted | Phase::Pending) {
                continue;
            }
            stats.tasks += 1;
            if task.attempt > 0 {
                stats.retried_tasks += 1;
            }
            if task.outputs_not_saved {
                stats.artifact_write_failures += 1;
            }
            if task.phase == Phase::Succeeded {
                stats.succeeded_tasks += 1;
                if task
                    .message
                    .as_deref()
                    .is_some_and(|m| m.starts_with("cached"))
                {
                    stats.cache_hits += 1;
                }
            }
        }
    }
    durations.sort_by(f64::total_cmp);
    stats.success_rate = ratio(stats.succeeded, stats.runs);
    stats.p50_duration_seconds = percentile(&durations, 50.0);
    stats.p95_duration_seconds = percentile(&durations, 95.0);
    stats.retry_rate = ratio(stats.retried_tasks, stats.tasks);
    stats.cache_hit_rate = ratio(stats.cache_hits, stats.succeeded_tasks);
    stats.artifact_write_failure_rate = ratio(stats.artifact_write_failures, stats.tasks);
    Ok(stats)
}

/// `runs stats` as text: one indicator a line.
pub fn render_stats(stats: &RunStats) -> String {
    let percent = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let seconds = |s: Option<f64>| s.map_or("-".to_owned(), |s| format!("{s:.1}s"));
    let mut out = String::new();
    let scope = stats.pipeline.as_deref().unwrap_or("all pipelines");
    match &stats.since {
        Some(since) => out.push_str(&format!("{scope}, runs started since {since}\n")),
        None => out.push_str(&format!("{scope}\n")),
    }
    out.push_str(&format!(
        "runs          {} finished ({} local, {} argo)\n",
        stats.runs, stats.local_runs, stats.argo_runs
    ));
    out.push_str(&format!(
        "success rate  {} ({} succeeded)\n",
        percent(stats.success_rate),
        stats.succeeded
    ));
    out.push_str(&format!(
        "duration      p50 {}  p95 {}\n",
        seconds(stats.p50_duration_seconds),
        seconds(stats.p95_duration_seconds)
    ));
    out.push_str(&format!(
        "retry rate    {} ({} of {} tasks retried)\n",
        percent(stats.retry_rate),
        stats.retried_tasks,
        stats.tasks
    ));
    out.push_str(&format!(
        "cache hits    {} ({} of {} succeeded tasks)\n",
        percent(stats.cache_hit_rate),
        stats.cache_hits,
        stats.succeeded_tasks
    ));
    out.push_str(&format!(
        "write errors  {} ({} of {} tasks could not save their outputs)\n",
        percent(stats.artifact_write_failure_rate),
        stats.artifact_write_failures,
        stats.tasks
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_as_the_store_and_kubernetes_write_it() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("2024-05-31T00:00:00Z"), Some(1_717_113_600.0));
        assert_eq!(
            parse_rfc3339("2024-05-31T02:00:00+02:00"),
            Some(1_717_113_600.0)
        );
        assert_eq!(
            parse_rfc3339("2024-05-31T00:00:00.5Z"),
            Some(1_717_113_600.5)
        );
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_123);
        assert_eq!(
            parse_rfc3339(&crate::rfc3339_utc(now)),
            Some(1_800_000_123.0)
        );
        for bad in [
            "",
            "2024-05-31",
            "2024-13-01T00:00:00Z",
            "2024-05-31T00:00:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(10.0));
        assert_eq!(percentile(&v, 95.0), Some(19.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
