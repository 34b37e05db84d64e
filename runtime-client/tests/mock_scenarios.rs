//! The client against a mock API server (`tower_test::mock::pair`): every request is asserted
//! and answered as the Kubernetes API server would.

#![cfg(feature = "cluster")]

use std::time::Duration;

use argot_client::ExitCode;
use argot_client::cli::{RunArgs, RunCommand, StoreArgs, SubmitArgs, outcome_exit};
use argot_client::cluster::{
    ArgoClient, ClientError, RetryPolicy, SubmitOptions, Target, WatchOutcome,
};
use argot_client::manifest::{LABEL_SUBMISSION, Manifest};
use argot_client::status::{WorkflowView, encode_compressed_nodes, node_map};
use argot_client::store::{MetadataStore, SqliteStore};
use http::{Method, Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock::{Handle, SendResponse};

type ApiServer = Handle<Request<Body>, Response<Body>>;

const WF_PATH: &str = "/apis/argoproj.io/v1alpha1/namespaces/ml/workflows";

fn client() -> (ArgoClient, ApiServer) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = ArgoClient::new(
        kube::Client::new(service, "ml"),
        "ml",
        Target {
            context: "kind-test".into(),
            cluster_url: "https://127.0.0.1:6443/".into(),
        },
    )
    .with_retry(RetryPolicy {
        attempts: 4,
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
    });
    (client, handle)
}

fn manifest() -> Manifest {
    Manifest::parse(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: hello-\nspec:\n  entrypoint: main\n",
    )
    .unwrap()
}

/// The next request, checked: method, path, and that the query has each `key=value` pair.
async fn expect(
    api: &mut ApiServer,
    method: Method,
    path: &str,
    query: &[&str],
) -> (Request<Body>, SendResponse<Response<Body>>) {
    let (req, send) = api
        .next_request()
        .await
        .expect("the client sent no request");
    assert_eq!(req.method(), method, "{}", req.uri());
    assert_eq!(req.uri().path(), path, "{}", req.uri());
    let q = req.uri().query().unwrap_or("");
    for pair in query {
        assert!(
            q.split('&').any(|p| p == *pair),
            "query {q:?} lacks {pair:?}"
        );
    }
    (req, send)
}

async fn body_json(req: Request<Body>) -> Value {
    let bytes = req.into_body().collect_bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn reply(send: SendResponse<Response<Body>>, code: u16, body: &Value) {
    send.send_response(
        Response::builder()
            .status(code)
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap(),
    );
}

/// A watch response: one JSON event per line, then the stream ends (a disconnect).
fn reply_events(send: SendResponse<Response<Body>>, events: &[Value]) {
    let mut body = Vec::new();
    for e in events {
        body.extend(serde_json::to_vec(e).unwrap());
        body.push(b'\n');
    }
    send.send_response(
        Response::builder()
            .status(200)
            .body(Body::from(body))
            .unwrap(),
    );
}

fn status(code: u16, reason: &str, message: &str, details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "details": details, "code": code})
}

fn workflow(name: &str, rv: &str, phase: &str, nodes: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ml", "resourceVersion": rv,
                     "labels": {"argot.dev/pipeline": "hello"}},
        "spec": {"entrypoint": "main"},
        "status": {"phase": phase, "startedAt": "2024-05-01T10:00:00Z", "nodes": nodes},
    })
}

fn list(rv: &str, items: &[Value]) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList",
           "metadata": {"resourceVersion": rv}, "items": items})
}

fn pod_node(wf: &str, task: &str, phase: &str) -> (String, Value) {
    let id = format!("{wf}-{}", task.len());
    let node = json!({"id": id, "name": format!("{wf}.{task}"), "displayName": task,
                      "type": "Pod", "templateName": task, "phase": phase,
                      "startedAt": "2024-05-01T10:00:01Z"});
    (id, node)
}

fn nodes(wf: &str, tasks: &[(&str, &str)]) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(
        wf.into(),
        json!({"id": wf, "name": wf, "displayName": wf, "type": "DAG"}),
    );
    for (t, p) in tasks {
        let (id, n) = pod_node(wf, t, p);
        m.insert(id, n);
    }
    Value::Object(m)
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Answers every request with 503 until none comes for 10 s (the client gave up); returns
/// how many it answered.
async fn answer_busy_until_given_up(api: &mut ApiServer) -> usize {
    let mut answered = 0;
    while let Ok(Some((_, send))) =
        tokio::time::timeout(Duration::from_secs(10), api.next_request()).await
    {
        reply(
            send,
            503,
            &status(503, "ServiceUnavailable", "busy", json!({})),
        );
        answered += 1;
        assert!(answered < 100, "retried without bound");
    }
    answered
}

