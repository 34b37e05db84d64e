//! One task on one machine: its folder, the cache, the child process, its outputs, and what the
//! store learns about it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

use argot_client::Phase;
use argot_client::store::{
    ArtifactRecord, Direction, MetadataStore, ParameterRecord, RunRecord, RunSnapshot, StoreError,
    TaskRecord,
};

use super::cache::{self, Cache, CacheCode, CacheInput, CodeIdentity, Digests, EntryInfo};
use super::container::{self, ContainerRuntime};
use super::folder::{RunFolder, remove_dir_if_present, rfc3339, rfc3339_millis};
use super::lifeline::LIFELINE_ENV;
use super::rewrite::{self, Globals};
use super::{RunError, TaskReport, settings};
use crate::ir::{ComponentSpec, Implementation, IoKind, Task, TaskId};
use crate::protocol::{IoPath, native_args_with};
use crate::validate::ValidPipeline;

/// No secrets, until the scheduler sets the run's.
static NO_SECRETS: BTreeMap<String, super::SecretSource> = BTreeMap::new();
static NO_SEMAPHORES: BTreeMap<String, usize> = BTreeMap::new();

/// No local copies of external artifacts, until the scheduler sets the run's.
static NO_ARTIFACT_FILES: BTreeMap<String, PathBuf> = BTreeMap::new();

/// What every worker shares.
pub(crate) struct Context<'a> {
    pub valid: &'a ValidPipeline,
    pub run_id: &'a str,
    pub folder: &'a RunFolder,
    pub store: &'a dyn MetadataStore,
    /// The run as recorded while it runs (each task's store write carries it).
    pub run_record: RunRecord,
    pub executable: &'a Path,
    pub cache: Option<Cache>,
    pub digests: Digests,
    pub containers: &'a ContainerRuntime,
    /// Argo's global variables for this run (what `{{workflow.…}}` in a raw value becomes).
    pub globals: Globals,
    /// Where secrets' values are on this machine (`RunOptions::secrets`).
    pub secrets: &'a BTreeMap<String, super::SecretSource>,
    /// Local copies of external artifacts (`RunOptions::artifact_files`).
    pub artifact_files: &'a BTreeMap<String, PathBuf>,
    /// Semaphore limits on this machine (`RunOptions::semaphores`).
    pub semaphores: &'a BTreeMap<String, usize>,
    /// The memory running tasks may request at once (`RunOptions::memory`).
    pub memory: Option<u64>,
    /// When the run's whole-run deadline (`#[pipeline(active_deadline = …)]`, Argo
    /// `spec.activeDeadlineSeconds`) passes, with the setting as written.
    pub deadline: Option<(Instant, String)>,
    executable_digest: OnceLock<Result<String, String>>,
    runtime: OnceLock<Result<String, String>>,
}

impl<'a> Context<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        valid: &'a ValidPipeline,
        run_id: &'a str,
        folder: &'a RunFolder,
        store: &'a dyn MetadataStore,
        run_record: RunRecord,
        executable: &'a Path,
        cache: Option<Cache>,
        containers: &'a ContainerRuntime,
        parameters: &BTreeMap<String, String>,
    ) -> Self {
        let globals = Globals::local(
            run_id,
            &valid.names().dag_template,
            run_record.started_at.as_deref().unwrap_or_default(),
            &run_record.labels,
            parameters,
        );
        Context {
            globals,
            secrets: &NO_SECRETS,
            artifact_files: &NO_ARTIFACT_FILES,
            semaphores: &NO_SEMAPHORES,
            memory: None,
            deadline: None,
            valid,
            run_id,
            folder,
            store,
            run_record,
            executable,
            cache,
            digests: Digests::default(),
            containers,
            executable_digest: OnceLock::new(),
            runtime: OnceLock::new(),
        }
    }

    /// The container runtime, found once per run.
    pub(crate) fn runtime(&self) -> &Result<String, String> {
        self.runtime.get_or_init(|| self.containers.resolve())
    }

    fn executable_digest(&self, cache: &Cache) -> &Result<String, String> {
        self.executable_digest.get_or_init(|| {
            cache::executable_digest(self.executable, cache.dir())
                .map_err(|e| format!("cannot hash `{}`: {e}", self.executable.display()))
        })
    }
}

