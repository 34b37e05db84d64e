//! Every cluster command against a real (loopback) HTTP server that misbehaves: refuses
//! connections, resets them, answers 500/503, or never answers. Each must exit 7 within the
//! request timeout, with the cause on stderr. The binary reads a kubeconfig pointing at the
//! server, as it would a real cluster's.

#![cfg(feature = "cluster")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing listens on the port.
    Refuse,
    /// Accepts, then closes with unread data, which makes the kernel send a reset.
    Reset,
    /// Answers every request with this status and a Kubernetes `Status` body.
    Status(u16),
    /// Accepts and never answers.
    Silent,
    /// Answers every request 200 with this body (a well-behaved server).
    Answer(&'static str),
}

/// A loopback server for one fault; stops when dropped. Its thread also ends by itself after
/// a minute, so a failing test cannot leave it running.
struct FaultServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultServer {
    fn start(fault: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        if fault == Fault::Refuse {
            // The port was just free; closing the listener leaves it refusing connections.
            drop(listener);
            return FaultServer {
                port,
                stop,
                thread: None,
            };
        }
        listener.set_nonblocking(true).unwrap();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || serve(&listener, fault, &flag));
        FaultServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(listener: &TcpListener, fault: Fault, stop: &AtomicBool) {
    let started = Instant::now();
    let mut held = Vec::new();
    while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        match fault {
            Fault::Refuse => unreachable!("no listener"),
            Fault::Reset => {
                // Wait for the request to arrive, leave it unread, and close: Linux answers
                // unread data on close with RST.
                let mut probe = [0u8; 1];
                let _ = stream.peek(&mut probe);
                drop(stream);
            }
            Fault::Status(code) => answer(stream, code, "Oops", &status_body(code)),
            Fault::Answer(body) => answer(stream, 200, "OK", body),
            Fault::Silent => held.push(stream),
        }
    }
}

fn status_body(code: u16) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"the server is on fire","reason":"InternalError","code":{code}}}"#
    )
}

/// Reads one request's head and answers `code` with `body`.
fn answer(mut stream: TcpStream, code: u16, reason: &str, body: &str) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 1 << 20 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}

fn write_kubeconfig(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: faulty\n  context:\n    cluster: local\n    user: me\n    namespace: ml\ncurrent-context: faulty\nusers:\n- name: me\n  user:\n    token: not-a-secret\n"
        ),
    )
    .unwrap();
    path
}

const WORKFLOW: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: hello-\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: alpine:3.20\n";
const TEMPLATE: &str = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: nightly\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: alpine:3.20\n";

/// Every cluster command, with the arguments it needs.
fn commands(dir: &Path) -> Vec<Vec<String>> {
    let wf = dir.join("wf.yaml");
    let tpl = dir.join("tpl.yaml");
    std::fs::write(&wf, WORKFLOW).unwrap();
    std::fs::write(&tpl, TEMPLATE).unwrap();
    let p = |p: &Path| p.display().to_string();
    [
        vec!["submit".into(), p(&wf)],
        vec!["watch".into(), "hello-abcde".into()],
        vec!["logs".into(), "hello-abcde".into()],
        vec!["outputs".into(), "hello-abcde".into()],
        vec!["stop".into(), "hello-abcde".into()],
        vec!["terminate".into(), "hello-abcde".into()],
        vec!["resubmit".into(), "hello-abcde".into()],
        vec!["delete".into(), "hello-abcde".into()],
        vec!["workflows".into()],
        vec!["apply".into(), p(&tpl)],
    ]
    .into_iter()
    .collect()
}

/// Runs the binary with `KUBECONFIG` set; kills it after two minutes so a command that hangs
/// (what these tests exist to catch) fails the test instead of stalling it.
fn argot(dir: &Path, kubeconfig: &Path, args: &[String]) -> (Output, Duration) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let (out_path, err_path) = (dir.join(format!("out-{n}")), dir.join(format!("err-{n}")));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_argot"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("ARGOT_STORE", dir.join("metadata.db"))
        .env_remove("ARGOT_NAMESPACE")
        .env_remove("ARGOT_REQUEST_TIMEOUT")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let out = Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    };
    (out, took)
}

