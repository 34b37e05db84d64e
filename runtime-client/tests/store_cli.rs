//! The store commands as a user sees them: `runs list` alignment and escaping, `runs gc`, and
//! store errors with their cause.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argot_client::Phase;
use argot_client::cli::{GcPolicy, escape_control, render_run, runs_gc, runs_list};
use argot_client::store::*;

fn run(store: &SqliteStore, id: &str, pipeline: &str, phase: Phase, day: u32) {
    let mut r = RunRecord::new(id, pipeline, RunSource::Local);
    r.phase = phase.clone();
    r.started_at = Some(format!("2024-05-{day:02}T10:00:00Z"));
    if phase.is_finished() {
        r.finished_at = Some(format!("2024-05-{day:02}T11:00:00Z"));
    }
    store.begin_run(&r).unwrap();
}

/// 2024-05-31T00:00:00Z.
fn may_31() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_717_113_600)
}

#[test]
fn runs_list_columns_are_aligned_to_the_longest_value() {
    let store = SqliteStore::open_in_memory().unwrap();
    run(&store, "a", "p", Phase::Succeeded, 1);
    let long = "a-run-id-much-longer-than-thirty-two-characters-x7k2p";
    run(
        &store,
        long,
        "a-pipeline-name-over-twenty",
        Phase::Running,
        2,
    );
    let text = runs_list(&store, None, None).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // Every column starts at the same place on every line.
    for col in ["PIPELINE", "SOURCE", "PHASE", "STARTED", "FINISHED"] {
        let at = lines[0].find(col).unwrap();
        for l in &lines[1..] {
            assert_eq!(&l[at - 2..at], "  ", "{col} in {l:?}\n{text}");
            assert_ne!(&l[at..at + 1], " ", "{col} in {l:?}\n{text}");
        }
    }
    assert_eq!(
        lines[1],
        format!("{long}  a-pipeline-name-over-twenty  local   Running    2024-05-02T10:00:00Z  -")
    );
    assert!(!text.lines().any(|l| l.ends_with(' ')), "{text:?}");
}

#[test]
fn control_characters_in_values_are_escaped() {
    assert_eq!(
        escape_control("a\u{1b}[31mred\r\u{7}\u{7f}\u{9b}\tz\n"),
        "a\\x1b[31mred\\x0d\\x07\\x7f\\x9b\\x09z\\x0a"
    );
    assert_eq!(escape_control("plain é"), "plain é");
    let store = SqliteStore::open_in_memory().unwrap();
    run(&store, "r1", "p\u{1b}]0;owned\u{7}", Phase::Failed, 1);
    store
        .finish_run(
            "r1",
            &Phase::Failed,
            "2024-05-01T11:00:00Z",
            Some("bad\u{1b}[2Jthing\r\n"),
        )
        .unwrap();
    store
        .record_parameter(&ParameterRecord::new(
            "r1",
            "",
            Direction::Input,
            "x",
            "v\u{1b}c",
        ))
        .unwrap();
    let list = runs_list(&store, None, None).unwrap();
    assert!(list.contains("p\\x1b]0;owned\\x07"), "{list}");
    let shown = render_run(&store.run_details("r1").unwrap().unwrap());
    for text in [&list, &shown] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }
    assert!(
        shown.contains("message:  bad\\x1b[2Jthing\\x0d\\x0a"),
        "{shown}"
    );
    assert!(shown.contains("run input x = v\\x1bc"), "{shown}");
}

fn ids(store: &SqliteStore) -> Vec<String> {
    let mut v: Vec<String> = store
        .list_runs(&RunFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    v.sort();
    v
}

#[test]
fn gc_by_age_deletes_old_finished_runs_only() {
    let store = SqliteStore::open_in_memory().unwrap();
    run(&store, "old", "p", Phase::Succeeded, 1);
    run(&store, "old-running", "p", Phase::Running, 1);
    run(&store, "recent", "p", Phase::Failed, 29);
    let policy = GcPolicy {
        older_than: Some(Duration::from_secs(7 * 86_400)),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), true).unwrap();
    assert!(report.starts_with("would delete 1 run\n"), "{report}");
    assert_eq!(ids(&store).len(), 3, "a dry run deletes nothing");
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert!(report.starts_with("deleted 1 run\nRUN "), "{report}");
    assert!(report.contains("\nold  "), "{report}");
    assert_eq!(ids(&store), ["old-running", "recent"]);
    // Tasks and parameters go with the run.
    assert!(store.run_details("old").unwrap().is_none());
}

