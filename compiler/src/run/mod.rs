//! The local runner: executes a [`ValidPipeline`] on this machine with the semantics Argo gives
//! it, and records the run in the metadata store.
//!
//! It is the embedded default: a pipeline binary runs its pipeline with `run`, no cluster
//! needed. Only a [`ValidPipeline`] can be run, so nothing unvalidated ever executes.
//!
//! # How tasks run
//! - **Native components** run as child processes of the pipeline binary itself, through the
//!   `component` entrypoint the cluster uses (`<binary> component <name> --param-file … --input
//!   … --output … --output-param …`), with the argv built by the same function as the Argo
//!   template ([`crate::protocol::native_args_with`]): only paths differ. Values travel in
//!   files, as Argo's `raw` artifacts deliver them; no shell anywhere.
//! - **Container components** run with `docker` or `podman` (the first whose `info` succeeds, or
//!   the program named by [`CONTAINER_RUNTIME_ENV`]). Inputs and outputs are bind-mounted at the
//!   paths the Argo template uses (`/tmp/argot/inputs/<name>`, `/tmp/argot/outputs/<name>`).
//!   Without a working runtime the task fails with an error that names it and what to install.
//!
//! # The run folder
//! `<workdir>/<run-id>/` (default workdir `.argot/runs`; run ids are
//! `<pipeline>-<yyyymmdd-hhmmss>-<4 hex>`, UTC) holds `run.json` (the pipeline's IR and the
//! run's parameter values) and one folder per finished task: `<task>/outputs/<name>` (output
//! artifacts and output-parameter files, as in the container's `/tmp/argot/outputs`),
//! `<task>/stdout.log` and `<task>/stderr.log`. A task works in `<task>.tmp/`, renamed to
//! `<task>/` when it succeeds or to `<task>.failed/` (logs kept) when it fails.
//!
//! # Semantics, compared with Argo
//! - **Scheduling**: once every task a task depends on ([`ValidPipeline::dependencies`]) has
//!   finished, its `depends` expression ([`ValidPipeline::depends`]) is evaluated as Argo's
//!   `evaluateDependsLogic` does: true, it may start (at most `parallelism` at once, ready
//!   tasks in pipeline order); false, it is `Omitted`. Resource requests are not counted yet;
//!   [`task_slots`] is where they will be counted against the machine.
//! - **Failures**: as on Argo, a failure does not stop independent tasks (the DAG runs until
//!   every started node is done); the run's phase is the DAG's as `assessDAGPhase` judges it —
//!   failed when a failure reaches a last task (an omitted one inherits its branch's phase),
//!   succeeded when every failure was handled by a dependant that ran and succeeded. An
//!   interrupt or a failed store stops new starts; tasks that never started are `Omitted`,
//!   with a message saying why.
//!   A task whose component exits non-zero is `Failed`; one the runner could not run at all (no
//!   container runtime, an output the container did not write) is `Error`, as Argo marks pod
//!   and artifact problems.
//! - **Parameters** travel as wire-form strings exactly as through Argo: constants as written,
//!   pipeline parameters (`{{workflow.parameters.x}}`) as the run's value (a `-p` value is
//!   checked and encoded first), task outputs as the content of the output-parameter file with
//!   one trailing newline removed (Argo's executor does the same). A native component receives
//!   each value in a file of the task's folder (`<task>.tmp/params/<name>`, passed with
//!   `--param-file`, as Argo's `raw` artifacts do); a container component receives it in its
//!   argv. What Argo's `{{workflow.…}}` substitution and the kubelet's `$(VAR)`/`$$` expansion
//!   would do to a value argot does not control (a container component's output) is done here
//!   too ([`rewrite`]), so a local run shows the same value a cluster run would.
//! - **Loops** are unrolled once their items are known, in stages (the private `unroll`
//!   module): an instance of each body task per item (`train(0)`, `train(1)`, …), receiving
//!   the item as Argo substitutes `{{item}}`, at most the loop's `parallelism` of them running
//!   at once; a task reading the loop's collected outputs waits for the whole loop and gets
//!   the JSON list Argo aggregates.
//! - **Artifacts** are passed by path: a consumer reads the producer's file in the run folder
//!   rather than a private copy, and produced artifacts are made read-only, so a component that
//!   edits its input in place fails loudly instead of corrupting its producer's output (on
//!   Argo it would edit a copy; copy the input first).
//! - **Repository keys** (`set_output_key`): an output with a key is also stored under
//!   `.argot/repository/<key>` (beside the workdir), its variables the run's and packed as
//!   Argo's executor packs it, replacing what an earlier run stored there ([`repository`]).
//! - **Caching** (on unless `--no-cache`): a task whose component spec, code (by default the
//!   component's own code hash and argot's version; with `--cache-code binary` this binary's
//!   bytes; for containers the image) and input values are unchanged reuses the earlier
//!   outputs and logs; the key is [`cache_key`], the one Argo's `memoize` will use. Entries
//!   are copied, never linked, and verified against the digests recorded when they were
//!   stored; a damaged one is a miss that is replaced. Hits are recorded as succeeded tasks
//!   whose message starts with `cached`.
//! - **Resume** (`--resume RUN`): tasks the store has as succeeded whose folder exists are
//!   kept; every other task (half-done after a kill, failed, omitted) is cleaned and run again,
//!   with the run's original parameters. A run folder is locked while a runner uses it; children
//!   of a runner that dies (SIGKILL, the OOM killer) stop by themselves (see [`lifeline`]).
//! - **Interrupts** (Ctrl-C, SIGTERM; [`interrupt`]): no new task starts, running children are
//!   stopped and recorded as `Failed`, unstarted tasks as `Omitted`, the run as `Interrupted`;
//!   the `run` command prints the command that resumes it and exits with 130 or 143.
//! - **Metadata**: the run (source `local`), its tasks, their input and output parameters,
//!   artifacts (`file://` URIs of the run folder) and consumption edges land in the metadata
//!   store, so `runs list`, `runs show` and `lineage` work as for cluster runs.
//!
//! Constructs the DSL does not have yet (conditions, loops, retries, timeouts, exit handlers)
//! must be taught to [`scheduler`] in the same change that teaches the Argo emitter.