/// Runs every command (in parallel: they are independent) against `fault` with the given
/// request timeout and checks each exits 7 in time with `cause` on stderr.
fn every_command_exits_7(fault: Fault, request_timeout_secs: u64, cause: &str) {
    let server = FaultServer::start(fault);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    let limit = Duration::from_secs(request_timeout_secs);
    let runs: Vec<_> = commands(dir.path())
        .into_iter()
        .map(|mut args| {
            args.push("--request-timeout".into());
            args.push(format!("{request_timeout_secs}s"));
            let (dir, kubeconfig) = (dir.path().to_owned(), kubeconfig.clone());
            std::thread::spawn(move || {
                let (out, took) = argot(&dir, &kubeconfig, &args);
                (args, out, took)
            })
        })
        .collect();
    for run in runs {
        let (args, out, took) = run.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(7),
            "{fault:?} {args:?} exited {:?}\n{stderr}",
            out.status
        );
        // The bound counts from connecting; process start on a loaded machine gets slack.
        assert!(
            took < limit + Duration::from_secs(5),
            "{fault:?} {args:?} took {took:?} (limit {limit:?})\n{stderr}"
        );
        assert!(
            stderr.contains(cause),
            "{fault:?} {args:?}: stderr lacks {cause:?}:\n{stderr}"
        );
        assert!(
            !stderr.contains("timed out waiting"),
            "{fault:?} {args:?}\n{stderr}"
        );
    }
}

#[test]
fn a_refused_connection_makes_every_command_exit_7_in_time() {
    every_command_exits_7(Fault::Refuse, 4, "Connection refused");
}

#[test]
fn a_reset_connection_makes_every_command_exit_7_in_time() {
    every_command_exits_7(Fault::Reset, 4, "Connection reset by peer");
}

#[test]
fn a_500_makes_every_command_exit_7_in_time() {
    every_command_exits_7(Fault::Status(500), 4, "the server is on fire");
}

#[test]
fn a_503_makes_every_command_exit_7_in_time() {
    every_command_exits_7(Fault::Status(503), 4, "the server is on fire");
}

