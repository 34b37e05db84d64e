//! Node mapping, retries, loops, failure reports and progress on real Argo status documents.

use argot_client::Phase;
use argot_client::status::{StatusError, WorkflowView, encode_compressed_nodes, node_map};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn names(v: &WorkflowView) -> Vec<(&str, &str)> {
    v.tasks
        .iter()
        .map(|t| (t.name.as_str(), t.phase.as_str()))
        .collect()
}

#[test]
fn retry_node_is_one_task_with_its_attempts() {
    let v = WorkflowView::from_workflow(&fixture("dag_retry_succeeded.yaml")).unwrap();
    assert_eq!(v.name, "dag-with-retries-4wkh8");
    assert_eq!(names(&v), [("step1", "Succeeded")]);
    let t = &v.tasks[0];
    assert_eq!(t.node_type, "Retry");
    assert_eq!(t.attempts, 3);
    // the newest attempt's pod is the one to read logs from
    assert_eq!(
        t.pod_node_id.as_deref(),
        Some("dag-with-retries-4wkh8-2172006682")
    );
    assert_eq!(t.template.as_deref(), Some("randomly-fail"));
}

#[test]
fn failed_dag_reports_each_failed_task_with_its_reason() {
    let v = WorkflowView::from_workflow(&fixture("dag-disable-fail-fast.yaml")).unwrap();
    assert_eq!(v.phase, Phase::Failed);
    let failed: Vec<_> = v.failed_tasks().iter().map(|t| t.name.clone()).collect();
    assert_eq!(failed, ["C"]);
    let c = v.task("C").unwrap();
    assert_eq!(c.attempts, 2);
    assert_eq!(
        c.message.as_deref(),
        Some("failed with exit code 2 (No more retries left)")
    );
    let report = v.failure_report();
    assert!(report.starts_with("run dag-disable-fail-fast-"), "{report}");
    assert!(report.contains("  C Failed ("), "{report}");
    assert!(report.contains("2 attempts"), "{report}");
    let p = v.progress();
    assert_eq!((p.total, p.failed, p.running), (v.tasks.len(), 1, 0));
    assert_eq!(p.done, v.tasks.len() - 1);
}

#[test]
fn nested_dag_tasks_keep_their_path_and_omitted_tasks_count_as_done() {
    let v = WorkflowView::from_workflow(&fixture("dag-exhausted-retries-xfail.yaml")).unwrap();
    let n = names(&v);
    assert!(n.contains(&("success1", "Succeeded")), "{n:?}");
    assert!(n.contains(&("sub-dag1.fail", "Failed")), "{n:?}");
    assert!(n.contains(&("success2", "Omitted")), "{n:?}");
    // structural nodes (the root DAG, the nested DAG) are not tasks
    assert!(!n.iter().any(|(name, _)| *name == "sub-dag1"), "{n:?}");
    let s1 = v.task("success1").unwrap();
    assert_eq!(s1.output_artifacts[0].name, "main-logs");
    assert_eq!(
        s1.output_artifacts[0].uri.as_deref(),
        Some("s3://my-bucket/retry-with-dags/retry-with-dags-731586981/main.log")
    );
}

#[test]
fn step_group_markers_are_not_part_of_task_names() {
    let v = WorkflowView::from_workflow(&fixture("steps-failed-retries.yaml")).unwrap();
    let n = names(&v);
    assert!(n.contains(&("fail", "Failed")), "{n:?}");
    assert!(v.tasks.iter().all(|t| !t.name.contains('[')), "{n:?}");
}

#[test]
fn input_parameters_are_read() {
    let v = WorkflowView::from_workflow(&fixture("dag_xfail.yaml")).unwrap();
    let c = v.task("C").unwrap();
    assert_eq!(c.input_parameters[0].name, "cmd");
    assert_eq!(
        c.input_parameters[0].value.as_deref(),
        Some("echo C; exit 1")
    );
    assert_eq!(c.message.as_deref(), Some("failed with exit code 1"));
}

#[test]
fn loop_items_retries_and_outputs() {
    let v = WorkflowView::from_workflow(&fixture("artifact-passing-loop.yaml")).unwrap();
    assert_eq!(
        names(&v),
        [
            ("prepare", "Succeeded"),
            ("train(0:0.1)", "Succeeded"),
            ("train(1:0.01)", "Succeeded"),
            ("pick-best", "Succeeded"),
        ]
    );
    let t1 = v.task("train(1:0.01)").unwrap();
    assert_eq!(
        t1.loop_item.as_ref().map(|l| (l.index, l.value.as_str())),
        Some((1, "0.01"))
    );
    assert_eq!(t1.attempts, 2);
    assert_eq!(t1.pod_node_id.as_deref(), Some("sweep-x7k2p-2202"));
    assert_eq!(v.outputs.0[0].value.as_deref(), Some("0.93"));
    let report = v.outputs_report();
    assert!(
        report.contains("train(0:0.1).accuracy = 0.91\n"),
        "{report}"
    );
    assert!(
        report.contains("prepare.data -> s3://argot/sweep-x7k2p/prepare/data.tgz\n"),
        "{report}"
    );
    assert!(report.ends_with("run.best = 0.93\n"), "{report}");
}