/// Serves the initial list of a one-workflow watch and returns the watch request.
async fn serve_list(api: &mut ApiServer, name: &str, obj: Value) {
    let selector = format!("fieldSelector=metadata.name%3D{name}");
    let (_, send) = expect(api, Method::GET, WF_PATH, &[&selector]).await;
    let rv = obj["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    reply(send, 200, &list(&rv, &[obj]));
}

#[tokio::test]
async fn happy_path_submit_and_watch_to_success() {
    let (client, mut api) = client();
    let dir = tempfile::tempdir().unwrap();
    let args = SubmitArgs {
        watch: true,
        parameters: vec!["greeting=hi".into()],
        version: Some("1.2.0".into()),
        source_revision: Some("abc123".into()),
        store: StoreArgs {
            store: Some(dir.path().join("m.db")),
        },
        ..SubmitArgs::default()
    };
    let m = manifest();
    let run = tokio::spawn(async move { args.run_with(&client, &m).await });

    let (req, send) = expect(&mut api, Method::POST, WF_PATH, &["fieldManager=argot"]).await;
    let body = body_json(req).await;
    let labels = &body["metadata"]["labels"];
    assert_eq!(labels["argot.dev/pipeline"], "hello");
    assert_eq!(labels["argot.dev/version"], "1.2.0");
    assert_eq!(labels["argot.dev/source-revision"], "abc123");
    assert_eq!(labels[LABEL_SUBMISSION].as_str().unwrap().len(), 16);
    assert_eq!(body["metadata"]["namespace"], "ml");
    assert_eq!(
        body["spec"]["arguments"]["parameters"][0],
        json!({"name": "greeting", "value": "hi"})
    );
    let mut created = body.clone();
    created["metadata"]["name"] = json!("hello-abcde");
    created["metadata"]["resourceVersion"] = json!("1");
    reply(send, 201, &created);

    serve_list(
        &mut api,
        "hello-abcde",
        workflow(
            "hello-abcde",
            "1",
            "Running",
            nodes("hello-abcde", &[("a", "Running")]),
        ),
    )
    .await;
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["watch=true", "resourceVersion=1"],
    )
    .await;
    reply_events(
        send,
        &[
            json!({"type": "MODIFIED", "object": workflow("hello-abcde", "2", "Running", nodes("hello-abcde", &[("a", "Succeeded"), ("bb", "Running")]))}),
            json!({"type": "MODIFIED", "object": workflow("hello-abcde", "3", "Succeeded", nodes("hello-abcde", &[("a", "Succeeded"), ("bb", "Succeeded")]))}),
        ],
    );
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::Ok);

    // the watch recorded the run in the store
    let store = SqliteStore::open(dir.path().join("m.db")).unwrap();
    let d = store.run_details("hello-abcde").unwrap().unwrap();
    assert_eq!(d.run.phase, argot_client::Phase::Succeeded);
    assert_eq!(d.run.location.as_deref(), Some("kind-test/ml"));
    assert_eq!(d.tasks.len(), 2);
}

#[tokio::test]
async fn conflict_on_create_names_the_object_and_what_to_do() {
    let (client, mut api) = client();
    let mut m = manifest();
    m.value["metadata"] = json!({"name": "hello"});
    let run = tokio::spawn(async move { client.submit(&m, &SubmitOptions::default()).await });
    let (_, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    reply(
        send,
        409,
        &status(
            409,
            "AlreadyExists",
            "workflows.argoproj.io \"hello\" already exists",
            json!({"name": "hello", "group": "argoproj.io", "kind": "workflows"}),
        ),
    );
    // is it our own earlier attempt? no: another submission's run
    let (_, send) = expect(&mut api, Method::GET, &format!("{WF_PATH}/hello"), &[]).await;
    let mut other = workflow("hello", "7", "Running", json!({}));
    other["metadata"]["labels"][LABEL_SUBMISSION] = json!("someone-else");
    reply(send, 200, &other);
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::Conflict { .. }), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::Cluster);
    let msg = err.to_string();
    assert!(
        msg.contains("workflows.argoproj.io \"hello\" already exists in namespace \"ml\""),
        "{msg}"
    );
    assert!(msg.contains("generateName"), "{msg}");
}

