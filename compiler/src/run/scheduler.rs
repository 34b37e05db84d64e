//! The DAG scheduler: which task runs when, with Argo's DAG semantics.
//!
//! The main thread owns the state; a pool of `parallelism` worker threads runs tasks (the
//! private `task` module) and reports back over a channel. Once every task a task depends on
//! has finished, its `depends` expression is evaluated (the private `depends` module): true, it is
//! ready, and ready tasks start in pipeline order as long as slots are free; false, it is
//! `Omitted`. As on Argo, a failure does not stop independent tasks; an interrupt or a failed
//! metadata store does, and what never started is then recorded as `Omitted`.
//!
//! This is where each control-flow construct the DSL gains (`when`, loops with fan-in, exit
//! handlers, retries, timeouts, `depends` on failure) must be taught to run as on Argo, in the
//! same change that teaches [`crate::emit::argo`] to emit it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, mpsc};
use std::time::{Instant, SystemTime};

use argot_client::Phase;
use argot_client::store::{
    Direction, MetadataStore, ParameterRecord, RunRecord, RunSnapshot, RunSource, StoreError,
    TaskRecord,
};

use super::cache::Cache;
use super::fail_fast::FailFast;
use super::folder::{Manifest, RunFolder, rfc3339};
use super::interrupt::{self, Signal};
use super::task::{self, Context, Finished, Job};
use super::{
    Event, RunError, RunOptions, RunReport, TaskReport, depends, memory_text, params, task_memory,
    task_slots, unroll,
};
use crate::ir::{
    Argument, Depends, FormatPart, InputSpec, IoKind, Operand, RegionId, RegionKind, RunValue,
    TaskId, TaskRef,
};
use crate::validate::ValidPipeline;
use crate::value::{self, DisplayAs};

/// Label on local runs saying which runner recorded them.
pub const RUNNER_LABEL: &str = "argot.dev/runner";

/// Runs or resumes a pipeline; see [`super::run`].
pub(crate) fn execute(
    valid: &ValidPipeline,
    store: &dyn MetadataStore,
    options: &RunOptions,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<RunReport, RunError> {
    if options.parallelism == 0 {
        return Err(RunError::Usage(
            "--parallelism must be at least 1".to_owned(),
        ));
    }
    let clock = Instant::now();
    let p = valid.pipeline();
    let workdir = std::path::absolute(&options.workdir)
        .map_err(RunError::io("find the workdir", &options.workdir))?;

    let (run_id, folder, manifest, resumed) = match &options.resume {
        Some(id) => {
            if !options.parameters.is_empty() {
                return Err(RunError::Usage(
                    "-p cannot be combined with --resume: a resumed run keeps the parameters it started with\nhelp: start a new run to change parameters (unchanged tasks come from the cache)".to_owned(),
                ));
            }
            let (manifest, folder) = RunFolder::open(&workdir, id)?;
            if manifest.ir != *p {
                return Err(RunError::CannotResume {
                    run_id: id.clone(),
                    reason: format!(
                        "pipeline `{}` changed since the run started (its tasks, components, their code or parameters differ)",
                        p.name
                    ),
                    help: "start a new run; tasks whose component and inputs did not change come from the cache".to_owned(),
                });
            }
            (id.clone(), folder, manifest, true)
        }
        None => {
            let parameters = params::resolve(p, &options.parameters)?;
            let (id, folder) = RunFolder::create(&workdir, &valid.names().workflow)?;
            let manifest = Manifest {
                format: 1,
                run_id: id.clone(),
                pipeline: p.name.clone(),
                started_at: rfc3339(SystemTime::now()),
                parameters,
                ir: p.clone(),
            };
            folder.write_manifest(&manifest)?;
            (id, folder, manifest, false)
        }
    };

    // The tasks that succeeded in an earlier attempt (`--resume`), by name.
    let succeeded_before: BTreeSet<String> = if resumed {
        let details = store
            .run_details(&run_id)?
            .ok_or_else(|| RunError::CannotResume {
                run_id: run_id.clone(),
                reason: "the metadata store has no record of it".to_owned(),
                help: "pass the --store (or ARGOT_STORE) the run used".to_owned(),
            })?;
        details
            .tasks
            .into_iter()
            .filter(|r| r.phase == Phase::Succeeded)
            .map(|r| r.name)
            .collect()
    } else {
        BTreeSet::new()
    };
    // A pipeline with loops runs in stages, each with the loops known so far unrolled (see
    // `unroll`); without, the one stage is the pipeline itself.
    let mut stage = unroll::has_loops(valid)
        .then(|| unroll::unroll(valid, &manifest.parameters, &HashMap::new()));
    let mut done: HashMap<String, TaskReport> = HashMap::new();
    let first = stage.as_ref().map_or(valid, |s| &s.valid);
    let reports = stage_reports(first, &done, &succeeded_before, &folder)?;
    let n = first.pipeline().tasks.len();

    let mut labels = BTreeMap::new();
    labels.insert(
        crate::protocol::PIPELINE_LABEL.to_owned(),
        valid.names().workflow.clone(),
    );
    labels.insert(RUNNER_LABEL.to_owned(), "local".to_owned());
    let run_record = RunRecord {
        id: run_id.clone(),
        pipeline: valid.names().workflow.clone(),
        source: RunSource::Local,
        location: Some(folder.dir.display().to_string()),
        phase: Phase::Running,
        started_at: Some(manifest.started_at.clone()),
        finished_at: None,
        message: None,
        labels,
    };
    let opening = RunSnapshot {
        run: Some(run_record.clone()),
        tasks: first
            .pipeline()
            .tasks
            .iter()
            .zip(&reports)
            .filter(|(_, r)| r.is_none())
            .map(|(t, _)| TaskRecord {
                template: Some(t.component.clone()),
                ..TaskRecord::new(&run_id, &t.name)
            })
            .collect(),
        parameters: manifest
            .parameters
            .iter()
            .map(|(k, v)| ParameterRecord::new(&run_id, "", Direction::Input, k, v))
            .collect(),
        ..RunSnapshot::default()
    };
    store.record_run(&opening)?;

    // The whole-run deadline counts from now (a resumed run gets it anew: Argo has no
    // resume, and the earlier attempt's time is not this one's).
    let deadline = p.settings.active_deadline.as_ref().and_then(|written| {
        crate::rules::syntax::parse_seconds(written).ok().map(|s| {
            (
                std::time::Instant::now() + std::time::Duration::from_secs(s),
                written.clone(),
            )
        })
    });
    let mut ignored = super::settings::ignored_here(valid);
    ignored.extend(super::settings::semaphore_notes(valid, &options.semaphores));
    ignored.extend(super::external::notes(valid));
    ignored.extend(published_as(p));
    ignored.extend(run_instead_of_templates(p));
    // The pipeline's own limit (Argo `spec.parallelism`) holds here too.
    let parallelism = match p.settings.parallelism {
        Some(limit) if (limit as usize) < options.parallelism => {
            ignored.push(format!(
                "the pipeline runs at most {limit} task{} at once (#[pipeline(parallelism = {limit})]), fewer than --parallelism {}",
                if limit == 1 { "" } else { "s" },
                options.parallelism
            ));
            limit as usize
        }
        _ => options.parallelism,
    };
    events(Event::RunStarted {
        run_id: &run_id,
        folder: &folder.dir,
        resumed,
        done: reports.iter().filter(|r| r.is_some()).count(),
        total: n,
        ignored: &ignored,
    });

    let mut reports = Some(reports);
    let mut stopped = Vec::new();
    // Whether an earlier stage had a failure a `fail_fast` pipeline stops on.
    let mut tripped = false;
    let outcome = loop {
        let current = stage.as_ref().map_or(valid, |s| &s.valid);
        let reports = match reports.take() {
            Some(r) => r,
            None => stage_reports(current, &done, &succeeded_before, &folder)?,
        };
        let cache = options.cache_dir.as_ref().map(|d| {
            Cache::new(
                std::path::absolute(d).unwrap_or_else(|_| d.clone()),
                options.cache_code,
            )
        });
        let mut cx = Context::new(
            current,
            &run_id,
            &folder,
            store,
            run_record.clone(),
            &options.executable,
            cache,
            &options.containers,
            &manifest.parameters,
        );
        cx.secrets = &options.secrets;
        cx.artifact_files = &options.artifact_files;
        cx.semaphores = &options.semaphores;
        cx.memory = options.memory;
        cx.deadline.clone_from(&deadline);
        let limits = stage.as_ref().map(|s| (&s.limits[..], s.loops));
        let mut outcome = schedule(
            &cx,
            &manifest.parameters,
            parallelism,
            reports,
            limits,
            tripped,
            events,
        );
        tripped |= outcome.tripped;
        stopped.append(&mut outcome.stopped);
        let more = stage.as_ref().is_some_and(|s| s.deferred)
            && outcome.store_error.is_none()
            && outcome.interrupted.is_none()
            && !outcome.cut_short;
        if !more {
            outcome.stopped = std::mem::take(&mut stopped);
            break outcome;
        }
        for r in &outcome.reports {
            done.insert(r.name.clone(), r.clone());
        }
        let next = unroll::unroll(valid, &manifest.parameters, &done);
        if next.valid.pipeline().tasks.len() <= current.pipeline().tasks.len() {
            // Nothing new could be unrolled (cannot happen: what a stage holds back waits
            // only for tasks that have now finished); stop rather than loop, and never call
            // a run with tasks left undecided a success.
            outcome.stopped = std::mem::take(&mut stopped);
            outcome.cut_short = true;
            break outcome;
        }
        stage = Some(next);
    };

    let reports: Vec<TaskReport> = outcome.reports;
    let phase = if outcome.first_failure.is_none() && !outcome.cut_short {
        Phase::Succeeded
    } else if outcome.interrupted.is_some() {
        Phase::Interrupted
    } else {
        Phase::Failed
    };
    let outputs = pipeline_outputs(valid, &reports);
    let mut omitted = RunSnapshot {
        run: Some(run_record),
        // Tasks decided without a worker (omitted, skipped by a branch, or unable to start)
        // are recorded here; a worker records the tasks it ran.
        tasks: reports
            .iter()
            .filter(|r| r.duration.is_none() && !r.resumed)
            .map(|r| TaskRecord {
                template: Some(r.component.clone()),
                phase: r.phase.clone(),
                message: r.message.clone(),
                ..TaskRecord::new(&run_id, &r.name)
            })
            .collect(),
        parameters: outputs
            .iter()
            .map(|(k, v)| ParameterRecord::new(&run_id, "", Direction::Output, k, v))
            .collect(),
        ..RunSnapshot::default()
    };
    if !outcome.stopped.is_empty() {
        // The worker recorded these as plain failures; say the interrupt stopped them,
        // keeping the times it recorded.
        if let Ok(Some(details)) = store.run_details(&run_id) {
            for mut record in details.tasks {
                if let Some(r) = reports
                    .iter()
                    .find(|r| r.name == record.name && outcome.stopped.contains(&r.name))
                {
                    record.message = r.message.clone();
                    omitted.tasks.push(record);
                }
            }
        }
    }
    let message = match (&outcome.first_failure, outcome.interrupted) {
        (Some(name), _) => {
            let why = reports
                .iter()
                .find(|r| &r.name == name)
                .and_then(|r| r.message.clone())
                .unwrap_or_default();
            Some(format!("task `{name}` failed: {why}"))
        }
        (None, Some(signal)) if phase == Phase::Interrupted => {
            Some(format!("interrupted by {}", signal.name()))
        }
        _ => None,
    };
    let recorded = store.record_run(&omitted).and_then(|()| {
        store.finish_run(
            &run_id,
            &phase,
            &rfc3339(SystemTime::now()),
            message.as_deref(),
        )
    });
    if let Some(e) = outcome.store_error {
        return Err(e.into());
    }
    let interrupted = outcome.interrupted.filter(|_| phase == Phase::Interrupted);
    recorded?;
    Ok(RunReport {
        run_id,
        folder: folder.dir.clone(),
        phase,
        tasks: reports,
        duration: clock.elapsed(),
        failed_task: outcome.first_failure,
        caching: options.cache_dir.is_some(),
        interrupted,
        outputs,
    })
}

/// What the pipeline returns (see [`RunReport::outputs`]); `reports` are the last stage's
/// (loops unrolled), found by name: what a pipeline returns is never inside a loop, so its
/// task keeps its name.
fn pipeline_outputs(valid: &ValidPipeline, reports: &[TaskReport]) -> Vec<(String, String)> {
    let p = valid.pipeline();
    p.outputs
        .iter()
        .filter_map(|(returned, argument)| {
            let Argument::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } = argument
            else {
                return None;
            };
            let name = &p.tasks.get(t.index())?.name;
            let r = reports
                .iter()
                .find(|r| &r.name == name)
                .filter(|r| r.phase == Phase::Succeeded)?;
            let value = r
                .output_params
                .iter()
                .find(|(n, _)| n == output)
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    r.output_artifacts
                        .iter()
                        .find(|(n, _, _)| n == output)
                        .map(|(_, _, path)| path.display().to_string())
                })?;
            Some((returned.clone(), value))
        })
        .collect()
}