mod cache;
mod container;
mod depends;
mod external;
mod fail_fast;
pub(crate) mod folder;
pub mod interrupt;
pub mod lifeline;
mod params;
pub mod prune;
pub(crate) mod report;
pub mod repository;
pub mod rewrite;
pub mod scheduler;
mod settings;
mod task;
mod unroll;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use argot_client::Phase;
use argot_client::store::{MetadataStore, StoreError};

use crate::ir::TaskId;
use crate::validate::ValidPipeline;

pub use cache::{
    ARGOT_VERSION, CACHE_KEY_VERSION, CacheCode, CacheInput, CodeIdentity, cache_key, digest_path,
};
pub use container::{CONTAINER_RUNTIME_ENV, ContainerRuntime};
pub use params::{check_wire, override_to_wire, override_to_wire_checked};

/// How to run a pipeline (the `run` command's flags, resolved).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Pipeline parameter values in wire form (`-p name=value`); the others take their default.
    /// Must be empty when resuming (a resumed run keeps its parameters).
    pub parameters: BTreeMap<String, String>,
    /// At most this many tasks run at once (at least 1).
    pub parallelism: usize,
    /// The folder that holds run folders.
    pub workdir: PathBuf,
    /// The cache folder; `None` turns caching off.
    pub cache_dir: Option<PathBuf>,
    /// What identifies native components' code in cache keys (`--cache-code`).
    pub cache_code: CacheCode,
    /// Continue this run instead of starting a new one.
    pub resume: Option<String>,
    /// The binary that runs native components (`component NAME …`): this process's own.
    pub executable: PathBuf,
    /// How container components are run.
    pub containers: ContainerRuntime,
    /// Where the values of Kubernetes secrets come from on this machine, by `NAME/KEY`
    /// (`--secret NAME/KEY=env:VAR` or `=file:PATH`); a secret without one is refused (A0031).
    pub secrets: BTreeMap<String, SecretSource>,
    /// Local copies of artifacts from outside the pipeline, by address (`s3://bucket/key`,
    /// `gs://bucket/key`, `REPO@REVISION`, a URL): `run --artifact-file URI=PATH`. An S3, GCS
    /// or git artifact without one is refused (A0031); a URL without one is downloaded.
    pub artifact_files: BTreeMap<String, PathBuf>,
    /// How many holders of each semaphore run at once, by `CONFIG_MAP/KEY`
    /// (`--semaphore CONFIG_MAP/KEY=N`); a semaphore not named here allows one, as the
    /// runner cannot read the config map that holds its limit.
    pub semaphores: BTreeMap<String, usize>,
    /// How much memory the tasks running at once may request, in bytes (`run --memory`);
    /// `None`: no bound. [`RunOptions::new`] takes the machine's ([`machine_memory`]).
    pub memory: Option<u64>,
}

