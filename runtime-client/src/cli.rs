//! The client's commands as clap types, for the standalone `argot` binary and for every
//! pipeline binary.
//!
//! A pipeline binary (the `argot` crate's CLI) embeds them like this, compiling the pipeline
//! itself and handing the manifest text to [`SubmitArgs::run_manifest`]:
//!
//! ```ignore
//! #[derive(clap::Subcommand)]
//! enum Command {
//!     /// Compile the pipeline, then submit it to Argo.
//!     Submit {
//!         #[command(flatten)]
//!         submit: argot_client::cli::SubmitArgs,
//!     },
//!     #[command(flatten)]
//!     Runs(argot_client::cli::RunCommand),     // watch, logs, outputs, stop, … (feature cluster)
//!     #[command(flatten)]
//!     Store(argot_client::cli::StoreCommand),  // runs list|show, lineage
//! }
//! // Command::Submit { submit } => argot_client::cli::report(submit.run_manifest(&yaml)),
//! // Command::Runs(c) => argot_client::cli::report(c.run()),
//! ```
//!
//! Every `run` returns the [`ExitCode`] to exit with (5 for a failed run, 6 for a timeout) or a
//! [`CliError`]; [`report`] prints an error once, with its causes, and converts to a process
//! exit code. Results go to stdout, progress and errors to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::ExitCode;
use crate::manifest::ManifestError;
use crate::store::{
    ArtifactSelector, Lineage, MetadataStore, RunDetails, RunFilter, SqliteStore, StoreError,
    default_store_path,
};

/// Errors of the CLI commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A cluster operation failed.
    #[cfg(feature = "cluster")]
    #[error(transparent)]
    Client(Box<crate::cluster::ClientError>),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The manifest cannot be used.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing output or starting the async runtime failed.
    #[error("I/O error")]
    Io(#[from] std::io::Error),
    /// The store has no such run.
    #[error(
        "no run {0:?} in the metadata store\nhelp: `{prog} runs list` shows recorded runs; `{prog} outputs RUN` records a cluster run", prog = crate::program_name()
    )]
    RunNotFound(String),
    /// A size flag could not be read.
    #[error(
        "invalid size {0:?}\nhelp: write e.g. 500M, 2G or 1048576 (bytes; K, M, G, T are powers of 1024)"
    )]
    Size(String),
    /// A duration flag could not be read.
    #[error("invalid duration {0:?}\nhelp: write e.g. 90s, 30m, 2h or 1h30m")]
    Duration(String),
}

#[cfg(feature = "cluster")]
impl From<crate::cluster::ClientError> for CliError {
    fn from(e: crate::cluster::ClientError) -> Self {
        CliError::Client(Box::new(e))
    }
}

impl CliError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            #[cfg(feature = "cluster")]
            CliError::Client(e) => e.exit_code(),
            CliError::Manifest(_)
            | CliError::Duration(_)
            | CliError::Size(_)
            | CliError::RunNotFound(_) => ExitCode::Usage,
            CliError::Read { .. } => ExitCode::Usage,
            CliError::Store(
                StoreError::ArtifactNotFound(_) | StoreError::AmbiguousArtifact { .. },
            ) => ExitCode::Usage,
            CliError::Store(_) | CliError::Io(_) => ExitCode::Internal,
        }
    }
}

/// Prints an error (with its `caused by:` chain) to stderr and returns the exit code; passes a
/// successful code through.
pub fn report(result: Result<ExitCode, CliError>) -> std::process::ExitCode {
    report_code(result).into()
}

/// Like [`report`], but returns argot's own [`ExitCode`] (for callers that map it further).
pub fn report_code(result: Result<ExitCode, CliError>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", render_error(&e));
            e.exit_code()
        }
    }
}

/// The text [`report`] prints: `error: …`, then one `caused by:` line per cause that says
/// something new (a cause whose text its parent already includes is not repeated).
pub fn render_error(e: &(dyn std::error::Error + 'static)) -> String {
    render_chain("error: ", e)
}

/// `prefix`, the error, then its causes as [`render_error`] lays them out (for warnings).
pub fn render_chain(prefix: &str, e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = format!("{prefix}{e}");
    let mut said = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !said.contains(&text) {
            msg.push_str(&format!("\n  caused by: {text}"));
        }
        said = text;
        source = s.source();
    }
    msg
}

/// Writes to stdout; a closed pipe (`argot runs list | head`) is not an error.
fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Parses `90s`, `30m`, `2h`, `1d`, `1h30m` or plain seconds. A value too large for a
/// [`Duration`] of seconds is refused rather than wrapped.
///
/// # Errors
/// [`CliError::Duration`].
pub fn parse_duration(text: &str) -> Result<Duration, CliError> {
    let bad = || CliError::Duration(text.to_owned());
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let (mut total, mut num) = (0u64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() || text.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Parses a size in bytes: `1048576`, `500K`, `500M`, `2G`, `1T` (powers of 1024; `KiB`, `MB`
/// and the like are read the same way).
///
/// # Errors
/// [`CliError::Size`].
pub fn parse_size(text: &str) -> Result<u64, CliError> {
    let bad = || CliError::Size(text.to_owned());
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: u64 = text[..digits].parse().map_err(|_| bad())?;
    let unit = match text[digits..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1u64,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(bad()),
    };
    n.checked_mul(unit).ok_or_else(bad)
}

fn size_arg(text: &str) -> Result<u64, String> {
    parse_size(text).map_err(|e| e.to_string())
}

#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
fn positive_duration_arg(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(d) if d.is_zero() => Err("must be more than 0 (e.g. 30s)".to_owned()),
        other => other.map_err(|e| e.to_string()),
    }
}

/// Where the metadata store is.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// Metadata store file [default: .argot/metadata.db]
    #[arg(long, value_name = "PATH", env = "ARGOT_STORE", global = true)]
    pub store: Option<PathBuf>,
}

impl StoreArgs {
    /// The store path: the flag, `ARGOT_STORE`, or `.argot/metadata.db`.
    pub fn path(&self) -> PathBuf {
        self.store.clone().unwrap_or_else(default_store_path)
    }

    /// Opens the store.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn open(&self) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(self.path())
    }
}