/// A task ready to run, with its inputs resolved.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub id: TaskId,
    /// The wire value of every parameter input, in the component's input order.
    pub params: Vec<(String, String)>,
    /// The path of every artifact input (a producer's output), in the component's input order.
    pub inputs: Vec<(String, PathBuf)>,
    /// The artifact inputs from outside the pipeline, which each attempt fetches.
    pub external: Vec<(String, crate::ir::ExternalSource)>,
    /// The wire value of every run-time value of the task's settings (`argot-setting-N`).
    pub settings: Vec<(String, String)>,
    /// Each collection input: its entries (name in the folder, the producing instance's
    /// output artifact) in item order, which each attempt copies into a folder of its own, as
    /// each pod downloads the key prefix. Their names are also in `params`.
    pub collections: Vec<(String, Vec<(String, PathBuf)>)>,
}

/// What a worker hands back.
#[derive(Debug)]
pub(crate) struct Finished {
    pub id: TaskId,
    pub report: TaskReport,
    pub store_error: Option<StoreError>,
}

/// The `file://` URI of a path of the run.
pub(crate) fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// How many lines and bytes of a failed task's stderr are shown.
const TAIL_LINES: usize = 20;
const TAIL_BYTES: usize = 4000;

/// The last lines of a log file.
pub(crate) fn tail(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    let text = String::from_utf8_lossy(&bytes[start..]);
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(TAIL_LINES);
    let tail = lines[from..].join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}

enum Problem {
    /// The component ran and failed (non-zero exit): Argo's `Failed`, with the exit code as
    /// a container's would be (128 + N for signal N).
    Failed(String, i64),
    /// The runner could not run it properly: Argo's `Error`.
    Error(String),
    /// The component finished but its outputs could not be saved (an output it did not write,
    /// one that could not be copied out of its container or moved into the run folder): Argo's
    /// `Error` for a pod whose `wait` container failed to save them (`inferFailedReason`), and
    /// an artifact write failure in `runs stats` (the record's `outputs_not_saved`).
    OutputsNotSaved(String),
}

struct Success {
    cached: Option<EntryInfo>,
    /// Outputs stored under their key in the local repository.
    stored: Vec<super::repository::Stored>,
}