/// Parses `run --semaphore CONFIG_MAP/KEY=N` (N ≥ 1).
///
/// # Errors
/// A message saying what form is expected.
pub fn parse_semaphore_flag(text: &str) -> Result<(String, usize), String> {
    let form = "expected CONFIG_MAP/KEY=N with N at least 1, such as `argot-limits/gpu=2`";
    let (reference, limit) = text.split_once('=').ok_or_else(|| form.to_owned())?;
    let (config_map, key) = reference.split_once('/').ok_or_else(|| form.to_owned())?;
    match limit.trim().parse::<usize>() {
        Ok(n) if n >= 1 && !config_map.is_empty() && !key.is_empty() => {
            Ok((reference.to_owned(), n))
        }
        _ => Err(form.to_owned()),
    }
}

/// Where the local runner reads a Kubernetes secret's value (it never reads the cluster, and
/// never records the value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of the `run` process.
    Env(String),
    /// A file's whole content.
    File(PathBuf),
}

impl SecretSource {
    /// Parses `NAME/KEY=env:VAR` or `NAME/KEY=file:PATH` into the `NAME/KEY` and its source.
    ///
    /// # Errors
    /// A message saying what form is expected.
    pub fn parse_flag(text: &str) -> Result<(String, SecretSource), String> {
        let form = "expected NAME/KEY=env:VARIABLE or NAME/KEY=file:PATH, such as `bucket-creds/token=env:BUCKET_TOKEN`";
        let (reference, source) = text.split_once('=').ok_or_else(|| form.to_owned())?;
        let (name, key) = reference.split_once('/').ok_or_else(|| form.to_owned())?;
        if name.is_empty() || key.is_empty() {
            return Err(form.to_owned());
        }
        let source = if let Some(var) = source.strip_prefix("env:") {
            SecretSource::Env(var.to_owned())
        } else if let Some(path) = source.strip_prefix("file:") {
            SecretSource::File(PathBuf::from(path))
        } else {
            return Err(form.to_owned());
        };
        Ok((format!("{name}/{key}"), source))
    }

    /// The value, read now.
    pub(crate) fn read(&self) -> Result<String, String> {
        match self {
            SecretSource::Env(var) => std::env::var(var).map_err(|_| {
                format!(
                    "environment variable `{var}` is not set (or not UTF-8); set it for `run`, or give `--secret …=file:PATH`"
                )
            }),
            SecretSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "cannot read `{}`: {e}; give `--secret …=file:PATH` a readable file",
                    path.display()
                )
            }),
        }
    }
}

impl RunOptions {
    /// Options with defaults: parallelism = the number of cores, workdir `.argot/runs`, cache in
    /// `.argot/cache`, this process's executable, container runtime from the environment.
    ///
    /// # Errors
    /// When the current executable cannot be found.
    pub fn new() -> std::io::Result<RunOptions> {
        let workdir = PathBuf::from(DEFAULT_WORKDIR);
        Ok(RunOptions {
            parameters: BTreeMap::new(),
            parallelism: default_parallelism(),
            cache_dir: Some(default_cache_dir(&workdir)),
            cache_code: CacheCode::default(),
            workdir,
            resume: None,
            executable: std::env::current_exe()?,
            containers: ContainerRuntime::from_env(),
            secrets: BTreeMap::new(),
            artifact_files: BTreeMap::new(),
            semaphores: BTreeMap::new(),
            memory: machine_memory(),
        })
    }
}