struct Outcome {
    reports: Vec<TaskReport>,
    /// The task whose failure fails the run (Argo's `assessDAGPhase`, in the `depends` module).
    first_failure: Option<String>,
    /// True when some task was never decided (the run stopped early).
    cut_short: bool,
    store_error: Option<StoreError>,
    /// The signal that stopped the run, if one did.
    interrupted: Option<Signal>,
    /// Tasks that were running when it came and did not succeed.
    stopped: Vec<String>,
    /// True when a `fail_fast` pipeline had a failure (see `fail_fast`).
    tripped: bool,
}

/// Per task, the loops that bound it (loop instance, limit), and how many loop instances
/// there are (`unroll::Stage`).
type LoopLimits<'a> = (&'a [Vec<(usize, usize)>], usize);

/// The reports a stage starts from: the tasks finished in earlier stages, and those that
/// succeeded in an earlier attempt (`--resume`) whose folder is still there; the folders of
/// the others are cleared.
fn stage_reports(
    valid: &ValidPipeline,
    done: &HashMap<String, TaskReport>,
    succeeded_before: &BTreeSet<String>,
    folder: &RunFolder,
) -> Result<Vec<Option<TaskReport>>, RunError> {
    let p = valid.pipeline();
    let mut reports = Vec::with_capacity(p.tasks.len());
    for t in &p.tasks {
        if let Some(r) = done.get(&t.name) {
            reports.push(Some(r.clone()));
            continue;
        }
        // The exit handler runs again: what it learns about the run has changed.
        let again = crate::ir::in_exit_handler(&p.regions, t.region);
        if !again && succeeded_before.contains(&t.name) && folder.task_dir(&t.name).is_dir() {
            let spec = &p.components[&t.component];
            reports.push(Some(task::load_finished(folder, t, spec)?));
        } else {
            folder.clean_task(&t.name)?;
            reports.push(None);
        }
    }
    Ok(reports)
}

