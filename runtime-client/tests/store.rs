//! Metadata store: migrations, round trips, lineage from a recorded run, concurrent writers.

use std::collections::BTreeMap;

use argot_client::Phase;
use argot_client::status::WorkflowView;
use argot_client::store::*;

fn fixture_view(name: &str) -> WorkflowView {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    WorkflowView::from_workflow(&serde_saphyr::from_str(&text).unwrap()).unwrap()
}

#[test]
fn migrations_run_once_and_newer_schemas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/metadata.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    store
        .begin_run(&RunRecord::new("r1", "p", RunSource::Local))
        .unwrap();
    drop(store);
    // reopening keeps data and does not re-run migrations
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.list_runs(&RunFilter::default()).unwrap().len(), 1);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

/// Migration 2 adds `outputs_not_saved` to a store an older argot wrote, and marks the tasks
/// already there whose message says their outputs could not be saved (Argo's `wait`
/// container, the local runner's missing output), so `runs stats` counts past runs too.
#[test]
fn migration_2_marks_stored_tasks_whose_outputs_were_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    drop(SqliteStore::open(&path).unwrap());
    // Back to the first schema, with tasks as the older argot stored them.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE tasks DROP COLUMN outputs_not_saved;
         PRAGMA user_version = 1;
         INSERT INTO runs (id, pipeline, source, phase) VALUES ('a1', 'train', 'argo', 'Failed');
         INSERT INTO tasks (run_id, name, phase, message) VALUES
           ('a1', 'fit', 'Error', 'wait: Error (exit code 1): open /var/run/argo/outputs/artifacts/tmp/argot/outputs/model.tgz: no such file or directory; '),
           ('a1', 'export', 'Error', 'output `results` was not written (at `/tmp/results.txt` in the container)'),
           ('a1', 'evaluate', 'Failed', 'main: Error (exit code 1)'),
           ('a1', 'prepare', 'Succeeded', NULL);",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    let details = store.run_details("a1").unwrap().unwrap();
    let mut flagged: Vec<_> = details
        .tasks
        .iter()
        .filter(|t| t.outputs_not_saved)
        .map(|t| t.name.as_str())
        .collect();
    flagged.sort_unstable();
    assert_eq!(flagged, ["export", "fit"]);
}

#[test]
fn local_runner_records_round_trip() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut run = RunRecord::new("train-1", "train", RunSource::Local);
    run.started_at = Some("2024-01-01T00:00:00Z".into());
    run.labels = BTreeMap::from([("argot.dev/version".into(), "1.0.0".into())]);
    store.begin_run(&run).unwrap();
    let task = TaskRecord {
        phase: Phase::Running,
        started_at: Some("2024-01-01T00:00:01Z".into()),
        ..TaskRecord::new("train-1", "prepare")
    };
    store.upsert_task(&task).unwrap();
    // an upsert replaces, it does not duplicate
    store
        .upsert_task(&TaskRecord {
            phase: Phase::Succeeded,
            ..task.clone()
        })
        .unwrap();
    store
        .record_parameter(&ParameterRecord::new(
            "train-1",
            "prepare",
            Direction::Input,
            "rows",
            "10",
        ))
        .unwrap();
    let a = store
        .record_artifact(&ArtifactRecord::produced(
            "train-1",
            "prepare",
            "data",
            "file:///d",
        ))
        .unwrap();
    let again = store
        .record_artifact(&ArtifactRecord::produced(
            "train-1",
            "prepare",
            "data",
            "file:///d2",
        ))
        .unwrap();
    assert_eq!(a, again);
    store
        .finish_run("train-1", &Phase::Succeeded, "2024-01-01T00:05:00Z", None)
        .unwrap();

    let d = store.run_details("train-1").unwrap().unwrap();
    assert_eq!(d.run.phase, Phase::Succeeded);
    assert_eq!(d.run.finished_at.as_deref(), Some("2024-01-01T00:05:00Z"));
    assert_eq!(d.run.labels["argot.dev/version"], "1.0.0");
    assert_eq!(d.tasks.len(), 1);
    assert_eq!(d.tasks[0].phase, Phase::Succeeded);
    assert_eq!(d.parameters[0].value.as_deref(), Some("10"));
    assert_eq!(d.artifacts[0].record.uri.as_deref(), Some("file:///d2"));
    assert!(store.run_details("nope").unwrap().is_none());
    assert!(matches!(
        store.upsert_task(&TaskRecord::new("nope", "t")),
        Err(StoreError::UnknownRun(_))
    ));
    assert!(matches!(
        store.finish_run("nope", &Phase::Failed, "x", None),
        Err(StoreError::UnknownRun(_))
    ));
}