/// The tasks `0..deps.len()`, each after every task `deps` says it depends on, otherwise in
/// index (pipeline) order: a pipeline whose tasks only depend on earlier ones keeps its own
/// order. The graph is acyclic (validation refused cycles, A0001).
pub(crate) fn dependency_order(deps: &[Vec<usize>]) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &d in d {
            dependants[d].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &dependants[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    order
}

/// This machine's memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where it is not
/// known: what the tasks of a run may request at once by default, as a node's allocatable
/// memory bounds the pods the Kubernetes scheduler places on it.
pub fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// The memory `task` requests, in bytes: its memory request, else its limit (Kubernetes
/// takes a limit without a request as the request), else none.
pub fn task_memory(valid: &ValidPipeline, task: TaskId) -> Option<u64> {
    // An edit's resources count as the settings' do.
    let effective = valid.names().template_of(task).effective_config();
    let resources = effective.resources.as_ref()?;
    let memory = |m: &Option<
        std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >| {
        m.as_ref()
            .and_then(|m| m.get("memory"))
            .and_then(|q| crate::rules::resources::quantity_value(&q.0))
    };
    memory(&resources.requests)
        .or_else(|| memory(&resources.limits))
        .map(|bytes| bytes.ceil() as u64)
}

/// Parses `run --memory QUANTITY` (a Kubernetes quantity: `16Gi`, `64G`, `512Mi`).
///
/// # Errors
/// A message saying what form is expected.
pub fn parse_memory_flag(text: &str) -> Result<u64, String> {
    crate::rules::resources::quantity_value(text)
        .filter(|b| *b >= 1.0)
        .map(|b| b.ceil() as u64)
        .ok_or_else(|| {
            format!("expected a memory quantity such as `16Gi` or `512Mi`, not `{text}`")
        })
}

/// `bytes` as a Kubernetes quantity a person reads: `23.4Gi`, `512Mi`.
pub(crate) fn memory_text(bytes: u64) -> String {
    let units = [
        ("Ti", 1u64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    for (unit, size) in units {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            let text = format!("{value:.1}");
            return format!("{}{unit}", text.trim_end_matches(".0"));
        }
    }
    bytes.to_string()
}

/// The default folder for run folders.
pub const DEFAULT_WORKDIR: &str = ".argot/runs";

/// The number of cores (1 if unknown).
pub fn default_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The default cache folder for a workdir: `cache` beside it (`.argot/cache` for the default
/// `.argot/runs`), so runs and cache can be deleted separately.
pub fn default_cache_dir(workdir: &Path) -> PathBuf {
    match workdir.parent() {
        Some(parent) => parent.join("cache"),
        None => PathBuf::from("cache"),
    }
}

/// How many of the `parallelism` slots a task takes: the CPUs its settings request (or, with
/// no request, limit), rounded up, and at least one. The scheduler runs a task asking for
/// more slots than there are alone, and says so in its report. Memory and extended resources
/// (GPUs) are not counted: this machine's are not known to the runner.
pub fn task_slots(valid: &ValidPipeline, task: TaskId) -> usize {
    // An edit's resources count as the settings' do.
    let effective = valid.names().template_of(task).effective_config();
    let Some(resources) = &effective.resources else {
        return 1;
    };
    let cpu = |m: &Option<
        std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >| {
        m.as_ref()
            .and_then(|m| m.get("cpu"))
            .and_then(|q| crate::rules::resources::quantity_value(&q.0))
    };
    cpu(&resources.requests)
        .or_else(|| cpu(&resources.limits))
        .map_or(1, |cores| (cores.ceil() as usize).max(1))
}

/// What happened to one task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskReport {
    /// The task's name.
    pub name: String,
    /// The component it runs.
    pub component: String,
    /// `Succeeded`, `Failed` (the component failed), `Error` (it could not be run), `Omitted`
    /// (not run: a dependency failed, or the run stopped first).
    pub phase: Phase,
    /// How long it ran (`None` if it did not run in this attempt).
    pub duration: Option<Duration>,
    /// Whether its outputs came from the cache.
    pub cached: bool,
    /// Whether it had finished in an earlier attempt of this run (`--resume`).
    pub resumed: bool,
    /// Output parameter values, in the component's output order.
    pub output_params: Vec<(String, String)>,
    /// Output artifacts: name, kind and path, in the component's output order.
    pub output_artifacts: Vec<(String, String, PathBuf)>,
    /// Why it failed or was omitted, or where a cache hit came from.
    pub message: Option<String>,
    /// For failed tasks: the last lines of its stderr.
    pub stderr_tail: Option<String>,
    /// Its folder (`<run>/<task>/`, or `<run>/<task>.failed/`).
    pub folder: Option<PathBuf>,
    /// Problems that did not fail the task (e.g. its outputs could not be cached).
    pub warnings: Vec<String>,
    /// Outputs also stored in the local artifact repository under their key
    /// (`set_output_key`): name, key and path, in the component's output order.
    pub stored: Vec<(String, String, PathBuf)>,
    /// When it finished (RFC 3339, seconds), if it ran in this attempt.
    pub finished_at: Option<String>,
}

impl TaskReport {
    fn new(name: &str, component: &str, phase: Phase) -> Self {
        TaskReport {
            name: name.to_owned(),
            component: component.to_owned(),
            phase,
            duration: None,
            cached: false,
            resumed: false,
            output_params: Vec::new(),
            output_artifacts: Vec::new(),
            message: None,
            stderr_tail: None,
            folder: None,
            warnings: Vec::new(),
            stored: Vec::new(),
            finished_at: None,
        }
    }
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The run id.
    pub run_id: String,
    /// The run folder.
    pub folder: PathBuf,
    /// `Succeeded`, `Failed`, or `Interrupted` (Ctrl-C or SIGTERM; see [`interrupt`]).
    pub phase: Phase,
    /// The tasks, in pipeline order.
    pub tasks: Vec<TaskReport>,
    /// Wall time of this attempt.
    pub duration: Duration,
    /// The task that failed first, if any.
    pub failed_task: Option<String>,
    /// Whether the cache was on.
    pub caching: bool,
    /// The signal that stopped the run before it finished (`phase` is then `Interrupted`).
    pub interrupted: Option<interrupt::Signal>,
    /// What the pipeline returns, by output name: a parameter's value (wire form) or an
    /// artifact's path; outputs whose task did not succeed are left out.
    pub outputs: Vec<(String, String)>,
}

/// Something the runner reports while it works, for progress output.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run started (or resumed).
    RunStarted {
        /// The run id.
        run_id: &'a str,
        /// The run folder.
        folder: &'a Path,
        /// Whether this continues an earlier attempt.
        resumed: bool,
        /// How many tasks were already done (resume).
        done: usize,
        /// How many tasks the pipeline has.
        total: usize,
        /// Settings that only place a pod on a cluster, which this run ignores, each naming
        /// the tasks that have it (said once per run).
        ignored: &'a [String],
    },
    /// A task was handed to a worker.
    TaskStarted {
        /// The task's name.
        task: &'a str,
    },
    /// A task finished or will not run.
    TaskFinished(&'a TaskReport),
}

/// Why a run could not be carried out (a run whose task failed is not an error: see
/// [`RunReport::phase`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A `-p` names no parameter of the pipeline.
    #[error("pipeline `{pipeline}` has no parameter `{name}`\nhelp: its parameters are: {known}")]
    UnknownParameter {
        /// The pipeline.
        pipeline: String,
        /// The name given.
        name: String,
        /// The pipeline's parameters.
        known: String,
    },
    /// A `-p` value is not a value of the parameter's type.
    #[error("-p {name}={value}: {reason}\nhelp: pass a `{rust_type}` value, e.g. {example}")]
    BadParameter {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// The parameter's Rust type.
        rust_type: String,
        /// What is wrong.
        reason: String,
        /// An example of a good value.
        example: String,
    },
    /// A parameter without a default was not given.
    #[error(
        "pipeline parameter `{name}` has no default\nhelp: pass it with `-p {name}=VALUE` (a `{rust_type}`)"
    )]
    MissingParameter {
        /// The parameter.
        name: String,
        /// Its Rust type.
        rust_type: String,
    },
    /// Options that do not go together or are out of range.
    #[error("{0}")]
    Usage(String),
    /// `--resume` names a run this workdir or store does not have.
    #[error("cannot resume run `{run_id}`: {reason}\nhelp: {help}")]
    CannotResume {
        /// The run.
        run_id: String,
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },
    /// Another runner is working on this run folder.
    #[error(
        "run `{0}` is being run by another process\nhelp: wait for it to finish, or stop it first"
    )]
    Busy(String),
    /// A task has a setting this machine cannot honour (A0031).
    #[error("{0}")]
    Unsupported(crate::diagnostics::Diagnostics),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file or folder of the run could not be read or written.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl RunError {
    /// Whether this is the user's mistake (exit 2) rather than an internal failure (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            RunError::UnknownParameter { .. }
                | RunError::BadParameter { .. }
                | RunError::MissingParameter { .. }
                | RunError::Usage(_)
                | RunError::CannotResume { .. }
                | RunError::Busy(_)
        )
    }

    pub(crate) fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RunError {
        let path = path.to_owned();
        move |source| RunError::Io { what, path, source }
    }
}