/// Runs one task to the end and records it; never panics on the task's account.
pub(crate) fn execute(cx: &Context<'_>, job: Job) -> Finished {
    let p = cx.valid.pipeline();
    let task = &p.tasks[job.id.index()];
    let spec = &p.components[&task.component];
    let started_at = rfc3339_millis(SystemTime::now());
    let clock = Instant::now();
    let mut report = TaskReport::new(&task.name, &task.component, Phase::Running);
    let mut store_error = None;

    let mut record = TaskRecord {
        template: Some(task.component.clone()),
        phase: Phase::Running,
        started_at: Some(started_at.clone()),
        ..TaskRecord::new(cx.run_id, &task.name)
    };
    let start = RunSnapshot {
        run: Some(cx.run_record.clone()),
        tasks: vec![record.clone()],
        parameters: job
            .params
            .iter()
            .map(|(n, v)| ParameterRecord::new(cx.run_id, &task.name, Direction::Input, n, v))
            .collect(),
        artifacts: Vec::new(),
        consumptions: job
            .inputs
            .iter()
            .map(|(n, path)| (task.name.clone(), n.clone(), n.clone(), file_uri(path)))
            .chain(job.external.iter().map(|(n, source)| {
                // Lineage names where the data came from; a raw text, the file it becomes.
                let uri = super::external::source_uri(source).unwrap_or_else(|| {
                    file_uri(&cx.folder.task_dir(&task.name).join("inputs").join(n))
                });
                (task.name.clone(), n.clone(), n.clone(), uri)
            }))
            // A collection: each entry is the producing instance's output.
            .chain(job.collections.iter().flat_map(|(n, entries)| {
                entries
                    .iter()
                    .map(|(_, path)| (task.name.clone(), n.clone(), n.clone(), file_uri(path)))
            }))
            .collect(),
    };
    if let Err(e) = cx.store.record_run(&start) {
        store_error = Some(e);
    }

    // Warnings survive a failure: a damaged cache entry is worth knowing about either way.
    let mut warnings = Vec::new();
    let config = &cx.valid.names().template_of(job.id).config;
    let deadline = run_deadline(cx, task);
    let mut retries = 0;
    let outcome = loop {
        let attempt_clock = Instant::now();
        let outcome = match deadline {
            Some((at, written)) if Instant::now() >= *at => Err(Problem::Failed(
                format!(
                    "not started: the run's active deadline of {written} has passed (raise `active_deadline` in #[pipeline(…)] if the run needs longer)"
                ),
                -1,
            )),
            _ => attempt(cx, &job, task, spec, &mut warnings),
        };
        let Err(problem) = &outcome else {
            break outcome;
        };
        let (failed, exit_code, why) = match problem {
            Problem::Failed(m, code) => (true, *code, m),
            Problem::Error(m) | Problem::OutputsNotSaved(m) => (false, -1, m),
        };
        let fail_fast =
            p.settings.fail_fast && !crate::ir::in_exit_handler(&p.regions, task.region);
        // Under fail_fast a failed attempt is a failed child of the task's DAG, which then
        // starts nothing more, no retry either (`checkParallelism`; see `fail_fast`).
        if fail_fast {
            break outcome;
        }
        let last = settings::LastAttempt {
            failed,
            exit_code,
            duration: attempt_clock.elapsed(),
            message: why,
        };
        if super::interrupt::requested().is_some()
            || !settings::retries(config.retry.as_ref(), &last)
        {
            break outcome;
        }
        // No retry past the run's deadline (`processNodeRetries`: "retry exceeded workflow
        // deadline").
        if deadline.is_some_and(|(at, _)| Instant::now() >= *at) {
            break outcome;
        }
        let Some(wait) = settings::wait_before(config, retries + 1, clock.elapsed()) else {
            break outcome;
        };
        retries += 1;
        warnings.push(format!(
            "attempt {retries} {}: {why}; retrying{}",
            if failed { "failed" } else { "errored" },
            if wait.is_zero() {
                String::new()
            } else {
                format!(" in {}s", wait.as_secs())
            }
        ));
        if !sleep_unless_interrupted(wait) {
            break outcome;
        }
    };
    report.warnings = warnings;
    report.duration = Some(clock.elapsed());
    let mut end = RunSnapshot {
        run: Some(cx.run_record.clone()),
        ..RunSnapshot::default()
    };
    match outcome {
        Ok(success) => {
            let dir = cx.folder.task_dir(&task.name);
            report.phase = Phase::Succeeded;
            report.folder = Some(dir.clone());
            report.stored = success
                .stored
                .iter()
                .map(|s| (s.output.clone(), s.key.clone(), s.path.clone()))
                .collect();
            if let Some(info) = success.cached {
                report.cached = true;
                report.message = Some(format!(
                    "cached: outputs of {}/{} reused (key {})",
                    info.run_id,
                    info.task,
                    &info.key[..12]
                ));
            }
            for output in &spec.outputs {
                let path = dir.join("outputs").join(&output.name);
                match &output.kind {
                    IoKind::Parameter { .. } => {
                        let value = read_output_param(&path);
                        end.parameters.push(ParameterRecord::new(
                            cx.run_id,
                            &task.name,
                            Direction::Output,
                            &output.name,
                            &value,
                        ));
                        report.output_params.push((output.name.clone(), value));
                    }
                    IoKind::Artifact { kind } => {
                        end.artifacts.push(ArtifactRecord {
                            kind: Some(kind.clone()),
                            ..ArtifactRecord::produced(
                                cx.run_id,
                                &task.name,
                                &output.name,
                                file_uri(&path),
                            )
                        });
                        report
                            .output_artifacts
                            .push((output.name.clone(), kind.clone(), path));
                    }
                }
            }
        }
        Err(problem) => {
            let dir = cx.folder.failed_dir(&task.name);
            let (phase, message) = match problem {
                Problem::Failed(m, _) => (Phase::Failed, m),
                Problem::Error(m) => (Phase::Error, m),
                Problem::OutputsNotSaved(m) => {
                    record.outputs_not_saved = true;
                    (Phase::Error, m)
                }
            };
            report.phase = phase;
            report.stderr_tail = tail(&dir.join("stderr.log"));
            let last_line = report
                .stderr_tail
                .as_deref()
                .and_then(|t| t.lines().rfind(|l| !l.trim().is_empty()));
            report.message = Some(match last_line {
                Some(line) if matches!(report.phase, Phase::Failed) => {
                    format!("{message}: {}", line.trim().trim_start_matches("error: "))
                }
                _ => message,
            });
            if dir.exists() {
                report.folder = Some(dir);
            }
        }
    }
    report.finished_at = Some(rfc3339(SystemTime::now()));
    record.phase = report.phase.clone();
    record.finished_at = Some(rfc3339_millis(SystemTime::now()));
    record.message = report.message.clone();
    end.tasks.push(record);
    if let Err(e) = cx.store.record_run(&end)
        && store_error.is_none()
    {
        store_error = Some(e);
    }
    Finished {
        id: job.id,
        report,
        store_error,
    }
}

/// Sleeps `wait`, waking early (and returning false) when the run is interrupted.
fn sleep_unless_interrupted(wait: std::time::Duration) -> bool {
    let until = Instant::now() + wait;
    loop {
        if super::interrupt::requested().is_some() {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(std::time::Duration::from_millis(50)));
    }
}

