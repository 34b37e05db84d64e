//! The metadata store: runs, tasks, parameters, artifacts and lineage, from the local runner and
//! from Argo alike.
//!
//! Callers use the [`MetadataStore`] trait; [`SqliteStore`] is the embedded default (one file,
//! `.argot/metadata.db` unless `--store`/`ARGOT_STORE` say otherwise — see
//! [`default_store_path`]). Another backend (e.g. PostgreSQL for a team) implements the same
//! trait; callers do not change.
//!
//! # Writing a run (what the local runner does)
//!
//! ```
//! use argot_client::store::*;
//! use argot_client::Phase;
//!
//! let store = SqliteStore::open_in_memory()?;
//! store.begin_run(&RunRecord::new("train-20240101-1", "train", RunSource::Local))?;
//! store.upsert_task(&TaskRecord {
//!     phase: Phase::Succeeded,
//!     ..TaskRecord::new("train-20240101-1", "prepare")
//! })?;
//! store.record_parameter(&ParameterRecord::new(
//!     "train-20240101-1", "prepare", Direction::Input, "rows", "1000"))?;
//! let data = store.record_artifact(&ArtifactRecord::produced(
//!     "train-20240101-1", "prepare", "data", "file:///tmp/run/prepare/data"))?;
//! store.upsert_task(&TaskRecord::new("train-20240101-1", "fit"))?;
//! store.record_consumption(&ConsumptionRecord {
//!     artifact: data,
//!     run_id: "train-20240101-1".into(),
//!     task: "fit".into(),
//!     input_name: "data".into(),
//! })?;
//! store.finish_run("train-20240101-1", &Phase::Succeeded, "2024-01-01T00:10:00Z", None)?;
//!
//! let lineage = store.lineage(&ArtifactSelector::Id(data))?;
//! assert_eq!(lineage.consumers[0].task, "fit");
//! # Ok::<(), StoreError>(())
//! ```
//!
//! Every write is an upsert keyed as documented on each record, so writing the same record
//! twice (a watcher seeing the same status again, a runner resuming) is harmless.
//!
//! # Concurrency
//! Several threads (share one `SqliteStore`; it is `Sync`) and several processes (each opens
//! the file) may write at once: the file is in WAL mode, writers take the write lock up front
//! (`BEGIN IMMEDIATE`) and wait up to [`SqliteStore::BUSY_TIMEOUT`] for each other.

mod sqlite;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use sqlite::SqliteStore;

use crate::phase::Phase;
use crate::status::WorkflowView;

/// Environment variable naming the store file; overrides the default path.
pub const STORE_ENV: &str = "ARGOT_STORE";

/// The store file when neither `--store` nor `$ARGOT_STORE` names one, relative to the current
/// directory.
pub const DEFAULT_STORE_FILE: &str = ".argot/metadata.db";

/// The default store path: `$ARGOT_STORE` if set and not empty, else [`DEFAULT_STORE_FILE`].
pub fn default_store_path() -> PathBuf {
    match std::env::var_os(STORE_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(DEFAULT_STORE_FILE),
    }
}

/// Errors of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store file (or its folder) could not be created or opened.
    #[error(
        "cannot open the metadata store at {path}\nhelp: check the path and its permissions, or choose another with --store PATH or ARGOT_STORE"
    )]
    Open {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file was written by a newer argot whose schema this version does not know.
    #[error(
        "the metadata store has schema version {found}, newer than the {supported} this argot knows\nhelp: upgrade argot, or point --store at another file"
    )]
    NewerSchema {
        /// The schema version in the file.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// A database operation failed (constraint, I/O, lock timeout, corruption).
    #[error("metadata store: {what} failed")]
    Database {
        /// What was being done.
        what: &'static str,
        /// The database error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A write referred to a run that was never begun.
    #[error(
        "run {0:?} is not in the metadata store\nhelp: call begin_run before recording its tasks"
    )]
    UnknownRun(String),
    /// A lineage query named an artifact the store does not have.
    #[error(
        "no artifact {0} in the metadata store\nhelp: `{prog} runs show RUN` lists a run's artifacts with their ids", prog = crate::program_name()
    )]
    ArtifactNotFound(String),
    /// A selector matched several artifacts (e.g. a URI recorded by several runs).
    #[error("{selector} matches {count} artifacts; pick one by id: {ids}")]
    AmbiguousArtifact {
        /// The selector as given.
        selector: String,
        /// How many matched.
        count: usize,
        /// Their ids, comma-separated.
        ids: String,
    },
}