/// The scheduling loop. `reports` holds the tasks already done (resume, earlier stages);
/// `limits` bounds how many tasks of each loop run at once (see `unroll::Stage`);
/// `tripped_before` says an earlier stage had a failure a `fail_fast` pipeline stops on.
#[allow(clippy::too_many_arguments)]
fn schedule(
    cx: &Context<'_>,
    run_params: &BTreeMap<String, String>,
    parallelism: usize,
    mut reports: Vec<Option<TaskReport>>,
    limits: Option<LoopLimits<'_>>,
    tripped_before: bool,
    events: &mut dyn FnMut(Event<'_>),
) -> Outcome {
    let valid = cx.valid;
    let p = valid.pipeline();
    let n = p.tasks.len();
    let shape = Shape::of(valid);
    let deps = |i: usize| &shape.deps[i][..];
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for &d in deps(i) {
            dependants[d].push(i);
        }
    }
    // The exit handler's tasks also wait for the body: every other task to finish (or, under
    // fail_fast, the pipeline's DAG to fail: `Gate::end_failed_body`).
    let in_exit = &shape.in_exit;
    let body_left = (0..n)
        .filter(|&i| !in_exit[i] && reports[i].is_none())
        .count();
    let mut waiting: Vec<usize> = (0..n)
        .map(|i| deps(i).iter().filter(|&&d| reports[d].is_none()).count())
        .collect();
    for i in 0..n {
        if in_exit[i] && body_left > 0 {
            waiting[i] += 1;
        }
    }
    let mut ready: BTreeSet<usize> = BTreeSet::new();
    let mut gate = Gate {
        valid,
        shape: &shape,
        waiting,
        dependants,
        body_left,
        run_values: BTreeMap::new(),
        run_params,
        branches: vec![None; p.regions.len()],
        fail_fast: FailFast::new(valid, tripped_before),
        body_over: body_left == 0,
    };
    if body_left == 0 {
        gate.run_values = run_values(valid, &shape, &reports, gate.fail_fast.body_failed());
    }
    // Tasks finished before the loop (resumed ones) have released their dependants already.
    for i in 0..n {
        if reports[i].is_none() && gate.waiting[i] == 0 {
            gate.decide(i, &mut reports, &mut ready, events);
        }
    }
    // An earlier stage's failure has failed the pipeline's DAG already.
    gate.end_failed_body(&|_| false, &mut reports, &mut ready, events);
    let to_run = reports.iter().filter(|r| r.is_none()).count();

    let mut store_error: Option<StoreError> = None;
    let mut stopped: Vec<usize> = Vec::new();
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Finished>();
    std::thread::scope(|s| {
        for _ in 0..parallelism.min(to_run) {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || {
                loop {
                    let job = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = job else { break };
                    let finished = run_guarded(cx, job);
                    if done_tx.send(finished).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        let mut used = 0usize;
        let mut slots_of: BTreeMap<usize, usize> = BTreeMap::new();
        // Tasks running per loop instance, against each loop's parallelism (on Argo, the
        // running pods under the loop's template: `checkParallelism`).
        let mut in_loop: Vec<usize> = vec![0; limits.map_or(0, |(_, n)| n)];
        let bounds = |i: usize| limits.map_or(&[][..], |(l, _)| &l[i][..]);
        let mut oversized: BTreeMap<usize, usize> = BTreeMap::new();
        // Mutexes held by running tasks (Argo `synchronization.mutexes`).
        let mutexes = |i: usize| &valid.names().template_of(TaskId(i as u32)).config.mutexes;
        let mut held: BTreeSet<String> = BTreeSet::new();
        // Holders per semaphore (Argo `synchronization.semaphores`), against the limit
        // `--semaphore` gives (1 without it).
        let semaphores = |i: usize| {
            &valid
                .names()
                .template_of(TaskId(i as u32))
                .config
                .semaphores
        };
        let semaphore_limit =
            |s: &crate::ir::SemaphoreRef| cx.semaphores.get(&s.id()).copied().unwrap_or(1);
        let mut holders: BTreeMap<crate::ir::SemaphoreRef, usize> = BTreeMap::new();
        // Memory the running tasks request, against the run's bound (`--memory`, the
        // machine's by default), as a node's allocatable memory bounds its pods' requests.
        let mut memory_used = 0u64;
        let mut memory_of: BTreeMap<usize, u64> = BTreeMap::new();
        let mut memory_oversized: BTreeMap<usize, u64> = BTreeMap::new();
        loop {
            // Under a fail_fast DAG that has had a failure nothing more starts (no scan of
            // the ready tasks until something has failed).
            gate.omit_stopped(&mut reports, &mut ready, events);
            while store_error.is_none() && interrupt::requested().is_none() {
                let Some(&i) = ready.iter().find(|&&i| {
                    bounds(i).iter().all(|&(l, limit)| in_loop[l] < limit)
                        && mutexes(i).iter().all(|m| !held.contains(m))
                        && semaphores(i)
                            .iter()
                            .all(|s| holders.get(s).copied().unwrap_or(0) < semaphore_limit(s))
                }) else {
                    break;
                };
                // A task wanting more than the machine runs alone.
                let wanted = task_slots(valid, TaskId(i as u32));
                let need = wanted.clamp(1, parallelism);
                if wanted > parallelism {
                    oversized.insert(i, wanted);
                }
                if used + need > parallelism {
                    break;
                }
                // A task requesting more memory than the run has waits until no other task
                // holding memory runs, then runs beside none.
                let (memory_need, memory_wanted) =
                    match (task_memory(valid, TaskId(i as u32)), cx.memory) {
                        (Some(wanted), Some(bound)) => (wanted.min(bound), Some(wanted)),
                        _ => (0, None),
                    };
                if let Some(bound) = cx.memory
                    && memory_need > 0
                    && memory_used + memory_need > bound
                    && memory_used > 0
                {
                    break;
                }
                ready.remove(&i);
                match resolve_job(valid, run_params, &gate.run_values, &reports, i) {
                    Ok(job) => {
                        events(Event::TaskStarted {
                            task: &p.tasks[i].name,
                        });
                        if job_tx.send(job).is_err() {
                            break;
                        }
                        used += need;
                        gate.fail_fast.started(i);
                        slots_of.insert(i, need);
                        if memory_need > 0 {
                            memory_used += memory_need;
                            memory_of.insert(i, memory_need);
                        }
                        if let (Some(wanted), Some(bound)) = (memory_wanted, cx.memory)
                            && wanted > bound
                        {
                            memory_oversized.insert(i, wanted);
                        }
                        held.extend(mutexes(i).iter().cloned());
                        for s in semaphores(i) {
                            *holders.entry(s.clone()).or_default() += 1;
                        }
                        for &(l, _) in bounds(i) {
                            in_loop[l] += 1;
                        }
                    }
                    Err(why) => {
                        let t = &p.tasks[i];
                        let mut r = TaskReport::new(&t.name, &t.component, Phase::Error);
                        r.message = Some(why);
                        events(Event::TaskFinished(&r));
                        reports[i] = Some(r);
                        // An errored node is an unsuccessful child too.
                        gate.fail_fast.finished(i, false, true);
                        gate.release(i, &mut reports, &mut ready, events);
                        gate.omit_stopped(&mut reports, &mut ready, events);
                        let running = |j: usize| slots_of.contains_key(&j);
                        gate.end_failed_body(&running, &mut reports, &mut ready, events);
                    }
                }
            }
            if slots_of.is_empty() {
                break;
            }
            let Ok(mut finished) = done_rx.recv() else {
                break;
            };
            let i = finished.id.index();
            used -= slots_of.remove(&i).unwrap_or(0);
            memory_used -= memory_of.remove(&i).unwrap_or(0);
            if let (Some(wanted), Some(bound)) = (memory_oversized.remove(&i), cx.memory) {
                finished.report.warnings.push(format!(
                    "it requests {} of memory and this run has {} (--memory): no other task requesting memory ran beside it",
                    memory_text(wanted),
                    memory_text(bound)
                ));
            }
            for &(l, _) in bounds(i) {
                in_loop[l] -= 1;
            }
            for m in mutexes(i) {
                held.remove(m);
            }
            for s in semaphores(i) {
                if let Some(n) = holders.get_mut(s) {
                    *n = n.saturating_sub(1);
                }
            }
            if let Some(cpus) = oversized.remove(&i) {
                finished.report.warnings.push(format!(
                    "it requests {cpus} CPUs and this run has {parallelism} slots (--parallelism): it ran alone"
                ));
            }
            if let Some(e) = finished.store_error.take() {
                store_error.get_or_insert(e);
            }
            if let Some(signal) = interrupt::requested()
                && finished.report.phase.is_failure()
            {
                // Argo fails the nodes a stop catches running, saying why (see `interrupt`).
                let why = finished.report.message.take().unwrap_or_default();
                finished.report.message = Some(format!("interrupted by {}: {why}", signal.name()));
                stopped.push(i);
            }
            events(Event::TaskFinished(&finished.report));
            let failed = finished.report.phase.is_failure();
            reports[i] = Some(finished.report);
            if !stopped.contains(&i) {
                gate.fail_fast.finished(i, true, failed);
                gate.release(i, &mut reports, &mut ready, events);
                let running = |j: usize| slots_of.contains_key(&j);
                gate.end_failed_body(&running, &mut reports, &mut ready, events);
            }
        }
        drop(job_tx);
    });

    // What never started (the run stopped early): Omitted, saying why.
    let interrupted = interrupt::requested();
    let cut_short = reports.iter().any(Option::is_none);
    for i in 0..n {
        if reports[i].is_some() {
            continue;
        }
        let t = &p.tasks[i];
        let mut r = TaskReport::new(&t.name, &t.component, Phase::Omitted);
        let dependency = failed_dependency(valid, &reports, i);
        // A task the interrupt stopped did not fail on its own: the interrupt is the reason.
        let stopped_by_interrupt = |dep: &String| stopped.iter().any(|&s| p.tasks[s].name == *dep);
        r.message = Some(match (dependency, interrupted) {
            (Some(dep), _) if !stopped_by_interrupt(&dep) => {
                format!("not run: it depends on `{dep}`, which did not succeed")
            }
            (_, Some(signal)) => format!("not run: the run was interrupted by {}", signal.name()),
            (_, None) => "not run: the run stopped (the metadata store failed)".to_owned(),
        });
        events(Event::TaskFinished(&r));
        reports[i] = Some(r);
    }
    let reports: Vec<TaskReport> = reports.into_iter().flatten().collect();
    let phases: Vec<&Phase> = reports.iter().map(|r| &r.phase).collect();
    // The body's outcome decides the run; when it succeeded, a failed exit handler fails it
    // (`operate` in `workflow/controller/operator.go`).
    let failed = shape
        .failed_branch(&phases, false)
        .or_else(|| shape.failed_branch(&phases, true))
        // A fail_fast DAG that had a failure fails, whatever handled it ("template has failed
        // or errored children and failFast enabled"), and so, up the boundaries, does the
        // pipeline's DAG.
        .or_else(|| {
            gate.fail_fast
                .any()
                .then(|| (0..n).find(|&i| !in_exit[i] && phases[i].is_failure()))
                .flatten()
        });
    Outcome {
        first_failure: failed.map(|i| p.tasks[i].name.clone()),
        cut_short,
        reports,
        store_error,
        interrupted,
        stopped: stopped.iter().map(|&i| p.tasks[i].name.clone()).collect(),
        tripped: gate.fail_fast.any(),
    }
}

/// Which tasks wait for which, and the decision once a task's dependencies have finished.
struct Gate<'v> {
    valid: &'v ValidPipeline,
    shape: &'v Shape,
    /// Per task, how many of its dependencies have not finished (plus one for "the body has
    /// finished" for the exit handler's tasks, until it has).
    waiting: Vec<usize>,
    dependants: Vec<Vec<usize>>,
    /// Tasks of the body that have not finished.
    body_left: usize,
    /// `{{workflow.status}}` and `{{workflow.failures}}`, once the body has finished.
    run_values: BTreeMap<RunValue, String>,
    /// The run's parameter values (wire form), for conditions.
    run_params: &'v BTreeMap<String, String>,
    /// Each conditional branch, once decided.
    branches: Vec<Option<BranchState>>,
    /// Which DAGs of a `fail_fast` pipeline have had a failure.
    fail_fast: FailFast,
    /// Set once the exit handler may start: the body has finished, or its DAG has failed
    /// under fail_fast.
    body_over: bool,
}

impl Gate<'_> {
    /// True when task `i` is under a DAG of a `fail_fast` pipeline that has had a failure:
    /// it does not start (`checkParallelism`: the DAG starts no child once one failed).
    fn stops_fast(&self, i: usize) -> bool {
        self.fail_fast.stops(i)
    }

    /// Finishes every ready task that [`Gate::stops_fast`] holds back.
    fn omit_stopped(
        &mut self,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        if !self.fail_fast.any() {
            return;
        }
        while let Some(&i) = ready.iter().find(|&&i| self.stops_fast(i)) {
            self.omit_fast(i, reports, ready, events);
        }
    }

    /// Finishes task `i` without running it, as `fail_fast` wants.
    fn omit_fast(
        &mut self,
        i: usize,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        let task = &self.valid.pipeline().tasks[i];
        let mut r = TaskReport::new(&task.name, &task.component, Phase::Omitted);
        r.message = Some(
            "not run: a task failed and the pipeline fails fast (fail_fast = true)".to_owned(),
        );
        events(Event::TaskFinished(&r));
        reports[i] = Some(r);
        ready.remove(&i);
        self.release(i, reports, ready, events);
    }

    /// Task `i` finished: each dependant whose dependencies have now all finished is decided.
    fn release(
        &mut self,
        i: usize,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        for k in 0..self.dependants[i].len() {
            let d = self.dependants[i][k];
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 && reports[d].is_none() {
                self.decide(d, reports, ready, events);
            }
        }
        if !self.shape.in_exit[i] {
            self.body_left -= 1;
            if self.body_left == 0 {
                self.open_exit(reports, ready, events);
            }
        }
    }

    /// The body is over: the exit handler learns how it went, and may start.
    fn open_exit(
        &mut self,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        if self.body_over {
            return;
        }
        self.body_over = true;
        let failed = self.fail_fast.body_failed();
        self.run_values = run_values(self.valid, self.shape, reports, failed);
        for d in 0..self.shape.in_exit.len() {
            if self.shape.in_exit[d] && reports[d].is_none() {
                self.waiting[d] -= 1;
                if self.waiting[d] == 0 {
                    self.decide(d, reports, ready, events);
                }
            }
        }
    }

    /// Once a `fail_fast` pipeline's own DAG has been marked failed (it tripped and none of
    /// its own tasks runs), Argo's `operate` (`workflow/controller/operator.go`) finds the
    /// entry node fulfilled and starts the exit handler, while tasks of nested DAGs that were
    /// running still run (their DAGs are no longer advanced: nothing more of the body starts).
    /// So here: what of the body has not started (`running` tells what runs) is finished as
    /// `Omitted`, and the exit handler may start.
    fn end_failed_body(
        &mut self,
        running: &dyn Fn(usize) -> bool,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        if self.body_over || !self.fail_fast.body_failed() {
            return;
        }
        for j in 0..reports.len() {
            if !self.shape.in_exit[j] && reports[j].is_none() && !running(j) {
                self.omit_fast(j, reports, ready, events);
            }
        }
        self.open_exit(reports, ready, events);
    }

    /// Evaluates task `i`'s `depends`: ready to start, or `Omitted` (which finishes it, so
    /// its own dependants are decided in turn).
    fn decide(
        &mut self,
        i: usize,
        reports: &mut [Option<TaskReport>],
        ready: &mut BTreeSet<usize>,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        let valid = self.valid;
        let task = &valid.pipeline().tasks[i];
        if self.stops_fast(i) {
            self.omit_fast(i, reports, ready, events);
            return;
        }
        // The branches around it, outermost first: each decided once, when its first task is.
        for &b in &self.shape.branches_around[task.region.index()] {
            let state = match &self.branches[b.index()] {
                Some(s) => s.clone(),
                None => {
                    let s = self.decide_branch(b, reports);
                    self.branches[b.index()] = Some(s.clone());
                    s
                }
            };
            if let BranchState::Not(phase, why) = state {
                let mut r = TaskReport::new(&task.name, &task.component, phase);
                r.message = Some(why);
                events(Event::TaskFinished(&r));
                reports[i] = Some(r);
                self.release(i, reports, ready, events);
                return;
            }
        }
        // A hook's tasks run only when their task ended with a result the hook is for.
        if let Some((hooked, on)) = self.shape.hook_of[i] {
            let phase = &reports[hooked]
                .as_ref()
                .expect("a hook's tasks wait for its task")
                .phase;
            if !depends::hook_fires(on, phase) {
                let hooked = &valid.pipeline().tasks[hooked].name;
                let mut r = TaskReport::new(&task.name, &task.component, Phase::Skipped);
                r.message = Some(format!(
                    "not run: it is in the `.{}(…)` hook of `{hooked}`, which ended {}",
                    on.method(),
                    phase.as_str()
                ));
                events(Event::TaskFinished(&r));
                reports[i] = Some(r);
                self.release(i, reports, ready, events);
                return;
            }
        }
        let p = valid.pipeline();
        // A task inside a sub-pipeline call is seen from outside it as the call: its phase.
        let mut call_phases: BTreeMap<TaskId, Phase> = BTreeMap::new();
        for &d in valid.dependencies(TaskId(i as u32)) {
            if let Some(c) =
                crate::ir::call_between(&p.regions, task.region, p.tasks[d.index()].region)
            {
                call_phases.insert(d, self.call_phase(c, reports));
            }
        }
        let runs = valid.depends(TaskId(i as u32)).is_none_or(|d| {
            depends::holds(d, &|t: TaskId| match call_phases.get(&t) {
                Some(phase) => phase,
                None => {
                    &reports[t.index()]
                        .as_ref()
                        .expect("a decided task's dependencies have finished")
                        .phase
                }
            })
        });
        if runs {
            ready.insert(i);
            return;
        }
        let t = &valid.pipeline().tasks[i];
        let mut r = TaskReport::new(&t.name, &t.component, Phase::Omitted);
        r.message = Some(omitted_because(valid, reports, i));
        events(Event::TaskFinished(&r));
        reports[i] = Some(r);
        self.release(i, reports, ready, events);
    }

    /// The phase of sub-pipeline call `c`, every task in it having finished: what its DAG
    /// task's is on Argo (`assessDAGPhase` of its DAG): not entered, it is what kept it out;
    /// otherwise `Failed` when a failure reached one of its last tasks, else `Succeeded`.
    fn call_phase(&self, c: RegionId, reports: &[Option<TaskReport>]) -> Phase {
        if let Some(BranchState::Not(phase, _)) = &self.branches[c.index()] {
            return phase.clone();
        }
        let phases: Vec<&Phase> = reports
            .iter()
            .map(|r| r.as_ref().map_or(&Phase::Omitted, |r| &r.phase))
            .collect();
        match depends::failed_branch(&phases, &self.shape.deps, &self.shape.call_tasks[c.index()]) {
            Some(_) => Phase::Failed,
            None => Phase::Succeeded,
        }
    }

    /// Decides branch `b`, every task it reads having finished: as its DAG task on Argo, it
    /// is `Omitted` unless each of them finished well, then `Skipped` unless its condition
    /// holds; a condition that cannot be evaluated is an `Error`.
    fn decide_branch(&self, b: RegionId, reports: &[Option<TaskReport>]) -> BranchState {
        let valid = self.valid;
        let p = valid.pipeline();
        let name = match (
            &valid.names().branches[b.index()],
            &p.regions[b.index()].kind,
        ) {
            (Some(n), _) => n.task.clone(),
            (None, RegionKind::Call { name, .. }) => name.clone(),
            (None, _) => format!("branch #{}", b.0),
        };
        // A task inside a sub-pipeline call is read as the call: its phase.
        let phase =
            |t: TaskId| match crate::ir::call_between(&p.regions, b, p.tasks[t.index()].region) {
                Some(c) => Some(self.call_phase(c, reports)),
                None => reports[t.index()].as_ref().map(|r| r.phase.clone()),
            };
        for &t in valid.region_reads(b) {
            if !matches!(phase(t), Some(Phase::Succeeded | Phase::Skipped)) {
                return BranchState::Not(
                    Phase::Omitted,
                    format!(
                        "not run: {} `{name}` reads `{}`, which did not succeed",
                        if matches!(p.regions[b.index()].kind, RegionKind::Call { .. }) {
                            "its sub-pipeline call"
                        } else {
                            "its branch"
                        },
                        p.tasks[t.index()].name
                    ),
                );
            }
        }
        let RegionKind::Branch { condition } = &p.regions[b.index()].kind else {
            return BranchState::Entered;
        };
        let value = |o: &Operand| -> Result<String, String> {
            match o {
                Operand::Constant(text) => Ok(text.clone()),
                Operand::PipelineParam(n) => {
                    let at = p.regions[b.index()].parent.unwrap_or(RegionId::ROOT);
                    param_value(valid, self.run_params, reports, at, n)
                }
                Operand::TaskOutput {
                    task: TaskRef::Local(t),
                    output,
                } => output_value(reports, *t, output).ok_or_else(|| {
                    format!("`{}` has no output `{output}`", p.tasks[t.index()].name)
                }),
                Operand::TaskOutput { .. } => Err("a task of another pipeline".to_owned()),
                // Unrolling puts each iteration's item in as a constant.
                Operand::LoopItem { .. } => Err("the item of a loop not unrolled".to_owned()),
            }
        };
        let shown = condition.describe(&|t| p.tasks[t.index()].name.clone());
        // A branch is decided in its parent's DAG, where a recursive call's depth is known.
        let depth = crate::ir::call_depth(&p.regions, b);
        match depends::condition_holds(condition, &value, depth) {
            Ok(true) => BranchState::Entered,
            Ok(false) => BranchState::Not(
                Phase::Skipped,
                format!("not run: the condition of its branch `{name}` ({shown}) is false"),
            ),
            Err(why) => BranchState::Not(
                Phase::Error,
                format!(
                    "the condition of its branch `{name}` ({shown}) cannot be evaluated: {why}; the outputs it compares must hold values of the type compared (on Argo the expression fails the same way)"
                ),
            ),
        }
    }
}

/// What the scheduler derives from a pipeline once per run.
struct Shape {
    /// What each task waits for before it is decided: the tasks its `depends` names and, for
    /// a task in a conditional branch, every task outside the branch that the branch reads (on
    /// Argo the branch's DAG task waits for them; the branch is decided once they finished).
    deps: Vec<Vec<usize>>,
    /// For each region, the conditional branches and sub-pipeline calls around it (itself
    /// included), outermost first: each is decided (entered, or not) once, as its DAG task
    /// on Argo.
    branches_around: Vec<Vec<RegionId>>,
    /// Per region, for a sub-pipeline call: its tasks in run order (its DAG's phase is
    /// judged on them); empty for the others.
    call_tasks: Vec<Vec<usize>>,
    /// Whether each task belongs to the exit handler.
    in_exit: Vec<bool>,
    /// For a task in a hook: the task the hook is on, and when it runs.
    hook_of: Vec<Option<(usize, crate::ir::HookEvent)>>,
    /// The tasks in an order where each comes after every task it waits for.
    order: Vec<usize>,
}

impl Shape {
    fn of(valid: &ValidPipeline) -> Shape {
        let p = valid.pipeline();
        let mut inside: Vec<Vec<usize>> = vec![Vec::new(); p.regions.len()];
        for (i, t) in p.tasks.iter().enumerate() {
            for (r, region) in crate::ir::ancestry(&p.regions, t.region) {
                if matches!(region.kind, RegionKind::Call { .. }) {
                    inside[r.index()].push(i);
                }
            }
        }
        let branches_around: Vec<Vec<RegionId>> = (0..p.regions.len())
            .map(|r| {
                let mut out: Vec<RegionId> = crate::ir::ancestry(&p.regions, RegionId(r as u32))
                    .filter(|(_, region)| {
                        matches!(
                            region.kind,
                            RegionKind::Branch { .. } | RegionKind::Call { .. }
                        )
                    })
                    .map(|(id, _)| id)
                    .collect();
                out.reverse();
                out
            })
            .collect();
        let hook_of: Vec<Option<(usize, crate::ir::HookEvent)>> = p
            .tasks
            .iter()
            .map(|t| {
                crate::ir::hook_around(&p.regions, t.region)
                    .map(|(_, on_task, on)| (on_task.index(), on))
            })
            .collect();
        // The tasks of each task's hooks: its dependants wait for them too.
        let mut hook_tasks: Vec<Vec<usize>> = vec![Vec::new(); p.tasks.len()];
        for (i, hook) in hook_of.iter().enumerate() {
            if let Some((hooked, _)) = hook {
                hook_tasks[*hooked].push(i);
            }
        }
        let deps: Vec<Vec<usize>> = p
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // An output a sub-pipeline call returns is read once the whole call has
                // finished, as its DAG task on Argo.
                let mut v: Vec<usize> = Vec::new();
                for d in valid.dependencies(TaskId(i as u32)) {
                    let there = p.tasks[d.index()].region;
                    match crate::ir::call_between(&p.regions, t.region, there) {
                        Some(c) => v.extend(inside[c.index()].iter().copied()),
                        None => v.push(d.index()),
                    }
                }
                for &b in &branches_around[t.region.index()] {
                    for d in valid.region_reads(b) {
                        let there = p.tasks[d.index()].region;
                        match crate::ir::call_between(&p.regions, t.region, there) {
                            Some(c) => v.extend(inside[c.index()].iter().copied()),
                            None => v.push(d.index()),
                        }
                    }
                }
                // A hook's tasks start once its task has finished.
                if let Some((hooked, _)) = hook_of[i] {
                    v.push(hooked);
                }
                // A dependency is done once its hooks are (`evaluateDependsLogic` waits until
                // `CheckAllHooksFullfilled`), except for the hook's own tasks.
                let hooks: Vec<usize> = v
                    .iter()
                    .filter(|&&d| hook_of[i].is_none_or(|(hooked, _)| hooked != d))
                    .flat_map(|&d| hook_tasks[d].iter().copied())
                    .collect();
                v.extend(hooks);
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let order = super::dependency_order(&deps);
        let call_tasks = inside
            .iter()
            .map(|tasks| {
                order
                    .iter()
                    .copied()
                    .filter(|i| tasks.contains(i))
                    .collect()
            })
            .collect();
        Shape {
            hook_of,
            call_tasks,
            in_exit: p
                .tasks
                .iter()
                .map(|t| crate::ir::in_exit_handler(&p.regions, t.region))
                .collect(),
            deps,
            branches_around,
            order,
        }
    }

    /// The task whose failure reaches a last task of the body (`exit: false`) or of the exit
    /// handler (`exit: true`), as [`depends::failed_branch`] judges it.
    fn failed_branch(&self, phases: &[&Phase], exit: bool) -> Option<usize> {
        let part: Vec<usize> = self
            .order
            .iter()
            .copied()
            // A hook's failure fails nothing: Argo judges a DAG by its target tasks only, and
            // a hook's node is none of them (`assessDAGPhase`).
            .filter(|&i| self.in_exit[i] == exit && self.hook_of[i].is_none())
            .collect();
        depends::failed_branch(phases, &self.deps, &part)
    }
}

/// What became of a conditional branch once what it reads had finished.
#[derive(Clone, Debug)]
enum BranchState {
    /// Its condition held: its tasks run.
    Entered,
    /// Its tasks do not run: with this phase, for this reason.
    Not(Phase, String),
}

/// `{{workflow.status}}` and `{{workflow.failures}}` once the body has finished, as
/// `operate` (`workflow/controller/operator.go`) sets them: the status of the body's DAG
/// (`Succeeded`, `Failed` or `Error`), and the failed and errored steps as JSON made by Go's
/// `json.Marshal` and then quoted with `strconv.Quote`. Argo also lists the body's failed DAG
/// node and lists nodes in map order; here only tasks are listed, in pipeline order.
fn run_values(
    valid: &ValidPipeline,
    shape: &Shape,
    reports: &[Option<TaskReport>],
    failed_fast: bool,
) -> BTreeMap<RunValue, String> {
    let phases: Vec<&Phase> = reports
        .iter()
        .map(|r| r.as_ref().map_or(&Phase::Omitted, |r| &r.phase))
        .collect();
    // A DAG that failed fast is marked `Failed` (`checkParallelism`), whatever handled the
    // failure and whether it was a failure or an error.
    let status = match shape.failed_branch(&phases, false) {
        _ if failed_fast => "Failed",
        None => "Succeeded",
        Some(i) if *phases[i] == Phase::Error => "Error",
        Some(_) => "Failed",
    };
    let failures: Vec<serde_json::Value> = (0..reports.len())
        .filter(|&i| !shape.in_exit[i] && matches!(phases[i], Phase::Failed | Phase::Error))
        .filter_map(|i| reports[i].as_ref().map(|r| (i, r)))
        .map(|(i, r)| {
            serde_json::json!({
                "displayName": r.name,
                "message": r.message.clone().unwrap_or_default(),
                "templateName": valid.names().template_of(TaskId(i as u32)).name,
                "phase": r.phase.as_str(),
                "podName": format!("{}-{}", valid.names().workflow, r.name),
                "finishedAt": r.finished_at,
            })
        })
        .collect();
    let json = go_json(&serde_json::Value::Array(failures));
    BTreeMap::from([
        (RunValue::Status, status.to_owned()),
        (RunValue::Failures, crate::value::go_quote(&json)),
    ])
}

/// JSON as Go's `json.Marshal` writes a struct's fields (in order, no map keys to sort):
/// compact, with `<`, `>`, `&`, U+2028 and U+2029 escaped.
fn go_json(value: &serde_json::Value) -> String {
    crate::value::go_json(value, 0, false)
}

/// Why task `i`'s `depends` came out false: the task that did not succeed when the
/// expression is plain, else the expression and the results it read.
fn omitted_because(valid: &ValidPipeline, reports: &[Option<TaskReport>], i: usize) -> String {
    let p = valid.pipeline();
    let id = TaskId(i as u32);
    let plain = match valid.depends(id) {
        Some(Depends::Done(_)) => true,
        Some(Depends::And(terms)) => terms.iter().all(|t| matches!(t, Depends::Done(_))),
        _ => false,
    };
    if plain && let Some(dep) = failed_dependency(valid, reports, i) {
        return format!("not run: it depends on `{dep}`, which did not succeed");
    }
    let expression = valid
        .depends(id)
        .map(|d| crate::emit::depends::render(d, |t| p.tasks[t.index()].name.as_str()))
        .unwrap_or_default();
    let results: Vec<String> = valid
        .dependencies(id)
        .iter()
        .filter_map(|d| {
            let r = reports[d.index()].as_ref()?;
            Some(format!("`{}` {}", r.name, r.phase.as_str()))
        })
        .collect();
    format!(
        "not run: its depends `{expression}` is false ({})",
        results.join(", ")
    )
}

/// Runs a task; a panic in the runner's own code becomes an `Error` task, not a hung run.
fn run_guarded(cx: &Context<'_>, job: Job) -> Finished {
    let id = job.id;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task::execute(cx, job))) {
        Ok(f) => f,
        Err(panic) => {
            let t = &cx.valid.pipeline().tasks[id.index()];
            let what = crate::util::panic_message(&*panic).unwrap_or_else(|| "a panic".to_owned());
            let mut report = TaskReport::new(&t.name, &t.component, Phase::Error);
            report.message = Some(format!("the runner failed on this task: {what}"));
            Finished {
                id,
                report,
                store_error: None,
            }
        }
    }
}