/// The store commands (`runs`, `lineage`); they need no cluster.
#[derive(Debug, Clone, Subcommand)]
pub enum StoreCommand {
    /// Recorded runs (local and Argo) in the metadata store.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Where an artifact came from and what used it.
    ///
    /// ARTIFACT is an artifact id (from `runs show`), a URI (s3://bucket/key), or
    /// RUN/TASK/OUTPUT.
    ///
    /// Example: argot lineage train-x7k2p/fit/model
    Lineage {
        /// The artifact: id, URI, or RUN/TASK/OUTPUT.
        artifact: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        store: StoreArgs,
    },
}

/// How `runs stats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// One indicator a line.
    Text,
    /// One JSON object.
    Json,
}

/// `runs` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RunsCommand {
    /// List recorded runs, newest first.
    ///
    /// Example: argot runs list --pipeline train
    List {
        /// Only runs of this pipeline.
        #[arg(long)]
        pipeline: Option<String>,
        /// At most this many.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        #[allow(missing_docs)]
        store: StoreArgs,
    },
    /// Delete old finished runs from the metadata store, with the run folders of local runs
    /// (running runs are never deleted).
    ///
    /// With --older-than, runs that finished longer ago than that go; with --keep, all but the
    /// newest N; with both, only runs that are old and not among the newest N; with
    /// --max-size, the oldest local runs whose folders do not fit in that size. A run that
    /// produced an artifact a kept run consumed stays, so lineage stays whole.
    ///
    /// Example: argot runs gc --older-than 30d --keep 100
    #[command(group = clap::ArgGroup::new("bound").required(true).multiple(true).args(["older_than", "keep", "max_size"]))]
    Gc {
        /// Delete runs that finished longer ago than this (e.g. 30d, 12h).
        #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
        older_than: Option<Duration>,
        /// Keep the newest N runs whatever their age.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Keep local run folders within this total size (e.g. 2G), deleting the oldest runs
        /// past it.
        #[arg(long, value_parser = size_arg, value_name = "SIZE")]
        max_size: Option<u64>,
        /// Only print what would be deleted.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        store: StoreArgs,
    },
    /// Service-level indicators of finished runs, local and on Argo alike: success rate, p50
    /// and p95 duration, retry rate and cache-hit rate of tasks.
    ///
    /// Example: argot runs stats train --since 7d --format json
    Stats {
        /// Only runs of this pipeline (all pipelines when left out).
        pipeline: Option<String>,
        /// Only runs started within this long before now (e.g. 7d, 12h).
        #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
        since: Option<Duration>,
        /// `text` (one indicator a line) or `json`.
        #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
        format: StatsFormat,
        #[command(flatten)]
        #[allow(missing_docs)]
        store: StoreArgs,
    },
    /// Show one recorded run: tasks, parameters, artifacts (with ids for `lineage`).
    ///
    /// Example: argot runs show train-x7k2p
    Show {
        /// The run id.
        run: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        store: StoreArgs,
    },
}

impl StoreCommand {
    /// Runs the command against the store.
    ///
    /// # Errors
    /// [`CliError::Store`], [`CliError::RunNotFound`].
    pub fn run(&self) -> Result<ExitCode, CliError> {
        match self {
            StoreCommand::Runs(RunsCommand::List {
                pipeline,
                limit,
                store,
            }) => {
                let store = store.open()?;
                print(&runs_list(&store, pipeline.as_deref(), *limit)?)?;
            }
            StoreCommand::Runs(RunsCommand::Gc {
                older_than,
                keep,
                max_size,
                dry_run,
                store,
            }) => {
                let store = store.open()?;
                let policy = GcPolicy {
                    older_than: *older_than,
                    keep: *keep,
                    max_size: *max_size,
                };
                print(&runs_gc(
                    &store,
                    &policy,
                    std::time::SystemTime::now(),
                    *dry_run,
                )?)?;
            }
            StoreCommand::Runs(RunsCommand::Stats {
                pipeline,
                since,
                format,
                store,
            }) => {
                let store = store.open()?;
                let since = since.and_then(|d| std::time::SystemTime::now().checked_sub(d));
                let stats = crate::stats::run_stats(&store, pipeline.as_deref(), since)?;
                match format {
                    StatsFormat::Json => print(&format!("{}\n", to_json(&stats)))?,
                    StatsFormat::Text => print(&crate::stats::render_stats(&stats))?,
                }
            }
            StoreCommand::Runs(RunsCommand::Show { run, json, store }) => {
                let store = store.open()?;
                let details = store
                    .run_details(run)?
                    .ok_or_else(|| CliError::RunNotFound(run.clone()))?;
                if *json {
                    print(&format!("{}\n", to_json(&details)))?;
                } else {
                    print(&render_run(&details))?;
                }
            }
            StoreCommand::Lineage {
                artifact,
                json,
                store,
            } => {
                let store = store.open()?;
                let l = store.lineage(&ArtifactSelector::parse(artifact))?;
                if *json {
                    print(&format!("{}\n", to_json(&l)))?;
                } else {
                    print(&render_lineage(&l))?;
                }
            }
        }
        Ok(ExitCode::Ok)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("store records always serialise")
}

/// Which runs `runs gc` deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcPolicy {
    /// Runs that finished (or, without an end time, started) longer ago than this.
    pub older_than: Option<Duration>,
    /// Never the newest this many runs (by `older_than`; alone, all but these go).
    pub keep: Option<usize>,
    /// The total size, in bytes, the folders of the remaining local runs may take; the oldest
    /// past it go.
    pub max_size: Option<u64>,
}