/// Where a run executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunSource {
    /// The local runner on one machine.
    Local,
    /// Argo Workflows on Kubernetes.
    Argo,
}

impl RunSource {
    /// `local` or `argo`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunSource::Local => "local",
            RunSource::Argo => "argo",
        }
    }
}

/// One run. Keyed by `id`; [`MetadataStore::begin_run`] inserts or updates it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    /// Unique run id: the Workflow's name for Argo runs; any unique string the local runner picks.
    pub id: String,
    /// The pipeline's name (Argo: label `argot.dev/pipeline`, else the workflow's generateName
    /// stem or name).
    pub pipeline: String,
    /// Where it ran.
    pub source: RunSource,
    /// Argo: `context/namespace` or `namespace`; local: the working folder. Free text.
    pub location: Option<String>,
    /// Current phase.
    pub phase: Phase,
    /// Start time, RFC 3339 (e.g. `2024-05-01T10:00:00Z`).
    pub started_at: Option<String>,
    /// End time, RFC 3339; `None` while running.
    pub finished_at: Option<String>,
    /// A message on the run as a whole (Argo's `status.message`).
    pub message: Option<String>,
    /// Labels (Argo's `metadata.labels`, or the runner's own), sorted.
    pub labels: BTreeMap<String, String>,
}

impl RunRecord {
    /// A pending run with no times, location, message or labels.
    pub fn new(id: impl Into<String>, pipeline: impl Into<String>, source: RunSource) -> Self {
        RunRecord {
            id: id.into(),
            pipeline: pipeline.into(),
            source,
            location: None,
            phase: Phase::Pending,
            started_at: None,
            finished_at: None,
            message: None,
            labels: BTreeMap::new(),
        }
    }
}

/// One task of a run. Keyed by `(run_id, name)`; [`MetadataStore::upsert_task`] inserts or
/// updates it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskRecord {
    /// The run it belongs to (must have been begun).
    pub run_id: String,
    /// The task's name as the user wrote it, with loop item if any: `train`, `sub.fit`,
    /// `train(2:0.01)`. Unique within the run.
    pub name: String,
    /// Argo's node id; `None` for local runs.
    pub node_id: Option<String>,
    /// The component/template it runs, if known.
    pub template: Option<String>,
    /// Current phase.
    pub phase: Phase,
    /// Start time, RFC 3339.
    pub started_at: Option<String>,
    /// End time, RFC 3339.
    pub finished_at: Option<String>,
    /// Failure reason or other message.
    pub message: Option<String>,
    /// Zero-based index of the newest attempt (0 when the task was never retried).
    pub attempt: u32,
    /// The loop item this task iterates on, as text, if it is a loop iteration.
    pub loop_item: Option<String>,
    /// Its outputs could not be saved: the component finished, but an output it should have
    /// written was missing or could not be stored (`runs stats`' artifact write failures; see
    /// [`crate::outputs_not_saved`] for how an Argo node is judged).
    pub outputs_not_saved: bool,
}

impl TaskRecord {
    /// A pending task with nothing else known.
    pub fn new(run_id: impl Into<String>, name: impl Into<String>) -> Self {
        TaskRecord {
            run_id: run_id.into(),
            name: name.into(),
            node_id: None,
            template: None,
            phase: Phase::Pending,
            started_at: None,
            finished_at: None,
            message: None,
            attempt: 0,
            loop_item: None,
            outputs_not_saved: false,
        }
    }
}

/// Whether a parameter was read or written by its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// An input of the task.
    Input,
    /// An output of the task.
    Output,
}

impl Direction {
    /// `input` or `output`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// A parameter value of a task, or of the run when `task` is empty. Keyed by
/// `(run_id, task, direction, name)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParameterRecord {
    /// The run.
    pub run_id: String,
    /// The task's name; empty for the run's own arguments/outputs.
    pub task: String,
    /// The parameter's name.
    pub name: String,
    /// Input or output.
    pub direction: Direction,
    /// The value as text (JSON for structured values); `None` if unresolved.
    pub value: Option<String>,
}

impl ParameterRecord {
    /// A parameter with a value.
    pub fn new(
        run_id: impl Into<String>,
        task: impl Into<String>,
        direction: Direction,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        ParameterRecord {
            run_id: run_id.into(),
            task: task.into(),
            name: name.into(),
            direction,
            value: Some(value.into()),
        }
    }
}