/// A dependency (direct or further up) of task `i` that failed, if any.
fn failed_dependency(
    valid: &ValidPipeline,
    reports: &[Option<TaskReport>],
    i: usize,
) -> Option<String> {
    let mut stack: Vec<usize> = valid
        .dependencies(TaskId(i as u32))
        .iter()
        .map(|d| d.index())
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(d) = stack.pop() {
        if !seen.insert(d) {
            continue;
        }
        if let Some(r) = &reports[d]
            && r.phase.is_failure()
        {
            return Some(r.name.clone());
        }
        stack.extend(
            valid
                .dependencies(TaskId(d as u32))
                .iter()
                .map(|x| x.index()),
        );
    }
    None
}

/// The name of the collection entry saved by loop instance `instance` (`train(0)` →
/// `train-0`, `clean(2,0)` → `clean-2-0`): a plain file name, unique in the run, as a pod's
/// name is on Argo.
fn collection_entry(instance: &str) -> String {
    instance
        .chars()
        .filter(|c| *c != ')')
        .map(|c| if matches!(c, '(' | ',' | '/') { '-' } else { c })
        .collect()
}

/// The values and paths task `i` receives, from the run's parameters and its producers'
/// outputs, as Argo resolves `{{workflow.parameters.…}}` and `{{tasks.….outputs.…}}`.
fn resolve_job(
    valid: &ValidPipeline,
    run_params: &BTreeMap<String, String>,
    run_values: &BTreeMap<RunValue, String>,
    reports: &[Option<TaskReport>],
    i: usize,
) -> Result<Job, String> {
    let p = valid.pipeline();
    let task = &p.tasks[i];
    let spec = &p.components[&task.component];
    let mut job = Job {
        id: TaskId(i as u32),
        params: Vec::new(),
        inputs: Vec::new(),
        external: Vec::new(),
        settings: Vec::new(),
        collections: Vec::new(),
    };
    // The settings' run-time values resolve as parameter inputs do (validation saw to it that
    // each is one), and are set apart at the end.
    let setting_inputs: Vec<InputSpec> = task
        .arguments
        .keys()
        .filter(|k| crate::ir::is_setting_input(k))
        .map(|name| InputSpec {
            name: name.clone(),
            kind: IoKind::Parameter {
                rust_type: "String".to_owned(),
                schema: crate::schema::TypeSchema::Any,
            },
            default: None,
            optional: false,
        })
        .collect();
    for input in spec.inputs.iter().chain(&setting_inputs) {
        let producer = |from: &TaskRef| match from {
            TaskRef::Local(id) => reports[id.index()]
                .as_ref()
                .ok_or_else(|| format!("input `{}`: its producer has not run", input.name)),
            TaskRef::Foreign { .. } => Err(format!(
                "input `{}` reads a task of another pipeline",
                input.name
            )),
        };
        match (&input.kind, task.arguments.get(&input.name)) {
            (IoKind::Artifact { .. }, Some(Argument::TaskOutput { task: from, output })) => {
                let r = producer(from)?;
                let (_, _, path) = r
                    .output_artifacts
                    .iter()
                    .find(|(n, _, _)| n == output)
                    .ok_or_else(|| format!("`{}` has no output artifact `{output}`", r.name))?;
                job.inputs.push((input.name.clone(), path.clone()));
            }
            (IoKind::Artifact { .. }, Some(Argument::PipelineParam(name))) => {
                // Inside a sub-pipeline call: the artifact the call binds.
                let crate::ir::ParamOrigin::Bound(Argument::TaskOutput { task: from, output }) =
                    crate::ir::param_origin(p, task.region, name)
                else {
                    return Err(format!(
                        "input artifact `{}` reads parameter `{name}`, which binds no artifact",
                        input.name
                    ));
                };
                let r = producer(from)?;
                let (_, _, path) = r
                    .output_artifacts
                    .iter()
                    .find(|(n, _, _)| n == output)
                    .ok_or_else(|| format!("`{}` has no output artifact `{output}`", r.name))?;
                job.inputs.push((input.name.clone(), path.clone()));
            }
            (IoKind::Artifact { .. }, Some(Argument::External { source, .. })) => {
                // Fetched by each attempt, into its own folder (`task::attempt`). A URL in a
                // parameter is its wire text, as Argo substitutes it into `http.url`.
                let source = match source {
                    crate::ir::ExternalSource::HttpFromParam { param } => {
                        crate::ir::ExternalSource::Http {
                            url: param_value(valid, run_params, reports, task.region, param)?,
                        }
                    }
                    other => other.clone(),
                };
                job.external.push((input.name.clone(), source));
            }
            // A loop's collected artifacts: unrolling listed the succeeded instances in item
            // order; each one's artifact becomes an entry of the collection's folder, named
            // after its instance (on Argo, after its pod), and the names, in that order, are
            // the collection's list (`protocol::native_args`).
            (IoKind::Artifact { kind }, Some(Argument::Constant(list)))
                if crate::ir::collection_element(kind).is_some() =>
            {
                #[derive(serde::Deserialize)]
                struct Collected {
                    output: String,
                    instances: Vec<String>,
                }
                let Collected { output, instances } = serde_json::from_str(list).map_err(|e| {
                    format!(
                        "input `{}` is a collection, and not of a loop's artifacts: {e}",
                        input.name
                    )
                })?;
                let output = &output;
                let mut entries = Vec::with_capacity(instances.len());
                let mut names = Vec::with_capacity(instances.len());
                for instance in &instances {
                    let r = reports
                        .iter()
                        .flatten()
                        .find(|r| &r.name == instance)
                        .ok_or_else(|| {
                            format!("input `{}`: `{instance}` has not run", input.name)
                        })?;
                    let (_, _, path) = r
                        .output_artifacts
                        .iter()
                        .find(|(n, _, _)| n == output)
                        .ok_or_else(|| format!("`{}` has no output artifact `{output}`", r.name))?;
                    let entry = collection_entry(instance);
                    names.push(entry.clone());
                    entries.push((entry, path.clone()));
                }
                job.params.push((
                    input.name.clone(),
                    serde_json::to_string(&names).expect("a list of strings serialises"),
                ));
                job.collections.push((input.name.clone(), entries));
            }
            (IoKind::Artifact { .. }, Some(Argument::Collected { .. })) => {
                return Err(format!(
                    "input `{}` collects the artifacts of a loop that ran no iteration; Argo sets no aggregated output then (`processAggregateNodeOutputs`), so the task fails there too",
                    input.name
                ));
            }
            // Left unbound: the component receives `None`, as the pod starts without the file.
            (IoKind::Artifact { .. }, None) if input.optional => {}
            (IoKind::Artifact { .. }, _) => {
                return Err(format!(
                    "input artifact `{}` is not bound to a task output",
                    input.name
                ));
            }
            (IoKind::Parameter { .. }, argument) => {
                let value = match argument {
                    Some(Argument::Constant(text)) => text.clone(),
                    // Assembled by the component from the same text Argo's expression builds
                    // (`emit::regions`, `value::format_text`).
                    Some(Argument::Format(parts)) => {
                        let mut pieces: Vec<(DisplayAs, String)> = Vec::with_capacity(parts.len());
                        for part in parts {
                            pieces.push(match part {
                                FormatPart::Text(text) => (DisplayAs::Text, value::encode_text(text)),
                                // Inside a sub-pipeline call: what the call binds.
                                FormatPart::PipelineParam { name, display } => (
                                    *display,
                                    param_value(valid, run_params, reports, task.region, name)?,
                                ),
                                FormatPart::TaskOutput {
                                    task: from,
                                    output,
                                    display,
                                } => {
                                    let r = producer(from)?;
                                    let wire = r
                                        .output_params
                                        .iter()
                                        .find(|(n, _)| n == output)
                                        .map(|(_, v)| v.clone())
                                        .ok_or_else(|| {
                                            format!("`{}` has no output parameter `{output}`", r.name)
                                        })?;
                                    (*display, wire)
                                }
                            });
                        }
                        value::format_text(pieces.iter().map(|(d, w)| (*d, w.as_str())))
                    }
                    // The branch that ran: the first option whose task succeeded.
                    Some(Argument::OneOf(options)) => options
                        .iter()
                        .find_map(|(from, output)| match from {
                            TaskRef::Local(t) => reports[t.index()]
                                .as_ref()
                                .filter(|r| r.phase == Phase::Succeeded)
                                .and_then(|_| output_value(reports, *t, output)),
                            TaskRef::Foreign { .. } => None,
                        })
                        .ok_or_else(|| {
                            format!(
                                "input `{}` reads the output of the branch that ran, and none of its branches ran (or succeeded); end the `when` chain with `.otherwise(…)` so that one always runs",
                                input.name
                            )
                        })?,
                    Some(Argument::Run(value)) => {
                        run_values.get(value).cloned().ok_or_else(|| {
                            format!(
                                "input `{}` reads what only the exit handler knows",
                                input.name
                            )
                        })?
                    }
                    Some(Argument::PipelineParam(name)) => {
                        param_value(valid, run_params, reports, task.region, name)?
                    }
                    Some(Argument::TaskOutput { task: from, output }) => {
                        let r = producer(from)?;
                        r.output_params
                            .iter()
                            .find(|(n, _)| n == output)
                            .map(|(_, v)| v.clone())
                            .ok_or_else(|| {
                                format!("`{}` has no output parameter `{output}`", r.name)
                            })?
                    }
                    // Unrolling substitutes items and collected lists; what is left could not be.
                    Some(Argument::LoopItem { field, .. }) => {
                        return Err(format!(
                            "input `{}` reads {} of the loop's item, which this item does not have (on Argo `{{{{item{}}}}}` stays unresolved and the task fails the same way)",
                            input.name,
                            field.as_deref().map_or("a field".to_owned(), |f| format!("field `{f}`")),
                            field.as_deref().map(|f| format!(".{f}")).unwrap_or_default(),
                        ));
                    }
                    Some(Argument::Collected { .. }) => {
                        return Err(format!(
                            "input `{}` collects the outputs of a loop that ran no iteration; Argo sets no aggregated output then (`processAggregateNodeOutputs`), so the task fails there too",
                            input.name
                        ));
                    }
                    Some(Argument::External { .. }) => {
                        return Err(format!(
                            "input `{}` is a parameter, and an artifact from outside the pipeline feeds only artifact inputs",
                            input.name
                        ));
                    }
                    None => input.default.clone().ok_or_else(|| {
                        format!("input `{}` has no value and no default", input.name)
                    })?,
                };
                job.params.push((input.name.clone(), value));
            }
        }
    }
    let own = job.params.len() - setting_inputs.len();
    job.settings = job.params.split_off(own);
    Ok(job)
}