#[test]
fn lineage_of_a_recorded_argo_run() {
    let store = SqliteStore::open_in_memory().unwrap();
    let view = fixture_view("artifact-passing-loop.yaml");
    let snap = RunSnapshot::from_argo(&view, Some("kind-kind/ml"));
    store.record_run(&snap).unwrap();
    // the watcher writes the same snapshot many times: idempotent
    store.record_run(&snap).unwrap();

    let runs = store
        .list_runs(&RunFilter {
            pipeline: Some("sweep".into()),
            ..RunFilter::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].source, RunSource::Argo);
    assert_eq!(runs[0].location.as_deref(), Some("kind-kind/ml"));

    let d = store.run_details("sweep-x7k2p").unwrap().unwrap();
    assert_eq!(d.tasks.len(), 4);
    let t1 = d.tasks.iter().find(|t| t.name == "train(1:0.01)").unwrap();
    assert_eq!((t1.attempt, t1.loop_item.as_deref()), (1, Some("0.01")));
    assert_eq!(d.artifacts.len(), 4);
    assert_eq!(d.consumptions.len(), 4);

    // where did data come from and where did it go?
    let l = store
        .lineage(&ArtifactSelector::parse("sweep-x7k2p/prepare/data"))
        .unwrap();
    assert_eq!(l.producer.as_ref().unwrap().name, "prepare");
    assert_eq!(l.input_parameters[0].name, "rows");
    let users: Vec<_> = l.consumers.iter().map(|c| c.task.as_str()).collect();
    assert_eq!(users, ["train(0:0.1)", "train(1:0.01)"]);
    assert_eq!(l.consumers[0].produced[0].record.name, "model");

    // the best model: produced by pick-best from both models; nothing used it yet
    let l = store
        .lineage(&ArtifactSelector::Uri(
            "s3://argot/sweep-x7k2p/pick-best/best-model.tgz".into(),
        ))
        .unwrap();
    let inputs: Vec<_> = l
        .input_artifacts
        .iter()
        .map(|(input, a)| (input.as_str(), a.record.task.as_deref().unwrap()))
        .collect();
    assert_eq!(
        inputs,
        [("model-0", "train(0:0.1)"), ("model-1", "train(1:0.01)")]
    );
    assert!(l.consumers.is_empty());
    let text = argot_client::cli::render_lineage(&l);
    assert!(
        text.contains("produced by: sweep-x7k2p/pick-best (Succeeded)"),
        "{text}"
    );
    assert!(text.contains("model-1 <- #"), "{text}");

    assert!(matches!(
        store.lineage(&ArtifactSelector::Id(9999)),
        Err(StoreError::ArtifactNotFound(_))
    ));
}

#[test]
fn a_second_run_reading_a_stored_artifact_links_to_its_producer() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .record_run(&RunSnapshot::from_argo(
            &fixture_view("artifact-passing-loop.yaml"),
            None,
        ))
        .unwrap();
    // a local run that reads the best model by location
    let mut snap = RunSnapshot {
        run: Some(RunRecord::new("serve-1", "serve", RunSource::Local)),
        tasks: vec![TaskRecord::new("serve-1", "deploy")],
        ..RunSnapshot::default()
    };
    snap.consumptions.push((
        "deploy".into(),
        "model".into(),
        "model".into(),
        "s3://argot/sweep-x7k2p/pick-best/best-model.tgz".into(),
    ));
    snap.consumptions.push((
        "deploy".into(),
        "config".into(),
        "config".into(),
        "s3://ext/config.json".into(),
    ));
    store.record_run(&snap).unwrap();
    let l = store
        .lineage(&ArtifactSelector::parse("sweep-x7k2p/pick-best/best-model"))
        .unwrap();
    assert_eq!(l.consumers.len(), 1);
    assert_eq!(
        (l.consumers[0].run_id.as_str(), l.consumers[0].task.as_str()),
        ("serve-1", "deploy")
    );
    let ext = store
        .lineage(&ArtifactSelector::parse("s3://ext/config.json"))
        .unwrap();
    assert!(ext.producer.is_none());
    assert_eq!(ext.artifact.record.run_id, None);
}