/// The run folder the local runner made for `run`, if it is there: the recorded location, a
/// real folder (not a symlink) named by the run id and holding the runner's `run.json`. Only
/// such a folder is ever deleted or measured.
fn local_run_folder(run: &crate::store::RunRecord) -> Option<PathBuf> {
    if run.source != crate::store::RunSource::Local {
        return None;
    }
    let dir = PathBuf::from(run.location.as_deref()?);
    let named_by_id = dir.file_name().is_some_and(|n| n == run.id.as_str());
    let is_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
    (named_by_id && is_dir && dir.join("run.json").is_file()).then_some(dir)
}

/// The bytes of the files under `dir`, symlinks not followed; unreadable entries count 0.
fn folder_size(dir: &std::path::Path) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => pending.push(entry.path()),
                Ok(m) if m.is_file() => total = total.saturating_add(m.len()),
                _ => {}
            }
        }
    }
    total
}

/// Deletes a run folder under the runner's own lock, so a run being resumed is left alone.
fn remove_run_folder(dir: &std::path::Path) -> std::io::Result<()> {
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join(".lock"));
    let _guard = match lock {
        Ok(file) => match file.try_lock() {
            Ok(()) => Some(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ResourceBusy,
                    "a runner is using it",
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        },
        Err(_) => None,
    };
    std::fs::remove_dir_all(dir)
}

/// A size for people: `12 B`, `1.5 KiB`, `3.0 MiB` (powers of 1024, one decimal).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Deletes (or with `dry_run` lists) the finished runs `policy` selects, as of `now`, with the
/// folders of local runs, and returns the report `runs gc` prints. Running and pending runs
/// are never deleted.
///
/// # Errors
/// [`StoreError`].
pub fn runs_gc(
    store: &SqliteStore,
    policy: &GcPolicy,
    now: std::time::SystemTime,
    dry_run: bool,
) -> Result<String, StoreError> {
    // Timestamps are stored as RFC 3339 UTC text, which sorts as time does.
    let cutoff = policy
        .older_than
        .map(|age| now.checked_sub(age).map(crate::rfc3339_utc));
    let runs = store.list_runs(&RunFilter::default())?;
    let by_age_or_count = policy.older_than.is_some() || policy.keep.is_some();
    let mut selected: Vec<bool> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            by_age_or_count
                && r.phase.is_finished()
                && policy.keep.is_none_or(|keep| i >= keep)
                && match &cutoff {
                    None => true,
                    // Older than the start of time: nothing is that old.
                    Some(None) => false,
                    Some(Some(cutoff)) => r
                        .finished_at
                        .as_deref()
                        .or(r.started_at.as_deref())
                        .is_some_and(|t| t < cutoff.as_str()),
                }
        })
        .collect();
    let folders: Vec<Option<(PathBuf, u64)>> = runs
        .iter()
        .map(|r| {
            local_run_folder(r).map(|dir| {
                let size = folder_size(&dir);
                (dir, size)
            })
        })
        .collect();
    if let Some(max) = policy.max_size {
        // Newest first: the newest runs fill the budget, the older ones past it go.
        let mut total = 0u64;
        for (i, r) in runs.iter().enumerate() {
            let Some((_, size)) = &folders[i] else {
                continue;
            };
            if selected[i] {
                continue;
            }
            total = total.saturating_add(*size);
            if total > max && r.phase.is_finished() {
                selected[i] = true;
                total -= size;
            }
        }
    }
    let ids: Vec<String> = runs
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(r, _)| r.id.clone())
        .collect();
    let pruned = store.prune_runs(&ids, dry_run)?;
    let kept_for_lineage = ids.len() - pruned.len();
    let mut rows = Vec::new();
    let mut freed = 0u64;
    let mut problems = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        if !pruned.contains(&r.id) {
            continue;
        }
        let size = match &folders[i] {
            Some((dir, size)) => {
                let removed = if dry_run {
                    Ok(())
                } else {
                    remove_run_folder(dir)
                };
                match removed {
                    Ok(()) => freed = freed.saturating_add(*size),
                    Err(e) => problems.push(format!(
                        "warning: kept the folder {} of run {}: {e}; the run is no longer recorded, so remove the folder by hand once no runner uses it",
                        dir.display(),
                        r.id
                    )),
                }
                human_size(*size)
            }
            None => "-".to_owned(),
        };
        rows.push(vec![
            r.id.clone(),
            r.pipeline.clone(),
            r.phase.to_string(),
            r.finished_at.clone().unwrap_or_else(|| "-".into()),
            size,
        ]);
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    let mut s = format!(
        "{verb} {} run{}",
        pruned.len(),
        if pruned.len() == 1 { "" } else { "s" }
    );
    if freed > 0 {
        s.push_str(&format!(
            ", {} {}",
            if dry_run { "freeing" } else { "freed" },
            human_size(freed)
        ));
    }
    if kept_for_lineage > 0 {
        s.push_str(&format!(
            "; kept {kept_for_lineage} whose artifacts later runs consumed"
        ));
    }
    s.push('\n');
    if !rows.is_empty() {
        s.push_str(&table(
            &["RUN", "PIPELINE", "PHASE", "FINISHED", "FOLDER"],
            &rows,
        ));
    }
    for p in problems {
        s.push_str(&escape_control(&p));
        s.push('\n');
    }
    Ok(s)
}