#[test]
fn gc_keeps_the_newest_n_and_the_producers_of_what_kept_runs_consumed() {
    let store = SqliteStore::open_in_memory().unwrap();
    for (i, id) in ["r1", "r2", "r3", "r4"].iter().enumerate() {
        run(&store, id, "p", Phase::Succeeded, i as u32 + 1);
    }
    // r4 (kept) consumed an artifact of r2, which consumed one of r1: both stay.
    let a1 = store
        .record_artifact(&ArtifactRecord::produced("r1", "t", "data", "file:///1"))
        .unwrap();
    let a2 = store
        .record_artifact(&ArtifactRecord::produced("r2", "t", "model", "file:///2"))
        .unwrap();
    store.upsert_task(&TaskRecord::new("r2", "t")).unwrap();
    store.upsert_task(&TaskRecord::new("r4", "t")).unwrap();
    store
        .record_consumption(&ConsumptionRecord {
            artifact: a1,
            run_id: "r2".into(),
            task: "t".into(),
            input_name: "data".into(),
        })
        .unwrap();
    store
        .record_consumption(&ConsumptionRecord {
            artifact: a2,
            run_id: "r4".into(),
            task: "t".into(),
            input_name: "model".into(),
        })
        .unwrap();
    let policy = GcPolicy {
        keep: Some(1),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert!(
        report.starts_with("deleted 1 run; kept 2 whose artifacts later runs consumed\n"),
        "{report}"
    );
    assert_eq!(ids(&store), ["r1", "r2", "r4"]);
    let lineage = store.lineage(&ArtifactSelector::Id(a2)).unwrap();
    assert_eq!(lineage.consumers[0].run_id, "r4");
}

#[test]
fn gc_with_both_bounds_needs_both_and_huge_ages_delete_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    for (i, id) in ["r1", "r2", "r3"].iter().enumerate() {
        run(&store, id, "p", Phase::Succeeded, i as u32 + 1);
    }
    let policy = GcPolicy {
        older_than: Some(Duration::from_secs(86_400)),
        keep: Some(2),
        ..GcPolicy::default()
    };
    runs_gc(&store, &policy, may_31(), false).unwrap();
    assert_eq!(ids(&store), ["r2", "r3"]);
    let policy = GcPolicy {
        older_than: Some(Duration::from_secs(u64::MAX)),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert_eq!(report, "deleted 0 runs\n");
}

/// Runs the `argot` binary with `args` and `--store STORE`.
fn argot_with_store(args: &[&str], store: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_argot"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

#[test]
fn gc_from_the_command_line_and_store_errors_print_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let store = SqliteStore::open(&db).unwrap();
    run(&store, "old", "p", Phase::Succeeded, 1);
    drop(store);
    let out = argot_with_store(&["runs", "gc", "--older-than", "1d"], &db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("deleted 1 run\n"));

    let out = argot_with_store(&["runs", "gc"], &db);
    assert_eq!(
        out.status.code(),
        Some(2),
        "gc needs --older-than, --keep or --max-size"
    );

    // A store under a regular file cannot be opened; the OS error says why.
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let out = argot_with_store(&["runs", "list"], &file.join("m.db"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot open the metadata store at {}",
            file.join("m.db").display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  caused by: File exists (os error 17)"),
        "{stderr}"
    );
}

/// A local run with a run folder like the runner's, holding `bytes` of artifacts.
fn local_run(store: &SqliteStore, workdir: &std::path::Path, id: &str, day: u32, bytes: usize) {
    let dir = workdir.join(id);
    std::fs::create_dir_all(dir.join("train")).unwrap();
    std::fs::write(dir.join("run.json"), "{}").unwrap();
    std::fs::write(dir.join("train/model.bin"), vec![0u8; bytes]).unwrap();
    let mut r = RunRecord::new(id, "p", RunSource::Local);
    r.phase = Phase::Succeeded;
    r.location = Some(dir.display().to_string());
    r.started_at = Some(format!("2024-05-{day:02}T10:00:00Z"));
    r.finished_at = Some(format!("2024-05-{day:02}T11:00:00Z"));
    store.begin_run(&r).unwrap();
}

#[test]
fn gc_by_size_deletes_the_oldest_local_runs_and_their_folders() {
    let work = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    local_run(&store, work.path(), "r1", 1, 400 << 10);
    local_run(&store, work.path(), "r2", 2, 400 << 10);
    local_run(&store, work.path(), "r3", 3, 400 << 10);
    // A folder that is not the runner's (no run.json) is never touched.
    let foreign = work.path().join("r0");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious"), "x").unwrap();
    let mut r0 = RunRecord::new("r0", "p", RunSource::Local);
    r0.phase = Phase::Succeeded;
    r0.location = Some(foreign.display().to_string());
    r0.started_at = Some("2024-04-01T10:00:00Z".into());
    store.begin_run(&r0).unwrap();

    let policy = GcPolicy {
        max_size: Some(1 << 20),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), true).unwrap();
    assert!(
        report.starts_with("would delete 1 run, freeing 400.0 KiB\n"),
        "{report}"
    );
    assert!(work.path().join("r1").is_dir());
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert!(
        report.starts_with("deleted 1 run, freed 400.0 KiB\n"),
        "{report}"
    );
    assert!(report.contains("\nr1  "), "{report}");
    assert!(!work.path().join("r1").exists());
    assert!(work.path().join("r2/train/model.bin").is_file());
    assert_eq!(ids(&store), ["r0", "r2", "r3"]);
    // The record of the foreign folder can go by age; the folder stays.
    let policy = GcPolicy {
        older_than: Some(Duration::from_secs(40 * 86_400)),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert!(report.starts_with("deleted 1 run\n"), "{report}");
    assert!(foreign.join("precious").is_file());
}

/// A folder a runner holds locked is kept, and the warning says what to do with it.
#[test]
fn gc_keeps_a_folder_a_runner_is_using_and_says_what_to_do() {
    let work = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(work.path().join("m.db")).unwrap();
    local_run(&store, work.path(), "r1", 1, 10);
    let lock = std::fs::File::create(work.path().join("r1/.lock")).unwrap();
    lock.try_lock().unwrap();
    let policy = GcPolicy {
        keep: Some(0),
        ..GcPolicy::default()
    };
    let report = runs_gc(&store, &policy, may_31(), false).unwrap();
    assert!(report.starts_with("deleted 1 run\n"), "{report}");
    assert!(
        report.contains(&format!(
            "warning: kept the folder {} of run r1: a runner is using it; the run is no longer recorded, so remove the folder by hand once no runner uses it\n",
            work.path().join("r1").display()
        )),
        "{report}"
    );
    assert!(work.path().join("r1/run.json").is_file());
}

#[test]
fn sizes_parse_in_powers_of_1024() {
    use argot_client::cli::parse_size;
    assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
    assert_eq!(parse_size("500M").unwrap(), 500 << 20);
    assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
    assert_eq!(parse_size("1t").unwrap(), 1 << 40);
    for bad in ["", "M", "1.5G", "10X", "99999999999T"] {
        assert!(parse_size(bad).is_err(), "{bad:?}");
    }
}

/// `lineage` prints recorded names and values, which may hold what a user passed: control
/// characters are escaped there as in every table.
#[test]
fn lineage_escapes_control_characters() {
    let store = SqliteStore::open_in_memory().unwrap();
    run(&store, "r1", "p", Phase::Succeeded, 1);
    store.upsert_task(&TaskRecord::new("r1", "t")).unwrap();
    store
        .record_parameter(&ParameterRecord::new(
            "r1",
            "t",
            Direction::Input,
            "x",
            "v\u{1b}]0;owned\u{7}",
        ))
        .unwrap();
    let id = store
        .record_artifact(&ArtifactRecord::produced(
            "r1",
            "t",
            "out",
            "file:///o\u{1b}[2J",
        ))
        .unwrap();
    let l = store.lineage(&ArtifactSelector::Id(id)).unwrap();
    let text = argot_client::cli::render_lineage(&l);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(text.contains("x = v\\x1b]0;owned\\x07"), "{text}");
    assert!(text.contains("file:///o\\x1b[2J"), "{text}");
}

#[allow(clippy::too_many_arguments)] // a fixture: every field a test varies, by position
/// A finished run of `pipeline` lasting `minutes`, with `tasks` as (name, phase, attempt,
/// message).
fn finished_run(
    store: &SqliteStore,
    id: &str,
    pipeline: &str,
    source: RunSource,
    phase: Phase,
    day: u32,
    minutes: u32,
    tasks: &[(&str, Phase, u32, Option<&str>)],
) {
    let mut r = RunRecord::new(id, pipeline, source);
    r.phase = phase;
    r.started_at = Some(format!("2024-05-{day:02}T10:00:00Z"));
    r.finished_at = Some(format!(
        "2024-05-{day:02}T{:02}:{:02}:00Z",
        10 + minutes / 60,
        minutes % 60
    ));
    store.begin_run(&r).unwrap();
    for (name, phase, attempt, message) in tasks {
        let mut t = TaskRecord::new(id, *name);
        t.phase = phase.clone();
        t.attempt = *attempt;
        t.message = message.map(str::to_owned);
        store.upsert_task(&t).unwrap();
    }
}

#[test]
fn runs_stats_summarise_local_and_argo_runs_from_the_store() {
    use argot_client::stats::{render_stats, run_stats};
    let store = SqliteStore::open_in_memory().unwrap();
    let ok = Phase::Succeeded;
    let cached = Some("cached: outputs of r0/prepare reused (key 0123456789ab)");
    finished_run(
        &store,
        "l1",
        "train",
        RunSource::Local,
        ok.clone(),
        1,
        10,
        &[
            ("prepare", ok.clone(), 0, None),
            ("fit", ok.clone(), 1, None),
        ],
    );
    finished_run(
        &store,
        "l2",
        "train",
        RunSource::Local,
        ok.clone(),
        20,
        20,
        &[
            ("prepare", ok.clone(), 0, cached),
            ("fit", ok.clone(), 0, None),
        ],
    );
    finished_run(
        &store,
        "a1",
        "train",
        RunSource::Argo,
        Phase::Failed,
        25,
        30,
        &[
            ("prepare", ok.clone(), 0, None),
            ("fit", Phase::Failed, 2, Some("OOMKilled")),
            ("report", Phase::Omitted, 0, None),
        ],
    );
    finished_run(
        &store,
        "a2",
        "train",
        RunSource::Argo,
        ok.clone(),
        30,
        90,
        &[],
    );
    // Another pipeline and a run still going are not counted.
    finished_run(
        &store,
        "o1",
        "other",
        RunSource::Local,
        Phase::Failed,
        30,
        5,
        &[],
    );
    run(&store, "r1", "train", Phase::Running, 30);

    let all = run_stats(&store, Some("train"), None).unwrap();
    assert_eq!(
        (all.runs, all.local_runs, all.argo_runs, all.succeeded),
        (4, 2, 2, 3)
    );
    assert_eq!(all.success_rate, Some(0.75));
    // Durations 10, 20, 30, 90 minutes: nearest-rank p50 is the 2nd, p95 the 4th.
    assert_eq!(all.p50_duration_seconds, Some(1200.0));
    assert_eq!(all.p95_duration_seconds, Some(5400.0));
    // Six tasks started (the omitted one did not); two retried; one of five successes cached.
    assert_eq!((all.tasks, all.retried_tasks), (6, 2));
    assert_eq!((all.succeeded_tasks, all.cache_hits), (5, 1));
    assert_eq!(all.cache_hit_rate, Some(0.2));
    let text = render_stats(&all);
    assert!(text.contains("success rate  75.0% (3 succeeded)"), "{text}");
    assert!(
        text.contains("duration      p50 1200.0s  p95 5400.0s"),
        "{text}"
    );
    assert!(
        text.contains("retry rate    33.3% (2 of 6 tasks retried)"),
        "{text}"
    );

    // --since: only runs started on or after May 22.
    let since = UNIX_EPOCH + Duration::from_secs(1_716_336_000);
    let recent = run_stats(&store, Some("train"), Some(since)).unwrap();
    assert_eq!((recent.runs, recent.succeeded), (2, 1));
    assert_eq!(recent.since.as_deref(), Some("2024-05-22T00:00:00Z"));

    let json = serde_json::to_value(&recent).unwrap();
    assert_eq!(json["success_rate"], 0.5);
    assert_eq!(json["p95_duration_seconds"], 5400.0);

    let every = run_stats(&store, None, None).unwrap();
    assert_eq!(every.runs, 5);
    let empty = run_stats(&store, Some("nothing"), None).unwrap();
    assert_eq!((empty.runs, empty.success_rate), (0, None));
    assert!(render_stats(&empty).contains("success rate  - (0 succeeded)"));
}

/// Artifact write failures in `runs stats`: a task whose outputs could not be saved, from an
/// Argo status (`fit`'s `wait` container failed to save its `model`: Argo's
/// `inferFailedReason` message) and from a local run (the runner's `outputs_not_saved`); a
/// task that failed in its own code (`evaluate`) is not one.
#[test]
fn runs_stats_count_tasks_whose_outputs_could_not_be_saved() {
    use argot_client::stats::{render_stats, run_stats};
    use argot_client::status::WorkflowView;
    let path = format!(
        "{}/tests/data/output-save-failure.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let view = WorkflowView::from_workflow(&doc).unwrap();
    let snap = RunSnapshot::from_argo(&view, None);
    let flagged: Vec<_> = snap
        .tasks
        .iter()
        .filter(|t| t.outputs_not_saved)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(flagged, ["fit"]);
    let store = SqliteStore::open_in_memory().unwrap();
    store.record_run(&snap).unwrap();
    let details = store
        .run_details(&snap.run.as_ref().unwrap().id)
        .unwrap()
        .unwrap();
    assert!(
        details
            .tasks
            .iter()
            .any(|t| t.name == "fit" && t.outputs_not_saved)
    );

    let argo = run_stats(&store, Some("train"), None).unwrap();
    // prepare, fit and evaluate started; report was omitted.
    assert_eq!((argo.tasks, argo.artifact_write_failures), (3, 1));
    assert_eq!(argo.artifact_write_failure_rate, Some(1.0 / 3.0));

    // A local run whose runner could not store an output.
    let mut r = RunRecord::new("l1", "train", RunSource::Local);
    r.phase = Phase::Error;
    r.started_at = Some("2026-11-30T10:00:00Z".into());
    r.finished_at = Some("2026-11-30T10:01:00Z".into());
    store.begin_run(&r).unwrap();
    let mut t = TaskRecord::new("l1", "export");
    t.phase = Phase::Error;
    t.message = Some("cannot rename `/runs/l1/export.tmp`: No space left on device".into());
    t.outputs_not_saved = true;
    store.upsert_task(&t).unwrap();

    let both = run_stats(&store, Some("train"), None).unwrap();
    assert_eq!((both.tasks, both.artifact_write_failures), (4, 2));
    assert_eq!(both.artifact_write_failure_rate, Some(0.5));
    let json = serde_json::to_value(&both).unwrap();
    assert_eq!(json["artifact_write_failures"], 2);
    assert_eq!(json["artifact_write_failure_rate"], 0.5);
    let text = render_stats(&both);
    assert!(
        text.contains("write errors  50.0% (2 of 4 tasks could not save their outputs)"),
        "{text}"
    );
}

/// The phases and messages judged to be a task whose outputs could not be saved.
#[test]
fn outputs_not_saved_is_judged_from_the_wait_container_and_the_runner() {
    use argot_client::outputs_not_saved;
    let error = Phase::Error;
    for saved_failed in [
        "wait: Error (exit code 1): open /var/run/argo/outputs/parameters/tmp/argot/outputs/x: no such file or directory",
        "pod failed: wait container did not complete successfully",
        "failed to save outputs: timeout after 0s",
        "output `results` was not written (at `/tmp/results.txt` in the container)",
    ] {
        assert!(
            outputs_not_saved(&error, Some(saved_failed)),
            "{saved_failed}"
        );
    }
    for other in [
        "main: Error (exit code 1)",
        "failed with exit code 1",
        "init: Error (exit code 1): failed to load artifacts",
        "OOMKilled (exit code 137)",
    ] {
        assert!(!outputs_not_saved(&error, Some(other)), "{other}");
    }
    assert!(!outputs_not_saved(
        &Phase::Succeeded,
        Some("wait: Error (exit code 1)")
    ));
    assert!(!outputs_not_saved(&error, None));
}