#[test]
fn runs_list_text_is_ordered_newest_first() {
    let store = SqliteStore::open_in_memory().unwrap();
    for (id, started) in [("a", "2024-01-01T00:00:00Z"), ("b", "2024-02-01T00:00:00Z")] {
        let mut r = RunRecord::new(id, "p", RunSource::Local);
        r.started_at = Some(started.into());
        store.begin_run(&r).unwrap();
    }
    let text = argot_client::cli::runs_list(&store, Some("p"), None).unwrap();
    let ids: Vec<_> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["b", "a"]);
}

#[test]
fn concurrent_writers_do_not_corrupt_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    SqliteStore::open(&path).unwrap();
    let shared = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let mut handles = Vec::new();
    for w in 0..6 {
        let path = path.clone();
        let shared = shared.clone();
        handles.push(std::thread::spawn(move || {
            // half the writers share one handle (threads of a runner), half open their own
            // connection (separate processes do exactly this).
            let own;
            let store: &SqliteStore = if w % 2 == 0 {
                own = SqliteStore::open(&path).unwrap();
                &own
            } else {
                &shared
            };
            for r in 0..10 {
                let run_id = format!("w{w}-r{r}");
                store
                    .begin_run(&RunRecord::new(&run_id, "p", RunSource::Local))
                    .unwrap();
                for t in 0..5 {
                    let task = format!("t{t}");
                    store.upsert_task(&TaskRecord::new(&run_id, &task)).unwrap();
                    let id = store
                        .record_artifact(&ArtifactRecord::produced(
                            &run_id,
                            &task,
                            "out",
                            format!("file:///{run_id}/{t}"),
                        ))
                        .unwrap();
                    store
                        .record_consumption(&ConsumptionRecord {
                            artifact: id,
                            run_id: run_id.clone(),
                            task: format!("t{}", t + 1),
                            input_name: "in".into(),
                        })
                        .unwrap();
                }
                store
                    .finish_run(&run_id, &Phase::Succeeded, "2024-01-01T00:00:00Z", None)
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let runs = store.list_runs(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 60);
    assert!(runs.iter().all(|r| r.phase == Phase::Succeeded));
    let d = store.run_details("w3-r7").unwrap().unwrap();
    assert_eq!(
        (d.tasks.len(), d.artifacts.len(), d.consumptions.len()),
        (5, 5, 5)
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// argot writes each artifact's kind into the workflow's `argot.dev/artifact-kinds`
/// annotation; a finished cluster run's lineage carries it. Without the annotation (a
/// workflow argot did not write) kinds stay unknown, and a malformed one is ignored.
#[test]
fn kinds_recorded_in_the_manifest_reach_the_lineage_of_a_cluster_run() {
    let view = fixture_view("artifact-kinds.yaml");
    assert_eq!(view.artifact_kind(Some("train"), "model"), Some("Model"));
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .record_run(&RunSnapshot::from_argo(&view, None))
        .unwrap();
    let kind_of = |selector: &str| {
        store
            .lineage(&ArtifactSelector::parse(selector))
            .unwrap()
            .artifact
            .record
            .kind
    };
    assert_eq!(
        kind_of("sweep-x7k2p/prepare/data").as_deref(),
        Some("Dataset")
    );
    assert_eq!(
        kind_of("sweep-x7k2p/train(0:0.1)/model").as_deref(),
        Some("Model")
    );
    let l = store
        .lineage(&ArtifactSelector::Uri(
            "s3://argot/sweep-x7k2p/pick-best/best-model.tgz".into(),
        ))
        .unwrap();
    assert_eq!(l.artifact.record.kind.as_deref(), Some("Model"));
    let text = argot_client::cli::render_lineage(&l);
    assert!(text.contains("kind: Model"), "{text}");

    let plain = fixture_view("artifact-passing-loop.yaml");
    assert!(plain.artifact_kinds.is_empty());
    let snap = RunSnapshot::from_argo(&plain, None);
    assert!(snap.artifacts.iter().all(|a| a.kind.is_none()));

    let path = format!(
        "{}/tests/data/artifact-kinds.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut doc: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["metadata"]["annotations"]["argot.dev/artifact-kinds"] = "{not json".into();
    let broken = WorkflowView::from_workflow(&doc).unwrap();
    assert!(broken.artifact_kinds.is_empty());
}