/// A value as it may be shown on a terminal: control characters (C0 including newline and
/// tab, DEL, C1) — which could move the cursor, recolour or retitle the terminal, or break a
/// table's rows — are written as `\x1b`-style escapes.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Lays out rows under a header, each column as wide as its widest (escaped) value, columns
/// two spaces apart; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let escaped: Vec<Vec<String>> =
        std::iter::once(header.iter().map(|h| (*h).to_owned()).collect())
            .chain(
                rows.iter()
                    .map(|r| r.iter().map(|v| escape_control(v).into_owned()).collect()),
            )
            .collect();
    let mut widths = vec![0; header.len()];
    for row in &escaped {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(v.chars().count());
        }
    }
    let mut s = String::new();
    for row in &escaped {
        let last = row.len().saturating_sub(1);
        for (i, (v, w)) in row.iter().zip(&widths).enumerate() {
            s.push_str(v);
            if i != last {
                s.push_str(&" ".repeat(w - v.chars().count() + 2));
            }
        }
        s.push('\n');
    }
    s
}

/// The text of `runs list`.
///
/// # Errors
/// [`StoreError`].
pub fn runs_list(
    store: &dyn MetadataStore,
    pipeline: Option<&str>,
    limit: Option<usize>,
) -> Result<String, StoreError> {
    let runs = store.list_runs(&RunFilter {
        pipeline: pipeline.map(str::to_owned),
        source: None,
        limit,
    })?;
    let rows: Vec<Vec<String>> = runs
        .into_iter()
        .map(|r| {
            vec![
                r.id,
                r.pipeline,
                r.source.as_str().to_owned(),
                r.phase.to_string(),
                r.started_at.unwrap_or_else(|| "-".into()),
                r.finished_at.unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    Ok(table(
        &["RUN", "PIPELINE", "SOURCE", "PHASE", "STARTED", "FINISHED"],
        &rows,
    ))
}

/// The text of `runs show`.
pub fn render_run(d: &RunDetails) -> String {
    let e = escape_control;
    let r = &d.run;
    let mut s = format!(
        "run {}\n  pipeline: {}\n  source:   {}{}\n  phase:    {}\n  started:  {}\n  finished: {}\n",
        e(&r.id),
        e(&r.pipeline),
        r.source.as_str(),
        r.location
            .as_ref()
            .map(|l| format!(" ({})", e(l)))
            .unwrap_or_default(),
        e(r.phase.as_str()),
        r.started_at.as_deref().unwrap_or("-"),
        r.finished_at.as_deref().unwrap_or("-"),
    );
    if let Some(m) = &r.message {
        s.push_str(&format!("  message:  {}\n", e(m)));
    }
    s.push_str("tasks:\n");
    for t in &d.tasks {
        s.push_str(&format!("  {} {}", e(&t.name), e(t.phase.as_str())));
        if t.attempt > 0 {
            s.push_str(&format!(" (attempt {})", t.attempt + 1));
        }
        if let Some(m) = &t.message {
            s.push_str(&format!(": {}", e(m)));
        }
        s.push('\n');
    }
    if !d.parameters.is_empty() {
        s.push_str("parameters:\n");
        for p in &d.parameters {
            let task = if p.task.is_empty() { "run" } else { &p.task };
            s.push_str(&format!(
                "  {} {} {} = {}\n",
                e(task),
                p.direction.as_str(),
                e(&p.name),
                e(p.value.as_deref().unwrap_or("<unresolved>"))
            ));
        }
    }
    if !d.artifacts.is_empty() {
        s.push_str("artifacts:\n");
        for a in &d.artifacts {
            s.push_str(&format!(
                "  #{} {}.{} -> {}\n",
                a.id,
                e(a.record.task.as_deref().unwrap_or("-")),
                e(&a.record.name),
                e(a.record.uri.as_deref().unwrap_or("<no location>"))
            ));
        }
    }
    if !d.consumptions.is_empty() {
        s.push_str("consumed:\n");
        for c in &d.consumptions {
            s.push_str(&format!(
                "  {}.{} <- #{}\n",
                e(&c.task),
                e(&c.input_name),
                c.artifact
            ));
        }
    }
    s
}

/// The text of `lineage`.
pub fn render_lineage(l: &Lineage) -> String {
    // Every recorded value may hold terminal control characters (a parameter a user passed).
    let e = |text: &str| escape_control(text).into_owned();
    let a = &l.artifact;
    let mut s = format!(
        "artifact #{} {} -> {}\n",
        a.id,
        e(&a.record.name),
        e(a.record.uri.as_deref().unwrap_or("<no location>"))
    );
    if let Some(kind) = &a.record.kind {
        s.push_str(&format!("kind: {}\n", e(kind)));
    }
    match (&a.record.run_id, &a.record.task) {
        (Some(run), Some(task)) => {
            s.push_str(&format!("produced by: {}/{}", e(run), e(task)));
            if let Some(p) = &l.producer {
                s.push_str(&format!(" ({})", p.phase));
            }
            s.push('\n');
        }
        _ => s.push_str("produced by: (external: not produced by a recorded run)\n"),
    }
    if !l.input_parameters.is_empty() || !l.input_artifacts.is_empty() {
        s.push_str("from inputs:\n");
        for p in &l.input_parameters {
            s.push_str(&format!(
                "  {} = {}\n",
                e(&p.name),
                e(p.value.as_deref().unwrap_or("<unresolved>"))
            ));
        }
        for (input, art) in &l.input_artifacts {
            s.push_str(&format!(
                "  {} <- #{} {}\n",
                e(input),
                art.id,
                e(&match (&art.record.run_id, &art.record.task) {
                    (Some(r), Some(t)) => format!("{r}/{t}/{}", art.record.name),
                    _ => art.record.uri.clone().unwrap_or_default(),
                })
            ));
        }
    }
    if l.consumers.is_empty() {
        s.push_str("used by: nothing recorded\n");
    } else {
        s.push_str("used by:\n");
        for c in &l.consumers {
            s.push_str(&format!(
                "  {}/{} (input {})\n",
                e(&c.run_id),
                e(&c.task),
                e(&c.input_name)
            ));
            for p in &c.produced {
                s.push_str(&format!("    -> #{} {}\n", p.id, e(&p.record.name)));
            }
        }
    }
    s
}

#[cfg(feature = "cluster")]
pub use cluster_cli::*;

#[cfg(feature = "cluster")]
mod cluster_cli {
    use super::*;
    use crate::cluster::progress::ProgressReporter;
    use crate::cluster::{
        ArgoClient, ClientError, ConnectOptions, RetryNotice, SubmitOptions, Submitted,
        WatchOutcome, human_duration, validate_run_name,
    };
    use crate::manifest::{Manifest, RunLabels, parse_parameter};
    use crate::status::WorkflowView;
    use crate::store::RunSnapshot;

    /// Which cluster and namespace, and how long to wait for it.
    #[derive(Debug, Clone, Args)]
    pub struct ClusterArgs {
        /// Namespace [default: the context's namespace, else "default"]
        #[arg(long, short = 'n', env = "ARGOT_NAMESPACE")]
        pub namespace: Option<String>,
        /// Kubeconfig context [default: the current context]
        #[arg(long)]
        pub context: Option<String>,
        /// Give up with exit 7 when the API server has not answered within this long (connect,
        /// each read and write, and one request with its retries); `watch` gives up after the
        /// cluster stayed unreachable this long.
        #[arg(
            long,
            env = "ARGOT_REQUEST_TIMEOUT",
            value_parser = positive_duration_arg,
            value_name = "DURATION",
            default_value = "30s"
        )]
        pub request_timeout: Duration,
    }

    impl Default for ClusterArgs {
        fn default() -> Self {
            ClusterArgs {
                namespace: None,
                context: None,
                request_timeout: crate::cluster::DEFAULT_REQUEST_TIMEOUT,
            }
        }
    }

    impl ClusterArgs {
        /// Connects to the cluster.
        ///
        /// # Errors
        /// [`ClientError::Config`].
        pub async fn connect(&self) -> Result<ArgoClient, ClientError> {
            ArgoClient::connect(&ConnectOptions {
                context: self.context.clone(),
                namespace: self.namespace.clone(),
                request_timeout: self.request_timeout,
            })
            .await
        }
    }

    /// `submit` options except the manifest: what a pipeline binary flattens into its own
    /// `submit` (it compiles the manifest and calls [`SubmitArgs::run_manifest`]).
    #[derive(Debug, Clone, Default, Args)]
    pub struct SubmitArgs {
        /// Watch the run until it finishes; exit 0 only if it succeeded.
        #[arg(long, short = 'w')]
        pub watch: bool,
        /// Set a workflow argument (repeatable).
        #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
        pub parameters: Vec<String>,
        /// Server-side dry run: validate and print the object, create nothing.
        #[arg(long)]
        pub dry_run: bool,
        /// Give up after this long, e.g. 30m, 2h: a run not created in time is reported as not
        /// submitted (exit 7); with --watch, a run not finished in time exits 6.
        #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
        pub timeout: Option<Duration>,
        /// Idempotency key: submitting again with the same id returns the first run.
        #[arg(long, value_name = "ID")]
        pub submission_id: Option<String>,
        /// Pipeline name label [default: the manifest's label, else its name]
        #[arg(long)]
        pub pipeline: Option<String>,
        /// Pipeline version label.
        #[arg(long = "pipeline-version", env = "ARGOT_PIPELINE_VERSION")]
        pub version: Option<String>,
        /// Source revision label (e.g. the git commit).
        #[arg(long, env = "ARGOT_SOURCE_REVISION")]
        pub source_revision: Option<String>,
        #[command(flatten)]
        #[allow(missing_docs)]
        pub cluster: ClusterArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        pub store: StoreArgs,
    }

    impl SubmitArgs {
        fn options(&self) -> Result<SubmitOptions, CliError> {
            Ok(SubmitOptions {
                parameters: self
                    .parameters
                    .iter()
                    .map(|p| parse_parameter(p))
                    .collect::<Result<_, _>>()?,
                labels: RunLabels {
                    pipeline: self.pipeline.clone(),
                    version: self.version.clone(),
                    source_revision: self.source_revision.clone(),
                },
                dry_run: self.dry_run,
                submission_id: self.submission_id.clone(),
            })
        }

        /// Submits manifest text (YAML or JSON Workflow) — blocking; starts its own runtime.
        ///
        /// # Errors
        /// See [`CliError`].
        pub fn run_manifest(&self, manifest: &str) -> Result<ExitCode, CliError> {
            let manifest = Manifest::parse(manifest)?;
            block_on(self.submit(Source::Manifest(manifest)))
        }

        /// Creates or updates a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow from
        /// manifest text — blocking: what a pipeline binary's `submit` does for a pipeline
        /// of those kinds, which is created, not run (a Workflow goes to
        /// [`SubmitArgs::run_manifest`]).
        ///
        /// # Errors
        /// See [`CliError`]; `--watch` and a Workflow manifest are usage errors.
        pub fn publish_manifest(&self, manifest: &str) -> Result<ExitCode, CliError> {
            let manifest = Manifest::parse(manifest)?;
            block_on(async {
                let client = self.cluster.connect().await?;
                self.publish_with(&client, &manifest).await
            })
        }

        /// [`SubmitArgs::publish_manifest`] with a connected client (async; what tests call):
        /// `-p` values become the defaults of the object's arguments, the run labels go on
        /// it, and it is applied server-side (created, or updated when it exists).
        ///
        /// # Errors
        /// See [`SubmitArgs::publish_manifest`].
        pub async fn publish_with(
            &self,
            client: &ArgoClient,
            manifest: &Manifest,
        ) -> Result<ExitCode, CliError> {
            let kind = manifest.kind();
            if self.watch {
                return Err(ManifestError::WrongKind {
                    command: "submit --watch",
                    expected: "Workflow",
                    found: kind.to_string(),
                    help: "a WorkflowTemplate or CronWorkflow is created, not run, so there is nothing to watch: drop --watch (run a template with `submit --from-template NAME --watch`)",
                }
                .into());
            }
            let opts = self.options()?;
            let mut m = manifest.clone();
            m.stamp_run_labels(&opts.labels);
            m.set_parameters(&opts.parameters);
            let applied = create_within(self.timeout, client.apply(&m, self.dry_run)).await?;
            let applied = Manifest { value: applied };
            if self.dry_run {
                print(&applied.to_yaml())?;
                return Ok(ExitCode::Ok);
            }
            let name = applied.name().unwrap_or_default().to_owned();
            eprintln!(
                "applied {kind} {name} in namespace {} (created, or updated if it existed)",
                client.namespace()
            );
            print(&format!("{name}\n"))?;
            Ok(ExitCode::Ok)
        }

        /// Submits a parsed manifest with a connected client (async; what tests call).
        ///
        /// # Errors
        /// See [`CliError`].
        pub async fn run_with(
            &self,
            client: &ArgoClient,
            manifest: &Manifest,
        ) -> Result<ExitCode, CliError> {
            self.submit_with(client, Source::Manifest(manifest.clone()))
                .await
        }

        async fn submit(&self, source: Source) -> Result<ExitCode, CliError> {
            let client = self.cluster.connect().await?;
            self.submit_with(&client, source).await
        }

        async fn submit_with(
            &self,
            client: &ArgoClient,
            source: Source,
        ) -> Result<ExitCode, CliError> {
            let opts = self.options()?;
            let started = tokio::time::Instant::now();
            let submitting = async {
                match source {
                    Source::Manifest(m) => client.submit(&m, &opts).await,
                    Source::Template { name, cluster } => {
                        client.submit_from_template(&name, cluster, &opts).await
                    }
                }
            };
            let submitted = create_within(self.timeout, submitting).await?;
            let left = time_left(self.timeout, started);
            self.after_submit(client, submitted, left).await
        }

        async fn after_submit(
            &self,
            client: &ArgoClient,
            submitted: Submitted,
            timeout: Option<Duration>,
        ) -> Result<ExitCode, CliError> {
            if self.dry_run {
                let m = Manifest {
                    value: submitted.object,
                };
                print(&m.to_yaml())?;
                return Ok(ExitCode::Ok);
            }
            let verb = if submitted.created {
                "submitted"
            } else {
                "already submitted (same submission id)"
            };
            eprintln!(
                "{verb} {} in namespace {} (submission {})",
                submitted.name, submitted.namespace, submitted.submission_id
            );
            print(&format!("{}\n", submitted.name))?;
            if !self.watch {
                return Ok(ExitCode::Ok);
            }
            watch_and_report(client, &submitted.name, timeout, &self.store).await
        }
    }

    enum Source {
        Manifest(Manifest),
        Template { name: String, cluster: bool },
    }

    fn block_on<F: std::future::Future<Output = Result<ExitCode, CliError>>>(
        f: F,
    ) -> Result<ExitCode, CliError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(f)
    }

    /// Watches a run with progress on stderr, records it to the store (best effort), prints the
    /// failed tasks if it did not succeed, and returns 0, 5 (failed) or 6 (timed out).
    ///
    /// # Errors
    /// [`CliError::Client`].
    pub async fn watch_and_report(
        client: &ArgoClient,
        name: &str,
        timeout: Option<Duration>,
        store: &StoreArgs,
    ) -> Result<ExitCode, CliError> {
        let recorder = Recorder::open(store, client);
        // Both callbacks write to the same progress view, one at a time.
        // (A mutex, not a RefCell, so the watch future stays Send.)
        let progress = std::sync::Mutex::new(ProgressReporter::stderr());
        let progress = || progress.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = client
            .watch_reporting(
                name,
                timeout,
                |view| {
                    progress().update(view);
                    recorder.record(view);
                },
                |retry| progress().note(&retry_line(retry)),
            )
            .await?;
        Ok(outcome_exit(&outcome, &mut std::io::stderr()))
    }

    /// Creates a run (`creating`: a submit or resubmit) within `--timeout`, if one was given.
    /// `--timeout` is the user's bound on the whole command, creating the run included; a run
    /// not created in time is not submitted (exit 7), as only a watch that has a run to wait
    /// for may end with "timed out" (exit 6).
    async fn create_within<T>(
        limit: Option<Duration>,
        creating: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match limit {
            None => creating.await,
            Some(limit) => tokio::time::timeout(limit, creating)
                .await
                .map_err(|_| ClientError::NotSubmitted { after: limit })?,
        }
    }

    /// What is left of `--timeout` for the watch, after creating the run took its share.
    fn time_left(limit: Option<Duration>, started: tokio::time::Instant) -> Option<Duration> {
        limit.map(|t| t.saturating_sub(started.elapsed()))
    }

    /// The stderr line a watch prints before it retries an unreachable cluster.
    pub fn retry_line(retry: &RetryNotice) -> String {
        format!(
            "cluster unreachable, retrying in {} (attempt {}, giving up in {}): {}",
            human_duration(retry.delay),
            retry.attempt,
            human_duration(retry.give_up_in),
            retry.cause
        )
    }

    /// Writes the end-of-watch report for `outcome` and returns its exit code.
    pub fn outcome_exit(outcome: &WatchOutcome, err: &mut dyn Write) -> ExitCode {
        // Reports go to stderr; a failure to write them must not change the exit code.
        match outcome {
            WatchOutcome::Finished(v) if v.phase == crate::Phase::Succeeded => {
                let _ = writeln!(err, "run {} Succeeded", v.name);
                ExitCode::Ok
            }
            WatchOutcome::Finished(v) => {
                let _ = write!(err, "{}", v.failure_report());
                ExitCode::RunFailed
            }
            WatchOutcome::TimedOut(v) => {
                let _ = writeln!(
                    err,
                    "timed out waiting for the run{}; it is still running (stop it with `{} stop RUN`)",
                    v.as_ref()
                        .map(|v| format!(" {} ({})", v.name, v.phase))
                        .unwrap_or_default(),
                    crate::program_name()
                );
                ExitCode::Timeout
            }
            WatchOutcome::Deleted(v) => {
                let _ = writeln!(
                    err,
                    "the run{} was deleted while watching",
                    v.as_ref()
                        .map(|v| format!(" {}", v.name))
                        .unwrap_or_default()
                );
                ExitCode::RunFailed
            }
        }
    }

    /// Writes statuses to the store; a store failure is reported once and never stops a watch.
    struct Recorder {
        store: Option<SqliteStore>,
        location: String,
        warned: std::sync::atomic::AtomicBool,
    }

    impl Recorder {
        fn open(args: &StoreArgs, client: &ArgoClient) -> Recorder {
            let store = match args.open() {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("{}", render_chain("warning: not recording this run: ", &e));
                    None
                }
            };
            Recorder {
                store,
                location: format!("{}/{}", client.target().context, client.namespace()),
                warned: std::sync::atomic::AtomicBool::new(false),
            }
        }

        fn record(&self, view: &WorkflowView) {
            let Some(store) = &self.store else { return };
            if let Err(e) = store.record_run(&RunSnapshot::from_argo(view, Some(&self.location)))
                && !self.warned.swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                eprintln!(
                    "{}",
                    render_chain(
                        "warning: recording the run in the metadata store failed: ",
                        &e
                    )
                );
            }
        }
    }

    /// `submit FILE` for the standalone binary: a manifest file, or `--from-template NAME`.
    #[derive(Debug, Clone, Args)]
    pub struct SubmitFileArgs {
        /// The Workflow manifest (YAML or JSON); `-` reads stdin.
        #[arg(required_unless_present = "from_template")]
        pub file: Option<PathBuf>,
        /// Run a WorkflowTemplate already in the cluster instead of a file.
        #[arg(long, value_name = "NAME", conflicts_with = "file")]
        pub from_template: Option<String>,
        /// With --from-template: the template is a ClusterWorkflowTemplate.
        #[arg(long, requires = "from_template")]
        pub cluster_template: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        pub submit: SubmitArgs,
    }

    impl SubmitFileArgs {
        /// Reads the file (or uses the template) and submits.
        ///
        /// # Errors
        /// See [`CliError`].
        pub fn run(&self) -> Result<ExitCode, CliError> {
            let source = match (&self.file, &self.from_template) {
                (_, Some(t)) => Source::Template {
                    name: t.clone(),
                    cluster: self.cluster_template,
                },
                (Some(path), None) => Source::Manifest(Manifest::parse(&read(path)?)?),
                (None, None) => unreachable!("clap requires FILE or --from-template"),
            };
            block_on(self.submit.submit(source))
        }
    }

    fn read(path: &std::path::Path) -> Result<String, CliError> {
        let r = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        };
        r.map_err(|source| CliError::Read {
            path: path.to_owned(),
            source,
        })
    }

    /// A command about one existing run.
    #[derive(Debug, Clone, Args)]
    pub struct RunArgs {
        /// The run (Workflow name).
        pub run: String,
        #[command(flatten)]
        #[allow(missing_docs)]
        pub cluster: ClusterArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        pub store: StoreArgs,
    }

    /// The cluster commands on runs and templates.
    #[derive(Debug, Clone, Subcommand)]
    pub enum RunCommand {
        /// Watch a run until it finishes; exit 0 if it succeeded, 5 if not, 6 on timeout.
        ///
        /// Example: argot watch train-x7k2p --timeout 2h
        Watch {
            #[command(flatten)]
            #[allow(missing_docs)]
            run: RunArgs,
            /// Give up after this long (exit 6), e.g. 30m.
            #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
            timeout: Option<Duration>,
        },
        /// Print the logs of one task or of all tasks.
        ///
        /// Example: argot logs train-x7k2p --task fit --follow
        Logs {
            #[command(flatten)]
            #[allow(missing_docs)]
            run: RunArgs,
            /// Only this task (its name as written in the pipeline; a loop's name selects all
            /// iterations).
            #[arg(long)]
            task: Option<String>,
            /// Keep streaming while the pods run.
            #[arg(long, short = 'f')]
            follow: bool,
        },
        /// Print each task's output parameters and artifact locations (and record the run).
        ///
        /// Example: argot outputs train-x7k2p
        Outputs(RunArgs),
        /// Stop a run gracefully: running tasks finish, exit handlers run.
        ///
        /// Example: argot stop train-x7k2p
        Stop(RunArgs),
        /// Terminate a run now: pods are killed, exit handlers do not run.
        ///
        /// Example: argot terminate train-x7k2p
        Terminate(RunArgs),
        /// Submit a new run with the same spec and arguments as an earlier one.
        ///
        /// Example: argot resubmit train-x7k2p --watch
        Resubmit {
            #[command(flatten)]
            #[allow(missing_docs)]
            run: RunArgs,
            /// Watch the new run until it finishes.
            #[arg(long, short = 'w')]
            watch: bool,
            /// Give up after this long: a new run not created in time exits 7; with --watch, a
            /// run not finished in time exits 6.
            #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
            timeout: Option<Duration>,
        },
        /// Delete a run and its pods.
        ///
        /// Example: argot delete train-x7k2p
        Delete(RunArgs),
        /// List the runs (Argo workflows) in the namespace, newest first.
        ///
        /// Example: argot workflows --pipeline train -n ml
        #[command(name = "workflows")]
        List {
            /// Only runs of this pipeline (label argot.dev/pipeline).
            #[arg(long)]
            pipeline: Option<String>,
            #[command(flatten)]
            #[allow(missing_docs)]
            cluster: ClusterArgs,
        },
        /// Create or update a CronWorkflow, WorkflowTemplate or ClusterWorkflowTemplate.
        ///
        /// Example: argot apply nightly-cron.yaml -n ml
        Apply {
            /// The manifest (YAML or JSON); `-` reads stdin.
            file: PathBuf,
            /// Server-side dry run: validate and print, change nothing.
            #[arg(long)]
            dry_run: bool,
            #[command(flatten)]
            #[allow(missing_docs)]
            cluster: ClusterArgs,
        },
    }

    impl RunCommand {
        /// Runs the command (blocking; starts its own runtime).
        ///
        /// # Errors
        /// See [`CliError`].
        pub fn run(&self) -> Result<ExitCode, CliError> {
            // A bad name is a usage error whatever the cluster's state.
            self.check_run_name()?;
            block_on(async {
                let client = self.target().0.connect().await?;
                self.run_with(&client).await
            })
        }

        /// The cluster the command talks to, and the run it names if it names one.
        fn target(&self) -> (&ClusterArgs, Option<&str>) {
            match self {
                RunCommand::Watch { run, .. }
                | RunCommand::Logs { run, .. }
                | RunCommand::Resubmit { run, .. }
                | RunCommand::Outputs(run)
                | RunCommand::Stop(run)
                | RunCommand::Terminate(run)
                | RunCommand::Delete(run) => (&run.cluster, Some(&run.run)),
                RunCommand::List { cluster, .. } | RunCommand::Apply { cluster, .. } => {
                    (cluster, None)
                }
            }
        }

        fn check_run_name(&self) -> Result<(), ClientError> {
            self.target().1.map_or(Ok(()), validate_run_name)
        }

        /// Runs the command with a connected client (async; what tests call).
        ///
        /// # Errors
        /// See [`CliError`].
        pub async fn run_with(&self, client: &ArgoClient) -> Result<ExitCode, CliError> {
            self.check_run_name()?;
            match self {
                RunCommand::Watch { run, timeout } => {
                    watch_and_report(client, &run.run, *timeout, &run.store).await
                }
                RunCommand::Logs { run, task, follow } => {
                    let mut failed = None;
                    client
                        .logs(&run.run, task.as_deref(), *follow, |t, line| {
                            if failed.is_none()
                                && let Err(e) = writeln!(std::io::stdout(), "{t}: {line}")
                                && e.kind() != std::io::ErrorKind::BrokenPipe
                            {
                                failed = Some(e);
                            }
                        })
                        .await?;
                    match failed {
                        Some(e) => Err(e.into()),
                        None => Ok(ExitCode::Ok),
                    }
                }
                RunCommand::Outputs(run) => {
                    let view = client.status(&run.run).await?;
                    Recorder::open(&run.store, client).record(&view);
                    print(&view.outputs_report())?;
                    Ok(ExitCode::Ok)
                }
                RunCommand::Stop(run) => {
                    client.stop(&run.run).await?;
                    eprintln!(
                        "stopping {} (running tasks finish, exit handlers run)",
                        run.run
                    );
                    Ok(ExitCode::Ok)
                }
                RunCommand::Terminate(run) => {
                    client.terminate(&run.run).await?;
                    eprintln!("terminating {}", run.run);
                    Ok(ExitCode::Ok)
                }
                RunCommand::Resubmit {
                    run,
                    watch,
                    timeout,
                } => {
                    let started = tokio::time::Instant::now();
                    let s = create_within(*timeout, client.resubmit(&run.run)).await?;
                    eprintln!("resubmitted {} as {}", run.run, s.name);
                    print(&format!("{}\n", s.name))?;
                    if *watch {
                        let left = time_left(*timeout, started);
                        return watch_and_report(client, &s.name, left, &run.store).await;
                    }
                    Ok(ExitCode::Ok)
                }
                RunCommand::Delete(run) => {
                    client.delete(&run.run).await?;
                    eprintln!("deleted {}", run.run);
                    Ok(ExitCode::Ok)
                }
                RunCommand::List { pipeline, .. } => {
                    let rows: Vec<Vec<String>> = client
                        .list(pipeline.as_deref())
                        .await?
                        .into_iter()
                        .map(|r| {
                            vec![
                                r.name,
                                r.pipeline.unwrap_or_else(|| "-".into()),
                                r.phase.to_string(),
                                r.started_at.unwrap_or_else(|| "-".into()),
                                r.finished_at.unwrap_or_else(|| "-".into()),
                            ]
                        })
                        .collect();
                    let s = table(&["RUN", "PIPELINE", "PHASE", "STARTED", "FINISHED"], &rows);
                    print(&s)?;
                    Ok(ExitCode::Ok)
                }
                RunCommand::Apply { file, dry_run, .. } => {
                    let m = Manifest::parse(&read(file)?)?;
                    let obj = client.apply(&m, *dry_run).await?;
                    if *dry_run {
                        print(&Manifest { value: obj }.to_yaml())?;
                    } else {
                        eprintln!("applied {} {}", m.kind(), m.name().unwrap_or_default());
                    }
                    Ok(ExitCode::Ok)
                }
            }
        }
    }

    /// All commands of the standalone `argot` binary.
    #[derive(Debug, Clone, Subcommand)]
    pub enum Command {
        /// Submit a Workflow manifest (or a WorkflowTemplate by name) to Argo.
        ///
        /// Example: argot submit pipeline.yaml -p rows=1000 --watch --timeout 2h
        Submit(SubmitFileArgs),
        #[command(flatten)]
        #[allow(missing_docs)]
        Run(RunCommand),
        #[command(flatten)]
        #[allow(missing_docs)]
        Store(StoreCommand),
    }

    impl Command {
        /// Runs the command.
        ///
        /// # Errors
        /// See [`CliError`].
        pub fn run(&self) -> Result<ExitCode, CliError> {
            match self {
                Command::Submit(s) => s.run(),
                Command::Run(r) => r.run(),
                Command::Store(s) => s.run(),
            }
        }
    }
}
