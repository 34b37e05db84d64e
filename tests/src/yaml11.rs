//! Reads YAML the way Argo and kubectl do — YAML 1.1 rules, where `yes`, `off`, `~`, `0x10`
//! or `012` are not strings unless quoted — using PyYAML, the reference YAML 1.1 parser.
//!
//! PyYAML is installed by `.ci/run`. Where it is missing the check is skipped with a notice,
//! except under CI (`CI` set), where a missing PyYAML is a failure.
//!
//! One `python3` process per test binary answers every request: starting the interpreter and
//! importing PyYAML costs tens of milliseconds, which the property tests used to pay once per
//! generated case (half of the suite's slowest test binary). Requests are serialised by a lock;
//! the process exits when the test binary does (its stdin closes).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// Parses `yaml` with YAML 1.1 rules into JSON; `None` when PyYAML is unavailable outside CI.
pub fn parse(yaml: &str) -> Option<Value> {
    parse_all(&[yaml.to_owned()]).map(|mut docs| docs.remove(0))
}

fn unavailable(why: &str) -> Option<Vec<Value>> {
    if std::env::var_os("CI").is_some() {
        panic!("the YAML 1.1 check cannot run under CI: {why}");
    }
    eprintln!("note: skipping the YAML 1.1 check: {why}");
    None
}

/// The server: says whether PyYAML imports, then reads requests (a line with the byte length,
/// then that many bytes of YAML stream) and answers each with one line of JSON. `json.dumps`
/// escapes non-ASCII and control characters, so an answer never spans two lines.
const SERVE: &str = r#"
import sys, json
try:
    import yaml
except ImportError as e:
    print(json.dumps({'unavailable': str(e)}), flush=True)
    sys.exit(0)
print(json.dumps({'ready': True}), flush=True)
while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    text = sys.stdin.buffer.read(int(line)).decode('utf-8')
    try:
        answer = {'ok': list(yaml.safe_load_all(text))}
    except Exception as e:
        answer = {'error': '%s: %s' % (type(e).__name__, e)}
    try:
        out = json.dumps(answer, sort_keys=False)
    except Exception as e:
        out = json.dumps({'error': 'not JSON: %s: %s' % (type(e).__name__, e)})
    print(out, flush=True)
"#;

struct Server {
    // Kept so the process is owned here; it exits on its own when stdin closes.
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Why the check cannot run, once found out: every later request is skipped (PyYAML or python3
/// missing) or fails (the server itself broken) the same way.
enum State {
    NotStarted,
    Running(Server),
    Unavailable(String),
    Broken(String),
}

static SERVER: Mutex<State> = Mutex::new(State::NotStarted);

/// How many `python3` processes this test binary has started (see the test below).
static STARTED: AtomicUsize = AtomicUsize::new(0);

fn start() -> State {
    let mut child = match Command::new("python3")
        .args(["-c", SERVE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return State::Unavailable(format!("python3 cannot be started: {e}")),
    };
    STARTED.fetch_add(1, Ordering::SeqCst);
    let stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut hello = String::new();
    if let Err(e) = stdout.read_line(&mut hello) {
        return State::Broken(format!("python3 does not answer: {e}"));
    }
    let hello: Value = match serde_json::from_str(&hello) {
        Ok(hello) => hello,
        Err(e) => {
            return State::Broken(format!(
                "the PyYAML server answered `{}` ({e}); its error is above",
                hello.trim()
            ));
        }
    };
    if let Some(why) = hello.get("unavailable") {
        return State::Unavailable(format!(
            "PyYAML is not installed (pip install pyyaml): {why}"
        ));
    }
    State::Running(Server {
        _child: child,
        stdin,
        stdout,
    })
}

/// One request to the server: `Ok(answer)` or an I/O failure of the pipe.
fn ask(server: &mut Server, stream: &str) -> std::io::Result<Value> {
    write!(server.stdin, "{}\n{stream}", stream.len())?;
    server.stdin.flush()?;
    let mut line = String::new();
    if server.stdout.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "python3 exited",
        ));
    }
    serde_json::from_str(&line).map_err(std::io::Error::other)
}

/// Parses several YAML documents in one request; `None` when PyYAML is unavailable outside CI.
pub fn parse_all(documents: &[String]) -> Option<Vec<Value>> {
    let mut stream = String::new();
    for doc in documents {
        stream.push_str("---\n");
        stream.push_str(doc);
        if !doc.ends_with('\n') {
            stream.push('\n');
        }
    }
    // The lock is released before any panic, so one failing test does not poison the others.
    let answer = {
        let mut state = SERVER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if matches!(*state, State::NotStarted) {
            *state = start();
        }
        match &mut *state {
            State::NotStarted => unreachable!("started above"),
            State::Unavailable(why) => Err(why.clone()),
            State::Broken(why) => Ok(Err(std::io::Error::other(why.clone()))),
            State::Running(server) => {
                let answer = ask(server, &stream);
                if answer.is_err() {
                    // Started again for the next request.
                    *state = State::NotStarted;
                }
                Ok(answer)
            }
        }
    };
    let answer = match answer {
        Err(why) => return unavailable(&why),
        Ok(Err(e)) => panic!("the PyYAML process failed: {e}"),
        Ok(Ok(answer)) => answer,
    };
    if let Some(err) = answer.get("error") {
        panic!(
            "PyYAML refused a manifest:\n{}",
            err.as_str().unwrap_or_default()
        );
    }
    let docs = match answer {
        Value::Object(mut map) => match map.remove("ok") {
            Some(Value::Array(docs)) => docs,
            other => panic!("the PyYAML process answered {other:?}"),
        },
        other => panic!("the PyYAML process answered {other}"),
    };
    assert_eq!(
        docs.len(),
        documents.len(),
        "PyYAML read a different number of documents"
    );
    Some(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many requests, one interpreter: the property tests call `parse` once per case.
    #[test]
    fn one_python_process_answers_every_request() {
        let before = STARTED.load(Ordering::SeqCst);
        let mut answered = 0;
        for i in 0..5 {
            let Some(v) = parse(&format!("a: yes\nb: '012'\nc: 012\nn: {i}\n")) else {
                return; // PyYAML missing outside CI: nothing to count.
            };
            // YAML 1.1: `yes` is a boolean, `012` octal, a quoted `'012'` a string.
            assert_eq!(
                v,
                serde_json::json!({"a": true, "b": "012", "c": 10, "n": i})
            );
            answered += 1;
        }
        assert_eq!(answered, 5);
        assert!(
            STARTED.load(Ordering::SeqCst) - before <= 1,
            "a python3 process was started per request"
        );
    }

    #[test]
    fn several_documents_in_one_request_keep_their_order() {
        let docs = ["x: 1".to_owned(), "- off\n- ~\n".to_owned()];
        if let Some(v) = parse_all(&docs) {
            assert_eq!(
                v,
                vec![
                    serde_json::json!({"x": 1}),
                    serde_json::json!([false, null])
                ]
            );
        }
    }
}