/// Argo's rule: the file's content, less one trailing newline.
pub(crate) fn read_output_param(path: &Path) -> String {
    let text = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text).into_owned();
    match text.strip_suffix('\n') {
        Some(t) => t.to_owned(),
        None => text,
    }
}

fn attempt(
    cx: &Context<'_>,
    job: &Job,
    task: &Task,
    spec: &ComponentSpec,
    warnings: &mut Vec<String>,
) -> Result<Success, Problem> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Problem::Error(format!("cannot {what} `{}`: {e}", path.display()))
    };
    let tmp = cx.folder.tmp_dir(&task.name);
    let outputs = tmp.join("outputs");
    remove_dir_if_present(&tmp).map_err(|e| Problem::Error(e.to_string()))?;
    fs::create_dir_all(&outputs).map_err(|e| io("create", &outputs, e))?;
    // As each pod's init container does: every attempt fetches its external inputs again.
    let fetched;
    let job = if job.external.is_empty() && job.collections.is_empty() {
        job
    } else {
        let mut with = job.clone();
        for (name, entries) in &job.collections {
            let dest = tmp.join("inputs").join(name);
            if entries.is_empty() {
                // As on Argo, where an empty loop left nothing to download: no folder.
                with.inputs.push((name.clone(), dest));
                continue;
            }
            fs::create_dir_all(&dest).map_err(|e| io("create", &dest, e))?;
            for (entry, from) in entries {
                let to = dest.join(entry);
                cache::copy_tree(from, &to).map_err(|e| io("copy", from, e))?;
            }
            if cx.cache.is_some() {
                let digest = cache::digest_path(&dest).map_err(|e| io("read", &dest, e))?;
                cx.digests.remember(dest.clone(), digest);
            }
            with.inputs.push((name.clone(), dest));
        }
        for (name, source) in &job.external {
            let dest = tmp.join("inputs").join(name);
            super::external::fetch(source, cx.artifact_files, &dest).map_err(Problem::Error)?;
            if cx.cache.is_some() {
                // The digest memo is keyed by path, and a retry fetches to the same path.
                let digest = cache::digest_path(&dest).map_err(|e| io("read", &dest, e))?;
                cx.digests.remember(dest.clone(), digest);
            }
            with.inputs.push((name.clone(), dest));
        }
        let position = |n: &str| spec.inputs.iter().position(|i| i.name == n);
        with.inputs.sort_by_key(|(n, _)| position(n));
        fetched = with;
        &fetched
    };

    // `cache: false` on the task: neither reuse nor store, as with Argo's memoization off.
    let caching = cx.valid.names().template_of(job.id).config.cache != Some(false);
    let key = match cx.cache.as_ref().filter(|_| caching) {
        Some(cache) => match key_of(cx, cache, job, spec) {
            Ok(k) => Some((cache, k)),
            Err(why) => {
                warnings.push(format!("not cached: {why}"));
                None
            }
        },
        None => None,
    };
    // What an entry holds: each declared output on its own (so a damaged one is named), and
    // the logs.
    let items: Vec<String> = spec
        .outputs
        .iter()
        .map(|o| format!("outputs/{}", o.name))
        .chain(["stdout.log".to_owned(), "stderr.log".to_owned()])
        .collect();
    let mut hit = key
        .as_ref()
        .and_then(|(c, k)| c.lookup(k).map(|hit| (c, hit)));
    // A memoized task's max age holds here too: Argo ignores an entry older than it
    // (`GetOutputsWithMaxAge`: age from the entry's creation) and stores a fresh one.
    let config = &cx.valid.names().template_of(job.id).config;
    let max_age = config.memoize.as_ref().and_then(|m| m.max_age.as_deref());
    if let (Some(max_age), Some((cache, (entry, info)))) = (max_age, &hit)
        && let Ok(limit) = crate::rules::syntax::go_duration_seconds(max_age)
        && info.older_than(limit, SystemTime::now())
    {
        let discarded = match cache.discard(entry) {
            Ok(()) => String::new(),
            Err(e) => format!(" (it could not be discarded: {e})"),
        };
        warnings.push(format!(
            "cached outputs from {} are older than the max age {max_age} (set_memoize): the task ran again{discarded}",
            info.created_at
        ));
        hit = None;
    }
    let restored = match hit {
        Some((cache, (entry, info))) => match cache.restore(&entry, &info, &items, &tmp) {
            Ok(()) => Some(info),
            Err(damage) => {
                // Never a silent wrong result: a damaged entry is a miss, and the run below
                // stores a fresh one in its place.
                let discarded = match cache.discard(&entry) {
                    Ok(()) => "discarded".to_owned(),
                    Err(e) => format!("could not be discarded ({e})"),
                };
                warnings.push(format!(
                    "cache entry `{}` is damaged ({damage}); it was {discarded} and the task ran again",
                    entry.display()
                ));
                remove_dir_if_present(&tmp).map_err(|e| Problem::Error(e.to_string()))?;
                fs::create_dir_all(&outputs).map_err(|e| io("create", &outputs, e))?;
                None
            }
        },
        None => None,
    };
    let result = match restored {
        Some(info) => Ok(Some(info)),
        None => run_process(cx, job, task, spec, &tmp).map(|()| None),
    };
    let cached = match result {
        Ok(c) => c,
        Err(problem) => {
            let failed = cx.folder.failed_dir(&task.name);
            let _ = remove_dir_if_present(&failed);
            let _ = fs::rename(&tmp, &failed);
            return Err(problem);
        }
    };
    for output in &spec.outputs {
        let path = outputs.join(&output.name);
        if fs::symlink_metadata(&path).is_err() {
            let failed = cx.folder.failed_dir(&task.name);
            let _ = remove_dir_if_present(&failed);
            let _ = fs::rename(&tmp, &failed);
            let own = match &spec.implementation {
                Implementation::Container(c) => c.output_path(&output.name).map(str::to_owned),
                Implementation::Native | Implementation::Resource(_) => None,
            };
            return Err(Problem::OutputsNotSaved(format!(
                "output `{}` was not written (at `{}` in the container)",
                output.name,
                own.unwrap_or_else(|| IoPath::Output(&output.name).in_container())
            )));
        }
    }
    cache::make_read_only(&outputs);
    // Digests of the outputs the cache already knows (verified, or computed when stored).
    let mut known = cached
        .as_ref()
        .map(|info| info.digests.clone())
        .unwrap_or_default();
    if let (Some((cache, key)), None) = (&key, &cached) {
        let now = SystemTime::now();
        let info = EntryInfo {
            key: key.clone(),
            component: spec.name.clone(),
            run_id: cx.run_id.to_owned(),
            task: task.name.clone(),
            created_at: rfc3339(now),
            created_unix_ms: Some(cache::unix_millis(now)),
            digests: Default::default(),
        };
        match cache.store(key, &tmp, &items, &info) {
            Ok(digests) => known = digests,
            Err(e) => warnings.push(format!(
                "outputs not cached: cannot write `{}`: {e}",
                cache.dir().display()
            )),
        }
    }
    // Moving the outputs into the run folder is saving them.
    let dir = cx.folder.task_dir(&task.name);
    remove_dir_if_present(&dir).map_err(|e| Problem::OutputsNotSaved(e.to_string()))?;
    fs::rename(&tmp, &dir).map_err(|e| match io("rename", &tmp, e) {
        Problem::Error(m) => Problem::OutputsNotSaved(m),
        other => other,
    })?;
    for (item, digest) in known {
        if item.starts_with("outputs/") {
            cx.digests.remember(dir.join(item), digest);
        }
    }
    // As the executor uploads it: under the key the task names, in the repository.
    let template_config = &cx.valid.names().template_of(job.id).config;
    let stored = if template_config.outputs.values().any(|o| o.key.is_some()) {
        let filled;
        let config = if job.settings.is_empty() {
            template_config
        } else {
            let all: Vec<(String, String)> =
                job.params.iter().chain(&job.settings).cloned().collect();
            let values = rewrite::argo_inputs(spec, &cx.globals, &all);
            filled = template_config.with_setting_values(&values[job.params.len()..]);
            &filled
        };
        let workdir = cx.folder.dir.parent().unwrap_or(Path::new("."));
        let values = super::repository::KeyValues {
            globals: &cx.globals,
            run_id: cx.run_id,
            task: &task.name,
        };
        super::repository::store_keyed_outputs(
            &super::repository::repository_dir(workdir),
            config,
            spec,
            &dir,
            &values,
        )
        .map_err(Problem::Error)?
    } else {
        Vec::new()
    };
    Ok(Success { cached, stored })
}