/// The value (wire form) of output parameter `output` of task `t`, once it has one.
fn output_value(reports: &[Option<TaskReport>], t: TaskId, output: &str) -> Option<String> {
    reports[t.index()]
        .as_ref()?
        .output_params
        .iter()
        .find(|(n, _)| n == output)
        .map(|(_, v)| v.clone())
}

/// The value of pipeline parameter `name` read in region `region`: the run's, or inside a
/// sub-pipeline call, what the call binds to it, read where the call is written.
fn param_value(
    valid: &ValidPipeline,
    run_params: &BTreeMap<String, String>,
    reports: &[Option<TaskReport>],
    region: RegionId,
    name: &str,
) -> Result<String, String> {
    let p = valid.pipeline();
    match crate::ir::param_origin(p, region, name) {
        crate::ir::ParamOrigin::Run(run) => run_params
            .get(run)
            .cloned()
            .ok_or_else(|| format!("pipeline parameter `{run}` has no value")),
        crate::ir::ParamOrigin::Bound(Argument::Constant(text)) => Ok(text.clone()),
        crate::ir::ParamOrigin::Bound(Argument::TaskOutput {
            task: TaskRef::Local(t),
            output,
        }) => output_value(reports, *t, output).ok_or_else(|| {
            format!(
                "parameter `{name}` of the call reads `{output}` of `{}`, which has no value",
                p.tasks[t.index()].name
            )
        }),
        _ => Err(format!("parameter `{name}` has no value here")),
    }
}