/// The store's id of an artifact (a row id; stable for the life of the store file).
pub type ArtifactId = i64;

/// An artifact: produced by a task (`run_id`/`task` set), or external (both `None`, e.g. a
/// dataset a run read from a fixed location). Produced artifacts are keyed by
/// `(run_id, task, name)`; external ones by `uri`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactRecord {
    /// The producing run, `None` for external artifacts.
    pub run_id: Option<String>,
    /// The producing task's name, `None` for external artifacts.
    pub task: Option<String>,
    /// The output's name (`model`, `data`, …); for external artifacts, a descriptive name.
    pub name: String,
    /// Where the bytes are: `s3://bucket/key`, `gcs://…`, `file:///…`, ….
    pub uri: Option<String>,
    /// The artifact type if known (`Dataset`, `Model`, …; from the DSL for local runs).
    pub kind: Option<String>,
}

impl ArtifactRecord {
    /// An artifact produced by `task` of `run_id`, stored at `uri`.
    pub fn produced(
        run_id: impl Into<String>,
        task: impl Into<String>,
        name: impl Into<String>,
        uri: impl Into<String>,
    ) -> Self {
        ArtifactRecord {
            run_id: Some(run_id.into()),
            task: Some(task.into()),
            name: name.into(),
            uri: Some(uri.into()),
            kind: None,
        }
    }
}

/// An artifact with its store id, as queries return it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredArtifact {
    /// The store's id (what `argot lineage ID` takes).
    pub id: ArtifactId,
    /// The record.
    #[serde(flatten)]
    pub record: ArtifactRecord,
}

/// A task reading an artifact through one of its inputs: a lineage edge. Keyed by all fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsumptionRecord {
    /// The artifact read (from [`MetadataStore::record_artifact`] or a query).
    pub artifact: ArtifactId,
    /// The consuming run.
    pub run_id: String,
    /// The consuming task's name.
    pub task: String,
    /// The input through which it was read.
    pub input_name: String,
}

/// Which runs [`MetadataStore::list_runs`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs of this pipeline.
    pub pipeline: Option<String>,
    /// Only runs from this source.
    pub source: Option<RunSource>,
    /// At most this many (newest first).
    pub limit: Option<usize>,
}

/// Everything the store knows about one run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunDetails {
    /// The run.
    pub run: RunRecord,
    /// Its tasks, by start time then name.
    pub tasks: Vec<TaskRecord>,
    /// Its parameters, by task, direction, name.
    pub parameters: Vec<ParameterRecord>,
    /// Artifacts its tasks produced, by task then name.
    pub artifacts: Vec<StoredArtifact>,
    /// Artifacts its tasks consumed, by task then input name.
    pub consumptions: Vec<ConsumptionRecord>,
}

/// How a lineage query names an artifact. [`ArtifactSelector::parse`] reads the CLI's forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactSelector {
    /// By store id.
    Id(ArtifactId),
    /// By location; must match exactly one artifact.
    Uri(String),
    /// By producer: run id, task name, output name.
    Output {
        /// The producing run.
        run_id: String,
        /// The producing task.
        task: String,
        /// The output's name.
        name: String,
    },
}

impl ArtifactSelector {
    /// Reads `42` (id), `s3://bucket/key` or any `scheme:…` (URI), or `RUN/TASK/OUTPUT`.
    pub fn parse(text: &str) -> ArtifactSelector {
        if let Ok(id) = text.parse() {
            return ArtifactSelector::Id(id);
        }
        if let (Some((run, rest)), true) = (text.split_once('/'), !text.contains("://"))
            && let Some((task, name)) = rest.rsplit_once('/')
        {
            return ArtifactSelector::Output {
                run_id: run.into(),
                task: task.into(),
                name: name.into(),
            };
        }
        ArtifactSelector::Uri(text.into())
    }
}

impl std::fmt::Display for ArtifactSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArtifactSelector::Id(id) => write!(f, "with id {id}"),
            ArtifactSelector::Uri(u) => write!(f, "at {u}"),
            ArtifactSelector::Output { run_id, task, name } => {
                write!(f, "{run_id}/{task}/{name}")
            }
        }
    }
}