fn key_of(
    cx: &Context<'_>,
    cache: &Cache,
    job: &Job,
    spec: &ComponentSpec,
) -> Result<String, String> {
    // A task's own image (`set_container_image`, or an edit's), its run-time values filled
    // in.
    let template = cx.valid.names().template_of(job.id);
    let config = template.effective_config();
    let own_image = config.image.as_ref().map(|_| {
        config
            .with_setting_values(&job.settings)
            .image
            .unwrap_or_default()
    });
    let code = match (&spec.implementation, cache.code(), &spec.code_hash) {
        (Implementation::Container(c), _, _) => {
            CodeIdentity::Image(own_image.as_deref().unwrap_or(&c.image))
        }
        (Implementation::Resource(_), _, _) => {
            return Err(
                "a resource step needs a cluster; `run::check_local` refuses it".to_owned(),
            );
        }
        (Implementation::Native, CacheCode::Component, Some(code_hash)) => {
            CodeIdentity::Component { code_hash }
        }
        // A spec not made by `#[component]` has no code hash: the binary is all there is.
        (Implementation::Native, _, _) => CodeIdentity::Binary {
            sha256: cx.executable_digest(cache).as_ref().map_err(Clone::clone)?,
        },
    };
    let mut digests = Vec::with_capacity(job.inputs.len());
    for (name, path) in &job.inputs {
        let d = cx
            .digests
            .of(path)
            .map_err(|e| format!("cannot read input `{name}` at `{}`: {e}", path.display()))?;
        digests.push((name.as_str(), d));
    }
    // The settings' run-time values too: an environment variable changes what the task does;
    // and what the template's edits made of it (its serialised form, not the closure).
    let edit = template
        .edited
        .as_ref()
        .map(|e| ("argot-template-edit".to_owned(), e.digest()));
    let inputs = job
        .params
        .iter()
        .chain(&job.settings)
        .chain(&edit)
        .map(|(n, v)| (n.as_str(), CacheInput::Parameter(v)))
        .chain(
            digests
                .iter()
                .map(|(n, d)| (*n, CacheInput::Artifact { digest: d })),
        );
    Ok(cache::cache_key(spec, code, inputs))
}