/// What the pipeline's kind means here, for the run's notes: the local runner runs every kind
/// once, now, as one workflow started from it would run on Argo (a `CronWorkflow`'s schedule
/// and a template's being only a definition are for the cluster).
fn published_as(p: &crate::ir::Pipeline) -> Option<String> {
    use crate::ir::OutputKind;
    let publish = &p.publish;
    match publish.kind() {
        OutputKind::Workflow => None,
        OutputKind::CronWorkflow => {
            let schedules: Vec<String> =
                publish.schedules.iter().map(|s| format!("`{s}`")).collect();
            let zone = publish
                .timezone
                .as_ref()
                .map(|z| format!(" ({z})"))
                .unwrap_or_default();
            Some(format!(
                "pipeline `{}` is a CronWorkflow on Argo, scheduled {}{zone}; `run` ignores the schedule and runs it once, now, as one scheduled run",
                p.name,
                if schedules.is_empty() {
                    "never".to_owned()
                } else {
                    schedules.join(", ")
                }
            ))
        }
        kind => Some(format!(
            "pipeline `{}` is a {} on Argo, which runs nothing by itself; `run` runs it once, now, as a workflow submitted from it",
            p.name,
            kind.argo_kind()
        )),
    }
}

/// The note for tasks that run a published template on Argo (`templateRef`): here they run
/// this binary's component of the same name, which is the library's code when the library was
/// compiled from this binary.
fn run_instead_of_templates(p: &crate::ir::Pipeline) -> Option<String> {
    let mut by_object: Vec<(String, Vec<&str>)> = Vec::new();
    for task in &p.tasks {
        let Some(reference) = &task.template_ref else {
            continue;
        };
        let object = format!(
            "{} `{}`",
            if reference.cluster_scope {
                "ClusterWorkflowTemplate"
            } else {
                "WorkflowTemplate"
            },
            reference.name
        );
        match by_object.iter_mut().find(|(o, _)| *o == object) {
            Some((_, tasks)) => tasks.push(&task.name),
            None => by_object.push((object, vec![&task.name])),
        }
    }
    (!by_object.is_empty()).then(|| {
        let parts: Vec<String> = by_object
            .iter()
            .map(|(object, tasks)| {
                let tasks: Vec<String> = tasks.iter().map(|t| format!("`{t}`")).collect();
                format!("{} from {object}", tasks.join(", "))
            })
            .collect();
        format!(
            "on Argo, {} run the published template (`templateRef`); `run` runs this binary's component of the same name instead, the library's code only if the library was compiled from this binary",
            parts.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{{workflow.failures}}` is Go's `json.Marshal` then `strconv.Quote`: the process gets a
    /// quoted JSON text that decodes to the list.
    #[test]
    fn failures_are_quoted_as_go_quotes_them() {
        let list = serde_json::json!([{"message": "a \"b\" <c> & d\\", "x": "é\u{85}"}]);
        let json = go_json(&list);
        assert_eq!(
            json,
            r#"[{"message":"a \"b\" \u003cc\u003e \u0026 d\\","x":"é\u{85}"}]"#
                .replace("\\u{85}", "\u{85}")
        );
        let quoted = crate::value::go_quote(&json);
        assert!(quoted.starts_with("\"[{\\\"message\\\":"), "{quoted}");
        assert!(quoted.contains("\\u0085"), "{quoted}");
        // One JSON decoding gives the JSON text back, a second the list.
        let inner: String = serde_json::from_str(&quoted).unwrap();
        let again: serde_json::Value = serde_json::from_str(&inner).unwrap();
        assert_eq!(again, list);
    }
    use crate::validate::{ValidateOptions, validate};

    /// `prepare(rows) → train(data, lr, epochs=default) → report(acc)`, plus an independent `other`.
    fn pipeline() -> ValidPipeline {
        validate(&ir(), &ValidateOptions::default()).unwrap()
    }

    /// `pipeline()` with a failure hook on `train` holding task `alert` (task 4).
    fn hooked() -> ValidPipeline {
        let mut ir = ir();
        ir.regions.push(crate::ir::Region {
            kind: RegionKind::Hook {
                task: TaskId(1),
                on: crate::ir::HookEvent::Failure,
            },
            parent: Some(RegionId::ROOT),
            location: None,
        });
        let mut alert = ir.tasks[3].clone();
        alert.name = "alert".into();
        alert.region = RegionId(1);
        ir.tasks.push(alert);
        validate(&ir, &ValidateOptions::default()).unwrap()
    }

    /// A hook's tasks wait for its task; the task's dependants wait for them
    /// (`CheckAllHooksFullfilled`); a failing hook fails nothing (`assessDAGPhase`).
    #[test]
    fn hooks_wait_for_their_task_and_hold_its_dependants() {
        let valid = hooked();
        let shape = Shape::of(&valid);
        assert_eq!(shape.hook_of[4], Some((1, crate::ir::HookEvent::Failure)));
        assert_eq!(shape.deps[4], [1], "the hook waits for its task only");
        assert_eq!(
            shape.deps[2],
            [1, 4],
            "`report` reads `train`: it waits for its hook"
        );
        assert_eq!(shape.deps[3], Vec::<usize>::new());
        let (ok, failed) = (Phase::Succeeded, Phase::Failed);
        let phases = [&ok, &ok, &ok, &ok, &failed];
        assert_eq!(shape.failed_branch(&phases, false), None);
        let phases = [&ok, &failed, &Phase::Omitted, &ok, &ok];
        assert_eq!(shape.failed_branch(&phases, false), Some(1));
        for (phase, fires) in [
            (Phase::Succeeded, false),
            (Phase::Failed, true),
            (Phase::Error, true),
            (Phase::Skipped, false),
            (Phase::Omitted, false),
        ] {
            assert_eq!(
                depends::hook_fires(crate::ir::HookEvent::Failure, &phase),
                fires
            );
        }
        assert!(depends::hook_fires(
            crate::ir::HookEvent::Exit,
            &Phase::Error
        ));
        assert!(!depends::hook_fires(
            crate::ir::HookEvent::Exit,
            &Phase::Skipped
        ));
    }

    fn ir() -> crate::ir::Pipeline {
        let ir = serde_json::json!({
            "name": "p", "image": "example.com/p:1.0", "binary_path": "/b",
            "params": [{"name": "rows", "rust_type": "u32", "default": "10"}],
            "components": {
                "prepare": {"name": "prepare", "implementation": "native",
                    "inputs": [{"name": "rows", "kind": {"parameter": {"rust_type": "u32"}}}],
                    "outputs": [{"name": "data", "kind": {"artifact": {"kind": "Dataset"}}}]},
                "train": {"name": "train", "implementation": "native",
                    "inputs": [
                        {"name": "data", "kind": {"artifact": {"kind": "Dataset"}}},
                        {"name": "lr", "kind": {"parameter": {"rust_type": "f64"}}},
                        {"name": "epochs", "kind": {"parameter": {"rust_type": "u32"}}, "default": "300"}],
                    "outputs": [{"name": "output", "kind": {"parameter": {"rust_type": "f64"}}}]},
                "report": {"name": "report", "implementation": "native",
                    "inputs": [{"name": "acc", "kind": {"parameter": {"rust_type": "f64"}}}],
                    "outputs": []}
            },
            "tasks": [
                {"name": "prepare", "component": "prepare",
                    "arguments": {"rows": {"pipeline_param": "rows"}}},
                {"name": "train", "component": "train", "arguments": {
                    "data": {"task_output": {"task": {"local": 0}, "output": "data"}},
                    "lr": {"constant": "0.5"}}},
                {"name": "report", "component": "report", "arguments": {
                    "acc": {"task_output": {"task": {"local": 1}, "output": "output"}}}},
                {"name": "other", "component": "report", "arguments": {"acc": {"constant": "1"}}}
            ]
        });
        serde_json::from_value(ir).unwrap()
    }

    fn done(name: &str, phase: Phase) -> Option<TaskReport> {
        Some(TaskReport::new(name, name, phase))
    }

    #[test]
    fn inputs_resolve_as_argo_resolves_them() {
        let valid = pipeline();
        let params = BTreeMap::from([("rows".to_owned(), "25".to_owned())]);
        let mut reports = vec![None; 4];
        let job = resolve_job(&valid, &params, &BTreeMap::new(), &reports, 0).unwrap();
        assert_eq!(job.params, [("rows".to_owned(), "25".to_owned())]);

        let mut prepared = TaskReport::new("prepare", "prepare", Phase::Succeeded);
        prepared.output_artifacts = vec![(
            "data".into(),
            "Dataset".into(),
            "/run/prepare/outputs/data".into(),
        )];
        reports[0] = Some(prepared);
        let job = resolve_job(&valid, &params, &BTreeMap::new(), &reports, 1).unwrap();
        assert_eq!(
            job.inputs,
            [(
                "data".to_owned(),
                std::path::PathBuf::from("/run/prepare/outputs/data")
            )]
        );
        // A constant as written; an unbound input takes the component's default.
        assert_eq!(
            job.params,
            [
                ("lr".to_owned(), "0.5".to_owned()),
                ("epochs".to_owned(), "300".to_owned())
            ]
        );

        let mut trained = TaskReport::new("train", "train", Phase::Succeeded);
        trained.output_params = vec![("output".into(), "0.93".into())];
        reports[1] = Some(trained);
        let job = resolve_job(&valid, &params, &BTreeMap::new(), &reports, 2).unwrap();
        assert_eq!(job.params, [("acc".to_owned(), "0.93".to_owned())]);
        // A producer that has not run is an error, never a silent empty value.
        assert!(resolve_job(&valid, &params, &BTreeMap::new(), &vec![None; 4], 2).is_err());
    }

    #[test]
    fn omitted_tasks_name_the_failed_task_they_depend_on() {
        let valid = pipeline();
        let reports = vec![done("prepare", Phase::Failed), None, None, None];
        assert_eq!(
            failed_dependency(&valid, &reports, 1).as_deref(),
            Some("prepare")
        );
        // Two levels down, through a task that never ran.
        assert_eq!(
            failed_dependency(&valid, &reports, 2).as_deref(),
            Some("prepare")
        );
        assert_eq!(failed_dependency(&valid, &reports, 3), None);
        let reports = vec![
            done("prepare", Phase::Succeeded),
            done("train", Phase::Error),
            None,
            None,
        ];
        assert_eq!(
            failed_dependency(&valid, &reports, 2).as_deref(),
            Some("train")
        );
    }
}