/// One consumer of an artifact, with what that consumer produced in turn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Consumer {
    /// The consuming run.
    pub run_id: String,
    /// The consuming task.
    pub task: String,
    /// The input it read the artifact through.
    pub input_name: String,
    /// Artifacts that task produced (one hop further downstream).
    pub produced: Vec<StoredArtifact>,
}

/// The answer to "where did this artifact come from and where did it go".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lineage {
    /// The artifact asked about.
    pub artifact: StoredArtifact,
    /// The task that produced it (`None` for an external artifact).
    pub producer: Option<TaskRecord>,
    /// The producer's input parameters.
    pub input_parameters: Vec<ParameterRecord>,
    /// Artifacts the producer consumed, with the input names it read them through.
    pub input_artifacts: Vec<(String, StoredArtifact)>,
    /// Tasks that read it, in run, task, input order.
    pub consumers: Vec<Consumer>,
}

/// Everything about one run at one moment, written in one go by [`MetadataStore::record_run`].
///
/// Consumptions name artifacts by URI (the watcher sees locations, not store ids): each is
/// matched to an artifact produced in this snapshot, else to one already stored with that URI,
/// else recorded as a new external artifact.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct RunSnapshot {
    /// The run (required; a default snapshot has an empty id and is rejected by the store).
    pub run: Option<RunRecord>,
    /// Its tasks.
    pub tasks: Vec<TaskRecord>,
    /// Its parameters.
    pub parameters: Vec<ParameterRecord>,
    /// Artifacts produced.
    pub artifacts: Vec<ArtifactRecord>,
    /// `(task, input name, artifact name, uri)` of each artifact read.
    pub consumptions: Vec<(String, String, String, String)>,
}

/// Label that names the pipeline of a submitted run (defined once, in [`crate::manifest`]).
pub use crate::manifest::LABEL_PIPELINE as PIPELINE_LABEL;

impl RunSnapshot {
    /// Builds the snapshot of an Argo run from its decoded status. `location` is where it ran
    /// (`context/namespace`); the pipeline name comes from the `argot.dev/pipeline` label, else
    /// the workflow name without its generated suffix.
    pub fn from_argo(view: &WorkflowView, location: Option<&str>) -> RunSnapshot {
        let run_id = view.name.clone();
        let pipeline = view
            .labels
            .get(PIPELINE_LABEL)
            .cloned()
            .unwrap_or_else(|| pipeline_from_name(&view.name));
        let run = RunRecord {
            id: run_id.clone(),
            pipeline,
            source: RunSource::Argo,
            location: location
                .map(str::to_owned)
                .or_else(|| (!view.namespace.is_empty()).then(|| view.namespace.clone())),
            phase: view.phase.clone(),
            started_at: view.started_at.clone(),
            finished_at: view.finished_at.clone(),
            message: view.message.clone(),
            labels: view.labels.clone(),
        };
        let mut snap = RunSnapshot {
            run: Some(run),
            ..RunSnapshot::default()
        };
        for (p, dir) in view.outputs.0.iter().map(|p| (p, Direction::Output)) {
            snap.parameters.push(ParameterRecord {
                run_id: run_id.clone(),
                task: String::new(),
                name: p.name.clone(),
                direction: dir,
                value: p.value.clone(),
            });
        }
        for t in &view.tasks {
            snap.tasks.push(TaskRecord {
                run_id: run_id.clone(),
                name: t.name.clone(),
                node_id: Some(t.node_id.clone()),
                template: t.template.clone(),
                phase: t.phase.clone(),
                started_at: t.started_at.clone(),
                finished_at: t.finished_at.clone(),
                message: t.message.clone(),
                attempt: t.attempts.saturating_sub(1),
                loop_item: t.loop_item.as_ref().map(|l| l.value.clone()),
                outputs_not_saved: crate::phase::outputs_not_saved(&t.phase, t.message.as_deref()),
            });
            let params = t
                .input_parameters
                .iter()
                .map(|p| (p, Direction::Input))
                .chain(t.output_parameters.iter().map(|p| (p, Direction::Output)));
            for (p, direction) in params {
                snap.parameters.push(ParameterRecord {
                    run_id: run_id.clone(),
                    task: t.name.clone(),
                    name: p.name.clone(),
                    direction,
                    value: p.value.clone(),
                });
            }
            for a in &t.output_artifacts {
                snap.artifacts.push(ArtifactRecord {
                    run_id: Some(run_id.clone()),
                    task: Some(t.name.clone()),
                    name: a.name.clone(),
                    uri: a.uri.clone(),
                    kind: view
                        .artifact_kind(t.template.as_deref(), &a.name)
                        .map(str::to_owned),
                });
            }
            for a in &t.input_artifacts {
                if let Some(uri) = &a.uri {
                    snap.consumptions.push((
                        t.name.clone(),
                        a.name.clone(),
                        a.name.clone(),
                        uri.clone(),
                    ));
                }
            }
        }
        snap
    }
}