#[test]
fn a_server_that_never_answers_makes_every_command_exit_7_in_time() {
    every_command_exits_7(Fault::Silent, 2, "within 2s");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn hostile_run_names_are_refused_before_any_request() {
    // A server that would answer 500: a request reaching it would exit 7, not 2.
    let server = FaultServer::start(Fault::Status(500));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    for name in ["../../x", "a?dryRun=All", "x,metadata.namespace=y"] {
        for command in [
            "watch",
            "logs",
            "outputs",
            "stop",
            "terminate",
            "resubmit",
            "delete",
        ] {
            let (out, _) = argot(dir.path(), &kubeconfig, &strings(&[command, name]));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {name:?}: {stderr}");
            assert!(
                stderr.starts_with(&format!("error: invalid run name {name:?}")),
                "{command} {name:?}: {stderr}"
            );
            assert!(
                stderr.contains("lowercase letters, digits, '-' and '.'"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn timeout_covers_the_submit_and_a_run_never_created_is_not_timed_out() {
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    let wf = dir.path().join("wf.yaml");
    std::fs::write(&wf, WORKFLOW).unwrap();
    for (command, target, error) in [
        (
            "submit",
            wf.to_str().unwrap(),
            "error: could not submit the run within the --timeout of 1s",
        ),
        ("resubmit", "hello-abcde", "error: could not submit the run"),
    ] {
        let args = [
            command,
            target,
            "--watch",
            "--timeout",
            "1s",
            "--request-timeout",
            "20s",
        ];
        let (out, took) = argot(dir.path(), &kubeconfig, &strings(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{command}: {stderr}");
        assert!(
            took < Duration::from_secs(5),
            "{command} took {took:?}: {stderr}"
        );
        assert!(stderr.starts_with(error), "{command}: {stderr}");
        assert!(!stderr.contains("timed out waiting"), "{command}: {stderr}");
    }
}

#[test]
fn huge_timeouts_do_not_panic() {
    let server = FaultServer::start(Fault::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    let max = u64::MAX.to_string();
    // The four commands wait out their retries independently: run at once, the test takes as
    // long as the slowest instead of their sum (it was the suite's longest client test).
    let spawn = |args: &[&str]| {
        let (dir, kubeconfig, args) = (dir.path().to_owned(), kubeconfig.clone(), strings(args));
        std::thread::spawn(move || argot(&dir, &kubeconfig, &args).0)
    };
    let watches: Vec<_> = ["99999999999h", max.as_str()]
        .into_iter()
        .map(|timeout| {
            let args = [
                "watch",
                "hello-abcde",
                "--timeout",
                timeout,
                "--request-timeout",
                "2s",
            ];
            (timeout.to_owned(), spawn(&args))
        })
        .collect();
    // A request timeout too large for a deadline means no deadline; retries still end.
    let stop = spawn(&["stop", "hello-abcde", "--request-timeout", "99999999999h"]);
    // Past u64 seconds: refused as a usage error, not wrapped or panicking.
    let too_long = spawn(&["watch", "hello-abcde", "--timeout", "99999999999999999h"]);
    for (timeout, watch) in watches {
        let out = watch.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "--timeout {timeout}: {stderr}");
        assert!(stderr.contains("gave up watching"), "{stderr}");
    }
    let out = stop.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    let out = too_long.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid duration"), "{stderr}");
}

#[test]
fn the_request_timeout_defaults_to_30s_and_refuses_zero() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("none");
    let (out, _) = argot(dir.path(), &kubeconfig, &strings(&["stop", "--help"]));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--request-timeout <DURATION>"), "{help}");
    assert!(help.contains("[default: 30s]"), "{help}");
    let args = strings(&["stop", "x", "--request-timeout", "0s"]);
    let (out, _) = argot(dir.path(), &kubeconfig, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be more than 0"));
}

#[test]
fn a_watch_retries_with_growing_capped_delays_then_gives_up() {
    let server = FaultServer::start(Fault::Status(503));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    let args = strings(&["watch", "hello-abcde", "--request-timeout", "5s"]);
    let (out, took) = argot(dir.path(), &kubeconfig, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let retries: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("cluster unreachable, retrying in "))
        .collect();
    assert!(
        retries[0].starts_with("cluster unreachable, retrying in 500ms (attempt 1, giving up in "),
        "{stderr}"
    );
    assert!(
        retries[1].starts_with("cluster unreachable, retrying in 1s (attempt 2, "),
        "{stderr}"
    );
    assert!(retries[0].ends_with("the server is on fire"), "{stderr}");
    assert!(
        stderr.contains(
            "error: gave up watching hello-abcde: no answer from the Kubernetes API server"
        ),
        "{stderr}"
    );
}

#[test]
fn a_broken_kubeconfig_is_explained_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let (out, _) = argot(dir.path(), &missing, &strings(&["stop", "hello-abcde"]));
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: cannot load Kubernetes configuration\n\
             help: check KUBECONFIG / ~/.kube/config (`kubectl config get-contexts`), or pass --context NAME\n  \
             caused by: cannot read kubeconfig {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );

    let garbage = dir.path().join("garbage.yaml");
    std::fs::write(&garbage, "clusters: [\n").unwrap();
    let (out, _) = argot(dir.path(), &garbage, &strings(&["workflows"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert_eq!(stderr.matches("caused by:").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("failed to parse kubeconfig YAML").count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("in-cluster"), "{stderr}");

    let kubeconfig = write_kubeconfig(dir.path(), 1);
    let args = strings(&["stop", "hello-abcde", "--context", "nope"]);
    let (out, _) = argot(dir.path(), &kubeconfig, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with(
            "for context \"nope\"\nhelp: check KUBECONFIG / ~/.kube/config (`kubectl config get-contexts`), or pass --context NAME\n  caused by: the kubeconfig has no context \"nope\"\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("'\""), "{stderr}");
}

#[test]
fn a_store_that_cannot_record_is_a_warning_with_its_cause() {
    const RUN: &str = r#"{"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","metadata":{"name":"hello-abcde","namespace":"ml"},"spec":{"entrypoint":"main"},"status":{"phase":"Succeeded"}}"#;
    let server = FaultServer::start(Fault::Answer(RUN));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), server.port);
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let store = file.join("m.db");
    let args = strings(&["outputs", "hello-abcde", "--store", store.to_str().unwrap()]);
    let (out, _) = argot(dir.path(), &kubeconfig, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "warning: not recording this run: cannot open the metadata store at {}\n",
            store.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  caused by: File exists (os error 17)\n"),
        "{stderr}"
    );
}