#[tokio::test]
async fn forbidden_names_verb_resource_and_namespace() {
    let (client, mut api) = client();
    let m = manifest();
    let run = tokio::spawn(async move { client.submit(&m, &SubmitOptions::default()).await });
    let (_, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    reply(
        send,
        403,
        &status(
            403,
            "Forbidden",
            "workflows.argoproj.io is forbidden: User \"dev\" cannot create resource \"workflows\" in API group \"argoproj.io\" in the namespace \"ml\"",
            json!({"group": "argoproj.io", "kind": "workflows"}),
        ),
    );
    let err = run.await.unwrap().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("cannot create workflows.argoproj.io in namespace \"ml\""),
        "{msg}"
    );
    assert!(
        msg.contains("kubectl auth can-i create workflows.argoproj.io -n ml"),
        "{msg}"
    );
    assert_eq!(err.exit_code(), ExitCode::Cluster);
}

#[tokio::test]
async fn missing_crd_says_argo_is_not_installed() {
    let (client, mut api) = client();
    let m = manifest();
    let run = tokio::spawn(async move { client.submit(&m, &SubmitOptions::default()).await });
    let (_, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    reply(
        send,
        404,
        &status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        ),
    );
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::CrdMissing { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("Argo Workflows' CRDs are not installed"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_and_server_errors_are_retried_without_duplicating_the_run() {
    let (client, mut api) = client();
    let m = manifest();
    let opts = SubmitOptions {
        submission_id: Some("sub-1".into()),
        ..SubmitOptions::default()
    };
    let run = tokio::spawn(async move { client.submit(&m, &opts).await });
    let by_label = ["labelSelector=argot.dev%2Fsubmission%3Dsub-1"];
    // an explicit submission id: look for an earlier run first
    let (_, send) = expect(&mut api, Method::GET, WF_PATH, &by_label).await;
    reply(send, 200, &list("1", &[]));
    let (_, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    reply(
        send,
        429,
        &status(429, "TooManyRequests", "rate limited", json!({})),
    );
    // 429 = not processed: retried directly
    let (_, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    reply(
        send,
        503,
        &status(503, "ServiceUnavailable", "etcd timeout", json!({})),
    );
    // 503 is ambiguous: list by submission before creating again
    let (_, send) = expect(&mut api, Method::GET, WF_PATH, &by_label).await;
    reply(send, 200, &list("2", &[]));
    let (req, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    let mut created = body_json(req).await;
    assert_eq!(created["metadata"]["labels"][LABEL_SUBMISSION], "sub-1");
    created["metadata"]["name"] = json!("hello-xyz12");
    reply(send, 201, &created);
    let s = run.await.unwrap().unwrap();
    assert_eq!((s.name.as_str(), s.created), ("hello-xyz12", true));
}

#[tokio::test(start_paused = true)]
async fn an_ambiguous_failure_that_did_create_the_run_is_not_created_twice() {
    let (client, mut api) = client();
    let m = manifest();
    let run = tokio::spawn(async move { client.submit(&m, &SubmitOptions::default()).await });
    let (req, send) = expect(&mut api, Method::POST, WF_PATH, &[]).await;
    let body = body_json(req).await;
    let sub = body["metadata"]["labels"][LABEL_SUBMISSION]
        .as_str()
        .unwrap()
        .to_owned();
    reply(
        send,
        500,
        &status(500, "InternalError", "the server timed out", json!({})),
    );
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &[&format!("labelSelector=argot.dev%2Fsubmission%3D{sub}")],
    )
    .await;
    let mut existing = workflow("hello-made1", "5", "Running", json!({}));
    existing["metadata"]["labels"][LABEL_SUBMISSION] = json!(sub);
    reply(send, 200, &list("5", &[existing]));
    let s = run.await.unwrap().unwrap();
    assert_eq!((s.name.as_str(), s.created), ("hello-made1", false));
}

#[tokio::test(start_paused = true)]
async fn unreachable_server_names_context_and_url() {
    let (client, mut api) = client();
    let run = tokio::spawn(async move { client.get("hello").await });
    for _ in 0..4 {
        let (_, send) = expect(&mut api, Method::GET, &format!("{WF_PATH}/hello"), &[]).await;
        send.send_error(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
    }
    let err = run.await.unwrap().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("https://127.0.0.1:6443/"), "{msg}");
    assert!(msg.contains("context \"kind-test\""), "{msg}");
    assert_eq!(err.exit_code(), ExitCode::Cluster);
}

#[tokio::test(start_paused = true)]
async fn watch_resumes_after_a_disconnect_from_the_last_resource_version() {
    let (client, mut api) = client();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let run = tokio::spawn(async move {
        client
            .watch("wf", Some(Duration::from_secs(600)), move |v| {
                seen2.lock().unwrap().push(v.phase.to_string());
            })
            .await
    });
    serve_list(
        &mut api,
        "wf",
        workflow("wf", "10", "Running", nodes("wf", &[("a", "Running")])),
    )
    .await;
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["watch=true", "resourceVersion=10"],
    )
    .await;
    reply_events(
        send,
        &[
            json!({"type": "MODIFIED", "object": workflow("wf", "15", "Running", nodes("wf", &[("a", "Succeeded")]))}),
        ],
    );
    // the stream ended: the watcher resumes from the last version it saw
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["watch=true", "resourceVersion=15"],
    )
    .await;
    reply_events(
        send,
        &[
            json!({"type": "MODIFIED", "object": workflow("wf", "20", "Succeeded", nodes("wf", &[("a", "Succeeded")]))}),
        ],
    );
    let outcome = run.await.unwrap().unwrap();
    assert!(
        matches!(&outcome, WatchOutcome::Finished(v) if v.phase == argot_client::Phase::Succeeded)
    );
    assert_eq!(*seen.lock().unwrap(), ["Running", "Running", "Succeeded"]);
}

#[tokio::test(start_paused = true)]
async fn watch_relists_after_410_gone() {
    let (client, mut api) = client();
    let run = tokio::spawn(async move { client.watch("wf", None, |_| {}).await });
    serve_list(&mut api, "wf", workflow("wf", "10", "Running", json!({}))).await;
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["watch=true", "resourceVersion=10"],
    )
    .await;
    reply_events(
        send,
        &[
            json!({"type": "ERROR", "object": status(410, "Expired", "too old resource version: 10 (500)", json!({}))}),
        ],
    );
    // re-list (not a watch), then watch from the new version
    let (req, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["fieldSelector=metadata.name%3Dwf"],
    )
    .await;
    assert!(!req.uri().query().unwrap().contains("watch=true"));
    reply(
        send,
        200,
        &list("600", &[workflow("wf", "600", "Succeeded", json!({}))]),
    );
    let outcome = run.await.unwrap().unwrap();
    assert!(matches!(outcome, WatchOutcome::Finished(_)));
}

#[tokio::test(start_paused = true)]
async fn watch_backs_off_on_server_errors_and_stops_on_forbidden() {
    let (client, mut api) = client();
    let run = tokio::spawn(async move { client.watch("wf", None, |_| {}).await });
    let before = tokio::time::Instant::now();
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["fieldSelector=metadata.name%3Dwf"],
    )
    .await;
    reply(
        send,
        500,
        &status(500, "InternalError", "etcd leader changed", json!({})),
    );
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["fieldSelector=metadata.name%3Dwf"],
    )
    .await;
    assert!(
        before.elapsed() >= Duration::from_millis(10),
        "retried without backoff"
    );
    reply(
        send,
        403,
        &status(403, "Forbidden", "cannot list", json!({})),
    );
    let err = run.await.unwrap().unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot list workflows.argoproj.io in namespace \"ml\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_run_exits_5_and_reports_each_failed_task() {
    let (client, mut api) = client();
    let dir = tempfile::tempdir().unwrap();
    let cmd = RunCommand::Watch {
        run: RunArgs {
            run: "dag-disable-fail-fast-r6xdc".into(),
            cluster: Default::default(),
            store: StoreArgs {
                store: Some(dir.path().join("m.db")),
            },
        },
        timeout: None,
    };
    let run = tokio::spawn(async move { cmd.run_with(&client).await });
    let mut wf = fixture("dag-disable-fail-fast.yaml");
    let name = wf["metadata"]["name"].as_str().unwrap().to_owned();
    assert_eq!(name, "dag-disable-fail-fast-r6xdc");
    wf["metadata"]["resourceVersion"] = json!("3");
    serve_list(&mut api, &name, wf.clone()).await;
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::RunFailed);

    let view = WorkflowView::from_workflow(&wf).unwrap();
    let mut report = Vec::new();
    assert_eq!(
        outcome_exit(&WatchOutcome::Finished(Box::new(view)), &mut report),
        ExitCode::RunFailed
    );
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("run dag-disable-fail-fast-r6xdc Failed"),
        "{report}"
    );
    assert!(report.contains("  C Failed (template"), "{report}");
    assert!(report.contains("failed with exit code 2"), "{report}");
}