fn run_process(
    cx: &Context<'_>,
    job: &Job,
    task: &Task,
    spec: &ComponentSpec,
    tmp: &Path,
) -> Result<(), Problem> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Problem::Error(format!("cannot {what} `{}`: {e}", path.display()))
    };
    let stdout_path = tmp.join("stdout.log");
    let stderr_path = tmp.join("stderr.log");
    let stdout = fs::File::create(&stdout_path).map_err(|e| io("create", &stdout_path, e))?;
    let stderr = fs::File::create(&stderr_path).map_err(|e| io("create", &stderr_path, e))?;
    // What the process sees: Argo's substitution applied to every value (a no-op on the wire
    // form argot writes; it shows on raw outputs of container components).
    if let Some((name, _)) = job
        .params
        .iter()
        .chain(&job.settings)
        .find(|(_, v)| !crate::value::argo_can_insert(v))
    {
        return Err(Problem::Error(format!(
            "input `{name}` has a control character Argo's substitution cannot insert (Go's `strconv.Quote` writes it as `\\x…`, which is not JSON): on a cluster the workflow fails here; have the component that produces it write its output encoded with `argot::value::encode`, which escapes control characters"
        )));
    }
    let seen = rewrite::argo_inputs(spec, &cx.globals, &job.params);
    let value = |name: &str| {
        seen.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let input_path = |name: &str| {
        job.inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_path())
    };
    let outputs = tmp.join("outputs");
    let template = cx.valid.names().template_of(job.id);
    // The settings as the template's edits left them (`edit_template`): their environment,
    // image and mounts are what the pod has.
    let template_config = template.effective_config();
    let edited_main = template
        .edited
        .as_ref()
        .map(|e| (&e.generated.container, &e.edited.container));
    // The settings' run-time values, pasted in as Argo pastes them into the template.
    let filled;
    let config = if job.settings.is_empty() {
        template_config
    } else {
        // Argo substitutes the values' own `{{…}}` as it does the inputs' (a container
        // component's raw output may hold some), with every input in view.
        let all: Vec<(String, String)> = job.params.iter().chain(&job.settings).cloned().collect();
        let values = rewrite::argo_inputs(spec, &cx.globals, &all);
        filled = template_config.with_setting_values(&values[job.params.len()..]);
        if let Some(why) = settings::refused_pod(&filled) {
            return Err(Problem::Error(why));
        }
        &filled
    };
    // Secret volumes' files: removed when this function returns, the task having ended.
    let mut secret_dirs: Vec<tempfile::TempDir> = Vec::new();
    // A container whose image writes outputs at its own paths is kept after it exits, so they
    // can be copied out of it (`collect_own_paths`), then removed.
    let mut kept: Option<(String, String, &crate::ir::ContainerImpl)> = None;
    let (mut command, lifeline) = match &spec.implementation {
        Implementation::Resource(_) => {
            return Err(Problem::Error(
                "it is a Kubernetes resource step, which needs a cluster (`run` refuses it before starting)".to_owned(),
            ));
        }
        Implementation::Native => {
            // Each value in its own file, as Argo's `raw` artifacts place them.
            let params_dir = tmp.join("params");
            if !seen.is_empty() {
                fs::create_dir_all(&params_dir).map_err(|e| io("create", &params_dir, e))?;
            }
            for (name, text) in &seen {
                let path = params_dir.join(name);
                fs::write(&path, text).map_err(|e| io("write", &path, e))?;
            }
            let argv = native_args_with(spec, |io| match io {
                IoPath::ParamFile(name) => params_dir.join(name).display().to_string(),
                // An optional input left unbound: where it would be, absent (as in the pod).
                IoPath::Input(name) => input_path(name)
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| tmp.join("inputs").join(name))
                    .display()
                    .to_string(),
                IoPath::Output(name) | IoPath::OutputParam(name) => {
                    outputs.join(name).display().to_string()
                }
            });
            let mut c = Command::new(cx.executable);
            c.args(argv).env(LIFELINE_ENV, "1");
            // An edit's working directory: a folder of this machine standing in for it.
            if let Some(dir) = edited_main.and_then(|(_, main)| main.working_dir.as_deref()) {
                let local = settings::local_working_dir(dir, config, &cx.folder.dir, tmp);
                fs::create_dir_all(&local).map_err(|e| io("create", &local, e))?;
                c.current_dir(local);
            }
            // The variables `$(VAR)` may name are built only for a task that sets any: this
            // runs for every task.
            if !config.env.is_empty() {
                c.envs(
                    settings::environment(
                        config,
                        &rewrite::kubelet_env(cx.run_id, &task.name),
                        cx.secrets,
                    )
                    .map_err(Problem::Error)?,
                );
            }
            // Volumes: a folder of this machine where the pod would mount them.
            let folders =
                settings::volume_folders(config, &cx.folder.dir, tmp, cx.secrets, &mut secret_dirs)
                    .map_err(Problem::Error)?;
            for (name, (dir, _)) in &folders {
                c.env(crate::protocol::volume_env(name), dir);
            }
            (c, true)
        }
        Implementation::Container(image) => {
            let program = match cx.runtime() {
                Ok(p) => p.clone(),
                Err(why) => {
                    return Err(Problem::Error(format!(
                        "its container image `{}` needs docker or podman, and none works here: {why}.\n\
                         help: install Docker (and start its daemon) or Podman, or set {}=PROGRAM; \
                         or run the pipeline on a cluster with `submit`",
                        image.image,
                        container::CONTAINER_RUNTIME_ENV
                    )));
                }
            };
            let name = container::container_name(cx.run_id, &task.name);
            container::remove_leftover(&program, &name);
            if !spec.outputs.is_empty() {
                // The image may run as any user; Argo's emptyDir is writable by all too.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = fs::set_permissions(&outputs, fs::Permissions::from_mode(0o777));
                }
            }
            let inputs: Vec<(String, &Path)> = spec
                .inputs
                .iter()
                .filter(|i| i.kind.is_artifact())
                .filter_map(|i| input_path(&i.name).map(|p| (i.name.clone(), p)))
                .collect();
            let env = rewrite::kubelet_env(cx.run_id, &task.name);
            // Values reach the runtime through its own environment (`--env NAME`), never
            // through its argv.
            let own_env =
                settings::environment(config, &env, cx.secrets).map_err(Problem::Error)?;
            let names: Vec<&str> = own_env.iter().map(|(n, _)| n.as_str()).collect();
            let keep = !image.output_paths.is_empty();
            if keep {
                kept = Some((program.clone(), name.clone(), image));
            }
            // `set_container_image` replaces the component's image.
            let own_image;
            let image = match &config.image {
                Some(i) => {
                    own_image = crate::ir::ContainerImpl {
                        image: i.clone(),
                        ..image.clone()
                    };
                    &own_image
                }
                None => image,
            };
            // Volumes: the folders a native component would get, bound at the mount paths.
            let folders =
                settings::volume_folders(config, &cx.folder.dir, tmp, cx.secrets, &mut secret_dirs)
                    .map_err(Problem::Error)?;
            let mounts = settings::container_mounts(config, &folders).map_err(Problem::Error)?;
            let render = |arg: &crate::ir::CmdArg| rewrite::container_arg(arg, &value, &env);
            let mut command: Vec<String> = image.command.iter().map(render).collect();
            let mut args: Vec<String> = image.args.iter().map(render).collect();
            let mut working_dir = None;
            if let Some((generated, main)) = edited_main {
                // The command and arguments an edit left: each one argot wrote is rendered as
                // before; one the edit wrote meets only the kubelet's expansion (`run` refused
                // one holding an Argo variable before starting, A0063).
                let written: Vec<(&String, &crate::ir::CmdArg)> = generated
                    .command
                    .iter()
                    .flatten()
                    .zip(&image.command)
                    .chain(generated.args.iter().flatten().zip(&image.args))
                    .collect();
                let local = |text: &String| match written.iter().find(|(w, _)| *w == text) {
                    Some((_, arg)) => render(arg),
                    None => crate::protocol::argv::expand(text, &|n| env.get(n).cloned()),
                };
                command = main.command.iter().flatten().map(local).collect();
                args = main.args.iter().flatten().map(local).collect();
                working_dir = main.working_dir.clone();
            }
            let argv = container::run_args(
                &name,
                keep,
                &image.image,
                container::Argv {
                    command: &command,
                    args: &args,
                    working_dir: working_dir.as_deref(),
                },
                &inputs,
                (!spec.outputs.is_empty()).then_some(outputs.as_path()),
                &mounts,
                &names,
            );
            let mut c = Command::new(program);
            c.args(argv).envs(own_env.iter().map(|(n, v)| (n, v)));
            (c, false)
        }
    };
    command
        .stdin(if lifeline {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(stdout)
        .stderr(stderr);
    let mut child = command.spawn().map_err(|e| {
        Problem::Error(format!(
            "cannot start `{}`: {e}",
            command.get_program().to_string_lossy()
        ))
    })?;
    // Held until the child exits: if this process dies, the pipe closes and the child stops.
    let lifeline = child.stdin.take();
    // Through `interrupt`, so Ctrl-C and SIGTERM reach the child.
    // The run's deadline stops a running task as Argo's does (the pod's
    // `activeDeadlineSeconds` is what remains of it).
    let limit = match (settings::time_limit(config), run_deadline(cx, task)) {
        (own, Some((at, written))) => {
            let left = at.saturating_duration_since(Instant::now());
            match own {
                Some((d, which)) if d <= left => Some((d, which)),
                _ => Some((left, format!("run's active deadline of {written}"))),
            }
        }
        (own, None) => own,
    };
    let (status, expired) =
        super::interrupt::wait_at_most(&mut child, limit.as_ref().map(|(d, _)| *d))
            .map_err(|e| Problem::Error(format!("cannot wait for the task's process: {e}")))?;
    drop(lifeline);
    if let Some((program, name, image)) = &kept {
        let copied = if status.success() && !expired {
            container::collect_own_paths(program, name, image, &outputs)
        } else {
            Ok(())
        };
        container::remove_leftover(program, name);
        copied.map_err(Problem::OutputsNotSaved)?;
    }
    if expired && let Some((_, which)) = limit {
        return Err(Problem::Failed(
            format!("stopped: it ran past its {which} ({})", describe(status)),
            exit_code(status),
        ));
    }
    if status.success() {
        Ok(())
    } else {
        Err(Problem::Failed(describe(status), exit_code(status)))
    }
}

/// The run's deadline, when it binds `task`: it binds the body, not the exit handler (Argo
/// exempts it: `IsPartOfExitHandler` in `failNodesWithoutCreatedPodsAfterDeadlineOrShutdown`).
fn run_deadline<'c>(cx: &'c Context<'_>, task: &Task) -> Option<&'c (Instant, String)> {
    let regions = &cx.valid.pipeline().regions;
    cx.deadline
        .as_ref()
        .filter(|_| !crate::ir::in_exit_handler(regions, task.region))
}

/// The exit code a container runtime reports for `status`: the process's own, or 128 + N when
/// signal N killed it (137 for the kernel's out-of-memory kill).
fn exit_code(status: ExitStatus) -> i64 {
    if let Some(code) = status.code() {
        return i64::from(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + i64::from(signal);
        }
    }
    -1
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    format!("{status}")
}

/// What an earlier attempt left: the outputs of a task that succeeded, read back from its folder.
pub(crate) fn load_finished(
    folder: &RunFolder,
    task: &Task,
    spec: &ComponentSpec,
) -> Result<TaskReport, RunError> {
    let dir = folder.task_dir(&task.name);
    let mut report = TaskReport::new(&task.name, &task.component, Phase::Succeeded);
    report.resumed = true;
    report.folder = Some(dir.clone());
    report.message = Some("finished in an earlier attempt".to_owned());
    for output in &spec.outputs {
        let path = dir.join("outputs").join(&output.name);
        if fs::symlink_metadata(&path).is_err() {
            return Err(RunError::io("find the output", &path)(
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        match &output.kind {
            IoKind::Parameter { .. } => report
                .output_params
                .push((output.name.clone(), read_output_param(&path))),
            IoKind::Artifact { kind } => {
                report
                    .output_artifacts
                    .push((output.name.clone(), kind.clone(), path))
            }
        }
    }
    Ok(report)
}