/// `train-x7k2p` → `train` (Argo's generateName adds a dash and five characters).
fn pipeline_from_name(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((stem, suffix)) if suffix.len() == 5 && !stem.is_empty() => stem.to_owned(),
        _ => name.to_owned(),
    }
}

/// A metadata backend. All methods take `&self` and implementations are `Send + Sync`, so one
/// store can be shared by the threads of a runner.
///
/// Writes are upserts on the keys documented on each record type. Reads return ordered,
/// deterministic results.
pub trait MetadataStore: Send + Sync {
    /// Inserts the run, or updates every field of an existing run with the same id.
    fn begin_run(&self, run: &RunRecord) -> Result<(), StoreError>;

    /// Sets a run's final phase, end time (RFC 3339) and message.
    ///
    /// # Errors
    /// [`StoreError::UnknownRun`] if the run was never begun.
    fn finish_run(
        &self,
        run_id: &str,
        phase: &Phase,
        finished_at: &str,
        message: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Inserts or updates a task (key: run id + task name).
    ///
    /// # Errors
    /// [`StoreError::UnknownRun`] if the run was never begun.
    fn upsert_task(&self, task: &TaskRecord) -> Result<(), StoreError>;

    /// Inserts or updates a parameter value.
    fn record_parameter(&self, parameter: &ParameterRecord) -> Result<(), StoreError>;

    /// Inserts or updates an artifact and returns its id (the same id for the same key).
    fn record_artifact(&self, artifact: &ArtifactRecord) -> Result<ArtifactId, StoreError>;

    /// Records that a task read an artifact (idempotent).
    fn record_consumption(&self, consumption: &ConsumptionRecord) -> Result<(), StoreError>;

    /// Writes a whole snapshot of a run. The default calls the methods above one by one;
    /// backends with transactions override it to write atomically.
    fn record_run(&self, snapshot: &RunSnapshot) -> Result<(), StoreError> {
        let Some(run) = &snapshot.run else {
            return Err(StoreError::UnknownRun(String::new()));
        };
        self.begin_run(run)?;
        for t in &snapshot.tasks {
            self.upsert_task(t)?;
        }
        for p in &snapshot.parameters {
            self.record_parameter(p)?;
        }
        let mut produced = BTreeMap::new();
        for a in &snapshot.artifacts {
            let id = self.record_artifact(a)?;
            if let Some(uri) = &a.uri {
                produced.entry(uri.clone()).or_insert(id);
            }
        }
        for (task, input, name, uri) in &snapshot.consumptions {
            let artifact = match produced.get(uri) {
                Some(id) => *id,
                None => match self.lineage(&ArtifactSelector::Uri(uri.clone())) {
                    Ok(l) => l.artifact.id,
                    Err(StoreError::ArtifactNotFound(_)) => {
                        self.record_artifact(&ArtifactRecord {
                            run_id: None,
                            task: None,
                            name: name.clone(),
                            uri: Some(uri.clone()),
                            kind: None,
                        })?
                    }
                    Err(e) => return Err(e),
                },
            };
            self.record_consumption(&ConsumptionRecord {
                artifact,
                run_id: run.id.clone(),
                task: task.clone(),
                input_name: input.clone(),
            })?;
        }
        Ok(())
    }

    /// Runs matching the filter, newest first (by start time, then id).
    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError>;

    /// One run with its tasks, parameters, artifacts and consumptions; `None` if unknown.
    fn run_details(&self, run_id: &str) -> Result<Option<RunDetails>, StoreError>;

    /// Where an artifact came from (producer, its inputs) and where it went (consumers and
    /// what they produced).
    ///
    /// # Errors
    /// [`StoreError::ArtifactNotFound`], or [`StoreError::AmbiguousArtifact`] for a URI that
    /// several artifacts share.
    fn lineage(&self, artifact: &ArtifactSelector) -> Result<Lineage, StoreError>;
}