#[tokio::test(start_paused = true)]
async fn timeout_exits_6() {
    let (client, mut api) = client();
    let cmd = RunCommand::Watch {
        run: RunArgs {
            run: "wf".into(),
            cluster: Default::default(),
            store: StoreArgs {
                store: Some(tempfile::tempdir().unwrap().path().join("m.db")),
            },
        },
        timeout: Some(Duration::from_secs(30)),
    };
    let run = tokio::spawn(async move { cmd.run_with(&client).await });
    serve_list(&mut api, "wf", workflow("wf", "1", "Running", json!({}))).await;
    // the watch is accepted but nothing changes: hold the response open
    let (_, _held) = expect(&mut api, Method::GET, WF_PATH, &["watch=true"]).await;
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::Timeout);
}

#[tokio::test]
async fn compressed_nodes_are_decoded_while_watching() {
    let (client, mut api) = client();
    let run =
        tokio::spawn(async move { client.watch("dag-with-retries-4wkh8", None, |_| {}).await });
    let mut wf = fixture("dag_retry_succeeded.yaml");
    let nodes = node_map(&wf).unwrap();
    let st = wf["status"].as_object_mut().unwrap();
    st.remove("nodes");
    st.insert(
        "compressedNodes".into(),
        json!(encode_compressed_nodes(&nodes)),
    );
    st.insert("phase".into(), json!("Succeeded"));
    serve_list(&mut api, "dag-with-retries-4wkh8", wf).await;
    match run.await.unwrap().unwrap() {
        WatchOutcome::Finished(v) => {
            assert_eq!(v.tasks.len(), 1);
            assert_eq!(
                (v.tasks[0].name.as_str(), v.tasks[0].attempts),
                ("step1", 3)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn stop_and_terminate_patch_spec_shutdown() {
    for (how, word) in [("stop", "Stop"), ("terminate", "Terminate")] {
        let (client, mut api) = client();
        let run = tokio::spawn(async move {
            if how == "stop" {
                client.stop("wf").await
            } else {
                client.terminate("wf").await
            }
        });
        let (req, send) = expect(&mut api, Method::PATCH, &format!("{WF_PATH}/wf"), &[]).await;
        assert_eq!(
            req.headers()["content-type"],
            "application/merge-patch+json"
        );
        assert_eq!(body_json(req).await, json!({"spec": {"shutdown": word}}));
        reply(send, 200, &workflow("wf", "9", "Running", json!({})));
        run.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn apply_uses_server_side_apply_for_templates() {
    let (other, _api2) = client();
    let (client, mut api) = client();
    let m = Manifest::parse("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: nightly\nspec:\n  schedules: ['0 2 * * *']\n").unwrap();
    let run = tokio::spawn(async move { client.apply(&m, false).await });
    let (req, send) = expect(
        &mut api,
        Method::PATCH,
        "/apis/argoproj.io/v1alpha1/namespaces/ml/cronworkflows/nightly",
        &["fieldManager=argot", "force=true"],
    )
    .await;
    assert_eq!(
        req.headers()["content-type"],
        "application/apply-patch+yaml"
    );
    let body = body_json(req).await;
    reply(send, 200, &body);
    run.await.unwrap().unwrap();

    let err = other.apply(&manifest(), false).await.unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Usage);
    assert!(err.to_string().contains("argot submit FILE"), "{err}");
}

#[tokio::test]
async fn logs_find_the_pod_of_each_task() {
    let (client, mut api) = client();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let l2 = lines.clone();
    let run = tokio::spawn(async move {
        client
            .logs(
                "dag-with-retries-4wkh8",
                Some("step1"),
                false,
                move |t, l| {
                    l2.lock().unwrap().push(format!("{t}: {l}"));
                },
            )
            .await
    });
    let (_, send) = expect(
        &mut api,
        Method::GET,
        &format!("{WF_PATH}/dag-with-retries-4wkh8"),
        &[],
    )
    .await;
    reply(send, 200, &fixture("dag_retry_succeeded.yaml"));
    let (_, send) = expect(
        &mut api,
        Method::GET,
        "/api/v1/namespaces/ml/pods",
        &["labelSelector=workflows.argoproj.io%2Fworkflow%3Ddag-with-retries-4wkh8"],
    )
    .await;
    reply(
        send,
        200,
        &json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
            {"metadata": {"name": "dag-with-retries-4wkh8-randomly-fail-2172006682",
                          "annotations": {"workflows.argoproj.io/node-id": "dag-with-retries-4wkh8-2172006682"}}},
            {"metadata": {"name": "dag-with-retries-4wkh8-randomly-fail-2105190396",
                          "annotations": {"workflows.argoproj.io/node-id": "dag-with-retries-4wkh8-2105190396"}}}
        ]}),
    );
    // the newest attempt's pod, main container
    let (_, send) = expect(
        &mut api,
        Method::GET,
        "/api/v1/namespaces/ml/pods/dag-with-retries-4wkh8-randomly-fail-2172006682/log",
        &["container=main"],
    )
    .await;
    send.send_response(Response::new(Body::from(b"hello\nworld\n".to_vec())));
    run.await.unwrap().unwrap();
    assert_eq!(*lines.lock().unwrap(), ["step1: hello", "step1: world"]);
}

#[test]
fn submitting_a_template_kind_is_a_usage_error_with_a_hint() {
    let m = Manifest::parse(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: t\n",
    )
    .unwrap();
    let err = m.require_workflow().unwrap_err();
    assert!(err.to_string().contains("argot apply FILE"), "{err}");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn submit_and_watch_on_a_real_cluster() {
    // Run with ARGOT_SMOKE_MANIFEST=path/to/workflow.yaml against the current kubeconfig context.
    let path = std::env::var("ARGOT_SMOKE_MANIFEST").expect("set ARGOT_SMOKE_MANIFEST");
    let m = Manifest::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let client = ArgoClient::connect(&Default::default()).await.unwrap();
    let s = client.submit(&m, &SubmitOptions::default()).await.unwrap();
    let outcome = client
        .watch(&s.name, Some(Duration::from_secs(600)), |_| {})
        .await
        .unwrap();
    assert!(
        matches!(outcome, WatchOutcome::Finished(v) if v.phase == argot_client::Phase::Succeeded)
    );
}

/// The manifest argot's compiler emits for the quickstart (the reviewed golden), as submitted
/// by `quickstart submit`: the client needs nothing but the YAML.
fn quickstart_golden() -> Manifest {
    golden(include_str!("../../golden/quickstart.argo.snap"))
}

/// The manifest of an insta snapshot: a `---` header block, then the manifest.
fn golden(snap: &str) -> Manifest {
    let yaml = snap
        .splitn(3, "---\n")
        .nth(2)
        .expect("insta header then body");
    Manifest::parse(yaml).unwrap()
}

/// A pipeline binary's `submit` of a CronWorkflow or WorkflowTemplate (the `nightly` and
/// `ml_library` goldens) creates that object with server-side apply — it is not run: `-p`
/// becomes the runs' argument defaults (a CronWorkflow's in `spec.workflowSpec`), the labels
/// go on it, and `--watch` is refused before anything is sent.
#[tokio::test]
async fn a_cron_workflow_or_template_is_created_not_run() {
    let (client, mut api) = client();
    let args = SubmitArgs {
        parameters: vec!["rows=20000".into()],
        version: Some("2.0.0".into()),
        ..SubmitArgs::default()
    };
    let cron = golden(include_str!("../../golden/nightly.argo.snap"));
    let (c, a) = (client.clone(), args.clone());
    let run = tokio::spawn(async move { a.publish_with(&c, &cron).await });
    let (req, send) = expect(
        &mut api,
        Method::PATCH,
        "/apis/argoproj.io/v1alpha1/namespaces/ml/cronworkflows/nightly",
        &["fieldManager=argot", "force=true"],
    )
    .await;
    assert_eq!(
        req.headers()["content-type"],
        "application/apply-patch+yaml"
    );
    let body = body_json(req).await;
    assert_eq!(body["kind"], "CronWorkflow");
    assert_eq!(body["metadata"]["namespace"], "ml");
    assert_eq!(body["metadata"]["labels"]["argot.dev/version"], "2.0.0");
    assert_eq!(body["spec"]["schedules"], json!(["0 3 * * *"]));
    assert_eq!(
        body["spec"]["workflowSpec"]["arguments"]["parameters"][0],
        json!({"name": "rows", "value": "20000"})
    );
    assert!(body["spec"].get("arguments").is_none(), "{body}");
    reply(send, 200, &body);
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::Ok);

    let library = golden(include_str!("../../golden/ml_library.argo.snap"));
    let run = tokio::spawn(async move { args.publish_with(&client, &library).await });
    let (req, send) = expect(
        &mut api,
        Method::PATCH,
        "/apis/argoproj.io/v1alpha1/namespaces/ml/workflowtemplates/ml-library",
        &["fieldManager=argot"],
    )
    .await;
    let body = body_json(req).await;
    assert_eq!(
        body["spec"]["arguments"]["parameters"][0],
        json!({"name": "rows", "value": "20000"})
    );
    reply(send, 200, &body);
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::Ok);

    let (client, _unused) = self::client();
    let watching = SubmitArgs {
        watch: true,
        ..SubmitArgs::default()
    };
    let cron = golden(include_str!("../../golden/nightly.argo.snap"));
    let err = watching.publish_with(&client, &cron).await.unwrap_err();
    assert!(err.to_string().contains("created, not run"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Usage);
}

#[tokio::test]
async fn the_compiled_quickstart_submits_and_watches_to_success() {
    let (client, mut api) = client();
    let dir = tempfile::tempdir().unwrap();
    let args = SubmitArgs {
        watch: true,
        parameters: vec!["rows=5000".into()],
        store: StoreArgs {
            store: Some(dir.path().join("m.db")),
        },
        ..SubmitArgs::default()
    };
    let m = quickstart_golden();
    let run = tokio::spawn(async move { args.run_with(&client, &m).await });

    let (req, send) = expect(&mut api, Method::POST, WF_PATH, &["fieldManager=argot"]).await;
    let body = body_json(req).await;
    assert_eq!(body["metadata"]["generateName"], "quickstart-");
    assert_eq!(
        body["metadata"]["labels"]["argot.dev/pipeline"],
        "quickstart"
    );
    let params = body["spec"]["arguments"]["parameters"].as_array().unwrap();
    assert_eq!(params[0], json!({"name": "rows", "value": "5000"}));
    assert_eq!(params[1], json!({"name": "learning_rate", "value": "0.5"}));
    let mut created = body.clone();
    created["metadata"]["name"] = json!("quickstart-x1y2z");
    created["metadata"]["resourceVersion"] = json!("1");
    reply(send, 201, &created);

    let tasks = [
        ("prepare", "Succeeded"),
        ("train", "Succeeded"),
        ("evaluate", "Succeeded"),
    ];
    serve_list(
        &mut api,
        "quickstart-x1y2z",
        workflow(
            "quickstart-x1y2z",
            "1",
            "Succeeded",
            nodes("quickstart-x1y2z", &tasks),
        ),
    )
    .await;
    assert_eq!(run.await.unwrap().unwrap(), ExitCode::Ok);
    let store = SqliteStore::open(dir.path().join("m.db")).unwrap();
    let d = store.run_details("quickstart-x1y2z").unwrap().unwrap();
    let names: Vec<&str> = d.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["evaluate", "prepare", "train"]);
}

#[tokio::test(start_paused = true)]
async fn a_request_without_an_answer_fails_within_the_request_timeout() {
    let (client, mut api) = client();
    let client = client.with_request_timeout(Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    let run = tokio::spawn(async move { client.stop("wf").await });
    // Take the request and never answer it.
    let (_req, _never) = expect(&mut api, Method::PATCH, &format!("{WF_PATH}/wf"), &[]).await;
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::NoAnswer { .. }), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::Cluster);
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert!(
        err.to_string().starts_with(
            "no answer from the Kubernetes API server at https://127.0.0.1:6443/ (context \"kind-test\") within 5s to patch workflows.argoproj.io in namespace \"ml\""
        ),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_of_server_errors_end_within_the_request_timeout() {
    let (client, mut api) = client();
    // More attempts than fit in the time: the deadline ends the retries, not the count.
    let client = client
        .with_retry(RetryPolicy {
            attempts: 100,
            initial: Duration::from_millis(400),
            max: Duration::from_secs(1),
        })
        .with_request_timeout(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let run = tokio::spawn(async move { client.delete("wf").await });
    let answered = answer_busy_until_given_up(&mut api).await;
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Cluster);
    assert!(
        started.elapsed() <= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // 0.4 + 0.8 + 1 (cap) = 2.2 s of waiting, then the next 1 s wait would pass the deadline.
    assert_eq!(answered, 4);
    assert!(
        err.to_string().starts_with("delete workflows.argoproj.io"),
        "{err}"
    );
}

#[tokio::test]
async fn hostile_run_names_never_reach_the_server() {
    let (client, mut api) = client();
    for name in [
        "../../x",
        "a?dryRun=All",
        "x,metadata.namespace=y",
        "",
        "Upper",
    ] {
        let errors = [
            client.stop(name).await.unwrap_err(),
            client.terminate(name).await.unwrap_err(),
            client.delete(name).await.unwrap_err(),
            client.get(name).await.unwrap_err(),
            client.resubmit(name).await.unwrap_err(),
            client.watch(name, None, |_| {}).await.unwrap_err(),
            client.logs(name, None, false, |_, _| {}).await.unwrap_err(),
        ];
        for err in errors {
            assert!(
                matches!(err, ClientError::InvalidName { what: "run", .. }),
                "{name:?}: {err:?}"
            );
            assert_eq!(err.exit_code(), ExitCode::Usage);
        }
    }
    for id in ["a,b=c", "x=y", "-a", ""] {
        let opts = SubmitOptions {
            submission_id: Some(id.into()),
            ..SubmitOptions::default()
        };
        let err = client.submit(&manifest(), &opts).await.unwrap_err();
        assert!(
            matches!(err, ClientError::InvalidSubmissionId(_)),
            "{id:?}: {err:?}"
        );
        assert_eq!(err.exit_code(), ExitCode::Usage);
    }
    drop(client);
    assert!(api.next_request().await.is_none(), "a request was sent");
}

#[tokio::test(start_paused = true)]
async fn watch_reports_each_retry_with_capped_backoff_then_gives_up() {
    let (client, mut api) = client();
    let client = client.with_request_timeout(Duration::from_secs(1));
    let notices = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = notices.clone();
    let run = tokio::spawn(async move {
        client
            .watch_reporting("wf", None, |_| {}, |n| seen.lock().unwrap().push(n.clone()))
            .await
    });
    answer_busy_until_given_up(&mut api).await;
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, ClientError::WatchGaveUp { .. }), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::Cluster);
    let notices = notices.lock().unwrap();
    let delays: Vec<u128> = notices.iter().map(|n| n.delay.as_millis()).collect();
    // The policy of `client()`: 10 ms doubling, capped at 100 ms, within 1 s.
    assert_eq!(&delays[..6], &[10, 20, 40, 80, 100, 100]);
    assert!(
        notices
            .iter()
            .enumerate()
            .all(|(i, n)| n.attempt == i as u32 + 1)
    );
    assert_eq!(notices[0].cause, "503 ServiceUnavailable: busy");
    assert!(delays.iter().sum::<u128>() <= 1000);
}

#[tokio::test]
async fn a_quiet_watch_is_renewed_by_the_server_before_the_read_timeout() {
    // With the default 30 s request timeout the transport's read timeout is 31 s; the server
    // must close each watch request before that, so silence is never mistaken for a failure.
    let (client, mut api) = client();
    let run = tokio::spawn(async move { client.watch("wf", None, |_| {}).await });
    serve_list(&mut api, "wf", workflow("wf", "1", "Running", json!({}))).await;
    let (_, send) = expect(
        &mut api,
        Method::GET,
        WF_PATH,
        &["watch=true", "resourceVersion=1", "timeoutSeconds=22"],
    )
    .await;
    reply_events(
        send,
        &[json!({"type": "MODIFIED", "object": workflow("wf", "2", "Succeeded", json!({}))})],
    );
    let outcome = run.await.unwrap().unwrap();
    assert!(matches!(outcome, WatchOutcome::Finished(_)), "{outcome:?}");
}

#[test]
fn run_names_are_dns_1123_subdomains() {
    use argot_client::cluster::validate_run_name;
    let longest = format!("a{}", "b".repeat(252));
    for ok in ["a", "train-x7k2p", "a.b-c.d", "0abc9", longest.as_str()] {
        assert!(validate_run_name(ok).is_ok(), "{ok:?}");
    }
    let too_long = format!("{longest}c");
    for bad in [
        "",
        "-a",
        "a-",
        ".a",
        "a..b",
        "a.-b",
        "A",
        "a_b",
        "a b",
        "a/b",
        "a%2Fb",
        "ä",
        too_long.as_str(),
    ] {
        let err = validate_run_name(bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("invalid run name {bad:?}: ")),
            "{err}"
        );
    }
}