#[test]
fn compressed_nodes_decode_to_the_same_view() {
    let plain = fixture("dag-disable-fail-fast.yaml");
    let mut compressed = plain.clone();
    let nodes = node_map(&plain).unwrap();
    let status = compressed["status"].as_object_mut().unwrap();
    status.remove("nodes");
    status.insert(
        "compressedNodes".into(),
        Value::String(encode_compressed_nodes(&nodes)),
    );
    assert_eq!(
        WorkflowView::from_workflow(&compressed).unwrap(),
        WorkflowView::from_workflow(&plain).unwrap()
    );
    status_corrupt(&mut compressed);
}

fn status_corrupt(wf: &mut Value) {
    wf["status"]["compressedNodes"] = Value::String("bm90IGd6aXA=".into()); // "not gzip"
    let err = WorkflowView::from_workflow(wf).unwrap_err();
    assert!(matches!(err, StatusError::CompressedGzip { .. }), "{err}");
}

#[test]
fn offloaded_status_says_what_to_do() {
    let mut wf = fixture("dag_retry_succeeded.yaml");
    let status = wf["status"].as_object_mut().unwrap();
    status.remove("nodes");
    status.insert("phase".into(), "Running".into());
    status.insert("offloadNodeStatusVersion".into(), "fnv:123456".into());
    let err = node_map(&wf).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("offloaded to Argo's database"), "{msg}");
    assert!(msg.contains("argo get dag-with-retries-4wkh8"), "{msg}");
    let v = WorkflowView::from_workflow(&wf).unwrap();
    assert_eq!(v.phase, Phase::Running);
    assert!(v.tasks.is_empty());
    assert!(v.offloaded.is_some());
}

/// Gzip of `len` bytes of `{` — not a node map, and highly compressible — then base64.
fn gzip_bomb(len: u64) -> String {
    use base64::Engine;
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b'{'; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        gz.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
}

#[test]
fn a_gzip_bomb_in_compressed_nodes_is_refused_without_inflating_it() {
    use argot_client::status::MAX_DECOMPRESSED_NODES;
    let bomb = gzip_bomb(MAX_DECOMPRESSED_NODES + (1 << 20));
    // A small document (under 100 KiB of base64) that would expand past 64 MiB.
    assert!(bomb.len() < 100 << 10, "{}", bomb.len());
    let wf = serde_json::json!({
        "metadata": {"name": "boom"},
        "status": {"phase": "Running", "compressedNodes": bomb},
    });
    let err = node_map(&wf).unwrap_err();
    assert!(
        matches!(err, StatusError::CompressedTooLarge { limit, .. } if limit == MAX_DECOMPRESSED_NODES),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "status.compressedNodes of workflow \"boom\" expands to more than 67108864 bytes, more than any node status Argo stores; refusing to decompress it"
    );
}

#[test]
fn the_decompression_bound_is_exact() {
    use argot_client::status::decode_compressed_nodes_within;
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "n".into(),
        serde_json::json!({"id": "n", "phase": "Running"}),
    );
    let json_len = serde_json::to_vec(&nodes).unwrap().len() as u64;
    let encoded = encode_compressed_nodes(&nodes);
    assert_eq!(
        decode_compressed_nodes_within("wf", &encoded, json_len).unwrap(),
        nodes
    );
    assert!(matches!(
        decode_compressed_nodes_within("wf", &encoded, json_len - 1),
        Err(StatusError::CompressedTooLarge { .. })
    ));
}

#[test]
fn reports_escape_control_characters_from_the_cluster() {
    let wf = serde_json::json!({
        "metadata": {"name": "wf"},
        "status": {
            "phase": "Failed",
            "message": "boom\u{1b}[2J",
            "nodes": {
                "wf": {"id": "wf", "name": "wf", "displayName": "wf", "type": "DAG", "phase": "Failed"},
                "wf-1": {"id": "wf-1", "name": "wf.fit", "displayName": "fit", "type": "Pod",
                          "templateName": "fit", "phase": "Failed", "message": "exit\r\u{7}",
                          "outputs": {"parameters": [{"name": "acc", "value": "0.9\n\u{1b}]0;x\u{7}"}]}},
            },
        },
    });
    let view = WorkflowView::from_workflow(&wf).unwrap();
    let failure = view.failure_report();
    assert_eq!(
        failure,
        "run wf Failed: boom\\x1b[2J\n  fit Failed (template fit): exit\\x0d\\x07\n"
    );
    let outputs = view.outputs_report();
    assert_eq!(outputs, "fit.acc = 0.9\\x0a\\x1b]0;x\\x07\n");
}