/// A0031 for each task setting this machine cannot honour (volumes, environment variables
/// read from the cluster); [`run`] refuses such a pipeline before it writes anything.
///
/// # Errors
/// The diagnostics, when a task has such a setting.
pub fn check_local(
    valid: &ValidPipeline,
    secrets: &BTreeMap<String, SecretSource>,
) -> Result<(), crate::diagnostics::Diagnostics> {
    settings::check(valid, secrets)
}

/// A0031 for each artifact from outside the pipeline this machine cannot fetch (an S3, GCS or
/// git artifact, or a URL in a program built without the `fetch` feature) and for which
/// `artifact_files` (`run --artifact-file URI=PATH`) names no local copy.
///
/// # Errors
/// The diagnostics, when an input has such a source.
pub fn check_local_artifacts(
    valid: &ValidPipeline,
    artifact_files: &BTreeMap<String, PathBuf>,
) -> Result<(), crate::diagnostics::Diagnostics> {
    external::check(valid, artifact_files)
}

pub use external::parse_artifact_file_flag;

/// Runs (or resumes) `valid` on this machine, recording it in `store`; `events` sees progress.
///
/// Returns the report of a run that finished, successfully or not.
///
/// # Errors
/// Bad parameters or options, a run that cannot be resumed, a store or file-system failure.
pub fn run(
    valid: &ValidPipeline,
    store: &dyn MetadataStore,
    options: &RunOptions,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<RunReport, RunError> {
    check_local(valid, &options.secrets).map_err(RunError::Unsupported)?;
    check_local_artifacts(valid, &options.artifact_files).map_err(RunError::Unsupported)?;
    scheduler::execute(valid, store, options, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_and_written_as_kubernetes_quantities() {
        assert_eq!(parse_memory_flag("16Gi"), Ok(16 << 30));
        assert_eq!(parse_memory_flag("512Mi"), Ok(512 << 20));
        assert_eq!(parse_memory_flag("2G"), Ok(2_000_000_000));
        assert!(parse_memory_flag("lots").is_err());
        assert!(parse_memory_flag("0").is_err());
        assert_eq!(memory_text(3 << 30), "3Gi");
        assert_eq!(memory_text((23 << 30) + (400 << 20)), "23.4Gi");
        assert_eq!(memory_text(512 << 20), "512Mi");
        assert_eq!(memory_text(100), "100");
        // On Linux the machine's memory is known.
        if cfg!(target_os = "linux") {
            assert!(machine_memory().is_some_and(|m| m > 1 << 20));
        }
    }
}
